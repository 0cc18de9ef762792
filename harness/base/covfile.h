/* covfile.h — the coverage file a guest's emulator writes and the controller reads.
 *
 * Under TCG, QEMU translates every block of guest code before it runs; the coverage plugin
 * (harness/fuzz/plugin/flcov.c, loaded with -plugin) sees each translation and counts the
 * blocks of the sensor's code that execute. It shares its counters with the controller through a
 * file that both map: QEMU writes, the controller zeroes the map before a case and reads it
 * after. Nothing has to be flushed or signalled, and a guest restored from a save image (a new
 * QEMU process) simply opens its own file.
 *
 * Layout (host byte order; the plugin and the controller run on the same host):
 *   0     COVFILE_HEADER_SIZE  struct covfile_header
 *   4096  map_size             edge hit counters (AFL style: prev_block >> 1 ^ block, saturating
 *                              at 255), map_size a power of two
 *   +     map_size             block hit counters, by the block's hash
 *   +     max_cmps * 24        comparison records (struct covfile_cmp), a ring: only when the
 *                              plugin logs operands (its cmp=1 on an emulator that reads
 *                              registers, QEMU 9.0 and later; QEMU 7.2's plugin API reads none)
 *
 * The file is written by another process (the emulator of a guest under test): the reader
 * checks everything it uses (covfile_parse) and is fuzzed (tests/fuzz/fuzz-covfile.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COVFILE_MAGIC "FLCOV1\n"
#define COVFILE_VERSION 1u
#define COVFILE_HEADER_SIZE 4096u
#define COVFILE_MAP_SIZE 65536u
#define COVFILE_MAP_MIN 256u
#define COVFILE_MAP_MAX (1u << 20)
#define COVFILE_MAX_RANGES 8u
#define COVFILE_MAX_IMMS 256u
#define COVFILE_MAX_CMPS 4096u

/* What the emulator's plugin said about comparison operands when it started (cmp=1). */
enum covfile_operands {
	COVFILE_OPERANDS_UNASKED = 0, /* not asked, or a plugin that does not know them */
	COVFILE_OPERANDS_NONE = 1,    /* asked, but this emulator's plugin API reads no registers */
	COVFILE_OPERANDS_LOGGED = 2,  /* the comparisons of covered code are logged */
};

/* One comparison as it ran: its two operands, in the instruction's order. */
struct covfile_cmp {
	uint32_t site;	/* where in the sensor's code (a hash of its place in its range) */
	uint32_t width; /* bytes compared: 1, 2, 4 or 8 */
	uint64_t a, b;
};
#define COVFILE_OBJECTS_SIZE 1792u
#define COVFILE_PATH_MAX 256u

struct covfile_range {
	uint64_t start, end; /* guest virtual addresses, end exclusive */
};

struct covfile_header {
	char magic[8]; /* COVFILE_MAGIC with its NUL */
	uint32_t version;
	uint32_t map_size;
	/* the code covered (set by the controller); none: the plugin's default (the kernel's
	 * module area) */
	uint32_t n_ranges;
	uint32_t n_imms;
	struct covfile_range ranges[COVFILE_MAX_RANGES];
	uint64_t blocks; /* blocks of covered code translated, since the file was made */
	uint64_t execs;	 /* executions of such blocks, since the map was last zeroed */
	/* bumped by each covfile_reset: the emulator then forgets the block it saw last, so the
	 * first edge of a case does not depend on what ran before it */
	uint64_t generation;
	/* immediate operands of comparisons in covered code (the plugin decodes the x86 CMP
	 * forms): the sensor's magic values; distinct, at most COVFILE_MAX_IMMS */
	uint64_t imms[COVFILE_MAX_IMMS];
	uint32_t operands; /* enum covfile_operands, set by the plugin at its start */
	uint32_t max_cmps; /* records the region after the block map holds (0: no region) */
	uint64_t n_cmps;   /* comparisons logged since the last reset: the region keeps the last */
	/* per range (set by the controller with the ranges): a host file whose bytes the guest's
	 * code there must be, from offsets[i] on, for a block to count. A user-mode sensor's
	 * mapping may share its addresses with another process's code (every non-PIE program
	 * loads at the same address): only the sensor's own bytes count. objects holds n_ranges
	 * NUL-terminated paths, "" for a range that is not checked (a kernel module's) */
	uint64_t offsets[COVFILE_MAX_RANGES];
	char objects[COVFILE_OBJECTS_SIZE];
};

_Static_assert(sizeof(struct covfile_header) <= COVFILE_HEADER_SIZE, "header too large");

/* A parsed file; the pointers are into the buffer given to covfile_parse. */
struct covfile_view {
	const struct covfile_header *header;
	const uint8_t *edges, *blocks; /* map_size counters each */
	size_t map_size;
	size_t n_ranges, n_imms;
	/* the comparisons logged, oldest first: covfile_cmp_at(v, 0 .. n_cmps - 1) */
	const struct covfile_cmp *cmps;
	size_t n_cmps, first_cmp, max_cmps;
};

/* The i-th oldest comparison of v that the region still holds (i < v->n_cmps). */
static inline const struct covfile_cmp *covfile_cmp_at(const struct covfile_view *v, size_t i)
{
	return &v->cmps[(v->first_cmp + i) % v->max_cmps];
}
/* What the controller knows of a range besides its addresses (covfile_header.offsets, objects). */
struct covfile_object {
	uint64_t offset;  /* of the range's start in the file */
	const char *path; /* the host file (borrowed); NULL: the range's bytes are not checked */
};

/* A code mapping of a guest process, as /proc/PID/maps lists it. */
struct covfile_map {
	struct covfile_range range;
	uint64_t offset;	     /* in the mapped file */
	char path[COVFILE_PATH_MAX]; /* the guest path of the file */
};

/* Check buf (a whole coverage file) and point *ret into it. Returns 0, or -EBADMSG when the
 * magic, version, sizes or counts are not what a plugin of this version writes. buf must be
 * aligned for uint64_t. */
int covfile_parse(const void *buf, size_t len, struct covfile_view *ret);

/* Create (or truncate) the file at path for a map of map_size counters, covering ranges (n may
 * be 0; objs, NULL or n of them, says which are checked against a host file). Returns 0,
 * -ENAMETOOLONG when the objects' paths do not fit the header, or -errno. */
int covfile_create(const char *path, uint32_t map_size, const struct covfile_range *ranges,
		   const struct covfile_object *objs, size_t n);
/* Set the ranges (and objects, as covfile_create) of an existing file and zero its counters and
 * comparisons (the start of a case); what the emulator wrote besides (blocks, imms, operands)
 * stays. */
int covfile_reset(const char *path, const struct covfile_range *ranges,
		  const struct covfile_object *objs, size_t n);
/* Read the whole file at path into *ret_buf (caller frees) and parse it into *ret. */
int covfile_read(const char *path, void **ret_buf, struct covfile_view *ret);

/* The ranges a text of "NAME SIZE ... 0xADDR" lines (/proc/modules) gives for the modules named
 * in only (comma-separated; NULL: every module listed). Returns how many were found (at most
 * max). */
size_t covfile_ranges_from_modules(const char *text, const char *only, struct covfile_range *ret,
				   size_t max);
/* The executable mappings in a text of /proc/PID/maps lines ("START-END PERMS OFFSET DEV INODE
 * PATH", from the guest: untrusted), in the text's order: those with 'x' in their permissions,
 * a file path, and START < END. Other lines (the /proc/modules lines of a MODULES text) are
 * skipped. Returns how many were found (at most max). */
size_t covfile_maps_parse(const char *text, struct covfile_map *ret, size_t max);
