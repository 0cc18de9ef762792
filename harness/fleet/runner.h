/* runner.h — execute one case on a guest that is up with its sensor loaded, and have the judge
 * (judge.h) decide the verdict from what it saw. Provisioning the guest (boot, snapshot restore,
 * reuse) is the fleet's business; the runner only needs a ready vm and the file its console is
 * being written to.
 *
 * Ownership: case_result_finish() frees the strings of a result the runner filled.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "judge.h"
#include "verdict.h"
#include "vm.h"

struct runner_timeouts {
	/* healthy window after the agent's RESULT; then the agent is asked what became of the
	 * sensor (WATCH, watched.h) and the case ends with its answer */
	unsigned observe_ms;
	unsigned hang_ms; /* heartbeat silence that is a hang */
	unsigned case_ms; /* the agent must answer within this */
	/* no final protection probe at the window's end (PROTO_WATCH_NO_PROBE): a later case's
	 * probe on the same guest vouches for this one (fleet.h: probe_every) */
	bool no_probe;
};

struct case_result {
	enum verdict verdict;
	char *title;	   /* crash/hang signature, or NULL */
	char *detail;	   /* agent message, errno, infra reason; or NULL */
	char *report;	   /* console report excerpt; or NULL */
	int agent_outcome; /* enum proto_outcome, or -1 when the agent never answered */
	/* when the verdict came: "load" (the update being delivered) or "evaluate" (the trigger
	 * started, PROTO_EVALUATE_MARK on the console); static; NULL: nothing was delivered */
	const char *phase;
	int agent_errno;
	char *agent_message;
	uint64_t boot_ms, deliver_ms, verdict_ms, total_ms;
	/* since the case started: the observation window over (WATCH sent), the agent's answer
	 * with the probe's (WATCHED); 0: not reached. How long handing the guest back took */
	uint64_t watch_ms, watched_ms, release_ms;
	int attempt;
	/* probe_every: not probed itself, a later case's probe on its guest passed (case id,
	 * static for the run); NULL: probed in its own window, or never deferred */
	const char *probed_after;
	const char *host; /* URI of the host the case ran on (static for the run); NULL: one host */
	bool retry;	  /* infra-error: another attempt on a fresh guest may do better */
	/* the host stalled: the guest got no vCPU time at all for this long while its case ran
	 * (summed over the job's attempts; stalls shorter than RUNNER_STALL_MS are not counted) */
	uint64_t host_stall_ms;
	char *host_fault;	 /* what the host did to the job's earlier attempts, or NULL */
	uint64_t frames_dropped; /* from the agent during the case: it sent faster than they
				    were read (vm_frames_dropped) */
	/* reuse: the case failed on a guest that had run earlier cases and was run again alone on
	 * a fresh guest; this result is the fresh run's, these fields the first run's */
	bool confirmed;
	enum verdict first_verdict;
	char *first_title;
	bool flaky; /* the fresh run did not reproduce the first verdict and title */
	/* the sensor watch (watched.h), at the end of the observation window */
	const char *protection;	   /* "kept", "restored", "lost" (static); NULL: not measured */
	int64_t protection_gap_ms; /* -1: none (not measured, or lost) */
	int sensor_restarts;	   /* -1: not watched */
	bool sensor_log; /* the sensor's log of the case is in watched_log_path(console) */
	/* persistence: the guest the update crashed, booted again and followed (reboot.h); the
	 * verdict is then its outcome, the title the first crash's. NULL: not followed */
	struct reboot_result *reboot;
	enum verdict reboot_first; /* the case's own verdict, when reboot is set */
};

struct reboot_result;

/* A wall-clock gap of at least this many ms in which the guest's vCPU time did not advance at
 * all while the host withheld the CPU (vm_qemu_withheld: QEMU stopped, or waiting to run) is a
 * host stall: the guest's clock jumps over it, so its own watchdogs may report a lockup or an
 * RCU stall that never happened. A guest that halted itself (every QEMU thread asleep) is not
 * stalled. The guest's soft lockup detector (watchdog_thresh=1, session.c) fires 1.6 to 2 s after
 * the last run of its watchdog thread; with samples 250 ms apart a stall that long measures at
 * least 1.35 s. */
#define RUNNER_STALL_MS 1350

struct runner_stall {
	uint64_t cpu_ms;     /* the guest's vCPU time at the last sample */
	uint64_t moved_ms;   /* when (now_ms clock) it was last seen to advance */
	uint64_t sampled_ms; /* when it was last sampled */
	uint64_t total_ms;   /* stalls that ended, summed */
	bool withheld;	     /* the host was seen withholding the CPU since moved_ms */
};

/* Watch a guest for host stalls from now on; sample as often as every 250 ms (more often is
 * ignored), and at least every second while watching. */
void runner_stall_start(struct vm *vm, struct runner_stall *s);
void runner_stall_sample(struct vm *vm, struct runner_stall *s);
/* The guest sent something at `at` (now_ms clock): it ran then, as a sample would have shown,
 * without asking libvirt (on a remote host each sample is a round trip). */
void runner_stall_alive(struct runner_stall *s, uint64_t at);
/* The stalls so far, with the one going on now if it is long enough to count. */
uint64_t runner_stall_ms(const struct runner_stall *s);

void case_result_init(struct case_result *r);
void case_result_finish(struct case_result *r);
/* Add a line to r->host_fault. */
void case_result_note_host(struct case_result *r, const char *fmt, ...) _printf_(2, 3);

/* Move judgement j into res: verdict, title, detail and report replaced, retry added. */
void case_result_take(struct case_result *res, struct judgement *j);
/* Judge *in (judge.h), the console at console_path classified first (NULL: none read), and
 * take the judgement into res. */
void runner_judge(struct judge_input *in, const char *console_path, struct case_result *res);

/* A frame of the agent's that is an i32 status, then text (READY, STORED, ERROR): returns the
 * status (short_status when the frame is too short to hold one); *ret_text gets the text, which
 * is the guest's: cleaned to one line and capped (guesttext.h). Caller frees *ret_text. */
int32_t runner_frame_status(const struct proto_frame *f, int32_t short_status, char **ret_text);
/* The agent's RESULT into res: agent_outcome, agent_errno and agent_message (cleaned as above). */
void runner_take_result(struct case_result *res, const struct proto_frame *f);

/* Deliver `data` to the ready guest and wait for the verdict. Returns 0 (res filled) or
 * -ECANCELED when the run was interrupted (res then holds nothing to record).
 * The host's faults are never the guest's verdict: a guest that QEMU, libvirt or a stream lost
 * without a kernel report, or that went silent only because it got no CPU, is an infra-error
 * with res->retry set; a host stall during the case is in res->host_stall_ms, whatever the
 * verdict (the fleet runs such a case again). */
int runner_run_case(struct vm *vm, const char *case_id, const uint8_t *data, size_t size,
		    const struct runner_timeouts *t, const char *console_path,
		    struct case_result *res);

/* Persistence: hand the update to the agent to keep on the guest's content partition, as the
 * sensor stores its content, before it is delivered. Returns 0 when it is stored, 1 when not
 * (res filled: an infra-error saying why, e.g. the input is larger than the agent takes or the
 * partition is full; or the guest's crash), or -ECANCELED. */
int runner_store(struct vm *vm, const uint8_t *data, size_t size, const struct runner_timeouts *t,
		 const char *console_path, struct case_result *res);

/* A step the harness could not take: res becomes an infra-error saying why (taken), retry as
 * said (judge.h, the first row). */
void runner_failed(struct case_result *res, char *why, bool retry);
/* The host stalled (res->host_stall_ms) `when` ("while the guest booted"): res becomes what
 * judge_stalled() makes of it. */
void runner_stalled(struct case_result *res, const char *when);

/* The phase of case_id on the console at console_path: "evaluate" when PROTO_EVALUATE_MARK
 * follows the case's MARK line, else "load". */
const char *runner_phase(const char *console_path, const char *case_id);

/* Wait for the guest after the fact of a crash/stop: until the console has been quiet for a
 * short while (so the whole report is on disk), at most max_ms. */
void runner_drain_console(struct vm *vm, unsigned max_ms);
