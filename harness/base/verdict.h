/* verdict.h — the outcome of one case, and its names as they appear in records and scenarios. */
#pragma once

#include <stdbool.h>

enum verdict {
	VERDICT_CRASH,
	VERDICT_HANG,
	VERDICT_REJECTED,
	VERDICT_ACCEPTED,
	VERDICT_SENSOR_DIED,
	VERDICT_BOOT_LOOP,
	VERDICT_INFRA_ERROR,
	_VERDICT_MAX,
};

const char *verdict_name(enum verdict v);
/* Returns the verdict or -EINVAL for an unknown name. */
int verdict_from_name(const char *name);
