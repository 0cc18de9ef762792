/* fleet.c — worker threads, one per slot, pull jobs from a shared counter. Jobs run sensor by
 * sensor so that a slot's next guest (restored in the background) is usually for the sensor it
 * will need. A slow or stuck guest only holds its own slot: every wait in a slot is bounded by
 * the scenario's timeouts. */
#include "fleet.h"

#include <pthread.h>

#include "pool.h"
#include "reboot.h"
#include "util.h"

struct fleet {
	const struct fleet_config *cfg;
	struct pool *pool;
	size_t next, total;
	pthread_mutex_t lock;
	bool cancelled;
	/* batches (fleet_config.batch): jobs in batch order, the batch being run, its jobs in
	 * flight, and whether on_batch_end ended the run */
	size_t *order;
	size_t batch, in_flight;
	pthread_cond_t drained;
	bool stopped;
};

struct slot {
	struct fleet *fleet;
	unsigned index;
	pthread_t thread;
};

static const char *const isolation_names[] = {
    [FLEET_BOOT] = "boot", [FLEET_SNAPSHOT] = "snapshot", [FLEET_REUSE] = "reuse"};

int fleet_isolation_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(isolation_names); i++)
		if (streq(name, isolation_names[i]))
			return (int)i;
	return -EINVAL;
}

const char *fleet_isolation_name(enum fleet_isolation mode)
{
	return (unsigned)mode < ARRAY_SIZE(isolation_names) ? isolation_names[mode] : "unknown";
}

static char *console_rel(const struct fleet_config *cfg, size_t si, size_t ci, const char *suffix)
{
	return xasprintf("consoles/%s/%s%s.log", cfg->sensors[si].name, cfg->cases[ci].id, suffix);
}

static bool healthy(enum verdict v)
{
	return v == VERDICT_ACCEPTED || v == VERDICT_REJECTED;
}

/* Persistence: the update crashed the guest. The machine reboots from its partition: follow it
 * (reboot.h). The verdict becomes the follow-up's outcome; the title stays the first crash's. */
static int follow(struct fleet *f, size_t si, size_t ci, struct guest *g, struct case_result *res)
{
	const struct fleet_config *cfg = f->cfg;
	_cleanup_free_ char *disk = pool_end_keep_disk(f->pool, g);
	_cleanup_free_ char *stem =
	    xasprintf("consoles/%s/%s", cfg->sensors[si].name, cfg->cases[ci].id);
	struct reboot_result *rr = xzalloc(sizeof(*rr));
	int r = -EIO;

	if (disk)
		r = reboot_follow(cfg, si, &cfg->cases[ci], disk, stem, rr);
	if (disk)
		unlink(disk);
	if (r == -ECANCELED) {
		free(rr);
		return r;
	}
	if (r < 0) {
		rr->outcome = VERDICT_INFRA_ERROR;
		rr->detail = xstrdup("faultline bug: the crashed guest had no content partition");
	}
	res->reboot = rr;
	res->reboot_first = res->verdict;
	if (rr->outcome != VERDICT_INFRA_ERROR)
		res->verdict = rr->outcome;
	return 0;
}

/* One attempt at one job. Returns 0 (res filled; *ret_reused says whether the guest had run
 * earlier cases), or -ECANCELED. */
static int run_once(struct slot *slot, size_t si, size_t ci, size_t next_si,
		    struct case_result *res, bool *ret_retry, bool *ret_reused)
{
	struct fleet *f = slot->fleet;
	const struct fleet_config *cfg = f->cfg;
	const struct scenario_case *c = &cfg->cases[ci];
	_cleanup_free_ char *rel = console_rel(cfg, si, ci, "");
	_cleanup_free_ char *path = xasprintf("%s/%s", cfg->run_dir, rel);
	uint64_t start = now_ms();
	struct guest *g = NULL;
	int r;

	truncate(path, 0); /* a retried attempt starts a fresh log */
	*ret_reused = false;
	r = pool_acquire(f->pool, slot->index, si, next_si, path, &g, res, ret_retry);
	if (r == 0) {
		*ret_reused = !g->fresh;
		if (c->persist.on)
			r = runner_store(g->vm, c->data, c->size, &cfg->timeouts, path, res);
		if (r == 0)
			r = runner_run_case(g->vm, c->id, c->data, c->size, &cfg->timeouts, path,
					    res);
		else if (r == 1)
			r = 0; /* res says why it was not stored */
		if (r == 0 && c->persist.on && res->verdict == VERDICT_CRASH && !res->host_stall_ms)
			r = follow(f, si, ci, TAKE_PTR(g), res);
		/* a guest whose partition holds a case's update never takes another case */
		pool_release(f->pool, slot->index, g,
			     r == 0 && healthy(res->verdict) && !res->host_stall_ms &&
				 !c->persist.on);
	}
	res->total_ms = now_ms() - start;
	return r < 0 ? r : 0;
}

/* One line for the record on what the host did to an attempt that was run again. */
static char *attempt_fault(const struct case_result *res)
{
	if (res->verdict == VERDICT_INFRA_ERROR)
		return xasprintf("attempt %d: %s", res->attempt,
				 res->detail ? res->detail : "infra-error");
	return xasprintf("attempt %d: host error: the host stalled for %llu ms (the guest got no "
			 "CPU, its clock jumped); the guest's verdict then: %s%s%s",
			 res->attempt, (unsigned long long)res->host_stall_ms,
			 verdict_name(res->verdict), res->title ? ": " : "",
			 res->title ? res->title : "");
}

/* A job, run again on a fresh guest (up to max_attempts in all) when the host failed it: an
 * infra-error that another attempt may not have, or a host stall during the case. The record
 * is the last attempt's, with what happened to the earlier ones in host_fault. */
static int run_job(struct slot *slot, size_t si, size_t ci, size_t next_si, struct case_result *res,
		   bool *ret_reused)
{
	const struct fleet_config *cfg = slot->fleet->cfg;
	_cleanup_free_ char *faults = NULL;
	uint64_t stalled = 0;
	bool retry = false;
	int r = 0;

	for (unsigned attempt = 1; attempt <= cfg->max_attempts; attempt++) {
		case_result_init(res);
		res->attempt = (int)attempt;
		res->host_fault = TAKE_PTR(faults); /* this attempt's notes follow */
		r = run_once(slot, si, ci, next_si, res, &retry, ret_reused);
		if (r < 0)
			return r;
		bool again = (res->verdict == VERDICT_INFRA_ERROR && (retry || res->retry)) ||
			     res->host_stall_ms > 0;
		if (!again || attempt == cfg->max_attempts)
			break;
		_cleanup_free_ char *line = attempt_fault(res);
		case_result_note_host(res, "%s", line);
		faults = TAKE_PTR(res->host_fault);
		stalled += res->host_stall_ms;
		case_result_finish(res);
	}
	/* the last attempt stalled too: a failure then is not the sensor's verdict */
	if (res->host_stall_ms && !healthy(res->verdict) && res->verdict != VERDICT_INFRA_ERROR)
		runner_stalled(res, "during every attempt");
	res->host_stall_ms += stalled;
	return 0;
}

/* reuse: a case that failed on a guest with history runs again alone on a fresh guest. */
static int confirm(struct slot *slot, size_t si, size_t ci, struct case_result *res)
{
	const struct fleet_config *cfg = slot->fleet->cfg;
	_cleanup_free_ char *rel = console_rel(cfg, si, ci, "");
	_cleanup_free_ char *rel2 = console_rel(cfg, si, ci, ".reused");
	_cleanup_free_ char *a = xasprintf("%s/%s", cfg->run_dir, rel);
	_cleanup_free_ char *b = xasprintf("%s/%s", cfg->run_dir, rel2);
	struct case_result first = *res;
	bool reused;
	int r;

	rename(a, b); /* keep the first run's console beside the fresh one */
	r = run_job(slot, si, ci, SIZE_MAX, res, &reused);
	if (r < 0) {
		case_result_finish(&first);
		return r;
	}
	res->confirmed = true;
	res->first_verdict = first.verdict;
	res->first_title = TAKE_PTR(first.title);
	res->flaky = res->verdict != first.verdict || !streq_ptr(res->title, res->first_title);
	case_result_finish(&first);
	return 0;
}

unsigned fleet_sensor_memory(const struct fleet_config *cfg, size_t si)
{
	unsigned m = cfg->sensors[si].memory_mib;

	return m ? m : cfg->memory_mib;
}

/* The k-th job to hand out: sensor by sensor, or with batches batch by batch and sensor by
 * sensor within one. */
static size_t job_at(const struct fleet *f, size_t k)
{
	return f->order ? f->order[k] : k;
}

static bool skipped(const struct fleet_config *cfg, size_t job)
{
	size_t si = job / cfg->n_cases, ci = job % cfg->n_cases;
	return cfg->skip && cfg->skip[ci * cfg->n_sensors + si];
}

static size_t *batch_order(const struct fleet_config *cfg)
{
	size_t *order = xcalloc(cfg->n_cases * cfg->n_sensors + 1, sizeof(size_t)), k = 0;

	for (size_t c0 = 0, c1; c0 < cfg->n_cases; c0 = c1) {
		for (c1 = c0; c1 < cfg->n_cases && cfg->batch[c1] == cfg->batch[c0]; c1++)
			;
		for (size_t si = 0; si < cfg->n_sensors; si++)
			for (size_t ci = c0; ci < c1; ci++)
				order[k++] = si * cfg->n_cases + ci;
	}
	return order;
}

/* The next job not skipped, or SIZE_MAX. A job of the next batch waits until none of the
 * current one is in flight and on_batch_end let the run go on. Called with the lock held. */
static size_t take_job(struct fleet *f)
{
	const struct fleet_config *cfg = f->cfg;

	for (;;) {
		while (f->next < f->total && skipped(cfg, job_at(f, f->next)))
			f->next++;
		if (f->next >= f->total || f->cancelled || f->stopped)
			return SIZE_MAX;
		size_t job = job_at(f, f->next);
		size_t b = cfg->batch ? cfg->batch[job % cfg->n_cases] : 0;
		if (b == f->batch) {
			f->next++;
			f->in_flight++;
			return job;
		}
		if (f->in_flight) {
			pthread_cond_wait(&f->drained, &f->lock);
			continue;
		}
		if (cfg->on_batch_end && !cfg->on_batch_end(cfg->userdata, f->batch, b))
			f->stopped = true;
		f->batch = b;
	}
}

static bool next_job(struct fleet *f, size_t *ret_si, size_t *ret_ci, size_t *ret_next_si)
{
	const struct fleet_config *cfg = f->cfg;
	size_t job, after;

	pthread_mutex_lock(&f->lock);
	job = take_job(f);
	after = f->next < f->total ? job_at(f, f->next) : SIZE_MAX;
	pthread_mutex_unlock(&f->lock);
	if (job == SIZE_MAX || vm_host_cancelled())
		return false;
	*ret_si = job / cfg->n_cases;
	*ret_ci = job % cfg->n_cases;
	/* the job after the next one another slot may take: a good guess for this slot's next */
	*ret_next_si = after != SIZE_MAX ? after / cfg->n_cases : SIZE_MAX;
	return true;
}

/* A job is over (recorded, or the run cancelled): a slot waiting for the batch may go on. */
static void job_done(struct fleet *f)
{
	f->in_flight--;
	pthread_cond_broadcast(&f->drained);
}

static void *slot_thread(void *arg)
{
	struct slot *slot = arg;
	struct fleet *f = slot->fleet;
	const struct fleet_config *cfg = f->cfg;
	size_t si, ci, next_si;

	while (next_job(f, &si, &ci, &next_si)) {
		struct case_result res;
		bool reused;
		int r = run_job(slot, si, ci, next_si, &res, &reused);

		if (r == 0 && reused && !healthy(res.verdict) && res.verdict != VERDICT_INFRA_ERROR)
			r = confirm(slot, si, ci, &res);
		if (r < 0) {
			case_result_finish(&res);
			pthread_mutex_lock(&f->lock);
			f->cancelled = true;
			job_done(f);
			pthread_mutex_unlock(&f->lock);
			break;
		}
		_cleanup_free_ char *rel = console_rel(cfg, si, ci, "");
		pthread_mutex_lock(&f->lock);
		cfg->on_result(cfg->userdata, si, ci, &res, rel);
		job_done(f);
		pthread_mutex_unlock(&f->lock);
		case_result_finish(&res);
	}
	return NULL;
}

int fleet_run(const struct fleet_config *cfg)
{
	struct fleet f = {.cfg = cfg, .total = cfg->n_cases * cfg->n_sensors};
	unsigned n = cfg->jobs ? cfg->jobs : 1;
	struct slot *slots;
	int r;

	if (n > f.total)
		n = f.total ? (unsigned)f.total : 1;
	if ((cfg->isolation != FLEET_BOOT || cfg->persist) && (r = mkdir_p(cfg->work_dir)) < 0)
		return r;
	pthread_mutex_init(&f.lock, NULL);
	pthread_cond_init(&f.drained, NULL);
	if (cfg->batch && cfg->n_cases) {
		f.order = batch_order(cfg);
		f.batch = cfg->batch[0];
	}
	for (size_t i = 0; i < cfg->n_sensors; i++) {
		_cleanup_free_ char *d =
		    xasprintf("%s/consoles/%s", cfg->run_dir, cfg->sensors[i].name);
		mkdir_p(d);
	}
	f.pool = pool_new(cfg, n);
	slots = xcalloc(n, sizeof(*slots));
	for (unsigned i = 0; i < n; i++) {
		slots[i] = (struct slot){.fleet = &f, .index = i};
		if (pthread_create(&slots[i].thread, NULL, slot_thread, &slots[i]) != 0)
			abort();
	}
	for (unsigned i = 0; i < n; i++)
		pthread_join(slots[i].thread, NULL);
	pool_free(f.pool);
	rmdir(cfg->work_dir); /* when it was made: everything in it is gone by now */
	free(slots);
	free(f.order);
	pthread_cond_destroy(&f.drained);
	pthread_mutex_destroy(&f.lock);
	return f.cancelled || vm_host_cancelled() ? -ECANCELED : 0;
}
