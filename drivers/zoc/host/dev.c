// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtual PCI bus: the life of its functions.
 *
 * A function is created by asking the service VM's I/O proxy for a device
 * (ZOC_CTRL_DEV_CREATE); the proxy answers with a device image in the
 * slot's device page: IDs, class, BAR0 size, MSI-X vectors and the policy
 * of each range of BAR0.  The bus checks a copy of the image, assigns BAR0
 * inside the aperture, emulates the configuration space from the image
 * (bus.c), makes BAR0 an emulated MMIO region (bar.c) and hot-plugs the
 * function.
 *
 * A read that gets no reply in time, or the loss of the link, makes the
 * function read all ones and removes it from the PCI core, as a
 * surprise-removed PCIe device would be; it stays listed as gone until
 * deleted.
 */

#include <linux/cpumask.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>
#include <asm/mmio_emul.h>

#include "zoc_host.h"
#include "bus.h"

#define ZOC_BUS_CTRL_TIMEOUT	(10 * HZ)
/* A stock driver's probe that waits longer for the device: it is stuck */
#define ZOC_BUS_PROBE_TIMEOUT	(20 * HZ)

/* --- hot-plug and management --------------------------------------------- */

/*
 * A control request, answered: 0, the service VM's refusal (-EINVAL,
 * -ENODEV for a volume it does not list, -ENXIO for one it cannot open,
 * -EOPNOTSUPP, -EBUSY for a volume in use, -EBADMSG for no
 * valid state to take a device over from, -EREMOTEIO for a
 * model that failed, -EAGAIN when it has too many requests), or the
 * link's failure (-ENOTCONN, -ETIMEDOUT, -ECONNRESET, -EIO).
 */
int zoc_bus_ctrl(struct zoc_bus *b, u32 opcode, const void *data, size_t len)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ }, reply;
	int ret;

	msg.hdr.len = cpu_to_le16(8 + len);
	msg.ctrl.opcode = cpu_to_le32(opcode);
	memcpy(msg.ctrl.data, data, len);
	ret = zoc_link_call(b->link, &msg, &reply, ZOC_BUS_CTRL_TIMEOUT);
	if (ret)
		return ret;
	if (reply.hdr.type != ZOC_MSG_CTRL_REPLY)
		return -EPROTO;
	switch (le32_to_cpu(reply.ctrl.status)) {
	case ZOC_MSG_OK:
		return 0;
	case ZOC_MSG_EINVAL:
		return -EINVAL;
	case ZOC_MSG_ENODEV:
		return -ENODEV;
	case ZOC_MSG_ENOTSUPP:
		return -EOPNOTSUPP;
	case ZOC_MSG_EBUSY:
		return -EAGAIN;
	case ZOC_MSG_EINUSE:
		return -EBUSY;
	case ZOC_MSG_ESTATE:
		return -EBADMSG;
	case ZOC_MSG_EMEDIUM:
		return -ENXIO;
	default:
		return -EREMOTEIO;
	}
}

/*
 * Have the service VM destroy the model of @slot: when it answers, the
 * model has drained what it had in flight and touches host memory no more.
 * Returns 0 if it answered so (a service VM with no such model does), or
 * the error.
 */
static int zoc_bus_destroy(struct zoc_bus *b, unsigned int slot)
{
	__le32 arg = cpu_to_le32(slot);
	int ret;

	ret = zoc_bus_ctrl(b, ZOC_CTRL_DEV_DESTROY, &arg, sizeof(arg));
	if (ret == -ENODEV)
		return 0;
	/* A service VM that restarted or went away has no device to destroy. */
	if (ret && ret != -ENOTCONN && ret != -ECONNRESET)
		dev_warn(&b->bridge->dev,
			 "slot %u: the service VM did not destroy it: %d\n",
			 slot, ret);
	return ret;
}

/* Whether the service VM can answer a request now. */
bool zoc_bus_svm_answers(struct zoc_bus *b)
{
	return zoc_link_state(b->link) == ZOC_LINK_S_UP &&
	       !zoc_link_peer_stalled(b->link);
}

struct zoc_vfn *zoc_bus_find(struct zoc_bus *b, const char *name)
{
	unsigned int slot;

	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++)
		if (b->fn[slot].present &&
		    !strcmp(b->fn[slot].name, name))
			return &b->fn[slot];
	return NULL;
}

/*
 * Before @fn's driver frees anything: have the service VM destroy its
 * model, if it can answer.  One that stopped beating cannot: asking would
 * only hold the bus for the request's timeout.  Unless the model is
 * acknowledged destroyed, what the driver lets go of is held (dma.c); the
 * acknowledgment may come later (zoc_bus_ack()).  Bus mutex held.
 */
static void zoc_vfn_quiesce(struct zoc_bus *b, struct zoc_vfn *fn)
{
	if (!fn->model_gone && zoc_bus_svm_answers(b) &&
	    !zoc_bus_destroy(b, fn->slot))
		WRITE_ONCE(fn->model_gone, true);
	if (fn->model_gone)
		zoc_vfn_dma_release(fn);
	else
		zoc_vfn_dma_fence(fn);
}

/*
 * The only driver that may bind a function of @type, or NULL for any.
 * Linux's virtio_pci claims every device of Red Hat's virtio vendor ID
 * (0x1af4), whose range for experimental use an NVMe controller with no
 * ID of its operator's shows (nvme.rst): it would probe the controller
 * before nvme does.  An administrator who hands a function to VFIO writes
 * vfio-pci there, as for any device.
 */
static const char *zoc_vfn_driver(u8 type)
{
	switch (type) {
	case ZOC_DEV_NVME:
		return "nvme";
	case ZOC_DEV_VIRTIO_BLK:
	case ZOC_DEV_VIRTIO_NET:
		return "virtio-pci";
	default:
		return NULL;
	}
}

/* Put @fn on the bus, its image taken.  Bus mutex held. */
static int zoc_bus_plug(struct zoc_bus *b, struct zoc_vfn *fn)
{
	struct pci_bus *bus = b->bridge->bus;
	const char *driver;
	struct pci_dev *pdev;
	unsigned int v;
	int ret;

	fn->bar = b->window.start + fn->slot * ZOC_BUS_BAR_STRIDE;
	fn->bar_size = BIT(fn->image.bar_shift);
	zoc_vfn_outage_reset(fn);
	zoc_vfn_writes_reset(fn);
	fn->dead = false;
	fn->model_gone = false;
	/* Against a delivery left over from the slot's last function */
	raw_spin_lock_irq(&fn->msix_lock);
	fn->pba = 0;
	fn->irq_note = 0;
	memset(fn->msix, 0, sizeof(fn->msix));
	/* Vectors come out of reset masked. */
	for (v = 0; v < ZOC_BUS_VECTORS; v++)
		fn->msix[v][3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	zoc_vfn_build_cfg(fn);
	raw_spin_unlock_irq(&fn->msix_lock);
	/* No CPU asked for yet: the queue of the last doorbell */
	memset(fn->page->irq_queues, 0, sizeof(fn->page->irq_queues));

	fn->region.start = fn->bar;
	fn->region.size = fn->bar_size;
	fn->region.ops = &zoc_vfn_ops;
	ret = mmio_emul_register(&fn->region);
	if (ret)
		return ret;

	raw_spin_lock_irq(&b->cfg_lock);
	fn->present = true;
	raw_spin_unlock_irq(&b->cfg_lock);

	/*
	 * The driver's probe runs here, under the bus mutex and the rescan
	 * lock: a device that never lets it finish (a virtio status that
	 * never reads reset) is made gone, whose reads end the wait.
	 */
	schedule_delayed_work(&fn->probe_watchdog, ZOC_BUS_PROBE_TIMEOUT);
	pci_lock_rescan_remove();
	pdev = pci_scan_single_device(bus, PCI_DEVFN(fn->slot, 0));
	if (pdev) {
		driver = zoc_vfn_driver(fn->image.type);
		/*
		 * Under the device lock, as its sysfs file writes it; freed
		 * with @pdev.  Without memory, any driver may bind it.
		 */
		if (driver)
			driver_set_override(&pdev->dev, &pdev->driver_override,
					    driver, strlen(driver));
		zoc_vfn_dma_setup(fn, pdev);
		pci_bus_claim_resources(bus);
		pci_bus_add_device(pdev);
	}
	pci_unlock_rescan_remove();
	cancel_delayed_work_sync(&fn->probe_watchdog);
	if (!pdev) {
		raw_spin_lock_irq(&b->cfg_lock);
		fn->present = false;
		raw_spin_unlock_irq(&b->cfg_lock);
		mmio_emul_unregister(&fn->region);
		return -ENODEV;
	}
	/* The MMIO path reads it (zoc_vfn_stall()) */
	WRITE_ONCE(fn->pdev, pdev);
	return 0;
}

/*
 * Why the service VM refused a device or a volume (zoc_bus_ctrl()'s @ret,
 * not 0), for the user.  Return: false if the caller must say it.
 */
static bool zoc_bus_ctrl_error(struct netlink_ext_ack *extack, int ret)
{
	switch (ret) {
	case -ENOTCONN:
		NL_SET_ERR_MSG(extack, "the link to the service VM is down");
		break;
	case -ETIMEDOUT:
		NL_SET_ERR_MSG(extack, "the service VM did not answer in time");
		break;
	case -ECONNRESET:
	case -EIO:
		NL_SET_ERR_MSG(extack,
			       "the link to the service VM was reset meanwhile");
		break;
	case -EOPNOTSUPP:
		NL_SET_ERR_MSG(extack, "the service VM has no model of this type");
		break;
	case -ENODEV:
		NL_SET_ERR_MSG(extack,
			       "the service VM's configuration lists no such volume");
		break;
	case -ENXIO:
		NL_SET_ERR_MSG(extack,
			       "the service VM cannot open the volume's block device");
		break;
	case -EBUSY:
		NL_SET_ERR_MSG(extack, "the volume is in use by another device");
		break;
	case -EAGAIN:
		NL_SET_ERR_MSG(extack,
			       "the service VM is busy, or the volume not attached yet: try again");
		break;
	case -EINVAL:
		NL_SET_ERR_MSG(extack, "the service VM refused the parameters");
		break;
	default:
		return false;
	}
	return true;
}

/* The request that creates @fn's device, or takes it over. */
void zoc_vfn_dev_req(struct zoc_vfn *fn, u8 type,
		     struct zoc_ctrl_dev_create *req)
{
	memset(req, 0, sizeof(*req));
	req->type = type;
	req->flags = fn->flags;
	req->queues = cpu_to_le16(fn->queues);
	req->slot = cpu_to_le32(fn->slot);
	strscpy(req->name, fn->name, sizeof(req->name));
	if (type == ZOC_DEV_VIRTIO_NET)
		req->net = fn->net;
	else
		strscpy(req->backend, fn->backend, sizeof(req->backend));
}

/* The most queues (pairs) a device of @type serves; 0 if not known. */
static unsigned int zoc_host_dev_max_queues(u32 type)
{
	switch (type) {
	case ZOC_DEV_NVME:
		return ZOC_DEV_NVME_MAX_QUEUES;
	case ZOC_DEV_VIRTIO_BLK:
		return ZOC_DEV_VIRTIO_BLK_MAX_QUEUES;
	case ZOC_DEV_VIRTIO_NET:
		return ZOC_DEV_VIRTIO_NET_MAX_QUEUES;
	}
	return 0;
}

/**
 * zoc_host_dev_add - create a device in the service VM and plug it
 * @host: the link to create it over
 * @dreq: what to create
 * @extack: for error messages
 *
 * Return: 0 or a negative errno, explained in @extack.
 */
int zoc_host_dev_add(struct zoc_host *host, const struct zoc_host_dev_req *dreq,
		     struct netlink_ext_ack *extack)
{
	const char *name = dreq->name, *backend = dreq->backend;
	u32 type = dreq->type, queues = dreq->queues, flags = dreq->flags;
	unsigned int max;
	struct zoc_bus *b = host->bus;
	struct zoc_ctrl_dev_create req = {};
	bool net = type == ZOC_DEV_VIRTIO_NET;
	struct zoc_vfn *fn = NULL;
	unsigned int slot;
	int ret;

	if (strlen(name) >= ZOC_DEV_NAME_LEN ||
	    strlen(backend) >= ZOC_DEV_NAME_LEN || type > U8_MAX ||
	    queues > U16_MAX || flags > U8_MAX || (net && *backend)) {
		NL_SET_ERR_MSG(extack, "name, backend or queues out of range");
		return -EINVAL;
	}
	/*
	 * One queue pair per host CPU unless told otherwise, up to what the
	 * device type serves; a type the host does not know gets what the
	 * service VM's model gives by default.
	 */
	max = zoc_host_dev_max_queues(type);
	if (max && queues > max) {
		NL_SET_ERR_MSG(extack, "more queues than the device type serves");
		return -EINVAL;
	}
	if (!queues)
		queues = min(num_online_cpus(), max);
	mutex_lock(&b->mutex);
	if (zoc_bus_find(b, name)) {
		NL_SET_ERR_MSG(extack, "a device of that name exists");
		ret = -EEXIST;
		goto out;
	}
	for (slot = 0; slot < ZOC_BUS_SLOTS && !fn; slot++)
		if (!b->fn[slot].present)
			fn = &b->fn[slot];
	if (!fn) {
		NL_SET_ERR_MSG(extack, "the bus is full");
		ret = -ENOSPC;
		goto out;
	}
	memset(&fn->image, 0, sizeof(fn->image));
	memset(&fn->page->image, 0, sizeof(fn->page->image));
	strscpy(fn->name, name, sizeof(fn->name));
	strscpy(fn->backend, backend, sizeof(fn->backend));
	memset(fn->ns, 0, sizeof(fn->ns));
	/* An NVMe controller's first namespace is the volume it is made of */
	if (type == ZOC_DEV_NVME)
		strscpy(fn->ns[0], backend, sizeof(fn->ns[0]));
	fn->net = net ? dreq->net : (struct zoc_ctrl_net){};
	fn->queues = queues;
	fn->flags = flags;
	zoc_vfn_dev_req(fn, type, &req);
	/* Read first: a service VM that restarts fails the request. */
	fn->epoch = zoc_bus_svm_epoch(b);
	ret = zoc_bus_ctrl(b, ZOC_CTRL_DEV_CREATE, &req, sizeof(req));
	if (ret) {
		if (!zoc_bus_ctrl_error(extack, ret))
			NL_SET_ERR_MSG(extack,
				       "the service VM failed to create the device");
		goto out;
	}
	/* Its model replaced what the slot had: nothing of that runs. */
	zoc_vfn_dma_release(fn);
	/* One copy out of shared memory, then checks on the copy only. */
	memcpy(&fn->image, &fn->page->image, sizeof(fn->image));
	ret = zoc_image_check(&fn->image, type);
	if (ret) {
		NL_SET_ERR_MSG(extack, "the service VM gave an invalid device image");
		goto out_destroy;
	}
	fn->link_up = true;
	for (ret = 0; ret < __ZOC_STAT_MAX; ret++)
		atomic64_set(&fn->stats[ret], 0);
	atomic64_set(&fn->rt_start, 0);
	ret = zoc_bus_plug(b, fn);
	if (ret) {
		NL_SET_ERR_MSG(extack, "the PCI core did not take the function");
		goto out_destroy;
	}
	if (READ_ONCE(fn->dead)) {
		NL_SET_ERR_MSG(extack,
			       "the device did not let its driver start: removed");
		zoc_bus_unplug(b, fn);
		ret = -EIO;
		goto out;
	}
	pci_info(fn->pdev, "%s added\n", name);
	goto out;

out_destroy:
	zoc_bus_destroy(b, fn->slot);
out:
	if (ret && fn && !fn->present)
		fn->name[0] = '\0';
	mutex_unlock(&b->mutex);
	return ret;
}

/*
 * Take @fn out of the service VM and off the bus.  Bus mutex held.
 *
 * The model goes first: it drains what it has in flight and stops
 * touching host memory before the service VM answers.  Only then is the
 * function gone (all ones, or zeros, as a surprise-removed device reads)
 * and its driver's remove runs: the driver frees its queues and buffers
 * when nothing writes them any more, and waits for nothing from the
 * device, so that a service VM that never completes a request or never
 * clears a virtio status cannot hold the deletion, the bus mutex and the
 * PCI rescan lock.  I/O the driver submits meanwhile fails, as on a
 * surprise removal.
 */
void zoc_bus_unplug(struct zoc_bus *b, struct zoc_vfn *fn)
{
	zoc_vfn_quiesce(b, fn);
	WRITE_ONCE(fn->dead, true);
	/* Dead, it keeps nothing more: what it kept is for no one. */
	zoc_vfn_outage_reset(fn);
	if (fn->pdev)
		pci_stop_and_remove_bus_device_locked(fn->pdev);
	fn->pdev = NULL;
	/* What a racing zoc_vfn_gone() fenced needs no holding. */
	if (fn->model_gone)
		zoc_vfn_dma_release(fn);
	raw_spin_lock_irq(&b->cfg_lock);
	fn->present = false;
	raw_spin_unlock_irq(&b->cfg_lock);
	mmio_emul_unregister(&fn->region);
	fn->name[0] = '\0';
}

/**
 * zoc_host_dev_del - hot-remove a device and destroy it in the service VM
 * @host: the link it is served over
 * @name: its name
 * @extack: for error messages
 *
 * Return: 0, or -ENOENT.
 */
int zoc_host_dev_del(struct zoc_host *host, const char *name,
		     struct netlink_ext_ack *extack)
{
	struct zoc_bus *b = host->bus;
	struct zoc_vfn *fn;
	int ret = 0;

	mutex_lock(&b->mutex);
	fn = zoc_bus_find(b, name);
	if (fn) {
		dev_info(zoc_vfn_dev(fn), "%s removed\n", name);
		zoc_bus_unplug(b, fn);
	} else {
		NL_SET_ERR_MSG(extack, "no device of that name");
		ret = -ENOENT;
	}
	mutex_unlock(&b->mutex);
	return ret;
}

/*
 * The device @name, into @fn, for a change that only its @type has (a
 * network device's link, an NVMe controller's namespaces).  Bus mutex
 * held.  Return: 0, -ENOENT or -EOPNOTSUPP, explained in @extack.
 */
static int zoc_bus_find_type(struct zoc_bus *b, const char *name, u8 type,
			     struct zoc_vfn **fn, struct netlink_ext_ack *extack)
{
	*fn = zoc_bus_find(b, name);
	if (!*fn) {
		NL_SET_ERR_MSG(extack, "no device of that name");
		return -ENOENT;
	}
	if ((*fn)->image.type == type)
		return 0;
	if (type == ZOC_DEV_NVME)
		NL_SET_ERR_MSG(extack, "only NVMe controllers have namespaces");
	else
		NL_SET_ERR_MSG(extack, "not a network device");
	return -EOPNOTSUPP;
}

/**
 * zoc_host_dev_set_link - set a network device's link up or down
 * @host: the link it is served over
 * @name: its name
 * @up: the link the host administrator wants
 * @extack: for error messages
 *
 * The service VM's model reports the link to the driver in the device's
 * configuration space; it stays down while the device's representor in
 * the service VM is down.
 *
 * Return: 0 or a negative errno, explained in @extack.
 */
int zoc_host_dev_set_link(struct zoc_host *host, const char *name, bool up,
			  struct netlink_ext_ack *extack)
{
	struct zoc_bus *b = host->bus;
	struct zoc_ctrl_dev_link req = { .up = up };
	struct zoc_vfn *fn;
	int ret;

	mutex_lock(&b->mutex);
	ret = zoc_bus_find_type(b, name, ZOC_DEV_VIRTIO_NET, &fn, extack);
	if (ret)
		goto out;
	req.slot = cpu_to_le32(fn->slot);
	ret = zoc_bus_ctrl(b, ZOC_CTRL_DEV_LINK, &req, sizeof(req));
	if (ret) {
		NL_SET_ERR_MSG(extack, "the service VM did not take the change");
		goto out;
	}
	fn->link_up = up;
out:
	mutex_unlock(&b->mutex);
	return ret;
}

/**
 * zoc_host_dev_ns - attach a volume to a running storage device, or detach
 *	one of its namespaces
 * @host: the link it is served over
 * @name: its name
 * @nsid: the namespace; to attach, 0 for the lowest free one, which is
 *	returned here
 * @volume: the volume to attach, or NULL to detach namespace @nsid
 * @extack: for error messages
 *
 * An NVMe controller tells its driver with a Namespace Attribute Changed
 * event, and the driver scans its namespaces again.
 *
 * Return: 0 or a negative errno, explained in @extack.
 */
int zoc_host_dev_ns(struct zoc_host *host, const char *name, u32 *nsid,
		    const char *volume, struct netlink_ext_ack *extack)
{
	struct zoc_bus *b = host->bus;
	struct zoc_ctrl_ns req = {};
	struct zoc_vfn *fn;
	u32 i, id = *nsid;
	int ret;

	if (id > ZOC_DEV_MAX_NS || (!volume && !id) ||
	    (volume && (!*volume || strlen(volume) >= ZOC_DEV_NAME_LEN))) {
		NL_SET_ERR_MSG(extack, "namespace or volume out of range");
		return -EINVAL;
	}
	mutex_lock(&b->mutex);
	ret = zoc_bus_find_type(b, name, ZOC_DEV_NVME, &fn, extack);
	if (ret)
		goto out;
	/* The lowest free namespace, for an attach that names none */
	for (i = 0; volume && !id && i < ZOC_DEV_MAX_NS; i++)
		if (!fn->ns[i][0])
			id = i + 1;
	ret = -EEXIST;
	if (volume && !id) {
		NL_SET_ERR_MSG(extack, "every namespace is taken");
		goto out;
	}
	if (volume && fn->ns[id - 1][0]) {
		NL_SET_ERR_MSG(extack, "that namespace is attached already");
		goto out;
	}
	/*
	 * A detach goes to the service VM whatever the host noted: an
	 * attach that timed out may have been done there all the same.
	 */
	req.slot = cpu_to_le32(fn->slot);
	req.nsid = cpu_to_le32(id);
	if (volume)
		strscpy(req.volume, volume, sizeof(req.volume));
	ret = zoc_bus_ctrl(b, volume ? ZOC_CTRL_NS_ATTACH : ZOC_CTRL_NS_DETACH,
			   &req, sizeof(req));
	/* Gone there already: a detach that timed out did it. */
	if (ret == -ENODEV && !volume && fn->ns[id - 1][0])
		ret = 0;
	if (ret == -EOPNOTSUPP)
		NL_SET_ERR_MSG(extack, "the service VM's model has no namespaces");
	else if (ret == -ENODEV && !volume)
		NL_SET_ERR_MSG(extack, "no such namespace");
	else if (ret == -EINVAL && volume)
		NL_SET_ERR_MSG(extack,
			       "the service VM has that namespace attached already: detach it first");
	else if (ret == -EAGAIN && volume)
		NL_SET_ERR_MSG(extack,
			       "the service VM is busy, the volume not attached yet, or the host's driver has not seen that namespace go yet: try again");
	else if (ret && !zoc_bus_ctrl_error(extack, ret))
		NL_SET_ERR_MSG(extack, "the service VM failed to do it");
	if (ret)
		goto out;
	*nsid = id;
	if (volume)
		strscpy(fn->ns[id - 1], volume, sizeof(fn->ns[id - 1]));
	else
		fn->ns[id - 1][0] = '\0';
	dev_info(zoc_vfn_dev(fn), "%s: namespace %u %s%s\n", name, id,
		 volume ? "attached: " : "detached", volume ?: "");
out:
	mutex_unlock(&b->mutex);
	return ret;
}

static void zoc_vfn_info(struct zoc_bus *b, struct zoc_vfn *fn,
			 struct zoc_host_dev_info *info)
{
	static const u8 model_stats[][2] = {
		{ ZOC_STAT_COMMANDS, ZOC_DEV_STAT_COMMANDS },
		{ ZOC_STAT_ERRORS, ZOC_DEV_STAT_ERRORS },
		{ ZOC_STAT_READ_BYTES, ZOC_DEV_STAT_READ_BYTES },
		{ ZOC_STAT_WRITE_BYTES, ZOC_DEV_STAT_WRITE_BYTES },
		{ ZOC_STAT_RESETS, ZOC_DEV_STAT_RESETS },
		{ ZOC_STAT_INVALID, ZOC_DEV_STAT_INVALID },
		{ ZOC_STAT_SVM_WAIT_NS, ZOC_DEV_STAT_WAIT_NS },
		{ ZOC_STAT_SVM_PREP_NS, ZOC_DEV_STAT_PREP_NS },
		{ ZOC_STAT_SVM_BACKEND_NS, ZOC_DEV_STAT_BACKEND_NS },
		{ ZOC_STAT_SVM_DONE_NS, ZOC_DEV_STAT_DONE_NS },
		{ ZOC_STAT_SVM_NOTIFY_NS, ZOC_DEV_STAT_NOTIFY_NS },
		{ ZOC_STAT_SVM_POLLED, ZOC_DEV_STAT_POLLED },
		{ ZOC_STAT_SVM_POLL_NS, ZOC_DEV_STAT_POLL_NS },
		{ ZOC_STAT_SVM_IN_PLACE_BYTES, ZOC_DEV_STAT_IN_PLACE_BYTES },
	};
	unsigned int i;

	memset(info, 0, sizeof(*info));
	strscpy(info->name, fn->name, sizeof(info->name));
	strscpy(info->backend, fn->backend, sizeof(info->backend));
	memcpy(info->ns, fn->ns, sizeof(info->ns));
	info->type = fn->image.type;
	info->queues = fn->queues;
	info->flags = fn->flags;
	info->state = fn->dead ? ZOC_DEV_STATE_GONE :
		      fn->stalled ? ZOC_DEV_STATE_STALLED : ZOC_DEV_STATE_UP;
	info->link_up = fn->link_up;
	info->net = fn->net;
	snprintf(info->pci, sizeof(info->pci), "%04x:00:%02x.0", b->sd.domain,
		 fn->slot);
	info->link = b->host->id;
	for (i = 0; i < __ZOC_STAT_MAX; i++)
		info->stats[i] = atomic64_read(&fn->stats[i]);
	/* The model's own counters, as the service VM last wrote them. */
	for (i = 0; i < ARRAY_SIZE(model_stats); i++)
		info->stats[model_stats[i][0]] =
			le64_to_cpu(READ_ONCE(fn->page->stats[model_stats[i][1]]));
}

/**
 * zoc_host_dev_info - describe a device
 * @host: the link it is served over
 * @name: its name
 * @info: filled in
 *
 * Return: 0, or -ENOENT.
 */
int zoc_host_dev_info(struct zoc_host *host, const char *name,
		      struct zoc_host_dev_info *info)
{
	struct zoc_bus *b = host->bus;
	struct zoc_vfn *fn;

	mutex_lock(&b->mutex);
	fn = zoc_bus_find(b, name);
	if (fn)
		zoc_vfn_info(b, fn, info);
	mutex_unlock(&b->mutex);
	return fn ? 0 : -ENOENT;
}

/**
 * zoc_host_dev_info_next - describe the next device, for dumps
 * @host: the link
 * @slot: where to start; moved past the device described
 * @info: filled in
 *
 * Return: 0, or -ENOENT when there is none left.
 */
int zoc_host_dev_info_next(struct zoc_host *host, unsigned int *slot,
			   struct zoc_host_dev_info *info)
{
	struct zoc_bus *b = host->bus;
	int ret = -ENOENT;

	mutex_lock(&b->mutex);
	for (; *slot < ZOC_BUS_SLOTS && ret; (*slot)++) {
		if (b->fn[*slot].present) {
			zoc_vfn_info(b, &b->fn[*slot], info);
			ret = 0;
		}
	}
	mutex_unlock(&b->mutex);
	return ret;
}

/* --- surprise removal ---------------------------------------------------- */

/* A driver's probe waited too long for the device: it is gone. */
void zoc_vfn_probe_watchdog(struct work_struct *work)
{
	struct zoc_vfn *fn = container_of(to_delayed_work(work), struct zoc_vfn,
					  probe_watchdog);

	dev_warn(zoc_vfn_dev(fn), "%s: its driver waited %u s for it\n",
		 fn->name, ZOC_BUS_PROBE_TIMEOUT / HZ);
	zoc_vfn_gone(fn, "its driver's probe did not end");
}

/* @fn is gone for the service VM, @why (for the log). */
void zoc_vfn_gone(struct zoc_vfn *fn, const char *why)
{
	/*
	 * Its driver frees nothing before it reads the function gone; a
	 * model acknowledged destroyed needs no fence.
	 */
	if (!READ_ONCE(fn->dead) && !READ_ONCE(fn->model_gone))
		zoc_vfn_dma_fence(fn);
	if (!xchg(&fn->dead, true)) {
		dev_warn(&fn->bus->bridge->dev,
			 "%04x:00:%02x.0 (%s) gone: %s: surprise removal\n",
			 fn->bus->sd.domain, fn->slot, fn->name, why);
		schedule_work(&fn->gone_work);
	}
}

/*
 * A dead function leaves the PCI core: its driver sees a removal.  A
 * service VM that is merely slow (a read timed out, its heartbeat goes on)
 * may still be working for it: its model is destroyed (drained, and done
 * with host memory) before the driver frees its pages.  One that stopped
 * beating or went away cannot answer; see link.rst on what is left then.
 */
void zoc_vfn_gone_work(struct work_struct *work)
{
	struct zoc_vfn *fn = container_of(work, struct zoc_vfn, gone_work);
	struct zoc_bus *b = fn->bus;

	mutex_lock(&b->mutex);
	/* Not a device added in this slot since: that one is alive. */
	if (fn->present && READ_ONCE(fn->dead) && fn->pdev) {
		zoc_vfn_quiesce(b, fn);
		pci_stop_and_remove_bus_device_locked(fn->pdev);
		fn->pdev = NULL;
		if (fn->model_gone)
			zoc_vfn_dma_release(fn);
	}
	mutex_unlock(&b->mutex);
}

/**
 * zoc_host_bus_dev_lost - the service VM lost a device's model for good
 * @b: the bus of the link, or NULL
 * @data: the request's data, a &struct zoc_ctrl_dev_lost (unaligned)
 *
 * Its function goes as for a surprise removal; the slot is then destroyed
 * (zoc_bus_ack()), which gives back what its driver let go of.
 *
 * Context: any (the link's receiving path).
 * Return: ZOC_MSG_OK, or ZOC_MSG_ENODEV if there is no such function.
 */
u32 zoc_host_bus_dev_lost(struct zoc_bus *b, const void *data)
{
	struct zoc_ctrl_dev_lost lost;
	struct zoc_vfn *fn;
	u32 slot;

	memcpy(&lost, data, sizeof(lost));
	slot = le32_to_cpu(lost.slot);
	if (!b || slot >= ZOC_BUS_SLOTS)
		return ZOC_MSG_ENODEV;
	fn = &b->fn[slot];
	if (!READ_ONCE(fn->present))
		return ZOC_MSG_ENODEV;
	/* Said once, when it goes; the service VM logs why. */
	zoc_vfn_gone(fn, "its service VM lost its model");
	zoc_host_bus_reclaim(b);
	return ZOC_MSG_OK;
}

/* The service VM and its devices are gone: removals follow. */
static void zoc_host_bus_link_lost(struct zoc_bus *b)
{
	unsigned int slot;

	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++)
		if (READ_ONCE(b->fn[slot].present))
			zoc_vfn_gone(&b->fn[slot], "its service VM was lost");
}

/**
 * zoc_bus_ack - look again at the functions that hold DMA pages
 * @b: the bus, its mutex held
 *
 * A service VM that came back (up again, or beating again) is asked to
 * destroy the models it did not acknowledge; one that can no longer reach
 * host memory has none that could run.  Either way, what their drivers
 * let go of is given back.  A link that fails a request ends the round:
 * the next event starts another.
 */
void zoc_bus_ack(struct zoc_bus *b)
{
	bool gone = zoc_host_chardev_svm_gone(b->host);
	struct zoc_vfn *fn;
	unsigned int slot;
	int ret;

	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++) {
		fn = &b->fn[slot];
		if (!READ_ONCE(fn->dma_fenced))
			continue;
		if (!gone) {
			if (!zoc_bus_svm_answers(b))
				break;
			ret = zoc_bus_destroy(b, slot);
			if (ret == -ETIMEDOUT || ret == -ENOTCONN ||
			    ret == -ECONNRESET)
				break;
			if (ret)
				continue;
		}
		/* Reset when the slot is plugged again. */
		WRITE_ONCE(fn->model_gone, true);
		zoc_vfn_dma_release(fn);
	}
}

void zoc_bus_ack_work(struct work_struct *work)
{
	struct zoc_bus *b = container_of(work, struct zoc_bus, ack_work);

	mutex_lock(&b->mutex);
	zoc_bus_ack(b);
	mutex_unlock(&b->mutex);
}

/**
 * zoc_host_bus_reclaim - look again at what the bus holds
 * @b: the bus of a link, or NULL
 *
 * The link's service VM may have become unable to reach host memory.
 *
 * Context: any.
 */
void zoc_host_bus_reclaim(struct zoc_bus *b)
{
	if (b)
		schedule_work(&b->ack_work);
}

/**
 * zoc_host_bus_link_event - what the link tells the bus
 * @b: the bus of the link, or NULL
 * @event: the link's event
 *
 * A lost service VM leaves its functions stalled, for the next one to take
 * over (outage.c), or with an outage limit of 0 takes them with it; one
 * that comes back is asked for what it did not acknowledge.
 *
 * Context: process context (the link's tick).
 */
void zoc_host_bus_link_event(struct zoc_bus *b, enum zoc_link_event event)
{
	if (!b)
		return;
	if (event != ZOC_LINK_EV_LOST)
		zoc_host_bus_reclaim(b);
	else if (!READ_ONCE(b->outage_limit_ms))
		zoc_host_bus_link_lost(b);
	zoc_bus_outage_event(b, event);
}
