// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC I/O proxy core: the I/O proxy of each link endpoint: the devices the
 * host asked for on that link, the dispatch of the host's BAR0 accesses
 * and doorbells to them.  The registry of device models and what the
 * proxy gives them (host memory, interrupts, counters) are in model.c.
 *
 * A proxy registers its client operations with its endpoint.  Requests
 * come from the link with interrupts disabled: register accesses under
 * the link's receiving lock, doorbells from the link's data queues on any
 * CPU too.  A device's request lock makes its model's callbacks for them
 * (register accesses, doorbells) run one at a time, in the order taken;
 * those of different devices may run at once.  Control requests (create, destroy) may
 * sleep: they are copied into one of the proxy's ZOC_LINK_CTRL_SLOTS
 * preallocated slots, queued to its ordered workqueue and answered from
 * there; one that finds every slot taken is answered ZOC_MSG_EBUSY at once,
 * so that a host cannot make the service VM hold more, nor allocate for
 * them.  Devices are published with RCU; a destroyed device is unpublished
 * and waited for before its model tears it down.
 */

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>
#include <linux/zoc_link.h>

#include "mmio_check.h"
#include "proxy.h"
#include "zoc_guest.h"
#include "zoc_proxy.h"

/* --- requests from the host ---------------------------------------------- */

/*
 * Take the doorbells the host wrote, unless no model serves the device
 * (they wait in the device page).  Under the device's request lock: a
 * doorbell's value read here is applied before another CPU reads a newer
 * one.  Any context.
 */
void zoc_proxy_take_doorbells(struct zoc_pdev *pdev)
{
	u64 *pending = (__force u64 *)&pdev->page->db_pending;
	unsigned long bits, flags;
	unsigned int i;

	if (!READ_ONCE(*pending) || READ_ONCE(pdev->detached))
		return;
	spin_lock_irqsave(&pdev->req_lock, flags);
	/* The bits before the values; the host wrote them the other way. */
	bits = le64_to_cpu((__force __le64)xchg(pending, 0));
	for_each_set_bit(i, &bits, BITS_PER_LONG) {
		if (i >= pdev->doorbells) {
			zoc_proxy_stat_add(pdev, ZOC_DEV_STAT_INVALID, 1);
			continue;
		}
		zoc_proxy_stat_add(pdev, ZOC_DEV_STAT_DOORBELLS, 1);
		if (pdev->model->doorbell)
			pdev->model->doorbell(pdev, i,
					      le32_to_cpu(READ_ONCE(pdev->page->db[i])));
	}
	spin_unlock_irqrestore(&pdev->req_lock, flags);
}

/* A register access, under the device's request lock.  Any context. */
void zoc_proxy_mmio(struct zoc_pdev *pdev, const struct zoc_msg *msg,
		    struct zoc_msg *reply)
{
	u64 off = le64_to_cpu(msg->mmio.offset);
	unsigned int size = msg->mmio.size;
	bool ok = zoc_mmio_ok(&pdev->image, off, size);
	unsigned long flags;
	u64 val = ~0ULL;

	if (!ok)
		zoc_proxy_stat_add(pdev, ZOC_DEV_STAT_INVALID, 1);
	if (msg->hdr.type == ZOC_MSG_MMIO_WRITE) {
		if (ok) {
			spin_lock_irqsave(&pdev->req_lock, flags);
			pdev->model->mmio_write(pdev, off, size,
						le64_to_cpu(msg->mmio.value));
			spin_unlock_irqrestore(&pdev->req_lock, flags);
		}
		/*
		 * Taken: not for the next service VM to be sent again.  What
		 * the model records of it, in its live record, may come later
		 * (a work item): a crash between the two loses the write.
		 */
		WRITE_ONCE(pdev->live->writes, msg->hdr.tag);
		reply->hdr.type = ZOC_MSG_NONE;		/* posted */
		return;
	}
	if (ok) {
		spin_lock_irqsave(&pdev->req_lock, flags);
		val = pdev->model->mmio_read(pdev, off, size);
		spin_unlock_irqrestore(&pdev->req_lock, flags);
		if (size < 8)
			val &= BIT_ULL(size * 8) - 1;
	}
	reply->hdr.type = ZOC_MSG_MMIO_REPLY;
	reply->hdr.len = cpu_to_le16(sizeof(reply->reply));
	reply->reply.value = cpu_to_le64(val);
	reply->reply.status = cpu_to_le32(ok ? ZOC_MSG_OK : ZOC_MSG_EINVAL);
}

/*
 * Answer a control request.  From the workqueue (@wait), the completion
 * ring may be full of replies the request path sent meanwhile, which the
 * host is taking: wait for room (ZOC_PROXY_REPLY_WAIT_MS at most) rather
 * than drop the reply.
 */
static void zoc_proxy_ctrl_reply(struct zoc_proxy *proxy,
				 const struct zoc_msg *req, u32 status,
				 bool wait)
{
	struct zoc_msg reply = { .hdr = req->hdr };
	unsigned long end = jiffies + msecs_to_jiffies(ZOC_PROXY_REPLY_WAIT_MS);

	reply.hdr.type = ZOC_MSG_CTRL_REPLY;
	reply.hdr.len = cpu_to_le16(8);
	reply.ctrl.opcode = req->ctrl.opcode;
	reply.ctrl.status = cpu_to_le32(status);
	while (zoc_guest_link_reply(proxy->ep, &reply) == -ENOSPC && wait &&
	       time_before(jiffies, end))
		usleep_range(200, 1000);
}

/* A free control slot, or NULL. */
static struct zoc_proxy_ctrl *zoc_proxy_ctrl_get(struct zoc_proxy *proxy)
{
	unsigned int i;

	for (i = 0; i < ZOC_LINK_CTRL_SLOTS; i++)
		if (!test_and_set_bit(i, &proxy->ctrl_busy))
			return &proxy->ctrls[i];
	return NULL;
}

/*
 * A request from the host the endpoint does not answer: the client's
 * @request.  @msg was copied out of the ring, its length checked.
 * Interrupt context, the link's receiving lock held; for a doorbell from
 * a data queue, no lock but RCU's.
 */
static bool zoc_proxy_request(void *priv, const struct zoc_msg *msg,
			      struct zoc_msg *reply)
{
	struct zoc_proxy *proxy = priv;
	u32 slot = le32_to_cpu(msg->hdr.dev);
	struct zoc_proxy_ctrl *ctrl;
	struct zoc_pdev *pdev;
	u32 opcode;

	switch (msg->hdr.type) {
	case ZOC_MSG_MMIO_READ:
	case ZOC_MSG_MMIO_WRITE:
	case ZOC_MSG_DOORBELL:
		break;
	case ZOC_MSG_CTRL_REQ:
		opcode = le32_to_cpu(msg->ctrl.opcode);
		if (opcode != ZOC_CTRL_DEV_CREATE &&
		    opcode != ZOC_CTRL_DEV_ATTACH &&
		    opcode != ZOC_CTRL_DEV_DESTROY &&
		    opcode != ZOC_CTRL_DEV_LINK &&
		    opcode != ZOC_CTRL_NS_ATTACH &&
		    opcode != ZOC_CTRL_NS_DETACH)
			return false;
		ctrl = zoc_proxy_ctrl_get(proxy);
		if (!ctrl) {
			atomic64_inc(&proxy->ctrl_refused);
			zoc_proxy_ctrl_reply(proxy, msg, ZOC_MSG_EBUSY, false);
		} else {
			ctrl->msg = *msg;
			ctrl->epoch = zoc_guest_link_epoch(proxy->ep);
			queue_work(proxy->wq, &ctrl->work);
		}
		reply->hdr.type = ZOC_MSG_NONE;
		return true;
	default:
		return false;
	}

	rcu_read_lock();
	pdev = slot < ZOC_LINK_MAX_DEVS ? rcu_dereference(proxy->devs[slot]) :
					  NULL;
	if (!pdev) {
		rcu_read_unlock();
		return false;	/* the link answers ENODEV */
	}
	if (zoc_proxy_defer(pdev, msg)) {
		/* Its model is being replaced: answered later */
		reply->hdr.type = ZOC_MSG_NONE;
	} else if (msg->hdr.type == ZOC_MSG_DOORBELL) {
		WRITE_ONCE(pdev->queue_hint, le32_to_cpu(msg->hdr.tag));
		zoc_proxy_take_doorbells(pdev);
		reply->hdr.type = ZOC_MSG_NONE;
	} else {
		zoc_proxy_mmio(pdev, msg, reply);
	}
	rcu_read_unlock();
	return true;
}

/* Raise again the vectors whose message found the ring full. */
static void zoc_proxy_irq_retry(struct zoc_pdev *pdev)
{
	unsigned long bits;
	unsigned int v;

	if (!READ_ONCE(pdev->irq_retry))
		return;
	bits = xchg(&pdev->irq_retry, 0);
	for_each_set_bit(v, &bits, BITS_PER_LONG)
		zoc_proxy_irq(pdev, v);
}

/*
 * Catch doorbells and interrupts whose message found the ring full: the
 * client's @tick.
 * The link's receiving lock held, interrupts disabled.
 */
static void zoc_proxy_tick(void *priv)
{
	struct zoc_proxy *proxy = priv;
	struct zoc_pdev *pdev;
	unsigned int slot;

	rcu_read_lock();
	for (slot = 0; slot < ZOC_LINK_MAX_DEVS; slot++) {
		pdev = rcu_dereference(proxy->devs[slot]);
		if (pdev) {
			zoc_proxy_take_doorbells(pdev);
			zoc_proxy_irq_retry(pdev);
		}
	}
	rcu_read_unlock();
}

/* --- control ------------------------------------------------------------- */

static void zoc_proxy_dev_destroy(struct zoc_proxy *proxy, unsigned int slot)
{
	struct zoc_pdev *pdev;

	pdev = rcu_replace_pointer(proxy->devs[slot], NULL,
				   lockdep_is_held(&proxy->mutex));
	if (!pdev)
		return;
	synchronize_rcu();	/* no callback runs on it any more */
	if (pdev->model)
		pdev->model->destroy(pdev);
	zoc_port_drop(proxy, slot);
	zoc_proxy_live_drop(pdev);
	WRITE_ONCE(pdev->page->image.magic, 0);
	WRITE_ONCE(zoc_guest_link_saved_page(proxy->ep, slot)->magic, 0);
	if (pdev->pinned)
		module_put(pdev->model->owner);
	dev_info(proxy->dev, "slot %u: %s destroyed\n", slot, pdev->name);
	zoc_proxy_swap_release(pdev);
	kfree(pdev);
}

/* Publish the image: everything before the magic, as the host reads it. */
static void zoc_proxy_publish_image(struct zoc_pdev *pdev)
{
	struct zoc_dev_image *img = &pdev->page->image;

	pdev->image.magic = 0;
	memcpy(img, &pdev->image, sizeof(*img));
	memset(pdev->page->stats, 0, sizeof(pdev->page->stats));
	WRITE_ONCE(pdev->page->db_pending, 0);
	/* The image before its magic; pairs with the reply the host waits for. */
	virt_wmb();
	pdev->image.magic = cpu_to_le32(ZOC_DEV_IMAGE_MAGIC);
	WRITE_ONCE(img->magic, pdev->image.magic);
}

/*
 * A request to create or take over a device, a copy, checked, and what it
 * asks for.  Return: ZOC_MSG_OK or ZOC_MSG_EINVAL.
 */
u32 zoc_proxy_dev_check(const struct zoc_ctrl_dev_create *req,
			struct zoc_proxy_params *params)
{
	if (le32_to_cpu(req->slot) >= ZOC_LINK_MAX_DEVS ||
	    !memchr(req->name, '\0', sizeof(req->name)) || !req->name[0])
		return ZOC_MSG_EINVAL;
	/* Network devices have an identity where others have a backend. */
	if (req->type != ZOC_DEV_VIRTIO_NET &&
	    !memchr(req->backend, '\0', sizeof(req->backend)))
		return ZOC_MSG_EINVAL;
	memset(params, 0, sizeof(*params));
	if (req->type == ZOC_DEV_VIRTIO_NET)
		params->net = req->net;
	else
		strscpy(params->backend, req->backend, sizeof(params->backend));
	strscpy(params->name, req->name, sizeof(params->name));
	params->queues = le16_to_cpu(req->queues);
	params->flags = req->flags;
	return ZOC_MSG_OK;
}

/* The request of a ZOC_CTRL_DEV_CREATE or ZOC_CTRL_DEV_ATTACH, as above. */
static u32 zoc_proxy_dev_req(const struct zoc_msg *msg,
			     struct zoc_ctrl_dev_create *req,
			     struct zoc_proxy_params *params)
{
	memcpy(req, msg->ctrl.data, sizeof(*req));
	return zoc_proxy_dev_check(req, params);
}

/* A model's errno, for the host. */
u32 zoc_proxy_status(int ret)
{
	switch (ret) {
	case 0:
		return ZOC_MSG_OK;
	case -EINVAL:
	case -EEXIST:
		return ZOC_MSG_EINVAL;
	case -ENODEV:
	case -ENOENT:
		return ZOC_MSG_ENODEV;
	case -EBUSY:
		return ZOC_MSG_EINUSE;
	case -ENXIO:
		return ZOC_MSG_EMEDIUM;
	case -EAGAIN:
		return ZOC_MSG_EBUSY;	/* a volume not attached yet */
	default:
		return ZOC_MSG_EIO;
	}
}

/* A device for @slot, not published yet; NULL without memory. */
static struct zoc_pdev *zoc_proxy_pdev_alloc(struct zoc_proxy *proxy,
					     unsigned int slot,
					     const struct zoc_proxy_params *params)
{
	struct zoc_pdev *pdev = kzalloc(sizeof(*pdev), GFP_KERNEL);

	if (!pdev)
		return NULL;
	pdev->proxy = proxy;
	pdev->slot = slot;
	spin_lock_init(&pdev->req_lock);
	pdev->page = zoc_guest_link_dev_page(proxy->ep, slot);
	pdev->live = zoc_guest_link_live_page(proxy->ep, slot);
	strscpy(pdev->name, params->name, sizeof(pdev->name));
	pdev->params = *params;
	return pdev;
}

static u32 zoc_proxy_dev_create(struct zoc_proxy *proxy,
				const struct zoc_msg *msg)
{
	struct zoc_ctrl_dev_create req;
	struct zoc_proxy_params params;
	struct zoc_pdev *pdev;
	unsigned int slot;
	int ret;

	if (zoc_proxy_dev_req(msg, &req, &params))
		return ZOC_MSG_EINVAL;
	slot = le32_to_cpu(req.slot);
	/* A host that restarted reuses its slots: the old device goes. */
	zoc_proxy_dev_destroy(proxy, slot);
	/* No model copies for the slot now: what the host fenced is over. */
	WRITE_ONCE(zoc_guest_link_dev_page(proxy->ep, slot)->copying, 0);
	WRITE_ONCE(zoc_guest_link_dev_page(proxy->ep, slot)->gone, 0);
	/* Nor is a state left there for another device to be taken over. */
	WRITE_ONCE(zoc_guest_link_saved_page(proxy->ep, slot)->magic, 0);

	pdev = zoc_proxy_pdev_alloc(proxy, slot, &params);
	if (!pdev)
		return ZOC_MSG_EIO;
	pdev->model = zoc_proxy_model_get(req.type);
	if (!pdev->model) {
		kfree(pdev);
		return ZOC_MSG_ENOTSUPP;
	}
	zoc_proxy_live_clear(pdev);
	ret = zoc_proxy_swap_prepare(pdev) ?: pdev->model->create(pdev, &params);
	if (ret) {
		module_put(pdev->model->owner);
		zoc_proxy_swap_release(pdev);
		kfree(pdev);
		dev_info(proxy->dev, "slot %u: %s not created: %d\n", slot,
			 params.name, ret);
		return zoc_proxy_status(ret);
	}
	pdev->image.type = req.type;
	/* A model that can let go of its devices can go under them. */
	pdev->pinned = !pdev->model->detach;
	if (!pdev->pinned)
		module_put(pdev->model->owner);
	pdev->doorbells = zoc_mmio_doorbells(&pdev->image);
	zoc_proxy_publish_image(pdev);
	zoc_proxy_live_publish(pdev);
	rcu_assign_pointer(proxy->devs[slot], pdev);
	dev_info(proxy->dev, "slot %u: %s %s on %s\n", slot, pdev->model->name,
		 pdev->name, params.backend[0] ? params.backend : "-");
	return ZOC_MSG_OK;
}

/*
 * ZOC_CTRL_DEV_ATTACH: the host kept the function of a device the last
 * service VM (or zoc_guest) let go of; its model takes it over here from
 * the slot's state page and the image in its device page.  The device is
 * published detached first, so that the host's requests wait for it.
 */
static u32 zoc_proxy_dev_attach(struct zoc_proxy *proxy,
				const struct zoc_msg *msg)
{
	const struct zoc_proxy_model *model;
	struct zoc_ctrl_dev_create req;
	struct zoc_proxy_params params;
	struct zoc_pdev *pdev;
	unsigned int slot, i;
	int ret;

	if (zoc_proxy_dev_req(msg, &req, &params))
		return ZOC_MSG_EINVAL;
	slot = le32_to_cpu(req.slot);
	pdev = rcu_dereference_protected(proxy->devs[slot],
					 lockdep_is_held(&proxy->mutex));
	/* Served already: the host asked twice. */
	if (pdev && !strcmp(pdev->name, params.name) &&
	    pdev->image.type == req.type)
		return ZOC_MSG_OK;

	model = zoc_proxy_model_get(req.type);
	if (!model)
		return ZOC_MSG_ENOTSUPP;	/* not loaded yet: asked again */
	pdev = zoc_proxy_pdev_alloc(proxy, slot, &params);
	if (!pdev) {
		module_put(model->owner);
		return ZOC_MSG_EIO;
	}
	/*
	 * One copy of the image the host wrote, its driver's; the model must
	 * make the same.  Then whatever else the slot had goes.
	 */
	memcpy(&pdev->image, &pdev->page->image, sizeof(pdev->image));
	zoc_proxy_dev_destroy(proxy, slot);
	ret = -ENODATA;
	if (!model->attach || !model->detach ||
	    pdev->image.magic != cpu_to_le32(ZOC_DEV_IMAGE_MAGIC) ||
	    pdev->image.type != req.type ||
	    pdev->image.nr_regions > ZOC_DEV_MAX_REGIONS)
		goto fail;
	/* What it needs to be detached again, some day */
	pdev->model = model;
	ret = zoc_proxy_swap_prepare(pdev);
	pdev->model = NULL;
	if (ret)
		goto fail;
	/* Checked against the model's own image before any is taken */
	pdev->doorbells = zoc_mmio_doorbells(&pdev->image);
	/* The counters go on from what the host shows. */
	for (i = 0; i < ZOC_DEV_STATS; i++)
		atomic64_set(&pdev->stats[i],
			     le64_to_cpu(READ_ONCE(pdev->page->stats[i])));
	pdev->detached = true;
	rcu_assign_pointer(proxy->devs[slot], pdev);
	ret = zoc_proxy_adopt(proxy, pdev, model);
	if (ret) {
		rcu_assign_pointer(proxy->devs[slot], NULL);
		synchronize_rcu();
	}
fail:
	/* The host asks again while the volume is not attached yet. */
	if (ret && ret != -EAGAIN)
		dev_err(proxy->dev, "slot %u: %s not taken over by %s: %d\n",
			slot, params.name, model->name, ret);
	module_put(model->owner);
	if (!ret)
		return ZOC_MSG_OK;
	zoc_proxy_swap_release(pdev);
	kfree(pdev);
	switch (ret) {
	case -ENODATA:
	case -EBADMSG:
	case -EINVAL:
	case -EPROTO:
		return ZOC_MSG_ESTATE;
	default:
		return zoc_proxy_status(ret);
	}
}

/* Whether a control request is long enough for its opcode's data. */
static bool zoc_proxy_ctrl_len_ok(const struct zoc_msg *msg, u32 opcode)
{
	size_t need = offsetof(struct zoc_msg_ctrl, data);

	if (opcode == ZOC_CTRL_DEV_CREATE || opcode == ZOC_CTRL_DEV_ATTACH)
		need += sizeof(struct zoc_ctrl_dev_create);
	else if (opcode == ZOC_CTRL_DEV_LINK)
		need += sizeof(struct zoc_ctrl_dev_link);
	else if (opcode == ZOC_CTRL_NS_ATTACH || opcode == ZOC_CTRL_NS_DETACH)
		need += sizeof(struct zoc_ctrl_ns);
	else
		need += sizeof(__le32);		/* the slot */
	return le16_to_cpu(msg->hdr.len) >= need;
}

static void zoc_proxy_ctrl_work(struct work_struct *work)
{
	struct zoc_proxy_ctrl *ctrl =
		container_of(work, struct zoc_proxy_ctrl, work);
	struct zoc_proxy *proxy = ctrl->proxy;
	const struct zoc_msg *msg = &ctrl->msg;
	u32 opcode = le32_to_cpu(msg->ctrl.opcode);
	u32 status = ZOC_MSG_OK, slot;

	mutex_lock(&proxy->mutex);
	if (proxy->left && ctrl->epoch == proxy->left_epoch) {
		/* The link was handed over since: not ours to answer. */
		mutex_unlock(&proxy->mutex);
		clear_bit_unlock(ctrl->index, &proxy->ctrl_busy);
		return;
	}
	if (!zoc_proxy_ctrl_len_ok(msg, opcode)) {
		status = ZOC_MSG_EINVAL;
	} else if (opcode == ZOC_CTRL_DEV_CREATE) {
		status = zoc_proxy_dev_create(proxy, msg);
	} else if (opcode == ZOC_CTRL_DEV_ATTACH) {
		status = zoc_proxy_dev_attach(proxy, msg);
	} else if (opcode == ZOC_CTRL_DEV_LINK) {
		status = zoc_proxy_dev_set_link(proxy, msg);
	} else if (opcode == ZOC_CTRL_NS_ATTACH ||
		   opcode == ZOC_CTRL_NS_DETACH) {
		status = zoc_proxy_ns(proxy, msg, opcode == ZOC_CTRL_NS_ATTACH);
	} else {
		slot = get_unaligned_le32(msg->ctrl.data);
		if (slot < ZOC_LINK_MAX_DEVS &&
		    rcu_access_pointer(proxy->devs[slot]))
			zoc_proxy_dev_destroy(proxy, slot);
		else
			status = ZOC_MSG_ENODEV;
	}
	mutex_unlock(&proxy->mutex);
	zoc_proxy_ctrl_reply(proxy, msg, status, true);
	/* The reply copied what it needed: the slot is free. */
	clear_bit_unlock(ctrl->index, &proxy->ctrl_busy);
}

/* The proxy's lines in the endpoints' debugfs file: the client's @show. */
static void zoc_proxy_show(void *priv, struct seq_file *s)
{
	struct zoc_proxy *proxy = priv;
	unsigned int slot, devs = 0, detached = 0;
	struct zoc_pdev *pdev;

	rcu_read_lock();
	for (slot = 0; slot < ZOC_LINK_MAX_DEVS; slot++) {
		pdev = rcu_dereference(proxy->devs[slot]);
		devs += !!pdev;
		detached += pdev && READ_ONCE(pdev->detached);
	}
	rcu_read_unlock();
	seq_printf(s, "devices: %u\n", devs);
	seq_printf(s, "devices_detached: %u\n", detached);
	seq_printf(s, "ctrl_refused: %lld\n",
		   atomic64_read(&proxy->ctrl_refused));
	zoc_proxy_spread_show(proxy, s);
}

/*
 * The proxy goes, or hands its link over: a device whose model can let go
 * of it is detached, its state kept in host memory for the proxy that
 * takes the link over (a reloaded zoc_guest, a rebooted or standby
 * service VM); the others are destroyed.
 * Proxy mutex held.
 */
static void zoc_proxy_dev_leave(struct zoc_proxy *proxy, unsigned int slot)
{
	struct zoc_pdev *pdev;

	pdev = rcu_dereference_protected(proxy->devs[slot],
					 lockdep_is_held(&proxy->mutex));
	if (!pdev)
		return;
	if (!zoc_proxy_let_go(proxy, pdev)) {
		zoc_proxy_dev_destroy(proxy, slot);
		return;
	}
	rcu_assign_pointer(proxy->devs[slot], NULL);
	synchronize_rcu();
	/*
	 * Register accesses the host sent since it was detached would be
	 * lost with it: no proxy is to go on without them.
	 */
	if (pdev->nr_deferred) {
		WRITE_ONCE(zoc_guest_link_saved_page(proxy->ep, slot)->magic, 0);
		zoc_proxy_live_drop(pdev);
		dev_warn(proxy->dev, "slot %u: %s: %u register accesses of the host unanswered: not left\n",
			 slot, pdev->name, pdev->nr_deferred);
	} else {
		dev_info(proxy->dev, "slot %u: %s left to the next service VM\n",
			 slot, pdev->name);
	}
	zoc_proxy_swap_release(pdev);
	kfree(pdev);
}

/*
 * The link is handed over to a standby service VM: the client's @leave.
 * The control requests taken are answered first; then each device is
 * detached, its state saved for the next service VM, as when the proxy
 * goes (zoc_proxy_destroy()), but the proxy stays, standing by.
 */
static void zoc_proxy_leave(void *priv)
{
	struct zoc_proxy *proxy = priv;
	unsigned int slot;

	flush_workqueue(proxy->wq);
	mutex_lock(&proxy->mutex);
	proxy->left = true;
	proxy->left_epoch = zoc_guest_link_epoch(proxy->ep);
	for (slot = 0; slot < ZOC_LINK_MAX_DEVS; slot++)
		zoc_proxy_dev_leave(proxy, slot);
	mutex_unlock(&proxy->mutex);
	zoc_port_stand_by(proxy);
}

/*
 * The link came up: a standby that took it has devices to take over,
 * whose representors it prepared.  Or it came up on rings the host
 * formatted anew (it reset the link, for a ring gone bad or a transport
 * attached again): the interrupts they held are lost, and a driver that
 * waits for one (virtio's, with event indexes) would wait for ever.
 * Every vector a device raised is raised again at the next tick; a
 * driver's handler finds nothing new, at worst.  The client's @up: the
 * link's receiving lock held, never sleep.
 */
static void zoc_proxy_up(void *priv)
{
	struct zoc_proxy *proxy = priv;
	struct zoc_pdev *pdev;
	unsigned int slot, v;
	unsigned long bits;

	rcu_read_lock();
	for (slot = 0; slot < ZOC_LINK_MAX_DEVS; slot++) {
		pdev = rcu_dereference(proxy->devs[slot]);
		if (!pdev)
			continue;
		bits = READ_ONCE(pdev->irq_raised);
		for_each_set_bit(v, &bits, BITS_PER_LONG)
			set_bit(v, &pdev->irq_retry);
	}
	rcu_read_unlock();
	schedule_work(&proxy->up_work);
}

static void zoc_proxy_up_work(struct work_struct *work)
{
	zoc_port_announce(container_of(work, struct zoc_proxy, up_work));
}

static const struct zoc_guest_client_ops zoc_proxy_client_ops = {
	.request = zoc_proxy_request,
	.tick = zoc_proxy_tick,
	.show = zoc_proxy_show,
	.leave = zoc_proxy_leave,
	.up = zoc_proxy_up,
};

/**
 * zoc_proxy_create - an I/O proxy for a link endpoint
 * @ep: the endpoint, not started yet; it must outlive the proxy
 *
 * The proxy registers its operations with @ep: the host's requests on
 * that link reach it from then on.
 *
 * Context: process context.
 * Return: the proxy, or an ERR_PTR().
 */
struct zoc_proxy *zoc_proxy_create(struct zoc_guest_link *ep)
{
	struct device *dev = zoc_guest_link_dev(ep);
	struct zoc_proxy *proxy;
	unsigned int i;

	proxy = kzalloc(sizeof(*proxy), GFP_KERNEL);
	if (!proxy)
		return ERR_PTR(-ENOMEM);
	proxy->ep = ep;
	proxy->dev = dev;
	mutex_init(&proxy->mutex);
	mutex_init(&proxy->port_mutex);
	INIT_WORK(&proxy->up_work, zoc_proxy_up_work);
	for (i = 0; i < ZOC_LINK_CTRL_SLOTS; i++) {
		INIT_WORK(&proxy->ctrls[i].work, zoc_proxy_ctrl_work);
		proxy->ctrls[i].proxy = proxy;
		proxy->ctrls[i].index = i;
	}
	proxy->queued = alloc_percpu(atomic_long_t);
	proxy->wq = alloc_ordered_workqueue("zoc-proxy/%s", 0, dev_name(dev));
	if (!proxy->wq || !proxy->queued) {
		if (proxy->wq)
			destroy_workqueue(proxy->wq);
		free_percpu(proxy->queued);
		mutex_destroy(&proxy->port_mutex);
		mutex_destroy(&proxy->mutex);
		kfree(proxy);
		return ERR_PTR(-ENOMEM);
	}
	zoc_guest_link_set_client(ep, &zoc_proxy_client_ops, proxy);
	zoc_proxy_prepare_start(proxy);
	zoc_proxy_list_add(proxy);
	return proxy;
}

/**
 * zoc_proxy_destroy - tear down an I/O proxy
 * @proxy: as created
 *
 * The proxy unregisters from its endpoint and finishes the control
 * requests it holds.  Then each device whose model can let go of it is
 * detached, its state saved in host memory for the next proxy of the link
 * (the host keeps its function, stalled); the others are destroyed.  All
 * before the endpoint's L0 window is unmapped.
 *
 * Context: process context.
 */
void zoc_proxy_destroy(struct zoc_proxy *proxy)
{
	unsigned int slot;

	zoc_guest_link_set_client(proxy->ep, NULL, NULL);
	cancel_work_sync(&proxy->up_work);
	destroy_workqueue(proxy->wq);	/* runs what was queued first */
	/*
	 * In the list of proxies until its devices are gone: a model's
	 * module that goes meanwhile detaches them first (swap.c), rather
	 * than leave us calling it after its exit.
	 */
	mutex_lock(&proxy->mutex);
	for (slot = 0; slot < ZOC_LINK_MAX_DEVS; slot++)
		zoc_proxy_dev_leave(proxy, slot);
	mutex_unlock(&proxy->mutex);
	zoc_proxy_list_del(proxy);
	zoc_proxy_prepare_stop(proxy);	/* no kick after the list */
	zoc_port_drop_all(proxy);
	mutex_destroy(&proxy->port_mutex);
	mutex_destroy(&proxy->mutex);
	free_percpu(proxy->queued);
	kfree(proxy);
}
