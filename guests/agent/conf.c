/* conf.c — parse /etc/faultline/sensor.conf (see conf.h). Pure: no I/O, so it is unit tested
 * and fuzzed on the host. */
#include "conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

struct agent_conf *agent_conf_free(struct agent_conf *c)
{
	if (!c)
		return NULL;
	free(c->name);
	free_list(c->start, c->n_start);
	free_list(c->persist_load, c->n_persist_load);
	free_list(c->persist_healthy, c->n_persist_healthy);
	free(c->persist_store);
	free(c->path);
	free(c->reload);
	free(c->command);
	free(c->trigger);
	free(c->reject_log);
	free(c->watch_process);
	free(c->watch_log);
	free(c->watch_died);
	free(c->watch_unit);
	free(c->probe);
	free(c->cov_process);
	free(c->cov_objects);
	free(c->probe_counter);
	free(c);
	return NULL;
}

const char *agent_deliver_name(enum agent_deliver d)
{
	switch (d) {
	case AGENT_DELIVER_DEVICE:
		return "device";
	case AGENT_DELIVER_FILE:
		return "file";
	case AGENT_DELIVER_COMMAND:
		return "command";
	}
	return "?";
}

bool agent_conf_rejects_errno(const struct agent_conf *c, int e)
{
	if (!c->reject_errno)
		return false;
	for (size_t i = 0; i < c->n_reject_errnos; i++)
		if (c->reject_errnos[i] == e)
			return true;
	return false;
}

/* "22,74,71": 1 to AGENT_REJECT_ERRNOS_MAX numbers from 1 to 4095. */
static int parse_errnos(const char *v, size_t n, struct agent_conf *c)
{
	size_t k = 0, i = 0;

	while (i < n) {
		unsigned e = 0;
		size_t start = i;

		while (i < n && v[i] >= '0' && v[i] <= '9' && e <= 4095)
			e = e * 10 + (unsigned)(v[i++] - '0');
		if (i == start || e == 0 || e > 4095 || k == AGENT_REJECT_ERRNOS_MAX)
			return -EINVAL;
		c->reject_errnos[k++] = (int)e;
		if (i < n && v[i++] != ',')
			return -EINVAL;
		if (i == n && v[n - 1] == ',')
			return -EINVAL;
	}
	if (k == 0)
		return -EINVAL;
	c->n_reject_errnos = k;
	return 0;
}

static int set_string(char **dst, const char *v, size_t n)
{
	char *s = strndup(v, n);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* Append a copy of v to a repeatable key's list. */
static int append_string(char ***list, size_t *n, const char *v, size_t vlen)
{
	char **nl = realloc(*list, (*n + 1) * sizeof(*nl));

	if (!nl)
		return -ENOMEM;
	*list = nl;
	nl[*n] = strndup(v, vlen);
	if (!nl[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int parse_bool(const char *v, size_t n, bool *ret)
{
	if (n == 1 && (v[0] == '0' || v[0] == '1')) {
		*ret = v[0] == '1';
		return 0;
	}
	return -EINVAL;
}

static int parse_ms(const char *v, size_t n, unsigned *ret)
{
	unsigned x = 0;

	if (n == 0 || n > 5)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	if (x == 0 || x > AGENT_PROBE_MS_MAX)
		return -EINVAL;
	*ret = x;
	return 0;
}

static int fail(unsigned line, const char *what, unsigned *ret_line, const char **ret_what)
{
	*ret_line = line;
	*ret_what = what;
	return -EINVAL;
}

int agent_conf_parse(const char *text, size_t size, struct agent_conf **ret, unsigned *ret_line,
		     const char **ret_what)
{
	struct agent_conf *c;
	bool have_deliver = false;
	unsigned line = 0;
	size_t off = 0;
	int r = 0;

	if (memchr(text, 0, size))
		return fail(0, "file contains a NUL byte", ret_line, ret_what);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->probe_timeout_ms = 3000;
	c->probe_interval_ms = 200;
	/* sensor.h's SENSOR_REJECT_ERRNO_DEFAULT, for a file that does not list them */
	c->reject_errnos[0] = EINVAL;
	c->reject_errnos[1] = EBADMSG;
	c->reject_errnos[2] = EPROTO;
	c->n_reject_errnos = 3;
	while (off < size) {
		const char *l = text + off, *nl = memchr(l, '\n', size - off), *eq;
		size_t len = nl ? (size_t)(nl - l) : size - off, klen, vlen;
		const char *v;

		off += len + (nl ? 1 : 0);
		line++;
		if (len && l[len - 1] == '\r')
			len--;
		if (len == 0 || l[0] == '#')
			continue;
		eq = memchr(l, '=', len);
		if (!eq || eq == l) {
			r = fail(line, "expected key=value", ret_line, ret_what);
			goto out;
		}
		klen = (size_t)(eq - l);
		v = eq + 1;
		vlen = len - klen - 1;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(l, k, klen) == 0)
		if (KEY("name")) {
			r = set_string(&c->name, v, vlen);
		} else if (KEY("start")) {
			r = append_string(&c->start, &c->n_start, v, vlen);
		} else if (KEY("persist_load")) {
			r = append_string(&c->persist_load, &c->n_persist_load, v, vlen);
		} else if (KEY("persist_healthy")) {
			r = append_string(&c->persist_healthy, &c->n_persist_healthy, v, vlen);
		} else if (KEY("persist_store")) {
			/* under /persist (the content partition), or anywhere on a full system's
			 * own disk, where its package keeps content */
			if (vlen < 2 || v[0] != '/' || v[vlen - 1] == '/') {
				r = fail(line, "persist_store must be an absolute file path",
					 ret_line, ret_what);
				goto out;
			}
			r = set_string(&c->persist_store, v, vlen);
		} else if (KEY("deliver")) {
			if (vlen == 6 && memcmp(v, "device", 6) == 0)
				c->deliver = AGENT_DELIVER_DEVICE;
			else if (vlen == 4 && memcmp(v, "file", 4) == 0)
				c->deliver = AGENT_DELIVER_FILE;
			else if (vlen == 7 && memcmp(v, "command", 7) == 0)
				c->deliver = AGENT_DELIVER_COMMAND;
			else {
				r = fail(line, "deliver must be device, file or command", ret_line,
					 ret_what);
				goto out;
			}
			have_deliver = true;
		} else if (KEY("path")) {
			r = set_string(&c->path, v, vlen);
		} else if (KEY("reload")) {
			r = set_string(&c->reload, v, vlen);
		} else if (KEY("command")) {
			r = set_string(&c->command, v, vlen);
		} else if (KEY("trigger")) {
			r = set_string(&c->trigger, v, vlen);
		} else if (KEY("reject_log")) {
			r = set_string(&c->reject_log, v, vlen);
		} else if (KEY("reject_errno")) {
			if (parse_bool(v, vlen, &c->reject_errno) < 0) {
				r = fail(line, "reject_errno must be 0 or 1", ret_line, ret_what);
				goto out;
			}
		} else if (KEY("reject_errnos")) {
			if (parse_errnos(v, vlen, c) < 0) {
				r = fail(line, "reject_errnos must be a list of errno numbers",
					 ret_line, ret_what);
				goto out;
			}
		} else if (KEY("reject_exit")) {
			if (parse_bool(v, vlen, &c->reject_exit) < 0) {
				r = fail(line, "reject_exit must be 0 or 1", ret_line, ret_what);
				goto out;
			}
		} else if (KEY("watch_process")) {
			r = set_string(&c->watch_process, v, vlen);
		} else if (KEY("watch_log")) {
			r = set_string(&c->watch_log, v, vlen);
		} else if (KEY("watch_died")) {
			r = set_string(&c->watch_died, v, vlen);
		} else if (KEY("watch_unit")) {
			r = set_string(&c->watch_unit, v, vlen);
		} else if (KEY("probe")) {
			r = set_string(&c->probe, v, vlen);
		} else if (KEY("cov_process")) {
			r = set_string(&c->cov_process, v, vlen);
		} else if (KEY("cov_objects")) {
			r = set_string(&c->cov_objects, v, vlen);
		} else if (KEY("probe_counter")) {
			r = set_string(&c->probe_counter, v, vlen);
		} else if (KEY("probe_timeout_ms") || KEY("probe_interval_ms")) {
			unsigned *dst =
			    KEY("probe_timeout_ms") ? &c->probe_timeout_ms : &c->probe_interval_ms;

			if (parse_ms(v, vlen, dst) < 0) {
				r = fail(
				    line,
				    "probe_timeout_ms and probe_interval_ms must be 1 to 60000",
				    ret_line, ret_what);
				goto out;
			}
		} else {
			c->unknown_keys++;
		}
#undef KEY
		if (r < 0)
			goto out;
	}
	/* An empty value means "not set", as the harness omits empty keys anyway. */
	if (!c->name || !*c->name) {
		r = fail(0, "name is missing", ret_line, ret_what);
		goto out;
	}
	if (!have_deliver) {
		r = fail(0, "deliver is missing", ret_line, ret_what);
		goto out;
	}
	if (c->deliver != AGENT_DELIVER_COMMAND && (!c->path || !*c->path)) {
		r = fail(0, "path is missing (device and file delivery need it)", ret_line,
			 ret_what);
		goto out;
	}
	if (c->deliver == AGENT_DELIVER_COMMAND && (!c->command || !*c->command)) {
		r = fail(0, "command is missing (command delivery needs it)", ret_line, ret_what);
		goto out;
	}
	/* a unit's log is its journal, which the watch copies to a file of its own */
	if (c->watch_unit && *c->watch_unit && !(c->watch_log && *c->watch_log)) {
		free(c->watch_log);
		c->watch_log = strdup(AGENT_UNIT_JOURNAL);
		if (!c->watch_log) {
			r = -ENOMEM;
			goto out;
		}
	}
	*ret = c;
	return 0;
out:
	agent_conf_free(c);
	return r;
}
