/* html-hosts.c — the hosts section of the HTML report, for a fleet across libvirt hosts: how
 * many cases each host ran, how many ended as infra-errors there, how many were run again after
 * a host failed them (a host lost mid-case, a guest it could not start), and the mean time per
 * case, which shows a slow host. */
#include "render.h"

#include "escape.h"
#include "util.h"

void html_hosts(FILE *f, const struct aggregate *a)
{
	char b[32];

	fputs("<section id=\"hosts\" aria-labelledby=\"h-hosts\">\n"
	      "<h2 id=\"h-hosts\">Hosts</h2>\n"
	      "<div class=\"scroll\"><table class=\"stack\">\n<thead><tr><th scope=\"col\">libvirt "
	      "host</th><th scope=\"col\" class=\"n\">cases</th><th scope=\"col\" "
	      "class=\"n\">infra-errors</th><th scope=\"col\" class=\"n\">run again after a host "
	      "fault</th><th scope=\"col\" class=\"n\">mean per case</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t i = 0; i < a->n_hosts; i++) {
		const struct aggregate_host *h = &a->hosts[i];

		fputs("<tr><th scope=\"row\" class=\"mono\">", f);
		escape_html(f, h->uri);
		fprintf(f,
			"</th><td class=\"n\">%zu</td><td class=\"n%s\">%zu</td><td "
			"class=\"n%s\">%zu</td><td class=\"n\">%s</td></tr>\n",
			h->cases, h->infra_errors ? "" : " muted", h->infra_errors,
			h->host_faults ? "" : " muted", h->host_faults,
			h->n_timed ? render_ms(b, h->time_sum_ms / (int64_t)h->n_timed)
				   : "\xe2\x80\x93");
	}
	fputs("</tbody></table></div>\n</section>\n", f);
}
