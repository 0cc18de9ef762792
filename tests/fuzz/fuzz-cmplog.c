/* fuzz-cmplog.c — libFuzzer target for the input-to-state stage's reader (harness/fuzz/cmplog.h):
 * what a comparison-tracing host build printed, then the replacements it gives in an input. The
 * first byte splits the data: that many bytes (mod 64) are the input, the rest the program's
 * output. Must never crash, hang or leak, and every replacement must lie inside the input. */
#include <stdlib.h>
#include <string.h>

#include "cmplog.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_cmplog l, m;
	struct fuzz_i2s c[64];
	size_t cut, n;
	char *text;

	if (size < 1)
		return 0;
	cut = data[0] % 64;
	if (cut > size - 1)
		cut = size - 1;
	text = xstrndup((const char *)data + 1 + cut, size - 1 - cut);
	if (fuzz_cmplog_parse(text, &l) == 0) {
		n = fuzz_cmplog_candidates(&l, data + 1, cut, c, 64);
		for (size_t i = 0; i < n; i++)
			if (c[i].offset + c[i].width > cut || !c[i].width || c[i].width > 8)
				abort();
		if (fuzz_cmplog_parse(text, &m) == 0) {
			if (fuzz_cmplog_new_sites(&l, &m))
				abort(); /* the same trace reaches nothing new */
			fuzz_cmplog_finish(&m);
		}
		fuzz_cmplog_finish(&l);
	}
	free(text);
	return 0;
}
