/* bpfload — the BPF-bytecode sensor's loader: an update is a container of raw BPF instructions
 * (format guests/formats/bpf-bytecode.yaml) and the kernel's verifier is its only validator.
 *
 *   bpfload load FILE   create the container's maps, load its program with bpf(BPF_PROG_LOAD)
 *                       as written (program type, flags, license, instructions), pin it at
 *                       /sys/fs/bpf/fl-update; exit 1 when the kernel refuses (the errno and the
 *                       verifier's log on stdout, a line on /dev/kmsg)
 *   bpfload run         run the pinned program: a socket filter attached to a socket that gets
 *                       three datagrams, any other type through BPF_PROG_TEST_RUN
 *   bpfload probe       the machine still loads, attaches and runs the baseline program, which
 *                       counts the datagrams it passes in its map
 *   bpfload seed OUT    write the baseline program as a container (the scenarios' seed)
 *
 * The loader does not check what the kernel checks: whatever the container says goes to the
 * kernel, so that every mutation of an instruction, a map or a header field meets the verifier.
 * It only keeps its own reads inside the file. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PIN_PROG "/sys/fs/bpf/fl-update"
#define PIN_MAP "/sys/fs/bpf/fl-update-map0"
#define MAGIC 0x50424c46u /* "FLBP" */
#define HDR_SIZE 20
#define MAP_SPEC_SIZE 20
#define MAX_MAPS 64
#define MAX_INSN_BYTES (64u << 20)
#define LOG_SIZE (256u << 10)

struct map_spec {
	uint32_t type, key_size, value_size, max_entries, flags;
};

struct container {
	uint16_t version, prog_type, map_count;
	uint32_t prog_flags, insn_cnt;
	const char *license;
	struct map_spec maps[MAX_MAPS];
	const uint8_t *insns; /* insn_bytes of them in the file */
	size_t insn_bytes;
};

/* The baseline: a socket filter that reads the packet's first byte (LD_ABS), counts the
 * packet in map 0 (an array of one u64) with an atomic add, and passes the whole packet. */
static const struct bpf_insn baseline[] = {
    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 6, .src_reg = 1},
    {.code = BPF_LD | BPF_ABS | BPF_B, .imm = 0},
    {.code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = 10, .off = -4, .imm = 0},
    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10},
    {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -4},
    {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = 0},
    {.code = 0},
    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem},
    {.code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 2, .imm = 0},
    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 1, .imm = 1},
    {.code = BPF_STX | BPF_XADD | BPF_DW, .dst_reg = 0, .src_reg = 1, .off = 0},
    {.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 0, .src_reg = 6, .off = 0},
    {.code = BPF_JMP | BPF_EXIT},
};
static const struct map_spec baseline_map = {BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0};

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static int parse(const uint8_t *b, size_t n, struct container *c, const char **why)
{
	size_t at = HDR_SIZE;
	*why = "shorter than its header";
	if (n < HDR_SIZE)
		return -1;
	*why = "bad magic";
	if (get32(b) != MAGIC)
		return -1;
	c->version = get16(b + 4);
	c->prog_type = get16(b + 6);
	c->prog_flags = get32(b + 8);
	c->map_count = get16(b + 12);
	c->insn_cnt = get32(b + 16);
	*why = "license without its NUL";
	const uint8_t *nul = memchr(b + at, 0, n - at);
	if (!nul)
		return -1;
	c->license = (const char *)b + at;
	at = nul - b + 1;
	*why = "more maps than the loader creates (64)";
	if (c->map_count > MAX_MAPS)
		return -1;
	*why = "map specs past the end of the file";
	if ((n - at) / MAP_SPEC_SIZE < c->map_count)
		return -1;
	for (unsigned i = 0; i < c->map_count; i++, at += MAP_SPEC_SIZE) {
		const uint8_t *m = b + at;
		c->maps[i] = (struct map_spec){get32(m), get32(m + 4), get32(m + 8), get32(m + 12),
					       get32(m + 16)};
	}
	c->insns = b + at;
	c->insn_bytes = n - at;
	return 0;
}

static void kmsg(const char *fmt, const char *a, int e)
{
	FILE *k = fopen("/dev/kmsg", "w");
	if (!k)
		return;
	fprintf(k, fmt, a, e);
	fclose(k);
}

static int read_file(const char *path, uint8_t **ret, size_t *ret_n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap);
	while (b) {
		n += fread(b + n, 1, cap - n, f);
		if (n < cap)
			break;
		uint8_t *nb = realloc(b, cap * 2);
		if (!nb)
			free(b);
		b = nb;
		cap *= 2;
	}
	fclose(f);
	if (!b)
		return -ENOMEM;
	*ret = b;
	*ret_n = n;
	return 0;
}

static int create_maps(const struct container *c, int *fds)
{
	for (unsigned i = 0; i < c->map_count; i++) {
		union bpf_attr a = {0};
		a.map_type = c->maps[i].type;
		a.key_size = c->maps[i].key_size;
		a.value_size = c->maps[i].value_size;
		a.max_entries = c->maps[i].max_entries;
		a.map_flags = c->maps[i].flags;
		fds[i] = sys_bpf(BPF_MAP_CREATE, &a);
		if (fds[i] < 0) {
			int e = errno;
			printf(
			    "rejected: map %u (type %u, key %u, value %u, entries %u, flags %#x): "
			    "BPF_MAP_CREATE: %s (errno %d)\n",
			    i, c->maps[i].type, c->maps[i].key_size, c->maps[i].value_size,
			    c->maps[i].max_entries, c->maps[i].flags, strerror(e), e);
			kmsg("bpf-bytecode: rejected: map create: %s (errno %d)\n", strerror(e), e);
			return -e;
		}
	}
	return 0;
}

/* The instructions the kernel gets: the container's, padded with zeros up to insn_cnt (a count
 * larger than the file), with the map references (ld_imm64 of BPF_PSEUDO_MAP_FD, imm = the
 * map's index in the container) turned into the maps' descriptors. An index that names no map
 * is left as it is: the kernel then sees a descriptor number the process does not have. */
static struct bpf_insn *kernel_insns(const struct container *c, const int *fds, size_t *ret_bytes)
{
	size_t want = (size_t)c->insn_cnt * sizeof(struct bpf_insn);
	size_t bytes = want > MAX_INSN_BYTES ? c->insn_bytes : want;
	bytes = bytes > c->insn_bytes ? bytes : c->insn_bytes;
	struct bpf_insn *in = mmap(NULL, bytes ? bytes : 8, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (in == MAP_FAILED)
		return NULL;
	memcpy(in, c->insns, c->insn_bytes);
	for (size_t i = 0; i < bytes / sizeof(*in); i++)
		if (in[i].code == (BPF_LD | BPF_DW | BPF_IMM) &&
		    in[i].src_reg == BPF_PSEUDO_MAP_FD && in[i].imm >= 0 &&
		    in[i].imm < c->map_count)
			in[i].imm = fds[in[i].imm];
	*ret_bytes = bytes;
	return in;
}

static unsigned kernel_version(void)
{
	struct utsname u;
	unsigned a = 0, b = 0, c = 0;
	if (uname(&u) == 0)
		sscanf(u.release, "%u.%u.%u", &a, &b, &c);
	return a << 16 | b << 8 | (c > 255 ? 255 : c);
}

static int prog_load(const struct container *c, const struct bpf_insn *in, char *log,
		     unsigned level)
{
	union bpf_attr a = {0};
	a.prog_type = c->prog_type;
	a.insn_cnt = c->insn_cnt;
	a.insns = (uintptr_t)in;
	a.license = (uintptr_t)c->license;
	a.prog_flags = c->prog_flags;
	a.kern_version = kernel_version();
	a.log_level = level;
	a.log_buf = level ? (uintptr_t)log : 0;
	a.log_size = level ? LOG_SIZE : 0;
	return sys_bpf(BPF_PROG_LOAD, &a);
}

static int pin(int fd, const char *path)
{
	union bpf_attr a = {0};
	a.pathname = (uintptr_t)path;
	a.bpf_fd = fd;
	return sys_bpf(BPF_OBJ_PIN, &a) < 0 ? -errno : 0;
}

/* The last lines of the verifier's log: the reason is at its end. */
static void print_log_tail(const char *log)
{
	size_t n = strlen(log);
	int lines = 0;
	while (n > 0 && lines < 4)
		if (log[--n] == '\n' && n + 1 < strlen(log))
			lines++;
	printf("verifier: %s%s", n ? "..." : "", log + n + (n ? 1 : 0));
}

static int cmd_load(const char *path)
{
	uint8_t *b = NULL;
	size_t n = 0;
	struct container c;
	const char *why;
	int fds[MAX_MAPS];
	unlink(PIN_PROG);
	unlink(PIN_MAP);
	int r = read_file(path, &b, &n);
	if (r < 0) {
		printf("cannot read %s: %s\n", path, strerror(-r));
		return 2;
	}
	if (parse(b, n, &c, &why) < 0) {
		/* the loader's own refusal, before the kernel: the container cannot be read */
		printf("rejected: container: %s\n", why);
		kmsg("bpf-bytecode: rejected: container: %s%.0d\n", why, 0);
		return 1;
	}
	printf("container: type %u, flags %#x, license \"%.32s\", %u maps, %u instructions "
	       "(%zu bytes of them)\n",
	       c.prog_type, c.prog_flags, c.license, c.map_count, c.insn_cnt, c.insn_bytes);
	if (create_maps(&c, fds) < 0)
		return 1;
	size_t bytes;
	struct bpf_insn *in = kernel_insns(&c, fds, &bytes);
	if (!in) {
		printf("cannot map %zu bytes\n", bytes);
		return 2;
	}
	/* without a log first: a log that overflows is an error of its own (ENOSPC) */
	int fd = prog_load(&c, in, NULL, 0);
	if (fd < 0) {
		int e = errno;
		char *log = calloc(1, LOG_SIZE);
		if (log && prog_load(&c, in, log, 1) < 0)
			print_log_tail(log);
		printf("\nrejected: BPF_PROG_LOAD: %s (errno %d)\n", strerror(e), e);
		kmsg("bpf-bytecode: rejected: BPF_PROG_LOAD: %s (errno %d)\n", strerror(e), e);
		return 1;
	}
	if ((r = pin(fd, PIN_PROG)) < 0 || (c.map_count && (r = pin(fds[0], PIN_MAP)) < 0)) {
		printf("accepted, but cannot pin it: %s\n", strerror(-r));
		return 2;
	}
	printf("accepted: program type %u loaded and pinned at " PIN_PROG "\n", c.prog_type);
	return 0;
}

static int obj_get(const char *path)
{
	union bpf_attr a = {0};
	a.pathname = (uintptr_t)path;
	return sys_bpf(BPF_OBJ_GET, &a);
}

static uint32_t prog_type_of(int fd)
{
	struct bpf_prog_info info = {0};
	union bpf_attr a = {0};
	a.info.bpf_fd = fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0 ? 0 : info.type;
}

/* Three datagrams through a socket pair whose receiving end runs the filter: how many pass. */
static int run_socket_filter(int prog, int *ret_passed)
{
	int sv[2], passed = 0;
	char buf[64];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) < 0)
		return -errno;
	if (setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof(prog)) < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	for (int i = 0; i < 3; i++)
		if (send(sv[0], "faultline-packet", 16, 0) < 0)
			break;
	while (recv(sv[1], buf, sizeof(buf), 0) > 0)
		passed++;
	close(sv[0]);
	close(sv[1]);
	*ret_passed = passed;
	return 0;
}

static int map_counter(int map, uint64_t *ret)
{
	union bpf_attr a = {0};
	uint32_t key = 0;
	uint64_t v[8] = {0}; /* room for a value the mutation made larger */
	a.map_fd = map;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)v;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0)
		return -errno;
	*ret = v[0];
	return 0;
}

static int cmd_run(void)
{
	int prog = obj_get(PIN_PROG);
	if (prog < 0) {
		printf("run: nothing loaded (%s)\n", strerror(errno));
		return 0;
	}
	uint32_t type = prog_type_of(prog);
	if (type == BPF_PROG_TYPE_SOCKET_FILTER) {
		int passed, r = run_socket_filter(prog, &passed);
		if (r < 0) {
			printf("run: SO_ATTACH_BPF: %s\n", strerror(-r));
			return 1;
		}
		printf("run: socket filter: %d of 3 datagrams passed", passed);
		int map = obj_get(PIN_MAP);
		uint64_t v;
		if (map >= 0 && map_counter(map, &v) == 0)
			printf(", map 0 counter %llu", (unsigned long long)v);
		printf("\n");
		return 0;
	}
	/* any other type: one test run on a small packet, where the kernel has one for it */
	static uint8_t pkt[64] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 0x08, 0};
	union bpf_attr a = {0};
	a.test.prog_fd = prog;
	a.test.data_in = (uintptr_t)pkt;
	a.test.data_size_in = sizeof(pkt);
	a.test.repeat = 1;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0)
		printf("run: program type %u: no test run (%s)\n", type, strerror(errno));
	else
		printf("run: program type %u: test run returned %u\n", type, a.test.retval);
	return 0;
}

static int cmd_probe(void)
{
	struct container c = {.prog_type = BPF_PROG_TYPE_SOCKET_FILTER,
			      .license = "GPL",
			      .map_count = 1,
			      .insn_cnt = sizeof(baseline) / sizeof(baseline[0])};
	int fds[1];
	c.maps[0] = baseline_map;
	c.insns = (const uint8_t *)baseline;
	c.insn_bytes = sizeof(baseline);
	if (create_maps(&c, fds) < 0)
		return 1;
	size_t bytes;
	struct bpf_insn *in = kernel_insns(&c, fds, &bytes);
	int prog = in ? prog_load(&c, in, NULL, 0) : -1;
	if (prog < 0) {
		printf("probe: the baseline program no longer loads: %s\n", strerror(errno));
		return 1;
	}
	int passed = 0;
	uint64_t v = 0;
	int r = run_socket_filter(prog, &passed);
	if (r == 0)
		r = map_counter(fds[0], &v);
	if (r < 0 || passed != 3 || v != 3) {
		printf("probe: the baseline filter passed %d of 3 datagrams, counted %llu (%s)\n",
		       passed, (unsigned long long)v, r < 0 ? strerror(-r) : "ok");
		return 1;
	}
	printf("probe: the baseline filter loads, passes and counts 3 of 3 datagrams\n");
	return 0;
}

static void put32(FILE *f, uint32_t v)
{
	uint8_t b[4] = {v, v >> 8, v >> 16, v >> 24};
	fwrite(b, 1, 4, f);
}
static void put16(FILE *f, uint16_t v)
{
	uint8_t b[2] = {v, v >> 8};
	fwrite(b, 1, 2, f);
}

static int cmd_seed(const char *out)
{
	FILE *f = fopen(out, "wb");
	if (!f) {
		perror(out);
		return 1;
	}
	put32(f, MAGIC);
	put16(f, 1);			       /* version */
	put16(f, BPF_PROG_TYPE_SOCKET_FILTER); /* prog_type */
	put32(f, 0);			       /* prog_flags */
	put16(f, 1);			       /* map_count */
	put16(f, 0);			       /* reserved */
	put32(f, sizeof(baseline) / sizeof(baseline[0]));
	fwrite("GPL", 1, 4, f);
	put32(f, baseline_map.type);
	put32(f, baseline_map.key_size);
	put32(f, baseline_map.value_size);
	put32(f, baseline_map.max_entries);
	put32(f, baseline_map.flags);
	fwrite(baseline, 1, sizeof(baseline), f); /* little-endian host */
	return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "load"))
		return cmd_load(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "run"))
		return cmd_run();
	if (argc == 2 && !strcmp(argv[1], "probe"))
		return cmd_probe();
	if (argc == 3 && !strcmp(argv[1], "seed"))
		return cmd_seed(argv[2]);
	fprintf(stderr, "usage: bpfload load FILE | run | probe | seed OUT\n");
	return 64;
}
