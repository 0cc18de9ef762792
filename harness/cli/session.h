/* session.h — what `run` and `bench` share: a loaded and expanded scenario, the sensors' guest
 * images, an open libvirt host with a decided accelerator, and runs of the fleet into run
 * directories with every result recorded.
 *
 * This is command-line plumbing: it prints progress and errors for the user on stderr.
 * SIGINT, SIGTERM and SIGHUP are taken by a thread of their own once a session boots guests:
 * they cancel the fleet (every guest destroyed) and session_run reports the interruption.
 * Ownership: session_close() frees the session; session_stats_finish() a run's statistics.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet.h"
#include "scenario.h"

struct session_opts {
	const char *scenario_path;
	const char *uri;       /* NULL: the scenario's, else the embedded default */
	const char *accel;     /* NULL: the scenario's, else auto */
	const char *state_dir; /* NULL: /var/lib/faultline (root) or ~/.cache/faultline */
	unsigned jobs;	       /* 0: the scenario's fleet size, else the number of cores */
	bool no_guests;	       /* load and expand only (run --list) */
	size_t max_cases;      /* 0: all; else only the first N cases (bench) */
};

struct session;

/* Returns 0, or the exit status the command should return (2 bad input, 1 infrastructure). */
int session_open(const struct session_opts *o, struct session **ret);
void session_close(struct session *s);

const struct scenario *session_scenario(const struct session *s);
const struct scenario_case *session_cases(const struct session *s, size_t *ret_n);
const char *session_sensor_name(const struct session *s, size_t i);
size_t session_n_sensors(const struct session *s);

struct session_result {
	bool done;
	enum verdict verdict;
	char *title;
	char *note; /* first line of the title, else of the detail */
	uint64_t total_ms;
};

struct session_stats {
	size_t total, finished;
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
	const char *run_id;  /* NULL: the scenario's name and the time */
	size_t max_cases;    /* 0: all; else the first N cases */
	bool resume;	     /* run_dir holds an earlier run: run only what it has no record of */
};

/* Run every case on every sensor in one isolation mode, recording each result. Returns 0, or
 * an exit status when the run could not start (1; 2 when a resumed run does not match the
 * scenario). */
int session_run(struct session *s, const struct session_run_opts *o, struct session_stats *ret);
void session_stats_finish(struct session_stats *st);

/* The isolation mode the scenario asks for (snapshot unless it says otherwise). */
const char *session_isolation(const struct session *s);
