/* format-resolve.c — see format.h. This file: after a description is parsed (format.c), the
 * names it uses are resolved (roles, union tags, offset bases, relation terms) and its layout is
 * checked: names unique in scope, counts and lengths before what they measure, declared offsets
 * that match the layout. */
#include <inttypes.h>

#include "format-internal.h"

/* Items reachable by name from record r: its kids, and the kids of its non-repeated record kids
 * (transparent groups), recursively. */
static struct format_item *scope_find(struct format_item *r, const char *name)
{
	for (size_t i = 0; i < r->n_kids; i++) {
		struct format_item *k = r->kids[i];

		if (streq(k->name, name))
			return k;
		if ((k->type == FORMAT_RECORD || k->type == FORMAT_UNION) && !k->repeated) {
			struct format_item *f = scope_find(k, name);
			if (f)
				return f;
		}
	}
	return NULL;
}

/* Is a before b in document order, both reachable from r? */
static int doc_index(const struct format_item *r, const struct format_item *x, int *counter)
{
	if (r == x)
		return *counter;
	(*counter)++;
	for (size_t i = 0; i < r->n_kids; i++) {
		int k = doc_index(r->kids[i], x, counter);
		if (k >= 0)
			return k;
	}
	return -1;
}

size_t format_item_min_size(const struct format_item *it)
{
	size_t s = 0;

	if (it->recurse) /* its repeated self inside counts as empty: this ends */
		it = it->recurse;
	switch (it->type) {
	case FORMAT_UINT:
		return it->width;
	case FORMAT_BYTES:
		return it->cstring ? 1 : it->has_size ? it->size : 0;
	case FORMAT_RECORD:
		if (it->has_size)
			return it->size;
		for (size_t i = 0; i < it->n_kids; i++)
			if (!it->kids[i]->repeated)
				s += format_item_min_size(it->kids[i]);
			else if (it->kids[i]->has_count)
				s += it->kids[i]->count * format_item_min_size(it->kids[i]);
		return s;
	case FORMAT_UNION:
		if (it->has_size)
			return it->size;
		s = SIZE_MAX;
		for (size_t i = 0; i < it->n_kids; i++) {
			size_t k = format_item_min_size(it->kids[i]);
			s = k < s ? k : s;
		}
		return s == SIZE_MAX ? 0 : s;
	}
	return 0;
}

/* Fixed size, or SIZE_MAX when it depends on the data. */
size_t format_item_fixed_size(const struct format_item *it)
{
	size_t s = 0;

	if (it->repeated)
		return SIZE_MAX;
	switch (it->type) {
	case FORMAT_UINT:
		return it->width;
	case FORMAT_BYTES:
		return it->has_size && !it->cstring ? it->size : SIZE_MAX;
	case FORMAT_RECORD:
		if (it->has_size)
			return it->size;
		for (size_t i = 0; i < it->n_kids; i++) {
			size_t k = format_item_fixed_size(it->kids[i]);
			if (k == SIZE_MAX)
				return SIZE_MAX;
			s += k;
		}
		return s;
	case FORMAT_UNION: /* fixed when every case has the same fixed size */
		if (it->has_size)
			return it->size;
		for (size_t i = 0; i < it->n_kids; i++) {
			size_t k = format_item_fixed_size(it->kids[i]);
			if (k == SIZE_MAX || (i > 0 && k != s))
				return SIZE_MAX;
			s = k;
		}
		return it->n_kids ? s : SIZE_MAX;
	}
	return SIZE_MAX;
}

/* The names a path sees from a record: its kids, through non-repeated records; a union's cases
 * are checked each on its own against what is around the union. */
struct names {
	struct format_item **v;
	size_t n;
};

static void check_name(struct fparse *p, struct format_item *k, struct names *seen)
{
	for (size_t j = 0; j < seen->n; j++) {
		struct ynode kat = {.line = k->line, .column = k->column};

		if (!streq(seen->v[j]->name, k->name))
			continue;
		if (seen->v[j] == k->parent)
			format_ferr(p, &kat,
				    "field '%s' is named like the record or case it is in (a path "
				    "would reach only that); rename one",
				    k->name);
		else if (k->parent && k->parent->parent &&
			 k->parent->parent->type == FORMAT_UNION && seen->v[j]->parent != k->parent)
			format_ferr(p, &kat,
				    "field '%s' of case '%s' shadows the field '%s' at line %u "
				    "around the union (paths would reach only that one); rename it",
				    k->name, k->parent->name, k->name, seen->v[j]->line);
		else
			format_ferr(p, &kat,
				    "duplicate field name '%s' (also at line %u); names "
				    "must be unique within a record",
				    k->name, seen->v[j]->line);
		return;
	}
	seen->v = xreallocarray(seen->v, seen->n + 1, sizeof(*seen->v));
	seen->v[seen->n++] = k;
}

/* Collect the names of r's scope into seen, and the unions in it into unions. */
static void collect_names(struct fparse *p, struct format_item *r, struct names *seen,
			  struct names *unions, unsigned depth)
{
	for (size_t i = 0; i < r->n_kids && depth < 64; i++) {
		struct format_item *k = r->kids[i];

		check_name(p, k, seen);
		if (k->repeated)
			continue;
		if (k->type == FORMAT_RECORD)
			collect_names(p, k, seen, unions, depth + 1);
		if (k->type == FORMAT_UNION) {
			unions->v = xreallocarray(unions->v, unions->n + 1, sizeof(*unions->v));
			unions->v[unions->n++] = k;
		}
	}
}

static void scope_names(struct fparse *p, struct format_item *r, struct names *seen, unsigned depth)
{
	struct names unions = {0};

	collect_names(p, r, seen, &unions, depth);
	for (size_t i = 0; i < unions.n && depth < 64; i++) {
		struct format_item *u = unions.v[i];

		for (size_t c = 0; c < u->n_kids; c++) {
			struct names mine = {.n = seen->n};

			/* a case sees the names around the union, and its own */
			mine.v = xcalloc(seen->n + 1, sizeof(*mine.v));
			memcpy(mine.v, seen->v, seen->n * sizeof(*mine.v));
			check_name(p, u->kids[c], &mine);
			scope_names(p, u->kids[c], &mine, depth + 1);
			free(mine.v);
		}
	}
	free(unions.v);
}

/* Names must be unique in the scope a path sees, or paths would be ambiguous. */
static void check_unique_names(struct fparse *p, struct format_item *it)
{
	struct names seen = {0};

	scope_names(p, it, &seen, 0);
	free(seen.v);
}

/* it counts or measures t: t must be something it can count or measure, after it. */
static void link_target(struct fparse *p, struct format_item *it, struct format_item *t,
			const struct ynode *at)
{
	int c1 = 0, c2 = 0;
	int a = doc_index(p->f->root, it, &c1), b = doc_index(p->f->root, t, &c2);

	switch (it->role) {
	case FORMAT_ROLE_COUNT:
		if (!t->repeated)
			format_ferr(
			    p, at,
			    "count_of '%s': that field is not repeated; add repeated: true to it",
			    t->name);
		else if (t->count_by)
			format_ferr(p, at, "'%s' is already counted by '%s'", t->name,
				    t->count_by->name);
		else if (b < a)
			format_ferr(p, at,
				    "count_of '%s': the count must come before what it counts",
				    t->name);
		else
			t->count_by = it;
		break;
	case FORMAT_ROLE_LENGTH:
		if (t->repeated)
			format_ferr(
			    p, at,
			    "length_of '%s': a repeated field has no single length; measure a "
			    "record around it",
			    t->name);
		else if (t->type == FORMAT_UINT)
			format_ferr(p, at, "length_of '%s': an integer has a fixed length",
				    t->name);
		else if (t->length_by || t->has_size)
			format_ferr(p, at, "'%s' already has a size", t->name);
		else if (b < a)
			format_ferr(p, at,
				    "length_of '%s': the length must come before what it measures",
				    t->name);
		else
			t->length_by = it;
		break;
	default:
		break;
	}
}

/* The first item named name anywhere under r, in document order (repeated ones included). */
static struct format_item *find_anywhere(struct format_item *r, const char *name)
{
	for (size_t i = 0; i < r->n_kids; i++) {
		struct format_item *k = r->kids[i], *f;

		if (streq(k->name, name))
			return k;
		if ((f = find_anywhere(k, name)))
			return f;
	}
	return NULL;
}

/* A name as seen from it: in the enclosing records, innermost first; with anywhere, else the
 * first item of that name in the file (a table in another section). */
static struct format_item *lookup_item(struct fparse *p, struct format_item *it, const char *name,
				       bool anywhere)
{
	struct format_item *t = NULL;

	for (struct format_item *r = it->parent; r && !t; r = r->parent)
		t = scope_find(r, name);
	if (!t && anywhere)
		t = find_anywhere(p->f->root, name);
	return t;
}

static bool before(struct fparse *p, const struct format_item *a, const struct format_item *b)
{
	int c1 = 0, c2 = 0;

	return doc_index(p->f->root, a, &c1) < doc_index(p->f->root, b, &c2);
}

/* A union's tag (an integer before it) and its cases (no tag value twice, one default). */
static void resolve_union(struct fparse *p, struct format_item *it, const struct ynode *at)
{
	struct format_item *def = NULL;

	if (it->tag_name) {
		it->tag = lookup_item(p, it, it->tag_name, false);
		if (!it->tag)
			format_ferr(p, at, "switch '%s': no such field in scope", it->tag_name);
		else if (it->tag->type != FORMAT_UINT || it->tag->repeated)
			format_ferr(p, at, "switch '%s': the tag must be a single integer field",
				    it->tag_name);
		else if (!before(p, it->tag, it))
			format_ferr(p, at, "switch '%s': the tag must come before the union",
				    it->tag_name);
	}
	for (size_t i = 0; i < it->n_kids; i++) {
		struct format_item *k = it->kids[i];
		struct ynode kat = {.line = k->line, .column = k->column};

		if (k->is_default && def)
			format_ferr(p, &kat, "union '%s' has two default cases ('%s' and '%s')",
				    it->name, def->name, k->name);
		if (k->is_default)
			def = k;
		for (size_t w = 0; w < k->n_when && !k->has_mask; w++)
			for (size_t j = 0; j < i; j++)
				for (size_t x = 0;
				     x < it->kids[j]->n_when && !it->kids[j]->has_mask; x++)
					if (it->kids[j]->when[x] == k->when[w])
						format_ferr(p, &kat,
							    "case '%s': tag value %" PRIu64
							    " already selects case '%s'",
							    k->name, k->when[w], it->kids[j]->name);
	}
}

/* from: of an offset, and the names in an equals: expression. */
static void resolve_refs(struct fparse *p, struct format_item *it, const struct ynode *at)
{
	if (it->base_name) {
		it->base = lookup_item(p, it, it->base_name, true);
		if (!it->base)
			format_ferr(p, at, "from '%s': no such field", it->base_name);
	}
	for (size_t i = 0; i < it->n_terms; i++) {
		struct format_term *t = &it->terms[i];

		if (!t->name || (t->kind == FORMAT_TERM_SIZE && streq(t->name, "parent")))
			continue;
		t->item = lookup_item(p, it, t->name, true);
		if (!t->item)
			format_ferr(p, at, "equals: no field '%s'", t->name);
		else if (t->item == it)
			format_ferr(p, at, "equals: the field refers to itself");
		else if (t->kind == FORMAT_TERM_VALUE && t->item->type != FORMAT_UINT)
			format_ferr(p, at, "equals: '%s' is not an integer; use size(%s)", t->name,
				    t->name);
		else if (t->kind == FORMAT_TERM_COUNT && !t->item->repeated)
			format_ferr(p, at, "equals: count(%s): that field is not repeated",
				    t->name);
	}
}

/* The field a role names: 'parent' (the enclosing record), or a name in scope. */
static void resolve_target(struct fparse *p, struct format_item *it, const struct ynode *at)
{
	struct format_item *t = NULL;

	if (streq(it->target_name, "parent")) {
		if (it->role != FORMAT_ROLE_LENGTH && it->role != FORMAT_ROLE_CHECKSUM)
			format_ferr(p, at, "'parent' is only valid for length_of and checksum");
		else if (!it->parent || !it->parent->parent)
			format_ferr(
			    p, at,
			    "'%s: parent' at the top level; the file's length is not a field",
			    format_role_key(it->role));
		else if (it->role == FORMAT_ROLE_LENGTH)
			it->parent->length_by = it;
	} else {
		/* Look in the enclosing records, innermost first; a table that an offset points
		 * into may be anywhere. */
		t = lookup_item(p, it, it->target_name,
				it->role == FORMAT_ROLE_POINTER || it->role == FORMAT_ROLE_OFFSET ||
				    it->role == FORMAT_ROLE_INDEX ||
				    it->role == FORMAT_ROLE_REFERS);
		if (!t)
			format_ferr(p, at, "%s '%s': no such field in scope",
				    format_role_key(it->role), it->target_name);
		else if (t == it)
			format_ferr(p, at, "%s points at itself", format_role_key(it->role));
	}
	it->target = t;
	if (t && (it->role == FORMAT_ROLE_INDEX || it->role == FORMAT_ROLE_REFERS) && !t->repeated)
		format_ferr(p, at, "%s '%s': that field is not repeated (a table of elements)",
			    format_role_key(it->role), t->name);
	else if (t && it->role == FORMAT_ROLE_REFERS) {
		it->key = t->type == FORMAT_RECORD ? scope_find(t, it->key_name) : NULL;
		if (!it->key || it->key->type != FORMAT_UINT || it->key->repeated)
			format_ferr(p, at,
				    "refers_to '%s.%s': the elements of %s have no integer field "
				    "'%s'",
				    t->name, it->key_name, t->name, it->key_name);
	}
	if (t)
		link_target(p, it, t, at);
}

/* Declared offsets must match the layout: catches overlapping fields and gaps. */
static void check_offsets(struct fparse *p, struct format_item *it, const struct ynode *at)
{
	size_t off = 0;
	bool known = true;

	for (size_t i = 0; i < it->n_kids; i++) {
		struct format_item *k = it->kids[i];
		struct ynode kat = {.line = k->line, .column = k->column};
		size_t fs = format_item_fixed_size(k);

		if (k->has_offset && known && k->offset != off)
			format_ferr(
			    p, &kat,
			    "field '%s' declared at offset %zu but the fields before it end at "
			    "%zu; fields %s",
			    k->name, k->offset, off, k->offset < off ? "overlap" : "leave a gap");
		else if (k->has_offset && !known)
			format_ferr(
			    p, &kat,
			    "field '%s' declares offset %zu after a variable-size field; remove "
			    "the offset",
			    k->name, k->offset);
		if (fs == SIZE_MAX)
			known = false;
		else
			off += fs;
	}
	if (it->has_size && known && off > it->size)
		format_ferr(p, at, "record '%s' has size %zu but its fields take %zu bytes",
			    it->name, it->size, off);
}

/* recurse: NAME: an enclosing record, and a repeated field (so that it can end). */
static void resolve_recurse(struct fparse *p, struct format_item *it, const struct ynode *at)
{
	for (struct format_item *a = it->parent; a; a = a->parent)
		if (a->type == FORMAT_RECORD && streq(a->name, it->recurse_name) && a->parent) {
			it->recurse = a;
			break;
		}
	if (!it->recurse)
		format_ferr(p, at, "recurse '%s': no enclosing record of that name",
			    it->recurse_name);
	else if (!it->repeated || it->has_count || it->has_size)
		format_ferr(p, at,
			    "recurse field '%s' must be repeated, without count: or size: (so that "
			    "the nesting can end)",
			    it->name);
}

void format_resolve(struct fparse *p, struct format_item *it)
{
	struct ynode at = {.line = it->line, .column = it->column};

	if (it->recurse_name)
		resolve_recurse(p, it, &at);
	/* a scope starts at the file and at each repeated field; cases are checked in theirs */
	if (it->type == FORMAT_RECORD && (!it->parent || it->repeated))
		check_unique_names(p, it);
	for (size_t i = 0; it->type == FORMAT_UNION && it->repeated && i < it->n_kids; i++)
		check_unique_names(p, it->kids[i]);
	if (it->role != FORMAT_ROLE_NONE && it->target_name)
		resolve_target(p, it, &at);
	resolve_refs(p, it, &at);
	if (it->type == FORMAT_UNION)
		resolve_union(p, it, &at);
	if (it->has_count && it->count_by)
		format_ferr(p, &at,
			    "'%s' has count: and is counted by '%s'; expected one or the other",
			    it->name, it->count_by->name);
	if (it->repeated && format_item_min_size(it) == 0)
		format_ferr(
		    p, &at,
		    "repeated field '%s' can be empty; give it at least one fixed-size field",
		    it->name);
	if (it->cstring && (it->has_size || it->length_by))
		format_ferr(
		    p, &at,
		    "cstring '%s' ends at its NUL; it takes no size: and no length_of field "
		    "(use bytes for a string of a given size)",
		    it->name);
	if (it->has_mask && it->n_when == 1 && (it->when[0] & ~it->mask))
		format_ferr(p, &at, "case '%s': when: has bits outside its mask", it->name);
	else if (it->has_mask && it->n_when != 1)
		format_ferr(p, &at,
			    "case '%s': with mask:, when: is one value (the bits under the mask)",
			    it->name);
	if (it->type == FORMAT_BYTES && !it->cstring && !it->has_size && !it->length_by &&
	    it->parent) {
		/* "rest of the enclosing record": valid only as the last field. */
		if (it->parent->kids[it->parent->n_kids - 1] != it)
			format_ferr(
			    p, &at,
			    "bytes field '%s' has no size and is not last; give it size: N or a "
			    "length_of field",
			    it->name);
	}
	for (size_t i = 0; i < it->n_kids; i++)
		format_resolve(p, it->kids[i]);
	if (it->type == FORMAT_RECORD)
		check_offsets(p, it, &at);
}

/* The key that gives a field role r, as written in a format (NULL: no role). */
const char *format_role_key(enum format_role r)
{
	switch (r) {
	case FORMAT_ROLE_COUNT:
		return "count_of";
	case FORMAT_ROLE_LENGTH:
		return "length_of";
	case FORMAT_ROLE_OFFSET:
		return "offset_of";
	case FORMAT_ROLE_CHECKSUM:
		return "checksum over";
	case FORMAT_ROLE_POINTER:
		return "points_into";
	case FORMAT_ROLE_EQUALS:
		return "equals";
	case FORMAT_ROLE_INDEX:
		return "index_into";
	case FORMAT_ROLE_REFERS:
		return "refers_to";
	default:
		return NULL;
	}
}
