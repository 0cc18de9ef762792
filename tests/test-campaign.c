/* test-campaign.c — a fuzz campaign directory as the report reads it (harness/results/campaign.h):
 * campaign.json's figures, coverage.jsonl's points (a cut-off last line left out), and no
 * campaign at all for a run directory. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "testlib.h"
#include "util.h"

START_TEST(test_load)
{
	_cleanup_free_ char *dir = xasprintf("%s/c", testlib_tmpdir());
	_cleanup_free_ char *json = xasprintf("%s/campaign.json", dir);
	_cleanup_free_ char *jsonl = xasprintf("%s/coverage.jsonl", dir);
	struct campaign *c;

	ck_assert_int_eq(mkdir_p(dir), 0);
	ck_assert_ptr_null(campaign_load(dir)); /* a run directory, not a campaign */
	static const char state[] = "{\"sensor\":\"ksensor-legacy\",\"coverage\":true,"
				    "\"execs\":87,\"elapsed_ms\":240000,\"edges\":524,"
				    "\"blocks\":385,\"corpus\":36,\"signatures\":[\"a\",\"b\"],"
				    "\"magic\":[5,6,7],\"rng\":18446744073709551615}";
	ck_assert_int_eq(write_file_atomic(json, state, strlen(state)), 0);
	ck_assert_ptr_nonnull(c = campaign_load(dir));
	ck_assert_str_eq(c->sensor, "ksensor-legacy");
	ck_assert(c->coverage);
	ck_assert_uint_eq(c->execs, 87);
	ck_assert_uint_eq(c->edges, 524);
	ck_assert_uint_eq(c->n_signatures, 2);
	ck_assert_uint_eq(c->n_magic, 3);
	ck_assert_uint_eq(c->n_points, 0);
	campaign_free(c);

	static const char points[] = "{\"ms\":20000,\"execs\":1,\"blocks\":117,\"edges\":131,"
				     "\"corpus\":1}\n"
				     "{\"ms\":25000,\"execs\":4,\"blocks\":120,\"edges\":140,"
				     "\"corpus\":2}\n"
				     "{\"ms\":260";
	ck_assert_int_eq(write_file_atomic(jsonl, points, strlen(points)), 0);
	ck_assert_ptr_nonnull(c = campaign_load(dir));
	ck_assert_uint_eq(c->n_points, 2);
	ck_assert_uint_eq(c->points[1].ms, 25000);
	ck_assert_uint_eq(c->points[1].edges, 140);
	campaign_free(c);
	campaign_free(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("campaign");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_load);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
