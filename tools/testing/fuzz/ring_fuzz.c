// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the link's rings (drivers/zoc/link/ring.h) against a
 * hostile peer, built with AddressSanitizer and UndefinedBehaviorSanitizer.
 * Each ring lives in a buffer of exactly its size, so that any access
 * outside it is reported.
 *
 * The input is first a ring's whole memory, header included, which a side
 * attaches to and drains.  Then it is a script: the peer writes the
 * producer index of a ring this side consumes, its slots, the consumer
 * index, event index and flags of a ring this side produces into, while
 * this side consumes, produces and asks for room.  Invariants: every
 * result is one the API documents; a message consumed has a length its
 * type allows; no more than a ring's worth is ever available or free; a
 * ring broken by an impossible index stays broken.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "fuzz_input.h"

#define SLOTS	16

static void *ring_mem(size_t *len)
{
	void *mem;

	*len = zoc_ring_bytes(SLOTS);
	mem = aligned_alloc(ZOC_RING_CACHELINE, *len);
	if (!mem)
		abort();
	return mem;
}

/* A result of zoc_ring_consume(), checked; whether the ring is broken. */
static bool consumed(struct zoc_ring *r, int ret, const struct zoc_msg *msg,
		     bool was_broken)
{
	u32 len;

	if (was_broken && ret != -EIO)
		abort();
	switch (ret) {
	case 0:
		len = le16_to_cpu(msg->hdr.len);
		if (len > ZOC_MSG_PAYLOAD_SIZE ||
		    len < zoc_msg_min_len(msg->hdr.type) ||
		    msg->hdr.type == ZOC_MSG_NONE)
			abort();
		break;
	case -EAGAIN:
	case -EBADMSG:
		break;
	case -EIO:
		if (!zoc_ring_broken(r))
			abort();
		break;
	default:
		abort();
	}
	return zoc_ring_broken(r);
}

/*
 * A count of messages available or of free slots, checked: at most a
 * ring's worth, or -EIO once broken.  Whether the ring is broken.
 */
static bool counted(struct zoc_ring *r, int ret, bool was_broken)
{
	if ((was_broken && ret != -EIO) || ret > (int)r->size ||
	    (ret < 0 && ret != -EIO) || (ret == -EIO && !zoc_ring_broken(r)))
		abort();
	return zoc_ring_broken(r);
}

/* Attach to a whole ring the input gives, and drain it. */
static void attach_any(struct input *in)
{
	struct zoc_ring r;
	struct zoc_msg msg;
	size_t len, n;
	void *mem;
	int i;

	mem = ring_mem(&len);
	memset(mem, 0, len);
	n = in->left < len ? in->left : len;
	memcpy(mem, in->data, n);
	skip(in, n);
	if (!zoc_ring_attach(&r, mem, len)) {
		/* any ring that fits: as many slots as the buffer has, or fewer */
		if (r.size > SLOTS || r.size & (r.size - 1))
			abort();
		counted(&r, zoc_ring_avail(&r), false);
		for (i = 0; i <= (int)r.size; i++)
			consumed(&r, zoc_ring_consume(&r, &msg), &msg,
				 zoc_ring_broken(&r));
	}
	free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct zoc_ring c, peer_p, p;
	bool c_broken = false, p_broken = false;
	void *cmem, *pmem;
	struct zoc_msg msg;
	size_t clen, plen;
	u32 start;
	int ret;

	attach_any(&in);

	/* Two good rings, at any start index: this side consumes c, produces p */
	start = take(&in, 4);
	cmem = ring_mem(&clen);
	pmem = ring_mem(&plen);
	if (zoc_ring_init(cmem, clen, SLOTS, start) ||
	    zoc_ring_attach(&c, cmem, clen) ||
	    zoc_ring_attach(&peer_p, cmem, clen) ||
	    zoc_ring_format(&p, pmem, plen, SLOTS))
		abort();

	while (in.left) {
		switch (take(&in, 1) % 9) {
		case 0:	/* the peer's producer index, any */
			WRITE_ONCE(c.hdr->prod, cpu_to_le32(take(&in, 4)));
			break;
		case 1:	/* a slot the peer writes, anything */
			ret = take(&in, 1) % SLOTS;
			memset(&msg, 0, sizeof(msg));
			memcpy(&msg, in.data,
			       in.left < sizeof(msg) ? in.left : sizeof(msg));
			skip(&in, sizeof(msg));
			memcpy(&c.slots[ret], &msg, sizeof(msg));
			break;
		case 2:	/* the peer produces as it should */
			memset(&msg, 0, sizeof(msg));
			msg.hdr.type = take(&in, 1);
			msg.hdr.len = cpu_to_le16(take(&in, 1));
			zoc_ring_produce(&peer_p, &msg);
			break;
		case 3:
			c_broken = consumed(&c, zoc_ring_consume(&c, &msg), &msg,
					    c_broken);
			break;
		case 4:
			c_broken = counted(&c, zoc_ring_avail(&c), c_broken);
			break;
		case 5:	/* the peer's consumer index, any */
			WRITE_ONCE(p.hdr->cons, cpu_to_le32(take(&in, 4)));
			break;
		case 6:	/* its event index and flags */
			WRITE_ONCE(p.hdr->event, cpu_to_le32(take(&in, 4)));
			WRITE_ONCE(p.hdr->cons_flags, cpu_to_le32(take(&in, 1)));
			break;
		case 7:
			memset(&msg, 0, sizeof(msg));
			msg.hdr.type = ZOC_MSG_MMIO_READ;
			msg.hdr.len = cpu_to_le16(sizeof(msg.mmio));
			ret = zoc_ring_produce(&p, &msg);
			if ((p_broken && ret != -EIO) ||
			    (ret && ret != -ENOSPC && ret != -EIO))
				abort();
			zoc_ring_need_doorbell(&p);
			p_broken = zoc_ring_broken(&p);
			break;
		default:
			p_broken = counted(&p, zoc_ring_space(&p), p_broken);
			break;
		}
	}
	free(cmem);
	free(pmem);
	return 0;
}
