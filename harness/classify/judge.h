/* judge.h — the one place a case's verdict is decided: from what was seen of a guest (the
 * classifier's reading of its console, the agent's answers, the sensor watch's answer, what the
 * host did) to a verdict, a title and a detail. Pure: no I/O, no clock. The fleet gathers the
 * facts (runner.c, pool.c, reboot.c, watched.c) and records the judgement.
 *
 * Steps: boot (a fresh guest boots and starts its sensor, before the update), store
 * (persistence: the update kept on the guest's content partition before delivery), case (the
 * update delivered, the guest watched through the observation window), reboot (a boot from the
 * partition, after the update crashed the guest). Ends: done (boot/reboot: READY; store: STORED;
 * case: the agent answered and the window passed), stopped (the guest crashed or stopped, a
 * stream closed, the host was lost), silent (case: heartbeat silence; boot/reboot: no READY in
 * time), no-answer (case: heartbeats, but no RESULT in time). "Report": a kernel report on the
 * console (the classifier's crash or hang), whose title and excerpt the verdict takes.
 *
 * The table. The first row that applies decides. Titles and details in quotes are literal
 * (HOW: what the host did, TITLE: the report's).
 *
 *  step    evidence                          verdict          title; detail
 *  any     failed: a step the harness        infra-error      detail: what failed; retry as
 *          could not take (start, send,                       the fleet said
 *          store, READY's status...)
 *
 *  boot    report, after HELLO               crash / hang     the report's; "while the sensor
 *                                                             was being started, before the
 *                                                             update"
 *          report, before HELLO              infra-error      "guest kernel failed to boot:
 *                                                             TITLE" (the excerpt kept); retry
 *          stopped by the host               infra-error      "host error: HOW"; retry
 *          stopped by the guest              infra-error      "guest stopped during boot
 *                                                             without a kernel report"; retry
 *          silent                            infra-error      "guest did not become ready
 *                                                             within N s", and before HELLO
 *                                                             what the console showed: empty
 *                                                             or a kernel; retry
 *          done                              none (_VERDICT_MAX): the case goes on
 *
 *  reboot  no HELLO (report or not)          infra-error      HOW, or "the guest kernel did
 *                                                             not reach the agent: ..."
 *          report                            crash / hang     the report's
 *          stopped by the host               infra-error      HOW
 *          stopped by the guest              crash            "guest stopped during boot
 *                                                             without a kernel report"
 *          silent                            hang             "hang: the boot did not complete"
 *          done                              accepted         (came up healthy)
 *
 *  store   report                            crash / hang     the report's
 *          stopped by the host               infra-error      "host error: HOW"; retry
 *          stopped by the guest              crash            "guest stopped while the update
 *                                                             was stored"
 *          done                              none (_VERDICT_MAX): the case goes on
 *
 *  case    report (whatever the agent, the   crash / hang     the report's
 *          watch and the host said)
 *          stopped by the host               infra-error      "host error: HOW"; retry
 *          stopped by the guest              crash            "guest stopped without a kernel
 *                                                             report"
 *          silent, the host withholding the  infra-error      "host error: the host stalled:
 *          CPU for hang_ms or more when                       ..."; retry
 *          faultline gave up
 *          silent                            hang             "hang: agent heartbeat silent"
 *          no-answer, malformed frames came  infra-error      "faultline bug: the guest agent's
 *                                                             answer may have been lost: ...";
 *                                                             retry
 *          no-answer                         hang             "hang: update delivery did not
 *                                                             complete"
 *          done, the agent's outcome accepted, rejected or agent-error, and a watch answer
 *          that asks for something (sensor.yaml: a process, a log or a probe):
 *            the process was not running     infra-error      "guest error: sensor process P
 *            when the update came                             was not running ..."
 *            it died (pid gone or replaced,  sensor-died      the log's (classify_userspace), or
 *            or the log's death text)                         "P died"; "P died N times ...",
 *                                                             "crash-loop: " first from
 *                                                             JUDGE_CRASH_LOOP_DEATHS deaths
 *            alive, the last probe failed    protection-lost  "sensor blind: ..."
 *          done, outcome accepted or         infra-error      "guest agent did not report the
 *          rejected, no watch answer (or a                    sensor's state ..." ("faultline
 *          malformed one)                                     bug: malformed WATCHED ...")
 *          done: the agent's outcome         accepted
 *                                            rejected         "sensor rejected: MSG (errno N)"
 *                                            sensor-error     "sensor error: MSG (errno N)"
 *            agent-error, or an outcome      infra-error      "guest agent could not deliver the
 *            this version does not know                       update: MSG"
 *          any end: malformed frames came and nothing set a detail: the detail counts them;
 *          then frames the controller dropped, the same way
 *
 * After the fact, over a judged result (the fleet):
 *  judge_stalled    the host stalled (the guest got no vCPU time) while a boot failed, or during
 *                   every attempt of a case that failed: infra-error naming the stall and the
 *                   distrusted verdict (a lockup or RCU stall report may be the guest's clock
 *                   jumping over it); title cleared, report kept
 *  judge_follow_up  one boot of a crashed persistent guest: an infra-error ends the follow-up;
 *                   a healthy safe-mode boot goes on; a healthy boot is recovered; crashed boots
 *                   in a row, as many as the scenario's reboots, are a boot-loop
 *  judge_persisted  a crash followed across reboots takes the follow-up's outcome (its title
 *                   stays the first crash's), unless the follow-up was an infra-error
 *
 * Ownership: the input is borrowed; a judgement owns its strings (judgement_finish()).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "proto.h"
#include "verdict.h"

/* Deaths in one window that make a sensor death a crash loop: the supervisor brought it back
 * at least twice and the same content (or the next event) killed it again each time. */
#define JUDGE_CRASH_LOOP_DEATHS 3

enum judge_step {
	JUDGE_BOOT,
	JUDGE_STORE,
	JUDGE_CASE,
	JUDGE_REBOOT,
};

enum judge_end {
	JUDGE_DONE,
	JUDGE_STOPPED,
	JUDGE_SILENT,
	JUDGE_NO_ANSWER,
};

struct judge_input {
	enum judge_step step;
	enum judge_end end;
	/* the host and the harness */
	bool failed;		     /* a step the harness could not take */
	const char *failed_why;	     /* what failed (NULL: no detail) */
	bool failed_retry;	     /* and another attempt, on a fresh guest, may do better */
	const char *stopped_by_host; /* stopped: how the host ended the guest (NULL: it ended
					itself) */
	uint64_t withheld_ms;	     /* case, silent: how long the host had withheld the CPU when
					faultline gave up (0: it had not) */
	unsigned hang_ms;	     /* case: the heartbeat silence that is a hang */
	unsigned boot_ms;	     /* boot: the time a boot may take */
	unsigned bad_frames;	     /* case: malformed frames from the agent after the update */
	unsigned bad_by_kind[4];     /* bad magic, too large, bad flags, bad CRC */
	uint64_t frames_dropped;     /* case: frames the controller dropped (it read too slowly) */
	/* the console: NULL or clean when it holds no kernel report */
	const struct classify_result *console;
	/* the agent */
	bool hello; /* boot, reboot: it said HELLO (the kernel reached user space) */
	/* boot: what the console showed besides reports: not a byte (no kernel started: a disk
	 * whose loader starts none), or a kernel's banner; both false: not looked at */
	bool console_empty;
	bool kernel_started;
	int agent_outcome; /* case, done: enum proto_outcome, or another value it sent */
	int agent_errno;
	const char *agent_message;
	/* case, done: the sensor watch's answer (NULL: none, or watch_malformed), and the bytes
	 * of the sensor's log it carried */
	const struct proto_watch *watch;
	bool watch_malformed;
	const void *sensor_log;
	size_t sensor_log_len;
};

struct judgement {
	enum verdict verdict; /* _VERDICT_MAX: none yet, the case goes on */
	char *title;	      /* signature, or NULL */
	char *detail;	      /* why, in words; or NULL */
	char *report;	      /* the report excerpt, or NULL */
	bool retry;	      /* infra-error: another attempt on a fresh guest may do better */
};

/* Decide by the table above. *ret is overwritten (it owns nothing before). */
void judge_decide(const struct judge_input *in, struct judgement *ret);
/* judge_stalled: seen is the judgement the stall makes untrustworthy (borrowed). */
void judge_stalled(const struct judgement *seen, uint64_t stall_ms, const char *when,
		   struct judgement *ret);
/* judge_follow_up: after a boot that ended in `boot` (accepted, crash, hang or infra-error),
 * with crashes_in_a_row counted after it and `loop` the scenario's reboots: the outcome, or
 * _VERDICT_MAX to boot again. */
enum verdict judge_follow_up(enum verdict boot, bool safe, unsigned crashes_in_a_row,
			     unsigned loop);
enum verdict judge_persisted(enum verdict crash, enum verdict follow_up);
void judgement_finish(struct judgement *j);

/* The watch answer's counts, recorded whatever the verdict (the fleet's watched.h). */
int64_t judge_watch_deaths(const struct proto_watch *w);
/* Deaths the process came back from. */
int judge_watch_restarts(const struct proto_watch *w);
/* "kept", "restored", "lost" (static), the gap in *ret_gap_ms (-1: none); NULL without a
 * probe that ran. */
const char *judge_watch_protection(const struct proto_watch *w, int64_t *ret_gap_ms);
/* sensor.yaml asks for something to watch (a process, a log or a probe). */
bool judge_watch_asks(const struct proto_watch *w);

/* The agent's outcome as records name it: the name of the verdict it gives on its own
 * ("accepted", "rejected", "sensor-error"), "agent-error", or NULL (the agent never answered). */
const char *judge_agent_outcome_name(int outcome);
