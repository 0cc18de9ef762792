/* crash.h — a fatal-signal reporter for the user-mode sensors written in C.
 *
 * A static C daemon that takes SIGSEGV dies with nothing on its stderr; the kernel's
 * "segfault at ... ip ..." line names no function. crash_install() makes a fatal signal print
 * one report before the process dies of that same signal (so a supervisor still sees the
 * signal as the cause of death):
 *
 *   NAME: caught signal 11 (SIGSEGV) in ks_eval_field+0x2a (address 0x21)
 *   NAME(ks_eval_field+0x2a)[0x401c2a]
 *   NAME(ks_match+0x40)[0x401d10]
 *
 * in the words of glibc's backtrace_symbols_fd(), which user-space crash readers know
 * (`faultline classify --user`: "SEGV in ks_eval_field").
 * Function names come from the executable's own symbol table (read once at install time, so
 * the handler only looks up and writes); frames come from the frame-pointer chain (build with
 * -fno-omit-frame-pointer). Not for the AddressSanitizer build, which has its own reporter.
 * x86-64 only. */
#pragma once

/* Install the reporter for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT (a watchdog's SIGABRT
 * then shows where the process was stuck). name prefixes every line. Returns 0 or -errno; on
 * failure the signals keep their default action. */
int crash_install(const char *name);
