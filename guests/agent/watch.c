/* watch.c — the sensor watch and the protection probe in the guest (see watch.h).
 *
 * Everything here is bounded whatever the sensor does: the process check is one small read per
 * sample (a /proc scan only while the process is gone), the log is scanned for deaths up to
 * SCAN_MAX bytes in SCAN_STEP chunks per sample, and the answer carries at most
 * PROTO_WATCH_LOG_MAX bytes of it, read with two preads however large the log grew.
 */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "proto.h"

#define SAMPLE_MS 20	     /* a live process: one /proc/PID/comm read */
#define RESCAN_MS 100	     /* a gone one: a /proc scan for its successor */
#define SCAN_STEP (1u << 20) /* log bytes searched per sample */
#define SCAN_MAX (8u << 20)  /* log bytes searched per case; deaths past it are pid changes */
#define PROBE_OUT_MAX 2048
#define UNIT_CMD_MS 10000 /* systemctl show, journalctl: seconds under TCG on a loaded host */

static struct {
	const struct agent_conf *c;
	bool armed, asked, final_started;
	bool no_final;	      /* the host asked for no final probe (PROTO_WATCH_NO_PROBE) */
	bool final_timed_out; /* the final probe ran out of time: PROTO_WATCH_AGAIN may redo it */
	uint64_t t0;	      /* delivery */
	/* the process */
	pid_t pid, pid_at_delivery;
	uint64_t next_sample;
	int64_t pid_changes, first_death_ms, deaths_seen;
	/* the log */
	off_t log_start, scan_off;
	int64_t died_lines;
	char carry[PROTO_WATCH_TEXT_MAX]; /* the end of the last chunk: a text split across two */
	size_t carry_len;
	/* the probe */
	pid_t probe_pid;
	int probe_fd;
	char probe_buf[PROBE_OUT_MAX];
	size_t probe_len;
	uint64_t probe_start;
	int64_t probe_deaths; /* deaths_seen when the running probe started */
	bool pending;	      /* protection in doubt: probe until one passes */
	uint64_t next_probe;
	unsigned probe_timeout_ms;
	int64_t probes, failures, status, loss_ms, restored_ms;
	char probe_output[PROTO_WATCH_TEXT_MAX];
	/* the probe counters before the final probe, for PROTO_WATCH_AGAIN */
	struct {
		bool pending;
		int64_t probes, failures, status, loss_ms, restored_ms;
		char probe_output[PROTO_WATCH_TEXT_MAX];
	} before_final;
	/* the unit */
	int64_t unit_restarts0; /* NRestarts at delivery; -1: unknown */
	struct timespec real0;	/* delivery, on the journal's clock */
} w = {.probe_pid = -1, .probe_fd = -1};

static bool set(const char *s)
{
	return s && *s;
}

static bool wants(const struct agent_conf *c)
{
	return c && (set(c->watch_process) || set(c->watch_log) || set(c->watch_unit) ||
		     agent_probe_set(c));
}

/* ---- the process ---- */

/* The start of /proc/PID/WHAT, NUL-terminated; its length, or -1. */
static ssize_t proc_read(pid_t pid, const char *what, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n > 0 ? n : -1;
}

static bool comm_is(pid_t pid, const char *name)
{
	char buf[64], *paren;

	if (proc_read(pid, "comm", buf, sizeof(buf)) < 0)
		return false;
	buf[strcspn(buf, "\n")] = 0;
	if (strcmp(buf, name) != 0)
		return false;
	/* a zombie keeps its comm until it is reaped: dead all the same. "PID (COMM) S ...":
	 * COMM is at most 15 characters, so the state is in the buffer unless the name has odd
	 * characters; then take it as alive */
	if (proc_read(pid, "stat", buf, sizeof(buf)) < 0)
		return true;
	paren = strrchr(buf, ')');
	return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

pid_t agent_watch_find_process(const char *name)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || (found && pid >= found))
			continue;
		if (comm_is((pid_t)pid, name))
			found = (pid_t)pid;
	}
	closedir(d);
	return found;
}

static void saw_death(uint64_t now)
{
	int64_t deaths = w.pid_changes > w.died_lines ? w.pid_changes : w.died_lines;

	if (deaths <= w.deaths_seen)
		return;
	w.deaths_seen = deaths;
	if (w.first_death_ms < 0)
		w.first_death_ms = (int64_t)(now - w.t0);
	if (w.loss_ms < 0)
		w.loss_ms = (int64_t)(now - w.t0);
	w.restored_ms = -1;
	if (!w.pending) {
		w.pending = true;
		w.next_probe = now; /* at once: a probe that passes now means nothing was lost */
	}
}

static void sample_process(uint64_t now)
{
	const char *name = w.c->watch_process;

	if (w.pid && comm_is(w.pid, name)) {
		w.next_sample = now + SAMPLE_MS;
		return;
	}
	if (w.pid) {
		w.pid_changes++;
		w.pid = 0;
	}
	w.pid = agent_watch_find_process(name);
	w.next_sample = now + (w.pid ? SAMPLE_MS : RESCAN_MS);
}

/* ---- the log ---- */

static off_t log_size(void)
{
	struct stat st;

	if (stat(w.c->watch_log, &st) < 0)
		return 0;
	return st.st_size;
}

static void count_died(const char *buf, size_t n)
{
	const char *died = w.c->watch_died;
	size_t dl = strlen(died);

	for (const char *p = buf; (p = memmem(p, n - (size_t)(p - buf), died, dl)); p += dl)
		w.died_lines++;
}

/* Search what the log grew by since the last sample for watch_died, at most SCAN_STEP bytes
 * now and SCAN_MAX in all. A text split between two reads is found through the carry. */
static void scan_log(void)
{
	static char buf[PROTO_WATCH_TEXT_MAX + SCAN_STEP];
	size_t dl = strlen(w.c->watch_died);
	off_t size = log_size();
	int fd;

	if (dl == 0 || dl >= PROTO_WATCH_TEXT_MAX || size < w.scan_off)
		return; /* truncated under us: the pid changes still count */
	if (w.scan_off - w.log_start >= SCAN_MAX || size == w.scan_off)
		return;
	fd = open(w.c->watch_log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size_t want = (size_t)(size - w.scan_off);
	if (want > SCAN_STEP)
		want = SCAN_STEP;
	memcpy(buf, w.carry, w.carry_len);
	ssize_t n = pread(fd, buf + w.carry_len, want, w.scan_off);
	close(fd);
	if (n <= 0)
		return;
	size_t total = w.carry_len + (size_t)n;
	count_died(buf, total);
	w.scan_off += n;
	/* keep dl - 1 bytes: enough for a split text, too few to count one twice */
	w.carry_len = total < dl - 1 ? total : dl - 1;
	memmove(w.carry, buf + total - w.carry_len, w.carry_len);
}

/* The bytes the log grew by since delivery, bounded: all of them, or the first
 * PROTO_WATCH_LOG_HEAD and the last PROTO_WATCH_LOG_TAIL with a line saying how many were
 * skipped. *ret_total is how many there were. Caller frees. */
static char *read_log(size_t *ret_len, int64_t *ret_total)
{
	off_t size = log_size(), start = w.log_start;
	char *buf;
	size_t len = 0;
	int fd;

	*ret_len = 0;
	*ret_total = 0;
	if (size < start)
		start = 0; /* truncated or replaced: what is there now */
	if (size == start)
		return NULL;
	fd = open(w.c->watch_log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(PROTO_WATCH_LOG_MAX);
	if (!buf) {
		close(fd);
		return NULL;
	}
	*ret_total = (int64_t)(size - start);
	if (size - start <= (off_t)(PROTO_WATCH_LOG_HEAD + PROTO_WATCH_LOG_TAIL)) {
		ssize_t n = pread(fd, buf, (size_t)(size - start), start);
		len = n > 0 ? (size_t)n : 0;
	} else {
		ssize_t n = pread(fd, buf, PROTO_WATCH_LOG_HEAD, start);
		len = n > 0 ? (size_t)n : 0;
		len += (size_t)snprintf(
		    buf + len, 64, "\n[... %lld bytes skipped ...]\n",
		    (long long)(size - start - PROTO_WATCH_LOG_HEAD - PROTO_WATCH_LOG_TAIL));
		n = pread(fd, buf + len, PROTO_WATCH_LOG_TAIL, size - PROTO_WATCH_LOG_TAIL);
		len += n > 0 ? (size_t)n : 0;
	}
	close(fd);
	*ret_len = len;
	return buf;
}

/* ---- the probe ---- */

static void last_line(const char *out, char *dst, size_t size)
{
	const char *end = out + strlen(out), *start;

	while (end > out && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	start = end;
	while (start > out && start[-1] != '\n')
		start--;
	snprintf(dst, size, "%.*s", (int)(end - start), start);
}

static void probe_start(uint64_t now)
{
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (pid == 0) {
		char out[PROBE_OUT_MAX - 16] = "";
		int st;

		close(pfd[0]);
		signal(SIGPIPE, SIG_DFL);
		st = agent_probe_run(w.c, w.probe_timeout_ms, out, sizeof(out));
		if (st == -ETIME)
			snprintf(out + strlen(out), sizeof(out) - strlen(out),
				 "\nprobe timed out after %u ms", w.probe_timeout_ms);
		dprintf(pfd[1], "%d\n%s", st, out);
		_exit(0);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	w.probe_pid = pid;
	w.probe_fd = pfd[0];
	w.probe_len = 0;
	w.probe_start = now;
	w.probe_deaths = w.deaths_seen;
}

static void probe_done(uint64_t now)
{
	int status = 0, st;
	char *nl;

	close(w.probe_fd);
	w.probe_fd = -1;
	waitpid(w.probe_pid, &status, 0);
	w.probe_pid = -1;
	w.probe_buf[w.probe_len] = 0;
	nl = strchr(w.probe_buf, '\n');
	st = w.probe_len && nl ? atoi(w.probe_buf) : -EIO; /* the child died: not a pass */
	last_line(nl ? nl + 1 : "", w.probe_output, sizeof(w.probe_output));
	w.probes++;
	w.status = st;
	w.final_timed_out = w.final_started && st == -ETIME;
	if (st != 0) {
		w.failures++;
		if (w.loss_ms < 0)
			w.loss_ms = (int64_t)(w.probe_start - w.t0);
		w.restored_ms = -1;
		w.pending = true;
		w.next_probe = now + w.c->probe_interval_ms;
	} else if (w.deaths_seen > w.probe_deaths) {
		/* it died again while the probe ran: that pass says nothing about now */
		w.pending = true;
		w.next_probe = now;
	} else {
		w.pending = false;
		if (w.loss_ms >= 0 && w.restored_ms < 0)
			w.restored_ms = (int64_t)(now - w.t0);
	}
}

static void probe_read(uint64_t now)
{
	for (;;) {
		ssize_t n = read(w.probe_fd, w.probe_buf + w.probe_len,
				 sizeof(w.probe_buf) - 1 - w.probe_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return; /* EAGAIN: more later */
		if (n == 0 || w.probe_len + (size_t)n >= sizeof(w.probe_buf) - 1) {
			w.probe_len += n > 0 ? (size_t)n : 0;
			probe_done(now);
			return;
		}
		w.probe_len += (size_t)n;
	}
}

/* ---- the unit: systemd's view ---- */

/* The value of "KEY=VALUE" among systemctl show's lines, into dst; false when absent. */
static bool show_value(const char *out, const char *key, char *dst, size_t size)
{
	size_t kl = strlen(key);

	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, kl) == 0 && l[kl] == '=') {
			snprintf(dst, size, "%.*s", (int)strcspn(l + kl + 1, "\n"), l + kl + 1);
			return true;
		}
	}
	return false;
}

/* systemctl show of the unit: its NRestarts (-1 when unknown), and "ActiveState/SubState"
 * into state when state is not NULL. */
static int64_t unit_show(const struct agent_conf *c, char *state, size_t size)
{
	char cmd[512], out[1024] = "", v[64], sub[64];
	char *end;
	long long n;

	snprintf(cmd, sizeof(cmd),
		 "systemctl show -p NRestarts -p ActiveState -p SubState -- '%s' 2>&1",
		 c->watch_unit);
	if (agent_run_shell(cmd, UNIT_CMD_MS, out, sizeof(out)) != 0) {
		if (state)
			snprintf(state, size, "unknown (systemctl show failed: %.64s)", out);
		return -1;
	}
	if (state && show_value(out, "ActiveState", v, sizeof(v)) &&
	    show_value(out, "SubState", sub, sizeof(sub)))
		snprintf(state, size, "%s/%s", v, sub);
	if (!show_value(out, "NRestarts", v, sizeof(v)))
		return -1;
	n = strtoll(v, &end, 10);
	return *v && !*end && n >= 0 ? n : -1;
}

/* The unit's journal since delivery into watch_log (AGENT_UNIT_JOURNAL): the daemon's output
 * and systemd's lines about it ("Main process exited, ...", restarts). */
static void unit_journal(const struct agent_conf *c)
{
	char cmd[768], out[512] = "";

	snprintf(cmd, sizeof(cmd),
		 "journalctl -q -o cat --no-pager -u '%s' --since @%lld.%06ld >'%s' 2>&1",
		 c->watch_unit, (long long)w.real0.tv_sec, w.real0.tv_nsec / 1000, c->watch_log);
	agent_run_shell(cmd, UNIT_CMD_MS, out, sizeof(out));
	/* the whole copy is new: scan it for deaths from its start */
	w.log_start = w.scan_off = 0;
	w.carry_len = 0;
	w.died_lines = 0;
	while (w.scan_off < log_size() && w.scan_off < (off_t)SCAN_MAX) {
		off_t before = w.scan_off;

		scan_log();
		if (w.scan_off == before)
			break;
	}
}

/* ---- the watch ---- */

int agent_watch_check_start(const struct agent_conf *c, char *out, size_t size)
{
	size_t used = strlen(out);

	for (unsigned waited = 0;
	     set(c->watch_process) && !agent_watch_find_process(c->watch_process); waited += 50) {
		if (waited >= AGENT_WATCH_START_WAIT_MS) {
			snprintf(out + used, size - used,
				 "sensor process %s is not running %u s after the start commands "
				 "(watch process in sensor.yaml)\n",
				 c->watch_process, AGENT_WATCH_START_WAIT_MS / 1000);
			return -1;
		}
		usleep(50 * 1000);
	}
	if (agent_probe_set(c)) {
		int st;

		if (set(c->probe))
			snprintf(out + used, size - used, "$ %s\n", c->probe);
		st = agent_probe_run(c, c->probe_timeout_ms, out, size);
		if (st != 0) {
			used = strlen(out);
			snprintf(out + used, size - used,
				 "protection probe failed after start (%s %d): the sensor does not "
				 "detect the trigger's event with the content it started with\n",
				 st < 0 ? "error" : "status", st < 0 ? -st : st);
			return -1;
		}
	}
	return 0;
}

void agent_watch_arm(const struct agent_conf *c, uint64_t now_ms)
{
	if (w.probe_pid > 0) { /* a probe of an earlier case the host stopped waiting for */
		kill(w.probe_pid, SIGKILL);
		close(w.probe_fd);
		waitpid(w.probe_pid, NULL, 0);
	}
	memset(&w, 0, sizeof(w));
	w.probe_pid = w.probe_fd = -1;
	w.first_death_ms = w.status = w.loss_ms = w.restored_ms = -1;
	if (!wants(c))
		return;
	w.c = c;
	w.armed = true;
	w.t0 = now_ms;
	w.probe_timeout_ms = c->probe_timeout_ms;
	if (set(c->watch_process)) {
		w.pid = w.pid_at_delivery = agent_watch_find_process(c->watch_process);
		w.next_sample = now_ms + SAMPLE_MS;
	}
	if (set(c->watch_unit)) {
		unlink(c->watch_log); /* the last case's copy */
		clock_gettime(CLOCK_REALTIME, &w.real0);
		w.unit_restarts0 = unit_show(c, NULL, 0);
	}
	if (set(c->watch_log))
		w.log_start = w.scan_off = log_size();
}

/* PROTO_WATCH_AGAIN after an answer whose final probe timed out: back to the counters before
 * it, and the final probe once more with a timeout scaled to the CPU the guest got. After
 * another answer: that answer again. False when there was no answer to this conf. */
static bool final_again(const struct agent_conf *c, unsigned share_permille)
{
	unsigned long long t;

	if (w.armed || w.c != c || !c)
		return false;
	if (!w.final_started || !w.final_timed_out) {
		/* nothing to redo: the same answer again */
		w.armed = w.asked = w.final_started = true;
		return true;
	}
	w.pending = w.before_final.pending;
	w.probes = w.before_final.probes;
	w.failures = w.before_final.failures;
	w.status = w.before_final.status;
	w.loss_ms = w.before_final.loss_ms;
	w.restored_ms = w.before_final.restored_ms;
	memcpy(w.probe_output, w.before_final.probe_output, sizeof(w.probe_output));
	if (share_permille < 125)
		share_permille = 125;
	t = (unsigned long long)c->probe_timeout_ms * 1000 /
	    (share_permille < 1000 ? share_permille : 1000);
	w.probe_timeout_ms = t < AGENT_PROBE_MS_MAX ? (unsigned)t : AGENT_PROBE_MS_MAX;
	w.final_started = w.final_timed_out = false;
	w.armed = w.asked = true;
	return true;
}

void agent_watch_request(const struct agent_conf *c, uint64_t now_ms, unsigned mode, unsigned arg)
{
	if (mode == PROTO_WATCH_AGAIN && final_again(c, arg))
		return;
	if (!w.armed)
		agent_watch_arm(c, now_ms);
	w.no_final = mode == PROTO_WATCH_NO_PROBE;
	w.asked = true;
	if (!w.armed)
		w.c = c; /* nothing to watch: the answer says so */
}

int agent_watch_fd(void)
{
	return w.probe_fd;
}

int agent_watch_timeout_ms(uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;

	if (w.asked && (!w.armed || w.probe_pid < 0))
		return 0;
	if (!w.armed)
		return -1;
	if (set(w.c->watch_process) || set(w.c->watch_died))
		next = now_ms + SAMPLE_MS;
	if (set(w.c->watch_process) && w.next_sample < next)
		next = w.next_sample;
	if (agent_probe_set(w.c) && w.pending && w.probe_pid < 0 && w.next_probe < next)
		next = w.next_probe;
	if (next == UINT64_MAX)
		return -1;
	return next <= now_ms ? 0 : (int)(next - now_ms);
}

static int answer(uint64_t now, uint8_t **ret, size_t *ret_len)
{
	struct proto_watch a;
	_Static_assert(sizeof(a.process) > 15, "a comm fits");
	char *log = NULL;
	size_t len = 0;
	int r;

	memset(&a, 0, sizeof(a));
	a.first_death_ms = a.probe_status = a.loss_ms = a.restored_ms = a.unit_restarts = -1;
	if (w.armed) {
		const struct agent_conf *c = w.c;

		if (set(c->watch_unit)) {
			int64_t n = unit_show(c, a.unit_state, sizeof(a.unit_state));

			snprintf(a.unit, sizeof(a.unit), "%s", c->watch_unit);
			if (n >= 0 && w.unit_restarts0 >= 0 && n >= w.unit_restarts0)
				a.unit_restarts = n - w.unit_restarts0;
			unit_journal(c);
		}

		if (set(c->watch_process))
			snprintf(a.process, sizeof(a.process), "%s", c->watch_process);
		a.log = set(c->watch_log);
		a.probe = agent_probe_set(c);
		a.pid_at_delivery = w.pid_at_delivery;
		a.pid_at_end = w.pid;
		a.pid_changes = w.pid_changes;
		a.died_lines = w.died_lines;
		a.first_death_ms = w.first_death_ms;
		if (a.log) {
			log = read_log(&len, &a.log_bytes);
			a.log_scanned = w.scan_off - w.log_start;
		}
		a.probes = w.probes;
		a.probe_failures = w.failures;
		a.probe_status = w.status;
		a.loss_ms = w.loss_ms;
		a.restored_ms = w.restored_ms;
		a.window_ms = (int64_t)(now - w.t0);
		snprintf(a.probe_output, sizeof(a.probe_output), "%s", w.probe_output);
	}
	r = proto_watch_encode(&a, log, len, ret, ret_len);
	free(log);
	w.armed = w.asked = false;
	return r < 0 ? 0 : 1;
}

int agent_watch_tick(uint64_t now_ms, uint8_t **ret, size_t *ret_len)
{
	const struct agent_conf *c = w.c;

	if (!w.armed)
		return w.asked ? answer(now_ms, ret, ret_len) : 0;
	if (w.probe_fd >= 0)
		probe_read(now_ms);
	if (set(c->watch_process) && now_ms >= w.next_sample)
		sample_process(now_ms);
	if (set(c->watch_log) && set(c->watch_died))
		scan_log();
	saw_death(now_ms);
	if (!agent_probe_set(c)) {
		if (w.asked)
			return answer(now_ms, ret, ret_len);
		return 0;
	}
	if (w.probe_pid >= 0)
		return 0;
	if (w.asked && (w.final_started || (w.no_final && !w.pending)))
		return answer(now_ms, ret, ret_len);
	if (w.asked) {
		/* the window is over: the last word is a probe of its own */
		w.before_final.pending = w.pending;
		w.before_final.probes = w.probes;
		w.before_final.failures = w.failures;
		w.before_final.status = w.status;
		w.before_final.loss_ms = w.loss_ms;
		w.before_final.restored_ms = w.restored_ms;
		memcpy(w.before_final.probe_output, w.probe_output, sizeof(w.probe_output));
		w.final_started = true;
		probe_start(now_ms);
		if (w.probe_pid < 0)
			return answer(now_ms, ret, ret_len);
		return 0;
	}
	if (w.pending && now_ms >= w.next_probe)
		probe_start(now_ms);
	return 0;
}
