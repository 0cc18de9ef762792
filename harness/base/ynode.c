/* ynode.c — see ynode.h. */
#include "ynode.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
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

/* yaml_parser_delete() and yaml_event_delete() accept a zeroed struct and zero what they free, so
 * these are safe on every path, initialised or not, and after an explicit delete. */
#define _cleanup_yaml_parser_ _cleanup_(yaml_parser_delete)
#define _cleanup_yaml_event_ _cleanup_(yaml_event_delete)

struct yreader {
	yaml_parser_t *parser;
	const uint8_t *data;
	size_t size;
	const char *file;
	struct diags *diags;
	size_t n_nodes;
	bool failed;	 /* a fatal error: the rest of the input is not read */
	bool duplicates; /* repeated keys: reported, the rest is still read for more */
};

static void yreader_parser_error(struct yreader *r)
{
	yaml_parser_t *p = r->parser;

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

/* A fatal error at line/column (1-based); only the first is reported. */
static void yreader_error(struct yreader *r, unsigned line, unsigned column, const char *msg)
{
	if (r->failed)
		return;
	r->failed = true;
	diag_add(r->diags, r->file, line, column, "%s", msg);
}

static void yreader_error_at(struct yreader *r, const yaml_event_t *ev, const char *msg)
{
	yreader_error(r, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1,
		      msg);
}

static bool next_event(struct yreader *r, yaml_event_t *ev)
{
	if (!yaml_parser_parse(r->parser, ev)) {
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

static const struct ynode *map_find_key(const struct ynode *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (streq(map->keys[i]->scalar, key))
			return map->keys[i];
	return NULL;
}

static struct ynode *read_node(struct yreader *r, const yaml_event_t *ev, unsigned depth);

/* One key: value pair of map, the key starting with kev. A repeated key is reported and its
 * pair dropped, and reading goes on so that every repeated key of the file shows at once.
 * Returns 0, or -EINVAL on a fatal error. */
static int read_pair(struct yreader *r, struct ynode *map, const yaml_event_t *kev, unsigned depth)
{
	_cleanup_(ynode_freep) struct ynode *key = NULL, *v = NULL;
	_cleanup_yaml_event_ yaml_event_t e = {0};
	const struct ynode *first;

	key = read_node(r, kev, depth + 1);
	if (!key)
		return -EINVAL;
	if (key->kind != YNODE_SCALAR) {
		yreader_error(r, key->line, key->column, "map keys must be plain strings");
		return -EINVAL;
	}
	first = map_find_key(map, key->scalar);
	if (first) {
		diag_add(r->diags, r->file, key->line, key->column,
			 "duplicate key '%s' (first at line %u); expected each key once per map",
			 key->scalar, first->line);
		r->duplicates = true;
	}
	if (!next_event(r, &e))
		return -EINVAL;
	v = read_node(r, &e, depth + 1);
	if (!v)
		return -EINVAL;
	if (!first)
		ynode_push(map, TAKE_PTR(key), TAKE_PTR(v));
	return 0;
}

/* A list or a map, from its start event to its end event. */
static struct ynode *read_collection(struct yreader *r, const yaml_event_t *ev, unsigned depth)
{
	bool map = ev->type == YAML_MAPPING_START_EVENT;
	_cleanup_(ynode_freep) struct ynode *n = NULL;

	if (depth >= YNODE_MAX_DEPTH) {
		yreader_error_at(r, ev, "YAML nested too deeply (more than 64 levels)");
		return NULL;
	}
	n = ynode_new(map ? YNODE_MAP : YNODE_SEQ, &ev->start_mark);
	for (;;) {
		_cleanup_yaml_event_ yaml_event_t e = {0};

		if (!next_event(r, &e))
			return NULL;
		if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT)
			return TAKE_PTR(n);
		if (map) {
			if (read_pair(r, n, &e, depth) < 0)
				return NULL;
		} else {
			struct ynode *v = read_node(r, &e, depth + 1);

			if (!v)
				return NULL;
			ynode_push(n, NULL, v);
		}
	}
}

/* Read the node that starts with ev (the caller still owns ev). Returns NULL on a fatal error
 * (diag added). */
static struct ynode *read_node(struct yreader *r, const yaml_event_t *ev, unsigned depth)
{
	struct ynode *n;

	if (++r->n_nodes > YNODE_MAX_NODES) {
		yreader_error_at(r, ev, "too many YAML nodes (more than 1000000)");
		return NULL;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		/* Aliases could expand exponentially ("billion laughs"); no input needs them. */
		yreader_error_at(r, ev,
				 "YAML aliases (*name) are not supported; write the value out");
		return NULL;
	case YAML_SCALAR_EVENT:
		n = ynode_new(YNODE_SCALAR, &ev->start_mark);
		n->scalar = xmemdup(ev->data.scalar.value, ev->data.scalar.length + 1);
		n->scalar[ev->data.scalar.length] = 0;
		n->scalar_len = ev->data.scalar.length;
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return read_collection(r, ev, depth);
	default:
		yreader_error_at(r, ev, "unexpected YAML event");
		return NULL;
	}
}

/* The stream: exactly one document (or none), read into *root. */
static void read_stream(struct yreader *r, struct ynode **root)
{
	for (;;) {
		_cleanup_yaml_event_ yaml_event_t ev = {0};

		if (!next_event(r, &ev))
			return;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (*root) {
				yreader_error_at(
				    r, &ev, "more than one YAML document; expected exactly one");
				return;
			}
			break;
		case YAML_STREAM_END_EVENT:
			return;
		default:
			if (*root) {
				yreader_error_at(r, &ev, "unexpected content after the document");
				return;
			}
			*root = read_node(r, &ev, 0);
			if (!*root)
				return;
			break;
		}
	}
}

int ynode_parse(const char *file, const void *data, size_t size, struct diags *diags,
		struct ynode **ret)
{
	_cleanup_yaml_parser_ yaml_parser_t parser = {0};
	struct yreader r = {
	    .parser = &parser, .file = file, .diags = diags, .data = data, .size = size};
	_cleanup_(ynode_freep) struct ynode *root = NULL;

	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, data, size);
	read_stream(&r, &root);
	if (r.failed || r.duplicates)
		return -EINVAL;
	if (!root) {
		yaml_mark_t m = {0};
		root = ynode_new(YNODE_MAP, &m);
	}
	*ret = TAKE_PTR(root);
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

int ynode_parse_duration_ms(const char *s, uint64_t *ret)
{
	char *end;
	double v;

	if (!*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || v < 0)
		return -EINVAL;
	if (streq(end, "ms"))
		;
	else if (streq(end, "s") || !*end)
		v *= 1000;
	else if (streq(end, "m") || streq(end, "min"))
		v *= 60000;
	else if (streq(end, "h"))
		v *= 3600000;
	else
		return -EINVAL;
	if (v > (double)YNODE_DURATION_MAX_MS)
		return -ERANGE;
	*ret = (uint64_t)(v + 0.5);
	return 0;
}

/* ---- typed, located getters ---- */

void ynode_error(struct ynode_ctx *c, const struct ynode *at, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	diag_add(c->diags, c->file, at ? at->line : 0, at ? at->column : 0, "%s", msg);
	c->errors++;
}

/* What a wrong node is, for "not ...": its text quoted, or its kind. */
#define SHOWN_MAX 128
static const char *shown(const struct ynode *n, char buf[static SHOWN_MAX])
{
	if (n->kind != YNODE_SCALAR)
		return ynode_kind_name(n->kind);
	snprintf(buf, SHOWN_MAX, "'%s'", n->scalar);
	return buf;
}

const char *ynode_want_string(struct ynode_ctx *c, const struct ynode *n, const char *what,
			      unsigned flags)
{
	if (!n)
		return NULL;
	if (n->kind != YNODE_SCALAR)
		ynode_error(c, n, "%s must be a string, not %s", what, ynode_kind_name(n->kind));
	else if (strlen(n->scalar) != n->scalar_len)
		ynode_error(c, n, "%s contains a NUL character; expected text", what);
	else if (flags & YNODE_ONE_LINE && strchr(n->scalar, '\n'))
		ynode_error(c, n, "%s spans several lines; expected one line", what);
	else if (flags & YNODE_NONEMPTY && n->scalar_len == 0)
		ynode_error(c, n, "%s is empty; expected a value", what);
	else
		return n->scalar;
	return NULL;
}

bool ynode_want_bool(struct ynode_ctx *c, const struct ynode *n, const char *what, bool *ret)
{
	char buf[SHOWN_MAX];

	if (!n)
		return false;
	if (ynode_bool(n, ret) == 0)
		return true;
	ynode_error(c, n, "%s must be true or false, not %s%s", what,
		    n->kind == YNODE_SCALAR && n->quoted ? "quoted " : "", shown(n, buf));
	return false;
}

bool ynode_want_uint(struct ynode_ctx *c, const struct ynode *n, const char *what, uint64_t min,
		     uint64_t max, uint64_t *ret)
{
	char buf[SHOWN_MAX];
	uint64_t v;
	int r;

	if (!n)
		return false;
	r = ynode_uint(n, UINT64_MAX, &v);
	if (r == -ERANGE || (r == 0 && (v < min || v > max)))
		ynode_error(c, n, "%s %s is out of range; expected %" PRIu64 " to %" PRIu64, what,
			    shown(n, buf), min, max);
	else if (r < 0)
		ynode_error(c, n, "%s must be a whole number, not %s", what, shown(n, buf));
	else {
		*ret = v;
		return true;
	}
	return false;
}

bool ynode_want_int(struct ynode_ctx *c, const struct ynode *n, const char *what, int64_t min,
		    int64_t max, int64_t *ret)
{
	char buf[SHOWN_MAX];
	int64_t v;
	int r;

	if (!n)
		return false;
	r = ynode_int(n, &v);
	if (r == -ERANGE || (r == 0 && (v < min || v > max)))
		ynode_error(c, n, "%s %s is out of range; expected %" PRId64 " to %" PRId64, what,
			    shown(n, buf), min, max);
	else if (r < 0)
		ynode_error(c, n, "%s must be a whole number, not %s", what, shown(n, buf));
	else {
		*ret = v;
		return true;
	}
	return false;
}

/* A bound of a duration range as people write it: "24 h", "60 s", "500 ms". */
static const char *ms_text(uint64_t ms, char buf[static 32])
{
	if (ms && ms % 3600000 == 0)
		snprintf(buf, 32, "%" PRIu64 " h", ms / 3600000);
	else if (ms % 1000 == 0)
		snprintf(buf, 32, "%" PRIu64 " s", ms / 1000);
	else
		snprintf(buf, 32, "%" PRIu64 " ms", ms);
	return buf;
}

bool ynode_want_duration(struct ynode_ctx *c, const struct ynode *n, const char *what,
			 uint64_t min_ms, uint64_t max_ms, uint64_t *ret)
{
	char lo[32], hi[32];
	uint64_t ms;
	int r;

	if (!n)
		return false;
	if (n->kind != YNODE_SCALAR) {
		ynode_error(c, n, "%s must be a duration like 30s, 500ms or 2m, not %s", what,
			    ynode_kind_name(n->kind));
		return false;
	}
	r = strlen(n->scalar) != n->scalar_len ? -EINVAL : ynode_parse_duration_ms(n->scalar, &ms);
	if (r == -EINVAL)
		ynode_error(c, n,
			    "bad %s '%s'; expected a duration like 30s, 500ms, 2m or a number of "
			    "seconds",
			    what, n->scalar);
	else if (r < 0 || ms < min_ms || ms > max_ms)
		ynode_error(c, n, "%s '%s' is out of range; expected %s%s%s%s", what, n->scalar,
			    min_ms == 0	  ? "at most "
			    : min_ms == 1 ? "more than 0 and at most "
					  : "from ",
			    min_ms > 1 ? ms_text(min_ms, lo) : "", min_ms > 1 ? " to " : "",
			    ms_text(max_ms, hi));
	else {
		*ret = ms;
		return true;
	}
	return false;
}

const char *ynode_want_enum(struct ynode_ctx *c, const struct ynode *n, const char *what,
			    const char *const *allowed)
{
	const char *s = ynode_want_string(c, n, what, YNODE_NONEMPTY);
	_cleanup_free_ char *list = NULL;

	if (!s)
		return NULL;
	for (const char *const *a = allowed; *a; a++)
		if (streq(*a, s))
			return *a;
	for (const char *const *a = allowed; *a; a++)
		strappendf(&list, ", ", "%s", *a);
	ynode_error(c, n, "bad %s '%s'; expected one of: %s", what, s, list ? list : "");
	return NULL;
}

bool ynode_want_map(struct ynode_ctx *c, const struct ynode *n, const char *what, const char *like)
{
	if (!n)
		return false;
	if (n->kind == YNODE_MAP)
		return true;
	ynode_error(c, n, "%s must be a map%s%s%s, not %s", what, like ? " (" : "",
		    like ? like : "", like ? ")" : "", ynode_kind_name(n->kind));
	return false;
}

bool ynode_want_seq(struct ynode_ctx *c, const struct ynode *n, const char *what, const char *of,
		    size_t min_items)
{
	if (!n)
		return false;
	if (n->kind != YNODE_SEQ)
		ynode_error(c, n, "%s must be a list%s%s, not %s", what, of ? " of " : "",
			    of ? of : "", ynode_kind_name(n->kind));
	else if (n->n == 0 && min_items == 1)
		ynode_error(c, n, "%s is empty; expected at least one", what);
	else if (n->n < min_items)
		ynode_error(c, n, "%s has %zu items; expected at least %zu", what, n->n, min_items);
	else
		return true;
	return false;
}

bool ynode_want_keys(struct ynode_ctx *c, const struct ynode *n, const char *what,
		     const char *const *allowed)
{
	unsigned bad = ynode_check_keys(n, c->file, what, allowed, c->diags);

	c->errors += bad;
	return bad == 0;
}
