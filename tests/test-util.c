/* test-util.c — base helpers that stand between untrusted names and the host: shell_quote
 * (a pasted command runs nothing a name smuggled in) and write_file_atomic (the temporary it
 * writes cannot be planted or redirected by another user). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "util.h"

/* What /bin/sh makes of "printf %s WORD": the word back, and nothing run. */
static char *through_shell(const char *word)
{
	_cleanup_free_ char *cmd = xasprintf("cd '%s' && printf %%s %s", testlib_tmpdir(), word);
	char buf[4096];
	size_t n;
	FILE *p = popen(cmd, "r");

	ck_assert_ptr_nonnull(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	ck_assert_int_eq(pclose(p), 0);
	buf[n] = 0;
	return xstrdup(buf);
}

START_TEST(test_shell_quote)
{
	static const char *const words[] = {
	    "a$(touch pwn);b",
	    "it's",
	    "''",
	    "a b\tc\nd",
	    "`touch pwn`",
	    "$HOME",
	    "*",
	    "~",
	    "x;touch pwn",
	    "a\\b",
	    "-n",
	    "\"q\"",
	    "!",
	    "#c",
	    "",
	    "plain/run-1/case_2:x@y,z%+",
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		_cleanup_free_ char *q = shell_quote(words[i]);
		_cleanup_free_ char *back = through_shell(q);

		ck_assert_msg(streq(back, words[i]), "'%s' quoted as %s came back as '%s'",
			      words[i], q, back);
	}
	{
		_cleanup_free_ char *pwn = xasprintf("%s/pwn", testlib_tmpdir());
		ck_assert_int_eq(access(pwn, F_OK), -1);
	}
	/* names that need nothing stay readable */
	{
		_cleanup_free_ char *q = shell_quote("runs/r1/bitflip-3");
		ck_assert_str_eq(q, "runs/r1/bitflip-3");
	}
}
END_TEST

/* Another user plants a symlink where the temporary used to be (PATH.tmp.PID): the write must
 * neither follow it nor leave anything behind. */
START_TEST(test_write_atomic_planted)
{
	_cleanup_free_ char *dir = xasprintf("%s/atomic", testlib_tmpdir());
	_cleanup_free_ char *victim = xasprintf("%s/victim", dir);
	_cleanup_free_ char *path = xasprintf("%s/state.json", dir);
	_cleanup_free_ char *planted = xasprintf("%s.tmp.%d", path, (int)getpid());
	_cleanup_free_ uint8_t *data = NULL;
	size_t size, n = 0;
	struct stat st;
	DIR *d;

	ck_assert_int_eq(mkdir_p(dir), 0);
	free(testlib_write_text("atomic/victim", "precious"));
	ck_assert_int_eq(symlink(victim, planted), 0);
	ck_assert_int_eq(write_file_atomic(path, "new", 3), 0);
	ck_assert_int_eq(read_file(victim, 64, &data, &size), 0);
	ck_assert_uint_eq(size, 8);
	ck_assert_int_eq(memcmp(data, "precious", 8), 0);
	free(data);
	ck_assert_int_eq(read_file(path, 64, &data, &size), 0);
	ck_assert_uint_eq(size, 3);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	/* victim, state.json and the planted link: no temporary left */
	ck_assert_ptr_nonnull(d = opendir(dir));
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	ck_assert_uint_eq(n, 3);
}
END_TEST

/* A state folder under /tmp: made 0700, and refused when it is not ours alone. */
START_TEST(test_mkdir_private)
{
	_cleanup_free_ char *dir = xasprintf("%s/priv", testlib_tmpdir());
	_cleanup_free_ char *link = xasprintf("%s/priv-link", testlib_tmpdir());
	_cleanup_free_ char *file = testlib_write_text("priv-file", "x");
	_cleanup_free_ char *missing = xasprintf("%s/no/such", testlib_tmpdir());
	struct stat st;

	ck_assert_int_eq(mkdir_private(dir), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(mkdir_private(dir), 0);
	ck_assert_int_eq(symlink(dir, link), 0);
	ck_assert_int_eq(mkdir_private(link), -EPERM);
	ck_assert_int_eq(mkdir_private(file), -EPERM);
	ck_assert_int_eq(mkdir_private(missing), -ENOENT);
	ck_assert_int_eq(chmod(dir, 0750), 0);
	ck_assert_int_eq(mkdir_private(dir), -EPERM);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	/* planted by someone else (as root we can play the other user) */
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(dir, 65534, 65534), 0);
		ck_assert_int_eq(mkdir_private(dir), -EPERM);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_shell_quote);
	tcase_add_test(tc, test_write_atomic_planted);
	tcase_add_test(tc, test_mkdir_private);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
