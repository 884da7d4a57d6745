// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtio split virtqueues: the ring engine under the transport
 * (pci.c), with an API in the manner of the kernel's vringh
 * (include/linux/vringh.h).
 *
 * A queue's work reads the avail ring, validates each descriptor chain it
 * names (indexes, lengths, loops, indirect tables, addresses in host RAM)
 * and hands it to the device type; completions post the used entries and
 * raise the queue's vector, as the event index allows.  The host is not
 * trusted: a ring or chain that breaks the rules sets DEVICE_NEEDS_RESET,
 * stops the device's queues and raises its configuration vector.
 *
 * The transport takes a queue's rings with zoc_vq_init() and forgets them
 * with zoc_vq_clear(); its queue's work takes chains with zoc_vq_pending()
 * and zoc_vq_getdesc(), between zoc_vq_hold() and zoc_vq_release().  The
 * device types copy with zoc_vq_chain_read() and zoc_vq_chain_write() and
 * post with zoc_vq_complete(), zoc_vq_complete_multi() or zoc_vq_drop().
 * Unlike vringh's, the rings and buffers are host RAM seen through the L0
 * window, every address is checked against it, and a broken ring or chain
 * fails the device (zoc_virtio_fail()).
 *
 * Each queue keeps its track in the device's live record, in host memory,
 * as vhost-user's inflight region does: for each head, whether it was
 * taken and at which avail index, or whose used entry is being posted and
 * at which used index; and the queue's indexes.  Each change is one
 * aligned 32-bit or 16-bit store, made in an order that leaves, whatever
 * instant the service VM dies at, a track from which zoc_vq_recover() can
 * tell every chain taken and not yet seen used by the driver: the used
 * index in host memory decides which entries were seen.
 */

#include <linux/atomic.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_ring.h>
#include <linux/wait_bit.h>

#include "../../zoc_proxy.h"
#include "virtio.h"

static u16 zoc_v16(__virtio16 val)
{
	return __virtio16_to_cpu(true, val);
}

/* --- the track ----------------------------------------------------------- */

/* A head's entry in the track: taken at, or its used entry posted at. */
static void zoc_vq_track(struct zoc_virtio_queue *vq, u16 head, u32 what,
			 u16 index)
{
	WRITE_ONCE(vq->track->head[head], cpu_to_le32(what | index));
}

/* The track of a queue with no chain taken, from @avail and @used. */
static void zoc_vq_track_reset(struct zoc_virtio_queue *vq, u16 avail,
			       u16 used)
{
	struct zoc_vq_track *t = vq->track;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t->head); i++)
		WRITE_ONCE(t->head[i], 0);
	WRITE_ONCE(t->last_avail, cpu_to_le16(avail));
	WRITE_ONCE(t->used_idx, cpu_to_le16(used));
}

/* --- rings --------------------------------------------------------------- */

/**
 * zoc_vq_init - check the rings of a queue and take them
 * @vq: the queue, not enabled
 * @num: its size, as the driver wrote it
 * @desc_addr: where its descriptor table is, in host memory
 * @avail_addr: where its avail ring (the driver area) is
 * @used_addr: where its used ring (the device area) is
 *
 * As vringh_init_kern(), for rings the driver placed in host memory: the
 * size must be a power of two up to ZOC_VIRTIO_QUEUE_SIZE, the rings
 * aligned as the split layout wants and in host RAM, event indexes
 * included.  The indexes start from 0.
 *
 * Context: the device's lock held.
 * Return: 0 with the rings taken, or -EINVAL: the device needs a reset.
 */
int zoc_vq_init(struct zoc_virtio_queue *vq, unsigned int num, u64 desc_addr,
		u64 avail_addr, u64 used_addr)
{
	struct zoc_virtio_dev *vdev = vq->vdev;
	void *desc, *avail, *used;

	if (!num || num > ZOC_VIRTIO_QUEUE_SIZE || !is_power_of_2(num)) {
		zoc_virtio_fail_locked(vdev, "bad queue size");
		return -EINVAL;
	}
	/* Alignments of the split rings: 16, 2 and 4 bytes */
	if (!IS_ALIGNED(desc_addr, 16) || !IS_ALIGNED(avail_addr, 2) ||
	    !IS_ALIGNED(used_addr, 4)) {
		zoc_virtio_fail_locked(vdev, "misaligned ring");
		return -EINVAL;
	}
	/* The avail ring ends with used_event, the used ring avail_event. */
	desc = zoc_proxy_host_ptr(vdev->pdev, desc_addr,
				  num * sizeof(struct vring_desc));
	avail = zoc_proxy_host_ptr(vdev->pdev, avail_addr,
				   sizeof(struct vring_avail) +
				   (num + 1) * sizeof(__virtio16));
	used = zoc_proxy_host_ptr(vdev->pdev, used_addr,
				  sizeof(struct vring_used) +
				  num * sizeof(struct vring_used_elem) +
				  sizeof(__virtio16));
	if (!desc || !avail || !used) {
		zoc_virtio_fail_locked(vdev, "ring outside host RAM");
		return -EINVAL;
	}
	vq->vring.num = num;
	vq->vring.desc = desc;
	vq->vring.avail = avail;
	vq->vring.used = used;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled = 0;
	vq->nr_replay = 0;
	vq->next_replay = 0;
	if (vdev->recording)
		zoc_vq_track_reset(vq, 0, 0);
	return 0;
}

/**
 * zoc_vq_clear - forget the rings of a queue
 * @vq: the queue, idle: nothing in flight, its work not running
 *
 * Back to its state after a reset: no rings, indexes at 0, no interrupt
 * pending.
 *
 * Context: the device's lock held.
 */
void zoc_vq_clear(struct zoc_virtio_queue *vq)
{
	memset(&vq->vring, 0, sizeof(vq->vring));
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled = 0;
	vq->irq_pending = false;
	vq->nr_replay = 0;
	vq->next_replay = 0;
	if (vq->vdev->recording)
		zoc_vq_track_reset(vq, 0, 0);
}

/**
 * zoc_vq_restore - a queue goes on from saved indexes
 * @vq: the queue, its rings just taken (zoc_vq_init())
 * @avail: the next avail entry to take
 * @used: the used index published
 *
 * For a queue saved quiesced: nothing in flight.
 *
 * Context: the device's lock held.
 */
void zoc_vq_restore(struct zoc_virtio_queue *vq, u16 avail, u16 used)
{
	vq->last_avail = avail;
	vq->used_idx = used;
	vq->signalled = used;
	zoc_vq_track_reset(vq, avail, used);
}

/* Older chains first, those whose used entry was being posted before all */
static int zoc_vq_older(const void *a, const void *b, const void *priv)
{
	const struct zoc_vq_track *t = priv;
	u16 avail = le16_to_cpu(t->last_avail);
	u32 age[2], v;
	int i;

	for (i = 0; i < 2; i++) {
		v = le32_to_cpu(t->head[*(const u16 *)(i ? b : a)]);
		age[i] = v & ZOC_VQ_TRACK_USED ? U16_MAX + 1 :
			 (u16)(avail - (v & U16_MAX));
	}
	return age[1] < age[0] ? -1 : age[1] > age[0];
}

/*
 * Whether a head @v of track @t is still in flight: taken, or its used
 * entry not seen by the driver.  -EINVAL if it cannot be.  *@ahead: the
 * track's avail index is one behind it; *@seen: counts the entries the
 * driver saw past the track's used index.
 */
static int zoc_vq_track_head(const struct zoc_vq_track *t, u32 v, u16 num,
			     u16 past, bool *ahead, unsigned int *seen)
{
	u16 avail = le16_to_cpu(t->last_avail);
	u16 used = le16_to_cpu(t->used_idx);
	u16 at = v & U16_MAX;

	switch (v & ~U16_MAX) {
	case ZOC_VQ_TRACK_TAKEN:
		if (at == avail && !*ahead) {
			*ahead = true;
			return 1;
		}
		return (u16)(avail - at - 1) < num ? 1 : -EINVAL;
	case ZOC_VQ_TRACK_USED:
		if ((u16)(at - used) < past) {
			++*seen;
			return 0;
		}
		/* Seen before the track's used index was written */
		if ((u16)(used - at - 1) < num)
			return 0;
		return (u16)(at - used) < num ? 1 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/**
 * zoc_vq_recover - a queue goes on from the track of a model that died
 * @vq: the queue, its rings just taken (zoc_vq_init())
 * @t: a copy of its track, as the dead model left it; untrusted
 *
 * The used index in host memory is the truth of what the driver saw: a
 * chain whose used entry it may have seen is not taken again, so none is
 * used twice.  Every other chain in the track is in flight: taken again,
 * in the order it was first taken, before the avail ring's next (its
 * buffers are the device's until used: the driver has not touched them).
 * A track that does not add up with the rings fails the queue: the count
 * of chains in flight must be what the indexes say.
 *
 * Context: the device's lock held.
 * Return: 0, or -EINVAL: the device needs a reset.
 */
int zoc_vq_recover(struct zoc_virtio_queue *vq, const struct zoc_vq_track *t)
{
	u16 num = vq->vring.num;
	u16 used = zoc_v16(READ_ONCE(vq->vring.used->idx));
	u16 past = used - le16_to_cpu(t->used_idx);
	u16 avail = le16_to_cpu(t->last_avail);
	unsigned int i, n = 0, seen = 0;
	bool ahead = false;
	int ret;

	if (past > num)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(t->head); i++) {
		u32 v = le32_to_cpu(t->head[i]);

		if (!v)
			continue;
		if (i >= num)
			return -EINVAL;
		ret = zoc_vq_track_head(t, v, num, past, &ahead, &seen);
		if (ret < 0)
			return ret;
		if (ret)
			vq->replay[n++] = i;
	}
	if (ahead)
		avail++;
	if (seen != past || n != (u16)(avail - used))
		return -EINVAL;
	sort_r(vq->replay, n, sizeof(vq->replay[0]), zoc_vq_older, NULL, t);

	zoc_vq_restore(vq, avail, used);
	vq->nr_replay = n;
	vq->next_replay = 0;
	/* Still in flight if we die before they are taken again */
	for (i = 0; i < n; i++)
		zoc_vq_track(vq, vq->replay[i], ZOC_VQ_TRACK_TAKEN,
			     (u16)(avail - 1));
	return 0;
}

/* --- interrupts ---------------------------------------------------------- */

/*
 * Entries were posted: whether the driver wants an interrupt (its used
 * event index, or VRING_AVAIL_F_NO_INTERRUPT without event indexes).
 */
static bool zoc_vq_need_notify(struct zoc_virtio_queue *vq)
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
	return need;
}

/* Entries were posted: interrupt if the driver wants one. */
static void zoc_vq_notify(struct zoc_virtio_queue *vq)
{
	if (zoc_vq_need_notify(vq))
		zoc_virtio_vq_interrupt(vq);
}

/**
 * zoc_vq_hold - a run of a queue's work begins
 * @vq: the queue
 *
 * A work's run begins: one interrupt for its completions, at the end.
 *
 * Context: the queue's work.
 */
void zoc_vq_hold(struct zoc_virtio_queue *vq)
{
	spin_lock_irq(&vq->used_lock);
	vq->hold++;
	spin_unlock_irq(&vq->used_lock);
}

/**
 * zoc_vq_release - a run of a queue's work ends
 * @vq: the queue
 *
 * The interrupt held since zoc_vq_hold(), if entries were posted and the
 * driver wants one.
 *
 * Context: the queue's work.
 */
void zoc_vq_release(struct zoc_virtio_queue *vq)
{
	spin_lock_irq(&vq->used_lock);
	if (!--vq->hold && vq->irq_pending) {
		vq->irq_pending = false;
		zoc_vq_notify(vq);
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
static const char *zoc_vq_walk(struct zoc_virtio_queue *vq, u16 head,
			       struct zoc_vq_chain *chain)
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
 * Ask the driver for a notification of its next chain: publish the avail
 * event index, then look at the avail index again.
 */
static u16 zoc_vq_notify_enable(struct zoc_virtio_queue *vq)
{
	struct vring *vr = &vq->vring;

	WRITE_ONCE(vring_avail_event(vr),
		   __cpu_to_virtio16(true, vq->last_avail));
	/*
	 * The event index before the second look; pairs with the driver's
	 * barrier between its avail index write and its event index read.
	 */
	virt_mb();
	return zoc_v16(READ_ONCE(vr->avail->idx));
}

/**
 * zoc_vq_pending - whether the avail ring holds a chain to take
 * @vq: the queue, from its work
 *
 * Whether the avail ring holds chains we have not taken, and the queue
 * has room for one more in flight.  Before going idle, publish the avail
 * event index and look again.  An avail index more than the queue size
 * ahead fails the device.
 *
 * Return: true if zoc_vq_getdesc() may take a chain.
 */
bool zoc_vq_pending(struct zoc_virtio_queue *vq)
{
	struct vring *vr = &vq->vring;
	u16 avail;

	/* A full queue resumes from zoc_vq_put(). */
	if (atomic_read(&vq->inflight) >= vq->vring.num)
		return false;
	/* What a dead model had taken goes first. */
	if (vq->next_replay < vq->nr_replay)
		return true;
	avail = zoc_v16(READ_ONCE(vr->avail->idx));
	/* Polling: the driver need not notify (zoc_vq_poll()). */
	if (avail == vq->last_avail && READ_ONCE(vq->vdev->event_idx) &&
	    !READ_ONCE(vq->polling))
		avail = zoc_vq_notify_enable(vq);
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

static int zoc_vq_avail_moved(void *arg)
{
	struct zoc_virtio_queue *vq = arg;

	if (!READ_ONCE(vq->running))
		return -1;
	return zoc_v16(READ_ONCE(vq->vring.avail->idx)) != vq->last_avail;
}

/**
 * zoc_vq_dry - whether a queue took every chain the driver made available
 * @vq: the queue, from its work, after zoc_vq_pending() found none
 *
 * Rather than chains waiting for room (as many in flight as the queue
 * has entries): those resume from zoc_vq_put(), and polling for them
 * would find the avail index ahead at once, again and again.
 *
 * Return: true if only the driver can give the queue more work.
 */
bool zoc_vq_dry(struct zoc_virtio_queue *vq)
{
	return atomic_read(&vq->inflight) < vq->vring.num &&
	       vq->next_replay >= vq->nr_replay;
}

/**
 * zoc_vq_replays_left - whether a queue has chains of a dead model to take
 * @vq: the queue
 *
 * Chains zoc_vq_recover() found in flight that the queue's work has not
 * taken again yet.  Racy outside the work: a stale answer is true.
 *
 * Return: true if some are left.
 */
bool zoc_vq_replays_left(const struct zoc_virtio_queue *vq)
{
	return READ_ONCE(vq->next_replay) < vq->nr_replay;
}

/**
 * zoc_vq_poll - look at a dry queue's avail index until it moves
 * @vq: the queue, from its work, with no interrupt held
 *
 * For the queue's poll window at most (zoc_proxy_poll()).
 * Performance mode: the avail event index stays behind while the queue is
 * polled, so the driver does not notify (zoc_proxy_poll()).
 *
 * Return: true if the driver made a chain available; false when the time
 * passed, or the queue stopped running.
 */
bool zoc_vq_poll(struct zoc_virtio_queue *vq)
{
	return zoc_proxy_poll(vq->vdev->pdev, &vq->poller, zoc_vq_avail_moved,
			      vq);
}

/**
 * zoc_vq_getdesc - take the next chain of the avail ring
 * @vq: the queue, from its work, after zoc_vq_pending()
 * @chain: where to describe the chain
 *
 * As vringh_getdesc_kern(): the chain's head is read from the avail ring
 * and every descriptor checked (see zoc_vq_walk()); @chain then lists its
 * buffers, the readable ones first.  A chain that breaks the rules fails
 * the device and is not taken.
 *
 * Return: 0 with the chain taken: it is in flight until zoc_vq_complete(),
 * zoc_vq_complete_multi(), zoc_vq_drop() or zoc_vq_abandon(); or -EINVAL.
 */
int zoc_vq_getdesc(struct zoc_virtio_queue *vq, struct zoc_vq_chain *chain)
{
	bool replay = vq->next_replay < vq->nr_replay;
	const char *why;
	u16 head;

	if (replay)
		head = vq->replay[vq->next_replay];
	else
		head = zoc_v16(READ_ONCE(vq->vring.avail->ring[vq->last_avail &
							     (vq->vring.num - 1)]));
	why = zoc_vq_walk(vq, head, chain);
	if (why) {
		zoc_virtio_fail(vq->vdev, why);
		return -EINVAL;
	}
	if (replay) {
		/* Taken before the avail index the track has */
		WRITE_ONCE(vq->next_replay, vq->next_replay + 1);
		zoc_vq_track(vq, head, ZOC_VQ_TRACK_TAKEN,
			     (u16)(vq->last_avail - 1));
	} else {
		/* The head in the track, then the index past it */
		zoc_vq_track(vq, head, ZOC_VQ_TRACK_TAKEN, vq->last_avail);
		vq->last_avail++;
		WRITE_ONCE(vq->track->last_avail, cpu_to_le16(vq->last_avail));
	}
	atomic_inc(&vq->inflight);
	return 0;
}

/* A chain of @vq is done with; used lock held. */
static void zoc_vq_put(struct zoc_virtio_queue *vq)
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

/**
 * zoc_vq_abandon - a chain taken is refused
 * @vq: its queue, from its work
 *
 * The device type refused the chain zoc_vq_getdesc() just took: it is no
 * longer in flight, and has no used entry.  Unlike vringh_abandon_kern(),
 * it is not offered again: the caller fails the device.
 */
void zoc_vq_abandon(struct zoc_virtio_queue *vq)
{
	spin_lock_irq(&vq->used_lock);
	zoc_vq_put(vq);
	spin_unlock_irq(&vq->used_lock);
}

/* Post one used entry; used lock held. */
static void zoc_vq_used(struct zoc_virtio_queue *vq, u16 head, u32 len)
{
	struct vring *vr = &vq->vring;
	struct vring_used_elem *elem;

	lockdep_assert_held(&vq->used_lock);
	/* Where its entry goes, in the track before in the ring */
	zoc_vq_track(vq, head, ZOC_VQ_TRACK_USED, vq->used_idx);
	elem = &vr->used->ring[vq->used_idx & (vr->num - 1)];
	WRITE_ONCE(elem->id, __cpu_to_virtio32(true, head));
	WRITE_ONCE(elem->len, __cpu_to_virtio32(true, len));
	vq->used_idx++;
	zoc_vq_put(vq);
}

/* Publish the used entries posted; used lock held. */
static void zoc_vq_publish(struct zoc_virtio_queue *vq)
{
	/*
	 * The elements before the index; pairs with the driver's barrier
	 * between reading the index and reading the elements.
	 */
	virt_wmb();
	WRITE_ONCE(vq->vring.used->idx, __cpu_to_virtio16(true, vq->used_idx));
	WRITE_ONCE(vq->track->used_idx, cpu_to_le16(vq->used_idx));
	if (vq->hold)
		vq->irq_pending = true;
	else
		zoc_vq_notify(vq);
}

/**
 * zoc_vq_complete - post the used entry of a chain
 * @vq: its queue
 * @head: its head, as in &struct zoc_vq_chain
 * @len: bytes the device wrote into its writable buffers
 *
 * Context: any.
 */
void zoc_vq_complete(struct zoc_virtio_queue *vq, u16 head, u32 len)
{
	zoc_vq_complete_multi(vq, &head, &len, 1);
}

/**
 * zoc_vq_complete_multi - post the used entries of several chains at once
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
void zoc_vq_complete_multi(struct zoc_virtio_queue *vq, const u16 *heads,
			   const u32 *lens, unsigned int n)
{
	unsigned long flags;
	unsigned int i;
	u16 first;

	spin_lock_irqsave(&vq->used_lock, flags);
	first = vq->used_idx;
	for (i = 0; i < n; i++)
		zoc_vq_used(vq, heads[i], lens[i]);
	zoc_vq_publish(vq);
	/*
	 * Out of the track once published, unless the driver made the head
	 * available again and our work took it meanwhile.
	 */
	for (i = 0; i < n; i++)
		cmpxchg(&vq->track->head[heads[i]],
			cpu_to_le32(ZOC_VQ_TRACK_USED | (u16)(first + i)), 0);
	spin_unlock_irqrestore(&vq->used_lock, flags);
}

/**
 * zoc_vq_drop - give back a chain without using it
 * @vq: its queue
 *
 * For chains a device type kept (receive buffers) when the device is
 * reset or destroyed, from its &zoc_virtio_ops.drain: no used entry is
 * posted, the driver reclaims the buffers itself.
 *
 * Context: any.
 */
void zoc_vq_drop(struct zoc_virtio_queue *vq)
{
	unsigned long flags;

	spin_lock_irqsave(&vq->used_lock, flags);
	vq->dropped++;
	zoc_vq_put(vq);
	spin_unlock_irqrestore(&vq->used_lock, flags);
}

static bool zoc_vq_idle(struct zoc_virtio_queue *vq)
{
	bool idle;

	spin_lock_irq(&vq->used_lock);
	idle = !atomic_read(&vq->inflight);
	spin_unlock_irq(&vq->used_lock);
	return idle;
}

/**
 * zoc_vq_wait_idle - wait until a queue has no chain in flight
 * @vq: the queue, stopped, its work cancelled
 *
 * Context: process context.
 */
void zoc_vq_wait_idle(struct zoc_virtio_queue *vq)
{
	wait_var_event(&vq->inflight, zoc_vq_idle(vq));
}

static int zoc_vq_chain_copy(struct zoc_virtio_dev *vdev,
			     const struct zoc_vq_chain *chain,
			     bool write, u64 offset, void *buf, size_t len)
{
	unsigned int first = write ? chain->nr_out : 0;
	unsigned int end = write ? chain->nr_segs : chain->nr_out;
	u64 total = write ? chain->in_len : chain->out_len;
	const struct zoc_vq_seg *seg;
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
 * zoc_vq_chain_read - copy bytes out of a chain's readable buffers
 * @vdev: the device
 * @chain: the chain, during its handler's call
 * @offset: where in the readable bytes
 * @buf: where to copy to
 * @len: how many
 *
 * Return: 0, or -EINVAL if the readable bytes end before @offset + @len,
 * or -EFAULT.
 */
int zoc_vq_chain_read(struct zoc_virtio_dev *vdev,
		      const struct zoc_vq_chain *chain, u64 offset,
		      void *buf, size_t len)
{
	return zoc_vq_chain_copy(vdev, chain, false, offset, buf, len);
}

/**
 * zoc_vq_chain_write - copy bytes into a chain's writable buffers
 * @vdev: the device
 * @chain: the chain, during its handler's call
 * @offset: where in the writable bytes
 * @buf: what to copy
 * @len: how many
 *
 * Return: 0, or -EINVAL if the writable bytes end before @offset + @len,
 * or -EFAULT.
 */
int zoc_vq_chain_write(struct zoc_virtio_dev *vdev,
		       const struct zoc_vq_chain *chain, u64 offset,
		       const void *buf, size_t len)
{
	return zoc_vq_chain_copy(vdev, chain, true, offset, (void *)buf, len);
}
