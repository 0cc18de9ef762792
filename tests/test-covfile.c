/* test-covfile.c — the coverage file shared with the guest's emulator: made, reset and read as
 * the controller does, refused when it is not what the plugin writes; and the module ranges read
 * from the agent's MODULES text. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "covfile.h"
#include "testlib.h"
#include "util.h"

START_TEST(test_create_reset_read)
{
	_cleanup_free_ char *path = xasprintf("%s/g.cov", testlib_tmpdir());
	struct covfile_range r = {0xffffffffc0000000ull, 0xffffffffc0004000ull};
	_cleanup_free_ void *buf = NULL;
	struct covfile_view v;
	int fd;

	ck_assert_int_eq(covfile_create(path, 1024, NULL, NULL, 0), 0);
	ck_assert_int_eq(covfile_read(path, &buf, &v), 0);
	ck_assert_uint_eq(v.map_size, 1024);
	ck_assert_uint_eq(v.n_ranges, 0);
	free(TAKE_PTR(buf));

	/* the emulator counted something and found a magic value */
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "\x05", 1, COVFILE_HEADER_SIZE + 17), 1);
	ck_assert_int_eq(pwrite(fd, "\x01", 1, COVFILE_HEADER_SIZE + 1024 + 3), 1);
	uint32_t one = 1;
	uint64_t imm = 0x1f2e;
	ck_assert_int_eq(pwrite(fd, &one, 4, offsetof(struct covfile_header, n_imms)), 4);
	ck_assert_int_eq(pwrite(fd, &imm, 8, offsetof(struct covfile_header, imms)), 8);
	close(fd);
	ck_assert_int_eq(covfile_read(path, &buf, &v), 0);
	ck_assert_uint_eq(v.edges[17], 5);
	ck_assert_uint_eq(v.blocks[3], 1);
	free(TAKE_PTR(buf));

	/* a case starts: counters zeroed, ranges set; the magic values the emulator found stay */
	ck_assert_int_eq(covfile_reset(path, &r, NULL, 1), 0);
	ck_assert_int_eq(covfile_read(path, &buf, &v), 0);
	ck_assert_uint_eq(v.edges[17], 0);
	ck_assert_uint_eq(v.blocks[3], 0);
	ck_assert_uint_eq(v.n_ranges, 1);
	ck_assert_uint_eq(v.header->ranges[0].end, r.end);
	ck_assert_uint_eq(v.n_imms, 1);
	ck_assert_uint_eq(v.header->imms[0], 0x1f2e);
	/* each reset is a new generation: the emulator starts the case's edges afresh */
	ck_assert_uint_eq(v.header->generation, 1);
	free(TAKE_PTR(buf));
	ck_assert_int_eq(covfile_reset(path, NULL, NULL, 0), 0);
	ck_assert_int_eq(covfile_read(path, &buf, &v), 0);
	ck_assert_uint_eq(v.header->generation, 2);
	ck_assert_uint_eq(v.n_ranges, 0);
}
END_TEST

START_TEST(test_refused)
{
	_cleanup_free_ struct covfile_header *h = xzalloc(COVFILE_HEADER_SIZE + 2 * 512);
	size_t len = COVFILE_HEADER_SIZE + 2 * 512;
	struct covfile_view v;

	memcpy(h->magic, COVFILE_MAGIC, 8);
	h->version = COVFILE_VERSION;
	h->map_size = 512;
	ck_assert_int_eq(covfile_parse(h, len, &v), 0);
	/* too short for its maps, a map size not a power of two or out of bounds */
	ck_assert_int_eq(covfile_parse(h, len - 1, &v), -EBADMSG);
	ck_assert_int_eq(covfile_parse(h, 100, &v), -EBADMSG);
	h->map_size = 500;
	ck_assert_int_eq(covfile_parse(h, len, &v), -EBADMSG);
	h->map_size = 128;
	ck_assert_int_eq(covfile_parse(h, len, &v), -EBADMSG);
	h->map_size = 512;
	/* counts past their arrays, an empty range, another version or magic */
	h->n_ranges = COVFILE_MAX_RANGES + 1;
	ck_assert_int_eq(covfile_parse(h, len, &v), -EBADMSG);
	h->n_ranges = 1;
	ck_assert_int_eq(covfile_parse(h, len, &v), -EBADMSG);
	h->ranges[0].end = 1;
	ck_assert_int_eq(covfile_parse(h, len, &v), 0);
	h->n_imms = COVFILE_MAX_IMMS + 1;
	ck_assert_int_eq(covfile_parse(h, len, &v), -EBADMSG);
	h->n_imms = 0;
	h->version = 2;
	ck_assert_int_eq(covfile_parse(h, len, &v), -EBADMSG);
	h->version = COVFILE_VERSION;
	h->magic[0] = 'X';
	ck_assert_int_eq(covfile_parse(h, len, &v), -EBADMSG);
}
END_TEST

START_TEST(test_modules)
{
	static const char text[] = "ksensor 20480 0 - Live 0xffffffffc0000000 (O)\n"
				   "hidden 4096 0 - Live 0x0000000000000000\n"
				   "garbage line\n"
				   "other 8192 1 ksensor, Live 0xffffffffc0010000";
	struct covfile_range r[4];

	ck_assert_uint_eq(covfile_ranges_from_modules(text, NULL, r, 4), 2);
	ck_assert_uint_eq(r[0].start, 0xffffffffc0000000ull);
	ck_assert_uint_eq(r[0].end, 0xffffffffc0005000ull);
	ck_assert_uint_eq(r[1].start, 0xffffffffc0010000ull);
	ck_assert_uint_eq(covfile_ranges_from_modules(text, "other", r, 4), 1);
	ck_assert_uint_eq(r[0].end, 0xffffffffc0012000ull);
	ck_assert_uint_eq(covfile_ranges_from_modules(text, NULL, r, 1), 1);
	ck_assert_uint_eq(covfile_ranges_from_modules("", NULL, r, 4), 0);
}
END_TEST

/* The comparison region the plugin adds (cmp=1): a ring whose last max_cmps records are read
 * oldest first, zeroed at each reset, and refused when it does not fit in the file. */
START_TEST(test_cmps)
{
	enum { MAP = 256, MAX = 4 };
	size_t len = COVFILE_HEADER_SIZE + 2 * MAP + MAX * sizeof(struct covfile_cmp);
	_cleanup_free_ struct covfile_header *h = xzalloc(len);
	struct covfile_cmp *ring = (void *)((uint8_t *)h + COVFILE_HEADER_SIZE + 2 * MAP);
	_cleanup_free_ char *path = xasprintf("%s/c.cov", testlib_tmpdir());
	_cleanup_free_ void *buf = NULL;
	struct covfile_view v;
	int fd;

	memcpy(h->magic, COVFILE_MAGIC, 8);
	h->version = COVFILE_VERSION;
	h->map_size = MAP;
	h->operands = COVFILE_OPERANDS_LOGGED;
	h->max_cmps = MAX;
	/* six written into four places: records 2..5 are left, 4 and 5 where 0 and 1 were */
	for (uint64_t k = 0; k < 6; k++)
		ring[k % MAX] =
		    (struct covfile_cmp){.site = (uint32_t)k, .width = 4, .a = k, .b = 9};
	h->n_cmps = 6;
	ck_assert_int_eq(covfile_parse(h, len, &v), 0);
	ck_assert_uint_eq(v.n_cmps, 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(covfile_cmp_at(&v, i)->site, i + 2);
	h->n_cmps = 3;
	ck_assert_int_eq(covfile_parse(h, len, &v), 0);
	ck_assert_uint_eq(v.n_cmps, 3);
	ck_assert_uint_eq(covfile_cmp_at(&v, 0)->site, 4);
	ck_assert_int_eq(covfile_parse(h, len - 1, &v), -EBADMSG);
	h->max_cmps = COVFILE_MAX_CMPS + 1;
	ck_assert_int_eq(covfile_parse(h, len, &v), -EBADMSG);
	h->max_cmps = MAX;

	/* a reset forgets the case's comparisons, not what the emulator said it can do */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, h, len), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(covfile_reset(path, NULL, NULL, 0), 0);
	ck_assert_int_eq(covfile_read(path, &buf, &v), 0);
	ck_assert_uint_eq(v.n_cmps, 0);
	ck_assert_uint_eq(v.max_cmps, MAX);
	ck_assert_uint_eq(v.header->operands, COVFILE_OPERANDS_LOGGED);
}
END_TEST

/* The sensor process's code mappings as the agent reports them after the modules: only
 * executable mappings of files, whatever else the (untrusted) text holds. */
START_TEST(test_maps)
{
	static const char text[] =
	    "ksensor 20480 0 - Live 0xffffffffc0000000 (O)\n"
	    "00400000-00401000 r--p 00000000 00:02 17 /lib/sensor/usensord\n"
	    "00401000-004a2000 r-xp 00001000 00:02 17                         "
	    "/lib/sensor/usensord\n"
	    "7f00c0001000-7f00c0002000 r-xp 00000000 00:00 0 [vdso]\n"
	    "7f00c0003000-7f00c0002000 r-xp 00000000 00:02 18 /lib/backwards.so\n"
	    "-1-5 r-xp 0 00:02 18 /lib/negative.so\n"
	    "7f00c0010000-7f00c0020000 r-x 00000000 00:02 18 /lib/short-perms.so\n"
	    "10000000000000000-10000000000000001 r-xp 0 0:0 1 /too/long\n"
	    "7f00c0010000-7f00c0020000 r-xp 00002000 00:02 19 /usr/lib/libz.so.1 (deleted)";
	struct covfile_map m[4];

	ck_assert_uint_eq(covfile_maps_parse(text, m, 4), 2);
	ck_assert_uint_eq(m[0].range.start, 0x401000);
	ck_assert_uint_eq(m[0].range.end, 0x4a2000);
	ck_assert_uint_eq(m[0].offset, 0x1000);
	ck_assert_str_eq(m[0].path, "/lib/sensor/usensord");
	ck_assert_uint_eq(m[1].range.start, 0x7f00c0010000ull);
	ck_assert_uint_eq(m[1].offset, 0x2000);
	ck_assert_str_eq(m[1].path, "/usr/lib/libz.so.1 (deleted)");
	ck_assert_uint_eq(covfile_maps_parse(text, m, 1), 1);
	ck_assert_uint_eq(covfile_maps_parse("", m, 4), 0);
	/* a module line is not a mapping, a mapping not a module */
	ck_assert_uint_eq(covfile_maps_parse("ksensor 20480 0 - Live 0xffffffffc0000000", m, 4), 0);
	struct covfile_range r[2];
	ck_assert_uint_eq(covfile_ranges_from_modules(text, NULL, r, 2), 1);
}
END_TEST

/* Each range's host file and offset go with it, and must fit the header. */
START_TEST(test_objects)
{
	_cleanup_free_ char *path = xasprintf("%s/o.cov", testlib_tmpdir());
	_cleanup_free_ char *long_path = xzalloc(COVFILE_OBJECTS_SIZE);
	struct covfile_range r[2] = {{0xffffffffc0000000ull, 0xffffffffc0004000ull},
				     {0x401000, 0x4a2000}};
	struct covfile_object o[2] = {{0}, {0x1000, "/tmp/cov/code-1"}};
	_cleanup_free_ void *buf = NULL;
	struct covfile_view v;

	ck_assert_int_eq(covfile_create(path, 1024, r, o, 2), 0);
	ck_assert_int_eq(covfile_read(path, &buf, &v), 0);
	ck_assert_uint_eq(v.n_ranges, 2);
	ck_assert_uint_eq(v.header->offsets[1], 0x1000);
	ck_assert_str_eq(v.header->objects, ""); /* a module's: unchecked */
	ck_assert_str_eq(v.header->objects + 1, "/tmp/cov/code-1");
	free(TAKE_PTR(buf));
	/* a reset to ranges without objects clears them */
	ck_assert_int_eq(covfile_reset(path, r, NULL, 1), 0);
	ck_assert_int_eq(covfile_read(path, &buf, &v), 0);
	ck_assert_uint_eq(v.n_ranges, 1);
	ck_assert_uint_eq(v.header->offsets[1], 0);
	ck_assert_str_eq(v.header->objects + 1, "");
	free(TAKE_PTR(buf));
	memset(long_path, 'a', COVFILE_OBJECTS_SIZE - 2);
	o[1].path = long_path;
	ck_assert_int_eq(covfile_reset(path, r, o, 2), -ENAMETOOLONG);
	/* the reader refuses objects without their final NUL */
	_cleanup_free_ struct covfile_header *h = xzalloc(COVFILE_HEADER_SIZE + 2 * 512);
	memcpy(h->magic, COVFILE_MAGIC, 8);
	h->version = COVFILE_VERSION;
	h->map_size = 512;
	ck_assert_int_eq(covfile_parse(h, COVFILE_HEADER_SIZE + 2 * 512, &v), 0);
	h->objects[COVFILE_OBJECTS_SIZE - 1] = 'x';
	ck_assert_int_eq(covfile_parse(h, COVFILE_HEADER_SIZE + 2 * 512, &v), -EBADMSG);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("covfile");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_create_reset_read);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_modules);
	tcase_add_test(tc, test_cmps);
	tcase_add_test(tc, test_maps);
	tcase_add_test(tc, test_objects);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
