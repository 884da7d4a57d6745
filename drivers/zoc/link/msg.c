// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC link messages, both ends: sending by class over the transmit ring,
 * the replies to the peer's requests and the requests of our own in
 * flight, and taking what the peer sent on the receiving ring, within a
 * budget of doorbells (link.c has the handshake and the heartbeat).
 *
 * Sending classes.  A side's transmit ring keeps room for what must never
 * be refused for want of it: the replies to the peer's requests (at most
 * ZOC_LINK_PENDING in flight), then our own requests (as many).  Posted
 * messages (writes, doorbells, interrupts) use the rest, so that a flood
 * of them can neither stop a read nor make a reply go missing.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "link.h"
#include "test_wire.h"

/* Room a send must leave free on the transmit ring, by class. */
#define ZOC_LINK_KEEP_REPLY	0
#define ZOC_LINK_KEEP_CALL	ZOC_LINK_PENDING
#define ZOC_LINK_KEEP_POST	(2 * ZOC_LINK_PENDING)

static_assert(ZOC_LINK_KEEP_POST < ZOC_LINK_RING_SLOTS);

/*
 * Queue the tick now, unless it has been stopped.  A tick that runs
 * meanwhile would queue itself again after its period, cancelling this:
 * @kicked makes it queue itself at once.  rx_lock held.
 */
static void __zoc_link_kick(struct zoc_link *link)
{
	if (!link->running)
		return;
	link->kicked = true;
	mod_delayed_work(system_wq, &link->tick, 0);
}

/* Queue the tick now.  Any context, no lock held. */
void zoc_link_kick(struct zoc_link *link)
{
	unsigned long flags;

	spin_lock_irqsave(&link->rx_lock, flags);
	__zoc_link_kick(link);
	spin_unlock_irqrestore(&link->rx_lock, flags);
}

/* Queue the poll, unless the tick has been stopped.  No lock held. */
void zoc_link_poll_later(struct zoc_link *link)
{
	unsigned long flags;

	spin_lock_irqsave(&link->rx_lock, flags);
	if (link->running)
		queue_work(system_wq, &link->poll);
	spin_unlock_irqrestore(&link->rx_lock, flags);
}

/**
 * zoc_link_ring_peer - ring the peer, if it said it can take doorbells
 * @link: the link
 * @vector: the peer's doorbell vector
 *
 * Context: any.
 * Return: 0, or -ENOTCONN if no transport is attached or the peer is not
 * up.
 */
int zoc_link_ring_peer(struct zoc_link *link, u16 vector)
{
	struct zoc_link_transport *t;
	int ret = -ENOTCONN;
	u32 peer;

	rcu_read_lock();
	t = rcu_dereference(link->transport);
	if (t && zoc_read32(&link->peer->state) == ZOC_LINK_UP) {
		/* peer_id after state; pairs with the peer's virt_wmb(). */
		virt_rmb();
		peer = zoc_read32(&link->peer->peer_id);
		t->ops->ring(t->priv, peer, vector);
		atomic64_inc(&link->stats.doorbells_tx);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(zoc_link_ring_peer);

/*
 * Send @msg, leaving @keep slots of the transmit ring free, and ring the
 * peer if it asked.  tx_lock held.
 */
static int __zoc_link_send(struct zoc_link *link, const struct zoc_msg *msg,
			   u32 keep)
{
	int ret;

	if (link->state != ZOC_LINK_S_UP)
		return -ENOTCONN;
	if (link->peer_stalled)
		return -ETIMEDOUT;
	ret = zoc_ring_room(&link->tx, keep);
	if (!ret)
		ret = zoc_ring_produce(&link->tx, msg);
	if (!ret && zoc_ring_need_doorbell(&link->tx))
		zoc_link_ring_peer(link, 0);
	return ret;
}

static int zoc_link_send(struct zoc_link *link, const struct zoc_msg *msg,
			 u32 keep)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&link->tx_lock, flags);
	ret = __zoc_link_send(link, msg, keep);
	if (ret && keep)
		link->stats.refused++;
	else if (ret)
		link->stats.dropped++;
	spin_unlock_irqrestore(&link->tx_lock, flags);
	return ret;
}

/**
 * zoc_link_post - send a message that needs no reply
 * @link: the link
 * @msg: the message: a posted write, a doorbell, an interrupt, an event
 *
 * Posted messages never take the room kept for replies and requests.
 *
 * Context: any.
 * Return: 0, -ENOTCONN if the link is not up, -ETIMEDOUT if the peer
 * stopped beating, -ENOSPC if the ring has no room for posted messages,
 * -EIO if it is broken.
 */
int zoc_link_post(struct zoc_link *link, const struct zoc_msg *msg)
{
	return zoc_link_send(link, msg, ZOC_LINK_KEEP_POST);
}
EXPORT_SYMBOL_GPL(zoc_link_post);

/**
 * zoc_link_post_wait - send a message that needs no reply, waiting for room
 * @link: the link
 * @msg: the message: a posted write
 * @timeout_ns: how long to wait for room
 *
 * For posted messages that must not be lost: a full ring is waited out
 * (the peer is consuming), not dropped.
 *
 * Context: any; spins.
 * Return: as zoc_link_post(), but -ETIMEDOUT rather than -ENOSPC when
 * no room came in time.
 */
int zoc_link_post_wait(struct zoc_link *link, const struct zoc_msg *msg,
		       u64 timeout_ns)
{
	unsigned long flags;
	u64 end = 0;
	int ret;

	spin_lock_irqsave(&link->tx_lock, flags);
	while ((ret = __zoc_link_send(link, msg, ZOC_LINK_KEEP_POST)) ==
	       -ENOSPC) {
		if (!end) {
			link->stats.waits++;
			end = ktime_get_ns() + timeout_ns;
		} else if (ktime_get_ns() >= end) {
			ret = -ETIMEDOUT;
			break;
		}
		spin_unlock_irqrestore(&link->tx_lock, flags);
		cpu_relax();
		spin_lock_irqsave(&link->tx_lock, flags);
	}
	if (ret)
		link->stats.refused++;
	spin_unlock_irqrestore(&link->tx_lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(zoc_link_post_wait);

/**
 * zoc_link_reply - answer one of the peer's requests
 * @link: the link
 * @msg: the reply, with the request's tag
 *
 * Replies may use every free slot: the peer has at most ZOC_LINK_PENDING
 * requests in flight, and that much room is kept for them.
 *
 * Context: any.
 * Return: as zoc_link_post().
 */
int zoc_link_reply(struct zoc_link *link, const struct zoc_msg *msg)
{
	return zoc_link_send(link, msg, ZOC_LINK_KEEP_REPLY);
}
EXPORT_SYMBOL_GPL(zoc_link_reply);

/**
 * zoc_link_reply_status - refuse one of the peer's requests
 * @link: the link
 * @req: the request: ZOC_MSG_MMIO_READ or ZOC_MSG_CTRL_REQ; nothing is
 *	sent for other types (they are posted)
 * @status: ZOC_MSG_E*
 *
 * Context: any.
 */
void zoc_link_reply_status(struct zoc_link *link, const struct zoc_msg *req,
			   u32 status)
{
	struct zoc_msg reply = { .hdr = req->hdr };

	switch (req->hdr.type) {
	case ZOC_MSG_MMIO_READ:
		reply.hdr.type = ZOC_MSG_MMIO_REPLY;
		reply.hdr.len = cpu_to_le16(sizeof(reply.reply));
		reply.reply.value = cpu_to_le64(~0ULL);
		reply.reply.status = cpu_to_le32(status);
		break;
	case ZOC_MSG_CTRL_REQ:
		reply.hdr.type = ZOC_MSG_CTRL_REPLY;
		reply.hdr.len = cpu_to_le16(offsetof(struct zoc_msg_ctrl, data));
		reply.ctrl.opcode = req->ctrl.opcode;
		reply.ctrl.status = cpu_to_le32(status);
		break;
	default:
		return;
	}
	zoc_link_reply(link, &reply);
}
EXPORT_SYMBOL_GPL(zoc_link_reply_status);

/*
 * Whether a message of this type from the peer may answer our request.
 * Built for tests, the service VM's echoes answer the host's.
 */
static bool zoc_link_is_reply(struct zoc_link *link, u8 type)
{
	return type == ZOC_MSG_MMIO_REPLY || type == ZOC_MSG_CTRL_REPLY ||
	       (IS_ENABLED(CONFIG_ZOC_TEST_HOOKS) &&
		type == ZOC_TEST_MSG_ECHO && link->role == ZOC_LINK_ROLE_HOST);
}

/*
 * One message from the peer.  A reply whose tag has ZOC_LINK_TAG_OTHER
 * answers no request of the link's own: its client sent it, and gets it.
 * rx_lock held.
 */
static void zoc_link_dispatch(struct zoc_link *link, struct zoc_msg *msg)
{
	bool other = le32_to_cpu(msg->hdr.tag) & ZOC_LINK_TAG_OTHER;
	bool matched;

	if (zoc_link_is_reply(link, msg->hdr.type) && !other) {
		spin_lock(&link->tx_lock);
		matched = zoc_pending_complete(link->pending, ZOC_LINK_PENDING,
					       msg);
		if (!matched)
			link->stats.unexpected++;
		spin_unlock(&link->tx_lock);
		return;
	} else if (msg->hdr.type == ZOC_MSG_CTRL_REQ &&
		   le32_to_cpu(msg->ctrl.opcode) == ZOC_CTRL_PING) {
		msg->hdr.type = ZOC_MSG_CTRL_REPLY;
		msg->ctrl.status = cpu_to_le32(ZOC_MSG_OK);
		if (!zoc_link_reply(link, msg))
			link->stats.pings++;
		return;
	}
	link->client->receive(link, msg);
}

/*
 * Whether a request may be taken: its reply needs a slot.  A peer that
 * does not wait for our replies before sending more is held back, not
 * answered out of order.
 */
static bool zoc_link_can_take(struct zoc_link *link)
{
	bool ok;

	if (link->role == ZOC_LINK_ROLE_HOST)
		return true;
	spin_lock(&link->tx_lock);
	ok = !zoc_ring_room(&link->tx, link->late_replies);
	spin_unlock(&link->tx_lock);
	return ok;
}

/*
 * Take up to a ring's worth of messages; true if more may be waiting.  The
 * budget keeps a peer that never stops sending from holding us in
 * interrupt context.  A service VM whose completion ring is full stops
 * taking requests and tries again at the next tick.  rx_lock held.
 */
bool zoc_link_drain(struct zoc_link *link)
{
	unsigned int budget = ZOC_LINK_RING_SLOTS;
	struct zoc_msg msg;
	int ret;

	if (link->state != ZOC_LINK_S_UP)
		return false;
	do {
		for (;;) {
			if (!zoc_link_can_take(link))
				return false;
			ret = zoc_ring_consume(&link->rx, &msg);
			if (ret == -EAGAIN)
				break;
			if (ret == -EIO)
				return false;
			if (!ret)
				zoc_link_dispatch(link, &msg);
			if (!--budget)
				return true;
		}
	} while (zoc_ring_enable_notify(&link->rx));
	return false;
}

/*
 * Whether the peer left its side, or published an epoch we have not
 * acknowledged: the tick has to see it now, not at the next heartbeat.
 */
static bool zoc_link_peer_moved(struct zoc_link *link)
{
	return zoc_read32(&link->peer->state) != ZOC_LINK_UP ||
	       zoc_read32(&link->peer->epoch) !=
	       zoc_read32(&link->own->ack_epoch);
}

/*
 * Whether a doorbell is past this jiffy's budget; if so, it is counted and
 * the poll is queued for it.  Stopped, the link has no poll: every
 * doorbell is taken.  rx_lock held.
 */
static bool zoc_link_over_budget(struct zoc_link *link)
{
	unsigned long now = jiffies;

	if (link->db_jiffy != now) {
		link->db_jiffy = now;
		link->db_taken = 0;
	}
	if (!link->running || link->db_taken < ZOC_LINK_IRQ_BUDGET) {
		link->db_taken++;
		return false;
	}
	link->stats.polled++;
	queue_work(system_wq, &link->poll);
	return true;
}

/*
 * Take what the peer sent; kick the tick for what is not a message, the
 * poll for what is left of a full drain.  @irq: from a doorbell, within
 * its budget, as for @receive_end.
 */
static void zoc_link_take(struct zoc_link *link, bool irq)
{
	unsigned long flags;
	bool more, kick;

	spin_lock_irqsave(&link->rx_lock, flags);
	if (irq && zoc_link_over_budget(link)) {
		spin_unlock_irqrestore(&link->rx_lock, flags);
		return;
	}
	more = zoc_link_drain(link);
	kick = link->state != ZOC_LINK_S_UP || zoc_ring_broken(&link->rx) ||
	       zoc_ring_broken(&link->tx) || zoc_link_peer_moved(link) ||
	       zoc_link_queues_broken(link);
	if (kick)
		__zoc_link_kick(link);
	else if (more && link->running)
		queue_work(system_wq, &link->poll);
	spin_unlock_irqrestore(&link->rx_lock, flags);
	/* The poll takes what the data queues' budgets left too */
	if (!irq && zoc_link_queues_take_all(link))
		zoc_link_poll_later(link);
	if (link->client->receive_end)
		link->client->receive_end(link, irq);
	wake_up_all(&link->wq);
}

void zoc_link_poll(struct work_struct *work)
{
	zoc_link_take(container_of(work, struct zoc_link, poll), false);
}

/**
 * zoc_link_doorbell - the peer rang us
 * @link: the link
 *
 * Takes what the peer sent, then lets the client deliver what it noted;
 * past ZOC_LINK_IRQ_BUDGET doorbells in a jiffy, the link's poll does, in
 * process context.  Called by the transport.
 *
 * Context: any, typically the transport's interrupt handler.
 */
void zoc_link_doorbell(struct zoc_link *link)
{
	WRITE_ONCE(link->own->doorbells,
		   cpu_to_le64(atomic64_inc_return(&link->stats.doorbells_rx)));
	zoc_link_take(link, true);
}
EXPORT_SYMBOL_GPL(zoc_link_doorbell);

/*
 * A request slot for a call, NULL if none is free: calls that sleep, some
 * of them control requests held for seconds, leave the last
 * ZOC_LINK_PENDING_ATOMIC to atomic calls, register reads that must not
 * wait for them.  tx_lock held.
 */
static struct zoc_pending *zoc_link_slot(struct zoc_link *link, bool sleeps)
{
	struct zoc_pending *p;

	if (sleeps &&
	    link->sleeping >= ZOC_LINK_PENDING - ZOC_LINK_PENDING_ATOMIC)
		return NULL;
	p = zoc_pending_get(link->pending, ZOC_LINK_PENDING, &link->generation,
			    ZOC_LINK_TAG_OTHER);
	if (p && sleeps)
		link->sleeping++;
	return p;
}

/**
 * zoc_link_call - send a request and wait for its reply
 * @link: the link
 * @msg: the request; its tag is assigned here
 * @reply: where the reply goes
 * @timeout: in jiffies, for a request slot (of ZOC_LINK_PENDING), room on
 *	the ring and the reply together
 *
 * Context: process context.
 * Return: 0 with the reply in @reply, -ENOTCONN if the link is not up,
 * -ETIMEDOUT if no slot, no room or no reply came in time, -ECONNRESET or
 * -EIO if the link was reset meanwhile.
 */
int zoc_link_call(struct zoc_link *link, struct zoc_msg *msg,
		  struct zoc_msg *reply, unsigned long timeout)
{
	unsigned long end = jiffies + timeout;
	struct zoc_pending *p;
	long left;
	int ret;
	u32 tag;

	spin_lock_irq(&link->tx_lock);
	/* Wait for a slot as for room: the calls in flight end in time. */
	while (!(p = zoc_link_slot(link, true)) && time_before(jiffies, end)) {
		link->stats.slot_waits++;
		spin_unlock_irq(&link->tx_lock);
		usleep_range(20, 100);
		spin_lock_irq(&link->tx_lock);
	}
	if (!p) {
		link->stats.timeouts++;
		spin_unlock_irq(&link->tx_lock);
		return -ETIMEDOUT;
	}
	tag = p->tag;
	msg->hdr.tag = cpu_to_le32(tag);
	/* Wait for room rather than fail: the peer is consuming. */
	while ((ret = __zoc_link_send(link, msg, ZOC_LINK_KEEP_CALL)) ==
	       -ENOSPC && time_before(jiffies, end)) {
		link->stats.waits++;
		spin_unlock_irq(&link->tx_lock);
		usleep_range(20, 100);
		spin_lock_irq(&link->tx_lock);
	}
	if (ret) {
		zoc_pending_put(p);
		link->sleeping--;
		spin_unlock_irq(&link->tx_lock);
		return ret == -ENOSPC ? -ETIMEDOUT : ret;
	}
	spin_unlock_irq(&link->tx_lock);

	left = (long)(end - jiffies);
	wait_for_completion_timeout(&p->done, max(left, 1L));
	spin_lock_irq(&link->tx_lock);
	ret = zoc_pending_result(p, reply);
	link->sleeping--;
	if (ret == -ETIMEDOUT)
		link->stats.timeouts++;
	spin_unlock_irq(&link->tx_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(zoc_link_call);

/*
 * An atomic call's turn of waiting: take the replies that came, which end
 * calls in flight (ours among them).  tx_lock held, as saved in @flags,
 * dropped meanwhile.
 */
static void zoc_link_poll_replies(struct zoc_link *link, unsigned long flags)
{
	spin_unlock_irqrestore(&link->tx_lock, flags);
	spin_lock_irqsave(&link->rx_lock, flags);
	zoc_link_drain(link);
	spin_unlock_irqrestore(&link->rx_lock, flags);
	cpu_relax();
	spin_lock_irqsave(&link->tx_lock, flags);
}

/**
 * zoc_link_call_atomic - send a request and poll for its reply
 * @link: the link
 * @msg: the request; its tag is assigned here
 * @reply: where the reply goes
 * @timeout_ns: how long to poll, for a slot, room on the ring and the reply
 *
 * For callers that cannot sleep: emulated MMIO reads, which may come with
 * interrupts disabled.  The receiving ring is drained while polling; the
 * client's @receive_end is not called from here (its caller may hold any
 * lock): the client defers what it noted.
 *
 * Context: any.
 * Return: as zoc_link_call().
 */
int zoc_link_call_atomic(struct zoc_link *link, struct zoc_msg *msg,
			 struct zoc_msg *reply, u64 timeout_ns)
{
	u64 end = ktime_get_ns() + timeout_ns;
	struct zoc_pending *p;
	unsigned long flags;
	int ret;
	u32 tag;

	spin_lock_irqsave(&link->tx_lock, flags);
	/* Draining the replies meanwhile, which ends the calls in flight */
	while (!(p = zoc_link_slot(link, false)) && ktime_get_ns() < end) {
		link->stats.slot_waits++;
		zoc_link_poll_replies(link, flags);
	}
	if (!p) {
		link->stats.timeouts++;
		spin_unlock_irqrestore(&link->tx_lock, flags);
		return -ETIMEDOUT;
	}
	tag = p->tag;
	msg->hdr.tag = cpu_to_le32(tag);
	while ((ret = __zoc_link_send(link, msg, ZOC_LINK_KEEP_CALL)) ==
	       -ENOSPC && ktime_get_ns() < end) {
		link->stats.waits++;
		spin_unlock_irqrestore(&link->tx_lock, flags);
		cpu_relax();
		spin_lock_irqsave(&link->tx_lock, flags);
	}
	if (ret) {
		zoc_pending_put(p);
		spin_unlock_irqrestore(&link->tx_lock, flags);
		return ret == -ENOSPC ? -ETIMEDOUT : ret;
	}
	while (!zoc_pending_done(p, tag) && ktime_get_ns() < end)
		zoc_link_poll_replies(link, flags);
	ret = zoc_pending_result(p, reply);
	if (ret == -ETIMEDOUT)
		link->stats.timeouts++;
	spin_unlock_irqrestore(&link->tx_lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(zoc_link_call_atomic);
