/* cli-classify.c — `faultline classify LOG|-`: one JSON object with the verdict of a console log.
 */
#include <getopt.h>
#include <json-c/json.h>

#include "classify.h"
#include "cli-fault.h"
#include "cli-help.h"
#include "cli.h"
#include "util.h"

static void help(FILE *f)
{
	cli_help_print(f, "classify");
}

static json_object *string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

int cmd_classify(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"user", no_argument, NULL, 'u'},
	    {"signal", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	bool user = false;
	int term_signal = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "us:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'u':
			user = true;
			break;
		case 's': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || v < 1 || v > 128) {
				fprintf(stderr,
					"faultline classify: --signal wants 1..128, not '%s'\n",
					optarg);
				return 2;
			}
			term_signal = (int)v;
			break;
		}
		case 'h':
			help(stdout);
			return 0;
		default:
			help(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		cli_error(SESSION_FAULT_USAGE, "expected one LOG argument (or '-')");
		help(stderr);
		return 2;
	}
	const char *path = argv[optind];
	struct classify_result *res = NULL;
	if (term_signal && !user) {
		fprintf(stderr, "faultline classify: --signal goes with --user\n");
		return 2;
	}
	int r;
	if (user)
		r = streq(path, "-") ? classify_userspace_file(stdin, term_signal, &res)
				     : classify_userspace_path(path, term_signal, &res);
	else
		r = streq(path, "-") ? classify_file(stdin, &res) : classify_path(path, &res);
	if (r < 0) {
		cli_error(SESSION_FAULT_USAGE, "cannot read %s: %s", path, strerror(-r));
		return 2;
	}

	json_object *o = json_object_new_object();
	bool found = res->verdict != CLASSIFY_CLEAN;
	json_object_object_add(o, "verdict",
			       json_object_new_string(classify_verdict_name(res->verdict)));
	json_object_object_add(o, "title", string_or_null(res->title));
	json_object_object_add(o, "type", string_or_null(res->type));
	json_object_object_add(o, "first_line",
			       found && res->first_line ? json_object_new_int64(res->first_line)
							: NULL);
	json_object_object_add(o, "report", string_or_null(res->report));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	classify_result_free(res);
	if (fflush(stdout) != 0) {
		cli_error(SESSION_FAULT_HOST, "cannot write the result: %s", strerror(errno));
		return 2;
	}
	return 0;
}
