/* classify-patterns.c — every pattern, title and skip list of the console classifier, in one place.
 * The pattern language is described in classify-patterns.h. Formats come from the printk calls of
 * Linux 6.1 (file named in the comment) and from older/newer kernels where they differ. Order
 * matters: the first matching row wins, so specific rows come before the generic ones. */
#include "classify-patterns.h"
#include "util.h"

/* The tables are laid out by hand, one row per report kind: */
/* clang-format off */
#define CRASH CLASSIFY_CRASH
#define HANG CLASSIFY_HANG
#define WEAK CLASSIFY_PAT_WEAK
#define ACCESS CLASSIFY_PAT_ACCESS
#define ATFUNC CLASSIFY_PAT_AT_FUNC
#define IGNORE CLASSIFY_PAT_IGNORE
#define HDRONLY CLASSIFY_PAT_HDR_FUNC_ONLY
#define SPIN CLASSIFY_PAT_SPIN
#define HUNG CLASSIFY_PAT_HUNG
#define SAMPLED CLASSIFY_PAT_SAMPLED
#define LEAK CLASSIFY_PAT_LEAK
#define REBOOT CLASSIFY_PAT_REBOOT
#define OWNNAME CLASSIFY_PAT_OWN_NAME
#define SITE CLASSIFY_PAT_SITE
#define ASIDE CLASSIFY_PAT_ASIDE
#define CUTHDR CLASSIFY_PAT_CUT_HEADER
#define TRIM CLASSIFY_PAT_TRIM
#define BTRACE CLASSIFY_PAT_BACKTRACE

const struct classify_pattern classify_patterns[] = {
	/* ---- Known harmless lines that look like reports. ---- */
	{ "INFO: lockdep is turned off", 0, NULL, NULL, IGNORE },
	{ "INFO: Stall ended before state dump start", 0, NULL, NULL, IGNORE },
	{ "INFO: NMI handler (", 0, NULL, NULL, IGNORE }, /* took too long to run: perf noise */
	{ "WARNING: Unprivileged eBPF is enabled", 0, NULL, NULL, IGNORE },
	{ "WARNING: fbcon: Driver", 0, NULL, NULL, IGNORE },
	{ "WARNING: See https", 0, NULL, NULL, IGNORE }, /* "... for mitigation options." */
	{ "WARNING: kernel not compiled with CPU_SRSO", 0, NULL, NULL, IGNORE },
	{ "WARNING: stack recursion on stack type", 0, NULL, NULL, IGNORE },
	{ "WARNING: stack going in the wrong direction", 0, NULL, NULL, IGNORE },
	{ "WARNING: can't access registers at", 0, NULL, NULL, IGNORE },
	{ "BUG: Bad page map: %d messages suppressed", 0, NULL, NULL, IGNORE },
	{ "WARNING: The mand mount option", 0, NULL, NULL, IGNORE },
	{ "WARNING: the mand mount option", 0, NULL, NULL, IGNORE },
	{ "WARNING: workqueue cpumask: online intersect > possible intersect", 0, NULL, NULL,
	  IGNORE },
	{ "WARNING: Unsupported flag value(s) of", 0, NULL, NULL, IGNORE }, /* ld.so */
	{ "WARNING: /etc/ssh/moduli does not exist", 0, NULL, NULL, IGNORE },
	{ "INFO: recovery required on readonly filesystem", 0, NULL, NULL, IGNORE },
	{ "INFO: Flushing ", 0, NULL, NULL, IGNORE },
	{ "BUG: Bad page state: %d messages suppressed", 0, NULL, NULL, IGNORE },

	/* ---- Page faults (arch/x86/mm/fault.c; older kernels; arm/arm64 mm/fault.c). ---- */
	/* 5.0+ wording, faultline's names since its first guests (dashboards use the old ones) */
	{ "BUG: kernel NULL pointer dereference", CRASH, "null-deref",
	  "BUG: kernel NULL pointer dereference in $F", OWNNAME },
	/* before 5.0 the same report read "BUG: unable to handle kernel ...": the old name */
	{ "BUG: unable to handle kernel NULL pointer dereference", CRASH, "null-deref",
	  "BUG: unable to handle kernel NULL pointer dereference in $F", 0 },
	{ "BUG: unable to handle page fault for address", CRASH, "page-fault",
	  "BUG: unable to handle page fault in $F", OWNNAME },
	{ "BUG: unable to handle kernel paging request", CRASH, "page-fault",
	  "BUG: unable to handle kernel paging request in $F", 0 },
	{ "BUG: unable to handle kernel$", CRASH, "page-fault", "BUG: unable to handle kernel",
	  0 }, /* the rest of the line lost */
	{ "BUG: unable to handle kernel", CRASH, "page-fault",
	  "BUG: unable to handle kernel paging request in $F", 0 },
	/* powerpc (arch/powerpc/mm/fault.c), s390 (arch/s390/mm/fault.c) */
	{ "BUG: Kernel NULL pointer dereference", CRASH, "null-deref",
	  "BUG: kernel NULL pointer dereference in $F", 0 },
	{ "BUG: Unable to handle kernel %C access", CRASH, "page-fault",
	  "BUG: unable to handle kernel paging request in $F", 0 },
	{ "BUG: Unable to handle unknown paging fault", CRASH, "page-fault",
	  "BUG: unable to handle kernel paging request in $F", 0 },
	{ "BUG: Unable to handle kernel instruction fetch", CRASH, "page-fault",
	  "BUG: unable to handle kernel paging request in $F", 0 },
	{ "CPU %d Unable to handle kernel paging request", CRASH, "page-fault", /* mips */
	  "BUG: unable to handle kernel paging request in $F", 0 },
	{ "Kernel access of bad area", CRASH, "page-fault",
	  "BUG: unable to handle kernel paging request in $F", 0 },
	{ "Unable to handle kernel pointer dereference in virtual kernel address space", CRASH,
	  "page-fault", "BUG: unable to handle kernel paging request in $F", 0 },
	{ "Bad pagetable: %x [#", CRASH, "page-fault",
	  "BUG: unable to handle kernel paging request in $F", 0 },
	/* arm, arm64, riscv (arch/arm64/mm/fault.c die_kernel_fault): the names faultline gives
	 * x86's 5.0+ reports, so that one bug has one title on amd64 and arm64 guests (a matrix's
	 * cells, compare, deduplication) */
	{ "Unable to handle kernel NULL pointer dereference", CRASH, "null-deref",
	  "BUG: kernel NULL pointer dereference in $F", OWNNAME },
	{ "Unable to handle kernel paging request", CRASH, "page-fault",
	  "BUG: unable to handle page fault in $F", OWNNAME },
	{ "Unable to handle kernel %C at virtual address", CRASH, "page-fault",
	  "BUG: unable to handle kernel $1 in $F", 0 },
	{ "Unable to handle kernel %C at", CRASH, "page-fault",
	  "BUG: unable to handle kernel $1 in $F", 0 },
	/* arm (arch/arm/mm/fault.c, alignment.c) */
	{ "Unhandled fault: %R", CRASH, "page-fault", "Unhandled fault in $F", 0 },
	{ "Alignment trap: not handling instruction", CRASH, "alignment",
	  "Alignment trap in $F", 0 },

	/* ---- Stack overflow and stack protector (arch/x86/kernel/traps.c, kernel/panic.c) ---- */
	{ "BUG: stack guard page was hit", CRASH, "stack-overflow",
	  "BUG: stack guard page was hit in $F", 0 },
	{ "BUG: %S stack guard page was hit", CRASH, "stack-overflow",
	  "BUG: stack guard page was hit in $F", 0 },
	{ "kernel stack overflow (%C): ", CRASH, "stack-overflow",
	  "BUG: stack guard page was hit in $F", 0 },
	{ "Kernel stack overflow in process", CRASH, "stack-overflow", /* powerpc */
	  "BUG: stack guard page was hit in $F", 0 },
	{ "Insufficient stack space to handle exception!", CRASH, "stack-overflow",
	  "BUG: stack guard page was hit in $F", 0 },
	{ "stack guard page: %x [#", CRASH, "stack-overflow",
	  "BUG: stack guard page was hit in $F", 0 },
	{ "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: %F", CRASH,
	  "stack-protector", "kernel panic: stack-protector: Kernel stack is corrupted in $F",
	  HDRONLY },
	/* %pB printed an address (no symbols): the stack names the function */
	{ "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in", CRASH,
	  "stack-protector", "kernel panic: stack-protector: Kernel stack is corrupted in $F", 0 },
	{ "Kernel panic - not syncing: corrupted stack end detected inside scheduler", CRASH,
	  "stack-overflow", "kernel panic: corrupted stack end in $F", 0 },
	{ "Thread overran stack, or stack corrupted", CRASH, "stack-overflow",
	  "BUG: stack guard page was hit in $F", 0 },

	/* ---- Traps and oopses without a BUG line before them (arch/x86/kernel/traps.c die()) */
	{ "general protection fault: %x", CRASH, "gpf", "general protection fault in $F", 0 },
	{ "general protection fault, %C: %x [#", CRASH, "gpf", "general protection fault in $F",
	  0 },
	{ "general protection fault, probably for non-canonical address", CRASH, "gpf",
	  "general protection fault in $F", 0 }, /* even when the rest of the line is lost */
	{ "general protection fault for non-canonical address", CRASH, "gpf",
	  "general protection fault in $F", 0 },
	{ "general protection fault", CRASH, "gpf", "general protection fault in $F", WEAK },
	{ "segment-related general protection fault", CRASH, "gpf",
	  "general protection fault in $F", 0 },
	{ "invalid opcode: %x [#", CRASH, "invalid-opcode", "invalid opcode in $F", 0 },
	{ "divide error: %x [#", CRASH, "divide-error", "divide error in $F", 0 },
	/* the line cut before the error code and oops counter: only with report structure */
	{ "divide error", CRASH, "divide-error", "divide error in $F", WEAK },
	{ "invalid opcode", CRASH, "invalid-opcode", "invalid opcode in $F", WEAK },
	{ "stack segment: %x [#", CRASH, "stack-segment", "stack segment fault in $F", 0 },
	{ "traps: PANIC: double fault", CRASH, "double-fault", "PANIC: double fault in $F", 0 },
	{ "PANIC: double fault", CRASH, "double-fault", "PANIC: double fault in $F", 0 },
	{ "double fault: %x [#", CRASH, "double-fault", "PANIC: double fault in $F", 0 },
	{ "int3: %x [#", CRASH, "int3", "int3 in $F", 0 },
	{ "bounds: %x [#", CRASH, "bounds", "bounds in $F", 0 },
	{ "Internal error: Oops - BUG", CRASH, "kernel-bug", "kernel BUG in $F", 0 },
	{ "Internal error: Oops - undefined instruction", CRASH, "invalid-opcode",
	  "invalid opcode in $F", 0 },
	{ "Internal error: %C: %x [#", CRASH, "oops", "Internal error in $F", 0 },
	{ "Internal error: %R", CRASH, "oops", "Internal error in $F", WEAK }, /* arm ": 1b [#1]" */
	{ "Exception in kernel mode, sig: %d [#", CRASH, "oops", "Oops in $F", 0 }, /* powerpc */
	{ "Oops: %x [#", CRASH, "oops", "Oops in $F", 0 },
	{ "Oops - BUG: %x [#", CRASH, "kernel-bug", "kernel BUG in $F", 0 },
	{ "Oops[#", CRASH, "oops", "Oops in $F", 0 },
	/* any other "Oops: <what>, sig: N [#1]" (tried after the rows above, unstripped) */
	{ "Oops: %C [#%d]", CRASH, "oops", "Oops in $F", 0 },

	/* ---- BUG() and data-corruption checks (include/asm-generic/bug.h, lib/list_debug.c,
	 * lib/refcount.c, mm/usercopy.c). The message lines come before the BUG/WARNING line. */
	/* fortify_panic() (lib/string.c 4.13 - 5.17, lib/string_helpers.c 5.18 - 6.8) prints this
	 * line, then BUG(): the report starts here. A "kernel BUG at lib/string*.c" alone (the
	 * pr_emerg() line lost) is filed as the kernel BUG it prints. */
	{ "detected buffer overflow in %F", CRASH, "fortify", "detected buffer overflow in $F", 0 },
	{ "kernel BUG at lib/list_debug.c", CRASH, "list-corruption",
	  "BUG: corrupted list in $F", 0 },
	{ "kernel BUG at mm/usercopy.c", CRASH, "usercopy", "BUG: bad usercopy in $F", 0 },
	{ "kernel BUG at ", CRASH, "kernel-bug", "kernel BUG in $F", 0 },
	{ "Kernel BUG at ", CRASH, "kernel-bug", "kernel BUG in $F", 0 },
	{ "list_add corruption", CRASH, "list-corruption", "BUG: corrupted list in $F", 0 },
	{ "list_del corruption", CRASH, "list-corruption", "BUG: corrupted list in $F", 0 },
	{ "list_add double add", CRASH, "list-corruption", "BUG: corrupted list in $F", 0 },
	{ "list_bl_add corruption", CRASH, "list-corruption", "BUG: corrupted list in $F", 0 },
	{ "list_bl_del corruption", CRASH, "list-corruption", "BUG: corrupted list in $F", 0 },
	{ "refcount_t: %C.", CRASH, "refcount", "WARNING: refcount bug in $F", 0 },
	{ "usercopy: Kernel memory %S attempt detected", CRASH, "usercopy",
	  "BUG: bad usercopy in $F",
	  0 },

	/* ---- Sanitizers (mm/kasan/report.c, mm/kfence/report.c, mm/kmsan/report.c,
	 * kernel/kcsan/report.c, lib/ubsan.c). ---- */
	{ "BUG: KASAN: double-free or invalid-free in %F", CRASH, "kasan",
	  "KASAN: invalid-free in $F", 0 },
	{ "BUG: KASAN: double-free in %F", CRASH, "kasan", "KASAN: double-free in $F", 0 },
	{ "BUG: KASAN: invalid-free in %F", CRASH, "kasan", "KASAN: invalid-free in $F", 0 },
	{ "BUG: KASAN: %S in %F", CRASH, "kasan", "KASAN: $1 $A in $F", ACCESS },
	/* 4.x kasan_report_error(): an address without shadow, the access on the next line */
	{ "BUG: KASAN: %S on address", CRASH, "kasan", "KASAN: $1 $A in $F", ACCESS },
	{ "BUG: KASAN: %S", CRASH, "kasan", "KASAN: $1 in $F", 0 },
	{ "BUG: KASan: %C in %F", CRASH, "kasan", "KASAN: $1 in $F", 0 }, /* 4.0 - 4.3 */
	{ "BUG: KFENCE: %C in %F", CRASH, "kfence", "KFENCE: $1 in $F", 0 },
	{ "BUG: KMSAN: %S in %F", CRASH, "kmsan", "KMSAN: $1 in $F", 0 },
	{ "BUG: KCSAN: %C in %F / %F", CRASH, "kcsan", "KCSAN: $1 in $2 / $3", HDRONLY },
	{ "BUG: KCSAN: %C in %F", CRASH, "kcsan", "KCSAN: $1 in $F", 0 },
	{ "UBSAN: Undefined behaviour in", CRASH, "ubsan", "UBSAN: undefined-behaviour in $F", 0 },
	{ "UBSAN: %C in ", CRASH, "ubsan", "UBSAN: $1 in $F", 0 },

	/* ---- SLUB debugging (mm/slub.c slab_bug: "BUG %s (%s): %pV", the cache and
	 * print_tainted(): "Not tainted" or "Tainted: G    B"). ---- */
	{ "BUG %S (%Cainted*): Poison overwritten", CRASH, "slub",
	  "BUG: Poison overwritten in $F", 0 },
	{ "BUG %S (%Cainted*): %C overwritten", CRASH, "slub", "BUG: $3 overwritten in $F", 0 },
	{ "BUG %S (%Cainted*): Invalid object pointer", CRASH, "slub",
	  "BUG: Invalid object pointer in $F", 0 },
	{ "BUG %S (%Cainted*): Attempt to free object", CRASH, "slub",
	  "BUG: Attempt to free object outside of slab in $F", 0 },
	{ "BUG %S (%Cainted*): Wrong number of objects", CRASH, "slub",
	  "BUG: Wrong number of objects in $F", 0 },
	{ "BUG %S (%Cainted*): Wrong object count", CRASH, "slub",
	  "BUG: Wrong object count in $F",
	  0 },
	{ "BUG %S (%Cainted*): %R", CRASH, "slub", "BUG: $3 in $F", 0 },
	{ "BUG: %S (%Cainted*): %R", CRASH, "slub", "BUG: $3 in $F", 0 },
	/* before the taint string was added (2.6 - 4.x) */
	{ "BUG %S: %C overwritten", CRASH, "slub", "BUG: $2 overwritten in $F", 0 },
	{ "BUG %S: Object already free", CRASH, "slub", "BUG: Object already free in $F", 0 },
	{ "BUG %S: Freepointer corrupt", CRASH, "slub", "BUG: Freepointer corrupt in $F", 0 },
	{ "BUG %S: Invalid object pointer", CRASH, "slub", "BUG: Invalid object pointer in $F",
	  0 },
	{ "BUG %S: %R", CRASH, "slub", "BUG: $2 in $F", WEAK },

	/* ---- Memory leaks (mm/kmemleak.c). ---- */
	{ "BUG: memory leak", CRASH, "memory-leak", "memory leak in $F", LEAK },
	{ "unreferenced object 0x%x (size %d):", CRASH, "memory-leak", "memory leak in $F", LEAK },
	{ "kmemleak: %d new suspected memory leaks", CRASH, "memory-leak", "memory leak in $F",
	  LEAK },

	/* ---- Lockdep (kernel/locking/lockdep.c). The guilty function is where the lock is
	 * taken. ---- */
	{ "WARNING: possible circular locking dependency detected", CRASH, "lockdep",
	  "possible deadlock in $F", ATFUNC | CUTHDR | BTRACE },
	{ "WARNING: possible recursive locking detected", CRASH, "lockdep",
	  "possible deadlock in $F", ATFUNC | CUTHDR | BTRACE },
	{ "WARNING: possible irq lock inversion dependency detected", CRASH, "lockdep",
	  "possible deadlock in $F", ATFUNC | CUTHDR | BTRACE },
	{ "WARNING: %C-safe -> %C-unsafe lock order detected", CRASH, "lockdep",
	  "possible deadlock in $F", ATFUNC | CUTHDR | BTRACE },
	{ "WARNING: inconsistent lock state", CRASH, "lockdep", "inconsistent lock state in $F",
	  ATFUNC | BTRACE },
	{ "INFO: possible circular locking dependency detected", CRASH, "lockdep",
	  "possible deadlock in $F", ATFUNC | CUTHDR | BTRACE },
	{ "INFO: possible recursive locking detected", CRASH, "lockdep",
	  "possible deadlock in $F", ATFUNC | CUTHDR | BTRACE },
	{ "INFO: possible irq lock inversion dependency detected", CRASH, "lockdep",
	  "possible deadlock in $F", ATFUNC | CUTHDR | BTRACE },
	{ "INFO: %C-safe -> %C-unsafe lock order detected", CRASH, "lockdep",
	  "possible deadlock in $F", ATFUNC | CUTHDR | BTRACE },
	{ "INFO: inconsistent lock state", CRASH, "lockdep", "inconsistent lock state in $F",
	  ATFUNC | BTRACE },
	{ "[ INFO: possible circular locking dependency detected", CRASH, "lockdep",
	  "possible deadlock in $F", ATFUNC | CUTHDR | BTRACE },
	{ "[ INFO: possible recursive locking detected", CRASH, "lockdep",
	  "possible deadlock in $F", ATFUNC | CUTHDR | BTRACE },
	{ "[ INFO: possible irq lock inversion dependency detected", CRASH, "lockdep",
	  "possible deadlock in $F", ATFUNC | BTRACE },
	{ "[ INFO: %C-safe -> %C-unsafe lock order detected", CRASH, "lockdep",
	  "possible deadlock in $F", ATFUNC | BTRACE },
	{ "[ INFO: inconsistent lock state", CRASH, "lockdep", "inconsistent lock state in $F",
	  ATFUNC | BTRACE },
	{ "WARNING: bad unlock balance detected!", CRASH, "lockdep",
	  "WARNING: bad unlock balance in $F", BTRACE },
	/* where the lock left held was taken */
	{ "WARNING: held lock freed!", CRASH, "lockdep", "WARNING: held lock freed in $F", ATFUNC | BTRACE },
	{ "WARNING: lock held when returning to user space!", CRASH, "lockdep",
	  "WARNING: lock held when returning to user space in $F", ATFUNC },
	{ "WARNING: %C still has locks held!", CRASH, "lockdep",
	  "WARNING: still has locks held in $F", ATFUNC | BTRACE },
	{ "WARNING: Nested lock was not taken", CRASH, "lockdep",
	  "WARNING: nested lock was not taken in $F", BTRACE },
	{ "WARNING: suspicious RCU usage", CRASH, "lockdep", "WARNING: suspicious RCU usage in $F",
	  BTRACE },
	{ "INFO: suspicious RCU usage", CRASH, "lockdep", "INFO: suspicious RCU usage in $F", BTRACE },
	{ "INFO: trying to register non-static key", CRASH, "lockdep",
	  "INFO: trying to register non-static key in $F", 0 },
	/* before 4.14 the kernel called it INFO, and so do the reports filed then */
	{ "[ INFO: suspicious RCU usage", CRASH, "lockdep", "INFO: suspicious RCU usage in $F",
	  BTRACE },
	{ "[ INFO: %C ]", CRASH, "lockdep", "INFO: $1 in $F", ATFUNC | BTRACE },
	{ "[ BUG: bad unlock balance detected! ]", CRASH, "lockdep",
	  "BUG: bad unlock balance in $F", BTRACE },
	{ "[ BUG: held lock freed! ]", CRASH, "lockdep", "BUG: held lock freed in $F", ATFUNC | BTRACE },
	/* print_lock_invalid_wait_context(): a locking rule broken, filed with lockdep's other
	 * WARN()s as a locking bug */
	{ "[ BUG: Invalid wait context ]", CRASH, "lockdep", "WARNING: locking bug in $F", BTRACE },
	{ "[ BUG: %C ]", CRASH, "lockdep", "BUG: $1 in $F", BTRACE },
	{ "BUG: bad unlock balance detected!", CRASH, "lockdep", "BUG: bad unlock balance in $F",
	  BTRACE },
	{ "BUG: held lock freed!", CRASH, "lockdep", "BUG: held lock freed in $F", ATFUNC | BTRACE },
	/* the unwinder (arch/x86/kernel/unwind_frame.c unwind_next_frame): printed while some
	 * report's stack is dumped (ignored inside a report, replaced by the report that follows
	 * it); the regs warning, printed by the same path, names the pair */
	{ "WARNING: kernel stack regs at %C has bad", CRASH, "unwinder",
	  "WARNING: kernel stack regs has bad value", ASIDE },
	{ "WARNING: kernel stack frame pointer at %C has bad value", CRASH, "unwinder",
	  "WARNING: kernel stack frame pointer has bad value", ASIDE },

	/* ---- Hangs (kernel/watchdog.c, kernel/watchdog_hld.c, kernel/rcu/tree_stall.h,
	 * kernel/rcu/tasks.h, kernel/hung_task.c, kernel/workqueue.c). ---- */
	{ "BUG: soft lockup", HANG, "soft-lockup", "BUG: soft lockup in $F", SPIN },
	{ "Watchdog detected hard LOCKUP on cpu", HANG, "hard-lockup",
	  "BUG: hard lockup in $F", SPIN },
	{ "Watchdog detected hard LOCKUP", HANG, "hard-lockup", "BUG: hard lockup in $F", SPIN },
	{ "BUG: hard lockup", HANG, "hard-lockup", "BUG: hard lockup in $F", SPIN },
	{ "INFO: rcu_%S self-detected stall", HANG, "rcu-stall",
	  "INFO: rcu detected stall in $F", SPIN | SAMPLED },
	{ "INFO: rcu_%S detected stall", HANG, "rcu-stall",
	  "INFO: rcu detected stall in $F", SPIN | SAMPLED },
	{ "INFO: rcu_%S detected expedited stall", HANG, "rcu-stall",
	  "INFO: rcu detected stall in $F", SPIN | SAMPLED },
	{ "INFO: %S self-detected stall on CPU", HANG, "rcu-stall",
	  "INFO: rcu detected stall in $F", SPIN | SAMPLED },
	{ "INFO: %S detected stalls on CPU", HANG, "rcu-stall",
	  "INFO: rcu detected stall in $F", SPIN | SAMPLED },
	{ "INFO: %S detected expedited stalls", HANG, "rcu-stall",
	  "INFO: rcu detected stall in $F", SPIN | SAMPLED },
	{ "INFO: %S detected stalls on tasks", HANG, "rcu-stall",
	  "INFO: rcu detected stall in $F", SPIN | SAMPLED },
	{ "rcu_%S kthread starved for %d jiffies", HANG, "rcu-stall",
	  "INFO: rcu detected stall", SPIN | SAMPLED },
	{ "INFO: task %C blocked for more than %d seconds", HANG, "hung-task",
	  "INFO: task hung in $F", HUNG },
	{ "INFO: task %C blocked in %C for more than %d seconds", HANG, "hung-task",
	  "INFO: task hung in $F", HUNG }, /* 6.13+: "blocked in I/O wait" */
	{ "INFO: task %C can't die for more than", HANG, "task-cant-die",
	  "INFO: task can't die in $F", HUNG },
	{ "BUG: workqueue lockup", HANG, "workqueue-lockup", "BUG: workqueue lockup", 0 },
	{ "INFO: RCU detected CPU %d stall", HANG, "rcu-stall", "INFO: rcu detected stall in $F",
	  SPIN | SAMPLED }, /* 2.6 */
	{ "BUG: spinlock lockup", HANG, "spinlock-lockup",
	  "BUG: spinlock lockup suspected in $F", SPIN },
	{ "Kernel panic - not syncing: softlockup: hung tasks", HANG, "soft-lockup",
	  "BUG: soft lockup in $F", SPIN },
	/* kernel/hung_task.c: after the "INFO: task ... blocked" reports (part of their report);
	 * alone once hung_task_warnings ran out: the panic names it */
	{ "Kernel panic - not syncing: hung_task: blocked tasks", HANG, "hung-task",
	  "kernel panic: hung_task: blocked tasks", 0 },
	{ "Kernel panic - not syncing: Hard LOCKUP", HANG, "hard-lockup",
	  "BUG: hard lockup in $F", SPIN },
	{ "Kernel panic - not syncing: Watchdog detected hard LOCKUP", HANG, "hard-lockup",
	  "BUG: hard lockup in $F", SPIN },
	{ "Kernel panic - not syncing: RCU Stall", HANG, "rcu-stall",
	  "INFO: rcu detected stall in $F", SPIN | SAMPLED },

	/* ---- Other BUG: reports (kernel/sched/core.c, mm/memory.c, mm/page_alloc.c, ...). ---- */
	{ "BUG: sleeping function called from invalid context", CRASH, "atomic-sleep",
	  "BUG: sleeping function called from invalid context in $F", 0 },
	{ "BUG: scheduling while atomic", CRASH, "atomic-sleep",
	  "BUG: scheduling while atomic in $F", 0 },
	{ "BUG: using %S in preemptible", CRASH, "preempt",
	  "BUG: using $1 in preemptible code in $F", 0 },
	{ "BUG: spinlock %C on CPU#", CRASH, "spinlock", "BUG: spinlock $1 in $F", 0 },
	{ "BUG: rwlock %C on CPU#", CRASH, "spinlock", "BUG: rwlock $1 in $F", 0 },
	{ "BUG: Bad page state", CRASH, "bad-page", "BUG: Bad page state in $F", 0 },
	{ "BUG: Bad page map", CRASH, "bad-page", "BUG: Bad page map", 0 },
	{ "BUG: Bad rss-counter state", CRASH, "bad-page", "BUG: Bad rss-counter state", 0 },
	{ "BUG: non-zero pgtables_bytes", CRASH, "bad-page", "BUG: non-zero pgtables_bytes", 0 },
	{ "BUG: non-zero nr_ptes on freeing mm", CRASH, "bad-page",
	  "BUG: non-zero nr_ptes on freeing mm", 0 },
	{ "BUG: non-zero nr_pmds on freeing mm", CRASH, "bad-page",
	  "BUG: non-zero nr_pmds on freeing mm", 0 },
	{ "BUG: workqueue leaked lock or atomic", CRASH, "lockdep",
	  "BUG: workqueue leaked lock or atomic in $F", 0 },
	{ "BUG: %S still has locks held!", CRASH, "lockdep", "BUG: still has locks held in $F",
	  ATFUNC },
	/* "[unmount of ext4 loop4]": what was going on names it */
	{ "BUG: Dentry %C still in use %C [%S of ", CRASH, "bug", "BUG: Dentry still in use in $3",
	  0 },
	{ "BUG: Dentry %C still in use", CRASH, "bug", "BUG: Dentry still in use in $F", 0 },
	{ "BUG: MAX_%S too low!", CRASH, "lockdep", "BUG: MAX_$1 too low!", 0 },
	{ "BUG: Invalid wait context", CRASH, "lockdep", "WARNING: locking bug in $F", 0 },
	{ "unregister_netdevice: waiting for %S to become free", HANG, "netdev-leak",
	  "unregister_netdevice: waiting for DEV to become free", 0 },
	{ "VFS: Busy inodes after unmount", CRASH, "bug", "VFS: Busy inodes after unmount", 0 },
	{ "VFS: Close: file count is 0", CRASH, "bug",
	  "VFS: Close: file count is zero (use-after-free)", 0 },
	/* SLUB debugging's object history (older kernels), alone when the report was cut */
	{ "INFO: %S in %F+0x%x/0x%x age=%R", CRASH, "slub", "INFO: $1 in $2 age=$3", 0 },
	{ "SError Interrupt on CPU", CRASH, "serror", "SError Interrupt in $F", 0 },

	/* ---- Panics (kernel/panic.c). A panic after an oops is part of that oops' report; alone
	 * it is its own report. ---- */
	{ "Kernel panic - not syncing: Attempted to kill init!", CRASH, "panic",
	  "kernel panic: Attempted to kill init!", 0 },
	{ "Kernel panic - not syncing: Attempted to kill the idle task!", CRASH, "panic",
	  "kernel panic: Attempted to kill the idle task!", 0 },
	{ "Kernel panic - not syncing: Fatal exception", CRASH, "panic",
	  "kernel panic: Fatal exception", 0 },
	{ "Kernel panic - not syncing: %R", CRASH, "panic", "kernel panic: $1", TRIM },

	/* ---- A trusted OS's panic forwarded by its Linux driver (drivers/trusty/trusty.c logs
	 * the secure side's output; Little Kernel's _panic() prints "panic (caller %p): ", its
	 * ASSERT() "ASSERT FAILED at (%s:%d): %s"). ---- */
	{ "trusty: panic (caller 0x%x): *ASSERT FAILED at (%C): %R", CRASH, "tee-panic",
	  "trusty: ASSERT FAILED: $2", 0 },
	{ "trusty: panic (caller 0x%x): %R", CRASH, "tee-panic", "trusty: panic: $1", 0 },
	{ "trusty: panic: %R", CRASH, "tee-panic", "trusty: panic: $1", 0 },

	/* ---- An unexpected reboot: the boot loader's or the kernel's banner after the kernel had
	 * run (the engine decides "after": the same lines at the start of a log are a boot). */
	{ "Booting the kernel", CRASH, "reboot", "unexpected kernel reboot", REBOOT },
	/* arch/arm/boot/compressed/misc.c: "Uncompressing Linux... done, booting the kernel." */
	{ "Uncompressing Linux", CRASH, "reboot", "unexpected kernel reboot", REBOOT },
	/* the firmware of a PC guest starting again */
	{ "SeaBIOS (version", CRASH, "reboot", "unexpected kernel reboot", REBOOT },
	{ "Linux version %S", CRASH, "reboot", "unexpected kernel reboot", REBOOT },

	/* ---- A fuzzer's executor in the guest gave up (syzkaller's SYZFAIL / SYZFATAL): not a
	 * kernel bug, but the run is lost all the same. Other user-space deaths (a Go panic, a
	 * sanitizer report) stay user space's: see classify_userspace(). ---- */
	{ "SYZFAIL: %R", CRASH, "executor", "SYZFAIL: $1", 0 },
	{ "SYZFATAL: ", CRASH, "executor", "SYZFATAL", 0 },

	/* ---- WARN() (kernel/panic.c __warn). Known locations first. ---- */
	{ "WARNING: CPU: %d PID: %d at lib/refcount.c", CRASH, "refcount",
	  "WARNING: refcount bug in $F", SITE },
	{ "WARNING: CPU: %d PID: %d at lib/list_debug.c", CRASH, "list-corruption",
	  "BUG: corrupted list in $F", SITE },
	{ "WARNING: CPU: %d PID: %d at lib/debugobjects.c", CRASH, "debugobjects",
	  "WARNING: ODEBUG bug in $F", SITE },
	{ "WARNING: CPU: %d PID: %d at mm/usercopy.c", CRASH, "usercopy",
	  "WARNING: bad usercopy in $F", SITE },
	{ "WARNING: CPU: %d PID: %d at kernel/locking/lockdep.c", CRASH, "lockdep",
	  "WARNING: locking bug in $F", SITE },
	{ "WARNING: CPU: %d PID: %d at mm/util.c", CRASH, "warning", "WARNING: kmalloc bug in $F",
	  SITE },
	{ "WARNING: CPU: %d PID: %d at mm/slab_common.c:%d kmalloc_slab", CRASH, "warning",
	  "WARNING: kmalloc bug in $F", SITE },
	{ "WARNING: CPU: %d PID: %d at mm/vmalloc.c:%d __vmalloc_node_range", CRASH, "warning",
	  "WARNING: zero-size vmalloc in $F", SITE },
	{ "WARNING: CPU: %d PID: %d at lib/kobject.c", CRASH, "warning",
	  "WARNING: kobject bug in $F", SITE },
	{ "WARNING: CPU: %d PID: %d at fs/proc/generic.c", CRASH, "warning",
	  "WARNING: proc registration bug in $F", SITE },
	{ "WARNING: CPU: %d PID: %d at %F+0x", CRASH, "warning", "WARNING in $F", SITE },
	{ "WARNING: CPU: %d PID: %d at %S %F", CRASH, "warning", "WARNING in $F", SITE },
	{ "WARNING: CPU: %d UID: %d PID: %d at %S %F", CRASH, "warning", "WARNING in $F", SITE },
	{ "WARNING: CPU: %d PID: %d at", CRASH, "warning", "WARNING in $F", SITE },
	{ "WARNING: CPU: %d UID: %d PID: %d at", CRASH, "warning", "WARNING in $F", SITE },
	{ "WARNING: at %S %F", CRASH, "warning", "WARNING in $F", SITE },
	/* 6.18+: "WARNING: lib/foo.c:12 at func+0x1/0x2, CPU#0: comm/123" */
	{ "WARNING: lib/refcount.c:%d at ", CRASH, "refcount", "WARNING: refcount bug in $F",
	  SITE },
	{ "WARNING: lib/debugobjects.c:%d at ", CRASH, "debugobjects",
	  "WARNING: ODEBUG bug in $F", SITE },
	{ "WARNING: lib/list_debug.c:%d at ", CRASH, "list-corruption",
	  "BUG: corrupted list in $F", SITE },
	{ "WARNING: kernel/locking/lockdep.c:%d at ", CRASH, "lockdep",
	  "WARNING: locking bug in $F", SITE },
	{ "WARNING: mm/usercopy.c:%d at ", CRASH, "usercopy", "WARNING: bad usercopy in $F",
	  SITE },
	{ "WARNING: %S:%d at %C, CPU#%d: ", CRASH, "warning", "WARNING in $F", SITE },
	{ "WARNING: at %S", CRASH, "warning", "WARNING in $F", SITE }, /* function on the next line */
	{ "WARNING: %S:%d at %F", CRASH, "warning", "WARNING in $F", SITE },
	{ "WARNING: %S at %F", CRASH, "warning", "WARNING in $F", WEAK | SITE },

	/* ---- Generic fallbacks: only with kernel report structure after them. ---- */
	{ "BUG: %C at %S", CRASH, "bug", "BUG: $1 in $F", WEAK },
	{ "BUG: %R", CRASH, "bug", "BUG: $1 in $F", WEAK },
	{ "WARNING: %R", CRASH, "warning", "WARNING: $1 in $F", WEAK },
	{ "INFO: %R", CRASH, "bug", "INFO: $1 in $F", WEAK },
};
const size_t classify_patterns_n = ARRAY_SIZE(classify_patterns);

const char *const classify_transparent_prefixes[] = {
	"watchdog: ",     /* "watchdog: BUG: soft lockup" (kernel/watchdog.c pr_fmt) */
	"NMI watchdog: ", /* older kernels */
	"rcu: ",          /* "rcu: INFO: rcu_preempt self-detected stall on CPU" */
	"kernel: ",       /* syslog / journal copies */
	"Oops: ",         /* 6.10+: "Oops: general protection fault, ..." (not before digits) */
	"traps: ",        /* "traps: PANIC: double fault" (user-space traps do not match) */
	"kfence: ",
	/* 4.x printed it without a newline: "...user memory accessgeneral protection fault: " */
	"kasan: GPF could be caused by NULL-ptr deref or user memory access",
	"kasan: ",
};
const size_t classify_transparent_prefixes_n = ARRAY_SIZE(classify_transparent_prefixes);

const char *const classify_confirm_markers[] = {
	/* what dump_stack() and the oops code print; "Call Trace:" alone is not enough (user
	 * space prints tracebacks too) */
	"CPU: %d PID: %d Comm:",
	"CPU: %d UID: %d PID: %d Comm:",
	"CPU: %d PID: %d at",
	"Hardware name: ",
	"Modules linked in:",
	"RIP: %x:",
	"pc : %F+0x",
	"stack backtrace:",
	"Kernel panic - not syncing",
	"---[ end trace",
	"Oops: %x [#",
	"turning off the locking correctness validator",
	"Pid: %d, comm: ", /* 2.6-era dump_stack() */
};
const size_t classify_confirm_markers_n = ARRAY_SIZE(classify_confirm_markers);

const char *const classify_trace_start[] = {
	"Call Trace:", "Call trace:", "Backtrace:", "stack backtrace:", "backtrace:", "backtrace (",
	"Stack:", "Exception stack(",
};
const size_t classify_trace_start_n = ARRAY_SIZE(classify_trace_start);

const char *const classify_trace_stop[] = {
	"Allocated by task",   "Freed by task",
	"The buggy address",   "Last potentially related work creation:",
	"Second to last potentially related work creation:",
	"Memory state around", "kfence-#",
	"Uninit was created",  "Uninit was stored",
	"Local variable",      "---[ end trace",
	"Allocated in ",       "Freed in ",
	"hex dump (first",     "Showing all locks held",
};
const size_t classify_trace_stop_n = ARRAY_SIZE(classify_trace_stop);

const char *const classify_die_headers[] = {
	"divide error: ", "general protection fault", "invalid opcode: ", "stack segment: ",
	"double fault: ", "int3: ", "bounds: ", "Oops: ", "Internal error: ",
};
const size_t classify_die_headers_n = ARRAY_SIZE(classify_die_headers);

const char *const classify_report_end[] = {
	"---[ end Kernel panic",
	"Kernel Offset:",
	"Rebooting in ",
};
const size_t classify_report_end_n = ARRAY_SIZE(classify_report_end);

const char *const classify_skip_functions[] = {
	/* Reporting machinery. */
	"dump_stack*", "__dump_stack*", "show_stack*", "show_regs", "__show_regs",
	"show_trace_log_lvl",
	"show_stack_log_lvl", "dump_trace", "show_trace*", "sched_show_task", "show_state_filter",
	"print_*", "printk*",
	"vprintk*", "_printk", "panic", "nmi_panic", "vpanic", "__warn*", "warn_*",
	"warn_slowpath*", "report_bug", "fixup_bug", "handle_bug", "__report_bug", "die", "__die*",
	"oops_*", "do_trap", "do_error_trap", "do_int3*", "kasan_*", "__kasan_*", "kasan_report*",
	"__asan_*", "__hwasan_*", "check_memory_region*", "kfence_*", "__kfence_*", "kmsan_*",
	"__msan_*", "__kmsan_*", "kcsan_*", "__kcsan_*", "__tsan_*", "ubsan_*", "__ubsan_*",
	"check_object", "check_bytes_and_report", "object_err", "slab_err", "slab_bug",
	"free_debug_processing", "on_freelist", "check_slab", "alloc_debug_processing",
	"__free_slab", "free_to_partial_list", "validate_slab*", "kmemleak_*", "__kmemleak_*",
	"create_object", "__create_object", "debug_object*", "debug_print_object",
	"__debug_object*", "lockdep_*", "__lockdep_*", "check_noncircular", "check_prev_add",
	"check_prevs_add", "validate_chain", "__lock_acquire", "lock_acquire*", "lock_release",
	"__lock_release", "lock_is_held*", "mark_lock*", "check_deadlock", "print_circular_bug",
	"print_usage_bug", "valid_state", "check_flags", "lock_acquired", "lock_contended", "rcu_*",
	"__rcu_*", "refcount_warn_saturate", "refcount_*", "__refcount_*", "kref_*",
	"__list_add_valid*", "__list_del_entry_valid*", "__list_*", "list_add*", "list_del*",
	"list_replace*", "list_move*", "list_splice*", "list_cut*", "__hlist_*",
	"hlist_*", "usercopy_abort", "__check_object_size", "check_object_size",
	"check_heap_object", "__check_heap_object", "check_stack_object", "bad_area*",
	"__bad_area*", "no_context", "page_fault_oops", "kernelmode_fixup_or_oops",
	"do_user_addr_fault", "do_kern_addr_fault", "__do_page_fault", "do_page_fault",
	"handle_page_fault", "exc_page_fault", "asm_exc_*", "exc_*", "page_fault",
	"async_page_fault", "error_entry", "fixup_exception", "ex_handler_*",
	"do_general_protection", "do_divide_error", "do_invalid_op", "invalid_op",
	"handle_invalid_op", "handle_stack_overflow", "__stack_chk_fail", "fortify_panic",
	"__fortify_*", "check_preemption_disabled", "debug_smp_processor_id",
	"__this_cpu_preempt_check", "__might_sleep", "___might_sleep", "__might_resched",
	"__might_fault", "might_fault", "__cant_sleep",
	/* Watchdogs, timers, interrupts, NMI. */
	"watchdog_*", "__watchdog_*", "softlockup_fn", "hrtimer_*", "__hrtimer_*", "tick_sched_*", "tick_nohz_*", "tick_handle_*", "tick_periodic", "tick_do_*",
	"tick_program_event",
	"update_process_times", "scheduler_tick", "account_*", "irq_*", "__irq_*", "handle_irq*",
	"do_IRQ", "common_interrupt", "sysvec_*", "__sysvec_*", "asm_sysvec_*", "asm_common_*",
	"apic_timer_interrupt", "smp_apic_timer_interrupt", "local_apic_timer_interrupt",
	"do_softirq*", "__do_softirq", "__softirqentry_text_start", "nmi_*", "do_nmi", "default_do_nmi",
	"exc_nmi", "asm_exc_nmi", "nmi_handle", "arch_trigger_cpumask_backtrace",
	"nmi_trigger_cpumask_backtrace", "trigger_*", "perf_event_nmi_handler", "native_*", "pv_*",
	"arch_cpu_idle", "default_idle*", "cpu_idle*", "do_idle", "cpu_startup_entry",
	"start_secondary", "secondary_startup*", "rest_init", "x86_64_start_*",
	/* the boot path below start_kernel(), which is itself code that can be at fault */
	"i386_start_kernel", "startup_32*", "startup_64*", "__primary_switched", "__mmap_switched",
	"start_kernel_proc", "__startup_64", "xen_start_kernel",
	"arch_call_rest_init", "mwait_idle*", "acpi_idle_*", "cpuidle_enter*", "__cpuidle_text*",
	"sched_show_task", "csd_lock_wait", "smp_call_function*", "on_each_cpu*",
	/* Scheduling, sleeping and locking primitives. */
	"__schedule", "schedule", "schedule_*", "preempt_schedule*", "io_schedule*",
	"wait_for_completion*", "__wait_for_common", "wait_for_common*", "do_wait_for_common",
	"msleep*", "usleep_range*", "ssleep", "__msleep", "schedule_timeout*", "wait_woken",
	"__wait_event*", "prepare_to_wait*", "finish_wait", "__wake_up*", "wake_up_*",
	"try_to_wake_up", "__mutex_*", "mutex_*", "__down*", "down", "down_*", "up", "up_*",
	"rwsem_*", "__rwsem_*", "_raw_*", "__raw_*", "do_raw_*", "raw_spin_*", "spin_*",
	"_spin_*", "_read_*", "_write_*", /* 2.6-era lock names */ "queued_*",
	"native_queued_*", "__pv_queued_*", "pv_wait*", "__lock_text_start", "_raw_spin_lock*",
	"rt_mutex*", "__rt_mutex*", "percpu_down_*", "percpu_up_*", "__percpu_down_*", "local_bh_*",
	"__local_bh_*", "preempt_count_*", "read_lock*", "write_lock*", "read_unlock*",
	"write_unlock*", "__cond_resched*", "_cond_resched", "cond_resched*", "stop_one_cpu",
	/* Allocation and freeing. */
	/* exact names: "kmalloc_*" would also hide a culprit such as kmalloc_oob_right */
	"kmalloc", "kmalloc_trace", "kmalloc_node", "kmalloc_node_trace", "kmalloc_large",
	"kmalloc_large_node", "kmalloc_order", "kmalloc_order_trace", "kmalloc_array",
	"kmalloc_array_node", "kmalloc_reserve", "kmalloc_slab", "__kmalloc", "__kmalloc_node",
	"__kmalloc_track_caller", "__kmalloc_node_track_caller", "__kmalloc_large_node",
	"kzalloc", "kzalloc_node", "kcalloc", "kcalloc_node", "krealloc", "krealloc_array",
	"__krealloc", "kmem_cache_alloc*", "kmem_cache_free*", "kmem_cache_zalloc",
	"__kmem_cache_alloc*", "__kmem_cache_free*", "kfree", "kfree_sensitive", "kfree_const",
	"kfree_rcu*", "__kfree_skb", "kvfree", "kvfree_sensitive", "kvmalloc", "kvmalloc_node",
	"__kvmalloc_node", "kvzalloc", "kvzalloc_node", "kvcalloc", "kvmalloc_array",
	"kvrealloc", "vmalloc*", "__vmalloc*", "vzalloc*", "vfree*", "__vfree", "vunmap",
	"kmemdup*", "kstrdup*", "kstrndup", "memdup_user*", "strndup_user", "slab_*", "__slab_*",
	"___slab_*", "slub_*", "new_slab", "allocate_slab", "alloc_slab*", "__alloc_pages*",
	"alloc_pages*", "__get_free_pages", "get_free_pages*", "free_pages*", "__free_pages*",
	"__free_one_page", "free_unref_page*", "free_pcppages_bulk", "kasan_slab_*",
	"should_failslab", "__should_failslab", "obj_cgroup_*", "__memcg_kmem_*", "memcg_slab_*",
	"mempool_*", "kfree_skb*", "consume_skb", "alloc_skb*",
	"__kfree_skb", "skb_put", "skb_push", "skb_pull", "skb_over_panic", "skb_under_panic",
	"skb_panic", "pcpu_alloc", "__alloc_percpu*", "alloc_percpu*", "free_percpu",
	"kvfree_call_rcu", "call_rcu*", "put_page", "__put_page", "folio_put", "__folio_put*",
	/* Generic helpers the culprit calls. */
	/* the dcache's name hashing: the culprit is whoever passed the name (5.10 names no
	 * frame for it, 6.1 names hashlen_string: one title, the caller's, on both) */
	"hashlen_string", "full_name_hash",
	"memcpy*", "__memcpy*", "memmove*", "__memmove*", "memset*", "__memset*", "memcmp*",
	"__memcmp", "bcmp", "memchr*", "memscan", "memchr_inv", "strlen", "__strlen*", "strnlen*",
	"strcmp", "strncmp", "strcasecmp", "strncasecmp", "strcpy", "strncpy", "strlcpy",
	"strscpy*", "__strscpy*", "strcat", "strncat", "strlcat", "strchr", "strrchr", "strnchr",
	"strstr", "strnstr", "strsep", "strpbrk", "strspn", "strcspn", "kstrto*", "_kstrto*",
	"simple_strto*", "sprintf", "snprintf", "scnprintf", "vsnprintf", "vscnprintf", "vsprintf",
	"sscanf", "vsscanf", "format_decode", "string*", "pointer", "number", "copy_user_*",
	"__copy_user*", "_copy_to_user", "_copy_from_user", "copy_to_user*", "copy_from_user*",
	"__copy_to_user*", "__copy_from_user*", "raw_copy_*", "copyin", "copyout", "__get_user*",
	"__put_user*", "get_user*", "put_user*", "strncpy_from_user", "strnlen_user", "clear_user",
	"__clear_user", "rep_movs_alternative", "copy_mc_*", "delay_tsc", "delay_loop",
	"delay_halt*", "__delay", "__const_udelay", "__udelay", "__ndelay", "udelay", "mdelay",
	"ndelay", "cpu_relax", "rep_nop", "csum_*", "crc32*", "__crc32*", "sort", "sort_r",
	"bsearch", "find_next_bit", "_find_next_bit", "__bitmap_*", "bitmap_*", "idr_*", "ida_*",
	"xa_*", "__xa_*", "rb_insert_color*", "rb_erase*", "__rb_insert*",
	"__rb_erase*", "rb_next", "rb_prev", "rb_first*", "rb_last",
	"read_word_at_a_time", "__read_once_size*", "__write_once_size*", "atomic_*",
	"arch_atomic_*", "__x86_return_thunk", "__x86_indirect_*", "__pfx_*", "srso_*", "__ret",
	/* Entry code, syscall and work dispatch: never the culprit. */
	"entry_SYSCALL*", "entry_SYSENTER*", "entry_INT80*", "do_syscall*", "__do_syscall*",
	"do_fast_syscall*", "do_int80*", "syscall_*", "__x64_sys_*", "__ia32_sys_*",
	"__arm64_sys_*", "__se_sys_*", "__do_sys_*", "ksys_*", "x64_sys_call", "ret_from_fork*",
	"kthread", "kernel_thread", "worker_thread", "process_one_work", "process_scheduled_works",
	"smpboot_thread_fn", "el0_*", "el1_*", "el0t_*", "el1h_*", "do_el0_*", "invoke_syscall",
	"__invoke_syscall", "arm64_*", "do_mem_abort", "__do_kernel_fault", "do_translation_fault",
	"do_bad_area", "die_kernel_fault", "call_on_irq_stack", "do_interrupt_handler",
	"gic_handle_irq", "ret_from_exception", "handle_exception", "__handle_mm_fault",
	"handle_mm_fault", "do_one_initcall", "kernel_init*", "do_init_module", "load_module",
	"__do_sys_finit_module", "__do_sys_init_module", "init_module", "do_initcalls",
	"do_basic_setup", "syscall_exit_*", "irqentry_*", "__irqentry_*",
	"task_work_run", "get_signal", "do_signal", "arch_do_signal*", "do_exit", "do_group_exit",
	"make_task_dead", "rewind_stack_and_make_dead", "rewind_stack_do_exit",
};
const size_t classify_skip_functions_n = ARRAY_SIZE(classify_skip_functions);

const char *const classify_skip_substrings[] = {
	/* linker section markers, not functions: kallsyms names code in a section without symbols
	 * of its own (5.10's .fixup, where load_unaligned_zeropad's fault lands) after the last
	 * symbol before it ("RIP: __static_call_text_end+0x390" under d_alloc_name) */
	"_text_end$", "^_etext$", "^__indirect_thunk_end$",
	/* reporting and sanitizers */
	"__sanitizer", "__asan", "kasan", "hwasan", "__msan", "kmsan", "kcsan", "__tsan", "ubsan",
	"^handle_overflow$", "^handle_shift_out_of_bounds$", "check_memory_region", "read_word_at_a_time",
	"print_address_description", "panic", "report_bug", "fixup_bug", "print_report",
	"print_usage_bug", "^do_error", "invalid_op", "_trap$", "dump_stack", "dump_backtrace",
	"show_stack", "dump_cpu_task", "warn_slowpath", "warn_alloc", "warn_bogus", "__warn",
	"check_cpu_stall", "print_cpu_stall", "print_other_cpu_stall", "should_fail",
	"fail_dump", "usercopy_warn", "usercopy_abort", "check_object_size", "__check_heap_object",
	/* allocation */
	"alloc_page", "^kmalloc", "^__kmalloc", "^kzalloc", "^kcalloc", "^kvmalloc",
	"^kvzalloc", "^kvcalloc", "^__kvmalloc", "krealloc", "kmem_cache", "allocate_slab",
	"^folio_alloc", "^folio_unlock", "filemap_alloc_folio", "__filemap_get_folio",
	"find_or_create_page", "do_read_cache_folio", "read_cache_page", "pagecache_get_page",
	"grab_cache_page_write_begin", "^slab_", "^__slab_", "debug_object", "__debug_check",
	"debug_check_no_", "timer_is_static_object", "work_is_static_object", "init_timer_key",
	"^__might_", "^might_", "print_unlock", "imbalance_bug", "lockdep", "^kfree$", "^kvfree$",
	"kfree_skb", "^__alloc_frozen_pages", "^memdup", "^__kmem_cache", "^__do_kmalloc",
	/* locking */
	"bh_enable", "bh_disable", "perf_trace", "lock_acquire", "lock_release", "lock_class",
	"mark_lock", "held_locks", "raw_spin_rq", "spin_lock", "spin_trylock", "spin_unlock",
	"read_lock", "read_trylock", "write_lock", "write_trylock", "read_unlock", "write_unlock",
	"^down$", "^down_read", "^down_write", "^down_trylock", "^up_read", "^up_write",
	"^mutex_", "^__mutex_", "^rt_mutex_", "^__rt_mutex", "owner_on_cpu", "osq_lock",
	"osq_unlock", "^_atomic_dec_and_lock", "^atomic_dec_and_", "^atomic64_", "^atomic_",
	"^arch_atomic", "^raw_atomic", "^set_bit$", "^clear_bit$", "^change_bit$",
	"^test_and_set_bit", "^test_and_clear_bit", "^test_and_change_bit", "^__wake_up",
	"^refcount_", "^__refcount_", "^kref_", "ref_tracker", "seqprop_assert",
	"^task_blocks_on_rt_mutex", "^trace_hardirqs", "^lockdep_hardirqs", "^srcu_read_lock",
	"^__srcu_read_lock", "^__srcu_read_unlock", "^srcu_read_unlock", "^rcu_read_lock",
	"^rcu_read_unlock", "^__rcu_read_lock", "^__rcu_read_unlock", "^preempt_",
	"^___preempt_schedule", "^__preempt_schedule", "^__schedule_bug$",
	/* string, copy and checksum helpers */
	"memcpy", "memcmp", "memset", "memchr", "memmove", "strcmp", "strncmp", "strcpy",
	"strlcpy", "strncpy", "strscpy", "strlen", "strstr", "strnstr", "strnlen", "strchr",
	"strdup", "strndup", "copy_to_user", "copy_from_user", "copy_to_iter", "copy_from_iter",
	"copy_page_to_iter", "copy_page_from_iter", "copy_folio_to_iter", "^copyin$", "^copyout$",
	"put_user", "get_user", "^list_add", "^list_del", "^list_replace", "^list_move",
	"^list_splice", "^__list_", "^rb_", "^__rb_", "_indirect_thunk_", "^string", "^pointer$",
	"snprintf", "scnprintf", "kasprintf", "kvasprintf", "printk", "va_format", "^hex_string$",
	"^dev_info", "^dev_notice", "^dev_warn", "^dev_err", "^dev_alert", "^dev_crit",
	"^dev_emerg", "^dev_printk", "^_dev_", "^__dev_printk", "dev_vprintk_emit",
	"program_check_exception", "program_check_common", "^crc16$", "^crc_itu_t",
	"__crc32c_le", "^crc32c", "crypto_shash_update", "crypto_shash_digest",
	"hex_dump_to_buffer", "print_hex_dump", "^__virt_addr_valid$", "^__virt_to_phys",
	"^__phys_addr", "^__read_once", "^__unwind_start$", "^unwind_next_frame",
	"^__read_once_word_nocheck",
	/* the unwinders that print a report's stack (x86 unwind_*.c, arm64 stacktrace.c,
	 * kernel/stacktrace.c, lib/stackdepot.c) and the sanitizers' report framing
	 * (mm/kasan/report.c, mm/kfence/report.c start_report / end_report / describe_object) */
	"^unwind_", "^__unwind_", "^kunwind_", "^update_stack_state$", "^arch_stack_walk",
	"^stack_trace_", "save_stack_trace", "^stack_depot_", "^__stack_depot_",
	"^start_report$", "^end_report$", "^describe_object", "^check_panic_on_warn$",
	/* waiting and work machinery, device-model plumbing: the caller asked for it */
	"^del_timer", "^timer_delete", "^flush_work", "^__flush_work", "^__cancel_work",
	"^cancel_work_sync", "try_to_grab_pending", "^flush_workqueue", "^__flush_workqueue",
	"^drain_workqueue", "^destroy_workqueue", "^queue_work", "^__queue_work", "^finish_wait",
	"^kthread_stop", "^kobject_", "^add_uevent_var", "^get_device_parent", "^device_add$",
	"^device_del$", "^device_unregister", "^device_destroy", "^device_release",
	"^devres_release_all", "^device_for_each_child", "^rollback_registered",
	"^unregister_netdev", "^sysfs_remove", "^__sysfs_remove", "^__sysfs_create",
	"^sysfs_create", "^sysfs_add", "^device_remove_file", "^tty_unregister_device",
	"^usb_kill_urb", "^usb_kill_anchored_urbs", "^usb_control_msg", "^usb_hcd_submit_urb",
	"^usb_submit_urb", "^complete$", "^wait_for_completion", "readb$", "readw$", "readl$",
	"readq$", "^klist_put", "^klist_iter_exit", "^__getname", "^assertfail$",
	"^cleanup_srcu_struct", "^drop_nlink$", "^register_lock_class", "^__lock_text_start",
	"^rust_helper_BUG$", "^fast_dput$", "^__call_rcu", "^call_rcu", "^iput$", "^dput$",
	"^unlock_page$", "^lock_page", "^__lock_page", "^lock_timer_base$", "^bad_page$",
	"^get_taint$", "^___kmalloc", "^__kmalloc_large", "^cpu_stopper_thread$", "^retint_",
	"walk_stackframe", "^do_tag_check_fault", "^do_tag_recovery", "^report_tag_fault",
	"^kernel_fpu_begin", "page_owner", "^put_device$", "try_to_del_timer", "swake_up",
	"wake_bit", "^__wake_up_common", "timer_delete", "^post_alloc_hook$", "^prep_new_page$",
	"^get_page_from_freelist$",
};
const size_t classify_skip_substrings_n = ARRAY_SIZE(classify_skip_substrings);

const char *const classify_irq_entries[] = {
	"apic_timer_interrupt", "^el1_irq$", "^el1h_64_irq", "^el1_interrupt$", "^__irq_svc$",
	"^irq_svc$", "^handle_arch_irq$", "^call_on_irq_stack$", "^ret_from_intr$",
	"^common_interrupt$", "^asm_common_interrupt$", "^handle_exception$",
};
const size_t classify_irq_entries_n = ARRAY_SIZE(classify_irq_entries);

const char *const classify_stall_anchors[] = {
	/* generic dispatchers of work (and some of their callers, so that a renamed one still
	 * leaves an anchor) */
	"^process_one_work$", "^do_syscall_", "^do_fast_syscall_", "^sysenter_dispatch",
	"^tracesys_phase2", "^el0_svc_handler", "^invoke_syscall", "^ret_fast_syscall",
	"^entry_SYSCALL", "^system_call_fastpath", "^netif_receive_skb", "^__netif_receive_skb",
	"^do_softirq", "^__do_softirq", "^handle_softirqs", "^call_timer_fn", "_run_timers$",
	"^run_timer_softirq", "^hrtimer_run", "^__hrtimer_run_queues", "^run_ksoftirqd",
	"^smpboot_thread_fn", "^kthread$", "^start_secondary", "^cpu_startup_entry",
	"^ret_from_fork", "^worker_thread$", "^tasklet_action", "^net_rx_action",
	"^smp_call_function",
	/* the discriminating layers of syscalls: the frame above names the device, file system
	 * or protocol */
	"^vfs_write$", "^vfs_read$", "^vfs_iter_read", "^vfs_iter_write", "^do_iter_read",
	"^do_iter_write", "^call_read_iter", "^call_write_iter", "^new_sync_read",
	"^new_sync_write", "^vfs_ioctl$", "^do_vfs_ioctl$", "^ksys_ioctl$", "^compat_ioctl",
	"^compat_sys_ioctl", "^blkdev_driver_ioctl", "^blkdev_ioctl", "^do_iter_readv_writev",
	"^__sys_connect", "^sock_sendmsg$", "^__sock_sendmsg$", "^sock_recvmsg$",
	"^__sock_recvmsg", "^sock_ioctl$", "^sock_do_ioctl", "^___sys_sendmsg", "^___sys_recvmsg",
	"^__sys_sendto", "^__sys_recvfrom", "^__sys_setsockopt", "^__sys_getsockopt",
	"^sock_common_setsockopt", "^sock_common_getsockopt", "^do_sock_setsockopt",
	"^do_sock_getsockopt", "^netlink_unicast", "^netlink_rcv_skb", "^genl_rcv_msg",
	"^nfnetlink_rcv", "^rtnetlink_rcv_msg", "^vfs_fsync", "^do_fsync", "^vfs_fallocate",
	"^__vfs_write$", "^__vfs_read$", "^compat_SyS_ioctl", "^__ia32_compat_sys_ioctl",
	"^__x64_compat_sys_ioctl", "^__se_compat_sys_ioctl", "^__do_compat_sys_ioctl",
	"^__x64_sys_", "^__ia32_sys_", "^__arm64_sys_", "^__se_sys_", "^__do_sys_", "^SyS_",
	"^ksys_", "^__sys_", "^__se_compat_sys_", "^__do_compat_sys_",
};
const size_t classify_stall_anchors_n = ARRAY_SIZE(classify_stall_anchors);

const char *const classify_leak_skip[] = {
	"alloc", "^kmemdup", "^kstrdup", "^kstrndup", "^memdup", "^kvmemdup", "^skb_clone",
	"^skb_copy", "^pskb_copy", "^__skb_clone",
};
const size_t classify_leak_skip_n = ARRAY_SIZE(classify_leak_skip);

const char *const classify_hang_skip[] = {
	"sched", "_lock", "_slowlock", "down", "rwsem", "completion", "kthread", "wait",
	"synchronize", "context_switch", "__switch_to", "cancel_delayed_work", "rcu_barrier",
	"^flush_", "^__flush_",
};
const size_t classify_hang_skip_n = ARRAY_SIZE(classify_hang_skip);

const struct classify_hang_anchor classify_hang_anchors[] = {
	{ "^synchronize_rcu", "synchronize_rcu" },
	{ "^synchronize_sched", "synchronize_rcu" },
	{ "^synchronize_srcu", "synchronize_rcu" },
	{ "^__synchronize_srcu", "synchronize_rcu" },
	{ "^synchronize_net", "synchronize_rcu" },
	{ "^rcu_barrier", "synchronize_rcu" },
	{ "^rtnl_lock$", "rtnl_lock" },
	{ "^rtnl_lock_killable$", "rtnl_lock" },
};
const size_t classify_hang_anchors_n = ARRAY_SIZE(classify_hang_anchors);

/* ---- User space. Formats from the tools' own output (gcc 12 / clang 14 sanitizers, rustc
 * 1.73+ and earlier, glibc 2.36). ---- */
#define SAN CLASSIFY_USER_SANITIZER
const struct classify_user_pattern classify_user_patterns[] = {
	{ "ERROR: AddressSanitizer: %R", SAN, "asan", "AddressSanitizer: $K in $F" },
	{ "ERROR: HWAddressSanitizer: %R", SAN, "hwasan", "HWAddressSanitizer: $K in $F" },
	{ "ERROR: LeakSanitizer: detected memory leaks", SAN, "lsan",
	  "LeakSanitizer: detected memory leaks in $F" },
	{ "WARNING: MemorySanitizer: %R", SAN, "msan", "MemorySanitizer: $K in $F" },
	{ "WARNING: ThreadSanitizer: %C (pid=%d)", SAN, "tsan", "ThreadSanitizer: $K in $F" },
	{ "%S:%d:%d: runtime error: %R", CLASSIFY_USER_UBSAN, "ubsan", "UBSAN: $K in $F" },
	{ "thread '%C' panicked at '%R", CLASSIFY_USER_RUST_OLD, "rust-panic", "panic: $M in $F" },
	{ "thread '%C' (%d) panicked at %R", CLASSIFY_USER_RUST, "rust-panic", "panic: $M in $F" },
	{ "thread '%C' panicked at %R", CLASSIFY_USER_RUST, "rust-panic", "panic: $M in $F" },
	{ "thread '%C' has overflowed its stack", CLASSIFY_USER_ABORT, "rust-panic",
	  "panic: stack overflow in $F" },
	{ "%*%*%* %C %*%*%*: terminated", CLASSIFY_USER_ABORT, "glibc-abort", "glibc: $1 in $F" },
	{ "%*%*%* %C %*%*%*: %S terminated", CLASSIFY_USER_ABORT, "glibc-abort", "glibc: $1 in $F" },
	{ "%*%*%* Error in `%C': %C: 0x%x %*%*%*", CLASSIFY_USER_ABORT, "glibc-abort",
	  "glibc: $2 in $F" },
	{ "Fatal glibc error: %R", CLASSIFY_USER_ABORT, "glibc-abort", "glibc: $1 in $F" },
	{ "free(): %R", CLASSIFY_USER_ABORT, "glibc-abort", "glibc: free(): $1 in $F" },
	{ "double free or corruption %R", CLASSIFY_USER_ABORT, "glibc-abort",
	  "glibc: double free or corruption $1 in $F" },
	{ "malloc(): %R", CLASSIFY_USER_ABORT, "glibc-abort", "glibc: malloc(): $1 in $F" },
	{ "realloc(): %R", CLASSIFY_USER_ABORT, "glibc-abort", "glibc: realloc(): $1 in $F" },
	{ "munmap_chunk(): %R", CLASSIFY_USER_ABORT, "glibc-abort",
	  "glibc: munmap_chunk(): $1 in $F" },
	{ "malloc_consolidate(): %R", CLASSIFY_USER_ABORT, "glibc-abort",
	  "glibc: malloc_consolidate(): $1 in $F" },
	{ "corrupted size vs. prev_size", CLASSIFY_USER_ABORT, "glibc-abort",
	  "glibc: corrupted size vs. prev_size in $F" },
	{ "corrupted double-linked list", CLASSIFY_USER_ABORT, "glibc-abort",
	  "glibc: corrupted double-linked list in $F" },
	{ "%S: %S:%d: %F: Assertion `%C' failed.", CLASSIFY_USER_ASSERT, "assert",
	  "assertion failed in $F" },
};
#undef SAN
const size_t classify_user_patterns_n = ARRAY_SIZE(classify_user_patterns);

const struct classify_ubsan_check classify_ubsan_checks[] = {
	{ "signed integer overflow", "signed-integer-overflow" },
	{ "negation of %C cannot be represented", "signed-integer-overflow" },
	{ "division of %C by -1 cannot be represented", "signed-integer-overflow" },
	{ "unsigned integer overflow", "unsigned-integer-overflow" },
	{ "division by zero", "integer-divide-by-zero" },
	{ "index %C out of bounds", "array-index-out-of-bounds" },
	{ "shift exponent", "shift-out-of-bounds" },
	{ "left shift of", "shift-out-of-bounds" },
	{ "load of null pointer", "null-pointer-use" },
	{ "store to null pointer", "null-pointer-use" },
	{ "member access within null pointer", "null-pointer-use" },
	{ "member call on null pointer", "null-pointer-use" },
	{ "reference binding to null pointer", "null-pointer-use" },
	{ "null pointer passed as argument", "null-pointer-use" },
	{ "load of misaligned address", "misaligned-access" },
	{ "store to misaligned address", "misaligned-access" },
	{ "member access within misaligned address", "misaligned-access" },
	{ "load of value %C, which is not a valid value for type", "invalid-load" },
	{ "execution reached an unreachable program point", "unreachable" },
	{ "execution reached the end of a value-returning function", "missing-return" },
	{ "applying %C offset", "pointer-overflow" },
	{ "pointer index expression with base", "pointer-overflow" },
	{ "addition of unsigned offset to", "pointer-overflow" },
	{ "subtraction of unsigned offset from", "pointer-overflow" },
	{ "%C is outside the range of representable values", "float-cast-overflow" },
	{ "load of address %C with insufficient space", "object-size" },
	{ "store to address %C with insufficient space", "object-size" },
	{ "variable length array bound", "vla-bound" },
	{ "call to function %C through pointer to incorrect function type",
	  "function-type-mismatch" },
	{ "implicit conversion from", "implicit-conversion" },
};
const size_t classify_ubsan_checks_n = ARRAY_SIZE(classify_ubsan_checks);

const struct classify_signal_name classify_signal_names[] = {
	{ "Segmentation fault", "SEGV", 11 },
	{ "Bus error", "BUS", 7 },
	{ "Illegal instruction", "ILL", 4 },
	{ "Floating point exception", "FPE", 8 },
	{ "Aborted", "ABRT", 6 },
	{ "Trace/breakpoint trap", "TRAP", 5 },
};
const size_t classify_signal_names_n = ARRAY_SIZE(classify_signal_names);

const char *const classify_user_skip[] = {
	/* sanitizer runtimes */
	"__interceptor_", "___interceptor_", "__asan", "__hwasan", "__msan", "__tsan", "__lsan",
	"__ubsan", "__sanitizer", "__interception", "^__cxa_", "^__gxx_",
	/* allocation and the C library */
	"^malloc$", "^calloc$", "^realloc$", "^reallocarray$", "^free$", "^posix_memalign$",
	"^aligned_alloc$", "^valloc$", "^strdup$", "^strndup$", "^operator new", "^operator delete",
	"^memcpy", "^memmove", "^memset", "^memcmp", "^memchr", "^__mem", "^strcpy", "^strncpy",
	"^strcat", "^strncat", "^strlen", "^strnlen", "^strcmp", "^strncmp", "^strchr", "^strrchr",
	"^strstr", "^__str", "^wcs", "^__libc_", "^_start$", "^abort$", "^raise$",
	"^__GI_", "^__pthread_kill", "^pthread_kill", "^__assert", "^__stack_chk_fail",
	"^__fortify_fail", "^__chk_fail", "_chk$", "^gsignal$", "^backtrace", "^__restore_rt",
	"^__libc_message", "^malloc_printerr", "^_int_free", "^_int_malloc", "^_IO_", "^__GI___",
	/* the Rust standard library's panic and indexing machinery */
	"rust_begin_unwind", "^__rustc::", "^__rust_", "^rust_panic", "^core::", "^std::",
	"^alloc::", "^<core::", "^<std::", "^<alloc::", " as core::", " as alloc::", " as std::",
};
const size_t classify_user_skip_n = ARRAY_SIZE(classify_user_skip);
/* clang-format on */
