/* lockup.h — the guest's soft lockup threshold: high while the guest boots, the case's once the
 * sensor is up.
 *
 * A guest boots with watchdog_thresh=AGENT_LOCKUP_BOOT_THRESH on its kernel command line, so
 * that a loaded host stalling a booting kernel (an arm64 TCG guest's kthreadd, a trace map's
 * work) does not panic it in the lockup detector before the sensor is up. The key
 * faultline.watchdog_thresh=N says the threshold the case runs with (1: a hang panics within
 * about 2 s). The agent writes N to /proc/sys/kernel/watchdog_thresh once the sensor's start
 * commands have run and before it reports READY: every case, and every template saved at READY
 * (snapshot, warm), runs with N.
 *
 * agent_lockup_parse() is pure; agent_lockup_lower() reads and writes the file it is given
 * (tested on the host with a plain file) and logs nothing: agent.c says what happened.
 */
#pragma once

#define AGENT_LOCKUP_KEY "faultline.watchdog_thresh="
#define AGENT_LOCKUP_PROC "/proc/sys/kernel/watchdog_thresh"

/* N of faultline.watchdog_thresh=N (1 to 60, the kernel's range) in a kernel command line.
 * Returns 0, -ENOENT without the key, -EINVAL when its value is not such a number (the last
 * key wins, as for the kernel's own). */
int agent_lockup_parse(const char *cmdline, unsigned *ret_thresh);

/* Set the threshold in path (AGENT_LOCKUP_PROC) to thresh, unless it already is; read back.
 * Returns 0, or -errno (-ENOENT: a kernel without the lockup detector; -EIO: the file kept
 * another value). ret_was (may be NULL): the value found, on success. */
int agent_lockup_lower(const char *path, unsigned thresh, unsigned *ret_was);
