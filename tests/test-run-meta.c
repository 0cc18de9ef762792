/* test-run-meta.c — run.json's schema (harness/results/run-meta.h): metadata written and read
 * back is the same, in the key order the engine has always written; every fixture run's
 * run.json reads; a file missing keys, or with mistyped ones, reads as NULLs and zeros. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "run-meta.h"
#include "testlib.h"
#include "util.h"

static void example(struct run_meta *m)
{
	*m = (struct run_meta){
	    .run_id = xstrdup("quickstart-20261125-091500"),
	    .scenario = xstrdup("quickstart"),
	    .scenario_path = xstrdup("scenarios/quickstart.yaml"),
	    .started = xstrdup("2026-11-25T09:15:00Z"),
	    .faultline_version = xstrdup("0.1.0"),
	    .uri = xstrdup("qemu:///embed"),
	    .accel = xstrdup("tcg"),
	    .n_hosts = 2,
	    .hosts = xcalloc(2, sizeof(struct run_meta_host)),
	    .isolation = xstrdup("snapshot"),
	    .seed = UINT64_MAX,
	    .has_seed = true,
	    .n_sensors = 2,
	    .sensors = xcalloc(3, sizeof(char *)),
	    .host = xstrdup("ci"),
	    .campaign = xstrdup("ksensor-legacy"),
	    .resumed = true,
	    .interrupted = xstrdup("2026-11-25T09:16:00Z"),
	};
	m->hosts[0] = (struct run_meta_host){xstrdup("qemu:///embed"), true};
	m->hosts[1] = (struct run_meta_host){xstrdup("qemu+ssh://b/system"), false};
	m->sensors[0] = xstrdup("ksensor-legacy");
	m->sensors[1] = xstrdup("ksensor-hardened");
}

static char *text_of(const struct run_meta *m)
{
	json_object *o = run_meta_to_json(m);
	char *t = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return t;
}

START_TEST(test_round_trip)
{
	struct run_meta m, back;
	_cleanup_free_ char *want = NULL, *again = NULL;
	json_object *o;

	example(&m);
	want = text_of(&m);
	/* the order the engine wrote: kernel null, hosts before isolation, the end last */
	ck_assert_ptr_nonnull(strstr(want, "\"faultline_version\":\"0.1.0\",\"kernel\":null,"
					   "\"uri\":\"qemu:\\/\\/\\/embed\",\"accel\":\"tcg\","
					   "\"hosts\":[{\"uri\":"));
	ck_assert_ptr_nonnull(strstr(want, "\"isolation\":\"snapshot\",\"seed\":"
					   "18446744073709551615,\"sensors\":[\"ksensor-legacy\","
					   "\"ksensor-hardened\"],\"host\":\"ci\",\"campaign\":"
					   "\"ksensor-legacy\",\"resumed\":true,\"interrupted\":"));
	ck_assert_ptr_null(strstr(want, "finished"));
	ck_assert_ptr_null(strstr(want, "argv"));
	o = json_tokener_parse(want);
	ck_assert_int_eq(run_meta_from_json(o, &back), 0);
	json_object_put(o);
	again = text_of(&back);
	ck_assert_str_eq(again, want);
	ck_assert_uint_eq(back.seed, UINT64_MAX);
	ck_assert(!back.hosts[1].answered);
	ck_assert_ptr_null(back.kernel);
	run_meta_finish(&back);
	run_meta_finish(&m);
	ck_assert_ptr_null(m.sensors);
}
END_TEST

/* A shard's and a merge's members: written after "resumed", read back the same; a shard that
 * nobody could have run (K above N) reads as no shard. */
START_TEST(test_shards)
{
	struct run_meta m = {.jobs = 14,
			     .jobs_hash = xstrdup("abc"),
			     .shard_k = 2,
			     .shard_n = 3,
			     .shard_jobs = 5},
			back;
	_cleanup_free_ char *want = NULL, *again = NULL;
	json_object *o;

	want = text_of(&m);
	ck_assert_ptr_nonnull(strstr(want, "\"jobs\":14,\"jobs_hash\":\"abc\",\"shard\":{\"k\":2,"
					   "\"n\":3,\"jobs\":5}"));
	run_meta_finish(&m);
	m = (struct run_meta){.n_merged = 1,
			      .merged = xcalloc(1, sizeof(*m.merged)),
			      .n_missing = 2,
			      .missing = xcalloc(2, sizeof(unsigned))};
	m.merged[0] = (struct run_meta_shard){
	    .k = 1, .n = 3, .run_id = xstrdup("r"), .host = xstrdup("h"), .finished = xstrdup("t")};
	m.missing[0] = 2;
	m.missing[1] = 3;
	free(want);
	want = text_of(&m);
	ck_assert_ptr_nonnull(strstr(want, "\"merged_from\":[{\"k\":1,\"n\":3,\"run_id\":\"r\","
					   "\"host\":\"h\",\"started\":null,\"finished\":\"t\"}],"
					   "\"missing_shards\":[2,3]"));
	ck_assert_ptr_null(strstr(want, "\"shard\""));
	o = json_tokener_parse(want);
	ck_assert_int_eq(run_meta_from_json(o, &back), 0);
	json_object_put(o);
	again = text_of(&back);
	ck_assert_str_eq(again, want);
	run_meta_finish(&back);
	run_meta_finish(&m);
	o = json_tokener_parse("{\"shard\":{\"k\":4,\"n\":3,\"jobs\":1},\"jobs\":-1}");
	ck_assert_int_eq(run_meta_from_json(o, &back), 0);
	ck_assert_uint_eq(back.shard_n, 0);
	ck_assert_uint_eq(back.jobs, 0);
	json_object_put(o);
	run_meta_finish(&back);
}
END_TEST

START_TEST(test_fixtures)
{
	static const char *const runs[] = {"bootloop",	     "bootloop-edge",
					   "designs",	     "quickstart-base",
					   "quickstart-new", "quickstart-usensor"};

	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		_cleanup_free_ char *rel = xasprintf("runs/%s/run.json", runs[i]);
		_cleanup_free_ char *path = testlib_fixture_path(rel);
		struct run_meta m;

		ck_assert_int_eq(run_meta_read(path, &m), 0);
		ck_assert_ptr_nonnull(m.run_id);
		ck_assert(m.n_sensors > 0);
		free(text_of(&m));
		run_meta_finish(&m);
	}
	_cleanup_free_ char *qs = testlib_fixture_path("runs/quickstart-base/run.json");
	struct run_meta m;
	ck_assert_int_eq(run_meta_read(qs, &m), 0);
	ck_assert_str_eq(m.argv, "faultline run scenarios/quickstart.yaml");
	ck_assert_uint_eq(m.seed, 1);
	ck_assert(m.has_seed);
	run_meta_finish(&m);
}
END_TEST

START_TEST(test_missing_keys)
{
	static const char *const texts[] = {
	    "{}",
	    "{\"run_id\":7,\"seed\":\"3\",\"sensors\":{},\"hosts\":[1],\"resumed\":\"yes\"}",
	};
	struct run_meta m;

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		json_object *o = json_tokener_parse(texts[i]);
		ck_assert_int_eq(run_meta_from_json(o, &m), 0);
		ck_assert_ptr_null(m.run_id);
		ck_assert(!m.has_seed);
		ck_assert(!m.resumed);
		ck_assert_uint_eq(m.n_sensors, 0);
		ck_assert_uint_eq(m.n_hosts, i);
		free(text_of(&m));
		run_meta_finish(&m);
		json_object_put(o);
	}
	_cleanup_free_ char *bad = testlib_write_text("run.json", "[]");
	ck_assert_int_eq(run_meta_read(bad, &m), -EINVAL);
	ck_assert_int_eq(run_meta_read("/nonexistent/run.json", &m), -ENOENT);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("run-meta");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_shards);
	tcase_add_test(tc, test_fixtures);
	tcase_add_test(tc, test_missing_keys);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
