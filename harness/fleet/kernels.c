/* kernels.c — guest kernels by name, fetched from the host's Debian archive (see kernels.h). */
#include "kernels.h"

#include <ctype.h>
#include <dirent.h>
#include <libgen.h>
#include <sys/stat.h>

#include "datadir.h"
#include "image.h"
#include "util.h"

static const struct {
	const char *name, *suite, *series; /* series: the major.minor of its kernels */
} releases[] = {
    {"debian-11", "bullseye", "5.10"},
    {"debian-12", "bookworm", "6.1"},
    {"debian-13", "trixie", "6.12"},
};

void kernels_ref_finish(struct kernels_ref *r)
{
	free(r->kver);
	free(r->root);
	*r = (struct kernels_ref){0};
}

/* "5.10" of "5.10.0-32-amd64": digits, a dot, digits */
static char *series_of(const char *v)
{
	size_t n = strspn(v, "0123456789");

	if (n == 0 || v[n] != '.' || !isdigit((unsigned char)v[n + 1]))
		return NULL;
	n += 1 + strspn(v + n + 1, "0123456789");
	return xstrndup(v, n);
}

int kernels_ref_parse(const char *name, struct kernels_ref *ret, char **ret_error)
{
	_cleanup_free_ char *series = NULL;

	if (strchr(name, '/')) {
		*ret = (struct kernels_ref){.root = xstrdup(name)};
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(releases); i++)
		if (streq(name, releases[i].name)) {
			*ret = (struct kernels_ref){.suite = releases[i].suite};
			return 0;
		}
	series = series_of(name);
	for (size_t i = 0; series && i < ARRAY_SIZE(releases); i++)
		/* a whole version (5.10.0-32-amd64): the series alone names no package */
		if (streq(series, releases[i].series) && strchr(".-", name[strlen(series)]) &&
		    name[strlen(series)] && !strpbrk(name, " \t\n'\"\\")) {
			*ret =
			    (struct kernels_ref){.suite = releases[i].suite, .kver = xstrdup(name)};
			return 0;
		}
	*ret_error = xasprintf("unknown kernel '%s'; expected debian-11, debian-12, debian-13, a "
			       "Debian kernel version of theirs (5.10.*, 6.1.*, 6.12.*, e.g. "
			       "5.10.0-32-amd64) or a path to an unpacked kernel root",
			       name);
	return -EINVAL;
}

/* Debian's suites (the security archive is another base URI, and holds no base kernels);
 * security: only their -security suites, the security archive's */
static bool debian_suite(const char *s, size_t n, bool security)
{
	static const char *const names[] = {"bullseye", "bookworm", "trixie",	 "sid",
					    "unstable", "stable",   "oldstable", "testing"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		size_t k = strlen(names[i]);

		bool sec;

		if (n < k || strncmp(s, names[i], k) != 0 || (n > k && s[k] != '-'))
			continue;
		sec = n == k + 9 && strncmp(s + k, "-security", 9) == 0;
		if (sec == security)
			return true;
	}
	return false;
}

/* Does the blank-separated list of words have a Debian suite? */
static bool any_debian_suite(const char *w, bool security)
{
	while (*w) {
		size_t n;

		w += strspn(w, " \t");
		n = strcspn(w, " \t");
		if (n && debian_suite(w, n, security))
			return true;
		w += n;
	}
	return false;
}

static char *first_word(const char *w)
{
	w += strspn(w, " \t");
	return xstrndup(w, strcspn(w, " \t"));
}

/* one-line: deb [options] URI SUITE COMPONENT... */
static int parse_list_line(const char *line, bool security, char **ret_uri)
{
	const char *p = line + strspn(line, " \t");
	_cleanup_free_ char *uri = NULL;

	if (!startswith(p, "deb ") && !startswith(p, "deb\t"))
		return -ENOENT;
	p += 4;
	p += strspn(p, " \t");
	if (*p == '[') {
		const char *end = strchr(p, ']');
		if (!end)
			return -ENOENT;
		p = end + 1;
	}
	uri = first_word(p);
	p += strspn(p, " \t") + strlen(uri);
	_cleanup_free_ char *suite = first_word(p);
	if (!*uri || !*suite || !debian_suite(suite, strlen(suite), security))
		return -ENOENT;
	*ret_uri = TAKE_PTR(uri);
	return 0;
}

/* deb822: paragraphs of "Key: value", blank-line separated */
struct para {
	char *types, *uris, *suites;
	bool enabled;
};

static void para_reset(struct para *p)
{
	free(p->types);
	free(p->uris);
	free(p->suites);
	*p = (struct para){.enabled = true};
}

static int para_take(struct para *p, bool security, char **ret_uri)
{
	int r = -ENOENT;

	if (p->enabled && p->types && p->uris && p->suites && strstr(p->types, "deb") &&
	    any_debian_suite(p->suites, security)) {
		/* "deb-src" alone is no binary archive */
		_cleanup_free_ char *t = xasprintf(" %s ", p->types);
		if (strstr(t, " deb ") || strstr(t, "\tdeb ") || strstr(t, " deb\t")) {
			*ret_uri = first_word(p->uris);
			r = 0;
		}
	}
	para_reset(p);
	return r;
}

static void para_field(struct para *p, const char *line)
{
	const char *colon = strchr(line, ':');
	char **slot = NULL;
	size_t k;

	if (!colon)
		return;
	k = (size_t)(colon - line);
	if (k == 5 && strncasecmp(line, "Types", 5) == 0)
		slot = &p->types;
	else if (k == 4 && strncasecmp(line, "URIs", 4) == 0)
		slot = &p->uris;
	else if (k == 6 && strncasecmp(line, "Suites", 6) == 0)
		slot = &p->suites;
	else if (k == 7 && strncasecmp(line, "Enabled", 7) == 0) {
		const char *v = colon + 1 + strspn(colon + 1, " \t");
		p->enabled = !startswith(v, "no");
	}
	if (slot) {
		free(*slot);
		*slot = xstrdup(colon + 1);
	}
}

static int archive_parse(const char *text, bool deb822, bool security, char **ret_uri)
{
	_cleanup_free_ char *copy = xstrdup(text);
	struct para p = {.enabled = true};
	char *save = NULL;
	int r = -ENOENT;

	/* strtok_r would merge blank lines, which end deb822 paragraphs */
	for (char *line = copy; line && r < 0; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		if (!deb822) {
			r = parse_list_line(line, security, ret_uri);
			continue;
		}
		if (line[0] == '#')
			continue;
		if (line[strspn(line, " \t\r")] == '\0')
			r = para_take(&p, security, ret_uri);
		else if (line[0] != ' ' && line[0] != '\t')
			para_field(&p, line);
	}
	if (r < 0 && deb822)
		r = para_take(&p, security, ret_uri);
	para_reset(&p);
	return r;
}

int kernels_archive_parse(const char *text, bool deb822, char **ret_uri)
{
	return archive_parse(text, deb822, false, ret_uri);
}

int kernels_security_parse(const char *text, bool deb822, char **ret_uri)
{
	return archive_parse(text, deb822, true, ret_uri);
}

static int archive_in_file(const char *path, bool deb822, bool security, char **ret_uri)
{
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_free_ char *text = NULL;
	size_t size;
	int r;

	if ((r = read_file(path, 1 << 20, &data, &size)) < 0)
		return r;
	text = xstrndup((const char *)data, size);
	return archive_parse(text, deb822, security, ret_uri);
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The first archive of the kind in the host's apt configuration (kernels_archive()) */
static int archive_in_dir(const char *dir, bool security, char **ret_uri)
{
	_cleanup_free_ char *parts = xasprintf("%s/sources.list.d", dir ? dir : "/etc/apt");
	_cleanup_free_ char *list = xasprintf("%s/sources.list", dir ? dir : "/etc/apt");
	struct dirent **ents = NULL;
	int n = scandir(parts, &ents, NULL, cmp_names), r = -ENOENT;

	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		_cleanup_free_ char *path = xasprintf("%s/%s", parts, name);
		size_t len = strlen(name);

		if (r < 0 && len > 8 && streq(name + len - 8, ".sources"))
			r = archive_in_file(path, true, security, ret_uri);
		else if (r < 0 && len > 5 && streq(name + len - 5, ".list"))
			r = archive_in_file(path, false, security, ret_uri);
		free(ents[i]);
	}
	free(ents);
	if (r < 0)
		r = archive_in_file(list, false, security, ret_uri);
	return r;
}

int kernels_security(const char *dir, char **ret_uri)
{
	return archive_in_dir(dir, true, ret_uri);
}

int kernels_archive(const char *dir, char **ret_uri, char **ret_error)
{
	_cleanup_free_ char *parts = xasprintf("%s/sources.list.d", dir ? dir : "/etc/apt");
	_cleanup_free_ char *list = xasprintf("%s/sources.list", dir ? dir : "/etc/apt");
	int r = archive_in_dir(dir, false, ret_uri);

	if (r < 0) {
		*ret_error =
		    xasprintf("no Debian archive in %s or %s (a deb entry for bullseye, "
			      "bookworm or trixie): guest kernels by name are fetched from "
			      "the archive the host's apt uses",
			      parts, list);
		return -ENOENT;
	}
	return 0;
}

static bool usable(const char *root, const char *kver)
{
	_cleanup_free_ char *a = xasprintf("%s/boot/vmlinuz-%s", root, kver);
	_cleanup_free_ char *b = xasprintf("%s/lib/modules/%s/modules.dep", root, kver);
	_cleanup_free_ char *c = xasprintf("%s/lib/modules/%s/build/Makefile", root, kver);

	return access(a, R_OK) == 0 && access(b, R_OK) == 0 && access(c, R_OK) == 0;
}

int kernels_newest_in(const char *root, char **ret_kver)
{
	_cleanup_free_ char *dir = xasprintf("%s/lib/modules", root);
	_cleanup_free_ char *best = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return -ENOENT;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && usable(root, de->d_name) &&
		    (!best || strverscmp(de->d_name, best) > 0)) {
			free(best);
			best = xstrdup(de->d_name);
		}
	closedir(d);
	if (!best)
		return -ENOENT;
	*ret_kver = TAKE_PTR(best);
	return 0;
}

/* fetch-kernel.sh sits beside the image builder, in the tree and installed */
static char *fetcher_path(void)
{
	_cleanup_free_ char *b = xstrdup(datadir_image_builder());

	return xasprintf("%s/fetch-kernel.sh", dirname(b));
}

/* The last line of the fetcher's log: "KVER ROOT" on success, its error otherwise. */
static char *last_line(const char *log)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;
	char *end, *start;

	if (read_file(log, 1 << 24, &data, &size) < 0 || size == 0)
		return xstrdup("");
	end = (char *)data + size;
	while (end > (char *)data && end[-1] == '\n')
		end--;
	start = end;
	while (start > (char *)data && start[-1] != '\n')
		start--;
	return xstrndup(start, (size_t)(end - start));
}

char *kernels_note(const char *log)
{
	static const char *const marks[] = {
	    "fetch-kernel.sh: offline: ", "fetch-kernel.sh: ", "fetch-kernel.sh: unavailable: "};
	char *found = NULL;

	for (const char *line = log; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);

		/* "offline: ...", "unavailable: ..." or "SUITE (ARCH) now means ..." */
		if (startswith(line, marks[0]) || startswith(line, marks[2]) ||
		    (startswith(line, marks[1]) && memmem(line, n, ") now means ", 12))) {
			free(found);
			found = xstrndup(line + strlen(marks[1]), n - strlen(marks[1]));
		}
		line = end ? end + 1 : NULL;
	}
	return found;
}

static char *log_note(const char *log)
{
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_free_ char *text = NULL;
	size_t size;

	if (read_file(log, 1 << 24, &data, &size) < 0)
		return NULL;
	text = xstrndup((const char *)data, size);
	return kernels_note(text);
}

static int fetch(const struct kernels_ref *ref, const char *name, const char *arch,
		 const char *state_dir, char **ret_kver, char **ret_root, char **ret_note,
		 char **ret_error)
{
	const char *env = getenv("FAULTLINE_KERNELS_DIR");
	_cleanup_free_ char *archive = NULL, *security = NULL,
			    *dir = env && *env ? xstrdup(env) : xasprintf("%s/kernels", state_dir);
	_cleanup_free_ char *log = NULL, *fetcher = fetcher_path(), *line = NULL;
	char *argv[16], *sp;
	size_t n = 0;
	int r;

	if ((r = kernels_archive(NULL, &archive, ret_error)) < 0)
		return r;
	kernels_security(NULL, &security); /* none: the suite and its -updates alone */
	if ((r = mkdir_p(dir)) < 0) {
		*ret_error = xasprintf("cannot create %s: %s", dir, strerror(-r));
		return r;
	}
	/* one log per fetch: runs at once share the folder */
	log = streq(arch, "amd64")
		  ? xasprintf("%s/fetch-%s.%d.log", dir, ref->suite, (int)getpid())
		  : xasprintf("%s/fetch-%s-%s.%d.log", dir, ref->suite, arch, (int)getpid());
	unlink(log);
	argv[n++] = fetcher;
	argv[n++] = "--archive";
	argv[n++] = archive;
	if (security) {
		argv[n++] = "--security";
		argv[n++] = security;
	}
	argv[n++] = "--suite";
	argv[n++] = (char *)ref->suite;
	argv[n++] = "--arch";
	argv[n++] = (char *)arch;
	if (ref->kver) {
		argv[n++] = "--kver";
		argv[n++] = ref->kver;
	}
	argv[n++] = "--dir";
	argv[n++] = dir;
	argv[n] = NULL;
	r = image_spawn(argv, NULL, NULL, log);
	line = last_line(log);
	if (r != 0 || !(sp = strchr(line, ' '))) {
		*ret_error = xasprintf("cannot fetch kernel %s (%s %s from %s): %s (see %s)", name,
				       ref->suite, arch, archive, *line ? line : "no output", log);
		return -EIO;
	}
	*ret_kver = xstrndup(line, (size_t)(sp - line));
	*ret_root = xstrdup(sp + 1);
	if (ret_note)
		*ret_note = log_note(log);
	unlink(log); /* kept only when the fetch failed, for the error's "see" */
	return 0;
}

int kernels_get(const char *name, const char *arch, const char *state_dir, char **ret_kver,
		char **ret_root, char **ret_note, char **ret_error)
{
	struct kernels_ref ref;
	int r;

	if ((r = kernels_ref_parse(name, &ref, ret_error)) < 0)
		return r;
	if (ref.root) {
		r = kernels_newest_in(ref.root, ret_kver);
		if (r < 0)
			*ret_error =
			    xasprintf("kernel %s: no boot/vmlinuz-V with lib/modules/V and "
				      "its build headers there",
				      name);
		else
			*ret_root = xstrdup(ref.root);
	} else
		r = fetch(&ref, name, arch, state_dir, ret_kver, ret_root, ret_note, ret_error);
	kernels_ref_finish(&ref);
	return r;
}
