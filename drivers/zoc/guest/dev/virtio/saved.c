// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtio devices: the transport's state, saved when the module lets go
 * of a device that stays with the host's driver, and restored by the next
 * module (drivers/zoc/guest/swap.c).
 *
 * A device is saved quiesced: every chain it took is completed, or, for
 * the receive buffers a device type keeps, given back and taken again by
 * the next module (its avail index is saved before them; they are the
 * last the queue took).  So a queue's state is its registers and its
 * indexes, and the used index in host memory must match.  The saved bytes
 * come back through host memory: restoring checks them as it checks the
 * driver's register writes, and a device whose state does not fit needs a
 * reset, which the driver survives.
 *
 * The same registers are kept, while the device runs, in its live record
 * (zoc_virtio_record(), after each change the driver or the device
 * makes), and its queues keep their tracks there (vq.c): a model that
 * finds them after its service VM died takes the device over with
 * zoc_virtio_recover(), and the chains in flight are taken again.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/workqueue.h>

#include "../../zoc_proxy.h"
#include "virtio.h"

#define ZOC_VIRTIO_SAVED_VERSION	1

/**
 * struct zoc_virtio_saved_vq - a queue, as saved (little-endian)
 * @desc: queue_desc
 * @driver: queue_driver
 * @device: queue_device
 * @size: queue_size
 * @vector: queue_msix_vector
 * @last_avail: the next avail entry to take
 * @used_idx: the used index published
 * @enabled: queue_enable
 * @reserved: zero
 */
struct zoc_virtio_saved_vq {
	__le64 desc;
	__le64 driver;
	__le64 device;
	__le16 size;
	__le16 vector;
	__le16 last_avail;
	__le16 used_idx;
	u8 enabled;
	u8 reserved[7];
};

/**
 * struct zoc_virtio_saved - a device's transport, as saved (little-endian)
 * @version: ZOC_VIRTIO_SAVED_VERSION
 * @nr_queues: its queues
 * @drv_features: the driver's features
 * @dfselect: device_feature_select
 * @gfselect: driver_feature_select
 * @msix_config: config_msix_vector
 * @queue_select: queue_select
 * @status: device_status
 * @generation: config_generation
 * @type_state: the device type's byte (zoc_virtio_set_type_state())
 * @reserved: zero
 * @vq: its queues
 */
struct zoc_virtio_saved {
	__le32 version;
	__le32 nr_queues;
	__le64 drv_features;
	__le32 dfselect;
	__le32 gfselect;
	__le16 msix_config;
	__le16 queue_select;
	u8 status;
	u8 generation;
	u8 type_state;
	u8 reserved;
	struct zoc_virtio_saved_vq vq[ZOC_VIRTIO_MAX_QUEUES];
};

/*
 * A queue's registers into @sq, with its indexes if @indexes.  While a
 * reset of it the driver asked for runs, as it will be after it: the
 * driver waits for queue_enable to read 0, and a model recovering the
 * device must not run the queue, nor take the chains the driver frees.
 */
static void zoc_virtio_save_vq(struct zoc_virtio_queue *vq,
			       struct zoc_virtio_saved_vq *sq, bool indexes)
{
	if (vq->resetting) {
		memset(sq, 0, sizeof(*sq));
		sq->size = cpu_to_le16(ZOC_VIRTIO_QUEUE_SIZE);
		sq->vector = cpu_to_le16(VIRTIO_MSI_NO_VECTOR);
		return;
	}
	sq->desc = cpu_to_le64(vq->desc);
	sq->driver = cpu_to_le64(vq->driver);
	sq->device = cpu_to_le64(vq->device);
	sq->size = cpu_to_le16(vq->size);
	sq->vector = cpu_to_le16(vq->vector);
	sq->enabled = vq->enabled;
	if (!indexes)
		return;
	/* The chains given back unused are taken again. */
	sq->last_avail = cpu_to_le16(vq->last_avail - vq->dropped);
	sq->used_idx = cpu_to_le16(vq->used_idx);
}

/*
 * The registers into @sv, with the queues' indexes if @indexes (a device
 * saved quiesced); device lock held.  While a reset the driver asked for
 * runs, the device is as it will be after it: the driver waits for that.
 */
static void zoc_virtio_save(struct zoc_virtio_dev *vdev,
			    struct zoc_virtio_saved *sv, bool indexes)
{
	unsigned int i;

	lockdep_assert_held(&vdev->lock);
	memset(sv, 0, sizeof(*sv));
	sv->version = cpu_to_le32(ZOC_VIRTIO_SAVED_VERSION);
	sv->nr_queues = cpu_to_le32(vdev->nr_queues);
	sv->generation = vdev->generation;
	if (vdev->reset_pending) {
		sv->msix_config = cpu_to_le16(VIRTIO_MSI_NO_VECTOR);
		for (i = 0; i < vdev->nr_queues; i++) {
			sv->vq[i].size = cpu_to_le16(ZOC_VIRTIO_QUEUE_SIZE);
			sv->vq[i].vector = cpu_to_le16(VIRTIO_MSI_NO_VECTOR);
		}
		return;
	}
	sv->drv_features = cpu_to_le64(vdev->drv_features);
	sv->type_state = vdev->type_state;
	sv->dfselect = cpu_to_le32(vdev->dfselect);
	sv->gfselect = cpu_to_le32(vdev->gfselect);
	sv->msix_config = cpu_to_le16(vdev->msix_config);
	sv->queue_select = cpu_to_le16(vdev->queue_select);
	sv->status = vdev->status;
	for (i = 0; i < vdev->nr_queues; i++)
		zoc_virtio_save_vq(vdev->vqs[i], &sv->vq[i], indexes);
}

/**
 * zoc_virtio_record - commit a device's registers to its live record
 * @vdev: the device
 *
 * After each change of its registers, by the driver or by the device (a
 * reset, a failure, a configuration change), so that a model recovering
 * the device finds them as the driver last set them.  Nothing before the
 * device runs with a state of its own: created afresh, or taken over.
 *
 * Context: the device's lock held.
 */
void zoc_virtio_record(struct zoc_virtio_dev *vdev)
{
	struct zoc_virtio_saved *last = vdev->record, *next = last + 1;

	lockdep_assert_held(&vdev->lock);
	if (!vdev->recording)
		return;
	zoc_virtio_save(vdev, next, false);
	/* Nothing changed (a zeroed @last is never a record). */
	if (!memcmp(last, next, sizeof(*next)))
		return;
	memcpy(last, next, sizeof(*last));
	zoc_proxy_live_commit(vdev->pdev, last, sizeof(*last));
}

/**
 * zoc_virtio_record_alloc - room for a device's records
 * @vdev: the device, being created
 *
 * The last record committed and the next one, off the stack of the
 * interrupt handlers that commit them; freed with the device.
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
int zoc_virtio_record_alloc(struct zoc_virtio_dev *vdev)
{
	vdev->record = kcalloc(2, sizeof(struct zoc_virtio_saved), GFP_KERNEL);
	return vdev->record ? 0 : -ENOMEM;
}

/*
 * Chains a dead model left (zoc_vq_recover()) that the queues' works have
 * not taken again yet are taken before the queues stop.  The state saved
 * has indexes only, which count them as taken: the next model would find
 * the used index short of them, and fail the device.
 */
static void zoc_virtio_take_replays(struct zoc_virtio_dev *vdev)
{
	struct zoc_virtio_queue *vq;
	unsigned int i;

	for (i = 0; i < vdev->nr_queues; i++) {
		vq = vdev->vqs[i];
		/* Each run takes some, or fails the device, which stops it. */
		while (READ_ONCE(vq->running) && zoc_vq_replays_left(vq)) {
			zoc_virtio_kick(vq);
			flush_work(&vq->work);
		}
	}
}

/**
 * zoc_virtio_detach - save a device's transport and free the device
 * @vdev: the device; the proxy sends it nothing any more
 * @state: where to save
 * @len: bytes at @state
 *
 * A device reset under way is finished first, and the chains a dead model
 * left are taken again; then the queues stop and quiesce: what is in
 * flight completes, receive buffers are given back.
 * Nothing is said to the host.
 *
 * Context: process context.
 * Return: the bytes saved at @state, or -ENOSPC (the device is freed all
 * the same).
 */
int zoc_virtio_detach(struct zoc_virtio_dev *vdev, void *state, size_t len)
{
	struct zoc_virtio_saved *sv = state;
	struct zoc_virtio_queue *vq;
	unsigned int i;

	/* The resets the driver asked for end as it expects. */
	flush_work(&vdev->reset_work);
	for (i = 0; i < vdev->nr_queues; i++)
		flush_work(&vdev->vqs[i]->reset_work);
	zoc_virtio_take_replays(vdev);
	zoc_virtio_stop(vdev);
	for (i = 0; i < vdev->nr_queues; i++) {
		vq = vdev->vqs[i];
		spin_lock_irq(&vq->used_lock);
		vq->dropped = 0;
		spin_unlock_irq(&vq->used_lock);
		zoc_virtio_vq_quiesce(vq);
	}
	if (len < sizeof(*sv)) {
		zoc_virtio_free(vdev);
		return -ENOSPC;
	}
	spin_lock_irq(&vdev->lock);
	zoc_virtio_save(vdev, sv, true);
	spin_unlock_irq(&vdev->lock);
	zoc_virtio_free(vdev);
	return sizeof(*sv);
}

/*
 * Restore a queue's registers and, if it was enabled, its rings and
 * indexes: saved, or from @track.  False if they do not fit: the device
 * needs a reset.  Device lock held.
 */
static bool zoc_virtio_restore_vq(struct zoc_virtio_queue *vq,
				  const struct zoc_virtio_saved_vq *sq,
				  const struct zoc_vq_track *track)
{
	struct zoc_virtio_dev *vdev = vq->vdev;
	u16 used;

	vq->size = le16_to_cpu(sq->size);
	WRITE_ONCE(vq->vector, zoc_virtio_vector(vdev,
						 le16_to_cpu(sq->vector)));
	vq->desc = le64_to_cpu(sq->desc);
	vq->driver = le64_to_cpu(sq->driver);
	vq->device = le64_to_cpu(sq->device);
	if (!sq->enabled)
		return true;
	if (zoc_vq_init(vq, vq->size, vq->desc, vq->driver, vq->device))
		return false;	/* the device needs a reset already */
	vq->enabled = true;
	if (track) {
		if (!zoc_vq_recover(vq, track))
			return true;
		zoc_virtio_fail_locked(vdev, "live queue does not match its rings");
		return false;
	}
	/* The host's memory has the truth of what was used. */
	used = __virtio16_to_cpu(true, READ_ONCE(vq->vring.used->idx));
	if (used != le16_to_cpu(sq->used_idx) ||
	    used != le16_to_cpu(sq->last_avail)) {
		zoc_virtio_fail_locked(vdev, "saved queue does not match its rings");
		return false;
	}
	zoc_vq_restore(vq, used, used);
	return true;
}

/* Restore or recover: the registers, then the queues. */
static int zoc_virtio_load(struct zoc_virtio_dev *vdev, const void *state,
			   size_t len, const struct zoc_vq_track *tracks)
{
	const struct zoc_virtio_saved *sv = state;
	unsigned int i, replay = 0;
	bool ok = true;

	if (len < sizeof(*sv) ||
	    le32_to_cpu(sv->version) != ZOC_VIRTIO_SAVED_VERSION ||
	    le32_to_cpu(sv->nr_queues) != vdev->nr_queues)
		return -EINVAL;
	spin_lock_irq(&vdev->lock);
	vdev->dfselect = le32_to_cpu(sv->dfselect);
	vdev->gfselect = le32_to_cpu(sv->gfselect);
	WRITE_ONCE(vdev->drv_features, le64_to_cpu(sv->drv_features));
	WRITE_ONCE(vdev->msix_config,
		   zoc_virtio_vector(vdev, le16_to_cpu(sv->msix_config)));
	vdev->queue_select = le16_to_cpu(sv->queue_select);
	vdev->generation = sv->generation;
	vdev->type_state = sv->type_state;
	if ((sv->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !zoc_virtio_features_ok(vdev))
		ok = false;
	for (i = 0; i < vdev->nr_queues && ok; i++) {
		ok = zoc_virtio_restore_vq(vdev->vqs[i], &sv->vq[i],
					   tracks ? &tracks[i] : NULL);
		replay += vdev->vqs[i]->nr_replay;
	}
	WRITE_ONCE(vdev->status, sv->status & ~VIRTIO_CONFIG_S_NEEDS_RESET);
	/* From here on, what changes is recorded. */
	vdev->recording = true;
	if (!ok || (sv->status & VIRTIO_CONFIG_S_NEEDS_RESET))
		zoc_virtio_fail_locked(vdev, "saved state does not fit");
	zoc_virtio_record(vdev);
	spin_unlock_irq(&vdev->lock);
	if (tracks)
		pr_info("%s: recovered, %u chains in flight to take again\n",
			vdev->pdev->name, replay);
	return sizeof(*sv);
}

/**
 * zoc_virtio_restore - restore a device's transport as it was saved
 * @vdev: the device, just created for the same parameters, to take over
 * @state: what zoc_virtio_detach() saved; untrusted
 * @len: bytes at @state
 *
 * Its queues run again from zoc_virtio_resume().  A state that does not
 * fit the device (another layout, features it no longer offers, rings
 * that moved) makes it need a reset.
 *
 * Context: process context, before the proxy sends the device anything.
 * Return: the bytes of @state used, or -EINVAL if it is no saved state of
 * this device.
 */
int zoc_virtio_restore(struct zoc_virtio_dev *vdev, const void *state,
		       size_t len)
{
	return zoc_virtio_load(vdev, state, len, NULL);
}

/**
 * zoc_virtio_recover - take a device over from the live record of a model
 *	that died serving it
 * @vdev: the device, just created for the same parameters, to take over
 * @state: the registers that model last recorded; untrusted
 * @len: bytes at @state
 * @track: a copy of the record's track; untrusted
 *
 * As zoc_virtio_restore(); the chains that model had in flight are taken
 * again, before any other, once the queues run (zoc_vq_recover()).
 *
 * Context: process context, before the proxy sends the device anything.
 * Return: the bytes of @state used, or -EINVAL if it is no record of this
 * device.
 */
int zoc_virtio_recover(struct zoc_virtio_dev *vdev, const void *state,
		       size_t len, const void *track)
{
	return zoc_virtio_load(vdev, state, len, track);
}

/**
 * zoc_virtio_config_left - what a device's driver read of its configuration
 * @pdev: the device, taken over and not created yet
 * @offset: where in the device configuration
 * @buf: the bytes, copied once from the shadow in host memory (untrusted)
 * @len: how many
 *
 * A device taken over goes on showing its driver what the last model
 * showed it, where the driver reads a field once (the MTU of virtio-net):
 * the shadow holds it until zoc_virtio_create() writes it again.
 * Return: 0, or -EINVAL for a range outside the shadow.
 *
 * Context: process context.
 */
int zoc_virtio_config_left(struct zoc_pdev *pdev, unsigned int offset,
			   void *buf, unsigned int len)
{
	if (offset > ZOC_DEV_SHADOW_SIZE || len > ZOC_DEV_SHADOW_SIZE - offset)
		return -EINVAL;
	memcpy(buf, pdev->page->shadow + offset, len);
	return 0;
}

/**
 * zoc_virtio_resume - a restored device goes on where it stopped
 * @pdev: its proxy device, taken over by the proxy
 *
 * Its queues run again and raise their vectors once, for what they may
 * have posted without one.  The models' @resume.
 *
 * Context: process context.
 */
void zoc_virtio_resume(struct zoc_pdev *pdev)
{
	struct zoc_virtio_dev *vdev = pdev->priv;
	struct zoc_virtio_queue *vq;
	unsigned int i;

	spin_lock_irq(&vdev->lock);
	for (i = 0; i < vdev->nr_queues && zoc_virtio_live(vdev); i++) {
		vq = vdev->vqs[i];
		if (!vq->enabled)
			continue;
		WRITE_ONCE(vq->running, true);
		zoc_virtio_kick(vq);
		irq_work_queue(&vq->irq_work);
	}
	spin_unlock_irq(&vdev->lock);
}
