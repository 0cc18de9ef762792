/* cli.h — the subcommands of the faultline binary. Each takes (argc, argv) with argv[0] the
 * command name, parses its own options with getopt_long, prints for the user (errors through
 * cli-fault.h), and returns the process exit status, one of enum cli_exit. Only the commands
 * decide exit statuses; what they call returns 0 or -errno. */
#pragma once

#include <stdbool.h>

/* The exit statuses of every command; faultline(1) states the same table. */
enum cli_exit {
	CLI_EXIT_OK = 0,    /* every expectation held: the command did what was asked */
	CLI_EXIT_SHORT = 1, /* a case fell short, a regression or a failure was found */
	/* the host failed the command: its files, libvirt, a sensor's build, faultline itself
	 * (cli_fault_exit_status(): every party but the user's input) */
	CLI_EXIT_HOST = 1,
	CLI_EXIT_USAGE = 2,	/* the user's input: the command line, a scenario, a file named */
	CLI_EXIT_SIGINT = 130,	/* interrupted by SIGINT or SIGHUP (128 + 2) */
	CLI_EXIT_SIGTERM = 143, /* interrupted by SIGTERM (128 + 15) */
};

/* The status of a command that signal sig interrupted (defined in cli-fault.c). */
enum cli_exit cli_exit_interrupted(int sig);

int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);	 /* cli-bench.c */
int cmd_replay(int argc, char **argv);	 /* cli-replay.c */
int cmd_minimize(int argc, char **argv); /* cli-minimize.c */
int cmd_fuzz(int argc, char **argv);	 /* cli-fuzz.c */
int cmd_rollout(int argc, char **argv);	 /* cli-rollout.c */

/* Shared by replay and minimize (defined in cli-replay.c): read a run directory, and find the
 * record of a case (on the sensor, when one is named; the last one, as in the reports), or
 * say why not (cli_error, the user's fault). */
struct rundir;
struct record;
int cli_load_run(const char *run_dir, struct rundir **ret);
int cli_find_record(const struct rundir *run, const char *case_id, const char *sensor,
		    const struct record **ret);

/* Options run, bench, replay and minimize share (--uri u, --accel a, --jobs j, --state-dir s,
 * --sensors-dir DIR, repeatable): returns 1 when option c was one of them, 0 when not, negative
 * on a bad value (message printed). */
struct session_opts;
int cli_session_option(int c, const char *arg, struct session_opts *o);
/* getopt values of the long options that have no short one: one list, so that no two commands'
 * options share a value (--probe-every once took --db's, and run read --db URL as a number) */
enum {
	CLI_OPT_SENSORS_DIR = 0x100, /* --sensors-dir DIR */
	CLI_OPT_DB,		     /* --db URL (cli-db.h) */
	CLI_OPT_PROBE_EVERY,	     /* --probe-every N (run, bench): session_opts' probe_every */
};
#define CLI_SENSORS_DIRS_MAX 16
/* After the options: the one SCENARIO.yaml of command cmd into o, and progress on standard
 * error unless quiet. Returns 0, or -EINVAL (message printed). */
int cli_scenario_arg(int argc, char **argv, const char *cmd, bool quiet, struct session_opts *o);
/* --sensors-dir DIR: add DIR to the NULL-terminated list *dirs (at most CLI_SENSORS_DIRS_MAX,
 * process-wide storage). Returns 0 or -E2BIG (message printed). */
int cli_sensors_dir_add(const char *dir, const char *const **dirs);
#define CLI_URIS_MAX 64
/* --uri URI: add a host to the NULL-terminated list *uris (process-wide storage). 0, or -E2BIG
 * or -EINVAL (given twice) with the message printed. */
int cli_uri_add(const char *uri, const char *const **uris);
/* Their entries for a getopt_long table. */
#define CLI_SESSION_LONGOPTS                                                                       \
	{"uri", required_argument, NULL, 'u'}, {"accel", required_argument, NULL, 'a'},            \
	    {"sensors-dir", required_argument, NULL, CLI_OPT_SENSORS_DIR},                         \
	{                                                                                          \
		"state-dir", required_argument, NULL, 's'                                          \
	}
int cmd_classify(int argc, char **argv); /* cli-classify.c */
int cmd_report(int argc, char **argv);	 /* cli-report.c */
int cmd_compare(int argc, char **argv);	 /* cli-compare.c */
int cmd_merge(int argc, char **argv);	 /* cli-merge.c */
int cmd_validate(int argc, char **argv); /* cli-validate.c */
int cmd_mutate(int argc, char **argv);	 /* cli-mutate.c */
int cmd_format(int argc, char **argv);	 /* cli-format.c */
int cmd_db(int argc, char **argv);	 /* cli-db.c */
int cmd_history(int argc, char **argv);	 /* cli-history.c */

/* Shared by the commands (defined in cli-validate.c): printing scenario diags as
 * FILE:LINE:COLUMN: message. */
#include <stdio.h>
struct diags;
void cli_print_diags(FILE *f, const struct diags *d);
