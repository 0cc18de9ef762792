/* notify.h — tell the supervisor (supervise.c) that the daemon is ready and still alive.
 *
 * The protocol is systemd's sd_notify reduced to a pipe: the supervisor passes the write end of
 * a pipe as the file descriptor named by $NOTIFY_FD, and the daemon writes "READY=1\n" once it
 * protects, then "WATCHDOG=1\n" at least once per watchdog period from its main loop (a daemon
 * stuck anywhere stops pinging and is killed with SIGABRT, like WatchdogSec=). Without
 * $NOTIFY_FD (run by hand) every call is a no-op. */
#pragma once

/* Send one "KEY=VALUE" message; errors are ignored (the supervisor may be gone). */
void notify_send(const char *msg);
