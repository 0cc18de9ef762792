/* rollout.h — deploy one update to a planned fleet (plan.h) on real guests, ring by ring, and
 * read each ring's gate from the verdicts of its machines.
 *
 * Every machine is a job of the fleet (fleet.h): a guest of its profile (a fleet sensor per
 * profile, so a template per profile in snapshot isolation and a restored copy per machine)
 * receives the update, runs the profile's workload as its trigger and gets a verdict; with
 * persistence on, a crashed machine is followed across boots (reboot.h), so it ends a boot loop
 * or recovered. The machines of a ring run side by side on the fleet's slots; the next ring
 * starts only when the gate passed. Bake times are the schedule's: they place the rings on the
 * report's time line and bound which deaths a gate sees (a machine that went down later than
 * its ring's bake after the update is not seen by that gate); they are not waited for.
 * Rollback, when a gate fails and the spec says so: the previous content (the case's seed) is
 * delivered to every updated machine that is up, each on a fresh guest of its profile (the
 * restored snapshot, not the guest that ran the update, which is gone): a real delivery of that
 * content to that machine's profile and workload, recorded as the machine's rollback.
 *
 * Ownership: rollout_result_finish() frees what rollout_run() filled; the config is borrowed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet.h"
#include "plan.h"
#include "verdict.h"

enum rollout_strategy {
	ROLLOUT_ALL_AT_ONCE, /* one ring of 100% */
	ROLLOUT_RINGS,	     /* the spec's rings and gates */
};

const char *rollout_strategy_name(enum rollout_strategy s); /* "all-at-once", "rings" */

struct rollout_outcome {
	bool updated; /* the machine received the update */
	enum verdict verdict;
	char *title;		/* crash signature, or NULL */
	const char *protection; /* static; NULL: not measured */
	uint64_t down_after_ms; /* delivery to the verdict (for a machine that went down) */
	char *console;		/* relative to the run dir */
	bool rolled_back;	/* rollback reached it */
	enum verdict rollback_verdict;
};

struct rollout_tally {
	size_t updated, down, crash, hang, boot_loop, sensor_died, protection_lost, recovered,
	    rolled_back, infra;
};

struct rollout_ring_result {
	size_t first, n;    /* machines [first, first + n) of the plan */
	bool reached;	    /* the ring got the update */
	bool gated;	    /* it had a gate */
	bool passed;	    /* its gate passed (or it had none) */
	size_t gate_down;   /* down machines the gate saw */
	size_t gate_allows; /* down machines it allows */
	uint64_t start_ms;  /* on the schedule: the update reaches the ring */
	uint64_t gate_ms;   /* on the schedule: the gate is read */
	struct rollout_tally tally;
};

struct rollout_result {
	enum rollout_strategy strategy;
	struct rollout_outcome *machines; /* [n_machines], the plan's */
	size_t n_machines;
	struct rollout_ring_result *rings;
	size_t n_rings;	   /* 1 for all at once */
	size_t stopped_at; /* ring whose gate failed, or SIZE_MAX: it went through */
	bool interrupted;
	struct rollout_tally total;
	uint64_t wall_ms; /* real time the strategy took on this host */
	uint64_t end_ms;  /* on the schedule: the last event */
};

struct rollout_config {
	/* host, slots, timeouts, isolation...; sensors: one fleet sensor per profile, in the
	 * spec's order. cases, n_cases, skip, on_result, userdata, run_dir are set here */
	const struct fleet_config *fleet;
	const struct rollspec *spec;
	const struct rollout_plan *plan;
	const struct scenario_case *update;
	const struct scenario_case *previous; /* for rollback: the seed content; NULL: none */
	const char *run_dir;		      /* consoles under RUN_DIR/STRATEGY/[rollback/] */
	/* once per machine's job (and per rollback delivery), serialised */
	void (*on_machine)(void *userdata, enum rollout_strategy s, const struct rollout_machine *m,
			   const struct case_result *res, const char *console_rel, bool rollback);
	void *userdata;
};

/* Run the update under strategy s. Returns 0 (ret filled; an interrupted run says so) or a
 * negative errno when it could not start. */
int rollout_run(const struct rollout_config *cfg, enum rollout_strategy s,
		struct rollout_result *ret);
void rollout_result_finish(struct rollout_result *r);
/* Is verdict v down for the totals (crash, hang, boot-loop)? */
bool rollout_verdict_down(enum verdict v);
/* Add outcome o to tally t. */
void rollout_tally_add(struct rollout_tally *t, const struct rollout_outcome *o);
