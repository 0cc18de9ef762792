/* ynode.h — the one YAML reader: scenarios, sensor.yaml files and format descriptions are all
 * read through it. It builds a small node tree with 1-based line/column marks, refuses aliases,
 * bounds nesting depth and node count, and reports libyaml's own errors (bad syntax, invalid
 * UTF-8) as located diags.
 *
 * Ownership: ynode_parse() returns a tree the caller frees with ynode_free() (accepts NULL);
 * pointers from ynode_get() live as long as the tree.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode {
	enum ynode_kind kind;
	unsigned line, column; /* 1-based */
	char *scalar;	       /* YNODE_SCALAR: the text (NUL-terminated; may contain NULs) */
	size_t scalar_len;
	bool quoted;	      /* scalar was quoted: never a number/bool/null */
	size_t n;	      /* SEQ: items; MAP: pairs */
	struct ynode **items; /* SEQ items, or MAP values */
	struct ynode **keys;  /* MAP keys (scalars) */
};

#define YNODE_MAX_DEPTH 64
#define YNODE_MAX_NODES 1000000

/* Parse one YAML document from memory. file names the input in diags. An empty document yields
 * an empty map. A key repeated in a map is an error at the repeated key (every one is reported);
 * syntax errors, aliases, depth and node limits stop the reading at the first. Returns 0 or
 * -EINVAL (diags appended). */
int ynode_parse(const char *file, const void *data, size_t size, struct diags *diags,
		struct ynode **ret);
struct ynode *ynode_free(struct ynode *n);
static inline void ynode_freep(struct ynode **n)
{
	ynode_free(*n);
}
/* Map lookup; NULL when absent or n is not a map. */
struct ynode *ynode_get(const struct ynode *n, const char *key);
/* Scalar to unsigned integer (decimal, 0x hex, 0b binary, '_' separators). -ERANGE above max,
 * -EINVAL not a number. */
int ynode_uint(const struct ynode *n, uint64_t max, uint64_t *ret);
/* Scalar to signed 64-bit integer. */
int ynode_int(const struct ynode *n, int64_t *ret);
/* Scalar to bool (true/false/yes/no/on/off). */
int ynode_bool(const struct ynode *n, bool *ret);
/* Complain about keys of map n that are not in the NULL-terminated list allowed; returns the
 * number of unknown keys. what names the map in the message ("fleet", "mutation"). */
unsigned ynode_check_keys(const struct ynode *n, const char *file, const char *what,
			  const char *const *allowed, struct diags *diags);
const char *ynode_kind_name(enum ynode_kind k);
