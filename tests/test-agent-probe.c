/* test-agent-probe.c — the guest agent's probe (guests/agent/probe.c): the counter file's count
 * read, and the counter probe around a stand-in trigger that bumps a counter file in the suite's
 * temporary folder (or does not), as guests/sensors/lib-usermode/probe is tested in probe.sh. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "testlib.h"

/* the agent's shell, stood in: "bump PATH" adds one to the count in PATH, "fail" exits 3,
 * "hang" times out; anything else does nothing and exits 0 */
static int shell_calls;
static char last_cmd[256];

int agent_run_shell(const char *cmd, unsigned timeout_ms, char *out, size_t size)
{
	(void)timeout_ms;
	shell_calls++;
	snprintf(last_cmd, sizeof(last_cmd), "%s", cmd);
	if (strncmp(cmd, "bump ", 5) == 0) {
		FILE *f = fopen(cmd + 5, "r+");
		long long n = 0;

		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(fscanf(f, "%lld", &n), 1);
		rewind(f);
		fprintf(f, "%lld\n", n + 1);
		fclose(f);
		snprintf(out + strlen(out), size - strlen(out), "bumped\n");
		return 0;
	}
	if (strcmp(cmd, "fail") == 0)
		return 3;
	if (strcmp(cmd, "hang") == 0)
		return -ETIME;
	return 0;
}

START_TEST(test_counter_parse)
{
	long long n = -1;

	ck_assert_int_eq(agent_probe_counter_parse("17\n", &n), 0);
	ck_assert_int_eq(n, 17);
	ck_assert_int_eq(agent_probe_counter_parse("stats\nmatches=4 drops=2\n", &n), 0);
	ck_assert_int_eq(n, 4);
	/* the first line that is a number and nothing else */
	ck_assert_int_eq(agent_probe_counter_parse("uptime 3s\n12a\n\n8\n9\n", &n), 0);
	ck_assert_int_eq(n, 8);
	n = -1;
	ck_assert_int_eq(agent_probe_counter_parse("matches=none\n12a", &n), -EINVAL);
	ck_assert_int_eq(agent_probe_counter_parse("", &n), -EINVAL);
	ck_assert_int_eq(agent_probe_counter_parse("-3\n", &n), -EINVAL);
	/* past what a long long holds: no counter, not a wrapped one */
	ck_assert_int_eq(agent_probe_counter_parse("12345678901234567890\n", &n), -EINVAL);
	ck_assert_int_eq(n, -1);
}
END_TEST

START_TEST(test_counter_probe)
{
	char *count = testlib_write_text("matches", "41\n");
	char *bump = NULL, out[512] = "";
	struct agent_conf c = {.probe_counter = count};

	ck_assert_int_ge(asprintf(&bump, "bump %s", count), 0);
	/* the trigger is counted: protected */
	c.trigger = bump;
	ck_assert(agent_probe_set(&c));
	ck_assert_int_eq(agent_probe_run(&c, 1000, out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "probe: protected ("));
	ck_assert_ptr_nonnull(strstr(out, " 41 -> 42)"));
	ck_assert_str_eq(last_cmd, bump);
	/* it is not: blind */
	c.trigger = "true";
	out[0] = 0;
	ck_assert_int_eq(agent_probe_run(&c, 1000, out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "probe: blind ("));
	ck_assert_ptr_nonnull(strstr(out, " 42 -> 42)"));
	/* a trigger that fails is still a run of it: the count decides */
	c.trigger = "fail";
	out[0] = 0;
	ck_assert_int_eq(agent_probe_run(&c, 1000, out, sizeof(out)), 1);
	/* past the timeout */
	c.trigger = "hang";
	ck_assert_int_eq(agent_probe_run(&c, 1000, out, sizeof(out)), -ETIME);
	/* no trigger to count */
	c.trigger = NULL;
	out[0] = 0;
	ck_assert_int_eq(agent_probe_run(&c, 1000, out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "needs the sensor's trigger"));
	free(bump);
	free(count);
}
END_TEST

START_TEST(test_counter_unreadable)
{
	char *garbage = testlib_write_text("garbage", "no number here\n");
	char *missing = NULL, out[512] = "";
	struct agent_conf c = {.trigger = "true"};
	int calls = shell_calls;

	ck_assert_int_ge(asprintf(&missing, "%s/none", testlib_tmpdir()), 0);
	c.probe_counter = missing;
	ck_assert_int_eq(agent_probe_run(&c, 1000, out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "probe: cannot read the counter "));
	c.probe_counter = garbage;
	out[0] = 0;
	ck_assert_int_eq(agent_probe_run(&c, 1000, out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "probe: no counter in "));
	/* the trigger is not run when the count cannot be read first */
	ck_assert_int_eq(shell_calls, calls);
	free(missing);
	free(garbage);
}
END_TEST

START_TEST(test_command_probe)
{
	char out[64] = "";
	struct agent_conf c = {.probe = "fail", .trigger = "true"};
	struct agent_conf none = {.probe = "", .probe_counter = ""};

	/* the sensor's own command, through the agent's shell */
	ck_assert(agent_probe_set(&c));
	ck_assert_int_eq(agent_probe_run(&c, 1000, out, sizeof(out)), 3);
	ck_assert_str_eq(last_cmd, "fail");
	ck_assert(!agent_probe_set(&none));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("agent-probe");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_counter_parse);
	tcase_add_test(tc, test_counter_probe);
	tcase_add_test(tc, test_counter_unreadable);
	tcase_add_test(tc, test_command_probe);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
