/* format.h — binary content-format descriptions (guests/formats/NAME.yaml) and the value tree
 * that the mutation engine edits: decode bytes into a tree, edit it, encode it back with counts,
 * lengths, offsets and checksums recomputed.
 *
 * Ownership: format_load() returns a format that owns its items; a decoded tree points at the
 * items of its format, so the format must outlive it. Trees are freed with format_node_free().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ynode.h"

/* ---- format description ---- */

/* FORMAT_UNION: a tagged union; its kids are the cases (records), one of which is chosen by the
 * value of the tag field as decoded. */
enum format_type { FORMAT_UINT, FORMAT_BYTES, FORMAT_RECORD, FORMAT_UNION };
enum format_role {
	FORMAT_ROLE_NONE,
	FORMAT_ROLE_COUNT,
	FORMAT_ROLE_LENGTH,
	FORMAT_ROLE_OFFSET,
	FORMAT_ROLE_CHECKSUM,
	FORMAT_ROLE_POINTER, /* points_into: an offset into a table, kept on its element */
	FORMAT_ROLE_EQUALS,  /* equals: an expression of fields, sizes, counts, offsets, numbers */
	FORMAT_ROLE_INDEX,   /* index_into: the index of an element of a table, kept on it */
	FORMAT_ROLE_REFERS,  /* refers_to: TABLE.KEY: the KEY of an element of TABLE, kept on it */
};

/* The key that gives a field role r in a format ("count_of", ...); NULL for FORMAT_ROLE_NONE.
 * A static string. */
const char *format_role_key(enum format_role r);

/* One leaf of an equals: expression. */
struct format_term {
	enum {
		FORMAT_TERM_NUMBER,
		FORMAT_TERM_VALUE,
		FORMAT_TERM_SIZE,
		FORMAT_TERM_COUNT,
		FORMAT_TERM_OFFSET
	} kind;
	uint64_t number;
	char *name;		  /* the field named ("parent" for size(parent)) */
	struct format_item *item; /* resolved; NULL for parent */
};

/* An equals: expression in postfix: push a term, or apply an operator to the top of the stack
 * (unsigned 64-bit arithmetic, wrapping; x / 0 and x % 0 are 0). */
enum format_opcode {
	FORMAT_OP_TERM, /* push terms[arg] */
	FORMAT_OP_ADD,
	FORMAT_OP_SUB,
	FORMAT_OP_MUL,
	FORMAT_OP_DIV,
	FORMAT_OP_MOD,
	FORMAT_OP_AND,
	FORMAT_OP_OR,
	FORMAT_OP_XOR,
	FORMAT_OP_SHL,
	FORMAT_OP_SHR,
	FORMAT_OP_NOT, /* unary ~ */
	FORMAT_OP_NEG, /* unary - */
};

struct format_op {
	enum format_opcode code;
	size_t arg;
};

/* A value of the magic dictionary: an integer, or bytes (a quoted string or {hex: ...}). */
struct format_magic {
	bool is_bytes;
	bool big_endian; /* the format's default byte order, for an integer */
	uint64_t value;
	uint8_t *bytes;
	size_t len;
};

struct format_item {
	char *name;
	enum format_type type;
	unsigned width; /* FORMAT_UINT: 1, 2, 4 or 8 bytes */
	bool big_endian;
	bool has_const; /* value that a valid file has (magic) */
	uint64_t const_value;
	bool has_size; /* BYTES / RECORD of a fixed size */
	size_t size;
	bool has_offset; /* declared offset within the parent record (checked at load) */
	size_t offset;
	bool repeated;	/* an array of this item; counted by count_by, count, or up to the end */
	bool has_count; /* repeated exactly count times (no field holds the count) */
	uint64_t count;
	enum format_role role;
	char *target_name; /* what the role points at ("parent" = the record this field is in) */
	/* description: what a value of the field means, or NULL. `faultline minimize` shows it
	 * beside a change of the field, with {NAME} replaced by the value of field NAME in the
	 * same record or an enclosing one, {seed} by the field's value in the seed and {value} by
	 * its new value. */
	char *description;
	struct format_item *target; /* resolved; NULL for "parent" */
	char *base_name;	    /* offset_of/points_into from: what the offset counts from */
	struct format_item *base;   /* resolved; NULL = the file ("parent": see base_parent) */
	bool base_parent;	    /* from: parent, the record the field is in */
	/* points_into with from: (file, parent or a field): the value is an offset from that base
	 * to an element of TABLE anywhere in the file (any list of that item, nested or not), not
	 * from the start of the nearest table */
	bool base_any;
	/* recurse: NAME: a repeated field whose elements are laid out as the enclosing record
	 * NAME (its kids are NAME's; this item has none of its own), nested at most depth deep */
	char *recurse_name;
	struct format_item *recurse;
	unsigned depth;
	char *key_name;		   /* refers_to: the key field of the table's elements */
	struct format_item *key;   /* resolved */
	struct format_term *terms; /* equals: its leaves */
	size_t n_terms;
	struct format_op *prog; /* equals: the expression, in postfix */
	size_t n_prog;
	uint64_t *magic; /* magic: values the field means something with (set value: each) */
	size_t n_magic;
	uint64_t *bits; /* bits: the flag bits of an integer field (masks, nonzero, in order) */
	size_t n_bits;
	/* FORMAT_UNION: the tag field (switch:), resolved; a case (a kid of a union) carries the
	 * tag values that select it (when:), or is the default. */
	char *tag_name;
	struct format_item *tag;
	uint64_t *when;
	size_t n_when;
	bool is_default;
	/* a case on flag bits (mask:): it matches when tag & mask equals its when: value (the mask
	 * itself without when:); exact when: cases are tried first, then these in order */
	bool has_mask;
	uint64_t mask;
	/* range: [lo, hi] (or max:): a valid file's value lies inside; decoding checks it and
	 * set value: each tries both sides of both ends */
	bool has_range;
	uint64_t range_lo, range_hi;
	bool cstring; /* FORMAT_BYTES: ends at its NUL (not kept in the node's bytes) */
	struct format_item *count_by;  /* the field that counts this repeated item */
	struct format_item *length_by; /* the field that gives this item's size */
	struct format_item *parent;
	struct format_item **kids;
	size_t n_kids;
	unsigned id, line, column;
};

struct format;

/* Load a description. Returns 0, -EINVAL (errors appended to diags) or -errno. */
int format_load(const char *path, struct diags *diags, struct format **ret);
int format_parse(const char *file, const void *data, size_t size, struct diags *diags,
		 struct format **ret);
struct format *format_free(struct format *f);
const char *format_name(const struct format *f);
const char *format_path(const struct format *f);
const struct format_item *format_root(const struct format *f);
/* The format's magic dictionary (magic: at the top level), in the order written. */
const struct format_magic *format_magic(const struct format *f, size_t *ret_n);
/* The flag bits declared for integer field it: its bits:, then the masks of the mask: cases of
 * every union that switches on it, without repeats. Returns how many; *ret (caller frees) is
 * NULL when none. */
size_t format_flag_bits(const struct format *f, const struct format_item *it, uint64_t **ret);

/* ---- value tree ---- */

enum format_pin {
	FORMAT_PIN_NONE = 0, /* derived fields are recomputed on encode */
	FORMAT_PIN_ABS,	     /* keep value as set */
	FORMAT_PIN_ADD,	     /* true value + pin_arg */
	FORMAT_PIN_MUL,	     /* true value * pin_arg */
	FORMAT_PIN_PAST_END, /* length/offset reaching pin_arg + 1 bytes past the end of the file */
	/* an equals: field kept at its value, with the one free field of its expression solved
	 * so that the relation holds (where the operators on the way can be inverted) */
	FORMAT_PIN_SOLVE,
};

enum format_node_kind {
	FORMAT_NODE_UINT,
	FORMAT_NODE_BYTES,
	FORMAT_NODE_RECORD,
	FORMAT_NODE_ARRAY
};

struct format_node {
	const struct format_item *item;
	enum format_node_kind kind;
	uint64_t value; /* UINT */
	uint8_t *bytes; /* BYTES */
	size_t len;
	struct format_node **kids; /* RECORD: one per item kid; ARRAY: the elements */
	size_t n_kids;
	struct format_node *parent;
	enum format_pin pin;
	int64_t pin_arg;
	size_t offset, size; /* filled by decode and by encode */
	/* FORMAT_ROLE_POINTER: the element of the table that the offset pointed at when decoded
	 * (by serial; a clone keeps its serial) and how far into it. */
	uint64_t serial; /* unique per decoded node */
	uint64_t ref_serial;
	uint64_t ref_delta;
	bool has_ref;
};
/* Bytes a node takes in the file (a C string's NUL included). */
static inline size_t format_node_bytes_size(const struct format_node *n)
{
	return n->len + (n->item->cstring ? 1 : 0);
}

/* Decode data strictly (every count, length and size must agree; a union's tag must select a
 * case). On failure returns -EINVAL
 * and *ret_error (caller frees) says where and what. */
int format_decode(const struct format *f, const uint8_t *data, size_t size,
		  struct format_node **ret, char **ret_error);
/* Encode the tree: lay it out, recompute unpinned derived fields (unless !fix_lengths), and the
 * unpinned checksums (unless !fix_checksums, then they keep the value in the tree). Updates
 * offset/size/value of every node. */
int format_encode(const struct format *f, struct format_node *root, bool fix_lengths,
		  bool fix_checksums, uint8_t **ret, size_t *ret_size);
/* Recompute the root-level checksums of raw bytes in place (after byte-level mutations): only
 * checksums whose field and range sit at fixed root positions; ranges are clipped to the data.
 * Returns the number of checksums written. */
int format_fix_checksums_raw(const struct format *f, uint8_t *data, size_t size);

struct format_node *format_node_free(struct format_node *n);
struct format_node *format_node_clone(const struct format_node *n, struct format_node *parent);

/* Find nodes by path: "instance_count", "instances[0].fields[last].len", "instances[*].inst_len";
 * a name also matches inside non-repeated records (so "instances" finds payload.instances).
 * "[*]" matches every element; "last" the last one. Appends every match to *nodes (realloc'd).
 * Returns the number of matches, or -EINVAL with *ret_error set for a bad path. */
int format_node_find(struct format_node *root, const char *path, struct format_node ***nodes,
		     size_t *n_nodes, char **ret_error);
/* Canonical path of a node: "instances[0].fields[2].len" (transparent records omitted). */
char *format_node_path(const struct format_node *n);
/* For an index_into field: the number of elements of its table (the first index past the end);
 * for a refers_to field: one more than the largest key of its table's elements (a key no
 * element has). False for other fields, or when there is no table. */
bool format_node_missing_ref(struct format_node *n, uint64_t *ret);
/* Every UINT and BYTES leaf in document order. */
void format_node_leaves(struct format_node *root, struct format_node ***nodes, size_t *n_nodes);

/* Hex text ("de ad:be_ef", separators ' ', ':' and '_') to bytes; -EINVAL when it is not. */
int format_parse_hex(const char *s, uint8_t **ret, size_t *ret_n);

uint32_t format_crc32(const uint8_t *data, size_t size);
