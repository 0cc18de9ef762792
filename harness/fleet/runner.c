/* runner.c — one case on one ready guest: UPDATE, then watch heartbeats, the agent's RESULT,
 * lifecycle events and the console until a verdict is certain.
 *
 * Order of evidence: a kernel report on the console beats everything (the classifier decides
 * crash or hang and names it); then a stopped or silent guest; then the agent's own answer.
 */
#include "runner.h"

#include "classify.h"
#include "util.h"
#include "watch.h"

#define QUIET_MS 400

void case_result_init(struct case_result *r)
{
	memset(r, 0, sizeof(*r));
	r->agent_outcome = -1;
	r->attempt = 1;
	r->protection_gap_ms = -1;
	r->sensor_restarts = -1;
}

void case_result_finish(struct case_result *r)
{
	free(r->title);
	free(r->detail);
	free(r->report);
	free(r->agent_message);
	free(r->first_title);
	case_result_init(r);
}

void runner_drain_console(struct vm *vm, unsigned max_ms)
{
	uint64_t start = now_ms(), t;

	while ((t = now_ms()) < start + max_ms) {
		uint64_t last = vm_console_last_ms(vm);
		if (last && t - last >= QUIET_MS && t - start >= QUIET_MS)
			break;
		usleep(50 * 1000);
	}
}

void runner_judge_console(const char *console_path, enum verdict fallback_verdict,
			  const char *fallback_title, struct case_result *res)
{
	struct classify_result *cr = NULL;

	if (classify_path(console_path, &cr) == 0 && cr->verdict != CLASSIFY_CLEAN) {
		res->verdict = cr->verdict == CLASSIFY_HANG ? VERDICT_HANG : VERDICT_CRASH;
		free(res->title);
		res->title = cr->title ? xstrdup(cr->title) : NULL;
		free(res->report);
		res->report = cr->report ? xstrdup(cr->report) : NULL;
	} else {
		res->verdict = fallback_verdict;
		free(res->title);
		res->title = fallback_title ? xstrdup(fallback_title) : NULL;
	}
	classify_result_free(cr);
}

static void take_result(struct case_result *res, const struct proto_frame *f)
{
	if (f->len < 8) {
		res->agent_outcome = PROTO_OUTCOME_AGENT_ERROR;
		res->agent_message = xstrdup("faultline bug: short RESULT frame from the agent");
		return;
	}
	res->agent_outcome = (int32_t)proto_get_u32(f->payload);
	res->agent_errno = (int32_t)proto_get_u32(f->payload + 4);
	free(res->agent_message);
	res->agent_message = xstrndup((const char *)f->payload + 8, f->len - 8);
}

enum ending {
	END_HEALTHY,   /* observation window passed */
	END_STOPPED,   /* crashed / stopped / channel gone */
	END_SILENT,    /* heartbeat silence */
	END_NO_RESULT, /* heartbeats but no RESULT in time */
};

/* Heartbeat silence is a hang only if the guest had the CPU to send one: on a loaded host a
 * vCPU that got no time is not hung. The guest counts as silent once it has gone hang_ms of
 * wall time without a heartbeat and has used a quarter of that in vCPU time since the last
 * one, or once 4 x hang_ms have passed whatever its CPU time. */
static bool silent(struct vm *vm, const struct runner_timeouts *t, uint64_t hb, uint64_t hb_cpu,
		   uint64_t now)
{
	uint64_t cpu;

	if (now < hb + t->hang_ms)
		return false;
	if (now >= hb + 4ull * t->hang_ms || vm_cpu_time_ms(vm, &cpu) < 0)
		return true;
	return cpu - hb_cpu >= t->hang_ms / 4;
}

/* The window ends with the agent's WATCHED answer (watch.h), handed out in *ret_watched. */
static int watch(struct vm *vm, const struct runner_timeouts *t, uint64_t start,
		 struct case_result *res, enum ending *ret_end, uint64_t *ret_delivered,
		 struct proto_frame *ret_watched)
{
	uint64_t hb = now_ms(), hb_cpu = 0, observe_until = 0, case_until = start + t->case_ms;
	uint64_t asked_until = 0; /* WATCH sent: its answer is due by then */
	bool hb_after_result = false;

	vm_cpu_time_ms(vm, &hb_cpu);
	for (;;) {
		uint64_t now = now_ms(), deadline = hb + t->hang_ms;
		struct vm_event ev;
		int r;

		if (deadline <= now)
			deadline = now + 500; /* silent but starved: look again shortly */
		if (observe_until && hb_after_result && !asked_until && observe_until < deadline)
			deadline = observe_until;
		if (asked_until && asked_until < deadline)
			deadline = asked_until;
		if (!observe_until && case_until < deadline)
			deadline = case_until;
		r = vm_next_event(vm, deadline, &ev);
		if (r == -ECANCELED)
			return r;
		if (r == -ETIMEDOUT) {
			now = now_ms();
			if (silent(vm, t, hb, hb_cpu, now)) {
				*ret_end = END_SILENT;
				return 0;
			}
			if (observe_until && hb_after_result && now >= observe_until) {
				/* the window is over: what became of the sensor? */
				if (!asked_until && vm_send(vm, PROTO_WATCH, NULL, 0) == 0) {
					asked_until = now + t->case_ms;
					continue;
				}
				if (!asked_until || now >= asked_until) {
					*ret_end = END_HEALTHY;
					return 0;
				}
			}
			if (!observe_until && now >= case_until) {
				*ret_end = END_NO_RESULT;
				return 0;
			}
			continue;
		}
		switch (ev.type) {
		case VM_EVENT_FRAME:
			if (ev.frame.type == PROTO_HEARTBEAT) {
				hb = ev.at_ms;
				vm_cpu_time_ms(vm, &hb_cpu);
				/* proof that the guest ran after the update was handled */
				hb_after_result = observe_until != 0;
			} else if (ev.frame.type == PROTO_RESULT && !observe_until) {
				take_result(res, &ev.frame);
				*ret_delivered = ev.at_ms;
				observe_until = ev.at_ms + t->observe_ms;
			} else if (ev.frame.type == PROTO_WATCHED && asked_until) {
				*ret_watched = ev.frame;
				*ret_end = END_HEALTHY;
				return 0;
			} else if (ev.frame.type == PROTO_ERROR && !observe_until) {
				res->agent_outcome = PROTO_OUTCOME_AGENT_ERROR;
				free(res->agent_message);
				res->agent_message =
				    xasprintf("agent refused a frame: %s",
					      ev.frame.len > 4 ? (char *)ev.frame.payload + 4 : "");
				*ret_delivered = ev.at_ms;
				observe_until = ev.at_ms + t->observe_ms;
			}
			proto_frame_finish(&ev.frame);
			break;
		case VM_EVENT_PROTO_ERROR:
			/* a garbled frame from the guest: note it, the heartbeat decides health */
			if (!res->detail)
				res->detail = xasprintf("malformed frame from the guest agent: %s",
							strerror(-ev.error));
			break;
		case VM_EVENT_CRASHED:
		case VM_EVENT_STOPPED:
		case VM_EVENT_CHANNEL_EOF:
			*ret_end = END_STOPPED;
			return 0;
		}
	}
}

static void agent_verdict(struct case_result *res)
{
	switch (res->agent_outcome) {
	case PROTO_OUTCOME_ACCEPTED:
		res->verdict = VERDICT_ACCEPTED;
		break;
	case PROTO_OUTCOME_REJECTED:
		res->verdict = VERDICT_REJECTED;
		free(res->detail);
		res->detail =
		    xasprintf("sensor rejected: %s (errno %d)",
			      res->agent_message ? res->agent_message : "", res->agent_errno);
		break;
	default:
		res->verdict = VERDICT_INFRA_ERROR;
		free(res->detail);
		res->detail = xasprintf("guest agent could not deliver the update: %s",
					res->agent_message ? res->agent_message : "no message");
		break;
	}
}

int runner_run_case(struct vm *vm, const char *case_id, const uint8_t *data, size_t size,
		    const struct runner_timeouts *t, const char *console_path,
		    struct case_result *res)
{
	_cleanup_free_ char *mark = xasprintf("case %s: delivering %zu bytes", case_id, size);
	uint64_t start = now_ms(), delivered = 0;
	struct proto_frame watched = {0};
	enum ending end;
	int r;

	if (size > PROTO_MAX_PAYLOAD) {
		res->verdict = VERDICT_INFRA_ERROR;
		res->detail =
		    xasprintf("input of %zu bytes exceeds the agent protocol's limit", size);
		return 0;
	}
	if (vm_send(vm, PROTO_MARK, mark, (uint32_t)strlen(mark)) < 0 ||
	    vm_send(vm, PROTO_UPDATE, data, (uint32_t)size) < 0) {
		res->verdict = VERDICT_INFRA_ERROR;
		res->detail = xstrdup("faultline error: the agent channel closed before delivery");
		return 0;
	}
	r = watch(vm, t, start, res, &end, &delivered, &watched);
	if (r < 0)
		return r;
	if (delivered)
		res->deliver_ms = delivered - start;
	if (end != END_HEALTHY)
		runner_drain_console(vm, 3000);

	switch (end) {
	case END_STOPPED:
		runner_judge_console(console_path, VERDICT_CRASH,
				     "guest stopped without a kernel report", res);
		break;
	case END_SILENT:
		runner_judge_console(console_path, VERDICT_HANG, "hang: agent heartbeat silent",
				     res);
		break;
	case END_NO_RESULT:
		runner_judge_console(console_path, VERDICT_HANG,
				     "hang: update delivery did not complete", res);
		break;
	case END_HEALTHY:
		/* the guest looks fine; a report that did not stop it (WARNING, oops with
		 * panic_on_oops off) still makes it a crash */
		runner_judge_console(console_path, _VERDICT_MAX, NULL, res);
		if (res->verdict == _VERDICT_MAX)
			agent_verdict(res);
		watch_judge(watched.payload, watched.len, console_path, res);
		proto_frame_finish(&watched);
		break;
	}
	res->verdict_ms = now_ms() - start;
	return 0;
}
