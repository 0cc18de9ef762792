/* mutate-expand.c — expanding a mutation list into variants (each, [*], count), dedup by
 * SHA-256, and replay of a recorded list. */
#include <inttypes.h>

#include "mutate-internal.h"
#include "util.h"

/* ======================================================================== expansion */

struct choice {
	char *at;	   /* concrete path (or NULL = the op's own) */
	const char *value; /* set value keyword (or NULL = the op's own) */
	char *own_value;   /* a set value made for this choice (a magic value); value points here */
	int64_t size;	   /* truncate at a boundary */
	bool has_size;
	bool has_num; /* interesting value: each: this width and value */
	unsigned width;
	uint64_t num;
	uint8_t *hex; /* insert value: each: these bytes */
	size_t n_hex;
};

struct opchoices {
	struct choice *v;
	size_t n;     /* path/value choices; 0 = just the op itself */
	size_t total; /* n (or 1) times count */
};

static bool has_wild(const char *at)
{
	return at && (streq(at, "each") || strstr(at, "[*]"));
}

static void push_choice(struct opchoices *c, char *at, const char *value, bool has_size,
			int64_t size)
{
	if (c->n > MUTATE_MAX_VARIANTS) { /* prepare() reports it; stop growing */
		free(at);
		return;
	}
	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n++] =
	    (struct choice){.at = at, .value = value, .has_size = has_size, .size = size};
}

/* The nodes an op with each or [*] aims at: every element of every repeated field (drop,
 * duplicate, swap at: each), every leaf (other ops at: each), or what the path matches. */
static int wild_nodes(const struct mutate_op *o, struct format_node *tree,
		      struct format_node ***nodes, size_t *n_nodes, char **ret_error)
{
	char *err = NULL;
	int r;

	if (!streq(o->at, "each")) {
		r = format_node_find(tree, o->at, nodes, n_nodes, &err);
		if (r < 0) {
			*ret_error = xasprintf("at '%s': %s", o->at, err);
			free(err);
			return r;
		}
		return 0;
	}
	if (o->kind == OP_DROP || o->kind == OP_DUPLICATE || o->kind == OP_SWAP) {
		struct format_node *stack[256];
		size_t sp = 0;

		stack[sp++] = tree;
		while (sp > 0) {
			struct format_node *x = stack[--sp];
			for (size_t i = x->n_kids; i-- > 0;) {
				if (x->kind == FORMAT_NODE_ARRAY) {
					*nodes =
					    xreallocarray(*nodes, *n_nodes + 1, sizeof(**nodes));
					(*nodes)[(*n_nodes)++] = x->kids[i];
				}
				if (sp < ARRAY_SIZE(stack))
					stack[sp++] = x->kids[i];
			}
		}
	} else {
		format_node_leaves(tree, nodes, n_nodes);
	}
	return 0;
}

static struct choice *last_choice(struct opchoices *c, size_t before)
{
	return c->n > before ? &c->v[c->n - 1] : NULL;
}

struct u64s {
	uint64_t *v;
	size_t n, cap;
};

static void u64_push(struct u64s *a, uint64_t x)
{
	a->v = xgrowarray(a->v, a->n, &a->cap, sizeof(*a->v));
	a->v[a->n++] = x;
}

/* The values that choose the cases of every union that switches on tag: each case's when:
 * values; for a case on flag bits, the seed's value with the case's bits as it wants them and
 * with them cleared (the other flags kept). */
static void push_tag_values(const struct format_item *r, const struct format_item *tag,
			    uint64_t seed, struct u64s *a, unsigned depth)
{
	for (size_t i = 0; i < r->n_kids && depth < 64; i++) {
		const struct format_item *k = r->kids[i];

		if (r->type == FORMAT_UNION && r->tag == tag) {
			if (k->has_mask) {
				u64_push(a, (seed & ~k->mask) | k->when[0]);
				u64_push(a, seed & ~k->mask);
			} else {
				for (size_t w = 0; w < k->n_when; w++)
					u64_push(a, k->when[w]);
			}
		}
		push_tag_values(k, tag, seed, a, depth + 1);
	}
}

/* A field's declared flag bits (format_flag_bits) in combination, the undeclared bits kept:
 * none of them, all of them, and each pair set. A check that needs two rare bits at once is
 * reached by no single bit's value. */
static void push_flag_combos(const struct format *f, const struct format_item *it, uint64_t seed,
			     struct u64s *a)
{
	_cleanup_free_ uint64_t *bits = NULL;
	size_t n = format_flag_bits(f, it, &bits);
	uint64_t all = 0;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		all |= bits[i];
	u64_push(a, seed & ~all);
	u64_push(a, seed | all);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			u64_push(a, seed | bits[i] | bits[j]);
}

/* set value: each on an integer field also tries, after the boundary values, both sides of
 * both ends of its range:, a reference to no element, the field's magic: values, the values that
 * choose the cases of the unions it is the tag of, its flag bits in combination, and the format's
 * magic integers that fit. */
static void push_magic_values(const struct format *f, const struct format_node *x,
			      struct opchoices *c)
{
	uint64_t mask =
	    x->item->width >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * x->item->width)) - 1;
	const struct format_magic *m = NULL;
	const struct format_item *it = x->item;
	struct u64s a = {0};
	uint64_t missing;
	size_t n_m = 0;

	if (f)
		m = format_magic(f, &n_m);
	if (it->has_range) { /* both sides of both ends */
		if (it->range_lo > 0)
			u64_push(&a, it->range_lo - 1);
		u64_push(&a, it->range_lo);
		u64_push(&a, it->range_hi);
		if (it->range_hi < mask)
			u64_push(&a, it->range_hi + 1);
	}
	/* a reference to no element: one past a table's end, a key no element has */
	if (format_node_missing_ref((struct format_node *)x, &missing))
		u64_push(&a, missing);
	for (size_t i = 0; i < it->n_magic; i++)
		u64_push(&a, it->magic[i]);
	if (f) {
		push_tag_values(format_root(f), it, x->value, &a, 0);
		push_flag_combos(f, it, x->value, &a);
	}
	for (size_t i = 0; i < n_m; i++)
		if (!m[i].is_bytes && m[i].value <= mask)
			u64_push(&a, m[i].value);
	for (size_t i = 0; i < a.n; i++) {
		bool dup = a.v[i] <= 1 || a.v[i] == mask || a.v[i] == mask - 1 ||
			   a.v[i] == (mask >> 1) + 1; /* zero, one, max, max-1, sign */
		size_t before = c->n;
		struct choice *ch;

		for (size_t j = 0; j < i && !dup; j++)
			dup = a.v[j] == a.v[i];
		if (dup || a.v[i] > mask)
			continue;
		push_choice(c, format_node_path(x), NULL, false, 0);
		if ((ch = last_choice(c, before))) {
			ch->own_value = xasprintf("%" PRIu64, a.v[i]);
			ch->value = ch->own_value;
		}
	}
	free(a.v);
}

/* interesting value: each: every (width, value) of the table at x's start (or the op's
 * offset:); the width is the op's, the integer field's, or each of 1, 2 and 4. */
static void push_interesting_each(const struct mutate_op *o, const struct format *f,
				  const struct format_node *x, struct opchoices *c)
{
	static const unsigned all[] = {1, 2, 4};
	unsigned one = o->has_width			  ? o->width
		       : x && x->kind == FORMAT_NODE_UINT ? x->item->width
							  : 0;
	const unsigned *ws = one ? &one : all;
	size_t nw = one ? 1 : ARRAY_SIZE(all);

	for (size_t w = 0; w < nw; w++) {
		_cleanup_free_ uint64_t *t = NULL;
		size_t nt = mutate_interesting_values(ws[w], f, &t);

		for (size_t i = 0; i < nt; i++) {
			size_t before = c->n;
			struct choice *ch;

			push_choice(c, x ? format_node_path(x) : NULL, NULL, false, 0);
			if ((ch = last_choice(c, before))) {
				ch->has_num = true;
				ch->width = ws[w];
				ch->num = t[i];
			}
		}
	}
}

/* insert value: each: every value of the format's magic dictionary, as bytes. */
static void push_insert_each(const struct format *f, const struct format_node *x,
			     struct opchoices *c)
{
	size_t n_m = 0;
	const struct format_magic *m = format_magic(f, &n_m);

	for (size_t i = 0; i < n_m; i++) {
		size_t before = c->n;
		struct choice *ch;

		push_choice(c, x ? format_node_path(x) : NULL, NULL, false, 0);
		if ((ch = last_choice(c, before)))
			ch->hex = mutate_magic_bytes(&m[i], &ch->n_hex);
	}
}

/* The choices node x gives op o: a truncation point, each boundary value, or its path. */
static void push_node_choices(const struct mutate_op *o, const struct format *f,
			      const struct format_node *x, struct opchoices *c)
{
	static const char *const plain_vals[] = {"zero", "one", "max", "max-1", "sign"};
	static const char *const derived_vals[] = {"+1", "-1", "x2"};

	if (o->kind == OP_TRUNCATE && streq(o->at, "each")) {
		if (x->offset > 0)
			push_choice(c, NULL, NULL, true, (int64_t)x->offset);
		return;
	}
	if (o->kind == OP_SET && (o->value_each || streq(o->at, "each"))) {
		if (x->kind != FORMAT_NODE_UINT && o->value_each)
			return;
		if (x->kind != FORMAT_NODE_UINT && streq(o->at, "each") && !o->has_hex &&
		    !o->value_quoted)
			return;
	}
	if (o->kind == OP_SET && o->value_each) {
		for (size_t k = 0; k < ARRAY_SIZE(plain_vals); k++)
			push_choice(c, format_node_path(x), plain_vals[k], false, 0);
		if (node_derived(x))
			for (size_t k = 0; k < ARRAY_SIZE(derived_vals); k++)
				push_choice(c, format_node_path(x), derived_vals[k], false, 0);
		if (x->item->role == FORMAT_ROLE_LENGTH || x->item->role == FORMAT_ROLE_OFFSET)
			push_choice(c, format_node_path(x), "past_end", false, 0);
		push_magic_values(f, x, c);
		return;
	}
	if (o->kind == OP_INTERESTING && o->value_each) {
		push_interesting_each(o, f, x, c);
		return;
	}
	if (o->kind == OP_INSERT && o->value_each) {
		push_insert_each(f, x, c);
		return;
	}
	push_choice(c, format_node_path(x), NULL, false, 0);
}

static int build_choices(const struct mutate_op *o, const struct format *f,
			 struct format_node *tree, const char *seed_err, struct opchoices *c,
			 char **ret_error)
{
	_cleanup_free_ struct format_node **nodes = NULL;
	size_t n_nodes = 0;
	int r;

	memset(c, 0, sizeof(*c));
	if (o->value_each && !o->at && (o->kind == OP_INTERESTING || o->kind == OP_INSERT)) {
		/* at a fixed offset: no seed tree needed (insert's dictionary needs the format) */
		if (o->kind == OP_INTERESTING)
			push_interesting_each(o, f, NULL, c);
		else
			push_insert_each(f, NULL, c);
		if (c->n == 0) {
			*ret_error = xstrdup("value: each: the format has no magic: values");
			return -EINVAL;
		}
		c->total = c->n;
		return 0;
	}
	if (has_wild(o->at) || o->value_each) {
		if (!tree) {
			*ret_error = xasprintf("'each' and [*] need the seed to decode: %s",
					       seed_err ? seed_err : "no format description");
			return -EINVAL;
		}
		if (!o->at) {
			*ret_error = xstrdup("value: each needs at:");
			return -EINVAL;
		}
		r = wild_nodes(o, tree, &nodes, &n_nodes, ret_error);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n_nodes; i++)
			push_node_choices(o, f, nodes[i], c);
		if (c->n == 0) {
			*ret_error = xasprintf("at '%s' matches nothing in the seed", o->at);
			return -EINVAL;
		}
	}
	c->total = (c->n ? c->n : 1) * (size_t)o->count;
	return 0;
}

static void choices_finish(struct opchoices *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < c[i].n; j++) {
			free(c[i].v[j].at);
			free(c[i].v[j].own_value);
			free(c[i].v[j].hex);
		}
		free(c[i].v);
	}
	free(c);
}

static int prepare(const struct mutate_list *l, const struct format *f, const uint8_t *data,
		   size_t size, const char *file, struct diags *diags, struct opchoices **ret_c,
		   size_t *ret_total)
{
	_cleanup_free_ char *seed_err = NULL;
	struct format_node *tree = NULL;
	struct opchoices *c = xcalloc(l->n + 1, sizeof(*c));
	size_t total = 1;
	int r = 0;

	if (f && format_decode(f, data, size, &tree, &seed_err) < 0)
		tree = NULL;
	for (size_t i = 0; i < l->n; i++) {
		char *err = NULL;
		const struct mutate_op *o = &l->v[i];

		if (!f && mutate_list_needs_format(
			      &(struct mutate_list){.v = (struct mutate_op *)o, .n = 1})) {
			diag_add(diags, file, o->line, o->column,
				 "op %s needs a format description; set format: in the "
				 "scenario (or --format)",
				 mutate_op_names[o->kind]);
			r = -EINVAL;
			continue;
		}
		if (build_choices(o, f, tree, seed_err, &c[i], &err) < 0) {
			diag_add(diags, file, o->line, o->column, "op %s: %s",
				 mutate_op_names[o->kind], err);
			free(err);
			r = -EINVAL;
			continue;
		}
		if (total > MUTATE_MAX_VARIANTS / c[i].total) {
			diag_add(diags, file, o->line, o->column,
				 "this mutation list expands into more than %u inputs; "
				 "narrow it",
				 MUTATE_MAX_VARIANTS);
			r = -EINVAL;
			total = 1;
			continue;
		}
		total *= c[i].total;
	}
	format_node_free(tree);
	if (r < 0) {
		choices_finish(c, l->n);
		return r;
	}
	*ret_c = c;
	*ret_total = total;
	return 0;
}

size_t mutate_min_size(const struct mutate_list *l, size_t seed_size)
{
	size_t n = seed_size;

	for (size_t i = 0; i < l->n; i++) {
		const struct mutate_op *o = &l->v[i];

		switch (o->kind) {
		case OP_EXTEND:
			n += o->has_hex ? o->n_hex : (size_t)o->size;
			break;
		case OP_INSERT: /* random: 1 to 16 bytes */
			n += o->has_hex ? o->n_hex : o->has_size ? (size_t)o->size : 1;
			break;
		case OP_ZERO:
		case OP_WRITE:
		case OP_BITFLIP:
		case OP_INTERESTING:
		case OP_RANDOM_BYTES:
			break; /* in place */
		default:
			n = 0;
		}
	}
	return n;
}

int mutate_count(const struct mutate_list *l, const struct format *f, const uint8_t *data,
		 size_t size, const char *file, struct diags *diags, size_t *ret_n)
{
	struct opchoices *c = NULL;
	size_t total = 0;
	int r;

	r = prepare(l, f, data, size, file, diags, &c, &total);
	if (r < 0)
		return r;
	choices_finish(c, l->n);
	*ret_n = total;
	return 0;
}

void mutate_result_finish(struct mutate_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].data);
		free(r->v[i].json);
		free(r->v[i].note);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* An expansion under way: what it reads, and what it has made so far. */
struct expansion {
	const struct mutate_list *l;
	const struct format *f;
	const struct opchoices *c;
	const uint8_t *data;
	size_t size;
	uint64_t seed;
	const char *file;
	struct diags *diags;
	struct mutate_result res;
	size_t cap_res; /* allocated entries of res.v */
	char **seen;	/* SHA-256s of the outputs kept, sorted */
	size_t n_seen, cap_seen;
	size_t total_bytes;
};

/* Variant v's concrete ops, and in draw[] the draw each op makes (its count index). */
static struct mutate_op *variant_ops(const struct mutate_list *l, const struct opchoices *c,
				     size_t v, size_t *draw)
{
	struct mutate_op *ops = xcalloc(l->n + 1, sizeof(*ops));
	_cleanup_free_ size_t *digit = xcalloc(l->n + 1, sizeof(size_t));
	size_t rest = v;

	/* Mixed radix: the first op varies slowest, so related inputs sit together. */
	for (size_t i = l->n; i-- > 0;) {
		digit[i] = rest % c[i].total;
		rest /= c[i].total;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct mutate_op *o = &l->v[i];
		size_t ch = c[i].n ? digit[i] / o->count : 0;
		size_t k = c[i].n ? digit[i] % o->count : digit[i];

		mutate_op_copy(&ops[i], o);
		if (c[i].n) {
			const struct choice *x = &c[i].v[ch];
			if (x->at) {
				free(ops[i].at);
				ops[i].at = xstrdup(x->at);
			} else if (x->has_size) {
				ops[i].at = (free(ops[i].at), NULL);
				ops[i].has_size = true;
				ops[i].size = x->size;
			}
			if (x->value) {
				free(ops[i].value);
				ops[i].value = xstrdup(x->value);
				ops[i].value_each = false;
			}
			if (x->has_num) {
				ops[i].has_width = true;
				ops[i].width = x->width;
				ops[i].has_value_num = true;
				ops[i].value_num = x->num;
				ops[i].fixed_place = true;
				ops[i].value_each = false;
			}
			if (x->hex) {
				free(ops[i].hex);
				ops[i].hex = xmemdup(x->hex, x->n_hex ? x->n_hex : 1);
				ops[i].n_hex = x->n_hex;
				ops[i].has_hex = true;
				ops[i].value_each = false;
			}
		}
		ops[i].count = 1;
		/* The draw stream: the count index, and for the choices after the first (elements
		 * of [*], leaves of each) a stream of their own, so random bytes aimed at [*]
		 * differ from element to element; the first choice draws as it always did. */
		draw[i] = c[i].n ? ch * o->count + k : k;
	}
	return ops;
}

static void ops_free(struct mutate_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mutate_op_finish(&ops[i]);
	free(ops);
}

/* Add sha to the sorted set; false when it is there already. Insertion is O(n), n <= 100000. */
static bool seen_add(struct expansion *e, const char *sha)
{
	size_t lo = 0, hi = e->n_seen;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(e->seen[mid], sha) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < e->n_seen && streq(e->seen[lo], sha))
		return false;
	e->seen = xgrowarray(e->seen, e->n_seen, &e->cap_seen, sizeof(*e->seen));
	memmove(e->seen + lo + 1, e->seen + lo, (e->n_seen - lo) * sizeof(*e->seen));
	e->seen[lo] = xstrdup(sha);
	e->n_seen++;
	return true;
}

/* Make variant v and keep it unless an earlier one has the same bytes. */
static int expand_variant(struct expansion *e, size_t v)
{
	const struct mutate_list *l = e->l;
	_cleanup_free_ size_t *draw = xcalloc(l->n + 1, sizeof(size_t));
	struct mutate_op *ops = variant_ops(l, e->c, v, draw);
	_cleanup_free_ uint8_t *out = NULL;
	_cleanup_free_ char *err = NULL;
	size_t out_size = 0, failed = 0;
	struct mutate_output *o;
	json_object *arr;
	bool undone = false, same;
	char sha[65];
	int r;

	r = mutate_apply_all(e->f, ops, l->n, e->data, e->size, e->seed, draw, &out, &out_size,
			     &undone, &failed, &err);
	if (r < 0) {
		diag_add(e->diags, e->file, l->v[failed].line, l->v[failed].column, "op %s: %s",
			 mutate_op_names[l->v[failed].kind], err);
		ops_free(ops, l->n);
		return -EINVAL;
	}
	same = l->n > 0 && out_size == e->size && !memcmp(out, e->data, out_size);
	e->res.n_undone += undone;
	if (same && e->res.n_variants > 1) {
		e->res.n_same_as_seed++;
		ops_free(ops, l->n);
		return 0;
	}
	sha256_hex(out, out_size, sha);
	if (!seen_add(e, sha)) {
		e->res.n_duplicates++;
		ops_free(ops, l->n);
		return 0;
	}
	e->total_bytes += out_size;
	if (e->total_bytes > MUTATE_MAX_TOTAL) {
		diag_add(e->diags, e->file, l->n ? l->v[0].line : 0, l->n ? l->v[0].column : 0,
			 "these mutations generate more than %u MiB of inputs; narrow them (fewer "
			 "variants or smaller inputs)",
			 MUTATE_MAX_TOTAL >> 20);
		ops_free(ops, l->n);
		return -EINVAL;
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < l->n; i++)
		json_object_array_add(arr, mutate_op_json(&ops[i]));
	ops_free(ops, l->n);
	e->res.v = xgrowarray(e->res.v, e->res.n, &e->cap_res, sizeof(*e->res.v));
	o = &e->res.v[e->res.n++];
	*o = (struct mutate_output){
	    .data = TAKE_PTR(out),
	    .size = out_size,
	    .json = xstrdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN)),
	    .index = v,
	    .note = !same    ? NULL
		    : undone ? xstrdup("equals the seed: the checksum fix-up wrote back the "
				       "checksum this byte mutation changed (checksum: stale or "
				       "fixup: false keeps the raw bytes)")
			     : xstrdup("equals the seed: the mutation changed nothing"),
	};
	memcpy(o->sha256, sha, 65);
	json_object_put(arr);
	return 0;
}

int mutate_expand(const struct mutate_list *l, const struct format *f, const uint8_t *data,
		  size_t size, uint64_t seed, const char *file, struct diags *diags,
		  struct mutate_result *ret)
{
	struct expansion e = {
	    .l = l, .f = f, .data = data, .size = size, .seed = seed, .file = file, .diags = diags};
	struct opchoices *c = NULL;
	size_t total = 0;
	int r;

	r = prepare(l, f, data, size, file, diags, &c, &total);
	if (r < 0)
		return r;
	e.c = c;
	e.res.n_variants = total;
	for (size_t v = 0; v < total && r == 0; v++)
		r = expand_variant(&e, v);
	for (size_t i = 0; i < e.n_seen; i++)
		free(e.seen[i]);
	free(e.seen);
	choices_finish(c, l->n);
	if (r < 0) {
		mutate_result_finish(&e.res);
		return r;
	}
	*ret = e.res;
	return 0;
}

int mutate_replay(const char *mutations_json, const char *format_path, const char *seed_file,
		  uint8_t **ret, size_t *ret_size, char **ret_error)
{
	_cleanup_free_ uint8_t *data = NULL;
	struct diags d = {0};
	struct mutate_list *l = NULL;
	struct format *f = NULL;
	struct mutate_result res = {0};
	size_t size;
	int r;

	r = read_file(seed_file, MUTATE_MAX_SIZE, &data, &size);
	if (r < 0) {
		*ret_error = xasprintf("cannot read %s: %s", seed_file, strerror(-r));
		return r;
	}
	if (format_path && (r = format_load(format_path, &d, &f)) < 0)
		goto out;
	r = mutate_list_parse_text(mutations_json, "mutations", "/", &d, &l);
	if (r < 0)
		goto out;
	r = mutate_expand(l, f, data, size, 0, "mutations", &d, &res);
	if (r < 0)
		goto out;
	if (res.n_variants != 1) {
		r = -EINVAL;
		diag_add(&d, "mutations", 0, 0,
			 "expands into %zu inputs; a recorded list makes exactly one",
			 res.n_variants);
		goto out;
	}
	*ret = TAKE_PTR(res.v[0].data);
	*ret_size = res.v[0].size;
out:
	if (r < 0)
		*ret_error = d.n ? xasprintf("%s%s%u:%u: %s", d.v[0].file ? d.v[0].file : "",
					     d.v[0].file ? ":" : "", d.v[0].line, d.v[0].column,
					     d.v[0].message)
				 : xstrdup(strerror(-r));
	mutate_result_finish(&res);
	mutate_list_free(l);
	format_free(f);
	diags_finish(&d);
	return r;
}
