/* test-rollout.c — staged rollouts without a guest: the profiles: and rollout: sections of a
 * scenario (every bad input a located error), ring sizing, the seeded fleet draw, gate
 * arithmetic, the workload's jitter and its script. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "plan.h"
#include "rollout.h"
#include "rollspec.h"
#include "scenario.h"
#include "testlib.h"
#include "util.h"
#include "verdict.h"

static const struct scenario_opts opts = {
    .sensors_dirs = (const char *const[]){FAULTLINE_TEST_DATA "/scenario/sensors", NULL},
    .formats_dir = FAULTLINE_SOURCE_DIR "/guests/formats",
};

/* the case's content: the shipped seed, by absolute path */
#define HEAD                                                                                       \
	"sensors: [alpha, beta]\ncases:\n  - {name: c, content: " FAULTLINE_SOURCE_DIR             \
	"/scenarios/content/basic.kscu}\n"
#define PROFILES                                                                                   \
	"profiles:\n"                                                                              \
	"  - {name: office, weight: 60, workload: [{exec: outlook, at: 1s, jitter: 2s}]}\n"        \
	"  - {name: build, weight: 30, sensor: beta, memory: 512,\n"                               \
	"     workload: [{exec: kstrigger, at: 500ms, repeat: 3, every: 1s}]}\n"                   \
	"  - {name: kiosk, weight: 10, cmdline: quiet, workload: [{open: /tmp/p}]}\n"
#define ROLLOUT                                                                                    \
	"rollout:\n"                                                                               \
	"  fleet: 500\n"                                                                           \
	"  rings:\n"                                                                               \
	"    - {name: canary, size: 1%, bake: 30s, gate: {max_down: 0}}\n"                         \
	"    - {name: early, size: 10%, bake: 60s, gate: {max_down: 1%, down: [crash, "            \
	"sensor-died]}}\n"                                                                         \
	"    - {name: broad, size: rest}\n"                                                        \
	"  on_gate_failure: rollback\n"                                                            \
	"  variants:\n"                                                                            \
	"    - {name: one-vendor, sensor: alpha}\n"                                                \
	"    - {name: swap, sensors: {office: beta}}\n"

static struct scenario *load(const char *text, struct diags *d)
{
	_cleanup_free_ char *p = NULL;
	struct scenario *s = NULL;

	p = testlib_write_text("s.yaml", text);
	scenario_load(p, &opts, d, &s);
	return s;
}

static void load_err(const char *text, unsigned line, unsigned col, const char *needle)
{
	struct diags d = {0};
	struct scenario *s = load(text, &d);
	const struct diag *first = d.n ? &d.v[0] : &(struct diag){.message = ""};

	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(first->message, needle) && first->line == line && first->column == col,
		      "first of %zu diags '%s' at %u:%u; expected '%s' at %u:%u", d.n,
		      first->message, first->line, first->column, needle, line, col);
	diags_finish(&d);
}

/* kernel: and arch: in a profile: the profile runs on its sensor's cell for that kernel and arch
 * (a sensor of the scenario of its own, named as a matrix's cells are); profiles that name the
 * same combination share the cell. */
START_TEST(test_profile_kernel_arch)
{
	struct diags d = {0};
	struct scenario *s = load(
	    HEAD "profiles:\n"
		 "  - {name: office, weight: 6}\n"
		 "  - {name: old, weight: 2, kernel: debian-11}\n"
		 "  - {name: graviton, weight: 1, sensor: beta, kernel: debian-12, arch: arm64}\n"
		 "  - {name: graviton2, weight: 1, sensor: beta, kernel: debian-12, arch: arm64}\n"
		 "rollout: {fleet: 10, rings: [{name: all, size: rest}]}\n",
	    &d);
	const struct rollspec *r;

	if (!s)
		ck_abort_msg("%u:%u: %s", d.v[0].line, d.v[0].column, d.v[0].message);
	r = scenario_rollout(s);
	ck_assert_uint_eq(scenario_n_sensors(s), 4);
	ck_assert_uint_eq(r->profiles[0].sensor, 0);
	ck_assert_ptr_null(scenario_sensor_kernel(s, 0));
	ck_assert_str_eq(scenario_sensor_arch(s, 0), "amd64");
	ck_assert_str_eq(scenario_sensor(s, r->profiles[1].sensor), "alpha@debian-11");
	ck_assert_str_eq(scenario_sensor_kernel(s, r->profiles[1].sensor), "debian-11");
	ck_assert_str_eq(scenario_sensor_arch(s, r->profiles[1].sensor), "amd64");
	ck_assert_str_eq(scenario_sensor(s, r->profiles[2].sensor), "beta@debian-12@arm64");
	ck_assert_str_eq(scenario_sensor_arch(s, r->profiles[2].sensor), "arm64");
	ck_assert_uint_eq(r->profiles[3].sensor, r->profiles[2].sensor);
	ck_assert(scenario_sensor_is(scenario_sensor(s, 3), "beta"));
	scenario_free(s);

	load_err(HEAD "profiles:\n  - {name: x, weight: 1, arch: arm64}\n"
		      "rollout: {fleet: 4, rings: [{name: all, size: rest}]}\n",
		 5, 32, "profile arch arm64 needs kernel:");
	load_err(HEAD "profiles:\n  - {name: x, weight: 1, kernel: debian-12, arch: s390x}\n"
		      "rollout: {fleet: 4, rings: [{name: all, size: rest}]}\n",
		 5, 51, "unknown profile arch 's390x'");
	load_err(HEAD "profiles:\n  - {name: x, weight: 1, kernel: ../k}\n"
		      "rollout: {fleet: 4, rings: [{name: all, size: rest}]}\n",
		 5, 34, "bad profile kernel '../k'");
	load_err(HEAD "profiles:\n  - {name: x, weight: 1, kernel: debian-12}\n"
		      "rollout: {fleet: 4, rings: [{name: all, size: rest}],\n"
		      "  variants: [{name: v, sensor: beta}]}\n",
		 6, 10, "profiles with kernel: or system: and rollout: variants:");
}
END_TEST

/* system: in a profile: the profile runs on its sensor's cell for that full system, so that a
 * fleet mixes initramfs machines and full systems; a bad system is a located error. */
START_TEST(test_profile_system)
{
	struct diags d = {0};
	struct scenario *s = load(
	    HEAD "profiles:\n"
		 "  - {name: office, weight: 6}\n"
		 "  - {name: server, weight: 3, system: debian-12}\n"
		 "  - {name: old, weight: 1, sensor: beta, kernel: debian-11, system: debian-12}\n"
		 "  - {name: server2, weight: 1, system: debian-12}\n"
		 "rollout: {fleet: 10, rings: [{name: all, size: rest}]}\n",
	    &d);
	const struct rollspec *r;
	size_t srv, old;

	if (!s)
		ck_abort_msg("%u:%u: %s", d.v[0].line, d.v[0].column, d.v[0].message);
	r = scenario_rollout(s);
	srv = r->profiles[1].sensor;
	old = r->profiles[2].sensor;
	ck_assert_uint_eq(scenario_n_sensors(s), 4);
	ck_assert_uint_eq(r->profiles[0].sensor, 0);
	ck_assert_ptr_null(scenario_sensor_system(s, 0));
	ck_assert_ptr_null(scenario_sensor_system(s, 1));
	ck_assert_str_eq(scenario_sensor(s, srv), "alpha@debian-12-system");
	ck_assert_str_eq(scenario_sensor_system(s, srv), "debian-12");
	ck_assert_ptr_null(scenario_sensor_kernel(s, srv));
	ck_assert_str_eq(scenario_sensor_arch(s, srv), "amd64");
	ck_assert_str_eq(scenario_sensor(s, old), "beta@debian-11@debian-12-system");
	ck_assert_str_eq(scenario_sensor_kernel(s, old), "debian-11");
	ck_assert_str_eq(scenario_sensor_system(s, old), "debian-12");
	ck_assert_uint_eq(r->profiles[3].sensor, srv);
	ck_assert(scenario_sensor_is(scenario_sensor(s, srv), "alpha"));
	scenario_free(s);

	load_err(HEAD "profiles:\n  - {name: x, weight: 1, system: debian-99}\n"
		      "rollout: {fleet: 4, rings: [{name: all, size: rest}]}\n",
		 5, 34, "unknown profile system 'debian-99'; expected debian-12");
	load_err(HEAD "profiles:\n  - {name: x, weight: 1, system: [debian-12]}\n"
		      "rollout: {fleet: 4, rings: [{name: all, size: rest}]}\n",
		 5, 34, "profile system");
	load_err(HEAD
		 "profiles:\n"
		 "  - {name: x, weight: 1, kernel: debian-12, arch: arm64, system: debian-12}\n"
		 "rollout: {fleet: 4, rings: [{name: all, size: rest}]}\n",
		 5, 66, "profile system debian-12 is amd64 only");
	load_err(HEAD "profiles:\n  - {name: x, weight: 1, system: debian-12}\n"
		      "rollout: {fleet: 4, rings: [{name: all, size: rest}],\n"
		      "  variants: [{name: v, sensor: beta}]}\n",
		 6, 10, "profiles with kernel: or system: and rollout: variants:");
}
END_TEST

START_TEST(test_parse)
{
	struct diags d = {0};
	struct scenario *s = load(HEAD PROFILES ROLLOUT, &d);
	const struct rollspec *r;

	if (!s)
		ck_abort_msg("%u:%u: %s", d.v[0].line, d.v[0].column, d.v[0].message);
	r = scenario_rollout(s);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->n_profiles, 3);
	ck_assert_str_eq(r->profiles[1].name, "build");
	ck_assert_uint_eq(r->profiles[1].sensor, 1);
	ck_assert_uint_eq(r->profiles[1].memory_mib, 512);
	ck_assert_uint_eq(r->profiles[1].events[0].repeat, 3);
	ck_assert_uint_eq(r->profiles[1].events[0].every_ms, 1000);
	ck_assert_uint_eq(r->profiles[0].events[0].jitter_ms, 2000);
	ck_assert_int_eq(r->profiles[2].events[0].kind, ROLLSPEC_OPEN);
	ck_assert_str_eq(r->profiles[2].cmdline, "quiet");
	ck_assert_uint_eq(r->fleet, 500);
	ck_assert_uint_eq(r->n_rings, 3);
	ck_assert(r->rings[0].gate && r->rings[0].max_down.value == 0);
	ck_assert(r->rings[1].max_down.percent && r->rings[1].max_down.value == 1);
	ck_assert_uint_eq(r->rings[1].down_mask, 1u << VERDICT_CRASH | 1u << VERDICT_SENSOR_DIED);
	ck_assert_uint_eq(r->rings[0].down_mask, rollspec_default_down());
	ck_assert_uint_eq(r->rings[1].bake_ms, 60000);
	ck_assert(r->rings[2].rest && !r->rings[2].gate);
	ck_assert(r->rollback);
	/* variants: every profile on one sensor, or some moved */
	ck_assert_uint_eq(r->n_variants, 2);
	ck_assert_str_eq(r->variants[0].name, "one-vendor");
	ck_assert_uint_eq(r->variants[0].sensor[1], 0);
	ck_assert_uint_eq(r->variants[1].sensor[0], 1);
	ck_assert_uint_eq(r->variants[1].sensor[1], 1); /* as written */
	ck_assert_uint_eq(r->variants[1].sensor[2], 0);
	scenario_free(s);

	/* a scenario without the sections has none */
	s = load(HEAD, &d);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(scenario_rollout(s));
	scenario_free(s);
}
END_TEST

START_TEST(test_bad_input)
{
	/* rings that add up to more than the fleet */
	load_err(HEAD PROFILES "rollout:\n  fleet: 10\n  rings:\n    - {name: a, size: 6}\n"
			       "    - {name: b, size: 60%}\n    - {name: c, size: rest}\n",
		 12, 5, "the rings add up to 12 machines, more than the fleet of 10");
	/* a gate on an unknown verdict */
	load_err(HEAD PROFILES
		 "rollout:\n  fleet: 10\n  rings:\n"
		 "    - {name: a, size: 1, gate: {max_down: 0, down: [crash, melted]}}\n"
		 "    - {name: b, size: rest}\n",
		 12, 60, "unknown verdict 'melted' in the gate");
	/* a profile with no weight */
	load_err(HEAD "profiles:\n  - {name: office, workload: [{exec: a}]}\n"
		      "rollout: {fleet: 4, rings: [{name: all, size: rest}]}\n",
		 5, 5, "profile 'office' has no weight");
	load_err(HEAD PROFILES "rollout:\n  fleet: 10\n  rings:\n    - {name: a, size: rest}\n"
			       "    - {name: b, size: 5}\n",
		 12, 7, "only the last ring may have size: rest");
	load_err(HEAD PROFILES "rollout:\n  fleet: 10\n  rings:\n    - {name: a, size: 5}\n", 12, 5,
		 "the rings reach 5 of the fleet's 10 machines");
	load_err(HEAD "profiles:\n  - {name: x, weight: 1, sensor: gamma}\n", 5, 34,
		 "profile sensor 'gamma' is not one of the scenario's sensors");
	load_err(HEAD "profiles:\n  - {name: x, weight: 1, workload: [{exec: a/b}]}\n", 5, 44,
		 "exec 'a/b' is not a program name");
	load_err(HEAD "profiles:\n  - {name: x, weight: 1, workload: [{exec: a, repeat: 2}]}\n", 5,
		 37, "repeat: 2 needs every:");
	load_err(HEAD "rollout: {fleet: 4, rings: [{name: all, size: rest}]}\n", 4, 10,
		 "rollout: needs profiles:");
	load_err(HEAD PROFILES
		 "rollout:\n  case: nope\n  fleet: 4\n  rings: [{name: a, size: rest}]\n",
		 10, 9, "rollout case 'nope' is not one of the scenario's cases");
	load_err(HEAD PROFILES "rollout:\n  fleet: 4\n  rings: [{name: a, size: rest}]\n"
			       "  variants: [{name: v, sensors: {desk: beta}}]\n",
		 12, 34, "variant names profile 'desk', which profiles: has not");
	load_err(HEAD PROFILES "rollout:\n  fleet: 4\n  on_gate_failure: panic\n"
			       "  rings: [{name: a, size: rest}]\n",
		 11, 20, "bad on_gate_failure 'panic'");
}
END_TEST

/* A variant's name becomes a folder of the rollout's output: '..', '.' and '' would be the
 * output itself or its parent. */
START_TEST(test_variant_names)
{
	static const char *const bad[] = {"'..'", "'.'", "''", "a/b", "\"\""};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *text = xasprintf(
		    HEAD PROFILES "rollout:\n  fleet: 4\n  rings: [{name: a, size: rest}]\n"
				  "  variants: [{name: %s, sensor: alpha}]\n",
		    bad[i]);

		load_err(text, 12, 21, "variant name");
	}
	load_err(HEAD PROFILES "rollout:\n  fleet: 4\n  rings: [{name: '..', size: rest}]\n", 11,
		 18, "ring name '..' must be");
}
END_TEST

static struct rollspec spec3(struct rollspec_profile *p, struct rollspec_ring *g)
{
	p[0] = (struct rollspec_profile){.name = "office", .weight = 60};
	p[1] = (struct rollspec_profile){.name = "build", .weight = 30};
	p[2] = (struct rollspec_profile){.name = "kiosk", .weight = 10};
	g[0] = (struct rollspec_ring){.name = "canary",
				      .size = {.percent = true, .value = 1},
				      .gate = true,
				      .down_mask = rollspec_default_down()};
	g[1] = (struct rollspec_ring){.name = "early",
				      .size = {.percent = true, .value = 10},
				      .gate = true,
				      .max_down = {.percent = true, .value = 10}};
	g[2] = (struct rollspec_ring){.name = "broad", .rest = true};
	return (struct rollspec){
	    .profiles = p, .n_profiles = 3, .rings = g, .n_rings = 3, .fleet = 500};
}

START_TEST(test_ring_sizes)
{
	struct rollspec_profile p[3];
	struct rollspec_ring g[3];
	struct rollspec s = spec3(p, g);
	size_t sizes[3];

	ck_assert_int_eq(rollout_ring_sizes(&s, 500, sizes), 0);
	ck_assert_uint_eq(sizes[0], 5);
	ck_assert_uint_eq(sizes[1], 50);
	ck_assert_uint_eq(sizes[2], 445);
	/* 1% of 40 is at least one machine; 10% of 40 is 4 */
	ck_assert_int_eq(rollout_ring_sizes(&s, 40, sizes), 0);
	ck_assert_uint_eq(sizes[0], 1);
	ck_assert_uint_eq(sizes[1], 4);
	ck_assert_uint_eq(sizes[2], 35);
	/* 10% of 33 rounds up to 4 */
	ck_assert_int_eq(rollout_ring_sizes(&s, 33, sizes), 0);
	ck_assert_uint_eq(sizes[1], 4);
	/* counts that do not fit */
	g[0].size = (struct rollspec_amount){.value = 10};
	ck_assert_int_eq(rollout_ring_sizes(&s, 10, sizes), -EINVAL);
	/* without rest they must cover the fleet */
	g[0].size = (struct rollspec_amount){.value = 2};
	g[2] = (struct rollspec_ring){.name = "broad", .size = {.value = 3}};
	ck_assert_int_eq(rollout_ring_sizes(&s, 10, sizes), -EINVAL);
	ck_assert_int_eq(rollout_ring_sizes(&s, 6, sizes), 0);
}
END_TEST

START_TEST(test_draw)
{
	struct rollspec_profile p[3];
	struct rollspec_ring g[3];
	struct rollspec s = spec3(p, g);
	struct rollout_plan *a = NULL, *b = NULL, *c = NULL;
	size_t counts[3], same = 0;

	rollout_profile_counts(&s, 500, counts);
	ck_assert_uint_eq(counts[0], 300);
	ck_assert_uint_eq(counts[1], 150);
	ck_assert_uint_eq(counts[2], 50);
	/* 7 machines at 60/30/10: 4.2, 2.1, 0.7 -> 4, 2, 1 (the largest remainder) */
	rollout_profile_counts(&s, 7, counts);
	ck_assert_uint_eq(counts[0], 4);
	ck_assert_uint_eq(counts[1], 2);
	ck_assert_uint_eq(counts[2], 1);

	ck_assert_int_eq(rollout_plan_new(&s, 0, 42, &a), 0);
	ck_assert_int_eq(rollout_plan_new(&s, 0, 42, &b), 0);
	ck_assert_int_eq(rollout_plan_new(&s, 0, 43, &c), 0);
	ck_assert_uint_eq(a->n_machines, 500);
	ck_assert_uint_eq(a->per_profile[2], 50);
	for (size_t i = 0; i < 500; i++) {
		ck_assert_uint_eq(a->machines[i].profile, b->machines[i].profile);
		ck_assert_str_eq(a->machines[i].id, b->machines[i].id);
		ck_assert_uint_eq(a->machines[i].jitter, b->machines[i].jitter);
		same += a->machines[i].profile == c->machines[i].profile;
	}
	/* another seed, another order (the same counts) */
	ck_assert_uint_lt(same, 400);
	ck_assert_uint_eq(c->per_profile[0], 300);
	/* the rings take the machines in order */
	ck_assert_uint_eq(a->ring_first[1], 5);
	ck_assert_uint_eq(a->ring_first[2], 55);
	ck_assert_uint_eq(a->ring_first[3], 500);
	ck_assert_uint_eq(a->machines[4].ring, 0);
	ck_assert_uint_eq(a->machines[5].ring, 1);
	ck_assert_uint_eq(a->machines[499].ring, 2);
	ck_assert(strncmp(a->machines[0].id, p[a->machines[0].profile].name,
			  strlen(p[a->machines[0].profile].name)) == 0);
	ck_assert(strstr(a->machines[9].id, "-0010"));
	rollout_plan_free(a);
	rollout_plan_free(b);
	rollout_plan_free(c);
	rollout_plan_free(NULL);
}
END_TEST

START_TEST(test_gate)
{
	struct rollspec_ring g = {.gate = true};

	/* a count */
	ck_assert_uint_eq(rollout_gate_allowed(&g, 5), 0);
	ck_assert(rollout_gate_passes(&g, 5, 0));
	ck_assert(!rollout_gate_passes(&g, 5, 1));
	g.max_down = (struct rollspec_amount){.value = 2};
	ck_assert(rollout_gate_passes(&g, 5, 2));
	ck_assert(!rollout_gate_passes(&g, 5, 3));
	/* a percentage of the ring, rounded down: 1% of 50 is 0, of 450 is 4; 10% of 30 is 3 */
	g.max_down = (struct rollspec_amount){.percent = true, .value = 1};
	ck_assert_uint_eq(rollout_gate_allowed(&g, 50), 0);
	ck_assert_uint_eq(rollout_gate_allowed(&g, 450), 4);
	g.max_down.value = 10;
	ck_assert_uint_eq(rollout_gate_allowed(&g, 30), 3);
	ck_assert(!rollout_gate_passes(&g, 30, 4));
	/* no gate passes whatever happened */
	g.gate = false;
	ck_assert(rollout_gate_passes(&g, 30, 30));
}
END_TEST

START_TEST(test_workload)
{
	struct rollspec_event ev[2] = {
	    {.kind = ROLLSPEC_EXEC,
	     .what = "kstrigger",
	     .at_ms = 500,
	     .jitter_ms = 1000,
	     .every_ms = 2000,
	     .repeat = 3},
	    {.kind = ROLLSPEC_OPEN, .what = "/run/pipe", .at_ms = 100, .repeat = 1},
	};
	struct rollspec_profile p[3];
	struct rollspec_ring g[3];
	struct rollspec s = spec3(p, g);
	uint64_t t[8], u[8];
	size_t n;
	_cleanup_free_ char *script = NULL;

	p[1].events = ev;
	p[1].n_events = 2;
	n = rollout_event_times(&p[1], rollout_jitter_seed(7, 3), t, 8);
	ck_assert_uint_eq(n, 4);
	for (unsigned r = 0; r < 3; r++) {
		ck_assert_uint_ge(t[r], 500 + r * 2000);
		ck_assert_uint_le(t[r], 1500 + r * 2000);
	}
	ck_assert_uint_eq(t[3], 100); /* no jitter */
	/* same machine, same times; another machine, other jitter */
	ck_assert_uint_eq(rollout_event_times(&p[1], rollout_jitter_seed(7, 3), u, 8), 4);
	ck_assert(memcmp(t, u, sizeof(uint64_t) * 4) == 0);
	rollout_event_times(&p[1], rollout_jitter_seed(7, 4), u, 8);
	ck_assert(memcmp(t, u, sizeof(uint64_t) * 3) != 0);
	/* the guest computes the same sums */
	ck_assert_uint_eq(rollout_jitter_seed(7, 3),
			  (uint32_t)(((7 + 3 * 7919) * 1103515245ull + 12345) % 2147483648ull));

	p[1].sensor = 1;
	script = rollout_workload_script(&s, 1, 7);
	ck_assert(strstr(script, "build)\n\tprog kstrigger\n"));
	ck_assert(strstr(script, "\tev 500 1000 2000 3 exec 'kstrigger'\n"));
	ck_assert(strstr(script, "\tev 100 0 0 1 open '/run/pipe'\n"));
	ck_assert(strstr(script, "x=$(( (7 + n * 7919) % 2147483648 ))"));
	/* profiles of other sensors are not in it */
	ck_assert_ptr_null(strstr(script, "office)"));
}
END_TEST

START_TEST(test_tally)
{
	struct rollout_outcome o[] = {
	    {.updated = true, .verdict = VERDICT_CRASH},
	    {.updated = true, .verdict = VERDICT_BOOT_LOOP},
	    {.updated = true, .verdict = VERDICT_RECOVERED, .rolled_back = true},
	    {.updated = true, .verdict = VERDICT_SENSOR_DIED, .protection = "lost"},
	    {.updated = true, .verdict = VERDICT_PROTECTION_LOST, .protection = "lost"},
	    {.updated = true, .verdict = VERDICT_ACCEPTED, .protection = "kept"},
	    {.updated = true, .verdict = VERDICT_INFRA_ERROR},
	    {.updated = false, .verdict = VERDICT_CRASH}, /* never reached: not counted */
	};
	struct rollout_tally t = {0};

	for (size_t i = 0; i < ARRAY_SIZE(o); i++)
		rollout_tally_add(&t, &o[i]);
	ck_assert_uint_eq(t.updated, 7);
	ck_assert_uint_eq(t.down, 2); /* crash and boot-loop; a recovered machine is up */
	ck_assert_uint_eq(t.crash, 1);
	ck_assert_uint_eq(t.boot_loop, 1);
	ck_assert_uint_eq(t.recovered, 1);
	ck_assert_uint_eq(t.rolled_back, 1);
	ck_assert_uint_eq(t.sensor_died, 1);
	ck_assert_uint_eq(t.protection_lost, 2); /* the verdict, or the watch's "lost" */
	ck_assert_uint_eq(t.infra, 1);
	ck_assert(rollout_verdict_down(VERDICT_HANG));
	ck_assert(!rollout_verdict_down(VERDICT_SENSOR_DIED));
	ck_assert_str_eq(rollout_strategy_name(ROLLOUT_ALL_AT_ONCE), "all-at-once");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rollout");
	TCase *tc = tcase_create("rollout");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_profile_kernel_arch);
	tcase_add_test(tc, test_profile_system);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_variant_names);
	tcase_add_test(tc, test_ring_sizes);
	tcase_add_test(tc, test_draw);
	tcase_add_test(tc, test_gate);
	tcase_add_test(tc, test_workload);
	tcase_add_test(tc, test_tally);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
