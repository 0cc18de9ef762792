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

enum format_type { FORMAT_UINT, FORMAT_BYTES, FORMAT_RECORD };
enum format_role {
	FORMAT_ROLE_NONE,
	FORMAT_ROLE_COUNT,
	FORMAT_ROLE_LENGTH,
	FORMAT_ROLE_OFFSET,
	FORMAT_ROLE_CHECKSUM
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
	bool repeated; /* an array of this item; counted by count_by or up to the end */
	enum format_role role;
	char *target_name; /* what the role points at ("parent" = the record this field is in) */
	/* description: what a value of the field means, or NULL. `faultline minimize` shows it
	 * beside a change of the field, with {NAME} replaced by the value of field NAME in the
	 * same record or an enclosing one, {seed} by the field's value in the seed and {value} by
	 * its new value. */
	char *description;
	struct format_item *target;    /* resolved; NULL for "parent" */
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

/* ---- value tree ---- */

enum format_pin {
	FORMAT_PIN_NONE = 0, /* derived fields are recomputed on encode */
	FORMAT_PIN_ABS,	     /* keep value as set */
	FORMAT_PIN_ADD,	     /* true value + pin_arg */
	FORMAT_PIN_MUL,	     /* true value * pin_arg */
	FORMAT_PIN_PAST_END, /* length/offset reaching pin_arg + 1 bytes past the end of the file */
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
};

/* Decode data strictly (every count, length and size must agree). On failure returns -EINVAL
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
/* Every UINT and BYTES leaf in document order. */
void format_node_leaves(struct format_node *root, struct format_node ***nodes, size_t *n_nodes);

uint32_t format_crc32(const uint8_t *data, size_t size);
