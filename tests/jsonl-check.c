/* jsonl-check — test helper for results.jsonl files.
 *
 *   jsonl-check FILE                         every line is a JSON object; prints the count
 *   jsonl-check FILE SENSOR CASE FIELD VALUE the record of SENSOR/CASE has FIELD == VALUE
 *                                            (VALUE "null" matches null; FIELD may be a
 *                                            path: reboot.boots.0.title, reboot.boots.length)
 *   jsonl-check FILE --list                  prints "sensor case verdict title" per record
 * Exit 0 when it holds, 1 otherwise (with a message). */
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A member, or a dotted path into nested objects and arrays ("length": an array's length). */
static const char *field(json_object *o, const char *k)
{
	static char len[32];
	char path[256], *save = NULL;
	json_object *v = o;

	snprintf(path, sizeof(path), "%s", k);
	for (char *part = strtok_r(path, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(v, json_type_array)) {
			if (!strcmp(part, "length")) {
				snprintf(len, sizeof(len), "%zu", json_object_array_length(v));
				return len;
			}
			v = json_object_array_get_idx(v, (size_t)strtoul(part, NULL, 10));
		} else if (!json_object_object_get_ex(v, part, &v)) {
			v = NULL;
		}
		if (!v)
			return "null";
	}
	if (json_object_is_type(v, json_type_null))
		return "null";
	return json_object_get_string(v);
}

int main(int argc, char **argv)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	long n = 0, found = 0;
	int bad = 0;

	bool list = argc == 3 && !strcmp(argv[2], "--list");

	if (argc != 2 && argc != 6 && !list) {
		fprintf(stderr, "usage: jsonl-check FILE [SENSOR CASE FIELD VALUE]\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	while (getline(&line, &cap, f) > 0) {
		json_object *o = json_tokener_parse(line);
		n++;
		if (!o || !json_object_is_type(o, json_type_object)) {
			fprintf(stderr, "%s:%ld: not a JSON object: %.80s\n", argv[1], n, line);
			bad = 1;
			continue;
		}
		if (list)
			printf("%s\t%s\t%s\t%s\n", field(o, "sensor"), field(o, "case"),
			       field(o, "verdict"), field(o, "title"));
		if (argc == 6 && !strcmp(field(o, "sensor"), argv[2]) &&
		    !strcmp(field(o, "case"), argv[3])) {
			found++;
			if (strcmp(field(o, argv[4]), argv[5])) {
				fprintf(stderr, "%s/%s: %s is '%s', expected '%s'\n", argv[2],
					argv[3], argv[4], field(o, argv[4]), argv[5]);
				bad = 1;
			}
		}
		json_object_put(o);
	}
	free(line);
	fclose(f);
	if (argc == 6 && found != 1) {
		fprintf(stderr, "%s/%s: %ld records, expected 1\n", argv[2], argv[3], found);
		return 1;
	}
	if (argc == 2)
		printf("%ld\n", n);
	else if (list && n == 0)
		bad = 1;
	return bad;
}
