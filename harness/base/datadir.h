/* datadir.h — where faultline's data lives: the image builder (guests/build-image.sh), the guest
 * agent (guests/faultline-agent), the reference sensors (guests/sensors/), the format
 * descriptions (guests/formats/) and the example scenarios (scenarios/).
 *
 * An installed binary finds them under $datadir/faultline, reached from its own location
 * (/proc/self/exe) by the bindir -> datadir relation meson was configured with, so a staged or
 * moved install still works; the build tree's binaries (and its tests) use the source tree,
 * with the agent in the build tree. $FAULTLINE_DATA_DIR, when set, names the data folder of
 * either. State (images, the embedded libvirt root) is not data: it stays under the state dir.
 * Ownership: every returned string is computed once and lives as long as the process.
 */
#pragma once

/* The data folder: $FAULTLINE_DATA_DIR, else the installed one, else the source tree. */
const char *datadir_root(void);
/* ROOT/guests/sensors, the shipped sensors: the last folder of the sensor search path, after
 * --sensors-dir and $FAULTLINE_SENSORS_DIR (sensor.h, sensor_search_path()). */
const char *datadir_sensors(void);
/* ROOT/guests/formats, unless $FAULTLINE_FORMATS_DIR names another. */
const char *datadir_formats(void);
/* ROOT/guests/build-image.sh. */
const char *datadir_image_builder(void);
/* The static guest agent: $FAULTLINE_AGENT, else ROOT/guests/faultline-agent, in the build tree
 * BUILD/guests/faultline-agent (it is built, not a source). */
const char *datadir_agent(void);
/* The QEMU coverage plugin (harness/fuzz/plugin/flcov.c): $FAULTLINE_COVERAGE_PLUGIN, else
 * ROOT/guests/flcov.so, in the build tree BUILD/harness/fuzz/plugin/flcov.so. */
const char *datadir_coverage_plugin(void);
