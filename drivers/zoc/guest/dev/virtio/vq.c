// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtio split virtqueues, for the transport (pci.c).
 *
 * A queue's work reads the avail ring, validates each descriptor chain it
 * names (indexes, lengths, loops, indirect tables, addresses in host RAM)
 * and hands it to the device type; completions post the used entries and
 * raise the queue's vector, as the event index allows.  The host is not
 * trusted: a ring or chain that breaks the rules sets DEVICE_NEEDS_RESET,
 * stops the device's queues and raises its configuration vector.
 */

#include <linux/atomic.h>
#include <linux/irq_work.h>
#include <linux/minmax.h>
#include <linux/spinlock.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_ring.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "../../zoc_proxy.h"
#include "virtio.h"

#define ZOC_VIRTIO_BUDGET	64		/* chains per run of a work */
#define ZOC_VIRTIO_ISR_QUEUE	0x1

static u16 zoc_v16(__virtio16 val)
{
	return __virtio16_to_cpu(true, val);
}

/* --- interrupts ---------------------------------------------------------- */

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
void zoc_virtio_vq_work(struct work_struct *work)
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
