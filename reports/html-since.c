/* html-since.c — the "since the baseline" section of the HTML report, when `faultline report`
 * is given a results database: each crash and hang signature of the history whose status in
 * the reported run against the stored baseline is new, regressed, fixed or still there, with
 * when it was first seen, in how many runs, and on which sensor versions (history.h). */
#include "render.h"

#include "escape.h"
#include "util.h"

static void cell(FILE *f, const char *s, bool mono)
{
	fputs(mono ? "<td class=\"mono wrap\">" : "<td class=\"wrap\">", f);
	escape_html(f, s && *s ? s : "\xe2\x80\x93");
	fputs("</td>", f);
}

void html_since(FILE *f, const struct history *h)
{
	static const enum history_status order[] = {HISTORY_REGRESSED, HISTORY_NEW, HISTORY_FIXED,
						    HISTORY_STILL};
	size_t n[5] = {0};

	for (size_t i = 0; i < h->n_sigs; i++)
		n[h->sigs[i].status]++;
	fputs("<section id=\"since\" aria-labelledby=\"h-since\">\n"
	      "<h2 id=\"h-since\">Since the baseline</h2>\n<p>This run (",
	      f);
	escape_html(f, h->run_id);
	fputs(") against the stored baseline (", f);
	escape_html(f, h->baseline_id ? h->baseline_id : "none");
	fprintf(f,
		"): %zu regressed, %zu new, %zu fixed, %zu still there. A signature is regressed "
		"when it is absent from the baseline but was seen before it.</p>\n",
		n[HISTORY_REGRESSED], n[HISTORY_NEW], n[HISTORY_FIXED], n[HISTORY_STILL]);
	if (!n[HISTORY_REGRESSED] && !n[HISTORY_NEW] && !n[HISTORY_FIXED] && !n[HISTORY_STILL]) {
		fputs("</section>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table class=\"stack\">\n<thead><tr><th "
	      "scope=\"col\">status</th><th scope=\"col\">sensor</th><th "
	      "scope=\"col\">signature</th><th scope=\"col\">first seen</th><th scope=\"col\" "
	      "class=\"n\">runs</th><th scope=\"col\">versions</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t k = 0; k < ARRAY_SIZE(order); k++)
		for (size_t i = 0; i < h->n_sigs; i++) {
			const struct history_sig *s = &h->sigs[i];

			if (s->status != order[k])
				continue;
			fputs("<tr>", f);
			cell(f, history_status_name(s->status), false);
			cell(f, s->sensor, false);
			cell(f, s->title, true);
			cell(f, s->first_seen, true);
			fprintf(f, "<td class=\"n\">%zu</td>", s->runs);
			cell(f, s->versions, true);
			fputs("</tr>\n", f);
		}
	fputs("</tbody></table></div>\n</section>\n", f);
}
