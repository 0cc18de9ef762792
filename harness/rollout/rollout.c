/* rollout.c — see rollout.h. */
#include "rollout.h"

#include <errno.h>
#include <string.h>

#include "util.h"

const char *rollout_strategy_name(enum rollout_strategy s)
{
	return s == ROLLOUT_ALL_AT_ONCE ? "all-at-once" : "rings";
}

bool rollout_verdict_down(enum verdict v)
{
	return v == VERDICT_CRASH || v == VERDICT_HANG || v == VERDICT_BOOT_LOOP;
}

void rollout_tally_add(struct rollout_tally *t, const struct rollout_outcome *o)
{
	if (!o->updated)
		return;
	t->updated++;
	t->down += rollout_verdict_down(o->verdict);
	t->crash += o->verdict == VERDICT_CRASH;
	t->hang += o->verdict == VERDICT_HANG;
	t->boot_loop += o->verdict == VERDICT_BOOT_LOOP;
	t->sensor_died += o->verdict == VERDICT_SENSOR_DIED;
	t->protection_lost += o->verdict == VERDICT_PROTECTION_LOST ||
			      (o->protection && streq(o->protection, "lost"));
	t->recovered += o->verdict == VERDICT_RECOVERED;
	t->rolled_back += o->rolled_back;
	t->infra += verdict_has(o->verdict, VERDICT_ERROR);
}

/* Machines on the fleet: the update (or the previous content) to each, ring by ring. */
struct batch {
	const struct rollout_config *cfg;
	enum rollout_strategy strategy;
	struct rollout_result *res;
	const size_t *machine; /* [case]: index into the plan */
	bool rollback;
	const char *dir; /* relative to cfg->run_dir */
};

static void on_result(void *userdata, size_t si, size_t ci, const struct case_result *res,
		      const char *console_rel)
{
	struct batch *b = userdata;
	const struct rollout_machine *m = &b->cfg->plan->machines[b->machine[ci]];
	struct rollout_outcome *o = &b->res->machines[m->index];
	_cleanup_free_ char *rel = xasprintf("%s/%s", b->dir, console_rel);

	(void)si;
	if (b->rollback) {
		o->rolled_back = true;
		o->rollback_verdict = res->verdict;
	} else {
		o->updated = true;
		o->verdict = res->verdict;
		o->title = res->title ? xstrdup(res->title) : NULL;
		o->protection = res->protection;
		o->down_after_ms =
		    res->verdict_ms > res->deliver_ms ? res->verdict_ms - res->deliver_ms : 0;
		o->console = xstrdup(rel);
	}
	if (b->cfg->on_machine)
		b->cfg->on_machine(b->cfg->userdata, b->strategy, m, res, rel, b->rollback);
}

static bool on_ring_end(void *userdata, size_t done, size_t next);

/* Run content c on machines[first..first+n) whose `want` is set (NULL: all), a batch per ring
 * when staged (the gates read between them, on_ring_end). */
static int run_batch(struct batch *b, const struct scenario_case *c, size_t first, size_t n,
		     const bool *want, bool staged)
{
	const struct rollout_config *cfg = b->cfg;
	size_t np = cfg->spec->n_profiles, k = 0;
	_cleanup_free_ struct scenario_case *cases = xcalloc(n ? n : 1, sizeof(*cases));
	_cleanup_free_ size_t *machine = xcalloc(n ? n : 1, sizeof(size_t));
	_cleanup_free_ size_t *ring = xcalloc(n ? n : 1, sizeof(size_t));
	_cleanup_free_ bool *skip = xcalloc((n ? n : 1) * np, sizeof(bool));
	_cleanup_free_ char *dir = xasprintf("%s/%s", cfg->run_dir, b->dir);
	struct fleet_config fc = *cfg->fleet;

	for (size_t i = first; i < first + n; i++) {
		const struct rollout_machine *m = &cfg->plan->machines[i];
		if (want && !want[i])
			continue;
		cases[k] = *c; /* borrowed bytes; only the id is the machine's */
		cases[k].id = (char *)m->id;
		if (b->rollback)
			cases[k].persist.on = false;
		machine[k] = i;
		ring[k] = m->ring;
		for (size_t p = 0; p < np; p++)
			skip[k * np + p] = p != m->profile;
		k++;
	}
	if (!k)
		return 0;
	b->machine = machine;
	fc.cases = cases;
	fc.n_cases = k;
	fc.skip = skip;
	fc.on_result = on_result;
	fc.userdata = b;
	fc.run_dir = dir;
	if (staged) {
		fc.batch = ring;
		fc.on_batch_end = on_ring_end;
	}
	return fleet_run(&fc);
}

/* What ring r's gate sees: its machines down (by the gate's verdicts) within the bake. */
static void read_gate(const struct rollout_config *cfg, struct rollout_result *res, size_t r)
{
	const struct rollspec_ring *g = &cfg->spec->rings[r];
	struct rollout_ring_result *rr = &res->rings[r];

	rr->gated = g->gate;
	rr->gate_allows = g->gate ? rollout_gate_allowed(g, rr->n) : rr->n;
	for (size_t i = rr->first; i < rr->first + rr->n; i++) {
		const struct rollout_outcome *o = &res->machines[i];
		if (o->updated && (g->down_mask >> o->verdict & 1) &&
		    (!g->bake_ms || o->down_after_ms <= g->bake_ms))
			rr->gate_down++;
	}
	rr->passed = rollout_gate_passes(g, rr->n, rr->gate_down);
}

static uint64_t ring_end(const struct rollout_result *res, size_t r)
{
	const struct rollout_ring_result *rr = &res->rings[r];
	uint64_t end = rr->gate_ms;

	for (size_t i = rr->first; i < rr->first + rr->n; i++)
		if (res->machines[i].updated && res->machines[i].down_after_ms + rr->start_ms > end)
			end = res->machines[i].down_after_ms + rr->start_ms;
	return end;
}

/* Between two rings' batches: the gates of the rings done; false (the run ends) at the first
 * that failed. */
static bool on_ring_end(void *userdata, size_t done, size_t next)
{
	struct batch *b = userdata;
	struct rollout_result *res = b->res;

	for (size_t r = done; r < next && r < res->n_rings; r++) {
		read_gate(b->cfg, res, r);
		res->end_ms = ring_end(res, r);
		if (!res->rings[r].passed) {
			res->stopped_at = r;
			return false;
		}
	}
	for (size_t r = done + 1; r <= next && r < res->n_rings; r++)
		res->rings[r].reached = true;
	return true;
}

/* The gate of ring r failed: the previous content to every updated machine that is up. */
static int rollback(struct batch *b, size_t r)
{
	const struct rollout_config *cfg = b->cfg;
	struct rollout_result *res = b->res;
	size_t end = res->rings[r].first + res->rings[r].n;
	_cleanup_free_ bool *want = xcalloc(end ? end : 1, sizeof(bool));

	for (size_t i = 0; i < end; i++) {
		const struct rollout_outcome *o = &res->machines[i];
		want[i] = o->updated && !rollout_verdict_down(o->verdict) &&
			  !verdict_has(o->verdict, VERDICT_ERROR);
	}
	b->rollback = true;
	b->dir = "rings/rollback";
	return run_batch(b, cfg->previous, 0, end, want, false);
}

static void init_rings(const struct rollout_config *cfg, enum rollout_strategy s,
		       struct rollout_result *res)
{
	const struct rollout_plan *p = cfg->plan;
	uint64_t t = 0;

	res->n_rings = s == ROLLOUT_ALL_AT_ONCE ? 1 : p->n_rings;
	res->rings = xcalloc(res->n_rings, sizeof(*res->rings));
	if (s == ROLLOUT_ALL_AT_ONCE) {
		res->rings[0] = (struct rollout_ring_result){.n = p->n_machines, .passed = true};
		return;
	}
	for (size_t r = 0; r < p->n_rings; r++) {
		struct rollout_ring_result *rr = &res->rings[r];
		rr->first = p->ring_first[r];
		rr->n = p->ring_first[r + 1] - p->ring_first[r];
		rr->start_ms = t;
		rr->gate_ms = t + cfg->spec->rings[r].bake_ms;
		t = rr->gate_ms;
	}
}

int rollout_run(const struct rollout_config *cfg, enum rollout_strategy s,
		struct rollout_result *ret)
{
	struct rollout_result res = {.strategy = s, .stopped_at = SIZE_MAX};
	struct batch b = {.cfg = cfg, .strategy = s, .res = &res};
	uint64_t start = now_ms();
	int r = 0;

	if (cfg->fleet->n_sensors != cfg->spec->n_profiles)
		return -EINVAL;
	res.machines = xcalloc(cfg->plan->n_machines, sizeof(*res.machines));
	res.n_machines = cfg->plan->n_machines;
	init_rings(cfg, s, &res);
	b.dir = rollout_strategy_name(s);
	res.rings[0].reached = true;
	r = run_batch(&b, cfg->update, 0, cfg->plan->n_machines, NULL, s == ROLLOUT_RINGS);
	if (r == 0 && res.stopped_at == SIZE_MAX) {
		/* the last ring reached: its gate, if it has one, was not read between batches */
		size_t last = 0;
		for (size_t i = 0; i < res.n_rings; i++)
			if (res.rings[i].reached)
				last = i;
		if (s == ROLLOUT_RINGS)
			read_gate(cfg, &res, last);
		res.end_ms = ring_end(&res, last);
		if (!res.rings[last].passed)
			res.stopped_at = last;
	}
	if (r == 0 && res.stopped_at != SIZE_MAX && cfg->spec->rollback && cfg->previous)
		r = rollback(&b, res.stopped_at);
	res.interrupted = r == -ECANCELED;
	for (size_t i = 0; i < res.n_rings; i++) {
		struct rollout_ring_result *rr = &res.rings[i];
		for (size_t m = rr->first; m < rr->first + rr->n; m++) {
			rollout_tally_add(&rr->tally, &res.machines[m]);
			rollout_tally_add(&res.total, &res.machines[m]);
		}
	}
	res.wall_ms = now_ms() - start;
	if (r < 0 && r != -ECANCELED) {
		rollout_result_finish(&res);
		return r;
	}
	*ret = res;
	return 0;
}

void rollout_result_finish(struct rollout_result *r)
{
	for (size_t i = 0; r->machines && i < r->n_machines; i++) {
		free(r->machines[i].title);
		free(r->machines[i].console);
	}
	free(r->machines);
	free(r->rings);
	*r = (struct rollout_result){0};
}
