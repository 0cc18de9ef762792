/* diskboot.h — how a user's disk image boots, read from its first sectors: a GPT with an EFI
 * system partition (UEFI through its own loader), an MBR with boot code (a PC BIOS through its
 * own loader), or a bare ext2/3/4 file system on the whole disk (faultline's kernel boots it).
 * Pure functions of a buffer: the caller reads the disk (qcow2 or raw) into it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the first DISKBOOT_HEAD bytes of a disk hold (512-byte sectors). */
#define DISKBOOT_HEAD (1u << 20)

struct diskboot_probe {
	bool mbr;	/* sector 0 ends in 55 aa */
	bool boot_code; /* ... and its first 440 bytes (the boot code) are not all zero */
	bool mbr_parts; /* ... and its table has a partition (GPT's protective one included) */
	bool gpt;	/* "EFI PART" at sector 1 */
	bool esp;	/* ... and a partition of the EFI system type within the bytes read */
	bool ext;	/* an ext2/3/4 superblock at byte 1024: a file system on the whole disk */
};

/* The firmware a scenario asks for (guest: firmware:), or none. */
enum diskboot_want { DISKBOOT_WANT_AUTO, DISKBOOT_WANT_BIOS, DISKBOOT_WANT_UEFI };

/* How the guest boots. */
enum diskboot_how {
	DISKBOOT_KERNEL, /* faultline's kernel and initramfs, the disk as its root (SeaBIOS) */
	DISKBOOT_BIOS,	 /* the disk's own boot loader under SeaBIOS */
	DISKBOOT_UEFI,	 /* the disk's own boot loader under OVMF */
};

/* Reads what the size bytes at head say (any bytes, any size). */
void diskboot_probe(const uint8_t *head, size_t size, struct diskboot_probe *ret);

/* The way to boot a disk so probed when the scenario wants want: 0 and *ret, or -EINVAL and
 * *ret_why (malloc'd, to follow "DISK ") saying why it cannot boot that way. */
int diskboot_choose(const struct diskboot_probe *p, enum diskboot_want want, enum diskboot_how *ret,
		    char **ret_why);

/* "kernel", "bios" or "uefi" (static) */
const char *diskboot_how_name(enum diskboot_how how);
