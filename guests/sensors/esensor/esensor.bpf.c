// SPDX-License-Identifier: GPL-2.0
/* esensor.bpf.c — the KSCU evaluator in the kernel, as a BPF program on the sched_process_exec
 * tracepoint (tp_btf: typed arguments, CO-RE field offsets from the running kernel's BTF).
 *
 * The rules come from maps the user-mode loader fills (esensor.h). The evaluation keeps the
 * legacy logic: every instance on every exec, fields in order, stop at the first that does not
 * match, and as many fields as the TEMPLATE declares, whatever the instance supplied. What the
 * verifier changes is what "past the instance's fields" means: the program can only read the
 * rule's fixed ES_MAX_FIELDS slots, and a slot the update did not fill holds zeros. A short
 * instance is therefore evaluated on zero fields (a u32 of 0, an empty string), silently, and
 * never read out of bounds.
 *
 * Kernel structures: the two fields used, with preserve_access_index, instead of a vmlinux.h;
 * libbpf relocates their offsets against /sys/kernel/btf/vmlinux at load time. */
/* uapi types first: the libbpf headers use them without including them */
#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "esensor.h"

struct task_struct {
	char comm[16];
	struct task_struct *real_parent;
} __attribute__((preserve_access_index));

struct linux_binprm;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * ES_MAX_RULES);
	__type(key, __u32);
	__type(value, struct es_rule);
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct es_slot);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ES_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct ctx {
	char comm[ES_COMM_LEN];
	char pcomm[ES_COMM_LEN];
	__u32 uid;
	__u32 base; /* first rule of the active half */
	struct es_slot slot;
};

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline __u32 le32(const __u8 *d)
{
	return d[0] | d[1] << 8 | d[2] << 16 | (__u32)d[3] << 24;
}

/* The field equals the string s: same length, same bytes (ks_match_string). */
static __always_inline int match_string(const struct es_field *f, const char *s)
{
	__u32 len = 0;

	while (len < ES_COMM_LEN - 1 && s[len])
		len++;
	if (f->len != len)
		return 0;
	for (__u32 i = 0; i < ES_COMM_LEN - 1; i++)
		if (i < len && f->data[i] != (__u8)s[i])
			return 0;
	return 1;
}

static long eval_rule(__u32 i, void *data)
{
	struct ctx *c = data;
	__u32 key = c->base + i, action = 0;
	struct es_rule *r = bpf_map_lookup_elem(&rules, &key);
	struct es_match *m;

	if (!r)
		return 1;
	for (__u32 j = 0; j < ES_MAX_FIELDS; j++) {
		const struct es_field *f = &r->f[j];
		int ok = 0;

		if (j >= c->slot.nfields)
			break;
		switch (c->slot.role[j]) {
		case ES_ROLE_COMM:
			ok = match_string(f, c->comm);
			break;
		case ES_ROLE_PCOMM:
			ok = match_string(f, c->pcomm);
			break;
		case ES_ROLE_MAXUID:
			ok = c->uid <= le32(f->data);
			break;
		case ES_ROLE_ACTION:
			action = le32(f->data);
			ok = 1;
			break;
		}
		if (!ok)
			return 0;
	}
	count(ES_STAT_MATCHES);
	if (action != 0)
		return 0;
	m = bpf_ringbuf_reserve(&events, sizeof(*m), 0);
	if (!m) {
		count(ES_STAT_LOST);
		return 0;
	}
	m->rule = i;
	m->action = action;
	__builtin_memcpy(m->comm, c->comm, sizeof(m->comm));
	bpf_ringbuf_submit(m, 0);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(es_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	struct ctx c = {};
	__u32 zero = 0, *half;
	struct es_slot *slot;

	count(ES_STAT_EXECS);
	half = bpf_map_lookup_elem(&active, &zero);
	if (!half)
		return 0;
	c.base = *half ? ES_MAX_RULES : 0;
	slot = bpf_map_lookup_elem(&slots, half);
	if (!slot || slot->n == 0)
		return 0;
	c.slot = *slot;
	bpf_get_current_comm(c.comm, sizeof(c.comm));
	BPF_CORE_READ_STR_INTO(&c.pcomm, p, real_parent, comm);
	c.uid = (__u32)bpf_get_current_uid_gid();
	bpf_loop(c.slot.n < ES_MAX_RULES ? c.slot.n : ES_MAX_RULES, eval_rule, &c, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
