/* cli-db.c — `faultline db import RUN_DIR...`, and the --db option (see cli-db.h). */
#include "cli-db.h"

#include <getopt.h>
#include <stdarg.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "db-import.h"
#include "db-schema.h"
#include "db.h"

const char *cli_db_url(const char *flag, bool want_default)
{
	const char *env = getenv("FAULTLINE_DB");

	if (flag)
		return flag;
	if (env && *env)
		return env;
	return want_default ? "sqlite:" DB_DEFAULT_SQLITE : NULL;
}

void cli_db_error(const char *fmt, ...)
{
	va_list ap;

	fputs("faultline: database error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_db_open(const char *url, struct db **ret)
{
	_cleanup_free_ char *err = NULL;
	struct db *db;
	int r = db_open(url, &db, &err);

	if (r == 0 && (r = db_schema_ensure(db, &err)) < 0)
		db_close(db);
	if (r < 0) {
		cli_db_error("%s", err ? err : strerror(-r));
		return CLI_EXIT_USAGE;
	}
	*ret = db;
	return 0;
}

static int import(struct db *db, const char *dir)
{
	_cleanup_free_ char *err = NULL;
	struct db_import_stats st;
	int r = db_import_dir(db, dir, &st, &err);

	if (r == -ENOENT || r == -ENOTDIR || r == -EINVAL) {
		cli_error(SESSION_FAULT_USAGE, "%s", err);
		return CLI_EXIT_USAGE;
	}
	if (r < 0) {
		cli_db_error("%s", err);
		return CLI_EXIT_HOST;
	}
	printf("%s: %zu records, %zu added%s\n", dir, st.records, st.added,
	       st.added < st.records ? " (the others were there already)" : "");
	if (st.skipped)
		fprintf(stderr, "faultline: warning: %s/results.jsonl: %zu lines skipped\n", dir,
			st.skipped);
	return CLI_EXIT_OK;
}

int cmd_db(int argc, char **argv)
{
	static const struct option options[] = {
	    {"db", required_argument, NULL, CLI_OPT_DB},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	const char *url = NULL;
	struct db *db = NULL;
	int c, ret = CLI_EXIT_OK;

	optind = 1;
	/* getopt moves the options before the operands: --db may come after import too */
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case CLI_OPT_DB:
			url = optarg;
			break;
		case 'h':
			cli_help_print(stdout, "db");
			return CLI_EXIT_OK;
		default:
			cli_help_print(stderr, "db");
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc || !streq(argv[optind], "import")) {
		cli_error(SESSION_FAULT_USAGE, "expected: faultline db import RUN_DIR...");
		return CLI_EXIT_USAGE;
	}
	if (++optind >= argc) {
		cli_error(SESSION_FAULT_USAGE, "db import: expected one or more run directories");
		return CLI_EXIT_USAGE;
	}
	if ((ret = cli_db_open(cli_db_url(url, true), &db)) != 0)
		return ret;
	for (int i = optind; i < argc; i++) {
		int k = import(db, argv[i]);
		if (k > ret)
			ret = k;
	}
	db_close(db);
	return ret;
}
