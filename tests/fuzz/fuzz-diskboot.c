/* fuzz-diskboot.c — libFuzzer target for the reader of a user's disk's first sectors
 * (harness/base/diskboot.h): any bytes are probed, and every firmware asked of the probe.
 * Must never crash, hang or leak; a choice made is one the probe allows. */
#include <stdlib.h>

#include "diskboot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum diskboot_want wants[] = {DISKBOOT_WANT_AUTO, DISKBOOT_WANT_BIOS,
						   DISKBOOT_WANT_UEFI};
	struct diskboot_probe p;

	diskboot_probe(data, size, &p);
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		enum diskboot_how how;
		char *why = NULL;

		if (diskboot_choose(&p, wants[i], &how, &why) < 0) {
			if (!why)
				abort();
			free(why);
			continue;
		}
		if ((how == DISKBOOT_UEFI && !p.esp) || (how == DISKBOOT_BIOS && !p.boot_code) ||
		    (how == DISKBOOT_KERNEL && !p.ext))
			abort();
	}
	return 0;
}
