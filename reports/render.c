/* render.c — see render.h. */
#include "render.h"

#include <inttypes.h>

const char *render_ms(char buf[32], int64_t ms)
{
	if (ms < 0)
		snprintf(buf, 32, "\xe2\x80\x93");
	else if (ms < 1000)
		snprintf(buf, 32, "%" PRId64 " ms", ms);
	else if (ms < 60000)
		snprintf(buf, 32, "%.1f s", (double)ms / 1000.0);
	else
		snprintf(buf, 32, "%" PRId64 " min %02" PRId64 " s", ms / 60000, (ms / 1000) % 60);
	return buf;
}

const char *render_plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}
