/* ynode.h — the one YAML reader: scenarios, sensor.yaml files and format descriptions are all
 * read through it. It builds a small node tree with 1-based line/column marks, refuses aliases,
 * bounds nesting depth and node count, and reports libyaml's own errors (bad syntax, invalid
 * UTF-8) as located diags. The typed getters (ynode_want_*) are how every reader of a tree checks
 * a value and reports a wrong one, so that the same mistake reads the same in every file.
 *
 * Ownership: ynode_parse() returns a tree the caller frees with ynode_free() (accepts NULL);
 * pointers from ynode_get() and the string getters live as long as the tree. A struct ynode_ctx
 * borrows its file name and diags.
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

/* A duration as the YAML files (and the command line) write it: "60s", "500ms", "2m", "1h", or a
 * number of seconds (decimals allowed). Returns 0, -EINVAL, or -ERANGE past a day. */
#define YNODE_DURATION_MAX_MS 86400000u
int ynode_parse_duration_ms(const char *s, uint64_t *ret);

/* ---- typed, located getters ----
 *
 * Each checks one node and, when it is not what was asked for, appends a diag at the node's
 * line and column ("<what> must be ..., not ...") and counts it in ctx->errors; the reader goes
 * on, so one validation shows every problem. what names the value as the user wrote it ("fleet
 * size", "probe timeout"). A NULL node is an absent key: no diag, and the getter returns
 * false/NULL. Outputs are set only on success. */
struct ynode_ctx {
	const char *file;
	struct diags *diags;
	unsigned errors; /* diags added through this context */
};

/* A located problem at node at (NULL: the file as a whole), counted. */
void ynode_error(struct ynode_ctx *c, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum {
	YNODE_NONEMPTY = 1 << 0, /* "" is an error */
	YNODE_ONE_LINE = 1 << 1, /* a newline is an error (values of key=value files) */
};
/* A scalar without NUL characters ("" allowed unless YNODE_NONEMPTY). */
const char *ynode_want_string(struct ynode_ctx *c, const struct ynode *n, const char *what,
			      unsigned flags);
/* true/false (yes/no, on/off) as ynode_bool() reads it; a quoted one is a string. */
bool ynode_want_bool(struct ynode_ctx *c, const struct ynode *n, const char *what, bool *ret);
/* A whole number from min to max (ynode_uint()'s forms; unquoted). */
bool ynode_want_uint(struct ynode_ctx *c, const struct ynode *n, const char *what, uint64_t min,
		     uint64_t max, uint64_t *ret);
bool ynode_want_int(struct ynode_ctx *c, const struct ynode *n, const char *what, int64_t min,
		    int64_t max, int64_t *ret);
/* A duration (ynode_parse_duration_ms()) from min_ms to max_ms, in milliseconds. */
bool ynode_want_duration(struct ynode_ctx *c, const struct ynode *n, const char *what,
			 uint64_t min_ms, uint64_t max_ms, uint64_t *ret);
/* One of the NULL-terminated list allowed; returns the list's entry. */
const char *ynode_want_enum(struct ynode_ctx *c, const struct ynode *n, const char *what,
			    const char *const *allowed);
/* A map; like, when not NULL, shows what one looks like ("process: ..."). */
bool ynode_want_map(struct ynode_ctx *c, const struct ynode *n, const char *what, const char *like);
/* A list of at least min_items items; of says of what ("shell commands"), NULL for nothing. */
bool ynode_want_seq(struct ynode_ctx *c, const struct ynode *n, const char *what, const char *of,
		    size_t min_items);
/* ynode_check_keys() through the context: true when every key of map n is in allowed. */
bool ynode_want_keys(struct ynode_ctx *c, const struct ynode *n, const char *what,
		     const char *const *allowed);
