/* test-history.c — signatures across runs (harness/history/history.h) on the fixtures of
 * tests/data/history/: the hardened sensor's crash is fixed in h2 and regressed in h3, the legacy
 * sensor's crashes are still there; first and last seen, runs and versions are counted;
 * selectors find runs by id, version and recency. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db-import.h"
#include "db-schema.h"
#include "db.h"
#include "history.h"
#include "reports.h"
#include "testlib.h"
#include "util.h"

#define X "BUG: unable to handle page fault in ks_eval_field"

static struct db *db;

static void setup(void)
{
	static int n;
	_cleanup_free_ char *url = xasprintf("sqlite:%s/h%d.db", testlib_tmpdir(), n++);
	_cleanup_free_ char *err = NULL;
	const char *runs[] = {"history/h3", "history/h1", "history/h2"}; /* any order */

	ck_assert_int_eq(db_open(url, &db, &err), 0);
	ck_assert_int_eq(db_schema_ensure(db, &err), 0);
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		_cleanup_free_ char *dir = testlib_fixture_path(runs[i]);
		struct db_import_stats st;
		ck_assert_int_eq(db_import_dir(db, dir, &st, &err), 0);
	}
}

static void teardown(void)
{
	db = db_close(db);
}

static int64_t run(const char *sel, int64_t exclude)
{
	int64_t id;

	ck_assert_int_eq(history_select(db, sel, exclude, &id), 0);
	return id;
}

static const struct history_sig *find(const struct history *h, const char *sensor,
				      const char *title)
{
	for (size_t i = 0; i < h->n_sigs; i++)
		if (streq(h->sigs[i].sensor, sensor) && streq(h->sigs[i].title, title))
			return &h->sigs[i];
	ck_abort_msg("no signature %s on %s", title, sensor);
	return NULL;
}

static enum history_status status(const char *run_sel, const char *base_sel, const char *sensor)
{
	struct history *h;
	int64_t r = run(run_sel, 0);
	enum history_status s;

	ck_assert_int_eq(history_load(db, r, run(base_sel, r), &h), 0);
	s = find(h, sensor, X)->status;
	history_free(h);
	return s;
}

START_TEST(test_fixed_then_regressed)
{
	ck_assert_int_eq(status("run:quickstart-h2", "run:quickstart-h1", "ksensor-hardened"),
			 HISTORY_FIXED);
	ck_assert_int_eq(status("run:quickstart-h3", "run:quickstart-h2", "ksensor-hardened"),
			 HISTORY_REGRESSED);
	ck_assert_int_eq(status("run:quickstart-h3", "run:quickstart-h1", "ksensor-hardened"),
			 HISTORY_STILL);
	ck_assert_int_eq(status("run:quickstart-h3", "run:quickstart-h2", "ksensor-legacy"),
			 HISTORY_STILL);
	/* seen for the first time: new */
	ck_assert_int_eq(status("run:quickstart-h1", "run:quickstart-h2", "ksensor-hardened"),
			 HISTORY_NEW);
}
END_TEST

START_TEST(test_counts)
{
	struct history *h;
	const struct history_sig *s;

	ck_assert_int_eq(history_load(db, run("last", 0), 0, &h), 0);
	ck_assert_uint_eq(h->n_sigs, 3);
	s = find(h, "ksensor-hardened", X);
	ck_assert_uint_eq(s->runs, 2);
	ck_assert_int_eq(s->occurrences, 2);
	ck_assert_str_eq(s->first_seen, "2026-12-01T10:00:30Z");
	ck_assert_str_eq(s->last_seen, "2026-12-03T10:00:30Z");
	ck_assert_str_eq(s->first_run, "quickstart-h1");
	ck_assert_str_eq(s->last_run, "quickstart-h3");
	ck_assert_str_eq(s->versions, "1.0,1.2");
	ck_assert_int_eq(s->status, HISTORY_NONE); /* no baseline */
	s = find(h, "ksensor-legacy", X);
	ck_assert_uint_eq(s->runs, 3);
	ck_assert_ptr_null(s->versions);
	history_free(h);
}
END_TEST

START_TEST(test_selectors)
{
	int64_t h1 = run("run:quickstart-h1", 0), h2 = run("run:quickstart-h2", 0),
		h3 = run("run:quickstart-h3", 0), id;

	/* by start, not by when they were imported */
	ck_assert_int_eq(run("last", 0), h3);
	ck_assert_int_eq(run("last", h3), h2);
	ck_assert_int_eq(run("version:1.0", 0), h1);
	ck_assert_int_eq(run("version:1.1", 0), h2);
	ck_assert_int_eq(history_select(db, "version:9", 0, &id), -ENOENT);
	ck_assert_int_eq(history_select(db, "run:nope", 0, &id), -ENOENT);
	ck_assert_int_eq(history_select(db, "yesterday", 0, &id), -EINVAL);
	ck_assert_int_eq(history_select(db, "run:", 0, &id), -EINVAL);
}
END_TEST

/* The HTML report's "since the baseline" section says the same. */
START_TEST(test_report_section)
{
	_cleanup_free_ char *dir = testlib_fixture_path("history/h3"), *html = NULL;
	struct rundir *rd;
	struct history *h;
	size_t size = 0;
	FILE *f = open_memstream(&html, &size);
	int64_t r3 = run("run:quickstart-h3", 0);

	ck_assert_int_eq(rundir_load(dir, &rd), 0);
	ck_assert_int_eq(history_load(db, r3, run("run:quickstart-h2", 0), &h), 0);
	ck_assert_int_eq(reports_render_since(f, REPORTS_HTML, &rd, 1, NULL, 0, h), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(html, "<h2 id=\"h-since\">Since the baseline</h2>"));
	ck_assert_ptr_nonnull(strstr(html, "1 regressed, 0 new, 0 fixed, 2 still there"));
	ck_assert_ptr_nonnull(strstr(html, "<td class=\"wrap\">regressed</td><td "
					   "class=\"wrap\">ksensor-hardened</td>"));
	free(html);
	html = NULL;
	/* without a history, no section */
	f = open_memstream(&html, &size);
	ck_assert_int_eq(reports_render(f, REPORTS_HTML, &rd, 1, NULL, 0), 0);
	fclose(f);
	ck_assert_ptr_null(strstr(html, "h-since"));
	history_free(h);
	rundir_free(rd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("history");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fixed_then_regressed);
	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_selectors);
	tcase_add_test(tc, test_report_section);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
