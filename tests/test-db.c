/* test-db.c — the results database on SQLite files (harness/history/db*.h): a new database gets
 * the current schema; an older one (version 1) is migrated, its rows kept; a newer one is
 * refused; importing a run directory stores every record, and a second import adds nothing; a
 * record read back from the database is the record written, member for member; URLs of no
 * known kind and unreachable servers are refused with a message. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "db-import.h"
#include "db-schema.h"
#include "db.h"
#include "history.h"
#include "rundir.h"
#include "testlib.h"
#include "util.h"

static struct db *open_fresh(const char *name)
{
	_cleanup_free_ char *url = xasprintf("sqlite:%s/%s", testlib_tmpdir(), name);
	_cleanup_free_ char *err = NULL;
	struct db *db;

	ck_assert_int_eq(db_open(url, &db, &err), 0);
	return db;
}

static long count(struct db *db, const char *sql)
{
	_cleanup_free_ char *v = NULL;

	ck_assert_int_eq(db_query_string(db, sql, 0, NULL, &v), 0);
	return v ? atol(v) : -1;
}

START_TEST(test_new_schema)
{
	struct db *db = open_fresh("new.db");
	_cleanup_free_ char *err = NULL;
	int v;
	bool exists;

	ck_assert_int_eq(db_schema_version(db, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(db_schema_ensure(db, &err), 0);
	ck_assert_int_eq(db_schema_version(db, &v), 0);
	ck_assert_int_eq(v, DB_SCHEMA_VERSION);
	const char *tables[] = {"runs", "records", "signatures", "run_sensors", "schema_version"};
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		ck_assert_int_eq(db_table_exists(db, tables[i], &exists), 0);
		ck_assert_msg(exists, "no table %s", tables[i]);
	}
	/* opening again changes nothing */
	ck_assert_int_eq(db_schema_ensure(db, &err), 0);
	ck_assert_int_eq(count(db, "SELECT COUNT(*) FROM schema_version"), 1);
	db_close(db);
}
END_TEST

/* Every member of the record schema has its column, derived, not listed. */
START_TEST(test_record_columns)
{
	struct db *db = open_fresh("cols.db");
	_cleanup_free_ char *err = NULL;
	char **have = NULL;
	size_t n;
	const struct db_column *c = db_record_columns(&n);
	const char *want[] = {"sensor",
			      "case",
			      "verdict",
			      "title",
			      "timings_total_ms",
			      "agent_errno",
			      "reboot",
			      "reused_guest_run_verdict",
			      "faultline_version",
			      "mutations"};

	ck_assert_int_eq(db_schema_ensure(db, &err), 0);
	ck_assert_int_eq(db_table_columns(db, "records", &have), 0);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		bool found = false;
		for (size_t k = 0; k < n; k++)
			found |= streq(c[k].name, want[i]);
		ck_assert_msg(found, "no column %s derived", want[i]);
	}
	for (size_t k = 0; k < n; k++) {
		bool found = false;
		for (char **p = have; *p; p++)
			found |= streq(*p, c[k].name);
		ck_assert_msg(found, "records lacks column %s", c[k].name);
	}
	for (char **p = have; *p; p++)
		free(*p);
	free(have);
	db_close(db);
}
END_TEST

START_TEST(test_migrate_v1)
{
	struct db *db = open_fresh("old.db");
	_cleanup_free_ char *err = NULL;
	const char *p[] = {"old-run", "ci"};
	int v;

	ck_assert_int_eq(db_schema_create_v1(db), 0);
	ck_assert_int_eq(
	    db_query(db, "INSERT INTO runs (run_id, host) VALUES ($1, $2)", 2, p, NULL, NULL), 0);
	ck_assert_int_eq(db_schema_version(db, &v), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(db_schema_ensure(db, &err), 0);
	ck_assert_int_eq(db_schema_version(db, &v), 0);
	ck_assert_int_eq(v, DB_SCHEMA_VERSION);
	ck_assert_int_eq(count(db, "SELECT COUNT(*) FROM runs WHERE run_id = 'old-run'"), 1);
	/* what version 2 added is there */
	ck_assert_int_eq(count(db, "SELECT COUNT(*) FROM runs WHERE content_sha256 IS NULL"), 1);
	ck_assert_int_eq(count(db, "SELECT COUNT(*) FROM run_sensors"), 0);
	db_close(db);
}
END_TEST

START_TEST(test_newer_refused)
{
	struct db *db = open_fresh("newer.db");
	_cleanup_free_ char *err = NULL, *err2 = NULL;

	ck_assert_int_eq(db_schema_ensure(db, &err), 0);
	ck_assert_int_eq(db_exec(db, "UPDATE schema_version SET version = 99"), 0);
	ck_assert_int_eq(db_schema_ensure(db, &err2), -EPROTONOSUPPORT);
	ck_assert_ptr_nonnull(strstr(err2, "schema version 99, newer than"));
	db_close(db);
}
END_TEST

START_TEST(test_bad_urls)
{
	struct db *db;
	char *err = NULL;

	ck_assert_int_eq(db_open("mysql://x", &db, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a database URL"));
	free(err);
	err = NULL;
	ck_assert_int_eq(db_open("sqlite:/nonexistent-dir/x/y.db", &db, &err), -EIO);
	ck_assert_ptr_nonnull(strstr(err, "cannot open SQLite database"));
	free(err);
	err = NULL;
	/* a server that is not there: refused at once, with libpq's reason */
	ck_assert_int_eq(db_open("postgresql:///x?host=/nonexistent-socket-dir", &db, &err), -EIO);
	ck_assert_ptr_nonnull(strstr(err, "cannot connect to PostgreSQL"));
	free(err);
}
END_TEST

START_TEST(test_redact)
{
	const char *cases[][2] = {
	    {"postgresql://ci:s3cret@db.example/faultline",
	     "postgresql://ci:***@db.example/faultline"},
	    {"postgres://ci@db.example/f", "postgres://ci@db.example/f"},
	    {"postgresql:///f?host=/run/postgresql", "postgresql:///f?host=/run/postgresql"},
	    {"postgresql://db.example:5432/f", "postgresql://db.example:5432/f"},
	    {"sqlite:a:b@c", "sqlite:a:b@c"},
	    {"--db", "--db"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *r = db_url_redact(cases[i][0]);
		ck_assert_str_eq(r, cases[i][1]);
	}
}
END_TEST

static char *line_of(const struct record *r)
{
	json_object *o = record_to_json(r);
	char *t = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return t;
}

/* A fixture run imported twice: every record once; read back, each is the record written. */
static void import_twice(const char *fixture, const char *dbname)
{
	struct db *db = open_fresh(dbname);
	_cleanup_free_ char *dir = testlib_fixture_path(fixture), *err = NULL;
	struct db_import_stats st;
	struct rundir *d, *back;
	int64_t id;

	ck_assert_int_eq(db_schema_ensure(db, &err), 0);
	ck_assert_int_eq(rundir_load(dir, &d), 0);
	ck_assert_int_eq(db_import_dir(db, dir, &st, &err), 0);
	ck_assert_uint_eq(st.records, d->n_records);
	ck_assert_uint_eq(st.added, d->n_records);
	ck_assert_int_eq(db_import_dir(db, dir, &st, &err), 0);
	ck_assert_uint_eq(st.added, 0);
	ck_assert_int_eq(count(db, "SELECT COUNT(*) FROM records"), (long)d->n_records);
	ck_assert_int_eq(count(db, "SELECT COUNT(*) FROM runs"), 1);

	ck_assert_int_eq(history_find_run(db, d->run_id, &id), 0);
	ck_assert_int_eq(history_load_run(db, id, &back), 0);
	ck_assert_uint_eq(back->n_records, d->n_records);
	ck_assert_str_eq(back->run_id, d->run_id);
	for (size_t i = 0; i < d->n_records; i++) {
		_cleanup_free_ char *a = line_of(&d->records[i]), *b = line_of(&back->records[i]);
		ck_assert_str_eq(b, a);
	}
	rundir_free(back);
	rundir_free(d);
	db_close(db);
}

START_TEST(test_import_quickstart)
{
	import_twice("runs/quickstart-new", "qs.db");
}
END_TEST

START_TEST(test_import_bootloop)
{
	/* reboot sections (arrays of boots) and reused-guest runs kept as JSON */
	import_twice("runs/bootloop", "boot.db");
}
END_TEST

START_TEST(test_import_not_a_run)
{
	struct db *db = open_fresh("none.db");
	_cleanup_free_ char *err = NULL, *err2 = NULL;
	struct db_import_stats st;

	ck_assert_int_eq(db_schema_ensure(db, &err), 0);
	ck_assert_int_eq(db_import_dir(db, testlib_tmpdir(), &st, &err2), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err2, "not a run directory"));
	db_close(db);
}
END_TEST

/* The run's versions and content hash from run.json reach the database. */
START_TEST(test_versions)
{
	struct db *db = open_fresh("ver.db");
	_cleanup_free_ char *dir = testlib_fixture_path("history/h2"), *err = NULL, *v = NULL;
	struct db_import_stats st;

	ck_assert_int_eq(db_schema_ensure(db, &err), 0);
	ck_assert_int_eq(db_import_dir(db, dir, &st, &err), 0);
	ck_assert_int_eq(db_query_string(db,
					 "SELECT version FROM run_sensors WHERE sensor = "
					 "'ksensor-hardened'",
					 0, NULL, &v),
			 0);
	ck_assert_str_eq(v, "1.1");
	ck_assert_int_eq(count(db, "SELECT COUNT(*) FROM run_sensors WHERE version IS NULL"), 1);
	ck_assert_int_eq(count(db, "SELECT COUNT(*) FROM runs WHERE content_sha256 LIKE '5f1c%'"),
			 1);
	db_close(db);
}
END_TEST

/* Two processes writing records one transaction each into one SQLite file at once: every row
 * is there, none missed (the second waits for the first's lock). */
static void writer_child(const char *url, const char *fixture, int k)
{
	_cleanup_free_ char *dir = testlib_fixture_path(fixture);
	_cleanup_free_ char *meta_path = xasprintf("%s/run.json", dir), *err = NULL;
	struct db_writer *w;
	struct rundir *d;
	struct run_meta m;

	if (rundir_load(dir, &d) < 0 || run_meta_read(meta_path, &m) < 0 ||
	    db_writer_open(url, &w, &err) < 0)
		_exit(3);
	for (int rep = 0; rep < 20; rep++) {
		free(m.run_id);
		m.run_id = xasprintf("writer-%d-%d", k, rep);
		db_writer_run(w, &m, dir);
		for (size_t i = 0; i < d->n_records; i++) {
			json_object *o = record_to_json(&d->records[i]);
			db_writer_record(w, o);
			json_object_put(o);
		}
	}
	_exit(db_writer_missed(w, NULL) == 0 && db_writer_written(w) == 20 * d->n_records ? 0 : 4);
}

START_TEST(test_two_writers)
{
	_cleanup_free_ char *url = xasprintf("sqlite:%s/two.db", testlib_tmpdir());
	struct db *db;
	pid_t pids[2];
	int status;

	for (int k = 0; k < 2; k++) {
		pids[k] = fork();
		ck_assert_int_ge(pids[k], 0);
		if (pids[k] == 0)
			writer_child(url, k ? "history/h2" : "history/h1", k);
	}
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(waitpid(pids[k], &status, 0), pids[k]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d: status %d",
			      k, status);
	}
	db = open_fresh("two.db");
	ck_assert_int_eq(count(db, "SELECT COUNT(*) FROM runs"), 40);
	ck_assert_int_eq(count(db, "SELECT COUNT(*) FROM records"), 2 * 20 * 6);
	/* h1 has the hardened crash, h2 not: 20 runs' worth; the legacy one in all 40 */
	ck_assert_int_eq(count(db, "SELECT occurrences FROM signatures WHERE sensor = "
				   "'ksensor-hardened'"),
			 20);
	db_close(db);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("db");

	tcase_add_test(tc, test_new_schema);
	tcase_add_test(tc, test_record_columns);
	tcase_add_test(tc, test_migrate_v1);
	tcase_add_test(tc, test_newer_refused);
	tcase_add_test(tc, test_bad_urls);
	tcase_add_test(tc, test_redact);
	tcase_add_test(tc, test_import_quickstart);
	tcase_add_test(tc, test_import_bootloop);
	tcase_add_test(tc, test_import_not_a_run);
	tcase_add_test(tc, test_versions);
	tcase_add_test(tc, test_two_writers);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
