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
 *   RESULT    g->h  i32 outcome (enum proto_outcome), i32 errno (of a failed delivery, else 0),
 *                   then text message
 *   MARK      h->g  text; the agent writes it to /dev/kmsg (case markers in the console)
 *   ERROR     g->h  i32 errno, then text: the agent's reply to a malformed frame
 *   WATCH     h->g  empty: the observation window is over; report what became of the sensor
 *   WATCHED   g->h  the answer (struct proto_watch): "key=value\n" lines, an empty line, then
 *                   the bytes the sensor's log grew by during the case, bounded (at most the
 *                   first PROTO_WATCH_LOG_HEAD and the last PROTO_WATCH_LOG_TAIL, with a
 *                   "[... N bytes skipped ...]" line between)
 *   STORE     h->g  the update bytes, to keep in the sensor's content store (persist_store) as
 *                   the sensor stores content: written to a temp file, fsynced, renamed. Sent
 *                   before UPDATE on persistent cases (boot loops)
 *   STORED    g->h  i32 status (0, or a positive errno: ENOSPC, EIO, EINVAL when there is no
 *                   persist_store or /persist is not mounted), then text
 *   REMEDY_ASK g->h text "boot=N\nstore=PATH\nstored=0|1\n": early in a boot with
 *                   faultline.recovery=remediation, before the sensor starts, the agent asks
 *                   the controller what to do with the stored content
 *   REMEDY    h->g  u32 action (enum proto_remedy), then for ROLLBACK the content to put in
 *                   persist_store (at least one byte); anything else is malformed
 *   MODULES   g->h  text: the modules the sensor's start loaded, as /proc/modules lists them
 *                   ("NAME SIZE REFS DEPS STATE 0xADDR" lines; none for a user-mode sensor),
 *                   then the code mappings of the sensor's coverage process (sensor.conf
 *                   cov_process, cov_objects), as /proc/PID/maps lists them ("START-END r-xp
 *                   OFFSET DEV INODE PATH"; its executable's first), right before a READY with
 *                   status 0: where the sensor's code is, for coverage (covfile.h). A
 *                   controller that does not need it ignores it
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
	PROTO_WATCH = 8,
	PROTO_WATCHED = 9,
	PROTO_STORE = 10,
	PROTO_STORED = 11,
	PROTO_REMEDY_ASK = 12,
	PROTO_REMEDY = 13,
	PROTO_MODULES = 14,
};

enum proto_outcome {
	PROTO_OUTCOME_ACCEPTED = 0,    /* delivered, sensor took it, event triggered */
	PROTO_OUTCOME_REJECTED = 1,    /* the sensor refused the update (errno / log) */
	PROTO_OUTCOME_AGENT_ERROR = 2, /* the agent could not deliver (not the sensor's doing) */
	/* the delivery failed with an errno the sensor does not declare a rejection (sensor.yaml
	 * reject: errno): its own error, errno in the RESULT */
	PROTO_OUTCOME_SENSOR_ERROR = 3,
};

/* What the agent writes to /dev/kmsg, so on the console, when the update is in and the trigger
 * starts: a report after it on the console came in the evaluate phase, one before it (or with
 * no such line after the case's MARK) in the load phase. */
#define PROTO_EVALUATE_MARK "faultline-agent: evaluate: running the trigger"

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

/* ---- WATCHED: the sensor watch and the protection probe, from delivery to the answer ---- */

#define PROTO_WATCH_LOG_HEAD (16u * 1024)
#define PROTO_WATCH_LOG_TAIL (48u * 1024)
/* the log bytes of a WATCHED: head, tail and the line that says what was skipped */
#define PROTO_WATCH_LOG_MAX (PROTO_WATCH_LOG_HEAD + PROTO_WATCH_LOG_TAIL + 64)
#define PROTO_WATCH_TEXT_MAX 256 /* process name, probe output: longer is cut */

/* WATCH's payload: empty (the window is over: the final probe, then WATCHED), or two u32, a
 * mode and its argument. Another length is taken as empty.
 *   PROTO_WATCH_NO_PROBE  answer without the final probe (a later case's probe vouches for
 *                         this one: reuse's probe_every)
 *   PROTO_WATCH_AGAIN     the last answer's final probe timed out while the host withheld the
 *                         guest's CPU: run it once more, its timeout divided by the argument's
 *                         share of the CPU the guest got (per mille, at least 125), and answer
 *                         again as if the timed-out probe had not run */
enum proto_watch_mode {
	PROTO_WATCH_FINAL = 0,
	PROTO_WATCH_NO_PROBE = 1,
	PROTO_WATCH_AGAIN = 2,
};
#define PROTO_WATCH_ARGS_SIZE 8

struct proto_watch {
	/* what sensor.conf asks for: a process (its name), a log, a probe */
	char process[PROTO_WATCH_TEXT_MAX]; /* "" when no process is watched */
	int64_t log, probe;		    /* 0 or 1 */
	/* the process, sampled every few ms */
	int64_t pid_at_delivery; /* 0: not running when the update arrived */
	int64_t pid_at_end;	 /* 0: not running when the answer was made */
	int64_t pid_changes;	 /* times it was gone or had another pid */
	int64_t died_lines;	 /* the log's watch_died texts (counted in log_scanned bytes) */
	int64_t first_death_ms;	 /* the first death seen, since delivery; -1: none */
	/* the log */
	int64_t log_bytes;   /* appended during the case */
	int64_t log_scanned; /* of those, searched for watch_died (bounded) */
	/* the probe */
	int64_t probes, probe_failures;
	int64_t probe_status; /* the last probe's exit status; -1: none ran */
	int64_t loss_ms;      /* the first death or failed probe, since delivery; -1: none */
	int64_t restored_ms;  /* the end of the first passing probe after the last failure; -1 */
	int64_t window_ms;    /* delivery to the answer */
	char probe_output[PROTO_WATCH_TEXT_MAX]; /* the last probe's last line of output */
	/* a systemd service (full systems): its name ("" when none), its restarts from delivery
	 * to the answer (NRestarts; -1: unknown), and "ActiveState/SubState" at the answer. The
	 * log is then the unit's journal since delivery */
	char unit[PROTO_WATCH_TEXT_MAX];
	int64_t unit_restarts;
	char unit_state[PROTO_WATCH_TEXT_MAX];
};

/* The WATCHED payload: w, then the log bytes (at most PROTO_WATCH_LOG_MAX; longer is cut). Caller
 * frees *ret. Returns 0 or -ENOMEM. */
int proto_watch_encode(const struct proto_watch *w, const void *log, size_t log_len, uint8_t **ret,
		       size_t *ret_len);
/* Read a WATCHED payload: *ret filled (keys it does not know are skipped, missing ones keep
 * their "none" value), *ret_log and *ret_log_len point into payload. Returns 0, or -EBADMSG when a
 * line is not key=value, a number is not one, or the empty line is missing. */
int proto_watch_decode(const uint8_t *payload, size_t len, struct proto_watch *ret,
		       const uint8_t **ret_log, size_t *ret_log_len);

/* ---- REMEDY: the controller's answer to REMEDY_ASK (platform-side recovery) ---- */

enum proto_remedy {
	PROTO_REMEDY_NONE = 0,	   /* boot unchanged */
	PROTO_REMEDY_DELETE = 1,   /* remove the stored content */
	PROTO_REMEDY_ROLLBACK = 2, /* replace it with the bytes that follow the action */
};

/* Read a REMEDY payload. On success *ret_action is an enum proto_remedy and, for ROLLBACK,
 * *ret_data and *ret_len point into p at the content (at least one byte; NULL/0 otherwise). Returns
 * 0, or -EBADMSG when the payload is shorter than the action, the action is unknown, a NONE/DELETE
 * carries bytes or a ROLLBACK carries none. */
int proto_remedy_decode(const uint8_t *p, size_t len, uint32_t *ret_action,
			const uint8_t **ret_data, size_t *ret_len);

/* Little-endian helpers used to build and parse payloads. */
void proto_put_u32(uint8_t *p, uint32_t v);
void proto_put_u64(uint8_t *p, uint64_t v);
uint32_t proto_get_u32(const uint8_t *p);
uint64_t proto_get_u64(const uint8_t *p);
