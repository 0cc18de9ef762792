/* test-runner.c — what the runner decides before it talks to a guest: an input larger than the
 * agent accepts is an infra-error with the reason, not sent and not retried, whether the case
 * persists (stored first) or not. No guest is needed, so none is given. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "runner.h"
#include "testlib.h"
#include "util.h"

static const struct runner_timeouts timeouts = {.case_ms = 1000};

static void expect_too_large(const struct case_result *res)
{
	ck_assert_int_eq(res->verdict, VERDICT_INFRA_ERROR);
	ck_assert_ptr_nonnull(res->detail);
	ck_assert_ptr_nonnull(strstr(res->detail, "input of 17825792 bytes exceeds the agent "
						  "protocol's limit (16777216 bytes)"));
	ck_assert(!res->retry);
}

START_TEST(test_store_too_large)
{
	struct case_result res;
	size_t size = 17u << 20;
	_cleanup_free_ uint8_t *data = xzalloc(size);

	case_result_init(&res);
	ck_assert_int_eq(runner_store(NULL, data, size, &timeouts, "/dev/null", &res), 1);
	expect_too_large(&res);
	case_result_finish(&res);
}
END_TEST

START_TEST(test_run_too_large)
{
	struct case_result res;
	size_t size = 17u << 20;
	_cleanup_free_ uint8_t *data = xzalloc(size);

	case_result_init(&res);
	ck_assert_int_eq(runner_run_case(NULL, "c", data, size, &timeouts, "/dev/null", &res), 0);
	expect_too_large(&res);
	case_result_finish(&res);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("runner");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_store_too_large);
	tcase_add_test(tc, test_run_too_large);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
