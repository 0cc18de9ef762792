/* probe.c — one run of the protection probe (see probe.h). */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text.h"
#include "watch.h"

#define COUNTER_MAX 4096 /* a counter file's bytes read: a number, or a short stats text */

bool agent_probe_set(const struct agent_conf *c)
{
	return (c->probe && *c->probe) || (c->probe_counter && *c->probe_counter);
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0 || n > 18) /* 18 digits fit a long long */
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int agent_probe_counter_parse(const char *text, long long *ret_count)
{
	const char *m = strstr(text, "matches="), *l;

	if (m) {
		size_t n = strspn(m + 8, "0123456789");

		if (!all_digits(m + 8, n))
			return -EINVAL;
		*ret_count = strtoll(m + 8, NULL, 10);
		return 0;
	}
	for (l = text; *l;) {
		size_t n = strcspn(l, "\n");

		if (all_digits(l, n)) {
			*ret_count = strtoll(l, NULL, 10);
			return 0;
		}
		l += n + (l[n] == '\n');
	}
	return -EINVAL;
}

static int read_count(const char *path, long long *ret_count, char *out, size_t size)
{
	char buf[COUNTER_MAX];
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd >= 0)
		do
			n = read(fd, buf, sizeof(buf) - 1);
		while (n < 0 && errno == EINTR);
	e = errno; /* before close() and the message can change it */
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		agent_append(out, size, "probe: cannot read the counter %s: %s\n", path,
			     strerror(e));
		return -e;
	}
	buf[n] = 0;
	if (agent_probe_counter_parse(buf, ret_count) < 0) {
		agent_append(out, size, "probe: no counter in %s: %.80s\n", path, buf);
		return -EINVAL;
	}
	return 0;
}

static int counter_probe(const struct agent_conf *c, unsigned timeout_ms, char *out, size_t size)
{
	long long before, after;
	int st;

	if (!c->trigger || !*c->trigger) {
		agent_append(out, size, "probe: a counter probe needs the sensor's trigger\n");
		return 2;
	}
	if (read_count(c->probe_counter, &before, out, size) < 0)
		return 2;
	st = agent_run_shell(c->trigger, timeout_ms, out, size);
	if (st < 0)
		return st;
	if (read_count(c->probe_counter, &after, out, size) < 0)
		return 2;
	agent_append(out, size, "probe: %s (%s %lld -> %lld)\n",
		     after > before ? "protected" : "blind", c->probe_counter, before, after);
	return after > before ? 0 : 1;
}

int agent_probe_run(const struct agent_conf *c, unsigned timeout_ms, char *out, size_t size)
{
	if (c->probe_counter && *c->probe_counter)
		return counter_probe(c, timeout_ms, out, size);
	return agent_run_shell(c->probe, timeout_ms, out, size);
}
