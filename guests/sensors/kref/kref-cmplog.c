/* kref-cmplog — the kref sensor's parser and evaluator (kref-parse.c) built for the host with
 * -fsanitize-coverage=trace-cmp and faultline's cmplog runtime: `kref-cmplog FILE` loads FILE
 * as the module would and prints the operands of every comparison it made (the protocol is in
 * harness/fuzz/cmplog.h). `faultline fuzz --cmplog` runs it on the campaign's inputs. Where the
 * module would crash, this build crashes too (the runtime reports it); the registers get room
 * past their end, so a stray store is not noticed here. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>
#include <unistd.h>
#include <zlib.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;

#define KRF_FN __attribute__((noinline))
#define KRF_ALLOC(n) calloc(1, (n))
#define KRF_FREE(p) free(p)
#define KRF_REJECT(f, w) ((f)->why = (w), -22)

/* zlib is not instrumented: the CRC loop's comparisons would drown the parser's */
#define KRF_CRC32(p, n) ((u32)crc32(0, (p), (n)))

#include "kref-parse.c"

int main(int argc, char **argv);

static struct sigaction crash_next;

/* Where a crash happened, for models of the sensor (bench/kref-structural-model.sh): the program
 * counter as an offset from main (nm gives the function), then the runtime's report. */
static void crash_where(int sig, siginfo_t *si, void *uc)
{
	char line[80];
	long pc = 0;
	int n;

	(void)si;
#ifdef REG_RIP
	pc = (long)((const ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP] - (long)(uintptr_t)main;
#else
	(void)uc;
#endif
	n = snprintf(line, sizeof(line), "kref-cmplog: crash at main%+ld\n", pc);
	if (n > 0 && write(2, line, (size_t)n) < 0)
		_exit(1);
	crash_next.sa_handler(sig);
}

int main(int argc, char **argv)
{
	static u8 buf[64 << 10];
	static u32 regs[256]; /* 8, and room past them a stray store lands in */
	struct krf_file f = {0};
	FILE *in;
	size_t n;
	int r;

	if (argc != 2 || !(in = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: kref-cmplog FILE\n");
		return 2;
	}
	struct sigaction sa = {.sa_sigaction = crash_where, .sa_flags = SA_SIGINFO};
	sigaction(SIGSEGV, &sa, &crash_next);
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	f.p = buf;
	f.size = (u32)n;
	f.regs = regs;
	r = krf_load(&f);
	krf_release(&f);
	fprintf(stderr, "kref-cmplog: %s%s\n", r == 0 ? "loaded" : "rejected: ",
		r == 0	? ""
		: f.why ? f.why
			: "no memory");
	return 0;
}
