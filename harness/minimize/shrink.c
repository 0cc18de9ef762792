/* shrink.c — the stages, delta debugging over their units, the answers asked of the oracle and
 * the step list (see shrink.h). */
#include <json-c/json.h>
#include <stdarg.h>

#include "mutate.h"
#include "shrink-internal.h"
#include "util.h"

struct shrinker {
	const struct shrink_config *cfg;
	struct shrink_result *res;
	uint8_t *cur; /* the smallest input so far that fails the same way */
	size_t cur_size;
	char cur_sha[65];
	char data_sha[65]; /* the input as recorded: it failed, so it counts as an answer */
	bool stopped;
};

_printf_(2, 3) static void say(struct shrinker *s, const char *fmt, ...)
{
	_cleanup_free_ char *line = NULL;
	va_list ap;

	if (!s->cfg->progress)
		return;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	s->cfg->progress(s->cfg->userdata, line);
}

_printf_(2, 3) static void note(struct shrinker *s, const char *fmt, ...)
{
	char *line;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	say(s, "%s", line);
	lines_push(&s->res->notes, &s->res->n_notes, line);
}

/* ---- steps and answers ---- */

static struct shrink_step *new_step(struct shrinker *s, const char *stage, char *what,
				    const uint8_t *data, size_t size)
{
	struct shrink_result *r = s->res;
	struct shrink_step *st;

	r->steps = xreallocarray(r->steps, r->n_steps + 1, sizeof(*r->steps));
	st = &r->steps[r->n_steps];
	*st = (struct shrink_step){
	    .n = r->n_steps + 1, .stage = stage, .what = what, .size = size, .how = SHRINK_NOT_RUN};
	r->n_steps++;
	if (data)
		sha256_hex(data, size, st->sha256);
	return st;
}

static void take_answer(struct shrink_step *st, struct shrink_answer *a)
{
	st->how = a->done ? SHRINK_RAN : SHRINK_NOT_RUN;
	st->same = a->done && a->same;
	st->verdict = TAKE_PTR(a->verdict);
	st->title = TAKE_PTR(a->title);
	st->where = TAKE_PTR(a->where);
	if (!a->done)
		st->note = xstrdup("stopped before it ran");
}

/* An earlier answer for these bytes: 0 for the input as recorded, a step number, or -1. */
static ssize_t cached(struct shrinker *s, const char *sha, size_t before, bool *ret_same)
{
	if (streq(sha, s->data_sha)) {
		*ret_same = true;
		return 0;
	}
	for (size_t i = 0; i < before; i++) {
		const struct shrink_step *st = &s->res->steps[i];

		if (st->how == SHRINK_RAN && streq(st->sha256, sha)) {
			*ret_same = st->same;
			return (ssize_t)st->n;
		}
	}
	return -1;
}

static void adopt(struct shrinker *s, struct shrink_step *st, uint8_t *data, size_t size)
{
	free(s->cur);
	s->cur = data;
	s->cur_size = size;
	memcpy(s->cur_sha, st->sha256, sizeof(s->cur_sha));
	st->kept = true;
}

/* ---- one ddmin round: the first candidate that fails the same way ---- */

struct cand {
	uint8_t *data;
	size_t size;
	size_t step; /* index into res->steps */
	size_t order;
};

struct round {
	const char *stage;
	const struct shrink_units *u;
	bool **masks;
	char **whats;
	size_t n;
};

static void cands_free(struct cand *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].data);
}

/* Build candidate j into a new step; false when it is no usable input (the step says why). */
static bool build(struct shrinker *s, const struct round *rd, size_t j, struct cand *ret)
{
	_cleanup_free_ char *err = NULL;
	uint8_t *data = NULL;
	size_t size = 0;
	int r = rd->u->build(rd->u->ctx, rd->masks[j], &data, &size, &err);
	struct shrink_step *st =
	    new_step(s, rd->stage, xstrdup(rd->whats[j]), r < 0 ? NULL : data, r < 0 ? 0 : size);

	if (r < 0) {
		st->how = SHRINK_NOT_RUN;
		st->note = xasprintf("not tried: %s", err ? err : strerror(-r));
		say(s, "step %zu: %s: %s", st->n, st->what, st->note);
		return false;
	}
	*ret = (struct cand){.data = data, .size = size, .step = s->res->n_steps - 1, .order = j};
	return true;
}

/* Ask the oracle about a batch; the answers go into the steps. */
static int ask(struct shrinker *s, struct cand *batch, size_t nb)
{
	_cleanup_free_ struct shrink_candidate *c = xcalloc(nb, sizeof(*c));
	_cleanup_free_ struct shrink_answer *a = xcalloc(nb, sizeof(*a));
	int r;

	for (size_t i = 0; i < nb; i++) {
		struct shrink_step *st = &s->res->steps[batch[i].step];
		c[i] = (struct shrink_candidate){.data = batch[i].data,
						 .size = batch[i].size,
						 .step = st->n,
						 .stage = st->stage,
						 .what = st->what};
	}
	r = s->cfg->oracle(s->cfg->userdata, c, nb, a);
	for (size_t i = 0; i < nb; i++) {
		take_answer(&s->res->steps[batch[i].step], &a[i]);
		s->res->oracle_runs += a[i].done;
		free(a[i].verdict);
		free(a[i].title);
		free(a[i].where);
	}
	if (r == -ECANCELED)
		s->stopped = true;
	return r;
}

/* Copy answers to the steps that repeated a candidate of the same batch. */
static void resolve_repeats(struct shrinker *s, size_t from)
{
	for (size_t i = from; i < s->res->n_steps; i++) {
		struct shrink_step *st = &s->res->steps[i];

		if (st->how == SHRINK_CACHED && st->same_as > 0)
			st->same = s->res->steps[st->same_as - 1].same;
	}
}

/* Candidates of rd in order, in batches, until one fails the same way: it is adopted and its
 * index returned; -1 when none does; -ECANCELED when the oracle stopped. */
static ssize_t first_same(struct shrinker *s, const struct round *rd)
{
	size_t max = s->cfg->batch_max ? s->cfg->batch_max : 8;
	size_t j = 0;

	while (j < rd->n) {
		_cleanup_free_ struct cand *batch = xcalloc(max, sizeof(*batch));
		size_t nb = 0, first_step = s->res->n_steps;
		struct cand hit = {.order = SIZE_MAX};
		ssize_t found = -1;
		int r;

		while (j < rd->n && nb < max && hit.order == SIZE_MAX) {
			struct cand c;
			struct shrink_step *st;
			bool same;
			ssize_t prev;

			if (!build(s, rd, j++, &c))
				continue;
			st = &s->res->steps[c.step];
			prev = cached(s, st->sha256, s->res->n_steps - 1, &same);
			st->how = SHRINK_CACHED;
			if (prev < 0) {
				/* a repeat of a candidate waiting in this batch: it comes later
				 * than that one, so it is never the first to fail the same way */
				for (size_t k = 0; k < nb && prev < 0; k++)
					if (streq(s->res->steps[batch[k].step].sha256, st->sha256))
						prev = (ssize_t)s->res->steps[batch[k].step].n;
				if (prev < 0) {
					st->how = SHRINK_NOT_RUN;
					batch[nb++] = c;
					continue;
				}
				st->same_as = (size_t)prev;
				free(c.data);
				continue;
			}
			st->same_as = (size_t)prev;
			st->same = same;
			if (same)
				hit = c;
			else
				free(c.data);
		}
		if (nb > 0) {
			r = ask(s, batch, nb);
			resolve_repeats(s, first_step);
			if (r < 0) {
				cands_free(batch, nb);
				free(hit.data);
				return r;
			}
		}
		for (size_t k = 0; k < nb && found < 0; k++)
			if (s->res->steps[batch[k].step].same) {
				adopt(s, &s->res->steps[batch[k].step], TAKE_PTR(batch[k].data),
				      batch[k].size);
				found = (ssize_t)batch[k].order;
			}
		if (found < 0 && hit.order != SIZE_MAX) {
			adopt(s, &s->res->steps[hit.step], TAKE_PTR(hit.data), hit.size);
			found = (ssize_t)hit.order;
		}
		cands_free(batch, nb);
		free(hit.data);
		if (found >= 0)
			return found;
	}
	return -1;
}

/* ---- ddmin ---- */

/* "keep 2 of 4 mutations: #1 drop ..., #3 ..." for the step list. */
static char *describe(const struct shrink_units *u, const char *verb, const char *what,
		      const size_t *idx, size_t n, size_t of)
{
	char *s = xasprintf("%s %zu of %zu %s:", verb, n, of, what), *t;

	for (size_t i = 0; i < n && i < 3; i++) {
		_cleanup_free_ char *name = u->name(u->ctx, idx[i]);
		t = xasprintf("%s%s %s", s, i ? ";" : "", name);
		free(s);
		s = t;
	}
	if (n > 3) {
		t = xasprintf("%s; and %zu more", s, n - 3);
		free(s);
		s = t;
	}
	return s;
}

static const char *units_word(const char *stage)
{
	return streq(stage, "ops")	? "mutations"
	       : streq(stage, "fields") ? "field changes"
					: "changed bytes";
}

/* The candidates of one round at granularity n over the units c: each part alone, then all
 * but each part (for n = 2 these are the same; for n = 1 the one "all but" is the seed). */
static void round_init(struct round *rd, const char *stage, const struct shrink_units *u,
		       const size_t *c, size_t nc, size_t n)
{
	const char *drop = streq(stage, "fields") ? "revert" : "drop";

	*rd = (struct round){.stage = stage, .u = u};
	rd->masks = xcalloc(2 * n, sizeof(*rd->masks));
	rd->whats = xcalloc(2 * n, sizeof(*rd->whats));
	for (int pass = 0; pass < 2; pass++) {
		if ((pass == 0 && n == 1) || (pass == 1 && n == 2))
			continue;
		for (size_t i = 0; i < n; i++) {
			size_t a = i * nc / n, b = (i + 1) * nc / n;
			bool *m = xcalloc(u->n ? u->n : 1, sizeof(bool));

			for (size_t k = 0; k < nc; k++)
				m[c[k]] = pass == 0 ? (k >= a && k < b) : !(k >= a && k < b);
			rd->masks[rd->n] = m;
			rd->whats[rd->n] =
			    pass == 0 ? describe(u, "keep", units_word(stage), c + a, b - a, nc)
				      : describe(u, drop, units_word(stage), c + a, b - a, nc);
			rd->n++;
		}
	}
}

static void round_finish(struct round *rd)
{
	for (size_t i = 0; i < rd->n; i++) {
		free(rd->masks[i]);
		free(rd->whats[i]);
	}
	free(rd->masks);
	free(rd->whats);
}

static bool *all_kept(size_t n)
{
	bool *keep = xcalloc(n ? n : 1, sizeof(*keep));

	for (size_t i = 0; i < n; i++)
		keep[i] = true;
	return keep;
}

/* Shrink the set of units kept, starting from all of them, to a 1-minimal one; *ret_keep (u->n
 * entries, caller frees; NULL: not wanted) says which are left, also when stopped. Returns 0,
 * -ECANCELED or the oracle's error. */
static int ddmin(struct shrinker *s, const char *stage, const struct shrink_units *u,
		 bool **ret_keep)
{
	_cleanup_free_ size_t *c = xcalloc(u->n ? u->n : 1, sizeof(*c));
	size_t nc = u->n, gran = 2;
	int r = 0;

	for (size_t i = 0; i < u->n; i++)
		c[i] = i;
	while (nc > 0) {
		size_t n = gran < nc ? gran : nc, parts = n == 1 ? 0 : n;
		struct round rd;
		ssize_t w;

		round_init(&rd, stage, u, c, nc, n);
		w = first_same(s, &rd);
		round_finish(&rd);
		if (w < 0 && w != -1) {
			r = (int)w;
			break;
		}
		if (w >= 0) {
			size_t i = (size_t)w < parts ? (size_t)w : (size_t)w - parts;
			size_t a = i * nc / n, b = (i + 1) * nc / n;
			if ((size_t)w < parts) { /* that part alone */
				memmove(c, c + a, (b - a) * sizeof(*c));
				nc = b - a;
				gran = 2;
			} else { /* all but that part */
				memmove(c + a, c + b, (nc - b) * sizeof(*c));
				nc -= b - a;
				gran = n - 1 > 2 ? n - 1 : 2;
			}
			continue;
		}
		if (n >= nc)
			break;
		gran = 2 * n < nc ? 2 * n : nc;
	}
	if (ret_keep) {
		*ret_keep = xcalloc(u->n ? u->n : 1, sizeof(bool));
		for (size_t i = 0; i < nc; i++)
			(*ret_keep)[c[i]] = true;
	}
	return r;
}

/* ---- stages ---- */

struct op_units {
	const struct shrink_config *cfg;
	json_object *list;
	size_t n;
};

static bool is_tree_op(json_object *op)
{
	json_object *v;
	const char *name;

	if (!json_object_object_get_ex(op, "op", &v) || !(name = json_object_get_string(v)))
		return false;
	return streq(name, "set") || streq(name, "drop") || streq(name, "duplicate") ||
	       streq(name, "swap");
}

/* The seed with the listed ops applied, as the mutation engine applies them. */
static int apply_ops(const struct shrink_config *cfg, const char *text, uint8_t **ret,
		     size_t *ret_size, char **ret_error)
{
	struct diags d = {0};
	struct mutate_list *l = NULL;
	struct mutate_result res = {0};
	int r;

	r = mutate_list_parse_text(text, "mutations", cfg->base_dir ? cfg->base_dir : "/", &d, &l);
	if (r == 0)
		r = mutate_expand(l, cfg->format, cfg->seed, cfg->seed_size, 0, "mutations", &d,
				  &res);
	if (r == 0 && res.n_variants != 1) {
		r = -EINVAL;
		diag_add(&d, "mutations", 0, 0, "expands into %zu inputs, not one", res.n_variants);
	}
	if (r == 0) {
		*ret = TAKE_PTR(res.v[0].data);
		*ret_size = res.v[0].size;
	} else {
		*ret_error = d.n ? xstrdup(d.v[d.n - 1].message) : xstrdup(strerror(-r));
	}
	mutate_result_finish(&res);
	mutate_list_free(l);
	diags_finish(&d);
	return r;
}

static int ops_build(void *ctx, const bool *keep, uint8_t **ret, size_t *ret_size, char **ret_error)
{
	struct op_units *o = ctx;
	json_object *arr = json_object_new_array();
	size_t kept = 0;
	int r;

	for (size_t i = 0; i < o->n; i++)
		if (keep[i]) {
			json_object_array_add(
			    arr, json_object_get(json_object_array_get_idx(o->list, i)));
			kept++;
		}
	if (kept == 0) {
		*ret = xmemdup(o->cfg->seed, o->cfg->seed_size ? o->cfg->seed_size : 1);
		*ret_size = o->cfg->seed_size;
		r = 0;
	} else {
		r = apply_ops(o->cfg, json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN),
			      ret, ret_size, ret_error);
	}
	json_object_put(arr);
	return r;
}

/* "#2 set instances[1].fields[1].data value=4096" */
static char *ops_name(void *ctx, size_t i)
{
	struct op_units *o = ctx;
	json_object *op = json_object_array_get_idx(o->list, i), *v;
	char *s = xasprintf("#%zu %s", i + 1,
			    json_object_object_get_ex(op, "op", &v) ? json_object_get_string(v)
								    : "?"),
	     *t;

	if (json_object_object_get_ex(op, "at", &v)) {
		t = xasprintf("%s %s", s, json_object_get_string(v));
		free(s);
		s = t;
	}
	json_object_object_foreach(op, key, val)
	{
		if (streq(key, "op") || streq(key, "at") || streq(key, "about"))
			continue;
		t = xasprintf("%s %s=%s", s, key, json_object_get_string(val));
		free(s);
		s = t;
	}
	return s;
}

/* Drop mutation ops. *ret_blind: a byte-level op is left. */
static int stage_ops(struct shrinker *s, bool *ret_blind)
{
	const struct shrink_config *cfg = s->cfg;
	json_object *list = cfg->mutations_json ? json_tokener_parse(cfg->mutations_json) : NULL;
	struct op_units o = {.cfg = cfg, .list = list};
	struct shrink_units u = {.build = ops_build, .name = ops_name, .ctx = &o};
	_cleanup_free_ bool *keep = NULL, *every = NULL;
	_cleanup_free_ uint8_t *all = NULL;
	_cleanup_free_ char *err = NULL;
	size_t size;
	int r = 0;

	*ret_blind = false;
	if (!list || !json_object_is_type(list, json_type_array) ||
	    json_object_array_length(list) == 0) {
		if (cfg->mutations_json && !streq(cfg->mutations_json, "[]"))
			note(s, "the recorded mutations are not a JSON list: shrinking the bytes");
		goto out;
	}
	o.n = u.n = json_object_array_length(list);
	every = all_kept(o.n);
	/* The ops must still make the input as kept: the seed or the format may have changed. */
	if (ops_build(&o, every, &all, &size, &err) < 0 || size != s->cur_size ||
	    memcmp(all, s->cur, size) != 0) {
		note(s,
		     "the recorded mutations no longer make the input as kept (%s): shrinking its "
		     "fields and bytes instead",
		     err ? err : "the seed or the format changed since the run");
		goto out;
	}
	say(s, "ops: %zu mutation%s", o.n, o.n == 1 ? "" : "s");
	r = ddmin(s, "ops", &u, &keep);
	for (size_t i = 0; i < o.n; i++)
		if (keep[i] && !is_tree_op(json_object_array_get_idx(list, i)))
			*ret_blind = true;
out:
	json_object_put(list);
	return r;
}

/* Revert fields to the seed's values. *ret_done: the input decoded and the stage ran. */
static int stage_fields(struct shrinker *s, bool *ret_done)
{
	const struct shrink_config *cfg = s->cfg;
	_cleanup_free_ char *err = NULL;
	struct tree_units t;
	struct shrink_units u;
	int r;

	*ret_done = false;
	if (!cfg->format)
		return 0;
	if (tree_units_init(&t, cfg->format, cfg->seed, cfg->seed_size, s->cur, s->cur_size, &err) <
	    0) {
		note(s, "no field stage: %s", err);
		return 0;
	}
	u = tree_units_view(&t);
	say(s, "fields: %zu field difference%s from the seed", u.n, u.n == 1 ? "" : "s");
	r = ddmin(s, "fields", &u, NULL);
	tree_units_finish(&t);
	*ret_done = true;
	return r;
}

static int stage_bytes(struct shrinker *s)
{
	_cleanup_free_ uint8_t *cur = xmemdup(s->cur, s->cur_size ? s->cur_size : 1);
	struct byte_units b;
	struct shrink_units u;
	int r;

	/* the units point into cur, which adopting a candidate replaces */
	byte_units_init(&b, s->cfg->format, s->cfg->seed, s->cfg->seed_size, cur, s->cur_size);
	u = byte_units_view(&b);
	say(s, "bytes: %zu changed byte%s%s", b.n_pos, b.n_pos == 1 ? "" : "s",
	    b.length ? " and the size" : "");
	r = ddmin(s, "bytes", &u, NULL);
	byte_units_finish(&b);
	return r;
}

/* The seed itself: when it fails the same way, nothing needs shrinking. */
static int stage_seed(struct shrinker *s)
{
	const struct shrink_config *cfg = s->cfg;
	struct shrink_step *st =
	    new_step(s, "seed", xstrdup("the seed as is"), cfg->seed, cfg->seed_size);
	struct shrink_answer a = {0};
	struct cand c = {.data = xmemdup(cfg->seed, cfg->seed_size ? cfg->seed_size : 1),
			 .size = cfg->seed_size,
			 .step = 0};
	int r = 0;

	if (cfg->seed_answer) {
		a = *cfg->seed_answer;
		a.verdict = a.verdict ? xstrdup(a.verdict) : NULL;
		a.title = a.title ? xstrdup(a.title) : NULL;
		a.where = a.where ? xstrdup(a.where) : NULL;
		take_answer(st, &a);
		if (!a.done)
			s->stopped = true;
	} else {
		r = ask(s, &c, 1);
	}
	if (r == 0 && !s->stopped && s->res->steps[0].same) {
		adopt(s, &s->res->steps[0], TAKE_PTR(c.data), c.size);
		s->res->seed_fails = true;
	}
	free(c.data);
	return s->stopped ? -ECANCELED : r;
}

static int stages(struct shrinker *s)
{
	bool blind, fields_done;
	int r;

	if ((r = stage_seed(s)) < 0 || s->res->seed_fails)
		return r;
	if ((r = stage_ops(s, &blind)) < 0)
		return r;
	if ((r = stage_fields(s, &fields_done)) < 0)
		return r;
	/* bytes only for blind changes: a structural change is shrunk by its fields */
	if (blind || !fields_done)
		r = stage_bytes(s);
	return r;
}

int shrink_run(const struct shrink_config *cfg, struct shrink_result *ret)
{
	struct shrink_result res = {0};
	struct shrinker s = {.cfg = cfg, .res = &res};
	int r;

	if (!cfg->seed || !cfg->data || !cfg->oracle)
		return -EINVAL;
	s.cur = xmemdup(cfg->data, cfg->size ? cfg->size : 1);
	s.cur_size = cfg->size;
	sha256_hex(cfg->data, cfg->size, s.data_sha);
	memcpy(s.cur_sha, s.data_sha, sizeof(s.cur_sha));
	r = stages(&s);
	if (r < 0 && r != -ECANCELED) {
		free(s.cur);
		shrink_result_finish(&res);
		return r;
	}
	res.stopped = s.stopped;
	res.data = s.cur;
	res.size = s.cur_size;
	memcpy(res.sha256, s.cur_sha, sizeof(res.sha256));
	shrink_explain(cfg->format, cfg->seed, cfg->seed_size, res.data, res.size, &res.explanation,
		       &res.n_explanation);
	*ret = res;
	return 0;
}

void shrink_result_finish(struct shrink_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_steps; i++) {
		struct shrink_step *st = &r->steps[i];
		free(st->what);
		free(st->verdict);
		free(st->title);
		free(st->where);
		free(st->note);
	}
	free(r->steps);
	for (size_t i = 0; i < r->n_explanation; i++)
		free(r->explanation[i]);
	free(r->explanation);
	for (size_t i = 0; i < r->n_notes; i++)
		free(r->notes[i]);
	free(r->notes);
	free(r->data);
	*r = (struct shrink_result){0};
}
