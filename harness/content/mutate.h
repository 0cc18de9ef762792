/* mutate.h — the mutation engine: a list of mutation specs (parsed from YAML, from --op, or from
 * a recorded JSON array) expands, against a seed input and a format description, into generated
 * inputs, each with the exact list of concrete mutations that made it.
 *
 * Structural mutations (set, drop, duplicate, swap) edit the decoded value tree of the format and
 * re-encode it with counts and lengths recomputed (unless `fixup: false`) and checksums
 * recomputed (unless `checksum: stale`); byte mutations (truncate, extend, zero, write, bitflip,
 * interesting, random_bytes, splice) edit the bytes, after which root-level checksums are
 * recomputed too unless stale. Randomness comes from splitmix64 seeded from the seed given;
 * the recorded concrete list contains every random choice, so replaying it needs no PRNG.
 *
 * Ownership: a mutate_list owns its ops (and splice inputs it loaded); results own their bytes
 * and JSON; nothing points into the format or the seed data.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "format.h"

struct mutate_list;

/* Parse a YAML list of mutation specs. file and base_dir (for splice `with:` files) come from the
 * scenario. Returns 0 or -EINVAL (diags appended). */
int mutate_list_parse(const struct ynode *seq, const char *file, const char *base_dir,
		      struct diags *diags, struct mutate_list **ret);
/* Parse text holding one op map ("{op: truncate, size: 40}") or a list of them (a recorded
 * mutations_json array). */
int mutate_list_parse_text(const char *text, const char *file, const char *base_dir,
			   struct diags *diags, struct mutate_list **ret);
struct mutate_list *mutate_list_new(void); /* empty: expands into the seed as is */
/* Concatenate b's ops onto a (b is consumed). */
void mutate_list_append(struct mutate_list *a, struct mutate_list *b);
struct mutate_list *mutate_list_free(struct mutate_list *l);
size_t mutate_list_size(const struct mutate_list *l);
/* True when some op needs a format description (structural ops, `at:` paths, `each`). */
bool mutate_list_needs_format(const struct mutate_list *l);

struct mutate_output {
	uint8_t *data;
	size_t size;
	char *json;   /* JSON array of the concrete mutations applied */
	size_t index; /* variant index within the expansion (stable across dedup) */
	char sha256[65];
	/* Why this input is worth a look, or NULL: set when it equals the seed (an expansion
	 * of one variant keeps it), and says when a checksum fix-up undid a byte mutation. */
	char *note;
};

struct mutate_result {
	struct mutate_output *v;
	size_t n;
	size_t n_variants;   /* before dropping duplicates */
	size_t n_duplicates; /* dropped because an earlier variant had the same SHA-256 */
	/* Dropped because they equal the seed (only when the list expands into more than one
	 * variant: a single one is kept, with a note), and of those (or the single one) how
	 * many a checksum fix-up made so, by writing back the checksum a byte op changed. */
	size_t n_same_as_seed;
	size_t n_undone;
};

#define MUTATE_MAX_VARIANTS 100000
#define MUTATE_MAX_SIZE (64u << 20)   /* one generated input */
#define MUTATE_MAX_TOTAL (256u << 20) /* all inputs of one expansion together */
#define MUTATE_MAX_NODES 4000000      /* decoded tree nodes while editing */

/* Expand and apply. f may be NULL when no op needs a format. Deterministic for (list, seed data,
 * seed). An op that cannot apply yields -EINVAL with a diag at the op's line and column. */
int mutate_expand(const struct mutate_list *l, const struct format *f, const uint8_t *data,
		  size_t size, uint64_t seed, const char *file, struct diags *diags,
		  struct mutate_result *ret);
/* Number of variants the list expands into (without applying); -EINVAL with diags when the
 * expansion needs a decodable seed that does not decode, or is too large. */
int mutate_count(const struct mutate_list *l, const struct format *f, const uint8_t *data,
		 size_t size, const char *file, struct diags *diags, size_t *ret_n);
/* A size no variant of the list goes below, for a seed of seed_size bytes (without applying):
 * extend and insert add to it; an op that may shrink the input brings it to 0. For limits
 * checked before anything is generated. */
size_t mutate_min_size(const struct mutate_list *l, size_t seed_size);
void mutate_result_finish(struct mutate_result *r);

/* Regenerate the bytes of a recorded case: apply mutations_json (a scenario_case's, or a
 * manifest line's "mutations") to seed_file. format_path may be NULL when no mutation needs a
 * format. Returns 0, or -EINVAL/-errno with *ret_error (caller frees) saying why. */
int mutate_replay(const char *mutations_json, const char *format_path, const char *seed_file,
		  uint8_t **ret, size_t *ret_size, char **ret_error);

/* A per-case seed from the scenario seed, the case name and an index (splitmix64 mixing). */
uint64_t mutate_seed_derive(uint64_t seed, const char *name, uint64_t index);
