/* mutate.c — see mutate.h. This file: op specs (parsing and validation) and lists; applying is
 * in mutate-apply.c, expansion in mutate-expand.c. */
#include <inttypes.h>

#include "mutate-internal.h"
#include "util.h"

const char *const mutate_op_names[_OP_MAX + 1] = {
    [OP_SET] = "set",
    [OP_DROP] = "drop",
    [OP_DUPLICATE] = "duplicate",
    [OP_SWAP] = "swap",
    [OP_TRUNCATE] = "truncate",
    [OP_EXTEND] = "extend",
    [OP_ZERO] = "zero",
    [OP_WRITE] = "write",
    [OP_BITFLIP] = "bitflip",
    [OP_INTERESTING] = "interesting",
    [OP_RANDOM_BYTES] = "random_bytes",
    [OP_SPLICE] = "splice",
    [OP_INSERT] = "insert",
};

void mutate_op_finish(struct mutate_op *o)
{
	free(o->at);
	free(o->with);
	free(o->value);
	free(o->hex);
	free(o->about);
	free(o->with_data);
}

void mutate_op_copy(struct mutate_op *dst, const struct mutate_op *src)
{
	*dst = *src;
	dst->at = src->at ? xstrdup(src->at) : NULL;
	dst->with = src->with ? xstrdup(src->with) : NULL;
	dst->value = src->value ? xstrdup(src->value) : NULL;
	dst->hex = src->hex ? xmemdup(src->hex, src->n_hex) : NULL;
	dst->about = src->about ? xstrdup(src->about) : NULL;
	dst->with_data = src->with_data ? xmemdup(src->with_data, src->with_size) : NULL;
}

struct mutate_list *mutate_list_free(struct mutate_list *l)
{
	if (!l)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		mutate_op_finish(&l->v[i]);
	free(l->v);
	free(l);
	return NULL;
}

struct mutate_list *mutate_list_new(void)
{
	return xzalloc(sizeof(struct mutate_list));
}

size_t mutate_list_size(const struct mutate_list *l)
{
	return l ? l->n : 0;
}

void mutate_list_append(struct mutate_list *a, struct mutate_list *b)
{
	if (!b)
		return;
	a->v = xreallocarray(a->v, a->n + b->n, sizeof(*a->v));
	memcpy(a->v + a->n, b->v, b->n * sizeof(*b->v));
	a->n += b->n;
	free(b->v);
	free(b);
}

static bool path_needs_format(const char *at)
{
	return at != NULL;
}

bool mutate_list_needs_format(const struct mutate_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (op_is_tree(l->v[i].kind) || path_needs_format(l->v[i].at) ||
		    (l->v[i].kind == OP_INSERT && l->v[i].value_each))
			return true;
	return false;
}

uint64_t mutate_seed_derive(uint64_t seed, const char *name, uint64_t index)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a of the name */
	uint64_t z;

	for (const char *p = name ? name : ""; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	z = seed ^ h ^ (index * 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ======================================================================== parsing */

struct pctx {
	struct ynode_ctx y; /* the list's file, its diags and the errors counted */
	const char *base_dir;
};

/* A located problem, counted: shorthand for the reader's own. */
#define perr(p, at, ...) ynode_error(&(p)->y, (at), __VA_ARGS__)

static bool is_scalar(const struct ynode *n)
{
	return n && n->kind == YNODE_SCALAR;
}

static const char *const common_keys[] = {"op", "checksum", "fixup", "about", NULL};

static void allowed_keys(enum op_kind k, const char **out)
{
	size_t n = 0;
	static const char *const per_op[_OP_MAX][10] = {
	    [OP_SET] = {"at", "value", "hex", "solve", NULL},
	    [OP_DROP] = {"at", NULL},
	    [OP_DUPLICATE] = {"at", "times", NULL},
	    [OP_SWAP] = {"at", "with", NULL},
	    [OP_TRUNCATE] = {"at", "where", "size", NULL},
	    [OP_EXTEND] = {"size", "fill", "hex", "count", NULL},
	    [OP_ZERO] = {"at", "offset", "size", NULL},
	    [OP_WRITE] = {"at", "offset", "hex", NULL},
	    [OP_BITFLIP] = {"at", "offset", "bit", "count", NULL},
	    [OP_INTERESTING] = {"at", "offset", "width", "value", "count", NULL},
	    [OP_RANDOM_BYTES] = {"at", "offset", "size", "hex", "count", NULL},
	    [OP_SPLICE] = {"with", "offset", "with_offset", "count", NULL},
	    [OP_INSERT] = {"at", "where", "offset", "hex", "size", "fill", "value", "count", NULL},
	};
	for (const char *const *c = common_keys; *c; c++)
		out[n++] = *c;
	for (size_t i = 0; per_op[k][i]; i++)
		out[n++] = per_op[k][i];
	out[n] = NULL;
}

/* The whole number under key, quoted or not ('40' as well as 40); has, when not NULL, is set
 * when there is one. */
static bool get_u(struct pctx *p, const struct ynode *m, const char *key, uint64_t max, bool *has,
		  uint64_t *v)
{
	const struct ynode *n = ynode_get(m, key);
	struct ynode tmp;

	if (is_scalar(n) && n->quoted) {
		tmp = *n;
		tmp.quoted = false;
		n = &tmp;
	}
	if (!ynode_want_uint(&p->y, n, key, 0, max, v))
		return false;
	if (has)
		*has = true;
	return true;
}

static bool get_i(struct pctx *p, const struct ynode *m, const char *key, int64_t min, int64_t max,
		  bool *has, int64_t *v)
{
	if (!ynode_want_int(&p->y, ynode_get(m, key), key, min, max, v))
		return false;
	*has = true;
	return true;
}

/* The string under key ("" allowed). */
static const char *get_s(struct pctx *p, const struct ynode *m, const char *key)
{
	return ynode_want_string(&p->y, ynode_get(m, key), key, 0);
}

static bool valid_value_text(const char *v)
{
	static const char *const kw[] = {"zero", "one",	     "min", "max", "max-1",
					 "sign", "past_end", "x2",  "each"};
	for (size_t i = 0; i < ARRAY_SIZE(kw); i++)
		if (streq(v, kw[i]))
			return true;
	return false;
}

/* The op: key and the keys that op takes. Returns -EINVAL when the rest cannot be read. */
static int parse_op_kind(struct pctx *p, const struct ynode *m, struct mutate_op *o)
{
	const char *keys[32];
	_cleanup_free_ char *what = NULL;
	const struct ynode *n;
	const char *s;
	int k;

	if (m->kind != YNODE_MAP) {
		perr(p, m, "a mutation must be a map like {op: truncate, size: 40}, not %s",
		     ynode_kind_name(m->kind));
		return -EINVAL;
	}
	n = ynode_get(m, "op");
	if (!n) {
		perr(p, m,
		     "mutation without op:; expected one of: set, drop, duplicate, swap, "
		     "truncate, extend, zero, write, bitflip, interesting, random_bytes, splice, "
		     "insert");
		return -EINVAL;
	}
	s = ynode_want_enum(&p->y, n, "op", mutate_op_names);
	if (!s)
		return -EINVAL;
	for (k = 0; !streq(s, mutate_op_names[k]); k++)
		;
	o->kind = (enum op_kind)k;
	allowed_keys(o->kind, keys);
	what = xasprintf("op %s", s);
	ynode_want_keys(&p->y, m, what, keys);
	return 0;
}

/* at:, about:, checksum: and fixup:, which every op may have. */
static void parse_common(struct pctx *p, const struct ynode *m, struct mutate_op *o)
{
	static const char *const checksums[] = {"fix", "stale", NULL};
	const struct ynode *n = ynode_get(m, "fixup");
	const char *s;
	bool b;

	if ((s = get_s(p, m, "at")))
		o->at = xstrdup(s);
	if ((s = get_s(p, m, "about")))
		o->about = xstrdup(s);
	if ((s = ynode_want_enum(&p->y, ynode_get(m, "checksum"), "checksum", checksums)))
		o->stale = streq(s, "stale");
	/* tree ops: counts, lengths, offsets and relations; byte ops: the checksums at fixed
	 * places of the header, recomputed after the bytes changed (false keeps the raw bytes) */
	if (ynode_want_bool(&p->y, n, "fixup", &b))
		o->nofixup = !b;
	ynode_want_bool(&p->y, ynode_get(m, "solve"), "solve", &o->solve);
}

static void parse_numbers(struct pctx *p, const struct ynode *m, struct mutate_op *o)
{
	uint64_t u;

	if (get_u(p, m, "count", MUTATE_MAX_VARIANTS, NULL, &u)) {
		if (u == 0)
			perr(p, ynode_get(m, "count"), "count must be at least 1");
		o->count = (unsigned)u;
	}
	if (get_u(p, m, "times", 1000, NULL, &u)) {
		if (u == 0)
			perr(p, ynode_get(m, "times"), "times must be at least 1");
		o->times = (unsigned)u;
	}
	get_i(p, m, "offset", -(int64_t)MUTATE_MAX_SIZE, MUTATE_MAX_SIZE, &o->has_offset,
	      &o->offset);
	get_i(p, m, "size", -(int64_t)MUTATE_MAX_SIZE, MUTATE_MAX_SIZE, &o->has_size, &o->size);
	if (get_u(p, m, "bit", 7, &o->has_bit, &u))
		o->bit = (unsigned)u;
	if (get_u(p, m, "width", 8, &o->has_width, &u)) {
		if (u != 1 && u != 2 && u != 4 && u != 8)
			perr(p, ynode_get(m, "width"),
			     "bad width %" PRIu64 "; expected 1, 2, 4 or 8", u);
		o->width = (unsigned)u;
	}
	get_u(p, m, "with_offset", MUTATE_MAX_SIZE, &o->has_with_offset, &o->with_offset);
}

/* hex:, where: and fill:: what bytes, and where they go. */
static void parse_bytes(struct pctx *p, const struct ynode *m, struct mutate_op *o)
{
	const char *s;

	if ((s = get_s(p, m, "hex"))) {
		if (format_parse_hex(s, &o->hex, &o->n_hex) < 0)
			perr(p, ynode_get(m, "hex"),
			     "bad hex '%s'; expected pairs of hex digits like \"de ad be ef\"", s);
		else if (o->n_hex > MUTATE_MAX_SIZE)
			perr(p, ynode_get(m, "hex"), "hex too long");
		else
			o->has_hex = true;
	}
	if ((s = get_s(p, m, "where"))) {
		o->has_where = true;
		if (streq(s, "start"))
			o->where = WHERE_START;
		else if (streq(s, "middle"))
			o->where = WHERE_MIDDLE;
		else if (streq(s, "end"))
			o->where = WHERE_END;
		else
			perr(p, ynode_get(m, "where"),
			     "bad where '%s'; expected start, middle or end", s);
	}
	if ((s = get_s(p, m, "fill"))) {
		struct ynode *fn = ynode_get(m, "fill");
		uint64_t b;
		o->has_fill = true;
		if (streq(s, "zero"))
			o->fill = FILL_ZERO;
		else if (streq(s, "random"))
			o->fill = FILL_RANDOM;
		else if (ynode_uint(&(struct ynode){.kind = YNODE_SCALAR,
						    .scalar = fn->scalar,
						    .scalar_len = fn->scalar_len},
				    255, &b) == 0) {
			o->fill = FILL_BYTE;
			o->fill_byte = (uint8_t)b;
		} else
			perr(p, fn, "bad fill '%s'; expected zero, random or a byte value", s);
	}
}

/* value:: interesting's is a number; set's is kept as text (resolved against the field when
 * applied), and only checked here. */
static void parse_value(struct pctx *p, const struct ynode *m, struct mutate_op *o)
{
	const struct ynode *n = ynode_get(m, "value");
	struct ynode tmp;
	bool rel;
	int64_t x;
	uint64_t u;

	if (!n)
		return;
	if (!is_scalar(n)) {
		perr(p, n, "value must be a number, a keyword or a string, not %s",
		     ynode_kind_name(n->kind));
		return;
	}
	if (o->kind == OP_INTERESTING || o->kind == OP_INSERT) {
		/* each: one case per value of the table (interesting) or the magic dictionary
		 * (insert), in order, instead of random draws */
		if (!n->quoted && streq(n->scalar, "each"))
			o->value_each = true;
		else if (o->kind == OP_INSERT)
			perr(p, n, "bad value '%s' for insert; expected each (every magic value)",
			     n->scalar);
		else
			get_u(p, m, "value", UINT64_MAX, &o->has_value_num, &o->value_num);
		return;
	}
	o->value = xmemdup(n->scalar, n->scalar_len + 1);
	o->value_quoted = n->quoted;
	o->value_each = !n->quoted && streq(n->scalar, "each");
	if (n->quoted)
		return;
	tmp = *n;
	rel = n->scalar[0] == '+' || n->scalar[0] == '-';
	if (rel) {
		tmp.scalar = n->scalar + 1;
		tmp.scalar_len = n->scalar_len - 1;
	}
	if (!valid_value_text(n->scalar) &&
	    (rel ? ynode_int(&tmp, &x) < 0 : ynode_uint(n, UINT64_MAX, &u) < 0))
		perr(p, n,
		     "bad value '%s'; expected a number, +N, -N, x2, zero, one, max, max-1, sign, "
		     "past_end, each, or a quoted string for a bytes field",
		     n->scalar);
}

/* with:: swap's other element, or splice's other seed (read now). */
static void parse_with(struct pctx *p, const struct ynode *m, struct mutate_op *o)
{
	const char *s = get_s(p, m, "with");
	int r;

	if (!s)
		return;
	if (o->kind != OP_SPLICE) {
		o->with = xstrdup(s);
		return;
	}
	/* Record the resolved path: a replay must not depend on the directory. */
	o->with = s[0] == '/' || !p->base_dir ? xstrdup(s) : xasprintf("%s/%s", p->base_dir, s);
	r = read_file(o->with, MUTATE_MAX_SIZE, &o->with_data, &o->with_size);
	if (r < 0)
		perr(p, ynode_get(m, "with"), "cannot read splice input %s: %s", o->with,
		     strerror(-r));
}

/* Does the op leave something to chance (so count: N makes N different inputs)? */
static bool op_draws(const struct mutate_op *o)
{
	bool placed = o->has_offset || o->fixed_place;

	switch (o->kind) {
	case OP_BITFLIP:
		return !placed || !o->has_bit;
	case OP_INTERESTING:
		return !placed || !o->has_width || !o->has_value_num;
	case OP_RANDOM_BYTES:
		return !placed || !o->has_hex;
	case OP_SPLICE:
		return !o->has_offset || !o->has_with_offset;
	case OP_EXTEND:
		return !o->has_hex && o->has_fill && o->fill == FILL_RANDOM;
	case OP_INSERT:
		return (!o->at && !o->has_offset) ||
		       (!o->has_hex && !o->value_each &&
			(!o->has_size || (o->has_fill && o->fill == FILL_RANDOM)));
	default:
		return false;
	}
}

/* Two keys that say the same thing differently: one would be ignored. */
static void check_conflicts(struct pctx *p, const struct ynode *n, const struct mutate_op *o)
{
	if (o->at && o->has_offset && o->kind != OP_INSERT)
		perr(p, ynode_get(n, "offset"),
		     "%s takes at: FIELD or offset:, not both (at: would decide the place)",
		     mutate_op_names[o->kind]);
	if (o->has_hex && o->has_fill && o->kind == OP_EXTEND)
		perr(p, ynode_get(n, "fill"), "fill: applies with size:, not with hex:");
	if (o->has_hex && o->has_size && o->kind == OP_RANDOM_BYTES)
		perr(p, ynode_get(n, "size"),
		     "random_bytes takes size: (random bytes) or hex: (these bytes), not both");
	if (o->at && o->has_size && o->kind == OP_ZERO)
		perr(p, ynode_get(n, "size"),
		     "zero takes at: FIELD (its bytes) or offset: and size:, not at: and size:");
	if (o->stale && o->nofixup && !op_is_tree(o->kind))
		perr(p, ynode_get(n, "fixup"),
		     "checksum: stale and fixup: false say the same for a byte op; keep one");
}

/* What each op needs, once every key is read. */
static void check_needs(struct pctx *p, const struct ynode *n, const struct mutate_op *o)
{
	switch (o->kind) {
	case OP_SET:
		if (!o->at)
			perr(p, n, "set needs at: FIELD (a path like instances[0].field_count)");
		if (!o->value && !o->has_hex)
			perr(p, n, "set needs value: (number, keyword or string) or hex:");
		if (o->value && o->has_hex)
			perr(p, n, "set takes value: or hex:, not both");
		break;
	case OP_DROP:
	case OP_DUPLICATE:
		if (!o->at)
			perr(p, n, "%s needs at: ELEMENT (like instances[0].fields[last])",
			     mutate_op_names[o->kind]);
		break;
	case OP_SWAP:
		if (!o->at || !o->with)
			perr(p, n, "swap needs at: ELEMENT and with: ELEMENT of the same list");
		break;
	case OP_TRUNCATE:
		if (!o->at == !o->has_size)
			perr(p, n,
			     "truncate needs exactly one of size: BYTES (negative: from the "
			     "end) or at: FIELD");
		if (o->has_where && !o->at)
			perr(p, n, "where: applies with at:");
		break;
	case OP_EXTEND:
		if (!o->has_size == !o->has_hex)
			perr(p, n, "extend needs size: BYTES (with fill:) or hex:");
		if (o->has_size && o->size <= 0)
			perr(p, n, "extend size must be positive");
		break;
	case OP_ZERO:
		if (!o->at && !(o->has_offset && o->has_size))
			perr(p, n, "zero needs at: FIELD or offset: and size:");
		if (o->has_size && o->size < 0)
			perr(p, n, "zero size must not be negative");
		break;
	case OP_WRITE:
		if (!o->has_hex || (!o->at && !o->has_offset))
			perr(p, n, "write needs hex: and at: FIELD or offset:");
		break;
	case OP_RANDOM_BYTES:
		if (o->has_size && o->size <= 0)
			perr(p, n, "random_bytes size must be positive");
		break;
	case OP_SPLICE:
		if (!o->with)
			perr(p, n, "splice needs with: FILE (the other seed)");
		break;
	case OP_INSERT:
		if (o->has_size && o->size <= 0)
			perr(p, n, "insert size must be positive");
		if (o->has_hex + o->has_size + o->value_each > 1)
			perr(p, n, "insert takes one of hex:, size: (with fill:) or value: each");
		if (o->has_fill && !o->has_size)
			perr(p, n, "fill: applies with size:");
		if (o->at && o->has_offset)
			perr(p, n, "insert takes at: FIELD or offset:, not both");
		if (o->has_where && !o->at)
			perr(p, n, "where: applies with at:");
		break;
	case OP_INTERESTING:
		if (o->value_each && !o->at && !o->has_offset)
			perr(p, n,
			     "interesting with value: each needs a fixed place: offset: or at: "
			     "FIELD");
		if (o->value_each && o->count > 1)
			perr(p, n, "value: each enumerates; count does not apply");
		break;
	default:
		break;
	}
	if (o->count > 1 && op_is_random(o->kind) && !op_draws(o))
		perr(p, ynode_get(n, "count"),
		     "count: %u would make %u identical inputs: this %s draws nothing at random "
		     "(its place and bytes are given); drop count or leave one of them to chance",
		     o->count, o->count, mutate_op_names[o->kind]);
	if (o->count > 1 && !op_is_random(o->kind))
		perr(p, ynode_get(n, "count") ? ynode_get(n, "count") : n,
		     "count applies to random ops (bitflip, interesting, random_bytes, splice, "
		     "insert, extend with fill: random)");
}

static int parse_op(struct pctx *p, const struct ynode *m, struct mutate_op *o)
{
	unsigned before = p->y.errors;

	memset(o, 0, sizeof(*o));
	o->line = m->line;
	o->column = m->column;
	o->count = 1;
	o->times = 1;
	if (parse_op_kind(p, m, o) < 0)
		return -EINVAL;
	parse_common(p, m, o);
	parse_numbers(p, m, o);
	parse_bytes(p, m, o);
	parse_value(p, m, o);
	parse_with(p, m, o);
	check_needs(p, m, o);
	check_conflicts(p, m, o);
	return p->y.errors > before ? -EINVAL : 0;
}

int mutate_list_parse(const struct ynode *seq, const char *file, const char *base_dir,
		      struct diags *diags, struct mutate_list **ret)
{
	struct pctx p = {.y = {.file = file, .diags = diags}, .base_dir = base_dir};
	struct mutate_list *l = xzalloc(sizeof(*l));
	const struct ynode *one = seq;
	size_t n = 1;

	if (seq->kind == YNODE_SEQ)
		n = seq->n;
	l->v = xcalloc(n, sizeof(*l->v));
	for (size_t i = 0; i < n; i++) {
		if (seq->kind == YNODE_SEQ)
			one = seq->items[i];
		if (parse_op(&p, one, &l->v[l->n]) < 0) {
			mutate_op_finish(&l->v[l->n]);
			continue;
		}
		l->n++;
	}
	if (p.y.errors) {
		mutate_list_free(l);
		return -EINVAL;
	}
	*ret = l;
	return 0;
}

int mutate_list_parse_text(const char *text, const char *file, const char *base_dir,
			   struct diags *diags, struct mutate_list **ret)
{
	struct ynode *doc = NULL;
	int r;

	r = ynode_parse(file, text, strlen(text), diags, &doc);
	if (r < 0)
		return r;
	r = mutate_list_parse(doc, file, base_dir, diags, ret);
	ynode_free(doc);
	return r;
}
