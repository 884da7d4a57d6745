// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC NVMe controller model: namespaces.  A controller has up to
 * ZOC_NVME_MAX_NS of them, each a volume of the service VM's configuration
 * (Documentation/zoc/volumes.rst), attached and detached while it runs as
 * cloud disks are: the host's driver hears of each change through a
 * Namespace Attribute Changed notice, reads the Changed Namespace List
 * log and scans the namespaces again.
 *
 * The I/O path finds a namespace under RCU and holds a reference on it
 * until the command completes; a namespace that is detached refuses new
 * references, its commands in flight complete, and only then is its
 * volume closed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/nvme.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "../../zoc_blkback.h"
#include "../../zoc_proxy.h"
#include "../../zoc_volume.h"
#include "nvme.h"

static void zoc_nvme_ns_release(struct percpu_ref *ref)
{
	struct zoc_nvme_ns *ns = container_of(ref, struct zoc_nvme_ns, ref);

	complete(&ns->idle);
}

/* Close a namespace no command holds any more. */
static void zoc_nvme_ns_free(struct zoc_nvme_ns *ns)
{
	zoc_blkback_close(ns->bb);
	percpu_ref_exit(&ns->ref);
	kfree(ns);
}

/* Open @volume for namespace @nsid of @ctrl; not published yet. */
static struct zoc_nvme_ns *zoc_nvme_ns_open(struct zoc_nvme_ctrl *ctrl,
					    u32 nsid, const char *volume)
{
	struct zoc_nvme_ns *ns;
	int ret;

	if (!nsid || nsid > ZOC_NVME_MAX_NS)
		return ERR_PTR(-EINVAL);
	ns = kzalloc(sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return ERR_PTR(-ENOMEM);
	ns->nsid = nsid;
	strscpy(ns->volume, volume, sizeof(ns->volume));
	init_completion(&ns->idle);
	ret = percpu_ref_init(&ns->ref, zoc_nvme_ns_release, 0, GFP_KERNEL);
	if (ret)
		goto out_free;
	/* Reads and writes come from the I/O queues' works only. */
	ns->bb = zoc_blkback_open(ctrl->pdev, ns->volume, ctrl->nr_io_queues);
	if (IS_ERR(ns->bb)) {
		ret = PTR_ERR(ns->bb);
		goto out_exit;
	}
	ns->lbads = ilog2(zoc_blkback_block_size(ns->bb));
	ns->nsze = zoc_blkback_capacity(ns->bb) >> (ns->lbads - SECTOR_SHIFT);
	return ns;

out_exit:
	percpu_ref_exit(&ns->ref);
out_free:
	kfree(ns);
	return ERR_PTR(ret);
}

/* Whether the host's driver hears of changes: it asked for notices. */
static bool zoc_nvme_ns_notices(struct zoc_nvme_ctrl *ctrl)
{
	lockdep_assert_held(&ctrl->lock);
	return ctrl->ready &&
	       (READ_ONCE(ctrl->feat.async_event) & NVME_AEN_CFG_NS_ATTR);
}

/*
 * Namespace @nsid changed: note it for the Changed Namespace List and
 * tell the host, if it asked for such notices, with an Asynchronous Event
 * Request, or the next one; masked until the host reads the log.
 */
static void zoc_nvme_ns_changed(struct zoc_nvme_ctrl *ctrl, u32 nsid)
{
	struct zoc_nvme_cmd *cmd;

	lockdep_assert_held(&ctrl->lock);
	set_bit(nsid - 1, ctrl->ns_changed);
	if (!zoc_nvme_ns_notices(ctrl) || ctrl->ns_masked)
		return;
	ctrl->ns_masked = true;
	if (!ctrl->nr_aers) {
		ctrl->ns_notice = true;
		return;
	}
	cmd = ctrl->aer[--ctrl->nr_aers];
	cmd->result = ZOC_NVME_AEN_NS_CHANGED;
	/* The admin CQ's lock nests inside ours. */
	zoc_nvme_complete(cmd);
}

/*
 * Publish @ns as its identifier's namespace, unless taken; @changed: a
 * change to tell the host of.  An identifier whose last change the host's
 * driver has not read yet is not reused: it would find the namespace
 * still there, and keep what it knew of the one before.
 * Return 0, -EEXIST, or -EAGAIN (ask again once the host read the log).
 */
static int zoc_nvme_ns_publish(struct zoc_nvme_ctrl *ctrl,
			       struct zoc_nvme_ns *ns, bool changed)
{
	int ret = 0;

	spin_lock_irq(&ctrl->lock);
	if (rcu_access_pointer(ctrl->ns[ns->nsid - 1])) {
		ret = -EEXIST;
	} else if (changed && zoc_nvme_ns_notices(ctrl) &&
		   test_bit(ns->nsid - 1, ctrl->ns_changed)) {
		ret = -EAGAIN;
	} else {
		rcu_assign_pointer(ctrl->ns[ns->nsid - 1], ns);
		if (changed)
			zoc_nvme_ns_changed(ctrl, ns->nsid);
		zoc_nvme_record(ctrl);
	}
	spin_unlock_irq(&ctrl->lock);
	return ret;
}

/**
 * zoc_nvme_ns_add - open a volume as a namespace of a new controller
 * @ctrl: the controller, being created or taken over: no work runs yet
 * @nsid: the namespace, 1 to ZOC_NVME_MAX_NS
 * @volume: the volume's name, the host's (unchecked)
 * @ident: if not NULL, the volume's identity, copied there
 *
 * Return: 0 or a negative errno: -EINVAL, -EEXIST, or zoc_blkback_open()'s.
 */
int zoc_nvme_ns_add(struct zoc_nvme_ctrl *ctrl, u32 nsid, const char *volume,
		    struct zoc_volume_info *ident)
{
	struct zoc_nvme_ns *ns = zoc_nvme_ns_open(ctrl, nsid, volume);
	int ret;

	if (IS_ERR(ns))
		return PTR_ERR(ns);
	if (ident)
		*ident = *zoc_blkback_volume(ns->bb);
	ret = zoc_nvme_ns_publish(ctrl, ns, false);
	if (ret)
		zoc_nvme_ns_free(ns);
	return ret;
}

/* Take namespace @nsid out, wait for its commands and close it. */
static int zoc_nvme_ns_remove(struct zoc_nvme_ctrl *ctrl, u32 nsid,
			      bool changed)
{
	struct zoc_nvme_ns *ns;

	spin_lock_irq(&ctrl->lock);
	ns = rcu_dereference_protected(ctrl->ns[nsid - 1],
				       lockdep_is_held(&ctrl->lock));
	RCU_INIT_POINTER(ctrl->ns[nsid - 1], NULL);
	spin_unlock_irq(&ctrl->lock);
	if (!ns)
		return -ENOENT;
	/* No command takes it from here on; those that did complete. */
	percpu_ref_kill(&ns->ref);
	wait_for_completion(&ns->idle);
	synchronize_rcu();
	zoc_nvme_ns_free(ns);
	if (changed) {
		spin_lock_irq(&ctrl->lock);
		zoc_nvme_ns_changed(ctrl, nsid);
		zoc_nvme_record(ctrl);
		spin_unlock_irq(&ctrl->lock);
	}
	return 0;
}

/**
 * zoc_nvme_ns_close_all - close every namespace of a controller
 * @ctrl: the controller, whose queues are stopped
 */
void zoc_nvme_ns_close_all(struct zoc_nvme_ctrl *ctrl)
{
	u32 nsid;

	for (nsid = 1; nsid <= ZOC_NVME_MAX_NS; nsid++)
		zoc_nvme_ns_remove(ctrl, nsid, false);
}

/**
 * zoc_nvme_ns_get - the namespace an I/O command names
 * @ctrl: the controller
 * @nsid: the command's namespace identifier, the host's
 *
 * Return: the namespace, held until zoc_nvme_ns_put(), or NULL if there is
 * none of that identifier (or it is being detached).
 */
struct zoc_nvme_ns *zoc_nvme_ns_get(struct zoc_nvme_ctrl *ctrl, u32 nsid)
{
	struct zoc_nvme_ns *ns;

	if (!nsid || nsid > ZOC_NVME_MAX_NS)
		return NULL;
	rcu_read_lock();
	ns = rcu_dereference(ctrl->ns[nsid - 1]);
	if (ns && !percpu_ref_tryget_live(&ns->ref))
		ns = NULL;
	rcu_read_unlock();
	return ns;
}

/**
 * zoc_nvme_ns_put - a command is done with its namespace
 * @ns: what zoc_nvme_ns_get() gave
 *
 * Context: any, hard interrupts included.
 */
void zoc_nvme_ns_put(struct zoc_nvme_ns *ns)
{
	percpu_ref_put(&ns->ref);
}

/* --- Identify ------------------------------------------------------------- */

static void zoc_nvme_id_ns(struct zoc_nvme_ns *ns, struct nvme_id_ns *id)
{
	const struct zoc_volume_info *vol = zoc_blkback_volume(ns->bb);

	id->nsze = cpu_to_le64(ns->nsze);
	id->ncap = id->nsze;
	id->nuse = id->nsze;
	id->lbaf[0].ds = ns->lbads;
	memcpy(id->nguid, vol->nguid, sizeof(id->nguid));
	memcpy(id->eui64, vol->eui64, sizeof(id->eui64));
}

/* The active namespaces above @nsid, in increasing order. */
static u16 zoc_nvme_id_active_ns(struct zoc_nvme_ctrl *ctrl, u32 nsid,
				 __le32 *list)
{
	unsigned int n = 0;
	u32 i;

	if (nsid >= NVME_NSID_ALL - 1)
		return NVME_SC_INVALID_NS | NVME_STATUS_DNR;
	rcu_read_lock();
	for (i = nsid + 1; i <= ZOC_NVME_MAX_NS; i++) {
		if (rcu_access_pointer(ctrl->ns[i - 1]))
			list[n++] = cpu_to_le32(i);
	}
	rcu_read_unlock();
	return NVME_SC_SUCCESS;
}

/* One descriptor of @len bytes at @desc, unless @id is all zeros; the next. */
static struct nvme_ns_id_desc *zoc_nvme_ns_desc(struct nvme_ns_id_desc *desc,
						u8 type, const u8 *id,
						size_t len)
{
	if (!memchr_inv(id, 0, len))
		return desc;
	desc->nidt = type;
	desc->nidl = len;
	memcpy(desc + 1, id, len);
	return (void *)(desc + 1) + len;
}

static void zoc_nvme_id_ns_desc(struct zoc_nvme_ns *ns, void *buf)
{
	const struct zoc_volume_info *vol = zoc_blkback_volume(ns->bb);
	struct nvme_ns_id_desc *desc = buf;

	desc = zoc_nvme_ns_desc(desc, NVME_NIDT_EUI64, vol->eui64,
				NVME_NIDT_EUI64_LEN);
	desc = zoc_nvme_ns_desc(desc, NVME_NIDT_NGUID, vol->nguid,
				NVME_NIDT_NGUID_LEN);
	desc->nidt = NVME_NIDT_CSI;
	desc->nidl = NVME_NIDT_CSI_LEN;
	*(u8 *)(desc + 1) = NVME_CSI_NVM;
}

/**
 * zoc_nvme_ns_identify - Identify data about namespaces
 * @ctrl: the controller
 * @cns: NVME_ID_CNS_NS, NVME_ID_CNS_NS_ACTIVE_LIST or
 *	NVME_ID_CNS_NS_DESC_LIST
 * @nsid: the command's namespace identifier, the host's
 * @buf: NVME_IDENTIFY_DATA_SIZE bytes, zeroed
 *
 * An identifier in range with no namespace attached is an inactive one:
 * its Identify Namespace data are zeros.
 *
 * Context: the control work.
 * Return: an NVMe status.
 */
u16 zoc_nvme_ns_identify(struct zoc_nvme_ctrl *ctrl, u8 cns, u32 nsid,
			 void *buf)
{
	struct zoc_nvme_ns *ns;

	if (cns == NVME_ID_CNS_NS_ACTIVE_LIST)
		return zoc_nvme_id_active_ns(ctrl, nsid, buf);
	if (!nsid || nsid > ZOC_NVME_MAX_NS)
		return NVME_SC_INVALID_NS | NVME_STATUS_DNR;
	ns = zoc_nvme_ns_get(ctrl, nsid);
	if (!ns)
		return cns == NVME_ID_CNS_NS ? NVME_SC_SUCCESS :
		       NVME_SC_INVALID_NS | NVME_STATUS_DNR;
	if (cns == NVME_ID_CNS_NS)
		zoc_nvme_id_ns(ns, buf);
	else
		zoc_nvme_id_ns_desc(ns, buf);
	zoc_nvme_ns_put(ns);
	return NVME_SC_SUCCESS;
}

/**
 * zoc_nvme_ns_changed_log - the Changed Namespace List log page
 * @ctrl: the controller
 * @list: NVME_MAX_CHANGED_NAMESPACES entries, zeroed
 * @listed: set to the namespaces listed
 *
 * The list is cleared only once the host has it:
 * zoc_nvme_ns_changed_clear() with @listed.
 *
 * Return: the log's size in bytes.
 */
size_t zoc_nvme_ns_changed_log(struct zoc_nvme_ctrl *ctrl, __le32 *list,
			       unsigned long *listed)
{
	unsigned int n = 0, bit;

	spin_lock_irq(&ctrl->lock);
	bitmap_copy(listed, ctrl->ns_changed, ZOC_NVME_MAX_NS);
	spin_unlock_irq(&ctrl->lock);
	for_each_set_bit(bit, listed, ZOC_NVME_MAX_NS)
		list[n++] = cpu_to_le32(bit + 1);
	return NVME_MAX_CHANGED_NAMESPACES * sizeof(*list);
}

/**
 * zoc_nvme_ns_changed_clear - the host read the Changed Namespace List
 * @ctrl: the controller
 * @listed: the namespaces the list it read had
 *
 * Without Retain Asynchronous Event: the namespaces it was told of leave
 * the list, and notices are unmasked.  One changed since it was copied
 * is told of again.
 *
 * Context: the control work.
 */
void zoc_nvme_ns_changed_clear(struct zoc_nvme_ctrl *ctrl,
			       const unsigned long *listed)
{
	unsigned int bit;

	spin_lock_irq(&ctrl->lock);
	bitmap_andnot(ctrl->ns_changed, ctrl->ns_changed, listed,
		      ZOC_NVME_MAX_NS);
	ctrl->ns_masked = false;
	bit = find_first_bit(ctrl->ns_changed, ZOC_NVME_MAX_NS);
	if (bit < ZOC_NVME_MAX_NS)
		zoc_nvme_ns_changed(ctrl, bit + 1);
	zoc_nvme_record(ctrl);
	spin_unlock_irq(&ctrl->lock);
}

/* --- attach and detach ----------------------------------------------------- */

/**
 * zoc_nvme_ns_attach - the model's ns_attach: hot-attach a volume
 * @pdev: the controller's device
 * @nsid: the namespace it becomes, 1 to ZOC_NVME_MAX_NS
 * @volume: the volume, the host's name (unchecked)
 *
 * Context: process context, the proxy's control work.
 * Return: 0 or a negative errno; -EAGAIN for an identifier detached whose
 * change the host's driver has not read yet.
 */
int zoc_nvme_ns_attach(struct zoc_pdev *pdev, u32 nsid, const char *volume)
{
	struct zoc_nvme_ctrl *ctrl = pdev->priv;
	struct zoc_nvme_ns *ns;
	int ret;

	if (!nsid || nsid > ZOC_NVME_MAX_NS)
		return -EINVAL;
	if (rcu_access_pointer(ctrl->ns[nsid - 1]))
		return -EEXIST;
	ns = zoc_nvme_ns_open(ctrl, nsid, volume);
	if (IS_ERR(ns))
		return PTR_ERR(ns);
	ret = zoc_nvme_ns_publish(ctrl, ns, true);
	if (ret) {
		zoc_nvme_ns_free(ns);
		return ret;
	}
	pr_info("%s: namespace %u: %llu blocks of %u bytes on %s\n",
		ctrl->name, nsid, ns->nsze, 1U << ns->lbads, volume);
	return 0;
}

/**
 * zoc_nvme_ns_detach - the model's ns_detach: hot-detach a namespace
 * @pdev: the controller's device
 * @nsid: the namespace
 *
 * Its commands in flight complete first; later ones get Invalid Namespace.
 *
 * Context: process context, the proxy's control work.
 * Return: 0, -EINVAL or -ENOENT.
 */
int zoc_nvme_ns_detach(struct zoc_pdev *pdev, u32 nsid)
{
	struct zoc_nvme_ctrl *ctrl = pdev->priv;
	int ret;

	if (!nsid || nsid > ZOC_NVME_MAX_NS)
		return -EINVAL;
	ret = zoc_nvme_ns_remove(ctrl, nsid, true);
	if (!ret)
		pr_info("%s: namespace %u detached\n", ctrl->name, nsid);
	return ret;
}
