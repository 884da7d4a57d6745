// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC I/O proxy core: a standby's devices, prepared ahead of their
 * takeover.
 *
 * A standby service VM waits for the one serving the link to leave it,
 * then takes its devices over (link.rst, updates.rst).  What a model sets
 * up for a device that does not touch the device itself can be set up
 * before: a network device's representor, which the firmware's hotplug
 * hook then joins to the VPC, a program run of tens of milliseconds that
 * would otherwise stall the vNIC after the takeover.  So while the link
 * is another's, the proxy reads, every ZOC_PROXY_PREPARE_MS, the request
 * each live record says its device was made with (live.c), and asks its
 * model to prepare it (&zoc_proxy_model.prepare); what is prepared for a
 * slot whose record changed or went is dropped.  A takeover of the same
 * slot with the same request takes what was prepared.  Once the link is
 * ours, what no takeover took within ZOC_PROXY_PREPARED_KEEP_MS is
 * dropped.
 *
 * The records are host memory: each request is copied once and checked
 * as the host's own requests are.
 */

#include <linux/device.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <linux/zoc_link.h>

#include "proxy.h"
#include "zoc_guest.h"
#include "zoc_proxy.h"

#define ZOC_PROXY_PREPARE_MS		1000
#define ZOC_PROXY_PREPARED_KEEP_MS	10000

/*
 * Ask the model of @type to prepare @slot for @params, or with NULL to
 * drop it.  Return its error, or -ENOENT if no such model is loaded (it
 * then has nothing prepared).  Mutex held.
 */
static int zoc_proxy_prepare_one(struct zoc_proxy *proxy, unsigned int slot,
				 u8 type,
				 const struct zoc_proxy_params *params)
{
	const struct zoc_proxy_model *model = zoc_proxy_model_get(type);
	int ret = -ENOENT;

	if (!model)
		return ret;
	ret = model->prepare ? model->prepare(proxy, slot, params) : -ENOENT;
	module_put(model->owner);
	return ret;
}

/* Drop what @slot has prepared, if anything.  Mutex held. */
static void zoc_proxy_unprepare(struct zoc_proxy *proxy, unsigned int slot)
{
	if (!proxy->prepared[slot])
		return;
	zoc_proxy_prepare_one(proxy, slot, proxy->prepared[slot], NULL);
	zoc_port_drop(proxy, slot);	/* with no model: it is the core's */
	proxy->prepared[slot] = 0;
}

/*
 * The request in @slot's live record, copied and checked; its type, or 0
 * if the record is not live or the request is malformed.
 */
static u8 zoc_proxy_live_request(struct zoc_proxy *proxy, unsigned int slot,
				 struct zoc_ctrl_dev_create *req,
				 struct zoc_proxy_params *params)
{
	struct zoc_dev_live *live = zoc_guest_link_live_page(proxy->ep, slot);

	if (READ_ONCE(live->magic) != cpu_to_le32(ZOC_DEV_LIVE_MAGIC))
		return 0;
	virt_rmb();	/* the request after the mark; see the publisher */
	memcpy(req, &live->dev, sizeof(*req));
	if (!req->type || le32_to_cpu(req->slot) != slot ||
	    zoc_proxy_dev_check(req, params) != ZOC_MSG_OK)
		return 0;
	return req->type;
}

/* Prepare what another service VM serves.  Mutex held. */
static void zoc_proxy_prepare_all(struct zoc_proxy *proxy)
{
	struct zoc_proxy_params params;
	struct zoc_ctrl_dev_create req;
	unsigned int slot;
	u8 type;
	int ret;

	for (slot = 0; slot < ZOC_LINK_MAX_DEVS; slot++) {
		type = zoc_proxy_live_request(proxy, slot, &req, &params);
		if (type != proxy->prepared[slot])
			zoc_proxy_unprepare(proxy, slot);
		if (!type)
			continue;
		ret = zoc_proxy_prepare_one(proxy, slot, type, &params);
		if (!ret)
			proxy->prepared[slot] = type;
		else if (ret != -ENOENT)
			dev_info_ratelimited(proxy->dev, "slot %u: %s not prepared: %d\n",
					     slot, params.name, ret);
	}
}

static void zoc_proxy_prepare_work(struct work_struct *work)
{
	struct zoc_proxy *proxy = container_of(to_delayed_work(work),
					       struct zoc_proxy, prepare_work);
	unsigned long keep = msecs_to_jiffies(ZOC_PROXY_PREPARED_KEEP_MS);
	unsigned int slot;

	mutex_lock(&proxy->mutex);
	if (zoc_guest_link_standing_by(proxy->ep)) {
		proxy->serving_since = 0;
		zoc_proxy_prepare_all(proxy);
	} else if (!proxy->serving_since) {
		proxy->serving_since = jiffies ?: 1;
	} else if (time_after(jiffies, proxy->serving_since + keep)) {
		/*
		 * What no takeover took: the host did not ask for it.  A slot
		 * with a device took what was prepared, or replaced it: a
		 * representor is its device's, even while no model has it.
		 */
		for (slot = 0; slot < ZOC_LINK_MAX_DEVS; slot++) {
			if (rcu_access_pointer(proxy->devs[slot]))
				proxy->prepared[slot] = 0;
			else
				zoc_proxy_unprepare(proxy, slot);
		}
	}
	mutex_unlock(&proxy->mutex);
	/* not over a kick that came meanwhile */
	schedule_delayed_work(&proxy->prepare_work,
			      msecs_to_jiffies(ZOC_PROXY_PREPARE_MS));
}

/* Start looking for devices to prepare: at the proxy's creation. */
void zoc_proxy_prepare_start(struct zoc_proxy *proxy)
{
	INIT_DELAYED_WORK(&proxy->prepare_work, zoc_proxy_prepare_work);
	schedule_delayed_work(&proxy->prepare_work, 0);
}

/* Look now: a model that prepares came.  Under the list of proxies. */
void zoc_proxy_prepare_kick(struct zoc_proxy *proxy)
{
	mod_delayed_work(system_wq, &proxy->prepare_work, 0);
}

/* Stop, and drop what is prepared: as the proxy goes, out of the list. */
void zoc_proxy_prepare_stop(struct zoc_proxy *proxy)
{
	unsigned int slot;

	cancel_delayed_work_sync(&proxy->prepare_work);
	mutex_lock(&proxy->mutex);
	for (slot = 0; slot < ZOC_LINK_MAX_DEVS; slot++)
		zoc_proxy_unprepare(proxy, slot);
	mutex_unlock(&proxy->mutex);
}
