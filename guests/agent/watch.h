/* watch.h — the sensor watch and the protection probe, agent side (sensor.conf's watch_* and
 * probe keys; the host reads the answer in harness/fleet/watched.c).
 *
 * From the delivery of an update until the host's WATCH frame, the agent samples the watched
 * process (the pid whose /proc/PID/comm is watch_process) and scans what the sensor's log grows
 * by for the watch_died text: a death happens after the agent's RESULT, while the sensor
 * handles the trigger's event, so RESULT cannot carry it. After a death it probes the
 * protection at once and then every probe interval until a probe passes. WATCH ends the window:
 * one last probe, then the WATCHED answer (struct proto_watch, then the log's new bytes,
 * bounded whatever the sensor writes). One watch at a time, in the agent's main process; probes
 * run in a forked child, so that the heartbeat goes on.
 *
 * Ownership: the watch borrows the conf, which lives as long as the agent.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"

/* In the start worker, after the start commands: the watched process must be running (within
 * AGENT_WATCH_START_WAIT_MS) and the probe must pass, or the harness could not tell a death or
 * a loss from a sensor that never worked. Returns 0, or -1 with the reason appended to out. */
#define AGENT_WATCH_START_WAIT_MS 5000
int agent_watch_check_start(const struct agent_conf *c, char *out, size_t size);

/* An update is about to be delivered: start watching (a no-op when c asks for nothing). */
void agent_watch_arm(const struct agent_conf *c, uint64_t now_ms);
/* The host's WATCH: finish with the last probe, then answer. With nothing armed (no conf, or
 * nothing to watch) the answer is ready at the next agent_watch_tick(). mode and arg are the
 * WATCH's (enum proto_watch_mode): PROTO_WATCH_NO_PROBE answers without the final probe;
 * PROTO_WATCH_AGAIN, after an answer whose final probe timed out, forgets that probe and runs it
 * again with its timeout times 1000 / arg (arg the per mille of CPU the guest got, at least
 * 125; at most AGENT_PROBE_MS_MAX), otherwise it is a plain WATCH. */
void agent_watch_request(const struct agent_conf *c, uint64_t now_ms, unsigned mode, unsigned arg);

/* For the main loop: the fd to poll for input (-1: none), and the ms until the watch wants
 * agent_watch_tick() again (-1: no need). */
int agent_watch_fd(void);
int agent_watch_timeout_ms(uint64_t now_ms);
/* Sample, reap a finished probe, start the next: call on every wake of the main loop. Returns 1
 * with the WATCHED payload in *ret (caller frees) when the answer is ready, 0 otherwise. */
int agent_watch_tick(uint64_t now_ms, uint8_t **ret, size_t *ret_len);

/* Provided by agent.c: run cmd with /bin/sh -c, its output appended to out (bounded, NUL
 * terminated), killed after timeout_ms. The exit status, 128 + signal, or a negative errno
 * (-ETIME on the timeout). */
/* The lowest pid whose comm is name, a zombie not counted; 0 when none. */
pid_t agent_watch_find_process(const char *name);
int agent_run_shell(const char *cmd, unsigned timeout_ms, char *out, size_t size);
