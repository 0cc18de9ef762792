/* sensor.c — sensor.yaml through the one YAML reader (ynode.h), as scenarios are read: every key
 * is checked against the schema in sensor.h, every problem becomes a located diag, and reading
 * goes on after one so that `faultline validate` shows them all. Booleans are ynode_bool()'s, as
 * in scenarios and formats. */
#include "sensor.h"

#include <libgen.h>
#include <stdarg.h>

#include "scenario.h"
#include "util.h"
#include "ynode.h"

struct sctx {
	const char *file;
	struct diags *diags;
	struct sensor *s;
};

_printf_(3, 4) static void serr(struct sctx *c, const struct ynode *at, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	diag_add(c->diags, c->file, at ? at->line : 0, at ? at->column : 0, "%s", msg);
}

/* Any scalar, "" included: `reload: ""` says there is nothing to run. NULL n: key absent. */
static void get_string(struct sctx *c, const struct ynode *n, const char *what, char **ret)
{
	if (!n)
		return;
	if (n->kind != YNODE_SCALAR) {
		serr(c, n, "%s must be a string, not %s", what, ynode_kind_name(n->kind));
		return;
	}
	if (strlen(n->scalar) != n->scalar_len) {
		serr(c, n, "%s contains a NUL character; expected text", what);
		return;
	}
	*ret = xstrdup(n->scalar);
}

/* A string the agent's key=value sensor.conf carries: one line. */
static void get_line(struct sctx *c, const struct ynode *n, const char *what, char **ret)
{
	_cleanup_free_ char *v = NULL;

	get_string(c, n, what, &v);
	if (v && strchr(v, '\n'))
		serr(c, n, "%s spans several lines; expected one line", what);
	else if (v)
		*ret = TAKE_PTR(v);
}

static void get_bool(struct sctx *c, const struct ynode *n, const char *what, bool *ret)
{
	if (!n || ynode_bool(n, ret) == 0)
		return;
	if (n->kind == YNODE_SCALAR)
		serr(c, n, "%s must be true or false, not %s'%s'", what, n->quoted ? "quoted " : "",
		     n->scalar);
	else
		serr(c, n, "%s must be true or false, not %s", what, ynode_kind_name(n->kind));
}

/* The map under key in doc with its keys checked; NULL when absent or not a map. */
static const struct ynode *section(struct sctx *c, const struct ynode *doc, const char *key,
				   const char *const *keys)
{
	const struct ynode *n = ynode_get(doc, key);

	if (!n)
		return NULL;
	if (n->kind != YNODE_MAP) {
		serr(c, n, "%s must be a map (%s: ...), not %s", key, keys[0],
		     ynode_kind_name(n->kind));
		return NULL;
	}
	ynode_check_keys(n, c->file, key, keys, c->diags);
	return n;
}

/* The folder the file is in, by name; "." and ".." resolved so that a relative path works. */
static char *folder_name(const char *dir)
{
	_cleanup_free_ char *copy = xstrdup(dir), *real = NULL;
	const char *base = basename(copy);

	if (streq(base, ".") || streq(base, "..") || streq(base, "/")) {
		real = realpath(dir, NULL);
		if (real) {
			free(copy);
			copy = TAKE_PTR(real);
			base = basename(copy);
		}
	}
	return xstrdup(base);
}

static void load_name(struct sctx *c, const struct ynode *doc)
{
	const struct ynode *n = ynode_get(doc, "name");
	_cleanup_free_ char *folder = folder_name(c->s->dir);

	if (!n) {
		serr(c, doc, "missing name:; expected the sensor folder's name '%s'", folder);
		return;
	}
	get_string(c, n, "name", &c->s->name);
	if (c->s->name && !streq(c->s->name, folder))
		serr(c, n, "name '%s' is not the folder's; expected '%s'", c->s->name, folder);
}

static void load_files(struct sctx *c, const struct ynode *n)
{
	static const char *const keys[] = {"src", "dst", NULL};
	struct sensor *s = c->s;

	if (n->kind != YNODE_SEQ) {
		serr(c, n, "files must be a list of {src, dst} maps, not %s",
		     ynode_kind_name(n->kind));
		return;
	}
	s->files = xcalloc(n->n, sizeof(*s->files));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *e = n->items[i], *dst;
		struct sensor_file f = {0};

		if (e->kind != YNODE_MAP) {
			serr(c, e, "a files entry must be a map {src, dst}, not %s",
			     ynode_kind_name(e->kind));
			continue;
		}
		ynode_check_keys(e, c->file, "a files entry", keys, c->diags);
		if (!ynode_get(e, "src"))
			serr(c, e, "files entry without src; expected the host path of a file");
		dst = ynode_get(e, "dst");
		if (!dst)
			serr(c, e, "files entry without dst; expected an absolute guest path");
		get_string(c, ynode_get(e, "src"), "files src", &f.src);
		get_string(c, dst, "files dst", &f.dst);
		if (f.dst && f.dst[0] != '/')
			serr(c, dst, "files dst '%s' is relative; expected an absolute guest path",
			     f.dst);
		if (f.src && f.dst && f.dst[0] == '/') {
			s->files[s->n_files++] = f;
			continue;
		}
		free(f.src);
		free(f.dst);
	}
}

/* A list of one-line shell commands (start:, persist load: and healthy:), NULL-terminated. */
static void get_commands(struct sctx *c, const struct ynode *n, const char *list, const char *item,
			 char ***ret)
{
	size_t k = 0;

	if (n->kind != YNODE_SEQ) {
		serr(c, n, "%s must be a list of shell commands, not %s", list,
		     ynode_kind_name(n->kind));
		return;
	}
	*ret = xcalloc(n->n + 1, sizeof(**ret));
	for (size_t i = 0; i < n->n; i++) {
		get_line(c, n->items[i], item, &(*ret)[k]);
		if ((*ret)[k])
			k++;
	}
}

static void load_start(struct sctx *c, const struct ynode *n)
{
	get_commands(c, n, "start", "a start command", &c->s->start);
}

static void load_deliver(struct sctx *c, const struct ynode *doc)
{
	static const char *const keys[] = {"method", "path", "reload", "command", NULL};
	const struct ynode *n = section(c, doc, "deliver", keys), *m, *path, *command;
	struct sensor *s = c->s;

	if (!n) {
		if (!ynode_get(doc, "deliver"))
			serr(c, doc,
			     "missing deliver:; expected a map with method: device, file "
			     "or command");
		return;
	}
	path = ynode_get(n, "path");
	command = ynode_get(n, "command");
	get_line(c, path, "deliver path", &s->deliver_path);
	get_line(c, ynode_get(n, "reload"), "deliver reload", &s->deliver_reload);
	get_line(c, command, "deliver command", &s->deliver_command);
	m = ynode_get(n, "method");
	if (!m) {
		serr(c, n, "missing deliver method; expected device, file or command");
		return;
	}
	get_string(c, m, "deliver method", &s->deliver_method);
	if (!s->deliver_method)
		return;
	if (streq(s->deliver_method, "device") || streq(s->deliver_method, "file")) {
		if (!s->deliver_path || s->deliver_path[0] != '/')
			serr(c, path ? path : n,
			     "deliver method %s needs path:; expected an absolute guest path",
			     s->deliver_method);
	} else if (streq(s->deliver_method, "command")) {
		if (!s->deliver_command || !*s->deliver_command)
			serr(c, command ? command : n,
			     "deliver method command needs command:; expected a shell command");
	} else {
		serr(c, m, "unknown deliver method '%s'; expected device, file or command",
		     s->deliver_method);
	}
}

/* A one-line value that must not be empty: a watch or probe key set to "" is a mistake, not a
 * way to turn it off (leave the key out). */
static void get_nonempty_line(struct sctx *c, const struct ynode *n, const char *what, char **ret)
{
	_cleanup_free_ char *v = NULL;

	get_line(c, n, what, &v);
	if (v && !*v)
		serr(c, n, "%s is empty; expected a value (leave the key out for none)", what);
	else if (v)
		*ret = TAKE_PTR(v);
}

static void get_duration(struct sctx *c, const struct ynode *n, const char *what, unsigned max_ms,
			 unsigned *ret)
{
	uint64_t ms;
	int r;

	if (!n)
		return;
	if (n->kind != YNODE_SCALAR) {
		serr(c, n, "%s must be a duration like 3s or 200ms, not %s", what,
		     ynode_kind_name(n->kind));
		return;
	}
	r = scenario_parse_duration_ms(n->scalar, &ms);
	if (r < 0)
		serr(c, n, "bad %s '%s'; expected a duration like 3s or 200ms", what, n->scalar);
	else if (ms == 0 || ms > max_ms)
		serr(c, n, "%s '%s' is out of range; expected more than 0 and at most %u s", what,
		     n->scalar, max_ms / 1000);
	else
		*ret = (unsigned)ms;
}

static void load_watch(struct sctx *c, const struct ynode *doc)
{
	static const char *const keys[] = {"process", "log", "died", NULL};
	const struct ynode *n = section(c, doc, "watch", keys), *process, *log, *died;
	struct sensor *s = c->s;

	if (!n)
		return;
	process = ynode_get(n, "process");
	log = ynode_get(n, "log");
	died = ynode_get(n, "died");
	if (!process && !log)
		serr(c, n,
		     "watch needs process: or log:; expected the sensor process's name, its "
		     "log file, or both");
	get_nonempty_line(c, process, "watch process", &s->watch_process);
	if (s->watch_process &&
	    (strlen(s->watch_process) > SENSOR_COMM_MAX || strchr(s->watch_process, '/')))
		serr(c, process,
		     "watch process '%s' is not a process name; expected the name the kernel "
		     "keeps (/proc/PID/comm: at most %d characters, no '/')",
		     s->watch_process, SENSOR_COMM_MAX);
	get_nonempty_line(c, log, "watch log", &s->watch_log);
	if (s->watch_log && s->watch_log[0] != '/')
		serr(c, log, "watch log '%s' is relative; expected an absolute guest path",
		     s->watch_log);
	get_nonempty_line(c, died, "watch died", &s->watch_died);
	if (died && !log)
		serr(c, died, "watch died needs log:; expected the file the death lines go to");
}

static void load_probe(struct sctx *c, const struct ynode *doc)
{
	static const char *const keys[] = {"command", "timeout", "interval", NULL};
	const struct ynode *n = section(c, doc, "probe", keys), *command;
	struct sensor *s = c->s;

	if (!n)
		return;
	command = ynode_get(n, "command");
	if (!command)
		serr(c, n,
		     "missing probe command; expected a shell command that exits 0 while "
		     "the sensor detects the trigger's event");
	get_nonempty_line(c, command, "probe command", &s->probe_command);
	/* the agent's limit for any command it runs */
	get_duration(c, ynode_get(n, "timeout"), "probe timeout", 60000, &s->probe_timeout_ms);
	get_duration(c, ynode_get(n, "interval"), "probe interval", 10000, &s->probe_interval_ms);
}

/* Is path a file under /persist: absolute, below it, no "." or ".." step out of it? */
static bool under_persist(const char *path)
{
	if (!startswith(path, "/persist/") || !path[strlen("/persist/")])
		return false;
	for (const char *p = path + strlen("/persist"); p && *p; p = strchr(p + 1, '/')) {
		size_t n = strcspn(p + 1, "/");

		if (n == 0 || (n == 1 && p[1] == '.') || (n == 2 && !strncmp(p + 1, "..", 2)))
			return false;
	}
	return true;
}

/* persist: how the sensor keeps content across reboots (issue 12). */
static void load_persist(struct sctx *c, const struct ynode *doc)
{
	static const char *const keys[] = {"store", "load", "healthy", NULL};
	const struct ynode *n = section(c, doc, "persist", keys), *store, *l;
	struct sensor *s = c->s;

	if (!n)
		return;
	store = ynode_get(n, "store");
	if (!store)
		serr(c, n,
		     "missing persist store; expected the absolute path under /persist where the "
		     "sensor keeps its content");
	get_nonempty_line(c, store, "persist store", &s->persist_store);
	if (s->persist_store && !under_persist(s->persist_store)) {
		serr(c, store,
		     "persist store '%s' is not a file under /persist; expected an absolute path "
		     "like /persist/SENSOR/content (the content partition)",
		     s->persist_store);
		free(s->persist_store);
		s->persist_store = NULL;
	}
	if ((l = ynode_get(n, "load")))
		get_commands(c, l, "persist load", "a persist load command", &s->persist_load);
	if ((l = ynode_get(n, "healthy")))
		get_commands(c, l, "persist healthy", "a persist healthy command",
			     &s->persist_healthy);
}

static void load_doc(struct sctx *c, const struct ynode *doc)
{
	static const char *const keys[] = {"name",  "description", "format",  "build",	"files",
					   "start", "deliver",	   "trigger", "reject", "watch",
					   "probe", "persist",	   NULL};
	static const char *const build_keys[] = {"command", NULL};
	static const char *const reject_keys[] = {"errno", "exit_status", "log", NULL};
	struct sensor *s = c->s;
	const struct ynode *n;

	ynode_check_keys(doc, c->file, "sensor.yaml", keys, c->diags);
	load_name(c, doc);
	get_string(c, ynode_get(doc, "description"), "description", &s->description);
	get_string(c, ynode_get(doc, "format"), "format", &s->format);
	if ((n = section(c, doc, "build", build_keys)))
		get_string(c, ynode_get(n, "command"), "build command", &s->build_command);
	if ((n = ynode_get(doc, "files")))
		load_files(c, n);
	if ((n = ynode_get(doc, "start")))
		load_start(c, n);
	load_deliver(c, doc);
	get_line(c, ynode_get(doc, "trigger"), "trigger", &s->trigger);
	if ((n = section(c, doc, "reject", reject_keys))) {
		get_bool(c, ynode_get(n, "errno"), "reject errno", &s->reject_errno);
		get_bool(c, ynode_get(n, "exit_status"), "reject exit_status", &s->reject_exit);
		get_line(c, ynode_get(n, "log"), "reject log", &s->reject_log);
	}
	load_watch(c, doc);
	load_probe(c, doc);
	load_persist(c, doc);
}

int sensor_parse(const char *path, const void *data, size_t size, struct diags *diags,
		 struct sensor **ret)
{
	_cleanup_(ynode_freep) struct ynode *doc = NULL;
	_cleanup_free_ char *copy = xstrdup(path);
	struct sensor *s;
	struct sctx c = {.file = path, .diags = diags};
	size_t before = diags->n;
	int r;

	r = ynode_parse(path, data, size, diags, &doc);
	if (r < 0)
		return r;
	if (doc->kind != YNODE_MAP) {
		diag_add(diags, path, doc->line, doc->column,
			 "a sensor.yaml must be a map (name:, deliver:, ...), not %s",
			 ynode_kind_name(doc->kind));
		return -EINVAL;
	}
	if (doc->n == 0) {
		diag_add(diags, path, doc->line, doc->column,
			 "empty sensor.yaml; expected at least name: and deliver:");
		return -EINVAL;
	}
	s = c.s = xzalloc(sizeof(*s));
	s->dir = xstrdup(dirname(copy));
	s->reject_errno = true;
	s->reject_exit = true;
	s->probe_timeout_ms = SENSOR_PROBE_TIMEOUT_MS;
	s->probe_interval_ms = SENSOR_PROBE_INTERVAL_MS;
	load_doc(&c, doc);
	if (diags->n != before) {
		sensor_free(s);
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

int sensor_load_file(const char *path, struct diags *diags, struct sensor **ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;
	int r;

	r = read_file(path, SENSOR_MAX_SIZE, &data, &size);
	if (r < 0) {
		diag_add(diags, path, 0, 0, "cannot read sensor.yaml: %s", strerror(-r));
		return r;
	}
	return sensor_parse(path, data, size, diags, ret);
}

int sensor_load(const char *dir, struct sensor **ret, char **ret_error)
{
	_cleanup_free_ char *path = xasprintf("%s/sensor.yaml", dir);
	_cleanup_free_ char *text = NULL;
	struct diags d = {0};
	size_t size = 0;
	FILE *f;
	int r;

	r = sensor_load_file(path, &d, ret);
	if (r == 0)
		return 0;
	f = open_memstream(&text, &size);
	if (!f)
		abort();
	for (size_t i = 0; i < d.n; i++) {
		if (d.v[i].line)
			fprintf(f, "%s%s:%u:%u: %s", i ? "\n" : "", d.v[i].file, d.v[i].line,
				d.v[i].column, d.v[i].message);
		else
			fprintf(f, "%s%s: %s", i ? "\n" : "", d.v[i].file, d.v[i].message);
	}
	fclose(f);
	diags_finish(&d);
	*ret_error = TAKE_PTR(text);
	return r;
}

static void free_commands(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
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
	free_commands(s->start);
	free_commands(s->persist_load);
	free_commands(s->persist_healthy);
	free(s->persist_store);
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
	free(s->watch_process);
	free(s->watch_log);
	free(s->watch_died);
	free(s->probe_command);
	free(s);
	return NULL;
}

static void put(FILE *f, const char *key, const char *value)
{
	if (value && *value)
		fprintf(f, "%s=%s\n", key, value);
}

bool sensor_persists(const struct sensor *s)
{
	return s && s->persist_store;
}

static void put_list(FILE *f, const char *key, char *const *values)
{
	for (char *const *p = values; p && *p; p++)
		put(f, key, *p);
}

char *sensor_agent_conf(const struct sensor *s)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		abort();
	put(f, "name", s->name);
	put_list(f, "start", s->start);
	put(f, "deliver", s->deliver_method);
	put(f, "path", s->deliver_path);
	put(f, "reload", s->deliver_reload);
	put(f, "command", s->deliver_command);
	put(f, "trigger", s->trigger);
	fprintf(f, "reject_errno=%d\nreject_exit=%d\n", s->reject_errno, s->reject_exit);
	put(f, "reject_log", s->reject_log);
	put(f, "watch_process", s->watch_process);
	put(f, "watch_log", s->watch_log);
	put(f, "watch_died", s->watch_died);
	if (s->probe_command) {
		put(f, "probe", s->probe_command);
		fprintf(f, "probe_timeout_ms=%u\nprobe_interval_ms=%u\n", s->probe_timeout_ms,
			s->probe_interval_ms);
	}
	put(f, "persist_store", s->persist_store);
	put_list(f, "persist_load", s->persist_load);
	put_list(f, "persist_healthy", s->persist_healthy);
	fclose(f);
	return text;
}
