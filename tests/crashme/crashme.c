// SPDX-License-Identifier: GPL-2.0
/* crashme — a test module that makes the kernel fail on demand, so that the console classifier's
 * fixtures are recorded from real kernels. Write a kind to /proc/crashme:
 *   echo null > /proc/crashme
 * Kinds: null, pagefault, gpf, bugon, warn, div0, ud2, doublefree, uaf, stackoverflow,
 * fortify, stackprotector, softlockup, hardlockup, rcustall, hung, panic, listcorrupt, refcount,
 * usercopy, atomicsleep. Each lands in a function of this module, so titles name it. */
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("faultline classifier test module: crash the kernel on demand");

static volatile int crashme_zero;
static void *volatile crashme_ptr;

static noinline void crashme_null(void)
{
	pr_info("crashme: NULL dereference\n");
	crashme_ptr = NULL;
	*(volatile int *)crashme_ptr = 1;
}

static noinline void crashme_pagefault(void)
{
	/* a user address dereferenced from the kernel: a page fault, not a NULL one */
	crashme_ptr = (void *)0x10000UL;
	pr_info("crashme: page fault at %px\n", crashme_ptr);
	*(volatile int *)crashme_ptr = 1;
}

static noinline void crashme_gpf(void)
{
	/* a non-canonical address: #GP on x86-64 */
	crashme_ptr = (void *)0xdead000000000100UL;
	pr_info("crashme: general protection fault\n");
	*(volatile int *)crashme_ptr = 1;
}

static noinline void crashme_bugon(void)
{
	BUG_ON(crashme_zero == 0);
}

static noinline void crashme_warn(void)
{
	WARN_ON(crashme_zero == 0);
}

static noinline int crashme_div0(void)
{
	return 100 / crashme_zero;
}

static noinline void crashme_ud2(void)
{
	asm volatile("ud2");
}

static noinline void crashme_doublefree(void)
{
	char *p = kmalloc(64, GFP_KERNEL);
	kfree(p);
	kfree(p);
}

static noinline void crashme_uaf(void)
{
	char *p = kmalloc(64, GFP_KERNEL);
	kfree(p);
	memset(p, 0x41, 64);	     /* write after free: slub_debug=P poison is overwritten */
	p = kmalloc(64, GFP_KERNEL); /* allocation checks the poison */
	kfree(p);
}

static noinline int crashme_recurse(int depth)
{
	volatile char pad[512];
	pad[0] = depth;
	return crashme_recurse(depth + 1) + pad[0];
}

static noinline void crashme_stackprotector(void)
{
	char buf[16];
	volatile char *p = buf;
	int i;
	/* past the end of buf, byte by byte (memset would be caught by FORTIFY first, which the
	 * "fortify" kind records): the canary dies */
	for (i = 0; i < 64; i++)
		p[i] = 0x41;
	pr_info("crashme: %c\n", buf[0]);
}

static noinline void crashme_fortify(void)
{
	char buf[16];
	volatile size_t n = 64;
	memset(buf, 0x41, n); /* FORTIFY_SOURCE knows the size of buf */
	pr_info("crashme: %c\n", buf[0]);
}

static noinline void crashme_softlockup(void)
{
	preempt_disable();
	for (;;)
		cpu_relax();
}

static noinline void crashme_hardlockup(void)
{
	local_irq_disable();
	for (;;)
		cpu_relax();
}

static noinline void crashme_rcustall(void)
{
	/* long enough for a short rcu_cpu_stall_timeout, short of the soft lockup panic */
	rcu_read_lock();
	preempt_disable();
	mdelay(15000);
	preempt_enable();
	rcu_read_unlock();
}

static noinline void crashme_hung(void)
{
	set_current_state(TASK_UNINTERRUPTIBLE);
	schedule();
}

static noinline void crashme_panic(void)
{
	panic("crashme: deliberate panic");
}

struct crashme_node {
	struct list_head link;
};

static noinline void crashme_listcorrupt(void)
{
	static LIST_HEAD(head);
	struct crashme_node *n = kmalloc(sizeof(*n), GFP_KERNEL);
	list_add(&n->link, &head);
	list_del(&n->link);
	list_del(&n->link);
}

static noinline void crashme_refcount(void)
{
	refcount_t r = REFCOUNT_INIT(1);
	refcount_dec(&r); /* dec to 0: "decrement hit 0" */
	refcount_dec(&r);
}

static noinline void crashme_usercopy(const char __user *ubuf, size_t len)
{
	char *p;
	volatile size_t n = 64;
	/* through a volatile: the compile-time object size check must not see the 16 bytes */
	crashme_ptr = kmalloc(16, GFP_KERNEL);
	p = crashme_ptr;
	if (copy_from_user(p, ubuf, n))
		pr_info("crashme: short copy\n");
	kfree(p);
}

static noinline void crashme_atomicsleep(void)
{
	preempt_disable();
	msleep(10);
	preempt_enable();
}

static ssize_t crashme_write(struct file *file, const char __user *ubuf, size_t len, loff_t *off)
{
	char kind[32] = "";
	if (len == 0 || len >= sizeof(kind))
		return -EINVAL;
	if (copy_from_user(kind, ubuf, len))
		return -EFAULT;
	kind[strcspn(kind, "\n")] = '\0';
	pr_info("crashme: triggering %s\n", kind);

	if (!strcmp(kind, "null"))
		crashme_null();
	else if (!strcmp(kind, "pagefault"))
		crashme_pagefault();
	else if (!strcmp(kind, "gpf"))
		crashme_gpf();
	else if (!strcmp(kind, "bugon"))
		crashme_bugon();
	else if (!strcmp(kind, "warn"))
		crashme_warn();
	else if (!strcmp(kind, "div0"))
		pr_info("crashme: %d\n", crashme_div0());
	else if (!strcmp(kind, "ud2"))
		crashme_ud2();
	else if (!strcmp(kind, "doublefree"))
		crashme_doublefree();
	else if (!strcmp(kind, "uaf"))
		crashme_uaf();
	else if (!strcmp(kind, "stackoverflow"))
		pr_info("crashme: %d\n", crashme_recurse(0));
	else if (!strcmp(kind, "fortify"))
		crashme_fortify();
	else if (!strcmp(kind, "stackprotector"))
		crashme_stackprotector();
	else if (!strcmp(kind, "softlockup"))
		crashme_softlockup();
	else if (!strcmp(kind, "hardlockup"))
		crashme_hardlockup();
	else if (!strcmp(kind, "rcustall"))
		crashme_rcustall();
	else if (!strcmp(kind, "hung"))
		crashme_hung();
	else if (!strcmp(kind, "panic"))
		crashme_panic();
	else if (!strcmp(kind, "listcorrupt"))
		crashme_listcorrupt();
	else if (!strcmp(kind, "refcount"))
		crashme_refcount();
	else if (!strcmp(kind, "usercopy"))
		crashme_usercopy(ubuf, len);
	else if (!strcmp(kind, "atomicsleep"))
		crashme_atomicsleep();
	else
		return -EINVAL;
	pr_info("crashme: %s returned\n", kind);
	return len;
}

static const struct proc_ops crashme_ops = {
    .proc_write = crashme_write,
};

static struct proc_dir_entry *crashme_entry;

static int __init crashme_init(void)
{
	crashme_entry = proc_create("crashme", 0200, NULL, &crashme_ops);
	return crashme_entry ? 0 : -ENOMEM;
}

static void __exit crashme_exit(void)
{
	proc_remove(crashme_entry);
}

module_init(crashme_init);
module_exit(crashme_exit);
