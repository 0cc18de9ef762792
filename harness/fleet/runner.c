/* runner.c — one case on one ready guest: UPDATE, then watch heartbeats, the agent's RESULT,
 * lifecycle events and the console until a verdict is certain.
 *
 * Order of evidence: a kernel report on the console beats everything (the classifier decides
 * crash or hang and names it); then a stopped or silent guest; then the agent's own answer.
 * What the host did is never the guest's verdict: a guest that QEMU, libvirt or a stream lost
 * is an infra-error, silence counts only while the guest had the CPU to break it, and stalls
 * of the whole guest (vCPU time not advancing) are measured for the fleet to run the case again.
 */
#include "runner.h"

#include <stdarg.h>

#include "classify.h"
#include "guesttext.h"
#include "reboot.h"
#include "util.h"
#include "watched.h"

#define QUIET_MS 400
#define STALL_SAMPLE_MS 250

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
	free(r->host_fault);
	if (r->reboot) {
		reboot_result_finish(r->reboot);
		free(r->reboot);
	}
	case_result_init(r);
}

void case_result_note_host(struct case_result *r, const char *fmt, ...)
{
	_cleanup_free_ char *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	strappendf(&r->host_fault, "\n", "%s", line);
}

void runner_stall_start(struct vm *vm, struct runner_stall *s)
{
	*s = (struct runner_stall){.moved_ms = now_ms()};
	s->sampled_ms = s->moved_ms;
	vm_cpu_time_ms(vm, &s->cpu_ms);
}

void runner_stall_sample(struct vm *vm, struct runner_stall *s)
{
	uint64_t now = now_ms(), cpu;

	if (now < s->sampled_ms + STALL_SAMPLE_MS || vm_cpu_time_ms(vm, &cpu) < 0)
		return;
	s->sampled_ms = now;
	if (cpu == s->cpu_ms) {
		/* unknown (a remote host) counts as withheld: the CPU time is all we have */
		if (!s->withheld && now - s->moved_ms >= RUNNER_STALL_MS / 2)
			s->withheld = vm_qemu_withheld(vm) != 0;
		return;
	}
	/* the guest ran again: the gap since it last did, if long, was the host's */
	if (s->withheld && now - s->moved_ms >= RUNNER_STALL_MS)
		s->total_ms += now - s->moved_ms;
	s->cpu_ms = cpu;
	s->moved_ms = now;
	s->withheld = false;
}

void runner_stall_alive(struct runner_stall *s, uint64_t at)
{
	if (at <= s->moved_ms)
		return;
	if (s->withheld && at - s->moved_ms >= RUNNER_STALL_MS)
		s->total_ms += at - s->moved_ms;
	s->moved_ms = at;
	s->withheld = false;
}

uint64_t runner_stall_ms(const struct runner_stall *s)
{
	uint64_t ongoing = s->sampled_ms - s->moved_ms;

	return s->total_ms + (s->withheld && ongoing >= RUNNER_STALL_MS ? ongoing : 0);
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

int32_t runner_frame_status(const struct proto_frame *f, int32_t short_status, char **ret_text)
{
	size_t skip = f->len < 4 ? f->len : 4;

	*ret_text = guesttext_dup(f->payload + skip, f->len - skip, GUESTTEXT_LINE);
	return f->len >= 4 ? (int32_t)proto_get_u32(f->payload) : short_status;
}

void runner_take_result(struct case_result *res, const struct proto_frame *f)
{
	free(res->agent_message);
	if (f->len < 8) {
		res->agent_outcome = PROTO_OUTCOME_AGENT_ERROR;
		res->agent_message = xstrdup("faultline bug: short RESULT frame from the agent");
		return;
	}
	res->agent_outcome = (int32_t)proto_get_u32(f->payload);
	res->agent_errno = (int32_t)proto_get_u32(f->payload + 4);
	res->agent_message = guesttext_dup(f->payload + 8, f->len - 8, GUESTTEXT_LINE);
}

enum ending {
	END_HEALTHY,   /* observation window passed */
	END_STOPPED,   /* crashed / stopped / a stream or the connection gone */
	END_SILENT,    /* heartbeat silence */
	END_NO_RESULT, /* heartbeats but no RESULT in time */
};

/* What observe_window() saw besides frames. */
struct window_state {
	/* last sign of life from the agent, and the vCPU time sampled first after it */
	uint64_t life, life_cpu;
	bool life_cpu_known;
	unsigned bad_frames;	 /* malformed frames since the update was sent */
	unsigned bad_by_kind[4]; /* bad magic, too large, bad flags, bad CRC */
	struct runner_stall stall;
};

/* Heartbeat silence is a hang only if the guest had the CPU to send one: on a loaded host a
 * vCPU that got no time is not hung. The guest counts as silent once it has gone hang_ms of
 * wall time without a sign of life (a heartbeat, or even a malformed frame: bytes come from a
 * running guest) and has used a quarter of that in vCPU time since, or once 4 x hang_ms have
 * passed whatever its CPU time (a stall that long is recorded as one, see host_silenced). */
static bool silent(struct vm *vm, const struct runner_timeouts *t, const struct window_state *w,
		   uint64_t now)
{
	uint64_t cpu;

	if (now < w->life + t->hang_ms)
		return false;
	if (now >= w->life + 4ull * t->hang_ms || vm_cpu_time_ms(vm, &cpu) < 0)
		return true;
	return w->life_cpu_known && cpu - w->life_cpu >= t->hang_ms / 4;
}

/* A sign of life asks libvirt nothing: while the agent talks, the guest evidently runs. Only a
 * quiet guest is sampled (quiet()), and its vCPU time then counts from the first sample. */
static void alive(struct window_state *w, uint64_t at)
{
	w->life = at;
	w->life_cpu_known = false;
	runner_stall_alive(&w->stall, at);
}

/* No sign of life for STALL_SAMPLE_MS: sample the vCPU time for silent() and the stall count
 * (the CPU the guest used in its first STALL_SAMPLE_MS of quiet is not counted: in doubt, a
 * guest is not called hung). */
static void quiet(struct vm *vm, struct window_state *w, uint64_t now)
{
	if (now < w->life + STALL_SAMPLE_MS)
		return;
	runner_stall_sample(vm, &w->stall);
	if (!w->life_cpu_known) {
		w->life_cpu = w->stall.cpu_ms;
		w->life_cpu_known = true;
	}
}

/* The window ends with the agent's WATCHED answer (watched.h), handed out in *ret_watched. */
static int observe_window(struct vm *vm, const struct runner_timeouts *t, uint64_t start,
			  struct window_state *w, struct case_result *res, enum ending *ret_end,
			  uint64_t *ret_delivered, struct proto_frame *ret_watched)
{
	uint64_t observe_until = 0, case_until = start + t->case_ms;
	uint64_t asked_until = 0; /* WATCH sent: its answer is due by then */
	bool hb_after_result = false;

	runner_stall_start(vm, &w->stall);
	alive(w, now_ms());
	for (;;) {
		uint64_t now = now_ms(), deadline = w->life + t->hang_ms;
		struct vm_event ev;
		int r;

		quiet(vm, w, now);
		if (deadline <= now)
			deadline = now + 500; /* silent but starved: look again shortly */
		if (observe_until && hb_after_result && !asked_until && observe_until < deadline)
			deadline = observe_until;
		if (asked_until && asked_until < deadline)
			deadline = asked_until;
		if (!observe_until && case_until < deadline)
			deadline = case_until;
		/* a quiet guest's stall shows to one who looks */
		if (deadline > now + STALL_SAMPLE_MS)
			deadline = now + STALL_SAMPLE_MS;
		r = vm_next_event(vm, deadline, &ev);
		if (r == -ECANCELED)
			return r;
		if (r == -ETIMEDOUT) {
			now = now_ms();
			if (silent(vm, t, w, now)) {
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
				alive(w, ev.at_ms);
				/* proof that the guest ran after the update was handled */
				hb_after_result = observe_until != 0;
			} else if (ev.frame.type == PROTO_RESULT && !observe_until) {
				runner_take_result(res, &ev.frame);
				*ret_delivered = ev.at_ms;
				observe_until = ev.at_ms + t->observe_ms;
			} else if (ev.frame.type == PROTO_WATCHED && asked_until) {
				*ret_watched = ev.frame;
				*ret_end = END_HEALTHY;
				return 0;
			} else if (ev.frame.type == PROTO_ERROR && !observe_until) {
				_cleanup_free_ char *why = NULL;

				runner_frame_status(&ev.frame, 0, &why);
				res->agent_outcome = PROTO_OUTCOME_AGENT_ERROR;
				free(res->agent_message);
				res->agent_message = xasprintf("agent refused a frame: %s", why);
				*ret_delivered = ev.at_ms;
				observe_until = ev.at_ms + t->observe_ms;
			}
			proto_frame_finish(&ev.frame);
			break;
		case VM_EVENT_PROTO_ERROR:
			/* a garbled frame from the guest: noted (bad_note), the heartbeat decides
			 * health */
			w->bad_by_kind[ev.error == -EMSGSIZE ? 1
				       : ev.error == -EPROTO ? 2
				       : ev.error == -EILSEQ ? 3
							     : 0]++;
			w->bad_frames++;
			alive(w, ev.at_ms);
			break;
		case VM_EVENT_CRASHED:
		case VM_EVENT_STOPPED:
		case VM_EVENT_CHANNEL_EOF:
		case VM_EVENT_CONSOLE_EOF:
		case VM_EVENT_HOST_LOST:
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
	case PROTO_OUTCOME_SENSOR_ERROR: {
		bool clean = res->agent_outcome == PROTO_OUTCOME_REJECTED;

		res->verdict = clean ? VERDICT_REJECTED : VERDICT_SENSOR_ERROR;
		free(res->detail);
		res->detail =
		    xasprintf("%s: %s (errno %d)", clean ? "sensor rejected" : "sensor error",
			      res->agent_message ? res->agent_message : "", res->agent_errno);
		break;
	}
	default:
		res->verdict = VERDICT_INFRA_ERROR;
		free(res->detail);
		res->detail = xasprintf("guest agent could not deliver the update: %s",
					res->agent_message ? res->agent_message : "no message");
		break;
	}
}

void runner_stalled(struct case_result *res, const char *when)
{
	char *why =
	    xasprintf("host error: the host stalled for %llu ms %s (the guest got no "
		      "CPU); the guest's verdict then, %s%s%s, is not trusted",
		      (unsigned long long)res->host_stall_ms, when, verdict_name(res->verdict),
		      res->title ? ": " : "", res->title ? res->title : "");

	res->verdict = VERDICT_INFRA_ERROR;
	free(res->title);
	res->title = NULL;
	free(res->detail);
	res->detail = why;
}

void runner_judge_stopped(struct vm *vm, const char *console_path, const char *fallback_title,
			  struct case_result *res)
{
	_cleanup_free_ char *reason = NULL;
	bool guest = vm_stopped_by_guest(vm, &reason);

	runner_judge_console(console_path, guest ? VERDICT_CRASH : VERDICT_INFRA_ERROR,
			     guest ? fallback_title : NULL, res);
	if (res->verdict != VERDICT_INFRA_ERROR)
		return;
	free(res->detail);
	res->detail = xasprintf("host error: %s", reason);
	res->retry = true;
}

/* For the record: what was wrong with the frames the agent sent. */
static char *bad_note(const struct window_state *w)
{
	return xasprintf("%u malformed frames from the guest agent (bad magic %u, too large %u, "
			 "bad flags %u, bad CRC %u): dropped, the verdict is from the whole ones",
			 w->bad_frames, w->bad_by_kind[0], w->bad_by_kind[1], w->bad_by_kind[2],
			 w->bad_by_kind[3]);
}

/* Without a kernel report, silence or a missing answer may still be the host's doing. Sets an
 * infra-error and returns true when it is. */
static bool host_silenced(const struct window_state *w, const struct runner_timeouts *t,
			  enum ending end, struct case_result *res)
{
	uint64_t stalled = w->stall.sampled_ms - w->stall.moved_ms;
	char *why;

	if (end == END_SILENT && w->stall.withheld && stalled >= t->hang_ms)
		why =
		    xasprintf("host error: the host stalled: the guest had got no CPU for %llu ms "
			      "when faultline gave up on it",
			      (unsigned long long)stalled);
	else if (end == END_NO_RESULT && w->bad_frames > 0)
		why = xasprintf("faultline bug: the guest agent's answer may have been lost: %u "
				"malformed frames came from it after the update",
				w->bad_frames);
	else
		return false;
	free(res->detail);
	res->detail = why;
	res->verdict = VERDICT_INFRA_ERROR;
	free(res->title);
	res->title = NULL;
	res->retry = true;
	return true;
}

const char *runner_phase(const char *console_path, const char *case_id)
{
	_cleanup_free_ char *mark = xasprintf("faultline: case %s: delivering", case_id);
	_cleanup_free_ char *line = NULL;
	_cleanup_fclose_ FILE *f = fopen(console_path, "re");
	size_t cap = 0;
	bool in_case = false, evaluating = false;

	if (!f)
		return "load";
	while (getline(&line, &cap, f) >= 0) {
		if (strstr(line, mark))
			in_case = true, evaluating = false; /* the last delivery of the case */
		else if (in_case && strstr(line, PROTO_EVALUATE_MARK))
			evaluating = true;
	}
	return evaluating ? "evaluate" : "load";
}

/* An input the agent would refuse is not sent: the guest would close the channel, and the
 * case would be retried for nothing. */
static bool too_large(size_t size, struct case_result *res)
{
	if (size <= PROTO_MAX_PAYLOAD)
		return false;
	res->verdict = VERDICT_INFRA_ERROR;
	free(res->detail);
	res->detail = xasprintf("input of %zu bytes exceeds the agent protocol's limit (%u bytes)",
				size, PROTO_MAX_PAYLOAD);
	return true;
}

int runner_run_case(struct vm *vm, const char *case_id, const uint8_t *data, size_t size,
		    const struct runner_timeouts *t, const char *console_path,
		    struct case_result *res)
{
	_cleanup_free_ char *mark = xasprintf("case %s: delivering %zu bytes", case_id, size);
	uint64_t start = now_ms(), delivered = 0, dropped;
	struct proto_frame watched = {0};
	struct window_state w = {0};
	enum ending end;
	int r;

	if (too_large(size, res))
		return 0;
	dropped = vm_frames_dropped(vm);
	if (vm_send(vm, PROTO_MARK, mark, (uint32_t)strlen(mark)) < 0 ||
	    vm_send(vm, PROTO_UPDATE, data, (uint32_t)size) < 0) {
		res->verdict = VERDICT_INFRA_ERROR;
		res->detail = xstrdup("host error: the agent channel closed before delivery");
		res->retry = true;
		return 0;
	}
	r = observe_window(vm, t, start, &w, res, &end, &delivered, &watched);
	if (r < 0)
		return r;
	if (end != END_HEALTHY)
		runner_drain_console(vm, 3000);
	if (delivered)
		res->deliver_ms = delivered - start;
	res->frames_dropped = vm_frames_dropped(vm) - dropped;
	/* a guest that stopped is not stalled: its vCPU time stands still for another reason */
	res->host_stall_ms = end == END_STOPPED ? w.stall.total_ms : runner_stall_ms(&w.stall);
	res->phase = runner_phase(console_path, case_id);

	switch (end) {
	case END_STOPPED:
		runner_judge_stopped(vm, console_path, "guest stopped without a kernel report",
				     res);
		break;
	case END_SILENT:
		runner_judge_console(console_path, VERDICT_HANG, "hang: agent heartbeat silent",
				     res);
		if (!res->report)
			host_silenced(&w, t, end, res);
		break;
	case END_NO_RESULT:
		runner_judge_console(console_path, VERDICT_HANG,
				     "hang: update delivery did not complete", res);
		if (!res->report)
			host_silenced(&w, t, end, res);
		break;
	case END_HEALTHY:
		/* the guest looks fine; a report that did not stop it (WARNING, oops with
		 * panic_on_oops off) still makes it a crash */
		runner_judge_console(console_path, _VERDICT_MAX, NULL, res);
		if (res->verdict == _VERDICT_MAX)
			agent_verdict(res);
		watched_judge(watched.payload, watched.len, console_path, res);
		proto_frame_finish(&watched);
		break;
	}
	if (w.bad_frames && !res->detail)
		res->detail = bad_note(&w);
	if (res->frames_dropped && !res->detail)
		res->detail = xasprintf("%llu frames from the guest agent dropped: it sent faster "
					"than the controller reads",
					(unsigned long long)res->frames_dropped);
	res->verdict_ms = now_ms() - start;
	return 0;
}

static void store_failed(struct case_result *res, char *detail)
{
	res->verdict = VERDICT_INFRA_ERROR;
	free(res->detail);
	res->detail = detail;
}

int runner_store(struct vm *vm, const uint8_t *data, size_t size, const struct runner_timeouts *t,
		 const char *console_path, struct case_result *res)
{
	uint64_t deadline = now_ms() + t->case_ms;

	if (too_large(size, res))
		return 1;
	if (vm_send(vm, PROTO_STORE, data, (uint32_t)size) < 0) {
		store_failed(res, xstrdup("host error: the agent channel closed before the update "
					  "could be stored"));
		res->retry = true;
		return 1;
	}
	for (;;) {
		struct vm_event ev;
		int r = vm_next_event(vm, deadline, &ev);

		if (r == -ECANCELED)
			return r;
		if (r == -ETIMEDOUT) {
			store_failed(res,
				     xasprintf("guest error: the agent did not store the update "
					       "within %u s",
					       t->case_ms / 1000));
			return 1;
		}
		if (ev.type == VM_EVENT_PROTO_ERROR)
			continue;
		if (ev.type != VM_EVENT_FRAME) {
			runner_drain_console(vm, 3000);
			runner_judge_stopped(vm, console_path,
					     "guest stopped while the update was stored", res);
			return 1;
		}
		if (ev.frame.type == PROTO_STORED) {
			_cleanup_free_ char *text = NULL;
			int32_t status = runner_frame_status(&ev.frame, EBADMSG, &text);

			if (status != 0)
				/* not the sensor's doing: the partition or the agent failed */
				store_failed(res,
					     xasprintf("guest error: cannot keep the update (%zu "
						       "bytes) on the content partition: %s: %s",
						       size, strerror(status), text));
			proto_frame_finish(&ev.frame);
			return status == 0 ? 0 : 1;
		}
		proto_frame_finish(&ev.frame);
	}
}
