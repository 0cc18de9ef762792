/* testlib.c — see testlib.h. */
#include "testlib.h"

#define _XOPEN_SOURCE_EXTENDED 1
#include <ftw.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static char tmpdir[] = "/tmp/faultline-test-XXXXXX";
static bool have_tmpdir;

/* Made by testlib_run() before any test runs: Check forks a process per test, and a folder made
 * in one of them would be unknown to the parent that removes it. */
const char *testlib_tmpdir(void)
{
	ck_assert_msg(have_tmpdir, "testlib_tmpdir() outside testlib_run()");
	return tmpdir;
}

char *testlib_write(const char *name, const void *data, size_t size)
{
	char *p = xasprintf("%s/%s", testlib_tmpdir(), name);
	char *slash = strrchr(p, '/');

	*slash = '\0';
	ck_assert_int_eq(mkdir_p(p), 0);
	*slash = '/';
	ck_assert_int_eq(write_file_atomic(p, data, size), 0);
	return p;
}

char *testlib_write_text(const char *name, const char *text)
{
	return testlib_write(name, text, strlen(text));
}

char *testlib_fixture_path(const char *rel)
{
	return xasprintf("%s/%s", FAULTLINE_TEST_DATA, rel);
}

uint8_t *testlib_fixture(const char *rel, size_t *ret_size)
{
	_cleanup_free_ char *p = testlib_fixture_path(rel);
	uint8_t *data = NULL;
	size_t size = 0;
	int r = read_file(p, 64u << 20, &data, &size);

	if (r < 0)
		ck_abort_msg("fixture %s: %s", p, strerror(-r));
	*ret_size = size;
	return data;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

int testlib_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	have_tmpdir = true;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
