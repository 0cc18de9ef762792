/* sensor.h — a sensor plug-in: guests/sensors/NAME/sensor.yaml, host side.
 *
 * The file says how to build the sensor, which files go into the guest, how to start it, how a
 * content update is delivered and how a clean rejection shows. The harness names no sensor: all
 * it knows comes from this file. The guest agent receives the guest-side part as a flat
 * key=value file (sensor_agent_conf()).
 *
 * Ownership: sensor_load() returns a sensor owning all its strings; free with sensor_free().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct sensor_file {
	char *src; /* host path; may contain $FAULTLINE_BUILD, expanded when the image is built */
	char *dst; /* absolute guest path */
};

struct sensor {
	char *name;
	char *dir; /* the sensor folder */
	char *description;
	char *format;
	char *build_command; /* NULL when nothing to build */
	struct sensor_file *files;
	size_t n_files;
	char **start;	      /* NULL-terminated */
	char *deliver_method; /* device | file | command */
	char *deliver_path;
	char *deliver_reload;
	char *deliver_command;
	char *trigger;
	bool reject_errno, reject_exit;
	char *reject_log;
};

/* Load DIR/sensor.yaml. On a bad file returns -EINVAL and *ret_error reads
 * "FILE:LINE:COL: what is wrong, what was expected" (caller frees). */
int sensor_load(const char *dir, struct sensor **ret, char **ret_error);
struct sensor *sensor_free(struct sensor *s);

/* The agent's /etc/faultline/sensor.conf text (caller frees). */
char *sensor_agent_conf(const struct sensor *s);
