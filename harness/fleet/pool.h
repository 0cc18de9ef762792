/* pool.h — where a case's guest comes from: a fresh boot, a restored copy of a saved guest,
 * (reuse) the guest that ran the slot's previous case, or (warm) that guest reset in place to
 * the saved state it was restored from. The fleet's scheduler asks for a guest
 * per job and hands it back with a word on its health; the pool boots and saves templates,
 * clones save images, restores the next guest while the current case runs, and destroys guests
 * on background threads.
 *
 * Thread-safety: one pool serves every slot; a slot index names the caller's private state.
 * Ownership: an acquired guest belongs to the caller until pool_release().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "fleet.h"

struct pool;

struct guest {
	struct vm *vm;
	size_t sensor;
	bool fresh;   /* has run no case yet */
	int identity; /* save-image clone it was restored from; -1 when booted */
	char *disk;   /* its content partition (persistence, disk.h), or NULL */
	/* coverage (fleet_config's coverage_dir): the file its emulator counts in, removed with
	 * the guest; and the guest's /proc/modules when its sensor started (proto.h, MODULES):
	 * where the sensor's code is. NULL: no coverage, or no MODULES came */
	char *coverage, *modules;
	/* warm isolation: the file holding the state it is reset to (vm_warm_load), and the
	 * partition its disk is refilled from; NULL when it cannot be reset (it is destroyed) */
	char *warm, *warm_disk;
	/* warm: when it last resumed (now_ms), and how long it has run since its saved state
	 * (summed over its cases: the guest's TSC runs on by that much, pool.c) */
	uint64_t warm_resumed_ms, warm_ran_ms;
};

struct pool *pool_new(const struct fleet_config *cfg, unsigned slots);
/* Waits for every background restore and destroy, removes the work files. Accepts NULL. */
void pool_free(struct pool *p);

/* Guests restored ahead per slot: the one for the next case hides a restore behind the case
 * running; a second absorbs a slow restore (a remote host's took 0.35-2 s here, against a case
 * of 0.35 s). */
#define POOL_AHEAD 2

/* A running guest of sensor si, its console appended to console_path. next[POOL_AHEAD] are
 * the sensors of the jobs likely to come next on this slot (SIZE_MAX: none), for which guests
 * are prepared in the background. Returns 0 with *ret set; 1 when no guest could be had (res
 * filled: an infra-error, or the sensor's crash while starting; *ret_retry says whether another
 * attempt may do better); or -ECANCELED. */
int pool_acquire(struct pool *p, unsigned slot, size_t si, const size_t *next,
		 const char *console_path, struct guest **ret, struct case_result *res,
		 bool *ret_retry);

/* Destroy the guest now and hand its content partition to the caller (who unlinks it), for a
 * follow-up across boots (reboot.h). Returns the partition's path (caller frees) or NULL. */
char *pool_end_keep_disk(struct pool *p, struct guest *g);

/* Remove such a partition, wherever the host keeps it. */
void pool_remove_disk(struct pool *p, const char *disk);

/* Hand a guest back. healthy: its last case left it fit for another (reuse keeps it). */
void pool_release(struct pool *p, unsigned slot, struct guest *g, bool healthy);
