/* deployment.c — an update deployed to a fleet of profiles on a session's guests, each machine
 * recorded (see deployment.h). */
#include "deployment.h"

#include <pthread.h>
#include <sys/stat.h>

#include "case-record.h"
#include "image.h"
#include "results.h"
#include "rollout-record.h"
#include "rollout-report.h"
#include "rollspec.h"
#include "util.h"

/* Where the workload script lands in the guest; the trigger runs it. */
#define WORKLOAD_GUEST_PATH "/lib/faultline/workload"

int deployment_prepare_sensor(void *userdata, const struct scenario *sc, size_t i, struct sensor *s,
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
	free(s->probe_counter);
	s->probe_counter = NULL;
	return 0;
}

/* ---- one record per machine (rollout.jsonl) ---- */

struct recorder {
	struct results *log;  /* rollout.jsonl */
	pthread_mutex_t lock; /* over error */
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
	const struct session *s; /* each profile's system: its sensor's image's */
};

/* The fleet names the consoles of a followed machine's boots relative to the strategy's folder
 * (its run dir): the record's are relative to the rollout's, like its own console. */
static void prefix_boot_consoles(struct record *r, const char *console_rel)
{
	const char *cut = strstr(console_rel, "consoles/");

	if (!cut || cut == console_rel)
		return;
	for (size_t i = 0; i < r->reboot.n_boots; i++) {
		char *c = r->reboot.boots[i].console;
		if (!c)
			continue;
		r->reboot.boots[i].console =
		    xasprintf("%.*s%s", (int)(cut - console_rel), console_rel, c);
		free(c);
	}
}

static void on_machine(void *userdata, enum rollout_strategy st, const struct rollout_machine *m,
		       const struct case_result *res, const char *console_rel, bool rollback)
{
	struct recorder *rec = userdata;
	struct scenario_case c = rollback ? *rec->previous : *rec->update;
	struct rollout_record r = {
	    .variant = rec->variant ? xstrdup(rec->variant) : NULL,
	    .strategy = xstrdup(rollout_strategy_name(st)),
	    .ring = xstrdup(st == ROLLOUT_ALL_AT_ONCE ? "all" : rec->spec->rings[m->ring].name),
	    .profile = xstrdup(rec->spec->profiles[m->profile].name),
	    .machine = (unsigned)m->index + 1,
	    .delivery = xstrdup(rollback ? "rollback" : "update"),
	};
	json_object *o;
	int k;

	c.id = (char *)m->id;
	struct record_context ctx = rec->ctx;
	const struct image *img = session_image(rec->s, rec->sensor_of[m->profile]);

	ctx.system = img && img->system ? img->system : "initramfs";
	case_record_fill(&ctx, scenario_sensor(rec->sc, rec->sensor_of[m->profile]), &c, res,
			 console_rel, &r.record);
	prefix_boot_consoles(&r.record, console_rel);
	/* one copy of the bytes for every machine (write_inputs()) */
	free(r.record.input);
	r.record.input = xstrdup(rollback ? rec->previous_input : rec->update_input);
	o = rollout_record_to_json(&r);
	if ((k = results_append(rec->log, o)) < 0) {
		pthread_mutex_lock(&rec->lock);
		rec->error = rec->error ? rec->error : k;
		pthread_mutex_unlock(&rec->lock);
	}
	json_object_put(o);
	rollout_record_finish(&r);
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
		       const struct scenario_case **ret_update, struct scenario_case *ret_previous,
		       struct session_error *e)
{
	size_t n;
	const struct scenario_case *cases = session_cases(s, &n), *u = NULL;
	uint8_t *data = NULL;
	size_t size;
	int r;

	for (size_t i = 0; i < n && !u; i++)
		if (!spec->case_name || streq(cases[i].name, spec->case_name))
			u = &cases[i];
	if (!u)
		return session_error_set(e, -EINVAL, SESSION_FAULT_SCENARIO,
					 "the rollout's case %s expands to no input",
					 spec->case_name);
	if ((r = read_file(u->seed_file, 16 << 20, &data, &size)) < 0)
		return session_error_set(e, r, SESSION_FAULT_HOST,
					 "cannot read the previous content %s: %s", u->seed_file,
					 strerror(-r));
	*ret_previous = *u;
	ret_previous->data = data;
	ret_previous->size = size;
	ret_previous->mutations_json = (char *)"[]";
	*ret_update = u;
	return 0;
}

/* Both strategies (or the rings only) with the profiles on the sensors rec->sensor_of says,
 * into dir; results appended to res[*n]. */
static int run_strategies(struct session *s, const struct deployment_opts *o,
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
		if (o->progress)
			fprintf(o->progress, "rollout %s%s%s: %zu machines on %u guests into %s\n",
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
static int run_variants(struct session *s, const struct deployment_opts *o,
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

int deployment_write_reports(const char *dir, const struct deployment *d)
{
	const struct rollout_summary *summary = &d->summary;
	_cleanup_free_ char *json = xasprintf("%s/rollout.json", dir);
	_cleanup_free_ char *md = xasprintf("%s/rollout.md", dir);
	_cleanup_free_ char *html = xasprintf("%s/report.html", dir);
	int r = rollout_summary_write(json, summary);

	if (r == 0)
		r = rollout_report_write(md, REPORTS_MARKDOWN, summary);
	if (r == 0)
		r = rollout_report_write(html, REPORTS_HTML, summary);
	return r;
}

/* The update's bytes and the previous content's, once each, where the records say. */
static int write_inputs(const char *dir, struct recorder *rec, struct session_error *e)
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
		if (r < 0)
			return session_error_set(e, r, SESSION_FAULT_HOST, "cannot write %s: %s", p,
						 strerror(-r));
	}
	return 0;
}

static int open_records(const char *dir, struct recorder *rec, struct session_error *e)
{
	_cleanup_free_ char *path = xasprintf("%s/rollout.jsonl", dir);
	int r = mkdir_p(dir);

	if (r == 0 && (r = write_inputs(dir, rec, e)) < 0)
		return r;
	if (r < 0 || (r = results_open_log(dir, "rollout.jsonl", &rec->log)) < 0)
		return session_error_set(e, r, SESSION_FAULT_HOST, "cannot create %s: %s", path,
					 strerror(-r));
	return 0;
}

int deployment_run(struct session *s, const struct deployment_opts *o, struct deployment *ret,
		   struct session_error *ret_error)
{
	const struct scenario *sc = session_scenario(s);
	const struct rollspec *spec = scenario_rollout(sc);
	_cleanup_(rollout_plan_freep) struct rollout_plan *plan = NULL;
	struct scenario_case previous = {0};
	struct deployment d = {0};
	struct recorder rec = {.lock = PTHREAD_MUTEX_INITIALIZER,
			       .spec = spec,
			       .sc = sc,
			       .previous = &previous,
			       .meter = o->meter,
			       .s = s};
	uint64_t start = now_ms();
	int r;

	if ((r = rollout_plan_new(spec, o->fleet, scenario_seed(sc), &plan)) < 0)
		return session_error_set(ret_error, r, SESSION_FAULT_USAGE,
					 "the rings do not fit a fleet of %u machines", o->fleet);
	if ((r = find_update(s, spec, &rec.update, &previous, ret_error)) < 0)
		return r;
	if ((r = open_records(o->dir, &rec, ret_error)) < 0)
		goto out;
	rec.ctx = (struct record_context){
	    .run_id = o->run_id, .scenario = scenario_name(sc), .kernel = session_kernel(s)};
	d.res = xcalloc(2 * (spec->n_variants + 1), sizeof(*d.res));
	d.variants = xcalloc(2 * (spec->n_variants + 1), sizeof(char *));
	r = run_variants(s, o, spec, plan, o->dir, &rec, d.res, d.variants, &d.n_res);
	rec.log = results_close(rec.log);
	if (r < 0) {
		session_error_set(ret_error, r, SESSION_FAULT_HOST, "the rollout could not run: %s",
				  strerror(-r));
		goto out;
	}
	for (size_t k = 0; k < d.n_res; k++)
		d.interrupted |= d.res[k].interrupted;
	d.record_error = rec.error;
	d.plan = TAKE_PTR(plan);
	const struct rollout_summary_in in = {.sc = sc,
					      .spec = spec,
					      .plan = d.plan,
					      .update = rec.update,
					      .run_id = o->run_id,
					      .res = d.res,
					      .variants = d.variants,
					      .n_res = d.n_res,
					      .wall_ms = now_ms() - start};
	rollout_summarize(&in, &d.summary);
	*ret = d;
	d = (struct deployment){0};
out:
	deployment_finish(&d);
	free(previous.data);
	free(rec.update_input);
	free(rec.previous_input);
	return r;
}

void deployment_finish(struct deployment *d)
{
	for (size_t k = 0; k < d->n_res; k++)
		rollout_result_finish(&d->res[k]);
	free(d->res);
	free(d->variants);
	rollout_plan_free(d->plan);
	rollout_summary_finish(&d->summary);
	*d = (struct deployment){0};
}
