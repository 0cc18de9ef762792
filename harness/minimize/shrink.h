/* shrink.h — shrink a failing content update to what makes it fail, and say what that is in the
 * format's own terms. No guest here: whether a candidate input still fails the same way is asked
 * of an oracle the caller gives (`faultline minimize` runs it on real guests; the unit tests
 * give a fake one).
 *
 * The stages, each a delta-debugging pass (ddmin: keep one part, then drop one part, at ever
 * finer granularity, until no single part can go; the result is 1-minimal) over one kind of
 * change from the seed:
 *   ops     the concrete mutations the case recorded; a candidate is the seed with a subset of
 *           them applied (mutate_expand, so counts, lengths and checksums are fixed up as the
 *           mutation engine does)
 *   fields  the fields whose value differs from the seed's, when the input decodes: a candidate
 *           is the seed's decoded tree with a subset of the differences, encoded with every
 *           count, length and checksum fixed up. A candidate that the format cannot decode is
 *           never given to the oracle: its step says so.
 *   bytes   for blind mutations (or an input that does not decode): the changed bytes, and a
 *           change of length, against the seed; root-level checksums stay fixed up when the
 *           input had them right.
 * Candidates are asked in batches (everything one ddmin round may need, in order) so that the
 * oracle can run them side by side; the first candidate of a round that fails the same way is
 * taken, whatever the batch size, so the steps and the result are deterministic. A candidate
 * whose bytes were asked before is answered from the earlier step.
 *
 * Ownership: shrink_run() borrows the config; the result owns everything in it and is freed
 * with shrink_result_finish(). Strings an oracle puts in its results pass to the shrinker.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"

struct shrink_candidate {
	const uint8_t *data;
	size_t size;
	size_t step; /* its number in the step list (1-based): evidence can be named after it */
	const char *stage; /* "seed", "ops", "fields", "bytes" */
	const char *what;  /* what the candidate is, one line */
};

/* What the oracle says of one candidate. */
struct shrink_answer {
	bool done;	       /* it ran; false when the run was stopped first */
	bool same;	       /* the same signature came back */
	char *verdict, *title; /* what came back; NULL when unknown */
	char *where;	       /* where the evidence is (a run directory and case); or NULL */
};

/* Answer every candidate (in any order, in parallel). Returns 0, or -ECANCELED when the
 * minimization must stop (Ctrl-C, a time budget): answers of the candidates that ran may be
 * filled (done), and the shrinker keeps the best input it has. */
typedef int (*shrink_oracle_fn)(void *userdata, const struct shrink_candidate *c, size_t n,
				struct shrink_answer *ret);

struct shrink_config {
	const struct format *format; /* NULL: no format, so no fields stage */
	const uint8_t *seed;	     /* the content the case was made from */
	size_t seed_size;
	const char *mutations_json; /* the recorded concrete list; NULL when unknown */
	const char *base_dir;	    /* what relative `with:` files of splices are relative to */
	const uint8_t *data;	    /* the failing input, as kept */
	size_t size;
	shrink_oracle_fn oracle;
	void *userdata;
	size_t batch_max; /* candidates per oracle call at most; 0: 8 */
	/* What the seed itself gave, when the caller already ran it (for example beside its
	 * reproduction runs); NULL: the shrinker asks the oracle first. Borrowed. */
	const struct shrink_answer *seed_answer;
	/* One line per stage and per note, for the user; NULL: none. */
	void (*progress)(void *userdata, const char *line);
};

enum shrink_how {
	SHRINK_RAN,	/* given to the oracle */
	SHRINK_CACHED,	/* the same bytes as an earlier step: its answer */
	SHRINK_NOT_RUN, /* not a usable input (see note), or stopped before it ran */
};

struct shrink_step {
	size_t n;	   /* 1-based */
	const char *stage; /* static */
	char *what;
	char sha256[65];
	size_t size;
	enum shrink_how how;
	size_t same_as; /* SHRINK_CACHED: the step whose answer it took */
	bool same;	/* the same signature came back */
	bool kept;	/* it became the input shrunk further */
	char *verdict, *title, *where, *note;
};

struct shrink_result {
	uint8_t *data; /* the smallest input found that fails the same way */
	size_t size;
	char sha256[65];
	struct shrink_step *steps;
	size_t n_steps;
	size_t oracle_runs; /* candidates given to the oracle */
	/* The differences of data from the seed in the format's terms (shrink_explain()). */
	char **explanation;
	size_t n_explanation;
	/* What a stage could not do and why ("the recorded mutations no longer give the kept
	 * input: ..."); one line each. */
	char **notes;
	size_t n_notes;
	bool stopped;	 /* the oracle stopped it: data is the best input so far */
	bool seed_fails; /* the seed itself fails the same way: no change is needed */
};

/* Shrink cfg->data. Returns 0 (a stopped run too: see ret->stopped), -EINVAL when the config
 * lacks the seed or the input, or the negative errno of a failed oracle call. */
int shrink_run(const struct shrink_config *cfg, struct shrink_result *ret);
void shrink_result_finish(struct shrink_result *r);

/* The differences of data from seed, one line each, in the terms of format f (may be NULL):
 * for an input that decodes, "instances[0]: field_count 3 -> 2 (template 1 declares 3 input
 * fields)", the parenthesis from the field's description; otherwise the changed bytes named by
 * the seed's fields they fall in, and why the input does not decode. */
void shrink_explain(const struct format *f, const uint8_t *seed, size_t seed_size,
		    const uint8_t *data, size_t size, char ***ret_lines, size_t *ret_n);
