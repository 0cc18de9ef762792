/* shrink-tree.c — the differences between the seed's decoded tree and the input's, as units the
 * fields stage keeps or reverts, and as lines of the explanation (see shrink-internal.h). */
#include <inttypes.h>

#include "shrink-internal.h"
#include "util.h"

/* ---- small helpers ---- */

void lines_push(char ***lines, size_t *n, char *line)
{
	*lines = xreallocarray(*lines, *n + 1, sizeof(**lines));
	(*lines)[(*n)++] = line;
}

char *shrink_fmt_uint(uint64_t v)
{
	return v <= 9999 ? xasprintf("%" PRIu64, v) : xasprintf("0x%" PRIx64, v);
}

char *shrink_fmt_bytes(const uint8_t *b, size_t n)
{
	bool text = n > 0;
	char *s, *p;

	for (size_t i = 0; i < n; i++)
		if (b[i] < 0x20 || b[i] > 0x7e || b[i] == '"' || b[i] == '\\')
			text = false;
	if (text && n <= 40)
		return xasprintf("\"%.*s\"", (int)n, (const char *)b);
	if (text)
		return xasprintf("\"%.32s\"... (%zu bytes)", (const char *)b, n);
	if (n == 0)
		return xstrdup("(empty)");
	s = p = xmalloc(2 * 16 + 32);
	p += sprintf(p, "0x");
	for (size_t i = 0; i < n && i < 16; i++)
		p += sprintf(p, "%02x", b[i]);
	if (n > 16)
		sprintf(p, "... (%zu bytes)", n);
	return s;
}

static bool derived(const struct format_node *n)
{
	return n->kind == FORMAT_NODE_UINT && n->item->role != FORMAT_ROLE_NONE;
}

static bool leaf_differs(const struct format_node *a, const struct format_node *b)
{
	if (a->kind == FORMAT_NODE_UINT)
		return a->value != b->value;
	return a->len != b->len || (a->len && memcmp(a->bytes, b->bytes, a->len) != 0);
}

/* ---- the walk: listing the differences, or applying the kept ones to a copy of the seed ---- */

struct walk {
	struct tree_units *t;
	const bool *keep; /* NULL: list the differences into t */
	size_t i;	  /* the next unit */
};

/* A unit at this point of the walk: listed, or whether to apply it. */
static bool unit(struct walk *w, enum tree_diff_kind kind, const struct format_node *a,
		 const struct format_node *cur, const struct format_node *fix)
{
	if (w->keep)
		return w->keep[w->i++];
	w->t->diffs = xreallocarray(w->t->diffs, w->t->n_diffs + 1, sizeof(*w->t->diffs));
	w->t->diffs[w->t->n_diffs++] =
	    (struct tree_diff){.kind = kind, .seed = a, .cur = cur, .fix = fix};
	w->i++;
	return false;
}

/* A copied element keeps the input's stale counts, lengths, offsets and checksums as they are. */
static void pin_stale(struct format_node *n, const struct format_node *cur,
		      const struct format_node *fix)
{
	if (derived(n) && cur->value != fix->value) {
		n->value = cur->value;
		n->pin = FORMAT_PIN_ABS;
	}
	for (size_t i = 0; i < n->n_kids; i++)
		pin_stale(n->kids[i], cur->kids[i], fix->kids[i]);
}

static void copy_leaf(struct format_node *a, const struct format_node *cur)
{
	if (a->kind == FORMAT_NODE_UINT) {
		a->value = cur->value;
		return;
	}
	free(a->bytes);
	a->bytes = cur->len ? xmemdup(cur->bytes, cur->len) : NULL;
	a->len = cur->len;
}

/* The array a gets cur's number of elements: the seed's first ones, then the input's. */
static void resize(struct format_node *a, const struct format_node *cur,
		   const struct format_node *fix)
{
	size_t m = a->n_kids < cur->n_kids ? a->n_kids : cur->n_kids;

	for (size_t j = m; j < a->n_kids; j++)
		format_node_free(a->kids[j]);
	a->kids = xreallocarray(a->kids, cur->n_kids ? cur->n_kids : 1, sizeof(*a->kids));
	for (size_t j = m; j < cur->n_kids; j++) {
		a->kids[j] = format_node_clone(cur->kids[j], a);
		pin_stale(a->kids[j], cur->kids[j], fix->kids[j]);
	}
	a->n_kids = cur->n_kids;
}

/* a: the seed's node (listing) or the candidate's (applying); cur and fix: the input's node as
 * decoded and as encoding would fix it up. Arrays are compared element by element over their
 * common length; the rest is one unit. */
static void walk(struct walk *w, struct format_node *a, const struct format_node *cur,
		 const struct format_node *fix)
{
	size_t m;

	switch (a->kind) {
	case FORMAT_NODE_UINT:
	case FORMAT_NODE_BYTES:
		if (derived(a)) {
			if (cur->value != fix->value && unit(w, TREE_DIFF_STALE, a, cur, fix)) {
				a->value = cur->value;
				a->pin = FORMAT_PIN_ABS;
			}
		} else if (leaf_differs(a, cur) && unit(w, TREE_DIFF_LEAF, a, cur, fix)) {
			copy_leaf(a, cur);
		}
		return;
	case FORMAT_NODE_RECORD:
		/* A union whose tag chose another case in the input: the bodies do not line up
		 * field by field, so they are left to the byte-level pass. */
		if (a->n_kids != cur->n_kids || a->n_kids != fix->n_kids)
			return;
		for (size_t i = 0; i < a->n_kids; i++)
			if (a->kids[i]->item != cur->kids[i]->item ||
			    a->kids[i]->item != fix->kids[i]->item)
				return;
		for (size_t i = 0; i < a->n_kids; i++)
			walk(w, a->kids[i], cur->kids[i], fix->kids[i]);
		return;
	case FORMAT_NODE_ARRAY:
		m = a->n_kids < cur->n_kids ? a->n_kids : cur->n_kids;
		for (size_t i = 0; i < m; i++)
			walk(w, a->kids[i], cur->kids[i], fix->kids[i]);
		if (a->n_kids != cur->n_kids && unit(w, TREE_DIFF_TAIL, a, cur, fix))
			resize(a, cur, fix);
		return;
	}
}

/* ---- units ---- */

static int decode(const struct format *f, const uint8_t *data, size_t size, const char *what,
		  struct format_node **ret, char **ret_error)
{
	_cleanup_free_ char *err = NULL;
	int r = format_decode(f, data, size, ret, &err);

	if (r < 0)
		*ret_error = xasprintf("%s does not decode as %s: %s", what, format_name(f), err);
	return r;
}

int tree_units_init(struct tree_units *t, const struct format *f, const uint8_t *seed,
		    size_t seed_size, const uint8_t *data, size_t size, char **ret_error)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct walk w = {.t = t};
	size_t n;
	int r;

	*t = (struct tree_units){.f = f};
	if ((r = decode(f, seed, seed_size, "the seed", &t->seed, ret_error)) < 0 ||
	    (r = decode(f, data, size, "the input", &t->cur, ret_error)) < 0) {
		tree_units_finish(t);
		return r;
	}
	t->cur_fixed = format_node_clone(t->cur, NULL);
	format_encode(f, t->cur_fixed, true, true, &buf, &n);
	walk(&w, t->seed, t->cur, t->cur_fixed);
	return 0;
}

void tree_units_finish(struct tree_units *t)
{
	format_node_free(t->seed);
	format_node_free(t->cur);
	format_node_free(t->cur_fixed);
	free(t->diffs);
	*t = (struct tree_units){0};
}

static int tree_build(void *ctx, const bool *keep, uint8_t **ret, size_t *ret_size,
		      char **ret_error)
{
	struct tree_units *t = ctx;
	struct format_node *cand = format_node_clone(t->seed, NULL), *back = NULL;
	struct walk w = {.t = t, .keep = keep};
	_cleanup_free_ char *err = NULL;
	uint8_t *buf;
	size_t n;

	walk(&w, cand, t->cur, t->cur_fixed);
	format_encode(t->f, cand, true, true, &buf, &n);
	format_node_free(cand);
	/* Fix-ups keep most edits decodable, not all (a length that no longer fits its width). */
	if (format_decode(t->f, buf, n, &back, &err) < 0) {
		*ret_error = xasprintf("%s cannot decode it (%s)", format_name(t->f), err);
		free(buf);
		return -EINVAL;
	}
	format_node_free(back);
	*ret = buf;
	*ret_size = n;
	return 0;
}

static char *tree_name(void *ctx, size_t i)
{
	struct tree_units *t = ctx;

	return tree_diff_line(&t->diffs[i]);
}

struct shrink_units tree_units_view(struct tree_units *t)
{
	return (struct shrink_units){
	    .n = t->n_diffs, .build = tree_build, .name = tree_name, .ctx = t};
}

/* ---- lines ---- */

/* The element of a repeated record that holds n (or the root): what a line is prefixed with. */
static const struct format_node *owner(const struct format_node *n)
{
	while (n->parent && n->parent->kind != FORMAT_NODE_ARRAY)
		n = n->parent;
	return n;
}

/* The value of the field called name seen from record r: in r (and the records inside it
 * that are not repeated), else in the records around it. */
static const struct format_node *lookup_in(const struct format_node *r, const char *name)
{
	for (size_t i = 0; r->kind == FORMAT_NODE_RECORD && i < r->n_kids; i++) {
		const struct format_node *k = r->kids[i], *x;

		if (k->kind != FORMAT_NODE_ARRAY && streq(k->item->name, name))
			return k;
		if (k->kind == FORMAT_NODE_RECORD && (x = lookup_in(k, name)))
			return x;
	}
	return NULL;
}

static char *lookup(const struct format_node *r, const char *name)
{
	for (; r; r = r->parent) {
		const struct format_node *x = lookup_in(r, name);

		if (x)
			return x->kind == FORMAT_NODE_UINT    ? shrink_fmt_uint(x->value)
			       : x->kind == FORMAT_NODE_BYTES ? shrink_fmt_bytes(x->bytes, x->len)
							      : NULL;
	}
	return NULL;
}

char *tree_describe(const char *desc, const char *seed_v, const char *new_v,
		    const struct format_node *where)
{
	char *out, *t;

	if (!desc)
		return NULL;
	out = xstrdup("");
	for (const char *p = desc; *p;) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		_cleanup_free_ char *name = NULL, *v = NULL;
		size_t len = close ? (size_t)(close - p + 1) : strcspn(p + 1, "{") + 1;

		if (close) {
			name = xstrndup(p + 1, (size_t)(close - p - 1));
			v = streq(name, "seed")	   ? xstrdup(seed_v)
			    : streq(name, "value") ? xstrdup(new_v)
						   : lookup(where, name);
		}
		t = xasprintf("%s%.*s", out, v ? (int)strlen(v) : (int)len, v ? v : p);
		free(out);
		out = t;
		p += len;
	}
	return out;
}

/* "PREFIX: name" or "name" for a field directly in the root. */
char *tree_node_label(const struct format_node *record, const char *name)
{
	const struct format_node *o = owner(record);
	_cleanup_free_ char *prefix = o->parent ? format_node_path(o) : NULL;

	return prefix ? xasprintf("%s: %s", prefix, name) : xstrdup(name);
}

static char *value_text(const struct format_node *n)
{
	return n->kind == FORMAT_NODE_UINT ? shrink_fmt_uint(n->value)
					   : shrink_fmt_bytes(n->bytes, n->len);
}

char *tree_diff_line(const struct tree_diff *d)
{
	const struct format_node *rec = d->cur->parent;
	const struct format_item *it = d->cur->item;
	_cleanup_free_ char *label = NULL, *a = NULL, *b = NULL, *note = NULL, *extra = NULL;

	if (d->kind == TREE_DIFF_TAIL) {
		if (it->count_by)
			it = it->count_by;
		a = shrink_fmt_uint(d->seed->n_kids);
		b = shrink_fmt_uint(d->cur->n_kids);
		if (!d->cur->item->count_by)
			extra = xstrdup(" elements");
	} else {
		a = value_text(d->seed);
		b = value_text(d->cur);
	}
	label = tree_node_label(rec, it->name);
	if (d->kind == TREE_DIFF_STALE) {
		_cleanup_free_ char *truth = shrink_fmt_uint(d->fix->value);

		if (d->seed->value == d->cur->value)
			return xasprintf(
			    "%s %s left as in the seed (stale: what it covers gives %s)", label, a,
			    truth);
		return xasprintf("%s %s -> %s (stale: what it covers gives %s)", label, a, b,
				 truth);
	}
	note = tree_describe(it->description, a, b, rec);
	return xasprintf("%s %s -> %s%s%s%s%s", label, a, b, extra ? extra : "", note ? " (" : "",
			 note ? note : "", note ? ")" : "");
}

void shrink_explain(const struct format *f, const uint8_t *seed, size_t seed_size,
		    const uint8_t *data, size_t size, char ***ret_lines, size_t *ret_n)
{
	_cleanup_free_ char *err = NULL;
	struct tree_units t;

	*ret_lines = NULL;
	*ret_n = 0;
	if (size == seed_size && (size == 0 || memcmp(seed, data, size) == 0)) {
		lines_push(ret_lines, ret_n, xstrdup("no difference from the seed"));
		return;
	}
	if (f && tree_units_init(&t, f, seed, seed_size, data, size, &err) == 0) {
		for (size_t i = 0; i < t.n_diffs; i++)
			lines_push(ret_lines, ret_n, tree_diff_line(&t.diffs[i]));
		tree_units_finish(&t);
		if (*ret_n)
			return;
	}
	bytes_explain(f, seed, seed_size, data, size, ret_lines, ret_n);
}
