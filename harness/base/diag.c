/* diag.c — see diag.h. */
#include "diag.h"

#include <stdarg.h>

#include "util.h"

void diag_add(struct diags *d, const char *file, unsigned line, unsigned column, const char *fmt,
	      ...)
{
	va_list ap;
	struct diag *x;

	d->v = xreallocarray(d->v, d->n + 1, sizeof(*d->v));
	x = &d->v[d->n++];
	x->file = file ? xstrdup(file) : NULL;
	x->line = line;
	x->column = column;
	va_start(ap, fmt);
	if (vasprintf(&x->message, fmt, ap) < 0)
		abort();
	va_end(ap);
}

void diags_finish(struct diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].message);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}
