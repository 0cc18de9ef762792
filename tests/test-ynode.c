/* test-ynode.c — the YAML reader's typed getters: each accepts what it is asked for, and for
 * anything else leaves its output alone and reports exactly one diag, at the node's own line and
 * column, saying what was expected. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "testlib.h"
#include "util.h"
#include "ynode.h"

#define FILE_NAME "t.yaml"

static struct ynode *doc;
static struct diags diags;
static struct ynode_ctx ctx;

static void parse(const char *text, size_t len)
{
	ynode_free(doc);
	diags_finish(&diags);
	diags = (struct diags){0};
	ctx = (struct ynode_ctx){.file = FILE_NAME, .diags = &diags};
	doc = NULL;
	ck_assert_int_eq(ynode_parse(FILE_NAME, text, len, &diags, &doc), 0);
	ck_assert_uint_eq(diags.n, 0);
}

static const struct ynode *at(const char *key)
{
	const struct ynode *n = ynode_get(doc, key);

	ck_assert_ptr_nonnull(n);
	return n;
}

/* The last getter added exactly one diag (the n-th), this one, and counted it. */
static void expect_diag(size_t n, unsigned line, unsigned column, const char *message)
{
	const struct diag *d;

	ck_assert_uint_eq(diags.n, n);
	ck_assert_uint_eq(ctx.errors, n);
	d = &diags.v[n - 1];
	ck_assert_str_eq(d->file, FILE_NAME);
	ck_assert_str_eq(d->message, message);
	ck_assert_uint_eq(d->line, line);
	ck_assert_uint_eq(d->column, column);
}

static void teardown(void)
{
	doc = ynode_free(doc);
	diags_finish(&diags);
	diags = (struct diags){0};
}

START_TEST(test_string)
{
	static const char text[] = "ok: hello\n"
				   "list: [1]\n"
				   "empty: ''\n"
				   "nul: \"a\\0b\"\n"
				   "lines: \"one\\ntwo\"\n";

	parse(text, strlen(text));
	ck_assert_str_eq(ynode_want_string(&ctx, at("ok"), "ok", YNODE_NONEMPTY), "hello");
	ck_assert_str_eq(ynode_want_string(&ctx, at("empty"), "empty", 0), "");
	ck_assert_str_eq(ynode_want_string(&ctx, at("lines"), "lines", 0), "one\ntwo");
	/* an absent key is no error */
	ck_assert_ptr_null(ynode_want_string(&ctx, NULL, "absent", YNODE_NONEMPTY));
	ck_assert_uint_eq(diags.n, 0);

	ck_assert_ptr_null(ynode_want_string(&ctx, at("list"), "list", 0));
	expect_diag(1, 2, 7, "list must be a string, not a list");
	ck_assert_ptr_null(ynode_want_string(&ctx, at("empty"), "empty", YNODE_NONEMPTY));
	expect_diag(2, 3, 8, "empty is empty; expected a value");
	ck_assert_ptr_null(ynode_want_string(&ctx, at("nul"), "nul", 0));
	expect_diag(3, 4, 6, "nul contains a NUL character; expected text");
	ck_assert_ptr_null(ynode_want_string(&ctx, at("lines"), "lines", YNODE_ONE_LINE));
	expect_diag(4, 5, 8, "lines spans several lines; expected one line");
}
END_TEST

START_TEST(test_bool)
{
	static const char text[] = "on: on\n"
				   "no: false\n"
				   "quoted: 'true'\n"
				   "word: maybe\n"
				   "map: {a: 1}\n";
	bool b = false;

	parse(text, strlen(text));
	ck_assert(ynode_want_bool(&ctx, at("on"), "on", &b));
	ck_assert(b);
	ck_assert(ynode_want_bool(&ctx, at("no"), "no", &b));
	ck_assert(!b);
	ck_assert(!ynode_want_bool(&ctx, NULL, "absent", &b));
	ck_assert_uint_eq(diags.n, 0);

	b = true;
	ck_assert(!ynode_want_bool(&ctx, at("quoted"), "quoted", &b));
	expect_diag(1, 3, 9, "quoted must be true or false, not quoted 'true'");
	ck_assert(!ynode_want_bool(&ctx, at("word"), "word", &b));
	expect_diag(2, 4, 7, "word must be true or false, not 'maybe'");
	ck_assert(!ynode_want_bool(&ctx, at("map"), "map", &b));
	expect_diag(3, 5, 6, "map must be true or false, not a map");
	ck_assert(b); /* untouched */
}
END_TEST

START_TEST(test_numbers)
{
	static const char text[] = "n: 0x10\n"
				   "big: 11\n"
				   "huge: 18446744073709551616\n"
				   "word: lots\n"
				   "neg: -5\n"
				   "low: -11\n"
				   "quoted: '3'\n";
	uint64_t u = 99;
	int64_t i = 99;

	parse(text, strlen(text));
	ck_assert(ynode_want_uint(&ctx, at("n"), "n", 1, 16, &u));
	ck_assert_uint_eq(u, 16);
	ck_assert(ynode_want_int(&ctx, at("neg"), "neg", -10, 10, &i));
	ck_assert_int_eq(i, -5);
	ck_assert_uint_eq(diags.n, 0);

	u = 99;
	i = 99;
	ck_assert(!ynode_want_uint(&ctx, at("big"), "big", 1, 10, &u));
	expect_diag(1, 2, 6, "big '11' is out of range; expected 1 to 10");
	ck_assert(!ynode_want_uint(&ctx, at("huge"), "huge", 0, UINT64_MAX, &u));
	expect_diag(2, 3, 7,
		    "huge '18446744073709551616' is out of range; expected 0 to "
		    "18446744073709551615");
	ck_assert(!ynode_want_uint(&ctx, at("word"), "word", 0, 10, &u));
	expect_diag(3, 4, 7, "word must be a whole number, not 'lots'");
	ck_assert(!ynode_want_uint(&ctx, at("neg"), "neg", 0, 10, &u));
	expect_diag(4, 5, 6, "neg must be a whole number, not '-5'");
	ck_assert(!ynode_want_uint(&ctx, at("quoted"), "quoted", 0, 10, &u));
	expect_diag(5, 7, 9, "quoted must be a whole number, not '3'");
	ck_assert(!ynode_want_int(&ctx, at("low"), "low", -10, 10, &i));
	expect_diag(6, 6, 6, "low '-11' is out of range; expected -10 to 10");
	ck_assert(!ynode_want_int(&ctx, at("word"), "word", -10, 10, &i));
	expect_diag(7, 4, 7, "word must be a whole number, not 'lots'");
	ck_assert_uint_eq(u, 99);
	ck_assert_int_eq(i, 99);
}
END_TEST

START_TEST(test_duration)
{
	static const char text[] = "two: 2m\n"
				   "half: 1.5\n"
				   "soon: soon\n"
				   "zero: 0\n"
				   "long: 48h\n"
				   "list: [1s]\n"
				   "short: 50ms\n";
	uint64_t ms = 7;

	parse(text, strlen(text));
	ck_assert(ynode_want_duration(&ctx, at("two"), "two", 1, 60000 * 5, &ms));
	ck_assert_uint_eq(ms, 120000);
	ck_assert(ynode_want_duration(&ctx, at("half"), "half", 0, YNODE_DURATION_MAX_MS, &ms));
	ck_assert_uint_eq(ms, 1500);
	ck_assert(ynode_want_duration(&ctx, at("zero"), "zero", 0, 1000, &ms));
	ck_assert_uint_eq(ms, 0);
	ck_assert_uint_eq(diags.n, 0);

	ms = 7;
	ck_assert(!ynode_want_duration(&ctx, at("soon"), "soon", 0, 1000, &ms));
	expect_diag(1, 3, 7,
		    "bad soon 'soon'; expected a duration like 30s, 500ms, 2m or a number of "
		    "seconds");
	ck_assert(!ynode_want_duration(&ctx, at("zero"), "zero", 1, 60000, &ms));
	expect_diag(2, 4, 7, "zero '0' is out of range; expected more than 0 and at most 60 s");
	/* past the parser's day, and past a caller's bound, read the same */
	ck_assert(!ynode_want_duration(&ctx, at("long"), "long", 0, YNODE_DURATION_MAX_MS, &ms));
	expect_diag(3, 5, 7, "long '48h' is out of range; expected at most 24 h");
	ck_assert(!ynode_want_duration(&ctx, at("short"), "short", 100, 1500, &ms));
	expect_diag(4, 7, 8, "short '50ms' is out of range; expected from 100 ms to 1500 ms");
	ck_assert(!ynode_want_duration(&ctx, at("list"), "list", 0, 1000, &ms));
	expect_diag(5, 6, 7, "list must be a duration like 30s, 500ms or 2m, not a list");
	ck_assert_uint_eq(ms, 7);
}
END_TEST

START_TEST(test_enum)
{
	static const char *const accels[] = {"auto", "tcg", "kvm", NULL};
	static const char text[] = "ok: kvm\n"
				   "bad: hvf\n"
				   "empty: ''\n";

	parse(text, strlen(text));
	/* the list's own string, which outlives the tree */
	ck_assert_ptr_eq(ynode_want_enum(&ctx, at("ok"), "ok", accels), accels[2]);
	ck_assert_uint_eq(diags.n, 0);
	ck_assert_ptr_null(ynode_want_enum(&ctx, at("bad"), "accel", accels));
	expect_diag(1, 2, 6, "bad accel 'hvf'; expected one of: auto, tcg, kvm");
	ck_assert_ptr_null(ynode_want_enum(&ctx, at("empty"), "accel", accels));
	expect_diag(2, 3, 8, "accel is empty; expected a value");
}
END_TEST

START_TEST(test_map_seq_keys)
{
	static const char *const allowed[] = {"a", "b", NULL};
	static const char text[] = "scalar: 1\n"
				   "map: {a: 1, zz: 2}\n"
				   "empty: []\n"
				   "one: [x]\n";

	parse(text, strlen(text));
	ck_assert(ynode_want_map(&ctx, at("map"), "map", NULL));
	ck_assert(ynode_want_seq(&ctx, at("empty"), "empty", NULL, 0));
	ck_assert(ynode_want_seq(&ctx, at("one"), "one", NULL, 1));
	ck_assert(!ynode_want_map(&ctx, NULL, "absent", NULL));
	ck_assert(!ynode_want_seq(&ctx, NULL, "absent", NULL, 1));
	ck_assert(ynode_want_keys(&ctx, doc, "the file",
				  (const char *const[]){"scalar", "map", "empty", "one", NULL}));
	ck_assert_uint_eq(diags.n, 0);

	ck_assert(!ynode_want_map(&ctx, at("scalar"), "scalar", "a: ..."));
	expect_diag(1, 1, 9, "scalar must be a map (a: ...), not a scalar");
	ck_assert(!ynode_want_map(&ctx, at("one"), "one", NULL));
	expect_diag(2, 4, 6, "one must be a map, not a list");
	ck_assert(!ynode_want_seq(&ctx, at("map"), "map", "things", 0));
	expect_diag(3, 2, 6, "map must be a list of things, not a map");
	ck_assert(!ynode_want_seq(&ctx, at("empty"), "empty", "things", 1));
	expect_diag(4, 3, 8, "empty is empty; expected at least one");
	ck_assert(!ynode_want_seq(&ctx, at("one"), "one", NULL, 2));
	expect_diag(5, 4, 6, "one has 1 items; expected at least 2");
	ck_assert(!ynode_want_keys(&ctx, at("map"), "map", allowed));
	expect_diag(6, 2, 13, "unknown key 'zz' in map; expected one of: a, b");
	/* a problem of the file as a whole has no place */
	ynode_error(&ctx, NULL, "whole %s", "file");
	expect_diag(7, 0, 0, "whole file");
}
END_TEST

START_TEST(test_parse_duration)
{
	uint64_t ms;

	ck_assert_int_eq(ynode_parse_duration_ms("500ms", &ms), 0);
	ck_assert_uint_eq(ms, 500);
	ck_assert_int_eq(ynode_parse_duration_ms("1h", &ms), 0);
	ck_assert_uint_eq(ms, 3600000);
	ck_assert_int_eq(ynode_parse_duration_ms("3min", &ms), 0);
	ck_assert_uint_eq(ms, 180000);
	ck_assert_int_eq(ynode_parse_duration_ms("24h", &ms), 0);
	ck_assert_int_eq(ynode_parse_duration_ms("25h", &ms), -ERANGE);
	ck_assert_int_eq(ynode_parse_duration_ms("-1s", &ms), -EINVAL);
	ck_assert_int_eq(ynode_parse_duration_ms("", &ms), -EINVAL);
	ck_assert_int_eq(ynode_parse_duration_ms("5 s", &ms), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ynode");
	TCase *tc = tcase_create("getters");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_string);
	tcase_add_test(tc, test_bool);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_enum);
	tcase_add_test(tc, test_map_seq_keys);
	tcase_add_test(tc, test_parse_duration);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
