/* test-progress.c — the live progress line, drawn on a real terminal (a pseudo-terminal): when
 * it is drawn at all, what it says, its colours, how often it is redrawn and its width. */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "progress.h"
#include "testlib.h"
#include "util.h"

struct term {
	int master;
	FILE *f; /* the terminal side, where the line is drawn */
	char out[65536];
	size_t len;
};

static void term_open(struct term *t, unsigned short cols)
{
	struct winsize ws = {.ws_row = 24, .ws_col = cols};

	memset(t, 0, sizeof(*t));
	t->master = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(t->master, 0);
	ck_assert_int_eq(grantpt(t->master), 0);
	ck_assert_int_eq(unlockpt(t->master), 0);
	t->f = fopen(ptsname(t->master), "w");
	ck_assert_ptr_nonnull(t->f);
	ck_assert_int_eq(ioctl(fileno(t->f), TIOCSWINSZ, &ws), 0);
}

/* Everything drawn so far, NUL-terminated, waiting up to WAIT_MS for more. */
static const char *term_read_wait(struct term *t, int wait_ms)
{
	struct pollfd pfd = {.fd = t->master, .events = POLLIN};

	while (poll(&pfd, 1, wait_ms) > 0 && t->len < sizeof(t->out) - 1) {
		ssize_t n = read(t->master, t->out + t->len, sizeof(t->out) - 1 - t->len);
		if (n <= 0)
			break;
		t->len += (size_t)n;
	}
	t->out[t->len] = '\0';
	return t->out;
}

static const char *term_read(struct term *t)
{
	return term_read_wait(t, 50);
}

static void term_close(struct term *t)
{
	fclose(t->f);
	close(t->master);
}

/* How many times the line was (re)drawn or cleared. */
static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

static void plain_env(void)
{
	unsetenv("CI");
	setenv("NO_COLOR", "1", 1);
	setenv("TERM", "xterm", 1);
}

/* A terminal COLS wide and a line on it, counting TOTAL results of LABEL. */
static struct progress *line_open(struct term *t, unsigned short cols, const char *label,
				  size_t total)
{
	struct progress *p;

	term_open(t, cols);
	p = progress_new(t->f, false);
	ck_assert_ptr_nonnull(p);
	progress_begin(p, label, total);
	return p;
}

START_TEST(test_not_drawn)
{
	struct term t;
	int fds[2];
	FILE *pipe_f;

	plain_env();
	ck_assert_int_eq(pipe(fds), 0);
	pipe_f = fdopen(fds[1], "w");
	ck_assert_ptr_null(progress_new(pipe_f, false)); /* not a terminal: a log */
	ck_assert_ptr_null(progress_new(NULL, false));
	term_open(&t, 100);
	ck_assert_ptr_null(progress_new(t.f, true)); /* --quiet */
	setenv("CI", "true", 1);
	ck_assert_ptr_null(progress_new(t.f, false));
	unsetenv("CI");
	/* and NULL is a line that draws nothing */
	progress_begin(NULL, "x", 3);
	progress_result(NULL, VERDICT_CRASH, false);
	progress_end(NULL);
	ck_assert_ptr_null(progress_free(NULL));
	ck_assert_str_eq(term_read(&t), "");
	term_close(&t);
	fclose(pipe_f);
	close(fds[0]);
}
END_TEST

START_TEST(test_counts_rate_eta)
{
	struct term t;
	struct progress *p;
	const char *s;

	plain_env();
	p = line_open(&t, 200, "snapshot", 10);
	ck_assert_ptr_nonnull(
	    strstr(term_read(&t), "\r\033[Ksnapshot 0/10 | - cases/min | 0s | ETA -"));
	progress_result(p, VERDICT_CRASH, false);
	progress_result(p, VERDICT_HANG, false);
	usleep(300 * 1000);
	progress_result(p, VERDICT_REJECTED, false);
	s = term_read(&t);
	ck_assert_ptr_nonnull(strstr(s, "snapshot 3/10 | crash 1 hang 1 rejected 1 | "));
	ck_assert_ptr_nonnull(strstr(s, " cases/min | 0s | ETA "));
	ck_assert_ptr_null(strstr(s, "\033[3")); /* NO_COLOR */
	progress_end(p);
	s = term_read(&t);
	ck_assert_str_eq(s + strlen(s) - 4, "\r\033[K"); /* cleared for what comes next */
	progress_free(p);
	term_close(&t);
}
END_TEST

START_TEST(test_resumed_not_in_rate)
{
	struct term t;
	struct progress *p;

	plain_env();
	p = line_open(&t, 200, NULL, 4);
	progress_result(p, VERDICT_ACCEPTED, true);
	progress_result(p, VERDICT_ACCEPTED, true);
	usleep(300 * 1000);
	progress_result(p, VERDICT_ACCEPTED, true);
	/* three results a resumed run took over: no rate, no ETA yet */
	ck_assert_ptr_nonnull(strstr(term_read(&t), "\r\033[K3/4 | accepted 3 | - cases/min"));
	ck_assert_ptr_nonnull(strstr(term_read(&t), "ETA -"));
	progress_free(p);
	term_close(&t);
}
END_TEST

START_TEST(test_color)
{
	struct term t;
	struct progress *p;

	plain_env();
	unsetenv("NO_COLOR");
	p = line_open(&t, 200, "boot", 2);
	usleep(300 * 1000);
	progress_result(p, VERDICT_CRASH, false);
	ck_assert_ptr_nonnull(strstr(term_read(&t), "\033[31mcrash 1\033[0m"));
	progress_free(p);
	term_close(&t);
	/* NO_COLOR set to an empty string does not count (no-color.org) */
	setenv("NO_COLOR", "", 1);
	p = line_open(&t, 200, "boot", 2);
	usleep(300 * 1000);
	progress_result(p, VERDICT_HANG, false);
	ck_assert_ptr_nonnull(strstr(term_read(&t), "\033[33mhang 1\033[0m"));
	progress_free(p);
	term_close(&t);
}
END_TEST

/* A result every 5 ms for 1.2 s or more: at most four redraws a second, whatever the rate of
 * results. */
START_TEST(test_rate_limited)
{
	struct term t;
	struct progress *p;
	uint64_t start = now_ms(), ms;
	size_t draws;

	plain_env();
	p = line_open(&t, 200, "reuse", 1000);
	for (int i = 0; i < 240; i++) {
		progress_result(p, VERDICT_REJECTED, false);
		usleep(5000);
		term_read_wait(&t, 0);
	}
	progress_end(p);
	ms = now_ms() - start;
	draws = count(term_read(&t), "\r\033[K") - 1; /* the last one clears */
	ck_assert_uint_ge(draws, 3);
	/* the first draw, then one per 250 ms at most */
	ck_assert_uint_le(draws, 1 + ms / 250);
	progress_free(p);
	term_close(&t);
}
END_TEST

/* With nothing happening the line still moves (the clock), once a second. */
START_TEST(test_idle_redraw)
{
	struct term t;
	struct progress *p;

	plain_env();
	p = line_open(&t, 200, "boot", 3);
	usleep(2300 * 1000);
	ck_assert_ptr_nonnull(strstr(term_read(&t), "boot 0/3 | - cases/min | 2s | ETA -"));
	ck_assert_uint_le(count(term_read(&t), "\r\033[K"), 4);
	progress_free(p);
	term_close(&t);
}
END_TEST

/* Every drawn line stays short of the last column, so the terminal never wraps it. */
START_TEST(test_width)
{
	struct term t;
	struct progress *p;
	const char *s;
	char done[16];

	plain_env();
	unsetenv("NO_COLOR");
	p = line_open(&t, 40, "snapshot", 1000);
	for (int v = 0; v < VERDICT_OTHER; v++)
		progress_result(p, (enum verdict)v, false);
	usleep(300 * 1000);
	progress_result(p, VERDICT_CRASH, false);
	progress_end(p);
	s = term_read(&t);
	snprintf(done, sizeof(done), "%d/1000", VERDICT_OTHER + 1);
	ck_assert_ptr_nonnull(strstr(s, done)); /* every verdict once, and a crash */
	for (const char *l = strstr(s, "\r\033[K"); l; l = strstr(l, "\r\033[K")) {
		size_t visible = 0;

		l += 4;
		for (const char *c = l; *c && *c != '\r'; c++) {
			if (*c == '\033') {
				c += strcspn(c, "m");
				continue;
			}
			visible++;
		}
		ck_assert_uint_lt(visible, 40);
	}
	progress_free(p);
	term_close(&t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("progress");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_not_drawn);
	tcase_add_test(tc, test_counts_rate_eta);
	tcase_add_test(tc, test_resumed_not_in_rate);
	tcase_add_test(tc, test_color);
	tcase_add_test(tc, test_rate_limited);
	tcase_add_test(tc, test_idle_redraw);
	tcase_add_test(tc, test_width);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
