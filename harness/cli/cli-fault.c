/* cli-fault.c — messages that name the party at fault (see cli-fault.h). */
#include "cli-fault.h"

#include <errno.h>
#include <stdarg.h>

#include "diag.h"
#include "session.h"

int cli_fault_exit_status(enum session_fault f)
{
	return f == SESSION_FAULT_USAGE || f == SESSION_FAULT_SCENARIO ? 2 : 1;
}

void cli_error(enum session_fault f, const char *fmt, ...)
{
	va_list ap;
	int saved = errno; /* for a %m in fmt */

	fprintf(stderr, "faultline: %s: ", session_fault_prefix(f));
	errno = saved;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_error_diags(enum session_fault f, const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *x = &d->v[i];

		if (x->line)
			fprintf(stderr, "%s:%u:%u: %s: %s\n", x->file ? x->file : "-", x->line,
				x->column, session_fault_prefix(f), x->message);
		else
			fprintf(stderr, "%s: %s: %s\n", x->file ? x->file : "-",
				session_fault_prefix(f), x->message);
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
