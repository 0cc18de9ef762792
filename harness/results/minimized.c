/* minimized.c — the summary of a minimization (see minimized.h). */
#include "minimized.h"

#include <stdio.h>

#include "jsonx.h"
#include "record.h"
#include "util.h"

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void minimized_finish(struct minimized *m)
{
	char *strings[] = {m->sensor,  m->case_id,	  m->verdict,	   m->title,
			   m->minimal, m->minimal_sha256, m->input_sha256, m->status,
			   m->replay,  m->started,	  m->dir};

	for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
		free(strings[i]);
	for (size_t i = 0; i < m->n_seen; i++) {
		free(m->seen[i].verdict);
		free(m->seen[i].title);
	}
	free(m->seen);
	free_lines(m->explanation, m->n_explanation);
	free_lines(m->notes, m->n_notes);
	minimized_init(m);
}

void minimized_init(struct minimized *m)
{
	*m = (struct minimized){
	    .input_size = -1, .minimal_size = -1, .wall_ms = -1, .kind = VERDICT_OTHER};
}

/* ---- writing ---- */

static json_object *lines_json(char *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *reproduction_json(const struct minimized *m)
{
	json_object *r = json_object_new_object(), *seen = json_object_new_array();

	for (size_t i = 0; i < m->n_seen; i++) {
		json_object *s = json_object_new_object();
		json_object_object_add(s, "verdict", jsonx_str_or_null(m->seen[i].verdict));
		json_object_object_add(s, "title", jsonx_str_or_null(m->seen[i].title));
		json_object_object_add(s, "count",
				       json_object_new_int64((int64_t)m->seen[i].count));
		json_object_array_add(seen, s);
	}
	json_object_object_add(r, "tries", json_object_new_int64((int64_t)m->tries));
	json_object_object_add(r, "reproduced", json_object_new_int64((int64_t)m->reproduced));
	json_object_object_add(r, "seen", seen);
	return r;
}

json_object *minimized_to_json(const struct minimized *m)
{
	json_object *o = json_object_new_object(), *sig = json_object_new_object();
	json_object *in = json_object_new_object(), *min = json_object_new_object();

	json_object_object_add(sig, "verdict", jsonx_str_or_null(m->verdict));
	json_object_object_add(sig, "title", jsonx_str_or_null(m->title));
	json_object_object_add(in, "sha256", jsonx_str_or_null(m->input_sha256));
	json_object_object_add(in, "size",
			       m->input_size >= 0 ? json_object_new_int64(m->input_size) : NULL);
	json_object_object_add(min, "file", jsonx_str_or_null(m->minimal));
	json_object_object_add(min, "sha256", jsonx_str_or_null(m->minimal_sha256));
	json_object_object_add(
	    min, "size", m->minimal_size >= 0 ? json_object_new_int64(m->minimal_size) : NULL);

	json_object_object_add(o, "sensor", jsonx_str_or_null(m->sensor));
	json_object_object_add(o, "case", jsonx_str_or_null(m->case_id));
	json_object_object_add(o, "signature", sig);
	json_object_object_add(o, "status", jsonx_str_or_null(m->status));
	json_object_object_add(o, "reproduction", reproduction_json(m));
	json_object_object_add(o, "input", in);
	json_object_object_add(o, "minimal", min);
	json_object_object_add(o, "explanation", lines_json(m->explanation, m->n_explanation));
	json_object_object_add(o, "notes", lines_json(m->notes, m->n_notes));
	json_object_object_add(o, "replay", jsonx_str_or_null(m->replay));
	json_object_object_add(o, "guest_runs", json_object_new_int64((int64_t)m->guest_runs));
	json_object_object_add(o, "wall_ms",
			       m->wall_ms >= 0 ? json_object_new_int64(m->wall_ms) : NULL);
	json_object_object_add(o, "started", jsonx_str_or_null(m->started));
	return o;
}

/* ---- reading ---- */

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static size_t count(json_object *o, const char *key)
{
	int64_t v = jsonx_get_int(o, key, 0);

	return v > 0 ? (size_t)v : 0;
}

static char **read_lines(json_object *a, size_t *ret_n)
{
	size_t n = json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	char **v = xcalloc(n + 1, sizeof(*v));

	*ret_n = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(a, i);
		if (json_object_is_type(s, json_type_string))
			v[(*ret_n)++] = xstrdup(json_object_get_string(s));
	}
	return v;
}

static void read_reproduction(json_object *r, struct minimized *m)
{
	json_object *seen = member(r, "seen");
	size_t n = json_object_is_type(seen, json_type_array) ? json_object_array_length(seen) : 0;

	m->tries = count(r, "tries");
	m->reproduced = count(r, "reproduced");
	m->seen = xcalloc(n + 1, sizeof(*m->seen));
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(seen, i);
		m->seen[m->n_seen++] = (struct minimized_seen){
		    .verdict = record_json_string(s, "verdict"),
		    .title = record_json_string(s, "title"),
		    .count = count(s, "count"),
		};
	}
}

int minimized_from_json(json_object *o, struct minimized *ret)
{
	struct minimized m;
	json_object *sig = member(o, "signature"), *in = member(o, "input");
	json_object *min = member(o, "minimal");

	minimized_init(&m);
	minimized_init(ret);
	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	m.sensor = record_json_string(o, "sensor");
	m.case_id = record_json_string(o, "case");
	m.verdict = record_json_string(sig, "verdict");
	if (!m.sensor || !m.case_id || !m.verdict) {
		minimized_finish(&m);
		return -EINVAL;
	}
	m.kind = verdict_parse(m.verdict);
	m.title = record_json_string(sig, "title");
	m.status = record_json_string(o, "status");
	read_reproduction(member(o, "reproduction"), &m);
	m.input_sha256 = record_json_string(in, "sha256");
	m.input_size = jsonx_get_int(in, "size", -1);
	m.minimal = record_json_string(min, "file");
	m.minimal_sha256 = record_json_string(min, "sha256");
	m.minimal_size = jsonx_get_int(min, "size", -1);
	m.explanation = read_lines(member(o, "explanation"), &m.n_explanation);
	m.notes = read_lines(member(o, "notes"), &m.n_notes);
	m.replay = record_json_string(o, "replay");
	m.guest_runs = count(o, "guest_runs");
	m.wall_ms = jsonx_get_int(o, "wall_ms", -1);
	m.started = record_json_string(o, "started");
	*ret = m;
	return 0;
}

const char *minimized_rate(const struct minimized *m, char buf[48])
{
	snprintf(buf, 48, "%zu/%zu", m->reproduced, m->tries);
	return buf;
}
