/* test-format-tlv.c — the format language on a TLV rule pack (tests/data/format/tlv.yaml):
 * tagged unions, nested groups, a string table that rules point into, arrays of integers,
 * relations and magic values; structural mutations that reach fields inside section bodies with
 * counts, lengths, offsets and pointers fixed up; insert, value: each, distinct draws per
 * element. (Located errors for the new syntax: test-format.c.) */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "format.h"
#include "mutate.h"
#include "testlib.h"
#include "util.h"

static struct format *fmt;
static uint8_t *seed;
static size_t seed_size;

static void setup(void)
{
	struct diags d = {0};

	ck_assert_int_eq(format_load(FAULTLINE_TEST_DATA "/format/tlv.yaml", &d, &fmt), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_int_eq(
	    read_file(FAULTLINE_TEST_DATA "/format/tlv.bin", 1 << 20, &seed, &seed_size), 0);
	ck_assert_uint_eq(seed_size, 105);
}

static void teardown(void)
{
	fmt = format_free(fmt);
	free(seed);
	seed = NULL;
}

static struct format_node *decode(const uint8_t *d, size_t n)
{
	struct format_node *root = NULL;
	char *err = NULL;

	if (format_decode(fmt, d, n, &root, &err) < 0)
		ck_abort_msg("does not decode: %s", err);
	return root;
}

/* The one node at path. */
static struct format_node *at(struct format_node *root, const char *path)
{
	_cleanup_free_ struct format_node **v = NULL;
	size_t n = 0;
	char *err = NULL;

	if (format_node_find(root, path, &v, &n, &err) != 1)
		ck_abort_msg("%s: %s", path, err ? err : "not exactly one match");
	return v[0];
}

static uint64_t val(struct format_node *root, const char *path)
{
	return at(root, path)->value;
}

/* Expand ops on the seed (scenario seed s); -1 on error. */
static size_t expand(const char *ops, uint64_t s, struct mutate_result *res)
{
	struct diags d = {0};
	struct mutate_list *l = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	r = mutate_list_parse_text(ops, "ops", "/", &d, &l);
	if (r == 0)
		r = mutate_expand(l, fmt, seed, seed_size, s, "ops", &d, res);
	if (r < 0)
		ck_abort_msg("%s: %s", ops, d.n ? d.v[0].message : "failed");
	mutate_list_free(l);
	diags_finish(&d);
	return res->n;
}

/* Apply ops that make one input, check that its recorded JSON replays to the same bytes, and
 * return it decoded. */
static struct format_node *one(const char *ops, uint8_t **ret, size_t *ret_size)
{
	struct mutate_result a, b;
	struct format_node *root;

	ck_assert_uint_eq(expand(ops, 1, &a), 1);
	ck_assert_uint_eq(expand(a.v[0].json, 77, &b), 1);
	ck_assert_uint_eq(a.v[0].size, b.v[0].size);
	ck_assert_mem_eq(a.v[0].data, b.v[0].data, a.v[0].size);
	root = decode(a.v[0].data, a.v[0].size);
	*ret_size = a.v[0].size;
	*ret = TAKE_PTR(a.v[0].data);
	mutate_result_finish(&a);
	mutate_result_finish(&b);
	return root;
}

/* The header's length and CRC agree with the bytes. */
static void check_header(struct format_node *root, const uint8_t *d, size_t n)
{
	ck_assert_uint_eq(val(root, "total_len"), n);
	ck_assert_uint_eq(val(root, "crc"), format_crc32(d + 20, n - 20));
}

START_TEST(test_tlv_roundtrip)
{
	struct format_node *root = decode(seed, seed_size), *x;
	_cleanup_free_ uint8_t *out = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ struct format_node **v = NULL;
	size_t size, n = 0;
	char *err = NULL;

	check_header(root, seed, seed_size);
	ck_assert_uint_eq(val(root, "section_count"), 4);
	/* the tag chose each body: paths go through the union and its case */
	ck_assert_uint_eq(at(root, "sections[0].strings[1].chars")->len, 4);
	ck_assert_mem_eq(at(root, "sections[0].strtab.strings[1].chars")->bytes, "open", 4);
	ck_assert_uint_eq(val(root, "sections[1].rules[0].opcode"), 1);
	ck_assert_uint_eq(val(root, "sections[1].rules[0].args[1]"), 9);
	ck_assert_uint_eq(val(root, "sections[1].rules_off"), 4);
	ck_assert_uint_eq(val(root, "sections[2].children[0].vals[1]"), 2);
	ck_assert_uint_eq(val(root, "sections[2].children[1].note_off"), 0);
	ck_assert_mem_eq(at(root, "sections[3].raw")->bytes, "zz", 2);
	x = at(root, "sections[1].rules[0].args[1]");
	path = format_node_path(x);
	ck_assert_str_eq(path, "sections[1].rules[0].args[1]");
	ck_assert_uint_eq(x->offset, 20 + 23 + 8 + 4 + 4 + 4);
	ck_assert_int_eq(format_node_find(root, "sections[0].rules", &v, &n, &err), -EINVAL);
	free(err);
	ck_assert_int_eq(format_encode(fmt, root, true, true, &out, &size), 0);
	ck_assert_uint_eq(size, seed_size);
	ck_assert_mem_eq(out, seed, size);
	format_node_free(root);
	root = NULL;
	/* a relation that does not hold is a decode error, like a wrong count */
	out[8]++;
	ck_assert_int_eq(format_decode(fmt, out, size, &root, &err), -EINVAL);
	ck_assert_str_eq(err, "total_len at offset 8 is 106, its equals: gives 105");
	free(err);
}
END_TEST

/* Dropping a string: the section's length, the file's total (a relation) and CRC follow, and
 * the rules' offsets into the table follow their strings. */
START_TEST(test_tlv_drop_string_fixes_pointers)
{
	_cleanup_free_ uint8_t *d = NULL;
	size_t n;
	struct format_node *root = one("{op: drop, at: 'sections[0].strings[0]'}", &d, &n);

	ck_assert_uint_eq(n, seed_size - 5);
	check_header(root, d, n);
	ck_assert_uint_eq(val(root, "sections[0].len"), 10);
	ck_assert_uint_eq(val(root, "sections[1].rules[0].name_off"), 0); /* "open" */
	ck_assert_uint_eq(val(root, "sections[1].rules[1].name_off"), 5); /* "kill" */
	/* the note pointed at the dropped string: it keeps its value, now dangling */
	ck_assert_uint_eq(val(root, "sections[2].children[1].note_off"), 0);
	format_node_free(root);
}
END_TEST

/* Moving the string table: the header's offset of it (counted from the first section) moves. */
START_TEST(test_tlv_swap_moves_offset)
{
	_cleanup_free_ uint8_t *d = NULL;
	size_t n;
	struct format_node *root =
	    one("{op: swap, at: 'sections[0]', with: 'sections[1]'}", &d, &n);

	check_header(root, d, n);
	ck_assert_uint_eq(val(root, "strtab_off"), 28 + 8);
	ck_assert_uint_eq(val(root, "sections[0].type"), 2);
	ck_assert_uint_eq(val(root, "sections[0].rules[0].name_off"), 5);
	format_node_free(root);
}
END_TEST

/* A duplicated array element inside a rule inside a section: the rule's count, the section's
 * length and the total follow; the rule table's offset does not move. Duplicating a string
 * moves the strings after it and the rules' offsets with them. */
START_TEST(test_tlv_duplicate_in_bodies)
{
	_cleanup_free_ uint8_t *d = NULL, *e = NULL;
	size_t n, m;
	struct format_node *root =
	    one("{op: duplicate, at: 'sections[1].rules[0].args[0]', times: 2}", &d, &n);

	check_header(root, d, n);
	ck_assert_uint_eq(n, seed_size + 8);
	ck_assert_uint_eq(val(root, "sections[1].rules[0].argc"), 4);
	ck_assert_uint_eq(val(root, "sections[1].rules[0].args[2]"), 7);
	ck_assert_uint_eq(val(root, "sections[1].len"), 28);
	ck_assert_uint_eq(val(root, "sections[1].rules_off"), 4);
	format_node_free(root);

	root = one("{op: duplicate, at: 'sections[0].strings[0]'}", &e, &m);
	check_header(root, e, m);
	ck_assert_uint_eq(val(root, "sections[1].rules[0].name_off"), 10);
	ck_assert_uint_eq(val(root, "sections[1].rules[1].name_off"), 15);
	ck_assert_uint_eq(val(root, "sections[2].children[1].note_off"), 0);
	format_node_free(root);
}
END_TEST

/* set reaches a field two unions deep; a pin on a relative offset holds. */
START_TEST(test_tlv_set_in_nested_group)
{
	_cleanup_free_ uint8_t *d = NULL;
	size_t n;
	struct format_node *root = one("[{op: set, at: 'sections[2].children[0].key', value: "
				       "0x99}, {op: set, at: 'sections[1].rules_off', value: +3}]",
				       &d, &n);

	check_header(root, d, n);
	ck_assert_uint_eq(val(root, "sections[2].children[0].key"), 0x99);
	ck_assert_uint_eq(val(root, "sections[1].rules_off"), 7);
	format_node_free(root);
	/* fixup: false leaves the count and the relation as they were */
	struct mutate_result a;
	ck_assert_uint_eq(expand("{op: drop, at: 'sections[3]', fixup: false}", 1, &a), 1);
	ck_assert_uint_eq(a.v[0].size, seed_size - 10);
	ck_assert_mem_eq(a.v[0].data + 6, "\x04\x00\x69\x00", 4);
	mutate_result_finish(&a);
}
END_TEST

/* set value: each on a field with magic: values tries them after the boundary values, and the
 * format's magic integers that fit. */
START_TEST(test_tlv_set_each_magic)
{
	struct mutate_result a;
	static const char *const want[] = {
	    "\"zero\"", "\"one\"", "\"max\"", "\"max-1\"", "\"sign\"", "2", "3", "4", "127"};

	/* a relation and a pointer are derived: +1, -1 and x2 of the true value too */
	expand("{op: set, at: total_len, value: each}", 1, &a);
	ck_assert_uint_eq(a.n_variants, 5 + 3 + 2);
	ck_assert_ptr_nonnull(strstr(a.v[5].json, "\"value\":\"+1\""));
	mutate_result_finish(&a);
	expand("{op: set, at: 'sections[1].rules[0].name_off', value: each}", 1, &a);
	ck_assert_uint_eq(a.n_variants, 5 + 3 + 1);
	mutate_result_finish(&a);

	/* the section's type is 1 already: "one" makes the seed again, dropped and counted; 4
	 * selects a case (group) that no magic: names */
	ck_assert_uint_eq(expand("{op: set, at: 'sections[0].type', value: each}", 1, &a), 8);
	ck_assert_uint_eq(a.n_same_as_seed, 1);
	for (size_t i = 0; i < 8; i++) {
		_cleanup_free_ char *s = xasprintf("\"value\":%s}", want[a.v[i].index]);
		if (!strstr(a.v[i].json, s))
			ck_abort_msg("%zu: %s lacks %s", i, a.v[i].json, s);
		ck_assert_uint_ne(a.v[i].index, 1);
	}
	mutate_result_finish(&a);
}
END_TEST

START_TEST(test_insert)
{
	struct mutate_result a, b;

	/* explicit bytes at an offset: everything after moves up */
	ck_assert_uint_eq(expand("{op: insert, offset: 20, hex: 'aa bb', checksum: stale}", 1, &a),
			  1);
	ck_assert_uint_eq(a.v[0].size, seed_size + 2);
	ck_assert_mem_eq(a.v[0].data, seed, 20);
	ck_assert_mem_eq(a.v[0].data + 20, "\xaa\xbb", 2);
	ck_assert_mem_eq(a.v[0].data + 22, seed + 20, seed_size - 20);
	mutate_result_finish(&a);

	/* at the end of a field, zero-filled: the file still decodes, the string grew */
	ck_assert_uint_eq(expand("{op: insert, at: 'sections[3].raw', where: end, size: 3, "
				 "checksum: stale}",
				 1, &a),
			  1);
	ck_assert_uint_eq(a.v[0].size, seed_size + 3);
	ck_assert_mem_eq(a.v[0].data + seed_size, "\0\0\0", 3);
	ck_assert_ptr_nonnull(strstr(a.v[0].json, "\"offset\":105"));
	mutate_result_finish(&a);

	/* random place and bytes: the same seed makes the same bytes, and the record replays */
	ck_assert_uint_eq(expand("{op: insert, count: 5}", 9, &a), 5);
	ck_assert_uint_eq(expand("{op: insert, count: 5}", 9, &b), 5);
	for (size_t i = 0; i < 5; i++) {
		struct mutate_result r;

		ck_assert_uint_gt(a.v[i].size, seed_size);
		ck_assert_str_eq(a.v[i].sha256, b.v[i].sha256);
		ck_assert_uint_eq(expand(a.v[i].json, 1234, &r), 1);
		ck_assert_str_eq(r.v[0].sha256, a.v[i].sha256);
		mutate_result_finish(&r);
	}
	mutate_result_finish(&a);
	mutate_result_finish(&b);

	/* value: each: one input per magic value, in the dictionary's order, integers in the
	 * format's byte order and their smallest width */
	ck_assert_uint_eq(expand("{op: insert, at: 'sections[1]', value: each}", 1, &a), 4);
	ck_assert_mem_eq(a.v[0].data + 43, "TRPK", 4);
	ck_assert_mem_eq(a.v[1].data + 43, "\x7f", 1);
	ck_assert_mem_eq(a.v[2].data + 43, "open", 4);
	ck_assert_mem_eq(a.v[3].data + 43, "\xff\xfe\xff\xfe", 4);
	ck_assert_uint_eq(a.v[1].size, seed_size + 1);
	mutate_result_finish(&a);
}
END_TEST

/* interesting value: each enumerates the table at one place, in order, without repeats. */
START_TEST(test_interesting_each)
{
	static const uint8_t want1[] = {0, 1, 0x7f, 0x80, 0xff};
	struct mutate_result a, b;

	/* the opcode is 1: that value makes the seed again, dropped and counted */
	ck_assert_uint_eq(
	    expand("{op: interesting, at: 'sections[1].rules[0].opcode', value: each}", 1, &a), 4);
	ck_assert_uint_eq(a.n_same_as_seed, 1);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_uint_eq(a.v[i].size, seed_size);
		ck_assert_uint_eq(a.v[i].data[57], want1[a.v[i].index]);
		ck_assert_ptr_nonnull(strstr(a.v[i].json, "\"offset\":57,\"width\":1"));
	}
	mutate_result_finish(&a);

	/* at an offset with no width: widths 1, 2 and 4, each with the magic integers that fit
	 * (0x7f is a boundary of width 1 already) */
	expand("{op: interesting, offset: 8, value: each, checksum: stale}", 1, &a);
	ck_assert_uint_eq(a.n_variants, 5 + (7 + 1) + (8 + 2));
	expand("{op: interesting, offset: 8, value: each, checksum: stale}", 2, &b);
	ck_assert_uint_eq(a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		ck_assert_str_eq(a.v[i].sha256, b.v[i].sha256);
	/* widths 1, 2, 4 of zero write the same bytes (as do 0x7f of width 1 and 4, the total
	 * being 0x69): dropped as duplicates; the last kept is the magic number */
	ck_assert_uint_lt(a.n, a.n_variants);
	ck_assert_mem_eq(b.v[a.n - 1].data + 8, "TRPK", 4);
	mutate_result_finish(&a);
	mutate_result_finish(&b);
}
END_TEST

/* Random bytes aimed at [*] draw afresh for each element; the first element draws what the
 * same op aimed at it alone draws (so lists written before stay byte for byte). */
START_TEST(test_distinct_draws)
{
	struct mutate_result a, b;

	ck_assert_uint_eq(expand("{op: random_bytes, size: 2, at: 'sections[*].flags'}", 5, &a), 4);
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < i; j++) {
			const char *x = strstr(a.v[i].json, "\"hex\""),
				   *y = strstr(a.v[j].json, "\"hex\"");
			ck_assert_str_ne(x, y);
		}
	ck_assert_uint_eq(expand("{op: random_bytes, size: 2, at: 'sections[0].flags'}", 5, &b), 1);
	ck_assert_str_eq(a.v[0].sha256, b.v[0].sha256);
	mutate_result_finish(&a);
	mutate_result_finish(&b);
}
END_TEST

/* A tag that selects no case, and a union body with bytes left over, are decode errors. */
START_TEST(test_union_decode_errors)
{
	static const char yaml[] =
	    "format: u\nfields:\n  - {name: t, type: u8}\n  - {name: l, type: u8, length_of: b}\n"
	    "  - name: b\n    type: union\n    switch: t\n    cases:\n"
	    "      - {name: one, when: 1, fields: [{name: x, type: u8}]}\n"
	    "      - {name: two, when: [2, 3], fields: [{name: y, type: u16}]}\n";
	struct diags d = {0};
	struct format *f = NULL;
	struct format_node *root = NULL;
	char *err = NULL;

	ck_assert_int_eq(format_parse("u.yaml", yaml, strlen(yaml), &d, &f), 0);
	ck_assert_int_eq(format_decode(f, (const uint8_t *)"\x03\x02\x05\x06", 4, &root, &err), 0);
	ck_assert_uint_eq(root->kids[2]->kids[0]->kids[0]->value, 0x0605);
	root = format_node_free(root);
	ck_assert_int_eq(format_decode(f, (const uint8_t *)"\x07\x01\x05", 3, &root, &err),
			 -EINVAL);
	ck_assert_str_eq(err, "b at offset 2: t = 7 selects none of its cases");
	free(err);
	ck_assert_int_eq(format_decode(f, (const uint8_t *)"\x01\x02\x05\x06", 4, &root, &err),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "1 bytes left over after case one"));
	free(err);
	format_free(f);
}
END_TEST

/* [*] across union cases selects the elements where the rest of the path exists. */
START_TEST(test_wild_across_cases)
{
	_cleanup_free_ struct format_node **v = NULL;
	struct format_node *root = decode(seed, seed_size);
	struct mutate_result a;
	size_t n = 0, rulesets = 0;
	char *err = NULL;

	for (size_t i = 0; i < at(root, "sections")->n_kids; i++)
		rulesets += at(root, "sections")->kids[i]->kids[0]->value == 2;
	ck_assert_uint_gt(rulesets, 0);
	ck_assert_int_eq(format_node_find(root, "sections[*].rule_count", &v, &n, &err),
			 (int)rulesets);
	ck_assert_int_lt(at(root, "sections")->n_kids, 1 + rulesets + 10);
	ck_assert_uint_lt(rulesets, at(root, "sections")->n_kids);
	/* deeper: every rule's opcode, in every ruleset */
	ck_assert_int_gt(format_node_find(root, "sections[*].rules[*].opcode", &v, &n, &err), 0);
	/* a name no element has is still an error, and says so */
	ck_assert_int_eq(format_node_find(root, "sections[*].nosuch", &v, &n, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "no field 'nosuch'"));
	ck_assert_ptr_nonnull(strstr(err, "in none of the"));
	free(err);
	err = NULL;
	/* without [*], a field that this element's case lacks is an error */
	ck_assert_int_eq(format_node_find(root, "sections[0].rule_count", &v, &n, &err), -EINVAL);
	free(err);
	format_node_free(root);

	/* the ops take it: one input per ruleset */
	ck_assert_uint_eq(expand("{op: set, at: 'sections[*].rule_count', value: max}", 1, &a),
			  rulesets);
	mutate_result_finish(&a);
}
END_TEST

/* A decode error names the path of the field that failed. */
START_TEST(test_decode_error_path)
{
	_cleanup_free_ uint8_t *d = xmemdup(seed, seed_size);
	struct format_node *root = decode(seed, seed_size);
	struct format_node *rc = at(root, "sections[1].rule_count");
	char *err = NULL;

	ck_assert_uint_eq(at(root, "sections[1].type")->value, 2);
	d[rc->offset] = 0xff; /* more rules than bytes */
	format_node_free(root);
	root = NULL;
	ck_assert_int_eq(format_decode(fmt, d, seed_size, &root, &err), -EINVAL);
	if (!strstr(err, "sections[1].rules at offset"))
		ck_abort_msg("no path in '%s'", err);
	free(err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("format-tlv");
	TCase *tc = tcase_create("format-tlv");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_tlv_roundtrip);
	tcase_add_test(tc, test_tlv_drop_string_fixes_pointers);
	tcase_add_test(tc, test_tlv_swap_moves_offset);
	tcase_add_test(tc, test_tlv_duplicate_in_bodies);
	tcase_add_test(tc, test_tlv_set_in_nested_group);
	tcase_add_test(tc, test_tlv_set_each_magic);
	tcase_add_test(tc, test_insert);
	tcase_add_test(tc, test_interesting_each);
	tcase_add_test(tc, test_distinct_draws);
	tcase_add_test(tc, test_union_decode_errors);
	tcase_add_test(tc, test_wild_across_cases);
	tcase_add_test(tc, test_decode_error_path);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
