/* test-shrink.c — the shrinking logic of `faultline minimize` against fake oracles (no guest):
 * ddmin ends 1-minimal, the ops stage keeps only the mutation that matters and the explanation
 * names it in the format's terms, a field revert that the format cannot decode is never asked
 * and the step says so, the steps are deterministic, and a stopped oracle leaves the best
 * input so far. */
#include <check.h>
#include <string.h>

#include "config.h"
#include "format.h"
#include "mutate.h"
#include "shrink.h"
#include "testlib.h"
#include "util.h"

/* ---- the KSCU seed and a quickstart-like case made of four mutations ---- */

#define CASE_OPS                                                                                   \
	"[{\"op\":\"drop\",\"at\":\"instances[0].fields[last]\"},"                                 \
	"{\"op\":\"set\",\"at\":\"flags\",\"value\":7},"                                           \
	"{\"op\":\"set\",\"at\":\"instances[1].fields[0].data\",\"value\":\"sshx\"},"              \
	"{\"op\":\"bitflip\",\"offset\":90,\"bit\":3}]"

static struct format *fmt;
static uint8_t *seed;
static size_t seed_size;

static void load_kscu(void)
{
	struct diags d = {0};
	_cleanup_free_ char *path =
	    xasprintf("%s/scenarios/content/basic.kscu", FAULTLINE_SOURCE_DIR);

	ck_assert_int_eq(format_load(FAULTLINE_SOURCE_DIR "/guests/formats/kscu.yaml", &d, &fmt),
			 0);
	ck_assert_int_eq(read_file(path, 1 << 20, &seed, &seed_size), 0);
	diags_finish(&d);
}

static void unload_kscu(void)
{
	fmt = format_free(fmt);
	free(seed);
	seed = NULL;
}

static void make_case(const char *ops, uint8_t **ret, size_t *ret_size)
{
	_cleanup_free_ char *path =
	    xasprintf("%s/scenarios/content/basic.kscu", FAULTLINE_SOURCE_DIR);
	_cleanup_free_ char *err = NULL;

	ck_assert_msg(mutate_replay(ops, FAULTLINE_SOURCE_DIR "/guests/formats/kscu.yaml", path,
				    ret, ret_size, &err) == 0,
		      "%s", err ? err : "");
}

/* ---- fake oracles ---- */

struct fake {
	bool (*fails)(struct fake *f, const uint8_t *d, size_t n); /* the same signature? */
	size_t calls, runs, max_batch;
	size_t stop_after;	   /* 0: never; else -ECANCELED once this many runs were answered */
	size_t undecodable_fields; /* fields-stage candidates the format could not decode */
	const uint8_t *cur;	   /* bytes mode: the failing input */
	size_t cur_size;
};

static int oracle(void *userdata, const struct shrink_candidate *c, size_t n,
		  struct shrink_answer *ret)
{
	struct fake *f = userdata;

	f->calls++;
	if (n > f->max_batch)
		f->max_batch = n;
	for (size_t i = 0; i < n; i++) {
		struct format_node *t = NULL;

		if (f->stop_after && f->runs >= f->stop_after)
			return -ECANCELED;
		if (fmt && streq(c[i].stage, "fields") &&
		    format_decode(fmt, c[i].data, c[i].size, &t, NULL) < 0)
			f->undecodable_fields++;
		format_node_free(t);
		ret[i].done = true;
		ret[i].same = f->fails(f, c[i].data, c[i].size);
		ret[i].verdict = xstrdup(ret[i].same ? "crash" : "accepted");
		ret[i].title = ret[i].same ? xstrdup("BUG: fake") : NULL;
		ret[i].where = xasprintf("step-%zu", c[i].step);
		f->runs++;
	}
	return 0;
}

/* The legacy sensor's bug: instance 0 supplies fewer fields than template 1 declares. */
static bool legacy_fails(struct fake *f, const uint8_t *d, size_t n)
{
	struct format_node *t = NULL, **v = NULL;
	size_t nv = 0;
	char *err = NULL;
	bool fails = false;

	(void)f;
	if (format_decode(fmt, d, n, &t, NULL) == 0 &&
	    format_node_find(t, "instances[0].fields", &v, &nv, &err) == 1)
		fails = v[0]->n_kids < 3;
	free(v);
	free(err);
	format_node_free(t);
	return fails;
}

static bool has_line(const struct shrink_result *r, const char *line)
{
	for (size_t i = 0; i < r->n_explanation; i++)
		if (streq(r->explanation[i], line))
			return true;
	return false;
}

/* Shrink data (made from s by ops, when known) against the fake oracle f. */
static void run_with(const struct format *format, const uint8_t *s, size_t ns, const uint8_t *data,
		     size_t size, const char *ops, struct fake *f, size_t batch_max,
		     struct shrink_result *ret)
{
	struct shrink_config cfg = {.format = format,
				    .seed = s,
				    .seed_size = ns,
				    .mutations_json = ops,
				    .data = data,
				    .size = size,
				    .oracle = oracle,
				    .userdata = f,
				    .batch_max = batch_max};

	ck_assert_int_eq(shrink_run(&cfg, ret), 0);
}

static void run_kscu(const char *ops, struct fake *f, size_t batch_max, struct shrink_result *ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;

	make_case(ops, &data, &size);
	run_with(fmt, seed, seed_size, data, size, ops, f, batch_max, ret);
}

/* ---- tests ---- */

START_TEST(ops_to_the_one_field)
{
	struct fake f = {.fails = legacy_fails};
	struct shrink_result r;
	_cleanup_free_ uint8_t *want = NULL;
	size_t want_size;

	load_kscu();
	run_kscu(CASE_OPS, &f, 8, &r);
	make_case("[{\"op\":\"drop\",\"at\":\"instances[0].fields[last]\"}]", &want, &want_size);
	ck_assert(!r.stopped && !r.seed_fails);
	ck_assert_uint_eq(r.size, want_size);
	ck_assert_mem_eq(r.data, want, want_size);
	ck_assert_uint_eq(r.n_explanation, 1);
	ck_assert_str_eq(r.explanation[0],
			 "instances[0]: field_count 3 -> 2 (template 1 declares 3 input fields)");
	/* the seed, two ddmin rounds over four ops; the fields stage only repeats the seed */
	ck_assert_uint_eq(r.oracle_runs, 5);
	ck_assert_str_eq(r.steps[0].stage, "seed");
	/* {drop, flags} alone, then {drop} alone: the two steps kept */
	ck_assert(r.steps[1].kept && r.steps[3].kept);
	ck_assert_str_eq(r.steps[3].what,
			 "keep 1 of 2 mutations: #1 drop instances[0].fields[last]");
	ck_assert(!r.steps[0].same);
	for (size_t i = 0; i < r.n_steps; i++)
		if (r.steps[i].how == SHRINK_RAN)
			ck_assert_str_eq(r.steps[i].title ? r.steps[i].title : "",
					 r.steps[i].same ? "BUG: fake" : "");
	shrink_result_finish(&r);
	unload_kscu();
}
END_TEST

/* Each difference of the minimal input, reverted alone, loses the signature. */
static void assert_1_minimal(struct fake *f, const struct shrink_result *r)
{
	for (size_t i = 0; i < r->size && i < seed_size; i++) {
		uint8_t *d;

		if (r->data[i] == seed[i])
			continue;
		d = xmemdup(r->data, r->size);
		d[i] = seed[i];
		ck_assert_msg(!f->fails(f, d, r->size), "byte %zu can go", i);
		free(d);
	}
}

/* Fails while bytes 40, 41 and 90 keep the input's values (no format: bytes only). */
static bool three_bytes(struct fake *f, const uint8_t *d, size_t n)
{
	return n == f->cur_size && d[40] == f->cur[40] && d[41] == f->cur[41] &&
	       d[90] == f->cur[90];
}

START_TEST(ddmin_bytes_1_minimal)
{
	struct fake f = {.fails = three_bytes};
	struct shrink_result r;
	uint8_t *cur;

	load_kscu();
	cur = xmemdup(seed, seed_size);
	for (size_t i = 33; i < seed_size; i += 3)
		cur[i] ^= 0x5a; /* about 23 changed bytes */
	cur[40] ^= 1;
	cur[41] ^= 2;
	cur[90] ^= 4;
	f.cur = cur;
	f.cur_size = seed_size;
	run_with(NULL, seed, seed_size, cur, seed_size, NULL, &f, 4, &r);
	ck_assert(three_bytes(&f, r.data, r.size));
	for (size_t i = 0; i < seed_size; i++)
		ck_assert_msg((r.data[i] != seed[i]) == (i == 40 || i == 41 || i == 90), "byte %zu",
			      i);
	assert_1_minimal(&f, &r);
	ck_assert_uint_le(f.max_batch, 4);
	ck_assert_str_eq(r.explanation[0], "bytes 40-41: 0x0100 -> 0x0002");
	shrink_result_finish(&r);
	free(cur);
	unload_kscu();
}
END_TEST

/* A bit flip that breaks decoding (instance 0's inst_len): named by the seed's field, with
 * the reason the input does not decode. */
static bool inst_len_flipped(struct fake *f, const uint8_t *d, size_t n)
{
	(void)f;
	return n > 33 && d[33] == 0x01;
}

START_TEST(blind_flip_named_by_field)
{
	struct fake f = {.fails = inst_len_flipped};
	struct shrink_result r;

	load_kscu();
	run_kscu("[{\"op\":\"bitflip\",\"offset\":33,\"bit\":0}]", &f, 8, &r);
	ck_assert_uint_eq(r.n_notes, 1); /* no field stage: it does not decode */
	ck_assert_ptr_nonnull(strstr(r.notes[0], "the input does not decode as kscu"));
	ck_assert_uint_ge(r.n_explanation, 2);
	ck_assert(has_line(&r, "instances[0]: inst_len 37 -> 293 (bit 8 flipped)"));
	shrink_result_finish(&r);

	/* a field with a description: said with the seed's other fields */
	run_kscu("[{\"op\":\"bitflip\",\"offset\":37,\"bit\":3}]", &f, 8, &r);
	ck_assert(has_line(&r, "instances[0]: field_count 3 -> 2051 (bit 11 flipped; template 1 "
			       "declares 3 input fields)"));
	ck_assert_ptr_nonnull(
	    strstr(r.explanation[r.n_explanation - 1], "it does not decode as kscu: "));
	shrink_result_finish(&r);
	unload_kscu();
}
END_TEST

/* A changed name with the checksum left stale (a build that checks it rejects the file, one that
 * does not reads the name): the fields stage keeps both, the stale checksum named as such. */
static bool srhd_stale(struct fake *f, const uint8_t *d, size_t n)
{
	uint8_t *fixed = xmemdup(d, n);
	bool stale;

	(void)f;
	format_fix_checksums_raw(fmt, fixed, n);
	stale = memcmp(fixed, d, n) != 0;
	free(fixed);
	return n > 82 && d[82] == 'r' && stale;
}

START_TEST(stale_checksum_kept)
{
	struct fake f = {.fails = srhd_stale};
	struct shrink_result r;

	load_kscu();
	run_kscu("[{\"op\":\"set\",\"at\":\"instances[1].fields[0].data\",\"value\":\"srhd\","
		 "\"checksum\":\"stale\"},{\"op\":\"set\",\"at\":\"flags\",\"value\":1}]",
		 &f, 8, &r);
	ck_assert_uint_eq(r.n_explanation, 2);
	ck_assert_str_eq(r.explanation[0], "crc32 0x5039c7e0 left as in the seed (stale: what it "
					   "covers gives 0x87db47b8)");
	ck_assert_str_eq(r.explanation[1], "instances[1].fields[0]: data \"sshd\" -> \"srhd\"");
	shrink_result_finish(&r);
	unload_kscu();
}
END_TEST

/* A format whose u8 total overflows when one field is reverted without the other. */
static const char tiny_yaml[] = "format: tiny\n"
				"fields:\n"
				"  - {name: total, type: u8, length_of: body}\n"
				"  - name: body\n"
				"    type: record\n"
				"    fields:\n"
				"      - {name: a_len, type: u8, length_of: a}\n"
				"      - {name: a, type: bytes}\n"
				"      - {name: b_len, type: u8, length_of: b}\n"
				"      - {name: b, type: bytes}\n";

static uint8_t *tiny(size_t a, size_t b, size_t *ret_size)
{
	size_t n = 1 + 1 + a + 1 + b;
	uint8_t *d = xzalloc(n);

	d[0] = (uint8_t)(n - 1);
	d[1] = (uint8_t)a;
	memset(d + 2, 'a', a);
	d[2 + a] = (uint8_t)b;
	memset(d + 3 + a, 'b', b);
	*ret_size = n;
	return d;
}

static bool b_is_long(struct fake *f, const uint8_t *d, size_t n)
{
	struct format_node *t = NULL;
	bool fails = false;

	(void)f;
	if (format_decode(fmt, d, n, &t, NULL) == 0)
		fails = t->kids[1]->kids[3]->len == 200;
	format_node_free(t);
	return fails;
}

START_TEST(revert_undecodable_is_said)
{
	struct fake f = {.fails = b_is_long};
	struct diags d = {0};
	struct shrink_result r;
	size_t ns, nc;
	_cleanup_free_ uint8_t *s = tiny(100, 10, &ns), *c = tiny(10, 200, &nc);
	bool said = false;

	ck_assert_int_eq(format_parse("tiny.yaml", tiny_yaml, strlen(tiny_yaml), &d, &fmt), 0);
	run_with(fmt, s, ns, c, nc, NULL, &f, 0, &r);
	/* keeping b's change alone reverts a to 100 bytes: 1+100+1+200 does not fit total's u8 */
	ck_assert_uint_eq(f.undecodable_fields, 0);
	for (size_t i = 0; i < r.n_steps; i++)
		if (streq(r.steps[i].stage, "fields") && r.steps[i].how == SHRINK_NOT_RUN) {
			ck_assert_ptr_nonnull(strstr(r.steps[i].note, "tiny cannot decode it"));
			ck_assert(!r.steps[i].same);
			said = true;
		}
	ck_assert(said);
	ck_assert_uint_eq(r.size, nc); /* nothing smaller decodes and fails */
	ck_assert_mem_eq(r.data, c, nc);
	ck_assert_uint_eq(r.n_explanation, 2);
	ck_assert_str_eq(r.explanation[0],
			 "a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"... (100 bytes) -> \"aaaaaaaaaa\"");
	ck_assert_str_eq(r.explanation[1],
			 "b \"bbbbbbbbbb\" -> \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"... (200 bytes)");
	shrink_result_finish(&r);
	fmt = format_free(fmt);
	diags_finish(&d);
}
END_TEST

static void same_steps(const struct shrink_result *a, const struct shrink_result *b)
{
	ck_assert_uint_eq(a->n_steps, b->n_steps);
	ck_assert_str_eq(a->sha256, b->sha256);
	for (size_t i = 0; i < a->n_steps; i++) {
		ck_assert_str_eq(a->steps[i].what, b->steps[i].what);
		ck_assert_str_eq(a->steps[i].sha256, b->steps[i].sha256);
		ck_assert_int_eq(a->steps[i].how, b->steps[i].how);
		ck_assert_int_eq(a->steps[i].same, b->steps[i].same);
		ck_assert_int_eq(a->steps[i].kept, b->steps[i].kept);
	}
}

START_TEST(deterministic)
{
	struct fake f1 = {.fails = legacy_fails}, f2 = {.fails = legacy_fails};
	struct fake f3 = {.fails = legacy_fails};
	struct shrink_result a, b, c;

	load_kscu();
	run_kscu(CASE_OPS, &f1, 8, &a);
	run_kscu(CASE_OPS, &f2, 8, &b);
	same_steps(&a, &b);
	/* one candidate at a time: other steps, the same input in the end */
	run_kscu(CASE_OPS, &f3, 1, &c);
	ck_assert_uint_eq(f3.max_batch, 1);
	ck_assert_str_eq(a.sha256, c.sha256);
	shrink_result_finish(&a);
	shrink_result_finish(&b);
	shrink_result_finish(&c);
	unload_kscu();
}
END_TEST

START_TEST(stopped_keeps_best)
{
	struct fake f = {.fails = legacy_fails, .stop_after = 3};
	struct shrink_result r;
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;

	load_kscu();
	run_kscu(CASE_OPS, &f, 2, &r);
	make_case(CASE_OPS, &data, &size);
	ck_assert(r.stopped);
	/* seed, then {drop, flags} failed the same way: kept; the next round was stopped */
	ck_assert(legacy_fails(&f, r.data, r.size));
	ck_assert_uint_lt(r.size, size + 1);
	ck_assert_uint_eq(r.oracle_runs, 3);
	ck_assert_uint_ge(r.n_explanation, 1);
	ck_assert(has_line(&r, "flags 0 -> 7"));
	ck_assert(r.steps[1].kept);
	ck_assert_int_eq(r.steps[r.n_steps - 1].how, SHRINK_NOT_RUN);
	ck_assert_str_eq(r.steps[r.n_steps - 1].note, "stopped before it ran");
	shrink_result_finish(&r);
	unload_kscu();
}
END_TEST

static bool always(struct fake *f, const uint8_t *d, size_t n)
{
	(void)f;
	(void)d;
	(void)n;
	return true;
}

START_TEST(seed_fails_too)
{
	struct fake f = {.fails = always};
	struct shrink_result r;

	load_kscu();
	run_kscu(CASE_OPS, &f, 8, &r);
	ck_assert(r.seed_fails);
	ck_assert_uint_eq(r.oracle_runs, 1);
	ck_assert_uint_eq(r.size, seed_size);
	ck_assert_str_eq(r.explanation[0], "no difference from the seed");
	shrink_result_finish(&r);
	unload_kscu();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shrink");
	TCase *tc = tcase_create("shrink");

	tcase_add_test(tc, ops_to_the_one_field);
	tcase_add_test(tc, ddmin_bytes_1_minimal);
	tcase_add_test(tc, blind_flip_named_by_field);
	tcase_add_test(tc, revert_undecodable_is_said);
	tcase_add_test(tc, stale_checksum_kept);
	tcase_add_test(tc, deterministic);
	tcase_add_test(tc, stopped_keeps_best);
	tcase_add_test(tc, seed_fails_too);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
