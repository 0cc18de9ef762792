/* test-proto.c — the agent wire protocol: encoding, streaming decode, resynchronisation. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
