/* test-rollout-record.c — a line of rollout.jsonl (harness/results/rollout-record.h): written
 * through the results appender and read back it is the same record; its case record's members
 * come first, in results.jsonl's order, and "rollout" last; a line without "rollout" (or with
 * a mistyped one) reads with the placement empty, and one that is no record does not read. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "results.h"
#include "rollout-record.h"
#include "testlib.h"
#include "util.h"

static void example(struct rollout_record *r)
{
	rollout_record_init(r);
	r->record.run_id = xstrdup("rollout-1");
	r->record.sensor = xstrdup("ksensor-legacy");
	r->record.case_id = xstrdup("m-office-1");
	r->record.verdict = xstrdup("boot-loop");
	r->record.title = xstrdup("BUG: unable to handle page fault");
	r->record.input = xstrdup("inputs/u.bin");
	r->record.console = xstrdup("rings/consoles/ks/m-office-1.log");
	r->record.total_ms = 1234;
	r->record.reboot.first_verdict = xstrdup("crash");
	r->record.reboot.outcome = xstrdup("boot-loop");
	r->record.reboot.n_boots = 1;
	r->record.reboot.boots = xcalloc(1, sizeof(*r->record.reboot.boots));
	r->record.reboot.boots[0] =
	    (struct record_boot){.verdict = xstrdup("crash"),
				 .died_at_ms = 900,
				 .wall_ms = 5000,
				 .console = xstrdup("rings/consoles/ks/m-office-1.boot1.log")};
	r->record.reboot.recovery_wall_ms = -1;
	r->record.reboot.recovery_guest_ms = -1;
	r->variant = xstrdup("two-vendors");
	r->strategy = xstrdup("rings");
	r->ring = xstrdup("canary");
	r->profile = xstrdup("office");
	r->machine = 7;
	r->delivery = xstrdup("rollback");
}

static char *line_of(const struct rollout_record *r)
{
	json_object *o = rollout_record_to_json(r);
	char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return s;
}

START_TEST(test_round_trip)
{
	_cleanup_free_ char *dir = xasprintf("%s/ro", testlib_tmpdir());
	_cleanup_free_ char *path = xasprintf("%s/rollout.jsonl", dir);
	_cleanup_free_ char *consoles = xasprintf("%s/consoles", dir);
	_cleanup_free_ char *want = NULL, *again = NULL;
	_cleanup_free_ uint8_t *text = NULL;
	struct results *log = NULL;
	struct rollout_record r, back;
	json_object *o;
	size_t n;
	struct stat st;

	example(&r);
	want = line_of(&r);
	ck_assert_int_eq(results_open_log(dir, "rollout.jsonl", &log), 0);
	o = rollout_record_to_json(&r);
	ck_assert_int_eq(results_append(log, o), 0);
	ck_assert_int_eq(results_append(log, o), 0);
	json_object_put(o);
	log = results_close(log);
	ck_assert_int_lt(stat(consoles, &st), 0); /* a log, not a run directory */

	ck_assert_int_eq(read_file(path, 1 << 20, &text, &n), 0);
	ck_assert_uint_eq(n, 2 * (strlen(want) + 1));
	ck_assert(memcmp(text, want, strlen(want)) == 0);
	/* the case record's members first, "rollout" last */
	ck_assert(strncmp(want, "{\"run_id\":\"rollout-1\"", 21) == 0);
	ck_assert_ptr_nonnull(strstr(want, ",\"rollout\":{\"variant\":\"two-vendors\","
					   "\"strategy\":\"rings\",\"ring\":\"canary\","
					   "\"profile\":\"office\",\"machine\":7,"
					   "\"delivery\":\"rollback\"}}"));

	text[strlen(want)] = 0;
	o = json_tokener_parse((char *)text);
	ck_assert_int_eq(rollout_record_from_json(o, &back), 0);
	json_object_put(o);
	again = line_of(&back);
	ck_assert_str_eq(again, want);
	ck_assert_str_eq(back.profile, "office");
	ck_assert_uint_eq(back.machine, 7);
	ck_assert_str_eq(back.record.reboot.boots[0].console,
			 "rings/consoles/ks/m-office-1.boot1.log");
	rollout_record_finish(&back);
	rollout_record_finish(&r);
	ck_assert_ptr_null(r.profile);
}
END_TEST

START_TEST(test_missing_keys)
{
	static const char *const lines[] = {
	    "{\"sensor\":\"s\",\"case\":\"c\",\"verdict\":\"crash\"}",
	    "{\"sensor\":\"s\",\"case\":\"c\",\"verdict\":\"crash\",\"rollout\":[1]}",
	    "{\"sensor\":\"s\",\"case\":\"c\",\"verdict\":\"crash\",\"rollout\":{\"machine\":-3,"
	    "\"ring\":5,\"profile\":null}}",
	};
	struct rollout_record r;

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		json_object *o = json_tokener_parse(lines[i]);
		ck_assert_int_eq(rollout_record_from_json(o, &r), 0);
		ck_assert_str_eq(r.record.verdict, "crash");
		ck_assert_ptr_null(r.strategy);
		ck_assert_ptr_null(r.ring);
		ck_assert_ptr_null(r.profile);
		ck_assert_uint_eq(r.machine, 0);
		free(line_of(&r));
		rollout_record_finish(&r);
		json_object_put(o);
	}
	json_object *o = json_tokener_parse("{\"rollout\":{\"profile\":\"office\"}}");
	ck_assert_int_eq(rollout_record_from_json(o, &r), -EINVAL);
	ck_assert_ptr_null(r.profile);
	rollout_record_finish(&r);
	json_object_put(o);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rollout-record");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_missing_keys);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
