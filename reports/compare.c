/* compare.c — see compare.h. */
#include "compare.h"

#include "escape.h"
#include "render.h"
#include "strmap.h"
#include "util.h"

#define MAX_CHANGES_SHOWN 200

static char *sig_key(const struct record *r)
{
	return xasprintf("%s\x1f%s", r->sensor, record_signature(r));
}

static char *case_key(const struct record *r)
{
	return xasprintf("%s\x1f%s", r->sensor, r->case_id);
}

/* The signatures of run, deduplicated, in file order; map from key to index. */
static struct compare_sig *collect_sigs(const struct rundir *run, struct strmap *map, size_t *ret_n)
{
	struct compare_sig *v = NULL;
	size_t n = 0, alloc = 0;

	for (size_t i = 0; i < run->n_records; i++) {
		const struct record *r = &run->records[i];
		_cleanup_free_ char *key = NULL;
		bool created;
		size_t *slot;

		if (!record_signature(r))
			continue;
		key = sig_key(r);
		slot = strmap_put(map, key, n, &created);
		if (!created) {
			v[*slot].count++;
			continue;
		}
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			v = xreallocarray(v, alloc, sizeof(*v));
		}
		v[n++] = (struct compare_sig){
		    .sensor = r->sensor,
		    .title = record_signature(r),
		    .kind = r->kind,
		    .count = 1,
		    .first = r,
		};
	}
	*ret_n = n;
	return v;
}

/* Those of a that are not in b_map. */
static struct compare_sig *difference(const struct compare_sig *a, size_t n_a, struct strmap *b_map,
				      size_t *ret_n)
{
	struct compare_sig *v = xcalloc(n_a + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < n_a; i++) {
		_cleanup_free_ char *key = sig_key(a[i].first);
		if (!strmap_get(b_map, key))
			v[n++] = a[i];
	}
	*ret_n = n;
	return v;
}

int compare_runs(const struct rundir *base, const struct rundir *new, struct compare_result **ret)
{
	struct compare_result *c = xzalloc(sizeof(*c));
	struct strmap *base_sigs = strmap_new(), *new_sigs = strmap_new();
	struct strmap *base_cases = strmap_new();
	struct compare_sig *bs, *ns;
	size_t n_bs, n_ns, alloc = 0;

	bs = collect_sigs(base, base_sigs, &n_bs);
	ns = collect_sigs(new, new_sigs, &n_ns);
	c->new_sigs = difference(ns, n_ns, base_sigs, &c->n_new_sigs);
	c->gone_sigs = difference(bs, n_bs, new_sigs, &c->n_gone_sigs);
	c->n_kept_sigs = n_ns - c->n_new_sigs;
	c->regression = c->n_new_sigs > 0;

	for (size_t i = 0; i < base->n_records; i++) {
		_cleanup_free_ char *key = case_key(&base->records[i]);
		strmap_put(base_cases, key, i, NULL);
	}
	for (size_t i = 0; i < new->n_records; i++) {
		const struct record *r = &new->records[i];
		_cleanup_free_ char *key = case_key(r);
		size_t *slot = strmap_get(base_cases, key);

		if (!slot) {
			c->n_only_new++;
			continue;
		}
		c->n_common++;
		if (streq(base->records[*slot].verdict, r->verdict))
			continue;
		if (c->n_changes == alloc) {
			alloc = alloc ? 2 * alloc : 16;
			c->changes = xreallocarray(c->changes, alloc, sizeof(*c->changes));
		}
		c->changes[c->n_changes++] = (struct compare_change){
		    .base = &base->records[*slot],
		    .new = r,
		};
	}
	c->n_only_base = base->n_records - c->n_common;

	free(bs);
	free(ns);
	strmap_free(base_sigs);
	strmap_free(new_sigs);
	strmap_free(base_cases);
	*ret = c;
	return 0;
}

struct compare_result *compare_result_free(struct compare_result *c)
{
	if (!c)
		return NULL;
	free(c->new_sigs);
	free(c->gone_sigs);
	free(c->changes);
	free(c);
	return NULL;
}

static const char *run_name(const struct rundir *r)
{
	return r->run_id ? r->run_id : r->dir;
}

static void sig_table(FILE *f, const struct compare_sig *v, size_t n, bool replay)
{
	fprintf(f,
		"| sensor | signature | verdict | count | first case |%s\n"
		"|---|---|---|---:|---|%s\n",
		replay ? " replay |" : "", replay ? "---|" : "");
	for (size_t i = 0; i < n; i++) {
		fputs("| ", f);
		escape_markdown(f, v[i].sensor);
		fputs(" | ", f);
		escape_markdown(f, v[i].title);
		fprintf(f, " | %s | %zu | ", verdict_name(v[i].kind), v[i].count);
		escape_markdown(f, v[i].first->case_id);
		if (replay) {
			_cleanup_free_ char *cmd = render_replay_command(v[i].first);
			fputs(" | ", f);
			escape_markdown_code(f, cmd, true);
		}
		fputs(" |\n", f);
	}
	fputc('\n', f);
}

int compare_write_markdown(FILE *f, const struct compare_result *c, const struct rundir *base,
			   const struct rundir *new)
{
	size_t shown;

	fputs("# faultline compare\n\n", f);
	fputs("Base: ", f);
	escape_markdown_code(f, run_name(base), false);
	fputs(", new: ", f);
	escape_markdown_code(f, run_name(new), false);
	fputs(".\n\n", f);
	for (int i = 0; i < 2; i++) {
		const struct rundir *r = i ? new : base;
		if (!r->n_skipped)
			continue;
		fprintf(f, "> **Note:** %zu %s of `results.jsonl` in %s run skipped%s.\n\n",
			r->n_skipped, render_plural(r->n_skipped, "line", "lines"),
			i ? "the new" : "the base",
			r->last_truncated ? " (truncated last line: the run was killed)" : "");
	}

	if (c->regression)
		fprintf(f, "**Regression: %zu new crash or hang %s.**\n\n", c->n_new_sigs,
			render_plural(c->n_new_sigs, "signature", "signatures"));
	else
		fputs("No new crash or hang signature.\n\n", f);
	fprintf(
	    f,
	    "%zu cases in both runs, %zu with a different verdict; %zu only in base, %zu only in "
	    "new. Signatures: %zu new, %zu gone, %zu in both.\n\n",
	    c->n_common, c->n_changes, c->n_only_base, c->n_only_new, c->n_new_sigs, c->n_gone_sigs,
	    c->n_kept_sigs);

	fprintf(f, "## New signatures (%zu)\n\n", c->n_new_sigs);
	if (c->n_new_sigs)
		sig_table(f, c->new_sigs, c->n_new_sigs, true);
	else
		fputs("None.\n\n", f);
	fprintf(f, "## Signatures no longer seen (%zu)\n\n", c->n_gone_sigs);
	if (c->n_gone_sigs)
		sig_table(f, c->gone_sigs, c->n_gone_sigs, false);
	else
		fputs("None.\n\n", f);

	fprintf(f, "## Verdict changes (%zu)\n\n", c->n_changes);
	if (!c->n_changes) {
		fputs("None.\n", f);
		return ferror(f) ? -EIO : 0;
	}
	shown = c->n_changes < MAX_CHANGES_SHOWN ? c->n_changes : MAX_CHANGES_SHOWN;
	fputs("| sensor | case | base | new | new title |\n|---|---|---|---|---|\n", f);
	for (size_t i = 0; i < shown; i++) {
		const struct compare_change *ch = &c->changes[i];

		fputs("| ", f);
		escape_markdown(f, ch->new->sensor);
		fputs(" | ", f);
		escape_markdown(f, ch->new->case_id);
		fputs(" | ", f);
		escape_markdown(f, ch->base->verdict);
		fputs(" | ", f);
		escape_markdown(f, ch->new->verdict);
		fputs(" | ", f);
		escape_markdown(f, ch->new->title ? ch->new->title : "");
		fputs(" |\n", f);
	}
	if (shown < c->n_changes)
		fprintf(f, "\n%zu more changes not shown.\n", c->n_changes - shown);
	return ferror(f) ? -EIO : 0;
}
