/* mutate-internal.h — shared between the mutation engine's files (mutate.c: op specs and parsing,
 * mutate-apply.c: applying concrete ops, mutate-expand.c: expansion and replay). Not a public
 * interface. */
#pragma once

#include <json-c/json.h>

#include "format.h"
#include "mutate.h"

enum op_kind {
	OP_SET,
	OP_DROP,
	OP_DUPLICATE,
	OP_SWAP,
	OP_TRUNCATE,
	OP_EXTEND,
	OP_ZERO,
	OP_WRITE,
	OP_BITFLIP,
	OP_INTERESTING,
	OP_RANDOM_BYTES,
	OP_SPLICE,
	OP_INSERT,
	_OP_MAX,
};

extern const char *const mutate_op_names[_OP_MAX + 1]; /* NULL-terminated */

static inline bool op_is_tree(enum op_kind k)
{
	return k == OP_SET || k == OP_DROP || k == OP_DUPLICATE || k == OP_SWAP;
}

static inline bool op_is_random(enum op_kind k)
{
	return k == OP_BITFLIP || k == OP_INTERESTING || k == OP_RANDOM_BYTES || k == OP_SPLICE ||
	       k == OP_EXTEND || k == OP_INSERT;
}

enum where { WHERE_START, WHERE_MIDDLE, WHERE_END };
enum fill { FILL_ZERO, FILL_RANDOM, FILL_BYTE };

struct mutate_op {
	enum op_kind kind;
	unsigned line, column;
	char *at;    /* path, "each", or NULL */
	char *with;  /* swap: element path; splice: file as written */
	char *value; /* set: raw value text */
	bool value_quoted;
	bool value_each;
	bool fixed_place; /* interesting at: FIELD from value: each: at the field's start */
	uint8_t *hex;	  /* set/write/extend/random_bytes: explicit bytes */
	size_t n_hex;
	bool has_hex;
	bool has_offset, has_size, has_bit, has_width, has_with_offset, has_value_num;
	int64_t offset, size;
	uint64_t with_offset;
	unsigned bit, width;
	uint64_t value_num; /* interesting */
	enum where where;
	bool has_where;
	enum fill fill;
	uint8_t fill_byte;
	bool has_fill;
	unsigned times;
	unsigned count;
	bool stale, nofixup;
	bool solve; /* set on an equals: field: solve its expression's free field for it */
	char *about;
	uint8_t *with_data; /* splice input */
	size_t with_size;
};

struct mutate_list {
	struct mutate_op *v;
	size_t n;
};

void mutate_op_finish(struct mutate_op *o);
void mutate_op_copy(struct mutate_op *dst, const struct mutate_op *src);

/* splitmix64: tiny, portable, and the same on every machine. */
struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = rng_next(r);
	while (x >= lim);
	return x % n;
}

static inline bool node_derived(const struct format_node *n)
{
	return n->kind == FORMAT_NODE_UINT &&
	       (n->item->role == FORMAT_ROLE_COUNT || n->item->role == FORMAT_ROLE_LENGTH ||
		n->item->role == FORMAT_ROLE_OFFSET || n->item->role == FORMAT_ROLE_POINTER ||
		n->item->role == FORMAT_ROLE_INDEX || n->item->role == FORMAT_ROLE_REFERS ||
		n->item->role == FORMAT_ROLE_EQUALS);
}

/* The values interesting draws from (or enumerates) for a width: the boundary values, then the
 * integers of f's magic dictionary that fit (f may be NULL). Caller frees. */
size_t mutate_interesting_values(unsigned width, const struct format *f, uint64_t **ret);
/* A magic dictionary entry as bytes: a string's bytes, or an integer in its smallest width of
 * 1, 2, 4 or 8 bytes, in the format's byte order. Caller frees. */
uint8_t *mutate_magic_bytes(const struct format_magic *m, size_t *ret_n);

/* The JSON object recording one concrete op. */
json_object *mutate_op_json(const struct mutate_op *o);
/* Apply concrete ops (random fields get filled in) to a copy of data. *ret_undone: the checksum
 * fix-up after byte ops gave the seed back (the bytes changed were a checksum's). On failure,
 * *ret_failed is the index of the op that failed and *ret_error says why. */
int mutate_apply_all(const struct format *f, struct mutate_op *ops, size_t n, const uint8_t *data,
		     size_t size, uint64_t seed, const size_t *draw, uint8_t **ret,
		     size_t *ret_size, bool *ret_undone, size_t *ret_failed, char **ret_error);
