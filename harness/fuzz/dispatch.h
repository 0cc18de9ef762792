/* dispatch.h — what a campaign's next free guest does (`faultline fuzz --jobs N`): run a seed,
 * run a mutant, wait, or stop. The campaign holds its lock around every call; this only counts.
 *
 * Seeds go first, in the scenario's order, one per claim; a guest free while seeds are still
 * running takes a mutant once the corpus holds something, else waits. seeds_done is the prefix of
 * the seeds finished (what a resumed campaign skips), however they finished out of order. Every
 * execution is counted when it is judged; with an execution budget no claim is made past it, so
 * the campaign ends on exactly max_execs. Case ids are handed out at claim time, one per claim,
 * never twice (a resumed campaign starts from next_case): the cases in flight when the campaign
 * is stopped keep theirs unused.
 *
 * Ownership: fuzz_dispatch owns its seed states (fuzz_dispatch_finish).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fuzz_work {
	FUZZ_WORK_SEED, /* run seed *ret_seed */
	FUZZ_WORK_STEP, /* mutate a corpus entry and run it */
	FUZZ_WORK_WAIT, /* seeds in flight, nothing to mutate yet: wait for one to finish */
	FUZZ_WORK_STOP,
};

struct fuzz_dispatch {
	size_t n_seeds, seeds_done; /* seeds_done: the first seed not finished */
	uint8_t *seed_state;	    /* per seed: 0 waiting, 1 running, 2 finished */
	uint64_t execs, max_execs;  /* max_execs 0: no limit */
	uint64_t in_flight, next_case;
	bool stop;
};

/* A campaign at seeds_done, execs and next_case (on resume: what it saved). */
void fuzz_dispatch_init(struct fuzz_dispatch *s, size_t n_seeds, size_t seeds_done, uint64_t execs,
			uint64_t next_case, uint64_t max_execs);
void fuzz_dispatch_finish(struct fuzz_dispatch *s);
/* The next work for a free guest; have_corpus: the corpus holds an entry. A seed or a step is
 * in flight until fuzz_dispatch_done() or fuzz_dispatch_abandon(); *ret_case is its case number. */
enum fuzz_work fuzz_dispatch_next(struct fuzz_dispatch *s, bool have_corpus, size_t *ret_seed,
				  uint64_t *ret_case);
/* Work judged (one execution); seed is SIZE_MAX for a step. */
void fuzz_dispatch_done(struct fuzz_dispatch *s, size_t seed);
/* Work not run to its end (the campaign is stopping): not counted; a seed runs again. */
void fuzz_dispatch_abandon(struct fuzz_dispatch *s, size_t seed);
