/* rollspec.h — a scenario's profiles: and rollout: sections, as written.
 *
 *   profiles:
 *     - name: NAME                  unique, safe as a file name
 *       weight: N                   share of the fleet (required, at least 1)
 *       sensor: NAME                one of the scenario's sensors: (default: the first)
 *       memory: MIB                 guest RAM (default: the fleet's)
 *       cmdline: TEXT               added to the guest kernel command line
 *       kernel: NAME                the guest kernel by name (debian-11|12|13 or a version;
 *                                   default: the scenario's)
 *       arch: amd64 | arm64         the guest architecture (default amd64; arm64 needs kernel:)
 *       system: NAME                a full system (sensor_guest_systems(): debian-12) instead of
 *                                   the initramfs (default: the sensor's and scenario's guest:)
 *       workload:                   what runs in the guest once the update is in, in order:
 *         - {exec: COMM, at: 1s, jitter: 2s, repeat: 3, every: 500ms}
 *         - {open: /PATH, at: 0s}
 *   rollout:
 *     case: NAME                    the update (a case of cases:; default: the first)
 *     fleet: N                      machines, drawn from the profiles by weight (seeded)
 *     rings:
 *       - {name: canary, size: 1%, bake: 30s, gate: {max_down: 0, down: [crash, hang]}}
 *       - {name: broad, size: rest}
 *     on_gate_failure: halt | rollback
 *     variants:                     the same rollout again with other sensors (vendor diversity)
 *       - {name: one-vendor, sensor: ksensor-legacy}          every profile on one sensor
 *       - {name: swap, sensors: {office: ksensor-hardened}}   some profiles on another
 *
 * A workload event execs a program whose name (the kernel's comm) is COMM, or opens PATH (a
 * named pipe is opened read-write, so it never blocks), at `at` plus a seeded jitter in
 * [0, jitter], `repeat` times (1) `every` apart. Sizes are a count, a percentage of the fleet
 * ("10%", at least one machine) or `rest` (the last ring only). A gate's max_down is a count or
 * a percentage of its ring's machines; down lists the verdicts that count (default crash, hang,
 * boot-loop).
 *
 * Ownership: a struct rollspec owns all its strings and arrays; rollspec_free() frees it (NULL
 * accepted).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct ynode;

#define ROLLSPEC_MAX_FLEET 100000u

/* A count or a percentage. */
struct rollspec_amount {
	bool percent;
	double value; /* machines, or percent (0..100) */
};

enum rollspec_event_kind {
	ROLLSPEC_EXEC,
	ROLLSPEC_OPEN,
};

struct rollspec_event {
	enum rollspec_event_kind kind;
	char *what; /* COMM (at most 15 characters) or /PATH */
	uint64_t at_ms, jitter_ms, every_ms;
	unsigned repeat;
};

struct rollspec_profile {
	char *name;
	unsigned weight;
	size_t sensor;	     /* index into the scenario's sensors */
	unsigned memory_mib; /* 0: the fleet's */
	char *cmdline;	     /* NULL: none */
	/* kernel:, arch: and system: as written (NULL: none); the scenario then runs the profile
	 * on the cell SENSOR[@KERNEL][@arm64][@SYSTEM-system] of its sensor, which sensor then
	 * indexes */
	char *kernel, *arch, *system;
	struct rollspec_event *events;
	size_t n_events;
};

struct rollspec_ring {
	char *name;
	bool rest; /* every machine the rings before it left */
	struct rollspec_amount size;
	uint64_t bake_ms;
	bool gate;
	struct rollspec_amount max_down;
	unsigned down_mask; /* 1 << enum verdict for each verdict that counts as down */
};

/* The rollout again with other sensors: sensor[p] for profile p. */
struct rollspec_variant {
	char *name;
	size_t *sensor; /* [n_profiles] */
};

struct rollspec {
	struct rollspec_profile *profiles;
	size_t n_profiles;
	bool has_rollout;
	char *case_name; /* NULL: the first case */
	unsigned fleet;
	struct rollspec_ring *rings;
	size_t n_rings;
	bool rollback;			   /* on_gate_failure: rollback (else halt) */
	struct rollspec_variant *variants; /* run after the rollout as written */
	size_t n_variants;
};

/* Machines a ring of size a takes of a fleet of `fleet` (not rest): a count as is, a percentage
 * rounded up, and at least one machine for a percentage above 0. */
unsigned long long rollspec_ring_want(const struct rollspec_amount *a, unsigned fleet);

/* The verdicts that count as down when a gate does not say: crash, hang, boot-loop. */
unsigned rollspec_default_down(void);

/* Read doc's profiles: and rollout: (either may be absent: *ret is then NULL). sensors names the
 * scenario's sensors (n_sensors of them), cases its case names (n_cases). Every problem is a
 * located diag in file; returns the number added (0: *ret set). */
unsigned rollspec_load(const char *file, const struct ynode *doc, const char *const *sensors,
		       size_t n_sensors, const char *const *cases, size_t n_cases,
		       struct diags *diags, struct rollspec **ret);
struct rollspec *rollspec_free(struct rollspec *r);
