/* vm-warm.c — a running guest put back to a state it was in, inside the same QEMU process (see
 * vm.h, "Warm reset").
 *
 * The state lives as an internal snapshot in a qcow2 file of its own, hot-added to QEMU as a
 * block node that no guest device uses (so the guest's devices and the migration stream are
 * those of a guest started from the same configuration), and written and loaded with QEMU's
 * snapshot-save / snapshot-load jobs through libvirt's QEMU monitor passthrough. Naming the node
 * as the only device keeps the guest's raw content partition out of it (raw cannot hold
 * snapshots; the pool resets it). It is saved once, in the template guest; every guest then
 * starts paused and loads it from a copy of the file, which skips the save image libvirt writes
 * (2.4 s here) and its restore (1.3 s).
 * Measured here (QEMU 7.2, TCG, 256 MiB): libvirt's own revert of an internal snapshot needs a
 * qcow2 disk on the domain and took 1.8-2.8 s; snapshot-load took a fraction of that.
 */
#include <libvirt/libvirt-qemu.h>

#include "vm-private.h"

#define WARM_NODE "faultline-warm"
#define WARM_TAG "warm"
#define WARM_JOB_MS 60000

static int monitor(struct vm *vm, const char *cmd, char **ret_reply, char **ret_error)
{
	char *reply = NULL;

	if (virDomainQemuMonitorCommand(vm->dom, cmd, &reply, 0) < 0) {
		*ret_error = vm_last_error("QEMU monitor command failed");
		return -EIO;
	}
	if (strstr(reply, "\"error\"")) {
		*ret_error = xasprintf("libvirt error: QEMU refused %s: %s", cmd, reply);
		free(reply);
		return -EIO;
	}
	if (ret_reply)
		*ret_reply = reply;
	else
		free(reply);
	return 0;
}

/* Wait for job id to conclude; its error, if any, into *ret_error. */
static int job_wait(struct vm *vm, const char *id, char **ret_error)
{
	uint64_t deadline = now_ms() + WARM_JOB_MS;
	_cleanup_free_ char *dismiss =
	    xasprintf("{\"execute\":\"job-dismiss\",\"arguments\":{\"id\":\"%s\"}}", id);

	for (unsigned delay_us = 500;; delay_us = delay_us < 8000 ? delay_us * 2 : delay_us) {
		_cleanup_free_ char *reply = NULL;

		if (monitor(vm, "{\"execute\":\"query-jobs\"}", &reply, ret_error) < 0)
			return -EIO;
		/* one job at a time in this QEMU: ours (query-jobs lists its id last) */
		if (!strstr(reply, id)) {
			*ret_error = xasprintf("libvirt error: QEMU lost job %s", id);
			return -EIO;
		}
		if (strstr(reply, "\"concluded\"")) {
			if (strstr(reply, "\"error\"")) {
				*ret_error =
				    xasprintf("libvirt error: QEMU job %s failed: %s", id, reply);
				_cleanup_free_ char *ignored = NULL;
				monitor(vm, dismiss, NULL, &ignored);
				return -EIO;
			}
			break;
		}
		if (now_ms() > deadline) {
			*ret_error = xasprintf("libvirt error: QEMU job %s did not end in %d s", id,
					       WARM_JOB_MS / 1000);
			return -ETIMEDOUT;
		}
		usleep(delay_us);
	}
	_cleanup_free_ char *e = NULL;
	return monitor(vm, dismiss, NULL, &e) < 0 ? -EIO : 0;
}

static int snapshot_job(struct vm *vm, const char *what, char **ret_error)
{
	_cleanup_free_ char *cmd = xasprintf(
	    "{\"execute\":\"snapshot-%s\",\"arguments\":{\"job-id\":\"fl-%s\",\"tag\":\"" WARM_TAG
	    "\",\"vmstate\":\"" WARM_NODE "\",\"devices\":[\"" WARM_NODE "\"]}}",
	    what, what);
	_cleanup_free_ char *id = xasprintf("fl-%s", what);

	if (monitor(vm, cmd, NULL, ret_error) < 0)
		return -EIO;
	return job_wait(vm, id, ret_error);
}

/* Adds the state file as WARM_NODE, read through io_uring where QEMU and the kernel allow it.
 * A load reads the saved state in QEMUFile's 32 KiB pieces; with the default thread pool each
 * piece is a hand-off to a worker thread and back, and a reset took 2-3 times as long (measured
 * here: median 280-340 ms against 100-130 ms for 60 MB of state). */
static int add_state_node(struct vm *vm, const char *state_path, char **ret_error)
{
	static const char *const aio[] = {"io_uring", "threads"};
	int r = -EIO;

	if (strpbrk(state_path, "\"\\")) {
		*ret_error = xasprintf("host error: cannot name %s in JSON", state_path);
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(aio); i++) {
		_cleanup_free_ char *add =
		    xasprintf("{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"qcow2\","
			      "\"node-name\":\"" WARM_NODE "\",\"file\":{\"driver\":\"file\","
			      "\"filename\":\"%s\",\"aio\":\"%s\"}}}",
			      state_path, aio[i]);

		free(*ret_error);
		*ret_error = NULL;
		if ((r = monitor(vm, add, NULL, ret_error)) == 0)
			return 0;
	}
	return r;
}

/* Pause the guest unless it is paused already. */
static int pause_guest(struct vm *vm, char **ret_error)
{
	virDomainInfo info;

	if (virDomainGetInfo(vm->dom, &info) < 0) {
		*ret_error = vm_last_error("cannot read the domain's state");
		return -EIO;
	}
	if (info.state != VIR_DOMAIN_PAUSED && virDomainSuspend(vm->dom) < 0) {
		*ret_error = vm_last_error("cannot pause the domain");
		return -EIO;
	}
	return 0;
}

static int warm_save(struct vm *vm, const char *state_path, char **ret_error)
{
	int r;

	if ((r = add_state_node(vm, state_path, ret_error)) < 0 ||
	    (r = pause_guest(vm, ret_error)) < 0)
		return r;
	return snapshot_job(vm, "save", ret_error);
}

int vm_warm_export(struct vm *vm, const char *state_path, char **ret_error)
{
	int r = warm_save(vm, state_path, ret_error);

	/* closed: QEMU writes what it still holds of the file (its qcow2 tables) */
	if (r == 0)
		r = monitor(
		    vm,
		    "{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"" WARM_NODE
		    "\"}}",
		    NULL, ret_error);
	return r;
}

/* What the guest sent before its state was replaced is not the new guest's. */
static void drop_queued(struct vm *vm)
{
	/* Bytes the old guest wrote before it stopped have reached the streams by now (the load
	 * takes far longer than the event loop's turn): what is queued or half-decoded is the
	 * old guest's and goes; the restored agent, like a restored clone's, sends nothing until
	 * asked. */
	pthread_mutex_lock(&vm->lock);
	proto_decoder_free(vm->dec);
	vm->dec = proto_decoder_new();
	vm_events_finish(&vm->events);
	vm->out_len = 0;
	vm->panicked = false;
	vm->tail[0] = '\0';
	pthread_mutex_unlock(&vm->lock);
}

int vm_warm_reset(struct vm *vm, char **ret_error)
{
	int r;

	if ((r = pause_guest(vm, ret_error)) < 0 || (r = snapshot_job(vm, "load", ret_error)) < 0)
		return r;
	drop_queued(vm);
	return 0;
}

int vm_warm_load(struct vm *vm, const char *state_path, char **ret_error)
{
	int r;

	if ((r = add_state_node(vm, state_path, ret_error)) < 0)
		return r;
	return vm_warm_reset(vm, ret_error);
}

int vm_warm_adopt(struct vm *vm, const char *state_path, char **ret_error)
{
	int r;

	if ((r = add_state_node(vm, state_path, ret_error)) < 0)
		return r;
	drop_queued(vm);
	return 0;
}
