/* main.c — the faultline command: dispatch to one subcommand. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "config.h"

/* What each command does is said in the man pages, and so in `faultline --help` (cli-help.h). */
struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *missing; /* set while the command is not built yet: which issue builds it */
};

static const struct command commands[] = {
    {"run", cmd_run, NULL},	  {"validate", cmd_validate, NULL},
    {"mutate", cmd_mutate, NULL}, {"classify", cmd_classify, NULL},
    {"replay", cmd_replay, NULL}, {"minimize", cmd_minimize, NULL},
    {"report", cmd_report, NULL}, {"compare", cmd_compare, NULL},
    {"bench", cmd_bench, NULL},	  {"rollout", cmd_rollout, NULL},
    {"fuzz", cmd_fuzz, NULL},	  {"format", cmd_format, NULL},
    {"db", cmd_db, NULL},	  {"history", cmd_history, NULL},
    {"merge", cmd_merge, NULL},
};

static void usage(FILE *f)
{
	cli_help_print(f, "faultline");
}

int main(int argc, char **argv)
{
	/* Guests are restored and destroyed on short-lived threads; with glibc's default of up to
	 * 8 arenas per core their small allocations spread out and the resident size creeps up
	 * over a long run. Two arenas keep it flat (faultline bench shows RSS before and after). */
	mallopt(M_ARENA_MAX, 2);
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("faultline %s\n", FAULTLINE_VERSION);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (!commands[i].fn) {
			cli_error(SESSION_FAULT_USAGE, "'%s' is not built yet (%s will build it)",
				  commands[i].name, commands[i].missing);
			return CLI_EXIT_USAGE;
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	cli_error(SESSION_FAULT_USAGE, "unknown command '%s'", argv[1]);
	fputc('\n', stderr);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
