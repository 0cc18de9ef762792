/* test-diskboot.c — how a disk boots, from its first sectors: fixture disks made here by the
 * tools a vendor would use (mkfs.ext4, sfdisk; .ci/setup installs e2fsprogs and fdisk), then
 * given boot code, and a few hand-made broken tables. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diskboot.h"
#include "testlib.h"
#include "util.h"

/* A 4 MiB disk file NAME made by the shell command CMD ("%s" the path); its probe. */
static void make(const char *name, const char *cmd, struct diskboot_probe *ret)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", testlib_tmpdir(), name);
	_cleanup_free_ char *sh = NULL, *full = NULL;
	_cleanup_free_ uint8_t *head = NULL;
	size_t size;

	sh = xasprintf(cmd, path, path);
	full =
	    xasprintf("rm -f %s && truncate -s 4M %s && { %s; } >/dev/null 2>&1", path, path, sh);
	ck_assert_msg(system(full) == 0, "%s failed", full);
	ck_assert_int_eq(read_file(path, 4 << 20, &head, &size), 0);
	diskboot_probe(head, size < DISKBOOT_HEAD ? size : DISKBOOT_HEAD, ret);
}

/* The way a disk so probed boots when want is asked, or -EINVAL and a reason with text in it. */
static void expect(const struct diskboot_probe *p, enum diskboot_want want, int how,
		   const char *text)
{
	enum diskboot_how got = (enum diskboot_how) - 1;
	_cleanup_free_ char *why = NULL;
	int r = diskboot_choose(p, want, &got, &why);

	if (how < 0) {
		ck_assert_int_eq(r, -EINVAL);
		ck_assert_int_eq((int)got, -1); /* untouched */
		ck_assert_msg(strstr(why, text), "'%s' lacks '%s'", why, text);
	} else {
		ck_assert_msg(r == 0, "%s", why);
		ck_assert_int_eq(got, how);
	}
}

/* boot code in the first 440 bytes, the table and 55 aa kept: what grub-bios-setup does */
#define BOOT_CODE "printf '\\353\\143\\220GRUB' | dd of=%s conv=notrunc"

START_TEST(test_whole_disk_fs)
{
	struct diskboot_probe p;

	make("ext4", "mkfs.ext4 -q -F %s", &p);
	ck_assert(p.ext && !p.mbr && !p.gpt);
	expect(&p, DISKBOOT_WANT_AUTO, DISKBOOT_KERNEL, NULL);
	expect(&p, DISKBOOT_WANT_BIOS, DISKBOOT_KERNEL, NULL);
	expect(&p, DISKBOOT_WANT_UEFI, -1, "no EFI system partition");
	expect(&p, DISKBOOT_WANT_UEFI, -1, "file system on the whole disk");
}
END_TEST

START_TEST(test_mbr)
{
	struct diskboot_probe p;

	/* a table but no loader: nothing boots it, whatever is asked */
	make("dos", "echo 'label: dos\nstart=2048, type=83, bootable' | sfdisk %s", &p);
	ck_assert(p.mbr && p.mbr_parts && !p.boot_code && !p.gpt && !p.ext);
	expect(&p, DISKBOOT_WANT_AUTO, -1, "partition table but neither boot code");
	expect(&p, DISKBOOT_WANT_BIOS, -1, "no boot code in its MBR");
	expect(&p, DISKBOOT_WANT_UEFI, -1, "no EFI system partition");

	make("dos-grub", "echo 'label: dos\nstart=2048, type=83' | sfdisk %s && " BOOT_CODE, &p);
	ck_assert(p.mbr && p.mbr_parts && p.boot_code);
	expect(&p, DISKBOOT_WANT_AUTO, DISKBOOT_BIOS, NULL);
	expect(&p, DISKBOOT_WANT_BIOS, DISKBOOT_BIOS, NULL);
	expect(&p, DISKBOOT_WANT_UEFI, -1, "its MBR has boot code: expected firmware: bios");
}
END_TEST

START_TEST(test_gpt)
{
	struct diskboot_probe p;

	make("gpt-esp",
	     "echo 'label: gpt\nstart=2048, size=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n"
	     "type=0FC63DAF-8483-4772-8E79-3D69D8477DE4' | sfdisk %s",
	     &p);
	ck_assert(p.gpt && p.esp && p.mbr && p.mbr_parts && !p.boot_code);
	expect(&p, DISKBOOT_WANT_AUTO, DISKBOOT_UEFI, NULL);
	expect(&p, DISKBOOT_WANT_UEFI, DISKBOOT_UEFI, NULL);
	expect(&p, DISKBOOT_WANT_BIOS, -1,
	       "it has an EFI system partition: expected firmware: uefi");

	/* the ESP is the second entry: every entry is looked at */
	make("gpt-esp2",
	     "echo 'label: gpt\nstart=2048, size=2048, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n"
	     "type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B' | sfdisk %s",
	     &p);
	expect(&p, DISKBOOT_WANT_AUTO, DISKBOOT_UEFI, NULL);

	make("gpt-linux",
	     "echo 'label: gpt\ntype=0FC63DAF-8483-4772-8E79-3D69D8477DE4' | sfdisk %s", &p);
	ck_assert(p.gpt && !p.esp);
	expect(&p, DISKBOOT_WANT_AUTO, -1, "partition table but neither");
	expect(&p, DISKBOOT_WANT_UEFI, -1, "no EFI system partition");

	/* hybrid: an ESP and BIOS boot code; UEFI unless bios is asked for */
	make("gpt-hybrid",
	     "echo 'label: gpt\ntype=C12A7328-F81F-11D2-BA4B-00A0C93EC93B' | sfdisk %s "
	     "&& " BOOT_CODE,
	     &p);
	ck_assert(p.esp && p.boot_code);
	expect(&p, DISKBOOT_WANT_AUTO, DISKBOOT_UEFI, NULL);
	expect(&p, DISKBOOT_WANT_BIOS, DISKBOOT_BIOS, NULL);
}
END_TEST

/* Nothing that boots, and tables that point outside what was read, or nowhere. */
START_TEST(test_garbage)
{
	static uint8_t head[8192];
	struct diskboot_probe p;

	diskboot_probe(head, sizeof(head), &p);
	ck_assert(!p.mbr && !p.gpt && !p.ext);
	expect(&p, DISKBOOT_WANT_AUTO, -1, "not a disk image faultline can boot");
	expect(&p, DISKBOOT_WANT_BIOS, -1, "no boot code");
	diskboot_probe(head, 0, &p);
	ck_assert(!p.mbr && !p.gpt && !p.ext);
	diskboot_probe(head, 100, &p);
	ck_assert(!p.mbr);

	/* "EFI PART" whose entries lie past the bytes read, or are absurd */
	memcpy(head + 512, "EFI PART", 8);
	head[512 + 72] = 0xff; /* entries at LBA 255: past 8 KiB */
	head[512 + 80] = 4;
	head[512 + 84] = 128;
	diskboot_probe(head, sizeof(head), &p);
	ck_assert(p.gpt && !p.esp);
	head[512 + 72] = 2;
	head[512 + 84] = 1; /* an entry of one byte */
	diskboot_probe(head, sizeof(head), &p);
	ck_assert(!p.esp);
	head[512 + 84] = 128;
	memset(head + 512 + 80, 0xff, 4); /* 4 billion entries */
	diskboot_probe(head, sizeof(head), &p);
	ck_assert(!p.esp);
	ck_assert_str_eq(diskboot_how_name(DISKBOOT_BIOS), "bios");
	ck_assert_str_eq(diskboot_how_name(DISKBOOT_UEFI), "uefi");
	ck_assert_str_eq(diskboot_how_name(DISKBOOT_KERNEL), "kernel");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("diskboot");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_whole_disk_fs);
	tcase_add_test(tc, test_mbr);
	tcase_add_test(tc, test_gpt);
	tcase_add_test(tc, test_garbage);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
