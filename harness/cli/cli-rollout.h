/* cli-rollout.h — the summary of `faultline rollout` as JSON (rollout.json), from which
 * reports/rollout-report.c renders the Markdown and the HTML section. Schema: see
 * rollout_summary_json() in cli-rollout-json.c and scenarios/README.md, "Staged rollouts".
 * Ownership: the input is borrowed; the JSON object returned is the caller's (put it). */
#pragma once

#include <json-c/json.h>

#include "plan.h"
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

json_object *rollout_summary_json(const struct rollout_summary_in *in);
/* The one-line answer: "all at once: 20 of 40 machines down; rings: 1 of 40, halted at
 * canary" (caller frees). */
char *rollout_answer(const struct rollout_summary_in *in);

int cmd_rollout(int argc, char **argv);
