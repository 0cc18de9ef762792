/* db-import.h — a run directory into the results database: its run.json as a row of runs (and
 * run_sensors), each results.jsonl record as a row of records, and each crash or hang title
 * counted in signatures. Idempotent: a run is known by (run_id, host), a record by (run,
 * sensor, case), and importing what is there already adds nothing.
 *
 * db_writer is the same for a run in progress: the engine writes each record as it appends it
 * to results.jsonl. A database lost mid-run does not stop the run: the writer counts what it
 * missed, and `faultline db import RUN_DIR` later makes the database whole.
 *
 * Ownership: the writer owns its connection; db_writer_close() frees it (accepts NULL). */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "db.h"
#include "record.h"
#include "run-meta.h"

/* The run's row, inserted or brought up to date (finished, run_dir, versions). */
int db_import_run(struct db *db, const struct run_meta *m, const char *run_dir, int64_t *ret_run);
/* One record of run (a runs.id), in its own transaction with its signature's count. Returns
 * 1 when added, 0 when the database had it already, or a database error. */
int db_import_record(struct db *db, int64_t run, const struct record *r);

struct db_import_stats {
	size_t records, added; /* read from results.jsonl; new in the database */
	size_t skipped;	       /* lines that were not a record */
};

/* RUN_DIR whole. Returns 0; -ENOENT (not a run directory) or a database error, with
 * *ret_error saying which (caller frees). */
int db_import_dir(struct db *db, const char *dir, struct db_import_stats *ret, char **ret_error);

struct db_writer;

/* Connect to url and bring its schema up to date: before any guest boots, so that an
 * unreachable database stops the run at the start. */
int db_writer_open(const char *url, struct db_writer **ret, char **ret_error);
struct db_writer *db_writer_close(struct db_writer *w);
/* The run's row at its start, and again at its end (finished). Failures count as lost. */
void db_writer_run(struct db_writer *w, const struct run_meta *m, const char *run_dir);
/* One record as appended to results.jsonl. Thread-safe. */
void db_writer_record(struct db_writer *w, json_object *record);
/* Records not written (the database was lost, or refused them), and the first error. */
size_t db_writer_missed(const struct db_writer *w, const char **ret_error);
size_t db_writer_written(const struct db_writer *w);
const char *db_writer_url(const struct db_writer *w);
