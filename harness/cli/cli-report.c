/* cli-report.c — `faultline report RUN_DIR... [-o FILE] [--format FORMAT]`. */
#include <getopt.h>
#include <libgen.h>

#include "cli-help.h"
#include "cli.h"
#include "reports.h"
#include "util.h"

static void usage(FILE *f)
{
	cli_help_print(f, "report");
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
	struct runread_run **runs;
	size_t n_runs = 0, max_rows = 0;
	int c, r, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f:h", options, NULL)) >= 0) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'f':
			if (reports_format_from_name(optarg, &format) < 0) {
				fprintf(stderr,
					"faultline report: unknown format '%s' (html, junit, "
					"markdown or json)\n",
					optarg);
				return 2;
			}
			break;
		case 'm': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || v == 0) {
				fprintf(stderr,
					"faultline report: --max-rows wants a positive number\n");
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
		fprintf(stderr, "faultline report: no run directory given\n\n");
		usage(stderr);
		return 2;
	}

	runs = xcalloc((size_t)(argc - optind), sizeof(*runs));
	for (int i = optind; i < argc; i++) {
		struct runread_run *run;

		r = runread_load(argv[i], &run);
		if (r == -ENOENT || r == -ENOTDIR) {
			fprintf(stderr,
				"faultline report: %s: not a run directory (no results.jsonl)\n",
				argv[i]);
			ret = 2;
			goto out;
		}
		if (r < 0) {
			fprintf(stderr, "faultline report: %s: cannot read the run: %s\n", argv[i],
				strerror(-r));
			ret = 2;
			goto out;
		}
		runs[n_runs++] = run;
		if (run->n_skipped)
			fprintf(stderr,
				"faultline report: %s/results.jsonl: %zu %s skipped (first at "
				"line %zu)%s\n",
				argv[i], run->n_skipped, run->n_skipped == 1 ? "line" : "lines",
				run->first_skipped,
				run->last_truncated ? "; truncated last line, the run was killed"
						    : "");
	}

	if (output) {
		r = reports_write_file(output, format, runs, n_runs, max_rows);
		if (r < 0) {
			fprintf(stderr, "faultline report: cannot write %s: %s\n", output,
				strerror(-r));
			ret = 2;
		}
	} else {
		r = reports_render(stdout, format, runs, n_runs, NULL, max_rows);
		if (r < 0) {
			fprintf(stderr, "faultline report: cannot write the report: %s\n",
				strerror(-r));
			ret = 2;
		}
	}
out:
	for (size_t i = 0; i < n_runs; i++)
		runread_free(runs[i]);
	free(runs);
	return ret;
}
