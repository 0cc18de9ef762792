/* record.h — one case's result as the JSON object stored in results.jsonl (DESIGN.md,
 * "Results"). The caller owns the returned object (json_object_put). */
#pragma once

#include <json-c/json.h>

#include "runner.h"
#include "scenario.h"

struct record_context {
	const char *run_id;
	const char *scenario;
	const char *kernel;
};

json_object *record_build(const struct record_context *ctx, const char *sensor,
			  const struct scenario_case *c, const struct case_result *res,
			  const char *console_rel);
