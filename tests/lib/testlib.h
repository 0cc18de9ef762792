/* testlib.h — what every unit suite needs besides its tests: a temporary folder removed when the
 * suite ends, fixtures from tests/data/, small files written into the folder, and a common main.
 *
 * A suite file holds only its tests and one suite function:
 *
 *	static Suite *suite(void) { ... }
 *	TESTLIB_MAIN(suite)
 *
 * Ownership: paths and buffers returned here are the caller's to free; the temporary folder and
 * everything in it are removed by testlib_run() after the suite, whether it passed or not.
 */
#pragma once

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* The suite's temporary folder (made by testlib_run() before the first test). */
const char *testlib_tmpdir(void);
/* Write data into NAME under the temporary folder (folders in NAME are created); returns the
 * path. Fails the test on error. */
char *testlib_write(const char *name, const void *data, size_t size);
/* Same for a NUL-terminated text. */
char *testlib_write_text(const char *name, const char *text);
/* The path of tests/data/REL. */
char *testlib_fixture_path(const char *rel);
/* Read tests/data/REL whole (NUL-terminated beyond *ret_size); fails the test when it cannot. */
uint8_t *testlib_fixture(const char *rel, size_t *ret_size);
/* Run the suite in the usual Check way, remove the temporary folder, return the exit status. */
int testlib_run(Suite *s);

#define TESTLIB_MAIN(suite_fn)                                                                     \
	int main(void)                                                                             \
	{                                                                                          \
		return testlib_run(suite_fn());                                                    \
	}
