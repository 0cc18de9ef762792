/* test-merge.c — shard run directories merged into one (harness/results/merge.h), on the three
 * shards of a real quickstart run (tests/data/shards/quickstart-K, their consoles cut short):
 * the merge holds every record once, each line the shard's own but for the run id, in an order
 * that does not depend on the order the shards are named in, with their inputs and consoles; and
 * every kind of set that cannot be merged is refused, saying why, before anything is written. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "merge.h"
#include "run-meta.h"
#include "rundir.h"
#include "testlib.h"
#include "util.h"

/* A copy of the fixture shards in a fresh folder: DIR/1, DIR/2, DIR/3 (caller frees). */
static char *copy_shards(void)
{
	/* Check runs each test in a process of its own: the name must be unique across them */
	char *dir = xasprintf("%s/tXXXXXX", testlib_tmpdir());
	_cleanup_free_ char *cmd = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (int k = 1; k <= 3; k++) {
		_cleanup_free_ char *src = NULL;
		src = testlib_fixture_path("shards");
		free(cmd);
		cmd = xasprintf("cp -a '%s/quickstart-%d' '%s/%d'", src, k, dir, k);
		ck_assert_int_eq(system(cmd), 0);
	}
	return dir;
}

static int merge(const char *dir, const char *names, bool partial, char **ret_error)
{
	_cleanup_free_ char *out = xasprintf("%s/out", dir);
	char *paths[8];
	size_t n = 0;
	struct merge_opts o = {.allow_partial = partial};
	struct merge_summary sum;
	int r;

	for (const char *p = names; *p; p++)
		paths[n++] = xasprintf("%s/%c", dir, *p);
	r = merge_shards((const char *const *)paths, n, out, &o, &sum, ret_error);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	return r;
}

static bool exists(const char *dir, const char *rel)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
	return access(p, F_OK) == 0;
}

/* Refused with a message that holds what, and nothing written. */
static void refused(const char *dir, const char *names, bool partial, int want, const char *what)
{
	_cleanup_free_ char *err = NULL;

	ck_assert_int_eq(merge(dir, names, partial, &err), want);
	ck_assert_msg(err && strstr(err, what), "error '%s' lacks '%s'", err, what);
	if (want != -EEXIST)
		ck_assert(!exists(dir, "out"));
}

static char *slurp(const char *dir, const char *rel)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
	uint8_t *data;
	size_t size;

	ck_assert_int_eq(read_file(p, 1 << 24, &data, &size), 0);
	return (char *)data;
}

/* Set KEY of shard K's run.json to the JSON value (NULL: remove it); "shard.n" reaches in. */
static void edit_meta(const char *dir, int k, const char *key, const char *value)
{
	_cleanup_free_ char *path = xasprintf("%s/%d/run.json", dir, k);
	json_object *o = json_object_from_file(path), *at = o;
	const char *dot = strchr(key, '.');

	ck_assert_ptr_nonnull(o);
	if (dot) {
		_cleanup_free_ char *outer = xstrndup(key, (size_t)(dot - key));
		ck_assert(json_object_object_get_ex(o, outer, &at));
		key = dot + 1;
	}
	if (value)
		json_object_object_add(at, key, json_tokener_parse(value));
	else
		json_object_object_del(at, key);
	ck_assert_int_eq(json_object_to_file(path, o), 0);
	json_object_put(o);
}

static void shell(const char *fmt, const char *dir)
{
	_cleanup_free_ char *cmd = NULL;

	/* every %s is the folder */
	cmd = xasprintf(fmt, dir, dir, dir, dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Every line of every shard is in the merge, the run id aside. */
START_TEST(test_merge_whole)
{
	_cleanup_free_ char *dir = copy_shards(), *err = NULL, *out = xasprintf("%s/out", dir);
	_cleanup_free_ char *merged = NULL;
	struct rundir *run = NULL;
	struct run_meta m;
	size_t lines = 0;

	ck_assert_int_eq(merge(dir, "123", false, &err), 0);
	ck_assert_int_eq(rundir_load(out, &run), 0);
	ck_assert_uint_eq(run->n_records, 14);
	ck_assert_uint_eq(run->n_skipped, 0);
	ck_assert_uint_eq(run->shard_n, 0);
	ck_assert_uint_eq(run->jobs, 14);
	ck_assert_uint_eq(run->n_merged, 3);
	for (size_t i = 0; i < run->n_records; i++) {
		const struct record *r = &run->records[i];
		_cleanup_free_ char *console = xasprintf("%s/%s", out, r->console);
		_cleanup_free_ char *input = xasprintf("%s/%s", out, r->input);
		ck_assert_str_eq(r->run_id, run->run_id);
		/* a guest that never came up left no console */
		if (!streq(r->verdict, "infra-error"))
			ck_assert_int_eq(access(console, R_OK), 0);
		ck_assert_int_eq(access(input, R_OK), 0);
	}
	rundir_free(run);
	/* a shard's line, its run id replaced, is a line of the merge */
	merged = slurp(dir, "out/results.jsonl");
	for (int k = 1; k <= 3; k++) {
		_cleanup_free_ char *rel = xasprintf("%d/results.jsonl", k);
		_cleanup_free_ char *text = slurp(dir, rel);
		_cleanup_free_ char *meta = xasprintf("%s/%d/run.json", dir, k);
		struct run_meta sm;
		ck_assert_int_eq(run_meta_read(meta, &sm), 0);
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
			json_object *o = json_tokener_parse(line);
			ck_assert_ptr_nonnull(o);
			json_object_object_add(o, "run_id", json_object_new_string("X"));
			const char *want =
			    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
			bool found = false;
			_cleanup_free_ char *copy = xstrdup(merged);
			for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l && !found;
			     l = strtok_r(NULL, "\n", &save)) {
				json_object *p = json_tokener_parse(l);
				json_object_object_add(p, "run_id", json_object_new_string("X"));
				found = streq(want, json_object_to_json_string_ext(
							p, JSON_C_TO_STRING_PLAIN));
				json_object_put(p);
			}
			ck_assert_msg(found, "line of shard %d not in the merge: %s", k, line);
			json_object_put(o);
			lines++;
		}
		run_meta_finish(&sm);
	}
	ck_assert_uint_eq(lines, 14);
	{
		_cleanup_free_ char *p = xasprintf("%s/run.json", out);
		ck_assert_int_eq(run_meta_read(p, &m), 0);
	}
	ck_assert_ptr_nonnull(m.finished);
	ck_assert_uint_eq(m.n_merged, 3);
	ck_assert_uint_eq(m.merged[0].k, 1);
	ck_assert_uint_eq(m.merged[2].k, 3);
	ck_assert_uint_eq(m.n_missing, 0);
	ck_assert_ptr_null(m.argv); /* the shards', as `run` writes it: none */
	run_meta_finish(&m);
}
END_TEST

/* The shards named in another order give the same files. */
START_TEST(test_order_free)
{
	_cleanup_free_ char *a = copy_shards(), *b = copy_shards(), *err = NULL;
	_cleanup_free_ char *ra = NULL, *rb = NULL;

	/* each shard's template boot says something of its own */
	shell("echo shard 3 >>%s/3/consoles/ksensor-legacy/_template-boot.log", a);
	shell("echo shard 3 >>%s/3/consoles/ksensor-legacy/_template-boot.log", b);
	ck_assert_int_eq(merge(a, "123", false, &err), 0);
	ck_assert_int_eq(merge(b, "312", false, &err), 0);
	ra = slurp(a, "out/results.jsonl");
	rb = slurp(b, "out/results.jsonl");
	ck_assert_str_eq(ra, rb);
	free(ra);
	free(rb);
	ra = slurp(a, "out/consoles/ksensor-legacy/truncated.log");
	rb = slurp(a, "1/consoles/ksensor-legacy/truncated.log");
	ck_assert_str_eq(ra, rb);
	free(ra);
	free(rb);
	/* the run's own consoles, one per shard: the first shard's in place, the others aside */
	ra = slurp(a, "out/consoles/ksensor-legacy/_template-boot.shard-3.log");
	rb = slurp(a, "3/consoles/ksensor-legacy/_template-boot.log");
	ck_assert_str_eq(ra, rb);
}
END_TEST

START_TEST(test_missing)
{
	_cleanup_free_ char *dir = copy_shards(), *err = NULL, *out = xasprintf("%s/out", dir);
	struct rundir *run = NULL;

	refused(dir, "13", false, -EINVAL, "missing shard 2 of 3");
	refused(dir, "3", false, -EINVAL, "missing shards 1, 2 of 3");
	ck_assert_int_eq(merge(dir, "13", true, &err), 0);
	ck_assert_int_eq(rundir_load(out, &run), 0);
	ck_assert_uint_eq(run->n_missing, 1);
	ck_assert_uint_eq(run->n_merged, 2);
	ck_assert_uint_lt(run->n_records, 14);
	rundir_free(run);
}
END_TEST

START_TEST(test_refused)
{
	_cleanup_free_ char *dir = copy_shards();

	refused(dir, "1231", false, -EINVAL, "shard 1/3 given twice");
	edit_meta(dir, 2, "jobs_hash", "\"0123\"");
	refused(dir, "123", false, -EINVAL, "ran different jobs");
	refused(dir, "12", true, -EINVAL, "ran different jobs");
	edit_meta(dir, 2, "jobs_hash", NULL);
	refused(dir, "123", false, -EINVAL, "has no \"jobs_hash\"");
	{
		/* shard 2 given its fingerprint back merges again */
		_cleanup_free_ char *p = xasprintf("%s/1/run.json", dir), *v = NULL;
		struct run_meta m;
		ck_assert_int_eq(run_meta_read(p, &m), 0);
		v = xasprintf("\"%s\"", m.jobs_hash);
		edit_meta(dir, 2, "jobs_hash", v);
		run_meta_finish(&m);
	}
	ck_assert_int_eq(merge(dir, "123", false, &(char *){NULL}), 0);
	shell("rm -r %s/out", dir);
	edit_meta(dir, 3, "content_sha256", "\"another\"");
	refused(dir, "123", false, -EINVAL, "ran other builds");
	edit_meta(dir, 3, "content_sha256", NULL);
	edit_meta(dir, 1, "content_sha256", NULL);
	edit_meta(dir, 2, "content_sha256", NULL);
	edit_meta(dir, 3, "shard.n", "4");
	refused(dir, "123", false, -EINVAL, "the shards of one run have the same N");
	edit_meta(dir, 3, "shard.n", "3");
	edit_meta(dir, 1, "finished", NULL);
	refused(dir, "123", false, -EINVAL, "shard 1/3 did not finish");
	edit_meta(dir, 1, "interrupted", "\"2026-12-07T03:00:00Z\"");
	refused(dir, "123", false, -EINVAL, "was interrupted at 2026-12-07T03:00:00Z");
	edit_meta(dir, 1, "shard", NULL);
	refused(dir, "123", false, -EINVAL, "is not a shard");
	shell("rm %s/1/run.json", dir);
	refused(dir, "123", false, -EINVAL, "has no run.json");
}
END_TEST

START_TEST(test_refused_records)
{
	_cleanup_free_ char *dir = copy_shards();

	/* a record lost: the shard has fewer than its jobs */
	shell("cp %s/2/results.jsonl %s/keep && sed -i 1d %s/2/results.jsonl", dir);
	refused(dir, "123", false, -EINVAL, "holds 4 records for the 5 jobs of shard 2/3");
	/* a job recorded by two shards (shard 1 told it has one job more) */
	shell("head -n1 %s/keep >>%s/1/results.jsonl && cp %s/keep %s/2/results.jsonl", dir);
	edit_meta(dir, 1, "shard.jobs", "5");
	refused(dir, "123", false, -EINVAL, "both hold a record of case");
}
END_TEST

/* Two shards that disagree on the bytes of an input they share. */
START_TEST(test_refused_input)
{
	_cleanup_free_ char *dir = copy_shards(), *err = NULL, *cmd = NULL;

	cmd = xasprintf("for k in 1 2 3; do for f in '%s'/$k/inputs/*.bin; do "
			"[ -e '%s'/1/inputs/${f##*/} ] && [ $k != 1 ] && echo x >>$f && exit 0; "
			"done; done; exit 1",
			dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(merge(dir, "123", false, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "did not run the same inputs"));
}
END_TEST

START_TEST(test_out_taken)
{
	_cleanup_free_ char *dir = copy_shards(), *cmd = NULL;

	cmd = xasprintf("mkdir '%s/out' && cp '%s/1/run.json' '%s/out/'", dir, dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	refused(dir, "123", false, -EEXIST, "already holds a run");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("merge");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_merge_whole);
	tcase_add_test(tc, test_order_free);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_refused_records);
	tcase_add_test(tc, test_refused_input);
	tcase_add_test(tc, test_out_taken);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
