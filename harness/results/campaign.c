/* campaign.c — a fuzz campaign's state and coverage over time (see campaign.h). */
#include "campaign.h"

#include <json-c/json.h>

#include "jsonx.h"
#include "util.h"

/* ---- campaign.json ---- */

int campaign_write(const char *dir, const struct campaign *c)
{
	_cleanup_free_ char *path = xasprintf("%s/campaign.json", dir);
	json_object *o = json_object_new_object(), *sigs = json_object_new_array();
	json_object *magic = json_object_new_array();
	int r;

	for (size_t i = 0; i < c->n_signatures; i++)
		json_object_array_add(sigs, jsonx_str_or_null(c->signatures[i]));
	for (size_t i = 0; i < c->n_magic; i++)
		json_object_array_add(magic, json_object_new_uint64(c->magic[i]));
	json_object_object_add(o, "run_id", jsonx_str_or_null(c->run_id));
	json_object_object_add(o, "sensor", jsonx_str_or_null(c->sensor));
	json_object_object_add(o, "coverage", json_object_new_boolean(c->coverage));
	json_object_object_add(o, "execs", json_object_new_uint64(c->execs));
	json_object_object_add(o, "elapsed_ms", json_object_new_uint64(c->elapsed_ms));
	json_object_object_add(o, "rng", json_object_new_uint64(c->rng));
	json_object_object_add(o, "seeds_done", json_object_new_uint64(c->seeds_done));
	if (c->next_case > c->execs) /* else it is execs, as before cases ran in parallel */
		json_object_object_add(o, "next_case", json_object_new_uint64(c->next_case));
	json_object_object_add(o, "guest_runs", json_object_new_uint64(c->guest_runs));
	json_object_object_add(o, "guest_runs_ms", json_object_new_uint64(c->guest_runs_ms));
	json_object_object_add(o, "edges", json_object_new_uint64(c->edges));
	json_object_object_add(o, "blocks", json_object_new_uint64(c->blocks));
	json_object_object_add(o, "corpus", json_object_new_uint64(c->corpus));
	json_object_object_add(o, "signatures", sigs);
	json_object_object_add(o, "magic", magic);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	r = write_file_atomic(path, text, strlen(text));
	json_object_put(o);
	return r;
}

static json_object *array(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array)
		   ? v
		   : NULL;
}

static void read_arrays(json_object *o, struct campaign *c)
{
	json_object *sigs = array(o, "signatures"), *magic = array(o, "magic");

	c->signatures = xcalloc(jsonx_len(sigs) + 1, sizeof(char *));
	for (size_t i = 0; i < jsonx_len(sigs); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(sigs, i));
		if (s) /* a null one left out */
			c->signatures[c->n_signatures++] = xstrdup(s);
	}
	c->magic = xcalloc(jsonx_len(magic) + 1, sizeof(uint64_t));
	for (size_t i = 0; i < jsonx_len(magic); i++)
		c->magic[c->n_magic++] =
		    json_object_get_uint64(json_object_array_get_idx(magic, i));
}

int campaign_read(const char *dir, struct campaign **ret)
{
	_cleanup_free_ char *path = xasprintf("%s/campaign.json", dir);
	_cleanup_free_ uint8_t *text = NULL;
	struct campaign *c;
	json_object *o;
	size_t n;
	int r;

	if ((r = read_file(path, 1u << 20, &text, &n)) < 0)
		return r;
	o = json_tokener_parse((char *)text);
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EBADMSG;
	}
	c = xzalloc(sizeof(*c));
	c->run_id = jsonx_get_str(o, "run_id");
	c->sensor = jsonx_get_str(o, "sensor");
	c->coverage = jsonx_get_bool(o, "coverage");
	c->execs = jsonx_get_uint(o, "execs");
	c->elapsed_ms = jsonx_get_uint(o, "elapsed_ms");
	c->rng = jsonx_get_uint(o, "rng");
	c->seeds_done = jsonx_get_uint(o, "seeds_done");
	c->next_case = jsonx_get_uint(o, "next_case");
	c->guest_runs = jsonx_get_uint(o, "guest_runs");
	c->guest_runs_ms = jsonx_get_uint(o, "guest_runs_ms");
	c->edges = jsonx_get_uint(o, "edges");
	c->blocks = jsonx_get_uint(o, "blocks");
	c->corpus = jsonx_get_uint(o, "corpus");
	read_arrays(o, c);
	json_object_put(o);
	*ret = c;
	return 0;
}

/* ---- coverage.jsonl ---- */

static json_object *point_json(const struct campaign_point *p)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ms", json_object_new_uint64(p->ms));
	json_object_object_add(o, "execs", json_object_new_uint64(p->execs));
	json_object_object_add(o, "blocks", json_object_new_uint64(p->blocks));
	json_object_object_add(o, "edges", json_object_new_uint64(p->edges));
	json_object_object_add(o, "corpus", json_object_new_uint64(p->corpus));
	return o;
}

int campaign_point_append(const char *dir, const struct campaign_point *p)
{
	_cleanup_free_ char *path = xasprintf("%s/coverage.jsonl", dir);
	json_object *o = point_json(p);
	FILE *f = fopen(path, "ae");
	int r = 0;

	if (!f)
		r = -errno;
	else if (fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) <
		     0 ||
		 fclose(f) != 0)
		r = -EIO;
	json_object_put(o);
	return r;
}

static void load_points(struct campaign *c, const char *dir)
{
	_cleanup_free_ char *path = xasprintf("%s/coverage.jsonl", dir);
	_cleanup_free_ uint8_t *text = NULL;
	size_t n;

	if (read_file(path, 64u << 20, &text, &n) < 0)
		return;
	for (char *line = (char *)text, *eol; line && *line; line = eol ? eol + 1 : NULL) {
		json_object *o;

		eol = strchr(line, '\n');
		if (eol)
			*eol = 0;
		if (!(o = json_tokener_parse(line)))
			continue; /* a cut-off last line */
		c->points = xreallocarray(c->points, c->n_points + 1, sizeof(*c->points));
		c->points[c->n_points++] = (struct campaign_point){
		    .ms = jsonx_get_uint(o, "ms"),
		    .execs = jsonx_get_uint(o, "execs"),
		    .blocks = jsonx_get_uint(o, "blocks"),
		    .edges = jsonx_get_uint(o, "edges"),
		    .corpus = jsonx_get_uint(o, "corpus"),
		};
		json_object_put(o);
	}
}

struct campaign *campaign_load(const char *dir)
{
	struct campaign *c;

	if (campaign_read(dir, &c) < 0)
		return NULL;
	if (!c->sensor)
		c->sensor = xstrdup("");
	load_points(c, dir);
	return c;
}

void campaign_free(struct campaign *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_signatures; i++)
		free(c->signatures[i]);
	free(c->signatures);
	free(c->magic);
	free(c->run_id);
	free(c->sensor);
	free(c->points);
	free(c);
}
