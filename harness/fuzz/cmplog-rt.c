/* cmplog-rt.c — the runtime of a host program built with -fsanitize-coverage=trace-cmp for
 * `faultline fuzz --cmplog` (see cmplog.h for the protocol). The compiler calls the hooks below
 * at every integer comparison and switch of the instrumented code; they record (site, width,
 * operand 1, operand 2) in memory, and the records are written to standard output when the
 * program exits, or when it crashes (a planted bug reached in the host build too), followed by
 * one "end STATUS" line. Linked into the program, never into faultline; this file itself is built
 * without the instrumentation. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define CMPLOG_MAX 8192

struct cmplog_rec {
	uint32_t site;
	uint8_t width;
	uint64_t a, b;
};

static struct cmplog_rec recs[CMPLOG_MAX];
static size_t n_recs;
static int flushed;

void __sanitizer_cov_trace_cmp1(uint8_t a, uint8_t b);

/* Sites as offsets from a function of this program: the same in every run despite ASLR. */
static void add(void *ret, unsigned width, uint64_t a, uint64_t b)
{
	if (n_recs < CMPLOG_MAX)
		recs[n_recs++] = (struct cmplog_rec){
		    (uint32_t)((uintptr_t)ret - (uintptr_t)&__sanitizer_cov_trace_cmp1),
		    (uint8_t)width, a, b};
}

static size_t hex(char *p, uint64_t v)
{
	char tmp[16];
	size_t n = 0, k = 0;

	do
		tmp[n++] = "0123456789abcdef"[v & 15];
	while ((v >>= 4));
	while (n)
		p[k++] = tmp[--n];
	return k;
}

/* Async-signal-safe: it also runs from the crash handler. */
static void flush(int status)
{
	char line[80];

	if (flushed++)
		return;
	for (size_t i = 0; i < n_recs; i++) {
		size_t k = 0;
		k += hex(line + k, recs[i].site);
		line[k++] = ' ';
		k += hex(line + k, recs[i].width);
		line[k++] = ' ';
		k += hex(line + k, recs[i].a);
		line[k++] = ' ';
		k += hex(line + k, recs[i].b);
		line[k++] = '\n';
		if (write(1, line, k) < 0)
			break;
	}
	size_t k = 0;
	for (const char *s = "end "; *s; s++)
		line[k++] = *s;
	k += hex(line + k, (uint64_t)status);
	line[k++] = '\n';
	if (write(1, line, k) < 0)
		return;
}

static void on_crash(int sig)
{
	flush(0x100 + sig);
	_exit(0);
}

static void on_exit_flush(void)
{
	flush(0);
}

__attribute__((constructor)) static void cmplog_init(void)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_crash);
	atexit(on_exit_flush);
}

#define HOOK(name, type, w)                                                                        \
	void name(type a, type b);                                                                 \
	void name(type a, type b)                                                                  \
	{                                                                                          \
		add(__builtin_return_address(0), w, a, b);                                         \
	}
HOOK(__sanitizer_cov_trace_cmp1, uint8_t, 1)
HOOK(__sanitizer_cov_trace_cmp2, uint16_t, 2)
HOOK(__sanitizer_cov_trace_cmp4, uint32_t, 4)
HOOK(__sanitizer_cov_trace_cmp8, uint64_t, 8)
HOOK(__sanitizer_cov_trace_const_cmp1, uint8_t, 1)
HOOK(__sanitizer_cov_trace_const_cmp2, uint16_t, 2)
HOOK(__sanitizer_cov_trace_const_cmp4, uint32_t, 4)
HOOK(__sanitizer_cov_trace_const_cmp8, uint64_t, 8)

/* cases: [n, width in bits, value...]; void * as GCC declares the built-in (a build with
 * -fsanitize= checks the declaration against it) */
void __sanitizer_cov_trace_switch(uint64_t val, void *cases_);
void __sanitizer_cov_trace_switch(uint64_t val, void *cases_)
{
	const uint64_t *cases = cases_;

	for (uint64_t i = 0; i < cases[0]; i++)
		add(__builtin_return_address(0), (unsigned)(cases[1] / 8), val, cases[2 + i]);
}

/* Floating-point and division hooks the flag may also ask for: not recorded. */
void __sanitizer_cov_trace_cmpf(float a, float b);
void __sanitizer_cov_trace_cmpf(float a, float b)
{
	(void)a, (void)b;
}
void __sanitizer_cov_trace_cmpd(double a, double b);
void __sanitizer_cov_trace_cmpd(double a, double b)
{
	(void)a, (void)b;
}
