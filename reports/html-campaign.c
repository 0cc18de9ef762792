/* html-campaign.c — the campaign section of the HTML report, for `faultline fuzz` directories
 * (rundir's campaign): how far the campaign went, and its coverage of the sensor's code over
 * time as an inline SVG chart (no scripts). The signatures it found, each with its first input
 * and console, are in the report's signatures section like any run's. */
#include "render.h"

#include "escape.h"
#include "util.h"

#define W 640
#define H 160

static void chart(FILE *f, const struct campaign *c)
{
	uint64_t max_ms = 1, max_edges = 1;

	for (size_t i = 0; i < c->n_points; i++) {
		max_ms = c->points[i].ms > max_ms ? c->points[i].ms : max_ms;
		max_edges = c->points[i].edges > max_edges ? c->points[i].edges : max_edges;
	}
	max_ms = c->elapsed_ms > max_ms ? c->elapsed_ms : max_ms;
	fprintf(f,
		"<svg role=\"img\" aria-label=\"edges covered over time\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\"><rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
		"fill=\"none\" stroke=\"currentColor\" stroke-opacity=\"0.2\"/>"
		"<polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" points=\"",
		W, H, W, H, W, H);
	for (size_t i = 0; i < c->n_points; i++)
		fprintf(f, "%s%.1f,%.1f", i ? " " : "",
			(double)c->points[i].ms * W / (double)max_ms,
			H - (double)c->points[i].edges * (H - 10) / (double)max_edges);
	if (c->n_points) /* flat to the end of the campaign */
		fprintf(f, " %d,%.1f", W,
			H - (double)c->points[c->n_points - 1].edges * (H - 10) /
				(double)max_edges);
	fprintf(f,
		"\"/><text x=\"4\" y=\"12\" font-size=\"11\" fill=\"currentColor\">%llu edges"
		"</text></svg>\n",
		(unsigned long long)max_edges);
}

void html_campaign(FILE *f, const struct aggregate *a)
{
	char b1[32], b2[32];

	fputs("<section id=\"campaign\" aria-labelledby=\"h-campaign\">\n"
	      "<h2 id=\"h-campaign\">Campaign: coverage of the sensor over time</h2>\n",
	      f);
	for (size_t i = 0; i < a->n_runs; i++) {
		const struct campaign *c = a->runs[i]->campaign;

		if (!c)
			continue;
		fputs("<p class=\"say\">", f);
		escape_html(f, c->sensor);
		fprintf(
		    f,
		    ": %s executions in %s, %s; %llu blocks and %llu edges of its code covered, "
		    "%llu inputs kept, %zu signatures found, %zu magic values read from its "
		    "code.</p>\n",
		    render_count(b1, c->execs), render_ms(b2, (int64_t)c->elapsed_ms),
		    c->coverage ? "guided by coverage" : "blind (no coverage)",
		    (unsigned long long)c->blocks, (unsigned long long)c->edges,
		    (unsigned long long)c->corpus, c->n_signatures, c->n_magic);
		if (c->n_points)
			chart(f, c);
	}
	fputs("<p class=\"meta\">Each point is an input that reached new coverage and joined the "
	      "corpus (coverage.jsonl); the signatures below came with their first input, which "
	      "<code>faultline replay</code> runs again.</p>\n</section>\n",
	      f);
}
