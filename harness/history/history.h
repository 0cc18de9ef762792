/* history.h — what the results database says across runs: crash and hang signatures (a title
 * on a sensor) with when they were first and last seen, in how many runs, on which sensor
 * versions, and their status in one run against a baseline run:
 *   new          in the run, not in the baseline, never seen before the baseline
 *   still there  in both
 *   fixed        in the baseline, not in the run
 *   regressed    in the run, not in the baseline, but seen before the baseline (it came back)
 *
 * Runs are ordered by their start (UTC), then by when they were stored.
 * A SELECTOR names a stored run: "run:RUN_ID" (that run; the latest of that id when several
 * hosts stored one), "version:V" (the latest run on a sensor whose version is V), "last" (the
 * latest run, other than the run it is compared with).
 *
 * Ownership: history_free() frees a history and every string in it; history_load_run()
 * returns a struct rundir (rundir_free()). */
#pragma once

#include <stdint.h>

#include "db.h"
#include "rundir.h"

enum history_status {
	HISTORY_NONE = 0, /* in neither run: seen only elsewhere in the history */
	HISTORY_NEW,
	HISTORY_STILL,
	HISTORY_FIXED,
	HISTORY_REGRESSED,
};

const char *history_status_name(enum history_status s);

struct history_sig {
	char *sensor, *title, *verdict;
	char *first_seen, *last_seen; /* UTC, from the records' start */
	char *first_run, *last_run;   /* run ids */
	int64_t occurrences;	      /* records with it */
	size_t runs;		      /* runs with it */
	char *versions;		      /* the sensor versions it was seen on, comma-separated */
	enum history_status status;
};

struct history {
	int64_t run, baseline; /* runs.id compared; 0: none */
	char *run_id, *baseline_id;
	struct history_sig *sigs; /* by sensor, then first seen */
	size_t n_sigs;
};

/* A selector's runs.id, not exclude (0: none excluded, for "last"). Returns 0, -EINVAL for a
 * malformed selector, -ENOENT when no stored run matches, or a database error. */
int history_select(struct db *db, const char *selector, int64_t exclude, int64_t *ret);
/* A stored run's id by its run id (the latest of that id). -ENOENT when not stored. */
int history_find_run(struct db *db, const char *run_id, int64_t *ret);

/* Every signature in the database, with the status in run against baseline (either 0: no
 * status). */
int history_load(struct db *db, int64_t run, int64_t baseline, struct history **ret);
struct history *history_free(struct history *h);

/* A stored run as a run directory read from disk would be, from the database alone (records in
 * the order stored): for compare and the report's baseline. */
int history_load_run(struct db *db, int64_t run, struct rundir **ret);
