/* watched.c — the sensor watch's verdict (see watched.h). */
#include "watched.h"

#include <inttypes.h>

#include "classify.h"
#include "guesttext.h"
#include "util.h"

static bool watches_process(const struct proto_watch *w)
{
	return w->process[0] != '\0';
}

static int64_t deaths(const struct proto_watch *w)
{
	return w->pid_changes > w->died_lines ? w->pid_changes : w->died_lines;
}

/* Deaths the process came back from: every death but the last, and the last too when it was
 * running at the end. Without a process to look at, only the ones known to be followed by
 * another death. */
static int restarts(const struct proto_watch *w)
{
	int64_t d = deaths(w), n;

	if (d == 0)
		return 0;
	n = d - 1 + (watches_process(w) && w->pid_at_end > 0);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

static void protection(const struct proto_watch *w, struct case_result *res)
{
	if (!w->probe || w->probes <= 0)
		return;
	if (w->probe_status == 0 && w->probe_failures == 0) {
		res->protection = "kept";
		res->protection_gap_ms = 0;
	} else if (w->probe_status == 0 && w->loss_ms >= 0 && w->restored_ms >= w->loss_ms) {
		res->protection = "restored";
		res->protection_gap_ms = w->restored_ms - w->loss_ms;
	} else {
		/* the last probe failed, or passed while the sensor died again */
		res->protection = "lost";
		res->protection_gap_ms = -1;
	}
}

static const char *name_of(const struct proto_watch *w)
{
	return watches_process(w) ? w->process : "the sensor";
}

static void died(const struct proto_watch *w, const void *log, size_t log_len,
		 struct case_result *res)
{
	struct classify_result *cr = NULL;
	int64_t d = deaths(w);
	int n = restarts(w);

	free(res->title);
	free(res->report);
	res->title = res->report = NULL;
	if (log_len && classify_userspace_buffer(log, log_len, 0, &cr) == 0 &&
	    cr->verdict != CLASSIFY_CLEAN) {
		res->title = cr->title ? xstrdup(cr->title) : NULL;
		res->report = cr->report ? xstrdup(cr->report) : NULL;
	}
	if (!res->title)
		res->title = w->log ? xasprintf("%s died without a report in its log", name_of(w))
				    : xasprintf("%s died", name_of(w));
	classify_result_free(cr);
	free(res->detail);
	res->detail = xasprintf("%s%s died %" PRId64 " %s in %" PRId64 " ms, restarted %d %s%s%s",
				d >= WATCHED_CRASH_LOOP_DEATHS ? "crash-loop: " : "", name_of(w), d,
				d == 1 ? "time" : "times", w->window_ms, n,
				n == 1 ? "time" : "times", res->protection ? "; protection " : "",
				res->protection ? res->protection : "");
	res->verdict = VERDICT_SENSOR_DIED;
}

static void blind(const struct proto_watch *w, struct case_result *res)
{
	bool rejected = res->verdict == VERDICT_REJECTED;

	free(res->detail);
	res->detail =
	    xasprintf("sensor blind: %s, then the protection probe failed "
		      "(%" PRId64 " of %" PRId64 " probes failed; last: %s)",
		      rejected ? "it rejected the update" : "it took the update", w->probe_failures,
		      w->probes, w->probe_output[0] ? w->probe_output : "no output");
	res->verdict = VERDICT_PROTECTION_LOST;
}

void watched_decide(const struct proto_watch *answer, const void *log, size_t log_len,
		    struct case_result *res)
{
	struct proto_watch clean = *answer, *w = &clean;
	bool judged = res->verdict == VERDICT_ACCEPTED || res->verdict == VERDICT_REJECTED ||
		      (res->verdict == VERDICT_INFRA_ERROR &&
		       res->agent_outcome == PROTO_OUTCOME_AGENT_ERROR);

	if (!watches_process(w) && !w->log && !w->probe)
		return; /* sensor.yaml asks for nothing */
	/* the names and the probe's output are the guest's: they become the title and detail */
	guesttext_clean_str(w->process, GUESTTEXT_LINE);
	guesttext_clean_str(w->probe_output, GUESTTEXT_LINE);
	if (watches_process(w) || (w->log && w->died_lines))
		res->sensor_restarts = restarts(w);
	protection(w, res);
	if (!judged)
		return;
	if (watches_process(w) && w->pid_at_delivery <= 0) {
		free(res->detail);
		res->detail = xasprintf("guest error: sensor process %s was not running when the "
					"update was delivered (watch process in sensor.yaml)",
					w->process);
		res->verdict = VERDICT_INFRA_ERROR;
		return;
	}
	if (deaths(w) > 0)
		died(w, log, log_len, res);
	else if (res->protection && streq(res->protection, "lost"))
		blind(w, res);
}

char *watched_log_path(const char *console_path)
{
	size_t n = strlen(console_path);

	if (n > 4 && streq(console_path + n - 4, ".log"))
		n -= 4;
	return xasprintf("%.*s.sensor.log", (int)n, console_path);
}

void watched_judge(const uint8_t *payload, size_t len, const char *console_path,
		   struct case_result *res)
{
	struct proto_watch w;
	const uint8_t *log;
	size_t log_len;

	if (!payload || proto_watch_decode(payload, len, &w, &log, &log_len) < 0) {
		if (res->verdict != VERDICT_ACCEPTED && res->verdict != VERDICT_REJECTED)
			return;
		free(res->detail);
		res->detail = xstrdup(payload ? "faultline bug: malformed WATCHED answer from the "
						"guest agent"
					      : "guest agent did not report the sensor's state at "
						"the end of the observation window");
		res->verdict = VERDICT_INFRA_ERROR;
		return;
	}
	/* the agent sends at most this much (proto.h); a guest that sends more is cut, so that
	 * every case's sensor log stays bounded */
	if (log_len > PROTO_WATCH_LOG_MAX)
		log_len = PROTO_WATCH_LOG_MAX;
	if (log_len && console_path) {
		_cleanup_free_ char *path = watched_log_path(console_path);

		res->sensor_log = write_file_atomic(path, log, log_len) == 0;
	}
	watched_decide(&w, log, log_len, res);
}
