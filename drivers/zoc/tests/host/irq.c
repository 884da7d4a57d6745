// SPDX-License-Identifier: GPL-2.0
/*
 * Test module of the ZOC host: the virtual bus's interrupt tests, run
 * through the debugfs file "bus" (bus.c): MSI-X of a test function, an
 * interrupt raised while its handler runs on another CPU or while its
 * vector is disabled, two vectors handled at once on two CPUs, a vector
 * handled on the CPU its affinity names, an interrupt raised while the
 * link's ring is full, and one raised again after the link's rings were
 * formatted anew.
 */

#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/irq.h>
#include <linux/kthread.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/stop_machine.h>
#include <linux/wait.h>
#include <linux/zoc_link.h>

#include "../../host/test_hooks.h"
#include "../../link/link.h"
#include "host_test.h"

#define ZHT_IRQ_TIMEOUT		(5 * HZ)

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
 * Start test function @pdev with one vector, handled by
 * zht_irq_test_handler() counting in @t: its BAR0 in @bar, the interrupt
 * in @irq.
 */
static int zht_irq_start(struct pci_dev *pdev, struct zht_irq_test *t,
			 void __iomem **bar, int *irq)
{
	int ret;

	atomic_set(&t->count, 0);
	init_waitqueue_head(&t->wq);
	ret = zht_fn_start(pdev, 1, bar);
	if (ret)
		return ret;
	*irq = pci_irq_vector(pdev, 0);
	ret = request_irq(*irq, zht_irq_test_handler, 0, "zoc-irq-test", t);
	if (ret)
		zht_fn_stop(pdev, *bar);
	return ret;
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
int zht_irq_test(struct pci_dev *pdev, u32 count)
{
	struct zht_irq_test t;
	void __iomem *bar;
	int ret, irq;
	u32 i;

	ret = zht_irq_start(pdev, &t, &bar, &irq);
	if (ret)
		return ret;
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
	zht_fn_stop(pdev, bar);
	return ret;
}

/*
 * Vector 0 raised once, then the link reset (zht_link_reset()): the
 * service VM raises it again, as the rings it may have been on are gone.
 * No doorbell is rung after the first, so nothing else raises it.
 */
int zht_irq_link_reset(struct pci_dev *pdev, u32 unused)
{
	struct zht_link *l = zht_link_of(pdev);
	struct zht_irq_test t;
	void __iomem *bar;
	int ret, irq;

	if (!l)
		return -ENODEV;
	ret = zht_irq_start(pdev, &t, &bar, &irq);
	if (ret)
		return ret;
	writel(1, bar + SZ_4K);
	if (!wait_event_timeout(t.wq, atomic_read(&t.count), ZHT_IRQ_TIMEOUT))
		ret = -ETIMEDOUT;
	if (!ret)
		ret = zht_link_reset(l);
	if (!ret && !wait_event_timeout(t.wq, atomic_read(&t.count) > 1,
					ZHT_IRQ_TIMEOUT))
		ret = -ETIMEDOUT;
	free_irq(irq, &t);
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
 * A forwarded read of @bar, taking off the control ring what came
 * meanwhile, and the data queues of @link taken here as if their vectors
 * fired on this CPU
 */
static void zht_link_take(struct zoc_link *link, void __iomem *bar)
{
	unsigned int q;

	readq(bar);
	/* as a vector's handler does: interrupts off */
	local_irq_disable();
	for (q = 0; q < zoc_link_nr_queues(link); q++)
		zoc_link_queue_doorbell(link, q);
	local_irq_enable();
}

/*
 * Start @fn(@data) as thread @name on a CPU other than ours, which the
 * caller keeps (migrate_disable()).  Return: the thread, or an ERR_PTR():
 * -EOPNOTSUPP with a single CPU.
 */
static struct task_struct *zht_reader_start(int (*fn)(void *), void *data,
					    const char *name)
{
	struct task_struct *reader = ERR_PTR(-EOPNOTSUPP);
	int cpu;

	cpus_read_lock();
	cpu = cpumask_any_but(cpu_online_mask, smp_processor_id());
	if (cpu < nr_cpu_ids)
		reader = kthread_create_on_cpu(fn, data, cpu, name);
	cpus_read_unlock();
	if (!IS_ERR(reader))
		wake_up_process(reader);
	return reader;
}

/* zht_link_take() over and over; and the replay test's enable_irq() */
static int zht_race_reader_fn(void *data)
{
	struct zht_race *r = data;

	while (!kthread_should_stop()) {
		zht_link_take(r->link, r->bar);
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
	int ret;
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
	reader = zht_reader_start(zht_race_reader_fn, &r, "zoc-race/%u");
	ret = PTR_ERR_OR_ZERO(reader);
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

int zht_irq_race(struct pci_dev *pdev, u32 count)
{
	return zht_irq_race_run(pdev, count, false);
}

int zht_irq_replay(struct pci_dev *pdev, u32 count)
{
	return zht_irq_race_run(pdev, count, true);
}

/* How long vector 0's handler waits for vector 1's in the parallel test */
#define ZHT_PARALLEL_HOLD_NS	(100 * NSEC_PER_MSEC)

/**
 * struct zht_parallel - two vectors of one function handled at once
 * @link: the function's link, whose data queues both CPUs take
 * @bar: the function's BAR0
 * @round: the round, rung on doorbell 1 by vector 0's handler
 * @first: vector 0's handler ran
 * @second: vector 1's handler ran
 * @seen: the round vector 1's handler last read in its shadow register
 * @met: vector 0's handler saw vector 1's of its round meanwhile
 */
struct zht_parallel {
	struct zoc_link *link;
	void __iomem *bar;
	u32 round;
	atomic_t first;
	atomic_t second;
	u32 seen;
	atomic_t met;
};

/*
 * Vector 0: ring doorbell 1, which raises vector 1, and stay in until its
 * handler ran for this round, which can only be on another CPU: this one
 * has interrupts off.
 */
static irqreturn_t zht_parallel_first(int irq, void *data)
{
	struct zht_parallel *p = data;
	u64 end = ktime_get_ns() + ZHT_PARALLEL_HOLD_NS;
	u32 round = READ_ONCE(p->round);

	writel(round, p->bar + SZ_4K + 4);
	while (READ_ONCE(p->seen) != round && ktime_get_ns() < end)
		cpu_relax();
	if (READ_ONCE(p->seen) == round)
		atomic_inc(&p->met);
	atomic_inc(&p->first);
	return IRQ_HANDLED;
}

/* Vector 1: the model shadowed the round before it raised the vector. */
static irqreturn_t zht_parallel_second(int irq, void *data)
{
	struct zht_parallel *p = data;

	WRITE_ONCE(p->seen, readl(p->bar + SZ_4K + SZ_2K + 4));
	atomic_inc(&p->second);
	return IRQ_HANDLED;
}

static int zht_parallel_reader_fn(void *data)
{
	struct zht_parallel *p = data;

	while (!kthread_should_stop()) {
		zht_link_take(p->link, p->bar);
		cond_resched();
	}
	return 0;
}

/*
 * Vector 0 raised @count times; its handler raises vector 1 and waits for
 * its handler, while this thread and a reader on another CPU take the
 * link's messages.  Vectors are delivered one CPU at a time each, not one
 * CPU at a time for the whole bus: vector 1 must be handled on the other
 * CPU while vector 0's handler runs.  -EBUSY if that happened in fewer
 * than 9 rounds of 10, -ETIMEDOUT if an interrupt of either vector was
 * lost, -EOPNOTSUPP with one CPU, -EINVAL for fewer than 10 rounds.
 */
int zht_irq_parallel(struct pci_dev *pdev, u32 count)
{
	struct zht_link *l = zht_link_of(pdev);
	struct zht_parallel p = { };
	struct task_struct *reader;
	unsigned long deadline;
	int ret, irq0, irq1;
	u32 i;

	if (!l)
		return -ENODEV;
	if (count < 10)
		return -EINVAL;
	p.link = l->link;
	ret = zht_fn_start(pdev, 2, &p.bar);
	if (ret)
		return ret;
	irq0 = pci_irq_vector(pdev, 0);
	irq1 = pci_irq_vector(pdev, 1);
	ret = request_irq(irq1, zht_parallel_second, 0, "zoc-irq-second", &p);
	if (ret)
		goto out_stop;
	ret = request_irq(irq0, zht_parallel_first, 0, "zoc-irq-first", &p);
	if (ret)
		goto out_free1;
	migrate_disable();
	reader = zht_reader_start(zht_parallel_reader_fn, &p,
				  "zoc-parallel/%u");
	ret = PTR_ERR_OR_ZERO(reader);
	for (i = 1; i <= count && !ret; i++) {
		WRITE_ONCE(p.round, i);
		writel(i, p.bar + SZ_4K);
		deadline = jiffies + ZHT_RACE_TIMEOUT;
		/* Each round's vector 1 too: none is lost, if late */
		while (atomic_read(&p.first) < i ||
		       READ_ONCE(p.seen) != i) {
			zht_link_take(p.link, p.bar);
			if (time_after(jiffies, deadline)) {
				ret = -ETIMEDOUT;
				break;
			}
			cond_resched();
		}
	}
	if (!IS_ERR(reader))
		kthread_stop(reader);
	migrate_enable();
	if (!ret && atomic_read(&p.met) * 10 < count * 9)
		ret = -EBUSY;
	pr_info("zoc_host_test: %s: irq_parallel: %d of %u handled while the other vector's handler ran, %d second handled%s\n",
		pci_name(pdev), atomic_read(&p.met), count,
		atomic_read(&p.second),
		ret == -ETIMEDOUT ? ", an interrupt lost" : "");
	free_irq(irq0, &p);
out_free1:
	free_irq(irq1, &p);
out_stop:
	zht_fn_stop(pdev, p.bar);
	return ret;
}

/**
 * struct zht_affinity - the CPUs a vector's handler runs on
 * @work: rings doorbell 1, on the CPU it is queued on
 * @bar: the function's BAR0
 * @wq: woken by the handler
 * @runs: the handler ran
 * @cpu: the CPU it last ran on
 */
struct zht_affinity {
	struct work_struct work;
	void __iomem *bar;
	wait_queue_head_t wq;
	atomic_t runs;
	int cpu;
};

static irqreturn_t zht_affinity_handler(int irq, void *data)
{
	struct zht_affinity *a = data;

	WRITE_ONCE(a->cpu, smp_processor_id());
	/* The CPU before the count, which the waiter reads first */
	smp_mb__before_atomic();
	atomic_inc(&a->runs);
	wake_up(&a->wq);
	return IRQ_HANDLED;
}

static void zht_affinity_ring(struct work_struct *work)
{
	struct zht_affinity *a = container_of(work, struct zht_affinity, work);

	writel(atomic_read(&a->runs), a->bar + SZ_4K + 4);
}

/*
 * The data queue of @cpu, if it is in use and no other online CPU's: its
 * vector fires on @cpu alone.  -1 otherwise.
 */
static int zht_own_queue(struct zht_link *l, unsigned int cpu)
{
	unsigned int n = zoc_link_nr_queues(l->link), c, q;

	q = zoc_host_test_cpu_queue(l->host, cpu);
	if (q >= n)
		return -1;
	/* the link takes a queue number modulo its queues */
	for_each_online_cpu(c)
		if (c != cpu && zoc_host_test_cpu_queue(l->host, c) % n == q)
			return -1;
	return q;
}

/*
 * Vector 1 bound to each online CPU with a data queue of its own in turn
 * (irq_set_affinity()), and raised @count times by a doorbell rung on
 * another such CPU: its handler must run on the CPU it is bound to, whose
 * data queue the service VM posts it on, not on the one that rang.
 * -EXDEV if more than 1 in 10 ran elsewhere, -ETIMEDOUT if one was lost,
 * -EOPNOTSUPP without two CPUs with data queues of their own, -EINVAL
 * for fewer than 10 rounds.
 */
int zht_irq_affinity(struct pci_dev *pdev, u32 count)
{
	struct zht_link *l = zht_link_of(pdev);
	struct zht_affinity a = { .cpu = -1 };
	unsigned int target, other, i, n = 0, wrong = 0;
	int ret, irq;

	if (!l)
		return -ENODEV;
	if (count < 10)
		return -EINVAL;
	INIT_WORK_ONSTACK(&a.work, zht_affinity_ring);
	init_waitqueue_head(&a.wq);
	ret = zht_fn_start(pdev, 2, &a.bar);
	if (ret)
		goto out_work;
	irq = pci_irq_vector(pdev, 1);
	ret = request_irq(irq, zht_affinity_handler, 0, "zoc-irq-affinity", &a);
	if (ret)
		goto out_stop;
	cpus_read_lock();
	for_each_online_cpu(target) {
		if (zht_own_queue(l, target) < 0)
			continue;
		for_each_online_cpu(other)
			if (other != target && zht_own_queue(l, other) >= 0)
				break;
		if (other >= nr_cpu_ids)
			break;
		ret = irq_set_affinity(irq, cpumask_of(target));
		for (i = 0; i < count && !ret; i++, n++) {
			queue_work_on(other, system_highpri_wq, &a.work);
			flush_work(&a.work);
			if (!wait_event_timeout(a.wq, atomic_read(&a.runs) > n,
						ZHT_IRQ_TIMEOUT))
				ret = -ETIMEDOUT;
			else if (READ_ONCE(a.cpu) != target)
				wrong++;
		}
		if (ret)
			break;
	}
	cpus_read_unlock();
	if (!ret && !n)
		ret = -EOPNOTSUPP;
	if (!ret && wrong * 10 > n)
		ret = -EXDEV;
	pr_info("zoc_host_test: %s: irq_affinity: %u of %u handled on another CPU than their affinity's%s\n",
		pci_name(pdev), wrong, n,
		ret == -ETIMEDOUT ? ", one lost" : "");
	free_irq(irq, &a);
out_stop:
	zht_fn_stop(pdev, a.bar);
out_work:
	destroy_work_on_stack(&a.work);
	return ret;
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
int zht_irq_full(struct pci_dev *pdev, u32 unused)
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
