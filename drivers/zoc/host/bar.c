// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtual PCI bus: BAR0 of its functions, an emulated MMIO region whose
 * accesses the bus serves by the policy of the range of the device image
 * they fall in:
 *
 * - forward: writes posted over the link, reads polled for their reply;
 * - shadow: reads served from the register shadow the proxy keeps current
 *   in the device page, writes forwarded;
 * - doorbell: 32-bit writes stored in the device page, one message sent
 *   until the proxy took them (coalesced);
 * - the MSI-X table and PBA: kept by the bus itself.
 *
 * A read that gets no reply in time makes the function stall, as if its
 * service VM was lost, if the bus rides through losses (outage.c): then
 * reads are answered at once and writes kept.  With no outage limit, or
 * the ZOC_BUS_UNANSWERED-th in a row, it makes the function gone (dev.c).
 */

#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>
#include <asm/mmio_emul.h>

#include "zoc_host.h"
#include "bus.h"

/* --- MSI-X table and PBA ------------------------------------------------ */

static u64 zoc_vfn_msix_read(struct zoc_vfn *fn, u64 off, unsigned int size)
{
	u64 val = 0;
	unsigned long flags;

	raw_spin_lock_irqsave(&fn->msix_lock, flags);
	if (zoc_range_in(off, size, le32_to_cpu(fn->image.msix_pba), 8))
		val = fn->pba >> (off - le32_to_cpu(fn->image.msix_pba)) * 8;
	else
		memcpy(&val, (u8 *)fn->msix +
		       (off - le32_to_cpu(fn->image.msix_table)), size);
	raw_spin_unlock_irqrestore(&fn->msix_lock, flags);
	return size == 8 ? val : val & (BIT_ULL(size * 8) - 1);
}

static void zoc_vfn_msix_write(struct zoc_vfn *fn, u64 off, unsigned int size,
			       u64 val)
{
	u64 table = le32_to_cpu(fn->image.msix_table);
	unsigned long flags;

	if (!zoc_range_in(off, size, table,
			  le16_to_cpu(fn->image.msix_vectors) * PCI_MSIX_ENTRY_SIZE))
		return;		/* the PBA is read-only */
	raw_spin_lock_irqsave(&fn->msix_lock, flags);
	memcpy((u8 *)fn->msix + (off - table), &val, size);
	raw_spin_unlock_irqrestore(&fn->msix_lock, flags);
	if ((off - table) % PCI_MSIX_ENTRY_SIZE + size >
	    PCI_MSIX_ENTRY_VECTOR_CTRL)
		zoc_vfn_msix_replay(fn);
}

/* --- BAR0 ---------------------------------------------------------------- */

void zoc_vfn_msg(struct zoc_vfn *fn, struct zoc_msg *msg, u8 type,
		 unsigned long offset, unsigned int size, u64 val)
{
	memset(msg, 0, sizeof(*msg));
	msg->hdr.type = type;
	msg->hdr.len = cpu_to_le16(sizeof(msg->mmio));
	msg->hdr.dev = cpu_to_le32(fn->slot);
	msg->mmio.size = size;
	msg->mmio.offset = cpu_to_le64(offset);
	msg->mmio.value = cpu_to_le64(val);
}

/* What BAR reads of a function whose service VM is gone return */
static u64 zoc_vfn_gone_value(const struct zoc_vfn *fn)
{
	return fn->image.flags & ZOC_DEV_IMAGE_F_GONE_ZERO ? 0 : ~0ULL;
}

/*
 * How long an access may spin for the service VM: the callback runs with
 * interrupts as the access had them (see mmio-emulation.rst), and an
 * access with interrupts disabled gets the small bound.
 */
static u64 zoc_vfn_wait_ns(void)
{
	return irqs_disabled() ? ZOC_BUS_READ_IRQSOFF_NS : ZOC_BUS_READ_NS;
}

static u64 zoc_vfn_forward_read(struct zoc_vfn *fn, u64 offset,
				unsigned int size)
{
	struct zoc_msg msg, reply;
	int ret;

	/* No service VM to ask: what a removed function reads, at once */
	if (READ_ONCE(fn->stalled))
		goto stalled;
	zoc_vfn_stat(fn, ZOC_STAT_MMIO_READS);
	zoc_vfn_msg(fn, &msg, ZOC_MSG_MMIO_READ, offset, size, 0);
	ret = zoc_link_call_atomic(fn->bus->link, &msg, &reply,
				   zoc_vfn_wait_ns());
	/* Interrupts raised meanwhile were noted: deliver them soon. */
	zoc_host_bus_kick(fn->bus);
	if (ret && zoc_vfn_riding(fn))
		goto stalled;
	if (ret == -ETIMEDOUT && zoc_vfn_stall(fn))
		goto stalled;
	if (ret || reply.hdr.type != ZOC_MSG_MMIO_REPLY) {
		zoc_vfn_gone(fn, ret == -ETIMEDOUT ?
			     "a register read was not answered in time" :
			     "a register read failed");
		return zoc_vfn_gone_value(fn);
	}
	zoc_vfn_answered(fn);
	if (le32_to_cpu(reply.reply.status) != ZOC_MSG_OK)
		return ~0ULL;
	return le64_to_cpu(reply.reply.value);

stalled:
	zoc_vfn_stat(fn, ZOC_STAT_STALLED_READS);
	return zoc_vfn_gone_value(fn);
}

static u64 zoc_vfn_read(struct mmio_emul_region *region, unsigned long offset,
			unsigned int size)
{
	struct zoc_vfn *fn = container_of(region, struct zoc_vfn, region);
	const struct zoc_dev_region *r;
	u64 val = 0;

	if (READ_ONCE(fn->dead))
		return zoc_vfn_gone_value(fn);
	if (zoc_image_is_msix(&fn->image, offset, size))
		return zoc_vfn_msix_read(fn, offset, size);
	r = zoc_image_region(&fn->image, offset, size);
	if (!r || r->policy == ZOC_REGION_FORWARD)
		return zoc_vfn_forward_read(fn, offset, size);
	if (r->policy == ZOC_REGION_DOORBELL)
		return 0;
	zoc_vfn_stat(fn, ZOC_STAT_SHADOW_READS);
	/* Range checked against the shadow when the image was taken. */
	memcpy(&val, fn->page->shadow + zoc_image_shadow(r, offset), size);
	return le64_to_cpu((__force __le64)val);
}

/*
 * Tell the proxy that @fn's device page has doorbells pending.  On a full
 * ring the bits stay set: the proxy's tick finds them.  Any context.
 */
void zoc_vfn_ring(struct zoc_vfn *fn)
{
	unsigned int q = zoc_host_link_cpu_queue(fn->bus->host,
						 raw_smp_processor_id());
	struct zoc_msg msg;

	zoc_vfn_msg(fn, &msg, ZOC_MSG_DOORBELL, 0, 0, 0);
	msg.hdr.len = 0;
	/* The interrupts come back on this CPU's data queue, to this CPU */
	msg.hdr.tag = cpu_to_le32(q);
	/* Before the post: the answer may come on another CPU at once. */
	atomic64_set(&fn->rt_start, ktime_get_ns());
	if (!zoc_link_post_queue(fn->bus->link, q, &msg))
		zoc_vfn_stat(fn, ZOC_STAT_DOORBELL_MSGS);
	else
		atomic64_set(&fn->rt_start, 0);
}

/* A doorbell: store it, send one message until the proxy took them. */
static void zoc_vfn_doorbell(struct zoc_vfn *fn, const struct zoc_dev_region *r,
			     u64 offset, unsigned int size, u32 val)
{
	int db = zoc_image_doorbell(r, offset, size);

	if (db < 0)
		return;		/* 32-bit registers, written whole or 16-bit */
	zoc_vfn_stat(fn, ZOC_STAT_DOORBELL_WRITES);
	WRITE_ONCE(fn->page->db[db], cpu_to_le32(size == 2 ? (u16)val : val));
	/* Behind the writes kept while it stalls: its bit is held back. */
	if (READ_ONCE(fn->stalled) && zoc_vfn_hold_doorbell(fn, db))
		return;
	/* The value before the bit: a locked operation orders them. */
	if (!test_and_set_bit(db, (__force unsigned long *)&fn->page->db_pending))
		zoc_vfn_ring(fn);
}

static void zoc_vfn_write(struct mmio_emul_region *region,
			  unsigned long offset, unsigned int size, u64 val)
{
	struct zoc_vfn *fn = container_of(region, struct zoc_vfn, region);
	const struct zoc_dev_region *r;
	int ret;

	if (READ_ONCE(fn->dead))
		return;
	if (zoc_image_is_msix(&fn->image, offset, size)) {
		zoc_vfn_msix_write(fn, offset, size, val);
		return;
	}
	r = zoc_image_region(&fn->image, offset, size);
	if (r && r->policy == ZOC_REGION_DOORBELL) {
		zoc_vfn_doorbell(fn, r, offset, size, val);
		return;
	}
	/* Kept while no service VM serves it, for the next one */
	if (READ_ONCE(fn->stalled) && zoc_vfn_keep(fn, offset, size, val))
		return;
	zoc_vfn_stat(fn, ZOC_STAT_MMIO_WRITES);
	/*
	 * Posted, never dropped: a full ring is waited out as long as a read
	 * would wait for its reply.  A service VM that takes nothing for
	 * that long is gone, for this function as for a read, unless the
	 * bus rides through its loss.
	 */
	ret = zoc_vfn_post_write(fn, offset, size, val, zoc_vfn_wait_ns());
	if (ret && zoc_vfn_keep(fn, offset, size, val))
		return;
	if (ret == -ETIMEDOUT)
		zoc_vfn_gone(fn, "a register write found no room in time");
}

const struct mmio_emul_ops zoc_vfn_ops = {
	.read = zoc_vfn_read,
	.write = zoc_vfn_write,
};
