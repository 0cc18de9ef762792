/* db.h — one connection to the results database, over SQLite (embedded, a file) or PostgreSQL
 * (libpq): the only code that speaks to either library. Statements are written once in
 * PostgreSQL's placeholder style ($1, $2, ...), which SQLite reads too; every parameter and
 * every column is passed as text (NULL for SQL NULL) and each backend converts.
 *
 * URLs: "sqlite:PATH", "sqlite" (DB_DEFAULT_SQLITE), "postgresql://..." and "postgres://..."
 * (a libpq connection URI, e.g. postgresql:///faultline?host=/run/postgresql).
 *
 * Ownership: db_open() returns a connection db_close() frees (accepts NULL), with every
 * statement prepared on it. Not thread-safe: a caller that writes from several threads holds
 * its own lock (history-writer.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The SQLite file used when a database is asked for without a path. */
#define DB_DEFAULT_SQLITE "runs/faultline.db"

enum db_backend {
	DB_SQLITE,
	DB_POSTGRES,
};

struct db;

/* Connect. Returns 0, -EINVAL for a URL of no known kind, or -EIO (the server or file could not
 * be reached or opened); *ret_error then says why (caller frees). */
int db_open(const char *url, struct db **ret, char **ret_error);
struct db *db_close(struct db *db);
enum db_backend db_backend(const struct db *db);
/* The URL for messages: as given, but a password in it (postgresql://USER:PASSWORD@HOST) as
 * ***, so that it is not printed nor kept in run.json. */
const char *db_url(const struct db *db);
/* The same for any URL: a copy (caller frees); not a URL with a password: unchanged. */
char *db_url_redact(const char *url);
/* The last error's text (the library's own), valid until the next call on db. */
const char *db_error(const struct db *db);

/* One row of a result: n columns, each a string or NULL. */
typedef int (*db_row_fn)(void *userdata, size_t n, const char *const *cols);

/* Run sql with n text parameters; call row (when not NULL) for every row it returns, stopping
 * with its value when that is negative. Returns 0, -EIO on a database error (db_error()),
 * -ENOTCONN when a PostgreSQL connection is gone, or row's error. */
int db_query(struct db *db, const char *sql, size_t n, const char *const *params, db_row_fn row,
	     void *userdata);
/* A statement without parameters or rows (DDL, BEGIN, ...). */
int db_exec(struct db *db, const char *sql);
/* The same as db_query() through a statement prepared once per connection, named by the caller
 * (name is a short identifier that stays the same for the same sql). */
int db_query_prepared(struct db *db, const char *name, const char *sql, size_t n,
		      const char *const *params, db_row_fn row, void *userdata);
/* Rows the last INSERT/UPDATE changed. */
long db_changes(const struct db *db);

/* A write transaction: SQLite takes the write lock at BEGIN (waiting up to a minute for
 * another writer), so that two runs writing at once serialise instead of failing. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

/* The first column of the first row as a string (caller frees), NULL when no row or NULL. */
int db_query_string(struct db *db, const char *sql, size_t n, const char *const *params,
		    char **ret);
/* Whether a table exists. */
int db_table_exists(struct db *db, const char *table, bool *ret);
/* The columns a table has, NULL-terminated (caller strv_free()s). */
int db_table_columns(struct db *db, const char *table, char ***ret);
