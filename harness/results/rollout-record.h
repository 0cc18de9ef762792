/* rollout-record.h — the schema of a line of RUN_DIR/rollout.jsonl, the record of one machine
 * of a staged rollout (`faultline rollout`): the case's record as results.jsonl stores it
 * (record.h), then "rollout": where the machine stood (variant, strategy, ring, profile, its
 * number, and whether it got the update or the rollback). Appended with results_append() on a
 * store opened with results_open_log() (results.h).
 *
 * rollout_record_to_json() writes the record's members in record_to_json()'s order, then
 * "rollout"; rollout_record_from_json() reads a line back as record_from_json() does, and an
 * absent or partial "rollout" as NULLs and 0.
 *
 * Ownership: a rollout record owns its record and every string; rollout_record_finish() frees
 * them and accepts one that rollout_record_init() or a failed rollout_record_from_json() left.
 * rollout_record_to_json() returns a new object the caller puts. */
#pragma once

#include <json-c/json.h>

#include "record.h"

struct rollout_record {
	struct record record; /* its console, sensor log and boot consoles relative to the
			       * rollout's directory */
	char *variant;	      /* NULL: the rollout as written */
	char *strategy;	      /* "all-at-once" or "rings" */
	char *ring;	      /* "all" for all at once */
	char *profile;
	unsigned machine; /* 1-based; 0 unknown */
	char *delivery;	  /* "update" or "rollback" */
};

void rollout_record_init(struct rollout_record *r);
void rollout_record_finish(struct rollout_record *r);

json_object *rollout_record_to_json(const struct rollout_record *r);
/* Returns 0, or record_from_json()'s -EINVAL; *ret is then empty. */
int rollout_record_from_json(json_object *o, struct rollout_record *ret);
