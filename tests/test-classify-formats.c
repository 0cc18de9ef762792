/* test-classify-formats.c — the console classifier on consoles synthesized from the kernel's own
 * printk format strings (Linux 6.1 unless a comment names an older or newer kernel), one case per
 * class of report the classifier names, and both sides of each decision ("corrupted" or not, a
 * report or the noise inside one). Each console line is printed here with the kernel's format
 * string (kernel-only conversions such as %pS, %pB, %px, %pV rewritten to %s / %lx, as the
 * comment says) so that a rule fitted to one log rather than to the format fails here. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "classify.h"
#include "util.h"

#define CON_MAX 16384

/* A console being written: every line stamped as printk does ("[%5lu.%06lu] ") unless raw. */
struct con {
	char buf[CON_MAX];
	size_t len;
	unsigned long usec;
	bool raw; /* printk.time=0: no stamps */
};

static void con_vput(struct con *c, bool newline, const char *fmt, va_list ap)
{
	if (!c->raw) {
		c->usec += 1234;
		c->len += snprintf(c->buf + c->len, CON_MAX - c->len, "[%5lu.%06lu] ",
				   100 + c->usec / 1000000, c->usec % 1000000);
	}
	c->len += vsnprintf(c->buf + c->len, CON_MAX - c->len, fmt, ap);
	if (newline && c->len > 0 && c->buf[c->len - 1] != '\n')
		c->len += snprintf(c->buf + c->len, CON_MAX - c->len, "\n");
	ck_assert_uint_lt(c->len, CON_MAX - 1);
}

__attribute__((format(printf, 2, 3))) static void con_line(struct con *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	con_vput(c, true, fmt, ap);
	va_end(ap);
}

/* A partial line (printk without "\n", or pr_cont()'s first piece). */
__attribute__((format(printf, 2, 3))) static void con_part(struct con *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	con_vput(c, false, fmt, ap);
	va_end(ap);
}

/* dump_stack() (lib/dump_stack.c dump_stack_print_info: "CPU: %d PID: %d Comm: %.20s %s%s %s
 * %.*s\n", "Hardware name: %s\n"; arch/x86/kernel/dumpstack.c show_trace_log_lvl: "%sCall
 * Trace:\n", "%s <TASK>\n", printk_stack_address: "%s %s%pBb\n") with the given frames, the
 * innermost first; "?" frames are printed as unreliable ones are. NULL ends the list. */
static void con_stack(struct con *c, int pid, ...)
{
	va_list ap;
	con_line(c, "CPU: %d PID: %d Comm: %.20s %s%s %s %.*s", 0, pid, "ksensor", "Not tainted",
		 "", "6.1.0-18-amd64", 14, "#1 SMP PREEMPT_DYNAMIC");
	con_line(c, "Hardware name: %s", "QEMU Standard PC (i440FX + PIIX, 1996)");
	con_line(c, "%sCall Trace:", "");
	con_line(c, "%s <TASK>", "");
	va_start(ap, pid);
	for (const char *f; (f = va_arg(ap, const char *));)
		con_line(c, "%s %s%s", "", "", f);
	va_end(ap);
	con_line(c, "%s </TASK>", "");
}

static struct classify_result *con_classify(const struct con *c)
{
	struct classify_result *r = NULL;
	ck_assert_int_eq(classify_buffer(c->buf, c->len, &r), 0);
	ck_assert_ptr_nonnull(r);
	return r;
}

static void assert_title(const struct con *c, enum classify_verdict verdict, const char *title)
{
	struct classify_result *r = con_classify(c);
	ck_assert_msg(r->verdict == verdict, "verdict %s, expected %s (title '%s')\n%s",
		      classify_verdict_name(r->verdict), classify_verdict_name(verdict),
		      r->title ? r->title : "", c->buf);
	if (title)
		ck_assert_msg(r->title && streq(r->title, title), "title '%s', expected '%s'\n%s",
			      r->title ? r->title : "(none)", title, c->buf);
	classify_result_free(r);
}

/* Boot noise before every report: the kernel has been running. */
static void con_boot(struct con *c)
{
	*c = (struct con){0};
	con_line(c, "Linux version %s (%s@%s) (%s) %s", "6.1.0-18-amd64", "builder", "host",
		 "gcc-12 (Debian 12.2.0-14) 12.2.0", "#1 SMP PREEMPT_DYNAMIC");
	c->usec = 5000000;
	con_line(c, "Run %s as init process", "/sbin/init");
}

/* ---- A title cut short: mm/kasan/report.c ---- */

START_TEST(test_kasan_bug_type_whole)
{
	struct con c;
	/* 4.4 - 4.19 kasan_report_error(): "BUG: KASAN: %s on address %p\n" then "%s of size %zu
	 * by task %s/%d\n" for an address without shadow */
	static const char *const types[] = {"null-ptr-deref", "wild-memory-access",
					    "user-memory-access"};
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		con_boot(&c);
		con_line(&c, "%s",
			 "==================================================================");
		con_line(&c, "BUG: KASAN: %s on address %p", types[i], (void *)0x10);
		con_line(&c, "%s of size %zu by task %s/%d", i == 1 ? "Write" : "Read", (size_t)8,
			 "ksensor", 321);
		con_stack(&c, 321, "dump_stack+0x1a/0x20", "kasan_report+0x230/0x300",
			  "ks_parse+0x40/0x80 [ksensor]", "ks_ioctl+0x20/0x40 [ksensor]", NULL);
		char want[128];
		snprintf(want, sizeof(want), "KASAN: %s %s in ks_parse", types[i],
			 i == 1 ? "Write" : "Read");
		assert_title(&c, CLASSIFY_CRASH, want);
	}
	/* 6.1 print_error_description(): "BUG: KASAN: %s in %pS\n"; the tag-based mode's
	 * "BUG: KASAN: invalid-access\n" names no function on its line */
	con_boot(&c);
	con_line(&c, "BUG: KASAN: %s in %s", "slab-out-of-bounds", "ks_copy+0x12/0x40 [ksensor]");
	con_line(&c, "%s of size %zu at addr %lx by task %s/%d", "Write", (size_t)4,
		 0xffff888004a1b2c0ul, "ksensor", 321);
	con_stack(&c, 321, "dump_stack_lvl+0x44/0x5c", "print_report+0x171/0x472",
		  "kasan_report+0xad/0x130", "ks_copy+0x12/0x40 [ksensor]", NULL);
	assert_title(&c, CLASSIFY_CRASH, "KASAN: slab-out-of-bounds Write in ks_copy");
	con_boot(&c);
	con_line(&c, "%s", "BUG: KASAN: invalid-access");
	con_stack(&c, 1, "dump_stack_lvl+0x44/0x5c", "kasan_report+0xad/0x130",
		  "ks_tag+0x10/0x20 [ksensor]", NULL);
	assert_title(&c, CLASSIFY_CRASH, "KASAN: invalid-access in ks_tag");
}
END_TEST

/* ---- Kinds named by the kernel's line: kernel/locking/lockdep.c ---- */

static void lockdep_header(struct con *c, const char *fmt, const char *a, const char *b)
{
	con_line(c, "%s", "");
	con_line(c, "%s", "========================================================");
	con_line(c, fmt, a, b);
	con_line(c, "%s", "6.1.0-18-amd64 #1 Not tainted");
	con_line(c, "%s", "--------------------------------------------------------");
}

/* print_lock(): "%px (%s){%s}-{%d:%d}, at: %pS\n" (here after the lock's index) */
static void lockdep_lock(struct con *c, const char *name, const char *at)
{
	con_line(c, " #0: %lx (%s){%s}-{%d:%d}, at: %s", 0xffff888004a1b2c0ul, name, "+.+.", 2, 2,
		 at);
}

START_TEST(test_lockdep_deadlocks)
{
	struct con c;
	/* 6.1: print_irq_inversion_bug(), print_bad_irq_dependency(), print_circular_bug_header();
	 * 4.9: the same headers as "[ INFO: ... ]" */
	static const char *const headers[] = {
	    "WARNING: possible irq lock inversion dependency detected%s%s",
	    "WARNING: %s-safe -> %s-unsafe lock order detected",
	    "WARNING: possible circular locking dependency detected%s%s",
	    "[ INFO: possible irq lock inversion dependency detected ]%s%s",
	    "[ INFO: %s-safe -> %s-unsafe lock order detected ]",
	};
	for (size_t i = 0; i < ARRAY_SIZE(headers); i++) {
		con_boot(&c);
		bool two = strstr(headers[i], "-safe") != NULL;
		lockdep_header(&c, headers[i], two ? "HARDIRQ" : "", two ? "HARDIRQ" : "");
		con_line(&c, "%s/%d is trying to acquire lock:", "ksensor", 321);
		lockdep_lock(&c, "&ks->lock", "ks_reload+0x20/0x80 [ksensor]");
		con_line(&c, "%s", "stack backtrace:");
		con_stack(&c, 321, "dump_stack_lvl+0x44/0x5c", "__lock_acquire+0x1a04/0x4930",
			  "lock_acquire+0x278/0xb88", "_raw_spin_lock+0x30/0x40",
			  "ks_reload+0x20/0x80 [ksensor]", NULL);
		assert_title(&c, CLASSIFY_CRASH, "possible deadlock in ks_reload");
	}
}
END_TEST

START_TEST(test_lockdep_cut_and_invalid_wait)
{
	struct con c;
	/* cut before the lock chains and the stack: named by its header, not "corrupted" */
	con_boot(&c);
	lockdep_header(&c, "WARNING: possible circular locking dependency detected%s%s", "", "");
	assert_title(&c, CLASSIFY_CRASH, "WARNING: possible circular locking dependency detected");
	/* not cut: the locks were printed, but only in machinery (2.6's "[ INFO: ... ]" and
	 * print_lock()'s "at: [<%p>] %pS"): named "corrupted", the kind kept */
	con_boot(&c);
	lockdep_header(&c, "[ INFO: possible circular locking dependency detected ]%s%s", "", "");
	con_line(&c, "%s/%d is trying to acquire lock:", "kacpi_hotplug", 246);
	con_line(&c, " (%s){%s}, at: [<%lx>] %s", "kacpid", "+.+.+.", 0xffffffff8105bbd0ul,
		 "flush_workqueue+0x0/0xb0");
	assert_title(&c, CLASSIFY_CRASH, "possible deadlock in corrupted");
	/* print_lock_invalid_wait_context(): "[ BUG: Invalid wait context ]\n" */
	con_boot(&c);
	con_line(&c, "%s", "=============================");
	con_line(&c, "%s", "[ BUG: Invalid wait context ]");
	con_line(&c, "%s", "-----------------------------");
	con_line(&c, "%s/%d is trying to lock:", "ksensor", 321);
	lockdep_lock(&c, "&mm->mmap_lock", "__might_fault+0x108/0x1b0");
	con_line(&c, "%s", "other info that might help us debug this:");
	con_line(&c, "context-{%d:%d}", 4, 4);
	con_line(&c, "%s", "stack backtrace:");
	con_stack(&c, 321, "dump_stack_lvl+0x44/0x5c", "__lock_acquire+0x1a04/0x4930",
		  "lock_acquire+0x278/0xb88", "__might_fault+0x138/0x1b0",
		  "ks_read+0x174/0x368 [ksensor]", NULL);
	assert_title(&c, CLASSIFY_CRASH, "WARNING: locking bug in ks_read");
}
END_TEST

/* ---- Fortified string functions: lib/string_helpers.c fortify_panic() ---- */

START_TEST(test_fortify)
{
	struct con c;
	/* 5.18 - 6.8: pr_emerg("detected buffer overflow in %s\n", name); BUG(); */
	con_boot(&c);
	con_line(&c, "detected buffer overflow in %s", "strlen");
	con_line(&c, "%s", "------------[ cut here ]------------");
	con_line(&c, "kernel BUG at %s:%u!", "lib/string_helpers.c", 1027u);
	con_line(&c, "invalid opcode: %04lx [#%d] %s", 0ul, 1, "PREEMPT SMP NOPTI");
	con_stack(&c, 321, "fortify_panic+0x13/0x14", "ks_name+0x30/0x40 [ksensor]", NULL);
	assert_title(&c, CLASSIFY_CRASH, "detected buffer overflow in ks_name");
	/* the pr_emerg() line lost: the BUG() it was followed by is what the console says */
	con_boot(&c);
	con_line(&c, "kernel BUG at %s:%u!", "lib/string.c", 1129u);
	con_line(&c, "invalid opcode: %04lx [#%d] %s", 0ul, 1, "PREEMPT SMP NOPTI");
	con_stack(&c, 321, "fortify_panic+0x13/0x14", "ks_name+0x30/0x40 [ksensor]", NULL);
	assert_title(&c, CLASSIFY_CRASH, "kernel BUG in ks_name");
}
END_TEST

/* ---- SLUB debugging: mm/slub.c slab_bug(), object_err() ---- */

START_TEST(test_slub)
{
	struct con c;
	static const char *const what[] = {"Object already free", "Poison overwritten",
					   "Freepointer corrupt"};
	for (size_t i = 0; i < ARRAY_SIZE(what); i++) {
		con_boot(&c);
		con_line(&c, "%s", "=============================================================");
		/* slab_bug(): "BUG %s (%s): %pV\n" */
		con_line(&c, "BUG %s (%s): %s", "kmalloc-64", "Not tainted", what[i]);
		con_line(&c, "%s",
			 "-----------------------------------------------------------------");
		con_stack(&c, 321, "dump_stack_lvl+0x44/0x5c", "free_debug_processing+0x1c1/0x2a0",
			  "kfree+0x1a0/0x2c0", "ks_free+0x10/0x20 [ksensor]", NULL);
		char want[128];
		snprintf(want, sizeof(want), "BUG: %s in ks_free", what[i]);
		assert_title(&c, CLASSIFY_CRASH, want);
	}
}
END_TEST

/* ---- Panics: kernel/panic.c panic("..."), kernel/hung_task.c, drivers/tty/tty_ldisc.c ---- */

START_TEST(test_panics)
{
	struct con c;
	/* check_hung_uninterruptible_tasks(): panic("hung_task: blocked tasks") once the
	 * "INFO: task %s:%d blocked for more than %ld seconds.\n" reports ran out */
	con_boot(&c);
	con_line(&c, "Kernel panic - not syncing: %s", "hung_task: blocked tasks");
	con_stack(&c, 35, "dump_stack_lvl+0x44/0x5c", "panic+0x107/0x2b8", "watchdog+0x3ea/0x400",
		  "kthread+0xe6/0x110", NULL);
	assert_title(&c, CLASSIFY_HANG, "kernel panic: hung_task: blocked tasks");
	/* with the task's report before it: the report names it */
	con_boot(&c);
	con_line(&c, "INFO: task %s:%d blocked for more than %ld seconds.", "ksensor", 321, 122l);
	con_line(&c, "%s", "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this.");
	con_stack(&c, 321, "__schedule+0x2f4/0x900", "schedule+0x5d/0xe0",
		  "ks_wait+0x30/0x60 [ksensor]", NULL);
	con_line(&c, "Kernel panic - not syncing: %s", "hung_task: blocked tasks");
	assert_title(&c, CLASSIFY_HANG, "INFO: task hung in ks_wait");

	/* __stack_chk_fail(): panic("stack-protector: Kernel stack is corrupted in: %pB", ...),
	 * with a symbol, and as an address when there are none */
	con_boot(&c);
	con_line(&c,
		 "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: %s",
		 "ks_fill+0x9e/0xa0 [ksensor]");
	con_stack(&c, 321, "dump_stack_lvl+0x44/0x5c", "panic+0x107/0x2b8",
		  "__stack_chk_fail+0x10/0x10", "ks_fill+0x9e/0xa0 [ksensor]", NULL);
	assert_title(&c, CLASSIFY_CRASH,
		     "kernel panic: stack-protector: Kernel stack is corrupted in ks_fill");
	con_boot(&c);
	con_line(&c,
		 "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: %lx",
		 0xffffffffc0a1b2c3ul);
	con_stack(&c, 321, "dump_stack_lvl+0x44/0x5c", "panic+0x107/0x2b8",
		  "__stack_chk_fail+0x10/0x10", "ks_fill+0x9e/0xa0 [ksensor]", NULL);
	assert_title(&c, CLASSIFY_CRASH,
		     "kernel panic: stack-protector: Kernel stack is corrupted in ks_fill");

	/* tty_ldisc_failto(): panic("Couldn't open N_NULL ldisc for %s.", name); 4.x
	 * tty_ldisc_restore(): panic("Couldn't open N_TTY ldisc for %s --- error %d.", ...):
	 * one title whatever the tty */
	static const char *const ttys[] = {"ptm0", "ttyS1", "pts12"};
	for (size_t i = 0; i < ARRAY_SIZE(ttys); i++) {
		con_boot(&c);
		con_line(&c, "Kernel panic - not syncing: Couldn't open N_NULL ldisc for %s.",
			 ttys[i]);
		con_stack(&c, 321, "panic+0x107/0x2b8", "tty_ldisc_failto+0x20/0x20", NULL);
		assert_title(&c, CLASSIFY_CRASH, "kernel panic: Couldn't open N_NULL ldisc");
		con_boot(&c);
		con_line(
		    &c,
		    "Kernel panic - not syncing: Couldn't open N_TTY ldisc for %s --- error %d.",
		    ttys[i], -22);
		con_stack(&c, 321, "panic+0x107/0x2b8", "tty_ldisc_hangup+0x20/0x20", NULL);
		assert_title(&c, CLASSIFY_CRASH, "kernel panic: Couldn't open N_TTY ldisc");
	}
	/* a message whose numbers are only numbers keeps its words (init/do_mounts.c) */
	con_boot(&c);
	con_line(&c, "Kernel panic - not syncing: VFS: Unable to mount root fs on %s",
		 "unknown-block(0,0)");
	assert_title(&c, CLASSIFY_CRASH,
		     "kernel panic: VFS: Unable to mount root fs on unknown-block(N,N)");
}
END_TEST

/* ---- Older kernels' and other architectures' page faults ---- */

START_TEST(test_page_faults)
{
	struct con c;
	/* 4.19 arch/x86/mm/fault.c show_fault_oops(): printk(KERN_ALERT "BUG: unable to handle
	 * kernel "), KERN_CONT "NULL pointer dereference" / "paging request", " at %px\n" */
	static const char *const what[] = {"paging request", "NULL pointer dereference"};
	for (size_t i = 0; i < ARRAY_SIZE(what); i++) {
		con_boot(&c);
		con_part(&c, "%s", "BUG: unable to handle kernel ");
		c.buf[c.len] = '\0';
		c.len += snprintf(c.buf + c.len, CON_MAX - c.len, "%s at %lx\n", what[i],
				  i ? 0x10ul : 0xffffc9001652fa68ul);
		con_line(&c, "PGD %lx P4D %lx PUD %lx PMD %lx PTE 0", 0x10c00067ul, 0x10c00067ul,
			 0x10ded067ul, 0x6ba82067ul);
		con_line(&c, "Oops: %04lx [#%d] %s", 0ul, 1, "SMP KASAN");
		con_line(&c, "RIP: %04x:%s", 0x10, "ks_peek+0x10/0x20 [ksensor]");
		con_stack(&c, 321, "ks_peek+0x10/0x20 [ksensor]", "ks_ioctl+0x20/0x40 [ksensor]",
			  NULL);
		char want[128];
		snprintf(want, sizeof(want), "BUG: unable to handle kernel %s in ks_peek", what[i]);
		assert_title(&c, CLASSIFY_CRASH, want);
	}
	/* the pr_cont() pieces lost to another CPU's message: the header as far as it got */
	con_boot(&c);
	con_part(&c, "%s", "BUG: unable to handle kernel ");
	con_line(&c, "deprecated getsockopt IP_VLAN used by %s!", "ksensor");
	con_line(&c, "IP: %s", "ks_peek+0x10/0x20 [ksensor]");
	assert_title(&c, CLASSIFY_CRASH, "BUG: unable to handle kernel");
	/* arch/arm64/mm/fault.c die_kernel_fault(): "Unable to handle kernel %s at virtual
	 * address %016lx\n", mem_abort_decode(): "Mem abort info:\n", "  ESR = 0x%016lx\n";
	 * arch/arm64/kernel/traps.c __die(): "Internal error: %s: %016lx [#%d] " */
	for (int lost = 0; lost < 2; lost++) {
		con_boot(&c);
		if (!lost)
			con_line(&c, "Unable to handle kernel %s at virtual address %016lx",
				 "paging request", 0xffff800008a1b2c0ul);
		con_line(&c, "%s", "Mem abort info:");
		con_line(&c, "  ESR = 0x%016lx", 0x96000007ul);
		con_line(&c, "  EC = 0x%02lx: %s, IL = %u bits", 0x25ul, "DABT (current EL)", 32u);
		con_line(&c, "Internal error: %s: %016lx [#%d] %s", "Oops", 0x96000007ul, 1,
			 "PREEMPT SMP");
		con_line(&c, "pc : %s", "ks_peek+0x10/0x20 [ksensor]");
		con_line(&c, "%s", "Call trace:");
		con_line(&c, " %s", "ks_peek+0x10/0x20 [ksensor]");
		con_line(&c, " %s", "ks_ioctl+0x20/0x40 [ksensor]");
		assert_title(&c, CLASSIFY_CRASH, "BUG: unable to handle page fault in ks_peek");
	}
	/* an oops of another cause (die("Oops - BUG")'s siblings) stays an internal error */
	con_boot(&c);
	con_line(&c, "Internal error: %s: %016lx [#%d] %s", "Oops", 0xf2000800ul, 1, "PREEMPT SMP");
	con_line(&c, "pc : %s", "ks_peek+0x10/0x20 [ksensor]");
	con_line(&c, "%s", "Call trace:");
	con_line(&c, " %s", "ks_peek+0x10/0x20 [ksensor]");
	assert_title(&c, CLASSIFY_CRASH, "Internal error in ks_peek");
}
END_TEST

/* ---- Other subsystems' panics: a trusted OS's Little Kernel, forwarded by its driver ---- */

START_TEST(test_trusty)
{
	struct con c;
	/* lk/kernel/debug.c _panic(): "panic (caller %p): " + the message; lk's ASSERT():
	 * panic("ASSERT FAILED at (%s:%d): %s\n", __FILE__, __LINE__, #x); DEBUG_ASSERT():
	 * "DEBUG ASSERT FAILED at (%s:%d): %s\n"; drivers/trusty/trusty.c prefixes "trusty: " */
	con_boot(&c);
	con_line(&c, "trusty: panic (caller 0x%lx): DEBUG ASSERT FAILED at (%s:%d): %s",
		 0xffffffffe000fbd0ul, "trusty/kernel/include/shared/lk/reflist.h", 63,
		 "list_in_list(&ref->ref_node)");
	con_line(&c, "trusty: HALT: (reason = %d)", 9);
	con_line(&c, "%s", "------------[ cut here ]------------");
	con_line(&c, "WARNING: CPU: %d PID: %d at %s:%d %s", 0, 36, "drivers/trusty/trusty.c", 215,
		 "trusty_std_call32+0x220/0x240");
	assert_title(&c, CLASSIFY_CRASH, "trusty: ASSERT FAILED: list_in_list(&ref->ref_node)");
	con_boot(&c);
	con_line(&c, "trusty: panic (caller 0x%lx): %s", 0xffffffffe000fbd0ul,
		 "out of memory in the secure heap");
	assert_title(&c, CLASSIFY_CRASH, "trusty: panic: out of memory in the secure heap");
}
END_TEST

/* ---- Frames: reporting machinery, the unwinder, the boot path ---- */

START_TEST(test_frames)
{
	struct con c;
	/* kernel/panic.c __warn(): "WARNING: CPU: %d PID: %d at %pS\n" (a file:line before %pS
	 * since 4.x: "at %s:%d %pS") */
	con_boot(&c);
	con_line(&c, "%s", "------------[ cut here ]------------");
	con_line(&c, "WARNING: CPU: %d PID: %d at %s:%d %s", 0, 0, "mm/page_alloc.c", 8511,
		 "alloc_large_system_hash+0x2a0/0x300");
	con_stack(&c, 0, "dump_stack_lvl+0x44/0x5c", "__warn+0x81/0x130", "report_bug+0x171/0x1a0",
		  "handle_bug+0x3c/0x70", "exc_invalid_op+0x17/0x70",
		  "asm_exc_invalid_op+0x1a/0x20", "show_trace_log_lvl+0x1c/0x2f",
		  "unwind_next_frame+0x10/0x20", "alloc_large_system_hash+0x2a0/0x300",
		  "start_kernel+0x4f0/0x6a0", "i386_start_kernel+0x43/0x45",
		  "startup_32_smp+0x161/0x164", NULL);
	assert_title(&c, CLASSIFY_CRASH, "WARNING in alloc_large_system_hash");
	/* a check that fired inside the unwinder saving a stack (kernel/stacktrace.c,
	 * lib/stackdepot.c): the caller that asked for the stack names it */
	con_boot(&c);
	con_line(&c, "WARNING: CPU: %d PID: %d at %s:%d %s", 0, 321, "arch/x86/kernel/unwind_orc.c",
		 510, "unwind_next_frame+0x1a0/0x2a0");
	con_stack(&c, 321, "dump_stack_lvl+0x44/0x5c", "__warn+0x81/0x130",
		  "report_bug+0x171/0x1a0", "unwind_next_frame+0x1a0/0x2a0",
		  "arch_stack_walk+0x7d/0xf0", "stack_trace_save+0x90/0xd0",
		  "stack_depot_save+0x10/0x20", "sk_alloc+0x32/0x9a0", "inet_create+0x2ff/0x7c0",
		  NULL);
	assert_title(&c, CLASSIFY_CRASH, "WARNING in sk_alloc");
	/* everything above start_kernel() is machinery: start_kernel names it, not the boot path
	 * below it */
	con_boot(&c);
	con_line(&c, "%s", "------------[ cut here ]------------");
	con_line(&c, "WARNING: CPU: %d PID: %d at %s:%d %s", 0, 0, "kernel/rcu/tree.c", 4200,
		 "rcu_init+0x40/0x80");
	con_stack(&c, 0, "dump_stack_lvl+0x44/0x5c", "__warn+0x81/0x130", "report_bug+0x171/0x1a0",
		  "rcu_init+0x40/0x80", "start_kernel+0x4f0/0x6a0", "i386_start_kernel+0x43/0x45",
		  "startup_32_smp+0x161/0x164", NULL);
	assert_title(&c, CLASSIFY_CRASH, "WARNING in start_kernel");
}
END_TEST

/* ---- "corrupted": two reports interleaved, a report cut before its frames; both ways ---- */

START_TEST(test_corrupted)
{
	struct con c;
	/* another CPU's oops (arch/x86/kernel/dumpstack.c __die_header: "%s: %04lx [#%d]...")
	 * between a WARN()'s "Call Trace:" and its first frame: either report's frames */
	con_boot(&c);
	con_line(&c, "WARNING: CPU: %d PID: %d at %s:%d %s", 1, 321, "net/core/dev.c", 10,
		 "ks_xmit+0x10/0x20 [ksensor]");
	con_line(&c, "CPU: %d PID: %d Comm: %.20s %s", 1, 321, "ksensor", "Not tainted");
	con_line(&c, "%sCall Trace:", "");
	con_line(&c, "general protection fault: %04lx [#%d] %s", 0ul, 1, "SMP KASAN");
	con_line(&c, "CPU: %d PID: %d Comm: %.20s %s", 0, 322, "other", "Not tainted");
	con_line(&c, "RIP: %04x:%s", 0x10, "native_write_cr4+0x4/0x10");
	con_line(&c, " %s", "ks_send+0x10/0x20 [ksensor]");
	assert_title(&c, CLASSIFY_CRASH, "WARNING in corrupted");
	/* the same reports one after the other: not interleaved */
	con_boot(&c);
	con_line(&c, "WARNING: CPU: %d PID: %d at %s:%d %s", 1, 321, "net/core/dev.c", 10,
		 "ks_xmit+0x10/0x20 [ksensor]");
	con_stack(&c, 321, "ks_xmit+0x10/0x20 [ksensor]", "dev_hard_start_xmit+0x10/0x20", NULL);
	con_line(&c, "general protection fault: %04lx [#%d] %s", 0ul, 1, "SMP KASAN");
	con_line(&c, "RIP: %04x:%s", 0x10, "native_write_cr4+0x4/0x10");
	assert_title(&c, CLASSIFY_CRASH, "WARNING in ks_xmit");
	/* another task's dump_stack() between the WARN() header and its own "Call Trace:" */
	con_boot(&c);
	con_line(&c, "WARNING: CPU: %d PID: %d at %s:%d %s", 0, 17813, "net/core/dev.c", 1012,
		 "ks_queue+0x5d/0x70 [ksensor]");
	con_line(&c, " %s", "should_fail+0x914/0xae0");
	con_line(&c, " %s", "ks_alloc+0x10/0x20 [ksensor]");
	con_line(&c, "Kernel panic - not syncing: %s", "panic_on_warn set ...");
	con_stack(&c, 17813, "dump_stack_lvl+0x44/0x5c", "panic+0x107/0x2b8",
		  "ks_other+0x10/0x20 [ksensor]", NULL);
	assert_title(&c, CLASSIFY_CRASH, "WARNING in corrupted");
	/* cut before any frame: a WARN() names the check that fired, not who called it */
	con_boot(&c);
	con_line(&c, "WARNING: CPU: %d PID: %d at %s:%d %s", 0, 0, "net/sched/sch_generic.c", 316,
		 "dev_watchdog+0x648/0x770");
	con_line(&c, "NETDEV WATCHDOG: %s (%s): transmit queue %u timed out", "eth0", "e1000", 0u);
	assert_title(&c, CLASSIFY_CRASH, "WARNING in corrupted");
	/* ... but unreliable frames are frames: the report was not cut */
	con_boot(&c);
	con_line(&c, "WARNING: CPU: %d PID: %d at %s:%d %s", 0, 321, "kernel/module.c", 1108,
		 "module_put+0x57/0x70");
	con_stack(&c, 321, "? dump_stack+0x44/0x64", "? __warn+0xfa/0x120",
		  "? module_put+0x57/0x70", NULL);
	assert_title(&c, CLASSIFY_CRASH, "WARNING in module_put");
	/* a sanitizer's header names the faulting access: cut, it still names it */
	con_boot(&c);
	con_line(&c, "BUG: KASAN: %s in %s", "use-after-free", "ks_wake+0xfb/0x120 [ksensor]");
	con_line(&c, "%s of size %zu at addr %lx by task %s/%d", "Write", (size_t)8,
		 0xffff88002db3cf50ul, "ksensor", 321);
	assert_title(&c, CLASSIFY_CRASH, "KASAN: use-after-free Write in ks_wake");
	/* lockdep_rcu_suspicious(): "WARNING: suspicious RCU usage\n", ..., "other info that
	 * might help us debug this:\n", "\nstack backtrace:\n", dump_stack(): a "Call Trace:"
	 * before "stack backtrace:" is another task's */
	for (int foreign = 0; foreign < 2; foreign++) {
		con_boot(&c);
		con_line(&c, "%s", "=============================");
		con_line(&c, "%s", "WARNING: suspicious RCU usage");
		con_line(&c, "%s", "-----------------------------");
		if (foreign)
			con_stack(&c, 14047, "dump_stack+0x1a/0x20", "ks_other+0x10/0x20 [ksensor]",
				  NULL);
		con_line(&c, "%s:%d %s!", "net/core/dev.c", 4242,
			 "suspicious rcu_dereference_check() usage");
		con_line(&c, "%s", "other info that might help us debug this:");
		con_line(&c, "%s", "stack backtrace:");
		con_stack(&c, 321, "dump_stack_lvl+0x44/0x5c", "lockdep_rcu_suspicious+0x10/0x20",
			  "ks_lookup+0x10/0x20 [ksensor]", NULL);
		assert_title(&c, CLASSIFY_CRASH,
			     foreign ? "WARNING: suspicious RCU usage in corrupted"
				     : "WARNING: suspicious RCU usage in ks_lookup");
	}
	/* __warn(): print_modules(), then show_regs() or dump_stack() with the header's PID; a
	 * "Call Trace:" before either is another task's */
	for (int foreign = 0; foreign < 2; foreign++) {
		con_boot(&c);
		con_line(&c, "WARNING: CPU: %d PID: %d at %s:%d %s", 1, 13845, "net/core/dev.c", 10,
			 "ks_xmit+0x10/0x20 [ksensor]");
		if (!foreign)
			con_line(&c, "Modules linked in: %s", "ksensor");
		con_line(&c, "%sCall Trace:", "");
		con_line(&c, " %s", "ks_send+0x10/0x20 [ksensor]");
		assert_title(&c, CLASSIFY_CRASH,
			     foreign ? "WARNING in corrupted" : "WARNING in ks_xmit");
	}
	/* a report that is only its header: detected, and named "corrupted" */
	con_boot(&c);
	con_line(&c, "BUG: %s", "scheduling while atomic: ksensor/321/0x00000002");
	assert_title(&c, CLASSIFY_CRASH, "BUG: scheduling while atomic in corrupted");
}
END_TEST

/* ---- The missed ones ---- */

START_TEST(test_unwinder)
{
	struct con c;
	/* arch/x86/kernel/unwind_frame.c unwind_next_frame(): "WARNING: kernel stack frame
	 * pointer at %p in %s:%d has bad value %p\n", "WARNING: kernel stack regs at %p in %s:%d
	 * has bad 'bp' value %p\n", then unwind_dump()'s "unwind stack type:%d next_sp:%p
	 * mask:0x%lx graph_idx:%d\n" */
	con_boot(&c);
	con_line(&c, "WARNING: kernel stack frame pointer at %lx in %s:%d has bad value %lx",
		 0xffffc90000a1bd80ul, "ksensor", 321, 0x1ul);
	con_line(&c, "unwind stack type:%d next_sp:%lx mask:0x%lx graph_idx:%d", 0, 0ul, 0x6ul, 0);
	assert_title(&c, CLASSIFY_CRASH, "WARNING: kernel stack frame pointer has bad value");
	/* with the regs warning after it: the pair is named after the regs */
	con_boot(&c);
	con_line(&c, "WARNING: kernel stack frame pointer at %lx in %s:%d has bad value %lx",
		 0xffffc90000a1bd80ul, "ksensor", 321, 0x1ul);
	con_line(&c, "WARNING: kernel stack regs at %lx in %s:%d has bad 'bp' value %lx",
		 0xffffc90000a1bd80ul, "ksensor", 321, 0x1ul);
	assert_title(&c, CLASSIFY_CRASH, "WARNING: kernel stack regs has bad value");
	/* printed while a report's stack is dumped: that report's */
	con_boot(&c);
	con_line(&c, "BUG: KASAN: %s in %s", "stack-out-of-bounds", "ks_walk+0x50/0x60 [ksensor]");
	con_line(&c, "%s of size %zu at addr %lx by task %s/%d", "Read", (size_t)8,
		 0xffff88002db3cf50ul, "ksensor", 321);
	con_line(&c, "WARNING: kernel stack frame pointer at %lx in %s:%d has bad value %lx",
		 0xffffc90000a1bd80ul, "ksensor", 321, 0x1ul);
	con_stack(&c, 321, "dump_stack_lvl+0x44/0x5c", "ks_walk+0x50/0x60 [ksensor]", NULL);
	assert_title(&c, CLASSIFY_CRASH, "KASAN: stack-out-of-bounds Read in ks_walk");
}
END_TEST

START_TEST(test_reboot)
{
	struct con c;
	/* arch/x86/boot/compressed/misc.c extract_kernel(): "\nDecompressing Linux... ",
	 * "done.\nBooting the kernel.\n" (unstamped: the decompressor has no printk) */
	for (int raw = 0; raw < 2; raw++) {
		c = (struct con){.raw = raw};
		c.raw = true;
		con_line(&c, "%s", "Decompressing Linux... Parsing ELF... done.");
		con_line(&c, "%s", "Booting the kernel.");
		c.raw = raw;
		con_line(&c, "Linux version %s (%s@%s) (%s) %s", "6.1.0-18-amd64", "builder",
			 "host", "gcc-12", "#1 SMP");
		assert_title(&c, CLASSIFY_CLEAN, NULL); /* a boot */
		c.usec += 5000000;
		con_line(&c, "Run %s as init process", "/sbin/init");
		con_line(&c, "%s", "ksensor: loaded");
		c.raw = true;
		con_line(&c, "%s", "Decompressing Linux... Parsing ELF... done.");
		con_line(&c, "%s", "Booting the kernel.");
		assert_title(&c, CLASSIFY_CRASH, "unexpected kernel reboot");
	}
	/* arch/arm/boot/compressed/misc.c: putstr("Uncompressing Linux..."), " done, booting
	 * the kernel.\n" */
	con_boot(&c);
	c.raw = true;
	con_line(&c, "%s", "Uncompressing Linux... done, booting the kernel.");
	assert_title(&c, CLASSIFY_CRASH, "unexpected kernel reboot");
}
END_TEST

START_TEST(test_divide_error)
{
	struct con c;
	/* arch/x86/kernel/traps.c exc_divide_error(): do_error_trap(..., "divide error", ...) ->
	 * die() -> __die_header(): "%s: %04lx [#%d]%s%s%s%s%s\n"; 6.10+ prefixes "Oops: " */
	static const char *const heads[] = {"divide error: %04lx [#%d]%s",
					    "Oops: divide error: %04lx [#%d]%s"};
	for (size_t i = 0; i < ARRAY_SIZE(heads); i++) {
		con_boot(&c);
		con_line(&c, heads[i], 0ul, 1, " PREEMPT SMP NOPTI");
		con_line(&c, "RIP: %04x:%s", 0x10, "ks_ratio+0x10/0x20 [ksensor]");
		con_stack(&c, 321, "ks_ratio+0x10/0x20 [ksensor]", NULL);
		assert_title(&c, CLASSIFY_CRASH, "divide error in ks_ratio");
	}
	/* after a partial line another CPU left unterminated (4.x printk merged them) */
	con_boot(&c);
	con_part(&c, "%s", "ksensor: rate ");
	c.len += snprintf(c.buf + c.len, CON_MAX - c.len, "divide error: %04lx [#%d]%s\n", 0ul, 1,
			  " SMP");
	con_line(&c, "RIP: %04x:%s", 0x10, "ks_ratio+0x10/0x20 [ksensor]");
	con_stack(&c, 321, "ks_ratio+0x10/0x20 [ksensor]", NULL);
	assert_title(&c, CLASSIFY_CRASH, "divide error in ks_ratio");
	/* user space naming the same words is not a report */
	con_boot(&c);
	con_line(&c, "%s", "calc: divide error: check the input [#3 of 5]");
	assert_title(&c, CLASSIFY_CLEAN, NULL);
}
END_TEST

static Suite *formats_suite(void)
{
	Suite *s = suite_create("classify-formats");
	TCase *tc = tcase_create("kinds");
	tcase_add_test(tc, test_kasan_bug_type_whole);
	tcase_add_test(tc, test_lockdep_deadlocks);
	tcase_add_test(tc, test_lockdep_cut_and_invalid_wait);
	tcase_add_test(tc, test_fortify);
	tcase_add_test(tc, test_slub);
	tcase_add_test(tc, test_panics);
	tcase_add_test(tc, test_page_faults);
	tcase_add_test(tc, test_trusty);
	suite_add_tcase(s, tc);
	tc = tcase_create("names");
	tcase_add_test(tc, test_frames);
	tcase_add_test(tc, test_corrupted);
	tcase_add_test(tc, test_unwinder);
	tcase_add_test(tc, test_reboot);
	tcase_add_test(tc, test_divide_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(formats_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
