/* test-watched.c — the sensor watch (harness/fleet/watched.c) and what the judge makes of it, from
 * agent answers recorded in real runs of scenarios/designs.yaml
 * (tests/data/watch/SENSOR_CASE.watched: the WATCHED payloads, the sensor's log included), and from
 * made-up states for what those runs did not show (a protection that came back, a process missing
 * at delivery, a kernel verdict that stays). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guesttext.h"
#include "runner.h"
#include "testlib.h"
#include "util.h"
#include "watched.h"

/* A case the guest survived, as the runner has it before the watch: the agent's outcome. */
static void healthy(struct case_result *res, int outcome)
{
	case_result_init(res);
	res->agent_outcome = outcome;
}

/* The runner's end of the window: the watch answer read (payload NULL: none), measured, and
 * judged with the agent's outcome; report: a kernel report on the console, or NULL. */
static void judge_payload(const uint8_t *payload, size_t len, const char *console,
			  const struct classify_result *report, struct case_result *res)
{
	struct judge_input in = {.step = JUDGE_CASE,
				 .end = JUDGE_DONE,
				 .agent_outcome = res->agent_outcome,
				 .console = report};
	struct proto_watch w;

	watched_read(payload, len, console, &w, &in, res);
	runner_judge(&in, NULL, res);
}

/* The same from a decoded answer and its log. */
static void decide(const struct proto_watch *w, const char *log, size_t log_len,
		   const struct classify_result *report, struct case_result *res)
{
	struct judge_input in = {.step = JUDGE_CASE,
				 .end = JUDGE_DONE,
				 .agent_outcome = res->agent_outcome,
				 .console = report,
				 .watch = w,
				 .sensor_log = log,
				 .sensor_log_len = log_len};

	watched_measure(w, res);
	runner_judge(&in, NULL, res);
}

/* Judge a recorded answer as the runner does, its log saved beside a console in the temporary
 * folder. */
static void judge_fixture(const char *name, int outcome, struct case_result *res)
{
	_cleanup_free_ char *rel = xasprintf("watch/%s.watched", name);
	_cleanup_free_ char *console = xasprintf("%s/%s.log", testlib_tmpdir(), name);
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;

	data = testlib_fixture(rel, &size);
	healthy(res, outcome);
	judge_payload(data, size, console, NULL, res);
}

/* A report that did not stop the guest. */
static const struct classify_result warning = {.verdict = CLASSIFY_CRASH,
					       .title = (char *)"WARNING in ks_write",
					       .report =
						   (char *)"WARNING: CPU: 0 PID: 1 at ks_write"};

static void none_state(struct proto_watch *w)
{
	memset(w, 0, sizeof(*w));
	w->first_death_ms = w->probe_status = w->loss_ms = w->restored_ms = -1;
}

/* The July 2024 shape on the user-mode C daemon: it dies on the trigger, and every restart
 * dies on the next probe's exec until the supervisor gives up. */
START_TEST(test_crash_loop)
{
	_cleanup_free_ char *log =
	    xasprintf("%s/usensor_field-count-mismatch.sensor.log", testlib_tmpdir());
	_cleanup_free_ uint8_t *saved = NULL;
	struct case_result res;
	size_t size;

	judge_fixture("usensor_field-count-mismatch", PROTO_OUTCOME_ACCEPTED, &res);
	ck_assert_int_eq(res.verdict, VERDICT_SENSOR_DIED);
	ck_assert_str_eq(res.title, "SEGV in ks_eval_field");
	ck_assert_ptr_nonnull(strstr(res.report, "caught signal 11 (SIGSEGV)"));
	ck_assert_str_eq(res.detail, "crash-loop: usensord died 5 times in 2308 ms, restarted 4 "
				     "times; protection lost");
	ck_assert_str_eq(res.protection, "lost");
	ck_assert_int_eq(res.protection_gap_ms, -1);
	ck_assert_int_eq(res.sensor_restarts, 4);
	/* the sensor's log of the case, beside the console */
	ck_assert(res.sensor_log);
	ck_assert_int_eq(read_file(log, 1 << 20, &saved, &size), 0);
	ck_assert_uint_eq(size, 3278);
	ck_assert_ptr_nonnull(memmem(saved, size, "start-limit hit", 15));
	case_result_finish(&res);
}
END_TEST

/* Each design's death has its own title, from its own evidence. */
START_TEST(test_titles)
{
	static const struct {
		const char *fixture, *title, *detail;
		int restarts;
	} deaths[] = {
	    {"usensor-asan_field-count-mismatch",
	     "AddressSanitizer: heap-buffer-overflow in ks_eval_field",
	     "usensord died 2 times in 3394 ms, restarted 1 time; protection lost", 1},
	    {"rsensor_field-count-mismatch", "panic: index out of bounds in eval_field",
	     "crash-loop: rsensord died 5 times in 2680 ms, restarted 4 times; protection lost", 4},
	    /* the supervisor's watchdog: the C crash reporter shows where it spun */
	    {"usensor_zero-inst-len", "ABRT in ks_parse_instance",
	     "usensord died 1 time in 9344 ms, restarted 1 time; protection lost", 1},
	    /* a Rust daemon killed by SIGABRT says nothing */
	    {"rsensor_zero-inst-len", "rsensord died without a report in its log",
	     "rsensord died 1 time in 9566 ms, restarted 1 time; protection lost", 1},
	};

	for (size_t i = 0; i < ARRAY_SIZE(deaths); i++) {
		struct case_result res;

		judge_fixture(deaths[i].fixture, PROTO_OUTCOME_ACCEPTED, &res);
		ck_assert_int_eq(res.verdict, VERDICT_SENSOR_DIED);
		ck_assert_str_eq(res.title, deaths[i].title);
		ck_assert_str_eq(res.detail, deaths[i].detail);
		ck_assert_int_eq(res.sensor_restarts, deaths[i].restarts);
		ck_assert_str_eq(res.protection, "lost");
		case_result_finish(&res);
	}
}
END_TEST

/* The eBPF design: the loader dies in a loop, the pinned program goes on matching. */
START_TEST(test_died_but_protected)
{
	struct case_result res;

	judge_fixture("esensor_huge-instance-count", PROTO_OUTCOME_ACCEPTED, &res);
	ck_assert_int_eq(res.verdict, VERDICT_SENSOR_DIED);
	ck_assert_str_eq(res.title, "SEGV in ks_parse_instance");
	ck_assert(startswith(res.detail, "crash-loop: esensord died 5 times"));
	ck_assert_str_eq(res.protection, "kept");
	ck_assert_int_eq(res.protection_gap_ms, 0);
	case_result_finish(&res);
}
END_TEST

/* Alive, silent, and blind: not an acceptance. Alive and detecting: the verdict stays. */
START_TEST(test_blind_and_kept)
{
	struct case_result res;

	judge_fixture("usensor_oversized-field-len", PROTO_OUTCOME_ACCEPTED, &res);
	ck_assert_int_eq(res.verdict, VERDICT_PROTECTION_LOST);
	ck_assert_ptr_null(res.title);
	ck_assert_str_eq(res.detail, "sensor blind: it took the update, then the protection probe "
				     "failed (1 of 1 probes failed; last: probe: blind (matches 1 "
				     "-> 1))");
	ck_assert_str_eq(res.protection, "lost");
	ck_assert_int_eq(res.sensor_restarts, 0);
	case_result_finish(&res);

	judge_fixture("usensor_valid", PROTO_OUTCOME_ACCEPTED, &res);
	ck_assert_int_eq(res.verdict, VERDICT_ACCEPTED);
	ck_assert_ptr_null(res.detail);
	ck_assert_str_eq(res.protection, "kept");
	ck_assert_int_eq(res.protection_gap_ms, 0);
	ck_assert_int_eq(res.sensor_restarts, 0);
	case_result_finish(&res);

	/* a kernel sensor: a probe and nothing else to watch */
	judge_fixture("ksensor-hardened_field-count-mismatch", PROTO_OUTCOME_REJECTED, &res);
	ck_assert_int_eq(res.verdict, VERDICT_REJECTED);
	ck_assert_str_eq(res.protection, "kept");
	ck_assert_int_eq(res.sensor_restarts, -1);
	ck_assert(!res.sensor_log);
	case_result_finish(&res);
}
END_TEST

/* What the recorded runs did not show. */
START_TEST(test_decide)
{
	struct case_result res;
	struct proto_watch w;

	/* died once, came back: the gap runs from the death to the end of the first probe that
	 * passed after the last failure */
	none_state(&w);
	strcpy(w.process, "umd");
	w.log = w.probe = 1;
	w.pid_at_delivery = 80;
	w.pid_at_end = 95;
	w.pid_changes = 1;
	w.first_death_ms = w.loss_ms = 300;
	w.probes = 3;
	w.probe_failures = 2;
	w.probe_status = 0;
	w.restored_ms = 1140;
	w.window_ms = 2500;
	healthy(&res, PROTO_OUTCOME_ACCEPTED);
	decide(&w, "umd: fatal\nSegmentation fault\n", 30, NULL, &res);
	ck_assert_int_eq(res.verdict, VERDICT_SENSOR_DIED);
	ck_assert_str_eq(res.title, "SEGV");
	ck_assert_str_eq(res.detail, "umd died 1 time in 2500 ms, restarted 1 time; protection "
				     "restored");
	ck_assert_str_eq(res.protection, "restored");
	ck_assert_int_eq(res.protection_gap_ms, 840);
	ck_assert_int_eq(res.sensor_restarts, 1);
	case_result_finish(&res);

	/* deaths from the log's death lines, faster than the pid sampling; no log to read a
	 * report from: the process is named */
	w.pid_changes = 1;
	w.died_lines = 3;
	w.log = 0;
	healthy(&res, PROTO_OUTCOME_REJECTED);
	decide(&w, NULL, 0, NULL, &res);
	ck_assert_int_eq(res.verdict, VERDICT_SENSOR_DIED);
	ck_assert_str_eq(res.title, "umd died");
	ck_assert(startswith(res.detail, "crash-loop: umd died 3 times"));
	ck_assert_int_eq(res.sensor_restarts, 3);
	case_result_finish(&res);

	/* the last probe passed while it died again: not back */
	w.restored_ms = -1;
	healthy(&res, PROTO_OUTCOME_ACCEPTED);
	decide(&w, NULL, 0, NULL, &res);
	ck_assert_str_eq(res.protection, "lost");
	case_result_finish(&res);

	/* not running when the update came: the harness's business, not a verdict on it */
	w.pid_at_delivery = 0;
	healthy(&res, PROTO_OUTCOME_ACCEPTED);
	decide(&w, NULL, 0, NULL, &res);
	ck_assert_int_eq(res.verdict, VERDICT_INFRA_ERROR);
	ck_assert_str_eq(res.detail, "guest error: sensor process umd was not running when the "
				     "update was delivered (watch process in sensor.yaml)");
	case_result_finish(&res);

	/* a kernel report on a guest that kept running stays the verdict; the fields are kept */
	w.pid_at_delivery = 80;
	healthy(&res, PROTO_OUTCOME_ACCEPTED);
	decide(&w, NULL, 0, &warning, &res);
	ck_assert_int_eq(res.verdict, VERDICT_CRASH);
	ck_assert_str_eq(res.title, "WARNING in ks_write");
	ck_assert_str_eq(res.protection, "lost");
	case_result_finish(&res);

	/* a delivery that failed because the sensor died under it: the death explains it */
	healthy(&res, PROTO_OUTCOME_AGENT_ERROR);
	decide(&w, NULL, 0, NULL, &res);
	ck_assert_int_eq(res.verdict, VERDICT_SENSOR_DIED);
	case_result_finish(&res);

	/* nothing asked: nothing changes */
	none_state(&w);
	healthy(&res, PROTO_OUTCOME_ACCEPTED);
	decide(&w, NULL, 0, NULL, &res);
	ck_assert_int_eq(res.verdict, VERDICT_ACCEPTED);
	ck_assert_ptr_null(res.protection);
	ck_assert_int_eq(res.sensor_restarts, -1);
	case_result_finish(&res);

	/* a probe that never ran measures nothing */
	w.probe = 1;
	healthy(&res, PROTO_OUTCOME_ACCEPTED);
	decide(&w, NULL, 0, NULL, &res);
	ck_assert_ptr_null(res.protection);
	case_result_finish(&res);
}
END_TEST

START_TEST(test_no_answer)
{
	struct case_result res;

	healthy(&res, PROTO_OUTCOME_ACCEPTED);
	judge_payload(NULL, 0, NULL, NULL, &res);
	ck_assert_int_eq(res.verdict, VERDICT_INFRA_ERROR);
	ck_assert_str_eq(res.detail, "guest agent did not report the sensor's state at the end of "
				     "the observation window");
	case_result_finish(&res);

	healthy(&res, PROTO_OUTCOME_ACCEPTED);
	judge_payload((const uint8_t *)"probes=x\n\n", 10, NULL, NULL, &res);
	ck_assert_int_eq(res.verdict, VERDICT_INFRA_ERROR);
	ck_assert_str_eq(res.detail,
			 "faultline bug: malformed WATCHED answer from the guest agent");
	case_result_finish(&res);

	/* a guest already judged by its console keeps that verdict */
	healthy(&res, PROTO_OUTCOME_ACCEPTED);
	judge_payload(NULL, 0, NULL, &warning, &res);
	ck_assert_int_eq(res.verdict, VERDICT_CRASH);
	case_result_finish(&res);

	{
		_cleanup_free_ char *p = watched_log_path("run/consoles/s/c.log");
		ck_assert_str_eq(p, "run/consoles/s/c.sensor.log");
	}
}
END_TEST

/* A hostile guest's answer: a process name and a probe output made of terminal controls (they
 * become the title and the detail, which the run table prints), and a log far past what the
 * agent sends (it is saved per case). */
static const char hostile[] = "\x1b]0;owned\x07\x1b[2J\x1b[31mFAKE: all cases accepted"
			      "\xc2\x9b"
			      "0m\xff";

static uint8_t *hostile_answer(const char *state, size_t log_len, size_t *ret_len)
{
	_cleanup_free_ char *head =
	    xasprintf("process=%s\nprobe_output=%s\n%s\n", hostile, hostile, state);
	size_t n = strlen(head);
	uint8_t *p = xmalloc(n + log_len);

	memcpy(p, head, n);
	memset(p + n, 'A', log_len);
	*ret_len = n + log_len;
	return p;
}

START_TEST(test_hostile_text)
{
	_cleanup_free_ char *console = xasprintf("%s/hostile.log", testlib_tmpdir());
	_cleanup_free_ char *log = xasprintf("%s/hostile.sensor.log", testlib_tmpdir());
	_cleanup_free_ uint8_t *died = NULL, *blind = NULL, *saved = NULL;
	struct case_result res;
	size_t len, saved_len;

	died = hostile_answer("log=1\npid_at_delivery=7\npid_changes=1\npid_at_end=8\n", 4u << 20,
			      &len);
	healthy(&res, PROTO_OUTCOME_ACCEPTED);
	judge_payload(died, len, console, NULL, &res);
	ck_assert_int_eq(res.verdict, VERDICT_SENSOR_DIED);
	ck_assert_str_eq(res.title, "?]0;owned??[2J?[31mFAKE: all cases accepted?0m? died without "
				    "a report in its log");
	ck_assert(guesttext_is_clean(res.detail, strlen(res.detail), GUESTTEXT_LINE));
	ck_assert_ptr_nonnull(strstr(res.detail, "FAKE"));
	ck_assert(res.sensor_log);
	ck_assert_int_eq(read_file(log, 64u << 20, &saved, &saved_len), 0);
	ck_assert_uint_eq(saved_len, PROTO_WATCH_LOG_MAX);
	case_result_finish(&res);

	blind = hostile_answer("probe=1\npid_at_delivery=7\npid_at_end=7\nprobes=2\nprobe_failures="
			       "2\nprobe_status=1\n",
			       0, &len);
	healthy(&res, PROTO_OUTCOME_ACCEPTED);
	judge_payload(blind, len, NULL, NULL, &res);
	ck_assert_int_eq(res.verdict, VERDICT_PROTECTION_LOST);
	ck_assert(guesttext_is_clean(res.detail, strlen(res.detail), GUESTTEXT_LINE));
	ck_assert_ptr_nonnull(strstr(res.detail, "last: ?]0;owned"));
	case_result_finish(&res);
}
END_TEST

/* The phase from the console: the evaluate mark after the case's own MARK line, not one of an
 * earlier case on the same guest, nor a console without it. */
START_TEST(test_phase)
{
	_cleanup_free_ char *crash = testlib_write_text(
	    "phase-eval.log", "[    3.1] faultline: case c-0001: delivering 116 bytes\n"
			      "[    3.2] " PROTO_EVALUATE_MARK "\n"
			      "[    3.3] BUG: unable to handle page fault for address: 0\n");
	_cleanup_free_ char *load = testlib_write_text(
	    "phase-load.log", "[    2.0] faultline: case c-0000: delivering 9 bytes\n"
			      "[    2.1] " PROTO_EVALUATE_MARK "\n"
			      "[    3.1] faultline: case c-0001: delivering 116 bytes\n"
			      "[    3.3] BUG: unable to handle page fault for address: 0\n");
	_cleanup_free_ char *missing = xasprintf("%s/no-such.log", testlib_tmpdir());

	ck_assert_str_eq(runner_phase(crash, "c-0001"), "evaluate");
	ck_assert_str_eq(runner_phase(load, "c-0001"), "load");
	ck_assert_str_eq(runner_phase(load, "c-0000"), "evaluate");
	ck_assert_str_eq(runner_phase(load, "c-000"), "load"); /* ids are matched whole */
	ck_assert_str_eq(runner_phase(missing, "c-0001"), "load");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("watch");

	tcase_add_test(tc, test_crash_loop);
	tcase_add_test(tc, test_titles);
	tcase_add_test(tc, test_died_but_protected);
	tcase_add_test(tc, test_blind_and_kept);
	tcase_add_test(tc, test_decide);
	tcase_add_test(tc, test_no_answer);
	tcase_add_test(tc, test_phase);
	tcase_add_test(tc, test_hostile_text);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
