/* diag.h — located diagnostics: problems found in an input file (a scenario, a sensor.yaml, a
 * format description, a mutation list), each with its file, line and column, collected so that
 * one run of `faultline validate` shows all of them.
 *
 * Ownership: a struct diags is embedded by the caller (zero-initialised) and owns its entries and
 * their strings; diags_finish() frees them and accepts NULL.
 */
#pragma once

#include <stddef.h>

/* One problem found in an input (or a file it references). */
struct diag {
	char *file;
	unsigned line, column; /* 1-based; 0 when not applicable */
	char *message;	       /* "what is wrong, what was expected" */
};

struct diags {
	size_t n;
	struct diag *v;
};

/* Append a diag (file may be NULL). */
void diag_add(struct diags *d, const char *file, unsigned line, unsigned column, const char *fmt,
	      ...) __attribute__((format(printf, 5, 6)));
void diags_finish(struct diags *d);
