/* shard.c — a scenario's jobs split into shards, and their fingerprint (shard.h). */
#include "shard.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int shard_parse(const char *text, struct shard_spec *ret, char **ret_error)
{
	unsigned long k, n;

	if (!text || !*text)
		goto bad;
	char *end;

	errno = 0;
	k = strtoul(text, &end, 10);
	/* digits only: strtoul would take blanks, signs, and wrap a minus around */
	if (!isdigit((unsigned char)text[0]) || *end != '/' || errno)
		goto bad;
	text = end + 1;
	n = strtoul(text, &end, 10);
	if (!isdigit((unsigned char)text[0]) || *end || errno)
		goto bad;
	if (n < 1 || n > SHARD_MAX || k < 1 || k > n) {
		*ret_error = xasprintf("expected K/N with 1 <= K <= N <= %d", SHARD_MAX);
		return -EINVAL;
	}
	*ret = (struct shard_spec){.k = (unsigned)k, .n = (unsigned)n};
	return 0;
bad:
	*ret_error = xstrdup("expected K/N, two whole numbers with 1 <= K <= N (e.g. 2/3)");
	return -EINVAL;
}

struct ranked {
	char sha[65];
	const char *sensor, *case_id;
	size_t job;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c = strcmp(x->sha, y->sha);

	if (!c)
		c = strcmp(x->sensor, y->sensor);
	return c ? c : strcmp(x->case_id, y->case_id);
}

void shard_assign(const char *const *sensors, size_t n_sensors, const char *const *case_ids,
		  size_t n_cases, unsigned n, unsigned *ret_shard)
{
	size_t m = n_cases * n_sensors;
	_cleanup_free_ struct ranked *v = xcalloc(m ? m : 1, sizeof(*v));

	for (size_t ci = 0; ci < n_cases; ci++)
		for (size_t si = 0; si < n_sensors; si++) {
			struct ranked *r = &v[ci * n_sensors + si];
			_cleanup_free_ char *key = xasprintf("%s\n%s", sensors[si], case_ids[ci]);

			*r = (struct ranked){.sensor = sensors[si],
					     .case_id = case_ids[ci],
					     .job = ci * n_sensors + si};
			sha256_hex(key, strlen(key), r->sha);
		}
	qsort(v, m, sizeof(*v), cmp_ranked);
	/* shard k holds ranks [(k-1)*m/n, k*m/n): the first k whose range ends after rank i */
	for (size_t i = 0, k = 1; i < m; i++) {
		while (i >= (size_t)k * m / n)
			k++;
		ret_shard[v[i].job] = (unsigned)k;
	}
}

char *shard_jobs_hash(const struct scenario *sc, const struct scenario_case *cases, size_t n_cases)
{
	size_t ns = scenario_n_sensors(sc);
	_cleanup_free_ char *text = xstrdup("faultline jobs 1\n");
	char sha[65];

	for (size_t si = 0; si < ns; si++)
		strappendf(&text, "", "sensor %s\n", scenario_sensor(sc, si));
	for (size_t ci = 0; ci < n_cases; ci++) {
		sha256_hex(cases[ci].data, cases[ci].size, sha);
		strappendf(&text, "", "case %s %s", cases[ci].id, sha);
		for (size_t si = 0; si < ns; si++) {
			const char *e = scenario_case_expect(&cases[ci], scenario_sensor(sc, si));
			strappendf(&text, "", " %s", e ? e : "-");
		}
		strappendf(&text, "", "\n");
	}
	sha256_hex(text, strlen(text), sha);
	return xstrdup(sha);
}
