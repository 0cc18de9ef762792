/* strmap.c — open addressing with linear probing; FNV-1a hashes; grows at 50% load. */
#include "strmap.h"

#include <stdint.h>
#include <string.h>

#include "util.h"

struct slot {
	char *key; /* NULL: empty */
	uint64_t hash;
	size_t value;
};

struct strmap {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct strmap *strmap_new(void)
{
	struct strmap *m = xzalloc(sizeof(*m));

	m->cap = 64;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	return m;
}

struct strmap *strmap_free(struct strmap *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
	return NULL;
}

static struct slot *find(const struct strmap *m, const char *key, uint64_t h)
{
	size_t i = h & (m->cap - 1);

	for (;;) {
		struct slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && streq(s->key, key)))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

size_t *strmap_get(const struct strmap *m, const char *key)
{
	struct slot *s = find(m, key, hash_str(key));

	return s->key ? &s->value : NULL;
}

static void grow(struct strmap *m)
{
	struct slot *old = m->slots;
	size_t old_cap = m->cap;

	m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].hash) = old[i];
	free(old);
}

size_t *strmap_put(struct strmap *m, const char *key, size_t init, bool *ret_created)
{
	uint64_t h = hash_str(key);
	struct slot *s = find(m, key, h);

	if (s->key) {
		if (ret_created)
			*ret_created = false;
		return &s->value;
	}
	if ((m->n + 1) * 2 > m->cap) {
		grow(m);
		s = find(m, key, h);
	}
	s->key = xstrdup(key);
	s->hash = h;
	s->value = init;
	m->n++;
	if (ret_created)
		*ret_created = true;
	return &s->value;
}

size_t strmap_size(const struct strmap *m)
{
	return m->n;
}
