/* runread.h — reading a run directory written by `faultline run`: RUN_DIR/run.json (the run's
 * metadata) and RUN_DIR/results.jsonl (one record per sensor and case).
 *
 * A killed run may leave a truncated last line; unreadable lines are skipped and counted, never
 * fatal. When a (sensor, case) pair appears more than once (a retried attempt, a resumed run),
 * the last line wins and the earlier ones are counted as superseded.
 *
 * Ownership: runread_load() returns a run that owns its records and every string in them;
 * runread_free() accepts NULL. Records point back to their run. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ordered from worst to best: aggregation picks the worst verdict of a cell by the lowest value. */
enum runread_verdict {
	RUNREAD_BOOT_LOOP = 0,
	RUNREAD_CRASH,
	RUNREAD_HANG,
	RUNREAD_SENSOR_DIED,
	RUNREAD_INFRA_ERROR,
	RUNREAD_ACCEPTED,
	RUNREAD_REJECTED,
	RUNREAD_OTHER, /* a verdict name this version does not know; kept as written */
	_RUNREAD_VERDICT_MAX,
};

/* How a case counts for CI: JUnit <failure>, <error>, or a pass. */
enum runread_outcome {
	RUNREAD_PASS = 0,
	RUNREAD_FAILURE, /* verdict differs from expect; without expect: crash, hang or boot-loop */
	RUNREAD_ERROR, /* infra-error: the harness could not run the case; not the sensor's fault */
};

struct runread_run;

struct runread_record {
	const struct runread_run *run;
	size_t line; /* 1-based line in results.jsonl */
	char *sensor;
	char *case_id;
	char *case_name;      /* NULL when absent */
	char *mutation_class; /* first mutation's op, or "seed" when there are none */
	char *mutations;      /* the mutations array as compact JSON ("[]" when none) */
	uint64_t seed;
	char *seed_file;
	char *input_sha256;
	char *input;	    /* relative to the run directory */
	int64_t input_size; /* -1 when absent */
	char *verdict;	    /* as written */
	enum runread_verdict kind;
	char *title, *detail, *report, *console; /* NULL when absent or null */
	char *expect;				 /* NULL when no expectation */
	int matched;				 /* -1 null, 0 false, 1 true */
	int attempt;
	int64_t boot_ms, deliver_ms, verdict_ms, total_ms; /* -1 when absent */
	char *agent_outcome, *agent_message;
	int agent_errno;
	char *started;
};

struct runread_run {
	char *dir;     /* as given to runread_load() */
	bool has_meta; /* run.json was present and readable */
	/* "finished" is absent when the run was killed; "interrupted" is set instead when it was
	 * stopped on purpose (SIGINT/SIGTERM). */
	char *run_id, *scenario, *scenario_path, *started, *finished, *interrupted,
	    *faultline_version, *kernel, *uri, *accel, *isolation, *host,
	    *argv; /* NULL when absent */
	uint64_t seed;
	bool has_seed;
	char **sensors; /* from run.json, in its order */
	size_t n_sensors;

	struct runread_record *records; /* final record per (sensor, case), in file order */
	size_t n_records;
	size_t n_lines;	      /* non-empty lines read */
	size_t n_skipped;     /* lines that were not a usable record */
	size_t first_skipped; /* 1-based line number of the first skipped line; 0 when none */
	bool last_truncated;  /* the last line had no newline and did not parse: a killed run */
	size_t n_superseded;  /* earlier attempts replaced by a later line for the same case */
};

/* Load RUN_DIR. Returns 0, -ENOENT when RUN_DIR/results.jsonl does not exist, -EINVAL when
 * run.json exists but is not a JSON object, or another negative errno. */
int runread_load(const char *dir, struct runread_run **ret);
struct runread_run *runread_free(struct runread_run *run);

const char *runread_verdict_name(enum runread_verdict v); /* "crash", ...; "other" for OTHER */
enum runread_verdict runread_verdict_from_name(const char *name);

/* Mutated input accepted with a healthy guest: the sensor silently took malformed content. */
bool runread_record_silent_accept(const struct runread_record *r);
/* A crash-like verdict that carries a signature: crash, hang, boot-loop. */
bool runread_verdict_is_signature(enum runread_verdict v);
enum runread_outcome runread_record_outcome(const struct runread_record *r);
/* The signature of a crash-like record: its title, or "untitled VERDICT" when it has none.
 * NULL for other verdicts. The string lives as long as the record. */
const char *runread_record_signature(const struct runread_record *r);
/* The documented command that replays the record: "faultline replay DIR/CASE --sensor S".
 * Caller frees. */
char *runread_record_replay(const struct runread_record *r);
