/* cmplog.c — running a comparison-tracing host build and turning its operands into
 * input-to-state replacements (see cmplog.h). */
#include "cmplog.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

void fuzz_cmplog_finish(struct fuzz_cmplog *l)
{
	free(l->v);
	*l = (struct fuzz_cmplog){0};
}

void fuzz_cmplog_from_covfile(const struct covfile_view *v, struct fuzz_cmplog *ret)
{
	struct fuzz_cmplog l = {0};

	if (v->n_cmps)
		l.v = xcalloc(v->n_cmps, sizeof(*l.v));
	for (size_t i = 0; i < v->n_cmps; i++) {
		const struct covfile_cmp *c = covfile_cmp_at(v, i);
		if (c->width == 1 || c->width == 2 || c->width == 4 || c->width == 8)
			l.v[l.n++] = (struct fuzz_cmp){c->site, (uint8_t)c->width, c->a, c->b};
	}
	*ret = l;
}

int fuzz_cmplog_parse(const char *text, struct fuzz_cmplog *ret)
{
	struct fuzz_cmplog l = {0};
	size_t cap = 0;
	bool end = false;

	for (const char *p = text; *p && !end;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		_cleanup_free_ char *line = xstrndup(p, len);
		unsigned long long site, w, a, b, st;

		if (len > 4 && !strncmp(line, "end ", 4) && sscanf(line + 4, "%llx", &st) == 1) {
			l.crashed = st >= 0x100;
			end = true;
		} else if (sscanf(line, "%llx %llx %llx %llx", &site, &w, &a, &b) == 4 &&
			   (w == 1 || w == 2 || w == 4 || w == 8)) {
			if (l.n == cap)
				l.v = xreallocarray(l.v, cap = cap ? 2 * cap : 64, sizeof(*l.v));
			l.v[l.n++] = (struct fuzz_cmp){(uint32_t)site, (uint8_t)w, a, b};
		}
		p += len + (nl ? 1 : 0);
	}
	if (!end) {
		fuzz_cmplog_finish(&l);
		return -EINVAL;
	}
	*ret = l;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int read_all(int fd, char **ret)
{
	size_t n = 0, cap = 4096;
	char *buf = xmalloc(cap + 1);
	ssize_t k;

	while ((k = read(fd, buf + n, cap - n)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			free(buf);
			return -errno;
		}
		n += (size_t)k;
		if (n == cap)
			buf = xrealloc(buf, (cap *= 2) + 1);
	}
	buf[n] = '\0';
	*ret = buf;
	return 0;
}

int fuzz_cmplog_run(const char *prog, const uint8_t *data, size_t size, struct fuzz_cmplog *ret)
{
	char path[] = "/tmp/faultline-cmplog-XXXXXX";
	_cleanup_free_ char *out = NULL;
	posix_spawn_file_actions_t fa;
	int fd = mkstemp(path), pipefd[2], status, r;
	pid_t pid;

	if (fd < 0)
		return -errno;
	r = write_all(fd, data, size);
	close(fd);
	if (r < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		r = r < 0 ? r : -errno;
		unlink(path);
		return r;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = {(char *)prog, path, NULL};
	r = -posix_spawn(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r == 0) {
		r = read_all(pipefd[0], &out);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(pipefd[0]);
	unlink(path);
	if (r < 0)
		return r;
	return fuzz_cmplog_parse(out, ret);
}

static void put(uint8_t *p, uint64_t v, unsigned w, bool big)
{
	for (unsigned i = 0; i < w; i++)
		p[big ? w - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static unsigned fit(uint64_t v)
{
	return v >> 32 ? 8 : v >> 16 ? 4 : v >> 8 ? 2 : 1;
}

/* Every place where `from` (w bytes, either order) is in data: `to` there, in the same order. A
 * pattern found more than CMPLOG_AMBIGUOUS times (a zero byte, say) tells nothing of where the
 * operand came from: none of its places. */
enum { CMPLOG_AMBIGUOUS = 4 };
static size_t replace(uint64_t from, uint64_t to, unsigned w, const uint8_t *data, size_t size,
		      struct fuzz_i2s *out, size_t n, size_t max)
{
	for (int big = 0; big < (w > 1 ? 2 : 1); big++) {
		uint8_t pat[8];
		size_t found = 0;

		put(pat, from, w, big);
		for (size_t o = 0; o + w <= size; o++)
			found += !memcmp(data + o, pat, w);
		if (found > CMPLOG_AMBIGUOUS)
			continue;
		for (size_t o = 0; o + w <= size && n < max; o++)
			if (!memcmp(data + o, pat, w)) {
				out[n] = (struct fuzz_i2s){.offset = o, .width = (uint8_t)w};
				put(out[n].bytes, to, w, big);
				n++;
			}
	}
	return n;
}

size_t fuzz_cmplog_candidates(const struct fuzz_cmplog *l, const uint8_t *data, size_t size,
			      struct fuzz_i2s *out, size_t max)
{
	size_t n = 0;

	/* the last comparisons first: the check that stopped the parser is near the end */
	for (size_t j = l->n; j-- > 0 && n < max;) {
		size_t i = j;
		const struct fuzz_cmp *c = &l->v[i];
		unsigned small = fit(c->a) > fit(c->b) ? fit(c->a) : fit(c->b);
		bool seen = false;

		if (c->a == c->b)
			continue;
		for (size_t k = i + 1; k < l->n && !seen; k++)
			seen = l->v[k].a == c->a && l->v[k].b == c->b && l->v[k].width == c->width;
		if (seen)
			continue;
		for (unsigned w = small; w <= c->width && n < max; w *= 2) {
			n = replace(c->a, c->b, w, data, size, out, n, max);
			n = replace(c->b, c->a, w, data, size, out, n, max);
		}
	}
	return n;
}

static bool has_site(const struct fuzz_cmplog *l, uint32_t site)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].site == site)
			return true;
	return false;
}

size_t fuzz_cmplog_new_sites(const struct fuzz_cmplog *a, const struct fuzz_cmplog *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n; i++) {
		bool dup = false;
		for (size_t k = 0; k < i && !dup; k++)
			dup = b->v[k].site == b->v[i].site;
		if (!dup && !has_site(a, b->v[i].site))
			n++;
	}
	return n;
}
