/* results.h — the result store of a run directory.
 *
 * RUN_DIR/results.jsonl gets one JSON object per case, appended and fsync'd before the call
 * returns, so that a killed controller loses at most the case in flight. RUN_DIR/run.json holds
 * the run's metadata, rewritten atomically at start and end. Thread-safe: fleet workers append
 * concurrently.
 * Ownership: results_close() frees the store; records passed in stay the caller's.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct results;

/* Create RUN_DIR (and inputs/, consoles/) and open results.jsonl for appending. */
int results_open(const char *run_dir, struct results **ret);
struct results *results_close(struct results *r);
/* Append one record as a single line, then fsync. On failure (ENOSPC, EIO, EFBIG) the file
 * is cut back to where it ended before, so that the next record starts a line of its own, and
 * the error is returned; -errno of the cut when even that failed. */
int results_append(struct results *r, struct json_object *record);
/* Whether RUN_DIR already holds a run (results.jsonl or run.json): `run -o` refuses to add to
 * one unless resumed. */
bool results_exists(const char *run_dir);
/* Write RUN_DIR/run.json atomically. */
int results_write_meta(struct results *r, struct json_object *meta);
/* Current UTC time as ISO 8601 into buf[32]. */
void results_timestamp(char buf[32]);
/* The same for a time ago_ms milliseconds before now. */
void results_timestamp_ago(char buf[32], uint64_t ago_ms);
