/* format-tree.c — decoding bytes into a value tree, encoding it back with fix-ups (paths are in
 * format-path.c). */
#include <inttypes.h>
#include <stdarg.h>
#include <zlib.h>

#include "format-internal.h"
#include "util.h"

/* ======================================================================== value tree */

struct format_node *format_node_free(struct format_node *n)
{
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->n_kids; i++)
		format_node_free(n->kids[i]);
	free(n->kids);
	free(n->bytes);
	free(n);
	return NULL;
}

struct format_node *format_node_clone(const struct format_node *n, struct format_node *parent)
{
	struct format_node *c = xmemdup(n, sizeof(*n));

	c->parent = parent;
	c->bytes = n->bytes ? xmemdup(n->bytes, n->len) : NULL;
	c->kids = n->n_kids ? xcalloc(n->n_kids, sizeof(*c->kids)) : NULL;
	for (size_t i = 0; i < n->n_kids; i++)
		c->kids[i] = format_node_clone(n->kids[i], c);
	return c;
}

static void node_push(struct format_node *p, struct format_node *k)
{
	p->kids = xreallocarray(p->kids, p->n_kids + 1, sizeof(*p->kids));
	p->kids[p->n_kids++] = k;
	k->parent = p;
}

static uint64_t get_uint(const uint8_t *d, unsigned w, bool be)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < w; i++)
		v |= (uint64_t)d[be ? i : w - 1 - i] << (8 * (w - 1 - i));
	return v;
}

static void put_uint(uint8_t *d, unsigned w, bool be, uint64_t v)
{
	for (unsigned i = 0; i < w; i++)
		d[be ? w - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

struct dctx {
	const uint8_t *data;
	uint64_t serial;
	uint64_t *vals; /* latest decoded value per item id */
	char *error;
	char *where;	 /* the path to what failed, built while unwinding */
	unsigned rdepth; /* recurse: fields open */
};

/* Put a segment in front of the failing path: an element's name[j], the failing field itself,
 * and the records around it that are not transparent (as format_node_path() names them). */
static void where_push(struct dctx *c, const struct format_item *it, bool indexed, uint64_t j)
{
	char *seg;

	if (!c->error || !*it->name)
		return;
	if (c->where && !indexed && (it->type == FORMAT_RECORD || it->type == FORMAT_UNION))
		return; /* transparent */
	seg = indexed ? xasprintf("%s[%" PRIu64 "]", it->name, j) : xstrdup(it->name);
	if (c->where) {
		char *t = xasprintf("%s.%s", seg, c->where);
		free(seg);
		seg = t;
	}
	free(c->where);
	c->where = seg;
}

_printf_(2, 3) static int derr(struct dctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->error)
		return -EINVAL;
	va_start(ap, fmt);
	if (vasprintf(&c->error, fmt, ap) < 0)
		abort();
	va_end(ap);
	return -EINVAL;
}

static int decode_item(struct dctx *c, const struct format_item *it, size_t *pos, size_t end,
		       struct format_node **ret);

static int decode_record(struct dctx *c, const struct format_item *it, size_t *pos, size_t end,
			 struct format_node *rec)
{
	size_t start = *pos, rec_end = end;
	bool known = false;
	int r;

	if (it->has_size) {
		if (it->size > end - start)
			return derr(c, "%s at offset %zu: needs %zu bytes, %zu left", it->name,
				    start, it->size, end - start);
		rec_end = start + it->size;
		known = true;
	} else if (it->length_by && it->length_by->parent != it) {
		uint64_t len = c->vals[it->length_by->id];
		if (len > end - start)
			return derr(c, "%s at offset %zu: %s says %" PRIu64 " bytes, %zu left",
				    it->name, start, it->length_by->name, len, end - start);
		rec_end = start + len;
		known = true;
	}
	for (size_t i = 0; i < it->n_kids; i++) {
		const struct format_item *k = it->kids[i];
		struct format_node *kn;

		if (k->repeated) {
			struct format_node *arr = xzalloc(sizeof(*arr));

			arr->item = k;
			arr->kind = FORMAT_NODE_ARRAY;
			arr->offset = *pos;
			arr->serial = ++c->serial;
			node_push(rec, arr);
			if (k->count_by || k->has_count) {
				uint64_t count = k->has_count ? k->count : c->vals[k->count_by->id];
				size_t ms = format_item_min_size(k);

				if (count > (rec_end - *pos) / ms) {
					derr(c,
					     "%s at offset %zu: %s says %" PRIu64
					     " but only %zu bytes are left",
					     k->name, *pos,
					     k->has_count ? "its count" : k->count_by->name, count,
					     rec_end - *pos);
					where_push(c, k, false, 0);
					return -EINVAL;
				}
				for (uint64_t j = 0; j < count; j++) {
					r = decode_item(c, k, pos, rec_end, &kn);
					if (r < 0) {
						where_push(c, k, true, j);
						return r;
					}
					node_push(arr, kn);
				}
			} else {
				while (*pos < rec_end) {
					r = decode_item(c, k, pos, rec_end, &kn);
					if (r < 0) {
						where_push(c, k, true, arr->n_kids);
						return r;
					}
					node_push(arr, kn);
				}
			}
			arr->size = *pos - arr->offset;
			continue;
		}
		r = decode_item(c, k, pos, rec_end, &kn);
		if (r < 0) {
			where_push(c, k, false, 0);
			return r;
		}
		node_push(rec, kn);
		if (k->role == FORMAT_ROLE_LENGTH && !k->target) {
			/* length_of: parent — the record's own size, this field included. */
			if (kn->value < *pos - start || kn->value > end - start)
				return derr(c,
					    "%s at offset %zu: %s = %" PRIu64
					    " does not fit (needs %zu..%zu)",
					    it->name, start, k->name, kn->value, *pos - start,
					    end - start);
			rec_end = start + kn->value;
			known = true;
		}
	}
	if (known && *pos != rec_end)
		return derr(c, "%s at offset %zu: %zu bytes left over after its fields", it->name,
			    start, rec_end - *pos);
	return 0;
}

/* The case of union it that tag value v selects: the one whose when: lists it, else the
 * default, else NULL. */
static const struct format_item *union_case(const struct format_item *it, uint64_t v)
{
	const struct format_item *def = NULL;

	for (size_t i = 0; i < it->n_kids; i++) {
		const struct format_item *k = it->kids[i];

		for (size_t w = 0; w < k->n_when && !k->has_mask; w++)
			if (k->when[w] == v)
				return k;
		if (k->is_default)
			def = k;
	}
	/* flag bits: the first case whose bits under its mask are as it says */
	for (size_t i = 0; i < it->n_kids; i++) {
		const struct format_item *k = it->kids[i];

		if (k->has_mask && k->n_when == 1 && (v & k->mask) == k->when[0])
			return k;
	}
	return def;
}

/* A union decodes as a record holding the one case its tag selects, bounded like a record. */
static int decode_union(struct dctx *c, const struct format_item *it, size_t *pos, size_t end,
			struct format_node *n)
{
	size_t start = *pos, lim = end;
	uint64_t tag = c->vals[it->tag->id];
	const struct format_item *k = union_case(it, tag);
	struct format_node *kn;
	bool known = false;
	int r;

	if (it->has_size || (it->length_by && it->length_by->parent != it)) {
		uint64_t len = it->has_size ? it->size : c->vals[it->length_by->id];
		if (len > end - start)
			return derr(c, "%s at offset %zu: needs %" PRIu64 " bytes, %zu left",
				    it->name, start, len, end - start);
		lim = start + len;
		known = true;
	}
	if (!k)
		return derr(c, "%s at offset %zu: %s = %" PRIu64 " selects none of its cases",
			    it->name, start, it->tag->name, tag);
	r = decode_item(c, k, pos, lim, &kn);
	if (r < 0) {
		where_push(c, k, false, 0);
		return r;
	}
	node_push(n, kn);
	if (known && *pos != lim)
		return derr(c, "%s at offset %zu: %zu bytes left over after case %s", it->name,
			    start, lim - *pos, k->name);
	return 0;
}

static int decode_item(struct dctx *c, const struct format_item *it, size_t *pos, size_t end,
		       struct format_node **ret)
{
	struct format_node *n = xzalloc(sizeof(*n));
	size_t len;
	int r = 0;

	n->item = it;
	n->offset = *pos;
	n->serial = ++c->serial;
	switch (it->type) {
	case FORMAT_UINT:
		n->kind = FORMAT_NODE_UINT;
		if (it->width > end - *pos) {
			r = derr(c, "%s at offset %zu: needs %u bytes, %zu left", it->name, *pos,
				 it->width, end - *pos);
			break;
		}
		n->value = get_uint(c->data + *pos, it->width, it->big_endian);
		if (it->has_const && n->value != it->const_value) {
			r = derr(c, "%s at offset %zu is 0x%" PRIx64 ", expected 0x%" PRIx64,
				 it->name, *pos, n->value, it->const_value);
			break;
		}
		if (it->has_range && (n->value < it->range_lo || n->value > it->range_hi)) {
			r = derr(c,
				 "%s at offset %zu is %" PRIu64 ", outside its range [%" PRIu64
				 ", %" PRIu64 "]",
				 it->name, *pos, n->value, it->range_lo, it->range_hi);
			break;
		}
		c->vals[it->id] = n->value;
		*pos += it->width;
		break;
	case FORMAT_BYTES:
		n->kind = FORMAT_NODE_BYTES;
		if (it->cstring) {
			const uint8_t *z = memchr(c->data + *pos, 0, end - *pos);

			if (!z) {
				r = derr(c, "%s at offset %zu: no NUL before the end (%zu bytes)",
					 it->name, *pos, end - *pos);
				break;
			}
			n->len = (size_t)(z - (c->data + *pos));
			n->bytes = xmemdup(c->data + *pos, n->len + 1);
			*pos += n->len + 1;
			break;
		}
		if (it->has_size)
			len = it->size;
		else if (it->length_by)
			len = c->vals[it->length_by->id] > SIZE_MAX ? SIZE_MAX
								    : c->vals[it->length_by->id];
		else
			len = end - *pos;
		if (len > end - *pos) {
			r = derr(c, "%s at offset %zu: %zu bytes, only %zu left", it->name, *pos,
				 len, end - *pos);
			break;
		}
		n->bytes = xmemdup(c->data + *pos, len);
		n->len = len;
		*pos += len;
		break;
	case FORMAT_RECORD:
		n->kind = FORMAT_NODE_RECORD;
		if (it->recurse && c->rdepth >= it->depth) {
			r = derr(c, "%s at offset %zu: nested deeper than its depth: %u", it->name,
				 *pos, it->depth);
			break;
		}
		c->rdepth += it->recurse != NULL;
		r = decode_record(c, it->recurse ? it->recurse : it, pos, end, n);
		c->rdepth -= it->recurse != NULL;
		break;
	case FORMAT_UNION:
		n->kind = FORMAT_NODE_RECORD;
		r = decode_union(c, it, pos, end, n);
		break;
	}
	n->size = *pos - n->offset;
	if (r < 0) {
		format_node_free(n);
		return r;
	}
	*ret = n;
	return 0;
}

static void link_pointers(struct format_node *n);
static int check_relations(struct dctx *c, struct format_node *n);

int format_decode(const struct format *f, const uint8_t *data, size_t size,
		  struct format_node **ret, char **ret_error)
{
	struct dctx c = {.data = data};
	struct format_node *root = NULL;
	size_t pos = 0;
	int r;

	c.vals = xcalloc(f->n_items, sizeof(uint64_t));
	r = decode_item(&c, f->root, &pos, size, &root);
	if (r == 0 && pos != size) {
		r = derr(&c, "%zu trailing bytes after offset %zu", size - pos, pos);
		root = format_node_free(root);
	}
	free(c.vals);
	if (r == 0) {
		link_pointers(root);
		r = check_relations(&c, root);
		if (r < 0)
			root = format_node_free(root);
	}
	if (r < 0) {
		char *msg = c.error ? c.error : xstrdup("cannot decode");

		if (c.where) { /* where it failed, as a path that format show and at: take */
			const char *last = strrchr(c.where, '.');
			size_t len;

			last = last ? last + 1 : c.where;
			len = strcspn(last, "[");
			/* "n_ops at offset 40: ..." names the field: say its path instead */
			if (!strncmp(msg, last, len) && !strncmp(msg + len, " at offset ", 11))
				msg = xasprintf("%.*s%s", (int)(last - c.where + len), c.where,
						msg + len);
			else
				msg = xasprintf("at %s: %s", c.where, msg);
			free(c.error);
		}
		if (ret_error)
			*ret_error = msg;
		else
			free(msg);
		free(c.where);
		return r;
	}
	free(c.error);
	free(c.where);
	*ret = root;
	return 0;
}

static size_t layout(struct format_node *n, size_t off)
{
	n->offset = off;
	switch (n->kind) {
	case FORMAT_NODE_UINT:
		n->size = n->item->width;
		break;
	case FORMAT_NODE_BYTES:
		n->size = format_node_bytes_size(n);
		break;
	default:
		n->size = 0;
		for (size_t i = 0; i < n->n_kids; i++)
			n->size += layout(n->kids[i], off + n->size);
		break;
	}
	return n->size;
}

/* The node for item t reachable from record rec (transparently through non-repeated records). */
static struct format_node *scope_node(struct format_node *rec, const struct format_item *t)
{
	if (rec->kind != FORMAT_NODE_RECORD)
		return NULL;
	for (size_t i = 0; i < rec->n_kids; i++) {
		struct format_node *k = rec->kids[i];

		if (k->item == t)
			return k;
		if (k->kind == FORMAT_NODE_RECORD && !k->item->repeated) {
			struct format_node *f = scope_node(k, t);
			if (f)
				return f;
		}
	}
	return NULL;
}

static struct format_node *role_target(struct format_node *n)
{
	if (!n->item->target)
		return n->parent;
	for (struct format_node *r = n->parent; r; r = r->parent) {
		struct format_node *t;

		if (r->kind != FORMAT_NODE_RECORD)
			continue;
		t = scope_node(r, n->item->target);
		if (t)
			return t;
	}
	return NULL;
}

static struct format_node *first_of(struct format_node *x, const struct format_item *t)
{
	if (x->item == t)
		return x;
	for (size_t i = 0; i < x->n_kids; i++) {
		struct format_node *f = first_of(x->kids[i], t);
		if (f)
			return f;
	}
	return NULL;
}

/* The node of item t as n sees it: an enclosing node, one in the scope of an enclosing record,
 * else the first in the file (a table in another section). list: t is a table, so from inside
 * one of its elements, the whole list. */
static struct format_node *find_node(struct format_node *n, const struct format_item *t, bool list)
{
	struct format_node *root = n;

	for (struct format_node *r = n->parent; r; r = r->parent) {
		struct format_node *x;

		root = r;
		if (r->item ==
		    t) /* inside an element of t: that element, or for a table the list */
			return list && r->parent && r->parent->kind == FORMAT_NODE_ARRAY ? r->parent
											 : r;
		if (r->kind == FORMAT_NODE_RECORD && (x = scope_node(r, t)))
			return x;
	}
	return first_of(root, t);
}

static uint64_t offset_base(struct format_node *n);

/* Every element of every list of item t under x, in document order. */
static void elements_of(struct format_node *x, const struct format_item *t, struct format_node ***v,
			size_t *n)
{
	for (size_t i = 0; i < x->n_kids; i++) {
		if (x->kind == FORMAT_NODE_ARRAY && (x->item == t || x->item->recurse == t)) {
			*v = xreallocarray(*v, *n + 1, sizeof(**v));
			(*v)[(*n)++] = x->kids[i];
		}
		elements_of(x->kids[i], t, v, n);
	}
}

static struct format_node *root_of(struct format_node *n)
{
	while (n->parent)
		n = n->parent;
	return n;
}

/* points_into with from:: the innermost element of the table, anywhere, that holds the
 * offset. */
static void link_anywhere(struct format_node *n)
{
	_cleanup_free_ struct format_node **v = NULL;
	size_t nv = 0;
	uint64_t abs = n->value + offset_base(n);
	struct format_node *best = NULL;

	elements_of(root_of(n), n->item->target, &v, &nv);
	for (size_t i = 0; i < nv; i++)
		if (v[i]->offset <= abs && abs - v[i]->offset < v[i]->size &&
		    (!best || v[i]->offset >= best->offset))
			best = v[i];
	if (best) {
		n->has_ref = true;
		n->ref_serial = best->serial;
		n->ref_delta = abs - best->offset;
	}
}

/* The value of the key field in element e of a table (refers_to). */
static struct format_node *key_node(struct format_node *e, const struct format_item *key)
{
	return e->item->type == FORMAT_RECORD ? scope_node(e, key) : NULL;
}

/* index_into and refers_to: the element the value names (none: decoding fails on it). */
static void link_reference(struct format_node *n)
{
	_cleanup_free_ struct format_node **v = NULL;
	size_t nv = 0;

	if (n->item->role == FORMAT_ROLE_INDEX) {
		struct format_node *t = find_node(n, n->item->target, true);

		if (t && t->kind == FORMAT_NODE_ARRAY && n->value < t->n_kids) {
			n->has_ref = true;
			n->ref_serial = t->kids[n->value]->serial;
		}
		return;
	}
	elements_of(root_of(n), n->item->target, &v, &nv);
	for (size_t i = 0; i < nv; i++) {
		struct format_node *k = key_node(v[i], n->item->key);

		if (k && k->value == n->value) {
			n->has_ref = true;
			n->ref_serial = v[i]->serial;
			return;
		}
	}
}

bool format_node_missing_ref(struct format_node *n, uint64_t *ret)
{
	_cleanup_free_ struct format_node **v = NULL;
	struct format_node *t;
	uint64_t max = 0;
	size_t nv = 0;

	if (n->kind != FORMAT_NODE_UINT)
		return false;
	if (n->item->role == FORMAT_ROLE_INDEX) {
		t = find_node(n, n->item->target, true);
		if (!t || t->kind != FORMAT_NODE_ARRAY)
			return false;
		*ret = t->n_kids;
		return true;
	}
	if (n->item->role != FORMAT_ROLE_REFERS)
		return false;
	elements_of(root_of(n), n->item->target, &v, &nv);
	for (size_t i = 0; i < nv; i++) {
		struct format_node *k = key_node(v[i], n->item->key);

		if (k && k->value >= max)
			max = k->value + 1;
	}
	*ret = max;
	return true;
}

/* points_into: after decoding, remember which element of the table each offset points into. */
static void link_pointers(struct format_node *n)
{
	struct format_node *t;

	for (size_t i = 0; i < n->n_kids; i++)
		link_pointers(n->kids[i]);
	if (n->kind == FORMAT_NODE_UINT &&
	    (n->item->role == FORMAT_ROLE_INDEX || n->item->role == FORMAT_ROLE_REFERS)) {
		link_reference(n);
		return;
	}
	if (n->kind != FORMAT_NODE_UINT || n->item->role != FORMAT_ROLE_POINTER)
		return;
	if (n->item->base_any) {
		link_anywhere(n);
		return;
	}
	t = find_node(n, n->item->target, true);
	if (!t || t->kind != FORMAT_NODE_ARRAY)
		return;
	/* the elements lie in offset order: the last one starting at or before the value */
	size_t lo = 0, hi = t->n_kids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->kids[mid]->offset - t->offset <= n->value)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0) {
		struct format_node *e = t->kids[lo - 1];
		uint64_t start = e->offset - t->offset;

		if (n->value - start < e->size) {
			n->has_ref = true;
			n->ref_serial = e->serial;
			n->ref_delta = n->value - start;
		}
	}
}

static uint64_t width_mask(unsigned w)
{
	return w >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * w)) - 1;
}

static uint64_t offset_base(struct format_node *n);

static uint64_t apply_pin(struct format_node *n, uint64_t truth, size_t total,
			  const struct format_node *t)
{
	switch (n->pin) {
	case FORMAT_PIN_NONE:
		return truth;
	case FORMAT_PIN_ABS:
	case FORMAT_PIN_SOLVE:
		return n->value;
	case FORMAT_PIN_ADD:
		return truth + (uint64_t)n->pin_arg;
	case FORMAT_PIN_MUL:
		return truth * (uint64_t)n->pin_arg;
	case FORMAT_PIN_PAST_END:
		if (!t)
			return truth;
		if (n->item->role == FORMAT_ROLE_OFFSET)
			return (uint64_t)total + (uint64_t)n->pin_arg - 1 - offset_base(n);
		return (uint64_t)total + (uint64_t)n->pin_arg - t->offset;
	}
	return truth;
}

struct ectx {
	uint8_t *buf;
	size_t total;
	bool fix_lengths, fix_checksums;
	struct format_node **sums;
	size_t n_sums;
	struct format_node **rels; /* equals: fields, computed after every other field */
	size_t n_rels;
};

/* Where an offset_of counts from: the file, the record the field is in, or field from:. */
static uint64_t offset_base(struct format_node *n)
{
	struct format_node *b;

	if (n->item->base_parent)
		return n->parent->offset;
	if (n->item->base && (b = find_node(n, n->item->base, false)))
		return b->offset;
	return 0;
}

/* What a derived field says when the tree is consistent. */
static uint64_t role_truth(struct format_node *n, struct format_node *t)
{
	switch (n->item->role) {
	case FORMAT_ROLE_COUNT:
		return t->n_kids;
	case FORMAT_ROLE_LENGTH:
		return t->size;
	case FORMAT_ROLE_OFFSET:
		return t->offset - offset_base(n);
	case FORMAT_ROLE_INDEX:
		for (size_t i = 0; n->has_ref && t->kind == FORMAT_NODE_ARRAY && i < t->n_kids; i++)
			if (t->kids[i]->serial == n->ref_serial)
				return i;
		return n->value; /* its element was dropped: the index dangles as it was */
	case FORMAT_ROLE_REFERS: {
		_cleanup_free_ struct format_node **v = NULL;
		size_t nv = 0;

		elements_of(root_of(n), n->item->target, &v, &nv);
		for (size_t i = 0; n->has_ref && i < nv; i++) {
			struct format_node *k = key_node(v[i], n->item->key);

			if (v[i]->serial == n->ref_serial && k)
				return k->value; /* its element's key, set or not */
		}
		return n->value;
	}
	case FORMAT_ROLE_POINTER:
		if (n->has_ref && n->item->base_any) {
			_cleanup_free_ struct format_node **v = NULL;
			size_t nv = 0;

			/* the first of that serial: a duplicate's copy keeps it, the original
			 * comes first */
			elements_of(root_of(n), n->item->target, &v, &nv);
			for (size_t i = 0; i < nv; i++)
				if (v[i]->serial == n->ref_serial)
					return v[i]->offset + n->ref_delta - offset_base(n);
			return n->value;
		}
		if (!n->has_ref || t->kind != FORMAT_NODE_ARRAY)
			return n->value;
		for (size_t i = 0; i < t->n_kids; i++)
			if (t->kids[i]->serial == n->ref_serial)
				return t->kids[i]->offset - t->offset + n->ref_delta;
		return n->value; /* its element was dropped: the offset dangles as it was */
	default:
		return n->value;
	}
}

static uint64_t term_value(struct format_node *n, const struct format_term *t)
{
	struct format_node *x;

	if (t->kind == FORMAT_TERM_NUMBER)
		return t->number;
	x = t->item ? find_node(n, t->item, false) : n->parent;
	if (!x)
		return 0;
	switch (t->kind) {
	case FORMAT_TERM_VALUE:
		return x->value;
	case FORMAT_TERM_SIZE:
		return x->size;
	case FORMAT_TERM_COUNT:
		return x->n_kids;
	default:
		return x->offset;
	}
}

static uint64_t apply_op(enum format_opcode code, uint64_t a, uint64_t b)
{
	switch (code) {
	case FORMAT_OP_ADD:
		return a + b;
	case FORMAT_OP_SUB:
		return a - b;
	case FORMAT_OP_MUL:
		return a * b;
	case FORMAT_OP_DIV:
		return b ? a / b : 0;
	case FORMAT_OP_MOD:
		return b ? a % b : 0;
	case FORMAT_OP_AND:
		return a & b;
	case FORMAT_OP_OR:
		return a | b;
	case FORMAT_OP_XOR:
		return a ^ b;
	case FORMAT_OP_SHL:
		return b >= 64 ? 0 : a << b;
	case FORMAT_OP_SHR:
		return b >= 64 ? 0 : a >> b;
	default:
		return 0;
	}
}

/* The value of the field's equals: expression, run on a stack (the parser made it postfix; it
 * never holds more values than terms). */
static uint64_t relation_value(struct format_node *n)
{
	const struct format_item *it = n->item;
	_cleanup_free_ uint64_t *st = xcalloc(it->n_terms + 1, sizeof(*st));
	size_t sp = 0;

	for (size_t i = 0; i < it->n_prog; i++) {
		const struct format_op *o = &it->prog[i];

		if (o->code == FORMAT_OP_TERM)
			st[sp++] = term_value(n, &it->terms[o->arg]);
		else if (o->code == FORMAT_OP_NOT && sp >= 1)
			st[sp - 1] = ~st[sp - 1];
		else if (o->code == FORMAT_OP_NEG && sp >= 1)
			st[sp - 1] = -st[sp - 1];
		else if (sp >= 2) {
			st[sp - 2] = apply_op(o->code, st[sp - 2], st[sp - 1]);
			sp--;
		}
	}
	return (sp ? st[sp - 1] : 0) & width_mask(it->width);
}

/* A decoded file must satisfy its relations, as it must its counts and lengths. */
static int check_relations(struct dctx *c, struct format_node *n)
{
	for (size_t i = 0; i < n->n_kids; i++)
		if (check_relations(c, n->kids[i]) < 0)
			return -EINVAL;
	if (n->kind == FORMAT_NODE_UINT &&
	    (n->item->role == FORMAT_ROLE_INDEX || n->item->role == FORMAT_ROLE_REFERS) &&
	    !n->has_ref) {
		if (n->item->role == FORMAT_ROLE_INDEX)
			derr(c,
			     "%s at offset %zu is %" PRIu64 ", not the index of an element of %s",
			     n->item->name, n->offset, n->value, n->item->target->name);
		else
			derr(c,
			     "%s at offset %zu is %" PRIu64
			     ", but no element of %s has %s %" PRIu64,
			     n->item->name, n->offset, n->value, n->item->target->name,
			     n->item->key->name, n->value);
		c->where = format_node_path(n);
		return -EINVAL;
	}
	if (n->kind == FORMAT_NODE_UINT && n->item->role == FORMAT_ROLE_EQUALS &&
	    relation_value(n) != n->value) {
		derr(c, "%s at offset %zu is %" PRIu64 ", its equals: gives %" PRIu64,
		     n->item->name, n->offset, n->value, relation_value(n));
		c->where = format_node_path(n);
		return -EINVAL;
	}
	return 0;
}

/* equals: the sum of its terms, unless pinned or fix-ups are off. */
/* The expression as a tree (built from its postfix): node i applies prog[i] to kids a and b. */
struct enode {
	int a, b;
};

static int expr_tree(const struct format_item *it, struct enode *t)
{
	_cleanup_free_ int *st = xcalloc(it->n_prog + 1, sizeof(int));
	size_t sp = 0;

	for (size_t i = 0; i < it->n_prog; i++) {
		enum format_opcode c = it->prog[i].code;

		t[i].a = t[i].b = -1;
		if (c == FORMAT_OP_NOT || c == FORMAT_OP_NEG) {
			if (sp < 1)
				return -1;
			t[i].a = st[sp - 1];
			sp--;
		} else if (c != FORMAT_OP_TERM) {
			if (sp < 2)
				return -1;
			t[i].a = st[sp - 2];
			t[i].b = st[sp - 1];
			sp -= 2;
		}
		st[sp++] = (int)i;
	}
	return sp == 1 ? st[0] : -1;
}

static uint64_t expr_eval(struct format_node *n, const struct enode *t, int i)
{
	const struct format_op *o = &n->item->prog[i];

	if (o->code == FORMAT_OP_TERM)
		return term_value(n, &n->item->terms[o->arg]);
	if (o->code == FORMAT_OP_NOT)
		return ~expr_eval(n, t, t[i].a);
	if (o->code == FORMAT_OP_NEG)
		return -expr_eval(n, t, t[i].a);
	return apply_op(o->code, expr_eval(n, t, t[i].a), expr_eval(n, t, t[i].b));
}

/* A term that solve may change: the value of a field that nothing derives. */
static bool free_term(const struct format_term *t)
{
	return t->kind == FORMAT_TERM_VALUE && t->item && t->item->role == FORMAT_ROLE_NONE &&
	       !t->item->has_const;
}

static int count_free(const struct format_item *it, const struct enode *t, int i, int *leaf)
{
	const struct format_op *o = &it->prog[i];

	if (o->code == FORMAT_OP_TERM) {
		if (!free_term(&it->terms[o->arg]))
			return 0;
		*leaf = i;
		return 1;
	}
	return count_free(it, t, t[i].a, leaf) +
	       (t[i].b >= 0 ? count_free(it, t, t[i].b, leaf) : 0);
}

static bool contains(const struct enode *t, int i, int leaf)
{
	return i == leaf || (i >= 0 && (contains(t, t[i].a, leaf) ||
					(t[i].b >= 0 && contains(t, t[i].b, leaf))));
}

/* x * y == 1 modulo 2^64, y odd (Newton's iteration doubles the correct bits each step). */
static uint64_t inverse_odd(uint64_t y)
{
	uint64_t x = y;

	for (int k = 0; k < 5; k++)
		x *= 2 - y * x;
	return x;
}

/* FORMAT_PIN_SOLVE: give the one free field of n's expression the value that makes the
 * expression equal n's value, undoing the operators from the top down. Returns false when the
 * expression has not exactly one free field or an operator on its way cannot be undone. */
static bool solve_relation(struct ectx *e, struct format_node *n)
{
	const struct format_item *it = n->item;
	_cleanup_free_ struct enode *t = xcalloc(it->n_prog + 1, sizeof(*t));
	uint64_t want = n->value;
	int i = expr_tree(it, t), leaf = -1;
	struct format_node *x;

	if (i < 0 || count_free(it, t, i, &leaf) != 1)
		return false;
	while (i != leaf) {
		enum format_opcode c = it->prog[i].code;
		bool left = contains(t, t[i].a, leaf);
		uint64_t other = c == FORMAT_OP_NOT || c == FORMAT_OP_NEG
				     ? 0
				     : expr_eval(n, t, left ? t[i].b : t[i].a);

		if (c == FORMAT_OP_ADD)
			want -= other;
		else if (c == FORMAT_OP_SUB)
			want = left ? want + other : other - want;
		else if (c == FORMAT_OP_XOR)
			want ^= other;
		else if (c == FORMAT_OP_NOT)
			want = ~want;
		else if (c == FORMAT_OP_NEG)
			want = -want;
		else if (c == FORMAT_OP_MUL && (other & 1))
			want *= inverse_odd(other);
		else
			return false;
		i = left ? t[i].a : t[i].b;
	}
	x = find_node(n, it->terms[it->prog[leaf].arg].item, false);
	if (!x || x->kind != FORMAT_NODE_UINT)
		return false;
	x->value = want & width_mask(x->item->width);
	put_uint(e->buf + x->offset, x->item->width, x->item->big_endian, x->value);
	return true;
}

static void encode_relation(struct ectx *e, struct format_node *n)
{
	uint64_t truth;

	if (n->pin == FORMAT_PIN_SOLVE)
		solve_relation(e, n);
	truth = relation_value(n);

	if (!e->fix_lengths && n->pin == FORMAT_PIN_NONE)
		truth = n->value;
	else if (!e->fix_lengths && n->pin == FORMAT_PIN_ABS)
		truth = n->value;
	n->value = apply_pin(n, truth, e->total, NULL) & width_mask(n->item->width);
	put_uint(e->buf + n->offset, n->item->width, n->item->big_endian, n->value);
}

static void encode_node(struct ectx *e, struct format_node *n)
{
	switch (n->kind) {
	case FORMAT_NODE_UINT: {
		const struct format_item *it = n->item;
		struct format_node *t;
		uint64_t truth = n->value;

		if (it->role == FORMAT_ROLE_CHECKSUM) {
			e->sums = xreallocarray(e->sums, e->n_sums + 1, sizeof(*e->sums));
			e->sums[e->n_sums++] = n;
			break;
		}
		if (it->role == FORMAT_ROLE_EQUALS) {
			e->rels = xreallocarray(e->rels, e->n_rels + 1, sizeof(*e->rels));
			e->rels[e->n_rels++] = n;
			break;
		}
		if (it->role != FORMAT_ROLE_NONE) {
			t = it->role == FORMAT_ROLE_POINTER || it->role == FORMAT_ROLE_OFFSET ||
				    it->role == FORMAT_ROLE_INDEX
				? find_node(n, it->target,
					    it->role == FORMAT_ROLE_POINTER ||
						it->role == FORMAT_ROLE_INDEX)
				: role_target(n);
			if (!t && (it->base_any || it->role == FORMAT_ROLE_REFERS))
				t = n; /* no list in scope: the element is looked for everywhere */
			if (t && (e->fix_lengths || n->pin != FORMAT_PIN_NONE)) {
				truth = role_truth(n, t);
				if (!e->fix_lengths && n->pin != FORMAT_PIN_NONE)
					truth = n->pin == FORMAT_PIN_ABS ? n->value : truth;
			}
			n->value = apply_pin(n, truth, e->total, t) & width_mask(it->width);
		} else if (n->pin != FORMAT_PIN_NONE && n->pin != FORMAT_PIN_ABS) {
			n->value = apply_pin(n, n->value, e->total, NULL) & width_mask(it->width);
			n->pin = FORMAT_PIN_ABS;
			n->pin_arg = 0;
		}
		put_uint(e->buf + n->offset, it->width, it->big_endian, n->value);
		break;
	}
	case FORMAT_NODE_BYTES:
		if (n->len)
			memcpy(e->buf + n->offset, n->bytes, n->len);
		if (n->item->cstring)
			e->buf[n->offset + n->len] = 0;
		break;
	default:
		for (size_t i = 0; i < n->n_kids; i++)
			encode_node(e, n->kids[i]);
		break;
	}
}

uint32_t format_crc32(const uint8_t *data, size_t size)
{
	uLong c = crc32(0L, Z_NULL, 0);

	while (size > 0) {
		uInt chunk = size > (1u << 30) ? (1u << 30) : (uInt)size;
		c = crc32(c, data, chunk);
		data += chunk;
		size -= chunk;
	}
	return (uint32_t)c;
}

int format_encode(const struct format *f, struct format_node *root, bool fix_lengths,
		  bool fix_checksums, uint8_t **ret, size_t *ret_size)
{
	struct ectx e = {.fix_lengths = fix_lengths, .fix_checksums = fix_checksums};

	(void)f;
	e.total = layout(root, 0);
	e.buf = xzalloc(e.total);
	encode_node(&e, root);
	/* Relations after the fields they add up, in document order. */
	for (size_t i = 0; i < e.n_rels; i++)
		encode_relation(&e, e.rels[i]);
	free(e.rels);
	/* Checksums last, innermost (latest) first, so an outer one covers the final bytes. */
	for (size_t i = e.n_sums; i-- > 0;) {
		struct format_node *n = e.sums[i];
		struct format_node *t = role_target(n);
		uint64_t truth = n->value;

		if (t && fix_checksums && n->pin != FORMAT_PIN_ABS)
			truth = format_crc32(e.buf + t->offset, t->size);
		if (fix_checksums || n->pin == FORMAT_PIN_ABS)
			n->value = apply_pin(n, truth, e.total, t) & width_mask(n->item->width);
		else if (n->pin != FORMAT_PIN_NONE)
			n->value = apply_pin(n, n->value, e.total, t) & width_mask(n->item->width);
		put_uint(e.buf + n->offset, n->item->width, n->item->big_endian, n->value);
	}
	free(e.sums);
	*ret = e.buf;
	*ret_size = e.total;
	return 0;
}

int format_fix_checksums_raw(const struct format *f, uint8_t *data, size_t size)
{
	const struct format_item *root = f->root;
	size_t n = root->n_kids;
	_cleanup_free_ size_t *off = xcalloc(n + 1, sizeof(size_t));
	_cleanup_free_ size_t *len = xcalloc(n + 1, sizeof(size_t));
	uint64_t *vals = xcalloc(f->n_items, sizeof(uint64_t));
	size_t pos = 0, known = 0;
	int written = 0;

	/* Walk the root's fields while their positions can be told from the bytes. */
	for (size_t i = 0; i < n; i++) {
		const struct format_item *k = root->kids[i];
		size_t fs = format_item_fixed_size(k);

		off[i] = pos;
		if (fs == SIZE_MAX && k->length_by && !k->repeated)
			fs = vals[k->length_by->id] > SIZE_MAX - pos ? SIZE_MAX - pos
								     : vals[k->length_by->id];
		else if (fs == SIZE_MAX && i == n - 1)
			fs = pos < size ? size - pos : 0;
		if (fs == SIZE_MAX)
			break;
		if (k->type == FORMAT_UINT && pos + k->width <= size)
			vals[k->id] = get_uint(data + pos, k->width, k->big_endian);
		len[i] = fs;
		pos = fs > SIZE_MAX - pos ? SIZE_MAX : pos + fs;
		known = i + 1;
	}
	for (size_t i = 0; i < known; i++) {
		const struct format_item *k = root->kids[i];
		size_t t, a, b;

		if (k->role != FORMAT_ROLE_CHECKSUM || !k->target || off[i] + k->width > size)
			continue;
		for (t = 0; t < known && root->kids[t] != k->target; t++)
			;
		if (t == known)
			continue;
		a = off[t] < size ? off[t] : size;
		b = len[t] > size - a ? size : a + len[t];
		put_uint(data + off[i], k->width, k->big_endian, format_crc32(data + a, b - a));
		written++;
	}
	free(vals);
	return written;
}
