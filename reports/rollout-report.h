/* rollout-report.h — the report of a staged rollout (`faultline rollout`), from its summary
 * RUN_DIR/rollout.json: Markdown, JSON, or an HTML page whose rollout section opens with the
 * one-line answer and shows, per strategy, the blast radius over time as an inline SVG (rings
 * shaded, gates marked) and a table per ring. Functions return 0 or a negative errno and print
 * nothing but the report. The summary (read and written by harness/results/rollout-summary.h)
 * is borrowed. */
#pragma once

#include <stdio.h>

#include "reports.h"
#include "rollout-summary.h"

/* HTML, Markdown or JSON of summary to f; -EOPNOTSUPP for another format. */
int rollout_report_render(FILE *f, enum reports_format format,
			  const struct rollout_summary *summary);
/* The same into path, atomically. */
int rollout_report_write(const char *path, enum reports_format format,
			 const struct rollout_summary *summary);
/* The <section id="rollout"> alone (the page's styles assumed). */
int rollout_report_html_section(FILE *f, const struct rollout_summary *summary);
