/* fuzz-agent-frames.c — libFuzzer target for what the guest agent does with bytes from the host:
 * the stream decoder (harness/base/proto.c) fed in chunks whose sizes come from the input, every
 * result mapped to an action (guests/agent/frames.c) and the reply payload built, exactly as
 * agent.c does. Nothing may crash, leak or read out of bounds, and every action must be one the
 * agent knows how to carry out. Every frame's payload also goes through the host's reader of
 * the agent's WATCHED answer (proto_watch_decode), which must stay inside it and read back what
 * it writes. STORE and REMEDY actions must point inside their frame's payload, and a REMEDY taken
 * as well-formed must be one the agent can apply. Build and run: tests/fuzz/run-fuzz-agent.sh
 * frames [SECONDS]. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* STORE and REMEDY: data inside the payload; a well-formed REMEDY is one of the three actions, a
 * rollback with content; a malformed one or a refused STORE is answered with a text. */
static void act_content(const struct agent_action *a, const struct proto_frame *f)
{
	if (a->len && (!a->data || a->data < f->payload || a->data + a->len > f->payload + f->len))
		abort();
	if (a->kind == AGENT_ACT_STORE && (a->err != 0 && a->err != EBUSY))
		abort();
	if (a->kind != AGENT_ACT_REMEDY)
		return;
	if (a->err == EBADMSG && a->text[0])
		return;
	if (a->err != 0 || a->remedy > PROTO_REMEDY_ROLLBACK ||
	    (a->remedy == PROTO_REMEDY_ROLLBACK) != (a->len > 0) || a->len != f->len - 4)
		abort();
}

static void act(const struct agent_action *a)
{
	uint8_t *p;
	size_t n;
	int32_t e = a->err;

	if (strlen(a->text) >= sizeof(a->text))
		abort();
	switch (a->kind) {
	case AGENT_ACT_UPDATE:
	case AGENT_ACT_WATCH:
	case AGENT_ACT_STORE:
	case AGENT_ACT_REMEDY:
		break;
	case AGENT_ACT_MARK:
		if (strlen(a->text) > AGENT_MARK_MAX)
			abort();
		for (const char *s = a->text; *s; s++)
			if (*s < 0x20 || *s > 0x7e)
				abort();
		break;
	case AGENT_ACT_ERROR:
		if (a->err <= 0)
			abort();
		if (agent_payload(a->err, NULL, a->text, &p, &n) < 0)
			abort();
		free(p);
		if (agent_payload(PROTO_OUTCOME_AGENT_ERROR, &e, a->text, &p, &n) < 0)
			abort();
		free(p);
		break;
	default:
		abort();
	}
}

/* The host reads WATCHED payloads from the guest: bounded, and a decoded state re-encodes to a
 * payload that decodes to the same state. */
static void watched(const struct proto_frame *f)
{
	struct proto_watch w, again;
	const uint8_t *log, *log2;
	size_t n, n2, len;
	uint8_t *p;

	if (proto_watch_decode(f->payload, f->len, &w, &log, &n) < 0)
		return;
	if (log < f->payload || log + n != f->payload + f->len)
		abort();
	if (strnlen(w.process, sizeof(w.process)) >= sizeof(w.process) ||
	    strnlen(w.probe_output, sizeof(w.probe_output)) >= sizeof(w.probe_output))
		abort();
	if (proto_watch_encode(&w, log, n, &p, &len) < 0)
		abort();
	if (proto_watch_decode(p, len, &again, &log2, &n2) < 0 ||
	    memcmp(&w, &again, sizeof(w)) != 0 ||
	    n2 != (n < PROTO_WATCH_LOG_MAX ? n : PROTO_WATCH_LOG_MAX) || memcmp(log, log2, n2))
		abort();
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_decoder *d = proto_decoder_new();
	size_t off = 0, step = size ? (size_t)(data[0] % 37) + 1 : 1;
	bool busy = false;
	unsigned frames = 0;

	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		struct proto_frame f;
		struct agent_action a;
		int r;

		proto_decoder_feed(d, data + off, n);
		off += n;
		/* every call makes progress or asks for more bytes, so this loop ends */
		while ((r = proto_decoder_next(d, &f)) != 0) {
			if (r < 0) {
				agent_decode_error(r, &a);
			} else {
				agent_frame_action(&f, busy, &a);
				act_content(&a, &f);
				watched(&f);
				if (a.kind == AGENT_ACT_UPDATE || a.kind == AGENT_ACT_STORE)
					busy = !busy; /* alternate so both paths run */
				proto_frame_finish(&f);
				frames++;
			}
			act(&a);
		}
	}
	proto_decoder_free(d);
	return frames > size ? 1 : 0;
}
