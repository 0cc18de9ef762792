/* format.c — see format.h. This file: format descriptions (parsing and checking); the YAML
 * reader is base/ynode.c, the value tree is in format-tree.c. */
#include <ctype.h>
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
	free(it);
	return NULL;
}

struct format *format_free(struct format *f)
{
	if (!f)
		return NULL;
	item_free(f->root);
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
		it->type = ynode_get(n, "fields") ? FORMAT_RECORD : FORMAT_BYTES;
		if (!ynode_get(n, "fields"))
			ferr(p, n,
			     "field '%s' has no type; expected u8, u16, u32, u64, bytes or record",
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
	}
	if (!found)
		ferr(p, v,
		     "unknown type '%s'; expected u8, u16, u32, u64 (optionally le/be), bytes or "
		     "record",
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
	if ((v = ynode_get(n, "checksum"))) {
		nroles++;
		parse_checksum(p, v, it);
	}
	if (nroles > 1)
		ferr(p, n,
		     "field '%s' has more than one role (count_of, length_of, offset_of, "
		     "checksum); expected at most one",
		     it->name);
	if (it->role != FORMAT_ROLE_NONE && it->type != FORMAT_UINT)
		ferr(p, n, "field '%s' has a role but is not an integer", it->name);
	if (it->role != FORMAT_ROLE_NONE && it->repeated)
		ferr(p, n, "field '%s' has a role and is repeated; expected one or the other",
		     it->name);
}

static struct format_item *parse_item(struct fparse *p, const struct ynode *n,
				      struct format_item *parent, unsigned depth)
{
	static const char *const keys[] = {
	    "name",	 "type",      "size",	  "offset", "const",  "repeated",    "count_of",
	    "length_of", "offset_of", "checksum", "fields", "endian", "description", NULL};
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
		struct format_item *k = parse_item(p, list->items[i], parent, depth);

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
		if (k->type == FORMAT_RECORD && !k->repeated) {
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
		return s;
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
		/* Look in the enclosing records, innermost first. */
		for (struct format_item *r = it->parent; r && !t; r = r->parent)
			t = scope_find(r, it->target_name);
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

int format_parse(const char *file, const void *data, size_t size, struct diags *diags,
		 struct format **ret)
{
	static const char *const keys[] = {"format", "description", "endian", "fields", NULL};
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
