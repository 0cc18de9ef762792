/* cli-mutate.c — `faultline mutate`: write the inputs a mutation list generates from one seed,
 * and a manifest.jsonl describing each, without booting anything. */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libgen.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "datadir.h"
#include "format.h"
#include "mutate.h"
#include "scenario.h"
#include "util.h"

static void help(FILE *f)
{
	cli_help_print(f, "mutate");
}

static char *format_path_for(const char *name)
{
	if (strchr(name, '/') || (strlen(name) > 5 && streq(name + strlen(name) - 5, ".yaml")))
		return xstrdup(name);
	return xasprintf("%s/%s.yaml", datadir_formats(), name);
}

/* The options: the format, the seed and the ops. Returns 0, 1 when --help was given, or -EINVAL
 * (the message is printed). */
static int parse_options(int argc, char **argv, char **fpath, uint64_t *seed,
			 struct mutate_list *list, bool *ops_given, struct diags *d)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"format", required_argument, NULL, 'f'},
					     {"seed", required_argument, NULL, 's'},
					     {"op", required_argument, NULL, 'o'},
					     {}};
	struct mutate_list *one;
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hf:s:o:", opts, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help(stdout);
			return 1;
		case 'f':
			free(*fpath);
			*fpath = format_path_for(optarg);
			break;
		case 's':
			errno = 0;
			*seed = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg || optarg[0] == '-') {
				cli_error(SESSION_FAULT_USAGE,
					  "bad --seed '%s'; expected a "
					  "number",
					  optarg);
				return -EINVAL;
			}
			break;
		case 'o':
			/* base dir for splice inputs: the current directory */
			one = NULL;
			if (mutate_list_parse_text(optarg, "--op", ".", d, &one) < 0) {
				cli_print_diags(stderr, d);
				return -EINVAL;
			}
			mutate_list_append(list, one);
			*ops_given = true;
			break;
		default:
			help(stderr);
			return -EINVAL;
		}
	}
	if (argc - optind != 2) {
		cli_error(SESSION_FAULT_USAGE, "expected IN and OUT_DIR");
		help(stderr);
		return -EINVAL;
	}
	return 0;
}

static void manifest_line(FILE *man, const struct mutate_output *o, const char *name, uint64_t seed,
			  const char *in, const char *format)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "file", json_object_new_string(name));
	json_object_object_add(j, "index", json_object_new_int64((int64_t)o->index));
	json_object_object_add(j, "sha256", json_object_new_string(o->sha256));
	json_object_object_add(j, "size", json_object_new_int64((int64_t)o->size));
	json_object_object_add(j, "seed", json_object_new_uint64(seed));
	json_object_object_add(j, "seed_file", json_object_new_string(in));
	if (format)
		json_object_object_add(j, "format", json_object_new_string(format));
	json_object_object_add(j, "mutations", json_tokener_parse(o->json));
	if (o->note)
		json_object_object_add(j, "note", json_object_new_string(o->note));
	fprintf(man, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
}

/* OUT_DIR/NNNNNN.bin for every output and OUT_DIR/manifest.jsonl; format: the description's
 * path, or NULL. Messages are printed here. */
static int write_outputs(const struct mutate_result *res, const char *outdir, const char *in,
			 uint64_t seed, const char *format)
{
	_cleanup_free_ char *mpath = xasprintf("%s/manifest.jsonl", outdir);
	_cleanup_fclose_ FILE *man = NULL;
	int r;

	r = mkdir_p(outdir);
	if (r < 0) {
		cli_error(SESSION_FAULT_HOST, "cannot create %s: %s", outdir, strerror(-r));
		return r;
	}
	man = fopen(mpath, "we");
	if (!man) {
		r = -errno;
		cli_error(SESSION_FAULT_HOST, "cannot write %s: %s", mpath, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < res->n; i++) {
		const struct mutate_output *o = &res->v[i];
		_cleanup_free_ char *name = xasprintf("%06zu.bin", o->index);
		_cleanup_free_ char *path = xasprintf("%s/%s", outdir, name);

		r = write_file_atomic(path, o->data, o->size);
		if (r < 0) {
			cli_error(SESSION_FAULT_HOST, "cannot write %s: %s", path, strerror(-r));
			return r;
		}
		manifest_line(man, o, name, seed, in, format);
	}
	if (fflush(man) != 0 || fsync(fileno(man)) < 0) {
		r = -errno;
		cli_error(SESSION_FAULT_HOST, "cannot write the manifest: %s", strerror(-r));
		return r;
	}
	return 0;
}

int cmd_mutate(int argc, char **argv)
{
	_cleanup_free_ char *fpath = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	struct diags d = {0};
	struct mutate_list *list = mutate_list_new();
	struct format *fmt = NULL;
	struct mutate_result res = {0};
	uint64_t seed = 1;
	const char *in, *outdir;
	bool ops_given = false;
	size_t size;
	int r, ret = CLI_EXIT_USAGE;

	r = parse_options(argc, argv, &fpath, &seed, list, &ops_given, &d);
	if (r != 0) {
		ret = r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
		goto out;
	}
	in = argv[optind];
	outdir = argv[optind + 1];
	if (fpath) {
		r = format_load(fpath, &d, &fmt);
		if (r < 0) {
			cli_print_diags(stderr, &d);
			goto out;
		}
	}
	if (mutate_list_size(list) == 0 && ops_given) {
		/* --op '[]': nothing to do, said so (not the default sweep) */
		if (write_outputs(&res, outdir, in, seed, fmt ? fpath : NULL) < 0) {
			ret = CLI_EXIT_HOST;
			goto out;
		}
		printf("0 input(s) written to %s: the mutation list is empty\n", outdir);
		ret = CLI_EXIT_OK;
		goto out;
	}
	if (mutate_list_size(list) == 0) {
		struct mutate_list *def = NULL;

		r = mutate_list_parse_text(fmt ? "{op: set, at: each, value: each}"
					       : "{op: bitflip, count: 100}",
					   "default", ".", &d, &def);
		if (r < 0)
			abort();
		mutate_list_append(list, def);
	}
	r = read_file(in, MUTATE_MAX_SIZE, &data, &size);
	if (r < 0) {
		cli_error(SESSION_FAULT_USAGE, "cannot read %s: %s", in, strerror(-r));
		goto out;
	}
	r = mutate_expand(list, fmt, data, size, seed, "--op", &d, &res);
	if (r < 0) {
		cli_print_diags(stderr, &d);
		goto out;
	}
	if (write_outputs(&res, outdir, in, seed, fmt ? fpath : NULL) < 0) {
		ret = CLI_EXIT_HOST; /* the message says which file */
		goto out;
	}
	printf("%zu input(s) written to %s (%zu variant(s), %zu duplicate(s) and %zu equal to the "
	       "seed dropped)\n",
	       res.n, outdir, res.n_variants, res.n_duplicates, res.n_same_as_seed);
	if (res.n_undone)
		fprintf(
		    stderr,
		    "warning: %zu mutation(s) undone by the checksum fix-up (a byte op changed a "
		    "checksum, and the fix-up wrote it back); checksum: stale or fixup: false "
		    "keeps the raw bytes\n",
		    res.n_undone);
	for (size_t i = 0; i < res.n; i++)
		if (res.v[i].note && !res.n_undone)
			fprintf(stderr, "warning: input %06zu %s\n", res.v[i].index, res.v[i].note);
	ret = CLI_EXIT_OK;
out:
	mutate_result_finish(&res);
	mutate_list_free(list);
	format_free(fmt);
	diags_finish(&d);
	return ret;
}
