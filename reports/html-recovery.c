/* html-recovery.c — the recovery section of the HTML report, for runs with persistence: the
 * update stayed on the machine's disk and crashed it; was it booted again and again into the
 * same crash (a boot loop), or did a recovery mechanism bring it back, after how many boots and
 * how long? One line per sensor answers, then the table per sensor and mechanism.
 *
 * Rows are by the mechanism the record names, which is what brought the machine back: a machine
 * still looping, or one that came back by itself, is in the "none" row. Colours come with words
 * ("1 stuck", "3 recovered") and the verdicts' symbols. */
#include "render.h"

#include "escape.h"
#include "palette.h"
#include "util.h"

static void esc(FILE *f, const char *s)
{
	escape_html(f, s);
}

/* A count as a badge in the verdict's colour and symbol, with its word; 0 as a muted number. */
static void count_cell(FILE *f, enum verdict v, size_t n, const char *word)
{
	const struct palette_style *st = palette_verdict(v);

	if (!n) {
		fputs("<td class=\"n muted\">0</td>", f);
		return;
	}
	fprintf(f, "<td class=\"n\"><span class=\"b s-%s\">%s %zu %s</span></td>", st->css,
		st->symbol, n, word);
}

/* "21 s", "max 40 s" under it; "–" */
static void time_cell(FILE *f, int64_t median, int64_t max)
{
	char b1[32], b2[32];

	if (median < 0) {
		fputs("<td class=\"n muted\">\xe2\x80\x93</td>", f);
		return;
	}
	fprintf(f, "<td class=\"n\">%s", render_ms(b1, median));
	if (max > median)
		fprintf(f, "<br><span class=\"muted\">max %s</span>", render_ms(b2, max));
	fputs("</td>", f);
}

static void boots_cell(FILE *f, const struct aggregate_recovery *row)
{
	char b[32];

	if (row->boots_median < 0) {
		fputs("<td class=\"n muted\">\xe2\x80\x93</td>", f);
		return;
	}
	fprintf(f, "<td class=\"n\">%s", render_boots(b, row->boots_median));
	if ((double)row->boots_max > row->boots_median)
		fprintf(f, "<br><span class=\"muted\">max %zu</span>", row->boots_max);
	fputs("</td>", f);
}

static void titles_cell(FILE *f, const struct aggregate_recovery *row)
{
	if (!row->loops)
		fputs("<td class=\"muted\">no loop</td>", f);
	else if (row->loops_agreed == row->loops) /* at every boot of every loop */
		fprintf(f, "<td>agreed (%zu of %zu %s)</td>", row->loops_agreed, row->loops,
			render_plural(row->loops, "loop", "loops"));
	else
		fprintf(f, "<td><strong>differed</strong> in %zu of %zu %s</td>",
			row->loops - row->loops_agreed, row->loops,
			render_plural(row->loops, "loop", "loops"));
}

static void table(FILE *f, const struct aggregate *a)
{
	fputs("<div class=\"scroll\"><table class=\"stack t-recovery\" id=\"recovery-table\">\n"
	      "<thead><tr><th scope=\"col\">sensor</th><th scope=\"col\">mechanism</th>"
	      "<th scope=\"col\" class=\"n\">machines</th><th scope=\"col\" class=\"n\">stuck "
	      "in a loop</th><th scope=\"col\" class=\"n\">recovered</th><th scope=\"col\" "
	      "class=\"n\">infra error</th><th scope=\"col\" class=\"n\">boots to recovery</th>"
	      "<th scope=\"col\" class=\"n\">time to recovery</th><th scope=\"col\" "
	      "class=\"n\">guest time</th><th scope=\"col\">crash titles in a loop</th></tr>"
	      "</thead>\n<tbody>\n",
	      f);
	for (size_t i = 0; i < a->n_recovery; i++) {
		const struct aggregate_recovery *row = &a->recovery[i];

		fputs("<tr><th scope=\"row\" class=\"nw\">", f);
		esc(f, row->sensor);
		fputs("</th><td>", f);
		esc(f, row->mechanism);
		fprintf(f, "</td><td class=\"n\">%zu</td>", row->followed);
		count_cell(f, VERDICT_BOOT_LOOP, row->loops, "stuck");
		count_cell(f, VERDICT_RECOVERED, row->recovered, "recovered");
		if (row->infra)
			fprintf(f, "<td class=\"n\">%zu</td>", row->infra);
		else
			fputs("<td class=\"n muted\">0</td>", f);
		boots_cell(f, row);
		time_cell(f, row->wall_median_ms, row->wall_max_ms);
		time_cell(f, row->guest_median_ms, -1);
		titles_cell(f, row);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
}

void html_recovery(FILE *f, const struct aggregate *a)
{
	fputs("<section id=\"recovery\" aria-labelledby=\"h-recovery\">\n"
	      "<h2 id=\"h-recovery\">Recovery: does the machine come back?</h2>\n",
	      f);
	for (size_t s = 0; s < a->n_sensors; s++) {
		_cleanup_free_ char *say = render_recovery_answer(a, s);
		bool stuck = false;

		if (!say)
			continue;
		for (size_t i = 0; i < a->n_recovery; i++)
			stuck |= a->recovery[i].sensor_index == s && a->recovery[i].loops;
		fprintf(f, "<p class=\"say\">%s ",
			palette_verdict(stuck ? VERDICT_BOOT_LOOP : VERDICT_RECOVERED)->symbol);
		esc(f, say);
		fputs("</p>\n", f);
	}
	fputs("<p>The update was kept on the machine's disk, where the sensor loads it at every "
	      "boot. A machine it crashed was booted again and followed: stuck in a boot loop "
	      "when it crashed again at as many boots in a row as the scenario's "
	      "<code>boot_loop: reboots</code>, recovered when a later boot came up healthy. The "
	      "mechanism is what brought it back: a machine still looping, "
	      "or one that came back by itself, counts under <em>none</em>.</p>\n",
	      f);
	table(f, a);
	fputs("<p class=\"meta\">Boots to recovery: the boots after the first crash, up to and "
	      "including the healthy one (a safe-mode boot counts), median over the recovered "
	      "machines (the most under it). Time to recovery: wall time from the first crash "
	      "to the healthy boot's agent ready; guest time: the guest's uptime summed over those "
	      "boots. Crash titles agree when every boot that crashed had the first crash's "
	      "title.</p>\n</section>\n",
	      f);
}
