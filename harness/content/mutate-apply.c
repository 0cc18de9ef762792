/* mutate-apply.c — applying concrete mutations: the tree/bytes state machine, each op, and the
 * JSON record of what was applied. */
#include <inttypes.h>
#include <stdarg.h>

#include "mutate-internal.h"
#include "util.h"

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

/* Exactly one node of the decoded input. */
static int find_in_tree(struct mstate *s, const char *path, struct format_node **ret)
{
	int r = need_tree(s);

	if (r < 0)
		return r;
	return find_one(s, path, ret);
}

/* set on a bytes field: hex:, zero, or the value's text. */
static void set_bytes_field(struct format_node *n, const struct mutate_op *o)
{
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
}

/* set on an integer field: hex: in file byte order, a keyword, +N/-N/x2 relative to what the
 * encoder computes (a pin), or a number. */
static int set_uint_field(struct mstate *s, struct format_node *n, const struct mutate_op *o)
{
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
		struct ynode tmp = {
		    .kind = YNODE_SCALAR, .scalar = (char *)v + 1, .scalar_len = strlen(v + 1)};
		if (ynode_uint(&tmp, INT64_MAX, &x) < 0)
			return serr(s, "set at '%s': bad relative value '%s'", o->at, v);
		n->pin = FORMAT_PIN_ADD;
		n->pin_arg = v[0] == '-' ? -(int64_t)x : (int64_t)x;
	} else {
		struct ynode tmp = {
		    .kind = YNODE_SCALAR, .scalar = (char *)v, .scalar_len = strlen(v)};
		if (ynode_uint(&tmp, UINT64_MAX, &x) < 0)
			return serr(s, "set at '%s': bad value '%s' for an integer field", o->at,
				    v);
		if (x > mask)
			return serr(s, "set at '%s': %s does not fit in %u bytes (max %" PRIu64 ")",
				    o->at, v, w, mask);
		n->pin = FORMAT_PIN_ABS;
		n->value = x;
	}
	return 0;
}

static int apply_set(struct mstate *s, struct mutate_op *o)
{
	struct format_node *n;
	int r;

	r = find_in_tree(s, o->at, &n);
	if (r < 0)
		return r;
	if (n->kind == FORMAT_NODE_BYTES) {
		set_bytes_field(n, o);
		s->tree_dirty = true;
		return 0;
	}
	if (n->kind != FORMAT_NODE_UINT)
		return serr(s, "set at '%s': that is a %s, not a value; aim at one of its fields",
			    o->at, n->kind == FORMAT_NODE_ARRAY ? "list" : "record");
	r = set_uint_field(s, n, o);
	if (r < 0)
		return r;
	if (o->solve && (n->item->role != FORMAT_ROLE_EQUALS || n->pin != FORMAT_PIN_ABS))
		return serr(s,
			    "set at '%s': solve: applies to an equals: field given a value (the "
			    "free field of its expression is solved for it)",
			    o->at);
	if (o->solve)
		n->pin = FORMAT_PIN_SOLVE;
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
	r = element(s, o->at, mutate_op_names[o->kind], &n, &i);
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
	r = find_in_tree(s, o->at, &n);
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

/* Byte ops: o is the concrete copy; random choices and at: ranges are written back into it, so
 * that its JSON replays without the PRNG or the format. off/len: the at: range, when o has one. */

static void truncate_bytes(struct mstate *s, struct mutate_op *o, size_t off, size_t len)
{
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
}

static int append_bytes(struct mstate *s, const uint8_t *b, size_t n)
{
	if (s->size + n > MUTATE_MAX_SIZE)
		return serr(s, "extend: the input would exceed %u bytes", MUTATE_MAX_SIZE);
	s->data = xrealloc(s->data, s->size + n);
	memcpy(s->data + s->size, b, n);
	s->size += n;
	return 0;
}

static int extend_bytes(struct mstate *s, struct mutate_op *o, struct rng *rng)
{
	_cleanup_free_ uint8_t *b = NULL;

	if (o->has_hex)
		return append_bytes(s, o->hex, o->n_hex);
	b = xzalloc((size_t)o->size);
	if (o->fill == FILL_BYTE)
		memset(b, o->fill_byte, (size_t)o->size);
	if (o->fill != FILL_RANDOM)
		return append_bytes(s, b, (size_t)o->size);
	/* random fill is recorded as the bytes drawn */
	for (int64_t i = 0; i < o->size; i++)
		b[i] = (uint8_t)rng_next(rng);
	set_hex(o, b, (size_t)o->size);
	o->has_size = false;
	o->has_fill = false;
	return append_bytes(s, o->hex, o->n_hex);
}

static int zero_or_write(struct mstate *s, struct mutate_op *o, size_t off, size_t len)
{
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
			    mutate_op_names[o->kind], off, s->size);
	n = len > s->size - off ? s->size - off : len;
	if (o->kind == OP_ZERO)
		memset(s->data + off, 0, n);
	else
		memcpy(s->data + off, o->hex, n);
	return 0;
}

size_t mutate_interesting_values(unsigned width, const struct format *f, uint64_t **ret)
{
	static const uint64_t v1[] = {0, 1, 0x7f, 0x80, 0xff};
	static const uint64_t v2[] = {0, 1, 0x7fff, 0x8000, 0xffff, 0x100, 0xff};
	static const uint64_t v4[] = {0,	  1,	   0x7fffffff, 0x80000000,
				      0xffffffff, 0x10000, 0xffff,     0x1000};
	static const uint64_t v8[] = {0, 1, UINT64_MAX, 1ull << 63, (1ull << 63) - 1};
	const uint64_t *t = width == 1 ? v1 : width == 2 ? v2 : width == 4 ? v4 : v8;
	size_t nt = width == 1	 ? ARRAY_SIZE(v1)
		    : width == 2 ? ARRAY_SIZE(v2)
		    : width == 4 ? ARRAY_SIZE(v4)
				 : ARRAY_SIZE(v8);
	uint64_t mask = width >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * width)) - 1;
	const struct format_magic *m = NULL;
	size_t n_m = 0, n;
	uint64_t *v;

	if (f)
		m = format_magic(f, &n_m);
	v = xcalloc(nt + n_m, sizeof(*v));
	memcpy(v, t, nt * sizeof(*v));
	n = nt;
	for (size_t i = 0; i < n_m; i++) {
		bool dup = false;

		if (m[i].is_bytes || m[i].value > mask)
			continue;
		for (size_t j = 0; j < n && !dup; j++)
			dup = v[j] == m[i].value;
		if (!dup)
			v[n++] = m[i].value;
	}
	*ret = v;
	return n;
}

uint8_t *mutate_magic_bytes(const struct format_magic *m, size_t *ret_n)
{
	unsigned w = 1;
	uint8_t *b;

	if (m->is_bytes) {
		*ret_n = m->len;
		return xmemdup(m->bytes, m->len ? m->len : 1);
	}
	while (w < 8 && m->value >> (8 * w))
		w *= 2;
	b = xmalloc(w);
	for (unsigned i = 0; i < w; i++)
		b[m->big_endian ? w - 1 - i : i] = (uint8_t)(m->value >> (8 * i));
	*ret_n = w;
	return b;
}

/* interesting: a width and a value from its table (boundaries, then magic values), unless
 * given. */
static void draw_interesting(const struct format *f, struct mutate_op *o, struct rng *rng)
{
	if (!o->has_width) {
		static const unsigned ws[] = {1, 2, 4};
		o->has_width = true;
		o->width = ws[rng_below(rng, 3)];
	}
	if (!o->has_value_num) {
		_cleanup_free_ uint64_t *t = NULL;
		size_t nt = mutate_interesting_values(o->width, f, &t);

		o->has_value_num = true;
		o->value_num = t[rng_below(rng, nt)];
	}
}

/* random_bytes: 1 to 16 random bytes (or size:), clipped at the end, unless hex: is given. */
static void draw_random_bytes(const struct mstate *s, struct mutate_op *o, struct rng *rng,
			      size_t off)
{
	size_t room = s->size - off, n;
	_cleanup_free_ uint8_t *b = NULL;

	if (o->has_hex)
		return;
	n = o->has_size ? (size_t)o->size : 1 + rng_below(rng, 16);
	if (n > room)
		n = room;
	b = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rng_next(rng);
	set_hex(o, b, n);
	o->has_size = false;
}

/* bitflip, interesting, random_bytes: at an offset drawn in the at: range (or the whole input). */
static int flip_bytes(struct mstate *s, struct mutate_op *o, struct rng *rng, size_t off,
		      size_t len)
{
	size_t lo = 0, span = s->size;

	if (o->at) {
		lo = off;
		span = len;
		free(o->about);
		o->about = xasprintf("in %s", o->at);
		o->at = (free(o->at), NULL);
	}
	if (span == 0 && !o->has_offset)
		return serr(s, "%s: nothing to mutate (empty range)", mutate_op_names[o->kind]);
	if (!o->has_offset && o->fixed_place) {
		o->has_offset = true;
		o->offset = (int64_t)lo;
	} else if (!o->has_offset) {
		o->has_offset = true;
		o->offset = (int64_t)(lo + rng_below(rng, span));
	}
	off = resolve_offset(s, o->offset);
	o->offset = (int64_t)off;
	if (off >= s->size)
		return serr(s, "%s at offset %zu: past the end (%zu bytes)",
			    mutate_op_names[o->kind], off, s->size);
	if (o->kind == OP_BITFLIP) {
		if (!o->has_bit) {
			o->has_bit = true;
			o->bit = (unsigned)rng_below(rng, 8);
		}
		s->data[off] ^= (uint8_t)(1u << o->bit);
	} else if (o->kind == OP_INTERESTING) {
		draw_interesting(s->f, o, rng);
		for (unsigned i = 0; i < o->width && off + i < s->size; i++)
			s->data[off + i] = (uint8_t)(o->value_num >> (8 * i));
	} else {
		draw_random_bytes(s, o, rng, off);
		for (size_t i = 0; i < o->n_hex && off + i < s->size; i++)
			s->data[off + i] = o->hex[i];
	}
	return 0;
}

/* The bytes an insert puts in: hex:, size: filled (zero by default), or 1 to 16 random ones;
 * recorded as hex. */
static void insert_draw(struct mutate_op *o, struct rng *rng)
{
	size_t n;

	if (o->has_hex)
		return;
	n = o->has_size ? (size_t)o->size : 1 + rng_below(rng, 16);
	_cleanup_free_ uint8_t *b = xzalloc(n);
	if (o->has_fill && o->fill == FILL_BYTE)
		memset(b, o->fill_byte, n);
	else if (!o->has_size || (o->has_fill && o->fill == FILL_RANDOM))
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)rng_next(rng);
	set_hex(o, b, n);
	o->has_size = false;
	o->has_fill = false;
}

/* insert: bytes at an offset (at: a field's start or end, offset:, or a random place), the rest
 * moved up. */
static int insert_bytes(struct mstate *s, struct mutate_op *o, struct rng *rng, size_t off,
			size_t len)
{
	size_t at;

	if (o->at) {
		at = o->where == WHERE_END ? off + len : off;
		free(o->about);
		o->about = xasprintf("at %s%s", o->at, o->where == WHERE_END ? " end" : "");
		o->at = (free(o->at), NULL);
		o->has_where = false;
		o->has_offset = true;
		o->offset = (int64_t)at;
	} else if (!o->has_offset) {
		o->has_offset = true;
		o->offset = (int64_t)rng_below(rng, s->size + 1);
	}
	at = resolve_offset(s, o->offset);
	o->offset = (int64_t)at;
	if (at > s->size)
		return serr(s, "insert at offset %zu: past the end (%zu bytes)", at, s->size);
	insert_draw(o, rng);
	if (s->size + o->n_hex > MUTATE_MAX_SIZE)
		return serr(s, "insert: the input would exceed %u bytes", MUTATE_MAX_SIZE);
	s->data = xrealloc(s->data, s->size + o->n_hex);
	memmove(s->data + at + o->n_hex, s->data + at, s->size - at);
	memcpy(s->data + at, o->hex, o->n_hex);
	s->size += o->n_hex;
	return 0;
}

/* splice: the input up to offset, then the other seed from with_offset on. */
static int splice_bytes(struct mstate *s, struct mutate_op *o, struct rng *rng)
{
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
		return serr(s, "splice: offsets %zu/%zu past the ends (%zu/%zu bytes)", a, b,
			    s->size, o->with_size);
	if (a + o->with_size - b > MUTATE_MAX_SIZE)
		return serr(s, "splice: the input would exceed %u bytes", MUTATE_MAX_SIZE);
	d = xmalloc(a + o->with_size - b);
	memcpy(d, s->data, a);
	memcpy(d + a, o->with_data + b, o->with_size - b);
	free(s->data);
	s->data = d;
	s->size = a + o->with_size - b;
	return 0;
}

static int apply_bytes(struct mstate *s, struct mutate_op *o, struct rng *rng)
{
	size_t off = 0, len = 0;
	int r;

	r = o->at ? locate(s, o, &off, &len) : need_bytes(s);
	if (r < 0)
		return r;
	switch (o->kind) {
	case OP_TRUNCATE:
		truncate_bytes(s, o, off, len);
		break;
	case OP_EXTEND:
		r = extend_bytes(s, o, rng);
		break;
	case OP_ZERO:
	case OP_WRITE:
		r = zero_or_write(s, o, off, len);
		break;
	case OP_BITFLIP:
	case OP_INTERESTING:
	case OP_RANDOM_BYTES:
		r = flip_bytes(s, o, rng, off, len);
		break;
	case OP_SPLICE:
		r = splice_bytes(s, o, rng);
		break;
	case OP_INSERT:
		r = insert_bytes(s, o, rng, off, len);
		break;
	default:
		break;
	}
	if (r < 0)
		return r;
	bytes_changed(s);
	return 0;
}

json_object *mutate_op_json(const struct mutate_op *o)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "op", json_object_new_string(mutate_op_names[o->kind]));
	if (o->at)
		json_object_object_add(j, "at", json_object_new_string(o->at));
	if (o->with)
		json_object_object_add(j, "with", json_object_new_string(o->with));
	if (o->value) {
		uint64_t u;
		struct ynode tmp = {
		    .kind = YNODE_SCALAR, .scalar = o->value, .scalar_len = strlen(o->value)};
		if (!o->value_quoted && o->value[0] != '+' && o->value[0] != '-' &&
		    ynode_uint(&tmp, INT64_MAX, &u) == 0)
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
	if (o->solve)
		json_object_object_add(j, "solve", json_object_new_boolean(true));
	if (o->about)
		json_object_object_add(j, "about", json_object_new_string(o->about));
	return j;
}

int mutate_apply_all(const struct format *f, struct mutate_op *ops, size_t n, const uint8_t *data,
		     size_t size, uint64_t seed, const size_t *draw, uint8_t **ret,
		     size_t *ret_size, bool *ret_undone, size_t *ret_failed, char **ret_error)
{
	struct mstate s = {.f = f, .fix_lengths = true};
	int r = 0;

	s.data = xmemdup(data, size);
	s.size = size;
	for (size_t i = 0; i < n; i++)
		if (ops[i].stale || (ops[i].nofixup && !op_is_tree(ops[i].kind)))
			s.stale = true;
	*ret_undone = false;
	for (size_t i = 0; i < n; i++) {
		/* Each op draws from its own stream: (seed, op position, draw number), so one op's
		 * choices do not shift when another op's expansion changes. */
		struct rng rng = {mutate_seed_derive(seed, mutate_op_names[ops[i].kind],
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
	if (n > 0 && s.raw_dirty && f && !s.stale && !s.sum_pinned) {
		bool was_seed = s.size == size && !memcmp(s.data, data, size);

		format_fix_checksums_raw(f, s.data, s.size);
		/* a byte mutation of a checksum, written back by the fix-up */
		*ret_undone = !was_seed && s.size == size && !memcmp(s.data, data, size);
	}
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
