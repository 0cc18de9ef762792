/* shrink-bytes.c — byte differences from the seed as units for the bytes stage, and naming what
 * is left by the seed's fields (see shrink-internal.h). */
#include "shrink-internal.h"
#include "util.h"

static uint64_t read_uint(const uint8_t *d, unsigned w, bool big_endian)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < w; i++)
		v |= (uint64_t)d[big_endian ? i : w - 1 - i] << (8 * (w - 1 - i));
	return v;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Are data's root-level checksums what they cover gives? *ret_fixed: data with them fixed. */
static bool sums_right(const struct format *f, const uint8_t *data, size_t size,
		       uint8_t **ret_fixed)
{
	uint8_t *copy = xmemdup(data, size ? size : 1);
	bool right = format_fix_checksums_raw(f, copy, size) > 0 && memcmp(copy, data, size) == 0;

	if (ret_fixed)
		*ret_fixed = copy;
	else
		free(copy);
	return right;
}

/* The root-level checksum fields of a decoded tree (the ones format_fix_checksums_raw fixes). */
static bool in_root_sum(const struct format_node *root, size_t pos)
{
	for (size_t i = 0; i < root->n_kids; i++) {
		const struct format_node *k = root->kids[i];

		if (k->kind == FORMAT_NODE_UINT && k->item->role == FORMAT_ROLE_CHECKSUM &&
		    pos >= k->offset && pos < k->offset + k->size)
			return true;
	}
	return false;
}

void byte_units_init(struct byte_units *b, const struct format *f, const uint8_t *seed,
		     size_t seed_size, const uint8_t *cur, size_t cur_size)
{
	struct format_node *tree = NULL;
	size_t m = min_size(seed_size, cur_size);

	*b = (struct byte_units){.f = f,
				 .seed = seed,
				 .cur = cur,
				 .seed_size = seed_size,
				 .cur_size = cur_size,
				 .length = seed_size != cur_size};
	/* A blind mutation had its checksum recomputed unless it said stale: then every
	 * candidate gets it recomputed too, and its bytes are no unit of their own. */
	if (f && format_decode(f, seed, seed_size, &tree, NULL) == 0)
		b->fix_checksums = sums_right(f, cur, cur_size, NULL);
	b->pos = xcalloc(m ? m : 1, sizeof(*b->pos));
	for (size_t i = 0; i < m; i++)
		if (seed[i] != cur[i] && !(b->fix_checksums && in_root_sum(tree, i)))
			b->pos[b->n_pos++] = i;
	format_node_free(tree);
}

void byte_units_finish(struct byte_units *b)
{
	free(b->pos);
	*b = (struct byte_units){0};
}

static int bytes_build(void *ctx, const bool *keep, uint8_t **ret, size_t *ret_size,
		       char **ret_error)
{
	struct byte_units *b = ctx;
	size_t size = b->length && keep[b->n_pos] ? b->cur_size : b->seed_size;
	uint8_t *buf = xmalloc(size ? size : 1);

	(void)ret_error;
	memcpy(buf, b->seed, min_size(size, b->seed_size));
	if (size > b->seed_size)
		memcpy(buf + b->seed_size, b->cur + b->seed_size, size - b->seed_size);
	for (size_t i = 0; i < b->n_pos; i++)
		if (keep[i])
			buf[b->pos[i]] = b->cur[b->pos[i]];
	if (b->fix_checksums)
		format_fix_checksums_raw(b->f, buf, size);
	*ret = buf;
	*ret_size = size;
	return 0;
}

static char *bytes_name(void *ctx, size_t i)
{
	struct byte_units *b = ctx;

	if (i == b->n_pos)
		return xasprintf("size %zu -> %zu", b->seed_size, b->cur_size);
	return xasprintf("byte %zu (0x%02x -> 0x%02x)", b->pos[i], b->seed[b->pos[i]],
			 b->cur[b->pos[i]]);
}

struct shrink_units byte_units_view(struct byte_units *b)
{
	return (struct shrink_units){
	    .n = b->n_pos + b->length, .build = bytes_build, .name = bytes_name, .ctx = b};
}

/* ---- explaining what is left ---- */

struct bex {
	const struct format *f;
	const uint8_t *seed, *data;
	size_t seed_size, size;
	uint8_t *fixed; /* data with its root checksums fixed up */
	bool sums_right;
	char ***lines;
	size_t *n;
};

static bool differs_in(const struct bex *x, size_t a, size_t b)
{
	for (size_t i = a; i < b && i < x->size && i < x->seed_size; i++)
		if (x->seed[i] != x->data[i])
			return true;
	return false;
}

/* One line for a field of the seed whose bytes changed. */
static void leaf_line(struct bex *x, const struct format_node *l)
{
	_cleanup_free_ char *label = tree_node_label(l->parent, l->item->name);
	_cleanup_free_ char *a = NULL, *b = NULL;
	if (l->kind == FORMAT_NODE_BYTES) {
		size_t end = min_size(l->offset + l->len, x->size);
		a = shrink_fmt_bytes(l->bytes, l->len);
		b = shrink_fmt_bytes(x->data + l->offset, end > l->offset ? end - l->offset : 0);
		lines_push(x->lines, x->n, xasprintf("%s %s -> %s", label, a, b));
		return;
	}
	a = shrink_fmt_uint(l->value);
	if (l->offset + l->item->width > x->size) {
		lines_push(x->lines, x->n, xasprintf("%s %s -> (cut off)", label, a));
		return;
	}
	uint64_t v = read_uint(x->data + l->offset, l->item->width, l->item->big_endian);
	_cleanup_free_ char *note = NULL, *why = NULL;

	b = shrink_fmt_uint(v);
	if (l->item->role == FORMAT_ROLE_CHECKSUM)
		why = xstrdup(x->sums_right ? "fixed up for the changed bytes"
					    : "not what it covers gives");
	else if (__builtin_popcountll(l->value ^ v) == 1)
		why = xasprintf("bit %d flipped", __builtin_ctzll(l->value ^ v));
	/* the other fields as the seed has them: the input itself does not decode */
	note = tree_describe(l->item->description, a, b, l->parent);
	lines_push(x->lines, x->n,
		   xasprintf("%s %s -> %s%s%s%s%s%s", label, a, b, why || note ? " (" : "",
			     why ? why : "", why && note ? "; " : "", note ? note : "",
			     why || note ? ")" : ""));
}

/* A root checksum the changes left as the seed had it, although what it covers changed. */
static void stale_sum_line(struct bex *x, const struct format_node *l)
{
	_cleanup_free_ char *label = tree_node_label(l->parent, l->item->name);
	_cleanup_free_ char *a = shrink_fmt_uint(l->value), *b = NULL;

	if (l->parent->parent || x->sums_right || l->offset + l->item->width > x->size)
		return;
	b = shrink_fmt_uint(read_uint(x->fixed + l->offset, l->item->width, l->item->big_endian));
	lines_push(
	    x->lines, x->n,
	    xasprintf("%s %s left as in the seed (stale: what it covers gives %s)", label, a, b));
}

/* The changed bytes named by the seed's fields. */
static void by_fields(struct bex *x, struct format_node *tree)
{
	_cleanup_free_ struct format_node **leaves = NULL;
	size_t n = 0;

	format_node_leaves(tree, &leaves, &n);
	/* the fields first, then the checksums over them */
	for (int sums = 0; sums < 2; sums++)
		for (size_t i = 0; i < n; i++) {
			const struct format_node *l = leaves[i];
			bool sum =
			    l->kind == FORMAT_NODE_UINT && l->item->role == FORMAT_ROLE_CHECKSUM;

			if (sum != (sums == 1))
				continue;
			if (differs_in(x, l->offset, l->offset + l->size))
				leaf_line(x, l);
			else if (sum)
				stale_sum_line(x, l);
		}
	if (x->size < x->seed_size)
		for (size_t i = 0; i < n; i++) {
			const struct format_node *l = leaves[i];
			_cleanup_free_ char *label = NULL;

			if (x->size < l->offset || x->size >= l->offset + l->size)
				continue;
			label = tree_node_label(l->parent, l->item->name);
			lines_push(x->lines, x->n,
				   xasprintf("the input ends after %zu of the seed's %zu bytes, "
					     "%s %s",
					     x->size, x->seed_size,
					     x->size == l->offset ? "before" : "inside", label));
			break;
		}
}

/* Without the seed's fields: ranges of changed bytes. */
static void by_offsets(struct bex *x)
{
	size_t m = min_size(x->seed_size, x->size);

	for (size_t i = 0; i < m;) {
		size_t j = i;

		if (x->seed[i] == x->data[i]) {
			i++;
			continue;
		}
		while (j < m && x->seed[j] != x->data[j])
			j++;
		_cleanup_free_ char *a = shrink_fmt_bytes(x->seed + i, j - i);
		_cleanup_free_ char *b = shrink_fmt_bytes(x->data + i, j - i);
		lines_push(x->lines, x->n, xasprintf("bytes %zu-%zu: %s -> %s", i, j - 1, a, b));
		i = j;
	}
	if (x->size < x->seed_size)
		lines_push(x->lines, x->n,
			   xasprintf("the input ends after %zu of the seed's %zu bytes", x->size,
				     x->seed_size));
}

void bytes_explain(const struct format *f, const uint8_t *seed, size_t seed_size,
		   const uint8_t *data, size_t size, char ***lines, size_t *n)
{
	struct bex x = {.f = f,
			.seed = seed,
			.data = data,
			.seed_size = seed_size,
			.size = size,
			.lines = lines,
			.n = n};
	struct format_node *tree = NULL, *back = NULL;
	_cleanup_free_ char *err = NULL;

	if (f) {
		x.sums_right = sums_right(f, data, size, &x.fixed);
		if (format_decode(f, seed, seed_size, &tree, NULL) < 0)
			tree = NULL;
	}
	if (tree)
		by_fields(&x, tree);
	else
		by_offsets(&x);
	if (size > seed_size) {
		_cleanup_free_ char *b = shrink_fmt_bytes(data + seed_size, size - seed_size);
		lines_push(lines, n,
			   xasprintf("%zu bytes added after the seed's %zu: %s", size - seed_size,
				     seed_size, b));
	}
	if (f && format_decode(f, data, size, &back, &err) < 0)
		lines_push(lines, n,
			   xasprintf("it does not decode as %s: %s", format_name(f), err));
	format_node_free(back);
	format_node_free(tree);
	free(x.fixed);
}
