/* cli-rollout-json.c — rollout.json: what a rollout did, per strategy, per ring and in total,
 * with the time line of machines going down, for the reports (cli-rollout.h). */
#include <stdlib.h>

#include "cli-rollout.h"
#include "util.h"

static json_object *tally_json(const struct rollout_tally *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "updated", json_object_new_uint64(t->updated));
	json_object_object_add(o, "down", json_object_new_uint64(t->down));
	json_object_object_add(o, "crash", json_object_new_uint64(t->crash));
	json_object_object_add(o, "hang", json_object_new_uint64(t->hang));
	json_object_object_add(o, "boot_loop", json_object_new_uint64(t->boot_loop));
	json_object_object_add(o, "sensor_died", json_object_new_uint64(t->sensor_died));
	json_object_object_add(o, "protection_lost", json_object_new_uint64(t->protection_lost));
	json_object_object_add(o, "recovered", json_object_new_uint64(t->recovered));
	json_object_object_add(o, "rolled_back", json_object_new_uint64(t->rolled_back));
	json_object_object_add(o, "infra_error", json_object_new_uint64(t->infra));
	return o;
}

static json_object *ring_json(const struct rollout_summary_in *in, const struct rollout_result *r,
			      size_t i)
{
	const struct rollout_ring_result *rr = &r->rings[i];
	json_object *o = json_object_new_object();
	bool all = r->strategy == ROLLOUT_ALL_AT_ONCE;

	json_object_object_add(o, "name",
			       json_object_new_string(all ? "all" : in->spec->rings[i].name));
	json_object_object_add(o, "machines", json_object_new_uint64(rr->n));
	json_object_object_add(o, "reached", json_object_new_boolean(rr->reached));
	json_object_object_add(o, "start_ms", json_object_new_uint64(rr->start_ms));
	json_object_object_add(o, "bake_ms",
			       json_object_new_uint64(all ? 0 : in->spec->rings[i].bake_ms));
	if (rr->gated) {
		json_object *g = json_object_new_object();
		json_object_object_add(g, "at_ms", json_object_new_uint64(rr->gate_ms));
		json_object_object_add(g, "passed", json_object_new_boolean(rr->passed));
		json_object_object_add(g, "down", json_object_new_uint64(rr->gate_down));
		json_object_object_add(g, "allows", json_object_new_uint64(rr->gate_allows));
		json_object_object_add(o, "gate", g);
	}
	json_object_object_add(o, "tally", tally_json(&rr->tally));
	return o;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* [[t_ms, machines down so far], ...]: a point per machine that went down, on the schedule
 * (its ring's start plus the time from delivery to its verdict). */
static json_object *timeline_json(const struct rollout_result *r)
{
	_cleanup_free_ uint64_t *t = xcalloc(r->n_machines + 1, sizeof(uint64_t));
	json_object *a = json_object_new_array();
	size_t n = 0;

	for (size_t i = 0; i < r->n_rings; i++)
		for (size_t m = r->rings[i].first; m < r->rings[i].first + r->rings[i].n; m++)
			if (r->machines[m].updated && rollout_verdict_down(r->machines[m].verdict))
				t[n++] = r->rings[i].start_ms + r->machines[m].down_after_ms;
	qsort(t, n, sizeof(*t), cmp_u64);
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_new_array();
		json_object_array_add(p, json_object_new_uint64(t[i]));
		json_object_array_add(p, json_object_new_uint64(i + 1));
		json_object_array_add(a, p);
	}
	return a;
}

/* Down machines per profile: where the blast landed. */
static json_object *by_profile_json(const struct rollout_summary_in *in,
				    const struct rollout_result *r)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ size_t *down = xcalloc(in->spec->n_profiles, sizeof(size_t));

	for (size_t m = 0; m < r->n_machines; m++)
		if (r->machines[m].updated && rollout_verdict_down(r->machines[m].verdict))
			down[in->plan->machines[m].profile]++;
	for (size_t p = 0; p < in->spec->n_profiles; p++)
		json_object_object_add(o, in->spec->profiles[p].name,
				       json_object_new_uint64(down[p]));
	return o;
}

static json_object *strategy_json(const struct rollout_summary_in *in, size_t k)
{
	const struct rollout_result *r = &in->res[k];
	json_object *o = json_object_new_object(), *rings = json_object_new_array();

	json_object_object_add(o, "variant",
			       in->variants[k] ? json_object_new_string(in->variants[k]) : NULL);
	for (size_t i = 0; i < r->n_rings; i++)
		json_object_array_add(rings, ring_json(in, r, i));
	json_object_object_add(o, "name",
			       json_object_new_string(rollout_strategy_name(r->strategy)));
	json_object_object_add(o, "stopped_at",
			       r->stopped_at == SIZE_MAX
				   ? NULL
				   : json_object_new_string(in->spec->rings[r->stopped_at].name));
	json_object_object_add(o, "interrupted", json_object_new_boolean(r->interrupted));
	json_object_object_add(o, "wall_ms", json_object_new_uint64(r->wall_ms));
	json_object_object_add(o, "end_ms", json_object_new_uint64(r->end_ms));
	json_object_object_add(o, "total", tally_json(&r->total));
	json_object_object_add(o, "down_by_profile", by_profile_json(in, r));
	json_object_object_add(o, "rings", rings);
	json_object_object_add(o, "timeline", timeline_json(r));
	return o;
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

json_object *rollout_summary_json(const struct rollout_summary_in *in)
{
	json_object *o = json_object_new_object(), *profiles = json_object_new_array(),
		    *strategies = json_object_new_array();
	_cleanup_free_ char *answer = rollout_answer(in);
	size_t machines = 0;

	for (size_t p = 0; p < in->spec->n_profiles; p++) {
		const struct rollspec_profile *pr = &in->spec->profiles[p];
		json_object *x = json_object_new_object();
		json_object_object_add(x, "name", json_object_new_string(pr->name));
		json_object_object_add(x, "sensor",
				       json_object_new_string(scenario_sensor(in->sc, pr->sensor)));
		json_object_object_add(x, "weight", json_object_new_uint64(pr->weight));
		json_object_object_add(x, "machines",
				       json_object_new_uint64(in->plan->per_profile[p]));
		json_object_array_add(profiles, x);
	}
	for (size_t k = 0; k < in->n_res; k++) {
		json_object_array_add(strategies, strategy_json(in, k));
		for (size_t m = 0; m < in->res[k].n_machines; m++)
			machines +=
			    in->res[k].machines[m].updated + in->res[k].machines[m].rolled_back;
	}
	json_object_object_add(o, "answer", json_object_new_string(answer));
	json_object_object_add(o, "run_id", json_object_new_string(in->run_id));
	json_object_object_add(o, "scenario", json_object_new_string(scenario_name(in->sc)));
	json_object_object_add(o, "seed", json_object_new_uint64(scenario_seed(in->sc)));
	json_object_object_add(o, "update", json_object_new_string(in->update->id));
	json_object_object_add(o, "fleet", json_object_new_uint64(in->plan->n_machines));
	json_object_object_add(o, "on_gate_failure",
			       json_object_new_string(in->spec->rollback ? "rollback" : "halt"));
	json_object_object_add(o, "profiles", profiles);
	if (in->spec->n_variants) {
		json_object *vs = json_object_new_array();
		for (size_t v = 0; v < in->spec->n_variants; v++) {
			json_object *x = json_object_new_object(), *ps = json_object_new_object();
			const struct rollspec_variant *var = &in->spec->variants[v];
			for (size_t p = 0; p < in->spec->n_profiles; p++)
				json_object_object_add(ps, in->spec->profiles[p].name,
						       json_object_new_string(scenario_sensor(
							   in->sc, var->sensor[p])));
			json_object_object_add(x, "name", json_object_new_string(var->name));
			json_object_object_add(x, "sensors", ps);
			json_object_array_add(vs, x);
		}
		json_object_object_add(o, "variants", vs);
	}
	json_object_object_add(o, "strategies", strategies);
	json_object_object_add(o, "wall_ms", json_object_new_uint64(in->wall_ms));
	json_object_object_add(o, "guest_runs", json_object_new_uint64(machines));
	json_object_object_add(
	    o, "machines_per_min",
	    json_object_new_double(in->wall_ms ? machines * 60000.0 / (double)in->wall_ms : 0));
	json_object_object_add(
	    o, "note",
	    json_object_new_string(
		"every machine's outcome is its own guest's verdict (none extrapolated); times "
		"on the time line are the schedule's (ring start = the bakes before it) plus "
		"each machine's measured time from delivery to its verdict; bakes are not "
		"waited for"));
	return o;
}
