/* test-classify-user.c — user-space reports (classify_userspace_*): what killed a sensor process,
 * from its stderr. The fixtures in tests/data/console/user/ are the real output of the tools
 * (gcc 12 ASan/LSan/UBSan, clang 14 MSan/TSan, rustc 1.95, glibc 2.36, bash), recorded on a
 * Debian 12 host from small programs, except rust-old-format.log (rustc before 1.73, written
 * from that format) and the shell and clean logs written by hand. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "testlib.h"
#include "util.h"

struct user_expect {
	const char *file;
	const char *title; /* NULL: clean */
	const char *type;
};

/* clang-format off */
static const struct user_expect expectations[] = {
	{ "asan-heap-buffer-overflow.log", "AddressSanitizer: heap-buffer-overflow in ks_eval_field",
	  "asan" },
	{ "asan-heap-use-after-free.log", "AddressSanitizer: heap-use-after-free in ks_uaf", "asan" },
	/* "attempting double-free": the kind is the tool's own name, the frame past free() */
	{ "asan-double-free.log", "AddressSanitizer: double-free in ks_df", "asan" },
	{ "asan-stack-buffer-overflow.log", "AddressSanitizer: stack-buffer-overflow in ks_stack",
	  "asan" },
	{ "asan-segv.log", "AddressSanitizer: SEGV in ks_null", "asan" },
	/* the allocation's stack, past malloc() */
	{ "lsan-leak.log", "LeakSanitizer: detected memory leaks in ks_leak", "lsan" },
	{ "msan-uninit.log", "MemorySanitizer: use-of-uninitialized-value in ks_check_crc", "msan" },
	{ "tsan-data-race.log", "ThreadSanitizer: data race in ks_reload", "tsan" },
	/* without UBSAN_OPTIONS=print_stacktrace=1 UBSan names no function: the file does */
	{ "ubsan-overflow-no-stack.log", "UBSAN: signed-integer-overflow in ub.c", "ubsan" },
	{ "ubsan-index-stack.log", "UBSAN: array-index-out-of-bounds in ks_idx", "ubsan" },
	{ "ubsan-shift-stack.log", "UBSAN: shift-out-of-bounds in ks_shift", "ubsan" },
	/* the message before its first ": ", the first frame past the standard library */
	{ "rust-index-backtrace.log", "panic: index out of bounds in eval_field", "rust-panic" },
	{ "rust-unwrap-backtrace.log", "panic: called `Result::unwrap()` on an `Err` value in parse",
	  "rust-panic" },
	{ "rust-index-no-backtrace.log", "panic: index out of bounds in x.rs", "rust-panic" },
	{ "rust-old-format.log", "panic: index out of bounds in eval_field", "rust-panic" },
	{ "glibc-stack-smashing.log", "glibc: stack smashing detected", "glibc-abort" },
	{ "glibc-fortify.log", "glibc: buffer overflow detected", "glibc-abort" },
	{ "glibc-invalid-free.log", "glibc: free(): invalid pointer", "glibc-abort" },
	{ "glibc-double-free.log", "glibc: free(): double free detected in tcache N",
	  "glibc-abort" },
	{ "glibc-assert.log", "assertion failed in main", "assert" },
	/* a SIGSEGV handler that prints backtrace_symbols_fd(), then the shell's report */
	{ "signal-handler-backtrace.log", "SEGV in ks_eval_field", "signal" },
	{ "signal-shell.log", "SEGV", "signal" },
	{ "clean-sensor.log", NULL, NULL },
};
/* clang-format on */

static struct classify_result *classify_fixture(const char *file, int term_signal)
{
	_cleanup_free_ char *rel = xasprintf("console/user/%s", file);
	_cleanup_free_ char *path = testlib_fixture_path(rel);
	struct classify_result *r = NULL;
	ck_assert_msg(classify_userspace_path(path, term_signal, &r) == 0, "cannot read %s", path);
	return r;
}

static void assert_user(const struct classify_result *r, const char *title, const char *type,
			const char *what)
{
	ck_assert_msg(streq_ptr(r->title, title), "%s: title '%s', expected '%s'", what,
		      r->title ? r->title : "(null)", title ? title : "(null)");
	ck_assert_msg(streq_ptr(r->type, type), "%s: type '%s', expected '%s'", what,
		      r->type ? r->type : "(null)", type ? type : "(null)");
	ck_assert_int_eq(r->verdict, title ? CLASSIFY_CRASH : CLASSIFY_CLEAN);
	if (title)
		ck_assert_ptr_nonnull(r->report);
	else
		ck_assert_ptr_null(r->report);
}

START_TEST(test_fixture)
{
	const struct user_expect *e = &expectations[_i];
	struct classify_result *r = classify_fixture(e->file, 0);
	assert_user(r, e->title, e->type, e->file);
	if (e->title)
		ck_assert_int_gt(r->first_line, 0);
	classify_result_free(r);
}
END_TEST

/* A buffer, a file and every cut of the log at a line end: the same title once the report's
 * header and frames are in, and never a crash of the reader before. */
START_TEST(test_fixture_buffer_and_cuts)
{
	const struct user_expect *e = &expectations[_i];
	_cleanup_free_ char *rel = xasprintf("console/user/%s", e->file);
	size_t size;
	_cleanup_free_ uint8_t *data = testlib_fixture(rel, &size);
	struct classify_result *r = NULL;
	ck_assert_int_eq(classify_userspace_buffer(data, size, 0, &r), 0);
	assert_user(r, e->title, e->type, e->file);
	classify_result_free(r);
	for (size_t cut = 0; cut < size; cut++) {
		if (data[cut] != '\n')
			continue;
		ck_assert_int_eq(classify_userspace_buffer(data, cut, 0, &r), 0);
		ck_assert(r->verdict == CLASSIFY_CLEAN || r->title != NULL);
		classify_result_free(r);
	}
}
END_TEST

/* PIDs, addresses, thread ids and byte counts change from run to run; titles do not. */
START_TEST(test_stable_titles)
{
	static const char *const runs[] = {
	    "==15567==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x602000000020 at "
	    "pc 0x559c8e90823b bp 0x7ffc282ff300 sp 0x7ffc282ff2f8\n"
	    "READ of size 4 at 0x602000000020 thread T0\n"
	    "    #0 0x559c8e90823a in ks_eval_field /tmp/us/hbo.c:4\n"
	    "    #1 0x559c8e908427 in main /tmp/us/hbo.c:13\n\n",
	    "==2==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x612000000a40 at pc "
	    "0x4c0011 bp 0x7ffd0 sp 0x7ffc8\n"
	    "WRITE of size 8 at 0x612000000a40 thread T3\n"
	    "    #0 0x4c0010 in ks_eval_field /build/ks/eval.c:120:9\n"
	    "    #1 0x4c1234 in ks_worker /build/ks/worker.c:40:3\n\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		struct classify_result *r = NULL;
		ck_assert_int_eq(classify_userspace_buffer(runs[i], strlen(runs[i]), 0, &r), 0);
		assert_user(r, "AddressSanitizer: heap-buffer-overflow in ks_eval_field", "asan",
			    "asan run");
		classify_result_free(r);
	}
	static const char *const panics[] = {
	    "thread 'main' (15941) panicked at src/x.rs:3:52:\nbad field count 3\n",
	    "thread 'worker-2' panicked at src/x.rs:3:52:\nbad field count 17: at offset 0x40\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(panics); i++) {
		struct classify_result *r = NULL;
		ck_assert_int_eq(classify_userspace_buffer(panics[i], strlen(panics[i]), 0, &r), 0);
		assert_user(r, "panic: bad field count N in x.rs", "rust-panic", "rust run");
		classify_result_free(r);
	}
}
END_TEST

/* The signal that ended the process gives the verdict when the log says nothing. */
START_TEST(test_term_signal)
{
	struct classify_result *r = classify_fixture("clean-sensor.log", 11);
	assert_user(r, "SEGV", "signal", "SIGSEGV, clean log");
	ck_assert_int_eq(r->first_line, 0);
	classify_result_free(r);
	r = classify_fixture("clean-sensor.log", 64);
	assert_user(r, "signal 64", "signal", "signal 64, clean log");
	classify_result_free(r);
	/* the log's own report is more precise than the signal */
	r = classify_fixture("asan-segv.log", 6);
	assert_user(r, "AddressSanitizer: SEGV in ks_null", "asan", "SIGABRT after ASan");
	classify_result_free(r);
}
END_TEST

/* Kernel console lines are not user space's reports, and user space's are not the kernel's. */
START_TEST(test_kernel_and_user_apart)
{
	static const char kernel[] =
	    "[   12.3] BUG: kernel NULL pointer dereference, address: 0000000000000008\n"
	    "[   12.3] RIP: 0010:ks_eval_field+0x1a/0x60 [ksensor]\n";
	struct classify_result *r = NULL;
	ck_assert_int_eq(classify_userspace_buffer(kernel, strlen(kernel), 0, &r), 0);
	assert_user(r, NULL, NULL, "kernel report read as user space");
	classify_result_free(r);

	_cleanup_free_ char *path =
	    testlib_fixture_path("console/user/asan-heap-buffer-overflow.log");
	ck_assert_int_eq(classify_path(path, &r), 0);
	ck_assert_int_eq(r->verdict, CLASSIFY_CLEAN);
	classify_result_free(r);
}
END_TEST

/* Hostile input: huge lines, NULs, endless frames; the reader stays bounded. */
START_TEST(test_hostile)
{
	size_t n = 4 * 1024 * 1024;
	_cleanup_free_ char *buf = xmalloc(n);
	size_t o = 0;
	o += snprintf(buf, n, "==1==ERROR: AddressSanitizer: heap-buffer-overflow on address\n");
	for (size_t k = 0; o + 64 < n; k++)
		o += snprintf(buf + o, n - o, "    #%zu 0x1 in f%zu /x.c:1\n", k, k % 7);
	struct classify_result *r = NULL;
	ck_assert_int_eq(classify_userspace_buffer(buf, o, 0, &r), 0);
	ck_assert_str_eq(r->title, "AddressSanitizer: heap-buffer-overflow in f0");
	ck_assert_uint_le(strlen(r->report), 64 * 1024);
	classify_result_free(r);

	memset(buf, 'a', n);
	for (size_t i = 0; i < n; i += 4099)
		buf[i] = i % 3 ? '\n' : '\0';
	ck_assert_int_eq(classify_userspace_buffer(buf, n, 0, &r), 0);
	ck_assert_int_eq(r->verdict, CLASSIFY_CLEAN);
	classify_result_free(r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("classify-user");
	TCase *tc = tcase_create("fixtures");
	tcase_add_loop_test(tc, test_fixture, 0, ARRAY_SIZE(expectations));
	tcase_add_loop_test(tc, test_fixture_buffer_and_cuts, 0, ARRAY_SIZE(expectations));
	suite_add_tcase(s, tc);
	tc = tcase_create("reading");
	tcase_add_test(tc, test_stable_titles);
	tcase_add_test(tc, test_term_signal);
	tcase_add_test(tc, test_kernel_and_user_apart);
	tcase_add_test(tc, test_hostile);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
