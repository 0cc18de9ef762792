/* test-sensor.c — sensor.yaml: every field of a good file and the agent's sensor.conf made from
 * it, the shipped sensors, and every kind of error at its line and column, all of a file's
 * errors at once. Fixtures are folders under tests/data/sensor/ (a sensor's name is its
 * folder's); small variants are written to the suite's temporary folder. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sensor.h"
#include "testlib.h"
#include "util.h"

struct want {
	unsigned line, column;
	const char *needle;
};

static void dump_diags(const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "  %s:%u:%u: %s\n", d->v[i].file, d->v[i].line, d->v[i].column,
			d->v[i].message);
}

/* Loading path fails with exactly the diags wanted (in any order), all in that file. */
static void expect_diags(const char *path, const struct want *w, size_t n)
{
	struct diags d = {0};
	struct sensor *s = NULL;

	ck_assert_int_eq(sensor_load_file(path, &d, &s), -EINVAL);
	ck_assert_ptr_null(s);
	if (d.n != n) {
		dump_diags(&d);
		ck_abort_msg("%s: %zu diags, expected %zu", path, d.n, n);
	}
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t j = 0; j < d.n && !found; j++)
			found = d.v[j].line == w[i].line && d.v[j].column == w[i].column &&
				strstr(d.v[j].message, w[i].needle);
		if (!found) {
			dump_diags(&d);
			ck_abort_msg("%s: no diag at %u:%u with '%s'", path, w[i].line, w[i].column,
				     w[i].needle);
		}
	}
	for (size_t j = 0; j < d.n; j++)
		ck_assert_str_eq(d.v[j].file, path);
	diags_finish(&d);
}

static void expect_fixture(const char *name, const struct want *w, size_t n)
{
	_cleanup_free_ char *rel = xasprintf("sensor/%s/sensor.yaml", name);
	_cleanup_free_ char *path = testlib_fixture_path(rel);

	expect_diags(path, w, n);
}

/* Write TEXT as NAME/sensor.yaml in the temporary folder and expect one diag. */
static void expect_text(const char *name, const char *text, unsigned line, unsigned column,
			const char *needle)
{
	_cleanup_free_ char *rel = xasprintf("%s/sensor.yaml", name);
	_cleanup_free_ char *path = testlib_write_text(rel, text);
	const struct want w = {line, column, needle};

	expect_diags(path, &w, 1);
}

/* A line or two after a good head, and the one diag it must give. */
struct bad_text {
	const char *text;
	unsigned line, column;
	const char *needle;
};

static void expect_bad_texts(const char *name, const char *head, const struct bad_text *bad,
			     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *text = xasprintf("%s%s", head, bad[i].text);

		expect_text(name, text, bad[i].line, bad[i].column, bad[i].needle);
	}
}

static struct sensor *load_text(const char *name, const char *text)
{
	_cleanup_free_ char *rel = xasprintf("%s/sensor.yaml", name);
	_cleanup_free_ char *path = testlib_write_text(rel, text);
	struct diags d = {0};
	struct sensor *s = NULL;

	if (sensor_load_file(path, &d, &s) < 0) {
		dump_diags(&d);
		ck_abort_msg("%s does not load", path);
	}
	ck_assert_uint_eq(d.n, 0);
	return s;
}

START_TEST(test_good)
{
	_cleanup_free_ char *dir = testlib_fixture_path("sensor/good");
	_cleanup_free_ char *conf = NULL, *err = NULL;
	struct sensor *s = NULL;

	ck_assert_int_eq(sensor_load(dir, &s, &err), 0);
	ck_assert_ptr_null(err);
	ck_assert_str_eq(s->name, "good");
	ck_assert_str_eq(s->dir, dir);
	ck_assert_str_eq(s->description, "a test sensor");
	ck_assert_str_eq(s->format, "kscu");
	ck_assert_str_eq(s->build_command, "make OUT=\"$FAULTLINE_BUILD\"");
	ck_assert_uint_eq(s->n_files, 1);
	ck_assert_str_eq(s->files[0].src, "$FAULTLINE_BUILD/x.ko");
	ck_assert_str_eq(s->files[0].dst, "/lib/sensor/x.ko");
	ck_assert_str_eq(s->start[1], "echo started");
	ck_assert_ptr_null(s->start[2]);
	ck_assert_str_eq(s->deliver_method, "device");
	ck_assert_ptr_null(s->deliver_reload);
	ck_assert(s->reject_errno);
	ck_assert(s->reject_exit); /* the default */
	conf = sensor_agent_conf(s);
	ck_assert_str_eq(conf, "name=good\nstart=insmod /lib/sensor/x.ko\nstart=echo started\n"
			       "deliver=device\npath=/dev/x\ntrigger=/lib/sensor/trigger\n"
			       "reject_errno=1\nreject_exit=1\nreject_errnos=22,74,71\n"
			       "reject_log=x: rejected\n");
	sensor_free(s);
}
END_TEST

/* Booleans as everywhere else: yes/no/on/off too; an empty string is a value. */
START_TEST(test_values)
{
	struct sensor *s = load_text("vals", "name: vals\n"
					     "deliver: {method: command, command: 'cat > /x', "
					     "reload: ''}\n"
					     "reject: {errno: off, exit_status: no}\n");

	ck_assert(!s->reject_errno);
	ck_assert(!s->reject_exit);
	ck_assert_str_eq(s->deliver_reload, "");
	ck_assert_ptr_null(s->build_command);
	ck_assert_ptr_null(s->start);
	sensor_free(s);
	s = load_text("vals", "name: vals\ndeliver: {method: file, path: /x}\n"
			      "reject: {errno: On, exit_status: yes}\n");
	ck_assert(s->reject_errno);
	ck_assert(s->reject_exit);
	sensor_free(s);
}
END_TEST

/* watch and probe: what a user-mode sensor adds, and what the agent receives of it. */
START_TEST(test_watch_probe)
{
	_cleanup_free_ char *conf = NULL;
	struct sensor *s = load_text("um", "name: um\n"
					   "deliver: {method: file, path: /var/lib/um/c}\n"
					   "watch:\n"
					   "  process: umd\n"
					   "  log: /var/log/um.log\n"
					   "  died: \"supervise: umd died\"\n"
					   "probe:\n"
					   "  command: /lib/sensor/probe 'umctl stats'\n"
					   "  timeout: 2.5s\n"
					   "  interval: 150ms\n");

	ck_assert_str_eq(s->watch_process, "umd");
	ck_assert_str_eq(s->watch_log, "/var/log/um.log");
	ck_assert_str_eq(s->watch_died, "supervise: umd died");
	ck_assert_str_eq(s->probe_command, "/lib/sensor/probe 'umctl stats'");
	ck_assert_uint_eq(s->probe_timeout_ms, 2500);
	ck_assert_uint_eq(s->probe_interval_ms, 150);
	conf = sensor_agent_conf(s);
	ck_assert_str_eq(conf, "name=um\ndeliver=file\npath=/var/lib/um/c\n"
			       "reject_errno=1\nreject_exit=1\nreject_errnos=22,74,71\n"
			       "watch_process=umd\nwatch_log=/var/log/um.log\n"
			       "watch_died=supervise: umd died\ncov_process=umd\n"
			       "probe=/lib/sensor/probe 'umctl stats'\n"
			       "probe_timeout_ms=2500\nprobe_interval_ms=150\n");
	sensor_free(s);

	/* the agent's counter probe: a file read around the trigger, no command */
	s = load_text("k", "name: k\ndeliver: {method: device, path: /dev/k}\n"
			   "trigger: /lib/sensor/kstrigger\n"
			   "probe: {counter: /sys/module/k/parameters/matches, timeout: 1s}\n");
	ck_assert_ptr_null(s->probe_command);
	ck_assert_str_eq(s->probe_counter, "/sys/module/k/parameters/matches");
	free(conf);
	conf = sensor_agent_conf(s);
	ck_assert_ptr_nonnull(strstr(conf, "\nprobe_counter=/sys/module/k/parameters/matches\n"
					   "probe_timeout_ms=1000\n"));
	ck_assert_ptr_null(strstr(conf, "\nprobe="));
	sensor_free(s);

	/* each part alone; the probe's defaults */
	s = load_text("um", "name: um\ndeliver: {method: file, path: /x}\n"
			    "watch: {process: umd}\nprobe: {command: 'true'}\n");
	ck_assert_ptr_null(s->watch_log);
	ck_assert_ptr_null(s->watch_died);
	ck_assert_uint_eq(s->probe_timeout_ms, SENSOR_PROBE_TIMEOUT_MS);
	ck_assert_uint_eq(s->probe_interval_ms, SENSOR_PROBE_INTERVAL_MS);
	sensor_free(s);
	s = load_text("um", "name: um\ndeliver: {method: file, path: /x}\n"
			    "watch: {log: /var/log/um.log, died: died}\n");
	ck_assert_ptr_null(s->watch_process);
	ck_assert_ptr_null(s->probe_command);
	free(conf);
	conf = sensor_agent_conf(s);
	ck_assert_ptr_null(strstr(conf, "probe"));
	sensor_free(s);
	free(conf);
	/* a systemd unit: its journal is the log, so died needs no log: */
	s = load_text("w", "name: w\ndeliver: {method: file, path: /x}\n"
			   "watch: {unit: usensor.service, process: usensord, died: Main process "
			   "exited}\n");
	ck_assert_str_eq(s->watch_unit, "usensor.service");
	conf = sensor_agent_conf(s);
	ck_assert_ptr_nonnull(strstr(conf, "\nwatch_unit=usensor.service\n"));
	ck_assert_ptr_nonnull(strstr(conf, "\nwatch_died=Main process exited\n"));
	sensor_free(s);
}
END_TEST

/* coverage: the process whose code `faultline fuzz` covers (watch's by default) and its shared
 * objects, as the agent receives them; and what is refused, where. */
START_TEST(test_coverage)
{
	static const char *const head = "name: c\ndeliver: {method: file, path: /x}\n";
	static const struct bad_text bad[] = {
	    {"coverage: {objects: [libx.so]}\n", 3, 11,
	     "coverage needs process: (or a watch process)"},
	    {"coverage: {process: a-very-long-daemon}\n", 3, 21,
	     "coverage process 'a-very-long-daemon' is not a process name"},
	    {"coverage: {process: d, objects: libx.so}\n", 3, 33,
	     "coverage objects: expected a list of at most 6 file names"},
	    {"coverage: {process: d, objects: [/lib/libx.so]}\n", 3, 34,
	     "bad coverage object '/lib/libx.so'; expected the file name of a shared object"},
	    {"coverage: {process: d, objects: ['a,b']}\n", 3, 34, "bad coverage object 'a,b'"},
	    {"coverage: {process: d, objects: [[a]]}\n", 3, 34, "bad coverage object a list"},
	    {"coverage: {process: d, pid: 3}\n", 3, 24,
	     "unknown key 'pid' in coverage; expected one of: process, objects"},
	};
	_cleanup_free_ char *conf = NULL;
	struct sensor *s =
	    load_text("c", "name: c\ndeliver: {method: file, path: /x}\n"
			   "watch: {process: umd}\n"
			   "coverage: {process: scand, objects: [libscan.so.1, libz.so]}\n");

	ck_assert_str_eq(sensor_coverage_process(s), "scand");
	conf = sensor_agent_conf(s);
	ck_assert_ptr_nonnull(
	    strstr(conf, "\ncov_process=scand\ncov_objects=libscan.so.1,libz.so\n"));
	sensor_free(s);
	free(TAKE_PTR(conf));
	/* no coverage: section: watch's process; neither: none */
	s = load_text("c", "name: c\ndeliver: {method: file, path: /x}\nwatch: {process: umd}\n");
	ck_assert_str_eq(sensor_coverage_process(s), "umd");
	sensor_free(s);
	s = load_text("c", "name: c\ndeliver: {method: file, path: /x}\n");
	ck_assert_ptr_null(sensor_coverage_process(s));
	conf = sensor_agent_conf(s);
	ck_assert_ptr_null(strstr(conf, "cov_"));
	sensor_free(s);
	expect_bad_texts("c", head, bad, ARRAY_SIZE(bad));
}
END_TEST

START_TEST(test_watch_probe_errors)
{
	static const char *const head = "name: w\ndeliver: {method: file, path: /x}\n";
	static const struct bad_text bad[] = {
	    {"watch: umd\n", 3, 8, "watch must be a map (process: ...), not a scalar"},
	    {"watch: {}\n", 3, 8, "watch needs process:, log: or unit:"},
	    {"watch: {process: umd, pid: 3}\n", 3, 23,
	     "unknown key 'pid' in watch; expected one of: process, log, died, unit"},
	    {"watch: {unit: usensor}\n", 3, 15,
	     "watch unit 'usensor' is not a unit name; expected a systemd service like "
	     "NAME.service"},
	    {"watch: {unit: \"a'b.service\"}\n", 3, 15, "is not a unit name"},
	    {"watch: {unit: u.service, log: /x}\n", 3, 31,
	     "watch log with unit:; expected one of them"},
	    {"watch: {process: a-very-long-daemon}\n", 3, 18,
	     "watch process 'a-very-long-daemon' is not a process name; expected the name the "
	     "kernel keeps (/proc/PID/comm: at most 15 characters"},
	    {"watch: {process: /lib/umd}\n", 3, 18, "is not a process name"},
	    {"watch: {process: ''}\n", 3, 18, "watch process is empty"},
	    {"watch: {process: [a]}\n", 3, 18, "watch process must be a string, not a list"},
	    {"watch: {log: var/log/x}\n", 3, 14,
	     "watch log 'var/log/x' is relative; expected an absolute guest path"},
	    {"watch: {process: umd, died: x}\n", 3, 29,
	     "watch died needs log: or unit:; expected the file or the unit's journal the death "
	     "lines go to"},
	    {"watch: {log: /x, died: \"a\\nb\"}\n", 3, 24,
	     "watch died spans several lines; expected one line"},
	    {"probe: 'true'\n", 3, 8, "probe must be a map (command: ...), not a scalar"},
	    {"probe: {timeout: 3s}\n", 3, 8, "missing probe command"},
	    {"probe: {command: ''}\n", 3, 18, "probe command is empty"},
	    {"probe: {command: x, timeout: soon}\n", 3, 30,
	     "bad probe timeout 'soon'; expected a duration like 30s, 500ms"},
	    {"probe: {command: x, timeout: 2m}\n", 3, 30,
	     "probe timeout '2m' is out of range; expected more than 0 and at most 60 s"},
	    {"probe: {command: x, interval: 0}\n", 3, 31, "probe interval '0' is out of range"},
	    {"probe: {command: x, interval: [1]}\n", 3, 31,
	     "probe interval must be a duration like 30s, 500ms or 2m, not a list"},
	    {"trigger: t\nprobe: {command: x, counter: /c}\n", 4, 30,
	     "probe command and counter both given; expected one of them"},
	    {"trigger: t\nprobe: {counter: c}\n", 4, 18,
	     "probe counter 'c' is not an absolute path in the guest"},
	    {"probe: {counter: /c}\n", 3, 18,
	     "probe counter without a trigger; expected trigger: (the event whose count must "
	     "grow)"},
	    {"trigger: t\nprobe: {counter: ''}\n", 4, 18, "probe counter is empty"},
	};

	expect_bad_texts("w", head, bad, ARRAY_SIZE(bad));
}
END_TEST

/* reject errno: a list of names or numbers, true for the default set, false for none; what the
 * agent receives of each. */
START_TEST(test_reject_errnos)
{
	_cleanup_free_ char *conf = NULL;
	struct sensor *s = load_text("e", "name: e\ndeliver: {method: device, path: /dev/e}\n"
					  "reject: {errno: [EINVAL, EBADMSG, 5, E2BIG]}\n");

	ck_assert(s->reject_errno);
	ck_assert_uint_eq(s->n_reject_errnos, 4);
	ck_assert_int_eq(s->reject_errnos[0], EINVAL);
	ck_assert_int_eq(s->reject_errnos[1], EBADMSG);
	ck_assert_int_eq(s->reject_errnos[2], EIO);
	ck_assert_int_eq(s->reject_errnos[3], E2BIG);
	conf = sensor_agent_conf(s);
	ck_assert_ptr_nonnull(strstr(conf, "reject_errnos=22,74,5,7\n"));
	sensor_free(s);

	s = load_text("e", "name: e\ndeliver: {method: device, path: /dev/e}\n");
	ck_assert_uint_eq(s->n_reject_errnos, 3); /* errno: true, the default */
	ck_assert_int_eq(s->reject_errnos[0], EINVAL);
	ck_assert_int_eq(s->reject_errnos[1], EBADMSG);
	ck_assert_int_eq(s->reject_errnos[2], EPROTO);
	sensor_free(s);

	free(conf);
	s = load_text("e", "name: e\ndeliver: {method: device, path: /dev/e}\n"
			   "reject: {errno: false}\n");
	conf = sensor_agent_conf(s);
	ck_assert(!s->reject_errno);
	ck_assert_ptr_null(strstr(conf, "reject_errnos"));
	sensor_free(s);
}
END_TEST

START_TEST(test_errno_names)
{
	char buf[24];
	int e;

	ck_assert_int_eq(sensor_errno_parse("ENOMEM", &e), 0);
	ck_assert_int_eq(e, ENOMEM);
	ck_assert_int_eq(sensor_errno_parse("71", &e), 0);
	ck_assert_int_eq(e, EPROTO);
	ck_assert_int_eq(sensor_errno_parse("ENOPE", &e), -EINVAL);
	ck_assert_int_eq(sensor_errno_parse("0", &e), -EINVAL);
	ck_assert_int_eq(sensor_errno_parse("4096", &e), -EINVAL);
	ck_assert_int_eq(sensor_errno_parse("12x", &e), -EINVAL);
	ck_assert_str_eq(sensor_errno_name(EFAULT, buf), "EFAULT");
	ck_assert_str_eq(sensor_errno_name(4000, buf), "errno 4000");
}
END_TEST

/* guest: the command line (debug presets appended), modules; a scenario's merged after. */
START_TEST(test_guest)
{
	struct sensor_guest m = {0}, sc = {0};
	struct sensor *s = load_text("g", "name: g\ndeliver: {method: device, path: /dev/g}\n"
					  "guest:\n"
					  "  cmdline: slub_debug=FZ loglevel=7\n"
					  "  debug: [panic_on_warn]\n"
					  "  modules: [crc32c_generic, zstd]\n");
	char *mods[] = {"zstd", "xxhash", NULL};

	ck_assert_str_eq(s->guest.cmdline, "slub_debug=FZ loglevel=7 panic_on_warn=1");
	ck_assert_str_eq(s->guest.modules[0], "crc32c_generic");
	ck_assert_str_eq(s->guest.modules[1], "zstd");
	ck_assert_ptr_null(s->guest.modules[2]);
	sc = (struct sensor_guest){.cmdline = "init_on_free=1", .modules = mods};
	sensor_guest_merge(&s->guest, &sc, &m);
	ck_assert_str_eq(m.cmdline, "slub_debug=FZ loglevel=7 panic_on_warn=1 init_on_free=1");
	ck_assert_str_eq(m.modules[0], "crc32c_generic");
	ck_assert_str_eq(m.modules[1], "zstd");
	ck_assert_str_eq(m.modules[2], "xxhash");
	ck_assert_ptr_null(m.modules[3]);
	sensor_guest_finish(&m);
	sensor_guest_merge(NULL, NULL, &m);
	ck_assert_ptr_null(m.cmdline);
	ck_assert_ptr_null(m.modules[0]);
	sensor_guest_finish(&m);
	ck_assert_str_eq(sensor_guest_debug_cmdline("slub"), "slub_debug=FZPU");
	ck_assert_ptr_null(sensor_guest_debug_cmdline("kasan"));
	sensor_free(s);
}
END_TEST

/* guest: {system: ...} and {disk: PATH} (relative to the file's folder); a scenario's replaces
 * the sensor's. */
START_TEST(test_guest_system_disk)
{
	struct sensor_guest m = {0}, sc = {0};
	struct sensor *s = load_text("gs", "name: gs\ndeliver: {method: device, path: /dev/g}\n"
					   "guest: {system: debian-12}\n");
	struct sensor *d = load_text("gd", "name: gd\ndeliver: {method: device, path: /dev/g}\n"
					   "guest: {disk: img/my.qcow2}\n");
	_cleanup_free_ char *want = xasprintf("%s/gd/img/my.qcow2", testlib_tmpdir());

	ck_assert_str_eq(s->guest.system, "debian-12");
	ck_assert_ptr_null(s->guest.disk);
	ck_assert_str_eq(d->guest.disk, want);
	ck_assert_ptr_null(d->guest.system);
	ck_assert_int_eq(d->guest.firmware, DISKBOOT_WANT_AUTO);
	ck_assert(strstr(d->guest.disk_at, "sensor.yaml:3"));
	sensor_guest_merge(&s->guest, &d->guest, &m);
	ck_assert_ptr_null(m.system);
	ck_assert_str_eq(m.disk, want);
	ck_assert_int_eq(m.firmware, DISKBOOT_WANT_AUTO);
	ck_assert_str_eq(m.disk_at, d->guest.disk_at);
	sensor_guest_finish(&m);
	sensor_free(d);
	/* firmware: uefi goes with its disk, into the merge too */
	d = load_text("gd", "name: gd\ndeliver: {method: device, path: /dev/g}\n"
			    "guest: {disk: img/my.qcow2, firmware: uefi}\n");
	ck_assert_int_eq(d->guest.firmware, DISKBOOT_WANT_UEFI);
	sensor_guest_merge(&s->guest, &d->guest, &m);
	ck_assert_int_eq(m.firmware, DISKBOOT_WANT_UEFI);
	ck_assert_str_eq(m.disk, want);
	sensor_guest_finish(&m);
	sc = (struct sensor_guest){.cmdline = "x=1"};
	sensor_guest_merge(&s->guest, &sc, &m);
	ck_assert_str_eq(m.system, "debian-12");
	sensor_guest_finish(&m);
	ck_assert_str_eq(sensor_guest_systems()[0], "debian-12");
	ck_assert_ptr_null(s->package);
	sensor_free(s);
	sensor_free(d);
	s = load_text("gp", "name: gp\ndeliver: {method: device, path: /dev/g}\n"
			    "package: $FAULTLINE_BUILD/gp.deb\nguest: {system: debian-12}\n");
	ck_assert_str_eq(s->package, "$FAULTLINE_BUILD/gp.deb");
	sensor_free(s);
}
END_TEST

START_TEST(test_new_key_errors)
{
	static const char *const head = "name: n\ndeliver: {method: file, path: /x}\n";
	static const struct bad_text bad[] = {
	    {"reject: {errno: [EINVAL, ENOPE]}\n", 3, 26,
	     "bad reject errno 'ENOPE'; expected an errno name like EINVAL"},
	    {"reject: {errno: [EINVAL, EINVAL]}\n", 3, 26, "reject errno 'EINVAL' listed twice"},
	    {"reject: {errno: []}\n", 3, 17, "reject errno is an empty list"},
	    {"reject: {errno: [[1]]}\n", 3, 18, "bad reject errno a list"},
	    {"reject: {errno: maybe}\n", 3, 17, "reject errno must be true or false"},
	    {"guest: slub\n", 3, 8, "guest must be a map (cmdline: ..., modules: [...])"},
	    {"guest: {kernl: x}\n", 3, 9, "unknown key 'kernl' in guest"},
	    {"guest: {kernel: ''}\n", 3, 17, "guest kernel"},
	    {"guest: {cmdline: console=tty0}\n", 3, 18,
	     "guest cmdline option 'console' is faultline's own"},
	    {"guest: {cmdline: 'a=\"b c\"'}\n", 3, 18, "guest cmdline contains quotes"},
	    {"guest: {cmdline: ''}\n", 3, 18, "guest cmdline is empty"},
	    {"guest: {modules: zstd}\n", 3, 18, "guest modules must be a list"},
	    {"guest: {modules: [../x]}\n", 3, 19, "bad kernel module name '../x'"},
	    {"guest: {debug: [kasan]}\n", 3, 17,
	     "unknown guest debug preset 'kasan'; expected one of slub, panic_on_warn"},
	    {"guest: {system: debian-99}\n", 3, 17,
	     "unknown guest system 'debian-99'; expected debian-12"},
	    {"guest: {system: [debian-12]}\n", 3, 17, "guest system must be"},
	    {"guest: {disk: ''}\n", 3, 15, "guest disk is empty"},
	    {"package: ''\n", 3, 10, "package is empty; expected the path of a .deb"},
	    {"package: [a.deb]\n", 3, 10, "package must be"},
	    {"guest: {system: debian-12, disk: /x.qcow2}\n", 3, 8,
	     "guest has both system and disk; expected one of them"},
	    {"guest: {disk: /x.qcow2, firmware: efi}\n", 3, 35, "guest firmware"},
	    {"guest: {system: debian-12, firmware: uefi}\n", 3, 38,
	     "guest firmware uefi needs disk: beside it"},
	    {"guest: {firmware: bios}\n", 3, 19, "guest firmware bios needs disk: beside it"},
	};

	expect_bad_texts("n", head, bad, ARRAY_SIZE(bad));
}
END_TEST

/* version: as given; version-command: the first line it prints, run in the sensor's folder; a
 * failing or silent command is an error naming the sensor; both keys at once are refused. */
START_TEST(test_version)
{
	static const char *const head = "name: v\ndeliver: {method: file, path: /x}\n";
	static const struct bad_text bad[] = {
	    {"version: 1.0\nversion-command: echo 2\n", 4, 18,
	     "both version: and version-command: given"},
	    {"version: ''\n", 3, 10, "version"},
	};
	struct sensor *s;
	char *v = NULL, *err = NULL;

	s = load_text("v", "name: v\ndeliver: {method: file, path: /x}\nversion: 4.2.1\n");
	ck_assert_int_eq(sensor_version(s, &v, &err), 0);
	ck_assert_str_eq(v, "4.2.1");
	free(v);
	sensor_free(s);

	free(testlib_write_text("v/VERSION", "7.1-rc2\nnot this line\n"));
	s = load_text("v", "name: v\ndeliver: {method: file, path: /x}\n"
			   "version-command: cat VERSION\n");
	ck_assert_int_eq(sensor_version(s, &v, &err), 0);
	ck_assert_str_eq(v, "7.1-rc2");
	free(v);
	sensor_free(s);

	s = load_text("v",
		      "name: v\ndeliver: {method: file, path: /x}\nversion-command: 'false'\n");
	ck_assert_int_eq(sensor_version(s, &v, &err), -EIO);
	ck_assert_ptr_nonnull(strstr(err, "v: version-command 'false' failed"));
	free(err);
	sensor_free(s);

	s = load_text("v", "name: v\ndeliver: {method: file, path: /x}\n");
	v = (char *)"unset";
	ck_assert_int_eq(sensor_version(s, &v, &err), 0);
	ck_assert_ptr_null(v);
	sensor_free(s);
	expect_bad_texts("v", head, bad, ARRAY_SIZE(bad));
}
END_TEST

/* Names on the search path in order, paths relative to the scenario (a folder or its
 * sensor.yaml), and a miss that lists every place looked at. */
START_TEST(test_find)
{
	_cleanup_free_ char *a = testlib_write_text("path-a/s1/sensor.yaml", "name: s1\n");
	_cleanup_free_ char *b = testlib_write_text("path-b/s1/sensor.yaml", "name: s1\n");
	_cleanup_free_ char *c = testlib_write_text("path-b/s2/sensor.yaml", "name: s2\n");
	_cleanup_free_ char *v = testlib_write_text("vendor/mine/sensor.yaml", "name: mine\n");
	_cleanup_free_ char *scen = testlib_write_text("scen/s.yaml", "");
	_cleanup_free_ char *da = xasprintf("%s/path-a", testlib_tmpdir());
	_cleanup_free_ char *db = xasprintf("%s/path-b", testlib_tmpdir());
	_cleanup_free_ char *sc = xasprintf("%s/scen", testlib_tmpdir());
	_cleanup_free_ char *want_s1 = xasprintf("%s/s1", da);
	_cleanup_free_ char *want_v = xasprintf("%s/../vendor/mine", sc);
	_cleanup_free_ char *dir = NULL, *err = NULL;
	const char *dirs[] = {da, db, NULL};

	ck_assert_int_eq(sensor_find("s1", sc, dirs, &dir, &err), 0);
	ck_assert_str_eq(dir, want_s1); /* the first folder that has it */
	free(dir);
	ck_assert_int_eq(sensor_find("s2", sc, dirs, &dir, &err), 0);
	ck_assert_ptr_nonnull(strstr(dir, "path-b/s2"));
	free(dir);
	ck_assert_int_eq(sensor_find("../vendor/mine", sc, dirs, &dir, &err), 0);
	ck_assert_str_eq(dir, want_v);
	free(dir);
	ck_assert_int_eq(sensor_find("../vendor/mine/sensor.yaml", sc, dirs, &dir, &err), 0);
	ck_assert_str_eq(dir, want_v);
	free(dir);
	ck_assert_int_eq(sensor_find(v, "/nowhere", NULL, &dir, &err), 0);
	free(dir);
	dir = NULL;
	ck_assert_int_eq(sensor_find("s3", sc, dirs, &dir, &err), -ENOENT);
	ck_assert_ptr_null(dir);
	ck_assert_ptr_nonnull(strstr(err, "unknown sensor 's3'; looked for "));
	ck_assert_ptr_nonnull(strstr(err, "path-a/s3/sensor.yaml, "));
	ck_assert_ptr_nonnull(strstr(err, "path-b/s3/sensor.yaml (add a folder with"));
	free(err);
	ck_assert_int_eq(sensor_find("../vendor/none", sc, dirs, &dir, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "no sensor at '../vendor/none': "));
	(void)a, (void)b, (void)c, (void)scen;
}
END_TEST

START_TEST(test_search_path)
{
	const char *cli[] = {"/cli1", "/cli2", NULL};
	char **p = sensor_search_path(cli, "/env1::/env2:", "/shipped");

	ck_assert_str_eq(p[0], "/cli1");
	ck_assert_str_eq(p[1], "/cli2");
	ck_assert_str_eq(p[2], "/env1");
	ck_assert_str_eq(p[3], "/env2");
	ck_assert_str_eq(p[4], "/shipped");
	ck_assert_ptr_null(p[5]);
	sensor_search_path_free(p);
	p = sensor_search_path(NULL, NULL, "/shipped");
	ck_assert_str_eq(p[0], "/shipped");
	ck_assert_ptr_null(p[1]);
	ck_assert_ptr_null(sensor_search_path_free(p));
}
END_TEST

/* persist: what the agent receives for content kept across reboots; absent, no persistence. */
START_TEST(test_persist)
{
	_cleanup_free_ char *conf = NULL;
	struct sensor *s = load_text("ps", "name: ps\n"
					   "deliver: {method: device, path: /dev/ps}\n"
					   "persist:\n"
					   "  store: /persist/ps/content.kscu\n"
					   "  load:\n"
					   "    - /lib/sensor/boot-content load a\n"
					   "    - echo loaded\n"
					   "  healthy: [/lib/sensor/boot-content healthy]\n");

	ck_assert(sensor_persists(s));
	ck_assert_str_eq(s->persist_store, "/persist/ps/content.kscu");
	ck_assert_str_eq(s->persist_load[1], "echo loaded");
	ck_assert_ptr_null(s->persist_load[2]);
	ck_assert_str_eq(s->persist_healthy[0], "/lib/sensor/boot-content healthy");
	conf = sensor_agent_conf(s);
	ck_assert_str_eq(conf, "name=ps\ndeliver=device\npath=/dev/ps\n"
			       "reject_errno=1\nreject_exit=1\nreject_errnos=22,74,71\n"
			       "persist_store=/persist/ps/content.kscu\n"
			       "persist_load=/lib/sensor/boot-content load a\n"
			       "persist_load=echo loaded\n"
			       "persist_healthy=/lib/sensor/boot-content healthy\n");
	sensor_free(s);
	s = load_text("ps", "name: ps\ndeliver: {method: device, path: /dev/ps}\n"
			    "persist: {store: /persist/c}\n");
	ck_assert(sensor_persists(s));
	ck_assert_ptr_null(s->persist_load);
	ck_assert_ptr_null(s->persist_healthy);
	sensor_free(s);
	/* a package keeps its content on its full system's own disk: anywhere there */
	s = load_text("ps", "name: ps\ndeliver: {method: device, path: /dev/ps}\n"
			    "package: ps.deb\npersist: {store: /var/lib/ps/content.kscu}\n");
	ck_assert(sensor_persists(s));
	ck_assert_str_eq(s->persist_store, "/var/lib/ps/content.kscu");
	sensor_free(s);
	s = load_text("ps", "name: ps\ndeliver: {method: device, path: /dev/ps}\n");
	ck_assert(!sensor_persists(s));
	ck_assert(!sensor_persists(NULL));
	free(conf);
	conf = sensor_agent_conf(s);
	ck_assert_ptr_null(strstr(conf, "persist"));
	sensor_free(s);
}
END_TEST

START_TEST(test_persist_errors)
{
	static const char *const head = "name: p\ndeliver: {method: file, path: /x}\n";
	static const struct {
		const char *text;
		unsigned line, column;
		const char *needle;
	} bad[] = {
	    {"persist: /persist/c\n", 3, 10, "persist must be a map (store: ...), not a scalar"},
	    {"persist: {load: [x]}\n", 3, 10, "missing persist store; expected the absolute path"},
	    {"persist: {store: /persist/c, boot: x}\n", 3, 30,
	     "unknown key 'boot' in persist; expected one of: store, load, healthy"},
	    {"persist: {store: /var/lib/c}\n", 3, 18,
	     "persist store '/var/lib/c' is not a file under /persist; expected an absolute path"},
	    {"persist: {store: persist/c}\n", 3, 18, "is not a file under /persist"},
	    {"persist: {store: /persist/}\n", 3, 18, "is not a file under /persist"},
	    {"persist: {store: /persist/../etc/c}\n", 3, 18, "is not a file under /persist"},
	    {"persist: {store: /persist/a//c}\n", 3, 18, "is not a file under /persist"},
	    {"persist: {store: /persist/a/./c}\n", 3, 18, "is not a file under /persist"},
	    {"persist: {store: /persistent/c}\n", 3, 18, "is not a file under /persist"},
	    {"persist: {store: ''}\n", 3, 18, "persist store is empty"},
	    {"persist: {store: [a]}\n", 3, 18, "persist store must be a string, not a list"},
	    {"persist: {store: /persist/c, load: x}\n", 3, 36,
	     "persist load must be a list of shell commands, not a scalar"},
	    {"persist: {store: /persist/c, healthy: {a: b}}\n", 3, 39,
	     "persist healthy must be a list of shell commands, not a map"},
	    {"persist: {store: /persist/c, load: [\"a\\nb\"]}\n", 3, 37,
	     "a persist load command spans several lines; expected one line"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *text = xasprintf("%s%s", head, bad[i].text);

		expect_text("p", text, bad[i].line, bad[i].column, bad[i].needle);
	}
	/* a package's store: an absolute file path without "." or ".." steps */
	expect_text("p",
		    "name: p\ndeliver: {method: file, path: /x}\npackage: p.deb\n"
		    "persist: {store: var/lib/p}\n",
		    4, 18,
		    "persist store 'var/lib/p' is not an absolute file path; expected where the "
		    "package keeps its content");
	expect_text("p",
		    "name: p\ndeliver: {method: file, path: /x}\npackage: p.deb\n"
		    "persist: {store: /var/../etc/p}\n",
		    4, 18, "is not an absolute file path");
}
END_TEST

START_TEST(test_shipped)
{
	_cleanup_free_ char *root = xstrdup(FAULTLINE_SOURCE_DIR "/guests/sensors");
	DIR *dir = opendir(root);
	struct dirent *e;
	unsigned n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir))) {
		_cleanup_free_ char *path = xasprintf("%s/%s/sensor.yaml", root, e->d_name);
		struct diags d = {0};
		struct sensor *s = NULL;

		if (e->d_name[0] == '.' || access(path, F_OK) < 0)
			continue;
		if (sensor_load_file(path, &d, &s) < 0) {
			dump_diags(&d);
			ck_abort_msg("shipped %s does not load", path);
		}
		ck_assert_str_eq(s->name, e->d_name);
		/* the reference designs read kscu, the third-party sensors their own format: each
		 * is a description shipped in guests/formats */
		_cleanup_free_ char *format =
		    xasprintf(FAULTLINE_SOURCE_DIR "/guests/formats/%s.yaml", s->format);
		ck_assert_msg(access(format, R_OK) == 0, "%s: no format %s", path, format);
		/* the kernel designs take one write to a device, the user-mode ones a file (clamav:
		 * a command that installs it by kind) */
		ck_assert(streq(s->deliver_method, "device") || streq(s->deliver_method, "file") ||
			  streq(s->deliver_method, "command"));
		/* files in the guest, or a package that brings them */
		ck_assert(s->n_files >= 1 || s->package);
		sensor_free(s);
		n++;
	}
	closedir(dir);
	ck_assert_uint_ge(n, 6);
}
END_TEST

START_TEST(test_located)
{
	static const struct want badkey[] = {{5, 3,
					      "unknown key 'speed' in deliver; expected "
					      "one of: method, path, reload, command"}};
	static const struct want repeated[] = {{5, 3, "duplicate key 'method' (first at line 3)"},
					       {6, 1, "duplicate key 'name' (first at line 1)"}};
	static const struct want wrongtype[] = {
	    {2, 8, "start must be a list of shell commands, not a scalar"}};
	static const struct want badbool[] = {{4, 10,
					       "reject errno must be true or false, not "
					       "'maybe'"}};

	expect_fixture("badkey", badkey, ARRAY_SIZE(badkey));
	expect_fixture("repeated", repeated, ARRAY_SIZE(repeated));
	expect_fixture("wrongtype", wrongtype, ARRAY_SIZE(wrongtype));
	expect_fixture("badbool", badbool, ARRAY_SIZE(badbool));
}
END_TEST

START_TEST(test_all_at_once)
{
	static const struct want many[] = {
	    {2, 1, "unknown key 'colour' in sensor.yaml"},
	    {4, 22, "files dst 'lib/a.ko' is relative; expected an absolute guest path"},
	    {5, 23, "a start command must be a string, not a map"},
	    {7, 11, "bad deliver method 'pigeon'; expected one of: device, file, command"},
	    {8, 3, "unknown key 'speed' in deliver"},
	    {10, 10, "reject errno must be true or false, not quoted 'true'"},
	    {11, 16, "reject exit_status must be true or false, not a list"},
	    {12, 8, "reject log spans several lines; expected one line"},
	};
	_cleanup_free_ char *dir = testlib_fixture_path("sensor/many");
	_cleanup_free_ char *err = NULL;
	struct sensor *s = NULL;
	size_t lines = 1;

	expect_fixture("many", many, ARRAY_SIZE(many));
	/* the one-message form (the run's) carries every diag, one per line */
	ck_assert_int_eq(sensor_load(dir, &s, &err), -EINVAL);
	ck_assert_ptr_null(s);
	for (const char *p = err; (p = strchr(p, '\n')); p++)
		lines++;
	ck_assert_uint_eq(lines, ARRAY_SIZE(many));
	ck_assert_ptr_nonnull(strstr(err, "sensor/many/sensor.yaml:2:1: unknown key 'colour'"));
}
END_TEST

START_TEST(test_rules)
{
	static const struct want nodeliver[] = {
	    {1, 1, "missing deliver:; expected a map with method: device, file or command"}};
	static const struct want wrongname[] = {
	    {1, 7, "name 'other' is not the folder's; expected 'wrongname'"}};

	expect_fixture("nodeliver", nodeliver, ARRAY_SIZE(nodeliver));
	expect_fixture("wrongname", wrongname, ARRAY_SIZE(wrongname));
	expect_text("r", "name: r\ndeliver: {path: /dev/x}\n", 2, 10, "missing deliver method");
	expect_text("r", "name: r\ndeliver: {method: device}\n", 2, 10,
		    "deliver method device needs path:");
	expect_text("r", "name: r\ndeliver: {method: file, path: x}\n", 2, 31,
		    "deliver method file needs path:; expected an absolute guest path");
	expect_text("r", "name: r\ndeliver: {method: command, command: ''}\n", 2, 37,
		    "deliver method command needs command:");
	expect_text("r", "name: r\ndeliver: device\n", 2, 10, "deliver must be a map");
	expect_text("r", "name: r\ndeliver: {method: command, command: x}\nfiles: [{src: a}]\n", 3,
		    9, "files entry without dst");
	expect_text("r", "name: r\ndeliver: {method: command, command: x}\nstart: ['a\n\n  b']\n",
		    3, 9, "a start command spans several lines");
	expect_text("r", "name: [r]\ndeliver: {method: command, command: x}\n", 1, 7,
		    "name must be a string, not a list");
	expect_text("r", "", 1, 1, "empty sensor.yaml");
	expect_text("r", "- name: r\n", 1, 1, "a sensor.yaml must be a map");
	expect_text("r", "name: r\ndeliver: {method: command, command: x\n", 3, 1,
		    "YAML syntax error");
	expect_text("r", "name: \"r\\0\"\ndeliver: {method: command, command: x}\n", 1, 7,
		    "name contains a NUL character");
}
END_TEST

/* The image is staged on the host under each files dst: a '..' would write outside it. */
START_TEST(test_files_dst_dotdot)
{
	static const char *const head = "name: f\ndeliver: {method: file, path: /x}\n";
	static const struct bad_text bad[] = {
	    {"files: [{src: a, dst: /../../etc/cron.d/x}]\n", 3, 23,
	     "files dst '/../../etc/cron.d/x' has a '..' component; expected a guest path "
	     "without '..'"},
	    {"files: [{src: a, dst: /lib/..}]\n", 3, 23, "files dst '/lib/..' has a '..'"},
	    {"files: [{src: a, dst: /a/../../b}]\n", 3, 23, "has a '..' component"},
	};
	struct sensor *s;

	expect_bad_texts("f", head, bad, ARRAY_SIZE(bad));
	/* dots inside a name are fine */
	s = load_text("f", "name: f\ndeliver: {method: file, path: /x}\n"
			   "files: [{src: a, dst: /lib/..a/b..}, {src: a, dst: /x/.../y}]\n");
	ck_assert_uint_eq(s->n_files, 2);
	sensor_free(s);
}
END_TEST

START_TEST(test_missing)
{
	_cleanup_free_ char *dir = testlib_fixture_path("sensor/nonexistent");
	_cleanup_free_ char *path = xasprintf("%s/sensor.yaml", dir);
	_cleanup_free_ char *err = NULL;
	struct diags d = {0};
	struct sensor *s = NULL;

	ck_assert_int_eq(sensor_load_file(path, &d, &s), -ENOENT);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.v[0].file, path);
	ck_assert_uint_eq(d.v[0].line, 0);
	ck_assert_ptr_nonnull(strstr(d.v[0].message, "cannot read sensor.yaml"));
	diags_finish(&d);
	ck_assert_int_eq(sensor_load(dir, &s, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "cannot read sensor.yaml"));
	ck_assert_ptr_null(sensor_free(NULL));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sensor");
	TCase *tc = tcase_create("sensor");

	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_watch_probe);
	tcase_add_test(tc, test_coverage);
	tcase_add_test(tc, test_watch_probe_errors);
	tcase_add_test(tc, test_persist);
	tcase_add_test(tc, test_persist_errors);
	tcase_add_test(tc, test_shipped);
	tcase_add_test(tc, test_located);
	tcase_add_test(tc, test_all_at_once);
	tcase_add_test(tc, test_rules);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_files_dst_dotdot);
	tcase_add_test(tc, test_reject_errnos);
	tcase_add_test(tc, test_errno_names);
	tcase_add_test(tc, test_guest);
	tcase_add_test(tc, test_guest_system_disk);
	tcase_add_test(tc, test_new_key_errors);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_search_path);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
