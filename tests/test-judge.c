/* test-judge.c — the verdict table (harness/classify/judge.c), row by row and in its order of
 * precedence, without guests: each test hands the judge what the fleet would have seen. */
#include <check.h>
#include <string.h>

#include "judge.h"
#include "testlib.h"
#include "util.h"

static const struct classify_result crash = {
    .verdict = CLASSIFY_CRASH,
    .title = (char *)"BUG: unable to handle page fault in ks_eval_field",
    .report = (char *)"BUG: unable to handle page fault for address: ffff"};
static const struct classify_result hang = {.verdict = CLASSIFY_HANG,
					    .title = (char *)"BUG: soft lockup in ks_write",
					    .report = (char *)"watchdog: BUG: soft lockup - CPU#0"};
static const struct classify_result clean = {.verdict = CLASSIFY_CLEAN};

static struct judgement j;

static void setup(void)
{
	memset(&j, 0, sizeof(j));
}

static void teardown(void)
{
	judgement_finish(&j);
}

static void decide(const struct judge_input *in)
{
	judgement_finish(&j);
	judge_decide(in, &j);
}

static void expect(enum verdict v, const char *title, const char *detail, bool retry)
{
	ck_assert_str_eq(verdict_name(j.verdict), verdict_name(v));
	ck_assert_int_eq(j.verdict, v);
	if (title)
		ck_assert_str_eq(j.title, title);
	else
		ck_assert_ptr_null(j.title);
	if (detail)
		ck_assert_str_eq(j.detail, detail);
	else
		ck_assert_ptr_null(j.detail);
	ck_assert_int_eq(j.retry, retry);
}

/* A sensor process "umd" that was running at delivery and at the end, with a log and a probe
 * that passed every time. */
static struct proto_watch watched(void)
{
	struct proto_watch w = {.log = 1, .probe = 1, .pid_at_delivery = 80, .pid_at_end = 80};

	strcpy(w.process, "umd");
	w.first_death_ms = w.loss_ms = w.restored_ms = -1;
	w.probes = 2;
	w.probe_status = 0;
	w.window_ms = 2500;
	return w;
}

/* A failed step is an infra-error whatever else was seen, at every step. */
START_TEST(test_failed)
{
	for (int step = JUDGE_BOOT; step <= JUDGE_REBOOT; step++) {
		decide(&(struct judge_input){.step = step,
					     .end = JUDGE_STOPPED,
					     .console = &crash,
					     .hello = true,
					     .failed = true,
					     .failed_why = "host error: cannot start the domain",
					     .failed_retry = true});
		expect(VERDICT_INFRA_ERROR, NULL, "host error: cannot start the domain", true);
		ck_assert_ptr_null(j.report);
	}
	decide(&(struct judge_input){.step = JUDGE_CASE, .failed = true});
	expect(VERDICT_INFRA_ERROR, NULL, NULL, false);
}
END_TEST

START_TEST(test_boot)
{
	struct judge_input in = {.step = JUDGE_BOOT, .boot_ms = 120000};

	in.end = JUDGE_DONE;
	decide(&in);
	ck_assert_int_eq(j.verdict, _VERDICT_MAX);

	/* after HELLO a report is the sensor's crash at load, whatever ended the boot */
	in.hello = true;
	in.console = &crash;
	in.end = JUDGE_STOPPED;
	in.stopped_by_host = "QEMU was killed";
	decide(&in);
	expect(VERDICT_CRASH, crash.title, "while the sensor was being started, before the update",
	       false);
	ck_assert_str_eq(j.report, crash.report);
	in.console = &hang;
	in.end = JUDGE_SILENT;
	decide(&in);
	expect(VERDICT_HANG, hang.title, "while the sensor was being started, before the update",
	       false);

	/* before HELLO: only the kernel ran */
	in.hello = false;
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL,
	       "guest kernel failed to boot: BUG: soft lockup in ks_write", true);
	ck_assert_str_eq(j.report, hang.report);

	/* without a report, every boot that did not come up is the host's or the kernel's */
	for (int hello = 0; hello <= 1; hello++) {
		in.hello = hello;
		in.console = hello ? &clean : NULL;
		in.end = JUDGE_STOPPED;
		decide(&in);
		expect(VERDICT_INFRA_ERROR, NULL, "host error: QEMU was killed", true);
		in.stopped_by_host = NULL;
		decide(&in);
		expect(VERDICT_INFRA_ERROR, NULL,
		       "guest stopped during boot without a kernel report", true);
		in.end = JUDGE_SILENT;
		decide(&in);
		expect(VERDICT_INFRA_ERROR, NULL, "guest did not become ready within 120 s", true);
		ck_assert_ptr_null(j.report);
		in.stopped_by_host = "QEMU was killed";
	}
	/* silent before HELLO: what the console showed names the cause (a disk whose loader
	 * starts no kernel, an image without its agent); after HELLO it does not matter */
	in.stopped_by_host = NULL;
	in.end = JUDGE_SILENT;
	in.hello = false;
	in.console = NULL;
	in.console_empty = true;
	decide(&in);
	expect(
	    VERDICT_INFRA_ERROR, NULL,
	    "guest did not become ready within 120 s: its console stayed empty (no kernel started)",
	    true);
	in.console_empty = false;
	in.kernel_started = true;
	decide(&in);
	expect(
	    VERDICT_INFRA_ERROR, NULL,
	    "guest did not become ready within 120 s: a kernel started, its agent never said HELLO",
	    true);
	in.hello = true;
	in.console = &clean;
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL, "guest did not become ready within 120 s", true);
}
END_TEST

START_TEST(test_reboot)
{
	struct judge_input in = {.step = JUDGE_REBOOT, .end = JUDGE_DONE, .hello = true};

	decide(&in);
	expect(VERDICT_ACCEPTED, NULL, NULL, false);

	/* no HELLO: not the sensor's doing, even with a report */
	in.hello = false;
	in.end = JUDGE_SILENT;
	in.console = &crash;
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL,
	       "the guest kernel did not reach the agent: not the sensor's doing", false);
	in.end = JUDGE_STOPPED;
	in.stopped_by_host = "the domain was destroyed";
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL, "the domain was destroyed", false);

	/* after HELLO: a report beats the host's stop */
	in.hello = true;
	decide(&in);
	expect(VERDICT_CRASH, crash.title, NULL, false);
	in.console = &hang;
	decide(&in);
	expect(VERDICT_HANG, hang.title, NULL, false);

	in.console = &clean;
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL, "the domain was destroyed", false);
	in.stopped_by_host = NULL;
	decide(&in);
	expect(VERDICT_CRASH, "guest stopped during boot without a kernel report", NULL, false);
	in.end = JUDGE_SILENT;
	decide(&in);
	expect(VERDICT_HANG, "hang: the boot did not complete", NULL, false);
}
END_TEST

START_TEST(test_store)
{
	struct judge_input in = {.step = JUDGE_STORE, .end = JUDGE_DONE};

	decide(&in);
	ck_assert_int_eq(j.verdict, _VERDICT_MAX);
	in.end = JUDGE_STOPPED;
	in.stopped_by_host = "the console stream closed";
	in.console = &crash;
	decide(&in);
	expect(VERDICT_CRASH, crash.title, NULL, false);
	in.console = NULL;
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL, "host error: the console stream closed", true);
	in.stopped_by_host = NULL;
	decide(&in);
	expect(VERDICT_CRASH, "guest stopped while the update was stored", NULL, false);
}
END_TEST

/* A kernel report beats every other piece of evidence of a case. */
START_TEST(test_case_report_first)
{
	struct proto_watch w = watched();
	struct judge_input in = {.step = JUDGE_CASE,
				 .console = &crash,
				 .stopped_by_host = "QEMU was killed",
				 .withheld_ms = 60000,
				 .hang_ms = 30000,
				 .bad_frames = 2,
				 .agent_outcome = PROTO_OUTCOME_REJECTED,
				 .watch = &w};

	w.pid_changes = 3; /* the sensor died too */
	for (int end = JUDGE_DONE; end <= JUDGE_NO_ANSWER; end++) {
		in.end = end;
		decide(&in);
		ck_assert_int_eq(j.verdict, VERDICT_CRASH);
		ck_assert_str_eq(j.title, crash.title);
		ck_assert_str_eq(j.report, crash.report);
		ck_assert_int_eq(j.retry, false);
		/* the malformed frames are noted where nothing else was said */
		ck_assert(startswith(j.detail, "2 malformed frames from the guest agent"));
	}
	in.console = &hang;
	in.bad_frames = 0;
	decide(&in);
	expect(VERDICT_HANG, hang.title, NULL, false);
}
END_TEST

START_TEST(test_case_stopped_silent)
{
	struct judge_input in = {.step = JUDGE_CASE, .end = JUDGE_STOPPED, .console = &clean};

	in.stopped_by_host = "the libvirt connection dropped";
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL, "host error: the libvirt connection dropped", true);
	in.stopped_by_host = NULL;
	decide(&in);
	expect(VERDICT_CRASH, "guest stopped without a kernel report", NULL, false);

	/* silence counts only while the guest had the CPU to break it */
	in.end = JUDGE_SILENT;
	in.hang_ms = 30000;
	in.withheld_ms = 30000;
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL,
	       "host error: the host stalled: the guest had got no CPU for 30000 ms when "
	       "faultline gave up on it",
	       true);
	in.withheld_ms = 29999;
	decide(&in);
	expect(VERDICT_HANG, "hang: agent heartbeat silent", NULL, false);
	in.withheld_ms = 0;
	decide(&in);
	expect(VERDICT_HANG, "hang: agent heartbeat silent", NULL, false);

	/* heartbeats but no answer: lost in malformed frames, or a hang in the delivery */
	in.end = JUDGE_NO_ANSWER;
	in.bad_frames = 3;
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL,
	       "faultline bug: the guest agent's answer may have been lost: 3 malformed frames "
	       "came from it after the update",
	       true);
	in.bad_frames = 0;
	decide(&in);
	expect(VERDICT_HANG, "hang: update delivery did not complete", NULL, false);

	/* malformed frames on a hang are noted */
	in.end = JUDGE_SILENT;
	in.bad_frames = 4;
	in.bad_by_kind[3] = 4;
	decide(&in);
	expect(VERDICT_HANG, "hang: agent heartbeat silent",
	       "4 malformed frames from the guest agent (bad magic 0, too large 0, bad flags 0, "
	       "bad CRC 4): dropped, the verdict is from the whole ones",
	       false);

	/* then frames the controller dropped */
	in.frames_dropped = 9;
	decide(&in);
	ck_assert(startswith(j.detail, "4 malformed frames"));
	in.bad_frames = 0;
	decide(&in);
	expect(VERDICT_HANG, "hang: agent heartbeat silent",
	       "9 frames from the guest agent dropped: it sent faster than the controller reads",
	       false);
}
END_TEST

/* The agent's outcome, on a watch that asks for nothing. */
START_TEST(test_case_agent)
{
	struct proto_watch none = {0};
	struct judge_input in = {.step = JUDGE_CASE,
				 .end = JUDGE_DONE,
				 .watch = &none,
				 .agent_errno = 22,
				 .agent_message =
				     "write(/dev/ksensor, 93 bytes): Invalid argument"};

	in.agent_outcome = PROTO_OUTCOME_ACCEPTED;
	decide(&in);
	expect(VERDICT_ACCEPTED, NULL, NULL, false);
	in.agent_outcome = PROTO_OUTCOME_REJECTED;
	decide(&in);
	expect(VERDICT_REJECTED, NULL,
	       "sensor rejected: write(/dev/ksensor, 93 bytes): Invalid argument (errno 22)",
	       false);
	in.agent_outcome = PROTO_OUTCOME_SENSOR_ERROR;
	in.agent_errno = 12;
	in.agent_message = NULL;
	decide(&in);
	expect(VERDICT_SENSOR_ERROR, NULL, "sensor error:  (errno 12)", false);
	in.agent_outcome = PROTO_OUTCOME_AGENT_ERROR;
	in.agent_message = "agent refused a frame: too large";
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL,
	       "guest agent could not deliver the update: agent refused a frame: too large", false);
	in.agent_outcome = 42; /* from a newer agent */
	in.agent_message = NULL;
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL, "guest agent could not deliver the update: no message",
	       false);
}
END_TEST

/* The watch without an answer: only a healthy verdict needs one. */
START_TEST(test_case_no_watch)
{
	struct judge_input in = {.step = JUDGE_CASE, .end = JUDGE_DONE};

	in.agent_outcome = PROTO_OUTCOME_ACCEPTED;
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL,
	       "guest agent did not report the sensor's state at the end of the observation "
	       "window",
	       false);
	in.agent_outcome = PROTO_OUTCOME_REJECTED;
	in.watch_malformed = true;
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL,
	       "faultline bug: malformed WATCHED answer from the guest agent", false);
	in.agent_outcome = PROTO_OUTCOME_SENSOR_ERROR;
	decide(&in);
	expect(VERDICT_SENSOR_ERROR, NULL, "sensor error:  (errno 0)", false);
	in.agent_outcome = PROTO_OUTCOME_AGENT_ERROR;
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL, "guest agent could not deliver the update: no message",
	       false);
}
END_TEST

/* What the watch saw, in its order: not running, died, blind. */
START_TEST(test_case_watch)
{
	struct proto_watch w = watched();
	struct judge_input in = {.step = JUDGE_CASE,
				 .end = JUDGE_DONE,
				 .agent_outcome = PROTO_OUTCOME_ACCEPTED,
				 .watch = &w};

	decide(&in);
	expect(VERDICT_ACCEPTED, NULL, NULL, false);

	/* blind: alive, the last probe failed */
	w.probe_status = 1;
	w.probe_failures = 1;
	strcpy(w.probe_output, "probe: blind");
	decide(&in);
	expect(VERDICT_PROTECTION_LOST, NULL,
	       "sensor blind: it took the update, then the protection probe failed (1 of 2 "
	       "probes failed; last: probe: blind)",
	       false);
	in.agent_outcome = PROTO_OUTCOME_REJECTED;
	decide(&in);
	ck_assert_int_eq(j.verdict, VERDICT_PROTECTION_LOST);
	ck_assert(startswith(j.detail, "sensor blind: it rejected the update, then"));

	/* died, before blind; the title from its log when the log reports the death */
	w.pid_changes = 1;
	in.sensor_log = "umd: fatal\nSegmentation fault\n";
	in.sensor_log_len = strlen(in.sensor_log);
	decide(&in);
	expect(VERDICT_SENSOR_DIED, "SEGV",
	       "umd died 1 time in 2500 ms, restarted 1 time; protection lost", false);
	ck_assert_ptr_nonnull(j.report);
	in.sensor_log = NULL;
	in.sensor_log_len = 0;
	w.died_lines = 3;
	w.pid_at_end = 0;
	w.probe_status = 0;
	w.loss_ms = 100;
	w.restored_ms = 900;
	decide(&in);
	expect(VERDICT_SENSOR_DIED, "umd died without a report in its log",
	       "crash-loop: umd died 3 times in 2500 ms, restarted 2 times; protection restored",
	       false);
	w.log = 0;
	w.probe = 0;
	decide(&in);
	expect(VERDICT_SENSOR_DIED, "umd died",
	       "crash-loop: umd died 3 times in 2500 ms, restarted 2 times", false);
	/* a systemd unit: its restarts are systemd's count, and they count as deaths too */
	strcpy(w.unit, "umd.service");
	strcpy(w.unit_state, "active/running");
	w.unit_restarts = 4;
	decide(&in);
	expect(VERDICT_SENSOR_DIED, "umd died",
	       "crash-loop: umd died 4 times in 2500 ms, restarted 4 times by systemd "
	       "(umd.service active/running)",
	       false);
	w.unit_restarts = -1; /* systemctl could not say: the watch's own count */
	decide(&in);
	expect(VERDICT_SENSOR_DIED, "umd died",
	       "crash-loop: umd died 3 times in 2500 ms, restarted 2 times", false);
	w.unit[0] = 0;

	/* a death explains a delivery that failed; not a sensor error, nor an unknown outcome */
	in.agent_outcome = PROTO_OUTCOME_AGENT_ERROR;
	decide(&in);
	ck_assert_int_eq(j.verdict, VERDICT_SENSOR_DIED);
	in.agent_outcome = PROTO_OUTCOME_SENSOR_ERROR;
	decide(&in);
	ck_assert_int_eq(j.verdict, VERDICT_SENSOR_ERROR);
	in.agent_outcome = 42;
	decide(&in);
	ck_assert_int_eq(j.verdict, VERDICT_INFRA_ERROR);
	ck_assert(startswith(j.detail, "guest agent could not deliver"));

	/* not running at delivery, before died */
	in.agent_outcome = PROTO_OUTCOME_ACCEPTED;
	w.pid_at_delivery = 0;
	decide(&in);
	expect(VERDICT_INFRA_ERROR, NULL,
	       "guest error: sensor process umd was not running when the update was delivered "
	       "(watch process in sensor.yaml)",
	       false);

	/* without a process: the log's deaths, named "the sensor" */
	w.process[0] = '\0';
	w.log = 1;
	decide(&in);
	expect(VERDICT_SENSOR_DIED, "the sensor died without a report in its log",
	       "crash-loop: the sensor died 3 times in 2500 ms, restarted 2 times", false);
}
END_TEST

START_TEST(test_stalled)
{
	struct judgement seen = {.verdict = VERDICT_HANG,
				 .title = (char *)"BUG: soft lockup in ks_write",
				 .report = (char *)"watchdog: BUG: soft lockup"};

	judge_stalled(&seen, 5000, "during every attempt", &j);
	expect(VERDICT_INFRA_ERROR, NULL,
	       "host error: the host stalled for 5000 ms during every attempt (the guest got no "
	       "CPU); the guest's verdict then, hang: BUG: soft lockup in ks_write, is not "
	       "trusted",
	       false);
	ck_assert_str_eq(j.report, seen.report);
	judgement_finish(&j);
	seen = (struct judgement){.verdict = VERDICT_INFRA_ERROR};
	judge_stalled(&seen, 2000, "while the guest booted", &j);
	expect(VERDICT_INFRA_ERROR, NULL,
	       "host error: the host stalled for 2000 ms while the guest booted (the guest got no "
	       "CPU); the guest's verdict then, infra-error, is not trusted",
	       false);
	ck_assert_ptr_null(j.report);
}
END_TEST

START_TEST(test_follow_up)
{
	ck_assert_int_eq(judge_follow_up(VERDICT_INFRA_ERROR, false, 0, 3), VERDICT_INFRA_ERROR);
	ck_assert_int_eq(judge_follow_up(VERDICT_ACCEPTED, true, 1, 3), _VERDICT_MAX);
	ck_assert_int_eq(judge_follow_up(VERDICT_ACCEPTED, false, 2, 3), VERDICT_RECOVERED);
	ck_assert_int_eq(judge_follow_up(VERDICT_CRASH, false, 2, 3), _VERDICT_MAX);
	ck_assert_int_eq(judge_follow_up(VERDICT_HANG, false, 3, 3), VERDICT_BOOT_LOOP);
	ck_assert_int_eq(judge_follow_up(VERDICT_CRASH, true, 3, 3), VERDICT_BOOT_LOOP);

	ck_assert_int_eq(judge_persisted(VERDICT_CRASH, VERDICT_BOOT_LOOP), VERDICT_BOOT_LOOP);
	ck_assert_int_eq(judge_persisted(VERDICT_CRASH, VERDICT_RECOVERED), VERDICT_RECOVERED);
	ck_assert_int_eq(judge_persisted(VERDICT_CRASH, VERDICT_INFRA_ERROR), VERDICT_CRASH);
}
END_TEST

START_TEST(test_watch_readers)
{
	struct proto_watch w = watched();
	int64_t gap = 7;

	ck_assert(judge_watch_asks(&w));
	ck_assert_str_eq(judge_watch_protection(&w, &gap), "kept");
	ck_assert_int_eq(gap, 0);
	w.probe_failures = 1;
	w.loss_ms = 200;
	w.restored_ms = 950;
	ck_assert_str_eq(judge_watch_protection(&w, &gap), "restored");
	ck_assert_int_eq(gap, 750);
	w.probe_status = 1;
	ck_assert_str_eq(judge_watch_protection(&w, &gap), "lost");
	ck_assert_int_eq(gap, -1);
	w.probes = 0;
	ck_assert_ptr_null(judge_watch_protection(&w, &gap));

	ck_assert_int_eq(judge_watch_deaths(&w), 0);
	ck_assert_int_eq(judge_watch_restarts(&w), 0);
	w.pid_changes = 2;
	w.died_lines = 4;
	ck_assert_int_eq(judge_watch_deaths(&w), 4);
	ck_assert_int_eq(judge_watch_restarts(&w), 4); /* running at the end */
	w.pid_at_end = 0;
	ck_assert_int_eq(judge_watch_restarts(&w), 3);

	w = (struct proto_watch){0};
	ck_assert(!judge_watch_asks(&w));
}
END_TEST

START_TEST(test_agent_outcome_name)
{
	ck_assert_str_eq(judge_agent_outcome_name(PROTO_OUTCOME_ACCEPTED), "accepted");
	ck_assert_str_eq(judge_agent_outcome_name(PROTO_OUTCOME_REJECTED), "rejected");
	ck_assert_str_eq(judge_agent_outcome_name(PROTO_OUTCOME_SENSOR_ERROR), "sensor-error");
	ck_assert_str_eq(judge_agent_outcome_name(PROTO_OUTCOME_AGENT_ERROR), "agent-error");
	ck_assert_ptr_null(judge_agent_outcome_name(-1));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("judge");
	TCase *tc = tcase_create("judge");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_failed);
	tcase_add_test(tc, test_boot);
	tcase_add_test(tc, test_reboot);
	tcase_add_test(tc, test_store);
	tcase_add_test(tc, test_case_report_first);
	tcase_add_test(tc, test_case_stopped_silent);
	tcase_add_test(tc, test_case_agent);
	tcase_add_test(tc, test_case_no_watch);
	tcase_add_test(tc, test_case_watch);
	tcase_add_test(tc, test_stalled);
	tcase_add_test(tc, test_follow_up);
	tcase_add_test(tc, test_watch_readers);
	tcase_add_test(tc, test_agent_outcome_name);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
