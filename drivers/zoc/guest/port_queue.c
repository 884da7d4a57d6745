// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC I/O proxy core: the queues of a port representor, as veth's.
 *
 * Toward the host, what is redirected to a representor (ndo_xdp_xmit:
 * the VPC datapath's frames from the uplink) or sent by its stack goes
 * into a ring of one of its queues, that of the sending CPU, and the
 * queue's NAPI hands it to the peer, the device behind the representor,
 * a budget at a time: the redirecting CPU only queues pointers, the
 * copies into the host's buffers run in the representor's own batches,
 * and the frames' pages go back to their pools in bulk.  A full ring
 * drops what does not fit, counted, as a NIC's full transmit ring; the
 * peer's full receive queue drops too, counted in tx_dropped.
 *
 * From the host, each queue has a page pool for the frames the host
 * transmits on the model's queue pair of that number: the model takes
 * a page (zoc_port_alloc_page()) to copy a frame in for the
 * representor's XDP program, and the page comes back to the pool when
 * the frame was dropped, sent on (the uplink's transmit completion) or
 * passed to the stack as an skb and freed.
 *
 * With CONFIG_PAGE_POOL_STATS, the pools' counters are in the
 * representor's ethtool statistics, after the rings' own.
 */

#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/ptr_ring.h>
#include <linux/skbuff.h>
#include <net/page_pool.h>
#include <net/xdp.h>

#include "port.h"
#include "zoc_proxy.h"

/* A ring's entry that is a frame, not an skb: the pointer's low bit */
#define ZOC_PORT_FRAME		0x1UL

static bool zoc_port_is_frame(const void *ptr)
{
	return (unsigned long)ptr & ZOC_PORT_FRAME;
}

static void *zoc_port_frame_ptr(struct xdp_frame *frame)
{
	return (void *)((unsigned long)frame | ZOC_PORT_FRAME);
}

static struct xdp_frame *zoc_port_ptr_frame(void *ptr)
{
	return (void *)((unsigned long)ptr & ~ZOC_PORT_FRAME);
}

/* Free an entry of a ring, not sent. */
static void zoc_port_ptr_free(void *ptr)
{
	if (zoc_port_is_frame(ptr))
		xdp_return_frame(zoc_port_ptr_frame(ptr));
	else
		kfree_skb(ptr);
}

/* --- toward the host ------------------------------------------------------ */

/* The queue of this CPU's sends: bottom halves off. */
static struct zoc_port_queue *zoc_port_tx_queue(struct zoc_port *port)
{
	return &port->queues[smp_processor_id() % ZOC_PORT_QUEUES];
}

/**
 * zoc_port_xmit - the representor's ndo_start_xmit
 * @skb: a packet of its stack, for the host
 * @dev: the representor
 *
 * Context: bottom halves off, RCU held (dev_queue_xmit()).
 * Return: NETDEV_TX_OK: the packet is queued, or dropped and counted.
 */
netdev_tx_t zoc_port_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct zoc_port *port = netdev_priv(dev);
	struct zoc_port_queue *q = zoc_port_tx_queue(port);

	if (!READ_ONCE(port->running)) {
		dev_core_stats_tx_dropped_inc(dev);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}
	if (ptr_ring_produce(&q->ring, skb)) {
		atomic_long_inc(&q->ring_full);
		dev_core_stats_tx_dropped_inc(dev);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}
	napi_schedule(&q->napi);
	return NETDEV_TX_OK;
}

/**
 * zoc_port_xdp_xmit - the representor's ndo_xdp_xmit
 * @dev: the representor
 * @n: frames at @frames
 * @frames: frames redirected to it, for the host
 * @flags: XDP_XMIT_*
 *
 * The frames queued are the first; the caller frees the others.
 *
 * Context: bottom halves off, RCU held (xdp_do_flush()).
 * Return: how many frames were queued, or -EINVAL for flags not known.
 */
int zoc_port_xdp_xmit(struct net_device *dev, int n, struct xdp_frame **frames,
		      u32 flags)
{
	struct zoc_port *port = netdev_priv(dev);
	struct zoc_port_queue *q = zoc_port_tx_queue(port);
	int i = 0, j;

	if (flags & ~XDP_XMIT_FLAGS_MASK)
		return -EINVAL;
	if (READ_ONCE(port->running)) {
		spin_lock(&q->ring.producer_lock);
		while (i < n &&
		       !__ptr_ring_produce(&q->ring,
					   zoc_port_frame_ptr(frames[i])))
			i++;
		spin_unlock(&q->ring.producer_lock);
		if (i)
			napi_schedule(&q->napi);
		if (i < n)
			atomic_long_add(n - i, &q->ring_full);
	}
	for (j = i; j < n; j++)
		dev_core_stats_tx_dropped_inc(dev);
	return i;
}

/*
 * Hand what @q's ring holds to the peer, up to @budget entries: counted
 * as sent if the peer took it, dropped if not (its receive queue full, the
 * link down) or if there is no peer (zoc_port_detach(): it waits for this
 * run).  The frames' pages go back in bulk.
 */
static int zoc_port_poll(struct napi_struct *napi, int budget)
{
	struct zoc_port_queue *q = container_of(napi, struct zoc_port_queue,
						napi);
	struct net_device *dev = q->port->dev;
	unsigned int sent = 0, bytes = 0, len;
	struct zoc_port_peer *peer;
	struct xdp_frame_bulk bq;
	struct xdp_frame *frame;
	struct sk_buff *skb;
	int done = 0;
	void *ptr;
	bool ok;

	xdp_frame_bulk_init(&bq);
	rcu_read_lock();
	peer = rcu_dereference(q->port->peer);
	while (done < budget && (ptr = __ptr_ring_consume(&q->ring))) {
		done++;
		if (zoc_port_is_frame(ptr)) {
			frame = zoc_port_ptr_frame(ptr);
			len = frame->len;
			/*
			 * A frame in several buffers (multi-buffer XDP, which
			 * Linux 6.1 lets through to a device that did not
			 * say it takes one) would lose all but its first.
			 */
			ok = peer && !xdp_frame_has_frags(frame) &&
			     peer->ops->xmit_buf(peer, frame->data, len);
			xdp_return_frame_bulk(frame, &bq);
		} else {
			skb = ptr;
			len = skb->len;
			ok = peer && peer->ops->xmit_skb(peer, skb);
			if (ok)
				napi_consume_skb(skb, budget);
			else
				kfree_skb(skb);
		}
		if (ok) {
			sent++;
			bytes += len;
		} else {
			dev_core_stats_tx_dropped_inc(dev);
		}
	}
	xdp_flush_frame_bulk(&bq);
	rcu_read_unlock();
	if (sent)
		dev_sw_netstats_tx_add(dev, sent, bytes);
	if (done) {
		u64_stats_update_begin(&q->syncp);
		u64_stats_inc(&q->polls);
		u64_stats_add(&q->frames, done);
		u64_stats_update_end(&q->syncp);
	}
	/* A producer that found NAPI still scheduled has it run again. */
	if (done < budget)
		napi_complete_done(napi, done);
	return done;
}

/* --- from the host -------------------------------------------------------- */

/**
 * zoc_port_alloc_page - a page for a frame of the host, for XDP
 * @dev: the representor
 * @queue: the model's queue pair the frame came on, below ZOC_PORT_QUEUES
 *
 * The page is @queue's pool's: give it to zoc_port_rx_xdp() on the same
 * queue, or back with zoc_port_recycle_page().
 *
 * Context: bottom halves off; the one context that takes frames of the
 * host on @queue (the model's work for the queue pair).
 * Return: the page, or NULL.
 */
struct page *zoc_port_alloc_page(struct net_device *dev, unsigned int queue)
{
	struct zoc_port *port = netdev_priv(dev);

	return page_pool_dev_alloc_pages(port->queues[queue].pool);
}
EXPORT_SYMBOL_GPL(zoc_port_alloc_page);

/**
 * zoc_port_recycle_page - give back a page of zoc_port_alloc_page() unused
 * @dev: the representor
 * @queue: the queue it was taken for
 * @page: the page
 *
 * Context: as zoc_port_alloc_page().
 */
void zoc_port_recycle_page(struct net_device *dev, unsigned int queue,
			   struct page *page)
{
	struct zoc_port *port = netdev_priv(dev);

	page_pool_recycle_direct(port->queues[queue].pool, page);
}
EXPORT_SYMBOL_GPL(zoc_port_recycle_page);

/* --- ethtool -------------------------------------------------------------- */

static const char zoc_port_stat_names[][ETH_GSTRING_LEN] = {
	"to_host_polls",
	"to_host_frames",
	"to_host_ring_full",
	"from_host_xdp_drops",
};

int zoc_port_get_sset_count(struct net_device *dev, int sset)
{
	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return ARRAY_SIZE(zoc_port_stat_names) +
	       page_pool_ethtool_stats_get_count();
}

void zoc_port_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	if (sset != ETH_SS_STATS)
		return;
	memcpy(data, zoc_port_stat_names, sizeof(zoc_port_stat_names));
	page_pool_ethtool_stats_get_strings(data +
					    sizeof(zoc_port_stat_names));
}

/* The queues' counters summed, then their pools'. */
void zoc_port_get_ethtool_stats(struct net_device *dev,
				struct ethtool_stats *stats, u64 *data)
{
	struct zoc_port *port = netdev_priv(dev);
#ifdef CONFIG_PAGE_POOL_STATS
	struct page_pool_stats pp = {};
#endif
	const struct zoc_port_queue *q;
	unsigned int i, start;
	u64 polls, frames;

	memset(data, 0, ARRAY_SIZE(zoc_port_stat_names) * sizeof(*data));
	for (i = 0; i < ZOC_PORT_QUEUES; i++) {
		q = &port->queues[i];
		do {
			start = u64_stats_fetch_begin(&q->syncp);
			polls = u64_stats_read(&q->polls);
			frames = u64_stats_read(&q->frames);
		} while (u64_stats_fetch_retry(&q->syncp, start));
		data[0] += polls;
		data[1] += frames;
		data[2] += atomic_long_read(&q->ring_full);
		data[3] += atomic_long_read(&q->xdp_drops);
#ifdef CONFIG_PAGE_POOL_STATS
		page_pool_get_stats(q->pool, &pp);
#endif
	}
#ifdef CONFIG_PAGE_POOL_STATS
	page_pool_ethtool_stats_get(data + ARRAY_SIZE(zoc_port_stat_names),
				    &pp);
#endif
}

/* --- life ----------------------------------------------------------------- */

/* Free @q's ring and what it holds, its NAPI disabled or never enabled. */
static void zoc_port_queue_purge(struct zoc_port_queue *q)
{
	void *ptr;

	/* The frames' pages go back under RCU (xdp_return_frame()). */
	rcu_read_lock();
	while ((ptr = __ptr_ring_consume(&q->ring)))
		zoc_port_ptr_free(ptr);
	rcu_read_unlock();
}

static void zoc_port_queue_fini(struct zoc_port_queue *q)
{
	if (xdp_rxq_info_is_reg(&q->xdp_rxq))
		xdp_rxq_info_unreg(&q->xdp_rxq);
	page_pool_destroy(q->pool);	/* once its pages come back */
	ptr_ring_cleanup(&q->ring, NULL);
	__netif_napi_del(&q->napi);	/* the caller waits a grace period */
}

static int zoc_port_queue_init(struct zoc_port *port, unsigned int index)
{
	struct zoc_port_queue *q = &port->queues[index];
	struct page_pool_params pp = {
		.order = 0,
		.pool_size = ZOC_PORT_RING_SIZE,
		.nid = NUMA_NO_NODE,
	};
	int ret;

	q->port = port;
	u64_stats_init(&q->syncp);
	netif_napi_add(port->dev, &q->napi, zoc_port_poll);
	ret = ptr_ring_init(&q->ring, ZOC_PORT_RING_SIZE, GFP_KERNEL);
	if (ret) {
		__netif_napi_del(&q->napi);
		return ret;
	}
	q->pool = page_pool_create(&pp);
	if (IS_ERR(q->pool)) {
		ret = PTR_ERR(q->pool);
		q->pool = NULL;
		goto out;
	}
	ret = xdp_rxq_info_reg(&q->xdp_rxq, port->dev, index,
			       q->napi.napi_id);
	if (ret)
		goto out;
	ret = xdp_rxq_info_reg_mem_model(&q->xdp_rxq, MEM_TYPE_PAGE_POOL,
					 q->pool);
	if (!ret)
		return 0;
out:
	zoc_port_queue_fini(q);
	return ret;
}

/**
 * zoc_port_queues_init - make a new representor's queues
 * @port: the representor, not registered yet
 *
 * Context: process context.
 * Return: 0 or a negative errno; on error, none is left.
 */
int zoc_port_queues_init(struct zoc_port *port)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ZOC_PORT_QUEUES; i++) {
		ret = zoc_port_queue_init(port, i);
		if (ret) {
			while (i--)
				zoc_port_queue_fini(&port->queues[i]);
			synchronize_net();
			return ret;
		}
	}
	return 0;
}

/**
 * zoc_port_queues_fini - free a representor's queues, it unregistered
 * @port: the representor
 *
 * Pools whose pages are still out (on the uplink's transmit ring, in
 * skbs) go once the last comes back.
 */
void zoc_port_queues_fini(struct zoc_port *port)
{
	unsigned int i = ZOC_PORT_QUEUES;

	while (i--)
		zoc_port_queue_fini(&port->queues[i]);
	synchronize_net();	/* for every NAPI deleted */
}

/**
 * zoc_port_queues_start - the representor goes up: its queues take
 * @port: the representor
 *
 * Context: RTNL held.
 */
void zoc_port_queues_start(struct zoc_port *port)
{
	unsigned int i;

	for (i = 0; i < ZOC_PORT_QUEUES; i++)
		napi_enable(&port->queues[i].napi);
	WRITE_ONCE(port->running, true);
}

/**
 * zoc_port_queues_stop - the representor goes down: its queues empty
 * @port: the representor
 *
 * What they held for the host is dropped.
 *
 * Context: RTNL held; sleeps for a grace period.
 */
void zoc_port_queues_stop(struct zoc_port *port)
{
	unsigned int i;

	WRITE_ONCE(port->running, false);
	synchronize_net();	/* no producer is left */
	for (i = 0; i < ZOC_PORT_QUEUES; i++) {
		napi_disable(&port->queues[i].napi);
		zoc_port_queue_purge(&port->queues[i]);
	}
}
