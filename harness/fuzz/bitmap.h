/* bitmap.h — what a campaign has covered so far, and whether a case's trace adds to it.
 *
 * A trace is what the coverage file (covfile.h) holds after a case: an edge map of hit counts and
 * a block map. Counts are bucketed as AFL does (1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+), so a
 * loop that runs a few more times is not new, one that runs an order of magnitude more is. The
 * campaign's map remembers, per edge, every bucket seen; and every block seen.
 *
 * Ownership: a fuzz_bitmap owns its arrays (fuzz_bitmap_finish).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fuzz_bitmap {
	size_t size;	     /* counters in each map, a power of two */
	uint8_t *edge_seen;  /* per edge: the buckets seen (bit per bucket) */
	uint8_t *block_seen; /* per block: 1 when seen */
	/* per edge: 1 when its hit count varies between runs of one input (a timer, a periodic
	 * probe): a new bucket of such an edge is not news */
	uint8_t *variable;
	size_t n_edges, n_blocks;
};

enum fuzz_news {
	FUZZ_NEWS_NONE = 0,
	FUZZ_NEWS_COUNTS = 1, /* a known edge in a bucket not seen before */
	FUZZ_NEWS_EDGES = 2,  /* an edge or block never seen */
};

void fuzz_bitmap_init(struct fuzz_bitmap *b, size_t size);
void fuzz_bitmap_finish(struct fuzz_bitmap *b);
/* The bucket bit of a hit count (0 for none). */
uint8_t fuzz_bucket(uint8_t count);
/* What the trace would add, without adding it. */
enum fuzz_news fuzz_bitmap_news(const struct fuzz_bitmap *b, const uint8_t *edges,
				const uint8_t *blocks);
/* Add the trace; returns what it added. */
enum fuzz_news fuzz_bitmap_merge(struct fuzz_bitmap *b, const uint8_t *edges,
				 const uint8_t *blocks);
/* Two runs of one input: mark the edges whose buckets differ as variable. Returns how many
 * edges or blocks one run covered and the other did not (0: the same code was covered). */
size_t fuzz_bitmap_calibrate(struct fuzz_bitmap *b, const uint8_t *edges1, const uint8_t *blocks1,
			     const uint8_t *edges2, const uint8_t *blocks2);
/* Edges (non-zero counters) of a map of size counters. */
size_t fuzz_trace_count(const uint8_t *map, size_t size);
/* A hash of the trace: equal for traces that cover the same edges and blocks (with counts: in the
 * same buckets too). */
uint64_t fuzz_trace_hash(const uint8_t *edges, const uint8_t *blocks, size_t size, bool counts);

/* Save to / load from a file (resume): the size, then the three maps. Load returns -EBADMSG for a
 * file of another size or shape. */
int fuzz_bitmap_save(const struct fuzz_bitmap *b, const char *path);
int fuzz_bitmap_load(struct fuzz_bitmap *b, const char *path);
