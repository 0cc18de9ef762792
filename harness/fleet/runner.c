/* runner.c — one case on one ready guest: UPDATE, then watch heartbeats, the agent's RESULT,
 * lifecycle events and the console until a verdict is certain, and hand what was seen to the
 * judge (judge.h holds the order of evidence).
 *
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

/* The guest stopped (a panic, a crash) while it looked withheld: QEMU's stream was still
 * carrying its console, so if the guest wrote there after it was last seen to run, it ran again
 * and the stall ended by then. That is how a host stall usually ends for a kernel spinning in a
 * sensor: the guest's clock jumps, its lockup detector fires and it panics within a sample's
 * time, before a sample shows its vCPU time moving again. (A guest that stopped for its own
 * reason wrote nothing after its vCPU time stood still.) */
static uint64_t stall_at_stop(struct vm *vm, const struct runner_stall *s)
{
	uint64_t last = vm_console_last_ms(vm);

	if (s->withheld && last > s->moved_ms && last - s->moved_ms >= RUNNER_STALL_MS)
		return s->total_ms + (last - s->moved_ms);
	return s->total_ms;
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

void case_result_take(struct case_result *res, struct judgement *j)
{
	res->verdict = j->verdict;
	free(res->title);
	res->title = TAKE_PTR(j->title);
	free(res->detail);
	res->detail = TAKE_PTR(j->detail);
	free(res->report);
	res->report = TAKE_PTR(j->report);
	res->retry |= j->retry;
}

void runner_judge(struct judge_input *in, const char *console_path, struct case_result *res)
{
	struct classify_result *cr = NULL;
	struct judgement j;

	if (console_path && classify_path(console_path, &cr) == 0)
		in->console = cr;
	judge_decide(in, &j);
	in->console = NULL;
	classify_result_free(cr);
	case_result_take(res, &j);
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
	/* WATCH to WATCHED: when, and the vCPU's wait for a host CPU then (vm_vcpu_wait_ms) */
	uint64_t asked_at, answered_at, wait_asked, wait_answered;
	bool wait_known;
};

/* Heartbeat silence is a hang only if the guest had the CPU to send one: on a loaded host a
 * vCPU that got no time is not hung. The guest counts as silent once it has gone hang_ms of
 * wall time without a sign of life (a heartbeat, or even a malformed frame: bytes come from a
 * running guest) and has used a quarter of that in vCPU time since, or once 4 x hang_ms have
 * passed whatever its CPU time (a stall that long is recorded as one, see judge.h's silent rows).
 */
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

/* WATCH in mode (enum proto_watch_mode; the final probe: no payload, as before modes). */
static int send_watch(struct vm *vm, uint32_t mode, uint32_t arg)
{
	uint8_t args[PROTO_WATCH_ARGS_SIZE];

	if (mode == PROTO_WATCH_FINAL)
		return vm_send(vm, PROTO_WATCH, NULL, 0);
	proto_put_u32(args, mode);
	proto_put_u32(args + 4, arg);
	return vm_send(vm, PROTO_WATCH, args, sizeof(args));
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
				if (!asked_until && send_watch(vm,
							       t->no_probe ? PROTO_WATCH_NO_PROBE
									   : PROTO_WATCH_FINAL,
							       0) == 0) {
					asked_until = now + t->case_ms;
					w->asked_at = now;
					w->wait_known = vm_vcpu_wait_ms(vm, &w->wait_asked) == 0;
					res->watch_ms = now - start;
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
				res->watched_ms = ev.at_ms - start;
				w->answered_at = ev.at_ms;
				w->wait_known &= vm_vcpu_wait_ms(vm, &w->wait_answered) == 0;
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
			/* a garbled frame from the guest: noted (the judge counts them), the
			 * heartbeat decides health */
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

/* The final probe timed out while the host kept the guest's vCPU waiting for a CPU a quarter
 * of that time or more: the timeout measured the host's load, not the sensor. The agent runs it
 * once more, its timeout scaled to the share of the CPU the guest got (half when the host's
 * processes cannot be seen). Returns 1 when the guest stopped meanwhile (*ret_end), 0, or
 * -ECANCELED; the new answer replaces *watched. */
static int probe_again(struct vm *vm, const struct runner_timeouts *t, const struct window_state *w,
		       struct proto_frame *watched, struct case_result *res)
{
	uint64_t span = w->answered_at - w->asked_at, waited = 0, share = 500, until;
	const uint8_t *log;
	size_t log_len;
	struct proto_watch pw;

	if (proto_watch_decode(watched->payload, watched->len, &pw, &log, &log_len) < 0 ||
	    !pw.probe || pw.probe_status != -ETIME)
		return 0;
	if (w->wait_known) {
		waited = w->wait_answered - w->wait_asked;
		if (!span || waited * 4 < span)
			return 0; /* the guest had the CPU: the probe itself took too long */
		share = (span - waited) * 1000 / span;
	}
	if (send_watch(vm, PROTO_WATCH_AGAIN, (uint32_t)share) < 0)
		return 0;
	case_result_note_host(
	    res,
	    "the final protection probe timed out while the host withheld the "
	    "guest's CPU (%s%llu of %llu ms): probed again, its timeout scaled to "
	    "the %llu%% of the CPU the guest got",
	    w->wait_known ? "" : "unseen, assumed ", (unsigned long long)waited,
	    (unsigned long long)span, (unsigned long long)share / 10);
	until = now_ms() + t->case_ms;
	for (;;) {
		struct vm_event ev;
		int r = vm_next_event(vm, until, &ev);

		if (r == -ECANCELED)
			return r;
		if (r < 0)
			return 0; /* no second answer: the first stands */
		switch (ev.type) {
		case VM_EVENT_FRAME:
			if (ev.frame.type == PROTO_WATCHED) {
				proto_frame_finish(watched);
				*watched = ev.frame;
				return 0;
			}
			proto_frame_finish(&ev.frame);
			break;
		case VM_EVENT_PROTO_ERROR:
			break;
		default:
			return 1; /* the guest stopped during the probe: the case's end */
		}
	}
}

void runner_failed(struct case_result *res, char *why, bool retry)
{
	struct judge_input in = {.failed = true, .failed_why = why, .failed_retry = retry};

	runner_judge(&in, NULL, res);
	free(why);
}

void runner_stalled(struct case_result *res, const char *when)
{
	struct judgement seen = {
	    .verdict = res->verdict, .title = res->title, .report = res->report};
	struct judgement j;

	judge_stalled(&seen, res->host_stall_ms, when, &j);
	case_result_take(res, &j);
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

/* The case's facts besides the console, for the judge. */
static void case_facts(struct vm *vm, const struct runner_timeouts *t, enum ending end,
		       const struct window_state *w, struct judge_input *in, char **ret_how)
{
	static const enum judge_end ends[] = {
	    [END_HEALTHY] = JUDGE_DONE,
	    [END_STOPPED] = JUDGE_STOPPED,
	    [END_SILENT] = JUDGE_SILENT,
	    [END_NO_RESULT] = JUDGE_NO_ANSWER,
	};

	in->step = JUDGE_CASE;
	in->end = ends[end];
	in->hang_ms = t->hang_ms;
	if (end == END_STOPPED && !vm_stopped_by_guest(vm, ret_how))
		in->stopped_by_host = *ret_how;
	if (w->stall.withheld)
		in->withheld_ms = w->stall.sampled_ms - w->stall.moved_ms;
	in->bad_frames = w->bad_frames;
	memcpy(in->bad_by_kind, w->bad_by_kind, sizeof(in->bad_by_kind));
}

/* An input the agent would refuse is not sent: the guest would close the channel, and the
 * case would be retried for nothing. */
static bool too_large(size_t size, struct case_result *res)
{
	if (size <= PROTO_MAX_PAYLOAD)
		return false;
	runner_failed(res,
		      xasprintf("input of %zu bytes exceeds the agent protocol's limit (%u bytes)",
				size, PROTO_MAX_PAYLOAD),
		      false);
	return true;
}

int runner_run_case(struct vm *vm, const char *case_id, const uint8_t *data, size_t size,
		    const struct runner_timeouts *t, const char *console_path,
		    struct case_result *res)
{
	_cleanup_free_ char *mark = xasprintf("case %s: delivering %zu bytes", case_id, size);
	_cleanup_free_ char *how = NULL;
	uint64_t start = now_ms(), delivered = 0, dropped;
	struct proto_frame watched = {0};
	struct proto_watch pw;
	struct window_state w = {0};
	struct judge_input in = {.step = JUDGE_CASE};
	enum ending end;
	int r;

	if (too_large(size, res))
		return 0;
	dropped = vm_frames_dropped(vm);
	if (vm_send(vm, PROTO_MARK, mark, (uint32_t)strlen(mark)) < 0 ||
	    vm_send(vm, PROTO_UPDATE, data, (uint32_t)size) < 0) {
		runner_failed(res, xstrdup("host error: the agent channel closed before delivery"),
			      true);
		return 0;
	}
	r = observe_window(vm, t, start, &w, res, &end, &delivered, &watched);
	if (r == 0 && end == END_HEALTHY && watched.payload)
		r = probe_again(vm, t, &w, &watched, res);
	if (r == 1)
		end = END_STOPPED, r = 0;
	if (r < 0) {
		proto_frame_finish(&watched);
		return r;
	}
	if (end != END_HEALTHY)
		runner_drain_console(vm, 3000);
	if (delivered)
		res->deliver_ms = delivered - start;
	res->frames_dropped = vm_frames_dropped(vm) - dropped;
	/* a guest that stopped is not stalled: its vCPU time stands still for another reason */
	res->host_stall_ms =
	    end == END_STOPPED ? stall_at_stop(vm, &w.stall) : runner_stall_ms(&w.stall);
	res->phase = runner_phase(console_path, case_id);
	case_facts(vm, t, end, &w, &in, &how);
	in.agent_outcome = res->agent_outcome;
	in.agent_errno = res->agent_errno;
	in.agent_message = res->agent_message;
	in.frames_dropped = res->frames_dropped;
	/* the guest looks fine: the agent's answer and the watch decide, unless the console
	 * holds a report that did not stop it (WARNING, oops with panic_on_oops off) */
	if (end == END_HEALTHY)
		watched_read(watched.payload, watched.len, console_path, &pw, &in, res);
	runner_judge(&in, console_path, res);
	proto_frame_finish(&watched);
	res->verdict_ms = now_ms() - start;
	return 0;
}

int runner_store(struct vm *vm, const uint8_t *data, size_t size, const struct runner_timeouts *t,
		 const char *console_path, struct case_result *res)
{
	uint64_t deadline = now_ms() + t->case_ms;
	struct judge_input in = {.step = JUDGE_STORE};

	if (too_large(size, res))
		return 1;
	if (vm_send(vm, PROTO_STORE, data, (uint32_t)size) < 0) {
		runner_failed(
		    res,
		    xstrdup("host error: the agent channel closed before the update could "
			    "be stored"),
		    true);
		return 1;
	}
	for (;;) {
		_cleanup_free_ char *how = NULL;
		struct vm_event ev;
		int r = vm_next_event(vm, deadline, &ev);

		if (r == -ECANCELED)
			return r;
		if (r == -ETIMEDOUT) {
			runner_failed(res,
				      xasprintf("guest error: the agent did not store the update "
						"within %u s",
						t->case_ms / 1000),
				      false);
			return 1;
		}
		if (ev.type == VM_EVENT_PROTO_ERROR)
			continue;
		if (ev.type != VM_EVENT_FRAME) {
			runner_drain_console(vm, 3000);
			in.end = JUDGE_STOPPED;
			if (!vm_stopped_by_guest(vm, &how))
				in.stopped_by_host = how;
			runner_judge(&in, console_path, res);
			return 1;
		}
		if (ev.frame.type == PROTO_STORED) {
			_cleanup_free_ char *text = NULL;
			int32_t status = runner_frame_status(&ev.frame, EBADMSG, &text);

			/* not the sensor's doing: the partition or the agent failed */
			if (status != 0)
				runner_failed(res,
					      xasprintf("guest error: cannot keep the update (%zu "
							"bytes) on the content partition: %s: %s",
							size, strerror(status), text),
					      false);
			proto_frame_finish(&ev.frame);
			return status == 0 ? 0 : 1;
		}
		proto_frame_finish(&ev.frame);
	}
}
