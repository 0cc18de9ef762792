/* minimized.h — what `faultline minimize` leaves in a run directory, as the reports read it:
 * RUN_DIR/minimized/SENSOR/CASE/minimize.json, the summary of one minimization (does the case
 * reproduce and how often, the minimal input, the explanation in the format's terms, how to
 * replay it). The steps it took are in steps.json beside it, for people and tools; the
 * reports do not need them.
 *
 * minimized_to_json() writes every member below; minimized_from_json() reads one back,
 * tolerating absent members. rundir_load() reads every summary of a run (rundir.h).
 *
 * Ownership: a struct minimized owns every string in it; minimized_finish() frees them (and
 * accepts one that minimized_init() or a failed minimized_from_json() left). minimized_to_json()
 * returns a new object the caller puts. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verdict.h"

/* A verdict and title seen when the case was run again, and how many times. */
struct minimized_seen {
	char *verdict, *title;
	size_t count;
};

struct minimized {
	char *sensor, *case_id; /* "sensor", "case" */
	char *verdict, *title;	/* the signature minimized: the case's recorded verdict and title */
	size_t tries, reproduced; /* "reproduction": runs on fresh guests, and how many gave it */
	struct minimized_seen *seen;
	size_t n_seen;
	char *input_sha256; /* the case's input */
	int64_t input_size;
	/* The smallest input found that gives the signature, relative to the minimization's
	 * folder ("minimal.bin"); NULL when the case did not reproduce. */
	char *minimal;
	char *minimal_sha256;
	int64_t minimal_size;
	char **explanation; /* its differences from the seed, one line each */
	size_t n_explanation;
	char **notes; /* what could not be done, and why */
	size_t n_notes;
	/* "minimized", "not-reproduced", "interrupted" (the best input so far), "budget" (the
	 * time budget ran out: the best input so far) */
	char *status;
	char *replay; /* the command that replays the minimal input */
	size_t guest_runs;
	int64_t wall_ms;
	char *started; /* UTC ISO 8601 */

	/* Derived by rundir_load(); not written. */
	char *dir;	   /* the minimization's folder, relative to the run directory */
	enum verdict kind; /* of verdict */
};

/* Empty: strings NULL, sizes and wall_ms -1 (absent). */
void minimized_init(struct minimized *m);
void minimized_finish(struct minimized *m);
json_object *minimized_to_json(const struct minimized *m);
/* Returns 0, or -EINVAL when o is not an object or lacks a sensor, a case or a verdict. */
int minimized_from_json(json_object *o, struct minimized *ret);
/* "3/3" style rate: the reproduction as the reports and the command print it (static buffer
 * the caller passes). */
const char *minimized_rate(const struct minimized *m, char buf[48]);
