/* rundir.h — reading a run directory written by `faultline run`: RUN_DIR/run.json (the run's
 * metadata) and RUN_DIR/results.jsonl (one record per sensor and case, record.h). The one reader
 * of both: reports, `compare`, `replay` and `run --resume` go through it.
 *
 * A killed run may leave a truncated last line; unreadable lines are skipped and counted, never
 * fatal. When a (sensor, case) pair appears more than once (a retried attempt, a resumed run),
 * the last line wins, at the place of the first, and the earlier ones are counted as
 * superseded.
 *
 * Ownership: rundir_load() returns a run that owns its records, its minimizations and every
 * string in them;
 * rundir_free() accepts NULL. Records point back to their run. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "campaign.h"
#include "minimized.h"
#include "record.h"

struct rundir {
	char *dir;     /* as given to rundir_load() */
	bool has_meta; /* run.json was present and readable */
	/* From run.json; NULL when absent. "finished" is absent when the run was killed;
	 * "interrupted" is set instead when it was stopped on purpose (SIGINT/SIGTERM). run_id,
	 * scenario, kernel and faultline_version fall back to the first record's. */
	char *run_id, *scenario, *scenario_path, *started, *finished, *interrupted,
	    *faultline_version, *kernel, *uri, *accel, *isolation, *host, *argv;
	uint64_t seed;
	bool has_seed;
	/* From run.json (run-meta.h): the scenario's jobs and their fingerprint (0, NULL: not
	 * recorded); for `run --shard K/N`, K and N (0: not a shard) and the shard's jobs; for a
	 * merge, the shards merged and those missing (--allow-partial). */
	size_t jobs, shard_jobs;
	char *jobs_hash;
	unsigned shard_k, shard_n;
	size_t n_merged, n_missing;
	char **sensors; /* from run.json, in its order */
	size_t n_sensors;

	struct record *records; /* final record per (sensor, case), in file order */
	size_t n_records;
	size_t n_lines;	      /* non-empty lines read */
	size_t n_skipped;     /* lines that were not a usable record */
	size_t first_skipped; /* 1-based line number of the first skipped line; 0 when none */
	bool last_truncated;  /* the last line had no newline and did not parse: a killed run */
	size_t n_superseded;  /* earlier attempts replaced by a later line for the same case */

	/* What `faultline minimize` left: RUN_DIR/minimized/SENSOR/CASE/minimize.json, by sensor
	 * and case name; unreadable ones are left out. */
	struct minimized *minimized;
	size_t n_minimized;

	/* What `faultline fuzz` left (campaign.h); NULL: not a campaign directory. */
	struct campaign *campaign;
};

/* The minimization of a case on a sensor, or NULL. */
const struct minimized *rundir_minimized(const struct rundir *run, const char *sensor,
					 const char *case_id);

/* Load RUN_DIR. Returns 0, -ENOENT when RUN_DIR/results.jsonl does not exist, -EINVAL when
 * run.json exists but is not a JSON object, or another negative errno. */
int rundir_load(const char *dir, struct rundir **ret);
struct rundir *rundir_free(struct rundir *run);
