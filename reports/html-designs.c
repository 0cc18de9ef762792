/* html-designs.c — the design comparison of the HTML report: for each sensor (one design of a
 * sensor, when a run compares kernel, user-mode, eBPF and Rust builds of one interpreter), what
 * the cases did to the machine and to the protection, as one chart and one table.
 *
 * The chart is one bar per design, every case in exactly one outcome, worst on the left: the
 * machine went down; the sensor died and was not protecting at the end of the window; it died
 * and was back; it lived but went blind; then the acceptances and rejections. On the right, how
 * long protection took to come back after a death. Colours come with words (the legend, the
 * table, each segment's title) and the bars' order, so the chart reads without them too. */
#include "render.h"

#include <inttypes.h>

#include "escape.h"
#include "palette.h"
#include "util.h"

/* Chart geometry, in SVG user units (the chart scales to the page's width). */
#define LABEL_W 190
#define BAR_X 200
#define BAR_W 560
#define NOTE_X 775
#define HEAD_H 26 /* the column headings above the bars */
#define ROW_H 40
#define BAR_H 26

struct design_style {
	const char *legend;
	const char *colour, *ink;
	const char *symbol; /* a cue that is not colour, as the verdicts have */
};

static struct design_style style_of(enum aggregate_design d)
{
	const struct palette_style *v;

	switch (d) {
	case AGGREGATE_DOWN:
		v = palette_verdict(VERDICT_CRASH);
		return (struct design_style){"the machine went down (crash, hang, boot loop)",
					     v->colour, v->ink, v->symbol};
	case AGGREGATE_DIED:
		v = palette_verdict(VERDICT_SENSOR_DIED);
		return (struct design_style){"the sensor died and was not protecting at the end",
					     v->colour, v->ink, v->symbol};
	case AGGREGATE_DIED_BACK:
		return (struct design_style){"the sensor died and was back protecting", "#ce93d8",
					     "#000", "\xe2\x86\xbb"};
	case AGGREGATE_BLIND:
		v = palette_verdict(VERDICT_PROTECTION_LOST);
		return (struct design_style){"alive, but no longer detecting", v->colour, v->ink,
					     v->symbol};
	case AGGREGATE_SILENT:
		return (struct design_style){"malformed input accepted, still detecting",
					     palette_silent.colour, palette_silent.ink,
					     palette_silent.symbol};
	case AGGREGATE_REJECTED:
		v = palette_verdict(VERDICT_REJECTED);
		return (struct design_style){"clean rejection", v->colour, v->ink, v->symbol};
	case AGGREGATE_ACCEPTED:
		v = palette_verdict(VERDICT_ACCEPTED);
		return (struct design_style){"the unmutated seed accepted", v->colour, v->ink,
					     v->symbol};
	default:
		v = palette_verdict(VERDICT_INFRA_ERROR);
		return (struct design_style){"not run (infra error)", v->colour, v->ink, v->symbol};
	}
}

static void esc(FILE *f, const char *s)
{
	escape_html(f, s);
}

/* "back in 640 ms, worst 1.2 s" */
static void gap_note(FILE *f, const struct aggregate_design_row *d)
{
	char b1[32], b2[32];

	if (!d->n_gaps) {
		fputs(d->n[AGGREGATE_DIED] ? "never back" : "", f);
		return;
	}
	fprintf(f, "back in %s", render_ms(b1, d->gap_median_ms));
	if (d->n_gaps > 1)
		fprintf(f, ", worst %s", render_ms(b2, d->gap_max_ms));
}

static void chart_row(FILE *f, const struct aggregate_sensor *sen, size_t row)
{
	const struct aggregate_design_row *d = &sen->design;
	double y = HEAD_H + (double)row * ROW_H, x = BAR_X;
	char b[32];

	fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" class=\"dl\">", LABEL_W,
		y + BAR_H / 2.0 + 5);
	esc(f, sen->name);
	fputs("</text>", f);
	fprintf(f,
		"<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" "
		"stroke=\"#d0d7de\"/>",
		BAR_X, y, BAR_W, BAR_H);
	for (int c = 0; c < _AGGREGATE_DESIGN_MAX && sen->counts.n; c++) {
		struct design_style st = style_of(c);
		double w = (double)BAR_W * (double)d->n[c] / (double)sen->counts.n;

		if (!d->n[c])
			continue;
		fprintf(f,
			"<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%s\">"
			"<title>",
			x, y, w, BAR_H, st.colour);
		esc(f, sen->name);
		fprintf(f, ": %zu of %zu: %s</title></rect>", d->n[c], sen->counts.n, st.legend);
		if (w >= 24)
			fprintf(f,
				"<text x=\"%.2f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\" "
				"class=\"dn\">%s</text>",
				x + w / 2, y + BAR_H / 2.0 + 5, st.ink, render_count(b, d->n[c]));
		x += w;
	}
	fprintf(f, "<text x=\"%d\" y=\"%.1f\" class=\"dg\">", NOTE_X, y + BAR_H / 2.0 + 5);
	gap_note(f, d);
	fputs("</text>", f);
}

static void chart(FILE *f, const struct aggregate *a)
{
	int height = HEAD_H + (int)a->n_sensors * ROW_H;

	fprintf(f,
		"<svg class=\"designs\" viewBox=\"0 0 1000 %d\" role=\"img\" aria-labelledby=\""
		"h-designs\" aria-describedby=\"designs-table\">"
		"<text x=\"%d\" y=\"16\" class=\"dh\">every case: worst outcome on the left</text>"
		"<text x=\"%d\" y=\"16\" class=\"dh\">protection after a death</text>",
		height, BAR_X, NOTE_X);
	for (size_t s = 0; s < a->n_sensors; s++)
		chart_row(f, &a->sensors[s], s);
	fputs("</svg>\n<ul class=\"legend\" aria-label=\"Legend of the design chart\">", f);
	for (int c = 0; c < _AGGREGATE_DESIGN_MAX; c++) {
		struct design_style st = style_of(c);

		if (c == AGGREGATE_NOT_RUN && !a->total.v[VERDICT_INFRA_ERROR] &&
		    !a->total.v[VERDICT_OTHER])
			continue;
		fprintf(f,
			"<li><span class=\"sw\" style=\"background:%s;color:%s\" "
			"aria-hidden=\"true\">%s</span>%s</li>",
			st.colour, st.ink, st.symbol, st.legend);
	}
	fputs("</ul>\n", f);
}

/* "7 (64%)", and "5 in a crash loop" under it when loops is given. */
static void cell(FILE *f, size_t n, size_t of, const char *loops)
{
	char b1[32], b2[32];

	if (!n) {
		fputs("<td class=\"n muted\">0</td>", f);
		return;
	}
	fprintf(f, "<td class=\"n\">%s <span class=\"muted\">(%s)</span>", render_count(b1, n),
		render_percent(b2, n, of));
	if (loops)
		fprintf(f, "<br><span class=\"muted\">%s in a crash loop</span>", loops);
	fputs("</td>", f);
}

static void table(FILE *f, const struct aggregate *a)
{
	char b[3][32];

	fputs("<div class=\"scroll\"><table class=\"stack t-designs\" id=\"designs-table\">\n"
	      "<thead><tr><th scope=\"col\">design</th><th scope=\"col\" class=\"n\">cases</th>"
	      "<th scope=\"col\" class=\"n\">machine down</th><th scope=\"col\" class=\"n\">"
	      "sensor died</th><th scope=\"col\" class=\"n\">clean rejections</th>"
	      "<th scope=\"col\" class=\"n\">silent acceptances</th><th scope=\"col\" "
	      "class=\"n\">protection lost</th><th scope=\"col\" class=\"n\">protection gap"
	      "</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t s = 0; s < a->n_sensors; s++) {
		const struct aggregate_sensor *sen = &a->sensors[s];
		const struct aggregate_design_row *d = &sen->design;
		size_t n = sen->counts.n, died = d->n[AGGREGATE_DIED] + d->n[AGGREGATE_DIED_BACK];

		fputs("<tr><th scope=\"row\">", f);
		esc(f, sen->name);
		fprintf(f, "</th><td class=\"n\">%zu</td>", n);
		cell(f, d->n[AGGREGATE_DOWN], n, NULL);
		cell(f, died, n, d->crash_loops ? render_count(b[2], d->crash_loops) : NULL);
		cell(f, d->n[AGGREGATE_REJECTED], n, NULL);
		cell(f, d->n[AGGREGATE_SILENT], n, NULL);
		if (d->protection_measured)
			cell(f, d->protection_lost, n, NULL);
		else
			fputs("<td class=\"n muted\">not measured</td>", f);
		if (d->n_gaps)
			fprintf(f,
				"<td class=\"n\">%s <span class=\"muted\">(worst %s)</span></td>"
				"</tr>\n",
				render_ms(b[0], d->gap_median_ms), render_ms(b[1], d->gap_max_ms));
		else
			fprintf(f, "<td class=\"n muted\">%s</td></tr>\n",
				died > d->n[AGGREGATE_DIED_BACK] ? "never back" : "\xe2\x80\x93");
	}
	fputs("</tbody></table></div>\n", f);
}

void html_designs(FILE *f, const struct aggregate *a)
{
	fputs("<section id=\"designs\" aria-labelledby=\"h-designs\">\n"
	      "<h2 id=\"h-designs\">Designs compared: the machine and the protection</h2>\n"
	      "<p>What the same updates did to each design: did the machine go down, did the "
	      "sensor die, and was it still detecting at the end of the case? Protection is "
	      "measured in the guest after every case by the sensor's probe (the trigger's event "
	      "is still detected); after a death, the probe runs until it passes, and the time "
	      "from the death to that pass is the protection gap.</p>\n",
	      f);
	chart(f, a);
	table(f, a);
	fputs("<p class=\"meta\">Protection gap: from a death to the first probe that passed "
	      "after it, median over the cases where protection came back (the worst in "
	      "brackets). Machine down: crash, hang or boot loop; the sensor's protection "
	      "is not measured then. Protection lost: the probe failed at the end of the case "
	      "(a dead sensor that did not come back, or a live one that went blind). A crash "
	      "loop: the restarted sensor died again and again in the same case (3 deaths or "
	      "more).</p>\n</section>\n",
	      f);
}
