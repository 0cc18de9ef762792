/* classify.h — console log classification: did the guest kernel crash or hang, and what is the
 * stable title (signature) of the failure. Streams its input; memory use is bounded whatever the
 * size of the log. Owner: the caller frees a result with classify_result_free(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum classify_verdict {
	CLASSIFY_CLEAN = 0,
	CLASSIFY_CRASH,
	CLASSIFY_HANG,
};

struct classify_result {
	enum classify_verdict verdict;
	char *title;	 /* "BUG: unable to handle page fault in ks_eval_field"; NULL when clean */
	char *type;	 /* short kind, e.g. "page-fault", "soft-lockup"; NULL when clean */
	long first_line; /* 1-based line of the report's first line; 0 when clean */
	char *report;	 /* the report text (bounded excerpt); NULL when clean */
};

/* Classify a console log read from f, until EOF or until the first report is complete (the rest
 * cannot change the result). Returns 0 or a negative errno (read error). Title rules: the first
 * report wins; "<kind> in <function>" with the function taken from the header, the faulting
 * IP or the stack past reporting/locking/allocation helpers, a module's frame preferred; for a
 * spinning CPU (lockups, RCU stalls) the outermost frame of the module's run, which does not
 * depend on where the sample landed. The tables are in classify-patterns.c. */
int classify_file(FILE *f, struct classify_result **ret);
/* Same for a path. */
int classify_path(const char *path, struct classify_result **ret);
/* Same for an in-memory buffer (may contain NULs). */
int classify_buffer(const void *data, size_t size, struct classify_result **ret);

struct classify_result *classify_result_free(struct classify_result *r);
const char *classify_verdict_name(enum classify_verdict v); /* "clean", "crash", "hang" */

/* Incremental use, for a console that is still being written (the run loop can feed the console
 * as it arrives and stop watching once the verdict is final). The stream owns its memory (bounded:
 * one capped line, one capped report excerpt, a few dozen frames). */
struct classify_stream;
struct classify_stream *classify_stream_new(void);
void classify_stream_feed(struct classify_stream *st, const void *data, size_t size);
/* True once a report is complete: feeding more input cannot change the result. */
bool classify_stream_done(const struct classify_stream *st);
/* Ends the input (a last line without newline counts) and returns the result. The stream can only
 * be freed afterwards. Returns 0. */
int classify_stream_finish(struct classify_stream *st, struct classify_result **ret);
struct classify_stream *classify_stream_free(struct classify_stream *st);
