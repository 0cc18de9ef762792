/* cli-rollout.c — `faultline rollout SCENARIO`: the options, the deployment
 * (harness/engine/deployment.h: the update to a fleet drawn from the scenario's profiles, all at
 * once and then ring by ring with gates, every machine a real guest), the table and the reports.
 * Exit statuses: enum cli_exit; usage or input errors stop before anything is booted. */
#include <getopt.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "deployment.h"
#include "rollspec.h"
#include "session.h"
#include "util.h"

struct rollout_opts {
	struct session_opts s;
	const char *out_dir;
	unsigned fleet; /* --fleet: overrides the spec's */
	bool quiet, rings_only;
};

static void help(void)
{
	cli_help_print(stdout, "rollout");
}

static int parse_fleet(const char *arg, unsigned *ret)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || v < 1 || v > (long)ROLLSPEC_MAX_FLEET) {
		cli_error(SESSION_FAULT_USAGE, "--fleet takes a number from 1 to %u",
			  ROLLSPEC_MAX_FLEET);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct rollout_opts *o)
{
	static const struct option longopts[] = {CLI_SESSION_LONGOPTS,
						 {"jobs", required_argument, NULL, 'j'},
						 {"output", required_argument, NULL, 'o'},
						 {"fleet", required_argument, NULL, 'f'},
						 {"rings-only", no_argument, NULL, 'R'},
						 {"quiet", no_argument, NULL, 'q'},
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
		case 'f':
			if (parse_fleet(optarg, &o->fleet) < 0)
				return -EINVAL;
			break;
		case 'R':
			o->rings_only = true;
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
	return cli_scenario_arg(argc, argv, "rollout", o->quiet, &o->s);
}

/* ---- the table ---- */

static void print_row(int width, const char *strategy, const char *ring,
		      const struct rollout_tally *t, size_t n, const char *gate)
{
	printf("%-*s %-10s %8zu %8zu %6zu %6zu %6zu %6zu %6zu %6zu %6zu  %s\n", width, strategy,
	       ring, n, t->updated, t->down, t->boot_loop, t->sensor_died, t->protection_lost,
	       t->recovered, t->rolled_back, t->infra, gate);
}

static void print_table(const struct rollspec *spec, const struct rollout_result *res,
			const char *const *variants, size_t n_res)
{
	int width = 12;

	for (size_t k = 0; k < n_res; k++)
		if (variants[k] && (int)strlen(variants[k]) + 13 > width)
			width = (int)strlen(variants[k]) + 13; /* "VARIANT/all-at-once" */
	printf("%-*s %-10s %8s %8s %6s %6s %6s %6s %6s %6s %6s  %s\n", width, "STRATEGY", "RING",
	       "MACHINES", "UPDATED", "DOWN", "LOOP", "S-DIED", "P-LOST", "RECOV", "ROLLBK",
	       "INFRA", "GATE");
	for (size_t k = 0; k < n_res; k++) {
		const struct rollout_result *r = &res[k];
		_cleanup_free_ char *name =
		    variants[k]
			? xasprintf("%s/%s", variants[k], rollout_strategy_name(r->strategy))
			: xstrdup(rollout_strategy_name(r->strategy));

		for (size_t i = 0; i < r->n_rings; i++) {
			const struct rollout_ring_result *rr = &r->rings[i];
			_cleanup_free_ char *gate =
			    !rr->reached ? xstrdup("not reached")
			    : !rr->gated ? xstrdup("-")
					 : xasprintf("%s (%zu down, allows %zu)",
						     rr->passed ? "passed" : "FAILED",
						     rr->gate_down, rr->gate_allows);
			print_row(width, name,
				  r->strategy == ROLLOUT_ALL_AT_ONCE ? "all" : spec->rings[i].name,
				  &rr->tally, rr->n, gate);
		}
		_cleanup_free_ char *stop =
		    r->stopped_at == SIZE_MAX
			? xstrdup("went through")
			: xasprintf("halted at %s (%.0f s in)", spec->rings[r->stopped_at].name,
				    (double)r->end_ms / 1000.0);
		print_row(width, name, "total", &r->total, r->n_machines, stop);
	}
}

/* ---- the command ---- */

/* The table, the reports, and the exit status of a deployment into dir. */
static int finish(const char *dir, const struct rollspec *spec, const struct deployment *d)
{
	int r, ret = CLI_EXIT_OK;

	print_table(spec, d->res, d->variants, d->n_res);
	r = deployment_write_reports(dir, d);
	printf("\n%s\n", d->summary.answer);
	if (r < 0) {
		cli_error(SESSION_FAULT_HOST, "cannot write the reports into %s: %s", dir,
			  strerror(-r));
		ret = CLI_EXIT_HOST;
	} else
		printf("report: %s/report.html, summary: %s/rollout.json, records: "
		       "%s/rollout.jsonl\n",
		       dir, dir, dir);
	if (d->record_error) {
		cli_error(SESSION_FAULT_HOST, "could not record a machine: %s",
			  strerror(-d->record_error));
		ret = CLI_EXIT_HOST;
	}
	if (d->interrupted)
		ret = cli_exit_interrupted(session_stop_signal());
	return ret;
}

static int rollout_main(struct session *s, const struct rollout_opts *o, const char *dir,
			const char *run_id)
{
	const struct deployment_opts dopts = {.dir = dir,
					      .run_id = run_id,
					      .fleet = o->fleet,
					      .rings_only = o->rings_only,
					      .progress = o->s.progress,
					      .meter = o->s.meter};
	struct session_error err = {0};
	struct deployment d = {0};
	int ret;

	if (deployment_run(s, &dopts, &d, &err) < 0) {
		ret = cli_session_failed(&err);
		if (session_stop_signal())
			ret = cli_exit_interrupted(session_stop_signal());
		return ret;
	}
	ret = finish(dir, scenario_rollout(session_scenario(s)), &d);
	deployment_finish(&d);
	return ret;
}

int cmd_rollout(int argc, char **argv)
{
	struct rollout_opts o = {0};
	struct session_error err = {0};
	struct session *s = NULL;
	_cleanup_(progress_freep) struct progress *meter = NULL;
	_cleanup_free_ char *run_id = NULL, *run_dir = NULL;
	struct diags d = {0};
	int r, ret;

	r = parse_opts(argc, argv, &o);
	if (r != 0)
		return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	/* the sections are checked before anything is built or booted */
	o.s.no_guests = true;
	if (session_open(&o.s, &s, &err) < 0)
		return cli_session_failed(&err);
	if (!scenario_rollout(session_scenario(s)) ||
	    !scenario_rollout(session_scenario(s))->has_rollout) {
		diag_add(&d, o.s.scenario_path, 0, 0,
			 "no rollout: section; expected profiles: and rollout: (see faultline "
			 "rollout --help)");
		cli_error_diags(SESSION_FAULT_SCENARIO, &d);
		diags_finish(&d);
		session_close(s);
		return CLI_EXIT_USAGE;
	}
	session_close(s);
	o.s.no_guests = false;
	o.s.prepare_sensor = deployment_prepare_sensor;
	meter = o.s.meter = progress_new(stderr, o.quiet);
	if (session_open(&o.s, &s, &err) < 0)
		return cli_session_failed(&err);
	run_id = session_new_run_id(s);
	if (!o.out_dir)
		run_dir = xasprintf("runs/%s", run_id);
	ret = rollout_main(s, &o, o.out_dir ? o.out_dir : run_dir, run_id);
	session_close(s);
	return ret;
}
