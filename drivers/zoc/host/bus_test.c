// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtual bus: its tests, run through the debugfs file "bus" by the
 * selftests (bus): a driver's accesses to a test device's BAR0, its
 * doorbells, shadows and MSI-X, and posted writes flooding the link from
 * every CPU while another function reads.  Test code only: nothing of the
 * bus calls into it but the debugfs file's creation.
 */

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/zoc_link.h>

#include "../link/test_wire.h"
#include "zoc_host.h"
#include "bus.h"

/* Write and read back @count registers of BAR0 through a driver's mapping. */
static int zoc_bus_bar_test(struct zoc_vfn *fn, u32 count)
{
	void __iomem *bar;
	int ret = 0;
	u64 val;
	u32 i;

	bar = pci_iomap(fn->pdev, 0, 0);
	if (!bar)
		return -ENOMEM;
	for (i = 0; i < count && !ret; i++) {
		val = (u64)get_random_u32() << 32 | i;
		writeq(val, bar + i % 512 * 8);
		if (readq(bar + i % 512 * 8) != val)
			ret = -EIO;
	}
	pci_iounmap(fn->pdev, bar);
	return ret;
}

struct zoc_irq_test {
	atomic_t count;
	wait_queue_head_t wq;
};

static irqreturn_t zoc_irq_test_handler(int irq, void *data)
{
	struct zoc_irq_test *t = data;

	atomic_inc(&t->count);
	wake_up(&t->wq);
	return IRQ_HANDLED;
}

/*
 * MSI-X of the test device, whose doorbell i (at 4 KiB) is shadowed at
 * 6 KiB and raises vector i: @count interrupts delivered one by one, each
 * after its shadow; one raised while masked stays pending and comes when
 * unmasked.
 */
static int zoc_bus_irq_test(struct zoc_vfn *fn, u32 count)
{
	struct pci_dev *pdev = fn->pdev;
	struct zoc_irq_test t;
	void __iomem *bar;
	int ret, irq;
	u32 i;

	atomic_set(&t.count, 0);
	init_waitqueue_head(&t.wq);
	ret = pci_enable_device(pdev);
	if (ret)
		return ret;
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX);
	if (ret < 0)
		goto out_disable;
	irq = pci_irq_vector(pdev, 0);
	ret = request_irq(irq, zoc_irq_test_handler, 0, "zoc-irq-test", &t);
	if (ret)
		goto out_vectors;
	bar = pci_iomap(pdev, 0, 0);
	if (!bar) {
		ret = -ENOMEM;
		goto out_irq;
	}
	for (i = 0; i < count && !ret; i++) {
		writel(i, bar + SZ_4K);
		if (!wait_event_timeout(t.wq, atomic_read(&t.count) > i, 5 * HZ))
			ret = -ETIMEDOUT;
		/* The model shadowed the value before raising the vector. */
		else if (readl(bar + SZ_4K + SZ_2K) != i)
			ret = -EPROTO;
	}
	if (!ret) {
		/* Mask at the device at once, not lazily at the next one. */
		irq_set_status_flags(irq, IRQ_DISABLE_UNLAZY);
		disable_irq(irq);
		writel(count, bar + SZ_4K);
		/* The interrupt has nowhere to go: wait for it to be pending. */
		if (!wait_event_timeout(t.wq, fn->pba & 1 ||
					atomic_read(&t.count) > count, 5 * HZ))
			ret = -ETIMEDOUT;
		else if (atomic_read(&t.count) != count)
			ret = -EPROTO;
		enable_irq(irq);
		irq_clear_status_flags(irq, IRQ_DISABLE_UNLAZY);
		if (!ret && !wait_event_timeout(t.wq,
						atomic_read(&t.count) > count,
						5 * HZ))
			ret = -ETIMEDOUT;
	}
	pci_iounmap(pdev, bar);
out_irq:
	free_irq(irq, &t);
out_vectors:
	pci_free_irq_vectors(pdev);
out_disable:
	pci_disable_device(pdev);
	return ret;
}

/**
 * struct zoc_flood_writer - one CPU's writer of the flood test
 * @task: its thread
 * @bar: the writing function's BAR0
 * @reg: the register it writes
 * @count: how many writes: 0 to @count - 1
 * @done: signalled when it has written them all
 */
struct zoc_flood_writer {
	struct task_struct *task;
	void __iomem *bar;
	unsigned int reg;
	u32 count;
	struct completion done;
};

static int zoc_flood_writer_fn(void *data)
{
	struct zoc_flood_writer *w = data;
	u32 i;

	for (i = 0; i < w->count; i++) {
		writeq(i, w->bar + w->reg * 8);
		cond_resched();
	}
	complete(&w->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/*
 * Posted writes from every CPU to @wfn while this thread writes and reads
 * back @rfn's registers: the reader's reads must all come back right, and
 * no write may be lost (each writer's register ends at its last value).
 */
static int zoc_bus_flood_test(struct zoc_vfn *wfn, struct zoc_vfn *rfn,
			      u32 count)
{
	struct zoc_flood_writer *w;
	void __iomem *wbar, *rbar;
	unsigned int cpu, n = 0, k;
	bool done = false;
	int ret = 0;
	u64 val;
	u32 i;

	w = kcalloc(nr_cpu_ids, sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	wbar = pci_iomap(wfn->pdev, 0, 0);
	rbar = pci_iomap(rfn->pdev, 0, 0);
	if (!wbar || !rbar) {
		ret = -ENOMEM;
		goto out_unmap;
	}
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		w[n].bar = wbar;
		w[n].reg = 64 + n;
		w[n].count = count;
		init_completion(&w[n].done);
		w[n].task = kthread_create_on_cpu(zoc_flood_writer_fn, &w[n],
						  cpu, "zoc-flood/%u");
		if (IS_ERR(w[n].task))
			break;
		wake_up_process(w[n++].task);
	}
	cpus_read_unlock();
	for (i = 0; !done && !ret; i++) {
		val = (u64)get_random_u32() << 32 | i;
		writeq(val, rbar + i % 64 * 8);
		if (readq(rbar + i % 64 * 8) != val)
			ret = -EIO;
		/* The writer of this CPU must get its turn. */
		cond_resched();
		for (done = true, k = 0; k < n; k++)
			done = done && completion_done(&w[k].done);
	}
	for (k = 0; k < n; k++) {
		wait_for_completion(&w[k].done);
		kthread_stop(w[k].task);
	}
	for (k = 0; k < n && !ret; k++)
		if (readq(wbar + (64 + k) * 8) != count - 1)
			ret = -EPROTO;
	if (!n)
		ret = -ECHILD;
out_unmap:
	if (rbar)
		pci_iounmap(rfn->pdev, rbar);
	if (wbar)
		pci_iounmap(wfn->pdev, wbar);
	kfree(w);
	return ret;
}

/*
 * debugfs "bus": "bar_test NAME COUNT", "irq_test NAME COUNT",
 * "flood_test WRITER READER COUNT".
 */
static ssize_t zoc_bus_ctl_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char buf[64], name[ZOC_DEV_NAME_LEN], other[ZOC_DEV_NAME_LEN];
	struct zoc_bus *b = file->f_path.dentry->d_inode->i_private;
	struct zoc_vfn *fn, *ofn;
	u32 n;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&b->mutex);
	if (sscanf(buf, "bar_test %15s %u", name, &n) == 2) {
		fn = zoc_bus_find(b, name);
		ret = fn && fn->pdev ? zoc_bus_bar_test(fn, n) : -ENOENT;
	} else if (sscanf(buf, "irq_test %15s %u", name, &n) == 2) {
		fn = zoc_bus_find(b, name);
		ret = fn && fn->pdev && fn->image.type == ZOC_TEST_DEV ?
		      zoc_bus_irq_test(fn, n) : -ENOENT;
	} else if (sscanf(buf, "flood_test %15s %15s %u", name, other, &n) == 3) {
		fn = zoc_bus_find(b, name);
		ofn = zoc_bus_find(b, other);
		ret = fn && fn->pdev && ofn && ofn->pdev && fn != ofn &&
		      fn->image.type == ZOC_TEST_DEV &&
		      ofn->image.type == ZOC_TEST_DEV && n ?
		      zoc_bus_flood_test(fn, ofn, n) : -ENOENT;
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&b->mutex);
	return ret ? ret : count;
}

static const struct file_operations zoc_bus_ctl_fops = {
	.owner = THIS_MODULE,
	.write = zoc_bus_ctl_write,
	.llseek = noop_llseek,
};

/**
 * zoc_bus_test_debugfs - the bus's test file
 * @b: the bus
 * @dir: where it goes
 *
 * Return: the file, to be removed with the bus.
 */
struct dentry *zoc_bus_test_debugfs(struct zoc_bus *b, struct dentry *dir)
{
	return debugfs_create_file("bus", 0200, dir, b, &zoc_bus_ctl_fops);
}
