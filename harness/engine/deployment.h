/* deployment.h — the engine of `faultline rollout`: the scenario's update deployed to a fleet
 * drawn from its profiles, all at once and then ring by ring with gates (harness/rollout/), on
 * a session's guests, every machine a real guest of its profile. Each profile's guests boot
 * its sensor's image with the profile on the command line and run the profiles' workload in
 * place of the trigger (deployment_prepare_sensor, the session's hook). One record per machine
 * in DIR/rollout.jsonl (results/rollout-record.h), the update's bytes and the content before it
 * once each in DIR/inputs/; each variant of the rollout into DIR/VARIANT/. The summary
 * (rollout.json, rollout-summarize.h) and its reports are written by
 * deployment_write_reports().
 *
 * Errors: as the session's (session.h). Progress for the user: a line per strategy on
 * opts.progress, every machine on opts.meter (NULL: none).
 * Ownership: deployment_finish() frees what deployment_run() filled.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "plan.h"
#include "rollout-summarize.h"
#include "rollout.h"
#include "session.h"

struct deployment_opts {
	const char *dir;    /* the rollout's run directory (created) */
	const char *run_id; /* its records' run id */
	unsigned fleet;	    /* machines; 0: the rollout's */
	bool rings_only;    /* the rings alone, not all at once first */
	FILE *progress;
	struct progress *meter;
};

struct deployment {
	struct rollout_plan *plan;
	struct rollout_result *res; /* [n_res]: the strategies run, in order */
	const char **variants;	    /* [n_res]: the variant of each (NULL: as written) */
	size_t n_res;
	bool interrupted;		/* a signal stopped it (rollout_result.interrupted) */
	int record_error;		/* negative errno when a machine could not be recorded */
	struct rollout_summary summary; /* what rollout.json holds */
};

/* The session's prepare_sensor hook (session_opts): sensor i's guest gets the workload script
 * of the profiles that run it, and runs it in place of its trigger. */
int deployment_prepare_sensor(void *userdata, const struct scenario *sc, size_t i, struct sensor *s,
			      const char *state_dir, char **ret_error);

/* Deploy the update of s's rollout: every strategy and variant, each machine recorded.
 * Returns 0 (an interrupted deployment too: ret->interrupted), or a negative errno: -EINVAL
 * for the user's input (rings that do not fit the fleet, a case that expands to no input),
 * another when the host failed it. */
int deployment_run(struct session *s, const struct deployment_opts *o, struct deployment *ret,
		   struct session_error *ret_error);
/* rollout.json, rollout.md and report.html into dir. Returns 0 or a negative errno. */
int deployment_write_reports(const char *dir, const struct deployment *d);
void deployment_finish(struct deployment *d);
