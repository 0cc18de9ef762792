/* test-resume.c — reading back an interrupted run's records for `run --resume`. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "resume.h"
#include "testlib.h"
#include "util.h"

/* sha256("abc") and sha256("xyz") */
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_XYZ "3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282"

static struct scenario_case cases[] = {
    {.id = "one", .data = (uint8_t *)"abc", .size = 3},
    {.id = "two", .data = (uint8_t *)"xyz", .size = 3},
};
static const char *const sensors[] = {"s1", "s2"};

/* results.jsonl (and run.json when meta is not NULL) of a run in the folder NAME. */
static char *write_run(const char *name, const char *results, const char *meta)
{
	_cleanup_free_ char *rel = xasprintf("%s/results.jsonl", name);

	free(testlib_write_text(rel, results));
	if (meta) {
		free(rel);
		rel = xasprintf("%s/run.json", name);
		free(testlib_write_text(rel, meta));
	}
	return xasprintf("%s/%s", testlib_tmpdir(), name);
}

START_TEST(test_marks_done_and_cuts_partial_line)
{
	_cleanup_free_ char *dir =
	    write_run("cut",
		      "{\"sensor\":\"s1\",\"case\":\"two\",\"input_sha256\":\"" SHA_XYZ "\","
		      "\"verdict\":\"crash\",\"title\":\"BUG: x in f\\nmore\"}\n"
		      "{\"sensor\":\"s2\",\"case\":\"one\",\"input_sha256\":\"" SHA_ABC "\","
		      "\"verdict\":\"rejected\",\"title\":null,\"detail\":\"sensor rejected\"}\n"
		      "{\"sensor\":\"s1\",\"case\":\"one\",\"inpu",
		      "{\"run_id\":\"r-1\"}");
	_cleanup_free_ char *p = xasprintf("%s/results.jsonl", dir), *err = NULL;
	_cleanup_free_ uint8_t *after = NULL;
	struct resume_state st;
	size_t size;

	ck_assert_int_eq(resume_scan(dir, cases, 2, sensors, 2, &st, &err), 0);
	ck_assert_uint_eq(st.n_done, 2);
	ck_assert_uint_eq(st.skipped_lines, 1);
	ck_assert_str_eq(st.run_id, "r-1");
	/* [case * n_sensors + sensor] */
	ck_assert(!st.jobs[0].done);
	ck_assert(st.jobs[1].done);
	ck_assert_int_eq(st.jobs[1].verdict, VERDICT_REJECTED);
	ck_assert_ptr_null(st.jobs[1].title);
	ck_assert_str_eq(st.jobs[1].note, "sensor rejected");
	ck_assert(st.jobs[2].done);
	ck_assert_int_eq(st.jobs[2].verdict, VERDICT_CRASH);
	ck_assert_str_eq(st.jobs[2].title, "BUG: x in f\nmore");
	ck_assert_str_eq(st.jobs[2].note, "BUG: x in f");
	ck_assert(!st.jobs[3].done);
	resume_finish(&st, 4);
	/* the half-written record is gone, so the next one starts on its own line */
	ck_assert_int_eq(read_file(p, 1 << 20, &after, &size), 0);
	ck_assert_int_eq(after[size - 1], '\n');
	ck_assert_ptr_null(strstr((char *)after, "\"inpu\n"));
	ck_assert_ptr_null(strstr((char *)after, "{\"sensor\":\"s1\",\"case\":\"one\""));
}
END_TEST

/* A retried case has two lines: the last one counts, once. An unknown verdict is taken as an
 * infra error (the case is not run again); a job whose last record is an infra-error is run
 * again (the harness could not run it); a line that is no record is skipped. */
START_TEST(test_last_record_wins)
{
	_cleanup_free_ char *dir =
	    write_run("retry",
		      "{\"sensor\":\"s1\",\"case\":\"one\",\"input_sha256\":\"" SHA_ABC "\","
		      "\"verdict\":\"infra-error\",\"detail\":\"libvirt error: gone\"}\n"
		      "not a record\n"
		      "{\"sensor\":\"s1\",\"case\":\"one\",\"input_sha256\":\"" SHA_ABC "\","
		      "\"verdict\":\"hang\",\"title\":\"BUG: soft lockup\"}\n"
		      "{\"sensor\":\"s2\",\"case\":\"two\",\"input_sha256\":\"" SHA_XYZ "\","
		      "\"verdict\":\"quarantined\"}\n"
		      "{\"sensor\":\"s2\",\"case\":\"one\",\"input_sha256\":\"" SHA_ABC "\","
		      "\"verdict\":\"infra-error\",\"detail\":\"host error: disk full\"}\n",
		      NULL);
	_cleanup_free_ char *err = NULL;
	struct resume_state st;

	ck_assert_int_eq(resume_scan(dir, cases, 2, sensors, 2, &st, &err), 0);
	ck_assert_uint_eq(st.n_done, 2);
	ck_assert_uint_eq(st.skipped_lines, 1);
	ck_assert_ptr_null(st.run_id);
	ck_assert_int_eq(st.jobs[0].verdict, VERDICT_HANG);
	ck_assert_str_eq(st.jobs[0].note, "BUG: soft lockup");
	ck_assert(st.jobs[3].done);
	ck_assert_int_eq(st.jobs[3].verdict, VERDICT_INFRA_ERROR);
	ck_assert_str_eq(st.jobs[3].note, "");
	ck_assert(!st.jobs[1].done);
	resume_finish(&st, 4);
}
END_TEST

START_TEST(test_refuses_other_inputs)
{
	_cleanup_free_ char *dir =
	    write_run("changed",
		      "{\"sensor\":\"s1\",\"case\":\"one\",\"input_sha256\":\"" SHA_XYZ "\","
		      "\"verdict\":\"crash\"}\n",
		      NULL);
	_cleanup_free_ char *err = NULL;
	struct resume_state st;

	ck_assert_int_eq(resume_scan(dir, cases, 2, sensors, 2, &st, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "case one: the recorded input differs"));
	free(err);
	err = NULL;
	free(dir);
	dir = write_run("foreign",
			"{\"sensor\":\"s9\",\"case\":\"one\",\"input_sha256\":\"" SHA_ABC "\","
			"\"verdict\":\"crash\"}\n",
			NULL);
	ck_assert_int_eq(resume_scan(dir, cases, 2, sensors, 2, &st, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "s9/one"));
}
END_TEST

START_TEST(test_missing_run)
{
	_cleanup_free_ char *err = NULL;
	struct resume_state st;

	ck_assert_int_eq(resume_scan("/nonexistent", cases, 2, sensors, 2, &st, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/results.jsonl"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("resume");
	TCase *tc = tcase_create("resume");

	tcase_add_test(tc, test_marks_done_and_cuts_partial_line);
	tcase_add_test(tc, test_last_record_wins);
	tcase_add_test(tc, test_refuses_other_inputs);
	tcase_add_test(tc, test_missing_run);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
