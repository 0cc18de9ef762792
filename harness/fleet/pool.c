/* pool.c — guest provisioning for the fleet (see pool.h).
 *
 * Snapshot and reuse modes: the first slot that needs a sensor boots its template guest, waits
 * for READY and saves it (other slots wait for it). Every guest after that is a restored clone
 * of the template's save image (snapshot.h) under a name of its own, so any number can run side
 * by side and a clone being destroyed never delays the next. Clones ("identities") are files in
 * the work dir, reused once their last guest is destroyed.
 *
 * A save image is checked against its stamp before each use, and one that changed or did not
 * restore is never used again: a clone is dropped, and when the template itself is in doubt
 * (it changed, or two new clones in a row did not restore) it is dropped too and booted again
 * by the next job. One failed restore does not condemn it: a full disk fails restores too.
 */
#include "pool.h"

#include <pthread.h>
#include <sys/statvfs.h>

#include "disk.h"
#include "snapshot.h"
#include "upload.h"
#include "util.h"

enum template_state { TEMPLATE_NONE, TEMPLATE_BUILDING, TEMPLATE_READY, TEMPLATE_FAILED };

/* A clone of the template, its file in the work dir. */
struct identity {
	char *path;
	struct snapshot_stamp stamp;
	bool busy;     /* a guest restored from it exists (or is being restored) */
	bool dead;     /* changed, failed to restore, or of a dropped template: never used again */
	bool restored; /* has restored once */
};

struct template
{
	enum template_state state;
	char *name, *uuid, *path;
	char *disk; /* persistence: its content partition, frozen once it is saved */
	struct snapshot_stamp stamp;
	char *modules;		    /* its MODULES text, or NULL */
	struct case_result failure; /* why it could not be made, repeated for every job */
	bool failure_retry;
	struct identity *ids;
	size_t n_ids;
	unsigned new_failed; /* new clones that did not restore, in a row */
	/* warm_local: the template's own guest, paused in its saved state, for the first guest
	 * asked for (NULL: taken, or the template has a partition to keep as it is) */
	struct guest *first;
};

struct spare {
	pthread_t thread;
	size_t sensor;
	int r;
	struct guest *guest;
	char *error;
	struct pool *pool;
	unsigned slot;
};

struct slot_state {
	struct spare *spares[POOL_AHEAD]; /* oldest first; NULL from the first free place on */
	struct guest *kept;		  /* reuse: the healthy guest of the previous case */
	unsigned made;			  /* guests it was given that were not kept ones */
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
	size_t ahead;	 /* guests restored ahead per slot: POOL_AHEAD, or FAULTLINE_POOL_AHEAD */
	char *base_disk; /* persistence: the empty partition every booted guest starts from */
	bool base_tried;
};

/* The outcome of src into the job's result dst (its attempt and host notes stay). */
static void result_copy(struct case_result *dst, const struct case_result *src)
{
	char *notes = dst->host_fault;
	int attempt = dst->attempt;

	*dst = *src;
	dst->title = src->title ? xstrdup(src->title) : NULL;
	dst->detail = src->detail ? xstrdup(src->detail) : NULL;
	dst->report = src->report ? xstrdup(src->report) : NULL;
	dst->agent_message = src->agent_message ? xstrdup(src->agent_message) : NULL;
	dst->first_title = src->first_title ? xstrdup(src->first_title) : NULL;
	dst->host_fault = notes;
	dst->attempt = attempt;
}

/* Save images are files here, or in the host's storage pool when the host is not the embedded
 * driver (cfg->upload, upload.h): the same operations either way. */
static int saveimg_stamp(struct pool *p, const char *path, struct snapshot_stamp *ret)
{
	return p->cfg->upload ? upload_stamp(p->cfg->upload, path, ret) : snapshot_stamp(path, ret);
}

static int saveimg_check(struct pool *p, const char *path, const struct snapshot_stamp *stamp,
			 char **ret_reason)
{
	return p->cfg->upload ? upload_check(p->cfg->upload, path, stamp, ret_reason)
			      : snapshot_check(path, stamp, ret_reason);
}

static void saveimg_remove(struct pool *p, const char *path)
{
	if (p->cfg->upload)
		upload_remove(p->cfg->upload, path);
	else
		unlink(path);
}

static size_t pool_ahead(void)
{
	const char *e = getenv("FAULTLINE_POOL_AHEAD");
	char *end;
	unsigned long v = e ? strtoul(e, &end, 10) : POOL_AHEAD;

	return e && (end == e || *end || v > POOL_AHEAD) ? POOL_AHEAD : v;
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
	p->ahead = pool_ahead();
	return p;
}

/* ---- destroying ---- */

struct doomed {
	struct pool *pool;
	struct guest *guest;
};

/* The guest restored from identity id is gone; a dead identity's file goes with it. abandoned:
 * libvirt did not finish tearing the guest down (vm_destroy), so the domain may still hold the
 * identity's name: it dies too. */
static void identity_put(struct pool *p, size_t si, int id, bool abandoned)
{
	if (id < 0)
		return;
	pthread_mutex_lock(&p->lock);
	struct identity *x = &p->templates[si].ids[id];
	x->busy = false;
	x->dead |= abandoned;
	if (x->dead)
		saveimg_remove(p, x->path);
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

static void guest_free_coverage(struct guest *g)
{
	if (g->warm)
		unlink(g->warm);
	free(TAKE_PTR(g->warm));
	free(TAKE_PTR(g->warm_disk));
	if (g->coverage)
		unlink(g->coverage);
	free(TAKE_PTR(g->coverage));
	free(TAKE_PTR(g->modules));
}

/* Destroy the guest, here and now, and everything it made. */
static void guest_dispose(struct pool *p, struct guest *g)
{
	int r = vm_destroy(g->vm);

	identity_put(p, g->sensor, g->identity, r < 0);
	if (g->disk)
		saveimg_remove(p, g->disk);
	guest_free_coverage(g);
	free(g->disk);
	free(g);
}

static void *destroy_thread(void *arg)
{
	struct doomed *d = arg;
	struct pool *p = d->pool;

	guest_dispose(p, d->guest);
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
	_cleanup_free_ char *text = NULL;
	int32_t status = runner_frame_status(fr, -1, &text);

	if (status == 0) {
		*ready = true;
		return;
	}
	runner_failed(res,
		      xasprintf("sensor error: the sensor's start commands failed (status %d): %s",
				status, text),
		      false);
}

/* What a console that never reached the agent showed: nothing at all, or a kernel's banner
 * (looked for in its first lines: it is the first thing a kernel prints). */
static void boot_console(const char *path, struct judge_input *in)
{
	_cleanup_fclose_ FILE *f = path ? fopen(path, "re") : NULL;
	_cleanup_free_ char *line = NULL;
	size_t size = 0;

	if (!f)
		return;
	for (unsigned n = 0; n < 4000 && getline(&line, &size, f) >= 0; n++)
		if (strstr(line, "Linux version ")) {
			in->kernel_started = true;
			return;
		}
	in->console_empty = ftell(f) == 0;
}

/* The guest died or went quiet before READY (judge.h, the boot rows). how: the host's doing,
 * when it stopped the guest. */
static void boot_failed(const struct fleet_config *cfg, const char *console_path, bool hello,
			enum judge_end end, const char *how, struct case_result *res,
			bool *ret_retry)
{
	struct judge_input in = {.step = JUDGE_BOOT,
				 .end = end,
				 .hello = hello,
				 .stopped_by_host = how,
				 .boot_ms = cfg->boot_ms};

	if (!hello && end == JUDGE_SILENT)
		boot_console(console_path, &in);

	runner_judge(&in, console_path, res);
	if (res->retry)
		*ret_retry = true;
}

/* A boot that failed after the host stalled: a kernel report then may be the guest's clock
 * jumping over the stall, not the sensor. */
static void boot_stalled(uint64_t stall_ms, struct case_result *res, bool *ret_retry)
{
	res->host_stall_ms = stall_ms;
	runner_stalled(res, "while the guest booted");
	*ret_retry = true;
}

/* Wait for the booting guest's agent to report the sensor started (READY). Returns 0, 1 (res
 * filled), or -ECANCELED. */
static int wait_ready(const struct fleet_config *cfg, struct vm *vm, const char *console_path,
		      uint64_t deadline, struct case_result *res, bool *ret_retry,
		      char **ret_modules)
{
	bool ready = false, hello = false;
	struct runner_stall stall;

	runner_stall_start(vm, &stall);
	while (!ready && !res->detail) {
		struct vm_event ev;
		uint64_t look = now_ms() + 1000; /* a stall shows only to one who looks */
		int r;

		runner_stall_sample(vm, &stall);
		r = vm_next_event(vm, look < deadline ? look : deadline, &ev);
		if (r == -ECANCELED)
			return r;
		if (r == -ETIMEDOUT && now_ms() < deadline)
			continue;
		if (r == -ETIMEDOUT) {
			boot_failed(cfg, console_path, hello, JUDGE_SILENT, NULL, res, ret_retry);
			break;
		}
		if (ev.type == VM_EVENT_FRAME) {
			if (ev.frame.type == PROTO_HELLO)
				hello = true;
			else if (ev.frame.type == PROTO_READY)
				ready_status(&ev.frame, res, &ready);
			else if (ev.frame.type == PROTO_MODULES) {
				free(*ret_modules);
				*ret_modules = xstrdup((char *)ev.frame.payload);
			}
			proto_frame_finish(&ev.frame);
		} else if (ev.type != VM_EVENT_PROTO_ERROR) {
			_cleanup_free_ char *how = NULL;
			bool guest;

			runner_drain_console(vm, 3000);
			guest = vm_stopped_by_guest(vm, &how);
			boot_failed(cfg, console_path, hello, JUDGE_STOPPED, guest ? NULL : how,
				    res, ret_retry);
		}
	}
	if (!ready && runner_stall_ms(&stall) > 0)
		boot_stalled(runner_stall_ms(&stall), res, ret_retry);
	return ready ? 0 : 1;
}

/* The guest agent's test modes (guests/agent/agent.c: malformed frames, a console flood) are
 * for faultline's own fault-injection tests: FAULTLINE_AGENT_TEST=MODE[,MODE] in the
 * controller's environment puts them on the guest's kernel command line (with
 * FAULTLINE_AGENT_TEST_SENSOR=NAME, only on sensor NAME's guests: one guest misbehaves beside
 * well-behaved ones). Unset, nothing is added; a value with anything but letters and commas is
 * ignored. */
static char *guest_cmdline(const struct fleet_config *cfg, const char *sensor)
{
	const char *test = getenv("FAULTLINE_AGENT_TEST");
	const char *only = getenv("FAULTLINE_AGENT_TEST_SENSOR");
	const char *persist = cfg->persist ? " faultline.persist=1" : "";

	if (only && *only && !streq(only, sensor))
		test = NULL;
	if (!test || !*test || test[strspn(test, "abcdefghijklmnopqrstuvwxyz,")])
		return xasprintf("%s%s", cfg->cmdline, persist);
	return xasprintf("%s%s faultline.agent_test=%s", cfg->cmdline, persist, test);
}

/* A remote host's base partition: made here, sent to its pool (once per content). */
static void base_upload(struct pool *p, char **ret_error)
{
	_cleanup_free_ char *local = TAKE_PTR(p->base_disk);
	uint64_t sent;

	if (upload_file(p->cfg->upload, local, "persist-base.disk", &p->base_disk, &sent,
			ret_error) < 0)
		p->base_disk = NULL;
	unlink(local);
}

/* Does sensor si's guest get a disk: the content partition (persistence), or the root disk of
 * a full system (image.h)? */
static bool wants_disk(const struct fleet_config *cfg, size_t si)
{
	return cfg->persist || cfg->sensors[si].image->root_disk;
}

/* Warm isolation, reset in place: the template's state is a warm state file (vm.h,
 * vm_warm_export) that every guest loads from a copy, not a save image. A remote host's guests,
 * and a full system's, are restored from save images per case as in snapshot isolation
 * (warm_note): the state file must be on this machine, and a qcow2 root cannot be refilled
 * under QEMU as a raw partition can (QEMU keeps its tables in memory). */
static bool warm_local(const struct fleet_config *cfg, size_t si)
{
	return cfg->isolation == FLEET_WARM && !cfg->upload && !cfg->sensors[si].image->root_disk;
}

/* A full system's root for a booted guest: a qcow2 overlay on the image's root disk, which stays
 * as built. Clones copy their template's overlay (disk_for()), backed by the same root. */
static char *overlay_for(struct pool *p, size_t si, const char *name, char **ret_error)
{
	const char *root = p->cfg->sensors[si].image->root_disk;
	_cleanup_free_ char *path = xasprintf("%s/%s.qcow2", p->cfg->work_dir, name);
	int r;

	if (p->cfg->upload) {
		*ret_error = xstrdup("scenario error: full systems (guest: {system: ...}) run on "
				     "the local host only");
		return NULL;
	}
	r = disk_overlay(root, p->cfg->sensors[si].image->root_format, path, ret_error);
	return r < 0 ? NULL : TAKE_PTR(path);
}

/* A new guest's disk in the work dir: copied from src (a template's), or when src is NULL the
 * content partition's base or a full system's overlay. Returns its path, or NULL with
 * *ret_error set (caller frees both). */
static char *disk_for(struct pool *p, size_t si, const char *src, const char *name,
		      char **ret_error)
{
	_cleanup_free_ char *path = xasprintf("%s/%s.disk", p->cfg->work_dir, name);
	int r;

	if (!src && p->cfg->sensors[si].image->root_disk)
		return overlay_for(p, si, name, ret_error);
	pthread_mutex_lock(&p->lock);
	if (!p->base_tried) {
		p->base_tried = true;
		p->base_disk = xasprintf("%s/persist-base.disk", p->cfg->scratch_dir);
		if (disk_make(p->base_disk, ret_error) < 0)
			free(TAKE_PTR(p->base_disk));
		else if (p->cfg->upload)
			base_upload(p, ret_error);
	}
	if (!src)
		src = p->base_disk;
	pthread_mutex_unlock(&p->lock);
	if (!src) {
		if (!*ret_error)
			*ret_error = xstrdup("host error: the content partition could not be made");
		return NULL;
	}
	if (p->cfg->upload) {
		char *made;

		if ((r = upload_copy(p->cfg->upload, src, strrchr(path, '/') + 1, &made)) == 0)
			return made;
		*ret_error = xasprintf("host error: cannot copy the content partition %s on %s: %s",
				       src, vm_host_uri(p->cfg->host), strerror(-r));
		return NULL;
	}
	if ((r = disk_copy(src, path)) < 0) {
		*ret_error = xasprintf("host error: cannot copy the content partition %s to %s: %s",
				       src, path, strerror(-r));
		return NULL;
	}
	return TAKE_PTR(path);
}

/* Coverage: the file guest `name` counts in (NULL: none). */
static char *coverage_path(const struct fleet_config *cfg, const char *name)
{
	return cfg->coverage_dir ? xasprintf("%s/%s.cov", cfg->coverage_dir, name) : NULL;
}

/* How a guest of sensor si is started: its vm_config, which points into the setup. */
struct guest_setup {
	char *cmdline, *cov, *plugin;
	const char *qemu_args[3];
	struct vm_config vc;
};

static void guest_setup_init(const struct fleet_config *cfg, size_t si, const char *name,
			     const char *disk, const char *console_path, struct guest_setup *gs)
{
	const struct fleet_sensor *s = &cfg->sensors[si];

	*gs = (struct guest_setup){.cmdline = guest_cmdline(cfg, s->name),
				   .cov = coverage_path(cfg, name)};
	if (gs->cov)
		gs->plugin = xasprintf("%s,out=%s%s", cfg->coverage_plugin, gs->cov,
				       cfg->coverage_operands ? ",cmp=1" : "");
	gs->qemu_args[0] = "-plugin";
	gs->qemu_args[1] = gs->plugin;
	gs->vc = (struct vm_config){
	    .disk = disk,
	    .disk_qcow2 = s->image->root_disk != NULL,
	    .firmware = s->image->firmware,
	    .name = name,
	    .kernel = s->image->kernel,
	    .initrd = s->image->initrd,
	    .cmdline = gs->cmdline,
	    .cmdline_extra = s->image->cmdline,
	    .memory_mib = fleet_sensor_memory(cfg, si),
	    .accel = cfg->accel,
	    .console_log = console_path,
	    .qemu_args = gs->plugin ? gs->qemu_args : NULL,
	    .arch = s->image->arch,
	};
}

static void guest_setup_done(struct guest_setup *gs)
{
	free(gs->cmdline);
	free(gs->cov);
	free(gs->plugin);
}

/* Boot a guest and wait until its agent reports the sensor started. 0, 1 (res filled), or
 * -ECANCELED. *ret_modules gets its MODULES text (caller frees; NULL when none came). */
static int boot_guest(const struct fleet_config *cfg, size_t si, const char *name, const char *disk,
		      const char *console_path, struct vm **ret, struct case_result *res,
		      bool *ret_retry, char **ret_modules)
{
	_cleanup_(guest_setup_done) struct guest_setup gs = {};
	_cleanup_free_ char *error = NULL, *modules = NULL;
	_cleanup_vm_ struct vm *vm = NULL;
	uint64_t start = now_ms();
	int r;

	guest_setup_init(cfg, si, name, disk, console_path, &gs);
	*ret_retry = false;
	r = vm_start(cfg->host, &gs.vc, &vm, &error);
	if (r == -ECANCELED)
		return r;
	if (r < 0) {
		runner_failed(res, TAKE_PTR(error), false);
		*ret_retry = true;
		return 1;
	}
	r = wait_ready(cfg, vm, console_path, start + cfg->boot_ms, res, ret_retry, &modules);
	if (r < 0)
		return r;
	res->boot_ms = now_ms() - start;
	if (r == 0) {
		*ret = TAKE_PTR(vm);
		*ret_modules = TAKE_PTR(modules);
	}
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

/* A template guest that has been saved (saved: its state is in t->path). A warm one is still
 * there, paused in that state: with no partition to keep as it is, it becomes the first guest
 * (t->first) with a copy of the state file of its own, two seconds before any clone could;
 * else its teardown (1.6 s here) is left to a thread. Its coverage file (taken) goes with it. */
static void template_vm_done(struct pool *p, size_t si, struct vm *vm, char *cov, bool saved)
{
	struct template *t = &p->templates[si];
	_cleanup_free_ char *error = NULL;
	struct guest *g = xzalloc(sizeof(*g));

	g->vm = vm;
	g->sensor = si;
	g->identity = -1;
	g->coverage = cov;
	if (!warm_local(p->cfg, si)) {
		guest_dispose(p, g);
		return;
	}
	destroy_later(p, TAKE_PTR(t->first)); /* a dropped template's */
	if (saved && !t->disk) {
		g->fresh = true;
		g->modules = t->modules ? xstrdup(t->modules) : NULL;
		g->warm = xasprintf("%s/%s.warm", p->cfg->work_dir, vm_name(vm));
		if (disk_copy(t->path, g->warm) == 0 && vm_warm_adopt(vm, g->warm, &error) == 0) {
			t->first = g;
			return;
		}
	}
	destroy_later(p, g);
}

static int build_template(struct pool *p, size_t si, struct template *t)
{
	const struct fleet_config *cfg = p->cfg;
	/* the template's boot is evidence too: kept with the run's consoles */
	_cleanup_free_ char *log =
	    xasprintf("%s/consoles/%s/_template-boot%s.log", cfg->run_dir, cfg->sensors[si].name,
		      cfg->host_label ? cfg->host_label : "");
	_cleanup_free_ char *error = NULL;
	struct case_result res;
	struct vm *vm = NULL;
	bool retry = false;
	int r = 1;

	if (wants_disk(cfg, si) && !(t->disk = disk_for(p, si, NULL, t->name, &error))) {
		case_result_init(&res);
		runner_failed(&res, TAKE_PTR(error), false);
		t->failure = res;
		t->failure_retry = false;
		return 1;
	}
	for (unsigned attempt = 1; attempt <= cfg->max_attempts && r == 1; attempt++) {
		case_result_init(&res);
		unlink(log);
		free(TAKE_PTR(t->modules));
		r = boot_guest(cfg, si, t->name, t->disk, log, &vm, &res, &retry, &t->modules);
		if (r == 1 && (!retry || attempt == cfg->max_attempts))
			break;
		if (r == 1)
			case_result_finish(&res);
	}
	if (r < 0)
		return r;
	if (r == 0) {
		char *cov = coverage_path(cfg, t->name);
		_cleanup_free_ char *made = NULL;

		/* libvirt writes the file, in a volume of the host's pool when it is remote */
		if (cfg->upload &&
		    !(made = upload_new_path(cfg->upload, strrchr(t->path, '/') + 1, &error)))
			r = -EIO;
		if (r == 0 && warm_local(cfg, si) && (r = disk_state_file(t->path, &error)) == 0)
			r = vm_warm_export(vm, t->path, &error);
		else if (r == 0)
			r = vm_save(vm, t->path, &t->uuid, &error);
		template_vm_done(p, si, vm, TAKE_PTR(cov), r == 0);
		if (r == 0 && (r = saveimg_stamp(p, t->path, &t->stamp)) < 0)
			error = xasprintf("host error: cannot stat the saved guest %s: %s", t->path,
					  strerror(-r));
		if (r == 0) {
			case_result_finish(&res);
			return 0;
		}
		runner_failed(&res, TAKE_PTR(error), false);
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
		bool warm = warm_local(p->cfg, si);

		t->state = TEMPLATE_BUILDING;
		/* made again after template_drop: same name and file; but a warm template's
		 * guest may still be going (template_vm_done) */
		if (warm)
			free(TAKE_PTR(t->name));
		if (!t->name)
			t->name = guest_name(si, warm ? ++p->serial : 0);
		if (!t->path)
			t->path = xasprintf("%s/%s.%s", p->cfg->work_dir, p->cfg->sensors[si].name,
					    warm ? "warm" : "save");
		free(TAKE_PTR(t->uuid));
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

/* The template's save image is in doubt: drop it and every clone of it (a busy clone's file
 * goes when its guest does); the next job boots and saves a new one. Called with p->lock. */
static void template_drop(struct pool *p, size_t si)
{
	struct template *t = &p->templates[si];

	if (t->state != TEMPLATE_READY)
		return;
	t->state = TEMPLATE_NONE;
	t->new_failed = 0;
	saveimg_remove(p, t->path);
	if (t->disk)
		saveimg_remove(p, t->disk);
	free(TAKE_PTR(t->disk));
	for (size_t i = 0; i < t->n_ids; i++) {
		t->ids[i].dead = true;
		if (!t->ids[i].busy)
			saveimg_remove(p, t->ids[i].path);
	}
}

/* Clone the template into a new identity, marked busy. Returns its index or -errno. */
static int identity_new(struct pool *p, size_t si, char **ret_error)
{
	struct template *t = &p->templates[si];
	_cleanup_free_ char *name = NULL, *path = NULL, *tpath = NULL, *tname = NULL;
	_cleanup_free_ char *tuuid = NULL, *why = NULL;
	struct snapshot_stamp tstamp, stamp;
	char uuid[37];
	unsigned serial;
	int r;

	pthread_mutex_lock(&p->lock);
	if (t->state != TEMPLATE_READY) {
		pthread_mutex_unlock(&p->lock);
		*ret_error = xstrdup("host error: the saved guest was dropped as damaged");
		return -ESTALE; /* template_get makes it again */
	}
	serial = ++p->serial;
	tpath = xstrdup(t->path);
	tname = xstrdup(t->name);
	tuuid = xstrdup(t->uuid);
	tstamp = t->stamp;
	pthread_mutex_unlock(&p->lock);

	if ((r = saveimg_check(p, tpath, &tstamp, &why)) < 0) {
		pthread_mutex_lock(&p->lock);
		template_drop(p, si);
		pthread_mutex_unlock(&p->lock);
		*ret_error = xasprintf("host error: %s: dropped, booted and saved again", why);
		return -ESTALE;
	}
	name = guest_name(si, serial);
	path = xasprintf("%s/%s.save", p->cfg->work_dir, name);
	make_uuid(uuid, serial);
	r = p->cfg->upload ? upload_clone(p->cfg->upload, tpath, path, tname, tuuid, name, uuid)
			   : snapshot_clone(tpath, path, tname, tuuid, name, uuid);
	if (r == 0 && (r = saveimg_stamp(p, path, &stamp)) < 0)
		saveimg_remove(p, path);
	if (r < 0) {
		*ret_error =
		    xasprintf("%s: cannot clone the saved guest %s: %s",
			      r == -EBADMSG || r == -EINVAL ? "faultline bug" : "host error", tpath,
			      strerror(-r));
		return r;
	}
	pthread_mutex_lock(&p->lock);
	t->ids = xreallocarray(t->ids, t->n_ids + 1, sizeof(*t->ids));
	t->ids[t->n_ids] = (struct identity){.path = TAKE_PTR(path), .stamp = stamp, .busy = true};
	r = (int)t->n_ids++;
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* An idle clone of the template (made when none is idle), marked busy. Its index or -errno. */
static int identity_get(struct pool *p, size_t si, char **ret_error)
{
	struct template *t = &p->templates[si];

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < t->n_ids; i++)
		if (!t->ids[i].busy && !t->ids[i].dead) {
			t->ids[i].busy = true;
			pthread_mutex_unlock(&p->lock);
			return (int)i;
		}
	pthread_mutex_unlock(&p->lock);
	return identity_new(p, si, ret_error);
}

/* Identity id changed (restore_failed false) or did not restore: never use it again. New
 * clones that do not restore cast doubt on the template they were copied from. */
static void identity_fail(struct pool *p, size_t si, int id, bool restore_failed)
{
	struct template *t = &p->templates[si];

	pthread_mutex_lock(&p->lock);
	t->ids[id].dead = true;
	if (restore_failed && !t->ids[id].restored && ++t->new_failed >= 2)
		template_drop(p, si);
	pthread_mutex_unlock(&p->lock);
	identity_put(p, si, id, false);
}

/* warm_local: a guest of sensor si started paused, never run, and given the template's state
 * from a copy of its file, which stays the guest's own state for the resets of its later
 * cases. Returns as restore_guest; new clones that do not load cast doubt on the template. */
static int warm_clone(struct pool *p, size_t si, struct guest **ret, char **ret_error)
{
	struct template *t = &p->templates[si];
	_cleanup_(guest_setup_done) struct guest_setup gs = {};
	_cleanup_free_ char *tpath = NULL, *name = NULL, *why = NULL;
	struct guest *g;
	struct snapshot_stamp stamp;
	int r;

	pthread_mutex_lock(&p->lock);
	if (t->state != TEMPLATE_READY) {
		pthread_mutex_unlock(&p->lock);
		*ret_error = xstrdup("host error: the saved guest was dropped as damaged");
		return -ESTALE; /* template_get makes it again */
	}
	if ((g = TAKE_PTR(t->first))) {
		pthread_mutex_unlock(&p->lock);
		*ret = g;
		return 0;
	}
	/* not the fixed-width names of save-image clones: a slot's guest may live for a whole
	 * run while others come and go */
	name = xasprintf("fl-%d-s%zu-w%u", (int)getpid(), si, ++p->serial);
	tpath = xstrdup(t->path);
	stamp = t->stamp;
	g = xzalloc(sizeof(*g));
	g->warm_disk = t->disk ? xstrdup(t->disk) : NULL;
	g->modules = t->modules ? xstrdup(t->modules) : NULL;
	pthread_mutex_unlock(&p->lock);
	g->sensor = si;
	g->fresh = true;
	g->identity = -1;
	g->coverage = coverage_path(p->cfg, name);
	g->warm = xasprintf("%s/%s.warm", p->cfg->work_dir, name);
	if (wants_disk(p->cfg, si) &&
	    !(g->disk = g->warm_disk ? disk_for(p, si, g->warm_disk, name, ret_error) : NULL)) {
		if (!*ret_error)
			*ret_error = xstrdup("host error: the template has no partition");
		guest_dispose(p, g);
		return -EIO;
	}
	if ((r = disk_copy(tpath, g->warm)) < 0)
		*ret_error = xasprintf("host error: cannot copy the saved state %s: %s", tpath,
				       strerror(-r));
	else if ((r = saveimg_check(p, tpath, &stamp, &why)) < 0) {
		*ret_error = xasprintf("host error: %s: dropped, booted and saved again", why);
		pthread_mutex_lock(&p->lock);
		template_drop(p, si);
		pthread_mutex_unlock(&p->lock);
		guest_dispose(p, g);
		return -ESTALE;
	}
	if (r == 0) {
		guest_setup_init(p->cfg, si, name, g->disk, NULL, &gs);
		gs.vc.paused = true;
		r = vm_start(p->cfg->host, &gs.vc, &g->vm, ret_error);
	}
	if (r == 0 && (r = vm_warm_load(g->vm, g->warm, ret_error)) < 0) {
		pthread_mutex_lock(&p->lock);
		if (++t->new_failed >= 2)
			template_drop(p, si);
		pthread_mutex_unlock(&p->lock);
	}
	if (r < 0) {
		guest_dispose(p, g);
		return r;
	}
	pthread_mutex_lock(&p->lock);
	t->new_failed = 0;
	pthread_mutex_unlock(&p->lock);
	*ret = g;
	return 0;
}

/* Restore a clone of sensor si's template, paused, console not yet attached to a file. */
static int restore_guest(struct pool *p, size_t si, struct guest **ret, char **ret_error)
{
	struct template *t = &p->templates[si];
	_cleanup_free_ char *name = NULL, *path = NULL, *why = NULL;
	_cleanup_free_ struct guest *g = NULL;
	struct snapshot_stamp stamp;
	int id, r;

	if (warm_local(p->cfg, si))
		return warm_clone(p, si, ret, ret_error);
	id = identity_get(p, si, ret_error);
	if (id < 0)
		return id;
	pthread_mutex_lock(&p->lock);
	path = xstrdup(t->ids[id].path);
	stamp = t->ids[id].stamp;
	pthread_mutex_unlock(&p->lock);
	if ((r = saveimg_check(p, path, &stamp, &why)) < 0) {
		*ret_error = xasprintf("host error: %s: dropped", why);
		identity_fail(p, si, id, false);
		return -ESTALE;
	}
	/* the clone's name is in its file name */
	const char *base = strrchr(path, '/') + 1;
	name = xstrndup(base, strlen(base) - strlen(".save"));
	g = xzalloc(sizeof(*g));
	g->sensor = si;
	g->fresh = true;
	g->identity = id;
	if (wants_disk(p->cfg, si)) {
		_cleanup_free_ char *dname = NULL, *tdisk = NULL;

		pthread_mutex_lock(&p->lock);
		dname = xasprintf("%s-d%u", name, ++p->serial);
		tdisk = t->disk ? xstrdup(t->disk) : NULL;
		pthread_mutex_unlock(&p->lock);
		if (!tdisk || !(g->disk = disk_for(p, si, tdisk, dname, ret_error))) {
			if (!*ret_error)
				*ret_error = xstrdup("host error: the template has no partition");
			identity_put(p, si, id, false);
			return -EIO;
		}
	}
	if (p->cfg->coverage_dir) {
		g->coverage = coverage_path(p->cfg, name);
		pthread_mutex_lock(&p->lock);
		g->modules = t->modules ? xstrdup(t->modules) : NULL;
		pthread_mutex_unlock(&p->lock);
	}
	r = vm_restore(p->cfg->host, path, name, g->disk, NULL, &g->vm, ret_error);
	if (r < 0 && g->disk)
		saveimg_remove(p, g->disk);
	if (r < 0) {
		free(TAKE_PTR(g->disk));
		guest_free_coverage(g);
	}
	if (r == -ENOTCONN) { /* restored: the image is fine, its guest's streams were not */
		identity_put(p, si, id, false);
		return r;
	}
	if (r < 0) {
		identity_fail(p, si, id, true);
		return r;
	}
	/* changed while QEMU read it: the guest may hold damaged memory */
	if ((r = saveimg_check(p, path, &stamp, &why)) < 0) {
		*ret_error = xasprintf("host error: %s while it was restored: dropped", why);
		vm_destroy(TAKE_PTR(g->vm));
		if (g->disk)
			saveimg_remove(p, g->disk);
		free(TAKE_PTR(g->disk));
		guest_free_coverage(g);
		identity_fail(p, si, id, false);
		return -ESTALE;
	}
	pthread_mutex_lock(&p->lock);
	t->ids[id].restored = true;
	t->new_failed = 0;
	pthread_mutex_unlock(&p->lock);
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

/* Restore guests into the slot's free places, for the sensors next[] says come next (none
 * past a SIZE_MAX: no more guests than jobs). */
static void spare_start(struct pool *p, unsigned slot, const size_t *next)
{
	struct spare **q = p->slots[slot].spares;
	/* warm: one, paused until the slot's guest is replaced (a crash), once it has been: a
	 * slot whose guest stays healthy never needs one, and making it costs the cases beside it
	 * a QEMU start and a load */
	size_t ahead = p->ahead;

	if (p->cfg->isolation == FLEET_WARM)
		ahead = p->ahead && p->slots[slot].made > 1 ? 1 : 0;

	if (p->cfg->isolation != FLEET_SNAPSHOT && p->cfg->isolation != FLEET_WARM)
		return;
	for (size_t k = 0; k < ahead && next[k] != SIZE_MAX; k++) {
		size_t si = next[k];

		if (q[k])
			continue;
		pthread_mutex_lock(&p->lock);
		bool ready = p->templates[si].state == TEMPLATE_READY;
		pthread_mutex_unlock(&p->lock);
		if (!ready)
			return;
		q[k] = xzalloc(sizeof(*q[k]));
		*q[k] = (struct spare){.sensor = si, .pool = p, .slot = slot};
		if (pthread_create(&q[k]->thread, NULL, spare_thread, q[k]) != 0) {
			free(TAKE_PTR(q[k]));
			return;
		}
	}
}

/* A guest that could not be restored while the work dir's file system is full: libvirt's own
 * messages ("failed to write master key file") do not say why, so the error does. */
static void note_full(const struct pool *p, char **error)
{
	struct statvfs st;

	if (!*error || strstr(*error, strerror(ENOSPC)) || p->cfg->upload ||
	    statvfs(p->cfg->work_dir, &st) < 0 || st.f_bavail > 0)
		return;
	strappendf(error, " ", "(the file system of %s is full: %s)", p->cfg->work_dir,
		   strerror(ENOSPC));
}

/* The slot's oldest spare, finished, taken out of its queue (NULL: none). */
static struct spare *spare_pop(struct pool *p, unsigned slot)
{
	struct spare **q = p->slots[slot].spares, *s = q[0];

	if (!s)
		return NULL;
	pthread_join(s->thread, NULL);
	memmove(q, q + 1, (POOL_AHEAD - 1) * sizeof(*q));
	q[POOL_AHEAD - 1] = NULL;
	return s;
}

/* Collect the slot's oldest spare for sensor si; those before it (for another sensor, or not
 * restored: why goes to res's host notes; res may be NULL) are thrown away. NULL: none left. */
static struct guest *spare_take(struct pool *p, unsigned slot, size_t si, struct case_result *res)
{
	struct spare *s;
	struct guest *g = NULL;

	while (!g && (s = spare_pop(p, slot))) {
		_cleanup_free_ char *error = TAKE_PTR(s->error);
		int r = s->r;

		if (r < 0 && res && r != -ECANCELED) {
			if (!error)
				error = xstrdup(strerror(-r));
			note_full(p, &error);
			case_result_note_host(res, "the guest prepared for this case: %s", error);
		}
		if (r == 0 && s->sensor == si)
			g = s->guest;
		else if (r == 0)
			destroy_later(p, s->guest);
		free(s);
	}
	return g;
}

/* ---- acquire / release ---- */

/* A restored guest of sensor si, paused: the slot's spare, or one restored now. Save images
 * found damaged before any guest ran from them were dropped (restore_guest: -ESTALE): that is
 * noted in the record, and the next image (or a template booted again) is tried, a few times.
 * Returns 0, 1 (res filled), or -ECANCELED. */
static int restored_guest(struct pool *p, unsigned slot, size_t si, struct guest **ret,
			  struct case_result *res, bool *ret_retry)
{
	struct guest *g = NULL;
	int r;

	for (unsigned tries = 0;; tries++) {
		_cleanup_free_ char *error = NULL;

		r = template_get(p, si, res, ret_retry);
		if (r != 0)
			return r;
		if (tries == 0)
			g = spare_take(p, slot, si, res);
		if (g || (r = restore_guest(p, si, &g, &error)) == 0)
			break;
		if (r == -ECANCELED)
			return r;
		note_full(p, &error);
		if (r == -ESTALE && tries < 8) {
			case_result_note_host(res, "%s", error);
			continue;
		}
		runner_failed(res, TAKE_PTR(error), false);
		*ret_retry = true;
		return 1;
	}
	*ret = g;
	return 0;
}

/* ---- warm: one emulator per slot, reset in place ---- */

/* QEMU (7.2, TCG) never lets a process's CPU tick count go backwards: after a reset the guest's
 * TSC goes on from where the last case left it, not from the saved state, while every other
 * clock is reset. A guest that keeps time by its TSC sees it jump by the time it ran since the
 * saved state: past about 8 s a soft lockup, past 15 s an RCU stall (both seen here). Warm's
 * guests are booted not to (session.c), so they are reset for as long as they stay healthy;
 * FAULTLINE_WARM_BUDGET_MS (100 or more) still replaces a guest that has run that long since its
 * saved state by a restored one. */
static uint64_t warm_budget_ms(void)
{
	const char *e = getenv("FAULTLINE_WARM_BUDGET_MS");
	unsigned long long v = e ? strtoull(e, NULL, 10) : 0;

	return v >= 100 ? v : UINT64_MAX;
}

/* Guests that are restored per case in warm isolation (warm_local): say so in the record. */
static void warm_note(struct pool *p, struct guest *g, struct case_result *res)
{
	if (p->cfg->isolation != FLEET_WARM || g->warm)
		return;
	case_result_note_host(res,
			      "warm isolation: %s are not reset in place (each case restores one, "
			      "as in snapshot)",
			      p->cfg->upload ? "a remote host's guests" : "full systems");
}

/* The slot's previous guest, reset to its saved state, console on console_path, running.
 * 0, or -errno (it is gone; a restored guest takes its place). */
static int warm_reset(struct pool *p, struct guest *g, const char *console_path,
		      struct case_result *res)
{
	_cleanup_free_ char *error = NULL;
	uint64_t start = now_ms();
	int r;

	if ((r = vm_warm_reset(g->vm, &error)) == 0 && g->disk &&
	    (r = disk_refill(g->warm_disk, g->disk)) < 0)
		error = xasprintf("host error: cannot refill %s from %s: %s", g->disk, g->warm_disk,
				  strerror(-r));
	if (r == 0 && (r = vm_set_console_log(g->vm, console_path)) < 0)
		error = xasprintf("cannot open %s: %s", console_path, strerror(-r));
	if (r == 0)
		r = vm_resume(g->vm, &error);
	if (r < 0) {
		case_result_note_host(
		    res, "warm isolation: the slot's guest could not be reset: %s", error);
		destroy_later(p, g);
		return r;
	}
	g->fresh = true;
	g->warm_resumed_ms = now_ms();
	res->boot_ms = g->warm_resumed_ms - start;
	return 0;
}

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
		if (wants_disk(p->cfg, si) &&
		    !(booted->disk = disk_for(p, si, NULL, name, &error))) {
			runner_failed(res, TAKE_PTR(error), false);
			return 1;
		}
		booted->coverage = coverage_path(p->cfg, name);
		r = boot_guest(p->cfg, si, name, booted->disk, console_path, &booted->vm, res,
			       ret_retry, &booted->modules);
		if (r != 0)
			guest_free_coverage(booted);
		if (r == 0)
			*ret = TAKE_PTR(booted);
		else if (booted->disk)
			saveimg_remove(p, booted->disk);
		if (r != 0)
			free(booted->disk);
		return r;
	}
	r = restored_guest(p, slot, si, &g, res, ret_retry);
	if (r != 0)
		return r;
	warm_note(p, g, res);
	g->warm_resumed_ms = now_ms();
	if ((r = vm_set_console_log(g->vm, console_path)) < 0 || vm_resume(g->vm, &error) < 0) {
		runner_failed(res,
			      error ? TAKE_PTR(error)
				    : xasprintf("cannot open %s: %s", console_path, strerror(-r)),
			      false);
		*ret_retry = true;
		destroy_later(p, g);
		return 1;
	}
	res->boot_ms = now_ms() - start;
	*ret = g;
	return 0;
}

int pool_acquire(struct pool *p, unsigned slot, size_t si, const size_t *next,
		 const char *console_path, struct guest **ret, struct case_result *res,
		 bool *ret_retry)
{
	struct slot_state *ss = &p->slots[slot];
	int r;

	*ret_retry = false;
	if (vm_host_cancelled())
		return -ECANCELED;
	if (ss->kept && ss->kept->sensor == si && p->cfg->isolation == FLEET_WARM) {
		struct guest *g = TAKE_PTR(ss->kept);
		if (warm_reset(p, g, console_path, res) == 0) {
			*ret = g;
			return 0;
		}
	} else if (ss->kept && ss->kept->sensor == si) {
		struct guest *g = TAKE_PTR(ss->kept);
		if (vm_set_console_log(g->vm, console_path) == 0) {
			*ret = g;
			return 0;
		}
		destroy_later(p, g);
	}
	destroy_later(p, TAKE_PTR(ss->kept));
	r = fresh_guest(p, slot, si, console_path, ret, res, ret_retry);
	if (r == 0) {
		ss->made++;
		spare_start(p, slot, next);
	}
	return r;
}

void pool_remove_disk(struct pool *p, const char *disk)
{
	saveimg_remove(p, disk);
}

char *pool_end_keep_disk(struct pool *p, struct guest *g)
{
	char *disk = TAKE_PTR(g->disk);
	int r = vm_destroy(g->vm);

	identity_put(p, g->sensor, g->identity, r < 0);
	guest_free_coverage(g);
	free(g);
	return disk;
}

void pool_release(struct pool *p, unsigned slot, struct guest *g, bool healthy)
{
	if (!g)
		return;
	g->fresh = false;
	if (g->warm)
		g->warm_ran_ms += now_ms() - g->warm_resumed_ms;
	bool keep =
	    p->cfg->isolation == FLEET_REUSE ||
	    (p->cfg->isolation == FLEET_WARM && g->warm && g->warm_ran_ms < warm_budget_ms());

	if (healthy && keep && !vm_host_cancelled()) {
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
		for (struct spare *s; (s = spare_pop(p, i));) {
			if (s->r == 0)
				destroy_later(p, s->guest);
			free(s->error);
			free(s);
		}
		destroy_later(p, TAKE_PTR(p->slots[i].kept));
	}
	for (size_t si = 0; si < p->cfg->n_sensors; si++)
		destroy_later(p, TAKE_PTR(p->templates[si].first));
	pthread_mutex_lock(&p->lock);
	while (p->destroying > 0)
		pthread_cond_wait(&p->changed, &p->lock);
	pthread_mutex_unlock(&p->lock);
	for (size_t si = 0; si < p->cfg->n_sensors; si++) {
		struct template *t = &p->templates[si];
		for (size_t i = 0; i < t->n_ids; i++) {
			saveimg_remove(p, t->ids[i].path);
			free(t->ids[i].path);
		}
		if (t->path)
			saveimg_remove(p, t->path);
		if (t->disk)
			saveimg_remove(p, t->disk);
		free(t->disk);
		free(t->modules);
		free(t->ids);
		free(t->name);
		free(t->uuid);
		free(t->path);
		case_result_finish(&t->failure);
	}
	if (p->base_disk) /* mkfs makes every one different: nothing for a later run */
		saveimg_remove(p, p->base_disk);
	free(p->base_disk);
	free(p->templates);
	free(p->slots);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->changed);
	free(p);
}
