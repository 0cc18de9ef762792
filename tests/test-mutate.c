/* test-mutate.c — every mutation's exact output bytes on a small KSCU input (expected bytes
 * computed independently, by a Python model of the format: see the comment of each), expansion,
 * dedup, determinism, and replay of the recorded mutation list. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "format.h"
#include "mutate.h"
#include "testlib.h"
#include "util.h"

/* A KSCU file: 1 instance of template 1 with 2 fields, string "ab" and u32 7 (54 bytes). */
static const char seed_hex[] = "4b534355010001000100000016000000f50e1c0f000000000000000000000000160"
			       "00000020000000100020061620200040007000000";
static const char drop_last_hex[] =
    "4b53435501000100010000000e000000c506ed4b0000000000000000000000000e00000001000000010002006162";
static const char count_ffff_hex[] = "4b53435501000100ffff000016000000f50e1c0f000000000000000000000"
				     "00016000000020000000100020061620200040007000000";
static const char len_max_hex[] = "4b534355010001000100000016000000a57205cf000000000000000000000000"
				  "16000000020000000100ffff61620200040007000000";
static const char crc_plus1_hex[] = "4b534355010001000100000016000000f60e1c0f0000000000000000000000"
				    "0016000000020000000100020061620200040007000000";
static const char data_stale_hex[] = "4b534355010001000100000016000000f50e1c0f000000000000000000000"
				     "00016000000020000000100020078790200040007000000";
static const char dup_inst_hex[] =
    "4b53435501000100020000002c0000000f4ffe43000000000000000000000000160000000200000001000200616202"
    "0004000700000016000000020000000100020061620200040007000000";
static const char swap_fields_hex[] = "4b534355010001000100000016000000b56f40c800000000000000000000"
				      "000016000000020000000200040007000000010002006162";
static const char trunc40_hex[] =
    "4b5343550100010001000000160000004e2fff750000000000000000000000001600000002000000";
static const char trunc_mid_hex[] =
    "4b53435501000100010000001600000056a597550000000000000000000000001600000002000000010002";
static const char extend_aa_hex[] = "4b534355010001000100000016000000f50e1c0f0000000000000000000000"
				    "0016000000020000000100020061620200040007000000aaaaaa";
static const char zero_data_hex[] = "4b5343550100010001000000160000004c36cb920000000000000000000000"
				    "0016000000020000000100020061620200040000000000";
static const char write_ver_hex[] = "4b534355020001000100000016000000f50e1c0f0000000000000000000000"
				    "0016000000020000000100020061620200040007000000";
static const char flip33_hex[] = "4b5343550100010001000000160000006b8dc6900000000000000000000000001"
				 "6010000020000000100020061620200040007000000";
static const char interesting8_hex[] = "4b53435501000100ffffffff16000000f50e1c0f0000000000000000000"
				       "0000016000000020000000100020061620200040007000000";
static const char inst_len_plus1_hex[] = "4b534355010001000100000016000000356a341800000000000000000"
					 "000000017000000020000000100020061620200040007000000";
static const char len_past_end_hex[] = "4b5343550100010001000000160000006434b5920000000000000000000"
				       "00000160000000200000001000b0061620200040007000000";
static const char drop_nofix_hex[] =
    "4b5343550100010001000000160000009c9f31f50000000000000000000000001600000002000000010002006162";
static const char random_hex_hex[] = "4b534355010001000100000016000000d8129f17000000000000000000000"
				     "000160000000200000001000200dead0200040007000000";
static const char splice40_hex[] = "4b53435501000100010000001600000083944ac700000000000000000000000"
				   "01600000002000000010002007a7a0200040007000000";
static const char other_hex[] = "4b53435501000100010000001600000083944ac700000000000000000000000016"
				"00000002000000010002007a7a0200040007000000";
static const char flip33_stale_hex[] = "4b534355010001000100000016000000f50e1c0f0000000000000000000"
				       "0000016010000020000000100020061620200040007000000";

static uint8_t *unhex(const char *s, size_t *n)
{
	size_t len = strlen(s) / 2;
	uint8_t *b = xmalloc(len + 1);

	for (size_t i = 0; i < len; i++) {
		unsigned x;
		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &x), 1);
		b[i] = (uint8_t)x;
	}
	*n = len;
	return b;
}

static char *tohex(const uint8_t *b, size_t n)
{
	char *s = xmalloc(2 * n + 1);

	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	s[2 * n] = 0;
	return s;
}

static struct format *fmt;

static void setup(void)
{
	struct diags d = {0};

	ck_assert_int_eq(format_load(FAULTLINE_SOURCE_DIR "/guests/formats/kscu.yaml", &d, &fmt),
			 0);
	ck_assert_uint_eq(d.n, 0);
}

static void teardown(void)
{
	fmt = format_free(fmt);
}

/* Expand ops on the seed; return the number of outputs and fill res. */
static size_t run_ops(const char *ops, const char *seed_hex_s, uint64_t seed,
		      struct mutate_result *res, struct diags *d)
{
	_cleanup_free_ uint8_t *data = NULL;
	struct mutate_list *l = NULL;
	size_t n;
	int r;

	data = unhex(seed_hex_s, &n);
	r = mutate_list_parse_text(ops, "ops", testlib_tmpdir(), d, &l);
	if (r < 0)
		return (size_t)-1;
	memset(res, 0, sizeof(*res));
	r = mutate_expand(l, fmt, data, n, seed, "ops", d, res);
	mutate_list_free(l);
	return r < 0 ? (size_t)-1 : res->n;
}

/* Apply ops, expect exactly one output equal to expect_hex, and check that replaying the
 * recorded JSON gives the same bytes. */
static void check_one(const char *ops, const char *expect_hex)
{
	struct diags d = {0};
	struct mutate_result res, again;
	_cleanup_free_ char *got = NULL;

	ck_assert_uint_eq(run_ops(ops, seed_hex, 1, &res, &d), 1);
	ck_assert_uint_eq(d.n, 0);
	got = tohex(res.v[0].data, res.v[0].size);
	ck_assert_str_eq(got, expect_hex);

	ck_assert_uint_eq(run_ops(res.v[0].json, seed_hex, 999, &again, &d), 1);
	ck_assert_uint_eq(again.v[0].size, res.v[0].size);
	ck_assert_mem_eq(again.v[0].data, res.v[0].data, res.v[0].size);
	ck_assert_str_eq(again.v[0].json, res.v[0].json);
	mutate_result_finish(&res);
	mutate_result_finish(&again);
	diags_finish(&d);
}

START_TEST(test_no_ops_is_seed)
{
	check_one("[]", seed_hex);
}
END_TEST

START_TEST(test_drop_fixes_counts)
{
	/* field_count 1, inst_len 14, payload_len 14, crc over the new payload */
	check_one("{op: drop, at: 'instances[0].fields[last]'}", drop_last_hex);
}
END_TEST

START_TEST(test_drop_nofixup)
{
	check_one("{op: drop, at: 'instances[0].fields[1]', fixup: false}", drop_nofix_hex);
}
END_TEST

START_TEST(test_set_header_count)
{
	check_one("{op: set, at: instance_count, value: 0xffff}", count_ffff_hex);
}
END_TEST

START_TEST(test_set_len_max)
{
	check_one("{op: set, at: 'instances[0].fields[0].len', value: max}", len_max_hex);
}
END_TEST

START_TEST(test_set_crc_plus1)
{
	check_one("{op: set, at: crc32, value: +1}", crc_plus1_hex);
}
END_TEST

START_TEST(test_set_bytes_stale)
{
	check_one("{op: set, at: 'instances[0].fields[0].data', value: 'xy', checksum: stale}",
		  data_stale_hex);
}
END_TEST

START_TEST(test_set_relative_derived)
{
	check_one("{op: set, at: 'instances[0].inst_len', value: +1}", inst_len_plus1_hex);
}
END_TEST

START_TEST(test_set_past_end)
{
	check_one("{op: set, at: 'instances[0].fields[0].len', value: past_end}", len_past_end_hex);
}
END_TEST

START_TEST(test_duplicate)
{
	check_one("{op: duplicate, at: 'instances[0]'}", dup_inst_hex);
}
END_TEST

START_TEST(test_swap)
{
	check_one("{op: swap, at: 'instances[0].fields[0]', with: 'instances[0].fields[1]'}",
		  swap_fields_hex);
}
END_TEST

START_TEST(test_truncate)
{
	check_one("{op: truncate, size: 40}", trunc40_hex);
	check_one("{op: truncate, size: -14}", trunc40_hex);
	check_one("{op: truncate, at: 'instances[0]', where: middle}", trunc_mid_hex);
}
END_TEST

START_TEST(test_extend)
{
	check_one("{op: extend, size: 3, fill: 0xaa}", extend_aa_hex);
	check_one("{op: extend, hex: 'aa aa aa'}", extend_aa_hex);
}
END_TEST

START_TEST(test_zero_write)
{
	check_one("{op: zero, at: 'instances[0].fields[1].data'}", zero_data_hex);
	check_one("{op: write, offset: 4, hex: '0200'}", write_ver_hex);
}
END_TEST

START_TEST(test_blind_explicit)
{
	check_one("{op: bitflip, offset: 33, bit: 0}", flip33_hex);
	check_one("{op: bitflip, offset: 33, bit: 0, checksum: stale}", flip33_stale_hex);
	check_one("{op: interesting, offset: 8, width: 4, value: 0xffffffff}", interesting8_hex);
	check_one("{op: random_bytes, offset: 44, hex: dead}", random_hex_hex);
}
END_TEST

START_TEST(test_splice)
{
	_cleanup_free_ uint8_t *o = NULL;
	size_t n;

	o = unhex(other_hex, &n);
	free(testlib_write("other.kscu", o, n));
	check_one("{op: splice, with: other.kscu, offset: 40, with_offset: 40}", splice40_hex);
}
END_TEST

START_TEST(test_random_deterministic)
{
	struct diags d = {0};
	struct mutate_result a, b, c;
	size_t same = 0;

	ck_assert_uint_eq(run_ops("{op: bitflip, count: 40}", seed_hex, 7, &a, &d), a.n);
	ck_assert_uint_eq(a.n_variants, 40);
	ck_assert_uint_eq(a.n + a.n_duplicates + a.n_same_as_seed, 40);
	ck_assert_uint_gt(a.n, 20);
	run_ops("{op: bitflip, count: 40}", seed_hex, 7, &b, &d);
	run_ops("{op: bitflip, count: 40}", seed_hex, 8, &c, &d);
	ck_assert_uint_eq(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		ck_assert_str_eq(a.v[i].sha256, b.v[i].sha256);
		ck_assert_str_eq(a.v[i].json, b.v[i].json);
		if (i < c.n && streq(a.v[i].sha256, c.v[i].sha256))
			same++;
	}
	ck_assert_uint_lt(same, 5);
	/* Pinned: the same seed gives these bytes on any machine (splitmix64, no libc rand). */
	ck_assert_str_eq(a.v[0].json, "[{\"op\":\"bitflip\",\"offset\":51,\"bit\":2}]");
	mutate_result_finish(&a);
	mutate_result_finish(&b);
	mutate_result_finish(&c);
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(test_replay_random)
{
	struct diags d = {0};
	struct mutate_result a, r;

	run_ops("[{op: random_bytes, count: 10}, {op: interesting, count: 3}]", seed_hex, 3, &a,
		&d);
	ck_assert_uint_eq(a.n_variants, 30);
	for (size_t i = 0; i < a.n; i++) {
		ck_assert_uint_eq(run_ops(a.v[i].json, seed_hex, 12345, &r, &d), 1);
		ck_assert_mem_eq(r.v[0].data, a.v[i].data, a.v[i].size);
		mutate_result_finish(&r);
	}
	mutate_result_finish(&a);
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(test_each_expansion)
{
	struct diags d = {0};
	struct mutate_result a;

	/* 14 integer fields; boundary values: 5 each, +3 (+1 -1 x2) for the 6 count/length
	 * fields, +1 (past_end) for the 4 length fields => 14*5 + 6*3 + 4 = 92 variants. */
	run_ops("{op: set, at: each, value: each}", seed_hex, 1, &a, &d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(a.n_variants, 92);
	ck_assert_uint_eq(a.n + a.n_duplicates + a.n_same_as_seed, 92);
	/* flags: zero is the seed's value, as is reserved's: equal to the seed, dropped */
	ck_assert_uint_gt(a.n_same_as_seed, 0);
	mutate_result_finish(&a);

	/* truncate at each field boundary: 17 leaves, the first at offset 0 is skipped */
	run_ops("{op: truncate, at: each}", seed_hex, 1, &a, &d);
	ck_assert_uint_eq(a.n_variants, 16);
	mutate_result_finish(&a);

	/* [*] wildcards */
	run_ops("{op: drop, at: 'instances[*].fields[*]'}", seed_hex, 1, &a, &d);
	ck_assert_uint_eq(a.n, 2);
	ck_assert_str_eq(a.v[0].json, "[{\"op\":\"drop\",\"at\":\"instances[0].fields[0]\"}]");
	ck_assert_str_eq(a.v[1].json, "[{\"op\":\"drop\",\"at\":\"instances[0].fields[1]\"}]");
	mutate_result_finish(&a);
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(test_dedup)
{
	struct diags d = {0};
	struct mutate_result a;

	/* 100 flips of one byte's 8 bits: at most 8 distinct outputs */
	run_ops("{op: bitflip, offset: 40, count: 100}", seed_hex, 1, &a, &d);
	ck_assert_uint_eq(a.n_variants, 100);
	ck_assert_uint_le(a.n, 8);
	ck_assert_uint_eq(a.n + a.n_duplicates, 100);
	for (size_t i = 1; i < a.n; i++)
		ck_assert_str_ne(a.v[i].sha256, a.v[0].sha256);
	mutate_result_finish(&a);
}
END_TEST

static void check_error(const char *ops, unsigned line, unsigned col, const char *needle)
{
	struct diags d = {0};
	struct mutate_result a;

	ck_assert_uint_eq(run_ops(ops, seed_hex, 1, &a, &d), (size_t)-1);
	ck_assert_uint_ge(d.n, 1);
	if (!strstr(d.v[0].message, needle))
		ck_abort_msg("'%s' not in '%s'", needle, d.v[0].message);
	if (d.v[0].line != line || d.v[0].column != col)
		ck_abort_msg("'%s' at %u:%u, expected %u:%u", d.v[0].message, d.v[0].line,
			     d.v[0].column, line, col);
	diags_finish(&d);
}

START_TEST(test_errors)
{
	check_error("{op: frob}", 1, 6, "bad op 'frob'; expected one of: set, drop");
	check_error("[{op: truncate}]", 1, 2, "truncate needs exactly one of");
	check_error("{op: set, at: nosuch, value: 1}", 1, 1, "no field 'nosuch'");
	check_error("{op: set, at: 'instances[5].inst_len', value: 1}", 1, 1, "out of range");
	check_error("{op: set, at: 'instances[0].field_count', value: 70000}", 1, 1,
		    "does not fit in 2 bytes");
	check_error("{op: drop, at: instance_count}", 1, 1, "not an element");
	check_error("{op: set, at: version, value: past_end}", 1, 1, "past_end applies to");
	check_error("{op: bitflip, bit: 9}", 1, 20, "bit '9' is out of range; expected 0 to 7");
	check_error("{op: set, at: version, value: 1, colour: red}", 1, 34, "unknown key 'colour'");
	check_error("[{op: truncate, size: 10}, {op: set, at: version, value: 2}]", 1, 28,
		    "does not decode");
	check_error("{op: drop, at: 'instances[0', value: 1}", 1, 31, "unknown key 'value'");
	check_error("{op: drop, at: 'instances[0'}", 1, 1, "bad index");
	check_error("{op: bitflip, count: 1000000}", 1, 22, "count '1000000' is out of range");
	check_error("{op: set, at: each, value: each, checksum: maybe}", 1, 44, "bad checksum");
	/* bounded expansion and growth */
	check_error("[{op: bitflip, count: 100000}, {op: interesting, count: 2}]", 1, 32,
		    "more than 100000 inputs");
	check_error(
	    "[{op: random_bytes, offset: 24, size: 4, count: 60}, {op: extend, size: 16000000}]", 1,
	    2, "more than 256 MiB of inputs");
}
END_TEST

/* A byte op aimed at the checksum is undone by the fix-up: said, and dropped as the seed when
 * the list expands into several inputs; checksum: stale or fixup: false keep the raw bytes. */
START_TEST(test_fixup_undoes_byte_op)
{
	struct diags d = {0};
	struct mutate_result a;

	ck_assert_uint_eq(run_ops("{op: bitflip, at: crc32, count: 3}", seed_hex, 1, &a, &d), 0);
	ck_assert_uint_eq(a.n_variants, 3);
	ck_assert_uint_eq(a.n_same_as_seed, 3);
	ck_assert_uint_eq(a.n_undone, 3);
	mutate_result_finish(&a);

	/* one variant: kept, with a note saying why it is the seed */
	ck_assert_uint_eq(run_ops("{op: bitflip, at: crc32, bit: 3}", seed_hex, 1, &a, &d), 1);
	ck_assert_uint_eq(a.n_undone, 1);
	ck_assert_ptr_nonnull(a.v[0].note);
	ck_assert_ptr_nonnull(strstr(a.v[0].note, "checksum fix-up wrote back"));
	mutate_result_finish(&a);

	ck_assert_uint_ge(
	    run_ops("{op: bitflip, at: crc32, count: 3, fixup: false}", seed_hex, 1, &a, &d), 1);
	ck_assert_uint_eq(a.n_same_as_seed, 0);
	ck_assert_uint_eq(a.n_undone, 0);
	ck_assert_ptr_nonnull(strstr(a.v[0].json, "\"fixup\":false"));
	mutate_result_finish(&a);
	ck_assert_uint_ge(
	    run_ops("{op: bitflip, at: crc32, count: 3, checksum: stale}", seed_hex, 1, &a, &d), 1);
	ck_assert_uint_eq(a.n_undone, 0);
	mutate_result_finish(&a);

	/* a set to the value there: one variant is kept with a note; in an expansion, dropped */
	ck_assert_uint_eq(run_ops("{op: set, at: version, value: 1}", seed_hex, 1, &a, &d), 1);
	ck_assert_ptr_nonnull(strstr(a.v[0].note, "changed nothing"));
	mutate_result_finish(&a);
	ck_assert_uint_eq(d.n, 0);
	diags_finish(&d);
}
END_TEST

/* Keys that would be ignored, or repeat one input, are errors. */
START_TEST(test_ignored_keys)
{
	check_error("{op: insert, at: version, hex: '00', count: 3}", 1, 45,
		    "would make 3 identical inputs");
	check_error("{op: bitflip, offset: 4, bit: 1, count: 2}", 1, 41,
		    "would make 2 identical inputs");
	check_error("{op: zero, at: version, offset: 3}", 1, 33, "at: FIELD or offset:, not both");
	check_error("{op: zero, at: version, size: 3}", 1, 31, "not at: and size:");
	check_error("{op: extend, hex: '00', fill: zero}", 1, 31, "fill: applies with size:");
	check_error("{op: random_bytes, hex: '00', size: 2}", 1, 37, "not both");
	check_error("{op: bitflip, checksum: stale, fixup: false}", 1, 39, "say the same");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mutate");
	TCase *tc = tcase_create("mutate");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_no_ops_is_seed);
	tcase_add_test(tc, test_fixup_undoes_byte_op);
	tcase_add_test(tc, test_ignored_keys);
	tcase_add_test(tc, test_drop_fixes_counts);
	tcase_add_test(tc, test_drop_nofixup);
	tcase_add_test(tc, test_set_header_count);
	tcase_add_test(tc, test_set_len_max);
	tcase_add_test(tc, test_set_crc_plus1);
	tcase_add_test(tc, test_set_bytes_stale);
	tcase_add_test(tc, test_set_relative_derived);
	tcase_add_test(tc, test_set_past_end);
	tcase_add_test(tc, test_duplicate);
	tcase_add_test(tc, test_swap);
	tcase_add_test(tc, test_truncate);
	tcase_add_test(tc, test_extend);
	tcase_add_test(tc, test_zero_write);
	tcase_add_test(tc, test_blind_explicit);
	tcase_add_test(tc, test_splice);
	tcase_add_test(tc, test_random_deterministic);
	tcase_add_test(tc, test_replay_random);
	tcase_add_test(tc, test_each_expansion);
	tcase_add_test(tc, test_dedup);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
