/* cli-minimize.h — shared by the files of `faultline minimize`: cli-minimize.c (the command:
 * options, the case, reproducing it, what is written) and cli-minimize-guests.c (running
 * batches of candidate inputs on fresh guests, the oracle the shrinker asks, the time budget).
 * Not a public interface. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "session.h"
#include "shrink.h"

struct minimize_opts {
	struct session_opts s; /* uri, accel, state dir, jobs */
	const char *sensor;
	const char *out_dir;
	uint64_t budget_ms;
	unsigned tries;
};

/* One minimization in progress. */
struct mini {
	const struct minimize_opts *o;
	const struct record *rec; /* the case, as recorded */
	const char *sensor;
	const char *out; /* RUN_DIR/minimized/SENSOR/CASE or --output */
	unsigned slots;	 /* guests side by side */
	size_t batch_no;
	size_t guest_runs;
	uint64_t start_ms, deadline_ms;
	bool images_shown; /* the first session said what it built; later ones are quiet */
	bool budget_spent;
	int signal; /* SIGINT or SIGTERM that stopped it; 0 */
	struct session_error err;
	bool failed; /* err holds why a batch could not run */
};

/* A batch of inputs to run side by side, one case each. */
struct mini_batch {
	size_t n;
	char **names;	      /* case names, safe as file names */
	const uint8_t **data; /* borrowed */
	size_t *sizes;
	struct session_result *res; /* what came back (done false when it did not finish) */
	char *rel;		    /* the batch's folder, relative to the output: "runs/NN" */
};

void mini_batch_init(struct mini_batch *b, size_t n);
void mini_batch_finish(struct mini_batch *b);
/* Run the batch on fresh guests restored from one booted snapshot, in OUT/runs/NN (a run
 * directory of its own). Returns 0, -ECANCELED when stopped (Ctrl-C, the budget: finished
 * results are filled), or another negative errno with m->err set. */
int mini_run_batch(struct mini *m, struct mini_batch *b);
/* The same verdict and title as the record: the same signature. */
bool mini_same(const struct mini *m, const struct session_result *r);
/* The shrinker's oracle (shrink.h): userdata is the struct mini. */
int mini_oracle(void *userdata, const struct shrink_candidate *c, size_t n,
		struct shrink_answer *ret);
/* Start and stop the budget's timer: at the deadline every guest is stopped and the next batch
 * is not started (m->budget_spent). */
void mini_budget_start(struct mini *m);
void mini_budget_stop(struct mini *m);
/* A progress line on stderr, with the time since the start. */
void mini_say(const struct mini *m, const char *fmt, ...) _printf_(2, 3);
