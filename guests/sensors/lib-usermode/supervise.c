/* supervise — run a sensor daemon the way systemd's Restart=on-failure would, inside a guest
 * that has no systemd, and keep a record of every death.
 *
 *   supervise --name NAME --log FILE [--state FILE] [--kmsg] [--daemon] [--watchdog SEC]
 *             [--restart-ms MS] [--burst N] [--interval SEC] [--log-max BYTES]
 *             [--rollback N --content FILE --last-good FILE2 [--rollback-window SEC]]
 *             -- CMD [ARG]...
 *
 * - The daemon's stdout and stderr (its own lines, an AddressSanitizer report, a Rust panic, the
 *   crash reporter's frames) are copied verbatim to FILE, which is kept under --log-max bytes
 *   (FILE.1 keeps the previous part), and with --kmsg also to the kernel log, at most
 *   KMSG_PER_SEC lines a second, so that a chatty sensor cannot flood the console.
 * - Restart=on-failure: a death by signal or a non-zero exit is restarted after --restart-ms
 *   (RestartSec, default 100 ms); a clean exit is not. More than --burst starts within
 *   --interval seconds (StartLimitBurst=5, StartLimitIntervalSec=10 s) and it gives up.
 * - WatchdogSec=: with --watchdog, a daemon that sends no "WATCHDOG=1" (notify.h) for that many
 *   seconds is sent SIGABRT, then SIGKILL a second later.
 * - Rollback to the last known good content (what vendors adopted after July 2024): with
 *   --rollback N, when the daemon has died N times within --rollback-window seconds (default
 *   10) and the content file FILE differs from FILE2 (the last good content, kept by the
 *   daemon: daemon.h's last_good), FILE2 is copied over FILE before the restart, so the
 *   restarted daemon loads content that lived instead of the update that kills it. Once: after
 *   a rollback FILE is FILE2, and a daemon that still dies crash-loops to the start limit.
 * - Every event is one line in FILE (and the kernel log), in a stable form for the harness:
 *     supervise: NAME started pid=P start=N t_ms=T
 *     supervise: NAME ready pid=P t_ms=T
 *     supervise: NAME died pid=P signal=11 (SIGSEGV) uptime_ms=U restarts=R t_ms=T
 *     supervise: NAME died pid=P status=1 uptime_ms=U restarts=R t_ms=T
 *     supervise: NAME watchdog pid=P silent_ms=S, sending SIGABRT t_ms=T
 *     supervise: NAME restart=R in MS ms t_ms=T
 *     supervise: NAME rollback to last good content after N deaths t_ms=T
 *     supervise: NAME start-limit hit: N starts within S s, giving up t_ms=T
 *     supervise: NAME exited status=0, not restarting t_ms=T
 *   t_ms is CLOCK_MONOTONIC in milliseconds (the kernel log's clock).
 * - --state FILE is rewritten atomically on every event: name, state (starting, ready, restarting,
 *   failed, stopped), supervisor_pid, pid, starts, restarts, last_death, last_death_ms, ready_ms,
 *   rollbacks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "readfile.h"

#define KMSG_PER_SEC 50
#define LINE_MAX_BYTES 900 /* /dev/kmsg takes records up to about 1 KiB */
#define NOTIFY_FD 3

struct opts {
	const char *name, *log, *state, *content, *last_good;
	bool kmsg, daemon;
	unsigned watchdog_s, restart_ms, burst, interval_s, rollback, rollback_window_s;
	size_t log_max;
	char **argv;
};

static struct opts o = {
    .restart_ms = 100, .burst = 5, .interval_s = 10, .rollback_window_s = 10, .log_max = 1u << 20};

static int log_fd = -1;
static size_t log_size;

/* the running child */
static struct {
	pid_t pid;
	int out_fd, notify_fd;
	uint64_t started_ms, last_ping_ms;
	bool abort_sent;
	uint64_t kill_at_ms;
	char out[LINE_MAX_BYTES + 1], note[256];
	size_t out_len, note_len;
} ch = {.pid = -1, .out_fd = -1, .notify_fd = -1};

static unsigned starts, restarts;
static uint64_t *start_times; /* ring of the last o.burst start times */
static uint64_t *death_times; /* ring of the last o.rollback death times (with --rollback) */
static unsigned deaths, rollbacks;
static char state_name[16] = "starting", last_death[64] = "";
static uint64_t last_death_ms, ready_ms;

/* kmsg rate limit */
static uint64_t kmsg_window;
static unsigned kmsg_lines, kmsg_dropped;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void kmsg_write(const char *line, size_t len)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	/* one open per record: /dev/kmsg rate-limits each opener */
	if (fd < 0)
		return;
	(void)!write(fd, line, len);
	close(fd);
}

/* Copy to the kernel log under the rate limit; own=true lines (the supervisor's) always go. */
static void kmsg_copy(const char *line, size_t len, bool own)
{
	uint64_t sec = mono_ms() / 1000;

	if (!o.kmsg)
		return;
	if (sec != kmsg_window) {
		if (kmsg_dropped) {
			char note[128];
			int n = snprintf(note, sizeof(note),
					 "supervise: %s %u lines not copied to the kernel log\n",
					 o.name, kmsg_dropped);
			kmsg_write(note, (size_t)n);
		}
		kmsg_window = sec;
		kmsg_lines = 0;
		kmsg_dropped = 0;
	}
	if (!own && kmsg_lines >= KMSG_PER_SEC) {
		kmsg_dropped++;
		return;
	}
	kmsg_lines++;
	kmsg_write(line, len);
}

static void log_open(void)
{
	struct stat st;

	log_fd = open(o.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	log_size = log_fd >= 0 && fstat(log_fd, &st) == 0 ? (size_t)st.st_size : 0;
}

/* One whole line (ending in '\n') to the log file, rotated past o.log_max. */
static void log_line(const char *line, size_t len, bool own)
{
	if (log_fd >= 0 && log_size + len > o.log_max) {
		char old[4096];

		snprintf(old, sizeof(old), "%s.1", o.log);
		close(log_fd);
		rename(o.log, old);
		log_open();
	}
	if (log_fd >= 0 && write(log_fd, line, len) == (ssize_t)len)
		log_size += len;
	kmsg_copy(line, len, own);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[LINE_MAX_BYTES + 2];
	va_list ap;
	int n = snprintf(line, sizeof(line), "supervise: %s ", o.name);

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	n += snprintf(line + n, sizeof(line) - (size_t)n, "\n");
	log_line(line, (size_t)n, true);
}

static void write_state(void)
{
	char tmp[4096], text[1024];
	int fd, n;

	if (!o.state)
		return;
	n = snprintf(text, sizeof(text),
		     "name=%s\nstate=%s\nsupervisor_pid=%d\npid=%d\nstarts=%u\nrestarts=%u\n"
		     "last_death=%s\nlast_death_ms=%llu\nready_ms=%llu\nrollbacks=%u\n",
		     o.name, state_name, (int)getpid(), (int)ch.pid, starts, restarts, last_death,
		     (unsigned long long)last_death_ms, (unsigned long long)ready_ms, rollbacks);
	snprintf(tmp, sizeof(tmp), "%s.tmp", o.state);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, text, (size_t)n) == n)
		rename(tmp, o.state);
	close(fd);
}

static void set_state(const char *s)
{
	snprintf(state_name, sizeof(state_name), "%s", s);
	write_state();
}

/* Split what the child wrote into lines; a line longer than LINE_MAX_BYTES is cut in parts. */
static void take_output(const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ch.out[ch.out_len++] = buf[i];
		if (buf[i] == '\n' || ch.out_len == LINE_MAX_BYTES) {
			if (ch.out[ch.out_len - 1] != '\n')
				ch.out[ch.out_len++] = '\n';
			log_line(ch.out, ch.out_len, false);
			ch.out_len = 0;
		}
	}
}

static void drain_output(bool final)
{
	char buf[4096];
	ssize_t n;

	if (ch.out_fd < 0)
		return;
	while ((n = read(ch.out_fd, buf, sizeof(buf))) > 0)
		take_output(buf, (size_t)n);
	if (final || n == 0) {
		if (ch.out_len)
			take_output("\n", 1);
		close(ch.out_fd);
		ch.out_fd = -1;
	}
}

static void handle_notify_line(const char *line)
{
	if (strcmp(line, "READY=1") == 0) {
		ready_ms = mono_ms();
		say("ready pid=%d t_ms=%llu", (int)ch.pid, (unsigned long long)ready_ms);
		set_state("ready");
	}
	/* any message, WATCHDOG=1 included, proves the main loop runs */
	ch.last_ping_ms = mono_ms();
}

static void drain_notify(void)
{
	char buf[512];
	ssize_t n;

	if (ch.notify_fd < 0)
		return;
	while ((n = read(ch.notify_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				ch.note[ch.note_len] = 0;
				handle_notify_line(ch.note);
				ch.note_len = 0;
			} else if (ch.note_len < sizeof(ch.note) - 1) {
				ch.note[ch.note_len++] = buf[i];
			}
		}
	}
	if (n == 0) {
		close(ch.notify_fd);
		ch.notify_fd = -1;
	}
}

static int spawn(void)
{
	int out[2], nfd[2];
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(nfd, O_CLOEXEC) < 0) {
		int e = errno;
		close(out[0]);
		close(out[1]);
		return -e;
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(out[0]);
		close(out[1]);
		close(nfd[0]);
		close(nfd[1]);
		return -e;
	}
	if (pid == 0) {
		sigset_t all;
		int null = open("/dev/null", O_RDONLY);

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		dup2(nfd[1], NOTIFY_FD); /* dup2 clears CLOEXEC on the copy */
		setenv("NOTIFY_FD", "3", 1);
		execv(o.argv[0], o.argv);
		fprintf(stderr, "supervise: cannot run %s: %s\n", o.argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(nfd[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(nfd[0], F_SETFL, O_NONBLOCK);
	ch.pid = pid;
	ch.out_fd = out[0];
	ch.notify_fd = nfd[0];
	ch.started_ms = ch.last_ping_ms = mono_ms();
	ch.abort_sent = false;
	ch.kill_at_ms = 0;
	ch.out_len = ch.note_len = 0;
	start_times[starts % o.burst] = ch.started_ms;
	starts++;
	say("started pid=%d start=%u t_ms=%llu", (int)pid, starts,
	    (unsigned long long)ch.started_ms);
	set_state("starting");
	return 0;
}

static const char *sig_name(int sig)
{
	static char buf[16];
	const char *s = sigabbrev_np(sig);

	if (!s) {
		snprintf(buf, sizeof(buf), "%d", sig);
		return buf;
	}
	snprintf(buf, sizeof(buf), "SIG%s", s);
	return buf;
}

/* With --rollback, a death at now: the o.rollback-th within the window while the content file
 * is not the last good content (an update is in place) puts the last good content back. */
static void maybe_roll_back(uint64_t now)
{
	uint8_t *cur = NULL, *good = NULL;
	size_t cur_len = 0, good_len = 0;
	int r;

	if (!o.rollback)
		return;
	death_times[deaths % o.rollback] = now;
	deaths++;
	if (deaths < o.rollback ||
	    now - death_times[deaths % o.rollback] >= o.rollback_window_s * 1000ull)
		return;
	/* no last good content yet, or already on it: the restarts go on as before */
	if (read_file(o.last_good, &good, &good_len) < 0 ||
	    read_file(o.content, &cur, &cur_len) < 0 ||
	    (cur_len == good_len && (!cur_len || memcmp(cur, good, cur_len) == 0))) {
		free(cur);
		free(good);
		return;
	}
	r = write_file_atomic(o.content, good, good_len);
	free(cur);
	free(good);
	if (r < 0) {
		say("cannot roll back to %s: %s t_ms=%llu", o.last_good, strerror(-r),
		    (unsigned long long)now);
		return;
	}
	rollbacks++;
	deaths = 0; /* the content that lived gets a window of its own */
	say("rollback to last good content after %u deaths t_ms=%llu", o.rollback,
	    (unsigned long long)now);
}

/* The child is gone: record how, and say whether to restart. */
static bool reap(int status)
{
	uint64_t now = mono_ms();
	pid_t pid = ch.pid;

	drain_notify();
	drain_output(true);
	if (ch.notify_fd >= 0) {
		close(ch.notify_fd);
		ch.notify_fd = -1;
	}
	ch.pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		say("exited status=0, not restarting t_ms=%llu", (unsigned long long)now);
		set_state("stopped");
		return false;
	}
	if (WIFSIGNALED(status))
		snprintf(last_death, sizeof(last_death), "signal=%d (%s)", WTERMSIG(status),
			 sig_name(WTERMSIG(status)));
	else
		snprintf(last_death, sizeof(last_death), "status=%d", WEXITSTATUS(status));
	last_death_ms = now;
	say("died pid=%d %s uptime_ms=%llu restarts=%u t_ms=%llu", (int)pid, last_death,
	    (unsigned long long)(now - ch.started_ms), restarts, (unsigned long long)now);
	maybe_roll_back(now);
	if (starts >= o.burst && now - start_times[starts % o.burst] < o.interval_s * 1000ull) {
		say("start-limit hit: %u starts within %u s, giving up t_ms=%llu", o.burst,
		    o.interval_s, (unsigned long long)now);
		set_state("failed");
		return false;
	}
	set_state("restarting");
	return true;
}

static void watchdog_check(uint64_t now)
{
	if (ch.pid < 0 || !o.watchdog_s)
		return;
	if (!ch.abort_sent && now - ch.last_ping_ms >= o.watchdog_s * 1000ull) {
		say("watchdog pid=%d silent_ms=%llu, sending SIGABRT t_ms=%llu", (int)ch.pid,
		    (unsigned long long)(now - ch.last_ping_ms), (unsigned long long)now);
		kill(ch.pid, SIGABRT);
		ch.abort_sent = true;
		ch.kill_at_ms = now + 1000;
	} else if (ch.abort_sent && now >= ch.kill_at_ms) {
		kill(ch.pid, SIGKILL);
		ch.kill_at_ms = UINT64_MAX;
	}
}

static int usage(int status)
{
	fprintf(
	    status ? stderr : stdout,
	    "Usage: supervise --name NAME --log FILE [--state FILE] [--kmsg] [--daemon]\n"
	    "                 [--watchdog SEC] [--restart-ms MS] [--burst N] [--interval SEC]\n"
	    "                 [--log-max BYTES] [--rollback N --content FILE --last-good FILE2\n"
	    "                 [--rollback-window SEC]] -- CMD [ARG]...\n"
	    "Run CMD, restart it when it dies (not when it exits 0), log every death; with\n"
	    "--rollback, after N deaths within SEC s put FILE2 back over FILE first.\n");
	return status;
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {{"name", required_argument, NULL, 'n'},
					   {"log", required_argument, NULL, 'l'},
					   {"state", required_argument, NULL, 's'},
					   {"kmsg", no_argument, NULL, 'k'},
					   {"daemon", no_argument, NULL, 'd'},
					   {"watchdog", required_argument, NULL, 'w'},
					   {"restart-ms", required_argument, NULL, 'r'},
					   {"burst", required_argument, NULL, 'b'},
					   {"interval", required_argument, NULL, 'i'},
					   {"log-max", required_argument, NULL, 'm'},
					   {"rollback", required_argument, NULL, 'R'},
					   {"rollback-window", required_argument, NULL, 'W'},
					   {"content", required_argument, NULL, 'c'},
					   {"last-good", required_argument, NULL, 'g'},
					   {"help", no_argument, NULL, 'h'},
					   {0}};
	int c;

	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.name = optarg;
			break;
		case 'l':
			o.log = optarg;
			break;
		case 's':
			o.state = optarg;
			break;
		case 'k':
			o.kmsg = true;
			break;
		case 'd':
			o.daemon = true;
			break;
		case 'w':
			o.watchdog_s = (unsigned)atoi(optarg);
			break;
		case 'r':
			o.restart_ms = (unsigned)atoi(optarg);
			break;
		case 'b':
			o.burst = (unsigned)atoi(optarg);
			break;
		case 'i':
			o.interval_s = (unsigned)atoi(optarg);
			break;
		case 'm':
			o.log_max = (size_t)strtoull(optarg, NULL, 10);
			break;
		case 'R':
			o.rollback = (unsigned)atoi(optarg);
			break;
		case 'W':
			o.rollback_window_s = (unsigned)atoi(optarg);
			break;
		case 'c':
			o.content = optarg;
			break;
		case 'g':
			o.last_good = optarg;
			break;
		case 'h':
			exit(usage(0));
		default:
			return -EINVAL;
		}
	}
	if (!o.name || !o.log || optind >= argc || o.burst == 0 || o.log_max < 4096)
		return -EINVAL;
	if (o.rollback && (!o.content || !o.last_good))
		return -EINVAL;
	o.argv = argv + optind;
	return 0;
}

static void daemonize(void)
{
	pid_t pid = fork();
	int null;

	if (pid < 0) {
		perror("supervise: fork");
		exit(1);
	}
	if (pid > 0)
		exit(0);
	setsid();
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
}

int main(int argc, char **argv)
{
	sigset_t mask;
	int sfd;
	uint64_t restart_at = 0;
	bool stopping = false;

	if (parse_args(argc, argv) < 0)
		return usage(2);
	if (o.daemon)
		daemonize();
	start_times = calloc(o.burst, sizeof(*start_times));
	death_times = calloc(o.rollback ? o.rollback : 1, sizeof(*death_times));
	log_open();
	if (log_fd < 0) {
		fprintf(stderr, "supervise: cannot open %s: %s\n", o.log, strerror(errno));
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0 || spawn() < 0) {
		say("cannot start: %s", strerror(errno));
		set_state("failed");
		return 1;
	}

	for (;;) {
		struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
				      {.fd = ch.out_fd, .events = POLLIN},
				      {.fd = ch.notify_fd, .events = POLLIN}};
		uint64_t now = mono_ms();
		int timeout = 200;

		if (restart_at && now >= restart_at) {
			restart_at = 0;
			restarts++;
			if (spawn() < 0) {
				say("cannot restart: %s", strerror(errno));
				set_state("failed");
				return 1;
			}
		}
		if (restart_at && restart_at - now < (uint64_t)timeout)
			timeout = (int)(restart_at - now);
		(void)poll(p, 3, timeout);
		if (p[1].revents)
			drain_output(false);
		if (p[2].revents)
			drain_notify();
		watchdog_check(mono_ms());
		if (!(p[0].revents & POLLIN))
			continue;

		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
				stopping = true;
				if (ch.pid > 0)
					kill(ch.pid, SIGTERM);
			}
		}
		for (;;) {
			int status;
			pid_t w = waitpid(-1, &status, WNOHANG);

			if (w <= 0)
				break;
			if (w != ch.pid)
				continue;
			if (!reap(status) || stopping) {
				if (stopping) {
					say("stopped t_ms=%llu", (unsigned long long)mono_ms());
					set_state("stopped");
				}
				return strcmp(state_name, "failed") == 0;
			}
			say("restart=%u in %u ms t_ms=%llu", restarts + 1, o.restart_ms,
			    (unsigned long long)mono_ms());
			restart_at = mono_ms() + o.restart_ms;
		}
	}
}
