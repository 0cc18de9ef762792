/* rollout-summarize.c — the rollout's summary (rollout.json, harness/results/rollout-summary.h):
 * what it did, per strategy, per ring and in total, with the time line of machines going down,
 * for the reports (rollout-summarize.h). */
#include <stdlib.h>

#include "rollout-summarize.h"
#include "util.h"

static struct rollout_summary_tally tally(const struct rollout_tally *t)
{
	return (struct rollout_summary_tally){
	    .updated = t->updated,
	    .down = t->down,
	    .crash = t->crash,
	    .hang = t->hang,
	    .boot_loop = t->boot_loop,
	    .sensor_died = t->sensor_died,
	    .protection_lost = t->protection_lost,
	    .recovered = t->recovered,
	    .rolled_back = t->rolled_back,
	    .infra_error = t->infra,
	};
}

static struct rollout_summary_ring ring(const struct rollout_summary_in *in,
					const struct rollout_result *r, size_t i)
{
	const struct rollout_ring_result *rr = &r->rings[i];
	bool all = r->strategy == ROLLOUT_ALL_AT_ONCE;

	return (struct rollout_summary_ring){
	    .name = xstrdup(all ? "all" : in->spec->rings[i].name),
	    .machines = rr->n,
	    .reached = rr->reached,
	    .start_ms = rr->start_ms,
	    .bake_ms = all ? 0 : in->spec->rings[i].bake_ms,
	    .has_gate = rr->gated,
	    .gate = {.at_ms = rr->gate_ms,
		     .passed = rr->passed,
		     .down = rr->gate_down,
		     .allows = rr->gate_allows},
	    .tally = tally(&rr->tally),
	};
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A point per machine that went down, on the schedule (its ring's start plus the time from
 * delivery to its verdict). */
static void timeline(const struct rollout_result *r, struct rollout_summary_strategy *st)
{
	_cleanup_free_ uint64_t *t = xcalloc(r->n_machines + 1, sizeof(uint64_t));
	size_t n = 0;

	for (size_t i = 0; i < r->n_rings; i++)
		for (size_t m = r->rings[i].first; m < r->rings[i].first + r->rings[i].n; m++)
			if (r->machines[m].updated && rollout_verdict_down(r->machines[m].verdict))
				t[n++] = r->rings[i].start_ms + r->machines[m].down_after_ms;
	qsort(t, n, sizeof(*t), cmp_u64);
	st->timeline = xcalloc(n + 1, sizeof(*st->timeline));
	for (size_t i = 0; i < n; i++)
		st->timeline[i] = (struct rollout_summary_point){.t_ms = t[i], .down = i + 1};
	st->n_timeline = n;
}

/* Down machines per profile: where the blast landed. */
static void by_profile(const struct rollout_summary_in *in, const struct rollout_result *r,
		       struct rollout_summary_strategy *st)
{
	_cleanup_free_ size_t *down = xcalloc(in->spec->n_profiles, sizeof(size_t));

	for (size_t m = 0; m < r->n_machines; m++)
		if (r->machines[m].updated && rollout_verdict_down(r->machines[m].verdict))
			down[in->plan->machines[m].profile]++;
	st->down_by_profile = xcalloc(in->spec->n_profiles + 1, sizeof(*st->down_by_profile));
	for (size_t p = 0; p < in->spec->n_profiles; p++)
		st->down_by_profile[p] = (struct rollout_summary_count){
		    .name = xstrdup(in->spec->profiles[p].name), .n = down[p]};
	st->n_down_by_profile = in->spec->n_profiles;
}

static void strategy(const struct rollout_summary_in *in, size_t k,
		     struct rollout_summary_strategy *st)
{
	const struct rollout_result *r = &in->res[k];

	*st = (struct rollout_summary_strategy){
	    .variant = in->variants[k] ? xstrdup(in->variants[k]) : NULL,
	    .name = xstrdup(rollout_strategy_name(r->strategy)),
	    .stopped_at =
		r->stopped_at == SIZE_MAX ? NULL : xstrdup(in->spec->rings[r->stopped_at].name),
	    .interrupted = r->interrupted,
	    .wall_ms = r->wall_ms,
	    .end_ms = r->end_ms,
	    .total = tally(&r->total),
	    .rings = xcalloc(r->n_rings + 1, sizeof(*st->rings)),
	    .n_rings = r->n_rings,
	};
	for (size_t i = 0; i < r->n_rings; i++)
		st->rings[i] = ring(in, r, i);
	by_profile(in, r, st);
	timeline(r, st);
}

/* One strategy's part of the answer: "two-vendors rings: 1 of 40 machines down, halted at
 * canary". */
static char *answer_part(const struct rollout_summary_in *in, size_t k)
{
	const struct rollout_result *r = &in->res[k];
	const char *v = in->variants[k];
	_cleanup_free_ char *how =
	    r->strategy == ROLLOUT_ALL_AT_ONCE ? xstrdup("")
	    : r->stopped_at == SIZE_MAX
		? xstrdup(", went through every ring")
		: xasprintf(", halted at %s", in->spec->rings[r->stopped_at].name);

	return xasprintf("%s%s%s: %zu of %zu machines down%s%s", v ? v : "", v ? " " : "",
			 r->strategy == ROLLOUT_ALL_AT_ONCE ? "all at once" : "rings",
			 r->total.down, r->n_machines, how, r->interrupted ? " (interrupted)" : "");
}

char *rollout_answer(const struct rollout_summary_in *in)
{
	char *s = xstrdup("");

	for (size_t k = 0; k < in->n_res; k++) {
		_cleanup_free_ char *part = answer_part(in, k);
		char *next = xasprintf("%s%s%s", s, k ? "; " : "", part);
		free(s);
		s = next;
	}
	return s;
}

static void profiles(const struct rollout_summary_in *in, struct rollout_summary *s)
{
	s->n_profiles = in->spec->n_profiles;
	s->profiles = xcalloc(s->n_profiles + 1, sizeof(*s->profiles));
	for (size_t p = 0; p < s->n_profiles; p++) {
		const struct rollspec_profile *pr = &in->spec->profiles[p];
		s->profiles[p] = (struct rollout_summary_profile){
		    .name = xstrdup(pr->name),
		    .sensor = xstrdup(scenario_sensor(in->sc, pr->sensor)),
		    .weight = pr->weight,
		    .machines = in->plan->per_profile[p],
		};
	}
}

static void variants(const struct rollout_summary_in *in, struct rollout_summary *s)
{
	s->n_variants = in->spec->n_variants;
	s->variants = xcalloc(s->n_variants + 1, sizeof(*s->variants));
	for (size_t v = 0; v < s->n_variants; v++) {
		const struct rollspec_variant *var = &in->spec->variants[v];
		struct rollout_summary_variant *x = &s->variants[v];

		x->name = xstrdup(var->name);
		x->n_sensors = in->spec->n_profiles;
		x->sensors = xcalloc(x->n_sensors + 1, sizeof(*x->sensors));
		for (size_t p = 0; p < x->n_sensors; p++)
			x->sensors[p] = (struct rollout_summary_pair){
			    .key = xstrdup(in->spec->profiles[p].name),
			    .value = xstrdup(scenario_sensor(in->sc, var->sensor[p]))};
	}
}

void rollout_summarize(const struct rollout_summary_in *in, struct rollout_summary *ret)
{
	struct rollout_summary s = {
	    .answer = rollout_answer(in),
	    .run_id = xstrdup(in->run_id),
	    .scenario = xstrdup(scenario_name(in->sc)),
	    .seed = scenario_seed(in->sc),
	    .update = xstrdup(in->update->id),
	    .fleet = in->plan->n_machines,
	    .on_gate_failure = xstrdup(in->spec->rollback ? "rollback" : "halt"),
	    .n_strategies = in->n_res,
	    .strategies = xcalloc(in->n_res + 1, sizeof(*s.strategies)),
	    .wall_ms = in->wall_ms,
	    .note = xstrdup("every machine's outcome is its own guest's verdict (none "
			    "extrapolated); times on the time line are the schedule's (ring start "
			    "= the bakes before it) plus each machine's measured time from "
			    "delivery to its verdict; bakes are not waited for"),
	};

	profiles(in, &s);
	variants(in, &s);
	for (size_t k = 0; k < in->n_res; k++) {
		strategy(in, k, &s.strategies[k]);
		for (size_t m = 0; m < in->res[k].n_machines; m++)
			s.guest_runs +=
			    in->res[k].machines[m].updated + in->res[k].machines[m].rolled_back;
	}
	s.machines_per_min = in->wall_ms ? (double)s.guest_runs * 60000.0 / (double)in->wall_ms : 0;
	*ret = s;
}
