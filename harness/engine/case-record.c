/* case-record.c — a fleet result as a record (see case-record.h). */
#include "case-record.h"

#include "config.h"
#include "judge.h"
#include "proto.h"
#include "reboot.h"
#include "results.h"
#include "util.h"
#include "watched.h"

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* What the case was: the same for every sensor it ran on. */
static void fill_case(const struct scenario_case *c, struct record *r)
{
	char sha[65];

	sha256_hex(c->data, c->size, sha);
	r->case_id = xstrdup(c->id);
	r->case_name = dup_or_null(c->name);
	r->seed = c->seed;
	r->seed_file = dup_or_null(c->seed_file);
	r->mutations = xstrdup(c->mutations_json ? c->mutations_json : "[]");
	r->input_sha256 = xstrdup(sha);
	r->input = xasprintf("inputs/%s.bin", c->id);
	r->input_size = (int64_t)c->size;
}

/* The follow-up across boots after the first crash (reboot.h). */
static void fill_reboot(const struct case_result *res, struct record_reboot *b)
{
	const struct reboot_result *rr = res->reboot;
	bool recovered = rr->outcome == VERDICT_RECOVERED;

	b->first_verdict = xstrdup(verdict_name(res->reboot_first));
	b->outcome = xstrdup(verdict_name(rr->outcome));
	b->mechanism = xstrdup(rr->mechanism ? rr->mechanism : "none");
	b->recovery_wall_ms = recovered ? (int64_t)rr->recovery_wall_ms : -1;
	b->recovery_guest_ms = recovered ? (int64_t)rr->recovery_guest_ms : -1;
	b->detail = dup_or_null(rr->detail);
	b->boots = xcalloc(rr->n_boots ? rr->n_boots : 1, sizeof(*b->boots));
	for (size_t i = 0; i < rr->n_boots; i++) {
		const struct reboot_boot *x = &rr->boots[i];
		b->boots[i] = (struct record_boot){
		    .verdict = xstrdup(verdict_name(x->verdict)),
		    .title = dup_or_null(x->title),
		    .died_at_ms = x->died_at_ms,
		    .wall_ms = (int64_t)x->wall_ms,
		    .safe = x->safe,
		    .console = dup_or_null(x->console),
		};
	}
	b->n_boots = rr->n_boots;
}

/* What happened: the verdict and the evidence. */
static void fill_result(const char *sensor, const struct scenario_case *c,
			const struct case_result *res, struct record *r)
{
	const char *expect = scenario_case_expect(c, sensor);

	r->verdict = xstrdup(verdict_name(res->verdict));
	r->kind = res->verdict;
	r->title = dup_or_null(res->title);
	r->phase = dup_or_null(res->phase);
	r->detail = dup_or_null(res->detail);
	r->report = dup_or_null(res->report);
	r->expect = dup_or_null(expect);
	r->matched = expect ? streq(expect, r->verdict) : -1;
	r->attempt = res->attempt;
	r->host = dup_or_null(res->host);
	r->host_fault = res->host_fault ? xstrdup(res->host_fault) : NULL;
	r->host_stall_ms = (int64_t)res->host_stall_ms;
	r->flaky = res->flaky;
	if (res->confirmed) { /* the first run, on a guest that had run earlier cases */
		r->reused.verdict = xstrdup(verdict_name(res->first_verdict));
		r->reused.title = dup_or_null(res->first_title);
		r->reused.console = xasprintf("consoles/%s/%s.reused.log", sensor, c->id);
	}
	if (res->reboot)
		fill_reboot(res, &r->reboot);
	r->boot_ms = (int64_t)res->boot_ms;
	r->deliver_ms = (int64_t)res->deliver_ms;
	r->verdict_ms = (int64_t)res->verdict_ms;
	r->total_ms = (int64_t)res->total_ms;
	r->agent_outcome = dup_or_null(judge_agent_outcome_name(res->agent_outcome));
	r->agent_errno = res->agent_errno;
	r->agent_message = dup_or_null(res->agent_message);
	r->frames_dropped = (int64_t)res->frames_dropped;
	r->protection = dup_or_null(res->protection);
	r->protection_gap_ms = res->protection_gap_ms;
	r->probed_after = dup_or_null(res->probed_after);
	r->sensor_restarts = res->sensor_restarts;
}

void case_record_fill(const struct record_context *ctx, const char *sensor,
		      const struct scenario_case *c, const struct case_result *res,
		      const char *console_rel, struct record *ret)
{
	struct record r;
	char ts[32];

	record_init(&r);
	results_timestamp_ago(ts, res->total_ms); /* when the case started */
	r.run_id = dup_or_null(ctx->run_id);
	r.scenario = dup_or_null(ctx->scenario);
	r.sensor = xstrdup(sensor);
	fill_case(c, &r);
	fill_result(sensor, c, res, &r);
	r.console = dup_or_null(console_rel);
	if (res->sensor_log && console_rel)
		r.sensor_log = watched_log_path(console_rel);
	r.started = xstrdup(ts);
	r.kernel = dup_or_null(ctx->kernel);
	r.kernel_name = dup_or_null(ctx->kernel_name);
	r.system = dup_or_null(ctx->system);
	r.arch = xstrdup(ctx->arch ? ctx->arch : "amd64");
	r.faultline_version = xstrdup(FAULTLINE_VERSION);
	*ret = r;
}

json_object *case_record_json(const struct record_context *ctx, const char *sensor,
			      const struct scenario_case *c, const struct case_result *res,
			      const char *console_rel)
{
	struct record r;
	json_object *o;

	case_record_fill(ctx, sensor, c, res, console_rel, &r);
	o = record_to_json(&r);
	record_finish(&r);
	return o;
}
