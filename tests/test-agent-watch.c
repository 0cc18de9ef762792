/* test-agent-watch.c — the guest agent's sensor watch (guests/agent/watch.c) on the host, with
 * a stand-in for the agent's shell: the final probe that timed out and is asked again
 * (PROTO_WATCH_AGAIN) with its timeout scaled, and a window that ends without the final probe
 * (PROTO_WATCH_NO_PROBE). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "testlib.h"
#include "watch.h"

/* The probe "passes" only with more than 3 s to run: as one that needs 4 s of a slowed guest.
 * It runs in watch.c's forked child, so it says what it was given in its output. */
int agent_run_shell(const char *cmd, unsigned timeout_ms, char *out, size_t size)
{
	size_t used = strlen(out);

	(void)cmd;
	snprintf(out + used, size - used, "probe ran with %u ms\n", timeout_ms);
	return timeout_ms > 3000 ? 0 : -ETIME;
}

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Tick until the answer is ready (5 s at most); decoded into *ret. */
static void await_answer(struct proto_watch *ret)
{
	uint64_t until = mono() + 5000;
	const uint8_t *log;
	size_t len, log_len;
	uint8_t *payload = NULL;

	while (!agent_watch_tick(mono(), &payload, &len)) {
		ck_assert_msg(mono() < until, "no answer within 5 s");
		usleep(5000);
	}
	ck_assert_int_eq(proto_watch_decode(payload, len, ret, &log, &log_len), 0);
	free(payload);
}

static struct agent_conf probing = {
    .probe = "probe", .probe_timeout_ms = 3000, .probe_interval_ms = 200};

START_TEST(test_again_scaled)
{
	struct proto_watch a;

	agent_watch_arm(&probing, mono());
	agent_watch_request(&probing, mono(), PROTO_WATCH_FINAL, 0);
	await_answer(&a);
	ck_assert_int_eq(a.probe, 1);
	ck_assert_int_eq(a.probes, 1);
	ck_assert_int_eq(a.probe_failures, 1);
	ck_assert_int_eq(a.probe_status, -ETIME);
	ck_assert_str_eq(a.probe_output, "probe timed out after 3000 ms");

	/* the guest got 40% of the CPU: 7.5 s, and the timed-out probe is forgotten */
	agent_watch_request(&probing, mono(), PROTO_WATCH_AGAIN, 400);
	await_answer(&a);
	ck_assert_int_eq(a.probes, 1);
	ck_assert_int_eq(a.probe_failures, 0);
	ck_assert_int_eq(a.probe_status, 0);
	ck_assert_int_eq(a.loss_ms, -1);
	ck_assert_str_eq(a.probe_output, "probe ran with 7500 ms");

	/* nothing left to redo: the same answer again, no probe */
	agent_watch_request(&probing, mono(), PROTO_WATCH_AGAIN, 400);
	await_answer(&a);
	ck_assert_int_eq(a.probes, 1);
	ck_assert_int_eq(a.probe_status, 0);
}
END_TEST

START_TEST(test_again_bounds)
{
	struct proto_watch a;

	/* a share below 1/8 counts as 1/8: 24 s, not more */
	agent_watch_arm(&probing, mono());
	agent_watch_request(&probing, mono(), PROTO_WATCH_FINAL, 0);
	await_answer(&a);
	agent_watch_request(&probing, mono(), PROTO_WATCH_AGAIN, 1);
	await_answer(&a);
	ck_assert_str_eq(a.probe_output, "probe ran with 24000 ms");

	/* the whole CPU: the same timeout, which times out again */
	agent_watch_arm(&probing, mono());
	agent_watch_request(&probing, mono(), PROTO_WATCH_FINAL, 0);
	await_answer(&a);
	agent_watch_request(&probing, mono(), PROTO_WATCH_AGAIN, 5000);
	await_answer(&a);
	ck_assert_int_eq(a.probes, 1);
	ck_assert_int_eq(a.probe_failures, 1);
	ck_assert_int_eq(a.probe_status, -ETIME);
}
END_TEST

START_TEST(test_no_probe)
{
	struct proto_watch a;

	agent_watch_arm(&probing, mono());
	agent_watch_request(&probing, mono(), PROTO_WATCH_NO_PROBE, 0);
	await_answer(&a);
	ck_assert_int_eq(a.probe, 1);
	ck_assert_int_eq(a.probes, 0);
	ck_assert_int_eq(a.probe_status, -1);
	/* an AGAIN then has nothing to redo */
	agent_watch_request(&probing, mono(), PROTO_WATCH_AGAIN, 500);
	await_answer(&a);
	ck_assert_int_eq(a.probes, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("agent-watch");
	TCase *tc = tcase_create("watch");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_again_scaled);
	tcase_add_test(tc, test_again_bounds);
	tcase_add_test(tc, test_no_probe);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
