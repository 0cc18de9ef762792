/* test-campaign.c — a fuzz campaign directory (harness/results/campaign.h): as the report reads
 * it (campaign.json's figures, coverage.jsonl's points, a cut-off last line left out, no
 * campaign at all for a run directory); written and read back the same, byte for byte as the
 * campaign wrote it before; a file missing keys reads as zeros; the next case id kept only
 * when cases were in flight. */
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

/* A campaign.json as `faultline fuzz` wrote it before the schema moved here. */
static const char written[] = "{\n"
			      "  \"run_id\":\"fuzz-1\",\n"
			      "  \"sensor\":\"ksensor-legacy\",\n"
			      "  \"coverage\":true,\n"
			      "  \"execs\":87,\n"
			      "  \"elapsed_ms\":240000,\n"
			      "  \"rng\":18446744073709551615,\n"
			      "  \"seeds_done\":7,\n"
			      "  \"guest_runs\":86,\n"
			      "  \"guest_runs_ms\":123456,\n"
			      "  \"edges\":524,\n"
			      "  \"blocks\":385,\n"
			      "  \"corpus\":36,\n"
			      "  \"signatures\":[\n"
			      "    \"crash: BUG: a\",\n"
			      "    \"hang: b\"\n"
			      "  ],\n"
			      "  \"magic\":[\n"
			      "    5,\n"
			      "    18446744073709551615\n"
			      "  ]\n"
			      "}";

START_TEST(test_round_trip)
{
	_cleanup_free_ char *dir = xasprintf("%s/rt", testlib_tmpdir());
	_cleanup_free_ char *json = xasprintf("%s/campaign.json", dir);
	_cleanup_free_ char *jsonl = xasprintf("%s/coverage.jsonl", dir);
	_cleanup_free_ uint8_t *text = NULL;
	struct campaign *c;
	size_t n;

	ck_assert_int_eq(mkdir_p(dir), 0);
	ck_assert_int_eq(campaign_read(dir, &c), -ENOENT);
	ck_assert_int_eq(write_file_atomic(json, written, strlen(written)), 0);
	ck_assert_int_eq(campaign_read(dir, &c), 0);
	ck_assert_str_eq(c->run_id, "fuzz-1");
	ck_assert_uint_eq(c->rng, UINT64_MAX);
	ck_assert_uint_eq(c->seeds_done, 7);
	ck_assert_uint_eq(c->guest_runs_ms, 123456);
	ck_assert_uint_eq(c->n_signatures, 2);
	ck_assert_str_eq(c->signatures[1], "hang: b");
	ck_assert_uint_eq(c->n_magic, 2);
	ck_assert_uint_eq(c->magic[1], UINT64_MAX);
	/* and back: the same bytes */
	ck_assert_int_eq(unlink(json), 0);
	ck_assert_int_eq(campaign_write(dir, c), 0);
	campaign_free(c);
	ck_assert_int_eq(read_file(json, 1 << 20, &text, &n), 0);
	ck_assert_uint_eq(n, strlen(written));
	ck_assert(memcmp(text, written, n) == 0);

	/* coverage.jsonl, a line at a time, as the campaign wrote it before */
	ck_assert_int_eq(
	    campaign_point_append(dir, &(struct campaign_point){20000, 1, 117, 131, 1}), 0);
	ck_assert_int_eq(
	    campaign_point_append(dir, &(struct campaign_point){25000, 4, 120, 140, 2}), 0);
	free(text);
	text = NULL;
	ck_assert_int_eq(read_file(jsonl, 1 << 20, &text, &n), 0);
	ck_assert_str_eq((char *)text,
			 "{\"ms\":20000,\"execs\":1,\"blocks\":117,\"edges\":131,\"corpus\":1}\n"
			 "{\"ms\":25000,\"execs\":4,\"blocks\":120,\"edges\":140,\"corpus\":2}\n");
	ck_assert_ptr_nonnull(c = campaign_load(dir));
	ck_assert_uint_eq(c->n_points, 2);
	ck_assert_uint_eq(c->points[1].corpus, 2);
	campaign_free(c);
}
END_TEST

START_TEST(test_missing_keys)
{
	_cleanup_free_ char *dir = xasprintf("%s/mk", testlib_tmpdir());
	_cleanup_free_ char *json = xasprintf("%s/campaign.json", dir);
	static const char *const texts[] = {
	    "{}",
	    "{\"run_id\":5,\"sensor\":null,\"signatures\":{},\"magic\":\"x\",\"execs\":null}",
	};
	struct campaign *c;

	ck_assert_int_eq(mkdir_p(dir), 0);
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		ck_assert_int_eq(write_file_atomic(json, texts[i], strlen(texts[i])), 0);
		ck_assert_int_eq(campaign_read(dir, &c), 0);
		ck_assert_ptr_null(c->run_id);
		ck_assert_ptr_null(c->sensor);
		ck_assert_uint_eq(c->execs, 0);
		ck_assert_uint_eq(c->n_signatures, 0);
		ck_assert_uint_eq(c->n_magic, 0);
		campaign_free(c);
		ck_assert_ptr_nonnull(c = campaign_load(dir)); /* the report's: sensor "" */
		ck_assert_str_eq(c->sensor, "");
		campaign_free(c);
	}
	ck_assert_int_eq(write_file_atomic(json, "[1]", 3), 0);
	ck_assert_int_eq(campaign_read(dir, &c), -EBADMSG);
	ck_assert_ptr_null(campaign_load(dir));
}
END_TEST

/* The next case id (a --jobs campaign stopped with cases in flight): kept when past execs. */
START_TEST(test_next_case)
{
	_cleanup_free_ char *dir = xasprintf("%s/nc", testlib_tmpdir());
	struct campaign w = {.run_id = (char *)"fuzz-2", .sensor = (char *)"kref", .execs = 9};
	struct campaign *c;

	ck_assert_int_eq(mkdir_p(dir), 0);
	w.next_case = 9; /* one guest: equal, not written */
	ck_assert_int_eq(campaign_write(dir, &w), 0);
	ck_assert_int_eq(campaign_read(dir, &c), 0);
	ck_assert_uint_eq(c->next_case, 0);
	campaign_free(c);
	w.next_case = 11;
	ck_assert_int_eq(campaign_write(dir, &w), 0);
	ck_assert_int_eq(campaign_read(dir, &c), 0);
	ck_assert_uint_eq(c->next_case, 11);
	ck_assert_uint_eq(c->execs, 9);
	campaign_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("campaign");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_missing_keys);
	tcase_add_test(tc, test_next_case);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
