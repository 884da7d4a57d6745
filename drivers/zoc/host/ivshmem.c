// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC host link transport for a host that is itself a VM: QEMU's
 * ivshmem-doorbell device carries the doorbells to and from the service VM
 * (the lab, nested clouds).  Its shared memory is not used: the link area
 * lives in the host's own aperture.  Each function carries the link with
 * the lowest number that has no transport yet.
 */

#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "../link/ivshmem.h"
#include "zoc_host.h"

/**
 * struct zoc_host_ivshmem - one ivshmem-doorbell function
 * @pdev: the function
 * @host: the link it carries
 * @regs: its BAR0
 * @nr_queues: the link's data queues it carries, one vector each
 * @queues: their vectors' handler data
 */
struct zoc_host_ivshmem {
	struct pci_dev *pdev;
	struct zoc_host *host;
	void __iomem *regs;
	unsigned int nr_queues;
	struct zoc_ivshmem_queue queues[ZOC_LINK_MAX_QUEUES];
};

static void zoc_host_ivshmem_ring(void *priv, u32 peer, u16 vector)
{
	struct zoc_host_ivshmem *ivs = priv;

	if (peer <= ZOC_IVSHMEM_MAX_PEER)
		zoc_ivshmem_ring(ivs->regs, peer, vector);
}

static const struct zoc_link_transport_ops zoc_host_ivshmem_ops = {
	.ring = zoc_host_ivshmem_ring,
};

static irqreturn_t zoc_host_ivshmem_irq(int irq, void *data)
{
	struct zoc_host *host = READ_ONCE(((struct zoc_host_ivshmem *)data)->host);

	/* Before the link is attached: its tick finds what this was for. */
	if (!host)
		return IRQ_HANDLED;
	zoc_host_link_doorbell(host);
	return IRQ_HANDLED;
}

/* A data queue's vector: one per host CPU, on that CPU. */
static irqreturn_t zoc_host_ivshmem_queue_irq(int irq, void *data)
{
	struct zoc_ivshmem_queue *q = data;
	struct zoc_host_ivshmem *ivs = q->owner;
	struct zoc_host *host = READ_ONCE(ivs->host);

	if (host)
		zoc_host_link_queue_doorbell(host, q->index);
	return IRQ_HANDLED;
}

/*
 * Each CPU's data queue: the one whose vector the kernel bound to it (the
 * vectors are managed, spread over the CPUs).  Return: nr_cpu_ids
 * entries, or NULL.
 */
static u16 *zoc_host_ivshmem_cpu_queues(struct zoc_host_ivshmem *ivs)
{
	const struct cpumask *mask;
	unsigned int q, cpu;
	u16 *map;

	map = kcalloc(nr_cpu_ids, sizeof(*map), GFP_KERNEL);
	if (!map)
		return NULL;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		map[cpu] = cpu;
	for (q = 0; q < ivs->nr_queues; q++) {
		mask = pci_irq_get_affinity(ivs->pdev, 1 + q);
		if (!mask)
			continue;
		for_each_cpu(cpu, mask)
			map[cpu] = q;
	}
	return map;
}

/* Attach to the first link that has no transport. */
static int zoc_host_ivshmem_attach(struct zoc_host_ivshmem *ivs, u32 own_id)
{
	u16 *map = zoc_host_ivshmem_cpu_queues(ivs);
	struct zoc_host *host = NULL;
	int ret = -EBUSY;

	while (ret == -EBUSY && (host = zoc_host_next(host)))
		ret = zoc_host_link_attach(host, &zoc_host_ivshmem_ops, ivs,
					   own_id, ivs->nr_queues, map);
	if (!ret)
		WRITE_ONCE(ivs->host, host);
	kfree(map);
	return ret;
}

static int zoc_host_ivshmem_probe(struct pci_dev *pdev,
				  const struct pci_device_id *id)
{
	struct zoc_host_ivshmem *ivs;
	u32 own_id;
	int ret;

	ivs = devm_kzalloc(&pdev->dev, sizeof(*ivs), GFP_KERNEL);
	if (!ivs)
		return -ENOMEM;
	ivs->pdev = pdev;

	ivs->regs = zoc_ivshmem_map(pdev);
	if (IS_ERR(ivs->regs))
		return PTR_ERR(ivs->regs);
	ret = zoc_ivshmem_irq(pdev, min_t(unsigned int, num_possible_cpus(),
					  ZOC_LINK_MAX_QUEUES), true,
			      zoc_host_ivshmem_irq, zoc_host_ivshmem_queue_irq,
			      ivs, ivs->queues);
	if (ret < 0)
		return ret;
	ivs->nr_queues = ret;

	own_id = readl(ivs->regs + ZOC_IVSHMEM_IVPOSITION);
	ret = zoc_host_ivshmem_attach(ivs, own_id);
	if (ret) {
		dev_err(&pdev->dev, "no link to carry: %d\n", ret);
		zoc_ivshmem_irq_free(pdev, ivs, ivs->queues, ivs->nr_queues);
		return ret;
	}
	pci_set_drvdata(pdev, ivs);
	dev_info(&pdev->dev, "transport of link %u, doorbell id %u, %u data queues\n",
		 ivs->host->id, own_id, ivs->nr_queues);
	return 0;
}

static void zoc_host_ivshmem_remove(struct pci_dev *pdev)
{
	struct zoc_host_ivshmem *ivs = pci_get_drvdata(pdev);

	zoc_host_link_detach(ivs->host, ivs, false);
	zoc_ivshmem_irq_free(pdev, ivs, ivs->queues, ivs->nr_queues);
}

static const struct pci_device_id zoc_host_ivshmem_ids[] = {
	{ PCI_DEVICE(ZOC_IVSHMEM_VENDOR, ZOC_IVSHMEM_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, zoc_host_ivshmem_ids);

static struct pci_driver zoc_host_ivshmem_driver = {
	.name = "zoc-host-ivshmem",
	.id_table = zoc_host_ivshmem_ids,
	.probe = zoc_host_ivshmem_probe,
	.remove = zoc_host_ivshmem_remove,
};

int zoc_host_ivshmem_init(void)
{
	return pci_register_driver(&zoc_host_ivshmem_driver);
}

void zoc_host_ivshmem_exit(void)
{
	pci_unregister_driver(&zoc_host_ivshmem_driver);
}
