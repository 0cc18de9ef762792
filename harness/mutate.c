/* mutate.c — see mutate.h. */
#include "mutate.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>

#include "util.h"

enum op_kind {
	OP_SET,
	OP_DROP,
	OP_DUPLICATE,
	OP_SWAP,
	OP_TRUNCATE,
	OP_EXTEND,
	OP_ZERO,
	OP_WRITE,
	OP_BITFLIP,
	OP_INTERESTING,
	OP_RANDOM_BYTES,
	OP_SPLICE,
	_OP_MAX,
};

static const char *const op_names[_OP_MAX] = {
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
};

static bool op_is_tree(enum op_kind k)
{
	return k == OP_SET || k == OP_DROP || k == OP_DUPLICATE || k == OP_SWAP;
}

static bool op_is_random(enum op_kind k)
{
	return k == OP_BITFLIP || k == OP_INTERESTING || k == OP_RANDOM_BYTES || k == OP_SPLICE ||
	       k == OP_EXTEND;
}

enum where { WHERE_START, WHERE_MIDDLE, WHERE_END };
enum fill { FILL_ZERO, FILL_RANDOM, FILL_BYTE };

struct mutate_op {
	enum op_kind kind;
	unsigned line, column;
	char *at;    /* path, "each", or NULL */
	char *with;  /* swap: element path; splice: file as written */
	char *value; /* set: raw value text */
	bool value_quoted;
	bool value_each;
	uint8_t *hex; /* set/write/extend/random_bytes: explicit bytes */
	size_t n_hex;
	bool has_hex;
	bool has_offset, has_size, has_bit, has_width, has_with_offset, has_value_num;
	int64_t offset, size;
	uint64_t with_offset;
	unsigned bit, width;
	uint64_t value_num; /* interesting */
	enum where where;
	bool has_where;
	enum fill fill;
	uint8_t fill_byte;
	bool has_fill;
	unsigned times;
	unsigned count;
	bool stale, nofixup;
	char *about;
	uint8_t *with_data; /* splice input */
	size_t with_size;
};

struct mutate_list {
	struct mutate_op *v;
	size_t n;
};

static void op_finish(struct mutate_op *o)
{
	free(o->at);
	free(o->with);
	free(o->value);
	free(o->hex);
	free(o->about);
	free(o->with_data);
}

static void op_copy(struct mutate_op *dst, const struct mutate_op *src)
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
		op_finish(&l->v[i]);
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
		if (op_is_tree(l->v[i].kind) || path_needs_format(l->v[i].at))
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

/* splitmix64: tiny, portable, and the same on every machine. */
struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = rng_next(r);
	while (x >= lim);
	return x % n;
}

/* ======================================================================== parsing */

struct pctx {
	const char *file;
	const char *base_dir;
	struct scenario_diags *diags;
	unsigned errors;
};

_printf_(3, 4) static void perr(struct pctx *p, const struct format_ynode *at, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	scenario_diag_add(p->diags, p->file, at->line, at->column, "%s", msg);
	p->errors++;
}

static int parse_hex(const char *s, uint8_t **ret, size_t *ret_n)
{
	size_t n = 0, cap = strlen(s) / 2 + 1;
	_cleanup_free_ uint8_t *b = xmalloc(cap);
	int hi = -1;

	for (; *s; s++) {
		int d;

		if (*s == ' ' || *s == ':' || *s == '_')
			continue;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		if (hi < 0)
			hi = d;
		else {
			b[n++] = (uint8_t)(hi << 4 | d);
			hi = -1;
		}
	}
	if (hi >= 0)
		return -EINVAL;
	*ret = TAKE_PTR(b);
	*ret_n = n;
	return 0;
}

static bool is_scalar(const struct format_ynode *n)
{
	return n && n->kind == FORMAT_YSCALAR;
}

static const char *const common_keys[] = {"op", "checksum", "fixup", "about", NULL};

static void allowed_keys(enum op_kind k, const char **out)
{
	size_t n = 0;
	static const char *const per_op[_OP_MAX][8] = {
	    [OP_SET] = {"at", "value", "hex", NULL},
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
	};
	for (const char *const *c = common_keys; *c; c++)
		out[n++] = *c;
	for (size_t i = 0; per_op[k][i]; i++)
		out[n++] = per_op[k][i];
	out[n] = NULL;
}

static bool get_u(struct pctx *p, const struct format_ynode *m, const char *key, uint64_t max,
		  bool *has, uint64_t *v)
{
	struct format_ynode *n = format_ynode_get(m, key);
	int r;

	if (!n)
		return false;
	r = format_ynode_uint(n, max, v);
	if (r == -EINVAL && is_scalar(n) && n->quoted) {
		struct format_ynode tmp = *n;
		tmp.quoted = false;
		r = format_ynode_uint(&tmp, max, v);
	}
	if (r < 0) {
		perr(p, n, "bad %s '%s'; expected a number from 0 to %" PRIu64, key,
		     is_scalar(n) ? n->scalar : format_ykind_name(n->kind), max);
		return false;
	}
	if (has)
		*has = true;
	return true;
}

static bool get_i(struct pctx *p, const struct format_ynode *m, const char *key, int64_t min,
		  int64_t max, bool *has, int64_t *v)
{
	struct format_ynode *n = format_ynode_get(m, key);
	int64_t x;

	if (!n)
		return false;
	if (format_ynode_int(n, &x) < 0 || x < min || x > max) {
		perr(p, n, "bad %s '%s'; expected a number from %" PRId64 " to %" PRId64, key,
		     is_scalar(n) ? n->scalar : format_ykind_name(n->kind), min, max);
		return false;
	}
	*has = true;
	*v = x;
	return true;
}

static const char *get_s(struct pctx *p, const struct format_ynode *m, const char *key)
{
	struct format_ynode *n = format_ynode_get(m, key);

	if (!n)
		return NULL;
	if (n->kind != FORMAT_YSCALAR) {
		perr(p, n, "%s must be a string, not %s", key, format_ykind_name(n->kind));
		return NULL;
	}
	if (strlen(n->scalar) != n->scalar_len) {
		perr(p, n, "%s contains a NUL character", key);
		return NULL;
	}
	return n->scalar;
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

static int parse_op(struct pctx *p, const struct format_ynode *m, struct mutate_op *o)
{
	const char *keys[24];
	const char *s;
	struct format_ynode *n;
	unsigned before = p->errors;
	uint64_t u;
	int k;

	memset(o, 0, sizeof(*o));
	o->line = m->line;
	o->column = m->column;
	o->count = 1;
	o->times = 1;
	if (m->kind != FORMAT_YMAP) {
		perr(p, m, "a mutation must be a map like {op: truncate, size: 40}, not %s",
		     format_ykind_name(m->kind));
		return -EINVAL;
	}
	n = format_ynode_get(m, "op");
	if (!n) {
		perr(p, m,
		     "mutation without op:; expected one of: set, drop, duplicate, swap, "
		     "truncate, extend, zero, write, bitflip, interesting, random_bytes, splice");
		return -EINVAL;
	}
	s = get_s(p, m, "op");
	if (!s)
		return -EINVAL;
	for (k = 0; k < _OP_MAX; k++)
		if (streq(s, op_names[k]))
			break;
	if (k == _OP_MAX) {
		perr(p, n,
		     "unknown op '%s'; expected one of: set, drop, duplicate, swap, truncate, "
		     "extend, zero, write, bitflip, interesting, random_bytes, splice",
		     s);
		return -EINVAL;
	}
	o->kind = (enum op_kind)k;
	allowed_keys(o->kind, keys);
	_cleanup_free_ char *what = xasprintf("op %s", s);
	p->errors += format_ynode_check_keys(m, p->file, what, keys, p->diags);

	if ((s = get_s(p, m, "at")))
		o->at = xstrdup(s);
	if ((s = get_s(p, m, "about")))
		o->about = xstrdup(s);
	if ((n = format_ynode_get(m, "checksum"))) {
		s = get_s(p, m, "checksum");
		if (s && streq(s, "stale"))
			o->stale = true;
		else if (!s || !streq(s, "fix"))
			perr(p, n, "bad checksum '%s'; expected fix (default) or stale",
			     s ? s : "");
	}
	if ((n = format_ynode_get(m, "fixup"))) {
		bool b;
		if (format_ynode_bool(n, &b) < 0)
			perr(p, n, "bad fixup; expected true (default) or false");
		else if (!op_is_tree(o->kind))
			perr(p, n, "fixup applies to set, drop, duplicate and swap");
		else
			o->nofixup = !b;
	}
	if (get_u(p, m, "count", MUTATE_MAX_VARIANTS, NULL, &u)) {
		if (u == 0)
			perr(p, format_ynode_get(m, "count"), "count must be at least 1");
		o->count = (unsigned)u;
	}
	if (get_u(p, m, "times", 1000, NULL, &u)) {
		if (u == 0)
			perr(p, format_ynode_get(m, "times"), "times must be at least 1");
		o->times = (unsigned)u;
	}
	get_i(p, m, "offset", -(int64_t)MUTATE_MAX_SIZE, MUTATE_MAX_SIZE, &o->has_offset,
	      &o->offset);
	get_i(p, m, "size", -(int64_t)MUTATE_MAX_SIZE, MUTATE_MAX_SIZE, &o->has_size, &o->size);
	if (get_u(p, m, "bit", 7, &o->has_bit, &u))
		o->bit = (unsigned)u;
	if (get_u(p, m, "width", 8, &o->has_width, &u)) {
		if (u != 1 && u != 2 && u != 4 && u != 8)
			perr(p, format_ynode_get(m, "width"),
			     "bad width %" PRIu64 "; expected 1, 2, 4 or 8", u);
		o->width = (unsigned)u;
	}
	get_u(p, m, "with_offset", MUTATE_MAX_SIZE, &o->has_with_offset, &o->with_offset);
	if ((s = get_s(p, m, "hex"))) {
		if (parse_hex(s, &o->hex, &o->n_hex) < 0)
			perr(p, format_ynode_get(m, "hex"),
			     "bad hex '%s'; expected pairs of hex digits like \"de ad be ef\"", s);
		else if (o->n_hex > MUTATE_MAX_SIZE)
			perr(p, format_ynode_get(m, "hex"), "hex too long");
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
			perr(p, format_ynode_get(m, "where"),
			     "bad where '%s'; expected start, middle or end", s);
	}
	if ((s = get_s(p, m, "fill"))) {
		struct format_ynode *fn = format_ynode_get(m, "fill");
		uint64_t b;
		o->has_fill = true;
		if (streq(s, "zero"))
			o->fill = FILL_ZERO;
		else if (streq(s, "random"))
			o->fill = FILL_RANDOM;
		else if (format_ynode_uint(&(struct format_ynode){.kind = FORMAT_YSCALAR,
								  .scalar = fn->scalar,
								  .scalar_len = fn->scalar_len},
					   255, &b) == 0) {
			o->fill = FILL_BYTE;
			o->fill_byte = (uint8_t)b;
		} else
			perr(p, fn, "bad fill '%s'; expected zero, random or a byte value", s);
	}
	if ((n = format_ynode_get(m, "value"))) {
		if (!is_scalar(n))
			perr(p, n, "value must be a number, a keyword or a string, not %s",
			     format_ykind_name(n->kind));
		else if (o->kind == OP_INTERESTING) {
			get_u(p, m, "value", UINT64_MAX, &o->has_value_num, &o->value_num);
		} else {
			o->value = xmemdup(n->scalar, n->scalar_len + 1);
			o->value_quoted = n->quoted;
			o->value_each = !n->quoted && streq(n->scalar, "each");
			if (!n->quoted) {
				int64_t x;
				struct format_ynode tmp = *n;
				bool rel = n->scalar[0] == '+' || n->scalar[0] == '-';
				if (rel) {
					tmp.scalar = n->scalar + 1;
					tmp.scalar_len = n->scalar_len - 1;
				}
				if (!valid_value_text(n->scalar) &&
				    (rel ? format_ynode_int(&tmp, &x) < 0
					 : format_ynode_uint(n, UINT64_MAX, &u) < 0))
					perr(p, n,
					     "bad value '%s'; expected a number, +N, -N, x2, zero, "
					     "one, max, max-1, sign, past_end, each, or a quoted "
					     "string for a bytes field",
					     n->scalar);
			}
		}
	}
	if ((s = get_s(p, m, "with"))) {
		o->with = xstrdup(s);
		if (o->kind == OP_SPLICE) {
			/* Record the resolved path: a replay must not depend on the directory. */
			free(o->with);
			o->with = s[0] == '/' || !p->base_dir ? xstrdup(s)
							      : xasprintf("%s/%s", p->base_dir, s);
			_cleanup_free_ char *path = s[0] == '/' || !p->base_dir
							? xstrdup(s)
							: xasprintf("%s/%s", p->base_dir, s);
			int r = read_file(path, MUTATE_MAX_SIZE, &o->with_data, &o->with_size);
			if (r < 0)
				perr(p, format_ynode_get(m, "with"),
				     "cannot read splice input %s: %s", path, strerror(-r));
		}
	}

	/* What each op needs. */
	n = (struct format_ynode *)m;
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
			     op_names[o->kind]);
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
	default:
		break;
	}
	if (o->count > 1 && !op_is_random(o->kind))
		perr(p, format_ynode_get(m, "count") ? format_ynode_get(m, "count") : n,
		     "count applies to random ops (bitflip, interesting, random_bytes, splice, "
		     "extend with fill: random)");
	return p->errors > before ? -EINVAL : 0;
}

int mutate_list_parse(const struct format_ynode *seq, const char *file, const char *base_dir,
		      struct scenario_diags *diags, struct mutate_list **ret)
{
	struct pctx p = {.file = file, .base_dir = base_dir, .diags = diags};
	struct mutate_list *l = xzalloc(sizeof(*l));
	const struct format_ynode *one = seq;
	size_t n = 1;

	if (seq->kind == FORMAT_YSEQ)
		n = seq->n;
	l->v = xcalloc(n, sizeof(*l->v));
	for (size_t i = 0; i < n; i++) {
		if (seq->kind == FORMAT_YSEQ)
			one = seq->items[i];
		if (parse_op(&p, one, &l->v[l->n]) < 0) {
			op_finish(&l->v[l->n]);
			continue;
		}
		l->n++;
	}
	if (p.errors) {
		mutate_list_free(l);
		return -EINVAL;
	}
	*ret = l;
	return 0;
}

int mutate_list_parse_text(const char *text, const char *file, const char *base_dir,
			   struct scenario_diags *diags, struct mutate_list **ret)
{
	struct format_ynode *doc = NULL;
	int r;

	r = format_yaml_parse(file, text, strlen(text), diags, &doc);
	if (r < 0)
		return r;
	r = mutate_list_parse(doc, file, base_dir, diags, ret);
	format_ynode_free(doc);
	return r;
}

/* ======================================================================== applying */

struct mstate {
	const struct format *f;
	struct format_node *tree; /* valid when non-NULL */
	bool tree_dirty;	  /* tree edited since data was produced */
	uint8_t *data;
	size_t size;
	bool raw_dirty; /* bytes edited since the last encode */
	bool fix_lengths, stale, sum_pinned;
	size_t n_nodes; /* nodes in tree, bounded by MUTATE_MAX_NODES */
	size_t n_bytes; /* bytes the tree encodes to (about), bounded by MUTATE_MAX_SIZE */
	char *error;
};

static size_t count_nodes(const struct format_node *n, size_t *bytes)
{
	size_t c = 1;

	*bytes += n->kind == FORMAT_NODE_UINT ? n->item->width : n->len;
	for (size_t i = 0; i < n->n_kids; i++)
		c += count_nodes(n->kids[i], bytes);
	return c;
}

_printf_(2, 3) static int serr(struct mstate *s, const char *fmt, ...)
{
	va_list ap;

	free(s->error);
	va_start(ap, fmt);
	if (vasprintf(&s->error, fmt, ap) < 0)
		abort();
	va_end(ap);
	return -EINVAL;
}

static int need_bytes(struct mstate *s)
{
	if (!s->tree || !s->tree_dirty)
		return 0;
	free(s->data);
	format_encode(s->f, s->tree, s->fix_lengths, !s->stale, &s->data, &s->size);
	s->tree_dirty = false;
	s->raw_dirty = false;
	if (s->size > MUTATE_MAX_SIZE)
		return serr(s, "the input grew past %u bytes", MUTATE_MAX_SIZE);
	return 0;
}

static int need_tree(struct mstate *s)
{
	_cleanup_free_ char *err = NULL;
	int r;

	if (s->tree)
		return 0;
	if (!s->f)
		return serr(s, "this mutation needs a format description (set format: in the "
			       "scenario or --format)");
	r = need_bytes(s);
	if (r < 0)
		return r;
	r = format_decode(s->f, s->data, s->size, &s->tree, &err);
	if (r < 0)
		return serr(s,
			    "the input does not decode as %s at this point (%s); put "
			    "structural mutations before byte mutations",
			    format_name(s->f), err);
	s->tree_dirty = false;
	s->n_bytes = 0;
	s->n_nodes = count_nodes(s->tree, &s->n_bytes);
	return 0;
}

static void bytes_changed(struct mstate *s)
{
	s->tree = format_node_free(s->tree);
	s->raw_dirty = true;
}

/* Find exactly one node. */
static int find_one(struct mstate *s, const char *path, struct format_node **ret)
{
	_cleanup_free_ struct format_node **v = NULL;
	_cleanup_free_ char *err = NULL;
	size_t n = 0;
	int r;

	r = format_node_find(s->tree, path, &v, &n, &err);
	if (r < 0)
		return serr(s, "at '%s': %s", path, err);
	if (n != 1)
		return serr(s, "at '%s' matches %zu fields; expected exactly one here", path, n);
	*ret = v[0];
	return 0;
}

static bool node_derived(const struct format_node *n)
{
	return n->kind == FORMAT_NODE_UINT &&
	       (n->item->role == FORMAT_ROLE_COUNT || n->item->role == FORMAT_ROLE_LENGTH ||
		n->item->role == FORMAT_ROLE_OFFSET);
}

static int apply_set(struct mstate *s, struct mutate_op *o)
{
	struct format_node *n;
	int r;

	r = need_tree(s);
	if (r < 0)
		return r;
	r = find_one(s, o->at, &n);
	if (r < 0)
		return r;
	if (n->kind == FORMAT_NODE_BYTES) {
		if (o->has_hex) {
			free(n->bytes);
			n->bytes = xmemdup(o->hex, o->n_hex);
			n->len = o->n_hex;
		} else if (o->value && !o->value_quoted && streq(o->value, "zero")) {
			memset(n->bytes, 0, n->len);
		} else {
			free(n->bytes);
			n->len = strlen(o->value);
			n->bytes = xmemdup(o->value, n->len);
		}
		s->tree_dirty = true;
		return 0;
	}
	if (n->kind != FORMAT_NODE_UINT)
		return serr(s, "set at '%s': that is a %s, not a value; aim at one of its fields",
			    o->at, n->kind == FORMAT_NODE_ARRAY ? "list" : "record");
	unsigned w = n->item->width;
	uint64_t mask = w >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * w)) - 1;
	const char *v = o->value;
	uint64_t x;

	if (o->has_hex) {
		if (o->n_hex != w)
			return serr(s, "set at '%s': hex has %zu bytes, the field %u", o->at,
				    o->n_hex, w);
		x = 0;
		for (unsigned i = 0; i < w; i++) /* hex is in file byte order */
			x |= (uint64_t)o->hex[n->item->big_endian ? i : w - 1 - i]
			     << (8 * (w - 1 - i));
		n->pin = FORMAT_PIN_ABS;
		n->value = x;
	} else if (streq(v, "zero") || streq(v, "min")) {
		n->pin = FORMAT_PIN_ABS;
		n->value = 0;
	} else if (streq(v, "one")) {
		n->pin = FORMAT_PIN_ABS;
		n->value = 1;
	} else if (streq(v, "max")) {
		n->pin = FORMAT_PIN_ABS;
		n->value = mask;
	} else if (streq(v, "max-1")) {
		n->pin = FORMAT_PIN_ABS;
		n->value = mask - 1;
	} else if (streq(v, "sign")) {
		n->pin = FORMAT_PIN_ABS;
		n->value = UINT64_C(1) << (8 * w - 1);
	} else if (streq(v, "x2")) {
		n->pin = FORMAT_PIN_MUL;
		n->pin_arg = 2;
	} else if (streq(v, "past_end")) {
		if (n->item->role != FORMAT_ROLE_LENGTH && n->item->role != FORMAT_ROLE_OFFSET)
			return serr(s,
				    "set at '%s': past_end applies to length_of and offset_of "
				    "fields",
				    o->at);
		n->pin = FORMAT_PIN_PAST_END;
		n->pin_arg = 1;
	} else if (v[0] == '+' || v[0] == '-') {
		struct format_ynode tmp = {
		    .kind = FORMAT_YSCALAR, .scalar = (char *)v + 1, .scalar_len = strlen(v + 1)};
		if (format_ynode_uint(&tmp, INT64_MAX, &x) < 0)
			return serr(s, "set at '%s': bad relative value '%s'", o->at, v);
		n->pin = FORMAT_PIN_ADD;
		n->pin_arg = v[0] == '-' ? -(int64_t)x : (int64_t)x;
	} else {
		struct format_ynode tmp = {
		    .kind = FORMAT_YSCALAR, .scalar = (char *)v, .scalar_len = strlen(v)};
		if (format_ynode_uint(&tmp, UINT64_MAX, &x) < 0)
			return serr(s, "set at '%s': bad value '%s' for an integer field", o->at,
				    v);
		if (x > mask)
			return serr(s, "set at '%s': %s does not fit in %u bytes (max %" PRIu64 ")",
				    o->at, v, w, mask);
		n->pin = FORMAT_PIN_ABS;
		n->value = x;
	}
	if (n->item->role == FORMAT_ROLE_CHECKSUM)
		s->sum_pinned = true;
	s->tree_dirty = true;
	return 0;
}

static int element(struct mstate *s, const char *path, const char *what, struct format_node **ret,
		   size_t *ret_idx)
{
	struct format_node *n, *a;
	size_t i;
	int r;

	r = find_one(s, path, &n);
	if (r < 0)
		return r;
	a = n->parent;
	if (!a || a->kind != FORMAT_NODE_ARRAY)
		return serr(s,
			    "%s at '%s': not an element of a repeated field; expected a path "
			    "like instances[0]",
			    what, path);
	for (i = 0; a->kids[i] != n; i++)
		;
	*ret = n;
	*ret_idx = i;
	return 0;
}

static int apply_tree(struct mstate *s, struct mutate_op *o)
{
	struct format_node *n, *m, *a;
	size_t i, j;
	int r;

	if (o->nofixup)
		s->fix_lengths = false;
	if (o->kind == OP_SET)
		return apply_set(s, o);
	r = need_tree(s);
	if (r < 0)
		return r;
	r = element(s, o->at, op_names[o->kind], &n, &i);
	if (r < 0)
		return r;
	a = n->parent;
	switch (o->kind) {
	case OP_DROP:
		format_node_free(n);
		memmove(a->kids + i, a->kids + i + 1, (a->n_kids - i - 1) * sizeof(*a->kids));
		a->n_kids--;
		break;
	case OP_DUPLICATE: {
		size_t bytes = 0, add = count_nodes(n, &bytes) * o->times;

		bytes *= o->times;
		if (s->n_nodes + add > MUTATE_MAX_NODES || s->n_bytes + bytes > MUTATE_MAX_SIZE)
			return serr(s,
				    "duplicate at '%s': the input would grow past %u fields or "
				    "%u bytes",
				    o->at, MUTATE_MAX_NODES, MUTATE_MAX_SIZE);
		s->n_nodes += add;
		s->n_bytes += bytes;
		a->kids = xreallocarray(a->kids, a->n_kids + o->times, sizeof(*a->kids));
		memmove(a->kids + i + 1 + o->times, a->kids + i + 1,
			(a->n_kids - i - 1) * sizeof(*a->kids));
		for (unsigned t = 0; t < o->times; t++)
			a->kids[i + 1 + t] = format_node_clone(n, a);
		a->n_kids += o->times;
		break;
	}
	case OP_SWAP:
		r = element(s, o->with, "swap", &m, &j);
		if (r < 0)
			return r;
		if (m->parent != a)
			return serr(s, "swap: '%s' and '%s' are not in the same list", o->at,
				    o->with);
		a->kids[i] = m;
		a->kids[j] = n;
		break;
	default:
		break;
	}
	s->tree_dirty = true;
	return 0;
}

/* Resolve at:/where: into a byte range of the current bytes. */
static int locate(struct mstate *s, const struct mutate_op *o, size_t *ret_off, size_t *ret_len)
{
	struct format_node *n;
	int r;

	r = need_bytes(s);
	if (r < 0)
		return r;
	r = need_tree(s);
	if (r < 0)
		return r;
	r = find_one(s, o->at, &n);
	if (r < 0)
		return r;
	*ret_off = n->offset;
	*ret_len = n->size;
	return 0;
}

static size_t resolve_offset(const struct mstate *s, int64_t off)
{
	if (off < 0)
		return (size_t)-off > s->size ? 0 : s->size - (size_t)-off;
	return (size_t)off;
}

static char *hexstr(const uint8_t *b, size_t n)
{
	char *s = xmalloc(2 * n + 1);

	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	s[2 * n] = 0;
	return s;
}

static void set_hex(struct mutate_op *o, const uint8_t *b, size_t n)
{
	free(o->hex);
	o->hex = xmemdup(b, n);
	o->n_hex = n;
	o->has_hex = true;
}

/* Byte ops: o is the concrete copy; random choices are written back into it. */
static int apply_bytes(struct mstate *s, struct mutate_op *o, struct rng *rng)
{
	size_t off = 0, len = 0;
	int r;

	if (o->at) {
		r = locate(s, o, &off, &len);
		if (r < 0)
			return r;
	} else {
		r = need_bytes(s);
		if (r < 0)
			return r;
	}
	switch (o->kind) {
	case OP_TRUNCATE: {
		size_t keep;

		if (o->at) {
			keep = o->where == WHERE_START ? off
			       : o->where == WHERE_END ? off + len
						       : off + len / 2;
			free(o->about);
			o->about = xasprintf("at %s%s", o->at,
					     o->where == WHERE_START ? ""
					     : o->where == WHERE_END ? " end"
								     : " middle");
			o->at = (free(o->at), NULL);
			o->has_size = true;
			o->size = (int64_t)keep;
		} else {
			keep = resolve_offset(s, o->size);
		}
		if (keep < s->size)
			s->size = keep;
		break;
	}
	case OP_EXTEND: {
		if (!o->has_hex) {
			_cleanup_free_ uint8_t *b = xzalloc((size_t)o->size);
			if (o->fill == FILL_RANDOM)
				for (int64_t i = 0; i < o->size; i++)
					b[i] = (uint8_t)rng_next(rng);
			else if (o->fill == FILL_BYTE)
				memset(b, o->fill_byte, (size_t)o->size);
			if (o->fill == FILL_RANDOM) {
				set_hex(o, b, (size_t)o->size);
				o->has_size = false;
				o->has_fill = false;
			} else {
				if (s->size + (size_t)o->size > MUTATE_MAX_SIZE)
					return serr(s, "extend: the input would exceed %u bytes",
						    MUTATE_MAX_SIZE);
				s->data = xrealloc(s->data, s->size + (size_t)o->size);
				memcpy(s->data + s->size, b, (size_t)o->size);
				s->size += (size_t)o->size;
				break;
			}
		}
		if (s->size + o->n_hex > MUTATE_MAX_SIZE)
			return serr(s, "extend: the input would exceed %u bytes", MUTATE_MAX_SIZE);
		s->data = xrealloc(s->data, s->size + o->n_hex);
		memcpy(s->data + s->size, o->hex, o->n_hex);
		s->size += o->n_hex;
		break;
	}
	case OP_ZERO:
	case OP_WRITE: {
		const uint8_t *src = o->hex;
		size_t n;

		if (!o->at) {
			off = resolve_offset(s, o->offset);
			len = o->kind == OP_ZERO ? (size_t)o->size : o->n_hex;
		} else {
			free(o->about);
			o->about = xasprintf("at %s", o->at);
			o->at = (free(o->at), NULL);
			if (o->kind == OP_WRITE)
				len = o->n_hex;
			o->has_offset = true;
			o->offset = (int64_t)off;
			if (o->kind == OP_ZERO) {
				o->has_size = true;
				o->size = (int64_t)len;
			}
		}
		if (off > s->size)
			return serr(s, "%s at offset %zu: past the end (%zu bytes)",
				    op_names[o->kind], off, s->size);
		n = len > s->size - off ? s->size - off : len;
		if (o->kind == OP_ZERO)
			memset(s->data + off, 0, n);
		else
			memcpy(s->data + off, src, n);
		break;
	}
	case OP_BITFLIP:
	case OP_INTERESTING:
	case OP_RANDOM_BYTES: {
		size_t lo = 0, span = s->size;

		if (o->at) {
			lo = off;
			span = len;
			free(o->about);
			o->about = xasprintf("in %s", o->at);
			o->at = (free(o->at), NULL);
		}
		if (span == 0 && !o->has_offset)
			return serr(s, "%s: nothing to mutate (empty range)", op_names[o->kind]);
		if (!o->has_offset) {
			o->has_offset = true;
			o->offset = (int64_t)(lo + rng_below(rng, span));
		}
		off = resolve_offset(s, o->offset);
		o->offset = (int64_t)off;
		if (off >= s->size)
			return serr(s, "%s at offset %zu: past the end (%zu bytes)",
				    op_names[o->kind], off, s->size);
		if (o->kind == OP_BITFLIP) {
			if (!o->has_bit) {
				o->has_bit = true;
				o->bit = (unsigned)rng_below(rng, 8);
			}
			s->data[off] ^= (uint8_t)(1u << o->bit);
		} else if (o->kind == OP_INTERESTING) {
			static const uint64_t v1[] = {0, 1, 0x7f, 0x80, 0xff};
			static const uint64_t v2[] = {0, 1, 0x7fff, 0x8000, 0xffff, 0x100, 0xff};
			static const uint64_t v4[] = {0,	  1,	   0x7fffffff, 0x80000000,
						      0xffffffff, 0x10000, 0xffff,     0x1000};
			static const uint64_t v8[] = {0, 1, UINT64_MAX, 1ull << 63,
						      (1ull << 63) - 1};
			if (!o->has_width) {
				static const unsigned ws[] = {1, 2, 4};
				o->has_width = true;
				o->width = ws[rng_below(rng, 3)];
			}
			if (!o->has_value_num) {
				const uint64_t *t = o->width == 1   ? v1
						    : o->width == 2 ? v2
						    : o->width == 4 ? v4
								    : v8;
				size_t nt = o->width == 1   ? ARRAY_SIZE(v1)
					    : o->width == 2 ? ARRAY_SIZE(v2)
					    : o->width == 4 ? ARRAY_SIZE(v4)
							    : ARRAY_SIZE(v8);
				o->has_value_num = true;
				o->value_num = t[rng_below(rng, nt)];
			}
			for (unsigned i = 0; i < o->width && off + i < s->size; i++)
				s->data[off + i] = (uint8_t)(o->value_num >> (8 * i));
		} else {
			if (!o->has_hex) {
				size_t room = s->size - off, n;
				_cleanup_free_ uint8_t *b = NULL;

				n = o->has_size ? (size_t)o->size : 1 + rng_below(rng, 16);
				if (n > room)
					n = room;
				b = xmalloc(n);
				for (size_t i = 0; i < n; i++)
					b[i] = (uint8_t)rng_next(rng);
				set_hex(o, b, n);
				o->has_size = false;
			}
			for (size_t i = 0; i < o->n_hex && off + i < s->size; i++)
				s->data[off + i] = o->hex[i];
		}
		break;
	}
	case OP_SPLICE: {
		size_t a, b;
		uint8_t *d;

		if (!o->has_offset) {
			o->has_offset = true;
			o->offset = (int64_t)rng_below(rng, s->size + 1);
		}
		if (!o->has_with_offset) {
			o->has_with_offset = true;
			o->with_offset = rng_below(rng, o->with_size + 1);
		}
		a = resolve_offset(s, o->offset);
		b = o->with_offset;
		if (a > s->size || b > o->with_size)
			return serr(s, "splice: offsets %zu/%zu past the ends (%zu/%zu bytes)", a,
				    b, s->size, o->with_size);
		if (a + o->with_size - b > MUTATE_MAX_SIZE)
			return serr(s, "splice: the input would exceed %u bytes", MUTATE_MAX_SIZE);
		d = xmalloc(a + o->with_size - b);
		memcpy(d, s->data, a);
		memcpy(d + a, o->with_data + b, o->with_size - b);
		free(s->data);
		s->data = d;
		s->size = a + o->with_size - b;
		break;
	}
	default:
		break;
	}
	bytes_changed(s);
	return 0;
}

static json_object *op_json(const struct mutate_op *o)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "op", json_object_new_string(op_names[o->kind]));
	if (o->at)
		json_object_object_add(j, "at", json_object_new_string(o->at));
	if (o->with)
		json_object_object_add(j, "with", json_object_new_string(o->with));
	if (o->value) {
		uint64_t u;
		struct format_ynode tmp = {
		    .kind = FORMAT_YSCALAR, .scalar = o->value, .scalar_len = strlen(o->value)};
		if (!o->value_quoted && o->value[0] != '+' && o->value[0] != '-' &&
		    format_ynode_uint(&tmp, INT64_MAX, &u) == 0)
			json_object_object_add(j, "value", json_object_new_int64((int64_t)u));
		else
			json_object_object_add(j, "value", json_object_new_string(o->value));
	}
	if (o->kind == OP_INTERESTING && o->has_value_num)
		json_object_object_add(j, "value", json_object_new_uint64(o->value_num));
	if (o->has_offset)
		json_object_object_add(j, "offset", json_object_new_int64(o->offset));
	if (o->has_size)
		json_object_object_add(j, "size", json_object_new_int64(o->size));
	if (o->has_with_offset)
		json_object_object_add(j, "with_offset",
				       json_object_new_int64((int64_t)o->with_offset));
	if (o->has_bit)
		json_object_object_add(j, "bit", json_object_new_int(o->bit));
	if (o->has_width)
		json_object_object_add(j, "width", json_object_new_int(o->width));
	if (o->has_where && o->at)
		json_object_object_add(j, "where",
				       json_object_new_string(o->where == WHERE_START ? "start"
							      : o->where == WHERE_END ? "end"
										      : "middle"));
	if (o->has_fill)
		json_object_object_add(j, "fill",
				       o->fill == FILL_ZERO ? json_object_new_string("zero")
				       : o->fill == FILL_RANDOM
					   ? json_object_new_string("random")
					   : json_object_new_int(o->fill_byte));
	if (o->has_hex) {
		_cleanup_free_ char *h = hexstr(o->hex, o->n_hex);
		json_object_object_add(j, "hex", json_object_new_string(h));
	}
	if (o->kind == OP_DUPLICATE && o->times != 1)
		json_object_object_add(j, "times", json_object_new_int((int)o->times));
	if (o->stale)
		json_object_object_add(j, "checksum", json_object_new_string("stale"));
	if (o->nofixup)
		json_object_object_add(j, "fixup", json_object_new_boolean(false));
	if (o->about)
		json_object_object_add(j, "about", json_object_new_string(o->about));
	return j;
}

/* Apply concrete ops (random fields are filled in) to the seed. */
static int apply_all(const struct format *f, struct mutate_op *ops, size_t n, const uint8_t *data,
		     size_t size, uint64_t seed, const size_t *draw, uint8_t **ret,
		     size_t *ret_size, size_t *ret_failed, char **ret_error)
{
	struct mstate s = {.f = f, .fix_lengths = true};
	int r = 0;

	s.data = xmemdup(data, size);
	s.size = size;
	for (size_t i = 0; i < n; i++)
		if (ops[i].stale)
			s.stale = true;
	for (size_t i = 0; i < n; i++) {
		/* Each op draws from its own stream: (seed, op position, draw number), so one op's
		 * choices do not shift when another op's expansion changes. */
		struct rng rng = {mutate_seed_derive(seed, op_names[ops[i].kind],
						     (uint64_t)i << 32 | (draw ? draw[i] : 0))};

		r = op_is_tree(ops[i].kind) ? apply_tree(&s, &ops[i])
					    : apply_bytes(&s, &ops[i], &rng);
		if (r < 0) {
			*ret_failed = i;
			goto fail;
		}
	}
	r = need_bytes(&s);
	if (r < 0) {
		*ret_failed = n ? n - 1 : 0;
		goto fail;
	}
	if (n > 0 && s.raw_dirty && f && !s.stale && !s.sum_pinned)
		format_fix_checksums_raw(f, s.data, s.size);
	format_node_free(s.tree);
	*ret = s.data;
	*ret_size = s.size;
	return 0;
fail:
	format_node_free(s.tree);
	free(s.data);
	*ret_error = s.error ? s.error : xstrdup("mutation failed");
	return r;
}

/* ======================================================================== expansion */

struct choice {
	char *at;	   /* concrete path (or NULL = the op's own) */
	const char *value; /* set value keyword (or NULL = the op's own) */
	int64_t size;	   /* truncate at a boundary */
	bool has_size;
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

static int build_choices(const struct mutate_op *o, struct format_node *tree, const char *seed_err,
			 struct opchoices *c, char **ret_error)
{
	static const char *const plain_vals[] = {"zero", "one", "max", "max-1", "sign"};
	static const char *const derived_vals[] = {"+1", "-1", "x2"};
	_cleanup_free_ struct format_node **nodes = NULL;
	size_t n_nodes = 0;

	memset(c, 0, sizeof(*c));
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
		if (streq(o->at, "each")) {
			if (o->kind == OP_DROP || o->kind == OP_DUPLICATE || o->kind == OP_SWAP) {
				/* every element of every repeated field */
				struct format_node *stack[256];
				size_t sp = 0;
				stack[sp++] = tree;
				while (sp > 0) {
					struct format_node *x = stack[--sp];
					for (size_t i = x->n_kids; i-- > 0;) {
						if (x->kind == FORMAT_NODE_ARRAY)
							nodes = xreallocarray(nodes, n_nodes + 1,
									      sizeof(*nodes)),
							nodes[n_nodes++] = x->kids[i];
						if (sp < ARRAY_SIZE(stack))
							stack[sp++] = x->kids[i];
					}
				}
			} else {
				format_node_leaves(tree, &nodes, &n_nodes);
			}
		} else {
			char *err = NULL;
			int r = format_node_find(tree, o->at, &nodes, &n_nodes, &err);
			if (r < 0) {
				*ret_error = xasprintf("at '%s': %s", o->at, err);
				free(err);
				return r;
			}
		}
		for (size_t i = 0; i < n_nodes; i++) {
			struct format_node *x = nodes[i];

			if (o->kind == OP_TRUNCATE && streq(o->at, "each")) {
				if (x->offset > 0)
					push_choice(c, NULL, NULL, true, (int64_t)x->offset);
				continue;
			}
			if (o->kind == OP_SET && (o->value_each || streq(o->at, "each"))) {
				if (x->kind != FORMAT_NODE_UINT && o->value_each)
					continue;
				if (x->kind != FORMAT_NODE_UINT && streq(o->at, "each") &&
				    !o->has_hex && !o->value_quoted)
					continue;
			}
			if (o->kind == OP_SET && o->value_each) {
				for (size_t k = 0; k < ARRAY_SIZE(plain_vals); k++)
					push_choice(c, format_node_path(x), plain_vals[k], false,
						    0);
				if (node_derived(x))
					for (size_t k = 0; k < ARRAY_SIZE(derived_vals); k++)
						push_choice(c, format_node_path(x), derived_vals[k],
							    false, 0);
				if (node_derived(x) && x->item->role != FORMAT_ROLE_COUNT)
					push_choice(c, format_node_path(x), "past_end", false, 0);
				continue;
			}
			push_choice(c, format_node_path(x), NULL, false, 0);
		}
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
		for (size_t j = 0; j < c[i].n; j++)
			free(c[i].v[j].at);
		free(c[i].v);
	}
	free(c);
}

static int prepare(const struct mutate_list *l, const struct format *f, const uint8_t *data,
		   size_t size, const char *file, struct scenario_diags *diags,
		   struct opchoices **ret_c, size_t *ret_total)
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
			scenario_diag_add(diags, file, o->line, o->column,
					  "op %s needs a format description; set format: in the "
					  "scenario (or --format)",
					  op_names[o->kind]);
			r = -EINVAL;
			continue;
		}
		if (build_choices(o, tree, seed_err, &c[i], &err) < 0) {
			scenario_diag_add(diags, file, o->line, o->column, "op %s: %s",
					  op_names[o->kind], err);
			free(err);
			r = -EINVAL;
			continue;
		}
		if (total > MUTATE_MAX_VARIANTS / c[i].total) {
			scenario_diag_add(diags, file, o->line, o->column,
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

int mutate_count(const struct mutate_list *l, const struct format *f, const uint8_t *data,
		 size_t size, const char *file, struct scenario_diags *diags, size_t *ret_n)
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
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int mutate_expand(const struct mutate_list *l, const struct format *f, const uint8_t *data,
		  size_t size, uint64_t seed, const char *file, struct scenario_diags *diags,
		  struct mutate_result *ret)
{
	struct mutate_result res = {0};
	struct opchoices *c = NULL;
	size_t total = 0;
	char **seen = NULL;
	size_t n_seen = 0, total_bytes = 0;
	int r;

	r = prepare(l, f, data, size, file, diags, &c, &total);
	if (r < 0)
		return r;
	res.n_variants = total;
	for (size_t v = 0; v < total; v++) {
		struct mutate_op *ops = xcalloc(l->n + 1, sizeof(*ops));
		size_t rest = v, failed = 0;
		uint8_t *out = NULL;
		size_t out_size = 0;
		char *err = NULL;
		json_object *arr;
		char sha[65];
		bool dup;

		/* Mixed radix: the first op varies slowest, so related inputs sit together. */
		size_t *digit = xcalloc(l->n + 1, sizeof(size_t));
		_cleanup_free_ size_t *draw = xcalloc(l->n + 1, sizeof(size_t));
		for (size_t i = l->n; i-- > 0;) {
			digit[i] = rest % c[i].total;
			rest /= c[i].total;
		}
		for (size_t i = 0; i < l->n; i++) {
			const struct mutate_op *o = &l->v[i];
			size_t ch = c[i].n ? digit[i] / o->count : 0;
			size_t k = c[i].n ? digit[i] % o->count : digit[i];

			op_copy(&ops[i], o);
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
			}
			ops[i].count = 1;
			draw[i] = k;
		}
		free(digit);
		r = apply_all(f, ops, l->n, data, size, seed, draw, &out, &out_size, &failed, &err);
		if (r < 0) {
			scenario_diag_add(diags, file, l->v[failed].line, l->v[failed].column,
					  "op %s: %s", op_names[l->v[failed].kind], err);
			free(err);
			for (size_t i = 0; i < l->n; i++)
				op_finish(&ops[i]);
			free(ops);
			goto fail;
		}
		arr = json_object_new_array();
		for (size_t i = 0; i < l->n; i++) {
			json_object_array_add(arr, op_json(&ops[i]));
			op_finish(&ops[i]);
		}
		free(ops);
		sha256_hex(out, out_size, sha);
		dup = n_seen && bsearch(&(const char *){sha}, seen, n_seen, sizeof(*seen), cmp_str);
		if (dup) {
			res.n_duplicates++;
			free(out);
			json_object_put(arr);
			continue;
		}
		/* keep seen sorted for bsearch; insertion is O(n) but n <= 100000 */
		seen = xreallocarray(seen, n_seen + 1, sizeof(*seen));
		{
			size_t lo = 0, hi = n_seen;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (strcmp(seen[mid], sha) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			memmove(seen + lo + 1, seen + lo, (n_seen - lo) * sizeof(*seen));
			seen[lo] = xstrdup(sha);
			n_seen++;
		}
		total_bytes += out_size;
		if (total_bytes > MUTATE_MAX_TOTAL) {
			scenario_diag_add(diags, file, l->n ? l->v[0].line : 0,
					  l->n ? l->v[0].column : 0,
					  "these mutations generate more than %u MiB of inputs; "
					  "narrow them (fewer variants or smaller inputs)",
					  MUTATE_MAX_TOTAL >> 20);
			free(out);
			json_object_put(arr);
			goto fail;
		}
		res.v = xreallocarray(res.v, res.n + 1, sizeof(*res.v));
		res.v[res.n] = (struct mutate_output){
		    .data = out,
		    .size = out_size,
		    .json = xstrdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN)),
		    .index = v,
		};
		memcpy(res.v[res.n].sha256, sha, 65);
		res.n++;
		json_object_put(arr);
	}
	r = 0;
	goto out;
fail:
	mutate_result_finish(&res);
	r = -EINVAL;
out:
	for (size_t i = 0; i < n_seen; i++)
		free(seen[i]);
	free(seen);
	choices_finish(c, l->n);
	if (r == 0)
		*ret = res;
	return r;
}

int mutate_replay(const char *mutations_json, const char *format_path, const char *seed_file,
		  uint8_t **ret, size_t *ret_size, char **ret_error)
{
	_cleanup_free_ uint8_t *data = NULL;
	struct scenario_diags d = {0};
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
		scenario_diag_add(&d, "mutations", 0, 0,
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
	scenario_diags_finish(&d);
	return r;
}
