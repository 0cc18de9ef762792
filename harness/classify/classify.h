/* classify.h — console log classification: did the guest kernel crash or hang, and what is the
 * stable title (signature) of the failure. Streams its input; memory use is bounded whatever the
 * size of the log. Owner: the caller frees a result with classify_result_free(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum classify_verdict {
	CLASSIFY_CLEAN = 0,
	CLASSIFY_CRASH,
	CLASSIFY_HANG,
};

struct classify_result {
	enum classify_verdict verdict;
	char *title;	 /* "BUG: unable to handle page fault in ks_eval_field"; NULL when clean */
	char *type;	 /* short kind, e.g. "page-fault", "soft-lockup"; NULL when clean */
	long first_line; /* 1-based line of the report's first line; 0 when clean */
	char *report;	 /* the report text (bounded excerpt); NULL when clean */
};

/* Classify a console log read from f, until EOF or until the first report is complete (the rest
 * cannot change the result). Returns 0 or a negative errno (read error). Title rules: the first
 * report wins; "<kind> in <function>", kinds named as kernel developers' dashboards name them
 * (older kernels' and other architectures' wordings included; faultline's own names for Linux
 * 5.0+ x86 page faults and stack-protector panics stay); the function taken from the header,
 * the faulting IP or the stack past reporting, locking, allocation, sanitizer, tracing and
 * generic helper machinery, a module's frame preferred; for a spinning CPU (lockups, RCU
 * stalls) the outermost frame of the module's run, else the frame above the dispatcher of its
 * work (syscall entry, workqueue, softirq, vfs/socket layer), which does not depend on where
 * the sample landed; for a blocked task what it waits for (synchronize_rcu, rtnl_lock) or the
 * first frame past the waiting machinery; "corrupted" when another report's header came between
 * its "Call Trace:" and its first frame, when another task's stack came before a WARN()'s own,
 * or when it was cut before any frame and its header names only the check that fired (a
 * lockdep deadlock cut before its locks keeps its header line as its title). A boot banner after
 * the kernel had run is an "unexpected kernel reboot". The tables are in classify-patterns.c. */
int classify_file(FILE *f, struct classify_result **ret);
/* Same for a path. */
int classify_path(const char *path, struct classify_result **ret);
/* Same for an in-memory buffer (may contain NULs). */
int classify_buffer(const void *data, size_t size, struct classify_result **ret);

struct classify_result *classify_result_free(struct classify_result *r);

/* The guest's uptime in ms at 1-based line `line` of a console log (data, size bytes; NULs
 * allowed): the "[  SECONDS.MICROS]" stamp of that line, or of the closest stamped line before
 * it (a line may start with a carriage return or a log level). -1 when there is none. */
int64_t classify_uptime_ms(const void *data, size_t size, long line);
const char *classify_verdict_name(enum classify_verdict v); /* "clean", "crash", "hang" */

/* Incremental use, for a console that is still being written (the run loop can feed the console
 * as it arrives and stop watching once the verdict is final). The stream owns its memory (bounded:
 * one capped line, one capped report excerpt, a few dozen frames). */
struct classify_stream;
struct classify_stream *classify_stream_new(void);
void classify_stream_feed(struct classify_stream *st, const void *data, size_t size);
/* True once a report is complete: feeding more input cannot change the result. */
bool classify_stream_done(const struct classify_stream *st);
/* Ends the input (a last line without newline counts) and returns the result. The stream can only
 * be freed afterwards. Returns 0. */
int classify_stream_finish(struct classify_stream *st, struct classify_result **ret);
struct classify_stream *classify_stream_free(struct classify_stream *st);

/* User space: what killed a sensor process, read from its stderr or log (the first report
 * wins). Stable titles in the same spirit as the kernel's, "<kind> in <function>":
 *   "AddressSanitizer: heap-buffer-overflow in ks_eval_field" (ASan, HWASan, LSan, MSan, TSan)
 *   "UBSAN: signed-integer-overflow in ks_add" (the check's -fsanitize name; the source file
 *     instead of the function when UBSan printed no stack)
 *   "panic: index out of bounds in eval_field" (Rust, the message before its first ": ")
 *   "glibc: stack smashing detected", "glibc: free(): invalid pointer" (glibc's aborts)
 *   "assertion failed in main" (assert())
 *   "SEGV in ks_eval_field" (a death by signal reported by a shell or a handler, the function
 *     from a backtrace_symbols() backtrace when one was printed)
 * The function is the first frame past sanitizer, libc and Rust runtime machinery. term_signal
 * is the signal that ended the process (0 when unknown or when it exited): with no report in
 * the log it alone gives the verdict ("SEGV", report ""). Verdict crash, or clean when nothing
 * was found; type is "asan", "ubsan", "rust-panic", "glibc-abort", "assert", "signal", ...
 * Returns 0 or a negative errno (read error). Memory is bounded whatever the log's size. */
int classify_userspace_file(FILE *f, int term_signal, struct classify_result **ret);
int classify_userspace_path(const char *path, int term_signal, struct classify_result **ret);
int classify_userspace_buffer(const void *data, size_t size, int term_signal,
			      struct classify_result **ret);
