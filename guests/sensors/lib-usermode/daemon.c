/* daemon.c — see daemon.h. */
#define _GNU_SOURCE
#include "daemon.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "ctl.h"
#include "notify.h"
#include "readfile.h"

#define WATCHDOG_PING_MS 500

static const char *name = "sensor";
static const char *sock_path;
static int sig_fd = -1, listen_fd = -1;

int daemon_init(const char *n, bool crash_reporter)
{
	sigset_t mask;
	int r;

	name = n;
	if (crash_reporter) {
		r = crash_install(name);
		if (r < 0)
			daemon_say("crash reporter not installed: %s", strerror(-r));
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	return sig_fd < 0 ? -errno : 0;
}

void daemon_say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof(line), "%s: ", name);

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	while (n > 0 && line[n - 1] == '\n') /* libbpf's messages end in one */
		n--;
	line[n++] = '\n';
	/* one write per line, so lines from the crash reporter never interleave with ours */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

int daemon_reload(const char *path, daemon_take_fn take, void *userdata, char *reply, size_t size)
{
	struct ks_content *c = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	char why[256] = "";
	uint32_t n;
	const char *tmpl;
	int r = read_file(path, &buf, &len);

	if (r < 0) {
		snprintf(reply, size, "error cannot read %s: %s", path, strerror(-r));
		return r;
	}
	r = ks_load(buf, len, &c, why, sizeof(why));
	if (r < 0) {
		free(buf);
	} else {
		n = c->n;
		tmpl = c->tmpl->name; /* static: outlives c */
		r = take(c, why, sizeof(why), userdata);
		if (r < 0)
			ks_content_free(c);
	}
	if (r < 0) {
		daemon_say("rejected update: %s", why);
		snprintf(reply, size, "rejected %s", why);
		return 1; /* the previous content stays active */
	}
	daemon_say("loaded update: %u instances (template %s)", n, tmpl);
	snprintf(reply, size, "ok loaded %u instances (template %s)", n, tmpl);
	return 0;
}

int daemon_listen(const char *path)
{
	listen_fd = ctl_listen(path);
	if (listen_fd < 0)
		return listen_fd;
	sock_path = path;
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Returns -1 to go on, or the exit status. */
static int handle_signals(const struct daemon_ops *ops)
{
	struct signalfd_siginfo si;

	while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			ops->on_reload();
			continue;
		}
		daemon_say("stopping on signal %d", (int)si.ssi_signo);
		unlink(sock_path);
		return 0;
	}
	return -1;
}

int daemon_serve(const struct daemon_ops *ops, unsigned instances)
{
	uint64_t last_ping = 0;

	notify_send("READY=1");
	daemon_say("ready (content: %u instances)", instances);
	for (;;) {
		struct pollfd p[3] = {{.fd = ops->event_fd, .events = POLLIN},
				      {.fd = listen_fd, .events = POLLIN},
				      {.fd = sig_fd, .events = POLLIN}};
		uint64_t now = mono_ms();
		int r;

		if (now - last_ping >= WATCHDOG_PING_MS) {
			notify_send("WATCHDOG=1");
			last_ping = now;
		}
		if (poll(p, 3, WATCHDOG_PING_MS) < 0 && errno != EINTR) {
			daemon_say("poll: %s", strerror(errno));
			return 1;
		}
		if (p[0].revents)
			ops->on_events();
		if (p[1].revents) {
			char cmd[64];
			int cfd;

			/* until nobody waits; a client that said nothing is dropped */
			while ((cfd = ctl_accept(listen_fd, cmd, sizeof(cmd))) >= 0 ||
			       cfd == -EPROTO)
				if (cfd >= 0)
					ops->on_command(cfd, cmd);
		}
		if (p[2].revents && (r = handle_signals(ops)) >= 0)
			return r;
	}
}
