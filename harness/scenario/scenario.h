/* scenario.h — loading, validating and expanding a scenario YAML file into cases.
 *
 * Ownership: scenario_load() returns a scenario that owns every string reachable from it;
 * pointers returned by accessors live as long as the scenario. scenario_expand() returns an array
 * of cases the caller frees with scenario_cases_free(); cases do not point into the scenario.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "sensor.h"

struct scenario;

struct scenario_opts {
	/* Where sensors named in sensors: are looked for, in order (sensor_search_path()):
	 * NULL-terminated; NULL: nowhere (only paths work). */
	const char *const *sensors_dirs;
	const char *formats_dir; /* where format descriptions live (guests/formats) */
	/* Most inputs the whole scenario may expand to; 0 = the engine's own limit
	 * (MUTATE_MAX_VARIANTS per mutation list). The fuzz target sets a small one so that one
	 * input tests the parser rather than an expansion of thousands of inputs. */
	size_t max_inputs;
};

/* Load and validate. Returns 0, -EINVAL when the scenario has errors (all of them appended to
 * diags, nothing returned), or another negative errno (file unreadable, also with a diag). */
int scenario_load(const char *path, const struct scenario_opts *opts, struct diags *diags,
		  struct scenario **ret);
/* Same from memory; path names the input in diags and anchors relative content: paths. */
int scenario_parse(const char *path, const void *data, size_t size,
		   const struct scenario_opts *opts, struct diags *diags, struct scenario **ret);
struct scenario *scenario_free(struct scenario *s);

struct scenario_fleet {
	unsigned size;	       /* parallel guests; 0 = number of host cores */
	char **uris;	       /* NULL-terminated; empty = default embedded URI */
	unsigned *slots;       /* [per uri] guests on that host (hosts: slots:); 0 = its cores */
	unsigned memory_mib;   /* guest RAM */
	const char *accel;     /* "auto", "tcg" or "kvm" */
	const char *isolation; /* "snapshot" (default), "boot", "reuse" */
};

struct scenario_timeouts {
	unsigned boot_ms;    /* guest up and sensor loaded */
	unsigned observe_ms; /* healthy window after the agent's result */
	unsigned hang_ms;    /* heartbeat silence that counts as a hang */
	unsigned case_ms;    /* whole case, after boot */
};

const char *scenario_name(const struct scenario *s);
const char *scenario_path(const struct scenario *s);
uint64_t scenario_seed(const struct scenario *s);
const struct scenario_fleet *scenario_fleet(const struct scenario *s);
const struct scenario_timeouts *scenario_timeouts(const struct scenario *s);
size_t scenario_n_sensors(const struct scenario *s);
const char *scenario_sensor(const struct scenario *s, size_t i);     /* name */
const char *scenario_sensor_dir(const struct scenario *s, size_t i); /* folder with sensor.yaml */
/* With matrix: {kernel: [...], arch: [...]}, every sensor is one entry per kernel and arch,
 * named SENSOR@KERNEL on amd64 and SENSOR@KERNEL@ARCH otherwise (the run's records, consoles
 * and images are the cell's): the kernel name of entry i, NULL without a matrix. */
const char *scenario_sensor_kernel(const struct scenario *s, size_t i);
/* The guest architecture of entry i: "amd64" or "arm64" (matrix: arch:); "amd64" without. */
const char *scenario_sensor_arch(const struct scenario *s, size_t i);
/* The full system of entry i a rollout profile names (system: debian-12, the entry then named
 * SENSOR[@KERNEL]@NAME-system), over the guest: of the scenario and sensor; NULL: none. */
const char *scenario_sensor_system(const struct scenario *s, size_t i);
/* Is cell (SENSOR or SENSOR@KERNEL) this sensor? */
bool scenario_sensor_is(const char *cell, const char *sensor);
/* The scenario's guest: section (cmdline, modules), for every sensor's guest; never NULL. */
const struct sensor_guest *scenario_guest(const struct scenario *s);

/* Boot loops: the update persists on the guest's content partition, and a guest it
 * crashed is rebooted and followed until it loops or recovers. */
enum scenario_recovery {
	SCENARIO_RECOVERY_NONE,
	SCENARIO_RECOVERY_COUNTER,     /* sensor-side: a boot counter skips newer content */
	SCENARIO_RECOVERY_REMEDIATION, /* platform-side: the agent asks the host at boot */
	SCENARIO_RECOVERY_MANUAL,      /* a safe-mode boot removes the content, then a reboot */
	_SCENARIO_RECOVERY_MAX,
};

enum scenario_remedy {
	SCENARIO_REMEDY_ROLLBACK, /* put the case's seed (the previous content) back */
	SCENARIO_REMEDY_DELETE,	  /* remove the stored content */
};

struct scenario_persistence {
	bool on;
	unsigned reboots; /* boot_loop.reboots: crashed boots in a row that make a loop (3) */
	enum scenario_recovery recovery;
	unsigned counter_boots;	     /* counter: boots that may fail before the sensor skips (2) */
	enum scenario_remedy remedy; /* remediation's answer */
	/* remediation and manual act once the guest has crashed this many times, the case's own
	 * crash included (remediation 1, manual 2: a person sees it crash again first) */
	unsigned after;
};

const char *scenario_recovery_name(enum scenario_recovery r);

struct scenario_expect {
	char *sensor;  /* NULL = every sensor */
	char *verdict; /* "crash", "hang", "rejected", "accepted", ... */
};

struct scenario_case {
	char *id;	      /* unique in the scenario, safe as a file name */
	char *name;	      /* the case's name in the YAML */
	uint64_t seed;	      /* seed this input was generated from */
	char *seed_file;      /* the seed content it was made from */
	char *mutations_json; /* JSON array describing the mutations applied, e.g.
				 [{"op":"truncate",...}] */
	uint8_t *data;	      /* the exact input bytes */
	size_t size;
	struct scenario_expect *expects;
	size_t n_expects;
	struct scenario_persistence persist;
	char *format_file; /* the format description the mutations used; NULL when none.
			    * mutate_replay(mutations_json, format_file, seed_file) regenerates
			    * data */
};

/* Generate every case's input bytes. Deterministic for a given scenario and seed. */
int scenario_expand(const struct scenario *s, struct diags *diags, struct scenario_case **ret_cases,
		    size_t *ret_n);
void scenario_cases_free(struct scenario_case *cases, size_t n);
/* Same as scenario_expand, and says how many generated inputs were dropped as duplicates (same
 * SHA-256 as an earlier input of the scenario; a case that names a single input is never
 * dropped). Multi-input cases get ids "<case>-NNNN" (variant index, stable across dedup). */
int scenario_expand_full(const struct scenario *s, struct diags *diags,
			 struct scenario_case **ret_cases, size_t *ret_n, size_t *ret_duplicates);
struct rollspec;
/* The scenario's profiles: and rollout: sections (rollspec.h), or NULL when it has neither. */
const struct rollspec *scenario_rollout(const struct scenario *s);
/* For `run --list`: one line per case (id, size, sha256 prefix, expectations, mutations). */
int scenario_describe_cases(const struct scenario *s, const struct scenario_case *cases, size_t n,
			    FILE *out);
size_t scenario_n_cases(const struct scenario *s);	    /* cases as written, before expansion */
const char *scenario_format_path(const struct scenario *s); /* NULL when no format: */
/* Whether any case has persistence on: then every guest of the run gets a content partition. */
bool scenario_persists(const struct scenario *s);
/* The verdict expected of this case on this sensor (or matrix cell of it), or NULL when none. */
const char *scenario_case_expect(const struct scenario_case *c, const char *sensor);
