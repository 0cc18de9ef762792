/* test-escape.c — everything from a run must come out inert in HTML, XML and Markdown,
 * and repaired where it is not valid UTF-8 or not allowed in XML. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "testlib.h"

#define CHECK_ESC(fn, in, out)                                                                     \
	do {                                                                                       \
		char *s_ = fn(in);                                                                 \
		ck_assert_str_eq(s_, out);                                                         \
		free(s_);                                                                          \
	} while (0)

static char *md_code(const char *s, bool table)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	escape_markdown_code(f, s, table);
	fclose(f);
	return buf;
}

static char *url(const char *s)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	escape_url_path(f, s);
	fclose(f);
	return buf;
}

START_TEST(test_html)
{
	CHECK_ESC(escape_html_str, "<script>alert(\"x\")</script> & 'y'",
		  "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
	CHECK_ESC(escape_html_str, "]]>", "]]&gt;");
	CHECK_ESC(escape_html_str, "line1\nline2\ttab", "line1\nline2\ttab");
	CHECK_ESC(escape_html_str, "&lt;", "&amp;lt;");
	CHECK_ESC(escape_html_str, "", "");
	CHECK_ESC(escape_html_str, NULL, "");
}
END_TEST

START_TEST(test_xml)
{
	CHECK_ESC(escape_xml_text_str, "a ]]> b <![CDATA[ c", "a ]]&gt; b &lt;![CDATA[ c");
	CHECK_ESC(escape_xml_text_str, "q\"uo'te\n", "q\"uo'te\n");
	CHECK_ESC(escape_xml_attr_str, "a\nb\tc\"d'e<f>&",
		  "a&#10;b&#9;c&quot;d&#39;e&lt;f&gt;&amp;");
	CHECK_ESC(escape_xml_attr_str, "\r", "&#13;");
}
END_TEST

START_TEST(test_repair)
{
	/* Valid UTF-8 of every length survives. */
	CHECK_ESC(escape_xml_text_str, "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* A stray byte, an overlong encoding, a surrogate, a truncated sequence at the end. */
	CHECK_ESC(escape_xml_text_str,
		  "a\xff"
		  "b",
		  "a\xef\xbf\xbd"
		  "b");
	CHECK_ESC(escape_xml_text_str, "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_ESC(escape_xml_text_str, "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_ESC(escape_xml_text_str, "x\xe2\x82", "x\xef\xbf\xbd\xef\xbf\xbd");
	/* Characters XML 1.0 forbids: C0 controls other than tab/LF/CR, U+FFFE, U+FFFF. */
	CHECK_ESC(escape_xml_text_str, "\x01\x1b[0m", "\xef\xbf\xbd\xef\xbf\xbd[0m");
	CHECK_ESC(escape_xml_text_str, "\xef\xbf\xbe\xef\xbf\xbf", "\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_ESC(escape_html_str, "\x02<", "\xef\xbf\xbd&lt;");
}
END_TEST

START_TEST(test_markdown)
{
	CHECK_ESC(escape_markdown_str, "a|b*c_d`e<f>&[x]~#\\",
		  "a\\|b\\*c\\_d\\`e&lt;f&gt;&amp;\\[x\\]\\~\\#\\\\");
	CHECK_ESC(escape_markdown_str, "two\nlines", "two lines");
	CHECK_ESC(escape_markdown_str, "<script>alert(1)</script>",
		  "&lt;script&gt;alert(1)&lt;/script&gt;");

	char *s = md_code("faultline replay run/case", false);
	ck_assert_str_eq(s, "` faultline replay run/case `");
	free(s);
	s = md_code("a`b``c", false);
	ck_assert_str_eq(s, "``` a`b``c ```");
	free(s);
	s = md_code("x|y\nz", true);
	ck_assert_str_eq(s, "` x\\|y z `");
	free(s);
	s = md_code("x|y", false);
	ck_assert_str_eq(s, "` x|y `");
	free(s);
}
END_TEST

START_TEST(test_url)
{
	char *s = url("inputs/a b<\">&'.bin");
	ck_assert_str_eq(s, "inputs/a%20b%3C%22%3E%26%27.bin");
	free(s);
	s = url("../runs/x-1_2.~/y");
	ck_assert_str_eq(s, "../runs/x-1_2.~/y");
	free(s);
	s = url("javascript:alert(1)");
	ck_assert_str_eq(s, "javascript%3Aalert%281%29");
	free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, test_html);
	tcase_add_test(tc, test_xml);
	tcase_add_test(tc, test_repair);
	tcase_add_test(tc, test_markdown);
	tcase_add_test(tc, test_url);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
