/* cli-validate.c — `faultline validate FILE.yaml...`: load every scenario, sensor.yaml or format
 * description and print every problem as FILE:LINE:COLUMN: message. Boots nothing. */
#include <getopt.h>
#include <libgen.h>

#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "datadir.h"
#include "format.h"
#include "scenario.h"
#include "sensor.h"
#include "session.h"
#include "util.h"

struct ordered {
	const struct diag *d;
	size_t file_rank, index;
};

static int cmp_ordered(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;

	if (x->file_rank != y->file_rank)
		return x->file_rank < y->file_rank ? -1 : 1;
	if (x->d->line != y->d->line)
		return x->d->line < y->d->line ? -1 : 1;
	if (x->d->column != y->d->column)
		return x->d->column < y->d->column ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Printed in file order (files in the order they first appear), then line and column, so that
 * the list reads top to bottom whatever order the loader found the problems in. */
void cli_print_diags(FILE *f, const struct diags *d)
{
	_cleanup_free_ struct ordered *o = xcalloc(d->n, sizeof(*o));

	for (size_t i = 0; i < d->n; i++) {
		o[i] = (struct ordered){.d = &d->v[i], .file_rank = i, .index = i};
		for (size_t j = 0; j < i; j++)
			if (streq_ptr(d->v[j].file, d->v[i].file)) {
				o[i].file_rank = o[j].file_rank;
				break;
			}
	}
	qsort(o, d->n, sizeof(*o), cmp_ordered);
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *x = o[i].d;

		if (x->line)
			fprintf(f, "%s:%u:%u: %s\n", x->file ? x->file : "-", x->line, x->column,
				x->message);
		else
			fprintf(f, "%s: %s\n", x->file ? x->file : "-", x->message);
	}
}

/* A format description has a top-level "format:" key; a scenario never does... unless it names
 * its format, so look for "fields:" too. */
static bool looks_like_format(const char *path)
{
	_cleanup_free_ uint8_t *data = NULL;
	struct diags d = {0};
	struct ynode *doc = NULL;
	bool yes = false;
	size_t size;

	if (read_file(path, 16 << 20, &data, &size) < 0)
		return false;
	if (ynode_parse(path, data, size, &d, &doc) == 0)
		yes = ynode_get(doc, "fields") && ynode_get(doc, "format");
	ynode_free(doc);
	diags_finish(&d);
	return yes;
}

/* A sensor is found as NAME/sensor.yaml, so the file name says it. */
static bool is_sensor_yaml(const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);

	return streq(basename(copy), "sensor.yaml");
}

static int validate_format(const char *path, bool quiet, struct diags *d)
{
	struct format *f = NULL;
	int r = format_load(path, d, &f);

	if (r == 0 && !quiet)
		printf("%s: valid format description '%s'\n", path, format_name(f));
	format_free(f);
	return r;
}

static int validate_sensor(const char *path, bool quiet, struct diags *d)
{
	struct sensor *s = NULL;
	int r = sensor_load_file(path, d, &s);

	if (r == 0 && !quiet)
		printf("%s: valid sensor '%s': reads %s, delivered by %s\n", path, s->name,
		       s->format && *s->format ? s->format : "no format", s->deliver_method);
	sensor_free(s);
	return r;
}

static int validate_scenario(const char *path, const struct scenario_opts *so, bool quiet,
			     struct diags *d)
{
	struct scenario *s = NULL;
	struct scenario_case *cases = NULL;
	size_t n = 0, dups = 0;
	int r = scenario_load(path, so, d, &s);

	if (r == 0)
		r = scenario_expand_full(s, d, &cases, &n, &dups);
	if (r == 0 && !quiet)
		printf("%s: valid scenario '%s': %zu sensor(s), %zu case(s) as written, %zu "
		       "input(s) (%zu duplicate(s) dropped)\n",
		       path, scenario_name(s), scenario_n_sensors(s), scenario_n_cases(s), n, dups);
	scenario_cases_free(cases, n);
	scenario_free(s);
	return r;
}

static void help(FILE *f)
{
	cli_help_print(f, "validate");
}

int cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"sensors-dir", required_argument, NULL, CLI_OPT_SENSORS_DIR},
	    {}};
	const char *const *dirs = NULL;
	struct scenario_opts so = {.formats_dir = datadir_formats()};
	_cleanup_(sensor_search_path_freep) char **path = NULL;
	bool quiet = false;
	int c, bad = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help(stdout);
			return 0;
		case 'q':
			quiet = true;
			break;
		case CLI_OPT_SENSORS_DIR:
			if (cli_sensors_dir_add(optarg, &dirs) < 0)
				return 2;
			break;
		default:
			help(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		cli_error(SESSION_FAULT_USAGE, "no file given");
		help(stderr);
		return 2;
	}
	path = session_sensor_path(dirs);
	so.sensors_dirs = (const char *const *)path;
	for (int i = optind; i < argc; i++) {
		struct diags d = {0};
		int r;

		if (is_sensor_yaml(argv[i]))
			r = validate_sensor(argv[i], quiet, &d);
		else if (looks_like_format(argv[i]))
			r = validate_format(argv[i], quiet, &d);
		else
			r = validate_scenario(argv[i], &so, quiet, &d);
		if (r < 0) {
			if (d.n == 0)
				cli_error(SESSION_FAULT_USAGE, "%s: %s", argv[i], strerror(-r));
			bad++;
		}
		fflush(stdout);
		cli_print_diags(stderr, &d);
		diags_finish(&d);
	}
	return bad ? 2 : 0;
}
