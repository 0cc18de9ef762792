/* util.c — see util.h. */
#include "util.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

static void *oom(void *p)
{
	if (!p) {
		fputs("faultline: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xmalloc(size_t n)
{
	return oom(malloc(n ? n : 1));
}

void *xzalloc(size_t n)
{
	return oom(calloc(1, n ? n : 1));
}

void *xcalloc(size_t nmemb, size_t size)
{
	return oom(calloc(nmemb ? nmemb : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return oom(realloc(p, n ? n : 1));
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
	return oom(reallocarray(p, nmemb ? nmemb : 1, size ? size : 1));
}

void *xgrowarray(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	return xreallocarray(p, *cap, size);
}

char *xstrdup(const char *s)
{
	return oom(strdup(s));
}

char *xstrndup(const char *s, size_t n)
{
	return oom(strndup(s, n));
}

void *xmemdup(const void *p, size_t n)
{
	void *q = xmalloc(n);
	if (n)
		memcpy(q, p, n);
	return q;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return oom(s);
}

void strappendf(char **text, const char *sep, const char *fmt, ...)
{
	_cleanup_free_ char *line = NULL;
	va_list ap;
	char *joined;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	oom(line);
	joined = xasprintf("%s%s%s", *text ? *text : "", *text ? sep : "", line);
	free(*text);
	*text = joined;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int read_file(const char *path, size_t max, uint8_t **ret_data, size_t *ret_size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *buf = NULL;
	size_t size = 0, cap = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (size == cap) {
			if (cap > max)
				return -EFBIG;
			cap = cap ? cap * 2 : 4096;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + size, cap - size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	if (size > max)
		return -EFBIG;
	if (!buf)
		buf = xzalloc(1);
	buf[size] = 0; /* convenient for text files; not counted in size */
	*ret_data = TAKE_PTR(buf);
	*ret_size = size;
	return 0;
}

char *shell_quote(const char *s)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				   "_-+./:,@%";
	size_t n = 2;
	char *q, *p;

	if (*s && s[strspn(s, safe)] == 0)
		return xstrdup(s);
	for (const char *c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	p = q = xmalloc(n + 1);
	*p++ = '\'';
	for (const char *c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else
			*p++ = *c;
	}
	*p++ = '\'';
	*p = 0;
	return q;
}

int write_file_atomic(const char *path, const void *data, size_t size)
{
	/* A name nobody can guess, made with O_EXCL: a symlink or file planted beside path is
	 * never followed or reused. */
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	const uint8_t *p = data;

	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) < 0) {
		int r = -errno;
		unlink(tmp);
		return r;
	}
	while (size > 0) {
		ssize_t n = write(fd, p, size);
		if (n < 0) {
			int r = -errno;
			if (r == -EINTR)
				continue;
			unlink(tmp);
			return r;
		}
		p += n;
		size -= (size_t)n;
	}
	if (fsync(fd) < 0 || rename(tmp, path) < 0) {
		int r = -errno;
		unlink(tmp);
		return r;
	}
	return 0;
}

int mkdir_private(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		return -EPERM;
	return 0;
}

int mkdir_p(const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

void sha256_hex(const void *data, size_t size, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_Digest(data, size, md, &len, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < len && i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[64] = 0;
}
