/* aggregate.c — see aggregate.h. */
#include "aggregate.h"

#include "strmap.h"
#include "util.h"

#define N_SLOWEST 10

static void count(struct aggregate_counts *c, const struct record *r)
{
	c->n++;
	c->v[r->kind]++;
	if (record_silent_accept(r))
		c->silent_accept++;
}

enum aggregate_design aggregate_design_of(const struct record *r)
{
	switch (r->kind) {
	case VERDICT_BOOT_LOOP:
	case VERDICT_RECOVERED:
	case VERDICT_CRASH:
	case VERDICT_HANG:
		return AGGREGATE_DOWN;
	case VERDICT_SENSOR_DIED:
		return r->protection && !streq(r->protection, "lost") ? AGGREGATE_DIED_BACK
								      : AGGREGATE_DIED;
	case VERDICT_PROTECTION_LOST:
		return AGGREGATE_BLIND;
	case VERDICT_ACCEPTED:
		return record_silent_accept(r) ? AGGREGATE_SILENT : AGGREGATE_ACCEPTED;
	case VERDICT_REJECTED:
		return AGGREGATE_REJECTED;
	default:
		return AGGREGATE_NOT_RUN;
	}
}

static void count_design(struct aggregate_design_row *d, const struct record *r)
{
	d->n[aggregate_design_of(r)]++;
	if (r->kind == VERDICT_SENSOR_DIED && r->detail && startswith(r->detail, "crash-loop"))
		d->crash_loops++;
	if (r->protection) {
		d->protection_measured++;
		d->protection_lost += streq(r->protection, "lost");
	}
}

enum verdict aggregate_worst(const struct aggregate_counts *c)
{
	for (int v = 0; v < _VERDICT_MAX; v++)
		if (c->v[v])
			return v;
	return _VERDICT_MAX;
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
	const struct record *x = *(const struct record *const *)a;
	const struct record *y = *(const struct record *const *)b;

	return (x->total_ms < y->total_ms) - (x->total_ms > y->total_ms);
}

/* Keep the N_SLOWEST records with the largest total time, without sorting everything. */
static void consider_slow(struct aggregate *a, const struct record *r)
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
	int64_t *total, *boot, *gap;
	size_t n_total, n_boot, n_gap;
};

static void sensor_times(struct aggregate_sensor *s, struct times *t)
{
	qsort(t->total, t->n_total, sizeof(int64_t), cmp_i64);
	qsort(t->boot, t->n_boot, sizeof(int64_t), cmp_i64);
	qsort(t->gap, t->n_gap, sizeof(int64_t), cmp_i64);
	s->n_timed = t->n_total;
	s->time_median_ms = pct(t->total, t->n_total, 50);
	s->time_p90_ms = pct(t->total, t->n_total, 90);
	s->time_max_ms = t->n_total ? t->total[t->n_total - 1] : -1;
	s->boot_median_ms = pct(t->boot, t->n_boot, 50);
	s->design.n_gaps = t->n_gap;
	s->design.gap_median_ms = pct(t->gap, t->n_gap, 50);
	s->design.gap_max_ms = t->n_gap ? t->gap[t->n_gap - 1] : -1;
}

/* A record with a reboot object and its row of aggregate.recovery, until the rows' medians are
 * computed. */
struct followed {
	size_t row;
	const struct record *r;
};

/* What aggregate_build() keeps while it works. */
struct build {
	struct aggregate *a;
	struct strmap *sensor_map, *class_map, *sig_map;
	struct strmap *sig_sensor; /* "signature\x1fsensor" pairs seen */
	const char **sensor_names;
	size_t n_sensor_alloc, n_sig_alloc, n_failing_alloc;
	size_t *rec_sensor, *rec_class; /* per record, in run and file order */
	size_t *class_rank;		/* interned class index -> display position */
	size_t *last_run;		/* per sensor: the last run that had it */
	struct times *times;		/* per sensor */
	struct strmap *recovery_map;	/* "sensor index\x1fmechanism" -> row */
	struct followed *followed;	/* a->n_followed of them */
	size_t n_recovery_alloc, n_followed_alloc;
};

static size_t add_sensor(struct build *b, const char *name)
{
	struct aggregate *a = b->a;
	size_t before = a->n_sensors, i = intern(b->sensor_map, name, &a->n_sensors);

	if (a->n_sensors > before) {
		if (a->n_sensors > b->n_sensor_alloc) {
			b->n_sensor_alloc = b->n_sensor_alloc ? 2 * b->n_sensor_alloc : 8;
			b->sensor_names =
			    xreallocarray(b->sensor_names, b->n_sensor_alloc, sizeof(char *));
		}
		b->sensor_names[before] = name;
	}
	return i;
}

/* Pass 1: name sensors (run.json order first) and classes; remember each record's indices. */
static void name_all(struct build *b)
{
	struct aggregate *a = b->a;
	size_t ri = 0;

	b->rec_sensor = xcalloc(a->n_records + 1, sizeof(size_t));
	b->rec_class = xcalloc(a->n_records + 1, sizeof(size_t));
	for (size_t i = 0; i < a->n_runs; i++)
		for (size_t j = 0; j < a->runs[i]->n_sensors; j++)
			add_sensor(b, a->runs[i]->sensors[j]);
	for (size_t i = 0; i < a->n_runs; i++)
		for (size_t j = 0; j < a->runs[i]->n_records; j++, ri++) {
			const struct record *r = &a->runs[i]->records[j];

			b->rec_sensor[ri] = add_sensor(b, r->sensor);
			b->rec_class[ri] = intern(b->class_map, r->mutation_class, &a->n_classes);
		}
}

/* Classes in display order; class_rank maps the interned index to its position. */
static void order_classes(struct build *b)
{
	struct aggregate *a = b->a;
	const char **names = xcalloc(a->n_classes + 1, sizeof(char *));
	size_t ri = 0;

	for (size_t i = 0; i < a->n_runs; i++)
		for (size_t j = 0; j < a->runs[i]->n_records; j++, ri++)
			names[b->rec_class[ri]] = a->runs[i]->records[j].mutation_class;
	a->classes = xcalloc(a->n_classes + 1, sizeof(char *));
	for (size_t c = 0; c < a->n_classes; c++)
		a->classes[c] = xstrdup(names[c]);
	qsort(a->classes, a->n_classes, sizeof(char *), cmp_class);
	b->class_rank = xcalloc(a->n_classes + 1, sizeof(size_t));
	for (size_t c = 0; c < a->n_classes; c++)
		b->class_rank[*strmap_get(b->class_map, a->classes[c])] = c;
	free(names);
}

static void alloc_tables(struct build *b)
{
	struct aggregate *a = b->a;

	a->sensors = xcalloc(a->n_sensors + 1, sizeof(*a->sensors));
	for (size_t s = 0; s < a->n_sensors; s++)
		a->sensors[s].name = b->sensor_names[s];
	a->cells = xcalloc(a->n_sensors * a->n_classes + 1, sizeof(*a->cells));
	b->times = xcalloc(a->n_sensors + 1, sizeof(*b->times));
	b->last_run = xcalloc(a->n_sensors + 1, sizeof(size_t));
	for (size_t s = 0; s < a->n_sensors; s++) {
		b->times[s].total = xcalloc(a->n_records + 1, sizeof(int64_t));
		b->times[s].boot = xcalloc(a->n_records + 1, sizeof(int64_t));
		b->times[s].gap = xcalloc(a->n_records + 1, sizeof(int64_t));
	}
}

static void note_outcome(struct build *b, struct aggregate_sensor *s, const struct record *r)
{
	struct aggregate *a = b->a;
	enum record_outcome out = record_outcome(r);

	if (out == RECORD_PASS)
		return;
	if (out == RECORD_FAILURE) {
		s->failures++;
		a->failures++;
	} else {
		s->errors++;
		a->errors++;
	}
	if (a->n_failing == b->n_failing_alloc) {
		b->n_failing_alloc = b->n_failing_alloc ? 2 * b->n_failing_alloc : 64;
		a->failing = xreallocarray(a->failing, b->n_failing_alloc, sizeof(*a->failing));
	}
	a->failing[a->n_failing++] = r;
}

static void note_signature(struct build *b, size_t si, const struct record *r)
{
	struct aggregate *a = b->a;
	const char *sig = record_signature(r);
	_cleanup_free_ char *key = NULL;
	struct aggregate_signature *g;
	bool created;
	size_t idx;

	if (!sig)
		return;
	idx = *strmap_put(b->sig_map, sig, a->n_sigs, &created);
	if (created) {
		if (a->n_sigs == b->n_sig_alloc) {
			b->n_sig_alloc = b->n_sig_alloc ? 2 * b->n_sig_alloc : 16;
			a->sigs = xreallocarray(a->sigs, b->n_sig_alloc, sizeof(*a->sigs));
		}
		a->sigs[a->n_sigs++] = (struct aggregate_signature){
		    .title = sig,
		    .kind = r->kind,
		    .first = r,
		    .ttc_min_ms = -1,
		    .ttc_max_ms = -1,
		};
	}
	g = &a->sigs[idx];
	g->count++;
	if (!g->minimized && r->run &&
	    (g->minimized = rundir_minimized(r->run, r->sensor, r->case_id)))
		g->minimized_record = r;
	if (r->verdict_ms >= 0) {
		if (g->ttc_min_ms < 0 || r->verdict_ms < g->ttc_min_ms)
			g->ttc_min_ms = r->verdict_ms;
		if (r->verdict_ms > g->ttc_max_ms)
			g->ttc_max_ms = r->verdict_ms;
	}
	key = xasprintf("%zu\x1f%zu", idx, si);
	strmap_put(b->sig_sensor, key, 0, &created);
	if (created)
		a->sensors[si].n_signatures++;
}

bool aggregate_loop_titles_agree(const struct record *r)
{
	for (size_t i = 0; i < r->reboot.n_boots; i++) {
		const struct record_boot *x = &r->reboot.boots[i];

		if (x->safe || verdict_is(x->verdict, VERDICT_ACCEPTED))
			continue;
		if (!streq_ptr(x->title, r->title))
			return false;
	}
	return true;
}

static struct aggregate_recovery *recovery_row(struct build *b, size_t si, const char *mech)
{
	struct aggregate *a = b->a;
	_cleanup_free_ char *key = xasprintf("%zu\x1f%s", si, mech);
	bool created;
	size_t idx = *strmap_put(b->recovery_map, key, a->n_recovery, &created);

	if (created) {
		if (a->n_recovery == b->n_recovery_alloc) {
			b->n_recovery_alloc = b->n_recovery_alloc ? 2 * b->n_recovery_alloc : 8;
			a->recovery =
			    xreallocarray(a->recovery, b->n_recovery_alloc, sizeof(*a->recovery));
		}
		a->recovery[a->n_recovery++] = (struct aggregate_recovery){
		    .sensor = a->sensors[si].name,
		    .sensor_index = si,
		    .mechanism = mech,
		    .boots_median = -1,
		    .wall_median_ms = -1,
		    .wall_max_ms = -1,
		    .guest_median_ms = -1,
		};
	}
	return &a->recovery[idx];
}

/* A machine followed across boots: counted in its (sensor, mechanism) row, kept for the
 * medians. */
static void note_reboot(struct build *b, size_t si, const struct record *r)
{
	struct aggregate *a = b->a;
	const struct record_reboot *rb = &r->reboot;
	struct aggregate_recovery *row;
	const char *outcome = rb->outcome ? rb->outcome : "";

	if (!rb->first_verdict)
		return;
	row = recovery_row(b, si, rb->mechanism ? rb->mechanism : "unknown");
	row->followed++;
	if (verdict_is(outcome, VERDICT_BOOT_LOOP)) {
		row->loops++;
		row->loops_agreed += aggregate_loop_titles_agree(r);
	} else if (verdict_is(outcome, VERDICT_RECOVERED)) {
		row->recovered++;
	} else if (verdict_is(outcome, VERDICT_INFRA_ERROR)) {
		row->infra++;
	}
	if (a->n_followed == b->n_followed_alloc) {
		b->n_followed_alloc = b->n_followed_alloc ? 2 * b->n_followed_alloc : 16;
		b->followed = xreallocarray(b->followed, b->n_followed_alloc, sizeof(*b->followed));
	}
	b->followed[a->n_followed++] =
	    (struct followed){.row = (size_t)(row - a->recovery), .r = r};
}

/* Pass 2: one record of run number run_i, the ri-th record overall. */
static void note_host(struct aggregate *a, const struct record *r)
{
	struct aggregate_host *h = NULL;

	if (!r->host)
		return;
	for (size_t i = 0; i < a->n_hosts && !h; i++)
		if (streq(a->hosts[i].uri, r->host))
			h = &a->hosts[i];
	if (!h) {
		a->hosts = xreallocarray(a->hosts, a->n_hosts + 1, sizeof(*a->hosts));
		h = &a->hosts[a->n_hosts++];
		*h = (struct aggregate_host){.uri = r->host};
	}
	h->cases++;
	h->infra_errors += r->kind == VERDICT_INFRA_ERROR;
	h->host_faults += r->host_fault != NULL;
	if (r->total_ms >= 0) {
		h->time_sum_ms += r->total_ms;
		h->n_timed++;
	}
}

static void count_record(struct build *b, size_t run_i, size_t ri, const struct record *r)
{
	struct aggregate *a = b->a;
	size_t si = b->rec_sensor[ri];
	struct aggregate_sensor *s = &a->sensors[si];
	struct times *t = &b->times[si];

	/* Records come run by run: a new run for this sensor starts here. */
	if (!s->n_runs || b->last_run[si] != run_i) {
		if (!s->n_runs)
			s->first_run = a->runs[run_i];
		s->n_runs++;
		b->last_run[si] = run_i;
	}
	count(&a->total, r);
	count(&s->counts, r);
	count(&a->cells[si * a->n_classes + b->class_rank[b->rec_class[ri]]], r);
	if (r->expect) {
		s->expect_total++;
		s->expect_met += streq(r->expect, r->verdict);
	}
	note_outcome(b, s, r);
	if (r->total_ms >= 0) {
		t->total[t->n_total++] = r->total_ms;
		s->time_sum_ms += r->total_ms;
	}
	if (r->boot_ms >= 0)
		t->boot[t->n_boot++] = r->boot_ms;
	count_design(&s->design, r);
	if (r->protection || r->sensor_restarts >= 0)
		a->n_watched++;
	/* the gap of a protection that was lost and came back; "kept" has none to show */
	if (r->protection && streq(r->protection, "restored") && r->protection_gap_ms >= 0)
		t->gap[t->n_gap++] = r->protection_gap_ms;
	consider_slow(a, r);
	note_signature(b, si, r);
	note_reboot(b, si, r);
	note_host(a, r);
}

/* Time statistics per sensor, and histograms on one scale for all sensors, so that they
 * compare at a glance. */
static void finish_times(struct build *b)
{
	struct aggregate *a = b->a;
	int64_t max = -1;

	for (size_t s = 0; s < a->n_sensors; s++) {
		sensor_times(&a->sensors[s], &b->times[s]);
		if (a->sensors[s].time_max_ms > max)
			max = a->sensors[s].time_max_ms;
	}
	if (max >= 0)
		a->time_bin_ms = max / AGGREGATE_TIME_BINS + 1;
	for (size_t s = 0; s < a->n_sensors; s++)
		for (size_t i = 0; i < b->times[s].n_total; i++)
			a->sensors[s].time_bins[b->times[s].total[i] / a->time_bin_ms]++;
}

/* Which sensors each signature was seen on, in sensor order; then the signatures sorted. */
static void finish_signatures(struct build *b)
{
	struct aggregate *a = b->a;

	for (size_t g = 0; g < a->n_sigs; g++) {
		char *buf = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&buf, &size);
		bool first = true;

		if (!f)
			abort();
		for (size_t s = 0; s < a->n_sensors; s++) {
			_cleanup_free_ char *key = xasprintf("%zu\x1f%zu", g, s);
			if (!strmap_get(b->sig_sensor, key))
				continue;
			fprintf(f, "%s%s", first ? "" : ", ", a->sensors[s].name);
			first = false;
		}
		fclose(f);
		a->sigs[g].sensors = buf;
	}
	if (a->n_sigs)
		qsort(a->sigs, a->n_sigs, sizeof(*a->sigs), cmp_sig);
}

static int mechanism_rank(const char *m)
{
	static const char *const order[] = {"none", "counter", "remediation", "manual"};

	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (streq(m, order[i]))
			return (int)i;
	return (int)ARRAY_SIZE(order);
}

static int cmp_recovery(const void *a, const void *b)
{
	const struct aggregate_recovery *x = a, *y = b;
	int rx = mechanism_rank(x->mechanism), ry = mechanism_rank(y->mechanism);

	if (x->sensor_index != y->sensor_index)
		return x->sensor_index < y->sensor_index ? -1 : 1;
	if (rx != ry)
		return rx - ry;
	return strcmp(x->mechanism, y->mechanism);
}

static int cmp_followed(const void *a, const void *b)
{
	const struct followed *x = a, *y = b;

	return (x->row > y->row) - (x->row < y->row);
}

/* Boots and times to recovery of one row, over its recovered machines: followed[0..n). */
static void recovery_stats(struct aggregate_recovery *row, const struct followed *followed,
			   size_t n, int64_t *boots, int64_t *wall, int64_t *guest)
{
	size_t nb = 0, nw = 0, ng = 0;

	for (size_t j = 0; j < n; j++) {
		const struct record_reboot *rb = &followed[j].r->reboot;

		if (!verdict_is(rb->outcome, VERDICT_RECOVERED))
			continue;
		boots[nb++] = (int64_t)rb->n_boots;
		if (rb->recovery_wall_ms >= 0)
			wall[nw++] = rb->recovery_wall_ms;
		if (rb->recovery_guest_ms >= 0)
			guest[ng++] = rb->recovery_guest_ms;
	}
	qsort(boots, nb, sizeof(int64_t), cmp_i64);
	qsort(wall, nw, sizeof(int64_t), cmp_i64);
	qsort(guest, ng, sizeof(int64_t), cmp_i64);
	if (nb) {
		row->boots_median = nb % 2 ? (double)boots[nb / 2]
					   : (double)(boots[nb / 2 - 1] + boots[nb / 2]) / 2;
		row->boots_max = (size_t)boots[nb - 1];
	}
	row->wall_median_ms = pct(wall, nw, 50);
	row->wall_max_ms = nw ? wall[nw - 1] : -1;
	row->guest_median_ms = pct(guest, ng, 50);
}

/* Each row's statistics (the followed records grouped by row, so that many rows stay
 * linearithmic); then the rows in display order. */
static void finish_recovery(struct build *b)
{
	struct aggregate *a = b->a;
	int64_t *boots = xcalloc(a->n_followed + 1, sizeof(int64_t));
	int64_t *wall = xcalloc(a->n_followed + 1, sizeof(int64_t));
	int64_t *guest = xcalloc(a->n_followed + 1, sizeof(int64_t));

	if (a->n_followed)
		qsort(b->followed, a->n_followed, sizeof(*b->followed), cmp_followed);
	for (size_t j = 0, end; j < a->n_followed; j = end) {
		for (end = j; end < a->n_followed && b->followed[end].row == b->followed[j].row;)
			end++;
		recovery_stats(&a->recovery[b->followed[j].row], b->followed + j, end - j, boots,
			       wall, guest);
	}
	if (a->n_recovery)
		qsort(a->recovery, a->n_recovery, sizeof(*a->recovery), cmp_recovery);
	free(boots);
	free(wall);
	free(guest);
}

static void build_finish(struct build *b)
{
	for (size_t s = 0; b->times && s < b->a->n_sensors; s++) {
		free(b->times[s].total);
		free(b->times[s].boot);
		free(b->times[s].gap);
	}
	free(b->times);
	free(b->class_rank);
	free(b->last_run);
	free(b->rec_sensor);
	free(b->rec_class);
	free(b->sensor_names);
	strmap_free(b->sensor_map);
	strmap_free(b->class_map);
	strmap_free(b->sig_map);
	strmap_free(b->sig_sensor);
	strmap_free(b->recovery_map);
	free(b->followed);
}

int aggregate_build(struct rundir *const *runs, size_t n_runs, struct aggregate **ret)
{
	struct aggregate *a = xzalloc(sizeof(*a));
	struct build b = {
	    .a = a,
	    .sensor_map = strmap_new(),
	    .class_map = strmap_new(),
	    .sig_map = strmap_new(),
	    .sig_sensor = strmap_new(),
	    .recovery_map = strmap_new(),
	};
	size_t ri = 0;

	a->runs = runs;
	a->n_runs = n_runs;
	a->slowest = xcalloc(N_SLOWEST, sizeof(*a->slowest));
	for (size_t i = 0; i < n_runs; i++) {
		a->n_records += runs[i]->n_records;
		a->n_skipped += runs[i]->n_skipped;
		a->n_superseded += runs[i]->n_superseded;
	}
	name_all(&b);
	order_classes(&b);
	alloc_tables(&b);
	for (size_t i = 0; i < n_runs; i++)
		for (size_t j = 0; j < runs[i]->n_records; j++, ri++)
			count_record(&b, i, ri, &runs[i]->records[j]);
	finish_times(&b);
	finish_signatures(&b);
	finish_recovery(&b);
	build_finish(&b);
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
	free(a->recovery);
	free(a->hosts);
	free(a);
	return NULL;
}
