/* usensord — the legacy KSCU interpreter (lib-kscu) as a user-mode daemon.
 *
 *   usensord --content FILE --socket PATH [--name NAME]
 *
 * Exec events come from the kernel's proc connector (lib-usermode/procconn.h); content is the
 * file FILE, read at start and again on SIGHUP or on a "reload" command on the control socket
 * (lib-usermode/ctl.h), which answers "ok loaded ..." or "rejected REASON". A rejected update
 * leaves the previous content active, as in ksensor. Lines on stderr, in a stable form (the
 * supervisor copies them to its log and the kernel log):
 *
 *   NAME: ready (content: N instances|none)
 *   NAME: loaded update: N instances (template T)
 *   NAME: rejected update: REASON
 *   NAME: match rule N on COMM
 *   NAME: fatal signal SIGSEGV in FUNC+0xOFF (address A)   (crash.h; not in the ASan build)
 *
 * Built twice from this one source: usensor (static, crash reporter) and usensor-asan
 * (-fsanitize=address: AddressSanitizer reports instead). See README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "ctl.h"
#include "kscu.h"
#include "notify.h"
#include "procconn.h"

#if defined(__SANITIZE_ADDRESS__)
#define USENSOR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define USENSOR_ASAN 1
#endif
#endif

#define WATCHDOG_PING_MS 500

static const char *name = "usensor";
static const char *content_path;
static struct ks_content *active;
static unsigned long n_matches, n_loads, n_rejects, n_events, n_missed;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof(line), "%s: ", name);

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* one write per line, so lines from the crash reporter never interleave with ours */
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The whole file in a buffer of exactly its size (so that a sanitizer sees an over-read). */
static int read_update(const char *path, uint8_t **ret, size_t *ret_size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;
	size_t off = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf && st.st_size) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			free(buf);
			close(fd);
			return -e;
		}
		off += (size_t)n;
	}
	close(fd);
	*ret = buf;
	*ret_size = off;
	return 0;
}

/* Load content_path; on success it replaces the active content. The reply for the control
 * socket goes to reply. Returns 0 (loaded), 1 (rejected) or -errno (no file). */
static int reload(char *reply, size_t size)
{
	struct ks_content *c;
	uint8_t *buf = NULL;
	size_t len = 0;
	char why[256] = "";
	int r = read_update(content_path, &buf, &len);

	if (r < 0) {
		snprintf(reply, size, "error cannot read %s: %s", content_path, strerror(-r));
		return r;
	}
	r = ks_load(buf, len, &c, why, sizeof(why));
	if (r < 0) {
		free(buf);
		n_rejects++;
		say("rejected update: %s", why);
		snprintf(reply, size, "rejected %s", why);
		return 1;
	}
	ks_content_free(active);
	active = c;
	n_loads++;
	say("loaded update: %u instances (template %s)", c->n, c->tmpl->name);
	snprintf(reply, size, "ok loaded %u instances (template %s)", c->n, c->tmpl->name);
	return 0;
}

static void on_match(uint32_t rule, uint32_t action, const struct ks_event *ev, void *userdata)
{
	(void)userdata;
	n_matches++;
	if (action == 0)
		say("match rule %u on %s", rule, ev->comm);
}

static void on_exec(pid_t pid, void *userdata)
{
	struct ks_event ev = {0};

	(void)userdata;
	n_events++;
	if (procconn_describe(pid, ev.comm, ev.pcomm, &ev.uid) < 0) {
		n_missed++; /* gone before /proc could be read */
		return;
	}
	if (active)
		ks_eval(active, &ev, on_match, NULL);
}

static void handle_command(int cfd, const char *cmd)
{
	char reply[512];

	if (strcmp(cmd, "reload") == 0) {
		reload(reply, sizeof(reply));
		ctl_reply(cfd, "%s", reply);
	} else if (strcmp(cmd, "stats") == 0) {
		ctl_reply(cfd,
			  "ok matches=%lu loads=%lu rejects=%lu events=%lu missed=%lu "
			  "instances=%u",
			  n_matches, n_loads, n_rejects, n_events, n_missed,
			  active ? active->n : 0);
	} else {
		ctl_reply(cfd, "error unknown command '%s' (reload, stats)", cmd);
	}
}

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
		"Usage: usensord --content FILE --socket PATH [--name NAME]\n");
	return status;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"content", required_argument, NULL, 'c'},
					   {"socket", required_argument, NULL, 's'},
					   {"name", required_argument, NULL, 'n'},
					   {"help", no_argument, NULL, 'h'},
					   {0}};
	const char *sock = NULL;
	char reply[512];
	sigset_t mask;
	int c, nl, lfd, sfd, r;
	uint64_t last_ping = 0;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'c')
			content_path = optarg;
		else if (c == 's')
			sock = optarg;
		else if (c == 'n')
			name = optarg;
		else
			return usage(c == 'h' ? 0 : 2);
	}
	if (!content_path || !sock || optind != argc)
		return usage(2);
#ifndef USENSOR_ASAN
	r = crash_install(name);
	if (r < 0)
		say("crash reporter not installed: %s", strerror(-r));
#endif
	/* Win the race against short-lived processes: /proc/PID must be read before the process
	 * is reaped, so this daemon should run as soon as the exec wakes it. */
	setpriority(PRIO_PROCESS, 0, -10);

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	nl = procconn_open();
	if (nl < 0) {
		say("cannot subscribe to the proc connector: %s", strerror(-nl));
		return 1;
	}
	lfd = ctl_listen(sock);
	if (lfd < 0 || sfd < 0) {
		say("cannot listen on %s: %s", sock, strerror(lfd < 0 ? -lfd : errno));
		return 1;
	}
	/* The content on disk is what the last update left: loading it again is what makes a
	 * restarted daemon die again on the same bad update. */
	if (reload(reply, sizeof(reply)) < 0)
		say("no content yet (%s)", reply + strlen("error "));
	notify_send("READY=1");
	say("ready (content: %u instances)", active ? active->n : 0);

	for (;;) {
		struct pollfd p[3] = {{.fd = nl, .events = POLLIN},
				      {.fd = lfd, .events = POLLIN},
				      {.fd = sfd, .events = POLLIN}};
		uint64_t now = mono_ms();

		if (now - last_ping >= WATCHDOG_PING_MS) {
			notify_send("WATCHDOG=1");
			last_ping = now;
		}
		if (poll(p, 3, WATCHDOG_PING_MS) < 0 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			return 1;
		}
		if (p[0].revents) {
			r = procconn_read(nl, on_exec, NULL);
			if (r == -ENOBUFS)
				say("exec events lost: the kernel's queue overflowed");
			else if (r < 0)
				say("proc connector: %s", strerror(-r));
		}
		if (p[1].revents) {
			char cmd[64];
			int cfd;

			/* until nobody waits; a client that said nothing is dropped */
			while ((cfd = ctl_accept(lfd, cmd, sizeof(cmd))) >= 0 || cfd == -EPROTO)
				if (cfd >= 0)
					handle_command(cfd, cmd);
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					reload(reply, sizeof(reply));
					continue;
				}
				say("stopping on signal %d", (int)si.ssi_signo);
				unlink(sock);
				return 0;
			}
		}
	}
}
