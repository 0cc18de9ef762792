/* sensor.c — sensor.yaml through the one YAML reader (ynode.h), as scenarios are read: every key
 * is checked against the schema in sensor.h, every problem becomes a located diag, and reading
 * goes on after one so that `faultline validate` shows them all. Booleans are ynode_bool()'s, as
 * in scenarios and formats. */
#include "sensor.h"

#include <ctype.h>
#include <libgen.h>
#include <sys/stat.h>

#include "util.h"
#include "ynode.h"

struct sctx {
	struct ynode_ctx y; /* the sensor.yaml, its diags */
	struct sensor *s;
};

/* A located problem: shorthand for the reader's own. */
#define serr(c, at, ...) ynode_error(&(c)->y, (at), __VA_ARGS__)

/* The string getter's answer copied into the sensor, which owns its strings. NULL n: key absent.
 * Any scalar, "" included: `reload: ""` says there is nothing to run. */
static void get_string(struct sctx *c, const struct ynode *n, const char *what, char **ret)
{
	const char *v = ynode_want_string(&c->y, n, what, 0);

	if (v)
		*ret = xstrdup(v);
}

/* A string the agent's key=value sensor.conf carries: one line. */
static void get_line(struct sctx *c, const struct ynode *n, const char *what, char **ret)
{
	const char *v = ynode_want_string(&c->y, n, what, YNODE_ONE_LINE);

	if (v)
		*ret = xstrdup(v);
}

/* A one-line value that must not be empty: a watch or probe key set to "" is a mistake, not a
 * way to turn it off (leave the key out). */
static void get_nonempty_line(struct sctx *c, const struct ynode *n, const char *what, char **ret)
{
	const char *v = ynode_want_string(&c->y, n, what, YNODE_ONE_LINE | YNODE_NONEMPTY);

	if (v)
		*ret = xstrdup(v);
}

/* The map under key in doc with its keys checked; NULL when absent or not a map. */
static const struct ynode *section(struct sctx *c, const struct ynode *doc, const char *key,
				   const char *const *keys)
{
	const struct ynode *n = ynode_get(doc, key);
	_cleanup_free_ char *like = NULL;

	if (!n)
		return NULL;
	like = xasprintf("%s: ...", keys[0]);
	if (!ynode_want_map(&c->y, n, key, like))
		return NULL;
	ynode_want_keys(&c->y, n, key, keys);
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

/* The image is staged in a host directory under the guest path: a '..' would leave it. */
static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == 0 || p[2] == '/'))
			return true;
	return false;
}

static void load_files(struct sctx *c, const struct ynode *n)
{
	static const char *const keys[] = {"src", "dst", NULL};
	struct sensor *s = c->s;

	if (!ynode_want_seq(&c->y, n, "files", "{src, dst} maps", 0))
		return;
	s->files = xcalloc(n->n, sizeof(*s->files));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *e = n->items[i], *dst;
		struct sensor_file f = {0};

		if (!ynode_want_map(&c->y, e, "a files entry", "{src, dst}"))
			continue;
		ynode_want_keys(&c->y, e, "a files entry", keys);
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
		else if (f.dst && has_dotdot(f.dst))
			serr(c, dst,
			     "files dst '%s' has a '..' component; expected a guest path "
			     "without '..'",
			     f.dst);
		if (f.src && f.dst && f.dst[0] == '/' && !has_dotdot(f.dst)) {
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

	if (!ynode_want_seq(&c->y, n, list, "shell commands", 0))
		return;
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
	static const char *const methods[] = {"device", "file", "command", NULL};
	const struct ynode *n = section(c, doc, "deliver", keys), *m, *path, *command;
	struct sensor *s = c->s;
	const char *method;

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
	if (!(method = ynode_want_enum(&c->y, m, "deliver method", methods)))
		return;
	s->deliver_method = xstrdup(method);
	if (streq(s->deliver_method, "device") || streq(s->deliver_method, "file")) {
		if (!s->deliver_path || s->deliver_path[0] != '/')
			serr(c, path ? path : n,
			     "deliver method %s needs path:; expected an absolute guest path",
			     s->deliver_method);
	} else if (!s->deliver_command || !*s->deliver_command) {
		serr(c, command ? command : n,
		     "deliver method command needs command:; expected a shell command");
	}
}

/* A systemd service's name: letters, digits and ":-_.@\\", ending in ".service". */
static bool unit_name_ok(const char *u)
{
	size_t n = strlen(u);

	return n > strlen(".service") && n <= 255 &&
	       streq(u + n - strlen(".service"), ".service") &&
	       !u[strspn(u,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.@\\")];
}

/* A process name as the kernel keeps it (/proc/PID/comm). */
static void get_comm(struct sctx *c, const struct ynode *n, const char *what, char **ret)
{
	get_nonempty_line(c, n, what, ret);
	if (*ret && (strlen(*ret) > SENSOR_COMM_MAX || strchr(*ret, '/')))
		serr(c, n,
		     "%s '%s' is not a process name; expected the name the kernel keeps "
		     "(/proc/PID/comm: at most %d characters, no '/')",
		     what, *ret, SENSOR_COMM_MAX);
}

static void load_watch(struct sctx *c, const struct ynode *doc)
{
	static const char *const keys[] = {"process", "log", "died", "unit", NULL};
	const struct ynode *n = section(c, doc, "watch", keys), *process, *log, *died, *unit;
	struct sensor *s = c->s;

	if (!n)
		return;
	process = ynode_get(n, "process");
	log = ynode_get(n, "log");
	died = ynode_get(n, "died");
	unit = ynode_get(n, "unit");
	if (!process && !log && !unit)
		serr(c, n,
		     "watch needs process:, log: or unit:; expected the sensor process's name, its "
		     "log file, its systemd unit, or some of them");
	get_comm(c, process, "watch process", &s->watch_process);
	get_nonempty_line(c, log, "watch log", &s->watch_log);
	if (s->watch_log && s->watch_log[0] != '/')
		serr(c, log, "watch log '%s' is relative; expected an absolute guest path",
		     s->watch_log);
	get_nonempty_line(c, died, "watch died", &s->watch_died);
	if (died && !log && !unit)
		serr(c, died,
		     "watch died needs log: or unit:; expected the file or the unit's journal the "
		     "death lines go to");
	get_nonempty_line(c, unit, "watch unit", &s->watch_unit);
	if (s->watch_unit && !unit_name_ok(s->watch_unit))
		serr(c, unit,
		     "watch unit '%s' is not a unit name; expected a systemd service like "
		     "NAME.service",
		     s->watch_unit);
	if (s->watch_unit && s->watch_log)
		serr(c, log,
		     "watch log with unit:; expected one of them (the unit's log is its journal)");
}

static void load_coverage(struct sctx *c, const struct ynode *doc)
{
	static const char *const keys[] = {"process", "objects", NULL};
	const struct ynode *n = section(c, doc, "coverage", keys), *objects;
	struct sensor *s = c->s;
	size_t k = 0;

	if (!n)
		return;
	get_comm(c, ynode_get(n, "process"), "coverage process", &s->coverage_process);
	if (!ynode_get(n, "process") && !s->watch_process)
		serr(c, n,
		     "coverage needs process: (or a watch process); expected the name of the "
		     "sensor's process, whose code is covered");
	if (!(objects = ynode_get(n, "objects")))
		return;
	if (objects->kind != YNODE_SEQ || objects->n > SENSOR_COVERAGE_OBJECTS_MAX) {
		serr(c, objects,
		     "coverage objects: expected a list of at most %d file names of shared "
		     "objects (like libclamav.so.12)",
		     SENSOR_COVERAGE_OBJECTS_MAX);
		return;
	}
	s->coverage_objects = xcalloc(objects->n + 1, sizeof(char *));
	for (size_t i = 0; i < objects->n; i++) {
		const struct ynode *e = objects->items[i];

		if (e->kind != YNODE_SCALAR || !*e->scalar || strchr(e->scalar, '/') ||
		    strpbrk(e->scalar, ", \t\n") || strlen(e->scalar) != e->scalar_len) {
			serr(c, e,
			     "bad coverage object %s%s%s; expected the file name of a shared "
			     "object the process maps (no '/', ',' or spaces)",
			     e->kind == YNODE_SCALAR ? "'" : "",
			     e->kind == YNODE_SCALAR ? e->scalar : ynode_kind_name(e->kind),
			     e->kind == YNODE_SCALAR ? "'" : "");
			continue;
		}
		s->coverage_objects[k++] = xstrdup(e->scalar);
	}
}

static void load_probe(struct sctx *c, const struct ynode *doc)
{
	static const char *const keys[] = {"command", "counter", "timeout", "interval", NULL};
	const struct ynode *n = section(c, doc, "probe", keys), *command, *counter;
	struct sensor *s = c->s;
	uint64_t ms;

	if (!n)
		return;
	command = ynode_get(n, "command");
	counter = ynode_get(n, "counter");
	if (!command && !counter)
		serr(c, n,
		     "missing probe command or counter; expected a shell command that exits 0 "
		     "while the sensor detects the trigger's event, or the guest file of a count "
		     "that grows when it does");
	if (command && counter)
		serr(c, counter, "probe command and counter both given; expected one of them");
	if (command)
		get_nonempty_line(c, command, "probe command", &s->probe_command);
	if (counter) {
		get_nonempty_line(c, counter, "probe counter", &s->probe_counter);
		if (s->probe_counter && s->probe_counter[0] != '/')
			serr(c, counter, "probe counter '%s' is not an absolute path in the guest",
			     s->probe_counter);
		/* the counter probe runs the trigger between its two reads */
		if (!s->trigger || !*s->trigger)
			serr(c, counter,
			     "probe counter without a trigger; expected trigger: (the "
			     "event whose count must grow)");
	}
	/* the agent's limit for any command it runs */
	if (ynode_want_duration(&c->y, ynode_get(n, "timeout"), "probe timeout", 1, 60000, &ms))
		s->probe_timeout_ms = (unsigned)ms;
	if (ynode_want_duration(&c->y, ynode_get(n, "interval"), "probe interval", 1, 10000, &ms))
		s->probe_interval_ms = (unsigned)ms;
}

static void set_default_errnos(struct sensor *s)
{
	static const int def[] = SENSOR_REJECT_ERRNO_DEFAULT;

	free(s->reject_errnos);
	s->reject_errnos = xcalloc(ARRAY_SIZE(def), sizeof(int));
	memcpy(s->reject_errnos, def, sizeof(def));
	s->n_reject_errnos = ARRAY_SIZE(def);
}

/* errno: true (the default set), false, or the list of errnos that are clean rejections. */
static void load_reject_errno(struct sctx *c, const struct ynode *n)
{
	struct sensor *s = c->s;

	if (!n)
		return;
	if (n->kind != YNODE_SEQ) {
		ynode_want_bool(&c->y, n, "reject errno", &s->reject_errno);
		return;
	}
	if (n->n == 0) {
		serr(c, n,
		     "reject errno is an empty list; expected errno names like EINVAL (or "
		     "false for none)");
		return;
	}
	s->n_reject_errnos = 0;
	free(s->reject_errnos); /* the default set */
	s->reject_errnos = xcalloc(n->n, sizeof(int));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *e = n->items[i];
		int v;

		if (e->kind != YNODE_SCALAR || sensor_errno_parse(e->scalar, &v) < 0) {
			serr(c, e,
			     "bad reject errno %s%s%s; expected an errno name like EINVAL or "
			     "EBADMSG, or its number",
			     e->kind == YNODE_SCALAR ? "'" : "",
			     e->kind == YNODE_SCALAR ? e->scalar : ynode_kind_name(e->kind),
			     e->kind == YNODE_SCALAR ? "'" : "");
			continue;
		}
		for (size_t j = 0; j < s->n_reject_errnos; j++)
			if (s->reject_errnos[j] == v) {
				serr(c, e, "reject errno '%s' listed twice", e->scalar);
				break;
			}
		s->reject_errnos[s->n_reject_errnos++] = v;
	}
}

/* Is path a file under dir ("/persist", or "" for anywhere): absolute, below it, no "." or ".."
 * step out of it? */
static bool file_under(const char *path, const char *dir)
{
	size_t dl = strlen(dir);

	if (strncmp(path, dir, dl) != 0 || path[dl] != '/' || !path[dl + 1])
		return false;
	for (const char *p = path + dl; p && *p; p = strchr(p + 1, '/')) {
		size_t n = strcspn(p + 1, "/");

		if (n == 0 || (n == 1 && p[1] == '.') || (n == 2 && !strncmp(p + 1, "..", 2)))
			return false;
	}
	return true;
}

/* persist: how the sensor keeps content across reboots (boot loops). */
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
	/* a package keeps its content on the full system's own disk, which persists whole */
	if (s->persist_store && ynode_get(doc, "package") && !file_under(s->persist_store, "") &&
	    !startswith(s->persist_store, "/persist/")) {
		serr(c, store,
		     "persist store '%s' is not an absolute file path; expected where the package "
		     "keeps its content, like /var/lib/SENSOR/content",
		     s->persist_store);
		free(s->persist_store);
		s->persist_store = NULL;
	} else if (s->persist_store && !ynode_get(doc, "package") &&
		   !file_under(s->persist_store, "/persist")) {
		serr(c, store,
		     "persist store '%s' is not a file under /persist; expected an absolute path "
		     "like /persist/SENSOR/content (the content partition; a package's store may "
		     "be anywhere on its system's disk)",
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
	static const char *const keys[] = {
	    "name",    "description", "format",		 "build",   "files",	"start",
	    "deliver", "trigger",     "reject",		 "watch",   "probe",	"guest",
	    "persist", "version",     "version-command", "package", "coverage", NULL};
	static const char *const build_keys[] = {"command", NULL};
	static const char *const reject_keys[] = {"errno", "exit_status", "log", NULL};
	struct sensor *s = c->s;
	const struct ynode *n;

	ynode_want_keys(&c->y, doc, "sensor.yaml", keys);
	load_name(c, doc);
	get_string(c, ynode_get(doc, "description"), "description", &s->description);
	get_string(c, ynode_get(doc, "format"), "format", &s->format);
	get_nonempty_line(c, ynode_get(doc, "version"), "version", &s->version);
	get_nonempty_line(c, ynode_get(doc, "version-command"), "version-command",
			  &s->version_command);
	if (s->version && s->version_command)
		serr(c, ynode_get(doc, "version-command"),
		     "both version: and version-command: given; expected one of them");
	if ((n = section(c, doc, "build", build_keys)))
		get_string(c, ynode_get(n, "command"), "build command", &s->build_command);
	if ((n = ynode_get(doc, "files")))
		load_files(c, n);
	if ((n = ynode_get(doc, "start")))
		load_start(c, n);
	load_deliver(c, doc);
	get_line(c, ynode_get(doc, "trigger"), "trigger", &s->trigger);
	if ((n = section(c, doc, "reject", reject_keys))) {
		load_reject_errno(c, ynode_get(n, "errno"));
		ynode_want_bool(&c->y, ynode_get(n, "exit_status"), "reject exit_status",
				&s->reject_exit);
		get_line(c, ynode_get(n, "log"), "reject log", &s->reject_log);
	}
	load_watch(c, doc);
	load_probe(c, doc);
	load_coverage(c, doc);
	load_persist(c, doc);
	if ((n = ynode_get(doc, "guest")))
		sensor_guest_load(c->y.file, n, c->y.diags, &s->guest);
	get_line(c, ynode_get(doc, "package"), "package", &s->package);
	if (s->package && !*s->package)
		serr(c, ynode_get(doc, "package"), "package is empty; expected the path of a .deb");
}

int sensor_parse(const char *path, const void *data, size_t size, struct diags *diags,
		 struct sensor **ret)
{
	_cleanup_(ynode_freep) struct ynode *doc = NULL;
	_cleanup_free_ char *copy = xstrdup(path);
	struct sensor *s;
	struct sctx c = {.y = {.file = path, .diags = diags}};
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
	set_default_errnos(s);
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
	free(s->version);
	free(s->version_command);
	free(s->format);
	free(s->build_command);
	free(s->deliver_method);
	free(s->deliver_path);
	free(s->deliver_reload);
	free(s->deliver_command);
	free(s->trigger);
	free(s->reject_log);
	free(s->watch_process);
	free(s->coverage_process);
	for (char **o = s->coverage_objects; o && *o; o++)
		free(*o);
	free(s->coverage_objects);
	free(s->watch_log);
	free(s->watch_died);
	free(s->watch_unit);
	free(s->probe_command);
	free(s->probe_counter);
	free(s->reject_errnos);
	sensor_guest_finish(&s->guest);
	free(s->package);
	free(s);
	return NULL;
}

static void put(FILE *f, const char *key, const char *value)
{
	if (value && *value)
		fprintf(f, "%s=%s\n", key, value);
}

bool sensor_probes(const struct sensor *s)
{
	return s && (s->probe_command || s->probe_counter);
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
	if (s->reject_errno) {
		fputs("reject_errnos=", f);
		for (size_t i = 0; i < s->n_reject_errnos; i++)
			fprintf(f, "%s%d", i ? "," : "", s->reject_errnos[i]);
		fputc('\n', f);
	}
	put(f, "reject_log", s->reject_log);
	put(f, "watch_process", s->watch_process);
	put(f, "watch_log", s->watch_log);
	put(f, "watch_died", s->watch_died);
	put(f, "watch_unit", s->watch_unit);
	put(f, "cov_process", sensor_coverage_process(s));
	if (s->coverage_objects) {
		fputs("cov_objects=", f);
		for (char **o = s->coverage_objects; *o; o++)
			fprintf(f, "%s%s", o == s->coverage_objects ? "" : ",", *o);
		fputc('\n', f);
	}
	if (sensor_probes(s)) {
		put(f, "probe", s->probe_command);
		put(f, "probe_counter", s->probe_counter);
		fprintf(f, "probe_timeout_ms=%u\nprobe_interval_ms=%u\n", s->probe_timeout_ms,
			s->probe_interval_ms);
	}
	put(f, "persist_store", s->persist_store);
	put_list(f, "persist_load", s->persist_load);
	put_list(f, "persist_healthy", s->persist_healthy);
	fclose(f);
	return text;
}

/* ---- guest options ---- */

/* Options faultline sets itself (guests/guest-cmdline) or that would take the guest from it:
 * a sensor changing them would change what a verdict means. */
static const char *const reserved_options[] = {"console",
					       "panic",
					       "oops",
					       "softlockup_panic",
					       "watchdog_thresh",
					       "hung_task_panic",
					       "init",
					       "rdinit",
					       "root",
					       "faultline.agent_test",
					       "faultline.watchdog_thresh",
					       NULL};

static const struct {
	const char *name, *cmdline;
} debug_presets[] = {
    /* SLUB red zones, poisoning and sanity checks: an overflow or use after free of a slab
     * object becomes a "BUG kmalloc-..." report (a crash) instead of silent corruption */
    {"slub", "slub_debug=FZPU"},
    /* every WARN() panics: a warning becomes a crash with its title */
    {"panic_on_warn", "panic_on_warn=1"},
    /* freed pages are zeroed and allocations too: stale pointers read zeros, not old data */
    {"init_on_free", "init_on_alloc=1 init_on_free=1"},
    /* KFENCE samples every 10 ms instead of 100: more out-of-bounds accesses caught */
    {"kfence", "kfence.sample_interval=10"},
};

const char *const *sensor_guest_debug_names(void)
{
	static const char *names[ARRAY_SIZE(debug_presets) + 1];

	for (size_t i = 0; i < ARRAY_SIZE(debug_presets); i++)
		names[i] = debug_presets[i].name;
	return names;
}

const char *sensor_guest_debug_cmdline(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(debug_presets); i++)
		if (streq(debug_presets[i].name, name))
			return debug_presets[i].cmdline;
	return NULL;
}

static bool module_name_ok(const char *s)
{
	if (!*s || strlen(s) > 55) /* the kernel's MODULE_NAME_LEN - 1 */
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_'))
			return false;
	return true;
}

/* One line of space-separated options, none of them faultline's own. Returns diags added. */
static unsigned check_cmdline(struct sctx *c, const struct ynode *n, const char *v)
{
	_cleanup_free_ char *copy = xstrdup(v);
	unsigned before = (unsigned)c->y.diags->n;
	char *save = NULL;

	if (strpbrk(v, "\"'\\\n\t")) {
		serr(c, n,
		     "guest cmdline contains quotes, a backslash, a tab or a newline; expected "
		     "options separated by spaces");
		return 1;
	}
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		size_t klen = strcspn(t, "=");

		for (const char *const *r = reserved_options; *r; r++)
			if (strlen(*r) == klen && strncmp(*r, t, klen) == 0)
				serr(c, n,
				     "guest cmdline option '%.*s' is faultline's own; expected "
				     "options it does not set (see CONTRACT.md)",
				     (int)klen, t);
	}
	return (unsigned)c->y.diags->n - before;
}

static void guest_modules(struct sctx *c, const struct ynode *n, struct sensor_guest *g)
{
	size_t k = 0;

	if (!ynode_want_seq(&c->y, n, "guest modules", "kernel module names", 0))
		return;
	g->modules = xcalloc(n->n + 1, sizeof(char *));
	for (size_t i = 0; i < n->n; i++) {
		_cleanup_free_ char *m = NULL;

		get_string(c, n->items[i], "a guest module", &m);
		if (m && !module_name_ok(m))
			serr(c, n->items[i],
			     "bad kernel module name '%s'; expected a name as modprobe takes it "
			     "(letters, digits, '-', '_')",
			     m);
		else if (m)
			g->modules[k++] = TAKE_PTR(m);
	}
}

static const char *const guest_systems[] = {"debian-12", NULL};

const char *const *sensor_guest_systems(void)
{
	return guest_systems;
}

/* system: one of guest_systems; disk: a path, relative to the file's folder. Not both. */
static void guest_system_disk(struct sctx *c, const struct ynode *n, struct sensor_guest *g)
{
	const struct ynode *v;

	if ((v = ynode_get(n, "system"))) {
		_cleanup_free_ char *name = NULL;
		bool known = false;

		get_line(c, v, "guest system", &name);
		for (const char *const *k = guest_systems; name && *k; k++)
			known = known || streq(*k, name);
		if (name && !known)
			serr(c, v, "unknown guest system '%s'; expected debian-12", name);
		else if (name)
			g->system = TAKE_PTR(name);
	}
	if ((v = ynode_get(n, "disk"))) {
		_cleanup_free_ char *path = NULL, *copy = xstrdup(c->y.file);

		get_line(c, v, "guest disk", &path);
		if (path && !*path)
			serr(c, v, "guest disk is empty; expected the path of a disk image");
		else if (path && path[0] == '/')
			g->disk = TAKE_PTR(path);
		else if (path)
			g->disk = xasprintf("%s/%s", dirname(copy), path);
	}
	if (g->system && g->disk)
		serr(c, n, "guest has both system and disk; expected one of them");
	/* bios or uefi: the disk's own loader under SeaBIOS or OVMF (or, bios, faultline's kernel
	 * on a whole-disk file system); none: found from the disk when it is read */
	if ((v = ynode_get(n, "firmware"))) {
		static const char *const firmwares[] = {"bios", "uefi", NULL};
		const char *fw = ynode_want_enum(&c->y, v, "guest firmware", firmwares);

		g->firmware = !fw		  ? DISKBOOT_WANT_AUTO
			      : streq(fw, "uefi") ? DISKBOOT_WANT_UEFI
						  : DISKBOOT_WANT_BIOS;
		if (fw && !g->disk)
			serr(c, v,
			     "guest firmware %s needs disk: beside it (an image with its own "
			     "boot loader)",
			     fw);
	}
	if (g->disk) {
		const struct ynode *at = v ? v : ynode_get(n, "disk");

		free(g->disk_at);
		g->disk_at = xasprintf("%s:%u", c->y.file, at->line);
	}
}

/* The debug presets' command line, appended to *cmdline. */
static void guest_debug(struct sctx *c, const struct ynode *n, char **cmdline)
{
	if (!ynode_want_seq(&c->y, n, "guest debug", "presets", 0))
		return;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *e = n->items[i];
		const char *add =
		    e->kind == YNODE_SCALAR ? sensor_guest_debug_cmdline(e->scalar) : NULL;
		char *joined;

		if (!add) {
			_cleanup_free_ char *names = NULL;
			size_t size = 0;
			FILE *f = open_memstream(&names, &size);

			if (!f)
				abort();
			for (size_t j = 0; j < ARRAY_SIZE(debug_presets); j++)
				fprintf(f, "%s%s", j ? ", " : "", debug_presets[j].name);
			fclose(f);
			serr(c, e, "unknown guest debug preset %s%s%s; expected one of %s",
			     e->kind == YNODE_SCALAR ? "'" : "",
			     e->kind == YNODE_SCALAR ? e->scalar : ynode_kind_name(e->kind),
			     e->kind == YNODE_SCALAR ? "'" : "", names);
			continue;
		}
		joined = *cmdline ? xasprintf("%s %s", *cmdline, add) : xstrdup(add);
		free(*cmdline);
		*cmdline = joined;
	}
}

unsigned sensor_guest_load(const char *file, const struct ynode *n, struct diags *diags,
			   struct sensor_guest *g)
{
	static const char *const keys[] = {"cmdline", "modules", "debug",    "kernel",
					   "system",  "disk",	 "firmware", NULL};
	struct sctx c = {.y = {.file = file, .diags = diags}};
	size_t before = diags->n;
	const struct ynode *v;
	_cleanup_free_ char *cmdline = NULL;

	if (!ynode_want_map(&c.y, n, "guest", "cmdline: ..., modules: [...]"))
		return 1;
	ynode_want_keys(&c.y, n, "guest", keys);
	if ((v = ynode_get(n, "cmdline"))) {
		get_nonempty_line(&c, v, "guest cmdline", &cmdline);
		if (cmdline && check_cmdline(&c, v, cmdline) > 0) {
			free(cmdline);
			cmdline = NULL;
		}
	}
	if ((v = ynode_get(n, "debug")))
		guest_debug(&c, v, &cmdline);
	if ((v = ynode_get(n, "modules")))
		guest_modules(&c, v, g);
	guest_system_disk(&c, n, g);
	/* resolved (and fetched) when guests are prepared: harness/fleet/kernels.h */
	if ((v = ynode_get(n, "kernel")))
		get_nonempty_line(&c, v, "guest kernel", &g->kernel);
	g->cmdline = TAKE_PTR(cmdline);
	return (unsigned)(diags->n - before);
}

static bool has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i], s))
			return true;
	return false;
}

void sensor_guest_merge(const struct sensor_guest *a, const struct sensor_guest *b,
			struct sensor_guest *ret)
{
	const struct sensor_guest *both[] = {a, b};
	size_t n = 0, k = 0;

	*ret = (struct sensor_guest){0};
	for (size_t i = 0; i < 2; i++)
		for (char **m = both[i] ? both[i]->modules : NULL; m && *m; m++)
			n++;
	ret->modules = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < 2; i++) {
		const char *cl = both[i] ? both[i]->cmdline : NULL;

		if (both[i] && both[i]->kernel) {
			free(ret->kernel);
			ret->kernel = xstrdup(both[i]->kernel);
		}

		for (char **m = both[i] ? both[i]->modules : NULL; m && *m; m++)
			if (!has(ret->modules, k, *m))
				ret->modules[k++] = xstrdup(*m);
		if (cl && ret->cmdline) {
			char *joined = xasprintf("%s %s", ret->cmdline, cl);
			free(ret->cmdline);
			ret->cmdline = joined;
		} else if (cl) {
			ret->cmdline = xstrdup(cl);
		}
		if (both[i] && (both[i]->system || both[i]->disk)) {
			free(ret->system);
			free(ret->disk);
			ret->system = both[i]->system ? xstrdup(both[i]->system) : NULL;
			ret->disk = both[i]->disk ? xstrdup(both[i]->disk) : NULL;
			ret->firmware = both[i]->firmware;
			free(ret->disk_at);
			ret->disk_at = both[i]->disk_at ? xstrdup(both[i]->disk_at) : NULL;
		}
	}
}

void sensor_guest_finish(struct sensor_guest *g)
{
	for (char **m = g->modules; m && *m; m++)
		free(*m);
	free(g->modules);
	free(g->cmdline);
	free(g->system);
	free(g->disk);
	free(g->disk_at);
	free(g->kernel);
	*g = (struct sensor_guest){0};
}

/* ---- errnos ---- */

int sensor_errno_parse(const char *text, int *ret)
{
	char *end;
	long v;

	if (isdigit((unsigned char)text[0])) {
		errno = 0;
		v = strtol(text, &end, 10);
		if (errno || *end || v < 1 || v > 4095)
			return -EINVAL;
		*ret = (int)v;
		return 0;
	}
	for (int e = 1; e < 4096; e++) {
		const char *name = strerrorname_np(e);

		if (name && streq(name, text)) {
			*ret = e;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sensor_errno_name(int e, char buf[static 24])
{
	const char *name = strerrorname_np(e);

	if (name)
		return name;
	snprintf(buf, 24, "errno %d", e);
	return buf;
}

/* ---- finding sensors ---- */

int sensor_find(const char *entry, const char *scenario_dir, const char *const *dirs,
		char **ret_dir, char **ret_error)
{
	_cleanup_free_ char *tried = NULL;
	size_t size = 0;
	FILE *f;

	if (strchr(entry, '/')) {
		_cleanup_free_ char *p =
		    entry[0] == '/' ? xstrdup(entry) : xasprintf("%s/%s", scenario_dir, entry);
		_cleanup_free_ char *copy = xstrdup(p), *yaml = NULL;
		struct stat st;

		/* a sensor.yaml named directly stands for its folder */
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			*ret_dir = xstrdup(dirname(copy));
			return 0;
		}
		yaml = xasprintf("%s/sensor.yaml", p);
		if (access(yaml, R_OK) == 0) {
			*ret_dir = TAKE_PTR(p);
			return 0;
		}
		*ret_error = xasprintf("no sensor at '%s': %s: %s", entry, yaml, strerror(errno));
		return -ENOENT;
	}
	f = open_memstream(&tried, &size);
	if (!f)
		abort();
	for (const char *const *d = dirs; d && *d; d++) {
		_cleanup_free_ char *yaml = xasprintf("%s/%s/sensor.yaml", *d, entry);

		if (access(yaml, R_OK) == 0) {
			fclose(f);
			*ret_dir = xasprintf("%s/%s", *d, entry);
			return 0;
		}
		fprintf(f, "%s%s", d == dirs ? "" : ", ", yaml);
	}
	fclose(f);
	*ret_error = xasprintf("unknown sensor '%s'; looked for %s (add a folder with "
			       "--sensors-dir or $FAULTLINE_SENSORS_DIR, or give a path)",
			       entry, size ? tried : "it in no folder");
	return -ENOENT;
}

char **sensor_search_path(const char *const *cli_dirs, const char *env, const char *shipped)
{
	_cleanup_free_ char *copy = env ? xstrdup(env) : NULL;
	size_t n = 0, k = 0;
	char **v;

	for (const char *const *d = cli_dirs; d && *d; d++)
		n++;
	for (const char *p = env; p && *p; p++)
		n += *p == ':';
	n += (env ? 1 : 0) + (shipped ? 1 : 0);
	v = xcalloc(n + 1, sizeof(char *));
	for (const char *const *d = cli_dirs; d && *d; d++)
		v[k++] = xstrdup(*d);
	for (char *p = copy, *next; p; p = next) {
		next = strchr(p, ':');
		if (next)
			*next++ = 0;
		if (*p)
			v[k++] = xstrdup(p);
	}
	if (shipped)
		v[k++] = xstrdup(shipped);
	return v;
}

char **sensor_search_path_free(char **path)
{
	for (char **p = path; p && *p; p++)
		free(*p);
	free(path);
	return NULL;
}

int sensor_version(const struct sensor *s, char **ret, char **ret_error)
{
	_cleanup_free_ char *cmd = NULL, *quoted = NULL;
	char line[256] = "";
	FILE *p;
	int status;

	if (!s->version_command) {
		*ret = s->version ? xstrdup(s->version) : NULL;
		return 0;
	}
	quoted = shell_quote(s->dir);
	cmd = xasprintf("cd %s && %s", quoted, s->version_command);
	if (!(p = popen(cmd, "r"))) {
		*ret_error = xasprintf("%s: version-command: %s", s->name, strerror(errno));
		return -EIO;
	}
	if (!fgets(line, sizeof(line), p))
		line[0] = 0;
	/* the rest of its output is not the version */
	while (fgetc(p) != EOF)
		;
	status = pclose(p);
	line[strcspn(line, "\r\n")] = 0;
	if (status != 0 || !line[0]) {
		*ret_error = xasprintf("%s: version-command '%s' %s", s->name, s->version_command,
				       status != 0 ? "failed" : "printed nothing");
		return -EIO;
	}
	*ret = xstrdup(line);
	return 0;
}

const char *sensor_coverage_process(const struct sensor *s)
{
	return s->coverage_process ? s->coverage_process : s->watch_process;
}
