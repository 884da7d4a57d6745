// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC host link: the link area in the aperture, the handshake with the
 * service VM, the request and completion rings, liveness, and the wiring
 * probe that proves both directions of the L0 window and of the doorbells.
 *
 * The host formats both rings for each service VM epoch it sees and
 * acknowledges that epoch; the service VM attaches and acknowledges the
 * host's epoch; then requests flow.  A ring the service VM corrupted resets
 * the link (new host epoch, rings formatted again); requests pending when
 * the link goes away fail, with -ETIMEDOUT if the service VM's heartbeat
 * stopped.  Nothing the service VM writes is trusted.
 *
 * The aperture is a physical range reserved at boot (memmap=SIZE$ADDR) and
 * named to the module as zoc_host.aperture=SIZE@ADDR.  Its first
 * ZOC_LINK_AREA_SIZE bytes hold &struct zoc_link_area; the service VM maps
 * the same bytes through its L0 window.
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>

#include "../link/pending.h"
#include "../link/ring.h"
#include "zoc_host.h"

#define ZOC_PROBE_TIMEOUT	(5 * HZ)
#define ZOC_CALL_TIMEOUT	(5 * HZ)
#define ZOC_FLOOD_TIMEOUT	(60 * HZ)
#define ZOC_PENDING		64	/* requests in flight, a power of two */
#define ZOC_FLOOD_TAG		BIT(31)	/* echo floods: tag is the sequence */
#define ZOC_TICK		msecs_to_jiffies(ZOC_LINK_HEARTBEAT_MS)

static char *aperture;
module_param(aperture, charp, 0444);
MODULE_PARM_DESC(aperture, "reserved physical range of the bus, SIZE@ADDR");

/**
 * struct zoc_host_link - the host's end of the link
 * @aperture: the aperture, claimed (not busy: the bus's BARs are in it)
 * @res: &aperture
 * @area: the link area, mapped write-back
 * @marker: page of ordinary RAM the wiring probe asks the service VM to read
 * @lock: protects everything below it but the counters marked atomic
 * @ops: the transport, NULL while none is attached
 * @priv: the transport's cookie
 * @req: request ring, host to service VM (we produce)
 * @cpl: completion ring, service VM to host (we consume)
 * @up: the service VM attached to the rings of this host epoch
 * @svm_dead: its heartbeat stopped for ZOC_LINK_DEAD_MS
 * @svm_heartbeat: its heartbeat when last seen changing
 * @svm_heartbeat_at: when that was (jiffies)
 * @pending: requests in flight, indexed by tag
 * @generation: makes tags unique across reuses of a slot
 * @flood_next: sequence number the next flood reply must carry
 * @flood_got: flood replies received in order
 * @flood_bad: a flood reply came out of order
 * @resets: link resets after the service VM corrupted a ring
 * @timeouts: requests that timed out
 * @echoes: echo round trips that came back right
 * @unexpected: replies for no pending request
 * @svm_pings: pings from the service VM answered
 * @dropped: replies to the service VM that found the request ring full
 * @tick: heartbeat and handshake, every ZOC_LINK_HEARTBEAT_MS
 * @probe_mutex: serialises probes
 * @call_mutex: serialises echo tests and floods
 * @wq: woken on every doorbell from the service VM
 * @doorbells: doorbells received (atomic)
 * @rung: doorbells sent (atomic)
 * @probes_ok: probes answered correctly
 * @probes_failed: probes that timed out or were answered wrongly
 * @dir: debugfs directory
 */
struct zoc_host_link {
	struct resource aperture;
	struct resource *res;
	struct zoc_link_area *area;
	struct zoc_link_marker *marker;
	/* irq handler, callers and the tick all use the rings: see above */
	spinlock_t lock;
	const struct zoc_host_transport_ops *ops;
	void *priv;
	struct zoc_ring req;
	struct zoc_ring cpl;
	bool up;
	bool svm_dead;
	u64 svm_heartbeat;
	unsigned long svm_heartbeat_at;
	struct zoc_pending pending[ZOC_PENDING];
	u32 generation;
	u32 flood_next;
	u32 flood_got;
	bool flood_bad;
	u64 resets;
	u64 timeouts;
	u64 echoes;
	u64 unexpected;
	u64 svm_pings;
	u64 dropped;
	struct delayed_work tick;
	/* serialises probes: one marker, one sequence */
	struct mutex probe_mutex;
	/* serialises echo tests and floods: one flood sequence */
	struct mutex call_mutex;
	wait_queue_head_t wq;
	atomic64_t doorbells;
	atomic64_t rung;
	u64 probes_ok;
	u64 probes_failed;
	struct dentry *dir;
};

static struct zoc_host_link zoc_link;

static u32 zoc_read32(__le32 *p)
{
	return le32_to_cpu(READ_ONCE(*p));
}

static u64 zoc_read64(__le64 *p)
{
	return le64_to_cpu(READ_ONCE(*p));
}

/* Ring the service VM if it said it can take doorbells.  Lock held. */
static int __zoc_link_ring(struct zoc_host_link *link, u16 vector)
{
	struct zoc_link_side *svm = &link->area->svm;
	u32 peer;

	if (!link->ops || zoc_read32(&svm->state) != ZOC_LINK_UP)
		return -ENOTCONN;
	/* Read peer_id after state; pairs with the service VM's wmb. */
	smp_rmb();
	peer = zoc_read32(&svm->peer_id);
	link->ops->ring(link->priv, peer, vector);
	atomic64_inc(&link->rung);
	return 0;
}

static int zoc_link_ring(struct zoc_host_link *link, u16 vector)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&link->lock, flags);
	ret = __zoc_link_ring(link, vector);
	spin_unlock_irqrestore(&link->lock, flags);
	return ret;
}

/* Fail every request in flight with @err.  Lock held. */
static void zoc_link_fail_pending(struct zoc_host_link *link, int err)
{
	zoc_pending_fail(link->pending, ZOC_PENDING, err);
	link->flood_bad = link->flood_bad || err;
}

/*
 * Format both rings for the service VM's epoch @svm_epoch and take our
 * side of them; the link is up once the service VM acknowledges.  Lock
 * held.
 */
static void zoc_link_format(struct zoc_host_link *link, u32 svm_epoch)
{
	struct zoc_link_area *area = link->area;
	void *base = area;

	link->up = false;
	zoc_ring_init(base + ZOC_LINK_REQ_RING, ZOC_LINK_RING_SPAN,
		      ZOC_LINK_RING_SLOTS, 0);
	zoc_ring_init(base + ZOC_LINK_CPL_RING, ZOC_LINK_RING_SPAN,
		      ZOC_LINK_RING_SLOTS, 0);
	zoc_ring_attach(&link->req, base + ZOC_LINK_REQ_RING, ZOC_LINK_RING_SPAN);
	zoc_ring_attach(&link->cpl, base + ZOC_LINK_CPL_RING, ZOC_LINK_RING_SPAN);
	zoc_ring_enable_notify(&link->cpl);
	/* The rings before the acknowledgment; pairs with the service VM's rmb. */
	smp_wmb();
	WRITE_ONCE(area->host.ack_epoch, cpu_to_le32(svm_epoch));
}

/* Post @msg on the request ring, ringing if the service VM asked.  Lock held. */
static int __zoc_link_post(struct zoc_host_link *link, struct zoc_msg *msg)
{
	int ret;

	if (!link->up)
		return -ENOTCONN;
	if (link->svm_dead)
		return -ETIMEDOUT;
	ret = zoc_ring_produce(&link->req, msg);
	if (ret)
		return ret;
	if (zoc_ring_need_doorbell(&link->req))
		__zoc_link_ring(link, 0);
	return 0;
}

/*
 * A control request from the service VM: answer it on the request ring.
 * Only pings are known so far.  Lock held.
 */
static void zoc_link_svm_request(struct zoc_host_link *link,
				 struct zoc_msg *msg)
{
	struct zoc_msg reply = *msg;

	reply.hdr.type = ZOC_MSG_CTRL_REPLY;
	if (le32_to_cpu(msg->ctrl.opcode) == ZOC_CTRL_PING) {
		link->svm_pings++;
		reply.ctrl.status = cpu_to_le32(ZOC_MSG_OK);
	} else {
		memset(reply.ctrl.data, 0, sizeof(reply.ctrl.data));
		reply.hdr.len = cpu_to_le16(8);
		reply.ctrl.status = cpu_to_le32(ZOC_MSG_ENOTSUPP);
	}
	if (__zoc_link_post(link, &reply))
		link->dropped++;
}

/* Take the message @msg from the completion ring.  Lock held. */
static void zoc_link_reply(struct zoc_host_link *link, struct zoc_msg *msg)
{
	u32 tag = le32_to_cpu(msg->hdr.tag);

	if (msg->hdr.type == ZOC_MSG_CTRL_REQ) {
		zoc_link_svm_request(link, msg);
		return;
	}
	if (msg->hdr.type == ZOC_MSG_IRQ) {
		/* Noted now, delivered once the lock is dropped. */
		zoc_host_bus_irq(le32_to_cpu(msg->hdr.dev),
				 le32_to_cpu(msg->irq.vector));
		return;
	}

	if (tag & ZOC_FLOOD_TAG && msg->hdr.type == ZOC_MSG_ECHO) {
		if ((tag & ~ZOC_FLOOD_TAG) != link->flood_next)
			link->flood_bad = true;
		link->flood_next++;
		link->flood_got++;
		return;
	}
	if (!zoc_pending_complete(link->pending, ZOC_PENDING, msg))
		link->unexpected++;
}

/*
 * Drain up to a ring's worth of the completion ring; true if more may be
 * waiting.  The budget keeps a service VM that never stops sending from
 * holding us in interrupt context.  Lock held.
 */
static bool zoc_link_drain(struct zoc_host_link *link)
{
	unsigned int budget = ZOC_LINK_RING_SLOTS;
	struct zoc_msg msg;
	int ret;

	if (!link->up)
		return false;
	do {
		while ((ret = zoc_ring_consume(&link->cpl, &msg)) != -EAGAIN) {
			if (ret == -EIO)
				return false;
			if (!ret)
				zoc_link_reply(link, &msg);
			if (!--budget)
				return true;
		}
	} while (zoc_ring_enable_notify(&link->cpl));
	return false;
}

/*
 * The tick: our heartbeat, the handshake with each new service VM epoch,
 * link resets after a corrupted ring, and the service VM's liveness.
 */
static void zoc_link_tick(struct work_struct *work)
{
	struct zoc_host_link *link =
		container_of(work, struct zoc_host_link, tick.work);
	struct zoc_link_area *area = link->area;
	struct zoc_link_side *svm = &area->svm;
	u32 svm_epoch, epoch;
	u64 heartbeat;

	spin_lock_irq(&link->lock);
	WRITE_ONCE(area->host.heartbeat,
		   cpu_to_le64(le64_to_cpu(area->host.heartbeat) + 1));
	if (zoc_read32(&svm->state) != ZOC_LINK_UP)
		goto out_unlock;
	svm_epoch = zoc_read32(&svm->epoch);
	epoch = le32_to_cpu(area->host.epoch);

	if (svm_epoch != le32_to_cpu(area->host.ack_epoch)) {
		/* A new service VM: what it was asked before is lost. */
		zoc_link_fail_pending(link, -ECONNRESET);
		if (link->up)
			zoc_host_bus_link_lost();
		zoc_link_format(link, svm_epoch);
		pr_info("zoc: service VM epoch %u: rings ready\n", svm_epoch);
		__zoc_link_ring(link, 0);
	} else if (link->up) {
		/* Take what a lost doorbell left; see if a ring was corrupted. */
		if (zoc_link_drain(link))
			mod_delayed_work(system_wq, &link->tick, 0);
		if (zoc_ring_broken(&link->req) || zoc_ring_broken(&link->cpl)) {
			zoc_link_fail_pending(link, -EIO);
			link->resets++;
			WRITE_ONCE(area->host.epoch, cpu_to_le32(++epoch));
			zoc_link_format(link, svm_epoch);
			pr_warn("zoc: the service VM corrupted a ring: link reset, host epoch %u\n",
				epoch);
			__zoc_link_ring(link, 0);
		}
	} else if (zoc_read32(&svm->ack_epoch) == epoch) {
		link->up = true;
		link->svm_heartbeat_at = jiffies;
		pr_info("zoc: link up (host epoch %u, service VM epoch %u)\n",
			epoch, svm_epoch);
		zoc_link_drain(link);
	}

	heartbeat = zoc_read64(&svm->heartbeat);
	if (heartbeat != link->svm_heartbeat) {
		link->svm_heartbeat = heartbeat;
		link->svm_heartbeat_at = jiffies;
		link->svm_dead = false;
	} else if (link->up && !link->svm_dead &&
		   time_after(jiffies, link->svm_heartbeat_at +
			      msecs_to_jiffies(ZOC_LINK_DEAD_MS))) {
		link->svm_dead = true;
		zoc_link_fail_pending(link, -ETIMEDOUT);
		zoc_host_bus_link_lost();
		pr_warn("zoc: the service VM stopped (no heartbeat for %u ms)\n",
			ZOC_LINK_DEAD_MS);
	}
out_unlock:
	spin_unlock_irq(&link->lock);
	zoc_host_bus_kick();
	wake_up_all(&link->wq);
	schedule_delayed_work(&link->tick, ZOC_TICK);
}

/**
 * zoc_host_link_attach - attach the transport that carries the doorbells
 * @ops: its operations
 * @priv: passed back to @ops
 * @own_id: the host's own doorbell address, published to the service VM
 *
 * Call once doorbells from the service VM can be received: the link is
 * declared up to the peer here.
 *
 * Return: 0, or -EBUSY if a transport is attached already.
 */
int zoc_host_link_attach(const struct zoc_host_transport_ops *ops, void *priv,
			 u32 own_id)
{
	struct zoc_host_link *link = &zoc_link;
	struct zoc_link_side *host = &link->area->host;
	unsigned long flags;

	spin_lock_irqsave(&link->lock, flags);
	if (link->ops) {
		spin_unlock_irqrestore(&link->lock, flags);
		return -EBUSY;
	}
	link->ops = ops;
	link->priv = priv;
	/*
	 * A new transport starts a new link: a new epoch, fresh rings, so
	 * that the state a service VM left behind is not taken for a live
	 * one.
	 */
	zoc_link_fail_pending(link, -ECONNRESET);
	WRITE_ONCE(host->epoch, cpu_to_le32(le32_to_cpu(host->epoch) + 1));
	zoc_link_format(link, zoc_read32(&link->area->svm.epoch));
	WRITE_ONCE(host->peer_id, cpu_to_le32(own_id));
	/* peer_id before state; pairs with the service VM's rmb. */
	smp_wmb();
	WRITE_ONCE(host->state, cpu_to_le32(ZOC_LINK_UP));
	spin_unlock_irqrestore(&link->lock, flags);
	mod_delayed_work(system_wq, &link->tick, 0);
	return 0;
}

/**
 * zoc_host_link_detach - detach a transport
 * @priv: as given to zoc_host_link_attach()
 *
 * No doorbell is rung through the transport once this returns.
 */
void zoc_host_link_detach(void *priv)
{
	struct zoc_host_link *link = &zoc_link;
	unsigned long flags;

	spin_lock_irqsave(&link->lock, flags);
	if (link->priv == priv) {
		WRITE_ONCE(link->area->host.state, cpu_to_le32(ZOC_LINK_DOWN));
		link->ops = NULL;
		link->priv = NULL;
		link->up = false;
		zoc_link_fail_pending(link, -ENOTCONN);
	}
	spin_unlock_irqrestore(&link->lock, flags);
	wake_up_all(&link->wq);
}

/**
 * zoc_host_link_doorbell - the service VM rang the host
 *
 * Called by the transport from its interrupt handler.
 */
void zoc_host_link_doorbell(void)
{
	struct zoc_host_link *link = &zoc_link;
	bool kick;

	atomic64_inc(&link->doorbells);
	WRITE_ONCE(link->area->host.doorbells,
		   cpu_to_le64(atomic64_read(&link->doorbells)));
	spin_lock(&link->lock);
	kick = zoc_link_drain(link) || !link->up || zoc_ring_broken(&link->cpl);
	spin_unlock(&link->lock);
	/* Interrupt handlers may touch the device: never under our lock. */
	zoc_host_bus_deliver();
	if (kick)
		mod_delayed_work(system_wq, &link->tick, 0);
	wake_up_all(&link->wq);
}

/**
 * zoc_host_link_call - send a request and wait for its reply
 * @msg: the request; its tag is assigned here
 * @reply: where the reply goes
 * @timeout: in jiffies
 *
 * Context: process context.
 * Return: 0 with the reply in @reply, -ENOTCONN if the link is down,
 * -EBUSY if too many requests are in flight or the ring is full,
 * -ETIMEDOUT if no reply came, -ECONNRESET or -EIO if the link was reset
 * meanwhile.
 */
int zoc_host_link_call(struct zoc_msg *msg, struct zoc_msg *reply,
		       unsigned long timeout)
{
	struct zoc_host_link *link = &zoc_link;
	struct zoc_pending *p;
	int ret;
	u32 tag;

	spin_lock_irq(&link->lock);
	p = zoc_pending_get(link->pending, ZOC_PENDING, &link->generation,
			    ZOC_FLOOD_TAG);
	if (!p) {
		spin_unlock_irq(&link->lock);
		return -EBUSY;
	}
	tag = p->tag;
	msg->hdr.tag = cpu_to_le32(tag);
	ret = __zoc_link_post(link, msg);
	if (ret)
		p->tag = 0;
	spin_unlock_irq(&link->lock);
	if (ret)
		return ret;

	wait_for_completion_timeout(&p->done, timeout);
	spin_lock_irq(&link->lock);
	ret = zoc_pending_result(p, tag, reply);
	if (ret == -ETIMEDOUT)
		link->timeouts++;
	spin_unlock_irq(&link->lock);
	return ret;
}

/* The answer is in the marker and its doorbell has arrived. */
static bool zoc_probe_answered(struct zoc_host_link *link, u64 seq,
			       s64 doorbells)
{
	return le64_to_cpu(READ_ONCE(link->marker->seq)) == seq &&
	       atomic64_read(&link->doorbells) != doorbells;
}

/*
 * One wiring probe: publish a fresh cookie in a marker page of host RAM,
 * ring the service VM and wait for it to write the cookie's complement
 * back into that page and ring us.
 */
static int zoc_link_probe(struct zoc_host_link *link)
{
	struct zoc_link_probe *probe = &link->area->probe;
	struct zoc_link_marker *m = link->marker;
	u64 cookie, seq;
	s64 doorbells;
	long left;
	int ret;

	mutex_lock(&link->probe_mutex);
	doorbells = atomic64_read(&link->doorbells);
	cookie = get_random_u64();
	seq = zoc_read64(&probe->seq) + 1;
	m->magic = cpu_to_le64(ZOC_LINK_MARKER_MAGIC);
	m->cookie = cpu_to_le64(cookie);
	m->echo = 0;
	m->seq = 0;
	WRITE_ONCE(probe->marker_addr, cpu_to_le64(virt_to_phys(m)));
	WRITE_ONCE(probe->cookie, cpu_to_le64(cookie));
	/* Marker and probe before seq; pairs with the service VM's rmb. */
	smp_wmb();
	WRITE_ONCE(probe->seq, cpu_to_le64(seq));
	WRITE_ONCE(link->area->host.probes, cpu_to_le64(seq));

	ret = zoc_link_ring(link, 0);
	if (ret)
		goto out;
	left = wait_event_interruptible_timeout(link->wq,
						zoc_probe_answered(link, seq, doorbells) ||
						!READ_ONCE(link->ops),
						ZOC_PROBE_TIMEOUT);
	if (left < 0) {
		ret = left;
		goto out;
	}
	if (!zoc_probe_answered(link, seq, doorbells)) {
		ret = link->ops ? -ETIMEDOUT : -ENOTCONN;
		goto out_failed;
	}
	/* seq before echo; pairs with the service VM's wmb. */
	smp_rmb();
	if (le64_to_cpu(READ_ONCE(m->echo)) != ~cookie) {
		ret = -EPROTO;
		goto out_failed;
	}
	link->probes_ok++;
	goto out;

out_failed:
	link->probes_failed++;
out:
	mutex_unlock(&link->probe_mutex);
	return ret;
}

/**
 * zoc_host_link_post - send a message that needs no reply (a posted write)
 * @msg: the message
 *
 * Context: any.
 * Return: 0, -ENOTCONN or -ETIMEDOUT if the link is down, -ENOSPC if the
 * request ring is full.
 */
int zoc_host_link_post(struct zoc_msg *msg)
{
	struct zoc_host_link *link = &zoc_link;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&link->lock, flags);
	ret = __zoc_link_post(link, msg);
	spin_unlock_irqrestore(&link->lock, flags);
	return ret;
}

/**
 * zoc_host_link_call_atomic - send a request and poll for its reply
 * @msg: the request; its tag is assigned here
 * @reply: where the reply goes
 * @timeout_ns: how long to poll
 *
 * For callers that cannot sleep: emulated MMIO reads, which may come with
 * interrupts disabled.  The completion ring is drained while polling.
 *
 * Context: any.
 * Return: as zoc_host_link_call().
 */
int zoc_host_link_call_atomic(struct zoc_msg *msg, struct zoc_msg *reply,
			      u64 timeout_ns)
{
	struct zoc_host_link *link = &zoc_link;
	u64 end = ktime_get_ns() + timeout_ns;
	struct zoc_pending *p;
	unsigned long flags;
	int ret;
	u32 tag;

	spin_lock_irqsave(&link->lock, flags);
	p = zoc_pending_get(link->pending, ZOC_PENDING, &link->generation,
			    ZOC_FLOOD_TAG);
	if (!p) {
		spin_unlock_irqrestore(&link->lock, flags);
		return -EBUSY;
	}
	tag = p->tag;
	msg->hdr.tag = cpu_to_le32(tag);
	ret = __zoc_link_post(link, msg);
	if (ret) {
		p->tag = 0;
		spin_unlock_irqrestore(&link->lock, flags);
		return ret;
	}
	while (p->tag == tag && ktime_get_ns() < end) {
		zoc_link_drain(link);
		spin_unlock_irqrestore(&link->lock, flags);
		cpu_relax();
		spin_lock_irqsave(&link->lock, flags);
	}
	ret = zoc_pending_result(p, tag, reply);
	if (ret == -ETIMEDOUT)
		link->timeouts++;
	spin_unlock_irqrestore(&link->lock, flags);
	zoc_host_bus_kick();
	return ret;
}

/* @count echo round trips, one at a time; each reply must be its request. */
static int zoc_link_echo(struct zoc_host_link *link, u32 count)
{
	struct zoc_msg msg, reply;
	int ret = 0;
	u32 i;

	mutex_lock(&link->call_mutex);
	for (i = 0; i < count && !ret; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.hdr.type = ZOC_MSG_ECHO;
		msg.hdr.len = cpu_to_le16(16);
		put_unaligned_le64(i, msg.data);
		put_unaligned_le64(get_random_u64(), msg.data + 8);
		ret = zoc_host_link_call(&msg, &reply, ZOC_CALL_TIMEOUT);
		if (!ret && (reply.hdr.type != ZOC_MSG_ECHO ||
			     reply.hdr.tag != msg.hdr.tag ||
			     memcmp(reply.data, msg.data, 16)))
			ret = -EPROTO;
		if (!ret && signal_pending(current))
			ret = -EINTR;
		spin_lock_irq(&link->lock);
		link->echoes += !ret;
		spin_unlock_irq(&link->lock);
	}
	mutex_unlock(&link->call_mutex);
	return ret;
}

/*
 * @count echo requests posted as fast as the ring takes them; the replies
 * must come back in order.  Doorbells are rung only when the consumer asks.
 */
static int zoc_link_flood(struct zoc_host_link *link, u32 count)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_ECHO };
	int ret = 0;
	u32 i = 0;

	msg.hdr.len = cpu_to_le16(8);
	mutex_lock(&link->call_mutex);
	spin_lock_irq(&link->lock);
	link->flood_next = 0;
	link->flood_got = 0;
	link->flood_bad = false;
	spin_unlock_irq(&link->lock);
	while (i < count && !ret) {
		spin_lock_irq(&link->lock);
		/* Never more in flight than the completion ring holds. */
		while (i < count && i - link->flood_got < ZOC_LINK_RING_SLOTS) {
			msg.hdr.tag = cpu_to_le32(ZOC_FLOOD_TAG | i);
			put_unaligned_le64(i, msg.data);
			ret = __zoc_link_post(link, &msg);
			if (ret)
				break;
			i++;
		}
		if (!ret && i < count)
			ret = -ENOSPC;
		spin_unlock_irq(&link->lock);
		if (ret == -ENOSPC) {
			usleep_range(20, 50);
			ret = signal_pending(current) ? -EINTR : 0;
		}
	}
	if (!ret)
		wait_event_timeout(link->wq, READ_ONCE(link->flood_got) == count ||
				   READ_ONCE(link->flood_bad) ||
				   !READ_ONCE(link->up), ZOC_FLOOD_TIMEOUT);
	spin_lock_irq(&link->lock);
	if (!ret && link->flood_bad)
		ret = -EPROTO;
	else if (!ret && link->flood_got != count)
		ret = -ETIMEDOUT;
	spin_unlock_irq(&link->lock);
	mutex_unlock(&link->call_mutex);
	return ret;
}

/*
 * Ask a service VM with test hooks to ping us @count times: its requests
 * and our replies go the other way round the rings.
 */
static int zoc_link_svm_ping(struct zoc_host_link *link, u32 count)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ }, reply;
	int ret;

	msg.hdr.len = cpu_to_le16(8 + sizeof(count));
	msg.ctrl.opcode = cpu_to_le32(ZOC_CTRL_TEST_PING_HOST);
	put_unaligned_le32(count, msg.ctrl.data);
	ret = zoc_host_link_call(&msg, &reply, ZOC_CALL_TIMEOUT +
				 count * ZOC_CALL_TIMEOUT / 100);
	if (ret)
		return ret;
	if (reply.hdr.type != ZOC_MSG_CTRL_REPLY ||
	    le32_to_cpu(reply.ctrl.status) != ZOC_MSG_OK)
		return -EIO;
	return 0;
}

/* Ask a service VM with test hooks to corrupt the completion ring. */
static int zoc_link_corrupt(struct zoc_host_link *link, u32 unused)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ };
	int ret;

	msg.hdr.len = cpu_to_le16(8);
	msg.ctrl.opcode = cpu_to_le32(ZOC_CTRL_TEST_CORRUPT);
	spin_lock_irq(&link->lock);
	ret = __zoc_link_post(link, &msg);
	spin_unlock_irq(&link->lock);
	return ret;
}

/* Writes to debugfs: "echo", "flood", "svm_ping" take a count. */
static ssize_t zoc_test_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	int (*test)(struct zoc_host_link *link, u32 count) =
		file->f_path.dentry->d_inode->i_private;
	u32 n;
	int ret;

	ret = kstrtou32_from_user(buf, count, 0, &n);
	if (ret)
		return ret;
	ret = test(&zoc_link, n);
	return ret ? ret : count;
}

static const struct file_operations zoc_test_fops = {
	.owner = THIS_MODULE,
	.write = zoc_test_write,
	.llseek = noop_llseek,
};

static ssize_t zoc_probe_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	int ret = zoc_link_probe(&zoc_link);

	return ret ? ret : count;
}

static const struct file_operations zoc_probe_fops = {
	.owner = THIS_MODULE,
	.write = zoc_probe_write,
	.llseek = noop_llseek,
};

#define ZOC_LATENCY_ROUNDS	2000

static int zoc_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Time @rounds calls of @fn; print the median and the 99th percentile. */
static int zoc_latency(struct seq_file *s, const char *what,
		       int (*fn)(struct zoc_host_link *link, u32 count))
{
	u64 *ns, t;
	int i, ret = 0;

	ns = kvmalloc_array(ZOC_LATENCY_ROUNDS, sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return -ENOMEM;
	for (i = 0; i < ZOC_LATENCY_ROUNDS && !ret; i++) {
		t = ktime_get_ns();
		ret = fn(&zoc_link, 1);
		ns[i] = ktime_get_ns() - t;
	}
	if (!ret) {
		sort(ns, ZOC_LATENCY_ROUNDS, sizeof(*ns), zoc_cmp_u64, NULL);
		seq_printf(s, "%s_p50_ns: %llu\n", what, ns[ZOC_LATENCY_ROUNDS / 2]);
		seq_printf(s, "%s_p99_ns: %llu\n", what,
			   ns[ZOC_LATENCY_ROUNDS * 99 / 100]);
	}
	kvfree(ns);
	return ret;
}

static int zoc_probe_once(struct zoc_host_link *link, u32 count)
{
	return zoc_link_probe(link);
}

/*
 * "latency": round trips through the rings (an echo request and its reply,
 * with the doorbells the other side asks for) against bare doorbell round
 * trips (the wiring probe: a doorbell each way around two shared memory
 * accesses), measured in the same run.
 */
static int zoc_latency_show(struct seq_file *s, void *unused)
{
	return zoc_latency(s, "echo", zoc_link_echo) ?:
	       zoc_latency(s, "doorbell", zoc_probe_once);
}
DEFINE_SHOW_ATTRIBUTE(zoc_latency);

static const char * const zoc_state_names[] = {
	[ZOC_LINK_DOWN] = "down",
	[ZOC_LINK_UP] = "up",
};

static const char *zoc_state_name(u32 state)
{
	return state < ARRAY_SIZE(zoc_state_names) ? zoc_state_names[state] :
						     "invalid";
}

/* "restarting": a new service VM epoch the tick has not taken yet.  Locked. */
static const char *zoc_link_status_name(struct zoc_host_link *link)
{
	struct zoc_link_side *host = &link->area->host;
	struct zoc_link_side *svm = &link->area->svm;

	if (!link->up)
		return "down";
	if (link->svm_dead)
		return "stalled";
	if (zoc_read32(&svm->epoch) != zoc_read32(&host->ack_epoch))
		return "restarting";
	return "up";
}

static int zoc_link_show(struct seq_file *s, void *unused)
{
	struct zoc_host_link *link = s->private;
	struct zoc_link_side *host = &link->area->host;
	struct zoc_link_side *svm = &link->area->svm;

	seq_printf(s, "aperture: %pR\n", link->res);
	seq_printf(s, "host_state: %s\n", zoc_state_name(zoc_read32(&host->state)));
	seq_printf(s, "host_epoch: %u\n", zoc_read32(&host->epoch));
	seq_printf(s, "svm_state: %s\n", zoc_state_name(zoc_read32(&svm->state)));
	seq_printf(s, "svm_epoch: %u\n", zoc_read32(&svm->epoch));
	seq_printf(s, "doorbells_rx: %lld\n", atomic64_read(&link->doorbells));
	seq_printf(s, "doorbells_tx: %lld\n", atomic64_read(&link->rung));
	seq_printf(s, "svm_doorbells_rx: %llu\n", zoc_read64(&svm->doorbells));
	seq_printf(s, "probes_ok: %llu\n", link->probes_ok);
	seq_printf(s, "probes_failed: %llu\n", link->probes_failed);
	seq_printf(s, "svm_probes: %llu\n", zoc_read64(&svm->probes));

	spin_lock_irq(&link->lock);
	seq_printf(s, "link: %s\n", zoc_link_status_name(link));
	seq_printf(s, "svm_heartbeat: %llu\n", link->svm_heartbeat);
	seq_printf(s, "resets: %llu\n", link->resets);
	seq_printf(s, "timeouts: %llu\n", link->timeouts);
	seq_printf(s, "echoes: %llu\n", link->echoes);
	seq_printf(s, "unexpected_replies: %llu\n", link->unexpected);
	seq_printf(s, "svm_pings: %llu\n", link->svm_pings);
	seq_printf(s, "dropped_replies: %llu\n", link->dropped);
	zoc_ring_seq_show(s, "req", &link->req);
	zoc_ring_seq_show(s, "cpl", &link->cpl);
	spin_unlock_irq(&link->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zoc_link);

/* The link as netlink reports it. */
void zoc_host_link_status(struct zoc_host_link_status *st)
{
	struct zoc_host_link *link = &zoc_link;
	struct zoc_link_side *host = &link->area->host;
	struct zoc_link_side *svm = &link->area->svm;

	spin_lock_irq(&link->lock);
	st->state = !link->up ? ZOC_LINK_STATUS_DOWN :
		    link->svm_dead ? ZOC_LINK_STATUS_STALLED :
		    zoc_read32(&svm->epoch) != zoc_read32(&host->ack_epoch) ?
		    ZOC_LINK_STATUS_RESTARTING : ZOC_LINK_STATUS_UP;
	st->epoch = zoc_read32(&host->ack_epoch);
	st->resets = link->resets;
	st->timeouts = link->timeouts;
	spin_unlock_irq(&link->lock);
}

/* The device page of @slot, in the link area. */
struct zoc_dev_page *zoc_host_link_dev_page(unsigned int slot)
{
	return (void *)zoc_link.area + ZOC_LINK_DEV_PAGES +
	       slot * ZOC_LINK_DEV_PAGE_SIZE;
}

/* For the window of the bare-metal transport. */
bool zoc_host_link_in_link_area(phys_addr_t phys)
{
	return phys >= zoc_link.res->start &&
	       phys - zoc_link.res->start < ZOC_LINK_AREA_SIZE;
}

phys_addr_t zoc_host_link_aperture_end(void)
{
	return zoc_link.res->end + 1;
}

static int zoc_parse_aperture(phys_addr_t *base, size_t *size)
{
	char *at;

	if (!aperture)
		return -EINVAL;
	*size = memparse(aperture, &at);
	if (*at != '@')
		return -EINVAL;
	*base = memparse(at + 1, &at);
	if (*at && *at != '\n')
		return -EINVAL;
	if (!*size || !PAGE_ALIGNED(*base) || !PAGE_ALIGNED(*size) ||
	    *size < ZOC_LINK_AREA_SIZE || *base + *size < *base)
		return -EINVAL;
	return 0;
}

static int zoc_link_init(struct zoc_host_link *link)
{
	struct zoc_link_area *area;
	phys_addr_t base;
	size_t size;
	u32 epoch;

	if (zoc_parse_aperture(&base, &size)) {
		pr_err("zoc: aperture=SIZE@ADDR (page aligned) is required, got '%s'\n",
		       aperture ?: "");
		return -EINVAL;
	}
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("zoc: aperture %pa+%zx is System RAM; reserve it with memmap=\n",
		       &base, size);
		return -EINVAL;
	}
	/*
	 * The aperture is claimed, not busy: the bus's BARs nest in it and
	 * their drivers request them.  Only the link area is ours alone.
	 */
	link->aperture.name = "zoc aperture";
	link->aperture.start = base;
	link->aperture.end = base + size - 1;
	link->aperture.flags = IORESOURCE_MEM;
	if (insert_resource(&iomem_resource, &link->aperture))
		return -EBUSY;
	link->res = &link->aperture;
	if (!request_mem_region(base, ZOC_LINK_AREA_SIZE, "zoc link area")) {
		remove_resource(&link->aperture);
		return -EBUSY;
	}

	area = memremap(base, ZOC_LINK_AREA_SIZE, MEMREMAP_WB);
	if (!area)
		goto out_release;
	link->marker = (void *)get_zeroed_page(GFP_KERNEL);
	if (!link->marker)
		goto out_unmap;

	/*
	 * A new epoch tells the service VM that the host (re)started; the
	 * previous value is only used if the area was ours before.
	 */
	epoch = le64_to_cpu(area->magic) == ZOC_LINK_MAGIC ?
		le32_to_cpu(area->host.epoch) + 1 : 1;
	memset(&area->host, 0, sizeof(area->host));
	memset(&area->probe, 0, sizeof(area->probe));
	area->host.epoch = cpu_to_le32(epoch);
	area->version = cpu_to_le32(ZOC_LINK_VERSION);
	area->size = cpu_to_le32(ZOC_LINK_AREA_SIZE);
	/* Everything else before the magic; pairs with the service VM's rmb. */
	smp_wmb();
	WRITE_ONCE(area->magic, cpu_to_le64(ZOC_LINK_MAGIC));
	link->area = area;
	return 0;

out_unmap:
	memunmap(area);
out_release:
	release_mem_region(base, ZOC_LINK_AREA_SIZE);
	remove_resource(&link->aperture);
	return -ENOMEM;
}

static void zoc_link_exit(struct zoc_host_link *link)
{
	WRITE_ONCE(link->area->host.state, cpu_to_le32(ZOC_LINK_DOWN));
	WRITE_ONCE(link->area->probe.marker_addr, 0);
	free_page((unsigned long)link->marker);
	memunmap(link->area);
	release_mem_region(link->res->start, ZOC_LINK_AREA_SIZE);
	remove_resource(&link->aperture);
}

static int __init zoc_host_init(void)
{
	struct zoc_host_link *link = &zoc_link;
	int ret;

	spin_lock_init(&link->lock);
	mutex_init(&link->probe_mutex);
	mutex_init(&link->call_mutex);
	init_waitqueue_head(&link->wq);
	INIT_DELAYED_WORK(&link->tick, zoc_link_tick);
	zoc_pending_init(link->pending, ZOC_PENDING);

	ret = zoc_link_init(link);
	if (ret)
		return ret;
	link->dir = debugfs_create_dir("zoc", NULL);
	debugfs_create_file("link", 0444, link->dir, link, &zoc_link_fops);
	debugfs_create_file("probe", 0200, link->dir, link, &zoc_probe_fops);
	debugfs_create_file("echo", 0200, link->dir, zoc_link_echo,
			    &zoc_test_fops);
	debugfs_create_file("flood", 0200, link->dir, zoc_link_flood,
			    &zoc_test_fops);
	debugfs_create_file("corrupt", 0200, link->dir, zoc_link_corrupt,
			    &zoc_test_fops);
	debugfs_create_file("svm_ping", 0200, link->dir, zoc_link_svm_ping,
			    &zoc_test_fops);
	debugfs_create_file("latency", 0400, link->dir, link, &zoc_latency_fops);
	schedule_delayed_work(&link->tick, 0);

	ret = zoc_host_chardev_init();
	if (ret)
		goto out_debugfs;
	ret = zoc_host_bus_init(link->res, link->dir);
	if (ret)
		goto out_chardev_only;
	ret = zoc_host_netlink_init();
	if (ret)
		goto out_bus;
	ret = zoc_host_ivshmem_init();
	if (ret)
		goto out_netlink;
	pr_info("zoc: host link at %pR, epoch %u\n", link->res,
		le32_to_cpu(link->area->host.epoch));
	return 0;

out_netlink:
	zoc_host_netlink_exit();
out_bus:
	zoc_host_bus_exit();
out_chardev_only:
	zoc_host_chardev_exit();
out_debugfs:
	cancel_delayed_work_sync(&link->tick);
	debugfs_remove_recursive(link->dir);
	zoc_link_exit(link);
	return ret;
}

static void __exit zoc_host_exit(void)
{
	struct zoc_host_link *link = &zoc_link;

	zoc_host_ivshmem_exit();
	zoc_host_netlink_exit();
	zoc_host_bus_exit();
	zoc_host_chardev_exit();
	debugfs_remove_recursive(link->dir);
	cancel_delayed_work_sync(&link->tick);
	zoc_link_exit(link);
}

module_init(zoc_host_init);
module_exit(zoc_host_exit);
MODULE_DESCRIPTION("ZOC host: virtual PCI bus and link to the service VM");
MODULE_LICENSE("GPL");
