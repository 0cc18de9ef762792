/* dispatch.c — a campaign's work handed to its guests (see dispatch.h). */
#include "dispatch.h"

#include "util.h"

enum { SEED_WAITING, SEED_RUNNING, SEED_FINISHED };

void fuzz_dispatch_init(struct fuzz_dispatch *s, size_t n_seeds, size_t seeds_done, uint64_t execs,
			uint64_t next_case, uint64_t max_execs)
{
	*s = (struct fuzz_dispatch){.n_seeds = n_seeds,
				    .seeds_done = seeds_done < n_seeds ? seeds_done : n_seeds,
				    .seed_state = xcalloc(n_seeds ? n_seeds : 1, 1),
				    .execs = execs,
				    .max_execs = max_execs,
				    /* a campaign saved before ids were counted apart used execs */
				    .next_case = next_case > execs ? next_case : execs};
	for (size_t i = 0; i < s->seeds_done; i++)
		s->seed_state[i] = SEED_FINISHED;
}

void fuzz_dispatch_finish(struct fuzz_dispatch *s)
{
	free(s->seed_state);
	s->seed_state = NULL;
}

static bool budget_left(const struct fuzz_dispatch *s)
{
	return !s->max_execs || s->execs + s->in_flight < s->max_execs;
}

enum fuzz_work fuzz_dispatch_next(struct fuzz_dispatch *s, bool have_corpus, size_t *ret_seed,
				  uint64_t *ret_case)
{
	bool seeds_running = false;

	if (s->stop)
		return FUZZ_WORK_STOP;
	for (size_t i = s->seeds_done; i < s->n_seeds; i++) {
		if (s->seed_state[i] == SEED_RUNNING)
			seeds_running = true;
		if (s->seed_state[i] != SEED_WAITING)
			continue;
		if (!budget_left(s))
			break;
		s->seed_state[i] = SEED_RUNNING;
		s->in_flight++;
		*ret_seed = i;
		*ret_case = s->next_case++;
		return FUZZ_WORK_SEED;
	}
	if (!budget_left(s))
		return FUZZ_WORK_STOP; /* what is in flight ends the budget */
	if (have_corpus) {
		s->in_flight++;
		*ret_case = s->next_case++;
		return FUZZ_WORK_STEP;
	}
	/* a seed still running may yet fill the corpus */
	return seeds_running ? FUZZ_WORK_WAIT : FUZZ_WORK_STOP;
}

static void seeds_advance(struct fuzz_dispatch *s)
{
	while (s->seeds_done < s->n_seeds && s->seed_state[s->seeds_done] == SEED_FINISHED)
		s->seeds_done++;
}

void fuzz_dispatch_done(struct fuzz_dispatch *s, size_t seed)
{
	s->in_flight--;
	s->execs++;
	if (seed < s->n_seeds) {
		s->seed_state[seed] = SEED_FINISHED;
		seeds_advance(s);
	}
}

void fuzz_dispatch_abandon(struct fuzz_dispatch *s, size_t seed)
{
	s->in_flight--;
	if (seed < s->n_seeds)
		s->seed_state[seed] = SEED_WAITING;
}
