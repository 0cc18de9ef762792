/* record.h — the record schema: one case's result as a line of RUN_DIR/results.jsonl (README.md,
 * "What a run leaves behind"), and the only code that turns it into JSON and back.
 *
 * record_to_json() writes every member below (absent ones as null, in a fixed key order);
 * record_from_json() reads a line back, tolerating absent, null or mistyped members so that a
 * run written by another version of faultline still reads. Adding a field is one member here
 * and one line in each of the two.
 *
 * Strings are written and read back cleaned and capped as guest text (guesttext.h).
 * Ownership: a record owns every string in it; record_finish() frees them and accepts a record
 * that record_init() or a failed record_from_json() left. record_to_json() returns a new object
 * the caller puts (json_object_put). */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verdict.h"

struct rundir;

/* "reused_guest_run": the first run of a case that failed on a guest that had run earlier
 * cases; the record itself is the fresh run's. */
struct record_reuse {
	char *verdict; /* NULL: there was no such run */
	char *title, *console;
};

/* "reboot": the persisted update crashed the guest, which was booted again and followed
 * (harness/fleet/reboot.h). The record's verdict is then boot-loop or recovered (or the
 * first crash's, when the follow-up could not finish: outcome infra-error), its title the
 * first crash's. */
struct record_boot {
	char *verdict; /* "crash", "hang", or "accepted" (came up healthy) */
	char *title;
	int64_t died_at_ms; /* the guest's uptime at the crash; -1 unknown */
	int64_t wall_ms;
	bool safe; /* the manual mechanism's safe-mode boot */
	char *console;
};

struct record_reboot {
	char *first_verdict; /* the case's own crash; NULL: the guest was not followed */
	char *outcome;	     /* boot-loop, recovered, infra-error */
	char *mechanism;     /* none, counter, remediation, manual */
	struct record_boot *boots;
	size_t n_boots;
	int64_t recovery_wall_ms, recovery_guest_ms; /* -1 unless recovered */
	char *detail;
};

struct record {
	char *run_id, *scenario;
	char *sensor, *case_id; /* "case" */
	char *case_name;
	uint64_t seed;
	char *seed_file;
	char *mutations; /* the mutations array as compact JSON; "[]" when none */
	char *input_sha256;
	char *input; /* relative to the run directory */
	int64_t input_size;
	char *verdict; /* as written */
	char *title, *detail, *report, *console;
	/* when the verdict came: "load" (delivering the update) or "evaluate" (the trigger ran);
	 * NULL: nothing was delivered (or a run older than the member) */
	char *phase;
	char *expect; /* NULL when the case expects nothing on this sensor */
	int matched;  /* -1 null, 0 false, 1 true */
	int attempt;
	char *host; /* the libvirt URI of the host the case ran on; NULL: not recorded (older) */
	char *host_fault; /* what the host did to earlier attempts (QEMU killed, ...); NULL: nothing
			   */
	int64_t
	    host_stall_ms; /* how long the host withheld the CPU from the guest during the case */
	bool flaky;	   /* a reused-guest failure that a fresh guest did not reproduce */
	struct record_reuse reused;
	struct record_reboot reboot;
	int64_t boot_ms, deliver_ms, verdict_ms, total_ms; /* "timings" */
	char *agent_outcome; /* "agent": accepted, rejected, agent-error; NULL: no answer */
	int agent_errno;
	char *agent_message;
	/* "agent"."frames_dropped": frames from the guest agent dropped during the case because
	 * it sent faster than the controller reads them (harness/fleet/vm-events.h); 0 in older
	 * runs */
	int64_t frames_dropped;
	/* the sensor watch (harness/fleet/watched.h): kept, restored, lost; NULL: not measured */
	char *protection;
	int64_t protection_gap_ms; /* death or failed probe to protection back; -1: none */
	/* --probe-every: not probed itself, protection kept as the probe after this case on the
	 * same guest found it; NULL: probed in its own window (or not measured) */
	char *probed_after;
	int64_t sensor_restarts; /* -1: the sensor's process is not watched */
	char *sensor_log;	 /* its log during the case, relative to the run directory */
	char *started;		 /* when the case started, UTC ISO 8601 */
	char *kernel, *faultline_version;
	/* "kernel_name": the guest: kernel: or matrix: name (debian-11); NULL: none named.
	 * "arch": the guest's architecture (amd64); NULL in older runs */
	char *kernel_name, *arch;
	/* "system": the guest's system: "initramfs", a full system's name (debian-12), or "disk"
	 * (the user's own image); NULL in older runs */
	char *system;

	/* Derived by record_from_json(); not written. */
	enum verdict kind;    /* VERDICT_OTHER for a verdict this version does not know */
	char *mutation_class; /* the first mutation's op, "seed" when there is none */
	/* Where rundir_load() found it; NULL and 0 otherwise. */
	const struct rundir *run;
	size_t line; /* 1-based line in results.jsonl */
};

/* An empty record: strings NULL, numbers -1 where the schema has "absent" (input_size, timings,
 * matched, protection_gap_ms, sensor_restarts), attempt 1. */
void record_init(struct record *r);
void record_finish(struct record *r);

json_object *record_to_json(const struct record *r);
/* Fill *ret from one parsed line. Returns 0, or -EINVAL when o is not an object or lacks what
 * every reader needs (a sensor, a case, a verdict); *ret is then empty. */
int record_from_json(json_object *o, struct record *ret);

/* A string member as the record reader reads it (cleaned as guest text), for the other files
 * of a run directory (minimized.c): a copy, NULL when o is NULL or the member absent, null or
 * not a string. Numbers: jsonx_get_int() (base/jsonx.h). */
char *record_json_string(json_object *o, const char *key);

/* How a case counts for CI (JUnit <failure>, <error>, or a pass). */
enum record_outcome {
	RECORD_PASS = 0,
	RECORD_FAILURE, /* verdict differs from expect; with no expect, a VERDICT_FAILURE verdict */
	RECORD_ERROR,	/* a VERDICT_ERROR verdict: the harness could not run the case */
};

enum record_outcome record_outcome(const struct record *r);
/* A mutated input accepted with a healthy guest: the sensor silently took malformed content. */
bool record_silent_accept(const struct record *r);
/* The crash signature of a record whose verdict carries one: its title, or "untitled VERDICT"
 * when it has none. NULL for other verdicts. The string lives as long as the record. */
const char *record_signature(const struct record *r);
