/* fuzz-classify.c — libFuzzer target for the console classifier. The input is classified twice:
 * as one buffer, and fed to a stream in chunks whose sizes come from the input itself; both must
 * agree, and neither may crash, leak or read out of bounds (build with ASan/UBSan). It is also
 * read as a sensor's stderr by the user-space reader. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "classify.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct classify_result *a = NULL, *b = NULL;
	if (classify_buffer(data, size, &a) < 0)
		abort();

	struct classify_stream *st = classify_stream_new();
	size_t off = 0, step = size ? (data[0] % 61) + 1 : 1;
	while (off < size && !classify_stream_done(st)) {
		size_t n = size - off < step ? size - off : step;
		classify_stream_feed(st, data + off, n);
		off += n;
	}
	classify_stream_finish(st, &b);
	classify_stream_free(st);

	if (a->verdict != b->verdict || !streq_ptr(a->title, b->title) ||
	    a->first_line != b->first_line)
		abort();
	if (a->verdict != CLASSIFY_CLEAN && (!a->title || !a->type || !a->report))
		abort();
	if (a->report && strlen(a->report) > 64 * 1024)
		abort();
	/* the guest's uptime at the report (reboot.c): a stamp, or -1 */
	if (classify_uptime_ms(data, size, a->first_line ? a->first_line : (long)size) < -1)
		abort();
	classify_result_free(a);
	classify_result_free(b);

	/* the same bytes as a sensor's stderr: a verdict, a bounded excerpt, no crash */
	struct classify_result *u = NULL;
	if (classify_userspace_buffer(data, size, size ? data[size - 1] % 3 : 0, &u) < 0)
		abort();
	if (u->verdict != CLASSIFY_CLEAN && (!u->title || !u->type || !u->report))
		abort();
	if (u->verdict == CLASSIFY_CLEAN && (u->title || u->report))
		abort();
	if (u->report && strlen(u->report) > 64 * 1024)
		abort();
	classify_result_free(u);
	return 0;
}
