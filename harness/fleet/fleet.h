/* fleet.h — provision guests and schedule every (sensor, case) job over N parallel slots.
 *
 * Isolation modes (how a case gets its guest):
 *   boot      a freshly booted guest per case: the reference, slowest.
 *   snapshot  each sensor's guest is booted once to "sensor loaded, agent ready" and saved;
 *             every case starts from a restored copy of that state. The next guest is restored
 *             (paused) while the current case runs, and destroys happen on other threads.
 *   reuse     a guest takes case after case while its verdicts are healthy (accepted or
 *             rejected); after anything else it is replaced from the snapshot and the case is
 *             run again alone on a fresh guest, so that the verdict is attributed to the right
 *             input (both outcomes recorded; a verdict that does not reproduce is flaky).
 * Case execution itself is runner.h's business.
 *
 * Ownership: fleet_run() borrows everything in the config for its duration.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "image.h"
#include "runner.h"
#include "scenario.h"
#include "vm.h"

enum fleet_isolation {
	FLEET_BOOT,
	FLEET_SNAPSHOT,
	FLEET_REUSE,
	FLEET_WARM, /* one emulator per slot, reset to the saved guest before every case */
};

/* "boot", "snapshot", "reuse", "warm" -> mode, or -EINVAL. */
int fleet_isolation_from_name(const char *name);
const char *fleet_isolation_name(enum fleet_isolation mode);

struct fleet_sensor {
	const char *name;
	const struct image *image;
	unsigned memory_mib; /* guest RAM; 0: the config's (fleet_sensor_memory()) */
	bool probes;	     /* it has a protection probe (probe_every defers only those) */
};

struct fleet_config;
/* The RAM of sensor si's guests. */
unsigned fleet_sensor_memory(const struct fleet_config *cfg, size_t si);

struct upload_store;

/* One libvirt host of the fleet (hosts.h connects it); fleet_run schedules over all of them. */
struct fleet_host {
	/* set by the caller */
	char *uri;
	unsigned slots;	   /* parallel guests; 0: one per CPU of the host */
	const char *accel; /* "tcg" or "kvm" */
	/* while connected (hosts.h) */
	struct vm_host *vm;
	struct upload_store *upload;  /* NULL: the embedded driver, which shares our files */
	struct fleet_sensor *sensors; /* the sensors' images as the host sees them [n_sensors] */
	size_t n_sensors;
	char *dir;			/* where its saved guests go (the pool's folder) */
	uint64_t sent_bytes, upload_ms; /* guest images uploaded by the last connect */
};

/* reuse's default probe_every: a probe per case cost reuse most of its speed (a held case waits
 * for at most nine others on its guest, and a failed probe re-runs them alone, probed, so the
 * records are the same as with a probe per case) */
#define FLEET_PROBE_EVERY 10

struct fleet_config {
	struct vm_host *host;
	const struct fleet_sensor *sensors;
	size_t n_sensors;
	const struct scenario_case *cases;
	size_t n_cases;
	enum fleet_isolation isolation;
	/* The hosts to run on ([n_hosts], at least one; fleet_run reconnects those it loses). */
	struct fleet_host *hosts;
	size_t n_hosts;
	struct upload_store
	    *upload; /* the host's storage pool, in fleet_run's copy of the config per host */
	const char *host_label; /* "" or "@N": tells the hosts' template boot logs apart */
	unsigned memory_mib;
	const char *accel;
	const char *cmdline;
	bool persist; /* guests get a content partition (disk.h): some case has persistence on */
	unsigned boot_ms;
	struct runner_timeouts timeouts;
	unsigned max_attempts; /* an infra-error is retried up to this many attempts in all */
	/* reuse: the final protection probe only every probe_every cases of a guest (0, 1: every
	 * case). A case that was not probed is recorded once a later probe on its guest passes
	 * (probed_after); when that probe fails or the guest ends first, it runs again alone,
	 * probed (fleet.c: slot_loop). Callers pass FLEET_PROBE_EVERY unless told otherwise. */
	unsigned probe_every;
	const char *run_dir;  /* consoles go to RUN_DIR/consoles/SENSOR/CASE.log */
	const char *work_dir; /* saved guest images (snapshot, reuse); removed by fleet_run */
	const char
	    *scratch_dir; /* this machine's work dir, when work_dir is a host's (fleet_run) */
	const bool *skip; /* NULL, or [case * n_sensors + sensor]: jobs already done */
	/* coverage (covfile.h): QEMU loads this plugin and each guest shares its counters in
	 * COVERAGE_DIR/NAME.cov (struct guest's coverage); NULL: no coverage */
	const char *coverage_plugin, *coverage_dir;
	/* Called from worker threads, serialised by the fleet, once per finished job. */
	void (*on_result)(void *userdata, size_t sensor, size_t case_idx,
			  const struct case_result *res, const char *console_rel);
	void *userdata;
	/* NULL, or [n_cases], non-decreasing: the jobs run batch by batch (staged rollouts' rings,
	 * on one pool, so templates are booted once). No job of a batch starts before every job of
	 * the one before has been reported; then on_batch_end (if set; serialised with on_result)
	 * is told the batch done and the one next, and ends the run there by returning false. */
	const size_t *batch;
	bool (*on_batch_end)(void *userdata, size_t done, size_t next);
	/* Called from worker threads, serialised with on_result, when a host is lost, comes back,
	 * or is given up on: one line for the user. NULL: nobody is told. */
	void (*on_notice)(void *userdata, const char *line);
};

/* Run every job. Returns 0, or -ECANCELED when interrupted (finished jobs were reported; every
 * guest of the run has been destroyed either way). */
int fleet_run(const struct fleet_config *cfg);
