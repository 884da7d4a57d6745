// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtio transport: the virtio 1.x modern PCI transport and split
 * virtqueues, for the host's stock virtio_pci driver.  The device types
 * (virtio_blk.c, virtio_net.c) give their features, configuration space
 * and a handler for the chains their queues receive.
 *
 * BAR0 holds the common configuration at 0, the ISR at 0x1000, the device
 * configuration at 0x2000 (read from its shadow in the device page, by
 * the host's bus), the notifications at 0x3000 (queue i at 0x3000 + 4 * i,
 * a doorbell region) and the MSI-X table and PBA at 0x4000 and 0x5000;
 * vendor capabilities in config space point the driver at them.  Register
 * accesses reach us as MMIO requests, in the link's interrupt handler: they
 * update the registers under the device's lock and leave the rest to work
 * items, one per queue and one for resets.
 *
 * A queue's work reads the avail ring, validates each descriptor chain it
 * names (indexes, lengths, loops, indirect tables, addresses in host RAM)
 * and hands it to the device type; completions post the used entries and
 * raise the queue's vector, as the event index allows.  The host is not
 * trusted: a ring or chain that breaks the rules sets DEVICE_NEEDS_RESET,
 * stops the device's queues and raises its configuration vector.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/irq_work.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>
#include <uapi/linux/virtio_config.h>
#include <linux/zoc_link.h>

#include "zoc_proxy.h"
#include "zoc_virtio.h"

/* BAR0 */
#define ZOC_VIRTIO_BAR_SHIFT	15		/* 32 KiB */
#define ZOC_VIRTIO_COMMON	0x0000
#define ZOC_VIRTIO_ISR		0x1000
#define ZOC_VIRTIO_DEVICE	0x2000
#define ZOC_VIRTIO_NOTIFY	0x3000
#define ZOC_VIRTIO_MSIX_TABLE	0x4000
#define ZOC_VIRTIO_MSIX_PBA	0x5000
#define ZOC_VIRTIO_AREA		0x1000		/* room of each structure */
#define ZOC_VIRTIO_NOTIFY_MULT	4

/* PCI identity: device ID 0x1040 + the virtio device ID, revision 1 */
#define ZOC_VIRTIO_VENDOR	0x1af4
#define ZOC_VIRTIO_DEVICE_BASE	0x1040
#define ZOC_VIRTIO_SUBSYS	0x1100
#define ZOC_VIRTIO_REVISION	1

#define ZOC_VIRTIO_BUDGET	64		/* chains per run of a work */
#define ZOC_VIRTIO_ISR_QUEUE	0x1

#define ZOC_VIRTIO_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) |		\
				 BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |	\
				 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |	\
				 BIT_ULL(VIRTIO_F_RING_RESET))

/* The common configuration with queue_notify_data and queue_reset */
#define ZOC_VIRTIO_COMMON_LEN	(VIRTIO_PCI_COMMON_Q_RESET + sizeof(u16))

/**
 * struct zoc_virtio_queue - a split virtqueue
 * @vdev: its device
 * @index: its index, also its notification offset and doorbell
 * @size: queue_size, as last written
 * @vector: queue_msix_vector: a valid vector or VIRTIO_MSI_NO_VECTOR
 * @enabled: queue_enable: the rings were checked and are in @vring
 * @desc: queue_desc
 * @driver: queue_driver (the avail ring)
 * @device: queue_device (the used ring)
 * @vring: the rings in host memory, fixed while @enabled
 * @running: its work takes chains: enabled, and the device is live
 * @resetting: queue_reset was written with 1 and @reset_work runs
 * @last_avail: the next avail entry to take; its work only
 * @segs: the buffers of the chain being taken; its work only
 * @work: takes the chains and hands them to the device type
 * @reset_work: resets the queue alone (VIRTIO_F_RING_RESET)
 * @irq_work: raises @vector outside of our locks and the link's
 * @used_lock: protects the fields below and @inflight's last decrement;
 *	completions come from any context
 * @inflight: chains taken and not completed yet
 * @used_idx: the used index we published
 * @signalled: @used_idx when the interrupt was last decided on
 * @hold: its work runs: the interrupt waits for the end of the run
 * @irq_pending: entries were posted while held
 *
 * The registers are protected by the device's lock.
 */
struct zoc_virtio_queue {
	struct zoc_virtio_dev *vdev;
	u16 index;
	u16 size;
	u16 vector;
	bool enabled;
	u64 desc;
	u64 driver;
	u64 device;
	struct vring vring;
	bool running;
	bool resetting;
	u16 last_avail;
	struct zoc_virtio_seg *segs;
	struct work_struct work;
	struct work_struct reset_work;
	struct irq_work irq_work;
	/* completions come from bio end_io, in any context */
	spinlock_t used_lock;
	atomic_t inflight;
	u16 used_idx;
	u16 signalled;
	unsigned int hold;
	bool irq_pending;
};

/**
 * struct zoc_virtio_dev - a virtio device
 * @pdev: its proxy device
 * @ops: its device type
 * @priv: the device type's
 * @nr_queues: its queues
 * @features: the features it offers
 * @config: its device configuration space
 * @config_len: bytes of @config
 * @wq: runs the works of its queues and @reset_work
 * @reset_work: finishes a reset the driver asked for
 * @config_irq: raises @msix_config
 * @isr: the ISR status, cleared by a read
 * @lock: protects the registers below and @config.  The link's interrupt
 *	handler calls us with it held; a queue's used lock nests inside.
 * @dfselect: device_feature_select
 * @gfselect: driver_feature_select
 * @drv_features: the driver's features
 * @msix_config: a valid vector or VIRTIO_MSI_NO_VECTOR
 * @status: device_status: what reads return
 * @generation: config_generation
 * @queue_select: queue_select, as written
 * @event_idx: VIRTIO_RING_F_EVENT_IDX was accepted with FEATURES_OK
 * @indirect: VIRTIO_RING_F_INDIRECT_DESC was accepted with FEATURES_OK
 * @ring_reset: VIRTIO_F_RING_RESET was accepted with FEATURES_OK
 * @reset_pending: a reset runs: registers are read-only until it is done
 * @dying: destroy began
 * @vqs: its queues
 */
struct zoc_virtio_dev {
	struct zoc_pdev *pdev;
	const struct zoc_virtio_ops *ops;
	void *priv;
	unsigned int nr_queues;
	u64 features;
	u8 *config;
	unsigned int config_len;
	struct workqueue_struct *wq;
	struct work_struct reset_work;
	struct irq_work config_irq;
	atomic_t isr;
	/* the link's interrupt handler calls us with it held */
	spinlock_t lock;
	u32 dfselect;
	u32 gfselect;
	u64 drv_features;
	u16 msix_config;
	u8 status;
	u8 generation;
	u16 queue_select;
	bool event_idx;
	bool indirect;
	bool ring_reset;
	bool reset_pending;
	bool dying;
	struct zoc_virtio_queue *vqs[ZOC_VIRTIO_MAX_QUEUES];
};

static u16 zoc_v16(__virtio16 val)
{
	return __virtio16_to_cpu(true, val);
}

/**
 * zoc_virtio_priv - the device type's data of a device
 * @vdev: the device
 *
 * Return: what was given to zoc_virtio_create().
 */
void *zoc_virtio_priv(const struct zoc_virtio_dev *vdev)
{
	return vdev->priv;
}

/**
 * zoc_virtio_vq_dev - the device of a queue
 * @vq: the queue
 *
 * Return: its device.
 */
struct zoc_virtio_dev *zoc_virtio_vq_dev(const struct zoc_virtio_queue *vq)
{
	return vq->vdev;
}

/**
 * zoc_virtio_pdev - the proxy device of a virtio device
 * @vdev: the device
 *
 * Return: its proxy device, for stats and host memory.
 */
struct zoc_pdev *zoc_virtio_pdev(const struct zoc_virtio_dev *vdev)
{
	return vdev->pdev;
}

/**
 * zoc_virtio_queue - a queue of a device
 * @vdev: the device
 * @index: the queue's index, below the number of queues it was created with
 *
 * Return: the queue.
 */
struct zoc_virtio_queue *zoc_virtio_queue(const struct zoc_virtio_dev *vdev,
					  unsigned int index)
{
	return vdev->vqs[index];
}

/**
 * zoc_virtio_vq_index - the index of a queue
 * @vq: the queue
 *
 * Return: its index.
 */
unsigned int zoc_virtio_vq_index(const struct zoc_virtio_queue *vq)
{
	return vq->index;
}

/**
 * zoc_virtio_vq_running - whether a queue takes and completes chains
 * @vq: the queue
 *
 * A device type that keeps chains (receive buffers) fills them only while
 * this holds: not during a reset, nor once the device needs one.
 *
 * Return: true while the queue runs.
 */
bool zoc_virtio_vq_running(const struct zoc_virtio_queue *vq)
{
	return READ_ONCE(vq->running);
}

/**
 * zoc_virtio_has_feature - whether the driver accepted a feature
 * @vdev: the device
 * @bit: the feature bit
 *
 * Return: true if @bit was among the driver's features when it set
 * FEATURES_OK and the device accepted them.
 */
bool zoc_virtio_has_feature(const struct zoc_virtio_dev *vdev,
			    unsigned int bit)
{
	return bit < 64 && (READ_ONCE(vdev->status) & VIRTIO_CONFIG_S_FEATURES_OK) &&
	       (READ_ONCE(vdev->drv_features) & BIT_ULL(bit));
}

/* --- interrupts ---------------------------------------------------------- */

static void zoc_virtio_vq_irq(struct irq_work *work)
{
	struct zoc_virtio_queue *vq = container_of(work,
						   struct zoc_virtio_queue,
						   irq_work);
	u16 vector = READ_ONCE(vq->vector);

	if (vector != VIRTIO_MSI_NO_VECTOR)
		zoc_proxy_irq(vq->vdev->pdev, vector);
}

static void zoc_virtio_config_irq(struct irq_work *work)
{
	struct zoc_virtio_dev *vdev = container_of(work, struct zoc_virtio_dev,
						   config_irq);
	u16 vector = READ_ONCE(vdev->msix_config);

	if (vector != VIRTIO_MSI_NO_VECTOR)
		zoc_proxy_irq(vdev->pdev, vector);
}

/* The configuration changed, or the device needs a reset. */
static void zoc_virtio_config_notify(struct zoc_virtio_dev *vdev)
{
	atomic_or(VIRTIO_PCI_ISR_CONFIG, &vdev->isr);
	irq_work_queue(&vdev->config_irq);
}

/*
 * Entries were posted: interrupt if the driver wants one (its used event
 * index, or VRING_AVAIL_F_NO_INTERRUPT without event indexes).
 */
static void zoc_virtio_vq_notify(struct zoc_virtio_queue *vq)
{
	struct vring *vr = &vq->vring;
	bool need;

	lockdep_assert_held(&vq->used_lock);
	/*
	 * The used index before the driver's event index or flags; pairs
	 * with the driver's barrier between writing those and reading the
	 * used index.
	 */
	virt_mb();
	if (READ_ONCE(vq->vdev->event_idx))
		need = vring_need_event(zoc_v16(READ_ONCE(vring_used_event(vr))),
					vq->used_idx, vq->signalled);
	else
		need = vq->used_idx != vq->signalled &&
		       !(zoc_v16(READ_ONCE(vr->avail->flags)) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	vq->signalled = vq->used_idx;
	if (need) {
		atomic_or(ZOC_VIRTIO_ISR_QUEUE, &vq->vdev->isr);
		irq_work_queue(&vq->irq_work);
	}
}

/* A work's run begins: one interrupt for its completions, at the end. */
static void zoc_virtio_vq_hold(struct zoc_virtio_queue *vq)
{
	spin_lock_irq(&vq->used_lock);
	vq->hold++;
	spin_unlock_irq(&vq->used_lock);
}

static void zoc_virtio_vq_release(struct zoc_virtio_queue *vq)
{
	spin_lock_irq(&vq->used_lock);
	if (!--vq->hold && vq->irq_pending) {
		vq->irq_pending = false;
		zoc_virtio_vq_notify(vq);
	}
	spin_unlock_irq(&vq->used_lock);
}

/* --- device state -------------------------------------------------------- */

static bool zoc_virtio_live(struct zoc_virtio_dev *vdev)
{
	u8 want = VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;

	lockdep_assert_held(&vdev->lock);
	return (vdev->status & want) == want &&
	       !(vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET) &&
	       !vdev->reset_pending && !vdev->dying;
}

static void zoc_virtio_kick(struct zoc_virtio_queue *vq)
{
	if (READ_ONCE(vq->running))
		queue_work(vq->vdev->wq, &vq->work);
}

static void zoc_virtio_stop_queues(struct zoc_virtio_dev *vdev)
{
	unsigned int i;

	lockdep_assert_held(&vdev->lock);
	for (i = 0; i < vdev->nr_queues; i++)
		WRITE_ONCE(vdev->vqs[i]->running, false);
}

/*
 * The driver broke the rules: DEVICE_NEEDS_RESET, the queues stop and the
 * driver hears of it through the configuration vector.  Any context.
 */
static void zoc_virtio_fail_locked(struct zoc_virtio_dev *vdev,
				   const char *why)
{
	lockdep_assert_held(&vdev->lock);
	zoc_proxy_stat_add(vdev->pdev, ZOC_DEV_STAT_INVALID, 1);
	if (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	pr_warn_ratelimited("%s: %s: device needs a reset\n",
			    vdev->pdev->name, why);
	WRITE_ONCE(vdev->status, vdev->status | VIRTIO_CONFIG_S_NEEDS_RESET);
	zoc_virtio_stop_queues(vdev);
	zoc_virtio_config_notify(vdev);
}

static void zoc_virtio_fail(struct zoc_virtio_dev *vdev, const char *why)
{
	unsigned long flags;

	spin_lock_irqsave(&vdev->lock, flags);
	zoc_virtio_fail_locked(vdev, why);
	spin_unlock_irqrestore(&vdev->lock, flags);
}

/* A queue back to its state after a reset; it is idle.  Device lock held. */
static void zoc_virtio_vq_clear(struct zoc_virtio_queue *vq)
{
	lockdep_assert_held(&vq->vdev->lock);
	vq->size = ZOC_VIRTIO_QUEUE_SIZE;
	WRITE_ONCE(vq->vector, VIRTIO_MSI_NO_VECTOR);
	vq->enabled = false;
	vq->desc = 0;
	vq->driver = 0;
	vq->device = 0;
	memset(&vq->vring, 0, sizeof(vq->vring));
	WRITE_ONCE(vq->running, false);
	vq->resetting = false;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled = 0;
	vq->irq_pending = false;
}

/* Back to the state after power on; nothing runs. */
static void zoc_virtio_clear(struct zoc_virtio_dev *vdev)
{
	unsigned int i;

	lockdep_assert_held(&vdev->lock);
	vdev->dfselect = 0;
	vdev->gfselect = 0;
	WRITE_ONCE(vdev->drv_features, 0);
	WRITE_ONCE(vdev->msix_config, VIRTIO_MSI_NO_VECTOR);
	vdev->queue_select = 0;
	WRITE_ONCE(vdev->event_idx, false);
	vdev->indirect = false;
	vdev->ring_reset = false;
	vdev->reset_pending = false;
	atomic_set(&vdev->isr, 0);
	for (i = 0; i < vdev->nr_queues; i++)
		zoc_virtio_vq_clear(vdev->vqs[i]);
	/* Last: the driver polls it for the end of the reset. */
	WRITE_ONCE(vdev->status, 0);
}

static bool zoc_virtio_vq_idle(struct zoc_virtio_queue *vq)
{
	bool idle;

	spin_lock_irq(&vq->used_lock);
	idle = !atomic_read(&vq->inflight);
	spin_unlock_irq(&vq->used_lock);
	return idle;
}

/* Wait until a stopped queue has nothing in flight. */
static void zoc_virtio_vq_quiesce(struct zoc_virtio_queue *vq)
{
	struct zoc_virtio_dev *vdev = vq->vdev;

	cancel_work_sync(&vq->work);
	/* Chains the device type keeps (receive buffers) go back unused. */
	if (vdev->ops->drain)
		vdev->ops->drain(vq);
	wait_var_event(&vq->inflight, zoc_virtio_vq_idle(vq));
	/* Completions before the last may have kicked the work. */
	cancel_work_sync(&vq->work);
	irq_work_sync(&vq->irq_work);
}

/* Wait until the stopped queues have nothing in flight. */
static void zoc_virtio_quiesce(struct zoc_virtio_dev *vdev)
{
	unsigned int i;

	for (i = 0; i < vdev->nr_queues; i++) {
		/* A queue's own reset is overtaken by the device's. */
		cancel_work_sync(&vdev->vqs[i]->reset_work);
		zoc_virtio_vq_quiesce(vdev->vqs[i]);
	}
}

/* queue_reset: the queue stops, gives back its chains and reads as reset. */
static void zoc_virtio_vq_reset_work(struct work_struct *work)
{
	struct zoc_virtio_queue *vq = container_of(work,
						   struct zoc_virtio_queue,
						   reset_work);
	struct zoc_virtio_dev *vdev = vq->vdev;

	zoc_virtio_vq_quiesce(vq);
	spin_lock_irq(&vdev->lock);
	/* Unless a device reset took over meanwhile */
	if (vq->resetting)
		zoc_virtio_vq_clear(vq);
	spin_unlock_irq(&vdev->lock);
}

static void zoc_virtio_reset_work(struct work_struct *work)
{
	struct zoc_virtio_dev *vdev = container_of(work, struct zoc_virtio_dev,
						   reset_work);

	zoc_virtio_quiesce(vdev);
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
	spin_lock_irq(&vdev->lock);
	zoc_virtio_clear(vdev);
	spin_unlock_irq(&vdev->lock);
	zoc_proxy_stat_add(vdev->pdev, ZOC_DEV_STAT_RESETS, 1);
}

/* --- split virtqueues ---------------------------------------------------- */

/*
 * Take the chain at @head into @chain, checking every descriptor: indexes
 * inside their table, no longer than the table (no loops), an indirect
 * table only as the only descriptor of a chain and never nested, buffers
 * in host RAM, device-writable buffers after the readable ones.
 */
static const char *zoc_virtio_vq_chain(struct zoc_virtio_queue *vq, u16 head,
				       struct zoc_virtio_chain *chain)
{
	struct zoc_virtio_dev *vdev = vq->vdev;
	struct vring_desc *table = vq->vring.desc;
	unsigned int max = vq->vring.num;
	unsigned int i = head, n = 0;
	bool indirect = false;
	u16 flags, next;
	u64 addr;
	u32 len;

	memset(chain, 0, sizeof(*chain));
	chain->head = head;
	chain->segs = vq->segs;
	if (head >= max)
		return "head index out of range";
	for (;;) {
		addr = __virtio64_to_cpu(true, READ_ONCE(table[i].addr));
		len = __virtio32_to_cpu(true, READ_ONCE(table[i].len));
		flags = zoc_v16(READ_ONCE(table[i].flags));
		next = zoc_v16(READ_ONCE(table[i].next));

		if (flags & VRING_DESC_F_INDIRECT) {
			if (!vdev->indirect)
				return "indirect descriptor not negotiated";
			if (indirect || n || (flags & VRING_DESC_F_NEXT))
				return "misplaced indirect descriptor";
			if (!len || len % sizeof(struct vring_desc) ||
			    len / sizeof(struct vring_desc) > vq->vring.num)
				return "bad indirect table length";
			table = zoc_proxy_host_ptr(vdev->pdev, addr, len);
			if (!table)
				return "indirect table outside host RAM";
			max = len / sizeof(struct vring_desc);
			indirect = true;
			i = 0;
			continue;
		}
		if (n == max)
			return "descriptor chain too long";
		if (!len || !zoc_proxy_host_ptr(vdev->pdev, addr, len))
			return "buffer outside host RAM";
		if (flags & VRING_DESC_F_WRITE) {
			chain->in_len += len;
			if (chain->in_len > U32_MAX)
				return "too much data";
		} else {
			if (chain->in_len)
				return "readable buffer after a writable one";
			chain->out_len += len;
			if (chain->out_len > U32_MAX)
				return "too much data";
			chain->nr_out++;
		}
		vq->segs[n].addr = addr;
		vq->segs[n].len = len;
		vq->segs[n].write = flags & VRING_DESC_F_WRITE;
		n++;
		chain->nr_segs = n;
		if (!(flags & VRING_DESC_F_NEXT))
			return NULL;
		if (next >= max)
			return "next index out of range";
		i = next;
	}
}

/*
 * Whether the avail ring holds chains we have not taken.  Before going
 * idle, publish the avail event index and look again.
 */
static bool zoc_virtio_vq_pending(struct zoc_virtio_queue *vq)
{
	struct vring *vr = &vq->vring;
	u16 avail;

	avail = zoc_v16(READ_ONCE(vr->avail->idx));
	if (avail == vq->last_avail && READ_ONCE(vq->vdev->event_idx)) {
		WRITE_ONCE(vring_avail_event(vr),
			   __cpu_to_virtio16(true, vq->last_avail));
		/*
		 * The event index before the second look; pairs with the
		 * driver's barrier between its avail index write and its
		 * event index read.
		 */
		virt_mb();
		avail = zoc_v16(READ_ONCE(vr->avail->idx));
	}
	if ((u16)(avail - vq->last_avail) > vr->num) {
		zoc_virtio_fail(vq->vdev, "avail index out of range");
		return false;
	}
	if (avail == vq->last_avail)
		return false;
	/* The index before the entries; pairs with the driver's wmb(). */
	virt_rmb();
	return true;
}

/* A chain of @vq is done with; used lock held. */
static void zoc_virtio_vq_put(struct zoc_virtio_queue *vq)
{
	unsigned int left;

	lockdep_assert_held(&vq->used_lock);
	left = atomic_dec_return(&vq->inflight);
	/* A work stopped at a full queue resumes. */
	if (left == vq->vring.num - 1)
		zoc_virtio_kick(vq);
	if (!left)
		wake_up_var(&vq->inflight);
}

/* A queue's work: take the chains and hand them to the device type. */
static void zoc_virtio_vq_work(struct work_struct *work)
{
	struct zoc_virtio_queue *vq = container_of(work,
						   struct zoc_virtio_queue,
						   work);
	struct zoc_virtio_dev *vdev = vq->vdev;
	unsigned int budget = ZOC_VIRTIO_BUDGET;
	struct zoc_virtio_chain chain;
	const char *why;
	u16 head;

	zoc_virtio_vq_hold(vq);
	if (vdev->ops->begin)
		vdev->ops->begin(vq);
	while (READ_ONCE(vq->running)) {
		/* A full queue resumes from zoc_virtio_vq_put(). */
		if (atomic_read(&vq->inflight) >= vq->vring.num)
			break;
		if (!zoc_virtio_vq_pending(vq))
			break;
		if (!budget--) {
			/* Let the other queues run; come back for the rest. */
			queue_work(vdev->wq, &vq->work);
			break;
		}
		head = zoc_v16(READ_ONCE(vq->vring.avail->ring[vq->last_avail &
							     (vq->vring.num - 1)]));
		why = zoc_virtio_vq_chain(vq, head, &chain);
		if (why) {
			zoc_virtio_fail(vdev, why);
			break;
		}
		vq->last_avail++;
		atomic_inc(&vq->inflight);
		if (vdev->ops->handle(vq, &chain)) {
			spin_lock_irq(&vq->used_lock);
			zoc_virtio_vq_put(vq);
			spin_unlock_irq(&vq->used_lock);
			zoc_virtio_fail(vdev, "malformed request");
			break;
		}
	}
	if (vdev->ops->end)
		vdev->ops->end(vq);
	zoc_virtio_vq_release(vq);
}

/* Post one used entry; used lock held. */
static void zoc_virtio_vq_used(struct zoc_virtio_queue *vq, u16 head, u32 len)
{
	struct vring *vr = &vq->vring;
	struct vring_used_elem *elem;

	lockdep_assert_held(&vq->used_lock);
	elem = &vr->used->ring[vq->used_idx & (vr->num - 1)];
	WRITE_ONCE(elem->id, __cpu_to_virtio32(true, head));
	WRITE_ONCE(elem->len, __cpu_to_virtio32(true, len));
	vq->used_idx++;
	zoc_virtio_vq_put(vq);
}

/* Publish the used entries posted; used lock held. */
static void zoc_virtio_vq_publish(struct zoc_virtio_queue *vq)
{
	/*
	 * The elements before the index; pairs with the driver's barrier
	 * between reading the index and reading the elements.
	 */
	virt_wmb();
	WRITE_ONCE(vq->vring.used->idx, __cpu_to_virtio16(true, vq->used_idx));
	if (vq->hold)
		vq->irq_pending = true;
	else
		zoc_virtio_vq_notify(vq);
}

/**
 * zoc_virtio_complete - post the used entry of a chain
 * @vq: its queue
 * @head: its head, as in &struct zoc_virtio_chain
 * @len: bytes the device wrote into its writable buffers
 *
 * Context: any.
 */
void zoc_virtio_complete(struct zoc_virtio_queue *vq, u16 head, u32 len)
{
	zoc_virtio_complete_many(vq, &head, &len, 1);
}

/**
 * zoc_virtio_complete_many - post the used entries of several chains at once
 * @vq: their queue
 * @heads: their heads
 * @lens: bytes the device wrote into each
 * @n: how many
 *
 * The driver sees them all or none (a packet spread over several receive
 * buffers, say), with one interrupt at most.
 *
 * Context: any.
 */
void zoc_virtio_complete_many(struct zoc_virtio_queue *vq, const u16 *heads,
			      const u32 *lens, unsigned int n)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&vq->used_lock, flags);
	for (i = 0; i < n; i++)
		zoc_virtio_vq_used(vq, heads[i], lens[i]);
	zoc_virtio_vq_publish(vq);
	spin_unlock_irqrestore(&vq->used_lock, flags);
}

/**
 * zoc_virtio_drop - give back a chain without using it
 * @vq: its queue
 *
 * For chains a device type kept (receive buffers) when the device is
 * reset or destroyed, from its &zoc_virtio_ops.drain: no used entry is
 * posted, the driver reclaims the buffers itself.
 *
 * Context: any.
 */
void zoc_virtio_drop(struct zoc_virtio_queue *vq)
{
	unsigned long flags;

	spin_lock_irqsave(&vq->used_lock, flags);
	zoc_virtio_vq_put(vq);
	spin_unlock_irqrestore(&vq->used_lock, flags);
}

static int zoc_virtio_chain_copy(struct zoc_virtio_dev *vdev,
				 const struct zoc_virtio_chain *chain,
				 bool write, u64 offset, void *buf, size_t len)
{
	unsigned int first = write ? chain->nr_out : 0;
	unsigned int end = write ? chain->nr_segs : chain->nr_out;
	u64 total = write ? chain->in_len : chain->out_len;
	const struct zoc_virtio_seg *seg;
	unsigned int i;
	size_t n;
	int ret;

	if (offset > total || len > total - offset)
		return -EINVAL;
	for (i = first; i < end && len; i++) {
		seg = &chain->segs[i];
		if (offset >= seg->len) {
			offset -= seg->len;
			continue;
		}
		n = min_t(u64, seg->len - offset, len);
		if (write)
			ret = zoc_proxy_dma_write(vdev->pdev, seg->addr + offset,
						  buf, n);
		else
			ret = zoc_proxy_dma_read(vdev->pdev, seg->addr + offset,
						 buf, n);
		if (ret)
			return ret;
		buf += n;
		len -= n;
		offset = 0;
	}
	return 0;
}

/**
 * zoc_virtio_chain_read - copy bytes out of a chain's readable buffers
 * @vdev: the device
 * @chain: the chain, during its handler's call
 * @offset: where in the readable bytes
 * @buf: where to copy to
 * @len: how many
 *
 * Return: 0, or -EINVAL if the readable bytes end before @offset + @len,
 * or -EFAULT.
 */
int zoc_virtio_chain_read(struct zoc_virtio_dev *vdev,
			  const struct zoc_virtio_chain *chain, u64 offset,
			  void *buf, size_t len)
{
	return zoc_virtio_chain_copy(vdev, chain, false, offset, buf, len);
}

/**
 * zoc_virtio_chain_write - copy bytes into a chain's writable buffers
 * @vdev: the device
 * @chain: the chain, during its handler's call
 * @offset: where in the writable bytes
 * @buf: what to copy
 * @len: how many
 *
 * Return: 0, or -EINVAL if the writable bytes end before @offset + @len,
 * or -EFAULT.
 */
int zoc_virtio_chain_write(struct zoc_virtio_dev *vdev,
			   const struct zoc_virtio_chain *chain, u64 offset,
			   const void *buf, size_t len)
{
	return zoc_virtio_chain_copy(vdev, chain, true, offset, (void *)buf,
				     len);
}

/* --- registers ----------------------------------------------------------- */

/* queue_enable was written with 1: check the rings and take them. */
static void zoc_virtio_vq_enable(struct zoc_virtio_queue *vq)
{
	struct zoc_virtio_dev *vdev = vq->vdev;
	unsigned int num = vq->size;
	void *desc, *avail, *used;

	lockdep_assert_held(&vdev->lock);
	if (vq->enabled || vq->resetting)
		return;
	if (!num || num > ZOC_VIRTIO_QUEUE_SIZE || !is_power_of_2(num)) {
		zoc_virtio_fail_locked(vdev, "bad queue size");
		return;
	}
	/* Alignments of the split rings: 16, 2 and 4 bytes */
	if (!IS_ALIGNED(vq->desc, 16) || !IS_ALIGNED(vq->driver, 2) ||
	    !IS_ALIGNED(vq->device, 4)) {
		zoc_virtio_fail_locked(vdev, "misaligned ring");
		return;
	}
	/* The avail ring ends with used_event, the used ring avail_event. */
	desc = zoc_proxy_host_ptr(vdev->pdev, vq->desc,
				  num * sizeof(struct vring_desc));
	avail = zoc_proxy_host_ptr(vdev->pdev, vq->driver,
				   sizeof(struct vring_avail) +
				   (num + 1) * sizeof(__virtio16));
	used = zoc_proxy_host_ptr(vdev->pdev, vq->device,
				  sizeof(struct vring_used) +
				  num * sizeof(struct vring_used_elem) +
				  sizeof(__virtio16));
	if (!desc || !avail || !used) {
		zoc_virtio_fail_locked(vdev, "ring outside host RAM");
		return;
	}
	vq->vring.num = num;
	vq->vring.desc = desc;
	vq->vring.avail = avail;
	vq->vring.used = used;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled = 0;
	vq->enabled = true;
	if (zoc_virtio_live(vdev)) {
		WRITE_ONCE(vq->running, true);
		zoc_virtio_kick(vq);
	}
}

/* FEATURES_OK: only what we offer, and virtio 1.x. */
static bool zoc_virtio_features_ok(struct zoc_virtio_dev *vdev)
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

static u16 zoc_virtio_vector(struct zoc_virtio_dev *vdev, u16 val)
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
	if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)
		zoc_virtio_config_notify(vdev);
	spin_unlock_irqrestore(&vdev->lock, flags);
}

/* --- devices ------------------------------------------------------------- */

static void zoc_virtio_region(struct zoc_dev_image *img, u32 offset, u32 size,
			      u8 policy)
{
	struct zoc_dev_region *r = &img->region[img->nr_regions++];

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
	memcpy(img->caps + img->caps_len, &cap, cap.cap.cap_len);
	img->caps_len += cap.cap.cap_len;
}

static void zoc_virtio_image(struct zoc_virtio_dev *vdev,
			     struct zoc_dev_image *img)
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

static void zoc_virtio_free(struct zoc_virtio_dev *vdev)
{
	unsigned int i;

	for (i = 0; i < vdev->nr_queues; i++) {
		if (vdev->vqs[i])
			kfree(vdev->vqs[i]->segs);
		kfree(vdev->vqs[i]);
	}
	kfree(vdev->config);
	kfree(vdev);
}

/**
 * zoc_virtio_create - set up a virtio device for a proxy device
 * @pdev: the proxy device, in its model's create
 * @ops: its device type
 * @nr_queues: its queues, 1 to ZOC_VIRTIO_MAX_QUEUES
 * @config: its device configuration space, copied
 * @config_len: bytes of @config, at most ZOC_DEV_SHADOW_SIZE (3 KiB)
 * @priv: the device type's, see zoc_virtio_priv()
 *
 * Fills in @pdev's image and sets @pdev->priv to the device; the device
 * type's model uses the zoc_virtio_* callbacks.
 *
 * Context: process context.
 * Return: the device or an ERR_PTR().
 */
struct zoc_virtio_dev *zoc_virtio_create(struct zoc_pdev *pdev,
					 const struct zoc_virtio_ops *ops,
					 unsigned int nr_queues,
					 const void *config,
					 unsigned int config_len, void *priv)
{
	struct zoc_virtio_queue *vq;
	struct zoc_virtio_dev *vdev;
	unsigned int i;

	if (!nr_queues || nr_queues > ZOC_VIRTIO_MAX_QUEUES ||
	    config_len > ZOC_DEV_SHADOW_SIZE)
		return ERR_PTR(-EINVAL);
	vdev = kzalloc(sizeof(*vdev), GFP_KERNEL);
	if (!vdev)
		return ERR_PTR(-ENOMEM);
	vdev->pdev = pdev;
	vdev->ops = ops;
	vdev->priv = priv;
	vdev->nr_queues = nr_queues;
	vdev->features = ops->features | ZOC_VIRTIO_FEATURES;
	vdev->config_len = config_len;
	spin_lock_init(&vdev->lock);
	INIT_WORK(&vdev->reset_work, zoc_virtio_reset_work);
	init_irq_work(&vdev->config_irq, zoc_virtio_config_irq);
	vdev->config = kmemdup(config, config_len, GFP_KERNEL);
	if (!vdev->config)
		goto out_free;
	for (i = 0; i < nr_queues; i++) {
		vq = kzalloc(sizeof(*vq), GFP_KERNEL);
		vdev->vqs[i] = vq;
		if (!vq)
			goto out_free;
		vq->segs = kmalloc_array(ZOC_VIRTIO_QUEUE_SIZE,
					 sizeof(*vq->segs), GFP_KERNEL);
		if (!vq->segs)
			goto out_free;
		vq->vdev = vdev;
		vq->index = i;
		INIT_WORK(&vq->work, zoc_virtio_vq_work);
		INIT_WORK(&vq->reset_work, zoc_virtio_vq_reset_work);
		init_irq_work(&vq->irq_work, zoc_virtio_vq_irq);
		spin_lock_init(&vq->used_lock);
	}
	vdev->wq = alloc_workqueue("zoc-virtio-%s", WQ_UNBOUND | WQ_HIGHPRI, 0,
				   pdev->name);
	if (!vdev->wq)
		goto out_free;

	spin_lock_irq(&vdev->lock);
	zoc_virtio_clear(vdev);
	spin_unlock_irq(&vdev->lock);
	zoc_virtio_image(vdev, &pdev->image);
	zoc_proxy_shadow_write(pdev, 0, vdev->config, config_len);
	pdev->priv = vdev;
	return vdev;

out_free:
	zoc_virtio_free(vdev);
	return ERR_PTR(-ENOMEM);
}

/**
 * zoc_virtio_destroy - tear a virtio device down
 * @vdev: the device
 *
 * When it returns, no chain is in flight and the device type's handler is
 * not called any more.
 *
 * Context: process context, no more callbacks from the proxy.
 */
void zoc_virtio_destroy(struct zoc_virtio_dev *vdev)
{
	spin_lock_irq(&vdev->lock);
	vdev->dying = true;
	zoc_virtio_stop_queues(vdev);
	spin_unlock_irq(&vdev->lock);
	cancel_work_sync(&vdev->reset_work);
	zoc_virtio_quiesce(vdev);
	irq_work_sync(&vdev->config_irq);
	destroy_workqueue(vdev->wq);
	zoc_virtio_free(vdev);
}

static int __init zoc_virtio_init(void)
{
	int ret;

	ret = zoc_virtio_blk_init();
	if (ret)
		return ret;
	ret = zoc_virtio_net_init();
	if (ret)
		zoc_virtio_blk_exit();
	return ret;
}

static void __exit zoc_virtio_exit(void)
{
	zoc_virtio_net_exit();
	zoc_virtio_blk_exit();
}

module_init(zoc_virtio_init);
module_exit(zoc_virtio_exit);
MODULE_DESCRIPTION("ZOC virtio-pci device models");
MODULE_LICENSE("GPL");
