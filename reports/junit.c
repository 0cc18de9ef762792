/* junit.c — JUnit XML in the shape CI systems read (Jenkins, GitLab, GitHub actions that parse
 * the "common" schema): <testsuites> with one <testsuite> per sensor and one <testcase> per case.
 * A case that falls short is a <failure> whose message is the crash title and whose body is the
 * report excerpt; an infra-error is an <error> (the case did not run; not the sensor's fault).
 * Everything from a run goes through the XML escapers; no CDATA, so "]]>" cannot end anything. */
#include "render.h"

#include <inttypes.h>

#include "escape.h"
#include "util.h"

static void seconds(FILE *f, int64_t ms)
{
	fprintf(f, "%" PRId64 ".%03" PRId64, ms > 0 ? ms / 1000 : 0, ms > 0 ? ms % 1000 : 0);
}

static void attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	escape_xml_attr(f, value);
	fputc('"', f);
}

static void text_line(FILE *f, const char *label, const char *value)
{
	if (!value)
		return;
	fprintf(f, "%s: ", label);
	escape_xml_text(f, value);
	fputc('\n', f);
}

static void testcase(FILE *f, const struct record *r, bool with_run)
{
	enum record_outcome out = record_outcome(r);
	_cleanup_free_ char *name = NULL, *classname = NULL, *replay = NULL;

	name = with_run
		   ? xasprintf("%s [%s]", r->case_id, r->run->run_id ? r->run->run_id : r->run->dir)
		   : xstrdup(r->case_id);
	classname =
	    xasprintf("%s.%s", r->run->scenario ? r->run->scenario : "faultline", r->sensor);
	fputs("    <testcase", f);
	attr(f, "name", name);
	attr(f, "classname", classname);
	fputs(" time=\"", f);
	seconds(f, r->total_ms);
	fputc('"', f);
	if (out == RECORD_PASS) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n", f);

	if (out == RECORD_ERROR) {
		_cleanup_free_ char *msg =
		    xasprintf("infra-error: %s",
			      r->detail ? r->detail : "the harness could not run the case");
		fputs("      <error", f);
		attr(f, "message", msg);
		attr(f, "type", r->verdict);
		fputs(">", f);
		escape_xml_text(f, r->detail ? r->detail : "");
		fputs("</error>\n", f);
	} else {
		_cleanup_free_ char *msg = NULL;

		if (r->title && r->title[0])
			msg = xstrdup(r->title);
		else if (r->expect)
			msg = xasprintf("verdict %s, expected %s", r->verdict, r->expect);
		else
			msg = xasprintf("verdict %s", r->verdict);
		fputs("      <failure", f);
		attr(f, "message", msg);
		attr(f, "type", r->verdict);
		fputs(">", f);
		if (r->report)
			escape_xml_text(f, r->report);
		else if (r->detail)
			escape_xml_text(f, r->detail);
		else
			escape_xml_text(f, msg);
		fputs("</failure>\n", f);
	}

	replay = render_replay_command(r);
	fputs("      <system-out>", f);
	text_line(f, "verdict", r->verdict);
	text_line(f, "expected", r->expect);
	text_line(f, "title", r->title);
	text_line(f, "phase", r->phase);
	text_line(f, "detail", r->detail);
	text_line(f, "mutations", r->mutations);
	text_line(f, "input", r->input);
	text_line(f, "input_sha256", r->input_sha256);
	text_line(f, "console", r->console);
	text_line(f, "replay", replay);
	fputs("</system-out>\n", f);
	fputs("    </testcase>\n", f);
}

int junit_write(FILE *f, const struct aggregate *a)
{
	int64_t total_ms = 0;

	for (size_t s = 0; s < a->n_sensors; s++)
		total_ms += a->sensors[s].time_sum_ms;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(
	    f,
	    "<testsuites name=\"faultline\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"",
	    a->n_records, a->failures, a->errors);
	seconds(f, total_ms);
	fputs("\">\n", f);

	for (size_t s = 0; s < a->n_sensors; s++) {
		const struct aggregate_sensor *sen = &a->sensors[s];
		const struct rundir *first = sen->first_run;
		size_t n_runs = sen->n_runs;

		if (sen->counts.n == 0)
			continue; /* named in run.json, but no case finished */
		fputs("  <testsuite", f);
		attr(f, "name", sen->name);
		/* id and package: the Ant schema wants them in <testsuites>. */
		fprintf(f, " id=\"%zu\"", s);
		if (first && first->scenario)
			attr(f, "package", first->scenario);
		fprintf(f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"0\" time=\"",
			sen->counts.n, sen->failures, sen->errors);
		seconds(f, sen->time_sum_ms);
		fputc('"', f);
		if (first && first->started) {
			/* The schema's timestamp has no zone designator; the time is UTC. */
			_cleanup_free_ char *ts = xstrdup(first->started);
			size_t n = strlen(ts);

			if (n && ts[n - 1] == 'Z')
				ts[n - 1] = 0;
			attr(f, "timestamp", ts);
		}
		if (first && first->host)
			attr(f, "hostname", first->host);
		fputs(">\n", f);

		if (first) {
			fputs("    <properties>\n", f);
#define PROP(k, v)                                                                                 \
	do {                                                                                       \
		if (v) {                                                                           \
			fputs("      <property", f);                                               \
			attr(f, "name", k);                                                        \
			attr(f, "value", v);                                                       \
			fputs("/>\n", f);                                                          \
		}                                                                                  \
	} while (0)
			PROP("run_id", first->run_id);
			PROP("scenario", first->scenario);
			PROP("kernel", first->kernel);
			PROP("faultline_version", first->faultline_version);
			PROP("accel", first->accel);
			PROP("isolation", first->isolation);
#undef PROP
			fputs("    </properties>\n", f);
		}
		for (size_t i = 0; i < a->n_runs; i++)
			for (size_t j = 0; j < a->runs[i]->n_records; j++) {
				const struct record *r = &a->runs[i]->records[j];
				if (streq(r->sensor, sen->name))
					testcase(f, r, n_runs > 1);
			}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	return ferror(f) ? -EIO : 0;
}
