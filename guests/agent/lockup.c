/* lockup.c — the guest's soft lockup threshold, lowered once the sensor is up (lockup.h). */
#include "lockup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"

#define THRESH_MAX 60 /* the kernel refuses more (kernel/watchdog.c) */

int agent_lockup_parse(const char *cmdline, unsigned *ret_thresh)
{
	const char *p = cmdline, *w, *v;
	size_t n, vn;
	int r = -ENOENT;
	unsigned thresh = 0, x;

	while (agent_cmdline_next(&p, &w, &n)) {
		if (!agent_cmdline_key(w, n, AGENT_LOCKUP_KEY, &v, &vn))
			continue;
		r = agent_cmdline_decimal(v, vn, 2, &x) && x >= 1 && x <= THRESH_MAX ? 0 : -EINVAL;
		if (r == 0)
			thresh = x;
	}
	if (r == 0)
		*ret_thresh = thresh;
	return r;
}

/* The number in path. Returns 0 or -errno. */
static int read_thresh(const char *path, unsigned *ret)
{
	char buf[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *end;
	unsigned long v;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	buf[n] = 0;
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (end == buf || errno || v > THRESH_MAX)
		return -EIO;
	*ret = (unsigned)v;
	return 0;
}

static int write_thresh(const char *path, unsigned thresh)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u\n", thresh);
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, (size_t)len);
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return n == len ? 0 : -EIO;
}

int agent_lockup_lower(const char *path, unsigned thresh, unsigned *ret_was)
{
	unsigned was, now;
	int r = read_thresh(path, &was);

	if (r < 0)
		return r;
	if (was != thresh) {
		r = write_thresh(path, thresh);
		if (r < 0)
			return r;
		r = read_thresh(path, &now);
		if (r < 0)
			return r;
		if (now != thresh)
			return -EIO;
	}
	if (ret_was)
		*ret_was = was;
	return 0;
}
