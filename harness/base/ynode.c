/* ynode.c — see ynode.h. */
#include "ynode.h"

#include <yaml.h>

#include "util.h"

const char *ynode_kind_name(enum ynode_kind k)
{
	switch (k) {
	case YNODE_SCALAR:
		return "a scalar";
	case YNODE_SEQ:
		return "a list";
	case YNODE_MAP:
		return "a map";
	}
	return "?";
}

struct ynode *ynode_free(struct ynode *n)
{
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->n; i++) {
		ynode_free(n->items[i]);
		if (n->keys)
			ynode_free(n->keys[i]);
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
	struct diags *diags;
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
		diag_add(r->diags, r->file, line, col, "%s at byte %zu; expected UTF-8 text",
			 p->problem ? p->problem : "invalid input", p->problem_offset);
		return;
	}
	if (p->context)
		diag_add(r->diags, r->file, (unsigned)p->problem_mark.line + 1,
			 (unsigned)p->problem_mark.column + 1, "YAML syntax error: %s %s",
			 p->problem ? p->problem : "unknown problem", p->context);
	else
		diag_add(r->diags, r->file, (unsigned)p->problem_mark.line + 1,
			 (unsigned)p->problem_mark.column + 1, "YAML syntax error: %s",
			 p->problem ? p->problem : "unknown problem");
}

static void yreader_error(struct yreader *r, const yaml_mark_t *m, const char *msg)
{
	if (r->failed)
		return;
	r->failed = true;
	diag_add(r->diags, r->file, (unsigned)m->line + 1, (unsigned)m->column + 1, "%s", msg);
}

static bool next_event(struct yreader *r, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&r->parser, ev)) {
		yreader_parser_error(r);
		return false;
	}
	return true;
}

static struct ynode *ynode_new(enum ynode_kind kind, const yaml_mark_t *m)
{
	struct ynode *n = xzalloc(sizeof(*n));

	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->column = (unsigned)m->column + 1;
	return n;
}

static void ynode_push(struct ynode *n, struct ynode *key, struct ynode *v)
{
	n->items = xreallocarray(n->items, n->n + 1, sizeof(*n->items));
	if (n->kind == YNODE_MAP) {
		n->keys = xreallocarray(n->keys, n->n + 1, sizeof(*n->keys));
		n->keys[n->n] = key;
	}
	n->items[n->n++] = v;
}

/* Read the node that starts with ev (consumed). Returns NULL on error (diag added). */
static struct ynode *read_node(struct yreader *r, yaml_event_t *ev, unsigned depth)
{
	struct ynode *n = NULL;
	yaml_event_t e;

	if (++r->n_nodes > YNODE_MAX_NODES) {
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
		n = ynode_new(YNODE_SCALAR, &ev->start_mark);
		n->scalar = xmemdup(ev->data.scalar.value, ev->data.scalar.length + 1);
		n->scalar[ev->data.scalar.length] = 0;
		n->scalar_len = ev->data.scalar.length;
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		yaml_event_delete(ev);
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool map = ev->type == YAML_MAPPING_START_EVENT;

		if (depth >= YNODE_MAX_DEPTH) {
			yreader_error(r, &ev->start_mark,
				      "YAML nested too deeply (more than 64 levels)");
			yaml_event_delete(ev);
			return NULL;
		}
		n = ynode_new(map ? YNODE_MAP : YNODE_SEQ, &ev->start_mark);
		yaml_event_delete(ev);
		for (;;) {
			struct ynode *key = NULL, *v;

			if (!next_event(r, &e))
				return ynode_free(n);
			if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&e);
				return n;
			}
			if (map) {
				key = read_node(r, &e, depth + 1);
				if (!key)
					return ynode_free(n);
				if (key->kind != YNODE_SCALAR) {
					yaml_mark_t m = {.line = key->line - 1,
							 .column = key->column - 1};
					yreader_error(r, &m, "map keys must be plain strings");
					ynode_free(key);
					return ynode_free(n);
				}
				for (size_t i = 0; i < n->n; i++)
					if (streq(n->keys[i]->scalar, key->scalar)) {
						yaml_mark_t m = {.line = key->line - 1,
								 .column = key->column - 1};
						_cleanup_free_ char *msg = xasprintf(
						    "duplicate key '%s' (first at line %u)",
						    key->scalar, n->keys[i]->line);
						yreader_error(r, &m, msg);
						ynode_free(key);
						return ynode_free(n);
					}
				if (!next_event(r, &e)) {
					ynode_free(key);
					return ynode_free(n);
				}
			}
			v = read_node(r, &e, depth + 1);
			if (!v) {
				ynode_free(key);
				return ynode_free(n);
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

int ynode_parse(const char *file, const void *data, size_t size, struct diags *diags,
		struct ynode **ret)
{
	struct yreader r = {.file = file, .diags = diags, .data = data, .size = size};
	struct ynode *root = NULL;
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
		ynode_free(root);
		return -EINVAL;
	}
	if (!root) {
		yaml_mark_t m = {0};
		root = ynode_new(YNODE_MAP, &m);
	}
	*ret = root;
	return 0;
}

struct ynode *ynode_get(const struct ynode *n, const char *key)
{
	if (!n || n->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < n->n; i++)
		if (streq(n->keys[i]->scalar, key))
			return n->items[i];
	return NULL;
}

int ynode_uint(const struct ynode *n, uint64_t max, uint64_t *ret)
{
	const char *s;
	uint64_t v = 0;
	unsigned base = 10;
	bool any = false;

	if (!n || n->kind != YNODE_SCALAR || n->quoted)
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

int ynode_int(const struct ynode *n, int64_t *ret)
{
	struct ynode tmp;
	uint64_t v;
	int r;

	if (!n || n->kind != YNODE_SCALAR || n->quoted)
		return -EINVAL;
	if (n->scalar[0] != '-') {
		r = ynode_uint(n, INT64_MAX, &v);
		if (r < 0)
			return r;
		*ret = (int64_t)v;
		return 0;
	}
	tmp = *n;
	tmp.scalar = n->scalar + 1;
	tmp.scalar_len = n->scalar_len - 1;
	r = ynode_uint(&tmp, (uint64_t)INT64_MAX + 1, &v);
	if (r < 0)
		return r;
	*ret = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	return 0;
}

int ynode_bool(const struct ynode *n, bool *ret)
{
	static const char *const yes[] = {"true", "yes", "on", "True", "TRUE", "Yes", "On"};
	static const char *const no[] = {"false", "no", "off", "False", "FALSE", "No", "Off"};

	if (!n || n->kind != YNODE_SCALAR || n->quoted)
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

unsigned ynode_check_keys(const struct ynode *n, const char *file, const char *what,
			  const char *const *allowed, struct diags *diags)
{
	unsigned bad = 0;

	if (!n || n->kind != YNODE_MAP)
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
		diag_add(diags, file, n->keys[i]->line, n->keys[i]->column,
			 "unknown key '%s' in %s; expected one of: %s", n->keys[i]->scalar, what,
			 list);
		bad++;
	}
	return bad;
}
