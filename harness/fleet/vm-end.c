/* vm-end.c — how a guest ended, and whether the host is withholding its CPU (vm.h:
 * vm_stopped_by_guest, vm_qemu_withheld, vm_vcpu_wait_ms). The evidence: what libvirt's
 * lifecycle events and the streams told vm.c (struct vm, vm-private.h), QEMU's log and, for the
 * embedded driver, QEMU's process and threads as /proc shows them.
 */
#include <dirent.h>
#include <fcntl.h>
#include <libvirt/virterror.h>

#include "util.h"
#include "vm-private.h"

#define STOP_EVENT_WAIT_MS 2000

/* The lines of QEMU's log since the domain last started that say how it ended: QEMU's own
 * "terminating on signal N from pid P" and libvirt's "shutting down, reason=R". NULL without a
 * local log (remote host) or without such lines. */
static char *qemu_log_ending(struct vm *vm)
{
	_cleanup_free_ char *path = NULL, *out = NULL;
	_cleanup_close_ int fd = -1;
	char buf[16384 + 1], *start, *line, *save = NULL;
	off_t size;
	ssize_t n;

	if (!vm->host->log_dir)
		return NULL;
	path = xasprintf("%s/%s.log", vm->host->log_dir, vm->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) < 0)
		return NULL;
	n = pread(fd, buf, sizeof(buf) - 1, size > 16384 ? size - 16384 : 0);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	/* the log is appended to each time a domain of this name starts */
	start = buf;
	for (char *p = buf; (p = strstr(p, "starting up")); p++)
		start = p;
	for (line = strtok_r(start, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *what = strstr(line, "terminating on signal");

		if (!what)
			what = strstr(line, "shutting down, reason=");
		if (!what)
			continue;
		char *joined = xasprintf("%s%s\"%s\"", out ? out : "", out ? ", " : "", what);
		free(out);
		out = joined;
	}
	return TAKE_PTR(out);
}

/* QEMU's pid, from the pid file libvirt keeps while the domain runs; 0 when unknown. */
static pid_t qemu_pid(struct vm *vm)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;
	long pid;

	if (vm->qemu_pid || !vm->host->run_dir)
		return vm->qemu_pid;
	path = xasprintf("%s/%s.pid", vm->host->run_dir, vm->name);
	if (read_file(path, 64, &data, &size) < 0 || (pid = strtol((char *)data, NULL, 10)) <= 0)
		return 0;
	vm->qemu_pid = (pid_t)pid;
	return vm->qemu_pid;
}

/* Call fn(task_dir, data) for each of QEMU's threads (/proc/PID/task/TID) until it returns
 * non-zero; returns that value, 0 after the last thread, or -ENODATA when QEMU's threads cannot
 * be seen (no local pid, or the process is gone). */
static int qemu_threads(struct vm *vm, int (*fn)(const char *task_dir, void *data), void *data)
{
	pid_t pid = qemu_pid(vm);
	_cleanup_free_ char *dir = NULL;
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (!pid)
		return -ENODATA;
	dir = xasprintf("/proc/%d/task", (int)pid);
	d = opendir(dir);
	if (!d)
		return -ENODATA;
	while (r == 0 && (de = readdir(d))) {
		_cleanup_free_ char *task = NULL;

		if (de->d_name[0] == '.')
			continue;
		task = xasprintf("%s/%s", dir, de->d_name);
		r = fn(task, data);
	}
	closedir(d);
	return r;
}

/* 1 when the thread is neither asleep nor idle: it waits on the host (runnable, stopped...). */
static int thread_withheld(const char *task_dir, void *data)
{
	_cleanup_free_ char *stat = xasprintf("%s/stat", task_dir);
	_cleanup_free_ uint8_t *text = NULL;
	const char *state;
	size_t size;

	(void)data;
	if (read_file(stat, 4096, &text, &size) < 0 || !(state = strrchr((char *)text, ')')))
		return 0;
	/* "pid (comm) S ...": S sleeps, I idles; anything else waits on the host */
	return state[1] == ' ' && state[2] != 'S' && state[2] != 'I';
}

int vm_qemu_withheld(struct vm *vm)
{
	return qemu_threads(vm, thread_withheld, NULL);
}

struct vcpu_wait {
	uint64_t sum_ns, n;
};

/* Adds a vCPU thread's time spent runnable but not running, from its schedstat ("run wait
 * slices" in ns); other threads, and unreadable ones, are left out. QEMU names vCPU threads
 * "CPU N/..." (libvirt starts it with debug-threads=on). */
static int thread_vcpu_wait(const char *task_dir, void *data)
{
	_cleanup_free_ char *comm = xasprintf("%s/comm", task_dir);
	_cleanup_free_ char *sched = xasprintf("%s/schedstat", task_dir);
	_cleanup_free_ uint8_t *c = NULL, *d = NULL;
	struct vcpu_wait *w = data;
	unsigned long long run, wait;
	size_t size;

	if (read_file(comm, 64, &c, &size) < 0 || size < 4 || memcmp(c, "CPU ", 4) != 0)
		return 0;
	if (read_file(sched, 256, &d, &size) < 0 ||
	    sscanf((char *)d, "%llu %llu", &run, &wait) != 2)
		return 0;
	w->sum_ns += wait;
	w->n++;
	return 0;
}

int vm_vcpu_wait_ms(struct vm *vm, uint64_t *ret)
{
	struct vcpu_wait w = {0};
	int r = qemu_threads(vm, thread_vcpu_wait, &w);

	if (r < 0)
		return r;
	if (!w.n)
		return -ENODATA;
	*ret = w.sum_ns / w.n / 1000000;
	return 0;
}

static const char *stopped_detail_name(int detail)
{
	static const char *const names[] = {
	    [VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN] = "shutdown",
	    [VIR_DOMAIN_EVENT_STOPPED_DESTROYED] = "destroyed",
	    [VIR_DOMAIN_EVENT_STOPPED_CRASHED] = "crashed",
	    [VIR_DOMAIN_EVENT_STOPPED_MIGRATED] = "migrated",
	    [VIR_DOMAIN_EVENT_STOPPED_SAVED] = "saved",
	    [VIR_DOMAIN_EVENT_STOPPED_FAILED] = "failed",
	    [VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT] = "from snapshot",
	};
	return detail >= 0 && detail < (int)ARRAY_SIZE(names) && names[detail] ? names[detail]
									       : "unknown";
}

/* The domain stopped (lifecycle event STOPPED): who did it, and a line saying how. */
static bool stop_by_guest(struct vm *vm, int detail, bool shutdown_seen, int shutdown_detail,
			  char **ret_reason)
{
	_cleanup_free_ char *log = qemu_log_ending(vm);
	const char *how;
	bool guest = false;

	switch (detail) {
	case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN:
		/* QEMU exits on a guest reset too (<on_reboot>destroy); a signal from the host
		 * side makes it shut down with guest=false */
		guest = !shutdown_seen || shutdown_detail != VIR_DOMAIN_EVENT_SHUTDOWN_HOST;
		how = guest ? "the guest reset or powered off"
			    : "QEMU was shut down from the host side (a signal)";
		break;
	case VIR_DOMAIN_EVENT_STOPPED_CRASHED:
		guest = true;
		how = "the guest crashed";
		break;
	case VIR_DOMAIN_EVENT_STOPPED_DESTROYED:
		how = "QEMU exited: the domain was destroyed by another libvirt client";
		break;
	case VIR_DOMAIN_EVENT_STOPPED_FAILED:
		how = "QEMU exited unexpectedly: killed, or crashed itself";
		break;
	default:
		how = "QEMU exited: the domain was taken away (saved, migrated or reverted)";
		break;
	}
	*ret_reason =
	    xasprintf("%s (libvirt: domain stopped, %s%s%s)", how, stopped_detail_name(detail),
		      log ? "; QEMU log: " : "", log ? log : "");
	return guest;
}

/* Neither a lifecycle event nor a panic came, yet a stream closed: ask libvirt. */
static char *stream_closed_reason(struct vm *vm, bool console_eof, bool channel_eof)
{
	const char *which = channel_eof && console_eof ? "the agent channel and console streams"
			    : channel_eof	       ? "the agent channel stream"
						       : "the console stream";
	int state, reason;

	if (!vm->dom || virDomainGetState(vm->dom, &state, &reason, 0) < 0) {
		const char *msg = virGetLastErrorMessage();
		return xasprintf("%s closed and the domain vanished (libvirt: %s)", which,
				 msg ? msg : "no domain");
	}
	if (state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_PAUSED)
		return xasprintf("%s closed while the guest was %s", which,
				 state == VIR_DOMAIN_RUNNING ? "running" : "paused");
	/* the domain stays defined after it stops (vm.c: persistent domains) */
	if (state == VIR_DOMAIN_SHUTOFF)
		return xasprintf("%s closed and the domain stopped (libvirt: shut off, reason %d)",
				 which, reason);
	return xasprintf("%s closed; libvirt gives the domain state %d, reason %d", which, state,
			 reason);
}

static const char *close_reason_name(int reason)
{
	switch (reason) {
	case VIR_CONNECT_CLOSE_REASON_EOF:
		return "end of file";
	case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
		return "keepalive timeout";
	case VIR_CONNECT_CLOSE_REASON_CLIENT:
		return "closed by the client";
	default:
		return "connection error";
	}
}

bool vm_stopped_by_guest(struct vm *vm, char **ret_reason)
{
	uint64_t deadline = now_ms() + STOP_EVENT_WAIT_MS;
	bool shutdown_seen, stop_seen, crash_seen, panicked, console_eof, channel_eof, lost;
	int shutdown_detail, stop_detail;

	pthread_mutex_lock(&vm->lock);
	/* a stream may close before libvirt has told us the domain stopped */
	while (!vm->crash_seen && !vm->panicked && !vm->stop_seen && !vm->host_lost &&
	       !vm_host_cancelled())
		if (vm_wait_locked(vm, deadline) < 0)
			break;
	shutdown_seen = vm->shutdown_seen;
	stop_seen = vm->stop_seen;
	crash_seen = vm->crash_seen;
	panicked = vm->panicked;
	console_eof = vm->console_eof;
	channel_eof = vm->channel_eof;
	lost = vm->host_lost;
	shutdown_detail = vm->shutdown_detail;
	stop_detail = vm->stop_detail;
	pthread_mutex_unlock(&vm->lock);

	if (crash_seen || panicked) {
		*ret_reason = xstrdup(crash_seen ? "the guest reported a panic (pvpanic)"
						 : "the guest's kernel panicked (console)");
		return true;
	}
	if (lost) {
		*ret_reason = xasprintf("the libvirt connection to %s dropped (%s)", vm->host->uri,
					close_reason_name(vm->host->lost_reason));
		return false;
	}
	if (stop_seen)
		return stop_by_guest(vm, stop_detail, shutdown_seen, shutdown_detail, ret_reason);
	*ret_reason = stream_closed_reason(vm, console_eof, channel_eof);
	return false;
}
