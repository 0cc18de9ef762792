/* probe.h — one run of the protection probe (sensor.conf's probe or probe_counter).
 *
 * A probe is either the sensor's own shell command (probe=) or the agent's counter probe
 * (probe_counter=FILE): FILE's count read before and after one run of the sensor's trigger,
 * protected when it grew. The counter probe is what guests/sensors/lib-usermode/probe does in a
 * shell, done here without the shell and its readers: under TCG every process a probe starts is
 * translated afresh after a restore, and the probe runs after every case. Its only process is the
 * trigger's.
 *
 * agent_probe_counter_parse() is pure. agent_probe_run() blocks; the watch runs it in a child.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* Whether the conf has a probe of either kind. */
bool agent_probe_set(const struct agent_conf *c);

/* The count in a counter file's text: the number after the first "matches=", else the first
 * line that is a decimal number and nothing else. Returns 0, or -EINVAL when there is none. */
int agent_probe_counter_parse(const char *text, long long *ret_count);

/* Run the probe once, appending what it printed and its conclusion to out (a NUL-terminated
 * string in a buffer of size bytes). Returns 0 when the sensor protects, the failed probe's
 * status (> 0; the counter probe: 1 blind, 2 the counter cannot be read), or -errno (-ETIME: past
 * timeout_ms). */
int agent_probe_run(const struct agent_conf *c, unsigned timeout_ms, char *out, size_t size);
