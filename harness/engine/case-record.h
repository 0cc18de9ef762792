/* case-record.h — one fleet result (a case on a sensor) as the record results.jsonl stores
 * (harness/results/record.h). It lives here, above both the fleet and the results store, so
 * that neither the store nor the reports depend on the fleet.
 * Ownership: the record filled in is the caller's (record_finish); the JSON object too. */
#pragma once

#include <json-c/json.h>

#include "record.h"
#include "runner.h"
#include "scenario.h"

/* What every record of a run repeats. */
struct record_context {
	const char *run_id;
	const char *scenario;
	const char *kernel;
	const char *kernel_name; /* guest: kernel: or a matrix's name; NULL: none named */
	const char *system;	 /* "initramfs", a full system's name, "disk"; NULL: unknown */
	const char *arch;	 /* the guest's architecture; NULL: amd64 */
};

/* The record of res, the result of case c on sensor; console_rel is its console log relative
 * to the run directory. */
void case_record_fill(const struct record_context *ctx, const char *sensor,
		      const struct scenario_case *c, const struct case_result *res,
		      const char *console_rel, struct record *ret);
/* The same as the JSON object results_append() takes. */
json_object *case_record_json(const struct record_context *ctx, const char *sensor,
			      const struct scenario_case *c, const struct case_result *res,
			      const char *console_rel);
