/* readfile.h — a whole file in memory and back, for the user-mode sensors and supervise. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The whole file in a malloc'd buffer of exactly its size, so that a sanitizer sees a read
 * past an update. Returns 0 or -errno; *ret (NULL for an empty file) is the caller's. */
int read_file(const char *path, uint8_t **ret, size_t *ret_size);

/* Replace path with the size bytes at buf, atomically (PATH.tmp, then rename), so that a
 * reader sees the old file or the new one, never half of it. Returns 0 or -errno. */
int write_file_atomic(const char *path, const uint8_t *buf, size_t size);
