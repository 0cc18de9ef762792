// SPDX-License-Identifier: GPL-2.0
/*
 * kref — faultline's reference sensor for deep bugs: a kernel module that loads KREF files
 * (guests/formats/kref.yaml) written to /dev/kref, one write = one file. The parser and evaluator
 * are kref-parse.c, shared with the host build kref-cmplog. A rejected file is answered with
 * EINVAL and a "kref: rejected: WHY" kernel log record; a loaded one with "kref: loaded".
 *
 * The evaluator's registers sit at the end of a vmalloc'd page, so that a store past them is a
 * page fault in the guard page that follows (deterministic, named after the function).
 */
#define pr_fmt(fmt) "kref: " fmt

#include <linux/crc32.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#define KRF_FN noinline __attribute__((__noipa__))
#define KRF_ALLOC(n) kzalloc((n), GFP_KERNEL)
#define KRF_FREE(p) kfree(p)
#define KRF_CRC32(p, n) (crc32_le(~0u, (p), (n)) ^ ~0u)
#define KRF_REJECT(f, w) ((f)->why = (w), -EINVAL)

#include "kref-parse.c"

#define KRF_MAX_FILE (64u << 10)

static DEFINE_MUTEX(krf_lock);
static unsigned int loads;
module_param(loads, uint, 0444);
MODULE_PARM_DESC(loads, "files loaded since the module was inserted");

static ssize_t krf_write(struct file *file, const char __user *buf, size_t len, loff_t *ppos)
{
	struct krf_file f = {0};
	void *page;
	u8 *data;
	int r;

	if (len > KRF_MAX_FILE)
		return -EFBIG;
	data = kvmalloc(len ? len : 1, GFP_KERNEL);
	page = vmalloc(PAGE_SIZE);
	if (!data || !page) {
		kvfree(data);
		vfree(page);
		return -ENOMEM;
	}
	if (copy_from_user(data, buf, len)) {
		r = -EFAULT;
		goto out;
	}
	memset(page, 0, PAGE_SIZE);
	f.p = data;
	f.size = (u32)len;
	f.regs = (u32 *)((u8 *)page + PAGE_SIZE - KRF_NREGS * sizeof(u32));
	mutex_lock(&krf_lock);
	r = krf_load(&f);
	krf_release(&f);
	if (r == 0)
		loads++;
	mutex_unlock(&krf_lock);
	if (r == -EINVAL)
		pr_warn("rejected: %s\n", f.why);
	else if (r == 0)
		pr_info("loaded %u sections, %u names\n", f.n_all, f.n_names);
out:
	kvfree(data);
	vfree(page);
	return r < 0 ? r : (ssize_t)len;
}

static const struct file_operations krf_fops = {
	.owner = THIS_MODULE,
	.write = krf_write,
	.llseek = noop_llseek,
};

static struct miscdevice krf_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kref",
	.fops = &krf_fops,
	.mode = 0600,
};

static int __init krf_init(void)
{
	return misc_register(&krf_dev);
}

static void __exit krf_exit(void)
{
	misc_deregister(&krf_dev);
}

module_init(krf_init);
module_exit(krf_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("faultline reference sensor for deep bugs (KREF files)");
