/* vm.h — one guest's lifecycle over the libvirt C API, and the host connection it runs on.
 *
 * A vm_host is one libvirt connection (local embedded driver, qemu:///system, or a remote URI);
 * all of its guests' console and agent-channel streams are serviced by one process-wide libvirt
 * event loop thread, so a remote host works exactly like the local one.
 *
 * A vm is a domain defined from generated XML (or a save image) for as long as the vm exists
 * (vm_destroy removes the definition; vm.c says why). It starts paused, its console and agent
 * channel are opened, then it runs: nothing the guest prints is lost. Console bytes are appended
 * to the file set with vm_set_console_log(); agent frames, protocol errors and domain lifecycle
 * changes queue up as events (at most VM_EVENTS_MAX: vm-events.h) that the owning thread pulls
 * with vm_next_event().
 *
 * Ownership: the caller owns the vm and must vm_destroy() it (which also frees it). A vm_host
 * must outlive its vms. Each vm is driven by one thread at a time; vm_host_cancel() may be called
 * from any thread (it wakes every waiter with -ECANCELED).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"
#include "util.h"

struct vm_host;
struct vm;

/* Open a libvirt connection. For qemu:///embed URIs the root's etc/qemu.conf is prepared first.
 * On failure *ret_error (if non-NULL) receives "libvirt error: " and libvirt's message, or why
 * the root could not be prepared (caller frees). */
int vm_host_open(const char *uri, struct vm_host **ret, char **ret_error);
struct vm_host *vm_host_close(struct vm_host *h);
/* Whether h is libvirt's embedded driver in this process (files are shared with it), as opposed
 * to a daemon, local or remote, that gets files through its storage pool (upload.h). */
bool vm_host_embedded(const struct vm_host *h);
const char *vm_host_uri(const struct vm_host *h);
/* Whether the connection dropped (the daemon died, the network broke): it never comes back; a
 * new vm_host_open() is needed. */
bool vm_host_lost(struct vm_host *h);
/* The host's CPU count (virNodeGetInfo). 0 or -EIO. */
int vm_host_cpus(struct vm_host *h, unsigned *ret);
/* Wake every waiter of every vm on every host with -ECANCELED; later waits fail the same way. */
void vm_host_cancel_all(void);
bool vm_host_cancelled(void);
/* Destroy domains left behind by faultline controllers that are no longer running, and remove
 * their definitions. Call it before this process starts guests: a domain named after its own
 * pid is then a dead controller's that had the same pid. Returns how many were destroyed (were
 * still running). */
int vm_host_reap_orphans(struct vm_host *h);

struct vm_config {
	const char *name;   /* domain name, unique on the host */
	const char *kernel; /* path on the libvirt host */
	const char *initrd;
	const char *cmdline;
	const char *cmdline_extra; /* the sensor's and scenario's guest options, after cmdline;
				      NULL: none */
	unsigned memory_mib;
	const char *accel; /* "tcg" or "kvm" */
	const char
	    *console_log; /* console bytes are appended here from the first one; may be NULL */
	const char *disk; /* a raw content partition as /dev/vda (disk.h), or NULL */
	bool disk_qcow2;  /* disk is a full system's qcow2 root (image.h), not a raw partition */
	/* a firmware ROM (image.h, IMAGE_OVMF or IMAGE_SEABIOS) that boots disk by its own boot
	 * loader in place of kernel, initrd and cmdline; NULL: kernel boots directly */
	const char *firmware;
	/* more QEMU arguments, NULL-terminated (NULL: none), through libvirt's QEMU command-line
	 * namespace so that a remote host takes them too (the coverage plugin, covfile.h). A save
	 * image keeps them: its clones (snapshot.h) get them with the domain's name replaced */
	const char *const *qemu_args;
	/* "arm64": an aarch64 `virt` guest (cortex-a57, TCG), its console a PL011; NULL or
	 * "amd64": x86_64 `pc` */
	const char *arch;
	/* leave the guest paused, never run, for vm_warm_load() (vm_resume() lets it run) */
	bool paused;
};

enum vm_event_type {
	VM_EVENT_FRAME,	      /* an agent frame: event.frame (caller finishes it) */
	VM_EVENT_PROTO_ERROR, /* a malformed frame from the guest: event.error */
	VM_EVENT_CRASHED,     /* the guest reported a panic (pvpanic) or the console showed one */
	VM_EVENT_STOPPED,     /* the domain stopped (reset, poweroff, QEMU died) */
	VM_EVENT_CHANNEL_EOF, /* the agent channel closed */
	VM_EVENT_CONSOLE_EOF, /* the console stream closed */
	VM_EVENT_HOST_LOST,   /* the libvirt connection closed */
};

struct vm_event {
	enum vm_event_type type;
	struct proto_frame frame;
	int error;
	uint64_t at_ms; /* host monotonic time the event arrived */
};

/* Create the domain (paused), open console and channel, resume (unless cfg->paused). On failure
 * *ret_error gets a reason for the infra-error record. */
int vm_start(struct vm_host *h, const struct vm_config *cfg, struct vm **ret, char **ret_error);
/* Restore a save image (snapshot.h) as domain `name` (the name saved in the image), paused,
 * with console and channel open. disk: the guest's content partition, replacing the one saved
 * in the image (a copy of it, disk.h), or NULL when it has none. vm_resume() lets it run.
 * -ENOTCONN: the image restored, but a stream could not be opened (not the image's fault); -EIO: it
 * did not restore. */
int vm_restore(struct vm_host *h, const char *state_path, const char *name, const char *disk,
	       const char *console_log, struct vm **ret, char **ret_error);
int vm_resume(struct vm *vm, char **ret_error);
/* Save the guest's state to path; the domain stops (still call vm_destroy). *ret_uuid gets the
 * domain's UUID, which the image carries (caller frees). */
int vm_save(struct vm *vm, const char *path, char **ret_uuid, char **ret_error);
/* vCPU time the guest has consumed, in ms: guest progress, as opposed to host wall time. */
int vm_cpu_time_ms(struct vm *vm, uint64_t *ret);
/* Whether the host is withholding the CPU from the guest's QEMU right now: 1 when QEMU is
 * stopped (SIGSTOP, a debugger) or one of its threads waits for a CPU or for I/O; 0 when every
 * thread sleeps (the guest idles, or halted itself); -ENODATA when the host's processes cannot
 * be seen from here (a remote libvirt). */
int vm_qemu_withheld(struct vm *vm);
/* How long the guest's vCPU threads waited for a host CPU while runnable, in ms since QEMU
 * started (the mean over vCPUs): the guest's time the host withheld, however slowly it ran.
 * -ENODATA for a remote libvirt (or no schedstat). */
int vm_vcpu_wait_ms(struct vm *vm, uint64_t *ret);
/* After a VM_EVENT_STOPPED, _CRASHED, _CHANNEL_EOF, _CONSOLE_EOF or _HOST_LOST: who ended the
 * guest. Returns true when the guest did it itself (a panic reported through pvpanic or on the
 * console, a reset or poweroff it asked for): evidence about the guest. Returns false when the
 * host's side did (QEMU killed or crashed, the domain destroyed by someone else, a stream that
 * closed while the guest ran, the libvirt connection dropped): never the guest's fault.
 * *ret_reason gets one line saying how, with what libvirt and QEMU's log said (caller frees).
 * Waits up to 2 s for libvirt's lifecycle event when a stream closed first. */
bool vm_stopped_by_guest(struct vm *vm, char **ret_reason);
/* Append console output to this file from now on (NULL: discard). Opens with O_APPEND. A guest
 * that floods its console does not fill the disk: past 8 MiB (FAULTLINE_CONSOLE_MAX bytes, for
 * tests) the log is cut down to its last quarter, after a line saying how much was dropped. */
int vm_set_console_log(struct vm *vm, const char *path);
/* Queue one frame for the agent. */
int vm_send(struct vm *vm, uint16_t type, const void *payload, uint32_t len);
/* Wait for the next event until deadline_ms (now_ms() clock). Returns 0 with *ret filled,
 * -ETIMEDOUT, or -ECANCELED. Events come in the order they arrived; one that arrived at or after
 * deadline_ms is not returned (-ETIMEDOUT): however fast a guest sends, the caller's deadline
 * comes in its turn. */
int vm_next_event(struct vm *vm, uint64_t deadline_ms, struct vm_event *ret);
/* Frames (and malformed-frame reports) from the guest dropped because its queue of events was
 * full (vm-events.h), since the vm was made. */
uint64_t vm_frames_dropped(struct vm *vm);
/* The domain's name (owned by the vm). */
const char *vm_name(const struct vm *vm);
/* Milliseconds (now_ms clock) of the last console byte; 0 if none yet. */
uint64_t vm_console_last_ms(struct vm *vm);
/* Warm reset (vm-warm.c). vm_warm_export() pauses a booted guest and saves its state, as an
 * internal snapshot, into the empty qcow2 at state_path (disk_state_file), then closes the file:
 * it is complete on disk, and the guest stays paused (destroy it). vm_warm_load() gives a guest
 * started from the same vm_config, paused and never run (vm_config.paused), that state from a
 * copy of the file, which stays open in its QEMU as the guest's own (the caller removes it
 * after vm_destroy). vm_warm_reset() pauses the guest and loads that state back into the same
 * QEMU process (memory, CPU, devices; not a raw disk, disk.h's disk_refill). Both drop whatever
 * the old guest had queued on the agent channel and leave the guest paused for vm_resume(). On
 * failure *ret_error says why (caller frees). */
int vm_warm_export(struct vm *vm, const char *state_path, char **ret_error);
int vm_warm_load(struct vm *vm, const char *state_path, char **ret_error);
/* The exported guest itself, still paused in the state it saved, takes a copy of the file as
 * its own as vm_warm_load() would, without loading it: it is already in that state. */
int vm_warm_adopt(struct vm *vm, const char *state_path, char **ret_error);
int vm_warm_reset(struct vm *vm, char **ret_error);
/* Close the streams, destroy the domain (if still running), remove its definition and free
 * everything. Accepts NULL. Returns 0, or -ETIMEDOUT when libvirt did not finish within 90 s
 * (FAULTLINE_TEARDOWN_MS, for tests): the teardown is left to a thread of its own, never
 * waited for, and the guest's name may stay taken on the host. */
int vm_destroy(struct vm *vm);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vm *, vm_destroy)
#define _cleanup_vm_ _cleanup_(vm_destroyp)
