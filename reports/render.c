/* render.c — see render.h. */
#include "render.h"

#include <inttypes.h>

#include "util.h"

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

const char *render_count(char buf[32], size_t n)
{
	char digits[32];
	int len = snprintf(digits, sizeof(digits), "%zu", n), o = 0;

	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = 0;
	return buf;
}

const char *render_percent(char buf[32], size_t part, size_t whole)
{
	double p = whole ? 100.0 * (double)part / (double)whole : 0.0;

	if (p == 0.0 || p >= 10.0)
		snprintf(buf, 32, "%.0f%%", p);
	else if (p >= 0.1)
		snprintf(buf, 32, "%.1f%%", p);
	else
		snprintf(buf, 32, "%.2f%%", p);
	return buf;
}

const char *render_plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

char *render_replay_command(const struct record *r)
{
	const char *dir = r->run->dir;
	size_t n = strlen(dir);

	/* "run/" and "run" give the same command. */
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return xasprintf("faultline replay %.*s/%s --sensor %s", (int)n, dir, r->case_id,
			 r->sensor);
}
