/* cli-minimize.c — `faultline minimize RUN_DIR/CASE --sensor S`: does a recorded failure
 * reproduce on fresh guests and how often, what is the smallest change from the seed that still
 * gives its signature (each step checked on a real guest), and what that change means in the
 * format's terms. The shrinking is harness/minimize/shrink.c; the guests are
 * cli-minimize-guests.c; this file is the command: the case, the reproduction and what is
 * written into RUN_DIR/minimized/SENSOR/CASE/. */
#include <ftw.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <sys/stat.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli-minimize.h"
#include "cli.h"
#include "datadir.h"
#include "format.h"
#include "jsonx.h"
#include "minimized.h"
#include "reports.h"
#include "results.h"
#include "rundir.h"
#include "sensor.h"
#include "util.h"
#include "ynode.h"

static void help(void)
{
	cli_help_print(stdout, "minimize");
}

static int parse_number(const char *opt, const char *arg, long max, long *ret)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || v < 1 || v > max) {
		cli_error(SESSION_FAULT_USAGE, "%s takes a number from 1 to %ld", opt, max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int parse_opt(int c, const char *arg, struct minimize_opts *o)
{
	long v;

	switch (c) {
	case 'S':
		o->sensor = arg;
		return 0;
	case 'o':
		o->out_dir = arg;
		return 0;
	case 't':
		if (parse_number("--tries", arg, 100, &v) < 0)
			return -EINVAL;
		o->tries = (unsigned)v;
		return 0;
	case 'b':
		if (ynode_parse_duration_ms(arg, &o->budget_ms) < 0 || o->budget_ms == 0) {
			cli_error(SESSION_FAULT_USAGE,
				  "--budget takes a duration like 10m, 90s or 1h (at most a day)");
			return -EINVAL;
		}
		return 0;
	case 'h':
		help();
		return 1;
	default:
		return -EINVAL;
	}
}

static int parse_opts(int argc, char **argv, struct minimize_opts *o, const char **ret_case)
{
	static const struct option longopts[] = {CLI_SESSION_LONGOPTS,
						 {"jobs", required_argument, NULL, 'j'},
						 {"sensor", required_argument, NULL, 'S'},
						 {"output", required_argument, NULL, 'o'},
						 {"tries", required_argument, NULL, 't'},
						 {"budget", required_argument, NULL, 'b'},
						 {"help", no_argument, NULL, 'h'},
						 {}};
	int c, r;

	while ((c = getopt_long(argc, argv, "j:o:h", longopts, NULL)) >= 0) {
		if ((r = cli_session_option(c, optarg, &o->s)) != 0) {
			if (r < 0)
				return r;
			continue;
		}
		if ((r = parse_opt(c, optarg, o)) != 0)
			return r;
	}
	if (optind != argc - 1) {
		cli_error(SESSION_FAULT_USAGE, "expected one RUN_DIR/CASE (see --help)");
		return -EINVAL;
	}
	*ret_case = argv[optind];
	return 0;
}

/* ---- the case ---- */

struct mcase {
	struct rundir *run;
	const struct record *rec;
	char *run_dir, *case_id;
	uint8_t *data, *seed;
	size_t size, seed_size;
	struct format *format; /* the one the sensor reads; NULL when it names none */
	char *base_dir;	       /* the scenario's folder: where splice files are */
};

static void mcase_finish(struct mcase *c)
{
	rundir_free(c->run);
	free(c->run_dir);
	free(c->case_id);
	free(c->data);
	free(c->seed);
	format_free(c->format);
	free(c->base_dir);
}

/* The sensor must be one the run ran; say which it has. */
static int check_sensor(const struct rundir *run, const char *sensor)
{
	_cleanup_free_ char *list = xstrdup("");

	if (!sensor || run->n_sensors == 0)
		return 0;
	for (size_t i = 0; i < run->n_sensors; i++) {
		char *t;
		if (streq(run->sensors[i], sensor))
			return 0;
		t = xasprintf("%s%s%s", list, i ? ", " : "", run->sensors[i]);
		free(list);
		list = t;
	}
	cli_error(SESSION_FAULT_USAGE, "sensor %s is not in the run %s (it ran: %s)", sensor,
		  run->dir, list);
	return -ENOENT;
}

static bool minimizable(enum verdict v)
{
	return verdict_has(v, VERDICT_FAILURE) || v == VERDICT_SENSOR_DIED;
}

/* The kept input (it must still be what the record says) and the seed it was made from. */
static int load_bytes(struct mcase *c)
{
	const struct record *rec = c->rec;
	_cleanup_free_ char *input =
	    xasprintf("%s/%s", c->run_dir, rec->input ? rec->input : "inputs/unknown.bin");
	char sha[65];
	int r;

	if ((r = read_file(input, 64u << 20, &c->data, &c->size)) < 0) {
		cli_error(SESSION_FAULT_USAGE, "the run kept no input %s: %s", input, strerror(-r));
		return r;
	}
	sha256_hex(c->data, c->size, sha);
	if (rec->input_sha256 && !streq(sha, rec->input_sha256)) {
		cli_error(SESSION_FAULT_USAGE,
			  "%s is not the input the run recorded (SHA-256 %s, not %s)", input, sha,
			  rec->input_sha256);
		return -EINVAL;
	}
	if (!rec->seed_file) {
		cli_error(SESSION_FAULT_USAGE,
			  "the record of %s names no seed file to shrink towards", c->case_id);
		return -EINVAL;
	}
	if ((r = read_file(rec->seed_file, 64u << 20, &c->seed, &c->seed_size)) < 0) {
		cli_error(SESSION_FAULT_USAGE,
			  "cannot read the seed %s the case was made from: %s (a run's paths are "
			  "relative to the folder it was started in)",
			  rec->seed_file, strerror(-r));
		return r;
	}
	return 0;
}

/* The format the sensor reads, for the fields stage and the explanation. */
static int load_format(struct mcase *c)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s", datadir_sensors(), c->rec->sensor);
	_cleanup_free_ char *err = NULL, *path = NULL;
	struct sensor *sensor = NULL;
	struct diags d = {0};
	int r;

	if ((r = sensor_load(dir, &sensor, &err)) < 0) {
		cli_error(SESSION_FAULT_SENSOR, "%s", err ? err : strerror(-r));
		return r;
	}
	if (sensor->format) {
		path = xasprintf("%s/%s.yaml", datadir_formats(), sensor->format);
		if ((r = format_load(path, &d, &c->format)) < 0)
			cli_error_diags(SESSION_FAULT_SENSOR, &d);
	}
	diags_finish(&d);
	sensor_free(sensor);
	return r < 0 ? r : 0;
}

static int load_case(const struct minimize_opts *o, const char *arg, struct mcase *c)
{
	_cleanup_free_ char *copy1 = xstrdup(arg), *copy2 = xstrdup(arg);
	struct stat sb;
	int r;

	*c =
	    (struct mcase){.run_dir = xstrdup(dirname(copy1)), .case_id = xstrdup(basename(copy2))};
	if (stat(c->run_dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		cli_error(SESSION_FAULT_USAGE, "no run directory %s (expected RUN_DIR/CASE)",
			  c->run_dir);
		return -ENOENT;
	}
	if ((r = cli_load_run(c->run_dir, &c->run)) < 0 ||
	    (r = check_sensor(c->run, o->sensor)) < 0 ||
	    (r = cli_find_record(c->run, c->case_id, o->sensor, &c->rec)) < 0)
		return r;
	if (!minimizable(c->rec->kind)) {
		cli_error(SESSION_FAULT_USAGE,
			  "%s on %s was %s, not a failure: minimize takes a case whose verdict was "
			  "%s, %s, %s or %s",
			  c->case_id, c->rec->sensor, c->rec->verdict, verdict_name(VERDICT_CRASH),
			  verdict_name(VERDICT_HANG), verdict_name(VERDICT_SENSOR_DIED),
			  verdict_name(VERDICT_BOOT_LOOP));
		return -EINVAL;
	}
	if ((r = load_bytes(c)) < 0)
		return r;
	if (c->run->scenario_path) {
		_cleanup_free_ char *copy3 = xstrdup(c->run->scenario_path);
		c->base_dir = xstrdup(dirname(copy3));
	}
	return load_format(c);
}

/* ---- reproducing ---- */

static void count_seen(struct minimized *sum, const struct session_result *r)
{
	const char *v = verdict_name(r->verdict);

	for (size_t i = 0; i < sum->n_seen; i++)
		if (streq(sum->seen[i].verdict, v) && streq_ptr(sum->seen[i].title, r->title)) {
			sum->seen[i].count++;
			return;
		}
	sum->seen = xreallocarray(sum->seen, sum->n_seen + 1, sizeof(*sum->seen));
	sum->seen[sum->n_seen++] = (struct minimized_seen){
	    .verdict = xstrdup(v), .title = r->title ? xstrdup(r->title) : NULL, .count = 1};
}

/* The recorded input o->tries times and the seed once, side by side. *ret_infra: why the first
 * run that the harness could not run failed (caller frees), or NULL. */
static int reproduce(struct mini *m, const struct mcase *c, struct minimized *sum,
		     struct shrink_answer *ret_seed, char **ret_infra)
{
	size_t n = m->o->tries + 1;
	const struct session_result *seed;
	struct mini_batch b;
	int r;

	mini_batch_init(&b, n);
	for (size_t i = 0; i < n; i++) {
		bool is_seed = i == n - 1;
		b.names[i] = is_seed ? xstrdup("seed") : xasprintf("repro-%zu", i + 1);
		b.data[i] = is_seed ? c->seed : c->data;
		b.sizes[i] = is_seed ? c->seed_size : c->size;
	}
	mini_say(m, "reproducing %s on %s: %u runs of the recorded input and one of the seed",
		 c->case_id, m->sensor, m->o->tries);
	r = mini_run_batch(m, &b);
	sum->tries = m->o->tries;
	for (size_t i = 0; i + 1 < n; i++) {
		if (!b.res[i].done)
			continue;
		count_seen(sum, &b.res[i]);
		sum->reproduced += mini_same(m, &b.res[i]);
		if (b.res[i].verdict == VERDICT_INFRA_ERROR && !*ret_infra)
			*ret_infra = xstrdup(b.res[i].note ? b.res[i].note : "");
	}
	seed = &b.res[n - 1];
	*ret_seed = (struct shrink_answer){
	    .done = seed->done,
	    .same = mini_same(m, seed),
	    .verdict = seed->done ? xstrdup(verdict_name(seed->verdict)) : NULL,
	    .title = seed->title ? xstrdup(seed->title) : NULL,
	    .where = b.rel ? xasprintf("%s/seed", b.rel) : NULL};
	mini_batch_finish(&b);
	return r;
}

/* Runs that gave the sensor's answer: not an infra error, and finished. */
static size_t verdict_runs(const struct minimized *sum)
{
	size_t n = 0;

	for (size_t i = 0; i < sum->n_seen; i++)
		if (!streq(sum->seen[i].verdict, verdict_name(VERDICT_INFRA_ERROR)))
			n += sum->seen[i].count;
	return n;
}

/* ---- what is written ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static const char *how_name(enum shrink_how h)
{
	return h == SHRINK_RAN ? "ran" : h == SHRINK_CACHED ? "earlier-step" : "not-run";
}

static json_object *steps_json(const struct shrink_result *res)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < res->n_steps; i++) {
		const struct shrink_step *st = &res->steps[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "step", json_object_new_int64((int64_t)st->n));
		json_object_object_add(o, "stage", json_object_new_string(st->stage));
		json_object_object_add(o, "what", json_object_new_string(st->what));
		json_object_object_add(o, "sha256",
				       jsonx_str_or_null(st->sha256[0] ? st->sha256 : NULL));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)st->size));
		json_object_object_add(o, "how", json_object_new_string(how_name(st->how)));
		json_object_object_add(
		    o, "same_as",
		    st->how == SHRINK_CACHED ? json_object_new_int64((int64_t)st->same_as) : NULL);
		json_object_object_add(o, "verdict", jsonx_str_or_null(st->verdict));
		json_object_object_add(o, "title", jsonx_str_or_null(st->title));
		json_object_object_add(o, "same_signature", json_object_new_boolean(st->same));
		json_object_object_add(o, "kept", json_object_new_boolean(st->kept));
		json_object_object_add(o, "run", jsonx_str_or_null(st->where));
		json_object_object_add(o, "note", jsonx_str_or_null(st->note));
		json_object_array_add(a, o);
	}
	return a;
}

static int write_json(const char *path, json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE);
	_cleanup_free_ char *t = xasprintf("%s\n", text);

	return write_file_atomic(path, t, strlen(t));
}

static int write_text(const char *path, char *const *lines, size_t n)
{
	_cleanup_free_ char *t = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char *u = xasprintf("%s%s\n", t, lines[i]);
		free(t);
		t = u;
	}
	return write_file_atomic(path, t, strlen(t));
}

/* minimal.bin, its SHA-256, explanation.txt, steps.json, and minimize.json last. */
static int write_outputs(const struct mini *m, const struct shrink_result *res,
			 struct minimized *sum)
{
	_cleanup_free_ char *bin = xasprintf("%s/minimal.bin", m->out);
	_cleanup_free_ char *sha = xasprintf("%s/minimal.bin.sha256", m->out);
	_cleanup_free_ char *expl = xasprintf("%s/explanation.txt", m->out);
	_cleanup_free_ char *steps = xasprintf("%s/steps.json", m->out);
	_cleanup_free_ char *summary = xasprintf("%s/minimize.json", m->out);
	int r = mkdir_p(m->out);

	sum->guest_runs = m->guest_runs;
	sum->wall_ms = (int64_t)(now_ms() - m->start_ms);
	if (r == 0 && res) {
		_cleanup_free_ char *line = xasprintf("%s  minimal.bin\n", res->sha256);
		json_object *a = steps_json(res);

		r = write_file_atomic(bin, res->data, res->size);
		if (r == 0)
			r = write_file_atomic(sha, line, strlen(line));
		if (r == 0)
			r = write_text(expl, sum->explanation, sum->n_explanation);
		if (r == 0)
			r = write_json(steps, a);
		json_object_put(a);
	}
	if (r == 0) {
		json_object *o = minimized_to_json(sum);
		r = write_json(summary, o);
		json_object_put(o);
	}
	if (r < 0)
		cli_error(SESSION_FAULT_HOST, "cannot write into %s: %s", m->out, strerror(-r));
	return r;
}

/* The command pasted into a shell: every name in it quoted. */
static char *replay_line(const char *dir, const char *case_dir, const char *sensor)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, case_dir);
	_cleanup_free_ char *qpath = shell_quote(path), *qsensor = shell_quote(sensor);

	return xasprintf("faultline replay %s --sensor %s", qpath, qsensor);
}

/* The command that replays the minimal input: the step that ran it is a run directory's case;
 * the recorded input replays from the run itself. */
static char *replay_command(const struct mini *m, const struct mcase *c,
			    const struct shrink_result *res)
{
	if (streq(res->sha256, c->rec->input_sha256 ? c->rec->input_sha256 : ""))
		return replay_line(c->run_dir, c->case_id, m->sensor);
	for (size_t i = 0; i < res->n_steps; i++) {
		const struct shrink_step *st = &res->steps[i];
		if (st->how == SHRINK_RAN && st->where && streq(st->sha256, res->sha256))
			return replay_line(m->out, st->where, m->sensor);
	}
	return NULL;
}

/* The summary from the shrinker's result. */
static void summarize(const struct mini *m, const struct mcase *c, struct shrink_result *res,
		      struct minimized *sum)
{
	sum->minimal = xstrdup("minimal.bin");
	sum->minimal_sha256 = xstrdup(res->sha256);
	sum->minimal_size = (int64_t)res->size;
	sum->explanation = TAKE_PTR(res->explanation);
	sum->n_explanation = res->n_explanation;
	res->n_explanation = 0;
	sum->notes = TAKE_PTR(res->notes);
	sum->n_notes = res->n_notes;
	res->n_notes = 0;
	sum->replay = replay_command(m, c, res);
	sum->status = xstrdup(!res->stopped	? "minimized"
			      : m->budget_spent ? "budget"
						: "interrupted");
}

static void print_result(const struct mini *m, const struct mcase *c,
			 const struct shrink_result *res, const struct minimized *sum)
{
	size_t cached = 0;

	for (size_t i = 0; i < res->n_steps; i++)
		cached += res->steps[i].how == SHRINK_CACHED;
	printf("minimal input: %zu bytes (the case had %zu), sha256 %s\n", res->size, c->size,
	       res->sha256);
	printf("what it changes from the seed%s:\n",
	       res->seed_fails ? " (the seed fails too)" : "");
	for (size_t i = 0; i < sum->n_explanation; i++)
		printf("  %s\n", sum->explanation[i]);
	for (size_t i = 0; i < sum->n_notes; i++)
		printf("note: %s\n", sum->notes[i]);
	printf("steps: %zu (%zu answered by an earlier step); guest runs: %zu in %.1f s\n",
	       res->n_steps, cached, m->guest_runs, (double)(now_ms() - m->start_ms) / 1000.0);
	if (res->stopped)
		printf("%s: kept the best input found so far; it may not be minimal\n",
		       m->budget_spent ? "the time budget ran out" : "interrupted");
	printf("written to: %s\n", m->out);
	if (sum->replay)
		printf("replay: %s\n", sum->replay);
}

/* ---- the command ---- */

static void summary_init(struct minimized *sum, const struct mcase *c)
{
	char ts[32];

	minimized_init(sum);
	results_timestamp(ts);
	sum->sensor = xstrdup(c->rec->sensor);
	sum->case_id = xstrdup(c->case_id);
	sum->verdict = xstrdup(c->rec->verdict);
	sum->title = c->rec->title ? xstrdup(c->rec->title) : NULL;
	sum->input_sha256 = c->rec->input_sha256 ? xstrdup(c->rec->input_sha256) : NULL;
	sum->input_size = (int64_t)c->size;
	sum->started = xstrdup(ts);
}

static int exit_stopped(const struct mini *m)
{
	return cli_exit_interrupted(m->signal);
}

static void progress_line(void *userdata, const char *line)
{
	mini_say(userdata, "%s", line);
}

/* Shrink on guests, the seed's answer taken from the reproduction. */
static int shrink(struct mini *m, const struct mcase *c, const struct shrink_answer *seed,
		  struct shrink_result *ret)
{
	struct shrink_config cfg = {.format = c->format,
				    .seed = c->seed,
				    .seed_size = c->seed_size,
				    .mutations_json = c->rec->mutations,
				    .base_dir = c->base_dir,
				    .data = c->data,
				    .size = c->size,
				    .oracle = mini_oracle,
				    .userdata = m,
				    /* each batch boots a guest to restore from: make it worth it */
				    .batch_max = 4 * m->slots,
				    .seed_answer = seed,
				    .progress = progress_line};

	return shrink_run(&cfg, ret);
}

/* Reproduce, shrink, write. Returns the exit status. */
static int minimize(struct mini *m, const struct mcase *c, struct minimized *sum)
{
	struct shrink_answer seed = {0};
	struct shrink_result res = {0};
	_cleanup_free_ char *infra = NULL;
	int r, ret;

	r = reproduce(m, c, sum, &seed, &infra);
	if (r == -ECANCELED) {
		mini_say(m, "%s before the case was reproduced; nothing written",
			 m->budget_spent ? "the time budget ran out" : "interrupted");
		ret = m->budget_spent ? CLI_EXIT_SHORT : exit_stopped(m);
		goto out;
	}
	if (r < 0) {
		ret = cli_session_failed(&m->err);
		goto out;
	}
	printf("reproduced: %zu/%zu on fresh guests (%s%s%s)\n", sum->reproduced, sum->tries,
	       c->rec->verdict, c->rec->title ? " - " : "", c->rec->title ? c->rec->title : "");
	for (size_t i = 0; i < sum->n_seen; i++)
		printf("  seen %zu x: %s%s%s\n", sum->seen[i].count, sum->seen[i].verdict,
		       sum->seen[i].title ? " - " : "",
		       sum->seen[i].title ? sum->seen[i].title : "");
	if (sum->reproduced == 0 && infra && verdict_runs(sum) == 0) {
		/* an infra error is never the sensor's answer: nothing was learned */
		cli_error(SESSION_FAULT_HOST, "the harness could not run %s on a guest: %s",
			  c->case_id, infra);
		ret = CLI_EXIT_HOST;
		goto out;
	}
	if (sum->reproduced == 0) {
		printf("did not reproduce: nothing to shrink\n");
		sum->status = xstrdup("not-reproduced");
		write_outputs(m, NULL, sum);
		ret = CLI_EXIT_SHORT;
		goto out;
	}
	r = shrink(m, c, &seed, &res);
	if (r < 0) {
		ret = m->failed ? cli_session_failed(&m->err) : CLI_EXIT_HOST;
		goto out;
	}
	summarize(m, c, &res, sum);
	if (write_outputs(m, &res, sum) < 0) {
		ret = CLI_EXIT_HOST;
		goto out;
	}
	print_result(m, c, &res, sum);
	/* the run's report shows what the run directory holds */
	if (!m->o->out_dir && reports_write_defaults(c->run_dir) == 0)
		printf("report: %s/report.html\n", c->run_dir);
	ret = res.stopped && !m->budget_spent ? exit_stopped(m) : CLI_EXIT_OK;
out:
	free(seed.verdict);
	free(seed.title);
	free(seed.where);
	shrink_result_finish(&res);
	return ret;
}

int cmd_minimize(int argc, char **argv)
{
	struct minimize_opts o = {.budget_ms = 10 * 60 * 1000, .tries = 3};
	struct mcase c = {0};
	struct minimized sum;
	_cleanup_free_ char *out = NULL, *runs = NULL;
	const char *arg;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	r = parse_opts(argc, argv, &o, &arg);
	if (r != 0)
		return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (load_case(&o, arg, &c) < 0) {
		mcase_finish(&c);
		return CLI_EXIT_USAGE;
	}
	out = o.out_dir ? xstrdup(o.out_dir)
			: xasprintf("%s/minimized/%s/%s", c.run_dir, c.rec->sensor, c.case_id);
	/* an earlier minimization's guest runs would mix with this one's */
	runs = xasprintf("%s/runs", out);
	nftw(runs, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	struct mini m = {.o = &o,
			 .rec = c.rec,
			 .sensor = c.rec->sensor,
			 .out = out,
			 .slots = o.s.jobs    ? o.s.jobs
				  : cores > 0 ? (unsigned)cores
					      : 1,
			 .start_ms = now_ms()};
	summary_init(&sum, &c);
	mini_budget_start(&m);
	r = minimize(&m, &c, &sum);
	mini_budget_stop(&m);
	minimized_finish(&sum);
	session_error_finish(&m.err);
	mcase_finish(&c);
	return r;
}
