/* cli-fuzz.c — `faultline fuzz SCENARIO --sensor S`: a coverage-guided campaign. The options,
 * the campaign (harness/engine/fuzz-campaign.h) and what it found. */
#include <getopt.h>
#include <unistd.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "fuzz-campaign.h"
#include "reports.h"
#include "session.h"
#include "util.h"
#include "ynode.h"

struct fuzz_opts {
	struct session_opts s;
	const char *sensor, *out_dir, *cmplog;
	uint64_t duration_ms, max_execs, seed;
	bool resume, quiet, no_coverage, has_seed, cmplog_emulator;
};

static int parse_opts(int argc, char **argv, struct fuzz_opts *o)
{
	static const struct option longopts[] = {CLI_SESSION_LONGOPTS,
						 {"sensor", required_argument, NULL, 'S'},
						 {"duration", required_argument, NULL, 'd'},
						 {"execs", required_argument, NULL, 'n'},
						 {"jobs", required_argument, NULL, 'j'},
						 {"seed", required_argument, NULL, 'e'},
						 {"output", required_argument, NULL, 'o'},
						 {"resume", required_argument, NULL, 'r'},
						 {"no-coverage", no_argument, NULL, 'N'},
						 {"cmplog", required_argument, NULL, 'C'},
						 {"quiet", no_argument, NULL, 'q'},
						 {"help", no_argument, NULL, 'h'},
						 {}};
	int c, r;
	char *end;

	o->duration_ms = 10 * 60 * 1000;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) >= 0) {
		if ((r = cli_session_option(c, optarg, &o->s)) != 0) {
			if (r < 0)
				return r;
			continue;
		}
		switch (c) {
		case 'S':
			o->sensor = optarg;
			break;
		case 'd':
			if (ynode_parse_duration_ms(optarg, &o->duration_ms) < 0) {
				cli_error(SESSION_FAULT_USAGE, "--duration takes 30s, 10m, 1h...");
				return -EINVAL;
			}
			break;
		case 'n':
		case 'e':
			errno = 0;
			uint64_t v = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg) {
				cli_error(SESSION_FAULT_USAGE, "--%s takes a number",
					  c == 'n' ? "execs" : "seed");
				return -EINVAL;
			}
			if (c == 'n')
				o->max_execs = v;
			else
				o->seed = v, o->has_seed = true;
			break;
		case 'o':
			o->out_dir = optarg;
			break;
		case 'r':
			o->out_dir = optarg;
			o->resume = true;
			break;
		case 'N':
			o->no_coverage = true;
			break;
		case 'C':
			/* the guest's emulator reads the operands (a program is ./emulator) */
			if (streq(optarg, "emulator")) {
				o->cmplog_emulator = true;
				o->cmplog = NULL;
				break;
			}
			if (access(optarg, X_OK) < 0) {
				cli_error(SESSION_FAULT_USAGE, "--cmplog %s: %s", optarg,
					  strerror(errno));
				return -EINVAL;
			}
			o->cmplog = optarg;
			o->cmplog_emulator = false;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			cli_help_print(stdout, "fuzz");
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		cli_error(SESSION_FAULT_USAGE,
			  "expected one SCENARIO.yaml (see faultline fuzz --help)");
		return -EINVAL;
	}
	o->s.scenario_path = argv[optind];
	o->s.progress = o->quiet ? NULL : stderr;
	if (!o->s.jobs)
		o->s.jobs = 1; /* not the fleet's size: one guest keeps the seed's campaign */
	return 0;
}

int cmd_fuzz(int argc, char **argv)
{
	struct fuzz_opts o = {0};
	struct session_error err = {0};
	struct session *s = NULL;
	struct fuzz_campaign *c = NULL;
	struct fuzz_campaign_figures f;
	_cleanup_free_ char *dir = NULL;
	int r, ret;

	r = parse_opts(argc, argv, &o);
	if (r != 0)
		return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	if (session_open(&o.s, &s, &err) < 0)
		return cli_session_failed(&err);
	if (!o.out_dir) {
		_cleanup_free_ char *id = session_new_run_id(s);
		dir = xasprintf("runs/fuzz-%s", id);
	}
	const struct fuzz_campaign_opts co = {
	    .sensor = o.sensor,
	    .dir = o.out_dir ? o.out_dir : dir,
	    .duration_ms = o.duration_ms,
	    .max_execs = o.max_execs,
	    .seed = o.seed,
	    .has_seed = o.has_seed,
	    .jobs = o.s.jobs,
	    .resume = o.resume,
	    .no_coverage = o.no_coverage,
	    .cmplog = o.cmplog,
	    .cmplog_emulator = o.cmplog_emulator,
	    .progress = o.quiet ? NULL : stderr,
	};
	if (fuzz_campaign_open(s, &co, &c, &err) < 0) {
		ret = cli_session_failed(&err);
		session_close(s);
		return ret;
	}
	r = fuzz_campaign_run(c, &err);
	fuzz_campaign_figures(c, &f);
	printf("campaign: %s: %llu execs, corpus %zu, coverage %zu blocks / %zu edges, %zu "
	       "signatures\n",
	       co.dir, (unsigned long long)f.execs, f.corpus, f.blocks, f.edges, f.n_signatures);
	for (size_t i = 0; i < f.n_signatures; i++)
		printf("  %s\n", f.signatures[i]);
	if (reports_write_defaults(co.dir) == 0)
		printf("report: %s/report.html, JUnit: %s/results.xml\n", co.dir, co.dir);
	printf("results: %s/results.jsonl\n", co.dir);
	ret = f.n_signatures ? CLI_EXIT_SHORT : CLI_EXIT_OK;
	if (r == -ECANCELED || vm_host_cancelled()) {
		fprintf(stderr, "faultline fuzz: interrupted; resume with --resume %s\n", co.dir);
		ret = cli_exit_interrupted(session_stop_signal());
	} else if (r < 0) {
		ret = cli_session_failed(&err);
	}
	fuzz_campaign_free(c);
	session_close(s);
	return ret;
}
