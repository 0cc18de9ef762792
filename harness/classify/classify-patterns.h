/* classify-patterns.h — the data tables of the console classifier: which console lines start a
 * kernel report, what verdict and title they give, which stack frames are never the culprit, and
 * which line prefixes are transparent. All tables live in classify-patterns.c, in one place, so
 * that adding a report kind is adding a row, not code.
 *
 * Pattern language (anchored at the start of a console message, after the timestamp, caller and
 * syslog prefixes are stripped; the rest of the line after the pattern is ignored):
 *   text  matches itself; one space matches one or more spaces or tabs
 *   *     any run of characters, possibly empty (shortest first)
 *   %d    one or more decimal digits        %x    one or more hex digits
 *   %F    a function symbol, captured; also the first candidate for the guilty function
 *   %S    one or more non-space characters, captured
 *   %C    one or more characters, captured (shortest first)
 *   %R    the rest of the line, captured (may be empty)
 *   %%    a literal '%'                     %*    a literal '*'
 *   $     end of line
 * Title templates: $1..$4 are the captures in order (free text is scrubbed of addresses and
 * numbers), $A the access kind found in the report ("Read" / "Write"), $F the guilty function.
 * When no function is found $F is "corrupted" (as the ecosystem names a report too cut or
 * interleaved to name one; but see CLASSIFY_PAT_OWN_NAME), "$A " is dropped when no access kind
 * is found.
 */
#pragma once

#include "classify.h"

enum {
	/* The line alone is not proof: user space prints "BUG:" and "WARNING:" too. The report
	 * counts only when kernel report structure (Call Trace, CPU: PID:, RIP:, ...) follows
	 * within a few lines. */
	CLASSIFY_PAT_WEAK = 1u << 0,
	/* Look for the access kind ("Read of size", "Write of size") in the report: $A. */
	CLASSIFY_PAT_ACCESS = 1u << 1,
	/* The guilty function is where the offending lock is taken ("..., at: func+0x1/0x2"). */
	CLASSIFY_PAT_AT_FUNC = 1u << 2,
	/* A known harmless line that would otherwise match a later row: not a report. */
	CLASSIFY_PAT_IGNORE = 1u << 3,
	/* Only the function named in the header line counts (no stack search). */
	CLASSIFY_PAT_HDR_FUNC_ONLY = 1u << 4,
	/* A CPU spinning (soft/hard lockup, RCU stall): where the sample lands inside the loop
	 * changes from run to run, so the title names the outermost frame of the module run of
	 * frames (the module's entry into the loop), which does not. */
	CLASSIFY_PAT_SPIN = 1u << 5,
	/* A task blocked (hung task, can't die): the stack is a victim's wait; the title names
	 * what it waits for (an RCU grace period, the RTNL) or the first frame past the
	 * scheduling, locking and waiting machinery. */
	CLASSIFY_PAT_HUNG = 1u << 6,
	/* A boot banner: a report only after the kernel had already run (an unexpected reboot);
	 * at the start of a log it is the boot itself. */
	CLASSIFY_PAT_REBOOT = 1u << 7,
	/* A title of faultline's own (Linux 5.0+ wording) that differs from the ecosystem's name
	 * for the same report: it stays what it has been, "in corrupted" is not added when no
	 * function is found. */
	CLASSIFY_PAT_OWN_NAME = 1u << 8,
	/* With SPIN: the stack was dumped from the interrupt that sampled the CPU (RCU stalls):
	 * the CPU's own code starts past the interrupt's entry frames. Lockup reports print the
	 * interrupted context itself. */
	CLASSIFY_PAT_SAMPLED = 1u << 9,
	/* A memory leak: the stack is the allocation's, so allocation wrappers of every name
	 * ("*alloc*") are skipped to reach the code that made the object. */
	CLASSIFY_PAT_LEAK = 1u << 10,
	/* Printed by the stack unwinder while some report's stack is dumped: inside a report it
	 * is ignored; alone it is a report, which the next header within a few lines replaces
	 * (the report whose dump made the unwinder complain). */
	CLASSIFY_PAT_ASIDE = 1u << 11,
	/* Cut before it named any function: the title is the header line itself (as lockdep's
	 * reports are filed when their lock chains and stack were lost), not "in corrupted". */
	CLASSIFY_PAT_CUT_HEADER = 1u << 12,
	/* The header's function is the check that fired (WARN()'s "at func+0x1/0x2"), not
	 * necessarily the culprit: with no stack after it the report is "corrupted". */
	CLASSIFY_PAT_SITE = 1u << 13,
	/* $1 is a free-form message whose variable tail is cut (classify_trim_tail()): a
	 * panic("Couldn't open N_TTY ldisc for %s --- error %d.") is one report whatever tty. */
	CLASSIFY_PAT_TRIM = 1u << 14,
	/* Lockdep's report format (kernel/locking/lockdep.c print_*_bug()): the lock chains, then
	 * "stack backtrace:" and dump_stack(). A "Call Trace:" before that line is another
	 * task's, printed in the middle of ours: interleaved. */
	CLASSIFY_PAT_BACKTRACE = 1u << 15,
};

struct classify_pattern {
	const char *match;
	enum classify_verdict verdict;
	const char *type;  /* short machine-readable kind */
	const char *title; /* template, see above */
	unsigned flags;
};

extern const struct classify_pattern classify_patterns[];
extern const size_t classify_patterns_n;

/* Prefixes printed before a report header by some subsystems or kernel versions; stripped before
 * matching so that one row covers "watchdog: BUG: soft lockup" and "BUG: soft lockup". */
extern const char *const classify_transparent_prefixes[];
extern const size_t classify_transparent_prefixes_n;

/* Lines that prove a weak header is a kernel report (matched as patterns). */
extern const char *const classify_confirm_markers[];
extern const size_t classify_confirm_markers_n;

/* Lines after which stack frames are read (the frame lines themselves are recognised by shape). */
extern const char *const classify_trace_start[];
extern const size_t classify_trace_start_n;

/* Lines after which frames belong to another story (allocation / free stacks of KASAN, ...). */
extern const char *const classify_trace_stop[];
extern const size_t classify_trace_stop_n;

/* die()'s headers ("<what>: <error code> [#<counter>]"), also looked for inside a line that
 * another message left unterminated. */
extern const char *const classify_die_headers[];
extern const size_t classify_die_headers_n;

/* Lines that end a report. */
extern const char *const classify_report_end[];
extern const size_t classify_report_end_n;

/* Functions that are never the culprit: reporting, locking, allocation, scheduling, entry code
 * and generic helpers. A trailing '*' makes a prefix. */
extern const char *const classify_skip_functions[];
extern const size_t classify_skip_functions_n;

/* Broader names of machinery that is never the culprit (a kernel-wide convention: reporting,
 * sanitizers, locking, allocation, tracing, string and copy helpers, device-model plumbing).
 * Matched anywhere in the name, "^" anchors at the start and "$" at the end. Applied to frames
 * outside modules only: a module under test keeps its own names whatever they contain. */
extern const char *const classify_skip_substrings[];
extern const size_t classify_skip_substrings_n;

/* Frames where an interrupt entered: a spinning CPU's own code is below the last of them. */
extern const char *const classify_irq_entries[];
extern const size_t classify_irq_entries_n;

/* Where a spinning CPU's work was dispatched from (syscall entry, work queues, softirqs, the
 * vfs and socket layers): the title names the frame just above the first of them, which does
 * not depend on where in a loop the sample landed. Same syntax as classify_skip_substrings. */
extern const char *const classify_stall_anchors[];
extern const size_t classify_stall_anchors_n;

/* Allocation wrappers skipped in a memory leak's stack (same syntax). */
extern const char *const classify_leak_skip[];
extern const size_t classify_leak_skip_n;

/* A blocked task's waiting machinery, skipped when naming a hang (same syntax). */
extern const char *const classify_hang_skip[];
extern const size_t classify_hang_skip_n;

/* What a blocked task waits for, named after one representative function: any frame that
 * matches .match (same syntax) gives the title .name. */
struct classify_hang_anchor {
	const char *match;
	const char *name;
};
extern const struct classify_hang_anchor classify_hang_anchors[];
extern const size_t classify_hang_anchors_n;

/* ---- User space (classify_userspace()): a sensor process's stderr or log. ---- */

enum classify_user_kind {
	/* ASan, HWASan, LSan, MSan, TSan: "#0 0x... in func file:line" frames, a SUMMARY line
	 * that names the kind ($K) */
	CLASSIFY_USER_SANITIZER,
	/* "file.c:12:5: runtime error: message": $K is the check's name (classify_ubsan_checks),
	 * frames when UBSAN_OPTIONS=print_stacktrace=1, else the file names the place */
	CLASSIFY_USER_UBSAN,
	/* Rust 1.73+: "thread 'main' panicked at src/x.rs:4:5:" and the message on the next
	 * line ($M); "stack backtrace:" frames when RUST_BACKTRACE is set */
	CLASSIFY_USER_RUST,
	/* Rust before 1.73: "thread 'main' panicked at 'message', src/x.rs:4:5" */
	CLASSIFY_USER_RUST_OLD,
	/* glibc's last words before abort() (stack protector, fortify, malloc checks) */
	CLASSIFY_USER_ABORT,
	/* assert(): the function is in the message */
	CLASSIFY_USER_ASSERT,
};

struct classify_user_pattern {
	const char *match; /* classify_patterns' language, after a "==1234==" prefix */
	enum classify_user_kind kind;
	const char *type;
	const char *title; /* $1..$4, $K, $M, $F; " in $F" dropped when no function is known */
};
extern const struct classify_user_pattern classify_user_patterns[];
extern const size_t classify_user_patterns_n;

/* UBSan's messages and the names of their checks (-fsanitize=NAME). */
struct classify_ubsan_check {
	const char *match; /* pattern, anchored at the message */
	const char *name;
};
extern const struct classify_ubsan_check classify_ubsan_checks[];
extern const size_t classify_ubsan_checks_n;

/* Deaths by signal as a shell reports them ("Segmentation fault (core dumped)", "bash: line 1:
 * 123 Aborted ./x") and the short names sanitizers use for them. */
struct classify_signal_name {
	const char *text;
	const char *name;
	int signo;
};
extern const struct classify_signal_name classify_signal_names[];
extern const size_t classify_signal_names_n;

/* Frames of the runtimes, never the culprit: sanitizer interceptors, libc, the Rust standard
 * library's panic machinery (classify_skip_substrings syntax). */
extern const char *const classify_user_skip[];
extern const size_t classify_user_skip_n;
