/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Registers of QEMU's ivshmem-doorbell PCI device (docs/specs/ivshmem-spec),
 * the doorbell transport of the ZOC link on both sides.
 */
#ifndef _ZOC_LINK_IVSHMEM_H
#define _ZOC_LINK_IVSHMEM_H

#include <linux/io.h>
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

#endif /* _ZOC_LINK_IVSHMEM_H */
