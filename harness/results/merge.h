/* merge.h — the run directories of the shards of one run (`run --shard K/N`) made into the one
 * run directory an unsharded run would have left: `faultline merge`.
 *
 * Everything is checked before anything is written: every directory is a shard (run.json has
 * "shard") that finished, all of them ran the same jobs (the same "jobs_hash": scenario,
 * sensors, inputs and expectations) of the same builds (sensor versions, content hash),
 * split the same way (the same N), no shard is given twice and, unless allow_partial, none is
 * missing; each holds a record of every job of its share and no job is recorded by two of them.
 *
 * What the merged directory holds: results.jsonl, every shard's final record of each job
 * (rundir.h: the last line of a job wins) copied byte for byte but for its "run_id", which
 * becomes the merged run's (that of the shard that started first), ordered by the records'
 * "started" and then by shard; inputs/ and consoles/ of every shard, hard-linked where the file
 * system allows, else copied (an input two shards share must be the same bytes; a console of
 * the run itself that each shard has, the snapshot's template boot, is kept for each, the
 * second one's as NAME.shard-K.log); run.json with
 * the shards' common members (the command line too: a run's, as an unsharded run has it), the
 * earliest start and the latest end, no "shard", and
 * "merged_from" (every shard's K, run id, host and times) and "missing_shards" (allow_partial).
 * What may differ from an unsharded run of the same scenario: the run id, the times (run.json's
 * and each record's "started" and "timings"), the host, URI and command line, and the order of
 * the lines of results.jsonl (a run writes them as cases end); verdicts, titles, details,
 * consoles and inputs are the shards' own.
 *
 * Ownership: the caller owns the arrays it passes; *ret_error (caller frees) on failure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct merge_opts {
	bool allow_partial; /* merge what is there when shards are missing (they are recorded) */
};

struct merge_summary {
	unsigned n;		/* the N of the shards */
	size_t shards, records; /* shards merged, records written */
	size_t jobs;		/* the scenario's jobs */
	size_t missing;		/* shards not given (allow_partial) */
};

/* Merge dirs[n_dirs] into out, which must not hold a run yet. Returns 0, -EINVAL when the
 * shards cannot be merged (what is wrong in *ret_error, before anything is written), -EEXIST
 * when out holds a run, or another negative errno when a file cannot be read or written (out,
 * when this call made it, is then removed again). */
int merge_shards(const char *const *dirs, size_t n_dirs, const char *out,
		 const struct merge_opts *o, struct merge_summary *ret, char **ret_error);
