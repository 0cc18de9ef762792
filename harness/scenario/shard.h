/* shard.h — which of a scenario's jobs (one sensor × one case each) shard K of N runs, and the
 * fingerprint of a scenario's jobs that tells whether two runs ran the same ones.
 *
 * The split: every job is ranked by the SHA-256 of "SENSOR\nCASE" (ties, which do not happen,
 * by the names), and shard K takes the K-th of N contiguous ranges of that ranking, ranks
 * [(K-1)*M/N, K*M/N) of M jobs. So the split depends only on the names: the same on any
 * machine and in any order the scenario lists them; the shards differ in size by at most one
 * job; and adding or removing one job moves at most N-1 of the others to another shard (the
 * ones at the ranges' edges), where a round-robin over the listed order would move every job
 * after the new one.
 *
 * Ownership: plain values, and arrays the caller passes and owns. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"

#define SHARD_MAX 100000

struct shard_spec {
	unsigned k, n; /* shard k (1-based) of n; n == 0: not sharded, every job */
};

/* Parse "K/N" (1 <= K <= N <= SHARD_MAX). Returns 0, or -EINVAL with *ret_error (caller frees)
 * saying what was expected. */
int shard_parse(const char *text, struct shard_spec *ret, char **ret_error);

/* For the jobs of n_cases cases on n_sensors sensors, indexed [case * n_sensors + sensor], set
 * ret_shard[job] to the shard (1..n) that runs it. */
void shard_assign(const char *const *sensors, size_t n_sensors, const char *const *case_ids,
		  size_t n_cases, unsigned n, unsigned *ret_shard);

/* The SHA-256 (hex, caller frees) of the jobs of a scenario: its sensors' names in order, and
 * for every case in order its id, its input's SHA-256 and what it expects of each sensor. Two
 * runs with the same one ran the same jobs on the same inputs. */
char *shard_jobs_hash(const struct scenario *sc, const struct scenario_case *cases, size_t n_cases);
