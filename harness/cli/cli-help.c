/* cli-help.c — printing the generated --help texts. */
#include <stdlib.h>
#include <string.h>

#include "cli-help.h"

void cli_help_print(FILE *f, const char *command)
{
	for (const struct cli_help_page *p = cli_help_pages; p->command; p++)
		if (!strcmp(p->command, command)) {
			fputs(p->text, f);
			return;
		}
	/* every command has a page: meson generates the table from the same list */
	fprintf(stderr, "faultline bug: no help for '%s'\n", command);
	abort();
}
