/* format-internal.h — shared between format.c (descriptions) and format-tree.c (decoding and
 * encoding). Not a public interface. */
#pragma once

#include "format.h"
#include "util.h"

struct format {
	char *name;
	char *path;
	struct format_item *root;
	unsigned n_items;
	struct format_magic *magic;
	size_t n_magic;
};

/* Smallest encoding of an item (repeated kids count as empty). */
size_t format_item_min_size(const struct format_item *it);
/* Size when it does not depend on the data, else SIZE_MAX. */
size_t format_item_fixed_size(const struct format_item *it);

/* A description being read. */
struct fparse {
	const char *file;
	struct diags *diags;
	struct format *f;
	bool big_endian;
	unsigned errors;
};

/* Add a located error (at may be NULL) and count it. */
_printf_(3, 4) void format_ferr(struct fparse *p, const struct ynode *at, const char *fmt, ...);
/* Resolve names (roles, tags, bases, terms) and check the layout of a parsed tree, recursively. */
void format_resolve(struct fparse *p, struct format_item *it);
