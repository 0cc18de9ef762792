/* fuzz-guesttext.c — libFuzzer target for guest text cleaning (harness/base/guesttext.c): any
 * bytes a guest sends come out as text that is clean by the module's own check (valid UTF-8, no
 * control characters but the kept newlines and tabs), within the cap, the same when cleaned
 * again; in place and into a copy give the same bytes. The first byte picks the flags. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guesttext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned flags = data[0] & 1 ? GUESTTEXT_LINES : GUESTTEXT_LINE;
	data++, size--;

	char *dup = guesttext_dup(data, size, flags);
	size_t n = strlen(dup);
	assert(n <= GUESTTEXT_MAX + 64);
	assert(guesttext_is_clean(dup, n, flags) || n > GUESTTEXT_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)dup[i];
		assert(c >= 0x20 || (flags & GUESTTEXT_LINES && (c == '\n' || c == '\t')));
		assert(c != 0x7f);
	}
	char *again = guesttext_strdup(dup, flags);
	assert(strcmp(again, dup) == 0);

	char *copy = malloc(size + 1), *inplace = malloc(size + 1);
	memcpy(inplace, data, size);
	size_t a = guesttext_clean(copy, data, size, flags);
	size_t b = guesttext_clean(inplace, inplace, size, flags);
	assert(a == b && memcmp(copy, inplace, a) == 0);
	assert(a <= size);
	free(copy);
	free(inplace);
	free(again);
	free(dup);
	return 0;
}
