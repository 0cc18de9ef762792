/* judge.c — the verdict table (see judge.h). Each step's rows are one function, in the order
 * the table lists them. */
#include "judge.h"

#include <inttypes.h>

#include "util.h"

static void set(struct judgement *j, enum verdict v, const char *title, char *detail)
{
	j->verdict = v;
	j->title = title ? xstrdup(title) : NULL;
	j->detail = detail;
}

static void infra(struct judgement *j, char *detail, bool retry)
{
	set(j, VERDICT_INFRA_ERROR, NULL, detail);
	j->retry = retry;
}

static bool has_report(const struct judge_input *in)
{
	return in->console && in->console->verdict != CLASSIFY_CLEAN;
}

/* The classifier decides crash or hang, and names it. */
static void from_report(const struct judge_input *in, struct judgement *j)
{
	const struct classify_result *cr = in->console;

	set(j, cr->verdict == CLASSIFY_HANG ? VERDICT_HANG : VERDICT_CRASH, cr->title, NULL);
	j->report = cr->report ? xstrdup(cr->report) : NULL;
}

/* A guest that ended without a report: the host's doing is an infra-error (retried), the
 * guest's own a crash. */
static void stopped(const struct judge_input *in, const char *title, struct judgement *j)
{
	if (in->stopped_by_host)
		infra(j, xasprintf("host error: %s", in->stopped_by_host), true);
	else
		set(j, VERDICT_CRASH, title, NULL);
}

/* Before READY: before HELLO only the kernel and the emulator ran, so nothing is the sensor's
 * doing; after it the sensor was being started, and a report is its crash at load. */
static void boot(const struct judge_input *in, struct judgement *j)
{
	if (in->end == JUDGE_DONE) {
		j->verdict = _VERDICT_MAX;
		return;
	}
	if (has_report(in) && in->hello) {
		from_report(in, j);
		j->detail = xstrdup("while the sensor was being started, before the update");
		return;
	}
	if (has_report(in) && in->console->title)
		infra(j, xasprintf("guest kernel failed to boot: %s", in->console->title), true);
	else if (in->end == JUDGE_STOPPED && in->stopped_by_host)
		infra(j, xasprintf("host error: %s", in->stopped_by_host), true);
	else if (in->end == JUDGE_STOPPED)
		infra(j, xstrdup("guest stopped during boot without a kernel report"), true);
	else
		infra(j,
		      xasprintf(
			  "guest did not become ready within %u s%s", in->boot_ms / 1000,
			  in->hello	       ? ""
			  : in->console_empty  ? ": its console stayed empty (no kernel started)"
			  : in->kernel_started ? ": a kernel started, its agent never said HELLO"
					       : ""),
		      true);
	if (has_report(in))
		j->report = in->console->report ? xstrdup(in->console->report) : NULL;
}

/* A boot of a crashed persistent guest: one more crash, or the way out of the loop. */
static void reboot(const struct judge_input *in, struct judgement *j)
{
	if (in->end == JUDGE_DONE)
		set(j, VERDICT_ACCEPTED, NULL, NULL);
	else if (!in->hello)
		infra(j,
		      xstrdup(in->stopped_by_host ? in->stopped_by_host
						  : "the guest kernel did not reach the agent: "
						    "not the sensor's doing"),
		      false);
	else if (has_report(in))
		from_report(in, j);
	else if (in->end == JUDGE_STOPPED && in->stopped_by_host)
		infra(j, xstrdup(in->stopped_by_host), false);
	else if (in->end == JUDGE_STOPPED)
		set(j, VERDICT_CRASH, "guest stopped during boot without a kernel report", NULL);
	else
		set(j, VERDICT_HANG, "hang: the boot did not complete", NULL);
}

static void store(const struct judge_input *in, struct judgement *j)
{
	if (in->end == JUDGE_DONE)
		j->verdict = _VERDICT_MAX;
	else if (has_report(in))
		from_report(in, j);
	else
		stopped(in, "guest stopped while the update was stored", j);
}

/* The agent's own answer, for a guest that stayed healthy through the window. */
static void agent(const struct judge_input *in, struct judgement *j)
{
	const char *msg = in->agent_message;

	switch (in->agent_outcome) {
	case PROTO_OUTCOME_ACCEPTED:
		set(j, VERDICT_ACCEPTED, NULL, NULL);
		break;
	case PROTO_OUTCOME_REJECTED:
	case PROTO_OUTCOME_SENSOR_ERROR: {
		bool clean = in->agent_outcome == PROTO_OUTCOME_REJECTED;

		set(j, clean ? VERDICT_REJECTED : VERDICT_SENSOR_ERROR, NULL,
		    xasprintf("%s: %s (errno %d)", clean ? "sensor rejected" : "sensor error",
			      msg ? msg : "", in->agent_errno));
		break;
	}
	default:
		infra(j,
		      xasprintf("guest agent could not deliver the update: %s",
				msg ? msg : "no message"),
		      false);
		break;
	}
}

/* systemd counted its restarts of a watched unit: each one followed a death */
static bool unit_counted(const struct proto_watch *w)
{
	return w->unit[0] && w->unit_restarts >= 0;
}

int64_t judge_watch_deaths(const struct proto_watch *w)
{
	int64_t d = w->pid_changes > w->died_lines ? w->pid_changes : w->died_lines;

	return unit_counted(w) && w->unit_restarts > d ? w->unit_restarts : d;
}

static bool watches_process(const struct proto_watch *w)
{
	return w->process[0] != '\0';
}

/* Every death but the last, and the last too when the process was running at the end.
 * Without a process to look at, only the ones known to be followed by another death. */
int judge_watch_restarts(const struct proto_watch *w)
{
	int64_t d = judge_watch_deaths(w), n;

	if (d == 0)
		return 0;
	if (unit_counted(w)) /* systemd's own count (NRestarts) */
		return w->unit_restarts > INT32_MAX ? INT32_MAX : (int)w->unit_restarts;
	n = d - 1 + (watches_process(w) && w->pid_at_end > 0);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

const char *judge_watch_protection(const struct proto_watch *w, int64_t *ret_gap_ms)
{
	if (!w->probe || w->probes <= 0)
		return NULL;
	if (w->probe_status == 0 && w->probe_failures == 0) {
		*ret_gap_ms = 0;
		return "kept";
	}
	if (w->probe_status == 0 && w->loss_ms >= 0 && w->restored_ms >= w->loss_ms) {
		*ret_gap_ms = w->restored_ms - w->loss_ms;
		return "restored";
	}
	/* the last probe failed, or passed while the sensor died again */
	*ret_gap_ms = -1;
	return "lost";
}

bool judge_watch_asks(const struct proto_watch *w)
{
	return watches_process(w) || w->log || w->probe || w->unit[0];
}

static const char *name_of(const struct proto_watch *w)
{
	return watches_process(w) ? w->process : "the sensor";
}

/* The title from the sensor's log when it reports the death (classify_userspace). */
static void died(const struct judge_input *in, const char *protection, struct judgement *j)
{
	const struct proto_watch *w = in->watch;
	struct classify_result *cr = NULL;
	int64_t d = judge_watch_deaths(w);
	int n = judge_watch_restarts(w);

	judgement_finish(j);
	if (in->sensor_log_len &&
	    classify_userspace_buffer(in->sensor_log, in->sensor_log_len, 0, &cr) == 0 &&
	    cr->verdict != CLASSIFY_CLEAN) {
		j->title = cr->title ? xstrdup(cr->title) : NULL;
		j->report = cr->report ? xstrdup(cr->report) : NULL;
	}
	if (!j->title)
		j->title = w->log ? xasprintf("%s died without a report in its log", name_of(w))
				  : xasprintf("%s died", name_of(w));
	classify_result_free(cr);
	_cleanup_free_ char *by =
	    unit_counted(w) ? xasprintf(" by systemd (%s %s)", w->unit,
					w->unit_state[0] ? w->unit_state : "state unknown")
			    : NULL;
	j->detail = xasprintf("%s%s died %" PRId64 " %s in %" PRId64 " ms, restarted %d %s%s%s%s",
			      d >= JUDGE_CRASH_LOOP_DEATHS ? "crash-loop: " : "", name_of(w), d,
			      d == 1 ? "time" : "times", w->window_ms, n, n == 1 ? "time" : "times",
			      by ? by : "", protection ? "; protection " : "",
			      protection ? protection : "");
	j->verdict = VERDICT_SENSOR_DIED;
}

static void blind(const struct proto_watch *w, struct judgement *j)
{
	bool rejected = j->verdict == VERDICT_REJECTED;

	free(j->detail);
	j->detail =
	    xasprintf("sensor blind: %s, then the protection probe failed "
		      "(%" PRId64 " of %" PRId64 " probes failed; last: %s)",
		      rejected ? "it rejected the update" : "it took the update", w->probe_failures,
		      w->probes, w->probe_output[0] ? w->probe_output : "no output");
	j->verdict = VERDICT_PROTECTION_LOST;
}

/* The watch over the agent's verdict: only a verdict the kernel did not give (accepted,
 * rejected, or a delivery that failed, which a death explains) is the watch's to change. */
static void watched(const struct judge_input *in, struct judgement *j)
{
	const struct proto_watch *w = in->watch;
	bool judged =
	    j->verdict == VERDICT_ACCEPTED || j->verdict == VERDICT_REJECTED ||
	    (j->verdict == VERDICT_INFRA_ERROR && in->agent_outcome == PROTO_OUTCOME_AGENT_ERROR);
	const char *protection;
	int64_t gap;

	if (!w) {
		if (j->verdict != VERDICT_ACCEPTED && j->verdict != VERDICT_REJECTED)
			return;
		judgement_finish(j);
		infra(j,
		      xstrdup(in->watch_malformed
				  ? "faultline bug: malformed WATCHED answer from the guest agent"
				  : "guest agent did not report the sensor's state at the end of "
				    "the observation window"),
		      false);
		return;
	}
	if (!judge_watch_asks(w) || !judged)
		return;
	protection = judge_watch_protection(w, &gap);
	if (watches_process(w) && w->pid_at_delivery <= 0) {
		judgement_finish(j);
		infra(j,
		      xasprintf("guest error: sensor process %s was not running when the update "
				"was delivered (watch process in sensor.yaml)",
				w->process),
		      false);
	} else if (judge_watch_deaths(w) > 0)
		died(in, protection, j);
	else if (protection && streq(protection, "lost"))
		blind(w, j);
}

static void silent(const struct judge_input *in, struct judgement *j)
{
	if (in->withheld_ms && in->withheld_ms >= in->hang_ms)
		infra(j,
		      xasprintf("host error: the host stalled: the guest had got no CPU for %llu "
				"ms when faultline gave up on it",
				(unsigned long long)in->withheld_ms),
		      true);
	else
		set(j, VERDICT_HANG, "hang: agent heartbeat silent", NULL);
}

static void no_answer(const struct judge_input *in, struct judgement *j)
{
	if (in->bad_frames > 0)
		infra(j,
		      xasprintf("faultline bug: the guest agent's answer may have been lost: %u "
				"malformed frames came from it after the update",
				in->bad_frames),
		      true);
	else
		set(j, VERDICT_HANG, "hang: update delivery did not complete", NULL);
}

/* Evidence, strongest first: a kernel report, a stopped or silent guest, the agent's answer
 * and what the watch saw. */
static void run_case(const struct judge_input *in, struct judgement *j)
{
	if (has_report(in))
		from_report(in, j);
	else if (in->end == JUDGE_STOPPED)
		stopped(in, "guest stopped without a kernel report", j);
	else if (in->end == JUDGE_SILENT)
		silent(in, j);
	else if (in->end == JUDGE_NO_ANSWER)
		no_answer(in, j);
	else
		agent(in, j);
	if (in->end == JUDGE_DONE && !has_report(in))
		watched(in, j);
	if (in->bad_frames && !j->detail)
		j->detail = xasprintf(
		    "%u malformed frames from the guest agent (bad magic %u, too large %u, bad "
		    "flags %u, bad CRC %u): dropped, the verdict is from the whole ones",
		    in->bad_frames, in->bad_by_kind[0], in->bad_by_kind[1], in->bad_by_kind[2],
		    in->bad_by_kind[3]);
	if (in->frames_dropped && !j->detail)
		j->detail =
		    xasprintf("%llu frames from the guest agent dropped: it sent faster than "
			      "the controller reads",
			      (unsigned long long)in->frames_dropped);
}

void judge_decide(const struct judge_input *in, struct judgement *ret)
{
	*ret = (struct judgement){.verdict = _VERDICT_MAX};
	if (in->failed) {
		infra(ret, in->failed_why ? xstrdup(in->failed_why) : NULL, in->failed_retry);
		return;
	}
	switch (in->step) {
	case JUDGE_BOOT:
		boot(in, ret);
		break;
	case JUDGE_STORE:
		store(in, ret);
		break;
	case JUDGE_CASE:
		run_case(in, ret);
		break;
	case JUDGE_REBOOT:
		reboot(in, ret);
		break;
	}
}

void judge_stalled(const struct judgement *seen, uint64_t stall_ms, const char *when,
		   struct judgement *ret)
{
	*ret = (struct judgement){.verdict = VERDICT_INFRA_ERROR};
	ret->detail = xasprintf("host error: the host stalled for %llu ms %s (the guest got no "
				"CPU); the guest's verdict then, %s%s%s, is not trusted",
				(unsigned long long)stall_ms, when, verdict_name(seen->verdict),
				seen->title ? ": " : "", seen->title ? seen->title : "");
	ret->report = seen->report ? xstrdup(seen->report) : NULL;
}

enum verdict judge_follow_up(enum verdict boot, bool safe, unsigned crashes_in_a_row, unsigned loop)
{
	if (boot == VERDICT_INFRA_ERROR)
		return VERDICT_INFRA_ERROR;
	if (boot == VERDICT_ACCEPTED)
		return safe ? _VERDICT_MAX : VERDICT_RECOVERED;
	return crashes_in_a_row >= loop ? VERDICT_BOOT_LOOP : _VERDICT_MAX;
}

enum verdict judge_persisted(enum verdict crash, enum verdict follow_up)
{
	return follow_up == VERDICT_INFRA_ERROR ? crash : follow_up;
}

void judgement_finish(struct judgement *j)
{
	free(j->title);
	free(j->detail);
	free(j->report);
	j->title = j->detail = j->report = NULL;
}

const char *judge_agent_outcome_name(int outcome)
{
	switch (outcome) {
	case PROTO_OUTCOME_ACCEPTED:
		return verdict_name(VERDICT_ACCEPTED);
	case PROTO_OUTCOME_REJECTED:
		return verdict_name(VERDICT_REJECTED);
	case PROTO_OUTCOME_SENSOR_ERROR:
		return verdict_name(VERDICT_SENSOR_ERROR);
	case PROTO_OUTCOME_AGENT_ERROR:
		return "agent-error";
	default:
		return NULL; /* the agent never answered */
	}
}
