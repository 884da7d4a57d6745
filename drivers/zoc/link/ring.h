/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC link rings: single-producer single-consumer queues of 64-byte
 * messages in memory shared by the host and the service VM, with virtio
 * style event suppression.  The wire format is in <linux/zoc_link.h>;
 * Documentation/zoc/link.rst ("Rings") describes the protocol.
 *
 * Header-only: both kernels and the userspace unit tests and benchmarks
 * include this file (ring_compat.h supplies the kernel primitives outside
 * the kernel).
 *
 * The peer is not trusted.  Every index read from shared memory is checked
 * against what is possible before it is used; an impossible one marks the
 * ring broken (-EIO from then on) and is never followed.  Each side keeps
 * its own index privately and never reads it back from shared memory
 * (except once, in zoc_ring_attach()).  Messages are copied out of the ring
 * before they are validated, so the peer cannot change them afterwards.
 *
 * Memory ordering (virt_*() barriers: the peer is another VM, even on a
 * kernel built without SMP):
 *
 *  [P1] producer: slot stores, then store-release of prod;
 *       pairs with [C1].
 *  [C1] consumer: load-acquire of prod, then slot loads; pairs with [P1].
 *  [C2] consumer: slot loads, then store-release of cons; pairs with [P2].
 *  [P2] producer: load-acquire of cons, then slot stores (reuse of the
 *       freed slots); pairs with [C2].
 *  [P3] producer: store of prod, virt_mb(), load of event and cons_flags;
 *       pairs with [C3].
 *  [C3] consumer: store of event and cons_flags, virt_mb(), load of prod;
 *       pairs with [P3].  Either the producer sees the request for a
 *       doorbell, or the consumer sees the new messages: a wakeup is never
 *       lost.
 *  [F1] formatting: header fields, virt_wmb(), magic; pairs with [A1].
 *  [A1] attach: magic, virt_rmb(), header fields; pairs with [F1].
 *
 * Neither side locks: each struct zoc_ring is used by one context at a time
 * (its owner serialises producers, or consumers, if it has several).
 */
#ifndef _ZOC_LINK_RING_H
#define _ZOC_LINK_RING_H

#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/byteorder.h>
#else
#include "ring_compat.h"
#endif

#include <linux/zoc_link.h>

static_assert(sizeof(struct zoc_ring_hdr) == ZOC_RING_HDR_SIZE);
static_assert(offsetof(struct zoc_ring_hdr, prod) == ZOC_RING_CACHELINE);
static_assert(offsetof(struct zoc_ring_hdr, cons) == 2 * ZOC_RING_CACHELINE);
static_assert(offsetof(struct zoc_ring_hdr, event) == 3 * ZOC_RING_CACHELINE);
static_assert(ZOC_RING_HDR_SIZE % ZOC_RING_CACHELINE == 0);
static_assert(sizeof(struct zoc_msg_hdr) == ZOC_MSG_HDR_SIZE);
static_assert(sizeof(struct zoc_msg) == ZOC_MSG_SIZE);
static_assert(ZOC_MSG_HDR_SIZE + ZOC_MSG_PAYLOAD_SIZE == ZOC_MSG_SIZE);
static_assert(sizeof(struct zoc_msg_mmio) == 24);
static_assert(sizeof(struct zoc_msg_mmio_reply) == 16);
static_assert(sizeof(struct zoc_msg_irq) == 8);
static_assert(sizeof(struct zoc_msg_ctrl) == ZOC_MSG_PAYLOAD_SIZE);
static_assert(sizeof(struct zoc_link_area) <= ZOC_LINK_REQ_RING);
static_assert(ZOC_LINK_REQ_RING + ZOC_LINK_RING_SPAN <= ZOC_LINK_CPL_RING);
static_assert(ZOC_LINK_CPL_RING + ZOC_LINK_RING_SPAN <= ZOC_LINK_AREA_SIZE);
static_assert(sizeof(struct zoc_dev_saved) == ZOC_LINK_SAVED_SIZE);
static_assert(ZOC_LINK_DEV_PAGES + ZOC_LINK_MAX_DEVS * ZOC_LINK_DEV_PAGE_SIZE <=
	      ZOC_LINK_SAVED_PAGES);
static_assert(ZOC_LINK_SAVED_PAGES + ZOC_LINK_MAX_DEVS * ZOC_LINK_SAVED_SIZE <=
	      ZOC_LINK_LIVE_PAGES);
static_assert(sizeof(struct zoc_dev_live) == ZOC_LINK_LIVE_SIZE);
static_assert(ZOC_LINK_LIVE_PAGES + ZOC_LINK_MAX_DEVS * ZOC_LINK_LIVE_SIZE <=
	      ZOC_LINK_AREA_SIZE);
static_assert(ZOC_RING_HDR_SIZE + ZOC_LINK_RING_SLOTS * ZOC_MSG_SIZE <=
	      ZOC_LINK_RING_SPAN);

/**
 * struct zoc_ring - one side's private view of a ring
 * @hdr: the shared header
 * @slots: the shared message slots
 * @size: number of slots, validated once in zoc_ring_attach()
 * @mask: @size - 1
 * @prod: producer: its own index, including reserved but unpublished
 *	slots; consumer: the last producer index it read and validated
 * @cons: consumer: its own index; producer: the last consumer index it
 *	read and validated
 * @published: producer: the index it last stored in the header
 * @signalled: producer: @published when it last decided about a doorbell
 * @broken: the peer wrote an impossible index; sticky
 * @msgs: messages published or consumed
 * @doorbells: producer: doorbells it was told to ring
 * @suppressed: producer: doorbell decisions that said "do not ring"
 * @bad_msgs: consumer: messages consumed but malformed
 * @notify_on: consumer: times it asked for a doorbell
 *
 * Nothing in here is shared; a side may expose the counters (debugfs).
 */
struct zoc_ring {
	struct zoc_ring_hdr *hdr;
	struct zoc_msg *slots;
	u32 size;
	u32 mask;
	u32 prod;
	u32 cons;
	u32 published;
	u32 signalled;
	bool broken;
	u64 msgs;
	u64 doorbells;
	u64 suppressed;
	u64 bad_msgs;
	u64 notify_on;
};

/* Bytes a ring of @size slots occupies in shared memory. */
static inline size_t zoc_ring_bytes(u32 size)
{
	return ZOC_RING_HDR_SIZE + (size_t)size * ZOC_MSG_SIZE;
}

static inline bool zoc_ring_size_ok(u32 size, size_t len)
{
	return is_power_of_2(size) && size >= ZOC_RING_MIN_SLOTS &&
	       size <= ZOC_RING_MAX_SLOTS && zoc_ring_bytes(size) <= len;
}

/**
 * zoc_ring_init - format a ring in shared memory
 * @mem: where the ring goes, cache-line aligned
 * @len: bytes available at @mem
 * @size: number of slots: a power of two in [ZOC_RING_MIN_SLOTS,
 *	ZOC_RING_MAX_SLOTS]
 * @start: initial value of both indices (tests start near 2^32)
 *
 * Formats only; both sides then call zoc_ring_attach().  The peer must not
 * be using the ring meanwhile.
 *
 * Return: 0, or -EINVAL if the ring does not fit or @size is not allowed.
 */
static inline int zoc_ring_init(void *mem, size_t len, u32 size, u32 start)
{
	struct zoc_ring_hdr *hdr = mem;

	if ((uintptr_t)mem % ZOC_RING_CACHELINE || !zoc_ring_size_ok(size, len))
		return -EINVAL;
	WRITE_ONCE(hdr->magic, 0);
	/* magic cleared before anything else changes; pairs with [A1]. */
	virt_wmb();
	memset((char *)mem + sizeof(hdr->magic), 0,
	       zoc_ring_bytes(size) - sizeof(hdr->magic));
	WRITE_ONCE(hdr->size, cpu_to_le32(size));
	WRITE_ONCE(hdr->msg_size, cpu_to_le32(ZOC_MSG_SIZE));
	WRITE_ONCE(hdr->prod, cpu_to_le32(start));
	WRITE_ONCE(hdr->cons, cpu_to_le32(start));
	WRITE_ONCE(hdr->event, cpu_to_le32(start));
	/* [F1] the header before the magic; pairs with [A1]. */
	virt_wmb();
	WRITE_ONCE(hdr->magic, cpu_to_le32(ZOC_RING_MAGIC));
	return 0;
}

/* Take a ring whose header and indices are known to be good. */
static inline void zoc_ring_take(struct zoc_ring *r, void *mem, u32 size,
				 u32 prod, u32 cons)
{
	memset(r, 0, sizeof(*r));
	r->hdr = (struct zoc_ring_hdr *)mem;
	r->slots = (struct zoc_msg *)((char *)mem + ZOC_RING_HDR_SIZE);
	r->size = size;
	r->mask = size - 1;
	r->prod = prod;
	r->published = prod;
	r->signalled = prod;
	r->cons = cons;
}

/**
 * zoc_ring_format - format a ring and take one side of it
 * @r: private state, filled in
 * @mem: where the ring goes, cache-line aligned
 * @len: bytes available at @mem
 * @size: number of slots, as for zoc_ring_init()
 *
 * For the side that formats the ring: its view starts from the values it
 * wrote, never from what it reads back, so that a peer writing into the
 * header meanwhile cannot make the formatting fail halfway; such writes
 * are caught later, as impossible indices.
 *
 * Return: 0, or -EINVAL as zoc_ring_init(); @r is then broken.
 */
static inline int zoc_ring_format(struct zoc_ring *r, void *mem, size_t len,
				  u32 size)
{
	int ret = zoc_ring_init(mem, len, size, 0);

	if (ret) {
		memset(r, 0, sizeof(*r));
		r->broken = true;
		return ret;
	}
	zoc_ring_take(r, mem, size, 0, 0);
	return 0;
}

/**
 * zoc_ring_attach - take one side of a ring someone formatted
 * @r: private state, filled in
 * @mem: the ring in shared memory, cache-line aligned
 * @len: bytes of the mapping available at @mem
 *
 * Validates the header (magic, message size, slot count, that the slots
 * lie within @len) and the indices, and starts from the indices found, so
 * that a restarted side resumes where it stopped.  After this, neither
 * the slot count nor a side's own index is read from shared memory again.
 * On failure @r is left broken: every operation on it fails with -EIO
 * and none touches shared memory.
 *
 * Return: 0; -EAGAIN if the ring is not formatted yet; -EINVAL if @mem is
 * misaligned or the header is impossible; -EIO if the indices are.
 */
static inline int zoc_ring_attach(struct zoc_ring *r, void *mem, size_t len)
{
	struct zoc_ring_hdr *hdr = (struct zoc_ring_hdr *)mem;
	u32 size, prod, cons;

	memset(r, 0, sizeof(*r));
	r->broken = true;
	if ((uintptr_t)mem % ZOC_RING_CACHELINE || len < ZOC_RING_HDR_SIZE)
		return -EINVAL;
	if (le32_to_cpu(READ_ONCE(hdr->magic)) != ZOC_RING_MAGIC)
		return -EAGAIN;
	/* [A1] the magic before the header; pairs with [F1]. */
	virt_rmb();
	size = le32_to_cpu(READ_ONCE(hdr->size));
	if (le32_to_cpu(READ_ONCE(hdr->msg_size)) != ZOC_MSG_SIZE ||
	    !zoc_ring_size_ok(size, len))
		return -EINVAL;
	prod = le32_to_cpu(READ_ONCE(hdr->prod));
	cons = le32_to_cpu(READ_ONCE(hdr->cons));
	if (prod - cons > size)
		return -EIO;
	zoc_ring_take(r, mem, size, prod, cons);
	return 0;
}

/* Mark the ring broken: the peer wrote an index that cannot be. */
static inline int zoc_ring_break(struct zoc_ring *r)
{
	r->broken = true;
	return -EIO;
}

/**
 * zoc_ring_broken - whether the peer corrupted the ring
 * @r: the ring
 *
 * Return: true once an impossible index was seen; the ring then refuses
 * all work until it is formatted and attached again.
 */
static inline bool zoc_ring_broken(const struct zoc_ring *r)
{
	return r->broken;
}

/* Minimum payload length of each known message type. */
static inline u32 zoc_msg_min_len(u8 type)
{
	switch (type) {
	case ZOC_MSG_MMIO_READ:
	case ZOC_MSG_MMIO_WRITE:
		return sizeof(struct zoc_msg_mmio);
	case ZOC_MSG_MMIO_REPLY:
		return sizeof(struct zoc_msg_mmio_reply);
	case ZOC_MSG_IRQ:
		return sizeof(struct zoc_msg_irq);
	case ZOC_MSG_CTRL_REQ:
	case ZOC_MSG_CTRL_REPLY:
		return offsetof(struct zoc_msg_ctrl, data);
	default:
		return 0;
	}
}

/*
 * The producer side
 */

/* Read and validate the consumer index; 0 or -EIO. */
static inline int zoc_ring_read_cons(struct zoc_ring *r)
{
	u32 cons;

	/* [P2] cons before reusing its slots; pairs with [C2]. */
	cons = le32_to_cpu(virt_load_acquire(&r->hdr->cons));
	/* The consumer cannot go back, nor past what was published. */
	if (cons - r->cons > r->published - r->cons)
		return zoc_ring_break(r);
	r->cons = cons;
	return 0;
}

/**
 * zoc_ring_space - free slots, as the producer sees them
 * @r: the producer's ring
 *
 * Return: free slots, or -EIO if the ring is broken.
 */
static inline int zoc_ring_space(struct zoc_ring *r)
{
	if (unlikely(r->broken) || zoc_ring_read_cons(r))
		return -EIO;
	return r->size - (r->prod - r->cons);
}

/**
 * zoc_ring_room - whether more than @keep slots are free
 * @r: the producer's ring
 * @keep: slots that must stay free for someone else
 *
 * The consumer index is read only when the last one seen says no.
 *
 * Return: 0 if there is room, -ENOSPC if not, -EIO if the ring is broken.
 */
static inline int zoc_ring_room(struct zoc_ring *r, u32 keep)
{
	if (unlikely(r->broken))
		return -EIO;
	if (r->size - (r->prod - r->cons) > keep)
		return 0;
	if (zoc_ring_read_cons(r))
		return -EIO;
	return r->size - (r->prod - r->cons) > keep ? 0 : -ENOSPC;
}

/**
 * zoc_ring_reserve - claim the next free slot
 * @r: the producer's ring
 * @msg: set to the slot; fill it (write only), then zoc_ring_publish()
 *
 * Several slots may be reserved before one publish.  The consumer index is
 * read only when the last one seen leaves no room, so that a producer with
 * room does not touch the consumer's cache line.
 *
 * Return: 0, -ENOSPC if the ring is full, -EIO if it is broken.
 */
static inline int zoc_ring_reserve(struct zoc_ring *r, struct zoc_msg **msg)
{
	if (unlikely(r->broken))
		return -EIO;
	if (r->prod - r->cons == r->size) {
		if (zoc_ring_read_cons(r))
			return -EIO;
		if (r->prod - r->cons == r->size)
			return -ENOSPC;
	}
	*msg = &r->slots[r->prod & r->mask];
	r->prod++;
	return 0;
}

/**
 * zoc_ring_publish - make the reserved slots visible to the consumer
 * @r: the producer's ring
 *
 * Call zoc_ring_need_doorbell() afterwards (after a batch of publishes, if
 * the producer batches) to learn whether the consumer must be rung.
 */
static inline void zoc_ring_publish(struct zoc_ring *r)
{
	if (unlikely(r->broken))
		return;
	r->msgs += r->prod - r->published;
	r->published = r->prod;
	/* [P1] the slots before prod; pairs with [C1]. */
	virt_store_release(&r->hdr->prod, cpu_to_le32(r->published));
}

/**
 * zoc_ring_produce - copy one message into the ring and publish it
 * @r: the producer's ring
 * @msg: the message
 *
 * Return: 0, -ENOSPC if the ring is full, -EIO if it is broken.
 */
static inline int zoc_ring_produce(struct zoc_ring *r,
				   const struct zoc_msg *msg)
{
	struct zoc_msg *slot;
	int ret;

	ret = zoc_ring_reserve(r, &slot);
	if (ret)
		return ret;
	memcpy(slot, msg, sizeof(*slot));
	zoc_ring_publish(r);
	return 0;
}

/**
 * zoc_ring_need_doorbell - whether the consumer wants a doorbell now
 * @r: the producer's ring
 *
 * Covers everything published since the previous call.  The consumer wants
 * one unless it polls (ZOC_RING_F_POLLING) or it asked for a doorbell at an
 * event index that the new messages did not pass (it was rung already and
 * has not gone to sleep since).  The consumer's fields only steer this
 * decision: any value it writes there is harmless.
 *
 * Return: true if the caller must ring the consumer.
 */
static inline bool zoc_ring_need_doorbell(struct zoc_ring *r)
{
	u32 old = r->signalled, new = r->published, event, flags;

	if (old == new)
		return false;
	r->signalled = new;
	/* [P3] prod before event and flags; pairs with [C3]. */
	virt_mb();
	flags = le32_to_cpu(READ_ONCE(r->hdr->cons_flags));
	event = le32_to_cpu(READ_ONCE(r->hdr->event));
	/* Ring if event lies in [old, new): as virtio's vring_need_event(). */
	if (!(flags & ZOC_RING_F_POLLING) && new - event - 1 < new - old) {
		r->doorbells++;
		return true;
	}
	r->suppressed++;
	return false;
}

/*
 * The consumer side
 */

/* Read and validate the producer index; 0 or -EIO. */
static inline int zoc_ring_read_prod(struct zoc_ring *r)
{
	u32 prod;

	/* [C1] prod before the slots; pairs with [P1]. */
	prod = le32_to_cpu(virt_load_acquire(&r->hdr->prod));
	/* At most a ring's worth ahead of us, and never going back. */
	if (prod - r->cons > r->size || prod - r->cons < r->prod - r->cons)
		return zoc_ring_break(r);
	r->prod = prod;
	return 0;
}

/**
 * zoc_ring_avail - messages waiting, as the consumer sees them
 * @r: the consumer's ring
 *
 * Return: the number of messages, or -EIO if the ring is broken.
 */
static inline int zoc_ring_avail(struct zoc_ring *r)
{
	if (unlikely(r->broken) || zoc_ring_read_prod(r))
		return -EIO;
	return r->prod - r->cons;
}

/**
 * zoc_ring_peek - copy the next message out of the ring
 * @r: the consumer's ring
 * @msg: where to copy it; validated after the copy
 *
 * The message stays in the ring until zoc_ring_pop().  The producer index
 * is read only when the messages seen before are all consumed.
 *
 * Return: 0; -EAGAIN if the ring is empty; -EBADMSG if the message is
 * malformed (its length exceeds the payload, or is short for its type; the
 * copy is still made, so that the caller can reply to the tag, and the
 * caller must still pop it); -EIO if the ring is broken.
 */
static inline int zoc_ring_peek(struct zoc_ring *r, struct zoc_msg *msg)
{
	u32 len;

	if (unlikely(r->broken))
		return -EIO;
	if (r->prod == r->cons) {
		if (zoc_ring_read_prod(r))
			return -EIO;
		if (r->prod == r->cons)
			return -EAGAIN;
	}
	memcpy(msg, &r->slots[r->cons & r->mask], sizeof(*msg));
	len = le16_to_cpu(msg->hdr.len);
	if (len > ZOC_MSG_PAYLOAD_SIZE || len < zoc_msg_min_len(msg->hdr.type) ||
	    msg->hdr.type == ZOC_MSG_NONE)
		return -EBADMSG;
	return 0;
}

/**
 * zoc_ring_pop - release the message zoc_ring_peek() returned
 * @r: the consumer's ring
 *
 * Does nothing if there is none, or if the ring is broken.
 */
static inline void zoc_ring_pop(struct zoc_ring *r)
{
	if (unlikely(r->broken) || r->prod == r->cons)
		return;
	r->cons++;
	r->msgs++;
	/* [C2] the slot's loads before cons; pairs with [P2]. */
	virt_store_release(&r->hdr->cons, cpu_to_le32(r->cons));
}

/**
 * zoc_ring_consume - take the next message
 * @r: the consumer's ring
 * @msg: where to copy it
 *
 * zoc_ring_peek() and zoc_ring_pop() in one; a malformed message is
 * consumed too, and counted.
 *
 * Return: as zoc_ring_peek().
 */
static inline int zoc_ring_consume(struct zoc_ring *r, struct zoc_msg *msg)
{
	int ret = zoc_ring_peek(r, msg);

	if (ret == 0 || ret == -EBADMSG)
		zoc_ring_pop(r);
	if (ret == -EBADMSG)
		r->bad_msgs++;
	return ret;
}

/**
 * zoc_ring_disable_notify - the consumer polls: ask for no doorbells
 * @r: the consumer's ring
 *
 * No barrier: a producer that sees the flag late rings once too often.
 */
static inline void zoc_ring_disable_notify(struct zoc_ring *r)
{
	if (unlikely(r->broken))
		return;
	WRITE_ONCE(r->hdr->cons_flags, cpu_to_le32(ZOC_RING_F_POLLING));
}

/**
 * zoc_ring_enable_notify - ask for a doorbell at the next message
 * @r: the consumer's ring
 *
 * Call before sleeping.  If messages arrived meanwhile, the caller must
 * consume them instead of sleeping (the producer may have decided against
 * a doorbell before it saw the request).
 *
 * Return: messages available (0: the ring is empty and the producer will
 * ring at the next one: sleep), or -EIO if the ring is broken.
 */
static inline int zoc_ring_enable_notify(struct zoc_ring *r)
{
	if (unlikely(r->broken))
		return -EIO;
	r->notify_on++;
	WRITE_ONCE(r->hdr->event, cpu_to_le32(r->cons));
	WRITE_ONCE(r->hdr->cons_flags, 0);
	/* [C3] event and flags before prod; pairs with [P3]. */
	virt_mb();
	if (zoc_ring_read_prod(r))
		return -EIO;
	return r->prod - r->cons;
}

#ifdef __KERNEL__
#include <linux/seq_file.h>

/* A ring's counters, for debugfs. */
static inline void zoc_ring_seq_show(struct seq_file *s, const char *name,
				     const struct zoc_ring *r)
{
	seq_printf(s, "%s_msgs: %llu\n", name, r->msgs);
	seq_printf(s, "%s_doorbells: %llu\n", name, r->doorbells);
	seq_printf(s, "%s_suppressed: %llu\n", name, r->suppressed);
	seq_printf(s, "%s_notify_requests: %llu\n", name, r->notify_on);
	seq_printf(s, "%s_bad_msgs: %llu\n", name, r->bad_msgs);
	seq_printf(s, "%s_broken: %d\n", name, r->broken);
}
#endif

#endif /* _ZOC_LINK_RING_H */
