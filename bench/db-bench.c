/* db-bench.c — what writing to the results database costs a run, per case: the records of a run
 * directory written N times through the writer `faultline run --db` uses (db-import.h: one
 * transaction per record, with its signature), each time as a new run. Prints microseconds per
 * record. Built with the tests; run by bench/db-bench.sh.
 *   db-bench URL RUN_DIR N */
#include <inttypes.h>
#include <stdio.h>

#include "db-import.h"
#include "rundir.h"
#include "util.h"

static json_object *read_lines(const char *dir, size_t *ret_n)
{
	_cleanup_free_ char *path = xasprintf("%s/results.jsonl", dir);
	_cleanup_fclose_ FILE *f = fopen(path, "r");
	json_object *a = json_object_new_array();
	char *line = NULL;
	size_t cap = 0;

	if (!f) {
		perror(path);
		exit(2);
	}
	while (getline(&line, &cap, f) > 0) {
		json_object *o = json_tokener_parse(line);
		if (o)
			json_object_array_add(a, o);
	}
	free(line);
	*ret_n = json_object_array_length(a);
	return a;
}

int main(int argc, char **argv)
{
	_cleanup_free_ char *meta_path = NULL, *err = NULL;
	struct db_writer *w;
	struct run_meta m;
	json_object *lines;
	size_t n, reps;
	uint64_t t0, t;

	if (argc != 4) {
		fprintf(stderr, "usage: db-bench URL RUN_DIR N\n");
		return 2;
	}
	reps = strtoul(argv[3], NULL, 10);
	meta_path = xasprintf("%s/run.json", argv[2]);
	if (run_meta_read(meta_path, &m) < 0) {
		fprintf(stderr, "%s: cannot read\n", meta_path);
		return 2;
	}
	lines = read_lines(argv[2], &n);
	if (db_writer_open(argv[1], &w, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	t0 = now_ms();
	for (size_t r = 0; r < reps; r++) {
		free(m.run_id);
		m.run_id = xasprintf("bench-%d-%zu", getpid(), r);
		db_writer_run(w, &m, argv[2]);
		for (size_t i = 0; i < n; i++)
			db_writer_record(w, json_object_array_get_idx(lines, i));
	}
	t = now_ms() - t0;
	if (db_writer_missed(w, NULL)) {
		fprintf(stderr, "db-bench: %zu records missed\n", db_writer_missed(w, NULL));
		return 1;
	}
	printf("%zu records in %" PRIu64 " ms: %.0f us per record\n", db_writer_written(w), t,
	       1000.0 * (double)t / (double)db_writer_written(w));
	db_writer_close(w);
	json_object_put(lines);
	run_meta_finish(&m);
	return 0;
}
