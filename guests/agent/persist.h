/* persist.h — the guest side of content kept across reboots (boot loops).
 *
 * With faultline.persist=1 on the kernel command line, /init mounts the guest's content
 * partition (/dev/vda, ext4) on AGENT_PERSIST_DIR before it starts the agent. The agent then
 * keeps what the host sends with STORE in the sensor's persist_store (conf.h), runs the sensor's
 * persist_load commands at boot (the stored content meets the boot's workload: a sensor that
 * trusts it crashes the boot) and, in safe mode or on the host's remediation, removes or
 * replaces the stored content before the sensor starts. The kernel command line keys, all put
 * there by the harness (scenarios/README.md, "Persistence and boot loops"):
 *   faultline.persist=1                 the content partition is attached
 *   faultline.boot=N                    reboot N of a case's follow-up (0 when absent)
 *   faultline.recovery=counter|remediation|manual, faultline.recovery_boots=N (default 2)
 *   faultline.safe=1                    safe mode: no sensor, the stored content removed
 * Unknown values are ignored (the key counts as absent), as an older agent would.
 *
 * agent_boot_parse() and agent_remedy_ask_text() are pure; the other functions do file I/O on
 * the paths they are given (tested on the host in a temporary folder) and log nothing: agent.c
 * says what happened on /dev/kmsg.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_PERSIST_DIR "/persist"
#define AGENT_RECOVERY_BOOTS_DEFAULT 2
#define AGENT_REMEDY_WAIT_MS 5000 /* the host's answer to REMEDY_ASK, or boot unchanged */

enum agent_recovery {
	AGENT_RECOVERY_NONE,
	AGENT_RECOVERY_COUNTER,	    /* the sensor's own boot counter (boot-content) */
	AGENT_RECOVERY_REMEDIATION, /* ask the host (REMEDY_ASK / REMEDY) */
	AGENT_RECOVERY_MANUAL,	    /* the harness boots once in safe mode */
};

struct agent_boot {
	bool persist, safe;
	unsigned boot;
	enum agent_recovery recovery;
	unsigned recovery_boots;
};

/* The faultline.* persistence keys of a kernel command line (see the top). */
void agent_boot_parse(const char *cmdline, struct agent_boot *ret);
/* "counter", "remediation", "manual", or "" for none. */
const char *agent_recovery_name(enum agent_recovery r);
/* Export FAULTLINE_PERSIST (only when mounted), FAULTLINE_BOOT, FAULTLINE_RECOVERY and
 * FAULTLINE_RECOVERY_BOOTS into this process's environment, for every command it runs. */
void agent_boot_export(const struct agent_boot *b, bool mounted);
/* Is dir a mount point (another file system than its parent's)? */
bool agent_persist_mounted(const char *dir);

/* Keep data in path as a sensor stores content: its folder made (mkdir -p), written to a
 * temporary file in that folder, fsynced, renamed over path, the folder fsynced. Returns 0 or
 * -errno (-ENOSPC on a full partition; the temporary file is removed on failure). */
int agent_persist_write(const char *path, const uint8_t *data, size_t len);
/* Remove path and fsync its folder. Returns 0, -ENOENT when nothing was stored, or -errno. */
int agent_persist_remove(const char *path);

/* The REMEDY_ASK text, "boot=N\nstore=PATH\nstored=0|1\n", into buf. */
void agent_remedy_ask_text(unsigned boot, const char *store, bool stored, char *buf, size_t size);
