/* crash.c — fatal-signal reporter (see crash.h). */
#define _GNU_SOURCE
#include "crash.h"

#include "readfile.h"

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <ucontext.h>
#include <unistd.h>

#define MAX_FRAMES 24
#define ALTSTACK_SIZE (64 * 1024)

struct sym {
	uintptr_t addr, size;
	const char *name;
};

static const char *crash_name = "sensor";
static struct sym *syms;
static size_t nsyms;
static char *strtab;
static uintptr_t stack_top; /* an address near the bottom of main's frame */

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The function symbols of /proc/self/exe, sorted by address, with the load bias applied. */
static int load_symbols(void)
{
	uint8_t *img = NULL;
	size_t size = 0;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	uintptr_t bias = 0;
	int r = read_file("/proc/self/exe", &img, &size);

	if (r < 0)
		return r;
	eh = (const Elf64_Ehdr *)img;
	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shoff == 0 ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > size) {
		free(img);
		return -ENOEXEC;
	}
	if (eh->e_type == ET_DYN)
		bias = getauxval(AT_PHDR) - eh->e_phoff;
	sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *s = &sh[i], *strs;
		const Elf64_Sym *st;
		size_t n;

		if (s->sh_type != SHT_SYMTAB || s->sh_link >= eh->e_shnum)
			continue;
		strs = &sh[s->sh_link];
		if (s->sh_offset + s->sh_size > size || strs->sh_offset + strs->sh_size > size)
			break;
		strtab = malloc(strs->sh_size + 1);
		n = s->sh_size / sizeof(*st);
		syms = calloc(n ? n : 1, sizeof(*syms));
		if (!strtab || !syms)
			break;
		memcpy(strtab, img + strs->sh_offset, strs->sh_size);
		strtab[strs->sh_size] = 0;
		st = (const Elf64_Sym *)(img + s->sh_offset);
		for (size_t j = 0; j < n; j++) {
			if (ELF64_ST_TYPE(st[j].st_info) != STT_FUNC || st[j].st_value == 0 ||
			    st[j].st_name >= strs->sh_size)
				continue;
			syms[nsyms++] = (struct sym){st[j].st_value + bias, st[j].st_size,
						     strtab + st[j].st_name};
		}
		qsort(syms, nsyms, sizeof(*syms), cmp_sym);
		break;
	}
	free(img);
	return nsyms ? 0 : -ENOENT;
}

static const struct sym *lookup(uintptr_t addr)
{
	size_t lo = 0, hi = nsyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct sym *s = &syms[lo - 1];
	/* size 0 (hand-written assembly): accept the nearest symbol below */
	if (s->size && addr >= s->addr + s->size)
		return NULL;
	return s;
}

/* ---- async-signal-safe formatting ---- */

struct line {
	char buf[512];
	size_t len;
};

static void put(struct line *l, const char *s)
{
	while (*s && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = *s++;
}

static void put_hex(struct line *l, uintptr_t v, int width)
{
	char tmp[2 + 16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v || n < width);
	put(l, "0x");
	while (n-- > 0 && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = tmp[n];
}

static void put_dec(struct line *l, long v)
{
	char tmp[24];
	int n = 0;
	unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;

	if (v < 0)
		put(l, "-");
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n-- > 0 && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = tmp[n];
}

static void put_where(struct line *l, uintptr_t addr)
{
	const struct sym *s = lookup(addr);

	if (!s) {
		put(l, "??");
		return;
	}
	put(l, s->name);
	put(l, "+");
	put_hex(l, addr - s->addr, 1);
}

static void emit(struct line *l)
{
	l->buf[l->len++] = '\n';
	(void)!write(STDERR_FILENO, l->buf, l->len);
	l->len = 0;
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGILL:
		return "SIGILL";
	case SIGFPE:
		return "SIGFPE";
	case SIGABRT:
		return "SIGABRT";
	}
	return "signal";
}

static void handler(int sig, siginfo_t *si, void *uc_)
{
	const ucontext_t *uc = uc_;
#ifdef __aarch64__ /* x29 is the frame pointer; a frame record is {next x29, lr}, as on x86 */
	uintptr_t ip = (uintptr_t)uc->uc_mcontext.pc;
	uintptr_t fp = (uintptr_t)uc->uc_mcontext.regs[29];
#else
	uintptr_t ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
#endif
	struct line l = {.len = 0};
	int saved = errno;

	/* The words of glibc's own reporters, so that a reader of user-space deaths (faultline's
	 * classify --user) takes the signal from "caught signal N" and the function from the
	 * first frame, as it does for backtrace_symbols_fd() output. */
	put(&l, crash_name);
	put(&l, ": caught signal ");
	put_dec(&l, sig);
	put(&l, " (");
	put(&l, signame(sig));
	put(&l, ") in ");
	put_where(&l, ip);
	if (sig == SIGSEGV || sig == SIGBUS) {
		put(&l, " (address ");
		put_hex(&l, (uintptr_t)si->si_addr, 1);
		put(&l, ")");
	} else if (si->si_code == SI_USER || si->si_code == SI_TKILL) {
		put(&l, " (sent by pid ");
		put_dec(&l, si->si_pid);
		put(&l, ")");
	}
	emit(&l);

	for (int i = 0; i < MAX_FRAMES; i++) {
		put(&l, crash_name);
		put(&l, "(");
		put_where(&l, ip);
		put(&l, ")[");
		put_hex(&l, ip, 1);
		put(&l, "]");
		emit(&l);
		/* Follow the saved frame pointers while they point up the same stack. */
		if (fp == 0 || (fp & 7) || fp >= stack_top || stack_top - fp > (8u << 20))
			break;
		uintptr_t next = ((const uintptr_t *)fp)[0];
		ip = ((const uintptr_t *)fp)[1];
		if (next <= fp || ip == 0)
			break;
		fp = next;
	}

	/* Die of the same signal: SA_RESETHAND restored the default action; a fault re-raises
	 * when the instruction restarts, a sent signal needs raising again. */
	signal(sig, SIG_DFL);
	errno = saved;
	raise(sig);
}

int crash_install(const char *name)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
	struct sigaction sa = {.sa_sigaction = handler,
			       .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND};
	stack_t ss = {.ss_size = ALTSTACK_SIZE};
	int marker, r;

	crash_name = name;
	/* The frames of interest are all below main's; leave room for its own frame. */
	stack_top = (uintptr_t)&marker + 4096;
	r = load_symbols();
	if (r < 0)
		return r;
	ss.ss_sp = malloc(ALTSTACK_SIZE);
	if (!ss.ss_sp || sigaltstack(&ss, NULL) < 0)
		return -ENOMEM;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	return 0;
}
