// SPDX-License-Identifier: GPL-2.0
/*
 * Test module of the ZOC host: the virtual bus's tests, run through the
 * debugfs file "bus" of each link by the selftests (bus, links): a
 * driver's accesses to a test function's BAR0, its doorbells, shadows and
 * MSI-X, an interrupt raised while its handler runs on another CPU or while
 * the link's ring is full, posted writes flooding the link from every CPU
 * while another function reads, and writes made while a function stalls.
 *
 * The module is the PCI driver of the test functions (those of the test
 * model, ZOC_TEST_DEV, and of the selftests' fake service VM) on zoc_host's
 * buses.  A test holds the device lock of the functions it drives and runs
 * only while the driver is bound: a removal waits for the test, and a test
 * never starts on a function being removed.
 */

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/irq.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/stop_machine.h>
#include <linux/uaccess.h>
#include <linux/zoc_link.h>

#include "../../host/test_hooks.h"
#include "../../link/link.h"
#include "../../link/test_wire.h"
#include "host_test.h"

#define ZHT_IRQ_TIMEOUT		(5 * HZ)

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
static int zht_fn_start(struct pci_dev *pdev, int nvec, void __iomem **bar)
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
static void zht_fn_stop(struct pci_dev *pdev, void __iomem *bar)
{
	pci_iounmap(pdev, bar);
	pci_free_irq_vectors(pdev);
	pci_disable_device(pdev);
}

struct zht_irq_test {
	atomic_t count;
	wait_queue_head_t wq;
};

static irqreturn_t zht_irq_test_handler(int irq, void *data)
{
	struct zht_irq_test *t = data;

	atomic_inc(&t->count);
	wake_up(&t->wq);
	return IRQ_HANDLED;
}

/*
 * Vector 0 raised while masked: it must stay pending (the PBA, served by
 * the bus in BAR0, says so) and come once unmasked.  @count interrupts
 * came before it.
 */
static int zht_irq_pending(struct pci_dev *pdev, void __iomem *bar, int irq,
			   struct zht_irq_test *t, u32 count)
{
	u32 pba_off;
	int ret;
	u64 pba;

	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_PBA, &pba_off);
	if (pba_off & PCI_MSIX_PBA_BIR)
		return -EPROTO;
	pba_off &= PCI_MSIX_PBA_OFFSET;
	/* Mask at the device at once, not lazily at the next one. */
	irq_set_status_flags(irq, IRQ_DISABLE_UNLAZY);
	disable_irq(irq);
	writel(count, bar + SZ_4K);
	/* The interrupt has nowhere to go: wait for it to be pending. */
	ret = readq_poll_timeout(bar + pba_off, pba,
				 pba & 1 || atomic_read(&t->count) > count,
				 1000, jiffies_to_usecs(ZHT_IRQ_TIMEOUT));
	if (!ret && atomic_read(&t->count) != count)
		ret = -EPROTO;
	enable_irq(irq);
	irq_clear_status_flags(irq, IRQ_DISABLE_UNLAZY);
	if (!ret && !wait_event_timeout(t->wq, atomic_read(&t->count) > count,
					ZHT_IRQ_TIMEOUT))
		ret = -ETIMEDOUT;
	return ret;
}

/*
 * MSI-X of the test function, whose doorbell i (at 4 KiB) is shadowed at
 * 6 KiB and raises vector i: @count interrupts delivered one by one, each
 * after its shadow; one raised while masked stays pending and comes when
 * unmasked.
 */
static int zht_irq_test(struct pci_dev *pdev, u32 count)
{
	struct zht_irq_test t;
	void __iomem *bar;
	int ret, irq;
	u32 i;

	atomic_set(&t.count, 0);
	init_waitqueue_head(&t.wq);
	ret = zht_fn_start(pdev, 1, &bar);
	if (ret)
		return ret;
	irq = pci_irq_vector(pdev, 0);
	ret = request_irq(irq, zht_irq_test_handler, 0, "zoc-irq-test", &t);
	if (ret)
		goto out_stop;
	for (i = 0; i < count && !ret; i++) {
		writel(i, bar + SZ_4K);
		if (!wait_event_timeout(t.wq, atomic_read(&t.count) > i,
					ZHT_IRQ_TIMEOUT))
			ret = -ETIMEDOUT;
		/* The model shadowed the value before raising the vector. */
		else if (readl(bar + SZ_4K + SZ_2K) != i)
			ret = -EPROTO;
	}
	if (!ret)
		ret = zht_irq_pending(pdev, bar, irq, &t, count);
	free_irq(irq, &t);
out_stop:
	zht_fn_stop(pdev, bar);
	return ret;
}

/* How long the race test's handler stays in, past its look at the shadow */
#define ZHT_RACE_HOLD_US	2000
#define ZHT_RACE_TIMEOUT	HZ

/**
 * struct zht_race - the interrupt race test
 * @link: the function's link, whose data queues the reader takes too
 * @bar: the function's BAR0
 * @shadow: the shadow register of doorbell 0
 * @seen: what the handler last read there
 * @busy: the handler runs
 * @cpu: the CPU it last ran on
 * @runs: how many times it ran
 * @irq: the interrupt
 * @enable: the reader is to enable @irq (the replay test); it takes the
 *	request with xchg() before it enables, so none is lost
 */
struct zht_race {
	struct zoc_link *link;
	void __iomem *bar;
	void __iomem *shadow;
	u32 seen;
	bool busy;
	int cpu;
	atomic_t runs;
	int irq;
	int enable;
};

static irqreturn_t zht_race_handler(int irq, void *data)
{
	struct zht_race *r = data;

	WRITE_ONCE(r->busy, true);
	WRITE_ONCE(r->cpu, smp_processor_id());
	atomic_inc(&r->runs);
	WRITE_ONCE(r->seen, readl(r->shadow));
	/*
	 * As a driver leaving its handler after it found its ring empty:
	 * an interrupt raised from now on is for news it has not seen.
	 */
	udelay(ZHT_RACE_HOLD_US);
	WRITE_ONCE(r->busy, false);
	return IRQ_HANDLED;
}

/*
 * Forwarded reads, each taking off the control ring what came meanwhile,
 * and the data queues taken here as if their vectors fired on this CPU
 */
static int zht_race_reader_fn(void *data)
{
	struct zht_race *r = data;
	unsigned int q;

	while (!kthread_should_stop()) {
		readq(r->bar);
		/* as a vector's handler does: interrupts off */
		local_irq_disable();
		for (q = 0; q < zoc_link_nr_queues(r->link); q++)
			zoc_link_queue_doorbell(r->link, q);
		local_irq_enable();
		if (xchg(&r->enable, 0))
			enable_irq(r->irq);
		cond_resched();
	}
	return 0;
}

/* How long the replay test lets an interrupt find its vector disabled */
#define ZHT_REPLAY_WAIT_US	1000

/*
 * Raise @i while the handler may still run, and wait for the handler to
 * see it.  Return: whether it was raised while the handler ran on
 * another CPU, or -ETIMEDOUT.
 */
static int zht_race_raise(struct zht_race *r, u32 i)
{
	unsigned long deadline = jiffies + ZHT_RACE_TIMEOUT;
	bool overlap;

	writel(i, r->bar + SZ_4K);
	overlap = READ_ONCE(r->busy) && READ_ONCE(r->cpu) != smp_processor_id();
	while (READ_ONCE(r->seen) != i) {
		readq(r->bar);
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
	}
	return overlap;
}

/*
 * Raise @i while the vector is disabled, so that the core keeps it
 * pending; have the reader enable it on the other CPU, where the core
 * replays it (check_irq_resend()); and as soon as the handler runs it
 * there, raise @i + 1, which must come too.
 */
static int zht_race_replay(struct zht_race *r, u32 i)
{
	unsigned long deadline = jiffies + ZHT_RACE_TIMEOUT;
	u64 end;

	disable_irq(r->irq);
	writel(i, r->bar + SZ_4K);
	/*
	 * The model shadows the value, then raises the vector: a forwarded
	 * read once the shadow shows it is answered after the interrupt's
	 * message, which is delivered, and kept pending, as the read returns
	 * (or on the reader's CPU, if it took the message: a while more).
	 */
	while (readl(r->shadow) != i) {
		readq(r->bar);
		if (time_after(jiffies, deadline)) {
			enable_irq(r->irq);
			return -ETIMEDOUT;
		}
	}
	end = ktime_get_ns() + ZHT_REPLAY_WAIT_US * NSEC_PER_USEC;
	do {
		readq(r->bar);
	} while (ktime_get_ns() < end);
	WRITE_ONCE(r->enable, 1);
	while (READ_ONCE(r->seen) != i) {
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		cpu_relax();
	}
	return zht_race_raise(r, i + 1);
}

/*
 * Vector 0 raised @count times, each once the handler saw the value
 * before, while the handler may still run.  This thread and a reader on
 * another CPU both take messages off the link with forwarded reads, so
 * the handler runs on either CPU, and an interrupt often comes on one CPU
 * while its handler runs on the other: the bus must deliver each one.
 * With @replay, every other one is raised while the vector is disabled
 * and replayed by the core when the reader enables it (an nvme timeout's
 * poll does that), and the next one raised while the replay runs.
 * -ETIMEDOUT if one is lost, -EOPNOTSUPP with a single CPU, -EAGAIN if
 * @count (at least 100) interrupts never overlapped a handler.
 */
static int zht_irq_race_run(struct pci_dev *pdev, u32 count, bool replay)
{
	struct zht_link *l = zht_link_of(pdev);
	struct zht_race r = { .cpu = -1 };
	struct task_struct *reader;
	unsigned int overlaps = 0;
	void __iomem *bar;
	int ret, cpu;
	u32 i;

	if (!l)
		return -ENODEV;
	r.link = l->link;
	ret = zht_fn_start(pdev, 1, &bar);
	if (ret)
		return ret;
	r.bar = bar;
	r.shadow = bar + SZ_4K + SZ_2K;
	r.irq = pci_irq_vector(pdev, 0);
	ret = request_irq(r.irq, zht_race_handler, 0, "zoc-irq-race", &r);
	if (ret)
		goto out_stop;
	migrate_disable();
	cpus_read_lock();
	cpu = cpumask_any_but(cpu_online_mask, smp_processor_id());
	reader = ERR_PTR(-EOPNOTSUPP);
	if (cpu < nr_cpu_ids)
		reader = kthread_create_on_cpu(zht_race_reader_fn, &r, cpu,
					       "zoc-race/%u");
	cpus_read_unlock();
	ret = PTR_ERR_OR_ZERO(reader);
	if (!ret)
		wake_up_process(reader);
	for (i = 1; i + replay <= count && ret >= 0; i += 1 + replay) {
		ret = replay ? zht_race_replay(&r, i) : zht_race_raise(&r, i);
		overlaps += ret > 0;
	}
	if (!IS_ERR(reader))
		kthread_stop(reader);
	migrate_enable();
	/* A vector the reader was to enable, but it stopped first */
	if (READ_ONCE(r.enable))
		enable_irq(r.irq);
	/* A run that never raced proves nothing. */
	ret = min(ret, 0);
	if (!ret && count >= 100 && !overlaps)
		ret = -EAGAIN;
	free_irq(r.irq, &r);
	pr_info("zoc_host_test: %s: irq_%s: %u of %u raised while the handler ran on another CPU, %u handled%s\n",
		pci_name(pdev), replay ? "replay" : "race", overlaps,
		i - 1, atomic_read(&r.runs),
		ret == -ETIMEDOUT ? ", the last one lost" : "");
out_stop:
	zht_fn_stop(pdev, bar);
	return ret;
}

static int zht_irq_race(struct pci_dev *pdev, u32 count)
{
	return zht_irq_race_run(pdev, count, false);
}

static int zht_irq_replay(struct pci_dev *pdev, u32 count)
{
	return zht_irq_race_run(pdev, count, true);
}

/* How long the ring-full test may hold every CPU */
#define ZHT_FULL_HOLD_NS	(1500 * NSEC_PER_MSEC)
#define ZHT_FULL_STEP_NS	(100 * NSEC_PER_MSEC)
/* How long a doorbell's interrupt may take to reach the ring after it */
#define ZHT_FULL_SETTLE_NS	(20 * NSEC_PER_MSEC)
/* Interrupts refused on the full ring before the one that must come */
#define ZHT_FULL_REFUSED	4

/**
 * struct zht_full - the ring-full test, while every CPU is held
 * @link: the function's link
 * @bar: its BAR0
 * @refused: interrupts the service VM raised whose message did not fit
 * @ret: 0, -ETIMEDOUT if the service VM stopped taking doorbells, or
 *	-EAGAIN if the ring never filled
 */
struct zht_full {
	struct zoc_link *link;
	void __iomem *bar;
	u32 refused;
	int ret;
};

/* Messages waiting on ring @r, which the host takes from */
static u32 zht_ring_fill(const struct zoc_ring *r)
{
	return r->broken ? 0 : le32_to_cpu(READ_ONCE(r->hdr->prod)) - r->cons;
}

/*
 * Messages waiting on the rings the host takes from: the control ring and
 * the data queues, where the interrupts go if the link has some.
 */
static u32 zht_full_fill(struct zoc_link *link)
{
	unsigned int i, n = zoc_link_nr_queues(link);
	u32 fill = zht_ring_fill(&link->rx);

	for (i = 0; i < n; i++)
		fill += zht_ring_fill(&link->queue[i].rx);
	return fill;
}

/*
 * Whether the ring grew past @fill: the model shadows a doorbell's value
 * before it raises the vector, so its message may come a while after the
 * shadow showed the value.
 */
static bool zht_full_grew(struct zoc_link *link, u32 fill)
{
	u64 end = ktime_get_ns() + ZHT_FULL_SETTLE_NS;

	do {
		if (zht_full_fill(link) != fill)
			return true;
	} while (ktime_get_ns() < end);
	return false;
}

/* Write @val to doorbell @db; wait for its shadow to show it. */
static int zht_full_ring(struct zht_full *f, unsigned int db, u32 val)
{
	u64 end = ktime_get_ns() + ZHT_FULL_STEP_NS;

	writel(val, f->bar + SZ_4K + db * 4);
	while (readl(f->bar + SZ_4K + SZ_2K + db * 4) != val)
		if (ktime_get_ns() > end)
			return -ETIMEDOUT;
	return 0;
}

/*
 * With every CPU held (nothing takes the link's messages), doorbell 0 is
 * written until the interrupts it raises stop fitting on the ring; then
 * doorbell 1, whose vector's message must not fit either.
 */
static int zht_full_fn(void *data)
{
	u64 end = ktime_get_ns() + ZHT_FULL_HOLD_NS;
	struct zht_full *f = data;
	u32 i, fill;

	for (i = 1; f->refused < ZHT_FULL_REFUSED; i++) {
		fill = zht_full_fill(f->link);
		f->ret = zht_full_ring(f, 0, i);
		if (f->ret)
			return 0;
		/* Taken and answered, but its interrupt found no room */
		if (!zht_full_grew(f->link, fill))
			f->refused++;
		if (ktime_get_ns() > end) {
			f->ret = -EAGAIN;
			return 0;
		}
	}
	fill = zht_full_fill(f->link);
	f->ret = zht_full_ring(f, 1, i);
	if (!f->ret && zht_full_grew(f->link, fill))
		f->ret = -EAGAIN;
	return 0;
}

struct zht_full_irq {
	void __iomem *shadow;
	u32 seen;
	wait_queue_head_t wq;
};

static irqreturn_t zht_full_handler(int irq, void *data)
{
	struct zht_full_irq *v = data;

	WRITE_ONCE(v->seen, readl(v->shadow));
	wake_up(&v->wq);
	return IRQ_HANDLED;
}

/*
 * An interrupt the service VM raised while the link's ring was full must
 * still come once the host takes its messages again.  -ETIMEDOUT if it
 * does not; -EAGAIN if the ring never filled.
 */
static int zht_irq_full(struct pci_dev *pdev, u32 unused)
{
	struct zht_link *l = zht_link_of(pdev);
	struct zht_full_irq v[2] = {};
	struct zht_full f = {};
	int ret, i;

	if (!l)
		return -ENODEV;
	ret = zht_fn_start(pdev, 2, &f.bar);
	if (ret)
		return ret;
	f.link = l->link;
	for (i = 0; i < 2; i++) {
		v[i].shadow = f.bar + SZ_4K + SZ_2K + i * 4;
		init_waitqueue_head(&v[i].wq);
		ret = request_irq(pci_irq_vector(pdev, i), zht_full_handler, 0,
				  "zoc-irq-full", &v[i]);
		if (ret)
			goto out_irqs;
	}
	ret = stop_machine(zht_full_fn, &f, NULL) ?: f.ret;
	if (!ret && !wait_event_timeout(v[1].wq, READ_ONCE(v[1].seen) != 0,
					ZHT_IRQ_TIMEOUT))
		ret = -ETIMEDOUT;
	pr_info("zoc_host_test: %s: irq_full: %u interrupts found the ring full%s\n",
		pci_name(pdev), f.refused,
		ret == -ETIMEDOUT ? ", the last one never came" : "");
out_irqs:
	while (i--)
		free_irq(pci_irq_vector(pdev, i), &v[i]);
	zht_fn_stop(pdev, f.bar);
	return ret;
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
	else if (sscanf(buf, "irq_full %15s", name) == 1)
		ret = zht_bus_fn_test(l, name, true, zht_irq_full, 0);
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
