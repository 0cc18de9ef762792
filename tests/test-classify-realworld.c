/* test-classify-realworld.c — the console classifier on real-world kernel consoles that the
 * project did not record: ../shared/crash-logs/syzkaller-linux/ (many kernels, configurations
 * and architectures, each file with the title a mature crash reporter gives it; see the README
 * there). Prints five figures and fails when one falls below its floor, so that a regression
 * fails the unit suite:
 *   recall    crash logs (a TITLE) classified crash or hang
 *   false+    clean logs (no TITLE) classified crash or hang
 *   category  crash logs whose verdict (crash / hang) is the expected one
 *   kind      crash logs whose title before the last " in " is that of TITLE or an ALT
 *   title     crash logs whose whole title is TITLE or an ALT
 * Logs marked SUPPRESSED (the fuzzer's own failures, not kernel bugs) count in neither set.
 * Usage: test-classify-realworld [DIR] [-v]   (-v lists every miss). Exits 77 (SKIP) only when
 * the directory is absent. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "classify.h"
#include "util.h"

/* Floors, in per mille, just under what the classifier reaches on the shared sample (before it
 * was tuned on that sample: recall 95.1%, false positives 0%, category 95.1%, kind 80.1%, title
 * 34.4%; after the rules were rewritten from the kernel's formats, tests/test-classify-formats.c:
 * kind 95.6%, title 83.9%). */
#define FLOOR_RECALL 985
#define FLOOR_FALSE_POS 10 /* a ceiling: on the 16 clean logs, any false positive fails */
#define FLOOR_CATEGORY 985
#define FLOOR_KIND 950
#define FLOOR_TITLE 835

#define MAX_ALTS 8

struct expected {
	char *title; /* NULL: a clean log */
	char *alt[MAX_ALTS];
	size_t nalt;
	bool suppressed;
	size_t body_off; /* where the console starts */
};

static void expected_finish(struct expected *e)
{
	free(e->title);
	for (size_t i = 0; i < e->nalt; i++)
		free(e->alt[i]);
}

static char *header_value(const char *line, size_t len, const char *key)
{
	size_t k = strlen(key);
	if (len < k || strncmp(line, key, k) != 0)
		return NULL;
	const char *v = line + k;
	size_t n = len - k;
	while (n > 0 && *v == ' ')
		v++, n--;
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\r'))
		n--;
	return xstrndup(v, n);
}

/* Header lines up to the first empty line. */
static void parse_header(const char *data, size_t size, struct expected *e)
{
	size_t off = 0;
	*e = (struct expected){0};
	while (off < size) {
		const char *nl = memchr(data + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (data + off)) : size - off;
		const char *line = data + off;
		off += len + (nl ? 1 : 0);
		if (len == 0)
			break;
		char *v;
		if ((v = header_value(line, len, "TITLE:"))) {
			free(e->title);
			e->title = v;
		} else if ((v = header_value(line, len, "ALT:"))) {
			if (e->nalt < MAX_ALTS)
				e->alt[e->nalt++] = v;
			else
				free(v);
		} else if ((v = header_value(line, len, "SUPPRESSED:"))) {
			e->suppressed = v[0] == 'Y' || v[0] == 'y';
			free(v);
		}
	}
	if (e->title && !e->title[0]) {
		free(e->title);
		e->title = NULL;
	}
	e->body_off = off;
}

/* The kind: the title before its last " in " (the whole title when there is none). */
static size_t kind_len(const char *title)
{
	const char *last = NULL;
	for (const char *p = strstr(title, " in "); p; p = strstr(p + 1, " in "))
		last = p;
	return last ? (size_t)(last - title) : strlen(title);
}

static bool same_kind(const char *a, const char *b)
{
	size_t n = kind_len(a);
	return n == kind_len(b) && strncmp(a, b, n) == 0;
}

/* Hangs are what the reporter files as stalls and hangs (its ALT "stall in" / "hang in"), and
 * lockups and leaked devices that it names without an ALT. */
static bool expected_hang(const struct expected *e)
{
	for (size_t i = 0; i < e->nalt; i++)
		if (startswith(e->alt[i], "stall in ") || startswith(e->alt[i], "hang in "))
			return true;
	return strstr(e->title, "lockup") || strstr(e->title, "stall") ||
	       startswith(e->title, "unregister_netdevice: waiting");
}

/* The classifier's own names (classify-patterns.h, CLASSIFY_PAT_OWN_NAME: Linux 5.0+ wording,
 * which arm64's reports get too, so that one bug has one title on every architecture) for
 * kinds the reporter names otherwise: compared under the reporter's name (caller frees). */
static char *reporter_name(const char *title)
{
	static const char *const own[][2] = {
	    {"BUG: unable to handle page fault", "BUG: unable to handle kernel paging request"},
	    {"BUG: kernel NULL pointer dereference",
	     "BUG: unable to handle kernel NULL pointer dereference"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(own); i++)
		if (startswith(title, own[i][0]))
			return xasprintf("%s%s", own[i][1], title + strlen(own[i][0]));
	return xstrdup(title);
}

/* Is the title of the expected kind, and the expected title (or one of the ALTs)? */
static void score(const char *title, const struct expected *e, bool *ret_kind, bool *ret_title)
{
	_cleanup_free_ char *got = reporter_name(title);
	bool kind_ok = same_kind(got, e->title), title_ok = streq(got, e->title);

	for (size_t i = 0; i < e->nalt; i++) {
		kind_ok = kind_ok || same_kind(got, e->alt[i]);
		title_ok = title_ok || streq(got, e->alt[i]);
	}
	*ret_kind = kind_ok;
	*ret_title = title_ok;
}

struct figures {
	unsigned crashes, clean, detected, false_pos, category, kind, title;
};

static void check_file(const char *dir, const char *name, bool verbose, struct figures *fig)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	_cleanup_free_ uint8_t *raw = NULL;
	size_t size = 0;
	if (read_file(path, 64 * 1024 * 1024, &raw, &size) < 0) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	const char *data = (const char *)raw;
	struct expected e;
	parse_header(data, size, &e);
	if (e.suppressed) {
		expected_finish(&e);
		return;
	}
	struct classify_result *r = NULL;
	if (classify_buffer(data + e.body_off, size - e.body_off, &r) < 0)
		abort();
	bool found = r->verdict != CLASSIFY_CLEAN;
	if (!e.title) {
		fig->clean++;
		fig->false_pos += found;
		if (found && verbose)
			printf("false+   %-5s got '%s'\n", name, r->title);
		goto out;
	}
	fig->crashes++;
	fig->detected += found;
	bool hang = expected_hang(&e);
	bool cat_ok = found && (r->verdict == CLASSIFY_HANG) == hang;
	fig->category += cat_ok;
	bool kind_ok = false, title_ok = false;
	if (found)
		score(r->title, &e, &kind_ok, &title_ok);
	fig->kind += kind_ok;
	fig->title += title_ok;
	if (verbose && !title_ok)
		printf("%-8s %-5s got '%s' want '%s'%s\n",
		       !found	  ? "missed"
		       : !cat_ok  ? "category"
		       : !kind_ok ? "kind"
				  : "title",
		       name, found ? r->title : "(clean)", e.title,
		       cat_ok || !found ? "" : " (category)");
out:
	classify_result_free(r);
	expected_finish(&e);
}

static const char *find_dir(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			return argv[i];
	const char *env = getenv("FAULTLINE_CRASH_LOGS");
	if (env)
		return env;
	static char buf[4096];
	const char *src = getenv("FAULTLINE_SOURCE_DIR");
	/* CI lays shared/ beside the clone; developers' worktrees find it at /work/shared */
	if (src) {
		snprintf(buf, sizeof(buf), "%s/../shared/crash-logs/syzkaller-linux", src);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return "/work/shared/crash-logs/syzkaller-linux";
}

static bool below(const char *what, unsigned n, unsigned of, unsigned floor_pm, bool ceiling)
{
	unsigned pm = of ? (unsigned)((1000ull * n) / of) : ceiling ? 0 : 1000;
	/* a ceiling rounds up, a floor down: the figure printed is the one compared */
	if (ceiling && of)
		pm = (unsigned)((1000ull * n + of - 1) / of);
	bool bad = ceiling ? pm > floor_pm : pm < floor_pm;
	printf("%-9s %4u / %-4u = %5.1f%%  (%s %.1f%%)%s\n", what, n, of, pm / 10.0,
	       ceiling ? "ceiling" : "floor", floor_pm / 10.0, bad ? "  BELOW" : "");
	return bad;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	bool verbose = false;
	for (int i = 1; i < argc; i++)
		verbose = verbose || streq(argv[i], "-v");
	const char *dir = find_dir(argc, argv);
	DIR *d = opendir(dir);
	if (!d) {
		printf("SKIP: %s: %s\n", dir, strerror(errno));
		return 77;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || streq(de->d_name, "LICENSE") || strchr(de->d_name, '.'))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);

	struct figures fig = {0};
	for (size_t i = 0; i < n; i++) {
		check_file(dir, names[i], verbose, &fig);
		free(names[i]);
	}
	free(names);

	printf("%s: %u crash logs, %u clean logs\n", dir, fig.crashes, fig.clean);
	bool bad = false;
	bad |= below("recall", fig.detected, fig.crashes, FLOOR_RECALL, false);
	bad |= below("false+", fig.false_pos, fig.clean, FLOOR_FALSE_POS, true);
	bad |= below("category", fig.category, fig.crashes, FLOOR_CATEGORY, false);
	bad |= below("kind", fig.kind, fig.crashes, FLOOR_KIND, false);
	bad |= below("title", fig.title, fig.crashes, FLOOR_TITLE, false);
	return bad ? 1 : 0;
}
