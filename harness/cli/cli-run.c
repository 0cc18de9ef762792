/* cli-run.c — `faultline run SCENARIO`: validate, expand, build images, run the fleet, record
 * every verdict, print the table and write the reports; exit with enum cli_exit. */
#include <getopt.h>
#include <signal.h>
#include <time.h>

#include "cli-db.h"
#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "db-import.h"
#include "db.h"
#include "reports.h"
#include "results.h"
#include "session.h"
#include "util.h"

struct run_opts {
	struct session_opts s;
	const char *out_dir;
	const char *isolation;
	const char *db; /* --db */
	bool list, resume, quiet;
};

static void help(void)
{
	cli_help_print(stdout, "run");
}

int cli_sensors_dir_add(const char *dir, const char *const **dirs)
{
	static const char *v[CLI_SENSORS_DIRS_MAX + 1];
	static size_t n;

	if (n == CLI_SENSORS_DIRS_MAX) {
		cli_error(SESSION_FAULT_USAGE, "--sensors-dir given more than %d times",
			  CLI_SENSORS_DIRS_MAX);
		return -E2BIG;
	}
	v[n++] = dir;
	*dirs = v;
	return 0;
}

int cli_uri_add(const char *uri, const char *const **uris)
{
	static const char *v[CLI_URIS_MAX + 1];
	static size_t n;

	if (n == CLI_URIS_MAX) {
		cli_error(SESSION_FAULT_USAGE, "--uri given more than %d times", CLI_URIS_MAX);
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++)
		if (streq(v[i], uri)) {
			cli_error(SESSION_FAULT_USAGE, "--uri %s given twice", uri);
			return -EINVAL;
		}
	v[n++] = uri;
	*uris = v;
	return 0;
}

/* Options shared with bench: --uri, --accel, --jobs, --state-dir. Returns 1 when taken. */
int cli_session_option(int c, const char *arg, struct session_opts *o)
{
	char *end;
	long v;

	switch (c) {
	case CLI_OPT_SENSORS_DIR:
		return cli_sensors_dir_add(arg, &o->sensors_dirs) < 0 ? -E2BIG : 1;
	case 'u':
		return cli_uri_add(arg, &o->uris) < 0 ? -E2BIG : 1;
	case 's':
		o->state_dir = arg;
		return 1;
	case 'a':
		if (!streq(arg, "auto") && !streq(arg, "tcg") && !streq(arg, "kvm")) {
			cli_error(SESSION_FAULT_USAGE, "--accel takes auto, tcg or kvm");
			return -EINVAL;
		}
		o->accel = arg;
		return 1;
	case 'j':
		v = strtol(arg, &end, 10);
		if (*end || v < 1 || v > 256) {
			cli_error(SESSION_FAULT_USAGE, "--jobs takes a number from 1 to 256");
			return -EINVAL;
		}
		o->jobs = (unsigned)v;
		return 1;
	case CLI_OPT_PROBE_EVERY:
		v = strtol(arg, &end, 10);
		if (!*arg || *end || v < 1 || v > 1000) {
			cli_error(SESSION_FAULT_USAGE,
				  "--probe-every takes a number from 1 to 1000");
			return -EINVAL;
		}
		o->probe_every = (unsigned)v;
		return 1;
	}
	return 0;
}

int cli_scenario_arg(int argc, char **argv, const char *cmd, bool quiet, struct session_opts *o)
{
	if (optind != argc - 1) {
		cli_error(SESSION_FAULT_USAGE,
			  "expected one SCENARIO.yaml (see faultline %s --help)", cmd);
		return -EINVAL;
	}
	o->scenario_path = argv[optind];
	o->progress = quiet ? NULL : stderr;
	return 0;
}

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
	    CLI_SESSION_LONGOPTS,
	    {"jobs", required_argument, NULL, 'j'},
	    {"output", required_argument, NULL, 'o'},
	    {"list", no_argument, NULL, 'l'},
	    {"isolation", required_argument, NULL, 'i'},
	    {"probe-every", required_argument, NULL, CLI_OPT_PROBE_EVERY},
	    {"resume", required_argument, NULL, 'r'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"shard", required_argument, NULL, 'S'},
	    {"db", required_argument, NULL, CLI_OPT_DB},
	    {"help", no_argument, NULL, 'h'},
	    {}};
	int c, r;

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
		case 'l':
			o->list = true;
			break;
		case 'r':
			o->out_dir = optarg;
			o->resume = true;
			break;
		case 'i':
			if (fleet_isolation_from_name(optarg) < 0) {
				cli_error(SESSION_FAULT_USAGE,
					  "--isolation takes boot, snapshot, reuse or warm");
				return -EINVAL;
			}
			o->isolation = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'S': {
			_cleanup_free_ char *err = NULL;
			if (shard_parse(optarg, &o->s.shard, &err) < 0) {
				cli_error(SESSION_FAULT_USAGE, "--shard '%s': %s", optarg, err);
				return -EINVAL;
			}
			break;
		}
		case CLI_OPT_DB:
			o->db = optarg;
			break;
		case 'h':
			help();
			return 1;
		default:
			return -EINVAL;
		}
	}
	o->s.no_guests = o->list;
	return cli_scenario_arg(argc, argv, "run", o->quiet, &o->s);
}

/* Every case with a job in the run (with --shard, only its jobs' sensors after it). */
static void list_cases(struct session *s, const struct shard_spec *shard)
{
	const struct scenario *sc = session_scenario(s);
	size_t n, listed = 0;
	const struct scenario_case *cases = session_cases(s, &n);

	printf("%-32s %-8s %-64s %s\n", "CASE", "BYTES", "SHA-256", "EXPECT");
	for (size_t i = 0; i < n; i++) {
		char sha[65];
		bool any = false;
		for (size_t j = 0; j < scenario_n_sensors(sc); j++)
			any = any || session_job_selected(s, i, j);
		if (!any)
			continue;
		listed++;
		sha256_hex(cases[i].data, cases[i].size, sha);
		printf("%-32s %-8zu %s", cases[i].id, cases[i].size, sha);
		for (size_t j = 0; j < scenario_n_sensors(sc); j++) {
			const char *e = scenario_case_expect(&cases[i], scenario_sensor(sc, j));
			if (session_job_selected(s, i, j))
				printf(" %s=%s", scenario_sensor(sc, j), e ? e : "-");
		}
		printf("\n    mutations: %s\n", cases[i].mutations_json);
	}
	if (shard->n)
		printf("shard %u/%u: %zu of %zu jobs (sensor x case), in %zu of %zu cases\n",
		       shard->k, shard->n, session_n_selected(s), n * scenario_n_sensors(sc),
		       listed, n);
	else
		printf("%zu cases x %zu sensors\n", n, scenario_n_sensors(sc));
}

/* The verdict table; returns 1 when a case fell short of its expectation or did not run. */
static int print_table(struct session *s, const struct session_stats *st)
{
	size_t ns = session_n_sensors(s), n;
	const struct scenario_case *cases = session_cases(s, &n);
	int status = CLI_EXIT_OK;

	printf("%-20s %-28s %-12s %-10s %s\n", "SENSOR", "CASE", "VERDICT", "EXPECTED",
	       "TITLE / DETAIL");
	for (size_t si = 0; si < ns; si++)
		for (size_t ci = 0; ci < n; ci++) {
			const struct session_result *r = &st->res[ci * ns + si];
			if (r->other_shard)
				continue;
			const char *expect =
			    scenario_case_expect(&cases[ci], session_sensor_name(s, si));
			const char *v = r->done ? verdict_name(r->verdict) : "not-run";
			bool ok = r->done && (!expect || streq(expect, v));

			if (!ok)
				status = CLI_EXIT_SHORT;
			printf("%-20s %-28s %-12s %-10s %s%s\n", session_sensor_name(s, si),
			       cases[ci].id, v, expect ? expect : "-",
			       ok || !r->done ? "" : "MISMATCH ", r->note ? r->note : "");
		}
	return status;
}

/* "faultline run ARG...", each argument as one shell word: run.json's argv, with a database
 * password left out. */
static char *command_line(int argc, char **argv)
{
	char *s = xstrdup("faultline");

	for (int i = 0; i < argc; i++) {
		_cleanup_free_ char *arg = db_url_redact(argv[i]);
		_cleanup_free_ char *q = shell_quote(arg), *old = s;
		s = xasprintf("%s %s", old, q);
	}
	return s;
}

/* What the database did not get: the run directory has it, and db import adds it. */
static int finish_db(const char *dir, struct db_writer *db, int ret)
{
	_cleanup_free_ char *q = shell_quote(dir), *url = NULL;
	const char *why;
	size_t missed;

	if (!db)
		return ret;
	missed = db_writer_missed(db, &why);
	if (!missed && !why) {
		printf("database: %zu records written to %s\n", db_writer_written(db),
		       db_writer_url(db));
		return ret;
	}
	url = shell_quote(db_writer_url(db));
	if (!missed) {
		cli_db_error("%s: every record written, but not the run's end (%s): bring it up to "
			     "date with 'faultline db import --db %s %s'",
			     db_writer_url(db), why, url, q);
		return ret == CLI_EXIT_OK ? CLI_EXIT_HOST : ret;
	}
	cli_db_error("%s missed %zu of %zu records (%s); every record is in %s/results.jsonl: add "
		     "them with 'faultline db import --db %s %s'",
		     db_writer_url(db), missed, missed + db_writer_written(db),
		     why ? why : "no error", dir, url, q);
	return ret == CLI_EXIT_OK ? CLI_EXIT_HOST : ret;
}

/* After the run: the reports, where everything is, and the exit status (ret: the table's). */
static int finish_run(const char *dir, const struct session_stats *st, int ret)
{
	int r = reports_write_defaults(dir);

	if (r < 0)
		cli_error(SESSION_FAULT_HOST, "cannot write the reports into %s: %s", dir,
			  strerror(-r));
	else
		printf("report: %s/report.html, JUnit: %s/results.xml\n", dir, dir);
	printf("results: %s/results.jsonl\n", dir);
	if (st->record_error) {
		cli_error(SESSION_FAULT_HOST, "could not record a result: %s",
			  strerror(-st->record_error));
		ret = CLI_EXIT_HOST;
	}
	if (st->interrupted) {
		fprintf(stderr, "faultline run: interrupted; %zu of %zu results recorded in %s\n",
			st->finished, st->selected, dir);
		ret = cli_exit_interrupted(st->signal);
	}
	return ret;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {0};
	struct session_error err = {0};
	struct session_stats st = {0};
	struct session *s = NULL;
	struct db_writer *db = NULL;
	_cleanup_(progress_freep) struct progress *meter = NULL;
	_cleanup_free_ char *run_id = NULL, *run_dir = NULL, *cmdline = command_line(argc, argv);
	int r, ret;

	r = parse_opts(argc, argv, &o);
	if (r != 0)
		return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	/* appending a second run to a first would mix them (and follow a torn last line) */
	if (o.out_dir && !o.resume && !o.list && results_exists(o.out_dir)) {
		cli_error(SESSION_FAULT_USAGE,
			  "%s already holds a run: continue it with --resume %s, or choose another "
			  "-o",
			  o.out_dir, o.out_dir);
		return CLI_EXIT_USAGE;
	}
	/* the database before any guest boots: unreachable, nothing has run */
	if (!o.list && cli_db_url(o.db, false)) {
		_cleanup_free_ char *why = NULL;
		if (db_writer_open(cli_db_url(o.db, false), &db, &why) < 0) {
			cli_db_error("%s", why);
			return CLI_EXIT_USAGE;
		}
	}
	meter = o.s.meter = progress_new(stderr, o.quiet);
	if (session_open(&o.s, &s, &err) < 0) {
		db_writer_close(db);
		return cli_session_failed(&err);
	}
	if (o.list) {
		list_cases(s, &o.s.shard);
		session_close(s);
		return CLI_EXIT_OK;
	}
	if (!o.out_dir) {
		run_id = session_new_run_id(s);
		run_dir = xasprintf("runs/%s", run_id);
	}
	const char *mode = o.isolation ? o.isolation : session_isolation(s);
	const char *dir = o.out_dir ? o.out_dir : run_dir;
	struct session_run_opts ro = {
	    .mode = (enum fleet_isolation)fleet_isolation_from_name(mode),
	    .run_dir = dir,
	    .run_id = run_id,
	    .resume = o.resume,
	    .db = db,
	    .command_line = cmdline,
	};
	if (session_run(s, &ro, &st, &err) < 0)
		ret = cli_session_failed(&err);
	else
		ret = finish_db(dir, db, finish_run(dir, &st, print_table(s, &st)));
	session_stats_finish(&st);
	session_close(s);
	db_writer_close(db);
	return ret;
}
