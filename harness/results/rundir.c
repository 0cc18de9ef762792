/* runread.c — see runread.h. */
#include "rundir.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>

#include "strmap.h"
#include "util.h"

/* run.json is small; refuse something absurd rather than reading it all. */
#define RUN_JSON_MAX (4 * 1024 * 1024)

static const char *const verdict_names[_RUNREAD_VERDICT_MAX] = {
    [RUNREAD_BOOT_LOOP] = "boot-loop",
    [RUNREAD_CRASH] = "crash",
    [RUNREAD_HANG] = "hang",
    [RUNREAD_SENSOR_DIED] = "sensor-died",
    [RUNREAD_INFRA_ERROR] = "infra-error",
    [RUNREAD_ACCEPTED] = "accepted",
    [RUNREAD_REJECTED] = "rejected",
    [RUNREAD_OTHER] = "other",
};

const char *runread_verdict_name(enum runread_verdict v)
{
	if ((unsigned)v >= _RUNREAD_VERDICT_MAX)
		return "other";
	return verdict_names[v];
}

enum runread_verdict runread_verdict_from_name(const char *name)
{
	for (int v = 0; v < RUNREAD_OTHER; v++)
		if (streq(verdict_names[v], name))
			return v;
	return RUNREAD_OTHER;
}

bool runread_verdict_is_signature(enum runread_verdict v)
{
	return v == RUNREAD_CRASH || v == RUNREAD_HANG || v == RUNREAD_BOOT_LOOP;
}

bool runread_record_silent_accept(const struct runread_record *r)
{
	return r->kind == RUNREAD_ACCEPTED && !streq(r->mutation_class, "seed");
}

enum runread_outcome runread_record_outcome(const struct runread_record *r)
{
	if (r->kind == RUNREAD_INFRA_ERROR)
		return RUNREAD_ERROR;
	if (r->expect)
		return streq(r->verdict, r->expect) ? RUNREAD_PASS : RUNREAD_FAILURE;
	return runread_verdict_is_signature(r->kind) ? RUNREAD_FAILURE : RUNREAD_PASS;
}

const char *runread_record_signature(const struct runread_record *r)
{
	if (!runread_verdict_is_signature(r->kind))
		return NULL;
	if (r->title && r->title[0])
		return r->title;
	switch (r->kind) {
	case RUNREAD_HANG:
		return "untitled hang";
	case RUNREAD_BOOT_LOOP:
		return "untitled boot-loop";
	default:
		return "untitled crash";
	}
}

char *runread_record_replay(const struct runread_record *r)
{
	const char *dir = r->run->dir;
	size_t n = strlen(dir);

	/* "run/" and "run" give the same command. */
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return xasprintf("faultline replay %.*s/%s --sensor %s", (int)n, dir, r->case_id,
			 r->sensor);
}

/* A string member, copied; NULL when absent, null or not a string. */
static char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return xstrdup(json_object_get_string(v));
}

static int64_t get_int(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return dflt;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return dflt;
	return json_object_get_int64(v);
}

static void record_finish(struct runread_record *r)
{
	free(r->sensor);
	free(r->case_id);
	free(r->case_name);
	free(r->mutation_class);
	free(r->mutations);
	free(r->seed_file);
	free(r->input_sha256);
	free(r->input);
	free(r->verdict);
	free(r->title);
	free(r->detail);
	free(r->report);
	free(r->console);
	free(r->expect);
	free(r->agent_outcome);
	free(r->agent_message);
	free(r->started);
}

/* Fill r from one parsed line. Returns false when a field every report needs is missing. */
static bool record_from_json(struct json_object *o, struct runread_record *r)
{
	struct json_object *v, *agent = NULL, *timings = NULL;

	if (!json_object_is_type(o, json_type_object))
		return false;
	*r = (struct runread_record){.matched = -1};
	r->sensor = get_str(o, "sensor");
	r->case_id = get_str(o, "case");
	r->verdict = get_str(o, "verdict");
	if (!r->sensor || !r->case_id || !r->verdict || !r->sensor[0] || !r->case_id[0]) {
		record_finish(r);
		return false;
	}
	r->kind = runread_verdict_from_name(r->verdict);
	r->case_name = get_str(o, "case_name");
	r->seed = (uint64_t)get_int(o, "seed", 0);
	r->seed_file = get_str(o, "seed_file");
	r->input_sha256 = get_str(o, "input_sha256");
	r->input = get_str(o, "input");
	r->input_size = get_int(o, "input_size", -1);
	r->title = get_str(o, "title");
	r->detail = get_str(o, "detail");
	r->report = get_str(o, "report");
	r->console = get_str(o, "console");
	r->expect = get_str(o, "expect");
	if (json_object_object_get_ex(o, "matched", &v) &&
	    json_object_is_type(v, json_type_boolean))
		r->matched = json_object_get_boolean(v);
	r->attempt = (int)get_int(o, "attempt", 1);
	r->started = get_str(o, "started");

	if (json_object_object_get_ex(o, "mutations", &v) &&
	    json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) {
		struct json_object *first = json_object_array_get_idx(v, 0);
		r->mutation_class = get_str(first, "op");
		if (!r->mutation_class)
			r->mutation_class = xstrdup("unknown");
		r->mutations = xstrdup(json_object_to_json_string_ext(
		    v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		r->mutation_class = xstrdup("seed");
		r->mutations = xstrdup("[]");
	}

	json_object_object_get_ex(o, "timings", &timings);
	r->boot_ms = get_int(timings, "boot_ms", -1);
	r->deliver_ms = get_int(timings, "deliver_ms", -1);
	r->verdict_ms = get_int(timings, "verdict_ms", -1);
	r->total_ms = get_int(timings, "total_ms", -1);

	json_object_object_get_ex(o, "agent", &agent);
	r->agent_outcome = get_str(agent, "outcome");
	r->agent_message = get_str(agent, "message");
	r->agent_errno = (int)get_int(agent, "errno", 0);
	return true;
}

static int load_meta(struct runread_run *run)
{
	_cleanup_free_ char *path = xasprintf("%s/run.json", run->dir);
	_cleanup_free_ uint8_t *data = NULL;
	struct json_object *o, *v;
	size_t size;
	int r;

	r = read_file(path, RUN_JSON_MAX, &data, &size);
	if (r == -ENOENT)
		return 0; /* a report without metadata is still a report */
	if (r < 0)
		return r;
	o = json_tokener_parse((const char *)data);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EINVAL;
	}
	run->has_meta = true;
	run->run_id = get_str(o, "run_id");
	run->scenario = get_str(o, "scenario");
	run->scenario_path = get_str(o, "scenario_path");
	run->started = get_str(o, "started");
	run->finished = get_str(o, "finished");
	run->interrupted = get_str(o, "interrupted");
	run->faultline_version = get_str(o, "faultline_version");
	run->kernel = get_str(o, "kernel");
	run->uri = get_str(o, "uri");
	run->accel = get_str(o, "accel");
	run->isolation = get_str(o, "isolation");
	run->host = get_str(o, "host");
	run->argv = get_str(o, "argv");
	if (json_object_object_get_ex(o, "seed", &v) && json_object_is_type(v, json_type_int)) {
		run->seed = (uint64_t)json_object_get_int64(v);
		run->has_seed = true;
	}
	if (json_object_object_get_ex(o, "sensors", &v) &&
	    json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		run->sensors = xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++) {
			struct json_object *s = json_object_array_get_idx(v, i);
			if (json_object_is_type(s, json_type_string))
				run->sensors[run->n_sensors++] = xstrdup(json_object_get_string(s));
		}
	}
	json_object_put(o);
	return 0;
}

/* Fill metadata a run.json-less run can still know from its records. */
static void meta_from_record(struct runread_run *run, struct json_object *o)
{
	if (!run->run_id)
		run->run_id = get_str(o, "run_id");
	if (!run->scenario)
		run->scenario = get_str(o, "scenario");
	if (!run->kernel)
		run->kernel = get_str(o, "kernel");
	if (!run->faultline_version)
		run->faultline_version = get_str(o, "faultline_version");
}

static void skip_line(struct runread_run *run, size_t line)
{
	run->n_skipped++;
	if (!run->first_skipped)
		run->first_skipped = line;
}

static int load_results(struct runread_run *run)
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
		struct runread_record rec;
		struct json_object *o;
		_cleanup_free_ char *key = NULL;
		size_t *slot;
		bool created;

		lineno++;
		while (len > 0 && strchr("\n\r\t ", buf[len - 1]))
			buf[--len] = 0;
		if (len == 0)
			continue;
		run->n_lines++;
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, buf, (int)(len > INT_MAX ? INT_MAX : len));
		if (!o || json_tokener_get_error(tok) != json_tokener_success ||
		    json_tokener_get_parse_end(tok) < (size_t)len) {
			json_object_put(o);
			skip_line(run, lineno);
			if (!has_newline)
				run->last_truncated = true;
			continue;
		}
		if (!record_from_json(o, &rec)) {
			json_object_put(o);
			skip_line(run, lineno);
			continue;
		}
		meta_from_record(run, o);
		json_object_put(o);
		rec.run = run;
		rec.line = lineno;

		/* Unit separator: cannot appear in a sensor name that means anything. */
		key = xasprintf("%s\x1f%s", rec.sensor, rec.case_id);
		slot = strmap_put(seen, key, run->n_records, &created);
		if (!created) {
			record_finish(&run->records[*slot]);
			run->records[*slot] = rec;
			run->n_superseded++;
			continue;
		}
		if (run->n_records == n_alloc) {
			n_alloc = n_alloc ? n_alloc * 2 : 64;
			run->records = xreallocarray(run->records, n_alloc, sizeof(*run->records));
		}
		run->records[run->n_records++] = rec;
	}
	strmap_free(seen);
	json_tokener_free(tok);
	if (ferror(f))
		return -EIO;
	return 0;
}

int runread_load(const char *dir, struct runread_run **ret)
{
	struct runread_run *run = xzalloc(sizeof(*run));
	int r;

	run->dir = xstrdup(dir);
	r = load_meta(run);
	if (r >= 0)
		r = load_results(run);
	if (r < 0) {
		runread_free(run);
		return r;
	}
	*ret = run;
	return 0;
}

struct runread_run *runread_free(struct runread_run *run)
{
	if (!run)
		return NULL;
	for (size_t i = 0; i < run->n_records; i++)
		record_finish(&run->records[i]);
	free(run->records);
	for (size_t i = 0; i < run->n_sensors; i++)
		free(run->sensors[i]);
	free(run->sensors);
	free(run->dir);
	free(run->run_id);
	free(run->scenario);
	free(run->scenario_path);
	free(run->started);
	free(run->finished);
	free(run->interrupted);
	free(run->faultline_version);
	free(run->kernel);
	free(run->uri);
	free(run->accel);
	free(run->isolation);
	free(run->host);
	free(run->argv);
	free(run);
	return NULL;
}
