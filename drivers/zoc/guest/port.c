// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC I/O proxy core: port representors.
 *
 * Each host vNIC is a network device of a model (virtio-net) for the
 * host's stock driver and, in the service VM, a netdev of its own: the
 * port representor, as a DPU has for each function.  What the host
 * transmits arrives on the representor; what the service VM transmits on
 * the representor, or redirects to it with XDP (ndo_xdp_xmit), lands in
 * the host's receive queue, through the representor's queues (their
 * rings and NAPI, and their page pools for the host's frames:
 * port_queue.c).  The VPC datapath is therefore XDP programs on the
 * representors and the uplink, and any Linux tool can be used on them.
 *
 * The representor is the proxy's, kept by slot, not the model's: its
 * operations are here, and the model's device is its peer
 * (&struct zoc_port_peer), attached and detached under RTNL.  With no
 * peer, what the representor sends is dropped.  So the netdev, its XDP
 * program, the VPC state the firmware's hotplug hook gave it and the
 * neighbours of the service VM stay while the model is replaced
 * (updates.rst): the next model attaches to the same netdev.  A standby
 * registers, with no peer, the representor of each vNIC the serving
 * service VM has (prepare.c), so that the hook joins it to the VPC, a
 * program run of tens of milliseconds, before the takeover; and the one
 * that hands its link over keeps its own, ready for a hand-back.
 */

#include <linux/bpf.h>
#include <linux/bpf_trace.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <net/xdp.h>
#include <linux/zoc_link.h>

#include "port.h"
#include "proxy.h"
#include "zoc_proxy.h"

#define ZOC_PORT_DRIVER		"zoc_rep"

/* &struct zoc_port.flags */
#define ZOC_PORT_PREPARED	0	/* prepared since its last peer */
#define ZOC_PORT_ANNOUNCE	1	/* prepared, its move not told yet */

/* --- from the host -------------------------------------------------------- */

/**
 * zoc_port_xdp_prog - the XDP program of a representor
 * @dev: the representor
 *
 * Context: RCU read-side, as for the run of the program.
 * Return: the program, or NULL.
 */
struct bpf_prog *zoc_port_xdp_prog(struct net_device *dev)
{
	struct zoc_port *port = netdev_priv(dev);

	return rcu_dereference(port->xdp_prog);
}
EXPORT_SYMBOL_GPL(zoc_port_xdp_prog);

/**
 * zoc_port_rx_skb - hand a frame of the host to the stack
 * @dev: the representor
 * @skb: the frame, from its Ethernet header
 *
 * Context: bottom halves off.
 */
void zoc_port_rx_skb(struct net_device *dev, struct sk_buff *skb)
{
	skb->protocol = eth_type_trans(skb, dev);
	dev_sw_netstats_rx_add(dev, skb->len + ETH_HLEN);
	netif_receive_skb(skb);
}
EXPORT_SYMBOL_GPL(zoc_port_rx_skb);

/**
 * zoc_port_rx_xdp - run a representor's XDP program on a frame of the host
 * @dev: the representor
 * @prog: its program, from zoc_port_xdp_prog() under the same RCU
 * @queue: the model's queue pair the frame came on
 * @page: a page of zoc_port_alloc_page() for @queue, holding the frame at
 *	XDP_PACKET_HEADROOM; taken
 * @len: the frame's length, at most ZOC_PORT_XDP_MAX_FRAME
 *
 * What the program redirects is flushed by the caller, xdp_do_flush(), at
 * the end of its batch; what it sends back goes to the peer.
 *
 * Context: as zoc_port_alloc_page(); RCU held.
 */
void zoc_port_rx_xdp(struct net_device *dev, struct bpf_prog *prog,
		     unsigned int queue, struct page *page, unsigned int len)
{
	struct zoc_port *port = netdev_priv(dev);
	struct zoc_port_peer *peer;
	struct sk_buff *skb;
	struct xdp_buff xdp;
	u32 act;

	xdp_init_buff(&xdp, PAGE_SIZE, &port->queues[queue].xdp_rxq);
	xdp_prepare_buff(&xdp, page_address(page), XDP_PACKET_HEADROOM, len,
			 false);
	act = bpf_prog_run_xdp(prog, &xdp);
	len = xdp.data_end - xdp.data;
	switch (act) {
	case XDP_PASS:
		skb = build_skb(xdp.data_hard_start, PAGE_SIZE);
		if (!skb)
			break;
		skb_mark_for_recycle(skb);
		skb_reserve(skb, xdp.data - xdp.data_hard_start);
		skb_put(skb, len);
		zoc_port_rx_skb(dev, skb);
		return;
	case XDP_TX:
		dev_sw_netstats_rx_add(dev, len);
		peer = zoc_port_peer(port);
		if (peer && peer->ops->xmit_buf(peer, xdp.data, len))
			dev_sw_netstats_tx_add(dev, 1, len);
		else
			dev_core_stats_tx_dropped_inc(dev);
		zoc_port_recycle_page(dev, queue, page);
		return;
	case XDP_REDIRECT:
		dev_sw_netstats_rx_add(dev, len);
		if (!xdp_do_redirect(dev, &xdp, prog))
			return;		/* flushed at the end of the batch */
		break;
	default:
		bpf_warn_invalid_xdp_action(dev, prog, act);
		fallthrough;
	case XDP_ABORTED:
		trace_xdp_exception(dev, prog, act);
		fallthrough;
	case XDP_DROP:
		atomic_long_inc(&port->queues[queue].xdp_drops);
		zoc_port_recycle_page(dev, queue, page);
		return;
	}
	dev_core_stats_rx_dropped_inc(dev);
	zoc_port_recycle_page(dev, queue, page);
}
EXPORT_SYMBOL_GPL(zoc_port_rx_xdp);

/* --- the representor ------------------------------------------------------ */

/* The representor went up or down: the peer's link may follow.  RTNL. */
static void zoc_port_changed(struct zoc_port *port)
{
	struct zoc_port_peer *peer = rtnl_dereference(port->peer);

	if (peer)
		peer->ops->changed(peer);
}

static int zoc_port_open(struct net_device *dev)
{
	zoc_port_queues_start(netdev_priv(dev));
	netif_carrier_on(dev);
	netif_start_queue(dev);
	zoc_port_changed(netdev_priv(dev));
	return 0;
}

static int zoc_port_stop(struct net_device *dev)
{
	netif_stop_queue(dev);
	netif_carrier_off(dev);
	zoc_port_queues_stop(netdev_priv(dev));
	zoc_port_changed(netdev_priv(dev));
	return 0;
}

static int zoc_port_bpf(struct net_device *dev, struct netdev_bpf *bpf)
{
	struct zoc_port *port = netdev_priv(dev);
	struct bpf_prog *old;

	switch (bpf->command) {
	case XDP_SETUP_PROG:
		old = rtnl_dereference(port->xdp_prog);
		rcu_assign_pointer(port->xdp_prog, bpf->prog);
		if (old)
			bpf_prog_put(old);
		return 0;
	default:
		return -EINVAL;
	}
}

static void zoc_port_get_drvinfo(struct net_device *dev,
				 struct ethtool_drvinfo *info)
{
	struct zoc_port *port = netdev_priv(dev);

	strscpy(info->driver, ZOC_PORT_DRIVER, sizeof(info->driver));
	snprintf(info->bus_info, sizeof(info->bus_info), "zoc:%u", port->slot);
}

/* The identity the host asked for, for the VPC's loader: sysfs "zoc/" */
static ssize_t vni_show(struct device *d, struct device_attribute *attr,
			char *buf)
{
	struct zoc_port *port = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%u\n", le32_to_cpu(port->id.vni));
}
static DEVICE_ATTR_RO(vni);

static ssize_t mac_show(struct device *d, struct device_attribute *attr,
			char *buf)
{
	struct zoc_port *port = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%pM\n", port->id.mac);
}
static DEVICE_ATTR_RO(mac);

static ssize_t ipv4_show(struct device *d, struct device_attribute *attr,
			 char *buf)
{
	struct zoc_port *port = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "%pI4/%u\n", &port->id.ipv4,
			  port->id.prefix_len);
}
static DEVICE_ATTR_RO(ipv4);

static const struct net_device_ops zoc_port_ops = {
	.ndo_open = zoc_port_open,
	.ndo_stop = zoc_port_stop,
	.ndo_start_xmit = zoc_port_xmit,
	.ndo_get_stats64 = dev_get_tstats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
	.ndo_bpf = zoc_port_bpf,
	.ndo_xdp_xmit = zoc_port_xdp_xmit,
};

static const struct ethtool_ops zoc_port_ethtool_ops = {
	.get_drvinfo = zoc_port_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_sset_count = zoc_port_get_sset_count,
	.get_strings = zoc_port_get_strings,
	.get_ethtool_stats = zoc_port_get_ethtool_stats,
};

static struct attribute *zoc_port_attrs[] = {
	&dev_attr_vni.attr,
	&dev_attr_mac.attr,
	&dev_attr_ipv4.attr,
	NULL,
};

static const struct attribute_group zoc_port_group = {
	.name = "zoc",
	.attrs = zoc_port_attrs,
};

/* Operations, features and limits; a random MAC address, no carrier. */
static void zoc_port_setup(struct net_device *dev)
{
	dev->netdev_ops = &zoc_port_ops;
	dev->ethtool_ops = &zoc_port_ethtool_ops;
	dev->sysfs_groups[0] = &zoc_port_group;
	/*
	 * No netpoll (netconsole): its transmit may come with interrupts
	 * off, even in hard interrupt context, where the queues' rings are
	 * taken with the softirq's locks.
	 */
	dev->priv_flags |= IFF_NO_QUEUE | IFF_DISABLE_NETPOLL;
	dev->features |= NETIF_F_SG | NETIF_F_HIGHDMA | NETIF_F_LLTX;
	dev->hw_features |= NETIF_F_SG | NETIF_F_HIGHDMA;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ZOC_PORT_MAX_MTU;
	eth_hw_addr_random(dev);
	netif_carrier_off(dev);
}

static void zoc_port_free(struct net_device *dev)
{
	struct zoc_port *port = netdev_priv(dev);

	zoc_port_queues_fini(port);
	free_percpu(dev->tstats);
	free_netdev(dev);
}

/* A representor, registered, with no peer.  Port mutex held. */
static struct zoc_port *zoc_port_new(struct zoc_proxy *proxy,
				     unsigned int slot, const char *name,
				     const struct zoc_ctrl_net *id)
{
	struct net_device *dev;
	struct zoc_port *port;
	int ret = -ENOMEM;

	dev = alloc_netdev_mqs(sizeof(*port), name, NET_NAME_USER, ether_setup,
			       1, ZOC_PORT_QUEUES);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	port = netdev_priv(dev);
	port->dev = dev;
	port->proxy = proxy;
	port->slot = slot;
	strscpy(port->name, name, sizeof(port->name));
	port->id = *id;
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!dev->tstats)
		goto out_free;
	zoc_port_setup(dev);
	ret = zoc_port_queues_init(port);
	if (ret)
		goto out_free;
	ret = register_netdev(dev);
	if (!ret)
		return port;
	zoc_port_queues_fini(port);
out_free:
	free_percpu(dev->tstats);
	free_netdev(dev);
	return ERR_PTR(ret);
}

/* Unregister and free @slot's representor, unless a peer has it. */
static void zoc_port_drop_locked(struct zoc_proxy *proxy, unsigned int slot)
{
	struct zoc_port *port = proxy->ports[slot];

	if (!port || rcu_access_pointer(port->peer))
		return;
	proxy->ports[slot] = NULL;
	netdev_info(port->dev, "representor dropped\n");
	unregister_netdev(port->dev);
	zoc_port_free(port->dev);
}

/*
 * The representor of @slot for @name and @id, made if need be; @kept set
 * if it was there already.  See zoc_port_get().
 */
static struct zoc_port *__zoc_port_get(struct zoc_proxy *proxy,
				       unsigned int slot, const char *name,
				       const struct zoc_ctrl_net *id,
				       bool *kept, bool prepare)
{
	struct zoc_port *port;
	unsigned int i;

	if (slot >= ZOC_LINK_MAX_DEVS)
		return ERR_PTR(-EINVAL);
	mutex_lock(&proxy->port_mutex);
	port = proxy->ports[slot];
	*kept = port && !strcmp(port->name, name) &&
		!memcmp(&port->id, id, sizeof(*id));
	if (*kept) {
		if (rcu_access_pointer(port->peer))
			port = ERR_PTR(-EBUSY);
		goto out;
	}
	for (i = 0; i < ZOC_LINK_MAX_DEVS; i++)
		if (i == slot || (proxy->ports[i] &&
				  !strcmp(proxy->ports[i]->name, name)))
			zoc_port_drop_locked(proxy, i);
	port = proxy->ports[slot] ? ERR_PTR(-EBUSY) :
				    zoc_port_new(proxy, slot, name, id);
	if (!IS_ERR(port)) {
		proxy->ports[slot] = port;
		netdev_info(port->dev, "representor of slot %u: vni %u mac %pM ipv4 %pI4/%u\n",
			    slot, le32_to_cpu(id->vni), id->mac, &id->ipv4,
			    id->prefix_len);
	}
out:
	/* Not once the link is ours: its move was told, or is not to be */
	if (!IS_ERR(port) && prepare && !proxy->ports_announced) {
		set_bit(ZOC_PORT_PREPARED, &port->flags);
		set_bit(ZOC_PORT_ANNOUNCE, &port->flags);
	}
	mutex_unlock(&proxy->port_mutex);
	return port;
}

/**
 * zoc_port_get - the representor of a device, made if need be
 * @proxy: the proxy of the device
 * @slot: the device's slot
 * @name: its name, NUL terminated, checked
 * @id: the identity the host asked for, checked
 * @kept: set if the representor was there already
 *
 * A representor that @slot has for the same name and identity, with no
 * peer (prepared for a takeover, or kept after a detach), is the one.
 * Another is dropped first, as is any representor of the proxy of the
 * same name with no peer: the host asks for a device it had elsewhere.
 *
 * The representor stays the slot's while the caller holds the proxy's
 * mutex, as every model's create, attach and recover does: until it
 * attaches it (zoc_port_attach()), or leaves it.
 *
 * Context: process context, the proxy's mutex held; takes RTNL.
 * Return: the representor, registered; or an ERR_PTR().
 */
struct net_device *zoc_port_get(struct zoc_proxy *proxy, unsigned int slot,
				const char *name,
				const struct zoc_ctrl_net *id, bool *kept)
{
	struct zoc_port *port = __zoc_port_get(proxy, slot, name, id, kept,
					       false);

	return IS_ERR(port) ? ERR_CAST(port) : port->dev;
}
EXPORT_SYMBOL_GPL(zoc_port_get);

/**
 * zoc_port_prepare - prepare the representor of a device to take over
 * @proxy: the proxy of a standby service VM
 * @slot: the device's slot, served by another service VM
 * @name: its name, NUL terminated, checked
 * @id: its identity, checked
 *
 * As zoc_port_get().  Once the link is ours, the representor tells that
 * it moved (zoc_port_announce()).
 *
 * Context: process context; takes RTNL.
 * Return: 0, or a negative errno.
 */
int zoc_port_prepare(struct zoc_proxy *proxy, unsigned int slot,
		     const char *name, const struct zoc_ctrl_net *id)
{
	struct zoc_port *port;
	bool kept;

	port = __zoc_port_get(proxy, slot, name, id, &kept, true);
	return PTR_ERR_OR_ZERO(port);
}
EXPORT_SYMBOL_GPL(zoc_port_prepare);

/**
 * zoc_port_drop - drop the representor of a slot, if it has no peer
 * @proxy: the proxy of the device
 * @slot: the device's slot
 *
 * Context: process context; takes RTNL.
 */
void zoc_port_drop(struct zoc_proxy *proxy, unsigned int slot)
{
	if (slot >= ZOC_LINK_MAX_DEVS)
		return;
	mutex_lock(&proxy->port_mutex);
	zoc_port_drop_locked(proxy, slot);
	mutex_unlock(&proxy->port_mutex);
}
EXPORT_SYMBOL_GPL(zoc_port_drop);

/**
 * zoc_port_attach - put a device behind a representor
 * @dev: the representor, of zoc_port_get()
 * @peer: the device, with its operations
 *
 * The peer's transmit operations are called from then on, as the
 * representor's own; @changed when it goes up or down.
 *
 * Context: RTNL held.
 * Return: whether a standby prepared the representor for a takeover
 * (zoc_port_prepare()) since its last peer.
 */
bool zoc_port_attach(struct net_device *dev, struct zoc_port_peer *peer)
{
	struct zoc_port *port = netdev_priv(dev);

	ASSERT_RTNL();
	rcu_assign_pointer(port->peer, peer);
	return test_and_clear_bit(ZOC_PORT_PREPARED, &port->flags);
}
EXPORT_SYMBOL_GPL(zoc_port_attach);

/**
 * zoc_port_detach - take the device from behind its representor
 * @dev: the representor
 *
 * When it returns, no operation of the peer runs or will run; what the
 * representor sends is dropped.  It stays with the proxy, for the next
 * peer of the slot or zoc_port_drop().
 *
 * Context: RTNL held; sleeps for a grace period.
 */
void zoc_port_detach(struct net_device *dev)
{
	struct zoc_port *port = netdev_priv(dev);

	ASSERT_RTNL();
	RCU_INIT_POINTER(port->peer, NULL);
	synchronize_net();
}
EXPORT_SYMBOL_GPL(zoc_port_detach);

/*
 * The link came up: the representors a standby prepared moved here, for
 * what depends on where they are.  Each tells so, once: the firmware
 * then asks again for the neighbours a standby could not resolve (the
 * VPC's underlay ones), while the host asks for the takeovers.  Their
 * own announcements (a gratuitous ARP, if they had addresses) have no
 * device to go to yet, and are dropped.  What a standby prepares from now
 * on does not move, until the link is handed over again.
 */
void zoc_port_announce(struct zoc_proxy *proxy)
{
	struct zoc_port *port;
	unsigned int slot;

	mutex_lock(&proxy->port_mutex);
	proxy->ports_announced = true;
	rtnl_lock();
	for (slot = 0; slot < ZOC_LINK_MAX_DEVS; slot++) {
		port = proxy->ports[slot];
		if (port && test_and_clear_bit(ZOC_PORT_ANNOUNCE, &port->flags))
			__netdev_notify_peers(port->dev);
	}
	rtnl_unlock();
	mutex_unlock(&proxy->port_mutex);
}

/* The link was handed over: what is prepared from now on moves again. */
void zoc_port_stand_by(struct zoc_proxy *proxy)
{
	mutex_lock(&proxy->port_mutex);
	proxy->ports_announced = false;
	mutex_unlock(&proxy->port_mutex);
}

/* The proxy goes: its devices have gone, and so do their representors. */
void zoc_port_drop_all(struct zoc_proxy *proxy)
{
	unsigned int slot;

	mutex_lock(&proxy->port_mutex);
	for (slot = 0; slot < ZOC_LINK_MAX_DEVS; slot++) {
		if (WARN_ON_ONCE(proxy->ports[slot] &&
				 rcu_access_pointer(proxy->ports[slot]->peer)))
			RCU_INIT_POINTER(proxy->ports[slot]->peer, NULL);
		zoc_port_drop_locked(proxy, slot);
	}
	mutex_unlock(&proxy->port_mutex);
}
