/* progress.h — the live progress line of a command that runs many cases (run and bench; minimize
 * and rollout when they are built): cases done of total, the verdicts so far, cases per minute,
 * the time elapsed and left, redrawn in place at most four times a second and once a second
 * while nothing happens, cut to the terminal's width.
 *
 * A line is drawn only on a terminal, and not when the command is quiet or CI is set (a CI log
 * would keep every redraw); NO_COLOR (or TERM=dumb) turns its colours off. Results may come in
 * from any thread.
 * Ownership: progress_new() returns the line or NULL when none is to be drawn; every function
 * accepts NULL and then does nothing. progress_free() clears what is drawn and frees it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util.h"
#include "verdict.h"

struct progress;

/* A line on F (standard error, usually), or NULL: F is NULL or not a terminal, QUIET, or $CI. */
struct progress *progress_new(FILE *f, bool quiet);
struct progress *progress_free(struct progress *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct progress *, progress_free);

/* Start counting TOTAL results of a run (LABEL: what runs, e.g. the isolation mode, or NULL)
 * and draw the line until progress_end(). */
void progress_begin(struct progress *p, const char *label, size_t total);
/* One result: RECORDED_BEFORE for those a resumed run takes over (counted, but not in the
 * rate). */
void progress_result(struct progress *p, enum verdict v, bool recorded_before);
/* Stop drawing and clear the line, so that what the command prints next starts clean. */
void progress_end(struct progress *p);
