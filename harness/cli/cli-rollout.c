/* cli-rollout.c — `faultline rollout SCENARIO`: deploy the scenario's update to a fleet drawn
 * from its profiles, all at once and then ring by ring with gates, every machine a real guest
 * of its profile; one record per machine, the table, rollout.json, rollout.md and report.html.
 * Exit 0, 2 for usage or input errors (nothing booted), 130/143 interrupted. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include "case-record.h"
#include "cli-fault.h"
#include "cli-help.h"
#include "cli-rollout.h"
#include "cli.h"
#include "image.h"
#include "reports.h"
#include "results.h"
#include "rollout-report.h"
#include "rollspec.h"
#include "session.h"
#include "util.h"

/* Where the workload script lands in the guest; the trigger runs it. */
#define WORKLOAD_GUEST_PATH "/lib/faultline/workload"

struct rollout_opts {
	struct session_opts s;
	const char *out_dir;
	unsigned fleet; /* --fleet: overrides the spec's */
	bool quiet, rings_only;
};

static void help(void)
{
	cli_help_print(stdout, "rollout");
}

static int parse_fleet(const char *arg, unsigned *ret)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || v < 1 || v > (long)ROLLSPEC_MAX_FLEET) {
		cli_error(SESSION_FAULT_USAGE, "--fleet takes a number from 1 to %u",
			  ROLLSPEC_MAX_FLEET);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct rollout_opts *o)
{
	static const struct option longopts[] = {CLI_SESSION_LONGOPTS,
						 {"jobs", required_argument, NULL, 'j'},
						 {"output", required_argument, NULL, 'o'},
						 {"fleet", required_argument, NULL, 'f'},
						 {"rings-only", no_argument, NULL, 'R'},
						 {"quiet", no_argument, NULL, 'q'},
						 {"help", no_argument, NULL, 'h'},
						 {}};
	int c, r;

	while ((c = getopt_long(argc, argv, "o:j:qh", longopts, NULL)) >= 0) {
		if ((r = cli_session_option(c, optarg, &o->s)) != 0) {
			if (r < 0)
				return r;
			continue;
		}
		switch (c) {
		case 'o':
			o->out_dir = optarg;
			break;
		case 'f':
			if (parse_fleet(optarg, &o->fleet) < 0)
				return -EINVAL;
			break;
		case 'R':
			o->rings_only = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			help();
			return 1;
		default:
			return -EINVAL;
		}
	}
	return cli_scenario_arg(argc, argv, "rollout", o->quiet, &o->s);
}

/* The session's hook: every sensor's guest gets the workload script of the profiles that run
 * it, and runs it in place of its trigger. */
static int prepare_sensor(void *userdata, const struct scenario *sc, size_t i, struct sensor *s,
			  const char *state_dir, char **ret_error)
{
	const struct rollspec *spec = scenario_rollout(sc);
	_cleanup_free_ char *dir = xasprintf("%s/rollout", state_dir);
	_cleanup_free_ char *path = xasprintf("%s/%s.workload", dir, s->name);
	_cleanup_free_ char *script = NULL;
	int r;

	(void)userdata;
	if (!spec)
		return 0;
	script = rollout_workload_script(spec, i, scenario_seed(sc));
	if ((r = mkdir_p(dir)) < 0 || (r = write_file_atomic(path, script, strlen(script))) < 0) {
		*ret_error = xasprintf("cannot write %s: %s", path, strerror(-r));
		return r;
	}
	s->files = xrealloc(s->files, (s->n_files + 1) * sizeof(*s->files));
	s->files[s->n_files++] =
	    (struct sensor_file){.src = TAKE_PTR(path), .dst = xstrdup(WORKLOAD_GUEST_PATH)};
	free(s->trigger);
	s->trigger = xstrdup("sh " WORKLOAD_GUEST_PATH);
	/* A probe execs the sensor's own trigger program: on a machine whose workload never
	 * runs it, the probe would be the event that meets the update. Protection is then read
	 * from the watch alone (a sensor process or log that died). */
	free(s->probe_command);
	s->probe_command = NULL;
	return 0;
}

/* ---- one record per machine (rollout.jsonl) ---- */

struct recorder {
	pthread_mutex_t lock;
	FILE *f;
	int error;
	struct record_context ctx;
	const struct rollspec *spec;
	const struct scenario *sc;
	const struct scenario_case *update, *previous;
	char *update_input, *previous_input; /* relative to the run dir */
	struct progress *meter;
	/* the variant being run (rollspec.h): its name (NULL: as written), each profile's sensor */
	const char *variant;
	const size_t *sensor_of;
};

/* The fleet names the consoles of a followed machine's boots relative to the strategy's folder
 * (its run dir): the record's are relative to the rollout's, like its own console. */
static void prefix_boot_consoles(json_object *record, const char *console_rel)
{
	const char *cut = strstr(console_rel, "consoles/");
	json_object *boots =
	    json_object_object_get(json_object_object_get(record, "reboot"), "boots");

	if (!cut || cut == console_rel || !boots)
		return;
	for (size_t i = 0; i < json_object_array_length(boots); i++) {
		json_object *b = json_object_array_get_idx(boots, i);
		const char *c = json_object_get_string(json_object_object_get(b, "console"));
		if (!c)
			continue;
		_cleanup_free_ char *p =
		    xasprintf("%.*s%s", (int)(cut - console_rel), console_rel, c);
		json_object_object_add(b, "console", json_object_new_string(p));
	}
}

static void on_machine(void *userdata, enum rollout_strategy st, const struct rollout_machine *m,
		       const struct case_result *res, const char *console_rel, bool rollback)
{
	struct recorder *rec = userdata;
	const struct rollspec_profile *p = &rec->spec->profiles[m->profile];
	struct scenario_case c = rollback ? *rec->previous : *rec->update;
	json_object *o, *ro = json_object_new_object();

	c.id = (char *)m->id;
	o = case_record_json(&rec->ctx, scenario_sensor(rec->sc, rec->sensor_of[m->profile]), &c,
			     res, console_rel);
	json_object_object_add(ro, "variant",
			       rec->variant ? json_object_new_string(rec->variant) : NULL);
	json_object_object_add(ro, "strategy", json_object_new_string(rollout_strategy_name(st)));
	json_object_object_add(ro, "ring",
			       json_object_new_string(st == ROLLOUT_ALL_AT_ONCE
							  ? "all"
							  : rec->spec->rings[m->ring].name));
	json_object_object_add(ro, "profile", json_object_new_string(p->name));
	json_object_object_add(ro, "machine", json_object_new_int((int)m->index + 1));
	json_object_object_add(ro, "delivery",
			       json_object_new_string(rollback ? "rollback" : "update"));
	json_object_object_add(o, "rollout", ro);
	prefix_boot_consoles(o, console_rel);
	/* one copy of the bytes for every machine (write_inputs()) */
	json_object_object_add(
	    o, "input", json_object_new_string(rollback ? rec->previous_input : rec->update_input));
	pthread_mutex_lock(&rec->lock);
	if (fprintf(rec->f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) <
		0 ||
	    fflush(rec->f) != 0 || fsync(fileno(rec->f)) < 0)
		rec->error = rec->error ? rec->error : -errno;
	pthread_mutex_unlock(&rec->lock);
	json_object_put(o);
	progress_result(rec->meter, res->verdict, false);
}

/* ---- the fleet: a fleet sensor per profile ---- */

struct profile_fleet {
	struct image *images;
	struct fleet_sensor *fs;
	size_t n;
};

static void profile_fleet_finish(struct profile_fleet *pf)
{
	for (size_t i = 0; i < pf->n; i++)
		free(pf->images[i].cmdline);
	free(pf->images);
	free(pf->fs);
}

/* Each profile's guests: its sensor's image (sensor_of[profile]), its command line (with
 * faultline.profile=NAME, which the workload script reads) and memory. */
static void profile_fleet_init(struct session *s, const struct rollspec *spec,
			       const size_t *sensor_of, struct profile_fleet *pf)
{
	pf->n = spec->n_profiles;
	pf->images = xcalloc(pf->n, sizeof(*pf->images));
	pf->fs = xcalloc(pf->n, sizeof(*pf->fs));
	for (size_t i = 0; i < pf->n; i++) {
		const struct rollspec_profile *p = &spec->profiles[i];
		const struct image *img = session_image(s, sensor_of[i]);

		pf->images[i] = *img;
		pf->images[i].cmdline =
		    xasprintf("%s%sfaultline.profile=%s%s%s", img->cmdline ? img->cmdline : "",
			      img->cmdline ? " " : "", p->name, p->cmdline ? " " : "",
			      p->cmdline ? p->cmdline : "");
		pf->fs[i] = (struct fleet_sensor){
		    .name = p->name, .image = &pf->images[i], .memory_mib = p->memory_mib};
	}
}

/* The update (the case the rollout names, or the first) and the content before it (its seed),
 * which a rollback delivers. */
static int find_update(struct session *s, const struct rollspec *spec,
		       const struct scenario_case **ret_update, struct scenario_case *ret_previous)
{
	size_t n;
	const struct scenario_case *cases = session_cases(s, &n), *u = NULL;
	uint8_t *data = NULL;
	size_t size;
	int r;

	for (size_t i = 0; i < n && !u; i++)
		if (!spec->case_name || streq(cases[i].name, spec->case_name))
			u = &cases[i];
	if (!u) {
		cli_error(SESSION_FAULT_SCENARIO, "the rollout's case %s expands to no input",
			  spec->case_name);
		return -EINVAL;
	}
	if ((r = read_file(u->seed_file, 16 << 20, &data, &size)) < 0) {
		cli_error(SESSION_FAULT_HOST, "cannot read the previous content %s: %s",
			  u->seed_file, strerror(-r));
		return r;
	}
	*ret_previous = *u;
	ret_previous->data = data;
	ret_previous->size = size;
	ret_previous->mutations_json = (char *)"[]";
	*ret_update = u;
	return 0;
}

/* ---- the table ---- */

static void print_row(int width, const char *strategy, const char *ring,
		      const struct rollout_tally *t, size_t n, const char *gate)
{
	printf("%-*s %-10s %8zu %8zu %6zu %6zu %6zu %6zu %6zu %6zu %6zu  %s\n", width, strategy,
	       ring, n, t->updated, t->down, t->boot_loop, t->sensor_died, t->protection_lost,
	       t->recovered, t->rolled_back, t->infra, gate);
}

static void print_table(const struct rollspec *spec, const struct rollout_result *res,
			const char *const *variants, size_t n_res)
{
	int width = 12;

	for (size_t k = 0; k < n_res; k++)
		if (variants[k] && (int)strlen(variants[k]) + 13 > width)
			width = (int)strlen(variants[k]) + 13; /* "VARIANT/all-at-once" */
	printf("%-*s %-10s %8s %8s %6s %6s %6s %6s %6s %6s %6s  %s\n", width, "STRATEGY", "RING",
	       "MACHINES", "UPDATED", "DOWN", "LOOP", "S-DIED", "P-LOST", "RECOV", "ROLLBK",
	       "INFRA", "GATE");
	for (size_t k = 0; k < n_res; k++) {
		const struct rollout_result *r = &res[k];
		_cleanup_free_ char *name =
		    variants[k]
			? xasprintf("%s/%s", variants[k], rollout_strategy_name(r->strategy))
			: xstrdup(rollout_strategy_name(r->strategy));

		for (size_t i = 0; i < r->n_rings; i++) {
			const struct rollout_ring_result *rr = &r->rings[i];
			_cleanup_free_ char *gate =
			    !rr->reached ? xstrdup("not reached")
			    : !rr->gated ? xstrdup("-")
					 : xasprintf("%s (%zu down, allows %zu)",
						     rr->passed ? "passed" : "FAILED",
						     rr->gate_down, rr->gate_allows);
			print_row(width, name,
				  r->strategy == ROLLOUT_ALL_AT_ONCE ? "all" : spec->rings[i].name,
				  &rr->tally, rr->n, gate);
		}
		_cleanup_free_ char *stop =
		    r->stopped_at == SIZE_MAX
			? xstrdup("went through")
			: xasprintf("halted at %s (%.0f s in)", spec->rings[r->stopped_at].name,
				    (double)r->end_ms / 1000.0);
		print_row(width, name, "total", &r->total, r->n_machines, stop);
	}
}

/* ---- the command ---- */

/* Both strategies (or the rings only) with the profiles on the sensors rec->sensor_of says,
 * into dir; results appended to res[*n]. */
static int run_strategies(struct session *s, const struct rollout_opts *o,
			  const struct rollspec *spec, const struct rollout_plan *plan,
			  const char *dir, struct recorder *rec, struct rollout_result *res,
			  size_t *n)
{
	_cleanup_free_ char *work_dir = session_work_dir(s);
	struct profile_fleet pf = {0};
	struct fleet_config fc = session_fleet_config(
	    s, (enum fleet_isolation)fleet_isolation_from_name(session_isolation(s)), dir,
	    work_dir);
	struct rollout_config cfg = {
	    .fleet = &fc,
	    .spec = spec,
	    .plan = plan,
	    .update = rec->update,
	    .previous = rec->previous,
	    .run_dir = dir,
	    .on_machine = on_machine,
	    .userdata = rec,
	};
	enum rollout_strategy order[2] = {ROLLOUT_ALL_AT_ONCE, ROLLOUT_RINGS};
	int r = 0;

	profile_fleet_init(s, spec, rec->sensor_of, &pf);
	fc.sensors = pf.fs;
	fc.n_sensors = pf.n;
	for (size_t k = o->rings_only ? 1 : 0; k < 2; k++) {
		progress_begin(rec->meter, rollout_strategy_name(order[k]), plan->n_machines);
		if (o->s.progress)
			fprintf(o->s.progress,
				"rollout %s%s%s: %zu machines on %u guests into %s\n",
				rec->variant ? rec->variant : "", rec->variant ? " " : "",
				rollout_strategy_name(order[k]), plan->n_machines, session_slots(s),
				dir);
		r = rollout_run(&cfg, order[k], &res[*n]);
		progress_end(rec->meter);
		if (r < 0)
			break;
		if (res[(*n)++].interrupted)
			break;
	}
	profile_fleet_finish(&pf);
	return r;
}

/* The rollout as written, then each variant (into DIR/VARIANT); variants[k] names the variant
 * of res[k] (NULL: as written). */
static int run_variants(struct session *s, const struct rollout_opts *o,
			const struct rollspec *spec, const struct rollout_plan *plan,
			const char *dir, struct recorder *rec, struct rollout_result *res,
			const char **variants, size_t *ret_n)
{
	_cleanup_free_ size_t *own = xcalloc(spec->n_profiles + 1, sizeof(size_t));
	size_t n = 0;
	int r = 0;

	for (size_t p = 0; p < spec->n_profiles; p++)
		own[p] = spec->profiles[p].sensor;
	for (size_t v = 0; v <= spec->n_variants && r == 0; v++) {
		const struct rollspec_variant *x = v ? &spec->variants[v - 1] : NULL;
		_cleanup_free_ char *vdir = x ? xasprintf("%s/%s", dir, x->name) : xstrdup(dir);
		size_t first = n;

		rec->variant = x ? x->name : NULL;
		rec->sensor_of = x ? x->sensor : own;
		r = run_strategies(s, o, spec, plan, vdir, rec, res, &n);
		for (size_t k = first; k < n; k++)
			variants[k] = rec->variant;
		if (n && res[n - 1].interrupted)
			break;
	}
	*ret_n = n;
	return r;
}

static int write_outputs(const char *dir, json_object *summary)
{
	_cleanup_free_ char *json = xasprintf("%s/rollout.json", dir);
	_cleanup_free_ char *md = xasprintf("%s/rollout.md", dir);
	_cleanup_free_ char *html = xasprintf("%s/report.html", dir);
	const char *text = json_object_to_json_string_ext(summary, JSON_C_TO_STRING_PRETTY);
	int r = write_file_atomic(json, text, strlen(text));

	if (r == 0)
		r = rollout_report_write(md, REPORTS_MARKDOWN, summary);
	if (r == 0)
		r = rollout_report_write(html, REPORTS_HTML, summary);
	return r;
}

/* The update's bytes and the previous content's, once each, where the records say. */
static int write_inputs(const char *dir, struct recorder *rec)
{
	const struct scenario_case *c[2] = {rec->update, rec->previous};
	char **rel[2] = {&rec->update_input, &rec->previous_input};

	for (size_t i = 0; i < 2; i++) {
		*rel[i] = xasprintf("inputs/%s%s.bin", rec->update->id, i ? ".previous" : "");
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, *rel[i]);
		_cleanup_free_ char *d = xasprintf("%s/inputs", dir);
		int r = mkdir_p(d);
		if (r == 0)
			r = write_file_atomic(p, c[i]->data, c[i]->size);
		if (r < 0) {
			cli_error(SESSION_FAULT_HOST, "cannot write %s: %s", p, strerror(-r));
			return r;
		}
	}
	return 0;
}

static int open_records(const char *dir, struct recorder *rec)
{
	_cleanup_free_ char *path = xasprintf("%s/rollout.jsonl", dir);
	int r = mkdir_p(dir);

	if (r == 0 && (r = write_inputs(dir, rec)) < 0)
		return r;
	if (r < 0 || !(rec->f = fopen(path, "ae"))) {
		r = r < 0 ? r : -errno;
		cli_error(SESSION_FAULT_HOST, "cannot create %s: %s", path, strerror(-r));
		return r;
	}
	return 0;
}

static int finish(const char *dir, struct rollout_summary_in *in, struct recorder *rec)
{
	json_object *summary = rollout_summary_json(in);
	int r = write_outputs(dir, summary), ret = 0;

	printf("\n%s\n", json_object_get_string(json_object_object_get(summary, "answer")));
	json_object_put(summary);
	if (r < 0) {
		cli_error(SESSION_FAULT_HOST, "cannot write the reports into %s: %s", dir,
			  strerror(-r));
		ret = 1;
	} else
		printf("report: %s/report.html, summary: %s/rollout.json, records: "
		       "%s/rollout.jsonl\n",
		       dir, dir, dir);
	if (rec->error) {
		cli_error(SESSION_FAULT_HOST, "could not record a machine: %s",
			  strerror(-rec->error));
		ret = 1;
	}
	return ret;
}

static int rollout_main(struct session *s, const struct rollout_opts *o, const char *dir,
			const char *run_id)
{
	const struct scenario *sc = session_scenario(s);
	const struct rollspec *spec = scenario_rollout(sc);
	_cleanup_(rollout_plan_freep) struct rollout_plan *plan = NULL;
	struct scenario_case previous = {0};
	_cleanup_free_ struct rollout_result *res =
	    xcalloc(2 * (spec->n_variants + 1), sizeof(*res));
	_cleanup_free_ const char **variants = xcalloc(2 * (spec->n_variants + 1), sizeof(char *));
	struct recorder rec = {.lock = PTHREAD_MUTEX_INITIALIZER,
			       .spec = spec,
			       .sc = sc,
			       .previous = &previous,
			       .meter = o->s.meter};
	size_t n_res = 0;
	uint64_t start = now_ms();
	int r, ret;

	if ((r = rollout_plan_new(spec, o->fleet, scenario_seed(sc), &plan)) < 0) {
		cli_error(SESSION_FAULT_USAGE, "the rings do not fit a fleet of %u machines",
			  o->fleet);
		return 2;
	}
	if (find_update(s, spec, &rec.update, &previous) < 0)
		return 2;
	if (open_records(dir, &rec) < 0) {
		free(previous.data);
		free(rec.update_input);
		free(rec.previous_input);
		return 1;
	}
	rec.ctx = (struct record_context){
	    .run_id = run_id, .scenario = scenario_name(sc), .kernel = session_kernel(s)};
	r = run_variants(s, o, spec, plan, dir, &rec, res, variants, &n_res);
	fclose(rec.f);
	if (r < 0) {
		cli_error(SESSION_FAULT_HOST, "the rollout could not run: %s", strerror(-r));
		ret = 1;
	} else {
		print_table(spec, res, variants, n_res);
		struct rollout_summary_in in = {.sc = sc,
						.spec = spec,
						.plan = plan,
						.update = rec.update,
						.run_id = run_id,
						.res = res,
						.variants = variants,
						.n_res = n_res,
						.wall_ms = now_ms() - start};
		ret = finish(dir, &in, &rec);
	}
	for (size_t k = 0; k < n_res; k++) {
		if (res[k].interrupted)
			ret = session_stop_signal() == SIGTERM ? 143 : 130;
		rollout_result_finish(&res[k]);
	}
	free(previous.data);
	free(rec.update_input);
	free(rec.previous_input);
	return ret;
}

int cmd_rollout(int argc, char **argv)
{
	struct rollout_opts o = {0};
	struct session_error err = {0};
	struct session *s = NULL;
	_cleanup_(progress_freep) struct progress *meter = NULL;
	_cleanup_free_ char *run_id = NULL, *run_dir = NULL;
	struct diags d = {0};
	int r, ret;

	r = parse_opts(argc, argv, &o);
	if (r != 0)
		return r > 0 ? 0 : 2;
	/* the sections are checked before anything is built or booted */
	o.s.no_guests = true;
	if (session_open(&o.s, &s, &err) < 0)
		return cli_session_failed(&err);
	if (!scenario_rollout(session_scenario(s)) ||
	    !scenario_rollout(session_scenario(s))->has_rollout) {
		diag_add(&d, o.s.scenario_path, 0, 0,
			 "no rollout: section; expected profiles: and rollout: (see faultline "
			 "rollout --help)");
		cli_error_diags(SESSION_FAULT_SCENARIO, &d);
		diags_finish(&d);
		session_close(s);
		return 2;
	}
	session_close(s);
	o.s.no_guests = false;
	o.s.prepare_sensor = prepare_sensor;
	meter = o.s.meter = progress_new(stderr, o.quiet);
	if (session_open(&o.s, &s, &err) < 0)
		return cli_session_failed(&err);
	run_id = session_new_run_id(s);
	if (!o.out_dir)
		run_dir = xasprintf("runs/%s", run_id);
	ret = rollout_main(s, &o, o.out_dir ? o.out_dir : run_dir, run_id);
	session_close(s);
	return ret;
}
