/* merge.c — shard run directories into one (merge.h). */
#include "merge.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "results.h"
#include "run-meta.h"
#include "rundir.h"
#include "strmap.h"
#include "util.h"

struct shard {
	const char *dir;
	struct run_meta meta;
	struct rundir *run;
};

_printf_(3, 4) static int fail(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret_error, fmt, ap) < 0)
		abort();
	va_end(ap);
	return r;
}

/* ---- checks ---- */

static int read_shard(struct shard *sh, char **ret_error)
{
	_cleanup_free_ char *path = xasprintf("%s/run.json", sh->dir);
	const struct run_meta *m = &sh->meta;
	int r = run_meta_read(path, &sh->meta);

	if (r == -ENOENT)
		return fail(ret_error, -EINVAL, "%s has no run.json: not a run directory", sh->dir);
	if (r < 0)
		return fail(ret_error, r, "cannot read %s: %s", path,
			    r == -EINVAL ? "not a JSON object" : strerror(-r));
	if (!m->shard_n)
		return fail(ret_error, -EINVAL,
			    "%s is not a shard (its run.json has no \"shard\"): only the run "
			    "directories of `faultline run --shard K/N` are merged",
			    sh->dir);
	if (!m->jobs_hash)
		return fail(ret_error, -EINVAL, "%s: run.json has no \"jobs_hash\"", path);
	if (m->interrupted)
		return fail(ret_error, -EINVAL,
			    "%s: shard %u/%u was interrupted at %s; finish it first (faultline run "
			    "--resume %s --shard %u/%u %s)",
			    sh->dir, m->shard_k, m->shard_n, m->interrupted, sh->dir, m->shard_k,
			    m->shard_n, m->scenario_path ? m->scenario_path : "SCENARIO.yaml");
	if (!m->finished)
		return fail(
		    ret_error, -EINVAL,
		    "%s: shard %u/%u did not finish (it is still running, or its controller "
		    "was killed: finish it with faultline run --resume %s --shard %u/%u %s)",
		    sh->dir, m->shard_k, m->shard_n, sh->dir, m->shard_k, m->shard_n,
		    m->scenario_path ? m->scenario_path : "SCENARIO.yaml");
	return 0;
}

/* The same sensor versions (run.json's sensor_versions; none and none are the same). */
static bool same_versions(const struct run_meta *a, const struct run_meta *b)
{
	for (size_t i = 0; i < a->n_sensors && i < b->n_sensors; i++)
		if (!streq_ptr(a->sensor_versions ? a->sensor_versions[i] : NULL,
			       b->sensor_versions ? b->sensor_versions[i] : NULL))
			return false;
	return true;
}

/* Same jobs, same builds, same N, no shard twice (v sorted by K). */
static int check_same_split(const struct shard *v, size_t n, char **ret_error)
{
	const struct run_meta *a = &v[0].meta;

	for (size_t i = 1; i < n; i++) {
		const struct run_meta *b = &v[i].meta;

		if (!streq(a->jobs_hash, b->jobs_hash))
			return fail(ret_error, -EINVAL,
				    "%s (scenario %s, jobs %.12s) and %s (scenario %s, jobs %.12s) "
				    "ran different jobs: shards of different scenarios, seeds, "
				    "sensors or inputs are not merged",
				    v[0].dir, a->scenario ? a->scenario : "?", a->jobs_hash,
				    v[i].dir, b->scenario ? b->scenario : "?", b->jobs_hash);
		if (!streq_ptr(a->content_sha256, b->content_sha256) || !same_versions(a, b))
			return fail(ret_error, -EINVAL,
				    "%s and %s ran other builds (sensor versions or content): the "
				    "shards of one run test the same builds",
				    v[0].dir, v[i].dir);
		if (a->shard_n != b->shard_n)
			return fail(ret_error, -EINVAL,
				    "%s is shard %u/%u and %s shard %u/%u: the shards of one run "
				    "have the same N",
				    v[0].dir, a->shard_k, a->shard_n, v[i].dir, b->shard_k,
				    b->shard_n);
		if (v[i - 1].meta.shard_k == b->shard_k)
			return fail(ret_error, -EINVAL, "shard %u/%u given twice: %s and %s",
				    b->shard_k, b->shard_n, v[i - 1].dir, v[i].dir);
	}
	return 0;
}

/* The K of 1..N not among v (sorted by K): *ret (caller frees), *ret_n of them. */
static void missing_shards(const struct shard *v, size_t n, unsigned **ret, size_t *ret_n)
{
	unsigned total = v[0].meta.shard_n;
	unsigned *miss = xcalloc(total, sizeof(*miss));
	size_t m = 0, j = 0;

	for (unsigned k = 1; k <= total; k++) {
		while (j < n && v[j].meta.shard_k < k)
			j++;
		if (j == n || v[j].meta.shard_k != k)
			miss[m++] = k;
	}
	*ret = miss;
	*ret_n = m;
}

static char *list_shards(const unsigned *k, size_t n)
{
	_cleanup_free_ char *text = NULL;

	for (size_t i = 0; i < n && i < 20; i++)
		strappendf(&text, ", ", "%u", k[i]);
	if (n > 20)
		strappendf(&text, "", " and %zu more", n - 20);
	return TAKE_PTR(text);
}

/* Every shard holds a record of each job of its share, and no job is recorded twice. */
static int check_records(struct shard *v, size_t n, char **ret_error)
{
	struct strmap *seen = strmap_new();
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		struct shard *sh = &v[i];

		r = rundir_load(sh->dir, &sh->run);
		if (r < 0) {
			r = fail(ret_error, r, "cannot read %s/results.jsonl: %s", sh->dir,
				 strerror(-r));
			break;
		}
		if (sh->run->n_records != sh->meta.shard_jobs) {
			r = fail(
			    ret_error, -EINVAL,
			    "%s holds %zu records for the %zu jobs of shard %u/%u: run it again "
			    "with --resume",
			    sh->dir, sh->run->n_records, sh->meta.shard_jobs, sh->meta.shard_k,
			    sh->meta.shard_n);
			break;
		}
		for (size_t j = 0; j < sh->run->n_records && r == 0; j++) {
			const struct record *rec = &sh->run->records[j];
			_cleanup_free_ char *key = xasprintf("%s\x1f%s", rec->sensor, rec->case_id);
			bool created;
			size_t *at = strmap_put(seen, key, i, &created);

			if (!created)
				r = fail(
				    ret_error, -EINVAL,
				    "%s and %s both hold a record of case %s on %s: they are not "
				    "shards of one split",
				    v[*at].dir, sh->dir, rec->case_id, rec->sensor);
		}
	}
	strmap_free(seen);
	return r;
}

static int cmp_k(const void *a, const void *b)
{
	const struct shard *x = a, *y = b;

	return x->meta.shard_k < y->meta.shard_k ? -1 : x->meta.shard_k > y->meta.shard_k;
}

/* ---- the records ---- */

struct line {
	const struct record *rec;
	size_t shard;
};

static int cmp_lines(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	const char *sx = x->rec->started ? x->rec->started : "~",
		   *sy = y->rec->started ? y->rec->started : "~";
	int c = strcmp(sx, sy);

	if (c)
		return c;
	if (x->shard != y->shard)
		return x->shard < y->shard ? -1 : 1;
	return x->rec->line < y->rec->line ? -1 : x->rec->line > y->rec->line;
}

/* The text of each line a record of run came from, [line - 1] (caller frees each and v). */
static int read_lines(const struct rundir *run, char ***ret, size_t *ret_n)
{
	_cleanup_free_ char *path = xasprintf("%s/results.jsonl", run->dir);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char **v = NULL, *buf = NULL;
	size_t n = 0, cap = 0, bcap = 0;
	ssize_t len;

	if (!f)
		return -errno;
	while ((len = getline(&buf, &bcap, f)) >= 0) {
		v = xgrowarray(v, n + 1, &cap, sizeof(*v));
		v[n++] = TAKE_PTR(buf);
		bcap = 0;
	}
	free(buf);
	if (ferror(f)) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return -EIO;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The record's own line, with the merged run's id. */
static json_object *record_line(char **lines, size_t n_lines, const struct record *rec,
				const char *run_id)
{
	json_object *o;

	if (!rec->line || rec->line > n_lines)
		return NULL;
	o = json_tokener_parse(lines[rec->line - 1]);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	json_object_object_add(o, "run_id", json_object_new_string(run_id));
	return o;
}

static int write_records(struct shard *v, size_t n, struct results *out, const char *run_id,
			 size_t *ret_n, char **ret_error)
{
	size_t total = 0, k = 0;
	char ***lines = xcalloc(n, sizeof(*lines));
	size_t *n_lines = xcalloc(n, sizeof(*n_lines));
	struct line *order;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		total += v[i].run->n_records;
	order = xcalloc(total ? total : 1, sizeof(*order));
	for (size_t i = 0; i < n && r == 0; i++) {
		for (size_t j = 0; j < v[i].run->n_records; j++)
			order[k++] = (struct line){.rec = &v[i].run->records[j], .shard = i};
		if ((r = read_lines(v[i].run, &lines[i], &n_lines[i])) < 0)
			fail(ret_error, r, "cannot read %s/results.jsonl: %s", v[i].dir,
			     strerror(-r));
	}
	qsort(order, total, sizeof(*order), cmp_lines);
	for (size_t i = 0; i < total && r == 0; i++) {
		const struct line *l = &order[i];
		json_object *o = record_line(lines[l->shard], n_lines[l->shard], l->rec, run_id);

		if (!o) {
			/* rundir read it a moment ago: the file changed under us */
			r = fail(ret_error, -EIO, "%s/results.jsonl changed while it was merged",
				 v[l->shard].dir);
			break;
		}
		r = results_append(out, o);
		json_object_put(o);
		if (r < 0)
			fail(ret_error, r, "cannot write the merged results.jsonl: %s",
			     strerror(-r));
	}
	for (size_t i = 0; i < n; i++)
		free_lines(lines[i], n_lines[i]);
	free(lines);
	free(n_lines);
	free(order);
	if (r == 0)
		*ret_n = total;
	return r;
}

/* ---- consoles and inputs ---- */

static int copy_file(const char *from, const char *to)
{
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = -1;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t done = 0, w; done < n; done += w)
			if ((w = write(out, buf + done, (size_t)(n - done))) < 0)
				return -errno;
	if (n < 0 || fsync(out) < 0)
		return -errno;
	return 0;
}

static bool same_bytes(const char *a, const char *b)
{
	_cleanup_fclose_ FILE *fa = fopen(a, "re"), *fb = fopen(b, "re");
	int ca, cb;

	if (!fa || !fb)
		return false;
	do {
		ca = getc(fa);
		cb = getc(fb);
	} while (ca == cb && ca != EOF);
	return ca == cb;
}

/* A file of a shard into the merged run: a hard link, else a copy. A path two shards both
 * have must hold the same bytes when it is an input (of a case whose jobs they share); a
 * console of the run itself (the snapshot's template boot, one per shard) is kept beside the
 * first one's as NAME.shard-K.EXT. */
static int carry_file(const char *from, const char *to, bool strict, unsigned k, char **ret_error)
{
	_cleanup_free_ char *aside = NULL;
	int r;

	if (access(to, F_OK) == 0 && same_bytes(from, to))
		return 0;
	if (access(to, F_OK) == 0 && strict)
		return fail(ret_error, -EINVAL,
			    "%s differs from the file of another shard at %s: the shards did not "
			    "run the same inputs",
			    from, to);
	if (access(to, F_OK) == 0) {
		const char *dot = strrchr(to, '.'), *slash = strrchr(to, '/');
		if (!dot || (slash && dot < slash))
			dot = to + strlen(to);
		aside = xasprintf("%.*s.shard-%u%s", (int)(dot - to), to, k, dot);
		to = aside;
	}
	if (link(from, to) == 0)
		return 0;
	r = copy_file(from, to);
	return r < 0 ? fail(ret_error, r, "cannot copy %s to %s: %s", from, to, strerror(-r)) : 0;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static int carry_tree(const char *from, const char *to, bool strict, unsigned k, char **ret_error)
{
	_cleanup_(closedirp) DIR *d = opendir(from);
	struct dirent *e;
	int r;

	if (!d)
		return errno == ENOENT
			   ? 0
			   : fail(ret_error, -errno, "cannot read %s: %s", from, strerror(errno));
	if ((r = mkdir_p(to)) < 0)
		return fail(ret_error, r, "cannot create %s: %s", to, strerror(-r));
	while ((e = readdir(d))) {
		_cleanup_free_ char *src = NULL, *dst = NULL;
		struct stat st;

		if (streq(e->d_name, ".") || streq(e->d_name, ".."))
			continue;
		src = xasprintf("%s/%s", from, e->d_name);
		dst = xasprintf("%s/%s", to, e->d_name);
		if (lstat(src, &st) < 0)
			return fail(ret_error, -errno, "cannot read %s: %s", src, strerror(errno));
		if (S_ISDIR(st.st_mode))
			r = carry_tree(src, dst, strict, k, ret_error);
		else if (S_ISREG(st.st_mode))
			r = carry_file(src, dst, strict, k, ret_error);
		else
			r = 0; /* a run directory holds only folders and files */
		if (r < 0)
			return r;
	}
	return 0;
}

static int carry_files(const struct shard *v, size_t n, const char *out, char **ret_error)
{
	static const char *const trees[] = {"inputs", "consoles"};

	for (size_t i = 0; i < n; i++)
		for (size_t t = 0; t < ARRAY_SIZE(trees); t++) {
			_cleanup_free_ char *from = xasprintf("%s/%s", v[i].dir, trees[t]);
			_cleanup_free_ char *to = xasprintf("%s/%s", out, trees[t]);
			int r = carry_tree(from, to, t == 0, v[i].meta.shard_k, ret_error);
			if (r < 0)
				return r;
		}
	return 0;
}

/* ---- run.json ---- */

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* The shards' common metadata (of shard `first`, the one that started first), the earliest
 * start, the latest end, and where each shard ran. */
static void merged_meta(const struct shard *v, size_t n, size_t first, unsigned *missing,
			size_t n_missing, struct run_meta *ret)
{
	const struct run_meta *a = &v[first].meta;
	struct run_meta m = {
	    .run_id = dup_or_null(a->run_id),
	    .scenario = dup_or_null(a->scenario),
	    .scenario_path = dup_or_null(a->scenario_path),
	    .started = dup_or_null(a->started),
	    .faultline_version = dup_or_null(a->faultline_version),
	    .kernel = dup_or_null(a->kernel),
	    .uri = dup_or_null(a->uri),
	    .accel = dup_or_null(a->accel),
	    .isolation = dup_or_null(a->isolation),
	    .seed = a->seed,
	    .has_seed = a->has_seed,
	    .n_sensors = a->n_sensors,
	    .sensors = xcalloc(a->n_sensors + 1, sizeof(char *)),
	    .host = dup_or_null(a->host),
	    .argv = dup_or_null(a->argv),
	    .jobs = a->jobs,
	    .jobs_hash = dup_or_null(a->jobs_hash),
	    .n_merged = n,
	    .merged = xcalloc(n, sizeof(*m.merged)),
	    .missing = missing,
	    .n_missing = n_missing,
	};
	const char *finished = NULL;

	for (size_t i = 0; i < a->n_sensors; i++)
		m.sensors[i] = xstrdup(a->sensors[i]);
	/* the sensors' versions and the content's hash: the same jobs ran the same builds */
	m.content_sha256 = dup_or_null(a->content_sha256);
	if (a->sensor_versions) {
		m.sensor_versions = xcalloc(a->n_sensors + 1, sizeof(char *));
		for (size_t i = 0; i < a->n_sensors; i++)
			m.sensor_versions[i] = dup_or_null(a->sensor_versions[i]);
	}
	for (size_t i = 0; i < n; i++) {
		const struct run_meta *s = &v[i].meta;
		m.merged[i] = (struct run_meta_shard){.k = s->shard_k,
						      .n = s->shard_n,
						      .run_id = dup_or_null(s->run_id),
						      .host = dup_or_null(s->host),
						      .started = dup_or_null(s->started),
						      .finished = dup_or_null(s->finished)};
		if (!finished || strcmp(s->finished, finished) > 0)
			finished = s->finished;
	}
	m.finished = xstrdup(finished);
	*ret = m;
}

/* The shard that started first (ISO 8601 UTC times compare as strings). */
static size_t first_started(const struct shard *v, size_t n)
{
	size_t first = 0;

	for (size_t i = 1; i < n; i++)
		if (v[i].meta.started && (!v[first].meta.started ||
					  strcmp(v[i].meta.started, v[first].meta.started) < 0))
			first = i;
	return first;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path); /* what cannot be removed stays: there is nothing else to do about it */
	return 0;
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- all of it ---- */

static int check_all(struct shard *v, size_t n, const struct merge_opts *o, unsigned **ret_missing,
		     size_t *ret_n_missing, char **ret_error)
{
	_cleanup_free_ unsigned *missing = NULL;
	size_t n_missing;
	int r;

	for (size_t i = 0; i < n; i++)
		if ((r = read_shard(&v[i], ret_error)) < 0)
			return r;
	qsort(v, n, sizeof(*v), cmp_k);
	if ((r = check_same_split(v, n, ret_error)) < 0)
		return r;
	missing_shards(v, n, &missing, &n_missing);
	if (n_missing && !o->allow_partial) {
		_cleanup_free_ char *list = list_shards(missing, n_missing);
		return fail(ret_error, -EINVAL,
			    "missing %s %s of %u (%zu given): pass every shard's run directory, or "
			    "--allow-partial to merge what is there",
			    n_missing == 1 ? "shard" : "shards", list, v[0].meta.shard_n, n);
	}
	if ((r = check_records(v, n, ret_error)) < 0)
		return r;
	*ret_missing = TAKE_PTR(missing);
	*ret_n_missing = n_missing;
	return 0;
}

int merge_shards(const char *const *dirs, size_t n_dirs, const char *out,
		 const struct merge_opts *o, struct merge_summary *ret, char **ret_error)
{
	struct shard *v = xcalloc(n_dirs ? n_dirs : 1, sizeof(*v));
	struct results *res = NULL;
	struct run_meta meta = {0};
	unsigned *missing = NULL;
	size_t n_missing = 0, n_records = 0;
	bool created;
	int r;

	if (n_dirs == 0) {
		free(v);
		return fail(ret_error, -EINVAL, "no shard run directory given");
	}
	for (size_t i = 0; i < n_dirs; i++)
		v[i].dir = dirs[i];
	r = check_all(v, n_dirs, o, &missing, &n_missing, ret_error);
	created = access(out, F_OK) < 0;
	if (r == 0 && results_exists(out))
		r = fail(ret_error, -EEXIST, "%s already holds a run: choose another -o", out);
	if (r == 0 && (r = results_open(out, &res)) < 0)
		fail(ret_error, r, "cannot create %s: %s", out, strerror(-r));
	if (r == 0) {
		merged_meta(v, n_dirs, first_started(v, n_dirs), TAKE_PTR(missing), n_missing,
			    &meta);
		r = write_records(v, n_dirs, res, meta.run_id, &n_records, ret_error);
	}
	if (r == 0)
		r = carry_files(v, n_dirs, out, ret_error);
	/* run.json last: a merged run without it, or without "finished", did not complete */
	if (r == 0 && (r = results_write_meta(res, &meta)) < 0)
		fail(ret_error, r, "cannot write %s/run.json: %s", out, strerror(-r));
	if (r == 0)
		*ret = (struct merge_summary){.n = v[0].meta.shard_n,
					      .shards = n_dirs,
					      .records = n_records,
					      .jobs = meta.jobs,
					      .missing = n_missing};
	/* half a merge is no run: take away what this one made */
	if (r < 0 && res && created) {
		res = results_close(res);
		remove_tree(out);
	}
	results_close(res);
	run_meta_finish(&meta);
	free(missing);
	for (size_t i = 0; i < n_dirs; i++) {
		run_meta_finish(&v[i].meta);
		rundir_free(v[i].run);
	}
	free(v);
	return r;
}
