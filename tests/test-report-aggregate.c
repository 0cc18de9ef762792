/* test-report-aggregate.c — reading run directories (skipped and superseded lines) through
 * rundir.c, as every report does, and the aggregate every renderer shows, over the fixture runs in
 * tests/data/runs/. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aggregate.h"
#include "render.h"
#include "rundir.h"
#include "testlib.h"
#include "util.h"

#define BASE FAULTLINE_TEST_DATA "/runs/quickstart-base"
#define NEW FAULTLINE_TEST_DATA "/runs/quickstart-new"
#define BOOTLOOP FAULTLINE_TEST_DATA "/runs/bootloop"
#define BOOTLOOP_EDGE FAULTLINE_TEST_DATA "/runs/bootloop-edge"
#define PF "BUG: unable to handle page fault in ks_eval_field"
#define HOSTILE "BUG: ]]> <script>alert(1)</script> & \"quoted\" in ks_parse"
#define LOCKUP "watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [kworker/0:1]"

static struct rundir *load(const char *dir)
{
	struct rundir *run = NULL;

	ck_assert_int_eq(rundir_load(dir, &run), 0);
	ck_assert_ptr_nonnull(run);
	return run;
}

static const struct record *find(const struct rundir *run, const char *sensor, const char *case_id)
{
	for (size_t i = 0; i < run->n_records; i++)
		if (streq(run->records[i].sensor, sensor) &&
		    streq(run->records[i].case_id, case_id))
			return &run->records[i];
	ck_abort_msg("no record %s/%s", sensor, case_id);
	return NULL;
}

START_TEST(test_read_killed_run)
{
	struct rundir *run = load(BASE);
	const struct record *r;

	ck_assert(run->has_meta);
	ck_assert_str_eq(run->run_id, "quickstart-20261125-091500");
	ck_assert_str_eq(run->kernel, "6.1.0-56-amd64");
	ck_assert_ptr_null(run->finished); /* killed */
	ck_assert(run->has_seed);
	ck_assert_uint_eq(run->seed, 1);
	ck_assert_uint_eq(run->n_sensors, 2);
	ck_assert_str_eq(run->sensors[0], "ksensor-legacy");
	ck_assert_str_eq(run->sensors[1], "ksensor-hardened");

	ck_assert_uint_eq(run->n_lines, 16);
	ck_assert_uint_eq(run->n_skipped, 1);
	ck_assert_uint_eq(run->first_skipped, 16);
	ck_assert(run->last_truncated);
	ck_assert_uint_eq(run->n_superseded, 1);
	ck_assert_uint_eq(run->n_records, 14);

	/* The retried case keeps its last attempt, at the place of its first line. */
	r = find(run, "ksensor-hardened", "truncate-4");
	ck_assert_str_eq(r->verdict, "rejected");
	ck_assert_int_eq(r->kind, VERDICT_REJECTED);
	ck_assert_int_eq(r->attempt, 2);
	ck_assert_uint_eq(r->line, 15);
	ck_assert_ptr_eq(r, &run->records[12]);

	r = find(run, "ksensor-legacy", "count-plus-one");
	ck_assert_str_eq(r->title, PF);
	ck_assert_str_eq(r->mutation_class, "count_plus_one");
	ck_assert_str_eq(r->mutations, "[{\"op\":\"count_plus_one\",\"field\":\"field_count\"}]");
	ck_assert_ptr_null(r->expect);
	ck_assert_int_eq(r->matched, -1);
	ck_assert_int_eq(r->boot_ms, 5200);
	ck_assert_int_eq(r->verdict_ms, 1200);
	ck_assert_int_eq(r->total_ms, 7100);
	ck_assert_int_eq(r->input_size, 110);
	ck_assert_str_eq(r->input, "inputs/count-plus-one.bin");
	ck_assert_str_eq(r->console, "consoles/ksensor-legacy/count-plus-one.log");
	ck_assert(strstr(r->report, "Kernel panic - not syncing"));
	ck_assert_int_eq(record_outcome(r), RECORD_FAILURE);
	ck_assert_str_eq(record_signature(r), PF);

	r = find(run, "ksensor-legacy", "seed");
	ck_assert_str_eq(r->mutation_class, "seed");
	ck_assert_str_eq(r->mutations, "[]");
	ck_assert_str_eq(r->expect, "accepted");
	ck_assert_int_eq(r->matched, 1);
	ck_assert(!record_silent_accept(r));
	ck_assert_int_eq(record_outcome(r), RECORD_PASS);
	ck_assert_ptr_null(record_signature(r));

	r = find(run, "ksensor-legacy", "bitflip-3");
	ck_assert(record_silent_accept(r));
	ck_assert_int_eq(record_outcome(r), RECORD_PASS); /* no expect, no crash */

	r = find(run, "ksensor-hardened", "bitflip-3");
	ck_assert_int_eq(record_outcome(r), RECORD_FAILURE); /* expected rejected */

	r = find(run, "ksensor-legacy", "truncate-4");
	ck_assert_int_eq(record_outcome(r), RECORD_ERROR);

	r = find(run, "ksensor-legacy", "hostile]]>&<script>");
	ck_assert_str_eq(r->case_name, "<script>alert('name')</script>");
	ck_assert_str_eq(r->title, HOSTILE);
	ck_assert_str_eq(r->mutation_class, "set_field");
	{
		_cleanup_free_ char *cmd = render_replay_command(r);
		ck_assert_str_eq(cmd, "faultline replay '" BASE
				      "/hostile]]>&<script>' --sensor ksensor-legacy");
	}
	rundir_free(run);
}
END_TEST

/* A sensor folder, run folder or case may be named to run something when the replay
 * command is pasted: each is one quoted word that the shell gives back unchanged. */
START_TEST(test_replay_quoted)
{
	struct rundir run = {.dir = "runs/it's here/"};
	struct record r = {.run = &run, .case_id = "c;rm -rf ~", .sensor = "a$(touch pwn);b"};
	_cleanup_free_ char *cmd = render_replay_command(&r);
	_cleanup_free_ char *sh =
	    xasprintf("cd '%s' && set -- %s && printf '%%s|' \"$@\"", testlib_tmpdir(), cmd);
	_cleanup_free_ char *pwn = xasprintf("%s/pwn", testlib_tmpdir());
	char out[256] = {0};
	FILE *p;

	ck_assert_str_eq(cmd, "faultline replay 'runs/it'\\''s here/c;rm -rf ~' --sensor "
			      "'a$(touch pwn);b'");
	p = popen(sh, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_gt(fread(out, 1, sizeof(out) - 1, p), 0);
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_str_eq(out,
			 "faultline|replay|runs/it's here/c;rm -rf ~|--sensor|a$(touch pwn);b|");
	ck_assert_int_eq(access(pwn, F_OK), -1);
}
END_TEST

static void write_str(const char *name, const char *content)
{
	_cleanup_free_ char *rel = xasprintf("malformed/%s", name);

	free(testlib_write_text(rel, content));
}

START_TEST(test_read_malformed)
{
	_cleanup_free_ char *d = xasprintf("%s/malformed", testlib_tmpdir());
	struct rundir *run;

	/* No run.json; a line that is not JSON, one without a sensor, one with trailing junk,
	 * an unknown verdict, blank lines; the last line complete but without a newline. */
	write_str("results.jsonl",
		  "{\"run_id\":\"r1\",\"scenario\":\"s\",\"sensor\":\"a\",\"case\":\"c1\","
		  "\"verdict\":\"crash\",\"kernel\":\"k1\"}\n"
		  "not json\n"
		  "\n"
		  "{\"case\":\"c2\",\"verdict\":\"crash\"}\n"
		  "{\"sensor\":\"a\",\"case\":\"c3\",\"verdict\":\"crash\"} trailing\n"
		  "{\"sensor\":\"a\",\"case\":\"c4\",\"verdict\":\"exploded\",\"title\":null,"
		  "\"mutations\":[{\"no_op\":1}],\"timings\":{\"total_ms\":5}}\n"
		  "{\"sensor\":\"b\",\"case\":\"c1\",\"verdict\":\"hang\"}");
	ck_assert_int_eq(rundir_load(d, &run), 0);
	ck_assert(!run->has_meta);
	ck_assert_str_eq(run->run_id, "r1"); /* taken from the records */
	ck_assert_str_eq(run->kernel, "k1");
	ck_assert_uint_eq(run->n_lines, 6);
	ck_assert_uint_eq(run->n_skipped, 3);
	ck_assert_uint_eq(run->first_skipped, 2);
	ck_assert(!run->last_truncated);
	ck_assert_uint_eq(run->n_records, 3);
	ck_assert_str_eq(run->records[1].verdict, "exploded");
	ck_assert_int_eq(run->records[1].kind, VERDICT_OTHER);
	ck_assert_ptr_null(run->records[1].title);
	ck_assert_str_eq(run->records[1].mutation_class, "unknown");
	ck_assert_int_eq(run->records[1].total_ms, 5);
	ck_assert_int_eq(run->records[1].boot_ms, -1);
	ck_assert_str_eq(record_signature(&run->records[2]), "untitled hang");
	rundir_free(run);

	/* A bad run.json is an error; a missing results.jsonl is -ENOENT. */
	write_str("run.json", "[1,2]");
	ck_assert_int_eq(rundir_load(d, &run), -EINVAL);
	ck_assert_int_eq(rundir_load(FAULTLINE_TEST_DATA "/runs/does-not-exist", &run), -ENOENT);

	/* A run stopped on purpose says when. */
	write_str("run.json", "{\"run_id\":\"r2\",\"interrupted\":\"2026-11-25T10:00:00Z\"}");
	ck_assert_int_eq(rundir_load(d, &run), 0);
	ck_assert(run->has_meta);
	ck_assert_str_eq(run->run_id, "r2");
	ck_assert_str_eq(run->interrupted, "2026-11-25T10:00:00Z");
	ck_assert_ptr_null(run->finished);
	rundir_free(run);
}
END_TEST

START_TEST(test_aggregate_one)
{
	struct rundir *run = load(BASE);
	struct aggregate *a;
	const struct aggregate_sensor *l, *h;
	static const char *const classes[] = {
	    "seed",	 "bit_flip", "count_plus_one", "drop_field", "length_past_end",
	    "set_field", "truncate",
	};

	ck_assert_int_eq(aggregate_build(&run, 1, &a), 0);
	ck_assert_uint_eq(a->n_records, 14);
	ck_assert_uint_eq(a->n_skipped, 1);
	ck_assert_uint_eq(a->n_superseded, 1);
	ck_assert_uint_eq(a->failures, 4);
	ck_assert_uint_eq(a->errors, 1);

	ck_assert_uint_eq(a->n_sensors, 2);
	l = &a->sensors[0];
	h = &a->sensors[1];
	ck_assert_str_eq(l->name, "ksensor-legacy");
	ck_assert_str_eq(h->name, "ksensor-hardened");
	ck_assert_uint_eq(l->counts.n, 7);
	ck_assert_uint_eq(l->counts.v[VERDICT_CRASH], 3);
	ck_assert_uint_eq(l->counts.v[VERDICT_HANG], 1);
	ck_assert_uint_eq(l->counts.v[VERDICT_ACCEPTED], 2);
	ck_assert_uint_eq(l->counts.silent_accept, 1);
	ck_assert_uint_eq(l->counts.v[VERDICT_INFRA_ERROR], 1);
	ck_assert_uint_eq(l->counts.v[VERDICT_REJECTED], 0);
	ck_assert_uint_eq(l->failures, 3);
	ck_assert_uint_eq(l->errors, 1);
	ck_assert_uint_eq(l->expect_total, 2);
	ck_assert_uint_eq(l->expect_met, 2);
	ck_assert_uint_eq(l->n_signatures, 3);
	ck_assert_uint_eq(h->counts.n, 7);
	ck_assert_uint_eq(h->counts.v[VERDICT_REJECTED], 5);
	ck_assert_uint_eq(h->counts.v[VERDICT_ACCEPTED], 2);
	ck_assert_uint_eq(h->counts.silent_accept, 1);
	ck_assert_uint_eq(h->failures, 1);
	ck_assert_uint_eq(h->expect_total, 3);
	ck_assert_uint_eq(h->expect_met, 2);
	ck_assert_uint_eq(h->n_signatures, 0);

	/* Times (nearest-rank percentiles). legacy: 1400 6100 6900 7000 7100 8000 31000. */
	ck_assert_int_eq(l->time_median_ms, 7000);
	ck_assert_int_eq(l->time_p90_ms, 31000);
	ck_assert_int_eq(l->time_max_ms, 31000);
	ck_assert_int_eq(l->boot_median_ms, 5200);
	ck_assert_int_eq(l->time_sum_ms, 67500);
	ck_assert_int_eq(h->time_median_ms, 6400);
	ck_assert_int_eq(h->time_p90_ms, 8100);
	ck_assert_uint_eq(l->n_runs, 1);
	ck_assert_ptr_eq(l->first_run, run);

	/* Histogram on one scale: 24 bins of 31000 / 24 + 1 ms. */
	ck_assert_int_eq(a->time_bin_ms, 1292);
	ck_assert_uint_eq(l->time_bins[1], 1);	/* 1400 */
	ck_assert_uint_eq(l->time_bins[4], 1);	/* 6100 */
	ck_assert_uint_eq(l->time_bins[5], 3);	/* 6900 7000 7100 */
	ck_assert_uint_eq(l->time_bins[6], 1);	/* 8000 */
	ck_assert_uint_eq(l->time_bins[23], 1); /* 31000, the maximum, in the last bin */
	ck_assert_uint_eq(h->time_bins[4], 4);	/* 6200 6300 6350 6400 */
	ck_assert_uint_eq(h->time_bins[5], 2);	/* 6500 6600 */
	ck_assert_uint_eq(h->time_bins[6], 1);

	/* Matrix: "seed" first, then classes by name. */
	ck_assert_uint_eq(a->n_classes, ARRAY_SIZE(classes));
	for (size_t c = 0; c < ARRAY_SIZE(classes); c++)
		ck_assert_str_eq(a->classes[c], classes[c]);
	ck_assert_uint_eq(aggregate_cell(a, 0, 2)->n, 1);
	ck_assert_uint_eq(aggregate_cell(a, 0, 2)->v[VERDICT_CRASH], 1);
	ck_assert_uint_eq(aggregate_cell(a, 1, 2)->v[VERDICT_REJECTED], 1);
	ck_assert_uint_eq(aggregate_cell(a, 1, 6)->v[VERDICT_REJECTED], 1); /* retried, final */
	ck_assert_uint_eq(aggregate_cell(a, 1, 6)->v[VERDICT_INFRA_ERROR], 0);
	ck_assert_uint_eq(aggregate_cell(a, 0, 1)->silent_accept, 1);
	ck_assert_int_eq(aggregate_worst(aggregate_cell(a, 0, 6)), VERDICT_INFRA_ERROR);
	ck_assert_int_eq(aggregate_worst(aggregate_cell(a, 0, 4)), VERDICT_HANG);
	ck_assert_int_eq(aggregate_worst(aggregate_cell(a, 1, 0)), VERDICT_ACCEPTED);

	/* Signatures: by count, then by verdict severity, then title. */
	ck_assert_uint_eq(a->n_sigs, 3);
	ck_assert_str_eq(a->sigs[0].title, PF);
	ck_assert_uint_eq(a->sigs[0].count, 2);
	ck_assert_str_eq(a->sigs[0].sensors, "ksensor-legacy");
	ck_assert_str_eq(a->sigs[0].first->case_id, "field-count-mismatch");
	ck_assert_int_eq(a->sigs[0].ttc_min_ms, 850);
	ck_assert_int_eq(a->sigs[0].ttc_max_ms, 1200);
	ck_assert_str_eq(a->sigs[1].title, HOSTILE);
	ck_assert_int_eq(a->sigs[1].kind, VERDICT_CRASH);
	ck_assert_str_eq(a->sigs[2].title, LOCKUP);
	ck_assert_int_eq(a->sigs[2].kind, VERDICT_HANG);

	/* Failing cases in file order; the slowest first. */
	ck_assert_uint_eq(a->n_failing, 5);
	ck_assert_str_eq(a->failing[0]->case_id, "count-plus-one");
	ck_assert_str_eq(a->failing[3]->case_id, "bitflip-3");
	ck_assert_str_eq(a->failing[3]->sensor, "ksensor-hardened");
	ck_assert_str_eq(a->failing[4]->case_id, "truncate-4");
	ck_assert_uint_eq(a->n_slowest, 10);
	ck_assert_str_eq(a->slowest[0]->case_id, "loop-forever");
	ck_assert_int_eq(a->slowest[1]->total_ms, 8100);
	ck_assert_int_eq(a->slowest[9]->total_ms, 6350);

	aggregate_free(a);
	rundir_free(run);
}
END_TEST

START_TEST(test_aggregate_merged)
{
	struct rundir *runs[2] = {load(BASE), load(NEW)};
	struct aggregate *a;

	ck_assert_int_eq(aggregate_build(runs, 2, &a), 0);
	ck_assert_uint_eq(a->n_records, 29);
	ck_assert_uint_eq(a->n_sensors, 2);
	ck_assert_uint_eq(a->sensors[0].counts.n, 14);
	ck_assert_uint_eq(a->sensors[1].counts.n, 15);
	ck_assert_uint_eq(a->n_classes, 8); /* "extend" only in the new run */
	ck_assert_str_eq(a->classes[3], "drop_field");
	ck_assert_str_eq(a->classes[4], "extend");
	ck_assert_uint_eq(a->n_sigs, 4);
	ck_assert_str_eq(a->sigs[0].title, PF);
	ck_assert_uint_eq(a->sigs[0].count, 5);
	ck_assert_str_eq(a->sigs[0].sensors, "ksensor-legacy, ksensor-hardened");
	ck_assert_ptr_eq(a->sigs[0].first->run, runs[0]);
	ck_assert_int_eq(a->sigs[0].ttc_min_ms, 800);
	ck_assert_str_eq(a->sigs[2].title, "general protection fault in ks_parse_header");
	ck_assert_uint_eq(a->sensors[1].n_signatures, 1);
	ck_assert_uint_eq(a->sensors[0].n_runs, 2);
	ck_assert_ptr_eq(a->sensors[0].first_run, runs[0]);
	aggregate_free(a);

	/* No runs at all: an empty aggregate, not a crash. */
	ck_assert_int_eq(aggregate_build(runs, 0, &a), 0);
	ck_assert_uint_eq(a->n_records, 0);
	ck_assert_uint_eq(a->n_sensors, 0);
	aggregate_free(a);
	rundir_free(runs[0]);
	rundir_free(runs[1]);
}
END_TEST

/* The summit case: one run per sensor design, merged into one comparison. */
START_TEST(test_aggregate_designs)
{
	struct rundir *runs[2] = {load(NEW), load(FAULTLINE_TEST_DATA "/runs/quickstart-usensor")};
	struct aggregate *a;
	const struct aggregate_sensor *u;

	ck_assert_int_eq(aggregate_build(runs, 2, &a), 0);
	ck_assert_uint_eq(a->n_sensors, 3);
	u = &a->sensors[2];
	ck_assert_str_eq(u->name, "usensor");
	ck_assert_uint_eq(u->counts.n, 7);
	ck_assert_uint_eq(u->counts.v[VERDICT_SENSOR_DIED], 2);
	ck_assert_uint_eq(u->counts.v[VERDICT_REJECTED], 3);
	ck_assert_uint_eq(u->counts.silent_accept, 1);
	ck_assert_uint_eq(u->n_signatures, 0); /* a dead user-mode sensor is not a kernel crash */
	ck_assert_uint_eq(u->failures, 1);     /* expected crash on field-count-mismatch */
	ck_assert_uint_eq(u->n_runs, 1);
	ck_assert_ptr_eq(u->first_run, runs[1]);
	ck_assert_uint_eq(a->sensors[0].n_runs, 1);
	ck_assert_uint_eq(aggregate_cell(a, 2, 3)->v[VERDICT_SENSOR_DIED], 1); /* drop_field */
	ck_assert_uint_eq(aggregate_cell(a, 2, 6)->n, 0); /* no set_field case on usensor */
	aggregate_free(a);
	rundir_free(runs[0]);
	rundir_free(runs[1]);
}
END_TEST

/* The design comparison of a real designs.yaml run (tests/data/runs/designs): every case in one
 * outcome for the machine and the protection. */
START_TEST(test_aggregate_design_rows)
{
	struct rundir *run = load(FAULTLINE_TEST_DATA "/runs/designs");
	struct aggregate *a;
	const struct aggregate_design_row *d;

	ck_assert_int_eq(aggregate_build(&run, 1, &a), 0);
	ck_assert_uint_eq(a->n_sensors, 6);
	ck_assert_uint_eq(a->n_watched, 66 - 7); /* legacy's crashes and hang measure nothing */
	d = &a->sensors[0].design;		 /* ksensor-legacy */
	ck_assert_uint_eq(d->n[AGGREGATE_DOWN], 7);
	ck_assert_uint_eq(d->n[AGGREGATE_SILENT], 3);
	ck_assert_uint_eq(d->n[AGGREGATE_ACCEPTED], 1);
	ck_assert_uint_eq(d->protection_measured, 4);
	d = &a->sensors[2].design; /* usensor */
	ck_assert_str_eq(a->sensors[2].name, "usensor");
	ck_assert_uint_eq(d->n[AGGREGATE_DIED], 3);
	ck_assert_uint_eq(d->n[AGGREGATE_BLIND], 3);
	ck_assert_uint_eq(d->n[AGGREGATE_SILENT], 4);
	ck_assert_uint_eq(d->crash_loops, 2);
	ck_assert_uint_eq(d->protection_lost, 6);
	ck_assert_uint_eq(d->n_gaps, 0); /* never back: each restart loads the same update */
	ck_assert_int_eq(d->gap_median_ms, -1);
	d = &a->sensors[5].design; /* esensor: the loader dies, the BPF program goes on */
	ck_assert_uint_eq(d->n[AGGREGATE_DIED_BACK], 2);
	ck_assert_uint_eq(d->n[AGGREGATE_DIED], 0);
	ck_assert_uint_eq(d->n[AGGREGATE_BLIND], 3);
	aggregate_free(a);
	rundir_free(run);
}
END_TEST

/* Gaps: a median and a worst over the cases whose protection came back. */
START_TEST(test_aggregate_gaps)
{
	_cleanup_free_ char *d = xasprintf("%s/gaps", testlib_tmpdir());
	struct rundir *run;
	struct aggregate *a;
	const struct aggregate_design_row *row;

	free(testlib_write_text(
	    "gaps/results.jsonl",
	    "{\"sensor\":\"u\",\"case\":\"a\",\"verdict\":\"sensor-died\",\"protection\":"
	    "\"restored\",\"protection_gap_ms\":700,\"sensor_restarts\":1}\n"
	    "{\"sensor\":\"u\",\"case\":\"b\",\"verdict\":\"sensor-died\",\"protection\":"
	    "\"restored\",\"protection_gap_ms\":1500,\"sensor_restarts\":1}\n"
	    "{\"sensor\":\"u\",\"case\":\"c\",\"verdict\":\"sensor-died\",\"protection\":"
	    "\"restored\",\"protection_gap_ms\":900,\"sensor_restarts\":2}\n"
	    "{\"sensor\":\"u\",\"case\":\"d\",\"verdict\":\"sensor-died\",\"detail\":"
	    "\"crash-loop: u died 5 times\",\"protection\":\"lost\",\"sensor_restarts\":4}\n"
	    "{\"sensor\":\"u\",\"case\":\"e\",\"verdict\":\"accepted\",\"protection\":"
	    "\"kept\",\"protection_gap_ms\":0,\"sensor_restarts\":0}\n"
	    "{\"sensor\":\"k\",\"case\":\"e\",\"verdict\":\"accepted\"}\n"));
	ck_assert_int_eq(rundir_load(d, &run), 0);
	ck_assert_int_eq(aggregate_build(&run, 1, &a), 0);
	ck_assert_uint_eq(a->n_watched, 5);
	row = &a->sensors[0].design;
	ck_assert_uint_eq(row->n_gaps, 3); /* a kept protection has no gap to count */
	ck_assert_int_eq(row->gap_median_ms, 900);
	ck_assert_int_eq(row->gap_max_ms, 1500);
	ck_assert_uint_eq(row->n[AGGREGATE_DIED_BACK], 3);
	ck_assert_uint_eq(row->n[AGGREGATE_DIED], 1);
	ck_assert_uint_eq(row->crash_loops, 1);
	ck_assert_uint_eq(row->protection_measured, 5);
	ck_assert_uint_eq(row->protection_lost, 1);
	row = &a->sensors[1].design;
	ck_assert_uint_eq(row->protection_measured, 0);
	ck_assert_int_eq(row->gap_max_ms, -1);
	aggregate_free(a);
	rundir_free(run);
}
END_TEST

static void check_row(const struct aggregate_recovery *row, const char *sensor, const char *mech,
		      size_t followed, size_t loops, size_t recovered, size_t infra)
{
	ck_assert_str_eq(row->sensor, sensor);
	ck_assert_str_eq(row->mechanism, mech);
	ck_assert_uint_eq(row->followed, followed);
	ck_assert_uint_eq(row->loops, loops);
	ck_assert_uint_eq(row->recovered, recovered);
	ck_assert_uint_eq(row->infra, infra);
}

/* A run of scenarios/bootloop.yaml: the legacy sensor followed across boots under each
 * mechanism, one row each in display order; the hardened and user-mode sensors never rebooted,
 * so they have no row. */
START_TEST(test_aggregate_recovery)
{
	struct rundir *run = load(BOOTLOOP), *base = load(BASE);
	struct aggregate *a;
	const struct aggregate_recovery *row;
	const struct record *r;

	r = find(run, "ksensor-legacy", "manual");
	ck_assert_int_eq(r->kind, VERDICT_RECOVERED);
	ck_assert_str_eq(r->reboot.first_verdict, "crash");
	ck_assert_uint_eq(r->reboot.n_boots, 3);
	ck_assert(r->reboot.boots[1].safe);
	ck_assert_str_eq(r->reboot.boots[2].console, "consoles/ksensor-legacy/manual.boot3.log");

	ck_assert_int_eq(aggregate_build(&run, 1, &a), 0);
	ck_assert_uint_eq(a->n_followed, 4);
	ck_assert_uint_eq(a->n_recovery, 4);
	row = &a->recovery[0];
	check_row(row, "ksensor-legacy", "none", 1, 1, 0, 0);
	ck_assert_uint_eq(row->sensor_index, 0);
	ck_assert_uint_eq(row->loops_agreed, 1);
	ck_assert(row->boots_median < 0);
	ck_assert_uint_eq(row->boots_max, 0);
	ck_assert_int_eq(row->wall_median_ms, -1);
	ck_assert_int_eq(row->guest_median_ms, -1);
	row = &a->recovery[1];
	check_row(row, "ksensor-legacy", "counter", 1, 0, 1, 0);
	ck_assert(row->boots_median == 2.0);
	ck_assert_uint_eq(row->boots_max, 2);
	ck_assert_int_eq(row->wall_median_ms, 21400);
	ck_assert_int_eq(row->wall_max_ms, 21400);
	ck_assert_int_eq(row->guest_median_ms, 8300);
	check_row(&a->recovery[2], "ksensor-legacy", "remediation", 1, 0, 1, 0);
	ck_assert(a->recovery[2].boots_median == 1.0);
	row = &a->recovery[3];
	check_row(row, "ksensor-legacy", "manual", 1, 0, 1, 0);
	ck_assert(row->boots_median == 3.0); /* the safe-mode boot counts */
	ck_assert_int_eq(row->wall_median_ms, 31200);
	ck_assert_int_eq(row->guest_median_ms, 13400);
	/* a recovered machine still went down once: the design comparison counts it there */
	ck_assert_uint_eq(a->sensors[0].design.n[AGGREGATE_DOWN], 4);
	aggregate_free(a);

	/* no persistence, no rows */
	ck_assert_int_eq(aggregate_build(&base, 1, &a), 0);
	ck_assert_uint_eq(a->n_followed, 0);
	ck_assert_uint_eq(a->n_recovery, 0);
	aggregate_free(a);
	rundir_free(run);
	rundir_free(base);
}
END_TEST

/* What the rows make of loops whose titles differ, a machine that came back by itself, a
 * follow-up that ended in an infra error, medians over an even count, and runs merged. */
START_TEST(test_aggregate_recovery_edges)
{
	struct rundir *runs[2] = {load(BOOTLOOP_EDGE), load(BOOTLOOP)};
	struct aggregate *a;
	const struct aggregate_recovery *row;

	ck_assert(aggregate_loop_titles_agree(find(runs[0], "ksensor-legacy", "loop-a")));
	ck_assert(!aggregate_loop_titles_agree(find(runs[0], "ksensor-legacy", "loop-b")));
	ck_assert_int_eq(aggregate_build(runs, 1, &a), 0);
	ck_assert_uint_eq(a->n_followed, 7);
	ck_assert_uint_eq(a->n_recovery, 3);
	row = &a->recovery[0];
	check_row(row, "ksensor-legacy", "none", 4, 2, 1, 1);
	ck_assert_uint_eq(row->loops_agreed, 1);
	ck_assert(row->boots_median == 1.0);
	ck_assert_int_eq(row->wall_median_ms, 12000);
	ck_assert_int_eq(row->guest_median_ms, 5000);
	row = &a->recovery[1];
	check_row(row, "ksensor-legacy", "counter", 2, 0, 2, 0);
	ck_assert(row->boots_median == 2.5); /* the mean of the middle two */
	ck_assert_uint_eq(row->boots_max, 3);
	ck_assert_int_eq(row->wall_median_ms, 20000); /* times: nearest rank, as elsewhere */
	ck_assert_int_eq(row->wall_max_ms, 40000);
	ck_assert_int_eq(row->guest_median_ms, 8000);
	/* a sensor not in run.json comes after those that are */
	check_row(&a->recovery[2], "<b>esensor</b>", "<script>quick</script>", 1, 0, 1, 0);
	ck_assert_uint_eq(a->recovery[2].sensor_index, 1);
	aggregate_free(a);

	/* merged: one row per sensor and mechanism across the runs */
	ck_assert_int_eq(aggregate_build(runs, 2, &a), 0);
	ck_assert_uint_eq(a->n_followed, 11);
	ck_assert_uint_eq(a->n_recovery, 5);
	check_row(&a->recovery[0], "ksensor-legacy", "none", 5, 3, 1, 1);
	ck_assert_uint_eq(a->recovery[0].loops_agreed, 2);
	check_row(&a->recovery[1], "ksensor-legacy", "counter", 3, 0, 3, 0);
	ck_assert(a->recovery[1].boots_median == 2.0);
	check_row(&a->recovery[2], "ksensor-legacy", "remediation", 1, 0, 1, 0);
	check_row(&a->recovery[3], "ksensor-legacy", "manual", 1, 0, 1, 0);
	check_row(&a->recovery[4], "<b>esensor</b>", "<script>quick</script>", 1, 0, 1, 0);
	ck_assert_uint_eq(a->recovery[4].sensor_index, 3); /* after run.json's sensors */
	aggregate_free(a);
	rundir_free(runs[0]);
	rundir_free(runs[1]);
}
END_TEST

/* render_recovery_answer() for sensor s of run: want, or NULL. */
static void check_answer(struct rundir *run, size_t s, const char *want)
{
	struct aggregate *a;
	_cleanup_free_ char *say = NULL;

	ck_assert_int_eq(aggregate_build(&run, 1, &a), 0);
	say = render_recovery_answer(a, s);
	if (want)
		ck_assert_str_eq(say, want);
	else
		ck_assert_ptr_null(say);
	aggregate_free(a);
}

/* The words the renderers share: the answer per sensor and what each followed case's boots
 * did. */
START_TEST(test_recovery_words)
{
	struct rundir *run = load(BOOTLOOP), *edge = load(BOOTLOOP_EDGE);
	static const struct {
		const char *sensor, *case_id, *want;
	} cases[] = {
	    {"ksensor-legacy", "no-recovery", "3 boots, crashed at 2.9 s each"},
	    {"ksensor-legacy", "boot-counter", "recovered by counter after 2 boots in 21.4 s"},
	    {"ksensor-legacy", "manual", "recovered by manual after 3 boots in 31.2 s"},
	};
	static const struct {
		const char *case_id, *want;
	} edges[] = {
	    {"loop-a", "3 boots, crashed between 2.9 s and 3.5 s"},
	    {"loop-b", "3 boots, 2 crashed between 2.9 s and 3.0 s, 1 hung; the crash titles "
		       "differ"},
	    {"alone", "came back by itself after 1 boot in 12.0 s"},
	    {"lost", "followed for 1 boot, then an infra error: boot 2: libvirt error: <domain> & "
		     "could not start"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *got =
		    render_reboot_case(find(run, cases[i].sensor, cases[i].case_id));
		ck_assert_str_eq(got, cases[i].want);
	}
	for (size_t i = 0; i < ARRAY_SIZE(edges); i++) {
		_cleanup_free_ char *got =
		    render_reboot_case(find(edge, "ksensor-legacy", edges[i].case_id));
		ck_assert_str_eq(got, edges[i].want);
	}
	ck_assert_ptr_null(render_reboot_case(find(run, "ksensor-hardened", "manual")));

	check_answer(run, 0,
		     "ksensor-legacy: 1 of 1 machines stuck in a boot loop without recovery; "
		     "counter, remediation and manual brought 3 of 3 back in 1.0\xe2\x80\x93"
		     "3.0 boots.");
	check_answer(run, 1, NULL); /* never rebooted */
	check_answer(edge, 0,
		     "ksensor-legacy: 2 of 4 machines stuck in a boot loop without recovery; 1 of "
		     "4 machines came back without a recovery mechanism; counter brought 2 of 2 "
		     "back in 2.5 boots; 1 follow-up ended in an infra error.");
	rundir_free(run);
	rundir_free(edge);
}
END_TEST

/* A reboot object from another version, without outcome or mechanism: counted, not guessed. */
START_TEST(test_recovery_incomplete)
{
	_cleanup_free_ char *d = xasprintf("%s/incomplete", testlib_tmpdir());
	struct rundir *run;
	struct aggregate *a;

	free(testlib_write_text("incomplete/results.jsonl",
				"{\"sensor\":\"k\",\"case\":\"a\",\"verdict\":\"crash\","
				"\"reboot\":{\"first_verdict\":\"crash\",\"boots\":7}}\n"));
	ck_assert_int_eq(rundir_load(d, &run), 0);
	ck_assert_int_eq(aggregate_build(&run, 1, &a), 0);
	ck_assert_uint_eq(a->n_recovery, 1);
	check_row(&a->recovery[0], "k", "unknown", 1, 0, 0, 0);
	{
		_cleanup_free_ char *got = render_reboot_case(&run->records[0]);
		ck_assert_str_eq(got, "followed for 0 boots, then no outcome");
	}
	aggregate_free(a);
	rundir_free(run);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("report-aggregate");
	TCase *tc = tcase_create("aggregate");

	tcase_add_test(tc, test_read_killed_run);
	tcase_add_test(tc, test_read_malformed);
	tcase_add_test(tc, test_replay_quoted);
	tcase_add_test(tc, test_aggregate_one);
	tcase_add_test(tc, test_aggregate_merged);
	tcase_add_test(tc, test_aggregate_designs);
	tcase_add_test(tc, test_aggregate_design_rows);
	tcase_add_test(tc, test_aggregate_gaps);
	tcase_add_test(tc, test_aggregate_recovery);
	tcase_add_test(tc, test_aggregate_recovery_edges);
	tcase_add_test(tc, test_recovery_words);
	tcase_add_test(tc, test_recovery_incomplete);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
