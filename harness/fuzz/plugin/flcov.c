/* flcov.c — a QEMU TCG plugin: edge and block coverage of the sensor's code, shared with the
 * controller through a mapped file (harness/base/covfile.h).
 *
 *   -plugin flcov.so,out=PATH[,lo=ADDR,hi=ADDR][,cmp=1]
 *
 * PATH is created when missing. Blocks are instrumented when they are translated and lie in the
 * file's ranges or, while the file names none, in [lo, hi) (default: the x86-64 kernel's module
 * area); an instrumented block that is in the file's ranges counts itself and the edge from the
 * block before it whenever it runs. Translation is where the cost is paid once: code outside the
 * ranges runs as fast as without the plugin. Each guest is a QEMU process of its own with an empty
 * translation cache, so the ranges set before its case (after its restore) decide what is
 * instrumented.
 *
 * The plugin also reads the immediate of every CMP in covered code (the sensor's magic values)
 * into the file's imms. With cmp=1, on a QEMU whose plugin API reads registers (9.0 and later;
 * memory operands from 9.2), every CMP of covered code (x86cmp.h's forms) logs its two operands
 * as it runs into the file's comparison ring; the file's `operands` says whether it does (QEMU 7.2
 * reads no registers: NONE, and nothing else changes). It links nothing but libc: it runs inside
 * QEMU, whose own functions (and GLib's) it looks up with dlsym where 7.2 has none.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "covfile.h"
#include "qemu-plugin-api.h"
#include "x86cmp.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;
static int api_version = QEMU_PLUGIN_VERSION;

/* QEMU reads qemu_plugin_version after loading the plugin, and QEMU 10 refuses version 1 while
 * QEMU 7.2 refuses anything later: declare 2 where QEMU has a function that version 2 added.
 * Which qemu_plugin_insn_data QEMU has is told by its own version, at install. */
__attribute__((constructor)) static void pick_version(void)
{
	if (dlsym(RTLD_DEFAULT, "qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu"))
		qemu_plugin_version = 2;
}

static volatile struct covfile_header *hdr;
static uint8_t *edges, *blocks;
static uint32_t mask;
static uint64_t lo = 0xffffffffa0000000ull, hi = 0xffffffffff000000ull;
static uint32_t prev[64];
static uint64_t generation;
static struct covfile_cmp *cmps; /* the ring, when operands are logged */

/* ---- comparison operands (cmp=1) ---- */

static struct {
	qemu_plugin_get_registers_t get_registers;
	qemu_plugin_read_register_t read_register;
	qemu_plugin_read_memory_vaddr_t read_memory; /* NULL: memory operands are not logged */
	struct fl_gbytes *(*bytes_new)(void);
	struct fl_gbytes *(*bytes_set_size)(struct fl_gbytes *, unsigned int);
	char *(*array_free)(struct fl_garray *, int);
} api;
static void *gpr[16];		      /* register handles, in encoding order */
static struct fl_gbytes *scratch[64]; /* a vCPU's buffer for reads */

/* Where a CMP is, and its operands: the callback's data. A fixed table (by address): a
 * retranslated block finds its CMPs' entries again instead of leaking new ones. */
struct cmp_site {
	uint64_t pc;
	uint32_t site, len;
	struct x86cmp x;
};
enum { CMP_SITES = 2048 };
static struct cmp_site sites[CMP_SITES];

/* Whether this QEMU reads registers: its functions are there. */
static bool operands_api(void)
{
	api.get_registers =
	    (qemu_plugin_get_registers_t)dlsym(RTLD_DEFAULT, "qemu_plugin_get_registers");
	api.read_register =
	    (qemu_plugin_read_register_t)dlsym(RTLD_DEFAULT, "qemu_plugin_read_register");
	api.read_memory =
	    (qemu_plugin_read_memory_vaddr_t)dlsym(RTLD_DEFAULT, "qemu_plugin_read_memory_vaddr");
	*(void **)&api.bytes_new = dlsym(RTLD_DEFAULT, "g_byte_array_new");
	*(void **)&api.bytes_set_size = dlsym(RTLD_DEFAULT, "g_byte_array_set_size");
	*(void **)&api.array_free = dlsym(RTLD_DEFAULT, "g_array_free");
	return api.get_registers && api.read_register && api.bytes_new && api.bytes_set_size &&
	       api.array_free;
}

/* A vCPU starts: its buffer, and the general registers' handles (the same for every vCPU). */
static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
	static const char *const names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
					      "rsi", "rdi", "r8",  "r9",  "r10", "r11",
					      "r12", "r13", "r14", "r15"};
	struct fl_garray *regs;

	(void)id;
	if (!scratch[vcpu & 63])
		scratch[vcpu & 63] = api.bytes_new();
	if (gpr[15] || !(regs = api.get_registers()))
		return;
	for (unsigned i = 0; i < regs->len; i++) {
		const struct fl_reg_descriptor *d =
		    (const struct fl_reg_descriptor *)regs->data + i;
		for (unsigned k = 0; k < 16; k++)
			if (d->name && !strcmp(d->name, names[k]))
				gpr[k] = d->handle;
	}
	api.array_free(regs, 1);
}

static bool read_reg(struct fl_gbytes *buf, unsigned r, uint64_t *ret)
{
	uint64_t v = 0;

	if (r > 15 || !gpr[r])
		return false;
	api.bytes_set_size(buf, 0);
	if (api.read_register(gpr[r], buf) < 8 || buf->len < 8)
		return false;
	memcpy(&v, buf->data, 8); /* the guest's order, which is the host's (x86-64 on x86-64) */
	*ret = v;
	return true;
}

static bool operand(struct fl_gbytes *buf, const struct cmp_site *s, const struct x86cmp_operand *o,
		    uint64_t *ret)
{
	uint64_t v = 0, base = 0, index = 0;

	switch (o->kind) {
	case X86CMP_IMM:
		*ret = (uint64_t)o->value;
		return true;
	case X86CMP_REG:
		if (!read_reg(buf, o->reg, &v))
			return false;
		*ret = v >> o->shift;
		return true;
	default:
		if (!api.read_memory)
			return false;
		if (o->base == X86CMP_RIP)
			base = s->pc + s->len;
		else if (o->base != X86CMP_NONE && !read_reg(buf, o->base, &base))
			return false;
		if (o->index != X86CMP_NONE && !read_reg(buf, o->index, &index))
			return false;
		api.bytes_set_size(buf, 0);
		if (!api.read_memory(base + index * o->scale + (uint64_t)o->value, buf,
				     s->x.width) ||
		    buf->len < s->x.width)
			return false;
		memcpy(&v, buf->data, s->x.width);
		*ret = v;
		return true;
	}
}

/* A CMP of covered code is about to run: its operands into the ring. */
static void cmp_exec(unsigned int vcpu, void *udata)
{
	const struct cmp_site *s = udata;
	struct fl_gbytes *buf = scratch[vcpu & 63];
	uint64_t a, b, mask = s->x.width == 8 ? ~0ull : (1ull << (8 * s->x.width)) - 1;
	uint32_t max = hdr->max_cmps;

	if (!buf || !max || !hdr->n_ranges || !operand(buf, s, &s->x.op[0], &a) ||
	    !operand(buf, s, &s->x.op[1], &b))
		return;
	uint64_t k = __atomic_fetch_add(&hdr->n_cmps, 1, __ATOMIC_RELAXED);
	cmps[k % max] = (struct covfile_cmp){
	    .site = s->site, .width = s->x.width, .a = a & mask, .b = b & mask};
}

/* The instruction's entry in the table when it is a CMP of a decoded form; NULL otherwise or
 * when the table is full. */
static struct cmp_site *cmp_site(uint64_t pc, uint64_t key, const uint8_t *bytes, size_t len)
{
	struct x86cmp x;
	uint32_t h = (uint32_t)((pc * 0x9e3779b97f4a7c15ull) >> 40) % CMP_SITES;

	if (x86cmp_decode(bytes, len, &x) < 0)
		return NULL;
	for (uint32_t i = 0; i < CMP_SITES; i++) {
		struct cmp_site *s = &sites[(h + i) % CMP_SITES];
		if (s->pc && s->pc != pc)
			continue;
		*s = (struct cmp_site){
		    .pc = pc, .site = (uint32_t)(key ^ (key >> 29)), .len = (uint32_t)len, .x = x};
		return s;
	}
	return NULL;
}

/* Whether pc is covered code; *ret_key is where it is in a way that does not depend on where the
 * module was loaded (its offset in its range, and which range), so that the blocks of two boots
 * (a template booted again, boot isolation) have the same ids. */
static bool covered(uint64_t pc, uint64_t *ret_key)
{
	uint32_t n = hdr->n_ranges;

	*ret_key = pc;
	if (n == 0 || n > COVFILE_MAX_RANGES)
		return pc >= lo && pc < hi;
	for (uint32_t i = 0; i < n; i++)
		if (pc >= hdr->ranges[i].start && pc < hdr->ranges[i].end) {
			*ret_key = (pc - hdr->ranges[i].start) | (uint64_t)i << 48;
			return true;
		}
	return false;
}

static uint32_t block_id(uint64_t key)
{
	return (uint32_t)(((key ^ (key >> 15)) * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

/* Also checked here, not only at translation: a block translated before the controller set the
 * ranges (between the guest's restore and its case) was judged by the default area. */
static void block_exec(unsigned int vcpu, void *udata)
{
	uint64_t pc = (uintptr_t)udata, key;
	uint32_t cur, e, *p = &prev[vcpu & 63];

	if (!covered(pc, &key) || !hdr->n_ranges)
		return;
	if (hdr->generation != generation) { /* a new case */
		generation = hdr->generation;
		memset(prev, 0, sizeof(prev));
	}
	cur = block_id(key);
	e = (cur ^ *p) & mask;
	if (edges[e] != 255)
		edges[e]++;
	if (blocks[cur] != 255)
		blocks[cur]++;
	*p = cur >> 1;
	hdr->execs++;
}

static void imm_add(uint64_t v)
{
	uint32_t n = hdr->n_imms;

	if (v < 2 || v == 0xff || v == 0xffff || v == 0xffffffffu || n >= COVFILE_MAX_IMMS)
		return;
	for (uint32_t i = 0; i < n; i++)
		if (hdr->imms[i] == v)
			return;
	hdr->imms[n] = v;
	hdr->n_imms = n + 1;
}

/* CMP with an immediate (3C ib, 3D iz, 80 /7 ib, 81 /7 iz, 83 /7 ib): the immediate is the
 * instruction's last bytes, whatever its addressing. */
static void scan_cmp(const uint8_t *b, size_t n)
{
	bool word = false;
	size_t i = 0, size = 0;

	for (; i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xf0 || b[i] == 0xf2 ||
			 b[i] == 0xf3 || b[i] == 0x2e || b[i] == 0x3e);
	     i++)
		word |= b[i] == 0x66;
	if (i < n && (b[i] & 0xf0) == 0x40)
		i++; /* REX */
	if (i >= n)
		return;
	if (b[i] == 0x3c)
		size = 1;
	else if (b[i] == 0x3d)
		size = word ? 2 : 4;
	else if ((b[i] == 0x80 || b[i] == 0x81 || b[i] == 0x83) && i + 1 < n &&
		 ((b[i + 1] >> 3) & 7) == 7)
		size = b[i] == 0x81 ? (word ? 2 : 4) : 1;
	if (!size || n < i + 1 + size)
		return;
	uint64_t v = 0;
	for (size_t k = 0; k < size; k++)
		v |= (uint64_t)b[n - size + k] << (8 * k);
	imm_add(v);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t pc = qemu_plugin_tb_vaddr(tb), key;

	(void)id;
	if (!covered(pc, &key))
		return;
	hdr->blocks++;
	/* magic values only of the sensor's code: not before its ranges are known */
	for (size_t i = 0; hdr->n_ranges && i < qemu_plugin_tb_n_insns(tb); i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		size_t size = qemu_plugin_insn_size(insn);
		const uint8_t *bytes = NULL;
		uint8_t buf[64];
		struct cmp_site *site;
		uint64_t ikey;

		if (api_version < 3) {
			bytes = qemu_plugin_insn_data(insn);
		} else if (size <= sizeof(buf)) {
			qemu_plugin_insn_data_v3 data =
			    (qemu_plugin_insn_data_v3)(void (*)(void))qemu_plugin_insn_data;
			size = data(insn, buf, size);
			bytes = buf;
		}
		if (!bytes)
			continue;
		scan_cmp(bytes, size);
		if (cmps && covered(qemu_plugin_insn_vaddr(insn), &ikey) &&
		    (site = cmp_site(qemu_plugin_insn_vaddr(insn), ikey, bytes, size)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, cmp_exec,
							       QEMU_PLUGIN_CB_R_REGS, site);
	}
	qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec, QEMU_PLUGIN_CB_NO_REGS,
					     (void *)(uintptr_t)pc);
}

/* Map PATH, making it first when it is missing or empty; with_cmps: with a comparison ring
 * (added to a file that has none). */
static int map_file(const char *path, bool with_cmps)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	struct covfile_header h = {.version = COVFILE_VERSION, .map_size = COVFILE_MAP_SIZE};
	struct stat st;
	size_t size;
	void *m;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size == 0) {
		memcpy(h.magic, COVFILE_MAGIC, sizeof(h.magic));
		if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
		    ftruncate(fd, COVFILE_HEADER_SIZE + 2 * (off_t)COVFILE_MAP_SIZE) < 0)
			return close(fd), -EIO;
	} else if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
		   memcmp(h.magic, COVFILE_MAGIC, sizeof(h.magic)) != 0 ||
		   h.version != COVFILE_VERSION || h.map_size < COVFILE_MAP_MIN ||
		   h.map_size > COVFILE_MAP_MAX || (h.map_size & (h.map_size - 1)) ||
		   st.st_size < (off_t)(COVFILE_HEADER_SIZE + 2 * (size_t)h.map_size)) {
		close(fd);
		return -EBADMSG;
	}
	size = COVFILE_HEADER_SIZE + 2 * (size_t)h.map_size;
	if (with_cmps && h.max_cmps == 0) {
		uint32_t max = COVFILE_MAX_CMPS;
		if (ftruncate(fd, (off_t)(size + max * sizeof(struct covfile_cmp))) < 0 ||
		    pwrite(fd, &max, sizeof(max), offsetof(struct covfile_header, max_cmps)) !=
			sizeof(max))
			return close(fd), -EIO;
		h.max_cmps = max;
	} else if (h.max_cmps > COVFILE_MAX_CMPS ||
		   (h.max_cmps &&
		    st.st_size < (off_t)(size + h.max_cmps * sizeof(struct covfile_cmp)))) {
		close(fd);
		return -EBADMSG;
	}
	size += h.max_cmps * sizeof(struct covfile_cmp);
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	hdr = m;
	edges = (uint8_t *)m + COVFILE_HEADER_SIZE;
	blocks = edges + h.map_size;
	mask = h.map_size - 1;
	if (with_cmps)
		cmps = (struct covfile_cmp *)(blocks + h.map_size);
	return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
					   char **argv)
{
	const char *path = NULL;
	bool want_cmps = false, can_cmps;
	char msg[512];
	int r;

	api_version = info->version.cur;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
		else if (!strncmp(argv[i], "lo=", 3))
			lo = strtoull(argv[i] + 3, NULL, 0);
		else if (!strncmp(argv[i], "hi=", 3))
			hi = strtoull(argv[i] + 3, NULL, 0);
		else if (!strcmp(argv[i], "cmp=1"))
			want_cmps = true;
	}
	if (!path) {
		qemu_plugin_outs("flcov: out=PATH is required\n");
		return -1;
	}
	can_cmps = want_cmps && operands_api();
	if ((r = map_file(path, can_cmps)) < 0) {
		snprintf(msg, sizeof(msg), "flcov: cannot map %s: %s\n", path, strerror(-r));
		qemu_plugin_outs(msg);
		return -1;
	}
	if (want_cmps)
		hdr->operands = can_cmps ? COVFILE_OPERANDS_LOGGED : COVFILE_OPERANDS_NONE;
	if (can_cmps)
		qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	snprintf(
	    msg, sizeof(msg), "flcov: coverage of [%#llx, %#llx) or the file's ranges in %s%s\n",
	    (unsigned long long)lo, (unsigned long long)hi, path,
	    !want_cmps ? ""
	    : can_cmps ? api.read_memory ? "; comparison operands logged"
					 : "; comparison operands logged (registers only)"
		       : "; no comparison operands: this QEMU's plugin API reads no registers");
	qemu_plugin_outs(msg);
	return 0;
}
