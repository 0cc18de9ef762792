/* run-meta.c — run.json (see run-meta.h). */
#include "run-meta.h"

#include <limits.h>

#include "jsonx.h"
#include "util.h"

/* run.json is small; refuse something absurd rather than reading it all. */
#define RUN_JSON_MAX (4 * 1024 * 1024)

void run_meta_finish(struct run_meta *m)
{
	char **strings[] = {
	    &m->run_id,	  &m->scenario, &m->scenario_path, &m->started,	    &m->faultline_version,
	    &m->kernel,	  &m->uri,	&m->accel,	   &m->isolation,   &m->host,
	    &m->argv,	  &m->campaign, &m->finished,	   &m->interrupted, &m->content_sha256,
	    &m->jobs_hash};

	for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
		free(*strings[i]);
	for (size_t i = 0; i < m->n_hosts; i++)
		free(m->hosts[i].uri);
	for (size_t i = 0; i < m->n_sensors; i++) {
		free(m->sensors[i]);
		if (m->sensor_versions)
			free(m->sensor_versions[i]);
	}
	free(m->sensor_versions);
	for (size_t i = 0; i < m->n_merged; i++) {
		free(m->merged[i].run_id);
		free(m->merged[i].host);
		free(m->merged[i].started);
		free(m->merged[i].finished);
	}
	free(m->merged);
	free(m->missing);
	free(m->hosts);
	free(m->sensors);
	*m = (struct run_meta){0};
}

/* ---- writing ---- */

static json_object *hosts_json(const struct run_meta *m)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < m->n_hosts; i++) {
		json_object *h = json_object_new_object();
		json_object_object_add(h, "uri", jsonx_str_or_null(m->hosts[i].uri));
		json_object_object_add(h, "answered",
				       json_object_new_boolean(m->hosts[i].answered));
		json_object_array_add(a, h);
	}
	return a;
}

static json_object *shard_json(unsigned k, unsigned n)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "k", json_object_new_int64(k));
	json_object_object_add(o, "n", json_object_new_int64(n));
	return o;
}

/* "jobs", "jobs_hash", and a shard's "shard" or a merge's "merged_from" and "missing_shards" */
static void add_shards(json_object *o, const struct run_meta *m)
{
	if (m->jobs)
		json_object_object_add(o, "jobs", json_object_new_int64((int64_t)m->jobs));
	if (m->jobs_hash)
		json_object_object_add(o, "jobs_hash", json_object_new_string(m->jobs_hash));
	if (m->shard_n) {
		json_object *sh = shard_json(m->shard_k, m->shard_n);
		json_object_object_add(sh, "jobs", json_object_new_int64((int64_t)m->shard_jobs));
		json_object_object_add(o, "shard", sh);
	}
	if (m->n_merged) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < m->n_merged; i++) {
			const struct run_meta_shard *x = &m->merged[i];
			json_object *sh = shard_json(x->k, x->n);
			json_object_object_add(sh, "run_id", jsonx_str_or_null(x->run_id));
			json_object_object_add(sh, "host", jsonx_str_or_null(x->host));
			json_object_object_add(sh, "started", jsonx_str_or_null(x->started));
			json_object_object_add(sh, "finished", jsonx_str_or_null(x->finished));
			json_object_array_add(a, sh);
		}
		json_object_object_add(o, "merged_from", a);
	}
	if (m->n_missing) {
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < m->n_missing; i++)
			json_object_array_add(a, json_object_new_int64(m->missing[i]));
		json_object_object_add(o, "missing_shards", a);
	}
}

static void add_if(json_object *o, const char *key, const char *s)
{
	if (s)
		json_object_object_add(o, key, json_object_new_string(s));
}

static void add_versions(json_object *o, const struct run_meta *m)
{
	json_object *v = NULL;

	for (size_t i = 0; m->sensor_versions && i < m->n_sensors; i++) {
		if (!m->sensor_versions[i])
			continue;
		if (!v)
			v = json_object_new_object();
		json_object_object_add(v, m->sensors[i],
				       json_object_new_string(m->sensor_versions[i]));
	}
	if (v)
		json_object_object_add(o, "sensor_versions", v);
}

json_object *run_meta_to_json(const struct run_meta *m)
{
	json_object *o = json_object_new_object(), *sensors = json_object_new_array();

	for (size_t i = 0; i < m->n_sensors; i++)
		json_object_array_add(sensors, jsonx_str_or_null(m->sensors[i]));
	json_object_object_add(o, "run_id", jsonx_str_or_null(m->run_id));
	json_object_object_add(o, "scenario", jsonx_str_or_null(m->scenario));
	json_object_object_add(o, "scenario_path", jsonx_str_or_null(m->scenario_path));
	json_object_object_add(o, "started", jsonx_str_or_null(m->started));
	json_object_object_add(o, "faultline_version", jsonx_str_or_null(m->faultline_version));
	json_object_object_add(o, "kernel", jsonx_str_or_null(m->kernel));
	json_object_object_add(o, "uri", jsonx_str_or_null(m->uri));
	json_object_object_add(o, "accel", jsonx_str_or_null(m->accel));
	if (m->n_hosts)
		json_object_object_add(o, "hosts", hosts_json(m));
	json_object_object_add(o, "isolation", jsonx_str_or_null(m->isolation));
	if (m->has_seed)
		json_object_object_add(o, "seed", json_object_new_uint64(m->seed));
	json_object_object_add(o, "sensors", sensors);
	add_versions(o, m);
	add_if(o, "content_sha256", m->content_sha256);
	json_object_object_add(o, "host", jsonx_str_or_null(m->host));
	add_if(o, "argv", m->argv);
	add_if(o, "campaign", m->campaign);
	if (m->resumed)
		json_object_object_add(o, "resumed", json_object_new_boolean(true));
	add_shards(o, m);
	add_if(o, "finished", m->finished);
	add_if(o, "interrupted", m->interrupted);
	return o;
}

/* ---- reading ---- */

static json_object *array(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array)
		   ? v
		   : NULL;
}

static void read_arrays(json_object *o, struct run_meta *m)
{
	json_object *sensors = array(o, "sensors"), *hosts = array(o, "hosts"), *versions = NULL;

	json_object_object_get_ex(o, "sensor_versions", &versions);
	m->sensors = xcalloc(jsonx_len(sensors) + 1, sizeof(char *));
	m->sensor_versions = xcalloc(jsonx_len(sensors) + 1, sizeof(char *));
	for (size_t i = 0; i < jsonx_len(sensors); i++) {
		json_object *s = json_object_array_get_idx(sensors, i);
		if (!json_object_is_type(s, json_type_string))
			continue;
		m->sensor_versions[m->n_sensors] =
		    jsonx_get_str(versions, json_object_get_string(s));
		m->sensors[m->n_sensors++] = xstrdup(json_object_get_string(s));
	}
	m->hosts = xcalloc(jsonx_len(hosts) + 1, sizeof(*m->hosts));
	for (size_t i = 0; i < jsonx_len(hosts); i++) {
		json_object *h = json_object_array_get_idx(hosts, i);
		m->hosts[m->n_hosts++] = (struct run_meta_host){
		    .uri = jsonx_get_str(h, "uri"), .answered = jsonx_get_bool(h, "answered")};
	}
}

/* A whole number from 1 to UINT_MAX, else 0. */
static unsigned uint_of(json_object *o, const char *key)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	x = json_object_get_int64(v);
	return x > 0 && x <= UINT_MAX ? (unsigned)x : 0;
}

static void read_shards(json_object *o, struct run_meta *m)
{
	json_object *sh, *merged = array(o, "merged_from"), *missing = array(o, "missing_shards");

	m->jobs = uint_of(o, "jobs");
	m->jobs_hash = jsonx_get_str(o, "jobs_hash");
	if (json_object_object_get_ex(o, "shard", &sh) &&
	    json_object_is_type(sh, json_type_object)) {
		m->shard_k = uint_of(sh, "k");
		m->shard_n = uint_of(sh, "n");
		m->shard_jobs = uint_of(sh, "jobs");
		if (!m->shard_k || m->shard_k > m->shard_n)
			m->shard_k = m->shard_n = 0; /* not a shard anyone could have run */
	}
	m->merged = xcalloc(jsonx_len(merged) + 1, sizeof(*m->merged));
	for (size_t i = 0; i < jsonx_len(merged); i++) {
		json_object *x = json_object_array_get_idx(merged, i);
		m->merged[m->n_merged++] = (struct run_meta_shard){
		    .k = uint_of(x, "k"),
		    .n = uint_of(x, "n"),
		    .run_id = jsonx_get_str(x, "run_id"),
		    .host = jsonx_get_str(x, "host"),
		    .started = jsonx_get_str(x, "started"),
		    .finished = jsonx_get_str(x, "finished"),
		};
	}
	m->missing = xcalloc(jsonx_len(missing) + 1, sizeof(*m->missing));
	for (size_t i = 0; i < jsonx_len(missing); i++) {
		json_object *x = json_object_array_get_idx(missing, i);
		if (json_object_is_type(x, json_type_int) && json_object_get_int64(x) > 0 &&
		    json_object_get_int64(x) <= UINT_MAX)
			m->missing[m->n_missing++] = (unsigned)json_object_get_int64(x);
	}
}

int run_meta_from_json(json_object *o, struct run_meta *ret)
{
	struct run_meta m = {0};
	json_object *v;

	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	m.run_id = jsonx_get_str(o, "run_id");
	m.scenario = jsonx_get_str(o, "scenario");
	m.scenario_path = jsonx_get_str(o, "scenario_path");
	m.started = jsonx_get_str(o, "started");
	m.faultline_version = jsonx_get_str(o, "faultline_version");
	m.kernel = jsonx_get_str(o, "kernel");
	m.uri = jsonx_get_str(o, "uri");
	m.accel = jsonx_get_str(o, "accel");
	m.isolation = jsonx_get_str(o, "isolation");
	/* seeds are 64-bit unsigned: read them without clamping at INT64_MAX */
	if (json_object_object_get_ex(o, "seed", &v) && json_object_is_type(v, json_type_int)) {
		m.seed = json_object_get_int64(v) < 0 ? (uint64_t)json_object_get_int64(v)
						      : json_object_get_uint64(v);
		m.has_seed = true;
	}
	m.host = jsonx_get_str(o, "host");
	m.argv = jsonx_get_str(o, "argv");
	m.campaign = jsonx_get_str(o, "campaign");
	m.resumed = json_object_object_get_ex(o, "resumed", &v) &&
		    json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
	m.finished = jsonx_get_str(o, "finished");
	m.interrupted = jsonx_get_str(o, "interrupted");
	m.content_sha256 = jsonx_get_str(o, "content_sha256");
	read_arrays(o, &m);
	read_shards(o, &m);
	*ret = m;
	return 0;
}

int run_meta_read(const char *path, struct run_meta *ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	json_object *o;
	size_t size;
	int r;

	if ((r = read_file(path, RUN_JSON_MAX, &data, &size)) < 0)
		return r;
	o = json_tokener_parse((const char *)data);
	r = run_meta_from_json(o, ret);
	json_object_put(o);
	return r;
}
