/* bitmap.c — the campaign's coverage and new-coverage decisions (see bitmap.h). */
#include "bitmap.h"

#include "util.h"

void fuzz_bitmap_init(struct fuzz_bitmap *b, size_t size)
{
	*b = (struct fuzz_bitmap){.size = size,
				  .edge_seen = xzalloc(size),
				  .block_seen = xzalloc(size),
				  .variable = xzalloc(size)};
}

void fuzz_bitmap_finish(struct fuzz_bitmap *b)
{
	free(b->edge_seen);
	free(b->block_seen);
	free(b->variable);
	*b = (struct fuzz_bitmap){0};
}

uint8_t fuzz_bucket(uint8_t c)
{
	if (c <= 2)
		return c;
	if (c == 3)
		return 4;
	if (c < 8)
		return 8;
	if (c < 16)
		return 16;
	if (c < 32)
		return 32;
	if (c < 128)
		return 64;
	return 128;
}

static enum fuzz_news scan(struct fuzz_bitmap *b, const uint8_t *edges, const uint8_t *blocks,
			   bool merge)
{
	enum fuzz_news news = FUZZ_NEWS_NONE;

	for (size_t i = 0; i < b->size; i++) {
		uint8_t k = fuzz_bucket(edges[i]);

		if (k && !(b->edge_seen[i] & k) && (!b->edge_seen[i] || !b->variable[i])) {
			if (!b->edge_seen[i])
				news = FUZZ_NEWS_EDGES;
			else if (news == FUZZ_NEWS_NONE)
				news = FUZZ_NEWS_COUNTS;
			if (merge) {
				b->n_edges += !b->edge_seen[i];
				b->edge_seen[i] |= k;
			}
		}
		if (blocks[i] && !b->block_seen[i]) {
			news = FUZZ_NEWS_EDGES;
			if (merge) {
				b->block_seen[i] = 1;
				b->n_blocks++;
			}
		}
	}
	return news;
}

enum fuzz_news fuzz_bitmap_news(const struct fuzz_bitmap *b, const uint8_t *edges,
				const uint8_t *blocks)
{
	return scan((struct fuzz_bitmap *)b, edges, blocks, false);
}

enum fuzz_news fuzz_bitmap_merge(struct fuzz_bitmap *b, const uint8_t *edges, const uint8_t *blocks)
{
	return scan(b, edges, blocks, true);
}

size_t fuzz_trace_count(const uint8_t *map, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < size; i++)
		n += map[i] != 0;
	return n;
}

size_t fuzz_bitmap_calibrate(struct fuzz_bitmap *b, const uint8_t *edges1, const uint8_t *blocks1,
			     const uint8_t *edges2, const uint8_t *blocks2)
{
	size_t differ = 0;

	for (size_t i = 0; i < b->size; i++) {
		differ += !edges1[i] != !edges2[i];
		differ += !blocks1[i] != !blocks2[i];
		if (fuzz_bucket(edges1[i]) != fuzz_bucket(edges2[i]))
			b->variable[i] = 1;
	}
	return differ;
}

uint64_t fuzz_trace_hash(const uint8_t *edges, const uint8_t *blocks, size_t size, bool counts)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a over the maps */

	for (size_t i = 0; i < size; i++) {
		h = (h ^ (counts ? fuzz_bucket(edges[i]) : edges[i] != 0)) * 0x100000001b3ull;
		h = (h ^ (blocks[i] != 0)) * 0x100000001b3ull;
	}
	return h;
}

int fuzz_bitmap_save(const struct fuzz_bitmap *b, const char *path)
{
	_cleanup_free_ uint8_t *buf = xmalloc(8 + 3 * b->size);
	uint64_t size = b->size;

	memcpy(buf, &size, 8);
	memcpy(buf + 8, b->edge_seen, b->size);
	memcpy(buf + 8 + b->size, b->block_seen, b->size);
	memcpy(buf + 8 + 2 * b->size, b->variable, b->size);
	return write_file_atomic(path, buf, 8 + 3 * b->size);
}

int fuzz_bitmap_load(struct fuzz_bitmap *b, const char *path)
{
	_cleanup_free_ uint8_t *buf = NULL;
	uint64_t size;
	size_t len;
	int r;

	if ((r = read_file(path, 8 + 3 * (size_t)(64u << 20), &buf, &len)) < 0)
		return r;
	if (len < 8)
		return -EBADMSG;
	memcpy(&size, buf, 8);
	if (size != b->size || len != 8 + 3 * size)
		return -EBADMSG;
	memcpy(b->edge_seen, buf + 8, size);
	memcpy(b->block_seen, buf + 8 + size, size);
	memcpy(b->variable, buf + 8 + 2 * size, size);
	b->n_edges = fuzz_trace_count(b->edge_seen, size);
	b->n_blocks = fuzz_trace_count(b->block_seen, size);
	return 0;
}
