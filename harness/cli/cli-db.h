/* cli-db.h — the --db option the commands share, and `faultline db`.
 *
 * The database URL is --db URL, else $FAULTLINE_DB, else (for the commands that only read
 * history) sqlite:runs/faultline.db; faultline has no config file. Problems with the database
 * are printed as "faultline: database error: ..." and stop the command with CLI_EXIT_USAGE: the
 * URL is the user's input. */
#pragma once

#include <stdbool.h>

struct db;

/* The URL to use: flag, else $FAULTLINE_DB, else the default SQLite file when want_default,
 * else NULL (no database). */
const char *cli_db_url(const char *flag, bool want_default);
/* Connect and bring the schema up to date; on failure the message is printed and the exit
 * status returned (positive); 0 on success. */
int cli_db_open(const char *url, struct db **ret);
void cli_db_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
