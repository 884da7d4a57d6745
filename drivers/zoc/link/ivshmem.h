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

/*
 * The doorbell interrupt: @vectors MSI-X vectors, @handler on the first.
 * zoc_ivshmem_irq_free() is the mirror.  Return: 0 or an errno.
 */
static inline int zoc_ivshmem_irq(struct pci_dev *pdev, unsigned int vectors,
				  irq_handler_t handler, void *data)
{
	int ret;

	/* Without bus mastering QEMU silently drops MSI-X messages. */
	pci_set_master(pdev);
	ret = pci_alloc_irq_vectors(pdev, vectors, vectors, PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "no MSI-X (%d): is this ivshmem-doorbell?\n",
			ret);
		return ret;
	}
	ret = request_irq(pci_irq_vector(pdev, 0), handler, 0, "zoc-link",
			  data);
	if (ret)
		pci_free_irq_vectors(pdev);
	return ret;
}

static inline void zoc_ivshmem_irq_free(struct pci_dev *pdev, void *data)
{
	free_irq(pci_irq_vector(pdev, 0), data);
	pci_free_irq_vectors(pdev);
}

#endif /* _ZOC_LINK_IVSHMEM_H */
