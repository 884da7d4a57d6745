// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC I/O proxy: which of the service VM's CPUs serves each device queue.
 *
 * The device queues of a proxy are spread over the online CPUs: queue Q
 * of the device in slot S is served by the ((S + Q) mod N)-th of the N
 * online CPUs, so that the first queues of two devices, or two queues of
 * one device, go to different CPUs.  The spread is recomputed from the
 * online mask at each kick: a CPU hot-added takes its share from the next
 * doorbell on, and a CPU going offline gives its share back.  The models'
 * queue work runs on per-CPU (bound) workqueues, so a queue's work runs
 * where the spread put it, and the workqueue's non-reentrancy keeps each
 * queue on one CPU at a time.  A work item queued on a CPU that went
 * offline meanwhile runs on another one (the workqueue unbinds the
 * workers of a CPU that goes): nothing waits for a CPU that is gone.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/workqueue.h>

#include "proxy.h"
#include "zoc_proxy.h"

/**
 * zoc_proxy_queue_cpu - the service VM CPU that serves a device queue
 * @pdev: the device
 * @queue: its queue, as the model numbers them
 *
 * Return: an online CPU, or WORK_CPU_UNBOUND while CPUs come and go.
 */
unsigned int zoc_proxy_queue_cpu(struct zoc_pdev *pdev, unsigned int queue)
{
	unsigned int n = num_online_cpus();
	unsigned int cpu;

	cpu = cpumask_nth((pdev->slot + queue) % max(n, 1U), cpu_online_mask);
	return cpu < nr_cpu_ids ? cpu : WORK_CPU_UNBOUND;
}
EXPORT_SYMBOL_GPL(zoc_proxy_queue_cpu);

/**
 * zoc_proxy_queue_work - queue a device queue's work on its CPU
 * @pdev: the device
 * @queue: its queue, as the model numbers them
 * @wq: the model's workqueue, per-CPU (not WQ_UNBOUND)
 * @work: the queue's work
 *
 * The work runs on the CPU zoc_proxy_queue_cpu() gives, counted for it.
 *
 * Context: any context.
 * Return: false if @work was pending already.
 */
bool zoc_proxy_queue_work(struct zoc_pdev *pdev, unsigned int queue,
			  struct workqueue_struct *wq, struct work_struct *work)
{
	unsigned int cpu = zoc_proxy_queue_cpu(pdev, queue);

	if (!queue_work_on(cpu, wq, work))
		return false;
	if (cpu != WORK_CPU_UNBOUND)
		atomic_long_inc(per_cpu_ptr(pdev->proxy->queued, cpu));
	return true;
}
EXPORT_SYMBOL_GPL(zoc_proxy_queue_work);

/* The proxy's line of it in the endpoints' debugfs file */
void zoc_proxy_spread_show(struct zoc_proxy *proxy, struct seq_file *s)
{
	unsigned int cpu;
	long n;

	seq_puts(s, "queued_on_cpus:");
	for_each_possible_cpu(cpu) {
		n = atomic_long_read(per_cpu_ptr(proxy->queued, cpu));
		if (n || cpu_online(cpu))
			seq_printf(s, " %u:%ld", cpu, n);
	}
	seq_putc(s, '\n');
}
