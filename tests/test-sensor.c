/* test-sensor.c — sensor.yaml parsing and the agent's sensor.conf. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sensor.h"

#define DATA FAULTLINE_TEST_DATA "/sensor/"

START_TEST(test_good)
{
	struct sensor *s = NULL;
	char *err = NULL, *conf;

	ck_assert_int_eq(sensor_load(DATA "good", &s, &err), 0);
	ck_assert_str_eq(s->name, "good");
	ck_assert_str_eq(s->format, "kscu");
	ck_assert_str_eq(s->build_command, "make OUT=\"$FAULTLINE_BUILD\"");
	ck_assert_uint_eq(s->n_files, 1);
	ck_assert_str_eq(s->files[0].dst, "/lib/sensor/x.ko");
	ck_assert_str_eq(s->start[1], "echo started");
	ck_assert_ptr_null(s->start[2]);
	conf = sensor_agent_conf(s);
	ck_assert_str_eq(conf, "name=good\nstart=insmod /lib/sensor/x.ko\nstart=echo started\n"
			       "deliver=device\npath=/dev/x\ntrigger=/lib/sensor/trigger\n"
			       "reject_errno=1\nreject_exit=1\nreject_log=x: rejected\n");
	free(conf);
	sensor_free(s);
}
END_TEST

static void expect_error(const char *dir, const char *substring)
{
	struct sensor *s = NULL;
	char *err = NULL;

	ck_assert_int_eq(sensor_load(dir, &s, &err), -EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, substring), "error '%s' lacks '%s'", err, substring);
	free(err);
}

START_TEST(test_errors)
{
	expect_error(DATA "badkey", "sensor.yaml:5:3: unknown key 'speed'");
	expect_error(DATA "nodeliver", "missing 'deliver: method'");
	expect_error(DATA "wrongname", "'name' must equal the folder name 'wrongname'");
}
END_TEST

START_TEST(test_missing)
{
	struct sensor *s = NULL;
	char *err = NULL;

	ck_assert_int_eq(sensor_load(DATA "nonexistent", &s, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "cannot open"));
	free(err);
	ck_assert_ptr_null(sensor_free(NULL));
}
END_TEST

int main(void)
{
	Suite *su = suite_create("sensor");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_missing);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
