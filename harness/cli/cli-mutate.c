/* cli-mutate.c — `faultline mutate`: write the inputs a mutation list generates from one seed,
 * and a manifest.jsonl describing each, without booting anything. */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libgen.h>

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

int cmd_mutate(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
					     {"format", required_argument, NULL, 'f'},
					     {"seed", required_argument, NULL, 's'},
					     {"op", required_argument, NULL, 'o'},
					     {}};
	_cleanup_free_ char *fpath = NULL, *indir = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	struct diags d = {0};
	struct mutate_list *list = mutate_list_new();
	struct format *fmt = NULL;
	struct mutate_result res = {0};
	uint64_t seed = 1;
	const char *in, *outdir;
	FILE *man = NULL;
	size_t size;
	int c, r, ret = 2;
	char *end;

	optind = 1;
	indir = NULL;
	while ((c = getopt_long(argc, argv, "hf:s:o:", opts, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help(stdout);
			ret = 0;
			goto out;
		case 'f':
			free(fpath);
			fpath = format_path_for(optarg);
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno || *end || !*optarg || optarg[0] == '-') {
				fprintf(stderr,
					"faultline mutate: bad --seed '%s'; expected a "
					"number\n",
					optarg);
				goto out;
			}
			break;
		case 'o': {
			struct mutate_list *one = NULL;

			/* base dir for splice inputs: the current directory */
			r = mutate_list_parse_text(optarg, "--op", ".", &d, &one);
			if (r < 0) {
				cli_print_diags(stderr, &d);
				goto out;
			}
			mutate_list_append(list, one);
			break;
		}
		default:
			help(stderr);
			goto out;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "faultline mutate: expected IN and OUT_DIR\n");
		help(stderr);
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
		fprintf(stderr, "faultline mutate: cannot read %s: %s\n", in, strerror(-r));
		goto out;
	}
	r = mutate_expand(list, fmt, data, size, seed, "--op", &d, &res);
	if (r < 0) {
		cli_print_diags(stderr, &d);
		goto out;
	}
	r = mkdir_p(outdir);
	if (r < 0) {
		fprintf(stderr, "faultline mutate: cannot create %s: %s\n", outdir, strerror(-r));
		goto out;
	}
	{
		_cleanup_free_ char *mpath = xasprintf("%s/manifest.jsonl", outdir);
		man = fopen(mpath, "we");
		if (!man) {
			fprintf(stderr, "faultline mutate: cannot write %s: %m\n", mpath);
			goto out;
		}
	}
	for (size_t i = 0; i < res.n; i++) {
		struct mutate_output *o = &res.v[i];
		_cleanup_free_ char *name = xasprintf("%06zu.bin", o->index);
		_cleanup_free_ char *path = xasprintf("%s/%s", outdir, name);
		json_object *j = json_object_new_object();

		r = write_file_atomic(path, o->data, o->size);
		if (r < 0) {
			fprintf(stderr, "faultline mutate: cannot write %s: %s\n", path,
				strerror(-r));
			json_object_put(j);
			goto out;
		}
		json_object_object_add(j, "file", json_object_new_string(name));
		json_object_object_add(j, "index", json_object_new_int64((int64_t)o->index));
		json_object_object_add(j, "sha256", json_object_new_string(o->sha256));
		json_object_object_add(j, "size", json_object_new_int64((int64_t)o->size));
		json_object_object_add(j, "seed", json_object_new_uint64(seed));
		json_object_object_add(j, "seed_file", json_object_new_string(in));
		if (fmt)
			json_object_object_add(j, "format", json_object_new_string(fpath));
		json_object_object_add(j, "mutations", json_tokener_parse(o->json));
		fprintf(man, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	}
	if (fflush(man) != 0 || fsync(fileno(man)) < 0) {
		fprintf(stderr, "faultline mutate: cannot write the manifest: %m\n");
		goto out;
	}
	printf("%zu input(s) written to %s (%zu variant(s), %zu duplicate(s) dropped)\n", res.n,
	       outdir, res.n_variants, res.n_duplicates);
	ret = 0;
out:
	if (man)
		fclose(man);
	mutate_result_finish(&res);
	mutate_list_free(list);
	format_free(fmt);
	diags_finish(&d);
	return ret;
}
