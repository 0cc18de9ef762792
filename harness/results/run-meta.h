/* run-meta.h — the schema of RUN_DIR/run.json, a run's metadata, and the only code that turns
 * it into JSON and back: the engine fills it at the start of a run and adds how the run ended
 * (results_write_meta() writes it, results.h); rundir.c reads it.
 *
 * run_meta_to_json() writes the members below in a fixed key order: those up to "host" always
 * (kernel, uri and accel as null for a session without guests), "hosts" only when there are
 * some (the engine lists them for a run on more than one host), "seed" only when has_seed, the
 * rest only when set ("shard", "merged_from" and "missing_shards" only for a shard or a merge).
 * run_meta_from_json() reads a
 * file back tolerating absent, null or mistyped members.
 *
 * Ownership: the metadata owns every string and array in it; run_meta_finish() frees them and
 * accepts a zeroed one or one a failed read left. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A host of a run on several (hosts.h): its URI, and whether it answered at the start. */
struct run_meta_host {
	char *uri;
	bool answered;
};

/* A shard run merged into this one: which shard, its run id, where and when it ran. */
struct run_meta_shard {
	unsigned k, n;
	char *run_id, *host, *started, *finished;
};

struct run_meta {
	char *run_id, *scenario, *scenario_path;
	char *started; /* UTC ISO 8601 */
	char *faultline_version;
	char *kernel, *uri, *accel; /* NULL: the session had no guests */
	struct run_meta_host *hosts;
	size_t n_hosts;
	char *isolation;
	uint64_t seed;
	bool has_seed;
	char **sensors; /* in the scenario's order */
	size_t n_sensors;
	/* "sensor_versions": {SENSOR: VERSION}, written when any is set; parallel to sensors,
	 * NULL entries (or a NULL array) where sensor.yaml gave no version: */
	char **sensor_versions;
	char *content_sha256; /* the content the cases were made from (its seed files) */
	char *host;	      /* the controller's host name */
	char *argv;	      /* the command line; NULL: not recorded */
	char *campaign;	      /* `faultline fuzz`: the sensor fuzzed */
	bool resumed;	      /* `run --resume` */
	/* the scenario's jobs (sensor x case) and their fingerprint (shard_jobs_hash()); 0 and
	 * NULL: not recorded (older runs) */
	size_t jobs;
	char *jobs_hash;
	/* `run --shard K/N`: shard_k of shard_n, which ran shard_jobs of the jobs; 0: not a shard
	 */
	unsigned shard_k, shard_n;
	size_t shard_jobs;
	/* `merge`: the shard runs merged into this one, in shard order */
	struct run_meta_shard *merged;
	size_t n_merged;
	unsigned *missing; /* `merge --allow-partial`: the shards (K) that were not there */
	size_t n_missing;
	/* how it ended: "finished" at a time, or "interrupted" (SIGINT/SIGTERM); both NULL while it
	 * runs, or when the controller was killed */
	char *finished, *interrupted;
};

void run_meta_finish(struct run_meta *m);

json_object *run_meta_to_json(const struct run_meta *m);
/* Fill *ret from parsed run.json. Returns 0, or -EINVAL when o is not an object. */
int run_meta_from_json(json_object *o, struct run_meta *ret);
/* PATH read. Returns 0, a negative errno when it cannot be read (-ENOENT: none), or -EINVAL
 * when it is not a JSON object. */
int run_meta_read(const char *path, struct run_meta *ret);
