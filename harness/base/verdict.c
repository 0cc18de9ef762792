/* verdict.c — the verdict table (see verdict.h). How the reports show each verdict is theirs
 * (reports/palette.c). */
#include "verdict.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define FATAL (VERDICT_EXPECTABLE | VERDICT_FAILURE | VERDICT_SIGNATURE)

/* In severity order. Each row: name, flags. */
static const struct verdict_info table[_VERDICT_MAX] = {
    [VERDICT_BOOT_LOOP] = {"boot-loop", FATAL},
    /* Still a crash of the machine (its title is the first crash's signature), but one the
     * machine came back from. */
    [VERDICT_RECOVERED] = {"recovered", FATAL},
    [VERDICT_CRASH] = {"crash", FATAL},
    [VERDICT_HANG] = {"hang", FATAL},
    [VERDICT_SENSOR_DIED] = {"sensor-died", VERDICT_EXPECTABLE},
    /* The sensor took the update, or refused it, and stopped detecting: worse than any
     * acceptance, and a guest that must not take the next case (reuse mode). */
    [VERDICT_PROTECTION_LOST] = {"protection-lost", VERDICT_EXPECTABLE},
    /* The write failed with an errno the sensor does not list as a clean rejection (ENOMEM,
     * EFAULT...): its own error on this input, not a refusal of it. */
    [VERDICT_SENSOR_ERROR] = {"sensor-error", VERDICT_EXPECTABLE},
    [VERDICT_INFRA_ERROR] = {"infra-error", VERDICT_ERROR},
    /* The reports show accepted malformed inputs apart, as silent acceptances: what is left
     * here is the unmutated seed. */
    [VERDICT_ACCEPTED] = {"accepted", VERDICT_EXPECTABLE | VERDICT_HEALTHY},
    [VERDICT_REJECTED] = {"rejected", VERDICT_EXPECTABLE | VERDICT_HEALTHY},
    [VERDICT_OTHER] = {"other", 0},
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
