/* test-results.c — the result store (append-only, one line per record) and result records. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "results.h"
#include "util.h"

static char dir[] = "/tmp/test-results-XXXXXX";

static json_object *field(json_object *o, const char *k)
{
	json_object *v = NULL;
	json_object_object_get_ex(o, k, &v);
	return v;
}

START_TEST(test_append_lines)
{
	_cleanup_free_ char *run = xasprintf("%s/run", dir),
			    *jsonl = xasprintf("%s/results.jsonl", run);
	_cleanup_free_ uint8_t *text = NULL;
	struct results *r = NULL;
	size_t size;

	ck_assert_int_eq(results_open(run, &r), 0);
	for (int i = 0; i < 3; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "n", json_object_new_int(i));
		json_object_object_add(o, "text", json_object_new_string("a\nb \"q\""));
		ck_assert_int_eq(results_append(r, o), 0);
		json_object_put(o);
	}
	results_close(r);
	ck_assert_int_eq(read_file(jsonl, 1 << 20, &text, &size), 0);
	ck_assert_str_eq((char *)text, "{\"n\":0,\"text\":\"a\\nb \\\"q\\\"\"}\n"
				       "{\"n\":1,\"text\":\"a\\nb \\\"q\\\"\"}\n"
				       "{\"n\":2,\"text\":\"a\\nb \\\"q\\\"\"}\n");
	/* reopening appends, never truncates */
	ck_assert_int_eq(results_open(run, &r), 0);
	json_object *o = json_object_new_object();
	ck_assert_int_eq(results_append(r, o), 0);
	json_object_put(o);
	results_close(r);
	free(text);
	text = NULL;
	ck_assert_int_eq(read_file(jsonl, 1 << 20, &text, &size), 0);
	ck_assert_ptr_nonnull(strstr((char *)text, "\"n\":2"));
	ck_assert_str_eq((char *)text + size - 3, "{}\n");
}
END_TEST

START_TEST(test_record_fields)
{
	struct record_context ctx = {.run_id = "r1", .scenario = "s", .kernel = "6.1"};
	struct scenario_expect ex = {.sensor = "ks", .verdict = "crash"};
	struct scenario_case c = {.id = "c1",
				  .name = "c1",
				  .seed = 5,
				  .seed_file = "seed.kscu",
				  .mutations_json = "[{\"op\":\"truncate\",\"size\":3}]",
				  .data = (uint8_t *)"abc",
				  .size = 3,
				  .expects = &ex,
				  .n_expects = 1};
	struct case_result res;
	json_object *o;

	case_result_init(&res);
	res.verdict = VERDICT_CRASH;
	res.title = xstrdup("BUG: unable to handle page fault in ks_eval_field");
	res.total_ms = 1234;
	res.agent_outcome = 0;
	o = record_build(&ctx, "ks", &c, &res, "consoles/ks/c1.log");
	ck_assert_str_eq(json_object_get_string(field(o, "verdict")), "crash");
	ck_assert_str_eq(json_object_get_string(field(o, "title")), res.title);
	ck_assert_str_eq(json_object_get_string(field(o, "input")), "inputs/c1.bin");
	ck_assert_str_eq(json_object_get_string(field(o, "input_sha256")),
			 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_str_eq(json_object_get_string(field(o, "expect")), "crash");
	ck_assert(json_object_get_boolean(field(o, "matched")));
	ck_assert_int_eq(json_object_array_length(field(o, "mutations")), 1);
	ck_assert_int_eq(json_object_get_int(field(field(o, "timings"), "total_ms")), 1234);
	ck_assert_str_eq(json_object_get_string(field(field(o, "agent"), "outcome")), "accepted");
	ck_assert_ptr_null(field(o, "reused_guest_run"));
	json_object_put(o);

	/* another sensor has no expectation: matched is null */
	o = record_build(&ctx, "other", &c, &res, "consoles/other/c1.log");
	ck_assert_ptr_null(field(o, "expect"));
	ck_assert_ptr_null(field(o, "matched"));
	json_object_put(o);

	/* a reuse confirmation carries the first run */
	res.confirmed = true;
	res.first_verdict = VERDICT_HANG;
	res.flaky = true;
	o = record_build(&ctx, "ks", &c, &res, "consoles/ks/c1.log");
	ck_assert_str_eq(json_object_get_string(field(field(o, "reused_guest_run"), "verdict")),
			 "hang");
	ck_assert(json_object_get_boolean(field(o, "flaky")));
	json_object_put(o);
	case_result_finish(&res);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("results");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	if (!mkdtemp(dir))
		return 2;
	tcase_add_test(tc, test_append_lines);
	tcase_add_test(tc, test_record_fields);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
