/* test-disk.c — the content partition: made by mkfs.ext4, copied with its holes kept, and
 * copies independent of their source. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"
#include "testlib.h"
#include "util.h"

START_TEST(test_make_and_copy)
{
	_cleanup_free_ char *base = xasprintf("%s/base.disk", testlib_tmpdir());
	_cleanup_free_ char *copy = xasprintf("%s/copy.disk", testlib_tmpdir());
	_cleanup_free_ char *error = NULL;
	_cleanup_free_ uint8_t *a = NULL, *b = NULL;
	size_t na, nb;
	struct stat sa, sb;
	int fd;

	_cleanup_free_ char *tmp = xasprintf("%s.tmp", base);

	/* .ci/setup installs e2fsprogs */
	ck_assert_msg(disk_make(base, &error) == 0, "%s", error);
	ck_assert_int_eq(stat(base, &sa), 0);
	ck_assert_int_eq(sa.st_size, (off_t)DISK_SIZE_MIB << 20);
	ck_assert_int_eq(access(tmp, F_OK), -1); /* no temporary left */
	/* an ext4 superblock: magic 0xef53 at 1024 + 56 */
	ck_assert_int_eq(read_file(base, 64 << 20, &a, &na), 0);
	ck_assert_int_eq(a[1024 + 56], 0x53);
	ck_assert_int_eq(a[1024 + 57], 0xef);
	ck_assert_str_eq((const char *)a + 1024 + 120, DISK_LABEL);

	ck_assert_int_eq(disk_copy(base, copy), 0);
	ck_assert_int_eq(read_file(copy, 64 << 20, &b, &nb), 0);
	ck_assert_uint_eq(na, nb);
	ck_assert(memcmp(a, b, na) == 0);
	ck_assert_int_eq(stat(copy, &sb), 0);
	/* holes kept: the copy takes no more blocks than its source */
	ck_assert_int_le(sb.st_blocks, sa.st_blocks);

	/* a guest writing to its copy does not touch the source */
	fd = open(copy, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "x", 1, 4096 * 100), 1);
	close(fd);
	free(b);
	b = NULL;
	ck_assert_int_eq(read_file(base, 64 << 20, &b, &nb), 0);
	ck_assert(memcmp(a, b, na) == 0);

	ck_assert_int_eq(disk_copy("/nonexistent/disk", copy), -ENOENT);
}
END_TEST

/* Warm isolation: a partition written by a case is made its template's bytes again in place
 * (the same file: QEMU holds it open), a byte written into a hole of the template a hole again. */
START_TEST(test_refill)
{
	_cleanup_free_ char *base = xasprintf("%s/refill-base.disk", testlib_tmpdir());
	_cleanup_free_ char *guest = xasprintf("%s/refill-guest.disk", testlib_tmpdir());
	_cleanup_free_ char *error = NULL;
	_cleanup_free_ uint8_t *a = NULL, *b = NULL;
	size_t na, nb;
	struct stat before, after;
	int fd;

	ck_assert_msg(disk_make(base, &error) == 0, "%s", error);
	ck_assert_int_eq(disk_copy(base, guest), 0);
	ck_assert_int_eq(stat(guest, &before), 0);
	fd = open(guest, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "mark", 4, (off_t)(DISK_SIZE_MIB - 1) << 20), 4);
	ck_assert_int_eq(pwrite(fd, "mark", 4, 1024 + 120), 4); /* over the label */
	close(fd);
	ck_assert_int_eq(disk_refill(base, guest), 0);
	ck_assert_int_eq(stat(guest, &after), 0);
	ck_assert_uint_eq(before.st_ino, after.st_ino);
	ck_assert_int_eq(read_file(base, 64 << 20, &a, &na), 0);
	ck_assert_int_eq(read_file(guest, 64 << 20, &b, &nb), 0);
	ck_assert_uint_eq(na, nb);
	ck_assert(memcmp(a, b, na) == 0);
	ck_assert_int_le(after.st_blocks, before.st_blocks);
	ck_assert_int_eq(disk_refill("/nonexistent/disk", guest), -ENOENT);
}
END_TEST

START_TEST(test_make_fails_clearly)
{
	_cleanup_free_ char *error = NULL;

	ck_assert_int_lt(disk_make("/nonexistent/dir/base.disk", &error), 0);
	ck_assert_ptr_nonnull(strstr(error, "host error: cannot create"));
}
END_TEST

/* A full system's overlay: a qcow2 backed by the base, which stays as it was; a base that is
 * not there is named. */
START_TEST(test_overlay)
{
	_cleanup_free_ char *base = xasprintf("%s/base.raw", testlib_tmpdir());
	_cleanup_free_ char *ov = xasprintf("%s/guest.qcow2", testlib_tmpdir());
	_cleanup_free_ char *tmp = xasprintf("%s.tmp", ov);
	_cleanup_free_ char *error = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	size_t size = 0;
	int fd;

	ck_assert_msg(system("command -v qemu-img >/dev/null") == 0,
		      "qemu-img not found: .ci/setup installs qemu-utils");
	fd = open(base, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
	ck_assert_int_eq(disk_overlay(base, "raw", ov, &error), 0);
	ck_assert_int_eq(read_file(ov, 1 << 20, &data, &size), 0);
	ck_assert_uint_ge(size, 4);
	ck_assert_int_eq(memcmp(data, "QFI\xfb", 4), 0);
	/* qcow2 names its backing file in its header */
	ck_assert_ptr_nonnull(memmem(data, size, base, strlen(base)));
	ck_assert_int_lt(access(tmp, F_OK), 0);

	ck_assert_int_lt(disk_overlay("/nonexistent/base.qcow2", "qcow2", ov, &error), 0);
	ck_assert_ptr_nonnull(strstr(error, "host error: qemu-img create of an overlay on "
					    "/nonexistent/base.qcow2 failed"));
	ck_assert_int_lt(access(tmp, F_OK), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("disk");
	TCase *tc = tcase_create("disk");

	tcase_add_test(tc, test_make_and_copy);
	tcase_add_test(tc, test_refill);
	tcase_add_test(tc, test_make_fails_clearly);
	tcase_add_test(tc, test_overlay);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
