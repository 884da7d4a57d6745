/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Registers of QEMU's ivshmem-doorbell PCI device (docs/specs/ivshmem-spec),
 * the doorbell transport of the ZOC link on both sides, and its setup,
 * the same on both.
 */
#ifndef _ZOC_LINK_IVSHMEM_H
#define _ZOC_LINK_IVSHMEM_H

#include <linux/err.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/minmax.h>
#include <linux/pci.h>
#include <linux/types.h>

#define ZOC_IVSHMEM_VENDOR	0x1af4
#define ZOC_IVSHMEM_DEVICE	0x1110

/* BAR0 registers */
#define ZOC_IVSHMEM_INTRMASK	0x00
#define ZOC_IVSHMEM_INTRSTATUS	0x04
#define ZOC_IVSHMEM_IVPOSITION	0x08
#define ZOC_IVSHMEM_DOORBELL	0x0c

#define ZOC_IVSHMEM_MAX_PEER	0xffff

/* Ring @vector of peer @peer; the write is posted. */
static inline void zoc_ivshmem_ring(void __iomem *regs, u16 peer, u16 vector)
{
	writel((u32)peer << 16 | vector, regs + ZOC_IVSHMEM_DOORBELL);
}

/*
 * Enable the function and map its registers (BAR0), both managed: they go
 * when the driver unbinds.  Return: the registers, or an ERR_PTR().
 */
static inline void __iomem *zoc_ivshmem_map(struct pci_dev *pdev)
{
	int ret;

	ret = pcim_enable_device(pdev);
	if (!ret)
		ret = pcim_iomap_regions(pdev, BIT(0), "zoc-link");
	return ret ? IOMEM_ERR_PTR(ret) : pcim_iomap_table(pdev)[0];
}

/**
 * struct zoc_ivshmem_queue - what the handler of a data queue's vector gets
 * @owner: the driver's data, as given to zoc_ivshmem_irq()
 * @index: the queue: the vector less one
 */
struct zoc_ivshmem_queue {
	void *owner;
	unsigned int index;
};

/*
 * The doorbell interrupts: vector 0 for the control rings, @handler with
 * @data; then one vector per data queue, @queue_handler with the queue's
 * entry of @queues, as many as the function has past vector 0, up to
 * @max_queues.  @spread: the queues' vectors are managed, spread over the
 * CPUs (the host: its queues are per CPU); else they follow the default
 * affinity (the service VM: its CPUs come and go, its queues are the
 * host's).  zoc_ivshmem_irq_free() is the mirror.  Return: the data
 * queues set up, or an errno.
 */
static inline int zoc_ivshmem_irq(struct pci_dev *pdev, unsigned int max_queues,
				  bool spread, irq_handler_t handler,
				  irq_handler_t queue_handler, void *data,
				  struct zoc_ivshmem_queue *queues)
{
	struct irq_affinity desc = { .pre_vectors = 1 };
	unsigned int flags = PCI_IRQ_MSIX;
	int ret, nvec, q;

	/* Without bus mastering QEMU silently drops MSI-X messages. */
	pci_set_master(pdev);
	nvec = pci_msix_vec_count(pdev);
	if (nvec > 0)
		nvec = min_t(int, nvec, 1 + max_queues);
	if (nvec > 1 && spread)
		flags |= PCI_IRQ_AFFINITY;
	ret = nvec < 1 ? -ENODEV :
	      pci_alloc_irq_vectors_affinity(pdev, 1, nvec, flags,
					     flags & PCI_IRQ_AFFINITY ? &desc :
					     NULL);
	if (ret < 0) {
		dev_err(&pdev->dev, "no MSI-X (%d): is this ivshmem-doorbell?\n",
			ret);
		return ret;
	}
	nvec = ret;
	ret = request_irq(pci_irq_vector(pdev, 0), handler, 0, "zoc-link",
			  data);
	if (ret)
		goto out_vectors;
	for (q = 0; q < nvec - 1; q++) {
		queues[q].owner = data;
		queues[q].index = q;
		ret = request_irq(pci_irq_vector(pdev, 1 + q), queue_handler, 0,
				  "zoc-link-queue", &queues[q]);
		if (ret)
			goto out_queues;
	}
	return nvec - 1;

out_queues:
	while (q--)
		free_irq(pci_irq_vector(pdev, 1 + q), &queues[q]);
	free_irq(pci_irq_vector(pdev, 0), data);
out_vectors:
	pci_free_irq_vectors(pdev);
	return ret;
}

static inline void zoc_ivshmem_irq_free(struct pci_dev *pdev, void *data,
					struct zoc_ivshmem_queue *queues,
					unsigned int nr_queues)
{
	unsigned int q;

	for (q = 0; q < nr_queues; q++)
		free_irq(pci_irq_vector(pdev, 1 + q), &queues[q]);
	free_irq(pci_irq_vector(pdev, 0), data);
	pci_free_irq_vectors(pdev);
}

#endif /* _ZOC_LINK_IVSHMEM_H */
