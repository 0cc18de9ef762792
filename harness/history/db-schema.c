/* db-schema.c — the tables, their version and migrations (see db-schema.h). */
#include "db-schema.h"

#include <pthread.h>

#include "record.h"
#include "util.h"

/* ---- the records columns, from the record schema ---- */

static struct db_column *columns;
static size_t n_columns;
static pthread_once_t columns_once = PTHREAD_ONCE_INIT;

static void add_column(const char *key, const char *member, json_object *v, size_t *cap)
{
	struct db_column *c;
	json_type t = json_object_get_type(v);

	columns = xgrowarray(columns, n_columns + 1, cap, sizeof(*columns));
	c = &columns[n_columns++];
	*c = (struct db_column){
	    .name = member ? xasprintf("%s_%s", key, member) : xstrdup(key),
	    .key = xstrdup(key),
	    .member = member ? xstrdup(member) : NULL,
	    .integer = t == json_type_int || t == json_type_boolean,
	    .boolean = t == json_type_boolean,
	    .json = t == json_type_array || t == json_type_object,
	};
	columns[n_columns] = (struct db_column){0};
}

/* An object whose members are all scalars is flattened; anything deeper is JSON text. */
static bool flat(json_object *o)
{
	if (!json_object_is_type(o, json_type_object))
		return false;
	json_object_object_foreach(o, k, v)
	{
		(void)k;
		if (json_object_is_type(v, json_type_array) ||
		    json_object_is_type(v, json_type_object))
			return false;
	}
	return true;
}

static void build_columns(void)
{
	/* A zeroed record writes every member, numbers as numbers (none is -1, "absent"); the
	 * two sections written only when present are made present. */
	char x[] = "x";
	struct record r = {0};
	json_object *o;
	size_t cap = 0;

	r.reused.verdict = x;
	r.reboot.first_verdict = x;
	o = record_to_json(&r);
	json_object_object_foreach(o, key, v)
	{
		if (flat(v)) {
			json_object_object_foreach(v, m, mv) add_column(key, m, mv, &cap);
		} else
			add_column(key, NULL, v, &cap);
	}
	json_object_put(o);
}

const struct db_column *db_record_columns(size_t *ret_n)
{
	pthread_once(&columns_once, build_columns);
	if (ret_n)
		*ret_n = n_columns;
	return columns;
}

/* ---- tables ---- */

/* SQL written once for both: the auto-numbered key and 64-bit integers differ. */
static char *dialect(struct db *db, const char *sql)
{
	const char *serial = db_backend(db) == DB_SQLITE ? "INTEGER PRIMARY KEY AUTOINCREMENT"
							 : "BIGSERIAL PRIMARY KEY";
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	if (!f)
		abort();
	for (const char *p = sql; *p;) {
		if (startswith(p, "@SERIAL")) {
			fputs(serial, f);
			p += strlen("@SERIAL");
		} else
			fputc(*p++, f);
	}
	fclose(f);
	return out;
}

static int exec_d(struct db *db, const char *sql)
{
	_cleanup_free_ char *s = dialect(db, sql);

	return db_exec(db, s);
}

static const char *const v1_sql[] = {
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "CREATE TABLE runs (id @SERIAL, run_id TEXT NOT NULL, host TEXT NOT NULL, scenario TEXT, "
    "scenario_path TEXT, started TEXT, finished TEXT, interrupted TEXT, faultline_version TEXT, "
    "kernel TEXT, argv TEXT, run_dir TEXT, UNIQUE (run_id, host))",
    "CREATE TABLE records (id @SERIAL, run BIGINT NOT NULL REFERENCES runs(id), "
    "signature TEXT, \"sensor\" TEXT NOT NULL, \"case\" TEXT NOT NULL, "
    "UNIQUE (run, \"sensor\", \"case\"))",
    "CREATE INDEX records_signature ON records (signature)",
    "CREATE TABLE signatures (sensor TEXT NOT NULL, title TEXT NOT NULL, verdict TEXT, "
    "first_seen TEXT, last_seen TEXT, first_run TEXT, last_run TEXT, occurrences BIGINT NOT NULL "
    "DEFAULT 0, PRIMARY KEY (sensor, title))",
    "INSERT INTO schema_version (version) VALUES (1)",
    NULL,
};

/* 1 -> 2: sensor versions per run, the content's hash. */
static const char *const v2_sql[] = {
    "ALTER TABLE runs ADD COLUMN content_sha256 TEXT",
    "CREATE TABLE run_sensors (run BIGINT NOT NULL REFERENCES runs(id), sensor TEXT NOT NULL, "
    "version TEXT, PRIMARY KEY (run, sensor))",
    "UPDATE schema_version SET version = 2",
    NULL,
};

static const char *const *const steps[] = {v1_sql, v2_sql};

static int run_sql(struct db *db, const char *const *sql)
{
	int r = 0;

	for (size_t i = 0; r == 0 && sql[i]; i++)
		r = exec_d(db, sql[i]);
	return r;
}

static int run_step(struct db *db, const char *const *sql)
{
	int r = db_begin(db);

	if (r == 0)
		r = run_sql(db, sql);
	if (r == 0)
		r = db_commit(db);
	if (r < 0)
		db_rollback(db);
	return r;
}

int db_schema_create_v1(struct db *db)
{
	return run_step(db, v1_sql);
}

int db_schema_version(struct db *db, int *ret)
{
	_cleanup_free_ char *v = NULL;
	bool exists;
	int r = db_table_exists(db, "schema_version", &exists);

	if (r < 0)
		return r;
	if (!exists) {
		*ret = 0;
		return 0;
	}
	if ((r = db_query_string(db, "SELECT MAX(version) FROM schema_version", 0, NULL, &v)) < 0)
		return r;
	*ret = v ? atoi(v) : 0;
	return 0;
}

static bool has(char **v, const char *s)
{
	for (; v && *v; v++)
		if (streq(*v, s))
			return true;
	return false;
}

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* Every record column the table lacks (a new database: all but sensor and case). */
static int add_record_columns(struct db *db)
{
	const struct db_column *c = db_record_columns(NULL);
	char **have = NULL;
	int r = db_table_columns(db, "records", &have);

	for (; r == 0 && c->name; c++) {
		_cleanup_free_ char *sql = NULL;

		if (has(have, c->name))
			continue;
		sql = xasprintf("ALTER TABLE records ADD COLUMN \"%s\" %s", c->name,
				c->integer ? "BIGINT" : "TEXT");
		r = db_exec(db, sql);
	}
	strv_free(have);
	return r;
}

/* Inside one transaction that holds the schema lock, so that two runs opening a new database
 * at once do not both create it: SQLite's BEGIN IMMEDIATE is a write lock, PostgreSQL takes an
 * advisory lock for the transaction. */
static int ensure_locked(struct db *db, char **ret_error)
{
	int v, r;

	if (db_backend(db) == DB_POSTGRES &&
	    (r = db_exec(db, "SELECT pg_advisory_xact_lock(7282028)")) < 0)
		return r;
	if ((r = db_schema_version(db, &v)) < 0)
		return r;
	if (v > DB_SCHEMA_VERSION) {
		*ret_error =
		    xasprintf("%s has schema version %d, newer than this faultline's (%d): "
			      "use a newer faultline, or another database",
			      db_url(db), v, DB_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	for (; v < DB_SCHEMA_VERSION; v++)
		if ((r = run_sql(db, steps[v])) < 0)
			return r;
	return add_record_columns(db);
}

int db_schema_ensure(struct db *db, char **ret_error)
{
	char *error = NULL;
	int r = db_begin(db);

	if (r == 0)
		r = ensure_locked(db, &error);
	if (r == 0)
		r = db_commit(db);
	if (r == 0)
		return 0;
	db_rollback(db);
	*ret_error =
	    error ? error : xasprintf("%s: cannot set up the schema: %s", db_url(db), db_error(db));
	return r;
}
