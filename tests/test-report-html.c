/* test-report-html.c — the HTML report: hostile strings inert, self-contained, aggregated for
 * large runs, written by reports_write_defaults(); and rendered by a real browser (Debian's
 * chromium, headless), whose screenshot must be the expected size and not blank. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>

#include "palette.h"
#include "reports.h"
#include "testlib.h"
#include "util.h"

#define BASE FAULTLINE_TEST_DATA "/runs/quickstart-base"
#define NEW FAULTLINE_TEST_DATA "/runs/quickstart-new"
#define DESIGNS FAULTLINE_TEST_DATA "/runs/designs"
#define BOOTLOOP FAULTLINE_TEST_DATA "/runs/bootloop"
#define BOOTLOOP_EDGE FAULTLINE_TEST_DATA "/runs/bootloop-edge"

static struct rundir *load(const char *d)
{
	struct rundir *run = NULL;

	ck_assert_int_eq(rundir_load(d, &run), 0);
	return run;
}

static char *render_html(struct rundir **runs, size_t n, size_t max_rows)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	ck_assert_int_eq(reports_render(f, REPORTS_HTML, runs, n, testlib_tmpdir(), max_rows), 0);
	fclose(f);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Every verdict has a complete style of its own: a new verdict cannot be half added. */
START_TEST(test_palette)
{
	for (int v = 0; v < _VERDICT_MAX; v++) {
		const struct palette_style *st = palette_verdict(v);

		ck_assert_ptr_nonnull(st->css);
		ck_assert_ptr_nonnull(st->symbol);
		ck_assert_ptr_nonnull(st->one);
		ck_assert_ptr_nonnull(st->many);
		ck_assert_ptr_nonnull(st->legend);
		ck_assert_int_eq(st->colour[0], '#');
		ck_assert_int_eq(st->tint[0], '#');
		ck_assert_int_eq(st->ink[0], '#');
		ck_assert_str_ne(st->css, palette_silent.css);
		for (int w = 0; w < v; w++)
			ck_assert_str_ne(palette_verdict(w)->css, st->css);
	}
	ck_assert_ptr_eq(palette_verdict(_VERDICT_MAX), palette_verdict(VERDICT_OTHER));
}
END_TEST

START_TEST(test_inert_and_self_contained)
{
	struct rundir *runs[2] = {load(BASE), load(NEW)};
	_cleanup_free_ char *html = render_html(runs, 2, 0);

	/* Nothing from a run becomes markup: no script element, no event handler. */
	ck_assert_ptr_null(strcasestr(html, "<script"));
	ck_assert_ptr_null(strcasestr(html, "<b>"));
	ck_assert_ptr_null(strcasestr(html, " onerror="));
	ck_assert(strstr(html, "BUG: ]]&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; "
			       "&quot;quoted&quot; in ks_parse"));
	ck_assert(strstr(html, "hostile]]&gt;&amp;&lt;script&gt;"));
	ck_assert(strstr(html, "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;"));
	ck_assert(strstr(html, "ci-runner-&lt;b&gt;7&lt;/b&gt;"));
	/* Links to run files are percent-encoded paths. */
	ck_assert(strstr(html, "inputs/hostile%5D%5D%3E%26%3Cscript%3E.bin\""));

	/* Self-contained: no external resource, no script at all, and a policy forbidding both. */
	ck_assert(strstr(html, "Content-Security-Policy\" content=\"default-src 'none'; "
			       "style-src 'unsafe-inline'; img-src data:\""));
	ck_assert_ptr_null(strstr(html, "http://"));
	ck_assert_ptr_null(strstr(html, "https://"));
	ck_assert_ptr_null(strstr(html, " src="));
	ck_assert_ptr_null(strstr(html, "<link"));
	ck_assert_ptr_null(strstr(html, "@import"));
	ck_assert_ptr_null(strstr(html, "url("));

	/* What the page must say. */
	ck_assert(strstr(html, "<meta name=\"viewport\""));
	ck_assert(strstr(html, "@media print"));
	ck_assert(strstr(html, "1 line of results.jsonl in <code>" BASE "</code> was skipped "
			       "(first at line 16); the last line is truncated"));
	ck_assert(strstr(html, "<h2 id=\"h-sigs\">Crash signatures (4)</h2>"));
	ck_assert(strstr(html, "faultline replay " BASE "/field-count-mismatch --sensor "
			       "ksensor-legacy"));
	ck_assert(
	    strstr(html, "Took the guest down in 8 of 14 cases (57%; 4 distinct signatures)."));
	ck_assert(
	    strstr(html, "Took the guest down in 1 of 15 cases (6.7%; 1 distinct signature)."));
	ck_assert(strstr(html, "All 29 cases."));
	ck_assert_uint_eq(count(html, "<tr><td class=\"wrap\">"), 29 + 4 + 10);
	/* Every coloured mark carries words: the matrix says "2 crashes", not just red. */
	ck_assert(strstr(html, "<span class=\"b s-crash\">\xe2\x9c\x96 2 crashes</span>"));
	ck_assert(strstr(html, "role=\"img\" aria-label=\"ksensor-legacy: 7 crashes; 1 hang;"));
	/* Metadata of both runs. */
	ck_assert(strstr(html, "<h3>quickstart-20261125-091500</h3>"));
	ck_assert(strstr(html, "<dt>finished</dt><dd>did not finish</dd>"));
	ck_assert(strstr(html, "<dt>guest kernel</dt><dd>6.1.0-56-amd64</dd>"));
	rundir_free(runs[0]);
	rundir_free(runs[1]);
}
END_TEST

START_TEST(test_designs)
{
	struct rundir *runs[2] = {load(NEW), load(FAULTLINE_TEST_DATA "/runs/quickstart-usensor")};
	_cleanup_free_ char *html = render_html(runs, 2, 0);

	ck_assert(strstr(html, "The guest kernel survived all 7 cases; the sensor died in 2."));
	ck_assert(strstr(html, "<th scope=\"col\">usensor</th>"));
	ck_assert(strstr(html, "<span class=\"b s-died\">\xe2\x80\xa0 1 sensor died</span>"));
	/* One run per sensor: no run ids under the slowest cases. */
	ck_assert_ptr_null(strstr(html, "<br><span class=\"muted\">quickstart-20261126-091500"));
	ck_assert(strstr(html, "role=\"img\" aria-label=\"usensor: 7 case times between 0 and "
			       "8.0 s, median 3.0 s\""));
	rundir_free(runs[0]);
	rundir_free(runs[1]);
}
END_TEST

/* A run directory with n cases on 2 sensors; every 50th case crashes on one sensor. */
static char *make_big_run(size_t n)
{
	char *d = xasprintf("%s/big", testlib_tmpdir());
	_cleanup_free_ char *path = xasprintf("%s/results.jsonl", d);
	FILE *f;

	ck_assert_int_eq(mkdir_p(d), 0);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f,
			"{\"run_id\":\"big\",\"scenario\":\"big\",\"sensor\":\"s%zu\",\"case\":"
			"\"case-%05zu\",\"mutations\":[{\"op\":\"op%zu\"}],\"verdict\":\"%s\","
			"\"title\":%s,\"timings\":{\"total_ms\":%zu}}\n",
			i % 2, i, i % 7, i % 50 == 0 ? "crash" : "rejected",
			i % 50 == 0 ? "\"BUG: in f\"" : "null", 1000 + i);
	fclose(f);
	return d;
}

START_TEST(test_large_run_aggregated)
{
	_cleanup_free_ char *d = make_big_run(5000);
	struct rundir *run = load(d);
	_cleanup_free_ char *html = render_html(&run, 1, 0);

	/* 5000 cases are over the default 2000 rows: only the 100 failing cases are listed. */
	ck_assert(strstr(html, "5,000 cases are too many to list: here are the 100 that fell "
			       "short"));
	ck_assert(strstr(html, "case-00050"));
	ck_assert_ptr_null(strstr(html, "case-00051"));
	ck_assert(strstr(html, "href=\"big/results.jsonl\""));
	ck_assert_uint_lt(strlen(html), 200 * 1024);
	free(html);

	/* With a lower limit, only the first failing cases. */
	html = render_html(&run, 1, 10);
	ck_assert(strstr(html, "case-00450"));
	ck_assert_ptr_null(strstr(html, "case-00500"));
	rundir_free(run);
}
END_TEST

/* A run of watched sensors gets the design comparison: one chart row and one table row per
 * design; a run without a watch (the quickstart) does not. */
START_TEST(test_designs_section)
{
	struct rundir *run = load(DESIGNS), *base = load(BASE);
	_cleanup_free_ char *html = render_html(&run, 1, 0), *plain = render_html(&base, 1, 0);
	const char *sec = strstr(html, "<section id=\"designs\"");
	_cleanup_free_ char *section = NULL;

	ck_assert_ptr_nonnull(sec);
	section = xstrndup(sec, (size_t)(strstr(sec, "</section>") - sec));
	ck_assert(strstr(html, "<a href=\"#designs\">Designs compared</a>"));
	/* the chart: six labelled rows, every segment titled in words */
	ck_assert_uint_eq(count(section, "class=\"dl\">"), 6);
	ck_assert(strstr(section, "<title>usensor: 3 of 11: the sensor died and was not protecting "
				  "at the end</title>"));
	ck_assert(strstr(section, "<title>esensor: 2 of 11: the sensor died and was back "
				  "protecting</title>"));
	ck_assert(strstr(section, "<title>ksensor-legacy: 7 of 11: the machine went down (crash, "
				  "hang, boot loop)</title>"));
	/* the table */
	ck_assert(strstr(section, "<tr><th scope=\"row\">usensor</th><td class=\"n\">11</td>"
				  "<td class=\"n muted\">0</td><td class=\"n\">3 <span "
				  "class=\"muted\">(27%)</span><br><span class=\"muted\">2 in a "
				  "crash loop</span></td>"));
	ck_assert_uint_eq(count(section, "never back"), 3 + 3); /* chart notes and table */
	ck_assert_ptr_null(strstr(plain, "id=\"designs\""));
	ck_assert_ptr_null(strstr(plain, "#designs"));
	rundir_free(run);
	rundir_free(base);
}
END_TEST

/* The HTML parses without structural errors: xmllint's HTML parser (libxml2-utils) reports
 * unclosed or misnested elements and stray end tags; it knows only HTML 4, so the HTML 5
 * element names it does not know are the one message allowed. */
static void check_parses(const char *html)
{
	_cleanup_free_ char *path = testlib_write_text("parse.html", html);
	_cleanup_free_ char *cmd =
	    xasprintf("command -v xmllint >/dev/null || exit 2; ! xmllint --html --noout '%s' "
		      "2>&1 | grep 'HTML parser error' | grep -v 'Tag [a-z]* invalid'",
		      path);
	int status = system(cmd);

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 2,
		      "xmllint is not installed (Debian's libxml2-utils)");
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "xmllint --html found errors (above)");
}

static char *section_of(const char *html, const char *id)
{
	_cleanup_free_ char *open = xasprintf("<section id=\"%s\"", id);
	const char *sec = strstr(html, open);

	ck_assert_ptr_nonnull(sec);
	return xstrndup(sec, (size_t)(strstr(sec, "</section>") - sec));
}

/* A run with persistence: the answer per sensor, the table per sensor and mechanism, and each
 * followed case with its boots and their consoles. A run without persistence has none. */
START_TEST(test_recovery_section)
{
	struct rundir *run = load(BOOTLOOP), *base = load(BASE);
	_cleanup_free_ char *html = render_html(&run, 1, 0), *plain = render_html(&base, 1, 0);
	_cleanup_free_ char *section = section_of(html, "recovery");

	check_parses(html);
	check_parses(plain);
	ck_assert(strstr(html, "<a href=\"#recovery\">Recovery</a>"));
	ck_assert(strstr(section, "<h2 id=\"h-recovery\">Recovery: does the machine come back?"
				  "</h2>\n<p class=\"say\">\xe2\x9f\xb3 ksensor-legacy: 1 of 1 "
				  "machines stuck in a boot loop without recovery; counter, "
				  "remediation and manual brought 3 of 3 back in 1.0\xe2\x80\x93"
				  "3.0 boots.</p>"));
	/* only the sensor whose machines were followed */
	ck_assert_uint_eq(count(section, "<p class=\"say\">"), 1);
	ck_assert_uint_eq(count(section, "<tr><th scope=\"row\" class=\"nw\">ksensor-legacy</th>"),
			  4);
	ck_assert_ptr_null(strstr(section, "usensor"));
	/* colours with words, headers with scope */
	ck_assert(strstr(section,
			 "<tr><th scope=\"row\" class=\"nw\">ksensor-legacy</th><td>none</td><td "
			 "class=\"n\">1</td><td class=\"n\"><span class=\"b s-bootloop\">"
			 "\xe2\x9f\xb3 1 stuck</span></td><td class=\"n muted\">0</td>"
			 "<td class=\"n muted\">0</td><td class=\"n muted\">\xe2\x80\x93"
			 "</td><td class=\"n muted\">\xe2\x80\x93</td><td class=\"n "
			 "muted\">\xe2\x80\x93</td><td>agreed (1 of 1 loop)"
			 "</td></tr>"));
	ck_assert(strstr(section,
			 "<tr><th scope=\"row\" class=\"nw\">ksensor-legacy</th><td>manual</td><td "
			 "class=\"n\">1</td><td class=\"n muted\">0</td><td class=\"n\">"
			 "<span class=\"b s-recovered\">\xe2\x86\xba 1 recovered</span>"
			 "</td><td class=\"n muted\">0</td><td class=\"n\">3.0</td><td "
			 "class=\"n\">31.2 s</td><td class=\"n\">13.4 s</td><td "
			 "class=\"muted\">no loop</td></tr>"));
	ck_assert_uint_eq(count(section, "<th scope=\"col\""), 10);
	/* the cases: what the boots did, and every boot's console */
	ck_assert(strstr(html, "<br><span class=\"wrap\">3 boots, crashed at 2.9 s each</span>"));
	ck_assert(strstr(html, "<br><span class=\"wrap\">recovered by remediation after 1 boot "
			       "in 11.8 s</span>"));
	ck_assert(strstr(html, "no-recovery.log\">console</a> \xc2\xb7 <a href=\""));
	ck_assert(strstr(html, "/tests/data/runs/bootloop/consoles/ksensor-legacy/"
			       "no-recovery.boot1.log\">boot 1 console</a> \xc2\xb7 <a"));
	ck_assert(strstr(html, "manual.boot2.log\">boot 2 console (safe mode)</a>"));
	ck_assert_uint_eq(count(html, ".boot"), 3 + 2 + 1 + 3);
	ck_assert_ptr_null(strstr(plain, "id=\"recovery\""));
	ck_assert_ptr_null(strstr(plain, "#recovery"));
	ck_assert_ptr_null(strstr(plain, " boot 1 console"));
	rundir_free(run);
	rundir_free(base);
}
END_TEST

/* Loops whose titles differ, infra errors, a hostile sensor and mechanism: said, and inert. */
START_TEST(test_recovery_edges)
{
	struct rundir *run = load(BOOTLOOP_EDGE);
	_cleanup_free_ char *html = render_html(&run, 1, 0);
	_cleanup_free_ char *section = section_of(html, "recovery");

	check_parses(html);
	ck_assert_ptr_null(strcasestr(html, "<script"));
	ck_assert_ptr_null(strstr(html, "<b>"));
	ck_assert(strstr(section, "<p class=\"say\">\xe2\x86\xba &lt;b&gt;esensor&lt;/b&gt;: "
				  "&lt;script&gt;quick&lt;/script&gt; brought 1 of 1 back in 1.0 "
				  "boots.</p>"));
	ck_assert(strstr(section, "1 follow-up ended in an infra error.</p>"));
	ck_assert(strstr(section, "<td><strong>differed</strong> in 1 of 2 loops</td>"));
	ck_assert(strstr(section,
			 "<td class=\"n\">2.5<br><span class=\"muted\">max 3</span></td>"
			 "<td class=\"n\">20.0 s<br><span class=\"muted\">max 40.0 s</span>"
			 "</td>"));
	ck_assert(strstr(html, "then an infra error: boot 2: libvirt error: &lt;domain&gt; &amp; "
			       "could not start</span>"));
	rundir_free(run);
}
END_TEST

START_TEST(test_write_defaults)
{
	_cleanup_free_ char *d = xasprintf("%s/defaults", testlib_tmpdir());
	_cleanup_free_ char *cmd = xasprintf("cp -r '" NEW "' '%s'", d);
	_cleanup_free_ char *html = xasprintf("%s/report.html", d);
	_cleanup_free_ char *xml = xasprintf("%s/results.xml", d);
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;

	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(reports_write_defaults(d), 0);
	ck_assert_int_eq(read_file(html, 1 << 20, &data, &size), 0);
	ck_assert(startswith((char *)data, "<!DOCTYPE html>"));
	/* In the run directory itself, links are relative to it. */
	ck_assert(strstr((char *)data, "href=\"inputs/bitflip-3.bin\""));
	free(data);
	data = NULL;
	ck_assert_int_eq(read_file(xml, 1 << 20, &data, &size), 0);
	ck_assert(
	    startswith((char *)data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
	ck_assert_int_eq(reports_write_defaults(FAULTLINE_TEST_DATA "/runs/nope"), -ENOENT);
}
END_TEST

/* A minimization `faultline minimize` left in a run: beside its signature's first input, the
 * reproduction rate, the explanation (escaped), the minimal input and the replay command. A
 * run without one renders no such thing. */
START_TEST(test_minimized)
{
	_cleanup_free_ char *d = xasprintf("%s/minimized-run", testlib_tmpdir());
	_cleanup_free_ char *cmd = xasprintf("cp -r '" BASE "' '%s'", d);
	_cleanup_free_ char *dir = xasprintf("%s/minimized/ksensor-legacy/field-count-mismatch", d);
	_cleanup_free_ char *path = xasprintf("%s/minimize.json", dir);
	char *lines[] = {"instances[0]: field_count 3 -> 2 (template 1 declares <3> input fields)"};
	struct minimized m;
	struct rundir *base = load(BASE), *run;
	json_object *o;

	minimized_init(&m);
	m.sensor = "ksensor-legacy";
	m.case_id = "field-count-mismatch";
	m.verdict = "crash";
	m.title = "BUG: unable to handle page fault in ks_eval_field";
	m.tries = 3;
	m.reproduced = 2;
	m.minimal = "minimal.bin";
	m.minimal_size = 93;
	m.explanation = lines;
	m.n_explanation = 1;
	m.status = "minimized";
	m.replay = "faultline replay x/runs/02/step-4 --sensor ksensor-legacy";
	o = minimized_to_json(&m);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(mkdir_p(dir), 0);
	ck_assert_int_eq(json_object_to_file(path, o), 0);
	json_object_put(o);

	run = load(d);
	ck_assert_uint_eq(run->n_minimized, 1);
	ck_assert_str_eq(run->minimized[0].dir, "minimized/ksensor-legacy/field-count-mismatch");
	_cleanup_free_ char *html = render_html(&run, 1, 0);
	ck_assert(strstr(html, "<strong>minimized</strong>: reproduced 2/3 on fresh guests"));
	ck_assert(strstr(html, "<span class=\"mono\">instances[0]: field_count 3 -&gt; 2 "
			       "(template 1 declares &lt;3&gt; input fields)</span>"));
	ck_assert(strstr(html, "\"minimized-run/minimized/ksensor-legacy/field-count-mismatch/"
			       "minimal.bin\">minimal input</a> (93 bytes)"));
	ck_assert(
	    strstr(html, ">faultline replay x/runs/02/step-4 --sensor ksensor-legacy</code>"));
	/* once: beside the field-count signature only */
	ck_assert_uint_eq(count(html, "<strong>minimized</strong>"), 1);
	rundir_free(run);

	_cleanup_free_ char *plain = render_html(&base, 1, 0);
	ck_assert_ptr_null(strstr(plain, "minimized"));
	rundir_free(base);
}
END_TEST

/* Minimal PNG reader for the screenshot: 8-bit RGB or RGBA, not interlaced. Returns the
 * fraction of pixels that are not near-white and whether the crash red is present. */
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static void png_stats(const uint8_t *png, size_t size, uint32_t *w, uint32_t *h, double *ink,
		      bool *has_red)
{
	_cleanup_free_ uint8_t *idat = NULL, *raw = NULL;
	size_t n_idat = 0, bpp, stride, inked = 0;
	uLongf raw_size;

	ck_assert_uint_gt(size, 33);
	ck_assert(!memcmp(png, "\x89PNG\r\n\x1a\n", 8));
	ck_assert(!memcmp(png + 12, "IHDR", 4));
	*w = be32(png + 16);
	*h = be32(png + 20);
	ck_assert_uint_eq(png[24], 8);		 /* bit depth */
	ck_assert(png[25] == 2 || png[25] == 6); /* RGB or RGBA */
	ck_assert_uint_eq(png[28], 0);		 /* not interlaced */
	bpp = png[25] == 6 ? 4 : 3;
	stride = *w * bpp + 1;
	for (size_t off = 8; off + 12 <= size;) {
		uint32_t len = be32(png + off);
		ck_assert_uint_le(off + 12 + len, size);
		if (!memcmp(png + off + 4, "IDAT", 4)) {
			idat = xrealloc(idat, n_idat + len);
			memcpy(idat + n_idat, png + off + 8, len);
			n_idat += len;
		}
		off += 12 + len;
	}
	raw_size = stride * *h;
	raw = xmalloc(raw_size);
	ck_assert_int_eq(uncompress(raw, &raw_size, idat, n_idat), Z_OK);
	ck_assert_uint_eq(raw_size, stride * *h);
	*has_red = false;
	for (size_t y = 0; y < *h; y++) {
		uint8_t *row = raw + y * stride, *prev = y ? raw + (y - 1) * stride : NULL;
		uint8_t ft = row[0];
		for (size_t x = 1; x < stride; x++) {
			int a = x > bpp ? row[x - bpp] : 0, b = prev ? prev[x] : 0;
			int c = prev && x > bpp ? prev[x - bpp] : 0;
			switch (ft) {
			case 1:
				row[x] += a;
				break;
			case 2:
				row[x] += b;
				break;
			case 3:
				row[x] += (a + b) / 2;
				break;
			case 4:
				row[x] += paeth(a, b, c);
				break;
			}
		}
		for (size_t x = 0; x < *w; x++) {
			const uint8_t *p = row + 1 + x * bpp;
			if (p[0] < 235 || p[1] < 235 || p[2] < 235)
				inked++;
			/* The crash colour, #c62828. */
			if (abs(p[0] - 0xc6) < 8 && abs(p[1] - 0x28) < 8 && abs(p[2] - 0x28) < 8)
				*has_red = true;
		}
	}
	*ink = (double)inked / ((double)*w * *h);
}

static const char *chromium(void)
{
	static const char *const paths[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser"};

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

START_TEST(test_browser_render)
{
	struct rundir *runs[2] = {load(BASE), load(NEW)};
	_cleanup_free_ char *html = xasprintf("%s/render.html", testlib_tmpdir());
	_cleanup_free_ char *png = xasprintf("%s/render.png", testlib_tmpdir());
	_cleanup_free_ char *profile = xasprintf("%s/profile", testlib_tmpdir());
	_cleanup_free_ char *cmd = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	uint32_t w, h;
	double ink;
	bool red;
	size_t size;

	ck_assert_int_eq(reports_write_file(html, REPORTS_HTML, runs, 2, 0), 0);
	cmd = xasprintf("'%s' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
			"--disable-background-networking --disable-component-update --disable-sync "
			"--user-data-dir='%s' --screenshot='%s' --window-size=1200,1600 "
			"'file://%s' >/dev/null 2>&1",
			chromium(), profile, png, html);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(read_file(png, 64 << 20, &data, &size), 0);
	png_stats(data, size, &w, &h, &ink, &red);
	ck_assert_uint_eq(w, 1200);
	ck_assert_uint_eq(h, 1600);
	/* A rendered report has text, tables and coloured marks; a blank or failed page is
	 * white. Measured: about a quarter of the pixels are not near-white. */
	ck_assert_msg(ink > 0.05 && ink < 0.6, "ink %.3f", ink);
	ck_assert_msg(red, "no crash-red pixel: the CSS did not apply");
	rundir_free(runs[0]);
	rundir_free(runs[1]);
}
END_TEST

/* Run as "test-report-html" for the unit tests, "test-report-html render" for the browser test,
 * which meson reports as skipped (77) where chromium is not installed. */
int main(int argc, char **argv)
{
	bool render = argc > 1 && streq(argv[1], "render");
	Suite *s = suite_create("report-html");
	TCase *tc = tcase_create(render ? "render" : "html");

	if (render && !chromium()) {
		fprintf(stderr,
			"test-report-html: chromium is not installed (.ci/setup installs it)\n");
		return 77;
	}
	if (render) {
		tcase_add_test(tc, test_browser_render);
		tcase_set_timeout(tc, 120);
	} else {
		tcase_add_test(tc, test_palette);
		tcase_add_test(tc, test_inert_and_self_contained);
		tcase_add_test(tc, test_designs);
		tcase_add_test(tc, test_large_run_aggregated);
		tcase_add_test(tc, test_write_defaults);
		tcase_add_test(tc, test_designs_section);
		tcase_add_test(tc, test_minimized);
		tcase_add_test(tc, test_recovery_section);
		tcase_add_test(tc, test_recovery_edges);
	}
	suite_add_tcase(s, tc);
	return testlib_run(s);
}
