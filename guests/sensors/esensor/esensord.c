/* esensord — the user-mode half of esensor: parses KSCU (the legacy parser of lib-kscu, as in
 * usensor), writes the rules into BPF maps, and keeps the BPF program (esensor.bpf.c, built
 * into this binary) attached to sched_process_exec.
 *
 *   esensord --content FILE --socket PATH [--pin-dir DIR] [--name NAME]
 *   esensord --probe [--pin-dir DIR]
 *   esensord --check
 *
 * The program's link and maps are pinned under DIR (default /sys/fs/bpf/esensor, a bpffs): the
 * evaluation goes on in the kernel with the last installed rules while this daemon is dead or
 * restarting, and a restarted daemon takes the pinned objects over instead of attaching again.
 * --probe reads the pinned counters without the daemon (the protection probe: is the program
 * attached, and does it still match?). --check says whether this kernel has what the program
 * needs (its BTF, the ring buffer map, bpf_loop), naming what is missing: a sensor's start command,
 * so that a kernel too old for the design stops the boot with the reason instead of a daemon
 * that dies in its log (libbpf's own error on 5.10 is an EINVAL with an empty verifier log).
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
#include <getopt.h>
#include <linux/types.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ctl.h"
#include "daemon.h"
#include "esensor.h"
#include "kscu.h"

/* esensor-obj.S: the compiled esensor.bpf.c */
extern const unsigned char esensor_bpf_obj[], esensor_bpf_obj_end[];

static const char *pin_dir = "/sys/fs/bpf/esensor";

static struct {
	struct bpf_object *obj;
	struct ring_buffer *rb;
	int rules_fd, slots_fd, active_fd, stats_fd;
	uint32_t half;	   /* the active half of the rules map */
	uint32_t n_active; /* rules in it */
} bpf = {.rules_fd = -1, .slots_fd = -1, .active_fd = -1, .stats_fd = -1};

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	daemon_say("libbpf: %s", buf);
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct es_match *m = data;

	(void)ctx;
	if (size >= sizeof(*m))
		daemon_say("match rule %u on %.*s", m->rule, ES_COMM_LEN, m->comm);
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
		daemon_say("cannot create %s: %s (is bpffs mounted?)", pin_dir, strerror(errno));
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
	daemon_say("attached to sched_process_exec (%s, %u rules active), pinned at %s",
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

/* daemon_run()'s take: the kernel gets its copy, the parsed content is not kept. */
static int take(struct ks_content *c, char *why, size_t why_size)
{
	int r = install(c, why, why_size);

	if (r == 0)
		ks_content_free(c);
	return r;
}

static unsigned instances(void)
{
	return bpf.n_active;
}

static void read_stats(int fd, uint64_t v[ES_STAT_MAX])
{
	for (uint32_t k = 0; k < ES_STAT_MAX; k++)
		if (bpf_map_lookup_elem(fd, &k, &v[k]) < 0)
			v[k] = 0;
}

static void on_events(void)
{
	ring_buffer__consume(bpf.rb);
}

static void on_command(int cfd, const char *cmd)
{
	uint64_t v[ES_STAT_MAX];

	if (strcmp(cmd, "stats") != 0) {
		ctl_reply(cfd, "error unknown command '%s' (reload, stats)", cmd);
		return;
	}
	read_stats(bpf.stats_fd, v);
	ctl_reply(cfd, "ok matches=%llu loads=%lu rejects=%lu events=%llu lost=%llu instances=%u",
		  (unsigned long long)v[ES_STAT_MATCHES], daemon_loads(), daemon_rejects(),
		  (unsigned long long)v[ES_STAT_EXECS], (unsigned long long)v[ES_STAT_LOST],
		  bpf.n_active);
}

/* --check: the kernel features esensor.bpf.c uses, each with the release that brought it. */
static int check(void)
{
	int loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_loop, NULL);
	int ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	const char *missing = NULL;

	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0)
		missing = "no kernel BTF (/sys/kernel/btf/vmlinux): tp_btf and CO-RE need "
			  "CONFIG_DEBUG_INFO_BTF";
	else if (ringbuf <= 0)
		missing = "no BPF ring buffer map (BPF_MAP_TYPE_RINGBUF, Linux 5.8)";
	else if (loop <= 0)
		missing = "no bpf_loop helper (BPF_FUNC_loop, Linux 5.17)";
	if (missing) {
		struct utsname u;

		printf("esensor: this kernel (%s) cannot run the BPF program: %s\n",
		       uname(&u) == 0 ? u.release : "?", missing);
		return 1;
	}
	printf("esensor: kernel has BTF, the ring buffer map and bpf_loop\n");
	return 0;
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
		"       esensord --probe [--pin-dir DIR]\n"
		"       esensord --check\n");
	return status;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"content", required_argument, NULL, 'c'}, {"socket", required_argument, NULL, 's'},
	    {"pin-dir", required_argument, NULL, 'p'}, {"name", required_argument, NULL, 'n'},
	    {"probe", no_argument, NULL, 'P'},	       {"check", no_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},	       {0}};
	const char *sock = NULL, *name = "esensor";
	struct daemon_ops ops = {
	    .take = take, .on_events = on_events, .on_command = on_command, .instances = instances};
	bool do_probe = false, do_check = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'c')
			ops.content = optarg;
		else if (c == 's')
			sock = optarg;
		else if (c == 'p')
			pin_dir = optarg;
		else if (c == 'n')
			name = optarg;
		else if (c == 'P')
			do_probe = true;
		else if (c == 'C')
			do_check = true;
		else
			return usage(c == 'h' ? 0 : 2);
	}
	if (optind != argc)
		return usage(2);
	if (do_probe)
		return probe();
	if (do_check)
		return check();
	if (!ops.content || !sock)
		return usage(2);
	r = daemon_init(name, true);
	if (r < 0) {
		daemon_say("cannot set up signals: %s", strerror(-r));
		return 1;
	}
	libbpf_set_print(libbpf_log);
	r = bpf_setup();
	if (r < 0) {
		daemon_say("cannot load the BPF program: %s", strerror(-r));
		return 1;
	}
	/* on SIGTERM the pinned program stays: protection outlives the daemon */
	ops.event_fd = ring_buffer__epoll_fd(bpf.rb);
	return daemon_run(sock, &ops);
}
