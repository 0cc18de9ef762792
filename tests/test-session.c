/* test-session.c — the session's paths that need no guest: loading a scenario (and what it says
 * about a bad one), the checks before anything boots, and preparing and resuming a run
 * directory. The party each error names decides the command's exit status, so it is checked
 * with the errno. Scenarios are written to the suite's temporary folder; they use the sensors
 * of tests/data/scenario/sensors and the shipped seed scenarios/content/basic.kscu. */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "case-record.h"
#include "cli-fault.h"
#include "config.h"
#include "results.h"
#include "session.h"
#include "testlib.h"
#include "util.h"

#define SENSORS_DIR FAULTLINE_TEST_DATA "/scenario/sensors"
#define SEED FAULTLINE_SOURCE_DIR "/scenarios/content/basic.kscu"

/* Two sensors, three cases: "valid", "short" (one byte cut) and "flip" (one bit flipped). */
static const char scenario_text[] =
    "name: sess\n"
    "sensors: [alpha, beta]\n"
    "cases:\n"
    "  - {name: valid, content: '" SEED "', expect: accepted}\n"
    "  - {name: short, content: '" SEED "', mutations: [{op: truncate, size: -1}]}\n"
    "  - {name: flip, content: '" SEED "', mutations: [{op: bitflip, offset: 8, bit: 0}]}\n";

static char *path_in_tmp(const char *name)
{
	return xasprintf("%s/%s", testlib_tmpdir(), name);
}

static const char *const sensors_dirs[] = {SENSORS_DIR, NULL};

static struct session_opts opts_for(const char *scenario_path)
{
	return (struct session_opts){
	    .scenario_path = scenario_path,
	    .sensors_dirs = sensors_dirs,
	    .no_guests = true,
	};
}

/* The suite's scenario, opened without guests. */
static struct session *open_ok(size_t max_cases)
{
	_cleanup_free_ char *p = testlib_write_text("sess.yaml", scenario_text);
	struct session_opts o = opts_for(p);
	struct session_error e = {0};
	struct session *s = NULL;
	int r;

	o.max_cases = max_cases;
	r = session_open(&o, &s, &e);
	if (r < 0)
		ck_abort_msg("session_open: %s (%zu diags: %s)", strerror(-r), e.diags.n,
			     e.diags.n ? e.diags.v[0].message : e.message);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* A failed call: its errno, the party at fault, and a word of its message. */
static void assert_error(int r, int want_r, const struct session_error *e,
			 enum session_fault want_fault, const char *needle)
{
	ck_assert_int_eq(r, want_r);
	ck_assert_int_eq(e->fault, want_fault);
	ck_assert_ptr_nonnull(e->message);
	if (!strstr(e->message, needle))
		ck_abort_msg("'%s' not in '%s'", needle, e->message);
}

static json_object *read_json(const char *dir, const char *name)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
	json_object *o = json_object_from_file(p);

	ck_assert_msg(o != NULL, "cannot read %s", p);
	return o;
}

static const char *get_string(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* Prepare (or resume) run_dir without guests, as run "sess-run" (a resumed run keeps its own
 * id). */
static int prepare(struct session *s, const char *run_dir, bool resume, struct session_stats *st,
		   struct session_error *e)
{
	struct session_run_opts ro = {
	    .mode = FLEET_SNAPSHOT,
	    .run_dir = run_dir,
	    .run_id = resume ? "another-id" : "sess-run",
	    .resume = resume,
	    .prepare_only = true,
	};

	return session_run(s, &ro, st, e);
}

/* The suite's scenario, and a run directory prepared for it under NAME, holding no record. */
static struct session *open_prepared(const char *name, char **ret_dir)
{
	struct session *s = open_ok(0);
	struct session_stats st = {0};
	struct session_error e = {0};

	*ret_dir = path_in_tmp(name);
	ck_assert_int_eq(prepare(s, *ret_dir, false, &st, &e), 0);
	session_stats_finish(&st);
	return s;
}

/* Append the record a finished job would have left: case ci's input on sensor si. */
static void append_record(const char *run_dir, const struct scenario_case *c, const char *sensor,
			  enum verdict v, const char *title)
{
	struct record_context ctx = {.run_id = "sess-run", .scenario = "sess", .kernel = "6.1"};
	struct case_result res;
	struct results *store = NULL;
	json_object *o;

	case_result_init(&res);
	res.verdict = v;
	res.title = title ? xstrdup(title) : NULL;
	o = case_record_json(&ctx, sensor, c, &res, "consoles/x.log");
	ck_assert_int_eq(results_open(run_dir, &store), 0);
	ck_assert_int_eq(results_append(store, o), 0);
	results_close(store);
	json_object_put(o);
	case_result_finish(&res);
}

START_TEST(test_bad_scenario)
{
	_cleanup_free_ char *p = testlib_write_text(
	    "bad.yaml", "sensors: [alpha]\ncases:\n  - {name: c, content: nothing.bin}\n");
	struct session_opts o = opts_for(p);
	struct session_error e = {0};
	struct session *s = NULL;

	/* with guests asked for too: nothing is prepared before the scenario is known good */
	o.no_guests = false;
	ck_assert_int_eq(session_open(&o, &s, &e), -EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(e.fault, SESSION_FAULT_SCENARIO);
	ck_assert_int_eq(cli_fault_exit_status(e.fault), 2);
	ck_assert_uint_eq(e.diags.n, 1);
	ck_assert_str_eq(e.diags.v[0].file, p);
	ck_assert_uint_eq(e.diags.v[0].line, 3);
	ck_assert_ptr_nonnull(strstr(e.diags.v[0].message, "cannot read content"));
	session_error_finish(&e);
	ck_assert_uint_eq(e.diags.n, 0);
	ck_assert_ptr_null(e.message);
}
END_TEST

START_TEST(test_missing_scenario)
{
	_cleanup_free_ char *p = path_in_tmp("none.yaml");
	struct session_opts o = opts_for(p);
	struct session_error e = {0};
	struct session *s = NULL;

	ck_assert_int_eq(session_open(&o, &s, &e), -ENOENT);
	ck_assert_int_eq(e.fault, SESSION_FAULT_SCENARIO);
	ck_assert_uint_eq(e.diags.n, 1);
	ck_assert_ptr_nonnull(strstr(e.diags.v[0].message, "cannot read scenario"));
	session_error_finish(&e);
}
END_TEST

START_TEST(test_missing_sensor_folder)
{
	_cleanup_free_ char *p = testlib_write_text("sess.yaml", scenario_text);
	_cleanup_free_ char *dir = path_in_tmp("no-sensors");
	struct session_opts o = opts_for(p);
	struct session_error e = {0};
	struct session *s = NULL;

	const char *dirs[] = {dir, NULL};

	o.sensors_dirs = dirs;
	ck_assert_int_eq(session_open(&o, &s, &e), -EINVAL);
	ck_assert_int_eq(e.fault, SESSION_FAULT_SCENARIO);
	ck_assert_uint_eq(e.diags.n, 2); /* alpha and beta */
	ck_assert_uint_eq(e.diags.v[0].line, 2);
	ck_assert_ptr_nonnull(strstr(e.diags.v[0].message, "unknown sensor 'alpha'"));
	ck_assert_ptr_nonnull(strstr(e.diags.v[1].message, "unknown sensor 'beta'"));
	session_error_finish(&e);
}
END_TEST

START_TEST(test_loaded)
{
	struct session *s = open_ok(0);
	size_t n;
	const struct scenario_case *c = session_cases(s, &n);

	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(c[0].id, "valid");
	ck_assert_str_eq(c[2].id, "flip");
	ck_assert_uint_eq(session_n_sensors(s), 2);
	ck_assert_str_eq(session_sensor_name(s, 1), "beta");
	ck_assert_str_eq(session_isolation(s), "snapshot");
	ck_assert_str_eq(scenario_name(session_scenario(s)), "sess");
	_cleanup_free_ char *id = session_new_run_id(s);
	ck_assert_msg(startswith(id, "sess-2") && strlen(id) == strlen("sess-YYYYMMDD-HHMMSS"),
		      "run id %s", id);
	session_close(s);

	/* bench --cases: only the first ones */
	s = open_ok(2);
	session_cases(s, &n);
	ck_assert_uint_eq(n, 2);
	session_close(s);
	session_close(NULL);
}
END_TEST

START_TEST(test_state_dir_unusable)
{
	_cleanup_free_ char *p = testlib_write_text("sess.yaml", scenario_text);
	_cleanup_free_ char *file = testlib_write_text("a-file", "x");
	_cleanup_free_ char *state = xasprintf("%s/state", file);
	struct session_opts o = opts_for(p);
	struct session_error e = {0};
	struct session *s = NULL;

	o.no_guests = false;
	o.state_dir = state;
	assert_error(session_open(&o, &s, &e), -ENOTDIR, &e, SESSION_FAULT_HOST,
		     "cannot use state dir");
	ck_assert_ptr_null(s);
	ck_assert_int_eq(cli_fault_exit_status(e.fault), 1);
	session_error_finish(&e);
}
END_TEST

START_TEST(test_run_needs_guests)
{
	_cleanup_free_ char *dir = path_in_tmp("never");
	struct session *s = open_ok(0);
	struct session_run_opts ro = {.mode = FLEET_BOOT, .run_dir = dir};
	struct session_stats st = {0};
	struct session_error e = {0};

	assert_error(session_run(s, &ro, &st, &e), -EINVAL, &e, SESSION_FAULT_BUG,
		     "without guests");
	ck_assert_int_eq(access(dir, F_OK), -1);
	session_error_finish(&e);
	session_close(s);
}
END_TEST

START_TEST(test_run_dir_unusable)
{
	_cleanup_free_ char *file = testlib_write_text("b-file", "x");
	_cleanup_free_ char *dir = xasprintf("%s/run", file);
	struct session *s = open_ok(0);
	struct session_stats st = {0};
	struct session_error e = {0};

	assert_error(prepare(s, dir, false, &st, &e), -ENOTDIR, &e, SESSION_FAULT_HOST,
		     "cannot create run directory");
	ck_assert_ptr_null(st.res);
	session_error_finish(&e);
	session_close(s);
}
END_TEST

START_TEST(test_prepare)
{
	_cleanup_free_ char *dir = path_in_tmp("run-prepared");
	_cleanup_free_ char *input = xasprintf("%s/inputs/short.bin", dir);
	_cleanup_free_ uint8_t *data = NULL;
	struct session *s = open_ok(0);
	struct session_stats st = {0};
	struct session_error e = {0};
	size_t n, size;
	const struct scenario_case *c = session_cases(s, &n);

	ck_assert_int_eq(prepare(s, dir, false, &st, &e), 0);
	ck_assert_uint_eq(st.total, 6);
	ck_assert_uint_eq(st.finished, 0);
	ck_assert(!st.interrupted);
	for (size_t i = 0; i < st.total; i++)
		ck_assert(!st.res[i].done);
	/* the exact bytes of every case, and run.json begun (not finished) */
	ck_assert_int_eq(read_file(input, 1 << 20, &data, &size), 0);
	ck_assert_uint_eq(size, c[1].size);
	ck_assert_int_eq(memcmp(data, c[1].data, size), 0);
	json_object *meta = read_json(dir, "run.json");
	ck_assert_str_eq(get_string(meta, "run_id"), "sess-run");
	ck_assert_str_eq(get_string(meta, "isolation"), "snapshot");
	ck_assert_ptr_null(get_string(meta, "kernel"));
	ck_assert_ptr_null(get_string(meta, "finished"));
	ck_assert_ptr_null(get_string(meta, "resumed"));
	json_object_put(meta);
	session_stats_finish(&st);
	session_close(s);
}
END_TEST

START_TEST(test_resume_without_results)
{
	_cleanup_free_ char *empty = path_in_tmp("empty-dir");
	_cleanup_free_ char *missing = path_in_tmp("no-such-run");
	struct session *s = open_ok(0);
	struct session_stats st = {0};
	struct session_error e = {0};

	ck_assert_int_eq(mkdir_p(empty), 0);
	assert_error(prepare(s, empty, true, &st, &e), -ENOENT, &e, SESSION_FAULT_USAGE,
		     "cannot resume");
	ck_assert_int_eq(cli_fault_exit_status(e.fault), 2);
	session_error_finish(&e);
	/* nothing is made of a folder that is not there */
	assert_error(prepare(s, missing, true, &st, &e), -ENOENT, &e, SESSION_FAULT_USAGE,
		     "no-such-run");
	ck_assert_int_eq(access(missing, F_OK), -1);
	session_error_finish(&e);
	session_close(s);
}
END_TEST

START_TEST(test_resume)
{
	_cleanup_free_ char *dir = NULL;
	struct session *s = open_prepared("run-resumed", &dir);
	struct session_stats st = {0};
	struct session_error e = {0};
	size_t n;
	const struct scenario_case *c = session_cases(s, &n);

	append_record(dir, &c[2], "beta", VERDICT_CRASH, "BUG: unable to handle page fault");
	/* the resumed run takes over the record and the run id (not the one asked for) */
	ck_assert_int_eq(prepare(s, dir, true, &st, &e), 0);
	ck_assert_uint_eq(st.total, 6);
	ck_assert_uint_eq(st.finished, 1);
	for (size_t i = 0; i < st.total; i++) {
		const struct session_result *r = &st.res[i];

		ck_assert_int_eq(r->done, i == 2 * 2 + 1); /* [case * n_sensors + sensor] */
	}
	ck_assert_int_eq(st.res[5].verdict, VERDICT_CRASH);
	ck_assert_str_eq(st.res[5].title, "BUG: unable to handle page fault");
	ck_assert_str_eq(st.res[5].note, "BUG: unable to handle page fault");
	json_object *meta = read_json(dir, "run.json");
	ck_assert_str_eq(get_string(meta, "run_id"), "sess-run");
	ck_assert_str_eq(get_string(meta, "resumed"), "true");
	json_object_put(meta);
	session_stats_finish(&st);
	session_close(s);
}
END_TEST

START_TEST(test_resume_other_scenario)
{
	_cleanup_free_ char *dir = NULL;
	struct session *s = open_prepared("run-other", &dir);
	struct session_stats st = {0};
	struct session_error e = {0};
	size_t n;
	struct scenario_case changed = session_cases(s, &n)[0];
	uint8_t other[] = {1, 2, 3};

	/* a record of "valid" whose input is not the scenario's "valid" any more */
	changed.data = other;
	changed.size = sizeof(other);
	append_record(dir, &changed, "alpha", VERDICT_ACCEPTED, NULL);
	assert_error(prepare(s, dir, true, &st, &e), -EINVAL, &e, SESSION_FAULT_USAGE,
		     "case valid: the recorded input differs");
	session_error_finish(&e);
	session_close(s);
}
END_TEST

START_TEST(test_fault_prefixes)
{
	const char *rest;

	ck_assert_int_eq(session_fault_parse("libvirt error: cannot create domain: no",
					     SESSION_FAULT_HOST, &rest),
			 SESSION_FAULT_LIBVIRT);
	ck_assert_str_eq(rest, "cannot create domain: no");
	ck_assert_int_eq(
	    session_fault_parse("faultline bug: agent missing", SESSION_FAULT_HOST, &rest),
	    SESSION_FAULT_BUG);
	ck_assert_str_eq(rest, "agent missing");
	/* a reason that names no party gets the caller's */
	ck_assert_int_eq(
	    session_fault_parse("cannot create /x: denied", SESSION_FAULT_SENSOR, &rest),
	    SESSION_FAULT_SENSOR);
	ck_assert_str_eq(rest, "cannot create /x: denied");
	ck_assert_int_eq(session_fault_parse("sensor errors: x", SESSION_FAULT_HOST, &rest),
			 SESSION_FAULT_HOST);
	ck_assert_str_eq(session_fault_prefix(SESSION_FAULT_GUEST), "guest kernel crash");
	ck_assert_int_eq(cli_fault_exit_status(SESSION_FAULT_USAGE), 2);
	ck_assert_int_eq(cli_fault_exit_status(SESSION_FAULT_SCENARIO), 2);
	ck_assert_int_eq(cli_fault_exit_status(SESSION_FAULT_LIBVIRT), 1);
	ck_assert_int_eq(cli_fault_exit_status(SESSION_FAULT_SENSOR), 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("session");
	TCase *open = tcase_create("open"), *run = tcase_create("run");

	tcase_add_test(open, test_bad_scenario);
	tcase_add_test(open, test_missing_scenario);
	tcase_add_test(open, test_missing_sensor_folder);
	tcase_add_test(open, test_loaded);
	tcase_add_test(open, test_state_dir_unusable);
	tcase_add_test(open, test_fault_prefixes);
	tcase_add_test(run, test_run_needs_guests);
	tcase_add_test(run, test_run_dir_unusable);
	tcase_add_test(run, test_prepare);
	tcase_add_test(run, test_resume_without_results);
	tcase_add_test(run, test_resume);
	tcase_add_test(run, test_resume_other_scenario);
	suite_add_tcase(s, open);
	suite_add_tcase(s, run);
	return s;
}

TESTLIB_MAIN(suite)
