/* corpus.c — the campaign's kept inputs and the scheduler (see corpus.h). */
#include "corpus.h"

#include <dirent.h>
#include <json-c/json.h>

#include "jsonx.h"
#include "util.h"

uint64_t fuzz_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t fuzz_rng_below(uint64_t *state, uint64_t n)
{
	return fuzz_rng_next(state) % n;
}

static void entry_finish(struct corpus_entry *e)
{
	free(e->id);
	free(e->data);
	free(e->parent);
	free(e->mutations_json);
}

void corpus_free(struct corpus *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_finish(&c->v[i]);
	free(c->v);
	free(c->dir);
	free(c);
}

static void push(struct corpus *c, struct corpus_entry *e)
{
	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n++] = *e;
}

/* Entry `id` from the directory; 0, or -errno when it is not whole. */
static int load_entry(struct corpus *c, const char *id)
{
	_cleanup_free_ char *jp = xasprintf("%s/%s.json", c->dir, id);
	_cleanup_free_ char *bp = xasprintf("%s/%s.bin", c->dir, id);
	_cleanup_free_ uint8_t *text = NULL, *data = NULL;
	struct corpus_entry e = {0};
	json_object *o;
	size_t n, size;
	int r;

	if ((r = read_file(jp, 1u << 20, &text, &n)) < 0 ||
	    (r = read_file(bp, 64u << 20, &data, &size)) < 0)
		return r;
	if (!(o = json_tokener_parse((char *)text)))
		return -EBADMSG;
	e.id = xstrdup(id);
	e.data = TAKE_PTR(data);
	e.size = size;
	e.parent = jsonx_get_str(o, "parent");
	e.mutations_json = jsonx_get_str(o, "mutations");
	if (!e.mutations_json)
		e.mutations_json = xstrdup("[]");
	e.edges = (size_t)jsonx_get_int(o, "edges", 0);
	e.new_edges = (size_t)jsonx_get_int(o, "new_edges", 0);
	e.found_ms = (uint64_t)jsonx_get_int(o, "found_ms", 0);
	json_object_put(o);
	push(c, &e);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int corpus_open(const char *dir, struct corpus **ret)
{
	struct corpus *c;
	char **ids = NULL;
	size_t n = 0;
	DIR *d;
	int r;

	if ((r = mkdir_p(dir)) < 0)
		return r;
	if (!(d = opendir(dir)))
		return -errno;
	for (struct dirent *de; (de = readdir(d));) {
		size_t len = strlen(de->d_name);
		if (len > 5 && streq(de->d_name + len - 5, ".json")) {
			ids = xreallocarray(ids, n + 1, sizeof(*ids));
			ids[n++] = xstrndup(de->d_name, len - 5);
		}
	}
	closedir(d);
	if (n)
		qsort(ids, n, sizeof(*ids), cmp_str);
	c = xzalloc(sizeof(*c));
	c->dir = xstrdup(dir);
	for (size_t i = 0; i < n; i++) {
		load_entry(c, ids[i]); /* a cut-off entry is left out */
		free(ids[i]);
	}
	free(ids);
	*ret = c;
	return 0;
}

int corpus_add(struct corpus *c, const char *name, const struct corpus_entry *e)
{
	_cleanup_free_ char *id = xasprintf("%06zu-%s", c->n, name);
	_cleanup_free_ char *bp = xasprintf("%s/%s.bin", c->dir, id);
	_cleanup_free_ char *jp = xasprintf("%s/%s.json", c->dir, id);
	json_object *o = json_object_new_object();
	struct corpus_entry k = *e;
	int r;

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "parent", e->parent ? json_object_new_string(e->parent) : NULL);
	json_object_object_add(
	    o, "mutations", json_object_new_string(e->mutations_json ? e->mutations_json : "[]"));
	json_object_object_add(o, "edges", json_object_new_int64((int64_t)e->edges));
	json_object_object_add(o, "new_edges", json_object_new_int64((int64_t)e->new_edges));
	json_object_object_add(o, "found_ms", json_object_new_int64((int64_t)e->found_ms));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	r = write_file_atomic(bp, e->data, e->size);
	if (r == 0)
		r = write_file_atomic(jp, text, strlen(text));
	json_object_put(o);
	if (r < 0)
		return r;
	k.id = TAKE_PTR(id);
	k.data = xmemdup(e->data, e->size ? e->size : 1);
	k.parent = e->parent ? xstrdup(e->parent) : NULL;
	k.mutations_json = xstrdup(e->mutations_json ? e->mutations_json : "[]");
	k.picks = k.children = 0;
	push(c, &k);
	return (int)(c->n - 1);
}

/* Favour what found coverage and what bred kept inputs; spread the rest by picks so far. */
static uint64_t weight(const struct corpus_entry *e)
{
	return (16 + 4 * (uint64_t)e->new_edges + 32 * (uint64_t)e->children) * 16 /
	       (16 + 4 * (uint64_t)e->picks);
}

size_t corpus_pick(struct corpus *c, uint64_t *rng)
{
	uint64_t total = 0, x;
	size_t i;

	for (i = 0; i < c->n; i++)
		total += weight(&c->v[i]) + 1;
	x = fuzz_rng_below(rng, total);
	for (i = 0; i + 1 < c->n; i++) {
		uint64_t w = weight(&c->v[i]) + 1;
		if (x < w)
			break;
		x -= w;
	}
	c->v[i].picks++;
	return i;
}

void corpus_credit(struct corpus *c, size_t i)
{
	if (i < c->n)
		c->v[i].children++;
}
