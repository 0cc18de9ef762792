/* test-format-lang.c — the format language's computed relations, C strings, flag-bit cases and
 * ranges, on a small rule pack (tests/data/format/lang.yaml): an XOR-and-shift check and a size
 * in words checked on decode and recomputed on encode; a table of NUL-terminated names whose
 * offsets follow their strings; a rule with two flag bits set read by the first case whose bits
 * match; counts whose ranges decoding checks and set each tries on both sides. */
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

	ck_assert_int_eq(format_load(FAULTLINE_TEST_DATA "/format/lang.yaml", &d, &fmt), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_int_eq(
	    read_file(FAULTLINE_TEST_DATA "/format/lang.bin", 1 << 20, &seed, &seed_size), 0);
	ck_assert_uint_eq(seed_size, 41);
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

static void decode_fails(const uint8_t *d, size_t n, const char *needle)
{
	struct format_node *root = NULL;
	char *err = NULL;

	ck_assert_int_eq(format_decode(fmt, d, n, &root, &err), -EINVAL);
	if (!strstr(err, needle))
		ck_abort_msg("'%s' not in '%s'", needle, err);
	free(err);
}

/* The one input ops make from the seed, decoded. */
static struct format_node *one(const char *ops, uint8_t **ret, size_t *ret_size)
{
	struct diags d = {0};
	struct mutate_list *l = NULL;
	struct mutate_result a = {0};
	struct format_node *root;

	ck_assert_int_eq(mutate_list_parse_text(ops, "ops", "/", &d, &l), 0);
	if (mutate_expand(l, fmt, seed, seed_size, 1, "ops", &d, &a) < 0)
		ck_abort_msg("%s: %s", ops, d.n ? d.v[0].message : "failed");
	ck_assert_uint_eq(a.n, 1);
	root = decode(a.v[0].data, a.v[0].size);
	if (ret) {
		*ret = TAKE_PTR(a.v[0].data);
		*ret_size = a.v[0].size;
	}
	mutate_result_finish(&a);
	mutate_list_free(l);
	diags_finish(&d);
	return root;
}

START_TEST(test_lang_roundtrip)
{
	struct format_node *root = decode(seed, seed_size);
	_cleanup_free_ uint8_t *out = NULL;
	size_t size;

	ck_assert_uint_eq(val(root, "check"), (0x13 ^ 0x5a) | (2 << 8));
	ck_assert_uint_eq(val(root, "rule_words"), 3);
	ck_assert_uint_eq(at(root, "names[1]")->len, 4);
	ck_assert_mem_eq(at(root, "names[1]")->bytes, "open", 4);
	ck_assert_uint_eq(at(root, "names[1]")->size, 5); /* its NUL */
	ck_assert_int_eq(format_encode(fmt, root, true, true, &out, &size), 0);
	ck_assert_uint_eq(size, seed_size);
	ck_assert_mem_eq(out, seed, size);
	format_node_free(root);
}
END_TEST

/* A relation is checked when decoding: a check that does not match the key is an error. */
START_TEST(test_lang_relation_checked)
{
	_cleanup_free_ uint8_t *d = xmemdup(seed, seed_size);

	d[5] = 0x14; /* the key, without its check */
	decode_fails(d, seed_size, "check at offset 6 is 585, its equals: gives 590");
	d[5] = 0x13;
	d[10] = 4; /* rules take 3 words */
	decode_fails(d, seed_size, "rule_words at offset 10 is 4, its equals: gives 3");
}
END_TEST

/* ...and recomputed on encode after whatever changed what it reads. */
START_TEST(test_lang_relation_fixed_up)
{
	struct format_node *root;

	root = one("{op: set, at: key, value: 0xff}", NULL, NULL);
	ck_assert_uint_eq(val(root, "check"), (0xff ^ 0x5a) | (2 << 8));
	format_node_free(root);
	root = one("{op: duplicate, at: 'names[1]'}", NULL, NULL);
	ck_assert_uint_eq(val(root, "check"), (0x13 ^ 0x5a) | (3 << 8));
	format_node_free(root);
	root = one("{op: duplicate, at: 'rules[0]'}", NULL, NULL);
	ck_assert_uint_eq(val(root, "rule_words"), (18 + 3) / 4);
	format_node_free(root);
	/* set pins it: the check is wrong on purpose, and the input no longer decodes */
	{
		struct diags d = {0};
		struct mutate_list *l = NULL;
		struct mutate_result a = {0};
		struct format_node *r = NULL;
		char *err = NULL;

		ck_assert_int_eq(
		    mutate_list_parse_text("{op: set, at: check, value: 1}", "ops", "/", &d, &l),
		    0);
		ck_assert_int_eq(mutate_expand(l, fmt, seed, seed_size, 1, "ops", &d, &a), 0);
		ck_assert_int_eq(format_decode(fmt, a.v[0].data, a.v[0].size, &r, &err), -EINVAL);
		free(err);
		mutate_result_finish(&a);
		mutate_list_free(l);
	}
}
END_TEST

/* Offsets into a table of C strings follow their strings, not single bytes. */
START_TEST(test_lang_cstring_table)
{
	struct format_node *root;
	uint8_t *out = NULL;
	size_t size;

	root = one("{op: drop, at: 'names[0]'}", &out, &size);
	ck_assert_uint_eq(size, seed_size - 5);
	ck_assert_uint_eq(val(root, "rules[0].name_off"), 0); /* "open" moved to the start */
	format_node_free(root);
	free(out);
	root = one("{op: set, at: 'names[0]', value: \"execve\"}", &out, &size);
	ck_assert_uint_eq(val(root, "rules[0].name_off"), 7);
	ck_assert_mem_eq(out + 12, "execve\0open\0", 12);
	format_node_free(root);
	free(out);
	/* a string without its NUL */
	decode_fails(seed, 20, "names at offset 17: no NUL before the end");
}
END_TEST

/* An absolute offset into any rule follows its rule when rules move, and dangles (keeps its
 * value) when its rule is dropped. */
START_TEST(test_lang_absolute_pointer)
{
	struct format_node *root = decode(seed, seed_size);

	ck_assert_uint_eq(val(root, "entry"), 25);
	ck_assert(at(root, "entry")->has_ref);
	ck_assert_uint_eq(at(root, "entry")->ref_delta, 3);
	format_node_free(root);
	root = one("{op: drop, at: 'names[0]'}", NULL, NULL);
	ck_assert_uint_eq(val(root, "entry"), 20);
	format_node_free(root);
	root = one("{op: swap, at: 'rules[0]', with: 'rules[1]'}", NULL, NULL);
	ck_assert_uint_eq(val(root, "entry"), 29);
	ck_assert_uint_eq(val(root, "rules[1].wide_arg"), 1);
	format_node_free(root);
	root = one("{op: duplicate, at: 'rules[0]'}", NULL, NULL);
	ck_assert_uint_eq(val(root, "entry"), 25); /* the original, not its copy */
	format_node_free(root);
	root = one("[{op: duplicate, at: 'names[1]'}, {op: drop, at: 'rules[0]'}]", NULL, NULL);
	ck_assert_uint_eq(val(root, "entry"), 25); /* dangles as the mutation meant */
	format_node_free(root);
}
END_TEST

/* solve: on a field without equals: is an error. */
static void check_solve_error(void)
{
	struct diags d = {0};
	struct mutate_list *l = NULL;
	struct mutate_result a = {0};

	ck_assert_int_eq(
	    mutate_list_parse_text("{op: set, at: key, value: 1, solve: true}", "ops", "/", &d, &l),
	    0);
	ck_assert_int_eq(mutate_expand(l, fmt, seed, seed_size, 1, "ops", &d, &a), -EINVAL);
	ck_assert_ptr_nonnull(strstr(d.v[0].message, "solve: applies to an equals: field"));
	mutate_list_free(l);
	diags_finish(&d);
}

/* Expand ops on a seed with format f; the one input, or NULL when it does not decode. */
static struct format_node *solve_one(struct format *f, const uint8_t *d, size_t n, const char *ops)
{
	struct diags dg = {0};
	struct mutate_list *l = NULL;
	struct mutate_result a = {0};
	struct format_node *r = NULL;

	ck_assert_int_eq(mutate_list_parse_text(ops, "ops", "/", &dg, &l), 0);
	if (mutate_expand(l, f, d, n, 1, "ops", &dg, &a) < 0)
		ck_abort_msg("%s: %s", ops, dg.n ? dg.v[0].message : "?");
	ck_assert_uint_eq(a.n, 1);
	if (format_decode(f, a.v[0].data, a.v[0].size, &r, NULL) < 0)
		r = NULL;
	mutate_result_finish(&a);
	mutate_list_free(l);
	diags_finish(&dg);
	return r;
}

/* set ... solve: true keeps a relation's field at the value given and solves the one free field
 * of its expression for it, undoing ^, +, -, ~ and odd factors; where it cannot (two free
 * fields, an | on the way, a solution too wide), the value is kept alone and the input does
 * not decode, as a set value would. */
START_TEST(test_lang_solve)
{
	static const char y[] = "format: s\nfields:\n  - {name: k, type: u8}\n"
				"  - {name: c, type: u8, count_of: xs}\n"
				"  - {name: check, type: u16, equals: \"((k ^ 0x5a) + count(xs) * "
				"3) * 5\"}\n"
				"  - {name: xs, type: u8, repeated: true}\n";
	static const uint8_t s0[] = {0x13, 2, 0x8b, 0x01, 7, 8};
	struct diags d = {0};
	struct format *f = NULL;
	struct format_node *r;

	ck_assert_int_eq(format_parse("s.yaml", y, strlen(y), &d, &f), 0);
	r = solve_one(f, s0, sizeof(s0), "{op: set, at: check, value: 640, solve: true}");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->kids[0]->value, 0x20); /* ((0x20 ^ 0x5a) + 6) * 5 = 640 */
	ck_assert_uint_eq(r->kids[2]->value, 640);
	format_node_free(r);
	/* the solution needs more than the key's 8 bits: kept, does not decode */
	ck_assert_ptr_null(
	    solve_one(f, s0, sizeof(s0), "{op: set, at: check, value: 0x1234, solve: true}"));
	format_free(f);
	/* lang's check goes through |: not undone */
	ck_assert_ptr_null(
	    solve_one(fmt, seed, seed_size, "{op: set, at: check, value: 0x0300, solve: true}"));
	check_solve_error();
	diags_finish(&d);
}
END_TEST

/* References: an index into a table and a key of an element, checked on decode, kept on their
 * element when elements move or keys change. */
START_TEST(test_lang_references)
{
	_cleanup_free_ uint8_t *d = xmemdup(seed, seed_size);
	struct format_node *root = decode(seed, seed_size);
	char *err = NULL;

	ck_assert_uint_eq(val(root, "sets[0].set_rule"), 1);
	ck_assert_uint_eq(val(root, "default_set"), 0x20);
	format_node_free(root);
	root = one("{op: swap, at: 'rules[0]', with: 'rules[1]'}", NULL, NULL);
	ck_assert_uint_eq(val(root, "sets[0].set_rule"), 0);
	ck_assert_uint_eq(val(root, "sets[1].set_rule"), 1);
	format_node_free(root);
	root = one("{op: set, at: 'sets[1].set_id', value: 0x30}", NULL, NULL);
	ck_assert_uint_eq(val(root, "default_set"), 0x30);
	format_node_free(root);
	root = one("{op: swap, at: 'sets[0]', with: 'sets[1]'}", NULL, NULL);
	ck_assert_uint_eq(val(root, "default_set"), 0x20);
	format_node_free(root);
	/* its set dropped, the reference dangles: the input does not decode, as meant */
	{
		struct diags dg = {0};
		struct mutate_list *l = NULL;
		struct mutate_result a = {0};

		ck_assert_int_eq(
		    mutate_list_parse_text("{op: drop, at: 'sets[1]'}", "ops", "/", &dg, &l), 0);
		ck_assert_int_eq(mutate_expand(l, fmt, seed, seed_size, 1, "ops", &dg, &a), 0);
		ck_assert_int_eq(format_decode(fmt, a.v[0].data, a.v[0].size, &root, &err),
				 -EINVAL);
		ck_assert_ptr_nonnull(strstr(err, "no element of sets has set_id 32"));
		free(err);
		mutate_result_finish(&a);
		mutate_list_free(l);
	}
	/* set each names no element too: one past the end of rules, a set id no set has */
	{
		struct diags dg = {0};
		struct mutate_list *l = NULL;
		struct mutate_result a = {0};
		bool past = false, unused = false;

		ck_assert_int_eq(mutate_list_parse_text("[{op: set, at: 'sets[1].set_rule', value: "
							"each}]",
							"ops", "/", &dg, &l),
				 0);
		ck_assert_int_eq(mutate_expand(l, fmt, seed, seed_size, 1, "ops", &dg, &a), 0);
		for (size_t i = 0; i < a.n; i++) /* sets[1] names rules[0]: not +1 */
			past |= strstr(a.v[i].json, "\"value\":2}") != NULL;
		mutate_result_finish(&a);
		mutate_list_free(l);
		ck_assert_int_eq(mutate_list_parse_text("{op: set, at: default_set, value: each}",
							"ops", "/", &dg, &l),
				 0);
		ck_assert_int_eq(mutate_expand(l, fmt, seed, seed_size, 1, "ops", &dg, &a), 0);
		for (size_t i = 0; i < a.n; i++) /* 0x21 (the same bytes as +1, kept first) */
			unused |= a.v[i].data[40] == 0x21;
		mutate_result_finish(&a);
		mutate_list_free(l);
		diags_finish(&dg);
		ck_assert(past && unused);
	}
	d[40] = 0x11;
	decode_fails(d, seed_size, "default_set at offset 40 is 17, but no element of sets has");
	d[40] = 0x20;
	d[37] = 2;
	decode_fails(d, seed_size,
		     "sets[0].set_rule at offset 37 is 2, not the index of an element");
}
END_TEST

/* Union cases on flag bits: 0x81 has the wide bit and the short pattern; the first case in
 * order whose bits match wins; tags no mask matches take the default. */
START_TEST(test_lang_flag_cases)
{
	_cleanup_free_ uint8_t *d = xmemdup(seed, seed_size);
	_cleanup_free_ struct format_node **v = NULL;
	struct format_node *root = decode(seed, seed_size);
	size_t n = 0;
	char *err = NULL;

	ck_assert_uint_eq(val(root, "rules[0].wide_arg"), 1);
	ck_assert_uint_eq(val(root, "rules[1].short_arg"), 7);
	ck_assert_int_eq(format_node_find(root, "rules[*].wide_arg", &v, &n, &err), 1);
	format_node_free(root);
	/* 0x85: bit 7 set, low bits 01: still wide */
	d[22] = 0x85;
	root = decode(d, seed_size);
	ck_assert_uint_eq(val(root, "rules[0].wide_arg"), 1);
	format_node_free(root);
	/* 0x03 on the second rule: no case's bits match, the default (no body) leaves a byte */
	d[29] = 0x03;
	decode_fails(d, seed_size, "trailing bytes");
}
END_TEST

/* set each on a flag tag tries each flag case's bits set (the other flags kept) and cleared:
 * on rules[1].rflags (0x01, short), the wide bit set gives 0x81, which no magic: names. */
START_TEST(test_lang_flag_values)
{
	struct diags d = {0};
	struct mutate_list *l = NULL;
	struct mutate_result a = {0};
	struct format_node *root;
	bool wide = false;

	ck_assert_int_eq(mutate_list_parse_text("{op: set, at: 'rules[1].rflags', value: each}",
						"ops", "/", &d, &l),
			 0);
	ck_assert_int_eq(mutate_expand(l, fmt, seed, seed_size, 1, "ops", &d, &a), 0);
	for (size_t i = 0; i < a.n; i++)
		if (strstr(a.v[i].json, "\"value\":129}")) {
			wide = true;
			ck_assert_uint_eq(a.v[i].data[29], 0x81);
		}
	ck_assert(wide);
	ck_assert_uint_ge(a.n_same_as_seed, 1); /* short's bits as they are: the seed */
	mutate_result_finish(&a);
	mutate_list_free(l);
	diags_finish(&d);
	root = decode(seed, seed_size);
	ck_assert_uint_eq(val(root, "rules[1].rflags"), 1);
	format_node_free(root);
}
END_TEST

/* Declared flag bits (bits:, and a union's mask: cases on its tag): set each tries them in
 * combination, the undeclared bits kept: none, all, each pair (flags is 0x00 in the seed; 0x4c,
 * 0x0c, 0x44 and 0x48 are no boundary, magic or single-bit value). */
START_TEST(test_lang_flag_bits)
{
	static const uint64_t want[] = {0x4c, 0x0c, 0x44, 0x48};
	struct diags d = {0};
	struct mutate_list *l = NULL;
	struct mutate_result a = {0};
	struct format_node *root = decode(seed, seed_size);
	_cleanup_free_ uint64_t *bits = NULL, *tag_bits = NULL;

	ck_assert_uint_eq(format_flag_bits(fmt, at(root, "flags")->item, &bits), 3);
	ck_assert_uint_eq(bits[1], 0x08);
	ck_assert_uint_eq(format_flag_bits(fmt, at(root, "rules[0].rflags")->item, &tag_bits), 2);
	ck_assert_uint_eq(tag_bits[0] | tag_bits[1], 0x83);
	format_node_free(root);
	ck_assert_int_eq(
	    mutate_list_parse_text("{op: set, at: flags, value: each}", "ops", "/", &d, &l), 0);
	ck_assert_int_eq(mutate_expand(l, fmt, seed, seed_size, 1, "ops", &d, &a), 0);
	for (size_t w = 0; w < ARRAY_SIZE(want); w++) {
		bool found = false;
		for (size_t i = 0; i < a.n && !found; i++)
			found = a.v[i].data[4] == want[w];
		ck_assert_msg(found, "set each does not try flags = %#llx",
			      (unsigned long long)want[w]);
	}
	mutate_result_finish(&a);
	mutate_list_free(l);
	diags_finish(&d);
}
END_TEST

/* Ranges: decoding checks them; set each tries both sides of both ends. */
START_TEST(test_lang_ranges)
{
	struct diags d = {0};
	struct mutate_list *l = NULL;
	struct mutate_result a = {0};
	bool seen8 = false, seen9 = false, seen5 = false;

	ck_assert_int_eq(
	    mutate_list_parse_text("[{op: set, at: n_names, value: each}]", "ops", "/", &d, &l), 0);
	ck_assert_int_eq(mutate_expand(l, fmt, seed, seed_size, 1, "ops", &d, &a), 0);
	for (size_t i = 0; i < a.n; i++) {
		seen8 |= strstr(a.v[i].json, "\"value\":8}") != NULL;
		seen9 |= strstr(a.v[i].json, "\"value\":9}") != NULL;
	}
	ck_assert(seen8 && seen9);
	mutate_result_finish(&a);
	mutate_list_free(l);
	ck_assert_int_eq(
	    mutate_list_parse_text("{op: set, at: n_rules, value: each}", "ops", "/", &d, &l), 0);
	ck_assert_int_eq(mutate_expand(l, fmt, seed, seed_size, 1, "ops", &d, &a), 0);
	for (size_t i = 0; i < a.n; i++)
		seen5 |= strstr(a.v[i].json, "\"value\":5}") != NULL;
	ck_assert(seen5);
	mutate_result_finish(&a);
	mutate_list_free(l);
	diags_finish(&d);

	{
		_cleanup_free_ uint8_t *b = xmemdup(seed, seed_size);
		b[8] = 0; /* no names: below the range (and the counts no longer agree) */
		decode_fails(b, seed_size, "n_names at offset 8 is 0, outside its range [1, 8]");
	}
}
END_TEST

/* The expression language: C's precedence, parentheses, unary operators, errors located. */
static void expr_is(const char *expr, uint8_t want)
{
	_cleanup_free_ char *y = xasprintf("format: e\nfields:\n  - {name: a, type: u8}\n"
					   "  - {name: x, type: u8, equals: \"%s\"}\n",
					   expr);
	struct diags d = {0};
	struct format *f = NULL;
	struct format_node *root = NULL;
	uint8_t data[2] = {6, want};
	char *err = NULL;

	if (format_parse("e.yaml", y, strlen(y), &d, &f) < 0)
		ck_abort_msg("%s: %s", expr, d.n ? d.v[0].message : "?");
	if (format_decode(f, data, 2, &root, &err) < 0)
		ck_abort_msg("%s: %s", expr, err);
	format_node_free(root);
	data[1] = (uint8_t)(want + 1);
	ck_assert_int_eq(format_decode(f, data, 2, &root, &err), -EINVAL);
	free(err);
	format_free(f);
	diags_finish(&d);
}

static void expr_bad(const char *expr)
{
	_cleanup_free_ char *y = xasprintf("format: e\nfields:\n  - {name: a, type: u8}\n"
					   "  - {name: x, type: u8, equals: \"%s\"}\n",
					   expr);
	struct diags d = {0};
	struct format *f = NULL;

	ck_assert_int_eq(format_parse("e.yaml", y, strlen(y), &d, &f), -EINVAL);
	ck_assert_uint_ge(d.n, 1);
	ck_assert_uint_eq(d.v[0].line, 4);
	diags_finish(&d);
}

START_TEST(test_lang_expressions)
{
	expr_is("1 + 2 * 3", 7);
	expr_is("(1 + 2) * 3", 9);
	expr_is("a * a - 1", 35);
	expr_is("~a & 0xff", 0xf9);
	expr_is("a >> 1 | 8", 11);
	expr_is("a << 4 ^ 0x5a", 0x3a);
	expr_is("a % 4 - -1", 3);
	expr_is("(a + 3) / 4", 2);
	expr_is("a / 0", 0);
	expr_is("1 + 2 & 3", 3);
	expr_bad("a +");
	expr_bad("(a + 1");
	expr_bad("a ** 2");
	expr_bad("size(a");
	expr_bad("((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))");
}
END_TEST

static void lang_error(const char *fields, unsigned line, const char *needle)
{
	_cleanup_free_ char *y =
	    xasprintf("format: e\nfields:\n  - {name: t, type: u8}\n%s", fields);
	struct diags d = {0};
	struct format *f = NULL;

	ck_assert_int_eq(format_parse("e.yaml", y, strlen(y), &d, &f), -EINVAL);
	ck_assert_uint_ge(d.n, 1);
	if (!strstr(d.v[0].message, needle))
		ck_abort_msg("'%s' not in '%s'", needle, d.v[0].message);
	ck_assert_uint_eq(d.v[0].line, line);
	diags_finish(&d);
}

START_TEST(test_lang_errors)
{
	lang_error("  - {name: s, type: cstring, size: 4}\n", 4, "ends at its NUL");
	lang_error("  - {name: s, type: u8, range: [4, 2]}\n", 4, "bad range");
	lang_error("  - {name: s, type: u8, range: [1, 300]}\n", 4, "bad range");
	lang_error("  - {name: s, type: u8, range: [1, 3], max: 2}\n", 4, "say the same");
	lang_error("  - {name: s, type: bytes, size: 1, max: 2}\n", 4, "apply to integer fields");
	lang_error("  - {name: s, type: u8, mask: 2}\n", 4, "mask: applies to the cases");
	lang_error("  - {name: s, type: bytes, size: 1, bits: [1]}\n", 4, "integer fields only");
	lang_error("  - {name: s, type: u8, bits: [0x100]}\n", 4, "bad bits mask");
	lang_error("  - {name: s, type: u8, bits: [0]}\n", 4, "bad bits mask");
	lang_error("  - {name: s, type: u8, bits: 3}\n", 4, "list of masks");
	lang_error("  - {name: b, switch: t, cases: [{name: c, mask: 3, when: 4, fields: "
		   "[{name: x, type: u8}]}]}\n",
		   4, "bits outside its mask");
	lang_error("  - {name: b, switch: t, cases: [{name: c, mask: 0, fields: "
		   "[{name: x, type: u8}]}]}\n",
		   4, "bad mask");
}
END_TEST

/* A recursive type: nodes inside nodes, each level found by path, counted and fixed up, and
 * nesting past the depth bound a decode error. */
START_TEST(test_tree_recursion)
{
	struct diags d = {0};
	struct format *t = NULL;
	struct format_node *root = NULL, *n;
	_cleanup_free_ uint8_t *data = NULL, *out = NULL;
	_cleanup_free_ struct format_node **v = NULL;
	size_t size, osize, nv = 0;
	struct mutate_list *l = NULL;
	struct mutate_result a = {0};
	char *err = NULL;
	/* a chain of 6 nodes: 5 levels below the top, one more than the bound */
	static const uint8_t deep[] = {1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0,
				       1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0};

	ck_assert_int_eq(format_load(FAULTLINE_TEST_DATA "/format/tree.yaml", &d, &t), 0);
	ck_assert_int_eq(read_file(FAULTLINE_TEST_DATA "/format/tree.bin", 1 << 20, &data, &size),
			 0);
	if (format_decode(t, data, size, &root, &err) < 0)
		ck_abort_msg("%s", err);
	ck_assert_int_eq(format_node_find(root, "nodes[0].kids[1].kids[0].value", &v, &nv, &err),
			 1);
	ck_assert_uint_eq(v[0]->value, 5);
	n = v[0];
	{
		_cleanup_free_ char *path = format_node_path(n);
		ck_assert_str_eq(path, "nodes[0].kids[1].kids[0].value");
	}
	ck_assert_int_eq(format_node_find(root, "nodes[*].kids[*].value", &v, &nv, &err), 2);
	ck_assert_int_eq(format_encode(t, root, true, true, &out, &osize), 0);
	ck_assert_mem_eq(out, data, size);
	format_node_free(root);

	/* a copy of the deepest node: its parent's count follows */
	ck_assert_int_eq(mutate_list_parse_text("{op: duplicate, at: 'nodes[0].kids[1].kids[0]'}",
						"ops", "/", &d, &l),
			 0);
	ck_assert_int_eq(mutate_expand(l, t, data, size, 1, "ops", &d, &a), 0);
	ck_assert_uint_eq(a.v[0].size, size + 4);
	ck_assert_uint_eq(a.v[0].data[10], 2); /* nodes[0].kids[1].n_kids */
	ck_assert_int_eq(format_decode(t, a.v[0].data, a.v[0].size, &root, &err), 0);
	format_node_free(root);
	mutate_result_finish(&a);
	mutate_list_free(l);

	ck_assert_int_eq(format_decode(t, deep, sizeof(deep), &root, &err), -EINVAL);
	if (!strstr(err, "nested deeper than its depth: 4"))
		ck_abort_msg("%s", err);
	free(err);
	format_free(t);
	diags_finish(&d);
	/* recurse: names an enclosing record, and the field repeats */
	lang_error("  - name: r\n    repeated: true\n    fields: [{name: a, type: u8}, {name: k, "
		   "recurse: nope, repeated: true}]\n",
		   6, "recurse 'nope': no enclosing record");
	lang_error("  - name: r\n    repeated: true\n    fields: [{name: a, type: u8}, {name: k, "
		   "recurse: r}]\n",
		   6, "must be repeated");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("format-lang");
	TCase *tc = tcase_create("format-lang");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_lang_roundtrip);
	tcase_add_test(tc, test_lang_relation_checked);
	tcase_add_test(tc, test_lang_relation_fixed_up);
	tcase_add_test(tc, test_lang_cstring_table);
	tcase_add_test(tc, test_lang_flag_cases);
	tcase_add_test(tc, test_lang_absolute_pointer);
	tcase_add_test(tc, test_lang_references);
	tcase_add_test(tc, test_lang_solve);
	tcase_add_test(tc, test_lang_ranges);
	tcase_add_test(tc, test_lang_flag_values);
	tcase_add_test(tc, test_lang_flag_bits);
	tcase_add_test(tc, test_lang_expressions);
	tcase_add_test(tc, test_lang_errors);
	tcase_add_test(tc, test_tree_recursion);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
