/* test-results.c — the result store: append-only, one line per record, never truncated but for
 * its own write that failed half way (cut back). The records themselves are test-record.c's. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "results.h"
#include "rundir.h"
#include "testlib.h"
#include "util.h"

static void append_one(struct results *r, json_object *o)
{
	ck_assert_int_eq(results_append(r, o), 0);
	json_object_put(o);
}

START_TEST(test_append_lines)
{
	_cleanup_free_ char *run = xasprintf("%s/run", testlib_tmpdir()),
			    *jsonl = xasprintf("%s/results.jsonl", run);
	_cleanup_free_ uint8_t *text = NULL;
	struct results *r = NULL;
	size_t size;

	ck_assert_int_eq(results_open(run, &r), 0);
	for (int i = 0; i < 3; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "n", json_object_new_int(i));
		json_object_object_add(o, "text", json_object_new_string("a\nb \"q\""));
		append_one(r, o);
	}
	results_close(r);
	ck_assert_int_eq(read_file(jsonl, 1 << 20, &text, &size), 0);
	ck_assert_str_eq((char *)text, "{\"n\":0,\"text\":\"a\\nb \\\"q\\\"\"}\n"
				       "{\"n\":1,\"text\":\"a\\nb \\\"q\\\"\"}\n"
				       "{\"n\":2,\"text\":\"a\\nb \\\"q\\\"\"}\n");
	/* reopening appends, never truncates */
	ck_assert_int_eq(results_open(run, &r), 0);
	append_one(r, json_object_new_object());
	results_close(r);
	free(text);
	text = NULL;
	ck_assert_int_eq(read_file(jsonl, 1 << 20, &text, &size), 0);
	ck_assert_ptr_nonnull(strstr((char *)text, "\"n\":2"));
	ck_assert_str_eq((char *)text + size - 3, "{}\n");
}
END_TEST

static json_object *numbered(int n, size_t pad)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *text = xmalloc(pad + 1);

	memset(text, 'x', pad);
	text[pad] = '\0';
	json_object_object_add(o, "sensor", json_object_new_string("ks"));
	json_object_object_add(o, "case",
			       json_object_new_string(n == 0   ? "a"
						      : n == 1 ? "b"
							       : "c"));
	json_object_object_add(o, "verdict", json_object_new_string("accepted"));
	json_object_object_add(o, "pad", json_object_new_string(text));
	return o;
}

/* In a child: one record, then one that the file size limit cuts in the middle (as a full
 * disk would), then one after the limit is lifted. Exits 0 when the appends said so. */
static void append_past_limit(const char *run)
{
	struct results *r = NULL;
	struct rlimit lim;
	struct stat st;
	json_object *o;
	int k;

	signal(SIGXFSZ, SIG_IGN);
	if (results_open(run, &r) < 0)
		_exit(10);
	o = numbered(0, 10);
	k = results_append(r, o);
	json_object_put(o);
	if (k < 0 || getrlimit(RLIMIT_FSIZE, &lim) < 0)
		_exit(11);
	{
		_cleanup_free_ char *p = xasprintf("%s/results.jsonl", run);
		if (stat(p, &st) < 0)
			_exit(12);
	}
	struct rlimit low = {.rlim_cur = (rlim_t)st.st_size + 100, .rlim_max = lim.rlim_max};
	if (setrlimit(RLIMIT_FSIZE, &low) < 0)
		_exit(13);
	o = numbered(1, 4096);
	k = results_append(r, o);
	json_object_put(o);
	if (k != -EFBIG)
		_exit(14);
	if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
		_exit(15);
	o = numbered(2, 10);
	k = results_append(r, o);
	json_object_put(o);
	results_close(r);
	_exit(k == 0 ? 0 : 16);
}

/* A write that fails half way (ENOSPC, EIO, a size limit) is cut back: the next record is whole
 * and readable, not glued onto half a line. */
START_TEST(test_failed_write_cut_back)
{
	_cleanup_free_ char *run = xasprintf("%s/cut", testlib_tmpdir());
	struct rundir *loaded = NULL;
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		append_past_limit(run);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	ck_assert_int_eq(rundir_load(run, &loaded), 0);
	ck_assert_uint_eq(loaded->n_records, 2);
	ck_assert_uint_eq(loaded->n_skipped, 0);
	ck_assert_str_eq(loaded->records[0].case_id, "a");
	ck_assert_str_eq(loaded->records[1].case_id, "c");
	rundir_free(loaded);
}
END_TEST

/* A last line without its end (the cut itself failed, or a crash): the next record starts a
 * line of its own. */
START_TEST(test_torn_line)
{
	_cleanup_free_ char *run = xasprintf("%s/torn", testlib_tmpdir());
	_cleanup_free_ char *jsonl =
	    testlib_write_text("torn/results.jsonl", "{\"sensor\":\"ks\",\"case\":\"a\",\"verd");
	struct rundir *loaded = NULL;
	struct results *r = NULL;

	ck_assert(results_exists(run));
	ck_assert_int_eq(results_open(run, &r), 0);
	append_one(r, numbered(1, 10));
	results_close(r);
	ck_assert_int_eq(rundir_load(run, &loaded), 0);
	ck_assert_uint_eq(loaded->n_records, 1);
	ck_assert_str_eq(loaded->records[0].case_id, "b");
	rundir_free(loaded);
	ck_assert(!results_exists(testlib_tmpdir()));
}
END_TEST

START_TEST(test_meta_and_layout)
{
	_cleanup_free_ char *run = xasprintf("%s/meta", testlib_tmpdir()),
			    *meta = xasprintf("%s/run.json", run);
	_cleanup_free_ uint8_t *text = NULL;
	struct results *r = NULL;
	json_object *o = json_object_new_object();
	struct stat st;
	size_t size;

	ck_assert_int_eq(results_open(run, &r), 0);
	json_object_object_add(o, "run_id", json_object_new_string("r1"));
	ck_assert_int_eq(results_write_meta(r, o), 0);
	json_object_put(o);
	results_close(r);
	ck_assert_int_eq(read_file(meta, 1 << 20, &text, &size), 0);
	ck_assert_str_eq((char *)text, "{\n  \"run_id\":\"r1\"\n}\n");
	free(meta);
	meta = xasprintf("%s/inputs", run);
	ck_assert_int_eq(stat(meta, &st), 0);
	free(meta);
	meta = xasprintf("%s/consoles", run);
	ck_assert_int_eq(stat(meta, &st), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("results");
	TCase *tc = tcase_create("store");

	tcase_add_test(tc, test_append_lines);
	tcase_add_test(tc, test_meta_and_layout);
	tcase_add_test(tc, test_failed_write_cut_back);
	tcase_add_test(tc, test_torn_line);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
