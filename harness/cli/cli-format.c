/* cli-format.c — `faultline format show SEED --format F`: how a seed decodes, field by field
 * (offset, size, path, value, what derives it), or where and why decoding stops. Boots nothing. */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "datadir.h"
#include "format.h"
#include "util.h"

static void help(FILE *f)
{
	cli_help_print(f, "format");
}

static char *format_path_of(const char *name)
{
	if (strchr(name, '/') || (strlen(name) > 5 && streq(name + strlen(name) - 5, ".yaml")))
		return xstrdup(name);
	return xasprintf("%s/%s.yaml", datadir_formats(), name);
}

/* Up to 16 bytes in hex, then the text when it is all printable. */
static void print_bytes(FILE *out, const uint8_t *b, size_t n)
{
	bool text = true;

	if (n == 0) {
		fprintf(out, "(empty)");
		return;
	}
	for (size_t i = 0; i < n && i < 16; i++)
		fprintf(out, "%s%02x", i ? " " : "", b[i]);
	if (n > 16)
		fprintf(out, " ...");
	for (size_t i = 0; i < n && text; i++)
		text = isprint(b[i]) || (b[i] == 0 && i == n - 1);
	n = b[n - 1] ? n : n - 1; /* a C string's NUL */
	if (text)
		fprintf(out, "  \"%.*s\"%s", (int)(n > 48 ? 48 : n), (const char *)b,
			n > 48 ? "..." : "");
}

/* What the field is, beside its value: its role and target, const, the case a union chose. */
static void print_note(FILE *out, const struct format_node *n)
{
	const struct format_item *it = n->item;
	const char *role = format_role_key(it->role);

	if (role && it->role == FORMAT_ROLE_EQUALS)
		fprintf(out, "  (derived: equals)");
	else if (role)
		fprintf(out, "  (derived: %s %s)", role, it->target_name ? it->target_name : "?");
	if (it->has_const)
		fprintf(out, "  (const)");
	if (it->has_range)
		fprintf(out, "  (range [%" PRIu64 ", %" PRIu64 "])", it->range_lo, it->range_hi);
	if (n->has_ref && it->role == FORMAT_ROLE_POINTER)
		fprintf(out, "  (points into an element, +%" PRIu64 ")", n->ref_delta);
}

static void print_node(FILE *out, const struct format_node *n, unsigned depth)
{
	_cleanup_free_ char *path = n->parent ? format_node_path(n) : xstrdup("(file)");

	/* a union is shown by its case, which says which one the tag chose */
	if (n->item->type == FORMAT_UNION && n->n_kids == 1) {
		print_node(out, n->kids[0], depth);
		return;
	}
	fprintf(out, "%8zu %6zu  %*s%s", n->offset, n->size, 2 * depth, "", path);
	switch (n->kind) {
	case FORMAT_NODE_UINT:
		fprintf(out, " = %" PRIu64 " (0x%" PRIx64 ")", n->value, n->value);
		print_note(out, n);
		break;
	case FORMAT_NODE_BYTES:
		fprintf(out, " = ");
		print_bytes(out, n->bytes, n->len);
		break;
	case FORMAT_NODE_ARRAY:
		fprintf(out, ": %zu element(s)", n->n_kids);
		break;
	case FORMAT_NODE_RECORD:
		if (n->item->parent && n->item->parent->type == FORMAT_UNION)
			fprintf(out, ": case %s of %s", n->item->name, n->item->parent->name);
		break;
	}
	fputc('\n', out);
	for (size_t i = 0; i < n->n_kids; i++)
		print_node(out, n->kids[i], depth + 1);
}

/* The bytes around a failing offset (the first "offset N" of the message). */
static void print_context(FILE *out, const char *err, const uint8_t *d, size_t size)
{
	const char *o = strstr(err, "offset ");
	size_t off, lo;

	if (!o || !isdigit((unsigned char)o[7]))
		return;
	off = strtoull(o + 7, NULL, 10);
	if (off > size)
		return;
	lo = off > 8 ? off - 8 : 0;
	fprintf(out, "bytes %zu..%zu:", lo, off + 8 < size ? off + 8 : size);
	for (size_t i = lo; i < size && i < off + 8; i++)
		fprintf(out, "%s%02x", i == off ? " [" : " ", d[i]);
	if (off < size)
		fprintf(out, " (the byte at %zu in brackets)", off);
	fputc('\n', out);
}

static int show(const char *fpath, const char *seed)
{
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_free_ char *err = NULL;
	struct format_node *root = NULL;
	struct format *fmt = NULL;
	struct diags d = {0};
	size_t size;
	int r;

	r = format_load(fpath, &d, &fmt);
	if (r < 0) {
		cli_print_diags(stderr, &d);
		diags_finish(&d);
		return CLI_EXIT_USAGE;
	}
	diags_finish(&d);
	r = read_file(seed, 64u << 20, &data, &size);
	if (r < 0) {
		cli_error(SESSION_FAULT_USAGE, "cannot read %s: %s", seed, strerror(-r));
		format_free(fmt);
		return CLI_EXIT_USAGE;
	}
	printf("%s as %s (%s), %zu bytes\n", seed, format_name(fmt), fpath, size);
	r = format_decode(fmt, data, size, &root, &err);
	if (r < 0) {
		printf("does not decode: %s\n", err);
		print_context(stdout, err, data, size);
		format_free(fmt);
		return CLI_EXIT_SHORT;
	}
	printf("  offset   size  field = value\n");
	print_node(stdout, root, 0);
	format_node_free(root);
	format_free(fmt);
	return CLI_EXIT_OK;
}

int cmd_format(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'}, {"format", required_argument, NULL, 'f'}, {}};
	_cleanup_free_ char *fpath = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hf:", opts, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help(stdout);
			return CLI_EXIT_OK;
		case 'f':
			free(fpath);
			fpath = format_path_of(optarg);
			break;
		default:
			help(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 2 || !streq(argv[optind], "show")) {
		cli_error(SESSION_FAULT_USAGE, "expected: format show SEED --format F");
		help(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!fpath) {
		cli_error(SESSION_FAULT_USAGE, "format show needs --format F (a name or a path)");
		return CLI_EXIT_USAGE;
	}
	return show(fpath, argv[optind + 1]);
}
