/* resume.c — read back a run directory's records (see resume.h). */
#include "resume.h"

#include <fcntl.h>

#include "rundir.h"
#include "util.h"

struct case_index {
	const char *id;
	size_t ci;
};

static int cmp_index(const void *a, const void *b)
{
	return strcmp(((const struct case_index *)a)->id, ((const struct case_index *)b)->id);
}

/* A killed controller may leave a last line without its newline: cut it off. */
static int trim_partial_line(const char *path, size_t *ret_cut)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
	off_t end, pos;
	char c;

	*ret_cut = 0;
	if (fd < 0)
		return -errno;
	end = lseek(fd, 0, SEEK_END);
	for (pos = end; pos > 0; pos--) {
		if (pread(fd, &c, 1, pos - 1) != 1)
			return -EIO;
		if (c == '\n')
			break;
	}
	if (pos == end)
		return 0;
	*ret_cut = 1;
	if (ftruncate(fd, pos) < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

static ssize_t find_sensor(const char *const *sensors, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (streq(sensors[i], name))
			return (ssize_t)i;
	return -1;
}

/* One record: mark its job done, or explain why it does not belong to this scenario. */
static int take_record(const struct record *rec, const struct case_index *idx,
		       const struct scenario_case *cases, size_t n_cases,
		       const char *const *sensors, size_t n_sensors, struct resume_state *st,
		       char **ret_error)
{
	struct case_index key = {.id = rec->case_id}, *hit;
	ssize_t si = find_sensor(sensors, n_sensors, rec->sensor);
	const char *note = rec->title ? rec->title : rec->detail ? rec->detail : "";
	struct resume_job *j;
	char want[65];

	hit = bsearch(&key, idx, n_cases, sizeof(*idx), cmp_index);
	if (si < 0 || !hit) {
		*ret_error =
		    xasprintf("the run has a record of %s/%s, which this scenario does not "
			      "have",
			      rec->sensor, rec->case_id);
		return -EINVAL;
	}
	sha256_hex(cases[hit->ci].data, cases[hit->ci].size, want);
	if (!rec->input_sha256 || !streq(rec->input_sha256, want)) {
		*ret_error = xasprintf("case %s: the recorded input differs from the scenario's "
				       "input today (was the scenario or its seed changed?)",
				       rec->case_id);
		return -EINVAL;
	}
	/* rundir_load() kept the last record of each job, as the reports do. A job the harness
	 * could not run (a full disk, a lost host) is not done: resuming runs it again, and its new
	 * record supersedes the infra-error. */
	if (verdict_has(rec->kind, VERDICT_ERROR))
		return 0;
	j = &st->jobs[hit->ci * n_sensors + (size_t)si];
	j->done = true;
	j->verdict = rec->kind == VERDICT_OTHER ? VERDICT_INFRA_ERROR : rec->kind;
	j->title = rec->title ? xstrdup(rec->title) : NULL;
	j->note = xstrndup(note, strcspn(note, "\n"));
	st->n_done++;
	return 0;
}

int resume_scan(const char *run_dir, const struct scenario_case *cases, size_t n_cases,
		const char *const *sensors, size_t n_sensors, struct resume_state *ret,
		char **ret_error)
{
	_cleanup_free_ char *path = xasprintf("%s/results.jsonl", run_dir);
	_cleanup_free_ struct case_index *idx = xcalloc(n_cases ? n_cases : 1, sizeof(*idx));
	struct resume_state st = {0};
	struct rundir *run = NULL;
	size_t cut;
	int r;

	if ((r = trim_partial_line(path, &cut)) < 0 || (r = rundir_load(run_dir, &run)) < 0) {
		*ret_error =
		    xasprintf("cannot read %s: %s", r == -EINVAL ? run_dir : path,
			      r == -EINVAL ? "run.json is not a JSON object" : strerror(-r));
		return r;
	}
	for (size_t i = 0; i < n_cases; i++)
		idx[i] = (struct case_index){.id = cases[i].id, .ci = i};
	qsort(idx, n_cases, sizeof(*idx), cmp_index);
	st.jobs = xcalloc(n_cases * n_sensors > 0 ? n_cases * n_sensors : 1, sizeof(*st.jobs));
	st.skipped_lines = cut + run->n_skipped;
	for (size_t i = 0; r == 0 && i < run->n_records; i++)
		r = take_record(&run->records[i], idx, cases, n_cases, sensors, n_sensors, &st,
				ret_error);
	if (r == 0 && run->run_id)
		st.run_id = xstrdup(run->run_id);
	rundir_free(run);
	if (r < 0) {
		resume_finish(&st, n_cases * n_sensors);
		return r;
	}
	*ret = st;
	return 0;
}

void resume_finish(struct resume_state *st, size_t n_jobs)
{
	for (size_t i = 0; st->jobs && i < n_jobs; i++) {
		free(st->jobs[i].title);
		free(st->jobs[i].note);
	}
	free(st->jobs);
	free(st->run_id);
	memset(st, 0, sizeof(*st));
}
