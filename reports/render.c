/* render.c — see render.h. */
#include "render.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *render_ms(char buf[32], int64_t ms)
{
	if (ms < 0)
		snprintf(buf, 32, "\xe2\x80\x93");
	else if (ms < 1000)
		snprintf(buf, 32, "%" PRId64 " ms", ms);
	else if (ms < 60000)
		snprintf(buf, 32, "%.1f s", (double)ms / 1000.0);
	else
		snprintf(buf, 32, "%" PRId64 " min %02" PRId64 " s", ms / 60000, (ms / 1000) % 60);
	return buf;
}

const char *render_count(char buf[32], size_t n)
{
	char digits[32];
	int len = snprintf(digits, sizeof(digits), "%zu", n), o = 0;

	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = 0;
	return buf;
}

const char *render_percent(char buf[32], size_t part, size_t whole)
{
	double p = whole ? 100.0 * (double)part / (double)whole : 0.0;

	if (p == 0.0 || p >= 10.0)
		snprintf(buf, 32, "%.0f%%", p);
	else if (p >= 0.1)
		snprintf(buf, 32, "%.1f%%", p);
	else
		snprintf(buf, 32, "%.2f%%", p);
	return buf;
}

const char *render_plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

char *render_replay_command(const struct record *r)
{
	const char *dir = r->run->dir;
	size_t n = strlen(dir);
	_cleanup_free_ char *path = NULL, *qpath = NULL, *qsensor = shell_quote(r->sensor);

	/* "run/" and "run" give the same command. */
	while (n > 1 && dir[n - 1] == '/')
		n--;
	/* Folder, case and sensor names come from files anyone may have written: the command
	 * is pasted into a shell. */
	path = xasprintf("%.*s/%s", (int)n, dir, r->case_id);
	qpath = shell_quote(path);
	return xasprintf("faultline replay %s --sensor %s", qpath, qsensor);
}

const char *render_boots(char buf[32], double boots)
{
	if (boots < 0)
		snprintf(buf, 32, "\xe2\x80\x93");
	else
		snprintf(buf, 32, "%.1f", boots);
	return buf;
}

static FILE *memstream(char **buf, size_t *size)
{
	FILE *f = open_memstream(buf, size);

	if (!f)
		abort();
	return f;
}

/* The recovery mechanisms' clause: "counter and manual brought 3 of 3 back in 1.0–3.0 boots". */
static void answer_mechanisms(FILE *f, const struct aggregate *a, size_t s)
{
	size_t n = 0, k = 0, followed = 0, recovered = 0, loops = 0;
	double lo = -1, hi = -1;
	char b1[32], b2[32];

	for (size_t i = 0; i < a->n_recovery; i++) {
		const struct aggregate_recovery *row = &a->recovery[i];

		if (row->sensor_index != s || streq(row->mechanism, "none"))
			continue;
		n++;
		followed += row->followed;
		recovered += row->recovered;
		loops += row->loops;
		if (row->boots_median >= 0 && (lo < 0 || row->boots_median < lo))
			lo = row->boots_median;
		if (row->boots_median > hi)
			hi = row->boots_median;
	}
	if (!n)
		return;
	for (size_t i = 0; i < a->n_recovery; i++) {
		const struct aggregate_recovery *row = &a->recovery[i];

		if (row->sensor_index != s || streq(row->mechanism, "none"))
			continue;
		k++;
		fprintf(f, "%s%s", k == 1 ? "" : k == n ? " and " : ", ", row->mechanism);
	}
	if (!recovered)
		fprintf(f, " brought none of %zu back", followed);
	else if (lo == hi)
		fprintf(f, " brought %zu of %zu back in %s boots", recovered, followed,
			render_boots(b1, lo));
	else
		fprintf(f, " brought %zu of %zu back in %s\xe2\x80\x93%s boots", recovered,
			followed, render_boots(b1, lo), render_boots(b2, hi));
	if (loops)
		fprintf(f, ", %zu stayed in a boot loop", loops);
	fputs("; ", f);
}

char *render_recovery_answer(const struct aggregate *a, size_t s)
{
	const struct aggregate_recovery *none = NULL;
	size_t infra = 0, rows = 0, len;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	for (size_t i = 0; i < a->n_recovery; i++) {
		if (a->recovery[i].sensor_index != s)
			continue;
		rows++;
		infra += a->recovery[i].infra;
		if (streq(a->recovery[i].mechanism, "none"))
			none = &a->recovery[i];
	}
	if (!rows)
		return NULL;
	f = memstream(&buf, &size);
	fprintf(f, "%s: ", a->sensors[s].name);
	if (none && none->loops)
		fprintf(f, "%zu of %zu machines stuck in a boot loop without recovery; ",
			none->loops, none->followed);
	if (none && none->recovered)
		fprintf(f, "%zu of %zu machines came back without a recovery mechanism; ",
			none->recovered, none->followed);
	answer_mechanisms(f, a, s);
	if (infra)
		fprintf(f, "%zu %s ended in an infra error; ", infra,
			render_plural(infra, "follow-up", "follow-ups"));
	fclose(f);
	/* the last clause's "; " becomes the full stop */
	len = strlen(buf);
	if (len >= 2 && streq(buf + len - 2, "; "))
		strcpy(buf + len - 2, ".");
	return buf;
}

/* "3 boots, crashed at 2.9 s each", "3 boots, 2 crashed between 2.9 s and 3.5 s, 1 hung" */
static void loop_boots(FILE *f, const struct record_reboot *rb)
{
	size_t crashed = 0, hung = 0, safe = 0;
	int64_t lo = -1, hi = -1;
	char b1[32], b2[32];

	for (size_t i = 0; i < rb->n_boots; i++) {
		const struct record_boot *x = &rb->boots[i];

		if (x->safe) {
			safe++;
			continue;
		}
		if (verdict_is(x->verdict, VERDICT_ACCEPTED))
			continue;
		if (verdict_is(x->verdict, VERDICT_HANG)) {
			hung++;
			continue;
		}
		crashed++;
		if (x->died_at_ms >= 0 && (lo < 0 || x->died_at_ms < lo))
			lo = x->died_at_ms;
		if (x->died_at_ms > hi)
			hi = x->died_at_ms;
	}
	fprintf(f, "%zu %s", rb->n_boots, render_plural(rb->n_boots, "boot", "boots"));
	if (safe)
		fprintf(f, " (%zu in safe mode)", safe);
	if (crashed) {
		fputs(", ", f);
		if (crashed != rb->n_boots)
			fprintf(f, "%zu ", crashed);
		fputs("crashed", f);
		if (lo < 0)
			fputs(crashed > 1 ? " each time" : "", f);
		else if (streq(render_ms(b1, lo), render_ms(b2, hi)))
			fprintf(f, " at %s%s", b1, crashed > 1 ? " each" : "");
		else
			fprintf(f, " between %s and %s", b1, b2);
	}
	if (hung)
		fprintf(f, ", %zu hung", hung);
}

char *render_reboot_case(const struct record *r)
{
	const struct record_reboot *rb = &r->reboot;
	const char *outcome = rb->outcome ? rb->outcome : "";
	char *buf = NULL, b[32];
	size_t size = 0;
	FILE *f;

	if (!rb->first_verdict)
		return NULL;
	f = memstream(&buf, &size);
	if (verdict_is(outcome, VERDICT_BOOT_LOOP)) {
		loop_boots(f, rb);
		if (!aggregate_loop_titles_agree(r))
			fputs("; the crash titles differ", f);
	} else if (verdict_is(outcome, VERDICT_RECOVERED)) {
		if (!rb->mechanism || streq(rb->mechanism, "none"))
			fputs("came back by itself", f);
		else
			fprintf(f, "recovered by %s", rb->mechanism);
		fprintf(f, " after %zu %s", rb->n_boots,
			render_plural(rb->n_boots, "boot", "boots"));
		if (rb->recovery_wall_ms >= 0)
			fprintf(f, " in %s", render_ms(b, rb->recovery_wall_ms));
	} else {
		fprintf(f, "followed for %zu %s, then %s", rb->n_boots,
			render_plural(rb->n_boots, "boot", "boots"),
			verdict_is(outcome, VERDICT_INFRA_ERROR) ? "an infra error"
			: *outcome				 ? outcome
								 : "no outcome");
		if (rb->detail)
			fprintf(f, ": %s", rb->detail);
	}
	fclose(f);
	return buf;
}

char *render_shard_note(const struct rundir *r)
{
	if (r->shard_n)
		return xasprintf("shard %u/%u: %zu of the scenario's %zu jobs; the other shards' "
				 "jobs are not in this run (faultline merge puts the shards "
				 "together)",
				 r->shard_k, r->shard_n, r->shard_jobs, r->jobs);
	if (r->n_missing)
		return xasprintf("merged from %zu of %zu shards: the jobs of the %zu missing are "
				 "not in this run (see missing_shards in its run.json)",
				 r->n_merged, r->n_merged + r->n_missing, r->n_missing);
	return NULL;
}
