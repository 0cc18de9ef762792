/* ctl.c — see ctl.h. */
#define _GNU_SOURCE
#include "ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int ctl_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 8) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int ctl_accept(int lfd, char *line, size_t size)
{
	struct timeval tv = {.tv_sec = 1};
	size_t used = 0;
	int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (cfd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* A client that connects and says nothing must not stop the daemon for long. */
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (used < size - 1) {
		ssize_t n = read(cfd, line + used, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || line[used] == '\n')
			break;
		used++;
	}
	line[used] = 0;
	if (used == 0) {
		close(cfd);
		return -EPROTO;
	}
	return cfd;
}

void ctl_reply(int cfd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(cfd, buf, (size_t)n);
	close(cfd);
}
