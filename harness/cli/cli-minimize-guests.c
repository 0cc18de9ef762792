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

void mini_batch_init(struct mini_batch *b, size_t n)
{
	*b = (struct mini_batch){.n = n,
				 .names = xcalloc(n, sizeof(*b->names)),
				 .data = xcalloc(n, sizeof(*b->data)),
				 .sizes = xcalloc(n, sizeof(*b->sizes)),
				 .res = xcalloc(n, sizeof(*b->res))};
}

void mini_batch_finish(struct mini_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->names[i]);
		free(b->res[i].title);
		free(b->res[i].note);
	}
	free(b->names);
	free(b->data);
	free(b->sizes);
	free(b->res);
	free(b->rel);
	*b = (struct mini_batch){0};
}

static int write_batch(struct mini *m, const char *dir, const struct mini_batch *b, unsigned jobs,
		       char **ret_yaml)
{
	_cleanup_free_ char *content = xasprintf("%s/content", dir);
	_cleanup_free_ char *yaml = xasprintf("%s/minimize.yaml", dir);
	_cleanup_free_ char *text =
	    xasprintf("# faultline minimize: candidate inputs of %s on %s, one case each\n"
		      "name: minimize\nseed: 1\nsensors: [%s]\nfleet: {size: %u}\ncases:\n",
		      m->rec->case_id, m->sensor, m->sensor, jobs);
	int r = mkdir_p(content);

	for (size_t i = 0; r == 0 && i < b->n; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s.bin", content, b->names[i]);
		char *t = xasprintf("%s  - name: %s\n    content: content/%s.bin\n", text,
				    b->names[i], b->names[i]);
		free(text);
		text = t;
		r = write_file_atomic(p, b->data[i], b->sizes[i]);
	}
	if (r == 0)
		r = write_file_atomic(yaml, text, strlen(text));
	if (r < 0) {
		m->err.fault = SESSION_FAULT_HOST;
		m->err.message = xasprintf("cannot write %s: %s", dir, strerror(-r));
		m->failed = true;
		return r;
	}
	*ret_yaml = TAKE_PTR(yaml);
	return 0;
}

int mini_run_batch(struct mini *m, struct mini_batch *b)
{
	_cleanup_free_ char *rel = xasprintf("runs/%02zu", m->batch_no++);
	_cleanup_free_ char *dir = xasprintf("%s/%s", m->out, rel), *yaml = NULL;
	struct session_opts so = m->o->s;
	struct session_stats st = {0};
	struct session *s = NULL;
	int r;

	if (m->budget_spent)
		return -ECANCELED;
	so.jobs = b->n < m->slots ? (unsigned)b->n : m->slots;
	if ((r = write_batch(m, dir, b, so.jobs, &yaml)) < 0)
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
		for (size_t i = 0; i < b->n && i < st.total; i++) {
			b->res[i] = st.res[i];
			st.res[i] = (struct session_result){0};
			m->guest_runs += b->res[i].done;
		}
		if (st.interrupted) {
			m->signal = st.signal;
			r = -ECANCELED;
		}
		session_stats_finish(&st);
	}
	session_close(s);
	if (r == 0 || r == -ECANCELED)
		b->rel = TAKE_PTR(rel);
	return r;
}

/* ---- the oracle ---- */

int mini_oracle(void *userdata, const struct shrink_candidate *c, size_t n,
		struct shrink_answer *ret)
{
	struct mini *m = userdata;
	unsigned guests = n < m->slots ? (unsigned)n : m->slots;
	_cleanup_free_ char *range = n > 1 ? xasprintf("steps %zu-%zu", c[0].step, c[n - 1].step)
					   : xasprintf("step %zu", c[0].step);
	struct mini_batch b;
	int r;

	mini_batch_init(&b, n);
	for (size_t i = 0; i < n; i++) {
		b.names[i] = xasprintf("step-%zu", c[i].step);
		b.data[i] = c[i].data;
		b.sizes[i] = c[i].size;
	}
	mini_say(m, "%s: %s on %u guest%s", c[0].stage, range, guests, guests == 1 ? "" : "s");
	r = mini_run_batch(m, &b);
	for (size_t i = 0; i < n; i++) {
		const struct session_result *res = &b.res[i];

		ret[i] = (struct shrink_answer){
		    .done = res->done,
		    .same = mini_same(m, res),
		    .verdict = res->done ? xstrdup(verdict_name(res->verdict)) : NULL,
		    .title = res->title ? xstrdup(res->title) : NULL,
		    .where = b.rel ? xasprintf("%s/%s", b.rel, b.names[i]) : NULL};
		if (res->done)
			mini_say(m, "  step %zu: %s%s%s: %s", c[i].step, verdict_name(res->verdict),
				 res->note && *res->note ? " - " : "", res->note ? res->note : "",
				 ret[i].same ? "same signature" : "not the signature");
	}
	mini_batch_finish(&b);
	return r;
}
