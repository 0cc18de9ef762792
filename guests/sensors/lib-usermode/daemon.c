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
/* Content active this long without a death is good even if no exec event came to test it. */
#define GOOD_AFTER_MS 5000

static const char *name = "sensor";
static int sig_fd = -1;
static unsigned long n_loads, n_rejects;

/* With ops->last_good: a copy of the bytes of the content in effect (ks_load() owns its own),
 * when it was loaded, and whether it has since evaluated exec events with the daemon alive. */
static struct {
	uint8_t *buf;
	size_t len;
	uint64_t since_ms;
	bool survived_events;
} cur;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

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

/* Before a load: content in effect that has lived (it evaluated exec events and the daemon is
 * still here, or it has been in effect GOOD_AFTER_MS) becomes the last good content,
 * ops->last_good, which the supervisor puts back when the update after it kills the daemon
 * (supervise --rollback), be it at the load or at the next event. Content loaded by a restart
 * after a death has not lived yet, so a bad update is never promoted by the restarts it
 * causes. */
static void keep_last_good(const struct daemon_ops *ops)
{
	int r;

	if (!cur.buf || !(cur.survived_events || mono_ms() - cur.since_ms >= GOOD_AFTER_MS))
		return;
	r = write_file_atomic(ops->last_good, cur.buf, cur.len);
	if (r < 0)
		daemon_say("cannot keep the last good content in %s: %s", ops->last_good,
			   strerror(-r));
}

/* After a load: next (taken) is the content in effect now. */
static void set_current(uint8_t *next, size_t next_len)
{
	free(cur.buf);
	cur.buf = next;
	cur.len = next_len;
	cur.since_ms = mono_ms();
	cur.survived_events = false;
}

/* Load the content file: 0 loaded, 1 rejected, -errno no file. The reply is for "reload". */
static int reload(const struct daemon_ops *ops, char *reply, size_t size)
{
	struct ks_content *c = NULL;
	uint8_t *buf = NULL, *keep = NULL;
	size_t len = 0;
	char why[256] = "";
	uint32_t n;
	const char *tmpl;
	int r = read_file(ops->content, &buf, &len);

	if (r < 0) {
		snprintf(reply, size, "error cannot read %s: %s", ops->content, strerror(-r));
		return r;
	}
	if (ops->last_good) {
		keep_last_good(ops);
		keep = malloc(len ? len : 1); /* ks_load() takes buf, and may reject it */
	}
	if (keep && len)
		memcpy(keep, buf, len);
	r = ks_load(buf, len, &c, why, sizeof(why));
	if (r < 0) {
		free(buf);
	} else {
		n = c->n;
		tmpl = c->tmpl->name; /* static: outlives c */
		r = ops->take(c, why, sizeof(why));
		if (r < 0)
			ks_content_free(c);
	}
	if (r == 0 && ops->last_good) {
		set_current(keep,
			    len); /* NULL when out of memory: nothing to keep, not stale bytes */
		keep = NULL;
	}
	free(keep);
	if (r < 0) {
		n_rejects++;
		daemon_say("rejected update: %s", why);
		snprintf(reply, size, "rejected %s", why);
		return 1; /* the previous content stays active */
	}
	n_loads++;
	daemon_say("loaded update: %u instances (template %s)", n, tmpl);
	snprintf(reply, size, "ok loaded %u instances (template %s)", n, tmpl);
	return 0;
}

unsigned long daemon_loads(void)
{
	return n_loads;
}

unsigned long daemon_rejects(void)
{
	return n_rejects;
}

/* Returns -1 to go on, or the exit status. */
static int handle_signals(const struct daemon_ops *ops, const char *sock)
{
	struct signalfd_siginfo si;
	char reply[512];

	while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(ops, reply, sizeof(reply));
			continue;
		}
		daemon_say("stopping on signal %d", (int)si.ssi_signo);
		unlink(sock);
		return 0;
	}
	return -1;
}

static void handle_clients(const struct daemon_ops *ops, int lfd)
{
	char cmd[64], reply[512];
	int cfd;

	/* until nobody waits; a client that said nothing is dropped */
	while ((cfd = ctl_accept(lfd, cmd, sizeof(cmd))) >= 0 || cfd == -EPROTO) {
		if (cfd < 0)
			continue;
		if (strcmp(cmd, "reload") == 0) {
			reload(ops, reply, sizeof(reply));
			ctl_reply(cfd, "%s", reply);
		} else {
			ops->on_command(cfd, cmd);
		}
	}
}

int daemon_run(const char *sock, const struct daemon_ops *ops)
{
	uint64_t last_ping = 0;
	char reply[512];
	int lfd = ctl_listen(sock), r;

	if (lfd < 0) {
		daemon_say("cannot listen on %s: %s", sock, strerror(-lfd));
		return 1;
	}
	if (reload(ops, reply, sizeof(reply)) < 0)
		daemon_say("no content yet (%s)", reply + strlen("error "));
	notify_send("READY=1");
	daemon_say("ready (content: %u instances)", ops->instances());
	for (;;) {
		struct pollfd p[3] = {{.fd = ops->event_fd, .events = POLLIN},
				      {.fd = lfd, .events = POLLIN},
				      {.fd = sig_fd, .events = POLLIN}};
		uint64_t now = mono_ms();

		if (now - last_ping >= WATCHDOG_PING_MS) {
			notify_send("WATCHDOG=1");
			last_ping = now;
		}
		if (poll(p, 3, WATCHDOG_PING_MS) < 0 && errno != EINTR) {
			daemon_say("poll: %s", strerror(errno));
			return 1;
		}
		if (p[0].revents) {
			ops->on_events();
			cur.survived_events = true; /* evaluated against the content, and alive */
		}
		if (p[1].revents)
			handle_clients(ops, lfd);
		if (p[2].revents && (r = handle_signals(ops, sock)) >= 0)
			return r;
	}
}
