/* test-report-compare.c — new and gone signatures, verdict changes, and the exit status of
 * `faultline compare`, over the fixture runs in tests/data/runs/. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "compare.h"
#include "config.h"
#include "testlib.h"
#include "util.h"

#define BASE FAULTLINE_TEST_DATA "/runs/quickstart-base"
#define NEW FAULTLINE_TEST_DATA "/runs/quickstart-new"
#define PF "BUG: unable to handle page fault in ks_eval_field"
#define GPF "general protection fault in ks_parse_header"
#define LOCKUP "watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [kworker/0:1]"

static struct rundir *load(const char *dir)
{
	struct rundir *run = NULL;

	ck_assert_int_eq(rundir_load(dir, &run), 0);
	return run;
}

static void check_change(const struct compare_change *c, const char *sensor, const char *case_id,
			 const char *from, const char *to)
{
	ck_assert_str_eq(c->new->sensor, sensor);
	ck_assert_str_eq(c->base->sensor, sensor);
	ck_assert_str_eq(c->new->case_id, case_id);
	ck_assert_str_eq(c->base->case_id, case_id);
	ck_assert_str_eq(c->base->verdict, from);
	ck_assert_str_eq(c->new->verdict, to);
}

START_TEST(test_base_to_new)
{
	struct rundir *base = load(BASE), *new = load(NEW);
	struct compare_result *c;

	ck_assert_int_eq(compare_runs(base, new, &c), 0);
	ck_assert(c->regression);
	/* Same title on a sensor that did not show it before counts as new. */
	ck_assert_uint_eq(c->n_new_sigs, 2);
	ck_assert_str_eq(c->new_sigs[0].sensor, "ksensor-hardened");
	ck_assert_str_eq(c->new_sigs[0].title, PF);
	ck_assert_str_eq(c->new_sigs[0].first->case_id, "count-plus-one");
	ck_assert_uint_eq(c->new_sigs[0].count, 1);
	ck_assert_str_eq(c->new_sigs[1].sensor, "ksensor-legacy");
	ck_assert_str_eq(c->new_sigs[1].title, GPF);
	ck_assert_int_eq(c->new_sigs[1].kind, VERDICT_CRASH);

	ck_assert_uint_eq(c->n_gone_sigs, 1);
	ck_assert_str_eq(c->gone_sigs[0].sensor, "ksensor-legacy");
	ck_assert_str_eq(c->gone_sigs[0].title, LOCKUP);
	ck_assert_int_eq(c->gone_sigs[0].kind, VERDICT_HANG);
	ck_assert_uint_eq(c->n_kept_sigs, 2);

	ck_assert_uint_eq(c->n_common, 14);
	ck_assert_uint_eq(c->n_only_base, 0);
	ck_assert_uint_eq(c->n_only_new, 1);
	ck_assert_uint_eq(c->n_changes, 4);
	check_change(&c->changes[0], "ksensor-hardened", "count-plus-one", "rejected", "crash");
	check_change(&c->changes[1], "ksensor-legacy", "loop-forever", "hang", "rejected");
	check_change(&c->changes[2], "ksensor-legacy", "bitflip-3", "accepted", "crash");
	check_change(&c->changes[3], "ksensor-legacy", "truncate-4", "infra-error", "rejected");

	{
		char *buf = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&buf, &size);

		ck_assert_int_eq(compare_write_markdown(f, c, base, new), 0);
		fclose(f);
		ck_assert(strstr(buf, "**Regression: 2 new crash or hang signatures.**"));
		ck_assert(strstr(buf, "## New signatures (2)"));
		ck_assert(strstr(buf, "## Signatures no longer seen (1)"));
		ck_assert(strstr(buf, "## Verdict changes (4)"));
		ck_assert(strstr(buf, "| ksensor-legacy | loop-forever | hang | rejected |  |\n"));
		ck_assert(strstr(buf, "1 line of `results.jsonl` in the base run skipped"));
		ck_assert_ptr_null(strstr(buf, "<script"));
		free(buf);
	}
	compare_result_free(c);
	rundir_free(base);
	rundir_free(new);
}
END_TEST

START_TEST(test_reverse_and_same)
{
	struct rundir *base = load(BASE), *new = load(NEW);
	struct compare_result *c;

	/* Going back, the hang comes back: a hang signature is a regression too. */
	ck_assert_int_eq(compare_runs(new, base, &c), 0);
	ck_assert(c->regression);
	ck_assert_uint_eq(c->n_new_sigs, 1);
	ck_assert_str_eq(c->new_sigs[0].title, LOCKUP);
	ck_assert_uint_eq(c->n_gone_sigs, 2);
	ck_assert_uint_eq(c->n_only_base, 1);
	ck_assert_uint_eq(c->n_only_new, 0);
	compare_result_free(c);

	ck_assert_int_eq(compare_runs(base, base, &c), 0);
	ck_assert(!c->regression);
	ck_assert_uint_eq(c->n_new_sigs, 0);
	ck_assert_uint_eq(c->n_gone_sigs, 0);
	ck_assert_uint_eq(c->n_kept_sigs, 3);
	ck_assert_uint_eq(c->n_changes, 0);
	ck_assert_uint_eq(c->n_common, 14);
	compare_result_free(c);
	rundir_free(base);
	rundir_free(new);
}
END_TEST

static int run_cli(const char *args)
{
	_cleanup_free_ char *cmd =
	    xasprintf("'%s/faultline' %s >/dev/null 2>&1", FAULTLINE_BUILD_DIR, args);
	int st = system(cmd);

	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(test_cli_exit_status)
{
	ck_assert_int_eq(run_cli("compare '" BASE "' '" NEW "'"), 1);
	ck_assert_int_eq(run_cli("compare '" NEW "' '" NEW "'"), 0);
	ck_assert_int_eq(run_cli("compare '" BASE "'"), 2);
	ck_assert_int_eq(run_cli("compare '" BASE "' /nonexistent-run"), 2);
	ck_assert_int_eq(run_cli("compare --help"), 0);
	ck_assert_int_eq(run_cli("report --format nope '" BASE "'"), 2);
	ck_assert_int_eq(run_cli("report"), 2);
	ck_assert_int_eq(run_cli("report --format markdown '" BASE "' '" NEW "'"), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("report-compare");
	TCase *tc = tcase_create("compare");

	tcase_add_test(tc, test_base_to_new);
	tcase_add_test(tc, test_reverse_and_same);
	tcase_add_test(tc, test_cli_exit_status);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
