/* aggregate.c — see aggregate.h. */
#include "aggregate.h"

#include "strmap.h"
#include "util.h"

#define N_SLOWEST 10

static void count(struct aggregate_counts *c, const struct runread_record *r)
{
	c->n++;
	c->v[r->kind]++;
	if (runread_record_silent_accept(r))
		c->silent_accept++;
}

enum runread_verdict aggregate_worst(const struct aggregate_counts *c)
{
	for (int v = 0; v < _RUNREAD_VERDICT_MAX; v++)
		if (c->v[v])
			return v;
	return _RUNREAD_VERDICT_MAX;
}

const struct aggregate_counts *aggregate_cell(const struct aggregate *a, size_t sensor, size_t cls)
{
	return &a->cells[sensor * a->n_classes + cls];
}

static size_t intern(struct strmap *map, const char *key, size_t *n)
{
	bool created;
	size_t *slot = strmap_put(map, key, *n, &created);

	if (created)
		(*n)++;
	return *slot;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_class(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	if (streq(x, "seed") || streq(y, "seed"))
		return streq(y, "seed") - streq(x, "seed");
	return strcmp(x, y);
}

static int cmp_sig(const void *a, const void *b)
{
	const struct aggregate_signature *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return strcmp(x->title, y->title);
}

static int cmp_slow(const void *a, const void *b)
{
	const struct runread_record *x = *(const struct runread_record *const *)a;
	const struct runread_record *y = *(const struct runread_record *const *)b;

	return (x->total_ms < y->total_ms) - (x->total_ms > y->total_ms);
}

/* Keep the N_SLOWEST records with the largest total time, without sorting everything. */
static void consider_slow(struct aggregate *a, const struct runread_record *r)
{
	if (r->total_ms < 0)
		return;
	if (a->n_slowest < N_SLOWEST) {
		a->slowest[a->n_slowest++] = r;
		qsort(a->slowest, a->n_slowest, sizeof(*a->slowest), cmp_slow);
		return;
	}
	if (r->total_ms <= a->slowest[N_SLOWEST - 1]->total_ms)
		return;
	a->slowest[N_SLOWEST - 1] = r;
	qsort(a->slowest, a->n_slowest, sizeof(*a->slowest), cmp_slow);
}

static int64_t pct(const int64_t *v, size_t n, unsigned p)
{
	size_t rank;

	if (n == 0)
		return -1;
	/* Nearest rank: the smallest value with at least p% of the values at or below it. */
	rank = (n * p + 99) / 100;
	return v[rank ? rank - 1 : 0];
}

struct times {
	int64_t *total, *boot;
	size_t n_total, n_boot;
};

static void sensor_times(struct aggregate_sensor *s, struct times *t)
{
	qsort(t->total, t->n_total, sizeof(int64_t), cmp_i64);
	qsort(t->boot, t->n_boot, sizeof(int64_t), cmp_i64);
	s->n_timed = t->n_total;
	s->time_median_ms = pct(t->total, t->n_total, 50);
	s->time_p90_ms = pct(t->total, t->n_total, 90);
	s->time_max_ms = t->n_total ? t->total[t->n_total - 1] : -1;
	s->boot_median_ms = pct(t->boot, t->n_boot, 50);
}

int aggregate_build(struct runread_run *const *runs, size_t n_runs, struct aggregate **ret)
{
	struct aggregate *a = xzalloc(sizeof(*a));
	struct strmap *sensor_map = strmap_new(), *class_map = strmap_new(),
		      *sig_map = strmap_new();
	struct strmap *sig_sensor = strmap_new();
	const char **sensor_names = NULL;
	size_t n_sensor_alloc = 0, n_sig_alloc = 0, n_failing_alloc = 0, *class_rank;
	size_t *rec_sensor, *rec_class, *last_run, ri;
	struct times *times;
	char **class_names;

	a->runs = runs;
	a->n_runs = n_runs;
	a->slowest = xcalloc(N_SLOWEST, sizeof(*a->slowest));
	for (size_t i = 0; i < n_runs; i++) {
		a->n_records += runs[i]->n_records;
		a->n_skipped += runs[i]->n_skipped;
		a->n_superseded += runs[i]->n_superseded;
	}

	/* Pass 1: name sensors and classes; remember each record's indices. */
	rec_sensor = xcalloc(a->n_records, sizeof(size_t));
	rec_class = xcalloc(a->n_records, sizeof(size_t));
	for (size_t i = 0; i < n_runs; i++)
		for (size_t j = 0; j < runs[i]->n_sensors; j++) {
			size_t before = a->n_sensors;
			intern(sensor_map, runs[i]->sensors[j], &a->n_sensors);
			if (a->n_sensors > before) {
				if (a->n_sensors > n_sensor_alloc) {
					n_sensor_alloc = n_sensor_alloc ? 2 * n_sensor_alloc : 8;
					sensor_names = xreallocarray(sensor_names, n_sensor_alloc,
								     sizeof(char *));
				}
				sensor_names[before] = runs[i]->sensors[j];
			}
		}
	ri = 0;
	for (size_t i = 0; i < n_runs; i++)
		for (size_t j = 0; j < runs[i]->n_records; j++, ri++) {
			const struct runread_record *r = &runs[i]->records[j];
			size_t before = a->n_sensors;

			rec_sensor[ri] = intern(sensor_map, r->sensor, &a->n_sensors);
			if (a->n_sensors > before) {
				if (a->n_sensors > n_sensor_alloc) {
					n_sensor_alloc = n_sensor_alloc ? 2 * n_sensor_alloc : 8;
					sensor_names = xreallocarray(sensor_names, n_sensor_alloc,
								     sizeof(char *));
				}
				sensor_names[before] = r->sensor;
			}
			rec_class[ri] = intern(class_map, r->mutation_class, &a->n_classes);
		}

	/* Classes in display order; class_rank maps the interned index to its position. */
	class_names = xcalloc(a->n_classes + 1, sizeof(char *));
	ri = 0;
	for (size_t i = 0; i < n_runs; i++)
		for (size_t j = 0; j < runs[i]->n_records; j++, ri++)
			class_names[rec_class[ri]] = runs[i]->records[j].mutation_class;
	a->classes = xcalloc(a->n_classes + 1, sizeof(char *));
	for (size_t c = 0; c < a->n_classes; c++)
		a->classes[c] = xstrdup(class_names[c]);
	qsort(a->classes, a->n_classes, sizeof(char *), cmp_class);
	class_rank = xcalloc(a->n_classes + 1, sizeof(size_t));
	for (size_t c = 0; c < a->n_classes; c++)
		class_rank[*strmap_get(class_map, a->classes[c])] = c;
	free(class_names);

	a->sensors = xcalloc(a->n_sensors + 1, sizeof(*a->sensors));
	for (size_t s = 0; s < a->n_sensors; s++)
		a->sensors[s].name = sensor_names[s];
	a->cells = xcalloc(a->n_sensors * a->n_classes + 1, sizeof(*a->cells));
	times = xcalloc(a->n_sensors + 1, sizeof(*times));
	last_run = xcalloc(a->n_sensors + 1, sizeof(size_t));
	for (size_t s = 0; s < a->n_sensors; s++) {
		times[s].total = xcalloc(a->n_records + 1, sizeof(int64_t));
		times[s].boot = xcalloc(a->n_records + 1, sizeof(int64_t));
	}

	/* Pass 2: count. */
	ri = 0;
	for (size_t i = 0; i < n_runs; i++)
		for (size_t j = 0; j < runs[i]->n_records; j++, ri++) {
			const struct runread_record *r = &runs[i]->records[j];
			size_t si = rec_sensor[ri];
			struct aggregate_sensor *s = &a->sensors[si];
			enum runread_outcome out = runread_record_outcome(r);
			const char *sig = runread_record_signature(r);

			/* Records come run by run: a new run for this sensor starts here. */
			if (!s->n_runs || last_run[si] != i) {
				if (!s->n_runs)
					s->first_run = runs[i];
				s->n_runs++;
				last_run[si] = i;
			}
			count(&a->total, r);
			count(&s->counts, r);
			count(&a->cells[si * a->n_classes + class_rank[rec_class[ri]]], r);
			if (r->expect) {
				s->expect_total++;
				s->expect_met += streq(r->expect, r->verdict);
			}
			if (out != RUNREAD_PASS) {
				if (out == RUNREAD_FAILURE) {
					s->failures++;
					a->failures++;
				} else {
					s->errors++;
					a->errors++;
				}
				if (a->n_failing == n_failing_alloc) {
					n_failing_alloc =
					    n_failing_alloc ? 2 * n_failing_alloc : 64;
					a->failing = xreallocarray(a->failing, n_failing_alloc,
								   sizeof(*a->failing));
				}
				a->failing[a->n_failing++] = r;
			}
			if (r->total_ms >= 0) {
				times[si].total[times[si].n_total++] = r->total_ms;
				s->time_sum_ms += r->total_ms;
			}
			if (r->boot_ms >= 0)
				times[si].boot[times[si].n_boot++] = r->boot_ms;
			consider_slow(a, r);

			if (sig) {
				bool created;
				size_t idx = *strmap_put(sig_map, sig, a->n_sigs, &created);
				struct aggregate_signature *g;
				_cleanup_free_ char *key = NULL;

				if (created) {
					if (a->n_sigs == n_sig_alloc) {
						n_sig_alloc = n_sig_alloc ? 2 * n_sig_alloc : 16;
						a->sigs = xreallocarray(a->sigs, n_sig_alloc,
									sizeof(*a->sigs));
					}
					a->n_sigs++;
				}
				g = &a->sigs[idx];
				if (created) {
					*g = (struct aggregate_signature){
					    .title = sig,
					    .kind = r->kind,
					    .first = r,
					    .ttc_min_ms = -1,
					    .ttc_max_ms = -1,
					};
				}
				g->count++;
				if (r->verdict_ms >= 0) {
					if (g->ttc_min_ms < 0 || r->verdict_ms < g->ttc_min_ms)
						g->ttc_min_ms = r->verdict_ms;
					if (r->verdict_ms > g->ttc_max_ms)
						g->ttc_max_ms = r->verdict_ms;
				}
				key = xasprintf("%zu\x1f%zu", idx, si);
				strmap_put(sig_sensor, key, 0, &created);
				if (created)
					s->n_signatures++;
			}
		}

	{
		int64_t max = -1;

		for (size_t s = 0; s < a->n_sensors; s++) {
			sensor_times(&a->sensors[s], &times[s]);
			if (a->sensors[s].time_max_ms > max)
				max = a->sensors[s].time_max_ms;
		}
		/* One scale for all sensors, so that their histograms compare at a glance. */
		if (max >= 0)
			a->time_bin_ms = max / AGGREGATE_TIME_BINS + 1;
		for (size_t s = 0; s < a->n_sensors; s++) {
			for (size_t i = 0; i < times[s].n_total; i++)
				a->sensors[s].time_bins[times[s].total[i] / a->time_bin_ms]++;
			free(times[s].total);
			free(times[s].boot);
		}
		free(times);
	}

	/* Which sensors each signature was seen on, in sensor order. */
	for (size_t g = 0; g < a->n_sigs; g++) {
		char *buf = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&buf, &size);
		bool first = true;

		if (!f)
			abort();
		for (size_t s = 0; s < a->n_sensors; s++) {
			_cleanup_free_ char *key = xasprintf("%zu\x1f%zu", g, s);
			if (!strmap_get(sig_sensor, key))
				continue;
			fprintf(f, "%s%s", first ? "" : ", ", a->sensors[s].name);
			first = false;
		}
		fclose(f);
		a->sigs[g].sensors = buf;
	}
	if (a->n_sigs)
		qsort(a->sigs, a->n_sigs, sizeof(*a->sigs), cmp_sig);

	free(class_rank);
	free(last_run);
	free(rec_sensor);
	free(rec_class);
	free(sensor_names);
	strmap_free(sensor_map);
	strmap_free(class_map);
	strmap_free(sig_map);
	strmap_free(sig_sensor);
	*ret = a;
	return 0;
}

struct aggregate *aggregate_free(struct aggregate *a)
{
	if (!a)
		return NULL;
	for (size_t c = 0; c < a->n_classes; c++)
		free(a->classes[c]);
	free(a->classes);
	for (size_t g = 0; g < a->n_sigs; g++)
		free(a->sigs[g].sensors);
	free(a->sigs);
	free(a->sensors);
	free(a->cells);
	free(a->failing);
	free(a->slowest);
	free(a);
	return NULL;
}
