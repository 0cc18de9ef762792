/* test-format.c — format descriptions: the kscu description decodes and re-encodes the seed
 * byte for byte; paths; every kind of error in a description, with line and column; hostile
 * YAML (aliases, depth, non-UTF-8, empty). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "format.h"
#include "testlib.h"
#include "util.h"

/* 1 instance of template 1: string "ab", u32 7 (see test-mutate.c) */
static const uint8_t seed[] = {
    0x4b, 0x53, 0x43, 0x55, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x16, 0x00,
    0x00, 0x00, 0xf5, 0x0e, 0x1c, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x02, 0x00, 0x61, 0x62, 0x02, 0x00, 0x04, 0x00, 0x07, 0x00, 0x00, 0x00,
};

static struct format *load_kscu(void)
{
	struct diags d = {0};
	struct format *f = NULL;

	ck_assert_int_eq(format_load(FAULTLINE_SOURCE_DIR "/guests/formats/kscu.yaml", &d, &f), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(format_name(f), "kscu");
	return f;
}

START_TEST(test_kscu_roundtrip)
{
	struct format *f = load_kscu();
	struct format_node *root = NULL, **v = NULL;
	size_t n = 0, size;
	uint8_t *out;
	char *err = NULL, *path;

	ck_assert_int_eq(format_decode(f, seed, sizeof(seed), &root, &err), 0);
	ck_assert_int_eq(format_node_find(root, "instance_count", &v, &n, &err), 1);
	ck_assert_uint_eq(v[0]->value, 1);
	ck_assert_uint_eq(v[0]->offset, 8);
	ck_assert_int_eq(format_node_find(root, "instances[last].fields[1].data", &v, &n, &err), 1);
	ck_assert_uint_eq(v[1]->len, 4);
	ck_assert_uint_eq(v[1]->offset, 50);
	path = format_node_path(v[1]);
	ck_assert_str_eq(path, "instances[0].fields[1].data");
	free(path);
	ck_assert_int_eq(format_node_find(root, "payload.instances[0].fields[*].len", &v, &n, &err),
			 2);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(v[2]->value, 2);
	ck_assert_uint_eq(v[3]->value, 4);
	free(v);

	ck_assert_int_eq(format_encode(f, root, true, true, &out, &size), 0);
	ck_assert_uint_eq(size, sizeof(seed));
	ck_assert_mem_eq(out, seed, size);
	free(out);
	format_node_free(root);
	format_free(f);
}
END_TEST

START_TEST(test_kscu_real_seeds)
{
	static const char *const seeds[] = {"basic.kscu", "ext.kscu"};
	struct format *f = load_kscu();

	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *p =
		    xasprintf("%s/scenarios/content/%s", FAULTLINE_SOURCE_DIR, seeds[i]);
		_cleanup_free_ uint8_t *data = NULL, *out = NULL;
		struct format_node *root = NULL;
		char *err = NULL;
		size_t size, osize;

		if (read_file(p, 1 << 20, &data, &size) < 0)
			continue; /* seeds come from the guests build; the tiny seed above suffices
				   */
		ck_assert_int_eq(format_decode(f, data, size, &root, &err), 0);
		ck_assert_int_eq(format_encode(f, root, true, true, &out, &osize), 0);
		ck_assert_uint_eq(osize, size);
		ck_assert_mem_eq(out, data, size);
		format_node_free(root);
	}
	format_free(f);
}
END_TEST

/* Every shipped format decodes the seeds its scenarios feed it, and encodes them back to the
 * same bytes (what `faultline format show` prints is the whole file). clamav.ldb and clamav.ndb
 * are text databases the clamav scenario installs as they are, not clamav-cvd containers.
 * tests/format-cli.sh checks that no format under guests/formats/ is missing here. */
START_TEST(test_shipped_seeds_roundtrip)
{
	static const char *const pairs[][2] = {
	    {"kscu", "basic.kscu"},	 {"kscu", "ext.kscu"},
	    {"apparmor", "apparmor.aa"}, {"clamav-cvd", "clamav.cud"},
	    {"kref", "kref-basic.kref"}, {"kref", "kref-nested.kref"},
	    {"selinux", "selinux.pol"},	 {"bpf-bytecode", "bpf-bytecode.bpf"}};

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		_cleanup_free_ char *fp =
		    xasprintf("%s/guests/formats/%s.yaml", FAULTLINE_SOURCE_DIR, pairs[i][0]);
		_cleanup_free_ char *sp =
		    xasprintf("%s/scenarios/content/%s", FAULTLINE_SOURCE_DIR, pairs[i][1]);
		_cleanup_free_ uint8_t *data = NULL, *out = NULL;
		struct format_node *root = NULL;
		struct format *f = NULL;
		struct diags d = {0};
		char *err = NULL;
		size_t size, osize;

		ck_assert_int_eq(format_load(fp, &d, &f), 0);
		ck_assert_int_eq(read_file(sp, 1 << 20, &data, &size), 0);
		if (format_decode(f, data, size, &root, &err) < 0)
			ck_abort_msg("%s as %s: %s", pairs[i][1], pairs[i][0], err);
		ck_assert_uint_eq(root->size, size);
		ck_assert_int_eq(format_encode(f, root, true, true, &out, &osize), 0);
		ck_assert_uint_eq(osize, size);
		ck_assert_mem_eq(out, data, size);
		format_node_free(root);
		format_free(f);
		diags_finish(&d);
	}
}
END_TEST

static void decode_fails(const uint8_t *d, size_t n, const char *needle)
{
	struct format *f = load_kscu();
	struct format_node *root = NULL;
	char *err = NULL;

	ck_assert_int_eq(format_decode(f, d, n, &root, &err), -EINVAL);
	ck_assert_ptr_null(root);
	if (!strstr(err, needle))
		ck_abort_msg("'%s' not in '%s'", needle, err);
	free(err);
	format_free(f);
}

START_TEST(test_decode_errors)
{
	uint8_t b[sizeof(seed) + 1];

	decode_fails(seed, 0, "magic at offset 0: needs 4 bytes, 0 left");
	decode_fails(seed, 40, "payload at offset 32: payload_len says 22 bytes, 8 left");
	memcpy(b, seed, sizeof(seed));
	b[0] = 'X';
	decode_fails(b, sizeof(seed), "magic at offset 0 is 0x55435358, expected 0x5543534b");
	memcpy(b, seed, sizeof(seed));
	b[sizeof(seed)] = 0;
	decode_fails(b, sizeof(seed) + 1, "1 trailing bytes after offset 54");
	memcpy(b, seed, sizeof(seed));
	b[8] = 0xff; /* instance_count 255 */
	decode_fails(b, sizeof(seed), "instances at offset 32: instance_count says 255");
	memcpy(b, seed, sizeof(seed));
	b[32] = 0; /* inst_len 0 */
	decode_fails(b, sizeof(seed), "inst_len = 0 does not fit");
}
END_TEST

START_TEST(test_fix_checksums_raw)
{
	struct format *f = load_kscu();
	uint8_t b[sizeof(seed)];

	memcpy(b, seed, sizeof(seed));
	b[16] = b[17] = 0;
	ck_assert_int_eq(format_fix_checksums_raw(f, b, sizeof(b)), 1);
	ck_assert_mem_eq(b, seed, sizeof(seed));
	/* clipped range: a truncated file still gets a CRC over what is there */
	ck_assert_int_eq(format_fix_checksums_raw(f, b, 20), 1);
	ck_assert_uint_eq(format_crc32(NULL, 0), 0);
	ck_assert_uint_eq(b[16] | b[17] | b[18] | b[19], 0);
	/* too short to hold the checksum field */
	ck_assert_int_eq(format_fix_checksums_raw(f, b, 10), 0);
	format_free(f);
}
END_TEST

static void format_error(const char *yaml, unsigned line, unsigned col, const char *needle)
{
	struct diags d = {0};
	struct format *f = NULL;

	ck_assert_int_eq(format_parse("t.yaml", yaml, strlen(yaml), &d, &f), -EINVAL);
	ck_assert_ptr_null(f);
	ck_assert_uint_ge(d.n, 1);
	for (size_t i = 0; i < d.n; i++)
		if (strstr(d.v[i].message, needle)) {
			ck_assert_str_eq(d.v[i].file, "t.yaml");
			if (d.v[i].line != line || d.v[i].column != col)
				ck_abort_msg("'%s' at %u:%u, expected %u:%u", d.v[i].message,
					     d.v[i].line, d.v[i].column, line, col);
			diags_finish(&d);
			return;
		}
	ck_abort_msg("'%s' not in '%s'", needle, d.v[0].message);
}

START_TEST(test_format_errors)
{
	format_error("", 1, 1, "missing format: NAME");
	format_error("format: x\nfields: [{name: a, type: u33}]\n", 2, 26, "unknown type 'u33'");
	format_error("format: x\nfields:\n  - {name: a, type: u32, offset: 0}\n"
		     "  - {name: b, type: u16, offset: 2}\n",
		     4, 5,
		     "declared at offset 2 but the fields before it end at 4; fields overlap");
	format_error("format: x\nfields:\n  - {name: a, type: u32}\n  - {name: a, type: u16}\n", 4,
		     5, "duplicate field name 'a'");
	format_error("format: x\nfields:\n  - {name: n, type: u8, count_of: r}\n", 3, 5,
		     "count_of 'r': no such field");
	format_error("format: x\nfields:\n  - {name: n, type: u8, count_of: r}\n"
		     "  - {name: r, type: u8}\n",
		     3, 5, "that field is not repeated");
	format_error("format: x\nfields:\n  - {name: d, type: bytes}\n"
		     "  - {name: n, type: u8, length_of: d}\n",
		     3, 5, "has no size and is not last");
	format_error("format: x\nfields:\n  - {name: n, type: bytes, count_of: r}\n", 3, 5,
		     "has a role but is not an integer");
	format_error("format: x\nfields:\n  - {name: r, type: record, repeated: true, fields: "
		     "[{name: d, type: bytes}]}\n",
		     3, 5, "can be empty");
	format_error("format: x\nfields:\n  - {name: c, type: u16, checksum: {algorithm: crc32, "
		     "over: c2}}\n  - {name: c2, type: u8}\n",
		     3, 36, "must be u32");
	format_error("format: x\nfields:\n  - {name: a, type: u8, colour: red}\n", 3, 25,
		     "unknown key 'colour' in a format field");
	format_error("format: x\nfields:\n  - {name: h, type: record, size: 2, fields: [{name: "
		     "a, type: u32}]}\n",
		     3, 5, "has size 2 but its fields take 4 bytes");
	format_error("format: x\nfields: [{name: 'a b', type: u8}]\n", 2, 17, "bad field name");
	format_error("format: x\nfields: {a: 1}\n", 2, 9, "fields must be a list");
	format_error("- 1\n", 1, 1, "must be a map");
}
END_TEST

/* Errors in the syntax for unions, counts, offsets from a base, pointers, relations and magic
 * values, each located. */
#define HDR "format: x\nfields:\n  - {name: t, type: u8}\n"
START_TEST(test_new_syntax_errors)
{
	format_error(HDR "  - {name: b, type: union, cases: [{name: c, when: 1, fields: [{name: "
			 "x, type: u8}]}]}\n",
		     4, 5, "needs switch: FIELD");
	format_error(HDR "  - {name: b, switch: t, cases: [{name: c, fields: [{name: x, type: "
			 "u8}]}]}\n",
		     4, 34, "without when:");
	format_error(HDR "  - {name: b, switch: nope, cases: [{name: c, when: 1, fields: [{name: "
			 "x, type: u8}]}]}\n",
		     4, 5, "switch 'nope': no such field");
	format_error(HDR "  - {name: b, switch: t, cases: [{name: c, when: 1, fields: [{name: x, "
			 "type: u8}]}, {name: d, when: [2, 1], fields: [{name: y, type: u8}]}]}\n",
		     4, 85, "tag value 1 already selects case 'c'");
	format_error(HDR "  - {name: b, switch: t, cases: [{name: c, when: default, fields: "
			 "[{name: x, type: u8}]}, {name: d, when: default, fields: [{name: y, "
			 "type: u8}]}]}\n",
		     4, 91, "two default cases");
	format_error(HDR "  - {name: b, type: u8, when: 3}\n", 4, 31, "when: applies to the cases");
	format_error(HDR "  - {name: s, type: u16, equals: 't + * 2'}\n", 4, 34, "bad equals");
	format_error(HDR "  - {name: s, type: u16, equals: 'size(nope) + 2'}\n", 4, 5,
		     "equals: no field 'nope'");
	format_error(HDR "  - {name: s, type: u16, equals: 'count(t)'}\n", 4, 5,
		     "count(t): that field is not repeated");
	format_error(HDR "  - {name: a, type: u8, repeated: false, count: 3}\n", 4, 49,
		     "count: applies to repeated fields");
	format_error(HDR "  - {name: o, type: u8, from: t}\n", 4, 31, "from: applies to offset_of");
	format_error(HDR "  - {name: o, type: u8, points_into: nope}\n", 4, 5,
		     "points_into 'nope': no such field");
	format_error(HDR "  - {name: o, type: bytes, size: 2, magic: [1]}\n", 4, 44,
		     "magic: on a field applies to integer fields only");
	format_error("format: x\nmagic: [1, [2]]\nfields: [{name: a, type: u8}]\n", 2, 12,
		     "bad magic value");
	format_error(HDR "  - {name: c, type: u8, count_of: r}\n  - {name: r, type: u8, repeated: "
			 "true, count: 2}\n",
		     5, 5, "has count: and is counted by 'c'");
	/* a case's field named like a field around the union: a path would reach only that */
	format_error(HDR
		     "  - {name: x, type: u8}\n  - {name: b, switch: t, cases: [{name: c, when: "
		     "1, fields: [{name: x, type: u8}]}]}\n",
		     5, 62, "field 'x' of case 'c' shadows the field 'x' at line 4");
	format_error(HDR "  - {name: b, switch: t, cases: [{name: c, when: 1, fields: [{name: c, "
			 "type: u8}]}]}\n",
		     4, 62, "named like the record or case it is in");
	/* keys that would be ignored are errors */
	format_error(HDR "  - {name: r, type: bytes, size: 2, endian: big}\n", 4, 45,
		     "a bytes field has no byte order");
	format_error(HDR "  - {name: b, switch: t, cases: [{name: c, when: 1, offset: 1, fields: "
			 "[{name: x, type: u8}]}]}\n",
		     4, 61, "offset: on a case");
}

/* A record's endian: is the default of the fields inside it. */
START_TEST(test_record_endian)
{
	struct diags d = {0};
	struct format *f = NULL;
	struct format_node *root = NULL;
	static const char y[] = "format: x\nfields:\n  - {name: a, type: u16}\n"
				"  - {name: r, endian: big, fields: [{name: b, type: u16}, {name: "
				"c, type: u16le}]}\n";

	ck_assert_int_eq(format_parse("f.yaml", y, strlen(y), &d, &f), 0);
	ck_assert_int_eq(
	    format_decode(f, (const uint8_t *)"\x01\x02\x01\x02\x01\x02", 6, &root, NULL), 0);
	ck_assert_uint_eq(root->kids[0]->value, 0x0201);
	ck_assert_uint_eq(root->kids[1]->kids[0]->value, 0x0102);
	ck_assert_uint_eq(root->kids[1]->kids[1]->value, 0x0201);
	format_node_free(root);
	format_free(f);
	diags_finish(&d);
}
END_TEST

static void yaml_error(const char *yaml, size_t len, unsigned line, unsigned col,
		       const char *needle)
{
	struct diags d = {0};
	struct ynode *doc = NULL;

	ck_assert_int_eq(ynode_parse("y", yaml, len, &d, &doc), -EINVAL);
	ck_assert_uint_eq(d.n, 1);
	if (!strstr(d.v[0].message, needle))
		ck_abort_msg("'%s' not in '%s'", needle, d.v[0].message);
	ck_assert_uint_eq(d.v[0].line, line);
	ck_assert_uint_eq(d.v[0].column, col);
	diags_finish(&d);
}

START_TEST(test_hostile_yaml)
{
	char deep[400];
	size_t n = 0;

	yaml_error("a: &x [1]\nb: *x\n", 16, 2, 4, "aliases");
	for (int i = 0; i < 100; i++)
		deep[n++] = '[';
	deep[n] = 0;
	yaml_error(deep, n, 1, 65, "nested too deeply");
	yaml_error("a: \xff\xfe\n", 6, 1, 4, "invalid");
	yaml_error("a: [1, 2\n", 9, 2, 1, "YAML syntax error");
	yaml_error("a: 1\na: 2\n", 10, 2, 1, "duplicate key 'a' (first at line 1)");
	yaml_error("a: 1\n---\nb: 2\n", 14, 2, 1, "more than one YAML document");
	yaml_error("{[1]: 2}\n", 9, 1, 2, "map keys must be plain strings");
}
END_TEST

/* Every repeated key of a file is reported, each at the repeat, in every reader's input; the
 * first value stands. */
START_TEST(test_repeated_keys)
{
	static const char text[] = "a: 1\nb: {c: 1, d: 2, c: 3}\na: 4\nlist:\n  - {x: 1, x: 2}\n";
	struct diags d = {0};
	struct ynode *doc = NULL;

	ck_assert_int_eq(ynode_parse("y", text, strlen(text), &d, &doc), -EINVAL);
	ck_assert_ptr_null(doc);
	ck_assert_uint_eq(d.n, 3);
	ck_assert_str_eq(d.v[0].message,
			 "duplicate key 'c' (first at line 2); expected each key once per map");
	ck_assert_uint_eq(d.v[0].line, 2);
	ck_assert_uint_eq(d.v[0].column, 17);
	ck_assert_uint_eq(d.v[1].line, 3);
	ck_assert_uint_eq(d.v[1].column, 1);
	ck_assert_ptr_nonnull(strstr(d.v[1].message, "duplicate key 'a' (first at line 1)"));
	ck_assert_uint_eq(d.v[2].line, 5);
	ck_assert_uint_eq(d.v[2].column, 12);
	diags_finish(&d);
	/* a format description gets the same */
	format_error("format: x\nfields: [{name: a, type: u8}]\nformat: y\n", 3, 1,
		     "duplicate key 'format' (first at line 1)");
	/* the same key in different maps is no repeat */
	ck_assert_int_eq(ynode_parse("y", "a: {a: 1}\nb: {a: 2}\n", 20, &d, &doc), 0);
	ck_assert_uint_eq(d.n, 0);
	ynode_free(doc);
}
END_TEST

START_TEST(test_numbers)
{
	struct ynode n = {.kind = YNODE_SCALAR};
	uint64_t v;
	int64_t i;

#define NUM(s) (n.scalar = (char *)(s), n.scalar_len = strlen(s), &n)
	ck_assert_int_eq(ynode_uint(NUM("0x_ff"), 255, &v), 0);
	ck_assert_uint_eq(v, 255);
	ck_assert_int_eq(ynode_uint(NUM("0x100"), 255, &v), -ERANGE);
	ck_assert_int_eq(ynode_uint(NUM("18446744073709551616"), UINT64_MAX, &v), -ERANGE);
	ck_assert_int_eq(ynode_uint(NUM("18446744073709551615"), UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(ynode_uint(NUM("0b101"), 10, &v), 0);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_eq(ynode_uint(NUM("12abc"), 1000, &v), -EINVAL);
	ck_assert_int_eq(ynode_uint(NUM(""), 1000, &v), -EINVAL);
	ck_assert_int_eq(ynode_int(NUM("-9223372036854775808"), &i), 0);
	ck_assert_int_eq(i, INT64_MIN);
	ck_assert_int_eq(ynode_int(NUM("-9223372036854775809"), &i), -ERANGE);
#undef NUM
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("format");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_kscu_roundtrip);
	tcase_add_test(tc, test_kscu_real_seeds);
	tcase_add_test(tc, test_shipped_seeds_roundtrip);
	tcase_add_test(tc, test_decode_errors);
	tcase_add_test(tc, test_fix_checksums_raw);
	tcase_add_test(tc, test_format_errors);
	tcase_add_test(tc, test_new_syntax_errors);
	tcase_add_test(tc, test_record_endian);
	tcase_add_test(tc, test_hostile_yaml);
	tcase_add_test(tc, test_repeated_keys);
	tcase_add_test(tc, test_numbers);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
