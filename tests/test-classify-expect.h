/* test-classify-expect.h — verdict, title and type expected for every console fixture under
 * tests/data/console/. Files named fmt-* were written by hand from the kernel's printk formats
 * (Linux 6.1 sources unless the file says otherwise: fmt-old-* follow 4.x, fmt-arm64-* arm64);
 * real-* were recorded from real Debian guests by tests/crashme/record.sh (null, pagefault,
 * gpf, bugon, div0, ud2 with an oops that did not panic: the first recordings passed
 * "panic_on_oops=1", which 6.1 ignores); doc-* are examples copied from the kernel's
 * Documentation/; clean-* must stay clean. */
#pragma once

#define CRASH CLASSIFY_CRASH
#define HANG CLASSIFY_HANG
#define CLEAN CLASSIFY_CLEAN

/* clang-format off */
static const struct expect expectations[] = {
	/* recorded from real guests (tests/crashme/record.sh) */
	{ "real-null.log", CRASH, "BUG: kernel NULL pointer dereference in crashme_null",
	  "null-deref" },
	{ "real-pagefault.log", CRASH, "BUG: unable to handle page fault in crashme_pagefault",
	  "page-fault" },
	{ "real-gpf.log", CRASH, "general protection fault in crashme_gpf", "gpf" },
	{ "real-bugon.log", CRASH, "kernel BUG in crashme_bugon", "kernel-bug" },
	{ "real-warn.log", CRASH, "WARNING in crashme_warn", "warning" },
	{ "real-div0.log", CRASH, "divide error in crashme_div0", "divide-error" },
	{ "real-ud2.log", CRASH, "invalid opcode in crashme_ud2", "invalid-opcode" },

	/* kfree() is crashme_doublefree's tail call: the frame left is its caller's */
	{ "real-doublefree.log", CRASH, "BUG: Object already free in crashme_write", "slub" },
	{ "real-uaf.log", CRASH, "BUG: Poison overwritten in crashme_uaf", "slub" },
	{ "real-stackoverflow.log", CRASH, "BUG: stack guard page was hit in crashme_recurse",
	  "stack-overflow" },
	{ "real-stackprotector.log", CRASH,
	  "kernel panic: stack-protector: Kernel stack is corrupted in "
	  "crashme_stackprotector", "stack-protector" },
	{ "real-fortify.log", CRASH, "detected buffer overflow in crashme_fortify", "fortify" },
	{ "real-listcorrupt.log", CRASH, "BUG: corrupted list in crashme_listcorrupt",
	  "list-corruption" },
	{ "real-refcount.log", CRASH, "WARNING: refcount bug in crashme_refcount", "refcount" },
	{ "real-usercopy.log", CRASH, "BUG: bad usercopy in crashme_usercopy", "usercopy" },
	{ "real-atomicsleep.log", CRASH, "BUG: scheduling while atomic in crashme_atomicsleep",
	  "atomic-sleep" },
	{ "real-panic.log", CRASH, "kernel panic: crashme: deliberate panic", "panic" },
	{ "real-softlockup.log", HANG, "BUG: soft lockup in crashme_write", "soft-lockup" },
	{ "real-rcustall.log", HANG, "INFO: rcu detected stall in crashme_write", "rcu-stall" },

	/* schedule() is crashme_hung's tail call: the frame left is its caller's */
	{ "real-hung.log", HANG, "INFO: task hung in crashme_write", "hung-task" },
	/* oops=panic: the oops ends in "Kernel panic - not syncing: Fatal exception" */
	{ "real-null-panic.log", CRASH, "BUG: kernel NULL pointer dereference in crashme_null",
	  "null-deref" },
	/* printk.time=0: kernel and user-space lines alike without time stamps */
	{ "real-gpf-notime.log", CRASH, "general protection fault in crashme_gpf", "gpf" },
	{ "real-softlockup-notime.log", HANG, "BUG: soft lockup in crashme_write", "soft-lockup" },
	/* 2 CPUs, a user-space process writing "BUG WARNING panic" lines to the console */
	{ "real-null-noisy.log", CRASH, "BUG: kernel NULL pointer dereference in crashme_null",
	  "null-deref" },
	{ "real-warn-noisy.log", CRASH, "WARNING in crashme_warn", "warning" },
	{ "real-clean.log", CLEAN, NULL, NULL },

	/* the reference sensor in the project's own runs: a loop whose RCU stall samples land in
	 * ks_load in one run and in ks_parse_instance in another; one title for both */
	{ "real-ksensor-stall-sample1.log", HANG, "INFO: rcu detected stall in ks_write",
	  "rcu-stall" },
	{ "real-ksensor-stall-sample2.log", HANG, "INFO: rcu detected stall in ks_write",
	  "rcu-stall" },
	{ "real-ksensor-field-count.log", CRASH,
	  "BUG: unable to handle page fault in ks_eval_field", "page-fault" },
	/* the same cases on an arm64 guest (Debian 12's arm64 kernel, qemu-system-aarch64): the
	 * same titles as on amd64 */
	{ "real-ksensor-field-count-arm64.log", CRASH,
	  "BUG: unable to handle page fault in ks_eval_field", "page-fault" },
	{ "real-ksensor-truncated-arm64.log", CRASH,
	  "BUG: unable to handle page fault in ks_parse_instance", "page-fault" },

	/* SELinux on Debian 11's 5.10: a policy whose class 3 has class value 1 (two classes
	 * with one value, one value without a name) loaded through selinuxfs; the fault is in
	 * load_unaligned_zeropad's .fixup code, which kallsyms names after a linker marker */
	{ "real-selinux-class-value-5.10.log", CRASH,
	  "BUG: kernel NULL pointer dereference in d_alloc_name", "null-deref" },
	/* the same policy on Debian 12's 6.1: the fault in hashlen_string, under d_alloc_name */
	{ "real-selinux-class-value-6.1.log", CRASH,
	  "BUG: kernel NULL pointer dereference in d_alloc_name", "null-deref" },

	/* written from formats */
	{ "fmt-null-deref.log", CRASH, "BUG: kernel NULL pointer dereference in ks_eval_field",
	  "null-deref" },
	/* before 5.0: the names dashboards use */
	{ "fmt-old-x86-null.log", CRASH,
	  "BUG: unable to handle kernel NULL pointer dereference in ks_eval_field", "null-deref" },
	/* arm, arm64, riscv: x86's 5.0+ names, one title per bug across architectures */
	{ "fmt-arm64-null.log", CRASH, "BUG: kernel NULL pointer dereference in ks_parse_instance",
	  "null-deref" },
	{ "fmt-arm64-paging.log", CRASH, "BUG: unable to handle page fault in ks_eval_field",
	  "page-fault" },
	{ "fmt-ppc64-null.log", CRASH, "BUG: kernel NULL pointer dereference in ks_eval_field",
	  "null-deref" },
	{ "fmt-arm32-null.log", CRASH, "BUG: kernel NULL pointer dereference in ks_name",
	  "null-deref" },
	{ "fmt-riscv-paging.log", CRASH, "BUG: unable to handle page fault in ks_eval_field",
	  "page-fault" },
	{ "fmt-warning.log", CRASH, "WARNING in ks_load", "warning" },
	{ "fmt-syzkaller-style.log", CRASH, "WARNING in netdev_run_todo", "warning" },
	{ "fmt-double-fault.log", CRASH, "PANIC: double fault in ks_copy_field", "double-fault" },
	{ "fmt-stack-guard.log", CRASH, "BUG: stack guard page was hit in ks_walk_tree",
	  "stack-overflow" },
	{ "fmt-list-corruption.log", CRASH, "BUG: corrupted list in ks_unlink_rule",
	  "list-corruption" },
	{ "fmt-kasan-oob.log", CRASH, "KASAN: slab-out-of-bounds Read in ks_match", "kasan" },
	{ "fmt-kasan-uaf-write-core.log", CRASH,
	  "KASAN: use-after-free Write in n_tty_receive_buf_common", "kasan" },
	{ "fmt-kasan-double-free.log", CRASH, "KASAN: double-free in ks_free_rules", "kasan" },
	/* symbolized (syzbot, decode_stacktrace.sh): inlined frames without offsets count */
	{ "fmt-kasan-symbolized.log", CRASH, "KASAN: slab-out-of-bounds Read in ks_copy", "kasan" },
	{ "fmt-kfence.log", CRASH, "KFENCE: out-of-bounds read in ks_eval_field", "kfence" },
	{ "fmt-kmsan.log", CRASH, "KMSAN: uninit-value in ks_check_crc", "kmsan" },
	{ "fmt-kcsan.log", CRASH, "KCSAN: data-race in ks_eval / ks_reload", "kcsan" },
	{ "fmt-ubsan.log", CRASH, "UBSAN: array-index-out-of-bounds in ks_eval_field", "ubsan" },
	{ "fmt-lockdep-circular.log", CRASH, "possible deadlock in ks_reload", "lockdep" },
	{ "fmt-lockdep-inconsistent.log", CRASH, "inconsistent lock state in neigh_timer_handler",
	  "lockdep" },
	{ "fmt-kmemleak.log", CRASH, "memory leak in ks_parse_instance", "memory-leak" },
	{ "fmt-panic-only.log", CRASH,
	  "kernel panic: VFS: Unable to mount root fs on unknown-block(N,N)", "panic" },
	{ "fmt-hung-task.log", HANG, "INFO: task hung in ks_reload", "hung-task" },
	{ "fmt-task-cant-die.log", HANG, "INFO: task can't die in ks_wait_rules", "task-cant-die" },
	{ "fmt-soft-lockup.log", HANG, "BUG: soft lockup in ks_write", "soft-lockup" },
	{ "fmt-hard-lockup.log", HANG, "BUG: hard lockup in ks_reload", "hard-lockup" },
	{ "fmt-rcu-detected-stalls.log", HANG, "INFO: rcu detected stall in ks_eval",
	  "rcu-stall" },
	{ "fmt-workqueue-lockup.log", HANG, "BUG: workqueue lockup", "workqueue-lockup" },
	{ "fmt-sleeping-invalid-context.log", CRASH,
	  "BUG: sleeping function called from invalid context in ks_swap_rules", "atomic-sleep" },
	{ "fmt-suspicious-rcu.log", CRASH, "WARNING: suspicious RCU usage in ks_rules_lookup",
	  "lockdep" },
	{ "fmt-bad-page-state.log", CRASH, "BUG: Bad page state in ks_release_buffer", "bad-page" },
	{ "fmt-unregister-netdevice.log", HANG,
	  "unregister_netdevice: waiting for DEV to become free", "netdev-leak" },
	{ "fmt-old-soft-lockup.log", HANG, "BUG: soft lockup in ks_scan_list", "soft-lockup" },
	{ "fmt-truncated-oops.log", CRASH, "BUG: unable to handle page fault", "page-fault" },
	{ "fmt-interleaved-cpus.log", HANG, "BUG: soft lockup in ks_scan_thread", "soft-lockup" },

	/* copied from the Linux 6.1 Documentation/ (reports by kernel developers, several
	 * kernels) */
	{ "doc-kasan-test-module.log", CRASH,
	  "KASAN: slab-out-of-bounds Write in kmalloc_oob_right", "kasan" },
	{ "doc-old-null-iret.log", CRASH,
	  "BUG: unable to handle kernel NULL pointer dereference in iret_exc", "null-deref" },
	{ "doc-old-slub-redzone.log", CRASH, "BUG: Right Redzone overwritten in get_modalias",
	  "slub" },
	{ "doc-old-warning-dma-api.log", CRASH, "WARNING in check_unmap", "warning" },
	/* no function to name: "corrupted", as the ecosystem says */
	{ "doc-rcu-stall.log", HANG, "INFO: rcu detected stall in corrupted", "rcu-stall" },
	{ "doc-suspicious-rcu.log", CRASH, "WARNING: suspicious RCU usage in corrupted",
	  "lockdep" },
	{ "doc-warning-module-put.log", CRASH, "WARNING in module_put", "warning" },

	/* clean */
	{ "clean-boot-noise.log", CLEAN, NULL, NULL },
	{ "clean-kernel-noise.log", CLEAN, NULL, NULL },
	{ "clean-user-stress.log", CLEAN, NULL, NULL },
};
/* clang-format on */
