/* rollout-summary.c — rollout.json (see rollout-summary.h). */
#include "rollout-summary.h"

#include "jsonx.h"
#include "util.h"

/* ---- freeing ---- */

static void strategy_finish(struct rollout_summary_strategy *st)
{
	for (size_t i = 0; i < st->n_down_by_profile; i++)
		free(st->down_by_profile[i].name);
	for (size_t i = 0; i < st->n_rings; i++)
		free(st->rings[i].name);
	free(st->variant);
	free(st->name);
	free(st->stopped_at);
	free(st->down_by_profile);
	free(st->rings);
	free(st->timeline);
}

void rollout_summary_finish(struct rollout_summary *s)
{
	for (size_t i = 0; i < s->n_profiles; i++) {
		free(s->profiles[i].name);
		free(s->profiles[i].sensor);
	}
	for (size_t i = 0; i < s->n_variants; i++) {
		for (size_t k = 0; k < s->variants[i].n_sensors; k++) {
			free(s->variants[i].sensors[k].key);
			free(s->variants[i].sensors[k].value);
		}
		free(s->variants[i].name);
		free(s->variants[i].sensors);
	}
	for (size_t i = 0; i < s->n_strategies; i++)
		strategy_finish(&s->strategies[i]);
	free(s->answer);
	free(s->run_id);
	free(s->scenario);
	free(s->update);
	free(s->on_gate_failure);
	free(s->profiles);
	free(s->variants);
	free(s->strategies);
	free(s->note);
	*s = (struct rollout_summary){0};
}

/* ---- writing ---- */

static json_object *tally_json(const struct rollout_summary_tally *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "updated", json_object_new_uint64(t->updated));
	json_object_object_add(o, "down", json_object_new_uint64(t->down));
	json_object_object_add(o, "crash", json_object_new_uint64(t->crash));
	json_object_object_add(o, "hang", json_object_new_uint64(t->hang));
	json_object_object_add(o, "boot_loop", json_object_new_uint64(t->boot_loop));
	json_object_object_add(o, "sensor_died", json_object_new_uint64(t->sensor_died));
	json_object_object_add(o, "protection_lost", json_object_new_uint64(t->protection_lost));
	json_object_object_add(o, "recovered", json_object_new_uint64(t->recovered));
	json_object_object_add(o, "rolled_back", json_object_new_uint64(t->rolled_back));
	json_object_object_add(o, "infra_error", json_object_new_uint64(t->infra_error));
	return o;
}

static json_object *ring_json(const struct rollout_summary_ring *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", jsonx_str_or_null(r->name));
	json_object_object_add(o, "machines", json_object_new_uint64(r->machines));
	json_object_object_add(o, "reached", json_object_new_boolean(r->reached));
	json_object_object_add(o, "start_ms", json_object_new_uint64(r->start_ms));
	json_object_object_add(o, "bake_ms", json_object_new_uint64(r->bake_ms));
	if (r->has_gate) {
		json_object *g = json_object_new_object();
		json_object_object_add(g, "at_ms", json_object_new_uint64(r->gate.at_ms));
		json_object_object_add(g, "passed", json_object_new_boolean(r->gate.passed));
		json_object_object_add(g, "down", json_object_new_uint64(r->gate.down));
		json_object_object_add(g, "allows", json_object_new_uint64(r->gate.allows));
		json_object_object_add(o, "gate", g);
	}
	json_object_object_add(o, "tally", tally_json(&r->tally));
	return o;
}

static json_object *timeline_json(const struct rollout_summary_strategy *st)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < st->n_timeline; i++) {
		json_object *p = json_object_new_array();
		json_object_array_add(p, json_object_new_uint64(st->timeline[i].t_ms));
		json_object_array_add(p, json_object_new_uint64(st->timeline[i].down));
		json_object_array_add(a, p);
	}
	return a;
}

static json_object *strategy_json(const struct rollout_summary_strategy *st)
{
	json_object *o = json_object_new_object(), *rings = json_object_new_array();
	json_object *byp = json_object_new_object();

	for (size_t i = 0; i < st->n_rings; i++)
		json_object_array_add(rings, ring_json(&st->rings[i]));
	for (size_t i = 0; i < st->n_down_by_profile; i++)
		json_object_object_add(byp, st->down_by_profile[i].name,
				       json_object_new_uint64(st->down_by_profile[i].n));
	json_object_object_add(o, "variant", jsonx_str_or_null(st->variant));
	json_object_object_add(o, "name", jsonx_str_or_null(st->name));
	json_object_object_add(o, "stopped_at", jsonx_str_or_null(st->stopped_at));
	json_object_object_add(o, "interrupted", json_object_new_boolean(st->interrupted));
	json_object_object_add(o, "wall_ms", json_object_new_uint64(st->wall_ms));
	json_object_object_add(o, "end_ms", json_object_new_uint64(st->end_ms));
	json_object_object_add(o, "total", tally_json(&st->total));
	json_object_object_add(o, "down_by_profile", byp);
	json_object_object_add(o, "rings", rings);
	json_object_object_add(o, "timeline", timeline_json(st));
	return o;
}

static json_object *profiles_json(const struct rollout_summary *s)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->n_profiles; i++) {
		const struct rollout_summary_profile *p = &s->profiles[i];
		json_object *x = json_object_new_object();
		json_object_object_add(x, "name", jsonx_str_or_null(p->name));
		json_object_object_add(x, "sensor", jsonx_str_or_null(p->sensor));
		json_object_object_add(x, "weight", json_object_new_uint64(p->weight));
		json_object_object_add(x, "machines", json_object_new_uint64(p->machines));
		json_object_array_add(a, x);
	}
	return a;
}

static json_object *variants_json(const struct rollout_summary *s)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->n_variants; i++) {
		const struct rollout_summary_variant *v = &s->variants[i];
		json_object *x = json_object_new_object(), *ps = json_object_new_object();
		for (size_t k = 0; k < v->n_sensors; k++)
			json_object_object_add(ps, v->sensors[k].key,
					       jsonx_str_or_null(v->sensors[k].value));
		json_object_object_add(x, "name", jsonx_str_or_null(v->name));
		json_object_object_add(x, "sensors", ps);
		json_object_array_add(a, x);
	}
	return a;
}

json_object *rollout_summary_to_json(const struct rollout_summary *s)
{
	json_object *o = json_object_new_object(), *strategies = json_object_new_array();

	for (size_t i = 0; i < s->n_strategies; i++)
		json_object_array_add(strategies, strategy_json(&s->strategies[i]));
	json_object_object_add(o, "answer", jsonx_str_or_null(s->answer));
	json_object_object_add(o, "run_id", jsonx_str_or_null(s->run_id));
	json_object_object_add(o, "scenario", jsonx_str_or_null(s->scenario));
	json_object_object_add(o, "seed", json_object_new_uint64(s->seed));
	json_object_object_add(o, "update", jsonx_str_or_null(s->update));
	json_object_object_add(o, "fleet", json_object_new_uint64(s->fleet));
	json_object_object_add(o, "on_gate_failure", jsonx_str_or_null(s->on_gate_failure));
	json_object_object_add(o, "profiles", profiles_json(s));
	if (s->n_variants)
		json_object_object_add(o, "variants", variants_json(s));
	json_object_object_add(o, "strategies", strategies);
	json_object_object_add(o, "wall_ms", json_object_new_uint64(s->wall_ms));
	json_object_object_add(o, "guest_runs", json_object_new_uint64(s->guest_runs));
	json_object_object_add(o, "machines_per_min", json_object_new_double(s->machines_per_min));
	json_object_object_add(o, "note", jsonx_str_or_null(s->note));
	return o;
}

int rollout_summary_write(const char *path, const struct rollout_summary *s)
{
	json_object *o = rollout_summary_to_json(s);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	int r = write_file_atomic(path, text, strlen(text));

	json_object_put(o);
	return r;
}

/* ---- reading ---- */

static json_object *member(json_object *o, const char *key, enum json_type type)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static void read_tally(json_object *o, struct rollout_summary_tally *t)
{
	*t = (struct rollout_summary_tally){
	    .updated = jsonx_get_uint(o, "updated"),
	    .down = jsonx_get_uint(o, "down"),
	    .crash = jsonx_get_uint(o, "crash"),
	    .hang = jsonx_get_uint(o, "hang"),
	    .boot_loop = jsonx_get_uint(o, "boot_loop"),
	    .sensor_died = jsonx_get_uint(o, "sensor_died"),
	    .protection_lost = jsonx_get_uint(o, "protection_lost"),
	    .recovered = jsonx_get_uint(o, "recovered"),
	    .rolled_back = jsonx_get_uint(o, "rolled_back"),
	    .infra_error = jsonx_get_uint(o, "infra_error"),
	};
}

static void read_ring(json_object *o, struct rollout_summary_ring *r)
{
	json_object *g = member(o, "gate", json_type_object);

	r->name = jsonx_get_str(o, "name");
	r->machines = jsonx_get_uint(o, "machines");
	r->reached = jsonx_get_bool(o, "reached");
	r->start_ms = jsonx_get_uint(o, "start_ms");
	r->bake_ms = jsonx_get_uint(o, "bake_ms");
	r->has_gate = g != NULL;
	r->gate = (struct rollout_summary_gate){.at_ms = jsonx_get_uint(g, "at_ms"),
						.passed = jsonx_get_bool(g, "passed"),
						.down = jsonx_get_uint(g, "down"),
						.allows = jsonx_get_uint(g, "allows")};
	read_tally(member(o, "tally", json_type_object), &r->tally);
}

/* A copy of what json-c makes of v as a string (NULL for null). */
static char *dup_string(json_object *v)
{
	const char *s = json_object_get_string(v);

	return v && s ? xstrdup(s) : NULL;
}

static void read_strategy(json_object *o, struct rollout_summary_strategy *st)
{
	json_object *rings = member(o, "rings", json_type_array);
	json_object *tl = member(o, "timeline", json_type_array);
	json_object *byp = member(o, "down_by_profile", json_type_object);

	st->variant = jsonx_get_str(o, "variant");
	st->name = jsonx_get_str(o, "name");
	st->stopped_at = jsonx_get_str(o, "stopped_at");
	st->interrupted = jsonx_get_bool(o, "interrupted");
	st->wall_ms = jsonx_get_uint(o, "wall_ms");
	st->end_ms = jsonx_get_uint(o, "end_ms");
	read_tally(member(o, "total", json_type_object), &st->total);
	st->n_rings = jsonx_len(rings);
	st->rings = xcalloc(st->n_rings + 1, sizeof(*st->rings));
	for (size_t i = 0; i < st->n_rings; i++)
		read_ring(json_object_array_get_idx(rings, i), &st->rings[i]);
	st->n_timeline = jsonx_len(tl);
	st->timeline = xcalloc(st->n_timeline + 1, sizeof(*st->timeline));
	for (size_t i = 0; i < st->n_timeline; i++) {
		json_object *p = json_object_array_get_idx(tl, i);
		st->timeline[i].t_ms = (uint64_t)json_object_get_int64(
		    jsonx_len(p) > 0 ? json_object_array_get_idx(p, 0) : NULL);
		st->timeline[i].down = (uint64_t)json_object_get_int64(
		    jsonx_len(p) > 1 ? json_object_array_get_idx(p, 1) : NULL);
	}
	st->down_by_profile =
	    xcalloc(byp ? json_object_object_length(byp) + 1 : 1, sizeof(*st->down_by_profile));
	if (byp) {
		json_object_object_foreach(byp, name, v)
		{
			st->down_by_profile[st->n_down_by_profile++] =
			    (struct rollout_summary_count){.name = xstrdup(name),
							   .n = (uint64_t)json_object_get_int64(v)};
		}
	}
}

static void read_profiles(json_object *a, struct rollout_summary *s)
{
	s->n_profiles = jsonx_len(a);
	s->profiles = xcalloc(s->n_profiles + 1, sizeof(*s->profiles));
	for (size_t i = 0; i < s->n_profiles; i++) {
		json_object *p = json_object_array_get_idx(a, i);
		s->profiles[i] = (struct rollout_summary_profile){
		    .name = jsonx_get_str(p, "name"),
		    .sensor = jsonx_get_str(p, "sensor"),
		    .weight = jsonx_get_uint(p, "weight"),
		    .machines = jsonx_get_uint(p, "machines"),
		};
	}
}

static void read_variants(json_object *a, struct rollout_summary *s)
{
	s->n_variants = jsonx_len(a);
	s->variants = xcalloc(s->n_variants + 1, sizeof(*s->variants));
	for (size_t i = 0; i < s->n_variants; i++) {
		json_object *v = json_object_array_get_idx(a, i);
		json_object *ps = member(v, "sensors", json_type_object);
		struct rollout_summary_variant *x = &s->variants[i];

		x->name = jsonx_get_str(v, "name");
		x->sensors =
		    xcalloc(ps ? json_object_object_length(ps) + 1 : 1, sizeof(*x->sensors));
		if (!ps)
			continue;
		json_object_object_foreach(ps, profile, sensor)
		{
			x->sensors[x->n_sensors++] = (struct rollout_summary_pair){
			    .key = xstrdup(profile), .value = dup_string(sensor)};
		}
	}
}

int rollout_summary_from_json(json_object *o, struct rollout_summary *ret)
{
	struct rollout_summary s = {0};
	json_object *strategies = member(o, "strategies", json_type_array), *v;

	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	s.answer = jsonx_get_str(o, "answer");
	s.run_id = jsonx_get_str(o, "run_id");
	s.scenario = jsonx_get_str(o, "scenario");
	s.seed = jsonx_get_uint(o, "seed");
	s.update = jsonx_get_str(o, "update");
	s.fleet = jsonx_get_uint(o, "fleet");
	s.on_gate_failure = jsonx_get_str(o, "on_gate_failure");
	read_profiles(member(o, "profiles", json_type_array), &s);
	read_variants(member(o, "variants", json_type_array), &s);
	s.n_strategies = jsonx_len(strategies);
	s.strategies = xcalloc(s.n_strategies + 1, sizeof(*s.strategies));
	for (size_t i = 0; i < s.n_strategies; i++)
		read_strategy(json_object_array_get_idx(strategies, i), &s.strategies[i]);
	s.wall_ms = jsonx_get_uint(o, "wall_ms");
	s.guest_runs = jsonx_get_uint(o, "guest_runs");
	s.machines_per_min =
	    json_object_object_get_ex(o, "machines_per_min", &v) ? json_object_get_double(v) : 0;
	s.note = jsonx_get_str(o, "note");
	*ret = s;
	return 0;
}

int rollout_summary_read(const char *path, struct rollout_summary *ret)
{
	_cleanup_free_ uint8_t *text = NULL;
	json_object *o;
	size_t n;
	int r;

	if ((r = read_file(path, 64u << 20, &text, &n)) < 0)
		return r;
	if (!(o = json_tokener_parse((const char *)text)))
		return -EINVAL;
	r = rollout_summary_from_json(o, ret);
	json_object_put(o);
	return r;
}
