/* test-reboot.c — what the follow-up across boots reads from a console: the guest's uptime at
 * a kernel report (the "[ SECONDS.MICROS]" stamp of its line, or the closest one before it). */
#include <check.h>
#include <limits.h>
#include <stdlib.h>

#include "reboot.h"
#include "testlib.h"
#include "util.h"

START_TEST(test_report_uptime)
{
	_cleanup_free_ char *log = testlib_write_text(
	    "boot1.log", "SeaBIOS (version 1.16.2-debian-1.16.2-1)\n"
			 "[    0.000000] Linux version 6.1.0-56-amd64\n"
			 "[    2.913706] BUG: unable to handle page fault for address: ffffce80\n"
			 "no stamp on this line\n"
			 "\r[   12.5] Kernel panic - not syncing: Fatal exception\n"
			 "[ bogus] nothing\n");

	ck_assert_int_eq(reboot_report_uptime_ms(log, 1), -1);	  /* no stamp yet */
	ck_assert_int_eq(reboot_report_uptime_ms(log, 2), 0);	  /* at 0.000000 */
	ck_assert_int_eq(reboot_report_uptime_ms(log, 3), 2913);  /* the report's line */
	ck_assert_int_eq(reboot_report_uptime_ms(log, 4), 2913);  /* the closest before */
	ck_assert_int_eq(reboot_report_uptime_ms(log, 5), 12500); /* after a carriage return */
	ck_assert_int_eq(reboot_report_uptime_ms(log, LONG_MAX), 12500); /* the last stamp */
	ck_assert_int_eq(reboot_report_uptime_ms("/nonexistent", 3), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("reboot");
	TCase *tc = tcase_create("reboot");

	tcase_add_test(tc, test_report_uptime);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
