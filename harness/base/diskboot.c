/* diskboot.c — how a user's disk image boots, from its first sectors (diskboot.h). */
#include "diskboot.h"

#include <errno.h>
#include <string.h>

#include "util.h"

#define SECTOR 512u
#define MBR_CODE 440u	   /* boot code before the disk signature */
#define MBR_TABLE 446u	   /* four 16-byte entries */
#define EXT_MAGIC_AT 1080u /* superblock (1024) + s_magic (56) */
#define GPT_MAX_ENTRIES 1024u

/* C12A7328-F81F-11D2-BA4B-00A0C93EC93B as GPT stores it (the first three fields little-endian) */
static const uint8_t esp_guid[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
				     0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};

static uint64_t le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = bytes; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* An ESP among the GPT's entries, as far as they lie in the bytes read. */
static bool gpt_has_esp(const uint8_t *head, size_t size)
{
	const uint8_t *h = head + SECTOR;
	uint64_t lba = le(h + 72, 8), count = le(h + 80, 4), entry = le(h + 84, 4);

	if (entry < 128 || entry > SECTOR * 8 || count > GPT_MAX_ENTRIES || lba < 2 ||
	    lba > size / SECTOR)
		return false;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t at = lba * SECTOR + i * entry;

		if (at + sizeof(esp_guid) > size)
			break;
		if (memcmp(head + at, esp_guid, sizeof(esp_guid)) == 0)
			return true;
	}
	return false;
}

void diskboot_probe(const uint8_t *head, size_t size, struct diskboot_probe *ret)
{
	struct diskboot_probe p = {0};

	if (size >= SECTOR && head[510] == 0x55 && head[511] == 0xaa) {
		p.mbr = true;
		p.boot_code = !all_zero(head, MBR_CODE);
		for (unsigned i = 0; i < 4; i++)
			p.mbr_parts = p.mbr_parts || head[MBR_TABLE + 16 * i + 4] != 0;
	}
	if (size >= 2 * SECTOR && memcmp(head + SECTOR, "EFI PART", 8) == 0) {
		p.gpt = true;
		p.esp = gpt_has_esp(head, size);
	}
	p.ext = size >= EXT_MAGIC_AT + 2 && le(head + EXT_MAGIC_AT, 2) == 0xef53;
	*ret = p;
}

int diskboot_choose(const struct diskboot_probe *p, enum diskboot_want want, enum diskboot_how *ret,
		    char **ret_why)
{
	switch (want) {
	case DISKBOOT_WANT_UEFI:
		if (p->esp)
			break;
		*ret_why = xasprintf("has no EFI system partition (a GPT partition of type "
				     "C12A7328-F81F-11D2-BA4B-00A0C93EC93B) for firmware uefi%s",
				     p->boot_code ? "; its MBR has boot code: expected firmware: "
						    "bios, or no firmware: key"
				     : p->ext ? "; it is a file system on the whole disk: expected "
						"firmware: bios, or no firmware: key"
					      : "");
		return -EINVAL;
	case DISKBOOT_WANT_BIOS:
		if (p->boot_code || p->ext)
			break;
		*ret_why = xasprintf("has no boot code in its MBR and no file system on the "
				     "whole disk for firmware bios%s",
				     p->esp ? "; it has an EFI system partition: expected "
					      "firmware: uefi, or no firmware: key"
					    : "");
		return -EINVAL;
	case DISKBOOT_WANT_AUTO:
		if (p->esp || p->boot_code || p->ext)
			break;
		*ret_why = xstrdup(
		    p->mbr_parts || p->gpt
			? "has a partition table but neither boot code in its MBR nor an EFI "
			  "system partition: nothing on it boots (install a boot loader, GRUB "
			  "i386-pc or systemd-boot on an ESP)"
			: "holds no partition table, no boot code and no ext2/3/4 file system "
			  "on the whole disk: it is not a disk image faultline can boot");
		return -EINVAL;
	}
	/* the ESP first: a hybrid disk (GPT, ESP and BIOS boot code) boots under UEFI unless
	 * bios is asked for; a bare file system has no loader of its own */
	if (want != DISKBOOT_WANT_BIOS && p->esp)
		*ret = DISKBOOT_UEFI;
	else if (p->boot_code)
		*ret = DISKBOOT_BIOS;
	else
		*ret = DISKBOOT_KERNEL;
	return 0;
}

const char *diskboot_how_name(enum diskboot_how how)
{
	switch (how) {
	case DISKBOOT_BIOS:
		return "bios";
	case DISKBOOT_UEFI:
		return "uefi";
	case DISKBOOT_KERNEL:
		break;
	}
	return "kernel";
}
