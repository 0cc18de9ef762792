/* fuzz-covfile.c — libFuzzer target for the coverage reader: what a guest's emulator wrote
 * (harness/base/covfile.h) and what its agent said about the modules it loaded and the sensor
 * process's code mappings. The first byte modulo 3 selects the mode:
 *   0: the rest is a coverage file: parse it and, if valid, take its trace into a campaign's
 *      map (harness/fuzz/bitmap.h) the way faultline fuzz does;
 *   1: the rest is a MODULES text (/proc/modules lines): the ranges it gives;
 *   2: the rest is a MODULES text's mappings (/proc/PID/maps lines): the mappings it gives,
 *      each a non-empty executable range with an absolute path that fits.
 * Must never crash, hang or leak. */
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "covfile.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void coverage_file(const uint8_t *data, size_t size)
{
	/* the reader's buffer is malloc'd (aligned), as covfile_read's is */
	uint8_t *buf = xmalloc(size ? size : 1);
	struct covfile_view v;

	memcpy(buf, data, size);
	if (covfile_parse(buf, size, &v) == 0) {
		struct fuzz_bitmap b;

		fuzz_bitmap_init(&b, v.map_size);
		fuzz_bitmap_merge(&b, v.edges, v.blocks);
		if (fuzz_bitmap_news(&b, v.edges, v.blocks) != FUZZ_NEWS_NONE)
			abort(); /* a trace merged is never news again */
		(void)fuzz_trace_hash(v.edges, v.blocks, v.map_size, size & 1);
		for (size_t i = 0; i < v.n_imms; i++)
			(void)v.header->imms[i];
		for (size_t i = 0; i < v.n_cmps; i++)
			(void)covfile_cmp_at(&v, i)->width;
		for (size_t i = 0; i < v.n_ranges; i++)
			if (v.header->ranges[i].start >= v.header->ranges[i].end)
				abort();
		fuzz_bitmap_finish(&b);
	}
	free(buf);
}

static void modules_text(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct covfile_range r[COVFILE_MAX_RANGES];
	size_t n = covfile_ranges_from_modules(text, size % 3 ? NULL : "ksensor,other", r,
					       COVFILE_MAX_RANGES);

	for (size_t i = 0; i < n; i++)
		if (r[i].start >= r[i].end)
			abort();
	free(text);
}

static void maps_text(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct covfile_map m[COVFILE_MAX_RANGES];
	size_t n = covfile_maps_parse(text, m, size % 2 ? COVFILE_MAX_RANGES : 1);

	for (size_t i = 0; i < n; i++)
		if (m[i].range.start >= m[i].range.end || m[i].path[0] != '/' ||
		    strnlen(m[i].path, sizeof(m[i].path)) == sizeof(m[i].path))
			abort();
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 3 == 0)
		coverage_file(data + 1, size - 1);
	else if (data[0] % 3 == 1)
		modules_text(data + 1, size - 1);
	else
		maps_text(data + 1, size - 1);
	return 0;
}
