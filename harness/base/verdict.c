/* verdict.c — verdict names (DESIGN.md, "Verdicts"). */
#include "verdict.h"

#include <errno.h>
#include <string.h>

static const char *const names[_VERDICT_MAX] = {
    [VERDICT_CRASH] = "crash",
    [VERDICT_HANG] = "hang",
    [VERDICT_REJECTED] = "rejected",
    [VERDICT_ACCEPTED] = "accepted",
    [VERDICT_SENSOR_DIED] = "sensor-died",
    [VERDICT_BOOT_LOOP] = "boot-loop",
    [VERDICT_INFRA_ERROR] = "infra-error",
};

const char *verdict_name(enum verdict v)
{
	return (unsigned)v < _VERDICT_MAX ? names[v] : "unknown";
}

int verdict_from_name(const char *name)
{
	for (int i = 0; i < _VERDICT_MAX; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -EINVAL;
}
