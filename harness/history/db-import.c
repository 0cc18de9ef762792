/* db-import.c — run directories and runs in progress into the database (see db-import.h). */
#include "db-import.h"

#include <inttypes.h>
#include <pthread.h>

#include "db-schema.h"
#include "rundir.h"
#include "util.h"

/* ---- runs ---- */

static int import_sensors(struct db *db, const char *run, const struct run_meta *m)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < m->n_sensors; i++) {
		const char *p[] = {run, m->sensors[i],
				   m->sensor_versions ? m->sensor_versions[i] : NULL};

		r = db_query_prepared(
		    db, "run_sensor",
		    "INSERT INTO run_sensors (run, sensor, version) VALUES ($1, $2, $3) "
		    "ON CONFLICT (run, sensor) DO UPDATE SET version = excluded.version",
		    3, p, NULL, NULL);
	}
	return r;
}

static int upsert_run(struct db *db, const struct run_meta *m, const char *run_dir,
		      int64_t *ret_run)
{
	_cleanup_free_ char *abs = realpath(run_dir, NULL), *id = NULL;
	const char *host = m->host ? m->host : "";
	const char *p[] = {m->run_id,  host,	    m->scenario,	 m->scenario_path,
			   m->started, m->finished, m->interrupted,	 m->faultline_version,
			   m->kernel,  m->argv,	    abs ? abs : run_dir, m->content_sha256};
	int r;

	/* a re-import or the end of a run fills in what the start did not know, and keeps what
	 * it did */
	r = db_query_prepared(
	    db, "run_upsert",
	    "INSERT INTO runs (run_id, host, scenario, scenario_path, started, finished, "
	    "interrupted, faultline_version, kernel, argv, run_dir, content_sha256) VALUES ($1, "
	    "$2, "
	    "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (run_id, host) DO UPDATE SET "
	    "finished = COALESCE(excluded.finished, runs.finished), interrupted = "
	    "COALESCE(excluded.interrupted, runs.interrupted), run_dir = excluded.run_dir, "
	    "content_sha256 = COALESCE(excluded.content_sha256, runs.content_sha256), kernel = "
	    "COALESCE(excluded.kernel, runs.kernel), argv = COALESCE(excluded.argv, runs.argv)",
	    ARRAY_SIZE(p), p, NULL, NULL);
	if (r < 0)
		return r;
	r = db_query_string(db, "SELECT id FROM runs WHERE run_id = $1 AND host = $2", 2, p, &id);
	if (r < 0)
		return r;
	if (!id)
		return -EIO;
	if ((r = import_sensors(db, id, m)) < 0)
		return r;
	*ret_run = strtoll(id, NULL, 10);
	return 0;
}

int db_import_run(struct db *db, const struct run_meta *m, const char *run_dir, int64_t *ret_run)
{
	int64_t id;
	int r;

	if (!m->run_id)
		return -EINVAL;
	if ((r = db_begin(db)) < 0)
		return r;
	if ((r = upsert_run(db, m, run_dir, &id)) < 0 || (r = db_commit(db)) < 0) {
		db_rollback(db);
		return r;
	}
	*ret_run = id;
	return 0;
}

/* ---- records ---- */

/* The INSERT of a record: every column of the schema, built once. */
static char *insert_sql;
static size_t insert_n;
static pthread_once_t insert_once = PTHREAD_ONCE_INIT;

static void build_insert(void)
{
	size_t n;
	const struct db_column *c = db_record_columns(&n);
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		abort();
	fputs("INSERT INTO records (run, signature", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, ", \"%s\"", c[i].name);
	fputs(") VALUES ($1, $2", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, ", $%zu", i + 3);
	fputs(") ON CONFLICT (run, \"sensor\", \"case\") DO NOTHING", f);
	fclose(f);
	insert_sql = text;
	insert_n = n + 2;
}

/* A member as a column's text: numbers in decimal, booleans 0/1, arrays and objects as JSON. */
static char *column_text(json_object *v, const struct db_column *c)
{
	if (!v || json_object_is_type(v, json_type_null))
		return NULL;
	if (json_object_is_type(v, json_type_boolean))
		return xstrdup(json_object_get_boolean(v) ? "1" : "0");
	if (json_object_is_type(v, json_type_string))
		return xstrdup(json_object_get_string(v));
	if (c->integer && json_object_is_type(v, json_type_int))
		return xasprintf("%" PRId64, json_object_get_int64(v));
	return xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
}

static json_object *member(json_object *o, const struct db_column *c)
{
	json_object *v = NULL, *m = NULL;

	if (!json_object_object_get_ex(o, c->key, &v))
		return NULL;
	if (!c->member)
		return v;
	json_object_object_get_ex(v, c->member, &m);
	return m;
}

static int insert_record(struct db *db, const char *run, const struct record *r)
{
	const struct db_column *c = db_record_columns(NULL);
	json_object *o = record_to_json(r);
	char **params;
	int ret;

	pthread_once(&insert_once, build_insert);
	params = xcalloc(insert_n, sizeof(char *));
	params[0] = xstrdup(run);
	params[1] = record_signature(r) ? xstrdup(record_signature(r)) : NULL;
	for (size_t i = 2; i < insert_n; i++)
		params[i] = column_text(member(o, &c[i - 2]), &c[i - 2]);
	json_object_put(o);
	ret = db_query_prepared(db, "record_insert", insert_sql, insert_n,
				(const char *const *)params, NULL, NULL);
	for (size_t i = 0; i < insert_n; i++)
		free(params[i]);
	free(params);
	return ret;
}

/* A new record's signature: counted, and its first and last sighting moved. */
static int count_signature(struct db *db, const char *run_id, const struct record *r)
{
	const char *p[] = {r->sensor, record_signature(r), r->verdict, r->started, run_id};

	return db_query_prepared(
	    db, "signature_count",
	    "INSERT INTO signatures (sensor, title, verdict, first_seen, last_seen, first_run, "
	    "last_run, occurrences) VALUES ($1, $2, $3, $4, $4, $5, $5, 1) ON CONFLICT (sensor, "
	    "title) DO UPDATE SET occurrences = signatures.occurrences + 1, first_run = CASE WHEN "
	    "excluded.first_seen < signatures.first_seen THEN excluded.first_run ELSE "
	    "signatures.first_run END, first_seen = CASE WHEN excluded.first_seen < "
	    "signatures.first_seen THEN excluded.first_seen ELSE signatures.first_seen END, "
	    "last_run "
	    "= CASE WHEN excluded.last_seen > signatures.last_seen THEN excluded.last_run ELSE "
	    "signatures.last_run END, last_seen = CASE WHEN excluded.last_seen > "
	    "signatures.last_seen THEN excluded.last_seen ELSE signatures.last_seen END",
	    ARRAY_SIZE(p), p, NULL, NULL);
}

static int record_in_tx(struct db *db, int64_t run, const struct record *r)
{
	char id[32];
	int k;

	snprintf(id, sizeof(id), "%" PRId64, run);
	if ((k = insert_record(db, id, r)) < 0)
		return k;
	if (db_changes(db) == 0)
		return 0;
	if (record_signature(r) && (k = count_signature(db, r->run_id, r)) < 0)
		return k;
	return 1;
}

int db_import_record(struct db *db, int64_t run, const struct record *r)
{
	int k = db_begin(db);

	if (k < 0)
		return k;
	if ((k = record_in_tx(db, run, r)) < 0) {
		db_rollback(db);
		return k;
	}
	return db_commit(db) < 0 ? -EIO : k;
}

/* ---- a run directory ---- */

/* A run.json from what rundir_load() read, for a run directory that has none. */
static void meta_from_rundir(const struct rundir *d, struct run_meta *m)
{
	*m = (struct run_meta){
	    .run_id = d->run_id ? xstrdup(d->run_id) : NULL,
	    .scenario = d->scenario ? xstrdup(d->scenario) : NULL,
	    .started = d->started ? xstrdup(d->started) : NULL,
	    .host = d->host ? xstrdup(d->host) : NULL,
	    .faultline_version = d->faultline_version ? xstrdup(d->faultline_version) : NULL,
	    .kernel = d->kernel ? xstrdup(d->kernel) : NULL,
	};
}

int db_import_dir(struct db *db, const char *dir, struct db_import_stats *ret, char **ret_error)
{
	_cleanup_free_ char *meta_path = xasprintf("%s/run.json", dir);
	struct db_import_stats st = {0};
	struct rundir *d = NULL;
	struct run_meta m;
	int64_t run;
	int r = rundir_load(dir, &d);

	if (r < 0) {
		*ret_error = xasprintf("%s: %s", dir,
				       r == -ENOENT || r == -ENOTDIR
					   ? "not a run directory (no results.jsonl)"
					   : strerror(-r));
		return r;
	}
	if (run_meta_read(meta_path, &m) < 0)
		meta_from_rundir(d, &m);
	if (!m.run_id) {
		*ret_error = xasprintf("%s: the run has no run id (no run.json, no record)", dir);
		r = -EINVAL;
		goto out;
	}
	if ((r = db_import_run(db, &m, dir, &run)) < 0)
		goto db_fail;
	/* one transaction for the whole directory: a second import at the same time waits */
	if ((r = db_begin(db)) < 0)
		goto db_fail;
	for (size_t i = 0; i < d->n_records; i++) {
		int k = record_in_tx(db, run, &d->records[i]);
		if (k < 0) {
			db_rollback(db);
			r = k;
			goto db_fail;
		}
		st.added += (size_t)k;
	}
	if ((r = db_commit(db)) < 0)
		goto db_fail;
	st.records = d->n_records;
	st.skipped = d->n_skipped;
	*ret = st;
	goto out;
db_fail:
	*ret_error = xasprintf("%s: %s", db_url(db), db_error(db));
out:
	run_meta_finish(&m);
	rundir_free(d);
	return r;
}

/* ---- a run in progress ---- */

struct db_writer {
	struct db *db;
	pthread_mutex_t lock;
	int64_t run; /* 0: the run's row is not written */
	size_t written, missed;
	char *error;
};

int db_writer_open(const char *url, struct db_writer **ret, char **ret_error)
{
	struct db *db;
	struct db_writer *w;
	int r = db_open(url, &db, ret_error);

	if (r < 0)
		return r;
	if ((r = db_schema_ensure(db, ret_error)) < 0) {
		db_close(db);
		return r;
	}
	w = xzalloc(sizeof(*w));
	w->db = db;
	pthread_mutex_init(&w->lock, NULL);
	*ret = w;
	return 0;
}

struct db_writer *db_writer_close(struct db_writer *w)
{
	if (!w)
		return NULL;
	db_close(w->db);
	pthread_mutex_destroy(&w->lock);
	free(w->error);
	free(w);
	return NULL;
}

static void lost(struct db_writer *w)
{
	if (!w->error)
		w->error = xstrdup(db_error(w->db));
	w->missed++;
}

void db_writer_run(struct db_writer *w, const struct run_meta *m, const char *run_dir)
{
	int64_t run;

	pthread_mutex_lock(&w->lock);
	if (db_import_run(w->db, m, run_dir, &run) < 0) {
		if (!w->error)
			w->error = xstrdup(db_error(w->db));
	} else
		w->run = run;
	pthread_mutex_unlock(&w->lock);
}

void db_writer_record(struct db_writer *w, json_object *o)
{
	struct record r;

	if (record_from_json(o, &r) < 0)
		return;
	pthread_mutex_lock(&w->lock);
	/* once the connection is gone every record is missed: no reconnecting per case */
	if (!w->run || (w->error && db_backend(w->db) == DB_POSTGRES && w->missed) ||
	    db_import_record(w->db, w->run, &r) < 0)
		lost(w);
	else
		w->written++;
	pthread_mutex_unlock(&w->lock);
	record_finish(&r);
}

size_t db_writer_missed(const struct db_writer *w, const char **ret_error)
{
	if (ret_error)
		*ret_error = w->error;
	return w->missed;
}

size_t db_writer_written(const struct db_writer *w)
{
	return w->written;
}

const char *db_writer_url(const struct db_writer *w)
{
	return db_url(w->db);
}
