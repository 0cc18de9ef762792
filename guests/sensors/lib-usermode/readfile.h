/* readfile.h — a whole file in memory, for the user-mode sensors. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The whole file in a malloc'd buffer of exactly its size, so that a sanitizer sees a read
 * past an update. Returns 0 or -errno; *ret (NULL for an empty file) is the caller's. */
int read_file(const char *path, uint8_t **ret, size_t *ret_size);
