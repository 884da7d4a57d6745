// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtio transport: the registers of the modern PCI transport, as
 * the host's driver reaches them in BAR0 (pci.c has the layout): the
 * common configuration, the ISR, the device configuration and the
 * notifications.  Accesses reach us as MMIO requests and doorbells, in
 * the link's interrupt handler: they update the registers under the
 * device's lock and leave the rest to the works of pci.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>
#include <uapi/linux/virtio_config.h>

#include "../../zoc_proxy.h"
#include "virtio.h"

/* queue_enable was written with 1: check the rings and take them. */
static void zoc_virtio_vq_enable(struct zoc_virtio_queue *vq)
{
	struct zoc_virtio_dev *vdev = vq->vdev;

	lockdep_assert_held(&vdev->lock);
	if (vq->enabled || vq->resetting)
		return;
	if (zoc_vq_init(vq, vq->size, vq->desc, vq->driver, vq->device))
		return;
	vq->enabled = true;
	if (zoc_virtio_live(vdev)) {
		WRITE_ONCE(vq->running, true);
		zoc_virtio_kick(vq);
	}
}

/* FEATURES_OK: only what we offer, and virtio 1.x. */
bool zoc_virtio_features_ok(struct zoc_virtio_dev *vdev)
{
	u64 drv = vdev->drv_features;

	if ((drv & ~vdev->features) || !(drv & BIT_ULL(VIRTIO_F_VERSION_1))) {
		pr_info_ratelimited("%s: features %#llx refused (offered %#llx)\n",
				    vdev->pdev->name, drv, vdev->features);
		return false;
	}
	WRITE_ONCE(vdev->event_idx, !!(drv & BIT_ULL(VIRTIO_RING_F_EVENT_IDX)));
	vdev->indirect = drv & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC);
	vdev->ring_reset = drv & BIT_ULL(VIRTIO_F_RING_RESET);
	return true;
}

static void zoc_virtio_set_status(struct zoc_virtio_dev *vdev, u8 val)
{
	u8 old = vdev->status, new;
	unsigned int i;

	if (!val) {
		/* Nothing ran since the last reset: done at once. */
		if (!old) {
			zoc_virtio_clear(vdev);
			return;
		}
		/* Reads return the old status until the work is done. */
		vdev->reset_pending = true;
		zoc_virtio_stop_queues(vdev);
		queue_work(vdev->wq, &vdev->reset_work);
		return;
	}
	/* Bits are only set, NEEDS_RESET only by us; a reset clears them. */
	new = old | (val & ~VIRTIO_CONFIG_S_NEEDS_RESET);
	if ((new & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !zoc_virtio_features_ok(vdev))
		new &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	WRITE_ONCE(vdev->status, new);
	if (!(old & VIRTIO_CONFIG_S_DRIVER_OK) && zoc_virtio_live(vdev)) {
		for (i = 0; i < vdev->nr_queues; i++) {
			/* A queue being reset stays stopped until enabled. */
			if (!vdev->vqs[i]->enabled || vdev->vqs[i]->resetting)
				continue;
			WRITE_ONCE(vdev->vqs[i]->running, true);
			zoc_virtio_kick(vdev->vqs[i]);
		}
	}
}

u16 zoc_virtio_vector(struct zoc_virtio_dev *vdev, u16 val)
{
	return val <= vdev->nr_queues ? val : VIRTIO_MSI_NO_VECTOR;
}

static void zoc_virtio_set_lo(u64 *reg, u32 val)
{
	*reg = (*reg & ~0xffffffffULL) | val;
}

static void zoc_virtio_set_hi(u64 *reg, u32 val)
{
	*reg = lower_32_bits(*reg) | (u64)val << 32;
}

/* The width of the common configuration field at @off, or 0. */
static unsigned int zoc_virtio_common_width(u64 off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_STATUS:
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return 1;
	case VIRTIO_PCI_COMMON_MSIX:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_Q_SELECT:
	case VIRTIO_PCI_COMMON_Q_SIZE:
	case VIRTIO_PCI_COMMON_Q_MSIX:
	case VIRTIO_PCI_COMMON_Q_ENABLE:
	case VIRTIO_PCI_COMMON_Q_NOFF:
	case VIRTIO_PCI_COMMON_Q_NDATA:
	case VIRTIO_PCI_COMMON_Q_RESET:
		return 2;
	case VIRTIO_PCI_COMMON_DFSELECT:
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_GFSELECT:
	case VIRTIO_PCI_COMMON_GF:
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return 4;
	default:
		return 0;
	}
}

static struct zoc_virtio_queue *zoc_virtio_selected(struct zoc_virtio_dev *vdev)
{
	if (vdev->queue_select >= vdev->nr_queues)
		return NULL;
	return vdev->vqs[vdev->queue_select];
}

static u32 zoc_virtio_half(u64 val, u32 select)
{
	if (select == 0)
		return lower_32_bits(val);
	if (select == 1)
		return upper_32_bits(val);
	return 0;
}

/* A field of the common configuration; lock held. */
static u32 zoc_virtio_common_read(struct zoc_virtio_dev *vdev, u64 off)
{
	struct zoc_virtio_queue *vq = zoc_virtio_selected(vdev);

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return vdev->dfselect;
	case VIRTIO_PCI_COMMON_DF:
		return zoc_virtio_half(vdev->features, vdev->dfselect);
	case VIRTIO_PCI_COMMON_GFSELECT:
		return vdev->gfselect;
	case VIRTIO_PCI_COMMON_GF:
		return zoc_virtio_half(vdev->drv_features, vdev->gfselect);
	case VIRTIO_PCI_COMMON_MSIX:
		return vdev->msix_config;
	case VIRTIO_PCI_COMMON_NUMQ:
		return vdev->nr_queues;
	case VIRTIO_PCI_COMMON_STATUS:
		return vdev->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return vdev->generation;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return vdev->queue_select;
	}
	if (!vq)	/* no such queue: size 0, no vector */
		return off == VIRTIO_PCI_COMMON_Q_MSIX ? VIRTIO_MSI_NO_VECTOR : 0;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return vq->size;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return vq->vector;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return vq->enabled;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return vq->index;
	case VIRTIO_PCI_COMMON_Q_RESET:
		return vq->resetting;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
		return lower_32_bits(vq->desc);
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		return upper_32_bits(vq->desc);
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
		return lower_32_bits(vq->driver);
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		return upper_32_bits(vq->driver);
	case VIRTIO_PCI_COMMON_Q_USEDLO:
		return lower_32_bits(vq->device);
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return upper_32_bits(vq->device);
	}
	return 0;
}

/* A field of the selected queue; lock held. */
static void zoc_virtio_queue_write(struct zoc_virtio_dev *vdev, u64 off,
				   u32 val)
{
	struct zoc_virtio_queue *vq = zoc_virtio_selected(vdev);

	if (!vq) {
		zoc_proxy_stat_add(vdev->pdev, ZOC_DEV_STAT_INVALID, 1);
		return;
	}
	if (off == VIRTIO_PCI_COMMON_Q_MSIX) {
		WRITE_ONCE(vq->vector, zoc_virtio_vector(vdev, val));
		return;
	}
	if (off == VIRTIO_PCI_COMMON_Q_ENABLE) {
		/* Disabling a queue takes a reset, of it or of the device. */
		if (val == 1)
			zoc_virtio_vq_enable(vq);
		return;
	}
	if (off == VIRTIO_PCI_COMMON_Q_RESET) {
		if (val == 1 && vdev->ring_reset && !vq->resetting) {
			vq->resetting = true;
			WRITE_ONCE(vq->running, false);
			queue_work(vdev->wq, &vq->reset_work);
		}
		return;
	}
	/* The rings of an enabled queue stay as they were checked. */
	if (vq->enabled)
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		vq->size = val;
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
		zoc_virtio_set_lo(&vq->desc, val);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		zoc_virtio_set_hi(&vq->desc, val);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
		zoc_virtio_set_lo(&vq->driver, val);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		zoc_virtio_set_hi(&vq->driver, val);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
		zoc_virtio_set_lo(&vq->device, val);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		zoc_virtio_set_hi(&vq->device, val);
		break;
	}
}

/* A field of the common configuration; lock held. */
static void zoc_virtio_common_write(struct zoc_virtio_dev *vdev, u64 off,
				    u32 val)
{
	/* The driver waits for the reset to end before it writes more. */
	if (vdev->reset_pending)
		return;
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vdev->dfselect = val;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vdev->gfselect = val;
		break;
	case VIRTIO_PCI_COMMON_GF:
		/* Fixed once accepted */
		if ((vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) ||
		    vdev->gfselect > 1)
			break;
		if (vdev->gfselect)
			zoc_virtio_set_hi(&vdev->drv_features, val);
		else
			zoc_virtio_set_lo(&vdev->drv_features, val);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		WRITE_ONCE(vdev->msix_config, zoc_virtio_vector(vdev, val));
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		zoc_virtio_set_status(vdev, val);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vdev->queue_select = val;
		break;
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_CFGGENERATION:
	case VIRTIO_PCI_COMMON_Q_NOFF:
	case VIRTIO_PCI_COMMON_Q_NDATA:	/* no VIRTIO_F_NOTIF_CONFIG_DATA */
		break;		/* read-only */
	default:
		zoc_virtio_queue_write(vdev, off, val);
		break;
	}
}

/* 64-bit accesses to the ring addresses are taken as two halves. */
static bool zoc_virtio_common_split(u64 off, unsigned int size)
{
	return size == 8 && (off == VIRTIO_PCI_COMMON_Q_DESCLO ||
			     off == VIRTIO_PCI_COMMON_Q_AVAILLO ||
			     off == VIRTIO_PCI_COMMON_Q_USEDLO);
}

static u64 zoc_virtio_config_read(struct zoc_virtio_dev *vdev, u64 off,
				  unsigned int size)
{
	u8 buf[8] = {};

	if (off < vdev->config_len && size <= vdev->config_len - off)
		memcpy(buf, vdev->config + off, size);
	return get_unaligned_le64(buf);
}

/**
 * zoc_virtio_mmio_read - the model's mmio_read for virtio devices
 * @pdev: the device
 * @offset: where in BAR0
 * @size: 1, 2, 4 or 8 bytes
 *
 * Context: the link's interrupt handler.
 * Return: the value read.
 */
u64 zoc_virtio_mmio_read(struct zoc_pdev *pdev, u64 offset, unsigned int size)
{
	struct zoc_virtio_dev *vdev = pdev->priv;
	unsigned long flags;
	u64 val = 0;

	spin_lock_irqsave(&vdev->lock, flags);
	if (offset < ZOC_VIRTIO_AREA) {
		if (zoc_virtio_common_width(offset) == size) {
			val = zoc_virtio_common_read(vdev, offset);
		} else if (zoc_virtio_common_split(offset, size)) {
			val = zoc_virtio_common_read(vdev, offset) |
			      (u64)zoc_virtio_common_read(vdev, offset + 4) << 32;
		} else {
			zoc_proxy_stat_add(pdev, ZOC_DEV_STAT_INVALID, 1);
		}
	} else if (offset == ZOC_VIRTIO_ISR) {
		val = atomic_xchg(&vdev->isr, 0);
	} else if (offset >= ZOC_VIRTIO_DEVICE &&
		   offset < ZOC_VIRTIO_DEVICE + ZOC_VIRTIO_AREA) {
		val = zoc_virtio_config_read(vdev, offset - ZOC_VIRTIO_DEVICE,
					     size);
	}
	spin_unlock_irqrestore(&vdev->lock, flags);
	return val;
}

/**
 * zoc_virtio_mmio_write - the model's mmio_write for virtio devices
 * @pdev: the device
 * @offset: where in BAR0
 * @size: 1, 2, 4 or 8 bytes
 * @value: the value written
 *
 * Context: the link's interrupt handler.
 */
void zoc_virtio_mmio_write(struct zoc_pdev *pdev, u64 offset,
			   unsigned int size, u64 value)
{
	struct zoc_virtio_dev *vdev = pdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&vdev->lock, flags);
	if (offset < ZOC_VIRTIO_AREA &&
	    zoc_virtio_common_width(offset) == size) {
		zoc_virtio_common_write(vdev, offset, value);
	} else if (offset < ZOC_VIRTIO_AREA &&
		   zoc_virtio_common_split(offset, size)) {
		zoc_virtio_common_write(vdev, offset, lower_32_bits(value));
		zoc_virtio_common_write(vdev, offset + 4, upper_32_bits(value));
	} else {
		/* The ISR and the device configuration are read-only. */
		zoc_proxy_stat_add(pdev, ZOC_DEV_STAT_INVALID, 1);
	}
	zoc_virtio_record(vdev);
	spin_unlock_irqrestore(&vdev->lock, flags);
}

/**
 * zoc_virtio_doorbell - the model's doorbell for virtio devices
 * @pdev: the device
 * @index: the queue notified
 * @value: what the driver wrote (the queue index); unused
 *
 * Context: the link's interrupt handler.
 */
void zoc_virtio_doorbell(struct zoc_pdev *pdev, unsigned int index, u32 value)
{
	struct zoc_virtio_dev *vdev = pdev->priv;

	if (index >= vdev->nr_queues) {
		zoc_proxy_stat_add(pdev, ZOC_DEV_STAT_INVALID, 1);
		return;
	}
	zoc_proxy_poll_rang(&vdev->vqs[index]->poller);
	zoc_virtio_kick(vdev->vqs[index]);
}

/**
 * zoc_virtio_set_config - change the device configuration space
 * @vdev: the device
 * @offset: where
 * @buf: the new bytes
 * @len: how many
 *
 * The configuration generation changes and a driver that is running
 * hears of it through the configuration vector.
 *
 * Context: any.
 */
void zoc_virtio_set_config(struct zoc_virtio_dev *vdev, unsigned int offset,
			   const void *buf, unsigned int len)
{
	unsigned long flags;

	if (offset > vdev->config_len || len > vdev->config_len - offset)
		return;
	spin_lock_irqsave(&vdev->lock, flags);
	memcpy(vdev->config + offset, buf, len);
	/* The shadow the host reads, before the generation it checks */
	zoc_proxy_shadow_write(vdev->pdev, offset, buf, len);
	vdev->generation++;
	zoc_virtio_record(vdev);
	if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		zoc_virtio_config_notify(vdev);
	spin_unlock_irqrestore(&vdev->lock, flags);
}
