/* sensor.h — a sensor plug-in: guests/sensors/NAME/sensor.yaml, host side.
 *
 * The file says how to build the sensor, which files go into the guest, how to start it, how a
 * content update is delivered and how a clean rejection shows. The harness names no sensor: all
 * it knows comes from this file. The guest agent receives the guest-side part as a flat
 * key=value file (sensor_agent_conf()).
 *
 * The schema (every other key is an error, and so is a repeated one):
 *   name: NAME                    the folder's name (required)
 *   description: TEXT
 *   format: NAME                  the format description the sensor reads (guests/formats/)
 *   build: {command: SHELL}       run in the sensor folder on the host
 *   files: [{src: HOST, dst: /GUEST}, ...]
 *   start: [SHELL, ...]           one line each, run in the guest in order
 *   deliver: {method: device|file|command, path: /GUEST, reload: SHELL, command: SHELL}
 *                                 (required; device and file need path, command needs command)
 *   trigger: SHELL
 *   reject: {errno: BOOL | [ERRNO, ...], exit_status: BOOL, log: TEXT}
 *                                 errno: the write errors that are clean rejections, by name
 *                                 (EINVAL) or number; true (the default) means EINVAL, EBADMSG
 *                                 and EPROTO, false that a failed write is the agent's problem;
 *                                 exit_status defaults to true
 *   package: PATH                 a .deb the full system's image installs (guest: {system: ...})
 *   guest: {cmdline: TEXT, modules: [NAME, ...], debug: [NAME, ...], kernel: NAME,
 *           system: NAME, disk: PATH, firmware: bios | uefi}
 *                                 extra kernel command line options, kernel modules loaded at
 *                                 boot (with their modules.dep dependencies, before the agent
 *                                 starts), and named debug presets (sensor_guest_debug_names())
 *                                 that add to the command line; a scenario may say the same
 *   watch: {process: COMM, log: /GUEST, died: TEXT, unit: NAME.service}
 *                                 a user-mode sensor's process, watched from delivery to the end
 *                                 of the observation window: process is its name as the kernel
 *                                 keeps it (/proc/PID/comm, at most 15 characters), log the file
 *                                 its stderr goes to, died a text that marks one death in that
 *                                 log (needs log or unit); unit a systemd service on a full
 *                                 system: its restart count and state (systemctl show) and its
 *                                 journal as the log; at least process, log or unit
 *   probe: {command: SHELL | counter: /GUEST, timeout: DURATION, interval: DURATION}
 *                                 is the sensor still detecting? command exits 0 when the
 *                                 trigger's event is detected (run at start, after a death every
 *                                 interval, and at the end of the window); counter instead: a
 *                                 file whose count grows when it is, read by the agent before and
 *                                 after one run of the trigger (no shell); timeout defaults to
 *                                 3s (at most 60s), interval to 200ms
 *   coverage: {process: COMM, objects: [FILE, ...]}
 *                                 a user-mode sensor's code, for `faultline fuzz`: process is
 *                                 the process whose code is covered (as watch process; default:
 *                                 watch's process), objects the file names (no '/') of shared
 *                                 objects it maps whose code counts too, its executable's always
 *                                 does (at most SENSOR_COVERAGE_OBJECTS_MAX)
 *   persist: {store: /persist/PATH, load: [SHELL, ...], healthy: [SHELL, ...]}
 *                                 content kept across reboots (boot loops): store is
 *                                 where the sensor keeps the content the harness stores, an
 *                                 absolute path under /persist (the content partition); load
 *                                 runs at every boot after start: to load the stored content,
 *                                 healthy once that boot is healthy (after load and the
 *                                 trigger). Absent: the sensor does not support persistence
 * Values the agent receives (deliver, trigger, start, reject log, watch, probe command) must be
 * one line. Booleans are read as in scenarios (true/false/yes/no/on/off, unquoted), durations
 * too (500ms, 3s).
 *
 * Ownership: a loaded sensor owns all its strings; free with sensor_free() (accepts NULL).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <errno.h>

#include "diag.h"
#include "diskboot.h"

struct ynode;

#define SENSOR_MAX_SIZE (1u << 20) /* a sensor.yaml larger than this is refused */
#define SENSOR_COMM_MAX 15	   /* the kernel's comm: TASK_COMM_LEN - 1 */
#define SENSOR_COVERAGE_OBJECTS_MAX 6
#define SENSOR_PROBE_TIMEOUT_MS 3000
#define SENSOR_PROBE_INTERVAL_MS 200

struct sensor_file {
	char *src; /* host path; may contain $FAULTLINE_BUILD, expanded when the image is built */
	char *dst; /* absolute guest path */
};

/* What the guest kernel gets besides faultline's own settings: a sensor's and a scenario's
 * guest: section, merged by sensor_guest_merge(). */
struct sensor_guest {
	char *cmdline;	/* extra command line, debug presets expanded; NULL: none */
	char **modules; /* NULL-terminated; NULL: none */
	char *system;	/* a full system built for the guest ("debian-12"); NULL: the initramfs */
	char *disk;	/* a user's disk image booted as is (absolute path); NULL: none */
	/* firmware: bios | uefi, or AUTO: found from the disk (diskboot.h) */
	enum diskboot_want firmware;
	/* "FILE:LINE" of the firmware: key, else of disk: (errors found when the disk is read);
	 * NULL without a disk */
	char *disk_at;
	char *kernel; /* debian-11|12|13, VERSION or PATH (fleet/kernels.h); NULL: the host's */
};

/* The errnos of `reject: {errno: true}`. */
#define SENSOR_REJECT_ERRNO_DEFAULT                                                                \
	{                                                                                          \
		EINVAL, EBADMSG, EPROTO                                                            \
	}

struct sensor {
	char *name;
	char *dir; /* the sensor folder (the one sensor.yaml is in) */
	char *description;
	char *format;
	/* version: the sensor build's version, or version-command: a shell command run in dir whose
	 * first line of output is (e.g. git describe); both NULL: not versioned */
	char *version, *version_command;
	char *build_command; /* NULL when nothing to build */
	struct sensor_file *files;
	size_t n_files;
	char **start;	      /* NULL-terminated */
	char *deliver_method; /* device | file | command */
	char *deliver_path;
	char *deliver_reload;
	char *deliver_command;
	char *trigger;
	bool reject_errno, reject_exit; /* reject_errno: a failed write may be a rejection */
	int *reject_errnos;		/* which errnos are, when reject_errno */
	size_t n_reject_errnos;
	char *reject_log;
	char *watch_process; /* NULL: no process watched */
	char *watch_log;     /* NULL: no log captured */
	char *watch_died;    /* NULL: deaths are the process's pid changes */
	char *watch_unit;    /* a systemd service (full systems): NRestarts, state, journal; NULL */
	char *probe_command; /* NULL: protection is not measured, unless probe_counter */
	char *probe_counter; /* the agent's counter probe (guests/agent/probe.h) instead */
	/* coverage: the process whose code mappings are covered (NULL: watch_process's, or none)
	 * and the file names of its shared objects that count too (NULL-terminated; NULL: none) */
	char *coverage_process;
	char **coverage_objects;
	unsigned probe_timeout_ms, probe_interval_ms;
	char *persist_store;	/* NULL: no persist: section (sensor_persists()) */
	char **persist_load;	/* NULL-terminated; NULL when none */
	char **persist_healthy; /* NULL-terminated; NULL when none */
	struct sensor_guest guest;
	char
	    *package; /* a .deb installed in a full system's image (host path as files src); NULL */
};

/* Parse the text of a sensor.yaml. path names it in diags, and the folder it is in is the
 * sensor's folder, whose name name: must equal. Returns 0, or -EINVAL with every problem
 * appended to diags ("what is wrong; expected what", at its line and column). */
int sensor_parse(const char *path, const void *data, size_t size, struct diags *diags,
		 struct sensor **ret);
/* Read and parse the sensor.yaml at path: as sensor_parse(), or the negative errno of reading
 * it (with a diag too). */
int sensor_load_file(const char *path, struct diags *diags, struct sensor **ret);
/* Load DIR/sensor.yaml for a caller that shows one message: on failure *ret_error holds every
 * diag, one per line, "FILE:LINE:COL: what is wrong; expected what" (caller frees). */
int sensor_load(const char *dir, struct sensor **ret, char **ret_error);
struct sensor *sensor_free(struct sensor *s);

/* Whether the sensor has a protection probe, of either kind (a command or a counter). */
bool sensor_probes(const struct sensor *s);

/* Does the sensor keep content across reboots (a persist: section)? A persistence scenario for
 * one that does not is refused. */
bool sensor_persists(const struct sensor *s);
/* The process whose code `faultline fuzz` covers: coverage process, else watch process; NULL. */
const char *sensor_coverage_process(const struct sensor *s);

/* The sensor's version: version:, or the first line version-command: prints (run with sh -c in
 * the sensor's folder). *ret NULL when it has neither. Returns 0, or -EIO when the command fails
 * or prints nothing (*ret_error says so; caller frees both). */
int sensor_version(const struct sensor *s, char **ret, char **ret_error);

/* The agent's /etc/faultline/sensor.conf text (caller frees). */
char *sensor_agent_conf(const struct sensor *s);

/* Read a guest: section (n, the map under the key) of file into *g (whose members must be
 * NULL), every problem a located diag. Returns how many diags it added. Shared with scenarios. */
unsigned sensor_guest_load(const char *file, const struct ynode *n, struct diags *diags,
			   struct sensor_guest *g);
/* a's options, then b's (modules once each, in order; b's kernel over a's, b's system or disk
 * replaces a's): a new guest (finish it). Either may be NULL. */
void sensor_guest_merge(const struct sensor_guest *a, const struct sensor_guest *b,
			struct sensor_guest *ret);
void sensor_guest_finish(struct sensor_guest *g);
/* The debug presets, NULL-terminated, and what one adds to the command line (NULL: unknown). */
const char *const *sensor_guest_debug_names(void);
/* The full systems guest: {system: NAME} can name, NULL-terminated. */
const char *const *sensor_guest_systems(void);
const char *sensor_guest_debug_cmdline(const char *name);

/* An errno by name ("EINVAL") or decimal number: 0 and its value, or -EINVAL. */
int sensor_errno_parse(const char *text, int *ret);
/* "EINVAL", or "errno 4095" in buf for a number without a name. */
const char *sensor_errno_name(int e, char buf[static 24]);

/* Where a scenario's sensors: entry leads. An entry with a '/' is a path,
 * relative to scenario_dir, of a sensor folder or of its sensor.yaml; any other is a name,
 * looked up as DIR/NAME/sensor.yaml in each of dirs (NULL-terminated) in order. Returns 0 and
 * the folder (caller frees), or -ENOENT with *ret_error saying every place it looked. */
int sensor_find(const char *entry, const char *scenario_dir, const char *const *dirs,
		char **ret_dir, char **ret_error);
/* The search path: cli_dirs (NULL-terminated, may be NULL) in order, then each entry of env
 * (a ':'-separated list, may be NULL; empty entries skipped), then shipped. A new
 * NULL-terminated list (sensor_search_path_free()). */
char **sensor_search_path(const char *const *cli_dirs, const char *env, const char *shipped);
char **sensor_search_path_free(char **path);
static inline void sensor_search_path_freep(char ***p)
{
	sensor_search_path_free(*p);
}
