/* vm-events.h — one guest's queue of events (vm.h's struct vm_event), between libvirt's event
 * thread that pushes them and the thread that drives the vm and pops them.
 *
 * The guest is the untrusted side: it decides how many frames arrive. The queue is bounded
 * (VM_EVENTS_MAX events, VM_EVENTS_BYTES_MAX payload bytes): past either bound a frame or a
 * malformed-frame report is dropped and counted; the events that say how the guest ended are
 * never dropped (there are a handful per guest). A pop looks at the deadline on every event: an
 * event that arrived at or after it waits until the caller has had its timeout, so that a guest
 * that keeps the queue busy cannot hold a case past its timeouts.
 *
 * Not thread-safe: the caller holds the lock that guards the queue (vm.c: vm->lock).
 * Ownership: the queue owns the frames of queued events; a popped event's frame is the caller's.
 */
#pragma once

#include <stdint.h>

#include "vm.h"

#define VM_EVENTS_MAX 4096
#define VM_EVENTS_BYTES_MAX (64u << 20) /* four frames of the largest size the protocol takes */

struct vm_event_node;

struct vm_events {
	struct vm_event_node *head, *last;
	uint64_t n, bytes;	/* queued: events, and their frames' payload bytes */
	uint64_t dropped;	/* frames and malformed-frame reports dropped: the queue was full */
	uint64_t dropped_bytes; /* the dropped frames' payload bytes */
};

/* Queue ev (its at_ms as given), taking its frame; or, when ev is a frame or a malformed-frame
 * report and the queue is full, drop it (its frame freed) and count it. Returns true when
 * queued. */
bool vm_events_push(struct vm_events *q, const struct vm_event *ev);
/* The oldest event into *ret: 0; -EAGAIN when the queue is empty; -ETIMEDOUT when the oldest
 * arrived at or after deadline_ms (it stays queued). */
int vm_events_pop(struct vm_events *q, uint64_t deadline_ms, struct vm_event *ret);
/* Free every queued event; the queue is empty afterwards (counters kept). */
void vm_events_finish(struct vm_events *q);
