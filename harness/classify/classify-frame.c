/* classify-frame.c — see classify-frame.h. */
#include "classify-frame.h"

#include <stdio.h>
#include <string.h>

#include "classify-patterns.h"
#include "util.h"

bool classify_frame_skipped(const struct classify_frame *f)
{
	if (classify_skipped_function(f->name))
		return true;
	return !f->module && classify_name_match_any(classify_skip_substrings,
						     classify_skip_substrings_n, f->name);
}

static void set_name(char out[SYM_LEN], const char *name)
{
	snprintf(out, SYM_LEN, "%s", name);
}

/* "__x64_sys_rmdir", "SyS_rmdir", "__se_sys_rmdir", "__do_sys_rmdir": "sys_rmdir". */
static void syscall_name(char out[SYM_LEN], const char *name)
{
	static const char *const wrappers[] = {
	    "__x64_sys_", "__ia32_sys_", "__arm64_sys_",     "__se_sys_",
	    "__do_sys_",  "SyS_",	 "__se_compat_sys_", "__do_compat_sys_"};
	for (size_t i = 0; i < ARRAY_SIZE(wrappers); i++)
		if (startswith(name, wrappers[i])) {
			snprintf(out, SYM_LEN, "sys_%s", name + strlen(wrappers[i]));
			return;
		}
	set_name(out, name);
}

static bool is_syscall_wrapper(const char *name)
{
	return classify_name_match("^__x64_sys_", name) ||
	       classify_name_match("^__ia32_sys_", name) ||
	       classify_name_match("^__arm64_sys_", name) || classify_name_match("^SyS_", name) ||
	       classify_name_match("^__se_sys_", name) || classify_name_match("^__do_sys_", name);
}

/* Default rule: the first frame that is not machinery; a module's frame first (the module under
 * test is the likelier culprit). */
static bool guilty_first(const struct classify_frame *const *cand, size_t n, unsigned flags,
			 char out[SYM_LEN])
{
	const struct classify_frame *first = NULL, *syscall = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!syscall && is_syscall_wrapper(cand[i]->name))
			syscall = cand[i];
		if (classify_frame_skipped(cand[i]))
			continue;
		if ((flags & CLASSIFY_PAT_LEAK) && !cand[i]->module &&
		    classify_name_match_any(classify_leak_skip, classify_leak_skip_n,
					    cand[i]->name))
			continue;
		if (cand[i]->module) {
			set_name(out, cand[i]->name);
			return true;
		}
		if (!first)
			first = cand[i];
	}
	if (first)
		set_name(out, first->name);
	/* everything below the syscall was machinery: the syscall names the bug */
	else if (syscall)
		syscall_name(out, syscall->name);
	return first || syscall;
}

/* A module's run of frames on a spinning CPU: its outermost frame (its entry into the loop). */
static bool module_outermost(const struct classify_frame *const *cand, size_t n, char out[SYM_LEN])
{
	const struct classify_frame *outer = NULL;
	for (size_t i = 0; i < n; i++) {
		if (classify_skipped_function(cand[i]->name))
			continue;
		if (cand[i]->module)
			outer = cand[i];
		else if (outer)
			break;
	}
	if (outer)
		set_name(out, outer->name);
	return outer != NULL;
}

/* Where the interrupted code starts: past the interrupt entry frames of the first interrupt
 * (the timer or NMI that sampled the CPU), else past the marker. */
static size_t interrupted_start(const struct classify_frame *const *cand, size_t n, size_t marker)
{
	for (size_t i = 0; i < n; i++) {
		if (!classify_name_match_any(classify_irq_entries, classify_irq_entries_n,
					     cand[i]->name))
			continue;
		while (i + 1 < n &&
		       classify_name_match_any(classify_irq_entries, classify_irq_entries_n,
					       cand[i + 1]->name))
			i++;
		return i + 1 < n ? i + 1 : marker;
	}
	return marker < n ? marker : 0;
}

/* A spinning CPU: the frame just above the first dispatcher of work (syscall entry, workqueue,
 * softirq, the vfs or socket layer); where the sample landed inside the loop does not matter. */
static bool guilty_spin(const struct classify_frame *const *cand, size_t n, size_t marker,
			unsigned flags, char out[SYM_LEN])
{
	if (module_outermost(cand, n, out))
		return true;
	size_t start = (flags & CLASSIFY_PAT_SAMPLED) ? interrupted_start(cand, n, marker) : 0;
	const struct classify_frame *prev = NULL, *first = NULL;
	for (size_t i = start; i < n; i++) {
		const char *name = cand[i]->name;
		if (classify_name_match_any(classify_stall_anchors, classify_stall_anchors_n,
					    name) &&
		    !is_syscall_wrapper(name)) {
			/* several variants below it: the dispatcher itself names the stall */
			if (startswith(name, "smp_call_function")) {
				set_name(out, "smp_call_function");
				return true;
			}
			if (prev) {
				syscall_name(out, prev->name);
				return true;
			}
			continue;
		}
		if (classify_frame_skipped(cand[i]) && !is_syscall_wrapper(name))
			continue;
		prev = cand[i];
		if (!first)
			first = cand[i];
	}
	if (first) {
		syscall_name(out, first->name);
		return true;
	}
	return guilty_first(cand, n, flags, out);
}

/* A blocked task: what it waits for when that is a well-known bottleneck, else the first frame
 * past the waiting machinery. */
static bool guilty_hung(const struct classify_frame *const *cand, size_t n, unsigned flags,
			char out[SYM_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (cand[i]->module && !classify_frame_skipped(cand[i])) {
			set_name(out, cand[i]->name);
			return true;
		}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < classify_hang_anchors_n; k++)
			if (classify_name_match(classify_hang_anchors[k].match, cand[i]->name)) {
				set_name(out, classify_hang_anchors[k].name);
				return true;
			}
	for (size_t i = 0; i < n; i++) {
		if (classify_frame_skipped(cand[i]) ||
		    classify_name_match_any(classify_hang_skip, classify_hang_skip_n,
					    cand[i]->name))
			continue;
		set_name(out, cand[i]->name);
		return true;
	}
	return guilty_first(cand, n, flags, out);
}

bool classify_guilty(const struct classify_frame *const *cand, size_t n, size_t marker,
		     unsigned flags, char out[SYM_LEN])
{
	if (flags & CLASSIFY_PAT_SPIN)
		return guilty_spin(cand, n, marker, flags, out);
	if (flags & CLASSIFY_PAT_HUNG)
		return guilty_hung(cand, n, flags, out);
	return guilty_first(cand, n, flags, out);
}
