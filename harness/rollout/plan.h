/* plan.h — the arithmetic of a staged rollout, no guest involved: which machines the
 * fleet has (drawn from the profiles by weight, seeded), which ring each is in, when each of a
 * machine's workload events happens (seeded jitter), what a gate allows, and the workload script
 * the guest runs in place of the sensor's trigger.
 *
 * The fleet draw: each profile gets its share of the fleet by weight (largest remainders, ties
 * to the earlier profile), then the machines are shuffled with the seed, and the rings take
 * them in order. Same seed and spec, same fleet.
 *
 * Ownership: rollout_plan_free() frees a plan (NULL accepted); strings returned are the
 * caller's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rollspec.h"

struct rollout_machine {
	unsigned index;	 /* 0-based, in rollout order */
	size_t profile;	 /* index into the spec's profiles */
	size_t ring;	 /* index into the spec's rings */
	uint32_t jitter; /* the seed of its workload's jitter (31 bits) */
	char id[48];	 /* "PROFILE-NNNN" (NNNN = index + 1), its case id and console name */
};

struct rollout_plan {
	struct rollout_machine *machines;
	size_t n_machines;
	size_t *ring_first; /* [n_rings + 1]: ring r is machines[ring_first[r]..ring_first[r+1]) */
	size_t n_rings;
	size_t *per_profile; /* [n_profiles]: machines of each profile */
};

/* Ring sizes for a fleet: sizes[r] machines (rollspec_ring_want(), rest takes what is left).
 * Returns 0, or -EINVAL when they add up to more than the fleet or (without rest) to less. */
int rollout_ring_sizes(const struct rollspec *spec, unsigned fleet, size_t *sizes);
/* How many machines of each profile (counts[n_profiles]): the weights' shares of the fleet,
 * largest remainders rounded up. */
void rollout_profile_counts(const struct rollspec *spec, unsigned fleet, size_t *counts);
/* The fleet of spec (spec->fleet machines, or fleet when not 0) for this seed. */
int rollout_plan_new(const struct rollspec *spec, unsigned fleet, uint64_t seed,
		     struct rollout_plan **ret);
struct rollout_plan *rollout_plan_free(struct rollout_plan *p);
static inline void rollout_plan_freep(struct rollout_plan **p)
{
	rollout_plan_free(*p);
}

/* Down machines a gate allows in a ring of n machines: a count as is, a percentage of n rounded
 * down. */
size_t rollout_gate_allowed(const struct rollspec_ring *g, size_t n);
/* Does a ring of n machines with `down` of them down pass its gate? (No gate: yes.) */
bool rollout_gate_passes(const struct rollspec_ring *g, size_t n, size_t down);

/* The jitter seed the guest computes for machine number n (1-based) of a run seeded seed. */
uint32_t rollout_jitter_seed(uint64_t seed, unsigned n);
/* The times (ms after the workload starts) of profile p's events for a machine whose jitter
 * seed is j, in the order the workload script draws them (event by event, repeat by repeat).
 * Returns how many (at most max) were written to times. */
size_t rollout_event_times(const struct rollspec_profile *p, uint32_t j, uint64_t *times,
			   size_t max);

/* The workload script (/bin/sh) for every profile of spec that runs on sensor si (as written or
 * in a variant): it finds its
 * profile on the kernel command line (faultline.profile=NAME) and its machine number in the
 * case mark on the kernel log, and runs the profile's events at their jittered times. seed is
 * the run's. Caller frees. */
char *rollout_workload_script(const struct rollspec *spec, size_t si, uint64_t seed);
