/* history.c — signatures across runs, and runs read back (see history.h). */
#include "history.h"

#include <inttypes.h>

#include "db-schema.h"
#include "util.h"

const char *history_status_name(enum history_status s)
{
	static const char *const names[] = {
	    [HISTORY_NONE] = "",
	    [HISTORY_NEW] = "new",
	    [HISTORY_STILL] = "still there",
	    [HISTORY_FIXED] = "fixed",
	    [HISTORY_REGRESSED] = "regressed",
	};
	return names[s];
}

/* ---- selecting runs ---- */

static int parse_id(const char *s, int64_t *ret)
{
	if (!s)
		return -ENOENT;
	*ret = strtoll(s, NULL, 10);
	return 0;
}

int history_find_run(struct db *db, const char *run_id, int64_t *ret)
{
	_cleanup_free_ char *id = NULL;
	int r = db_query_string(
	    db, "SELECT id FROM runs WHERE run_id = $1 ORDER BY started DESC, id DESC LIMIT 1", 1,
	    &run_id, &id);

	return r < 0 ? r : parse_id(id, ret);
}

int history_select(struct db *db, const char *selector, int64_t exclude, int64_t *ret)
{
	_cleanup_free_ char *id = NULL;
	char ex[32];
	int r;

	snprintf(ex, sizeof(ex), "%" PRId64, exclude);
	if (startswith(selector, "run:") && selector[4])
		return history_find_run(db, selector + 4, ret);
	if (streq(selector, "last")) {
		const char *p[] = {ex};
		r = db_query_string(db,
				    "SELECT id FROM runs WHERE id <> CAST($1 AS BIGINT) ORDER BY "
				    "started DESC, id DESC LIMIT 1",
				    1, p, &id);
	} else if (startswith(selector, "version:") && selector[8]) {
		const char *p[] = {selector + 8, ex};
		r = db_query_string(
		    db,
		    "SELECT runs.id FROM runs JOIN run_sensors ON run_sensors.run = "
		    "runs.id WHERE run_sensors.version = $1 AND runs.id <> CAST($2 AS "
		    "BIGINT) ORDER BY runs.started DESC, runs.id DESC LIMIT 1",
		    2, p, &id);
	} else
		return -EINVAL;
	return r < 0 ? r : parse_id(id, ret);
}

/* ---- signatures ---- */

struct load {
	struct history *h;
	size_t cap;
	char *base_started; /* the baseline's start: sightings before it make a return */
	/* the signature being filled, its last run counted, its versions */
	int64_t last_run;
	bool in_run, in_base, before_base;
};

static void finish_sig(struct load *l)
{
	struct history_sig *s;

	if (!l->h->n_sigs)
		return;
	s = &l->h->sigs[l->h->n_sigs - 1];
	if (!l->h->run || !l->h->baseline)
		s->status = HISTORY_NONE;
	else if (l->in_run)
		s->status = l->in_base	     ? HISTORY_STILL
			    : l->before_base ? HISTORY_REGRESSED
					     : HISTORY_NEW;
	else
		s->status = l->in_base ? HISTORY_FIXED : HISTORY_NONE;
}

static void add_version(struct history_sig *s, const char *v)
{
	size_t n = strlen(v);

	if (!v[0])
		return;
	for (const char *p = s->versions; p && *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && !strncmp(p, v, n))
			return;
		p += len + (p[len] == ',');
	}
	strappendf(&s->versions, ",", "%s", v);
}

/* One sighting: sensor, title, verdict, runs.id, run started, version, first_seen, last_seen,
 * first_run, last_run, occurrences; ordered by signature, then run. */
static int sighting(void *userdata, size_t n, const char *const *c)
{
	struct load *l = userdata;
	struct history *h = l->h;
	struct history_sig *s = h->n_sigs ? &h->sigs[h->n_sigs - 1] : NULL;
	int64_t run = strtoll(c[3] ? c[3] : "0", NULL, 10);

	if (n < 11 || !c[0] || !c[1])
		return 0;
	if (!s || !streq(s->sensor, c[0]) || !streq(s->title, c[1])) {
		finish_sig(l);
		h->sigs = xgrowarray(h->sigs, h->n_sigs, &l->cap, sizeof(*h->sigs));
		s = &h->sigs[h->n_sigs++];
		*s = (struct history_sig){
		    .sensor = xstrdup(c[0]),
		    .title = xstrdup(c[1]),
		    .verdict = c[2] ? xstrdup(c[2]) : NULL,
		    .first_seen = c[6] ? xstrdup(c[6]) : NULL,
		    .last_seen = c[7] ? xstrdup(c[7]) : NULL,
		    .first_run = c[8] ? xstrdup(c[8]) : NULL,
		    .last_run = c[9] ? xstrdup(c[9]) : NULL,
		    .occurrences = c[10] ? strtoll(c[10], NULL, 10) : 0,
		};
		l->last_run = 0;
		l->in_run = l->in_base = l->before_base = false;
	}
	if (run != l->last_run)
		s->runs++;
	l->last_run = run;
	if (c[5])
		add_version(s, c[5]);
	l->in_run |= run == h->run;
	l->in_base |= run == h->baseline;
	if (l->base_started && c[4] && strcmp(c[4], l->base_started) < 0 && run != h->baseline &&
	    run != h->run)
		l->before_base = true;
	return 0;
}

static int run_label(struct db *db, int64_t run, char **ret_id, char **ret_started)
{
	char id[32];
	const char *p[] = {id};
	int r;

	snprintf(id, sizeof(id), "%" PRId64, run);
	if ((r = db_query_string(db, "SELECT run_id FROM runs WHERE id = CAST($1 AS BIGINT)", 1, p,
				 ret_id)) < 0)
		return r;
	return ret_started
		   ? db_query_string(db, "SELECT started FROM runs WHERE id = CAST($1 AS BIGINT)",
				     1, p, ret_started)
		   : 0;
}

int history_load(struct db *db, int64_t run, int64_t baseline, struct history **ret)
{
	struct history *h = xzalloc(sizeof(*h));
	struct load l = {.h = h};
	int r;

	h->run = run;
	h->baseline = baseline;
	if ((run && (r = run_label(db, run, &h->run_id, NULL)) < 0) ||
	    (baseline && (r = run_label(db, baseline, &h->baseline_id, &l.base_started)) < 0))
		goto fail;
	r = db_query(
	    db,
	    "SELECT r.\"sensor\", r.signature, s.verdict, r.run, runs.started, rs.version, "
	    "s.first_seen, s.last_seen, s.first_run, s.last_run, s.occurrences FROM records "
	    "r JOIN runs ON runs.id = r.run LEFT JOIN run_sensors rs ON rs.run = r.run AND "
	    "rs.sensor = r.\"sensor\" LEFT JOIN signatures s ON s.sensor = r.\"sensor\" AND "
	    "s.title = r.signature WHERE r.signature IS NOT NULL ORDER BY r.\"sensor\", "
	    "s.first_seen, r.signature, runs.started, r.run",
	    0, NULL, sighting, &l);
	if (r < 0)
		goto fail;
	finish_sig(&l);
	free(l.base_started);
	*ret = h;
	return 0;
fail:
	free(l.base_started);
	history_free(h);
	return r;
}

struct history *history_free(struct history *h)
{
	if (!h)
		return NULL;
	for (size_t i = 0; i < h->n_sigs; i++) {
		struct history_sig *s = &h->sigs[i];
		char *strings[] = {s->sensor,	 s->title,     s->verdict,  s->first_seen,
				   s->last_seen, s->first_run, s->last_run, s->versions};
		for (size_t k = 0; k < ARRAY_SIZE(strings); k++)
			free(strings[k]);
	}
	free(h->sigs);
	free(h->run_id);
	free(h->baseline_id);
	free(h);
	return NULL;
}

/* ---- a run read back ---- */

struct run_load {
	struct rundir *d;
	size_t cap;
};

/* A row of records as the JSON line it came from: the columns back under their keys. */
static json_object *row_json(size_t n, const char *const *cols)
{
	const struct db_column *c = db_record_columns(NULL);
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < n && c[i].name; i++) {
		json_object *v = NULL, *parent = o;

		if (!cols[i])
			continue;
		if (c[i].json)
			v = json_tokener_parse(cols[i]);
		else if (c[i].boolean)
			v = json_object_new_boolean(atoi(cols[i]) != 0);
		else if (c[i].integer)
			v = json_object_new_int64(strtoll(cols[i], NULL, 10));
		else
			v = json_object_new_string(cols[i]);
		if (c[i].member && !json_object_object_get_ex(o, c[i].key, &parent)) {
			parent = json_object_new_object();
			json_object_object_add(o, c[i].key, parent);
		}
		json_object_object_add(parent, c[i].member ? c[i].member : c[i].key, v);
	}
	return o;
}

static int add_record(void *userdata, size_t n, const char *const *cols)
{
	struct run_load *l = userdata;
	json_object *o = row_json(n, cols);
	struct record r;
	int k = record_from_json(o, &r);

	json_object_put(o);
	if (k < 0) {
		l->d->n_skipped++;
		return 0;
	}
	l->d->records = xgrowarray(l->d->records, l->d->n_records, &l->cap, sizeof(r));
	r.run = l->d;
	r.line = ++l->d->n_lines;
	l->d->records[l->d->n_records++] = r;
	return 0;
}

static char *dupn(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int run_row(void *userdata, size_t n, const char *const *c)
{
	struct rundir *d = userdata;

	if (n < 7)
		return 0;
	d->has_meta = true;
	d->run_id = dupn(c[0]);
	d->scenario = dupn(c[1]);
	d->started = dupn(c[2]);
	d->finished = dupn(c[3]);
	d->kernel = dupn(c[4]);
	d->host = dupn(c[5]);
	d->faultline_version = dupn(c[6]);
	return 0;
}

int history_load_run(struct db *db, int64_t run, struct rundir **ret)
{
	_cleanup_free_ char *sql = NULL;
	const struct db_column *c = db_record_columns(NULL);
	struct rundir *d = xzalloc(sizeof(*d));
	struct run_load l = {.d = d};
	char id[32];
	const char *p[] = {id};
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	int r;

	if (!f)
		abort();
	snprintf(id, sizeof(id), "%" PRId64, run);
	fputs("SELECT ", f);
	for (size_t i = 0; c[i].name; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", c[i].name);
	fputs(" FROM records WHERE run = CAST($1 AS BIGINT) ORDER BY id", f);
	fclose(f);
	sql = text;
	r = db_query(db,
		     "SELECT run_id, scenario, started, finished, kernel, host, faultline_version "
		     "FROM runs WHERE id = CAST($1 AS BIGINT)",
		     1, p, run_row, d);
	if (r == 0 && !d->run_id)
		r = -ENOENT;
	if (r == 0)
		r = db_query(db, sql, 1, p, add_record, &l);
	if (r < 0) {
		rundir_free(d);
		return r;
	}
	d->dir = xasprintf("%s#%s", db_url(db), d->run_id);
	*ret = d;
	return 0;
}
