/* usensord — the legacy KSCU interpreter (lib-kscu) as a user-mode daemon.
 *
 *   usensord --content FILE --socket PATH [--name NAME] [--last-good FILE2]
 *
 * Exec events come from the kernel's proc connector (lib-usermode/procconn.h); content is the
 * file FILE, read at start and again on SIGHUP or on a "reload" command on the control socket
 * (lib-usermode/ctl.h), which answers "ok loaded ..." or "rejected REASON". A rejected update
 * leaves the previous content active, as in ksensor. Lines on stderr, in a stable form (the
 * supervisor copies them to its log and the kernel log):
 *
 *   NAME: ready (content: N instances)
 *   NAME: loaded update: N instances (template T)
 *   NAME: rejected update: REASON
 *   NAME: match rule N on COMM
 *   NAME: caught signal 11 (SIGSEGV) in FUNC+0xOFF (address A)   (crash.h; not in ASan)
 *
 * With --last-good, content that lived (lib-usermode/daemon.h) is copied to FILE2 when an update
 * replaces it, for supervise --rollback to put back.
 *
 * Built twice from this one source: usensor (static, crash reporter) and usensor-asan
 * (-fsanitize=address: AddressSanitizer reports instead). See README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "ctl.h"
#include "daemon.h"
#include "kscu.h"
#include "procconn.h"

#if defined(__SANITIZE_ADDRESS__)
#define USENSOR_ASAN 1
#else
#define USENSOR_ASAN 0
#endif

static struct ks_content *active;
static int proc_fd = -1;
static unsigned long n_matches, n_events, n_missed;

static int take(struct ks_content *c, char *why, size_t why_size)
{
	(void)why;
	(void)why_size;
	ks_content_free(active);
	active = c;
	return 0;
}

static unsigned instances(void)
{
	return active ? active->n : 0;
}

static void on_match(uint32_t rule, uint32_t action, const struct ks_event *ev, void *userdata)
{
	(void)userdata;
	n_matches++;
	if (action == 0)
		daemon_say("match rule %u on %s", rule, ev->comm);
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

static void on_events(void)
{
	int r = procconn_read(proc_fd, on_exec, NULL);

	if (r == -ENOBUFS)
		daemon_say("exec events lost: the kernel's queue overflowed");
	else if (r < 0)
		daemon_say("proc connector: %s", strerror(-r));
}

static void on_command(int cfd, const char *cmd)
{
	if (strcmp(cmd, "stats") == 0)
		ctl_reply(cfd,
			  "ok matches=%lu loads=%lu rejects=%lu events=%lu missed=%lu "
			  "instances=%u",
			  n_matches, daemon_loads(), daemon_rejects(), n_events, n_missed,
			  instances());
	else
		ctl_reply(cfd, "error unknown command '%s' (reload, stats)", cmd);
}

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
		"Usage: usensord --content FILE --socket PATH [--name NAME] [--last-good FILE2]\n");
	return status;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"content", required_argument, NULL, 'c'}, {"socket", required_argument, NULL, 's'},
	    {"name", required_argument, NULL, 'n'},    {"last-good", required_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},	       {0}};
	const char *sock = NULL, *name = "usensor";
	struct daemon_ops ops = {
	    .take = take, .on_events = on_events, .on_command = on_command, .instances = instances};
	int c, r;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'c')
			ops.content = optarg;
		else if (c == 's')
			sock = optarg;
		else if (c == 'n')
			name = optarg;
		else if (c == 'g')
			ops.last_good = optarg;
		else
			return usage(c == 'h' ? 0 : 2);
	}
	if (!ops.content || !sock || optind != argc)
		return usage(2);
	r = daemon_init(name, !USENSOR_ASAN);
	if (r < 0) {
		daemon_say("cannot set up signals: %s", strerror(-r));
		return 1;
	}
	/* Win the race against short-lived processes: /proc/PID must be read before the process
	 * is reaped, so this daemon should run as soon as the exec wakes it. */
	setpriority(PRIO_PROCESS, 0, -10);
	proc_fd = procconn_open();
	if (proc_fd < 0) {
		daemon_say("cannot subscribe to the proc connector: %s", strerror(-proc_fd));
		return 1;
	}
	ops.event_fd = proc_fd;
	return daemon_run(sock, &ops);
}
