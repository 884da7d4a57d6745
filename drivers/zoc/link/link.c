// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC link protocol, both ends: the handshake by epochs, the heartbeat and
 * the peer's liveness, the transport attached, and the link's state (its
 * messages, sent and taken over the rings, are msg.c's).  The host formats
 * the rings for each service VM epoch it sees; the service VM attaches to
 * them and acknowledges the host's epoch; a ring the peer corrupted resets
 * the link.  Nothing the peer writes is trusted.
 * Documentation/zoc/link.rst describes the protocol.
 */

#include <linux/device.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "link.h"

#define ZOC_LINK_TICK		msecs_to_jiffies(ZOC_LINK_HEARTBEAT_MS)
/* How often a standby service VM looks whether the link was released. */
#define ZOC_LINK_STANDBY_TICK	msecs_to_jiffies(2)
static_assert(ZOC_LINK_CPL_RING + ZOC_LINK_RING_SPAN <= ZOC_LINK_RAM_MAP);
/* The device page's layout is the UAPI's: new fields take reserved room */
static_assert(offsetof(struct zoc_dev_page, irq_queues) == 0x210);
static_assert(offsetof(struct zoc_dev_page, db) == 0x300);
static_assert(sizeof(struct zoc_dev_page) <= ZOC_LINK_DEV_PAGE_SIZE);
static_assert(ZOC_LINK_RAM_MAP + sizeof(struct zoc_link_ram_map) <=
	      ZOC_LINK_DEV_PAGES);

/*
 * Rate limited: a hostile peer can reset the link, or take a new epoch,
 * again and again.
 */
#define zoc_link_info(link, fmt, ...)					\
	dev_info_ratelimited((link)->dev, "link: " fmt, ##__VA_ARGS__)
#define zoc_link_warn(link, fmt, ...)					\
	dev_warn_ratelimited((link)->dev, "link: " fmt, ##__VA_ARGS__)

static void *zoc_link_ring_mem(struct zoc_link *link, bool requests)
{
	return (void *)link->area +
	       (requests ? ZOC_LINK_REQ_RING : ZOC_LINK_CPL_RING);
}

/* Our transmit ring carries requests on the host, completions on the SVM. */
static void *zoc_link_tx_mem(struct zoc_link *link)
{
	return zoc_link_ring_mem(link, link->role == ZOC_LINK_ROLE_HOST);
}

static void *zoc_link_rx_mem(struct zoc_link *link)
{
	return zoc_link_ring_mem(link, link->role != ZOC_LINK_ROLE_HOST);
}

/* Fail every request in flight with @err.  tx_lock held. */
static void zoc_link_fail_pending(struct zoc_link *link, int err)
{
	zoc_pending_fail(link->pending, ZOC_LINK_PENDING, err);
}

/* Set the state, both locks held; the data queues are set up to go up. */
static void zoc_link_set_state(struct zoc_link *link,
			       enum zoc_link_state state)
{
	if (state != ZOC_LINK_S_UP)
		WRITE_ONCE(link->nr_queues, 0);
	WRITE_ONCE(link->state, state);
}

/*
 * Host: format both rings for the service VM's epoch @svm_epoch, taking
 * our side of them from what we wrote, and acknowledge that epoch; the
 * link is up once the service VM acknowledges ours.  Both locks held.
 */
static void zoc_link_format(struct zoc_link *link, u32 svm_epoch)
{
	zoc_link_set_state(link, ZOC_LINK_S_DOWN);
	if (zoc_ring_format(&link->tx, zoc_link_tx_mem(link),
			    ZOC_LINK_RING_SPAN, ZOC_LINK_RING_SLOTS) ||
	    zoc_ring_format(&link->rx, zoc_link_rx_mem(link),
			    ZOC_LINK_RING_SPAN, ZOC_LINK_RING_SLOTS))
		return;
	zoc_ring_enable_notify(&link->rx);
	zoc_link_queues_format(link);
	WRITE_ONCE(link->own->queues, cpu_to_le32(link->own_queues));
	/* The rings before the acknowledgment; pairs with the SVM's rmb. */
	virt_wmb();
	WRITE_ONCE(link->peer_epoch, svm_epoch);
	WRITE_ONCE(link->own->ack_epoch, cpu_to_le32(svm_epoch));
	zoc_link_set_state(link, ZOC_LINK_S_HANDSHAKE);
}

/* Whether the link area is there and speaks our version. */
static bool zoc_link_area_ok(struct zoc_link *link)
{
	struct zoc_link_area *area = link->area;
	u32 version;

	if (zoc_read64(&area->magic) != ZOC_LINK_MAGIC)
		return false;
	/* magic before the rest; pairs with the host's virt_wmb(). */
	virt_rmb();
	version = zoc_read32(&area->version);
	if (version != ZOC_LINK_VERSION) {
		dev_err_once(link->dev, "link: version %u, expected %u\n",
			     version, ZOC_LINK_VERSION);
		return false;
	}
	return true;
}

/*
 * Host: publish a new epoch of ours.  The service VM's epoch we had
 * acknowledged is taken back first: until the rings are formatted for the
 * new epoch and acknowledged again, the service VM sees no acknowledgment
 * and attaches to nothing half formatted.  Both locks held.
 */
static void zoc_link_host_epoch(struct zoc_link *link, u32 epoch)
{
	WRITE_ONCE(link->own->ack_epoch, 0);
	/* The acknowledgment gone before the epoch; pairs with the SVM's rmb */
	virt_wmb();
	WRITE_ONCE(link->own->epoch, cpu_to_le32(epoch));
}

/*
 * Host: reset the link the service VM broke (@why): what is pending
 * fails, and the rings are formatted again for a new host epoch.  Both
 * locks held.
 */
static void zoc_link_host_reset(struct zoc_link *link, u32 svm_epoch,
				const char *why)
{
	u32 epoch = zoc_read32(&link->own->epoch) + 1;

	zoc_link_fail_pending(link, -EIO);
	link->stats.resets++;
	zoc_link_host_epoch(link, epoch);
	zoc_link_format(link, svm_epoch);
	zoc_link_warn(link, "the service VM %s: link reset, host epoch %u\n",
		      why, epoch);
	zoc_link_ring_peer(link, 0);
}

/*
 * Publish our side, with a new epoch, once a transport can take the
 * peer's doorbells and the area is there.  Both locks held.
 */
static bool zoc_link_connect(struct zoc_link *link)
{
	struct zoc_link_side *own = link->own;

	if (!rcu_access_pointer(link->transport) || !zoc_link_area_ok(link))
		return false;
	/*
	 * Another service VM holds our side: wait until it leaves.  The side
	 * we left ourselves (its epoch still ours) is for another to take.
	 * Another standby may find it free at the same instant (the one
	 * that left it, once we wrote our epoch): the side is claimed
	 * first, and the one that did not claim it waits.
	 */
	if (link->role == ZOC_LINK_ROLE_SVM && link->standby &&
	    (zoc_read32(&own->state) != ZOC_LINK_DOWN ||
	     (link->left && zoc_read32(&own->epoch) == link->epoch) ||
	     cmpxchg(&own->state, cpu_to_le32(ZOC_LINK_DOWN),
		     cpu_to_le32(ZOC_LINK_CLAIMED)) !=
	     cpu_to_le32(ZOC_LINK_DOWN)))
		return false;
	link->left = false;
	link->epoch = zoc_read32(&own->epoch) + 1;
	if (link->role == ZOC_LINK_ROLE_HOST)
		zoc_link_host_epoch(link, link->epoch);
	else
		WRITE_ONCE(own->epoch, cpu_to_le32(link->epoch));
	if (link->role == ZOC_LINK_ROLE_HOST) {
		/*
		 * A new transport starts a new link: fresh rings, so that the
		 * state a service VM left behind is not taken for a live one.
		 */
		zoc_link_fail_pending(link, -ECONNRESET);
		zoc_link_format(link, zoc_read32(&link->peer->epoch));
	} else {
		WRITE_ONCE(own->ack_epoch, 0);
		WRITE_ONCE(own->queues_used, 0);
		WRITE_ONCE(own->doorbells, 0);
		WRITE_ONCE(own->probes, 0);
	}
	WRITE_ONCE(own->peer_id, cpu_to_le32(link->own_id));
	WRITE_ONCE(own->caps, cpu_to_le32(link->caps));
	WRITE_ONCE(own->queues, cpu_to_le32(link->own_queues));
	/* The rest before state; pairs with the peer's virt_rmb(). */
	virt_wmb();
	WRITE_ONCE(own->state, cpu_to_le32(ZOC_LINK_UP));
	link->connected = true;
	zoc_link_info(link, "connected: epoch %u, peer epoch %u\n",
		      zoc_read32(&own->epoch), zoc_read32(&link->peer->epoch));
	/* The peer takes our new epoch now, not at its next heartbeat. */
	zoc_link_ring_peer(link, 0);
	return true;
}

/*
 * Service VM: whether another service VM took our side over (its epoch
 * replaced ours), as an operator does who makes a standby take the link
 * from a service VM taken for dead.  We go down and stand by: the rings
 * and the side are the other one's now.  Both locks held.
 */
static bool zoc_link_displaced(struct zoc_link *link)
{
	if (zoc_read32(&link->own->epoch) == link->epoch)
		return false;
	link->connected = false;
	link->standby = true;
	zoc_link_set_state(link, ZOC_LINK_S_DOWN);
	zoc_link_fail_pending(link, -ECONNRESET);
	zoc_link_warn(link, "another service VM took the link over (epoch %u): standing by\n",
		      zoc_read32(&link->own->epoch));
	return true;
}

/*
 * Host: follow the service VM's epochs, reset the link after a corrupted
 * ring, notice the acknowledgment.  Both locks held.  Returns the event
 * for the client, or -1.
 */
static int zoc_link_host_handshake(struct zoc_link *link)
{
	struct zoc_link_side *own = link->own;
	u32 svm_epoch, epoch;
	int event = -1;

	if (zoc_read32(&link->peer->state) != ZOC_LINK_UP) {
		if (link->state != ZOC_LINK_S_UP)
			return -1;
		/*
		 * It left the link (its end detached): as lost as one that
		 * stopped beating, and said at once.  It comes back with a
		 * new epoch.
		 */
		zoc_link_fail_pending(link, -ECONNRESET);
		zoc_link_set_state(link, ZOC_LINK_S_DOWN);
		zoc_link_info(link, "the service VM left the link\n");
		return ZOC_LINK_EV_LOST;
	}
	svm_epoch = zoc_read32(&link->peer->epoch);
	epoch = zoc_read32(&own->epoch);

	if (svm_epoch != zoc_read32(&own->ack_epoch)) {
		/* A new service VM: what it was asked before is lost. */
		zoc_link_fail_pending(link, -ECONNRESET);
		if (link->state == ZOC_LINK_S_UP)
			event = ZOC_LINK_EV_LOST;
		zoc_link_format(link, svm_epoch);
		zoc_link_info(link, "service VM epoch %u: rings ready\n",
			      svm_epoch);
		zoc_link_ring_peer(link, 0);
	} else if (link->state == ZOC_LINK_S_UP) {
		if (zoc_ring_broken(&link->tx) || zoc_ring_broken(&link->rx) ||
		    zoc_link_queues_broken(link))
			zoc_link_host_reset(link, svm_epoch, "corrupted a ring");
	} else if (link->state == ZOC_LINK_S_HANDSHAKE &&
		   zoc_read32(&link->peer->ack_epoch) == epoch) {
		/* ack_epoch before queues_used; pairs with the SVM's wmb */
		virt_rmb();
		/* as many queues as it attached for the epoch it acknowledges */
		if (zoc_link_queues_up(link,
				       zoc_read32(&link->peer->queues_used))) {
			zoc_link_host_reset(link, svm_epoch,
					    "attached data queues we did not offer");
			return event;
		}
		zoc_link_set_state(link, ZOC_LINK_S_UP);
		WRITE_ONCE(link->peer_heartbeat_at, jiffies);
		event = ZOC_LINK_EV_UP;
		zoc_link_info(link, "up (host epoch %u, service VM epoch %u)\n",
			      epoch, svm_epoch);
	}
	return event;
}

/*
 * Service VM: attach to the rings the host formatted for our epoch, for
 * each new host epoch, and acknowledge it; take a new epoch after a ring
 * the host corrupted.  Both locks held.  Returns the event, or -1.
 */
static int zoc_link_svm_handshake(struct zoc_link *link)
{
	struct zoc_link_side *own = link->own;
	u32 host_epoch;
	int queues;

	/*
	 * A ring that went bad because the host formatted it again comes
	 * with a new host epoch, stored before the formatting: read it after
	 * what showed the ring broken.  Pairs with the virt_wmb() of
	 * zoc_ring_init().
	 */
	virt_rmb();
	if (zoc_read32(&link->peer->ack_epoch) != zoc_read32(&own->epoch)) {
		zoc_link_set_state(link, ZOC_LINK_S_DOWN);	/* not ours yet */
		return -1;
	}
	host_epoch = zoc_read32(&link->peer->epoch);
	if (link->state == ZOC_LINK_S_UP &&
	    host_epoch == zoc_read32(&own->ack_epoch)) {
		if (!zoc_ring_broken(&link->tx) && !zoc_ring_broken(&link->rx) &&
		    !zoc_link_queues_broken(link))
			return -1;
		/* A new epoch makes the host format the rings again. */
		zoc_link_set_state(link, ZOC_LINK_S_DOWN);
		zoc_link_fail_pending(link, -ECONNRESET);
		link->stats.resets++;
		WRITE_ONCE(own->epoch, cpu_to_le32(++link->epoch));
		zoc_link_warn(link, "the host corrupted a ring: new epoch\n");
		return -1;
	}
	/* The acknowledgment before the rings; pairs with the host's wmb. */
	virt_rmb();
	zoc_link_set_state(link, ZOC_LINK_S_DOWN);
	zoc_link_fail_pending(link, -ECONNRESET);
	if (zoc_link_ram_load(link)) {
		dev_warn_ratelimited(link->dev, "link: the host's RAM map is malformed\n");
		return -1;
	}
	if (zoc_ring_attach(&link->rx, zoc_link_rx_mem(link),
			    ZOC_LINK_RING_SPAN) ||
	    zoc_ring_attach(&link->tx, zoc_link_tx_mem(link),
			    ZOC_LINK_RING_SPAN)) {
		dev_warn_ratelimited(link->dev, "link: the host's rings are malformed\n");
		return -1;
	}
	queues = zoc_link_queues_attach(link);
	if (queues < 0) {
		dev_warn_ratelimited(link->dev, "link: the host's data queues are malformed\n");
		return -1;
	}
	/*
	 * The host took a new epoch while we attached: what we took may be
	 * half formatted.  The next tick attaches to the new one.  The rings
	 * before the check; pairs with the host's wmb before the epoch.
	 */
	virt_rmb();
	if (zoc_read32(&link->peer->ack_epoch) != zoc_read32(&own->epoch) ||
	    zoc_read32(&link->peer->epoch) != host_epoch)
		return -1;
	zoc_ring_enable_notify(&link->rx);
	zoc_link_queues_up(link, queues);
	zoc_link_set_state(link, ZOC_LINK_S_UP);
	WRITE_ONCE(own->queues_used, cpu_to_le32(queues));
	/* queues_used before the acknowledgment; pairs with the host's rmb */
	virt_wmb();
	WRITE_ONCE(own->ack_epoch, cpu_to_le32(host_epoch));
	zoc_link_info(link, "up: host epoch %u\n", host_epoch);
	zoc_link_ring_peer(link, 0);
	return ZOC_LINK_EV_UP;
}

/*
 * Host: the service VM's heartbeat.  One that stalls for ZOC_LINK_DEAD_MS
 * fails what is pending and refuses new requests until it beats again,
 * which is reported too.  Both locks held.  Returns the event, or -1.
 */
static int zoc_link_liveness(struct zoc_link *link)
{
	u64 heartbeat = zoc_read64(&link->peer->heartbeat);

	if (heartbeat != link->peer_heartbeat) {
		link->peer_heartbeat = heartbeat;
		WRITE_ONCE(link->peer_heartbeat_at, jiffies);
		if (!link->peer_stalled)
			return -1;
		link->peer_stalled = false;
		if (link->state != ZOC_LINK_S_UP)
			return -1;
		zoc_link_info(link, "the service VM beats again\n");
		return ZOC_LINK_EV_RESUMED;
	} else if (link->state == ZOC_LINK_S_UP && !link->peer_stalled &&
		   time_after(jiffies, link->peer_heartbeat_at +
			      msecs_to_jiffies(ZOC_LINK_DEAD_MS))) {
		link->peer_stalled = true;
		zoc_link_fail_pending(link, -ETIMEDOUT);
		zoc_link_warn(link, "the service VM stopped (no heartbeat for %u ms)\n",
			      ZOC_LINK_DEAD_MS);
		return ZOC_LINK_EV_LOST;
	}
	return -1;
}

/* The tick: heartbeat, handshake, liveness, and what a lost doorbell left. */
static void zoc_link_tick(struct work_struct *work)
{
	struct zoc_link *link = container_of(work, struct zoc_link, tick.work);
	struct zoc_link_side *own = link->own;
	unsigned long next = ZOC_LINK_TICK;
	int event = -1, lost = -1;
	bool more = false;

	spin_lock_irq(&link->rx_lock);
	link->kicked = false;	/* what it was kicked for is seen below */
	spin_lock(&link->tx_lock);
	if (link->role == ZOC_LINK_ROLE_SVM && link->connected &&
	    zoc_link_displaced(link))
		event = ZOC_LINK_EV_LOST;
	/* A standby's heartbeat would be taken for the serving one's. */
	if (!link->standby || link->connected)
		WRITE_ONCE(own->heartbeat,
			   cpu_to_le64(zoc_read64(&own->heartbeat) + 1));
	if (link->connected || zoc_link_connect(link)) {
		if (link->role == ZOC_LINK_ROLE_HOST) {
			event = zoc_link_host_handshake(link);
			lost = zoc_link_liveness(link);
		} else {
			event = zoc_link_svm_handshake(link);
		}
	}
	if (!link->connected && link->standby)
		next = ZOC_LINK_STANDBY_TICK;
	spin_unlock(&link->tx_lock);
	more = zoc_link_drain(link);
	if (link->client->tick && link->state == ZOC_LINK_S_UP)
		link->client->tick(link);
	spin_unlock_irq(&link->rx_lock);
	/* What lost doorbells left on the data queues */
	more |= zoc_link_queues_take_all(link);

	if (link->client->event) {
		if (event >= 0)
			link->client->event(link, event);
		if (lost >= 0)
			link->client->event(link, lost);
	}
	if (link->client->receive_end)
		link->client->receive_end(link, false);
	wake_up_all(&link->wq);

	spin_lock_irq(&link->rx_lock);
	if (link->running)
		mod_delayed_work(system_wq, &link->tick,
				 more || link->kicked ? 0 : next);
	spin_unlock_irq(&link->rx_lock);
}

/**
 * zoc_link_attach - attach the transport that carries the doorbells
 * @link: the link
 * @ops: its operations
 * @priv: passed back to @ops
 * @own_id: our doorbell address, published to the peer
 * @queues: the data queues the transport can be rung for, on vectors 1
 *	to @queues (zoc_link_queue_doorbell()); 0 for none, at most
 *	ZOC_LINK_MAX_QUEUES are used
 *
 * Call once doorbells from the peer can be received: our side is
 * published as up from here on.
 *
 * Context: process context.
 * Return: 0, -ENOMEM, or -EBUSY if a transport is attached already.
 */
int zoc_link_attach(struct zoc_link *link,
		    const struct zoc_link_transport_ops *ops, void *priv,
		    u32 own_id, unsigned int queues)
{
	struct zoc_link_transport *t;
	int ret = 0;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->ops = ops;
	t->priv = priv;

	spin_lock_irq(&link->rx_lock);
	spin_lock(&link->tx_lock);
	if (rcu_access_pointer(link->transport)) {
		ret = -EBUSY;
	} else {
		rcu_assign_pointer(link->transport, t);
		link->own_id = own_id;
		link->own_queues = min_t(u32, queues, ZOC_LINK_MAX_QUEUES);
		zoc_link_connect(link);
	}
	spin_unlock(&link->tx_lock);
	spin_unlock_irq(&link->rx_lock);
	if (ret) {
		kfree(t);
		return ret;
	}
	zoc_link_kick(link);
	return 0;
}
EXPORT_SYMBOL_GPL(zoc_link_attach);

/*
 * Our side goes: published as down, the peer rung, if it was ours; the
 * link is down and what is pending fails with @error.  Both locks held,
 * the transport still attached.
 */
static void zoc_link_unpublish(struct zoc_link *link, int error)
{
	if (link->connected) {
		WRITE_ONCE(link->own->state, cpu_to_le32(ZOC_LINK_DOWN));
		/* The side before the doorbell that tells of it. */
		virt_wmb();
		zoc_link_ring_peer(link, 0);
	}
	link->connected = false;
	zoc_link_set_state(link, ZOC_LINK_S_DOWN);
	zoc_link_fail_pending(link, error);
}

/**
 * zoc_link_detach - detach a transport
 * @link: the link
 * @priv: as given to zoc_link_attach()
 *
 * Our side is published as down, requests in flight fail with -ENOTCONN,
 * and no doorbell is rung through the transport once this returns.  The
 * link stays down until a transport is attached again; a link that was up
 * reports ZOC_LINK_EV_LOST to its client, as a peer that stopped would.
 *
 * Context: process context.
 */
void zoc_link_detach(struct zoc_link *link, void *priv)
{
	struct zoc_link_transport *t;
	bool lost = false;

	spin_lock_irq(&link->rx_lock);
	spin_lock(&link->tx_lock);
	t = rcu_dereference_protected(link->transport,
				      lockdep_is_held(&link->tx_lock));
	if (t && t->priv == priv) {
		lost = link->state == ZOC_LINK_S_UP;
		zoc_link_unpublish(link, -ENOTCONN);
		RCU_INIT_POINTER(link->transport, NULL);
	} else {
		t = NULL;
	}
	spin_unlock(&link->tx_lock);
	spin_unlock_irq(&link->rx_lock);
	wake_up_all(&link->wq);
	if (t) {
		synchronize_rcu();	/* no ring through it any more */
		kfree(t);
	}
	/* Without its transport the peer is as gone as without a heartbeat. */
	if (lost && link->client->event)
		link->client->event(link, ZOC_LINK_EV_LOST);
}
EXPORT_SYMBOL_GPL(zoc_link_detach);

/**
 * zoc_link_init - set up one end of the link
 * @link: the instance, zeroed, embedded in its side's object
 * @role: which end
 * @area: the link area, mapped write-back, ZOC_LINK_AREA_SIZE bytes
 * @client: the layer above; @client->receive is required
 * @dev: the device messages are about
 *
 * The host's end writes the area's header, with a new host epoch (the
 * previous one plus one if the area was ours before).  Nothing runs until
 * zoc_link_start().
 */
void zoc_link_init(struct zoc_link *link, enum zoc_link_role role,
		   void *area, const struct zoc_link_client_ops *client,
		   struct device *dev)
{
	struct zoc_link_area *a = area;
	u32 epoch;

	link->role = role;
	link->area = a;
	link->own = role == ZOC_LINK_ROLE_HOST ? &a->host : &a->svm;
	link->peer = role == ZOC_LINK_ROLE_HOST ? &a->svm : &a->host;
	link->client = client;
	link->dev = dev;
	spin_lock_init(&link->rx_lock);
	zoc_link_ram_init(link);
	spin_lock_init(&link->tx_lock);
	link->rx.broken = true;		/* nothing to use before a handshake */
	link->tx.broken = true;
	zoc_link_queues_init(link);
	zoc_pending_init(link->pending, ZOC_LINK_PENDING);
	INIT_DELAYED_WORK(&link->tick, zoc_link_tick);
	INIT_WORK(&link->poll, zoc_link_poll);
	init_waitqueue_head(&link->wq);
	if (role != ZOC_LINK_ROLE_HOST)
		return;

	epoch = zoc_read64(&a->magic) == ZOC_LINK_MAGIC ?
		zoc_read32(&a->host.epoch) + 1 : 1;
	memset(&a->host, 0, sizeof(a->host));
	memset(&a->probe, 0, sizeof(a->probe));
	a->host.epoch = cpu_to_le32(epoch);
	a->version = cpu_to_le32(ZOC_LINK_VERSION);
	a->size = cpu_to_le32(ZOC_LINK_AREA_SIZE);
	/* Everything else before the magic; pairs with the SVM's virt_rmb(). */
	virt_wmb();
	WRITE_ONCE(a->magic, cpu_to_le64(ZOC_LINK_MAGIC));
}
EXPORT_SYMBOL_GPL(zoc_link_init);

/**
 * zoc_link_start - start the tick
 * @link: the link
 *
 * Context: process context.
 */
void zoc_link_start(struct zoc_link *link)
{
	spin_lock_irq(&link->rx_lock);
	link->running = true;
	mod_delayed_work(system_wq, &link->tick, 0);
	spin_unlock_irq(&link->rx_lock);
}
EXPORT_SYMBOL_GPL(zoc_link_start);

/**
 * zoc_link_stop - stop the tick
 * @link: the link
 *
 * The link goes on carrying requests, driven by doorbells alone (no
 * heartbeat, no handshake, no liveness), until its transport is detached.
 *
 * Context: process context.
 */
void zoc_link_stop(struct zoc_link *link)
{
	spin_lock_irq(&link->rx_lock);
	link->running = false;
	spin_unlock_irq(&link->rx_lock);
	cancel_delayed_work_sync(&link->tick);
	cancel_work_sync(&link->poll);
}
EXPORT_SYMBOL_GPL(zoc_link_stop);

/**
 * zoc_link_set_standby - stand by, or take the link
 * @link: a service VM's end of the link
 * @standby: true to publish our side only once the service VM holding it
 *	leaves the link (a standby service VM taking over an orderly
 *	hand-over); false to take the side at once, whoever holds it
 *
 * Only an operator who knows the service VM holding the link is gone (its
 * VMM killed) may take the side from it: two service VMs serving the same
 * host corrupt its devices.  A service VM whose side is taken notices at
 * its next tick, goes down and stands by.  An end that is connected stays
 * so.
 *
 * Context: any.
 */
void zoc_link_set_standby(struct zoc_link *link, bool standby)
{
	unsigned long flags;

	spin_lock_irqsave(&link->rx_lock, flags);
	spin_lock(&link->tx_lock);
	link->standby = standby;
	spin_unlock(&link->tx_lock);
	spin_unlock_irqrestore(&link->rx_lock, flags);
	zoc_link_kick(link);
}
EXPORT_SYMBOL_GPL(zoc_link_set_standby);

/**
 * zoc_link_leave - hand the link over to a standby service VM
 * @link: a service VM's end of the link
 *
 * Our side is published as down and the host is rung: it stalls its
 * functions until the next service VM takes the side.  Requests in flight
 * fail with -ECONNRESET.  We stand by from then on, but do not take back
 * the side we left before another service VM took it; taking it at once
 * (zoc_link_set_standby() with false) does.  The client must have let go
 * of what it served before: the next service VM may take the link as soon
 * as the side reads down.
 *
 * Context: process context.
 */
void zoc_link_leave(struct zoc_link *link)
{
	bool lost;

	spin_lock_irq(&link->rx_lock);
	spin_lock(&link->tx_lock);
	link->standby = true;
	lost = link->state == ZOC_LINK_S_UP;
	if (link->connected) {
		link->left = true;
		zoc_link_info(link, "left to a standby service VM (epoch %u)\n",
			      link->epoch);
	}
	zoc_link_unpublish(link, -ECONNRESET);
	spin_unlock(&link->tx_lock);
	spin_unlock_irq(&link->rx_lock);
	wake_up_all(&link->wq);
	if (lost && link->client->event)
		link->client->event(link, ZOC_LINK_EV_LOST);
	zoc_link_kick(link);
}
EXPORT_SYMBOL_GPL(zoc_link_leave);

/**
 * zoc_link_state - the link's state
 * @link: the link
 *
 * Context: any.
 * Return: enum zoc_link_state.
 */
enum zoc_link_state zoc_link_state(struct zoc_link *link)
{
	return READ_ONCE(link->state);
}
EXPORT_SYMBOL_GPL(zoc_link_state);

/**
 * zoc_link_peer_stalled - whether the peer's heartbeat stopped
 * @link: the link (host end)
 *
 * Context: any.
 * Return: true while the peer does not beat.
 */
bool zoc_link_peer_stalled(struct zoc_link *link)
{
	return READ_ONCE(link->peer_stalled);
}
EXPORT_SYMBOL_GPL(zoc_link_peer_stalled);

/**
 * zoc_link_peer_beat - the peer's heartbeat, as it is now in the link area
 * @link: the link
 *
 * Not what the link's tick last saw: a beat the peer made before it
 * stopped may be seen by the tick a while later.  Compare two of these
 * to know whether the peer ran in between.
 *
 * Context: any.
 * Return: the peer's heartbeat counter (its input: a liveness hint only).
 */
u64 zoc_link_peer_beat(struct zoc_link *link)
{
	return zoc_read64(&link->peer->heartbeat);
}
EXPORT_SYMBOL_GPL(zoc_link_peer_beat);

/**
 * zoc_link_up_with - whether the link is up, and with which service VM
 * @link: the link (host end)
 * @epoch: the service VM epoch it is up with, from our own copy (not the
 *	area, which the peer can write)
 *
 * Context: any.
 * Return: true if the link is up and the service VM beats.
 */
bool zoc_link_up_with(struct zoc_link *link, u32 *epoch)
{
	unsigned long flags;
	bool up;

	spin_lock_irqsave(&link->tx_lock, flags);
	up = link->state == ZOC_LINK_S_UP && !link->peer_stalled;
	*epoch = link->peer_epoch;
	spin_unlock_irqrestore(&link->tx_lock, flags);
	return up;
}
EXPORT_SYMBOL_GPL(zoc_link_up_with);

/**
 * zoc_link_peer_caps - what the peer offers beyond the protocol
 * @link: the link
 *
 * As the peer last published it: a peer that went away leaves its
 * capabilities behind.
 *
 * Context: any.
 * Return: ZOC_LINK_CAP_* bits.
 */
u32 zoc_link_peer_caps(struct zoc_link *link)
{
	return zoc_read32(&link->peer->caps);
}
EXPORT_SYMBOL_GPL(zoc_link_peer_caps);

/**
 * zoc_link_set_poll - the host sets how long the service VM's models poll
 * @link: the host's end
 * @us: microseconds, 0 for none; at most ZOC_LINK_POLL_MAX_US
 *
 * Published at once in the host's side of the link area, which the
 * service VM reads each time a queue runs dry (zoc_link_poll_us()), so
 * that it holds for the service VM that runs now and for any that follows.
 *
 * Context: any.
 */
void zoc_link_set_poll(struct zoc_link *link, u32 us)
{
	if (link->role == ZOC_LINK_ROLE_HOST)
		WRITE_ONCE(link->own->poll_us,
			   cpu_to_le32(min_t(u32, us, ZOC_LINK_POLL_MAX_US)));
}
EXPORT_SYMBOL_GPL(zoc_link_set_poll);

/**
 * zoc_link_poll_us - how long the service VM's models poll a queue
 * @link: either end
 *
 * As the host last set it, read from the host's side of the link area:
 * from shared memory, so bounded again here.
 *
 * Context: any.
 * Return: microseconds, 0 to ZOC_LINK_POLL_MAX_US.
 */
u32 zoc_link_poll_us(struct zoc_link *link)
{
	struct zoc_link_side *host = link->role == ZOC_LINK_ROLE_HOST ?
				     link->own : link->peer;

	return min_t(u32, zoc_read32(&host->poll_us), ZOC_LINK_POLL_MAX_US);
}
EXPORT_SYMBOL_GPL(zoc_link_poll_us);

/**
 * zoc_link_restarting - whether the peer took a new epoch not taken yet
 * @link: the link (host end)
 *
 * Context: any.
 * Return: true between a service VM restart and the tick that sees it.
 */
bool zoc_link_restarting(struct zoc_link *link)
{
	return zoc_read32(&link->peer->epoch) !=
	       zoc_read32(&link->own->ack_epoch);
}
EXPORT_SYMBOL_GPL(zoc_link_restarting);

/**
 * zoc_link_dev_page - the device page of a slot, in the link area
 * @link: the link
 * @slot: below ZOC_LINK_MAX_DEVS
 *
 * Return: the page, or NULL for a slot out of range.
 */
struct zoc_dev_page *zoc_link_dev_page(struct zoc_link *link,
				       unsigned int slot)
{
	if (slot >= ZOC_LINK_MAX_DEVS)
		return NULL;
	return (void *)link->area + ZOC_LINK_DEV_PAGES +
	       slot * ZOC_LINK_DEV_PAGE_SIZE;
}
EXPORT_SYMBOL_GPL(zoc_link_dev_page);

/**
 * zoc_link_saved_page - the state page of a slot, in the link area
 * @link: the link
 * @slot: below ZOC_LINK_MAX_DEVS
 *
 * Return: the page, or NULL for a slot out of range.
 */
struct zoc_dev_saved *zoc_link_saved_page(struct zoc_link *link,
					  unsigned int slot)
{
	if (slot >= ZOC_LINK_MAX_DEVS)
		return NULL;
	return (void *)link->area + ZOC_LINK_SAVED_PAGES +
	       slot * ZOC_LINK_SAVED_SIZE;
}
EXPORT_SYMBOL_GPL(zoc_link_saved_page);

/**
 * zoc_link_live_page - the live record of a slot, in the link area
 * @link: the link
 * @slot: below ZOC_LINK_MAX_DEVS
 *
 * Return: the record, or NULL for a slot out of range.
 */
struct zoc_dev_live *zoc_link_live_page(struct zoc_link *link,
					unsigned int slot)
{
	if (slot >= ZOC_LINK_MAX_DEVS)
		return NULL;
	return (void *)link->area + ZOC_LINK_LIVE_PAGES +
	       slot * ZOC_LINK_LIVE_SIZE;
}
EXPORT_SYMBOL_GPL(zoc_link_live_page);

static const char *zoc_link_side_state(u32 state)
{
	return state == ZOC_LINK_UP ? "up" :
	       state == ZOC_LINK_DOWN ? "down" :
	       state == ZOC_LINK_CLAIMED ? "claimed" : "invalid";
}

/* The link as management shows it.  Both locks held. */
static const char *zoc_link_status_name(struct zoc_link *link)
{
	if (link->state != ZOC_LINK_S_UP)
		return "down";
	if (link->peer_stalled)
		return "stalled";
	if (link->role == ZOC_LINK_ROLE_HOST && zoc_link_restarting(link))
		return "restarting";
	return "up";
}

/**
 * zoc_link_show - the link's state and counters, for debugfs
 * @s: where to print
 * @link: the link
 *
 * Fields are named after the sides (host_, svm_) and the rings (req_,
 * cpl_), whichever end prints them.
 */
void zoc_link_show(struct seq_file *s, struct zoc_link *link)
{
	bool host = link->role == ZOC_LINK_ROLE_HOST;
	const char *own = host ? "host" : "svm", *peer = host ? "svm" : "host";
	struct zoc_link_stats *st = &link->stats;

	seq_printf(s, "%s_state: %s\n", own,
		   zoc_link_side_state(zoc_read32(&link->own->state)));
	seq_printf(s, "%s_epoch: %u\n", own, zoc_read32(&link->own->epoch));
	seq_printf(s, "%s_state: %s\n", peer,
		   zoc_link_side_state(zoc_read32(&link->peer->state)));
	seq_printf(s, "%s_epoch: %u\n", peer, zoc_read32(&link->peer->epoch));
	seq_printf(s, "doorbells_rx: %lld\n", atomic64_read(&st->doorbells_rx));
	seq_printf(s, "doorbells_tx: %lld\n", atomic64_read(&st->doorbells_tx));
	seq_printf(s, "%s_doorbells_rx: %llu\n", peer,
		   zoc_read64(&link->peer->doorbells));

	spin_lock_irq(&link->rx_lock);
	spin_lock(&link->tx_lock);
	seq_printf(s, "link: %s\n", zoc_link_status_name(link));
	seq_printf(s, "%s_heartbeat: %llu\n", peer,
		   zoc_read64(&link->peer->heartbeat));
	seq_printf(s, "resets: %llu\n", st->resets);
	seq_printf(s, "timeouts: %llu\n", st->timeouts);
	seq_printf(s, "unexpected_replies: %llu\n", st->unexpected);
	seq_printf(s, "%s_pings: %llu\n", peer, st->pings);
	seq_printf(s, "dropped_replies: %llu\n", st->dropped);
	seq_printf(s, "refused: %llu\n", st->refused);
	seq_printf(s, "waits: %llu\n", st->waits);
	seq_printf(s, "slot_waits: %llu\n", st->slot_waits);
	seq_printf(s, "doorbells_polled: %llu\n", st->polled);
	seq_printf(s, "irq_doorbells_per_sec: %u\n", ZOC_LINK_IRQ_BUDGET * HZ);
	zoc_ring_seq_show(s, host ? "req" : "cpl", &link->tx);
	zoc_ring_seq_show(s, host ? "cpl" : "req", &link->rx);
	spin_unlock(&link->tx_lock);
	spin_unlock_irq(&link->rx_lock);
	zoc_link_queues_show(s, link);
}
EXPORT_SYMBOL_GPL(zoc_link_show);

MODULE_DESCRIPTION("ZOC link protocol between the host and the service VM");
MODULE_LICENSE("GPL");
