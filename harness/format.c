/* format.c — see format.h. */
#include "format.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <yaml.h>
#include <zlib.h>

#include "util.h"

/* ======================================================================== YAML reader */

const char *format_ykind_name(enum format_ykind k)
{
	switch (k) {
	case FORMAT_YSCALAR:
		return "a scalar";
	case FORMAT_YSEQ:
		return "a list";
	case FORMAT_YMAP:
		return "a map";
	}
	return "?";
}

struct format_ynode *format_ynode_free(struct format_ynode *n)
{
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->n; i++) {
		format_ynode_free(n->items[i]);
		if (n->keys)
			format_ynode_free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->scalar);
	free(n);
	return NULL;
}

struct yreader {
	yaml_parser_t parser;
	const uint8_t *data;
	size_t size;
	const char *file;
	struct scenario_diags *diags;
	size_t n_nodes;
	bool failed;
};

static void yreader_parser_error(struct yreader *r)
{
	yaml_parser_t *p = &r->parser;

	if (r->failed)
		return;
	r->failed = true;
	if (p->error == YAML_READER_ERROR) {
		/* Encoding errors carry a byte offset, not a mark: count lines ourselves. */
		unsigned line = 1, col = 1;

		for (size_t i = 0; i < p->problem_offset && i < r->size; i++, col++)
			if (r->data[i] == '\n') {
				line++;
				col = 0;
			}
		scenario_diag_add(r->diags, r->file, line, col,
				  "%s at byte %zu; expected UTF-8 text",
				  p->problem ? p->problem : "invalid input", p->problem_offset);
		return;
	}
	if (p->context)
		scenario_diag_add(r->diags, r->file, (unsigned)p->problem_mark.line + 1,
				  (unsigned)p->problem_mark.column + 1, "YAML syntax error: %s %s",
				  p->problem ? p->problem : "unknown problem", p->context);
	else
		scenario_diag_add(r->diags, r->file, (unsigned)p->problem_mark.line + 1,
				  (unsigned)p->problem_mark.column + 1, "YAML syntax error: %s",
				  p->problem ? p->problem : "unknown problem");
}

static void yreader_error(struct yreader *r, const yaml_mark_t *m, const char *msg)
{
	if (r->failed)
		return;
	r->failed = true;
	scenario_diag_add(r->diags, r->file, (unsigned)m->line + 1, (unsigned)m->column + 1, "%s",
			  msg);
}

static bool next_event(struct yreader *r, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&r->parser, ev)) {
		yreader_parser_error(r);
		return false;
	}
	return true;
}

static struct format_ynode *ynode_new(enum format_ykind kind, const yaml_mark_t *m)
{
	struct format_ynode *n = xzalloc(sizeof(*n));

	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->column = (unsigned)m->column + 1;
	return n;
}

static void ynode_push(struct format_ynode *n, struct format_ynode *key, struct format_ynode *v)
{
	n->items = xreallocarray(n->items, n->n + 1, sizeof(*n->items));
	if (n->kind == FORMAT_YMAP) {
		n->keys = xreallocarray(n->keys, n->n + 1, sizeof(*n->keys));
		n->keys[n->n] = key;
	}
	n->items[n->n++] = v;
}

/* Read the node that starts with ev (consumed). Returns NULL on error (diag added). */
static struct format_ynode *read_node(struct yreader *r, yaml_event_t *ev, unsigned depth)
{
	struct format_ynode *n = NULL;
	yaml_event_t e;

	if (++r->n_nodes > FORMAT_YAML_MAX_NODES) {
		yreader_error(r, &ev->start_mark, "too many YAML nodes (more than 1000000)");
		yaml_event_delete(ev);
		return NULL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		/* Aliases could expand exponentially ("billion laughs"); scenarios never need them.
		 */
		yreader_error(r, &ev->start_mark,
			      "YAML aliases (*name) are not supported; write the value out");
		yaml_event_delete(ev);
		return NULL;
	case YAML_SCALAR_EVENT:
		n = ynode_new(FORMAT_YSCALAR, &ev->start_mark);
		n->scalar = xmemdup(ev->data.scalar.value, ev->data.scalar.length + 1);
		n->scalar[ev->data.scalar.length] = 0;
		n->scalar_len = ev->data.scalar.length;
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		yaml_event_delete(ev);
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool map = ev->type == YAML_MAPPING_START_EVENT;

		if (depth >= FORMAT_YAML_MAX_DEPTH) {
			yreader_error(r, &ev->start_mark,
				      "YAML nested too deeply (more than 64 levels)");
			yaml_event_delete(ev);
			return NULL;
		}
		n = ynode_new(map ? FORMAT_YMAP : FORMAT_YSEQ, &ev->start_mark);
		yaml_event_delete(ev);
		for (;;) {
			struct format_ynode *key = NULL, *v;

			if (!next_event(r, &e))
				return format_ynode_free(n);
			if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&e);
				return n;
			}
			if (map) {
				key = read_node(r, &e, depth + 1);
				if (!key)
					return format_ynode_free(n);
				if (key->kind != FORMAT_YSCALAR) {
					yaml_mark_t m = {.line = key->line - 1,
							 .column = key->column - 1};
					yreader_error(r, &m, "map keys must be plain strings");
					format_ynode_free(key);
					return format_ynode_free(n);
				}
				for (size_t i = 0; i < n->n; i++)
					if (streq(n->keys[i]->scalar, key->scalar)) {
						yaml_mark_t m = {.line = key->line - 1,
								 .column = key->column - 1};
						_cleanup_free_ char *msg = xasprintf(
						    "duplicate key '%s' (first at line %u)",
						    key->scalar, n->keys[i]->line);
						yreader_error(r, &m, msg);
						format_ynode_free(key);
						return format_ynode_free(n);
					}
				if (!next_event(r, &e)) {
					format_ynode_free(key);
					return format_ynode_free(n);
				}
			}
			v = read_node(r, &e, depth + 1);
			if (!v) {
				format_ynode_free(key);
				return format_ynode_free(n);
			}
			ynode_push(n, key, v);
		}
	}
	default:
		yreader_error(r, &ev->start_mark, "unexpected YAML event");
		yaml_event_delete(ev);
		return NULL;
	}
}

int format_yaml_parse(const char *file, const void *data, size_t size, struct scenario_diags *diags,
		      struct format_ynode **ret)
{
	struct yreader r = {.file = file, .diags = diags, .data = data, .size = size};
	struct format_ynode *root = NULL;
	yaml_event_t ev;
	bool done = false;

	if (!yaml_parser_initialize(&r.parser))
		abort();
	yaml_parser_set_input_string(&r.parser, data, size);
	while (!done && next_event(&r, &ev)) {
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			yaml_event_delete(&ev);
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (root) {
				yreader_error(&r, &ev.start_mark,
					      "more than one YAML document; expected exactly one");
				done = true;
			}
			yaml_event_delete(&ev);
			break;
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			done = true;
			break;
		default:
			if (root) {
				yreader_error(&r, &ev.start_mark,
					      "unexpected content after the document");
				yaml_event_delete(&ev);
				done = true;
				break;
			}
			root = read_node(&r, &ev, 0);
			if (!root)
				done = true;
			break;
		}
	}
	yaml_parser_delete(&r.parser);
	if (r.failed) {
		format_ynode_free(root);
		return -EINVAL;
	}
	if (!root) {
		yaml_mark_t m = {0};
		root = ynode_new(FORMAT_YMAP, &m);
	}
	*ret = root;
	return 0;
}

struct format_ynode *format_ynode_get(const struct format_ynode *n, const char *key)
{
	if (!n || n->kind != FORMAT_YMAP)
		return NULL;
	for (size_t i = 0; i < n->n; i++)
		if (streq(n->keys[i]->scalar, key))
			return n->items[i];
	return NULL;
}

int format_ynode_uint(const struct format_ynode *n, uint64_t max, uint64_t *ret)
{
	const char *s;
	uint64_t v = 0;
	unsigned base = 10;
	bool any = false;

	if (!n || n->kind != FORMAT_YSCALAR || n->quoted)
		return -EINVAL;
	s = n->scalar;
	if (strlen(s) != n->scalar_len)
		return -EINVAL;
	if (s[0] == '+')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	}
	for (; *s; s++) {
		unsigned d;

		if (*s == '_')
			continue;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
		any = true;
	}
	if (!any)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int format_ynode_int(const struct format_ynode *n, int64_t *ret)
{
	struct format_ynode tmp;
	uint64_t v;
	int r;

	if (!n || n->kind != FORMAT_YSCALAR || n->quoted)
		return -EINVAL;
	if (n->scalar[0] != '-') {
		r = format_ynode_uint(n, INT64_MAX, &v);
		if (r < 0)
			return r;
		*ret = (int64_t)v;
		return 0;
	}
	tmp = *n;
	tmp.scalar = n->scalar + 1;
	tmp.scalar_len = n->scalar_len - 1;
	r = format_ynode_uint(&tmp, (uint64_t)INT64_MAX + 1, &v);
	if (r < 0)
		return r;
	*ret = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	return 0;
}

int format_ynode_bool(const struct format_ynode *n, bool *ret)
{
	static const char *const yes[] = {"true", "yes", "on", "True", "TRUE", "Yes", "On"};
	static const char *const no[] = {"false", "no", "off", "False", "FALSE", "No", "Off"};

	if (!n || n->kind != FORMAT_YSCALAR || n->quoted)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (streq(n->scalar, yes[i])) {
			*ret = true;
			return 0;
		}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (streq(n->scalar, no[i])) {
			*ret = false;
			return 0;
		}
	return -EINVAL;
}

unsigned format_ynode_check_keys(const struct format_ynode *n, const char *file, const char *what,
				 const char *const *allowed, struct scenario_diags *diags)
{
	unsigned bad = 0;

	if (!n || n->kind != FORMAT_YMAP)
		return 0;
	for (size_t i = 0; i < n->n; i++) {
		bool ok = false;
		char list[512] = "";
		size_t len = 0;

		for (const char *const *a = allowed; *a; a++)
			if (streq(*a, n->keys[i]->scalar))
				ok = true;
		if (ok)
			continue;
		for (const char *const *a = allowed; *a && len < sizeof(list) - 64; a++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						a == allowed ? "" : ", ", *a);
		scenario_diag_add(diags, file, n->keys[i]->line, n->keys[i]->column,
				  "unknown key '%s' in %s; expected one of: %s", n->keys[i]->scalar,
				  what, list);
		bad++;
	}
	return bad;
}

/* ======================================================================== descriptions */

struct format {
	char *name;
	char *path;
	struct format_item *root;
	unsigned n_items;
};

static struct format_item *item_free(struct format_item *it)
{
	if (!it)
		return NULL;
	for (size_t i = 0; i < it->n_kids; i++)
		item_free(it->kids[i]);
	free(it->kids);
	free(it->name);
	free(it->target_name);
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
	struct scenario_diags *diags;
	struct format *f;
	bool big_endian;
	unsigned errors;
};

_printf_(3, 4) static void ferr(struct fparse *p, const struct format_ynode *at, const char *fmt,
				...)
{
	va_list ap;
	_cleanup_free_ char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	scenario_diag_add(p->diags, p->file, at ? at->line : 0, at ? at->column : 0, "%s", msg);
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

static const char *yscalar(struct fparse *p, const struct format_ynode *n, const char *what)
{
	if (!n)
		return NULL;
	if (n->kind != FORMAT_YSCALAR) {
		ferr(p, n, "%s must be a string, not %s", what, format_ykind_name(n->kind));
		return NULL;
	}
	return n->scalar;
}

static struct format_item *parse_items(struct fparse *p, const struct format_ynode *list,
				       struct format_item *parent, unsigned depth);

static struct format_item *parse_item(struct fparse *p, const struct format_ynode *n,
				      struct format_item *parent, unsigned depth)
{
	static const char *const keys[] = {
	    "name",	 "type",      "size",	  "offset", "const",  "repeated",    "count_of",
	    "length_of", "offset_of", "checksum", "fields", "endian", "description", NULL};
	struct format_item *it;
	struct format_ynode *v;
	const char *s;
	unsigned nroles = 0;

	if (n->kind != FORMAT_YMAP) {
		ferr(p, n, "a field must be a map with name and type, not %s",
		     format_ykind_name(n->kind));
		return NULL;
	}
	p->errors += format_ynode_check_keys(n, p->file, "a format field", keys, p->diags);
	it = xzalloc(sizeof(*it));
	it->parent = parent;
	it->line = n->line;
	it->column = n->column;
	it->id = p->f->n_items++;
	it->big_endian = p->big_endian;

	s = yscalar(p, format_ynode_get(n, "name"), "name");
	if (!format_ynode_get(n, "name"))
		ferr(p, n, "field without a name; expected name: IDENTIFIER");
	else if (s && (!is_name(s) || streq(s, "parent") || streq(s, "last")))
		ferr(p, format_ynode_get(n, "name"),
		     "bad field name '%s'; expected letters, digits, '_' or '-' (not 'parent' or "
		     "'last')",
		     s);
	it->name = xstrdup(s ? s : "?");

	v = format_ynode_get(n, "endian");
	if ((s = yscalar(p, v, "endian"))) {
		if (streq(s, "little"))
			it->big_endian = false;
		else if (streq(s, "big"))
			it->big_endian = true;
		else
			ferr(p, v, "bad endian '%s'; expected little or big", s);
	}

	v = format_ynode_get(n, "type");
	s = yscalar(p, v, "type");
	if (!v) {
		it->type = format_ynode_get(n, "fields") ? FORMAT_RECORD : FORMAT_BYTES;
		if (!format_ynode_get(n, "fields"))
			ferr(p, n,
			     "field '%s' has no type; expected u8, u16, u32, u64, bytes or record",
			     it->name);
	} else if (s) {
		static const struct {
			const char *name;
			unsigned width;
			int big; /* -1 = default endianness */
		} ints[] = {{"u8", 1, -1},   {"u16", 2, -1},  {"u32", 4, -1},  {"u64", 8, -1},
			    {"u16le", 2, 0}, {"u32le", 4, 0}, {"u64le", 8, 0}, {"u16be", 2, 1},
			    {"u32be", 4, 1}, {"u64be", 8, 1}};
		bool found = false;

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
			     "unknown type '%s'; expected u8, u16, u32, u64 (optionally le/be), "
			     "bytes or record",
			     s);
	}

	if ((v = format_ynode_get(n, "size"))) {
		uint64_t x;
		if (format_ynode_uint(v, 1u << 24, &x) < 0)
			ferr(p, v, "bad size; expected a number of bytes up to 16777216");
		else if (it->type == FORMAT_UINT)
			ferr(p, v, "an integer field's size comes from its type; remove size");
		else {
			it->has_size = true;
			it->size = x;
		}
	}
	if ((v = format_ynode_get(n, "offset"))) {
		uint64_t x;
		if (format_ynode_uint(v, 1u << 24, &x) < 0)
			ferr(p, v, "bad offset; expected a number of bytes up to 16777216");
		else {
			it->has_offset = true;
			it->offset = x;
		}
	}
	if ((v = format_ynode_get(n, "const"))) {
		if (it->type != FORMAT_UINT)
			ferr(p, v, "const applies to integer fields only");
		else if (format_ynode_uint(
			     v, it->width == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * it->width)) - 1,
			     &it->const_value) < 0)
			ferr(p, v, "bad const; expected a number that fits in %u bytes", it->width);
		else
			it->has_const = true;
	}
	if ((v = format_ynode_get(n, "repeated")) && format_ynode_bool(v, &it->repeated) < 0)
		ferr(p, v, "bad repeated; expected true or false");

	static const struct {
		const char *key;
		enum format_role role;
	} roles[] = {{"count_of", FORMAT_ROLE_COUNT},
		     {"length_of", FORMAT_ROLE_LENGTH},
		     {"offset_of", FORMAT_ROLE_OFFSET}};
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++) {
		v = format_ynode_get(n, roles[i].key);
		if (!v)
			continue;
		nroles++;
		if ((s = yscalar(p, v, roles[i].key))) {
			it->role = roles[i].role;
			free(it->target_name);
			it->target_name = xstrdup(s);
		}
	}
	if ((v = format_ynode_get(n, "checksum"))) {
		static const char *const ckeys[] = {"algorithm", "over", NULL};
		struct format_ynode *a, *o;

		nroles++;
		if (v->kind != FORMAT_YMAP) {
			ferr(p, v, "checksum must be a map {algorithm: crc32, over: FIELD}");
		} else {
			p->errors +=
			    format_ynode_check_keys(v, p->file, "checksum", ckeys, p->diags);
			a = format_ynode_get(v, "algorithm");
			o = format_ynode_get(v, "over");
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

	v = format_ynode_get(n, "fields");
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

static struct format_item *parse_items(struct fparse *p, const struct format_ynode *list,
				       struct format_item *parent, unsigned depth)
{
	if (list->kind != FORMAT_YSEQ) {
		ferr(p, list, "fields must be a list of fields, not %s",
		     format_ykind_name(list->kind));
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

static size_t min_size(const struct format_item *it)
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
				s += min_size(it->kids[i]);
		return s;
	}
	return 0;
}

/* Fixed size, or SIZE_MAX when it depends on the data. */
static size_t fixed_size(const struct format_item *it)
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
			size_t k = fixed_size(it->kids[i]);
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

static void resolve(struct fparse *p, struct format_item *it)
{
	struct format_ynode at = {.line = it->line, .column = it->column};

	/* Names must be unique in the scope a path sees, or paths would be ambiguous. */
	if (it->type == FORMAT_RECORD) {
		struct format_item **seen = NULL;
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
						struct format_ynode kat = {.line = k->line,
									   .column = k->column};
						ferr(p, &kat,
						     "duplicate field name '%s' (also at line %u); "
						     "names must be unique within a record",
						     k->name, seen[j]->line);
					}
				seen = xreallocarray(seen, n_seen + 1, sizeof(*seen));
				seen[n_seen++] = k;
				if (k->type == FORMAT_RECORD && !k->repeated && sp < 64)
					stack[sp++] = k;
			}
		}
		free(seen);
	}

	if (it->role != FORMAT_ROLE_NONE && it->target_name) {
		struct format_item *t = NULL;

		if (streq(it->target_name, "parent")) {
			if (it->role != FORMAT_ROLE_LENGTH && it->role != FORMAT_ROLE_CHECKSUM)
				ferr(p, &at, "'parent' is only valid for length_of and checksum");
			else if (!it->parent || !it->parent->parent)
				ferr(p, &at,
				     "'%s: parent' at the top level; the file's length is not a "
				     "field",
				     role_key(it->role));
			else if (it->role == FORMAT_ROLE_LENGTH)
				it->parent->length_by = it;
		} else {
			/* Look in the enclosing records, innermost first. */
			for (struct format_item *r = it->parent; r && !t; r = r->parent)
				t = scope_find(r, it->target_name);
			if (!t)
				ferr(p, &at, "%s '%s': no such field in scope", role_key(it->role),
				     it->target_name);
			else if (t == it)
				ferr(p, &at, "%s points at itself", role_key(it->role));
		}
		it->target = t;
		if (t) {
			int c1 = 0, c2 = 0;
			int a = doc_index(p->f->root, it, &c1), b = doc_index(p->f->root, t, &c2);

			switch (it->role) {
			case FORMAT_ROLE_COUNT:
				if (!t->repeated)
					ferr(p, &at,
					     "count_of '%s': that field is not repeated; add "
					     "repeated: true to it",
					     t->name);
				else if (t->count_by)
					ferr(p, &at, "'%s' is already counted by '%s'", t->name,
					     t->count_by->name);
				else if (b < a)
					ferr(p, &at,
					     "count_of '%s': the count must come before what it "
					     "counts",
					     t->name);
				else
					t->count_by = it;
				break;
			case FORMAT_ROLE_LENGTH:
				if (t->repeated)
					ferr(p, &at,
					     "length_of '%s': a repeated field has no single "
					     "length; measure a record around it",
					     t->name);
				else if (t->type == FORMAT_UINT)
					ferr(p, &at,
					     "length_of '%s': an integer has a fixed length",
					     t->name);
				else if (t->length_by || t->has_size)
					ferr(p, &at, "'%s' already has a size", t->name);
				else if (b < a)
					ferr(p, &at,
					     "length_of '%s': the length must come before what "
					     "it measures",
					     t->name);
				else
					t->length_by = it;
				break;
			default:
				break;
			}
		}
	}
	if (it->repeated && min_size(it) == 0)
		ferr(p, &at,
		     "repeated field '%s' can be empty; give it at least one fixed-size "
		     "field",
		     it->name);
	if (it->type == FORMAT_BYTES && !it->has_size && !it->length_by && it->parent) {
		/* "rest of the enclosing record": valid only as the last field. */
		if (it->parent->kids[it->parent->n_kids - 1] != it)
			ferr(p, &at,
			     "bytes field '%s' has no size and is not last; give it size: N "
			     "or a length_of field",
			     it->name);
	}
	for (size_t i = 0; i < it->n_kids; i++)
		resolve(p, it->kids[i]);

	/* Declared offsets must match the layout: catches overlapping fields and gaps. */
	if (it->type == FORMAT_RECORD) {
		size_t off = 0;
		bool known = true;

		for (size_t i = 0; i < it->n_kids; i++) {
			struct format_item *k = it->kids[i];
			struct format_ynode kat = {.line = k->line, .column = k->column};
			size_t fs = fixed_size(k);

			if (k->has_offset && known && k->offset != off)
				ferr(p, &kat,
				     "field '%s' declared at offset %zu but the fields before it "
				     "end "
				     "at %zu; fields %s",
				     k->name, k->offset, off,
				     k->offset < off ? "overlap" : "leave a gap");
			else if (k->has_offset && !known)
				ferr(p, &kat,
				     "field '%s' declares offset %zu after a variable-size field; "
				     "remove the offset",
				     k->name, k->offset);
			if (fs == SIZE_MAX)
				known = false;
			else
				off += fs;
		}
		if (it->has_size && known && off > it->size)
			ferr(p, &at, "record '%s' has size %zu but its fields take %zu bytes",
			     it->name, it->size, off);
	}
}

int format_parse(const char *file, const void *data, size_t size, struct scenario_diags *diags,
		 struct format **ret)
{
	static const char *const keys[] = {"format", "description", "endian", "fields", NULL};
	struct format_ynode *doc = NULL;
	struct fparse p = {.file = file, .diags = diags};
	struct format_ynode *v;
	const char *s;
	int r;

	r = format_yaml_parse(file, data, size, diags, &doc);
	if (r < 0)
		return r;
	p.f = xzalloc(sizeof(*p.f));
	p.f->path = xstrdup(file);
	if (doc->kind != FORMAT_YMAP) {
		ferr(&p, doc, "a format description must be a map with format: and fields:");
		goto out;
	}
	p.errors += format_ynode_check_keys(doc, file, "a format description", keys, diags);
	v = format_ynode_get(doc, "format");
	if (!v)
		ferr(&p, doc, "missing format: NAME");
	else if ((s = yscalar(&p, v, "format")))
		p.f->name = xstrdup(s);
	v = format_ynode_get(doc, "endian");
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
	v = format_ynode_get(doc, "fields");
	if (!v)
		ferr(&p, doc, "missing fields: [...] (the layout)");
	else
		parse_items(&p, v, p.f->root, 0);
	if (p.errors == 0)
		resolve(&p, p.f->root);
out:
	format_ynode_free(doc);
	if (p.errors) {
		format_free(p.f);
		return -EINVAL;
	}
	if (!p.f->name)
		p.f->name = xstrdup("unnamed");
	*ret = p.f;
	return 0;
}

int format_load(const char *path, struct scenario_diags *diags, struct format **ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;
	int r;

	r = read_file(path, 16 << 20, &data, &size);
	if (r < 0) {
		scenario_diag_add(diags, path, 0, 0, "cannot read format description: %s",
				  strerror(-r));
		return r;
	}
	return format_parse(path, data, size, diags, ret);
}

/* ======================================================================== value tree */

struct format_node *format_node_free(struct format_node *n)
{
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->n_kids; i++)
		format_node_free(n->kids[i]);
	free(n->kids);
	free(n->bytes);
	free(n);
	return NULL;
}

struct format_node *format_node_clone(const struct format_node *n, struct format_node *parent)
{
	struct format_node *c = xmemdup(n, sizeof(*n));

	c->parent = parent;
	c->bytes = n->bytes ? xmemdup(n->bytes, n->len) : NULL;
	c->kids = n->n_kids ? xcalloc(n->n_kids, sizeof(*c->kids)) : NULL;
	for (size_t i = 0; i < n->n_kids; i++)
		c->kids[i] = format_node_clone(n->kids[i], c);
	return c;
}

static void node_push(struct format_node *p, struct format_node *k)
{
	p->kids = xreallocarray(p->kids, p->n_kids + 1, sizeof(*p->kids));
	p->kids[p->n_kids++] = k;
	k->parent = p;
}

static uint64_t get_uint(const uint8_t *d, unsigned w, bool be)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < w; i++)
		v |= (uint64_t)d[be ? i : w - 1 - i] << (8 * (w - 1 - i));
	return v;
}

static void put_uint(uint8_t *d, unsigned w, bool be, uint64_t v)
{
	for (unsigned i = 0; i < w; i++)
		d[be ? w - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

struct dctx {
	const uint8_t *data;
	uint64_t *vals; /* latest decoded value per item id */
	char *error;
};

_printf_(2, 3) static int derr(struct dctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->error)
		return -EINVAL;
	va_start(ap, fmt);
	if (vasprintf(&c->error, fmt, ap) < 0)
		abort();
	va_end(ap);
	return -EINVAL;
}

static int decode_item(struct dctx *c, const struct format_item *it, size_t *pos, size_t end,
		       struct format_node **ret);

static int decode_record(struct dctx *c, const struct format_item *it, size_t *pos, size_t end,
			 struct format_node *rec)
{
	size_t start = *pos, rec_end = end;
	bool known = false;
	int r;

	if (it->has_size) {
		if (it->size > end - start)
			return derr(c, "%s at offset %zu: needs %zu bytes, %zu left", it->name,
				    start, it->size, end - start);
		rec_end = start + it->size;
		known = true;
	} else if (it->length_by && it->length_by->parent != it) {
		uint64_t len = c->vals[it->length_by->id];
		if (len > end - start)
			return derr(c, "%s at offset %zu: %s says %" PRIu64 " bytes, %zu left",
				    it->name, start, it->length_by->name, len, end - start);
		rec_end = start + len;
		known = true;
	}
	for (size_t i = 0; i < it->n_kids; i++) {
		const struct format_item *k = it->kids[i];
		struct format_node *kn;

		if (k->repeated) {
			struct format_node *arr = xzalloc(sizeof(*arr));

			arr->item = k;
			arr->kind = FORMAT_NODE_ARRAY;
			arr->offset = *pos;
			node_push(rec, arr);
			if (k->count_by) {
				uint64_t count = c->vals[k->count_by->id];
				size_t ms = min_size(k);

				if (count > (rec_end - *pos) / ms)
					return derr(c,
						    "%s at offset %zu: %s says %" PRIu64
						    " but only %zu bytes are left",
						    k->name, *pos, k->count_by->name, count,
						    rec_end - *pos);
				for (uint64_t j = 0; j < count; j++) {
					r = decode_item(c, k, pos, rec_end, &kn);
					if (r < 0)
						return r;
					node_push(arr, kn);
				}
			} else {
				while (*pos < rec_end) {
					r = decode_item(c, k, pos, rec_end, &kn);
					if (r < 0)
						return r;
					node_push(arr, kn);
				}
			}
			arr->size = *pos - arr->offset;
			continue;
		}
		r = decode_item(c, k, pos, rec_end, &kn);
		if (r < 0)
			return r;
		node_push(rec, kn);
		if (k->role == FORMAT_ROLE_LENGTH && !k->target) {
			/* length_of: parent — the record's own size, this field included. */
			if (kn->value < *pos - start || kn->value > end - start)
				return derr(c,
					    "%s at offset %zu: %s = %" PRIu64
					    " does not fit (needs %zu..%zu)",
					    it->name, start, k->name, kn->value, *pos - start,
					    end - start);
			rec_end = start + kn->value;
			known = true;
		}
	}
	if (known && *pos != rec_end)
		return derr(c, "%s at offset %zu: %zu bytes left over after its fields", it->name,
			    start, rec_end - *pos);
	return 0;
}

static int decode_item(struct dctx *c, const struct format_item *it, size_t *pos, size_t end,
		       struct format_node **ret)
{
	struct format_node *n = xzalloc(sizeof(*n));
	size_t len;
	int r = 0;

	n->item = it;
	n->offset = *pos;
	switch (it->type) {
	case FORMAT_UINT:
		n->kind = FORMAT_NODE_UINT;
		if (it->width > end - *pos) {
			r = derr(c, "%s at offset %zu: needs %u bytes, %zu left", it->name, *pos,
				 it->width, end - *pos);
			break;
		}
		n->value = get_uint(c->data + *pos, it->width, it->big_endian);
		if (it->has_const && n->value != it->const_value) {
			r = derr(c, "%s at offset %zu is 0x%" PRIx64 ", expected 0x%" PRIx64,
				 it->name, *pos, n->value, it->const_value);
			break;
		}
		c->vals[it->id] = n->value;
		*pos += it->width;
		break;
	case FORMAT_BYTES:
		n->kind = FORMAT_NODE_BYTES;
		if (it->has_size)
			len = it->size;
		else if (it->length_by)
			len = c->vals[it->length_by->id] > SIZE_MAX ? SIZE_MAX
								    : c->vals[it->length_by->id];
		else
			len = end - *pos;
		if (len > end - *pos) {
			r = derr(c, "%s at offset %zu: %zu bytes, only %zu left", it->name, *pos,
				 len, end - *pos);
			break;
		}
		n->bytes = xmemdup(c->data + *pos, len);
		n->len = len;
		*pos += len;
		break;
	case FORMAT_RECORD:
		n->kind = FORMAT_NODE_RECORD;
		r = decode_record(c, it, pos, end, n);
		break;
	}
	n->size = *pos - n->offset;
	if (r < 0) {
		format_node_free(n);
		return r;
	}
	*ret = n;
	return 0;
}

int format_decode(const struct format *f, const uint8_t *data, size_t size,
		  struct format_node **ret, char **ret_error)
{
	struct dctx c = {.data = data};
	struct format_node *root = NULL;
	size_t pos = 0;
	int r;

	c.vals = xcalloc(f->n_items, sizeof(uint64_t));
	r = decode_item(&c, f->root, &pos, size, &root);
	if (r == 0 && pos != size) {
		r = derr(&c, "%zu trailing bytes after offset %zu", size - pos, pos);
		root = format_node_free(root);
	}
	free(c.vals);
	if (r < 0) {
		if (ret_error)
			*ret_error = c.error ? c.error : xstrdup("cannot decode");
		else
			free(c.error);
		return r;
	}
	free(c.error);
	*ret = root;
	return 0;
}

static size_t layout(struct format_node *n, size_t off)
{
	n->offset = off;
	switch (n->kind) {
	case FORMAT_NODE_UINT:
		n->size = n->item->width;
		break;
	case FORMAT_NODE_BYTES:
		n->size = n->len;
		break;
	default:
		n->size = 0;
		for (size_t i = 0; i < n->n_kids; i++)
			n->size += layout(n->kids[i], off + n->size);
		break;
	}
	return n->size;
}

/* The node for item t reachable from record rec (transparently through non-repeated records). */
static struct format_node *scope_node(struct format_node *rec, const struct format_item *t)
{
	if (rec->kind != FORMAT_NODE_RECORD)
		return NULL;
	for (size_t i = 0; i < rec->n_kids; i++) {
		struct format_node *k = rec->kids[i];

		if (k->item == t)
			return k;
		if (k->kind == FORMAT_NODE_RECORD && !k->item->repeated) {
			struct format_node *f = scope_node(k, t);
			if (f)
				return f;
		}
	}
	return NULL;
}

static struct format_node *role_target(struct format_node *n)
{
	if (!n->item->target)
		return n->parent;
	for (struct format_node *r = n->parent; r; r = r->parent) {
		struct format_node *t;

		if (r->kind != FORMAT_NODE_RECORD)
			continue;
		t = scope_node(r, n->item->target);
		if (t)
			return t;
	}
	return NULL;
}

static uint64_t width_mask(unsigned w)
{
	return w >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * w)) - 1;
}

static uint64_t apply_pin(const struct format_node *n, uint64_t truth, size_t total,
			  const struct format_node *t)
{
	switch (n->pin) {
	case FORMAT_PIN_NONE:
		return truth;
	case FORMAT_PIN_ABS:
		return n->value;
	case FORMAT_PIN_ADD:
		return truth + (uint64_t)n->pin_arg;
	case FORMAT_PIN_MUL:
		return truth * (uint64_t)n->pin_arg;
	case FORMAT_PIN_PAST_END:
		if (!t)
			return truth;
		if (n->item->role == FORMAT_ROLE_OFFSET)
			return (uint64_t)total + (uint64_t)n->pin_arg - 1;
		return (uint64_t)total + (uint64_t)n->pin_arg - t->offset;
	}
	return truth;
}

struct ectx {
	uint8_t *buf;
	size_t total;
	bool fix_lengths, fix_checksums;
	struct format_node **sums;
	size_t n_sums;
};

static void encode_node(struct ectx *e, struct format_node *n)
{
	switch (n->kind) {
	case FORMAT_NODE_UINT: {
		const struct format_item *it = n->item;
		struct format_node *t;
		uint64_t truth = n->value;

		if (it->role == FORMAT_ROLE_CHECKSUM) {
			e->sums = xreallocarray(e->sums, e->n_sums + 1, sizeof(*e->sums));
			e->sums[e->n_sums++] = n;
			break;
		}
		if (it->role != FORMAT_ROLE_NONE) {
			t = role_target(n);
			if (t && (e->fix_lengths || n->pin != FORMAT_PIN_NONE)) {
				if (it->role == FORMAT_ROLE_COUNT)
					truth = t->n_kids;
				else if (it->role == FORMAT_ROLE_LENGTH)
					truth = t->size;
				else
					truth = t->offset;
				if (!e->fix_lengths && n->pin != FORMAT_PIN_NONE)
					truth = n->pin == FORMAT_PIN_ABS ? n->value : truth;
			}
			n->value = apply_pin(n, truth, e->total, t) & width_mask(it->width);
		} else if (n->pin != FORMAT_PIN_NONE && n->pin != FORMAT_PIN_ABS) {
			n->value = apply_pin(n, n->value, e->total, NULL) & width_mask(it->width);
			n->pin = FORMAT_PIN_ABS;
			n->pin_arg = 0;
		}
		put_uint(e->buf + n->offset, it->width, it->big_endian, n->value);
		break;
	}
	case FORMAT_NODE_BYTES:
		if (n->len)
			memcpy(e->buf + n->offset, n->bytes, n->len);
		break;
	default:
		for (size_t i = 0; i < n->n_kids; i++)
			encode_node(e, n->kids[i]);
		break;
	}
}

uint32_t format_crc32(const uint8_t *data, size_t size)
{
	uLong c = crc32(0L, Z_NULL, 0);

	while (size > 0) {
		uInt chunk = size > (1u << 30) ? (1u << 30) : (uInt)size;
		c = crc32(c, data, chunk);
		data += chunk;
		size -= chunk;
	}
	return (uint32_t)c;
}

int format_encode(const struct format *f, struct format_node *root, bool fix_lengths,
		  bool fix_checksums, uint8_t **ret, size_t *ret_size)
{
	struct ectx e = {.fix_lengths = fix_lengths, .fix_checksums = fix_checksums};

	(void)f;
	e.total = layout(root, 0);
	e.buf = xzalloc(e.total);
	encode_node(&e, root);
	/* Checksums last, innermost (latest) first, so an outer one covers the final bytes. */
	for (size_t i = e.n_sums; i-- > 0;) {
		struct format_node *n = e.sums[i];
		struct format_node *t = role_target(n);
		uint64_t truth = n->value;

		if (t && fix_checksums && n->pin != FORMAT_PIN_ABS)
			truth = format_crc32(e.buf + t->offset, t->size);
		if (fix_checksums || n->pin == FORMAT_PIN_ABS)
			n->value = apply_pin(n, truth, e.total, t) & width_mask(n->item->width);
		else if (n->pin != FORMAT_PIN_NONE)
			n->value = apply_pin(n, n->value, e.total, t) & width_mask(n->item->width);
		put_uint(e.buf + n->offset, n->item->width, n->item->big_endian, n->value);
	}
	free(e.sums);
	*ret = e.buf;
	*ret_size = e.total;
	return 0;
}

int format_fix_checksums_raw(const struct format *f, uint8_t *data, size_t size)
{
	const struct format_item *root = f->root;
	size_t n = root->n_kids;
	_cleanup_free_ size_t *off = xcalloc(n + 1, sizeof(size_t));
	_cleanup_free_ size_t *len = xcalloc(n + 1, sizeof(size_t));
	uint64_t *vals = xcalloc(f->n_items, sizeof(uint64_t));
	size_t pos = 0, known = 0;
	int written = 0;

	/* Walk the root's fields while their positions can be told from the bytes. */
	for (size_t i = 0; i < n; i++) {
		const struct format_item *k = root->kids[i];
		size_t fs = fixed_size(k);

		off[i] = pos;
		if (fs == SIZE_MAX && k->length_by && !k->repeated)
			fs = vals[k->length_by->id] > SIZE_MAX - pos ? SIZE_MAX - pos
								     : vals[k->length_by->id];
		else if (fs == SIZE_MAX && i == n - 1)
			fs = pos < size ? size - pos : 0;
		if (fs == SIZE_MAX)
			break;
		if (k->type == FORMAT_UINT && pos + k->width <= size)
			vals[k->id] = get_uint(data + pos, k->width, k->big_endian);
		len[i] = fs;
		pos = fs > SIZE_MAX - pos ? SIZE_MAX : pos + fs;
		known = i + 1;
	}
	for (size_t i = 0; i < known; i++) {
		const struct format_item *k = root->kids[i];
		size_t t, a, b;

		if (k->role != FORMAT_ROLE_CHECKSUM || !k->target || off[i] + k->width > size)
			continue;
		for (t = 0; t < known && root->kids[t] != k->target; t++)
			;
		if (t == known)
			continue;
		a = off[t] < size ? off[t] : size;
		b = len[t] > size - a ? size : a + len[t];
		put_uint(data + off[i], k->width, k->big_endian, format_crc32(data + a, b - a));
		written++;
	}
	free(vals);
	return written;
}

/* ---- paths ---- */

static bool transparent(const struct format_node *n)
{
	return n->kind == FORMAT_NODE_RECORD && !n->item->repeated;
}

static void find_name(struct format_node *rec, const char *name, size_t nlen,
		      struct format_node **out)
{
	for (size_t i = 0; i < rec->n_kids && !*out; i++) {
		struct format_node *k = rec->kids[i];

		if (strlen(k->item->name) == nlen && !strncmp(k->item->name, name, nlen))
			*out = k;
		else if (transparent(k))
			find_name(k, name, nlen, out);
	}
}

static void push_node(struct format_node ***v, size_t *n, struct format_node *x)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = x;
}

int format_node_find(struct format_node *root, const char *path, struct format_node ***nodes,
		     size_t *n_nodes, char **ret_error)
{
	struct format_node **cur = NULL, **next = NULL;
	size_t n_cur = 0, n_next = 0;
	const char *p = path;
	int r = 0;

	push_node(&cur, &n_cur, root);
	if (!*p) {
		r = -EINVAL;
		*ret_error = xstrdup("empty path");
		goto out;
	}
	while (*p) {
		const char *seg = p, *br;
		size_t nlen, seglen = strcspn(p, ".");
		bool all = false, last = false;
		uint64_t idx = 0;
		bool has_idx = false;

		br = memchr(seg, '[', seglen);
		nlen = br ? (size_t)(br - seg) : seglen;
		if (br) {
			const char *close = memchr(br, ']', seglen - (size_t)(br - seg));
			if (!close || close != seg + seglen - 1 || close == br + 1) {
				r = -EINVAL;
				*ret_error = xasprintf("bad index in '%.*s'; expected NAME[N], "
						       "NAME[last] or NAME[*]",
						       (int)seglen, seg);
				goto out;
			}
			has_idx = true;
			if (close - br == 2 && br[1] == '*')
				all = true;
			else if (close - br == 5 && !strncmp(br + 1, "last", 4))
				last = true;
			else {
				for (const char *d = br + 1; d < close; d++) {
					if (*d < '0' || *d > '9' || idx > 100000000) {
						r = -EINVAL;
						*ret_error = xasprintf(
						    "bad index in '%.*s'; expected a number, last "
						    "or *",
						    (int)seglen, seg);
						goto out;
					}
					idx = idx * 10 + (uint64_t)(*d - '0');
				}
			}
		}
		if (nlen == 0) {
			r = -EINVAL;
			*ret_error = xasprintf("empty name in path '%s'", path);
			goto out;
		}
		n_next = 0;
		for (size_t i = 0; i < n_cur; i++) {
			struct format_node *hit = NULL;

			if (cur[i]->kind != FORMAT_NODE_RECORD) {
				r = -EINVAL;
				*ret_error = xasprintf("'%.*s': %s is not a record", (int)nlen, seg,
						       cur[i]->item->name);
				goto out;
			}
			find_name(cur[i], seg, nlen, &hit);
			if (!hit) {
				r = -EINVAL;
				*ret_error =
				    xasprintf("no field '%.*s' in %s", (int)nlen, seg,
					      cur[i] == root ? "the file" : cur[i]->item->name);
				goto out;
			}
			if (!has_idx) {
				push_node(&next, &n_next, hit);
				continue;
			}
			if (hit->kind != FORMAT_NODE_ARRAY) {
				r = -EINVAL;
				*ret_error = xasprintf("'%.*s' is not repeated; drop the [index]",
						       (int)nlen, seg);
				goto out;
			}
			if (all) {
				for (size_t j = 0; j < hit->n_kids; j++)
					push_node(&next, &n_next, hit->kids[j]);
			} else if (last) {
				if (hit->n_kids == 0) {
					r = -EINVAL;
					*ret_error = xasprintf("'%.*s' is empty: no last element",
							       (int)seglen, seg);
					goto out;
				}
				push_node(&next, &n_next, hit->kids[hit->n_kids - 1]);
			} else {
				if (idx >= hit->n_kids) {
					r = -EINVAL;
					*ret_error = xasprintf("'%.*s': index out of range (%zu "
							       "elements)",
							       (int)seglen, seg, hit->n_kids);
					goto out;
				}
				push_node(&next, &n_next, hit->kids[idx]);
			}
		}
		free(cur);
		cur = next;
		n_cur = n_next;
		next = NULL;
		n_next = 0;
		p = seg + seglen;
		if (*p == '.') {
			p++;
			if (!*p) {
				r = -EINVAL;
				*ret_error = xasprintf("path '%s' ends with '.'", path);
				goto out;
			}
		}
	}
	for (size_t i = 0; i < n_cur; i++)
		push_node(nodes, n_nodes, cur[i]);
	r = (int)n_cur;
out:
	free(cur);
	free(next);
	return r;
}

char *format_node_path(const struct format_node *n)
{
	char *s = xstrdup("");

	for (const struct format_node *x = n; x && x->parent; x = x->parent) {
		char *seg;

		if (x->parent->kind == FORMAT_NODE_ARRAY) {
			size_t i;
			for (i = 0; i < x->parent->n_kids && x->parent->kids[i] != x; i++)
				;
			seg = xasprintf("%s[%zu]", x->item->name, i);
			x = x->parent; /* the array node carries the same name */
		} else if (transparent(x) && x != n) {
			continue;
		} else {
			seg = xstrdup(x->item->name);
		}
		char *t = xasprintf("%s%s%s", seg, *s ? "." : "", s);
		free(seg);
		free(s);
		s = t;
	}
	return s;
}

void format_node_leaves(struct format_node *root, struct format_node ***nodes, size_t *n_nodes)
{
	if (root->kind == FORMAT_NODE_UINT || root->kind == FORMAT_NODE_BYTES) {
		push_node(nodes, n_nodes, root);
		return;
	}
	for (size_t i = 0; i < root->n_kids; i++)
		format_node_leaves(root->kids[i], nodes, n_nodes);
}
