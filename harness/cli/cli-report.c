/* cli-report.c — `faultline report RUN_DIR... [-o FILE] [--format FORMAT]`. */
#include <getopt.h>
#include <libgen.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "reports.h"
#include "rollout-report.h"
#include "util.h"

static void usage(FILE *f)
{
	cli_help_print(f, "report");
}

/* A run directory, or a message saying why it cannot be read. Returns 0 or an exit status. */
static int load_run(const char *dir, struct rundir **ret)
{
	struct rundir *run;
	int r = rundir_load(dir, &run);

	if (r == -ENOENT || r == -ENOTDIR) {
		cli_error(SESSION_FAULT_USAGE, "%s: not a run directory (no results.jsonl)", dir);
		return 2;
	}
	if (r < 0) {
		cli_error(SESSION_FAULT_USAGE, "%s: cannot read the run: %s", dir, strerror(-r));
		return 2;
	}
	if (run->n_skipped)
		fprintf(
		    stderr,
		    "faultline report: %s/results.jsonl: %zu %s skipped (first at line %zu)%s\n",
		    dir, run->n_skipped, run->n_skipped == 1 ? "line" : "lines", run->first_skipped,
		    run->last_truncated ? "; truncated last line, the run was killed" : "");
	*ret = run;
	return 0;
}

static int render(const char *output, enum reports_format format, struct rundir *const *runs,
		  size_t n_runs, size_t max_rows)
{
	int r;

	if (output) {
		r = reports_write_file(output, format, runs, n_runs, max_rows);
		if (r < 0)
			cli_error(SESSION_FAULT_HOST, "cannot write %s: %s", output, strerror(-r));
	} else {
		r = reports_render(stdout, format, runs, n_runs, NULL, max_rows);
		if (r < 0)
			cli_error(SESSION_FAULT_HOST, "cannot write the report: %s", strerror(-r));
	}
	return r < 0 ? 2 : 0;
}

/* A rollout's run directory (faultline rollout) has rollout.json and no results.jsonl: its
 * report is the rollout's. Returns -ENOENT when dir is not one. */
static int render_rollout(const char *dir, const char *output, enum reports_format format)
{
	_cleanup_free_ char *json = xasprintf("%s/rollout.json", dir);
	_cleanup_free_ char *results = xasprintf("%s/results.jsonl", dir);
	json_object *summary;
	int r;

	if (access(results, F_OK) == 0 || access(json, F_OK) < 0)
		return -ENOENT;
	if (format == REPORTS_JUNIT) {
		cli_error(SESSION_FAULT_USAGE,
			  "a rollout has no JUnit report (html, markdown or json)");
		return 2;
	}
	if (!(summary = json_object_from_file(json))) {
		cli_error(SESSION_FAULT_USAGE, "%s is not a rollout summary", json);
		return 2;
	}
	r = output ? rollout_report_write(output, format, summary)
		   : rollout_report_render(stdout, format, summary);
	json_object_put(summary);
	if (r < 0)
		cli_error(SESSION_FAULT_HOST, "cannot write the report: %s", strerror(-r));
	return r < 0 ? 2 : 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"format", required_argument, NULL, 'f'},
	    {"max-rows", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	enum reports_format format = REPORTS_HTML;
	const char *output = NULL;
	struct rundir **runs;
	size_t n_runs = 0, max_rows = 0;
	int c, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f:h", options, NULL)) >= 0) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'f':
			if (reports_format_from_name(optarg, &format) < 0) {
				cli_error(SESSION_FAULT_USAGE,
					  "unknown format '%s' (html, junit, "
					  "markdown or json)",
					  optarg);
				return 2;
			}
			break;
		case 'm': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || v == 0) {
				cli_error(SESSION_FAULT_USAGE,
					  "--max-rows wants a positive number");
				return 2;
			}
			max_rows = (size_t)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		cli_error(SESSION_FAULT_USAGE, "no run directory given");
		usage(stderr);
		return 2;
	}

	if (argc - optind == 1 && (ret = render_rollout(argv[optind], output, format)) != -ENOENT)
		return ret;
	ret = 0;
	runs = xcalloc((size_t)(argc - optind), sizeof(*runs));
	for (int i = optind; i < argc && ret == 0; i++)
		if ((ret = load_run(argv[i], &runs[n_runs])) == 0)
			n_runs++;
	if (ret == 0)
		ret = render(output, format, runs, n_runs, max_rows);
	for (size_t i = 0; i < n_runs; i++)
		rundir_free(runs[i]);
	free(runs);
	return ret;
}
