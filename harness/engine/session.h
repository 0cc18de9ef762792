/* session.h — what `run`, `bench` and `replay` share: a loaded and expanded scenario, the
 * sensors' guest images, an open libvirt host with a decided accelerator, and runs of the fleet
 * into run directories with every result recorded.
 *
 * Errors: every fallible call returns 0 or a negative errno and, on failure, fills a
 * struct session_error with the party at fault and what went wrong; the command prints it
 * (cli_session_failed()) and decides the exit status. Nothing here prints an error. Progress
 * for the user (images being built, the KVM probe, what a resumed run already holds) goes to
 * session_opts.progress, nowhere when it is NULL; while the fleet runs, every result is counted
 * on session_opts.meter, the live progress line (progress.h), when there is one.
 * SIGINT, SIGTERM and SIGHUP are taken by a thread of their own once a session boots guests:
 * they cancel the fleet (every guest destroyed) and session_run reports the interruption in the
 * run's statistics.
 * Ownership: session_close() frees the session; session_stats_finish() a run's statistics;
 * session_error_finish() an error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "fleet.h"
#include "progress.h"
#include "run-meta.h"
#include "scenario.h"
#include "sensor.h"
#include "shard.h"

struct session_opts {
	const char *scenario_path;
	/* --sensors-dir, NULL-terminated (NULL: none): searched before $FAULTLINE_SENSORS_DIR and
	 * the shipped sensors (session_sensor_path()) */
	const char *const *sensors_dirs;
	const char *formats_dir; /* NULL: datadir_formats() */
	/* --uri, NULL-terminated (NULL: the scenario's hosts, else the embedded driver); "local"
	 * is the embedded driver */
	const char *const *uris;
	const char *accel;	 /* NULL: the scenario's, else auto */
	const char *state_dir;	 /* NULL: /var/lib/faultline (root), ~/.cache/faultline, or
				  * /tmp/faultline-UID (no HOME; must be ours, 0700) */
	unsigned jobs;		 /* 0: the scenario's fleet size, else the number of cores */
	unsigned probe_every;	 /* reuse: --probe-every (fleet.h); 0: FLEET_PROBE_EVERY */
	bool no_guests;		 /* load and expand only (run --list) */
	size_t max_cases;	 /* 0: all; else only the first N cases (bench) */
	struct shard_spec shard; /* --shard K/N: run only shard K's jobs (shard.h); n 0: all */
	FILE *progress;		 /* progress lines for the user; NULL: none */
	struct progress *meter;	 /* the live progress line, owned by the caller; NULL: none */
	/* Called for each sensor before its image is built, to change what goes into the guest
	 * (rollout: the profiles' workload in place of the trigger); NULL: none. Returns 0 or a
	 * negative errno, *ret_error (caller frees) saying why. */
	int (*prepare_sensor)(void *userdata, const struct scenario *sc, size_t i, struct sensor *s,
			      const char *state_dir, char **ret_error);
	void *userdata;
};

/* The party at fault in a session error: the command names it (cli-fault.h) and takes its exit
 * status from it. */
enum session_fault {
	SESSION_FAULT_USAGE,	/* the command line: an option, an argument, a file it names */
	SESSION_FAULT_SCENARIO, /* the scenario file or what it refers to */
	SESSION_FAULT_SENSOR,	/* a sensor's folder: sensor.yaml, its build, its commands */
	SESSION_FAULT_LIBVIRT,	/* libvirt or the host connection through it */
	SESSION_FAULT_GUEST,	/* the guest's kernel, where that is not a case's verdict */
	SESSION_FAULT_HOST,	/* the machine faultline runs on */
	SESSION_FAULT_BUG,	/* faultline itself */
};

/* "usage", "scenario error", ... */
const char *session_fault_prefix(enum session_fault f);
/* The party a reason string names at its start ("libvirt error: ...", as fleet and image
 * reasons do), else fallback; *ret_rest is the reason without the prefix. */
enum session_fault session_fault_parse(const char *reason, enum session_fault fallback,
				       const char **ret_rest);

struct session_error {
	enum session_fault fault;
	char *message;	    /* what went wrong, without the prefix; NULL when diags say it all */
	struct diags diags; /* located problems of the scenario */
};

void session_error_finish(struct session_error *e);
/* For the engine's other modules: say in *e who is at fault and what went wrong (the message
 * replaces any earlier one). Returns r, a negative errno. */
int session_error_set(struct session_error *e, int r, enum session_fault fault, const char *fmt,
		      ...) _printf_(4, 5);

struct session;

/* Load and expand the scenario; unless o->no_guests, also prepare the state dir, find the guest
 * kernel, build the sensors' images and open the libvirt host. -EINVAL with ret_error->diags for a
 * scenario with errors. */
int session_open(const struct session_opts *o, struct session **ret,
		 struct session_error *ret_error);
void session_close(struct session *s);
/* The sensor search path of o: its --sensors-dir, $FAULTLINE_SENSORS_DIR, the shipped sensors
 * (sensor_search_path_free()). */
char **session_sensor_path(const char *const *sensors_dirs);

const struct scenario *session_scenario(const struct session *s);
const struct scenario_case *session_cases(const struct session *s, size_t *ret_n);
const char *session_sensor_name(const struct session *s, size_t i);
/* Sensor i as loaded (after the session's prepare); NULL before it is. */
const struct sensor *session_sensor(const struct session *s, size_t i);
/* Whether the job of case ci on sensor si is this session's to run (its --shard's). */
bool session_job_selected(const struct session *s, size_t ci, size_t si);
/* How many jobs are (all of them without --shard). */
size_t session_n_selected(const struct session *s);
/* The guest image of sensor i (NULL without guests). */
const struct image *session_image(const struct session *s, size_t i);
/* The fleet of the session as a run in mode would have it: host, slots, timeouts, the guest
 * command line, every sensor and case; run_dir and work_dir borrowed. */
struct fleet_config session_fleet_config(const struct session *s, enum fleet_isolation mode,
					 const char *run_dir, const char *work_dir);
/* The first host of the fleet that answered (NULL without guests); the session owns it. */
const struct fleet_host *session_first_host(const struct session *s);
/* The guests all hosts that answered run at once. */
unsigned session_slots(const struct session *s);
/* Where fleet runs keep save images and content partitions (caller frees). */
char *session_work_dir(const struct session *s);
/* The guest kernel's version (NULL without guests). */
const char *session_kernel(const struct session *s);
/* Set when SIGINT or SIGTERM stopped the fleet: the signal, else 0. */
int session_stop_signal(void);
size_t session_n_sensors(const struct session *s);
/* The isolation mode the scenario asks for (snapshot unless it says otherwise). */
const char *session_isolation(const struct session *s);
/* A new run id: the scenario's name and the local time, "NAME-YYYYMMDD-HHMMSS" (caller frees). */
char *session_new_run_id(const struct session *s);

struct session_result {
	bool done;
	enum verdict verdict;
	char *title;
	char *note; /* first line of the title, else of the detail */
	uint64_t total_ms;
	/* where the time went (case_result's: runner.h) */
	uint64_t boot_ms, deliver_ms, watch_ms, watched_ms, verdict_ms, release_ms;
	bool other_shard; /* another shard's job: not run, not counted */
};

struct session_stats {
	size_t total, finished;	    /* total: every job, [case * n_sensors + sensor] */
	size_t selected;	    /* the jobs this run is for: total, or its shard's */
	uint64_t wall_ms;	    /* fleet start to last result */
	uint64_t first_verdict_ms;  /* fleet start to first result */
	struct session_result *res; /* [case * n_sensors + sensor] */
	bool interrupted;
	int signal;	  /* SIGINT / SIGTERM that interrupted it */
	int record_error; /* negative errno when a record could not be written */
};

struct session_run_opts {
	enum fleet_isolation mode;
	const char *run_dir; /* created */
	const char *run_id;  /* NULL: a new one (session_new_run_id()) */
	size_t max_cases;    /* 0: all; else the first N cases */
	bool resume;	     /* run_dir holds an earlier run: run only what it has no record of */
	/* Prepare the run directory (what a resumed run holds, results.jsonl, inputs/, run.json)
	 * and stop before any guest: all that a session opened with no_guests can do. */
	bool prepare_only;
	/* NULL, or the results database each record is written to as it is appended (db-import.h):
	 * opened by the caller before the session boots guests; a database lost mid-run counts
	 * what it missed (db_writer_missed()) and the run goes on */
	struct db_writer *db;
	const char *command_line; /* run.json's argv (and the database's); NULL: not recorded */
};

/* Run every case on every sensor in one isolation mode, recording each result. Returns 0 (an
 * interrupted run too: see ret->interrupted), or a negative errno when the run could not start:
 * with resume, -ENOENT when run_dir holds no results, -EINVAL when its records do not match the
 * scenario; another errno when the run directory or the inputs cannot be written. */
int session_run(struct session *s, const struct session_run_opts *o, struct session_stats *ret,
		struct session_error *ret_error);
void session_stats_finish(struct session_stats *st);

/* For a command that drives guests itself (fuzz): run.json's fields (caller run_meta_finish), the
 * guest kernel's version, and the signal that interrupted the session (0: none). The fleet and work
 * dir: session_fleet_config() and session_work_dir() above. */
void session_run_meta(struct session *s, const char *run_id, enum fleet_isolation mode,
		      struct run_meta *ret);
