/* test-agent-lockup.c — the guest agent's lockup threshold (guests/agent/lockup.c): the case's
 * threshold read from the kernel command line, and set in a stand-in for
 * /proc/sys/kernel/watchdog_thresh (a file in the suite's temporary folder). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockup.h"
#include "testlib.h"

START_TEST(test_parse)
{
	unsigned t = 99;

	ck_assert_int_eq(agent_lockup_parse("console=ttyS0 watchdog_thresh=10", &t), -ENOENT);
	ck_assert_uint_eq(t, 99);
	ck_assert_int_eq(agent_lockup_parse("watchdog_thresh=10 faultline.watchdog_thresh=1\n", &t),
			 0);
	ck_assert_uint_eq(t, 1);
	ck_assert_int_eq(agent_lockup_parse("faultline.watchdog_thresh=60", &t), 0);
	ck_assert_uint_eq(t, 60);
	/* the last key wins, as for the kernel's own parameters */
	ck_assert_int_eq(
	    agent_lockup_parse("faultline.watchdog_thresh=4\tfaultline.watchdog_thresh="
			       "2",
			       &t),
	    0);
	ck_assert_uint_eq(t, 2);
	t = 99;
	ck_assert_int_eq(agent_lockup_parse("faultline.watchdog_thresh=0", &t), -EINVAL);
	ck_assert_int_eq(agent_lockup_parse("faultline.watchdog_thresh=61", &t), -EINVAL);
	ck_assert_int_eq(agent_lockup_parse("faultline.watchdog_thresh=", &t), -EINVAL);
	ck_assert_int_eq(agent_lockup_parse("faultline.watchdog_thresh=1x", &t), -EINVAL);
	ck_assert_int_eq(agent_lockup_parse("faultline.watchdog_thresh=001", &t), -EINVAL);
	ck_assert_uint_eq(t, 99);
	/* only whole words are keys */
	ck_assert_int_eq(agent_lockup_parse("xfaultline.watchdog_thresh=1", &t), -ENOENT);
	ck_assert_int_eq(agent_lockup_parse("", &t), -ENOENT);
}
END_TEST

static char *read_back(const char *path)
{
	static char buf[32];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

START_TEST(test_lower)
{
	char *path = testlib_write_text("watchdog_thresh", "10\n");
	char *missing;
	unsigned was = 0;

	/* booted with 10: the case's 1 written and read back */
	ck_assert_int_eq(agent_lockup_lower(path, 1, &was), 0);
	ck_assert_uint_eq(was, 10);
	ck_assert_str_eq(read_back(path), "1\n");
	/* already 1 (the start worker set it, READY asks again) */
	ck_assert_int_eq(agent_lockup_lower(path, 1, &was), 0);
	ck_assert_uint_eq(was, 1);
	ck_assert_str_eq(read_back(path), "1\n");
	/* a file that does not hold a threshold */
	free(path);
	path = testlib_write_text("watchdog_thresh", "soft\n");
	ck_assert_int_eq(agent_lockup_lower(path, 1, NULL), -EIO);
	/* a kernel without the lockup detector */
	ck_assert_int_ge(asprintf(&missing, "%s/none", testlib_tmpdir()), 0);
	ck_assert_int_eq(agent_lockup_lower(missing, 1, NULL), -ENOENT);
	free(missing);
	free(path);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("agent-lockup");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_lower);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
