/* format-path.c — see format.h. This file: paths into a decoded tree (finding nodes by
 * "sections[*].rules[last].opcode", a node's canonical path, the leaves in document order). */
#include "format-internal.h"

static bool transparent(const struct format_node *n)
{
	return n->kind == FORMAT_NODE_RECORD && !n->item->repeated;
}

static void find_name(struct format_node *rec, const char *name, size_t nlen,
		      struct format_node **out)
{
	for (size_t i = 0; i < rec->n_kids && !*out; i++) {
		struct format_node *k = rec->kids[i];

		if (strlen(k->item->name) == nlen && !strncmp(k->item->name, name, nlen))
			*out = k;
		else if (transparent(k))
			find_name(k, name, nlen, out);
	}
}

static void push_node(struct format_node ***v, size_t *n, struct format_node *x)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = x;
}

/* One segment of a path: NAME, NAME[N], NAME[last] or NAME[*]. */
struct segment {
	const char *text;
	size_t len;  /* of the whole segment */
	size_t nlen; /* of its name */
	enum { INDEX_NONE, INDEX_NUMBER, INDEX_LAST, INDEX_ALL } index;
	uint64_t n;
};

static int parse_segment(const char *p, const char *path, struct segment *ret, char **ret_error)
{
	struct segment g = {.text = p, .len = strcspn(p, ".")};
	const char *br = memchr(p, '[', g.len), *close;

	g.nlen = br ? (size_t)(br - p) : g.len;
	if (br) {
		close = memchr(br, ']', g.len - (size_t)(br - p));
		if (!close || close != p + g.len - 1 || close == br + 1) {
			*ret_error = xasprintf("bad index in '%.*s'; expected NAME[N], NAME[last] "
					       "or NAME[*]",
					       (int)g.len, p);
			return -EINVAL;
		}
		if (close - br == 2 && br[1] == '*')
			g.index = INDEX_ALL;
		else if (close - br == 5 && !strncmp(br + 1, "last", 4))
			g.index = INDEX_LAST;
		else {
			g.index = INDEX_NUMBER;
			for (const char *d = br + 1; d < close; d++) {
				if (*d < '0' || *d > '9' || g.n > 100000000) {
					*ret_error = xasprintf("bad index in '%.*s'; expected a "
							       "number, last or *",
							       (int)g.len, p);
					return -EINVAL;
				}
				g.n = g.n * 10 + (uint64_t)(*d - '0');
			}
		}
	}
	if (g.nlen == 0) {
		*ret_error = xasprintf("empty name in path '%s'", path);
		return -EINVAL;
	}
	*ret = g;
	return 0;
}

/* What segment g names inside record node x, appended to next. */
static int step(struct format_node *root, struct format_node *x, const struct segment *g,
		struct format_node ***next, size_t *n_next, char **ret_error)
{
	struct format_node *hit = NULL;

	if (x->kind != FORMAT_NODE_RECORD) {
		*ret_error =
		    xasprintf("'%.*s': %s is not a record", (int)g->nlen, g->text, x->item->name);
		return -EINVAL;
	}
	find_name(x, g->text, g->nlen, &hit);
	if (!hit) {
		*ret_error = xasprintf("no field '%.*s' in %s", (int)g->nlen, g->text,
				       x == root ? "the file" : x->item->name);
		return -EINVAL;
	}
	if (g->index == INDEX_NONE) {
		push_node(next, n_next, hit);
		return 0;
	}
	if (hit->kind != FORMAT_NODE_ARRAY) {
		*ret_error =
		    xasprintf("'%.*s' is not repeated; drop the [index]", (int)g->nlen, g->text);
		return -EINVAL;
	}
	switch (g->index) {
	case INDEX_ALL:
		for (size_t j = 0; j < hit->n_kids; j++)
			push_node(next, n_next, hit->kids[j]);
		break;
	case INDEX_LAST:
		if (hit->n_kids == 0) {
			*ret_error =
			    xasprintf("'%.*s' is empty: no last element", (int)g->len, g->text);
			return -EINVAL;
		}
		push_node(next, n_next, hit->kids[hit->n_kids - 1]);
		break;
	default:
		if (g->n >= hit->n_kids) {
			*ret_error = xasprintf("'%.*s': index out of range (%zu elements)",
					       (int)g->len, g->text, hit->n_kids);
			return -EINVAL;
		}
		push_node(next, n_next, hit->kids[g->n]);
		break;
	}
	return 0;
}

/* Does x lack the field g names (rather than g being wrong for it)? */
static bool missing(struct format_node *x, const struct segment *g)
{
	struct format_node *hit = NULL;

	if (x->kind != FORMAT_NODE_RECORD)
		return false;
	find_name(x, g->text, g->nlen, &hit);
	return !hit;
}

int format_node_find(struct format_node *root, const char *path, struct format_node ***nodes,
		     size_t *n_nodes, char **ret_error)
{
	_cleanup_free_ struct format_node **cur = NULL;
	size_t n_cur = 0;
	const char *p = path;
	bool wild = false; /* a [*] came before: elements may differ (union cases) */
	int r;

	push_node(&cur, &n_cur, root);
	if (!*p) {
		*ret_error = xstrdup("empty path");
		return -EINVAL;
	}
	while (*p) {
		_cleanup_free_ struct format_node **next = NULL;
		size_t n_next = 0;
		struct segment g;

		r = parse_segment(p, path, &g, ret_error);
		if (r < 0)
			return r;
		_cleanup_free_ char *miss = NULL;

		for (size_t i = 0; i < n_cur; i++) {
			char *err = NULL;

			r = step(root, cur[i], &g, &next, &n_next, &err);
			if (r < 0 && (!wild || !missing(cur[i], &g))) {
				*ret_error = err;
				return r;
			}
			/* After [*], a name that some elements lack (another union case) selects
			 * the elements that have it. */
			if (r < 0 && !miss)
				miss = err;
			else
				free(err);
		}
		if (n_next == 0 && miss) {
			*ret_error =
			    xasprintf("%s (in none of the %zu elements [*] selects)", miss, n_cur);
			return -EINVAL;
		}
		wild = wild || g.index == INDEX_ALL;
		free(cur);
		cur = TAKE_PTR(next);
		n_cur = n_next;
		p = g.text + g.len;
		if (*p == '.') {
			p++;
			if (!*p) {
				*ret_error = xasprintf("path '%s' ends with '.'", path);
				return -EINVAL;
			}
		}
	}
	for (size_t i = 0; i < n_cur; i++)
		push_node(nodes, n_nodes, cur[i]);
	return (int)n_cur;
}

char *format_node_path(const struct format_node *n)
{
	char *s = xstrdup("");

	for (const struct format_node *x = n; x && x->parent; x = x->parent) {
		char *seg;

		if (x->parent->kind == FORMAT_NODE_ARRAY) {
			size_t i;
			for (i = 0; i < x->parent->n_kids && x->parent->kids[i] != x; i++)
				;
			seg = xasprintf("%s[%zu]", x->item->name, i);
			x = x->parent; /* the array node carries the same name */
		} else if (transparent(x) && x != n) {
			continue;
		} else {
			seg = xstrdup(x->item->name);
		}
		char *t = xasprintf("%s%s%s", seg, *s ? "." : "", s);
		free(seg);
		free(s);
		s = t;
	}
	return s;
}

void format_node_leaves(struct format_node *root, struct format_node ***nodes, size_t *n_nodes)
{
	if (root->kind == FORMAT_NODE_UINT || root->kind == FORMAT_NODE_BYTES) {
		push_node(nodes, n_nodes, root);
		return;
	}
	for (size_t i = 0; i < root->n_kids; i++)
		format_node_leaves(root->kids[i], nodes, n_nodes);
}
