/* db.c — the results database over SQLite or PostgreSQL (see db.h). */
#include "db.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include "util.h"

/* A prepared statement of a connection, found again by its caller-given name. */
struct db_stmt {
	char *name;
	sqlite3_stmt *lite; /* SQLite; PostgreSQL keeps its own under name */
};

struct db {
	enum db_backend backend;
	char *url;
	sqlite3 *lite;
	PGconn *pg;
	struct db_stmt *stmts;
	size_t n_stmts, cap_stmts;
	long changes;
	char *error;
};

enum db_backend db_backend(const struct db *db)
{
	return db->backend;
}

const char *db_url(const struct db *db)
{
	return db->url;
}

const char *db_error(const struct db *db)
{
	return db->error ? db->error : "no error";
}

long db_changes(const struct db *db)
{
	return db->changes;
}

char *db_url_redact(const char *url)
{
	const char *auth = strstr(url, "://"), *at, *colon;

	if (!auth)
		return xstrdup(url);
	auth += 3;
	at = auth + strcspn(auth, "@/?");
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (*at != '@' || !colon)
		return xstrdup(url);
	return xasprintf("%.*s***%s", (int)(colon + 1 - url), url, at);
}

static void set_error(struct db *db, const char *text)
{
	free(db->error);
	db->error = xstrdup(text);
	/* libpq ends its messages with a newline */
	db->error[strcspn(db->error, "\n")] = 0;
}

static int open_sqlite(struct db *db, const char *path, char **ret_error)
{
	int r = sqlite3_open_v2(path, &db->lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	if (r != SQLITE_OK) {
		*ret_error = xasprintf("cannot open SQLite database %s: %s", path,
				       db->lite ? sqlite3_errmsg(db->lite) : sqlite3_errstr(r));
		return -EIO;
	}
	/* another run may hold the write lock for a record's transaction: wait for it */
	sqlite3_busy_timeout(db->lite, 60000);
	/* WAL: readers (history, report) do not block a run that writes */
	if (db_exec(db, "PRAGMA journal_mode=WAL") < 0 ||
	    db_exec(db, "PRAGMA foreign_keys=ON") < 0) {
		*ret_error = xasprintf("cannot use SQLite database %s: %s", path, db_error(db));
		return -EIO;
	}
	return 0;
}

static int open_pg(struct db *db, const char *url, char **ret_error)
{
	db->pg = PQconnectdb(url);
	if (PQstatus(db->pg) != CONNECTION_OK) {
		_cleanup_free_ char *msg = xstrdup(PQerrorMessage(db->pg));

		msg[strcspn(msg, "\n")] = 0;
		*ret_error = xasprintf("cannot connect to PostgreSQL at %s: %s", db->url, msg);
		return -EIO;
	}
	/* notices (CREATE TABLE IF NOT EXISTS on a table that exists) are not for the user */
	PQsetNoticeProcessor(db->pg, NULL, NULL);
	return db_exec(db, "SET client_min_messages = warning");
}

int db_open(const char *url, struct db **ret, char **ret_error)
{
	struct db *db = xzalloc(sizeof(*db));
	int r;

	db->url = db_url_redact(url);
	if (streq(url, "sqlite") || startswith(url, "sqlite:")) {
		const char *path = url[6] ? url + 7 : DB_DEFAULT_SQLITE;

		db->backend = DB_SQLITE;
		if (!*path) {
			*ret_error = xstrdup("sqlite: wants a path (sqlite:PATH)");
			r = -EINVAL;
		} else
			r = open_sqlite(db, path, ret_error);
	} else if (startswith(url, "postgresql://") || startswith(url, "postgres://")) {
		db->backend = DB_POSTGRES;
		r = open_pg(db, url, ret_error);
	} else {
		*ret_error = xasprintf("'%s' is not a database URL; expected sqlite:PATH or "
				       "postgresql://...",
				       url);
		r = -EINVAL;
	}
	if (r < 0) {
		db_close(db);
		return r;
	}
	*ret = db;
	return 0;
}

struct db *db_close(struct db *db)
{
	if (!db)
		return NULL;
	for (size_t i = 0; i < db->n_stmts; i++) {
		sqlite3_finalize(db->stmts[i].lite);
		free(db->stmts[i].name);
	}
	free(db->stmts);
	if (db->lite)
		sqlite3_close(db->lite);
	if (db->pg)
		PQfinish(db->pg);
	free(db->url);
	free(db->error);
	free(db);
	return NULL;
}

/* ---- SQLite ---- */

static int lite_fail(struct db *db)
{
	set_error(db, sqlite3_errmsg(db->lite));
	return -EIO;
}

/* Bind, step through every row, reset: the statement can run again. */
static int lite_run(struct db *db, sqlite3_stmt *st, size_t n, const char *const *params,
		    db_row_fn row, void *userdata)
{
	int r = 0, s;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		int idx;

		snprintf(name, sizeof(name), "$%zu", i + 1);
		idx = sqlite3_bind_parameter_index(st, name);
		if (idx > 0 && params[i] &&
		    sqlite3_bind_text(st, idx, params[i], -1, SQLITE_TRANSIENT) != SQLITE_OK)
			return lite_fail(db);
	}
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		int nc = sqlite3_column_count(st);
		const char *cols[nc > 0 ? nc : 1];

		for (int c = 0; c < nc; c++)
			cols[c] = (const char *)sqlite3_column_text(st, c);
		if (row && (r = row(userdata, (size_t)nc, cols)) < 0)
			break;
	}
	if (r == 0 && s != SQLITE_DONE)
		r = lite_fail(db);
	db->changes = sqlite3_changes(db->lite);
	sqlite3_reset(st);
	return r;
}

static int lite_query(struct db *db, const char *sql, size_t n, const char *const *params,
		      db_row_fn row, void *userdata)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (sqlite3_prepare_v2(db->lite, sql, -1, &st, NULL) != SQLITE_OK)
		return lite_fail(db);
	r = lite_run(db, st, n, params, row, userdata);
	sqlite3_finalize(st);
	return r;
}

/* ---- PostgreSQL ---- */

static int pg_result(struct db *db, PGresult *res, db_row_fn row, void *userdata)
{
	ExecStatusType s = PQresultStatus(res);
	int r = 0;

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		set_error(db, PQerrorMessage(db->pg));
		PQclear(res);
		return PQstatus(db->pg) == CONNECTION_OK ? -EIO : -ENOTCONN;
	}
	db->changes = atol(PQcmdTuples(res));
	for (int i = 0; row && i < PQntuples(res); i++) {
		int nc = PQnfields(res);
		const char *cols[nc > 0 ? nc : 1];

		for (int c = 0; c < nc; c++)
			cols[c] = PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c);
		if ((r = row(userdata, (size_t)nc, cols)) < 0)
			break;
	}
	PQclear(res);
	return r;
}

/* ---- both ---- */

int db_query(struct db *db, const char *sql, size_t n, const char *const *params, db_row_fn row,
	     void *userdata)
{
	if (db->backend == DB_SQLITE)
		return lite_query(db, sql, n, params, row, userdata);
	return pg_result(db, PQexecParams(db->pg, sql, (int)n, NULL, params, NULL, NULL, 0), row,
			 userdata);
}

int db_exec(struct db *db, const char *sql)
{
	if (db->backend == DB_SQLITE) {
		char *msg = NULL;

		if (sqlite3_exec(db->lite, sql, NULL, NULL, &msg) != SQLITE_OK) {
			set_error(db, msg ? msg : sqlite3_errmsg(db->lite));
			sqlite3_free(msg);
			return -EIO;
		}
		return 0;
	}
	return pg_result(db, PQexec(db->pg, sql), NULL, NULL);
}

static struct db_stmt *find_stmt(struct db *db, const char *name)
{
	for (size_t i = 0; i < db->n_stmts; i++)
		if (streq(db->stmts[i].name, name))
			return &db->stmts[i];
	return NULL;
}

static int prepare(struct db *db, const char *name, const char *sql, struct db_stmt **ret)
{
	struct db_stmt st = {0};

	if (db->backend == DB_SQLITE) {
		if (sqlite3_prepare_v3(db->lite, sql, -1, SQLITE_PREPARE_PERSISTENT, &st.lite,
				       NULL) != SQLITE_OK)
			return lite_fail(db);
	} else {
		int r = pg_result(db, PQprepare(db->pg, name, sql, 0, NULL), NULL, NULL);
		if (r < 0)
			return r;
	}
	st.name = xstrdup(name);
	db->stmts = xgrowarray(db->stmts, db->n_stmts, &db->cap_stmts, sizeof(*db->stmts));
	db->stmts[db->n_stmts] = st;
	*ret = &db->stmts[db->n_stmts++];
	return 0;
}

int db_query_prepared(struct db *db, const char *name, const char *sql, size_t n,
		      const char *const *params, db_row_fn row, void *userdata)
{
	struct db_stmt *st = find_stmt(db, name);
	int r;

	if (!st && (r = prepare(db, name, sql, &st)) < 0)
		return r;
	if (db->backend == DB_SQLITE)
		return lite_run(db, st->lite, n, params, row, userdata);
	return pg_result(db, PQexecPrepared(db->pg, name, (int)n, params, NULL, NULL, 0), row,
			 userdata);
}

int db_begin(struct db *db)
{
	return db_exec(db, db->backend == DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

int db_commit(struct db *db)
{
	return db_exec(db, "COMMIT");
}

void db_rollback(struct db *db)
{
	/* keep the error that made the caller roll back */
	_cleanup_free_ char *keep = TAKE_PTR(db->error);

	db_exec(db, "ROLLBACK");
	free(db->error);
	db->error = TAKE_PTR(keep);
}

static int first_string(void *userdata, size_t n, const char *const *cols)
{
	char **ret = userdata;

	if (!*ret && n > 0 && cols[0])
		*ret = xstrdup(cols[0]);
	return 0;
}

int db_query_string(struct db *db, const char *sql, size_t n, const char *const *params, char **ret)
{
	char *s = NULL;
	int r = db_query(db, sql, n, params, first_string, &s);

	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int db_table_exists(struct db *db, const char *table, bool *ret)
{
	_cleanup_free_ char *found = NULL;
	const char *sql = db->backend == DB_SQLITE
			      ? "SELECT name FROM sqlite_master WHERE type='table' AND name=$1"
			      : "SELECT table_name FROM information_schema.tables WHERE "
				"table_schema=current_schema() AND table_name=$1";
	int r = db_query_string(db, sql, 1, &table, &found);

	if (r < 0)
		return r;
	*ret = found != NULL;
	return 0;
}

struct columns {
	char **v;
	size_t n, cap;
};

static int add_column(void *userdata, size_t n, const char *const *cols)
{
	struct columns *c = userdata;

	if (n < 1 || !cols[0])
		return 0;
	c->v = xgrowarray(c->v, c->n + 1, &c->cap, sizeof(char *));
	c->v[c->n++] = xstrdup(cols[0]);
	c->v[c->n] = NULL;
	return 0;
}

int db_table_columns(struct db *db, const char *table, char ***ret)
{
	struct columns c = {0};
	const char *sql = db->backend == DB_SQLITE
			      ? "SELECT name FROM pragma_table_info($1)"
			      : "SELECT column_name FROM information_schema.columns WHERE "
				"table_schema=current_schema() AND table_name=$1";
	int r = db_query(db, sql, 1, &table, add_column, &c);

	if (r < 0) {
		for (size_t i = 0; i < c.n; i++)
			free(c.v[i]);
		free(c.v);
		return r;
	}
	if (!c.v)
		c.v = xcalloc(1, sizeof(char *));
	*ret = c.v;
	return 0;
}
