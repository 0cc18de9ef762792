/* compare.h — what changed between two runs: crash and hang signatures new in NEW or gone from
 * it, and verdict changes of the same case on the same sensor.
 *
 * A signature is (sensor, title): the same title on a sensor that did not show it before is new.
 * Ownership: the result points into both runs' records; free it (compare_result_free(), accepts
 * NULL) before them. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "rundir.h"

struct compare_sig {
	const char *sensor, *title;
	enum verdict kind;
	size_t count;		    /* occurrences in the run it belongs to */
	const struct record *first; /* first occurrence in that run */
};

struct compare_change {
	const struct record *base, *new; /* same sensor and case id */
};

struct compare_result {
	struct compare_sig *new_sigs, *gone_sigs; /* in file order of NEW, resp. BASE */
	size_t n_new_sigs, n_gone_sigs;
	size_t n_kept_sigs;		/* signatures in both */
	struct compare_change *changes; /* verdict differs; in file order of NEW */
	size_t n_changes;
	size_t n_common; /* (sensor, case) pairs in both runs */
	size_t n_only_base, n_only_new;
	bool regression; /* NEW has a crash or hang signature BASE does not */
};

int compare_runs(const struct rundir *base, const struct rundir *new, struct compare_result **ret);
struct compare_result *compare_result_free(struct compare_result *c);
/* The Markdown summary `faultline compare` prints. Returns 0 or -EIO. */
int compare_write_markdown(FILE *f, const struct compare_result *c, const struct rundir *base,
			   const struct rundir *new);
