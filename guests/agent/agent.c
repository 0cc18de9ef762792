/* agent.c — faultline-agent, the static program the guest's init runs.
 *
 * It owns the virtio-serial port PROTO_CHANNEL_NAME (a port can be open only once, so this one
 * process reads and writes it), starts the sensor as /etc/faultline/sensor.conf says, then
 * heartbeats every 100 ms from a poll() loop while content updates are delivered by a forked
 * worker: a delivery that hangs or crashes the kernel must not be mistaken for a silent agent
 * before it happens, and a slow one must not stop the heartbeat. Malformed frames get an ERROR
 * reply and the agent carries on.
 *
 * Persistence (persist.h, boot loops): with faultline.persist=1 the agent keeps STOREd content
 * on the content partition, loads it at every boot after the start commands (then runs the
 * trigger once, as a booting system runs programs), and before the sensor starts it can boot in
 * safe mode (the stored content removed, no sensor) or ask the host for a remediation.
 *
 * The lockup threshold (lockup.h): the guest boots with a high one; the agent sets the case's
 * (faultline.watchdog_thresh=N) once the start commands have run, before READY.
 *
 * Test modes (testmode.h), for faultline's own fault-injection suite only: garbage ahead of
 * the heartbeats, a console flood, a flood of frames in place of a delivery. Never on unless
 * the kernel command line asks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "config.h"
#include "frames.h"
#include "lockup.h"
#include "persist.h"
#include "proto.h"
#include "testmode.h"
#include "text.h"
#include "watch.h"

#define CONF_PATH "/etc/faultline/sensor.conf"
#define UPDATE_PATH "/tmp/update.bin"
#define HEARTBEAT_MS 100
#define HUP_BACKOFF_MS 100
#define CMD_TIMEOUT_S 60
#define OUTQ_SOFT_MAX (4u << 20) /* past this, heartbeats and ERRORs are dropped */
#define RESULT_MAX (8 + AGENT_TEXT_MAX)
#define CMDLINE_PATH "/proc/cmdline"

static int port_fd = -1;
/* run_shell()'s limit; a probe worker lowers it to the probe's timeout (agent_run_shell) */
static uint64_t shell_timeout_ms = CMD_TIMEOUT_S * 1000ull;
static uint32_t tx_seq;
static uint64_t heartbeats;
static bool heartbeat_now;
static struct agent_test test_mode;
static struct agent_boot boot; /* the kernel command line's persistence keys */
static bool persist_mounted;   /* AGENT_PERSIST_DIR is the content partition */
static bool safe_mode;	       /* this boot started no sensor (faultline.safe=1) */
static unsigned lockup_thresh; /* faultline.watchdog_thresh=N; 0: not asked */
/* the remediation question in flight: the sensor starts on the answer or at the deadline */
static struct {
	bool asking;
	uint64_t deadline;
} remedy;

static struct {
	uint8_t *buf;
	size_t len, cap;
} outq;

/* The worker in flight: the sensor start (READY) or one update (RESULT). */
static struct {
	pid_t pid;
	int fd;
	bool is_start;
	uint32_t seq;
	uint8_t buf[RESULT_MAX];
	size_t len;
} job = {.pid = -1, .fd = -1};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One record per open: /dev/kmsg rate-limits each opener, and we write rarely. */
static void kmsg(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		(void)!write(STDERR_FILENO, line, (size_t)n);
		return;
	}
	(void)!write(fd, line, (size_t)n);
	close(fd);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		kmsg("faultline-agent: out of memory");
		abort();
	}
	return p;
}

static void queue_raw(const void *p, size_t size)
{
	if (outq.len + size > outq.cap) {
		outq.cap = outq.len + size + 4096;
		outq.buf = xrealloc(outq.buf, outq.cap);
	}
	memcpy(outq.buf + outq.len, p, size);
	outq.len += size;
}

static void queue_frame(uint16_t type, const void *payload, size_t len)
{
	uint8_t *frame;
	size_t size;

	if (outq.len > OUTQ_SOFT_MAX && (type == PROTO_HEARTBEAT || type == PROTO_ERROR))
		return;
	if (proto_encode(type, tx_seq++, payload, (uint32_t)len, &frame, &size) < 0)
		return;
	queue_raw(frame, size);
	free(frame);
}

/* ---- test modes (see the top of the file) ---- */

/* A small text file (sysfs, procfs) into buf, NUL-terminated. Returns its length, or -1 when it
 * cannot be read or is empty. */
static ssize_t read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return n;
}

static void cmdline_parse(void)
{
	char buf[4096];

	if (read_text(CMDLINE_PATH, buf, sizeof(buf)) < 0)
		buf[0] = 0;
	agent_boot_parse(buf, &boot);
	persist_mounted = boot.persist && agent_persist_mounted(AGENT_PERSIST_DIR);
	agent_boot_export(&boot, persist_mounted);
	if (agent_lockup_parse(buf, &lockup_thresh) == -EINVAL)
		kmsg("faultline-agent: malformed " AGENT_LOCKUP_KEY " ignored");
	if (!agent_test_parse(buf, (uint32_t)mono_ms(), &test_mode))
		return;
	kmsg("faultline-agent: TEST MODE%s%s%s: not a real run",
	     test_mode.garbage ? " garbage" : "", test_mode.flood ? " flood" : "",
	     test_mode.frames ? " frames" : "");
}

/* The frames mode: an update arrived; from then on the queue is kept full of minimal frames. */
static bool flooding_frames;

static void queue_frames_burst(void)
{
	uint8_t *burst;
	size_t len;

	if (!flooding_frames || outq.len >= AGENT_TEST_FRAMES_BURST ||
	    agent_test_frames(&tx_seq, &burst, &len) < 0)
		return;
	queue_raw(burst, len);
	free(burst);
}

static void queue_garbage(uint64_t n)
{
	uint8_t *junk;
	size_t len;

	if (agent_test_garbage(&test_mode, n, &tx_seq, &junk, &len) < 0)
		return;
	queue_raw(junk, len);
	free(junk);
}

/* The console flood: a child that writes to /dev/console until the guest ends. */
static void flood_console(void)
{
	char line[160];
	unsigned long n = 0;
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return;
	close(port_fd);
	fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		_exit(1);
	for (;;) {
		int len = snprintf(line, sizeof(line),
				   "faultline-agent test: console flood, line %lu: the quick brown "
				   "fox jumps over the lazy dog\n",
				   n++);
		if (write(fd, line, (size_t)len) < 0 && errno != EINTR && errno != EAGAIN)
			_exit(1);
	}
}

static void queue_status(uint16_t type, int32_t a, const int32_t *b, const char *text)
{
	uint8_t *p;
	size_t n;

	if (agent_payload(a, b, text, &p, &n) < 0)
		return;
	queue_frame(type, p, n);
	free(p);
}

static void queue_error(int err, const char *text)
{
	queue_status(PROTO_ERROR, err, NULL, text);
}

/* Write what the port takes now; EAGAIN (host not connected, or buffers full) keeps the rest. */
static void flush_out(void)
{
	while (outq.len) {
		ssize_t n = write(port_fd, outq.buf, outq.len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN or a disconnected host: retry on POLLOUT */
		}
		memmove(outq.buf, outq.buf + n, outq.len - (size_t)n);
		outq.len -= (size_t)n;
	}
}

static int find_port(char *path, size_t size)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *e;
	int r = -ENOENT;

	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		char p[PATH_MAX], name[256] = {0};

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/class/virtio-ports/%s/name", e->d_name);
		if (read_text(p, name, sizeof(name)) < 0)
			continue;
		name[strcspn(name, "\n")] = 0;
		if (strcmp(name, PROTO_CHANNEL_NAME) == 0) {
			snprintf(path, size, "/dev/%s", e->d_name);
			r = 0;
			break;
		}
	}
	closedir(d);
	return r;
}

static int open_port(void)
{
	char path[PATH_MAX];
	unsigned tries = 0;

	for (;; tries++) {
		if (find_port(path, sizeof(path)) == 0) {
			int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

			if (fd >= 0)
				return fd;
			if (tries % 50 == 0)
				kmsg("faultline-agent: cannot open %s: %s, retrying", path,
				     strerror(errno));
		} else if (tries % 50 == 0) {
			kmsg("faultline-agent: waiting for virtio port %s", PROTO_CHANNEL_NAME);
		}
		usleep(100 * 1000);
	}
}

/* ---- worker side (runs in the forked child) ---- */

/* A pipe and a child: returns the child's pid (0 in the child) or a negative errno. */
static pid_t fork_with_pipe(int pfd[2])
{
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pfd[0]);
		close(pfd[1]);
		return -e;
	}
	return pid;
}

/* Run cmd with /bin/sh -c, its stdout+stderr appended to out (bounded). The shell's own exit is
 * what we wait for: a daemon it starts may keep the output pipe open forever. Returns the exit
 * status (128 + signal when killed) or a negative errno (-ETIME after CMD_TIMEOUT_S). */
static int run_shell(const char *cmd, const char *update_path, char *out, size_t size)
{
	size_t used = strlen(out);
	uint64_t deadline = mono_ms() + shell_timeout_ms;
	int pfd[2], status = 0;
	pid_t pid = fork_with_pipe(pfd);

	if (pid < 0)
		return pid;
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		dup2(pfd[1], STDERR_FILENO);
		if (update_path)
			setenv("FAULTLINE_UPDATE", update_path, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		char tmp[1024];
		ssize_t n;
		pid_t w;

		(void)poll(&p, 1, 50);
		while ((n = read(pfd[0], tmp, sizeof(tmp))) > 0) {
			size_t take = (size_t)n < size - 1 - used ? (size_t)n : size - 1 - used;
			memcpy(out + used, tmp, take);
			used += take;
			out[used] = 0;
		}
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (mono_ms() > deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(pfd[0]);
			return -ETIME;
		}
	}
	while (1) {
		char tmp[1024];
		ssize_t n = read(pfd[0], tmp, sizeof(tmp));
		size_t take;

		if (n <= 0)
			break;
		take = (size_t)n < size - 1 - used ? (size_t)n : size - 1 - used;
		memcpy(out + used, tmp, take);
		used += take;
		out[used] = 0;
	}
	close(pfd[0]);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void worker_report(int fd, int32_t a, int32_t b, const char *text)
{
	uint8_t *p;
	size_t n, off = 0;

	if (agent_payload(a, &b, text, &p, &n) < 0)
		_exit(1);
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(1);
		off += (size_t)w;
	}
	free(p);
	_exit(0);
}

/* The case's lockup threshold, once the sensor is up (lockup.h); run by the start worker and
 * again (then a no-op) before every READY. A failure is logged, not fatal: the case then runs
 * with the boot's threshold, and its console says so. */
static void lockup_lower(void)
{
	unsigned was;
	int r;

	if (!lockup_thresh)
		return;
	r = agent_lockup_lower(AGENT_LOCKUP_PROC, lockup_thresh, &was);
	if (r < 0)
		kmsg("faultline-agent: cannot set watchdog_thresh to %u: %s; the case runs with "
		     "the boot's threshold",
		     lockup_thresh, strerror(-r));
	else if (was != lockup_thresh)
		kmsg("faultline-agent: watchdog_thresh %u -> %u: the sensor is up", was,
		     lockup_thresh);
}

/* READY, with the case's lockup threshold set first. */
static void queue_ready(int32_t status, const char *text)
{
	lockup_lower();
	queue_status(PROTO_READY, status, NULL, text);
}

/* Does the sensor keep its content on the system's own disk (a full system: the whole root
 * persists), rather than on the content partition? */
static bool store_on_root(const struct agent_conf *c)
{
	return c && c->persist_store && *c->persist_store &&
	       strncmp(c->persist_store, AGENT_PERSIST_DIR "/", strlen(AGENT_PERSIST_DIR) + 1) != 0;
}

/* Persistence is on for this boot: the flag, the partition (or the system's own disk) and a
 * sensor that keeps content. */
static bool persist_active(const struct agent_conf *c)
{
	return boot.persist && (persist_mounted || store_on_root(c)) && c && c->persist_store &&
	       *c->persist_store;
}

/* One step of the boot sequence. A failure is logged, not fatal: a sensor that refuses its
 * stored content keeps booting on its last good one. */
static void boot_step(const char *what, const char *cmd, char *out, size_t size)
{
	int st;

	agent_append(out, size, "$ %s\n", cmd);
	st = run_shell(cmd, NULL, out, size);
	if (st == 0)
		return;
	if (st < 0)
		agent_append(out, size, "boot %s command failed: %s\n", what, strerror(-st));
	else
		agent_append(out, size, "boot %s command exited with status %d\n", what, st);
	kmsg("faultline-agent: boot %s command %s %d: %s", what, st < 0 ? "error" : "status",
	     st < 0 ? -st : st, cmd);
}

/* The stored content meets the boot: load it, run the trigger once (a booting system runs
 * programs), then the commands that mark the boot healthy. */
static void worker_boot_content(const struct agent_conf *c, char *out, size_t size)
{
	/* a full system's own services load the kept content at boot (systemd), not the agent */
	if (c->n_persist_load == 0 && store_on_root(c))
		return;
	for (size_t i = 0; i < c->n_persist_load; i++)
		boot_step("load", c->persist_load[i], out, size);
	if (c->trigger && *c->trigger)
		boot_step("trigger", c->trigger, out, size);
	for (size_t i = 0; i < c->n_persist_healthy; i++)
		boot_step("healthy", c->persist_healthy[i], out, size);
}

static void worker_start(const struct agent_conf *c, int fd)
{
	char out[AGENT_TEXT_MAX] = "";

	for (size_t i = 0; i < c->n_start; i++) {
		int st;

		agent_append(out, sizeof(out), "$ %s\n", c->start[i]);
		st = run_shell(c->start[i], NULL, out, sizeof(out));
		if (st != 0) {
			if (st < 0)
				agent_append(out, sizeof(out), "start command failed: %s\n",
					     strerror(-st));
			else
				agent_append(out, sizeof(out),
					     "start command exited with status %d\n", st);
			worker_report(fd, 1, 0, out);
		}
	}
	if (agent_watch_check_start(c, out, sizeof(out)) < 0)
		worker_report(fd, 1, 0, out);
	/* before the stored content meets the boot: content that hangs the boot is a case */
	lockup_lower();
	if (persist_active(c))
		worker_boot_content(c, out, sizeof(out));
	worker_report(fd, 0, 0, out);
}

/* /dev/kmsg from its current end, to see what the kernel logs during one delivery. */
static int kmsg_open_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Return true (and the record's text in line) when a record logged since kmsg_open_end()
 * contains pattern. */
static bool kmsg_find(int fd, const char *pattern, char *line, size_t size)
{
	char rec[2048];

	if (fd < 0 || !pattern || !*pattern)
		return false;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		char *msg;

		if (n < 0 && errno == EPIPE)
			continue; /* records overwritten under us; go on with the next */
		if (n <= 0)
			return false;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		if (strstr(msg, pattern)) {
			size_t l = strnlen(msg, size - 1);

			memcpy(line, msg, l);
			line[l] = 0;
			return true;
		}
	}
}

static const char *errno_name(int e)
{
	const char *name = strerrorname_np(e);

	return name ? name : "unnamed errno";
}

static int write_all_file(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0)
		return -errno;
	return 0;
}

/* After the delivery: a rejection in the kernel log (first, whatever else happened: CONTRACT.md
 * step 6), a failure that sensor.yaml does not call a rejection (infra_err), a failed write
 * (declared errno or not), or the evaluate phase: the trigger, and the kernel log again. Reports
 * and exits. */
static void judge_update(const struct agent_conf *c, int fd, int kfd, bool delivered_err,
			 bool infra_err, int err, char *out, size_t size)
{
	char logline[1024];
	int st;

	if (kmsg_find(kfd, c->reject_log, logline, sizeof(logline))) {
		agent_append(out, size, "%skernel log: %s", out[0] ? "\n" : "", logline);
		worker_report(fd, PROTO_OUTCOME_REJECTED, err, out);
	}
	if (infra_err)
		worker_report(fd, PROTO_OUTCOME_AGENT_ERROR, err, out);
	if (delivered_err && err && !agent_conf_rejects_errno(c, err)) {
		agent_append(out, size, " (%s), not an errno the sensor declares a rejection",
			     errno_name(err));
		worker_report(fd, PROTO_OUTCOME_SENSOR_ERROR, err, out);
	}
	if (delivered_err)
		worker_report(fd, PROTO_OUTCOME_REJECTED, err, out);

	if (c->trigger && *c->trigger) {
		/* the phase mark: a crash after it on the console happened while evaluating */
		kmsg("%s", PROTO_EVALUATE_MARK);
		agent_append(out, size, "$ %s\n", c->trigger);
		st = run_shell(c->trigger, UPDATE_PATH, out, size);
		if (st < 0)
			agent_append(out, size, "trigger failed: %s", strerror(-st));
		else
			agent_append(out, size, "trigger exited with status %d", st);
		/* a sensor that parses lazily rejects when the content is first used */
		if (kmsg_find(kfd, c->reject_log, logline, sizeof(logline))) {
			agent_append(out, size, "\nkernel log, while the trigger ran: %s", logline);
			worker_report(fd, PROTO_OUTCOME_REJECTED, 0, out);
		}
	}
	worker_report(fd, PROTO_OUTCOME_ACCEPTED, 0, out);
}

static void worker_update(const struct agent_conf *c, const uint8_t *data, size_t len, int fd)
{
	char out[AGENT_TEXT_MAX] = "";
	int kfd, r, st;
	bool delivered_err = false, infra_err = false;
	int err = 0;

	r = write_all_file(UPDATE_PATH, data, len);
	if (r < 0) {
		snprintf(out, sizeof(out), "cannot write %s: %s", UPDATE_PATH, strerror(-r));
		worker_report(fd, PROTO_OUTCOME_AGENT_ERROR, -r, out);
	}
	kfd = kmsg_open_end();

	switch (c->deliver) {
	case AGENT_DELIVER_DEVICE: {
		int dfd = open(c->path, O_WRONLY | O_CLOEXEC);
		ssize_t n;

		if (dfd < 0) {
			err = errno;
			snprintf(out, sizeof(out), "cannot open %s: %s", c->path, strerror(err));
			worker_report(fd, PROTO_OUTCOME_AGENT_ERROR, err, out);
		}
		do
			n = write(dfd, data, len);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			err = errno;
			snprintf(out, sizeof(out), "write(%s, %zu bytes): %s", c->path, len,
				 strerror(err));
			infra_err = !c->reject_errno;
			delivered_err = true;
		} else if ((size_t)n != len) {
			snprintf(out, sizeof(out), "short write to %s: %zd of %zu bytes", c->path,
				 n, len);
			worker_report(fd, PROTO_OUTCOME_AGENT_ERROR, EIO, out);
		}
		close(dfd);
		break;
	}
	case AGENT_DELIVER_FILE: {
		char tmp[PATH_MAX];

		snprintf(tmp, sizeof(tmp), "%s.faultline-tmp", c->path);
		r = write_all_file(tmp, data, len);
		if (r == 0 && rename(tmp, c->path) < 0)
			r = -errno;
		if (r < 0) {
			snprintf(out, sizeof(out), "cannot write %s: %s", c->path, strerror(-r));
			worker_report(fd, PROTO_OUTCOME_AGENT_ERROR, -r, out);
		}
		if (!c->reload || !*c->reload)
			break;
		agent_append(out, sizeof(out), "$ %s\n", c->reload);
		st = run_shell(c->reload, c->path, out, sizeof(out));
		if (st < 0) {
			agent_append(out, sizeof(out), "reload failed: %s", strerror(-st));
			worker_report(fd, PROTO_OUTCOME_AGENT_ERROR, -st, out);
		}
		if (st > 0) {
			agent_append(out, sizeof(out), "reload exited with status %d", st);
			infra_err = !c->reject_exit;
			delivered_err = true;
		}
		break;
	}
	case AGENT_DELIVER_COMMAND:
		agent_append(out, sizeof(out), "$ %s\n", c->command);
		st = run_shell(c->command, UPDATE_PATH, out, sizeof(out));
		if (st < 0) {
			agent_append(out, sizeof(out), "command failed: %s", strerror(-st));
			worker_report(fd, PROTO_OUTCOME_AGENT_ERROR, -st, out);
		}
		if (st > 0) {
			agent_append(out, sizeof(out), "command exited with status %d", st);
			infra_err = !c->reject_exit;
			delivered_err = true;
		}
		break;
	}

	judge_update(c, fd, kfd, delivered_err, infra_err, err, out, sizeof(out));
}

/* Fork a worker. is_start: run the start commands; else deliver payload. */
static int job_spawn(const struct agent_conf *c, bool is_start, const uint8_t *data, size_t len,
		     uint32_t seq)
{
	int pfd[2];
	pid_t pid = fork_with_pipe(pfd);

	if (pid < 0)
		return pid;
	if (pid == 0) {
		close(pfd[0]);
		close(port_fd);
		signal(SIGPIPE, SIG_DFL);
		if (is_start)
			worker_start(c, pfd[1]);
		worker_update(c, data, len, pfd[1]);
		_exit(0);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	job.pid = pid;
	job.fd = pfd[0];
	job.is_start = is_start;
	job.seq = seq;
	job.len = 0;
	return 0;
}

/* MODULES (proto.h): the modules the sensor's start loaded, as /proc/modules lists them. The
 * guest's kernel may load modules of its own (drivers): only those that were not there before
 * the start are the sensor's. */
static char modules_before[16384];

/* A whole proc file into buf, NUL-terminated (truncated to size - 1 bytes); its length. */
static size_t read_proc(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = 0;
	return len;
}

static size_t read_modules(char *buf, size_t size)
{
	return read_proc("/proc/modules", buf, size);
}

/* Whether module `name` (len bytes) starts a line of modules_before. */
static bool loaded_before(const char *name, size_t len)
{
	for (const char *l = modules_before; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, name, len) && l[len] == ' ')
			return true;
	return false;
}

/* The lines of maps (/proc/PID/maps) that map code of file want (a whole path, or a file name
 * when !whole) appended to out (n bytes used of size); returns the new n. */
static size_t maps_lines(const char *maps, const char *want, size_t want_len, bool whole, char *out,
			 size_t n, size_t size)
{
	for (const char *l = maps, *eol; *l; l = eol ? eol + 1 : l + strlen(l)) {
		size_t line = strcspn(l, "\n"), sp = strcspn(l, " ");
		const char *path = memchr(l, '/', line), *base;

		eol = l[line] ? l + line : NULL;
		if (!path || sp + 3 >= line || l[sp + 3] != 'x')
			continue; /* "START-END r-xp ...": the third permission */
		base = path;
		for (const char *q = path; q < l + line; q++)
			if (*q == '/')
				base = q + 1;
		const char *name = whole ? path : base;
		if ((size_t)(l + line - name) != want_len || memcmp(name, want, want_len) ||
		    n + line + 1 >= size)
			continue;
		memcpy(out + n, l, line);
		n += line;
		out[n++] = '\n';
	}
	return n;
}

/* The code mappings of the coverage process (cov_process): its executable's first, then those of
 * the objects cov_objects names, in that order, so that the ranges' order (and with it the
 * blocks' ids) does not depend on where ASLR put each. Appended to out; returns the new n. */
static size_t append_maps(const struct agent_conf *c, char *out, size_t n, size_t size)
{
	static char maps[65536];
	char path[64], exe[512];
	pid_t pid;
	ssize_t len;

	if (!c || !c->cov_process || !*c->cov_process)
		return n;
	/* not running: no mappings, which the campaign reports (the console of every run is
	 * left alone: a coverage process matters to fuzz only) */
	if (!(pid = agent_watch_find_process(c->cov_process)))
		return n;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if ((len = readlink(path, exe, sizeof(exe) - 1)) <= 0)
		return n;
	exe[len] = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	read_proc(path, maps, sizeof(maps));
	n = maps_lines(maps, exe, strlen(exe), true, out, n, size);
	for (const char *o = c->cov_objects; o && *o;) {
		size_t k = strcspn(o, ",");

		if (k)
			n = maps_lines(maps, o, k, false, out, n, size);
		o += k + (o[k] == ',');
	}
	return n;
}

static void queue_modules(const struct agent_conf *c)
{
	static char now[16384], out[16384];
	size_t n = 0;

	read_modules(now, sizeof(now));
	for (char *l = now, *eol; *l; l = eol ? eol + 1 : l + strlen(l)) {
		size_t len = strcspn(l, " \n"), line = strcspn(l, "\n");

		eol = l[line] ? l + line : NULL;
		if (len && !loaded_before(l, len) && n + line + 1 < sizeof(out)) {
			memcpy(out + n, l, line);
			n += line;
			out[n++] = '\n';
		}
	}
	n = append_maps(c, out, n, sizeof(out));
	queue_frame(PROTO_MODULES, out, n);
}

/* the started sensor's description (start_sensor): its coverage process */
static const struct agent_conf *started;

static void job_finish(void)
{
	int status = 0;
	char why[128];

	close(job.fd);
	job.fd = -1;
	waitpid(job.pid, &status, 0);
	job.pid = -1;
	if (job.len >= 8) {
		int32_t a = (int32_t)proto_get_u32(job.buf),
			b = (int32_t)proto_get_u32(job.buf + 4);
		char text[RESULT_MAX];

		memcpy(text, job.buf + 8, job.len - 8);
		text[job.len - 8] = 0;
		if (job.is_start && a == 0)
			queue_modules(started);
		if (job.is_start)
			queue_ready(a, text);
		else
			queue_status(PROTO_RESULT, a, &b, text);
		/* a heartbeat right behind the result: the host's proof that this loop still runs
		 * after the update, without waiting for the next period */
		heartbeat_now = !job.is_start;
		if (job.is_start)
			kmsg("faultline-agent: sensor start %s", a == 0 ? "ok" : "failed");
		if (job.is_start && a == 0 && test_mode.flood)
			flood_console();
		return;
	}
	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "agent worker killed by signal %d", WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "agent worker exited with status %d and no report",
			 WEXITSTATUS(status));
	if (job.is_start)
		queue_ready(1, why);
	else
		queue_status(PROTO_RESULT, PROTO_OUTCOME_AGENT_ERROR, &(int32_t){EIO}, why);
}

static void job_read(void)
{
	for (;;) {
		uint8_t tmp[1024];
		ssize_t n = read(job.fd, tmp, sizeof(tmp));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return; /* EAGAIN: more later */
		if (n == 0) {
			job_finish();
			return;
		}
		size_t take =
		    (size_t)n < sizeof(job.buf) - job.len ? (size_t)n : sizeof(job.buf) - job.len;
		memcpy(job.buf + job.len, tmp, take);
		job.len += take;
	}
}

static void start_sensor(const struct agent_conf *c)
{
	read_modules(modules_before, sizeof(modules_before));
	started = c;
	if (job_spawn(c, true, NULL, 0, 0) < 0)
		queue_ready(1, "cannot fork the start worker");
}

/* STORE: keep the update as the sensor keeps content. Returns 0 or a positive errno, with what
 * happened in text. */
static int store(const struct agent_conf *c, const struct agent_action *a, char *text, size_t size)
{
	int r;

	if (a->err) {
		snprintf(text, size, "%s", a->text);
		return a->err;
	}
	if (safe_mode) {
		snprintf(text, size, "safe mode: no content is stored");
		return EPERM;
	}
	if (!persist_active(c)) {
		snprintf(text, size, "no content store: %s",
			 !c || !c->persist_store ? "the sensor has no persist_store"
			 : !boot.persist	 ? "faultline.persist=1 is not set"
						 : AGENT_PERSIST_DIR " is not mounted");
		return EINVAL;
	}
	r = agent_persist_write(c->persist_store, a->data, a->len);
	if (r < 0) {
		snprintf(text, size, "cannot store %s: %s", c->persist_store, strerror(-r));
		return -r;
	}
	snprintf(text, size, "stored %zu bytes in %s", a->len, c->persist_store);
	return 0;
}

static void store_frame(const struct agent_conf *c, const struct agent_action *a)
{
	char text[PATH_MAX + 128];
	int err = store(c, a, text, sizeof(text));

	kmsg("faultline-agent: %s", text);
	queue_status(PROTO_STORED, err, NULL, text);
}

static void remedy_apply(const char *store, const struct agent_action *a)
{
	int r = 0;

	switch (a->remedy) {
	case PROTO_REMEDY_DELETE:
		r = agent_persist_remove(store);
		if (r == 0 || r == -ENOENT)
			kmsg("faultline-agent: remediation: deleted %s%s", store,
			     r ? " (nothing was stored)" : "");
		break;
	case PROTO_REMEDY_ROLLBACK:
		r = agent_persist_write(store, a->data, a->len);
		if (r == 0)
			kmsg("faultline-agent: remediation: rolled back %s (%zu bytes)", store,
			     a->len);
		break;
	default:
		kmsg("faultline-agent: remediation: none");
		break;
	}
	if (r < 0 && r != -ENOENT)
		kmsg("faultline-agent: remediation: cannot apply it to %s: %s, booting unchanged",
		     store, strerror(-r));
	sync();
}

/* REMEDY: applied when it answers the question in flight, then the sensor starts. */
static void remedy_frame(const struct agent_conf *c, const struct agent_action *a)
{
	if (!remedy.asking) {
		kmsg("faultline-agent: remediation: an answer nobody waits for (late or unasked), "
		     "ignored");
		return;
	}
	remedy.asking = false;
	if (a->err)
		kmsg("faultline-agent: remediation: malformed answer (%s), booting unchanged",
		     a->text);
	else
		remedy_apply(c->persist_store, a);
	start_sensor(c);
}

/* No answer by the deadline: boot unchanged. */
static void remedy_tick(const struct agent_conf *c, uint64_t now)
{
	if (!remedy.asking || now < remedy.deadline)
		return;
	remedy.asking = false;
	kmsg("faultline-agent: remediation: no answer within %u s, booting unchanged",
	     AGENT_REMEDY_WAIT_MS / 1000);
	start_sensor(c);
}

static void remedy_ask(const struct agent_conf *c)
{
	char text[PATH_MAX + 64];
	struct stat st;

	agent_remedy_ask_text(boot.boot, c->persist_store, stat(c->persist_store, &st) == 0, text,
			      sizeof(text));
	queue_frame(PROTO_REMEDY_ASK, text, strlen(text));
	kmsg("faultline-agent: remediation: asking the controller (boot %u)", boot.boot);
	remedy.asking = true;
	remedy.deadline = mono_ms() + AGENT_REMEDY_WAIT_MS;
}

/* Safe mode (the manual recovery's step): no sensor, the stored content removed. */
static void safe_boot(const struct agent_conf *c)
{
	char text[PATH_MAX + 64];
	int r;

	safe_mode = true;
	if (!persist_active(c)) {
		queue_ready(0, "safe mode: sensor not started, no content store");
		return;
	}
	r = agent_persist_remove(c->persist_store);
	sync();
	if (r == 0)
		snprintf(text, sizeof(text), "safe mode: removed %s", c->persist_store);
	else
		snprintf(text, sizeof(text), "safe mode: nothing removed from %s: %s",
			 c->persist_store, strerror(-r));
	kmsg("faultline-agent: %s", text);
	queue_ready(0, text);
}

/* After HELLO: what this boot does before (or instead of) starting the sensor. */
static void boot_begin(const struct agent_conf *c)
{
	if (boot.persist && !persist_mounted && !store_on_root(c)) {
		kmsg("faultline-agent: persistence: %s is not mounted", AGENT_PERSIST_DIR);
		queue_ready(3, "persistence: /persist is not mounted");
	} else if (boot.safe) {
		safe_boot(c);
	} else if (persist_active(c) && boot.recovery == AGENT_RECOVERY_REMEDIATION) {
		remedy_ask(c);
	} else {
		start_sensor(c);
	}
}

static void handle_frame(const struct agent_conf *c, const struct proto_frame *f)
{
	struct agent_action a;
	int r;

	agent_frame_action(f, job.pid > 0 || remedy.asking, &a);
	switch (a.kind) {
	case AGENT_ACT_STORE:
		store_frame(c, &a);
		return;
	case AGENT_ACT_REMEDY:
		remedy_frame(c, &a);
		return;
	case AGENT_ACT_MARK:
		kmsg("faultline: %s", a.text);
		return;
	case AGENT_ACT_ERROR:
		queue_error(a.err, a.text);
		return;
	case AGENT_ACT_WATCH:
		agent_watch_request(c, mono_ms(), a.watch_mode, a.watch_arg);
		return;
	case AGENT_ACT_UPDATE:
		if (!c || safe_mode) {
			queue_status(PROTO_RESULT, PROTO_OUTCOME_AGENT_ERROR,
				     &(int32_t){safe_mode ? EPERM : EINVAL},
				     safe_mode ? "safe mode: the sensor is not running"
					       : "no valid " CONF_PATH " in the guest");
			return;
		}
		if (test_mode.frames) {
			kmsg("faultline-agent test: flooding frames instead of delivering the "
			     "update");
			flooding_frames = true;
			return;
		}
		agent_watch_arm(c, mono_ms());
		r = job_spawn(c, false, f->payload, f->len, f->seq);
		if (r < 0)
			queue_status(PROTO_RESULT, PROTO_OUTCOME_AGENT_ERROR, &(int32_t){-r},
				     "cannot fork the delivery worker");
		return;
	}
}

static struct agent_conf *load_conf(char *err, size_t size)
{
	struct agent_conf *c = NULL;
	char *text = NULL;
	size_t len = 0, cap = 0;
	const char *what = "";
	unsigned line = 0;
	int fd, r;

	fd = open(CONF_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, size, "cannot open %s: %s", CONF_PATH, strerror(errno));
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			text = xrealloc(text, cap);
		}
		n = read(fd, text + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	r = agent_conf_parse(text, len, &c, &line, &what);
	free(text);
	if (r < 0) {
		snprintf(err, size, "%s:%u: %s", CONF_PATH, line,
			 r == -EINVAL ? what : strerror(-r));
		return NULL;
	}
	return c;
}

/* Queue a heartbeat when one is due (or one must follow a result right away). */
static void heartbeat(uint64_t now, uint64_t *next_hb)
{
	uint8_t hb[16];

	if (now < *next_hb && !heartbeat_now)
		return;
	/* A heartbeat queued behind unsent data says nothing new: skip it (but not the one that
	 * follows a result, nor one among the frames mode's flood: that guest lives on). */
	if (outq.len == 0 || heartbeat_now || flooding_frames) {
		if (test_mode.garbage)
			queue_garbage(heartbeats);
		proto_put_u64(hb, now);
		proto_put_u64(hb + 8, heartbeats++);
		queue_frame(PROTO_HEARTBEAT, hb, sizeof(hb));
	}
	*next_hb = now + HEARTBEAT_MS;
	heartbeat_now = false;
}

/* Read what the host sent and handle every whole frame; a malformed one gets an ERROR reply. A
 * read of 0 bytes means no host on the other end: back off before polling the port again. */
static void read_port(struct proto_decoder *dec, const struct agent_conf *conf, uint64_t *hup_until)
{
	uint8_t buf[65536];
	ssize_t got = read(port_fd, buf, sizeof(buf));

	if (got > 0)
		proto_decoder_feed(dec, buf, (size_t)got);
	else if (got == 0)
		*hup_until = mono_ms() + HUP_BACKOFF_MS;
	for (;;) {
		struct proto_frame f;
		struct agent_action a;
		int r = proto_decoder_next(dec, &f);

		if (r == 0)
			break;
		if (r < 0) {
			agent_decode_error(r, &a);
			queue_error(a.err, a.text);
			continue;
		}
		handle_frame(conf, &f);
		proto_frame_finish(&f);
	}
}

int main(void)
{
	struct proto_decoder *dec = proto_decoder_new();
	struct agent_conf *conf;
	char conf_err[512] = "", hello[512];
	struct utsname u;
	uint64_t next_hb, hup_until = 0;

	signal(SIGPIPE, SIG_IGN);
	if (!dec)
		return 1;
	port_fd = open_port();
	kmsg("faultline-agent %s: port open", FAULTLINE_VERSION);
	cmdline_parse();

	conf = load_conf(conf_err, sizeof(conf_err));
	uname(&u);
	snprintf(hello, sizeof(hello), "agent=%s\nkernel=%s\nsensor=%s\n", FAULTLINE_VERSION,
		 u.release, conf ? conf->name : "");
	queue_frame(PROTO_HELLO, hello, strlen(hello));
	if (!conf) {
		kmsg("faultline-agent: %s", conf_err);
		queue_ready(2, conf_err);
	} else {
		boot_begin(conf);
	}

	next_hb = mono_ms() + HEARTBEAT_MS;
	for (;;) {
		struct pollfd p[3];
		uint64_t now = mono_ms();
		int n = 0, port_i = -1, job_i = -1, timeout, watch_t;
		uint8_t *watched;
		size_t watched_len;

		heartbeat(now, &next_hb);
		queue_frames_burst();
		if (outq.len && now >= hup_until)
			flush_out();
		if (now >= hup_until) {
			port_i = n;
			p[n].fd = port_fd;
			p[n++].events = POLLIN | (outq.len ? POLLOUT : 0);
		}
		if (job.fd >= 0) {
			job_i = n;
			p[n].fd = job.fd;
			p[n++].events = POLLIN;
		}
		if (agent_watch_fd() >= 0) {
			p[n].fd = agent_watch_fd();
			p[n++].events = POLLIN;
		}
		timeout = (int)(next_hb - now);
		if (now < hup_until && (int)(hup_until - now) < timeout)
			timeout = (int)(hup_until - now);
		watch_t = agent_watch_timeout_ms(now);
		if (watch_t >= 0 && watch_t < timeout)
			timeout = watch_t;
		if (remedy.asking && (int64_t)(remedy.deadline - now) < timeout)
			timeout = remedy.deadline > now ? (int)(remedy.deadline - now) : 0;
		if (poll(p, (nfds_t)n, timeout) < 0) {
			if (errno != EINTR)
				usleep(10 * 1000);
			continue;
		}
		if (job_i >= 0 && p[job_i].revents)
			job_read();
		remedy_tick(conf, mono_ms());
		if (agent_watch_tick(mono_ms(), &watched, &watched_len)) {
			queue_frame(PROTO_WATCHED, watched, watched_len);
			free(watched);
		}
		if (port_i < 0)
			continue;
		if (p[port_i].revents & POLLIN)
			read_port(dec, conf, &hup_until);
		/* No host on the other end: the port polls as hung up; do not spin on it. */
		if ((p[port_i].revents & (POLLHUP | POLLERR)) && !(p[port_i].revents & POLLIN))
			hup_until = mono_ms() + HUP_BACKOFF_MS;
		if (p[port_i].revents & POLLOUT) {
			flush_out();
			queue_frames_burst();
			flush_out();
		}
	}
}

int agent_run_shell(const char *cmd, unsigned timeout_ms, char *out, size_t size)
{
	shell_timeout_ms = timeout_ms;
	return run_shell(cmd, NULL, out, size);
}
