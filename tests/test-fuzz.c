/* test-fuzz.c — the campaign's pure parts (harness/fuzz): the coverage map's new-coverage logic
 * and merge, calibration, the corpus on disk and its scheduler, and that a step is a function of
 * the PRNG state (same seed and same outcomes, same campaign), and the work handed to the
 * guests of a --jobs campaign. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bitmap.h"
#include "cmplog.h"
#include "corpus.h"
#include "dispatch.h"
#include "format.h"
#include "mutate.h"
#include "step.h"
#include "testlib.h"
#include "util.h"

#define SIZE 256

START_TEST(test_buckets)
{
	static const uint8_t in[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 127, 128, 255};
	static const uint8_t out[] = {0, 1, 2, 4, 8, 8, 16, 16, 32, 32, 64, 64, 128, 128};

	for (size_t i = 0; i < sizeof(in); i++)
		ck_assert_uint_eq(fuzz_bucket(in[i]), out[i]);
}
END_TEST

START_TEST(test_news_and_merge)
{
	struct fuzz_bitmap b;
	uint8_t e[SIZE] = {0}, k[SIZE] = {0};

	fuzz_bitmap_init(&b, SIZE);
	/* nothing covered is no news */
	ck_assert_int_eq(fuzz_bitmap_news(&b, e, k), FUZZ_NEWS_NONE);
	e[3] = 1, k[9] = 1;
	ck_assert_int_eq(fuzz_bitmap_news(&b, e, k), FUZZ_NEWS_EDGES);
	/* news does not change the map; merge does, once */
	ck_assert_int_eq(fuzz_bitmap_news(&b, e, k), FUZZ_NEWS_EDGES);
	ck_assert_int_eq(fuzz_bitmap_merge(&b, e, k), FUZZ_NEWS_EDGES);
	ck_assert_uint_eq(b.n_edges, 1);
	ck_assert_uint_eq(b.n_blocks, 1);
	ck_assert_int_eq(fuzz_bitmap_merge(&b, e, k), FUZZ_NEWS_NONE);
	/* the same edge in the same bucket (1) is nothing; in a new bucket (4-7) is counts */
	e[3] = 5;
	ck_assert_int_eq(fuzz_bitmap_news(&b, e, k), FUZZ_NEWS_COUNTS);
	ck_assert_int_eq(fuzz_bitmap_merge(&b, e, k), FUZZ_NEWS_COUNTS);
	ck_assert_uint_eq(b.n_edges, 1);
	e[3] = 6; /* same bucket as 5 */
	ck_assert_int_eq(fuzz_bitmap_news(&b, e, k), FUZZ_NEWS_NONE);
	/* a new edge beside a known one is edges news; a known block alone is not */
	e[200] = 1;
	ck_assert_int_eq(fuzz_bitmap_merge(&b, e, k), FUZZ_NEWS_EDGES);
	ck_assert_uint_eq(b.n_edges, 2);
	memset(e, 0, sizeof(e));
	ck_assert_int_eq(fuzz_bitmap_news(&b, e, k), FUZZ_NEWS_NONE);
	k[10] = 3;
	ck_assert_int_eq(fuzz_bitmap_merge(&b, e, k), FUZZ_NEWS_EDGES);
	ck_assert_uint_eq(b.n_blocks, 2);
	fuzz_bitmap_finish(&b);
}
END_TEST

START_TEST(test_calibrate_and_save)
{
	struct fuzz_bitmap b, c;
	uint8_t e1[SIZE] = {0}, e2[SIZE] = {0}, k[SIZE] = {0};
	_cleanup_free_ char *path = xasprintf("%s/map.bin", testlib_tmpdir());

	fuzz_bitmap_init(&b, SIZE);
	e1[1] = 1, e2[1] = 1; /* stable */
	e1[2] = 3, e2[2] = 9; /* a periodic probe: same edge, other bucket */
	ck_assert_uint_eq(fuzz_bitmap_calibrate(&b, e1, k, e2, k), 0);
	ck_assert_uint_eq(fuzz_trace_hash(e1, k, SIZE, false), fuzz_trace_hash(e2, k, SIZE, false));
	ck_assert_uint_ne(fuzz_trace_hash(e1, k, SIZE, true), fuzz_trace_hash(e2, k, SIZE, true));
	fuzz_bitmap_merge(&b, e1, k);
	/* a variable edge in yet another bucket is not news; a stable one is */
	e1[2] = 40;
	ck_assert_int_eq(fuzz_bitmap_news(&b, e1, k), FUZZ_NEWS_NONE);
	e1[1] = 2;
	ck_assert_int_eq(fuzz_bitmap_news(&b, e1, k), FUZZ_NEWS_COUNTS);
	/* an edge one run had and the other not: the seed covers different code */
	e2[7] = 1;
	ck_assert_uint_eq(fuzz_bitmap_calibrate(&b, e1, k, e2, k), 1);

	/* resume: saved and loaded, the same decisions */
	ck_assert_int_eq(fuzz_bitmap_save(&b, path), 0);
	fuzz_bitmap_init(&c, SIZE);
	ck_assert_int_eq(fuzz_bitmap_load(&c, path), 0);
	ck_assert_uint_eq(c.n_edges, b.n_edges);
	ck_assert_int_eq(memcmp(c.variable, b.variable, SIZE), 0);
	ck_assert_int_eq(fuzz_bitmap_news(&c, e1, k), fuzz_bitmap_news(&b, e1, k));
	fuzz_bitmap_finish(&c);
	/* a map of another size is refused */
	fuzz_bitmap_init(&c, SIZE * 2);
	ck_assert_int_eq(fuzz_bitmap_load(&c, path), -EBADMSG);
	fuzz_bitmap_finish(&c);
	fuzz_bitmap_finish(&b);
}
END_TEST

static struct corpus *corpus_with(const char *dir, size_t n)
{
	struct corpus *c;

	ck_assert_int_eq(corpus_open(dir, &c), 0);
	for (size_t i = c->n; i < n; i++) {
		uint8_t data[4] = {(uint8_t)i, 1, 2, 3};
		_cleanup_free_ char *name = xasprintf("in%zu", i);
		struct corpus_entry e = {
		    .data = data, .size = sizeof(data), .new_edges = i == 2 ? 50 : 1};
		ck_assert_int_eq(corpus_add(c, name, &e), (int)i);
	}
	return c;
}

START_TEST(test_corpus_disk)
{
	_cleanup_free_ char *dir = xasprintf("%s/corpus", testlib_tmpdir());
	_cleanup_free_ char *cut = xasprintf("%s/000003-cut.bin", dir);
	struct corpus *c = corpus_with(dir, 3), *again;

	ck_assert_str_eq(c->v[1].id, "000001-in1");
	ck_assert_str_eq(c->v[0].mutations_json, "[]");
	/* a .bin without its .json is a cut-off write: not loaded */
	ck_assert_int_eq(write_file_atomic(cut, "x", 1), 0);
	ck_assert_int_eq(corpus_open(dir, &again), 0);
	ck_assert_uint_eq(again->n, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_str_eq(again->v[i].id, c->v[i].id);
		ck_assert_uint_eq(again->v[i].size, 4);
		ck_assert_uint_eq(again->v[i].data[0], i);
		ck_assert_uint_eq(again->v[i].new_edges, c->v[i].new_edges);
	}
	corpus_free(again);
	corpus_free(c);
}
END_TEST

START_TEST(test_scheduling)
{
	_cleanup_free_ char *dir = xasprintf("%s/sched", testlib_tmpdir());
	struct corpus *c = corpus_with(dir, 4);
	size_t hits[4] = {0}, seq1[64], seq2[64];
	uint64_t rng = 42;

	/* every entry gets picked; the one that found the most coverage the most */
	for (size_t i = 0; i < 400; i++)
		hits[corpus_pick(c, &rng)]++;
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_gt(hits[i], 0);
	ck_assert_uint_gt(hits[2], hits[0]);
	ck_assert_uint_gt(hits[2], hits[3]);
	/* picks wear an entry out: after many, the others catch up */
	ck_assert_uint_gt(c->v[2].picks, c->v[0].picks);
	/* credit (a kept child) raises an entry's weight */
	for (size_t i = 0; i < 4; i++)
		c->v[i].picks = 0;
	for (int i = 0; i < 20; i++)
		corpus_credit(c, 3);
	memset(hits, 0, sizeof(hits));
	for (size_t i = 0; i < 100; i++)
		hits[corpus_pick(c, &rng)]++;
	ck_assert_uint_gt(hits[3], hits[0]);
	corpus_free(c);

	/* the same seed and the same corpus: the same picks */
	for (int run = 0; run < 2; run++) {
		_cleanup_free_ char *d = xasprintf("%s/det%d", testlib_tmpdir(), run);
		struct corpus *k = corpus_with(d, 4);
		uint64_t r = 7;

		for (size_t i = 0; i < 64; i++)
			(run ? seq2 : seq1)[i] = corpus_pick(k, &r);
		corpus_free(k);
	}
	ck_assert_int_eq(memcmp(seq1, seq2, sizeof(seq1)), 0);
}
END_TEST

static struct format *kscu(void)
{
	_cleanup_free_ char *path =
	    xasprintf("%s/guests/formats/kscu.yaml", getenv("FAULTLINE_SOURCE_DIR"));
	struct diags d = {0};
	struct format *f = NULL;

	ck_assert_int_eq(format_load(path, &d, &f), 0);
	diags_finish(&d);
	return f;
}

START_TEST(test_step_deterministic)
{
	_cleanup_free_ char *seed_path =
	    xasprintf("%s/scenarios/content/basic.kscu", getenv("FAULTLINE_SOURCE_DIR"));
	_cleanup_free_ uint8_t *seed = NULL;
	struct format *f = kscu();
	static const uint64_t imms[] = {0x1f2e, 7};
	const struct fuzz_step_ctx ctx = {.format = f, .imms = imms, .n_imms = 2};
	size_t size, differ = 0, structural = 0;

	ck_assert_int_eq(read_file(seed_path, 1 << 20, &seed, &size), 0);
	for (uint64_t s = 1; s <= 40; s++) {
		struct fuzz_mutant a, b;
		uint64_t ra = s, rb = s;

		ck_assert_int_eq(fuzz_step_mutate(&ctx, &ra, seed, size, &a), 0);
		ck_assert_int_eq(fuzz_step_mutate(&ctx, &rb, seed, size, &b), 0);
		/* the same state: the same bytes, the same mutations, the same state after */
		ck_assert_uint_eq(a.size, b.size);
		ck_assert_int_eq(memcmp(a.data, b.data, a.size), 0);
		ck_assert_str_eq(a.json, b.json);
		ck_assert_uint_eq(ra, rb);
		ck_assert_int_eq(a.json[0], '[');
		differ += a.size != size || memcmp(a.data, seed, size) != 0;
		structural += strstr(a.json, "\"at\"") != NULL;
		fuzz_mutant_finish(&a);
		fuzz_mutant_finish(&b);
	}
	/* the steps change the input, and the format is used */
	ck_assert_uint_gt(differ, 30);
	ck_assert_uint_gt(structural, 5);
	format_free(f);
}
END_TEST

START_TEST(test_step_replays)
{
	_cleanup_free_ char *seed_path =
	    xasprintf("%s/scenarios/content/basic.kscu", getenv("FAULTLINE_SOURCE_DIR"));
	_cleanup_free_ char *format_path =
	    xasprintf("%s/guests/formats/kscu.yaml", getenv("FAULTLINE_SOURCE_DIR"));
	_cleanup_free_ uint8_t *seed = NULL;
	struct format *f = kscu();
	const struct fuzz_step_ctx ctx = {.format = f};
	size_t size;

	ck_assert_int_eq(read_file(seed_path, 1 << 20, &seed, &size), 0);
	/* what a recorded case says regenerates its bytes from its parent (faultline replay) */
	for (uint64_t s = 100; s < 120; s++) {
		struct fuzz_mutant m;
		uint8_t *again = NULL;
		size_t n = 0;
		char *err = NULL;
		uint64_t r = s;

		ck_assert_int_eq(fuzz_step_mutate(&ctx, &r, seed, size, &m), 0);
		ck_assert_msg(mutate_replay(m.json, format_path, seed_path, &again, &n, &err) == 0,
			      "%s: %s", m.json, err ? err : "");
		ck_assert_uint_eq(n, m.size);
		ck_assert_int_eq(memcmp(again, m.data, n), 0);
		free(again);
		fuzz_mutant_finish(&m);
	}
	format_free(f);
}
END_TEST

START_TEST(test_cmplog_parse_and_candidates)
{
	struct fuzz_cmplog l, m;
	struct fuzz_i2s c[16];
	static const uint8_t in[] = {0x34, 0x12, 0x00, 0x00, 0x12, 0x34, 0x07};
	size_t n;

	ck_assert_int_eq(fuzz_cmplog_parse("10 2 1234 beef\n11 4 7 7\n", &l), -EINVAL); /* no end */
	ck_assert_int_eq(fuzz_cmplog_parse("10 4 1234 beef\n11 1 7 7\n12 4 ab\nend 0\n", &l), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert(!l.crashed);
	/* 0x1234 in both byte orders, at its smallest width (2) and its width (4); 7 == 7: none */
	n = fuzz_cmplog_candidates(&l, in, sizeof(in), c, 16);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(c[0].offset, 0);
	ck_assert_uint_eq(c[0].width, 2);
	ck_assert_int_eq(memcmp(c[0].bytes, "\xef\xbe", 2), 0);
	ck_assert_uint_eq(c[1].offset, 4);
	ck_assert_int_eq(memcmp(c[1].bytes, "\xbe\xef", 2), 0);
	ck_assert_uint_eq(c[2].width, 4);
	ck_assert_int_eq(memcmp(c[2].bytes, "\xef\xbe\x00\x00", 4), 0);
	ck_assert_uint_eq(c[3].offset, 2);
	ck_assert_int_eq(memcmp(c[3].bytes, "\x00\x00\xbe\xef", 4), 0);
	ck_assert_int_eq(fuzz_cmplog_parse("10 4 1 2\n13 4 1 2\nend 10b\n", &m), 0);
	ck_assert(m.crashed);
	ck_assert_uint_eq(fuzz_cmplog_new_sites(&l, &m), 1);
	ck_assert_uint_eq(fuzz_cmplog_new_sites(&m, &l), 1);
	fuzz_cmplog_finish(&l);
	fuzz_cmplog_finish(&m);
}
END_TEST

/* The emulator's operands (--cmplog emulator): the coverage file's ring read as the host build's
 * records are, and a mutant that writes one operand where the other's bytes are. */
START_TEST(test_i2s_from_emulator)
{
	enum { MAP = 256 };
	size_t len = COVFILE_HEADER_SIZE + 2 * MAP + 4 * sizeof(struct covfile_cmp);
	_cleanup_free_ struct covfile_header *h = xzalloc(len);
	struct covfile_cmp *ring = (void *)((uint8_t *)h + COVFILE_HEADER_SIZE + 2 * MAP);
	static const uint8_t in[] = {0x34, 0x12, 0x00, 0x00, 0x12, 0x34, 0x07};
	const struct fuzz_step_ctx ctx = {0};
	struct fuzz_cmplog l, none = {0};
	struct covfile_view v;
	struct fuzz_mutant m;
	uint64_t rng = 7;

	memcpy(h->magic, COVFILE_MAGIC, 8);
	h->version = COVFILE_VERSION;
	h->map_size = MAP;
	h->max_cmps = 4;
	h->n_cmps = 3;
	ring[0] = (struct covfile_cmp){.site = 10, .width = 2, .a = 0x1234, .b = 0xbeef};
	ring[1] = (struct covfile_cmp){.site = 11, .width = 3, .a = 1, .b = 2}; /* no such width */
	ring[2] = (struct covfile_cmp){.site = 12, .width = 1, .a = 7, .b = 7};
	ck_assert_int_eq(covfile_parse(h, len, &v), 0);
	fuzz_cmplog_from_covfile(&v, &l);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.v[0].site, 10);
	ck_assert_uint_eq(l.v[0].b, 0xbeef);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(fuzz_step_i2s(&ctx, &rng, &l, in, sizeof(in), &m), 0);
		ck_assert_uint_eq(m.size, sizeof(in));
		ck_assert(!memcmp(m.data, "\xef\xbe", 2) || !memcmp(m.data + 4, "\xbe\xef", 2));
		ck_assert_ptr_nonnull(strstr(m.json, "\"op\":\"write\""));
		fuzz_mutant_finish(&m);
	}
	/* nothing to replace: no mutant */
	ck_assert_int_eq(fuzz_step_i2s(&ctx, &rng, &none, in, sizeof(in), &m), -EINVAL);
	static const uint8_t other[] = {1, 2, 3};
	ck_assert_int_eq(fuzz_step_i2s(&ctx, &rng, &l, other, sizeof(other), &m), -EINVAL);
	fuzz_cmplog_finish(&l);
}
END_TEST

/* A field the file has once (kref's header flags) gets its share of the structural ops beside
 * the fields every section repeats: on the nested seed, 21 of 744 structural ops when a leaf is
 * drawn over fields, 7 of 928 when it was drawn over instances (seeds 1-2000). */
START_TEST(test_step_fields_drawn_evenly)
{
	const char *src = getenv("FAULTLINE_SOURCE_DIR");
	_cleanup_free_ char *seed_path = xasprintf("%s/scenarios/content/kref-nested.kref", src);
	_cleanup_free_ char *format_path = xasprintf("%s/guests/formats/kref.yaml", src);
	_cleanup_free_ uint8_t *seed = NULL;
	struct diags d = {0};
	struct format *f = NULL;
	size_t size, at_flags = 0, structural = 0;

	ck_assert_int_eq(format_load(format_path, &d, &f), 0);
	diags_finish(&d);
	ck_assert_int_eq(read_file(seed_path, 1 << 20, &seed, &size), 0);
	const struct fuzz_step_ctx ctx = {.format = f};
	for (uint64_t s = 1; s <= 2000; s++) {
		struct fuzz_mutant m;
		uint64_t r = s;

		ck_assert_int_eq(fuzz_step_mutate(&ctx, &r, seed, size, &m), 0);
		for (const char *p = m.json; (p = strstr(p, "\"at\":")); p++) {
			structural++;
			at_flags += startswith(p, "\"at\":\"flags\"");
		}
		fuzz_mutant_finish(&m);
	}
	ck_assert_uint_gt(structural, 500);
	ck_assert_msg(at_flags * 60 > structural, "flags got %zu of %zu structural ops", at_flags,
		      structural);
	format_free(f);
}
END_TEST

/* A check on two flag bits at once (kref's header flags 0x10 and 0x20, declared with bits:):
 * the flag op sets both in a valid input in about 1 step of 22 from the basic seed (92 of 2000);
 * without it, 7 of 2000 (set each: 0xff, 0xfe and the bits in combination). */
START_TEST(test_step_sets_flag_pairs)
{
	const char *src = getenv("FAULTLINE_SOURCE_DIR");
	_cleanup_free_ char *seed_path = xasprintf("%s/scenarios/content/kref-basic.kref", src);
	_cleanup_free_ char *format_path = xasprintf("%s/guests/formats/kref.yaml", src);
	_cleanup_free_ uint8_t *seed = NULL;
	struct diags d = {0};
	struct format *f = NULL;
	size_t size, pairs = 0;

	ck_assert_int_eq(format_load(format_path, &d, &f), 0);
	diags_finish(&d);
	ck_assert_int_eq(read_file(seed_path, 1 << 20, &seed, &size), 0);
	ck_assert_uint_eq(seed[5] & 0x30, 0);
	const struct fuzz_step_ctx ctx = {.format = f};
	for (uint64_t s = 1; s <= 2000; s++) {
		struct fuzz_mutant m;
		struct format_node *root = NULL;
		_cleanup_free_ char *err = NULL;
		uint64_t r = s;

		ck_assert_int_eq(fuzz_step_mutate(&ctx, &r, seed, size, &m), 0);
		if (m.size > 5 && (m.data[5] & 0x30) == 0x30 &&
		    format_decode(f, m.data, m.size, &root, &err) == 0)
			pairs++;
		format_node_free(root);
		fuzz_mutant_finish(&m);
	}
	ck_assert_msg(pairs >= 30, "both flag bits set in a valid input in %zu of 2000 steps",
		      pairs);
	format_free(f);
}
END_TEST

/* The kref sensor's data check (a weighted sum no field states): a mutant whose data changed
 * fails it; the input-to-state stage, through the host build's comparison operands, writes the
 * sum the parser computed where the stale one was, and the CRC is fixed up after it. */
START_TEST(test_cmplog_solves_computed_check)
{
	const char *src = getenv("FAULTLINE_SOURCE_DIR"), *build = getenv("FAULTLINE_BUILD_DIR");
	_cleanup_free_ char *seed_path = xasprintf("%s/scenarios/content/kref-basic.kref", src);
	_cleanup_free_ char *format_path = xasprintf("%s/guests/formats/kref.yaml", src);
	_cleanup_free_ char *prog = xasprintf("%s/guests/kref-cmplog", build);
	_cleanup_free_ uint8_t *seed = NULL;
	struct diags d = {0};
	struct format *f = NULL;
	size_t size, solved = 0;

	ck_assert_int_eq(format_load(format_path, &d, &f), 0);
	diags_finish(&d);
	ck_assert_int_eq(read_file(seed_path, 1 << 20, &seed, &size), 0);
	/* sections[0].data[0] (offset 33) from 0x11 to 0x91 */
	ck_assert_uint_eq(seed[33], 0x11);
	for (uint64_t s = 1; s <= 10; s++) {
		const struct fuzz_step_ctx ctx = {.format = f, .cmplog = prog};
		struct fuzz_cmplog_stats st = {0};
		struct fuzz_mutant m = {
		    .data = xmemdup(seed, size),
		    .size = size,
		    .json = xstrdup("[{\"op\":\"write\",\"offset\":33,\"hex\":\"91\"}]")};
		struct format_node *root = NULL;
		char *err = NULL;
		uint64_t r = s;

		m.data[33] = 0x91;
		fuzz_step_cmplog(&ctx, &r, &m, &st);
		ck_assert_uint_eq(st.failed, 0);
		ck_assert_uint_gt(st.runs, 0);
		/* the stale sum 0x5d67 gained 0x80: the parser's 0x5de7 is where it was */
		if (m.data[33] == 0x91 && m.data[31] == 0xe7 && m.data[32] == 0x5d) {
			solved++;
			/* and the input still decodes (the CRC was fixed up) */
			ck_assert_msg(format_decode(f, m.data, m.size, &root, &err) == 0, "%s",
				      err);
			format_node_free(root);
			ck_assert_ptr_nonnull(strstr(m.json, "\"write\""));
		}
		free(err);
		fuzz_mutant_finish(&m);
	}
	ck_assert_uint_ge(solved, 5);
	format_free(f);
}
END_TEST

/* Two guests, two seeds: the seeds go first, one each; a guest free while a seed runs waits
 * until the corpus has something; seeds_done is the finished prefix however they finish. */
START_TEST(test_dispatch_seeds_then_steps)
{
	struct fuzz_dispatch d;
	size_t s0 = 9, s1 = 9, s = 9;
	uint64_t n0, n1, n;

	fuzz_dispatch_init(&d, 2, 0, 0, 0, 0);
	ck_assert_int_eq(fuzz_dispatch_next(&d, false, &s0, &n0), FUZZ_WORK_SEED);
	ck_assert_int_eq(fuzz_dispatch_next(&d, false, &s1, &n1), FUZZ_WORK_SEED);
	ck_assert_uint_eq(s0, 0);
	ck_assert_uint_eq(s1, 1);
	ck_assert_uint_ne(n0, n1);
	/* a third guest: nothing to mutate yet, seeds running */
	ck_assert_int_eq(fuzz_dispatch_next(&d, false, &s, &n), FUZZ_WORK_WAIT);
	/* the second seed finishes first: not a prefix yet */
	fuzz_dispatch_done(&d, 1);
	ck_assert_uint_eq(d.seeds_done, 0);
	ck_assert_uint_eq(d.execs, 1);
	ck_assert_int_eq(fuzz_dispatch_next(&d, true, &s, &n), FUZZ_WORK_STEP);
	ck_assert_uint_eq(n, 2);
	fuzz_dispatch_done(&d, 0);
	ck_assert_uint_eq(d.seeds_done, 2);
	fuzz_dispatch_done(&d, SIZE_MAX);
	ck_assert_uint_eq(d.execs, 3);
	ck_assert_uint_eq(d.in_flight, 0);
	/* every seed done and an empty corpus (every seed failed): nothing to do */
	ck_assert_int_eq(fuzz_dispatch_next(&d, false, &s, &n), FUZZ_WORK_STOP);
	fuzz_dispatch_finish(&d);
}
END_TEST

/* An execution budget is never overrun by the guests in flight, an abandoned seed runs again,
 * a stop is final, and case ids are never handed out twice, resumed or not. */
START_TEST(test_dispatch_budget_and_resume)
{
	struct fuzz_dispatch d;
	size_t s = 9;
	uint64_t n, ids[4];

	fuzz_dispatch_init(&d, 1, 1, 10, 0, 12); /* resumed: seed done, 10 execs, no id saved */
	ck_assert_uint_eq(d.next_case, 10);
	ck_assert_int_eq(fuzz_dispatch_next(&d, true, &s, &ids[0]), FUZZ_WORK_STEP);
	ck_assert_int_eq(fuzz_dispatch_next(&d, true, &s, &ids[1]), FUZZ_WORK_STEP);
	ck_assert_uint_eq(ids[0], 10);
	ck_assert_uint_eq(ids[1], 11);
	/* two in flight fill the budget of 12 */
	ck_assert_int_eq(fuzz_dispatch_next(&d, true, &s, &n), FUZZ_WORK_STOP);
	fuzz_dispatch_abandon(&d, SIZE_MAX);
	ck_assert_int_eq(fuzz_dispatch_next(&d, true, &s, &ids[2]), FUZZ_WORK_STEP);
	ck_assert_uint_eq(ids[2], 12); /* the abandoned case's id is not reused */
	fuzz_dispatch_done(&d, SIZE_MAX);
	fuzz_dispatch_done(&d, SIZE_MAX);
	ck_assert_uint_eq(d.execs, 12);
	ck_assert_int_eq(fuzz_dispatch_next(&d, true, &s, &n), FUZZ_WORK_STOP);
	fuzz_dispatch_finish(&d);

	/* resumed with a saved next id past the executions (cases were in flight) */
	fuzz_dispatch_init(&d, 2, 0, 5, 7, 0);
	ck_assert_int_eq(fuzz_dispatch_next(&d, false, &s, &ids[3]), FUZZ_WORK_SEED);
	ck_assert_uint_eq(s, 0);
	ck_assert_uint_eq(ids[3], 7);
	fuzz_dispatch_abandon(&d, 0);
	ck_assert_int_eq(fuzz_dispatch_next(&d, false, &s, &n), FUZZ_WORK_SEED);
	ck_assert_uint_eq(s, 0); /* abandoned: it runs again */
	d.stop = true;
	ck_assert_int_eq(fuzz_dispatch_next(&d, true, &s, &n), FUZZ_WORK_STOP);
	fuzz_dispatch_finish(&d);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fuzz");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_buckets);
	tcase_add_test(tc, test_news_and_merge);
	tcase_add_test(tc, test_calibrate_and_save);
	tcase_add_test(tc, test_corpus_disk);
	tcase_add_test(tc, test_scheduling);
	tcase_add_test(tc, test_step_deterministic);
	tcase_add_test(tc, test_step_replays);
	tcase_add_test(tc, test_step_fields_drawn_evenly);
	tcase_add_test(tc, test_step_sets_flag_pairs);
	tcase_add_test(tc, test_cmplog_parse_and_candidates);
	tcase_add_test(tc, test_cmplog_solves_computed_check);
	tcase_add_test(tc, test_i2s_from_emulator);
	tcase_add_test(tc, test_dispatch_seeds_then_steps);
	tcase_add_test(tc, test_dispatch_budget_and_resume);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
