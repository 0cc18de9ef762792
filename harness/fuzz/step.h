/* step.h — one campaign step's mutation: from a corpus input, a new input and the concrete
 * mutations that made it (the JSON mutate_replay() takes, with the parent as the seed file).
 *
 * A step stacks one to three ops, each applied to the result of the one before: where the input
 * decodes with the scenario's format, half of them are structural (set a field to a boundary,
 * dictionary or magic value; drop or duplicate an element; the field drawn evenly over the
 * format's fields, then over its instances in the input; a quarter of them, when fields declare
 * flag bits, a combination of one such field's bits), the rest byte ops (bit flips,
 * interesting values, random runs, dictionary inserts, the sensor's magic values). Every random
 * choice comes from the caller's PRNG: the same state and input give the same mutant.
 *
 * Ownership: a fuzz_mutant owns its bytes and JSON (fuzz_mutant_finish).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cmplog.h"
#include "format.h"

struct fuzz_step_ctx {
	const struct format *format; /* NULL: byte ops only */
	const uint64_t *imms;	     /* the sensor's compared constants (covfile.h), or NULL */
	size_t n_imms;
	const char *cmplog; /* a comparison-tracing host build of the sensor (cmplog.h), or NULL */
};

/* What the input-to-state stage did, summed over the campaign. */
struct fuzz_cmplog_stats {
	uint64_t runs, kept, failed; /* host runs, replacements kept, runs that failed */
};

struct fuzz_mutant {
	uint8_t *data;
	size_t size;
	char *json; /* JSON array of the concrete mutations */
};

/* Returns 0, or -EINVAL when no op applied (the input is too small for any). */
int fuzz_step_mutate(const struct fuzz_step_ctx *ctx, uint64_t *rng, const uint8_t *data,
		     size_t size, struct fuzz_mutant *ret);
void fuzz_mutant_finish(struct fuzz_mutant *m);

/* The input-to-state stage on a mutant (ctx->cmplog set): run the host build on it, and for the
 * operands of its comparisons try replacing one operand's bytes in the input by the other's, each
 * candidate as a `write` op (so the format's checksum fix-up follows it). A candidate is kept when
 * the host build then reaches a comparison it did not reach before (or crashes), and the stage
 * starts again from it, up to three times. m's bytes and JSON grow by the ops kept. */
void fuzz_step_cmplog(const struct fuzz_step_ctx *ctx, uint64_t *rng, struct fuzz_mutant *m,
		      struct fuzz_cmplog_stats *st);

/* An input-to-state mutant for the emulator's operands (`--cmplog emulator`): ops are the
 * comparisons a run of data made (logged by the guest's emulator); one of their replacements
 * (fuzz_cmplog_candidates: the last comparisons first, drawn mostly among the first few) is
 * written into data as a `write` op (the format's checksum fix-up follows it). No host run judges
 * it: the guest's run does. Returns 0, or -EINVAL when the comparisons give no replacement. */
int fuzz_step_i2s(const struct fuzz_step_ctx *ctx, uint64_t *rng, const struct fuzz_cmplog *ops,
		  const uint8_t *data, size_t size, struct fuzz_mutant *ret);
