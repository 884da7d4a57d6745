// SPDX-License-Identifier: GPL-2.0
/*
 * Test module of the ZOC host: the virtual bus's tests, run through the
 * debugfs file "bus" of each link by the selftests (bus, links): a
 * driver's accesses to a test function's BAR0, its interrupts (irq.c),
 * posted writes flooding the link from every CPU while another function
 * reads, and writes made while a function stalls.
 *
 * The module is the PCI driver of the test functions (those of the test
 * model, ZOC_TEST_DEV, and of the selftests' fake service VM) on zoc_host's
 * buses.  A test holds the device lock of the functions it drives and runs
 * only while the driver is bound: a removal waits for the test, and a test
 * never starts on a function being removed.
 */

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/zoc_link.h>

#include "../../host/test_hooks.h"
#include "../../link/test_wire.h"
#include "host_test.h"

static struct pci_driver zht_pci_driver;

/* What stall_write leaves in register @i */
static u64 zht_stall_val(u32 i)
{
	return 0x5a11ed0000000000ULL | i;
}

/*
 * Write @count registers of BAR0 (at most 512), each its own value: while
 * the function stalls, the bus keeps them for the service VM.
 */
static int zht_stall_write(struct pci_dev *pdev, u32 count)
{
	void __iomem *bar;
	u32 i;

	bar = pci_iomap(pdev, 0, 0);
	if (!bar)
		return -ENOMEM;
	for (i = 0; i < count && i < 512; i++)
		writeq(zht_stall_val(i), bar + i * 8);
	pci_iounmap(pdev, bar);
	return 0;
}

/* Read them back: -EIO if one is not what stall_write wrote. */
static int zht_stall_check(struct pci_dev *pdev, u32 count)
{
	void __iomem *bar;
	int ret = 0;
	u32 i;

	bar = pci_iomap(pdev, 0, 0);
	if (!bar)
		return -ENOMEM;
	for (i = 0; i < count && i < 512 && !ret; i++)
		if (readq(bar + i * 8) != zht_stall_val(i))
			ret = -EIO;
	pci_iounmap(pdev, bar);
	return ret;
}

/*
 * One register read with interrupts disabled, as a driver under a
 * spinlock would do it: -ETIME if it took over @ms milliseconds.
 */
static int zht_irqsoff_read(struct pci_dev *pdev, u32 ms)
{
	void __iomem *bar;
	unsigned long flags;
	u64 t;

	bar = pci_iomap(pdev, 0, 0);
	if (!bar)
		return -ENOMEM;
	local_irq_save(flags);
	t = ktime_get_ns();
	readq(bar);
	t = ktime_get_ns() - t;
	local_irq_restore(flags);
	pci_iounmap(pdev, bar);
	pr_info("zoc_host_test: %s: a read with interrupts off took %llu us\n",
		pci_name(pdev), t / NSEC_PER_USEC);
	return t > (u64)ms * NSEC_PER_MSEC ? -ETIME : 0;
}

/* Write and read back @count registers of BAR0 through a driver's mapping. */
static int zht_bar_test(struct pci_dev *pdev, u32 count)
{
	void __iomem *bar;
	int ret = 0;
	u64 val;
	u32 i;

	bar = pci_iomap(pdev, 0, 0);
	if (!bar)
		return -ENOMEM;
	for (i = 0; i < count && !ret; i++) {
		val = (u64)get_random_u32() << 32 | i;
		writeq(val, bar + i % 512 * 8);
		if (readq(bar + i % 512 * 8) != val)
			ret = -EIO;
	}
	pci_iounmap(pdev, bar);
	return ret;
}

/* Enable @pdev with @nvec MSI-X vectors, its BAR0 mapped at @bar. */
int zht_fn_start(struct pci_dev *pdev, int nvec, void __iomem **bar)
{
	int ret = pci_enable_device(pdev);

	if (ret)
		return ret;
	ret = pci_alloc_irq_vectors(pdev, nvec, nvec, PCI_IRQ_MSIX);
	if (ret < 0)
		goto out_disable;
	*bar = pci_iomap(pdev, 0, 0);
	if (*bar)
		return 0;
	ret = -ENOMEM;
	pci_free_irq_vectors(pdev);
out_disable:
	pci_disable_device(pdev);
	return ret;
}

/* Undo zht_fn_start(). */
void zht_fn_stop(struct pci_dev *pdev, void __iomem *bar)
{
	pci_iounmap(pdev, bar);
	pci_free_irq_vectors(pdev);
	pci_disable_device(pdev);
}

/**
 * struct zht_flood_writer - one CPU's writer of the flood test
 * @task: its thread
 * @bar: the writing function's BAR0
 * @reg: the register it writes
 * @count: how many writes: 0 to @count - 1
 * @done: signalled when it has written them all
 */
struct zht_flood_writer {
	struct task_struct *task;
	void __iomem *bar;
	unsigned int reg;
	u32 count;
	struct completion done;
};

static int zht_flood_writer_fn(void *data)
{
	struct zht_flood_writer *w = data;
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
 * Posted writes from every CPU to @wdev while this thread writes and reads
 * back @rdev's registers: the reader's reads must all come back right, and
 * no write may be lost (each writer's register ends at its last value).
 */
static int zht_flood_test(struct pci_dev *wdev, struct pci_dev *rdev,
			  u32 count)
{
	struct zht_flood_writer *w;
	void __iomem *wbar, *rbar;
	unsigned int cpu, n = 0, k;
	bool done = false;
	int ret = 0;
	u64 val;
	u32 i;

	w = kcalloc(nr_cpu_ids, sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	wbar = pci_iomap(wdev, 0, 0);
	rbar = pci_iomap(rdev, 0, 0);
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
		w[n].task = kthread_create_on_cpu(zht_flood_writer_fn, &w[n],
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
		pci_iounmap(rdev, rbar);
	if (wbar)
		pci_iounmap(wdev, wbar);
	kfree(w);
	return ret;
}

/*
 * The function called @name on @l's bus, referenced; of the test model's
 * type if @model.  NULL if there is none, or it is gone.
 */
static struct pci_dev *zht_fn_get(struct zht_link *l, const char *name,
				  bool model)
{
	struct pci_dev *pdev;
	u32 type;

	pdev = zoc_host_test_pci_dev(l->host, name, &type);
	if (pdev && model && type != ZOC_TEST_DEV) {
		pci_dev_put(pdev);
		pdev = NULL;
	}
	return pdev;
}

/*
 * Hold off @pdev's removal: 0 with its device lock held while this driver
 * is bound to it, else -ENODEV.  Never called with the bus's mutex held:
 * a removal takes it before the device lock.
 */
static int zht_fn_lock(struct pci_dev *pdev)
{
	device_lock(&pdev->dev);
	if (pdev->dev.driver == &zht_pci_driver.driver)
		return 0;
	device_unlock(&pdev->dev);
	return -ENODEV;
}

/* Run @test on function @name, of the test model's type if @model. */
static int zht_bus_fn_test(struct zht_link *l, const char *name, bool model,
			   int (*test)(struct pci_dev *pdev, u32 count), u32 n)
{
	struct pci_dev *pdev = zht_fn_get(l, name, model);
	int ret;

	if (!pdev)
		return -ENOENT;
	ret = zht_fn_lock(pdev);
	if (!ret) {
		ret = test(pdev, n);
		device_unlock(&pdev->dev);
	}
	pci_dev_put(pdev);
	return ret;
}

static int zht_bus_flood_test(struct zht_link *l, const char *writer,
			      const char *reader, u32 n)
{
	struct pci_dev *wdev = zht_fn_get(l, writer, true);
	struct pci_dev *rdev = zht_fn_get(l, reader, true);
	int ret = -ENOENT;

	if (!wdev || !rdev || wdev == rdev || !n)
		goto out;
	ret = zht_fn_lock(wdev);
	if (ret)
		goto out;
	ret = zht_fn_lock(rdev);
	if (!ret) {
		ret = zht_flood_test(wdev, rdev, n);
		device_unlock(&rdev->dev);
	}
	device_unlock(&wdev->dev);
out:
	pci_dev_put(rdev);
	pci_dev_put(wdev);
	return ret;
}

/*
 * debugfs "bus": "bar_test NAME COUNT", "irq_test NAME COUNT",
 * "irq_race NAME COUNT", "irq_replay NAME COUNT", "irq_full NAME",
 * "irq_link_reset NAME",
 * "irq_parallel NAME COUNT", "irq_affinity NAME COUNT",
 * "flood_test WRITER READER COUNT",
 * "stall_write NAME COUNT", "stall_check NAME COUNT", "irqsoff_read NAME MS".
 */
static ssize_t zht_bus_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char buf[64], name[ZOC_DEV_NAME_LEN], other[ZOC_DEV_NAME_LEN];
	struct zht_link *l = file->private_data;
	u32 n;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&l->bus_mutex);
	if (sscanf(buf, "bar_test %15s %u", name, &n) == 2)
		ret = zht_bus_fn_test(l, name, false, zht_bar_test, n);
	else if (sscanf(buf, "irq_test %15s %u", name, &n) == 2)
		ret = zht_bus_fn_test(l, name, true, zht_irq_test, n);
	else if (sscanf(buf, "irq_race %15s %u", name, &n) == 2)
		ret = zht_bus_fn_test(l, name, true, zht_irq_race, n);
	else if (sscanf(buf, "irq_replay %15s %u", name, &n) == 2)
		ret = zht_bus_fn_test(l, name, true, zht_irq_replay, n);
	else if (sscanf(buf, "irq_parallel %15s %u", name, &n) == 2)
		ret = zht_bus_fn_test(l, name, true, zht_irq_parallel, n);
	else if (sscanf(buf, "irq_affinity %15s %u", name, &n) == 2)
		ret = zht_bus_fn_test(l, name, true, zht_irq_affinity, n);
	else if (sscanf(buf, "irq_full %15s", name) == 1)
		ret = zht_bus_fn_test(l, name, true, zht_irq_full, 0);
	else if (sscanf(buf, "irq_link_reset %15s", name) == 1)
		ret = zht_bus_fn_test(l, name, true, zht_irq_link_reset, 0);
	else if (sscanf(buf, "flood_test %15s %15s %u", name, other, &n) == 3)
		ret = zht_bus_flood_test(l, name, other, n);
	else if (sscanf(buf, "stall_write %15s %u", name, &n) == 2)
		ret = zht_bus_fn_test(l, name, false, zht_stall_write, n);
	else if (sscanf(buf, "stall_check %15s %u", name, &n) == 2)
		ret = zht_bus_fn_test(l, name, false, zht_stall_check, n);
	else if (sscanf(buf, "irqsoff_read %15s %u", name, &n) == 2)
		ret = zht_bus_fn_test(l, name, false, zht_irqsoff_read, n);
	else
		ret = -EINVAL;
	mutex_unlock(&l->bus_mutex);
	return ret ? ret : count;
}

static const struct file_operations zht_bus_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = zht_bus_write,
	.llseek = noop_llseek,
};

/**
 * zht_bus_debugfs - the bus's test file, in the link's debugfs directory
 * @l: the link's tests
 */
void zht_bus_debugfs(struct zht_link *l)
{
	debugfs_create_file("bus", 0200, l->dir, l, &zht_bus_fops);
}

/* A test function, if it is on a bus of zoc_host: the tests may drive it. */
static int zht_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	return zht_link_of(pdev) ? 0 : -ENODEV;
}

/* QEMU's PCI test device IDs, which the test model and the fake use. */
static const struct pci_device_id zht_pci_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT, 0x0005) },
	{ }
};

static struct pci_driver zht_pci_driver = {
	.name = "zoc-host-test",
	.id_table = zht_pci_ids,
	.probe = zht_pci_probe,
};

/**
 * zht_bus_init - drive the test functions of zoc_host's buses
 *
 * Return: 0 or a negative errno.
 */
int zht_bus_init(void)
{
	return pci_register_driver(&zht_pci_driver);
}

/**
 * zht_bus_exit - undo zht_bus_init(); the tests running end first
 */
void zht_bus_exit(void)
{
	pci_unregister_driver(&zht_pci_driver);
}
