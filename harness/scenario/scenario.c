/* scenario.c — see scenario.h. The YAML is read by ynode.c's hardened reader; this file walks
 * the node tree, checks every key against the schema in scenarios/README.md, and keeps going
 * after an error so that one run of `faultline validate` shows all of them. */
#include "scenario.h"

#include <ctype.h>
#include <libgen.h>

#include "format.h"
#include "mutate.h"
#include "proto.h"
#include "rollspec.h"
#include "sensor.h"
#include "util.h"
#include "verdict.h"
#include "ynode.h"

struct scase {
	char *name;
	char *id;
	unsigned line, column;
	char *content;	    /* as written */
	char *content_path; /* resolved */
	uint8_t *seed_data;
	size_t seed_size;
	struct mutate_list *muts;
	struct scenario_expect *expects;
	size_t n_expects;
	struct scenario_persistence persist;
};

struct scenario {
	char *path, *dir, *name, *description;
	uint64_t seed;
	struct scenario_fleet fleet;
	struct scenario_timeouts timeouts;
	char **sensors, **sensor_dirs;
	size_t n_sensors;
	/* [n_sensors] with a matrix: the kernel of each cell (sensors[i] is then "SENSOR@KERNEL");
	 * NULL without one */
	char **sensor_kernels;
	/* [n_sensors] with a matrix: each cell's guest architecture ("amd64", "arm64") */
	char **sensor_arches;
	/* [n_sensors] with profiles that name a system: each cell's full system (NULL: the guest:
	 * of the sensor and scenario decides) */
	char **sensor_systems;
	struct sensor_guest guest;
	struct format *format;
	struct scase *cases;
	size_t n_cases;
	size_t n_inputs; /* inputs the cases expand to (before dropping duplicates) */
	size_t n_bytes;	 /* and their bytes */
	struct scenario_persistence persist; /* the scenario's defaults for its cases */
	struct rollspec *rollout;	     /* profiles: and rollout:, or NULL */
};

static void scase_finish(struct scase *c)
{
	free(c->name);
	free(c->id);
	free(c->content);
	free(c->content_path);
	free(c->seed_data);
	mutate_list_free(c->muts);
	for (size_t i = 0; i < c->n_expects; i++) {
		free(c->expects[i].sensor);
		free(c->expects[i].verdict);
	}
	free(c->expects);
}

struct scenario *scenario_free(struct scenario *s)
{
	if (!s)
		return NULL;
	free(s->path);
	free(s->dir);
	free(s->name);
	free(s->description);
	for (char **u = s->fleet.uris; u && *u; u++)
		free(*u);
	free(s->fleet.uris);
	free(s->fleet.slots);
	for (size_t i = 0; s->sensor_kernels && i < s->n_sensors; i++)
		free(s->sensor_kernels[i]);
	free(s->sensor_kernels);
	for (size_t i = 0; s->sensor_arches && i < s->n_sensors; i++)
		free(s->sensor_arches[i]);
	free(s->sensor_arches);
	for (size_t i = 0; s->sensor_systems && i < s->n_sensors; i++)
		free(s->sensor_systems[i]);
	free(s->sensor_systems);
	for (size_t i = 0; i < s->n_sensors; i++) {
		free(s->sensors[i]);
		free(s->sensor_dirs[i]);
	}
	free(s->sensors);
	free(s->sensor_dirs);
	sensor_guest_finish(&s->guest);
	format_free(s->format);
	for (size_t i = 0; i < s->n_cases; i++)
		scase_finish(&s->cases[i]);
	free(s->cases);
	rollspec_free(s->rollout);
	free(s);
	return NULL;
}

const char *scenario_name(const struct scenario *s)
{
	return s->name;
}
const char *scenario_path(const struct scenario *s)
{
	return s->path;
}
uint64_t scenario_seed(const struct scenario *s)
{
	return s->seed;
}
const struct scenario_fleet *scenario_fleet(const struct scenario *s)
{
	return &s->fleet;
}
const struct scenario_timeouts *scenario_timeouts(const struct scenario *s)
{
	return &s->timeouts;
}
size_t scenario_n_sensors(const struct scenario *s)
{
	return s->n_sensors;
}
const char *scenario_sensor(const struct scenario *s, size_t i)
{
	return i < s->n_sensors ? s->sensors[i] : NULL;
}
const char *scenario_sensor_dir(const struct scenario *s, size_t i)
{
	return i < s->n_sensors ? s->sensor_dirs[i] : NULL;
}
const char *scenario_sensor_kernel(const struct scenario *s, size_t i)
{
	return s->sensor_kernels && i < s->n_sensors ? s->sensor_kernels[i] : NULL;
}

const char *scenario_sensor_arch(const struct scenario *s, size_t i)
{
	return s->sensor_arches && i < s->n_sensors && s->sensor_arches[i] ? s->sensor_arches[i]
									   : "amd64";
}

const char *scenario_sensor_system(const struct scenario *s, size_t i)
{
	return s->sensor_systems && i < s->n_sensors ? s->sensor_systems[i] : NULL;
}

const struct sensor_guest *scenario_guest(const struct scenario *s)
{
	return &s->guest;
}
const char *scenario_format_path(const struct scenario *s)
{
	return s->format ? format_path(s->format) : NULL;
}
const struct rollspec *scenario_rollout(const struct scenario *s)
{
	return s->rollout;
}
size_t scenario_n_cases(const struct scenario *s)
{
	return s->n_cases;
}

bool scenario_persists(const struct scenario *s)
{
	for (size_t i = 0; i < s->n_cases; i++)
		if (s->cases[i].persist.on)
			return true;
	return false;
}

static const char *const recovery_names[_SCENARIO_RECOVERY_MAX + 1] = {
    [SCENARIO_RECOVERY_NONE] = "none",
    [SCENARIO_RECOVERY_COUNTER] = "counter",
    [SCENARIO_RECOVERY_REMEDIATION] = "remediation",
    [SCENARIO_RECOVERY_MANUAL] = "manual",
};

const char *scenario_recovery_name(enum scenario_recovery r)
{
	return (unsigned)r < _SCENARIO_RECOVERY_MAX ? recovery_names[r] : "?";
}

/* ---- loading ---- */

struct lctx {
	struct ynode_ctx y; /* the scenario's file, its diags and the errors counted */
	const struct scenario_opts *opts;
	struct scenario *s;
	char *sensor_format; /* the format the sensors read, when they agree */
	bool format_failed;  /* reported once; mutations are not dry-run against no format */
	const struct ynode *sensor_format_conflict;
	/* sensors without a persist: section, where they are listed (persistence needs one) */
	const struct ynode **no_persist;
	size_t n_no_persist;
};

/* A located problem, counted: shorthand for the reader's own. */
#define lerr(c, at, ...) ynode_error(&(c)->y, (at), __VA_ARGS__)

static char *path_join(const char *dir, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	return xasprintf("%s/%s", dir, p);
}

/* hosts: [{uri: URI, slots: N}, ...]: the fleet's libvirt hosts, each with its guests. */
static void load_hosts(struct lctx *c, const struct ynode *n)
{
	static const char *const keys[] = {"uri", "slots", NULL};
	struct scenario_fleet *f = &c->s->fleet;
	struct ynode *v;
	uint64_t x;
	const char *s;

	if (!ynode_want_seq(&c->y, n, "hosts", "{uri: URI, slots: N}", 1))
		return;
	f->uris = xcalloc(n->n + 1, sizeof(char *));
	f->slots = xcalloc(n->n + 1, sizeof(unsigned));
	for (size_t i = 0, k = 0; i < n->n; i++) {
		const struct ynode *h = n->items[i];

		if (!ynode_want_map(&c->y, h, "a host", NULL))
			continue;
		ynode_want_keys(&c->y, h, "host", keys);
		if (!(v = ynode_get(h, "uri"))) {
			lerr(c, h, "a host needs uri: (a libvirt URI, or local)");
			continue;
		}
		if (!(s = ynode_want_string(&c->y, v, "uri", YNODE_NONEMPTY)))
			continue;
		for (size_t j = 0; j < k; j++)
			if (streq(f->uris[j], s))
				lerr(c, v, "host %s is listed twice", s);
		if ((v = ynode_get(h, "slots")) &&
		    ynode_want_uint(&c->y, v, "host slots", 1, 1024, &x))
			f->slots[k] = (unsigned)x;
		f->uris[k++] = xstrdup(s);
	}
}

static void load_fleet(struct lctx *c, const struct ynode *n)
{
	static const char *const keys[] = {"size",   "uri",   "uris",	   "hosts",
					   "memory", "accel", "isolation", NULL};
	static const char *const accels[] = {"auto", "tcg", "kvm", NULL};
	static const char *const isos[] = {"boot", "snapshot", "reuse", "warm", NULL};
	struct scenario_fleet *f = &c->s->fleet;
	struct ynode *v, *u, *h;
	uint64_t x;
	const char *s;

	if (!ynode_want_map(&c->y, n, "fleet", NULL))
		return;
	ynode_want_keys(&c->y, n, "fleet", keys);
	if ((v = ynode_get(n, "size")) && ynode_want_uint(&c->y, v, "fleet size", 0, 1024, &x))
		f->size = (unsigned)x;
	if ((v = ynode_get(n, "memory")) &&
	    ynode_want_uint(&c->y, v, "fleet memory (MiB)", 64, 1 << 20, &x))
		f->memory_mib = (unsigned)x;
	if ((v = ynode_get(n, "accel")) && (s = ynode_want_enum(&c->y, v, "accel", accels)))
		f->accel = s;
	if ((v = ynode_get(n, "isolation")) && (s = ynode_want_enum(&c->y, v, "isolation", isos)))
		f->isolation = s;
	v = ynode_get(n, "uri");
	u = ynode_get(n, "uris");
	h = ynode_get(n, "hosts");
	if (h && (u || v))
		lerr(c, h, "give hosts: alone, without uri: or uris:");
	else if (h)
		load_hosts(c, h);
	else if (v && u)
		lerr(c, u, "give uri: or uris:, not both");
	else if (v && (s = ynode_want_string(&c->y, v, "uri", YNODE_NONEMPTY))) {
		f->uris = xcalloc(2, sizeof(char *));
		f->uris[0] = xstrdup(s);
	} else if (u) {
		if (!ynode_want_seq(&c->y, u, "uris", "libvirt URIs", 1))
			return;
		f->uris = xcalloc(u->n + 1, sizeof(char *));
		for (size_t i = 0, k = 0; i < u->n; i++)
			if ((s = ynode_want_string(&c->y, u->items[i], "uri", YNODE_NONEMPTY)))
				f->uris[k++] = xstrdup(s);
	}
}

static void load_timeouts(struct lctx *c, const struct ynode *n)
{
	static const char *const keys[] = {"boot", "observe", "hang", "case", NULL};
	unsigned *dst[] = {&c->s->timeouts.boot_ms, &c->s->timeouts.observe_ms,
			   &c->s->timeouts.hang_ms, &c->s->timeouts.case_ms};

	if (!ynode_want_map(&c->y, n, "timeouts", NULL))
		return;
	ynode_want_keys(&c->y, n, "timeouts", keys);
	for (size_t i = 0; i < 4; i++) {
		_cleanup_free_ char *what = xasprintf("timeout %s", keys[i]);
		uint64_t ms;

		/* observe 0: until the next heartbeat (runner.c) */
		if (ynode_want_duration(&c->y, ynode_get(n, keys[i]), what, i == 1 ? 0 : 1,
					YNODE_DURATION_MAX_MS, &ms))
			*dst[i] = (unsigned)ms;
	}
}

/* Every problem of another file this scenario names (a sensor.yaml, a format description) as
 * this scenario's errors, after one at the name that says where they come from. */
static void adopt_diags(struct lctx *c, const struct ynode *at, const struct diags *other,
			const char *what, const char *name, const char *path)
{
	lerr(c, at, "%s '%s' (%s) has errors, listed below", what, name, path);
	for (size_t i = 0; i < other->n; i++) {
		diag_add(c->y.diags, other->v[i].file, other->v[i].line, other->v[i].column, "%s",
			 other->v[i].message);
		c->y.errors++;
	}
}

/* The format a sensor names, as load_format() takes it: a name, or a path (with a '/' or ending
 * in .yaml) made absolute from the sensor's folder, which it is relative to. */
static char *sensor_format_ref(const struct sensor *sn, const char *dir)
{
	size_t len = strlen(sn->format);
	_cleanup_free_ char *real = NULL;

	if (!strchr(sn->format, '/') && !(len > 5 && streq(sn->format + len - 5, ".yaml")))
		return xstrdup(sn->format);
	if (sn->format[0] == '/' || !(real = realpath(dir, NULL)))
		return xstrdup(sn->format);
	return xasprintf("%s/%s", real, sn->format);
}

/* Load the sensor's sensor.yaml (its errors are this scenario's: a run could not use it), and
 * note the format it reads so that a scenario need not repeat it. Returns its name (the
 * folder's) or NULL when it has errors. */
static char *load_sensor(struct lctx *c, const char *entry, const char *dir, const struct ynode *at)
{
	_cleanup_free_ char *yaml = xasprintf("%s/sensor.yaml", dir);
	struct diags d = {0};
	struct sensor *sn = NULL;
	char *name;

	if (sensor_load_file(yaml, &d, &sn) < 0) {
		adopt_diags(c, at, &d, "sensor", entry, yaml);
		diags_finish(&d);
		return NULL;
	}
	if (sn->format && *sn->format) {
		_cleanup_free_ char *format = sensor_format_ref(sn, dir);

		if (!c->sensor_format)
			c->sensor_format = TAKE_PTR(format);
		else if (!streq(c->sensor_format, format))
			c->sensor_format_conflict = at;
	}
	if (!sensor_persists(sn)) {
		c->no_persist = xreallocarray(c->no_persist, c->n_no_persist + 1, sizeof(at));
		c->no_persist[c->n_no_persist++] = at;
	}
	name = TAKE_PTR(sn->name);
	sensor_free(sn);
	return name;
}

static bool sensor_name_ok(const char *s)
{
	if (!*s || *s == '.')
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* Each entry is a name, found on the search path, or a path relative to the scenario. */
static void load_sensors(struct lctx *c, const struct ynode *n)
{
	const char *const *dirs = c->opts ? c->opts->sensors_dirs : NULL;

	if (!ynode_want_seq(&c->y, n, "sensors", "sensor names or paths", 1))
		return;
	c->s->sensors = xcalloc(n->n + 1, sizeof(char *));
	c->s->sensor_dirs = xcalloc(n->n + 1, sizeof(char *));
	for (size_t i = 0; i < n->n; i++) {
		const char *entry =
		    ynode_want_string(&c->y, n->items[i], "sensor name", YNODE_NONEMPTY);
		_cleanup_free_ char *sdir = NULL, *err = NULL, *name = NULL;

		if (!entry)
			continue;
		if (!strchr(entry, '/') && !sensor_name_ok(entry)) {
			lerr(c, n->items[i],
			     "bad sensor name '%s'; expected a folder name (letters, digits, '-', "
			     "'_', '.') or a path with a '/' to a sensor folder",
			     entry);
			continue;
		}
		if (sensor_find(entry, c->s->dir, dirs, &sdir, &err) < 0) {
			lerr(c, n->items[i], "%s", err);
			continue;
		}
		name = load_sensor(c, entry, sdir, n->items[i]);
		if (!name)
			continue;
		for (size_t j = 0; j < c->s->n_sensors; j++)
			if (streq(c->s->sensors[j], name))
				lerr(
				    c, n->items[i],
				    "sensor '%s' listed twice (as %s and %s); expected each sensor "
				    "once",
				    name, c->s->sensor_dirs[j], sdir);
		c->s->sensors[c->s->n_sensors] = TAKE_PTR(name);
		c->s->sensor_dirs[c->s->n_sensors++] = TAKE_PTR(sdir);
	}
}

static void load_format(struct lctx *c, const struct ynode *n, const char *name)
{
	const char *dir = c->opts && c->opts->formats_dir ? c->opts->formats_dir : ".";
	_cleanup_free_ char *path = NULL;
	struct diags fd = {0};
	int r;

	if (!name)
		return;
	if (strchr(name, '/') || (strlen(name) > 5 && streq(name + strlen(name) - 5, ".yaml")))
		path = path_join(c->s->dir, name);
	else
		path = xasprintf("%s/%s.yaml", dir, name);
	if (access(path, R_OK) < 0) {
		c->format_failed = true;
		lerr(c, n, "unknown format '%s': %s: %s", name, path, strerror(errno));
		return;
	}
	r = format_load(path, &fd, &c->s->format);
	if (r < 0) {
		c->format_failed = true;
		adopt_diags(c, n, &fd, "format", name, path);
	}
	diags_finish(&fd);
}

static char *safe_id(const char *name)
{
	char *id = xstrdup(name);

	for (char *p = id; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.'))
			*p = '-';
	if (id[0] == '.')
		id[0] = '_';
	return id;
}

static void load_expect(struct lctx *c, const struct ynode *n, struct scase *k)
{
	const char *v;

	if (n->kind == YNODE_SCALAR) {
		if (!(v = ynode_want_enum(&c->y, n, "expected verdict",
					  verdict_expectable_names())))
			return;
		k->expects = xcalloc(1, sizeof(*k->expects));
		k->expects[0].verdict = xstrdup(v);
		k->n_expects = 1;
		return;
	}
	if (n->kind != YNODE_MAP) {
		lerr(c, n, "expect must be a verdict or a map sensor: verdict, not %s",
		     ynode_kind_name(n->kind));
		return;
	}
	k->expects = xcalloc(n->n + 1, sizeof(*k->expects));
	for (size_t i = 0; i < n->n; i++) {
		const char *sensor = n->keys[i]->scalar;
		bool known = false;

		for (size_t j = 0; j < c->s->n_sensors; j++)
			if (streq(c->s->sensors[j], sensor))
				known = true;
		if (!known) {
			lerr(c, n->keys[i],
			     "expect names sensor '%s', which is not in sensors:", sensor);
			continue;
		}
		if (!(v = ynode_want_enum(&c->y, n->items[i], "expected verdict",
					  verdict_expectable_names())))
			continue;
		k->expects[k->n_expects].sensor = xstrdup(sensor);
		k->expects[k->n_expects++].verdict = xstrdup(v);
	}
}

/* The caller's bound on the inputs the whole scenario expands to (scenario_opts.max_inputs):
 * counting is cheap, applying is not, so a case past the bound is an error before it expands. */
static bool within_budget(struct lctx *c, const struct ynode *n, const struct scase *k)
{
	size_t count = 0, limit = c->opts ? c->opts->max_inputs : 0;
	unsigned nd = (unsigned)c->y.diags->n;

	if (!limit)
		return true;
	if (c->s->n_inputs > limit) /* said once, at the case that crossed it */
		return false;
	if (mutate_count(k->muts, c->s->format, k->seed_data, k->seed_size, c->y.file, c->y.diags,
			 &count) < 0) {
		c->y.errors += (unsigned)(c->y.diags->n - nd) + 1;
		return false;
	}
	c->s->n_inputs += count;
	if (c->s->n_inputs > limit) {
		lerr(c, n,
		     "the cases so far expand to %zu inputs, more than the %zu this loader "
		     "allows; fewer variants",
		     c->s->n_inputs, limit);
		return false;
	}
	return true;
}

/* A run holds every input in memory, and the guest agent takes one of at most
 * PROTO_MAX_PAYLOAD bytes. */
#define SCENARIO_MAX_BYTES ((size_t)256 << 20)

/* What the case's mutations say of its sizes before anything is generated: an input that no
 * variant keeps within what the agent takes, or more bytes than a run holds. */
static bool within_bytes(struct lctx *c, const struct ynode *n, const struct scase *k)
{
	const struct ynode *at = ynode_get(n, "mutations") ? ynode_get(n, "mutations") : n;
	size_t min = mutate_min_size(k->muts, k->seed_size), count = 0;
	unsigned nd = (unsigned)c->y.diags->n;

	if (c->s->n_bytes > SCENARIO_MAX_BYTES) /* said once, at the case that crossed it */
		return false;
	if (min > PROTO_MAX_PAYLOAD) {
		lerr(c, at,
		     "case '%s' makes inputs of at least %zu bytes, more than the %u the guest "
		     "agent accepts; smaller inputs",
		     k->name, min, PROTO_MAX_PAYLOAD);
		return false;
	}
	if (mutate_count(k->muts, c->s->format, k->seed_data, k->seed_size, c->y.file, c->y.diags,
			 &count) < 0) {
		c->y.errors += (unsigned)(c->y.diags->n - nd) + 1;
		return false;
	}
	if (min && count > (SCENARIO_MAX_BYTES - c->s->n_bytes) / min) {
		lerr(c, at,
		     "the cases so far expand to more than %zu MiB of inputs (this one: %zu of "
		     "at least %zu bytes), more than a run holds; fewer variants or smaller inputs",
		     SCENARIO_MAX_BYTES >> 20, count, min);
		c->s->n_bytes = SCENARIO_MAX_BYTES + 1; /* the later cases: said */
		return false;
	}
	return true;
}

/* The same, counted on the inputs the dry run made. */
static void count_bytes(struct lctx *c, const struct ynode *n, const struct scase *k,
			const struct mutate_result *res)
{
	const struct ynode *at = ynode_get(n, "mutations") ? ynode_get(n, "mutations") : n;

	for (size_t i = 0; i < res->n; i++) {
		if (res->v[i].size > PROTO_MAX_PAYLOAD) {
			lerr(c, at,
			     "case '%s' makes an input of %zu bytes, more than the %u the guest "
			     "agent accepts; smaller inputs",
			     k->name, res->v[i].size, PROTO_MAX_PAYLOAD);
			return;
		}
		c->s->n_bytes += res->v[i].size;
	}
	if (c->s->n_bytes > SCENARIO_MAX_BYTES)
		lerr(c, at,
		     "the cases so far expand to %zu MiB of inputs, more than the %zu MiB a run "
		     "holds; fewer variants or smaller inputs",
		     c->s->n_bytes >> 20, SCENARIO_MAX_BYTES >> 20);
}

static void load_boot_loop(struct lctx *c, const struct ynode *n, struct scenario_persistence *p)
{
	static const char *const keys[] = {"reboots", NULL};
	const struct ynode *v;
	uint64_t u;

	if (!ynode_want_map(&c->y, n, "boot_loop", NULL))
		return;
	ynode_want_keys(&c->y, n, "boot_loop", keys);
	if ((v = ynode_get(n, "reboots")) &&
	    ynode_want_uint(&c->y, v, "boot_loop reboots", 1, 20, &u))
		p->reboots = (unsigned)u;
}

/* recovery: MECHANISM, or {mechanism:, boots:, action:, after:} */
static void load_recovery(struct lctx *c, const struct ynode *n, struct scenario_persistence *p)
{
	static const char *const keys[] = {"mechanism", "boots", "action", "after", NULL};
	static const char *const actions[] = {"rollback", "delete", NULL};
	const struct ynode *m = n, *v;
	const char *str;
	uint64_t u;

	if (n->kind == YNODE_MAP) {
		ynode_want_keys(&c->y, n, "recovery", keys);
		if (!(m = ynode_get(n, "mechanism"))) {
			lerr(c, n,
			     "recovery without mechanism:; expected one of: none, counter, "
			     "remediation, manual");
			return;
		}
	}
	if (!(str = ynode_want_enum(&c->y, m, "recovery mechanism", recovery_names)))
		return;
	for (int r = 0; r < _SCENARIO_RECOVERY_MAX; r++)
		if (streq(recovery_names[r], str))
			p->recovery = (enum scenario_recovery)r;
	p->after = p->recovery == SCENARIO_RECOVERY_MANUAL ? 2 : 1;
	if (n->kind != YNODE_MAP)
		return;
	if ((v = ynode_get(n, "boots")) && ynode_want_uint(&c->y, v, "recovery boots", 1, 20, &u))
		p->counter_boots = (unsigned)u;
	if ((v = ynode_get(n, "action")) &&
	    (str = ynode_want_enum(&c->y, v, "remediation action", actions)))
		p->remedy =
		    streq(str, "delete") ? SCENARIO_REMEDY_DELETE : SCENARIO_REMEDY_ROLLBACK;
	if ((v = ynode_get(n, "after")) && ynode_want_uint(&c->y, v, "recovery after", 1, 20, &u))
		p->after = (unsigned)u;
}

/* persistence:, boot_loop: and recovery: of the scenario (its cases' defaults) or of a case */
static void load_persistence(struct lctx *c, const struct ynode *n, struct scenario_persistence *p)
{
	const struct ynode *v;

	if ((v = ynode_get(n, "persistence")))
		ynode_want_bool(&c->y, v, "persistence", &p->on);
	if ((v = ynode_get(n, "boot_loop")))
		load_boot_loop(c, v, p);
	if ((v = ynode_get(n, "recovery")))
		load_recovery(c, v, p);
	if (p->recovery != SCENARIO_RECOVERY_NONE && !p->on && (v = ynode_get(n, "recovery")))
		lerr(c, v,
		     "recovery: needs persistence: on (a guest without stored content has "
		     "nothing to recover from)");
}

static void load_case(struct lctx *c, const struct ynode *n)
{
	static const char *const keys[] = {"name",	"description", "content",
					   "mutations", "expect",      "persistence",
					   "boot_loop", "recovery",    NULL};
	struct scenario *s = c->s;
	struct scase *k;
	struct ynode *v;
	const char *str;
	unsigned before = c->y.errors;
	int r;

	if (!ynode_want_map(&c->y, n, "a case", NULL))
		return;
	ynode_want_keys(&c->y, n, "a case", keys);
	k = &s->cases[s->n_cases];
	memset(k, 0, sizeof(*k));
	k->line = n->line;
	k->column = n->column;
	k->persist = s->persist;
	load_persistence(c, n, &k->persist);

	v = ynode_get(n, "name");
	if (!v)
		lerr(c, n, "case without a name; expected name: TEXT");
	else if ((str = ynode_want_string(&c->y, v, "case name", YNODE_NONEMPTY))) {
		k->name = xstrdup(str);
		k->id = safe_id(str);
		for (size_t i = 0; i < s->n_cases; i++)
			if (s->cases[i].name && streq(s->cases[i].id, k->id))
				lerr(c, v, "duplicate case name '%s' (first at line %u)", str,
				     s->cases[i].line);
	}
	v = ynode_get(n, "content");
	if (!v)
		lerr(c, n, "case without content:; expected the seed file (relative to %s)",
		     s->dir);
	else if ((str = ynode_want_string(&c->y, v, "content", YNODE_NONEMPTY))) {
		k->content = xstrdup(str);
		k->content_path = path_join(s->dir, str);
		r = read_file(k->content_path, MUTATE_MAX_SIZE, &k->seed_data, &k->seed_size);
		if (r < 0)
			lerr(c, v, "cannot read content %s: %s", k->content_path, strerror(-r));
	}
	v = ynode_get(n, "mutations");
	if (v) {
		if (ynode_want_seq(&c->y, v, "mutations", "{op: ...} maps", 0)) {
			unsigned nd = (unsigned)c->y.diags->n;
			r = mutate_list_parse(v, c->y.file, s->dir, c->y.diags, &k->muts);
			if (r < 0)
				c->y.errors += (unsigned)(c->y.diags->n - nd) + 1;
		}
	}
	if (!k->muts)
		k->muts = mutate_list_new();
	if ((v = ynode_get(n, "expect")))
		load_expect(c, v, k);

	/* Dry-run the expansion so that bad paths and out-of-range indexes show up in validate. */
	if (c->y.errors == before && k->seed_data && !c->format_failed && within_budget(c, n, k) &&
	    within_bytes(c, n, k)) {
		struct mutate_result res = {0};
		unsigned nd = (unsigned)c->y.diags->n;

		r = mutate_expand(k->muts, s->format, k->seed_data, k->seed_size, 0, c->y.file,
				  c->y.diags, &res);
		if (r < 0)
			c->y.errors += (unsigned)(c->y.diags->n - nd) + 1;
		else
			count_bytes(c, n, k, &res);
		mutate_result_finish(&res);
	}
	s->n_cases++;
}

/* profiles: and rollout: (rollspec.h), against the sensors and cases read so far. */
static void load_rollspec(struct lctx *c, const struct ynode *doc)
{
	struct scenario *s = c->s;
	_cleanup_free_ const char **cases = xcalloc(s->n_cases + 1, sizeof(char *));

	for (size_t i = 0; i < s->n_cases; i++)
		cases[i] = s->cases[i].name ? s->cases[i].name : "";
	c->y.errors += rollspec_load(c->y.file, doc, (const char *const *)s->sensors, s->n_sensors,
				     cases, s->n_cases, c->y.diags, &s->rollout);
}

/* The kernels of matrix: {kernel: [NAME, ...]} into a new list (caller frees), or NULL. */
static char **matrix_kernels(struct lctx *c, const struct ynode *n, size_t *ret_n)
{
	char **k;

	*ret_n = 0;
	if (!ynode_want_seq(&c->y, n, "matrix kernel", "kernel names (debian-11, ...)", 1))
		return NULL;
	k = xcalloc(n->n + 1, sizeof(char *));
	for (size_t i = 0; i < n->n; i++) {
		const char *v = ynode_want_string(&c->y, n->items[i], "matrix kernel",
						  YNODE_ONE_LINE | YNODE_NONEMPTY);

		if (!v)
			continue;
		/* the name is part of the cell's name, which names folders of the run */
		/* a Debian kernel version has a '+' (6.12.117+deb13-amd64) */
		if (v[0] == '.' ||
		    v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"0123456789-_.+")] != '\0') {
			lerr(
			    c, n->items[i],
			    "bad matrix kernel '%s'; expected debian-11, debian-12, debian-13 or a "
			    "kernel version (a kernel root path goes in guest: kernel:)",
			    v);
			continue;
		}
		for (size_t j = 0; j < *ret_n; j++)
			if (streq(k[j], v))
				lerr(c, n->items[i], "matrix kernel '%s' listed twice", v);
		k[(*ret_n)++] = xstrdup(v);
	}
	return k;
}

/* The guest architectures faultline boots: amd64 (x86_64 pc) and arm64 (aarch64 virt, TCG).
 * Into a new list (caller frees), or NULL. */
static char **matrix_arches(struct lctx *c, const struct ynode *n, size_t *ret_n)
{
	char **a;

	*ret_n = 0;
	if (!ynode_want_seq(&c->y, n, "matrix arch", "architectures ([amd64, arm64])", 1))
		return NULL;
	a = xcalloc(n->n + 1, sizeof(char *));
	for (size_t i = 0; i < n->n; i++) {
		const char *v =
		    ynode_want_string(&c->y, n->items[i], "matrix arch", YNODE_NONEMPTY);

		if (!v)
			continue;
		if (!streq(v, "amd64") && !streq(v, "arm64")) {
			lerr(c, n->items[i], "unknown matrix arch '%s'; expected amd64 or arm64",
			     v);
			continue;
		}
		for (size_t j = 0; j < *ret_n; j++)
			if (streq(a[j], v))
				lerr(c, n->items[i], "matrix arch '%s' listed twice", v);
		a[(*ret_n)++] = xstrdup(v);
	}
	return a;
}

static void free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

/* matrix: {kernel: [...], arch: [amd64, arm64]}: every sensor becomes one cell per kernel and
 * arch, named SENSOR@KERNEL (amd64) or SENSOR@KERNEL@ARCH, in sensor, kernel, arch order. */
static void load_matrix(struct lctx *c, const struct ynode *n)
{
	static const char *const keys[] = {"kernel", "arch", NULL};
	struct scenario *s = c->s;
	const struct ynode *v;
	char **k = NULL, **a = NULL, **names, **dirs;
	size_t nk = 0, na = 0, m = 0;

	if (!ynode_want_map(&c->y, n, "matrix", "kernel: [...], arch: [amd64, arm64]"))
		return;
	ynode_want_keys(&c->y, n, "matrix", keys);
	if ((v = ynode_get(n, "arch")))
		a = matrix_arches(c, v, &na);
	if ((v = ynode_get(n, "kernel")))
		k = matrix_kernels(c, v, &nk);
	if (na && !nk && !c->y.errors)
		lerr(c, n,
		     "matrix: arch: needs kernel: [...] beside it (each arch's kernel is fetched "
		     "by name); expected e.g. kernel: [debian-12]");
	if (!na) {
		free(a); /* an arch: whose every entry was refused */
		a = xcalloc(2, sizeof(char *));
		a[na++] = xstrdup("amd64");
	}
	if (s->rollout && nk)
		lerr(c, n,
		     "matrix: and profiles:/rollout: together are not supported; expected "
		     "one of them");
	if (!nk || c->y.errors) {
		free_list(k, nk);
		free_list(a, na);
		return;
	}
	names = xcalloc(s->n_sensors * nk * na + 1, sizeof(char *));
	dirs = xcalloc(s->n_sensors * nk * na + 1, sizeof(char *));
	s->sensor_kernels = xcalloc(s->n_sensors * nk * na + 1, sizeof(char *));
	s->sensor_arches = xcalloc(s->n_sensors * nk * na + 1, sizeof(char *));
	for (size_t i = 0; i < s->n_sensors; i++)
		for (size_t j = 0; j < nk; j++)
			for (size_t l = 0; l < na; l++, m++) {
				bool native = streq(a[l], "amd64");

				names[m] = xasprintf("%s@%s%s%s", s->sensors[i], k[j],
						     native ? "" : "@", native ? "" : a[l]);
				dirs[m] = xstrdup(s->sensor_dirs[i]);
				s->sensor_kernels[m] = xstrdup(k[j]);
				s->sensor_arches[m] = xstrdup(a[l]);
			}
	for (size_t i = 0; i < s->n_sensors; i++) {
		free(s->sensors[i]);
		free(s->sensor_dirs[i]);
	}
	free_list(k, nk);
	free_list(a, na);
	free(s->sensors);
	free(s->sensor_dirs);
	s->sensors = names;
	s->sensor_dirs = dirs;
	s->n_sensors = m;
}

/* The cell of sensor si on kernel k (NULL: the sensor's), arch a and full system sys (NULL:
 * none), named SENSOR[@KERNEL][@ARCH][@SYSTEM-system]: an existing entry of the sensors or a
 * new one, appended with its kernel, arch and system. */
static size_t profile_cell(struct scenario *s, size_t si, const char *k, const char *a,
			   const char *sys)
{
	bool native = !a || streq(a, "amd64");
	_cleanup_free_ char *name = xasprintf("%s%s%s%s%s%s%s%s", s->sensors[si], k ? "@" : "",
					      k ? k : "", native ? "" : "@", native ? "" : a,
					      sys ? "@" : "", sys ? sys : "", sys ? "-system" : "");
	size_t n = s->n_sensors;

	for (size_t i = 0; i < n; i++)
		if (streq(s->sensors[i], name))
			return i;
	/* the first cell: the sensors as written have none */
	if (!s->sensor_kernels)
		s->sensor_kernels = xcalloc(n + 1, sizeof(char *));
	if (!s->sensor_arches)
		s->sensor_arches = xcalloc(n + 1, sizeof(char *));
	if (!s->sensor_systems)
		s->sensor_systems = xcalloc(n + 1, sizeof(char *));
	s->sensors = xreallocarray(s->sensors, n + 2, sizeof(char *));
	s->sensor_dirs = xreallocarray(s->sensor_dirs, n + 2, sizeof(char *));
	s->sensor_kernels = xreallocarray(s->sensor_kernels, n + 2, sizeof(char *));
	s->sensor_arches = xreallocarray(s->sensor_arches, n + 2, sizeof(char *));
	s->sensor_systems = xreallocarray(s->sensor_systems, n + 2, sizeof(char *));
	s->sensors[n] = TAKE_PTR(name);
	s->sensor_dirs[n] = xstrdup(s->sensor_dirs[si]);
	s->sensor_kernels[n] = k ? xstrdup(k) : NULL;
	s->sensor_arches[n] = xstrdup(native ? "amd64" : a);
	s->sensor_systems[n] = sys ? xstrdup(sys) : NULL;
	s->sensors[n + 1] = s->sensor_dirs[n + 1] = s->sensor_kernels[n + 1] =
	    s->sensor_arches[n + 1] = s->sensor_systems[n + 1] = NULL;
	s->n_sensors = n + 1;
	return n;
}

/* A profile with kernel:, arch: or system: runs on its sensor's cell for that kernel, arch and
 * system, which becomes one of the scenario's sensors (a guest image of its own), as a
 * matrix's cells do. */
static void load_profile_cells(struct lctx *c, const struct ynode *doc)
{
	struct rollspec *r = (struct rollspec *)c->s->rollout;
	bool any = false;

	for (size_t p = 0; r && p < r->n_profiles; p++)
		any = any || r->profiles[p].kernel || r->profiles[p].system;
	if (!any || c->y.errors)
		return;
	if (r->n_variants) {
		lerr(c, ynode_get(doc, "rollout"),
		     "profiles with kernel: or system: and rollout: variants: together are not "
		     "supported; expected one of them");
		return;
	}
	for (size_t p = 0; p < r->n_profiles; p++)
		if (r->profiles[p].kernel || r->profiles[p].system)
			r->profiles[p].sensor =
			    profile_cell(c->s, r->profiles[p].sensor, r->profiles[p].kernel,
					 r->profiles[p].arch, r->profiles[p].system);
}

static int load_doc(struct lctx *c, const struct ynode *doc)
{
	static const char *const keys[] = {"name",	  "description", "seed",     "format",
					   "fleet",	  "sensors",	 "timeouts", "cases",
					   "persistence", "boot_loop",	 "recovery", "guest",
					   "profiles",	  "rollout",	 "matrix",   NULL};
	struct scenario *s = c->s;
	struct ynode *v;
	const char *str;

	if (doc->kind != YNODE_MAP) {
		lerr(c, doc, "a scenario must be a map (name:, sensors:, cases:, ...), not %s",
		     ynode_kind_name(doc->kind));
		return -EINVAL;
	}
	if (doc->n == 0) {
		lerr(c, doc, "empty scenario; expected at least sensors: and cases:");
		return -EINVAL;
	}
	ynode_want_keys(&c->y, doc, "the scenario", keys);
	if ((v = ynode_get(doc, "name")) &&
	    (str = ynode_want_string(&c->y, v, "name", YNODE_NONEMPTY)))
		s->name = xstrdup(str);
	if ((v = ynode_get(doc, "description")) &&
	    (str = ynode_want_string(&c->y, v, "description", YNODE_NONEMPTY)))
		s->description = xstrdup(str);
	if ((v = ynode_get(doc, "seed")))
		ynode_want_uint(&c->y, v, "seed", 0, UINT64_MAX, &s->seed);
	if ((v = ynode_get(doc, "fleet")))
		load_fleet(c, v);
	if ((v = ynode_get(doc, "timeouts")))
		load_timeouts(c, v);
	s->persist = (struct scenario_persistence){.reboots = 3, .counter_boots = 2, .after = 1};
	load_persistence(c, doc, &s->persist);
	if ((v = ynode_get(doc, "guest")))
		c->y.errors += sensor_guest_load(c->y.file, v, c->y.diags, &s->guest);
	if ((v = ynode_get(doc, "sensors")))
		load_sensors(c, v);
	else
		lerr(c, doc, "missing sensors: (the list of sensors under test)");
	if ((v = ynode_get(doc, "format"))) {
		if ((str = ynode_want_string(&c->y, v, "format", YNODE_NONEMPTY)))
			load_format(c, v, str);
	} else if (c->sensor_format && !c->sensor_format_conflict) {
		load_format(c, ynode_get(doc, "sensors"), c->sensor_format);
	}
	v = ynode_get(doc, "cases");
	if (!v)
		lerr(c, doc, "missing cases: (the list of cases)");
	else if (ynode_want_seq(&c->y, v, "cases", NULL, 1)) {
		s->cases = xcalloc(v->n, sizeof(*s->cases));
		for (size_t i = 0; i < v->n; i++)
			load_case(c, v->items[i]);
	}
	load_rollspec(c, doc);
	load_profile_cells(c, doc);
	if ((v = ynode_get(doc, "matrix")))
		load_matrix(c, v);
	if (scenario_persists(s))
		for (size_t i = 0; i < c->n_no_persist; i++)
			lerr(c, c->no_persist[i],
			     "sensor '%s' keeps no content across reboots (no persist: in its "
			     "sensor.yaml), which persistence: on needs",
			     c->no_persist[i]->scalar);
	return c->y.errors ? -EINVAL : 0;
}

int scenario_load(const char *path, const struct scenario_opts *opts, struct diags *diags,
		  struct scenario **ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;
	int r;

	r = read_file(path, 16 << 20, &data, &size);
	if (r < 0) {
		diag_add(diags, path, 0, 0, "cannot read scenario: %s", strerror(-r));
		return r;
	}
	return scenario_parse(path, data, size, opts, diags, ret);
}

int scenario_parse(const char *path, const void *data, size_t size,
		   const struct scenario_opts *opts, struct diags *diags, struct scenario **ret)
{
	_cleanup_free_ char *dcopy = NULL, *bcopy = NULL;
	struct ynode *doc = NULL;
	struct lctx c = {.y = {.file = path, .diags = diags}, .opts = opts};
	struct scenario *s;
	int r;

	if (size == 0) {
		diag_add(diags, path, 1, 1,
			 "empty file; expected a scenario (name:, sensors:, cases:)");
		return -EINVAL;
	}
	r = ynode_parse(path, data, size, diags, &doc);
	if (r < 0)
		return r;

	s = xzalloc(sizeof(*s));
	s->path = xstrdup(path);
	dcopy = xstrdup(path);
	s->dir = xstrdup(dirname(dcopy));
	s->seed = 1;
	s->fleet.memory_mib = 256;
	s->fleet.accel = "auto";
	s->fleet.isolation = "snapshot";
	s->timeouts = (struct scenario_timeouts){
	    .boot_ms = 90000, .observe_ms = 2000, .hang_ms = 15000, .case_ms = 60000};
	c.s = s;
	r = load_doc(&c, doc);
	ynode_free(doc);
	free(c.sensor_format);
	free(c.no_persist);
	if (r < 0) {
		scenario_free(s);
		return r;
	}
	if (!s->fleet.uris)
		s->fleet.uris = xcalloc(1, sizeof(char *));
	if (!s->name) {
		char *b, *dot;

		bcopy = xstrdup(path);
		b = basename(bcopy);
		dot = strrchr(b, '.');
		if (dot && dot != b)
			*dot = 0;
		s->name = xstrdup(b);
	}
	*ret = s;
	return 0;
}

/* ---- expansion ---- */

void scenario_cases_free(struct scenario_case *cases, size_t n)
{
	if (!cases)
		return;
	for (size_t i = 0; i < n; i++) {
		struct scenario_case *c = &cases[i];

		free(c->id);
		free(c->name);
		free(c->seed_file);
		free(c->mutations_json);
		free(c->format_file);
		free(c->data);
		for (size_t j = 0; j < c->n_expects; j++) {
			free(c->expects[j].sensor);
			free(c->expects[j].verdict);
		}
		free(c->expects);
	}
	free(cases);
}

bool scenario_sensor_is(const char *cell, const char *sensor)
{
	size_t n = strcspn(cell, "@");

	return strlen(sensor) == n && strncmp(cell, sensor, n) == 0;
}

const char *scenario_case_expect(const struct scenario_case *c, const char *sensor)
{
	const char *any = NULL;

	for (size_t i = 0; i < c->n_expects; i++) {
		if (!c->expects[i].sensor)
			any = c->expects[i].verdict;
		else if (sensor && scenario_sensor_is(sensor, c->expects[i].sensor))
			return c->expects[i].verdict;
	}
	return any;
}

static int cmp_sha(const void *a, const void *b)
{
	return memcmp(a, b, 64);
}

int scenario_expand_full(const struct scenario *s, struct diags *diags,
			 struct scenario_case **ret_cases, size_t *ret_n, size_t *ret_duplicates)
{
	struct scenario_case *out = NULL;
	size_t n = 0, dups = 0;
	/* SHA-256 of every input so far: multi-input cases drop what an earlier input already
	 * covered; a named single case is always kept (the user asked for it by name). */
	char(*seen)[64] = NULL;
	size_t n_seen = 0, cap_seen = 0, cap = 0;
	int r = 0;

	for (size_t i = 0; i < s->n_cases; i++) {
		const struct scase *k = &s->cases[i];
		struct mutate_result res = {0};
		uint64_t seed = mutate_seed_derive(s->seed, k->name, 0);

		r = mutate_expand(k->muts, s->format, k->seed_data, k->seed_size, seed, s->path,
				  diags, &res);
		if (r < 0)
			break;
		dups += res.n_duplicates;
		for (size_t j = 0; j < res.n; j++) {
			struct mutate_output *o = &res.v[j];
			struct scenario_case *c;
			bool multi = res.n_variants > 1;

			if (multi && n_seen &&
			    bsearch(o->sha256, seen, n_seen, sizeof(*seen), cmp_sha)) {
				dups++;
				continue;
			}
			{
				size_t lo = 0, hi = n_seen;

				while (lo < hi) {
					size_t mid = (lo + hi) / 2;
					if (memcmp(seen[mid], o->sha256, 64) < 0)
						lo = mid + 1;
					else
						hi = mid;
				}
				seen = xgrowarray(seen, n_seen, &cap_seen, sizeof(*seen));
				memmove(seen + lo + 1, seen + lo, (n_seen - lo) * sizeof(*seen));
				memcpy(seen[lo], o->sha256, 64);
				n_seen++;
			}

			out = xgrowarray(out, n, &cap, sizeof(*out));
			c = &out[n++];
			memset(c, 0, sizeof(*c));
			c->id = multi ? xasprintf("%s-%04zu", k->id, o->index) : xstrdup(k->id);
			c->name = xstrdup(k->name);
			c->seed = seed;
			c->seed_file = xstrdup(k->content_path);
			c->mutations_json = TAKE_PTR(o->json);
			c->data = TAKE_PTR(o->data);
			c->size = o->size;
			c->expects = xcalloc(k->n_expects + 1, sizeof(*c->expects));
			for (size_t e = 0; e < k->n_expects; e++) {
				c->expects[e].sensor =
				    k->expects[e].sensor ? xstrdup(k->expects[e].sensor) : NULL;
				c->expects[e].verdict = xstrdup(k->expects[e].verdict);
			}
			c->n_expects = k->n_expects;
			c->persist = k->persist;
			c->format_file = s->format ? xstrdup(format_path(s->format)) : NULL;
		}
		mutate_result_finish(&res);
	}
	free(seen);
	if (r < 0) {
		scenario_cases_free(out, n);
		return r;
	}
	*ret_cases = out;
	*ret_n = n;
	if (ret_duplicates)
		*ret_duplicates = dups;
	return 0;
}

int scenario_expand(const struct scenario *s, struct diags *diags, struct scenario_case **ret_cases,
		    size_t *ret_n)
{
	return scenario_expand_full(s, diags, ret_cases, ret_n, NULL);
}

int scenario_describe_cases(const struct scenario *s, const struct scenario_case *cases, size_t n,
			    FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct scenario_case *c = &cases[i];
		char sha[65];

		sha256_hex(c->data, c->size, sha);
		fprintf(out, "%-32s %7zu bytes  sha256:%.12s  expect:", c->id, c->size, sha);
		if (c->n_expects == 0)
			fputs(" -", out);
		for (size_t e = 0; e < c->n_expects; e++)
			fprintf(out, " %s%s%s", c->expects[e].sensor ? c->expects[e].sensor : "",
				c->expects[e].sensor ? "=" : "", c->expects[e].verdict);
		fprintf(out, "  %s\n", c->mutations_json);
	}
	(void)s;
	return ferror(out) ? -EIO : 0;
}
