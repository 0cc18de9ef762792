/* reboot.c — following a crashed guest across boots (see reboot.h).
 *
 * A boot that crashes after the agent's HELLO crashed in the sensor's boot-time work (loading
 * the stored content, the boot workload meeting it): one more turn of the loop. Before HELLO
 * only the kernel and the emulator ran: the follow-up is an infra-error, never a verdict, and
 * so is anything the host did; on a full system, whose systemd starts the sensor before the
 * agent, the boot reaching its systemd stands for HELLO. A boot counts as healthy only on the
 * agent's READY.
 */
#include "reboot.h"

#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

#include "classify.h"
#include "judge.h"
#include "util.h"

/* FAULTLINE_REMEDY_TEST (faultline's own tests): answer remediation requests with a malformed
 * frame ("malformed") or only after the agent stopped waiting ("late"). */
#define LATE_MS 8000

struct follow {
	const struct fleet_config *cfg;
	size_t si;
	const struct scenario_case *c;
	const char *disk;
	unsigned crashes; /* the case's own crash included */
	char *notes;
};

static atomic_uint serial;

#define note(f, ...) strappendf(&(f)->notes, "; ", __VA_ARGS__)

static char *boot_cmdline(const struct follow *f, unsigned n, bool safe)
{
	const struct scenario_persistence *p = &f->c->persist;
	_cleanup_free_ char *rec = NULL;

	if (p->recovery != SCENARIO_RECOVERY_NONE)
		rec = xasprintf(" faultline.recovery=%s faultline.recovery_boots=%u",
				scenario_recovery_name(p->recovery), p->counter_boots);
	return xasprintf("%s faultline.persist=1 faultline.boot=%u%s%s", f->cfg->cmdline, n,
			 rec ? rec : "", safe ? " faultline.safe=1" : "");
}

/* The answer to the agent's REMEDY_ASK: the host decides from what it saw of this machine. */
static void answer_remedy(struct follow *f, struct vm *vm, uint64_t *late_at)
{
	const struct scenario_persistence *p = &f->c->persist;
	const char *test = getenv("FAULTLINE_REMEDY_TEST");
	uint32_t action = PROTO_REMEDY_NONE;
	_cleanup_free_ uint8_t *seed = NULL, *payload = NULL;
	size_t seed_size = 0;

	if (p->recovery == SCENARIO_RECOVERY_REMEDIATION && f->crashes >= p->after)
		action = p->remedy == SCENARIO_REMEDY_DELETE ? PROTO_REMEDY_DELETE
							     : PROTO_REMEDY_ROLLBACK;
	if (action == PROTO_REMEDY_ROLLBACK &&
	    read_file(f->c->seed_file, PROTO_MAX_PAYLOAD - 4, &seed, &seed_size) < 0) {
		note(f, "remediation: cannot read the previous content %s: deleting instead",
		     f->c->seed_file);
		action = PROTO_REMEDY_DELETE;
	}
	if (test && streq(test, "malformed")) {
		vm_send(vm, PROTO_REMEDY, "bad", 3);
		note(f, "remediation: a malformed answer was sent (FAULTLINE_REMEDY_TEST)");
		return;
	}
	if (test && streq(test, "late") && !*late_at) {
		*late_at = now_ms() + LATE_MS;
		note(f, "remediation: the answer was held back %u s (FAULTLINE_REMEDY_TEST)",
		     LATE_MS / 1000);
		return;
	}
	payload = xmalloc(4 + seed_size);
	proto_put_u32(payload, action);
	if (seed_size)
		memcpy(payload + 4, seed, seed_size);
	if (vm_send(vm, PROTO_REMEDY, payload, (uint32_t)(4 + seed_size)) == 0 && !test &&
	    action != PROTO_REMEDY_NONE) {
		note(f, "remediation at boot after %u crash%s: %s", f->crashes,
		     f->crashes == 1 ? "" : "es",
		     action == PROTO_REMEDY_DELETE ? "delete the content"
						   : "roll back to the previous content");
	}
}

enum boot_end { BOOT_READY, BOOT_CRASHED, BOOT_INFRA };

/* A full system starts its sensor from systemd, before the agent: a boot that reached its
 * systemd (its "systemd[1]: " lines on the console) is past the kernel's own boot, and a crash
 * then is the sensor's boot-time work, HELLO or not. */
static bool system_reached(const struct follow *f, const char *console)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;

	if (!f->cfg->sensors[f->si].image->root_disk ||
	    read_file(console, 16 << 20, &data, &size) < 0)
		return false;
	return memmem(data, size, "systemd[1]: ", strlen("systemd[1]: ")) != NULL;
}

/* Judge a boot that ended without READY (judge.h, the reboot rows). */
static enum boot_end boot_failed(struct vm *vm, unsigned n, bool hello, bool stopped,
				 const char *console, struct reboot_boot *b, struct follow *f)
{
	_cleanup_free_ char *how = NULL;
	struct judge_input in = {
	    .step = JUDGE_REBOOT, .end = stopped ? JUDGE_STOPPED : JUDGE_SILENT, .hello = hello};
	struct case_result res;

	runner_drain_console(vm, 3000);
	in.hello = hello || system_reached(f, console);
	if (stopped && !vm_stopped_by_guest(vm, &how))
		in.stopped_by_host = how;
	case_result_init(&res);
	runner_judge(&in, console, &res);
	if (res.verdict == VERDICT_INFRA_ERROR) {
		note(f, "boot %u: %s", n, res.detail);
		case_result_finish(&res);
		return BOOT_INFRA;
	}
	b->verdict = res.verdict;
	b->title = TAKE_PTR(res.title);
	case_result_finish(&res);
	return BOOT_CRASHED;
}

/* One boot from the partition, until READY, a crash, or the boot timeout. */
static int one_boot(struct follow *f, unsigned n, bool safe, const char *console,
		    struct reboot_boot *b, enum boot_end *ret)
{
	_cleanup_free_ char *cmdline = boot_cmdline(f, n, safe), *error = NULL;
	_cleanup_free_ char *name = xasprintf("fl-%d-s%zu-r%04u", (int)getpid(), f->si,
					      atomic_fetch_add(&serial, 1) % 10000);
	struct vm_config vc = {.name = name,
			       .kernel = f->cfg->sensors[f->si].image->kernel,
			       .initrd = f->cfg->sensors[f->si].image->initrd,
			       .cmdline = cmdline,
			       .cmdline_extra = f->cfg->sensors[f->si].image->cmdline,
			       .memory_mib = fleet_sensor_memory(f->cfg, f->si),
			       .accel = f->cfg->accel,
			       .console_log = console,
			       .disk = f->disk,
			       .disk_qcow2 = f->cfg->sensors[f->si].image->root_disk != NULL,
			       .firmware = f->cfg->sensors[f->si].image->firmware,
			       .arch = f->cfg->sensors[f->si].image->arch};
	_cleanup_vm_ struct vm *vm = NULL;
	uint64_t start = now_ms(), deadline = start + f->cfg->boot_ms, late_at = 0;
	bool hello = false;
	int r;

	r = vm_start(f->cfg->host, &vc, &vm, &error);
	if (r == -ECANCELED)
		return r;
	if (r < 0) {
		note(f, "boot %u: %s", n, error);
		*ret = BOOT_INFRA;
		return 0;
	}
	for (;;) {
		uint64_t until = late_at && late_at < deadline ? late_at : deadline;
		struct vm_event ev;

		r = vm_next_event(vm, until, &ev);
		if (r == -ECANCELED)
			return r;
		if (r == -ETIMEDOUT && late_at && now_ms() >= late_at) {
			uint8_t none[4];
			proto_put_u32(none, PROTO_REMEDY_NONE);
			vm_send(vm, PROTO_REMEDY, none, sizeof(none));
			late_at = UINT64_MAX;
			continue;
		}
		if (r == -ETIMEDOUT) {
			*ret = boot_failed(vm, n, hello, false, console, b, f);
			break;
		}
		if (ev.type == VM_EVENT_PROTO_ERROR)
			continue;
		if (ev.type != VM_EVENT_FRAME) {
			*ret = boot_failed(vm, n, hello, true, console, b, f);
			break;
		}
		if (ev.frame.type == PROTO_HELLO)
			hello = true;
		else if (ev.frame.type == PROTO_REMEDY_ASK)
			answer_remedy(f, vm, &late_at);
		else if (ev.frame.type == PROTO_READY) {
			_cleanup_free_ char *text = NULL;
			int32_t status = runner_frame_status(&ev.frame, -1, &text);

			if (status != 0)
				note(f, "boot %u: the agent's READY said status %d: %s", n, status,
				     text);
			*ret = status == 0 ? BOOT_READY : BOOT_INFRA;
			proto_frame_finish(&ev.frame);
			break;
		}
		proto_frame_finish(&ev.frame);
	}
	b->wall_ms = now_ms() - start;
	b->safe = safe;
	if (*ret == BOOT_READY) {
		struct judge_input in = {.step = JUDGE_REBOOT, .end = JUDGE_DONE, .hello = true};
		struct judgement j;

		judge_decide(&in, &j);
		b->verdict = j.verdict;
		judgement_finish(&j);
	}
	return 0;
}

int64_t reboot_report_uptime_ms(const char *console_path, long line)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;

	/* a console is at most 8 MiB (vm.h), and its tail is where a boot ends */
	if (read_file(console_path, 16 << 20, &data, &size) < 0)
		return -1;
	return classify_uptime_ms(data, size, line);
}

/* After boot b: its uptime for the guest time, and its crash's kernel timestamp. */
static void account(const char *console, struct reboot_boot *b, uint64_t *guest_ms)
{
	struct classify_result *cr = NULL;
	int64_t up = reboot_report_uptime_ms(console, LONG_MAX);

	b->died_at_ms = -1;
	if (b->verdict != VERDICT_ACCEPTED && classify_path(console, &cr) == 0 && cr->first_line)
		b->died_at_ms = reboot_report_uptime_ms(console, cr->first_line);
	classify_result_free(cr);
	if (up > 0)
		*guest_ms += (uint64_t)up;
}

int reboot_follow(const struct fleet_config *cfg, size_t si, const struct scenario_case *c,
		  const char *disk, const char *console_stem, struct reboot_result *ret)
{
	const struct scenario_persistence *p = &c->persist;
	struct follow f = {.cfg = cfg, .si = si, .c = c, .disk = disk, .crashes = 1};
	struct reboot_result out = {.outcome = VERDICT_INFRA_ERROR,
				    .mechanism = scenario_recovery_name(p->recovery)};
	uint64_t start = now_ms();
	unsigned in_a_row = 0;
	bool safe_done = false;
	enum verdict outcome;
	int r = 0;

	/* a loop is `reboots` crashed boots in a row; the manual way adds two boots */
	for (unsigned n = 1; n <= p->reboots + 3; n++) {
		bool safe =
		    p->recovery == SCENARIO_RECOVERY_MANUAL && !safe_done && f.crashes >= p->after;
		_cleanup_free_ char *rel = xasprintf("%s.boot%u.log", console_stem, n);
		_cleanup_free_ char *console = xasprintf("%s/%s", cfg->run_dir, rel);
		struct reboot_boot *b;
		enum boot_end end;

		out.boots = xreallocarray(out.boots, out.n_boots + 1, sizeof(*out.boots));
		b = &out.boots[out.n_boots++];
		*b = (struct reboot_boot){.console = TAKE_PTR(rel), .died_at_ms = -1};
		unlink(console);
		if ((r = one_boot(&f, n, safe, console, b, &end)) < 0)
			break;
		account(console, b, &out.recovery_guest_ms);
		if (end == BOOT_CRASHED) {
			f.crashes++;
			in_a_row++;
		}
		outcome = judge_follow_up(end == BOOT_INFRA ? VERDICT_INFRA_ERROR : b->verdict,
					  safe, in_a_row, p->reboots);
		if (outcome == VERDICT_RECOVERED)
			out.recovery_wall_ms = now_ms() - start;
		if (outcome != _VERDICT_MAX) {
			out.outcome = outcome;
			break;
		}
		safe_done |= safe && end == BOOT_READY;
	}
	if (r == 0 && out.outcome == VERDICT_INFRA_ERROR && !f.notes)
		note(&f, "no verdict after %zu boots", out.n_boots);
	out.detail = TAKE_PTR(f.notes);
	if (r < 0) {
		reboot_result_finish(&out);
		return r;
	}
	*ret = out;
	return 0;
}

void reboot_result_finish(struct reboot_result *r)
{
	for (size_t i = 0; i < r->n_boots; i++) {
		free(r->boots[i].title);
		free(r->boots[i].console);
	}
	free(r->boots);
	free(r->detail);
	memset(r, 0, sizeof(*r));
}
