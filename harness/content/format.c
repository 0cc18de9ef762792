/* format.c — see format.h. This file: format descriptions (parsing and checking); the YAML
 * reader is base/ynode.c, the value tree is in format-tree.c. */
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
	for (size_t i = 0; i < it->n_terms; i++)
		free(it->terms[i].name);
	free(it->terms);
	free(it->magic);
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

struct fparse {
	const char *file;
	struct diags *diags;
	struct format *f;
	bool big_endian;
	unsigned errors;
};

_printf_(3, 4) static void ferr(struct fparse *p, const struct ynode *at, const char *fmt, ...)
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
		ferr(p, n, "%s must be a string, not %s", what, ynode_kind_name(n->kind));
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
		ferr(p, n, "field without a name; expected name: IDENTIFIER");
	else if (s && (!is_name(s) || streq(s, "parent") || streq(s, "last")))
		ferr(p, v,
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
	const struct ynode *v = ynode_get(n, "endian");
	const char *s;
	bool found = false;

	if ((s = yscalar(p, v, "endian"))) {
		if (streq(s, "little"))
			it->big_endian = false;
		else if (streq(s, "big"))
			it->big_endian = true;
		else
			ferr(p, v, "bad endian '%s'; expected little or big", s);
	}
	v = ynode_get(n, "type");
	s = yscalar(p, v, "type");
	if (!v) {
		it->type = ynode_get(n, "fields")  ? FORMAT_RECORD
			   : ynode_get(n, "cases") ? FORMAT_UNION
						   : FORMAT_BYTES;
		if (it->type == FORMAT_BYTES)
			ferr(p, n,
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
	if (streq(s, "bytes")) {
		it->type = FORMAT_BYTES;
		found = true;
	} else if (streq(s, "record")) {
		it->type = FORMAT_RECORD;
		found = true;
	} else if (streq(s, "union")) {
		it->type = FORMAT_UNION;
		found = true;
	}
	if (!found)
		ferr(p, v,
		     "unknown type '%s'; expected u8, u16, u32, u64 (optionally le/be), bytes, "
		     "record or union",
		     s);
}

/* size:, offset:, const: and repeated:. */
static void parse_layout(struct fparse *p, const struct ynode *n, struct format_item *it)
{
	const struct ynode *v;
	uint64_t x;

	if ((v = ynode_get(n, "size"))) {
		if (ynode_uint(v, 1u << 24, &x) < 0)
			ferr(p, v, "bad size; expected a number of bytes up to 16777216");
		else if (it->type == FORMAT_UINT)
			ferr(p, v, "an integer field's size comes from its type; remove size");
		else {
			it->has_size = true;
			it->size = x;
		}
	}
	if ((v = ynode_get(n, "offset"))) {
		if (ynode_uint(v, 1u << 24, &x) < 0)
			ferr(p, v, "bad offset; expected a number of bytes up to 16777216");
		else {
			it->has_offset = true;
			it->offset = x;
		}
	}
	if ((v = ynode_get(n, "const"))) {
		if (it->type != FORMAT_UINT)
			ferr(p, v, "const applies to integer fields only");
		else if (ynode_uint(
			     v, it->width == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * it->width)) - 1,
			     &it->const_value) < 0)
			ferr(p, v, "bad const; expected a number that fits in %u bytes", it->width);
		else
			it->has_const = true;
	}
	if ((v = ynode_get(n, "repeated")) && ynode_bool(v, &it->repeated) < 0)
		ferr(p, v, "bad repeated; expected true or false");
	if ((v = ynode_get(n, "count"))) {
		if (ynode_uint(v, 1u << 24, &it->count) < 0)
			ferr(p, v, "bad count; expected a number of elements up to 16777216");
		else if (!it->repeated)
			ferr(p, v, "count: applies to repeated fields; add repeated: true");
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
		ferr(p, v, "%s must be a number or a list of numbers", what);
	for (size_t i = 0; i < n && v->kind != YNODE_MAP; i++) {
		const struct ynode *x = v->kind == YNODE_SEQ ? v->items[i] : v;

		if (ynode_uint(x, UINT64_MAX, &out[i]) < 0)
			ferr(p, x, "bad %s value '%s'; expected a number", what,
			     x->kind == YNODE_SCALAR ? x->scalar : ynode_kind_name(x->kind));
	}
	*ret = out;
	return n;
}

/* A field's magic: values, and a case's when: (numbers, or default). */
static void parse_values(struct fparse *p, const struct ynode *n, struct format_item *it,
			 bool is_case)
{
	const struct ynode *v;

	if ((v = ynode_get(n, "magic"))) {
		if (it->type != FORMAT_UINT)
			ferr(p, v, "magic: on a field applies to integer fields only");
		else
			it->n_magic = parse_uint_list(p, v, "magic", &it->magic);
	}
	v = ynode_get(n, "when");
	if (v && !is_case)
		ferr(p, v, "when: applies to the cases of a union only");
	else if (!v && is_case)
		ferr(p, n, "case '%s' without when: (the tag values that select it, or default)",
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
		ferr(p, v, "checksum must be a map {algorithm: crc32, over: FIELD}");
		return;
	}
	p->errors += ynode_check_keys(v, p->file, "checksum", ckeys, p->diags);
	a = ynode_get(v, "algorithm");
	o = ynode_get(v, "over");
	if ((s = yscalar(p, a, "algorithm")) && !streq(s, "crc32"))
		ferr(p, a, "unknown checksum algorithm '%s'; expected crc32", s);
	if (!o)
		ferr(p, v, "checksum without over: FIELD (the range it covers)");
	else if ((s = yscalar(p, o, "over"))) {
		it->role = FORMAT_ROLE_CHECKSUM;
		free(it->target_name);
		it->target_name = xstrdup(s);
	}
	if (it->type == FORMAT_UINT && it->width != 4)
		ferr(p, v, "a crc32 checksum field must be u32");
}

static void push_term(struct format_item *it, struct format_term t)
{
	it->terms = xreallocarray(it->terms, it->n_terms + 1, sizeof(*it->terms));
	it->terms[it->n_terms++] = t;
}

/* equals: "TERM (+|- TERM)*", a TERM being a number, a field's name (its value), or
 * size(NAME), count(NAME), offset(NAME); size(parent) is the enclosing record's size. */
static void parse_expr(struct fparse *p, const struct ynode *at, const char *s,
		       struct format_item *it)
{
	static const struct {
		const char *fn;
		int kind;
	} fns[] = {{"size", FORMAT_TERM_SIZE},
		   {"count", FORMAT_TERM_COUNT},
		   {"offset", FORMAT_TERM_OFFSET}};
	bool negative = false, want_term = true;

	while (*s) {
		struct format_term t = {.negative = negative};
		size_t len;

		if (*s == ' ') {
			s++;
			continue;
		}
		if (!want_term) {
			if (*s != '+' && *s != '-')
				goto bad;
			negative = *s++ == '-';
			want_term = true;
			continue;
		}
		len = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
		if (len && s[0] >= '0' && s[0] <= '9') {
			struct ynode num = {.kind = YNODE_SCALAR};

			len = strspn(s, "0123456789abcdefABCDEFxob_");
			num.scalar = xstrndup(s, len);
			num.scalar_len = len;
			t.kind = FORMAT_TERM_NUMBER;
			int r = ynode_uint(&num, UINT64_MAX, &t.number);
			free(num.scalar);
			if (r < 0)
				goto bad;
		} else if (len) {
			t.kind = FORMAT_TERM_VALUE;
			/* a name may contain '-', which is also minus: names end at " -" */
			len = strcspn(s, " +()");
			for (size_t i = 0; i < ARRAY_SIZE(fns); i++)
				if (strlen(fns[i].fn) == len && !strncmp(s, fns[i].fn, len) &&
				    s[len] == '(') {
					t.kind = fns[i].kind;
					s += len + 1;
					len = strcspn(s, " )");
					if (s[len] != ')')
						goto bad;
				}
			t.name = xstrndup(s, len);
			if (t.kind != FORMAT_TERM_VALUE)
				len++;
		} else {
			goto bad;
		}
		push_term(it, t);
		s += len;
		want_term = false;
		negative = false;
	}
	if (!want_term && it->n_terms > 0)
		return;
bad:
	ferr(p, at,
	     "bad equals '%s'; expected terms joined by + or -: numbers, field names, size(NAME), "
	     "count(NAME), offset(NAME)",
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
		if (it->role != FORMAT_ROLE_OFFSET)
			ferr(p, v, "from: applies to offset_of fields");
		else if ((s = yscalar(p, v, "from")) && streq(s, "parent"))
			it->base_parent = true;
		else if (s)
			it->base_name = xstrdup(s);
	}
	if ((v = ynode_get(n, "checksum"))) {
		nroles++;
		parse_checksum(p, v, it);
	}
	if (nroles > 1)
		ferr(p, n,
		     "field '%s' has more than one role (count_of, length_of, offset_of, "
		     "points_into, equals, checksum); expected at most one",
		     it->name);
	if (it->role != FORMAT_ROLE_NONE && it->type != FORMAT_UINT)
		ferr(p, n, "field '%s' has a role but is not an integer", it->name);
	if (it->role != FORMAT_ROLE_NONE && it->repeated)
		ferr(p, n, "field '%s' has a role and is repeated; expected one or the other",
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
			ferr(p, v, "cases: applies to unions; set type: union");
		if ((v = ynode_get(n, "switch")))
			ferr(p, v, "switch: applies to unions; set type: union");
		return;
	}
	if (!(v = ynode_get(n, "switch")))
		ferr(p, n, "union '%s' needs switch: FIELD (the tag that selects the case)",
		     it->name);
	else if ((s = yscalar(p, v, "switch")))
		it->tag_name = xstrdup(s);
	v = ynode_get(n, "cases");
	if (!v || v->kind != YNODE_SEQ || v->n == 0) {
		ferr(p, v ? v : n, "union '%s' needs cases: [{name, when, fields}, ...]", it->name);
		return;
	}
	if (depth >= 16) {
		ferr(p, v, "records nested too deeply (more than 16 levels)");
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		struct format_item *k = parse_item(p, v->items[i], it, depth + 1, true);

		if (!k)
			continue;
		if (k->type != FORMAT_RECORD || k->repeated)
			ferr(p, v->items[i], "case '%s' must be a record (fields: [...])", k->name);
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
	    "switch",	   "cases",	"when",	     NULL};
	struct format_item *it;
	struct ynode *v;
	const char *s;

	if (n->kind != YNODE_MAP) {
		ferr(p, n, "a field must be a map with name and type, not %s",
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
	parse_layout(p, n, it);
	parse_role(p, n, it);
	parse_values(p, n, it, is_case);
	parse_union(p, n, it, depth);

	v = ynode_get(n, "fields");
	if (it->type == FORMAT_RECORD) {
		if (!v)
			ferr(p, n, "record '%s' needs fields: [...]", it->name);
		else if (depth >= 16)
			ferr(p, v, "records nested too deeply (more than 16 levels)");
		else
			parse_items(p, v, it, depth + 1);
	} else if (v) {
		ferr(p, v, "fields: applies to records only; set type: record");
	}
	return it;
}

static struct format_item *parse_items(struct fparse *p, const struct ynode *list,
				       struct format_item *parent, unsigned depth)
{
	if (list->kind != YNODE_SEQ) {
		ferr(p, list, "fields must be a list of fields, not %s",
		     ynode_kind_name(list->kind));
		return parent;
	}
	if (list->n == 0)
		ferr(p, list, "empty fields list; expected at least one field");
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

/* Items reachable by name from record r: its kids, and the kids of its non-repeated record kids
 * (transparent groups), recursively. */
static struct format_item *scope_find(struct format_item *r, const char *name)
{
	for (size_t i = 0; i < r->n_kids; i++) {
		struct format_item *k = r->kids[i];

		if (streq(k->name, name))
			return k;
		if ((k->type == FORMAT_RECORD || k->type == FORMAT_UNION) && !k->repeated) {
			struct format_item *f = scope_find(k, name);
			if (f)
				return f;
		}
	}
	return NULL;
}

/* Is a before b in document order, both reachable from r? */
static int doc_index(const struct format_item *r, const struct format_item *x, int *counter)
{
	if (r == x)
		return *counter;
	(*counter)++;
	for (size_t i = 0; i < r->n_kids; i++) {
		int k = doc_index(r->kids[i], x, counter);
		if (k >= 0)
			return k;
	}
	return -1;
}

size_t format_item_min_size(const struct format_item *it)
{
	size_t s = 0;

	switch (it->type) {
	case FORMAT_UINT:
		return it->width;
	case FORMAT_BYTES:
		return it->has_size ? it->size : 0;
	case FORMAT_RECORD:
		if (it->has_size)
			return it->size;
		for (size_t i = 0; i < it->n_kids; i++)
			if (!it->kids[i]->repeated)
				s += format_item_min_size(it->kids[i]);
			else if (it->kids[i]->has_count)
				s += it->kids[i]->count * format_item_min_size(it->kids[i]);
		return s;
	case FORMAT_UNION:
		if (it->has_size)
			return it->size;
		s = SIZE_MAX;
		for (size_t i = 0; i < it->n_kids; i++) {
			size_t k = format_item_min_size(it->kids[i]);
			s = k < s ? k : s;
		}
		return s == SIZE_MAX ? 0 : s;
	}
	return 0;
}

/* Fixed size, or SIZE_MAX when it depends on the data. */
size_t format_item_fixed_size(const struct format_item *it)
{
	size_t s = 0;

	if (it->repeated)
		return SIZE_MAX;
	switch (it->type) {
	case FORMAT_UINT:
		return it->width;
	case FORMAT_BYTES:
		return it->has_size ? it->size : SIZE_MAX;
	case FORMAT_RECORD:
		if (it->has_size)
			return it->size;
		for (size_t i = 0; i < it->n_kids; i++) {
			size_t k = format_item_fixed_size(it->kids[i]);
			if (k == SIZE_MAX)
				return SIZE_MAX;
			s += k;
		}
		return s;
	case FORMAT_UNION: /* fixed when every case has the same fixed size */
		if (it->has_size)
			return it->size;
		for (size_t i = 0; i < it->n_kids; i++) {
			size_t k = format_item_fixed_size(it->kids[i]);
			if (k == SIZE_MAX || (i > 0 && k != s))
				return SIZE_MAX;
			s = k;
		}
		return it->n_kids ? s : SIZE_MAX;
	}
	return SIZE_MAX;
}

static const char *role_key(enum format_role r)
{
	switch (r) {
	case FORMAT_ROLE_COUNT:
		return "count_of";
	case FORMAT_ROLE_LENGTH:
		return "length_of";
	case FORMAT_ROLE_OFFSET:
		return "offset_of";
	case FORMAT_ROLE_CHECKSUM:
		return "checksum over";
	case FORMAT_ROLE_POINTER:
		return "points_into";
	case FORMAT_ROLE_EQUALS:
		return "equals";
	default:
		return "";
	}
}

/* Names must be unique in the scope a path sees, or paths would be ambiguous. */
static void check_unique_names(struct fparse *p, struct format_item *it)
{
	_cleanup_free_ struct format_item **seen = NULL;
	size_t n_seen = 0;
	struct format_item *stack[64];
	size_t sp = 0;

	stack[sp++] = it;
	while (sp > 0) {
		struct format_item *r = stack[--sp];
		for (size_t i = 0; i < r->n_kids; i++) {
			struct format_item *k = r->kids[i];
			for (size_t j = 0; j < n_seen; j++)
				if (streq(seen[j]->name, k->name)) {
					struct ynode kat = {.line = k->line, .column = k->column};
					ferr(p, &kat,
					     "duplicate field name '%s' (also at line %u); names "
					     "must be unique within a record",
					     k->name, seen[j]->line);
				}
			seen = xreallocarray(seen, n_seen + 1, sizeof(*seen));
			seen[n_seen++] = k;
			if (k->type == FORMAT_RECORD && !k->repeated && sp < 64)
				stack[sp++] = k;
		}
	}
}

/* it counts or measures t: t must be something it can count or measure, after it. */
static void link_target(struct fparse *p, struct format_item *it, struct format_item *t,
			const struct ynode *at)
{
	int c1 = 0, c2 = 0;
	int a = doc_index(p->f->root, it, &c1), b = doc_index(p->f->root, t, &c2);

	switch (it->role) {
	case FORMAT_ROLE_COUNT:
		if (!t->repeated)
			ferr(p, at,
			     "count_of '%s': that field is not repeated; add repeated: true to it",
			     t->name);
		else if (t->count_by)
			ferr(p, at, "'%s' is already counted by '%s'", t->name, t->count_by->name);
		else if (b < a)
			ferr(p, at, "count_of '%s': the count must come before what it counts",
			     t->name);
		else
			t->count_by = it;
		break;
	case FORMAT_ROLE_LENGTH:
		if (t->repeated)
			ferr(p, at,
			     "length_of '%s': a repeated field has no single length; measure a "
			     "record around it",
			     t->name);
		else if (t->type == FORMAT_UINT)
			ferr(p, at, "length_of '%s': an integer has a fixed length", t->name);
		else if (t->length_by || t->has_size)
			ferr(p, at, "'%s' already has a size", t->name);
		else if (b < a)
			ferr(p, at, "length_of '%s': the length must come before what it measures",
			     t->name);
		else
			t->length_by = it;
		break;
	default:
		break;
	}
}

/* The first item named name anywhere under r, in document order (repeated ones included). */
static struct format_item *find_anywhere(struct format_item *r, const char *name)
{
	for (size_t i = 0; i < r->n_kids; i++) {
		struct format_item *k = r->kids[i], *f;

		if (streq(k->name, name))
			return k;
		if ((f = find_anywhere(k, name)))
			return f;
	}
	return NULL;
}

/* A name as seen from it: in the enclosing records, innermost first; with anywhere, else the
 * first item of that name in the file (a table in another section). */
static struct format_item *lookup_item(struct fparse *p, struct format_item *it, const char *name,
				       bool anywhere)
{
	struct format_item *t = NULL;

	for (struct format_item *r = it->parent; r && !t; r = r->parent)
		t = scope_find(r, name);
	if (!t && anywhere)
		t = find_anywhere(p->f->root, name);
	return t;
}

static bool before(struct fparse *p, const struct format_item *a, const struct format_item *b)
{
	int c1 = 0, c2 = 0;

	return doc_index(p->f->root, a, &c1) < doc_index(p->f->root, b, &c2);
}

/* A union's tag (an integer before it) and its cases (no tag value twice, one default). */
static void resolve_union(struct fparse *p, struct format_item *it, const struct ynode *at)
{
	struct format_item *def = NULL;

	if (it->tag_name) {
		it->tag = lookup_item(p, it, it->tag_name, false);
		if (!it->tag)
			ferr(p, at, "switch '%s': no such field in scope", it->tag_name);
		else if (it->tag->type != FORMAT_UINT || it->tag->repeated)
			ferr(p, at, "switch '%s': the tag must be a single integer field",
			     it->tag_name);
		else if (!before(p, it->tag, it))
			ferr(p, at, "switch '%s': the tag must come before the union",
			     it->tag_name);
	}
	for (size_t i = 0; i < it->n_kids; i++) {
		struct format_item *k = it->kids[i];
		struct ynode kat = {.line = k->line, .column = k->column};

		if (k->is_default && def)
			ferr(p, &kat, "union '%s' has two default cases ('%s' and '%s')", it->name,
			     def->name, k->name);
		if (k->is_default)
			def = k;
		for (size_t w = 0; w < k->n_when; w++)
			for (size_t j = 0; j < i; j++)
				for (size_t x = 0; x < it->kids[j]->n_when; x++)
					if (it->kids[j]->when[x] == k->when[w])
						ferr(p, &kat,
						     "case '%s': tag value %" PRIu64
						     " already selects case '%s'",
						     k->name, k->when[w], it->kids[j]->name);
	}
}

/* from: of an offset, and the names in an equals: expression. */
static void resolve_refs(struct fparse *p, struct format_item *it, const struct ynode *at)
{
	if (it->base_name) {
		it->base = lookup_item(p, it, it->base_name, true);
		if (!it->base)
			ferr(p, at, "from '%s': no such field", it->base_name);
	}
	for (size_t i = 0; i < it->n_terms; i++) {
		struct format_term *t = &it->terms[i];

		if (!t->name || (t->kind == FORMAT_TERM_SIZE && streq(t->name, "parent")))
			continue;
		t->item = lookup_item(p, it, t->name, true);
		if (!t->item)
			ferr(p, at, "equals: no field '%s'", t->name);
		else if (t->item == it)
			ferr(p, at, "equals: the field refers to itself");
		else if (t->kind == FORMAT_TERM_VALUE && t->item->type != FORMAT_UINT)
			ferr(p, at, "equals: '%s' is not an integer; use size(%s)", t->name,
			     t->name);
		else if (t->kind == FORMAT_TERM_COUNT && !t->item->repeated)
			ferr(p, at, "equals: count(%s): that field is not repeated", t->name);
	}
}

/* The field a role names: 'parent' (the enclosing record), or a name in scope. */
static void resolve_target(struct fparse *p, struct format_item *it, const struct ynode *at)
{
	struct format_item *t = NULL;

	if (streq(it->target_name, "parent")) {
		if (it->role != FORMAT_ROLE_LENGTH && it->role != FORMAT_ROLE_CHECKSUM)
			ferr(p, at, "'parent' is only valid for length_of and checksum");
		else if (!it->parent || !it->parent->parent)
			ferr(p, at,
			     "'%s: parent' at the top level; the file's length is not a field",
			     role_key(it->role));
		else if (it->role == FORMAT_ROLE_LENGTH)
			it->parent->length_by = it;
	} else {
		/* Look in the enclosing records, innermost first; a table that an offset points
		 * into may be anywhere. */
		t = lookup_item(p, it, it->target_name,
				it->role == FORMAT_ROLE_POINTER || it->role == FORMAT_ROLE_OFFSET);
		if (!t)
			ferr(p, at, "%s '%s': no such field in scope", role_key(it->role),
			     it->target_name);
		else if (t == it)
			ferr(p, at, "%s points at itself", role_key(it->role));
	}
	it->target = t;
	if (t)
		link_target(p, it, t, at);
}

/* Declared offsets must match the layout: catches overlapping fields and gaps. */
static void check_offsets(struct fparse *p, struct format_item *it, const struct ynode *at)
{
	size_t off = 0;
	bool known = true;

	for (size_t i = 0; i < it->n_kids; i++) {
		struct format_item *k = it->kids[i];
		struct ynode kat = {.line = k->line, .column = k->column};
		size_t fs = format_item_fixed_size(k);

		if (k->has_offset && known && k->offset != off)
			ferr(p, &kat,
			     "field '%s' declared at offset %zu but the fields before it end at "
			     "%zu; fields %s",
			     k->name, k->offset, off, k->offset < off ? "overlap" : "leave a gap");
		else if (k->has_offset && !known)
			ferr(p, &kat,
			     "field '%s' declares offset %zu after a variable-size field; remove "
			     "the offset",
			     k->name, k->offset);
		if (fs == SIZE_MAX)
			known = false;
		else
			off += fs;
	}
	if (it->has_size && known && off > it->size)
		ferr(p, at, "record '%s' has size %zu but its fields take %zu bytes", it->name,
		     it->size, off);
}

static void resolve(struct fparse *p, struct format_item *it)
{
	struct ynode at = {.line = it->line, .column = it->column};

	if (it->type == FORMAT_RECORD)
		check_unique_names(p, it);
	if (it->role != FORMAT_ROLE_NONE && it->target_name)
		resolve_target(p, it, &at);
	resolve_refs(p, it, &at);
	if (it->type == FORMAT_UNION)
		resolve_union(p, it, &at);
	if (it->has_count && it->count_by)
		ferr(p, &at, "'%s' has count: and is counted by '%s'; expected one or the other",
		     it->name, it->count_by->name);
	if (it->repeated && format_item_min_size(it) == 0)
		ferr(p, &at,
		     "repeated field '%s' can be empty; give it at least one fixed-size field",
		     it->name);
	if (it->type == FORMAT_BYTES && !it->has_size && !it->length_by && it->parent) {
		/* "rest of the enclosing record": valid only as the last field. */
		if (it->parent->kids[it->parent->n_kids - 1] != it)
			ferr(p, &at,
			     "bytes field '%s' has no size and is not last; give it size: N or a "
			     "length_of field",
			     it->name);
	}
	for (size_t i = 0; i < it->n_kids; i++)
		resolve(p, it->kids[i]);
	if (it->type == FORMAT_RECORD)
		check_offsets(p, it, &at);
}

/* magic: at the top level: numbers, quoted strings (their bytes) and {hex: "..."}. */
static void parse_dictionary(struct fparse *p, const struct ynode *v)
{
	if (v->kind != YNODE_SEQ) {
		ferr(p, v, "magic must be a list of numbers, quoted strings or {hex: \"..\"}");
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
			ferr(p, x,
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
		ferr(&p, doc, "a format description must be a map with format: and fields:");
		goto out;
	}
	p.errors += ynode_check_keys(doc, file, "a format description", keys, diags);
	v = ynode_get(doc, "format");
	if (!v)
		ferr(&p, doc, "missing format: NAME");
	else if ((s = yscalar(&p, v, "format")))
		p.f->name = xstrdup(s);
	v = ynode_get(doc, "endian");
	if ((s = yscalar(&p, v, "endian"))) {
		if (streq(s, "big"))
			p.big_endian = true;
		else if (!streq(s, "little"))
			ferr(&p, v, "bad endian '%s'; expected little or big", s);
	}
	if ((v = ynode_get(doc, "magic")))
		parse_dictionary(&p, v);
	p.f->root = xzalloc(sizeof(*p.f->root));
	p.f->root->name = xstrdup("");
	p.f->root->type = FORMAT_RECORD;
	p.f->root->id = p.f->n_items++;
	v = ynode_get(doc, "fields");
	if (!v)
		ferr(&p, doc, "missing fields: [...] (the layout)");
	else
		parse_items(&p, v, p.f->root, 0);
	if (p.errors == 0)
		resolve(&p, p.f->root);
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
