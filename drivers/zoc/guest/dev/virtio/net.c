// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtio-net device: each host vNIC is a virtio-net device for the
 * host's stock virtio_net driver; its other end is its port representor,
 * a netdev of the service VM that the proxy keeps (zoc_port_get()): the
 * device attaches to it as its peer.
 *
 * Queue pairs as the host asked, one by default (the host asks for one
 * per host CPU): receive queue 2N and transmit queue 2N + 1 of pair N.
 * With more than one, VIRTIO_NET_F_MQ and a control queue after the
 * pairs, which takes VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET only: the driver
 * uses the first pairs it sets there, one after a reset.  Packets for the
 * host follow their flow: they go to the receive queue of the pair the
 * flow last transmitted on (the specification's automatic receive
 * steering), by a symmetric hash of its addresses and ports; a flow not
 * seen yet goes by its hash.  In performance mode a transmit queue that
 * ran dry is polled for more before it asks for a notification, as
 * virtio-blk's queues are.  Also offered: VIRTIO_NET_F_MAC and _STATUS
 * (the link is up while the host's administrator wants it and the
 * representor is up), _MTU (1500, or the module's mtu parameter when the
 * device was made: the service VM's underlay must carry it with the VPC's
 * encapsulation), _MRG_RXBUF, _CSUM: the host may
 * leave checksums to us, and the service VM completes them where the
 * stack cannot (before XDP), and _HOST_TSO4: the host may leave TCP over
 * IPv4 to us to segment, up to 64 KiB a frame, which goes to the
 * representor's stack (its tc ingress first) as an skb with its payload
 * in pages, even when the representor has an XDP program: XDP has no
 * room for segmentation.  Packets for the host always carry complete
 * checksums, and are never to segment.
 *
 * The driver's receive buffers are kept as they arrive and filled when a
 * packet comes; a reset gives them back unused.  Every descriptor was
 * checked by the transport; here a transmit chain must be readable and
 * hold a header, a receive chain writable and at most ZOC_VNET_RX_SEGS
 * descriptors long, or the device needs a reset.  A packet too long or
 * too short, or with offloads we did not offer, is dropped and counted.
 * The frames the host transmits go their way in net_rx.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/filter.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <net/checksum.h>
#include <net/flow_dissector.h>
#include <net/xdp.h>
#include <linux/zoc_link.h>

#include "../../zoc_proxy.h"
#include "virtio.h"

#define ZOC_VNET_CLASS		0x020000	/* network, Ethernet */
#define ZOC_VNET_MAX_PAIRS	ZOC_DEV_VIRTIO_NET_MAX_QUEUES
/*
 * Descriptors of a receive buffer we keep: Linux posts one with mergeable
 * buffers, and without them (big packets) MTU / PAGE_SIZE + 2, 5 at 9000
 */
#define ZOC_VNET_RX_SEGS	5
/* Receive buffers a packet may spread over */
#define ZOC_VNET_MAX_BUFS	8
#define ZOC_VNET_VNI_MAX	0xffffff

#define ZOC_VNET_FEATURES	(BIT_ULL(VIRTIO_NET_F_CSUM) |		\
				 BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |	\
				 BIT_ULL(VIRTIO_NET_F_MTU) |		\
				 BIT_ULL(VIRTIO_NET_F_MAC) |		\
				 BIT_ULL(VIRTIO_NET_F_MRG_RXBUF) |	\
				 BIT_ULL(VIRTIO_NET_F_STATUS))
#define ZOC_VNET_MQ_FEATURES	(ZOC_VNET_FEATURES |			\
				 BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |	\
				 BIT_ULL(VIRTIO_NET_F_MQ))

static_assert(2 * ZOC_VNET_MAX_PAIRS + 1 <= ZOC_VIRTIO_MAX_QUEUES);

/* The receive queue of pair @pair (zoc_vnet_pair(): the pair of a queue) */
static inline unsigned int zoc_vnet_rxq_index(unsigned int pair)
{
	return 2 * pair;
}

/*
 * The pairs the queues are laid out for: those offered if the driver took
 * VIRTIO_NET_F_MQ, else one, the control queue being queue 2 then.
 */
static unsigned int zoc_vnet_layout(const struct zoc_vnet *vnet)
{
	return zoc_virtio_has_feature(vnet->vdev, VIRTIO_NET_F_MQ) ?
	       vnet->pairs : 1;
}

static inline bool zoc_vnet_is_rxq(unsigned int pairs, unsigned int index)
{
	return index < 2 * pairs && !(index % 2);
}

static inline bool zoc_vnet_is_txq(unsigned int pairs, unsigned int index)
{
	return index < 2 * pairs && index % 2;
}

/**
 * struct zoc_vnet_rxbuf - a receive buffer of the host, kept until used
 * @head: its chain's head
 * @nr_segs: descriptors in @segs
 * @len: bytes of the buffer
 * @segs: its descriptors, writable, in host RAM
 */
struct zoc_vnet_rxbuf {
	u16 head;
	u8 nr_segs;
	u32 len;
	struct zoc_vq_seg segs[ZOC_VNET_RX_SEGS];
};

/* --- steering ------------------------------------------------------------- */

/*
 * A hash of a frame's flow, the same both ways (flow_hash_from_keys()
 * orders addresses and ports): @len bytes at @data, the start of the
 * frame, which is @skb's if @skb is not NULL.  0 for what has no flow.
 */
static u32 zoc_vnet_flow_hash(const struct zoc_vnet *vnet,
			      const struct sk_buff *skb, const void *data,
			      unsigned int len)
{
	const struct ethhdr *eth = data;
	struct flow_keys keys;

	/* The hash covers every key: those not found are zero. */
	memset(&keys, 0, sizeof(keys));
	if (len < ETH_HLEN ||
	    !__skb_flow_dissect(dev_net(vnet->rep), skb, &flow_keys_dissector,
				&keys, data, eth->h_proto, ETH_HLEN, len, 0))
		return 0;
	/* Each end picks its own IPv6 flow label: not the flow's. */
	memset(&keys.tags, 0, sizeof(keys.tags));
	return flow_hash_from_keys(&keys);
}

/*
 * Forget where flows went: the pairs in use changed, and flows were not
 * noted while one pair was (zoc_vnet_steering()).
 */
static void zoc_vnet_steer_clear(struct zoc_vnet *vnet)
{
	unsigned int i;

	for (i = 0; i < ZOC_VNET_STEER; i++)
		WRITE_ONCE(vnet->steer[i], ZOC_VNET_STEER_NONE);
}

/* The host transmitted a frame of flow @hash on @pair. */
static void zoc_vnet_steer_from(struct zoc_vnet *vnet, u32 hash,
				unsigned int pair)
{
	u8 *slot = &vnet->steer[hash % ZOC_VNET_STEER];

	if (READ_ONCE(*slot) != pair)
		WRITE_ONCE(*slot, pair);
}

/*
 * The pair whose receive queue takes a frame of flow @hash: one of those
 * in use, and of the layout the driver took (a restored count may say
 * more).
 */
static unsigned int zoc_vnet_steer_to(const struct zoc_vnet *vnet, u32 hash)
{
	unsigned int curr = min(READ_ONCE(vnet->curr_pairs),
				zoc_vnet_layout(vnet));
	unsigned int pair = READ_ONCE(vnet->steer[hash % ZOC_VNET_STEER]);

	return pair < curr ? pair : reciprocal_scale(hash, curr);
}

/*
 * Frames are steered by flow only while the driver uses several pairs:
 * else every frame goes by pair 0, and none is dissected.
 */
static bool zoc_vnet_steering(const struct zoc_vnet *vnet)
{
	return READ_ONCE(vnet->curr_pairs) > 1 && zoc_vnet_layout(vnet) > 1;
}

/* The pair that takes frame @data (@skb's, if not NULL) to the host. */
static unsigned int zoc_vnet_pair_to_host(const struct zoc_vnet *vnet,
					  const struct sk_buff *skb,
					  const void *data, unsigned int len)
{
	if (!zoc_vnet_steering(vnet))
		return 0;
	return zoc_vnet_steer_to(vnet, zoc_vnet_flow_hash(vnet, skb, data,
							  len));
}

/* The host transmitted frame @data on @pair: its flow's answers go there. */
void zoc_vnet_note_from_host(struct zoc_vnet *vnet, const void *data,
			     unsigned int len, unsigned int pair)
{
	if (zoc_vnet_steering(vnet))
		zoc_vnet_steer_from(vnet, zoc_vnet_flow_hash(vnet, NULL, data,
							     len), pair);
}

/* --- stages --------------------------------------------------------------- */

/*
 * Whether packets are timed at their hand-offs, as the storage models'
 * requests are (proxy.rst, "Where the time goes"): two or three clock
 * reads more a packet, which an emulated clock makes dear; so only on
 * demand.
 */
static bool zoc_vnet_time;
module_param_named(time_stages, zoc_vnet_time, bool, 0644);
MODULE_PARM_DESC(time_stages,
		 "count each packet's time in the device's stage counters (default: off)");

/**
 * zoc_vnet_stage_begin - when a packet's first stage began, if it is timed
 * @since: when it did (ktime_get_ns()), or 0 for now
 *
 * Return: @since or now, or 0 if packets are not timed.
 */
u64 zoc_vnet_stage_begin(u64 since)
{
	if (!READ_ONCE(zoc_vnet_time))
		return 0;
	return since ?: ktime_get_ns();
}

/* --- to the host ---------------------------------------------------------- */

/**
 * struct zoc_vnet_src - a packet for the host
 * @hdr: its virtio-net header
 * @skb: the packet, or NULL
 * @data: the packet if not in @skb
 * @len: its length
 * @pair: the queue pair that takes it
 */
struct zoc_vnet_src {
	struct virtio_net_hdr_mrg_rxbuf hdr;
	const struct sk_buff *skb;
	const void *data;
	unsigned int len;
	unsigned int pair;
};

/* Copy bytes [@off, @off + @len) of header and packet to @dst. */
static void zoc_vnet_src_copy(const struct zoc_vnet_src *src, unsigned int off,
			      void *dst, unsigned int len)
{
	unsigned int n;

	if (off < ZOC_VNET_HDR_LEN) {
		n = min_t(unsigned int, len, ZOC_VNET_HDR_LEN - off);
		memcpy(dst, (const u8 *)&src->hdr + off, n);
		dst += n;
		off += n;
		len -= n;
	}
	if (!len)
		return;
	off -= ZOC_VNET_HDR_LEN;
	if (src->skb)
		WARN_ON_ONCE(skb_copy_bits(src->skb, off, dst, len));
	else
		memcpy(dst, src->data + off, len);
}

/* Fill @buf with @len bytes of @src from @off; false if host RAM went. */
static bool zoc_vnet_fill(struct zoc_vnet *vnet,
			  const struct zoc_vnet_rxbuf *buf,
			  const struct zoc_vnet_src *src, unsigned int off,
			  unsigned int len)
{
	const struct zoc_vq_seg *seg;
	unsigned int i, n;
	void *dst;

	for (i = 0; i < buf->nr_segs && len; i++) {
		seg = &buf->segs[i];
		n = min(seg->len, len);
		dst = zoc_proxy_dma_begin(vnet->pdev, seg->addr, n);
		if (!dst)
			return false;
		zoc_vnet_src_copy(src, off, dst, n);
		zoc_proxy_dma_end(vnet->pdev);
		off += n;
		len -= n;
	}
	return true;
}

/*
 * Put a packet into the host's receive buffers: one buffer, or with
 * mergeable buffers as many as it takes, posted together.  False if the
 * link is down or the host has no room: the packet is dropped.
 */
static bool zoc_vnet_to_host(struct zoc_vnet *vnet, struct zoc_vnet_src *src)
{
	unsigned int total = ZOC_VNET_HDR_LEN + src->len, done = 0, n = 0;
	u64 at = zoc_vnet_stage_begin(0);
	u16 heads[ZOC_VNET_MAX_BUFS];
	u32 lens[ZOC_VNET_MAX_BUFS];
	const struct zoc_vnet_rxbuf *buf;
	struct zoc_virtio_queue *vq;
	struct zoc_vnet_rxq *rxq;
	bool mrg, ok = true;
	unsigned int i;

	/* Up once the device runs: its representor may run before. */
	if (!smp_load_acquire(&vnet->link_up))
		return false;
	vq = zoc_virtio_queue(vnet->vdev, zoc_vnet_rxq_index(src->pair));
	rxq = &vnet->rxq[src->pair];
	mrg = zoc_virtio_has_feature(vnet->vdev, VIRTIO_NET_F_MRG_RXBUF);
	if (!zoc_virtio_vq_running(vq))
		return false;
	spin_lock_bh(&rxq->lock);
	/* Which buffers it takes */
	while (done < total) {
		if (n == rxq->prod - rxq->cons || n == ZOC_VNET_MAX_BUFS ||
		    (n && !mrg)) {
			spin_unlock_bh(&rxq->lock);
			return false;
		}
		buf = &rxq->bufs[(rxq->cons + n) % ZOC_VIRTIO_QUEUE_SIZE];
		heads[n] = buf->head;
		lens[n] = min(buf->len, total - done);
		done += lens[n++];
	}
	src->hdr.num_buffers = __cpu_to_virtio16(true, n);
	for (i = 0, done = 0; i < n && ok; done += lens[i++]) {
		buf = &rxq->bufs[(rxq->cons + i) % ZOC_VIRTIO_QUEUE_SIZE];
		ok = zoc_vnet_fill(vnet, buf, src, done, lens[i]);
	}
	rxq->cons += n;
	spin_unlock_bh(&rxq->lock);
	if (!ok)
		memset(lens, 0, sizeof(lens));
	zoc_vq_complete_multi(vq, heads, lens, n);
	/* A packet that host memory refused is dropped, not delivered */
	if (ok) {
		zoc_proxy_stat_add(vnet->pdev, ZOC_DEV_STAT_COMMANDS, 1);
		zoc_proxy_stat_add(vnet->pdev, ZOC_DEV_STAT_READ_BYTES,
				   src->len);
	}
	/* The copy into the host's buffers and their posting */
	zoc_vnet_stage(vnet, ZOC_DEV_STAT_DONE_NS, at);
	return ok;
}

static bool zoc_vnet_send_skb(struct zoc_port_peer *peer, struct sk_buff *skb)
{
	struct zoc_vnet *vnet = container_of(peer, struct zoc_vnet, peer);
	struct zoc_vnet_src src = { .skb = skb, .len = skb->len };

	/* The host did not take VIRTIO_NET_F_GUEST_CSUM: complete them. */
	if (skb->len > zoc_vnet_max_frame(vnet) ||
	    (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb)))
		return false;
	src.pair = zoc_vnet_pair_to_host(vnet, skb, skb->data,
					 skb_headlen(skb));
	return zoc_vnet_to_host(vnet, &src);
}

static bool zoc_vnet_send_buf(struct zoc_port_peer *peer, const void *data,
			      unsigned int len)
{
	struct zoc_vnet *vnet = container_of(peer, struct zoc_vnet, peer);
	struct zoc_vnet_src src = { .data = data, .len = len };

	if (len > zoc_vnet_max_frame(vnet))
		return false;
	src.pair = zoc_vnet_pair_to_host(vnet, NULL, data, len);
	return zoc_vnet_to_host(vnet, &src);
}

/* A receive buffer of @rxq: kept until a packet for the host comes. */
static int zoc_vnet_rx_buf(struct zoc_vnet_rxq *rxq,
			   const struct zoc_vq_chain *chain)
{
	struct zoc_vnet_rxbuf *buf;

	if (chain->nr_out || chain->nr_segs > ZOC_VNET_RX_SEGS ||
	    chain->in_len < ZOC_VNET_HDR_LEN)
		return -EINVAL;
	spin_lock_bh(&rxq->lock);
	/* The transport never has more chains of a queue in flight. */
	if (WARN_ON_ONCE(rxq->prod - rxq->cons >= ZOC_VIRTIO_QUEUE_SIZE)) {
		spin_unlock_bh(&rxq->lock);
		return -EINVAL;
	}
	buf = &rxq->bufs[rxq->prod % ZOC_VIRTIO_QUEUE_SIZE];
	buf->head = chain->head;
	buf->nr_segs = chain->nr_segs;
	buf->len = chain->in_len;
	memcpy(buf->segs, chain->segs, chain->nr_segs * sizeof(*chain->segs));
	rxq->prod++;
	spin_unlock_bh(&rxq->lock);
	return 0;
}

/*
 * A command on the control queue: VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET with a
 * count of pairs we offer is taken, anything else refused
 * (VIRTIO_NET_ERR).  A chain with no room for the command or its status
 * breaks the rules: the device needs a reset.
 */
static int zoc_vnet_ctrl(struct zoc_vnet *vnet, struct zoc_virtio_queue *vq,
			 const struct zoc_vq_chain *chain)
{
	struct virtio_net_ctrl_hdr hdr;
	virtio_net_ctrl_ack ack = VIRTIO_NET_ERR;
	struct virtio_net_ctrl_mq mq;
	unsigned int pairs;
	int ret;

	if (chain->out_len < sizeof(hdr) || !chain->in_len)
		return -EINVAL;
	ret = zoc_vq_chain_read(vnet->vdev, chain, 0, &hdr, sizeof(hdr));
	if (ret)
		return ret;
	if (hdr.class == VIRTIO_NET_CTRL_MQ &&
	    hdr.cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET &&
	    zoc_virtio_has_feature(vnet->vdev, VIRTIO_NET_F_MQ) &&
	    chain->out_len == sizeof(hdr) + sizeof(mq)) {
		ret = zoc_vq_chain_read(vnet->vdev, chain, sizeof(hdr), &mq,
					sizeof(mq));
		if (ret)
			return ret;
		pairs = __virtio16_to_cpu(true, mq.virtqueue_pairs);
		if (pairs >= VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN &&
		    pairs <= vnet->pairs) {
			if (pairs != READ_ONCE(vnet->curr_pairs)) {
				zoc_vnet_steer_clear(vnet);
				if (net_ratelimit())
					netdev_info(vnet->rep,
						    "%u of %u queue pairs in use\n",
						    pairs, vnet->pairs);
			}
			WRITE_ONCE(vnet->curr_pairs, pairs);
			/* a model taking the device over must know it */
			zoc_virtio_set_type_state(vnet->vdev, pairs);
			ack = VIRTIO_NET_OK;
		}
	}
	if (ack != VIRTIO_NET_OK)
		zoc_proxy_stat_add(vnet->pdev, ZOC_DEV_STAT_INVALID, 1);
	ret = zoc_vq_chain_write(vnet->vdev, chain, 0, &ack, sizeof(ack));
	if (ret)
		return ret;
	zoc_vq_complete(vq, chain->head, sizeof(ack));
	return 0;
}

static int zoc_vnet_handle(struct zoc_virtio_queue *vq,
			   const struct zoc_vq_chain *chain)
{
	struct zoc_vnet *vnet = zoc_virtio_priv(zoc_virtio_vq_dev(vq));
	unsigned int index = zoc_virtio_vq_index(vq);
	unsigned int pairs = zoc_vnet_layout(vnet);

	if (zoc_vnet_is_rxq(pairs, index))
		return zoc_vnet_rx_buf(&vnet->rxq[zoc_vnet_pair(index)], chain);
	if (zoc_vnet_is_txq(pairs, index))
		return zoc_vnet_tx(vnet, vq, chain);
	if (index == 2 * pairs)
		return zoc_vnet_ctrl(vnet, vq, chain);
	/* A queue of pairs the driver did not take */
	return -EINVAL;
}

/*
 * A run of a queue's work is one NAPI-like batch: bottom halves off and
 * RCU held throughout, redirected frames flushed once at its end.
 */
static void zoc_vnet_begin(struct zoc_virtio_queue *vq)
	__acquires(RCU)
{
	local_bh_disable();
	rcu_read_lock();
}

static void zoc_vnet_end(struct zoc_virtio_queue *vq)
	__releases(RCU)
{
	struct zoc_vnet *vnet = zoc_virtio_priv(zoc_virtio_vq_dev(vq));
	u64 at;

	/*
	 * This CPU's redirects, if any: cheap when there are none.  Their
	 * sending on (to the uplink, say) is the datapath's time.
	 */
	if (zoc_vnet_is_txq(zoc_vnet_layout(vnet), zoc_virtio_vq_index(vq))) {
		at = zoc_vnet_stage_begin(0);
		xdp_do_flush();
		zoc_vnet_stage(vnet, ZOC_DEV_STAT_BACKEND_NS, at);
	}
	rcu_read_unlock();
	local_bh_enable();
}

static void zoc_vnet_drain(struct zoc_virtio_queue *vq)
{
	struct zoc_vnet *vnet = zoc_virtio_priv(zoc_virtio_vq_dev(vq));
	unsigned int index = zoc_virtio_vq_index(vq);
	struct zoc_vnet_rxq *rxq;
	unsigned int n;

	/* Whatever the layout: a queue that kept no buffer drops none. */
	if (!zoc_vnet_is_rxq(vnet->pairs, index))
		return;
	rxq = &vnet->rxq[zoc_vnet_pair(index)];
	spin_lock_bh(&rxq->lock);
	n = rxq->prod - rxq->cons;
	rxq->cons = rxq->prod;
	spin_unlock_bh(&rxq->lock);
	while (n--)
		zoc_vq_drop(vq);
}

/* The driver reset the device: one pair until it sets more. */
static void zoc_vnet_reset(struct zoc_virtio_dev *vdev)
{
	struct zoc_vnet *vnet = zoc_virtio_priv(vdev);

	WRITE_ONCE(vnet->curr_pairs, 1);
}

/*
 * Performance mode polls the transmit queues: the host fills them.  Not
 * the receive queues (buffers the device keeps) nor the control queue.
 */
static bool zoc_vnet_poll(const struct zoc_virtio_queue *vq)
{
	const struct zoc_vnet *vnet = zoc_virtio_priv(zoc_virtio_vq_dev(vq));

	return zoc_vnet_is_txq(zoc_vnet_layout(vnet), zoc_virtio_vq_index(vq));
}

/*
 * A service VM whose VPC datapath cannot take TSO frames (no tc program
 * on the representors' ingress) must not be offered them: the stack would
 * drop them.  Alike on every service VM of a host: a takeover keeps what
 * the driver negotiated.
 */
static bool zoc_vnet_host_tso = true;
module_param_named(host_tso, zoc_vnet_host_tso, bool, 0444);
MODULE_PARM_DESC(host_tso, "offer VIRTIO_NET_F_HOST_TSO4 (default: on)");

/*
 * The MTU of the devices made from now on: what the service VM's underlay
 * carries with the VPC's encapsulation (50 bytes for VXLAN over IPv4),
 * which only the service VM's configuration knows.  A device keeps its MTU
 * for its life, across takeovers: its driver read it once.
 */
static unsigned int zoc_vnet_mtu = ETH_DATA_LEN;

static int zoc_vnet_mtu_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, ETH_MIN_MTU, ZOC_VNET_MAX_MTU);
}

static const struct kernel_param_ops zoc_vnet_mtu_ops = {
	.set = zoc_vnet_mtu_set,
	.get = param_get_uint,
};

module_param_cb(mtu, &zoc_vnet_mtu_ops, &zoc_vnet_mtu, 0644);
MODULE_PARM_DESC(mtu, "MTU of new devices, 68 to 9000 (default: 1500)");

static struct zoc_virtio_ops zoc_vnet_ops __ro_after_init = {
	.type = ZOC_DEV_VIRTIO_NET,
	.device_id = VIRTIO_ID_NET,
	.class = ZOC_VNET_CLASS,
	.features = ZOC_VNET_FEATURES,
	.handle = zoc_vnet_handle,
	.begin = zoc_vnet_begin,
	.end = zoc_vnet_end,
	.drain = zoc_vnet_drain,
	.reset = zoc_vnet_reset,
	.poll = zoc_vnet_poll,
	.paired = true,
};

/* The same with more than one pair: set up by zoc_virtio_net_init() */
static struct zoc_virtio_ops zoc_vnet_mq_ops __ro_after_init;

/* --- devices -------------------------------------------------------------- */

/*
 * zoc_vnet_params_ok - whether a request for a vNIC can be served
 * @params: the request, from the host or a live record (untrusted)
 *
 * A unicast MAC, a VNI and prefix length in range, at most
 * ZOC_VNET_MAX_PAIRS queue pairs.
 */
static bool zoc_vnet_params_ok(const struct zoc_proxy_params *params)
{
	const struct zoc_ctrl_net *id = &params->net;

	return is_valid_ether_addr(id->mac) && !id->reserved &&
	       le32_to_cpu(id->vni) <= ZOC_VNET_VNI_MAX &&
	       id->prefix_len >= 1 && id->prefix_len <= 32 &&
	       params->queues <= ZOC_VNET_MAX_PAIRS;
}

/**
 * struct zoc_vnet_saved - what virtio-net saves after its transport's
 * @admin_up: the host's administrator wants the link up
 * @curr_pairs: the queue pairs the driver uses; 0 (saved before there was
 *	more than one) is one
 * @reserved: zero
 */
struct zoc_vnet_saved {
	u8 admin_up;
	u8 curr_pairs;
	u8 reserved[6];
};

/*
 * The link the driver sees changes with the administrator and the
 * representor, but not when the device is detached (the representor
 * stays, with no device): for the next model (or service VM) to take
 * over, the link the driver saw is left as it was, and shown as it was
 * until the representor runs (a new service VM's comes up later).
 * Telling the driver it went down would make its kernel flush the
 * neighbours of its netdev, and resolve them again once the link is back
 * (a second later, when the first request was lost meanwhile).  RTNL
 * held.
 */
static void zoc_vnet_update_link(struct zoc_vnet *vnet)
{
	bool up = vnet->admin_up && netif_running(vnet->rep);
	__virtio16 status = __cpu_to_virtio16(true,
					      up ? VIRTIO_NET_S_LINK_UP : 0);

	ASSERT_RTNL();
	if (up != vnet->link_up)	/* the device first: zoc_vnet_to_host() */
		smp_store_release(&vnet->link_up, up);
	/* Taken over: not down only until the representor first runs */
	if (vnet->shown_left) {
		if (vnet->admin_up && !netif_running(vnet->rep))
			return;
		vnet->shown_left = false;
	}
	if (up == vnet->shown_up)
		return;
	vnet->shown_up = up;
	zoc_virtio_set_config(vnet->vdev,
			      offsetof(struct virtio_net_config, status),
			      &status, sizeof(status));
	if (net_ratelimit())
		netdev_info(vnet->rep, "host link %s\n", up ? "up" : "down");
}

static void zoc_vnet_changed(struct zoc_port_peer *peer)
{
	zoc_vnet_update_link(container_of(peer, struct zoc_vnet, peer));
}

static const struct zoc_port_ops zoc_vnet_port_ops = {
	.xmit_skb = zoc_vnet_send_skb,
	.xmit_buf = zoc_vnet_send_buf,
	.changed = zoc_vnet_changed,
};

/*
 * The representor of a standby's device to take over, prepared: the
 * proxy keeps it for the takeover of the same slot, name and identity
 * (zoc_port_get()).  A request the model could not serve prepares
 * nothing, and drops what was.
 */
static int zoc_vnet_prepare(struct zoc_proxy *proxy, unsigned int slot,
			    const struct zoc_proxy_params *params)
{
	if (!params || !zoc_vnet_params_ok(params)) {
		zoc_port_drop(proxy, slot);
		return 0;
	}
	return zoc_port_prepare(proxy, slot, params->name, &params->net);
}

static void zoc_vnet_free(struct zoc_vnet *vnet)
{
	unsigned int i;

	for (i = 0; i < vnet->pairs; i++)
		kvfree(vnet->rxq[i].bufs);
	kfree(vnet);
}

/*
 * The MTU of a device: for one taken over, what its driver read (the
 * configuration the last model left, if sane), else the parameter's.
 */
static unsigned int zoc_vnet_mtu_of(struct zoc_pdev *pdev, bool take_over)
{
	__virtio16 field;
	unsigned int mtu;

	if (take_over &&
	    !zoc_virtio_config_left(pdev,
				    offsetof(struct virtio_net_config, mtu),
				    &field, sizeof(field))) {
		mtu = __virtio16_to_cpu(true, field);
		if (mtu >= ETH_MIN_MTU && mtu <= ZOC_VNET_MAX_MTU)
			return mtu;
	}
	return READ_ONCE(zoc_vnet_mtu);
}

/* The link shown to the driver of a device taken over, by the last model */
static bool zoc_vnet_link_left(struct zoc_pdev *pdev)
{
	__virtio16 field;

	if (zoc_virtio_config_left(pdev,
				   offsetof(struct virtio_net_config, status),
				   &field, sizeof(field)))
		return false;
	return __virtio16_to_cpu(true, field) & VIRTIO_NET_S_LINK_UP;
}

/*
 * A device for @params; with @state (@len bytes), the device a model let
 * go of, going on where it stopped; with @track too, the device of a
 * model that died, from its live record, which has the transport only:
 * the link is up, as for a new device.  The representor the proxy has
 * for the same slot and request, prepared by a standby or kept while the
 * model was replaced, is taken: registered and joined to the VPC already.
 */
static int zoc_vnet_new(struct zoc_pdev *pdev,
			const struct zoc_proxy_params *params,
			const void *state, size_t len, const void *track)
{
	const struct zoc_vnet_saved *saved = NULL;
	struct virtio_net_config cfg = {};
	struct zoc_virtio_dev *vdev;
	struct zoc_vnet *vnet;
	bool kept, prepared = false;
	unsigned int i;
	u8 pairs;
	int ret;

	if (!zoc_vnet_params_ok(params))
		return -EINVAL;
	vnet = kzalloc(sizeof(*vnet), GFP_KERNEL);
	if (!vnet)
		return -ENOMEM;
	vnet->peer.ops = &zoc_vnet_port_ops;
	vnet->pdev = pdev;
	vnet->admin_up = true;
	vnet->mtu = zoc_vnet_mtu_of(pdev, state || track);
	vnet->pairs = params->queues ?: 1;
	vnet->curr_pairs = 1;
	zoc_vnet_steer_clear(vnet);
	for (i = 0; i < vnet->pairs; i++) {
		spin_lock_init(&vnet->rxq[i].lock);
		vnet->rxq[i].bufs = kvcalloc(ZOC_VIRTIO_QUEUE_SIZE,
					     sizeof(*vnet->rxq[i].bufs),
					     GFP_KERNEL);
		if (!vnet->rxq[i].bufs) {
			ret = -ENOMEM;
			goto out_free;
		}
	}

	memcpy(cfg.mac, params->net.mac, ETH_ALEN);
	cfg.max_virtqueue_pairs = __cpu_to_virtio16(true, vnet->pairs);
	cfg.mtu = __cpu_to_virtio16(true, vnet->mtu);
	if (state || track)
		vnet->shown_up = zoc_vnet_link_left(pdev);
	cfg.status = __cpu_to_virtio16(true, vnet->shown_up ?
					     VIRTIO_NET_S_LINK_UP : 0);
	if (vnet->pairs > 1)
		vdev = zoc_virtio_create(pdev, &zoc_vnet_mq_ops,
					 2 * vnet->pairs + 1, &cfg, sizeof(cfg),
					 vnet, state);
	else
		vdev = zoc_virtio_create(pdev, &zoc_vnet_ops, 2, &cfg,
					 sizeof(cfg), vnet, state);
	if (IS_ERR(vdev)) {
		ret = PTR_ERR(vdev);
		goto out_free;
	}
	vnet->vdev = vdev;
	if (track) {
		ret = zoc_virtio_recover(vdev, state, len, track);
		if (ret < 0)
			goto out_virtio;
	} else if (state) {
		ret = zoc_virtio_restore(vdev, state, len);
		if (ret < 0)
			goto out_virtio;
		saved = state + ret;
		ret = -EINVAL;
		if (len - ret < sizeof(*saved) || saved->admin_up > 1 ||
		    saved->curr_pairs > vnet->pairs)
			goto out_virtio;
		vnet->admin_up = saved->admin_up;
		vnet->curr_pairs = saved->curr_pairs ?: 1;
	}
	/*
	 * The pairs in use, as recorded with the transport (untrusted):
	 * only for a driver that runs, which set them since its reset.  A
	 * state saved by a model that kept them in its own state only
	 * records them with the transport from now on.
	 */
	pairs = zoc_virtio_type_state(vdev);
	if (!(READ_ONCE(vdev->status) & VIRTIO_CONFIG_S_DRIVER_OK))
		vnet->curr_pairs = 1;
	else if (pairs && pairs <= vnet->pairs)
		vnet->curr_pairs = pairs;
	else if (vnet->curr_pairs > 1)
		zoc_virtio_set_type_state(vdev, vnet->curr_pairs);
	vnet->rep = zoc_port_get(pdev->proxy, pdev->slot, params->name,
				 &params->net, &kept);
	if (IS_ERR(vnet->rep)) {
		ret = PTR_ERR(vnet->rep);
		goto out_virtio;
	}
	/*
	 * A representor kept may run already: its transmits reach the
	 * device from here, but stop at the link, down until it runs
	 * (zoc_vnet_resume()).
	 */
	rtnl_lock();
	ret = dev_set_mtu(vnet->rep, vnet->mtu);
	if (!ret)
		prepared = zoc_port_attach(vnet->rep, &vnet->peer);
	/* One kept from the last model says what the link is at resume. */
	vnet->shown_left = (state || track) && (prepared || !kept);
	/*
	 * A new device has no resume: its link comes up here if a
	 * representor it was given runs already.
	 */
	if (!ret && !state && !track)
		zoc_vnet_update_link(vnet);
	rtnl_unlock();
	if (ret) {
		zoc_port_drop(pdev->proxy, pdev->slot);
		goto out_virtio;
	}
	if (prepared)
		netdev_info(vnet->rep, "prepared representor of %s taken\n",
			    params->name);
	else if (kept)
		netdev_info(vnet->rep, "representor of %s kept\n",
			    params->name);
	return 0;

out_virtio:
	zoc_virtio_destroy(vdev);
out_free:
	zoc_vnet_free(vnet);
	return ret;
}

static int zoc_vnet_create(struct zoc_pdev *pdev,
			   const struct zoc_proxy_params *params)
{
	return zoc_vnet_new(pdev, params, NULL, 0, NULL);
}

static int zoc_vnet_attach(struct zoc_pdev *pdev,
			   const struct zoc_proxy_params *params,
			   const void *state, size_t len)
{
	return zoc_vnet_new(pdev, params, state, len, NULL);
}

static int zoc_vnet_recover(struct zoc_pdev *pdev,
			    const struct zoc_proxy_params *params,
			    const void *state, size_t len, const void *track)
{
	return zoc_vnet_new(pdev, params, state, len, track);
}

/*
 * No more transmits of the representor: those under way end with the
 * grace period.  Its link the driver saw is left as it was.
 */
static void zoc_vnet_unplug(struct zoc_vnet *vnet)
{
	rtnl_lock();
	/* Pairs with zoc_vnet_to_host()'s acquire, as zoc_vnet_update_link() */
	smp_store_release(&vnet->link_up, false);
	zoc_port_detach(vnet->rep);
	rtnl_unlock();
}

/* The representor goes with the device: the proxy drops it. */
static void zoc_vnet_destroy(struct zoc_pdev *pdev)
{
	struct zoc_vnet *vnet = zoc_virtio_priv(pdev->priv);

	zoc_vnet_unplug(vnet);
	zoc_virtio_destroy(vnet->vdev);
	zoc_vnet_free(vnet);
}

/*
 * Tear the device down, its state saved first (@len bytes at @state): its
 * receive buffers are given back to be taken again.  The representor
 * stays with the proxy, joined to the VPC, with no device: what it sends
 * is dropped until the next model or service VM attaches to it.  Return
 * the bytes saved, or a negative errno.
 */
static int zoc_vnet_detach(struct zoc_pdev *pdev, void *state, size_t len)
{
	struct zoc_vnet *vnet = zoc_virtio_priv(pdev->priv);
	struct zoc_vnet_saved *saved;
	int ret;

	zoc_vnet_unplug(vnet);
	ret = zoc_virtio_detach(vnet->vdev, state, len);
	if (ret >= 0 && len - ret < sizeof(*saved))
		ret = -ENOSPC;
	if (ret >= 0) {
		saved = state + ret;
		memset(saved, 0, sizeof(*saved));
		saved->admin_up = vnet->admin_up;
		saved->curr_pairs = READ_ONCE(vnet->curr_pairs);
		ret += sizeof(*saved);
	}
	zoc_vnet_free(vnet);
	return ret;
}

/* The queues run: the link the driver saw, once the representor is up. */
static void zoc_vnet_resume(struct zoc_pdev *pdev)
{
	struct zoc_vnet *vnet = zoc_virtio_priv(pdev->priv);

	zoc_virtio_resume(pdev);
	rtnl_lock();
	zoc_vnet_update_link(vnet);
	rtnl_unlock();
}

static void zoc_vnet_set_link(struct zoc_pdev *pdev, bool up)
{
	struct zoc_vnet *vnet = zoc_virtio_priv(pdev->priv);

	/* Nothing to do for the same request again, as often as it comes */
	if (READ_ONCE(vnet->admin_up) == up)
		return;
	rtnl_lock();
	WRITE_ONCE(vnet->admin_up, up);
	zoc_vnet_update_link(vnet);
	rtnl_unlock();
}

static struct zoc_proxy_model zoc_vnet_model = {
	.type = ZOC_DEV_VIRTIO_NET,
	.name = "virtio-net",
	.owner = THIS_MODULE,
	.create = zoc_vnet_create,
	.destroy = zoc_vnet_destroy,
	.mmio_read = zoc_virtio_mmio_read,
	.mmio_write = zoc_virtio_mmio_write,
	.doorbell = zoc_virtio_doorbell,
	.set_link = zoc_vnet_set_link,
	.detach = zoc_vnet_detach,
	.attach = zoc_vnet_attach,
	.recover = zoc_vnet_recover,
	.resume = zoc_vnet_resume,
	.prepare = zoc_vnet_prepare,
};

int zoc_virtio_net_init(void)
{
	if (!zoc_vnet_host_tso)
		zoc_vnet_ops.features &= ~BIT_ULL(VIRTIO_NET_F_HOST_TSO4);
	zoc_vnet_mq_ops = zoc_vnet_ops;
	zoc_vnet_mq_ops.features |= ZOC_VNET_MQ_FEATURES &
				    ~ZOC_VNET_FEATURES;
	return zoc_proxy_register_model(&zoc_vnet_model);
}

void zoc_virtio_net_exit(void)
{
	zoc_proxy_unregister_model(&zoc_vnet_model);
}
