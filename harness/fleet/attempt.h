/* attempt.h — one case on a guest: the one path every case takes, from the fleet's slots (run,
 * bench, replay, minimize, rollout) and from the fuzz campaign's loop. A guest from the pool; the
 * update stored on its content partition first when the case persists; the case delivered and
 * watched (runner.h); a crash of a persisting case followed across reboots (reboot.h); the guest
 * handed back. All of it again on a fresh guest when the host, not the sensor, failed an attempt.
 *
 * Ownership: attempt_run() borrows the job; the result is the caller's (case_result_finish()).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pool.h"

/* What a caller does to the guest around its case (fuzz: zero the coverage counters before,
 * read them after). Either may be NULL. */
struct attempt_hooks {
	/* on the guest acquired, before anything is delivered */
	void (*before)(void *userdata, struct guest *g);
	/* after the case, before the guest is followed across reboots or handed back */
	void (*after)(void *userdata, const struct guest *g);
	void *userdata;
};

struct attempt_job {
	/* timeouts, max_attempts, the host's connection (cfg->host), the sensors' names */
	const struct fleet_config *cfg;
	struct pool *pool;
	unsigned slot; /* the caller's slot of the pool */
	size_t si;     /* the sensor */
	const struct scenario_case *c;
	const char *console; /* the case's console log, started afresh by every attempt */
	const size_t *next;  /* [POOL_AHEAD]: pool_acquire()'s guess at the slot's next sensors */
	const char *uri;     /* the host, for the record (res->host) */
	const struct attempt_hooks *hooks; /* NULL: none */
	bool no_probe; /* no final protection probe (runner_timeouts' no_probe) */
};

/* Run job j, up to cfg->max_attempts times: again on a fresh guest when the host failed it (an
 * infra-error that another attempt may not have, or a host stall during the case). The result is
 * the last attempt's, with what happened to the earlier ones in host_fault, and the stalls of
 * all added up. *faults: notes of the job's earlier runs on hosts that were lost (taken; NULL:
 * none). Returns 0 (res filled; *ret_reused says whether the guest had run earlier cases),
 * -ECANCELED, or -ENOTCONN when the host was lost under the job: res is then empty and *faults
 * says what happened, for the job's next run. */
int attempt_run(const struct attempt_job *j, struct case_result *res, bool *ret_reused,
		char **faults);
