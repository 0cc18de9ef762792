/* flcov.c — a QEMU TCG plugin: edge and block coverage of the sensor's code, shared with the
 * controller through a mapped file (harness/base/covfile.h).
 *
 *   -plugin flcov.so,out=PATH[,lo=ADDR,hi=ADDR][,user=1][,cmp=1]
 *
 * PATH is created when missing. Blocks are instrumented when they are translated and lie in the
 * file's ranges or, while the file names none, in [lo, hi) (default: the x86-64 kernel's module
 * area); an instrumented block that is in the file's ranges counts itself and the edge from the
 * block before it whenever it runs. Translation is where the cost is paid once: code outside the
 * ranges runs as fast as without the plugin. Each guest is a QEMU process of its own with an empty
 * translation cache, so the ranges set before its case (after its restore) decide what is
 * instrumented.
 *
 * A user-mode sensor's ranges are its process's code mappings (user=1): its blocks' ids are their
 * offsets in the mapping, whatever the address ASLR gave it. Other processes' code may lie at the
 * same addresses (every non-PIE program is linked at the same one): a range the file names a host
 * copy of (covfile_header.objects) counts a block only when the block's bytes are that file's
 * at the block's offset. Blocks translated before the controller set the ranges (between the
 * guest's restore and its case) stay in QEMU's translation cache un-instrumented unless they were
 * instrumented then: with user=1, while the file names no ranges, every user-space block is,
 * with a copy of its bytes, and is judged by the ranges when it first runs after they are set.
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
#include <pthread.h>
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
static bool user; /* user=1: the sensor is a process (see above) */

#define USER_TOP 0x0000800000000000ull /* x86-64 user space ends below */

/* What a block's callback knows of it. */
struct block {
	uint64_t pc;
	enum { UNCHECKED, OURS, ALIEN } state;
	uint32_t len;	 /* bytes kept (a block translated before the ranges were set), else 0 */
	uint8_t bytes[]; /* its code */
};

/* The host copies of the ranges' files, mapped when first needed. */
static struct object {
	char path[COVFILE_PATH_MAX];
	const uint8_t *data;
	size_t size;
	bool failed;
} objects[COVFILE_MAX_RANGES];
static pthread_mutex_t objects_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether pc is covered code; *ret_key is where it is in a way that does not depend on where the
 * module was loaded (its offset in its range, and which range), so that the blocks of two boots
 * (a template booted again, boot isolation) have the same ids. */
static bool covered(uint64_t pc, uint64_t *ret_key, uint32_t *ret_range)
{
	uint32_t n = hdr->n_ranges;

	*ret_key = pc;
	*ret_range = UINT32_MAX;
	if (n == 0 || n > COVFILE_MAX_RANGES)
		return pc >= lo && pc < hi;
	for (uint32_t i = 0; i < n; i++)
		if (pc >= hdr->ranges[i].start && pc < hdr->ranges[i].end) {
			*ret_key = (pc - hdr->ranges[i].start) | (uint64_t)i << 48;
			*ret_range = i;
			return true;
		}
	return false;
}

/* Range i's host file as the file names it ("" when unchecked); the header's last byte is NUL
 * (the controller writes it so and covfile_parse checks it), so the walk stays inside. */
static const char *object_path(uint32_t i)
{
	const char *p = (const char *)hdr->objects, *end = p + COVFILE_OBJECTS_SIZE;

	for (uint32_t k = 0; k < i && p < end; k++)
		p += strnlen(p, (size_t)(end - p)) + 1;
	return p < end ? p : "";
}

/* Map range i's host file (path), once per path. */
static const struct object *object_get(uint32_t i, const char *path)
{
	struct object *o = &objects[i];
	char msg[COVFILE_PATH_MAX + 64];

	if (!strncmp(o->path, path, sizeof(o->path)))
		return o;
	if (o->data)
		munmap((void *)o->data, o->size);
	*o = (struct object){0};
	snprintf(o->path, sizeof(o->path), "%s", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			o->data = m;
			o->size = (size_t)st.st_size;
		}
	}
	if (fd >= 0)
		close(fd);
	if (!o->data) {
		/* nothing of the range counts: the campaign sees no coverage, not someone else's */
		o->failed = true;
		snprintf(msg, sizeof(msg), "flcov: cannot map %s: the range counts nothing\n",
			 path);
		qemu_plugin_outs(msg);
	}
	return o;
}

/* Whether the len bytes b of the block at pc (in range i) are the sensor's own. len 0: the
 * bytes are unknown, which passes only an unchecked range. */
static bool ours(uint32_t i, uint64_t pc, const uint8_t *b, size_t len)
{
	const char *path = object_path(i);
	const struct object *o;
	uint64_t off;
	bool ok;

	if (!*path)
		return true;
	if (!len)
		return false;
	pthread_mutex_lock(&objects_lock);
	o = object_get(i, path);
	off = pc - hdr->ranges[i].start + hdr->offsets[i];
	ok = o->data && off < o->size && len <= o->size - off && !memcmp(o->data + off, b, len);
	pthread_mutex_unlock(&objects_lock);
	return ok;
}

static uint32_t block_id(uint64_t key)
{
	return (uint32_t)(((key ^ (key >> 15)) * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

/* Also checked here, not only at translation: a block translated before the controller set the
 * ranges (between the guest's restore and its case) was judged by the default area. */
static void block_exec(unsigned int vcpu, void *udata)
{
	struct block *b = udata;
	uint64_t key;
	uint32_t cur, e, range, *p = &prev[vcpu & 63];

	if (!covered(b->pc, &key, &range) || !hdr->n_ranges)
		return;
	if (b->state == UNCHECKED) /* translated before the ranges were set */
		b->state = ours(range, b->pc, b->bytes, b->len) ? OURS : ALIEN;
	if (b->state == ALIEN)
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

/* Instruction insn's bytes: a pointer to them (into buf, or QEMU's before API version 3). */
static const uint8_t *insn_bytes(const struct qemu_plugin_insn *insn, uint8_t *buf, size_t *size)
{
	if (api_version < 3)
		return qemu_plugin_insn_data(insn);
	qemu_plugin_insn_data_v3 data =
	    (qemu_plugin_insn_data_v3)(void (*)(void))qemu_plugin_insn_data;
	*size = *size <= 64 ? data(insn, buf, *size) : 0;
	return buf;
}

/* The block's code, contiguous from its first instruction (caller frees); NULL when an
 * instruction's bytes cannot be read. */
static uint8_t *tb_bytes(struct qemu_plugin_tb *tb, size_t *ret_len)
{
	size_t n = qemu_plugin_tb_n_insns(tb), len = 0;
	uint8_t *out = NULL, buf[64];

	for (size_t i = 0; i < n; i++)
		len += qemu_plugin_insn_size(qemu_plugin_tb_get_insn(tb, i));
	if (!len || !(out = malloc(len)))
		return NULL;
	len = 0;
	for (size_t i = 0; i < n; i++) {
		const struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		size_t size = qemu_plugin_insn_size(insn), want = size;
		const uint8_t *b = insn_bytes(insn, buf, &size);

		if (size != want)
			return free(out), NULL;
		memcpy(out + len, b, size);
		len += size;
	}
	*ret_len = len;
	return out;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t pc = qemu_plugin_tb_vaddr(tb), key;
	uint32_t range;
	bool in = covered(pc, &key, &range), early = user && !hdr->n_ranges && pc < USER_TOP;
	size_t len = 0;
	uint8_t *code = NULL;
	struct block *b;

	(void)id;
	if (!in && !early)
		return;
	/* the bytes are needed to tell the sensor's code from another process's at its addresses:
	 * now when the ranges are known, or when the block first runs after they are */
	if (user && (range != UINT32_MAX || early))
		code = tb_bytes(tb, &len);
	if (range != UINT32_MAX && !ours(range, pc, code, len)) {
		free(code);
		return;
	}
	b = malloc(sizeof(*b) + (early ? len : 0));
	if (!b) {
		free(code);
		return;
	}
	*b = (struct block){.pc = pc, .state = range != UINT32_MAX ? OURS : UNCHECKED};
	if (early && code) {
		memcpy(b->bytes, code, len);
		b->len = (uint32_t)len;
	}
	free(code);
	if (in)
		hdr->blocks++;
	/* magic values only of the sensor's code: not before its ranges are known */
	for (size_t i = 0; hdr->n_ranges && in && i < qemu_plugin_tb_n_insns(tb); i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		size_t size = qemu_plugin_insn_size(insn);
		uint8_t buf[64];
		const uint8_t *bytes = insn_bytes(insn, buf, &size);
		struct cmp_site *site;
		uint64_t ikey;
		uint32_t irange;

		scan_cmp(bytes, size);
		if (cmps && bytes && covered(qemu_plugin_insn_vaddr(insn), &ikey, &irange) &&
		    (site = cmp_site(qemu_plugin_insn_vaddr(insn), ikey, bytes, size)))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, cmp_exec,
							       QEMU_PLUGIN_CB_R_REGS, site);
	}
	qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec, QEMU_PLUGIN_CB_NO_REGS, b);
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
		else if (!strcmp(argv[i], "user=1"))
			user = true;
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
