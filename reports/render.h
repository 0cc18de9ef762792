/* render.h — the renderers of an aggregate, and small formatting helpers they share.
 * Renderers write to a FILE the caller owns and return 0 or -EIO when the stream failed. */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "history.h"

struct html_opts {
	/* Directory the HTML file is written to, so that links to inputs and console logs are
	 * relative to it; NULL: links relative to the current directory. */
	const char *out_dir;
	/* Rows of the per-case table before the report lists only failing cases. */
	size_t max_case_rows;
	/* NULL, or the history of the reported run against a stored baseline: the "since the
	 * baseline" section (html-since.c) */
	const struct history *since;
};

/* The inline style sheet of the HTML report (html-style.c): the neutral colours as CSS
 * variables (inside :root, where html.c adds the verdicts'), then the rules. */
extern const char html_css_palette[];
extern const char html_css[];

int html_write(FILE *f, const struct aggregate *a, const struct html_opts *opts);
/* The HTML report's design comparison section (html-designs.c). */
void html_designs(FILE *f, const struct aggregate *a);
/* The HTML report's recovery section (html-recovery.c), for runs whose records carry a reboot
 * object (aggregate.n_followed). */
void html_recovery(FILE *f, const struct aggregate *a);
/* The HTML report's campaign section (html-campaign.c), for `faultline fuzz` directories (a run
 * whose rundir has a campaign). */
void html_campaign(FILE *f, const struct aggregate *a);
/* The HTML report's hosts section (html-hosts.c), for runs spread over several libvirt hosts. */
void html_hosts(FILE *f, const struct aggregate *a);
/* The HTML report's "since the baseline" section (html-since.c). */
void html_since(FILE *f, const struct history *h);
int junit_write(FILE *f, const struct aggregate *a);
int markdown_write(FILE *f, const struct aggregate *a);
int jsonsum_write(FILE *f, const struct aggregate *a);

/* "950 ms", "7.4 s", "3 min 05 s"; "–" for a negative (unknown) duration. */
const char *render_ms(char buf[32], int64_t ms);
/* "1,234,567": counts grouped by thousands for reading at a glance. */
const char *render_count(char buf[32], size_t n);
/* part of whole as "57%", "3.5%", "0.04%"; "0%" when whole is 0. */
const char *render_percent(char buf[32], size_t part, size_t whole);
/* "1 line was" / "3 lines were": human count phrases for notes about skipped input. */
const char *render_plural(size_t n, const char *one, const char *many);
/* A median number of boots: "2.5"; "–" when negative (none). */
const char *render_boots(char buf[32], double boots);
/* The recovery section's answer for sensor index s, in plain text (the caller escapes it):
 * "ksensor-legacy: 1 of 1 machines stuck in a boot loop without recovery; counter,
 * remediation and manual brought 3 of 3 back in 1.0–3.0 boots." NULL when no machine of the
 * sensor was followed. Caller frees. */
char *render_recovery_answer(const struct aggregate *a, size_t s);
/* What the boots after a record's first crash did, in plain text: "3 boots, crashed at 2.9 s
 * each", "recovered by counter after 2 boots in 21 s". NULL when the record has no reboot
 * object. Caller frees. */
char *render_reboot_case(const struct record *r);
/* The documented command that replays a record read from a run directory:
 * "faultline replay DIR/CASE --sensor S". Caller frees. */
char *render_replay_command(const struct record *r);
/* What a run is when it is not a whole one, in plain text: "shard 2/3: 5 of the scenario's 14
 * jobs; the other shards' jobs are not in it (faultline merge puts the shards together)", or a
 * merge's "merged from 2 of 3 shards: shard 3 is missing, ...". NULL for a whole run. Caller
 * frees. */
char *render_shard_note(const struct rundir *r);
