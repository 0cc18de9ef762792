/* markdown.c — a short summary for CI job pages (GitHub's step summary, GitLab notes): the
 * headline per sensor, signatures, the first failing cases and the runs. Bounded in size
 * whatever the number of cases: CI pages truncate long summaries. */
#include "render.h"

#include "escape.h"
#include "kmatrix.h"
#include "util.h"

#define MAX_SIGS 50
#define MAX_FAILING 50

static void skipped_notes(FILE *f, const struct aggregate *a)
{
	for (size_t i = 0; i < a->n_runs; i++) {
		const struct rundir *r = a->runs[i];

		_cleanup_free_ char *shard = render_shard_note(r);

		if (shard) {
			fputs("> **Note:** ", f);
			escape_markdown_code(f, r->dir, false);
			fprintf(f, " is %s.\n\n", shard);
		}
		if (!r->n_skipped)
			continue;
		fprintf(f, "> **Note:** %zu %s of `results.jsonl` in ", r->n_skipped,
			render_plural(r->n_skipped, "line", "lines"));
		escape_markdown_code(f, r->dir, false);
		fprintf(f, " %s skipped (first at line %zu)%s.\n\n",
			render_plural(r->n_skipped, "was", "were"), r->first_skipped,
			r->last_truncated ? "; the last line is truncated, the run was killed"
					  : "");
	}
}

static void sensors_table(FILE *f, const struct aggregate *a)
{
	char b[32];

	fputs("| sensor | cases | crash | hang | boot-loop | sensor-died | rejected | "
	      "accepted (malformed) | infra-error | expectations met | median time |\n"
	      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
	      f);
	for (size_t s = 0; s < a->n_sensors; s++) {
		const struct aggregate_sensor *sen = &a->sensors[s];
		const struct aggregate_counts *c = &sen->counts;

		fputs("| ", f);
		escape_markdown(f, sen->name);
		fprintf(f,
			" | %zu | %zu | %zu | %zu | %zu | %zu | %zu (%zu) | %zu | %zu/%zu | %s |\n",
			c->n, c->v[VERDICT_CRASH], c->v[VERDICT_HANG], c->v[VERDICT_BOOT_LOOP],
			c->v[VERDICT_SENSOR_DIED], c->v[VERDICT_REJECTED], c->v[VERDICT_ACCEPTED],
			c->silent_accept, c->v[VERDICT_INFRA_ERROR], sen->expect_met,
			sen->expect_total, render_ms(b, sen->time_median_ms));
	}
}

/* The design comparison (html-designs.c has the chart): what the cases did to the machine and
 * to the protection, per sensor. */
static void designs_table(FILE *f, const struct aggregate *a)
{
	char b[3][32];

	fputs("\n## Designs compared: the machine and the protection\n\n"
	      "| design | cases | machine down | sensor died (crash loops) | clean rejections | "
	      "silent acceptances | protection lost | protection gap (median, worst) |\n"
	      "|---|---:|---:|---:|---:|---:|---:|---:|\n",
	      f);
	for (size_t s = 0; s < a->n_sensors; s++) {
		const struct aggregate_sensor *sen = &a->sensors[s];
		const struct aggregate_design_row *d = &sen->design;
		size_t died = d->n[AGGREGATE_DIED] + d->n[AGGREGATE_DIED_BACK];

		fputs("| ", f);
		escape_markdown(f, sen->name);
		fprintf(f, " | %zu | %zu | %zu (%zu) | %zu | %zu | ", sen->counts.n,
			d->n[AGGREGATE_DOWN], died, d->crash_loops, d->n[AGGREGATE_REJECTED],
			d->n[AGGREGATE_SILENT]);
		if (d->protection_measured)
			fprintf(f, "%zu", d->protection_lost);
		else
			fputs("not measured", f);
		if (d->n_gaps)
			fprintf(f, " | %s, %s |\n", render_ms(b[0], d->gap_median_ms),
				render_ms(b[1], d->gap_max_ms));
		else
			fprintf(f, " | %s |\n",
				died > d->n[AGGREGATE_DIED_BACK] ? "never back"
								 : render_ms(b[2], -1));
	}
}

/* The recovery of machines the persisted update crashed (html-recovery.c has the same): the
 * answer per sensor, then a row per sensor and mechanism. */
static void recovery_table(FILE *f, const struct aggregate *a)
{
	char b[5][32];

	fputs("\n## Recovery: does the machine come back?\n\n", f);
	for (size_t s = 0; s < a->n_sensors; s++) {
		_cleanup_free_ char *say = render_recovery_answer(a, s);

		if (!say)
			continue;
		escape_markdown(f, say);
		fputs("\n\n", f);
	}
	fputs("| sensor | mechanism | machines followed | stuck in a boot loop | recovered | "
	      "infra error | boots to recovery (median, max) | time to recovery (median, max) | "
	      "guest time to recovery (median) | loops whose crash titles agreed |\n"
	      "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
	      f);
	for (size_t i = 0; i < a->n_recovery; i++) {
		const struct aggregate_recovery *row = &a->recovery[i];

		fputs("| ", f);
		escape_markdown(f, row->sensor);
		fputs(" | ", f);
		escape_markdown(f, row->mechanism);
		fprintf(f, " | %zu | %zu | %zu | %zu | ", row->followed, row->loops, row->recovered,
			row->infra);
		if (row->boots_median >= 0)
			fprintf(f, "%s, %zu", render_boots(b[0], row->boots_median),
				row->boots_max);
		else
			fputs(render_boots(b[0], -1), f);
		if (row->wall_median_ms >= 0)
			fprintf(f, " | %s, %s", render_ms(b[1], row->wall_median_ms),
				render_ms(b[2], row->wall_max_ms));
		else
			fprintf(f, " | %s", render_ms(b[1], -1));
		fprintf(f, " | %s | ", render_ms(b[3], row->guest_median_ms));
		if (row->loops)
			fprintf(f, "%zu of %zu |\n", row->loops_agreed, row->loops);
		else
			fprintf(f, "%s |\n", render_ms(b[4], -1));
	}
}

static void signatures(FILE *f, const struct aggregate *a)
{
	size_t shown = a->n_sigs < MAX_SIGS ? a->n_sigs : MAX_SIGS;
	char b1[32], b2[32];

	fputs("\n## Crash and hang signatures\n\n"
	      "| signature | verdict | count | sensors | time to verdict | replay the "
	      "first |\n"
	      "|---|---|---:|---|---|---|\n",
	      f);
	for (size_t g = 0; g < shown; g++) {
		const struct aggregate_signature *sig = &a->sigs[g];
		_cleanup_free_ char *replay = render_replay_command(sig->first);

		fputs("| ", f);
		escape_markdown(f, sig->title);
		fprintf(f, " | %s | %zu | ", verdict_name(sig->kind), sig->count);
		escape_markdown(f, sig->sensors);
		fprintf(f, " | %s", render_ms(b1, sig->ttc_min_ms));
		if (sig->ttc_max_ms > sig->ttc_min_ms)
			fprintf(f, " \xe2\x80\x93 %s", render_ms(b2, sig->ttc_max_ms));
		fputs(" | ", f);
		escape_markdown_code(f, replay, true);
		fputs(" |\n", f);
	}
	if (shown < a->n_sigs)
		fprintf(f, "\n%zu more signatures are in the HTML report.\n", a->n_sigs - shown);
}

static void failing(FILE *f, const struct aggregate *a)
{
	size_t shown = a->n_failing < MAX_FAILING ? a->n_failing : MAX_FAILING;

	fprintf(f, "\n## Cases that fell short (%zu%s)\n\n", a->n_failing,
		shown < a->n_failing ? ", first 50 shown" : "");
	fputs("| sensor | case | verdict | expected | title or detail |\n"
	      "|---|---|---|---|---|\n",
	      f);
	for (size_t i = 0; i < shown; i++) {
		const struct record *r = a->failing[i];

		fputs("| ", f);
		escape_markdown(f, r->sensor);
		if (r->system) { /* which guest it ran on */
			fputs(" (", f);
			escape_markdown(f, r->system);
			fputs(")", f);
		}
		fputs(" | ", f);
		escape_markdown(f, r->case_id);
		fputs(" | ", f);
		escape_markdown(f, r->verdict);
		fputs(" | ", f);
		escape_markdown(f, r->expect ? r->expect : "none");
		fputs(" | ", f);
		escape_markdown(f, r->title ? r->title : r->detail ? r->detail : "");
		fputs(" |\n", f);
	}
}

static void runs(FILE *f, const struct aggregate *a)
{
	fputs("\n## Runs\n\n| run | scenario | kernel | faultline | accel | started | finished |\n"
	      "|---|---|---|---|---|---|---|\n",
	      f);
	for (size_t i = 0; i < a->n_runs; i++) {
		const struct rundir *r = a->runs[i];
		_cleanup_free_ char *interrupted =
		    r->interrupted ? xasprintf("interrupted %s", r->interrupted) : NULL;
		const char *cells[] = {r->run_id ? r->run_id : r->dir,
				       r->scenario,
				       r->kernel,
				       r->faultline_version,
				       r->accel,
				       r->started,
				       r->finished   ? r->finished
				       : interrupted ? interrupted
						     : "did not finish"};

		for (size_t c = 0; c < ARRAY_SIZE(cells); c++) {
			fputs("| ", f);
			escape_markdown(f, cells[c] ? cells[c] : "\xe2\x80\x93");
			fputc(' ', f);
		}
		fputs("|\n", f);
	}
}

/* A fleet across hosts: cases and infra-errors per libvirt host. */
static void hosts_table(FILE *f, const struct aggregate *a)
{
	fputs("## Hosts\n\n| libvirt host | cases | infra-errors | run again after a host fault "
	      "|\n|---|---:|---:|---:|\n",
	      f);
	for (size_t i = 0; i < a->n_hosts; i++) {
		const struct aggregate_host *h = &a->hosts[i];

		fputs("| ", f);
		escape_markdown_code(f, h->uri, true);
		fprintf(f, " | %zu | %zu | %zu |\n", h->cases, h->infra_errors, h->host_faults);
	}
	fputs("\n", f);
}

/* sensor x kernel x arch, when records name their kernels (kmatrix.h) */
static void kernels_table(FILE *f, const struct aggregate *a)
{
	struct kmatrix *m;

	kmatrix_build(a->runs, a->n_runs, &m);
	if (m)
		kmatrix_markdown(f, m);
	kmatrix_free(m);
}

int markdown_write(FILE *f, const struct aggregate *a)
{
	fputs("# faultline report", f);
	if (a->n_runs == 1 && a->runs[0]->scenario) {
		fputs(": ", f);
		escape_markdown(f, a->runs[0]->scenario);
	}
	fputs("\n\n", f);
	fprintf(f, "%zu %s on %zu %s from %zu %s: **%zu %s**, %zu infra %s, %zu crash %s.\n\n",
		a->n_records, render_plural(a->n_records, "case", "cases"), a->n_sensors,
		render_plural(a->n_sensors, "sensor", "sensors"), a->n_runs,
		render_plural(a->n_runs, "run", "runs"), a->failures,
		render_plural(a->failures, "failure", "failures"), a->errors,
		render_plural(a->errors, "error", "errors"), a->n_sigs,
		render_plural(a->n_sigs, "signature", "signatures"));
	skipped_notes(f, a);
	sensors_table(f, a);
	kernels_table(f, a);
	if (a->n_watched)
		designs_table(f, a);
	if (a->n_followed)
		recovery_table(f, a);
	if (a->n_hosts > 1)
		hosts_table(f, a);
	if (a->n_sigs)
		signatures(f, a);
	if (a->n_failing)
		failing(f, a);
	runs(f, a);
	return ferror(f) ? -EIO : 0;
}
