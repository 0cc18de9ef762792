/* cli-help.h — the --help text of faultline and of each command. It is generated at build time
 * from the scdoc sources of the man pages (harness/cli/man/faultline*.1.scd, by scd2help.awk), so
 * that
 * --help and the man pages say the same; tests/help-man.sh checks both against the options each
 * command accepts.
 * Ownership: the texts are static.
 */
#pragma once

#include <stdio.h>

struct cli_help_page {
	const char
	    *command; /* "faultline" for faultline(1), else "run" for faultline-run(1), ... */
	const char *text;
};

/* Generated (cli-help-text.c); ends with an entry whose command is NULL. */
extern const struct cli_help_page cli_help_pages[];

/* Print COMMAND's help to F ("faultline" for the program's own). */
void cli_help_print(FILE *f, const char *command);
