/* test-snapshot.c — cloning a libvirt save image under a new name and UUID. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapshot.h"
#include "testlib.h"
#include "util.h"

#define OLD_NAME "fl-123-s0-x0000"
#define NEW_NAME "fl-123-s0-x0042"
#define OLD_UUID "11111111-2222-4333-8444-555555555555"
#define NEW_UUID "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

/* A save image as libvirt writes it: header, NUL-padded XML area, then the migration stream
 * (here bytes that happen to contain the old name, which must stay untouched). */
static void write_image(const char *path, const char *magic, uint32_t version)
{
	char xml[4096] = "<domain type='qemu'>\n  <name>" OLD_NAME "</name>\n  <uuid>" OLD_UUID
			 "</uuid>\n  <channel path='/x/domain-1-" OLD_NAME "/a'/>\n</domain>\n";
	uint8_t header[92] = {0};
	uint32_t len = sizeof(xml), one = 1;
	const char stream[] = "QEVM" OLD_NAME "migration-data";
	FILE *f = fopen(path, "w");

	memcpy(header, magic, 16);
	memcpy(header + 16, &version, 4);
	memcpy(header + 20, &len, 4);
	memcpy(header + 24, &one, 4);
	ck_assert_ptr_nonnull(f);
	fwrite(header, 1, sizeof(header), f);
	fwrite(xml, 1, sizeof(xml), f);
	fwrite(stream, 1, sizeof(stream), f);
	fclose(f);
}

static char *path(const char *name)
{
	return xasprintf("%s/%s", testlib_tmpdir(), name);
}

START_TEST(test_clone)
{
	_cleanup_free_ char *src = path("src.save"), *dst = path("dst.save");
	_cleanup_free_ uint8_t *a = NULL, *b = NULL;
	size_t na, nb;

	write_image(src, "LibvirtQemudSave", 2);
	ck_assert_int_eq(snapshot_clone(src, dst, OLD_NAME, OLD_UUID, NEW_NAME, NEW_UUID), 0);
	ck_assert_int_eq(read_file(src, 1 << 20, &a, &na), 0);
	ck_assert_int_eq(read_file(dst, 1 << 20, &b, &nb), 0);
	ck_assert_uint_eq(na, nb);
	/* header identical, every name and UUID in the XML area replaced */
	ck_assert_int_eq(memcmp(a, b, 92), 0);
	ck_assert_ptr_nonnull(memmem(b + 92, 4096, "<name>" NEW_NAME "</name>", 21));
	ck_assert_ptr_nonnull(memmem(b + 92, 4096, "domain-1-" NEW_NAME "/a", 26));
	ck_assert_ptr_nonnull(memmem(b + 92, 4096, NEW_UUID, 36));
	ck_assert_ptr_null(memmem(b + 92, 4096, OLD_NAME, 15));
	ck_assert_ptr_null(memmem(b + 92, 4096, OLD_UUID, 36));
	/* the migration stream is copied byte for byte */
	ck_assert_int_eq(memcmp(a + 92 + 4096, b + 92 + 4096, na - 92 - 4096), 0);
}
END_TEST

START_TEST(test_refusals)
{
	_cleanup_free_ char *src = path("bad.save"), *dst = path("out.save");

	/* a name of another length would shift the XML area */
	write_image(src, "LibvirtQemudSave", 2);
	ck_assert_int_eq(snapshot_clone(src, dst, OLD_NAME, OLD_UUID, "fl-1", NEW_UUID), -EINVAL);
	/* the name must be there */
	ck_assert_int_eq(snapshot_clone(src, dst, "fl-999-s9-x9999", OLD_UUID, NEW_NAME, NEW_UUID),
			 -EBADMSG);
	/* unknown magic or version */
	write_image(src, "NotASaveImage!!!", 2);
	ck_assert_int_eq(snapshot_clone(src, dst, OLD_NAME, OLD_UUID, NEW_NAME, NEW_UUID),
			 -EBADMSG);
	write_image(src, "LibvirtQemudSave", 3);
	ck_assert_int_eq(snapshot_clone(src, dst, OLD_NAME, OLD_UUID, NEW_NAME, NEW_UUID),
			 -EBADMSG);
	ck_assert_int_eq(access(dst, F_OK), -1);
	ck_assert_int_eq(
	    snapshot_clone("/nonexistent", dst, OLD_NAME, OLD_UUID, NEW_NAME, NEW_UUID), -ENOENT);
}
END_TEST

/* A save image changed after faultline wrote it is found out, however it was changed. */
START_TEST(test_stamp)
{
	_cleanup_free_ char *img = path("stamped.save"), *other = path("other.save");
	struct snapshot_stamp st;
	char *why = NULL;
	FILE *f;

	write_image(img, "LibvirtQemudSave", 2);
	ck_assert_int_eq(snapshot_stamp(img, &st), 0);
	ck_assert_int_eq(snapshot_check(img, &st, &why), 0);
	ck_assert_ptr_null(why);
	/* read, as a restore does: still the same */
	f = fopen(img, "r");
	ck_assert_int_eq(fgetc(f), 'L');
	fclose(f);
	ck_assert_int_eq(snapshot_check(img, &st, &why), 0);

	/* overwritten in place, same size */
	usleep(10 * 1000);
	f = fopen(img, "r+");
	fseek(f, 200, SEEK_SET);
	fputc('X', f);
	fclose(f);
	ck_assert_int_eq(snapshot_check(img, &st, &why), -ESTALE);
	ck_assert_ptr_nonnull(strstr(why, "was modified since it was written"));
	free(why);

	/* truncated */
	ck_assert_int_eq(snapshot_stamp(img, &st), 0);
	ck_assert_int_eq(truncate(img, 100), 0);
	ck_assert_int_eq(snapshot_check(img, &st, &why), -ESTALE);
	ck_assert_ptr_nonnull(strstr(why, "changed size since it was written: 100 bytes"));
	free(why);

	/* replaced by another file, and gone */
	ck_assert_int_eq(snapshot_stamp(img, &st), 0);
	write_image(other, "LibvirtQemudSave", 2);
	ck_assert_int_eq(rename(other, img), 0);
	ck_assert_int_eq(snapshot_check(img, &st, &why), -ESTALE);
	ck_assert_ptr_nonnull(strstr(why, "was replaced by another file"));
	free(why);
	unlink(img);
	ck_assert_int_eq(snapshot_check(img, &st, &why), -ENOENT);
	ck_assert_ptr_nonnull(strstr(why, "is gone"));
	free(why);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_clone);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_stamp);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
