/* persist.c — see persist.h. */
#include "persist.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"

#define BOOT_DIGITS 6 /* boot numbers and counts */

static bool value_is(const char *v, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(v, want, n) == 0;
}

/* One word of the command line: a faultline.KEY=VALUE of persist.h's, or nothing to do. */
static void boot_word(const char *w, size_t n, struct agent_boot *b)
{
	const char *v;
	size_t vn;
	unsigned x;

#define KEY(s) agent_cmdline_key(w, n, s "=", &v, &vn)
	if (KEY("faultline.persist"))
		b->persist = value_is(v, vn, "1");
	else if (KEY("faultline.safe"))
		b->safe = value_is(v, vn, "1");
	else if (KEY("faultline.boot") && agent_cmdline_decimal(v, vn, BOOT_DIGITS, &x))
		b->boot = x;
	else if (KEY("faultline.recovery_boots") && agent_cmdline_decimal(v, vn, BOOT_DIGITS, &x) &&
		 x > 0)
		b->recovery_boots = x;
	else if (KEY("faultline.recovery"))
		b->recovery = value_is(v, vn, "counter")       ? AGENT_RECOVERY_COUNTER
			      : value_is(v, vn, "remediation") ? AGENT_RECOVERY_REMEDIATION
			      : value_is(v, vn, "manual")      ? AGENT_RECOVERY_MANUAL
							       : AGENT_RECOVERY_NONE;
#undef KEY
}

void agent_boot_parse(const char *cmdline, struct agent_boot *ret)
{
	struct agent_boot b = {.recovery_boots = AGENT_RECOVERY_BOOTS_DEFAULT};
	const char *p = cmdline, *w;
	size_t n;

	while (agent_cmdline_next(&p, &w, &n))
		boot_word(w, n, &b);
	*ret = b;
}

const char *agent_recovery_name(enum agent_recovery r)
{
	switch (r) {
	case AGENT_RECOVERY_COUNTER:
		return "counter";
	case AGENT_RECOVERY_REMEDIATION:
		return "remediation";
	case AGENT_RECOVERY_MANUAL:
		return "manual";
	case AGENT_RECOVERY_NONE:
		break;
	}
	return "";
}

void agent_boot_export(const struct agent_boot *b, bool mounted)
{
	char n[16];

	if (mounted)
		setenv("FAULTLINE_PERSIST", AGENT_PERSIST_DIR, 1);
	else
		unsetenv("FAULTLINE_PERSIST");
	snprintf(n, sizeof(n), "%u", b->boot);
	setenv("FAULTLINE_BOOT", n, 1);
	setenv("FAULTLINE_RECOVERY", agent_recovery_name(b->recovery), 1);
	snprintf(n, sizeof(n), "%u", b->recovery_boots);
	setenv("FAULTLINE_RECOVERY_BOOTS", n, 1);
}

bool agent_persist_mounted(const char *dir)
{
	char parent[PATH_MAX];
	struct stat a, b;

	snprintf(parent, sizeof(parent), "%s/..", dir);
	return stat(dir, &a) == 0 && stat(parent, &b) == 0 && S_ISDIR(a.st_mode) &&
	       a.st_dev != b.st_dev;
}

/* The folder part of path ("." when none). */
static void dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (!slash)
		snprintf(dir, size, ".");
	else
		snprintf(dir, size, "%.*s", (int)(n ? n : 1), path);
}

static int mkdir_p(const char *dir)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;

		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = c;
		if (!c)
			return 0;
	}
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int write_fd(int fd, const uint8_t *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return fsync(fd) < 0 ? -errno : 0;
}

int agent_persist_write(const char *path, const uint8_t *data, size_t len)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	int fd, r;

	dir_of(path, dir, sizeof(dir));
	r = mkdir_p(dir);
	if (r < 0)
		return r;
	if (snprintf(tmp, sizeof(tmp), "%s.faultline-tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = write_fd(fd, data, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	return fsync_path(dir);
}

int agent_persist_remove(const char *path)
{
	char dir[PATH_MAX];

	if (unlink(path) < 0)
		return -errno;
	dir_of(path, dir, sizeof(dir));
	return fsync_path(dir);
}

void agent_remedy_ask_text(unsigned boot, const char *store, bool stored, char *buf, size_t size)
{
	snprintf(buf, size, "boot=%u\nstore=%s\nstored=%d\n", boot, store, stored ? 1 : 0);
}
