/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC virtual PCI bus: the device image a service VM publishes for each
 * function (struct zoc_dev_image), which the host checks once, on its own
 * copy, and then looks BAR accesses and capabilities up in.  The image is
 * the service VM's input: every offset the bus derives from it is bounded
 * by the check.  Built in the kernel and, with ring_compat.h, in userspace
 * for the fuzzer (tools/testing/fuzz/image_fuzz.c).
 */
#ifndef _ZOC_HOST_IMAGE_H
#define _ZOC_HOST_IMAGE_H

#ifdef __KERNEL__
#include <linux/align.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/pci_regs.h>
#include <linux/types.h>
#include <asm/unaligned.h>
#else
#include <linux/pci_regs.h>
#include "../link/ring_compat.h"
#endif
#include "../link/range.h"

#include <linux/zoc_link.h>

#define ZOC_BUS_BAR_MIN_SHIFT	12
#define ZOC_BUS_BAR_MAX_SHIFT	18
#define ZOC_BUS_CFG_SIZE	256
#define ZOC_BUS_MSIX_CAP	0x40
#define ZOC_BUS_VCAPS		0x50	/* the image's vendor capabilities */
#define ZOC_BUS_VECTORS		64

static inline bool zoc_image_range_ok(u64 off, u64 size, u64 limit)
{
	return size && off <= limit && size <= limit - off;
}

/*
 * Vendor-specific capabilities only, back to back, each at least its
 * header and length byte, all of them fitting in config space once
 * aligned.
 */
static inline int zoc_image_check_caps(const struct zoc_dev_image *img)
{
	unsigned int off = 0, pos = ZOC_BUS_VCAPS, len;

	if (img->caps_len > ZOC_DEV_CAPS_SIZE)
		return -EINVAL;
	while (off < img->caps_len) {
		if (img->caps_len - off < 3 ||
		    img->caps[off + PCI_CAP_LIST_ID] != PCI_CAP_ID_VNDR)
			return -EINVAL;
		len = img->caps[off + 2];
		if (len < 3 || len > img->caps_len - off)
			return -EINVAL;
		off += len;
		pos = ALIGN(pos + len, 4);
	}
	return pos <= ZOC_BUS_CFG_SIZE ? 0 : -EINVAL;
}

/**
 * zoc_image_check - validate a device image
 * @img: the host's copy of what the service VM wrote
 * @type: the device type the host asked for
 *
 * BAR0 a power of two the bus supports; MSI-X table, PBA and regions
 * aligned, inside BAR0 and apart; each shadow and doorbell range inside
 * the device page; capabilities that fit configuration space.
 *
 * Return: 0, or -EINVAL.
 */
static inline int zoc_image_check(const struct zoc_dev_image *img, u8 type)
{
	u64 start[ZOC_DEV_MAX_REGIONS + 2], len[ZOC_DEV_MAX_REGIONS + 2];
	u16 vectors = le16_to_cpu(img->msix_vectors);
	unsigned int i, j, n = 0;
	u64 bar;

	if (le32_to_cpu(img->magic) != ZOC_DEV_IMAGE_MAGIC || img->type != type ||
	    img->bar_shift < ZOC_BUS_BAR_MIN_SHIFT ||
	    img->bar_shift > ZOC_BUS_BAR_MAX_SHIFT ||
	    img->nr_regions > ZOC_DEV_MAX_REGIONS || vectors > ZOC_BUS_VECTORS ||
	    (img->flags & ~ZOC_DEV_IMAGE_F_GONE_ZERO))
		return -EINVAL;
	bar = BIT_ULL(img->bar_shift);
	if (vectors) {
		start[n] = le32_to_cpu(img->msix_table);
		len[n] = vectors * PCI_MSIX_ENTRY_SIZE;
		start[n + 1] = le32_to_cpu(img->msix_pba);
		len[n + 1] = sizeof(u64);
		for (i = n; i < n + 2; i++)
			if (start[i] % 8 || !zoc_image_range_ok(start[i], len[i], bar))
				return -EINVAL;
		n += 2;
	}
	for (i = 0; i < img->nr_regions; i++) {
		const struct zoc_dev_region *r = &img->region[i];
		u32 size = le32_to_cpu(r->size);
		u32 shadow = le32_to_cpu(r->shadow);

		start[n] = le32_to_cpu(r->offset);
		len[n] = size;
		if (start[n] % 4 || size % 4 ||
		    !zoc_image_range_ok(start[n], size, bar))
			return -EINVAL;
		if (r->policy == ZOC_REGION_SHADOW &&
		    !zoc_image_range_ok(shadow, size, ZOC_DEV_SHADOW_SIZE))
			return -EINVAL;
		if (r->policy == ZOC_REGION_DOORBELL &&
		    !zoc_image_range_ok(shadow, size / 4, ZOC_DEV_DOORBELLS))
			return -EINVAL;
		if (r->policy > ZOC_REGION_DOORBELL)
			return -EINVAL;
		n++;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (zoc_range_overlap(start[i], len[i], start[j], len[j]))
				return -EINVAL;
	return zoc_image_check_caps(img);
}

/* Whether an access of a checked image is to its MSI-X table or PBA. */
static inline bool zoc_image_is_msix(const struct zoc_dev_image *img, u64 off,
				     unsigned int size)
{
	u16 vectors = le16_to_cpu(img->msix_vectors);

	return vectors &&
	       (zoc_range_in(off, size, le32_to_cpu(img->msix_table),
			     vectors * PCI_MSIX_ENTRY_SIZE) ||
		zoc_range_in(off, size, le32_to_cpu(img->msix_pba), 8));
}

/* The region of a checked image an access falls in whole, or NULL. */
static inline const struct zoc_dev_region *
zoc_image_region(const struct zoc_dev_image *img, u64 off, unsigned int size)
{
	const struct zoc_dev_region *r;
	unsigned int i;

	for (i = 0; i < img->nr_regions; i++) {
		r = &img->region[i];
		if (zoc_range_in(off, size, le32_to_cpu(r->offset),
				 le32_to_cpu(r->size)))
			return r;
	}
	return NULL;
}

/* Where in the device page's shadow a shadowed access of @r reads. */
static inline unsigned int zoc_image_shadow(const struct zoc_dev_region *r,
					    u64 off)
{
	return le32_to_cpu(r->shadow) + (off - le32_to_cpu(r->offset));
}

/*
 * The doorbell a 32-bit aligned access of @r writes, or -1 for one the
 * bus ignores (other sizes, unaligned).
 */
static inline int zoc_image_doorbell(const struct zoc_dev_region *r, u64 off,
				     unsigned int size)
{
	if ((size != 4 && size != 2) || off % 4)
		return -1;
	return le32_to_cpu(r->shadow) + (off - le32_to_cpu(r->offset)) / 4;
}

/* Put the capability at @pos at the end of @cfg's capability list. */
static inline void zoc_cfg_link_cap(u8 *cfg, u8 pos)
{
	u8 *next = cfg + PCI_CAPABILITY_LIST;

	while (*next)
		next = cfg + *next + PCI_CAP_LIST_NEXT;
	*next = pos;
	cfg[pos + PCI_CAP_LIST_NEXT] = 0;
	put_unaligned_le16(PCI_STATUS_CAP_LIST, cfg + PCI_STATUS);
}

/*
 * A checked image's vendor-specific capabilities into configuration space
 * @cfg (ZOC_BUS_CFG_SIZE bytes), after MSI-X, each 4-byte aligned.
 */
static inline void zoc_image_vendor_caps(const struct zoc_dev_image *img,
					 u8 *cfg)
{
	unsigned int off = 0, pos = ZOC_BUS_VCAPS, len;

	while (off < img->caps_len) {
		len = img->caps[off + 2];
		memcpy(cfg + pos, img->caps + off, len);
		zoc_cfg_link_cap(cfg, pos);
		off += len;
		pos = ALIGN(pos + len, 4);
	}
}

#endif /* _ZOC_HOST_IMAGE_H */
