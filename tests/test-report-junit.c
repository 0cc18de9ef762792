/* test-report-junit.c — JUnit XML: well-formed (xmllint), one testsuite per sensor, one testcase
 * per case, failures and errors where they belong, hostile strings inert. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "reports.h"
#include "testlib.h"
#include "util.h"

#define BASE FAULTLINE_TEST_DATA "/runs/quickstart-base"
#define NEW FAULTLINE_TEST_DATA "/runs/quickstart-new"

static struct rundir *load(const char *d)
{
	struct rundir *run = NULL;

	ck_assert_int_eq(rundir_load(d, &run), 0);
	return run;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Output of a shell command, trailing newline removed; the command must exit 0. */
static char *sh(const char *cmd)
{
	_cleanup_free_ char *full = xasprintf("%s 2>&1", cmd);
	FILE *p = popen(full, "r");
	char *buf = NULL;
	size_t cap = 0, n;
	int st;

	ck_assert_ptr_nonnull(p);
	n = getdelim(&buf, &cap, 0, p);
	st = pclose(p);
	if ((ssize_t)n < 0) {
		free(buf); /* getdelim may allocate even when there is nothing to read */
		buf = xstrdup("");
	} else if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "'%s' failed: %s", cmd, buf);
	return buf;
}

static char *xpath(const char *file, const char *expr)
{
	_cleanup_free_ char *cmd = xasprintf("xmllint --xpath '%s' '%s'", expr, file);

	return sh(cmd);
}

#define CHECK_XPATH(file, expr, want)                                                              \
	do {                                                                                       \
		char *v_ = xpath(file, expr);                                                      \
		ck_assert_str_eq(v_, want);                                                        \
		free(v_);                                                                          \
	} while (0)

static char *render(struct rundir **runs, size_t n, const char *name)
{
	char *path = xasprintf("%s/%s", testlib_tmpdir(), name);

	ck_assert_int_eq(reports_write_file(path, REPORTS_JUNIT, runs, n, 0), 0);
	return path;
}

START_TEST(test_structure)
{
	struct rundir *run = load(BASE);
	_cleanup_free_ char *path = render(&run, 1, "one.xml");
	_cleanup_free_ char *cmd = xasprintf("xmllint --noout '%s'", path);
	_cleanup_free_ uint8_t *xml = NULL;
	size_t size;
	char *out;

	/* xmllint comes from Debian's libxml2-utils; the well-formedness check is the point. */
	out = sh(cmd);
	free(out);

	CHECK_XPATH(path, "count(/testsuites/testsuite)", "2");
	CHECK_XPATH(path, "count(/testsuites/testsuite/testcase)", "14");
	CHECK_XPATH(path, "string(/testsuites/@tests)", "14");
	CHECK_XPATH(path, "string(/testsuites/@failures)", "4");
	CHECK_XPATH(path, "string(/testsuites/@errors)", "1");
	CHECK_XPATH(path, "string(/testsuites/testsuite[1]/@name)", "ksensor-legacy");
	CHECK_XPATH(path, "string(/testsuites/testsuite[1]/@tests)", "7");
	CHECK_XPATH(path, "string(/testsuites/testsuite[1]/@failures)", "3");
	CHECK_XPATH(path, "string(/testsuites/testsuite[1]/@errors)", "1");
	CHECK_XPATH(path, "string(/testsuites/testsuite[1]/@time)", "67.500");
	CHECK_XPATH(path, "string(/testsuites/testsuite[1]/@timestamp)", "2026-11-25T09:15:00");
	CHECK_XPATH(path, "string(/testsuites/testsuite[2]/@id)", "1");
	CHECK_XPATH(path, "string(/testsuites/testsuite[2]/@package)", "quickstart");
	CHECK_XPATH(path, "count(/testsuites/testsuite[1]/testcase[failure])", "3");
	CHECK_XPATH(path, "count(/testsuites/testsuite[1]/testcase[error])", "1");
	CHECK_XPATH(path, "string(/testsuites/testsuite[2]/@name)", "ksensor-hardened");
	CHECK_XPATH(path, "count(/testsuites/testsuite[2]/testcase[failure])", "1");
	CHECK_XPATH(path, "count(/testsuites/testsuite[2]/testcase[error])", "0");
	CHECK_XPATH(path,
		    "string(/testsuites/testsuite[1]/properties/property[@name=\"kernel\"]/@value)",
		    "6.1.0-56-amd64");

	/* A crash without expect fails with the title as message and the report as body. */
	CHECK_XPATH(path,
		    "string(//testsuite[1]/testcase[@name=\"count-plus-one\"]/failure/@message)",
		    "BUG: unable to handle page fault in ks_eval_field");
	CHECK_XPATH(path, "string(//testsuite[1]/testcase[@name=\"count-plus-one\"]/failure/@type)",
		    "crash");
	CHECK_XPATH(path, "string(//testsuite[1]/testcase[@name=\"count-plus-one\"]/@classname)",
		    "quickstart.ksensor-legacy");
	CHECK_XPATH(path, "string(//testsuite[1]/testcase[@name=\"count-plus-one\"]/@time)",
		    "7.100");
	CHECK_XPATH(path,
		    "substring-after(//testsuite[1]/testcase[@name=\"count-plus-one\"]/failure,"
		    "\"Kernel panic\")",
		    " - not syncing: Fatal exception");
	/* A crash that was expected passes; an accepted input expected rejected fails. */
	CHECK_XPATH(path, "count(//testsuite[1]/testcase[@name=\"field-count-mismatch\"]/*)", "0");
	CHECK_XPATH(path, "string(//testsuite[2]/testcase[@name=\"bitflip-3\"]/failure/@message)",
		    "verdict accepted, expected rejected");
	CHECK_XPATH(path, "string(//testsuite[1]/testcase[@name=\"truncate-4\"]/error/@message)",
		    "infra-error: libvirt error: domain failed to start");

	/* Hostile strings come back out of the parser exactly as they went in. */
	CHECK_XPATH(path, "string(//testsuite[1]/testcase[4]/@name)", "hostile]]>&<script>");
	CHECK_XPATH(path, "string(//testsuite[1]/testcase[4]/failure/@message)",
		    "BUG: ]]> <script>alert(1)</script> & \"quoted\" in ks_parse");
	CHECK_XPATH(path, "count(//script)", "0");

	ck_assert_int_eq(read_file(path, 1 << 20, &xml, &size), 0);
	ck_assert_ptr_null(strstr((char *)xml, "<script"));
	ck_assert_ptr_null(strstr((char *)xml, "]]>"));
	ck_assert_ptr_null(strstr((char *)xml, "CDATA"));
	ck_assert_uint_eq(count((char *)xml, "<testcase "), 14);
	/* The report excerpt's control characters were replaced (as the guest's text, when the
	 * record was read), so the file stays XML. */
	ck_assert(strstr((char *)xml, "]]&gt;\n?? end</failure>"));
	rundir_free(run);
}
END_TEST

START_TEST(test_merged_names)
{
	struct rundir *runs[2] = {load(BASE), load(NEW)};
	_cleanup_free_ char *path = render(runs, 2, "two.xml");

	CHECK_XPATH(path, "count(/testsuites/testsuite)", "2");
	CHECK_XPATH(path, "count(/testsuites/testsuite/testcase)", "29");
	/* The same case from two runs stays two distinct testcases. */
	CHECK_XPATH(path, "count(//testcase[@name=\"seed [quickstart-20261125-091500]\"])", "2");
	CHECK_XPATH(path, "count(//testcase[@name=\"seed [quickstart-20261126-091500]\"])", "2");
	rundir_free(runs[0]);
	rundir_free(runs[1]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("report-junit");
	TCase *tc = tcase_create("junit");

	tcase_add_test(tc, test_structure);
	tcase_add_test(tc, test_merged_names);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
