/* fuzz-campaign.c — a coverage-guided campaign on one sensor's guests (see fuzz-campaign.h). */
#include "fuzz-campaign.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attempt.h"
#include "bitmap.h"
#include "campaign.h"
#include "case-record.h"
#include "corpus.h"
#include "covfile.h"
#include "datadir.h"
#include "dispatch.h"
#include "image.h"
#include "pool.h"
#include "results.h"
#include "step.h"
#include "util.h"
#include "watched.h"

struct trace {
	uint8_t edges[COVFILE_MAP_SIZE], blocks[COVFILE_MAP_SIZE];
	uint64_t imms[COVFILE_MAX_IMMS]; /* the comparison immediates it saw */
	size_t n_imms;
	bool read; /* the guest's coverage file was read */
};

struct fuzz_campaign;

/* One guest of the campaign (--jobs): a thread, its slot of the pool, its last traces. */
struct worker {
	struct fuzz_campaign *c;
	unsigned slot;
	struct trace trace, first; /* the last case's; a seed's first run's (calibration) */
	struct fuzz_cmplog ops;	   /* the comparisons the last case logged (--cmplog emulator) */
	pthread_t thread;
};

struct fuzz_campaign {
	const struct fuzz_campaign_opts *o;
	struct session_error *err;
	struct session *s;
	size_t si;
	const char *sensor, *dir;
	char *run_id, *work_dir, *cov_dir;
	struct fleet_config fc;
	struct pool *pool;
	struct results *results;
	struct record_context ctx;
	struct corpus *corpus;
	struct fuzz_bitmap map;
	struct format *format;
	const char *format_path;
	/* lock: everything below but the options, the session and the pool (which takes its own);
	 * the workers hold it but while a guest runs and while a mutant is made */
	pthread_mutex_t lock;
	pthread_cond_t changed;	       /* work was judged or the campaign stops */
	struct fuzz_dispatch dispatch; /* executions, seeds done, case ids, the budget */
	unsigned jobs;
	int r; /* the first worker's error that stopped the campaign */
	uint64_t rng, execs_at_start, elapsed_ms, start_ms, last_new_ms, last_line_ms;
	/* guests run by this process and the time they took, the first (which boots the
	 * template) left out: the campaign's cost per case (bench/fuzz-bench.sh) */
	uint64_t runs, runs_ms;
	size_t n_sigs, n_imms;
	char **sigs;
	uint64_t imms[COVFILE_MAX_IMMS];
	struct fuzz_cmplog_stats cmplog;
	/* --cmplog emulator: the comparisons each corpus entry's run logged (by its index; none for
	 * entries of a resumed campaign's past), the input-to-state mutants run and how many of
	 * them reached new coverage, the comparisons logged in all */
	struct fuzz_cmplog *entry_ops;
	size_t n_entry_ops;
	uint64_t i2s_runs, i2s_new, cmps_logged;
	bool tty;
	/* the sensor's code (code_learn): the MODULES text it was read from, its ranges (modules
	 * first, then the coverage process's mappings) and the host copies their bytes are checked
	 * against; user: the sensor has a coverage process (sensor.yaml coverage:) */
	bool user, code_known;
	char *code_text, *plugin;
	size_t n_code;
	struct covfile_range code[COVFILE_MAX_RANGES];
	struct covfile_object code_objs[COVFILE_MAX_RANGES];
	char *code_copies[COVFILE_MAX_RANGES];
};

/* ---- the campaign's state on disk ---- */

static void state_save(struct fuzz_campaign *c)
{
	/* borrowed: nothing here is freed */
	const struct campaign st = {
	    .run_id = c->run_id,
	    .sensor = (char *)c->sensor,
	    .coverage = !c->o->no_coverage,
	    .execs = c->dispatch.execs,
	    .elapsed_ms = c->elapsed_ms + now_ms() - c->start_ms,
	    .rng = c->rng,
	    .seeds_done = c->dispatch.seeds_done,
	    .next_case = c->dispatch.next_case,
	    .guest_runs = c->runs,
	    .guest_runs_ms = c->runs_ms,
	    .edges = c->map.n_edges,
	    .blocks = c->map.n_blocks,
	    .corpus = c->corpus->n,
	    .signatures = c->sigs,
	    .n_signatures = c->n_sigs,
	    .magic = c->imms,
	    .n_magic = c->n_imms,
	};

	campaign_write(c->dir, &st);
}

/* --resume: where the campaign stopped (c->dispatch set up from it). -ENOENT when dir holds none.
 */
static int state_load(struct fuzz_campaign *c, size_t n_seeds)
{
	_cleanup_free_ char *map = xasprintf("%s/coverage.bin", c->dir);
	struct campaign *st;
	int r;

	if ((r = campaign_read(c->dir, &st)) < 0)
		return r;
	fuzz_dispatch_finish(&c->dispatch);
	c->run_id = TAKE_PTR(st->run_id);
	fuzz_dispatch_init(&c->dispatch, n_seeds, st->seeds_done, st->execs, st->next_case,
			   c->o->max_execs);
	c->elapsed_ms = st->elapsed_ms;
	c->rng = st->rng;
	c->sigs = TAKE_PTR(st->signatures);
	c->n_sigs = st->n_signatures;
	st->n_signatures = 0;
	for (size_t i = 0; i < st->n_magic && i < COVFILE_MAX_IMMS; i++)
		c->imms[c->n_imms++] = st->magic[i];
	campaign_free(st);
	r = fuzz_bitmap_load(&c->map, map);
	return r == -ENOENT ? 0 : r;
}

static void timeline_add(struct fuzz_campaign *c)
{
	const struct campaign_point p = {.ms = c->elapsed_ms + now_ms() - c->start_ms,
					 .execs = c->dispatch.execs,
					 .blocks = c->map.n_blocks,
					 .edges = c->map.n_edges,
					 .corpus = c->corpus->n};

	campaign_point_append(c->dir, &p);
}

/* ---- one case on a guest ---- */

static void imms_merge(struct fuzz_campaign *c, const struct trace *t)
{
	for (size_t i = 0; i < t->n_imms; i++) {
		uint64_t x = t->imms[i];
		bool known = false;

		for (size_t k = 0; k < c->n_imms && !known; k++)
			known = c->imms[k] == x;
		if (!known && c->n_imms < COVFILE_MAX_IMMS)
			c->imms[c->n_imms++] = x;
	}
}

/* A copy of the host file host in the coverage folder, which QEMU (maybe another user) reads:
 * the path, or NULL when it cannot be made. */
static char *code_copy(struct fuzz_campaign *c, size_t i, const char *host)
{
	_cleanup_free_ uint8_t *data = NULL;
	char *path = xasprintf("%s/code-%zu", c->cov_dir, i);
	size_t size;

	if (read_file(host, 512u << 20, &data, &size) < 0 ||
	    write_file_atomic(path, data, size) < 0 || chmod(path, 0644) < 0) {
		free(path);
		return NULL;
	}
	return path;
}

/* The sensor's code from a guest's MODULES text (the template's: every guest of the campaign is
 * its clone, so this runs once), said once. A mapping whose file the sensor's files: put in the
 * guest is checked against the build's copy, so that no other process's code at the same
 * addresses counts; one that is not (a file the sensor's start or package made) is not. */
static void code_learn(struct fuzz_campaign *c, const char *text)
{
	struct covfile_map maps[COVFILE_MAX_RANGES];
	const struct sensor *sensor = session_sensor(c->s, c->si);
	const struct image *img = session_image(c->s, c->si);
	size_t n, m;

	if (c->code_known && (text ? c->code_text && streq(text, c->code_text) : !c->code_text))
		return;
	for (size_t i = 0; i < COVFILE_MAX_RANGES; i++) {
		if (c->code_copies[i])
			unlink(c->code_copies[i]);
		free(TAKE_PTR(c->code_copies[i]));
		c->code_objs[i] = (struct covfile_object){0};
	}
	free(c->code_text);
	c->code_text = text ? xstrdup(text) : NULL;
	c->code_known = true;
	n = text ? covfile_ranges_from_modules(text, NULL, c->code, COVFILE_MAX_RANGES) : 0;
	m = text ? covfile_maps_parse(text, maps, COVFILE_MAX_RANGES - n) : 0;
	for (size_t j = 0; j < m; j++) {
		_cleanup_free_ char *host =
		    sensor && img ? image_host_file(sensor, img, maps[j].path) : NULL;
		size_t i = n + j;

		c->code[i] = maps[j].range;
		c->code_copies[i] = host ? code_copy(c, i, host) : NULL;
		c->code_objs[i] =
		    (struct covfile_object){.offset = maps[j].offset, .path = c->code_copies[i]};
		if (c->o->progress)
			fprintf(c->o->progress, "coverage: %s [%#llx, %#llx) at offset %#llx, %s\n",
				maps[j].path, (unsigned long long)maps[j].range.start,
				(unsigned long long)maps[j].range.end,
				(unsigned long long)maps[j].offset,
				c->code_copies[i]
				    ? "its bytes checked against the sensor's build"
				    : "not checked (not a file of the sensor's files:): another "
				      "process's code at these addresses would count too");
	}
	c->n_code = n + m;
	if (c->o->progress && !c->n_code)
		fprintf(c->o->progress,
			"coverage: no code of %s known (its start loaded no module%s): the "
			"campaign runs blind\n",
			c->sensor,
			c->user ? ", and its coverage process was not found or maps no code"
				: ", and sensor.yaml names no coverage process");
}

/* Before the case: the guest's counters zeroed, over the sensor's code. */
static void trace_reset(void *userdata, struct guest *g)
{
	struct fuzz_campaign *c = ((struct worker *)userdata)->c;

	if (!g->coverage)
		return;
	pthread_mutex_lock(&c->lock);
	code_learn(c, g->modules);
	covfile_reset(g->coverage, c->code, c->code_objs, c->n_code);
	pthread_mutex_unlock(&c->lock);
}

/* After the case: the guest's coverage into the worker's trace (the worker's own: no lock). */
static void trace_take(void *userdata, const struct guest *g)
{
	struct worker *w = userdata;
	struct trace *t = &w->trace;
	_cleanup_free_ void *buf = NULL;
	struct covfile_view v;

	fuzz_cmplog_finish(&w->ops);
	t->read = false;
	t->n_imms = 0;
	memset(t->edges, 0, sizeof(t->edges));
	memset(t->blocks, 0, sizeof(t->blocks));
	struct fuzz_campaign *c = ((struct worker *)userdata)->c;
	bool code;

	pthread_mutex_lock(&c->lock);
	code = c->n_code > 0;
	pthread_mutex_unlock(&c->lock);
	/* no code of the sensor known: an empty trace would keep every seed out of the corpus;
	 * none read, the campaign mutates its seeds blind (and said so, code_learn) */
	if (!code || !g->coverage || covfile_read(g->coverage, &buf, &v) < 0 ||
	    v.map_size != COVFILE_MAP_SIZE)
		return;
	memcpy(t->edges, v.edges, v.map_size);
	memcpy(t->blocks, v.blocks, v.map_size);
	for (size_t i = 0; i < v.n_imms && i < COVFILE_MAX_IMMS; i++)
		t->imms[t->n_imms++] = v.header->imms[i];
	fuzz_cmplog_from_covfile(&v, &w->ops);
	t->read = true;
}

/* Run case sc on a fresh guest of the worker's slot (attempt.h: the one path of every case,
 * tried again when the host failed it), its coverage into w->trace. Called with the campaign's
 * lock held; it is let go while the guest runs. The campaign does not follow a guest across
 * reboots: the case runs without persistence. Returns 0 (res filled), -ECANCELED, or -ENOTCONN
 * (the host's libvirt connection was lost). */
static int run_case(struct worker *w, const struct scenario_case *sc, struct case_result *res)
{
	struct fuzz_campaign *c = w->c;
	_cleanup_free_ char *path = xasprintf("%s/consoles/%s/%s.log", c->dir, c->sensor, sc->id);
	_cleanup_free_ char *faults = NULL;
	const struct attempt_hooks hooks = {
	    .before = trace_reset, .after = trace_take, .userdata = w};
	struct scenario_case one = *sc;
	const struct attempt_job j = {
	    .cfg = &c->fc,
	    .pool = c->pool,
	    .slot = w->slot,
	    .si = c->si,
	    .c = &one,
	    .console = path,
	    .next = (size_t[POOL_AHEAD]){c->si, c->si},
	    .hooks = &hooks,
	};
	uint64_t start = now_ms();
	bool reused;
	int r;

	one.persist.on = false;
	pthread_mutex_unlock(&c->lock);
	r = attempt_run(&j, res, &reused, &faults);
	pthread_mutex_lock(&c->lock);
	if (r < 0) {
		/* no record of it: its console goes */
		_cleanup_free_ char *sensor_log = watched_log_path(path);
		unlink(path);
		unlink(sensor_log);
		return r;
	}
	if (w->trace.read)
		imms_merge(c, &w->trace);
	c->cmps_logged += w->ops.n;
	if (c->runs++ > 0)
		c->runs_ms += now_ms() - start;
	return 0;
}

/* ---- what a case found ---- */

static bool healthy(enum verdict v)
{
	return verdict_has(v, VERDICT_HEALTHY);
}

/* Record the case when its signature is new; its console is kept only then. */
static void record(struct fuzz_campaign *c, const struct scenario_case *sc,
		   const struct case_result *res)
{
	_cleanup_free_ char *rel = xasprintf("consoles/%s/%s.log", c->sensor, sc->id);
	_cleanup_free_ char *console = xasprintf("%s/%s", c->dir, rel);
	_cleanup_free_ char *input = xasprintf("%s/inputs/%s.bin", c->dir, sc->id);
	const char *what = res->title ? res->title : res->detail ? res->detail : "";
	_cleanup_free_ char *sig =
	    xasprintf("%s: %.*s", verdict_name(res->verdict), (int)strcspn(what, "\n"), what);

	for (size_t i = 0; i < c->n_sigs && !healthy(res->verdict); i++)
		if (streq(c->sigs[i], sig))
			goto drop;
	if (healthy(res->verdict))
		goto drop;
	c->sigs = xreallocarray(c->sigs, c->n_sigs + 1, sizeof(char *));
	c->sigs[c->n_sigs++] = TAKE_PTR(sig);
	write_file_atomic(input, sc->data, sc->size);
	json_object *o = case_record_json(&c->ctx, c->sensor, sc, res, rel);
	results_append(c->results, o);
	json_object_put(o);
	if (c->o->progress)
		fprintf(c->o->progress, "%snew signature after %llu execs, %llu s: %s (%s)\n",
			c->tty ? "\r\033[K" : "", (unsigned long long)c->dispatch.execs,
			(unsigned long long)((c->elapsed_ms + now_ms() - c->start_ms) / 1000),
			c->sigs[c->n_sigs - 1], sc->id);
	return;
drop:;
	_cleanup_free_ char *sensor_log = watched_log_path(console);
	unlink(console);
	unlink(sensor_log);
}

static void progress_line(struct fuzz_campaign *c, bool force)
{
	uint64_t now = now_ms(), t = c->elapsed_ms + now - c->start_ms;
	uint64_t since = c->last_new_ms ? (now - c->last_new_ms) / 1000 : t / 1000;
	uint64_t run_ms = now - c->start_ms ? now - c->start_ms : 1;
	char jobs[48] = "";

	if (!c->o->progress || (!c->tty && !force && now - c->last_line_ms < 30000))
		return;
	c->last_line_ms = now;
	if (c->jobs > 1) /* the guests running a case now, of the campaign's */
		snprintf(jobs, sizeof(jobs), "  jobs %llu/%u",
			 (unsigned long long)c->dispatch.in_flight, c->jobs);
	fprintf(c->o->progress,
		"%sfuzz %llum%02llus%s  %llu execs (%.2f/s)  corpus %zu  coverage %zu blocks / %zu "
		"edges  %zu signatures  last new coverage %llus ago%s",
		c->tty ? "\r\033[K" : "", (unsigned long long)(t / 60000),
		(unsigned long long)(t / 1000 % 60), jobs, (unsigned long long)c->dispatch.execs,
		(double)(c->dispatch.execs - c->execs_at_start) * 1000.0 / (double)run_ms,
		c->corpus->n, c->map.n_blocks, c->map.n_edges, c->n_sigs, (unsigned long long)since,
		c->tty ? "" : "\n");
	fflush(c->o->progress);
}

/* The comparisons the run of the corpus entry just added logged: kept with it (taken from ops).
 */
static void keep_ops(struct fuzz_campaign *c, struct fuzz_cmplog *ops)
{
	size_t n = c->corpus->n;

	if (!c->o->cmplog_emulator)
		return;
	if (c->n_entry_ops < n) {
		c->entry_ops = xreallocarray(c->entry_ops, n, sizeof(*c->entry_ops));
		memset(c->entry_ops + c->n_entry_ops, 0,
		       (n - c->n_entry_ops) * sizeof(*c->entry_ops));
		c->n_entry_ops = n;
	}
	fuzz_cmplog_finish(&c->entry_ops[n - 1]);
	c->entry_ops[n - 1] = *ops;
	*ops = (struct fuzz_cmplog){0};
}

/* The outcome of one input (t: its trace; seed: its seed's index, SIZE_MAX for a mutant):
 * counted, recorded if it failed, kept if it covered something new. */
static void judge(struct fuzz_campaign *c, const struct trace *t, struct fuzz_cmplog *ops,
		  const struct scenario_case *sc, const char *parent, ssize_t parent_idx,
		  const struct case_result *res, size_t seed)
{
	enum fuzz_news news = FUZZ_NEWS_NONE;

	fuzz_dispatch_done(&c->dispatch, seed);
	record(c, sc, res);
	if (t->read && res->verdict != VERDICT_INFRA_ERROR)
		news = fuzz_bitmap_news(&c->map, t->edges, t->blocks);
	/* a failing input is recorded, not mutated further: its coverage is the failure's */
	if (healthy(res->verdict) && (news != FUZZ_NEWS_NONE || (!parent && !t->read))) {
		size_t before = c->map.n_edges + c->map.n_blocks;
		fuzz_bitmap_merge(&c->map, t->edges, t->blocks);
		struct corpus_entry e = {
		    .data = sc->data,
		    .size = sc->size,
		    .parent = (char *)parent,
		    .mutations_json = sc->mutations_json,
		    .edges = fuzz_trace_count(t->edges, COVFILE_MAP_SIZE),
		    .new_edges = c->map.n_edges + c->map.n_blocks - before,
		    .found_ms = c->elapsed_ms + now_ms() - c->start_ms,
		};
		if (corpus_add(c->corpus, sc->id, &e) >= 0) {
			keep_ops(c, ops);
			if (parent_idx >= 0)
				corpus_credit(c->corpus, (size_t)parent_idx);
			_cleanup_free_ char *map = xasprintf("%s/coverage.bin", c->dir);
			fuzz_bitmap_save(&c->map, map);
			c->last_new_ms = now_ms();
			timeline_add(c);
			progress_line(c, true);
		}
	}
	state_save(c);
}

/* Time is up or the user stopped it (the execution budget is dispatch.h's). */
static bool done(const struct fuzz_campaign *c)
{
	uint64_t t = c->elapsed_ms + now_ms() - c->start_ms;
	return vm_host_cancelled() || t >= c->o->duration_ms;
}

static void calibrated(struct fuzz_campaign *c, const char *id, const struct trace *first,
		       const struct trace *t)
{
	size_t differ =
	    fuzz_bitmap_calibrate(&c->map, first->edges, first->blocks, t->edges, t->blocks);
	bool counts = fuzz_trace_hash(first->edges, first->blocks, COVFILE_MAP_SIZE, true) ==
		      fuzz_trace_hash(t->edges, t->blocks, COVFILE_MAP_SIZE, true);

	if (!c->o->progress)
		return;
	fprintf(c->o->progress,
		"%scalibration: %s: %s coverage in two runs (%zu edges, %zu blocks%s)\n",
		c->tty ? "\r\033[K" : "", id, differ ? "DIFFERENT" : "identical",
		fuzz_trace_count(t->edges, COVFILE_MAP_SIZE),
		fuzz_trace_count(t->blocks, COVFILE_MAP_SIZE),
		counts ? ", same hit counts" : "; hit counts vary on some edges");
}

/* Seed i of the scenario's cases, run twice when coverage is on: edges whose hit counts differ
 * between the two runs are marked variable (their counts are not news), and a seed whose two runs
 * cover different code makes every later decision noisy: the user is told. Lock held. */
static int run_seed(struct worker *w, size_t i)
{
	struct fuzz_campaign *c = w->c;
	size_t n;
	struct scenario_case sc = session_cases(c->s, &n)[i];
	_cleanup_free_ char *id = xasprintf("seed-%s", sc.id);
	int rounds = c->o->no_coverage ? 1 : 2;
	struct case_result res;
	int r;

	sc.id = id;
	for (int round = 0; round < rounds; round++) {
		if ((r = run_case(w, &sc, &res)) < 0) {
			fuzz_dispatch_abandon(&c->dispatch, i);
			return r;
		}
		if (round == 1)
			calibrated(c, id, &w->first, &w->trace);
		w->first = w->trace;
		if (round == rounds - 1)
			judge(c, &w->trace, &w->ops, &sc, NULL, -1, &res, i);
		case_result_finish(&res);
	}
	return 0;
}

/* Mutate a corpus entry, run it as case number `num`, judge it. The parent is drawn and the
 * step's PRNG forked from the campaign's under the lock; the mutant is made without it (a
 * --cmplog stage runs the host build many times). */
static int run_step(struct worker *w, uint64_t num)
{
	struct fuzz_campaign *c = w->c;
	size_t pi = corpus_pick(c->corpus, &c->rng);
	const struct corpus_entry *p = &c->corpus->v[pi];
	uint64_t rng = fuzz_rng_next(&c->rng);
	_cleanup_free_ char *id = xasprintf("fuzz-%06llu", (unsigned long long)num);
	_cleanup_free_ char *seed_file = xasprintf("%s/corpus/%s.bin", c->dir, p->id);
	_cleanup_free_ char *parent = xstrdup(p->id);
	_cleanup_free_ uint8_t *data = xmemdup(p->data, p->size ? p->size : 1);
	_cleanup_free_ uint64_t *imms = xmemdup(c->imms, sizeof(c->imms));
	struct fuzz_step_ctx x = {
	    .format = c->format, .imms = imms, .n_imms = c->n_imms, .cmplog = c->o->cmplog};
	struct fuzz_cmplog_stats st = {0};
	size_t size = p->size;
	struct fuzz_mutant m;
	struct case_result res;
	struct fuzz_cmplog ops = {0};
	bool i2s = false;
	int r;

	/* the parent's comparisons, copied: another worker may grow the array meanwhile */
	if (pi < c->n_entry_ops && c->entry_ops[pi].n && fuzz_rng_below(&rng, 2) == 0) {
		ops.n = c->entry_ops[pi].n;
		ops.v = xmemdup(c->entry_ops[pi].v, ops.n * sizeof(*ops.v));
	}
	pthread_mutex_unlock(&c->lock);
	r = -EINVAL;
	if (ops.n)
		i2s = (r = fuzz_step_i2s(&x, &rng, &ops, data, size, &m)) == 0;
	fuzz_cmplog_finish(&ops);
	if (!i2s)
		r = fuzz_step_mutate(&x, &rng, data, size, &m);
	if (r == 0 && x.cmplog && fuzz_rng_below(&rng, 2) == 0)
		fuzz_step_cmplog(&x, &rng, &m, &st);
	pthread_mutex_lock(&c->lock);
	c->cmplog.runs += st.runs, c->cmplog.kept += st.kept, c->cmplog.failed += st.failed;
	c->i2s_runs += i2s;
	if (r < 0) {
		fuzz_dispatch_done(&c->dispatch,
				   SIZE_MAX); /* no op applies: skip it, but move on */
		return 0;
	}
	struct scenario_case sc = {
	    .id = id,
	    .name = (char *)"fuzz",
	    .seed = scenario_seed(session_scenario(c->s)),
	    .seed_file = seed_file,
	    .mutations_json = m.json,
	    .data = m.data,
	    .size = m.size,
	    .format_file = (char *)c->format_path,
	};
	r = run_case(w, &sc, &res);
	if (r == 0) {
		size_t before = c->corpus->n;
		judge(c, &w->trace, &w->ops, &sc, parent, (ssize_t)pi, &res, SIZE_MAX);
		c->i2s_new += i2s && c->corpus->n > before;
		case_result_finish(&res);
	} else {
		fuzz_dispatch_abandon(&c->dispatch, SIZE_MAX);
	}
	fuzz_mutant_finish(&m);
	return r;
}

/* A guest's thread: seeds, then mutants, until the time or the executions are up, the user
 * stops the campaign or another worker failed. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct fuzz_campaign *c = w->c;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		size_t seed = SIZE_MAX;
		uint64_t num = 0;
		int r;

		if (done(c))
			c->dispatch.stop = true;
		enum fuzz_work work =
		    fuzz_dispatch_next(&c->dispatch, c->corpus->n > 0, &seed, &num);
		if (work == FUZZ_WORK_STOP)
			break;
		if (work == FUZZ_WORK_WAIT) {
			pthread_cond_wait(&c->changed, &c->lock);
			continue;
		}
		r = work == FUZZ_WORK_SEED ? run_seed(w, seed) : run_step(w, num);
		pthread_cond_broadcast(&c->changed);
		if (r < 0) {
			c->r = c->r ? c->r : r;
			c->dispatch.stop = true;
			continue; /* the last line is fuzz_campaign_run()'s */
		}
		progress_line(c, false);
	}
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* The campaign's guests, one thread each, until every one has stopped. */
static int run_workers(struct fuzz_campaign *c)
{
	_cleanup_free_ struct worker *w = xcalloc(c->jobs, sizeof(*w));
	unsigned started = 0;
	int r = 0;

	for (; started < c->jobs; started++) {
		w[started] = (struct worker){.c = c, .slot = started};
		if ((r = -pthread_create(&w[started].thread, NULL, worker_main, &w[started])) < 0)
			break;
	}
	if (r < 0) {
		/* those started stop after their case */
		pthread_mutex_lock(&c->lock);
		c->dispatch.stop = true;
		pthread_mutex_unlock(&c->lock);
	}
	for (unsigned i = 0; i < started; i++) {
		pthread_join(w[i].thread, NULL);
		fuzz_cmplog_finish(&w[i].ops);
	}
	return r < 0 ? r : c->r;
}

/* ---- setting up and ending ---- */

static int find_sensor(struct fuzz_campaign *c)
{
	size_t n = session_n_sensors(c->s);

	if (!c->o->sensor && n == 1)
		c->sensor = session_sensor_name(c->s, 0);
	for (size_t i = 0; i < n && !c->sensor; i++)
		if (streq(session_sensor_name(c->s, i), c->o->sensor)) {
			c->si = i;
			c->sensor = c->o->sensor;
		}
	if (!c->sensor)
		return session_error_set(c->err, -EINVAL, SESSION_FAULT_USAGE,
					 "%s: --sensor must name one of the scenario's sensors",
					 c->o->sensor ? c->o->sensor : "no sensor given");
	return 0;
}

/* The campaign directory, its corpus, map, records and guests' pool. */
static int campaign_open(struct fuzz_campaign *c)
{
	_cleanup_free_ char *corpus = xasprintf("%s/corpus", c->dir);
	_cleanup_free_ char *consoles = xasprintf("%s/consoles/%s", c->dir, c->sensor);
	struct diags d = {0};
	size_t n_seeds;
	int r;

	session_cases(c->s, &n_seeds);
	fuzz_bitmap_init(&c->map, COVFILE_MAP_SIZE);
	c->rng = c->o->has_seed ? c->o->seed : scenario_seed(session_scenario(c->s));
	fuzz_dispatch_init(&c->dispatch, n_seeds, 0, 0, 0, c->o->max_execs);
	if (c->o->resume && (r = state_load(c, n_seeds)) < 0)
		return session_error_set(
		    c->err, r, SESSION_FAULT_USAGE, "cannot resume %s: %s", c->dir,
		    r == -ENOENT ? "no campaign.json (not a fuzz campaign)" : strerror(-r));
	if (!c->run_id)
		c->run_id = session_new_run_id(c->s);
	if ((r = results_open(c->dir, &c->results)) < 0 || (r = mkdir_p(consoles)) < 0 ||
	    (r = corpus_open(corpus, &c->corpus)) < 0)
		return session_error_set(c->err, r, SESSION_FAULT_HOST, "cannot create %s: %s",
					 c->dir, strerror(-r));
	c->format_path = scenario_format_path(session_scenario(c->s));
	if (c->format_path && format_load(c->format_path, &d, &c->format) < 0)
		c->format = NULL; /* validated with the scenario: byte ops only if it fails now */
	diags_finish(&d);
	c->ctx = (struct record_context){.run_id = c->run_id,
					 .scenario = scenario_name(session_scenario(c->s)),
					 .kernel = session_kernel(c->s)};
	struct run_meta meta;

	session_run_meta(c->s, c->run_id, FLEET_SNAPSHOT, &meta);
	meta.campaign = xstrdup(c->sensor);
	results_write_meta(c->results, &meta);
	run_meta_finish(&meta);
	return 0;
}

extern char **environ;

/* What the plugin says, in QEMU as the guests will run it (qemu-system-x86_64, as libvirt
 * finds it), about comparison operands: QEMU started with no machine, the plugin loaded with
 * cmp=1, its file's `operands` read, QEMU stopped. Returns the covfile_operands value, or -errno
 * (no QEMU, or it did not load the plugin within 20 s). */
static int operands_probe(const char *plugin)
{
	char dir[] = "/tmp/faultline-probe-XXXXXX";
	if (!mkdtemp(dir))
		return -errno;
	_cleanup_free_ char *cov = xasprintf("%s/probe.cov", dir);
	_cleanup_free_ char *arg = xasprintf("%s,out=%s,cmp=1", plugin, cov);
	char *argv[] = {(char *)"qemu-system-x86_64",
			(char *)"-M",
			(char *)"none",
			(char *)"-display",
			(char *)"none",
			(char *)"-S",
			(char *)"-plugin",
			arg,
			(char *)"-monitor",
			(char *)"none",
			NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	int r = -ETIMEDOUT, status, e;
	pid_t pid;

	unlink(cov);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* not the session's blocked stop signals */
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	e = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (e)
		return -e;
	for (int i = 0; i < 200 && r == -ETIMEDOUT; i++) {
		_cleanup_free_ void *buf = NULL;
		struct covfile_view v;

		if (covfile_read(cov, &buf, &v) == 0 &&
		    v.header->operands != COVFILE_OPERANDS_UNASKED)
			r = (int)v.header->operands;
		else if (waitpid(pid, &status, WNOHANG) != 0)
			r = -ECHILD, pid = 0; /* QEMU ended without loading it */
		else
			usleep(100 * 1000);
	}
	/* a QEMU with no machine: nothing of it to keep */
	if (pid > 0) {
		kill(pid, SIGKILL);
		for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
			usleep(50 * 1000);
	}
	unlink(cov);
	rmdir(dir);
	return r;
}

/* --cmplog emulator: only where the plugin can log operands; the user is told why not, before
 * anything of the campaign is made. */
static int operands_check(struct fuzz_campaign *c)
{
	const char *plugin = datadir_coverage_plugin();
	int r;

	if (!c->o->cmplog_emulator)
		return 0;
	if (c->o->no_coverage)
		return session_error_set(c->err, -EINVAL, SESSION_FAULT_USAGE,
					 "--cmplog emulator reads operands through the coverage "
					 "plugin: not with --no-coverage");
	r = operands_probe(plugin);
	if (r == COVFILE_OPERANDS_LOGGED)
		return 0;
	if (r == COVFILE_OPERANDS_NONE)
		return session_error_set(
		    c->err, -EINVAL, SESSION_FAULT_USAGE,
		    "--cmplog emulator: this machine's QEMU cannot give comparison operands: its "
		    "plugin API reads no registers (QEMU 7.2's has none; 9.0 and later have). Use "
		    "--cmplog PROG with a comparison-tracing host build of the sensor (faultline "
		    "fuzz --help), or run on QEMU 9.0 or later");
	return session_error_set(c->err, r < 0 ? r : -EIO, SESSION_FAULT_HOST,
				 "--cmplog emulator: qemu-system-x86_64 did not load the coverage "
				 "plugin %s: %s",
				 plugin, strerror(r < 0 ? -r : EIO));
}

static int guests_open(struct fuzz_campaign *c)
{
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	int r;

	c->work_dir = session_work_dir(c->s);
	c->fc = session_fleet_config(c->s, FLEET_SNAPSHOT, c->dir, c->work_dir);
	if (c->s && session_first_host(c->s)->upload) {
		/* the coverage counters are files QEMU shares with this process */
		return session_error_set(c->err, -EINVAL, SESSION_FAULT_USAGE,
					 "fuzz runs on this machine's embedded libvirt only: "
					 "no --uri, and no fleet.hosts in the scenario");
	}
	if (!c->o->no_coverage && streq(c->fc.accel, "kvm")) {
		/* the plugin sees what TCG translates: under KVM the guest's code is never
		 * translated */
		return session_error_set(c->err, -EINVAL, SESSION_FAULT_USAGE,
					 "coverage needs TCG: --accel tcg, or --no-coverage");
	}
	if (!c->o->no_coverage) {
		/* QEMU runs elsewhere: the path must be absolute */
		c->cov_dir = c->work_dir[0] == '/' ? xasprintf("%s/cov", c->work_dir)
						   : xasprintf("%s/%s/cov", cwd, c->work_dir);
		c->fc.coverage_dir = c->cov_dir;
		c->fc.coverage_plugin = datadir_coverage_plugin();
		if (access(c->fc.coverage_plugin, R_OK) < 0)
			return session_error_set(c->err, -errno, SESSION_FAULT_HOST,
						 "the coverage plugin %s: %s",
						 c->fc.coverage_plugin, strerror(errno));
		/* a user-mode sensor: the plugin instruments user space too (flcov.c) */
		const struct sensor *sensor = session_sensor(c->s, c->si);
		c->user = sensor && sensor_coverage_process(sensor);
		if (c->user)
			c->fc.coverage_plugin = c->plugin =
			    xasprintf("%s,user=1", datadir_coverage_plugin());
	}
	if ((r = mkdir_p(c->cov_dir ? c->cov_dir : c->work_dir)) < 0)
		return session_error_set(c->err, r, SESSION_FAULT_HOST, "cannot create %s: %s",
					 c->work_dir, strerror(-r));
	/* QEMU may run as another user (libvirt's qemu user): its plugin makes the files here */
	if (c->cov_dir && chmod(c->cov_dir, 01777) < 0)
		return session_error_set(c->err, -errno, SESSION_FAULT_HOST,
					 "cannot open %s to QEMU: %s", c->cov_dir, strerror(errno));
	c->fc.coverage_operands = c->o->cmplog_emulator;
	c->pool = pool_new(&c->fc, c->jobs);
	return 0;
}

void fuzz_campaign_free(struct fuzz_campaign *c)
{
	if (!c)
		return;
	pool_free(c->pool);
	for (size_t i = 0; i < COVFILE_MAX_RANGES; i++) {
		if (c->code_copies[i])
			unlink(c->code_copies[i]);
		free(c->code_copies[i]);
	}
	free(c->code_text);
	free(c->plugin);
	if (c->cov_dir)
		rmdir(c->cov_dir);
	if (c->work_dir)
		rmdir(c->work_dir);
	results_close(c->results);
	corpus_free(c->corpus);
	fuzz_bitmap_finish(&c->map);
	fuzz_dispatch_finish(&c->dispatch);
	pthread_cond_destroy(&c->changed);
	pthread_mutex_destroy(&c->lock);
	format_free(c->format);
	for (size_t i = 0; i < c->n_sigs; i++)
		free(c->sigs[i]);
	free(c->sigs);
	for (size_t i = 0; i < c->n_entry_ops; i++)
		fuzz_cmplog_finish(&c->entry_ops[i]);
	free(c->entry_ops);
	free(c->run_id);
	free(c->work_dir);
	free(c->cov_dir);
	free(c);
}

int fuzz_campaign_run(struct fuzz_campaign *c, struct session_error *ret_error)
{
	int r;

	c->start_ms = now_ms();
	c->execs_at_start = c->dispatch.execs;
	if (c->o->progress)
		fprintf(c->o->progress, "fuzzing %s with %s for %llus on %u guest%s into %s%s\n",
			c->sensor,
			c->o->no_coverage ? "no coverage (blind)" : "coverage of its code",
			(unsigned long long)(c->o->duration_ms / 1000), c->jobs,
			c->jobs == 1 ? "" : "s", c->dir, c->o->resume ? " (resumed)" : "");
	r = run_workers(c);
	state_save(c);
	progress_line(c, true);
	if (c->tty && c->o->progress)
		fputc('\n', c->o->progress);
	if (c->o->cmplog && c->o->progress)
		fprintf(c->o->progress,
			"cmplog: %llu host runs of %s, %llu replacements kept, %llu runs failed\n",
			(unsigned long long)c->cmplog.runs, c->o->cmplog,
			(unsigned long long)c->cmplog.kept, (unsigned long long)c->cmplog.failed);
	if (c->o->cmplog_emulator && c->o->progress)
		fprintf(
		    c->o->progress,
		    "cmplog: emulator: %llu comparisons logged, %llu input-to-state mutants run, "
		    "%llu reached new coverage\n",
		    (unsigned long long)c->cmps_logged, (unsigned long long)c->i2s_runs,
		    (unsigned long long)c->i2s_new);
	if (r == -ENOTCONN)
		return session_error_set(ret_error, r, SESSION_FAULT_LIBVIRT,
					 "the campaign stopped: the libvirt connection was lost");
	if (r < 0 && r != -ECANCELED)
		return session_error_set(
		    ret_error, r, SESSION_FAULT_HOST,
		    "the campaign stopped: cannot start its guests' threads: %s", strerror(-r));
	return r;
}

int fuzz_campaign_open(struct session *s, const struct fuzz_campaign_opts *o,
		       struct fuzz_campaign **ret, struct session_error *ret_error)
{
	struct fuzz_campaign *c = xzalloc(sizeof(*c));
	int r;

	*c = (struct fuzz_campaign){
	    .o = o, .err = ret_error, .s = s, .dir = o->dir, .jobs = o->jobs ? o->jobs : 1};
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->changed, NULL);
	c->tty = o->progress && isatty(fileno(o->progress));
	if ((r = find_sensor(c)) < 0 || (r = operands_check(c)) < 0 || (r = campaign_open(c)) < 0 ||
	    (r = guests_open(c)) < 0) {
		fuzz_campaign_free(c);
		return r;
	}
	c->err = NULL;
	*ret = c;
	return 0;
}

void fuzz_campaign_figures(const struct fuzz_campaign *c, struct fuzz_campaign_figures *ret)
{
	*ret = (struct fuzz_campaign_figures){.execs = c->dispatch.execs,
					      .corpus = c->corpus->n,
					      .blocks = c->map.n_blocks,
					      .edges = c->map.n_edges,
					      .signatures = (const char *const *)c->sigs,
					      .n_signatures = c->n_sigs};
}
