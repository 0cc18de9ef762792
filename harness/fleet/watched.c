/* watched.c — the sensor watch's answer, read and measured (see watched.h). */
#include "watched.h"

#include "guesttext.h"
#include "util.h"

void watched_measure(const struct proto_watch *w, struct case_result *res)
{
	if (!judge_watch_asks(w))
		return; /* sensor.yaml asks for nothing */
	if (w->process[0] || (w->log && w->died_lines) || (w->unit[0] && w->unit_restarts >= 0))
		res->sensor_restarts = judge_watch_restarts(w);
	res->protection = judge_watch_protection(w, &res->protection_gap_ms);
}

char *watched_log_path(const char *console_path)
{
	size_t n = strlen(console_path);

	if (n > 4 && streq(console_path + n - 4, ".log"))
		n -= 4;
	return xasprintf("%.*s.sensor.log", (int)n, console_path);
}

void watched_read(const uint8_t *payload, size_t len, const char *console_path,
		  struct proto_watch *w, struct judge_input *in, struct case_result *res)
{
	const uint8_t *log;
	size_t log_len;

	in->watch = NULL;
	in->watch_malformed = false;
	if (!payload)
		return;
	if (proto_watch_decode(payload, len, w, &log, &log_len) < 0) {
		in->watch_malformed = true;
		return;
	}
	/* the agent sends at most this much (proto.h); a guest that sends more is cut, so that
	 * every case's sensor log stays bounded */
	if (log_len > PROTO_WATCH_LOG_MAX)
		log_len = PROTO_WATCH_LOG_MAX;
	/* the names and the probe's output are the guest's: they become the title and detail */
	if (judge_watch_asks(w)) {
		guesttext_clean_str(w->process, GUESTTEXT_LINE);
		guesttext_clean_str(w->probe_output, GUESTTEXT_LINE);
		guesttext_clean_str(w->unit, GUESTTEXT_LINE);
		guesttext_clean_str(w->unit_state, GUESTTEXT_LINE);
	}
	if (log_len && console_path) {
		_cleanup_free_ char *path = watched_log_path(console_path);

		res->sensor_log = write_file_atomic(path, log, log_len) == 0;
	}
	watched_measure(w, res);
	in->watch = w;
	in->sensor_log = log;
	in->sensor_log_len = log_len;
}
