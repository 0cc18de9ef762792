/* fuzz-agent-conf.c — libFuzzer target for the guest agent's sensor.conf parser
 * (guests/agent/conf.c). Any input either parses into a conf that satisfies the documented
 * invariants or is refused with -EINVAL and a line number inside the file; nothing may crash,
 * leak or read out of bounds. Build and run: tests/fuzz/run-fuzz-agent.sh conf [SECONDS]. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_conf *c = NULL;
	const char *what = NULL;
	unsigned line = 0, lines = 1;
	int r = agent_conf_parse((const char *)data, size, &c, &line, &what);

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (r == 0) {
		if (!c || !c->name || !*c->name)
			abort();
		if (c->deliver == AGENT_DELIVER_COMMAND ? !c->command || !*c->command
							: !c->path || !*c->path)
			abort();
		for (size_t i = 0; i < c->n_start; i++)
			if (!c->start[i] || strchr(c->start[i], '\n'))
				abort();
		agent_conf_free(c);
	} else if (r != -EINVAL || c || !what || line > lines) {
		abort();
	}
	return 0;
}
