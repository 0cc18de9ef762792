/* fuzz-format.c — libFuzzer target for the format reader. An input whose first byte is even is a
 * format description (YAML): parse it and, if valid, decode/encode the shipped seeds with it. An
 * odd first byte: the rest is a content file, decoded with guests/formats/kscu.yaml, re-encoded,
 * and checksum-fixed raw. Must never crash, hang or leak. */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct format *kscu;
static uint8_t *seed;
static size_t seed_size;

static void exercise(const struct format *f, const uint8_t *d, size_t n)
{
	struct format_node *root = NULL, **v = NULL;
	size_t nv = 0, osize;
	uint8_t *out = NULL, *copy;
	char *err = NULL;

	copy = xmemdup(d, n);
	format_fix_checksums_raw(f, copy, n);
	free(copy);
	if (format_decode(f, d, n, &root, &err) < 0) {
		free(err);
		return;
	}
	format_node_leaves(root, &v, &nv);
	for (size_t i = 0; i < nv && i < 64; i++)
		free(format_node_path(v[i]));
	free(v);
	v = NULL;
	nv = 0;
	if (format_node_find(root, "instances[*].fields[last].len", &v, &nv, &err) < 0)
		free(err);
	free(v);
	format_encode(f, root, true, true, &out, &osize);
	free(out);
	format_node_free(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!kscu) {
		struct diags d = {0};

		if (format_load(FAULTLINE_SOURCE_DIR "/guests/formats/kscu.yaml", &d, &kscu) < 0 ||
		    read_file(FAULTLINE_SOURCE_DIR "/scenarios/content/basic.kscu", 1 << 20, &seed,
			      &seed_size) < 0)
			abort();
	}
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		exercise(kscu, data + 1, size - 1);
	} else {
		struct diags d = {0};
		struct format *f = NULL;

		if (format_parse("fuzz.yaml", data + 1, size - 1, &d, &f) == 0) {
			exercise(f, seed, seed_size);
			format_free(f);
		}
		diags_finish(&d);
	}
	return 0;
}
