/* cli-merge.c — `faultline merge SHARD_DIR... -o OUT`: the run directories of `run --shard K/N`
 * made into one run directory (merge.h), with its reports; exit 1 when a merged case fell short
 * of its expectation, as `run` would have. */
#include <getopt.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "merge.h"
#include "reports.h"
#include "rundir.h"
#include "util.h"

static void usage(FILE *f)
{
	cli_help_print(f, "merge");
}

/* The merged cases that did not get the verdict they expect. */
static size_t count_short(const char *dir)
{
	struct rundir *run = NULL;
	size_t n = 0;

	if (rundir_load(dir, &run) < 0)
		return 0;
	for (size_t i = 0; i < run->n_records; i++)
		n += run->records[i].matched == 0;
	rundir_free(run);
	return n;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"allow-partial", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	_cleanup_free_ char *err = NULL;
	struct merge_opts o = {0};
	struct merge_summary sum;
	const char *out = NULL;
	size_t n_short;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", options, NULL)) >= 0) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'p':
			o.allow_partial = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (!out || optind == argc) {
		cli_error(SESSION_FAULT_USAGE,
			  "expected the shards' run directories and -o OUT (see faultline merge "
			  "--help)");
		return CLI_EXIT_USAGE;
	}
	r = merge_shards((const char *const *)argv + optind, (size_t)(argc - optind), out, &o, &sum,
			 &err);
	if (r < 0) {
		/* the shards named are wrong, or the folder to write is taken: the command line's;
		 * a file that cannot be read or written: the machine's */
		bool usage_fault = r == -EINVAL || r == -EEXIST;
		cli_error(usage_fault ? SESSION_FAULT_USAGE : SESSION_FAULT_HOST, "%s",
			  err ? err : strerror(-r));
		return usage_fault ? CLI_EXIT_USAGE : CLI_EXIT_HOST;
	}
	if ((r = reports_write_defaults(out)) < 0) {
		cli_error(SESSION_FAULT_HOST, "cannot write the reports into %s: %s", out,
			  strerror(-r));
		return CLI_EXIT_HOST;
	}
	printf("merged %zu of %u shards: %zu records of %zu jobs into %s\n", sum.shards, sum.n,
	       sum.records, sum.jobs, out);
	if (sum.missing)
		printf("partial: %zu %s missing (--allow-partial), recorded in %s/run.json\n",
		       sum.missing, sum.missing == 1 ? "shard" : "shards", out);
	printf("report: %s/report.html, JUnit: %s/results.xml\n", out, out);
	n_short = count_short(out);
	if (n_short)
		printf("%zu %s did not get the verdict %s\n", n_short,
		       n_short == 1 ? "case" : "cases",
		       n_short == 1 ? "it expects" : "they expect");
	return n_short ? CLI_EXIT_SHORT : CLI_EXIT_OK;
}
