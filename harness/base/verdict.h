/* verdict.h — the verdict table: every outcome a case can have, its name in records and
 * scenarios, how bad it is and how it counts (scenarios/README.md, the verdicts under "Schema").
 * The one place a verdict's name is spelled; how a case gets its verdict is the judge's
 * (harness/classify/judge.h), how the reports show it the palette's (reports/palette.h).
 *
 * The enum runs from worst to best, and that is the severity order everywhere: a report lists
 * verdicts in it and colours a cell by its worst verdict. A new verdict is its constant here, at
 * its place in that order, its row in verdict.c's table and its style in reports/palette.c;
 * scenario parsing, records, replay and the reports take everything else from the row.
 * Ownership: every string here is static.
 */
#pragma once

#include <stdbool.h>

enum verdict {
	VERDICT_BOOT_LOOP, /* the persisted update crashed the guest at every reboot followed */
	VERDICT_RECOVERED, /* it crashed the guest, and a later boot came up healthy */
	VERDICT_CRASH,
	VERDICT_HANG,
	VERDICT_SENSOR_DIED,
	VERDICT_PROTECTION_LOST, /* alive, kernel up, but no longer detecting (the probe failed) */
	VERDICT_SENSOR_ERROR,	 /* the delivery failed with an errno not declared a rejection */
	VERDICT_INFRA_ERROR,
	VERDICT_ACCEPTED, /* worse than rejected: on a malformed input it is a silent acceptance */
	VERDICT_REJECTED,
	VERDICT_OTHER, /* a name read from a file that this version does not know; never produced */
	_VERDICT_MAX,
};

enum verdict_flag {
	VERDICT_EXPECTABLE = 1 << 0, /* a scenario may expect it (`expect: crash`) */
	VERDICT_FAILURE = 1 << 1,    /* a case that expects nothing fails with it */
	VERDICT_SIGNATURE = 1 << 2,  /* its title is a crash signature, deduplicated across runs */
	VERDICT_ERROR = 1 << 3, /* the harness could not run the case: never the sensor's fault */
	VERDICT_HEALTHY =
	    1 << 4, /* the guest and its sensor came through: it may take another case */
};

struct verdict_info {
	const char *name; /* in records and scenarios */
	unsigned flags;	  /* enum verdict_flag */
};

/* The row of v; VERDICT_OTHER's for a value out of range. */
const struct verdict_info *verdict_info(enum verdict v);
const char *verdict_name(enum verdict v);
bool verdict_has(enum verdict v, enum verdict_flag flag);
/* The verdict named; -EINVAL for a name this version does not know ("other" included). */
int verdict_from_name(const char *name);
/* The same for a name read from a file: VERDICT_OTHER when it is not known. */
enum verdict verdict_parse(const char *name);
/* name (NULL: none) is v's. */
bool verdict_is(const char *name, enum verdict v);
/* The names a scenario may expect, in severity order, NULL-terminated. */
const char *const *verdict_expectable_names(void);
/* The same for a message: "boot-loop, recovered, ..., accepted or rejected". */
const char *verdict_expectable_list(void);
