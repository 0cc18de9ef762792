/* rollout-report.c — rollout.json as Markdown and as an HTML page with the rollout section: the
 * one-line answer, then per strategy the blast radius over time (an inline SVG: machines down
 * of the fleet, rings shaded, gates marked) and the table per ring (rollout-report.h). */
#include "rollout-report.h"

#include <inttypes.h>

#include "escape.h"
#include "render.h"
#include "util.h"

#define W 640 /* chart size in SVG units */
#define H 220
#define PAD_L 48
#define PAD_B 28
#define PAD_T 12
#define PAD_R 12

/* An array's length; 0 for anything else (a summary edited by hand, or missing a key). */
static size_t len(json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v = json_object_object_get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static uint64_t num(json_object *o, const char *key)
{
	json_object *v = json_object_object_get(o, key);

	return v ? (uint64_t)json_object_get_int64(v) : 0;
}

static const char *const tally_keys[] = {
    "updated",	 "down",	"boot_loop",   "sensor_died", "protection_lost",
    "recovered", "rolled_back", "infra_error", NULL};
static const char *const tally_heads[] = {
    "updated",	 "down",	"boot loop",   "sensor died", "protection lost",
    "recovered", "rolled back", "infra-error", NULL};

static char *gate_text(json_object *ring)
{
	json_object *g = json_object_object_get(ring, "gate");

	if (!json_object_get_boolean(json_object_object_get(ring, "reached")))
		return xstrdup("not reached");
	if (!g)
		return xstrdup("-");
	return xasprintf("%s (%" PRIu64 " down, allows %" PRIu64 ")",
			 json_object_get_boolean(json_object_object_get(g, "passed")) ? "passed"
										      : "failed",
			 num(g, "down"), num(g, "allows"));
}

/* "all-at-once", or "VARIANT/all-at-once" for a variant's (caller frees). */
static char *strategy_title(json_object *st)
{
	const char *v = str(st, "variant");

	return v ? xasprintf("%s/%s", v, str(st, "name")) : xstrdup(str(st, "name"));
}

static char *stop_text(json_object *st)
{
	const char *stop = str(st, "stopped_at");

	return stop
		   ? xasprintf("halted at %s (%.0f s in)", stop, (double)num(st, "end_ms") / 1000.0)
		   : xstrdup("went through");
}

/* How long the guests took: "52 guest runs in 136.7 s (22.8 machines/min)." */
static void figures(FILE *f, json_object *s)
{
	fprintf(f, "%" PRIu64 " guest runs in %.1f s (%.1f machines/min).", num(s, "guest_runs"),
		(double)num(s, "wall_ms") / 1000.0,
		json_object_get_double(json_object_object_get(s, "machines_per_min")));
}

/* ---- Markdown ---- */

/* ring NULL: the strategy's total. */
static void md_row(FILE *f, const char *strategy, const char *ring, uint64_t n, json_object *t,
		   const char *gate)
{
	fputs("| ", f);
	escape_markdown(f, strategy);
	fputs(" | ", f);
	if (ring)
		escape_markdown(f, ring);
	else
		fputs("**total**", f);
	fprintf(f, " | %" PRIu64, n);
	for (const char *const *k = tally_keys; *k; k++)
		fprintf(f, " | %" PRIu64, num(t, *k));
	fputs(" | ", f);
	escape_markdown(f, gate);
	fputs(" |\n", f);
}

static int markdown(FILE *f, json_object *s)
{
	json_object *strategies = json_object_object_get(s, "strategies");

	fputs("# Rollout: ", f);
	escape_markdown(f, str(s, "scenario"));
	fputs("\n\n**", f);
	escape_markdown(f, str(s, "answer"));
	fputs("**\n\nUpdate ", f);
	escape_markdown_code(f, str(s, "update"), false);
	fprintf(f,
		" to a fleet of %" PRIu64 " machines (seed %" PRIu64
		"), every machine a real guest of its profile.\n\n",
		num(s, "fleet"), num(s, "seed"));
	fputs("| strategy | ring | machines", f);
	for (const char *const *h = tally_heads; *h; h++)
		fprintf(f, " | %s", *h);
	fputs(" | gate |\n|---|---|---", f);
	for (const char *const *h = tally_heads; *h; h++)
		fputs("|---", f);
	fputs("|---|\n", f);
	for (size_t k = 0; k < len(strategies); k++) {
		json_object *st = json_object_array_get_idx(strategies, k);
		json_object *rings = json_object_object_get(st, "rings");
		_cleanup_free_ char *stop = stop_text(st), *title = strategy_title(st);

		for (size_t i = 0; i < len(rings); i++) {
			json_object *ring = json_object_array_get_idx(rings, i);
			_cleanup_free_ char *gate = gate_text(ring);
			md_row(f, title, str(ring, "name"), num(ring, "machines"),
			       json_object_object_get(ring, "tally"), gate);
		}
		md_row(f, title, NULL, num(s, "fleet"), json_object_object_get(st, "total"), stop);
	}
	fputs("\n", f);
	figures(f, s);
	fputs("\n\n_", f);
	escape_markdown(f, str(s, "note"));
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
static void svg_rings(FILE *f, json_object *rings, uint64_t end)
{
	for (size_t i = 0; i < len(rings); i++) {
		json_object *ring = json_object_array_get_idx(rings, i), *g;
		uint64_t a = num(ring, "start_ms"), b = a + num(ring, "bake_ms");

		if (!json_object_get_boolean(json_object_object_get(ring, "reached")))
			continue;
		if (i + 1 == len(rings) || b <= a)
			b = end;
		fprintf(f,
			"<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
			"<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#57606a\">",
			xpos(a, end), PAD_T, xpos(b, end) - xpos(a, end), H - PAD_B - PAD_T,
			i % 2 ? "#eef2f6" : "#f6f8fa", xpos(a, end) + 3, PAD_T + 12);
		escape_html(f, str(ring, "name"));
		fputs("</text>\n", f);
		if ((g = json_object_object_get(ring, "gate"))) {
			bool ok = json_object_get_boolean(json_object_object_get(g, "passed"));
			double x = xpos(num(g, "at_ms"), end);
			fprintf(f,
				"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
				"stroke-dasharray=\"4 3\" stroke-width=\"2\"><title>gate of ",
				x, PAD_T, x, H - PAD_B, ok ? "#1a7f37" : "#cf222e");
			escape_html(f, str(ring, "name"));
			fprintf(f, ": %s</title></line>\n", ok ? "passed" : "failed");
		}
	}
}

/* The blast radius: machines down so far, a step line over the schedule. */
static void svg_chart(FILE *f, json_object *st, uint64_t fleet, uint64_t end)
{
	json_object *tl = json_object_object_get(st, "timeline");
	size_t n = len(tl);
	uint64_t prev = 0;

	fprintf(f,
		"<svg class=\"blast\" viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
		"aria-label=\"machines down over time\" style=\"max-width:%dpx\">\n",
		W, H, W);
	svg_rings(f, json_object_object_get(st, "rings"), end);
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
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(tl, i);
		uint64_t t = (uint64_t)json_object_get_int64(json_object_array_get_idx(p, 0));
		uint64_t d = (uint64_t)json_object_get_int64(json_object_array_get_idx(p, 1));
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

static void html_table(FILE *f, json_object *st, uint64_t fleet)
{
	json_object *rings = json_object_object_get(st, "rings");
	_cleanup_free_ char *stop = stop_text(st);

	fputs("<table><thead><tr><th>ring</th><th>machines</th>", f);
	for (const char *const *h = tally_heads; *h; h++)
		fprintf(f, "<th>%s</th>", *h);
	fputs("<th>gate</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i <= len(rings); i++) {
		bool total = i == len(rings);
		json_object *ring = total ? NULL : json_object_array_get_idx(rings, i);
		json_object *t =
		    json_object_object_get(total ? st : ring, total ? "total" : "tally");
		_cleanup_free_ char *gate = total ? xstrdup(stop) : gate_text(ring);

		fprintf(f, "<tr%s><td>", total ? " style=\"font-weight:600\"" : "");
		escape_html(f, total ? "total" : str(ring, "name"));
		fprintf(f, "</td><td>%" PRIu64 "</td>", total ? fleet : num(ring, "machines"));
		for (const char *const *k = tally_keys; *k; k++)
			fprintf(f, "<td>%" PRIu64 "</td>", num(t, *k));
		fputs("<td>", f);
		escape_html(f, gate);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void html_strategy(FILE *f, json_object *st, uint64_t fleet, uint64_t end)
{
	json_object *tot = json_object_object_get(st, "total");
	json_object *byp = json_object_object_get(st, "down_by_profile");
	bool first = true;
	_cleanup_free_ char *title = strategy_title(st);

	fputs("<h3>", f);
	escape_html(f, title);
	fprintf(f, ": %" PRIu64 " of %" PRIu64 " machines down</h3>\n<p class=\"sub\">",
		num(tot, "down"), fleet);
	if (!json_object_is_type(byp, json_type_object))
		byp = json_object_new_object(); /* an empty one, freed below */
	else
		json_object_get(byp);
	json_object_object_foreach(byp, name, v)
	{
		if (!json_object_get_int64(v))
			continue;
		fprintf(f, "%s", first ? "down by profile: " : ", ");
		escape_html(f, name);
		fprintf(f, " %" PRId64, json_object_get_int64(v));
		first = false;
	}
	json_object_put(byp);
	fprintf(f, "%s (%.1f s on this host)</p>\n", first ? "no machine down" : "",
		(double)num(st, "wall_ms") / 1000.0);
	svg_chart(f, st, fleet, end);
	html_table(f, st, fleet);
}

/* The variants: the same rollout with the profiles on other sensors. */
static void html_variants(FILE *f, json_object *variants)
{
	for (size_t i = 0; i < len(variants); i++) {
		json_object *v = json_object_array_get_idx(variants, i);
		json_object *sensors = json_object_object_get(v, "sensors");
		bool first = true;

		fputs("<p class=\"sub\">variant <strong>", f);
		escape_html(f, str(v, "name"));
		fputs("</strong>:", f);
		if (json_object_is_type(sensors, json_type_object)) {
			json_object_object_foreach(sensors, profile, sensor)
			{
				fputs(first ? " " : ", ", f);
				escape_html(f, profile);
				fputs(" on ", f);
				escape_html(f, json_object_get_string(sensor));
				first = false;
			}
		}
		fputs("</p>\n", f);
	}
}

/* The rollout section alone, for a page of its own or another report. */
int rollout_report_html_section(FILE *f, json_object *s)
{
	json_object *strategies = json_object_object_get(s, "strategies");
	json_object *profiles = json_object_object_get(s, "profiles");
	uint64_t fleet = num(s, "fleet"), end = 1;

	/* one time axis for every strategy, so that the charts compare at a glance */
	for (size_t k = 0; k < len(strategies); k++) {
		uint64_t e = num(json_object_array_get_idx(strategies, k), "end_ms");
		end = e > end ? e : end;
	}
	fputs("<section id=\"rollout\">\n<h2>Rollout</h2>\n<p class=\"lead\"><strong>", f);
	escape_html(f, str(s, "answer"));
	fputs("</strong></p>\n<p class=\"sub\">update <code>", f);
	escape_html(f, str(s, "update"));
	fprintf(f, "</code>, fleet of %" PRIu64 " (seed %" PRIu64 "): ", fleet, num(s, "seed"));
	for (size_t i = 0; i < len(profiles); i++) {
		json_object *p = json_object_array_get_idx(profiles, i);
		fputs(i ? ", " : "", f);
		escape_html(f, str(p, "name"));
		fprintf(f, " %" PRIu64 " (", num(p, "machines"));
		escape_html(f, str(p, "sensor"));
		fputs(")", f);
	}
	fputs("; on gate failure: ", f);
	escape_html(f, str(s, "on_gate_failure"));
	fputs("</p>\n", f);
	html_variants(f, json_object_object_get(s, "variants"));
	for (size_t k = 0; k < len(strategies); k++)
		html_strategy(f, json_object_array_get_idx(strategies, k), fleet, end);
	fputs("<p class=\"sub\">", f);
	figures(f, s);
	fputs(" ", f);
	escape_html(f, str(s, "note"));
	fputs(".</p>\n</section>\n", f);
	return ferror(f) ? -EIO : 0;
}

static int html(FILE *f, json_object *s)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
	      "<title>faultline rollout: ",
	      f);
	escape_html(f, str(s, "scenario"));
	fputs("</title>\n<style>\n:root{", f);
	fputs(html_css_palette, f);
	fputs("}\n", f);
	fputs(html_css, f);
	fputs("table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid "
	      "var(--line);padding:3px 8px;text-align:right}td:first-child,th:first-child,"
	      "td:last-child{text-align:left}\n</style>\n</head>\n<body>\n<header><h1>faultline "
	      "rollout: ",
	      f);
	escape_html(f, str(s, "scenario"));
	fputs("</h1><p class=\"sub\">run ", f);
	escape_html(f, str(s, "run_id"));
	fputs("</p></header>\n<main>\n", f);
	rollout_report_html_section(f, s);
	fputs("</main>\n</body>\n</html>\n", f);
	return ferror(f) ? -EIO : 0;
}

int rollout_report_render(FILE *f, enum reports_format format, json_object *summary)
{
	switch (format) {
	case REPORTS_HTML:
		return html(f, summary);
	case REPORTS_MARKDOWN:
		return markdown(f, summary);
	case REPORTS_JSON:
		fprintf(f, "%s\n",
			json_object_to_json_string_ext(summary, JSON_C_TO_STRING_PRETTY));
		return ferror(f) ? -EIO : 0;
	default:
		return -EOPNOTSUPP;
	}
}

int rollout_report_write(const char *path, enum reports_format format, json_object *summary)
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
