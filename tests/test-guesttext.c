/* test-guesttext.c — guest text made safe: terminal controls (C0, C1, bidi), invalid UTF-8 and
 * length, as a hostile guest would send them. */
#include <check.h>
#include <string.h>

#include "guesttext.h"
#include "testlib.h"
#include "util.h"

/* A title that retitles the terminal, clears it and prints a fake line in red, with a C1 CSI. */
static const char hostile[] = "\x1b]0;owned\x07\x1b[2J\x1b[31mFAKE: all cases accepted\x1b[0m"
			      "\xc2\x9b"
			      "2J died";

START_TEST(test_controls)
{
	_cleanup_free_ char *line = guesttext_dup(hostile, sizeof(hostile) - 1, GUESTTEXT_LINE);

	ck_assert_str_eq(line, "?]0;owned??[2J?[31mFAKE: all cases accepted?[0m?2J died");
	ck_assert_ptr_null(strchr(line, 0x1b));
	ck_assert_ptr_null(strstr(line, "\xc2\x9b"));
	ck_assert(guesttext_is_clean(line, strlen(line), GUESTTEXT_LINE));
	ck_assert(!guesttext_is_clean(hostile, sizeof(hostile) - 1, GUESTTEXT_LINE));
}
END_TEST

START_TEST(test_lines)
{
	static const char text[] = "a\tb\r\nc\rd\ne\x7f\0f";
	_cleanup_free_ char *lines = guesttext_dup(text, sizeof(text) - 1, GUESTTEXT_LINES);
	_cleanup_free_ char *line = guesttext_dup(text, sizeof(text) - 1, GUESTTEXT_LINE);
	/* bidi override (U+202E) and isolate (U+2066), an ordinary non-ASCII letter */
	_cleanup_free_ char *bidi = guesttext_strdup("x\xe2\x80\xae y\xe2\x81\xa6 \xc3\xa9", 0);

	ck_assert_str_eq(lines, "a\tb\nc?d\ne??f");
	ck_assert_str_eq(line, "a b? c?d e??f");
	ck_assert_str_eq(bidi, "x? y? \xc3\xa9");
	ck_assert_ptr_null(guesttext_strdup(NULL, 0));
}
END_TEST

START_TEST(test_utf8)
{
	static const struct {
		const char *in, *out;
	} t[] = {
	    {"\xe2\x82\xac \xf0\x9f\x98\x80", "\xe2\x82\xac \xf0\x9f\x98\x80"}, /* valid */
	    {"\xff\xfe", "??"},							/* not UTF-8 */
	    {"\x80x", "?x"},		  /* stray continuation */
	    {"\xc0\xaf", "??"},		  /* overlong '/' */
	    {"\xe0\x80\xaf", "???"},	  /* overlong, 3 bytes */
	    {"\xed\xa0\x80", "???"},	  /* a surrogate */
	    {"\xf4\x90\x80\x80", "????"}, /* past U+10FFFF */
	    {"ab\xe2\x82", "ab??"},	  /* cut short */
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		_cleanup_free_ char *s = guesttext_strdup(t[i].in, GUESTTEXT_LINE);
		ck_assert_msg(streq(s, t[i].out), "case %zu: got \"%s\"", i, s);
	}
}
END_TEST

START_TEST(test_cap)
{
	size_t len = 16u << 20;
	_cleanup_free_ char *big = xmalloc(len), *s = NULL, *inplace = xstrdup("a\x1b[2Jb");

	/* euro signs: three bytes each, so that the cap falls inside one */
	for (size_t i = 0; i < len; i++)
		big[i] = "\xe2\x82\xac"[i % 3];
	s = guesttext_dup(big, len, GUESTTEXT_LINES);
	ck_assert_uint_le(strlen(s), GUESTTEXT_MAX);
	ck_assert(guesttext_is_clean(s, strlen(s), GUESTTEXT_LINES));
	ck_assert_ptr_nonnull(strstr(s, " bytes cut]"));
	ck_assert_ptr_null(strchr(s, '?'));

	guesttext_clean_str(inplace, GUESTTEXT_LINE);
	ck_assert_str_eq(inplace, "a?[2Jb");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("guesttext");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_controls);
	tcase_add_test(tc, test_lines);
	tcase_add_test(tc, test_utf8);
	tcase_add_test(tc, test_cap);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
