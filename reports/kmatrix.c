/* kmatrix.c — the sensor × kernel × arch table of a report (see kmatrix.h). */
#include "kmatrix.h"

#include "escape.h"
#include "palette.h"
#include "record.h"
#include "util.h"

/* Index of name in *v (appended when absent). */
static size_t intern(char ***v, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (streq((*v)[i], name))
			return i;
	*v = xreallocarray(*v, *n + 1, sizeof(char *));
	(*v)[*n] = xstrdup(name);
	return (*n)++;
}

static char *sensor_of(const struct record *r)
{
	return xstrndup(r->sensor, strcspn(r->sensor, "@"));
}

static char *column_of(const struct record *r)
{
	return xasprintf("%s/%s",
			 r->kernel_name ? r->kernel_name
			 : r->kernel	? r->kernel
					: "?",
			 r->arch ? r->arch : "amd64");
}

static bool any_named(struct rundir *const *runs, size_t n_runs)
{
	for (size_t i = 0; i < n_runs; i++)
		for (size_t j = 0; j < runs[i]->n_records; j++)
			if (runs[i]->records[j].kernel_name)
				return true;
	return false;
}

/* A seed taken as it is is what a sensor should do, not a finding: it ranks below a rejection,
 * so that a cell whose malformed inputs were all refused says rejected, not accepted. A mutated
 * input taken (a silent acceptance) stays worse than a rejection (verdict.h order). */
static int rank(const struct record *r)
{
	return r->kind == VERDICT_ACCEPTED && !record_silent_accept(r) ? _VERDICT_MAX
								       : (int)r->kind;
}

static void add(struct kmatrix_cell *c, const struct record *r)
{
	const char *sig = record_signature(r);

	if (c->n++ == 0 || rank(r) < c->rank) {
		c->worst = r->kind;
		c->rank = rank(r);
	}
	if (!sig)
		return;
	for (size_t i = 0; i < c->n_titles; i++)
		if (streq(c->titles[i], sig))
			return;
	c->titles = xreallocarray(c->titles, c->n_titles + 1, sizeof(char *));
	c->titles[c->n_titles++] = sig;
}

void kmatrix_build(struct rundir *const *runs, size_t n_runs, struct kmatrix **ret)
{
	struct kmatrix *m;

	*ret = NULL;
	if (!any_named(runs, n_runs))
		return;
	m = xzalloc(sizeof(*m));
	/* the axes first, then the cells: the grid's size is known */
	for (size_t i = 0; i < n_runs; i++)
		for (size_t j = 0; j < runs[i]->n_records; j++) {
			_cleanup_free_ char *s = sensor_of(&runs[i]->records[j]);
			_cleanup_free_ char *c = column_of(&runs[i]->records[j]);

			intern(&m->sensors, &m->n_sensors, s);
			intern(&m->columns, &m->n_columns, c);
		}
	m->cells = xcalloc(m->n_sensors * m->n_columns, sizeof(*m->cells));
	for (size_t i = 0; i < n_runs; i++)
		for (size_t j = 0; j < runs[i]->n_records; j++) {
			const struct record *r = &runs[i]->records[j];
			_cleanup_free_ char *s = sensor_of(r), *c = column_of(r);
			size_t si = intern(&m->sensors, &m->n_sensors, s);
			size_t ci = intern(&m->columns, &m->n_columns, c);

			add(&m->cells[si * m->n_columns + ci], r);
		}
	*ret = m;
}

struct kmatrix *kmatrix_free(struct kmatrix *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->n_sensors * m->n_columns; i++)
		free(m->cells[i].titles);
	for (size_t i = 0; i < m->n_sensors; i++)
		free(m->sensors[i]);
	for (size_t i = 0; i < m->n_columns; i++)
		free(m->columns[i]);
	free(m->sensors);
	free(m->columns);
	free(m->cells);
	free(m);
	return NULL;
}

const struct kmatrix_cell *kmatrix_cell(const struct kmatrix *m, size_t sensor, size_t column)
{
	return &m->cells[sensor * m->n_columns + column];
}

void kmatrix_markdown(FILE *f, const struct kmatrix *m)
{
	fputs("\n## Kernels: the worst verdict per sensor, kernel and arch\n\n| sensor |", f);
	for (size_t c = 0; c < m->n_columns; c++) {
		fputc(' ', f);
		escape_markdown(f, m->columns[c]);
		fputs(" |", f);
	}
	fputs("\n|---|", f);
	for (size_t c = 0; c < m->n_columns; c++)
		fputs("---|", f);
	fputc('\n', f);
	for (size_t s = 0; s < m->n_sensors; s++) {
		fputs("| ", f);
		escape_markdown(f, m->sensors[s]);
		fputs(" |", f);
		for (size_t c = 0; c < m->n_columns; c++) {
			const struct kmatrix_cell *k = kmatrix_cell(m, s, c);

			if (!k->n) {
				fputs(" – |", f);
				continue;
			}
			fprintf(f, " **%s** (%zu)", verdict_name(k->worst), k->n);
			for (size_t t = 0; t < k->n_titles; t++) {
				fputs(t ? "; " : ": ", f);
				escape_markdown(f, k->titles[t]);
			}
			fputs(" |", f);
		}
		fputc('\n', f);
	}
}

void kmatrix_html(FILE *f, const struct kmatrix *m)
{
	fputs("<section id=\"kernels\"><h2>Kernels: the worst verdict per sensor, kernel and "
	      "arch</h2>\n<table class=\"kmatrix\"><thead><tr><th>sensor</th>",
	      f);
	for (size_t c = 0; c < m->n_columns; c++) {
		fputs("<th>", f);
		escape_html(f, m->columns[c]);
		fputs("</th>", f);
	}
	fputs("</tr></thead><tbody>\n", f);
	for (size_t s = 0; s < m->n_sensors; s++) {
		fputs("<tr><th>", f);
		escape_html(f, m->sensors[s]);
		fputs("</th>", f);
		for (size_t c = 0; c < m->n_columns; c++) {
			const struct kmatrix_cell *k = kmatrix_cell(m, s, c);
			const struct palette_style *p = palette_verdict(k->worst);

			if (!k->n) {
				fputs("<td>–</td>", f);
				continue;
			}
			fprintf(f, "<td style=\"background:%s\"><b>%s %s</b> (%zu)", p->tint,
				p->symbol, verdict_name(k->worst), k->n);
			for (size_t t = 0; t < k->n_titles; t++) {
				fputs("<br><code>", f);
				escape_html(f, k->titles[t]);
				fputs("</code>", f);
			}
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}
