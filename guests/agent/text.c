/* text.c — the agent's bounded texts (see text.h). */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void agent_append(char *out, size_t size, const char *fmt, ...)
{
	size_t used = strlen(out);
	va_list ap;

	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(out + used, size - used, fmt, ap);
	va_end(ap);
}
