/* ctl.h — the control socket of the user-mode sensors, server side.
 *
 * A Unix stream socket; a client (sensorctl.c) connects, sends one command line ("reload",
 * "stats") and reads one reply line, which starts with "ok " (done), "rejected " (the sensor
 * refused the update, with its reason) or "error " (the command failed). The reply comes from
 * the daemon's main loop, so a daemon that dies or hangs while handling a command closes the
 * connection without a reply: the client can tell "rejected" from "no answer". */
#pragma once

#include <stddef.h>

/* Listen on path (a stale socket file is replaced). Returns the non-blocking listening fd or
 * -errno. */
int ctl_listen(const char *path);

/* Accept one client and read its command line (without the newline) into line. Returns the
 * client fd, -EAGAIN when nobody is waiting, or another -errno (the client is dropped). */
int ctl_accept(int lfd, char *line, size_t size);

/* Write one reply line (a newline is added) and close the client. */
void ctl_reply(int cfd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
