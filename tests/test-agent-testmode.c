/* test-agent-testmode.c — the guest agent's test modes (guests/agent/testmode.c): which modes a
 * kernel command line turns on, and that the garbage mode's bytes reach the host's decoder as
 * malformed frames of every kind while the real frames between them arrive whole. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "testlib.h"
#include "testmode.h"

START_TEST(test_parse)
{
	struct agent_test t;

	ck_assert(!agent_test_parse("console=ttyS0 panic=-1", 5, &t));
	ck_assert(!t.garbage && !t.flood);
	ck_assert_uint_eq(t.rng, 5);
	ck_assert(agent_test_parse("console=ttyS0 faultline.agent_test=garbage", 5, &t));
	ck_assert(t.garbage && !t.flood);
	ck_assert(agent_test_parse("a faultline.agent_test=flood,garbage b=1", 0, &t));
	ck_assert(t.garbage && t.flood);
	ck_assert_uint_ne(t.rng, 0); /* xorshift must not start at 0 */
	/* whole words only; unknown ones ignored; the value ends at a space */
	ck_assert(!agent_test_parse("faultline.agent_test=floods,garbag", 1, &t));
	ck_assert(agent_test_parse("faultline.agent_test=bogus,flood", 1, &t));
	ck_assert(t.flood && !t.garbage);
	ck_assert(!agent_test_parse("faultline.agent_test= garbage", 1, &t));
	ck_assert(!agent_test_parse("faultline.agent_test=", 1, &t));
	/* only a whole word is the key */
	ck_assert(!agent_test_parse("xfaultline.agent_test=garbage", 1, &t));
	ck_assert(agent_test_parse("faultline.agent_test=flood,frames", 1, &t));
	ck_assert(t.flood && t.frames && !t.garbage);
	ck_assert(!agent_test_parse("faultline.agent_test=frame", 1, &t));
}
END_TEST

/* The frames mode's burst: whole minimal frames of a type the host does not know, one sequence
 * number each, that a decoder takes without an error. */
START_TEST(test_frames_burst)
{
	struct proto_decoder *d = proto_decoder_new();
	uint32_t seq = 41, want = 41;
	unsigned frames = 0;
	struct proto_frame f;
	uint8_t *burst;
	size_t len;
	int r;

	ck_assert_int_eq(agent_test_frames(&seq, &burst, &len), 0);
	ck_assert_uint_eq(len, AGENT_TEST_FRAMES_BURST / PROTO_HEADER_SIZE * PROTO_HEADER_SIZE);
	proto_decoder_feed(d, burst, len);
	free(burst);
	while ((r = proto_decoder_next(d, &f)) == 1) {
		ck_assert_uint_eq(f.type, 0x7777);
		ck_assert_uint_eq(f.len, 0);
		ck_assert_uint_eq(f.seq, want++);
		proto_frame_finish(&f);
		frames++;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(frames, len / PROTO_HEADER_SIZE);
	ck_assert_uint_eq(seq, want);
	proto_decoder_free(d);
}
END_TEST

START_TEST(test_garbage_keeps_real_frames)
{
	struct proto_decoder *d = proto_decoder_new();
	struct agent_test t;
	unsigned kinds[4] = {0}, real = 0, unknown = 0;
	uint32_t seq = 0;

	agent_test_parse("faultline.agent_test=garbage", 12345, &t);
	for (uint64_t n = 0; n < 100; n++) {
		uint8_t *junk, *hb, payload[16] = {0};
		size_t len, size;
		struct proto_frame f;
		int r;

		ck_assert_int_eq(agent_test_garbage(&t, n, &seq, &junk, &len), 0);
		ck_assert_uint_gt(len, 0);
		proto_decoder_feed(d, junk, len);
		free(junk);
		/* the real heartbeat the agent queues right behind */
		payload[8] = (uint8_t)n;
		ck_assert_int_eq(proto_encode(PROTO_HEARTBEAT, seq++, payload, 16, &hb, &size), 0);
		proto_decoder_feed(d, hb, size);
		free(hb);
		while ((r = proto_decoder_next(d, &f)) != 0) {
			if (r < 0) {
				kinds[r == -EBADMSG    ? 0
				      : r == -EMSGSIZE ? 1
				      : r == -EPROTO   ? 2
				      : r == -EILSEQ   ? 3
						       : (ck_abort_msg("error %d", r), 0)]++;
				continue;
			}
			if (f.type == PROTO_HEARTBEAT) {
				ck_assert_uint_eq(f.len, 16);
				ck_assert_uint_eq(f.payload[8], (uint8_t)n);
				real++;
			} else {
				/* never a RESULT: the damaged one must not decode */
				ck_assert_uint_eq(f.type, 0x7777);
				unknown++;
			}
			proto_frame_finish(&f);
		}
	}
	ck_assert_uint_eq(real, 100);
	ck_assert_uint_eq(unknown, 2);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_ge(kinds[i], 10);
	proto_decoder_free(d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("agent-testmode");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_garbage_keeps_real_frames);
	tcase_add_test(tc, test_frames_burst);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
