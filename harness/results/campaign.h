/* campaign.h — what a `faultline fuzz` campaign directory holds besides a run's records:
 * campaign.json (where the campaign is: executions, time, PRNG state, signatures, the sensor's
 * magic values) and coverage.jsonl (one line each time its coverage grew). The one writer and
 * reader of both: the fuzz campaign saves and resumes through it, the report's campaign section
 * reads it.
 *
 * campaign_write() writes every member below but the points, in a fixed key order;
 * campaign_read() reads them back tolerating absent, null or mistyped members (strings NULL,
 * numbers 0, arrays empty).
 *
 * Ownership: a campaign owns every string and array in it; campaign_free() frees it and
 * accepts NULL. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct campaign_point {
	uint64_t ms, execs, blocks, edges, corpus;
};

struct campaign {
	char *run_id, *sensor;
	bool coverage; /* guided by coverage (not --no-coverage) */
	uint64_t execs, elapsed_ms;
	uint64_t rng; /* the PRNG's state */
	uint64_t seeds_done;
	/* the number the next case's id takes (fuzz-NNNNNN); written only when past execs (cases
	 * were in flight), read as 0 when absent */
	uint64_t next_case;
	/* guests run by the process that wrote it, and their time (its first left out) */
	uint64_t guest_runs, guest_runs_ms;
	uint64_t edges, blocks, corpus;
	char **signatures; /* "verdict: title" of each failure recorded */
	size_t n_signatures;
	uint64_t *magic; /* the sensor's compared values seen */
	size_t n_magic;
	struct campaign_point *points; /* coverage.jsonl, in file order (time order) */
	size_t n_points;
};

/* DIR/campaign.json written atomically, as pretty JSON (the points are not written). */
int campaign_write(const char *dir, const struct campaign *c);
/* DIR/campaign.json read (not the points). Returns 0, a negative errno when it cannot be read
 * (-ENOENT: DIR holds no campaign), or -EBADMSG when it is not a JSON object. */
int campaign_read(const char *dir, struct campaign **ret);
/* One line appended to DIR/coverage.jsonl. */
int campaign_point_append(const char *dir, const struct campaign_point *p);

/* For the report: DIR/campaign.json and DIR/coverage.jsonl (when there), the sensor "" when the
 * file names none. NULL when dir holds no campaign or it cannot be read: a report then simply
 * has no campaign section. */
struct campaign *campaign_load(const char *dir);
void campaign_free(struct campaign *c);
