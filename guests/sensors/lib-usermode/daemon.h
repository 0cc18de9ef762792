/* daemon.h — what the user-mode sensor daemons written in C (usensord, esensord) share: their
 * log lines, reading an update, the reload step, and the main loop around their event source.
 *
 * Lifecycle: daemon_init() (name, signals, crash reporter), set up the event source,
 * daemon_listen() (control socket), load the content on disk (daemon_reload()), then
 * daemon_serve(), which says READY and runs until SIGTERM/SIGINT. Single-threaded on purpose:
 * a daemon stuck anywhere stops its watchdog pings (notify.h). */
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
typedef int (*daemon_take_fn)(struct ks_content *c, char *why, size_t why_size, void *userdata);

/* Read path, parse it with the legacy parser and hand it to take(). Logs "loaded update: N
 * instances (template T)" or "rejected update: REASON" and writes the control-socket reply
 * ("ok loaded ...", "rejected REASON", "error cannot read ..."). Returns 0 loaded, 1 rejected,
 * -errno when there is no file to read. */
int daemon_reload(const char *path, daemon_take_fn take, void *userdata, char *reply, size_t size);

/* Listen on the control socket path (ctl.h). Returns 0 or -errno. */
int daemon_listen(const char *path);

struct daemon_ops {
	int event_fd;		 /* readable when the event source has something */
	void (*on_events)(void); /* read and handle it */
	void (*on_command)(int cfd, const char *cmd); /* a control command; must ctl_reply() */
	void (*on_reload)(void);		      /* SIGHUP */
};

/* Say READY (to the supervisor and as "ready (content: N instances)"), then serve events,
 * commands and signals, pinging the watchdog. Returns the exit status: 0 on SIGTERM/SIGINT. */
int daemon_serve(const struct daemon_ops *ops, unsigned instances);
