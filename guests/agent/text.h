/* text.h — the agent's bounded texts: what a command printed and what the agent concluded,
 * gathered into a fixed buffer for a RESULT, READY or WATCHED frame. */
#pragma once

#include <stddef.h>

/* Append a formatted text to out, a NUL-terminated string in a buffer of size bytes; what does not
 * fit is dropped. */
__attribute__((format(printf, 3, 4))) void agent_append(char *out, size_t size, const char *fmt,
							...);
