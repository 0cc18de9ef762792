/* test-agent-persist.c — the guest agent's persistence (guests/agent/persist.c): the kernel
 * command line keys, the environment exported to the sensor's commands, and the content store
 * written and removed as a sensor keeps content (in the suite's temporary folder). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persist.h"
#include "testlib.h"

START_TEST(test_boot_parse)
{
	struct agent_boot b;

	agent_boot_parse("console=ttyS0 panic_on_oops=1", &b);
	ck_assert(!b.persist && !b.safe);
	ck_assert_uint_eq(b.boot, 0);
	ck_assert_int_eq(b.recovery, AGENT_RECOVERY_NONE);
	ck_assert_uint_eq(b.recovery_boots, AGENT_RECOVERY_BOOTS_DEFAULT);

	agent_boot_parse("console=ttyS0 faultline.persist=1 faultline.boot=3\tfaultline.recovery="
			 "counter faultline.recovery_boots=4 faultline.safe=1\n",
			 &b);
	ck_assert(b.persist && b.safe);
	ck_assert_uint_eq(b.boot, 3);
	ck_assert_int_eq(b.recovery, AGENT_RECOVERY_COUNTER);
	ck_assert_str_eq(agent_recovery_name(b.recovery), "counter");
	ck_assert_uint_eq(b.recovery_boots, 4);

	agent_boot_parse("faultline.recovery=remediation", &b);
	ck_assert_str_eq(agent_recovery_name(b.recovery), "remediation");
	agent_boot_parse("faultline.recovery=manual", &b);
	ck_assert_str_eq(agent_recovery_name(b.recovery), "manual");
	/* unknown values count as absent; only whole words are keys */
	agent_boot_parse("faultline.persist=yes faultline.boot=-1 faultline.recovery=reboot "
			 "faultline.recovery_boots=0 xfaultline.safe=1 faultline.boot=1234567",
			 &b);
	ck_assert(!b.persist && !b.safe);
	ck_assert_uint_eq(b.boot, 0);
	ck_assert_int_eq(b.recovery, AGENT_RECOVERY_NONE);
	ck_assert_str_eq(agent_recovery_name(b.recovery), "");
	ck_assert_uint_eq(b.recovery_boots, AGENT_RECOVERY_BOOTS_DEFAULT);
	agent_boot_parse("", &b);
	ck_assert(!b.persist);
}
END_TEST

START_TEST(test_boot_export)
{
	struct agent_boot b;

	agent_boot_parse("faultline.persist=1 faultline.boot=2 faultline.recovery=counter", &b);
	agent_boot_export(&b, true);
	ck_assert_str_eq(getenv("FAULTLINE_PERSIST"), "/persist");
	ck_assert_str_eq(getenv("FAULTLINE_BOOT"), "2");
	ck_assert_str_eq(getenv("FAULTLINE_RECOVERY"), "counter");
	ck_assert_str_eq(getenv("FAULTLINE_RECOVERY_BOOTS"), "2");
	agent_boot_parse("", &b);
	agent_boot_export(&b, false);
	ck_assert_ptr_null(getenv("FAULTLINE_PERSIST"));
	ck_assert_str_eq(getenv("FAULTLINE_BOOT"), "0");
	ck_assert_str_eq(getenv("FAULTLINE_RECOVERY"), "");
}
END_TEST

static char *path_in_tmp(const char *rel)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", testlib_tmpdir(), rel), 0);
	return p;
}

START_TEST(test_store_write_remove)
{
	char *store = path_in_tmp("persist/ksensor/deep/content.kscu"), *tmp, buf[16] = "";
	struct stat st;
	FILE *f;

	ck_assert(!agent_persist_mounted(testlib_tmpdir()));
	ck_assert_int_eq(agent_persist_remove(store), -ENOENT);
	ck_assert_int_eq(agent_persist_write(store, (const uint8_t *)"first", 5), 0);
	ck_assert_int_eq(agent_persist_write(store, (const uint8_t *)"KSCU", 4), 0);
	f = fopen(store, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(buf, 1, sizeof(buf), f), 4);
	fclose(f);
	ck_assert_str_eq(buf, "KSCU");
	ck_assert_int_ge(asprintf(&tmp, "%s.faultline-tmp", store), 0);
	ck_assert_int_eq(stat(tmp, &st), -1); /* renamed into place, nothing left behind */
	ck_assert_int_eq(agent_persist_remove(store), 0);
	ck_assert_int_eq(stat(store, &st), -1);
	/* a folder in the way: the error, and no temporary file left */
	ck_assert_int_eq(mkdir(store, 0755), 0);
	ck_assert_int_eq(agent_persist_write(store, (const uint8_t *)"x", 1), -EISDIR);
	ck_assert_int_eq(stat(tmp, &st), -1);
	free(tmp);
	free(store);
}
END_TEST

START_TEST(test_remedy_ask_text)
{
	char buf[128];

	agent_remedy_ask_text(2, "/persist/ksensor/content.kscu", true, buf, sizeof(buf));
	ck_assert_str_eq(buf, "boot=2\nstore=/persist/ksensor/content.kscu\nstored=1\n");
	agent_remedy_ask_text(0, "/persist/a", false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "boot=0\nstore=/persist/a\nstored=0\n");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("agent-persist");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_boot_parse);
	tcase_add_test(tc, test_boot_export);
	tcase_add_test(tc, test_store_write_remove);
	tcase_add_test(tc, test_remedy_ask_text);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
