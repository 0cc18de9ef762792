/* rollout-report.c — rollout.json as Markdown and as an HTML page with the rollout section: the
 * one-line answer, then per strategy the blast radius over time (an inline SVG: machines down
 * of the fleet, rings shaded, gates marked) and the table per ring (rollout-report.h). */
#include "rollout-report.h"

#include <inttypes.h>
#include <stddef.h>

#include "escape.h"
#include "render.h"
#include "util.h"

#define W 640 /* chart size in SVG units */
#define H 220
#define PAD_L 48
#define PAD_B 28
#define PAD_T 12
#define PAD_R 12

/* The tally's columns, in the order of tally_heads. */
static const size_t tally_offsets[] = {
    offsetof(struct rollout_summary_tally, updated),
    offsetof(struct rollout_summary_tally, down),
    offsetof(struct rollout_summary_tally, boot_loop),
    offsetof(struct rollout_summary_tally, sensor_died),
    offsetof(struct rollout_summary_tally, protection_lost),
    offsetof(struct rollout_summary_tally, recovered),
    offsetof(struct rollout_summary_tally, rolled_back),
    offsetof(struct rollout_summary_tally, infra_error),
};
static const char *const tally_heads[] = {
    "updated",	 "down",	"boot loop",   "sensor died", "protection lost",
    "recovered", "rolled back", "infra-error", NULL};

static uint64_t tally_column(const struct rollout_summary_tally *t, size_t i)
{
	return *(const uint64_t *)((const char *)t + tally_offsets[i]);
}

static char *gate_text(const struct rollout_summary_ring *ring)
{
	if (!ring->reached)
		return xstrdup("not reached");
	if (!ring->has_gate)
		return xstrdup("-");
	return xasprintf("%s (%" PRIu64 " down, allows %" PRIu64 ")",
			 ring->gate.passed ? "passed" : "failed", ring->gate.down,
			 ring->gate.allows);
}

/* "all-at-once", or "VARIANT/all-at-once" for a variant's (caller frees). */
static char *strategy_title(const struct rollout_summary_strategy *st)
{
	return st->variant ? xasprintf("%s/%s", st->variant, st->name) : xasprintf("%s", st->name);
}

static char *stop_text(const struct rollout_summary_strategy *st)
{
	return st->stopped_at ? xasprintf("halted at %s (%.0f s in)", st->stopped_at,
					  (double)st->end_ms / 1000.0)
			      : xstrdup("went through");
}

/* How long the guests took: "52 guest runs in 136.7 s (22.8 machines/min)." */
static void figures(FILE *f, const struct rollout_summary *s)
{
	fprintf(f, "%" PRIu64 " guest runs in %.1f s (%.1f machines/min).", s->guest_runs,
		(double)s->wall_ms / 1000.0, s->machines_per_min);
}

/* ---- Markdown ---- */

/* ring NULL: the strategy's total. */
static void md_row(FILE *f, const char *strategy, const char *ring, uint64_t n,
		   const struct rollout_summary_tally *t, const char *gate)
{
	fputs("| ", f);
	escape_markdown(f, strategy);
	fputs(" | ", f);
	if (ring)
		escape_markdown(f, ring);
	else
		fputs("**total**", f);
	fprintf(f, " | %" PRIu64, n);
	for (size_t k = 0; k < ARRAY_SIZE(tally_offsets); k++)
		fprintf(f, " | %" PRIu64, tally_column(t, k));
	fputs(" | ", f);
	escape_markdown(f, gate);
	fputs(" |\n", f);
}

static int markdown(FILE *f, const struct rollout_summary *s)
{
	fputs("# Rollout: ", f);
	escape_markdown(f, s->scenario);
	fputs("\n\n**", f);
	escape_markdown(f, s->answer);
	fputs("**\n\nUpdate ", f);
	escape_markdown_code(f, s->update, false);
	fprintf(f,
		" to a fleet of %" PRIu64 " machines (seed %" PRIu64
		"), every machine a real guest of its profile.\n\n",
		s->fleet, s->seed);
	fputs("| strategy | ring | machines", f);
	for (const char *const *h = tally_heads; *h; h++)
		fprintf(f, " | %s", *h);
	fputs(" | gate |\n|---|---|---", f);
	for (const char *const *h = tally_heads; *h; h++)
		fputs("|---", f);
	fputs("|---|\n", f);
	for (size_t k = 0; k < s->n_strategies; k++) {
		const struct rollout_summary_strategy *st = &s->strategies[k];
		_cleanup_free_ char *stop = stop_text(st), *title = strategy_title(st);

		for (size_t i = 0; i < st->n_rings; i++) {
			_cleanup_free_ char *gate = gate_text(&st->rings[i]);
			md_row(f, title, st->rings[i].name, st->rings[i].machines,
			       &st->rings[i].tally, gate);
		}
		md_row(f, title, NULL, s->fleet, &st->total, stop);
	}
	fputs("\n", f);
	figures(f, s);
	fputs("\n\n_", f);
	escape_markdown(f, s->note);
	fputs("._\n", f);
	return ferror(f) ? -EIO : 0;
}

/* ---- HTML ---- */

static double xpos(uint64_t t, uint64_t end)
{
	return PAD_L + (double)(W - PAD_L - PAD_R) * (double)t / (double)(end ? end : 1);
}

static double ypos(uint64_t n, uint64_t fleet)
{
	return (double)(H - PAD_B) - (double)(H - PAD_B - PAD_T) * (double)n / (double)fleet;
}

/* Rings as shaded bands with their names, gates as dashed lines (red when they failed). */
static void svg_rings(FILE *f, const struct rollout_summary_strategy *st, uint64_t end)
{
	for (size_t i = 0; i < st->n_rings; i++) {
		const struct rollout_summary_ring *ring = &st->rings[i];
		uint64_t a = ring->start_ms, b = a + ring->bake_ms;

		if (!ring->reached)
			continue;
		if (i + 1 == st->n_rings || b <= a)
			b = end;
		fprintf(f,
			"<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
			"<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#57606a\">",
			xpos(a, end), PAD_T, xpos(b, end) - xpos(a, end), H - PAD_B - PAD_T,
			i % 2 ? "#eef2f6" : "#f6f8fa", xpos(a, end) + 3, PAD_T + 12);
		escape_html(f, ring->name);
		fputs("</text>\n", f);
		if (ring->has_gate) {
			bool ok = ring->gate.passed;
			double x = xpos(ring->gate.at_ms, end);
			fprintf(f,
				"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
				"stroke-dasharray=\"4 3\" stroke-width=\"2\"><title>gate of ",
				x, PAD_T, x, H - PAD_B, ok ? "#1a7f37" : "#cf222e");
			escape_html(f, ring->name);
			fprintf(f, ": %s</title></line>\n", ok ? "passed" : "failed");
		}
	}
}

/* The blast radius: machines down so far, a step line over the schedule. */
static void svg_chart(FILE *f, const struct rollout_summary_strategy *st, uint64_t fleet,
		      uint64_t end)
{
	uint64_t prev = 0;

	fprintf(f,
		"<svg class=\"blast\" viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
		"aria-label=\"machines down over time\" style=\"max-width:%dpx\">\n",
		W, H, W);
	svg_rings(f, st, end);
	fprintf(f,
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d0d7de\"/>"
		"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d0d7de\"/>\n",
		PAD_L, H - PAD_B, W - PAD_R, H - PAD_B, PAD_L, PAD_T, PAD_L, H - PAD_B);
	fprintf(f,
		"<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%" PRIu64 "</text>"
		"<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">0</text>"
		"<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.1f s</text>\n",
		PAD_L - 4, PAD_T + 10, fleet, PAD_L - 4, H - PAD_B, W - PAD_R, H - 8,
		(double)end / 1000.0);
	fprintf(
	    f, "<polyline fill=\"none\" stroke=\"#cf222e\" stroke-width=\"2.5\" points=\"%.1f,%.1f",
	    xpos(0, end), ypos(0, fleet));
	for (size_t i = 0; i < st->n_timeline; i++) {
		uint64_t t = st->timeline[i].t_ms, d = st->timeline[i].down;
		fprintf(f, " %.1f,%.1f %.1f,%.1f", xpos(t, end), ypos(prev, fleet), xpos(t, end),
			ypos(d, fleet));
		prev = d;
	}
	fprintf(f, " %.1f,%.1f\"/>\n", xpos(end, end), ypos(prev, fleet));
	/* the count it ends at, beside the line's end */
	fprintf(f,
		"<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" font-weight=\"600\" "
		"fill=\"#cf222e\" text-anchor=\"end\">%" PRIu64 " down</text>\n</svg>\n",
		xpos(end, end) - 4, ypos(prev, fleet) - 5, prev);
}

static void html_table(FILE *f, const struct rollout_summary_strategy *st, uint64_t fleet)
{
	_cleanup_free_ char *stop = stop_text(st);

	fputs("<table><thead><tr><th>ring</th><th>machines</th>", f);
	for (const char *const *h = tally_heads; *h; h++)
		fprintf(f, "<th>%s</th>", *h);
	fputs("<th>gate</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i <= st->n_rings; i++) {
		bool total = i == st->n_rings;
		const struct rollout_summary_ring *ring = total ? NULL : &st->rings[i];
		const struct rollout_summary_tally *t = total ? &st->total : &ring->tally;
		_cleanup_free_ char *gate = total ? xstrdup(stop) : gate_text(ring);

		fprintf(f, "<tr%s><td>", total ? " style=\"font-weight:600\"" : "");
		escape_html(f, total ? "total" : ring->name);
		fprintf(f, "</td><td>%" PRIu64 "</td>", total ? fleet : ring->machines);
		for (size_t k = 0; k < ARRAY_SIZE(tally_offsets); k++)
			fprintf(f, "<td>%" PRIu64 "</td>", tally_column(t, k));
		fputs("<td>", f);
		escape_html(f, gate);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void html_strategy(FILE *f, const struct rollout_summary_strategy *st, uint64_t fleet,
			  uint64_t end)
{
	bool first = true;
	_cleanup_free_ char *title = strategy_title(st);

	fputs("<h3>", f);
	escape_html(f, title);
	fprintf(f, ": %" PRIu64 " of %" PRIu64 " machines down</h3>\n<p class=\"sub\">",
		st->total.down, fleet);
	for (size_t i = 0; i < st->n_down_by_profile; i++) {
		const struct rollout_summary_count *c = &st->down_by_profile[i];
		if (!c->n)
			continue;
		fprintf(f, "%s", first ? "down by profile: " : ", ");
		escape_html(f, c->name);
		fprintf(f, " %" PRIu64, c->n);
		first = false;
	}
	fprintf(f, "%s (%.1f s on this host)</p>\n", first ? "no machine down" : "",
		(double)st->wall_ms / 1000.0);
	svg_chart(f, st, fleet, end);
	html_table(f, st, fleet);
}

/* The variants: the same rollout with the profiles on other sensors. */
static void html_variants(FILE *f, const struct rollout_summary *s)
{
	for (size_t i = 0; i < s->n_variants; i++) {
		const struct rollout_summary_variant *v = &s->variants[i];

		fputs("<p class=\"sub\">variant <strong>", f);
		escape_html(f, v->name);
		fputs("</strong>:", f);
		for (size_t k = 0; k < v->n_sensors; k++) {
			fputs(k ? ", " : " ", f);
			escape_html(f, v->sensors[k].key);
			fputs(" on ", f);
			escape_html(f, v->sensors[k].value);
		}
		fputs("</p>\n", f);
	}
}

/* The rollout section alone, for a page of its own or another report. */
int rollout_report_html_section(FILE *f, const struct rollout_summary *s)
{
	uint64_t fleet = s->fleet, end = 1;

	/* one time axis for every strategy, so that the charts compare at a glance */
	for (size_t k = 0; k < s->n_strategies; k++)
		end = s->strategies[k].end_ms > end ? s->strategies[k].end_ms : end;
	fputs("<section id=\"rollout\">\n<h2>Rollout</h2>\n<p class=\"lead\"><strong>", f);
	escape_html(f, s->answer);
	fputs("</strong></p>\n<p class=\"sub\">update <code>", f);
	escape_html(f, s->update);
	fprintf(f, "</code>, fleet of %" PRIu64 " (seed %" PRIu64 "): ", fleet, s->seed);
	for (size_t i = 0; i < s->n_profiles; i++) {
		fputs(i ? ", " : "", f);
		escape_html(f, s->profiles[i].name);
		fprintf(f, " %" PRIu64 " (", s->profiles[i].machines);
		escape_html(f, s->profiles[i].sensor);
		fputs(")", f);
	}
	fputs("; on gate failure: ", f);
	escape_html(f, s->on_gate_failure);
	fputs("</p>\n", f);
	html_variants(f, s);
	for (size_t k = 0; k < s->n_strategies; k++)
		html_strategy(f, &s->strategies[k], fleet, end);
	fputs("<p class=\"sub\">", f);
	figures(f, s);
	fputs(" ", f);
	escape_html(f, s->note);
	fputs(".</p>\n</section>\n", f);
	return ferror(f) ? -EIO : 0;
}

static int html(FILE *f, const struct rollout_summary *s)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
	      "<title>faultline rollout: ",
	      f);
	escape_html(f, s->scenario);
	fputs("</title>\n<style>\n:root{", f);
	fputs(html_css_palette, f);
	fputs("}\n", f);
	fputs(html_css, f);
	fputs("table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid "
	      "var(--line);padding:3px 8px;text-align:right}td:first-child,th:first-child,"
	      "td:last-child{text-align:left}\n</style>\n</head>\n<body>\n<header><h1>faultline "
	      "rollout: ",
	      f);
	escape_html(f, s->scenario);
	fputs("</h1><p class=\"sub\">run ", f);
	escape_html(f, s->run_id);
	fputs("</p></header>\n<main>\n", f);
	rollout_report_html_section(f, s);
	fputs("</main>\n</body>\n</html>\n", f);
	return ferror(f) ? -EIO : 0;
}

static int json(FILE *f, const struct rollout_summary *s)
{
	json_object *o = rollout_summary_to_json(s);

	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	return ferror(f) ? -EIO : 0;
}

int rollout_report_render(FILE *f, enum reports_format format,
			  const struct rollout_summary *summary)
{
	switch (format) {
	case REPORTS_HTML:
		return html(f, summary);
	case REPORTS_MARKDOWN:
		return markdown(f, summary);
	case REPORTS_JSON:
		return json(f, summary);
	default:
		return -EOPNOTSUPP;
	}
}

int rollout_report_write(const char *path, enum reports_format format,
			 const struct rollout_summary *summary)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	int r;

	if (!f)
		return -errno;
	r = rollout_report_render(f, format, summary);
	if (fclose(f) != 0 && r >= 0)
		r = -errno;
	if (r < 0)
		return r;
	return write_file_atomic(path, buf, size);
}
