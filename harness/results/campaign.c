/* campaign.c — a fuzz campaign's summary and coverage over time (see campaign.h). */
#include "campaign.h"

#include <json-c/json.h>

#include "util.h"

static uint64_t juint(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

static size_t jlen(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array)
		   ? json_object_array_length(v)
		   : 0;
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
		    .ms = juint(o, "ms"),
		    .execs = juint(o, "execs"),
		    .blocks = juint(o, "blocks"),
		    .edges = juint(o, "edges"),
		    .corpus = juint(o, "corpus"),
		};
		json_object_put(o);
	}
}

struct campaign *campaign_load(const char *dir)
{
	_cleanup_free_ char *path = xasprintf("%s/campaign.json", dir);
	_cleanup_free_ uint8_t *text = NULL;
	struct campaign *c;
	json_object *o, *v;
	size_t n;

	if (read_file(path, 1u << 20, &text, &n) < 0 || !(o = json_tokener_parse((char *)text)))
		return NULL;
	c = xzalloc(sizeof(*c));
	c->sensor = xstrdup(json_object_object_get_ex(o, "sensor", &v) &&
				    json_object_is_type(v, json_type_string)
				? json_object_get_string(v)
				: "");
	c->coverage = json_object_object_get_ex(o, "coverage", &v) && json_object_get_boolean(v);
	c->execs = juint(o, "execs");
	c->elapsed_ms = juint(o, "elapsed_ms");
	c->edges = juint(o, "edges");
	c->blocks = juint(o, "blocks");
	c->corpus = juint(o, "corpus");
	c->n_signatures = jlen(o, "signatures");
	c->n_magic = jlen(o, "magic");
	json_object_put(o);
	load_points(c, dir);
	return c;
}

void campaign_free(struct campaign *c)
{
	if (!c)
		return;
	free(c->sensor);
	free(c->points);
	free(c);
}
