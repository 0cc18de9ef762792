/* record.c — the result record of a case (see record.h). */
#include "record.h"

#include "config.h"
#include "results.h"
#include "util.h"

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void add_timings(json_object *o, const struct case_result *res)
{
	json_object *t = json_object_new_object();

	json_object_object_add(t, "boot_ms", json_object_new_uint64(res->boot_ms));
	json_object_object_add(t, "deliver_ms", json_object_new_uint64(res->deliver_ms));
	json_object_object_add(t, "verdict_ms", json_object_new_uint64(res->verdict_ms));
	json_object_object_add(t, "total_ms", json_object_new_uint64(res->total_ms));
	json_object_object_add(o, "timings", t);
}

static void add_agent(json_object *o, const struct case_result *res)
{
	static const char *const outcomes[] = {"accepted", "rejected", "agent-error"};
	json_object *a = json_object_new_object();
	bool known = res->agent_outcome >= 0 && res->agent_outcome < (int)ARRAY_SIZE(outcomes);

	json_object_object_add(a, "outcome", known ? jstr(outcomes[res->agent_outcome]) : NULL);
	json_object_object_add(a, "errno", json_object_new_int(res->agent_errno));
	json_object_object_add(a, "message", jstr(res->agent_message));
	json_object_object_add(o, "agent", a);
}

/* reuse: the first run, on a guest that had run earlier cases */
static void add_reuse(json_object *o, const char *sensor, const struct scenario_case *c,
		      const struct case_result *res)
{
	_cleanup_free_ char *console = xasprintf("consoles/%s/%s.reused.log", sensor, c->id);
	json_object *r;

	json_object_object_add(o, "flaky", json_object_new_boolean(res->flaky));
	if (!res->confirmed)
		return;
	r = json_object_new_object();
	json_object_object_add(r, "verdict", jstr(verdict_name(res->first_verdict)));
	json_object_object_add(r, "title", jstr(res->first_title));
	json_object_object_add(r, "console", jstr(console));
	json_object_object_add(o, "reused_guest_run", r);
}

json_object *record_build(const struct record_context *ctx, const char *sensor,
			  const struct scenario_case *c, const struct case_result *res,
			  const char *console_rel)
{
	const char *expect = scenario_case_expect(c, sensor);
	const char *verdict = verdict_name(res->verdict);
	_cleanup_free_ char *input = xasprintf("inputs/%s.bin", c->id);
	json_object *o = json_object_new_object(), *m;
	char sha[65], ts[32];

	sha256_hex(c->data, c->size, sha);
	results_timestamp_ago(ts, res->total_ms); /* when the case started */
	m = json_tokener_parse(c->mutations_json ? c->mutations_json : "[]");
	json_object_object_add(o, "run_id", jstr(ctx->run_id));
	json_object_object_add(o, "scenario", jstr(ctx->scenario));
	json_object_object_add(o, "sensor", jstr(sensor));
	json_object_object_add(o, "case", jstr(c->id));
	json_object_object_add(o, "case_name", jstr(c->name));
	json_object_object_add(o, "seed", json_object_new_uint64(c->seed));
	json_object_object_add(o, "seed_file", jstr(c->seed_file));
	json_object_object_add(o, "mutations", m ? m : json_object_new_array());
	json_object_object_add(o, "input_sha256", jstr(sha));
	json_object_object_add(o, "input", jstr(input));
	json_object_object_add(o, "input_size", json_object_new_uint64(c->size));
	json_object_object_add(o, "verdict", jstr(verdict));
	json_object_object_add(o, "title", jstr(res->title));
	json_object_object_add(o, "detail", jstr(res->detail));
	json_object_object_add(o, "report", jstr(res->report));
	json_object_object_add(o, "console", jstr(console_rel));
	json_object_object_add(o, "expect", jstr(expect));
	json_object_object_add(o, "matched",
			       expect ? json_object_new_boolean(streq(expect, verdict)) : NULL);
	json_object_object_add(o, "attempt", json_object_new_int(res->attempt));
	/* what the host did to earlier attempts, and how long it stalled the guest */
	json_object_object_add(o, "host_fault", jstr(res->host_fault));
	json_object_object_add(o, "host_stall_ms", json_object_new_uint64(res->host_stall_ms));
	add_reuse(o, sensor, c, res);
	add_timings(o, res);
	add_agent(o, res);
	json_object_object_add(o, "started", jstr(ts));
	json_object_object_add(o, "kernel", jstr(ctx->kernel));
	json_object_object_add(o, "faultline_version", jstr(FAULTLINE_VERSION));
	return o;
}
