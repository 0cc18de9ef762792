/* cli-compare.c — `faultline compare BASE_RUN NEW_RUN`. */
#include <getopt.h>

#include "cli-db.h"
#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "compare.h"
#include "history.h"
#include "util.h"

static void usage(FILE *f)
{
	cli_help_print(f, "compare");
}

static int load(const char *dir, struct rundir **ret)
{
	int r = rundir_load(dir, ret);

	if (r == -ENOENT || r == -ENOTDIR)
		cli_error(SESSION_FAULT_USAGE, "%s: not a run directory (no results.jsonl)", dir);
	else if (r < 0)
		cli_error(SESSION_FAULT_USAGE, "%s: cannot read the run: %s", dir, strerror(-r));
	else if ((*ret)->n_skipped)
		fprintf(stderr, "faultline: warning: %s/results.jsonl: %zu %s skipped%s\n", dir,
			(*ret)->n_skipped, (*ret)->n_skipped == 1 ? "line" : "lines",
			(*ret)->last_truncated ? " (truncated last line, the run was killed)" : "");
	return r;
}

/* The baseline run from the database: the stored run the selector names, NEW itself left out
 * (when it is stored, by its run id) so that "last" is the run before. */
static int load_baseline(const char *url, const char *selector, const struct rundir *new,
			 struct rundir **ret)
{
	struct db *db = NULL;
	int64_t self = 0, id;
	int r, status;

	if ((status = cli_db_open(cli_db_url(url, true), &db)) != 0)
		return status;
	if (new->run_id && history_find_run(db, new->run_id, &self) < 0)
		self = 0;
	r = history_select(db, selector, self, &id);
	if (r == -EINVAL)
		cli_error(SESSION_FAULT_USAGE,
			  "--baseline '%s': expected run:RUN_ID, version:VERSION or last",
			  selector);
	else if (r == -ENOENT)
		cli_error(SESSION_FAULT_USAGE, "--baseline '%s': no such run in %s", selector,
			  db_url(db));
	else if (r < 0 || (r = history_load_run(db, id, ret)) < 0)
		cli_db_error("%s: %s", db_url(db), db_error(db));
	status = r == 0 ? 0 : r == -EINVAL || r == -ENOENT ? CLI_EXIT_USAGE : CLI_EXIT_HOST;
	db_close(db);
	return status;
}

int cmd_compare(int argc, char **argv)
{
	static const struct option options[] = {
	    {"db", required_argument, NULL, CLI_OPT_DB},
	    {"baseline", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	struct rundir *base = NULL, *new = NULL;
	struct compare_result *res = NULL;
	const char *url = NULL, *baseline = NULL;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
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
	if (argc - optind != (baseline ? 1 : 2)) {
		cli_error(SESSION_FAULT_USAGE, baseline
						   ? "with --baseline, want one run directory, NEW"
						   : "want exactly two run directories, BASE and "
						     "NEW");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (baseline) {
		if (load(argv[optind], &new) < 0) {
			ret = CLI_EXIT_USAGE;
			goto out;
		}
		if ((ret = load_baseline(url, baseline, new, &base)) != 0)
			goto out;
	} else if (load(argv[optind], &base) < 0 || load(argv[optind + 1], &new) < 0) {
		ret = CLI_EXIT_USAGE;
		goto out;
	}
	compare_runs(base, new, &res);
	if (compare_write_markdown(stdout, res, base, new) < 0 || fflush(stdout) != 0) {
		cli_error(SESSION_FAULT_HOST, "cannot write the summary: %m");
		ret = CLI_EXIT_HOST;
		goto out;
	}
	ret = res->regression ? CLI_EXIT_SHORT : CLI_EXIT_OK;
out:
	compare_result_free(res);
	rundir_free(base);
	rundir_free(new);
	return ret;
}
