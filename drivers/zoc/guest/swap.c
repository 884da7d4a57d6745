// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC I/O proxy core: replacing a model's module under devices that keep
 * running.
 *
 * When a model that can let go of its devices (&zoc_proxy_model.detach)
 * is unregistered, its module going away, each of its devices is detached
 * instead of destroyed: the proxy keeps the host's requests for it (BAR0
 * writes and reads, up to ZOC_PROXY_DEFERRED; doorbells stay coalesced in
 * the device page), and the model saves what the next model needs into
 * the slot's state page, in host memory, then tears its device down.  The
 * host is told nothing: its driver sees the device stall.  When a model of
 * that type registers again, it attaches each such device from the saved
 * state; the proxy then hands it the kept requests in order, answers the
 * reads among them, and takes the doorbells rung meanwhile.  A read the
 * host waited for longer than its deadline is answered too late and the
 * host gives the device up, as it would for a service VM that stopped
 * answering; the drivers' data paths read nothing, so a replacement under
 * I/O costs no read.
 */

#include <linux/crc32.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/zoc_link.h>
#include <asm/unaligned.h>

#include "proxy.h"
#include "zoc_guest.h"
#include "zoc_proxy.h"

/* The proxies, for the models that come and go; nothing else is global. */
static LIST_HEAD(zoc_proxies);
static DEFINE_MUTEX(zoc_proxies_mutex);

void zoc_proxy_list_add(struct zoc_proxy *proxy)
{
	mutex_lock(&zoc_proxies_mutex);
	list_add_tail(&proxy->list, &zoc_proxies);
	mutex_unlock(&zoc_proxies_mutex);
}

void zoc_proxy_list_del(struct zoc_proxy *proxy)
{
	mutex_lock(&zoc_proxies_mutex);
	list_del(&proxy->list);
	mutex_unlock(&zoc_proxies_mutex);
}

/*
 * A device just created: what it needs to be detached some day.  Process
 * context.  Return: 0 or -ENOMEM.
 */
int zoc_proxy_swap_prepare(struct zoc_pdev *pdev)
{
	spin_lock_init(&pdev->swap_lock);
	if (!pdev->model->detach)
		return 0;
	pdev->deferred = kcalloc(ZOC_PROXY_DEFERRED, sizeof(*pdev->deferred),
				 GFP_KERNEL);
	return pdev->deferred ? 0 : -ENOMEM;
}

void zoc_proxy_swap_release(struct zoc_pdev *pdev)
{
	kfree(pdev->deferred);
}

/**
 * zoc_proxy_defer - keep a request for a device with no model
 * @pdev: the device
 * @msg: a BAR0 access or a doorbell of the host's
 *
 * Doorbells need no keeping: the device page has them.  The request path,
 * interrupt context, under RCU.
 *
 * Return: true if the request was kept (or, beyond ZOC_PROXY_DEFERRED,
 * counted as lost), false if a model serves the device.
 */
bool zoc_proxy_defer(struct zoc_pdev *pdev, const struct zoc_msg *msg)
{
	unsigned long flags;
	bool detached;

	if (likely(!READ_ONCE(pdev->detached)))
		return false;
	spin_lock_irqsave(&pdev->swap_lock, flags);
	detached = pdev->detached;
	if (detached && msg->hdr.type != ZOC_MSG_DOORBELL) {
		if (pdev->nr_deferred < ZOC_PROXY_DEFERRED)
			pdev->deferred[pdev->nr_deferred++] = *msg;
		else
			zoc_proxy_stat_add(pdev, ZOC_DEV_STAT_INVALID, 1);
	}
	spin_unlock_irqrestore(&pdev->swap_lock, flags);
	return detached;
}

/* Its model's module goes: save the device's state and tear it down. */
static void zoc_proxy_detach(struct zoc_proxy *proxy, struct zoc_pdev *pdev,
			     const struct zoc_proxy_model *model)
{
	struct zoc_dev_saved *st = zoc_guest_link_saved_page(proxy->ep,
							     pdev->slot);
	int len;

	spin_lock_irq(&pdev->swap_lock);
	pdev->detached = true;
	pdev->nr_deferred = 0;
	spin_unlock_irq(&pdev->swap_lock);
	synchronize_rcu();	/* no request reaches the model any more */

	WRITE_ONCE(st->magic, 0);
	len = pdev->model->detach(pdev, st->data, sizeof(st->data));
	pdev->model = NULL;
	pdev->priv = NULL;
	if (len < 0 || len > sizeof(st->data)) {
		zoc_proxy_live_drop(pdev);
		dev_warn(proxy->dev, "slot %u: %s: nothing saved (%d): it cannot go on\n",
			 pdev->slot, pdev->name, len);
		return;
	}
	st->type = pdev->image.type;
	st->len = cpu_to_le32(len);
	st->crc = cpu_to_le32(crc32_le(~0, st->data, len));
	/* The state before its magic, for whoever reads it next. */
	virt_wmb();
	WRITE_ONCE(st->magic, cpu_to_le32(ZOC_DEV_SAVED_MAGIC));
	dev_info(proxy->dev, "slot %u: %s detached, %d bytes of state saved\n",
		 pdev->slot, pdev->name, len);
}

/*
 * A copy of the state saved for @pdev's slot, checked as peer input (the
 * host can write the page), or an ERR_PTR().  *@len: its bytes.
 */
static void *zoc_proxy_saved_state(struct zoc_proxy *proxy,
				   struct zoc_pdev *pdev, u8 type, size_t *len)
{
	struct zoc_dev_saved *st = zoc_guest_link_saved_page(proxy->ep,
							     pdev->slot);
	void *buf;
	u32 n;

	if (READ_ONCE(st->magic) != cpu_to_le32(ZOC_DEV_SAVED_MAGIC) ||
	    READ_ONCE(st->type) != type)
		return ERR_PTR(-ENODATA);
	virt_rmb();	/* the state after its magic */
	n = le32_to_cpu(READ_ONCE(st->len));
	if (n > sizeof(st->data))
		return ERR_PTR(-EINVAL);
	buf = kmemdup(st->data, n, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	if (crc32_le(~0, buf, n) != le32_to_cpu(READ_ONCE(st->crc))) {
		kfree(buf);
		return ERR_PTR(-EBADMSG);
	}
	*len = n;
	return buf;
}

/* Hand the attached model what the host sent meanwhile, in order. */
static void zoc_proxy_replay(struct zoc_proxy *proxy, struct zoc_pdev *pdev)
{
	struct zoc_msg msg, reply;
	unsigned long flags;
	unsigned int i = 0;

	spin_lock_irqsave(&pdev->swap_lock, flags);
	while (i < pdev->nr_deferred) {
		msg = pdev->deferred[i++];
		spin_unlock_irqrestore(&pdev->swap_lock, flags);
		reply = (struct zoc_msg){ .hdr = msg.hdr };
		/* As the request path calls the model: interrupts off. */
		local_irq_save(flags);
		zoc_proxy_mmio(pdev, &msg, &reply);
		if (reply.hdr.type != ZOC_MSG_NONE)
			zoc_guest_link_reply(proxy->ep, &reply);
		local_irq_restore(flags);
		spin_lock_irqsave(&pdev->swap_lock, flags);
	}
	pdev->nr_deferred = 0;
	pdev->detached = false;
	spin_unlock_irqrestore(&pdev->swap_lock, flags);

	local_irq_save(flags);
	zoc_proxy_take_doorbells(pdev);
	local_irq_restore(flags);
}

/*
 * No model can take @pdev over: tell the host, which removes its function
 * and then destroys the slot.  Until then the device stays detached.
 */
static void zoc_proxy_lost(struct zoc_proxy *proxy, struct zoc_pdev *pdev,
			   int error)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ };
	struct zoc_ctrl_dev_lost lost = {
		.slot = cpu_to_le32(pdev->slot),
		.error = cpu_to_le32(-error),
	};
	struct zoc_msg reply;
	int ret;

	msg.hdr.dev = cpu_to_le32(pdev->slot);
	msg.hdr.len = cpu_to_le16(sizeof(msg.ctrl.opcode) +
				  sizeof(msg.ctrl.status) + sizeof(lost));
	msg.ctrl.opcode = cpu_to_le32(ZOC_CTRL_DEV_LOST);
	memcpy(msg.ctrl.data, &lost, sizeof(lost));
	ret = zoc_guest_link_call(proxy->ep, &msg, &reply,
				  msecs_to_jiffies(ZOC_PROXY_REPLY_WAIT_MS));
	if (!ret && reply.ctrl.status)
		ret = -EIO;
	if (ret)
		dev_err(proxy->dev, "slot %u: %s: the host was not told it is lost: %d\n",
			pdev->slot, pdev->name, ret);
	/* No model is to try that state again. */
	WRITE_ONCE(zoc_guest_link_saved_page(proxy->ep, pdev->slot)->magic, 0);
	zoc_proxy_live_drop(pdev);
}

/*
 * @model takes @pdev over from the state saved in its slot's state page
 * or, with none, a model that can recover from the slot's live record.
 * Return: 0, the state consumed; or a negative errno, @pdev as it was
 * (no model).
 */
static int zoc_proxy_take_over(struct zoc_proxy *proxy, struct zoc_pdev *pdev,
			       const struct zoc_proxy_model *model)
{
	struct zoc_dev_image image = pdev->image;
	void *state, *track = NULL;
	size_t len = 0;
	int ret;

	state = zoc_proxy_saved_state(proxy, pdev, model->type, &len);
	if (PTR_ERR_OR_ZERO(state) == -ENODATA && model->recover)
		state = zoc_proxy_live_state(pdev, model->type, &len, &track);
	if (IS_ERR(state))
		return PTR_ERR(state);
	zoc_proxy_live_resume(pdev);
	pdev->model = model;
	pdev->recovered = track;
	/* The model fills the image in as @create does: from nothing. */
	memset(&pdev->image, 0, sizeof(pdev->image));
	if (track)
		ret = model->recover(pdev, &pdev->params, state, len, track);
	else
		ret = model->attach(pdev, &pdev->params, state, len);
	kfree(track);
	kfree(state);
	if (!ret) {
		/* The host has the old image: the new one must be the same. */
		pdev->image.magic = image.magic;
		pdev->image.type = image.type;
		if (!memcmp(&pdev->image, &image, sizeof(image))) {
			WRITE_ONCE(zoc_guest_link_saved_page(proxy->ep,
							     pdev->slot)->magic, 0);
			zoc_proxy_live_publish(pdev);
			return 0;
		}
		model->destroy(pdev);
		ret = -EPROTO;
	}
	pdev->model = NULL;
	pdev->priv = NULL;
	pdev->image = image;
	return ret;
}

/* Taken over: go on, with what the host sent meanwhile. */
static void zoc_proxy_go_on(struct zoc_proxy *proxy, struct zoc_pdev *pdev)
{
	dev_info(proxy->dev, "slot %u: %s taken over by %s from its %s, %u requests kept\n",
		 pdev->slot, pdev->name, pdev->model->name,
		 pdev->recovered ? "live record" : "saved state",
		 pdev->nr_deferred);
	if (pdev->model->resume)
		pdev->model->resume(pdev);
	zoc_proxy_replay(proxy, pdev);
}

/* A model of its type is back: it takes the device over. */
static void zoc_proxy_attach(struct zoc_proxy *proxy, struct zoc_pdev *pdev,
			     const struct zoc_proxy_model *model)
{
	int ret = zoc_proxy_take_over(proxy, pdev, model);

	if (ret) {
		dev_err(proxy->dev, "slot %u: %s not taken over by %s: %d: lost\n",
			pdev->slot, pdev->name, model->name, ret);
		zoc_proxy_lost(proxy, pdev, ret);
		return;
	}
	zoc_proxy_go_on(proxy, pdev);
}

/**
 * zoc_proxy_adopt - a device another proxy let go of, asked for again
 * @proxy: this proxy, its mutex held
 * @pdev: the device, published in its slot and detached (its requests are
 *	kept), with its name, params and the image the host has
 * @model: the model of its type, registered
 *
 * For ZOC_CTRL_DEV_ATTACH: a new service VM, or a new zoc_guest, takes
 * over a device whose state the last one saved.
 *
 * Return: 0, the device served; or a negative errno, @pdev still detached
 * and without a model: the caller unpublishes it.
 */
int zoc_proxy_adopt(struct zoc_proxy *proxy, struct zoc_pdev *pdev,
		    const struct zoc_proxy_model *model)
{
	int ret = zoc_proxy_take_over(proxy, pdev, model);

	if (!ret)
		zoc_proxy_go_on(proxy, pdev);
	return ret;
}

/**
 * zoc_proxy_let_go - the proxy goes, its device stays
 * @proxy: the proxy, its mutex held, no longer reachable by requests
 * @pdev: a device it served, unpublished
 *
 * A device whose model can let go of it is detached: its state is saved in
 * its slot's state page and its image stays in its device page, for the
 * proxy that will take it over.  A device already detached keeps what its
 * model saved.
 *
 * Return: true if so; false if its model cannot let go of it (the caller
 * destroys it).
 */
bool zoc_proxy_let_go(struct zoc_proxy *proxy, struct zoc_pdev *pdev)
{
	if (pdev->model && !pdev->model->detach)
		return false;
	if (pdev->model)
		zoc_proxy_detach(proxy, pdev, pdev->model);
	return true;
}

/*
 * @fn for each device of every proxy that @match allows, with the proxy's
 * mutex held.
 */
static void zoc_proxy_each(const struct zoc_proxy_model *model,
			   bool (*match)(const struct zoc_pdev *pdev,
					 const struct zoc_proxy_model *model),
			   void (*fn)(struct zoc_proxy *proxy,
				      struct zoc_pdev *pdev,
				      const struct zoc_proxy_model *model))
{
	struct zoc_proxy *proxy;
	struct zoc_pdev *pdev;
	unsigned int slot;

	mutex_lock(&zoc_proxies_mutex);
	list_for_each_entry(proxy, &zoc_proxies, list) {
		mutex_lock(&proxy->mutex);
		for (slot = 0; slot < ZOC_LINK_MAX_DEVS; slot++) {
			pdev = rcu_dereference_protected(proxy->devs[slot],
							 lockdep_is_held(&proxy->mutex));
			if (pdev && match(pdev, model))
				fn(proxy, pdev, model);
		}
		mutex_unlock(&proxy->mutex);
	}
	mutex_unlock(&zoc_proxies_mutex);
}

static bool zoc_proxy_served_by(const struct zoc_pdev *pdev,
				const struct zoc_proxy_model *model)
{
	return pdev->model == model;
}

static bool zoc_proxy_waits_for(const struct zoc_pdev *pdev,
				const struct zoc_proxy_model *model)
{
	return !pdev->model && pdev->image.type == model->type;
}

/**
 * zoc_proxy_swap_out - a model goes: detach its devices
 * @model: unregistered already, so that no device is created for it
 *
 * Context: process context, from its module's exit.
 */
void zoc_proxy_swap_out(const struct zoc_proxy_model *model)
{
	/* Without detach, its devices pin it: it has none. */
	if (model->detach)
		zoc_proxy_each(model, zoc_proxy_served_by, zoc_proxy_detach);
}

/*
 * Tell each proxy's host that a model of @model's type came, so that a
 * takeover it was refused for want of one is asked again at once.  A
 * link that is down, or a host that does not know the request, changes
 * nothing: the host asks again at its next look anyway.
 */
static void zoc_proxy_announce(const struct zoc_proxy_model *model)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ }, reply;
	struct zoc_proxy *proxy;
	int ret;

	msg.hdr.len = cpu_to_le16(sizeof(msg.ctrl.opcode) +
				  sizeof(msg.ctrl.status) + sizeof(__le32));
	msg.ctrl.opcode = cpu_to_le32(ZOC_CTRL_MODEL_ADDED);
	put_unaligned_le32(model->type, msg.ctrl.data);
	mutex_lock(&zoc_proxies_mutex);
	list_for_each_entry(proxy, &zoc_proxies, list) {
		ret = zoc_guest_link_call(proxy->ep, &msg, &reply,
					  msecs_to_jiffies(ZOC_PROXY_ANNOUNCE_WAIT_MS));
		if (ret && ret != -ENOTCONN)
			dev_dbg(proxy->dev, "model %u not announced: %d\n",
				model->type, ret);
	}
	mutex_unlock(&zoc_proxies_mutex);
}

/**
 * zoc_proxy_swap_in - a model came: it takes over the devices of its type
 *	that a model let go of, a standby prepares those it would take, and
 *	each host hears of it
 * @model: registered already
 *
 * Context: process context, from its module's init.
 */
void zoc_proxy_swap_in(const struct zoc_proxy_model *model)
{
	struct zoc_proxy *proxy;

	if (model->attach)
		zoc_proxy_each(model, zoc_proxy_waits_for, zoc_proxy_attach);
	if (model->prepare) {
		mutex_lock(&zoc_proxies_mutex);
		list_for_each_entry(proxy, &zoc_proxies, list)
			zoc_proxy_prepare_kick(proxy);
		mutex_unlock(&zoc_proxies_mutex);
	}
	zoc_proxy_announce(model);
}
