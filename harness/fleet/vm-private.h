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

#include "vm.h"

/* the line that ends a kernel panic's report on the console */
#define PANIC_MARKER "---[ end Kernel panic"

struct vm_host {
	virConnectPtr conn;
	char *uri;
	char *log_dir; /* QEMU's logs (embedded driver), or NULL */
	char *run_dir; /* QEMU's pid files (embedded driver), or NULL */
	int lifecycle_id;
	bool close_cb;
	int lost_reason; /* VIR_CONNECT_CLOSE_REASON_*, once the connection dropped */
	bool lost;	 /* the connection dropped */
};

struct event_node {
	struct vm_event ev;
	struct event_node *next;
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
	struct event_node *head, *last;
	uint8_t *out;
	size_t out_len;
	bool channel_writable_wanted;

	struct vm *next_registered;
};

/* "libvirt error: WHAT: " and libvirt's last error message of this thread (caller frees). */
char *vm_last_error(const char *what);

/* Wait on vm->cond, vm->lock held, until woken or until deadline_ms (now_ms() clock). Returns 0
 * when woken (or spuriously: callers loop on their condition), -ETIMEDOUT past the deadline. */
int vm_wait_locked(struct vm *vm, uint64_t deadline_ms);
