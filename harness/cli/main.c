/* main.c — the faultline command: dispatch to one subcommand. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli-fault.h"
#include "cli.h"
#include "config.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
	const char *missing; /* set while the command is not built yet: which issue builds it */
};

static const struct command commands[] = {
    {"run", cmd_run, "boot guests and run a scenario's cases, one verdict each", "issue 2"},
    {"validate", cmd_validate, "check scenario files, print every error as FILE:LINE:COL",
     "issue 3"},
    {"mutate", cmd_mutate, "write the mutated inputs of a seed without booting anything",
     "issue 3"},
    {"classify", cmd_classify, "print a JSON verdict for a console log", "issue 4"},
    {"replay", cmd_replay, "re-run one recorded case on a fresh guest, compare the verdict", NULL},
    {"minimize", cmd_minimize,
     "reproduce a recorded failure, shrink its input, explain it in the format's terms", NULL},
    {"report", cmd_report, "render run directories as HTML, JUnit, Markdown or JSON", "issue 5"},
    {"compare", cmd_compare, "compare two runs; exit 1 on a new crash signature", "issue 5"},
    {"bench", cmd_bench, "measure cases/min across isolation modes", "issue 6"},
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: faultline COMMAND [OPTIONS]...\n\n"
		"Fault-injection harness for sensor drivers: boots QEMU guests through libvirt,\n"
		"delivers malformed content updates, records crashes, hangs and rejections.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s%s%s%s\n", commands[i].name, commands[i].summary,
			commands[i].fn ? "" : " (not built yet: ",
			commands[i].fn ? "" : commands[i].missing, commands[i].fn ? "" : ")");
	fprintf(f,
		"\n'faultline COMMAND --help' describes each command.\n"
		"Exit status: 0 expectations held, 1 a case fell short, 2 usage or input error.\n");
}

int main(int argc, char **argv)
{
	/* Guests are restored and destroyed on short-lived threads; with glibc's default of up to
	 * 8 arenas per core their small allocations spread out and the resident size creeps up
	 * over a long run. Two arenas keep it flat (faultline bench shows RSS before and after). */
	mallopt(M_ARENA_MAX, 2);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("faultline %s\n", FAULTLINE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (!commands[i].fn) {
			cli_error(CLI_FAULT_USAGE, "'%s' is not built yet (%s will build it)",
				  commands[i].name, commands[i].missing);
			return 2;
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	cli_error(CLI_FAULT_USAGE, "unknown command '%s'", argv[1]);
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}
