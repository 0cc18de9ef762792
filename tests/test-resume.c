/* test-resume.c — reading back an interrupted run's records. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resume.h"
#include "util.h"

static char dir[] = "/tmp/test-resume-XXXXXX";

/* sha256("abc") and sha256("xyz") */
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_XYZ "3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282"

static struct scenario_case cases[] = {
    {.id = "one", .data = (uint8_t *)"abc", .size = 3},
    {.id = "two", .data = (uint8_t *)"xyz", .size = 3},
};
static const char *const sensors[] = {"s1", "s2"};

static void write_results(const char *text)
{
	_cleanup_free_ char *p = xasprintf("%s/results.jsonl", dir);
	ck_assert_int_eq(write_file_atomic(p, text, strlen(text)), 0);
}

START_TEST(test_marks_done_and_cuts_partial_line)
{
	_cleanup_free_ char *p = xasprintf("%s/results.jsonl", dir), *err = NULL;
	_cleanup_free_ uint8_t *after = NULL;
	struct resume_state st;
	size_t size;

	write_results("{\"sensor\":\"s1\",\"case\":\"two\",\"input_sha256\":\"" SHA_XYZ "\","
		      "\"verdict\":\"crash\",\"title\":\"BUG: x in f\\nmore\"}\n"
		      "{\"sensor\":\"s2\",\"case\":\"one\",\"input_sha256\":\"" SHA_ABC "\","
		      "\"verdict\":\"rejected\",\"title\":null,\"detail\":\"sensor rejected\"}\n"
		      "{\"sensor\":\"s1\",\"case\":\"one\",\"inpu");
	ck_assert_int_eq(resume_scan(dir, cases, 2, sensors, 2, &st, &err), 0);
	ck_assert_uint_eq(st.n_done, 2);
	ck_assert_uint_eq(st.skipped_lines, 1);
	/* [case * n_sensors + sensor] */
	ck_assert(!st.jobs[0].done);
	ck_assert(st.jobs[1].done);
	ck_assert_int_eq(st.jobs[1].verdict, VERDICT_REJECTED);
	ck_assert_str_eq(st.jobs[1].note, "sensor rejected");
	ck_assert(st.jobs[2].done);
	ck_assert_int_eq(st.jobs[2].verdict, VERDICT_CRASH);
	ck_assert_str_eq(st.jobs[2].note, "BUG: x in f");
	ck_assert(!st.jobs[3].done);
	resume_finish(&st, 4);
	/* the half-written record is gone, so the next one starts on its own line */
	ck_assert_int_eq(read_file(p, 1 << 20, &after, &size), 0);
	ck_assert_int_eq(after[size - 1], '\n');
	ck_assert_ptr_null(strstr((char *)after, "\"inpu\n"));
}
END_TEST

START_TEST(test_refuses_other_inputs)
{
	_cleanup_free_ char *err = NULL;
	struct resume_state st;

	write_results("{\"sensor\":\"s1\",\"case\":\"one\",\"input_sha256\":\"" SHA_XYZ "\","
		      "\"verdict\":\"crash\"}\n");
	ck_assert_int_eq(resume_scan(dir, cases, 2, sensors, 2, &st, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "case one: the recorded input differs"));
	free(err);
	err = NULL;
	write_results("{\"sensor\":\"s9\",\"case\":\"one\",\"input_sha256\":\"" SHA_ABC "\"}\n");
	ck_assert_int_eq(resume_scan(dir, cases, 2, sensors, 2, &st, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "s9/one"));
}
END_TEST

START_TEST(test_missing_run)
{
	_cleanup_free_ char *err = NULL;
	struct resume_state st;

	ck_assert_int_eq(resume_scan("/nonexistent", cases, 2, sensors, 2, &st, &err), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resume");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	if (!mkdtemp(dir))
		return 2;
	tcase_add_test(tc, test_marks_done_and_cuts_partial_line);
	tcase_add_test(tc, test_refuses_other_inputs);
	tcase_add_test(tc, test_missing_run);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
