/* cli-replay.c — `faultline replay RUN_DIR/CASE --sensor NAME`: run one recorded case again, on
 * a fresh guest, with the exact bytes the run kept, and say whether the recorded verdict and
 * title came back. The case becomes a one-case scenario written into the replay's run
 * directory, so the replay is itself a complete run (records, console, report). */
#include <getopt.h>
#include <libgen.h>
#include <sys/stat.h>
#include <time.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "reports.h"
#include "rundir.h"
#include "session.h"
#include "util.h"

struct replay_opts {
	struct session_opts s;
	const char *sensor;
	const char *out_dir;
	const char *isolation;
};

static void help(void)
{
	cli_help_print(stdout, "replay");
}

static int parse_opts(int argc, char **argv, struct replay_opts *o, const char **ret_case)
{
	static const struct option longopts[] = {CLI_SESSION_LONGOPTS,
						 {"sensor", required_argument, NULL, 'S'},
						 {"output", required_argument, NULL, 'o'},
						 {"isolation", required_argument, NULL, 'i'},
						 {"help", no_argument, NULL, 'h'},
						 {}};
	int c, r;

	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) >= 0) {
		if ((r = cli_session_option(c, optarg, &o->s)) != 0) {
			if (r < 0)
				return r;
			continue;
		}
		switch (c) {
		case 'S':
			o->sensor = optarg;
			break;
		case 'o':
			o->out_dir = optarg;
			break;
		case 'i':
			if (!streq(optarg, "boot") && !streq(optarg, "snapshot")) {
				cli_error(SESSION_FAULT_USAGE,
					  "--isolation takes boot or snapshot");
				return -EINVAL;
			}
			o->isolation = optarg;
			break;
		case 'h':
			help();
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		cli_error(SESSION_FAULT_USAGE, "expected one RUN_DIR/CASE (see --help)");
		return -EINVAL;
	}
	*ret_case = argv[optind];
	return 0;
}

int cli_load_run(const char *run_dir, struct rundir **ret)
{
	int r = rundir_load(run_dir, ret);

	if (r == -EINVAL)
		cli_error(SESSION_FAULT_USAGE, "%s/run.json is not a JSON object", run_dir);
	else if (r < 0)
		cli_error(SESSION_FAULT_USAGE, "cannot read %s/results.jsonl: %s", run_dir,
			  strerror(-r));
	return r;
}

int cli_find_record(const struct rundir *run, const char *case_id, const char *sensor,
		    const struct record **ret)
{
	const struct record *found = NULL;

	for (size_t i = 0; i < run->n_records; i++) {
		const struct record *rec = &run->records[i];

		if (!streq(rec->case_id, case_id) || (sensor && !streq(rec->sensor, sensor)))
			continue;
		if (found) {
			cli_error(SESSION_FAULT_USAGE,
				  "%s ran on several sensors; say which with "
				  "--sensor",
				  case_id);
			return -EINVAL;
		}
		found = rec;
	}
	if (!found) {
		cli_error(SESSION_FAULT_USAGE, "%s/results.jsonl has no record of %s%s%s", run->dir,
			  case_id, sensor ? " on " : "", sensor ? sensor : "");
		return -ENOENT;
	}
	*ret = found;
	return 0;
}

/* A case that was followed across boots (persistence) is replayed the same way: its mechanism
 * with the defaults of scenarios/README.md, for as many crashed boots as made its loop. The
 * replay's seed is the recorded input itself, so remediation deletes rather than rolls back. */
static char *persistence_text(const struct record *rec)
{
	const struct record_reboot *b = &rec->reboot;
	const char *mech = b->mechanism ? b->mechanism : "none";
	size_t reboots = verdict_is(b->outcome, VERDICT_BOOT_LOOP) && b->n_boots ? b->n_boots : 3;

	if (!b->first_verdict)
		return xstrdup("");
	if (streq(mech, "remediation"))
		mech = "{mechanism: remediation, action: delete}";
	else if (!streq(mech, "counter") && !streq(mech, "manual"))
		mech = "none";
	return xasprintf("persistence: on\nboot_loop: {reboots: %zu}\nrecovery: %s\n",
			 reboots > 20 ? 20 : reboots, mech);
}

/* The one-case scenario. YAML double-quoted strings: the paths are escaped. */
static char *scenario_text(const char *case_id, const char *input, const struct record *rec)
{
	_cleanup_free_ char *q = NULL, *persist = persistence_text(rec);
	int v = verdict_from_name(rec->verdict);
	bool expect = v >= 0 && verdict_has(v, VERDICT_EXPECTABLE);
	size_t n = 0;

	q = xmalloc(2 * strlen(input) + 1);
	for (const char *p = input; *p; p++) {
		if (*p == '"' || *p == '\\')
			q[n++] = '\\';
		q[n++] = *p;
	}
	q[n] = 0;
	return xasprintf("name: replay\nseed: 1\nsensors: [%s]\nfleet: {size: 1}\n%s"
			 "cases:\n  - name: \"%s\"\n    content: \"%s\"\n%s%s%s",
			 rec->sensor, persist, case_id, q, expect ? "    expect: " : "",
			 expect ? rec->verdict : "", expect ? "\n" : "");
}

static int write_scenario(const char *out_dir, const char *text, char **ret_path)
{
	_cleanup_free_ char *path = xasprintf("%s/replay.yaml", out_dir);
	int r = mkdir_p(out_dir);

	if (r == 0)
		r = write_file_atomic(path, text, strlen(text));
	if (r < 0) {
		cli_error(SESSION_FAULT_HOST, "cannot write %s: %s", path, strerror(-r));
		return r;
	}
	*ret_path = TAKE_PTR(path);
	return 0;
}

static int replay(struct replay_opts *o, const char *run_dir, const char *case_id,
		  const struct record *rec, const char *out_dir)
{
	_cleanup_free_ char *input = xasprintf("%s/inputs/%s.bin", run_dir, case_id);
	_cleanup_free_ char *abs = realpath(input, NULL), *text = NULL, *yaml = NULL;
	struct session_stats st = {0};
	struct session_error err = {0};
	struct session *s = NULL;
	int ret;

	if (!abs) {
		cli_error(SESSION_FAULT_USAGE, "the run kept no input %s: %m", input);
		return CLI_EXIT_USAGE;
	}
	text = scenario_text(case_id, abs, rec);
	if (write_scenario(out_dir, text, &yaml) < 0)
		return CLI_EXIT_HOST;
	o->s.scenario_path = yaml;
	o->s.jobs = 1;
	o->s.progress = stderr;
	if (session_open(&o->s, &s, &err) < 0)
		return cli_session_failed(&err);
	struct session_run_opts ro = {
	    .mode = o->isolation && streq(o->isolation, "snapshot") ? FLEET_SNAPSHOT : FLEET_BOOT,
	    .run_dir = out_dir,
	};
	ret = session_run(s, &ro, &st, &err);
	if (ret < 0) {
		ret = cli_session_failed(&err);
	} else if (st.finished == 1) {
		const struct session_result *r = &st.res[0];
		bool same = streq(verdict_name(r->verdict), rec->verdict) &&
			    streq_ptr(r->title, rec->title);

		printf("recorded: %s%s%s\nreplayed: %s%s%s\n%s\n", rec->verdict,
		       rec->title ? " — " : "", rec->title ? rec->title : "",
		       verdict_name(r->verdict), r->note && *r->note ? " — " : "",
		       r->note ? r->note : "", same ? "reproduced" : "DID NOT REPRODUCE");
		printf("replay run: %s\n", out_dir);
		reports_write_defaults(out_dir);
		ret = same ? CLI_EXIT_OK : CLI_EXIT_SHORT;
	} else if (ret == 0) {
		/* no result: interrupted, or the fleet gave up on its host */
		ret = st.interrupted ? cli_exit_interrupted(st.signal) : CLI_EXIT_HOST;
	}
	session_stats_finish(&st);
	session_close(s);
	return ret;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o = {0};
	struct rundir *run = NULL;
	const struct record *rec;
	_cleanup_free_ char *copy1 = NULL, *copy2 = NULL, *out = NULL;
	const char *arg;
	int r;

	r = parse_opts(argc, argv, &o, &arg);
	if (r != 0)
		return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	copy1 = xstrdup(arg);
	copy2 = xstrdup(arg);
	const char *run_dir = dirname(copy1), *case_id = basename(copy2);
	if (cli_load_run(run_dir, &run) < 0)
		return CLI_EXIT_USAGE;
	if (cli_find_record(run, case_id, o.sensor, &rec) < 0) {
		rundir_free(run);
		return CLI_EXIT_USAGE;
	}
	if (o.out_dir) {
		out = xstrdup(o.out_dir);
	} else {
		char stamp[32];
		time_t t = time(NULL);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
		out = xasprintf("%s/replays/%s-%s-%s", run_dir, case_id, rec->sensor, stamp);
	}
	r = replay(&o, run_dir, case_id, rec, out);
	rundir_free(run);
	return r;
}
