/* sensor.c — parse sensor.yaml with libyaml's document API (the file is small and trusted no
 * more than a scenario: every error carries its line and column). */
#include "sensor.h"

#include <yaml.h>

#include "util.h"

struct ctx {
	yaml_document_t *doc;
	const char *path;
	char *error;
};

static int fail(struct ctx *c, yaml_node_t *n, const char *fmt, const char *arg)
{
	if (!c->error) {
		_cleanup_free_ char *msg = xasprintf(fmt, arg);
		c->error = xasprintf("%s:%zu:%zu: %s", c->path, n ? n->start_mark.line + 1 : 0,
				     n ? n->start_mark.column + 1 : 0, msg);
	}
	return -EINVAL;
}

static int get_string(struct ctx *c, yaml_node_t *n, const char *key, char **ret)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(c, n, "'%s' must be a string", key);
	free(*ret);
	*ret = xstrndup((const char *)n->data.scalar.value, n->data.scalar.length);
	return 0;
}

static int get_bool(struct ctx *c, yaml_node_t *n, const char *key, bool *ret)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE)
		return fail(c, n, "'%s' must be true or false", key);
	if (streq(v, "true") || streq(v, "yes"))
		*ret = true;
	else if (streq(v, "false") || streq(v, "no"))
		*ret = false;
	else
		return fail(c, n, "'%s' must be true or false", key);
	return 0;
}

static int parse_files(struct ctx *c, struct sensor *s, yaml_node_t *n)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "'%s' must be a list of {src, dst}", "files");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yaml_document_get_node(c->doc, *it);
		struct sensor_file f = {0};

		if (!item || item->type != YAML_MAPPING_NODE)
			return fail(c, item, "'%s' entries must be maps with src and dst", "files");
		for (yaml_node_pair_t *p = item->data.mapping.pairs.start;
		     p < item->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
			yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
			const char *key = k && k->type == YAML_SCALAR_NODE
					      ? (const char *)k->data.scalar.value
					      : "";
			int r;

			if (streq(key, "src"))
				r = get_string(c, v, key, &f.src);
			else if (streq(key, "dst"))
				r = get_string(c, v, key, &f.dst);
			else
				r = fail(c, k,
					 "unknown key '%s' in files entry, expected src or dst",
					 key);
			if (r < 0) {
				free(f.src);
				free(f.dst);
				return r;
			}
		}
		if (!f.src || !f.dst || f.dst[0] != '/') {
			free(f.src);
			free(f.dst);
			return fail(c, item, "%s", "files entry needs src and an absolute dst");
		}
		s->files = xreallocarray(s->files, s->n_files + 1, sizeof(*s->files));
		s->files[s->n_files++] = f;
	}
	return 0;
}

static int parse_start(struct ctx *c, struct sensor *s, yaml_node_t *n)
{
	size_t i = 0;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "'%s' must be a list of shell commands", "start");
	s->start = xcalloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1,
			   sizeof(char *));
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *v = yaml_document_get_node(c->doc, *it);
		if (!v || get_string(c, v, "start", &s->start[i]) < 0)
			return -EINVAL;
		if (strchr(s->start[i], '\n'))
			return fail(c, v, "%s", "a start command must be one line");
		i++;
	}
	return 0;
}

typedef int (*section_fn)(struct ctx *c, struct sensor *s, const char *key, yaml_node_t *v);

static int each_pair(struct ctx *c, struct sensor *s, yaml_node_t *n, const char *section,
		     section_fn fn)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "'%s' must be a map", section);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return fail(c, k, "keys in '%s' must be strings", section);
		int r = fn(c, s, (const char *)k->data.scalar.value, v);
		if (r == -ENOENT)
			return fail(c, k, "unknown key '%s'", (const char *)k->data.scalar.value);
		if (r < 0)
			return r;
	}
	return 0;
}

static int build_key(struct ctx *c, struct sensor *s, const char *key, yaml_node_t *v)
{
	if (streq(key, "command"))
		return get_string(c, v, key, &s->build_command);
	return -ENOENT;
}

static int deliver_key(struct ctx *c, struct sensor *s, const char *key, yaml_node_t *v)
{
	if (streq(key, "method"))
		return get_string(c, v, key, &s->deliver_method);
	if (streq(key, "path"))
		return get_string(c, v, key, &s->deliver_path);
	if (streq(key, "reload"))
		return get_string(c, v, key, &s->deliver_reload);
	if (streq(key, "command"))
		return get_string(c, v, key, &s->deliver_command);
	return -ENOENT;
}

static int reject_key(struct ctx *c, struct sensor *s, const char *key, yaml_node_t *v)
{
	if (streq(key, "errno"))
		return get_bool(c, v, key, &s->reject_errno);
	if (streq(key, "exit_status"))
		return get_bool(c, v, key, &s->reject_exit);
	if (streq(key, "log"))
		return get_string(c, v, key, &s->reject_log);
	return -ENOENT;
}

static int top_key(struct ctx *c, struct sensor *s, const char *key, yaml_node_t *v)
{
	if (streq(key, "name"))
		return get_string(c, v, key, &s->name);
	if (streq(key, "description"))
		return get_string(c, v, key, &s->description);
	if (streq(key, "format"))
		return get_string(c, v, key, &s->format);
	if (streq(key, "trigger"))
		return get_string(c, v, key, &s->trigger);
	if (streq(key, "files"))
		return parse_files(c, s, v);
	if (streq(key, "start"))
		return parse_start(c, s, v);
	if (streq(key, "build"))
		return each_pair(c, s, v, key, build_key);
	if (streq(key, "deliver"))
		return each_pair(c, s, v, key, deliver_key);
	if (streq(key, "reject"))
		return each_pair(c, s, v, key, reject_key);
	return -ENOENT;
}

static bool one_line(const char *s)
{
	return !s || !strchr(s, '\n');
}

static int check(struct ctx *c, struct sensor *s, yaml_node_t *root)
{
	const char *base = strrchr(s->dir, '/') ? strrchr(s->dir, '/') + 1 : s->dir;

	if (!s->name)
		return fail(c, root, "%s", "missing 'name', expected the sensor folder's name");
	if (!streq(s->name, base))
		return fail(c, root, "'name' must equal the folder name '%s'", base);
	if (!s->deliver_method)
		return fail(c, root, "%s",
			    "missing 'deliver: method', expected device, file or command");
	if (streq(s->deliver_method, "device") || streq(s->deliver_method, "file")) {
		if (!s->deliver_path || s->deliver_path[0] != '/')
			return fail(c, root, "deliver method %s needs an absolute 'path'",
				    s->deliver_method);
	} else if (streq(s->deliver_method, "command")) {
		if (!s->deliver_command || !*s->deliver_command)
			return fail(c, root, "%s", "deliver method command needs 'command'");
	} else {
		return fail(c, root,
			    "unknown deliver method '%s', expected device, file or command",
			    s->deliver_method);
	}
	if (!one_line(s->deliver_path) || !one_line(s->deliver_reload) ||
	    !one_line(s->deliver_command) || !one_line(s->trigger) || !one_line(s->reject_log))
		return fail(c, root, "%s", "deliver, trigger and reject values must be one line");
	return 0;
}

int sensor_load(const char *dir, struct sensor **ret, char **ret_error)
{
	_cleanup_free_ char *path = xasprintf("%s/sensor.yaml", dir);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	yaml_parser_t parser;
	yaml_document_t doc;
	struct sensor *s;
	struct ctx c = {.doc = &doc, .path = path};
	yaml_node_t *root;
	int r;

	if (!f) {
		r = -errno;
		*ret_error = xasprintf("%s: cannot open: %s", path, strerror(-r));
		return r;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		*ret_error = xasprintf("%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
				       parser.problem_mark.column + 1,
				       parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	yaml_parser_delete(&parser);
	s = xzalloc(sizeof(*s));
	s->dir = xstrdup(dir);
	s->reject_errno = true;
	s->reject_exit = true;
	root = yaml_document_get_root_node(&doc);
	if (!root)
		r = fail(&c, NULL, "%s", "empty file, expected a map with name, deliver, ...");
	else
		r = each_pair(&c, s, root, "sensor.yaml", top_key);
	if (r == 0)
		r = check(&c, s, root);
	yaml_document_delete(&doc);
	if (r < 0) {
		*ret_error = c.error ? c.error : xasprintf("%s: invalid", path);
		sensor_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

struct sensor *sensor_free(struct sensor *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_files; i++) {
		free(s->files[i].src);
		free(s->files[i].dst);
	}
	free(s->files);
	for (char **p = s->start; p && *p; p++)
		free(*p);
	free(s->start);
	free(s->name);
	free(s->dir);
	free(s->description);
	free(s->format);
	free(s->build_command);
	free(s->deliver_method);
	free(s->deliver_path);
	free(s->deliver_reload);
	free(s->deliver_command);
	free(s->trigger);
	free(s->reject_log);
	free(s);
	return NULL;
}

static void put(FILE *f, const char *key, const char *value)
{
	if (value && *value)
		fprintf(f, "%s=%s\n", key, value);
}

char *sensor_agent_conf(const struct sensor *s)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		abort();
	put(f, "name", s->name);
	for (char **p = s->start; p && *p; p++)
		put(f, "start", *p);
	put(f, "deliver", s->deliver_method);
	put(f, "path", s->deliver_path);
	put(f, "reload", s->deliver_reload);
	put(f, "command", s->deliver_command);
	put(f, "trigger", s->trigger);
	fprintf(f, "reject_errno=%d\nreject_exit=%d\n", s->reject_errno, s->reject_exit);
	put(f, "reject_log", s->reject_log);
	fclose(f);
	return text;
}
