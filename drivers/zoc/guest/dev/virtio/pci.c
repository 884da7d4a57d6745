// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtio transport: the virtio 1.x modern PCI transport, for the host's
 * stock virtio_pci driver.  The device types (blk.c, net.c) give their
 * features, configuration space and a handler for the chains their queues
 * receive; the split virtqueues are vq.c's.  The host is not trusted: a
 * ring or chain that breaks the rules sets DEVICE_NEEDS_RESET, stops the
 * device's queues and raises its configuration vector.
 *
 * BAR0 holds the common configuration at 0, the ISR at 0x1000, the device
 * configuration at 0x2000 (read from its shadow in the device page, by
 * the host's bus), the notifications at 0x3000 (queue i at 0x3000 + 4 * i,
 * a doorbell region) and the MSI-X table and PBA at 0x4000 and 0x5000;
 * vendor capabilities in config space point the driver at them.  Register
 * accesses reach us as MMIO requests, in the link's interrupt handler
 * (regs.c): they update the registers under the device's lock and leave
 * the rest to work items, one per queue and one for resets.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/irq_work.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <linux/workqueue.h>
#include <uapi/linux/virtio_config.h>
#include <linux/zoc_link.h>

#include "../../zoc_proxy.h"
#include "virtio.h"

#define ZOC_VIRTIO_BUDGET	64		/* chains per run of a work */
#define ZOC_VIRTIO_ISR_QUEUE	0x1

/*
 * ACCESS_PLATFORM: the host's driver maps its rings and buffers with the
 * DMA API, whose operations are the ZOC bus's: it holds the pages of a
 * function whose model may still run after the function was lost.
 */
#define ZOC_VIRTIO_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) |		\
				 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |	\
				 BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |	\
				 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |	\
				 BIT_ULL(VIRTIO_F_RING_RESET))

/* Every queue's track fits the live record. */
static_assert(ZOC_VIRTIO_MAX_QUEUES * sizeof(struct zoc_vq_track) <=
	      ZOC_PROXY_LIVE_TRACK);

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
 * zoc_virtio_set_type_state - keep a byte of the device type's state
 * @vdev: the device
 * @value: the byte; zero is what a reset leaves
 *
 * For what the driver set through the device type's own commands and a
 * model taking the device over must know (virtio-net: the queue pairs in
 * use): it is saved and recorded with the registers, as they are, and
 * zoc_virtio_type_state() gives it back once restored or recovered.
 *
 * Context: any; takes the device's lock.
 */
void zoc_virtio_set_type_state(struct zoc_virtio_dev *vdev, u8 value)
{
	unsigned long flags;

	spin_lock_irqsave(&vdev->lock, flags);
	vdev->type_state = value;
	zoc_virtio_record(vdev);
	spin_unlock_irqrestore(&vdev->lock, flags);
}

/**
 * zoc_virtio_type_state - the byte zoc_virtio_set_type_state() kept
 * @vdev: the device
 *
 * Return: the byte, as set, or as a restored or recovered state says
 * (untrusted then); zero after a reset.
 */
u8 zoc_virtio_type_state(struct zoc_virtio_dev *vdev)
{
	unsigned long flags;
	u8 value;

	spin_lock_irqsave(&vdev->lock, flags);
	value = vdev->type_state;
	spin_unlock_irqrestore(&vdev->lock, flags);
	return value;
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
	u64 posted = xchg(&vq->posted, 0);

	if (vector == VIRTIO_MSI_NO_VECTOR)
		return;
	zoc_proxy_irq(vq->vdev->pdev, vector);
	zoc_proxy_stage(vq->vdev->pdev, ZOC_DEV_STAT_NOTIFY_NS, posted);
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
void zoc_virtio_config_notify(struct zoc_virtio_dev *vdev)
{
	atomic_or(VIRTIO_PCI_ISR_CONFIG, &vdev->isr);
	irq_work_queue(&vdev->config_irq);
}

/**
 * zoc_virtio_vq_interrupt - the ISR's queue bit and the queue's vector
 * @vq: the queue, its used lock held
 *
 * The engine posted used entries and the driver wants an interrupt.
 */
void zoc_virtio_vq_interrupt(struct zoc_virtio_queue *vq)
{
	atomic_or(ZOC_VIRTIO_ISR_QUEUE, &vq->vdev->isr);
	zoc_proxy_stage_begin(&vq->posted);
	irq_work_queue(&vq->irq_work);
}

/* --- device state -------------------------------------------------------- */

bool zoc_virtio_live(struct zoc_virtio_dev *vdev)
{
	u8 want = VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;

	lockdep_assert_held(&vdev->lock);
	return (vdev->status & want) == want &&
	       !(vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET) &&
	       !vdev->reset_pending && !vdev->dying;
}

/* The queue's number in the proxy's spread: a pair shares its CPU. */
static unsigned int zoc_virtio_vq_spread(const struct zoc_virtio_queue *vq)
{
	return vq->vdev->ops->paired ? vq->index / 2 : vq->index;
}

/**
 * zoc_virtio_kick - run a queue's work, if the queue runs
 * @vq: the queue
 */
void zoc_virtio_kick(struct zoc_virtio_queue *vq)
{
	if (!READ_ONCE(vq->running))
		return;
	/* From here to the first chain the work takes: its wait. */
	zoc_proxy_kick(vq->vdev->pdev, zoc_virtio_vq_spread(vq), vq->vdev->wq,
		       &vq->work, &vq->kicked);
}

void zoc_virtio_stop_queues(struct zoc_virtio_dev *vdev)
{
	unsigned int i;

	lockdep_assert_held(&vdev->lock);
	for (i = 0; i < vdev->nr_queues; i++)
		WRITE_ONCE(vdev->vqs[i]->running, false);
}

/**
 * zoc_virtio_fail_locked - the driver broke the rules
 * @vdev: the device, its lock held
 * @why: what it broke, for the log
 *
 * The driver broke the rules: DEVICE_NEEDS_RESET, the queues stop and the
 * driver hears of it through the configuration vector.  Any context.
 */
void zoc_virtio_fail_locked(struct zoc_virtio_dev *vdev, const char *why)
{
	lockdep_assert_held(&vdev->lock);
	zoc_proxy_stat_add(vdev->pdev, ZOC_DEV_STAT_INVALID, 1);
	if (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	pr_warn_ratelimited("%s: %s: device needs a reset\n",
			    vdev->pdev->name, why);
	WRITE_ONCE(vdev->status, vdev->status | VIRTIO_CONFIG_S_NEEDS_RESET);
	zoc_virtio_record(vdev);
	zoc_virtio_stop_queues(vdev);
	zoc_virtio_config_notify(vdev);
}

/**
 * zoc_virtio_fail - zoc_virtio_fail_locked(), taking the device's lock
 * @vdev: the device
 * @why: what the driver broke, for the log
 */
void zoc_virtio_fail(struct zoc_virtio_dev *vdev, const char *why)
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
	zoc_vq_clear(vq);
	WRITE_ONCE(vq->running, false);
	vq->resetting = false;
}

/* Back to the state after power on; nothing runs. */
void zoc_virtio_clear(struct zoc_virtio_dev *vdev)
{
	unsigned int i;

	lockdep_assert_held(&vdev->lock);
	vdev->dfselect = 0;
	vdev->gfselect = 0;
	WRITE_ONCE(vdev->drv_features, 0);
	WRITE_ONCE(vdev->msix_config, VIRTIO_MSI_NO_VECTOR);
	vdev->queue_select = 0;
	vdev->type_state = 0;
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

/* Wait until a stopped queue has nothing in flight. */
void zoc_virtio_vq_quiesce(struct zoc_virtio_queue *vq)
{
	struct zoc_virtio_dev *vdev = vq->vdev;

	cancel_work_sync(&vq->work);
	/* Chains the device type keeps (receive buffers) go back unused. */
	if (vdev->ops->drain)
		vdev->ops->drain(vq);
	zoc_vq_wait_idle(vq);
	/* Completions before the last may have kicked the work. */
	cancel_work_sync(&vq->work);
	irq_work_sync(&vq->irq_work);
	/* Nothing in flight, the work stopped: what it was set up with goes. */
	if (vq->set_up) {
		vdev->ops->teardown(vq);
		vq->set_up = false;
	}
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
	if (vq->resetting) {
		zoc_virtio_vq_clear(vq);
		zoc_virtio_record(vdev);
	}
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
	zoc_virtio_record(vdev);
	spin_unlock_irq(&vdev->lock);
	zoc_proxy_stat_add(vdev->pdev, ZOC_DEV_STAT_RESETS, 1);
}

/* --- queues -------------------------------------------------------------- */

/*
 * The first run of a queue's work since it was enabled: the device type
 * allocates what its chains need, here where it may sleep (queue_enable
 * is written in the link's interrupt handler).  Until a reset, nothing
 * more is allocated for the queue's chains.
 */
static bool zoc_virtio_vq_setup(struct zoc_virtio_queue *vq)
{
	struct zoc_virtio_dev *vdev = vq->vdev;

	if (vq->set_up || !vdev->ops->setup)
		return true;
	/* Its rings are fixed while it runs. */
	if (!READ_ONCE(vq->running))
		return false;
	if (vdev->ops->setup(vq, vq->vring.num)) {
		zoc_virtio_fail(vdev, "out of memory for a queue");
		return false;
	}
	vq->set_up = true;
	return true;
}

/* A queue's work: take the chains and hand them to the device type. */
static void zoc_virtio_vq_work(struct work_struct *work)
{
	struct zoc_virtio_queue *vq = container_of(work,
						   struct zoc_virtio_queue,
						   work);
	struct zoc_virtio_dev *vdev = vq->vdev;
	unsigned int budget = ZOC_VIRTIO_BUDGET;
	u64 kicked = xchg(&vq->kicked, 0);
	struct zoc_vq_chain chain;
	bool poll = false;

	if (!zoc_virtio_vq_setup(vq))
		return;
	/* Performance mode: with event indexes, else every chain notifies */
	if (vdev->ops->poll && READ_ONCE(vdev->event_idx) &&
	    vdev->ops->poll(vq))
		poll = zoc_proxy_poll_begin(vdev->pdev, &vq->poller);
	WRITE_ONCE(vq->polling, poll);
	zoc_vq_hold(vq);
	if (vdev->ops->begin)
		vdev->ops->begin(vq);
	while (READ_ONCE(vq->running)) {
		if (!zoc_vq_pending(vq)) {
			if (!vq->polling)
				break;
			/* The run's interrupts go out before the poll. */
			if (vdev->ops->end)
				vdev->ops->end(vq);
			zoc_vq_release(vq);
			/* What the poll finds waited for no wake-up. */
			kicked = 0;
			if (zoc_vq_dry(vq) && zoc_vq_poll(vq))
				zoc_proxy_stat_add(vdev->pdev,
						   ZOC_DEV_STAT_POLLED, 1);
			else	/* a last look, which asks for a notification */
				WRITE_ONCE(vq->polling, false);
			zoc_vq_hold(vq);
			if (vdev->ops->begin)
				vdev->ops->begin(vq);
			continue;
		}
		if (!budget--) {
			/* Let the other queues run; come back for the rest. */
			zoc_proxy_queue_work(vdev->pdev,
					     zoc_virtio_vq_spread(vq), vdev->wq,
					     &vq->work);
			break;
		}
		if (zoc_vq_getdesc(vq, &chain))
			break;
		/* The wait is the first chain's; the others had none. */
		chain.taken = zoc_proxy_stage(vdev->pdev, ZOC_DEV_STAT_WAIT_NS,
					      kicked);
		kicked = 0;
		if (vdev->ops->handle(vq, &chain)) {
			zoc_vq_abandon(vq);
			zoc_virtio_fail(vdev, "malformed request");
			break;
		}
	}
	if (vdev->ops->end)
		vdev->ops->end(vq);
	zoc_vq_release(vq);
}

/* --- devices ------------------------------------------------------------- */

/* Free a device whose queues are quiesced. */
void zoc_virtio_free(struct zoc_virtio_dev *vdev)
{
	unsigned int i;

	irq_work_sync(&vdev->config_irq);
	if (vdev->wq)
		destroy_workqueue(vdev->wq);

	for (i = 0; i < vdev->nr_queues; i++) {
		if (vdev->vqs[i])
			kfree(vdev->vqs[i]->segs);
		kfree(vdev->vqs[i]);
	}
	kfree(vdev->config);
	kfree(vdev->record);
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
 * @take_over: the device is to be taken over (zoc_virtio_restore() or
 *	zoc_virtio_recover() come next): its live record stays as it is
 *	until then
 *
 * Fills in @pdev's image and sets @pdev->priv to the device; the device
 * type's model uses the zoc_virtio_* callbacks.  A device created afresh
 * starts its live record.
 *
 * Context: process context.
 * Return: the device or an ERR_PTR().
 */
struct zoc_virtio_dev *zoc_virtio_create(struct zoc_pdev *pdev,
					 const struct zoc_virtio_ops *ops,
					 unsigned int nr_queues,
					 const void *config,
					 unsigned int config_len, void *priv,
					 bool take_over)
{
	struct zoc_vq_track *track;
	struct zoc_virtio_queue *vq;
	struct zoc_virtio_dev *vdev;
	unsigned int i;
	size_t len;

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
	if (!vdev->config || zoc_virtio_record_alloc(vdev))
		goto out_free;
	track = zoc_proxy_live_track(pdev, &len);
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
		vq->track = &track[i];
		INIT_WORK(&vq->work, zoc_virtio_vq_work);
		INIT_WORK(&vq->reset_work, zoc_virtio_vq_reset_work);
		init_irq_work(&vq->irq_work, zoc_virtio_vq_irq);
		spin_lock_init(&vq->used_lock);
	}
	/* Per-CPU: each queue's work runs where the proxy's spread says. */
	vdev->wq = alloc_workqueue("zoc-virtio-%s",
				   WQ_HIGHPRI | WQ_CPU_INTENSIVE, 0,
				   pdev->name);
	if (!vdev->wq)
		goto out_free;

	spin_lock_irq(&vdev->lock);
	vdev->recording = !take_over;
	zoc_virtio_clear(vdev);
	zoc_virtio_record(vdev);
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
	zoc_virtio_stop(vdev);
	cancel_work_sync(&vdev->reset_work);
	zoc_virtio_quiesce(vdev);
	zoc_virtio_free(vdev);
}

/* The device stops: its queues take no more chains, no reset begins. */
void zoc_virtio_stop(struct zoc_virtio_dev *vdev)
{
	spin_lock_irq(&vdev->lock);
	vdev->dying = true;
	zoc_virtio_stop_queues(vdev);
	spin_unlock_irq(&vdev->lock);
}
