/* cli-report.c — `faultline report RUN_DIR... [-o FILE] [--format FORMAT]`. */
#include <getopt.h>
#include <libgen.h>

#include "cli-db.h"
#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "history.h"
#include "reports.h"
#include "rollout-report.h"
#include "util.h"

static void usage(FILE *f)
{
	cli_help_print(f, "report");
}

/* A run directory, or a message saying why it cannot be read. Returns CLI_EXIT_OK or the exit
 * status. */
static int load_run(const char *dir, struct rundir **ret)
{
	struct rundir *run;
	int r = rundir_load(dir, &run);

	if (r == -ENOENT || r == -ENOTDIR) {
		cli_error(SESSION_FAULT_USAGE, "%s: not a run directory (no results.jsonl)", dir);
		return CLI_EXIT_USAGE;
	}
	if (r < 0) {
		cli_error(SESSION_FAULT_USAGE, "%s: cannot read the run: %s", dir, strerror(-r));
		return CLI_EXIT_USAGE;
	}
	if (run->n_skipped)
		fprintf(
		    stderr,
		    "faultline report: %s/results.jsonl: %zu %s skipped (first at line %zu)%s\n",
		    dir, run->n_skipped, run->n_skipped == 1 ? "line" : "lines", run->first_skipped,
		    run->last_truncated ? "; truncated last line, the run was killed" : "");
	*ret = run;
	return CLI_EXIT_OK;
}

static int render(const char *output, enum reports_format format, struct rundir *const *runs,
		  size_t n_runs, size_t max_rows, const struct history *since)
{
	int r;

	if (output) {
		r = reports_write_file_since(output, format, runs, n_runs, max_rows, since);
		if (r < 0)
			cli_error(SESSION_FAULT_HOST, "cannot write %s: %s", output, strerror(-r));
	} else {
		r = reports_render_since(stdout, format, runs, n_runs, NULL, max_rows, since);
		if (r < 0)
			cli_error(SESSION_FAULT_HOST, "cannot write the report: %s", strerror(-r));
	}
	return r < 0 ? CLI_EXIT_HOST : CLI_EXIT_OK;
}

/* A rollout's run directory (faultline rollout) has rollout.json and no results.jsonl: its
 * report is the rollout's. Returns -ENOENT when dir is not one. */
static int render_rollout(const char *dir, const char *output, enum reports_format format)
{
	_cleanup_free_ char *json = xasprintf("%s/rollout.json", dir);
	_cleanup_free_ char *results = xasprintf("%s/results.jsonl", dir);
	struct rollout_summary summary;
	int r;

	if (access(results, F_OK) == 0 || access(json, F_OK) < 0)
		return -ENOENT;
	if (format == REPORTS_JUNIT) {
		cli_error(SESSION_FAULT_USAGE,
			  "a rollout has no JUnit report (html, markdown or json)");
		return CLI_EXIT_USAGE;
	}
	if (rollout_summary_read(json, &summary) < 0) {
		cli_error(SESSION_FAULT_USAGE, "%s is not a rollout summary", json);
		return CLI_EXIT_USAGE;
	}
	r = output ? rollout_report_write(output, format, &summary)
		   : rollout_report_render(stdout, format, &summary);
	rollout_summary_finish(&summary);
	if (r < 0)
		cli_error(SESSION_FAULT_HOST, "cannot write the report: %s", strerror(-r));
	return r < 0 ? CLI_EXIT_HOST : CLI_EXIT_OK;
}

/* report --db: the first run's history against the baseline. The run must be stored (run --db
 * or db import). */
static int load_since(const char *url, const char *selector, const struct rundir *run,
		      struct history **ret)
{
	struct db *db = NULL;
	int64_t self, base;
	int r, status;

	if ((status = cli_db_open(cli_db_url(url, true), &db)) != 0)
		return status;
	if (!run->run_id || (r = history_find_run(db, run->run_id, &self)) == -ENOENT) {
		cli_error(SESSION_FAULT_USAGE,
			  "%s is not in %s: add it with 'faultline db import --db %s %s'", run->dir,
			  db_url(db), db_url(db), run->dir);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	r = r < 0 ? r : history_select(db, selector, self, &base);
	if (r == -EINVAL || r == -ENOENT) {
		cli_error(SESSION_FAULT_USAGE, "--baseline '%s': %s", selector,
			  r == -EINVAL ? "expected run:RUN_ID, version:VERSION or last"
				       : "no such run in the database");
		status = CLI_EXIT_USAGE;
	} else if (r < 0 || (r = history_load(db, self, base, ret)) < 0) {
		cli_db_error("%s: %s", db_url(db), db_error(db));
		status = CLI_EXIT_HOST;
	}
out:
	db_close(db);
	return status;
}

int cmd_report(int argc, char **argv)
{
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"format", required_argument, NULL, 'f'},
	    {"max-rows", required_argument, NULL, 'm'},
	    {"db", required_argument, NULL, CLI_OPT_DB},
	    {"baseline", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	const char *url = NULL, *baseline = NULL;
	struct history *since = NULL;
	enum reports_format format = REPORTS_HTML;
	const char *output = NULL;
	struct rundir **runs;
	size_t n_runs = 0, max_rows = 0;
	int c, ret = CLI_EXIT_OK;

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
				return CLI_EXIT_USAGE;
			}
			break;
		case 'm': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || v == 0) {
				cli_error(SESSION_FAULT_USAGE,
					  "--max-rows wants a positive number");
				return CLI_EXIT_USAGE;
			}
			max_rows = (size_t)v;
			break;
		}
		case CLI_OPT_DB:
			url = optarg;
			break;
		case 'b':
			baseline = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_error(SESSION_FAULT_USAGE, "no run directory given");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}

	if (argc - optind == 1 && (ret = render_rollout(argv[optind], output, format)) != -ENOENT)
		return ret;
	ret = CLI_EXIT_OK;
	runs = xcalloc((size_t)(argc - optind), sizeof(*runs));
	for (int i = optind; i < argc && ret == CLI_EXIT_OK; i++)
		if ((ret = load_run(argv[i], &runs[n_runs])) == CLI_EXIT_OK)
			n_runs++;
	if (ret == CLI_EXIT_OK && (url || baseline))
		ret = load_since(url, baseline ? baseline : "last", runs[0], &since);
	if (ret == CLI_EXIT_OK)
		ret = render(output, format, runs, n_runs, max_rows, since);
	history_free(since);
	for (size_t i = 0; i < n_runs; i++)
		rundir_free(runs[i]);
	free(runs);
	return ret;
}
