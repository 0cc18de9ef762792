/* test-kmatrix.c — the report's kernel matrix over a fixture run (tests/data/runs/kernel-matrix):
 * sensors and kernel/arch columns in order of appearance, the worst verdict per cell with its
 * distinct signatures, an empty cell where a sensor did not run on a kernel, and no table for
 * a run whose records name no kernel. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kmatrix.h"
#include "testlib.h"
#include "util.h"

#define RUN FAULTLINE_TEST_DATA "/runs/kernel-matrix"

START_TEST(test_cells)
{
	struct rundir *run = NULL;
	struct kmatrix *m = NULL;
	const struct kmatrix_cell *c;

	ck_assert_int_eq(rundir_load(RUN, &run), 0);
	kmatrix_build(&run, 1, &m);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->n_sensors, 3);
	ck_assert_str_eq(m->sensors[0], "ksensor-legacy");
	ck_assert_str_eq(m->sensors[2], "esensor");
	ck_assert_uint_eq(m->n_columns, 3);
	ck_assert_str_eq(m->columns[0], "debian-11/amd64");
	ck_assert_str_eq(m->columns[2], "debian-13/amd64");
	/* legacy on 5.10: a crash is worse than the hang; both titles, the hang's as 5.10 says it
	 */
	c = kmatrix_cell(m, 0, 0);
	ck_assert_uint_eq(c->n, 3);
	ck_assert_int_eq(c->worst, VERDICT_CRASH);
	ck_assert_uint_eq(c->n_titles, 2);
	ck_assert_str_eq(c->titles[0], "BUG: unable to handle page fault in ks_parse_instance");
	ck_assert_str_eq(c->titles[1], "watchdog: BUG: soft lockup - CPU#0 stuck in ks_write");
	/* hardened: the seed taken and the malformed input refused is a rejecting cell */
	c = kmatrix_cell(m, 1, 1);
	ck_assert_int_eq(c->worst, VERDICT_REJECTED);
	ck_assert_uint_eq(c->n_titles, 0);
	ck_assert_int_eq(kmatrix_cell(m, 2, 0)->worst, VERDICT_INFRA_ERROR);
	ck_assert_uint_eq(kmatrix_cell(m, 2, 2)->n, 0); /* esensor never ran on debian-13 */
	kmatrix_free(m);
	rundir_free(run);
}
END_TEST

START_TEST(test_markdown_and_none)
{
	struct rundir *run = NULL;
	struct kmatrix *m = NULL;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	ck_assert_int_eq(rundir_load(RUN, &run), 0);
	kmatrix_build(&run, 1, &m);
	kmatrix_markdown(f, m);
	fclose(f);
	ck_assert_ptr_nonnull(
	    strstr(buf, "| sensor | debian-11/amd64 | debian-12/amd64 | debian-13/amd64 |\n"));
	ck_assert_ptr_nonnull(
	    strstr(buf, "| esensor | **infra-error** (1) | **accepted** (1) | – |"));
	/* the seed taken ranks below a rejection: hardened's cell says rejected */
	ck_assert_ptr_nonnull(strstr(buf, "| ksensor-hardened | **rejected** (2) |"));
	free(buf);
	kmatrix_free(m);
	rundir_free(run);

	ck_assert_int_eq(rundir_load(FAULTLINE_TEST_DATA "/runs/quickstart-base", &run), 0);
	kmatrix_build(&run, 1, &m);
	ck_assert_ptr_null(m);
	rundir_free(run);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kmatrix");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_cells);
	tcase_add_test(tc, test_markdown_and_none);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
