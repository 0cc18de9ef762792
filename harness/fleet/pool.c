/* pool.c — guest provisioning for the fleet (see pool.h).
 *
 * Snapshot and reuse modes: the first slot that needs a sensor boots its template guest, waits
 * for READY and saves it (other slots wait for it). Every guest after that is a restored clone
 * of the template's save image (snapshot.h) under a name of its own, so any number can run side
 * by side and a clone being destroyed never delays the next. Clones ("identities") are files in
 * the work dir, reused once their last guest is destroyed.
 */
#include "pool.h"

#include <pthread.h>

#include "snapshot.h"
#include "util.h"

enum template_state { TEMPLATE_NONE, TEMPLATE_BUILDING, TEMPLATE_READY, TEMPLATE_FAILED };

struct template
{
	enum template_state state;
	char *name, *uuid, *path;
	struct case_result failure; /* why it could not be made, repeated for every job */
	bool failure_retry;
	/* identities: clone files; busy[i] while a guest restored from it exists */
	char **id_paths;
	bool *id_busy;
	size_t n_ids;
};

struct spare {
	pthread_t thread;
	bool running;
	size_t sensor;
	int r;
	struct guest *guest;
	char *error;
	struct pool *pool;
	unsigned slot;
};

struct slot_state {
	struct spare spare;
	struct guest *kept; /* reuse: the healthy guest of the previous case */
};

struct pool {
	const struct fleet_config *cfg;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct template *templates;
	struct slot_state *slots;
	unsigned n_slots;
	unsigned destroying;
	unsigned serial;
};

static void result_copy(struct case_result *dst, const struct case_result *src)
{
	*dst = *src;
	dst->title = src->title ? xstrdup(src->title) : NULL;
	dst->detail = src->detail ? xstrdup(src->detail) : NULL;
	dst->report = src->report ? xstrdup(src->report) : NULL;
	dst->agent_message = src->agent_message ? xstrdup(src->agent_message) : NULL;
}

struct pool *pool_new(const struct fleet_config *cfg, unsigned slots)
{
	struct pool *p = xzalloc(sizeof(*p));

	p->cfg = cfg;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	p->templates = xcalloc(cfg->n_sensors, sizeof(*p->templates));
	p->slots = xcalloc(slots, sizeof(*p->slots));
	p->n_slots = slots;
	return p;
}

/* ---- destroying ---- */

struct doomed {
	struct pool *pool;
	struct guest *guest;
};

static void identity_put(struct pool *p, size_t si, int id)
{
	if (id < 0)
		return;
	pthread_mutex_lock(&p->lock);
	p->templates[si].id_busy[id] = false;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

static void *destroy_thread(void *arg)
{
	struct doomed *d = arg;
	struct pool *p = d->pool;

	vm_destroy(d->guest->vm);
	identity_put(p, d->guest->sensor, d->guest->identity);
	free(d->guest);
	free(d);
	pthread_mutex_lock(&p->lock);
	p->destroying--;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* libvirt's destroy takes 1-2 s: keep it off the path to the next case. */
static void destroy_later(struct pool *p, struct guest *g)
{
	struct doomed *d;
	pthread_t t;

	if (!g)
		return;
	d = xzalloc(sizeof(*d));
	d->pool = p;
	d->guest = g;
	pthread_mutex_lock(&p->lock);
	p->destroying++;
	pthread_mutex_unlock(&p->lock);
	if (pthread_create(&t, NULL, destroy_thread, d) != 0) {
		destroy_thread(d);
		return;
	}
	pthread_detach(t);
}

/* ---- booting ---- */

static void ready_status(const struct proto_frame *fr, struct case_result *res, bool *ready)
{
	int32_t status = fr->len >= 4 ? (int32_t)proto_get_u32(fr->payload) : -1;

	if (status == 0) {
		*ready = true;
		return;
	}
	res->verdict = VERDICT_INFRA_ERROR;
	res->detail = xasprintf(
	    "sensor error: the sensor's start commands failed (status %d): %.*s", status,
	    fr->len > 4 ? (int)(fr->len - 4) : 0, fr->len > 4 ? (const char *)fr->payload + 4 : "");
}

/* The guest died or went quiet before READY. Before the agent's HELLO only the kernel and the
 * emulator were running: an infra-error, retried. After HELLO the sensor was being started, so
 * a kernel report is the sensor's crash at load. */
static void boot_failed(const char *console_path, bool hello, const char *what,
			struct case_result *res, bool *ret_retry)
{
	runner_judge_console(console_path, VERDICT_INFRA_ERROR, NULL, res);
	if (res->verdict == VERDICT_INFRA_ERROR || !hello) {
		_cleanup_free_ char *title = TAKE_PTR(res->title);
		res->verdict = VERDICT_INFRA_ERROR;
		free(res->detail);
		res->detail =
		    title ? xasprintf("guest kernel failed to boot: %s", title) : xstrdup(what);
		*ret_retry = true;
		return;
	}
	free(res->detail);
	res->detail = xstrdup("while the sensor was being started, before the update");
}

/* Wait for the booting guest's agent to report the sensor started (READY). Returns 0, 1 (res
 * filled), or -ECANCELED. */
static int wait_ready(const struct fleet_config *cfg, struct vm *vm, const char *console_path,
		      uint64_t deadline, struct case_result *res, bool *ret_retry)
{
	bool ready = false, hello = false;

	while (!ready && !res->detail) {
		struct vm_event ev;
		int r = vm_next_event(vm, deadline, &ev);

		if (r == -ECANCELED)
			return r;
		if (r == -ETIMEDOUT) {
			_cleanup_free_ char *what = xasprintf(
			    "guest did not become ready within %u s", cfg->boot_ms / 1000);
			boot_failed(console_path, hello, what, res, ret_retry);
			break;
		}
		if (ev.type == VM_EVENT_FRAME) {
			if (ev.frame.type == PROTO_HELLO)
				hello = true;
			else if (ev.frame.type == PROTO_READY)
				ready_status(&ev.frame, res, &ready);
			proto_frame_finish(&ev.frame);
		} else if (ev.type != VM_EVENT_PROTO_ERROR) {
			runner_drain_console(vm, 3000);
			boot_failed(console_path, hello,
				    "guest stopped during boot without a kernel report", res,
				    ret_retry);
		}
	}
	return ready ? 0 : 1;
}

/* Boot a guest and wait until its agent reports the sensor started. 0, 1 (res filled), or
 * -ECANCELED. */
static int boot_guest(const struct fleet_config *cfg, size_t si, const char *name,
		      const char *console_path, struct vm **ret, struct case_result *res,
		      bool *ret_retry)
{
	const struct fleet_sensor *s = &cfg->sensors[si];
	struct vm_config vc = {
	    .name = name,
	    .kernel = s->image->kernel,
	    .initrd = s->image->initrd,
	    .cmdline = cfg->cmdline,
	    .memory_mib = cfg->memory_mib,
	    .accel = cfg->accel,
	    .console_log = console_path,
	};
	_cleanup_free_ char *error = NULL;
	_cleanup_vm_ struct vm *vm = NULL;
	uint64_t start = now_ms();
	int r;

	*ret_retry = false;
	r = vm_start(cfg->host, &vc, &vm, &error);
	if (r == -ECANCELED)
		return r;
	if (r < 0) {
		res->verdict = VERDICT_INFRA_ERROR;
		res->detail = TAKE_PTR(error);
		*ret_retry = true;
		return 1;
	}
	r = wait_ready(cfg, vm, console_path, start + cfg->boot_ms, res, ret_retry);
	if (r < 0)
		return r;
	res->boot_ms = now_ms() - start;
	if (r == 0)
		*ret = TAKE_PTR(vm);
	return r;
}

/* ---- templates and identities ---- */

static char *guest_name(size_t si, unsigned serial)
{
	/* fixed width: clones must have names exactly as long as the template's */
	return xasprintf("fl-%d-s%zu-x%04u", (int)getpid(), si, serial % 10000);
}

static void make_uuid(char out[37], unsigned serial)
{
	uint64_t t = now_ms();
	snprintf(out, 37, "%08x-%04x-4%03x-8%03x-%012llx", (unsigned)getpid(),
		 (unsigned)(t & 0xffff), serial & 0xfff, (unsigned)((t >> 16) & 0xfff),
		 (unsigned long long)(serial * 2654435761u) & 0xffffffffffffull);
}

static int build_template(struct pool *p, size_t si, struct template *t)
{
	const struct fleet_config *cfg = p->cfg;
	/* the template's boot is evidence too: kept with the run's consoles */
	_cleanup_free_ char *log =
	    xasprintf("%s/consoles/%s/_template-boot.log", cfg->run_dir, cfg->sensors[si].name);
	_cleanup_free_ char *error = NULL;
	struct case_result res;
	struct vm *vm = NULL;
	bool retry = false;
	int r = 1;

	for (unsigned attempt = 1; attempt <= cfg->max_attempts && r == 1; attempt++) {
		case_result_init(&res);
		unlink(log);
		r = boot_guest(cfg, si, t->name, log, &vm, &res, &retry);
		if (r == 1 && (!retry || attempt == cfg->max_attempts))
			break;
		if (r == 1)
			case_result_finish(&res);
	}
	if (r < 0)
		return r;
	if (r == 0) {
		r = vm_save(vm, t->path, &t->uuid, &error);
		vm_destroy(vm);
		if (r == 0) {
			case_result_finish(&res);
			return 0;
		}
		res.verdict = VERDICT_INFRA_ERROR;
		res.detail = TAKE_PTR(error);
		retry = true;
	}
	t->failure = res;
	t->failure_retry = retry;
	return 1;
}

/* Ready the template of sensor si; the first caller builds it, others wait. 0, 1 (failed:
 * res gets a copy of why), or -ECANCELED. */
static int template_get(struct pool *p, size_t si, struct case_result *res, bool *ret_retry)
{
	struct template *t = &p->templates[si];
	int r;

	pthread_mutex_lock(&p->lock);
	while (t->state == TEMPLATE_BUILDING && !vm_host_cancelled())
		pthread_cond_wait(&p->changed, &p->lock);
	if (t->state == TEMPLATE_NONE) {
		t->state = TEMPLATE_BUILDING;
		t->name = guest_name(si, 0);
		t->path = xasprintf("%s/%s.save", p->cfg->work_dir, p->cfg->sensors[si].name);
		pthread_mutex_unlock(&p->lock);
		r = build_template(p, si, t);
		pthread_mutex_lock(&p->lock);
		t->state = r == 0 ? TEMPLATE_READY : r == 1 ? TEMPLATE_FAILED : TEMPLATE_NONE;
		pthread_cond_broadcast(&p->changed);
	}
	r = t->state == TEMPLATE_READY ? 0 : t->state == TEMPLATE_FAILED ? 1 : -ECANCELED;
	if (r == 1) {
		result_copy(res, &t->failure);
		*ret_retry = false; /* already retried while building the template */
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* An idle clone of the template (made when none is idle). Returns its index or -errno. */
static int identity_get(struct pool *p, size_t si, char **ret_error)
{
	struct template *t = &p->templates[si];
	_cleanup_free_ char *name = NULL, *path = NULL;
	char uuid[37];
	unsigned serial;
	int r;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < t->n_ids; i++)
		if (!t->id_busy[i]) {
			t->id_busy[i] = true;
			pthread_mutex_unlock(&p->lock);
			return (int)i;
		}
	serial = ++p->serial;
	pthread_mutex_unlock(&p->lock);

	name = guest_name(si, serial);
	path = xasprintf("%s/%s.save", p->cfg->work_dir, name);
	make_uuid(uuid, serial);
	r = snapshot_clone(t->path, path, t->name, t->uuid, name, uuid);
	if (r < 0) {
		*ret_error = xasprintf("faultline error: cannot clone the saved guest %s: %s",
				       t->path, strerror(-r));
		return r;
	}
	pthread_mutex_lock(&p->lock);
	t->id_paths = xreallocarray(t->id_paths, t->n_ids + 1, sizeof(char *));
	t->id_busy = xreallocarray(t->id_busy, t->n_ids + 1, sizeof(bool));
	t->id_paths[t->n_ids] = TAKE_PTR(path);
	t->id_busy[t->n_ids] = true;
	r = (int)t->n_ids++;
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* Restore a clone of sensor si's template, paused, console not yet attached to a file. */
static int restore_guest(struct pool *p, size_t si, struct guest **ret, char **ret_error)
{
	struct template *t = &p->templates[si];
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ struct guest *g = NULL;
	int id, r;

	id = identity_get(p, si, ret_error);
	if (id < 0)
		return id;
	pthread_mutex_lock(&p->lock);
	const char *path = t->id_paths[id];
	pthread_mutex_unlock(&p->lock);
	/* the clone's name is in its file name */
	const char *base = strrchr(path, '/') + 1;
	name = xstrndup(base, strlen(base) - strlen(".save"));
	g = xzalloc(sizeof(*g));
	g->sensor = si;
	g->fresh = true;
	g->identity = id;
	r = vm_restore(p->cfg->host, path, name, NULL, &g->vm, ret_error);
	if (r < 0) {
		identity_put(p, si, id);
		return r;
	}
	*ret = TAKE_PTR(g);
	return 0;
}

/* ---- spares: the next guest, restored while the current case runs ---- */

static void *spare_thread(void *arg)
{
	struct spare *s = arg;

	s->r = restore_guest(s->pool, s->sensor, &s->guest, &s->error);
	return NULL;
}

static void spare_start(struct pool *p, unsigned slot, size_t si)
{
	struct spare *s = &p->slots[slot].spare;

	if (s->running || p->cfg->isolation == FLEET_BOOT || si == SIZE_MAX)
		return;
	pthread_mutex_lock(&p->lock);
	bool ready = p->templates[si].state == TEMPLATE_READY;
	pthread_mutex_unlock(&p->lock);
	if (!ready)
		return;
	*s = (struct spare){.sensor = si, .pool = p, .slot = slot};
	if (pthread_create(&s->thread, NULL, spare_thread, s) == 0)
		s->running = true;
}

/* Collect the slot's spare if it is for sensor si; otherwise throw it away. */
static struct guest *spare_take(struct pool *p, unsigned slot, size_t si)
{
	struct spare *s = &p->slots[slot].spare;
	struct guest *g = NULL;

	if (!s->running)
		return NULL;
	pthread_join(s->thread, NULL);
	s->running = false;
	free(TAKE_PTR(s->error));
	if (s->r < 0)
		return NULL;
	if (s->sensor == si)
		g = s->guest;
	else
		destroy_later(p, s->guest);
	s->guest = NULL;
	return g;
}

/* ---- acquire / release ---- */

static int fresh_guest(struct pool *p, unsigned slot, size_t si, const char *console_path,
		       struct guest **ret, struct case_result *res, bool *ret_retry)
{
	_cleanup_free_ char *error = NULL;
	struct guest *g;
	uint64_t start = now_ms();
	int r;

	if (p->cfg->isolation == FLEET_BOOT) {
		_cleanup_free_ char *name = NULL;
		_cleanup_free_ struct guest *booted = xzalloc(sizeof(*booted));

		pthread_mutex_lock(&p->lock);
		name = guest_name(si, ++p->serial);
		pthread_mutex_unlock(&p->lock);
		booted->sensor = si;
		booted->fresh = true;
		booted->identity = -1;
		r = boot_guest(p->cfg, si, name, console_path, &booted->vm, res, ret_retry);
		if (r == 0)
			*ret = TAKE_PTR(booted);
		return r;
	}
	r = template_get(p, si, res, ret_retry);
	if (r != 0)
		return r;
	g = spare_take(p, slot, si);
	if (!g && (r = restore_guest(p, si, &g, &error)) < 0) {
		if (r == -ECANCELED)
			return r;
		res->verdict = VERDICT_INFRA_ERROR;
		res->detail = TAKE_PTR(error);
		*ret_retry = true;
		return 1;
	}
	if ((r = vm_set_console_log(g->vm, console_path)) < 0 || vm_resume(g->vm, &error) < 0) {
		res->verdict = VERDICT_INFRA_ERROR;
		res->detail = error ? TAKE_PTR(error)
				    : xasprintf("cannot open %s: %s", console_path, strerror(-r));
		*ret_retry = true;
		destroy_later(p, g);
		return 1;
	}
	res->boot_ms = now_ms() - start;
	*ret = g;
	return 0;
}

int pool_acquire(struct pool *p, unsigned slot, size_t si, size_t next_si, const char *console_path,
		 struct guest **ret, struct case_result *res, bool *ret_retry)
{
	struct slot_state *ss = &p->slots[slot];
	int r;

	*ret_retry = false;
	if (vm_host_cancelled())
		return -ECANCELED;
	if (ss->kept && ss->kept->sensor == si) {
		struct guest *g = TAKE_PTR(ss->kept);
		if (vm_set_console_log(g->vm, console_path) == 0) {
			*ret = g;
			return 0;
		}
		destroy_later(p, g);
	}
	destroy_later(p, TAKE_PTR(ss->kept));
	r = fresh_guest(p, slot, si, console_path, ret, res, ret_retry);
	if (r == 0)
		spare_start(p, slot, p->cfg->isolation == FLEET_REUSE ? SIZE_MAX : next_si);
	return r;
}

void pool_release(struct pool *p, unsigned slot, struct guest *g, bool healthy)
{
	if (!g)
		return;
	g->fresh = false;
	if (healthy && p->cfg->isolation == FLEET_REUSE && !vm_host_cancelled()) {
		vm_set_console_log(g->vm, NULL);
		p->slots[slot].kept = g;
		return;
	}
	destroy_later(p, g);
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->n_slots; i++) {
		destroy_later(p, spare_take(p, i, SIZE_MAX));
		destroy_later(p, TAKE_PTR(p->slots[i].kept));
	}
	pthread_mutex_lock(&p->lock);
	while (p->destroying > 0)
		pthread_cond_wait(&p->changed, &p->lock);
	pthread_mutex_unlock(&p->lock);
	for (size_t si = 0; si < p->cfg->n_sensors; si++) {
		struct template *t = &p->templates[si];
		for (size_t i = 0; i < t->n_ids; i++) {
			unlink(t->id_paths[i]);
			free(t->id_paths[i]);
		}
		if (t->path)
			unlink(t->path);
		free(t->id_paths);
		free(t->id_busy);
		free(t->name);
		free(t->uuid);
		free(t->path);
		case_result_finish(&t->failure);
	}
	free(p->templates);
	free(p->slots);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->changed);
	free(p);
}
