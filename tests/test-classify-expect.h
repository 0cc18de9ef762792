/* test-classify-expect.h — verdict, title and type expected for every console fixture under
 * tests/data/console/. Files named fmt-* were written from the kernel's printk formats (Linux
 * 6.1 sources); the others were recorded from real guests by tests/crashme/record.sh. */
#pragma once

static const struct expect expectations[] = {
	/* written from formats */
	{ "fmt-null-deref.log", CLASSIFY_CRASH, "BUG: kernel NULL pointer dereference in ks_eval_field",
	  "null-deref" },
	{ "fmt-warning.log", CLASSIFY_CRASH, "WARNING in ks_load", "warning" },
	{ "fmt-hung-task.log", CLASSIFY_HANG, "INFO: task hung in ks_reload", "hung-task" },
	{ "fmt-soft-lockup.log", CLASSIFY_HANG, "BUG: soft lockup in ks_eval", "soft-lockup" },
	/* clean */
	{ "clean-boot-noise.log", CLASSIFY_CLEAN, NULL, NULL },
};
