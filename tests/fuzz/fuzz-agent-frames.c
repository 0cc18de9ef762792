/* fuzz-agent-frames.c — libFuzzer target for what the guest agent does with bytes from the host:
 * the stream decoder (harness/base/proto.c) fed in chunks whose sizes come from the input, every
 * result mapped to an action (guests/agent/frames.c) and the reply payload built, exactly as
 * agent.c does. Nothing may crash, leak or read out of bounds, and every action must be one the
 * agent knows how to carry out. Build and run: tests/fuzz/run-fuzz-agent.sh frames [SECONDS]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void act(const struct agent_action *a)
{
	uint8_t *p;
	size_t n;
	int32_t e = a->err;

	if (strlen(a->text) >= sizeof(a->text))
		abort();
	switch (a->kind) {
	case AGENT_ACT_UPDATE:
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
				if (a.kind == AGENT_ACT_UPDATE)
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
