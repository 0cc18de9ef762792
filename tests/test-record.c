/* test-record.c — the verdict table, the record schema and its one writer and reader: a record
 * with every field set goes through record_to_json() and the store into results.jsonl, and comes
 * back through rundir_load(), the reader of the reports, `replay` and `--resume`, field for
 * field. Then the fleet result -> record conversion of the CLI (case-record.c). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "case-record.h"
#include "config.h"
#include "guesttext.h"
#include "reboot.h"
#include "results.h"
#include "rundir.h"
#include "testlib.h"
#include "util.h"

/* ---- the verdict table ---- */

START_TEST(test_verdict_table)
{
	static const char *const severity[] = {
	    "boot-loop",    "recovered",   "crash",    "hang",	   "sensor-died", "protection-lost",
	    "sensor-error", "infra-error", "accepted", "rejected", "other"};
	const char *const *expectable = verdict_expectable_names();
	size_t n = 0;

	ck_assert_uint_eq(ARRAY_SIZE(severity), _VERDICT_MAX);
	for (int v = 0; v < _VERDICT_MAX; v++) {
		const struct verdict_info *i = verdict_info(v);

		/* the order the reports use, worst first */
		ck_assert_str_eq(i->name, severity[v]);
		if (v != VERDICT_OTHER) {
			ck_assert_int_eq(verdict_from_name(i->name), v);
			ck_assert_int_eq(verdict_parse(i->name), v);
		}
		if (verdict_has(v, VERDICT_EXPECTABLE))
			ck_assert_str_eq(expectable[n++], i->name);
	}
	ck_assert_ptr_null(expectable[n]);
	ck_assert_uint_eq(n, 9);
	/* "other" is what an unknown name reads as, never a name one can write or expect */
	ck_assert_int_eq(verdict_from_name("other"), -EINVAL);
	ck_assert_int_eq(verdict_from_name("quarantined"), -EINVAL);
	ck_assert_int_eq(verdict_parse("quarantined"), VERDICT_OTHER);
	ck_assert_str_eq(verdict_name(_VERDICT_MAX), "other");
	ck_assert_str_eq(verdict_expectable_list(),
			 "boot-loop, recovered, crash, hang, sensor-died, protection-lost, "
			 "sensor-error, accepted or rejected");
	ck_assert(verdict_is("rejected", VERDICT_REJECTED));
	ck_assert(!verdict_is(NULL, VERDICT_REJECTED) && !verdict_is("crash", VERDICT_HANG));
	/* how a verdict counts */
	ck_assert(verdict_has(VERDICT_CRASH, VERDICT_FAILURE | VERDICT_SIGNATURE));
	ck_assert(verdict_has(VERDICT_ACCEPTED, VERDICT_HEALTHY));
	ck_assert(!verdict_has(VERDICT_SENSOR_ERROR, VERDICT_HEALTHY));
	ck_assert(verdict_has(VERDICT_BOOT_LOOP, VERDICT_SIGNATURE));
	ck_assert(!verdict_has(VERDICT_SENSOR_DIED, VERDICT_FAILURE));
	/* the sensor's own errno: a finding one may expect, not a failure of every case */
	ck_assert(verdict_has(VERDICT_SENSOR_ERROR, VERDICT_EXPECTABLE));
	ck_assert(!verdict_has(VERDICT_SENSOR_ERROR, VERDICT_FAILURE | VERDICT_ERROR));
	ck_assert(verdict_has(VERDICT_INFRA_ERROR, VERDICT_ERROR));
	ck_assert(!verdict_has(VERDICT_INFRA_ERROR, VERDICT_EXPECTABLE));
	ck_assert(!verdict_has(VERDICT_OTHER, VERDICT_EXPECTABLE));
}
END_TEST

/* ---- the round trip ---- */

/* The members of a line, in the order the writer puts them. */
static const char *const members[] = {
    "run_id",
    "scenario",
    "sensor",
    "case",
    "case_name",
    "seed",
    "seed_file",
    "mutations",
    "input_sha256",
    "input",
    "input_size",
    "verdict",
    "title",
    "phase",
    "detail",
    "report",
    "console",
    "sensor_log",
    "expect",
    "matched",
    "attempt",
    "host",
    "host_fault",
    "host_stall_ms",
    "flaky",
    "reused_guest_run",
    "reboot",
    "timings",
    "agent",
    "protection",
    "protection_gap_ms",
    "sensor_restarts",
    "started",
    "kernel",
    "kernel_name",
    "arch",
    "system",
    "faultline_version",
};

static void fill_every_field(struct record *r)
{
	record_init(r);
	r->run_id = xstrdup("quickstart-20261126-101500");
	r->scenario = xstrdup("quickstart");
	r->sensor = xstrdup("ksensor-legacy");
	r->case_id = xstrdup("field-count-mismatch-0003");
	r->case_name = xstrdup("field count mismatch");
	r->seed = UINT64_MAX - 1; /* above INT64_MAX: read without clamping */
	r->seed_file = xstrdup("scenarios/content/basic.kscu");
	r->mutations = xstrdup("[{\"op\":\"drop_field\",\"instance\":0,\"field\":20},"
			       "{\"op\":\"set\",\"path\":\"a/b\",\"value\":-1}]");
	r->input_sha256 =
	    xstrdup("3730a18ed040a5ae14f9bbae1b95630a3ba0048475bb84aa2e900c02666a7770");
	r->input = xstrdup("inputs/field-count-mismatch-0003.bin");
	r->input_size = 116;
	r->verdict = xstrdup("crash");
	r->title = xstrdup("BUG: unable to handle page fault in ks_eval_field");
	r->phase = xstrdup("evaluate");
	r->detail = xstrdup("agent: no answer after \"write\"\nsecond line");
	r->report =
	    xstrdup("[    4.2] BUG: unable to handle page fault\n[    4.2] RIP: ks_eval_field");
	r->console = xstrdup("consoles/ksensor-legacy/field-count-mismatch-0003.log");
	r->expect = xstrdup("rejected");
	r->matched = 0;
	r->attempt = 2;
	r->host = xstrdup("qemu+tcp://127.0.0.1:16599/system");
	r->host_fault = xstrdup("host error: QEMU exited unexpectedly: killed (libvirt: domain "
				"stopped, failed)");
	r->host_stall_ms = 19513;
	r->flaky = true;
	r->reused.verdict = xstrdup("hang");
	r->reused.title = xstrdup("BUG: soft lockup - CPU#0 stuck for 22s!");
	r->reused.console = xstrdup("consoles/ksensor-legacy/field-count-mismatch-0003.reused.log");
	r->reboot.first_verdict = xstrdup("crash");
	r->reboot.outcome = xstrdup("recovered");
	r->reboot.mechanism = xstrdup("counter");
	r->reboot.recovery_wall_ms = 31000;
	r->reboot.recovery_guest_ms = 9400;
	r->reboot.detail = xstrdup("remediation: none");
	r->reboot.boots = xcalloc(2, sizeof(*r->reboot.boots));
	r->reboot.n_boots = 2;
	r->reboot.boots[0] = (struct record_boot){
	    .verdict = xstrdup("crash"),
	    .title = xstrdup("BUG: unable to handle page fault in ks_eval_field"),
	    .died_at_ms = 2913,
	    .wall_ms = 8100,
	    .console = xstrdup("consoles/ksensor-legacy/c.boot1.log")};
	r->reboot.boots[1] =
	    (struct record_boot){.verdict = xstrdup("accepted"),
				 .died_at_ms = -1,
				 .wall_ms = 7000,
				 .safe = true,
				 .console = xstrdup("consoles/ksensor-legacy/c.boot2.log")};
	r->boot_ms = 2100;
	r->deliver_ms = 31;
	r->verdict_ms = 402;
	r->total_ms = 3456;
	r->agent_outcome = xstrdup("agent-error");
	r->agent_errno = 22;
	r->agent_message = xstrdup("write(/dev/ksensor, 116 bytes): Invalid argument");
	r->frames_dropped = 52001;
	r->protection = xstrdup("restored");
	r->protection_gap_ms = 812;
	r->sensor_restarts = 4;
	r->sensor_log = xstrdup("consoles/ksensor-legacy/field-count-mismatch-0003.sensor.log");
	r->started = xstrdup("2026-11-26T10:15:03Z");
	r->kernel = xstrdup("6.1.0-56-amd64");
	r->kernel_name = xstrdup("debian-12");
	r->arch = xstrdup("amd64");
	r->system = xstrdup("debian-12");
	r->faultline_version = xstrdup("0.1.0");
}

static void assert_same_record(const struct record *a, const struct record *b)
{
	ck_assert_str_eq(a->run_id, b->run_id);
	ck_assert_str_eq(a->scenario, b->scenario);
	ck_assert_str_eq(a->sensor, b->sensor);
	ck_assert_str_eq(a->case_id, b->case_id);
	ck_assert_str_eq(a->case_name, b->case_name);
	ck_assert_uint_eq(a->seed, b->seed);
	ck_assert_str_eq(a->seed_file, b->seed_file);
	ck_assert_str_eq(a->mutations, b->mutations);
	ck_assert_str_eq(a->input_sha256, b->input_sha256);
	ck_assert_str_eq(a->input, b->input);
	ck_assert_int_eq(a->input_size, b->input_size);
	ck_assert_str_eq(a->verdict, b->verdict);
	ck_assert_str_eq(a->title, b->title);
	ck_assert_str_eq(a->phase, b->phase);
	ck_assert_str_eq(a->detail, b->detail);
	ck_assert_str_eq(a->report, b->report);
	ck_assert_str_eq(a->console, b->console);
	ck_assert_str_eq(a->expect, b->expect);
	ck_assert_int_eq(a->matched, b->matched);
	ck_assert_int_eq(a->attempt, b->attempt);
	ck_assert_str_eq(a->host_fault, b->host_fault);
	ck_assert_int_eq(a->host_stall_ms, b->host_stall_ms);
	ck_assert_int_eq(a->frames_dropped, b->frames_dropped);
	ck_assert_int_eq(a->flaky, b->flaky);
	ck_assert_str_eq(a->reused.verdict, b->reused.verdict);
	ck_assert_str_eq(a->reused.title, b->reused.title);
	ck_assert_str_eq(a->reused.console, b->reused.console);
	ck_assert_str_eq(a->reboot.first_verdict, b->reboot.first_verdict);
	ck_assert_str_eq(a->reboot.outcome, b->reboot.outcome);
	ck_assert_str_eq(a->reboot.mechanism, b->reboot.mechanism);
	ck_assert_int_eq(a->reboot.recovery_wall_ms, b->reboot.recovery_wall_ms);
	ck_assert_int_eq(a->reboot.recovery_guest_ms, b->reboot.recovery_guest_ms);
	ck_assert_str_eq(a->reboot.detail, b->reboot.detail);
	ck_assert_uint_eq(a->reboot.n_boots, b->reboot.n_boots);
	for (size_t i = 0; i < a->reboot.n_boots; i++) {
		const struct record_boot *x = &a->reboot.boots[i], *y = &b->reboot.boots[i];
		ck_assert_str_eq(x->verdict, y->verdict);
		ck_assert_pstr_eq(x->title, y->title);
		ck_assert_int_eq(x->died_at_ms, y->died_at_ms);
		ck_assert_int_eq(x->wall_ms, y->wall_ms);
		ck_assert_int_eq(x->safe, y->safe);
		ck_assert_str_eq(x->console, y->console);
	}
	ck_assert_int_eq(a->boot_ms, b->boot_ms);
	ck_assert_int_eq(a->deliver_ms, b->deliver_ms);
	ck_assert_int_eq(a->verdict_ms, b->verdict_ms);
	ck_assert_int_eq(a->total_ms, b->total_ms);
	ck_assert_str_eq(a->agent_outcome, b->agent_outcome);
	ck_assert_int_eq(a->agent_errno, b->agent_errno);
	ck_assert_str_eq(a->agent_message, b->agent_message);
	ck_assert_str_eq(a->protection, b->protection);
	ck_assert_int_eq(a->protection_gap_ms, b->protection_gap_ms);
	ck_assert_int_eq(a->sensor_restarts, b->sensor_restarts);
	ck_assert_str_eq(a->sensor_log, b->sensor_log);
	ck_assert_str_eq(a->started, b->started);
	ck_assert_str_eq(a->kernel, b->kernel);
	ck_assert_str_eq(a->kernel_name, b->kernel_name);
	ck_assert_str_eq(a->arch, b->arch);
	ck_assert_str_eq(a->faultline_version, b->faultline_version);
}

/* Write records through the writer and the store into a fresh run directory NAME. */
static char *write_run(const char *name, const struct record *recs, size_t n)
{
	char *dir = xasprintf("%s/%s", testlib_tmpdir(), name);
	struct results *store = NULL;

	ck_assert_int_eq(results_open(dir, &store), 0);
	for (size_t i = 0; i < n; i++) {
		json_object *o = record_to_json(&recs[i]);
		ck_assert_int_eq(results_append(store, o), 0);
		json_object_put(o);
	}
	results_close(store);
	return dir;
}

START_TEST(test_round_trip)
{
	struct record in;
	struct rundir *run = NULL;
	_cleanup_free_ char *dir = NULL;
	const struct record *out;
	json_object *first, *again;

	fill_every_field(&in);
	dir = write_run("round-trip", &in, 1);
	ck_assert_int_eq(rundir_load(dir, &run), 0);
	ck_assert_uint_eq(run->n_records, 1);
	ck_assert_uint_eq(run->n_skipped, 0);
	out = &run->records[0];
	assert_same_record(&in, out);
	/* what the reader derives */
	ck_assert_int_eq(out->kind, VERDICT_CRASH);
	ck_assert_str_eq(out->mutation_class, "drop_field");
	ck_assert_ptr_eq(out->run, run);
	ck_assert_uint_eq(out->line, 1);
	/* a run without run.json takes what it can from its records */
	ck_assert(!run->has_meta);
	ck_assert_str_eq(run->run_id, in.run_id);
	ck_assert_str_eq(run->scenario, in.scenario);
	ck_assert_str_eq(run->kernel, in.kernel);
	ck_assert_str_eq(run->faultline_version, in.faultline_version);

	/* Every member is written, and the reader keeps every one of them: writing what it read
	 * gives the same line. A member the reader forgot would come back null. */
	first = record_to_json(&in);
	again = record_to_json(out);
	ck_assert_int_eq(json_object_object_length(first), ARRAY_SIZE(members));
	for (size_t i = 0; i < ARRAY_SIZE(members); i++)
		ck_assert_msg(json_object_object_get_ex(first, members[i], NULL), "no %s",
			      members[i]);
	ck_assert_str_eq(json_object_to_json_string_ext(first, JSON_C_TO_STRING_PLAIN),
			 json_object_to_json_string_ext(again, JSON_C_TO_STRING_PLAIN));
	json_object_put(first);
	json_object_put(again);
	rundir_free(run);
	record_finish(&in);
}
END_TEST

/* Absent members read as absent, and the writer writes them as null: a record written by
 * another version still reads, and nothing is made up. */
START_TEST(test_absent_fields)
{
	_cleanup_free_ char *dir = NULL;
	struct rundir *run = NULL;
	struct record min, *r;
	json_object *o;

	record_init(&min);
	min.sensor = xstrdup("s");
	min.case_id = xstrdup("c");
	min.verdict = xstrdup("quarantined");
	dir = write_run("absent", &min, 1);
	ck_assert_int_eq(rundir_load(dir, &run), 0);
	r = &run->records[0];
	ck_assert_int_eq(r->kind, VERDICT_OTHER);
	ck_assert_str_eq(r->verdict, "quarantined");
	ck_assert_ptr_null(r->title);
	ck_assert_ptr_null(r->expect);
	ck_assert_ptr_null(r->reused.verdict);
	ck_assert_ptr_null(r->agent_outcome);
	ck_assert_int_eq(r->matched, -1);
	ck_assert_int_eq(r->input_size, -1);
	ck_assert_int_eq(r->total_ms, -1);
	ck_assert_ptr_null(r->protection);
	ck_assert_int_eq(r->protection_gap_ms, -1);
	ck_assert_int_eq(r->sensor_restarts, -1);
	ck_assert_ptr_null(r->sensor_log);
	ck_assert_int_eq(r->attempt, 1);
	ck_assert(!r->flaky);
	ck_assert_str_eq(r->mutations, "[]");
	ck_assert_str_eq(r->mutation_class, "seed");
	rundir_free(run);
	record_finish(&min);

	/* a line without its sensor, case or verdict is no record */
	o = json_tokener_parse("{\"sensor\":\"s\",\"case\":\"c\"}");
	ck_assert_int_eq(record_from_json(o, &min), -EINVAL);
	ck_assert_ptr_null(min.sensor);
	json_object_put(o);
	o = json_tokener_parse("[1]");
	ck_assert_int_eq(record_from_json(o, &min), -EINVAL);
	json_object_put(o);
	/* mistyped members read as absent */
	o = json_tokener_parse("{\"sensor\":\"s\",\"case\":\"c\",\"verdict\":\"hang\",\"title\":7,"
			       "\"timings\":\"soon\",\"mutations\":[{\"noop\":1}],\"matched\":1}");
	ck_assert_int_eq(record_from_json(o, &min), 0);
	ck_assert_ptr_null(min.title);
	ck_assert_int_eq(min.boot_ms, -1);
	ck_assert_int_eq(min.matched, -1);
	ck_assert_str_eq(min.mutation_class, "unknown");
	ck_assert_str_eq(record_signature(&min), "untitled hang");
	json_object_put(o);
	record_finish(&min);
}
END_TEST

/* How a record counts, from the verdict table. */
START_TEST(test_outcome)
{
	struct record r;

	record_init(&r);
	r.verdict = xstrdup("crash");
	r.kind = VERDICT_CRASH;
	r.mutation_class = xstrdup("truncate");
	ck_assert_int_eq(record_outcome(&r), RECORD_FAILURE);
	ck_assert_str_eq(record_signature(&r), "untitled crash");
	r.expect = xstrdup("crash");
	ck_assert_int_eq(record_outcome(&r), RECORD_PASS);
	free(r.verdict);
	r.verdict = xstrdup("infra-error");
	r.kind = VERDICT_INFRA_ERROR;
	ck_assert_int_eq(record_outcome(&r), RECORD_ERROR);
	ck_assert_ptr_null(record_signature(&r));
	free(r.verdict);
	r.verdict = xstrdup("accepted");
	r.kind = VERDICT_ACCEPTED;
	ck_assert(record_silent_accept(&r));
	free(r.mutation_class);
	r.mutation_class = xstrdup("seed");
	ck_assert(!record_silent_accept(&r));
	record_finish(&r);
}
END_TEST

/* ---- from a fleet result ---- */

static json_object *field(json_object *o, const char *k)
{
	json_object *v = NULL;
	json_object_object_get_ex(o, k, &v);
	return v;
}

START_TEST(test_case_record)
{
	struct record_context ctx = {.run_id = "r1", .scenario = "s", .kernel = "6.1"};
	struct scenario_expect ex = {.sensor = "ks", .verdict = "crash"};
	struct scenario_case c = {.id = "c1",
				  .name = "c1",
				  .seed = 5,
				  .seed_file = "seed.kscu",
				  .mutations_json = "[{\"op\":\"truncate\",\"size\":3}]",
				  .data = (uint8_t *)"abc",
				  .size = 3,
				  .expects = &ex,
				  .n_expects = 1};
	struct case_result res;
	json_object *o;

	case_result_init(&res);
	res.verdict = VERDICT_CRASH;
	res.title = xstrdup("BUG: unable to handle page fault in ks_eval_field");
	res.total_ms = 1234;
	res.agent_outcome = 0;
	res.phase = "load";
	o = case_record_json(&ctx, "ks", &c, &res, "consoles/ks/c1.log");
	ck_assert_str_eq(json_object_get_string(field(o, "phase")), "load");
	/* no reuse, no reboot, no kernel named (guest: kernel: or matrix:) */
	ck_assert_int_eq(json_object_object_length(o), ARRAY_SIZE(members) - 3);
	ck_assert_str_eq(json_object_get_string(field(o, "arch")), "amd64");
	/* the guest's system as the context names it; null when it does not */
	ck_assert_ptr_null(field(o, "system"));
	json_object_put(o);
	ctx.system = "debian-12";
	o = case_record_json(&ctx, "ks", &c, &res, "consoles/ks/c1.log");
	ck_assert_str_eq(json_object_get_string(field(o, "system")), "debian-12");
	ck_assert_str_eq(json_object_get_string(field(o, "run_id")), "r1");
	ck_assert_str_eq(json_object_get_string(field(o, "verdict")), "crash");
	ck_assert_str_eq(json_object_get_string(field(o, "title")), res.title);
	ck_assert_str_eq(json_object_get_string(field(o, "input")), "inputs/c1.bin");
	ck_assert_int_eq(json_object_get_int(field(o, "input_size")), 3);
	ck_assert_str_eq(json_object_get_string(field(o, "input_sha256")),
			 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_str_eq(json_object_get_string(field(o, "expect")), "crash");
	ck_assert(json_object_get_boolean(field(o, "matched")));
	ck_assert_int_eq(json_object_array_length(field(o, "mutations")), 1);
	ck_assert_int_eq(json_object_get_int(field(field(o, "timings"), "total_ms")), 1234);
	ck_assert_int_eq(json_object_get_int(field(field(o, "timings"), "boot_ms")), 0);
	ck_assert_str_eq(json_object_get_string(field(field(o, "agent"), "outcome")), "accepted");
	ck_assert_int_eq(json_object_get_int(field(field(o, "agent"), "frames_dropped")), 0);
	ck_assert_str_eq(json_object_get_string(field(o, "console")), "consoles/ks/c1.log");
	ck_assert_str_eq(json_object_get_string(field(o, "faultline_version")), FAULTLINE_VERSION);
	ck_assert_ptr_null(field(o, "reused_guest_run"));
	/* not watched: the watch's members are there, null */
	ck_assert(json_object_object_get_ex(o, "protection", NULL));
	ck_assert_ptr_null(field(o, "protection"));
	ck_assert_ptr_null(field(o, "protection_gap_ms"));
	ck_assert_ptr_null(field(o, "sensor_restarts"));
	ck_assert_ptr_null(field(o, "sensor_log"));
	json_object_put(o);

	/* a watched sensor that died and came back: its log lies beside the console */
	res.protection = "restored";
	res.protection_gap_ms = 640;
	res.sensor_restarts = 1;
	res.sensor_log = true;
	res.frames_dropped = 52001; /* and a guest that flooded its channel */
	o = case_record_json(&ctx, "ks", &c, &res, "consoles/ks/c1.log");
	ck_assert_int_eq(json_object_get_int(field(field(o, "agent"), "frames_dropped")), 52001);
	ck_assert_str_eq(json_object_get_string(field(o, "protection")), "restored");
	ck_assert_int_eq(json_object_get_int(field(o, "protection_gap_ms")), 640);
	ck_assert_int_eq(json_object_get_int(field(o, "sensor_restarts")), 1);
	ck_assert_str_eq(json_object_get_string(field(o, "sensor_log")),
			 "consoles/ks/c1.sensor.log");
	json_object_put(o);
	res.protection = NULL;
	res.protection_gap_ms = res.sensor_restarts = -1;
	res.sensor_log = false;
	res.frames_dropped = 0;

	/* another sensor has no expectation: matched is null; an agent that never answered has
	 * no outcome */
	res.agent_outcome = -1;
	o = case_record_json(&ctx, "other", &c, &res, "consoles/other/c1.log");
	ck_assert(json_object_object_get_ex(o, "expect", NULL));
	ck_assert_ptr_null(field(o, "expect"));
	ck_assert_ptr_null(field(o, "matched"));
	ck_assert_ptr_null(field(field(o, "agent"), "outcome"));
	json_object_put(o);

	/* a reuse confirmation carries the first run */
	res.confirmed = true;
	res.first_verdict = VERDICT_HANG;
	res.first_title = xstrdup("BUG: soft lockup");
	res.flaky = true;
	o = case_record_json(&ctx, "ks", &c, &res, "consoles/ks/c1.log");
	ck_assert_str_eq(json_object_get_string(field(field(o, "reused_guest_run"), "verdict")),
			 "hang");
	ck_assert_str_eq(json_object_get_string(field(field(o, "reused_guest_run"), "console")),
			 "consoles/ks/c1.reused.log");
	ck_assert(json_object_get_boolean(field(o, "flaky")));
	json_object_put(o);
	res.confirmed = false;

	/* persistence: the crashed guest was followed across boots and looped */
	res.reboot = xzalloc(sizeof(*res.reboot));
	res.reboot_first = VERDICT_CRASH;
	res.verdict = VERDICT_BOOT_LOOP;
	res.reboot->outcome = VERDICT_BOOT_LOOP;
	res.reboot->mechanism = "none";
	res.reboot->boots = xcalloc(1, sizeof(*res.reboot->boots));
	res.reboot->n_boots = 1;
	res.reboot->boots[0] = (struct reboot_boot){.verdict = VERDICT_CRASH,
						    .title = xstrdup(res.title),
						    .died_at_ms = 2913,
						    .wall_ms = 8000,
						    .console = xstrdup("consoles/ks/c1.boot1.log")};
	o = case_record_json(&ctx, "ks", &c, &res, "consoles/ks/c1.log");
	ck_assert_str_eq(json_object_get_string(field(o, "verdict")), "boot-loop");
	ck_assert_str_eq(json_object_get_string(field(o, "title")), res.title);
	ck_assert_str_eq(json_object_get_string(field(field(o, "reboot"), "first_verdict")),
			 "crash");
	ck_assert_str_eq(json_object_get_string(field(field(o, "reboot"), "outcome")), "boot-loop");
	ck_assert_ptr_null(field(field(o, "reboot"), "recovery_wall_ms"));
	ck_assert_int_eq(
	    json_object_get_int(field(
		json_object_array_get_idx(field(field(o, "reboot"), "boots"), 0), "died_at_ms")),
	    2913);
	json_object_put(o);
	case_result_finish(&res);
}
END_TEST

/* The whole text is valid UTF-8 without a raw control character (JSON escapes them). */
static bool clean_text(const char *s, size_t len)
{
	_cleanup_free_ char *copy = xmalloc(len + 1);

	return guesttext_clean(copy, s, len, GUESTTEXT_LINES) == len && memcmp(copy, s, len) == 0;
}

/* 16 MiB of what a hostile guest sends: terminal controls, a C1 CSI, invalid UTF-8. */
static char *hostile_text(void)
{
	static const char unit[] = "\x1b]0;owned\x07\x1b[2J\xc2\x9b"
				   "2J\xff\xc0\xaf FAKE ";
	size_t len = 16u << 20;
	char *s = xmalloc(len + 1);

	for (size_t i = 0; i < len; i++)
		s[i] = unit[i % (sizeof(unit) - 1)];
	s[len] = '\0';
	return s;
}

/* Every guest string of a record is capped and cleaned when written, and again when read (a
 * line an older faultline wrote): one case cannot write hundreds of MiB, and results.jsonl
 * stays JSON text. */
START_TEST(test_hostile_strings)
{
	_cleanup_free_ char *dir = xasprintf("%s/hostile", testlib_tmpdir());
	_cleanup_free_ char *path = xasprintf("%s/results.jsonl", dir);
	_cleanup_free_ uint8_t *line = NULL;
	struct rundir *run = NULL;
	struct record in;
	json_object *o, *back;
	size_t len;

	record_init(&in);
	in.sensor = xstrdup("ks");
	in.case_id = xstrdup("c1");
	in.verdict = xstrdup("sensor-died");
	in.title = hostile_text();
	in.detail = hostile_text();
	in.report = hostile_text();
	in.agent_message = hostile_text();
	in.host_fault = hostile_text();
	o = record_to_json(&in);
	line = (uint8_t *)xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	len = strlen((char *)line);
	/* five strings of at most GUESTTEXT_MAX bytes, each escaped at most 6-fold */
	ck_assert_uint_lt(len, 5 * 6 * GUESTTEXT_MAX + 4096);
	ck_assert(clean_text((char *)line, len));
	back = json_tokener_parse((char *)line);
	ck_assert_ptr_nonnull(back);
	json_object_put(back);
	json_object_put(o);
	record_finish(&in);
	free(TAKE_PTR(line));

	/* a line with raw controls and invalid UTF-8, as an older faultline wrote it */
	ck_assert_int_eq(mkdir_p(dir), 0);
	{
		static const char raw[] =
		    "{\"sensor\":\"ks\",\"case\":\"c1\",\"verdict\":\"crash\","
		    "\"title\":\"\x1b]0;x\x07\xc2\x9b"
		    "2J\xff in f\",\"detail\":\"a\\u001b[2Jb\"}\n";
		ck_assert_int_eq(write_file_atomic(path, raw, sizeof(raw) - 1), 0);
	}
	ck_assert_int_eq(rundir_load(dir, &run), 0);
	ck_assert_uint_eq(run->n_records, 1);
	ck_assert_str_eq(run->records[0].title, "?]0;x??2J? in f");
	ck_assert_str_eq(run->records[0].detail, "a?[2Jb");
	rundir_free(run);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("record");

	tcase_add_test(tc, test_verdict_table);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_absent_fields);
	tcase_add_test(tc, test_outcome);
	tcase_add_test(tc, test_case_record);
	tcase_add_test(tc, test_hostile_strings);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
