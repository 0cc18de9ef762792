/* record.c — the record schema (see record.h). */
#include "record.h"

#include <pthread.h>

#include "guesttext.h"
#include "jsonx.h"
#include "util.h"

void record_init(struct record *r)
{
	*r = (struct record){
	    .input_size = -1,
	    .matched = -1,
	    .attempt = 1,
	    .boot_ms = -1,
	    .deliver_ms = -1,
	    .verdict_ms = -1,
	    .total_ms = -1,
	    .protection_gap_ms = -1,
	    .sensor_restarts = -1,
	    .kind = VERDICT_OTHER,
	};
}

static void record_reboot_finish(struct record_reboot *b)
{
	for (size_t i = 0; i < b->n_boots; i++) {
		free(b->boots[i].verdict);
		free(b->boots[i].title);
		free(b->boots[i].console);
	}
	free(b->boots);
	free(b->first_verdict);
	free(b->outcome);
	free(b->mechanism);
	free(b->detail);
	memset(b, 0, sizeof(*b));
}

void record_finish(struct record *r)
{
	char **strings[] = {
	    &r->run_id,		&r->scenario,	    &r->sensor,
	    &r->case_id,	&r->case_name,	    &r->seed_file,
	    &r->mutations,	&r->input_sha256,   &r->input,
	    &r->verdict,	&r->host_fault,	    &r->title,
	    &r->host,		&r->detail,	    &r->report,
	    &r->console,	&r->expect,	    &r->reused.verdict,
	    &r->reused.title,	&r->reused.console, &r->agent_outcome,
	    &r->agent_message,	&r->protection,	    &r->sensor_log,
	    &r->started,	&r->kernel,	    &r->faultline_version,
	    &r->mutation_class, &r->phase,	    &r->kernel_name,
	    &r->arch,		&r->system,	    &r->probed_after,
	};

	for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
		free(*strings[i]);
	record_reboot_finish(&r->reboot);
	record_init(r);
}

/* ---- writing ---- */

/* Every string: much of a record is the guest's text (title, detail, report, the agent's
 * message), which is cleaned and capped at its source; here again, so that no record line holds
 * terminal controls or invalid UTF-8 (JSON text is UTF-8) or grows past GUESTTEXT_MAX a string. */
static json_object *str_or_null(const char *s)
{
	_cleanup_free_ char *clean = guesttext_strdup(s, GUESTTEXT_LINES);

	return clean ? json_object_new_string(clean) : NULL;
}

static json_object *timings_json(const struct record *r)
{
	json_object *t = json_object_new_object();

	json_object_object_add(t, "boot_ms", jsonx_int_or_null(r->boot_ms));
	json_object_object_add(t, "deliver_ms", jsonx_int_or_null(r->deliver_ms));
	json_object_object_add(t, "verdict_ms", jsonx_int_or_null(r->verdict_ms));
	json_object_object_add(t, "total_ms", jsonx_int_or_null(r->total_ms));
	return t;
}

static json_object *agent_json(const struct record *r)
{
	json_object *a = json_object_new_object();

	json_object_object_add(a, "outcome", str_or_null(r->agent_outcome));
	json_object_object_add(a, "errno", json_object_new_int(r->agent_errno));
	json_object_object_add(a, "message", str_or_null(r->agent_message));
	json_object_object_add(a, "frames_dropped", json_object_new_int64(r->frames_dropped));
	return a;
}

static json_object *reuse_json(const struct record_reuse *u)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "verdict", str_or_null(u->verdict));
	json_object_object_add(o, "title", str_or_null(u->title));
	json_object_object_add(o, "console", str_or_null(u->console));
	return o;
}

static json_object *reboot_json(const struct record_reboot *b)
{
	json_object *o = json_object_new_object(), *boots = json_object_new_array();

	for (size_t i = 0; i < b->n_boots; i++) {
		const struct record_boot *x = &b->boots[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "verdict", str_or_null(x->verdict));
		json_object_object_add(j, "title", str_or_null(x->title));
		json_object_object_add(j, "died_at_ms", jsonx_int_or_null(x->died_at_ms));
		json_object_object_add(j, "wall_ms", jsonx_int_or_null(x->wall_ms));
		json_object_object_add(j, "safe_mode", json_object_new_boolean(x->safe));
		json_object_object_add(j, "console", str_or_null(x->console));
		json_object_array_add(boots, j);
	}
	json_object_object_add(o, "first_verdict", str_or_null(b->first_verdict));
	json_object_object_add(o, "outcome", str_or_null(b->outcome));
	json_object_object_add(o, "mechanism", str_or_null(b->mechanism));
	json_object_object_add(o, "boots", boots);
	json_object_object_add(o, "recovery_wall_ms", jsonx_int_or_null(b->recovery_wall_ms));
	json_object_object_add(o, "recovery_guest_ms", jsonx_int_or_null(b->recovery_guest_ms));
	json_object_object_add(o, "detail", str_or_null(b->detail));
	return o;
}

json_object *record_to_json(const struct record *r)
{
	json_object *o = json_object_new_object();
	json_object *m = json_tokener_parse(r->mutations ? r->mutations : "[]");

	json_object_object_add(o, "run_id", str_or_null(r->run_id));
	json_object_object_add(o, "scenario", str_or_null(r->scenario));
	json_object_object_add(o, "sensor", str_or_null(r->sensor));
	json_object_object_add(o, "case", str_or_null(r->case_id));
	json_object_object_add(o, "case_name", str_or_null(r->case_name));
	json_object_object_add(o, "seed", json_object_new_uint64(r->seed));
	json_object_object_add(o, "seed_file", str_or_null(r->seed_file));
	json_object_object_add(o, "mutations", m ? m : json_object_new_array());
	json_object_object_add(o, "input_sha256", str_or_null(r->input_sha256));
	json_object_object_add(o, "input", str_or_null(r->input));
	json_object_object_add(o, "input_size", jsonx_int_or_null(r->input_size));
	json_object_object_add(o, "verdict", str_or_null(r->verdict));
	json_object_object_add(o, "title", str_or_null(r->title));
	json_object_object_add(o, "phase", str_or_null(r->phase));
	json_object_object_add(o, "detail", str_or_null(r->detail));
	json_object_object_add(o, "report", str_or_null(r->report));
	json_object_object_add(o, "console", str_or_null(r->console));
	json_object_object_add(o, "sensor_log", str_or_null(r->sensor_log));
	json_object_object_add(o, "expect", str_or_null(r->expect));
	json_object_object_add(o, "matched",
			       r->matched < 0 ? NULL : json_object_new_boolean(r->matched));
	json_object_object_add(o, "attempt", json_object_new_int(r->attempt));
	json_object_object_add(o, "host", str_or_null(r->host));
	json_object_object_add(o, "host_fault", str_or_null(r->host_fault));
	json_object_object_add(o, "host_stall_ms", json_object_new_int64(r->host_stall_ms));
	json_object_object_add(o, "flaky", json_object_new_boolean(r->flaky));
	if (r->reused.verdict)
		json_object_object_add(o, "reused_guest_run", reuse_json(&r->reused));
	if (r->reboot.first_verdict)
		json_object_object_add(o, "reboot", reboot_json(&r->reboot));
	json_object_object_add(o, "timings", timings_json(r));
	json_object_object_add(o, "agent", agent_json(r));
	json_object_object_add(o, "protection", str_or_null(r->protection));
	json_object_object_add(o, "protection_gap_ms", jsonx_int_or_null(r->protection_gap_ms));
	if (r->probed_after)
		json_object_object_add(o, "probed_after", json_object_new_string(r->probed_after));
	json_object_object_add(o, "sensor_restarts", jsonx_int_or_null(r->sensor_restarts));
	json_object_object_add(o, "started", str_or_null(r->started));
	json_object_object_add(o, "kernel", str_or_null(r->kernel));
	/* with a guest: kernel: or matrix: only, so that other runs' records stay as they were */
	if (r->kernel_name)
		json_object_object_add(o, "kernel_name", json_object_new_string(r->kernel_name));
	json_object_object_add(o, "arch", str_or_null(r->arch));
	json_object_object_add(o, "system", str_or_null(r->system));
	json_object_object_add(o, "faultline_version", str_or_null(r->faultline_version));
	return o;
}

/* ---- reading ---- */

/* A string member, copied; NULL when o is NULL, or the member absent, null or not a string.
 * Cleaned as when written: a line from an older faultline or edited by hand is printed too. */
static char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return guesttext_dup(json_object_get_string(v), (size_t)json_object_get_string_len(v),
			     GUESTTEXT_LINES);
}

static bool get_number(json_object *o, const char *key, json_object **ret)
{
	if (!o || !json_object_object_get_ex(o, key, ret))
		return false;
	return json_object_is_type(*ret, json_type_int) ||
	       json_object_is_type(*ret, json_type_double);
}

/* Seeds are 64-bit unsigned: read them without clamping at INT64_MAX. */
static uint64_t get_uint(json_object *o, const char *key)
{
	json_object *v;

	if (!get_number(o, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0)
		return json_object_get_uint64(v);
	return (uint64_t)json_object_get_int64(v);
}

static int get_bool(json_object *o, const char *key, int dflt)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return dflt;
	return json_object_get_boolean(v);
}

static void read_mutations(json_object *o, struct record *r)
{
	json_object *v;

	if (!json_object_object_get_ex(o, "mutations", &v) ||
	    !json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0) {
		r->mutation_class = xstrdup("seed");
		r->mutations = xstrdup("[]");
		return;
	}
	r->mutation_class = get_str(json_object_array_get_idx(v, 0), "op");
	if (!r->mutation_class)
		r->mutation_class = xstrdup("unknown");
	r->mutations = xstrdup(json_object_to_json_string_ext(
	    v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void read_reboot(json_object *o, struct record_reboot *b)
{
	json_object *boots;
	size_t n;

	if (!(b->first_verdict = get_str(o, "first_verdict")))
		return;
	b->outcome = get_str(o, "outcome");
	b->mechanism = get_str(o, "mechanism");
	b->recovery_wall_ms = jsonx_get_int(o, "recovery_wall_ms", -1);
	b->recovery_guest_ms = jsonx_get_int(o, "recovery_guest_ms", -1);
	b->detail = get_str(o, "detail");
	if (!json_object_object_get_ex(o, "boots", &boots) ||
	    !json_object_is_type(boots, json_type_array))
		return;
	n = json_object_array_length(boots);
	b->boots = xcalloc(n ? n : 1, sizeof(*b->boots));
	for (size_t i = 0; i < n; i++) {
		json_object *j = json_object_array_get_idx(boots, i);
		struct record_boot *x = &b->boots[b->n_boots++];

		x->verdict = get_str(j, "verdict");
		x->title = get_str(j, "title");
		x->died_at_ms = jsonx_get_int(j, "died_at_ms", -1);
		x->wall_ms = jsonx_get_int(j, "wall_ms", -1);
		x->safe = get_bool(j, "safe_mode", 0);
		x->console = get_str(j, "console");
	}
}

static void read_nested(json_object *o, struct record *r)
{
	json_object *timings = NULL, *agent = NULL, *reuse = NULL;

	json_object_object_get_ex(o, "timings", &timings);
	r->boot_ms = jsonx_get_int(timings, "boot_ms", -1);
	r->deliver_ms = jsonx_get_int(timings, "deliver_ms", -1);
	r->verdict_ms = jsonx_get_int(timings, "verdict_ms", -1);
	r->total_ms = jsonx_get_int(timings, "total_ms", -1);

	json_object_object_get_ex(o, "agent", &agent);
	r->agent_outcome = get_str(agent, "outcome");
	r->agent_message = get_str(agent, "message");
	r->agent_errno = (int)jsonx_get_int(agent, "errno", 0);
	r->frames_dropped = jsonx_get_int(agent, "frames_dropped", 0);

	if (json_object_object_get_ex(o, "reused_guest_run", &reuse) &&
	    (r->reused.verdict = get_str(reuse, "verdict"))) {
		r->reused.title = get_str(reuse, "title");
		r->reused.console = get_str(reuse, "console");
	}
	if (json_object_object_get_ex(o, "reboot", &reuse))
		read_reboot(reuse, &r->reboot);
}

int record_from_json(json_object *o, struct record *ret)
{
	struct record r;

	record_init(&r);
	record_init(ret);
	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	r.sensor = get_str(o, "sensor");
	r.case_id = get_str(o, "case");
	r.verdict = get_str(o, "verdict");
	if (!r.sensor || !r.case_id || !r.verdict || !r.sensor[0] || !r.case_id[0]) {
		record_finish(&r);
		return -EINVAL;
	}
	r.kind = verdict_parse(r.verdict);
	r.run_id = get_str(o, "run_id");
	r.scenario = get_str(o, "scenario");
	r.case_name = get_str(o, "case_name");
	r.seed = get_uint(o, "seed");
	r.seed_file = get_str(o, "seed_file");
	read_mutations(o, &r);
	r.input_sha256 = get_str(o, "input_sha256");
	r.input = get_str(o, "input");
	r.input_size = jsonx_get_int(o, "input_size", -1);
	r.title = get_str(o, "title");
	r.phase = get_str(o, "phase");
	r.detail = get_str(o, "detail");
	r.report = get_str(o, "report");
	r.console = get_str(o, "console");
	r.sensor_log = get_str(o, "sensor_log");
	r.expect = get_str(o, "expect");
	r.matched = get_bool(o, "matched", -1);
	r.attempt = (int)jsonx_get_int(o, "attempt", 1);
	r.host = get_str(o, "host");
	r.host_fault = get_str(o, "host_fault");
	r.host_stall_ms = jsonx_get_int(o, "host_stall_ms", 0);
	r.flaky = get_bool(o, "flaky", 0);
	read_nested(o, &r);
	r.protection = get_str(o, "protection");
	r.protection_gap_ms = jsonx_get_int(o, "protection_gap_ms", -1);
	r.probed_after = get_str(o, "probed_after");
	r.sensor_restarts = jsonx_get_int(o, "sensor_restarts", -1);
	r.started = get_str(o, "started");
	r.kernel = get_str(o, "kernel");
	r.kernel_name = get_str(o, "kernel_name");
	r.arch = get_str(o, "arch");
	r.system = get_str(o, "system");
	r.faultline_version = get_str(o, "faultline_version");
	*ret = r;
	return 0;
}

char *record_json_string(json_object *o, const char *key)
{
	return get_str(o, key);
}

/* ---- what a record means ---- */

enum record_outcome record_outcome(const struct record *r)
{
	if (verdict_has(r->kind, VERDICT_ERROR))
		return RECORD_ERROR;
	if (r->expect)
		return streq(r->verdict, r->expect) ? RECORD_PASS : RECORD_FAILURE;
	return verdict_has(r->kind, VERDICT_FAILURE) ? RECORD_FAILURE : RECORD_PASS;
}

bool record_silent_accept(const struct record *r)
{
	return r->kind == VERDICT_ACCEPTED && r->mutation_class &&
	       !streq(r->mutation_class, "seed");
}

/* "untitled crash", ...: one string per verdict, made once from the table. */
static char untitled[_VERDICT_MAX][48];
static pthread_once_t untitled_once = PTHREAD_ONCE_INIT;

static void fill_untitled(void)
{
	for (int v = 0; v < _VERDICT_MAX; v++)
		snprintf(untitled[v], sizeof(untitled[v]), "untitled %s", verdict_name(v));
}

const char *record_signature(const struct record *r)
{
	if (!verdict_has(r->kind, VERDICT_SIGNATURE))
		return NULL;
	if (r->title && r->title[0])
		return r->title;
	pthread_once(&untitled_once, fill_untitled);
	return untitled[r->kind];
}
