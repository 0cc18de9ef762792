/* corpus.h — the inputs a campaign keeps (those that reached new coverage), on disk in the
 * campaign directory, and which one the next step mutates.
 *
 * On disk: DIR/ID.bin (the input) and DIR/ID.json ({"id", "parent", "mutations", "edges",
 * "new_edges", "found_ms"}), the .json written last: an entry without it is a cut-off write and
 * is not loaded. Entries load in id order, and ids are "NNNNNN-..." numbered in the order found,
 * so a resumed campaign sees its corpus as it was built.
 *
 * Scheduling: an entry's weight grows with the coverage it added and the kept inputs mutated
 * from it (its children), and shrinks with the times it was picked; the pick is a weighted draw
 * from the campaign's PRNG, so the same seed and the same outcomes give the same campaign.
 *
 * Ownership: the corpus owns its entries; corpus_add copies what it is given.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct corpus_entry {
	char *id;
	uint8_t *data;
	size_t size;
	char *parent;	      /* the entry it was mutated from, or NULL (a seed) */
	char *mutations_json; /* what made it from the parent ("[]" for a seed) */
	size_t edges;	      /* edges its own trace covers */
	size_t new_edges;     /* edges (and blocks) it added to the campaign's map */
	uint64_t found_ms;    /* campaign time it was found */
	unsigned picks;	      /* times chosen for mutation (this process) */
	unsigned children;    /* kept inputs mutated from it (this process) */
};

struct corpus {
	char *dir;
	struct corpus_entry *v;
	size_t n;
};

/* splitmix64: the campaign's one source of randomness */
uint64_t fuzz_rng_next(uint64_t *state);
/* uniform in [0, n), n > 0 */
uint64_t fuzz_rng_below(uint64_t *state, uint64_t n);

/* Open (create) the corpus in dir, loading what it holds. Returns 0 or -errno. */
int corpus_open(const char *dir, struct corpus **ret);
void corpus_free(struct corpus *c);
/* Keep e (copied) and write it to the directory; its id is made from the count and `name`.
 * Returns the new entry's index, or -errno (nothing kept). */
int corpus_add(struct corpus *c, const char *name, const struct corpus_entry *e);
/* The entry to mutate next (c->n > 0); counts the pick. */
size_t corpus_pick(struct corpus *c, uint64_t *rng);
/* A kept input came from entry i. */
void corpus_credit(struct corpus *c, size_t i);
