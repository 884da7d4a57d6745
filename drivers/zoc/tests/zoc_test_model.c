// SPDX-License-Identifier: GPL-2.0
/*
 * Test client of the ZOC service VM link: a register file of 512 64-bit
 * registers behind the link's client hook, the way the I/O proxy will
 * answer the host's MMIO requests.  The host's "client" debugfs test
 * writes registers and reads them back through it.
 */

#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/zoc_link.h>

#include "../guest/zoc_guest.h"

#define ZGC_REGS	512

/* protects zgc_regs: requests come in interrupt context, on any CPU */
static DEFINE_SPINLOCK(zgc_lock);
static u64 zgc_regs[ZGC_REGS];

static bool zgc_request(void *priv, const struct zoc_msg *msg,
			struct zoc_msg *reply)
{
	u64 offset = le64_to_cpu(msg->mmio.offset);
	unsigned long flags;
	bool ok;

	if (msg->hdr.type != ZOC_MSG_MMIO_READ &&
	    msg->hdr.type != ZOC_MSG_MMIO_WRITE)
		return false;
	ok = msg->mmio.size == 8 && offset % 8 == 0 &&
	     offset / 8 < ZGC_REGS;
	spin_lock_irqsave(&zgc_lock, flags);
	if (ok && msg->hdr.type == ZOC_MSG_MMIO_WRITE)
		zgc_regs[offset / 8] = le64_to_cpu(msg->mmio.value);
	reply->reply.value = cpu_to_le64(ok ? zgc_regs[offset / 8] : ~0ULL);
	spin_unlock_irqrestore(&zgc_lock, flags);
	if (msg->hdr.type == ZOC_MSG_MMIO_WRITE)
		return false;		/* posted: no reply */
	reply->hdr.type = ZOC_MSG_MMIO_REPLY;
	reply->hdr.len = cpu_to_le16(sizeof(reply->reply));
	reply->reply.status = cpu_to_le32(ok ? ZOC_MSG_OK : ZOC_MSG_EINVAL);
	return true;
}

static const struct zoc_guest_client zgc_client = {
	.request = zgc_request,
};

static int __init zgc_init(void)
{
	return zoc_guest_link_set_client(&zgc_client);
}

static void __exit zgc_exit(void)
{
	zoc_guest_link_clear_client(&zgc_client);
}

module_init(zgc_init);
module_exit(zgc_exit);
MODULE_DESCRIPTION("Test client of the ZOC service VM link");
MODULE_LICENSE("GPL");
