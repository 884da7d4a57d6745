// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtio devices: the image of a virtio 1.x modern PCI function, as
 * the host's bus presents it (identity, BAR0 regions and their policies,
 * MSI-X, the virtio PCI capabilities).
 */

#include <linux/bug.h>
#include <linux/kernel.h>
#include <linux/pci_regs.h>
#include <linux/string.h>
#include <linux/virtio_pci.h>
#include <linux/zoc_link.h>

#include "virtio.h"

/* PCI identity: device ID 0x1040 + the virtio device ID, revision 1 */
#define ZOC_VIRTIO_VENDOR	0x1af4
#define ZOC_VIRTIO_DEVICE_BASE	0x1040
#define ZOC_VIRTIO_SUBSYS	0x1100
#define ZOC_VIRTIO_REVISION	1

static void zoc_virtio_region(struct zoc_dev_image *img, u32 offset, u32 size,
			      u8 policy)
{
	struct zoc_dev_region *r;

	/* The image is filled in from nothing, with room for these. */
	if (WARN_ON_ONCE(img->nr_regions >= ZOC_DEV_MAX_REGIONS))
		return;
	r = &img->region[img->nr_regions++];
	r->offset = cpu_to_le32(offset);
	r->size = cpu_to_le32(size);
	r->policy = policy;
	/* doorbells: queue i is doorbell i; the device configuration's shadow */
	r->shadow = cpu_to_le32(0);
}

static void zoc_virtio_cap(struct zoc_dev_image *img, u8 type, u32 offset,
			   u32 length, u32 multiplier)
{
	struct virtio_pci_notify_cap cap = {
		.cap.cap_vndr = PCI_CAP_ID_VNDR,
		.cap.cap_len = sizeof(struct virtio_pci_cap),
		.cap.cfg_type = type,
		.cap.bar = 0,
		.cap.offset = cpu_to_le32(offset),
		.cap.length = cpu_to_le32(length),
	};

	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
		cap.cap.cap_len = sizeof(cap);
		cap.notify_off_multiplier = cpu_to_le32(multiplier);
	}
	/* The image is filled in from nothing, with room for these. */
	if (WARN_ON_ONCE(img->caps_len + cap.cap.cap_len > sizeof(img->caps)))
		return;
	memcpy(img->caps + img->caps_len, &cap, cap.cap.cap_len);
	img->caps_len += cap.cap.cap_len;
}

/**
 * zoc_virtio_image - fill in a device's image, from nothing
 * @vdev: the device
 * @img: its image, zeroed
 */
void zoc_virtio_image(struct zoc_virtio_dev *vdev, struct zoc_dev_image *img)
{
	u32 notify_len = vdev->nr_queues * ZOC_VIRTIO_NOTIFY_MULT;

	BUILD_BUG_ON(3 * sizeof(struct virtio_pci_cap) +
		     sizeof(struct virtio_pci_notify_cap) > ZOC_DEV_CAPS_SIZE);
	BUILD_BUG_ON(ZOC_VIRTIO_MAX_QUEUES > ZOC_DEV_DOORBELLS);

	img->type = vdev->ops->type;
	img->bar_shift = ZOC_VIRTIO_BAR_SHIFT;
	/* Gone, the device reads as reset: virtio_pci's removal completes. */
	img->flags = ZOC_DEV_IMAGE_F_GONE_ZERO;
	img->vendor = cpu_to_le16(ZOC_VIRTIO_VENDOR);
	img->device = cpu_to_le16(ZOC_VIRTIO_DEVICE_BASE + vdev->ops->device_id);
	img->subsystem_vendor = cpu_to_le16(ZOC_VIRTIO_VENDOR);
	img->subsystem_device = cpu_to_le16(ZOC_VIRTIO_SUBSYS);
	img->class = cpu_to_le32(vdev->ops->class << 8 | ZOC_VIRTIO_REVISION);
	/* One vector per queue and one for configuration changes */
	img->msix_vectors = cpu_to_le16(vdev->nr_queues + 1);
	img->msix_table = cpu_to_le32(ZOC_VIRTIO_MSIX_TABLE);
	img->msix_pba = cpu_to_le32(ZOC_VIRTIO_MSIX_PBA);

	zoc_virtio_region(img, ZOC_VIRTIO_COMMON, ZOC_VIRTIO_COMMON_LEN,
			  ZOC_REGION_FORWARD);
	zoc_virtio_region(img, ZOC_VIRTIO_ISR, sizeof(u32),
			  ZOC_REGION_FORWARD);
	/* Its shadow at the start of the page's: the bus serves the reads. */
	zoc_virtio_region(img, ZOC_VIRTIO_DEVICE,
			  round_up(vdev->config_len, sizeof(u32)),
			  ZOC_REGION_SHADOW);
	zoc_virtio_region(img, ZOC_VIRTIO_NOTIFY, notify_len,
			  ZOC_REGION_DOORBELL);

	zoc_virtio_cap(img, VIRTIO_PCI_CAP_COMMON_CFG, ZOC_VIRTIO_COMMON,
		       ZOC_VIRTIO_COMMON_LEN, 0);
	zoc_virtio_cap(img, VIRTIO_PCI_CAP_NOTIFY_CFG, ZOC_VIRTIO_NOTIFY,
		       notify_len, ZOC_VIRTIO_NOTIFY_MULT);
	zoc_virtio_cap(img, VIRTIO_PCI_CAP_ISR_CFG, ZOC_VIRTIO_ISR, 1, 0);
	zoc_virtio_cap(img, VIRTIO_PCI_CAP_DEVICE_CFG, ZOC_VIRTIO_DEVICE,
		       vdev->config_len, 0);
}
