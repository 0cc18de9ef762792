/* rollspec.c — see rollspec.h. Like scenario.c, it keeps going after an error so that one
 * `faultline validate` shows every problem of the two sections. */
#include "rollspec.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "sensor.h"
#include "util.h"
#include "verdict.h"
#include "ynode.h"

struct rctx {
	struct ynode_ctx y; /* the scenario's file, its diags and the errors counted */
	const char *const *sensors;
	size_t n_sensors;
};

/* A problem at node `at` (NULL: the file), counted: shorthand for the reader's own. */
#define rerr(c, at, ...) ynode_error(&(c)->y, (at), __VA_ARGS__)

/* A non-empty string (ynode_want_string()), the rollout sections' names and values. */
static const char *scalar(struct rctx *c, const struct ynode *n, const char *what)
{
	return ynode_want_string(&c->y, n, what, YNODE_NONEMPTY);
}

/* "10%", "0.5%" or a whole number. */
static bool amount(struct rctx *c, const struct ynode *n, const char *what,
		   struct rollspec_amount *ret)
{
	const char *s = scalar(c, n, what);
	char *end;
	double v;

	if (!s)
		return false;
	if (s[strlen(s) - 1] == '%') {
		errno = 0;
		v = strtod(s, &end);
		if (errno || end == s || *end != '%' || end[1] || !(v >= 0 && v <= 100)) {
			rerr(c, n, "bad %s '%s'; expected a percentage from 0%% to 100%%", what, s);
			return false;
		}
		*ret = (struct rollspec_amount){.percent = true, .value = v};
		return true;
	}
	uint64_t x;
	if (!ynode_want_uint(&c->y, n, what, 0, ROLLSPEC_MAX_FLEET, &x))
		return false;
	*ret = (struct rollspec_amount){.value = (double)x};
	return true;
}

/* Names become file and folder names (a variant's output folder): '.' and '..' are not. */
static bool safe_name(const char *s)
{
	if (!*s || streq(s, ".") || streq(s, ".."))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* The name of item i (names[i], stride bytes apart) must not be an earlier item's. */
static void unique_name(struct rctx *c, const struct ynode *at, const char *what,
			char *const *names, size_t stride, size_t i)
{
	const char *name = *(char *const *)((const char *)names + i * stride);

	for (size_t k = 0; k < i && name; k++) {
		const char *other = *(char *const *)((const char *)names + k * stride);
		if (other && streq(other, name)) {
			rerr(c, at, "%s '%s' is named twice", what, name);
			return;
		}
	}
}

unsigned rollspec_default_down(void)
{
	return 1u << VERDICT_CRASH | 1u << VERDICT_HANG | 1u << VERDICT_BOOT_LOOP;
}

/* ---- profiles ---- */

static void load_event(struct rctx *c, const struct ynode *n, struct rollspec_event *e)
{
	static const char *const keys[] = {"exec", "open", "at", "jitter", "repeat", "every", NULL};
	struct ynode *x = ynode_get(n, "exec"), *o = ynode_get(n, "open"), *v;
	const char *s;
	uint64_t u;

	e->repeat = 1;
	if (!ynode_want_map(&c->y, n, "a workload event", "{exec: NAME, at: 1s}"))
		return;
	ynode_want_keys(&c->y, n, "workload event", keys);
	if (!!x == !!o)
		rerr(c, n, "a workload event needs exec: NAME or open: PATH (one of them)");
	else if (x && (s = scalar(c, x, "exec"))) {
		if (strlen(s) > SENSOR_COMM_MAX || strchr(s, '/') || !safe_name(s))
			rerr(c, x,
			     "exec '%s' is not a program name; expected at most %d letters, "
			     "digits, '-', '_' or '.' (the kernel's comm)",
			     s, SENSOR_COMM_MAX);
		else
			e->what = xstrdup(s);
		e->kind = ROLLSPEC_EXEC;
	} else if (o && (s = scalar(c, o, "open"))) {
		if (s[0] != '/' || strchr(s, '\'') || strchr(s, '\n'))
			rerr(c, o, "open '%s' must be an absolute guest path without quotes", s);
		else
			e->what = xstrdup(s);
		e->kind = ROLLSPEC_OPEN;
	}
	if ((v = ynode_get(n, "at")))
		ynode_want_duration(&c->y, v, "at", 0, YNODE_DURATION_MAX_MS, &e->at_ms);
	if ((v = ynode_get(n, "jitter")))
		ynode_want_duration(&c->y, v, "jitter", 0, YNODE_DURATION_MAX_MS, &e->jitter_ms);
	if ((v = ynode_get(n, "every")))
		ynode_want_duration(&c->y, v, "every", 0, YNODE_DURATION_MAX_MS, &e->every_ms);
	if ((v = ynode_get(n, "repeat")) && ynode_want_uint(&c->y, v, "repeat", 1, 1000, &u))
		e->repeat = (unsigned)u;
	if (e->repeat > 1 && !ynode_get(n, "every"))
		rerr(c, n, "repeat: %u needs every: (the time between two of them)", e->repeat);
}

static size_t sensor_index(struct rctx *c, const struct ynode *n)
{
	const char *s = scalar(c, n, "sensor");

	for (size_t i = 0; s && i < c->n_sensors; i++)
		if (streq(c->sensors[i], s))
			return i;
	if (s)
		rerr(c, n, "profile sensor '%s' is not one of the scenario's sensors:", s);
	return 0;
}

/* system: one of the full systems a guest: can name; those are amd64 only. */
static void load_profile_system(struct rctx *c, const struct ynode *v, struct rollspec_profile *p)
{
	const char *s = scalar(c, v, "profile system");
	const char *const *k = sensor_guest_systems();

	if (!s)
		return;
	while (*k && !streq(*k, s))
		k++;
	if (!*k)
		rerr(c, v, "unknown profile system '%s'; expected debian-12", s);
	else if (p->arch && streq(p->arch, "arm64"))
		rerr(c, v, "profile system %s is amd64 only; expected no arch: arm64 beside it", s);
	else
		p->system = xstrdup(s);
}

static void load_profile(struct rctx *c, const struct ynode *n, struct rollspec_profile *p)
{
	static const char *const keys[] = {"name",     "weight", "sensor", "memory", "cmdline",
					   "workload", "kernel", "arch",   "system", NULL};
	struct ynode *v;
	const char *s;
	uint64_t u;

	if (!ynode_want_map(&c->y, n, "a profile", "{name: office, weight: 60, ...}"))
		return;
	ynode_want_keys(&c->y, n, "profile", keys);
	if (!(v = ynode_get(n, "name")))
		rerr(c, n, "profile without a name:");
	else if ((s = scalar(c, v, "profile name")) && !safe_name(s))
		rerr(c, v,
		     "profile name '%s' must be letters, digits, '-', '_' or '.', not '.' or '..'",
		     s);
	else if (s)
		p->name = xstrdup(s);
	if (!(v = ynode_get(n, "weight")))
		rerr(c, n, "profile '%s' has no weight: (its share of the fleet, at least 1)",
		     p->name ? p->name : "?");
	else if (ynode_want_uint(&c->y, v, "weight", 1, 1000000, &u))
		p->weight = (unsigned)u;
	if ((v = ynode_get(n, "sensor")))
		p->sensor = sensor_index(c, v);
	if ((v = ynode_get(n, "memory")) &&
	    ynode_want_uint(&c->y, v, "profile memory (MiB)", 64, 1 << 20, &u))
		p->memory_mib = (unsigned)u;
	if ((v = ynode_get(n, "cmdline")) && (s = scalar(c, v, "cmdline")))
		p->cmdline = xstrdup(s);
	if ((v = ynode_get(n, "kernel")) && (s = scalar(c, v, "profile kernel"))) {
		/* the name is part of a cell's name, which names folders of the run */
		if (s[0] == '.' ||
		    s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"0123456789-_.+")] != '\0')
			rerr(c, v,
			     "bad profile kernel '%s'; expected debian-11, debian-12, debian-13 or "
			     "a "
			     "kernel version",
			     s);
		else
			p->kernel = xstrdup(s);
	}
	if ((v = ynode_get(n, "arch")) && (s = scalar(c, v, "profile arch"))) {
		if (!streq(s, "amd64") && !streq(s, "arm64"))
			rerr(c, v, "unknown profile arch '%s'; expected amd64 or arm64", s);
		else if (streq(s, "arm64") && !p->kernel)
			rerr(c, v,
			     "profile arch arm64 needs kernel: beside it (the arm64 kernel is "
			     "fetched by name); expected e.g. kernel: debian-12");
		else
			p->arch = xstrdup(s);
	}
	if ((v = ynode_get(n, "system")))
		load_profile_system(c, v, p);
	if (!(v = ynode_get(n, "workload")))
		return;
	if (!ynode_want_seq(&c->y, v, "workload", "events", 0))
		return;
	p->events = xcalloc(v->n ? v->n : 1, sizeof(*p->events));
	p->n_events = v->n;
	for (size_t i = 0; i < v->n; i++)
		load_event(c, v->items[i], &p->events[i]);
}

static void load_profiles(struct rctx *c, const struct ynode *n, struct rollspec *r)
{
	if (!ynode_want_seq(&c->y, n, "profiles", "profiles", 1))
		return;
	r->profiles = xcalloc(n->n, sizeof(*r->profiles));
	r->n_profiles = n->n;
	for (size_t i = 0; i < n->n; i++) {
		load_profile(c, n->items[i], &r->profiles[i]);
		unique_name(c, n->items[i], "profile", &r->profiles[0].name, sizeof(*r->profiles),
			    i);
	}
}

/* ---- rollout ---- */

static void load_gate(struct rctx *c, const struct ynode *n, struct rollspec_ring *g)
{
	static const char *const keys[] = {"max_down", "down", NULL};
	struct ynode *v;
	const char *s;
	int vd;

	g->gate = true;
	g->down_mask = rollspec_default_down();
	if (!ynode_want_map(&c->y, n, "gate", "{max_down: 0}"))
		return;
	ynode_want_keys(&c->y, n, "gate", keys);
	if (!(v = ynode_get(n, "max_down")))
		rerr(c, n, "gate without max_down: (a count, or a percentage of the ring)");
	else
		amount(c, v, "max_down", &g->max_down);
	if (!(v = ynode_get(n, "down")))
		return;
	if (v->kind != YNODE_SEQ || v->n == 0) {
		rerr(c, v, "down must be a non-empty list of verdicts ([%s, %s, %s])",
		     verdict_name(VERDICT_CRASH), verdict_name(VERDICT_HANG),
		     verdict_name(VERDICT_BOOT_LOOP));
		return;
	}
	g->down_mask = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (!(s = scalar(c, v->items[i], "verdict")))
			continue;
		vd = verdict_from_name(s);
		if (vd < 0 || verdict_has((enum verdict)vd, VERDICT_ERROR))
			rerr(c, v->items[i], "unknown verdict '%s' in the gate; expected %s", s,
			     verdict_expectable_list());
		else
			g->down_mask |= 1u << vd;
	}
}

static void load_ring(struct rctx *c, const struct ynode *n, struct rollspec_ring *g)
{
	static const char *const keys[] = {"name", "size", "bake", "gate", NULL};
	struct ynode *v;
	const char *s;

	if (!ynode_want_map(&c->y, n, "a ring", "{name: canary, size: 1%}"))
		return;
	ynode_want_keys(&c->y, n, "ring", keys);
	if (!(v = ynode_get(n, "name")))
		rerr(c, n, "ring without a name:");
	else if ((s = scalar(c, v, "ring name")) && !safe_name(s))
		rerr(c, v,
		     "ring name '%s' must be letters, digits, '-', '_' or '.', not '.' or '..'", s);
	else if (s)
		g->name = xstrdup(s);
	if (!(v = ynode_get(n, "size")))
		rerr(c, n, "ring without a size: (a count, a percentage, or rest)");
	else if (v->kind == YNODE_SCALAR && streq(v->scalar, "rest"))
		g->rest = true;
	else
		amount(c, v, "ring size", &g->size);
	if ((v = ynode_get(n, "bake")))
		ynode_want_duration(&c->y, v, "bake", 0, YNODE_DURATION_MAX_MS, &g->bake_ms);
	if ((v = ynode_get(n, "gate")))
		load_gate(c, v, g);
}

/* The rings' sizes against the fleet: only the last may be rest, the others may not add up to
 * more than the fleet, and without rest they must cover it. */
static void check_rings(struct rctx *c, const struct ynode *rings, struct rollspec *r)
{
	unsigned long long sum = 0;

	for (size_t i = 0; i < r->n_rings; i++) {
		const struct rollspec_ring *g = &r->rings[i];

		if (g->rest && i + 1 < r->n_rings)
			rerr(c, rings->items[i], "only the last ring may have size: rest");
		if (!g->rest)
			sum += rollspec_ring_want(&g->size, r->fleet);
	}
	if (sum > r->fleet)
		rerr(c, rings, "the rings add up to %llu machines, more than the fleet of %u", sum,
		     r->fleet);
	else if (r->n_rings && !r->rings[r->n_rings - 1].rest && sum < r->fleet)
		rerr(c, rings,
		     "the rings reach %llu of the fleet's %u machines; give the last ring size: "
		     "rest",
		     sum, r->fleet);
}

unsigned long long rollspec_ring_want(const struct rollspec_amount *a, unsigned fleet)
{
	if (!a->percent)
		return (unsigned long long)a->value;
	double m = a->value * fleet / 100.0;
	unsigned long long n = (unsigned long long)m;

	if (m - (double)n > 1e-9) /* rounded up */
		n++;
	return n == 0 && a->value > 0 ? 1 : n;
}

static size_t profile_index(const struct rollspec *r, const char *name)
{
	for (size_t i = 0; i < r->n_profiles; i++)
		if (r->profiles[i].name && streq(r->profiles[i].name, name))
			return i;
	return SIZE_MAX;
}

/* A variant: every profile on one sensor (sensor:), or some on others (sensors: {P: S}). */
static void load_variant(struct rctx *c, const struct ynode *n, const struct rollspec *r,
			 struct rollspec_variant *x)
{
	static const char *const keys[] = {"name", "sensor", "sensors", NULL};
	struct ynode *v, *m;
	const char *s;

	x->sensor = xcalloc(r->n_profiles + 1, sizeof(size_t));
	for (size_t p = 0; p < r->n_profiles; p++)
		x->sensor[p] = r->profiles[p].sensor;
	if (!ynode_want_map(&c->y, n, "a variant", "{name: one-vendor, sensor: NAME}"))
		return;
	ynode_want_keys(&c->y, n, "variant", keys);
	if (!(v = ynode_get(n, "name")))
		rerr(c, n, "variant without a name:");
	else if ((s = scalar(c, v, "variant name")) && !safe_name(s))
		rerr(c, v,
		     "variant name '%s' must be letters, digits, '-', '_' or '.', not '.' or '..'",
		     s);
	else if (s)
		x->name = xstrdup(s);
	v = ynode_get(n, "sensor");
	m = ynode_get(n, "sensors");
	if (!!v == !!m)
		rerr(c, n,
		     "a variant needs sensor: NAME (every profile) or sensors: {PROFILE: NAME}");
	if (v) {
		size_t si = sensor_index(c, v);
		for (size_t p = 0; p < r->n_profiles; p++)
			x->sensor[p] = si;
	}
	if (m && !ynode_want_map(&c->y, m, "sensors", "{PROFILE: SENSOR}"))
		m = NULL;
	for (size_t i = 0; m && i < m->n; i++) {
		size_t p = profile_index(r, m->keys[i]->scalar);
		if (p == SIZE_MAX)
			rerr(c, m->keys[i], "variant names profile '%s', which profiles: has not",
			     m->keys[i]->scalar);
		else
			x->sensor[p] = sensor_index(c, m->items[i]);
	}
}

static void load_variants(struct rctx *c, const struct ynode *n, struct rollspec *r)
{
	if (!ynode_want_seq(&c->y, n, "variants", "variants", 1))
		return;
	r->variants = xcalloc(n->n, sizeof(*r->variants));
	r->n_variants = n->n;
	for (size_t i = 0; i < n->n; i++) {
		load_variant(c, n->items[i], r, &r->variants[i]);
		unique_name(c, n->items[i], "variant", &r->variants[0].name, sizeof(*r->variants),
			    i);
	}
}

static void load_rollout(struct rctx *c, const struct ynode *n, const char *const *cases,
			 size_t n_cases, struct rollspec *r)
{
	static const char *const keys[] = {"case",     "fleet", "rings", "on_gate_failure",
					   "variants", NULL};
	static const char *const on_failure[] = {"halt", "rollback", NULL};
	struct ynode *v;
	const char *s;
	uint64_t u;

	r->has_rollout = true;
	if (!ynode_want_map(&c->y, n, "rollout", "fleet:, rings:"))
		return;
	ynode_want_keys(&c->y, n, "rollout", keys);
	if ((v = ynode_get(n, "case")) && (s = scalar(c, v, "case"))) {
		bool found = false;
		for (size_t i = 0; i < n_cases; i++)
			found = found || streq(cases[i], s);
		if (!found)
			rerr(c, v, "rollout case '%s' is not one of the scenario's cases:", s);
		r->case_name = xstrdup(s);
	}
	if (!(v = ynode_get(n, "fleet")))
		rerr(c, n, "rollout without fleet: (the number of machines)");
	else if (ynode_want_uint(&c->y, v, "rollout fleet", 1, ROLLSPEC_MAX_FLEET, &u))
		r->fleet = (unsigned)u;
	if ((s = ynode_want_enum(&c->y, ynode_get(n, "on_gate_failure"), "on_gate_failure",
				 on_failure)))
		r->rollback = streq(s, "rollback");
	if ((v = ynode_get(n, "variants")))
		load_variants(c, v, r);
	if (!(v = ynode_get(n, "rings"))) {
		rerr(c, n, "rollout without rings:");
		return;
	}
	if (!ynode_want_seq(&c->y, v, "rings", "rings", 1))
		return;
	r->rings = xcalloc(v->n, sizeof(*r->rings));
	r->n_rings = v->n;
	for (size_t i = 0; i < v->n; i++) {
		load_ring(c, v->items[i], &r->rings[i]);
		unique_name(c, v->items[i], "ring", &r->rings[0].name, sizeof(*r->rings), i);
	}
	if (r->fleet)
		check_rings(c, v, r);
}

unsigned rollspec_load(const char *file, const struct ynode *doc, const char *const *sensors,
		       size_t n_sensors, const char *const *cases, size_t n_cases,
		       struct diags *diags, struct rollspec **ret)
{
	struct rctx c = {
	    .y = {.file = file, .diags = diags}, .sensors = sensors, .n_sensors = n_sensors};
	struct ynode *p = ynode_get(doc, "profiles"), *ro = ynode_get(doc, "rollout");
	struct rollspec *r;

	*ret = NULL;
	if (!p && !ro)
		return 0;
	r = xzalloc(sizeof(*r));
	if (p)
		load_profiles(&c, p, r);
	if (ro) {
		load_rollout(&c, ro, cases, n_cases, r);
		if (!p)
			rerr(&c, ro, "rollout: needs profiles: (the machines it is deployed to)");
	}
	if (c.y.errors) {
		rollspec_free(r);
		return c.y.errors;
	}
	*ret = r;
	return 0;
}

struct rollspec *rollspec_free(struct rollspec *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_profiles; i++) {
		struct rollspec_profile *p = &r->profiles[i];
		for (size_t k = 0; k < p->n_events; k++)
			free(p->events[k].what);
		free(p->events);
		free(p->name);
		free(p->cmdline);
		free(p->kernel);
		free(p->arch);
		free(p->system);
	}
	free(r->profiles);
	for (size_t i = 0; i < r->n_rings; i++)
		free(r->rings[i].name);
	free(r->rings);
	for (size_t i = 0; i < r->n_variants; i++) {
		free(r->variants[i].name);
		free(r->variants[i].sensor);
	}
	free(r->variants);
	free(r->case_name);
	free(r);
	return NULL;
}
