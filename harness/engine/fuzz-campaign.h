/* fuzz-campaign.h — the engine of `faultline fuzz`: a coverage-guided campaign against one sensor
 * of a session.
 *
 * The scenario's cases are the seeds. Each step picks a corpus input (harness/fuzz/corpus.h),
 * mutates it (step.h), runs it on a guest restored from the sensor's snapshot (attempt.h, the
 * one path of every case; with opts.jobs N, N guests run steps at once, each on a thread with
 * its slot of the pool, which one lock serialises around everything but the guest's run and the
 * mutation; harness/fuzz/dispatch.h hands out the work), and reads what the guest's emulator
 * counted of the sensor's code (covfile.h, through the coverage plugin): an input that reaches new
 * coverage joins the corpus. A case that ends in anything but accepted or rejected is recorded as
 * `run` records it (results.jsonl, inputs/, consoles/), once per signature (verdict and title). The
 * campaign's state is written after every case (results/campaign.h), so a Ctrl-C or a kill loses at
 * most the case in flight, and a resumed campaign continues where it stopped.
 *
 * The campaign directory: results.jsonl, run.json, inputs/, consoles/ as a run's; corpus/;
 * coverage.bin (the campaign's map), coverage.jsonl (the map's growth over time), campaign.json
 * (where the campaign is: executions, time, PRNG state, signatures, the sensor's magic values,
 * the next case id).
 *
 * Errors: as the session's (session.h): 0 or a negative errno, and a struct session_error that
 * names the party at fault; nothing here prints an error. Progress for the user goes to
 * opts.progress (NULL: none).
 * Ownership: fuzz_campaign_open() borrows the session and the options until
 * fuzz_campaign_free().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "session.h"

struct fuzz_campaign_opts {
	const char *sensor;		 /* NULL: the scenario's one sensor */
	const char *dir;		 /* the campaign directory */
	uint64_t duration_ms, max_execs; /* max_execs 0: no limit */
	uint64_t seed;			 /* with has_seed: the PRNG's, else the scenario's */
	/* guests running cases at once (0: 1), sharing the corpus, the map and the signatures;
	 * the same seed gives the same campaign with one only (the order outcomes arrive in
	 * steers it) */
	unsigned jobs;
	bool has_seed, resume, no_coverage;
	/* a comparison-tracing host build of the sensor (harness/fuzz/cmplog.h): half the steps
	 * then go through the input-to-state stage; NULL: none */
	const char *cmplog;
	/* `--cmplog emulator`: the guest's emulator logs the sensor's comparison operands (the
	 * coverage plugin's cmp=1, on a QEMU whose plugin API reads registers: 9.0 and later); half
	 * the steps on an input whose run logged some are an input-to-state mutant of it */
	bool cmplog_emulator;
	FILE *progress; /* progress lines; NULL: quiet */
};

struct fuzz_campaign;

/* The campaign directory (resumed when o->resume), its records, and the guests' pool. -EINVAL
 * for the user's input (no such sensor, a remote host, coverage under KVM, a folder that holds
 * no campaign to resume, --cmplog emulator on a QEMU that cannot read registers); another errno
 * when the host fails. */
int fuzz_campaign_open(struct session *s, const struct fuzz_campaign_opts *o,
		       struct fuzz_campaign **ret, struct session_error *ret_error);
/* Run the seeds, then mutants, until the time or the executions are up. Returns 0, -ECANCELED
 * when a signal stopped it (the state is saved: resume it), or another errno with
 * ret_error set (the host failed it). */
int fuzz_campaign_run(struct fuzz_campaign *c, struct session_error *ret_error);
void fuzz_campaign_free(struct fuzz_campaign *c);

/* Where the campaign is; the signatures are the campaign's. */
struct fuzz_campaign_figures {
	uint64_t execs;
	size_t corpus, blocks, edges;
	const char *const *signatures;
	size_t n_signatures;
};
void fuzz_campaign_figures(const struct fuzz_campaign *c, struct fuzz_campaign_figures *ret);
