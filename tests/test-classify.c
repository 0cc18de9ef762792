/* test-classify.c — the console classifier against recorded consoles (the .log files in
 * tests/data/console/: real guests recorded by tests/crashme/record.sh, and fmt-* files written
 * from the kernel's printk formats), messy and hostile input, bounded memory and speed. */
#include <check.h>
#include <stdlib.h>
#include <time.h>

#include "classify.h"
#include "guesttext.h"
#include "util.h"

#ifndef FAULTLINE_TEST_DATA
#error "FAULTLINE_TEST_DATA must be defined"
#endif
#define CONSOLE_DIR FAULTLINE_TEST_DATA "/console/"

struct expect {
	const char *file;
	enum classify_verdict verdict;
	const char *title; /* NULL when clean */
	const char *type;
};

#include "test-classify-expect.h"

static struct classify_result *classify_str(const char *s)
{
	struct classify_result *r = NULL;
	ck_assert_int_eq(classify_buffer(s, strlen(s), &r), 0);
	ck_assert_ptr_nonnull(r);
	return r;
}

static void assert_result(const struct classify_result *r, enum classify_verdict v,
			  const char *title, const char *what)
{
	ck_assert_msg(r->verdict == v, "%s: verdict %s, expected %s (title %s)", what,
		      classify_verdict_name(r->verdict), classify_verdict_name(v),
		      r->title ? r->title : "(null)");
	ck_assert_msg(streq_ptr(r->title, title), "%s: title '%s', expected '%s'", what,
		      r->title ? r->title : "(null)", title ? title : "(null)");
	if (v == CLASSIFY_CLEAN) {
		ck_assert_ptr_null(r->type);
		ck_assert_ptr_null(r->report);
		ck_assert_int_eq(r->first_line, 0);
	} else {
		ck_assert_ptr_nonnull(r->type);
		ck_assert_ptr_nonnull(r->report);
		ck_assert_int_gt(r->first_line, 0);
	}
}

START_TEST(test_fixture)
{
	const struct expect *e = &expectations[_i];
	char *path = xasprintf("%s%s", CONSOLE_DIR, e->file);
	struct classify_result *r = NULL;
	ck_assert_msg(classify_path(path, &r) == 0, "cannot read %s", path);
	assert_result(r, e->verdict, e->title, e->file);
	if (e->type)
		ck_assert_msg(streq(r->type, e->type), "%s: type %s, expected %s", e->file, r->type,
			      e->type);
	classify_result_free(r);
	free(path);
}
END_TEST

/* The same console seen through other loggers: without time stamps, with caller ids, with CRLF,
 * with user-space lines interleaved. Verdict and title must not change. */
enum transform {
	T_STRIP_TIME,
	T_CALLER,
	T_CRLF,
	T_NOISE,
	T_SYSLOG,
	T_COUNT,
};

static char *transform(const char *in, size_t n, enum transform t, size_t *ret_n)
{
	size_t cap = n * 3 + 4096, o = 0;
	char *out = xmalloc(cap);
	const char *s = in, *end = in + n;
	unsigned k = 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', end - s);
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		const char *line = s;
		size_t ll = len;
		/* the time stamp, if any */
		size_t ts = 0;
		if (ll > 2 && line[0] == '[') {
			const char *c = memchr(line, ']', ll);
			if (c && c - line < 20 && memchr(line, '.', c - line))
				ts = c - line + 1 + (c + 1 < line + ll && c[1] == ' ');
		}
		if (o + ll + 256 > cap)
			out = xrealloc(out, cap *= 2);
		switch (t) {
		case T_STRIP_TIME:
			o += snprintf(out + o, cap - o, "%.*s\n", (int)(ll - ts), line + ts);
			break;
		case T_CALLER:
			o += snprintf(out + o, cap - o, "[%8u.%06u][  T4242] %.*s\n", k / 10, k,
				      (int)(ll - ts), line + ts);
			break;
		case T_CRLF:
			o += snprintf(out + o, cap - o, "%.*s\r\n", (int)ll, line);
			break;
		case T_NOISE:
			o += snprintf(out + o, cap - o, "%.*s\nagent: heartbeat %u ok\n", (int)ll,
				      line, k);
			break;
		case T_SYSLOG:
			o += snprintf(out + o, cap - o, "Nov 25 08:%02u:00 guest kernel: %.*s\n",
				      k % 60, (int)(ll - ts), line + ts);
			break;
		default:
			break;
		}
		k++;
		s += len + 1;
	}
	*ret_n = o;
	return out;
}

START_TEST(test_fixture_transforms)
{
	const struct expect *e = &expectations[_i];
	char *path = xasprintf("%s%s", CONSOLE_DIR, e->file);
	uint8_t *data = NULL;
	size_t size = 0;
	ck_assert_int_eq(read_file(path, 64 * 1024 * 1024, &data, &size), 0);
	for (int t = 0; t < T_COUNT; t++) {
		size_t n;
		char *buf = transform((const char *)data, size, t, &n);
		struct classify_result *r = NULL;
		ck_assert_int_eq(classify_buffer(buf, n, &r), 0);
		char *what = xasprintf("%s (transform %d)", e->file, t);
		assert_result(r, e->verdict, e->title, what);
		free(what);
		classify_result_free(r);
		free(buf);
	}
	free(data);
	free(path);
}
END_TEST

/* The console cut short 0..8 lines after the report's first line (the guest died, the log was
 * truncated): still the same verdict, and the kind part of the title (before " in ") is the full
 * one or a prefix of it ("KASAN: slab-out-of-bounds" before the "Read of size" line). */
START_TEST(test_fixture_truncations)
{
	const struct expect *e = &expectations[_i];
	if (e->verdict == CLASSIFY_CLEAN)
		return;
	char *path = xasprintf("%s%s", CONSOLE_DIR, e->file);
	uint8_t *data = NULL;
	size_t size = 0;
	ck_assert_int_eq(read_file(path, 64 * 1024 * 1024, &data, &size), 0);
	struct classify_result *full = NULL;
	ck_assert_int_eq(classify_buffer(data, size, &full), 0);
	const char *in = strstr(full->title, " in ");
	size_t kind_len = in ? (size_t)(in - full->title) : strlen(full->title);

	for (long extra = 0; extra <= 8; extra++) {
		/* the prefix of the log up to line first_line + extra */
		size_t cut = 0;
		for (long line = 0; cut < size && line < full->first_line + extra; cut++)
			if (data[cut] == '\n')
				line++;
		struct classify_result *r = NULL;
		ck_assert_int_eq(classify_buffer(data, cut, &r), 0);
		ck_assert_msg(r->verdict == full->verdict, "%s cut at +%ld: verdict %s", e->file,
			      extra, classify_verdict_name(r->verdict));
		const char *rin = strstr(r->title, " in ");
		size_t rlen = rin ? (size_t)(rin - r->title) : strlen(r->title);
		/* cut before its lock chains, a lockdep report is named by its header */
		bool header = !rin && streq(r->type, full->type);
		ck_assert_msg(
		    header || (rlen <= kind_len && strncmp(r->title, full->title, rlen) == 0),
		    "%s cut at +%ld: title '%s', full '%s'", e->file, extra, r->title, full->title);
		ck_assert_int_eq(r->first_line, full->first_line);
		classify_result_free(r);
	}
	classify_result_free(full);
	free(data);
	free(path);
}
END_TEST

/* Every fixture in the directory has an expectation (a new recording cannot go unchecked). */
START_TEST(test_fixture_list_complete)
{
	_cleanup_free_ char *cmd = xasprintf("ls %s", CONSOLE_DIR);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	char name[512];
	size_t n = 0;
	while (fgets(name, sizeof(name), p)) {
		name[strcspn(name, "\n")] = '\0';
		if (!strstr(name, ".log"))
			continue;
		bool found = false;
		for (size_t i = 0; i < ARRAY_SIZE(expectations); i++)
			found = found || streq(expectations[i].file, name);
		ck_assert_msg(found, "fixture %s has no expectation in test-classify-expect.h",
			      name);
		n++;
	}
	pclose(p);
	ck_assert_uint_eq(n, ARRAY_SIZE(expectations));
}
END_TEST

START_TEST(test_first_line_and_report)
{
	struct classify_result *r =
	    classify_str("hello\n"
			 "world\n"
			 "[    1.000000] BUG: kernel NULL pointer dereference, address: 0\n"
			 "[    1.000001] RIP: 0010:foo_bar+0x1/0x2 [foo]\n");
	assert_result(r, CLASSIFY_CRASH, "BUG: kernel NULL pointer dereference in foo_bar",
		      "lines");
	ck_assert_int_eq(r->first_line, 3);
	ck_assert_str_eq(r->type, "null-deref");
	ck_assert_ptr_nonnull(strstr(r->report, "RIP: 0010:foo_bar+0x1/0x2 [foo]\n"));
	ck_assert_ptr_null(strstr(r->report, "hello"));
	classify_result_free(r);

	/* the "cut here" line and WARN()'s message belong to the excerpt, not to first_line */
	r = classify_str("noise\n"
			 "------------[ cut here ]------------\n"
			 "ks_load: field count 21 > 20\n"
			 "WARNING: CPU: 0 PID: 1 at ks.c:1 ks_load+0x1/0x2 [ks]\n"
			 "Modules linked in: ks\n"
			 "Call Trace:\n"
			 " ks_init+0x1/0x2 [ks]\n");
	assert_result(r, CLASSIFY_CRASH, "WARNING in ks_load", "cut here");
	ck_assert_int_eq(r->first_line, 4);
	ck_assert_str_eq(r->report, "------------[ cut here ]------------\n"
				    "ks_load: field count 21 > 20\n"
				    "WARNING: CPU: 0 PID: 1 at ks.c:1 ks_load+0x1/0x2 [ks]\n"
				    "Modules linked in: ks\n"
				    "Call Trace:\n"
				    " ks_init+0x1/0x2 [ks]\n");
	classify_result_free(r);
}
END_TEST

START_TEST(test_prefixes)
{
	static const char *const logs[] = {
	    /* no timestamp */
	    "general protection fault, probably for non-canonical address 0xdead: 0000 [#1] SMP\n"
	    "RIP: 0010:ks_parse_instance+0x10/0x20 [ksensor]\n",
	    /* timestamp and caller id */
	    "[   12.345678][ T1234] general protection fault: 0000 [#1] SMP\n"
	    "[   12.345679][ T1234] RIP: 0010:ks_parse_instance+0x10/0x20 [ksensor]\n",
	    /* printk caller only, syslog level */
	    "<4>[ T1] general protection fault: 0000 [#1] SMP\n"
	    "<4>[ T1] RIP: 0010:ks_parse_instance+0x10/0x20 [ksensor]\n",
	    /* journal copy */
	    "Mar 05 12:00:01 guest kernel: general protection fault: 0000 [#1] SMP\n"
	    "Mar 05 12:00:01 guest kernel: RIP: 0010:ks_parse_instance+0x10/0x20 [ksensor]\n",
	    /* 6.10+ "Oops: " prefix, CRLF line ends */
	    "Oops: general protection fault, probably for non-canonical address 0x1: 0000 [#1]\r\n"
	    "RIP: 0010:ks_parse_instance.isra.0+0x10/0x20 [ksensor]\r\n",
	    /* dmesg -T */
	    "[Tue Mar  5 12:00:00 2024] general protection fault: 0000 [#1] SMP\n"
	    "[Tue Mar  5 12:00:00 2024] RIP: 0010:ks_parse_instance+0x10/0x20 [ksensor]\n",
	    /* dmesg -x */
	    "kern  :warn  : [   1.000000] general protection fault: 0000 [#1] SMP\n"
	    "kern  :warn  : [   1.000000] RIP: 0010:ks_parse_instance+0x10/0x20 [ksensor]\n",
	    /* a serial logger's ISO time stamps */
	    "2024-03-05T12:00:00.123456Z general protection fault: 0000 [#1] SMP\n"
	    "2024-03-05T12:00:00.123457Z RIP: 0010:ks_parse_instance+0x10/0x20 [ksensor]\n",
	    /* dmesg --color, indented as in a bug tracker */
	    "\033[33m[    1.000000]\033[0m \033[1mgeneral protection fault: 0000 [#1] SMP\033[0m\n"
	    "    [    1.000001] RIP: 0010:ks_parse_instance+0x10/0x20 [ksensor]\n",
	    /* mail quote */
	    "> [    1.000000] general protection fault: 0000 [#1] SMP\n"
	    "> [    1.000001] RIP: 0010:ks_parse_instance+0x10/0x20 [ksensor]\n",
	    /* /dev/kmsg records */
	    "4,1234,5678901,-;general protection fault: 0000 [#1] SMP\n"
	    "4,1235,5678902,c;RIP: 0010:ks_parse_instance+0x10/0x20 [ksensor]\n",
	    /* glued to user-space output that lacked its newline */
	    "progress 42%[   12.345678] general protection fault: 0000 [#1] SMP\n"
	    "[   12.345679] RIP: 0010:ks_parse_instance+0x10/0x20 [ksensor]\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(logs); i++) {
		struct classify_result *r = classify_str(logs[i]);
		assert_result(r, CLASSIFY_CRASH, "general protection fault in ks_parse_instance",
			      logs[i]);
		classify_result_free(r);
	}
}
END_TEST

/* Lines of another task interleave with the report: with caller ids, they are left out. */
START_TEST(test_interleaved_callers)
{
	struct classify_result *r =
	    classify_str("[    5.000000][  T100] BUG: unable to handle page fault for address: "
			 "ffffc90000a00000\n"
			 "[    5.000001][  T200]  other_task_func+0x1/0x2 [othermod]\n"
			 "[    5.000002][  T100] Oops: 0000 [#1] PREEMPT SMP\n"
			 "[    5.000003][  T200] Call Trace:\n"
			 "[    5.000004][  T100] RIP: 0010:0x0\n"
			 "[    5.000005][  T100] Call Trace:\n"
			 "[    5.000006][  T200]  other_task_func+0x1/0x2 [othermod]\n"
			 "[    5.000007][  T100]  <TASK>\n"
			 "[    5.000008][  T100]  memcpy+0x12/0x20\n"
			 "[    5.000009][  T100]  ks_eval_field+0x3a/0x90 [ksensor]\n");
	assert_result(r, CLASSIFY_CRASH, "BUG: unable to handle page fault in ks_eval_field",
		      "interleaved");
	ck_assert_ptr_null(strstr(r->report, "T200"));
	classify_result_free(r);
}
END_TEST

/* User space printing scary words is not a kernel crash. */
START_TEST(test_user_space_noise)
{
	static const char *const logs[] = {
	    "BUG: test case 12 failed\nexpected 3 got 4\n",
	    "WARNING: no config found, using defaults\n",
	    "panic: runtime error: index out of range [21] with length 20\n\ngoroutine 1 "
	    "[running]:\nmain.main()\n",
	    "INFO: task list printed\n",
	    "Traceback (most recent call last):\n  File \"x.py\", line 1\nKeyError: 'BUG'\n",
	    "echo Kernel panic is fun\nsoft lockup is a kernel thing\n",
	    "[   12.0] traps: a.out[1] general protection fault ip:4011d6 sp:7ff error:0\n",
	    "[   12.0] a.out[1]: segfault at 0 ip 00000000004011d6 sp 00007ffd error 4\n",
	    "[   12.0] ---[ end Kernel panic - not syncing: x ]---\n",
	    "",
	    "\n\n\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(logs); i++) {
		struct classify_result *r = classify_str(logs[i]);
		assert_result(r, CLASSIFY_CLEAN, NULL, logs[i]);
		classify_result_free(r);
	}
}
END_TEST

/* A generic "BUG:" counts once kernel report structure follows it. */
START_TEST(test_weak_header_confirmed)
{
	struct classify_result *r = classify_str("BUG: looking up invalid subclass: 8\n"
						 "turning off the locking correctness validator.\n"
						 "CPU: 0 PID: 1 Comm: sh Not tainted 6.1.0 #1\n"
						 "Call Trace:\n"
						 " dump_stack_lvl+0x1/0x2\n"
						 " ks_lock_rules+0x10/0x20 [ksensor]\n");
	assert_result(r, CLASSIFY_CRASH, "BUG: looking up invalid subclass: N in ks_lock_rules",
		      "weak");
	classify_result_free(r);
}
END_TEST

/* A user-space "WARNING:" just before a generic kernel "BUG:" report does not take its place. */
START_TEST(test_weak_header_newest_wins)
{
	struct classify_result *r = classify_str("WARNING: low disk space\n"
						 "BUG: looking up invalid subclass: 9\n"
						 "turning off the locking correctness validator.\n"
						 "CPU: 0 PID: 1 Comm: sh Not tainted 6.1.0 #1\n"
						 "Call Trace:\n"
						 " dump_stack_lvl+0x1/0x2\n"
						 " register_lock_class+0x10/0x20\n"
						 " ks_init_locks+0x10/0x20 [ksensor]\n");
	assert_result(r, CLASSIFY_CRASH, "BUG: looking up invalid subclass: N in ks_init_locks",
		      "newest weak");
	ck_assert_int_eq(r->first_line, 2);
	classify_result_free(r);
}
END_TEST

/* A user-space "WARNING:" (no printk stamp) followed by a kernel stack dump that is not a
 * report (a page allocation failure) is not a crash. */
START_TEST(test_weak_header_user_space)
{
	struct classify_result *r =
	    classify_str("WARNING: cannot allocate buffer, retrying\n"
			 "[   10.000000] agent: page allocation failure: order:10, mode:0x40dc0\n"
			 "[   10.000001] CPU: 0 PID: 1 Comm: agent Not tainted 6.1.0 #1\n"
			 "[   10.000002] Call Trace:\n"
			 "[   10.000003]  dump_stack_lvl+0x1/0x2\n"
			 "[   10.000004]  warn_alloc+0x10/0x20\n");
	assert_result(r, CLASSIFY_CLEAN, NULL, "user-space weak");
	classify_result_free(r);
}
END_TEST

/* A truncated report still gives the verdict and as much title as there is: "corrupted" where
 * the function was lost, as the ecosystem names it (faultline's own 5.0+ names stay as they
 * were). */
START_TEST(test_truncated)
{
	struct classify_result *r = classify_str(
	    "[    1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
	    "[    1.0] #PF: supervisor read acc");
	assert_result(r, CLASSIFY_CRASH, "BUG: kernel NULL pointer dereference", "truncated");
	classify_result_free(r);

	r = classify_str("[   40.0] rcu: INFO: rcu_preempt self-detected stall on CPU\n");
	assert_result(r, CLASSIFY_HANG, "INFO: rcu detected stall in corrupted", "truncated rcu");
	classify_result_free(r);
}
END_TEST

/* Same bug, different addresses, PIDs, CPUs and timestamps: same title. */
/* Kinds and names of reports from kernels other than faultline's own guests (older, newer,
 * arm), written from their printk formats: each console, its verdict and title. */
struct inline_case {
	const char *what;
	const char *console;
	enum classify_verdict verdict;
	const char *title;
};

static const struct inline_case realworld_kinds[] = {
    {"unexpected reboot: a boot banner after the kernel had run",
     "[   50.100000] ksensor: rule 3 loaded\n"
     "Decompressing Linux... Parsing ELF... done.\n"
     "Booting the kernel.\n"
     "[    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)\n",
     CLASSIFY_CRASH, "unexpected kernel reboot"},
    {"a boot at the start of a log is no reboot",
     "Booting the kernel.\n"
     "[    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)\n"
     "[    1.200000] Run /sbin/init as init process\n"
     "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP\n",
     CLASSIFY_CLEAN, NULL},
    {"arm: Unhandled fault, the function from the backtrace's callers",
     "[  900.1] 8<--- cut here ---\n"
     "[  900.1] Unhandled fault: page domain fault (0x01b) at 0x00000e30\n"
     "[  900.1] Internal error: : 1b [#1] PREEMPT SMP ARM\n"
     "[  900.1] PC is at __sanitizer_cov_trace_pc+0x4c/0x78\n"
     "[  900.1] Backtrace: \n"
     "[  900.1] [<802b3ffc>] (__sanitizer_cov_trace_pc) from [<802e1324>] "
     "(ks_parse_rule+0x6c/0x120)\n",
     CLASSIFY_CRASH, "Unhandled fault in ks_parse_rule"},
    {"arm64: Internal error: Oops",
     "[   40.1] Internal error: Oops - SP/PC alignment exception: 8a000000 [#1] SMP\n"
     "[   40.1] pc : ks_jump+0x10/0x40\n",
     CLASSIFY_CRASH, "Internal error in ks_jump"},
    {"4.x: the old name of a NULL pointer dereference",
     "[   55.1] BUG: unable to handle kernel NULL pointer dereference at 000000000000001a\n"
     "[   55.1] IP: skb_release_data+0x258/0x470\n",
     CLASSIFY_CRASH, "BUG: unable to handle kernel NULL pointer dereference in skb_release_data"},
    {"4.x UBSAN",
     "[  1.0] UBSAN: Undefined behaviour in net/ipv4/route.c:507:8\n"
     "[  1.0] signed integer overflow:\n"
     "[  1.0] Call Trace:\n"
     "[  1.0]  dump_stack+0x1a/0x20\n"
     "[  1.0]  handle_overflow+0x1a/0x20\n"
     "[  1.0]  ip_idents_reserve+0x1a/0x20\n",
     CLASSIFY_CRASH, "UBSAN: undefined-behaviour in ip_idents_reserve"},
    {"divide error cut before its error code, confirmed by the oops",
     "[  1.0] divide error\n"
     "[  1.0] CPU: 0 PID: 1 Comm: ks Not tainted 6.1.0 #1\n"
     "[  1.0] RIP: 0010:ks_ratio+0x1a/0x60\n",
     CLASSIFY_CRASH, "divide error in ks_ratio"},
    {"the unwinder's bad-value warning",
     "[  29.0] WARNING: kernel stack regs at 00000000c3d2b57a in ks:4492 has bad 'bp' "
     "value 0000000003a8bd2e\n",
     CLASSIFY_CRASH, "WARNING: kernel stack regs has bad value"},
    {"a task hung waiting for an RCU grace period",
     "[ 361.2] INFO: task kworker/0:1:6102 blocked for more than 120 seconds.\n"
     "[ 361.2] Call Trace:\n"
     "[ 361.2]  __schedule+0x9c/0x1b0\n"
     "[ 361.2]  schedule+0x9c/0x1b0\n"
     "[ 361.2]  wait_for_completion+0x9c/0x1b0\n"
     "[ 361.2]  __wait_rcu_gp+0x9c/0x1b0\n"
     "[ 361.2]  synchronize_rcu_expedited+0x9c/0x1b0\n"
     "[ 361.2]  netdev_run_todo+0x9c/0x1b0\n",
     CLASSIFY_HANG, "INFO: task hung in synchronize_rcu"},
    {"an RCU stall named above the dispatcher of the CPU's work",
     "[ 328.8] rcu: INFO: rcu_preempt self-detected stall on CPU\n"
     "[ 329.2] Call Trace:\n"
     "[ 329.2]  <IRQ>\n"
     "[ 329.2]  dump_stack+0x1c4/0x2b4\n"
     "[ 329.2]  rcu_check_callbacks+0xfd9/0x1990\n"
     "[ 329.2]  smp_apic_timer_interrupt+0x1a1/0x760\n"
     "[ 329.2]  apic_timer_interrupt+0xf/0x20\n"
     "[ 329.2]  </IRQ>\n"
     "[ 329.6] RIP: 0010:kvm_mmu_page_fault+0x2a3/0x1ad0\n"
     "[ 329.8]  vcpu_enter_guest+0x14a9/0x62e0\n"
     "[ 330.0]  kvm_vcpu_ioctl+0x72b/0x1150\n"
     "[ 330.0]  do_vfs_ioctl+0x1de/0x1720\n"
     "[ 330.1]  ksys_ioctl+0xa9/0xd0\n"
     "[ 330.1]  __x64_sys_ioctl+0x73/0xb0\n"
     "[ 330.1]  do_syscall_64+0x1b9/0x820\n",
     CLASSIFY_HANG, "INFO: rcu detected stall in kvm_vcpu_ioctl"},
    {"a soft lockup named after its syscall",
     "[ 300.0] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [ks:123]\n"
     "[ 300.0] RIP: 0010:d_walk+0x1a/0x60\n"
     "[ 300.0] Call Trace:\n"
     "[ 300.0]  shrink_dcache_parent+0x1a/0x60\n"
     "[ 300.0]  do_rmdir+0x1a/0x60\n"
     "[ 300.0]  __x64_sys_rmdir+0x1a/0x60\n"
     "[ 300.0]  do_syscall_64+0x1a/0x60\n",
     CLASSIFY_HANG, "BUG: soft lockup in sys_rmdir"},
    {"a memory leak named past allocation wrappers",
     "[ 100.0] BUG: memory leak\n"
     "[ 100.0] unreferenced object 0xffff8881 (size 1024):\n"
     "[ 100.0]   backtrace:\n"
     "[ 100.0]     [<000000003a>] kmem_cache_alloc+0x1a/0x60\n"
     "[ 100.0]     [<000000003a>] sk_prot_alloc+0x1a/0x60\n"
     "[ 100.0]     [<000000003a>] sk_alloc+0x1a/0x60\n"
     "[ 100.0]     [<000000003a>] inet6_create+0x1a/0x60\n",
     CLASSIFY_CRASH, "memory leak in inet6_create"},
    {"a KMSAN report lists its frames without Call Trace",
     "[ 600.1] BUG: KMSAN: kernel-infoleak in _copy_to_user+0x1c9/0x270\n"
     "[ 600.1]  _copy_to_user+0x1c9/0x270\n"
     "[ 600.1]  urandom_read_nowarn+0x57b/0xb10\n",
     CLASSIFY_CRASH, "KMSAN: kernel-infoleak in urandom_read_nowarn"},
    {"a WARNING with the newest header format",
     "[ 1448.5][ C1] WARNING: lib/debugobjects.c:615 at 0x0, CPU#1: kworker/1:3/17677\n"
     "[ 1448.5][ C1] Call Trace:\n"
     "[ 1448.5][ C1]  debug_print_object+0x1a/0x60\n"
     "[ 1448.5][ C1]  rose_stop_timer+0x1a/0x60\n",
     CLASSIFY_CRASH, "WARNING: ODEBUG bug in rose_stop_timer"},
    {"a report cut before any function: corrupted",
     "[ 7.0] BUG: unable to handle kernel paging request at ffff8800b3d5ed58\n", CLASSIFY_CRASH,
     "BUG: unable to handle kernel paging request in corrupted"},
};

START_TEST(test_realworld_kinds)
{
	const struct inline_case *c = &realworld_kinds[_i];
	struct classify_result *r = classify_str(c->console);
	assert_result(r, c->verdict, c->title, c->what);
	classify_result_free(r);
}
END_TEST

START_TEST(test_stable_titles)
{
	struct classify_result *a =
	    classify_str("[    2.1] Kernel panic - not syncing: VFS: Unable to mount root fs on "
			 "unknown-block(0,0)\n");
	struct classify_result *b =
	    classify_str("[  302.9] Kernel panic - not syncing: VFS: Unable to mount root fs on "
			 "unknown-block(8,1)\n");
	ck_assert_str_eq(a->title, b->title);
	ck_assert_str_eq(a->title,
			 "kernel panic: VFS: Unable to mount root fs on unknown-block(N,N)");
	classify_result_free(a);
	classify_result_free(b);

	a = classify_str("Kernel panic - not syncing: CRED: put_cred_rcu() sees ffff88800a1b2c00 "
			 "with usage 3\n");
	ck_assert_str_eq(a->title, "kernel panic: CRED: put_cred_rcu() sees X with usage N");
	classify_result_free(a);
}
END_TEST

/* Binary garbage, NULs, a 10 MB line, an endless stack trace: no crash, bounded result. */
/* A console line that would retitle the terminal (OSC), clear it (CSI, and the C1 CSI
 * "\xc2\x9b" that a UTF-8 terminal also obeys) and print a fake line: the title and report the
 * run table prints hold none of it; the same from a user-space sensor's log. */
START_TEST(test_hostile_title)
{
	static const char kernel[] = "Kernel panic - not syncing: \x1b]0;owned\x07\x1b[2J"
				     "\xc2\x9b"
				     "2J FAKE \xff\n";
	static const char user[] = "thread 'main' panicked at 'index \x1b]0;owned\x07\x1b[2J"
				   "\xc2\x9b"
				   "2J FAKE', src/main.rs:5:10\n";
	struct classify_result *r = NULL;

	ck_assert_int_eq(classify_buffer(kernel, sizeof(kernel) - 1, &r), 0);
	ck_assert_int_eq(r->verdict, CLASSIFY_CRASH);
	ck_assert_ptr_nonnull(strstr(r->title, "FAKE"));
	ck_assert_ptr_null(strstr(r->title, "\xc2\x9b"));
	ck_assert_ptr_null(strchr(r->title, 0x1b));
	ck_assert(guesttext_is_clean(r->title, strlen(r->title), GUESTTEXT_LINE));
	ck_assert(guesttext_is_clean(r->report, strlen(r->report), GUESTTEXT_LINES));
	classify_result_free(r);

	ck_assert_int_eq(classify_userspace_buffer(user, sizeof(user) - 1, 0, &r), 0);
	ck_assert_int_eq(r->verdict, CLASSIFY_CRASH);
	ck_assert_ptr_nonnull(strstr(r->title, "FAKE"));
	ck_assert(guesttext_is_clean(r->title, strlen(r->title), GUESTTEXT_LINE));
	ck_assert(guesttext_is_clean(r->report, strlen(r->report), GUESTTEXT_LINES));
	classify_result_free(r);
}
END_TEST

START_TEST(test_hostile)
{
	size_t n = 10 * 1024 * 1024;
	char *buf = xmalloc(n);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (char)(x >> 16);
	}
	struct classify_result *r = NULL;
	ck_assert_int_eq(classify_buffer(buf, n, &r), 0);
	classify_result_free(r);

	/* one 10 MB line then a crash: the crash is still found on the next line */
	memset(buf, 'A', n);
	const char *tail = "\nkernel BUG at drivers/x.c:1!\nRIP: 0010:ks_commit+0x1/0x2 [ks]\n";
	memcpy(buf + n - strlen(tail), tail, strlen(tail));
	ck_assert_int_eq(classify_buffer(buf, n, &r), 0);
	assert_result(r, CLASSIFY_CRASH, "kernel BUG in ks_commit", "long line");
	ck_assert_int_eq(r->first_line, 2);
	classify_result_free(r);

	/* NULs inside a header line do not hide it */
	static const char nul[] = "\0\0\0BUG: soft lockup - CPU#0 stuck for 22s! [sh:1]\0\n"
				  "RIP: 0010:ks_eval+0x1/0x2 [ks]\n";
	ck_assert_int_eq(classify_buffer(nul, sizeof(nul) - 1, &r), 0);
	ck_assert_int_eq(r->verdict, CLASSIFY_HANG);
	classify_result_free(r);

	/* endless stack trace: the report excerpt stays bounded */
	size_t o = 0;
	o += snprintf(buf + o, n - o,
		      "BUG: unable to handle page fault for address: 1\n"
		      "Call Trace:\n");
	while (o + 64 < n)
		o += snprintf(buf + o, n - o, " ks_recurse+0x10/0x20 [ks]\n");
	ck_assert_int_eq(classify_buffer(buf, o, &r), 0);
	assert_result(r, CLASSIFY_CRASH, "BUG: unable to handle page fault in ks_recurse",
		      "endless");
	ck_assert_uint_le(strlen(r->report), 64 * 1024);
	classify_result_free(r);
	free(buf);
}
END_TEST

/* Incremental feeding, one byte at a time, gives the same result as the whole buffer. */
START_TEST(test_stream_bytewise)
{
	const char *log = "noise\n[ 1.0] watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [sh:9]\n"
			  "[ 1.0] RIP: 0010:ks_eval+0x1/0x2 [ksensor]\n[ 1.0] Kernel panic - not "
			  "syncing: softlockup: hung tasks\n[ 1.0] Kernel Offset: disabled\nmore\n";
	struct classify_stream *st = classify_stream_new();
	for (const char *p = log; *p && !classify_stream_done(st); p++)
		classify_stream_feed(st, p, 1);
	ck_assert(classify_stream_done(st));
	struct classify_result *r = NULL;
	ck_assert_int_eq(classify_stream_finish(st, &r), 0);
	classify_stream_free(st);
	assert_result(r, CLASSIFY_HANG, "BUG: soft lockup in ks_eval", "bytewise");
	ck_assert_int_eq(r->first_line, 2);
	classify_result_free(r);
}
END_TEST

/* A 10 MB clean log is classified well under a second. */
START_TEST(test_speed)
{
	size_t n = 10 * 1024 * 1024, o = 0;
	char *buf = xmalloc(n + 256);
	unsigned i = 0;
	while (o < n)
		o += snprintf(
		    buf + o, n + 256 - o,
		    "[ %5u.%06u] ksensor: event %u matched rule %u (process /usr/bin/x%u)\n",
		    i / 1000, i % 1000000, i, i % 97, i);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct classify_result *r = NULL;
	ck_assert_int_eq(classify_buffer(buf, o, &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double secs = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	ck_assert_int_eq(r->verdict, CLASSIFY_CLEAN);
	ck_assert_msg(secs < 1.0, "10 MB took %.3f s", secs);
	classify_result_free(r);
	free(buf);
}
END_TEST

static Suite *classify_suite(void)
{
	Suite *s = suite_create("classify");
	TCase *tc = tcase_create("fixtures");
	tcase_add_loop_test(tc, test_fixture, 0, ARRAY_SIZE(expectations));
	tcase_add_loop_test(tc, test_fixture_transforms, 0, ARRAY_SIZE(expectations));
	tcase_add_loop_test(tc, test_fixture_truncations, 0, ARRAY_SIZE(expectations));
	tcase_add_test(tc, test_fixture_list_complete);
	suite_add_tcase(s, tc);
	tc = tcase_create("parsing");
	tcase_add_test(tc, test_first_line_and_report);
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_interleaved_callers);
	tcase_add_test(tc, test_user_space_noise);
	tcase_add_test(tc, test_weak_header_confirmed);
	tcase_add_test(tc, test_weak_header_newest_wins);
	tcase_add_test(tc, test_weak_header_user_space);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_stable_titles);
	tcase_add_loop_test(tc, test_realworld_kinds, 0, ARRAY_SIZE(realworld_kinds));
	tcase_add_test(tc, test_stream_bytewise);
	suite_add_tcase(s, tc);
	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_hostile_title);
	tcase_add_test(tc, test_speed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(classify_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
