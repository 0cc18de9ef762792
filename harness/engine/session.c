/* session.c — scenario, images, host and recorded fleet runs for the commands (session.h). */
#include "session.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <time.h>

#include "case-record.h"
#include "config.h"
#include "datadir.h"
#include "db-import.h"
#include "hosts.h"
#include "image.h"
#include "kernels.h"
#include "reaper.h"
#include "results.h"
#include "resume.h"
#include "sensor.h"
#include "shard.h"
#include "util.h"

/* Every guest boots with FAULTLINE_GUEST_CMDLINE (config.h): guests/guest-cmdline, built in by
 * meson.build, one source with the disks that boot by their own loader (guests/lib-disk.sh); why
 * each option is there, in that file.
 * Warm isolation adds two: it loads a guest's saved state back into the same QEMU, whose TSC never
 * goes backwards (pool.c): its guests keep time by a device the load restores (the HPET), and with
 * the TSC unstable the scheduler's clock, which the lockup detector reads, is held within a
 * tick of it. Warm's template is booted with this too, so its saved state agrees. */
#define GUEST_CMDLINE_WARM FAULTLINE_GUEST_CMDLINE " tsc=unstable clocksource=hpet"

struct session {
	struct session_opts opts;
	char *state_dir, *kver, *uri;
	const char *accel;
	struct scenario *sc;
	struct scenario_case *cases;
	size_t n_cases, n_cases_all; /* run the first n_cases (bench --cases) */
	size_t n_sensors;
	/* [n_cases * n_sensors]: whether the job (case * n_sensors + sensor) is in the --shard
	 * asked for (all of them without one); n_selected of them are */
	bool *selected;
	size_t n_selected;
	char *jobs_hash; /* shard_jobs_hash() of every job, selected or not */
	/* [n_sensors] once the session prepares guests; NULL without */
	struct sensor **sensors;
	struct image **images;
	struct fleet_sensor *fs;
	/* the fleet's hosts [n_hosts]; host: the first that answered (owned by hosts) */
	struct fleet_host *hosts;
	size_t n_hosts;
	struct vm_host *host;
	int embed_lock; /* the lock of the embedded root this session uses; -1: none */
};

/* ---- errors and progress ---- */

static const char *const prefixes[] = {
    [SESSION_FAULT_USAGE] = "usage",
    [SESSION_FAULT_SCENARIO] = "scenario error",
    [SESSION_FAULT_SENSOR] = "sensor error",
    [SESSION_FAULT_LIBVIRT] = "libvirt error",
    [SESSION_FAULT_GUEST] = "guest kernel crash",
    [SESSION_FAULT_HOST] = "host error",
    [SESSION_FAULT_BUG] = "faultline bug",
};

const char *session_fault_prefix(enum session_fault f)
{
	return (unsigned)f < ARRAY_SIZE(prefixes) ? prefixes[f] : prefixes[SESSION_FAULT_BUG];
}

enum session_fault session_fault_parse(const char *reason, enum session_fault fallback,
				       const char **ret_rest)
{
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);

		if (strncmp(reason, prefixes[i], n) == 0 && reason[n] == ':') {
			*ret_rest = reason + n + 1 + (reason[n + 1] == ' ');
			return (enum session_fault)i;
		}
	}
	*ret_rest = reason;
	return fallback;
}

void session_error_finish(struct session_error *e)
{
	if (!e)
		return;
	free(e->message);
	e->message = NULL;
	diags_finish(&e->diags);
}

static int error_setv(struct session_error *e, int r, enum session_fault fault, const char *fmt,
		      va_list ap)
{
	e->fault = fault;
	free(e->message);
	if (vasprintf(&e->message, fmt, ap) < 0)
		abort();
	return r;
}

int session_error_set(struct session_error *e, int r, enum session_fault fault, const char *fmt,
		      ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = error_setv(e, r, fault, fmt, ap);
	va_end(ap);
	return r;
}

/* Say in *e who is at fault and what went wrong; returns r (a negative errno). */
_printf_(4, 5) static int fail(struct session_error *e, int r, enum session_fault fault,
			       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = error_setv(e, r, fault, fmt, ap);
	va_end(ap);
	return r;
}

/* The same with a module's reason, which may name the party itself ("libvirt error: ..."). */
static int fail_reason(struct session_error *e, int r, enum session_fault fallback,
		       const char *reason)
{
	const char *rest;
	enum session_fault fault =
	    session_fault_parse(reason ? reason : strerror(-r), fallback, &rest);

	return fail(e, r, fault, "%s", rest);
}

_printf_(2, 3) static void progress(const struct session *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->opts.progress)
		return;
	va_start(ap, fmt);
	vfprintf(s->opts.progress, fmt, ap);
	va_end(ap);
	fputc('\n', s->opts.progress);
}

/* ---- signals ---- */

static sigset_t stop_signals;
static int stop_signal;

static void *signal_thread(void *arg)
{
	int sig;

	(void)arg;
	if (sigwait(&stop_signals, &sig) == 0) {
		stop_signal = sig;
		vm_host_cancel_all();
	}
	return NULL;
}

/* Signals go to one thread; every thread created later (libvirt's loop, workers) inherits the
 * mask, so a Ctrl-C never lands in the middle of a libvirt call. */
static void take_signals(void)
{
	static bool done;
	pthread_t t;

	if (done)
		return;
	done = true;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	if (pthread_create(&t, NULL, signal_thread, NULL) == 0)
		pthread_detach(t);
}

/* ---- loading ---- */

char **session_sensor_path(const char *const *sensors_dirs)
{
	return sensor_search_path(sensors_dirs, getenv("FAULTLINE_SENSORS_DIR"), datadir_sensors());
}

/* The one place jobs are chosen: --shard K/N keeps the jobs shard_assign() gives shard K. */
static void select_shard(struct session *s)
{
	size_t m = s->n_cases * s->n_sensors;
	_cleanup_free_ unsigned *shard = xcalloc(m ? m : 1, sizeof(*shard));
	_cleanup_free_ const char **ids = xcalloc(s->n_cases + 1, sizeof(char *));
	_cleanup_free_ const char **names = xcalloc(s->n_sensors + 1, sizeof(char *));

	for (size_t i = 0; i < s->n_cases; i++)
		ids[i] = s->cases[i].id;
	for (size_t i = 0; i < s->n_sensors; i++)
		names[i] = scenario_sensor(s->sc, i);
	if (s->opts.shard.n)
		shard_assign(names, s->n_sensors, ids, s->n_cases, s->opts.shard.n, shard);
	s->selected = xcalloc(m ? m : 1, sizeof(bool));
	for (size_t i = 0; i < m; i++)
		if (!s->opts.shard.n || shard[i] == s->opts.shard.k) {
			s->selected[i] = true;
			s->n_selected++;
		}
	s->jobs_hash = shard_jobs_hash(s->sc, s->cases, s->n_cases);
}

static int load(struct session *s, struct session_error *e)
{
	char **path = session_sensor_path(s->opts.sensors_dirs);
	struct scenario_opts so = {
	    .sensors_dirs = (const char *const *)path,
	    .formats_dir = s->opts.formats_dir ? s->opts.formats_dir : datadir_formats(),
	};
	int r = scenario_load(s->opts.scenario_path, &so, &e->diags, &s->sc);

	sensor_search_path_free(path);
	if (r == 0)
		r = scenario_expand(s->sc, &e->diags, &s->cases, &s->n_cases);
	s->n_cases_all = s->n_cases;
	s->n_sensors = s->sc ? scenario_n_sensors(s->sc) : 0;
	if (r < 0) {
		e->fault = SESSION_FAULT_SCENARIO;
		if (e->diags.n == 0)
			fail(e, r, SESSION_FAULT_SCENARIO, "cannot load %s: %s",
			     s->opts.scenario_path, strerror(-r));
		return r;
	}
	if (s->opts.max_cases && s->opts.max_cases < s->n_cases)
		s->n_cases = s->opts.max_cases;
	select_shard(s);
	return 0;
}

/* Images built here are booted as they are: the folder must be one nobody else could have put
 * an image in. Without a home, /tmp/faultline-UID, checked to be ours and closed to others. */
static int default_state_dir(char **ret)
{
	const char *home = getenv("HOME");
	_cleanup_free_ char *dir = NULL;
	int r;

	if (geteuid() == 0) {
		*ret = xstrdup("/var/lib/faultline");
		return 0;
	}
	if (home && home[0] == '/') {
		*ret = xasprintf("%s/.cache/faultline", home);
		return 0;
	}
	dir = xasprintf("/tmp/faultline-%u", (unsigned)geteuid());
	r = mkdir_private(dir);
	*ret = TAKE_PTR(dir);
	return r;
}

/* Sensor builds run in the sensor's folder: every path handed to them must be absolute. */
static int state_dir_absolute(const char *given, char **ret, struct session_error *e)
{
	_cleanup_free_ char *dir = NULL;
	char *abs;
	int r = 0;

	if (given)
		dir = xstrdup(given);
	else
		r = default_state_dir(&dir);
	if (r == -EPERM)
		return fail(e, r, SESSION_FAULT_HOST,
			    "cannot use state dir %s: another user owns it, or can write to it "
			    "(set HOME, or pass --state-dir)",
			    dir);
	if (r == 0)
		r = mkdir_p(dir);
	if (r < 0 || !(abs = realpath(dir, NULL))) {
		r = r < 0 ? r : -errno;
		return fail(e, r, SESSION_FAULT_HOST, "cannot use state dir %s: %s", dir,
			    strerror(-r));
	}
	*ret = abs;
	return 0;
}

/* The kernel of sensor i: its matrix cell's, else the scenario's guest: kernel:, else the
 * sensor's, else the one discovered (s->kver). */
static const char *kernel_name(const struct session *s, size_t i)
{
	const char *k = scenario_sensor_kernel(s->sc, i);

	if (!k)
		k = scenario_guest(s->sc)->kernel;
	if (!k)
		k = s->sensors[i]->guest.kernel;
	return k;
}

static int build_image(struct session *s, size_t i, char **ret_error)
{
	_cleanup_free_ char *kver = NULL, *root = NULL, *note = NULL;
	const char *name = kernel_name(s, i), *arch = scenario_sensor_arch(s->sc, i);
	/* a rollout profile's system: the scenario's guest: with that system (a shallow copy,
	 * never freed) */
	struct sensor_guest cell = *scenario_guest(s->sc);
	uint64_t t0 = now_ms();
	int r;

	if (scenario_sensor_system(s->sc, i)) {
		cell.system = (char *)scenario_sensor_system(s->sc, i);
		cell.disk = NULL;
	}
	if (!name)
		return image_build(s->sensors[i], &cell, s->kver, NULL, NULL, s->state_dir,
				   &s->images[i], ret_error);
	if ((r = kernels_get(name, arch, s->state_dir, &kver, &root, &note, ret_error)) < 0)
		return r;
	progress(s, "kernel %s is %s (%.1f s)%s%s", name, kver, (double)(now_ms() - t0) / 1000,
		 note ? ": " : "", note ? note : "");
	r = image_build(s->sensors[i], &cell, kver, root, arch, s->state_dir, &s->images[i],
			ret_error);
	if (r == 0)
		s->images[i]->kernel_name = xstrdup(name);
	return r;
}

static int prepare_images(struct session *s, struct session_error *e)
{
	s->sensors = xcalloc(s->n_sensors, sizeof(*s->sensors));
	s->images = xcalloc(s->n_sensors, sizeof(*s->images));
	s->fs = xcalloc(s->n_sensors, sizeof(*s->fs));
	for (size_t i = 0; i < s->n_sensors; i++) {
		_cleanup_free_ char *err = NULL;
		int r;

		progress(s, "building the guest image of %s...", scenario_sensor(s->sc, i));
		r = sensor_load(scenario_sensor_dir(s->sc, i), &s->sensors[i], &err);
		if (r < 0)
			return fail_reason(e, r, SESSION_FAULT_SENSOR, err);
		if (s->opts.prepare_sensor &&
		    (r = s->opts.prepare_sensor(s->opts.userdata, s->sc, i, s->sensors[i],
						s->state_dir, &err)) < 0)
			return fail_reason(e, r, SESSION_FAULT_HOST, err);
		if ((r = build_image(s, i, &err)) < 0)
			return fail_reason(e, r, SESSION_FAULT_HOST, err);
		/* a full system keeps content on its own disk: there is no content partition */
		if (s->images[i]->root_disk && scenario_persists(s->sc) &&
		    s->sensors[i]->persist_store &&
		    startswith(s->sensors[i]->persist_store, "/persist/"))
			return fail(e, -EINVAL, SESSION_FAULT_SENSOR,
				    "%s keeps its content in %s, on the content partition, which a "
				    "full system (%s) does not have; expected a store on the "
				    "system's own disk (where its package keeps it)",
				    scenario_sensor(s->sc, i), s->sensors[i]->persist_store,
				    s->images[i]->system ? s->images[i]->system : "disk");
		/* its own loader boots it: the boot options persistence works by
		 * (faultline.persist, faultline.boot) never reach its kernel */
		if (s->images[i]->firmware && scenario_persists(s->sc))
			return fail(e, -EOPNOTSUPP, SESSION_FAULT_SCENARIO,
				    "%s boots by its own loader (%s), which faultline cannot give "
				    "the boot options persistence needs; expected persistence: "
				    "off, or a whole-disk image that faultline's kernel boots",
				    scenario_sensor(s->sc, i), s->images[i]->system);
		s->fs[i] =
		    /* a matrix cell's name (SENSOR@KERNEL): its consoles and saved guests are
		     * its own */
		    (struct fleet_sensor){.name = scenario_sensor(s->sc, i),
					  .image = s->images[i],
					  .probes = sensor_probes(s->sensors[i])};
	}
	return 0;
}

/* Wait up to 8 s for the probe guest's agent to say hello. */
static bool agent_says_hello(struct vm *vm)
{
	uint64_t deadline = now_ms() + 8000;
	struct vm_event ev;

	while (vm_next_event(vm, deadline, &ev) == 0) {
		bool hello = ev.type == VM_EVENT_FRAME && ev.frame.type == PROTO_HELLO;

		if (ev.type == VM_EVENT_FRAME)
			proto_frame_finish(&ev.frame);
		if (hello)
			return true;
	}
	return false;
}

/* KVM guests hang on some hosts (nested virtualisation): boot one with KVM and see whether its
 * agent says hello within a few seconds; remember the answer per host kernel. */
static const char *probe_accel(struct session *s, struct vm_host *h)
{
	_cleanup_free_ char *name = xasprintf("fl-%d-kvmprobe", (int)getpid());
	_cleanup_free_ char *cache = NULL, *err = NULL;
	_cleanup_free_ uint8_t *cached = NULL;
	_cleanup_vm_ struct vm *vm = NULL;
	const struct image *img = s->images[0];
	const char *result = "tcg";
	struct utsname u;
	size_t size;

	if (access("/dev/kvm", R_OK | W_OK) < 0 || !vm_host_embedded(h))
		return "tcg";
	uname(&u);
	cache = xasprintf("%s/kvm-probe-%s", s->state_dir, u.release);
	if (read_file(cache, 64, &cached, &size) == 0)
		return startswith((char *)cached, "kvm") ? "kvm" : "tcg";
	progress(s, "probing KVM (once per host kernel)...");
	struct vm_config vc = {.name = name,
			       .kernel = img->kernel,
			       .initrd = img->initrd,
			       .cmdline = FAULTLINE_GUEST_CMDLINE,
			       .memory_mib = 256,
			       .accel = "kvm",
			       .arch = img->arch};
	if (vm_start(h, &vc, &vm, &err) == 0 && agent_says_hello(vm))
		result = "kvm";
	write_file_atomic(cache, result, strlen(result));
	return result;
}

/* libvirt puts each guest's agent socket under the embedded root, and a UNIX socket path has
 * at most 107 bytes: a deep state dir is reached through a short symlink in the runtime dir. */
static int embed_root(const char *state_dir, const char *name, char **ret)
{
	_cleanup_free_ char *target = xasprintf("%s/%s", state_dir, name), *link = NULL,
			    *dir = NULL;
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char sha[65], cur[4096];
	ssize_t n;
	int r;

	if ((r = mkdir_p(target)) < 0)
		return r;
	if (strlen(target) <= 24) {
		*ret = TAKE_PTR(target);
		return 0;
	}
	sha256_hex(target, strlen(target), sha);
	dir = geteuid() == 0 || !rt ? xstrdup("/run/faultline") : xasprintf("%s/faultline", rt);
	if ((r = mkdir_p(dir)) < 0)
		return r;
	link = xasprintf("%s/e-%.8s", dir, sha);
	n = readlink(link, cur, sizeof(cur) - 1);
	if (n < 0 || (size_t)n != strlen(target) || memcmp(cur, target, (size_t)n) != 0) {
		unlink(link);
		if (symlink(target, link) < 0)
			return -errno;
	}
	*ret = TAKE_PTR(link);
	return 0;
}

/* Save images and content partitions of this controller's guests; fleet_run removes it, and
 * the reaper's watcher when the controller was killed. */
char *session_work_dir(const struct session *s)
{
	return xasprintf("%s/work-%d", s->state_dir, (int)getpid());
}

/* The embedded driver takes a lock on its root for the life of the process. Runs that share a
 * state dir at once (the shards of a run on one machine) share its image cache, each with a root
 * of its own: embed, else embed-2 ... embed-EMBED_ROOTS, the first whose lock file
 * (STATE_DIR/NAME.lock, held while the session lives) is free. */
#define EMBED_ROOTS 16

/* 0 and *ret_fd when the root NAME is ours, 1 when another process holds it. */
static int lock_root(const char *state_dir, const char *name, int *ret_fd)
{
	_cleanup_free_ char *path = xasprintf("%s/%s.lock", state_dir, name);
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 1 : -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int open_embedded_root(struct session *s, struct fleet_host *h, char **ret_error)
{
	int r = -EBUSY;

	for (unsigned i = 1; i <= EMBED_ROOTS; i++) {
		_cleanup_free_ char *root = NULL,
				    *name = i == 1 ? xstrdup("embed") : xasprintf("embed-%u", i);

		if (s->embed_lock < 0 && (r = lock_root(s->state_dir, name, &s->embed_lock)) != 0) {
			if (r > 0)
				continue;
			*ret_error = xasprintf("cannot lock the embedded libvirt root %s/%s: %s",
					       s->state_dir, name, strerror(-r));
			return r;
		}
		if ((r = embed_root(s->state_dir, name, &root)) < 0) {
			*ret_error =
			    xasprintf("cannot prepare the embedded libvirt root: %s", strerror(-r));
			return r;
		}
		free(h->uri);
		h->uri = xasprintf("qemu:///embed?root=%s", root);
		free(*ret_error);
		*ret_error = NULL;
		return vm_host_open(h->uri, &h->vm, ret_error);
	}
	*ret_error = xasprintf("pid file: every embedded libvirt root of %s is in use (%d)",
			       s->state_dir, EMBED_ROOTS);
	return r;
}

/* The embedded driver, in the state dir: h->uri is set to its URI. */
static int open_embedded(struct session *s, struct fleet_host *h, struct session_error *e)
{
	_cleanup_free_ char *err = NULL;
	int r;

	r = h->uri ? vm_host_open(h->uri, &h->vm, &err) : open_embedded_root(s, h, &err);
	if (r < 0) {
		/* the embedded driver takes a lock on its root for the life of the process */
		if (err && strstr(err, "pid file")) {
			_cleanup_free_ char *why =
			    xasprintf("%s; another faultline is using this embedded libvirt root: "
				      "wait for it, or give this run its own --state-dir",
				      err);
			return fail_reason(e, r, SESSION_FAULT_HOST, why);
		}
		return fail_reason(e, r, SESSION_FAULT_HOST, err);
	}
	r = vm_host_reap_orphans(h->vm);
	if (r > 0)
		progress(s, "destroyed %d guests left behind by a killed faultline", r);
	return 0;
}

/* The hosts named by --uri, else by the scenario (NULL: the embedded driver alone). */
static const char *const *named_hosts(const struct session *s, const unsigned **ret_slots)
{
	const struct scenario_fleet *fl = scenario_fleet(s->sc);

	*ret_slots = NULL;
	if (s->opts.uris)
		return s->opts.uris;
	if (!fl->uris || !fl->uris[0])
		return NULL;
	*ret_slots = fl->slots;
	return (const char *const *)fl->uris;
}

/* Open host h of a fleet of n; a remote one that does not answer is reported and left
 * for the fleet to try again. Returns 0, 1 (did not answer), or an error of the embedded one. */
static int open_one(struct session *s, struct fleet_host *h, size_t n, const char *accel,
		    struct session_error *e)
{
	const struct scenario_fleet *fl = scenario_fleet(s->sc);
	_cleanup_free_ char *err = NULL, *work_dir = session_work_dir(s);
	bool embedded = !h->uri || startswith(h->uri, "qemu:///embed");
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	/* --jobs: guests per host; the fleet's size is the one host's, as it always was */
	if (!h->slots)
		h->slots = s->opts.jobs ? s->opts.jobs : n == 1 ? fl->size : 0;
	if (embedded) {
		if ((r = open_embedded(s, h, e)) < 0)
			return r;
		if (!h->slots)
			h->slots = (unsigned)(cores > 0 ? cores : 1);
		h->accel = streq(accel, "auto") ? probe_accel(s, h->vm) : accel;
	} else {
		/* no probe on a remote host: KVM is asked for, never guessed */
		h->accel = streq(accel, "auto") ? "tcg" : accel;
	}
	r = fleet_host_connect(h, s->fs, s->n_sensors, work_dir, &err);
	if (r < 0) {
		progress(s, "faultline: host %s does not answer: %s%s", h->uri,
			 err ? err : strerror(-r),
			 n > 1 ? "; the run goes on without it (tried again while it lasts)" : "");
		return 1;
	}
	if (h->sent_bytes)
		progress(s, "uploaded %.1f MiB of guest images to %s in %.1f s",
			 (double)h->sent_bytes / (1 << 20), h->uri, (double)h->upload_ms / 1000);
	return 0;
}

static int open_hosts(struct session *s, struct session_error *e)
{
	const struct scenario_fleet *fl = scenario_fleet(s->sc);
	const unsigned *slots;
	const char *const *uris = named_hosts(s, &slots);
	const char *accel = s->opts.accel ? s->opts.accel : fl->accel ? fl->accel : "auto";
	size_t answered = 0;
	int r;

	while (uris && uris[s->n_hosts])
		s->n_hosts++;
	if (!uris)
		s->n_hosts = 1;
	s->hosts = xcalloc(s->n_hosts, sizeof(*s->hosts));
	for (size_t i = 0; i < s->n_hosts; i++) {
		struct fleet_host *h = &s->hosts[i];

		if (uris && !streq(uris[i], "local"))
			h->uri = xstrdup(uris[i]);
		h->slots = slots ? slots[i] : 0;
		if ((r = open_one(s, h, s->n_hosts, accel, e)) < 0)
			return r;
		if (r == 0 && answered++ == 0) {
			s->host = h->vm;
			s->accel = h->accel;
		}
	}
	s->uri = xstrdup(s->hosts[0].uri);
	if (answered == 0)
		/* every URI named is wrong, or every host down: the fleet the user gave */
		return fail(e, -EHOSTUNREACH, SESSION_FAULT_USAGE,
			    "no host of the fleet answers (%zu named)", s->n_hosts);
	return 0;
}

/* Everything a session needs to boot guests. The checks that cost nothing (state dir, guest
 * kernel) come before the watcher process and the signal thread. */
static int prepare_guests(struct session *s, struct session_error *e)
{
	_cleanup_free_ char *err = NULL, *work_dir = NULL;
	int r;

	if ((r = state_dir_absolute(s->opts.state_dir, &s->state_dir, e)) < 0)
		return r;
	work_dir = session_work_dir(s);
	if ((r = image_kernel_discover(&s->kver, &err)) < 0)
		return fail_reason(e, r, SESSION_FAULT_HOST, err);
	/* before any thread: the watcher is forked from a single-threaded process */
	if ((r = reaper_start(work_dir)) < 0)
		progress(s, "faultline: warning: no watcher for a killed controller's guests: %s",
			 strerror(-r));
	take_signals();
	if ((r = prepare_images(s, e)) < 0)
		return r;
	return open_hosts(s, e);
}

int session_open(const struct session_opts *o, struct session **ret,
		 struct session_error *ret_error)
{
	struct session *s = xzalloc(sizeof(*s));
	int r;

	s->embed_lock = -1;
	s->opts = *o;
	r = load(s, ret_error);
	if (r == 0 && !o->no_guests)
		r = prepare_guests(s, ret_error);
	if (r < 0) {
		session_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

void session_close(struct session *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_hosts; i++) {
		fleet_host_disconnect(&s->hosts[i]);
		free(s->hosts[i].uri);
	}
	free(s->hosts);
	if (s->embed_lock >= 0)
		close(s->embed_lock);
	for (size_t i = 0; s->sensors && i < s->n_sensors; i++) {
		sensor_free(s->sensors[i]);
		image_free(s->images[i]);
	}
	free(s->sensors);
	free(s->images);
	free(s->fs);
	scenario_cases_free(s->cases, s->n_cases_all);
	scenario_free(s->sc);
	free(s->selected);
	free(s->jobs_hash);
	free(s->state_dir);
	free(s->kver);
	free(s->uri);
	free(s);
}

const struct scenario *session_scenario(const struct session *s)
{
	return s->sc;
}

const struct scenario_case *session_cases(const struct session *s, size_t *ret_n)
{
	*ret_n = s->n_cases;
	return s->cases;
}

bool session_job_selected(const struct session *s, size_t ci, size_t si)
{
	return ci < s->n_cases && si < s->n_sensors && s->selected[ci * s->n_sensors + si];
}

size_t session_n_selected(const struct session *s)
{
	return s->n_selected;
}

const char *session_sensor_name(const struct session *s, size_t i)
{
	return scenario_sensor(s->sc, i);
}

const struct sensor *session_sensor(const struct session *s, size_t i)
{
	return s->sensors ? s->sensors[i] : NULL;
}

const struct image *session_image(const struct session *s, size_t i)
{
	return s->images && i < s->n_sensors ? s->images[i] : NULL;
}

const char *session_kernel(const struct session *s)
{
	return s->kver;
}

int session_stop_signal(void)
{
	return stop_signal;
}

size_t session_n_sensors(const struct session *s)
{
	return scenario_n_sensors(s->sc);
}

const char *session_isolation(const struct session *s)
{
	const char *m = scenario_fleet(s->sc)->isolation;
	return m ? m : "snapshot";
}

/* ---- running ---- */

struct run_state {
	struct session *s;
	const struct session_run_opts *o;
	size_t n_cases; /* of s->cases, the first n_cases run */
	struct results *results;
	struct record_context ctx;
	struct session_stats *st;
	char *id;
	bool *skip; /* NULL, or [case * n_sensors + sensor]: recorded by the run resumed */
	struct run_meta meta;
	uint64_t start_ms;
};

static void on_result(void *userdata, size_t si, size_t ci, const struct case_result *res,
		      const char *console_rel)
{
	struct run_state *rs = userdata;
	struct session_stats *st = rs->st;
	const char *sensor = session_sensor_name(rs->s, si);
	const struct scenario_case *c = &rs->s->cases[ci];
	const struct image *img = session_image(rs->s, si);
	struct record_context ctx = rs->ctx;
	json_object *o;

	/* the guest's own kernel: a matrix cell's, or one a sensor names */
	if (img) {
		ctx.kernel = img->kver;
		ctx.kernel_name = img->kernel_name;
		ctx.system = img->system ? img->system : "initramfs";
		ctx.arch = img->arch;
	}
	o = case_record_json(&ctx, sensor, c, res, console_rel);
	struct session_result *dst = &st->res[ci * rs->s->n_sensors + si];
	const char *note = res->title ? res->title : res->detail ? res->detail : "";
	int r = results_append(rs->results, o);

	if (r == 0 && rs->o->db)
		db_writer_record(rs->o->db, o);
	json_object_put(o);
	if (r < 0)
		/* cut back off results.jsonl: --resume runs it again */
		progress(rs->s, "host error: %s on %s could not be recorded: %s", c->id, sensor,
			 strerror(-r));
	if (r < 0 && !st->record_error)
		st->record_error = r;
	dst->done = true;
	dst->verdict = res->verdict;
	dst->title = res->title ? xstrdup(res->title) : NULL;
	dst->note = xstrndup(note, strcspn(note, "\n"));
	dst->total_ms = res->total_ms;
	dst->boot_ms = res->boot_ms;
	dst->deliver_ms = res->deliver_ms;
	dst->watch_ms = res->watch_ms;
	dst->watched_ms = res->watched_ms;
	dst->verdict_ms = res->verdict_ms;
	dst->release_ms = res->release_ms;
	if (!st->first_verdict_ms)
		st->first_verdict_ms = now_ms() - rs->start_ms;
	st->finished++;
	progress_result(rs->s->opts.meter, res->verdict, false);
}

static void on_notice(void *userdata, const char *line)
{
	struct run_state *rs = userdata;

	progress(rs->s, "faultline: %s", line);
}

void session_run_meta(struct session *s, const char *run_id, enum fleet_isolation mode,
		      struct run_meta *ret)
{
	char ts[32], host[256] = "";
	/* a session opened without guests has no kernel, URI or accelerator: null in run.json */
	struct run_meta m = {
	    .run_id = xstrdup(run_id),
	    .scenario = xstrdup(scenario_name(s->sc)),
	    .scenario_path = xstrdup(scenario_path(s->sc)),
	    .faultline_version = xstrdup(FAULTLINE_VERSION),
	    .kernel = s->kver ? xstrdup(s->kver) : NULL,
	    .uri = s->uri ? xstrdup(s->uri) : NULL,
	    .accel = s->accel ? xstrdup(s->accel) : NULL,
	    .isolation = xstrdup(fleet_isolation_name(mode)),
	    .seed = scenario_seed(s->sc),
	    .has_seed = true,
	    .n_sensors = s->n_sensors,
	    .sensors = xcalloc(s->n_sensors + 1, sizeof(char *)),
	};

	results_timestamp(ts);
	gethostname(host, sizeof(host) - 1);
	m.started = xstrdup(ts);
	m.host = xstrdup(host);
	m.jobs_hash = s->jobs_hash ? xstrdup(s->jobs_hash) : NULL;
	m.jobs = s->n_cases * s->n_sensors;
	if (s->opts.shard.n) {
		m.shard_k = s->opts.shard.k;
		m.shard_n = s->opts.shard.n;
		m.shard_jobs = s->n_selected;
	}
	for (size_t i = 0; i < s->n_sensors; i++)
		m.sensors[i] = xstrdup(session_sensor_name(s, i));
	if (s->n_hosts > 1) {
		m.n_hosts = s->n_hosts;
		m.hosts = xcalloc(s->n_hosts, sizeof(*m.hosts));
		for (size_t i = 0; i < s->n_hosts; i++)
			m.hosts[i] = (struct run_meta_host){.uri = xstrdup(s->hosts[i].uri),
							    .answered = s->hosts[i].vm != NULL};
	}
	*ret = m;
}

/* The inputs of the cases this run has a job of (a shard's: `merge` gathers them). */
static int write_inputs(struct session *s, const char *run_dir, struct session_error *e)
{
	for (size_t i = 0; i < s->n_cases; i++) {
		bool any = false;
		for (size_t j = 0; j < s->n_sensors; j++)
			any = any || session_job_selected(s, i, j);
		if (!any)
			continue;
		_cleanup_free_ char *p = xasprintf("%s/inputs/%s.bin", run_dir, s->cases[i].id);
		int r = write_file_atomic(p, s->cases[i].data, s->cases[i].size);
		if (r < 0)
			return fail(e, r, SESSION_FAULT_HOST, "cannot write %s: %s", p,
				    strerror(-r));
	}
	return 0;
}

char *session_new_run_id(const struct session *s)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	return xasprintf("%s-%s", scenario_name(s->sc), stamp);
}

const struct fleet_host *session_first_host(const struct session *s)
{
	for (size_t i = 0; i < s->n_hosts; i++)
		if (s->hosts[i].vm)
			return &s->hosts[i];
	return NULL;
}

unsigned session_slots(const struct session *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < s->n_hosts; i++)
		if (s->hosts[i].vm)
			n += fleet_host_slots(&s->hosts[i]);
	return n;
}

struct fleet_config session_fleet_config(const struct session *s, enum fleet_isolation mode,
					 const char *run_dir, const char *work_dir)
{
	const struct scenario_fleet *fl = scenario_fleet(s->sc);
	const struct scenario_timeouts *to = scenario_timeouts(s->sc);

	const struct fleet_host *first = session_first_host(s);

	return (struct fleet_config){
	    .hosts = s->hosts,
	    .n_hosts = s->n_hosts,
	    /* for a caller that drives one pool itself (fuzz): the first host that answered */
	    .host = first ? first->vm : NULL,
	    .accel = first ? first->accel : NULL,
	    .sensors = s->fs,
	    .n_sensors = s->n_sensors,
	    .cases = s->cases,
	    .n_cases = s->n_cases,
	    .isolation = mode,
	    .memory_mib = fl->memory_mib ? fl->memory_mib : 256,
	    .cmdline = mode == FLEET_WARM ? GUEST_CMDLINE_WARM : FAULTLINE_GUEST_CMDLINE,
	    .persist = scenario_persists(s->sc),
	    .boot_ms = to->boot_ms,
	    .timeouts = {.observe_ms = to->observe_ms,
			 .hang_ms = to->hang_ms,
			 .case_ms = to->case_ms},
	    .max_attempts = 2,
	    .probe_every = s->opts.probe_every ? s->opts.probe_every : FLEET_PROBE_EVERY,
	    .run_dir = run_dir,
	    .work_dir = work_dir,
	};
}

/* A shard's directory is resumed as that shard, and a whole run's as a whole one: another
 * split would run other jobs into it. */
static int resume_same_shard(struct run_state *rs, struct session_error *e)
{
	_cleanup_free_ char *path = xasprintf("%s/run.json", rs->o->run_dir);
	const struct shard_spec *want = &rs->s->opts.shard;
	struct run_meta m;
	int r = run_meta_read(path, &m);

	if (r < 0)
		return 0; /* no run.json (killed at once): the records alone tell */
	if (m.shard_n != want->n || m.shard_k != want->k) {
		_cleanup_free_ char *was = m.shard_n
					       ? xasprintf("shard %u/%u", m.shard_k, m.shard_n)
					       : xstrdup("a run of every job");
		_cleanup_free_ char *fix = m.shard_n
					       ? xasprintf("--shard %u/%u", m.shard_k, m.shard_n)
					       : xstrdup("no --shard");
		r = fail(e, -EINVAL, SESSION_FAULT_USAGE,
			 "cannot resume %s: it is %s; resume it with %s", rs->o->run_dir, was, fix);
	}
	run_meta_finish(&m);
	return r < 0 ? r : 0;
}

/* Take over what an earlier run of this directory recorded: its results, its run id, and
 * which jobs to skip. */
static int resume(struct run_state *rs, struct session_error *e)
{
	struct session *s = rs->s;
	struct session_stats *st = rs->st;
	_cleanup_free_ const char **names = xcalloc(s->n_sensors + 1, sizeof(char *));
	_cleanup_free_ char *err = NULL;
	struct resume_state scan;
	int r;

	if ((r = resume_same_shard(rs, e)) < 0)
		return r;
	for (size_t i = 0; i < s->n_sensors; i++)
		names[i] = session_sensor_name(s, i);
	r = resume_scan(rs->o->run_dir, s->cases, rs->n_cases, names, s->n_sensors, &scan, &err);
	if (r < 0)
		/* a folder that holds no run, or a run of another scenario: the command line's */
		return fail(e, r,
			    r == -EINVAL || r == -ENOENT ? SESSION_FAULT_USAGE : SESSION_FAULT_HOST,
			    "cannot resume %s: %s", rs->o->run_dir, err ? err : strerror(-r));
	rs->skip = xcalloc(st->total ? st->total : 1, sizeof(bool));
	for (size_t i = 0; i < st->total; i++) {
		struct resume_job *j = &scan.jobs[i];
		if (!j->done)
			continue;
		rs->skip[i] = true;
		st->res[i] = (struct session_result){.done = true,
						     .verdict = j->verdict,
						     .title = TAKE_PTR(j->title),
						     .note = TAKE_PTR(j->note)};
	}
	progress(s, "resuming %s: %zu of %zu results already recorded%s", rs->o->run_dir,
		 scan.n_done, s->opts.shard.n ? s->n_selected : st->total,
		 scan.skipped_lines ? ", a cut-off last record dropped" : "");
	st->finished = scan.n_done;
	rs->id = TAKE_PTR(scan.run_id);
	resume_finish(&scan, st->total);
	return 0;
}

/* A shard's run skips the jobs of the other shards: they are not its to run or to count. */
static void skip_other_shards(struct run_state *rs)
{
	struct session_stats *st = rs->st;
	size_t ns = rs->s->n_sensors;

	st->selected = 0;
	for (size_t i = 0; i < st->total; i++) {
		if (session_job_selected(rs->s, i / ns, i % ns)) {
			st->selected++;
			continue;
		}
		if (!rs->skip)
			rs->skip = xcalloc(st->total, sizeof(bool));
		rs->skip[i] = true;
		st->res[i].other_shard = true;
	}
}

/* run.json's sensor versions (sensor_version()) and the hash of the content the cases were made
 * from: every distinct seed file's SHA-256, hashed in case order. */
static int run_versions(struct run_state *rs, struct session_error *e)
{
	struct session *s = rs->s;
	_cleanup_free_ char *hashes = NULL;
	char hex[65];

	rs->meta.sensor_versions = xcalloc(s->n_sensors + 1, sizeof(char *));
	for (size_t i = 0; s->sensors && i < s->n_sensors; i++) {
		_cleanup_free_ char *err = NULL;
		int r = sensor_version(s->sensors[i], &rs->meta.sensor_versions[i], &err);
		if (r < 0)
			return fail(e, r, SESSION_FAULT_SENSOR, "%s", err);
	}
	for (size_t i = 0; i < s->n_cases; i++) {
		const char *seed = s->cases[i].seed_file;
		_cleanup_free_ uint8_t *data = NULL;
		size_t size;
		bool seen = false;

		for (size_t k = 0; seed && k < i && !seen; k++)
			seen = streq_ptr(s->cases[k].seed_file, seed);
		if (!seed || seen || read_file(seed, SIZE_MAX, &data, &size) < 0)
			continue;
		sha256_hex(data, size, hex);
		strappendf(&hashes, "\n", "%s", hex);
	}
	if (hashes) {
		sha256_hex(hashes, strlen(hashes), hex);
		rs->meta.content_sha256 = xstrdup(hex);
	}
	return 0;
}

/* The run directory, ready for the fleet: resumed or created, inputs written, run.json begun. */
static int run_prepare(struct run_state *rs, struct session_error *e)
{
	struct session *s = rs->s;
	const struct session_run_opts *o = rs->o;
	int r;

	if (o->resume && (r = resume(rs, e)) < 0)
		return r;
	skip_other_shards(rs);
	if (!rs->id)
		rs->id = o->run_id ? xstrdup(o->run_id) : session_new_run_id(s);
	r = results_open(o->run_dir, &rs->results);
	if (r < 0)
		return fail(e, r, SESSION_FAULT_HOST, "cannot create run directory %s: %s",
			    o->run_dir, strerror(-r));
	if ((r = write_inputs(s, o->run_dir, e)) < 0)
		return r;
	rs->ctx = (struct record_context){
	    .run_id = rs->id, .scenario = scenario_name(s->sc), .kernel = s->kver};
	session_run_meta(s, rs->id, o->mode, &rs->meta);
	rs->meta.resumed = o->resume;
	if (o->command_line)
		rs->meta.argv = xstrdup(o->command_line);
	if ((r = run_versions(rs, e)) < 0)
		return r;
	results_write_meta(rs->results, &rs->meta);
	if (o->db)
		db_writer_run(o->db, &rs->meta, o->run_dir);
	return 0;
}

/* Every job not done yet, on the fleet; run.json ends "finished" or "interrupted". */
static void run_fleet(struct run_state *rs)
{
	struct session *s = rs->s;
	struct session_stats *st = rs->st;
	_cleanup_free_ char *work_dir = session_work_dir(s);
	struct fleet_config fc = session_fleet_config(s, rs->o->mode, rs->o->run_dir, work_dir);
	char ts[32];
	int r;

	fc.n_cases = rs->n_cases;
	fc.skip = rs->skip;
	fc.on_result = on_result;
	fc.userdata = rs;
	fc.on_notice = on_notice;
	if (s->opts.shard.n)
		progress(
		    s,
		    "shard %u/%u: %zu of the %zu jobs (sensor x case), the others' are left to "
		    "the other shards",
		    s->opts.shard.k, s->opts.shard.n, st->selected, st->total);
	if (s->n_hosts == 1)
		progress(s, "running %zu cases x %zu sensors on %u guests (%s, %s, %s) into %s",
			 rs->n_cases, s->n_sensors, fleet_host_slots(&s->hosts[0]), s->uri,
			 s->accel, fleet_isolation_name(rs->o->mode), rs->o->run_dir);
	else
		progress(s, "running %zu cases x %zu sensors on %zu hosts (%s) into %s",
			 rs->n_cases, s->n_sensors, s->n_hosts, fleet_isolation_name(rs->o->mode),
			 rs->o->run_dir);
	for (size_t i = 0; s->n_hosts > 1 && i < s->n_hosts; i++)
		if (s->hosts[i].vm)
			progress(s, "  %s: %u guests (%s)", s->hosts[i].uri,
				 fleet_host_slots(&s->hosts[i]), s->hosts[i].accel);
	progress_begin(s->opts.meter, fleet_isolation_name(rs->o->mode), st->selected);
	for (size_t i = 0; rs->skip && i < st->total; i++)
		if (rs->skip[i] && !st->res[i].other_shard)
			progress_result(s->opts.meter, st->res[i].verdict, true);
	rs->start_ms = now_ms();
	r = fleet_run(&fc);
	st->wall_ms = now_ms() - rs->start_ms;
	progress_end(s->opts.meter);

	st->interrupted = r == -ECANCELED;
	st->signal = stop_signal;
	results_timestamp(ts);
	*(st->interrupted ? &rs->meta.interrupted : &rs->meta.finished) = xstrdup(ts);
	results_write_meta(rs->results, &rs->meta);
	if (rs->o->db)
		db_writer_run(rs->o->db, &rs->meta, rs->o->run_dir);
}

int session_run(struct session *s, const struct session_run_opts *o, struct session_stats *ret,
		struct session_error *ret_error)
{
	size_t n_cases = o->max_cases && o->max_cases < s->n_cases ? o->max_cases : s->n_cases;
	struct session_stats st = {.total = n_cases * s->n_sensors};
	struct run_state rs = {
	    .s = s,
	    .o = o,
	    .n_cases = n_cases,
	    .st = &st,
	};
	int r;

	if (!s->host && !o->prepare_only)
		return fail(ret_error, -EINVAL, SESSION_FAULT_BUG,
			    "session_run: the session was opened without guests");
	st.res = xcalloc(st.total ? st.total : 1, sizeof(*st.res));
	r = run_prepare(&rs, ret_error);
	if (r == 0 && !o->prepare_only)
		run_fleet(&rs);
	run_meta_finish(&rs.meta);
	results_close(rs.results);
	free(rs.id);
	free(rs.skip);
	if (r < 0) {
		session_stats_finish(&st);
		return r;
	}
	*ret = st;
	return 0;
}

void session_stats_finish(struct session_stats *st)
{
	for (size_t i = 0; st->res && i < st->total; i++) {
		free(st->res[i].title);
		free(st->res[i].note);
	}
	free(st->res);
	st->res = NULL;
}
