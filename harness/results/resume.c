/* resume.c — read back a run directory's records (see resume.h). */
#include "resume.h"

#include <fcntl.h>
#include <json-c/json.h>

#include "util.h"

struct case_index {
	const char *id;
	size_t ci;
};

static int cmp_index(const void *a, const void *b)
{
	return strcmp(((const struct case_index *)a)->id, ((const struct case_index *)b)->id);
}

static const char *get(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
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

static char *read_run_id(const char *run_dir)
{
	_cleanup_free_ char *path = xasprintf("%s/run.json", run_dir);
	json_object *o = json_object_from_file(path);
	char *id = NULL;

	if (o && get(o, "run_id"))
		id = xstrdup(get(o, "run_id"));
	json_object_put(o);
	return id;
}

static ssize_t find_sensor(const char *const *sensors, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (streq(sensors[i], name))
			return (ssize_t)i;
	return -1;
}

/* One record: mark its job done, or explain why it does not belong to this scenario. */
static int take_record(json_object *o, const struct case_index *idx,
		       const struct scenario_case *cases, size_t n_cases,
		       const char *const *sensors, size_t n_sensors, struct resume_state *st,
		       char **ret_error)
{
	const char *id = get(o, "case"), *sha = get(o, "input_sha256"), *v = get(o, "verdict");
	struct case_index key = {.id = id ? id : ""}, *hit;
	ssize_t si = find_sensor(sensors, n_sensors, get(o, "sensor"));
	char want[65];

	hit = bsearch(&key, idx, n_cases, sizeof(*idx), cmp_index);
	if (si < 0 || !hit) {
		*ret_error =
		    xasprintf("the run has a record of %s/%s, which this scenario does not "
			      "have",
			      get(o, "sensor") ? get(o, "sensor") : "?", key.id);
		return -EINVAL;
	}
	sha256_hex(cases[hit->ci].data, cases[hit->ci].size, want);
	if (!sha || !streq(sha, want)) {
		*ret_error = xasprintf("case %s: the recorded input differs from the scenario's "
				       "input today (was the scenario or its seed changed?)",
				       key.id);
		return -EINVAL;
	}
	struct resume_job *j = &st->jobs[hit->ci * n_sensors + (size_t)si];
	const char *title = get(o, "title"), *detail = get(o, "detail");
	const char *note = title ? title : detail ? detail : "";
	int verdict = v ? verdict_from_name(v) : -EINVAL;

	if (j->done) { /* the later record wins, as in the reports */
		free(j->title);
		free(j->note);
	} else {
		st->n_done++;
	}
	j->done = true;
	j->verdict = verdict < 0 ? VERDICT_INFRA_ERROR : (enum verdict)verdict;
	j->title = title ? xstrdup(title) : NULL;
	j->note = xstrndup(note, strcspn(note, "\n"));
	return 0;
}

int resume_scan(const char *run_dir, const struct scenario_case *cases, size_t n_cases,
		const char *const *sensors, size_t n_sensors, struct resume_state *ret,
		char **ret_error)
{
	_cleanup_free_ char *path = xasprintf("%s/results.jsonl", run_dir);
	_cleanup_free_ struct case_index *idx = xcalloc(n_cases ? n_cases : 1, sizeof(*idx));
	_cleanup_fclose_ FILE *f = NULL;
	struct resume_state st = {0};
	char *line = NULL;
	size_t cap = 0, cut;
	int r;

	if ((r = trim_partial_line(path, &cut)) < 0) {
		*ret_error = xasprintf("cannot read %s: %s", path, strerror(-r));
		return r;
	}
	f = fopen(path, "re");
	if (!f) {
		*ret_error = xasprintf("cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < n_cases; i++)
		idx[i] = (struct case_index){.id = cases[i].id, .ci = i};
	qsort(idx, n_cases, sizeof(*idx), cmp_index);
	st.jobs = xcalloc(n_cases * n_sensors > 0 ? n_cases * n_sensors : 1, sizeof(*st.jobs));
	st.skipped_lines = cut;
	r = 0;
	while (r == 0 && getline(&line, &cap, f) > 0) {
		json_object *o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object))
			st.skipped_lines++;
		else
			r = take_record(o, idx, cases, n_cases, sensors, n_sensors, &st, ret_error);
		json_object_put(o);
	}
	free(line);
	if (r < 0) {
		resume_finish(&st, n_cases * n_sensors);
		return r;
	}
	st.run_id = read_run_id(run_dir);
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
