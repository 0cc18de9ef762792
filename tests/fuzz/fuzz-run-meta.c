/* fuzz-run-meta.c — libFuzzer target for run.json's reader (harness/results/run-meta.h), which
 * `merge` and `report` point at run directories from other machines (CI artifacts): any JSON
 * document reads without crashing, and what it reads writes out and reads back the same (the
 * shard, merged_from and missing_shards members among the rest). Must never crash, hang or
 * leak. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "run-meta.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *text_of(const struct run_meta *m)
{
	json_object *o = run_meta_to_json(m);
	char *t = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o =
	    json_tokener_parse_ex(tok, (const char *)data, (int)(size > 65536 ? 65536 : size));
	struct run_meta a, b;

	json_tokener_free(tok);
	if (run_meta_from_json(o, &a) == 0) {
		char *ta = text_of(&a), *tb;
		json_object *back = json_tokener_parse(ta);

		if (run_meta_from_json(back, &b) != 0)
			abort(); /* what was written is an object */
		tb = text_of(&b);
		if (strcmp(ta, tb) != 0)
			abort(); /* a second trip changes nothing */
		free(ta);
		free(tb);
		json_object_put(back);
		run_meta_finish(&a);
		run_meta_finish(&b);
	}
	json_object_put(o);
	return 0;
}
