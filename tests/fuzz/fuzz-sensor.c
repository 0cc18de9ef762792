/* fuzz-sensor.c — libFuzzer target: the sensor.yaml reader on arbitrary bytes, read as if it were
 * fuzz/sensor.yaml (so name: fuzz is the valid name), and the agent's sensor.conf of what loads.
 * Must never crash, hang or leak. */
#include <stdint.h>
#include <stdlib.h>

#include "sensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags d = {0};
	struct sensor *s = NULL;

	if (sensor_parse("fuzz/sensor.yaml", data, size, &d, &s) == 0) {
		free(sensor_agent_conf(s));
		sensor_free(s);
	}
	diags_finish(&d);
	return 0;
}
