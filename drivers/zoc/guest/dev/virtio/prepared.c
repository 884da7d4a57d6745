// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtio-net: representors a standby service VM prepares ahead of the
 * takeover of their devices (&zoc_proxy_model.prepare).
 *
 * A representor is a netdev of its own, which the firmware's hotplug hook
 * joins to the VPC once it is registered: a program run of tens of
 * milliseconds.  Made at the takeover, that run would stall the vNIC; so
 * a standby registers the representor of each vNIC the serving service
 * VM has, with no device behind it: no link, nothing sent to the host,
 * and the hook runs while the other one still serves.  The takeover of
 * the same slot, with the same name and identity, takes it
 * (zoc_vnet_take_prepared()); another request replaces it.  A device
 * detached (its service VM hands it over, or its model goes) leaves its
 * representor here the same way (zoc_vnet_keep_prepared()): unregistering
 * it would cost the hand-over tens of milliseconds more, and the service
 * VM that handed over stands by, ready for a hand-back.  They are kept
 * here, by proxy and slot, until taken or dropped; what is left when the
 * module goes is dropped with it.
 */

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/string.h>

#include "../../zoc_proxy.h"
#include "virtio.h"

static LIST_HEAD(zoc_vnet_prepared);
static DEFINE_MUTEX(zoc_vnet_prepared_mutex);	/* the list, before RTNL */

/* The prepared representor of @slot of @proxy, or NULL.  Mutex held. */
static struct zoc_vnet *zoc_vnet_find_prepared(const struct zoc_proxy *proxy,
					       unsigned int slot)
{
	struct zoc_vnet *vnet;

	list_for_each_entry(vnet, &zoc_vnet_prepared, prepared)
		if (vnet->proxy == proxy && vnet->slot == slot)
			return vnet;
	return NULL;
}

/* Whether @vnet was prepared for what @params asks. */
static bool zoc_vnet_same(const struct zoc_vnet *vnet,
			  const struct zoc_proxy_params *params)
{
	return !strcmp(vnet->rep->name, params->name) &&
	       !memcmp(&vnet->id, &params->net, sizeof(vnet->id));
}

/* Out of the list, unregistered and freed.  Mutex held. */
static void zoc_vnet_unprepare(struct zoc_vnet *vnet)
{
	struct net_device *dev = vnet->rep;

	list_del(&vnet->prepared);
	netdev_info(dev, "prepared representor dropped\n");
	unregister_netdev(dev);
	zoc_vnet_release(dev);
}

/**
 * zoc_vnet_prepare - prepare the representor of a device to take over
 * @proxy: the standby's proxy, opaque
 * @slot: the device's slot
 * @params: the request the device was made with (untrusted); NULL: drop
 *	what @slot has prepared
 *
 * A request the model could not serve prepares nothing, as NULL.
 *
 * Context: process context.
 * Return: 0, or a negative errno (nothing prepared).
 */
int zoc_vnet_prepare(const struct zoc_proxy *proxy, unsigned int slot,
		     const struct zoc_proxy_params *params)
{
	struct net_device *dev;
	struct zoc_vnet *vnet;
	int ret = 0;

	if (params && !zoc_vnet_params_ok(params))
		params = NULL;	/* what is prepared goes; nothing else */
	mutex_lock(&zoc_vnet_prepared_mutex);
	vnet = zoc_vnet_find_prepared(proxy, slot);
	if (vnet && params && zoc_vnet_same(vnet, params))
		goto out;
	if (vnet)
		zoc_vnet_unprepare(vnet);
	if (!params)
		goto out;
	dev = zoc_vnet_alloc(params, slot);
	ret = PTR_ERR_OR_ZERO(dev);
	if (ret)
		goto out;
	vnet = netdev_priv(dev);
	vnet->proxy = proxy;
	ret = register_netdev(dev);
	if (ret) {
		zoc_vnet_release(dev);
		goto out;
	}
	list_add_tail(&vnet->prepared, &zoc_vnet_prepared);
	netdev_info(dev, "representor of %s prepared: vni %u mac %pM ipv4 %pI4/%u\n",
		    params->name, le32_to_cpu(vnet->id.vni), vnet->id.mac,
		    &vnet->id.ipv4, vnet->id.prefix_len);
out:
	mutex_unlock(&zoc_vnet_prepared_mutex);
	return ret;
}

/**
 * zoc_vnet_take_prepared - take the representor prepared for a takeover
 * @proxy: the proxy that takes the device over, opaque
 * @slot: the device's slot
 * @params: the host's request, checked
 *
 * What was prepared for another request in @slot is dropped, and so is
 * any other prepared representor of the name @params asks for.
 *
 * Context: process context.
 * Return: the representor, registered, out of the list; or NULL.
 */
struct net_device *zoc_vnet_take_prepared(const struct zoc_proxy *proxy,
					  unsigned int slot,
					  const struct zoc_proxy_params *params)
{
	struct zoc_vnet *vnet, *next;
	struct net_device *dev = NULL;

	mutex_lock(&zoc_vnet_prepared_mutex);
	list_for_each_entry_safe(vnet, next, &zoc_vnet_prepared, prepared) {
		if (vnet->proxy == proxy && vnet->slot == slot &&
		    zoc_vnet_same(vnet, params)) {
			list_del_init(&vnet->prepared);
			dev = vnet->rep;
		} else if ((vnet->proxy == proxy && vnet->slot == slot) ||
			   !strcmp(vnet->rep->name, params->name)) {
			zoc_vnet_unprepare(vnet);
		}
	}
	mutex_unlock(&zoc_vnet_prepared_mutex);
	return dev;
}

/**
 * zoc_vnet_keep_prepared - keep a detached device's representor, as if
 *	prepared for its next takeover
 * @vnet: the representor's, with no device any more
 * @proxy: the proxy that let the device go, opaque
 *
 * A takeover of the device by the same service VM takes it back; if
 * another takes it, this one stands by (zoc_guest's standby) and finds
 * it prepared for a hand-back; else the module's exit drops it.
 *
 * Context: process context.
 */
void zoc_vnet_keep_prepared(struct zoc_vnet *vnet,
			    const struct zoc_proxy *proxy)
{
	mutex_lock(&zoc_vnet_prepared_mutex);
	vnet->proxy = proxy;
	list_add_tail(&vnet->prepared, &zoc_vnet_prepared);
	mutex_unlock(&zoc_vnet_prepared_mutex);
}

/* Drop every prepared representor: the module goes. */
void zoc_vnet_drop_prepared(void)
{
	struct zoc_vnet *vnet, *next;

	mutex_lock(&zoc_vnet_prepared_mutex);
	list_for_each_entry_safe(vnet, next, &zoc_vnet_prepared, prepared)
		zoc_vnet_unprepare(vnet);
	mutex_unlock(&zoc_vnet_prepared_mutex);
}
