/* attempt.c — one case on a guest, tried again when the host failed it (see attempt.h). */
#include "attempt.h"

#include <unistd.h>

#include "reboot.h"
#include "util.h"

static bool healthy(enum verdict v)
{
	return verdict_has(v, VERDICT_HEALTHY);
}

/* Persistence: the update crashed the guest. The machine reboots from its partition: follow it
 * (reboot.h). The verdict becomes the follow-up's outcome; the title stays the first crash's. */
static int follow(const struct attempt_job *j, struct guest *g, struct case_result *res)
{
	const struct fleet_config *cfg = j->cfg;
	_cleanup_free_ char *disk = pool_end_keep_disk(j->pool, g);
	_cleanup_free_ char *stem = xasprintf("consoles/%s/%s", cfg->sensors[j->si].name, j->c->id);
	struct reboot_result *rr = xzalloc(sizeof(*rr));
	int r = -EIO;

	if (disk)
		r = reboot_follow(cfg, j->si, j->c, disk, stem, rr);
	if (disk)
		pool_remove_disk(j->pool, disk);
	if (r == -ECANCELED) {
		free(rr);
		return r;
	}
	if (r < 0) {
		rr->outcome = VERDICT_INFRA_ERROR;
		rr->detail = xstrdup("faultline bug: the crashed guest had no content partition");
	}
	res->reboot = rr;
	res->reboot_first = res->verdict;
	res->verdict = judge_persisted(res->verdict, rr->outcome);
	return 0;
}

/* The case on a guest acquired: stored first when it persists, run, followed when it crashed. */
static int on_guest(const struct attempt_job *j, struct guest *g, struct case_result *res)
{
	const struct scenario_case *c = j->c;
	struct runner_timeouts tt = j->cfg->timeouts;
	const struct runner_timeouts *t = &tt;
	int r = 0;

	tt.no_probe = j->no_probe;
	if (j->hooks && j->hooks->before)
		j->hooks->before(j->hooks->userdata, g);
	if (c->persist.on)
		r = runner_store(g->vm, c->data, c->size, t, j->console, res);
	if (r == 0)
		r = runner_run_case(g->vm, c->id, c->data, c->size, t, j->console, res);
	else if (r == 1)
		r = 0; /* res says why it was not stored */
	if (j->hooks && j->hooks->after)
		j->hooks->after(j->hooks->userdata, g);
	if (r == 0 && c->persist.on && res->verdict == VERDICT_CRASH && !res->host_stall_ms)
		r = follow(j, TAKE_PTR(g), res);
	uint64_t released = now_ms();
	/* a guest whose partition holds a case's update never takes another case, unless warm
	 * isolation refills the partition before it does */
	pool_release(j->pool, j->slot, g,
		     r == 0 && healthy(res->verdict) && !res->host_stall_ms &&
			 (!c->persist.on || j->cfg->isolation == FLEET_WARM));
	res->release_ms = now_ms() - released;
	return r;
}

/* One attempt. Returns 0 (res filled), or -ECANCELED. */
static int attempt_once(const struct attempt_job *j, struct case_result *res, bool *ret_retry,
			bool *ret_reused)
{
	uint64_t start = now_ms();
	struct guest *g = NULL;
	int r;

	truncate(j->console, 0); /* a retried attempt starts a fresh log */
	*ret_reused = false;
	r = pool_acquire(j->pool, j->slot, j->si, j->next, j->console, &g, res, ret_retry);
	if (r == 0) {
		*ret_reused = !g->fresh;
		r = on_guest(j, g, res);
	}
	res->total_ms = now_ms() - start;
	return r < 0 ? r : 0;
}

/* One line for the record on what the host did to an attempt that was run again. */
static char *attempt_fault(const struct case_result *res)
{
	if (res->verdict == VERDICT_INFRA_ERROR)
		return xasprintf("attempt %d: %s", res->attempt,
				 res->detail ? res->detail : verdict_name(VERDICT_INFRA_ERROR));
	return xasprintf("attempt %d: host error: the host stalled for %llu ms (the guest got no "
			 "CPU, its clock jumped); the guest's verdict then: %s%s%s",
			 res->attempt, (unsigned long long)res->host_stall_ms,
			 verdict_name(res->verdict), res->title ? ": " : "",
			 res->title ? res->title : "");
}

int attempt_run(const struct attempt_job *j, struct case_result *res, bool *ret_reused,
		char **faults)
{
	const struct fleet_config *cfg = j->cfg;
	uint64_t stalled = 0;
	bool retry = false;
	int r = 0;

	for (unsigned attempt = 1; attempt <= cfg->max_attempts; attempt++) {
		case_result_init(res);
		res->attempt = (int)attempt;
		res->host_fault = TAKE_PTR(*faults); /* this attempt's notes follow */
		r = attempt_once(j, res, &retry, ret_reused);
		res->host = j->uri;
		if (r < 0) {
			case_result_finish(res);
			return r;
		}
		/* the host is gone: the job runs again on another (or on it once it is back) */
		if (res->verdict == VERDICT_INFRA_ERROR && vm_host_lost(cfg->host)) {
			case_result_note_host(res, "on %s: %s", res->host,
					      res->detail ? res->detail : "the host was lost");
			*faults = TAKE_PTR(res->host_fault);
			case_result_finish(res);
			return -ENOTCONN;
		}
		bool again = (res->verdict == VERDICT_INFRA_ERROR && (retry || res->retry)) ||
			     res->host_stall_ms > 0;
		if (!again || attempt == cfg->max_attempts)
			break;
		_cleanup_free_ char *line = attempt_fault(res);
		case_result_note_host(res, "%s", line);
		*faults = TAKE_PTR(res->host_fault);
		stalled += res->host_stall_ms;
		case_result_finish(res);
	}
	/* the last attempt stalled too: a failure then is not the sensor's verdict */
	if (res->host_stall_ms && !healthy(res->verdict) && res->verdict != VERDICT_INFRA_ERROR)
		runner_stalled(res, "during every attempt");
	res->host_stall_ms += stalled;
	return 0;
}
