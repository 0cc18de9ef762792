/* db-schema.h — the tables of the results database, their version, and migrations.
 *
 * schema_version (one row: the version below), runs (one per run directory: its run.json),
 * run_sensors (each run's sensors and their versions), records (one per results.jsonl record,
 * a column per member of the record schema, harness/results/record.h, named as its JSON key;
 * nested objects of scalars are flattened to KEY_MEMBER, arrays and deeper objects kept as JSON
 * text) and signatures (a crash or hang title per sensor: first and last seen, runs, count).
 *
 * The records columns are derived from record_to_json() and never listed by hand: a member added
 * to the record schema becomes a column the next time a database is opened (ALTER TABLE ADD).
 *
 * Ownership: the column table is static, built once. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* 1: runs, records, signatures; 2: run_sensors (sensor versions) and runs.content_sha256. */
#define DB_SCHEMA_VERSION 2

struct db_column {
	char *name;   /* the column: the JSON key, or KEY_MEMBER for a flattened object */
	char *key;    /* the record's top-level key */
	char *member; /* NULL, or the member of the object under key */
	bool integer; /* numbers and booleans (0/1); else text */
	bool json;    /* an array or object kept as JSON text */
	bool boolean; /* read back as a JSON boolean */
};

/* The records table's columns from the record schema (NULL name ends them). */
const struct db_column *db_record_columns(size_t *ret_n);

/* Create the tables, or migrate an older schema to this one (each step in a transaction), and
 * add record columns the table lacks. Returns 0, -EPROTONOSUPPORT for a database of a newer
 * schema than this faultline knows, or a database error; *ret_error says which (caller frees). */
int db_schema_ensure(struct db *db, char **ret_error);
/* The version a database is at (0: no schema yet). */
int db_schema_version(struct db *db, int *ret);

/* The SQL of schema version 1, for tests that make an old database to migrate. */
int db_schema_create_v1(struct db *db);
