/* vm-events.c — a guest's bounded event queue (see vm-events.h). */
#include "vm-events.h"

#include <errno.h>
#include <stdlib.h>

#include "util.h"

struct vm_event_node {
	struct vm_event ev;
	struct vm_event_node *next;
};

/* Frames and malformed-frame reports come at the guest's pace; the others at most a few times
 * per guest, and each of them ends the wait of whoever drives the vm: never dropped. */
static bool droppable(const struct vm_event *ev)
{
	return ev->type == VM_EVENT_FRAME || ev->type == VM_EVENT_PROTO_ERROR;
}

static uint64_t payload_bytes(const struct vm_event *ev)
{
	return ev->type == VM_EVENT_FRAME ? ev->frame.len : 0;
}

bool vm_events_push(struct vm_events *q, const struct vm_event *ev)
{
	uint64_t bytes = payload_bytes(ev);
	struct vm_event_node *n;

	/* an empty queue takes any frame the protocol allows, so the bytes bound never starves */
	if (droppable(ev) &&
	    (q->n >= VM_EVENTS_MAX || (q->n > 0 && q->bytes + bytes > VM_EVENTS_BYTES_MAX))) {
		struct proto_frame f = ev->frame;

		q->dropped++;
		q->dropped_bytes += bytes;
		proto_frame_finish(&f);
		return false;
	}
	n = xzalloc(sizeof(*n));
	n->ev = *ev;
	if (q->last)
		q->last->next = n;
	else
		q->head = n;
	q->last = n;
	q->n++;
	q->bytes += bytes;
	return true;
}

int vm_events_pop(struct vm_events *q, uint64_t deadline_ms, struct vm_event *ret)
{
	struct vm_event_node *n = q->head;

	if (!n)
		return -EAGAIN;
	if (n->ev.at_ms >= deadline_ms)
		return -ETIMEDOUT;
	q->head = n->next;
	if (!q->head)
		q->last = NULL;
	q->n--;
	q->bytes -= payload_bytes(&n->ev);
	*ret = n->ev;
	free(n);
	return 0;
}

void vm_events_finish(struct vm_events *q)
{
	for (struct vm_event_node *n = q->head, *next; n; n = next) {
		next = n->next;
		proto_frame_finish(&n->ev.frame);
		free(n);
	}
	q->head = q->last = NULL;
	q->n = q->bytes = 0;
}
