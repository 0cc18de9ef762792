/* conf.h — the guest agent's sensor description, /etc/faultline/sensor.conf.
 *
 * Written by the harness (harness/scenario/sensor.c, sensor_agent_conf()) into the initramfs. One
 * `key=value` per line, the value being the rest of the line (it may contain '='); empty lines
 * and lines starting with '#' are ignored. Keys: name, start (repeatable, kept in order),
 * deliver (device|file|command), path, reload, command, trigger, reject_errno (0/1),
 * reject_errnos (comma-separated decimal errnos, at most AGENT_REJECT_ERRNOS_MAX; default
 * EINVAL, EBADMSG, EPROTO), reject_log, reject_exit (0/1), watch_process, watch_log, watch_died,
 * probe, probe_counter (probe.h), probe_timeout_ms and probe_interval_ms (decimal, 1 to
 * AGENT_PROBE_MS_MAX; defaults 3000 and 200), and for content kept across reboots (boot loops, used
 * only with faultline.persist=1 on the kernel command line): persist_store (an absolute path under
 * /persist), persist_load and persist_healthy (repeatable, kept in order); cov_process (the sensor
 * process whose code mappings the MODULES frame reports, for coverage) and cov_objects
 * (comma-separated file names of the shared objects of it that count too). Unknown keys are
 * skipped and counted, so that an older agent still runs a newer harness's file.
 *
 * Ownership: agent_conf_parse() returns a conf owning all its strings; free with
 * agent_conf_free(), which accepts NULL.
 */
#pragma once

/* where the watch puts a watched unit's journal since delivery (watch_log) */
#define AGENT_UNIT_JOURNAL "/run/faultline-agent.journal"

#include <stdbool.h>
#include <stddef.h>

#define AGENT_PROBE_MS_MAX 60000
#define AGENT_REJECT_ERRNOS_MAX 32

enum agent_deliver {
	AGENT_DELIVER_DEVICE,  /* the update in one write() to path */
	AGENT_DELIVER_FILE,    /* the update written to path, then reload is run */
	AGENT_DELIVER_COMMAND, /* command is run with the update's path in $FAULTLINE_UPDATE */
};

struct agent_conf {
	char *name;
	char **start; /* n_start commands, in file order */
	size_t n_start;
	enum agent_deliver deliver;
	char *path;    /* NULL when absent */
	char *reload;  /* NULL when absent */
	char *command; /* NULL when absent */
	char *trigger; /* NULL when absent */
	bool reject_errno;
	int reject_errnos[AGENT_REJECT_ERRNOS_MAX]; /* the failed writes that are rejections */
	size_t n_reject_errnos;
	bool reject_exit;
	char *reject_log; /* NULL when absent */
	/* the sensor watch and protection probe (watch.h); NULL when absent */
	char *watch_process, *watch_log, *watch_died;
	/* a systemd service (full systems): watch.c reads its NRestarts and state, and copies
	 * its journal since delivery to watch_log (AGENT_UNIT_JOURNAL); NULL when absent */
	char *watch_unit;
	char *probe;
	char *probe_counter; /* the agent's counter probe (probe.h) instead of probe */
	/* coverage of a user-mode sensor: its process's name and its shared objects' file names
	 * (comma-separated); NULL when absent */
	char *cov_process, *cov_objects;
	unsigned probe_timeout_ms, probe_interval_ms;
	/* persistence (persist.h): where the sensor keeps its content, the commands that load it
	 * at boot and those run once the boot is healthy; NULL / empty when absent */
	char *persist_store;
	char **persist_load, **persist_healthy;
	size_t n_persist_load, n_persist_healthy;
	unsigned unknown_keys;
};

/* Parse a whole file's text (size bytes, NULs not allowed). Returns 0, -ENOMEM, or -EINVAL for a
 * bad file, in which case *ret_line is the 1-based line at fault (0: the file as a whole, e.g.
 * a required key missing) and *ret_what a static description. Required: name, deliver, and the
 * key the delivery method needs (path for device and file, command for command). */
int agent_conf_parse(const char *text, size_t size, struct agent_conf **ret, unsigned *ret_line,
		     const char **ret_what);
struct agent_conf *agent_conf_free(struct agent_conf *c);
const char *agent_deliver_name(enum agent_deliver d);
/* Does a write that failed with errno e count as a clean rejection (reject_errno set and e one
 * of reject_errnos)? */
bool agent_conf_rejects_errno(const struct agent_conf *c, int e);
