/* test-classify-expect.h — verdict, title and type expected for every console fixture under
 * tests/data/console/. Files named fmt-* were written by hand from the kernel's printk formats
 * (Linux 6.1 sources unless the file says otherwise: fmt-old-* follow 4.x, fmt-arm64-* arm64);
 * real-* were recorded from real Debian guests by tests/crashme/record.sh; clean-* must stay
 * clean. */
#pragma once

#define CRASH CLASSIFY_CRASH
#define HANG CLASSIFY_HANG
#define CLEAN CLASSIFY_CLEAN

static const struct expect expectations[] = {
	/* recorded from real guests (tests/crashme/record.sh) */
	{ "real-null.log", CRASH, "BUG: kernel NULL pointer dereference in crashme_null",
	  "null-deref" },
	{ "real-pagefault.log", CRASH, "BUG: unable to handle page fault in crashme_pagefault",
	  "page-fault" },
	{ "real-gpf.log", CRASH, "general protection fault in crashme_gpf", "gpf" },
	{ "real-bugon.log", CRASH, "kernel BUG in crashme_bugon", "kernel-bug" },
	{ "real-warn.log", CRASH, "WARNING in crashme_warn", "warning" },

	/* written from formats */
	{ "fmt-null-deref.log", CRASH, "BUG: kernel NULL pointer dereference in ks_eval_field",
	  "null-deref" },
	{ "fmt-old-x86-null.log", CRASH, "BUG: kernel NULL pointer dereference in ks_eval_field",
	  "null-deref" },
	{ "fmt-arm64-null.log", CRASH,
	  "Unable to handle kernel NULL pointer dereference in ks_parse_instance", "null-deref" },
	{ "fmt-arm64-paging.log", CRASH, "Unable to handle kernel paging request in ks_eval_field",
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
	{ "fmt-soft-lockup.log", HANG, "BUG: soft lockup in ks_eval", "soft-lockup" },
	{ "fmt-hard-lockup.log", HANG, "BUG: hard lockup in ks_spin_wait", "hard-lockup" },
	{ "fmt-rcu-detected-stalls.log", HANG, "INFO: rcu detected stall in ks_scan_loop",
	  "rcu-stall" },
	{ "fmt-workqueue-lockup.log", HANG, "BUG: workqueue lockup", "workqueue-lockup" },

	/* clean */
	{ "clean-boot-noise.log", CLEAN, NULL, NULL },
	{ "clean-kernel-noise.log", CLEAN, NULL, NULL },
};
