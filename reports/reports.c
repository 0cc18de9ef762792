/* reports.c — see reports.h. */
#include "reports.h"

#include <libgen.h>

#include "aggregate.h"
#include "render.h"
#include "util.h"

int reports_format_from_name(const char *name, enum reports_format *ret)
{
	static const struct {
		const char *name;
		enum reports_format format;
	} names[] = {
	    {"html", REPORTS_HTML},	    {"junit", REPORTS_JUNIT}, {"xml", REPORTS_JUNIT},
	    {"markdown", REPORTS_MARKDOWN}, {"md", REPORTS_MARKDOWN}, {"json", REPORTS_JSON},
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (streq(name, names[i].name)) {
			*ret = names[i].format;
			return 0;
		}
	return -EINVAL;
}

int reports_render(FILE *f, enum reports_format format, struct rundir *const *runs, size_t n_runs,
		   const char *out_dir, size_t max_case_rows)
{
	return reports_render_since(f, format, runs, n_runs, out_dir, max_case_rows, NULL);
}

int reports_render_since(FILE *f, enum reports_format format, struct rundir *const *runs,
			 size_t n_runs, const char *out_dir, size_t max_case_rows,
			 const struct history *since)
{
	struct aggregate *a;
	struct html_opts opts = {
	    .out_dir = out_dir, .max_case_rows = max_case_rows, .since = since};
	int r;

	r = aggregate_build(runs, n_runs, &a);
	if (r < 0)
		return r;
	switch (format) {
	case REPORTS_HTML:
		r = html_write(f, a, &opts);
		break;
	case REPORTS_JUNIT:
		r = junit_write(f, a);
		break;
	case REPORTS_MARKDOWN:
		r = markdown_write(f, a);
		break;
	case REPORTS_JSON:
		r = jsonsum_write(f, a);
		break;
	default:
		r = -EINVAL;
	}
	aggregate_free(a);
	if (r >= 0 && fflush(f) != 0)
		r = -errno;
	return r;
}

int reports_write_file(const char *path, enum reports_format format, struct rundir *const *runs,
		       size_t n_runs, size_t max_case_rows)
{
	return reports_write_file_since(path, format, runs, n_runs, max_case_rows, NULL);
}

int reports_write_file_since(const char *path, enum reports_format format,
			     struct rundir *const *runs, size_t n_runs, size_t max_case_rows,
			     const struct history *since)
{
	_cleanup_free_ char *dir_copy = xstrdup(path);
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *f;
	int r;

	f = open_memstream(&buf, &size);
	if (!f)
		return -errno;
	r = reports_render_since(f, format, runs, n_runs, dirname(dir_copy), max_case_rows, since);
	if (fclose(f) != 0 && r >= 0)
		r = -errno;
	if (r < 0)
		return r;
	return write_file_atomic(path, buf, size);
}

int reports_write_defaults(const char *run_dir)
{
	struct rundir *run;
	_cleanup_free_ char *html = xasprintf("%s/report.html", run_dir);
	_cleanup_free_ char *xml = xasprintf("%s/results.xml", run_dir);
	int r;

	r = rundir_load(run_dir, &run);
	if (r < 0)
		return r;
	r = reports_write_file(html, REPORTS_HTML, &run, 1, 0);
	if (r >= 0)
		r = reports_write_file(xml, REPORTS_JUNIT, &run, 1, 0);
	rundir_free(run);
	return r < 0 ? r : 0;
}
