/* jsonsum.c — the aggregate as one JSON document for dashboards: totals, per-sensor headline
 * and times, the matrix, signatures, recovery rows, and the runs. Per-case data stays in
 * results.jsonl. */
#include "render.h"

#include <json-c/json.h>

#include "jsonx.h"
#include "util.h"

static struct json_object *counts_json(const struct aggregate_counts *c)
{
	struct json_object *o = json_object_new_object(), *v = json_object_new_object();

	json_object_object_add(o, "cases", json_object_new_int64((int64_t)c->n));
	for (int k = 0; k < _VERDICT_MAX; k++)
		if (c->v[k])
			json_object_object_add(v, verdict_name(k),
					       json_object_new_int64((int64_t)c->v[k]));
	json_object_object_add(o, "verdicts", v);
	json_object_object_add(o, "silent_accept",
			       json_object_new_int64((int64_t)c->silent_accept));
	return o;
}

static struct json_object *run_json(const struct rundir *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "dir", json_object_new_string(r->dir));
	json_object_object_add(o, "run_id", jsonx_str_or_null(r->run_id));
	json_object_object_add(o, "scenario", jsonx_str_or_null(r->scenario));
	json_object_object_add(o, "started", jsonx_str_or_null(r->started));
	json_object_object_add(o, "finished", jsonx_str_or_null(r->finished));
	json_object_object_add(o, "interrupted", jsonx_str_or_null(r->interrupted));
	json_object_object_add(o, "kernel", jsonx_str_or_null(r->kernel));
	json_object_object_add(o, "faultline_version", jsonx_str_or_null(r->faultline_version));
	json_object_object_add(o, "accel", jsonx_str_or_null(r->accel));
	json_object_object_add(o, "isolation", jsonx_str_or_null(r->isolation));
	json_object_object_add(o, "seed", r->has_seed ? json_object_new_uint64(r->seed) : NULL);
	json_object_object_add(o, "host", jsonx_str_or_null(r->host));
	if (r->jobs)
		json_object_object_add(o, "jobs", json_object_new_int64((int64_t)r->jobs));
	if (r->shard_n) {
		struct json_object *sh = json_object_new_object();
		json_object_object_add(sh, "k", json_object_new_int64(r->shard_k));
		json_object_object_add(sh, "n", json_object_new_int64(r->shard_n));
		json_object_object_add(sh, "jobs", json_object_new_int64((int64_t)r->shard_jobs));
		json_object_object_add(o, "shard", sh);
	}
	if (r->n_missing)
		json_object_object_add(o, "missing_shards",
				       json_object_new_int64((int64_t)r->n_missing));
	json_object_object_add(o, "records", json_object_new_int64((int64_t)r->n_records));
	json_object_object_add(o, "skipped_lines", json_object_new_int64((int64_t)r->n_skipped));
	json_object_object_add(o, "last_line_truncated",
			       json_object_new_boolean(r->last_truncated));
	json_object_object_add(o, "superseded", json_object_new_int64((int64_t)r->n_superseded));
	return o;
}

static struct json_object *sensor_json(const struct aggregate_sensor *sen)
{
	struct json_object *o = counts_json(&sen->counts), *t = json_object_new_object();

	json_object_object_add(o, "sensor", json_object_new_string(sen->name));
	json_object_object_add(o, "failures", json_object_new_int64((int64_t)sen->failures));
	json_object_object_add(o, "errors", json_object_new_int64((int64_t)sen->errors));
	json_object_object_add(o, "expect_total",
			       json_object_new_int64((int64_t)sen->expect_total));
	json_object_object_add(o, "expect_met", json_object_new_int64((int64_t)sen->expect_met));
	json_object_object_add(o, "signatures", json_object_new_int64((int64_t)sen->n_signatures));
	json_object_object_add(t, "median", jsonx_int_or_null(sen->time_median_ms));
	json_object_object_add(t, "p90", jsonx_int_or_null(sen->time_p90_ms));
	json_object_object_add(t, "max", jsonx_int_or_null(sen->time_max_ms));
	json_object_object_add(t, "boot_median", jsonx_int_or_null(sen->boot_median_ms));
	json_object_object_add(o, "time_ms", t);
	return o;
}

/* A sensor's row of the matrix: its counts per mutation class that has cases. */
static struct json_object *matrix_row_json(const struct aggregate *a, size_t s)
{
	struct json_object *row = json_object_new_object();

	json_object_object_add(row, "sensor", json_object_new_string(a->sensors[s].name));
	for (size_t c = 0; c < a->n_classes; c++) {
		const struct aggregate_counts *cell = aggregate_cell(a, s, c);
		if (cell->n)
			json_object_object_add(row, a->classes[c], counts_json(cell));
	}
	return row;
}

static struct json_object *signature_json(const struct aggregate_signature *sig)
{
	struct json_object *o = json_object_new_object(), *first = json_object_new_object();
	_cleanup_free_ char *replay = render_replay_command(sig->first);

	json_object_object_add(o, "title", json_object_new_string(sig->title));
	json_object_object_add(o, "verdict", json_object_new_string(sig->first->verdict));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)sig->count));
	json_object_object_add(o, "sensors", json_object_new_string(sig->sensors));
	json_object_object_add(o, "time_to_verdict_min_ms", jsonx_int_or_null(sig->ttc_min_ms));
	json_object_object_add(o, "time_to_verdict_max_ms", jsonx_int_or_null(sig->ttc_max_ms));
	json_object_object_add(first, "run_dir", json_object_new_string(sig->first->run->dir));
	json_object_object_add(first, "sensor", json_object_new_string(sig->first->sensor));
	json_object_object_add(first, "case", json_object_new_string(sig->first->case_id));
	json_object_object_add(first, "input", jsonx_str_or_null(sig->first->input));
	json_object_object_add(first, "input_sha256", jsonx_str_or_null(sig->first->input_sha256));
	json_object_object_add(first, "console", jsonx_str_or_null(sig->first->console));
	json_object_object_add(first, "replay", json_object_new_string(replay));
	json_object_object_add(o, "first", first);
	return o;
}

/* A row of the recovery table (aggregate.h, struct aggregate_recovery). */
static struct json_object *recovery_json(const struct aggregate_recovery *row)
{
	struct json_object *o = json_object_new_object(), *boots = json_object_new_object();
	struct json_object *wall = json_object_new_object(), *guest = json_object_new_object();
	bool any = row->boots_median >= 0;

	json_object_object_add(o, "sensor", json_object_new_string(row->sensor));
	json_object_object_add(o, "mechanism", json_object_new_string(row->mechanism));
	json_object_object_add(o, "followed", json_object_new_int64((int64_t)row->followed));
	json_object_object_add(o, "boot_loop", json_object_new_int64((int64_t)row->loops));
	json_object_object_add(o, "recovered", json_object_new_int64((int64_t)row->recovered));
	json_object_object_add(o, "infra_error", json_object_new_int64((int64_t)row->infra));
	json_object_object_add(o, "loops_titles_agreed",
			       json_object_new_int64((int64_t)row->loops_agreed));
	json_object_object_add(boots, "median",
			       any ? json_object_new_double(row->boots_median) : NULL);
	json_object_object_add(boots, "max",
			       any ? json_object_new_int64((int64_t)row->boots_max) : NULL);
	json_object_object_add(o, "boots_to_recovery", boots);
	json_object_object_add(wall, "median", jsonx_int_or_null(row->wall_median_ms));
	json_object_object_add(wall, "max", jsonx_int_or_null(row->wall_max_ms));
	json_object_object_add(o, "recovery_wall_ms", wall);
	json_object_object_add(guest, "median", jsonx_int_or_null(row->guest_median_ms));
	json_object_object_add(o, "recovery_guest_ms", guest);
	return o;
}

static json_object *hosts_json(const struct aggregate *a)
{
	json_object *hosts = json_object_new_array();

	for (size_t i = 0; i < a->n_hosts; i++) {
		const struct aggregate_host *h = &a->hosts[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "uri", json_object_new_string(h->uri));
		json_object_object_add(o, "cases", json_object_new_uint64(h->cases));
		json_object_object_add(o, "infra_errors", json_object_new_uint64(h->infra_errors));
		json_object_object_add(o, "host_faults", json_object_new_uint64(h->host_faults));
		json_object_array_add(hosts, o);
	}
	return hosts;
}

int jsonsum_write(FILE *f, const struct aggregate *a)
{
	struct json_object *root = json_object_new_object();
	struct json_object *runs = json_object_new_array(), *sensors = json_object_new_array();
	struct json_object *matrix = json_object_new_array(), *sigs = json_object_new_array();
	struct json_object *total = counts_json(&a->total), *classes = json_object_new_array();
	struct json_object *recovery = json_object_new_array();

	for (size_t i = 0; i < a->n_runs; i++)
		json_object_array_add(runs, run_json(a->runs[i]));
	for (size_t c = 0; c < a->n_classes; c++)
		json_object_array_add(classes, json_object_new_string(a->classes[c]));
	json_object_object_add(total, "failures", json_object_new_int64((int64_t)a->failures));
	json_object_object_add(total, "errors", json_object_new_int64((int64_t)a->errors));
	json_object_object_add(total, "skipped_lines",
			       json_object_new_int64((int64_t)a->n_skipped));
	for (size_t s = 0; s < a->n_sensors; s++) {
		json_object_array_add(sensors, sensor_json(&a->sensors[s]));
		json_object_array_add(matrix, matrix_row_json(a, s));
	}
	for (size_t g = 0; g < a->n_sigs; g++)
		json_object_array_add(sigs, signature_json(&a->sigs[g]));
	for (size_t i = 0; i < a->n_recovery; i++)
		json_object_array_add(recovery, recovery_json(&a->recovery[i]));

	json_object_object_add(root, "faultline_report", json_object_new_int(1));
	json_object_object_add(root, "total", total);
	json_object_object_add(root, "runs", runs);
	json_object_object_add(root, "sensors", sensors);
	json_object_object_add(root, "classes", classes);
	json_object_object_add(root, "matrix", matrix);
	json_object_object_add(root, "signatures", sigs);
	/* empty unless cases ran with persistence and a crashed machine was followed */
	json_object_object_add(root, "recovery", recovery);
	if (a->n_hosts > 1)
		json_object_object_add(root, "hosts", hosts_json(a));
	fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE),
	      f);
	fputc('\n', f);
	json_object_put(root);
	return ferror(f) ? -EIO : 0;
}
