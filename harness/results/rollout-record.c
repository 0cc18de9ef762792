/* rollout-record.c — a line of rollout.jsonl (see rollout-record.h). */
#include "rollout-record.h"

#include "jsonx.h"
#include "util.h"

void rollout_record_init(struct rollout_record *r)
{
	*r = (struct rollout_record){0};
	record_init(&r->record);
}

void rollout_record_finish(struct rollout_record *r)
{
	record_finish(&r->record);
	free(r->variant);
	free(r->strategy);
	free(r->ring);
	free(r->profile);
	free(r->delivery);
	rollout_record_init(r);
}

json_object *rollout_record_to_json(const struct rollout_record *r)
{
	json_object *o = record_to_json(&r->record), *ro = json_object_new_object();

	json_object_object_add(ro, "variant", jsonx_str_or_null(r->variant));
	json_object_object_add(ro, "strategy", jsonx_str_or_null(r->strategy));
	json_object_object_add(ro, "ring", jsonx_str_or_null(r->ring));
	json_object_object_add(ro, "profile", jsonx_str_or_null(r->profile));
	json_object_object_add(ro, "machine", json_object_new_int((int)r->machine));
	json_object_object_add(ro, "delivery", jsonx_str_or_null(r->delivery));
	json_object_object_add(o, "rollout", ro);
	return o;
}

int rollout_record_from_json(json_object *o, struct rollout_record *ret)
{
	struct rollout_record r;
	json_object *ro = NULL;
	int64_t machine;
	int k;

	rollout_record_init(&r);
	rollout_record_init(ret);
	if ((k = record_from_json(o, &r.record)) < 0)
		return k;
	if (!json_object_object_get_ex(o, "rollout", &ro) ||
	    !json_object_is_type(ro, json_type_object))
		ro = NULL;
	r.variant = jsonx_get_str(ro, "variant");
	r.strategy = jsonx_get_str(ro, "strategy");
	r.ring = jsonx_get_str(ro, "ring");
	r.profile = jsonx_get_str(ro, "profile");
	machine = jsonx_get_int(ro, "machine", 0);
	r.machine = machine > 0 && machine <= UINT32_MAX ? (unsigned)machine : 0;
	r.delivery = jsonx_get_str(ro, "delivery");
	*ret = r;
	return 0;
}
