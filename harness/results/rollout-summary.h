/* rollout-summary.h — the schema of RUN_DIR/rollout.json, the summary `faultline rollout`
 * writes (per strategy, per ring and in total, with the time line of machines going down), and
 * the only code that writes it and reads it back. reports/rollout-report.c renders it.
 *
 * rollout_summary_to_json() writes every member below in a fixed key order ("variants" only
 * when there are some, a ring's "gate" only when it has one); rollout_summary_from_json()
 * reads it back tolerating absent, null or mistyped members (strings NULL, numbers 0, arrays
 * empty), so that a summary edited by hand or missing keys still renders.
 *
 * Ownership: a summary owns every string and array in it; rollout_summary_finish() frees them
 * and accepts a zeroed summary or one a failed read left. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What happened to the machines of a ring, or of a whole strategy. */
struct rollout_summary_tally {
	uint64_t updated, down, crash, hang, boot_loop, sensor_died, protection_lost, recovered,
	    rolled_back, infra_error;
};

struct rollout_summary_gate {
	uint64_t at_ms; /* on the schedule */
	bool passed;
	uint64_t down, allows;
};

struct rollout_summary_ring {
	char *name; /* "all" for the all-at-once strategy's one ring */
	uint64_t machines;
	bool reached;
	uint64_t start_ms, bake_ms;
	bool has_gate;
	struct rollout_summary_gate gate;
	struct rollout_summary_tally tally;
};

/* A name and a value: a profile's count of down machines, a variant's sensor of a profile. */
struct rollout_summary_count {
	char *name;
	uint64_t n;
};

struct rollout_summary_pair {
	char *key, *value;
};

/* One point of the time line: t_ms on the schedule, machines down so far. */
struct rollout_summary_point {
	uint64_t t_ms, down;
};

struct rollout_summary_strategy {
	char *variant;	  /* NULL: the rollout as written */
	char *name;	  /* "all-at-once" or "rings" */
	char *stopped_at; /* the ring whose gate halted it; NULL: it went through */
	bool interrupted;
	uint64_t wall_ms, end_ms;
	struct rollout_summary_tally total;
	struct rollout_summary_count *down_by_profile; /* "down_by_profile", in file order */
	size_t n_down_by_profile;
	struct rollout_summary_ring *rings;
	size_t n_rings;
	struct rollout_summary_point *timeline;
	size_t n_timeline;
};

struct rollout_summary_profile {
	char *name, *sensor;
	uint64_t weight, machines;
};

struct rollout_summary_variant {
	char *name;
	struct rollout_summary_pair *sensors; /* profile -> sensor, in file order */
	size_t n_sensors;
};

struct rollout_summary {
	char *answer; /* the one-line answer */
	char *run_id, *scenario;
	uint64_t seed;
	char *update; /* the case delivered */
	uint64_t fleet;
	char *on_gate_failure; /* "halt" or "rollback" */
	struct rollout_summary_profile *profiles;
	size_t n_profiles;
	struct rollout_summary_variant *variants;
	size_t n_variants;
	struct rollout_summary_strategy *strategies;
	size_t n_strategies;
	uint64_t wall_ms, guest_runs;
	double machines_per_min;
	char *note;
};

void rollout_summary_finish(struct rollout_summary *s);

json_object *rollout_summary_to_json(const struct rollout_summary *s);
/* Fill *ret from a parsed summary. Returns 0, or -EINVAL when o is not an object. */
int rollout_summary_from_json(json_object *o, struct rollout_summary *ret);

/* PATH written atomically, as pretty JSON. */
int rollout_summary_write(const char *path, const struct rollout_summary *s);
/* PATH read. Returns 0, a negative errno when it cannot be read, or -EINVAL when it is not a
 * JSON object. */
int rollout_summary_read(const char *path, struct rollout_summary *ret);
