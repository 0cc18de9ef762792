/* cli-history.c — `faultline history`: crash and hang signatures across the stored runs, with
 * their status in one run against a baseline (history.h). */
#include <getopt.h>

#include "cli-db.h"
#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "history.h"

/* A selector's stored run, or the message and exit status. */
static int select_run(struct db *db, const char *what, const char *sel, int64_t exclude,
		      int64_t *ret)
{
	int r = history_select(db, sel, exclude, ret);

	if (r == -EINVAL)
		cli_error(SESSION_FAULT_USAGE,
			  "%s '%s': expected run:RUN_ID, version:VERSION or last", what, sel);
	else if (r == -ENOENT)
		cli_error(SESSION_FAULT_USAGE, "%s '%s': no such run in %s", what, sel, db_url(db));
	else if (r < 0)
		cli_db_error("%s: %s", db_url(db), db_error(db));
	return r == 0 ? 0 : r == -EINVAL || r == -ENOENT ? CLI_EXIT_USAGE : CLI_EXIT_HOST;
}

static void print_history(const struct history *h)
{
	if (h->baseline)
		printf("run %s against baseline %s\n", h->run_id, h->baseline_id);
	printf("%-18s %-11s %-20s %-20s %4s %5s %-14s %s\n", "SENSOR", "STATUS", "FIRST SEEN",
	       "LAST SEEN", "RUNS", "COUNT", "VERSIONS", "SIGNATURE");
	for (size_t i = 0; i < h->n_sigs; i++) {
		const struct history_sig *s = &h->sigs[i];
		const char *st = history_status_name(s->status);

		printf("%-18s %-11s %-20s %-20s %4zu %5lld %-14s %s\n", s->sensor, *st ? st : "-",
		       s->first_seen ? s->first_seen : "-", s->last_seen ? s->last_seen : "-",
		       s->runs, (long long)s->occurrences, s->versions ? s->versions : "-",
		       s->title);
	}
	printf("%zu signatures\n", h->n_sigs);
}

int cmd_history(int argc, char **argv)
{
	static const struct option options[] = {
	    {"db", required_argument, NULL, CLI_OPT_DB},
	    {"baseline", required_argument, NULL, 'b'},
	    {"run", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	const char *url = NULL, *baseline = NULL, *run_sel = "last";
	struct history *h = NULL;
	struct db *db = NULL;
	int64_t run = 0, base = 0;
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
		case 'r':
			run_sel = optarg;
			break;
		case 'h':
			cli_help_print(stdout, "history");
			return CLI_EXIT_OK;
		default:
			cli_help_print(stderr, "history");
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error(SESSION_FAULT_USAGE, "history takes no arguments (see --help)");
		return CLI_EXIT_USAGE;
	}
	if ((ret = cli_db_open(cli_db_url(url, true), &db)) != 0)
		return ret;
	/* an empty database has no run to speak of: an empty history */
	if (history_select(db, run_sel, 0, &run) == -ENOENT && streq(run_sel, "last"))
		run = 0;
	else if ((ret = select_run(db, "--run", run_sel, 0, &run)) != 0)
		goto out;
	/* with no baseline, the latest other run (none: no status) */
	if (run && baseline && (ret = select_run(db, "--baseline", baseline, run, &base)) != 0)
		goto out;
	if (run && !baseline && history_select(db, "last", run, &base) < 0)
		base = 0;
	if (history_load(db, run, base, &h) < 0) {
		cli_db_error("%s: %s", db_url(db), db_error(db));
		ret = CLI_EXIT_HOST;
		goto out;
	}
	print_history(h);
	ret = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_HOST;
out:
	history_free(h);
	db_close(db);
	return ret;
}
