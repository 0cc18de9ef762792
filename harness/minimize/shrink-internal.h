/* shrink-internal.h — shared between shrink.c (stages, ddmin, steps), shrink-tree.c (field
 * differences between decoded trees) and shrink-bytes.c (byte differences, and naming them by
 * the seed's fields). Not a public interface. */
#pragma once

#include "shrink.h"

/* ---- one kind of change from the seed: the units a ddmin pass keeps or drops ---- */

struct shrink_units {
	size_t n;
	/* The seed with the kept units applied. Returns 0, or -EINVAL with *ret_error (caller
	 * frees) when that is not a usable input: the step says why and the oracle never sees it.
	 */
	int (*build)(void *ctx, const bool *keep, uint8_t **ret, size_t *ret_size,
		     char **ret_error);
	/* Unit i in a few words, for the step list (caller frees). */
	char *(*name)(void *ctx, size_t i);
	void *ctx;
};

/* ---- field differences (shrink-tree.c) ---- */

enum tree_diff_kind {
	TREE_DIFF_LEAF,	 /* a value (integer or bytes) differs */
	TREE_DIFF_TAIL,	 /* a repeated field has another number of elements */
	TREE_DIFF_STALE, /* a count, length, offset or checksum is not what its target gives */
};

struct tree_diff {
	enum tree_diff_kind kind;
	const struct format_node *seed; /* the seed's node (TAIL: its array) */
	const struct format_node *cur;	/* the input's */
	const struct format_node *fix; /* the input's, fixed up (STALE: the value it should have) */
};

struct tree_units {
	const struct format *f;
	struct format_node *seed, *cur, *cur_fixed; /* cur_fixed: cur encoded with fix-ups */
	struct tree_diff *diffs;
	size_t n_diffs;
};

/* Decode both and list the differences. Returns 0, or -EINVAL with *ret_error saying which of
 * the two does not decode ("the seed: ..." or "the input: ..."). */
int tree_units_init(struct tree_units *t, const struct format *f, const uint8_t *seed,
		    size_t seed_size, const uint8_t *data, size_t size, char **ret_error);
void tree_units_finish(struct tree_units *t);
/* The ddmin view: one unit per difference. */
struct shrink_units tree_units_view(struct tree_units *t);
/* "instances[0]: field_count 3 -> 2 (template 1 declares 3 input fields)" (caller frees). */
char *tree_diff_line(const struct tree_diff *d);
/* A field's description with {seed} and {value} replaced by the two values, {NAME} by the value
 * of field NAME seen from record `where` (in it, else in the records around it); NULL when
 * desc is NULL (caller frees). */
char *tree_describe(const char *desc, const char *seed_v, const char *new_v,
		    const struct format_node *where);
/* How a line names field `name` of record `record`: "instances[0]: name", or "name" for a
 * field of the root (caller frees). */
char *tree_node_label(const struct format_node *record, const char *name);

/* ---- byte differences (shrink-bytes.c) ---- */

struct byte_units {
	const struct format *f;
	const uint8_t *seed, *cur;
	size_t seed_size, cur_size;
	size_t *pos; /* differing positions below both sizes, checksum bytes left out when fixed */
	size_t n_pos;
	bool length;	    /* the sizes differ: one more unit, the last */
	bool fix_checksums; /* the input's root checksums are right: keep every candidate's so */
};

void byte_units_init(struct byte_units *b, const struct format *f, const uint8_t *seed,
		     size_t seed_size, const uint8_t *cur, size_t cur_size);
void byte_units_finish(struct byte_units *b);
struct shrink_units byte_units_view(struct byte_units *b);
/* The byte-level differences named by the seed's fields where the seed decodes, and why the
 * input does not decode: appended to *lines. */
void bytes_explain(const struct format *f, const uint8_t *seed, size_t seed_size,
		   const uint8_t *data, size_t size, char ***lines, size_t *n);

/* ---- small helpers (shrink-tree.c) ---- */

void lines_push(char ***lines, size_t *n, char *line); /* takes line */
/* An integer as people read it: decimal up to 9999, else hex. */
char *shrink_fmt_uint(uint64_t v);
/* Bytes as a quoted string when printable (the first 32 characters of a long one), else hex
 * (the first 16 bytes). */
char *shrink_fmt_bytes(const uint8_t *b, size_t n);
