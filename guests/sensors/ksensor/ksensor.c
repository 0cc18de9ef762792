// SPDX-License-Identifier: GPL-2.0
/*
 * ksensor — faultline's reference sensor: a kernel-mode content interpreter.
 *
 * One source, two builds:
 *   - legacy (default): trusts the update the way the July 2024 driver did: no CRC check,
 *     instance_count, inst_len and field lengths are believed, and the evaluator reads as many
 *     fields as the TEMPLATE declares, whatever the instance supplied.
 *   - hardened (-DKS_HARDENED): validates everything before the same parser and evaluator run,
 *     rejects with a precise errno and keeps the last good content.
 *
 * Content (guests/formats/kscu.md) arrives by write() on /dev/ksensor, one write = one update.
 * Every instance is evaluated on every exec (tracepoint sched_process_exec), so a broken field
 * past field 0 is only touched when an exec'd name matches field 0.
 *
 * Faults are made deterministic on purpose (legacy build): the raw update is copied so that its
 * last byte is followed by an unmapped guard region of KS_GUARD bytes, and each instance's field
 * table ends exactly at a vmalloc guard page. A read past either one is a page fault, in the
 * function named in the oops (ks_parse_instance, ks_eval_field, ...); the functions are kept
 * out of line. The hardened build, having validated the counts, uses plain allocations.
 */
#define pr_fmt(fmt) "ksensor: " fmt

#include <linux/crc32.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#if __has_include(<linux/unaligned.h>) /* 6.12 moved it */
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#ifdef KS_HARDENED
#define KS_VARIANT "hardened"
#else
#define KS_VARIANT "legacy"
#endif

/* Out of line and never cloned, so that an oops names the function that faulted. */
#define KS_FN noinline __attribute__((__noipa__))

#define KS_MAGIC 0x5543534Bu
#define KS_VERSION 1
#define KS_HDR_SIZE 32
#define KS_INST_HDR 8
#define KS_FIELD_HDR 4
#define KS_MAX_UPDATE (1u << 20)
#define KS_LEGACY_MAX_UPDATE (16u << 20)
#define KS_MAX_STRING 255
/* Covers the largest single step the legacy parser can take past the end (a field header plus
 * a u16 length), so that every over-read lands in unmapped memory. */
#define KS_GUARD (17 * PAGE_SIZE)

enum ks_field_type { KS_FT_STRING = 1, KS_FT_U32 = 2 };
enum ks_role { KS_ROLE_COMM, KS_ROLE_MAXUID, KS_ROLE_ACTION, KS_ROLE_PCOMM };

struct ks_template {
	u16 type;
	const char *name;
	unsigned int nfields;
	u16 ftype[4];
	u8 role[4];
};

static const struct ks_template ks_templates[] = {
	{ 1, "exec-rule", 3, { KS_FT_STRING, KS_FT_U32, KS_FT_U32 },
	  { KS_ROLE_COMM, KS_ROLE_MAXUID, KS_ROLE_ACTION } },
	{ 2, "exec-rule-ext", 4, { KS_FT_STRING, KS_FT_U32, KS_FT_U32, KS_FT_STRING },
	  { KS_ROLE_COMM, KS_ROLE_MAXUID, KS_ROLE_ACTION, KS_ROLE_PCOMM } },
};

struct ks_field {
	u16 type;
	u16 len;
	const u8 *data; /* points into the content's raw buffer */
};

struct ks_instance {
	u16 field_count;
	struct ks_field *fields; /* ends exactly at a vmalloc guard page */
	void *fields_base;
};

struct ks_content {
	const struct ks_template *tmpl;
	u32 n;
	struct ks_instance *inst;
	void *raw_base;
};

struct ks_event {
	char comm[TASK_COMM_LEN];
	char pcomm[TASK_COMM_LEN];
	u32 uid;
};

static struct ks_content __rcu *ks_active;
static DEFINE_MUTEX(ks_lock);
static struct tracepoint *ks_tp;

static atomic_long_t ks_matches = ATOMIC_LONG_INIT(0);
static atomic_long_t ks_loads = ATOMIC_LONG_INIT(0);
static atomic_long_t ks_rejects = ATOMIC_LONG_INIT(0);

static int param_get_counter(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read((atomic_long_t *)kp->arg));
}

static const struct kernel_param_ops ks_counter_ops = { .get = param_get_counter };
module_param_cb(matches, &ks_counter_ops, &ks_matches, 0444);
MODULE_PARM_DESC(matches, "rule matches since load");
module_param_cb(loads, &ks_counter_ops, &ks_loads, 0444);
MODULE_PARM_DESC(loads, "updates accepted since load");
module_param_cb(rejects, &ks_counter_ops, &ks_rejects, 0444);
MODULE_PARM_DESC(rejects, "updates rejected since load");

static char ks_variant[] = KS_VARIANT;
module_param_string(variant, ks_variant, sizeof(ks_variant), 0444);
MODULE_PARM_DESC(variant, "build variant (legacy or hardened)");

/*
 * Unmap [addr, end) of a vmalloc area we own. init_mm is not exported to modules, but on x86-64
 * every page table shares the kernel half (vmalloc PGD entries are preallocated at boot), so the
 * current mm reaches the same PTEs. The pages stay owned by the area and vfree() releases them
 * (vunmap accepts cleared PTEs).
 * On arm64 the kernel half has a page table of its own (TTBR1, swapper_pg_dir), which a user mm
 * does not reach: it is found from the register itself.
 */
#ifdef CONFIG_ARM64
#define ks_kernel_pgd(mm, addr)                                                                    \
	({                                                                                         \
		(void)(mm);                                                                        \
		pgd_offset_pgd(                                                                    \
		    (pgd_t *)phys_to_virt(read_sysreg(ttbr1_el1) & GENMASK_ULL(47, 12)), addr);    \
	})
#define ks_flush_one(addr) flush_tlb_kernel_range(addr, (addr) + PAGE_SIZE)
#else
#define ks_kernel_pgd(mm, addr) pgd_offset(mm, addr)
#define ks_flush_one(addr) asm volatile("invlpg (%0)" : : "r"(addr) : "memory")
#endif
static int ks_unmap_range(unsigned long addr, unsigned long end)
{
	struct mm_struct *mm = current->active_mm;

	for (; addr < end; addr += PAGE_SIZE) {
		pgd_t *pgd = ks_kernel_pgd(mm, addr);
		p4d_t *p4d;
		pud_t *pud;
		pmd_t *pmd;

		if (pgd_none(*pgd))
			return -EFAULT;
		p4d = p4d_offset(pgd, addr);
		if (p4d_none(*p4d))
			return -EFAULT;
		pud = pud_offset(p4d, addr);
		if (pud_none(*pud) || pud_leaf(*pud))
			return -EFAULT;
		pmd = pmd_offset(pud, addr);
		if (pmd_none(*pmd) || pmd_leaf(*pmd))
			return -EFAULT;
		pte_clear(mm, addr, pte_offset_kernel(pmd, addr));
		ks_flush_one(addr);
	}
	return 0;
}

/*
 * Allocate size bytes placed so that the last one is followed by unmapped memory: vmalloc's
 * own guard page, plus `guard` more bytes that we unmap. A size of 0 still gets a page, and the
 * returned pointer is its end.
 */
static void *ks_guarded_alloc(size_t size, size_t guard, void **ret_base)
{
	size_t span = PAGE_ALIGN(size ? size : 1);
	unsigned long tail;
	void *base;

	if (span < size)
		return NULL;
	base = vzalloc(span + guard);
	if (!base)
		return NULL;
	tail = (unsigned long)base + span;
	if (guard && ks_unmap_range(tail, tail + guard) < 0) {
		vfree(base);
		return NULL;
	}
	*ret_base = base;
	return (u8 *)base + span - size;
}

static void ks_content_free(struct ks_content *c)
{
	u32 i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		kvfree(c->inst[i].fields_base);
	kvfree(c->inst);
	vfree(c->raw_base);
	kfree(c);
}

static const struct ks_template *ks_template_find(u16 type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ks_templates); i++)
		if (ks_templates[i].type == type)
			return &ks_templates[i];
	return NULL;
}

/* ---- evaluation (tracepoint context: no sleeping) ---- */

static bool ks_match_string(const u8 *data, u16 len, const char *s)
{
	return len == strnlen(s, TASK_COMM_LEN) && memcmp(data, s, len) == 0;
}

/* Test field i of an instance against the event. The legacy build calls this for every field
 * the template declares, so i may be past the instance's table: the read of fields[i] below is
 * the July 2024 out-of-bounds read. */
static KS_FN bool ks_eval_field(const struct ks_field *fields, unsigned int i,
				const struct ks_template *t, const struct ks_event *ev, u32 *action)
{
	const struct ks_field *f = &fields[i];
	u16 len = READ_ONCE(f->len);
	const u8 *data = READ_ONCE(f->data);

	switch (t->role[i]) {
	case KS_ROLE_COMM:
		return ks_match_string(data, len, ev->comm);
	case KS_ROLE_PCOMM:
		return ks_match_string(data, len, ev->pcomm);
	case KS_ROLE_MAXUID:
		return ev->uid <= get_unaligned_le32(data);
	case KS_ROLE_ACTION:
		*action = get_unaligned_le32(data);
		return true;
	}
	return false;
}

static KS_FN bool ks_match(const struct ks_instance *inst, const struct ks_template *t,
			   const struct ks_event *ev, u32 *action)
{
	unsigned int i;

	for (i = 0; i < t->nfields; i++) {
#ifdef KS_HARDENED
		if (i >= inst->field_count)
			return false;
#endif
		if (!ks_eval_field(inst->fields, i, t, ev, action))
			return false;
	}
	return true;
}

static KS_FN void ks_eval(const struct ks_content *c, const struct ks_event *ev)
{
	u32 i, action;

	for (i = 0; i < c->n; i++) {
		action = 0;
		if (!ks_match(&c->inst[i], c->tmpl, ev, &action))
			continue;
		atomic_long_inc(&ks_matches);
		if (action == 0)
			pr_info_ratelimited("match rule %u on %s\n", i, ev->comm);
	}
}

static void ks_probe_exec(void *data, struct task_struct *p, pid_t old_pid,
			  struct linux_binprm *bprm)
{
	const struct ks_content *c;
	struct ks_event ev;

	rcu_read_lock();
	c = rcu_dereference(ks_active);
	if (c) {
		strscpy_pad(ev.comm, p->comm, sizeof(ev.comm));
		strscpy_pad(ev.pcomm, rcu_dereference(p->real_parent)->comm, sizeof(ev.pcomm));
		ev.uid = from_kuid_munged(&init_user_ns, task_uid(p));
		ks_eval(c, &ev);
	}
	rcu_read_unlock();
}

/* ---- parsing ---- */

#ifdef KS_HARDENED
#define reject(err, fmt, ...)                                                                      \
	({                                                                                         \
		pr_warn("rejected update: " fmt "\n", ##__VA_ARGS__);                              \
		err;                                                                               \
	})

/* Everything the parser below relies on, checked up front, so that the parser and evaluator
 * are the same code in both builds. */
static int ks_validate(const u8 *buf, size_t size, const struct ks_template **ret_tmpl)
{
	const struct ks_template *t;
	u32 magic, n, payload_len, crc, want, i, off;
	u16 version, type;

	if (size > KS_MAX_UPDATE)
		return reject(-E2BIG, "too large: %zu bytes (max %u)", size, KS_MAX_UPDATE);
	if (size < KS_HDR_SIZE)
		return reject(-EINVAL, "truncated header: %zu bytes", size);
	magic = get_unaligned_le32(buf);
	if (magic != KS_MAGIC)
		return reject(-EBADMSG, "bad magic 0x%08x", magic);
	version = get_unaligned_le16(buf + 4);
	if (version != KS_VERSION)
		return reject(-EPROTONOSUPPORT, "unsupported version %u", version);
	type = get_unaligned_le16(buf + 6);
	t = ks_template_find(type);
	if (!t)
		return reject(-EINVAL, "unknown template type %u", type);
	n = get_unaligned_le32(buf + 8);
	payload_len = get_unaligned_le32(buf + 12);
	if (payload_len != size - KS_HDR_SIZE)
		return reject(-EINVAL, "payload_len %u but %zu payload bytes", payload_len,
			      size - KS_HDR_SIZE);
	crc = get_unaligned_le32(buf + 16);
	want = ~crc32_le(~0u, buf + KS_HDR_SIZE, payload_len);
	if (crc != want)
		return reject(-EBADMSG, "crc mismatch (header 0x%08x, payload 0x%08x)", crc, want);
	if (get_unaligned_le32(buf + 20) != 0)
		return reject(-EINVAL, "non-zero flags 0x%08x", get_unaligned_le32(buf + 20));
	if (n > payload_len / KS_INST_HDR)
		return reject(-EINVAL, "instance_count %u too large for %u payload bytes", n,
			      payload_len);

	off = KS_HDR_SIZE;
	for (i = 0; i < n; i++) {
		u32 inst_len, fend, foff;
		u16 fc, j;

		if (size - off < KS_INST_HDR)
			return reject(-EINVAL, "instance %u: truncated header", i);
		inst_len = get_unaligned_le32(buf + off);
		if (inst_len < KS_INST_HDR || inst_len > size - off)
			return reject(-EINVAL, "instance %u: bad inst_len %u (%zu bytes left)", i,
				      inst_len, size - off);
		fc = get_unaligned_le16(buf + off + 4);
		if (fc != t->nfields)
			return reject(-EINVAL, "instance %u: %u fields, template %s declares %u", i,
				      fc, t->name, t->nfields);
		fend = off + inst_len;
		foff = off + KS_INST_HDR;
		for (j = 0; j < fc; j++) {
			u16 ft, fl;

			if (fend - foff < KS_FIELD_HDR)
				return reject(-EINVAL, "instance %u field %u: truncated header", i, j);
			ft = get_unaligned_le16(buf + foff);
			fl = get_unaligned_le16(buf + foff + 2);
			if (fl > fend - foff - KS_FIELD_HDR)
				return reject(-EINVAL, "instance %u field %u: len %u past instance end",
					      i, j, fl);
			if (ft != t->ftype[j])
				return reject(-EINVAL, "instance %u field %u: type %u, template %s expects %u",
					      i, j, ft, t->name, t->ftype[j]);
			if (ft == KS_FT_U32 && fl != 4)
				return reject(-EINVAL, "instance %u field %u: u32 with len %u", i, j,
					      fl);
			if (ft == KS_FT_STRING && fl > KS_MAX_STRING)
				return reject(-EINVAL, "instance %u field %u: string len %u", i, j, fl);
			foff += KS_FIELD_HDR + fl;
		}
		if (foff != fend)
			return reject(-EINVAL, "instance %u: %u bytes after its fields", i,
				      fend - foff);
		off = fend;
	}
	if (off != size)
		return reject(-EINVAL, "%zu bytes after the last instance", size - off);
	*ret_tmpl = t;
	return 0;
}
#endif

/* Parse the next instance at buf + *off and advance *off past it. Entries too short to be an
 * instance are skipped as padding, by their own inst_len: the legacy build never advances when
 * that is 0 (the hardened build has rejected it). The skip loop stays inside this function so
 * that a hang here always reports the same function. */
static KS_FN int ks_parse_instance(const u8 *buf, size_t *off, struct ks_instance *ret)
{
	const u8 *p, *f;
	u32 inst_len;
	u16 fc, i;
	struct ks_field *fields;
	void *base;

	for (;;) {
		p = buf + *off;
		inst_len = get_unaligned_le32(p);
		if (inst_len >= KS_INST_HDR)
			break;
		*off += inst_len;
	}
	fc = get_unaligned_le16(p + 4);
#ifdef KS_HARDENED
	/* Validated: no guard needed, and a page per instance would not fit a 1 MiB update. */
	fields = base = kcalloc(fc, sizeof(*fields), GFP_KERNEL);
#else
	fields = ks_guarded_alloc((size_t)fc * sizeof(*fields), 0, &base);
#endif
	if (!fields)
		return -ENOMEM;
	f = p + KS_INST_HDR;
	for (i = 0; i < fc; i++) {
		fields[i].type = get_unaligned_le16(f);
		fields[i].len = get_unaligned_le16(f + 2);
		fields[i].data = f + KS_FIELD_HDR;
		f += KS_FIELD_HDR + fields[i].len;
	}
	ret->field_count = fc;
	ret->fields = fields;
	ret->fields_base = base;
	*off += inst_len;
	return 0;
}

static int grow(struct ks_content *c, u32 *cap)
{
	struct ks_instance *ni;
	u32 ncap = *cap ? *cap * 2 : 8;

	ni = kvcalloc(ncap, sizeof(*ni), GFP_KERNEL);
	if (!ni)
		return -ENOMEM;
	if (c->n)
		memcpy(ni, c->inst, c->n * sizeof(*ni));
	kvfree(c->inst);
	c->inst = ni;
	*cap = ncap;
	return 0;
}

/* Build content from a raw update. The legacy build trusts the header's instance_count and each
 * inst_len; the hardened build has validated them before. */
static KS_FN int ks_load(const u8 *buf, void *raw_base, size_t size, struct ks_content **ret)
{
	const struct ks_template *t;
	struct ks_content *c;
	u32 n, cap = 0;
	size_t off;
	int r;

#ifdef KS_HARDENED
	r = ks_validate(buf, size, &t);
	if (r < 0)
		return r;
#else
	/* The legacy build only checks what it needs to pick a template. */
	if (get_unaligned_le32(buf) != KS_MAGIC) {
		pr_warn("rejected update: bad magic 0x%08x\n", get_unaligned_le32(buf));
		return -EBADMSG;
	}
	t = ks_template_find(get_unaligned_le16(buf + 6));
	if (!t) {
		pr_warn("rejected update: unknown template type %u\n", get_unaligned_le16(buf + 6));
		return -EINVAL;
	}
#endif
	n = get_unaligned_le32(buf + 8);

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->tmpl = t;
	c->raw_base = raw_base;
	off = KS_HDR_SIZE;
	while (c->n < n) {
		if (c->n == cap) {
			r = grow(c, &cap);
			if (r < 0)
				goto fail;
		}
		r = ks_parse_instance(buf, &off, &c->inst[c->n]);
		if (r < 0)
			goto fail;
		c->n++;
	}
	*ret = c;
	return 0;
fail:
	c->raw_base = NULL; /* the caller still owns it */
	ks_content_free(c);
	return r;
}

static ssize_t ks_write(struct file *file, const char __user *ubuf, size_t count, loff_t *ppos)
{
	struct ks_content *c, *old;
	void *base;
	u8 *buf;
	int r;

#ifdef KS_HARDENED
	if (count > KS_MAX_UPDATE) {
		atomic_long_inc(&ks_rejects);
		pr_warn("rejected update: too large: %zu bytes (max %u)\n", count, KS_MAX_UPDATE);
		return -E2BIG;
	}
#else
	if (count > KS_LEGACY_MAX_UPDATE)
		return -ENOMEM;
#endif
	buf = ks_guarded_alloc(count, KS_GUARD, &base);
	if (!buf)
		return -ENOMEM;
	if (copy_from_user(buf, ubuf, count)) {
		vfree(base);
		return -EFAULT;
	}

	mutex_lock(&ks_lock);
	r = ks_load(buf, base, count, &c);
	if (r < 0) {
		mutex_unlock(&ks_lock);
		vfree(base);
		atomic_long_inc(&ks_rejects);
		return r; /* the last good content stays active */
	}
	old = rcu_replace_pointer(ks_active, c, lockdep_is_held(&ks_lock));
	mutex_unlock(&ks_lock);
	atomic_long_inc(&ks_loads);
	pr_info("loaded update: %u instances (template %s)\n", c->n, c->tmpl->name);
	synchronize_rcu();
	ks_content_free(old);
	return count;
}

static const struct file_operations ks_fops = {
	.owner = THIS_MODULE,
	.write = ks_write,
	.llseek = noop_llseek,
};

static struct miscdevice ks_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ksensor",
	.fops = &ks_fops,
	.mode = 0600,
};

static void find_tp(struct tracepoint *tp, void *priv)
{
	if (strcmp(tp->name, "sched_process_exec") == 0)
		ks_tp = tp;
}

static int __init ks_init(void)
{
	int r;

	for_each_kernel_tracepoint(find_tp, NULL);
	if (!ks_tp) {
		pr_err("tracepoint sched_process_exec not found\n");
		return -ENOENT;
	}
	r = tracepoint_probe_register(ks_tp, (void *)ks_probe_exec, NULL);
	if (r < 0) {
		pr_err("cannot register on sched_process_exec: %d\n", r);
		return r;
	}
	r = misc_register(&ks_misc);
	if (r < 0) {
		tracepoint_probe_unregister(ks_tp, (void *)ks_probe_exec, NULL);
		tracepoint_synchronize_unregister();
		return r;
	}
	pr_info("%s build ready on /dev/ksensor\n", KS_VARIANT);
	return 0;
}

static void __exit ks_exit(void)
{
	misc_deregister(&ks_misc);
	tracepoint_probe_unregister(ks_tp, (void *)ks_probe_exec, NULL);
	tracepoint_synchronize_unregister();
	ks_content_free(rcu_dereference_protected(ks_active, 1));
}

module_init(ks_init);
module_exit(ks_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("faultline reference sensor (" KS_VARIANT " build)");
MODULE_AUTHOR("faultline");
