// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC I/O proxy: the changes the host asks of a running device, through
 * its model: a network device's link (ZOC_CTRL_DEV_LINK), a storage
 * device's namespaces (ZOC_CTRL_NS_ATTACH, ZOC_CTRL_NS_DETACH).  Called by
 * the control work with the proxy's mutex held; the request is the
 * host's, checked here.
 */

#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/zoc_link.h>

#include "zoc_proxy.h"
#include "proxy.h"

/*
 * The device of @slot, whose model is there to be asked for a change;
 * NULL, and the host's answer in @status, if there is none.
 */
static struct zoc_pdev *zoc_proxy_running(struct zoc_proxy *proxy, u32 slot,
					  u32 *status)
{
	struct zoc_pdev *pdev = NULL;

	*status = ZOC_MSG_EINVAL;
	if (slot < ZOC_LINK_MAX_DEVS)
		pdev = rcu_dereference_protected(proxy->devs[slot],
						 lockdep_is_held(&proxy->mutex));
	if (pdev && !pdev->model) {
		*status = ZOC_MSG_EBUSY;	/* its model is being replaced */
		pdev = NULL;
	}
	return pdev;
}

/* ZOC_CTRL_DEV_LINK: a network device's link, as the host set it */
u32 zoc_proxy_dev_set_link(struct zoc_proxy *proxy, const struct zoc_msg *msg)
{
	struct zoc_ctrl_dev_link req;
	struct zoc_pdev *pdev;
	u32 status;

	memcpy(&req, msg->ctrl.data, sizeof(req));
	if (req.up > 1)
		return ZOC_MSG_EINVAL;
	pdev = zoc_proxy_running(proxy, le32_to_cpu(req.slot), &status);
	if (!pdev)
		return status;
	if (!pdev->model->set_link)
		return ZOC_MSG_ENOTSUPP;
	pdev->model->set_link(pdev, req.up);
	return ZOC_MSG_OK;
}

/* ZOC_CTRL_NS_ATTACH, ZOC_CTRL_NS_DETACH: a namespace of a storage device */
u32 zoc_proxy_ns(struct zoc_proxy *proxy, const struct zoc_msg *msg, bool attach)
{
	struct zoc_ctrl_ns req;
	struct zoc_pdev *pdev;
	u32 slot, nsid, status;
	int ret;

	memcpy(&req, msg->ctrl.data, sizeof(req));
	slot = le32_to_cpu(req.slot);
	nsid = le32_to_cpu(req.nsid);
	if (!nsid || nsid > ZOC_DEV_MAX_NS ||
	    (attach && !memchr(req.volume, '\0', sizeof(req.volume))))
		return ZOC_MSG_EINVAL;
	pdev = zoc_proxy_running(proxy, slot, &status);
	if (!pdev)
		return status;
	if (!pdev->model->ns_attach || !pdev->model->ns_detach)
		return ZOC_MSG_ENOTSUPP;
	if (attach)
		ret = pdev->model->ns_attach(pdev, nsid, req.volume);
	else
		ret = pdev->model->ns_detach(pdev, nsid);
	if (ret && ret != -EAGAIN)
		dev_info(proxy->dev, "slot %u: %s: namespace %u not %s: %d\n",
			 slot, pdev->name, nsid,
			 attach ? "attached" : "detached", ret);
	else if (!ret)
		dev_info(proxy->dev, "slot %u: %s: namespace %u %s%s\n", slot,
			 pdev->name, nsid, attach ? "attached: " : "detached",
			 attach ? req.volume : "");
	return zoc_proxy_status(ret);
}
