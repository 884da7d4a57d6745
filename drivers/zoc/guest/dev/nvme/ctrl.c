// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC NVMe controller model: the controller.  Its registers (CC, CSTS,
 * AQA, ASQ, ACQ) and the MMIO and doorbell callbacks; enable, reset,
 * shutdown and quiesce, run by the control work; BAR0's image, and the
 * creation and destruction of a controller.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/ctype.h>
#include <linux/irq_work.h>
#include <linux/log2.h>
#include <linux/mempool.h>
#include <linux/module.h>
#include <linux/nvme.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/zoc_link.h>

#include "../../zoc_blkback.h"
#include "../../zoc_proxy.h"
#include "nvme.h"

/* BAR0 */
#define ZOC_NVME_BAR_SHIFT	14		/* 16 KiB */
#define ZOC_NVME_MSIX_TABLE	0x2000
#define ZOC_NVME_MSIX_PBA	0x3000
#define ZOC_NVME_CLASS		0x010802	/* mass storage, NVM, NVMe */
/* CAP and VS, and CSTS, are shadowed at their own offsets. */
#define ZOC_NVME_SHADOW_CAP	NVME_REG_CAP
#define ZOC_NVME_SHADOW_CSTS	NVME_REG_CSTS

/* CC fields checked on enable (CSS, MPS, AMS, IOSQES, IOCQES), MPS 0 */
#define ZOC_NVME_CC_CONFIG	(NVME_CC_CSS_MASK | GENMASK(13, 7) |	\
				 GENMASK(23, 16))
#define ZOC_NVME_CC_WANTED	(NVME_CC_CSS_NVM | NVME_CC_AMS_RR |	\
				 NVME_CC_IOSQES | NVME_CC_IOCQES)
#define ZOC_NVME_AQA_ASQS	GENMASK(11, 0)
#define ZOC_NVME_AQA_ACQS	GENMASK(27, 16)

/**
 * struct zoc_nvme_sync - a backend request waited for
 * @breq: the request
 * @done: completed by its @breq.done
 * @status: its outcome
 */
struct zoc_nvme_sync {
	struct zoc_blkback_req breq;
	struct completion done;
	blk_status_t status;
};

static const struct zoc_nvme_features zoc_nvme_default_features = {
	.temp_over = ZOC_NVME_WCTEMP,
	.wce = true,
};

void zoc_nvme_stat(struct zoc_nvme_ctrl *ctrl, unsigned int stat)
{
	zoc_proxy_stat_add(ctrl->pdev, stat, 1);
}

void zoc_nvme_set_csts(struct zoc_nvme_ctrl *ctrl, u32 csts)
{
	__le32 val = cpu_to_le32(csts);

	spin_lock_irq(&ctrl->lock);
	ctrl->csts = csts;
	zoc_nvme_record(ctrl);
	spin_unlock_irq(&ctrl->lock);
	/* It orders our earlier writes to host memory before the status. */
	zoc_proxy_shadow_write(ctrl->pdev, ZOC_NVME_SHADOW_CSTS, &val,
			       sizeof(val));
}

/* --- registers and controller state -------------------------------------- */

static void zoc_nvme_sync_done(struct zoc_blkback_req *breq,
			       blk_status_t status)
{
	struct zoc_nvme_sync *sync = container_of(breq, struct zoc_nvme_sync,
						  breq);

	sync->status = status;
	complete(&sync->done);
}

/* Flush every namespace's volume: the first failure, or BLK_STS_OK. */
static blk_status_t zoc_nvme_flush_backend(struct zoc_nvme_ctrl *ctrl)
{
	struct zoc_nvme_sync sync;
	blk_status_t status = BLK_STS_OK;
	struct zoc_nvme_ns *ns;
	u32 nsid;

	for (nsid = 1; nsid <= ZOC_NVME_MAX_NS; nsid++) {
		ns = zoc_nvme_ns_get(ctrl, nsid);
		if (!ns)
			continue;
		memset(&sync, 0, sizeof(sync));
		sync.breq.op = ZOC_BLKBACK_FLUSH;
		sync.breq.done = zoc_nvme_sync_done;
		init_completion(&sync.done);
		zoc_blkback_submit(ns->bb, &sync.breq);
		wait_for_completion(&sync.done);
		zoc_nvme_ns_put(ns);
		if (!status)
			status = sync.status;
	}
	return status;
}

/* Drop the outstanding Asynchronous Event Requests: the host resets. */
static void zoc_nvme_drop_aers(struct zoc_nvme_ctrl *ctrl)
{
	LIST_HEAD(dropped);

	spin_lock_irq(&ctrl->lock);
	while (ctrl->nr_aers)
		list_add_tail(&ctrl->aer[--ctrl->nr_aers]->entry, &dropped);
	spin_unlock_irq(&ctrl->lock);
	if (list_empty(&dropped))
		return;
	spin_lock_irq(&ctrl->cq[0]->lock);
	zoc_nvme_cq_retire(&dropped);
	spin_unlock_irq(&ctrl->cq[0]->lock);
}

/*
 * Stop fetching from every queue and wait for the commands in flight:
 * reset, shutdown and destroy.  From the control work or with it stopped.
 */
static void zoc_nvme_quiesce(struct zoc_nvme_ctrl *ctrl)
{
	unsigned int qid;

	spin_lock_irq(&ctrl->lock);
	ctrl->ready = false;
	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		if (ctrl->sq[qid])
			WRITE_ONCE(ctrl->sq[qid]->stopped, true);
	}
	spin_unlock_irq(&ctrl->lock);
	zoc_nvme_drop_aers(ctrl);
	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		if (ctrl->sq[qid])
			zoc_nvme_sq_drain(ctrl->sq[qid]);
	}
}

/* Free the queues of a quiesced controller. */
static void zoc_nvme_free_queues(struct zoc_nvme_ctrl *ctrl)
{
	struct zoc_nvme_sq *sq;
	struct zoc_nvme_cq *cq;
	unsigned int qid;

	/*
	 * Every submission queue first: one listed may post to any
	 * completion queue (a host may share them), which must not be
	 * freed under it.
	 */
	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		spin_lock_irq(&ctrl->lock);
		sq = ctrl->sq[qid];
		ctrl->sq[qid] = NULL;
		spin_unlock_irq(&ctrl->lock);
		zoc_nvme_sq_free(sq);
	}
	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		spin_lock_irq(&ctrl->lock);
		cq = ctrl->cq[qid];
		ctrl->cq[qid] = NULL;
		spin_unlock_irq(&ctrl->lock);
		if (cq) {
			irq_work_sync(&cq->irq_work);
			kfree(cq);
		}
	}
}

/* CC.EN went to 0: back to the state after power on. */
static void zoc_nvme_reset(struct zoc_nvme_ctrl *ctrl)
{
	zoc_nvme_quiesce(ctrl);
	zoc_nvme_free_queues(ctrl);
	WRITE_ONCE(ctrl->dbs, NULL);
	WRITE_ONCE(ctrl->eis, NULL);
	ctrl->dbs_addr = 0;
	ctrl->eis_addr = 0;
	spin_lock_irq(&ctrl->lock);
	ctrl->aen_pending = 0;
	ctrl->aen_masked = false;
	ctrl->ns_notice = false;
	ctrl->ns_masked = false;
	spin_unlock_irq(&ctrl->lock);
	ctrl->feat = zoc_nvme_default_features;
	ctrl->enabled = false;
	ctrl->shut_down = false;
	zoc_nvme_stat(ctrl, ZOC_DEV_STAT_RESETS);
	zoc_nvme_set_csts(ctrl, 0);
}

/*
 * The admin queues, from the registers (enable) or a saved state (saved.c):
 * NULL, or what is wrong with them.
 */
const char *zoc_nvme_admin_queues(struct zoc_nvme_ctrl *ctrl, u64 asq,
				  u32 sqs, u64 acq, u32 cqs)
{
	struct zoc_nvme_sq *sq;
	struct zoc_nvme_cq *cq;

	if (!zoc_nvme_qsize_ok(sqs) || !zoc_nvme_qsize_ok(cqs))
		return "admin queue size";
	if (!IS_ALIGNED(asq, ZOC_NVME_PAGE_SIZE) ||
	    !IS_ALIGNED(acq, ZOC_NVME_PAGE_SIZE))
		return "admin queue address";
	cq = zoc_nvme_cq_alloc(ctrl, 0, acq, cqs, 0, true);
	if (IS_ERR(cq))
		return PTR_ERR(cq) == -EFAULT ? "admin queue address" :
		       "out of memory";
	sq = zoc_nvme_sq_alloc(ctrl, 0, asq, sqs, cq);
	if (IS_ERR(sq)) {
		kfree(cq);
		return PTR_ERR(sq) == -EFAULT ? "admin queue address" :
		       "out of memory";
	}
	cq->sqs = 1;
	zoc_nvme_track_queue(ctrl, 0, false);
	zoc_nvme_track_queue(ctrl, 0, true);
	spin_lock_irq(&ctrl->lock);
	ctrl->cq[0] = cq;
	ctrl->sq[0] = sq;
	spin_unlock_irq(&ctrl->lock);
	return NULL;
}

/*
 * CC.EN went to 1: set up the admin queues and report ready, or report a
 * fatal status (the host resets us) if they cannot be used.
 */
static void zoc_nvme_enable(struct zoc_nvme_ctrl *ctrl, u32 cc)
{
	const char *why;
	u64 asq, acq;
	u32 aqa;

	spin_lock_irq(&ctrl->lock);
	aqa = ctrl->aqa;
	asq = ctrl->asq;
	acq = ctrl->acq;
	spin_unlock_irq(&ctrl->lock);

	why = "unsupported configuration";
	if ((cc & ZOC_NVME_CC_CONFIG) == ZOC_NVME_CC_WANTED)
		why = zoc_nvme_admin_queues(ctrl, asq,
					    FIELD_GET(ZOC_NVME_AQA_ASQS, aqa) + 1,
					    acq,
					    FIELD_GET(ZOC_NVME_AQA_ACQS, aqa) + 1);
	if (why) {
		pr_warn_ratelimited("%s: cannot enable: %s (CC %#x, AQA %#x)\n",
				    ctrl->name, why, cc, aqa);
		zoc_nvme_stat(ctrl, ZOC_DEV_STAT_INVALID);
		zoc_nvme_set_csts(ctrl, NVME_CSTS_CFS);
		return;
	}
	spin_lock_irq(&ctrl->lock);
	/* A reset written meanwhile is the next thing the work does. */
	ctrl->ready = !ctrl->reset_pending;
	spin_unlock_irq(&ctrl->lock);
	ctrl->enabled = true;
	zoc_nvme_set_csts(ctrl, NVME_CSTS_RDY);
}

/* CC.SHN: finish what runs, make the writes durable, report it done. */
static void zoc_nvme_shutdown(struct zoc_nvme_ctrl *ctrl)
{
	blk_status_t status;

	zoc_nvme_set_csts(ctrl, NVME_CSTS_RDY | NVME_CSTS_SHST_OCCUR);
	zoc_nvme_quiesce(ctrl);
	status = zoc_nvme_flush_backend(ctrl);
	if (status)
		pr_warn_ratelimited("%s: flush at shutdown failed: %d\n",
				    ctrl->name, blk_status_to_errno(status));
	ctrl->shut_down = true;
	zoc_nvme_set_csts(ctrl, NVME_CSTS_RDY | NVME_CSTS_SHST_CMPLT);
}

/* The control work: act on register changes, then serve the admin queue. */
static void zoc_nvme_ctrl_work(struct work_struct *work)
{
	struct zoc_nvme_ctrl *ctrl = container_of(work, struct zoc_nvme_ctrl,
						  work);
	bool reset;
	u32 cc;

	spin_lock_irq(&ctrl->lock);
	if (ctrl->dying) {
		spin_unlock_irq(&ctrl->lock);
		return;
	}
	cc = ctrl->cc;
	reset = ctrl->reset_pending;
	ctrl->reset_pending = false;
	spin_unlock_irq(&ctrl->lock);

	if (reset || (!(cc & NVME_CC_ENABLE) && ctrl->csts))
		zoc_nvme_reset(ctrl);
	if ((cc & NVME_CC_ENABLE) && !ctrl->enabled &&
	    !(ctrl->csts & NVME_CSTS_CFS))
		zoc_nvme_enable(ctrl, cc);
	if (ctrl->enabled && (cc & NVME_CC_SHN_MASK) && !ctrl->shut_down)
		zoc_nvme_shutdown(ctrl);
	if (ctrl->enabled && !ctrl->shut_down)
		zoc_nvme_admin_pass(ctrl);
}

/* A 32-bit register; lock held. */
static u32 zoc_nvme_reg_read(struct zoc_nvme_ctrl *ctrl, u64 offset)
{
	switch (offset) {
	case NVME_REG_CAP:
		return lower_32_bits(ZOC_NVME_CAP);
	case NVME_REG_CAP + 4:
		return upper_32_bits(ZOC_NVME_CAP);
	case NVME_REG_VS:
		return ZOC_NVME_VS;
	case NVME_REG_CC:
		return ctrl->cc;
	case NVME_REG_CSTS:
		return ctrl->csts;
	case NVME_REG_AQA:
		return ctrl->aqa;
	case NVME_REG_ASQ:
		return lower_32_bits(ctrl->asq);
	case NVME_REG_ASQ + 4:
		return upper_32_bits(ctrl->asq);
	case NVME_REG_ACQ:
		return lower_32_bits(ctrl->acq);
	case NVME_REG_ACQ + 4:
		return upper_32_bits(ctrl->acq);
	default:
		/* INTMS, INTMC (MSI-X only), NSSR, CMBLOC, CMBSZ (no CMB) */
		return 0;
	}
}

static void zoc_nvme_set_lo(u64 *reg, u32 val)
{
	*reg = (*reg & ~0xffffffffULL) | val;
}

static void zoc_nvme_set_hi(u64 *reg, u32 val)
{
	*reg = lower_32_bits(*reg) | (u64)val << 32;
}

/* A 32-bit register; lock held.  The control work does the work. */
static void zoc_nvme_reg_write(struct zoc_nvme_ctrl *ctrl, u64 offset,
			       u32 val)
{
	switch (offset) {
	case NVME_REG_CC:
		if ((ctrl->cc & NVME_CC_ENABLE) && !(val & NVME_CC_ENABLE)) {
			ctrl->reset_pending = true;
			ctrl->ready = false;
		}
		ctrl->cc = val;
		if (!ctrl->dying)
			queue_work(ctrl->wq, &ctrl->work);
		break;
	case NVME_REG_AQA:
		ctrl->aqa = val;
		break;
	case NVME_REG_ASQ:
		zoc_nvme_set_lo(&ctrl->asq, val);
		break;
	case NVME_REG_ASQ + 4:
		zoc_nvme_set_hi(&ctrl->asq, val);
		break;
	case NVME_REG_ACQ:
		zoc_nvme_set_lo(&ctrl->acq, val);
		break;
	case NVME_REG_ACQ + 4:
		zoc_nvme_set_hi(&ctrl->acq, val);
		break;
	default:
		/* Read-only or reserved: NSSR (no subsystem reset), CSTS... */
		break;
	}
}

/* Registers are 32 bits wide; 64-bit ones may be accessed at once. */
static bool zoc_nvme_access_ok(struct zoc_nvme_ctrl *ctrl, u64 offset,
			       unsigned int size)
{
	if ((size == 4 || size == 8) && !(offset % size))
		return true;
	zoc_nvme_stat(ctrl, ZOC_DEV_STAT_INVALID);
	return false;
}

static u64 zoc_nvme_mmio_read(struct zoc_pdev *pdev, u64 offset,
			      unsigned int size)
{
	struct zoc_nvme_ctrl *ctrl = pdev->priv;
	unsigned long flags;
	u64 val;

	if (!zoc_nvme_access_ok(ctrl, offset, size))
		return 0;
	spin_lock_irqsave(&ctrl->lock, flags);
	val = zoc_nvme_reg_read(ctrl, offset);
	if (size == 8)
		val |= (u64)zoc_nvme_reg_read(ctrl, offset + 4) << 32;
	spin_unlock_irqrestore(&ctrl->lock, flags);
	return val;
}

static void zoc_nvme_mmio_write(struct zoc_pdev *pdev, u64 offset,
				unsigned int size, u64 value)
{
	struct zoc_nvme_ctrl *ctrl = pdev->priv;
	unsigned long flags;

	if (!zoc_nvme_access_ok(ctrl, offset, size))
		return;
	spin_lock_irqsave(&ctrl->lock, flags);
	zoc_nvme_reg_write(ctrl, offset, lower_32_bits(value));
	if (size == 8)
		zoc_nvme_reg_write(ctrl, offset + 4, upper_32_bits(value));
	zoc_nvme_record(ctrl);
	spin_unlock_irqrestore(&ctrl->lock, flags);
}

/* What doorbell @index = @value means; ctrl->lock held.  An event or 0. */
static u32 zoc_nvme_db_write(struct zoc_nvme_ctrl *ctrl, unsigned int index,
			     u32 value)
{
	unsigned int qid = index / 2;

	if (qid > ctrl->nr_io_queues)
		return ZOC_NVME_AEN_DB_REG;
	if (index % 2)
		return zoc_nvme_cq_doorbell(ctrl->cq[qid], value);
	return zoc_nvme_sq_doorbell(ctrl->sq[qid], value);
}

static void zoc_nvme_doorbell(struct zoc_pdev *pdev, unsigned int index,
			      u32 value)
{
	struct zoc_nvme_ctrl *ctrl = pdev->priv;
	unsigned long flags;
	u32 event;

	spin_lock_irqsave(&ctrl->lock, flags);
	if (!ctrl->ready) {
		/* Disabled, resetting or shut down: nothing to ring. */
		zoc_nvme_stat(ctrl, ZOC_DEV_STAT_INVALID);
	} else {
		event = zoc_nvme_db_write(ctrl, index, value);
		if (event)
			zoc_nvme_event(ctrl, event);
	}
	spin_unlock_irqrestore(&ctrl->lock, flags);
}

/* --- the model ----------------------------------------------------------- */

static void zoc_nvme_region(struct zoc_dev_image *img, u32 offset, u32 size,
			    u8 policy, u32 shadow)
{
	struct zoc_dev_region *r = &img->region[img->nr_regions++];

	r->offset = cpu_to_le32(offset);
	r->size = cpu_to_le32(size);
	r->policy = policy;
	r->shadow = cpu_to_le32(shadow);
}

static void zoc_nvme_image(struct zoc_nvme_ctrl *ctrl,
			   struct zoc_dev_image *img)
{
	unsigned int queues = ctrl->nr_io_queues + 1;

	img->type = ZOC_DEV_NVME;
	img->bar_shift = ZOC_NVME_BAR_SHIFT;
	img->vendor = cpu_to_le16(zoc_nvme_vendor);
	img->device = cpu_to_le16(zoc_nvme_device);
	img->subsystem_vendor = cpu_to_le16(zoc_nvme_vendor);
	img->subsystem_device = cpu_to_le16(zoc_nvme_device);
	img->class = cpu_to_le32(ZOC_NVME_CLASS << 8);
	/* One vector per queue pair, admin included. */
	img->msix_vectors = cpu_to_le16(queues);
	img->msix_table = cpu_to_le32(ZOC_NVME_MSIX_TABLE);
	img->msix_pba = cpu_to_le32(ZOC_NVME_MSIX_PBA);
	zoc_nvme_region(img, NVME_REG_CAP, NVME_REG_INTMS - NVME_REG_CAP,
			ZOC_REGION_SHADOW, ZOC_NVME_SHADOW_CAP);
	zoc_nvme_region(img, NVME_REG_CSTS, sizeof(u32), ZOC_REGION_SHADOW,
			ZOC_NVME_SHADOW_CSTS);
	/* SQ y tail is doorbell 2y, CQ y head doorbell 2y + 1. */
	zoc_nvme_region(img, NVME_REG_DBS, queues * 2 * sizeof(u32),
			ZOC_REGION_DOORBELL, 0);
}

/*
 * The controller's parts that need no host: its namespaces, pool and
 * works; its queues are stopped.
 */
static void zoc_nvme_free(struct zoc_nvme_ctrl *ctrl)
{
	zoc_nvme_ns_close_all(ctrl);
	destroy_workqueue(ctrl->wq);
	mempool_destroy(ctrl->dsm_pool);
	kfree(ctrl->record);
	kfree(ctrl);
}

/*
 * A controller for @params, as it is after power on, or as it was saved
 * in @state (@len bytes) by a model that let go of it, or, with @track,
 * recorded by a model that died; the device page shows it from then on.
 */
static int zoc_nvme_new(struct zoc_pdev *pdev,
			const struct zoc_proxy_params *params,
			const void *state, size_t len, const void *track)
{
	unsigned int queues = params->queues ?: ZOC_NVME_DEF_QUEUES;
	size_t n = strnlen(params->name, sizeof(params->name));
	__le64 cap = cpu_to_le64(ZOC_NVME_CAP);
	__le32 vs = cpu_to_le32(ZOC_NVME_VS);
	struct zoc_nvme_ctrl *ctrl;
	size_t i;
	int ret;

	/* The name makes the NQN: printable ASCII. */
	if (!n || n == sizeof(params->name) || queues > ZOC_NVME_MAX_QUEUES)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!isgraph(params->name[i]))
			return -EINVAL;
	}

	ctrl = kzalloc(sizeof(*ctrl), GFP_KERNEL);
	if (!ctrl)
		return -ENOMEM;
	ctrl->pdev = pdev;
	memcpy(ctrl->name, params->name, n);
	ctrl->nr_io_queues = queues;
	ctrl->shadow_db = !(params->flags & ZOC_DEV_F_NO_SHADOW_DB);
	INIT_WORK(&ctrl->work, zoc_nvme_ctrl_work);
	spin_lock_init(&ctrl->lock);
	ctrl->feat = zoc_nvme_default_features;

	/*
	 * Its identity is the volume's it was made of, whatever namespaces
	 * it has now; so is its first namespace.  A saved state has both
	 * (restored below).
	 */
	if (!state) {
		ret = zoc_nvme_ns_add(ctrl, ZOC_NVME_NSID, params->backend,
				      &ctrl->ident);
		if (ret)
			goto out_free_ctrl;
	}

	ctrl->dsm_pool = zoc_nvme_dsm_pool_create();
	if (!ctrl->dsm_pool) {
		ret = -ENOMEM;
		goto out_close_backend;
	}

	/* Per-CPU: each queue's work runs where the proxy's spread says. */
	ctrl->wq = alloc_workqueue("zoc-nvme-%s",
				   WQ_HIGHPRI | WQ_CPU_INTENSIVE, 0,
				   ctrl->name);
	ctrl->record = zoc_nvme_record_alloc();
	if (!ctrl->wq || !ctrl->record) {
		ret = -ENOMEM;
		goto out_destroy_wq;
	}
	zoc_nvme_track_init(ctrl, !state);

	if (state) {
		ret = zoc_nvme_restore(ctrl, state, len, track,
				       params->backend);
		if (ret < 0) {
			zoc_nvme_free(ctrl);
			return ret;
		}
	} else {
		spin_lock_irq(&ctrl->lock);
		ctrl->recording = true;
		spin_unlock_irq(&ctrl->lock);
	}

	zoc_nvme_image(ctrl, &pdev->image);
	pdev->priv = ctrl;
	zoc_proxy_shadow_write(pdev, ZOC_NVME_SHADOW_CAP, &cap, sizeof(cap));
	zoc_proxy_shadow_write(pdev, ZOC_NVME_SHADOW_CAP + NVME_REG_VS, &vs,
			       sizeof(vs));
	/* A taken-over controller's status is the one the host saw. */
	zoc_nvme_set_csts(ctrl, ctrl->csts);
	pr_info("%s: on %s, %u I/O queues%s\n", ctrl->name, params->backend,
		queues, state ? ", taken over" : "");
	return 0;

out_destroy_wq:
	kfree(ctrl->record);
	if (ctrl->wq)
		destroy_workqueue(ctrl->wq);
	mempool_destroy(ctrl->dsm_pool);
out_close_backend:
	zoc_nvme_ns_close_all(ctrl);
out_free_ctrl:
	kfree(ctrl);
	return ret;
}

static int zoc_nvme_create(struct zoc_pdev *pdev,
			   const struct zoc_proxy_params *params)
{
	return zoc_nvme_new(pdev, params, NULL, 0, NULL);
}

static int zoc_nvme_attach(struct zoc_pdev *pdev,
			   const struct zoc_proxy_params *params,
			   const void *state, size_t len)
{
	return zoc_nvme_new(pdev, params, state, len, NULL);
}

static int zoc_nvme_recover(struct zoc_pdev *pdev,
			    const struct zoc_proxy_params *params,
			    const void *state, size_t len, const void *track)
{
	return zoc_nvme_new(pdev, params, state, len, track);
}

/* Stop the works and the queues; what runs in the backend completes. */
static void zoc_nvme_stop(struct zoc_nvme_ctrl *ctrl)
{
	spin_lock_irq(&ctrl->lock);
	ctrl->dying = true;
	ctrl->ready = false;
	spin_unlock_irq(&ctrl->lock);
	cancel_work_sync(&ctrl->work);
	zoc_nvme_quiesce(ctrl);
	cancel_work_sync(&ctrl->track_work);
	zoc_nvme_free_queues(ctrl);
}

static void zoc_nvme_destroy(struct zoc_pdev *pdev)
{
	struct zoc_nvme_ctrl *ctrl = pdev->priv;

	zoc_nvme_stop(ctrl);
	zoc_nvme_free(ctrl);
}

/*
 * Let go of the controller: what runs completes, the rest is saved
 * (saved.c); then it goes as in destroy, without a word to the host.
 */
static int zoc_nvme_detach(struct zoc_pdev *pdev, void *state, size_t len)
{
	struct zoc_nvme_ctrl *ctrl = pdev->priv;
	int ret;

	ret = zoc_nvme_save(ctrl, state, len);
	zoc_nvme_stop(ctrl);
	zoc_nvme_free(ctrl);
	return ret;
}

struct zoc_proxy_model zoc_nvme_model = {
	.type = ZOC_DEV_NVME,
	.name = "nvme",
	.owner = THIS_MODULE,
	.create = zoc_nvme_create,
	.destroy = zoc_nvme_destroy,
	.detach = zoc_nvme_detach,
	.attach = zoc_nvme_attach,
	.recover = zoc_nvme_recover,
	.resume = zoc_nvme_resume,
	.mmio_read = zoc_nvme_mmio_read,
	.mmio_write = zoc_nvme_mmio_write,
	.doorbell = zoc_nvme_doorbell,
	.ns_attach = zoc_nvme_ns_attach,
	.ns_detach = zoc_nvme_ns_detach,
};
