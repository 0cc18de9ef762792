/* step.c — a step's stacked mutations, as op specs the mutation engine expands (see step.h). */
#include "step.h"

#include "cmplog.h"
#include "corpus.h"
#include "mutate.h"
#include "util.h"

void fuzz_mutant_finish(struct fuzz_mutant *m)
{
	free(m->data);
	free(m->json);
	*m = (struct fuzz_mutant){0};
}

/* The path of an element that holds the leaf (an array element: "instances[0].fields[2]"), or
 * NULL when the leaf is in no array. */
static char *element_of(const char *leaf, uint64_t *rng)
{
	size_t cuts[16], n = 0;

	for (size_t i = 0; leaf[i] && n < ARRAY_SIZE(cuts); i++)
		if (leaf[i] == ']')
			cuts[n++] = i + 1;
	return n ? xstrndup(leaf, cuts[fuzz_rng_below(rng, n)]) : NULL;
}

struct leaf_ref {
	const struct format_item *item;
	size_t at; /* the leaf's place in decode order */
};

/* Groups a field's instances, in decode order: the order must not depend on where the heap put
 * the items, or the same PRNG state would draw another mutant in another process. */
static int by_item_then_place(const void *a, const void *b)
{
	const struct leaf_ref *x = a, *y = b;

	if (x->item != y->item)
		return (uintptr_t)x->item < (uintptr_t)y->item ? -1 : 1;
	return (x->at > y->at) - (x->at < y->at);
}

/* A field: where its instances start in the sorted refs, and where the input first has it. */
struct leaf_field {
	size_t first_place, start;
};

static int by_first_place(const void *a, const void *b)
{
	const struct leaf_field *x = a, *y = b;

	return (x->first_place > y->first_place) - (x->first_place < y->first_place);
}

/* A leaf drawn uniformly over the format's fields, then over that field's instances: drawn over
 * instances, the fields of an array's elements (every section's kind, len, sum...) would drown
 * those the file has once (the header's flags), which then get almost no mutations. */
static struct format_node *pick_leaf(struct format_node **leaves, size_t n, uint64_t *rng)
{
	_cleanup_free_ struct leaf_ref *refs = xmalloc(n * sizeof(*refs));
	_cleanup_free_ struct leaf_field *fields = xmalloc(n * sizeof(*fields));
	size_t n_fields = 0, i, start, end;

	for (i = 0; i < n; i++)
		refs[i] = (struct leaf_ref){leaves[i]->item, i};
	qsort(refs, n, sizeof(*refs), by_item_then_place);
	for (i = 0; i < n; i++)
		if (i == 0 || refs[i].item != refs[i - 1].item)
			fields[n_fields++] = (struct leaf_field){refs[i].at, i};
	qsort(fields, n_fields, sizeof(*fields), by_first_place);
	start = fields[fuzz_rng_below(rng, n_fields)].start;
	for (end = start; end < n && refs[end].item == refs[start].item; end++)
		;
	return leaves[refs[start + fuzz_rng_below(rng, end - start)].at];
}

static char *magic_value(const struct fuzz_step_ctx *ctx, uint64_t *rng)
{
	return xasprintf("%#llx", (unsigned long long)ctx->imms[fuzz_rng_below(rng, ctx->n_imms)]);
}

/* The leaves whose fields declare flag bits (format_flag_bits), moved to the front of leaves;
 * returns how many. */
static size_t flag_leaves_first(const struct format *f, struct format_node **leaves, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ uint64_t *bits = NULL;

		if (leaves[i]->kind == FORMAT_NODE_UINT &&
		    format_flag_bits(f, leaves[i]->item, &bits)) {
			struct format_node *t = leaves[k];
			leaves[k++] = leaves[i];
			leaves[i] = t;
		}
	}
	return k;
}

/* A combination of the leaf's declared flag bits, the undeclared bits kept: none, all, or a
 * random pair (a random one when it has a single bit), each a third of the time. */
static uint64_t flag_combo(const struct format *f, const struct format_node *leaf, uint64_t *rng)
{
	_cleanup_free_ uint64_t *bits = NULL;
	size_t n = format_flag_bits(f, leaf->item, &bits), i, j;
	uint64_t all = 0;

	for (i = 0; i < n; i++)
		all |= bits[i];
	switch (fuzz_rng_below(rng, 3)) {
	case 0:
		return leaf->value & ~all;
	case 1:
		return leaf->value | all;
	default:
		i = fuzz_rng_below(rng, n);
		j = n > 1 ? (i + 1 + fuzz_rng_below(rng, n - 1)) % n : i;
		return leaf->value | bits[i] | bits[j];
	}
}

/* A structural op on a random leaf of the decoded input, or NULL. A quarter of them, when the
 * input has fields with declared flag bits, set such a field to a combination of its bits: a
 * check on two rare bits at once is otherwise left to one `set each` in hundreds of ops. */
static char *structural_op(const struct fuzz_step_ctx *ctx, uint64_t *rng, const uint8_t *data,
			   size_t size)
{
	_cleanup_free_ char *err = NULL, *path = NULL, *elem = NULL, *imm = NULL;
	_cleanup_free_ struct format_node **leaves = NULL;
	struct format_node *root = NULL;
	size_t n = 0;
	char *op = NULL;

	if (!ctx->format || format_decode(ctx->format, data, size, &root, &err) < 0)
		return NULL;
	format_node_leaves(root, &leaves, &n);
	size_t n_flags = n ? flag_leaves_first(ctx->format, leaves, n) : 0;
	if (n_flags && fuzz_rng_below(rng, 4) == 0) {
		struct format_node *leaf = pick_leaf(leaves, n_flags, rng);

		path = format_node_path(leaf);
		op = xasprintf("{op: set, at: \"%s\", value: %llu}", path,
			       (unsigned long long)flag_combo(ctx->format, leaf, rng));
	} else if (n) {
		struct format_node *leaf = pick_leaf(leaves, n, rng);
		bool uint = leaf->kind == FORMAT_NODE_UINT;

		path = format_node_path(leaf);
		switch (fuzz_rng_below(rng, 4)) {
		case 0:
			if (uint)
				op = xasprintf("{op: set, at: \"%s\", value: each}", path);
			break;
		case 1:
			if (uint && ctx->n_imms)
				op = xasprintf("{op: set, at: \"%s\", value: %s}", path,
					       imm = magic_value(ctx, rng));
			break;
		case 2:
			if ((elem = element_of(path, rng)))
				op = xasprintf("{op: drop, at: \"%s\"}", elem);
			break;
		default:
			if ((elem = element_of(path, rng)))
				op = xasprintf("{op: duplicate, at: \"%s\"}", elem);
			break;
		}
	}
	format_node_free(root);
	return op;
}

static char *byte_op(const struct fuzz_step_ctx *ctx, uint64_t *rng)
{
	size_t n_dict = 0;

	if (ctx->format)
		format_magic(ctx->format, &n_dict);
	switch (fuzz_rng_below(rng, 6)) {
	case 0:
		return xstrdup("{op: interesting}");
	case 1:
		return xstrdup("{op: random_bytes}");
	case 2:
		if (n_dict)
			return xstrdup("{op: insert, value: each}");
		break;
	case 3:
		if (ctx->n_imms) {
			_cleanup_free_ char *imm = magic_value(ctx, rng);
			unsigned w = 1u << fuzz_rng_below(rng, 3);
			uint64_t v = strtoull(imm, NULL, 0);
			if (w < 8 && v >> (8 * w))
				w = v >> 16 ? 4 : 2;
			return xasprintf("{op: interesting, width: %u, value: %s}", w, imm);
		}
		break;
	}
	return xstrdup("{op: bitflip}");
}

/* Apply one op spec to *cur; the variant taken is the PRNG's among those it expands into. */
static int apply(const char *spec, uint64_t *rng, const struct format *f, struct fuzz_mutant *cur)
{
	struct mutate_list *l = NULL;
	struct diags diags = {0};
	struct mutate_result res = {0};
	uint64_t seed = fuzz_rng_next(rng);
	int r;

	r = mutate_list_parse_text(spec, "fuzz", ".", &diags, &l);
	if (r == 0)
		r = mutate_expand(l, f, cur->data, cur->size, seed, "fuzz", &diags, &res);
	mutate_list_free(l);
	diags_finish(&diags);
	if (r < 0)
		return r;
	if (res.n == 0) {
		mutate_result_finish(&res);
		return -EINVAL;
	}
	struct mutate_output *o = &res.v[fuzz_rng_below(rng, res.n)];
	size_t jl = strlen(cur->json);
	_cleanup_free_ char *joined = jl <= 2
					  ? xstrdup(o->json)
					  : xasprintf("%.*s%s%s", (int)(jl - 1), cur->json,
						      strlen(o->json) > 2 ? "," : "", o->json + 1);
	free(cur->data);
	cur->data = TAKE_PTR(o->data);
	cur->size = o->size;
	free(cur->json);
	cur->json = TAKE_PTR(joined);
	mutate_result_finish(&res);
	return 0;
}

int fuzz_step_mutate(const struct fuzz_step_ctx *ctx, uint64_t *rng, const uint8_t *data,
		     size_t size, struct fuzz_mutant *ret)
{
	struct fuzz_mutant cur = {
	    .data = xmemdup(data, size ? size : 1), .size = size, .json = xstrdup("[]")};
	unsigned ops = 1 + (unsigned)fuzz_rng_below(rng, 3), applied = 0;

	for (unsigned i = 0; i < ops; i++) {
		_cleanup_free_ char *spec = NULL;

		if (fuzz_rng_below(rng, 2) == 0)
			spec = structural_op(ctx, rng, cur.data, cur.size);
		if (spec && apply(spec, rng, ctx->format, &cur) == 0) {
			applied++;
			continue;
		}
		free(spec);
		spec = byte_op(ctx, rng);
		if (apply(spec, rng, ctx->format, &cur) == 0)
			applied++;
	}
	if (!applied) {
		fuzz_mutant_finish(&cur);
		return -EINVAL;
	}
	*ret = cur;
	return 0;
}

enum { CMPLOG_ROUNDS = 3, CMPLOG_TRIES = 32, CMPLOG_CANDIDATES = 256 };

static char *write_op(const struct fuzz_i2s *c)
{
	char hex[17];

	for (unsigned i = 0; i < c->width; i++)
		snprintf(hex + 2 * i, 3, "%02x", c->bytes[i]);
	return xasprintf("{op: write, offset: %zu, hex: \"%s\"}", c->offset, hex);
}

/* One round: a replacement that gets the host build further than `now`, applied to *m. */
static bool cmplog_round(const struct fuzz_step_ctx *ctx, uint64_t *rng, struct fuzz_mutant *m,
			 const struct fuzz_cmplog *now, struct fuzz_cmplog_stats *st)
{
	_cleanup_free_ struct fuzz_i2s *cands = xcalloc(CMPLOG_CANDIDATES, sizeof(*cands));
	size_t n = fuzz_cmplog_candidates(now, m->data, m->size, cands, CMPLOG_CANDIDATES);

	for (size_t k = 0; k < CMPLOG_TRIES && k < n; k++) {
		_cleanup_free_ char *spec = write_op(&cands[k]);
		struct fuzz_mutant next = {.data = xmemdup(m->data, m->size ? m->size : 1),
					   .size = m->size,
					   .json = xstrdup(m->json)};
		struct fuzz_cmplog after = {0};
		bool better = false;

		if (apply(spec, rng, ctx->format, &next) == 0 &&
		    (next.size != m->size || memcmp(next.data, m->data, m->size))) {
			st->runs++;
			if (fuzz_cmplog_run(ctx->cmplog, next.data, next.size, &after) < 0)
				st->failed++;
			else
				better = (!now->crashed && after.crashed) ||
					 (fuzz_cmplog_new_sites(now, &after) && after.n >= now->n);
			fuzz_cmplog_finish(&after);
		}
		if (better) {
			st->kept++;
			fuzz_mutant_finish(m);
			*m = next;
			return true;
		}
		fuzz_mutant_finish(&next);
	}
	return false;
}

void fuzz_step_cmplog(const struct fuzz_step_ctx *ctx, uint64_t *rng, struct fuzz_mutant *m,
		      struct fuzz_cmplog_stats *st)
{
	for (int round = 0; round < CMPLOG_ROUNDS; round++) {
		struct fuzz_cmplog now = {0};
		bool more;

		st->runs++;
		if (fuzz_cmplog_run(ctx->cmplog, m->data, m->size, &now) < 0) {
			st->failed++;
			return;
		}
		more = !now.crashed && cmplog_round(ctx, rng, m, &now, st);
		fuzz_cmplog_finish(&now);
		if (!more)
			return;
	}
}

int fuzz_step_i2s(const struct fuzz_step_ctx *ctx, uint64_t *rng, const struct fuzz_cmplog *ops,
		  const uint8_t *data, size_t size, struct fuzz_mutant *ret)
{
	_cleanup_free_ struct fuzz_i2s *cands = xcalloc(CMPLOG_CANDIDATES, sizeof(*cands));
	size_t n = fuzz_cmplog_candidates(ops, data, size, cands, CMPLOG_CANDIDATES);

	/* the check that stopped the run is among the last comparisons: their replacements come
	 * first, and get half the draws */
	for (unsigned tries = 0; n && tries < 8; tries++) {
		size_t k = fuzz_rng_below(rng, 2) == 0 ? fuzz_rng_below(rng, n < 4 ? n : 4)
						       : fuzz_rng_below(rng, n);
		_cleanup_free_ char *spec = write_op(&cands[k]);
		struct fuzz_mutant m = {
		    .data = xmemdup(data, size ? size : 1), .size = size, .json = xstrdup("[]")};

		if (apply(spec, rng, ctx->format, &m) == 0 &&
		    (m.size != size || memcmp(m.data, data, size))) {
			*ret = m;
			return 0;
		}
		fuzz_mutant_finish(&m);
	}
	return -EINVAL;
}
