/* resume.h — what an interrupted or killed run already recorded, so that `run --resume`
 * continues where it stopped instead of starting over.
 *
 * resume_scan() cuts off a last line of RUN_DIR/results.jsonl that a killed controller left
 * half-written (so that new records start on a line of their own), reads the run through
 * rundir.h as the reports do (the last record of a job wins), and marks every job
 * (sensor, case) that has a record. A record whose input differs from the case's input today
 * means the scenario changed: resuming would mix two experiments, so it is refused.
 * Ownership: resume_finish() frees what resume_scan() filled in.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"
#include "verdict.h"

struct resume_job {
	bool done;
	enum verdict verdict;
	char *title;
	char *note; /* first line of the title, else of the detail */
};

struct resume_state {
	struct resume_job *jobs; /* [case * n_sensors + sensor] */
	size_t n_done;
	size_t skipped_lines; /* unreadable lines (a cut-off last record) */
	char *run_id;	      /* from run.json, when there is one */
};

/* Returns 0; -ENOENT when RUN_DIR has no results.jsonl; -EINVAL when a record does not match
 * the scenario (*ret_error says which); another negative errno on I/O errors. */
int resume_scan(const char *run_dir, const struct scenario_case *cases, size_t n_cases,
		const char *const *sensors, size_t n_sensors, struct resume_state *ret,
		char **ret_error);
void resume_finish(struct resume_state *st, size_t n_jobs);
