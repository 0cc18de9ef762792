/* watched.h — what became of the sensor during a case the kernel survived, and what that does to
 * the verdict: the agent's WATCHED answer (harness/base/proto.h, made by guests/agent/watch.c)
 * at the end of the observation window, read as sensor.yaml's watch and probe keys ask.
 *
 * The rules, in order, for a case whose verdict so far is accepted or rejected (or an
 * infra-error of the agent's delivery, which a death explains):
 *   the watched process was not running when the update arrived   infra-error (not the
 *                                                                 sensor's verdict to give)
 *   it died (pid gone or replaced, or the log's death text)       sensor-died; the title from
 *                                                                 the log (classify_userspace),
 *                                                                 detail "crash-loop: ..." from
 *                                                                 WATCHED_CRASH_LOOP_DEATHS on
 *   alive, but the last probe failed                              protection-lost
 * Any other verdict (a kernel report on a guest that kept running) stays; the protection
 * fields are filled whatever the verdict:
 *   protection  kept (every probe passed), restored (one failed, the last passed: the gap is
 *               from the first death or failed probe to the end of the first probe that
 *               passed after it), lost (the last probe failed); NULL without a probe
 *   sensor_restarts  the deaths after which the process was seen again (-1: not watched)
 *
 * Ownership: nothing is kept; strings put in the result are the result's.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "runner.h"

/* Deaths in one window that make a sensor death a crash loop: the supervisor brought it back
 * at least twice and the same content (or the next event) killed it again each time. */
#define WATCHED_CRASH_LOOP_DEATHS 3

/* Decide from a decoded answer and the log bytes it carried (see above). */
void watched_decide(const struct proto_watch *w, const void *log, size_t log_len,
		    struct case_result *res);
/* The whole step for the runner: payload is the WATCHED frame's (NULL: the agent never
 * answered, an infra-error), the log it carries is saved as watched_log_path(console_path) and
 * res->sensor_log set, then watched_decide(). */
void watched_judge(const uint8_t *payload, size_t len, const char *console_path,
		   struct case_result *res);
/* "DIR/CASE.sensor.log" for the console "DIR/CASE.log" (caller frees). */
char *watched_log_path(const char *console_path);
