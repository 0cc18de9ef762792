/* fleet.c — worker threads, one per slot, pull jobs from a shared counter. A slow or stuck
 * guest only holds its own slot: every wait in a slot is bounded by the scenario's timeouts.
 * Guests are destroyed on a detached thread so that the 1-2 s libvirt destroy is off the path
 * to the next case; fleet_run() waits for every destroy before it returns. */
#include "fleet.h"

#include <pthread.h>
#include <sys/stat.h>

#include "util.h"

struct fleet {
	const struct fleet_config *cfg;
	size_t next, total;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned destroying;
	bool cancelled;
};

struct slot {
	struct fleet *fleet;
	unsigned index;
	pthread_t thread;
};

static void *destroy_thread(void *arg)
{
	void **a = arg;
	struct fleet *f = a[0];

	vm_destroy(a[1]);
	free(a);
	pthread_mutex_lock(&f->lock);
	f->destroying--;
	pthread_cond_broadcast(&f->idle);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

static void destroy_later(struct fleet *f, struct vm *vm)
{
	void **a = xcalloc(2, sizeof(void *));
	pthread_t t;

	a[0] = f;
	a[1] = vm;
	pthread_mutex_lock(&f->lock);
	f->destroying++;
	pthread_mutex_unlock(&f->lock);
	if (pthread_create(&t, NULL, destroy_thread, a) != 0) {
		destroy_thread(a);
		return;
	}
	pthread_detach(t);
}

static void ready_status(const struct proto_frame *fr, struct case_result *res, bool *ready)
{
	int32_t status = fr->len >= 4 ? (int32_t)proto_get_u32(fr->payload) : -1;

	if (status == 0) {
		*ready = true;
		return;
	}
	res->verdict = VERDICT_INFRA_ERROR;
	res->detail = xasprintf("sensor error: the sensor's start commands failed (status %d): %.*s",
				status, fr->len > 4 ? (int)(fr->len - 4) : 0,
				fr->len > 4 ? (const char *)fr->payload + 4 : "");
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
		res->detail = title ? xasprintf("guest kernel failed to boot: %s", title)
				    : xstrdup(what);
		*ret_retry = true;
		return;
	}
	free(res->detail);
	res->detail = xstrdup("while the sensor was being started, before the update");
}

int fleet_boot_guest(const struct fleet_config *cfg, const struct fleet_sensor *s,
		     const char *name, const char *console_path, struct vm **ret,
		     struct case_result *res, bool *ret_retry)
{
	struct vm_config vc = {
		.name = name, .kernel = s->image->kernel, .initrd = s->image->initrd,
		.cmdline = cfg->cmdline, .memory_mib = cfg->memory_mib, .accel = cfg->accel,
		.console_log = console_path,
	};
	_cleanup_free_ char *error = NULL, *what = NULL;
	uint64_t start = now_ms(), deadline = start + cfg->boot_ms;
	struct vm *vm = NULL;
	bool ready = false, hello = false;
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
	while (!ready && !res->detail) {
		struct vm_event ev;

		r = vm_next_event(vm, deadline, &ev);
		if (r == -ECANCELED) {
			vm_destroy(vm);
			return r;
		}
		if (r == -ETIMEDOUT) {
			what = xasprintf("guest did not become ready within %u s", cfg->boot_ms / 1000);
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
				    "guest stopped during boot without a kernel report", res, ret_retry);
		}
	}
	res->boot_ms = now_ms() - start;
	if (!ready) {
		vm_destroy(vm);
		return 1;
	}
	*ret = vm;
	return 0;
}

static char *console_rel(const struct fleet_config *cfg, size_t si, size_t ci)
{
	return xasprintf("consoles/%s/%s.log", cfg->sensors[si].name, cfg->cases[ci].id);
}

/* One attempt at one job. Returns 0 (res filled), or -ECANCELED. */
static int run_job(struct slot *slot, size_t si, size_t ci, unsigned seq, struct case_result *res,
		   bool *ret_retry)
{
	struct fleet *f = slot->fleet;
	const struct fleet_config *cfg = f->cfg;
	const struct scenario_case *c = &cfg->cases[ci];
	_cleanup_free_ char *rel = console_rel(cfg, si, ci);
	_cleanup_free_ char *path = xasprintf("%s/%s", cfg->run_dir, rel);
	_cleanup_free_ char *name = xasprintf("fl-%d-%u-%u", (int)getpid(), slot->index, seq);
	uint64_t start = now_ms();
	struct vm *vm = NULL;
	int r;

	truncate(path, 0); /* a retried attempt starts a fresh log */
	r = fleet_boot_guest(cfg, &cfg->sensors[si], name, path, &vm, res, ret_retry);
	if (r != 0)
		goto done;
	r = runner_run_case(vm, c->id, c->data, c->size, &cfg->timeouts, path, res);
	destroy_later(f, vm);
done:
	res->total_ms = now_ms() - start;
	return r < 0 ? r : 0;
}

static void *slot_thread(void *arg)
{
	struct slot *slot = arg;
	struct fleet *f = slot->fleet;
	const struct fleet_config *cfg = f->cfg;
	unsigned seq = 0;

	for (;;) {
		struct case_result res;
		size_t job, si, ci;
		bool retry = false;
		int r = 0;

		pthread_mutex_lock(&f->lock);
		job = f->next < f->total && !f->cancelled ? f->next++ : SIZE_MAX;
		pthread_mutex_unlock(&f->lock);
		if (job == SIZE_MAX || vm_host_cancelled())
			break;
		ci = job / cfg->n_sensors;
		si = job % cfg->n_sensors;
		for (unsigned attempt = 1; attempt <= cfg->max_attempts; attempt++) {
			case_result_init(&res);
			res.attempt = (int)attempt;
			r = run_job(slot, si, ci, seq++, &res, &retry);
			if (r < 0 || res.verdict != VERDICT_INFRA_ERROR || !retry ||
			    attempt == cfg->max_attempts)
				break;
			case_result_finish(&res);
		}
		if (r < 0) {
			case_result_finish(&res);
			pthread_mutex_lock(&f->lock);
			f->cancelled = true;
			pthread_mutex_unlock(&f->lock);
			break;
		}
		_cleanup_free_ char *rel = console_rel(cfg, si, ci);
		pthread_mutex_lock(&f->lock);
		cfg->on_result(cfg->userdata, si, ci, &res, rel);
		pthread_mutex_unlock(&f->lock);
		case_result_finish(&res);
	}
	return NULL;
}

int fleet_run(const struct fleet_config *cfg)
{
	struct fleet f = { .cfg = cfg, .total = cfg->n_cases * cfg->n_sensors };
	unsigned n = cfg->jobs ? cfg->jobs : 1;
	struct slot *slots;

	if (n > f.total)
		n = f.total ? (unsigned)f.total : 1;
	pthread_mutex_init(&f.lock, NULL);
	pthread_cond_init(&f.idle, NULL);
	for (size_t i = 0; i < cfg->n_sensors; i++) {
		_cleanup_free_ char *d = xasprintf("%s/consoles/%s", cfg->run_dir, cfg->sensors[i].name);
		mkdir_p(d);
	}
	slots = xcalloc(n, sizeof(*slots));
	for (unsigned i = 0; i < n; i++) {
		slots[i] = (struct slot){ .fleet = &f, .index = i };
		if (pthread_create(&slots[i].thread, NULL, slot_thread, &slots[i]) != 0)
			abort();
	}
	for (unsigned i = 0; i < n; i++)
		pthread_join(slots[i].thread, NULL);
	pthread_mutex_lock(&f.lock);
	while (f.destroying > 0)
		pthread_cond_wait(&f.idle, &f.lock);
	pthread_mutex_unlock(&f.lock);
	free(slots);
	pthread_mutex_destroy(&f.lock);
	pthread_cond_destroy(&f.idle);
	return f.cancelled || vm_host_cancelled() ? -ECANCELED : 0;
}
