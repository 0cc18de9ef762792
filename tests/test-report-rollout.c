/* test-report-rollout.c — the rollout report (reports/rollout-report.c) from a summary that
 * `faultline rollout scenarios/rollout-vendors.yaml --fleet 3` wrote (tests/data/rollout/): the
 * answer first, a chart per strategy with its gates, the variant named; the same without
 * variants, and a summary missing every key renders without failing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "rollout-report.h"
#include "testlib.h"
#include "util.h"

static char *render(json_object *summary, enum reports_format format)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(rollout_report_render(f, format, summary), 0);
	fclose(f);
	return buf;
}

static json_object *fixture(void)
{
	_cleanup_free_ char *path = testlib_fixture_path("rollout/summary.json");
	json_object *o = json_object_from_file(path);

	ck_assert_ptr_nonnull(o);
	return o;
}

START_TEST(test_html)
{
	json_object *s = fixture();
	_cleanup_free_ char *html = render(s, REPORTS_HTML);
	const char *answer =
	    strstr(html, "<p class=\"lead\"><strong>all at once: 2 of 3 machines down; "
			 "rings: 1 of 3 machines down, halted at canary; two-vendors");

	ck_assert_ptr_nonnull(answer);
	/* the answer comes before any chart, and there is a chart per strategy */
	ck_assert_ptr_nonnull(strstr(html, "<svg class=\"blast\""));
	ck_assert(answer < strstr(html, "<svg class=\"blast\""));
	size_t charts = 0;
	for (const char *p = html; (p = strstr(p, "<svg class=\"blast\"")); p++)
		charts++;
	ck_assert_uint_eq(charts, 4);
	/* the canary's failed gate, red, and where the rollout stopped */
	ck_assert_ptr_nonnull(strstr(html, "stroke=\"#cf222e\" stroke-dasharray=\"4 3\""));
	ck_assert_ptr_nonnull(strstr(html, "<title>gate of canary: failed</title>"));
	ck_assert_ptr_nonnull(strstr(html, "halted at canary (30 s in)"));
	ck_assert_ptr_nonnull(strstr(html, "<h3>two-vendors/rings: 0 of 3 machines down</h3>"));
	ck_assert_ptr_nonnull(strstr(html, "variant <strong>two-vendors</strong>: office on "
					   "ksensor-legacy, build-server on ksensor-hardened"));
	ck_assert_ptr_nonnull(strstr(html, "down by profile: build-server 1, kiosk 1"));
	json_object_put(s);
}
END_TEST

START_TEST(test_markdown)
{
	json_object *s = fixture();
	_cleanup_free_ char *md = NULL, *md2 = NULL;

	md = render(s, REPORTS_MARKDOWN);
	ck_assert_ptr_nonnull(strstr(md, "| rings | canary | 1 | 1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | "
					 "failed (1 down, allows 0) |"));
	ck_assert_ptr_nonnull(strstr(md, "| two-vendors/all-at-once | **total** | 3 | 3 | 0 |"));
	/* without variants: no variant line, the same tables */
	json_object_object_del(s, "variants");
	md2 = render(s, REPORTS_MARKDOWN);
	ck_assert_ptr_nonnull(strstr(md2, "| rings | **total** | 3 | 1 | 1 |"));
	free(render(s, REPORTS_HTML));
	ck_assert_int_eq(rollout_report_render(stdout, REPORTS_JUNIT, s), -EOPNOTSUPP);
	json_object_put(s);
}
END_TEST

START_TEST(test_empty)
{
	json_object *s = json_tokener_parse("{\"strategies\": 3, \"variants\": {}}");
	_cleanup_free_ char *html = render(s, REPORTS_HTML), *md = render(s, REPORTS_MARKDOWN);

	ck_assert_ptr_nonnull(strstr(html, "<h2>Rollout</h2>"));
	ck_assert_ptr_null(strstr(html, "<svg"));
	ck_assert_ptr_nonnull(strstr(md, "# Rollout"));
	json_object_put(s);
}
END_TEST

#define HOSTILE "<script>alert(1)</script>|x*y*"

/* Every string of the summary, at any depth, replaced by HOSTILE (a tampered rollout.json). */
static void tamper(json_object *o)
{
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			json_object *v = json_object_array_get_idx(o, i);
			if (json_object_is_type(v, json_type_string))
				json_object_array_put_idx(o, i, json_object_new_string(HOSTILE));
			else
				tamper(v);
		}
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v)
		{
			if (json_object_is_type(v, json_type_string))
				json_object_object_add(o, k, json_object_new_string(HOSTILE));
			else
				tamper(v);
		}
	}
}

/* The unescaped '|' of a Markdown line: its cell borders. */
static size_t md_cells(const char *line, const char *end)
{
	size_t n = 0;

	for (const char *p = line; p < end; p++)
		if (*p == '\\' && p + 1 < end)
			p++;
		else if (*p == '|')
			n++;
	return n;
}

START_TEST(test_tampered)
{
	json_object *s = fixture(), *st;
	_cleanup_free_ char *html = NULL, *md = NULL;
	const char *p, *code;
	size_t cells = 0;

	/* names that were not strings but keys, and fields that were null */
	json_object_object_add(s, "on_gate_failure", json_object_new_string(HOSTILE));
	st = json_object_array_get_idx(json_object_object_get(s, "strategies"), 0);
	json_object_object_add(st, "variant", json_object_new_string(HOSTILE));
	json_object_object_add(json_object_object_get(st, "down_by_profile"), HOSTILE,
			       json_object_new_int(1));
	json_object_object_add(
	    json_object_object_get(
		json_object_array_get_idx(json_object_object_get(s, "variants"), 0), "sensors"),
	    HOSTILE, json_object_new_string("x"));
	tamper(s);
	html = render(s, REPORTS_HTML);
	md = render(s, REPORTS_MARKDOWN);
	ck_assert_msg(!strstr(html, "<script"), "%.60s", strstr(html, "<script"));
	ck_assert_ptr_nonnull(strstr(html, "on gate failure: &lt;script&gt;"));
	ck_assert_ptr_nonnull(strstr(html, "<title>gate of &lt;script&gt;"));
	/* Markdown: the one <script> left is the update's, inside a code span */
	code = strstr(md, "Update ` " HOSTILE " ` to a fleet");
	ck_assert_ptr_nonnull(code);
	ck_assert_ptr_eq(strstr(md, "<script"), code + strlen("Update ` "));
	ck_assert_ptr_null(strstr(code + strlen("Update ` <script"), "<script"));
	/* every table row has the header's cells: no field adds a column */
	for (p = md; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		const char *end = strchr(p, '\n') ? strchr(p, '\n') : p + strlen(p);
		if (*p != '|')
			continue;
		if (!cells)
			cells = md_cells(p, end);
		ck_assert_msg(md_cells(p, end) == cells, "%.*s", (int)(end - p), p);
	}
	ck_assert_uint_eq(cells, 13);
	ck_assert_ptr_nonnull(strstr(md, "&lt;script&gt;alert(1)&lt;/script&gt;\\|x\\*y\\* | "
					 "**total** |"));
	json_object_put(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("report-rollout");
	TCase *tc = tcase_create("report-rollout");

	tcase_add_test(tc, test_html);
	tcase_add_test(tc, test_markdown);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_tampered);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
