/* test-agent-conf.c — the guest agent's pure logic: sensor.conf parsing (guests/agent/conf.c)
 * and its reaction to host frames (guests/agent/frames.c). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "frames.h"
#include "proto.h"

static int parse(const char *text, struct agent_conf **c, unsigned *line, const char **what)
{
	*line = 999;
	*what = NULL;
	return agent_conf_parse(text, strlen(text), c, line, what);
}

START_TEST(test_conf_full)
{
	/* What harness/scenario/sensor.c writes for ksensor-legacy, plus a comment, CRLF and a
	 * value with
	 * '='. */
	const char *text = "# written by faultline\n"
			   "name=ksensor-legacy\n"
			   "start=insmod /lib/sensor/ksensor.ko\r\n"
			   "start=echo a=b\n"
			   "\n"
			   "deliver=device\n"
			   "path=/dev/ksensor\n"
			   "trigger=/lib/sensor/kstrigger\n"
			   "reject_errno=1\n"
			   "reject_exit=0\n"
			   "reject_log=ksensor: rejected";
	struct agent_conf *c = NULL;
	const char *what;
	unsigned line;

	ck_assert_int_eq(parse(text, &c, &line, &what), 0);
	ck_assert_str_eq(c->name, "ksensor-legacy");
	ck_assert_uint_eq(c->n_start, 2);
	ck_assert_str_eq(c->start[0], "insmod /lib/sensor/ksensor.ko");
	ck_assert_str_eq(c->start[1], "echo a=b");
	ck_assert_int_eq(c->deliver, AGENT_DELIVER_DEVICE);
	ck_assert_str_eq(agent_deliver_name(c->deliver), "device");
	ck_assert_str_eq(c->path, "/dev/ksensor");
	ck_assert_str_eq(c->trigger, "/lib/sensor/kstrigger");
	ck_assert_ptr_null(c->reload);
	ck_assert_ptr_null(c->command);
	ck_assert(c->reject_errno);
	ck_assert(!c->reject_exit);
	ck_assert_str_eq(c->reject_log, "ksensor: rejected");
	ck_assert_uint_eq(c->unknown_keys, 0);
	/* no reject_errnos: the default set */
	ck_assert(agent_conf_rejects_errno(c, EINVAL));
	ck_assert(agent_conf_rejects_errno(c, EBADMSG));
	ck_assert(agent_conf_rejects_errno(c, EPROTO));
	ck_assert(!agent_conf_rejects_errno(c, ENOMEM));
	agent_conf_free(c);
}
END_TEST

/* The errnos a sensor declares: only those are rejections; none at all with reject_errno=0. */
START_TEST(test_conf_reject_errnos)
{
	struct agent_conf *c = NULL;
	const char *what;
	unsigned line;

	ck_assert_int_eq(parse("name=a\ndeliver=device\npath=/x\nreject_errno=1\n"
			       "reject_errnos=22,7,4095\n",
			       &c, &line, &what),
			 0);
	ck_assert_uint_eq(c->n_reject_errnos, 3);
	ck_assert(agent_conf_rejects_errno(c, EINVAL));
	ck_assert(agent_conf_rejects_errno(c, E2BIG));
	ck_assert(agent_conf_rejects_errno(c, 4095));
	ck_assert(!agent_conf_rejects_errno(c, EBADMSG));
	ck_assert(!agent_conf_rejects_errno(c, EFAULT));
	c->reject_errno = false;
	ck_assert(!agent_conf_rejects_errno(c, EINVAL));
	agent_conf_free(c);
}
END_TEST

START_TEST(test_conf_command_and_unknown)
{
	struct agent_conf *c = NULL;
	const char *what;
	unsigned line;

	ck_assert_int_eq(
	    parse("name=u\ndeliver=command\ncommand=usensorctl load \"$FAULTLINE_UPDATE\"\n"
		  "future_key=1\nname=v\n",
		  &c, &line, &what),
	    0);
	ck_assert_str_eq(c->name, "v"); /* the last one wins */
	ck_assert_int_eq(c->deliver, AGENT_DELIVER_COMMAND);
	ck_assert_str_eq(c->command, "usensorctl load \"$FAULTLINE_UPDATE\"");
	ck_assert_uint_eq(c->n_start, 0);
	ck_assert_uint_eq(c->unknown_keys, 1);
	agent_conf_free(c);
	ck_assert_ptr_null(agent_conf_free(NULL));
}
END_TEST

/* The watch and probe keys (sensor.yaml's watch: and probe:), with the probe's defaults. */
START_TEST(test_conf_watch)
{
	struct agent_conf *c = NULL;
	const char *what;
	unsigned line;

	ck_assert_int_eq(parse("name=u\ndeliver=file\npath=/x\nwatch_process=usensord\n"
			       "watch_log=/var/log/u.log\nwatch_died=supervise: usensord died\n"
			       "probe=/lib/sensor/probe 'x stats'\nprobe_timeout_ms=2500\n"
			       "probe_interval_ms=150\ncov_process=usensord\n"
			       "cov_objects=libscan.so.1,libz.so\n",
			       &c, &line, &what),
			 0);
	ck_assert_str_eq(c->watch_process, "usensord");
	ck_assert_str_eq(c->cov_process, "usensord");
	ck_assert_str_eq(c->cov_objects, "libscan.so.1,libz.so");
	ck_assert_str_eq(c->watch_log, "/var/log/u.log");
	ck_assert_str_eq(c->watch_died, "supervise: usensord died");
	ck_assert_str_eq(c->probe, "/lib/sensor/probe 'x stats'");
	ck_assert_uint_eq(c->probe_timeout_ms, 2500);
	ck_assert_uint_eq(c->probe_interval_ms, 150);
	ck_assert_uint_eq(c->unknown_keys, 0);
	agent_conf_free(c);
	ck_assert_int_eq(parse("name=k\ndeliver=device\npath=/dev/k\ntrigger=/t\n"
			       "probe_counter=/sys/module/k/parameters/matches\n",
			       &c, &line, &what),
			 0);
	ck_assert_str_eq(c->probe_counter, "/sys/module/k/parameters/matches");
	ck_assert_ptr_null(c->probe);
	ck_assert_uint_eq(c->unknown_keys, 0);
	agent_conf_free(c);
	ck_assert_int_eq(parse("name=u\ndeliver=file\npath=/x\n", &c, &line, &what), 0);
	ck_assert_ptr_null(c->watch_process);
	ck_assert_ptr_null(c->probe);
	ck_assert_uint_eq(c->probe_timeout_ms, 3000);
	ck_assert_uint_eq(c->probe_interval_ms, 200);
	ck_assert_ptr_null(c->watch_unit);
	ck_assert_ptr_null(c->cov_process);
	agent_conf_free(c);
	/* a unit: its journal is copied to the agent's own file, which becomes the log */
	ck_assert_int_eq(parse("name=u\ndeliver=file\npath=/x\nwatch_unit=usensor.service\n"
			       "watch_died=Main process exited\n",
			       &c, &line, &what),
			 0);
	ck_assert_str_eq(c->watch_unit, "usensor.service");
	ck_assert_str_eq(c->watch_log, AGENT_UNIT_JOURNAL);
	ck_assert_uint_eq(c->unknown_keys, 0);
	agent_conf_free(c);
}
END_TEST

START_TEST(test_conf_persist)
{
	const char *text = "name=ksensor-legacy\n"
			   "deliver=device\n"
			   "path=/dev/ksensor\n"
			   "persist_store=/persist/ksensor/content.kscu\n"
			   "persist_load=/lib/sensor/boot-content load a\n"
			   "persist_healthy=/lib/sensor/boot-content healthy\n"
			   "persist_load=echo b=c\n";
	struct agent_conf *c = NULL;
	const char *what;
	unsigned line;

	ck_assert_int_eq(parse(text, &c, &line, &what), 0);
	ck_assert_str_eq(c->persist_store, "/persist/ksensor/content.kscu");
	ck_assert_uint_eq(c->n_persist_load, 2);
	ck_assert_str_eq(c->persist_load[0], "/lib/sensor/boot-content load a");
	ck_assert_str_eq(c->persist_load[1], "echo b=c");
	ck_assert_uint_eq(c->n_persist_healthy, 1);
	ck_assert_str_eq(c->persist_healthy[0], "/lib/sensor/boot-content healthy");
	ck_assert_uint_eq(c->unknown_keys, 0);
	agent_conf_free(c);
	/* absent: nothing to keep */
	ck_assert_int_eq(parse("name=x\ndeliver=device\npath=/d\n", &c, &line, &what), 0);
	ck_assert_ptr_null(c->persist_store);
	ck_assert_uint_eq(c->n_persist_load, 0);
	ck_assert_uint_eq(c->n_persist_healthy, 0);
	agent_conf_free(c);
	/* a store on a full system's own disk (a package's), not on the content partition */
	ck_assert_int_eq(parse("name=x\ndeliver=device\npath=/d\npersist_store=/var/lib/x/c\n", &c,
			       &line, &what),
			 0);
	ck_assert_str_eq(c->persist_store, "/var/lib/x/c");
	agent_conf_free(c);
	/* a store that is not an absolute file path is refused, at its line */
	ck_assert_int_eq(
	    parse("name=x\ndeliver=device\npath=/d\npersist_store=tmp/c\n", &c, &line, &what),
	    -EINVAL);
	ck_assert_uint_eq(line, 4);
	ck_assert_str_eq(what, "persist_store must be an absolute file path");
	ck_assert_int_eq(
	    parse("name=x\ndeliver=device\npath=/d\npersist_store=/persist/\n", &c, &line, &what),
	    -EINVAL);
}
END_TEST

START_TEST(test_conf_errors)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *what;
	} cases[] = {
	    {"name=a\nnot a pair\n", 2, "expected key=value"},
	    {"name=a\n=value\n", 2, "expected key=value"},
	    {"name=a\ndeliver=socket\n", 2, "deliver must be device, file or command"},
	    {"name=a\nreject_errno=yes\n", 2, "reject_errno must be 0 or 1"},
	    {"name=a\n\n\nreject_exit=2\n", 4, "reject_exit must be 0 or 1"},
	    {"name=a\nreject_errnos=\n", 2, "reject_errnos must be a list of errno numbers"},
	    {"name=a\nreject_errnos=22,\n", 2, "reject_errnos must be a list of errno numbers"},
	    {"name=a\nreject_errnos=22,,7\n", 2, "reject_errnos must be a list of errno numbers"},
	    {"name=a\nreject_errnos=0\n", 2, "reject_errnos must be a list of errno numbers"},
	    {"name=a\nreject_errnos=4096\n", 2, "reject_errnos must be a list of errno numbers"},
	    {"name=a\nreject_errnos=EINVAL\n", 2, "reject_errnos must be a list of errno numbers"},
	    {"name=a\nreject_errnos=99999999999\n", 2,
	     "reject_errnos must be a list of errno numbers"},
	    {"deliver=device\npath=/dev/x\n", 0, "name is missing"},
	    {"name=\ndeliver=device\npath=/dev/x\n", 0, "name is missing"},
	    {"name=a\npath=/dev/x\n", 0, "deliver is missing"},
	    {"name=a\ndeliver=file\n", 0, "path is missing (device and file delivery need it)"},
	    {"name=a\ndeliver=command\npath=/x\n", 0,
	     "command is missing (command delivery needs it)"},
	    {"", 0, "name is missing"},
	    {"name=a\nprobe_timeout_ms=0\n", 2,
	     "probe_timeout_ms and probe_interval_ms must be 1 to 60000"},
	    {"name=a\nprobe_interval_ms=60001\n", 2,
	     "probe_timeout_ms and probe_interval_ms must be 1 to 60000"},
	    {"name=a\n\nprobe_interval_ms=2s\n", 3,
	     "probe_timeout_ms and probe_interval_ms must be 1 to 60000"},
	    {"name=a\nprobe_timeout_ms=\n", 2,
	     "probe_timeout_ms and probe_interval_ms must be 1 to 60000"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct agent_conf *c = NULL;
		const char *what;
		unsigned line;

		ck_assert_int_eq(parse(cases[i].text, &c, &line, &what), -EINVAL);
		ck_assert_ptr_null(c);
		ck_assert_uint_eq(line, cases[i].line);
		ck_assert_str_eq(what, cases[i].what);
	}
}
END_TEST

START_TEST(test_conf_nul)
{
	struct agent_conf *c = NULL;
	const char *what = NULL;
	unsigned line = 7;

	ck_assert_int_eq(agent_conf_parse("name=a\0b\ndeliver=device\n", 24, &c, &line, &what),
			 -EINVAL);
	ck_assert_uint_eq(line, 0);
	ck_assert_str_eq(what, "file contains a NUL byte");
}
END_TEST

static struct proto_frame mkframe(uint16_t type, const char *payload)
{
	struct proto_frame f = {.type = type, .seq = 42, .len = (uint32_t)strlen(payload)};

	f.payload = (uint8_t *)strdup(payload);
	return f;
}

START_TEST(test_frame_actions)
{
	struct agent_action a;
	struct proto_frame f = mkframe(PROTO_UPDATE, "KSCU");

	agent_frame_action(&f, false, &a);
	ck_assert_int_eq(a.kind, AGENT_ACT_UPDATE);
	agent_frame_action(&f, true, &a);
	ck_assert_int_eq(a.kind, AGENT_ACT_ERROR);
	ck_assert_int_eq(a.err, EBUSY);
	ck_assert_str_eq(a.text,
			 "UPDATE seq 42 refused: another update or the sensor start is in flight");
	proto_frame_finish(&f);

	f = mkframe(PROTO_MARK, "case 3\nbit-flip\x1b");
	agent_frame_action(&f, true, &a); /* a MARK is fine while busy */
	ck_assert_int_eq(a.kind, AGENT_ACT_MARK);
	ck_assert_str_eq(a.text, "case 3?bit-flip?");
	proto_frame_finish(&f);

	f = mkframe(PROTO_HEARTBEAT, "");
	agent_frame_action(&f, false, &a);
	ck_assert_int_eq(a.kind, AGENT_ACT_ERROR);
	ck_assert_int_eq(a.err, EPROTO);
	ck_assert_str_eq(a.text, "unexpected frame type 3 (HEARTBEAT) from the host");
	proto_frame_finish(&f);

	f = mkframe(PROTO_WATCH, "");
	agent_frame_action(&f, true, &a); /* the host asks after RESULT; busy or not, answer */
	ck_assert_int_eq(a.kind, AGENT_ACT_WATCH);
	proto_frame_finish(&f);

	f = mkframe(PROTO_WATCHED, "");
	agent_frame_action(&f, false, &a); /* the agent's own answer is no request */
	ck_assert_int_eq(a.kind, AGENT_ACT_ERROR);
	proto_frame_finish(&f);

	f = mkframe(999, "x");
	agent_frame_action(&f, false, &a);
	ck_assert_int_eq(a.kind, AGENT_ACT_ERROR);
	ck_assert_str_eq(a.text, "unexpected frame type 999 (UNKNOWN) from the host");
	proto_frame_finish(&f);
}
END_TEST

START_TEST(test_frame_store_remedy)
{
	static const uint8_t rollback[] = {2, 0, 0, 0, 'K', 'S'}, bad[] = {1, 0, 0, 0, 'x'};
	struct proto_frame f = mkframe(PROTO_STORE, "KSCU");
	struct agent_action a;

	agent_frame_action(&f, false, &a);
	ck_assert_int_eq(a.kind, AGENT_ACT_STORE);
	ck_assert_int_eq(a.err, 0);
	ck_assert_ptr_eq(a.data, f.payload);
	ck_assert_uint_eq(a.len, 4);
	agent_frame_action(&f, true, &a); /* busy: answered, not written */
	ck_assert_int_eq(a.kind, AGENT_ACT_STORE);
	ck_assert_int_eq(a.err, EBUSY);
	ck_assert_str_eq(a.text, "STORE seq 42 refused: an update, the sensor start or the "
				 "remediation is in flight");
	proto_frame_finish(&f);

	f = (struct proto_frame){.type = PROTO_REMEDY, .len = sizeof(rollback)};
	f.payload = malloc(sizeof(rollback));
	memcpy(f.payload, rollback, sizeof(rollback));
	agent_frame_action(&f, true, &a);
	ck_assert_int_eq(a.kind, AGENT_ACT_REMEDY);
	ck_assert_int_eq(a.err, 0);
	ck_assert_uint_eq(a.remedy, PROTO_REMEDY_ROLLBACK);
	ck_assert_uint_eq(a.len, 2);
	ck_assert_ptr_eq(a.data, f.payload + 4);
	memcpy(f.payload, bad, sizeof(bad)); /* a delete with content */
	f.len = sizeof(bad);
	agent_frame_action(&f, false, &a);
	ck_assert_int_eq(a.kind, AGENT_ACT_REMEDY);
	ck_assert_int_eq(a.err, EBADMSG);
	ck_assert_str_eq(a.text, "action 1 with 1 bytes of content");
	f.len = 2;
	agent_frame_action(&f, false, &a);
	ck_assert_int_eq(a.err, EBADMSG);
	ck_assert_str_eq(a.text, "2 bytes, shorter than the action");
	proto_frame_finish(&f);

	f = mkframe(PROTO_REMEDY_ASK, "boot=1\n"); /* the agent's own question is no request */
	agent_frame_action(&f, false, &a);
	ck_assert_int_eq(a.kind, AGENT_ACT_ERROR);
	ck_assert_str_eq(a.text, "unexpected frame type 12 (REMEDY_ASK) from the host");
	proto_frame_finish(&f);
}
END_TEST

START_TEST(test_mark_bounded)
{
	char big[5000];
	struct agent_action a;
	struct proto_frame f;

	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	f = mkframe(PROTO_MARK, big);
	agent_frame_action(&f, false, &a);
	ck_assert_uint_eq(strlen(a.text), AGENT_MARK_MAX);
	proto_frame_finish(&f);
}
END_TEST

START_TEST(test_decode_errors)
{
	struct agent_action a;

	agent_decode_error(-EBADMSG, &a);
	ck_assert_int_eq(a.kind, AGENT_ACT_ERROR);
	ck_assert_int_eq(a.err, EBADMSG);
	agent_decode_error(-EILSEQ, &a);
	ck_assert_int_eq(a.err, EILSEQ);
	ck_assert_str_eq(a.text, "frame payload CRC mismatch, frame dropped");
	agent_decode_error(-EMSGSIZE, &a);
	ck_assert_int_eq(a.err, EMSGSIZE);
	agent_decode_error(-EPROTO, &a);
	ck_assert_str_eq(a.text, "frame flags not zero");
}
END_TEST

START_TEST(test_payload)
{
	uint8_t *p;
	size_t n;
	int32_t b = EBADMSG;

	ck_assert_int_eq(agent_payload(PROTO_OUTCOME_REJECTED, &b, "bad crc", &p, &n), 0);
	ck_assert_uint_eq(n, 8 + 7);
	ck_assert_uint_eq(proto_get_u32(p), PROTO_OUTCOME_REJECTED);
	ck_assert_uint_eq(proto_get_u32(p + 4), EBADMSG);
	ck_assert_int_eq(memcmp(p + 8, "bad crc", 7), 0);
	free(p);

	ck_assert_int_eq(agent_payload(-1, NULL, NULL, &p, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(proto_get_u32(p), 0xffffffffu);
	free(p);
}
END_TEST

static Suite *agent_suite(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_conf_full);
	tcase_add_test(tc, test_conf_reject_errnos);
	tcase_add_test(tc, test_conf_command_and_unknown);
	tcase_add_test(tc, test_conf_watch);
	tcase_add_test(tc, test_conf_persist);
	tcase_add_test(tc, test_conf_errors);
	tcase_add_test(tc, test_conf_nul);
	tcase_add_test(tc, test_frame_actions);
	tcase_add_test(tc, test_frame_store_remedy);
	tcase_add_test(tc, test_mark_bounded);
	tcase_add_test(tc, test_decode_errors);
	tcase_add_test(tc, test_payload);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(agent_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
