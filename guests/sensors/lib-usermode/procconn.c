/* procconn.c — see procconn.h. */
#define _GNU_SOURCE
#include "procconn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int procconn_open(void)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
	struct {
		struct nlmsghdr h;
		struct cn_msg c;
		uint32_t op;
	} __attribute__((packed)) m = {0};
	int fd, rcvbuf = 1 << 20;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (fd < 0)
		return -errno;
	/* bursts of execs (a shell script) must not overflow the default buffer */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	m.h.nlmsg_len = sizeof(m);
	m.h.nlmsg_type = NLMSG_DONE;
	m.c.id.idx = CN_IDX_PROC;
	m.c.id.val = CN_VAL_PROC;
	m.c.len = sizeof(m.op);
	m.op = PROC_CN_MCAST_LISTEN;
	if (send(fd, &m, sizeof(m), 0) < 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	return -e;
}

int procconn_read(int fd, void (*on_exec)(pid_t tgid, void *userdata), void *userdata)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	int events = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return events;
		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct cn_msg *c = NLMSG_DATA(h);
			const struct proc_event *e = (const struct proc_event *)c->data;

			if (h->nlmsg_type != NLMSG_DONE || c->id.idx != CN_IDX_PROC ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*c) + sizeof(*e)))
				continue;
			if (e->what != PROC_EVENT_EXEC)
				continue;
			events++;
			on_exec(e->event_data.exec.process_tgid, userdata);
		}
	}
}

static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return (int)n;
}

static int read_comm(pid_t pid, char comm[16])
{
	char path[64], buf[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = 0;
	snprintf(comm, 16, "%.15s", buf);
	return 0;
}

int procconn_describe(pid_t pid, char comm[16], char pcomm[16], uint32_t *ret_uid)
{
	char path[64], status[4096];
	const char *p;
	long ppid = 0;
	unsigned long uid = 0;
	int r;

	r = read_comm(pid, comm);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	r = read_small(path, status, sizeof(status));
	if (r < 0)
		return r;
	p = strstr(status, "\nPPid:");
	if (p)
		ppid = strtol(p + 6, NULL, 10);
	p = strstr(status, "\nUid:");
	if (p)
		uid = strtoul(p + 5, NULL, 10);
	pcomm[0] = 0;
	if (ppid > 0)
		(void)read_comm((pid_t)ppid, pcomm);
	*ret_uid = (uint32_t)uid;
	return 0;
}
