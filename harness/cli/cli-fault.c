/* cli-fault.c — messages that name the party at fault (see cli-fault.h). */
#include "cli-fault.h"

#include <errno.h>
#include <stdarg.h>

#include "diag.h"
#include "session.h"

static const char *const prefixes[] = {
    [CLI_FAULT_USAGE] = "usage",
    [CLI_FAULT_SCENARIO] = "scenario error",
    [CLI_FAULT_SENSOR] = "sensor error",
    [CLI_FAULT_LIBVIRT] = "libvirt error",
    [CLI_FAULT_GUEST] = "guest kernel crash",
    [CLI_FAULT_HOST] = "host error",
    [CLI_FAULT_BUG] = "faultline bug",
};

const char *cli_fault_prefix(enum cli_fault f)
{
	return (unsigned)f < ARRAY_SIZE(prefixes) ? prefixes[f] : prefixes[CLI_FAULT_BUG];
}

int cli_fault_exit_status(enum cli_fault f)
{
	return f == CLI_FAULT_USAGE || f == CLI_FAULT_SCENARIO ? 2 : 1;
}

enum cli_fault cli_fault_parse(const char *reason, enum cli_fault fallback, const char **ret_rest)
{
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);

		if (strncmp(reason, prefixes[i], n) == 0 && reason[n] == ':') {
			*ret_rest = reason + n + 1 + (reason[n + 1] == ' ');
			return (enum cli_fault)i;
		}
	}
	*ret_rest = reason;
	return fallback;
}

void cli_error(enum cli_fault f, const char *fmt, ...)
{
	va_list ap;
	int saved = errno; /* for a %m in fmt */

	fprintf(stderr, "faultline: %s: ", cli_fault_prefix(f));
	errno = saved;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_error_diags(enum cli_fault f, const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *x = &d->v[i];

		if (x->line)
			fprintf(stderr, "%s:%u:%u: %s: %s\n", x->file ? x->file : "-", x->line,
				x->column, cli_fault_prefix(f), x->message);
		else
			fprintf(stderr, "%s: %s: %s\n", x->file ? x->file : "-",
				cli_fault_prefix(f), x->message);
	}
}

int cli_session_failed(struct session_error *e)
{
	int status = cli_fault_exit_status(e->fault);

	cli_error_diags(e->fault, &e->diags);
	if (e->message)
		cli_error(e->fault, "%s", e->message);
	session_error_finish(e);
	return status;
}
