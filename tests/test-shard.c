/* test-shard.c — the split of a scenario's jobs into shards (harness/scenario/shard.h): every job
 * in exactly one shard, shards within one job of each other, the same split whatever order the
 * names come in, adding a case moves at most N-1 other jobs, a split pinned for the quickstart's
 * names so that it never changes by accident between versions, and --shard's parsing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"
#include "testlib.h"
#include "util.h"

#define PINNED "13221333322112"

static const char *const sensors[] = {"ksensor-legacy", "ksensor-hardened"};

/* n case ids "case-0000"..., the array and the ids the caller's (free_ids) */
static char **ids(size_t n)
{
	char **v = xcalloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		v[i] = xasprintf("case-%04zu", i);
	return v;
}

static void free_ids(char **v)
{
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static unsigned *assign(char **case_ids, size_t n_cases, unsigned n)
{
	unsigned *v = xcalloc(n_cases * 2 + 1, sizeof(*v));

	shard_assign(sensors, 2, (const char *const *)case_ids, n_cases, n, v);
	return v;
}

START_TEST(test_disjoint_covering_balanced)
{
	static const size_t cases[] = {0, 1, 2, 7, 50, 333};
	static const unsigned shards[] = {1, 2, 3, 7, 16, 100};

	for (size_t a = 0; a < ARRAY_SIZE(cases); a++)
		for (size_t b = 0; b < ARRAY_SIZE(shards); b++) {
			size_t m = cases[a] * 2, count[101] = {0}, lo = SIZE_MAX, hi = 0;
			char **c = ids(cases[a]);
			unsigned *v = assign(c, cases[a], shards[b]);

			/* each job in one shard from 1 to N: disjoint and covering */
			for (size_t j = 0; j < m; j++) {
				ck_assert_uint_ge(v[j], 1);
				ck_assert_uint_le(v[j], shards[b]);
				count[v[j]]++;
			}
			for (unsigned k = 1; k <= shards[b]; k++) {
				lo = count[k] < lo ? count[k] : lo;
				hi = count[k] > hi ? count[k] : hi;
			}
			ck_assert_uint_le(hi - lo, 1);
			ck_assert_uint_eq(lo, m / shards[b]);
			free(v);
			free_ids(c);
		}
}
END_TEST

/* The split depends on the names only: reversing the cases (and so the job order) gives every
 * job the same shard. */
START_TEST(test_order_free)
{
	size_t n = 40;
	char **c = ids(n), **r = xcalloc(n + 1, sizeof(char *));
	unsigned *v, *w;

	for (size_t i = 0; i < n; i++)
		r[i] = c[n - 1 - i];
	v = assign(c, n, 6);
	w = assign(r, n, 6);
	for (size_t i = 0; i < n; i++)
		for (size_t s = 0; s < 2; s++)
			ck_assert_uint_eq(v[i * 2 + s], w[(n - 1 - i) * 2 + s]);
	free(v);
	free(w);
	free(r);
	free_ids(c);
}
END_TEST

/* A case added anywhere (two jobs) moves at most 2 * (N - 1) of the jobs already there; a
 * round-robin over the listed order would move most of them. */
START_TEST(test_adding_moves_few)
{
	for (unsigned n = 2; n <= 8; n++)
		for (size_t add = 0; add <= 30; add += 10) {
			char **c = ids(30), **d = xcalloc(32, sizeof(char *));
			unsigned *v, *w;
			size_t moved = 0;

			for (size_t i = 0, j = 0; i <= 30; i++)
				d[i] = i == add ? xstrdup("a-new-case") : xstrdup(c[j++]);
			v = assign(c, 30, n);
			w = assign(d, 31, n);
			for (size_t i = 0; i < 30; i++)
				for (size_t s = 0; s < 2; s++)
					moved += v[i * 2 + s] != w[(i + (i >= add)) * 2 + s];
			ck_assert_uint_le(moved, 2 * (n - 1));
			free(v);
			free(w);
			free_ids(c);
			free_ids(d);
		}
}
END_TEST

/* The quickstart's 14 jobs in 3 shards, as every version of faultline must split them: the
 * shards of a run may be made by different builds, and merge checks the jobs, not the split. */
START_TEST(test_pinned)
{
	static const char *const qs[] = {"valid",
					 "field-count-mismatch",
					 "truncated",
					 "huge-instance-count",
					 "oversized-field-len",
					 "zero-inst-len",
					 "bad-checksum"};
	unsigned v[14];
	char got[64] = "";

	shard_assign(sensors, 2, qs, 7, 3, v);
	for (size_t i = 0; i < 14; i++)
		got[i] = (char)('0' + v[i]);
	ck_assert_str_eq(got, PINNED);
}
END_TEST

START_TEST(test_parse)
{
	static const char *const bad[] = {"",	  "3",	 "0/3",	 "4/3",	 "1/0",	     "-1/3", "1/-3",
					  "1/3x", "x/3", "1//3", "+1/3", "1/100001", " 1/3"};
	struct shard_spec s = {0};
	char *err = NULL;

	ck_assert_int_eq(shard_parse("2/3", &s, &err), 0);
	ck_assert_uint_eq(s.k, 2);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_int_eq(shard_parse("1/1", &s, &err), 0);
	ck_assert_int_eq(shard_parse("100000/100000", &s, &err), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		s = (struct shard_spec){7, 7};
		ck_assert_msg(shard_parse(bad[i], &s, &err) == -EINVAL, "accepted '%s'", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "expected K/N"));
		ck_assert_uint_eq(s.k, 7); /* untouched on failure */
		free(err);
		err = NULL;
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shard");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_disjoint_covering_balanced);
	tcase_add_test(tc, test_order_free);
	tcase_add_test(tc, test_adding_moves_few);
	tcase_add_test(tc, test_pinned);
	tcase_add_test(tc, test_parse);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
