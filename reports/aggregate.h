/* aggregate.h — everything the renderers show, computed once over any number of runs: a
 * headline per sensor, the sensor × mutation-class matrix, deduplicated crash signatures, time
 * statistics, and the lists of failing and slowest cases. Linear in the number of records plus
 * sorting, so 100,000 cases aggregate in well under a second.
 *
 * Ownership: aggregate_build() borrows the runs; the aggregate points into their records and
 * must be freed (aggregate_free(), accepts NULL) before them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rundir.h"

/* Bins of the per-sensor histogram of case times, on one scale for every sensor. */
#define AGGREGATE_TIME_BINS 24

struct aggregate_counts {
	size_t n;
	size_t v[_VERDICT_MAX];
	size_t silent_accept; /* of v[VERDICT_ACCEPTED], those on a mutated input */
};

/* The design comparison: every case in one outcome for the machine and the protection, worst
 * first (aggregate_design_of()). */
enum aggregate_design {
	AGGREGATE_DOWN,	     /* crash, hang, boot loop: the machine went down */
	AGGREGATE_DIED,	     /* the sensor died and was not found protecting again */
	AGGREGATE_DIED_BACK, /* the sensor died; protection kept or restored in the window */
	AGGREGATE_BLIND,     /* alive, but no longer detecting (protection-lost) */
	AGGREGATE_SILENT,    /* malformed input accepted */
	AGGREGATE_REJECTED,  /* clean rejection */
	AGGREGATE_ACCEPTED,  /* the unmutated seed accepted */
	AGGREGATE_NOT_RUN,   /* infra-error, or a verdict this version does not know */
	_AGGREGATE_DESIGN_MAX,
};

struct aggregate_design_row {
	size_t n[_AGGREGATE_DESIGN_MAX];
	size_t crash_loops;		   /* sensor deaths whose detail says "crash-loop" */
	size_t protection_measured;	   /* records with a protection (the probe ran) */
	size_t protection_lost;		   /* of those, "lost" */
	size_t n_gaps;			   /* restored after a loss: the gaps below */
	int64_t gap_median_ms, gap_max_ms; /* -1 without any */
};

struct aggregate_sensor {
	const char *name;
	struct aggregate_counts counts;
	size_t expect_total, expect_met;
	size_t failures, errors;	/* record_outcome() */
	size_t n_signatures;		/* distinct signatures seen on this sensor */
	size_t n_timed;			/* cases with a total time */
	size_t n_runs;			/* runs with records of this sensor */
	const struct rundir *first_run; /* the first of them; NULL when none */
	/* total_ms and boot_ms statistics; -1 without data */
	int64_t time_median_ms, time_p90_ms, time_max_ms, boot_median_ms;
	int64_t time_sum_ms;
	size_t time_bins[AGGREGATE_TIME_BINS]; /* cases by total time, bins of time_bin_ms */
	struct aggregate_design_row design;
};

/* The follow-up of machines the persisted update crashed (record.h, "reboot"): one row per
 * sensor and mechanism as the record names it (what brought the machine back; "none" for a
 * machine still in a boot loop, one that came back by itself, or a follow-up that ended in an
 * infra error). */
struct aggregate_recovery {
	const char *sensor;		/* the sensor's name, as in aggregate_sensor */
	size_t sensor_index;		/* into aggregate.sensors */
	const char *mechanism;		/* the first record's; "unknown" when it had none */
	size_t followed;		/* records with a reboot object */
	size_t loops, recovered, infra; /* by outcome: boot-loop, recovered, infra-error */
	size_t loops_agreed; /* loops whose every crashed boot had the first crash's title */
	/* Over the recovered machines. Boots: those after the first crash, up to and including
	 * the healthy one (a safe-mode boot counts); the median of an even number is the mean of
	 * the middle two. Times: wall from the first crash to the healthy boot's ready, guest
	 * uptime summed over the boots. -1 (boots_max 0) without any. */
	double boots_median;
	size_t boots_max;
	int64_t wall_median_ms, wall_max_ms, guest_median_ms;
};

struct aggregate_signature {
	const char *title; /* record_signature() of the first occurrence */
	enum verdict kind;
	size_t count;
	char *sensors;		    /* "a, b": sensors it was seen on, in sensor order; owned */
	const struct record *first; /* first occurrence in run and file order */
	/* verdict_ms (time to crash) over the occurrences; -1 without data */
	int64_t ttc_min_ms, ttc_max_ms;
	/* The first occurrence that `faultline minimize` worked on, and what it found; NULL
	 * when none was minimized. */
	const struct record *minimized_record;
	const struct minimized *minimized;
};

/* A libvirt host the cases ran on (record "host"), in order of appearance. */
struct aggregate_host {
	const char *uri; /* the records' */
	size_t cases, infra_errors;
	size_t host_faults; /* cases with a note of what a host did to an earlier attempt */
	int64_t time_sum_ms;
	size_t n_timed;
};

struct aggregate {
	struct rundir *const *runs;
	size_t n_runs;
	size_t n_records;
	size_t n_skipped, n_superseded;
	struct aggregate_counts total;
	size_t failures, errors;
	int64_t time_bin_ms; /* width of a histogram bin; 0 when no case has a time */
	size_t n_watched;    /* records of a watched sensor (a protection or restart count) */

	struct aggregate_sensor *sensors; /* run.json order first, then order of appearance */
	size_t n_sensors;
	char **classes; /* "seed" first, then by name */
	size_t n_classes;
	struct aggregate_counts *cells; /* [sensor * n_classes + class] */

	struct aggregate_signature *sigs; /* by count, descending, then title */
	size_t n_sigs;

	const struct record **failing; /* FAILURE or ERROR outcome, in run and file order */
	size_t n_failing;
	const struct record **slowest; /* by total time, descending; at most 10 */
	size_t n_slowest;

	/* by sensor (in the order above), then none, counter, remediation, manual, the rest by
	 * name */
	struct aggregate_recovery *recovery;
	size_t n_recovery;
	size_t n_followed; /* records with a reboot object */

	struct aggregate_host *hosts; /* records without a host are not counted */
	size_t n_hosts;
};

int aggregate_build(struct rundir *const *runs, size_t n_runs, struct aggregate **ret);
struct aggregate *aggregate_free(struct aggregate *a);

const struct aggregate_counts *aggregate_cell(const struct aggregate *a, size_t sensor, size_t cls);
/* Where a record falls in the design comparison. */
enum aggregate_design aggregate_design_of(const struct record *r);
/* Whether the crash titles of a boot loop agreed: every boot that crashed or hung (not the
 * healthy or safe-mode ones) had the first crash's title (both none counts as agreeing). */
bool aggregate_loop_titles_agree(const struct record *r);
/* The worst verdict present in counts (verdict.h: the lowest value); _VERDICT_MAX when empty. */
enum verdict aggregate_worst(const struct aggregate_counts *c);
