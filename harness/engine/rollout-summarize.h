/* rollout-summarize.h — the summary of a deployment (deployment.h) (rollout.json, whose schema,
 * writer and reader are harness/results/rollout-summary.h), from which reports/rollout-report.c
 * renders the Markdown and the HTML section; see also scenarios/README.md, "Staged rollouts".
 * Ownership: the input is borrowed; the summary filled is the caller's
 * (rollout_summary_finish). */
#pragma once

#include "plan.h"
#include "rollout-summary.h"
#include "rollout.h"
#include "scenario.h"

struct rollout_summary_in {
	const struct scenario *sc;
	const struct rollspec *spec;
	const struct rollout_plan *plan;
	const struct scenario_case *update;
	const char *run_id;
	const struct rollout_result *res; /* the strategies run, all at once first */
	const char *const *variants;	  /* [n_res]: the variant of each (NULL: as written) */
	size_t n_res;
	uint64_t wall_ms; /* the whole command, both strategies */
};

void rollout_summarize(const struct rollout_summary_in *in, struct rollout_summary *ret);
/* The one-line answer: "all at once: 20 of 40 machines down; rings: 1 of 40, halted at
 * canary" (caller frees). */
char *rollout_answer(const struct rollout_summary_in *in);
