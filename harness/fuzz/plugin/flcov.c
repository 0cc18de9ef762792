/* flcov.c — a QEMU TCG plugin: edge and block coverage of the sensor's code, shared with the
 * controller through a mapped file (harness/base/covfile.h).
 *
 *   -plugin flcov.so,out=PATH[,lo=ADDR,hi=ADDR]
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
 * into the file's imms. It links nothing but libc: it runs inside QEMU.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "covfile.h"
#include "qemu-plugin-api.h"

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
		const struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		size_t size = qemu_plugin_insn_size(insn);
		uint8_t buf[64];

		if (api_version < 3) {
			scan_cmp(qemu_plugin_insn_data(insn), size);
		} else if (size <= sizeof(buf)) {
			qemu_plugin_insn_data_v3 data =
			    (qemu_plugin_insn_data_v3)(void (*)(void))qemu_plugin_insn_data;
			scan_cmp(buf, data(insn, buf, size));
		}
	}
	qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec, QEMU_PLUGIN_CB_NO_REGS,
					     (void *)(uintptr_t)pc);
}

/* Map PATH, making it first when it is missing or empty. */
static int map_file(const char *path)
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
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	hdr = m;
	edges = (uint8_t *)m + COVFILE_HEADER_SIZE;
	blocks = edges + h.map_size;
	mask = h.map_size - 1;
	return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
					   char **argv)
{
	const char *path = NULL;
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
	}
	if (!path) {
		qemu_plugin_outs("flcov: out=PATH is required\n");
		return -1;
	}
	if ((r = map_file(path)) < 0) {
		snprintf(msg, sizeof(msg), "flcov: cannot map %s: %s\n", path, strerror(-r));
		qemu_plugin_outs(msg);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	snprintf(msg, sizeof(msg), "flcov: coverage of [%#llx, %#llx) or the file's ranges in %s\n",
		 (unsigned long long)lo, (unsigned long long)hi, path);
	qemu_plugin_outs(msg);
	return 0;
}
