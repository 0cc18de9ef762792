/* daemon.h — what the user-mode sensor daemons written in C (usensord, esensord) share: their
 * log lines, loading content, the control socket and the main loop around their event source.
 *
 * Lifecycle: daemon_init() (name, signals, crash reporter), set up the event source, then
 * daemon_run(), which loads the content, says READY and runs until SIGTERM/SIGINT.
 * Single-threaded on purpose: a daemon stuck anywhere stops its watchdog pings (notify.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kscu.h"

/* Name the log lines, block SIGHUP/SIGTERM/SIGINT into a signalfd, and install the crash
 * reporter when crash_reporter is true (not in a sanitizer build). Returns 0 or -errno. */
int daemon_init(const char *name, bool crash_reporter);

/* One line "NAME: ..." on stderr, in one write (the supervisor reads lines). */
void daemon_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Takes loaded content: returns 0 and owns c, or -errno with a reason in why (c stays the
 * caller's). */
typedef int (*daemon_take_fn)(struct ks_content *c, char *why, size_t why_size);

struct daemon_ops {
	const char *content;	 /* the content file: loaded at start, on "reload" and on SIGHUP */
	daemon_take_fn take;	 /* hands loaded content to the design */
	int event_fd;		 /* readable when the event source has something */
	void (*on_events)(void); /* read and handle it */
	/* a control command other than "reload"; must ctl_reply() */
	void (*on_command)(int cfd, const char *cmd);
	unsigned (*instances)(void); /* rules in effect, for the ready line */
	/* NULL, or where the last good content goes: when a load replaces content that has lived
	 * (evaluated exec events with the daemon still alive, or been in effect 5 s), its bytes are
	 * written there first, for supervise --rollback to put back (the vendors' answer to July
	 * 2024: an update that kills the sensor is rolled back, not reloaded forever) */
	const char *last_good;
};

/* Listen on the control socket sock (ctl.h), load ops->content (what the last update left on
 * disk: loading it again is what makes a restarted daemon die again on the same bad update),
 * say READY (to the supervisor, and "ready (content: N instances)"), then serve events,
 * commands and signals, pinging the watchdog. Each load logs "loaded update: N instances
 * (template T)" or "rejected update: REASON" (the previous content stays) and a "reload"
 * command gets "ok loaded ...", "rejected REASON" or "error ...". Returns the exit status: 0 on
 * SIGTERM/SIGINT, 1 when the socket cannot be set up. */
int daemon_run(const char *sock, const struct daemon_ops *ops);

/* Updates loaded and rejected since start, for a "stats" reply. */
unsigned long daemon_loads(void);
unsigned long daemon_rejects(void);
