/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC I/O proxy core, inside zoc_guest: what port.c (the representor)
 * and port_queue.c (its queues) share.
 */
#ifndef _ZOC_GUEST_PORT_H
#define _ZOC_GUEST_PORT_H

#include <linux/atomic.h>
#include <linux/netdevice.h>
#include <linux/ptr_ring.h>
#include <linux/u64_stats_sync.h>
#include <net/xdp.h>
#include <linux/zoc_link.h>

#include "zoc_proxy.h"

struct page_pool;
struct zoc_proxy;

/* Frames and packets a queue holds for the host: the host's own ring */
#define ZOC_PORT_RING_SIZE	256

/**
 * struct zoc_port_queue - a queue of a representor, both ways
 * @napi: hands what @ring holds to the peer, a budget at a time
 * @ring: frames redirected to the representor (tagged pointers to
 *	&struct xdp_frame) and packets its stack sent, for the host; any
 *	CPU produces under the ring's producer lock, @napi consumes
 * @port: the representor
 * @pool: pages for the frames the host transmits on this queue, taken
 *	by one context at a time: the model's work for the queue
 * @xdp_rxq: what the XDP program sees of those frames' queue, its
 *	memory @pool's
 * @syncp: for @polls and @frames
 * @polls: runs of @napi that found something
 * @frames: what @napi took from @ring
 * @ring_full: what did not fit @ring, and was dropped
 * @xdp_drops: frames from the host that the XDP program dropped, or
 *	aborted on, or answered with an action the representor does not know
 */
struct zoc_port_queue {
	struct napi_struct napi;
	struct ptr_ring ring;
	struct zoc_port *port;
	struct page_pool *pool;
	struct xdp_rxq_info xdp_rxq;
	struct u64_stats_sync syncp;
	u64_stats_t polls;
	u64_stats_t frames;
	atomic_long_t ring_full;
	atomic_long_t xdp_drops;
};

/**
 * struct zoc_port - a port representor; the private part of its netdev
 * @dev: the netdev
 * @proxy: the proxy that keeps it
 * @slot: the slot of its device
 * @name: the name the host asked for (the netdev's may change)
 * @id: the identity the host asked for
 * @peer: the device behind it, or NULL; set under RTNL
 * @flags: ZOC_PORT_*
 * @xdp_prog: its XDP program, for what the host sends
 * @running: its queues take what is sent to it: set once their NAPI is
 *	enabled, cleared a grace period before it is disabled
 * @queues: its queues: the model's queue pairs, and for the host one by
 *	CPU of the service VM, modulo ZOC_PORT_QUEUES
 */
struct zoc_port {
	struct net_device *dev;
	struct zoc_proxy *proxy;
	unsigned int slot;
	char name[ZOC_DEV_NAME_LEN];
	struct zoc_ctrl_net id;
	struct zoc_port_peer __rcu *peer;
	unsigned long flags;
	struct bpf_prog __rcu *xdp_prog;
	bool running;
	struct zoc_port_queue queues[ZOC_PORT_QUEUES];
};

/* The peer, in a transmit path: BHs off or RCU held. */
static inline struct zoc_port_peer *zoc_port_peer(struct zoc_port *port)
{
	return rcu_dereference_check(port->peer, rcu_read_lock_bh_held());
}

int zoc_port_queues_init(struct zoc_port *port);
void zoc_port_queues_fini(struct zoc_port *port);
void zoc_port_queues_start(struct zoc_port *port);
void zoc_port_queues_stop(struct zoc_port *port);
netdev_tx_t zoc_port_xmit(struct sk_buff *skb, struct net_device *dev);
int zoc_port_xdp_xmit(struct net_device *dev, int n, struct xdp_frame **frames,
		      u32 flags);
int zoc_port_get_sset_count(struct net_device *dev, int sset);
void zoc_port_get_strings(struct net_device *dev, u32 sset, u8 *data);
void zoc_port_get_ethtool_stats(struct net_device *dev,
				struct ethtool_stats *stats, u64 *data);

#endif /* _ZOC_GUEST_PORT_H */
