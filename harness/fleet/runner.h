/* runner.h — execute one case on a guest that is up with its sensor loaded, and decide the
 * verdict. Provisioning the guest (boot, snapshot restore, reuse) is the fleet's business; the
 * runner only needs a ready vm and the file its console is being written to.
 *
 * Ownership: case_result_finish() frees the strings of a result the runner filled.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "verdict.h"
#include "vm.h"

struct runner_timeouts {
	/* healthy window after the agent's RESULT; then the agent is asked what became of the
	 * sensor (WATCH, watch.h) and the case ends with its answer */
	unsigned observe_ms;
	unsigned hang_ms; /* heartbeat silence that is a hang */
	unsigned case_ms; /* the agent must answer within this */
};

struct case_result {
	enum verdict verdict;
	char *title;	   /* crash/hang signature, or NULL */
	char *detail;	   /* agent message, errno, infra reason; or NULL */
	char *report;	   /* console report excerpt; or NULL */
	int agent_outcome; /* enum proto_outcome, or -1 when the agent never answered */
	int agent_errno;
	char *agent_message;
	uint64_t boot_ms, deliver_ms, verdict_ms, total_ms;
	int attempt;
	/* reuse: the case failed on a guest that had run earlier cases and was run again alone on
	 * a fresh guest; this result is the fresh run's, these fields the first run's */
	bool confirmed;
	enum verdict first_verdict;
	char *first_title;
	bool flaky; /* the fresh run did not reproduce the first verdict and title */
	/* the sensor watch (watch.h), at the end of the observation window */
	const char *protection;	   /* "kept", "restored", "lost" (static); NULL: not measured */
	int64_t protection_gap_ms; /* -1: none (not measured, or lost) */
	int sensor_restarts;	   /* -1: not watched */
	bool sensor_log;	   /* the sensor's log of the case is in watch_log_path(console) */
};

void case_result_init(struct case_result *r);
void case_result_finish(struct case_result *r);

/* Fill *res from the console log at console_path after the guest stopped, crashed or went
 * silent: the classifier decides crash or hang and the title. Returns true when it found a
 * report; fallback_verdict/fallback_title are used otherwise. */
void runner_judge_console(const char *console_path, enum verdict fallback_verdict,
			  const char *fallback_title, struct case_result *res);

/* Deliver `data` to the ready guest and wait for the verdict. Returns 0 (res filled) or
 * -ECANCELED when the run was interrupted (res then holds nothing to record). */
int runner_run_case(struct vm *vm, const char *case_id, const uint8_t *data, size_t size,
		    const struct runner_timeouts *t, const char *console_path,
		    struct case_result *res);

/* Wait for the guest after the fact of a crash/stop: until the console has been quiet for a
 * short while (so the whole report is on disk), at most max_ms. */
void runner_drain_console(struct vm *vm, unsigned max_ms);
