/* progress.c — the live progress line: counts under a lock, a ticker thread that redraws. */
#include "progress.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* At most four redraws a second; at least one while nothing happens, so that the clock and the
 * time left keep moving on cases that take minutes. */
#define MIN_REDRAW_MS 250
#define IDLE_REDRAW_MS 1000

struct progress {
	FILE *f;
	bool color;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t ticker;
	bool running, stop, drawn;
	/* the run being counted */
	char *label;
	size_t total, done, done_before;
	size_t verdicts[_VERDICT_MAX];
	uint64_t start_ms, last_draw_ms;
};

static bool color_wanted(void)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	return !(no && *no) && !(term && streq(term, "dumb"));
}

struct progress *progress_new(FILE *f, bool quiet)
{
	const char *ci = getenv("CI");
	struct progress *p;

	if (!f || quiet || (ci && *ci) || !isatty(fileno(f)))
		return NULL;
	p = xzalloc(sizeof(*p));
	p->f = f;
	p->color = color_wanted();
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	return p;
}

struct progress *progress_free(struct progress *p)
{
	if (!p)
		return NULL;
	progress_end(p);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->label);
	free(p);
	return NULL;
}

static void span(char *buf, size_t size, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (s >= 3600)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, size, "%" PRIu64 "s", s);
}

/* Colours only where they tell something: what fell over, and what could not run. */
static const char *verdict_color(enum verdict v)
{
	switch (v) {
	case VERDICT_CRASH:
	case VERDICT_SENSOR_DIED:
	case VERDICT_BOOT_LOOP:
	case VERDICT_RECOVERED:
		return "\033[31m";
	case VERDICT_HANG:
		return "\033[33m";
	case VERDICT_INFRA_ERROR:
		return "\033[35m";
	default:
		return NULL;
	}
}

struct line {
	char text[512];
	size_t len, visible;
};

static void put(struct line *l, bool visible, const char *fmt, ...) _printf_(3, 4);
static void put(struct line *l, bool visible, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->text) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->text + l->len, sizeof(l->text) - l->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(l->text) - 1 - l->len)
		n = (int)(sizeof(l->text) - 1 - l->len);
	l->len += (size_t)n;
	if (visible)
		l->visible += (size_t)n;
}

/* The line at a level of detail: 0 everything, 1 without the label and the time elapsed, 2 also
 * without the rate, 3 also without colours. */
static void compose(const struct progress *p, uint64_t now, int level, struct line *l)
{
	uint64_t elapsed = now - p->start_ms;
	size_t fresh = p->done - p->done_before;
	bool first = true;
	char t[32];

	*l = (struct line){0};
	if (p->label && level < 1)
		put(l, true, "%s ", p->label);
	put(l, true, "%zu/%zu", p->done, p->total);
	for (int v = 0; v < _VERDICT_MAX; v++) {
		const char *c = p->color && level < 3 ? verdict_color((enum verdict)v) : NULL;

		if (!p->verdicts[v])
			continue;
		put(l, true, " %s", first ? "| " : "");
		first = false;
		if (c)
			put(l, false, "%s", c);
		put(l, true, "%s %zu", verdict_name((enum verdict)v), p->verdicts[v]);
		if (c)
			put(l, false, "\033[0m");
	}
	/* the rate counts only the results of this invocation, over its own time */
	if (level < 2) {
		if (fresh && elapsed)
			put(l, true, " | %.1f cases/min",
			    (double)fresh * 60000.0 / (double)elapsed);
		else
			put(l, true, " | - cases/min");
	}
	if (level < 1) {
		span(t, sizeof(t), elapsed);
		put(l, true, " | %s", t);
	}
	if (fresh && elapsed && p->done < p->total) {
		span(t, sizeof(t), elapsed * (p->total - p->done) / fresh);
		put(l, true, " | ETA %s", t);
	} else if (p->done < p->total) {
		put(l, true, " | ETA -");
	}
}

static unsigned columns(FILE *f)
{
	struct winsize ws;

	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* Called with the lock held. The line never reaches the last column: a terminal that wraps it
 * would leave every redraw behind on a line of its own. */
static void draw(struct progress *p, uint64_t now)
{
	unsigned cols = columns(p->f);
	struct line l;
	int level = 0;

	compose(p, now, level, &l);
	while (l.visible >= cols && level < 3)
		compose(p, now, ++level, &l);
	if (l.visible >= cols)
		l.text[cols > 1 ? cols - 1 : 0] = '\0';
	fprintf(p->f, "\r\033[K%s", l.text);
	fflush(p->f);
	p->drawn = true;
	p->last_draw_ms = now;
}

static void *ticker(void *arg)
{
	struct progress *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct timespec until;
		uint64_t now;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += MIN_REDRAW_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->wake, &p->lock, &until);
		now = now_ms();
		if (!p->stop && now - p->last_draw_ms >= IDLE_REDRAW_MS)
			draw(p, now);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void progress_begin(struct progress *p, const char *label, size_t total)
{
	sigset_t all, old;

	if (!p)
		return;
	progress_end(p);
	free(p->label);
	p->label = label ? xstrdup(label) : NULL;
	p->total = total;
	p->done = p->done_before = 0;
	memset(p->verdicts, 0, sizeof(p->verdicts));
	p->start_ms = now_ms();
	p->stop = false;
	draw(p, p->start_ms);
	/* signals stay with the threads that wait for them, never the ticker */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	p->running = pthread_create(&p->ticker, NULL, ticker, p) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void progress_result(struct progress *p, enum verdict v, bool recorded_before)
{
	uint64_t now;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->done++;
	if (recorded_before)
		p->done_before++;
	if ((unsigned)v < _VERDICT_MAX)
		p->verdicts[v]++;
	now = now_ms();
	if (now - p->last_draw_ms >= MIN_REDRAW_MS)
		draw(p, now);
	pthread_mutex_unlock(&p->lock);
}

void progress_end(struct progress *p)
{
	if (!p)
		return;
	if (p->running) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_signal(&p->wake);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->ticker, NULL);
		p->running = false;
	}
	if (p->drawn) {
		fputs("\r\033[K", p->f);
		fflush(p->f);
		p->drawn = false;
	}
}
