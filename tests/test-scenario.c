/* test-scenario.c — the scenario loader: defaults, every field, expansion and dedup, and every
 * kind of error with its line and column, a sensor's too. Scenarios are written to a temporary
 * folder beside a small KSCU seed; sensors come from tests/data/scenario/sensors. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "mutate.h"
#include "scenario.h"
#include "testlib.h"
#include "util.h"

static const uint8_t seed[] = {
    0x4b, 0x53, 0x43, 0x55, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x16, 0x00,
    0x00, 0x00, 0xf5, 0x0e, 0x1c, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x02, 0x00, 0x61, 0x62, 0x02, 0x00, 0x04, 0x00, 0x07, 0x00, 0x00, 0x00,
};

static const struct scenario_opts opts = {
    .sensors_dirs = (const char *const[]){FAULTLINE_TEST_DATA "/scenario/sensors", NULL},
    .formats_dir = FAULTLINE_SOURCE_DIR "/guests/formats",
};

/* Every scenario is s.yaml beside seed.kscu in the suite's temporary folder. */
static char *write_scenario(const char *text, size_t len)
{
	free(testlib_write("seed.kscu", seed, sizeof(seed)));
	return testlib_write("s.yaml", text, len);
}

static struct scenario *load_ok(const char *text)
{
	_cleanup_free_ char *p = write_scenario(text, strlen(text));
	struct diags d = {0};
	struct scenario *s = NULL;
	int r = scenario_load(p, &opts, &d, &s);

	if (r < 0)
		ck_abort_msg("load failed: %s:%u:%u: %s", d.n ? d.v[0].file : "",
			     d.n ? d.v[0].line : 0, d.n ? d.v[0].column : 0,
			     d.n ? d.v[0].message : "?");
	ck_assert_uint_eq(d.n, 0);
	return s;
}

/* The first diag must be at line:col and contain needle. */
static void load_err_n(const char *text, size_t len, unsigned line, unsigned col,
		       const char *needle)
{
	_cleanup_free_ char *p = write_scenario(text, len);
	struct diags d = {0};
	struct scenario *s = NULL;

	ck_assert_int_lt(scenario_load(p, &opts, &d, &s), 0);
	ck_assert_ptr_null(s);
	ck_assert_uint_ge(d.n, 1);
	if (!strstr(d.v[0].message, needle))
		ck_abort_msg("'%s' not in '%s'", needle, d.v[0].message);
	if (d.v[0].line != line || d.v[0].column != col)
		ck_abort_msg("'%s' at %u:%u, expected %u:%u", d.v[0].message, d.v[0].line,
			     d.v[0].column, line, col);
	ck_assert_str_eq(d.v[0].file, p);
	diags_finish(&d);
}

static void load_err(const char *text, unsigned line, unsigned col, const char *needle)
{
	load_err_n(text, strlen(text), line, col, needle);
}

#define HEAD "sensors: [alpha, beta]\n"
#define CASE "cases:\n  - {name: c, content: seed.kscu}\n"

START_TEST(test_defaults)
{
	struct scenario *s = load_ok(HEAD CASE);
	const struct scenario_fleet *f = scenario_fleet(s);
	const struct scenario_timeouts *t = scenario_timeouts(s);

	ck_assert_str_eq(scenario_name(s), "s");
	ck_assert_uint_eq(scenario_seed(s), 1);
	ck_assert_uint_eq(f->size, 0);
	ck_assert_uint_eq(f->memory_mib, 256);
	ck_assert_str_eq(f->accel, "auto");
	ck_assert_str_eq(f->isolation, "snapshot");
	ck_assert_ptr_null(f->uris[0]);
	ck_assert_uint_eq(t->boot_ms, 90000);
	ck_assert_uint_eq(t->observe_ms, 2000);
	ck_assert_uint_eq(t->hang_ms, 15000);
	ck_assert_uint_eq(t->case_ms, 60000);
	ck_assert_uint_eq(scenario_n_sensors(s), 2);
	ck_assert_str_eq(scenario_sensor(s, 1), "beta");
	ck_assert_str_eq(scenario_sensor_dir(s, 0), FAULTLINE_TEST_DATA "/scenario/sensors/alpha");
	/* no format: given, both sensors read kscu */
	ck_assert_str_eq(scenario_format_path(s), FAULTLINE_SOURCE_DIR "/guests/formats/kscu.yaml");
	scenario_free(s);
}
END_TEST

/* fleet.hosts: URIs with their slots, in order; located errors for what is wrong. */
START_TEST(test_hosts)
{
	struct scenario *s = load_ok("fleet:\n  hosts:\n    - {uri: local, slots: 2}\n"
				     "    - {uri: 'qemu+ssh://lab1/system'}\n" HEAD CASE);
	const struct scenario_fleet *f = scenario_fleet(s);

	ck_assert_str_eq(f->uris[0], "local");
	ck_assert_str_eq(f->uris[1], "qemu+ssh://lab1/system");
	ck_assert_ptr_null(f->uris[2]);
	ck_assert_uint_eq(f->slots[0], 2);
	ck_assert_uint_eq(f->slots[1], 0); /* its CPU count, when the fleet connects it */
	scenario_free(s);

	load_err("fleet: {hosts: [{slots: 2}]}\n" HEAD CASE, 1, 17, "a host needs uri:");
	load_err("fleet: {hosts: [{uri: a, slots: 0}]}\n" HEAD CASE, 1, 33, "host slots");
	load_err("fleet: {hosts: [{uri: a}, {uri: a}]}\n" HEAD CASE, 1, 33, "listed twice");
	load_err("fleet: {hosts: [{uri: a, cores: 2}]}\n" HEAD CASE, 1, 26, "cores");
	load_err("fleet: {hosts: []}\n" HEAD CASE, 1, 16, "hosts is empty");
	load_err("fleet: {hosts: a}\n" HEAD CASE, 1, 16, "hosts must be a list");
	load_err("fleet: {uri: a, hosts: [{uri: b}]}\n" HEAD CASE, 1, 24, "hosts: alone");
}
END_TEST

START_TEST(test_everything)
{
	struct scenario *s =
	    load_ok("name: full\nseed: 0xdeadbeef\nformat: kscu\n"
		    "fleet: {size: 3, uris: ['qemu:///embed?root=/a', 'qemu+ssh://h/system'],"
		    " memory: 512, accel: tcg, isolation: reuse}\n"
		    "timeouts: {boot: 2m, observe: 500ms, hang: 1.5, case: 30s}\n" HEAD "cases:\n"
		    "  - name: valid\n    content: seed.kscu\n    expect: accepted\n"
		    "  - name: short\n    content: seed.kscu\n"
		    "    mutations: [{op: drop, at: 'instances[0].fields[last]'}]\n"
		    "    expect: {alpha: crash, beta: rejected}\n"
		    "  - name: flips\n    content: seed.kscu\n"
		    "    mutations: [{op: bitflip, offset: 40, count: 50}]\n"
		    "    expect: crash\n");
	const struct scenario_fleet *f = scenario_fleet(s);
	struct diags d = {0};
	struct scenario_case *c = NULL;
	size_t n = 0, dups = 0;

	ck_assert_str_eq(scenario_name(s), "full");
	ck_assert_uint_eq(scenario_seed(s), 0xdeadbeef);
	ck_assert_uint_eq(f->size, 3);
	ck_assert_str_eq(f->uris[1], "qemu+ssh://h/system");
	ck_assert_ptr_null(f->uris[2]);
	ck_assert_uint_eq(f->memory_mib, 512);
	ck_assert_str_eq(f->accel, "tcg");
	ck_assert_str_eq(f->isolation, "reuse");
	ck_assert_uint_eq(scenario_timeouts(s)->boot_ms, 120000);
	ck_assert_uint_eq(scenario_timeouts(s)->observe_ms, 500);
	ck_assert_uint_eq(scenario_timeouts(s)->hang_ms, 1500);
	ck_assert_uint_eq(scenario_timeouts(s)->case_ms, 30000);
	ck_assert_uint_eq(scenario_n_cases(s), 3);

	ck_assert_int_eq(scenario_expand_full(s, &d, &c, &n, &dups), 0);
	/* flips of one byte: 8 distinct inputs at most, one of them (bit 1: 0x02 -> 0x00?) may
	 * not collide with the seed; 50 variants in all */
	ck_assert_uint_eq(n + dups, 52);
	ck_assert_uint_le(n, 2 + 8);
	ck_assert_str_eq(c[0].id, "valid");
	ck_assert_str_eq(c[0].mutations_json, "[]");
	ck_assert_uint_eq(c[0].size, sizeof(seed));
	ck_assert_mem_eq(c[0].data, seed, sizeof(seed));
	ck_assert_str_eq(scenario_case_expect(&c[0], "alpha"), "accepted");
	ck_assert_str_eq(c[1].id, "short");
	ck_assert_str_eq(c[1].mutations_json,
			 "[{\"op\":\"drop\",\"at\":\"instances[0].fields[last]\"}]");
	ck_assert_uint_eq(c[1].size, sizeof(seed) - 8);
	ck_assert_str_eq(scenario_case_expect(&c[1], "alpha"), "crash");
	ck_assert_str_eq(scenario_case_expect(&c[1], "beta"), "rejected");
	ck_assert_ptr_null(scenario_case_expect(&c[1], "gamma"));
	ck_assert_str_eq(c[2].id, "flips-0000");
	ck_assert_str_eq(c[2].name, "flips");
	ck_assert(startswith(c[2].mutations_json, "[{\"op\":\"bitflip\",\"offset\":40,\"bit\":"));
	ck_assert(startswith(c[2].seed_file, testlib_tmpdir()));
	ck_assert_uint_eq(c[2].seed, c[3].seed);
	for (size_t i = 3; i < n; i++)
		ck_assert(startswith(c[i].id, "flips-00"));

	/* every case replays from its record alone */
	for (size_t i = 0; i < n; i++) {
		uint8_t *b = NULL;
		size_t bn = 0;
		char *err = NULL;

		ck_assert_str_eq(c[i].format_file,
				 FAULTLINE_SOURCE_DIR "/guests/formats/kscu.yaml");
		if (mutate_replay(c[i].mutations_json, c[i].format_file, c[i].seed_file, &b, &bn,
				  &err) < 0)
			ck_abort_msg("replay of %s: %s", c[i].id, err);
		ck_assert_uint_eq(bn, c[i].size);
		ck_assert_mem_eq(b, c[i].data, bn);
		free(b);
	}

	/* determinism: a second expansion is identical */
	{
		struct scenario_case *c2 = NULL;
		size_t n2 = 0;

		ck_assert_int_eq(scenario_expand(s, &d, &c2, &n2), 0);
		ck_assert_uint_eq(n2, n);
		for (size_t i = 0; i < n; i++) {
			ck_assert_str_eq(c2[i].id, c[i].id);
			ck_assert_str_eq(c2[i].mutations_json, c[i].mutations_json);
			ck_assert_mem_eq(c2[i].data, c[i].data, c[i].size);
		}
		scenario_cases_free(c2, n2);
	}
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		ck_assert_int_eq(scenario_describe_cases(s, c, n, m), 0);
		fclose(m);
		ck_assert(startswith(buf, "valid "));
		ck_assert_ptr_nonnull(strstr(buf, "alpha=crash beta=rejected"));
		free(buf);
	}
	scenario_cases_free(c, n);
	scenario_free(s);
}
END_TEST

/* sensors: entries as paths relative to the scenario (a folder, or its sensor.yaml) beside a
 * name from the search path; the scenario's guest: section. */
START_TEST(test_sensor_paths_and_guest)
{
	_cleanup_free_ char *v = testlib_write_text(
	    "vendor/vsens/sensor.yaml",
	    "name: vsens\nformat: kscu\ndeliver: {method: device, path: /dev/v}\n"
	    "guest: {cmdline: loglevel=8, modules: [libcrc32c]}\n");
	_cleanup_free_ char *vdir = xasprintf("%s/vendor/vsens", testlib_tmpdir());
	_cleanup_free_ char *vdir2 = xasprintf("%s/./vendor/vsens", testlib_tmpdir());
	struct scenario *s = load_ok("sensors: [alpha, vendor/vsens]\n"
				     "guest: {cmdline: quiet, debug: [slub], modules: [xfs]}\n"
				     "cases:\n  - {name: c, content: seed.kscu}\n");
	const struct sensor_guest *g = scenario_guest(s);

	ck_assert_uint_eq(scenario_n_sensors(s), 2);
	ck_assert_str_eq(scenario_sensor(s, 0), "alpha");
	ck_assert_str_eq(scenario_sensor_dir(s, 0), FAULTLINE_TEST_DATA "/scenario/sensors/alpha");
	ck_assert_str_eq(scenario_sensor(s, 1), "vsens"); /* the name its sensor.yaml gives */
	ck_assert_str_eq(scenario_sensor_dir(s, 1), vdir);
	ck_assert_str_eq(g->cmdline, "quiet slub_debug=FZPU");
	ck_assert_str_eq(g->modules[0], "xfs");
	ck_assert_ptr_null(g->modules[1]);
	scenario_free(s);

	/* a sensor.yaml named directly stands for its folder */
	s = load_ok("sensors: [./vendor/vsens/sensor.yaml]\n"
		    "cases:\n  - {name: c, content: seed.kscu}\n");
	ck_assert_str_eq(scenario_sensor(s, 0), "vsens");
	ck_assert_str_eq(scenario_sensor_dir(s, 0), vdir2);
	ck_assert_ptr_null(scenario_guest(s)->cmdline);
	scenario_free(s);

	/* a format named by path in a sensor.yaml is relative to the sensor's folder */
	{
		size_t size;
		_cleanup_free_ uint8_t *fmt = NULL;
		_cleanup_free_ char *fp = NULL, *sp = NULL;

		ck_assert_int_eq(read_file(FAULTLINE_SOURCE_DIR "/guests/formats/kscu.yaml",
					   1 << 20, &fmt, &size),
				 0);
		fp = testlib_write("vfmt/kscu-copy.yaml", fmt, size);
		sp = testlib_write_text("vendor/vfs/sensor.yaml",
					"name: vfs\nformat: ../../vfmt/kscu-copy.yaml\n"
					"deliver: {method: device, path: /dev/v}\n");
		s = load_ok("sensors: [vendor/vfs]\ncases:\n  - {name: c, content: seed.kscu}\n");
		ck_assert_ptr_nonnull(strstr(scenario_format_path(s), "/vfmt/kscu-copy.yaml"));
		scenario_free(s);
	}

	load_err("sensors: [vendor/vsens, ./vendor/vsens]\n" CASE, 1, 25,
		 "sensor 'vsens' listed twice");
	load_err("sensors: [vendor/none]\n" CASE, 1, 11, "no sensor at 'vendor/none': ");
	load_err("sensors: [alpha]\nguest: {cmdline: panic=0}\n" CASE, 2, 18,
		 "guest cmdline option 'panic' is faultline's own");
	load_err("sensors: [alpha]\nguest: {modules: [a/b]}\n" CASE, 2, 19,
		 "bad kernel module name 'a/b'");
	(void)v;
}
END_TEST

START_TEST(test_errors)
{
	load_err("", 1, 1, "empty file");
	load_err_n("a: \xc3\x28\n", 6, 1, 5, "UTF-8");
	load_err("sensors: [alpha\n", 2, 1, "YAML syntax error");
	load_err("x: &a [1]\ny: *a\n", 2, 4, "aliases");
	load_err("- 1\n", 1, 1, "a scenario must be a map");
	load_err(HEAD CASE "colour: red\n", 4, 1, "unknown key 'colour' in the scenario");
	load_err(CASE, 1, 1, "missing sensors:");
	load_err(HEAD, 1, 1, "missing cases:");
	load_err(HEAD "cases: []\n", 2, 8, "cases is empty");
	load_err("sensors: [alpha, gamma]\n" CASE, 1, 18, "unknown sensor 'gamma'");
	load_err("sensors: [alpha, alpha]\n" CASE, 1, 18, "sensor 'alpha' listed twice");
	load_err("sensors: [../etc]\n" CASE, 1, 11, "no sensor at '../etc'");
	load_err("sensors: [.hidden]\n" CASE, 1, 11, "bad sensor name");
	load_err("sensors: alpha\n" CASE, 1, 10, "sensors must be a list");
	load_err(HEAD CASE "sensors: [beta]\n", 4, 1, "duplicate key 'sensors' (first at line 1)");
	load_err(HEAD CASE "seed: -1\n", 4, 7, "seed must be a whole number");
	load_err(HEAD CASE "seed: 18446744073709551616\n", 4, 7, "out of range");
	load_err(HEAD CASE "fleet: [1]\n", 4, 8, "fleet must be a map");
	load_err(HEAD CASE "fleet: {size: lots}\n", 4, 15, "fleet size must be a whole number");
	load_err(HEAD CASE "fleet: {memory: 8}\n", 4, 17, "out of range; expected 64 to");
	load_err(HEAD CASE "fleet: {accel: hvf}\n", 4, 16,
		 "bad accel 'hvf'; expected one of: auto, tcg, kvm");
	load_err(HEAD CASE "fleet: {isolation: vm}\n", 4, 20, "bad isolation 'vm'");
	load_err(HEAD CASE "fleet: {uri: a, uris: [b]}\n", 4, 23, "give uri: or uris:, not both");
	load_err(HEAD CASE "fleet: {cores: 2}\n", 4, 9, "unknown key 'cores' in fleet");
	load_err(HEAD CASE "timeouts: {boot: 10 parsecs}\n", 4, 18, "bad timeout boot");
	load_err(HEAD CASE "timeouts: {hang: 0}\n", 4, 18,
		 "timeout hang '0' is out of range; expected more than 0");
	load_err(HEAD CASE "timeouts: {case: 48h}\n", 4, 18,
		 "timeout case '48h' is out of range; expected more than 0 and at most 24 h");
	load_err(HEAD CASE "format: nosuch\n", 4, 9, "unknown format 'nosuch'");
	load_err(HEAD "cases:\n  - {name: c}\n", 3, 5, "case without content:");
	load_err(HEAD "cases:\n  - {content: seed.kscu}\n", 3, 5, "case without a name");
	load_err(HEAD "cases:\n  - {name: c, content: missing.kscu}\n", 3, 24,
		 "cannot read content");
	load_err(HEAD
		 "cases:\n  - {name: c, content: seed.kscu}\n  - {name: c, content: seed.kscu}\n",
		 4, 12, "duplicate case name 'c' (first at line 3)");
	load_err(HEAD "cases:\n  - {name: c, content: seed.kscu, expect: exploded}\n", 3, 43,
		 "bad expected verdict 'exploded'");
	load_err(HEAD "cases:\n  - {name: c, content: seed.kscu, expect: {gamma: crash}}\n", 3, 44,
		 "expect names sensor 'gamma', which is not in sensors:");
	load_err(HEAD "cases:\n  - {name: c, content: seed.kscu, mutations: {op: drop}}\n", 3, 46,
		 "mutations must be a list");
	load_err(HEAD "cases:\n  - {name: c, content: seed.kscu, mutations: [{op: melt}]}\n", 3, 52,
		 "bad op 'melt'");
	load_err(HEAD "cases:\n  - name: c\n    content: seed.kscu\n    mutations:\n"
		      "      - {op: set, at: 'instances[3].inst_len', value: 0}\n",
		 6, 9, "index out of range (1 elements)");
	load_err(HEAD "cases:\n  - {name: c, content: seed.kscu, colour: red}\n", 3, 35,
		 "unknown key 'colour' in a case");
}
END_TEST

/* persistence:, boot_loop: and recovery:, at the top and per case */
START_TEST(test_persistence)
{
	struct scenario *s = load_ok(
	    "sensors: [alpha]\n"
	    "persistence: on\nboot_loop: {reboots: 4}\nrecovery: counter\ncases:\n"
	    "  - {name: a, content: seed.kscu}\n"
	    "  - {name: b, content: seed.kscu, persistence: off}\n"
	    "  - {name: c, content: seed.kscu, recovery: {mechanism: remediation, "
	    "action: delete, after: 2}}\n"
	    "  - {name: d, content: seed.kscu, recovery: manual}\n"
	    "  - {name: e, content: seed.kscu, recovery: {mechanism: counter, boots: 5}}\n");
	struct scenario_case *c;
	size_t n;

	ck_assert(scenario_persists(s));
	ck_assert_int_eq(scenario_expand(s, NULL, &c, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert(c[0].persist.on);
	ck_assert_uint_eq(c[0].persist.reboots, 4);
	ck_assert_int_eq(c[0].persist.recovery, SCENARIO_RECOVERY_COUNTER);
	ck_assert_uint_eq(c[0].persist.counter_boots, 2);
	ck_assert(!c[1].persist.on);
	ck_assert_int_eq(c[2].persist.recovery, SCENARIO_RECOVERY_REMEDIATION);
	ck_assert_int_eq(c[2].persist.remedy, SCENARIO_REMEDY_DELETE);
	ck_assert_uint_eq(c[2].persist.after, 2);
	ck_assert_int_eq(c[3].persist.recovery, SCENARIO_RECOVERY_MANUAL);
	ck_assert_uint_eq(c[3].persist.after, 2); /* a person sees it crash again first */
	ck_assert_uint_eq(c[4].persist.counter_boots, 5);
	ck_assert_str_eq(scenario_recovery_name(c[4].persist.recovery), "counter");
	scenario_cases_free(c, n);
	scenario_free(s);

	s = load_ok(HEAD CASE);
	ck_assert(!scenario_persists(s));
	scenario_free(s);

	load_err("sensors: [alpha, beta]\npersistence: on\n" CASE, 1, 18,
		 "sensor 'beta' keeps no content across reboots");
	load_err(HEAD CASE "persistence: maybe\n", 4, 14,
		 "persistence must be true or false, not 'maybe'");
	load_err(HEAD CASE "boot_loop: {reboots: 0}\n", 4, 22, "out of range; expected 1 to 20");
	load_err(HEAD CASE "boot_loop: {loops: 2}\n", 4, 13, "unknown key 'loops' in boot_loop");
	load_err(HEAD CASE "persistence: on\nrecovery: prayer\n", 5, 11,
		 "bad recovery mechanism 'prayer'; expected one of: none, counter");
	load_err(HEAD CASE "recovery: counter\n", 4, 11, "recovery: needs persistence: on");
	load_err(HEAD CASE "persistence: on\nrecovery: {boots: 2}\n", 5, 11,
		 "recovery without mechanism:");
	load_err(HEAD CASE "persistence: on\nrecovery: {mechanism: remediation, action: pray}\n", 5,
		 44, "bad remediation action 'pray'; expected one of: rollback, delete");
}
END_TEST

START_TEST(test_all_errors_at_once)
{
	static const char text[] = "sensors: [alpha, gamma]\nfleet: {accel: hvf}\n"
				   "cases:\n  - {name: c}\n  - {content: seed.kscu}\n";
	_cleanup_free_ char *p = write_scenario(text, strlen(text));
	struct diags d = {0};
	struct scenario *s = NULL;

	ck_assert_int_eq(scenario_load(p, &opts, &d, &s), -EINVAL);
	ck_assert_uint_eq(d.n, 4);
	ck_assert_uint_eq(d.v[0].line, 2); /* fleet is read before sensors */
	ck_assert_uint_eq(d.v[1].line, 1);
	ck_assert_uint_eq(d.v[2].line, 4);
	ck_assert_uint_eq(d.v[3].line, 5);
	diags_finish(&d);
}
END_TEST

/* A sensor.yaml with errors: the scenario says which sensor, then lists the sensor's own
 * errors at their place in its file. */
START_TEST(test_sensor_errors)
{
	static const char text[] = "sensors: [alpha, broken]\n" CASE;
	_cleanup_free_ char *p = write_scenario(text, strlen(text));
	_cleanup_free_ char *yaml = testlib_fixture_path("scenario/sensors/broken/sensor.yaml");
	struct diags d = {0};
	struct scenario *s = NULL;

	ck_assert_int_eq(scenario_load(p, &opts, &d, &s), -EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(d.n, 3);
	ck_assert_str_eq(d.v[0].file, p);
	ck_assert_uint_eq(d.v[0].line, 1);
	ck_assert_uint_eq(d.v[0].column, 18);
	ck_assert_ptr_nonnull(strstr(d.v[0].message, "sensor 'broken' ("));
	ck_assert_ptr_nonnull(strstr(d.v[0].message, ") has errors, listed below"));
	ck_assert_str_eq(d.v[1].file, yaml);
	ck_assert_uint_eq(d.v[1].line, 3);
	ck_assert_uint_eq(d.v[1].column, 19);
	ck_assert_ptr_nonnull(strstr(d.v[1].message, "bad deliver method 'pigeon'"));
	ck_assert_str_eq(d.v[2].file, yaml);
	ck_assert_uint_eq(d.v[2].line, 4);
	ck_assert_uint_eq(d.v[2].column, 17);
	ck_assert_ptr_nonnull(strstr(d.v[2].message, "reject errno must be true or false"));
	diags_finish(&d);
}
END_TEST

START_TEST(test_unreadable)
{
	struct diags d = {0};
	struct scenario *s = NULL;

	ck_assert_int_eq(scenario_load("/nonexistent/x.yaml", &opts, &d, &s), -ENOENT);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(d.v[0].line, 0);
	ck_assert_str_eq(d.v[0].message, "cannot read scenario: No such file or directory");
	diags_finish(&d);
}
END_TEST

/* Every input of every shipped scenario regenerates from its recorded mutation list. */
START_TEST(test_shipped_replay)
{
	static const char *const files[] = {"quickstart.yaml", "field-count.yaml",
					    "blind-sweep.yaml"};
	static const char *const shipped[] = {FAULTLINE_SOURCE_DIR "/guests/sensors", NULL};
	static const struct scenario_opts real = {
	    .sensors_dirs = shipped,
	    .formats_dir = FAULTLINE_SOURCE_DIR "/guests/formats",
	};

	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		_cleanup_free_ char *p =
		    xasprintf("%s/scenarios/%s", FAULTLINE_SOURCE_DIR, files[f]);
		struct diags d = {0};
		struct scenario *s = NULL;
		struct scenario_case *c = NULL;
		size_t n = 0;

		if (scenario_load(p, &real, &d, &s) < 0)
			ck_abort_msg("%s: %s", p, d.n ? d.v[0].message : "?");
		ck_assert_int_eq(scenario_expand(s, &d, &c, &n), 0);
		ck_assert_uint_gt(n, 0);
		for (size_t i = 0; i < n; i++) {
			uint8_t *b = NULL;
			size_t bn = 0;
			char *err = NULL;

			if (mutate_replay(c[i].mutations_json, c[i].format_file, c[i].seed_file, &b,
					  &bn, &err) < 0)
				ck_abort_msg("replay of %s: %s", c[i].id, err);
			ck_assert_uint_eq(bn, c[i].size);
			ck_assert_mem_eq(b, c[i].data, bn);
			free(b);
		}
		scenario_cases_free(c, n);
		scenario_free(s);
	}
}
END_TEST

/* The loader's input budget: the shipped soak scenario (about 10,500 inputs) loads with the
 * engine's own limit and is refused, at the case that crosses it, under a budget of 1000. */
START_TEST(test_input_budget)
{
	_cleanup_free_ char *p = xasprintf("%s/scenarios/soak-hardened.yaml", FAULTLINE_SOURCE_DIR);
	struct scenario_opts o = {
	    .sensors_dirs = (const char *const[]){FAULTLINE_SOURCE_DIR "/guests/sensors", NULL},
	    .formats_dir = FAULTLINE_SOURCE_DIR "/guests/formats",
	};
	struct diags d = {0};
	struct scenario *s = NULL;

	ck_assert_int_eq(scenario_load(p, &o, &d, &s), 0);
	s = scenario_free(s);
	o.max_inputs = 1000;
	ck_assert_int_eq(scenario_load(p, &o, &d, &s), -EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_ptr_nonnull(strstr(d.v[0].message, "more than the 1000 this loader allows"));
	ck_assert_uint_gt(d.v[0].line, 1);
	diags_finish(&d);
}
END_TEST

/* Inputs past what the guest agent accepts, or more bytes in all than a run should hold: errors
 * at the case's mutations, found before the bytes are generated. */
START_TEST(test_bytes_budget)
{
	_cleanup_free_ char *many = xstrdup(HEAD "cases:\n");
	uint64_t t0 = now_ms();

	/* 30 random inputs of 10 MB: 300 MB, refused without drawing a byte */
	load_err(HEAD "cases:\n  - name: c\n    content: seed.kscu\n"
		      "    mutations: [{op: extend, size: 10000000, fill: random, count: 30}]\n",
		 5, 16, "the cases so far expand to more than 256 MiB of inputs (this one: 30 of");
	ck_assert_uint_lt(now_ms() - t0, 5000);
	/* one input of 17 MB */
	load_err(
	    HEAD "cases:\n  - name: c\n    content: seed.kscu\n"
		 "    mutations: [{op: extend, size: 17000000}]\n",
	    5, 16,
	    "case 'c' makes inputs of at least 17000054 bytes, more than the 16777216 the guest "
	    "agent accepts");
	/* shrinking first: the size is known only once made */
	load_err(HEAD "cases:\n  - name: c\n    content: seed.kscu\n"
		      "    mutations: [{op: truncate, size: 4}, {op: extend, size: 16777216}]\n",
		 5, 16, "case 'c' makes an input of 16777220 bytes, more than the 16777216");
	/* 10 MB cases, each alone fine: the 27th crosses 256 MiB */
	for (int i = 0; i < 27; i++) {
		char *more = xasprintf("%s  - name: c%d\n    content: seed.kscu\n"
				       "    mutations: [{op: extend, size: %d}]\n",
				       many, i, 10000000 + i);
		free(many);
		many = more;
	}
	load_err(many, 2 + 26 * 3 + 3, 16,
		 "the cases so far expand to more than 256 MiB of inputs (this one: 1 of");
}
END_TEST

/* matrix: every sensor once per kernel, in sensor then kernel order, each cell keeping its
 * sensor's folder and expectations; arm64 cells are SENSOR@KERNEL@arm64. */
START_TEST(test_matrix)
{
	struct scenario *s = load_ok(HEAD "matrix: {kernel: [debian-11, 6.12.117+deb13-amd64], "
					  "arch: [amd64]}\n"
					  "cases:\n  - {name: c, content: seed.kscu, expect: "
					  "{beta: crash}}\n");
	static const char *const names[] = {"alpha@debian-11", "alpha@6.12.117+deb13-amd64",
					    "beta@debian-11", "beta@6.12.117+deb13-amd64"};
	struct scenario_case *cases = NULL;
	struct diags d = {0};
	size_t n = 0;

	ck_assert_uint_eq(scenario_n_sensors(s), 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(scenario_sensor(s, i), names[i]);
	ck_assert_str_eq(scenario_sensor_kernel(s, 0), "debian-11");
	ck_assert_str_eq(scenario_sensor_kernel(s, 3), "6.12.117+deb13-amd64");
	ck_assert_str_eq(scenario_sensor_dir(s, 3), FAULTLINE_TEST_DATA "/scenario/sensors/beta");
	ck_assert_int_eq(scenario_expand(s, &d, &cases, &n), 0);
	ck_assert_ptr_null(scenario_case_expect(&cases[0], scenario_sensor(s, 1)));
	ck_assert_str_eq(scenario_case_expect(&cases[0], scenario_sensor(s, 2)), "crash");
	ck_assert(scenario_sensor_is("beta@debian-11", "beta"));
	ck_assert(!scenario_sensor_is("betamax@debian-11", "beta"));
	ck_assert(scenario_sensor_is("beta", "beta"));
	scenario_cases_free(cases, n);
	scenario_free(s);

	s = load_ok(HEAD CASE);
	ck_assert_ptr_null(scenario_sensor_kernel(s, 0));
	scenario_free(s);

	s = load_ok(HEAD "matrix: {kernel: [debian-12], arch: [amd64, arm64]}\n" CASE);
	ck_assert_uint_eq(scenario_n_sensors(s), 4);
	ck_assert_str_eq(scenario_sensor(s, 0), "alpha@debian-12");
	ck_assert_str_eq(scenario_sensor_arch(s, 0), "amd64");
	ck_assert_str_eq(scenario_sensor(s, 1), "alpha@debian-12@arm64");
	ck_assert_str_eq(scenario_sensor_arch(s, 1), "arm64");
	ck_assert_str_eq(scenario_sensor_kernel(s, 1), "debian-12");
	ck_assert(scenario_sensor_is(scenario_sensor(s, 3), "beta"));
	scenario_free(s);
	s = load_ok(HEAD CASE);
	ck_assert_str_eq(scenario_sensor_arch(s, 0), "amd64");
	scenario_free(s);

	load_err(HEAD "matrix: {kernel: [debian-12], arch: [riscv64]}\n" CASE, 2, 38,
		 "unknown matrix arch 'riscv64'; expected amd64 or arm64");
	load_err(HEAD "matrix: {kernel: [debian-12], arch: [arm64, arm64]}\n" CASE, 2, 45,
		 "matrix arch 'arm64' listed twice");
	load_err(HEAD "matrix: {arch: [arm64]}\n" CASE, 2, 9, "arch: needs kernel:");
	load_err(HEAD "matrix: {kernel: [debian-12, debian-12]}\n" CASE, 2, 30, "listed twice");
	load_err(HEAD "matrix: {kernel: [/srv/k]}\n" CASE, 2, 19, "bad matrix kernel '/srv/k'");
	load_err(HEAD "matrix: {kernels: [debian-12]}\n" CASE, 2, 10, "unknown key 'kernels'");
	load_err(HEAD "matrix: {kernel: []}\n" CASE, 2, 18, "matrix kernel");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("scenario");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_everything);
	tcase_add_test(tc, test_hosts);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_persistence);
	tcase_add_test(tc, test_all_errors_at_once);
	tcase_add_test(tc, test_sensor_errors);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_shipped_replay);
	tcase_add_test(tc, test_input_budget);
	tcase_add_test(tc, test_bytes_budget);
	tcase_add_test(tc, test_sensor_paths_and_guest);
	tcase_add_test(tc, test_matrix);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
