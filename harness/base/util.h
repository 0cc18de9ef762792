/* util.h — allocation, cleanup and small helpers shared by every harness module.
 *
 * Out-of-memory policy: the x* allocators abort; callers never check for NULL.
 * Cleanup: _cleanup_(fn) runs fn(&var) on scope exit; the helpers below accept NULL.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_fd;                                                                               \
	})

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
	static inline void func##p(type *p)                                                        \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
/* Room for entry n of the array p of *cap entries: the capacity doubles when it is full, so that
 * an array grown one entry at a time costs linear time (a realloc per entry copies the whole
 * array each time; ASan's realloc always moves, and thousands of cases took 50 s to validate). */
void *xgrowarray(void *p, size_t n, size_t *cap, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
/* Append a formatted line to *text (a malloc'd string or NULL), after sep when it is not empty:
 * notes that collect over a case. */
void strappendf(char **text, const char *sep, const char *fmt, ...) _printf_(3, 4);

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static inline bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* s as one shell word: unchanged when made only of characters no shell treats specially,
 * otherwise in single quotes (a ' inside becomes '\''). For commands printed for the user to
 * paste. Caller frees. */
char *shell_quote(const char *s);

/* Monotonic clock in milliseconds. */
uint64_t now_ms(void);

/* Read a whole file (at most max bytes; -EFBIG beyond). Caller frees *ret_data. */
int read_file(const char *path, size_t max, uint8_t **ret_data, size_t *ret_size);
/* Write a whole file via a temporary and rename, fsync'd. */
int write_file_atomic(const char *path, const void *data, size_t size);
/* mkdir -p, mode 0755. */
int mkdir_p(const char *path);
/* A folder only we can use, in a place others can write to (/tmp): made with mode 0700 when
 * absent (its parent must exist); refused with -EPERM when it is a symlink, not a folder, not
 * ours or open to anyone else, since another user could have planted files in it. */
int mkdir_private(const char *path);
/* Lowercase hex SHA-256 of a buffer into out[65]. */
void sha256_hex(const void *data, size_t size, char out[65]);
