// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtio-net device: the frames the host transmits, on their way to
 * the representor (net.c has the rest of the device).
 *
 * The header is read once.  A frame not to segment is copied into a page
 * for the representor's XDP program, or into an skb for its stack when it
 * has none or the frame is longer than a page takes (an MTU above about
 * 3.5 KB: the VPC datapath's tc program takes it then); a checksum left
 * to us is completed first.  A TSO frame
 * (VIRTIO_NET_F_HOST_TSO4) always goes to the stack as an skb, its
 * headers linear and its payload in pages, once its own headers were found
 * to be what its virtio header says: the VPC datapath's tc program takes
 * it on the representor's ingress, and it is segmented only where it
 * leaves the service VM.
 */

#include <linux/etherdevice.h>
#include <linux/filter.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_net.h>
#include <net/checksum.h>
#include <net/xdp.h>
#include <linux/zoc_link.h>

#include "../../zoc_proxy.h"
#include "virtio.h"

/* A TSO frame: no IPv4 packet is longer */
#define ZOC_VNET_MAX_GSO_FRAME	(VLAN_ETH_HLEN + IP_MAX_MTU)
/*
 * The linear part of a frame in pages (TSO, or longer than a page takes):
 * Ethernet, IPv4 and TCP, all options
 */
#define ZOC_VNET_SKB_HEAD	256
/* Its segments' least payload: Linux's own floor (tcp_min_snd_mss) */
#define ZOC_VNET_MIN_MSS	48

/* Each queue pair's frames have a pool of the representor's. */
static_assert(ZOC_DEV_VIRTIO_NET_MAX_QUEUES <= ZOC_PORT_QUEUES);

/* The rest of a TSO frame fits the fragments of an skb, a page each. */
static_assert(DIV_ROUND_UP(ZOC_VNET_MAX_GSO_FRAME - ZOC_VNET_SKB_HEAD,
			   PAGE_SIZE) <= MAX_SKB_FRAGS);

/* Complete a checksum the host left to us, in a linear frame. */
static bool zoc_vnet_csum(void *data, unsigned int len,
			  const struct virtio_net_hdr *hdr)
{
	unsigned int start = __virtio16_to_cpu(true, hdr->csum_start);
	unsigned int off = __virtio16_to_cpu(true, hdr->csum_offset);
	__sum16 *field;

	if (!(hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return true;
	if (start >= len || len - start < sizeof(*field) ||
	    off > len - start - sizeof(*field))
		return false;
	field = data + start + off;
	*field = csum_fold(csum_partial(data + start, len - start, 0)) ?:
		 CSUM_MANGLED_0;
	return true;
}

/*
 * Whether the headers of a TSO frame, @headlen bytes of it at @data, are
 * what its virtio header @hdr says: untagged IPv4 carrying TCP, the
 * checksum to complete TCP's (from the TCP header, its field at 16), and
 * segments of at least ZOC_VNET_MIN_MSS bytes that fit the MTU with their
 * headers.  Else the stack would complete a checksum over bytes the VPC
 * datapath judged as something else, pull kilobytes into the linear part,
 * or cut a frame into thousands of segments.
 */
static bool zoc_vnet_gso_ok(const struct zoc_vnet *vnet, const u8 *data,
			    unsigned int headlen,
			    const struct virtio_net_hdr *hdr)
{
	unsigned int start = __virtio16_to_cpu(true, hdr->csum_start);
	unsigned int mss = __virtio16_to_cpu(true, hdr->gso_size);
	const struct iphdr *ip = (const void *)(data + ETH_HLEN);
	const struct tcphdr *th;
	unsigned int ihl, thl;

	if (headlen < ETH_HLEN + sizeof(*ip) ||
	    ((const struct ethhdr *)data)->h_proto != htons(ETH_P_IP) ||
	    ip->version != 4 || ip->ihl < 5 || ip->protocol != IPPROTO_TCP)
		return false;
	ihl = ip->ihl * 4;
	th = (const void *)ip + ihl;
	if (start != ETH_HLEN + ihl ||
	    __virtio16_to_cpu(true, hdr->csum_offset) !=
	    offsetof(struct tcphdr, check) ||
	    headlen < start + sizeof(*th))
		return false;
	thl = th->doff * 4;
	return thl >= sizeof(*th) && headlen >= start + thl &&
	       mss >= ZOC_VNET_MIN_MSS && ihl + thl + mss <= vnet->mtu;
}

/*
 * Hand a frame of the host, transmitted on @pair, to the representor's
 * stack as an skb: its first @head bytes linear, the rest in pages, the
 * offloads of @hdr taken over by virtio_net_hdr_to_skb().  A checksum
 * left to us is completed now, as before XDP, unless the frame is to
 * segment: segmentation completes each segment's.  0, -EINVAL for the
 * headers of a TSO frame that are not what its virtio header says, or
 * another error: no memory, host RAM gone, a header that does not fit
 * the frame.  As zoc_vnet_rx(): bottom halves off, RCU held.
 */
static int zoc_vnet_rx_skb(struct zoc_vnet *vnet,
			   const struct zoc_vq_chain *chain,
			   const struct virtio_net_hdr *hdr, unsigned int len,
			   unsigned int head, unsigned int pair, u64 *at)
{
	struct sk_buff *skb;
	unsigned int off, n;
	struct page *page;
	int ret = -EIO;

	skb = netdev_alloc_skb_ip_align(vnet->rep, head);
	if (!skb)
		return -ENOMEM;
	if (zoc_vq_chain_read(vnet->vdev, chain, ZOC_VNET_HDR_LEN,
			      skb_put(skb, head), head))
		goto drop;
	if (hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE &&
	    !zoc_vnet_gso_ok(vnet, skb->data, head, hdr)) {
		ret = -EINVAL;
		goto drop;
	}
	/* @head is the frame or at least ZOC_VNET_SKB_HEAD: the frags fit */
	for (off = head; off < len; off += n) {
		n = min_t(unsigned int, len - off, PAGE_SIZE);
		page = dev_alloc_page();
		if (!page)
			goto drop;
		/* The skb's from here: freed with it */
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, 0, n,
				PAGE_SIZE);
		if (zoc_vq_chain_read(vnet->vdev, chain, ZOC_VNET_HDR_LEN + off,
				      page_address(page), n))
			goto drop;
	}
	/*
	 * A frame no longer than one segment is not to segment: its
	 * checksum is ours to complete, before the VPC datapath judges it.
	 */
	if (virtio_net_hdr_to_skb(skb, hdr, true) ||
	    (skb->ip_summed == CHECKSUM_PARTIAL && !skb_is_gso(skb) &&
	     skb_checksum_help(skb)))
		goto drop;
	zoc_vnet_note_from_host(vnet, skb->data, skb_headlen(skb), pair);
	*at = zoc_vnet_stage(vnet, ZOC_DEV_STAT_PREP_NS, *at);
	zoc_port_rx_skb(vnet->rep, skb);
	*at = zoc_vnet_stage(vnet, ZOC_DEV_STAT_BACKEND_NS, *at);
	return 0;

drop:
	kfree_skb(skb);
	return ret;
}

/*
 * Hand a frame of the host, transmitted on @pair, to the representor: 0,
 * or as zoc_vnet_rx_skb().  A TSO frame goes to the stack as an skb
 * whatever the representor has, XDP having no room for its segmentation:
 * a tc program on the representor's ingress takes it.  So does a frame
 * longer than a page takes, its payload in pages too.  In a run of the
 * queue's work: bottom halves off, RCU held (zoc_vnet_begin()).
 */
static int zoc_vnet_rx(struct zoc_vnet *vnet, const struct zoc_vq_chain *chain,
		       const struct virtio_net_hdr *hdr, unsigned int len,
		       unsigned int pair, u64 *at)
{
	struct bpf_prog *prog;
	struct page *page;
	void *data;

	/* virtio_net_hdr_to_skb() pulls what a checksum needs beyond */
	if (hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE ||
	    len > ZOC_PORT_XDP_MAX_FRAME)
		return zoc_vnet_rx_skb(vnet, chain, hdr, len,
				       min(len, ZOC_VNET_SKB_HEAD), pair, at);
	prog = zoc_port_xdp_prog(vnet->rep);
	if (prog) {
		page = zoc_port_alloc_page(vnet->rep, pair);
		if (!page)
			return -ENOMEM;
		data = page_address(page) + XDP_PACKET_HEADROOM;
		if (zoc_vq_chain_read(vnet->vdev, chain, ZOC_VNET_HDR_LEN,
				      data, len) ||
		    !zoc_vnet_csum(data, len, hdr)) {
			zoc_port_recycle_page(vnet->rep, pair, page);
			return -EIO;
		}
		zoc_vnet_note_from_host(vnet, data, len, pair);
		*at = zoc_vnet_stage(vnet, ZOC_DEV_STAT_PREP_NS, *at);
		zoc_port_rx_xdp(vnet->rep, prog, pair, page, len);
		*at = zoc_vnet_stage(vnet, ZOC_DEV_STAT_BACKEND_NS, *at);
		return 0;
	}
	return zoc_vnet_rx_skb(vnet, chain, hdr, len, len, pair, at);
}

/*
 * Whether a frame of @len bytes with header @hdr is one we take: at least
 * an Ethernet header, a checksum left to us starting after it and with its
 * field inside the frame; and either
 * not to segment and at most zoc_vnet_max_frame() bytes, or TCP over IPv4
 * to segment (not ECN, which is not offered) if the driver took
 * VIRTIO_NET_F_HOST_TSO4, its checksum left to us, at most
 * ZOC_VNET_MAX_GSO_FRAME bytes; its own headers are checked once read
 * (zoc_vnet_gso_ok()).
 */
static bool zoc_vnet_hdr_ok(const struct zoc_vnet *vnet,
			    const struct virtio_net_hdr *hdr, unsigned int len)
{
	bool csum = hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	u32 start = __virtio16_to_cpu(true, hdr->csum_start);
	u32 off = __virtio16_to_cpu(true, hdr->csum_offset);

	if (len < ETH_HLEN ||
	    (csum && (start < ETH_HLEN || start + off + sizeof(__sum16) > len)))
		return false;
	if (hdr->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return len <= zoc_vnet_max_frame(vnet);
	return hdr->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 &&
	       zoc_virtio_has_feature(vnet->vdev, VIRTIO_NET_F_HOST_TSO4) &&
	       csum && len <= ZOC_VNET_MAX_GSO_FRAME;
}

/* A packet from the host: its header read once, into our memory. */
int zoc_vnet_tx(struct zoc_vnet *vnet, struct zoc_virtio_queue *vq,
		const struct zoc_vq_chain *chain)
{
	u64 at = zoc_vnet_stage_begin(chain->taken);
	struct virtio_net_hdr_mrg_rxbuf hdr;
	unsigned int len;
	int ret = -ENETDOWN;

	if (chain->nr_out != chain->nr_segs || chain->out_len < ZOC_VNET_HDR_LEN)
		return -EINVAL;
	len = chain->out_len - ZOC_VNET_HDR_LEN;
	if (zoc_vq_chain_read(vnet->vdev, chain, 0, &hdr, sizeof(hdr)))
		return -EFAULT;
	if (!zoc_vnet_hdr_ok(vnet, &hdr.hdr, len))
		ret = -EINVAL;
	else if (netif_running(vnet->rep))
		ret = zoc_vnet_rx(vnet, chain, &hdr.hdr, len,
				  zoc_vnet_pair(zoc_virtio_vq_index(vq)), &at);
	if (ret == -EINVAL)
		zoc_proxy_stat_add(vnet->pdev, ZOC_DEV_STAT_INVALID, 1);
	zoc_proxy_stat_add(vnet->pdev, ZOC_DEV_STAT_COMMANDS, 1);
	if (!ret) {
		zoc_proxy_stat_add(vnet->pdev, ZOC_DEV_STAT_WRITE_BYTES, len);
	} else {
		zoc_proxy_stat_add(vnet->pdev, ZOC_DEV_STAT_ERRORS, 1);
		dev_core_stats_rx_dropped_inc(vnet->rep);
	}
	zoc_vq_complete(vq, chain->head, 0);
	/* Dropped before the datapath: its time is the preparation's */
	zoc_vnet_stage(vnet, ret ? ZOC_DEV_STAT_PREP_NS : ZOC_DEV_STAT_DONE_NS,
		       at);
	return 0;
}
