/* cli-bench.c — `faultline bench SCENARIO`: the same cases under several isolation modes in one
 * invocation, with throughput, latency, the controller's memory and descriptors, and whether
 * the modes agree on every verdict and title. */
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <time.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "session.h"
#include "util.h"

#define MAX_MODES 4

struct bench_opts {
	struct session_opts s;
	const char *out_dir;
	size_t boot_cases;
	enum fleet_isolation modes[MAX_MODES];
	size_t n_modes;
	bool quiet;
};

struct mode_figures {
	enum fleet_isolation mode;
	struct session_stats st;
	long rss_before_kb, rss_after_kb;
	int fds_before, fds_after;
};

static void help(void)
{
	cli_help_print(stdout, "bench");
}

static int parse_modes(const char *arg, struct bench_opts *o)
{
	_cleanup_free_ char *copy = xstrdup(arg);
	char *save = NULL;

	o->n_modes = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int m = fleet_isolation_from_name(t);
		if (m < 0 || o->n_modes == MAX_MODES) {
			cli_error(SESSION_FAULT_USAGE,
				  "--modes takes up to four of boot, snapshot, reuse, warm");
			return -EINVAL;
		}
		o->modes[o->n_modes++] = (enum fleet_isolation)m;
	}
	return o->n_modes ? 0 : -EINVAL;
}

static int parse_count(const char *arg, const char *opt, size_t *ret)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*end || v == 0 || arg[0] == '-') {
		cli_error(SESSION_FAULT_USAGE, "%s takes a positive number", opt);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
	    CLI_SESSION_LONGOPTS,
	    {"jobs", required_argument, NULL, 'j'},
	    {"probe-every", required_argument, NULL, CLI_OPT_PROBE_EVERY},
	    {"output", required_argument, NULL, 'o'},
	    {"modes", required_argument, NULL, 'm'},
	    {"cases", required_argument, NULL, 'c'},
	    {"boot-cases", required_argument, NULL, 'b'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {}};
	int c, r;

	o->modes[0] = FLEET_BOOT;
	o->modes[1] = FLEET_SNAPSHOT;
	o->modes[2] = FLEET_REUSE;
	o->modes[3] = FLEET_WARM;
	o->n_modes = 4;
	while ((c = getopt_long(argc, argv, "o:j:qh", longopts, NULL)) >= 0) {
		if ((r = cli_session_option(c, optarg, &o->s)) != 0) {
			if (r < 0)
				return r;
			continue;
		}
		switch (c) {
		case 'o':
			o->out_dir = optarg;
			break;
		case 'm':
			if (parse_modes(optarg, o) < 0)
				return -EINVAL;
			break;
		case 'c':
			if (parse_count(optarg, "--cases", &o->s.max_cases) < 0)
				return -EINVAL;
			break;
		case 'b':
			if (parse_count(optarg, "--boot-cases", &o->boot_cases) < 0)
				return -EINVAL;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			help();
			return 1;
		default:
			return -EINVAL;
		}
	}
	return cli_scenario_arg(argc, argv, "bench", o->quiet, &o->s);
}

static long rss_kb(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	return kb;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the DIR's own descriptor */
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of the finished cases' times, in seconds. */
static double percentile(const struct session_stats *st, double p)
{
	_cleanup_free_ uint64_t *v = xcalloc(st->total ? st->total : 1, sizeof(uint64_t));
	size_t n = 0, k;

	for (size_t i = 0; i < st->total; i++)
		if (st->res[i].done)
			v[n++] = st->res[i].total_ms;
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	k = (size_t)(p * (double)n + 0.999999);
	k = k ? k - 1 : 0;
	return (double)v[k < n ? k : n - 1] / 1000.0;
}

/* The median, in seconds, of what part() gives for each finished case that has it. */
static double median_part(const struct session_stats *st,
			  bool (*part)(const struct session_result *r, uint64_t *ret))
{
	_cleanup_free_ uint64_t *v = xcalloc(st->total ? st->total : 1, sizeof(uint64_t));
	size_t n = 0;

	for (size_t i = 0; i < st->total; i++)
		if (st->res[i].done && part(&st->res[i], &v[n]))
			n++;
	if (n == 0)
		return -1;
	qsort(v, n, sizeof(*v), cmp_u64);
	return (double)v[(n - 1) / 2] / 1000.0;
}

/* One case's parts, in order: the guest made ready (boot, restore or reset), the update
 * delivered and the trigger run (the agent's RESULT), the observation window, the watch and
 * protection probe (WATCH to WATCHED), the verdict, the guest handed back. */
static bool part_ready(const struct session_result *r, uint64_t *ret)
{
	*ret = r->boot_ms;
	return true;
}

static bool part_deliver(const struct session_result *r, uint64_t *ret)
{
	*ret = r->deliver_ms;
	return r->deliver_ms > 0;
}

static bool part_observe(const struct session_result *r, uint64_t *ret)
{
	*ret = r->watch_ms - r->deliver_ms;
	return r->watch_ms > 0 && r->deliver_ms > 0 && r->watch_ms >= r->deliver_ms;
}

static bool part_probe(const struct session_result *r, uint64_t *ret)
{
	*ret = r->watched_ms - r->watch_ms;
	return r->watched_ms > 0 && r->watch_ms > 0 && r->watched_ms >= r->watch_ms;
}

static bool part_verdict(const struct session_result *r, uint64_t *ret)
{
	uint64_t from = r->watched_ms ? r->watched_ms : r->deliver_ms;

	*ret = r->verdict_ms - from;
	return r->verdict_ms >= from;
}

static bool part_release(const struct session_result *r, uint64_t *ret)
{
	*ret = r->release_ms;
	return true;
}

static void print_part(double v)
{
	if (v < 0)
		printf(" %9s", "-");
	else
		printf(" %9.3f", v);
}

/* Where one case's time goes, per mode: the median of each part over its cases (so the parts
 * need not add up to the median case). */
static void print_breakdown(const struct mode_figures *f, size_t n)
{
	printf("\nper case, median s: %-9s %9s %9s %9s %9s %9s %9s\n", "mode", "ready", "deliver",
	       "observe", "probe", "verdict", "release");
	for (size_t i = 0; i < n; i++) {
		printf("                    %-9s", fleet_isolation_name(f[i].mode));
		print_part(median_part(&f[i].st, part_ready));
		print_part(median_part(&f[i].st, part_deliver));
		print_part(median_part(&f[i].st, part_observe));
		print_part(median_part(&f[i].st, part_probe));
		print_part(median_part(&f[i].st, part_verdict));
		print_part(median_part(&f[i].st, part_release));
		putchar('\n');
	}
	printf("ready: boot, restore or reset; deliver: the update in and the trigger run (the "
	       "agent's answer); observe: the window after it; probe: the sensor watch and "
	       "protection probe; release: the guest handed back\n");
}

static double per_min(const struct session_stats *st)
{
	return st->wall_ms ? (double)st->finished * 60000.0 / (double)st->wall_ms : 0;
}

/* Cases whose verdict and title both match the reference mode's, of those both finished. */
static void agreement(const struct session_stats *ref, const struct session_stats *st,
		      size_t *ret_same, size_t *ret_both)
{
	*ret_same = *ret_both = 0;
	/* cases are numbered alike in every mode; a mode may have run only the first ones */
	for (size_t i = 0; i < st->total && i < ref->total; i++) {
		const struct session_result *a = &ref->res[i], *b = &st->res[i];
		if (!a->done || !b->done)
			continue;
		(*ret_both)++;
		if (a->verdict == b->verdict && streq_ptr(a->title, b->title))
			(*ret_same)++;
	}
}

static int print_figures(const struct mode_figures *f, size_t n)
{
	int ret = CLI_EXIT_OK;

	printf("\n%-9s %6s %8s %10s %9s %7s %12s %16s %12s %10s\n", "mode", "cases", "wall_s",
	       "cases/min", "median_s", "p95_s", "first_verd_s", "rss_kb", "fds", "agree");
	for (size_t i = 0; i < n; i++) {
		const struct session_stats *st = &f[i].st;
		size_t same, both;
		char agree[32], rss[40], fds[24];

		agreement(&f[0].st, st, &same, &both);
		if (same != both)
			ret = CLI_EXIT_SHORT;
		snprintf(agree, sizeof(agree), "%zu/%zu", same, both);
		snprintf(rss, sizeof(rss), "%ld->%ld", f[i].rss_before_kb, f[i].rss_after_kb);
		snprintf(fds, sizeof(fds), "%d->%d", f[i].fds_before, f[i].fds_after);
		printf("%-9s %6zu %8.1f %10.1f %9.2f %7.2f %12.1f %16s %12s %10s\n",
		       fleet_isolation_name(f[i].mode), st->finished, (double)st->wall_ms / 1000.0,
		       per_min(st), percentile(st, 0.5), percentile(st, 0.95),
		       (double)st->first_verdict_ms / 1000.0, rss, fds, agree);
	}
	for (size_t i = 1; i < n; i++)
		if (per_min(&f[0].st) > 0)
			printf("%s: %.1fx the cases/min of %s\n", fleet_isolation_name(f[i].mode),
			       per_min(&f[i].st) / per_min(&f[0].st),
			       fleet_isolation_name(f[0].mode));
	printf("agreement is counted against %s: the same verdict and title per sensor and case\n",
	       fleet_isolation_name(f[0].mode));
	print_breakdown(f, n);
	return ret;
}

/* One mode's run, with the controller's memory and descriptors around it. Returns CLI_EXIT_OK or
 * the exit status to stop with (the run could not start, or it was interrupted). */
static int run_mode(struct session *s, const struct bench_opts *o, const char *base,
		    enum fleet_isolation mode, struct mode_figures *f)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s", base, fleet_isolation_name(mode));
	struct session_error err = {0};
	struct session_run_opts ro = {
	    .mode = mode,
	    .run_dir = dir,
	    .max_cases = mode == FLEET_BOOT ? o->boot_cases : 0,
	};
	int r;

	f->mode = mode;
	f->rss_before_kb = rss_kb();
	f->fds_before = open_fds();
	r = session_run(s, &ro, &f->st, &err);
	f->rss_after_kb = rss_kb();
	f->fds_after = open_fds();
	if (r < 0)
		return cli_session_failed(&err);
	fprintf(stderr, "%s: %zu cases in %.1f s\n", fleet_isolation_name(mode), f->st.finished,
		(double)f->st.wall_ms / 1000.0);
	if (f->st.interrupted)
		return cli_exit_interrupted(f->st.signal);
	return CLI_EXIT_OK;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o = {0};
	struct mode_figures figs[MAX_MODES] = {0};
	struct session_error err = {0};
	_cleanup_free_ char *base = NULL;
	_cleanup_(progress_freep) struct progress *meter = NULL;
	struct session *s = NULL;
	size_t done = 0;
	int r, ret = CLI_EXIT_OK;

	r = parse_opts(argc, argv, &o);
	if (r != 0)
		return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	meter = o.s.meter = progress_new(stderr, o.quiet);
	if (session_open(&o.s, &s, &err) < 0)
		return cli_session_failed(&err);
	if (o.out_dir) {
		base = xstrdup(o.out_dir);
	} else {
		_cleanup_free_ char *id = session_new_run_id(s);
		base = xasprintf("runs/bench-%s", id);
	}
	for (size_t i = 0; i < o.n_modes && ret == CLI_EXIT_OK; i++) {
		ret = run_mode(s, &o, base, o.modes[i], &figs[i]);
		/* an interrupted mode still has figures; one that could not start has none */
		if (ret == CLI_EXIT_OK || figs[i].st.interrupted)
			done++;
	}
	if (done > 0) {
		printf("bench of %s, runs in %s\n", scenario_name(session_scenario(s)), base);
		r = print_figures(figs, done);
		if (ret == CLI_EXIT_OK)
			ret = r;
	}
	for (size_t i = 0; i < o.n_modes; i++)
		session_stats_finish(&figs[i].st);
	session_close(s);
	return ret;
}
