/* procconn.h — process executions from the kernel's proc connector (netlink), no module.
 *
 * The kernel broadcasts a PROC_EVENT_EXEC message (pid, tgid; no name) to every subscribed
 * netlink socket when a task execs, from inside the exec. The name, uid and parent are read from
 * /proc/PID afterwards: a process that has exited and been reaped by then is gone, and the event
 * is counted as missed (procconn_describe() returns -ENOENT). See usensor/README.md for why this
 * source and not fanotify or tracefs. Needs CAP_NET_ADMIN (root) in the initial network
 * namespace. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Subscribe. Returns the non-blocking netlink fd or -errno. */
int procconn_open(void);

/* Read what is queued on fd; for each exec event call on_exec(tgid, userdata). Returns the
 * number of exec events, 0 when nothing was queued, -ENOBUFS when the kernel dropped events
 * (the socket buffer overflowed; later reads go on), or another -errno. */
int procconn_read(int fd, void (*on_exec)(pid_t tgid, void *userdata), void *userdata);

/* What /proc says about pid now: comm and the parent's comm (NUL-terminated, at most 15
 * characters, like the kernel's task comm) and the real uid. Returns 0 or -errno (-ENOENT: the
 * process is gone). */
int procconn_describe(pid_t pid, char comm[16], char pcomm[16], uint32_t *ret_uid);
