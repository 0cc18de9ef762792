/* testmode.h — the guest agent's test modes, for faultline's own fault-injection suite only
 * (tests/vm/fault-agent-garbage.sh, fault-console-flood.sh): which modes the kernel command line
 * asks for, and the malformed bytes the garbage mode sends. Pure logic, tested on the host.
 *
 * Modes, from faultline.agent_test=MODE[,MODE] on the kernel command line (the controller puts
 * it there only when FAULTLINE_AGENT_TEST is set in its environment; never otherwise):
 *   garbage  malformed bytes ahead of the heartbeats: random bytes, a frame header past
 *            PROTO_MAX_PAYLOAD, a frame with bad flags, a RESULT with a bad CRC, and now and
 *            then a large frame of a type the host does not know. None of it can hide a real
 *            frame from the host's decoder: the random bytes never hold PROTO_MAGIC's first
 *            byte, on which the decoder resynchronises.
 *   flood    from READY on, a child writes to /dev/console as fast as it can (agent.c)
 *   frames   an update is not delivered: from then on the agent sends minimal frames (no
 *            payload, a type the host does not know) as fast as the channel takes them, its
 *            heartbeats among them, and never a RESULT: the case can end only by the host's
 *            timeouts (tests/vm/flood-neighbour.sh)
 *
 * Ownership: agent_test_garbage() returns a buffer the caller frees.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_TEST_KEY "faultline.agent_test="

struct agent_test {
	bool garbage, flood, frames;
	uint32_t rng; /* xorshift state for the garbage, never 0 */
};

/* The modes the command line's first faultline.agent_test= word asks for (all off without it;
 * unknown modes are ignored). seed starts the garbage's random bytes. Returns true when a mode is
 * on. */
bool agent_test_parse(const char *cmdline, uint32_t seed, struct agent_test *ret);
/* The frames mode's next burst: AGENT_TEST_FRAMES_BURST bytes of whole minimal frames, *seq
 * advanced for each. Returns 0 or -ENOMEM. */
#define AGENT_TEST_FRAMES_BURST (16u * 1024)
int agent_test_frames(uint32_t *seq, uint8_t **ret, size_t *ret_len);
/* The malformed bytes to send ahead of heartbeat number n; each kind in turn as n grows. *seq is
 * the sender's frame counter (advanced for every frame header written). Returns 0 or -ENOMEM. */
int agent_test_garbage(struct agent_test *t, uint64_t n, uint32_t *seq, uint8_t **ret,
		       size_t *ret_len);
