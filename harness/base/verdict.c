/* verdict.c — the verdict table (see verdict.h). The colours are the report's palette: every
 * solid swatch carries its ink at a contrast of at least 4.5:1 (WCAG AA). */
#include "verdict.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define FATAL (VERDICT_EXPECTABLE | VERDICT_FAILURE | VERDICT_SIGNATURE)

/* In severity order. Each row: name, flags, and the style {css, symbol, one, many, legend, colour,
 * tint, ink}. */
static const struct verdict_info table[_VERDICT_MAX] = {
    [VERDICT_BOOT_LOOP] = {"boot-loop",
			   FATAL,
			   {"bootloop", "\xe2\x9f\xb3", "boot loop", "boot loops",
			    "the persisted update crashed the guest again on reboot", "#6d1a1a",
			    "#f3d6d6", "#fff"}},
    /* Still a crash of the machine (its title is the first crash's signature), but one the
     * machine came back from. */
    [VERDICT_RECOVERED] = {"recovered",
			   FATAL,
			   {"recovered", "\xe2\x86\xba", "recovered crash", "recovered crashes",
			    "the update crashed the guest; a later boot came up healthy", "#ad1457",
			    "#fbe3ee", "#fff"}},
    [VERDICT_CRASH] = {"crash",
		       FATAL,
		       {"crash", "\xe2\x9c\x96", "crash", "crashes", "the guest kernel crashed",
			"#c62828", "#fde2e0", "#fff"}},
    [VERDICT_HANG] = {"hang",
		      FATAL,
		      {"hang", "\xe2\x97\x94", "hang", "hangs", "the guest stopped making progress",
		       "#bf360c", "#fde7dc", "#fff"}},
    [VERDICT_SENSOR_DIED] = {"sensor-died",
			     VERDICT_EXPECTABLE,
			     {"died", "\xe2\x80\xa0", "sensor died", "sensor died",
			      "a user-mode sensor died; the kernel survived", "#6a1b9a", "#efe0f5",
			      "#fff"}},
    /* The sensor took the update, or refused it, and stopped detecting: worse than any
     * acceptance, and a guest that must not take the next case (reuse mode). */
    [VERDICT_PROTECTION_LOST] = {"protection-lost",
				 VERDICT_EXPECTABLE,
				 {"blind", "\xe2\x8a\x98", "protection lost", "protection lost",
				  "the sensor survived but no longer detects the trigger's event",
				  "#5d4037", "#efe7e4", "#fff"}},
    /* The write failed with an errno the sensor does not list as a clean rejection (ENOMEM,
     * EFAULT...): its own error on this input, not a refusal of it. */
    [VERDICT_SENSOR_ERROR] = {"sensor-error",
			      VERDICT_EXPECTABLE,
			      {"senserr", "!", "sensor error", "sensor errors",
			       "the update failed with an errno the sensor does not declare a "
			       "rejection",
			       "#ad1457", "#fbe4ec", "#fff"}},
    [VERDICT_INFRA_ERROR] = {"infra-error",
			     VERDICT_ERROR,
			     {"infra", "?", "infra error", "infra errors",
			      "the harness could not run the case (not the sensor's fault)",
			      "#5f6770", "#eceff1", "#fff"}},
    /* The reports show accepted malformed inputs apart, as silent acceptances: what is left
     * here is the unmutated seed. */
    [VERDICT_ACCEPTED] = {"accepted",
			  VERDICT_EXPECTABLE | VERDICT_HEALTHY,
			  {"accepted", "\xe2\x97\x8f", "accepted", "accepted",
			   "unmutated seed content accepted, guest healthy", "#1565c0", "#e1ecfa",
			   "#fff"}},
    [VERDICT_REJECTED] = {"rejected",
			  VERDICT_EXPECTABLE | VERDICT_HEALTHY,
			  {"rejected", "\xe2\x9c\x93", "clean rejection", "clean rejections",
			   "the sensor refused the update and the guest stayed healthy", "#2e7d32",
			   "#e3f2e4", "#fff"}},
    [VERDICT_OTHER] = {"other",
		       0,
		       {"other", "\xe2\x80\xa2", "other", "other",
			"a verdict this version does not know", "#6b6b6b", "#f0f0f0", "#fff"}},
};

const struct verdict_info *verdict_info(enum verdict v)
{
	return &table[(unsigned)v < _VERDICT_MAX ? v : VERDICT_OTHER];
}

const char *verdict_name(enum verdict v)
{
	return verdict_info(v)->name;
}

bool verdict_has(enum verdict v, enum verdict_flag flag)
{
	return verdict_info(v)->flags & flag;
}

int verdict_from_name(const char *name)
{
	for (int v = 0; v < _VERDICT_MAX; v++)
		if (v != VERDICT_OTHER && strcmp(table[v].name, name) == 0)
			return v;
	return -EINVAL;
}

enum verdict verdict_parse(const char *name)
{
	int v = verdict_from_name(name);

	return v < 0 ? VERDICT_OTHER : (enum verdict)v;
}

bool verdict_is(const char *name, enum verdict v)
{
	return name && verdict_parse(name) == v;
}

static const char *expectable[_VERDICT_MAX + 1];
static char expectable_list[_VERDICT_MAX * 24];
static pthread_once_t expectable_once = PTHREAD_ONCE_INIT;

static void fill_expectable(void)
{
	size_t n = 0;

	for (int v = 0; v < _VERDICT_MAX; v++)
		if (table[v].flags & VERDICT_EXPECTABLE)
			expectable[n++] = table[v].name;
	expectable[n] = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(expectable_list);

		snprintf(expectable_list + len, sizeof(expectable_list) - len, "%s%s",
			 i == 0	      ? ""
			 : i + 1 == n ? " or "
				      : ", ",
			 expectable[i]);
	}
}

const char *const *verdict_expectable_names(void)
{
	pthread_once(&expectable_once, fill_expectable);
	return expectable;
}

const char *verdict_expectable_list(void)
{
	pthread_once(&expectable_once, fill_expectable);
	return expectable_list;
}
