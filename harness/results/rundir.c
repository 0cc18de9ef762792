/* rundir.c — see rundir.h. */
#include "rundir.h"

#include <dirent.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>

#include "run-meta.h"
#include "strmap.h"
#include "util.h"

/* minimize.json is small; refuse something absurd rather than reading it all. */
#define MINIMIZED_JSON_MAX (4 * 1024 * 1024)

static int load_meta(struct rundir *run)
{
	_cleanup_free_ char *path = xasprintf("%s/run.json", run->dir);
	struct run_meta m;
	int r = run_meta_read(path, &m);

	if (r == -ENOENT)
		return 0; /* a report without metadata is still a report */
	if (r < 0)
		return r;
	run->has_meta = true;
	run->run_id = TAKE_PTR(m.run_id);
	run->scenario = TAKE_PTR(m.scenario);
	run->scenario_path = TAKE_PTR(m.scenario_path);
	run->started = TAKE_PTR(m.started);
	run->finished = TAKE_PTR(m.finished);
	run->interrupted = TAKE_PTR(m.interrupted);
	run->faultline_version = TAKE_PTR(m.faultline_version);
	run->kernel = TAKE_PTR(m.kernel);
	run->uri = TAKE_PTR(m.uri);
	run->accel = TAKE_PTR(m.accel);
	run->isolation = TAKE_PTR(m.isolation);
	run->host = TAKE_PTR(m.host);
	run->argv = TAKE_PTR(m.argv);
	run->seed = m.seed;
	run->has_seed = m.has_seed;
	run->jobs = m.jobs;
	run->jobs_hash = TAKE_PTR(m.jobs_hash);
	run->shard_k = m.shard_k;
	run->shard_n = m.shard_n;
	run->shard_jobs = m.shard_jobs;
	run->n_merged = m.n_merged;
	run->n_missing = m.n_missing;
	/* the sensors move into run; their versions are the database's, not the reports' */
	for (size_t i = 0; m.sensor_versions && i < m.n_sensors; i++)
		free(TAKE_PTR(m.sensor_versions[i]));
	run->sensors = TAKE_PTR(m.sensors);
	run->n_sensors = m.n_sensors;
	m.n_sensors = 0;
	run_meta_finish(&m);
	return 0;
}

static void fill(char **dst, const char *src)
{
	if (!*dst && src)
		*dst = xstrdup(src);
}

/* Fill metadata a run.json-less run can still know from its records. */
static void meta_from_record(struct rundir *run, const struct record *rec)
{
	fill(&run->run_id, rec->run_id);
	fill(&run->scenario, rec->scenario);
	fill(&run->kernel, rec->kernel);
	fill(&run->faultline_version, rec->faultline_version);
}

static void skip_line(struct rundir *run, size_t line)
{
	run->n_skipped++;
	if (!run->first_skipped)
		run->first_skipped = line;
}

/* One line, its trailing white space cut: a record, or false when it is not one (counted). */
static bool parse_line(struct rundir *run, struct json_tokener *tok, const char *buf, size_t len,
		       bool has_newline, size_t lineno, struct record *ret)
{
	struct json_object *o;
	int r;

	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, buf, (int)(len > INT_MAX ? INT_MAX : len));
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < len) {
		json_object_put(o);
		skip_line(run, lineno);
		if (!has_newline)
			run->last_truncated = true;
		return false;
	}
	r = record_from_json(o, ret);
	json_object_put(o);
	if (r < 0) {
		skip_line(run, lineno);
		return false;
	}
	meta_from_record(run, ret);
	ret->run = run;
	ret->line = lineno;
	return true;
}

/* Add rec (taken over), or let it replace the earlier record of its sensor and case. */
static void keep(struct rundir *run, struct strmap *seen, struct record *rec, size_t *n_alloc)
{
	/* Unit separator: cannot appear in a sensor name that means anything. */
	_cleanup_free_ char *key = xasprintf("%s\x1f%s", rec->sensor, rec->case_id);
	bool created;
	size_t *slot = strmap_put(seen, key, run->n_records, &created);

	if (!created) {
		record_finish(&run->records[*slot]);
		run->records[*slot] = *rec;
		run->n_superseded++;
		return;
	}
	if (run->n_records == *n_alloc) {
		*n_alloc = *n_alloc ? *n_alloc * 2 : 64;
		run->records = xreallocarray(run->records, *n_alloc, sizeof(*run->records));
	}
	run->records[run->n_records++] = *rec;
}

static int load_results(struct rundir *run)
{
	_cleanup_free_ char *path = xasprintf("%s/results.jsonl", run->dir);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *buf = NULL;
	struct json_tokener *tok;
	struct strmap *seen;
	size_t cap = 0, lineno = 0, n_alloc = 0;
	ssize_t len;

	if (!f)
		return -errno;
	tok = json_tokener_new();
	seen = strmap_new();
	while ((len = getline(&buf, &cap, f)) >= 0) {
		bool has_newline = len > 0 && buf[len - 1] == '\n';
		struct record rec;

		lineno++;
		while (len > 0 && strchr("\n\r\t ", buf[len - 1]))
			buf[--len] = 0;
		if (len == 0)
			continue;
		run->n_lines++;
		if (parse_line(run, tok, buf, (size_t)len, has_newline, lineno, &rec))
			keep(run, seen, &rec, &n_alloc);
	}
	strmap_free(seen);
	json_tokener_free(tok);
	if (ferror(f))
		return -EIO;
	return 0;
}

/* ---- minimizations ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a folder but . and .., sorted (so that the order never depends on the file
 * system); NULL when it cannot be read. */
static char **list_dir(const char *path, size_t *ret_n)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	*ret_n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*ret_n = n;
	return v;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void load_one_minimized(struct rundir *run, const char *rel)
{
	_cleanup_free_ char *path = xasprintf("%s/%s/minimize.json", run->dir, rel);
	_cleanup_free_ uint8_t *data = NULL;
	struct minimized m;
	json_object *o;
	size_t size;

	if (read_file(path, MINIMIZED_JSON_MAX, &data, &size) < 0)
		return;
	o = json_tokener_parse((const char *)data);
	if (minimized_from_json(o, &m) == 0) {
		m.dir = xstrdup(rel);
		run->minimized =
		    xreallocarray(run->minimized, run->n_minimized + 1, sizeof(*run->minimized));
		run->minimized[run->n_minimized++] = m;
	}
	json_object_put(o);
}

static void load_minimized(struct rundir *run)
{
	_cleanup_free_ char *top = xasprintf("%s/minimized", run->dir);
	size_t ns, nc;
	char **sensors = list_dir(top, &ns);

	for (size_t i = 0; i < ns; i++) {
		_cleanup_free_ char *sdir = xasprintf("%s/%s", top, sensors[i]);
		char **cases = list_dir(sdir, &nc);

		for (size_t j = 0; j < nc; j++) {
			_cleanup_free_ char *rel =
			    xasprintf("minimized/%s/%s", sensors[i], cases[j]);
			load_one_minimized(run, rel);
		}
		free_names(cases, nc);
	}
	free_names(sensors, ns);
}

const struct minimized *rundir_minimized(const struct rundir *run, const char *sensor,
					 const char *case_id)
{
	for (size_t i = 0; i < run->n_minimized; i++)
		if (streq(run->minimized[i].sensor, sensor) &&
		    streq(run->minimized[i].case_id, case_id))
			return &run->minimized[i];
	return NULL;
}

int rundir_load(const char *dir, struct rundir **ret)
{
	struct rundir *run = xzalloc(sizeof(*run));
	int r;

	run->dir = xstrdup(dir);
	r = load_meta(run);
	if (r >= 0)
		r = load_results(run);
	if (r >= 0) {
		load_minimized(run);
		run->campaign = campaign_load(dir);
	}
	if (r < 0) {
		rundir_free(run);
		return r;
	}
	*ret = run;
	return 0;
}

struct rundir *rundir_free(struct rundir *run)
{
	if (!run)
		return NULL;
	for (size_t i = 0; i < run->n_records; i++)
		record_finish(&run->records[i]);
	free(run->records);
	for (size_t i = 0; i < run->n_minimized; i++)
		minimized_finish(&run->minimized[i]);
	free(run->minimized);
	campaign_free(run->campaign);
	for (size_t i = 0; i < run->n_sensors; i++)
		free(run->sensors[i]);
	free(run->sensors);
	char *strings[] = {run->dir,	 run->run_id,	run->scenario,	  run->scenario_path,
			   run->started, run->finished, run->interrupted, run->faultline_version,
			   run->kernel,	 run->uri,	run->accel,	  run->isolation,
			   run->host,	 run->argv,	run->jobs_hash};
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
		free(strings[i]);
	free(run);
	return NULL;
}
