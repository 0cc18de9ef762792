/* test-results.c — the result store: append-only, one line per record, never truncated. The
 * records themselves are test-record.c's. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "results.h"
#include "testlib.h"
#include "util.h"

static void append_one(struct results *r, json_object *o)
{
	ck_assert_int_eq(results_append(r, o), 0);
	json_object_put(o);
}

START_TEST(test_append_lines)
{
	_cleanup_free_ char *run = xasprintf("%s/run", testlib_tmpdir()),
			    *jsonl = xasprintf("%s/results.jsonl", run);
	_cleanup_free_ uint8_t *text = NULL;
	struct results *r = NULL;
	size_t size;

	ck_assert_int_eq(results_open(run, &r), 0);
	for (int i = 0; i < 3; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "n", json_object_new_int(i));
		json_object_object_add(o, "text", json_object_new_string("a\nb \"q\""));
		append_one(r, o);
	}
	results_close(r);
	ck_assert_int_eq(read_file(jsonl, 1 << 20, &text, &size), 0);
	ck_assert_str_eq((char *)text, "{\"n\":0,\"text\":\"a\\nb \\\"q\\\"\"}\n"
				       "{\"n\":1,\"text\":\"a\\nb \\\"q\\\"\"}\n"
				       "{\"n\":2,\"text\":\"a\\nb \\\"q\\\"\"}\n");
	/* reopening appends, never truncates */
	ck_assert_int_eq(results_open(run, &r), 0);
	append_one(r, json_object_new_object());
	results_close(r);
	free(text);
	text = NULL;
	ck_assert_int_eq(read_file(jsonl, 1 << 20, &text, &size), 0);
	ck_assert_ptr_nonnull(strstr((char *)text, "\"n\":2"));
	ck_assert_str_eq((char *)text + size - 3, "{}\n");
}
END_TEST

START_TEST(test_meta_and_layout)
{
	_cleanup_free_ char *run = xasprintf("%s/meta", testlib_tmpdir()),
			    *meta = xasprintf("%s/run.json", run);
	_cleanup_free_ uint8_t *text = NULL;
	struct results *r = NULL;
	const struct run_meta m = {.run_id = (char *)"r1"};
	struct stat st;
	size_t size;

	ck_assert_int_eq(results_open(run, &r), 0);
	ck_assert_int_eq(results_write_meta(r, &m), 0);
	results_close(r);
	ck_assert_int_eq(read_file(meta, 1 << 20, &text, &size), 0);
	ck_assert(strncmp((char *)text, "{\n  \"run_id\":\"r1\",\n", 18) == 0);
	ck_assert_str_eq((char *)text + size - 3, "\n}\n");
	free(meta);
	meta = xasprintf("%s/inputs", run);
	ck_assert_int_eq(stat(meta, &st), 0);
	free(meta);
	meta = xasprintf("%s/consoles", run);
	ck_assert_int_eq(stat(meta, &st), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("results");
	TCase *tc = tcase_create("store");

	tcase_add_test(tc, test_append_lines);
	tcase_add_test(tc, test_meta_and_layout);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
