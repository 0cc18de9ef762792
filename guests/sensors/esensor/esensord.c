/* esensord — the user-mode half of esensor: parses KSCU (the legacy parser of lib-kscu, as in
 * usensor), writes the rules into BPF maps, and keeps the BPF program (esensor.bpf.c, built
 * into this binary) attached to sched_process_exec.
 *
 *   esensord --content FILE --socket PATH [--pin-dir DIR] [--name NAME]
 *   esensord --probe [--pin-dir DIR]
 *
 * The program's link and maps are pinned under DIR (default /sys/fs/bpf/esensor, a bpffs): the
 * evaluation goes on in the kernel with the last installed rules while this daemon is dead or
 * restarting, and a restarted daemon takes the pinned objects over instead of attaching again.
 * --probe reads the pinned counters without the daemon (the protection probe: is the program
 * attached, and does it still match?).
 *
 * Control socket and log lines as usensord (lib-usermode/ctl.h); matches reach the log through
 * the events ring buffer:
 *   NAME: attached to sched_process_exec (new|taken over), pinned at DIR
 *   NAME: loaded update: N instances (template T)
 *   NAME: rejected update: REASON
 *   NAME: match rule N on COMM
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/types.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "ctl.h"
#include "esensor.h"
#include "kscu.h"
#include "notify.h"

#define WATCHDOG_PING_MS 500

/* esensor-obj.S: the compiled esensor.bpf.c */
extern const unsigned char esensor_bpf_obj[], esensor_bpf_obj_end[];

static const char *name = "esensor";
static const char *content_path, *pin_dir = "/sys/fs/bpf/esensor";
static unsigned long n_loads, n_rejects;

static struct {
	struct bpf_object *obj;
	struct ring_buffer *rb;
	int rules_fd, slots_fd, active_fd, stats_fd;
	uint32_t half;	   /* the active half of the rules map */
	uint32_t n_active; /* rules in it */
} bpf = {.rules_fd = -1, .slots_fd = -1, .active_fd = -1, .stats_fd = -1};

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
	while (n > 0 && line[n - 1] == '\n')
		n--;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	say("libbpf: %s", buf);
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct es_match *m = data;

	(void)ctx;
	if (size >= sizeof(*m))
		say("match rule %u on %.*s", m->rule, ES_COMM_LEN, m->comm);
	return 0;
}

static char *pin_path(const char *leaf)
{
	char *p;

	if (asprintf(&p, "%s/%s", pin_dir, leaf) < 0)
		abort();
	return p;
}

/* Open the embedded object with its maps pinned under pin_dir (libbpf reuses pinned maps that
 * exist), and attach the program unless a pinned link says a previous daemon already did. */
static int bpf_setup(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "esensor");
	struct bpf_program *prog;
	struct bpf_map *map;
	char *link_path = pin_path("link");
	bool attached;
	int r;

	if (mkdir(pin_dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		say("cannot create %s: %s (is bpffs mounted?)", pin_dir, strerror(errno));
		goto out;
	}
	attached = access(link_path, F_OK) == 0;
	bpf.obj = bpf_object__open_mem(esensor_bpf_obj,
				       (size_t)(esensor_bpf_obj_end - esensor_bpf_obj), &opts);
	if (!bpf.obj) {
		r = -errno;
		goto out;
	}
	bpf_object__for_each_map(map, bpf.obj)
	{
		char *p = pin_path(bpf_map__name(map));
		r = bpf_map__set_pin_path(map, p);
		free(p);
		if (r < 0)
			goto out;
	}
	prog = bpf_object__find_program_by_name(bpf.obj, "es_exec");
	if (!prog) {
		r = -ENOENT;
		goto out;
	}
	bpf_program__set_autoload(prog, !attached);
	r = bpf_object__load(bpf.obj);
	if (r < 0)
		goto out;
	if (!attached) {
		struct bpf_link *link = bpf_program__attach(prog);

		if (!link) {
			r = -errno;
			goto out;
		}
		r = bpf_link__pin(link, link_path);
		if (r < 0)
			goto out;
	}
	bpf.rules_fd = bpf_object__find_map_fd_by_name(bpf.obj, "rules");
	bpf.slots_fd = bpf_object__find_map_fd_by_name(bpf.obj, "slots");
	bpf.active_fd = bpf_object__find_map_fd_by_name(bpf.obj, "active");
	bpf.stats_fd = bpf_object__find_map_fd_by_name(bpf.obj, "stats");
	bpf.rb = ring_buffer__new(bpf_object__find_map_fd_by_name(bpf.obj, "events"), on_event,
				  NULL, NULL);
	if (!bpf.rb) {
		r = -errno;
		goto out;
	}
	/* a taken-over program keeps evaluating the rules a previous daemon installed */
	uint32_t zero = 0;
	struct es_slot slot = {0};
	if (bpf_map_lookup_elem(bpf.active_fd, &zero, &bpf.half) == 0 &&
	    bpf_map_lookup_elem(bpf.slots_fd, &bpf.half, &slot) == 0)
		bpf.n_active = slot.n;
	say("attached to sched_process_exec (%s, %u rules active), pinned at %s",
	    attached ? "taken over" : "new", bpf.n_active, pin_dir);
	r = 0;
out:
	free(link_path);
	return r;
}

/* Write content into the inactive half, then make it the active one. The translation copies
 * what each instance supplied (at most ES_MAX_FIELDS fields, the first ES_DATA_LEN bytes of each,
 * from where the legacy parse says the data is); the evaluator in the kernel reads as many
 * slots as the template declares. */
static int install(const struct ks_content *c, char *why, size_t why_size)
{
	uint32_t half = bpf.half ^ 1, base = half ? ES_MAX_RULES : 0, zero = 0;
	struct es_slot slot = {.n = c->n, .nfields = c->tmpl->nfields};

	if (c->n > ES_MAX_RULES) {
		snprintf(why, why_size, "%u instances, the rules map holds %u", c->n, ES_MAX_RULES);
		return -E2BIG;
	}
	for (uint32_t i = 0; i < c->n; i++) {
		const struct ks_instance *inst = &c->inst[i];
		struct es_rule r = {.field_count = inst->field_count};
		uint32_t key = base + i;

		for (unsigned j = 0; j < inst->field_count && j < ES_MAX_FIELDS; j++) {
			const struct ks_field *f = &inst->fields[j];

			r.f[j].type = f->type;
			r.f[j].len = f->len;
			memcpy(r.f[j].data, f->data, f->len < ES_DATA_LEN ? f->len : ES_DATA_LEN);
		}
		if (bpf_map_update_elem(bpf.rules_fd, &key, &r, BPF_ANY) < 0) {
			snprintf(why, why_size, "rules map: %s", strerror(errno));
			return -errno;
		}
	}
	for (unsigned j = 0; j < c->tmpl->nfields; j++)
		slot.role[j] = c->tmpl->role[j];
	if (bpf_map_update_elem(bpf.slots_fd, &half, &slot, BPF_ANY) < 0 ||
	    bpf_map_update_elem(bpf.active_fd, &zero, &half, BPF_ANY) < 0) {
		snprintf(why, why_size, "slots map: %s", strerror(errno));
		return -errno;
	}
	bpf.half = half;
	bpf.n_active = c->n;
	return 0;
}

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

/* As usensord's reload(): 0 loaded, 1 rejected, -errno no file. */
static int reload(char *reply, size_t size)
{
	struct ks_content *c = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	char why[256] = "";
	int r = read_update(content_path, &buf, &len);

	if (r < 0) {
		snprintf(reply, size, "error cannot read %s: %s", content_path, strerror(-r));
		return r;
	}
	r = ks_load(buf, len, &c, why, sizeof(why));
	if (r < 0)
		free(buf);
	else
		r = install(c, why, sizeof(why));
	if (r < 0) {
		ks_content_free(c);
		n_rejects++;
		say("rejected update: %s", why);
		snprintf(reply, size, "rejected %s", why);
		return 1;
	}
	n_loads++;
	say("loaded update: %u instances (template %s)", c->n, c->tmpl->name);
	snprintf(reply, size, "ok loaded %u instances (template %s)", c->n, c->tmpl->name);
	ks_content_free(c); /* the kernel has its copy */
	return 0;
}

static void read_stats(int fd, uint64_t v[ES_STAT_MAX])
{
	for (uint32_t k = 0; k < ES_STAT_MAX; k++)
		if (bpf_map_lookup_elem(fd, &k, &v[k]) < 0)
			v[k] = 0;
}

static void handle_command(int cfd, const char *cmd)
{
	char reply[512];
	uint64_t v[ES_STAT_MAX];

	if (strcmp(cmd, "reload") == 0) {
		reload(reply, sizeof(reply));
		ctl_reply(cfd, "%s", reply);
	} else if (strcmp(cmd, "stats") == 0) {
		read_stats(bpf.stats_fd, v);
		ctl_reply(cfd,
			  "ok matches=%llu loads=%lu rejects=%lu events=%llu lost=%llu "
			  "instances=%u",
			  (unsigned long long)v[ES_STAT_MATCHES], n_loads, n_rejects,
			  (unsigned long long)v[ES_STAT_EXECS], (unsigned long long)v[ES_STAT_LOST],
			  bpf.n_active);
	} else {
		ctl_reply(cfd, "error unknown command '%s' (reload, stats)", cmd);
	}
}

/* --probe: the pinned program's counters, without the daemon. */
static int probe(void)
{
	char *link = pin_path("link"), *stats = pin_path("stats");
	uint64_t v[ES_STAT_MAX];
	int lfd = bpf_obj_get(link), sfd = bpf_obj_get(stats);
	int r = 0;

	if (lfd < 0 || sfd < 0) {
		printf("error not attached: %s: %s\n", lfd < 0 ? link : stats, strerror(errno));
		r = 3;
	} else {
		read_stats(sfd, v);
		printf("ok attached execs=%llu matches=%llu lost=%llu\n",
		       (unsigned long long)v[ES_STAT_EXECS], (unsigned long long)v[ES_STAT_MATCHES],
		       (unsigned long long)v[ES_STAT_LOST]);
	}
	free(link);
	free(stats);
	return r;
}

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
		"Usage: esensord --content FILE --socket PATH [--pin-dir DIR] [--name NAME]\n"
		"       esensord --probe [--pin-dir DIR]\n");
	return status;
}

static int serve(int lfd, int sfd, const char *sock)
{
	uint64_t last_ping = 0;

	for (;;) {
		struct pollfd p[3] = {{.fd = ring_buffer__epoll_fd(bpf.rb), .events = POLLIN},
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
		if (p[0].revents)
			ring_buffer__consume(bpf.rb);
		if (p[1].revents) {
			char cmd[64];
			int cfd;

			while ((cfd = ctl_accept(lfd, cmd, sizeof(cmd))) >= 0 || cfd == -EPROTO)
				if (cfd >= 0)
					handle_command(cfd, cmd);
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;
			char reply[512];

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					reload(reply, sizeof(reply));
					continue;
				}
				/* the pinned program stays: protection outlives the daemon */
				say("stopping on signal %d", (int)si.ssi_signo);
				unlink(sock);
				return 0;
			}
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"content", required_argument, NULL, 'c'},
					   {"socket", required_argument, NULL, 's'},
					   {"pin-dir", required_argument, NULL, 'p'},
					   {"name", required_argument, NULL, 'n'},
					   {"probe", no_argument, NULL, 'P'},
					   {"help", no_argument, NULL, 'h'},
					   {0}};
	const char *sock = NULL;
	bool do_probe = false;
	char reply[512];
	sigset_t mask;
	int c, lfd, sfd, r;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'c')
			content_path = optarg;
		else if (c == 's')
			sock = optarg;
		else if (c == 'p')
			pin_dir = optarg;
		else if (c == 'n')
			name = optarg;
		else if (c == 'P')
			do_probe = true;
		else
			return usage(c == 'h' ? 0 : 2);
	}
	if (optind != argc)
		return usage(2);
	if (do_probe)
		return probe();
	if (!content_path || !sock)
		return usage(2);
	r = crash_install(name);
	if (r < 0)
		say("crash reporter not installed: %s", strerror(-r));
	libbpf_set_print(libbpf_log);

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	r = bpf_setup();
	if (r < 0) {
		say("cannot load the BPF program: %s", strerror(-r));
		return 1;
	}
	lfd = ctl_listen(sock);
	if (lfd < 0 || sfd < 0) {
		say("cannot listen on %s: %s", sock, strerror(lfd < 0 ? -lfd : errno));
		return 1;
	}
	if (reload(reply, sizeof(reply)) < 0)
		say("no content yet (%s)", reply + strlen("error "));
	notify_send("READY=1");
	say("ready (content: %u instances)", bpf.n_active);
	return serve(lfd, sfd, sock);
}
