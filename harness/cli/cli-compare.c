/* cli-compare.c — `faultline compare BASE_RUN NEW_RUN`. */
#include <getopt.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "compare.h"
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

int cmd_compare(int argc, char **argv)
{
	static const struct option options[] = {
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	struct rundir *base = NULL, *new = NULL;
	struct compare_result *res = NULL;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		cli_error(SESSION_FAULT_USAGE, "want exactly two run directories, BASE and NEW");
		usage(stderr);
		return 2;
	}
	if (load(argv[optind], &base) < 0 || load(argv[optind + 1], &new) < 0) {
		ret = 2;
		goto out;
	}
	compare_runs(base, new, &res);
	if (compare_write_markdown(stdout, res, base, new) < 0 || fflush(stdout) != 0) {
		cli_error(SESSION_FAULT_HOST, "cannot write the summary: %m");
		ret = 2;
		goto out;
	}
	ret = res->regression ? 1 : 0;
out:
	compare_result_free(res);
	rundir_free(base);
	rundir_free(new);
	return ret;
}
