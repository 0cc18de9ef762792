/* test-report-formats.c — the JSON summary for dashboards and the Markdown summary for CI job
 * pages, and the report command writing them with -o. */
#include <check.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "guesttext.h"
#include "render.h"
#include "reports.h"
#include "testlib.h"
#include "util.h"

#define BASE FAULTLINE_TEST_DATA "/runs/quickstart-base"
#define BOOTLOOP FAULTLINE_TEST_DATA "/runs/bootloop"
#define BOOTLOOP_EDGE FAULTLINE_TEST_DATA "/runs/bootloop-edge"
#define HOSTILE "BUG: ]]> <script>alert(1)</script> & \"quoted\" in ks_parse"

static char *render_dir(enum reports_format format, const char *dir)
{
	struct rundir *run = NULL;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	ck_assert_int_eq(rundir_load(dir, &run), 0);
	ck_assert_int_eq(reports_render(f, format, &run, 1, NULL, 0), 0);
	fclose(f);
	rundir_free(run);
	return buf;
}

static char *render(enum reports_format format)
{
	return render_dir(format, BASE);
}

/* The value at a dotted path of object keys and array indexes, e.g. "sensors.0.sensor". */
static struct json_object *at(struct json_object *o, const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;

	for (char *k = strtok_r(copy, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &o))
			o = NULL;
		ck_assert_msg(o != NULL, "no %s in %s", k, path);
	}
	return o;
}

#define CHECK_INT(o, path, want) ck_assert_int_eq(json_object_get_int64(at(o, path)), want)
#define CHECK_STR(o, path, want) ck_assert_str_eq(json_object_get_string(at(o, path)), want)

static void check_json(struct json_object *o)
{
	CHECK_INT(o, "faultline_report", 1);
	CHECK_INT(o, "total.cases", 14);
	CHECK_INT(o, "total.verdicts.crash", 3);
	CHECK_INT(o, "total.verdicts.rejected", 5);
	CHECK_INT(o, "total.silent_accept", 2);
	CHECK_INT(o, "total.failures", 4);
	CHECK_INT(o, "total.errors", 1);
	CHECK_INT(o, "total.skipped_lines", 1);
	ck_assert_uint_eq(json_object_array_length(at(o, "runs")), 1);
	CHECK_STR(o, "runs.0.run_id", "quickstart-20261125-091500");
	ck_assert(json_object_get_boolean(at(o, "runs.0.last_line_truncated")));
	CHECK_INT(o, "runs.0.superseded", 1);
	ck_assert(json_object_object_get_ex(at(o, "runs.0"), "finished", NULL));
	ck_assert_ptr_null(json_object_object_get(at(o, "runs.0"), "finished")); /* null */

	ck_assert_uint_eq(json_object_array_length(at(o, "sensors")), 2);
	CHECK_STR(o, "sensors.0.sensor", "ksensor-legacy");
	CHECK_INT(o, "sensors.0.cases", 7);
	CHECK_INT(o, "sensors.0.verdicts.hang", 1);
	CHECK_INT(o, "sensors.0.failures", 3);
	CHECK_INT(o, "sensors.0.time_ms.median", 7000);
	CHECK_INT(o, "sensors.0.time_ms.p90", 31000);
	CHECK_INT(o, "sensors.1.expect_met", 2);
	CHECK_INT(o, "sensors.1.expect_total", 3);

	ck_assert_uint_eq(json_object_array_length(at(o, "classes")), 7);
	CHECK_STR(o, "classes.0", "seed");
	CHECK_INT(o, "matrix.0.count_plus_one.verdicts.crash", 1);
	CHECK_INT(o, "matrix.1.truncate.verdicts.rejected", 1);

	ck_assert_uint_eq(json_object_array_length(at(o, "signatures")), 3);
	CHECK_STR(o, "signatures.0.title", "BUG: unable to handle page fault in ks_eval_field");
	CHECK_INT(o, "signatures.0.count", 2);
	CHECK_INT(o, "signatures.0.time_to_verdict_min_ms", 850);
	CHECK_STR(o, "signatures.0.first.case", "field-count-mismatch");
	CHECK_STR(o, "signatures.0.first.replay",
		  "faultline replay " BASE "/field-count-mismatch --sensor ksensor-legacy");
	/* JSON escaping is json-c's: the hostile title round-trips exactly. */
	CHECK_STR(o, "signatures.1.title", HOSTILE);
	CHECK_STR(o, "signatures.2.verdict", "hang");
	/* no persistence: no machine followed */
	ck_assert_uint_eq(json_object_array_length(at(o, "recovery")), 0);
}

START_TEST(test_json)
{
	_cleanup_free_ char *text = render(REPORTS_JSON);
	struct json_object *o = json_tokener_parse(text);

	ck_assert_ptr_nonnull(o);
	check_json(o);
	json_object_put(o);
}
END_TEST

/* A run whose results.jsonl holds a guest's raw bytes (terminal controls, a C1 CSI, invalid
 * UTF-8, as an older faultline wrote them): the JSON report is still UTF-8 JSON text. */
START_TEST(test_json_hostile)
{
	static const char raw[] = "{\"sensor\":\"ks\",\"case\":\"c1\",\"verdict\":\"crash\","
				  "\"title\":\"\x1b]0;x\x07\xc2\x9b"
				  "2J\xff in f\",\"detail\":\"\xfe\"}\n";
	_cleanup_free_ char *path =
	    testlib_write("hostile-run/results.jsonl", raw, sizeof(raw) - 1);
	_cleanup_free_ char *dir = xasprintf("%s/hostile-run", testlib_tmpdir());
	_cleanup_free_ char *text = render_dir(REPORTS_JSON, dir);
	_cleanup_free_ char *copy = xmalloc(strlen(text) + 1);
	struct json_object *o = json_tokener_parse(text);

	ck_assert_uint_eq(guesttext_clean(copy, text, strlen(text), GUESTTEXT_LINES), strlen(text));
	ck_assert_str_eq(copy, text);
	ck_assert_ptr_nonnull(o);
	CHECK_STR(o, "signatures.0.title", "?]0;x??2J? in f");
	json_object_put(o);
}
END_TEST

START_TEST(test_markdown)
{
	_cleanup_free_ char *md = render(REPORTS_MARKDOWN);

	ck_assert(startswith(md, "# faultline report: quickstart\n\n14 cases on 2 sensors from 1 "
				 "run: **4 failures**, 1 infra error, 3 crash signatures.\n"));
	ck_assert(
	    strstr(md, "| ksensor-legacy | 7 | 3 | 1 | 0 | 0 | 0 | 2 (1) | 1 | 2/2 | 7.0 s |\n"));
	ck_assert(
	    strstr(md, "| ksensor-hardened | 7 | 0 | 0 | 0 | 0 | 5 | 2 (1) | 0 | 2/3 | 6.4 s |\n"));
	ck_assert(strstr(md, "1 line of `results.jsonl` in ` " BASE " ` was skipped (first at line "
			     "16); the last line is truncated"));
	ck_assert(strstr(md, "| BUG: \\]\\]&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; "
			     "\"quoted\" in ks\\_parse | crash | 1 | ksensor-legacy | 900 ms | "));
	ck_assert(strstr(md, "## Cases that fell short (5)\n"));
	ck_assert(strstr(md, "| ksensor-hardened | bitflip-3 | accepted | rejected |  |\n"));
	ck_assert(strstr(md, "| quickstart-20261125-091500 | quickstart | 6.1.0-56-amd64 | 0.1.0 | "
			     "tcg | 2026-11-25T09:15:00Z | did not finish |\n"));
	/* Raw "<script" only inside a code span (the replay command, which must stay exact to
	 * be copied), where Markdown renders it as text. */
	for (const char *p = md; (p = strstr(p, "<script")); p++) {
		const char *line = p, *open, *close;

		while (line > md && line[-1] != '\n')
			line--;
		open = strstr(line, "` faultline replay ");
		close = strstr(p, " `");
		ck_assert(open && open < p);
		ck_assert(close && !memchr(p, '\n', (size_t)(close - p)));
	}
	ck_assert(strstr(md, "quickstart-base/hostile]]>&<script>' --sensor ksensor-legacy `"));
	ck_assert_ptr_null(strstr(md, "<b>"));
}
END_TEST

/* The design comparison, for a run whose sensors were watched. */
START_TEST(test_markdown_designs)
{
	struct rundir *run = NULL;
	char *md = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&md, &size);

	ck_assert_int_eq(rundir_load(FAULTLINE_TEST_DATA "/runs/designs", &run), 0);
	ck_assert_int_eq(reports_render(f, REPORTS_MARKDOWN, &run, 1, NULL, 0), 0);
	fclose(f);
	ck_assert(strstr(md, "\n## Designs compared: the machine and the protection\n"));
	ck_assert(strstr(md, "| ksensor-legacy | 11 | 7 | 0 (0) | 0 | 3 | 0 | \xe2\x80\x93 |\n"));
	ck_assert(
	    strstr(md, "| ksensor-hardened | 11 | 0 | 0 (0) | 10 | 0 | 0 | \xe2\x80\x93 |\n"));
	ck_assert(strstr(md, "| usensor | 11 | 0 | 3 (2) | 0 | 4 | 6 | never back |\n"));
	ck_assert(strstr(md, "| rsensor | 11 | 0 | 4 (3) | 3 | 3 | 4 | never back |\n"));
	ck_assert(strstr(md, "| esensor | 11 | 0 | 2 (1) | 0 | 5 | 3 | \xe2\x80\x93 |\n"));
	free(md);
	rundir_free(run);
	/* the quickstart watched nothing: no such section */
	md = render(REPORTS_MARKDOWN);
	ck_assert_ptr_null(strstr(md, "Designs compared"));
	free(md);
}
END_TEST

/* The recovery rows, for runs with persistence: JSON numbers and nulls, Markdown's table. */
START_TEST(test_recovery)
{
	_cleanup_free_ char *text = render_dir(REPORTS_JSON, BOOTLOOP);
	_cleanup_free_ char *edge_text = render_dir(REPORTS_JSON, BOOTLOOP_EDGE);
	_cleanup_free_ char *md = render_dir(REPORTS_MARKDOWN, BOOTLOOP);
	_cleanup_free_ char *edge_md = render_dir(REPORTS_MARKDOWN, BOOTLOOP_EDGE);
	_cleanup_free_ char *plain = render(REPORTS_MARKDOWN);
	struct json_object *o = json_tokener_parse(text), *e = json_tokener_parse(edge_text);

	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(json_object_array_length(at(o, "recovery")), 4);
	CHECK_STR(o, "recovery.0.sensor", "ksensor-legacy");
	CHECK_STR(o, "recovery.0.mechanism", "none");
	CHECK_INT(o, "recovery.0.followed", 1);
	CHECK_INT(o, "recovery.0.boot_loop", 1);
	CHECK_INT(o, "recovery.0.recovered", 0);
	CHECK_INT(o, "recovery.0.loops_titles_agreed", 1);
	ck_assert_ptr_null(json_object_object_get(at(o, "recovery.0.boots_to_recovery"), "median"));
	ck_assert_ptr_null(json_object_object_get(at(o, "recovery.0.recovery_wall_ms"), "max"));
	CHECK_STR(o, "recovery.3.mechanism", "manual");
	CHECK_INT(o, "recovery.3.recovered", 1);
	CHECK_INT(o, "recovery.3.boots_to_recovery.max", 3);
	CHECK_INT(o, "recovery.3.recovery_wall_ms.median", 31200);
	CHECK_INT(o, "recovery.3.recovery_guest_ms.median", 13400);
	CHECK_INT(o, "total.verdicts.boot-loop", 1);
	CHECK_INT(o, "total.verdicts.recovered", 3);
	ck_assert_ptr_nonnull(e);
	CHECK_INT(e, "recovery.0.infra_error", 1);
	CHECK_INT(e, "recovery.0.loops_titles_agreed", 1);
	ck_assert(json_object_get_double(at(e, "recovery.1.boots_to_recovery.median")) == 2.5);
	CHECK_INT(e, "recovery.1.recovery_wall_ms.max", 40000);
	CHECK_STR(e, "recovery.2.mechanism", "<script>quick</script>");
	json_object_put(o);
	json_object_put(e);

	ck_assert(strstr(md, "\n## Recovery: does the machine come back?\n\nksensor-legacy: 1 of 1 "
			     "machines stuck in a boot loop without recovery; counter, remediation "
			     "and manual brought 3 of 3 back in 1.0\xe2\x80\x93"
			     "3.0 boots.\n\n| sensor | mechanism |"));
	ck_assert(strstr(md, "| ksensor-legacy | none | 1 | 1 | 0 | 0 | \xe2\x80\x93 | "
			     "\xe2\x80\x93 | \xe2\x80\x93 | 1 of 1 |\n"));
	ck_assert(strstr(md, "| ksensor-legacy | counter | 1 | 0 | 1 | 0 | 2.0, 2 | 21.4 s, 21.4 s "
			     "| 8.3 s | \xe2\x80\x93 |\n"));
	ck_assert(strstr(edge_md, "| ksensor-legacy | none | 4 | 2 | 1 | 1 | 1.0, 1 | 12.0 s, "
				  "12.0 s | 5.0 s | 1 of 2 |\n"));
	ck_assert(strstr(edge_md,
			 "| &lt;b&gt;esensor&lt;/b&gt; | &lt;script&gt;quick&lt;/script&gt; "
			 "| 1 | 0 | 1 |"));
	ck_assert_ptr_null(strstr(edge_md, "<b>"));
	ck_assert_ptr_null(strstr(plain, "Recovery"));
}
END_TEST

START_TEST(test_cli_output_file)
{
	const char *dir = testlib_tmpdir();
	_cleanup_free_ char *out = NULL, *cmd = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	struct json_object *o;
	size_t size;

	out = xasprintf("%s/summary.json", dir);
	cmd = xasprintf("'%s/faultline' report --format json -o '%s' '" BASE "' 2>/dev/null",
			FAULTLINE_BUILD_DIR, out);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(read_file(out, 1 << 20, &data, &size), 0);
	o = json_tokener_parse((char *)data);
	ck_assert_ptr_nonnull(o);
	check_json(o);
	json_object_put(o);

	/* --max-rows reaches the file too: over the limit, only cases that fell short. */
	free(out);
	free(cmd);
	free(data);
	data = NULL;
	out = xasprintf("%s/report.html", dir);
	cmd = xasprintf("'%s/faultline' report --max-rows 3 -o '%s' '" BASE "' 2>/dev/null",
			FAULTLINE_BUILD_DIR, out);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(read_file(out, 1 << 20, &data, &size), 0);
	ck_assert(strstr((char *)data, "14 cases are too many to list: here are the 5 that fell "
				       "short (4 failures, 1 infra error), the first of them."));
}
END_TEST

START_TEST(test_numbers)
{
	char b[32];

	ck_assert_str_eq(render_count(b, 0), "0");
	ck_assert_str_eq(render_count(b, 999), "999");
	ck_assert_str_eq(render_count(b, 1000), "1,000");
	ck_assert_str_eq(render_count(b, 100000), "100,000");
	ck_assert_str_eq(render_count(b, 1234567), "1,234,567");
	ck_assert_str_eq(render_percent(b, 4, 7), "57%");
	ck_assert_str_eq(render_percent(b, 1, 15), "6.7%");
	ck_assert_str_eq(render_percent(b, 1, 10000), "0.01%");
	ck_assert_str_eq(render_percent(b, 3, 3), "100%");
	ck_assert_str_eq(render_percent(b, 0, 0), "0%");
	ck_assert_str_eq(render_ms(b, -1), "\xe2\x80\x93");
	ck_assert_str_eq(render_ms(b, 950), "950 ms");
	ck_assert_str_eq(render_ms(b, 7400), "7.4 s");
	ck_assert_str_eq(render_ms(b, 185000), "3 min 05 s");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("report-formats");
	TCase *tc = tcase_create("formats");

	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_json_hostile);
	tcase_add_test(tc, test_markdown);
	tcase_add_test(tc, test_markdown_designs);
	tcase_add_test(tc, test_recovery);
	tcase_add_test(tc, test_cli_output_file);
	tcase_add_test(tc, test_numbers);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
