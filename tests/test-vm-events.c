/* test-vm-events.c — a guest's event queue (harness/fleet/vm-events.c): events come in order but
 * never one that arrived after the caller's deadline, the queue is bounded in events and bytes,
 * what is dropped is counted, and the events that end a guest are never dropped. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "testlib.h"
#include "vm-events.h"

/* A frame of `len` payload bytes (only one allocated: the queue goes by len) that came at `at`. */
static struct vm_event frame(uint64_t at, uint32_t len)
{
	struct vm_event ev = {.type = VM_EVENT_FRAME, .at_ms = at};

	ev.frame.type = PROTO_HEARTBEAT;
	ev.frame.len = len;
	ev.frame.payload = calloc(1, 1);
	ck_assert_ptr_nonnull(ev.frame.payload);
	return ev;
}

START_TEST(test_deadline_per_event)
{
	struct vm_events q = {0};
	struct vm_event ev;
	struct vm_event stopped = {.type = VM_EVENT_STOPPED, .at_ms = 40};

	ck_assert_int_eq(vm_events_pop(&q, 100, &ev), -EAGAIN);
	for (uint64_t at = 10; at <= 30; at += 10) {
		ev = frame(at, 4);
		ck_assert(vm_events_push(&q, &ev));
	}
	ck_assert(vm_events_push(&q, &stopped));
	/* what came before the deadline, in order; then the deadline, events still queued */
	ck_assert_int_eq(vm_events_pop(&q, 25, &ev), 0);
	ck_assert_uint_eq(ev.at_ms, 10);
	proto_frame_finish(&ev.frame);
	ck_assert_int_eq(vm_events_pop(&q, 25, &ev), 0);
	ck_assert_uint_eq(ev.at_ms, 20);
	proto_frame_finish(&ev.frame);
	ck_assert_int_eq(vm_events_pop(&q, 25, &ev), -ETIMEDOUT);
	ck_assert_int_eq(vm_events_pop(&q, 30, &ev), -ETIMEDOUT); /* at the deadline is too late */
	ck_assert_uint_eq(q.n, 2);
	ck_assert_uint_eq(q.bytes, 4);
	ck_assert_int_eq(vm_events_pop(&q, 31, &ev), 0);
	ck_assert_uint_eq(ev.at_ms, 30);
	proto_frame_finish(&ev.frame);
	ck_assert_int_eq(vm_events_pop(&q, 41, &ev), 0);
	ck_assert_int_eq(ev.type, VM_EVENT_STOPPED);
	ck_assert_int_eq(vm_events_pop(&q, 1000, &ev), -EAGAIN);
	ck_assert_uint_eq(q.n, 0);
	ck_assert_uint_eq(q.bytes, 0);
	ck_assert_uint_eq(q.dropped, 0);
}
END_TEST

/* A guest that sends faster than its frames are read: the queue stops at VM_EVENTS_MAX, the rest
 * is counted, and the guest's end still gets through. */
START_TEST(test_bounded_events)
{
	struct vm_events q = {0};
	struct vm_event ev;
	struct vm_event bad = {.type = VM_EVENT_PROTO_ERROR, .error = -EBADMSG, .at_ms = 1};
	struct vm_event eof = {.type = VM_EVENT_CHANNEL_EOF, .at_ms = 2};
	unsigned kept = 0, frames = 0;

	for (unsigned i = 0; i < VM_EVENTS_MAX + 100; i++) {
		ev = frame(1, 20);
		kept += vm_events_push(&q, &ev);
	}
	ck_assert_uint_eq(kept, VM_EVENTS_MAX);
	ck_assert(!vm_events_push(&q, &bad));
	ck_assert_uint_eq(q.dropped, 101);
	ck_assert_uint_eq(q.dropped_bytes, 100 * 20);
	ck_assert(vm_events_push(&q, &eof));
	ck_assert_uint_eq(q.n, VM_EVENTS_MAX + 1);
	while (vm_events_pop(&q, 3, &ev) == 0) {
		if (ev.type != VM_EVENT_FRAME)
			break;
		frames++;
		proto_frame_finish(&ev.frame);
	}
	ck_assert_uint_eq(frames, VM_EVENTS_MAX);
	ck_assert_int_eq(ev.type, VM_EVENT_CHANNEL_EOF);
	/* room again: the next frame is queued */
	ev = frame(4, 20);
	ck_assert(vm_events_push(&q, &ev));
	vm_events_finish(&q);
	ck_assert_uint_eq(q.n, 0);
	ck_assert_int_eq(vm_events_pop(&q, 100, &ev), -EAGAIN);
	ck_assert_uint_eq(q.dropped, 101); /* kept across finish */
}
END_TEST

/* Large frames: at most VM_EVENTS_BYTES_MAX queued, but an empty queue takes any frame. */
START_TEST(test_bounded_bytes)
{
	struct vm_events q = {0};
	struct vm_event ev;
	unsigned kept = 0;

	for (unsigned i = 0; i < 6; i++) {
		ev = frame(1, PROTO_MAX_PAYLOAD);
		kept += vm_events_push(&q, &ev);
	}
	ck_assert_uint_eq(kept, VM_EVENTS_BYTES_MAX / PROTO_MAX_PAYLOAD);
	ck_assert_uint_eq(q.dropped, 6 - kept);
	ck_assert_uint_eq(q.dropped_bytes, (uint64_t)(6 - kept) * PROTO_MAX_PAYLOAD);
	vm_events_finish(&q);
	ev = frame(1, PROTO_MAX_PAYLOAD);
	ck_assert(vm_events_push(&q, &ev));
	vm_events_finish(&q);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vm-events");
	TCase *tc = tcase_create("queue");

	tcase_add_test(tc, test_deadline_per_event);
	tcase_add_test(tc, test_bounded_events);
	tcase_add_test(tc, test_bounded_bytes);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
