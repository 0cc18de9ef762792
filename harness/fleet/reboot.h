/* reboot.h — after the persisted update crashed a guest, boot the machine again and again from
 * its content partition (disk.h) and follow it: does it crash again at every boot (a boot loop),
 * or does a recovery mechanism bring it back?
 *
 * Every boot is a new domain on the same partition, its console in a file of its own. The
 * mechanisms (scenario.h, enum scenario_recovery): counter is the sensor's own (the kernel
 * command line tells it to keep one); remediation is answered here when the agent asks at boot
 * (PROTO_REMEDY_ASK); manual is a safe-mode boot (faultline.safe=1) that removes the content,
 * then a normal boot.
 *
 * Ownership: reboot_result_finish() frees what reboot_follow() filled.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "fleet.h"

struct reboot_boot {
	enum verdict verdict; /* CRASH or HANG during the boot, ACCEPTED: came up healthy */
	char *title;	      /* the crash's signature, or NULL */
	int64_t died_at_ms;   /* the guest's uptime (kernel timestamp) at the crash; -1 unknown */
	uint64_t wall_ms;     /* from the domain's start to the crash or READY */
	bool safe;	      /* the manual mechanism's safe-mode boot */
	char *console;	      /* console log, relative to the run dir */
};

struct reboot_result {
	enum verdict outcome; /* BOOT_LOOP, RECOVERED, or INFRA_ERROR (detail says why) */
	struct reboot_boot *boots;
	size_t n_boots;
	/* static: the recovery mechanism in place (scenario.h), whatever the outcome: a counter
	 * that did not bring the machine back is a counter's boot loop */
	const char *mechanism;
	uint64_t recovery_wall_ms;  /* from the first crash to the healthy boot's READY */
	uint64_t recovery_guest_ms; /* the guest's uptime summed over every boot followed */
	char *detail;		    /* what happened on the way (remediation answers...), or NULL */
};

/* Follow the guest of case c on sensor si, whose first crash is in *first (its title kept by the
 * caller), booting from disk; consoles go to RUN_DIR/console_stem.bootN.log. Returns 0 (*ret
 * filled) or -ECANCELED. */
int reboot_follow(const struct fleet_config *cfg, size_t si, const struct scenario_case *c,
		  const char *disk, const char *console_stem, struct reboot_result *ret);
void reboot_result_finish(struct reboot_result *r);
/* The guest's uptime at the kernel report that starts at 1-based line `line` of the console
 * log: the "[  SECONDS.MICROS]" stamp of that line, or of the closest stamped line before it.
 * -1 when there is none. */
int64_t reboot_report_uptime_ms(const char *console_path, long line);
