/* vm-private.h — the insides of struct vm and struct vm_host, shared by vm.c (lifecycle,
 * streams, events), vm-end.c (how a guest ended, whether the host withholds its CPU) and upload.c
 * (files into the host's storage pool). Not for any other file: everyone else goes through vm.h.
 *
 * Locking: the fields of struct vm that libvirt's callbacks write are read and written with
 * vm->lock held; qemu_pid belongs to the thread that drives the vm.
 */
#pragma once

#include <libvirt/libvirt.h>
#include <pthread.h>
#include <sys/types.h>

#include "vm-events.h"
#include "vm.h"

/* the line that ends a kernel panic's report on the console */
#define PANIC_MARKER "---[ end Kernel panic"

struct vm_host {
	virConnectPtr conn; /* events, streams and short calls */
	/* a remote host's connections for long calls (vm-conn.c), idle ones */
	pthread_mutex_t jobs_lock;
	virConnectPtr *jobs;
	size_t n_jobs;
	unsigned refs; /* the owner's, and one per connection handed out (a teardown may outlive
			* vm_host_close, see vm_destroy's watchdog) */
	char *uri;
	char *log_dir; /* QEMU's logs (embedded driver), or NULL */
	char *run_dir; /* QEMU's pid files (embedded driver), or NULL */
	int lifecycle_id;
	bool close_cb;
	int lost_reason; /* VIR_CONNECT_CLOSE_REASON_*, once the connection dropped */
	bool lost;	 /* the connection dropped */
};

struct vm {
	struct vm_host *host;
	char *name;
	virDomainPtr dom;
	virStreamPtr console, channel;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	bool dead;	/* owner is destroying: callbacks must not touch streams */
	bool torn_down; /* libvirt has let go of the guest (vm_destroy) */

	pid_t qemu_pid; /* 0: not read yet */
	int console_fd;
	uint64_t console_last_ms;
	uint64_t console_bytes; /* in the current console log */
	uint64_t console_max;
	bool panicked;
	/* how the domain ended, as libvirt and the streams told (vm_stopped_by_guest) */
	bool shutdown_seen, stop_seen, crash_seen, console_eof, channel_eof, host_lost;
	int shutdown_detail, stop_detail;
	char tail[sizeof(PANIC_MARKER)]; /* end of the previous chunk, for markers split in two */

	struct proto_decoder *dec;
	struct vm_events events;
	uint8_t *out;
	size_t out_len;
	bool channel_writable_wanted;

	struct vm *next_registered;
};

/* A connection to h for one long call (a restore, a save, a teardown): on a remote host a
 * call waits for the calls before it on its connection (libvirt 9.0's daemon: a restore behind
 * a teardown took the teardown's 1.2-2 s), so each long call gets an idle connection of its
 * own, opened when none is idle. The embedded driver's h->conn runs calls side by side and is
 * what it gets. Give it back with vm_conn_put(). */
virConnectPtr vm_conn_get(struct vm_host *h);
void vm_conn_put(struct vm_host *h, virConnectPtr c);
/* Drop a reference to h (vm_host_close drops the owner's); the last one frees it. */
void vm_host_unref(struct vm_host *h);

/* "libvirt error: WHAT: " and libvirt's last error message of this thread (caller frees). */
char *vm_last_error(const char *what);

/* Wait on vm->cond, vm->lock held, until woken or until deadline_ms (now_ms() clock). Returns 0
 * when woken (or spuriously: callers loop on their condition), -ETIMEDOUT past the deadline. */
int vm_wait_locked(struct vm *vm, uint64_t deadline_ms);
