/* reports.h — rendering run directories as a report: the entry points for the CLI and for
 * `faultline run`, which writes the default reports into its run directory when it ends.
 * Functions return 0 or a negative errno and print nothing. */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "rundir.h"

enum reports_format {
	REPORTS_HTML,
	REPORTS_JUNIT,
	REPORTS_MARKDOWN,
	REPORTS_JSON,
};

/* "html", "junit", "markdown" (or "md"), "json"; -EINVAL otherwise. */
int reports_format_from_name(const char *name, enum reports_format *ret);

/* Render runs (any number, merged) to f. out_dir is where the file goes, for relative links in
 * HTML (NULL: the current directory). max_case_rows: see struct html_opts (0: default). */
int reports_render(FILE *f, enum reports_format format, struct rundir *const *runs, size_t n_runs,
		   const char *out_dir, size_t max_case_rows);

/* Render to path, atomically (a temporary file renamed over it); links relative to its
 * directory. */
int reports_write_file(const char *path, enum reports_format format, struct rundir *const *runs,
		       size_t n_runs, size_t max_case_rows);

/* The same with the HTML report's "since the baseline" section for since (history.h; NULL:
 * none; other formats leave it out). */
struct history;
int reports_render_since(FILE *f, enum reports_format format, struct rundir *const *runs,
			 size_t n_runs, const char *out_dir, size_t max_case_rows,
			 const struct history *since);
int reports_write_file_since(const char *path, enum reports_format format,
			     struct rundir *const *runs, size_t n_runs, size_t max_case_rows,
			     const struct history *since);

/* Write RUN_DIR/report.html and RUN_DIR/results.xml (JUnit) for one run directory: what
 * `faultline run` calls at its end. Returns 0, -ENOENT when RUN_DIR/results.jsonl is missing,
 * or another negative errno. */
int reports_write_defaults(const char *run_dir);
