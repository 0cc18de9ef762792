/* cli-minimize-guests.c — the guests behind `faultline minimize`: each batch of candidate
 * inputs becomes a small scenario run in a folder of its own (a complete run directory, so each
 * step keeps its record and console and replays like any case), on fresh guests restored from
 * one booted snapshot (see cli-minimize.h). */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <time.h>

#include "cli-minimize.h"
#include "util.h"

void mini_say(const struct mini *m, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "minimize [%5.1f s] ", (double)(now_ms() - m->start_ms) / 1000.0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool mini_same(const struct mini *m, const struct session_result *r)
{
	return r->done && r->verdict == m->rec->kind && streq_ptr(r->title, m->rec->title);
}

/* ---- the time budget ---- */

static pthread_mutex_t budget_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t budget_cond = PTHREAD_COND_INITIALIZER;
static bool budget_over;
static pthread_t budget_thread;

static void *budget_wait(void *arg)
{
	struct mini *m = arg;
	struct timespec until;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(m->o->budget_ms / 1000);
	until.tv_nsec += (long)(m->o->budget_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&budget_lock);
	while (!budget_over && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&budget_cond, &budget_lock, &until);
	if (!budget_over) {
		m->budget_spent = true;
		vm_host_cancel_all();
	}
	pthread_mutex_unlock(&budget_lock);
	return NULL;
}

void mini_budget_start(struct mini *m)
{
	sigset_t all, old;

	m->deadline_ms = m->start_ms + m->o->budget_ms;
	/* The session's signal thread takes Ctrl-C; this one must never get it. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&budget_thread, NULL, budget_wait, m) != 0)
		abort();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void mini_budget_stop(struct mini *m)
{
	(void)m;
	pthread_mutex_lock(&budget_lock);
	budget_over = true;
	pthread_cond_signal(&budget_cond);
	pthread_mutex_unlock(&budget_lock);
	pthread_join(budget_thread, NULL);
}

/* ---- batches ---- */

static int write_batch(struct mini *m, const char *dir, char *const *names,
		       const uint8_t *const *data, const size_t *sizes, size_t n, unsigned jobs,
		       char **ret_yaml)
{
	_cleanup_free_ char *content = xasprintf("%s/content", dir);
	_cleanup_free_ char *yaml = xasprintf("%s/minimize.yaml", dir);
	_cleanup_free_ char *text =
	    xasprintf("# faultline minimize: candidate inputs of %s on %s, one case each\n"
		      "name: minimize\nseed: 1\nsensors: [%s]\nfleet: {size: %u}\ncases:\n",
		      m->rec->case_id, m->sensor, m->sensor, jobs);
	int r = mkdir_p(content);

	for (size_t i = 0; r == 0 && i < n; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s.bin", content, names[i]);
		char *t = xasprintf("%s  - name: %s\n    content: content/%s.bin\n", text, names[i],
				    names[i]);
		free(text);
		text = t;
		r = write_file_atomic(p, data[i], sizes[i]);
	}
	if (r == 0)
		r = write_file_atomic(yaml, text, strlen(text));
	if (r < 0) {
		m->err.fault = CLI_FAULT_HOST;
		m->err.message = xasprintf("cannot write %s: %s", dir, strerror(-r));
		m->failed = true;
		return r;
	}
	*ret_yaml = TAKE_PTR(yaml);
	return 0;
}

int mini_run_batch(struct mini *m, char *const *names, const uint8_t *const *data,
		   const size_t *sizes, size_t n, struct session_result *ret, char **ret_rel)
{
	_cleanup_free_ char *rel = xasprintf("runs/%02zu", m->batch_no++);
	_cleanup_free_ char *dir = xasprintf("%s/%s", m->out, rel), *yaml = NULL;
	struct session_opts so = m->o->s;
	struct session_stats st = {0};
	struct session *s = NULL;
	int r;

	memset(ret, 0, n * sizeof(*ret));
	if (m->budget_spent)
		return -ECANCELED;
	so.jobs = n < m->slots ? (unsigned)n : m->slots;
	if ((r = write_batch(m, dir, names, data, sizes, n, so.jobs, &yaml)) < 0)
		return r;
	so.scenario_path = yaml;
	so.progress = m->images_shown ? NULL : stderr;
	m->images_shown = true;
	if ((r = session_open(&so, &s, &m->err)) < 0) {
		m->failed = true;
		return r;
	}
	struct session_run_opts ro = {.mode = FLEET_SNAPSHOT, .run_dir = dir};
	r = session_run(s, &ro, &st, &m->err);
	if (r < 0) {
		m->failed = true;
	} else {
		for (size_t i = 0; i < n && i < st.total; i++) {
			ret[i] = st.res[i];
			st.res[i] = (struct session_result){0};
			m->guest_runs += ret[i].done;
		}
		if (st.interrupted) {
			m->signal = st.signal;
			r = -ECANCELED;
		}
		session_stats_finish(&st);
	}
	session_close(s);
	if (r != -ECANCELED && r < 0)
		return r;
	*ret_rel = TAKE_PTR(rel);
	return r;
}

/* ---- the oracle ---- */

int mini_oracle(void *userdata, const struct shrink_candidate *c, size_t n,
		struct shrink_answer *ret)
{
	struct mini *m = userdata;
	_cleanup_free_ char **names = xcalloc(n, sizeof(*names));
	_cleanup_free_ const uint8_t **data = xcalloc(n, sizeof(*data));
	_cleanup_free_ size_t *sizes = xcalloc(n, sizeof(*sizes));
	_cleanup_free_ struct session_result *res = xcalloc(n, sizeof(*res));
	_cleanup_free_ char *rel = NULL;
	int r;

	for (size_t i = 0; i < n; i++) {
		names[i] = xasprintf("step-%zu", c[i].step);
		data[i] = c[i].data;
		sizes[i] = c[i].size;
	}
	unsigned guests = n < m->slots ? (unsigned)n : m->slots;
	_cleanup_free_ char *range = n > 1 ? xasprintf("steps %zu-%zu", c[0].step, c[n - 1].step)
					   : xasprintf("step %zu", c[0].step);
	mini_say(m, "%s: %s on %u guest%s", c[0].stage, range, guests, guests == 1 ? "" : "s");
	r = mini_run_batch(m, names, data, sizes, n, res, &rel);
	for (size_t i = 0; i < n; i++) {
		ret[i].done = res[i].done;
		ret[i].same = mini_same(m, &res[i]);
		ret[i].verdict = res[i].done ? xstrdup(verdict_name(res[i].verdict)) : NULL;
		ret[i].title = TAKE_PTR(res[i].title);
		ret[i].where = rel ? xasprintf("%s/%s", rel, names[i]) : NULL;
		if (res[i].done)
			mini_say(m, "  step %zu: %s%s%s: %s", c[i].step,
				 verdict_name(res[i].verdict),
				 res[i].note && *res[i].note ? " - " : "",
				 res[i].note ? res[i].note : "",
				 ret[i].same ? "same signature" : "not the signature");
		free(res[i].note);
		free(names[i]);
	}
	return r;
}
