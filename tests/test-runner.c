/* test-runner.c — the agent's frames as the runner, the pool and the reboot follower read them:
 * a hostile guest's text (terminal controls, invalid UTF-8, 16 MiB) comes out clean and capped,
 * and a frame too short for its status is told apart; an input past what the agent accepts is
 * refused before it is sent. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "guesttext.h"
#include "proto.h"
#include "runner.h"
#include "testlib.h"
#include "util.h"

static const char hostile[] = "\x1b]0;owned\x07\x1b[2J\x1b[31mFAKE: all cases accepted"
			      "\xc2\x9b"
			      "0m\xff\n";

/* A frame as the decoder hands it out: words, then text, then a NUL not counted. */
static struct proto_frame frame(uint16_t type, const uint32_t *words, size_t n_words,
				const char *text, size_t text_len)
{
	struct proto_frame f = {.type = type, .len = (uint32_t)(4 * n_words + text_len)};

	f.payload = xmalloc(f.len + 1);
	for (size_t i = 0; i < n_words; i++)
		proto_put_u32(f.payload + 4 * i, words[i]);
	memcpy(f.payload + 4 * n_words, text, text_len);
	f.payload[f.len] = 0;
	return f;
}

static void assert_clean(const char *s)
{
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(guesttext_is_clean(s, strlen(s), GUESTTEXT_LINE), "not clean: %s", s);
}

START_TEST(test_result)
{
	uint32_t words[] = {PROTO_OUTCOME_REJECTED, 22};
	struct proto_frame f = frame(PROTO_RESULT, words, 2, hostile, sizeof(hostile) - 1);
	struct case_result res;

	case_result_init(&res);
	runner_take_result(&res, &f);
	ck_assert_int_eq(res.agent_outcome, PROTO_OUTCOME_REJECTED);
	ck_assert_int_eq(res.agent_errno, 22);
	ck_assert_str_eq(res.agent_message, "?]0;owned??[2J?[31mFAKE: all cases accepted?0m? ");
	proto_frame_finish(&f);

	/* too short for its two words */
	f = frame(PROTO_RESULT, words, 1, "", 0);
	runner_take_result(&res, &f);
	ck_assert_int_eq(res.agent_outcome, PROTO_OUTCOME_AGENT_ERROR);
	ck_assert_str_eq(res.agent_message, "faultline bug: short RESULT frame from the agent");
	proto_frame_finish(&f);
	case_result_finish(&res);
}
END_TEST

/* The largest message the protocol carries: stored capped, not twice 16 MiB. */
START_TEST(test_result_capped)
{
	uint32_t words[] = {PROTO_OUTCOME_ACCEPTED, 0};
	size_t len = PROTO_MAX_PAYLOAD - 8;
	_cleanup_free_ char *text = xmalloc(len);
	struct proto_frame f;
	struct case_result res;

	memset(text, 0x1b, len);
	f = frame(PROTO_RESULT, words, 2, text, len);
	case_result_init(&res);
	runner_take_result(&res, &f);
	ck_assert_uint_le(strlen(res.agent_message), GUESTTEXT_MAX);
	assert_clean(res.agent_message);
	proto_frame_finish(&f);
	case_result_finish(&res);
}
END_TEST

/* READY (pool.c, reboot.c), STORED (runner_store) and ERROR share the status-then-text shape. */
START_TEST(test_status_frames)
{
	static const uint16_t types[] = {PROTO_READY, PROTO_STORED, PROTO_ERROR};

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		uint32_t status = 5;
		struct proto_frame f = frame(types[i], &status, 1, hostile, sizeof(hostile) - 1);
		_cleanup_free_ char *text = NULL, *none = NULL;

		ck_assert_int_eq(runner_frame_status(&f, -1, &text), 5);
		ck_assert_str_eq(text, "?]0;owned??[2J?[31mFAKE: all cases accepted?0m? ");
		proto_frame_finish(&f);

		f = frame(types[i], NULL, 0, "ab", 2);
		ck_assert_int_eq(runner_frame_status(&f, -1, &none), -1);
		ck_assert_str_eq(none, "");
		proto_frame_finish(&f);
	}
}
END_TEST

/* What the runner decides before it talks to a guest: an input larger than the agent accepts
 * is an infra-error with the reason, not sent and not retried, whether the case persists (stored
 * first) or not. No guest is given: none is needed. */
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

	tcase_add_test(tc, test_result);
	tcase_add_test(tc, test_result_capped);
	tcase_add_test(tc, test_status_frames);
	tcase_add_test(tc, test_store_too_large);
	tcase_add_test(tc, test_run_too_large);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
