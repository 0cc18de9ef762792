/* cli-run.c — `faultline run SCENARIO`: validate, expand, build images, run the fleet, record
 * every verdict, print the table, exit 0/1/2 (130/143 when interrupted). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "fleet.h"
#include "image.h"
#include "reports.h"
#include "results.h"
#include "scenario.h"
#include "sensor.h"
#include "util.h"
#include "verdict.h"

/* Every fault visible and final, within seconds: an oops panics, a panic is reported to the
 * host (pvpanic) or resets (then the domain stops), lockups and stalls panic quickly.
 * A CPU spinning in the kernel trips both the soft lockup detector (2 x watchdog_thresh = 8 s)
 * and the RCU stall detector; the stall timeout is longer so that one report, with one title,
 * always comes first.
 * no_timer_check: under TCG on a loaded host the boot-time IO-APIC timer check fails at random
 * and panics a healthy guest. */
#define GUEST_CMDLINE                                                                              \
	"console=ttyS0,115200 panic=-1 oops=panic softlockup_panic=1 watchdog_thresh=4 "           \
	"hung_task_panic=1 sysctl.kernel.hung_task_timeout_secs=10 "                               \
	"rcupdate.rcu_cpu_stall_timeout=15 mitigations=off no_timer_check"

struct run_opts {
	const char *out_dir;
	const char *uri;
	const char *accel;
	const char *state_dir;
	const char *isolation;
	unsigned jobs;
	bool list;
};

struct run_state {
	struct results *results;
	const struct scenario *sc;
	const struct scenario_case *cases;
	char **sensor_names;
	const char *run_id, *kver;
	char *input_paths_rel;
	/* the final table */
	struct case_result *res; /* [case * n_sensors + sensor] */
	bool *done;
	size_t finished, total;
	bool tty;
	int record_error;
};

static void help(void)
{
	printf("Usage: faultline run [OPTIONS] SCENARIO.yaml\n\n"
	       "Boot guests through libvirt with each sensor of the scenario, deliver every case's\n"
	       "content update, and record one verdict per sensor and case.\n\n"
	       "Options:\n"
	       "  -o, --output DIR     run directory (default runs/SCENARIO-TIMESTAMP)\n"
	       "      --uri URI        libvirt URI (default: the scenario's, else\n"
	       "                       qemu:///embed?root=STATE/embed, no daemon needed)\n"
	       "      --accel A        auto, tcg or kvm (default: the scenario's, else auto:\n"
	       "                       a short probe decides, TCG when KVM does not boot)\n"
	       "      --isolation M    boot (a fresh boot per case), snapshot (every case starts\n"
	       "                       from a saved, booted guest) or reuse (one guest takes cases\n"
	       "                       while it stays healthy; failures are re-run on a fresh guest)\n"
	       "                       (default: the scenario's, else snapshot)\n"
	       "  -j, --jobs N         guests in parallel (default: the scenario's fleet size, else\n"
	       "                       the number of cores)\n"
	       "      --state-dir DIR  images, build output and the embedded libvirt root\n"
	       "                       (default /var/lib/faultline as root, else ~/.cache/faultline)\n"
	       "      --list           print the expanded cases and exit without booting\n"
	       "  -h, --help           this text\n\n"
	       "Writes RUN_DIR/results.jsonl (one JSON object per case, fsync'd as each ends),\n"
	       "RUN_DIR/inputs/CASE.bin and RUN_DIR/consoles/SENSOR/CASE.log.\n"
	       "Exit status: 0 every expectation held, 1 a case fell short, 2 usage or input error,\n"
	       "130/143 interrupted by SIGINT/SIGTERM (results so far are kept).\n");
}

static int parse_opts(int argc, char **argv, struct run_opts *o, const char **ret_path)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' }, { "uri", required_argument, NULL, 'u' },
		{ "accel", required_argument, NULL, 'a' },  { "jobs", required_argument, NULL, 'j' },
		{ "state-dir", required_argument, NULL, 's' }, { "list", no_argument, NULL, 'l' },
		{ "isolation", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },         {}
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:j:h", longopts, NULL)) >= 0) {
		switch (c) {
		case 'o': o->out_dir = optarg; break;
		case 'u': o->uri = optarg; break;
		case 'a':
			if (!streq(optarg, "auto") && !streq(optarg, "tcg") && !streq(optarg, "kvm")) {
				fprintf(stderr, "faultline run: --accel takes auto, tcg or kvm\n");
				return -EINVAL;
			}
			o->accel = optarg;
			break;
		case 'j': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 256) {
				fprintf(stderr, "faultline run: --jobs takes a number from 1 to 256\n");
				return -EINVAL;
			}
			o->jobs = (unsigned)v;
			break;
		}
		case 's': o->state_dir = optarg; break;
		case 'i':
			if (fleet_isolation_from_name(optarg) < 0) {
				fprintf(stderr, "faultline run: --isolation takes boot, snapshot or reuse\n");
				return -EINVAL;
			}
			o->isolation = optarg;
			break;
		case 'l': o->list = true; break;
		case 'h': help(); return 1;
		default: return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "faultline run: expected one SCENARIO.yaml (see --help)\n");
		return -EINVAL;
	}
	*ret_path = argv[optind];
	return 0;
}

static char *default_state_dir(void)
{
	const char *home = getenv("HOME");

	if (geteuid() == 0)
		return xstrdup("/var/lib/faultline");
	return xasprintf("%s/.cache/faultline", home ? home : "/tmp");
}

static int load_scenario(const char *path, struct scenario **ret)
{
	const char *sd = getenv("FAULTLINE_SENSORS_DIR"), *fd = getenv("FAULTLINE_FORMATS_DIR");
	struct scenario_opts so = {
		.sensors_dir = sd ? sd : FAULTLINE_SOURCE_DIR "/guests/sensors",
		.formats_dir = fd ? fd : FAULTLINE_SOURCE_DIR "/guests/formats",
	};
	struct scenario_diags diags = { 0 };
	int r = scenario_load(path, &so, &diags, ret);

	for (size_t i = 0; i < diags.n; i++)
		fprintf(stderr, "%s:%u:%u: scenario error: %s\n", diags.v[i].file, diags.v[i].line,
			diags.v[i].column, diags.v[i].message);
	if (r < 0 && diags.n == 0)
		fprintf(stderr, "faultline run: cannot load %s: %s\n", path, strerror(-r));
	scenario_diags_finish(&diags);
	return r;
}

static int expand(const struct scenario *sc, struct scenario_case **ret, size_t *ret_n)
{
	struct scenario_diags diags = { 0 };
	int r = scenario_expand(sc, &diags, ret, ret_n);

	for (size_t i = 0; i < diags.n; i++)
		fprintf(stderr, "%s:%u:%u: scenario error: %s\n", diags.v[i].file, diags.v[i].line,
			diags.v[i].column, diags.v[i].message);
	if (r < 0 && diags.n == 0)
		fprintf(stderr, "faultline run: cannot expand the cases: %s\n", strerror(-r));
	scenario_diags_finish(&diags);
	return r;
}

static void list_cases(const struct scenario *sc, const struct scenario_case *cases, size_t n)
{
	printf("%-32s %-8s %-64s %s\n", "CASE", "BYTES", "SHA-256", "EXPECT");
	for (size_t i = 0; i < n; i++) {
		char sha[65];
		sha256_hex(cases[i].data, cases[i].size, sha);
		printf("%-32s %-8zu %s", cases[i].id, cases[i].size, sha);
		for (size_t s = 0; s < scenario_n_sensors(sc); s++) {
			const char *e = scenario_case_expect(&cases[i], scenario_sensor(sc, s));
			printf(" %s=%s", scenario_sensor(sc, s), e ? e : "-");
		}
		printf("\n    mutations: %s\n", cases[i].mutations_json);
	}
	printf("%zu cases x %zu sensors\n", n, scenario_n_sensors(sc));
}

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void on_result(void *userdata, size_t si, size_t ci, const struct case_result *res,
		      const char *console_rel)
{
	struct run_state *st = userdata;
	const struct scenario_case *c = &st->cases[ci];
	const char *sensor = st->sensor_names[si];
	const char *expect = scenario_case_expect(c, sensor);
	json_object *o = json_object_new_object(), *t = json_object_new_object(), *a;
	_cleanup_free_ char *input = xasprintf("inputs/%s.bin", c->id);
	char sha[65], ts[32];

	sha256_hex(c->data, c->size, sha);
	results_timestamp(ts);
	json_object_object_add(o, "run_id", jstr(st->run_id));
	json_object_object_add(o, "scenario", jstr(scenario_name(st->sc)));
	json_object_object_add(o, "sensor", jstr(sensor));
	json_object_object_add(o, "case", jstr(c->id));
	json_object_object_add(o, "case_name", jstr(c->name));
	json_object_object_add(o, "seed", json_object_new_uint64(c->seed));
	json_object_object_add(o, "seed_file", jstr(c->seed_file));
	a = json_tokener_parse(c->mutations_json ? c->mutations_json : "[]");
	json_object_object_add(o, "mutations", a ? a : json_object_new_array());
	json_object_object_add(o, "input_sha256", jstr(sha));
	json_object_object_add(o, "input", jstr(input));
	json_object_object_add(o, "input_size", json_object_new_uint64(c->size));
	json_object_object_add(o, "verdict", jstr(verdict_name(res->verdict)));
	json_object_object_add(o, "title", jstr(res->title));
	json_object_object_add(o, "detail", jstr(res->detail));
	json_object_object_add(o, "report", jstr(res->report));
	json_object_object_add(o, "console", jstr(console_rel));
	json_object_object_add(o, "expect", jstr(expect));
	json_object_object_add(o, "matched",
			       expect ? json_object_new_boolean(streq(expect, verdict_name(res->verdict)))
				      : NULL);
	json_object_object_add(o, "attempt", json_object_new_int(res->attempt));
	if (res->confirmed) {
		json_object *c2 = json_object_new_object();
		json_object_object_add(c2, "verdict", jstr(verdict_name(res->first_verdict)));
		json_object_object_add(c2, "title", jstr(res->first_title));
		json_object_object_add(c2, "console", NULL);
		_cleanup_free_ char *first_console = xasprintf("consoles/%s/%s.reused.log", sensor, c->id);
		json_object_object_add(c2, "console", jstr(first_console));
		json_object_object_add(o, "reused_guest_run", c2);
	}
	json_object_object_add(o, "flaky", json_object_new_boolean(res->flaky));
	json_object_object_add(t, "boot_ms", json_object_new_uint64(res->boot_ms));
	json_object_object_add(t, "deliver_ms", json_object_new_uint64(res->deliver_ms));
	json_object_object_add(t, "verdict_ms", json_object_new_uint64(res->verdict_ms));
	json_object_object_add(t, "total_ms", json_object_new_uint64(res->total_ms));
	json_object_object_add(o, "timings", t);
	a = json_object_new_object();
	static const char *const outcomes[] = { "accepted", "rejected", "agent-error" };
	json_object_object_add(a, "outcome",
			       res->agent_outcome >= 0 && res->agent_outcome <= 2
				       ? jstr(outcomes[res->agent_outcome])
				       : NULL);
	json_object_object_add(a, "errno", json_object_new_int(res->agent_errno));
	json_object_object_add(a, "message", jstr(res->agent_message));
	json_object_object_add(o, "agent", a);
	json_object_object_add(o, "started", jstr(ts));
	json_object_object_add(o, "kernel", jstr(st->kver));
	json_object_object_add(o, "faultline_version", jstr(FAULTLINE_VERSION));
	int r = results_append(st->results, o);
	if (r < 0 && !st->record_error)
		st->record_error = r;
	json_object_put(o);

	/* keep a copy for the table */
	struct case_result *dst = &st->res[ci * scenario_n_sensors(st->sc) + si];
	*dst = *res;
	dst->title = res->title ? xstrdup(res->title) : NULL;
	dst->detail = res->detail ? xstrdup(res->detail) : NULL;
	dst->report = NULL;
	dst->agent_message = NULL;
	dst->first_title = NULL;
	st->done[ci * scenario_n_sensors(st->sc) + si] = true;
	st->finished++;
	if (st->tty) {
		fprintf(stderr, "\r\033[K[%zu/%zu] %s %s: %s%s%s", st->finished, st->total, sensor,
			c->id, verdict_name(res->verdict), res->title ? " — " : "",
			res->title ? res->title : "");
		fflush(stderr);
	}
}

static int print_table(struct run_state *st, size_t n_cases)
{
	size_t ns = scenario_n_sensors(st->sc);
	int failed = 0;

	if (st->tty)
		fputs("\r\033[K", stderr);
	printf("%-20s %-28s %-12s %-10s %s\n", "SENSOR", "CASE", "VERDICT", "EXPECTED", "TITLE / DETAIL");
	for (size_t s = 0; s < ns; s++)
		for (size_t c = 0; c < n_cases; c++) {
			const struct case_result *r = &st->res[c * ns + s];
			const char *expect = scenario_case_expect(&st->cases[c], st->sensor_names[s]);
			const char *v = st->done[c * ns + s] ? verdict_name(r->verdict) : "not-run";
			bool ok = !expect || streq(expect, v);

			if (!ok || !st->done[c * ns + s])
				failed = 1;
			const char *note = r->title ? r->title : r->detail ? r->detail : "";
			printf("%-20s %-28s %-12s %-10s %s%.*s\n", st->sensor_names[s], st->cases[c].id,
			       v, expect ? expect : "-", ok ? "" : "MISMATCH ",
			       (int)strcspn(note, "\n"), note);
		}
	return failed;
}

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

static char *probe_cache_path(const char *state_dir)
{
	struct utsname u;

	uname(&u);
	return xasprintf("%s/kvm-probe-%s", state_dir, u.release);
}

/* KVM guests hang on some hosts (nested virtualisation): boot one with KVM and see whether its
 * agent says hello within a few seconds; remember the answer per host kernel. */
static const char *probe_accel(struct vm_host *h, const struct image *img, const char *state_dir)
{
	_cleanup_free_ char *cache = probe_cache_path(state_dir);
	_cleanup_free_ char *name = xasprintf("fl-%d-kvmprobe", (int)getpid());
	_cleanup_free_ uint8_t *cached = NULL;
	_cleanup_free_ char *err = NULL;
	size_t size;
	struct vm *vm = NULL;
	const char *result = "tcg";

	if (access("/dev/kvm", R_OK | W_OK) < 0 || !startswith(vm_host_uri(h), "qemu:///embed"))
		return "tcg";
	if (read_file(cache, 64, &cached, &size) == 0)
		return startswith((char *)cached, "kvm") ? "kvm" : "tcg";
	struct vm_config vc = { .name = name, .kernel = img->kernel, .initrd = img->initrd,
				.cmdline = GUEST_CMDLINE, .memory_mib = 256, .accel = "kvm" };
	if (vm_start(h, &vc, &vm, &err) == 0) {
		uint64_t deadline = now_ms() + 8000;
		struct vm_event ev;
		while (vm_next_event(vm, deadline, &ev) == 0) {
			bool hello = ev.type == VM_EVENT_FRAME && ev.frame.type == PROTO_HELLO;
			if (ev.type == VM_EVENT_FRAME)
				proto_frame_finish(&ev.frame);
			if (hello) {
				result = "kvm";
				break;
			}
		}
		vm_destroy(vm);
	}
	write_file_atomic(cache, result, strlen(result));
	return result;
}

static json_object *run_meta(const char *run_id, const struct scenario *sc, const char *kver,
			     const char *uri, const char *accel, const char *isolation, int argc,
			     char **argv)
{
	json_object *m = json_object_new_object(), *s = json_object_new_array();
	char ts[32], host[256] = "";
	_cleanup_free_ char *cmd = xstrdup("faultline");

	results_timestamp(ts);
	gethostname(host, sizeof(host) - 1);
	for (int i = 0; i < argc; i++) {
		char *n = xasprintf("%s %s", cmd, argv[i]);
		free(cmd);
		cmd = n;
	}
	for (size_t i = 0; i < scenario_n_sensors(sc); i++)
		json_object_array_add(s, jstr(scenario_sensor(sc, i)));
	json_object_object_add(m, "run_id", jstr(run_id));
	json_object_object_add(m, "scenario", jstr(scenario_name(sc)));
	json_object_object_add(m, "scenario_path", jstr(scenario_path(sc)));
	json_object_object_add(m, "started", jstr(ts));
	json_object_object_add(m, "faultline_version", jstr(FAULTLINE_VERSION));
	json_object_object_add(m, "kernel", jstr(kver));
	json_object_object_add(m, "uri", jstr(uri));
	json_object_object_add(m, "accel", jstr(accel));
	json_object_object_add(m, "isolation", jstr(isolation));
	json_object_object_add(m, "seed", json_object_new_uint64(scenario_seed(sc)));
	json_object_object_add(m, "sensors", s);
	json_object_object_add(m, "host", jstr(host));
	json_object_object_add(m, "argv", jstr(cmd));
	return m;
}

static int write_inputs(const char *run_dir, const struct scenario_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = xasprintf("%s/inputs/%s.bin", run_dir, cases[i].id);
		int r = write_file_atomic(p, cases[i].data, cases[i].size);
		if (r < 0) {
			fprintf(stderr, "faultline run: cannot write %s: %s\n", p, strerror(-r));
			return r;
		}
	}
	return 0;
}

struct prepared {
	struct sensor **sensors;
	struct image **images;
	struct fleet_sensor *fs;
	size_t n;
};

static void prepared_finish(struct prepared *p)
{
	for (size_t i = 0; i < p->n; i++) {
		sensor_free(p->sensors[i]);
		image_free(p->images[i]);
	}
	free(p->sensors);
	free(p->images);
	free(p->fs);
}

static int prepare_images(const struct scenario *sc, const char *kver, const char *state_dir,
			  struct prepared *p)
{
	p->n = scenario_n_sensors(sc);
	p->sensors = xcalloc(p->n, sizeof(*p->sensors));
	p->images = xcalloc(p->n, sizeof(*p->images));
	p->fs = xcalloc(p->n, sizeof(*p->fs));
	for (size_t i = 0; i < p->n; i++) {
		_cleanup_free_ char *err = NULL;
		int r;

		fprintf(stderr, "building the guest image of %s...\n", scenario_sensor(sc, i));
		r = sensor_load(scenario_sensor_dir(sc, i), &p->sensors[i], &err);
		if (r == 0)
			r = image_build(p->sensors[i], kver, state_dir, &p->images[i], &err);
		if (r < 0) {
			fprintf(stderr, "faultline run: %s\n", err ? err : strerror(-r));
			return r;
		}
		p->fs[i] = (struct fleet_sensor){ .name = p->sensors[i]->name, .image = p->images[i] };
	}
	return 0;
}

static char *make_run_dir(const struct run_opts *o, const struct scenario *sc, char **ret_id)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	*ret_id = xasprintf("%s-%s", scenario_name(sc), stamp);
	if (o->out_dir)
		return xstrdup(o->out_dir);
	return xasprintf("runs/%s", *ret_id);
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	const char *path;
	_cleanup_free_ char *state_dir = NULL, *kver = NULL, *err = NULL, *uri = NULL;
	_cleanup_free_ char *run_dir = NULL, *run_id = NULL, *work_dir = NULL;
	struct scenario *sc = NULL;
	struct scenario_case *cases = NULL;
	size_t n_cases = 0;
	struct prepared prep = { 0 };
	struct vm_host *host = NULL;
	struct run_state st = { 0 };
	json_object *meta = NULL;
	pthread_t sigt;
	int r, ret = 2;

	r = parse_opts(argc, argv, &o, &path);
	if (r != 0)
		return r > 0 ? 0 : 2;
	if (load_scenario(path, &sc) < 0)
		return 2;
	if (expand(sc, &cases, &n_cases) < 0)
		goto out;
	if (o.list) {
		list_cases(sc, cases, n_cases);
		ret = 0;
		goto out;
	}

	/* Signals go to one thread; everything else (libvirt's loop, workers) inherits the mask. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	pthread_create(&sigt, NULL, signal_thread, NULL);
	pthread_detach(sigt);

	state_dir = o.state_dir ? xstrdup(o.state_dir) : default_state_dir();
	if (image_kernel_discover(&kver, &err) < 0) {
		fprintf(stderr, "faultline run: %s\n", err);
		goto out;
	}
	if (prepare_images(sc, kver, state_dir, &prep) < 0)
		goto out;

	const struct scenario_fleet *fl = scenario_fleet(sc);
	if (o.uri)
		uri = xstrdup(o.uri);
	else if (fl->uris && fl->uris[0])
		uri = xstrdup(fl->uris[0]);
	else
		uri = xasprintf("qemu:///embed?root=%s/embed", state_dir);
	free(err);
	err = NULL;
	if (vm_host_open(uri, &host, &err) < 0) {
		fprintf(stderr, "faultline run: %s\n", err);
		ret = 1;
		goto out;
	}
	r = vm_host_reap_orphans(host);
	if (r > 0)
		fprintf(stderr, "destroyed %d guests left behind by a killed faultline\n", r);
	const char *accel = o.accel ? o.accel : fl->accel ? fl->accel : "auto";
	if (streq(accel, "auto"))
		accel = probe_accel(host, prep.images[0], state_dir);

	run_dir = make_run_dir(&o, sc, &run_id);
	r = results_open(run_dir, &st.results);
	if (r < 0) {
		fprintf(stderr, "faultline run: cannot create run directory %s: %s\n", run_dir,
			strerror(-r));
		goto out;
	}
	if (write_inputs(run_dir, cases, n_cases) < 0)
		goto out;
	const char *isolation = o.isolation ? o.isolation : fl->isolation ? fl->isolation : "snapshot";
	meta = run_meta(run_id, sc, kver, uri, accel, isolation, argc, argv);
	results_write_meta(st.results, meta);

	st.sc = sc;
	st.cases = cases;
	st.run_id = run_id;
	st.kver = kver;
	st.total = n_cases * prep.n;
	st.res = xcalloc(st.total ? st.total : 1, sizeof(*st.res));
	st.done = xcalloc(st.total ? st.total : 1, sizeof(*st.done));
	st.sensor_names = xcalloc(prep.n + 1, sizeof(char *));
	for (size_t i = 0; i < prep.n; i++)
		st.sensor_names[i] = prep.sensors[i]->name;
	st.tty = isatty(STDERR_FILENO);

	const struct scenario_timeouts *to = scenario_timeouts(sc);
	work_dir = xasprintf("%s/work-%d", state_dir, (int)getpid());
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	struct fleet_config fc = {
		.host = host, .sensors = prep.fs, .n_sensors = prep.n, .cases = cases,
		.n_cases = n_cases,
		.jobs = o.jobs ? o.jobs : fl->size ? fl->size : (unsigned)(cores > 0 ? cores : 1),
		.memory_mib = fl->memory_mib ? fl->memory_mib : 256, .accel = accel,
		.cmdline = GUEST_CMDLINE, .boot_ms = to->boot_ms,
		.timeouts = { .observe_ms = to->observe_ms, .hang_ms = to->hang_ms,
			      .case_ms = to->case_ms },
		.max_attempts = 2, .run_dir = run_dir, .on_result = on_result, .userdata = &st,
		.isolation = (enum fleet_isolation)fleet_isolation_from_name(isolation),
		.work_dir = work_dir,
	};
	fprintf(stderr, "running %zu cases x %zu sensors on %u guests (%s, %s, %s) into %s\n",
		n_cases, prep.n, fc.jobs, uri, accel, isolation, run_dir);
	r = fleet_run(&fc);

	char ts[32];
	results_timestamp(ts);
	json_object_object_add(meta, r == -ECANCELED ? "interrupted" : "finished",
			       json_object_new_string(ts));
	results_write_meta(st.results, meta);
	ret = print_table(&st, n_cases);
	r = reports_write_defaults(run_dir);
	if (r < 0)
		fprintf(stderr, "faultline run: cannot write the reports into %s: %s\n", run_dir,
			strerror(-r));
	else
		printf("report: %s/report.html, JUnit: %s/results.xml\n", run_dir, run_dir);
	r = vm_host_cancelled() ? -ECANCELED : 0;
	printf("results: %s/results.jsonl\n", run_dir);
	if (st.record_error) {
		fprintf(stderr, "faultline run: could not record a result: %s\n",
			strerror(-st.record_error));
		ret = 1;
	}
	if (r == -ECANCELED) {
		fprintf(stderr, "faultline run: interrupted; %zu of %zu results recorded in %s\n",
			st.finished, st.total, run_dir);
		ret = stop_signal == SIGTERM ? 143 : 130;
	}
out:
	for (size_t i = 0; i < st.total && st.res; i++)
		case_result_finish(&st.res[i]);
	free(st.res);
	free(st.done);
	free(st.sensor_names);
	if (meta)
		json_object_put(meta);
	results_close(st.results);
	vm_host_close(host);
	prepared_finish(&prep);
	scenario_cases_free(cases, n_cases);
	scenario_free(sc);
	return ret;
}
