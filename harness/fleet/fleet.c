/* fleet.c — worker threads, one per slot, pull jobs from a shared counter. Jobs run sensor by
 * sensor so that a slot's next guest (restored in the background) is usually for the sensor it
 * will need. A slow or stuck guest only holds its own slot: every wait in a slot is bounded by
 * the scenario's timeouts.
 *
 * Hosts: every slot is bound to one host (its pool of guests); all slots pull from the same
 * jobs, so a slow host simply takes fewer. A host whose connection drops is lost: its slots
 * hand their jobs back (they run again elsewhere, the loss noted in their record) and end; the
 * last one tears the host down and reconnects it with backoff, and new slots start when it is
 * back. The run ends when every job is recorded, or when no host has been up for
 * FLEET_HOSTS_GONE_MS (the jobs left are then recorded as infra-errors).
 */
#include "fleet.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "attempt.h"
#include "hosts.h"
#include "pool.h"
#include "util.h"

/* a job handed back this many times (its host lost under it each time) is recorded as is */
#define MAX_HANDBACKS 3
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000

struct host_rt {
	struct fleet *fleet;
	struct fleet_host *h;
	struct fleet_config cfg; /* the run's, with this host's connection, images and pool */
	struct pool *pool;
	unsigned n_slots, running;    /* slot threads started, still running */
	struct fleet_sensor *sensors; /* a remote host's copies of the run's images */
	bool lost, up;
	char label[24]; /* "@N": its template boot logs */
};

struct handback {
	size_t job;
	char *notes;	 /* what happened to it on the hosts it was lost on, or failed on */
	unsigned count;	 /* times its host was lost under it */
	uint64_t failed; /* hosts (bit i: hosts[i]) where it ended an infra-error */
};

struct fleet {
	const struct fleet_config *cfg;
	struct host_rt *hosts;
	size_t n_hosts;
	size_t next, total;
	struct handback *back; /* jobs handed back by lost hosts, to run first */
	size_t n_back;
	size_t in_flight;
	unsigned threads; /* slot and reconnect threads alive */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	bool cancelled, stopping;
	/* batches (fleet_config.batch): jobs in batch order, the batch being run, and whether
	 * on_batch_end ended the run */
	size_t *order;
	size_t batch;
	bool stopped;
};

/* A healthy case that was not probed, held until a probe on its guest vouches for it. */
struct held {
	size_t job;
	struct case_result res;
};

struct slot {
	struct host_rt *host;
	unsigned index;
	/* probe_every: the held cases of the slot's guest, in order (at most probe_every - 1) */
	struct held *held;
	size_t n_held;
};

static const char *const isolation_names[] = {[FLEET_BOOT] = "boot",
					      [FLEET_SNAPSHOT] = "snapshot",
					      [FLEET_REUSE] = "reuse",
					      [FLEET_WARM] = "warm"};

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
	return verdict_has(v, VERDICT_HEALTHY);
}

/* A job on the slot's guests: attempt.h's one path for a case. */
static int run_job(struct slot *slot, size_t si, size_t ci, const size_t *next, bool no_probe,
		   struct case_result *res, bool *ret_reused, char **faults)
{
	struct host_rt *hr = slot->host;
	_cleanup_free_ char *rel = console_rel(&hr->cfg, si, ci, "");
	_cleanup_free_ char *path = xasprintf("%s/%s", hr->cfg.run_dir, rel);
	const struct attempt_job j = {
	    .cfg = &hr->cfg,
	    .pool = hr->pool,
	    .slot = slot->index,
	    .si = si,
	    .c = &hr->cfg.cases[ci],
	    .console = path,
	    .next = next,
	    .uri = hr->h->uri,
	    .no_probe = no_probe,
	};

	return attempt_run(&j, res, ret_reused, faults);
}

/* reuse: a case that failed on a guest with history runs again alone on a fresh guest. */
static int confirm(struct slot *slot, size_t si, size_t ci, struct case_result *res)
{
	const struct fleet_config *cfg = &slot->host->cfg;
	_cleanup_free_ char *rel = console_rel(cfg, si, ci, "");
	_cleanup_free_ char *rel2 = console_rel(cfg, si, ci, ".reused");
	_cleanup_free_ char *a = xasprintf("%s/%s", cfg->run_dir, rel);
	_cleanup_free_ char *b = xasprintf("%s/%s", cfg->run_dir, rel2);
	struct case_result first = *res;
	_cleanup_free_ char *faults = NULL;
	bool reused;
	int r;

	rename(a, b); /* keep the first run's console beside the fresh one */
	/* alone: no guest restored ahead (spare_start stops at the first SIZE_MAX) */
	r = run_job(slot, si, ci, (size_t[POOL_AHEAD]){SIZE_MAX}, false, res, &reused, &faults);
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

/* Jobs neither taken nor handed back (none once on_batch_end ended the run). Called with
 * f->lock. */
static bool jobs_left(struct fleet *f)
{
	while (f->next < f->total && skipped(f->cfg, job_at(f, f->next)))
		f->next++;
	return (f->next < f->total && !f->stopped) || f->n_back > 0;
}

/* Whether the next job in order may start: it is of the batch being run, or that batch is
 * over (none of it in flight or handed back) and on_batch_end let the run go on to the next.
 * Called with f->lock. */
static bool batch_open(struct fleet *f)
{
	const struct fleet_config *cfg = f->cfg;
	size_t b;

	if (f->stopped || f->next >= f->total)
		return false;
	b = cfg->batch ? cfg->batch[job_at(f, f->next) % cfg->n_cases] : 0;
	if (b == f->batch)
		return true;
	if (f->in_flight > 0 || f->n_back > 0)
		return false;
	if (cfg->on_batch_end && !cfg->on_batch_end(cfg->userdata, f->batch, b))
		f->stopped = true;
	f->batch = b;
	pthread_cond_broadcast(&f->changed);
	return !f->stopped;
}

_printf_(2, 3) static void notice(struct fleet *f, const char *fmt, ...)
{
	_cleanup_free_ char *line = NULL;
	va_list ap;

	if (!f->cfg->on_notice)
		return;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	f->cfg->on_notice(f->cfg->userdata, line);
}

static uint64_t host_bit(const struct host_rt *hr)
{
	size_t i = (size_t)(hr - hr->fleet->hosts);
	return i < 64 ? (uint64_t)1 << i : 0;
}

/* The next job for a slot of hr: a handed-back one first, else the next in order; waits while
 * none is left but some may still be handed back, or while the batch before is not done.
 * ret_next[POOL_AHEAD]: the sensors of the jobs after it, a good guess for this slot's next
 * (SIZE_MAX: none). False when
 * the slot should end. */
static bool next_job(struct host_rt *hr, size_t *ret_job, size_t *ret_next,
		     struct handback *ret_back)
{
	struct fleet *f = hr->fleet;
	bool got = false;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		if (f->cancelled || f->stopping || hr->lost || vm_host_cancelled())
			break;
		for (size_t i = f->n_back; i-- > 0;) {
			if (f->back[i].failed & host_bit(hr))
				continue; /* failed here: for another host */
			*ret_back = f->back[i];
			f->back[i] = f->back[--f->n_back];
			*ret_job = ret_back->job;
			got = true;
			break;
		}
		if (got)
			break;
		if (jobs_left(f) && batch_open(f)) {
			*ret_job = job_at(f, f->next++);
			*ret_back = (struct handback){.job = *ret_job};
			got = true;
			break;
		}
		if (f->in_flight == 0 && !jobs_left(f))
			break;
		pthread_cond_wait(&f->changed, &f->lock);
	}
	if (got) {
		f->in_flight++;
		for (size_t k = 0; k < POOL_AHEAD; k++)
			ret_next[k] = f->next + k < f->total
					  ? job_at(f, f->next + k) / f->cfg->n_cases
					  : SIZE_MAX;
	}
	pthread_mutex_unlock(&f->lock);
	return got;
}

static void record(struct fleet *f, size_t job, struct case_result *res)
{
	const struct fleet_config *cfg = f->cfg;
	size_t si = job / cfg->n_cases, ci = job % cfg->n_cases;
	_cleanup_free_ char *rel = console_rel(cfg, si, ci, "");

	cfg->on_result(cfg->userdata, si, ci, res, rel);
}

/* The host of the slot was lost under job b: hand it back for another slot (or record it
 * when it was handed back too often). */
static void hand_back(struct host_rt *hr, struct handback *b)
{
	struct fleet *f = hr->fleet;

	pthread_mutex_lock(&f->lock);
	if (!hr->lost) {
		hr->lost = true;
		notice(f, "host %s lost: its cases in flight run again on another host",
		       hr->h->uri);
	}
	if (++b->count >= MAX_HANDBACKS) {
		struct case_result res;

		case_result_init(&res);
		runner_failed(
		    &res,
		    xasprintf("host error: the host was lost under this case %u times", b->count),
		    false);
		res.host = hr->h->uri;
		res.host_fault = TAKE_PTR(b->notes);
		record(f, b->job, &res);
		case_result_finish(&res);
	} else {
		f->back = xreallocarray(f->back, f->n_back + 1, sizeof(*f->back));
		f->back[f->n_back++] = *b;
	}
	f->in_flight--;
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
}

/* An infra-error on a host that is up: the job goes to another host that is running and has
 * not failed it yet (a host that cannot run guests fails them fast and would take every job
 * otherwise). Returns true when it was passed on (res finished). */
static bool pass_on(struct host_rt *hr, struct handback *b, struct case_result *res)
{
	struct fleet *f = hr->fleet;
	bool other = false;

	pthread_mutex_lock(&f->lock);
	b->failed |= host_bit(hr);
	for (size_t i = 0; i < f->n_hosts && i < 64; i++)
		other |= !(b->failed & host_bit(&f->hosts[i])) && f->hosts[i].running > 0 &&
			 !f->hosts[i].lost;
	if (other) {
		case_result_note_host(res, "on %s: %s", hr->h->uri,
				      res->detail ? res->detail
						  : verdict_name(VERDICT_INFRA_ERROR));
		b->notes = TAKE_PTR(res->host_fault);
		f->back = xreallocarray(f->back, f->n_back + 1, sizeof(*f->back));
		f->back[f->n_back++] = *b;
		f->in_flight--;
		pthread_cond_broadcast(&f->changed);
	}
	pthread_mutex_unlock(&f->lock);
	if (other)
		case_result_finish(res);
	return other;
}

/* probe_every: whether the job's case goes without the final probe. Only a case whose guest
 * takes the slot's next job too (the pool's guess at its sensor, next[0]) and that is not
 * the probe_every-th since its guest's last probe. */
static bool defer_probe(const struct slot *slot, size_t si, const size_t *next)
{
	const struct fleet_config *cfg = &slot->host->cfg;

	return cfg->isolation == FLEET_REUSE && cfg->probe_every > 1 && cfg->sensors[si].probes &&
	       slot->n_held + 1 < cfg->probe_every && next[0] != SIZE_MAX && next[0] == si;
}

/* Run a job, confirmed alone on a fresh guest when it failed on a guest with history. */
static int run_confirmed(struct slot *slot, size_t job, const size_t *next, bool no_probe,
			 struct case_result *res, bool *ret_reused, char **faults)
{
	const struct fleet_config *cfg = &slot->host->cfg;
	size_t si = job / cfg->n_cases, ci = job % cfg->n_cases;
	int r = run_job(slot, si, ci, next, no_probe, res, ret_reused, faults);

	if (r == 0 && *ret_reused && !healthy(res->verdict) && res->verdict != VERDICT_INFRA_ERROR)
		r = confirm(slot, si, ci, res);
	return r;
}

static void record_locked(struct fleet *f, size_t job, struct case_result *res)
{
	pthread_mutex_lock(&f->lock);
	record(f, job, res);
	pthread_mutex_unlock(&f->lock);
}

enum settle { SETTLE_KEPT, SETTLE_RERUN, SETTLE_AS_IS };

/* The held cases' guest probed after them: kept, they are recorded as vouched for by `by`;
 * otherwise (why: the probe failed, or their guest ended before a probe) each runs again alone,
 * probed, and that is its record; when the run stops, recorded as they are (not probed).
 * Returns 0 or a negative errno (the run is cancelled). */
static int settle_held(struct slot *slot, enum settle how, const char *by, const char *why)
{
	struct fleet *f = slot->host->fleet;
	int r = 0;

	for (size_t i = 0; i < slot->n_held; i++) {
		struct held *h = &slot->held[i];

		if (how == SETTLE_KEPT) {
			h->res.protection = "kept";
			h->res.protection_gap_ms = 0;
			h->res.probed_after = by;
			record_locked(f, h->job, &h->res);
		} else if (how == SETTLE_AS_IS || r < 0) {
			case_result_note_host(&h->res, "not probed: the run stopped before a probe "
						       "on its guest");
			record_locked(f, h->job, &h->res);
		} else {
			_cleanup_free_ char *faults = xasprintf(
			    "not probed (probe_every), and %s: run again alone, probed", why);
			struct case_result res;
			bool reused;

			r = run_confirmed(slot, h->job, (size_t[POOL_AHEAD]){SIZE_MAX}, false, &res,
					  &reused, &faults);
			if (r == 0) {
				record_locked(f, h->job, &res);
				case_result_finish(&res);
			}
		}
		case_result_finish(&h->res);
	}
	slot->n_held = 0;
	return r;
}

/* probe_every: after a job's result, before it is recorded. Returns 1 when res was held (taken),
 * 0 (record it), or a negative errno from settling the held ones. */
static int hold_or_settle(struct slot *slot, size_t job, bool no_probe, bool reused,
			  struct case_result *res)
{
	const struct fleet_config *cfg = &slot->host->cfg;
	const char *id = cfg->cases[job % cfg->n_cases].id;
	bool ok = healthy(res->verdict) && !res->confirmed && res->attempt == 1;
	int r = 0;

	/* the held cases' guest is this one only when it was reused, once, without a stall */
	if (slot->n_held && !(reused && ok)) {
		_cleanup_free_ char *why =
		    res->verdict == VERDICT_PROTECTION_LOST ||
			    (res->confirmed && res->first_verdict == VERDICT_PROTECTION_LOST)
			? xasprintf("the probe after case %s on its guest found protection lost",
				    id)
			: xasprintf(
			      "its guest ended before a probe (case %s: %s)", id,
			      verdict_name(res->confirmed ? res->first_verdict : res->verdict));
		r = settle_held(slot, SETTLE_RERUN, NULL, why);
	} else if (slot->n_held && !no_probe) {
		_cleanup_free_ char *why =
		    xasprintf("the probe after case %s on its guest found protection %s", id,
			      res->protection ? res->protection : "not measured");
		r = settle_held(slot,
				res->protection && !streq(res->protection, "lost") ? SETTLE_KEPT
										   : SETTLE_RERUN,
				id, why);
	}
	if (r < 0)
		return r;
	if (!no_probe)
		return 0;
	if (!ok) {
		/* not probed and not healthy: its guest is gone; a record of its own anyway */
		return 0;
	}
	slot->held = xreallocarray(slot->held, slot->n_held + 1, sizeof(*slot->held));
	slot->held[slot->n_held++] = (struct held){.job = job, .res = *res};
	case_result_init(res);
	return 1;
}

static void slot_loop(struct slot *slot)
{
	struct host_rt *hr = slot->host;
	struct fleet *f = hr->fleet;
	const struct fleet_config *cfg = &hr->cfg;
	struct handback b;
	size_t job, next[POOL_AHEAD];

	while (next_job(hr, &job, next, &b)) {
		size_t si = job / cfg->n_cases;
		struct case_result res;
		bool reused, no_probe = defer_probe(slot, si, next);
		int r = run_confirmed(slot, job, next, no_probe, &res, &reused, &b.notes);

		if (r == -ENOTCONN) {
			hand_back(hr, &b);
			break;
		}
		if (r == 0 && res.verdict == VERDICT_INFRA_ERROR && pass_on(hr, &b, &res))
			continue;
		free(TAKE_PTR(b.notes));
		if (r == 0 && (r = hold_or_settle(slot, job, no_probe, reused, &res)) == 1) {
			pthread_mutex_lock(&f->lock);
			f->in_flight--;
			pthread_cond_broadcast(&f->changed);
			pthread_mutex_unlock(&f->lock);
			continue;
		}
		pthread_mutex_lock(&f->lock);
		if (r < 0)
			f->cancelled = true;
		else
			record(f, job, &res);
		f->in_flight--;
		pthread_cond_broadcast(&f->changed);
		pthread_mutex_unlock(&f->lock);
		case_result_finish(&res);
		if (r < 0)
			break;
	}
	/* held cases left: their guest's last case had no probe (the pool guessed another next
	 * job), or the run stopped */
	if (slot->n_held) {
		bool stopping;

		pthread_mutex_lock(&f->lock);
		stopping = f->cancelled || f->stopping || hr->lost || vm_host_cancelled();
		pthread_mutex_unlock(&f->lock);
		if (settle_held(slot, stopping ? SETTLE_AS_IS : SETTLE_RERUN, NULL,
				"its guest took no other case to probe after it") < 0) {
			pthread_mutex_lock(&f->lock);
			f->cancelled = true;
			pthread_mutex_unlock(&f->lock);
		}
	}
	free(slot->held);
}

static int host_start_slots(struct host_rt *hr);
static void *reconnect_thread(void *arg);

static void thread_exit(struct fleet *f)
{
	pthread_mutex_lock(&f->lock);
	f->threads--;
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
}

static void spawn(struct fleet *f, void *(*fn)(void *), void *arg)
{
	pthread_t t;

	pthread_mutex_lock(&f->lock);
	f->threads++;
	pthread_mutex_unlock(&f->lock);
	if (pthread_create(&t, NULL, fn, arg) != 0)
		abort();
	pthread_detach(t);
}

/* Take down what a lost host had: its guests (their destroys fail fast on a dropped
 * connection), its pool of save images, its connection. */
static void host_down(struct host_rt *hr)
{
	struct fleet *f = hr->fleet;

	pool_free(TAKE_PTR(hr->pool));
	fleet_host_images_free(TAKE_PTR(hr->sensors), f->cfg->n_sensors);
	fleet_host_disconnect(hr->h);
	pthread_mutex_lock(&f->lock);
	hr->up = false;
	pthread_mutex_unlock(&f->lock);
}

static void *slot_thread(void *arg)
{
	struct slot *slot = arg;
	struct host_rt *hr = slot->host;
	struct fleet *f = hr->fleet;
	bool last;

	slot_loop(slot);
	free(slot);
	pthread_mutex_lock(&f->lock);
	last = --hr->running == 0 && hr->lost;
	pthread_mutex_unlock(&f->lock);
	if (last) {
		host_down(hr);
		spawn(f, reconnect_thread, hr);
	}
	thread_exit(f);
	return NULL;
}

/* A connected host: a copy of the run's config with its connection, images and pool. */
static void host_config(struct host_rt *hr)
{
	struct fleet *f = hr->fleet;
	size_t i = (size_t)(hr - f->hosts);

	hr->cfg = *f->cfg;
	hr->cfg.host = hr->h->vm;
	hr->cfg.sensors = hr->sensors ? hr->sensors : f->cfg->sensors;
	hr->cfg.upload = hr->h->upload;
	hr->cfg.work_dir = hr->h->dir;
	hr->cfg.scratch_dir = f->cfg->work_dir;
	hr->cfg.accel = hr->h->accel;
	hr->cfg.host_label = f->n_hosts > 1 && i > 0 ? hr->label : "";
}

/* Start the slots of connected host hr. A remote host gets this run's images first (the
 * session's were uploaded when it connected; a rollout's profiles are other images): when that
 * fails, the host is taken down and -errno returned. */
static int host_start_slots(struct host_rt *hr)
{
	struct fleet *f = hr->fleet;

	if (hr->h->upload) {
		_cleanup_free_ char *err = NULL;
		int r = fleet_host_images(hr->h, f->cfg->sensors, f->cfg->n_sensors, &hr->sensors,
					  NULL, &err);

		if (r < 0) {
			pthread_mutex_lock(&f->lock);
			notice(f, "host %s: %s", hr->h->uri, err);
			pthread_mutex_unlock(&f->lock);
			host_down(hr);
			return r;
		}
	}
	host_config(hr);
	hr->n_slots = fleet_host_slots(hr->h);
	if (hr->n_slots > f->total)
		hr->n_slots = f->total ? (unsigned)f->total : 1;
	hr->pool = pool_new(&hr->cfg, hr->n_slots);
	pthread_mutex_lock(&f->lock);
	hr->lost = false;
	hr->up = true;
	hr->running = hr->n_slots;
	pthread_mutex_unlock(&f->lock);
	for (unsigned i = 0; i < hr->n_slots; i++) {
		struct slot *slot = xzalloc(sizeof(*slot));
		*slot = (struct slot){.host = hr, .index = i};
		spawn(f, slot_thread, slot);
	}
	return 0;
}

/* Whether the run still wants hosts. Called with f->lock. */
static bool wanted(struct fleet *f)
{
	return !f->stopping && !f->cancelled && !vm_host_cancelled() &&
	       (jobs_left(f) || f->in_flight > 0);
}

/* A lost host (or one that did not answer at the start), tried again with backoff until it
 * answers or the run no longer needs it. */
static void *reconnect_thread(void *arg)
{
	struct host_rt *hr = arg;
	struct fleet *f = hr->fleet;
	unsigned delay = BACKOFF_MIN_MS;

	pthread_mutex_lock(&f->lock);
	while (wanted(f)) {
		struct timespec until;
		_cleanup_free_ char *err = NULL;
		int r;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += delay / 1000;
		until.tv_nsec += (long)(delay % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&f->changed, &f->lock, &until);
		if (!wanted(f))
			break;
		pthread_mutex_unlock(&f->lock);
		r = fleet_host_connect(hr->h, f->cfg->sensors, f->cfg->n_sensors, f->cfg->work_dir,
				       &err);
		pthread_mutex_lock(&f->lock);
		if (r == 0) {
			notice(f, "host %s is back", hr->h->uri);
			pthread_mutex_unlock(&f->lock);
			r = host_start_slots(hr);
			pthread_mutex_lock(&f->lock);
			if (r == 0)
				break;
		}
		delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	}
	pthread_mutex_unlock(&f->lock);
	thread_exit(f);
	return NULL;
}

/* No host has been up this long (or FAULTLINE_HOSTS_GONE_MS, for tests): the run gives up on
 * the jobs left. */
#define HOSTS_GONE_MS 120000

static uint64_t hosts_gone_ms(void)
{
	const char *e = getenv("FAULTLINE_HOSTS_GONE_MS");
	char *end;
	unsigned long long v = e ? strtoull(e, &end, 10) : 0;

	return e && *e && !*end && v > 0 ? v : HOSTS_GONE_MS;
}

/* Wait until every job is recorded, the run is cancelled, or no host has been up for
 * hosts_gone_ms(). Returns whether hosts were given up on. Called with f->lock. */
static bool wait_done(struct fleet *f)
{
	uint64_t gone_since = 0, limit = hosts_gone_ms();

	while (wanted(f)) {
		bool any = false;
		struct timespec until;

		for (size_t i = 0; i < f->n_hosts; i++)
			any |= f->hosts[i].running > 0;
		if (any)
			gone_since = 0;
		else if (!gone_since)
			gone_since = now_ms();
		else if (now_ms() - gone_since >= limit)
			return true;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&f->changed, &f->lock, &until);
	}
	return false;
}

/* The jobs no host ran, recorded as infra-errors. Called with f->lock, no slot running. */
static void give_up(struct fleet *f)
{
	notice(f, "no host has answered for %llu s: the cases left are infra-errors",
	       (unsigned long long)(hosts_gone_ms() / 1000));
	while (f->n_back > 0 || jobs_left(f)) {
		struct handback b = f->n_back > 0 ? f->back[--f->n_back]
						  : (struct handback){.job = job_at(f, f->next++)};
		struct case_result res;

		case_result_init(&res);
		runner_failed(&res, xstrdup("host error: no host of the fleet answered"), false);
		res.host_fault = TAKE_PTR(b.notes);
		record(f, b.job, &res);
		case_result_finish(&res);
	}
}

int fleet_run(const struct fleet_config *cfg)
{
	struct fleet f = {.cfg = cfg, .total = cfg->n_cases * cfg->n_sensors};
	bool gave_up;
	int r;

	if ((cfg->isolation != FLEET_BOOT || cfg->persist) && (r = mkdir_p(cfg->work_dir)) < 0)
		return r;
	pthread_mutex_init(&f.lock, NULL);
	pthread_cond_init(&f.changed, NULL);
	if (cfg->batch && cfg->n_cases) {
		f.order = batch_order(cfg);
		f.batch = cfg->batch[0];
	}
	for (size_t i = 0; i < cfg->n_sensors; i++) {
		_cleanup_free_ char *d =
		    xasprintf("%s/consoles/%s", cfg->run_dir, cfg->sensors[i].name);
		mkdir_p(d);
	}
	f.n_hosts = cfg->n_hosts;
	f.hosts = xcalloc(f.n_hosts, sizeof(*f.hosts));
	for (size_t i = 0; i < f.n_hosts; i++) {
		struct host_rt *hr = &f.hosts[i];

		*hr = (struct host_rt){.fleet = &f, .h = &cfg->hosts[i]};
		snprintf(hr->label, sizeof(hr->label), "@%zu", i);
		/* one that did not answer at the start (or took no images) may later */
		if (!hr->h->vm || host_start_slots(hr) < 0)
			spawn(&f, reconnect_thread, hr);
	}
	pthread_mutex_lock(&f.lock);
	gave_up = wait_done(&f);
	f.stopping = true;
	pthread_cond_broadcast(&f.changed);
	while (f.threads > 0)
		pthread_cond_wait(&f.changed, &f.lock);
	if (gave_up && !f.cancelled && !vm_host_cancelled())
		give_up(&f);
	pthread_mutex_unlock(&f.lock);
	for (size_t i = 0; i < f.n_hosts; i++) {
		pool_free(f.hosts[i].pool);
		fleet_host_images_free(f.hosts[i].sensors, cfg->n_sensors);
	}
	for (size_t i = 0; i < f.n_back; i++)
		free(f.back[i].notes);
	free(f.back);
	free(f.hosts);
	rmdir(cfg->work_dir); /* when it was made: everything in it is gone by now */
	free(f.order);
	pthread_mutex_destroy(&f.lock);
	pthread_cond_destroy(&f.changed);
	return f.cancelled || vm_host_cancelled() ? -ECANCELED : 0;
}
