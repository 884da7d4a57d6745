/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC I/O proxy: what the service VM checks of a register access the host
 * forwards (ZOC_MSG_MMIO_READ, ZOC_MSG_MMIO_WRITE) against the device's
 * image, and the doorbells the image gives the host.  The host's bus
 * serves an access that falls whole in its MSI-X structures or in a
 * shadow or doorbell region itself, and forwards any other: no model may
 * see a byte of those, whatever the host sends.  Built in the kernel and,
 * with ring_compat.h, in userspace for the fuzzer
 * (tools/testing/fuzz/image_fuzz.c), which checks it against the bus's
 * own dispatch (host/image.h).
 */
#ifndef _ZOC_GUEST_MMIO_CHECK_H
#define _ZOC_GUEST_MMIO_CHECK_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/pci_regs.h>
#include <linux/types.h>
#else
#include <linux/pci_regs.h>
#include "../link/ring_compat.h"
#endif
#include "../link/range.h"

#include <linux/zoc_link.h>

/*
 * Whether a forwarded access of @size bytes at @off of BAR0 may reach the
 * model: a size a CPU makes, inside the BAR, and no byte of a range the
 * host's bus serves.  @img is the device's image: its offsets and sizes
 * are 32-bit, its BAR at most 2^31 bytes.
 */
static inline bool zoc_mmio_ok(const struct zoc_dev_image *img, u64 off,
			       unsigned int size)
{
	u16 vectors = le16_to_cpu(img->msix_vectors);
	const struct zoc_dev_region *r;
	unsigned int i;

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	if (img->bar_shift > 31 ||
	    !zoc_range_in(off, size, 0, BIT_ULL(img->bar_shift)))
		return false;
	if (vectors &&
	    (zoc_range_overlap(off, size, le32_to_cpu(img->msix_table),
			       vectors * PCI_MSIX_ENTRY_SIZE) ||
	     zoc_range_overlap(off, size, le32_to_cpu(img->msix_pba), 8)))
		return false;
	for (i = 0; i < img->nr_regions && i < ZOC_DEV_MAX_REGIONS; i++) {
		r = &img->region[i];
		if (r->policy != ZOC_REGION_FORWARD &&
		    zoc_range_overlap(off, size, le32_to_cpu(r->offset),
				      le32_to_cpu(r->size)))
			return false;
	}
	return true;
}

/*
 * The doorbells of an image: past its doorbell regions' last one, and no
 * more than the device page holds.
 */
static inline unsigned int zoc_mmio_doorbells(const struct zoc_dev_image *img)
{
	const struct zoc_dev_region *r;
	u64 n = 0, end;
	unsigned int i;

	for (i = 0; i < img->nr_regions && i < ZOC_DEV_MAX_REGIONS; i++) {
		r = &img->region[i];
		if (r->policy != ZOC_REGION_DOORBELL)
			continue;
		end = (u64)le32_to_cpu(r->shadow) + le32_to_cpu(r->size) / 4;
		if (end > n)
			n = end;
	}
	return n < ZOC_DEV_DOORBELLS ? n : ZOC_DEV_DOORBELLS;
}

#endif /* _ZOC_GUEST_MMIO_CHECK_H */
