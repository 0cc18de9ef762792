/* test-rollout-summary.c — rollout.json's schema (harness/results/rollout-summary.h): a summary
 * written and read back is the same summary; the fixture `faultline rollout` wrote reads and
 * writes back byte for byte; a summary missing keys or with mistyped ones reads as empty. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rollout-summary.h"
#include "testlib.h"
#include "util.h"

static struct rollout_summary_tally tally(uint64_t base)
{
	return (struct rollout_summary_tally){base + 1, base + 2, base + 3, base + 4, base + 5,
					      base + 6, base + 7, base + 8, base + 9, base + 10};
}

/* A summary with every member set, and two strategies (one with a gate, one variant's). */
static void example(struct rollout_summary *s)
{
	struct rollout_summary_strategy *st;

	*s = (struct rollout_summary){
	    .answer = xstrdup("all at once: 2 of 3 machines down"),
	    .run_id = xstrdup("r1"),
	    .scenario = xstrdup("sc"),
	    .seed = UINT64_MAX,
	    .update = xstrdup("u"),
	    .fleet = 3,
	    .on_gate_failure = xstrdup("rollback"),
	    .n_profiles = 1,
	    .profiles = xcalloc(1, sizeof(*s->profiles)),
	    .n_variants = 1,
	    .variants = xcalloc(1, sizeof(*s->variants)),
	    .n_strategies = 2,
	    .strategies = xcalloc(2, sizeof(*s->strategies)),
	    .wall_ms = 1234,
	    .guest_runs = 6,
	    .machines_per_min = 3.1194272731526493,
	    .note = xstrdup("n"),
	};
	s->profiles[0] = (struct rollout_summary_profile){xstrdup("office"), xstrdup("ks"), 50, 3};
	s->variants[0] = (struct rollout_summary_variant){
	    .name = xstrdup("v"),
	    .n_sensors = 1,
	    .sensors = xcalloc(1, sizeof(struct rollout_summary_pair))};
	s->variants[0].sensors[0] =
	    (struct rollout_summary_pair){xstrdup("office"), xstrdup("ks2")};
	for (size_t k = 0; k < 2; k++) {
		st = &s->strategies[k];
		*st = (struct rollout_summary_strategy){
		    .variant = k ? xstrdup("v") : NULL,
		    .name = xstrdup(k ? "rings" : "all-at-once"),
		    .stopped_at = k ? xstrdup("canary") : NULL,
		    .interrupted = k,
		    .wall_ms = 10 + k,
		    .end_ms = 20 + k,
		    .total = tally(100 * k),
		    .n_down_by_profile = 1,
		    .down_by_profile = xcalloc(1, sizeof(*st->down_by_profile)),
		    .n_rings = 1,
		    .rings = xcalloc(1, sizeof(*st->rings)),
		    .n_timeline = 2,
		    .timeline = xcalloc(2, sizeof(*st->timeline)),
		};
		st->down_by_profile[0] = (struct rollout_summary_count){xstrdup("office"), 2};
		st->rings[0] = (struct rollout_summary_ring){
		    .name = xstrdup(k ? "canary" : "all"),
		    .machines = 3,
		    .reached = true,
		    .start_ms = 5,
		    .bake_ms = 30000,
		    .has_gate = k,
		    .gate = k ? (struct rollout_summary_gate){30000, false, 1, 0}
			      : (struct rollout_summary_gate){0},
		    .tally = tally(10 * k),
		};
		st->timeline[0] = (struct rollout_summary_point){1800, 1};
		st->timeline[1] = (struct rollout_summary_point){3191, 2};
	}
}

static char *text_of(const struct rollout_summary *s)
{
	json_object *o = rollout_summary_to_json(s);
	char *t = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));

	json_object_put(o);
	return t;
}

START_TEST(test_round_trip)
{
	_cleanup_free_ char *path = xasprintf("%s/rollout.json", testlib_tmpdir());
	_cleanup_free_ char *before = NULL, *after = NULL;
	struct rollout_summary s, back;

	example(&s);
	ck_assert_int_eq(rollout_summary_write(path, &s), 0);
	ck_assert_int_eq(rollout_summary_read(path, &back), 0);
	/* every member: the two write the same text, and a sample of them compares directly */
	before = text_of(&s);
	after = text_of(&back);
	ck_assert_str_eq(before, after);
	ck_assert_uint_eq(back.seed, UINT64_MAX);
	ck_assert_str_eq(back.on_gate_failure, "rollback");
	ck_assert_uint_eq(back.n_variants, 1);
	ck_assert_str_eq(back.variants[0].sensors[0].value, "ks2");
	ck_assert_ptr_null(back.strategies[0].variant);
	ck_assert(!back.strategies[0].rings[0].has_gate);
	ck_assert(back.strategies[1].rings[0].has_gate);
	ck_assert_uint_eq(back.strategies[1].rings[0].gate.at_ms, 30000);
	ck_assert_uint_eq(back.strategies[1].total.infra_error, 110);
	ck_assert_uint_eq(back.strategies[1].rings[0].tally.crash, 13);
	ck_assert_uint_eq(back.strategies[1].timeline[1].t_ms, 3191);
	ck_assert_uint_eq(back.strategies[1].down_by_profile[0].n, 2);
	ck_assert(back.strategies[1].interrupted);
	ck_assert(back.machines_per_min == s.machines_per_min);
	rollout_summary_finish(&s);
	rollout_summary_finish(&back);
	ck_assert_ptr_null(back.strategies);
}
END_TEST

/* What `faultline rollout` wrote reads and writes back unchanged, byte for byte. */
START_TEST(test_fixture_bytes)
{
	_cleanup_free_ char *path = testlib_fixture_path("rollout/summary.json");
	_cleanup_free_ char *out = xasprintf("%s/again.json", testlib_tmpdir());
	_cleanup_free_ uint8_t *want = NULL, *got = NULL;
	size_t n_want, n_got;
	struct rollout_summary s;

	ck_assert_int_eq(rollout_summary_read(path, &s), 0);
	ck_assert_uint_eq(s.n_strategies, 4);
	ck_assert_str_eq(s.strategies[1].stopped_at, "canary");
	ck_assert_int_eq(rollout_summary_write(out, &s), 0);
	rollout_summary_finish(&s);
	ck_assert_int_eq(read_file(path, 1 << 20, &want, &n_want), 0);
	ck_assert_int_eq(read_file(out, 1 << 20, &got, &n_got), 0);
	ck_assert_uint_eq(n_got, n_want);
	ck_assert(memcmp(got, want, n_want) == 0);
}
END_TEST

START_TEST(test_missing_keys)
{
	static const char *const texts[] = {
	    "{}",
	    "{\"strategies\": 3, \"variants\": {}, \"profiles\": [1, null], \"seed\": null}",
	    "{\"strategies\": [{\"rings\": [{\"gate\": 7}], \"timeline\": [3, [1]],"
	    " \"down_by_profile\": []}], \"variants\": [{\"sensors\": {\"a\": null}}]}",
	};
	struct rollout_summary s;

	for (size_t i = 0; i < 3; i++) {
		json_object *o = json_tokener_parse(texts[i]);
		ck_assert_int_eq(rollout_summary_from_json(o, &s), 0);
		ck_assert_ptr_null(s.answer);
		ck_assert_uint_eq(s.seed, 0);
		ck_assert_uint_eq(s.fleet, 0);
		if (i == 2) {
			ck_assert_uint_eq(s.n_strategies, 1);
			ck_assert(!s.strategies[0].rings[0].has_gate);
			ck_assert_ptr_null(s.strategies[0].rings[0].name);
			ck_assert_uint_eq(s.strategies[0].n_timeline, 2);
			ck_assert_uint_eq(s.strategies[0].timeline[1].t_ms, 1);
			ck_assert_uint_eq(s.strategies[0].timeline[1].down, 0);
			ck_assert_uint_eq(s.strategies[0].n_down_by_profile, 0);
			ck_assert_ptr_null(s.variants[0].sensors[0].value);
		} else
			ck_assert_uint_eq(s.n_strategies, 0);
		free(text_of(&s)); /* and writes */
		rollout_summary_finish(&s);
		json_object_put(o);
	}
	/* not an object, not JSON, no file */
	json_object *a = json_tokener_parse("[1]");
	ck_assert_int_eq(rollout_summary_from_json(a, &s), -EINVAL);
	json_object_put(a);
	_cleanup_free_ char *bad = testlib_write_text("bad.json", "{\"answer\": ");
	ck_assert_int_eq(rollout_summary_read(bad, &s), -EINVAL);
	ck_assert_int_eq(rollout_summary_read("/nonexistent/rollout.json", &s), -ENOENT);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rollout-summary");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_fixture_bytes);
	tcase_add_test(tc, test_missing_keys);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
