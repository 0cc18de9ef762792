/* test-util.c — base helpers that stand between untrusted names and the host: shell_quote
 * (a pasted command runs nothing a name smuggled in) and write_file_atomic (the temporary it
 * writes cannot be planted or redirected by another user). */
#include <check.h>
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

static Suite *suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_shell_quote);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
