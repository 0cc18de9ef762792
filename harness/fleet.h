/* fleet.h — provision guests and schedule every (sensor, case) job over N parallel slots.
 *
 * Today each job gets a freshly booted guest (isolation "boot"); provisioning is kept apart from
 * case execution (runner.h) so that snapshot restore and guest reuse can slot in here.
 * Ownership: fleet_run() borrows everything in the config for its duration.
 */
#pragma once

#include <stddef.h>

#include "image.h"
#include "runner.h"
#include "scenario.h"
#include "vm.h"

struct fleet_sensor {
	const char *name;
	const struct image *image;
};

struct fleet_config {
	struct vm_host *host;
	const struct fleet_sensor *sensors;
	size_t n_sensors;
	const struct scenario_case *cases;
	size_t n_cases;
	unsigned jobs; /* parallel guests */
	unsigned memory_mib;
	const char *accel;
	const char *cmdline;
	unsigned boot_ms;
	struct runner_timeouts timeouts;
	unsigned max_attempts; /* an infra-error is retried up to this many attempts in all */
	const char *run_dir;   /* consoles go to RUN_DIR/consoles/SENSOR/CASE.log */
	/* Called from worker threads, serialised by the fleet, once per finished job. */
	void (*on_result)(void *userdata, size_t sensor, size_t case_idx,
			  const struct case_result *res, const char *console_rel);
	void *userdata;
};

/* Run every job. Returns 0, or -ECANCELED when interrupted (finished jobs were reported; every
 * guest of the run has been destroyed either way). */
int fleet_run(const struct fleet_config *cfg);

/* Boot one guest for a sensor and wait until its agent reports the sensor started. On a
 * failure *res is filled (infra-error, or crash when the guest died booting) and *ret_retry says
 * whether another attempt might do better. Returns 0 with *ret set, 1 when res was filled, or
 * -ECANCELED. */
int fleet_boot_guest(const struct fleet_config *cfg, const struct fleet_sensor *s,
		     const char *name, const char *console_path, struct vm **ret,
		     struct case_result *res, bool *ret_retry);
