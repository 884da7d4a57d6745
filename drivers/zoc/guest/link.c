// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC service VM link endpoint: the ivshmem-doorbell device whose BAR2 is
 * all of host RAM (the L0 window: BAR2 offset == host physical address) and
 * whose doorbells reach the host.  It finds the link area at the aperture
 * address it is given, declares itself up once it can take doorbells,
 * attaches to the rings the host formats for its epoch, answers requests
 * (the I/O proxy answers those about devices) and the host's wiring probes,
 * and beats a heartbeat.
 *
 * Everything read from the window was written by the host, which is not
 * trusted: every address is checked against the window before use.
 */

#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>
#include <linux/zoc_link.h>

#include "../link/ivshmem.h"
#include "../link/pending.h"
#include "../link/ring.h"
#include "zoc_guest.h"

#define ZOC_GUEST_VECTORS	1
#define ZOC_TICK		msecs_to_jiffies(ZOC_LINK_HEARTBEAT_MS)

static unsigned long aperture;
module_param(aperture, ulong, 0444);
MODULE_PARM_DESC(aperture, "host physical address of the aperture");

static bool test_hooks;
module_param(test_hooks, bool, 0444);
MODULE_PARM_DESC(test_hooks, "obey the host's test requests: corrupt the link, ping back");

#define ZOC_GUEST_PENDING	8	/* own requests in flight, a power of two */
#define ZOC_GUEST_CALL_TIMEOUT	(5 * HZ)

/**
 * struct zoc_guest_link - the service VM's end of the link
 * @pdev: the ivshmem-doorbell function
 * @regs: its BAR0
 * @window: BAR2, all of host RAM, mapped write-back
 * @window_size: its size
 * @area: the link area inside @window
 * @own_id: our doorbell address
 * @tick: finds the link area, beats the heartbeat, follows the handshake
 * @lock: protects the rings, @attached and the counters below against the
 *	interrupt handler
 * @req: request ring (we consume)
 * @cpl: completion ring (we produce)
 * @attached: we took the rings of the host epoch we acknowledged
 * @request_cpu: the CPU in the proxy's request path, UINT_MAX if none
 * @pending: our own requests to the host, waiting for replies, by tag
 * @generation: makes their tags unique
 * @ping_work: answers the host's ZOC_CTRL_TEST_PING_HOST
 * @ping_count: how many pings it asked for
 * @ping_tag: the tag to reply to, 0 when no test runs
 * @dropped: replies and messages that found the completion ring full
 * @unanswered: requests nobody answered
 * @dir: debugfs directory
 * @doorbells: doorbells received from the host
 * @probes: probes answered
 * @last_seq: sequence number of the last probe answered
 */
struct zoc_guest_link {
	struct pci_dev *pdev;
	void __iomem *regs;
	void *window;
	resource_size_t window_size;
	struct zoc_link_area *area;
	u32 own_id;
	struct delayed_work tick;
	/* the interrupt handler and the tick both touch the rings */
	spinlock_t lock;
	struct zoc_ring req;
	struct zoc_ring cpl;
	bool attached;
	unsigned int request_cpu;
	struct zoc_pending pending[ZOC_GUEST_PENDING];
	u32 generation;
	struct work_struct ping_work;
	u32 ping_count;
	u32 ping_tag;
	u64 dropped;
	u64 unanswered;
	struct dentry *dir;
	u64 doorbells;
	u64 probes;
	u64 last_seq;
};

/* The one link endpoint; the proxy reaches it through the functions below. */
static struct zoc_guest_link *zoc_guest_link;
static DEFINE_SPINLOCK(zoc_guest_link_lock);	/* protects zoc_guest_link */

static u32 zoc_read32(__le32 *p)
{
	return le32_to_cpu(READ_ONCE(*p));
}

static u64 zoc_read64(__le64 *p)
{
	return le64_to_cpu(READ_ONCE(*p));
}

/* Map a host physical range, if it lies inside the window. */
static void *zoc_guest_host_ptr(struct zoc_guest_link *link, u64 addr,
				size_t len)
{
	if (addr >= link->window_size || len > link->window_size - addr)
		return NULL;
	return link->window + addr;
}

/*
 * Host memory for device models: inside the window and off the link area.
 * Devices exist only while the endpoint does (its removal destroys them
 * first), so the endpoint is stable for their callers.
 */
void *zoc_guest_link_host_ptr(u64 addr, size_t len)
{
	struct zoc_guest_link *link = READ_ONCE(zoc_guest_link);

	if (!link || !len ||
	    (addr < aperture + ZOC_LINK_AREA_SIZE && aperture < addr + len))
		return NULL;
	return zoc_guest_host_ptr(link, addr, len);
}

/* The device page of @slot; the aperture was checked at probe. */
struct zoc_dev_page *zoc_guest_link_dev_page(unsigned int slot)
{
	struct zoc_guest_link *link = READ_ONCE(zoc_guest_link);

	return link->window + aperture + ZOC_LINK_DEV_PAGES +
	       slot * ZOC_LINK_DEV_PAGE_SIZE;
}

static void zoc_guest_ring_host(struct zoc_guest_link *link)
{
	struct zoc_link_side *host = &link->area->host;
	u32 peer;

	if (zoc_read32(&host->state) != ZOC_LINK_UP)
		return;
	/* peer_id after state; pairs with the host's wmb in attach. */
	smp_rmb();
	peer = zoc_read32(&host->peer_id);
	if (peer <= ZOC_IVSHMEM_MAX_PEER)
		zoc_ivshmem_ring(link->regs, peer, 0);
}

/* Answer the host's wiring probe, if there is a new one. */
static void zoc_guest_answer_probe(struct zoc_guest_link *link)
{
	struct zoc_link_probe *probe = &link->area->probe;
	struct zoc_link_marker *m;
	u64 seq, cookie;

	seq = zoc_read64(&probe->seq);
	if (seq == link->last_seq)
		return;
	link->last_seq = seq;
	/* seq before the rest; pairs with the host's wmb. */
	smp_rmb();
	m = zoc_guest_host_ptr(link, zoc_read64(&probe->marker_addr),
			       sizeof(*m));
	if (!m || !IS_ALIGNED((unsigned long)m, sizeof(u64))) {
		dev_warn_ratelimited(&link->pdev->dev,
				     "probe %llu: bad marker address\n", seq);
		return;
	}
	cookie = zoc_read64(&probe->cookie);
	if (zoc_read64(&m->magic) != ZOC_LINK_MARKER_MAGIC ||
	    zoc_read64(&m->cookie) != cookie) {
		dev_warn_ratelimited(&link->pdev->dev,
				     "probe %llu: marker does not match\n", seq);
		return;
	}
	WRITE_ONCE(m->echo, cpu_to_le64(~cookie));
	/* echo before seq; pairs with the host's rmb. */
	smp_wmb();
	WRITE_ONCE(m->seq, cpu_to_le64(seq));
	link->probes++;
	WRITE_ONCE(link->area->svm.probes, cpu_to_le64(link->probes));
	zoc_guest_ring_host(link);
}

/* The host answered one of our requests.  Lock held. */
static void zoc_guest_reply(struct zoc_guest_link *link, struct zoc_msg *msg)
{
	if (!zoc_pending_complete(link->pending, ZOC_GUEST_PENDING, msg))
		link->unanswered++;
}

/* Answer one request.  Lock held. */
static void zoc_guest_request(struct zoc_guest_link *link, struct zoc_msg *msg)
{
	struct zoc_msg reply = { .hdr = msg->hdr };
	bool handled;

	switch (msg->hdr.type) {
	case ZOC_MSG_ECHO:
		reply = *msg;
		break;
	case ZOC_MSG_CTRL_REPLY:
		zoc_guest_reply(link, msg);
		return;
	case ZOC_MSG_CTRL_REQ:
		if (le32_to_cpu(msg->ctrl.opcode) == ZOC_CTRL_PING) {
			reply = *msg;
			reply.hdr.type = ZOC_MSG_CTRL_REPLY;
			reply.ctrl.status = cpu_to_le32(ZOC_MSG_OK);
			break;
		}
		if (test_hooks &&
		    le32_to_cpu(msg->ctrl.opcode) == ZOC_CTRL_TEST_PING_HOST &&
		    !link->ping_tag && msg->hdr.tag) {
			/* Our own requests wait for replies: not in here. */
			link->ping_tag = le32_to_cpu(msg->hdr.tag);
			link->ping_count = get_unaligned_le32(msg->ctrl.data);
			schedule_work(&link->ping_work);
			return;
		}
		if (test_hooks &&
		    le32_to_cpu(msg->ctrl.opcode) == ZOC_CTRL_TEST_CORRUPT) {
			/* An index the host must refuse: it resets the link. */
			WRITE_ONCE(link->cpl.hdr->prod,
				   cpu_to_le32(link->cpl.prod + 0x10000));
			link->attached = false;
			dev_warn(&link->pdev->dev, "corrupted the completion ring, as asked\n");
			return;
		}
		fallthrough;
	default:
		WRITE_ONCE(link->request_cpu, raw_smp_processor_id());
		handled = zoc_proxy_request(msg, &reply);
		WRITE_ONCE(link->request_cpu, UINT_MAX);
		if (handled) {
			if (reply.hdr.type == ZOC_MSG_NONE)
				return;		/* posted, or answered later */
			break;
		}
		if (msg->hdr.type == ZOC_MSG_MMIO_WRITE)
			return;		/* posted: nothing to answer */
		link->unanswered++;
		if (msg->hdr.type == ZOC_MSG_MMIO_READ) {
			reply.hdr.type = ZOC_MSG_MMIO_REPLY;
			reply.hdr.len = cpu_to_le16(sizeof(reply.reply));
			reply.reply.value = cpu_to_le64(~0ULL);
			reply.reply.status = cpu_to_le32(ZOC_MSG_ENODEV);
		} else {
			reply.hdr.type = ZOC_MSG_CTRL_REPLY;
			reply.hdr.len = cpu_to_le16(8);
			reply.ctrl.opcode = msg->ctrl.opcode;
			reply.ctrl.status = cpu_to_le32(ZOC_MSG_ENOTSUPP);
		}
		break;
	}
	if (zoc_ring_produce(&link->cpl, &reply))
		link->dropped++;
}

/*
 * Answer what is on the request ring.  A request is taken only when its
 * reply has room: the host bounds what it sends by the completion ring's
 * size, and a host that does not is held back, not answered out of order.
 * Lock held.
 */
static void zoc_guest_drain(struct zoc_guest_link *link)
{
	unsigned int budget = ZOC_LINK_RING_SLOTS;
	struct zoc_msg msg;
	int ret = 0;

	do {
		while (link->attached && zoc_ring_space(&link->cpl) > 0) {
			ret = zoc_ring_consume(&link->req, &msg);
			if (ret == -EAGAIN || ret == -EIO)
				break;
			if (!ret)
				zoc_guest_request(link, &msg);
			/* A host that never stops sending must not hold us. */
			if (!--budget) {
				mod_delayed_work(system_wq, &link->tick, 0);
				break;
			}
		}
		if (!link->attached)
			return;
		if (zoc_ring_need_doorbell(&link->cpl))
			zoc_guest_ring_host(link);
	} while (ret == -EAGAIN && zoc_ring_enable_notify(&link->req));

	if (zoc_ring_broken(&link->req) || zoc_ring_broken(&link->cpl)) {
		/* A new epoch makes the host format the rings again. */
		link->attached = false;
		zoc_pending_fail(link->pending, ZOC_GUEST_PENDING, -ECONNRESET);
		WRITE_ONCE(link->area->svm.epoch,
			   cpu_to_le32(zoc_read32(&link->area->svm.epoch) + 1));
		dev_warn(&link->pdev->dev, "the host corrupted a ring: new epoch\n");
	}
}

static irqreturn_t zoc_guest_irq(int irq, void *data)
{
	struct zoc_guest_link *link = data;

	if (!READ_ONCE(link->area))
		return IRQ_HANDLED;
	spin_lock(&link->lock);
	link->doorbells++;
	WRITE_ONCE(link->area->svm.doorbells, cpu_to_le64(link->doorbells));
	zoc_guest_answer_probe(link);
	zoc_guest_drain(link);
	spin_unlock(&link->lock);
	if (!link->attached)
		mod_delayed_work(system_wq, &link->tick, 0);
	return IRQ_HANDLED;
}

/* Declare us up, with a new epoch, once the host has set up the area. */
static bool zoc_guest_connect(struct zoc_guest_link *link)
{
	struct zoc_link_area *area = link->window + aperture;
	struct zoc_link_side *svm = &area->svm;
	u32 version;

	if (zoc_read64(&area->magic) != ZOC_LINK_MAGIC)
		return false;
	/* magic before the rest; pairs with the host's wmb. */
	smp_rmb();
	version = zoc_read32(&area->version);
	if (version != ZOC_LINK_VERSION) {
		dev_err_once(&link->pdev->dev, "link version %u, expected %u\n",
			     version, ZOC_LINK_VERSION);
		return false;
	}

	link->last_seq = zoc_read64(&area->probe.seq);
	WRITE_ONCE(svm->epoch, cpu_to_le32(zoc_read32(&svm->epoch) + 1));
	WRITE_ONCE(svm->peer_id, cpu_to_le32(link->own_id));
	WRITE_ONCE(svm->ack_epoch, 0);
	WRITE_ONCE(svm->doorbells, 0);
	WRITE_ONCE(svm->probes, 0);
	/* The rest before state; pairs with the host's rmb. */
	smp_wmb();
	WRITE_ONCE(svm->state, cpu_to_le32(ZOC_LINK_UP));
	WRITE_ONCE(link->area, area);
	dev_info(&link->pdev->dev, "link area found: epoch %u, host epoch %u\n",
		 zoc_read32(&svm->epoch), zoc_read32(&area->host.epoch));
	return true;
}

/*
 * Attach to the rings the host formatted for our epoch, for each new host
 * epoch, and acknowledge it.  Lock held.
 */
static void zoc_guest_handshake(struct zoc_guest_link *link)
{
	struct zoc_link_area *area = link->area;
	void *base = area;
	u32 epoch;

	if (zoc_read32(&area->host.ack_epoch) != zoc_read32(&area->svm.epoch)) {
		link->attached = false;		/* not formatted for us yet */
		return;
	}
	epoch = zoc_read32(&area->host.epoch);
	if (link->attached && epoch == zoc_read32(&area->svm.ack_epoch))
		return;
	/* The acknowledgment before the rings; pairs with the host's wmb. */
	smp_rmb();
	link->attached = false;
	zoc_pending_fail(link->pending, ZOC_GUEST_PENDING, -ECONNRESET);
	if (zoc_ring_attach(&link->req, base + ZOC_LINK_REQ_RING,
			    ZOC_LINK_RING_SPAN) ||
	    zoc_ring_attach(&link->cpl, base + ZOC_LINK_CPL_RING,
			    ZOC_LINK_RING_SPAN)) {
		dev_warn_ratelimited(&link->pdev->dev, "the host's rings are malformed\n");
		return;
	}
	zoc_ring_enable_notify(&link->req);
	link->attached = true;
	WRITE_ONCE(area->svm.ack_epoch, cpu_to_le32(epoch));
	dev_info(&link->pdev->dev, "link up: host epoch %u\n", epoch);
	zoc_guest_ring_host(link);
	zoc_guest_drain(link);
}

/* Find the area, then beat the heartbeat and follow the handshake. */
static void zoc_guest_tick(struct work_struct *work)
{
	struct zoc_guest_link *link =
		container_of(work, struct zoc_guest_link, tick.work);
	struct zoc_link_side *svm;

	if (!link->area && !zoc_guest_connect(link))
		goto out;
	svm = &link->area->svm;
	spin_lock_irq(&link->lock);
	WRITE_ONCE(svm->heartbeat, cpu_to_le64(zoc_read64(&svm->heartbeat) + 1));
	zoc_guest_handshake(link);
	zoc_guest_drain(link);
	if (link->attached) {
		WRITE_ONCE(link->request_cpu, raw_smp_processor_id());
		zoc_proxy_tick();
		WRITE_ONCE(link->request_cpu, UINT_MAX);
	}
	spin_unlock_irq(&link->lock);
out:
	schedule_delayed_work(&link->tick, ZOC_TICK);
}

/* Lock held. */
static int __zoc_guest_link_post(struct zoc_guest_link *link,
				 const struct zoc_msg *msg)
{
	int ret;

	if (!link->attached)
		return -ENOTCONN;
	ret = zoc_ring_produce(&link->cpl, msg);
	if (!ret && zoc_ring_need_doorbell(&link->cpl))
		zoc_guest_ring_host(link);
	if (ret == -ENOSPC)
		link->dropped++;
	return ret;
}

/*
 * The proxy's callbacks run under the link's lock, in the request path of
 * this CPU (interrupts off): what they post goes out without taking it.
 */
static bool zoc_guest_in_request(struct zoc_guest_link *link)
{
	return READ_ONCE(link->request_cpu) == raw_smp_processor_id();
}

/**
 * zoc_guest_link_post - send a message to the host (an interrupt, an event)
 * @msg: the message
 *
 * Context: any, including the I/O proxy's callbacks; takes a spinlock with
 * interrupts disabled.
 * Return: 0, -ENOTCONN if the link is not up, -ENOSPC if the completion
 * ring is full, -EIO if it is broken.
 */
int zoc_guest_link_post(const struct zoc_msg *msg)
{
	struct zoc_guest_link *link;
	unsigned long flags;
	int ret = -ENOTCONN;

	spin_lock_irqsave(&zoc_guest_link_lock, flags);
	link = zoc_guest_link;
	if (link && zoc_guest_in_request(link)) {
		ret = __zoc_guest_link_post(link, msg);
	} else if (link) {
		spin_lock(&link->lock);
		ret = __zoc_guest_link_post(link, msg);
		spin_unlock(&link->lock);
	}
	spin_unlock_irqrestore(&zoc_guest_link_lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(zoc_guest_link_post);

/**
 * zoc_guest_link_call - send a control request to the host, wait for the reply
 * @msg: the request (ZOC_MSG_CTRL_REQ); its tag is assigned here
 * @reply: where the reply goes
 * @timeout: in jiffies
 *
 * Context: process context.
 * Return: 0 with the reply in @reply, -ENOTCONN if the link is not up,
 * -EBUSY if too many requests are in flight or the ring is full,
 * -ETIMEDOUT if no reply came, -ECONNRESET if the link was reset meanwhile.
 */
int zoc_guest_link_call(struct zoc_msg *msg, struct zoc_msg *reply,
			unsigned long timeout)
{
	struct zoc_pending *p = NULL;
	struct zoc_guest_link *link;
	int ret = -ENOTCONN;
	u32 tag = 0;

	spin_lock_irq(&zoc_guest_link_lock);
	link = zoc_guest_link;
	if (link) {
		spin_lock(&link->lock);
		if (link->attached)
			p = zoc_pending_get(link->pending, ZOC_GUEST_PENDING,
					    &link->generation, 0);
		ret = !link->attached ? -ENOTCONN : !p ? -EBUSY : 0;
		if (!ret) {
			tag = p->tag;
			msg->hdr.tag = cpu_to_le32(tag);
			ret = zoc_ring_produce(&link->cpl, msg);
			if (ret) {
				p->tag = 0;
				ret = ret == -ENOSPC ? -EBUSY : ret;
			} else if (zoc_ring_need_doorbell(&link->cpl)) {
				zoc_guest_ring_host(link);
			}
		}
		spin_unlock(&link->lock);
	}
	spin_unlock_irq(&zoc_guest_link_lock);
	if (ret)
		return ret;

	/*
	 * @link outlives its callers: they are the proxy, which detaches
	 * before the endpoint goes, and the ping work, cancelled then.
	 */
	wait_for_completion_timeout(&p->done, timeout);
	spin_lock_irq(&link->lock);
	ret = zoc_pending_result(p, tag, reply);
	spin_unlock_irq(&link->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(zoc_guest_link_call);

/* The host's ZOC_CTRL_TEST_PING_HOST: ping it, then tell it how it went. */
static void zoc_guest_ping_work(struct work_struct *work)
{
	struct zoc_guest_link *link =
		container_of(work, struct zoc_guest_link, ping_work);
	struct zoc_msg msg, reply;
	u32 i, count, tag;
	int ret = 0;

	spin_lock_irq(&link->lock);
	count = link->ping_count;
	tag = link->ping_tag;
	spin_unlock_irq(&link->lock);

	for (i = 0; i < count && !ret; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.hdr.type = ZOC_MSG_CTRL_REQ;
		msg.hdr.len = cpu_to_le16(8 + sizeof(i));
		msg.ctrl.opcode = cpu_to_le32(ZOC_CTRL_PING);
		put_unaligned_le32(i, msg.ctrl.data);
		ret = zoc_guest_link_call(&msg, &reply, ZOC_GUEST_CALL_TIMEOUT);
		if (!ret && (reply.hdr.type != ZOC_MSG_CTRL_REPLY ||
			     le32_to_cpu(reply.ctrl.status) != ZOC_MSG_OK ||
			     get_unaligned_le32(reply.ctrl.data) != i))
			ret = -EPROTO;
	}
	if (ret)
		dev_warn(&link->pdev->dev, "ping %u of %u to the host: %d\n", i,
			 count, ret);

	memset(&msg, 0, sizeof(msg));
	msg.hdr.type = ZOC_MSG_CTRL_REPLY;
	msg.hdr.len = cpu_to_le16(8);
	msg.hdr.tag = cpu_to_le32(tag);
	msg.ctrl.opcode = cpu_to_le32(ZOC_CTRL_TEST_PING_HOST);
	msg.ctrl.status = cpu_to_le32(ret ? ZOC_MSG_EIO : ZOC_MSG_OK);
	zoc_guest_link_post(&msg);
	spin_lock_irq(&link->lock);
	link->ping_tag = 0;
	spin_unlock_irq(&link->lock);
}

static int zoc_guest_show(struct seq_file *s, void *unused)
{
	struct zoc_guest_link *link = s->private;
	struct zoc_link_area *area = READ_ONCE(link->area);

	seq_printf(s, "window: %pa bytes\n", &link->window_size);
	seq_printf(s, "doorbell_id: %u\n", link->own_id);
	if (!area)
		return 0;
	spin_lock_irq(&link->lock);
	seq_printf(s, "epoch: %u\n", zoc_read32(&area->svm.epoch));
	seq_printf(s, "host_epoch: %u\n", zoc_read32(&area->host.epoch));
	seq_printf(s, "link: %s\n", link->attached ? "up" : "down");
	seq_printf(s, "doorbells_rx: %llu\n", link->doorbells);
	seq_printf(s, "probes: %llu\n", link->probes);
	seq_printf(s, "dropped: %llu\n", link->dropped);
	seq_printf(s, "unanswered: %llu\n", link->unanswered);
	zoc_ring_seq_show(s, "req", &link->req);
	zoc_ring_seq_show(s, "cpl", &link->cpl);
	spin_unlock_irq(&link->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zoc_guest);

static int zoc_guest_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct zoc_guest_link *link;
	int ret;

	link = devm_kzalloc(&pdev->dev, sizeof(*link), GFP_KERNEL);
	if (!link)
		return -ENOMEM;
	link->pdev = pdev;
	link->request_cpu = UINT_MAX;
	INIT_DELAYED_WORK(&link->tick, zoc_guest_tick);
	INIT_WORK(&link->ping_work, zoc_guest_ping_work);
	spin_lock_init(&link->lock);
	zoc_pending_init(link->pending, ZOC_GUEST_PENDING);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), "zoc-link");
	if (ret)
		return ret;
	link->regs = pcim_iomap_table(pdev)[0];
	link->own_id = readl(link->regs + ZOC_IVSHMEM_IVPOSITION);

	link->window_size = pci_resource_len(pdev, 2);
	if (aperture % PAGE_SIZE || aperture >= link->window_size ||
	    link->window_size - aperture < ZOC_LINK_AREA_SIZE) {
		dev_err(&pdev->dev, "aperture %#lx is not inside the %pa window\n",
			aperture, &link->window_size);
		return -EINVAL;
	}
	link->window = devm_memremap(&pdev->dev, pci_resource_start(pdev, 2),
				     link->window_size, MEMREMAP_WB);
	if (IS_ERR(link->window))
		return PTR_ERR(link->window);

	/* Without bus mastering QEMU silently drops MSI-X messages. */
	pci_set_master(pdev);
	ret = pci_alloc_irq_vectors(pdev, ZOC_GUEST_VECTORS, ZOC_GUEST_VECTORS,
				    PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "no MSI-X (%d): is this ivshmem-doorbell?\n",
			ret);
		return ret;
	}
	ret = request_irq(pci_irq_vector(pdev, 0), zoc_guest_irq, 0,
			  "zoc-link", link);
	if (ret)
		goto out_free_vectors;

	spin_lock_irq(&zoc_guest_link_lock);
	if (zoc_guest_link) {
		spin_unlock_irq(&zoc_guest_link_lock);
		ret = -EBUSY;
		goto out_free_irq;
	}
	zoc_guest_link = link;
	spin_unlock_irq(&zoc_guest_link_lock);
	link->dir = debugfs_create_dir("zoc-guest", NULL);
	debugfs_create_file("link", 0444, link->dir, link, &zoc_guest_fops);

	pci_set_drvdata(pdev, link);
	dev_info(&pdev->dev, "L0 window %pa bytes, doorbell id %u, aperture %#lx\n",
		 &link->window_size, link->own_id, aperture);
	schedule_delayed_work(&link->tick, 0);
	return 0;

out_free_irq:
	free_irq(pci_irq_vector(pdev, 0), link);
out_free_vectors:
	pci_free_irq_vectors(pdev);
	return ret;
}

static void zoc_guest_remove(struct pci_dev *pdev)
{
	struct zoc_guest_link *link = pci_get_drvdata(pdev);

	zoc_proxy_link_gone();
	spin_lock_irq(&zoc_guest_link_lock);
	zoc_guest_link = NULL;
	spin_unlock_irq(&zoc_guest_link_lock);
	debugfs_remove_recursive(link->dir);
	free_irq(pci_irq_vector(pdev, 0), link);
	cancel_delayed_work_sync(&link->tick);
	spin_lock_irq(&link->lock);
	zoc_pending_fail(link->pending, ZOC_GUEST_PENDING, -ENODEV);
	spin_unlock_irq(&link->lock);
	cancel_work_sync(&link->ping_work);
	if (link->area)
		WRITE_ONCE(link->area->svm.state, cpu_to_le32(ZOC_LINK_DOWN));
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id zoc_guest_ids[] = {
	{ PCI_DEVICE(ZOC_IVSHMEM_VENDOR, ZOC_IVSHMEM_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, zoc_guest_ids);

static struct pci_driver zoc_guest_driver = {
	.name = "zoc-guest",
	.id_table = zoc_guest_ids,
	.probe = zoc_guest_probe,
	.remove = zoc_guest_remove,
};

static int __init zoc_guest_init(void)
{
	int ret;

	ret = zoc_proxy_init();
	if (ret)
		return ret;
	ret = pci_register_driver(&zoc_guest_driver);
	if (ret)
		zoc_proxy_exit();
	return ret;
}

static void __exit zoc_guest_exit(void)
{
	pci_unregister_driver(&zoc_guest_driver);
	zoc_proxy_exit();
}

module_init(zoc_guest_init);
module_exit(zoc_guest_exit);

MODULE_DESCRIPTION("ZOC service VM: link endpoint and I/O proxy");
MODULE_LICENSE("GPL");
