/* proto.h — the controller <-> guest agent wire protocol, shared by both sides.
 *
 * Transport: one virtio-serial port (libvirt <channel> named PROTO_CHANNEL_NAME),
 * a byte stream in both directions. Every message is one frame:
 *
 *   offset size  field
 *   0      4     magic   PROTO_MAGIC ("FLT1" on the wire), little-endian u32
 *   4      2     type    enum proto_type
 *   6      2     flags   0 (reserved; a receiver rejects non-zero)
 *   8      4     seq     sender's frame counter, for logs
 *   12     4     len     payload length, at most PROTO_MAX_PAYLOAD
 *   16     4     crc     CRC-32 (zlib polynomial) of the payload
 *   20     len   payload
 *
 * Payloads by type (all integers little-endian):
 *   HELLO     g->h  text "key=value\n" lines: agent, kernel, sensor
 *   READY     g->h  i32 status (0 = sensor started), then text (start log or error)
 *   HEARTBEAT g->h  u64 guest CLOCK_MONOTONIC ms, u64 heartbeat counter
 *   UPDATE    h->g  the content update bytes, delivered as sensor.conf says
 *   RESULT    g->h  i32 outcome (enum proto_outcome), i32 errno, then text message
 *   MARK      h->g  text; the agent writes it to /dev/kmsg (case markers in the console)
 *   ERROR     g->h  i32 errno, then text: the agent's reply to a malformed frame
 *
 * The decoder is a pure byte-stream state machine so that it can be unit-tested and fuzzed:
 * a malformed header is reported once and the decoder resynchronises on the next magic.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PROTO_MAGIC 0x31544c46u /* "FLT1" */
#define PROTO_HEADER_SIZE 20
#define PROTO_MAX_PAYLOAD (16u * 1024 * 1024)
#define PROTO_CHANNEL_NAME "org.faultline.agent.0"

enum proto_type {
	PROTO_HELLO = 1,
	PROTO_READY = 2,
	PROTO_HEARTBEAT = 3,
	PROTO_UPDATE = 4,
	PROTO_RESULT = 5,
	PROTO_MARK = 6,
	PROTO_ERROR = 7,
};

enum proto_outcome {
	PROTO_OUTCOME_ACCEPTED = 0,    /* delivered, sensor took it, event triggered */
	PROTO_OUTCOME_REJECTED = 1,    /* the sensor refused the update (errno / log) */
	PROTO_OUTCOME_AGENT_ERROR = 2, /* the agent could not deliver (not the sensor's doing) */
};

struct proto_frame {
	uint16_t type;
	uint32_t seq;
	uint32_t len;
	uint8_t *payload; /* owned by the frame; NUL-terminated for convenience (not in len) */
};

/* Encode a frame into a new buffer (caller frees *ret_buf). Returns 0 or -EMSGSIZE. */
int proto_encode(uint16_t type, uint32_t seq, const void *payload, uint32_t len, uint8_t **ret_buf,
		 size_t *ret_size);

const char *proto_type_name(uint16_t type);

/* Streaming decoder. Feed bytes as they arrive; pull complete frames. */
struct proto_decoder;
struct proto_decoder *proto_decoder_new(void);
struct proto_decoder *proto_decoder_free(struct proto_decoder *d);
void proto_decoder_feed(struct proto_decoder *d, const void *data, size_t size);

/* Returns 1 and fills *ret with the next frame (free with proto_frame_finish),
 * 0 when more bytes are needed, or a negative errno for a malformed frame:
 *   -EBADMSG bad magic (bytes skipped until the next magic), -EMSGSIZE payload too large,
 *   -EPROTO non-zero flags, -EILSEQ payload CRC mismatch (frame dropped).
 * After an error the caller may call again; the decoder has moved past the bad bytes. */
int proto_decoder_next(struct proto_decoder *d, struct proto_frame *ret);
void proto_frame_finish(struct proto_frame *f);

/* Little-endian helpers used to build and parse payloads. */
void proto_put_u32(uint8_t *p, uint32_t v);
void proto_put_u64(uint8_t *p, uint64_t v);
uint32_t proto_get_u32(const uint8_t *p);
uint64_t proto_get_u64(const uint8_t *p);
