/* test-image.c — a sensor's build on the host: it runs in the sensor folder with the environment
 * the contract documents (PATH, HOME, LANG and the FAULTLINE_BUILD/KVER/KBUILD trio) and nothing
 * else of faultline's own, so that a token or an SSH agent socket does not reach a vendor's
 * build script. The build fails on purpose, so no image is assembled and no guest is needed. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "sensor.h"
#include "testlib.h"
#include "util.h"

START_TEST(test_build_environment)
{
	_cleanup_free_ char *yaml = testlib_write_text(
	    "envsensor/sensor.yaml", "name: envsensor\n"
				     "deliver: {method: file, path: /x}\n"
				     "build: {command: 'env > \"$FAULTLINE_BUILD/env.txt\"; pwd >> "
				     "\"$FAULTLINE_BUILD/env.txt\"; exit 3'}\n");
	_cleanup_free_ char *dir = xasprintf("%s/envsensor", testlib_tmpdir());
	_cleanup_free_ char *state = xasprintf("%s/state", testlib_tmpdir());
	_cleanup_free_ char *out = xasprintf("%s/build/envsensor/env.txt", state);
	_cleanup_free_ char *err = NULL, *kbuild = NULL, *build = NULL;
	_cleanup_free_ uint8_t *env = NULL;
	struct sensor *s = NULL;
	struct image *img = NULL;
	size_t size;

	/* the agent is not built under the sanitizers; the build fails before it is needed */
	setenv("FAULTLINE_AGENT", "/bin/true", 1);
	setenv("FAULTLINE_TEST_SECRET", "hunter2", 1);
	setenv("SSH_AUTH_SOCK", "/tmp/ssh-agent.sock", 1);
	setenv("LANG", "C.UTF-8", 1);
	ck_assert_int_eq(sensor_load(dir, &s, &err), 0);
	ck_assert_int_eq(image_build(s, NULL, "6.1.0-test", NULL, NULL, state, &img, &err), -EIO);
	ck_assert_ptr_null(img);
	ck_assert_ptr_nonnull(strstr(err, "building envsensor failed (exit status 3)"));
	ck_assert_int_eq(read_file(out, 1 << 20, &env, &size), 0);
	ck_assert_ptr_null(strstr((char *)env, "hunter2"));
	ck_assert_ptr_null(strstr((char *)env, "SSH_AUTH_SOCK"));
	ck_assert(!strncmp((char *)env, "PATH=", 5) || strstr((char *)env, "\nPATH="));
	ck_assert_ptr_nonnull(strstr((char *)env, "LANG=C.UTF-8\n"));
	ck_assert_ptr_nonnull(strstr((char *)env, "FAULTLINE_KVER=6.1.0-test\n"));
	kbuild = xasprintf("FAULTLINE_KBUILD=/lib/modules/6.1.0-test/build\n");
	ck_assert_ptr_nonnull(strstr((char *)env, kbuild));
	build = xasprintf("FAULTLINE_BUILD=%s/build/envsensor\n", state);
	ck_assert_ptr_nonnull(strstr((char *)env, build));
	/* the working directory is the sensor folder */
	ck_assert_ptr_nonnull(strstr((char *)env, "/envsensor\n"));
	sensor_free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("image");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_build_environment);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
