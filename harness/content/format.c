/* format.c — see format.h. This file: reading format descriptions (resolving their names and
 * checking the layout is format-resolve.c); the YAML reader is base/ynode.c, the value tree is
 * in format-tree.c. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>

#include "format-internal.h"
#include "util.h"

/* ======================================================================== descriptions */

static struct format_item *item_free(struct format_item *it)
{
	if (!it)
		return NULL;
	for (size_t i = 0; i < it->n_kids; i++)
		item_free(it->kids[i]);
	free(it->kids);
	free(it->name);
	free(it->target_name);
	free(it->description);
	free(it->base_name);
	free(it->key_name);
	free(it->recurse_name);
	for (size_t i = 0; i < it->n_terms; i++)
		free(it->terms[i].name);
	free(it->terms);
	free(it->prog);
	free(it->magic);
	free(it->bits);
	free(it->tag_name);
	free(it->when);
	free(it);
	return NULL;
}

struct format *format_free(struct format *f)
{
	if (!f)
		return NULL;
	item_free(f->root);
	for (size_t i = 0; i < f->n_magic; i++)
		free(f->magic[i].bytes);
	free(f->magic);
	free(f->name);
	free(f->path);
	free(f);
	return NULL;
}

const char *format_name(const struct format *f)
{
	return f->name;
}

const char *format_path(const struct format *f)
{
	return f->path;
}

const struct format_item *format_root(const struct format *f)
{
	return f->root;
}

const struct format_magic *format_magic(const struct format *f, size_t *ret_n)
{
	*ret_n = f->n_magic;
	return f->magic;
}

static void push_bit(uint64_t **v, size_t *n, uint64_t bit)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == bit)
			return;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = bit;
}

static void push_case_masks(const struct format_item *r, const struct format_item *tag,
			    uint64_t **v, size_t *n, unsigned depth)
{
	for (size_t i = 0; i < r->n_kids && depth < 64; i++) {
		if (r->type == FORMAT_UNION && r->tag == tag && r->kids[i]->has_mask)
			push_bit(v, n, r->kids[i]->mask);
		push_case_masks(r->kids[i], tag, v, n, depth + 1);
	}
}

size_t format_flag_bits(const struct format *f, const struct format_item *it, uint64_t **ret)
{
	uint64_t *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < it->n_bits; i++)
		push_bit(&v, &n, it->bits[i]);
	push_case_masks(f->root, it, &v, &n, 0);
	*ret = v;
	return n;
}

int format_parse_hex(const char *s, uint8_t **ret, size_t *ret_n)
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

void format_ferr(struct fparse *p, const struct ynode *at, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	diag_add(p->diags, p->file, at ? at->line : 0, at ? at->column : 0, "%s", msg);
	p->errors++;
}

static bool is_name(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-'))
			return false;
	return true;
}

static const char *yscalar(struct fparse *p, const struct ynode *n, const char *what)
{
	if (!n)
		return NULL;
	if (n->kind != YNODE_SCALAR) {
		format_ferr(p, n, "%s must be a string, not %s", what, ynode_kind_name(n->kind));
		return NULL;
	}
	return n->scalar;
}

static struct format_item *parse_items(struct fparse *p, const struct ynode *list,
				       struct format_item *parent, unsigned depth);
static struct format_item *parse_item(struct fparse *p, const struct ynode *n,
				      struct format_item *parent, unsigned depth, bool is_case);

static void parse_name(struct fparse *p, const struct ynode *n, struct format_item *it)
{
	const struct ynode *v = ynode_get(n, "name");
	const char *s = yscalar(p, v, "name");

	if (!v)
		format_ferr(p, n, "field without a name; expected name: IDENTIFIER");
	else if (s && (!is_name(s) || streq(s, "parent") || streq(s, "last")))
		format_ferr(
		    p, v,
		    "bad field name '%s'; expected letters, digits, '_' or '-' (not 'parent' or "
		    "'last')",
		    s);
	it->name = xstrdup(s ? s : "?");
}

/* endian: and type:; an integer type may name its own byte order (u32be). */
static void parse_type(struct fparse *p, const struct ynode *n, struct format_item *it)
{
	static const struct {
		const char *name;
		unsigned width;
		int big; /* -1 = default endianness */
	} ints[] = {{"u8", 1, -1},   {"u16", 2, -1},  {"u32", 4, -1},  {"u64", 8, -1},
		    {"u16le", 2, 0}, {"u32le", 4, 0}, {"u64le", 8, 0}, {"u16be", 2, 1},
		    {"u32be", 4, 1}, {"u64be", 8, 1}};
	const struct ynode *v = ynode_get(n, "endian"), *v2;
	const char *s;
	bool found = false;

	if ((s = yscalar(p, v, "endian"))) {
		if (streq(s, "little"))
			it->big_endian = false;
		else if (streq(s, "big"))
			it->big_endian = true;
		else
			format_ferr(p, v, "bad endian '%s'; expected little or big", s);
	}
	v = ynode_get(n, "type");
	s = yscalar(p, v, "type");
	if ((v2 = ynode_get(n, "recurse"))) {
		/* laid out as an enclosing record: resolved later */
		if (v)
			format_ferr(p, v, "recurse: gives the type; remove type:");
		if ((s = yscalar(p, v2, "recurse")))
			it->recurse_name = xstrdup(s);
		it->type = FORMAT_RECORD;
		return;
	}
	if (!v) {
		it->type = ynode_get(n, "fields")  ? FORMAT_RECORD
			   : ynode_get(n, "cases") ? FORMAT_UNION
						   : FORMAT_BYTES;
		if (it->type == FORMAT_BYTES)
			format_ferr(
			    p, n,
			    "field '%s' has no type; expected u8, u16, u32, u64, bytes, record or "
			    "union",
			    it->name);
		return;
	}
	if (!s)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++)
		if (streq(s, ints[i].name)) {
			it->type = FORMAT_UINT;
			it->width = ints[i].width;
			if (ints[i].big >= 0)
				it->big_endian = ints[i].big;
			found = true;
		}
	if (streq(s, "bytes") || streq(s, "cstring")) {
		it->type = FORMAT_BYTES;
		it->cstring = streq(s, "cstring");
		found = true;
	} else if (streq(s, "record")) {
		it->type = FORMAT_RECORD;
		found = true;
	} else if (streq(s, "union")) {
		it->type = FORMAT_UNION;
		found = true;
	}
	if (!found)
		format_ferr(
		    p, v,
		    "unknown type '%s'; expected u8, u16, u32, u64 (optionally le/be), bytes, "
		    "cstring, record or union",
		    s);
}

/* size:, offset:, const: and repeated:. */
static void parse_layout(struct fparse *p, const struct ynode *n, struct format_item *it)
{
	const struct ynode *v;
	uint64_t x;

	if ((v = ynode_get(n, "size"))) {
		if (ynode_uint(v, 1u << 24, &x) < 0)
			format_ferr(p, v, "bad size; expected a number of bytes up to 16777216");
		else if (it->type == FORMAT_UINT)
			format_ferr(p, v,
				    "an integer field's size comes from its type; remove size");
		else {
			it->has_size = true;
			it->size = x;
		}
	}
	if ((v = ynode_get(n, "offset"))) {
		if (ynode_uint(v, 1u << 24, &x) < 0)
			format_ferr(p, v, "bad offset; expected a number of bytes up to 16777216");
		else {
			it->has_offset = true;
			it->offset = x;
		}
	}
	if ((v = ynode_get(n, "const"))) {
		if (it->type != FORMAT_UINT)
			format_ferr(p, v, "const applies to integer fields only");
		else if (ynode_uint(
			     v, it->width == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * it->width)) - 1,
			     &it->const_value) < 0)
			format_ferr(p, v, "bad const; expected a number that fits in %u bytes",
				    it->width);
		else
			it->has_const = true;
	}
	if ((v = ynode_get(n, "repeated")) && ynode_bool(v, &it->repeated) < 0)
		format_ferr(p, v, "bad repeated; expected true or false");
	if ((v = ynode_get(n, "count"))) {
		if (ynode_uint(v, 1u << 24, &it->count) < 0)
			format_ferr(p, v,
				    "bad count; expected a number of elements up to 16777216");
		else if (!it->repeated)
			format_ferr(p, v, "count: applies to repeated fields; add repeated: true");
		else
			it->has_count = true;
	}
}

/* A list of integers (magic:, when:), or a single one. Returns the number read. */
static size_t parse_uint_list(struct fparse *p, const struct ynode *v, const char *what,
			      uint64_t **ret)
{
	size_t n = v->kind == YNODE_SEQ ? v->n : 1;
	uint64_t *out = xcalloc(n ? n : 1, sizeof(*out));

	if (v->kind == YNODE_MAP)
		format_ferr(p, v, "%s must be a number or a list of numbers", what);
	for (size_t i = 0; i < n && v->kind != YNODE_MAP; i++) {
		const struct ynode *x = v->kind == YNODE_SEQ ? v->items[i] : v;

		if (ynode_uint(x, UINT64_MAX, &out[i]) < 0)
			format_ferr(p, x, "bad %s value '%s'; expected a number", what,
				    x->kind == YNODE_SCALAR ? x->scalar : ynode_kind_name(x->kind));
	}
	*ret = out;
	return n;
}

/* range: [LO, HI] or max: HI on an integer field. */
static void parse_range(struct fparse *p, const struct ynode *n, struct format_item *it)
{
	const struct ynode *r = ynode_get(n, "range"), *m = ynode_get(n, "max");
	uint64_t mask = it->width >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * it->width)) - 1;

	if (it->type != FORMAT_UINT) {
		format_ferr(p, r ? r : m, "range: and max: apply to integer fields");
		return;
	}
	if (r && m) {
		format_ferr(p, m, "range: and max: say the same; keep one");
		return;
	}
	if (m && ynode_uint(m, mask, &it->range_hi) == 0) {
		it->has_range = true;
		return;
	}
	if (r && r->kind == YNODE_SEQ && r->n == 2 &&
	    ynode_uint(r->items[0], mask, &it->range_lo) == 0 &&
	    ynode_uint(r->items[1], mask, &it->range_hi) == 0 && it->range_lo <= it->range_hi) {
		it->has_range = true;
		return;
	}
	format_ferr(p, r ? r : m,
		    r ? "bad range; expected [LO, HI], LO <= HI, both fitting in %u bytes"
		      : "bad max; expected a number that fits in %u bytes",
		    it->width);
}

/* bits: [M, ...] on an integer field: its flag bits (each a nonzero mask inside the field). */
static void parse_bits(struct fparse *p, const struct ynode *v, struct format_item *it)
{
	uint64_t mask = it->width >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * it->width)) - 1;

	if (it->type != FORMAT_UINT) {
		format_ferr(p, v, "bits: applies to integer fields only");
		return;
	}
	if (v->kind != YNODE_SEQ || v->n == 0) {
		format_ferr(p, v, "bits must be a list of masks, such as [0x10, 0x20]");
		return;
	}
	it->n_bits = parse_uint_list(p, v, "bits", &it->bits);
	for (size_t i = 0; i < it->n_bits; i++)
		if (!it->bits[i] || (it->bits[i] & ~mask))
			format_ferr(p, v->items[i],
				    "bad bits mask %#llx; expected a nonzero mask that fits in %u "
				    "bytes",
				    (unsigned long long)it->bits[i], it->width);
}

/* A field's magic: values, and a case's when: (numbers, or default). */
static void parse_values(struct fparse *p, const struct ynode *n, struct format_item *it,
			 bool is_case)
{
	const struct ynode *v;

	if ((v = ynode_get(n, "magic"))) {
		if (it->type != FORMAT_UINT)
			format_ferr(p, v, "magic: on a field applies to integer fields only");
		else
			it->n_magic = parse_uint_list(p, v, "magic", &it->magic);
	}
	if ((v = ynode_get(n, "range")) || (v = ynode_get(n, "max")))
		parse_range(p, n, it);
	if ((v = ynode_get(n, "bits")))
		parse_bits(p, v, it);
	if ((v = ynode_get(n, "mask"))) {
		if (!is_case)
			format_ferr(p, v, "mask: applies to the cases of a union (flag bits)");
		else if (ynode_uint(v, UINT64_MAX, &it->mask) < 0 || !it->mask)
			format_ferr(p, v, "bad mask; expected a number with at least one bit set");
		else
			it->has_mask = true;
		if (it->has_mask && !ynode_get(n, "when")) {
			it->when = xmemdup(&it->mask, sizeof(it->mask));
			it->n_when = 1;
			return;
		}
	}
	v = ynode_get(n, "when");
	if (v && !is_case)
		format_ferr(p, v, "when: applies to the cases of a union only");
	else if (!v && is_case)
		format_ferr(p, n,
			    "case '%s' without when: (the tag values that select it, or default)",
			    it->name);
	else if (v && v->kind == YNODE_SCALAR && !v->quoted && streq(v->scalar, "default"))
		it->is_default = true;
	else if (v)
		it->n_when = parse_uint_list(p, v, "when", &it->when);
}

/* checksum: {algorithm: crc32, over: FIELD}. */
static void parse_checksum(struct fparse *p, const struct ynode *v, struct format_item *it)
{
	static const char *const ckeys[] = {"algorithm", "over", NULL};
	const struct ynode *a, *o;
	const char *s;

	if (v->kind != YNODE_MAP) {
		format_ferr(p, v, "checksum must be a map {algorithm: crc32, over: FIELD}");
		return;
	}
	p->errors += ynode_check_keys(v, p->file, "checksum", ckeys, p->diags);
	a = ynode_get(v, "algorithm");
	o = ynode_get(v, "over");
	if ((s = yscalar(p, a, "algorithm")) && !streq(s, "crc32"))
		format_ferr(p, a, "unknown checksum algorithm '%s'; expected crc32", s);
	if (!o)
		format_ferr(p, v, "checksum without over: FIELD (the range it covers)");
	else if ((s = yscalar(p, o, "over"))) {
		it->role = FORMAT_ROLE_CHECKSUM;
		free(it->target_name);
		it->target_name = xstrdup(s);
	}
	if (it->type == FORMAT_UINT && it->width != 4)
		format_ferr(p, v, "a crc32 checksum field must be u32");
}

/* equals: an expression with C's operators and precedence: | ^ & << >> + - * / % and unary ~
 * and -, parentheses, numbers, field names (their value), size(NAME), count(NAME),
 * offset(NAME); size(parent) is the enclosing record. A name may contain '-': put spaces
 * around a minus. Parsed by recursive descent into postfix. */
struct eparse {
	const char *s;
	unsigned depth;
	bool bad;
	struct format_item *it;
};

static void emit(struct eparse *e, enum format_opcode code, size_t arg)
{
	struct format_item *it = e->it;

	it->prog = xreallocarray(it->prog, it->n_prog + 1, sizeof(*it->prog));
	it->prog[it->n_prog++] = (struct format_op){.code = code, .arg = arg};
}

static void eskip(struct eparse *e)
{
	while (*e->s == ' ')
		e->s++;
}

static void e_binary(struct eparse *e, int level);

static void e_term(struct eparse *e, struct format_term t)
{
	struct format_item *it = e->it;

	it->terms = xreallocarray(it->terms, it->n_terms + 1, sizeof(*it->terms));
	it->terms[it->n_terms++] = t;
	emit(e, FORMAT_OP_TERM, it->n_terms - 1);
}

static void e_primary(struct eparse *e)
{
	static const struct {
		const char *fn;
		int kind;
	} fns[] = {{"size", FORMAT_TERM_SIZE},
		   {"count", FORMAT_TERM_COUNT},
		   {"offset", FORMAT_TERM_OFFSET}};
	const char *s;
	size_t len;

	eskip(e);
	s = e->s;
	if (++e->depth > 32 || e->bad) {
		e->bad = true;
		return;
	}
	if (*s == '(' || *s == '~' || *s == '-') {
		e->s++;
		if (*s == '(') {
			e_binary(e, 0);
			eskip(e);
			if (*e->s != ')')
				e->bad = true;
			else
				e->s++;
		} else {
			e_primary(e);
			emit(e, *s == '~' ? FORMAT_OP_NOT : FORMAT_OP_NEG, 0);
		}
		e->depth--;
		return;
	}
	len = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
	if (len && s[0] >= '0' && s[0] <= '9') {
		struct ynode num = {.kind = YNODE_SCALAR};
		struct format_term t = {.kind = FORMAT_TERM_NUMBER};

		len = strspn(s, "0123456789abcdefABCDEFxob_");
		num.scalar = xstrndup(s, len);
		num.scalar_len = len;
		if (ynode_uint(&num, UINT64_MAX, &t.number) < 0)
			e->bad = true;
		free(num.scalar);
		e_term(e, t);
		e->s += len;
	} else if (len && s[0] != '-') {
		struct format_term t = {.kind = FORMAT_TERM_VALUE};

		for (size_t i = 0; i < ARRAY_SIZE(fns); i++)
			if (strlen(fns[i].fn) == len && !strncmp(s, fns[i].fn, len) &&
			    s[len] == '(') {
				t.kind = fns[i].kind;
				s += len + 1;
				len = strspn(
				    s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123"
				       "456789_-");
				if (!len || s[len] != ')')
					e->bad = true;
			}
		t.name = xstrndup(s, len);
		e_term(e, t);
		e->s = s + len + (t.kind != FORMAT_TERM_VALUE && s[len] == ')');
	} else {
		e->bad = true;
	}
	e->depth--;
}

/* Binary operators by level, loosest first: | ^ & (<< >>) (+ -) (* / %). */
static void e_binary(struct eparse *e, int level)
{
	static const struct {
		const char *tok;
		int level;
		enum format_opcode code;
	} ops[] = {{"|", 0, FORMAT_OP_OR},   {"^", 1, FORMAT_OP_XOR},  {"&", 2, FORMAT_OP_AND},
		   {"<<", 3, FORMAT_OP_SHL}, {">>", 3, FORMAT_OP_SHR}, {"+", 4, FORMAT_OP_ADD},
		   {"-", 4, FORMAT_OP_SUB},  {"*", 5, FORMAT_OP_MUL},  {"/", 5, FORMAT_OP_DIV},
		   {"%", 5, FORMAT_OP_MOD}};

	if (level > 5) {
		e_primary(e);
		return;
	}
	e_binary(e, level + 1);
	for (;;) {
		size_t i;

		eskip(e);
		for (i = 0; i < ARRAY_SIZE(ops); i++)
			if (ops[i].level == level && !strncmp(e->s, ops[i].tok, strlen(ops[i].tok)))
				break;
		if (i == ARRAY_SIZE(ops) || e->bad)
			return;
		e->s += strlen(ops[i].tok);
		e_binary(e, level + 1);
		emit(e, ops[i].code, 0);
	}
}

static void parse_expr(struct fparse *p, const struct ynode *at, const char *s,
		       struct format_item *it)
{
	struct eparse e = {.s = s, .it = it};

	e_binary(&e, 0);
	eskip(&e);
	if (!e.bad && !*e.s && it->n_terms > 0)
		return;
	format_ferr(p, at,
		    "bad equals '%s'; expected an expression of numbers, field names, size(NAME), "
		    "count(NAME), offset(NAME), parentheses and + - * / %% & | ^ << >> ~",
		    at->scalar);
}

/* The field's role, at most one: count_of, length_of, offset_of (names resolved later) or
 * checksum. */
static void parse_role(struct fparse *p, const struct ynode *n, struct format_item *it)
{
	static const struct {
		const char *key;
		enum format_role role;
	} roles[] = {{"count_of", FORMAT_ROLE_COUNT},
		     {"length_of", FORMAT_ROLE_LENGTH},
		     {"offset_of", FORMAT_ROLE_OFFSET}};
	const struct ynode *v;
	unsigned nroles = 0;
	const char *s;

	for (size_t i = 0; i < ARRAY_SIZE(roles); i++) {
		v = ynode_get(n, roles[i].key);
		if (!v)
			continue;
		nroles++;
		if ((s = yscalar(p, v, roles[i].key))) {
			it->role = roles[i].role;
			free(it->target_name);
			it->target_name = xstrdup(s);
		}
	}
	if ((v = ynode_get(n, "index_into"))) {
		nroles++;
		if ((s = yscalar(p, v, "index_into"))) {
			it->role = FORMAT_ROLE_INDEX;
			free(it->target_name);
			it->target_name = xstrdup(s);
		}
	}
	if ((v = ynode_get(n, "refers_to"))) {
		const char *dot;

		nroles++;
		if ((s = yscalar(p, v, "refers_to")) &&
		    (!(dot = strrchr(s, '.')) || dot == s || !dot[1]))
			format_ferr(p, v,
				    "bad refers_to '%s'; expected TABLE.KEY (a repeated record and "
				    "an integer field of its elements)",
				    s);
		else if (s) {
			it->role = FORMAT_ROLE_REFERS;
			free(it->target_name);
			it->target_name = xstrndup(s, (size_t)(dot - s));
			it->key_name = xstrdup(dot + 1);
		}
	}
	if ((v = ynode_get(n, "points_into"))) {
		nroles++;
		if ((s = yscalar(p, v, "points_into"))) {
			it->role = FORMAT_ROLE_POINTER;
			free(it->target_name);
			it->target_name = xstrdup(s);
		}
	}
	if ((v = ynode_get(n, "equals"))) {
		nroles++;
		if ((s = yscalar(p, v, "equals"))) {
			it->role = FORMAT_ROLE_EQUALS;
			parse_expr(p, v, s, it);
		}
	}
	if ((v = ynode_get(n, "from"))) {
		if (it->role != FORMAT_ROLE_OFFSET && it->role != FORMAT_ROLE_POINTER)
			format_ferr(p, v, "from: applies to offset_of and points_into fields");
		else if (!(s = yscalar(p, v, "from")))
			;
		else if (streq(s, "parent"))
			it->base_parent = true;
		else if (!streq(s, "file"))
			it->base_name = xstrdup(s);
		it->base_any = it->role == FORMAT_ROLE_POINTER;
	}
	if ((v = ynode_get(n, "checksum"))) {
		nroles++;
		parse_checksum(p, v, it);
	}
	if (nroles > 1)
		format_ferr(p, n,
			    "field '%s' has more than one role (count_of, length_of, offset_of, "
			    "points_into, index_into, refers_to, equals, checksum); expected at "
			    "most one",
			    it->name);
	if (it->role != FORMAT_ROLE_NONE && it->type != FORMAT_UINT)
		format_ferr(p, n, "field '%s' has a role but is not an integer", it->name);
	if (it->role != FORMAT_ROLE_NONE && it->repeated)
		format_ferr(p, n,
			    "field '%s' has a role and is repeated; expected one or the other",
			    it->name);
}

/* A union's switch: and cases: (each case a record with when:). */
static void parse_union(struct fparse *p, const struct ynode *n, struct format_item *it,
			unsigned depth)
{
	const struct ynode *v = ynode_get(n, "cases");
	const char *s;

	if (it->type != FORMAT_UNION) {
		if (v)
			format_ferr(p, v, "cases: applies to unions; set type: union");
		if ((v = ynode_get(n, "switch")))
			format_ferr(p, v, "switch: applies to unions; set type: union");
		return;
	}
	if (!(v = ynode_get(n, "switch")))
		format_ferr(p, n, "union '%s' needs switch: FIELD (the tag that selects the case)",
			    it->name);
	else if ((s = yscalar(p, v, "switch")))
		it->tag_name = xstrdup(s);
	v = ynode_get(n, "cases");
	if (!v || v->kind != YNODE_SEQ || v->n == 0) {
		format_ferr(p, v ? v : n, "union '%s' needs cases: [{name, when, fields}, ...]",
			    it->name);
		return;
	}
	if (depth >= 16) {
		format_ferr(p, v, "records nested too deeply (more than 16 levels)");
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		struct format_item *k = parse_item(p, v->items[i], it, depth + 1, true);

		if (!k)
			continue;
		if (k->type != FORMAT_RECORD || k->repeated)
			format_ferr(p, v->items[i], "case '%s' must be a record (fields: [...])",
				    k->name);
		it->kids = xreallocarray(it->kids, it->n_kids + 1, sizeof(*it->kids));
		it->kids[it->n_kids++] = k;
	}
}

static struct format_item *parse_item(struct fparse *p, const struct ynode *n,
				      struct format_item *parent, unsigned depth, bool is_case)
{
	static const char *const keys[] = {
	    "name",	   "type",	"size",	     "offset",	    "const",  "repeated",
	    "count_of",	   "length_of", "offset_of", "checksum",    "fields", "endian",
	    "description", "count",	"from",	     "points_into", "equals", "magic",
	    "switch",	   "cases",	"when",	     "mask",	    "range",  "max",
	    "index_into",  "refers_to", "recurse",   "depth",	    "bits",   NULL};
	struct format_item *it;
	struct ynode *v, *v2;
	const char *s;
	bool outer_big;

	if (n->kind != YNODE_MAP) {
		format_ferr(p, n, "a field must be a map with name and type, not %s",
			    ynode_kind_name(n->kind));
		return NULL;
	}
	p->errors += ynode_check_keys(n, p->file, "a format field", keys, p->diags);
	it = xzalloc(sizeof(*it));
	it->parent = parent;
	it->line = n->line;
	it->column = n->column;
	it->id = p->f->n_items++;
	it->big_endian = p->big_endian;
	parse_name(p, n, it);
	if ((s = yscalar(p, ynode_get(n, "description"), "description")))
		it->description = xstrdup(s);
	parse_type(p, n, it);
	if ((v = ynode_get(n, "endian")) && it->type == FORMAT_BYTES)
		format_ferr(p, v,
			    "endian: applies to integers, and to records and unions (the default "
			    "of their fields); a bytes field has no byte order");
	parse_layout(p, n, it);
	if (is_case && (v = ynode_get(n, "offset")))
		format_ferr(p, v, "offset: on a case; a case starts where its union does");
	parse_role(p, n, it);
	parse_values(p, n, it, is_case);
	/* a record's or union's endian: is the default of the fields inside it */
	outer_big = p->big_endian;
	p->big_endian = it->big_endian;
	parse_union(p, n, it, depth);

	v = ynode_get(n, "fields");
	if ((v2 = ynode_get(n, "depth"))) {
		uint64_t x;

		if (!it->recurse_name)
			format_ferr(p, v2, "depth: applies to recurse: fields");
		else if (ynode_uint(v2, 64, &x) < 0 || x == 0)
			format_ferr(p, v2, "bad depth; expected 1 to 64 levels");
		else
			it->depth = (unsigned)x;
	}
	if (it->recurse_name) {
		if (!it->depth)
			it->depth = 16;
		if (v)
			format_ferr(p, v,
				    "recurse: takes its fields from the record it names; "
				    "remove fields:");
	} else if (it->type == FORMAT_RECORD) {
		if (!v)
			format_ferr(p, n, "record '%s' needs fields: [...]", it->name);
		else if (depth >= 16)
			format_ferr(p, v, "records nested too deeply (more than 16 levels)");
		else
			parse_items(p, v, it, depth + 1);
	} else if (v) {
		format_ferr(p, v, "fields: applies to records only; set type: record");
	}
	p->big_endian = outer_big;
	return it;
}

static struct format_item *parse_items(struct fparse *p, const struct ynode *list,
				       struct format_item *parent, unsigned depth)
{
	if (list->kind != YNODE_SEQ) {
		format_ferr(p, list, "fields must be a list of fields, not %s",
			    ynode_kind_name(list->kind));
		return parent;
	}
	if (list->n == 0)
		format_ferr(p, list, "empty fields list; expected at least one field");
	for (size_t i = 0; i < list->n; i++) {
		struct format_item *k = parse_item(p, list->items[i], parent, depth, false);

		if (!k)
			continue;
		parent->kids =
		    xreallocarray(parent->kids, parent->n_kids + 1, sizeof(*parent->kids));
		parent->kids[parent->n_kids++] = k;
	}
	return parent;
}

/* magic: at the top level: numbers, quoted strings (their bytes) and {hex: "..."}. */
static void parse_dictionary(struct fparse *p, const struct ynode *v)
{
	if (v->kind != YNODE_SEQ) {
		format_ferr(p, v,
			    "magic must be a list of numbers, quoted strings or {hex: \"..\"}");
		return;
	}
	p->f->magic = xcalloc(v->n ? v->n : 1, sizeof(*p->f->magic));
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *x = v->items[i], *h = ynode_get(x, "hex");
		struct format_magic *m = &p->f->magic[p->f->n_magic];
		const char *s;

		m->big_endian = p->big_endian;
		if (x->kind == YNODE_SCALAR && x->quoted) {
			m->is_bytes = true;
			m->bytes = xmemdup(x->scalar, x->scalar_len + 1);
			m->len = x->scalar_len;
		} else if (x->kind == YNODE_SCALAR && ynode_uint(x, UINT64_MAX, &m->value) == 0) {
			m->is_bytes = false;
		} else if (x->kind == YNODE_MAP && x->n == 1 && (s = yscalar(p, h, "hex")) &&
			   format_parse_hex(s, &m->bytes, &m->len) == 0 && m->len > 0) {
			m->is_bytes = true;
		} else {
			free(m->bytes);
			m->bytes = NULL;
			format_ferr(
			    p, x,
			    "bad magic value; expected a number, a quoted string or {hex: \"de "
			    "ad\"}");
			continue;
		}
		p->f->n_magic++;
	}
}

int format_parse(const char *file, const void *data, size_t size, struct diags *diags,
		 struct format **ret)
{
	static const char *const keys[] = {"format", "description", "endian",
					   "fields", "magic",	    NULL};
	struct ynode *doc = NULL;
	struct fparse p = {.file = file, .diags = diags};
	struct ynode *v;
	const char *s;
	int r;

	r = ynode_parse(file, data, size, diags, &doc);
	if (r < 0)
		return r;
	p.f = xzalloc(sizeof(*p.f));
	p.f->path = xstrdup(file);
	if (doc->kind != YNODE_MAP) {
		format_ferr(&p, doc, "a format description must be a map with format: and fields:");
		goto out;
	}
	p.errors += ynode_check_keys(doc, file, "a format description", keys, diags);
	v = ynode_get(doc, "format");
	if (!v)
		format_ferr(&p, doc, "missing format: NAME");
	else if ((s = yscalar(&p, v, "format")))
		p.f->name = xstrdup(s);
	v = ynode_get(doc, "endian");
	if ((s = yscalar(&p, v, "endian"))) {
		if (streq(s, "big"))
			p.big_endian = true;
		else if (!streq(s, "little"))
			format_ferr(&p, v, "bad endian '%s'; expected little or big", s);
	}
	if ((v = ynode_get(doc, "magic")))
		parse_dictionary(&p, v);
	p.f->root = xzalloc(sizeof(*p.f->root));
	p.f->root->name = xstrdup("");
	p.f->root->type = FORMAT_RECORD;
	p.f->root->id = p.f->n_items++;
	v = ynode_get(doc, "fields");
	if (!v)
		format_ferr(&p, doc, "missing fields: [...] (the layout)");
	else
		parse_items(&p, v, p.f->root, 0);
	if (p.errors == 0)
		format_resolve(&p, p.f->root);
out:
	ynode_free(doc);
	if (p.errors) {
		format_free(p.f);
		return -EINVAL;
	}
	if (!p.f->name)
		p.f->name = xstrdup("unnamed");
	*ret = p.f;
	return 0;
}

int format_load(const char *path, struct diags *diags, struct format **ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;
	int r;

	r = read_file(path, 16 << 20, &data, &size);
	if (r < 0) {
		diag_add(diags, path, 0, 0, "cannot read format description: %s", strerror(-r));
		return r;
	}
	return format_parse(path, data, size, diags, ret);
}
