/* test-proto.c — the agent wire protocol: encoding, streaming decode, resynchronisation. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"

static uint8_t *enc(uint16_t type, const char *payload, size_t *size)
{
	uint8_t *buf;
	ck_assert_int_eq(proto_encode(type, 7, payload, (uint32_t)strlen(payload), &buf, size), 0);
	return buf;
}

START_TEST(test_roundtrip_bytewise)
{
	size_t size;
	uint8_t *buf = enc(PROTO_RESULT, "hello", &size);
	struct proto_decoder *d = proto_decoder_new();
	struct proto_frame f;

	ck_assert_uint_eq(size, PROTO_HEADER_SIZE + 5);
	ck_assert_uint_eq(buf[0], 'F');
	ck_assert_uint_eq(buf[3], '1');
	/* one byte at a time: no frame until the last byte */
	for (size_t i = 0; i + 1 < size; i++) {
		proto_decoder_feed(d, buf + i, 1);
		ck_assert_int_eq(proto_decoder_next(d, &f), 0);
	}
	proto_decoder_feed(d, buf + size - 1, 1);
	ck_assert_int_eq(proto_decoder_next(d, &f), 1);
	ck_assert_uint_eq(f.type, PROTO_RESULT);
	ck_assert_uint_eq(f.seq, 7);
	ck_assert_uint_eq(f.len, 5);
	ck_assert_str_eq((char *)f.payload, "hello");
	proto_frame_finish(&f);
	ck_assert_int_eq(proto_decoder_next(d, &f), 0);
	free(buf);
	proto_decoder_free(d);
}
END_TEST

START_TEST(test_garbage_then_frame)
{
	size_t size;
	uint8_t *buf = enc(PROTO_HEARTBEAT, "x", &size);
	struct proto_decoder *d = proto_decoder_new();
	struct proto_frame f;
	int errors = 0, r;

	proto_decoder_feed(d, "garbage!FLT", 11);
	proto_decoder_feed(d, buf, size);
	while ((r = proto_decoder_next(d, &f)) < 0) {
		ck_assert_int_eq(r, -EBADMSG);
		errors++;
	}
	ck_assert_int_eq(r, 1);
	ck_assert_int_ge(errors, 1);
	ck_assert_uint_eq(f.type, PROTO_HEARTBEAT);
	proto_frame_finish(&f);
	free(buf);
	proto_decoder_free(d);
}
END_TEST

START_TEST(test_bad_crc_dropped)
{
	size_t size;
	uint8_t *a = enc(PROTO_RESULT, "one", &size), *b;
	size_t bsize;
	struct proto_decoder *d = proto_decoder_new();
	struct proto_frame f;

	b = enc(PROTO_MARK, "two", &bsize);
	a[size - 1] ^= 0xff; /* corrupt payload */
	proto_decoder_feed(d, a, size);
	proto_decoder_feed(d, b, bsize);
	ck_assert_int_eq(proto_decoder_next(d, &f), -EILSEQ);
	ck_assert_int_eq(proto_decoder_next(d, &f), 1);
	ck_assert_str_eq((char *)f.payload, "two");
	proto_frame_finish(&f);
	free(a);
	free(b);
	proto_decoder_free(d);
}
END_TEST

START_TEST(test_oversize_and_flags)
{
	uint8_t hdr[PROTO_HEADER_SIZE] = {0};
	struct proto_decoder *d = proto_decoder_new();
	struct proto_frame f;
	uint8_t *buf;
	size_t size;

	proto_put_u32(hdr, PROTO_MAGIC);
	hdr[4] = PROTO_UPDATE;
	proto_put_u32(hdr + 12, PROTO_MAX_PAYLOAD + 1);
	proto_decoder_feed(d, hdr, sizeof(hdr));
	ck_assert_int_eq(proto_decoder_next(d, &f), -EMSGSIZE);
	proto_decoder_free(d);

	d = proto_decoder_new();
	proto_put_u32(hdr + 12, 0);
	hdr[6] = 1;
	proto_decoder_feed(d, hdr, sizeof(hdr));
	ck_assert_int_eq(proto_decoder_next(d, &f), -EPROTO);
	proto_decoder_free(d);

	ck_assert_int_eq(proto_encode(PROTO_UPDATE, 0, "", PROTO_MAX_PAYLOAD + 1, &buf, &size),
			 -EMSGSIZE);
}
END_TEST

START_TEST(test_le_helpers)
{
	uint8_t b[8];

	proto_put_u64(b, 0x0102030405060708ull);
	ck_assert_uint_eq(b[0], 8);
	ck_assert_uint_eq(b[7], 1);
	ck_assert_uint_eq(proto_get_u64(b), 0x0102030405060708ull);
	ck_assert_str_eq(proto_type_name(PROTO_READY), "READY");
	ck_assert_str_eq(proto_type_name(999), "UNKNOWN");
}
END_TEST

/* WATCHED: every field and the log through encode and decode; the log bounded; the reader
 * strict about numbers, lenient about keys it does not know. */
START_TEST(test_watch_roundtrip)
{
	struct proto_watch w, back;
	const uint8_t *log;
	size_t len, log_len;
	uint8_t *p;
	char *big;

	memset(&w, 0, sizeof(w));
	strcpy(w.process, "usensord");
	w.log = w.probe = 1;
	w.pid_at_delivery = 81;
	w.pid_at_end = 0;
	w.pid_changes = 3;
	w.died_lines = 5;
	w.first_death_ms = 212;
	w.log_bytes = 9000;
	w.log_scanned = 9000;
	w.probes = 7;
	w.probe_failures = 7;
	w.probe_status = 2;
	w.loss_ms = 212;
	w.restored_ms = -1;
	w.window_ms = 2431;
	strcpy(w.probe_output, "probe: cannot read the counter: no\nanswer");
	strcpy(w.unit, "usensor.service");
	strcpy(w.unit_state, "active/running");
	w.unit_restarts = 2;
	ck_assert_int_eq(proto_watch_encode(&w, "a\n\nb", 4, &p, &len), 0);
	ck_assert_int_eq(proto_watch_decode(p, len, &back, &log, &log_len), 0);
	/* a newline in a text would end its line: it comes back as a space */
	strcpy(w.probe_output, "probe: cannot read the counter: no answer");
	ck_assert_mem_eq(&w, &back, sizeof(w));
	ck_assert_uint_eq(log_len, 4);
	ck_assert_mem_eq(log, "a\n\nb", 4);
	free(p);

	/* nothing watched: the defaults read back */
	memset(&w, 0, sizeof(w));
	w.first_death_ms = w.probe_status = w.loss_ms = w.restored_ms = -1;
	ck_assert_int_eq(proto_watch_encode(&w, NULL, 0, &p, &len), 0);
	ck_assert_int_eq(proto_watch_decode(p, len, &back, &log, &log_len), 0);
	ck_assert_mem_eq(&w, &back, sizeof(w));
	ck_assert_uint_eq(log_len, 0);
	free(p);

	/* a log past the bound is cut */
	big = malloc(PROTO_WATCH_LOG_MAX + 100);
	memset(big, 'x', PROTO_WATCH_LOG_MAX + 100);
	ck_assert_int_eq(proto_watch_encode(&w, big, PROTO_WATCH_LOG_MAX + 100, &p, &len), 0);
	ck_assert_int_eq(proto_watch_decode(p, len, &back, &log, &log_len), 0);
	ck_assert_uint_eq(log_len, PROTO_WATCH_LOG_MAX);
	free(p);
	free(big);
}
END_TEST

static int decode_text(const char *text, struct proto_watch *w)
{
	const uint8_t *log;
	size_t n;

	return proto_watch_decode((const uint8_t *)text, strlen(text), w, &log, &n);
}

START_TEST(test_watch_decode_errors)
{
	struct proto_watch w;

	ck_assert_int_eq(decode_text("probes=2\nnewer_key=x\n\n", &w), 0);
	ck_assert_int_eq(w.probes, 2);
	ck_assert_int_eq(w.loss_ms, -1); /* absent: none */
	ck_assert_str_eq(w.process, "");
	ck_assert_int_eq(decode_text("probes=2\n", &w), -EBADMSG); /* no empty line */
	ck_assert_int_eq(decode_text("", &w), -EBADMSG);
	ck_assert_int_eq(decode_text("probes=two\n\n", &w), -EBADMSG);
	ck_assert_int_eq(decode_text("probes=\n\n", &w), -EBADMSG);
	ck_assert_int_eq(decode_text("probes= 2\n\n", &w), -EBADMSG);
	ck_assert_int_eq(decode_text("probes=99999999999999999999\n\n", &w), -EBADMSG);
	ck_assert_int_eq(decode_text("no equals sign\n\n", &w), -EBADMSG);
	ck_assert_int_eq(decode_text("=1\n\n", &w), -EBADMSG);
	ck_assert_int_eq(decode_text("log=7\n\n", &w), 0);
	ck_assert_int_eq(w.log, 1);
	ck_assert_str_eq(proto_type_name(PROTO_WATCHED), "WATCHED");
}
END_TEST

static int remedy(uint32_t action, const char *data, size_t n, uint32_t *ret_action,
		  const uint8_t **ret_data, size_t *ret_len)
{
	static uint8_t p[16]; /* *ret_data points into it: it must outlive the call */

	proto_put_u32(p, action);
	memcpy(p + 4, data, n);
	return proto_remedy_decode(p, 4 + n, ret_action, ret_data, ret_len);
}

START_TEST(test_remedy_decode)
{
	uint8_t three[3] = {0, 0, 0};
	uint32_t action = 99;
	const uint8_t *data = (const uint8_t *)"x";
	size_t n = 99;

	ck_assert_int_eq(remedy(PROTO_REMEDY_NONE, "", 0, &action, &data, &n), 0);
	ck_assert_uint_eq(action, PROTO_REMEDY_NONE);
	ck_assert_ptr_null(data);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(remedy(PROTO_REMEDY_DELETE, "", 0, &action, &data, &n), 0);
	ck_assert_uint_eq(action, PROTO_REMEDY_DELETE);
	ck_assert_int_eq(remedy(PROTO_REMEDY_ROLLBACK, "good", 4, &action, &data, &n), 0);
	ck_assert_uint_eq(action, PROTO_REMEDY_ROLLBACK);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(memcmp(data, "good", 4), 0);
	/* malformed: outputs untouched */
	action = 77;
	ck_assert_int_eq(remedy(PROTO_REMEDY_ROLLBACK, "", 0, &action, &data, &n), -EBADMSG);
	ck_assert_int_eq(remedy(PROTO_REMEDY_DELETE, "x", 1, &action, &data, &n), -EBADMSG);
	ck_assert_int_eq(remedy(PROTO_REMEDY_NONE, "x", 1, &action, &data, &n), -EBADMSG);
	ck_assert_int_eq(remedy(3, "", 0, &action, &data, &n), -EBADMSG);
	ck_assert_int_eq(remedy(0x100, "", 0, &action, &data, &n), -EBADMSG);
	ck_assert_int_eq(proto_remedy_decode(three, 3, &action, &data, &n), -EBADMSG);
	ck_assert_int_eq(proto_remedy_decode(three, 0, &action, &data, &n), -EBADMSG);
	ck_assert_uint_eq(action, 77);
	ck_assert_str_eq(proto_type_name(PROTO_REMEDY), "REMEDY");
	ck_assert_str_eq(proto_type_name(PROTO_REMEDY_ASK), "REMEDY_ASK");
	ck_assert_str_eq(proto_type_name(PROTO_STORED), "STORED");
}
END_TEST

/* ---- decoding time: linear in the bytes, whatever the guest sends ---- */

#define FLOOD_BYTES (16u << 20)
/* Linear decoding of FLOOD_BYTES takes well under a second here; a decoder that moves the rest
 * of its buffer after every frame needs minutes (0.3 s for 1 MiB, 256 times that for 16). */
#define FLOOD_WALL_MS 10000

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* FLOOD_BYTES of minimal frames (no payload), each after `junk` bytes that are not a magic. */
static uint8_t *flood(size_t junk, size_t *ret_size, size_t *ret_frames)
{
	size_t unit = junk + PROTO_HEADER_SIZE, n = FLOOD_BYTES / unit;
	uint8_t *buf = malloc(n * unit), *f;
	size_t size;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(proto_encode(0x7777, 1, NULL, 0, &f, &size), 0);
	ck_assert_uint_eq(size, PROTO_HEADER_SIZE);
	for (size_t i = 0; i < n; i++) {
		memset(buf + i * unit, '.', junk);
		memcpy(buf + i * unit + junk, f, size);
	}
	free(f);
	*ret_size = n * unit;
	*ret_frames = n;
	return buf;
}

/* Decode everything fed so far, counting frames and resyncs (a frame with a payload counts as
 * neither). Check records every assertion it passes, so there is none per frame; fails as
 * soon as the wall bound is past, so that a quadratic decoder fails in seconds, not minutes. */
static void drain(struct proto_decoder *d, uint64_t start, size_t *frames, size_t *errors)
{
	struct proto_frame f;
	int r;

	while ((r = proto_decoder_next(d, &f)) != 0) {
		if (r == 1) {
			*frames += f.len == 0;
			proto_frame_finish(&f);
		} else {
			*errors += r == -EBADMSG;
		}
		if (((*frames + *errors) & 4095) == 0 && mono_ms() - start >= FLOOD_WALL_MS)
			ck_abort_msg("decoding is not linear: %zu frames in %u ms", *frames,
				     FLOOD_WALL_MS);
	}
}

/* 16 MiB of minimal frames at once, and with a byte of junk before each (a resync per frame),
 * and fed as the controller feeds it (1 MiB per read, decoded after each). */
START_TEST(test_flood_linear)
{
	static const struct {
		size_t junk, chunk;
	} runs[] = {{0, FLOOD_BYTES}, {1, FLOOD_BYTES}, {0, 1u << 20}, {3, 65536 + 7}};

	for (size_t k = 0; k < sizeof(runs) / sizeof(runs[0]); k++) {
		size_t size, n, frames = 0, errors = 0;
		uint8_t *buf = flood(runs[k].junk, &size, &n);
		struct proto_decoder *d = proto_decoder_new();
		uint64_t start = mono_ms();

		for (size_t off = 0; off < size; off += runs[k].chunk) {
			size_t len = size - off < runs[k].chunk ? size - off : runs[k].chunk;
			proto_decoder_feed(d, buf + off, len);
			drain(d, start, &frames, &errors);
		}
		ck_assert_uint_eq(frames, n);
		/* one resync per run of junk, two when a read ends inside it */
		if (runs[k].junk)
			ck_assert_uint_ge(errors, n);
		else
			ck_assert_uint_eq(errors, 0);
		proto_decoder_free(d);
		free(buf);
	}
}
END_TEST

/* A frame split across feeds at every offset still decodes once the rest of it arrives, after
 * frames already taken from the same buffer. */
START_TEST(test_partial_after_consumed)
{
	size_t a_size, b_size;
	uint8_t *a = enc(PROTO_HEARTBEAT, "first", &a_size);
	uint8_t *b = enc(PROTO_RESULT, "second frame", &b_size);

	for (size_t cut = 0; cut <= b_size; cut++) {
		struct proto_decoder *d = proto_decoder_new();
		struct proto_frame f;

		proto_decoder_feed(d, a, a_size);
		proto_decoder_feed(d, b, cut);
		ck_assert_int_eq(proto_decoder_next(d, &f), 1);
		ck_assert_str_eq((char *)f.payload, "first");
		proto_frame_finish(&f);
		ck_assert_int_eq(proto_decoder_next(d, &f), cut == b_size ? 1 : 0);
		if (cut < b_size) {
			proto_decoder_feed(d, b + cut, b_size - cut);
			ck_assert_int_eq(proto_decoder_next(d, &f), 1);
		}
		ck_assert_str_eq((char *)f.payload, "second frame");
		proto_frame_finish(&f);
		ck_assert_int_eq(proto_decoder_next(d, &f), 0);
		proto_decoder_free(d);
	}
	free(a);
	free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_roundtrip_bytewise);
	tcase_add_test(tc, test_garbage_then_frame);
	tcase_add_test(tc, test_bad_crc_dropped);
	tcase_add_test(tc, test_oversize_and_flags);
	tcase_add_test(tc, test_le_helpers);
	tcase_add_test(tc, test_watch_roundtrip);
	tcase_add_test(tc, test_watch_decode_errors);
	tcase_add_test(tc, test_remedy_decode);
	tcase_add_test(tc, test_flood_linear);
	tcase_add_test(tc, test_partial_after_consumed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
