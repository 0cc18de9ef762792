/* strmap.h — a small string-keyed hash map from a key to a size_t (usually an index into an
 * array the caller owns). Used to deduplicate records, signatures, sensors and mutation classes
 * without quadratic scans, so that reports over 100,000 cases stay fast.
 *
 * Ownership: the map copies keys; values are plain numbers. strmap_free() accepts NULL. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct strmap;

struct strmap *strmap_new(void);
struct strmap *strmap_free(struct strmap *m);

/* The value slot for key, or NULL when absent. The slot stays valid until the next insertion. */
size_t *strmap_get(const struct strmap *m, const char *key);
/* The value slot for key, inserting it with value init when absent; *ret_created (may be NULL)
 * says which. The slot stays valid until the next insertion. */
size_t *strmap_put(struct strmap *m, const char *key, size_t init, bool *ret_created);
size_t strmap_size(const struct strmap *m);
