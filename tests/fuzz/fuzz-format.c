/* fuzz-format.c — libFuzzer target for the format reader and the structural mutations on its
 * trees. The first byte selects the mode:
 *   0 mod 4: the rest is a format description (YAML): parse it and, if valid, decode/encode
 *         the shipped kscu seed and the TLV and LANG fixtures' seeds with it;
 *   2 mod 4: the rest is a content file, decoded with tests/data/format/lang.yaml (expression
 *         relations, C string tables, flag-bit cases, ranges, absolute pointers, references),
 *         or with bit 2 set tests/data/format/tree.yaml (a recursive type);
 *   1 mod 4: the rest is a content file, decoded with guests/formats/kscu.yaml;
 *   3 mod 4: the rest is a content file, decoded with tests/data/format/tlv.yaml (unions, nested
 *         groups, pointers into a string table, relations, magic values).
 * A decoded content is re-encoded, checksum-fixed raw, and mutated (drop and duplicate of every
 * element, insert of every magic value). Must never crash, hang or leak. */
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "mutate.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct format *kscu, *tlv, *lang, *tree;
static uint8_t *kscu_seed, *tlv_seed, *lang_seed, *tree_seed;
static size_t kscu_seed_size, tlv_seed_size, lang_seed_size, tree_seed_size;
static struct mutate_list *ops, *drops, *sets;

static void mutate_with(const struct mutate_list *l, const struct format *f, const uint8_t *d,
			size_t n)
{
	struct mutate_result res = {0};
	struct diags diags = {0};

	if (mutate_expand(l, f, d, n, 1, "fuzz", &diags, &res) == 0)
		mutate_result_finish(&res);
	diags_finish(&diags);
}

/* drop each and insert of every magic value; without a dictionary, drop each and set each
 * (boundary values, both sides of ranges) */
static void mutate(const struct format *f, const uint8_t *d, size_t n)
{
	size_t n_magic = 0;

	format_magic(f, &n_magic);
	if (n_magic) {
		mutate_with(ops, f, d, n);
		return;
	}
	mutate_with(drops, f, d, n);
	mutate_with(sets, f, d, n);
}

static void exercise(const struct format *f, const uint8_t *d, size_t n, bool with_ops)
{
	struct format_node *root = NULL, **v = NULL;
	size_t nv = 0, osize;
	uint8_t *out = NULL, *copy;
	char *err = NULL;

	copy = xmalloc(n + 1);
	memcpy(copy, d, n);
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
	if (format_node_find(root, "sections[*].rules[*].name_off", &v, &nv, &err) < 0)
		free(err);
	if (format_node_find(root, "rules[*].wide_arg", &v, &nv, &err) < 0)
		free(err);
	free(v);
	format_encode(f, root, true, true, &out, &osize);
	free(out);
	format_node_free(root);
	/* bounded: the mutations multiply with the elements of the input */
	if (with_ops && n <= 512)
		mutate(f, d, n);
}

static void load(const char *fmt, const char *seed, struct format **f, uint8_t **s, size_t *n)
{
	struct diags d = {0};

	if (format_load(fmt, &d, f) < 0 || read_file(seed, 1 << 20, s, n) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!kscu) {
		struct diags d = {0};

		load(FAULTLINE_SOURCE_DIR "/guests/formats/kscu.yaml",
		     FAULTLINE_SOURCE_DIR "/scenarios/content/basic.kscu", &kscu, &kscu_seed,
		     &kscu_seed_size);
		load(FAULTLINE_SOURCE_DIR "/tests/data/format/tlv.yaml",
		     FAULTLINE_SOURCE_DIR "/tests/data/format/tlv.bin", &tlv, &tlv_seed,
		     &tlv_seed_size);
		load(FAULTLINE_SOURCE_DIR "/tests/data/format/lang.yaml",
		     FAULTLINE_SOURCE_DIR "/tests/data/format/lang.bin", &lang, &lang_seed,
		     &lang_seed_size);
		load(FAULTLINE_SOURCE_DIR "/tests/data/format/tree.yaml",
		     FAULTLINE_SOURCE_DIR "/tests/data/format/tree.bin", &tree, &tree_seed,
		     &tree_seed_size);
		if (mutate_list_parse_text("[{op: drop, at: each}, {op: insert, offset: 0, value: "
					   "each}]",
					   "fuzz", "/", &d, &ops) < 0 ||
		    mutate_list_parse_text("{op: drop, at: each}", "fuzz", "/", &d, &drops) < 0 ||
		    mutate_list_parse_text("{op: set, at: each, value: each}", "fuzz", "/", &d,
					   &sets) < 0)
			abort();
	}
	if (size == 0)
		return 0;
	if ((data[0] & 3) == 1) {
		exercise(kscu, data + 1, size - 1, false);
	} else if ((data[0] & 3) == 3) {
		exercise(tlv, data + 1, size - 1, true);
	} else if ((data[0] & 3) == 2) {
		exercise(data[0] & 4 ? tree : lang, data + 1, size - 1, true);
	} else {
		struct diags d = {0};
		struct format *f = NULL;

		if (format_parse("fuzz.yaml", data + 1, size - 1, &d, &f) == 0) {
			exercise(f, kscu_seed, kscu_seed_size, false);
			exercise(f, tlv_seed, tlv_seed_size, false);
			exercise(f, lang_seed, lang_seed_size, false);
			exercise(f, tree_seed, tree_seed_size, false);
			format_free(f);
		}
		diags_finish(&d);
	}
	return 0;
}
