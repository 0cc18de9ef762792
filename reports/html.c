/* html.c — the comparative report: one self-contained HTML file (inline CSS and SVG, no script,
 * no external request; a Content-Security-Policy forbids both in case anything slipped through
 * the escaping). Built to be read on a projector, on a phone and on paper: every colour comes
 * with words and a symbol, wide tables become labelled blocks on narrow screens, print drops
 * the navigation and the links (html-style.c).
 *
 * Large runs are aggregated: the page lists every case only up to opts->max_case_rows records,
 * beyond that only the cases that fell short, and links each run's results.jsonl. */
#include "render.h"

#include <inttypes.h>
#include <stdlib.h>

#include "config.h"
#include "escape.h"
#include "kmatrix.h"
#include "palette.h"
#include "util.h"

#define MAX_SIGS_SHOWN 200
#define DEFAULT_CASE_ROWS 2000

/* Display categories: every verdict of the table, in severity order, with "accepted" split by
 * whether the input was malformed. A silent acceptance is the sensor's fault, so it ranks with
 * the verdicts that are, right before infra-error; what is left of "accepted" (seed content) is
 * the best news and comes after the clean rejections. */
#define N_CATS (_VERDICT_MAX + 1)

struct cats {
	const struct palette_style *style[N_CATS];
	int of[_VERDICT_MAX]; /* the category of each verdict */
	int silent;
};

static void cats_init(struct cats *k)
{
	int n = 0;

	for (int v = 0; v < _VERDICT_MAX; v++) {
		if (v == VERDICT_INFRA_ERROR) {
			k->silent = n;
			k->style[n++] = &palette_silent;
		}
		if (v == VERDICT_ACCEPTED)
			continue;
		k->of[v] = n;
		k->style[n++] = palette_verdict(v);
		if (v == VERDICT_REJECTED) {
			k->of[VERDICT_ACCEPTED] = n;
			k->style[n++] = palette_verdict(VERDICT_ACCEPTED);
		}
	}
}

static void cat_counts(const struct cats *k, const struct aggregate_counts *c, size_t out[N_CATS])
{
	for (int v = 0; v < _VERDICT_MAX; v++)
		out[k->of[v]] = c->v[v];
	out[k->silent] = c->silent_accept;
	out[k->of[VERDICT_ACCEPTED]] -= c->silent_accept;
}

static int record_cat(const struct cats *k, const struct record *r)
{
	return record_silent_accept(r) ? k->silent : k->of[r->kind];
}

/* The palette as CSS variables (html.c's classes and html-style.c's rules use them), then the
 * classes of each category: solid swatches carry their ink. */
static void css_cats(FILE *f, const struct cats *k)
{
	fputs(":root{", f);
	fputs(html_css_palette, f);
	for (int c = 0; c < N_CATS; c++)
		fprintf(f, "--%s:%s;", k->style[c]->css, k->style[c]->colour);
	for (int c = 0; c < N_CATS; c++)
		fprintf(f, "%s--t-%s:%s", c ? ";" : "", k->style[c]->css, k->style[c]->tint);
	fputs("}\n", f);
	fputs(html_css, f);
	for (int c = 0; c < N_CATS; c++) {
		const char *css = k->style[c]->css;

		fprintf(f,
			".k-%s{--k:var(--%s)}.w-%s{--w:var(--%s)}.t-%s{background:var(--t-%s)}"
			".s-%s{background:var(--%s);color:%s}\n",
			css, css, css, css, css, css, css, css, k->style[c]->ink);
	}
}

static void esc(FILE *f, const char *s)
{
	escape_html(f, s);
}

static void badge(FILE *f, const struct palette_style *style, const char *text)
{
	fprintf(f, "<span class=\"b s-%s\">%s ", style->css, style->symbol);
	esc(f, text);
	fputs("</span>", f);
}

/* Relative path from directory `from` to `to`, with a trailing slash; NULL when either does not
 * resolve (then links use the path as given). */
static char *relative_dir(const char *from, const char *to)
{
	_cleanup_free_ char *a = realpath(from ? from : ".", NULL);
	_cleanup_free_ char *b = realpath(to, NULL);
	char *buf = NULL;
	size_t size = 0, common = 0, i;
	FILE *f;

	if (!a || !b)
		return NULL;
	if (streq(a, "/"))
		return xasprintf("%s/", streq(b, "/") ? "" : b + 1);
	/* Longest common prefix ending at a component boundary. */
	for (i = 0; a[i] && a[i] == b[i]; i++)
		if (a[i] == '/')
			common = i;
	if (!a[i] && (!b[i] || b[i] == '/'))
		common = i;
	else if (!b[i] && a[i] == '/')
		common = i;
	f = open_memstream(&buf, &size);
	if (!f)
		abort();
	for (const char *p = a + common; *p; p++)
		if (*p == '/')
			fputs("../", f);
	if (b[common] == '/')
		fprintf(f, "%s/", b + common + 1);
	fclose(f);
	return buf;
}

struct ctx {
	FILE *f;
	const struct aggregate *a;
	struct cats k;
	const struct html_opts *opts;
	char **bases; /* per run: link prefix to the run directory */
};

/* The verdict of a record as a badge; one this version does not know, as written. */
static void record_badge(const struct ctx *x, const struct record *r)
{
	const struct palette_style *st = x->k.style[record_cat(&x->k, r)];

	badge(x->f, st, r->kind == VERDICT_OTHER ? r->verdict : st->one);
}

static const char *run_base(const struct ctx *x, const struct rundir *run)
{
	for (size_t i = 0; i < x->a->n_runs; i++)
		if (x->a->runs[i] == run)
			return x->bases[i];
	return "";
}

static void file_link(const struct ctx *x, const struct rundir *run, const char *rel,
		      const char *label)
{
	if (!rel) {
		fputs("<span class=\"muted\">\xe2\x80\x93</span>", x->f);
		return;
	}
	fputs("<a href=\"", x->f);
	escape_url_path(x->f, run_base(x, run));
	escape_url_path(x->f, rel);
	fputs("\">", x->f);
	esc(x->f, label ? label : rel);
	fputs("</a>", x->f);
}

static void head(const struct ctx *x)
{
	FILE *f = x->f;
	const struct aggregate *a = x->a;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"generator\" content=\"faultline " FAULTLINE_VERSION "\">\n<title>",
	      f);
	fputs("faultline report", f);
	if (a->n_runs == 1 && a->runs[0]->scenario) {
		fputs(": ", f);
		esc(f, a->runs[0]->scenario);
	}
	fputs("</title>\n<style>\n", f);
	css_cats(f, &x->k);
	fputs("</style>\n</head>\n<body>\n", f);
}

/* The distinct values of a run field, "a, b". */
static void distinct(FILE *f, const struct aggregate *a, size_t offset)
{
	bool first = true;

	for (size_t i = 0; i < a->n_runs; i++) {
		const char *v = *(char *const *)((const char *)a->runs[i] + offset);
		bool dup = false;

		if (!v)
			continue;
		for (size_t j = 0; j < i; j++) {
			const char *w = *(char *const *)((const char *)a->runs[j] + offset);
			dup |= w && streq(v, w);
		}
		if (dup)
			continue;
		fputs(first ? "" : ", ", f);
		esc(f, v);
		first = false;
	}
	if (first)
		fputs("unknown", f);
}

static void header(const struct ctx *x)
{
	char b[32];
	FILE *f = x->f;
	const struct aggregate *a = x->a;

	fputs("<header>\n<h1>faultline report</h1>\n<p class=\"sub\">Scenario ", f);
	distinct(f, a, offsetof(struct rundir, scenario));
	fprintf(f, " \xc2\xb7 %zu %s \xc2\xb7 %s %s \xc2\xb7 %zu %s \xc2\xb7 kernel ", a->n_sensors,
		render_plural(a->n_sensors, "sensor", "sensors"), render_count(b, a->n_records),
		render_plural(a->n_records, "case", "cases"), a->n_runs,
		render_plural(a->n_runs, "run", "runs"));
	distinct(f, a, offsetof(struct rundir, kernel));
	fputs(" \xc2\xb7 started ", f);
	distinct(f, a, offsetof(struct rundir, started));
	fputs("</p>\n<nav aria-label=\"Sections\"><a href=\"#sensors\">Sensors</a>", f);
	if (a->n_watched)
		fputs("<a href=\"#designs\">Designs compared</a>", f);
	if (a->n_followed)
		fputs("<a href=\"#recovery\">Recovery</a>", f);
	fputs("<a href=\"#matrix\">Mutation classes</a><a href=\"#signatures\">Crash signatures</a>"
	      "<a href=\"#times\">Time per case</a><a href=\"#cases\">Cases</a>"
	      "<a href=\"#runs\">Runs</a></nav>\n</header>\n<main>\n",
	      f);
}

static void notes(const struct ctx *x)
{
	FILE *f = x->f;

	for (size_t i = 0; i < x->a->n_runs; i++) {
		const struct rundir *r = x->a->runs[i];
		_cleanup_free_ char *shard = render_shard_note(r);

		if (shard) {
			fputs("<p class=\"note\" role=\"note\"><strong>! Part of a run:</strong> "
			      "<code>",
			      f);
			esc(f, r->dir);
			fputs("</code> is ", f);
			esc(f, shard);
			fputs(".</p>\n", f);
		}
		if (r->n_skipped) {
			fprintf(
			    f,
			    "<p class=\"note\" role=\"note\"><strong>! Incomplete input:</strong> "
			    "%zu %s of results.jsonl in <code>",
			    r->n_skipped, render_plural(r->n_skipped, "line", "lines"));
			esc(f, r->dir);
			fprintf(f, "</code> %s skipped (first at line %zu)%s.</p>\n",
				render_plural(r->n_skipped, "was", "were"), r->first_skipped,
				r->last_truncated
				    ? "; the last line is truncated, so the run was killed while "
				      "writing it"
				    : "");
		}
		if (r->has_meta && !r->finished) {
			fputs("<p class=\"note\" role=\"note\"><strong>! Unfinished run:</strong> "
			      "<code>",
			      f);
			esc(f, r->run_id ? r->run_id : r->dir);
			if (r->interrupted) {
				fputs("</code> was interrupted at ", f);
				esc(f, r->interrupted);
				fputs("; cases that had not run are missing.</p>\n", f);
			} else {
				fputs("</code> has no finish time: it was killed or is still "
				      "running.</p>\n",
				      f);
			}
		}
		if (!r->has_meta) {
			fputs("<p class=\"note\" role=\"note\"><strong>! No run.json</strong> in "
			      "<code>",
			      f);
			esc(f, r->dir);
			fputs("</code>: run metadata is missing.</p>\n", f);
		}
	}
}

static const char *cat_label(const struct palette_style *style, size_t n)
{
	return n == 1 ? style->one : style->many;
}

/* A one-line SVG bar of the categories, proportional, with a text alternative. */
static void bar(const struct ctx *x, const char *name, const size_t n[N_CATS], size_t total)
{
	FILE *f = x->f;
	double xpos = 0;

	fputs("<svg class=\"bar\" viewBox=\"0 0 1000 22\" preserveAspectRatio=\"none\" "
	      "role=\"img\" aria-label=\"",
	      f);
	esc(f, name);
	fputs(":", f);
	for (int c = 0; c < N_CATS; c++)
		if (n[c])
			fprintf(f, " %zu %s;", n[c], cat_label(x->k.style[c], n[c]));
	fputs("\">", f);
	for (int c = 0; c < N_CATS && total; c++) {
		double w = 1000.0 * (double)n[c] / (double)total;

		if (!n[c])
			continue;
		fprintf(f,
			"<rect x=\"%.2f\" y=\"0\" width=\"%.2f\" height=\"22\" fill=\"%s\">"
			"<title>%zu %s</title></rect>",
			xpos, w, x->k.style[c]->colour, n[c], cat_label(x->k.style[c], n[c]));
		xpos += w;
	}
	fputs("</svg>\n", f);
}

static void stat(const struct ctx *x, int c, const char *label, size_t v)
{
	char b[32];

	fprintf(x->f, "<div class=\"k-%s\"><dt>%s %s</dt><dd>%s</dd></div>", x->k.style[c]->css,
		x->k.style[c]->symbol, label, render_count(b, v));
}

/* The headline of a sensor: the worst news first, in words, then the bar and the counts. */
static void sensor_say(const struct ctx *x, const struct aggregate_sensor *sen,
		       const size_t n[N_CATS])
{
	FILE *f = x->f;
	size_t fatal = 0;
	char b1[32], b2[32], b3[32];

	for (int v = 0; v < _VERDICT_MAX; v++)
		if (verdict_has(v, VERDICT_FAILURE))
			fatal += n[x->k.of[v]];
	fputs("<p class=\"say\">", f);
	if (!sen->counts.n)
		fputs("No case finished.", f);
	else if (fatal)
		fprintf(f, "%s Took the guest down in %s of %s %s (%s; %zu distinct %s).",
			palette_verdict(VERDICT_CRASH)->symbol, render_count(b1, fatal),
			render_count(b2, sen->counts.n),
			render_plural(sen->counts.n, "case", "cases"),
			render_percent(b3, fatal, sen->counts.n), sen->n_signatures,
			render_plural(sen->n_signatures, "signature", "signatures"));
	else {
		fprintf(f, "%s The guest kernel survived all %s %s",
			palette_verdict(VERDICT_REJECTED)->symbol, render_count(b1, sen->counts.n),
			render_plural(sen->counts.n, "case", "cases"));
		if (n[x->k.of[VERDICT_SENSOR_DIED]])
			fprintf(f, "; the sensor died in %s",
				render_count(b2, n[x->k.of[VERDICT_SENSOR_DIED]]));
		fputs(".", f);
	}
	fputs("</p>\n", f);
}

/* Crashes, hangs, clean rejections and silent acceptances always, under their own labels; every
 * other category when a case has it, except plain acceptances (the rest of "cases"). */
static void sensor_stats(const struct ctx *x, const struct aggregate_sensor *sen,
			 const size_t n[N_CATS])
{
	const struct cats *k = &x->k;
	const struct {
		int cat;
		const char *label;
	} always[] = {
	    {k->of[VERDICT_CRASH], "crashes"},
	    {k->of[VERDICT_HANG], "hangs"},
	    {k->of[VERDICT_REJECTED], "clean rejections"},
	    {k->silent, "silent acceptance"},
	};
	char b[32];

	fputs("<dl class=\"stats\">", x->f);
	fprintf(x->f, "<div><dt>cases</dt><dd>%s</dd></div>", render_count(b, sen->counts.n));
	for (size_t i = 0; i < ARRAY_SIZE(always); i++)
		stat(x, always[i].cat, always[i].label, n[always[i].cat]);
	for (int c = 0; c < N_CATS; c++) {
		bool shown = c == k->of[VERDICT_ACCEPTED];

		for (size_t i = 0; i < ARRAY_SIZE(always); i++)
			shown |= c == always[i].cat;
		if (!shown && n[c])
			stat(x, c, k->style[c]->many, n[c]);
	}
	fputs("</dl>\n", x->f);
}

static void sensor_card(const struct ctx *x, const struct aggregate_sensor *sen)
{
	FILE *f = x->f;
	size_t n[N_CATS];
	int worst = x->k.of[VERDICT_ACCEPTED];
	char b1[32], b2[32];

	cat_counts(&x->k, &sen->counts, n);
	for (int c = 0; c < N_CATS; c++)
		if (n[c]) {
			worst = c;
			break;
		}
	fprintf(f, "<article class=\"card w-%s\">\n<h3>", x->k.style[worst]->css);
	esc(f, sen->name);
	fputs("</h3>\n", f);
	sensor_say(x, sen, n);
	bar(x, sen->name, n, sen->counts.n);
	sensor_stats(x, sen, n);
	fputs("<p class=\"meta\">", f);
	if (sen->expect_total)
		fprintf(f, "Expectations met: %zu of %zu. ", sen->expect_met, sen->expect_total);
	fprintf(f, "Median case %s, slowest %s.", render_ms(b1, sen->time_median_ms),
		render_ms(b2, sen->time_max_ms));
	fputs("</p>\n</article>\n", f);
}

static void sensors(const struct ctx *x)
{
	FILE *f = x->f;

	fputs("<section id=\"sensors\" aria-labelledby=\"h-sensors\">\n"
	      "<h2 id=\"h-sensors\">Sensors at a glance</h2>\n<div class=\"cards\">\n",
	      f);
	for (size_t s = 0; s < x->a->n_sensors; s++)
		sensor_card(x, &x->a->sensors[s]);
	fputs("</div>\n<ul class=\"legend\" aria-label=\"Legend\">", f);
	for (int c = 0; c < N_CATS; c++) {
		const struct palette_style *st = x->k.style[c];

		if (c == x->k.of[VERDICT_OTHER] && !x->a->total.v[VERDICT_OTHER])
			continue;
		fprintf(f,
			"<li><span class=\"sw s-%s\" aria-hidden=\"true\">%s</span><strong>%s"
			"</strong>: %s</li>",
			st->css, st->symbol, st->one, st->legend);
	}
	fputs("</ul>\n</section>\n", f);
}

/* A cell of the matrix: tinted by its worst category, every category with its count. */
static void matrix_cell(const struct ctx *x, const struct aggregate_counts *cell)
{
	FILE *f = x->f;
	size_t n[N_CATS];
	int worst = -1;
	char b[32];

	cat_counts(&x->k, cell, n);
	for (int c = 0; c < N_CATS && worst < 0; c++)
		if (n[c])
			worst = c;
	if (worst < 0) {
		fputs("<td class=\"muted\">no cases</td>", f);
		return;
	}
	fprintf(f, "<td class=\"t-%s\"><ul class=\"cell\">", x->k.style[worst]->css);
	for (int c = 0; c < N_CATS; c++) {
		_cleanup_free_ char *t = NULL;

		if (!n[c])
			continue;
		t = xasprintf("%s %s", render_count(b, n[c]), cat_label(x->k.style[c], n[c]));
		fputs("<li>", f);
		badge(f, x->k.style[c], t);
		fputs("</li>", f);
	}
	fputs("</ul></td>", f);
}

static void matrix(const struct ctx *x)
{
	FILE *f = x->f;
	const struct aggregate *a = x->a;

	fputs("<section id=\"matrix\" aria-labelledby=\"h-matrix\">\n"
	      "<h2 id=\"h-matrix\">Verdicts by mutation class</h2>\n"
	      "<p>Each row is a kind of malformation (the first mutation applied; <em>seed</em> is "
	      "the unmutated content), each column a sensor. A cell is tinted by its worst "
	      "verdict and lists every verdict with its count.</p>\n"
	      "<div class=\"scroll\"><table class=\"matrix\">\n<thead><tr><th scope=\"col\">"
	      "mutation class</th>",
	      f);
	for (size_t s = 0; s < a->n_sensors; s++) {
		fputs("<th scope=\"col\">", f);
		esc(f, a->sensors[s].name);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (size_t c = 0; c < a->n_classes; c++) {
		fputs("<tr><th scope=\"row\">", f);
		esc(f, a->classes[c]);
		fputs("</th>", f);
		for (size_t s = 0; s < a->n_sensors; s++)
			matrix_cell(x, aggregate_cell(a, s, c));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div>\n</section>\n", f);
}

/* What `faultline minimize` found for a signature: the reproduction rate, the explanation in
 * the format's terms, the minimal input and the command that replays it. */
static void minimized(const struct ctx *x, const struct aggregate_signature *sig)
{
	const struct minimized *m = sig->minimized;
	const struct record *r = sig->minimized_record;
	FILE *f = x->f;
	char rate[48];

	if (!m)
		return;
	fputs("<br><strong>minimized</strong>", f);
	if (r != sig->first) {
		fputs(" (", f);
		esc(f, r->case_id);
		fputs(" on ", f);
		esc(f, r->sensor);
		fputs(")", f);
	}
	fprintf(f, ": reproduced %s on fresh guests", minimized_rate(m, rate));
	if (m->status && streq(m->status, "not-reproduced"))
		fputs(", so not shrunk", f);
	else if (m->status && !streq(m->status, "minimized"))
		fputs(", stopped early: the best input found so far", f);
	for (size_t i = 0; i < m->n_explanation; i++) {
		fputs("<br><span class=\"mono\">", f);
		esc(f, m->explanation[i]);
		fputs("</span>", f);
	}
	if (m->minimal) {
		_cleanup_free_ char *rel = xasprintf("%s/%s", m->dir, m->minimal);
		_cleanup_free_ char *steps = xasprintf("%s/steps.json", m->dir);

		fputs("<br>", f);
		file_link(x, r->run, rel, "minimal input");
		if (m->minimal_size >= 0)
			fprintf(f, " (%" PRId64 " bytes)", m->minimal_size);
		fputs(" \xc2\xb7 ", f);
		file_link(x, r->run, steps, "steps");
	}
	if (m->replay) {
		fputs("<code class=\"cmd\" title=\"replay the minimal input\">", f);
		esc(f, m->replay);
		fputs("</code>", f);
	}
}

static void signatures(const struct ctx *x)
{
	FILE *f = x->f;
	const struct aggregate *a = x->a;
	size_t shown = a->n_sigs < MAX_SIGS_SHOWN ? a->n_sigs : MAX_SIGS_SHOWN;
	char b1[32], b2[32];

	fprintf(f,
		"<section id=\"signatures\" aria-labelledby=\"h-sigs\">\n"
		"<h2 id=\"h-sigs\">Crash signatures (%zu)</h2>\n",
		a->n_sigs);
	if (!a->n_sigs) {
		fputs("<p>No crash, hang or boot loop in any case.</p>\n</section>\n", f);
		return;
	}
	fputs("<p>Failures deduplicated by their title, most frequent first. Each comes with the "
	      "first input that produced it and the command that replays it.</p>\n"
	      "<div class=\"scroll\"><table class=\"stack t-sigs\">\n<thead><tr><th "
	      "scope=\"col\">signature</th>"
	      "<th scope=\"col\">verdict</th><th scope=\"col\" class=\"n\">count</th>"
	      "<th scope=\"col\">sensors</th><th scope=\"col\" class=\"n\">time to crash</th>"
	      "<th scope=\"col\">first input</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t g = 0; g < shown; g++) {
		const struct aggregate_signature *sig = &a->sigs[g];
		const struct record *r = sig->first;
		_cleanup_free_ char *replay = render_replay_command(r);
		const struct palette_style *st = x->k.style[record_cat(&x->k, r)];

		fputs("<tr><td class=\"wrap\"><strong class=\"mono\">", f);
		esc(f, sig->title);
		fputs("</strong>", f);
		fputs("<code class=\"cmd\" title=\"replay the first occurrence\">", f);
		esc(f, replay);
		fputs("</code>", f);
		if (r->report) {
			fputs("<details><summary>console report of the first "
			      "occurrence</summary><pre>",
			      f);
			esc(f, r->report);
			fputs("</pre></details>", f);
		}
		fputs("</td><td>", f);
		badge(f, st, st->one);
		fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"wrap\">", sig->count);
		esc(f, sig->sensors);
		fprintf(f, "</td><td class=\"n\">%s", render_ms(b1, sig->ttc_min_ms));
		if (sig->ttc_max_ms > sig->ttc_min_ms)
			fprintf(f, "<br><span class=\"muted\">to %s</span>",
				render_ms(b2, sig->ttc_max_ms));
		fputs("</td><td class=\"wrap\">", f);
		esc(f, r->case_id);
		fputs(" on ", f);
		esc(f, r->sensor);
		fputs("<br>", f);
		file_link(x, r->run, r->input, "input");
		if (r->input_size >= 0)
			fprintf(f, " (%" PRId64 " bytes)", r->input_size);
		fputs(" \xc2\xb7 ", f);
		file_link(x, r->run, r->console, "console log");
		if (r->input_sha256) {
			fputs("<br><span class=\"mono muted\" title=\"SHA-256 of the input\">", f);
			esc(f, r->input_sha256);
			fputs("</span>", f);
		}
		minimized(x, sig);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
	if (shown < a->n_sigs)
		fprintf(f,
			"<p>%zu rarer signatures are not listed; <code>faultline report "
			"--format json</code> lists them all.</p>\n",
			a->n_sigs - shown);
	fputs("</section>\n", f);
}

/* Case times of one sensor as bars on the scale shared by all sensors, the median marked. */
static void histogram(FILE *f, const struct aggregate *a, const struct aggregate_sensor *sen)
{
	const double bw = 240.0 / AGGREGATE_TIME_BINS;
	int64_t span = a->time_bin_ms * AGGREGATE_TIME_BINS;
	size_t peak = 0;
	char b[3][32];

	if (!sen->n_timed || a->time_bin_ms <= 0) {
		fputs("<span class=\"muted\">no times</span>", f);
		return;
	}
	for (size_t i = 0; i < AGGREGATE_TIME_BINS; i++)
		if (sen->time_bins[i] > peak)
			peak = sen->time_bins[i];
	fputs("<svg class=\"hist\" viewBox=\"0 0 240 40\" role=\"img\" aria-label=\"", f);
	esc(f, sen->name);
	fprintf(f, ": %zu case times between 0 and %s, median %s\">", sen->n_timed,
		render_ms(b[0], span), render_ms(b[1], sen->time_median_ms));
	fputs("<line x1=\"0\" y1=\"39.5\" x2=\"240\" y2=\"39.5\" stroke=\"#d0d7de\"/>", f);
	for (size_t i = 0; i < AGGREGATE_TIME_BINS; i++) {
		double hgt = 36.0 * (double)sen->time_bins[i] / (double)peak;

		if (!sen->time_bins[i])
			continue;
		if (hgt < 1.5)
			hgt = 1.5; /* a single case stays visible */
		fprintf(f,
			"<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
			"fill=\"#57606a\"><title>%s to %s: %zu</title></rect>",
			(double)i * bw + 0.5, 39.0 - hgt, bw - 1.0, hgt,
			render_ms(b[0], (int64_t)i * a->time_bin_ms),
			render_ms(b[1], (int64_t)(i + 1) * a->time_bin_ms), sen->time_bins[i]);
	}
	if (sen->time_median_ms >= 0) {
		double mx = 240.0 * (double)sen->time_median_ms / (double)span;

		fprintf(f,
			"<line x1=\"%.2f\" y1=\"0\" x2=\"%.2f\" y2=\"40\" stroke=\"#0b57d0\" "
			"stroke-width=\"2\"><title>median %s</title></line>",
			mx, mx, render_ms(b[2], sen->time_median_ms));
	}
	fprintf(f,
		"</svg><div class=\"axis\" aria-hidden=\"true\"><span>0</span><span>%s</span>"
		"</div>",
		render_ms(b[0], span));
}

static size_t sensor_index(const struct aggregate *a, const char *name)
{
	for (size_t s = 0; s < a->n_sensors; s++)
		if (streq(a->sensors[s].name, name))
			return s;
	return 0; /* unreachable: every record's sensor is in the aggregate */
}

static void times(const struct ctx *x)
{
	FILE *f = x->f;
	const struct aggregate *a = x->a;
	char b[4][32];

	fputs("<section id=\"times\" aria-labelledby=\"h-times\">\n"
	      "<h2 id=\"h-times\">Time per case</h2>\n"
	      "<div class=\"scroll\"><table class=\"stack t-times\">\n<thead><tr><th "
	      "scope=\"col\">sensor</th>"
	      "<th scope=\"col\" class=\"n\">cases timed</th><th scope=\"col\" "
	      "class=\"n\">median</th>"
	      "<th scope=\"col\" class=\"n\">90th percentile</th><th scope=\"col\" class=\"n\">"
	      "slowest</th><th scope=\"col\" class=\"n\">median boot</th><th scope=\"col\">"
	      "distribution</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t s = 0; s < a->n_sensors; s++) {
		const struct aggregate_sensor *sen = &a->sensors[s];

		fputs("<tr><th scope=\"row\">", f);
		esc(f, sen->name);
		fprintf(f,
			"</th><td class=\"n\">%zu</td><td class=\"n\">%s</td><td class=\"n\">%s"
			"</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>",
			sen->n_timed, render_ms(b[0], sen->time_median_ms),
			render_ms(b[1], sen->time_p90_ms), render_ms(b[2], sen->time_max_ms),
			render_ms(b[3], sen->boot_median_ms));
		histogram(f, a, sen);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
	if (a->n_slowest) {
		fputs("<h3>Slowest cases</h3>\n<div class=\"scroll\"><table class=\"stack "
		      "t-slow\">\n<thead><tr>"
		      "<th scope=\"col\">case</th><th scope=\"col\">sensor</th><th scope=\"col\">"
		      "verdict</th><th scope=\"col\" class=\"n\">total</th><th scope=\"col\" "
		      "class=\"n\">boot</th><th scope=\"col\" class=\"n\">to verdict</th></tr>"
		      "</thead>\n<tbody>\n",
		      f);
		for (size_t i = 0; i < a->n_slowest; i++) {
			const struct record *r = a->slowest[i];

			fputs("<tr><td class=\"wrap\">", f);
			esc(f, r->case_id);
			if (a->sensors[sensor_index(a, r->sensor)].n_runs > 1) {
				fputs("<br><span class=\"muted\">", f);
				esc(f, r->run->run_id ? r->run->run_id : r->run->dir);
				fputs("</span>", f);
			}
			fputs("</td><td class=\"nw\">", f);
			esc(f, r->sensor);
			fputs("</td><td>", f);
			record_badge(x, r);
			fprintf(f,
				"</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
				"<td class=\"n\">%s</td></tr>\n",
				render_ms(b[0], r->total_ms), render_ms(b[1], r->boot_ms),
				render_ms(b[2], r->verdict_ms));
		}
		fputs("</tbody></table></div>\n", f);
	}
	fputs("</section>\n", f);
}

/* The console of every boot after the first crash, for a machine followed across boots. */
static void boot_links(const struct ctx *x, const struct record *r)
{
	for (size_t i = 0; i < r->reboot.n_boots; i++) {
		const struct record_boot *b = &r->reboot.boots[i];
		_cleanup_free_ char *label =
		    xasprintf("boot %zu console%s", i + 1, b->safe ? " (safe mode)" : "");

		fputs(" \xc2\xb7 ", x->f);
		file_link(x, r->run, b->console, label);
	}
}

static void case_row(const struct ctx *x, const struct record *r)
{
	FILE *f = x->f;
	enum record_outcome out = record_outcome(r);
	_cleanup_free_ char *boots = render_reboot_case(r);
	char b[32];

	fputs("<tr><td class=\"wrap\">", f);
	esc(f, r->case_id);
	if (r->case_name && !streq(r->case_name, r->case_id)) {
		fputs("<br><span class=\"muted\">", f);
		esc(f, r->case_name);
		fputs("</span>", f);
	}
	fputs("</td><td class=\"nw\">", f);
	esc(f, r->sensor);
	if (r->system) { /* which guest: the initramfs, a full system, the user's disk */
		fputs("<br><span class=\"muted\">on ", f);
		esc(f, r->system);
		fputs("</span>", f);
	}
	fputs("</td><td title=\"", f);
	esc(f, r->mutations);
	fputs("\">", f);
	esc(f, r->mutation_class);
	fputs("</td><td>", f);
	record_badge(x, r);
	if (r->title) {
		fputs("<br><span class=\"mono wrap\">", f);
		esc(f, r->title);
		fputs("</span>", f);
		if (r->phase) { /* did it fall over loading the update, or using it? */
			fputs(" <span class=\"muted\">at ", f);
			esc(f, r->phase);
			fputs("</span>", f);
		}
	} else if (r->detail && out != RECORD_PASS) {
		fputs("<br><span class=\"wrap\">", f);
		esc(f, r->detail);
		fputs("</span>", f);
	}
	if (boots) {
		fputs("<br><span class=\"wrap\">", f);
		esc(f, boots);
		fputs("</span>", f);
	}
	fputs("</td><td>", f);
	if (r->expect) {
		esc(f, r->expect);
		fputs(out == RECORD_PASS ? " \xe2\x80\x94 met"
					 : " \xe2\x80\x94 <strong>not met</strong>",
		      f);
	} else {
		fputs("<span class=\"muted\">none</span>", f);
	}
	fprintf(f, "</td><td class=\"n\">%s</td><td>", render_ms(b, r->total_ms));
	file_link(x, r->run, r->input, "input");
	fputs(" \xc2\xb7 ", f);
	file_link(x, r->run, r->console, "console");
	boot_links(x, r);
	fputs("</td></tr>\n", f);
}

static void cases(const struct ctx *x)
{
	char b1[32], b2[32];
	FILE *f = x->f;
	const struct aggregate *a = x->a;
	size_t limit =
	    x->opts && x->opts->max_case_rows ? x->opts->max_case_rows : DEFAULT_CASE_ROWS;
	bool all = a->n_records <= limit;
	size_t shown = 0;

	fputs("<section id=\"cases\" aria-labelledby=\"h-cases\">\n<h2 id=\"h-cases\">Cases</h2>\n",
	      f);
	if (all)
		fprintf(f, "<p>All %zu %s. %zu fell short of their expectation or crashed%s.</p>\n",
			a->n_records, render_plural(a->n_records, "case", "cases"), a->failures,
			a->errors ? ", and some could not run" : "");
	else
		fprintf(f,
			"<p>%s cases are too many to list: here are the %s that fell short "
			"(%zu %s, %zu infra %s)%s. Every case is in the runs' results.jsonl:",
			render_count(b1, a->n_records), render_count(b2, a->n_failing), a->failures,
			render_plural(a->failures, "failure", "failures"), a->errors,
			render_plural(a->errors, "error", "errors"),
			a->n_failing > limit ? ", the first of them" : "");
	if (!all) {
		for (size_t i = 0; i < a->n_runs; i++) {
			fputs(" ", f);
			file_link(x, a->runs[i], "results.jsonl",
				  a->runs[i]->run_id ? a->runs[i]->run_id : a->runs[i]->dir);
		}
		fputs(".</p>\n", f);
	}
	if (!all && !a->n_failing) {
		fputs("</section>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table class=\"stack t-cases\">\n<thead><tr><th "
	      "scope=\"col\">case</th>"
	      "<th scope=\"col\">sensor</th><th scope=\"col\">mutation</th><th scope=\"col\">"
	      "verdict</th><th scope=\"col\">expected</th><th scope=\"col\" class=\"n\">time</th>"
	      "<th scope=\"col\">files</th></tr></thead>\n<tbody>\n",
	      f);
	if (all) {
		for (size_t i = 0; i < a->n_runs; i++)
			for (size_t j = 0; j < a->runs[i]->n_records; j++)
				case_row(x, &a->runs[i]->records[j]);
	} else {
		for (size_t i = 0; i < a->n_failing && shown < limit; i++, shown++)
			case_row(x, a->failing[i]);
	}
	fputs("</tbody></table></div>\n</section>\n", f);
}

static void dl_item(FILE *f, const char *k, const char *v, bool mono)
{
	if (!v)
		return;
	fprintf(f, "<dt>%s</dt><dd%s>", k, mono ? " class=\"mono\"" : "");
	esc(f, v);
	fputs("</dd>", f);
}

static void runs(const struct ctx *x)
{
	FILE *f = x->f;
	const struct aggregate *a = x->a;

	fputs("<section id=\"runs\" aria-labelledby=\"h-runs\">\n<h2 id=\"h-runs\">Runs</h2>\n", f);
	for (size_t i = 0; i < a->n_runs; i++) {
		const struct rundir *r = a->runs[i];
		_cleanup_free_ char *seed = r->has_seed ? xasprintf("%" PRIu64, r->seed) : NULL;
		_cleanup_free_ char *counts = xasprintf(
		    "%zu cases recorded; %zu %s skipped; %zu earlier %s superseded by a retry",
		    r->n_records, r->n_skipped, render_plural(r->n_skipped, "line", "lines"),
		    r->n_superseded, render_plural(r->n_superseded, "attempt", "attempts"));

		fputs("<h3>", f);
		esc(f, r->run_id ? r->run_id : r->dir);
		fputs("</h3>\n<dl class=\"run\">", f);
		dl_item(f, "scenario", r->scenario, false);
		dl_item(f, "scenario file", r->scenario_path, true);
		dl_item(f, "started", r->started, false);
		if (r->interrupted)
			dl_item(f, "interrupted", r->interrupted, false);
		else
			dl_item(f, "finished", r->finished ? r->finished : "did not finish", false);
		if (r->n_sensors) {
			fputs("<dt>sensors</dt><dd>", f);
			for (size_t j = 0; j < r->n_sensors; j++) {
				fputs(j ? ", " : "", f);
				esc(f, r->sensors[j]);
			}
			fputs("</dd>", f);
		}
		dl_item(f, "guest kernel", r->kernel, false);
		dl_item(f, "faultline version", r->faultline_version, false);
		dl_item(f, "seed", seed, false);
		dl_item(f, "accelerator", r->accel, false);
		dl_item(f, "isolation", r->isolation, false);
		dl_item(f, "libvirt URI", r->uri, true);
		dl_item(f, "host", r->host, false);
		dl_item(f, "command", r->argv, true);
		dl_item(f, "directory", r->dir, true);
		dl_item(f, "records", counts, false);
		fputs("<dt>results</dt><dd>", f);
		file_link(x, r, "results.jsonl", "results.jsonl");
		fputs("</dd></dl>\n", f);
	}
	fputs("</section>\n", f);
}

/* sensor x kernel x arch, when records name their kernels (kmatrix.h) */
static void kernels(struct ctx *x)
{
	struct kmatrix *m;

	kmatrix_build(x->a->runs, x->a->n_runs, &m);
	if (m)
		kmatrix_html(x->f, m);
	kmatrix_free(m);
}

int html_write(FILE *f, const struct aggregate *a, const struct html_opts *opts)
{
	struct ctx x = {.f = f, .a = a, .opts = opts};

	cats_init(&x.k);
	x.bases = xcalloc(a->n_runs + 1, sizeof(char *));
	for (size_t i = 0; i < a->n_runs; i++) {
		x.bases[i] = relative_dir(opts ? opts->out_dir : NULL, a->runs[i]->dir);
		if (!x.bases[i]) {
			size_t n = strlen(a->runs[i]->dir);
			x.bases[i] = xasprintf("%s%s", a->runs[i]->dir,
					       n && a->runs[i]->dir[n - 1] == '/' ? "" : "/");
		}
	}

	head(&x);
	header(&x);
	notes(&x);
	sensors(&x);
	if (a->n_watched) /* a run that watched its sensors' processes or protection */
		html_designs(f, a);
	if (a->n_followed) /* a run with persistence that followed crashed machines */
		html_recovery(f, a);
	for (size_t i = 0; i < a->n_runs; i++)
		if (a->runs[i]->campaign) { /* a fuzz campaign's directory */
			html_campaign(f, a);
			break;
		}
	kernels(&x);
	matrix(&x);
	if (opts && opts->since) /* report --db */
		html_since(f, opts->since);
	signatures(&x);
	times(&x);
	if (a->n_hosts > 1) /* a fleet across hosts */
		html_hosts(f, a);
	cases(&x);
	runs(&x);
	fputs("</main>\n<footer>Generated by faultline " FAULTLINE_VERSION
	      ". This page is self-contained: no scripts, no external resources. Links to inputs "
	      "and console logs are relative to the run directories.</footer>\n</body>\n</html>\n",
	      f);

	for (size_t i = 0; i < a->n_runs; i++)
		free(x.bases[i]);
	free(x.bases);
	return ferror(f) ? -EIO : 0;
}
