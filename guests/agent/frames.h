/* frames.h — the guest agent's reaction to host frames and the payloads it sends back.
 *
 * Pure logic (no I/O) so that it is unit tested and fuzzed on the host: the agent feeds bytes
 * into a proto_decoder, and every decoder result and frame goes through agent_frame_action(),
 * which says what to do. Whatever the bytes, the answer is one of the actions below: the agent
 * never trusts a frame further than this.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define AGENT_MARK_MAX 900  /* a /dev/kmsg record holds about 1 KiB */
#define AGENT_TEXT_MAX 4000 /* bound of READY / RESULT / ERROR texts */

enum agent_action_kind {
	AGENT_ACT_UPDATE, /* deliver the frame's payload as a content update */
	AGENT_ACT_MARK,	  /* write "faultline: " + action.text to /dev/kmsg */
	AGENT_ACT_ERROR,  /* reply ERROR(action.err, action.text) */
	AGENT_ACT_WATCH,  /* finish the sensor watch (watch.h) and reply WATCHED */
	AGENT_ACT_STORE,  /* err 0: keep data in persist_store and reply STORED; else reply
			     STORED(err, text) without writing (busy) */
	AGENT_ACT_REMEDY, /* err 0: apply remedy (with data for a rollback); EBADMSG: the answer
			     is malformed, text says how (persist.h) */
};

struct agent_action {
	enum agent_action_kind kind;
	int err;			 /* positive errno for AGENT_ACT_ERROR, STORE, REMEDY */
	char text[AGENT_MARK_MAX + 100]; /* NUL-terminated */
	uint32_t remedy;		 /* REMEDY: enum proto_remedy */
	const uint8_t *data;		 /* STORE, REMEDY rollback: into the frame's payload */
	uint32_t watch_mode, watch_arg;	 /* WATCH: enum proto_watch_mode and its argument */
	size_t len;
};

/* What to do with a decoded frame; busy means an update (or the sensor start) is in flight. */
void agent_frame_action(const struct proto_frame *f, bool busy, struct agent_action *ret);
/* What to do with a negative proto_decoder_next() result. */
void agent_decode_error(int r, struct agent_action *ret);
/* Copy text for /dev/kmsg: printable ASCII only (others become '?'), at most size - 1 bytes,
 * NUL-terminated. Returns the length written. */
size_t agent_sanitize(const uint8_t *p, size_t n, char *out, size_t size);
/* Payload "i32 a [, i32 b] then text" (text bounded to AGENT_TEXT_MAX). Caller frees *ret. */
int agent_payload(int32_t a, const int32_t *b, const char *text, uint8_t **ret, size_t *ret_len);
