// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC port representor: the netdev of the service VM at the other end of
 * each host vNIC (net.c).
 *
 * Each host vNIC is a virtio-net device for the host's stock virtio_net
 * driver and, in the service VM, a netdev of its own: the port
 * representor, as a DPU has for each function.  What the host transmits
 * arrives on the representor; what the service VM transmits on the
 * representor, or redirects to it with XDP (ndo_xdp_xmit), lands in the
 * host's receive queue.  The VPC datapath is therefore XDP programs on the
 * representors and the uplink, and any Linux tool can be used on them.
 */

#include <linux/bpf.h>
#include <linux/bpf_trace.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_net.h>
#include <net/xdp.h>
#include <linux/zoc_link.h>

#include "../../zoc_proxy.h"
#include "virtio.h"

#define ZOC_VNET_DRIVER		"zoc_rep"

/* --- from the host -------------------------------------------------------- */

static void zoc_vnet_rx_skb(struct zoc_vnet *vnet, struct sk_buff *skb)
{
	struct net_device *dev = vnet->rep;

	skb->protocol = eth_type_trans(skb, dev);
	dev_sw_netstats_rx_add(dev, skb->len + ETH_HLEN);
	netif_receive_skb(skb);
}

/* Run the representor's XDP program on a frame; BHs off, RCU held. */
static void zoc_vnet_rx_xdp(struct zoc_vnet *vnet, struct bpf_prog *prog,
			    struct page *page, unsigned int len)
{
	struct net_device *dev = vnet->rep;
	struct sk_buff *skb;
	struct xdp_buff xdp;
	u32 act;

	xdp_init_buff(&xdp, PAGE_SIZE, &vnet->xdp_rxq);
	xdp_prepare_buff(&xdp, page_address(page), XDP_PACKET_HEADROOM, len,
			 false);
	act = bpf_prog_run_xdp(prog, &xdp);
	len = xdp.data_end - xdp.data;
	switch (act) {
	case XDP_PASS:
		skb = build_skb(xdp.data_hard_start, PAGE_SIZE);
		if (!skb)
			break;
		skb_reserve(skb, xdp.data - xdp.data_hard_start);
		skb_put(skb, len);
		zoc_vnet_rx_skb(vnet, skb);
		return;
	case XDP_TX:
		dev_sw_netstats_rx_add(dev, len);
		if (zoc_vnet_send_buf(vnet, xdp.data, len))
			dev_sw_netstats_tx_add(dev, 1, len);
		else
			dev_core_stats_tx_dropped_inc(dev);
		put_page(page);
		return;
	case XDP_REDIRECT:
		dev_sw_netstats_rx_add(dev, len);
		if (!xdp_do_redirect(dev, &xdp, prog))
			return;		/* flushed at the end of the run */
		break;
	default:
		bpf_warn_invalid_xdp_action(dev, prog, act);
		fallthrough;
	case XDP_ABORTED:
		trace_xdp_exception(dev, prog, act);
		fallthrough;
	case XDP_DROP:
		put_page(page);
		return;
	}
	dev_core_stats_rx_dropped_inc(dev);
	put_page(page);
}

/*
 * Hand a frame of the host to the representor; false if dropped.  In a run
 * of the queue's work: bottom halves off, RCU held (zoc_vnet_begin()).
 */
bool zoc_vnet_rx(struct zoc_vnet *vnet, const struct zoc_vq_chain *chain,
		 const struct virtio_net_hdr *hdr, unsigned int len)
{
	struct bpf_prog *prog = rcu_dereference(vnet->xdp_prog);
	struct sk_buff *skb;
	struct page *page;

	if (prog) {
		page = dev_alloc_page();
		if (!page)
			return false;
		if (zoc_vq_chain_read(vnet->vdev, chain, ZOC_VNET_HDR_LEN,
				      page_address(page) + XDP_PACKET_HEADROOM,
				      len) ||
		    !zoc_vnet_csum(page_address(page) + XDP_PACKET_HEADROOM,
				   len, hdr)) {
			put_page(page);
			return false;
		}
		zoc_vnet_rx_xdp(vnet, prog, page, len);
		return true;
	}
	skb = netdev_alloc_skb_ip_align(vnet->rep, len);
	if (!skb)
		return false;
	if (zoc_vq_chain_read(vnet->vdev, chain, ZOC_VNET_HDR_LEN,
			      skb_put(skb, len), len) ||
	    virtio_net_hdr_to_skb(skb, hdr, true)) {
		kfree_skb(skb);
		return false;
	}
	zoc_vnet_rx_skb(vnet, skb);
	return true;
}

/* --- the representor ------------------------------------------------------ */

/*
 * The link the driver sees changes with the administrator and @rep, but
 * not when the device is detached (@rep stays, with no device, net.c):
 * for the next model (or service VM) to take over, the link the driver
 * saw is saved as it was.  Telling the driver it went down would make
 * its kernel flush the neighbours of its netdev, and resolve them again
 * once the link is back (a second later, when the first request was lost
 * meanwhile).
 */
void zoc_vnet_update_link(struct zoc_vnet *vnet)
{
	bool up = vnet->admin_up && netif_running(vnet->rep);
	__virtio16 status = __cpu_to_virtio16(true,
					      up ? VIRTIO_NET_S_LINK_UP : 0);

	ASSERT_RTNL();
	if (!vnet->vdev || up == vnet->link_up)
		return;
	/* The device before the link: zoc_vnet_to_host() */
	smp_store_release(&vnet->link_up, up);
	zoc_virtio_set_config(vnet->vdev,
			      offsetof(struct virtio_net_config, status),
			      &status, sizeof(status));
	if (net_ratelimit())
		netdev_info(vnet->rep, "host link %s\n", up ? "up" : "down");
}

static netdev_tx_t zoc_rep_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct zoc_vnet *vnet = netdev_priv(dev);
	unsigned int len = skb->len;

	if (zoc_vnet_send_skb(vnet, skb)) {
		dev_sw_netstats_tx_add(dev, 1, len);
		consume_skb(skb);
	} else {
		dev_core_stats_tx_dropped_inc(dev);
		kfree_skb(skb);
	}
	return NETDEV_TX_OK;
}

static int zoc_rep_xdp_xmit(struct net_device *dev, int n,
			    struct xdp_frame **frames, u32 flags)
{
	struct zoc_vnet *vnet = netdev_priv(dev);
	unsigned int bytes = 0;
	int i;

	if (flags & ~XDP_XMIT_FLAGS_MASK)
		return -EINVAL;
	/* The caller frees the frames not sent. */
	for (i = 0; i < n; i++) {
		if (!zoc_vnet_send_buf(vnet, frames[i]->data, frames[i]->len))
			break;
		bytes += frames[i]->len;
		xdp_return_frame(frames[i]);
	}
	if (i)
		dev_sw_netstats_tx_add(dev, i, bytes);
	return i;
}

static int zoc_rep_open(struct net_device *dev)
{
	struct zoc_vnet *vnet = netdev_priv(dev);

	netif_carrier_on(dev);
	netif_start_queue(dev);
	zoc_vnet_update_link(vnet);
	return 0;
}

static int zoc_rep_stop(struct net_device *dev)
{
	struct zoc_vnet *vnet = netdev_priv(dev);

	netif_stop_queue(dev);
	netif_carrier_off(dev);
	zoc_vnet_update_link(vnet);
	return 0;
}

static int zoc_rep_bpf(struct net_device *dev, struct netdev_bpf *bpf)
{
	struct zoc_vnet *vnet = netdev_priv(dev);
	struct bpf_prog *old;

	switch (bpf->command) {
	case XDP_SETUP_PROG:
		old = rtnl_dereference(vnet->xdp_prog);
		rcu_assign_pointer(vnet->xdp_prog, bpf->prog);
		if (old)
			bpf_prog_put(old);
		return 0;
	default:
		return -EINVAL;
	}
}

static void zoc_rep_get_drvinfo(struct net_device *dev,
				struct ethtool_drvinfo *info)
{
	struct zoc_vnet *vnet = netdev_priv(dev);

	strscpy(info->driver, ZOC_VNET_DRIVER, sizeof(info->driver));
	snprintf(info->bus_info, sizeof(info->bus_info), "zoc:%u", vnet->slot);
}

/* The identity the host asked for, for the VPC's loader: sysfs "zoc/" */
static ssize_t vni_show(struct device *d, struct device_attribute *attr,
			char *buf)
{
	struct zoc_vnet *vnet = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%u\n", le32_to_cpu(vnet->id.vni));
}
static DEVICE_ATTR_RO(vni);

static ssize_t mac_show(struct device *d, struct device_attribute *attr,
			char *buf)
{
	struct zoc_vnet *vnet = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%pM\n", vnet->id.mac);
}
static DEVICE_ATTR_RO(mac);

static ssize_t ipv4_show(struct device *d, struct device_attribute *attr,
			 char *buf)
{
	struct zoc_vnet *vnet = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%pI4/%u\n", &vnet->id.ipv4,
			  vnet->id.prefix_len);
}
static DEVICE_ATTR_RO(ipv4);

static const struct net_device_ops zoc_rep_ops = {
	.ndo_open = zoc_rep_open,
	.ndo_stop = zoc_rep_stop,
	.ndo_start_xmit = zoc_rep_xmit,
	.ndo_get_stats64 = dev_get_tstats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
	.ndo_bpf = zoc_rep_bpf,
	.ndo_xdp_xmit = zoc_rep_xdp_xmit,
};

static const struct ethtool_ops zoc_rep_ethtool_ops = {
	.get_drvinfo = zoc_rep_get_drvinfo,
	.get_link = ethtool_op_get_link,
};

static struct attribute *zoc_rep_attrs[] = {
	&dev_attr_vni.attr,
	&dev_attr_mac.attr,
	&dev_attr_ipv4.attr,
	NULL,
};

static const struct attribute_group zoc_rep_group = {
	.name = "zoc",
	.attrs = zoc_rep_attrs,
};

/**
 * zoc_rep_setup - make a netdev a port representor
 * @dev: the netdev, allocated with a &struct zoc_vnet as its private part
 *
 * Sets its operations, features and limits; it starts with a random MAC
 * address and no carrier.
 */
void zoc_rep_setup(struct net_device *dev)
{
	dev->netdev_ops = &zoc_rep_ops;
	dev->ethtool_ops = &zoc_rep_ethtool_ops;
	dev->sysfs_groups[0] = &zoc_rep_group;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->features |= NETIF_F_SG | NETIF_F_HIGHDMA | NETIF_F_LLTX;
	dev->hw_features |= NETIF_F_SG | NETIF_F_HIGHDMA;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ZOC_VNET_MTU;
	eth_hw_addr_random(dev);
	netif_carrier_off(dev);
}
