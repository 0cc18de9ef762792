/* watched.h — what became of the sensor during a case the kernel survived: the agent's WATCHED
 * answer (harness/base/proto.h, made by guests/agent/watch.c) at the end of the observation
 * window, read as sensor.yaml's watch and probe keys ask. What it does to the verdict is the
 * judge's (judge.h: the "case, done" rows); this records what it measured, whatever the verdict:
 *   protection  kept (every probe passed), restored (one failed, the last passed: the gap is
 *               from the first death or failed probe to the end of the first probe that
 *               passed after it), lost (the last probe failed); NULL without a probe
 *   sensor_restarts  the deaths after which the process was seen again (-1: not watched)
 *   sensor_log  the log bytes the answer carried, saved beside the console
 *
 * Ownership: nothing is kept; what *in points to is *w's or the payload's.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "judge.h"
#include "proto.h"
#include "runner.h"

/* Fill the protection fields of res from a decoded answer (see above). */
void watched_measure(const struct proto_watch *w, struct case_result *res);
/* The runner's step at the end of the window: payload is the WATCHED frame's (NULL: the agent
 * never answered). Decodes it into *w, saves the log it carries as watched_log_path(console_path)
 * (res->sensor_log set), measures (watched_measure), and describes the answer in *in for the
 * judge: in->watch (= w, or NULL when there is none or it is malformed), in->watch_malformed,
 * in->sensor_log (into payload). */
void watched_read(const uint8_t *payload, size_t len, const char *console_path,
		  struct proto_watch *w, struct judge_input *in, struct case_result *res);
/* "DIR/CASE.sensor.log" for the console "DIR/CASE.log" (caller frees). */
char *watched_log_path(const char *console_path);
