/* teardown-shim.c — an LD_PRELOAD shim for tests/vm/stress-teardown.sh: it makes libvirt's
 * chrdev race (harness/fleet/vm.c, at the top) happen every time it can, instead of once in
 * thousands of runs, and it can make a guest's teardown hang, for vm_destroy's watchdog.
 *
 * The race. libvirt 9.0's virChrdevFree() (a stopped domain's object being disposed, usually
 * on libvirt's "qemu-event" thread) holds the domain's chrdev lock while it unhooks every
 * stream still open on the domain: virFDStreamSetInternalCloseCb(st, NULL, ...), which takes
 * the stream's lock. A virStreamAbort() of one of those streams holds the stream's lock, clears
 * the stream's private data, then wants the chrdev lock. The window is a few microseconds.
 *   SHIM_WIDEN_MS=N (default 3000) sleeps N ms in every such unhooking call, before it takes
 *     the stream's lock, as if the disposing thread had been preempted there: an abort of a
 *     stream still open on a domain being disposed then runs into it for sure. Alone, the
 *     disposing thread then finds the stream's private data cleared and crashes the process.
 *   SHIM_HANG=1 also holds the aborting thread, after it has taken the stream's lock (in the
 *     close of the stream's descriptor, virFileClose), until the disposing thread has woken and
 *     waits for that lock: the deadlock that hung CI, every time.
 *   SHIM_STALL_DESTROY=1: virDomainDestroy() never returns, for the watchdog.
 * The calls go through the PLT (libvirt's own included), so the shim sees them. Both libvirt
 * paths that unhook a stream hold the chrdev lock: virChrdevFree, and virChrdevOpen with FORCE
 * when the device is already open (faultline opens each device once).
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int virFDStreamSetInternalCloseCb(void *st, void *cb, void *opaque, void *fcb);
int virFileClose(int *fdptr, unsigned flags);
int virDomainDestroy(void *dom);

static volatile int unhooking; /* threads sleeping in an unhooking call */
static volatile uint64_t woke_ms;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void *next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f)
		abort();
	return f;
}

int virFDStreamSetInternalCloseCb(void *st, void *cb, void *opaque, void *fcb)
{
	static int (*real)(void *, void *, void *, void *);
	const char *e = getenv("SHIM_WIDEN_MS");
	long ms = e ? atol(e) : 3000;

	if (!real)
		real = next("virFDStreamSetInternalCloseCb");
	if (!cb && ms > 0) {
		fprintf(stderr, "teardown-shim: holding a chrdev lock for %ld ms\n", ms);
		__atomic_add_fetch(&unhooking, 1, __ATOMIC_SEQ_CST);
		sleep_ms(ms);
		woke_ms = now_ms();
		__atomic_sub_fetch(&unhooking, 1, __ATOMIC_SEQ_CST);
	}
	return real(st, cb, opaque, fcb);
}

int virFileClose(int *fdptr, unsigned flags)
{
	static int (*real)(int *, unsigned);
	const char *e = getenv("SHIM_HANG");

	if (!real)
		real = next("virFileClose");
	if (e && *e == '1' && __atomic_load_n(&unhooking, __ATOMIC_SEQ_CST) > 0) {
		uint64_t since = woke_ms;

		/* until the unhooking thread woke up and went for the stream's lock */
		while (woke_ms == since)
			sleep_ms(10);
		sleep_ms(500);
	}
	return real(fdptr, flags);
}

int virDomainDestroy(void *dom)
{
	static int (*real)(void *);
	const char *e = getenv("SHIM_STALL_DESTROY");

	if (!real)
		real = next("virDomainDestroy");
	if (e && *e == '1') {
		fprintf(stderr, "teardown-shim: virDomainDestroy stalls for good\n");
		for (;;)
			pause();
	}
	return real(dom);
}
