// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC NVMe controller model: the admin command set.  Identify, Get and
 * Set Features, Get Log Page, Create and Delete I/O Submission and
 * Completion Queue, Abort, Asynchronous Event Request and Doorbell Buffer
 * Config.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/err.h>
#include <linux/irq_work.h>
#include <linux/mm.h>
#include <linux/nvme.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/unaligned.h>
#include <linux/zoc_link.h>

#include "../../zoc_proxy.h"
#include "../../zoc_volume.h"
#include "nvme.h"

/* --- admin commands ------------------------------------------------------ */

/* An Identify string: ASCII padded with spaces, not terminated. */
static void zoc_nvme_pad(char *dst, size_t size, const char *src)
{
	memset(dst, ' ', size);
	memcpy(dst, src, min(strlen(src), size));
}

static void zoc_nvme_id_ctrl(struct zoc_nvme_ctrl *ctrl,
			     struct nvme_id_ctrl *id)
{
	const struct zoc_volume_info *vol = &ctrl->ident;

	id->vid = cpu_to_le16(zoc_nvme_vendor);
	id->ssvid = cpu_to_le16(zoc_nvme_vendor);
	/* The volume's identity, whatever the device's name. */
	zoc_nvme_pad(id->sn, sizeof(id->sn), vol->serial);
	zoc_nvme_pad(id->mn, sizeof(id->mn), vol->model[0] ? vol->model :
					     ZOC_NVME_MN);
	zoc_nvme_pad(id->fr, sizeof(id->fr), ZOC_NVME_FR);
	id->mdts = ZOC_NVME_MDTS;
	id->cntlid = cpu_to_le16(1);
	id->ver = cpu_to_le32(ZOC_NVME_VS);
	id->cntrltype = NVME_CTRL_IO;
	id->oacs = cpu_to_le16(ctrl->shadow_db ? NVME_CTRL_OACS_DBBUF_SUPP : 0);
	id->acl = ZOC_NVME_ACL;
	id->aerl = ZOC_NVME_AERL;
	id->frmw = ZOC_NVME_FRMW;
	id->wctemp = cpu_to_le16(ZOC_NVME_WCTEMP);
	id->cctemp = cpu_to_le16(ZOC_NVME_CCTEMP);
	id->sqes = NVME_NVM_IOSQES << 4 | NVME_NVM_IOSQES;
	id->cqes = NVME_NVM_IOCQES << 4 | NVME_NVM_IOCQES;
	id->nn = cpu_to_le32(ZOC_NVME_MAX_NS);
	/* Namespaces come and go: Namespace Attribute Notices */
	id->oaes = cpu_to_le32(NVME_AEN_CFG_NS_ATTR);
	id->oncs = cpu_to_le16(NVME_CTRL_ONCS_DSM |
			       NVME_CTRL_ONCS_WRITE_ZEROES);
	/* A Flush names one namespace: no broadcast (VWC bits 2:1 10b) */
	id->vwc = NVME_CTRL_VWC_PRESENT | ZOC_NVME_VWC_NO_FLUSH_ALL;
	snprintf(id->subnqn, sizeof(id->subnqn), ZOC_NVME_NQN "%s", ctrl->name);
	id->psd[0].max_power = cpu_to_le16(ZOC_NVME_POWER);
}

static u16 zoc_nvme_identify(struct zoc_nvme_ctrl *ctrl,
			     struct zoc_nvme_cmd *cmd)
{
	struct nvme_identify *id = &cmd->sqe.identify;
	u32 nsid = le32_to_cpu(id->nsid);
	u16 status;
	void *buf;

	buf = kzalloc(NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);
	if (!buf)
		return NVME_SC_INTERNAL;
	switch (id->cns) {
	case NVME_ID_CNS_NS:
	case NVME_ID_CNS_NS_ACTIVE_LIST:
	case NVME_ID_CNS_NS_DESC_LIST:
		status = zoc_nvme_ns_identify(ctrl, id->cns, nsid, buf);
		break;
	case NVME_ID_CNS_CTRL:
		zoc_nvme_id_ctrl(ctrl, buf);
		status = NVME_SC_SUCCESS;
		break;
	case NVME_ID_CNS_CS_CTRL:
		/* NVM command set controller data: no limits of its own */
		status = id->csi == NVME_CSI_NVM ? NVME_SC_SUCCESS :
			 NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
		break;
	default:
		status = NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
		break;
	}
	if (!status)
		status = zoc_nvme_xfer(cmd, buf, NVME_IDENTIFY_DATA_SIZE, true);
	kfree(buf);
	return status;
}

/* Temperature Threshold: the composite sensor's over and under limits. */
static u16 zoc_nvme_feat_temp(struct zoc_nvme_ctrl *ctrl,
			      struct zoc_nvme_cmd *cmd, bool set, u32 val)
{
	u32 sensor = (val >> NVME_TEMP_THRESH_SELECT_SHIFT) & 0xf;
	bool under = val & NVME_TEMP_THRESH_TYPE_UNDER;
	u16 *thresh;

	/* THSEL 2 and 3 are reserved; sensor 0xf means all, for Set only. */
	if (val & (NVME_TEMP_THRESH_TYPE_UNDER << 1) ||
	    (sensor && !(set && sensor == 0xf)))
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	thresh = under ? &ctrl->feat.temp_under : &ctrl->feat.temp_over;
	if (set)
		*thresh = val & NVME_TEMP_THRESH_MASK;
	cmd->result = *thresh;
	return NVME_SC_SUCCESS;
}

static u16 zoc_nvme_features(struct zoc_nvme_ctrl *ctrl,
			     struct zoc_nvme_cmd *cmd, bool set)
{
	u32 cdw10 = le32_to_cpu(cmd->sqe.features.fid);
	u32 val = le32_to_cpu(cmd->sqe.features.dword11);
	struct zoc_nvme_features *f = &ctrl->feat;
	u32 nq = ctrl->nr_io_queues - 1;

	if (set && (cdw10 & ZOC_NVME_FEAT_SAVE))
		return NVME_SC_FEATURE_NOT_SAVEABLE | NVME_STATUS_DNR;
	switch (cdw10 & 0xff) {
	case NVME_FEAT_ARBITRATION:
		if (set)
			f->arbitration = val;
		cmd->result = f->arbitration;
		break;
	case NVME_FEAT_POWER_MGMT:
		/* One power state, 0. */
		if (set && (val & 0x1f))
			return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
		if (set)
			f->power_mgmt = val & 0xff;
		cmd->result = f->power_mgmt;
		break;
	case NVME_FEAT_TEMP_THRESH:
		return zoc_nvme_feat_temp(ctrl, cmd, set, val);
	case NVME_FEAT_VOLATILE_WC:
		if (set)
			WRITE_ONCE(f->wce, val & 1);
		cmd->result = f->wce;
		break;
	case NVME_FEAT_NUM_QUEUES:
		/* All the queues are always allocated; 0xffff is reserved. */
		if (set && ((val & 0xffff) == 0xffff || val >> 16 == 0xffff))
			return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
		cmd->result = nq << 16 | nq;
		break;
	case NVME_FEAT_IRQ_COALESCE:
		if (set)
			f->irq_coalesce = val & 0xffff;
		cmd->result = f->irq_coalesce;
		break;
	case NVME_FEAT_WRITE_ATOMIC:
		if (set)
			f->write_atomic = val & 1;
		cmd->result = f->write_atomic;
		break;
	case NVME_FEAT_ASYNC_EVENT:
		/* ns.c reads it under the controller's lock */
		if (set)
			WRITE_ONCE(f->async_event, val);
		cmd->result = f->async_event;
		break;
	default:
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	}
	return NVME_SC_SUCCESS;
}

/* SMART data units: thousands of 512-byte units, rounded up. */
static u64 zoc_nvme_data_units(atomic64_t *bytes)
{
	return DIV_ROUND_UP_ULL(atomic64_read(bytes) >> SECTOR_SHIFT, 1000);
}

static void zoc_nvme_log_smart(struct zoc_nvme_ctrl *ctrl,
			       struct nvme_smart_log *log)
{
	put_unaligned_le16(ZOC_NVME_TEMP, log->temperature);
	log->avail_spare = 100;
	log->spare_thresh = 10;
	put_unaligned_le64(zoc_nvme_data_units(&ctrl->data_read),
			   log->data_units_read);
	put_unaligned_le64(zoc_nvme_data_units(&ctrl->data_written),
			   log->data_units_written);
	put_unaligned_le64(atomic64_read(&ctrl->host_reads), log->host_reads);
	put_unaligned_le64(atomic64_read(&ctrl->host_writes),
			   log->host_writes);
}

/*
 * Get Log Page: error information (always empty: invalid doorbells are
 * only reported as events), SMART / health, firmware slots, the Changed
 * Namespace List (cleared once read without Retain Asynchronous Event).
 * NUMD and the offset select a part; what lies past the log reads as
 * zeros.
 */
static u16 zoc_nvme_get_log(struct zoc_nvme_ctrl *ctrl,
			    struct zoc_nvme_cmd *cmd)
{
	struct nvme_get_log_page_command *glp = &cmd->sqe.get_log_page;
	u32 numd = (u32)le16_to_cpu(glp->numdu) << 16 | le16_to_cpu(glp->numdl);
	u32 nsid = le32_to_cpu(glp->nsid);
	u64 offset = le64_to_cpu(glp->lpo);
	u64 len = ((u64)numd + 1) * 4;
	union {
		struct nvme_error_slot error;
		struct nvme_smart_log smart;
		struct nvme_fw_slot_info_log fw;
		__le32 changed_ns[NVME_MAX_CHANGED_NAMESPACES];
	} *log;
	DECLARE_BITMAP(listed, ZOC_NVME_MAX_NS);
	size_t size;
	void *buf;
	u16 status;

	if (len > ZOC_NVME_MAX_XFER || offset % 4)
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	log = kzalloc(sizeof(*log), GFP_KERNEL);
	if (!log)
		return NVME_SC_INTERNAL;
	switch (glp->lid) {
	case NVME_LOG_ERROR:
		size = sizeof(log->error);
		break;
	case NVME_LOG_SMART:
		/* For the controller as a whole only. */
		size = sizeof(log->smart);
		if (nsid && nsid != NVME_NSID_ALL) {
			status = NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
			goto out_free_log;
		}
		zoc_nvme_log_smart(ctrl, &log->smart);
		break;
	case NVME_LOG_CHANGED_NS:
		size = zoc_nvme_ns_changed_log(ctrl, log->changed_ns, listed);
		break;
	case NVME_LOG_FW_SLOT:
		size = sizeof(log->fw);
		log->fw.afi = 1;
		zoc_nvme_pad((char *)&log->fw.frs[0], sizeof(log->fw.frs[0]),
			     ZOC_NVME_FR);
		break;
	default:
		status = NVME_SC_INVALID_LOG_PAGE | NVME_STATUS_DNR;
		goto out_free_log;
	}
	if (offset >= size) {
		status = NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
		goto out_free_log;
	}
	buf = kvzalloc(len, GFP_KERNEL);
	if (!buf) {
		status = NVME_SC_INTERNAL;
		goto out_free_log;
	}
	memcpy(buf, (void *)log + offset, min_t(u64, len, size - offset));
	status = zoc_nvme_xfer(cmd, buf, len, true);
	kvfree(buf);
	/* What the host could not read is still to tell it. */
	if (status == NVME_SC_SUCCESS && !(glp->lsp & ZOC_NVME_LOG_RAE)) {
		if (glp->lid == NVME_LOG_ERROR) {
			spin_lock_irq(&ctrl->lock);
			ctrl->aen_masked = false;
			spin_unlock_irq(&ctrl->lock);
		} else if (glp->lid == NVME_LOG_CHANGED_NS) {
			zoc_nvme_ns_changed_clear(ctrl, listed);
		}
	}
out_free_log:
	kfree(log);
	return status;
}

/**
 * zoc_nvme_cq_add - set up an I/O completion queue the host described
 * @ctrl: the controller, which has no CQ @qid
 * @qid: its identifier, 1 to the controller's I/O queues
 * @addr: its base address in host memory
 * @size: its entries
 * @vector: its MSI-X vector
 * @ien: interrupts enabled
 *
 * Create I/O Completion Queue, and a saved state's queue (saved.c).
 *
 * Return: an NVMe status.
 */
u16 zoc_nvme_cq_add(struct zoc_nvme_ctrl *ctrl, u16 qid, u64 addr, u32 size,
		    u16 vector, bool ien)
{
	struct zoc_nvme_cq *cq;

	if (!zoc_nvme_qsize_ok(size))
		return NVME_SC_QUEUE_SIZE | NVME_STATUS_DNR;
	if (vector > ctrl->nr_io_queues)
		return NVME_SC_INVALID_VECTOR | NVME_STATUS_DNR;
	if (!IS_ALIGNED(addr, ZOC_NVME_PAGE_SIZE))
		return NVME_SC_PRP_INVALID_OFFSET | NVME_STATUS_DNR;
	cq = zoc_nvme_cq_alloc(ctrl, qid, addr, size, vector, ien);
	if (IS_ERR(cq))
		return PTR_ERR(cq) == -EFAULT ?
		       NVME_SC_INVALID_FIELD | NVME_STATUS_DNR :
		       NVME_SC_INTERNAL;
	zoc_nvme_track_queue(ctrl, qid, false);
	spin_lock_irq(&ctrl->lock);
	ctrl->cq[qid] = cq;
	spin_unlock_irq(&ctrl->lock);
	return NVME_SC_SUCCESS;
}

static u16 zoc_nvme_create_cq(struct zoc_nvme_ctrl *ctrl,
			      struct zoc_nvme_cmd *cmd)
{
	struct nvme_create_cq *c = &cmd->sqe.create_cq;
	u16 qid = le16_to_cpu(c->cqid);
	u16 flags = le16_to_cpu(c->cq_flags);

	if (!qid || qid > ctrl->nr_io_queues || ctrl->cq[qid])
		return NVME_SC_QID_INVALID | NVME_STATUS_DNR;
	if (!(flags & NVME_QUEUE_PHYS_CONTIG))
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	return zoc_nvme_cq_add(ctrl, qid, le64_to_cpu(c->prp1),
			       le16_to_cpu(c->qsize) + 1,
			       le16_to_cpu(c->irq_vector),
			       flags & NVME_CQ_IRQ_ENABLED);
}

/**
 * zoc_nvme_sq_add - set up an I/O submission queue the host described
 * @ctrl: the controller, which has no SQ @qid
 * @qid: its identifier, 1 to the controller's I/O queues
 * @cqid: the completion queue it posts to
 * @addr: its base address in host memory
 * @size: its entries
 *
 * Create I/O Submission Queue, and a saved state's queue (saved.c).
 *
 * Return: an NVMe status.
 */
u16 zoc_nvme_sq_add(struct zoc_nvme_ctrl *ctrl, u16 qid, u16 cqid, u64 addr,
		    u32 size)
{
	struct zoc_nvme_cq *cq;
	struct zoc_nvme_sq *sq;

	if (!cqid || cqid > ctrl->nr_io_queues || !ctrl->cq[cqid])
		return NVME_SC_CQ_INVALID | NVME_STATUS_DNR;
	cq = ctrl->cq[cqid];
	if (!zoc_nvme_qsize_ok(size))
		return NVME_SC_QUEUE_SIZE | NVME_STATUS_DNR;
	if (!IS_ALIGNED(addr, ZOC_NVME_PAGE_SIZE))
		return NVME_SC_PRP_INVALID_OFFSET | NVME_STATUS_DNR;
	sq = zoc_nvme_sq_alloc(ctrl, qid, addr, size, cq);
	if (IS_ERR(sq))
		return PTR_ERR(sq) == -EFAULT ?
		       NVME_SC_INVALID_FIELD | NVME_STATUS_DNR :
		       NVME_SC_INTERNAL;
	cq->sqs++;
	zoc_nvme_track_queue(ctrl, qid, true);
	spin_lock_irq(&ctrl->lock);
	ctrl->sq[qid] = sq;
	spin_unlock_irq(&ctrl->lock);
	return NVME_SC_SUCCESS;
}

static u16 zoc_nvme_create_sq(struct zoc_nvme_ctrl *ctrl,
			      struct zoc_nvme_cmd *cmd)
{
	struct nvme_create_sq *c = &cmd->sqe.create_sq;
	u16 qid = le16_to_cpu(c->sqid);

	if (!qid || qid > ctrl->nr_io_queues || ctrl->sq[qid])
		return NVME_SC_QID_INVALID | NVME_STATUS_DNR;
	if (!(le16_to_cpu(c->sq_flags) & NVME_QUEUE_PHYS_CONTIG))
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	return zoc_nvme_sq_add(ctrl, qid, le16_to_cpu(c->cqid),
			       le64_to_cpu(c->prp1),
			       le16_to_cpu(c->qsize) + 1);
}

/* The queue's commands still running complete before the deletion does. */
static u16 zoc_nvme_delete_sq(struct zoc_nvme_ctrl *ctrl,
			      struct zoc_nvme_cmd *cmd)
{
	u16 qid = le16_to_cpu(cmd->sqe.delete_queue.qid);
	struct zoc_nvme_sq *sq;

	if (!qid || qid > ctrl->nr_io_queues || !ctrl->sq[qid])
		return NVME_SC_QID_INVALID | NVME_STATUS_DNR;
	sq = ctrl->sq[qid];
	spin_lock_irq(&ctrl->lock);
	ctrl->sq[qid] = NULL;
	WRITE_ONCE(sq->stopped, true);
	spin_unlock_irq(&ctrl->lock);
	zoc_nvme_sq_drain(sq);
	sq->cq->sqs--;
	zoc_nvme_sq_free(sq);
	return NVME_SC_SUCCESS;
}

static u16 zoc_nvme_delete_cq(struct zoc_nvme_ctrl *ctrl,
			      struct zoc_nvme_cmd *cmd)
{
	u16 qid = le16_to_cpu(cmd->sqe.delete_queue.qid);
	struct zoc_nvme_cq *cq;

	if (!qid || qid > ctrl->nr_io_queues || !ctrl->cq[qid])
		return NVME_SC_QID_INVALID | NVME_STATUS_DNR;
	cq = ctrl->cq[qid];
	if (cq->sqs)
		return NVME_SC_INVALID_QUEUE | NVME_STATUS_DNR;
	spin_lock_irq(&ctrl->lock);
	ctrl->cq[qid] = NULL;
	spin_unlock_irq(&ctrl->lock);
	irq_work_sync(&cq->irq_work);
	kfree(cq);
	return NVME_SC_SUCCESS;
}

/*
 * An error event, from an invalid doorbell: complete an Asynchronous Event
 * Request with it, or keep it for the next one.  Once reported, error
 * events stay masked until the host reads the error log.
 */
void zoc_nvme_event(struct zoc_nvme_ctrl *ctrl, u32 event)
{
	struct zoc_nvme_cmd *cmd;

	lockdep_assert_held(&ctrl->lock);
	zoc_nvme_stat(ctrl, ZOC_DEV_STAT_INVALID);
	pr_warn_ratelimited("%s: invalid doorbell write (event %#x)\n",
			    ctrl->name, event);
	if (!ctrl->ready || ctrl->aen_masked)
		return;
	ctrl->aen_masked = true;
	if (!ctrl->nr_aers) {
		ctrl->aen_pending = event;
		zoc_nvme_record(ctrl);
		return;
	}
	zoc_nvme_record(ctrl);
	cmd = ctrl->aer[--ctrl->nr_aers];
	cmd->result = event;
	/* The admin CQ's lock nests inside ours. */
	zoc_nvme_complete(cmd);
}

/**
 * zoc_nvme_aen_flush - an event kept while requests are held: one of them
 *	takes it
 * @ctrl: the controller, lock held
 *
 * After a takeover: a model that died between a request's taking of an
 * event and the record of it leaves both the event and the request, held
 * again, to its successor.
 */
void zoc_nvme_aen_flush(struct zoc_nvme_ctrl *ctrl)
{
	struct zoc_nvme_cmd *cmd;
	u32 result;

	lockdep_assert_held(&ctrl->lock);
	if (!ctrl->nr_aers)
		return;
	if (ctrl->aen_pending) {
		result = ctrl->aen_pending;
		ctrl->aen_pending = 0;
	} else if (ctrl->ns_notice) {
		result = ZOC_NVME_AEN_NS_CHANGED;
		ctrl->ns_notice = false;
	} else {
		return;
	}
	zoc_nvme_record(ctrl);
	cmd = ctrl->aer[--ctrl->nr_aers];
	cmd->result = result;
	/* The admin CQ's lock nests inside ours. */
	zoc_nvme_complete(cmd);
}

/* Kept until an event comes, up to AERL + 1 of them. */
static u16 zoc_nvme_async_event(struct zoc_nvme_ctrl *ctrl,
				struct zoc_nvme_cmd *cmd)
{
	u16 status = ZOC_NVME_ASYNC;

	spin_lock_irq(&ctrl->lock);
	if (ctrl->aen_pending) {
		cmd->result = ctrl->aen_pending;
		ctrl->aen_pending = 0;
		status = NVME_SC_SUCCESS;
	} else if (ctrl->ns_notice) {
		cmd->result = ZOC_NVME_AEN_NS_CHANGED;
		ctrl->ns_notice = false;
		status = NVME_SC_SUCCESS;
	} else if (ctrl->nr_aers > ZOC_NVME_AERL) {
		status = NVME_SC_ASYNC_LIMIT | NVME_STATUS_DNR;
	} else {
		ctrl->aer[ctrl->nr_aers++] = cmd;
	}
	spin_unlock_irq(&ctrl->lock);
	return status;
}

/**
 * zoc_nvme_set_dbbuf - take the shadow doorbells and event indexes
 * @ctrl: the controller
 * @db_addr: the shadow doorbell page in host memory
 * @ei_addr: the event index page
 *
 * The I/O queues take their tails and heads from there from now on (once
 * they look again); the admin queue keeps its registers, as the Linux
 * driver does.  Doorbell Buffer Config, and a saved state (saved.c).
 *
 * Return: 0, or -EINVAL if the pages are unaligned or no host memory.
 */
int zoc_nvme_set_dbbuf(struct zoc_nvme_ctrl *ctrl, u64 db_addr, u64 ei_addr)
{
	size_t len = (ctrl->nr_io_queues + 1) * 2 * sizeof(__le32);
	__le32 *dbs, *eis;

	if (!IS_ALIGNED(db_addr, ZOC_NVME_PAGE_SIZE) ||
	    !IS_ALIGNED(ei_addr, ZOC_NVME_PAGE_SIZE))
		return -EINVAL;
	dbs = zoc_proxy_host_ptr(ctrl->pdev, db_addr, len);
	eis = zoc_proxy_host_ptr(ctrl->pdev, ei_addr, len);
	if (!dbs || !eis)
		return -EINVAL;
	ctrl->dbs_addr = db_addr;
	ctrl->eis_addr = ei_addr;
	WRITE_ONCE(ctrl->eis, eis);
	/* @eis before @dbs; pairs with zoc_nvme_shadow_db(). */
	smp_store_release(&ctrl->dbs, dbs);
	return 0;
}

/*
 * Doorbell Buffer Config: PRP1 is the shadow doorbell page, PRP2 the event
 * index page.
 */
static u16 zoc_nvme_dbbuf(struct zoc_nvme_ctrl *ctrl, struct zoc_nvme_cmd *cmd)
{
	unsigned int qid;

	if (zoc_nvme_set_dbbuf(ctrl, le64_to_cpu(cmd->sqe.dbbuf.prp1),
			       le64_to_cpu(cmd->sqe.dbbuf.prp2)))
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	/* The works look at the shadow tails from now on. */
	for (qid = 1; qid <= ctrl->nr_io_queues; qid++) {
		if (ctrl->sq[qid])
			zoc_nvme_sq_kick(ctrl->sq[qid]);
	}
	return NVME_SC_SUCCESS;
}

u16 zoc_nvme_admin_cmd(struct zoc_nvme_ctrl *ctrl,
		       struct zoc_nvme_cmd *cmd)
{
	if (cmd->sqe.common.flags)	/* fused operations, SGLs */
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	switch (cmd->sqe.common.opcode) {
	case nvme_admin_delete_sq:
		return zoc_nvme_delete_sq(ctrl, cmd);
	case nvme_admin_create_sq:
		return zoc_nvme_create_sq(ctrl, cmd);
	case nvme_admin_get_log_page:
		return zoc_nvme_get_log(ctrl, cmd);
	case nvme_admin_delete_cq:
		return zoc_nvme_delete_cq(ctrl, cmd);
	case nvme_admin_create_cq:
		return zoc_nvme_create_cq(ctrl, cmd);
	case nvme_admin_identify:
		return zoc_nvme_identify(ctrl, cmd);
	case nvme_admin_abort_cmd:
		/* Commands run to completion: "not aborted". */
		cmd->result = 1;
		return NVME_SC_SUCCESS;
	case nvme_admin_set_features:
		return zoc_nvme_features(ctrl, cmd, true);
	case nvme_admin_get_features:
		return zoc_nvme_features(ctrl, cmd, false);
	case nvme_admin_async_event:
		return zoc_nvme_async_event(ctrl, cmd);
	case nvme_admin_dbbuf:
		if (!ctrl->shadow_db)
			return NVME_SC_INVALID_OPCODE | NVME_STATUS_DNR;
		return zoc_nvme_dbbuf(ctrl, cmd);
	default:
		return NVME_SC_INVALID_OPCODE | NVME_STATUS_DNR;
	}
}
