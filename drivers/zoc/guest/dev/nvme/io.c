// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC NVMe controller model: the I/O command set.  Read, Write, Write
 * Zeroes, Dataset Management and Flush become requests to the block
 * backend, whose completions complete the commands.
 */

#include <linux/atomic.h>
#include <linux/blkdev.h>
#include <linux/mempool.h>
#include <linux/nvme.h>
#include <linux/zoc_link.h>

#include "../../zoc_blkback.h"
#include "../../zoc_proxy.h"
#include "nvme.h"

/**
 * struct zoc_nvme_range - one deallocated range of a Dataset Management
 * @breq: its discard
 * @cmd: the command
 */
struct zoc_nvme_range {
	struct zoc_blkback_req breq;
	struct zoc_nvme_cmd *cmd;
};

/* The ranges of a Dataset Management command: NR is 8 bits. */
#define ZOC_NVME_DSM_MAX_RANGES	256

/**
 * struct zoc_nvme_dsm - what a Dataset Management command needs
 * @r: the ranges, as copied from host memory
 * @ranges: the discards of those to deallocate
 */
struct zoc_nvme_dsm {
	struct nvme_dsm_range r[ZOC_NVME_DSM_MAX_RANGES];
	struct zoc_nvme_range ranges[ZOC_NVME_DSM_MAX_RANGES];
};

/*
 * The controller's pool of &struct zoc_nvme_dsm.  A queue's work takes one
 * for a command and has submitted its discards before it fetches another;
 * the command gives it back as soon as they are done, which needs no work.
 * So one in reserve lets every work go on, however short memory is.
 */
mempool_t *zoc_nvme_dsm_pool_create(void)
{
	return mempool_create_kmalloc_pool(1, sizeof(struct zoc_nvme_dsm));
}

static u16 zoc_nvme_blk_status(blk_status_t status, enum zoc_blkback_op op)
{
	if (status == BLK_STS_OK)
		return NVME_SC_SUCCESS;
	if (status == BLK_STS_TARGET)
		return NVME_SC_LBA_RANGE | NVME_STATUS_DNR;
	if (status == BLK_STS_NOSPC)
		return NVME_SC_CAP_EXCEEDED | NVME_STATUS_DNR;
	if (status == BLK_STS_NOTSUPP)
		return NVME_SC_INVALID_OPCODE | NVME_STATUS_DNR;
	if (status == BLK_STS_IOERR || status == BLK_STS_MEDIUM)
		return op == ZOC_BLKBACK_READ ? NVME_SC_READ_ERROR :
		       NVME_SC_WRITE_FAULT;
	/* Out of resources, timed out, transport down: worth a retry. */
	return NVME_SC_INTERNAL;
}

/* --- I/O commands -------------------------------------------------------- */

static u16 zoc_nvme_check_lba(struct zoc_nvme_cmd *cmd, u64 slba, u64 nlb)
{
	u64 nsze = cmd->ns->nsze;

	if (nlb > nsze || slba > nsze - nlb)
		return NVME_SC_LBA_RANGE | NVME_STATUS_DNR;
	return NVME_SC_SUCCESS;
}

/* The command is done with its namespace: it may be detached. */
static void zoc_nvme_ns_done(struct zoc_nvme_cmd *cmd)
{
	zoc_nvme_ns_put(cmd->ns);
	cmd->ns = NULL;
}

static void zoc_nvme_io_done(struct zoc_blkback_req *breq,
			     blk_status_t status)
{
	struct zoc_nvme_cmd *cmd = container_of(breq, struct zoc_nvme_cmd,
						breq);
	struct zoc_nvme_ctrl *ctrl = cmd->sq->ctrl;
	u32 bytes = breq->nr_sectors << SECTOR_SHIFT;

	/* Its stages: taken, in the backend, out (zoc_nvme_complete()) */
	if (cmd->taken && breq->started >= cmd->taken &&
	    breq->ended >= breq->started) {
		zoc_proxy_stat_add(ctrl->pdev, ZOC_DEV_STAT_PREP_NS,
				   breq->started - cmd->taken);
		zoc_proxy_stat_add(ctrl->pdev, ZOC_DEV_STAT_BACKEND_NS,
				   breq->ended - breq->started);
		cmd->ended = breq->ended;
	}
	zoc_nvme_ns_done(cmd);
	cmd->status = zoc_nvme_blk_status(status, breq->op);
	if (!status && breq->op == ZOC_BLKBACK_READ) {
		atomic64_add(bytes, &ctrl->data_read);
		atomic64_inc(&ctrl->host_reads);
		zoc_proxy_stat_add(ctrl->pdev, ZOC_DEV_STAT_READ_BYTES, bytes);
	} else if (!status && breq->op == ZOC_BLKBACK_WRITE) {
		atomic64_add(bytes, &ctrl->data_written);
		atomic64_inc(&ctrl->host_writes);
		zoc_proxy_stat_add(ctrl->pdev, ZOC_DEV_STAT_WRITE_BYTES, bytes);
	}
	zoc_nvme_complete(cmd);
}

static u16 zoc_nvme_submit(struct zoc_nvme_cmd *cmd, enum zoc_blkback_op op,
			   u64 slba, u32 nlb, unsigned int flags)
{
	struct zoc_blkback_req *breq = &cmd->breq;
	unsigned int shift = cmd->ns->lbads - SECTOR_SHIFT;

	breq->op = op;
	breq->flags = flags;
	breq->sector = slba << shift;
	breq->nr_sectors = (sector_t)nlb << shift;
	breq->segs = cmd->segs;
	breq->nr_segs = cmd->nr_segs;
	breq->done = zoc_nvme_io_done;
	zoc_blkback_submit(cmd->ns->bb, breq);
	return ZOC_NVME_ASYNC;
}

/* Writes that must be durable when they complete: FUA, or no cache. */
static unsigned int zoc_nvme_write_flags(struct zoc_nvme_ctrl *ctrl,
					 u16 control)
{
	if ((control & NVME_RW_FUA) || !READ_ONCE(ctrl->feat.wce))
		return ZOC_BLKBACK_F_FUA;
	return 0;
}

/* A namespace's flush; no broadcast to all (Identify's VWC says so). */
static u16 zoc_nvme_io_flush(struct zoc_nvme_cmd *cmd)
{
	return zoc_nvme_submit(cmd, ZOC_BLKBACK_FLUSH, 0, 0, 0);
}

static u16 zoc_nvme_io_rw(struct zoc_nvme_cmd *cmd)
{
	struct zoc_nvme_ctrl *ctrl = cmd->sq->ctrl;
	struct nvme_rw_command *rw = &cmd->sqe.rw;
	bool write = rw->opcode == nvme_cmd_write;
	u8 lbads = cmd->ns->lbads;
	u64 slba = le64_to_cpu(rw->slba);
	u32 nlb = le16_to_cpu(rw->length) + 1;
	u16 status;

	status = zoc_nvme_check_lba(cmd, slba, nlb);
	if (status)
		return status;
	if ((u64)nlb << lbads > ZOC_NVME_MAX_XFER)
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	status = zoc_nvme_prp_map(cmd, nlb << lbads);
	if (status)
		return status;
	if (!write)
		return zoc_nvme_submit(cmd, ZOC_BLKBACK_READ, slba, nlb, 0);
	return zoc_nvme_submit(cmd, ZOC_BLKBACK_WRITE, slba, nlb,
			       zoc_nvme_write_flags(ctrl,
						    le16_to_cpu(rw->control)));
}

static u16 zoc_nvme_io_write_zeroes(struct zoc_nvme_cmd *cmd)
{
	struct nvme_write_zeroes_cmd *wz = &cmd->sqe.write_zeroes;
	struct zoc_nvme_ctrl *ctrl = cmd->sq->ctrl;
	u64 slba = le64_to_cpu(wz->slba);
	u32 nlb = le16_to_cpu(wz->length) + 1;
	u16 control = le16_to_cpu(wz->control);
	unsigned int flags;
	u16 status;

	status = zoc_nvme_check_lba(cmd, slba, nlb);
	if (status)
		return status;
	flags = zoc_nvme_write_flags(ctrl, control);
	if (!(control & ZOC_NVME_WZ_DEAC))
		flags |= ZOC_BLKBACK_F_NOUNMAP;
	return zoc_nvme_submit(cmd, ZOC_BLKBACK_WRITE_ZEROES, slba, nlb, flags);
}

static void zoc_nvme_dsm_put(struct zoc_nvme_cmd *cmd)
{
	if (!atomic_dec_and_test(&cmd->pending))
		return;
	/* Its discards are done: the ranges go back for other commands. */
	zoc_nvme_ns_done(cmd);
	mempool_free(cmd->dsm, cmd->sq->ctrl->dsm_pool);
	cmd->dsm = NULL;
	cmd->status = zoc_nvme_blk_status(READ_ONCE(cmd->error),
					  ZOC_BLKBACK_DISCARD);
	zoc_nvme_complete(cmd);
}

static void zoc_nvme_dsm_done(struct zoc_blkback_req *breq,
			      blk_status_t status)
{
	struct zoc_nvme_range *range = container_of(breq,
						    struct zoc_nvme_range,
						    breq);

	if (status)
		WRITE_ONCE(range->cmd->error, status);
	zoc_nvme_dsm_put(range->cmd);
}

/* Dataset Management: deallocated ranges are discarded, hints ignored. */
static u16 zoc_nvme_io_dsm(struct zoc_nvme_cmd *cmd)
{
	struct zoc_nvme_ctrl *ctrl = cmd->sq->ctrl;
	struct zoc_blkback *bb = cmd->ns->bb;
	unsigned int shift = cmd->ns->lbads - SECTOR_SHIFT;
	u32 nr = (le32_to_cpu(cmd->sqe.dsm.nr) & 0xff) + 1;
	struct zoc_nvme_range *range;
	struct nvme_dsm_range *r;
	struct zoc_nvme_dsm *dsm;
	unsigned int i, n = 0;
	u16 status;

	BUILD_BUG_ON(ZOC_NVME_DSM_MAX_RANGES != 0xff + 1);
	if (!(le32_to_cpu(cmd->sqe.dsm.attributes) & NVME_DSMGMT_AD))
		return NVME_SC_SUCCESS;
	/* Waits for another command's ranges rather than fail: never NULL. */
	dsm = mempool_alloc(ctrl->dsm_pool, GFP_NOIO);
	cmd->dsm = dsm;
	r = dsm->r;
	status = zoc_nvme_xfer(cmd, r, nr * sizeof(*r), false);
	for (i = 0; i < nr && !status; i++)
		status = zoc_nvme_check_lba(cmd, le64_to_cpu(r[i].slba),
					    le32_to_cpu(r[i].nlb));
	if (status)
		goto out_free;

	cmd->error = BLK_STS_OK;
	atomic_set(&cmd->pending, 1);
	for (i = 0; i < nr; i++) {
		if (!r[i].nlb)
			continue;
		range = &dsm->ranges[n++];
		range->cmd = cmd;
		range->breq.op = ZOC_BLKBACK_DISCARD;
		range->breq.flags = 0;
		range->breq.sector = le64_to_cpu(r[i].slba) << shift;
		range->breq.nr_sectors = (sector_t)le32_to_cpu(r[i].nlb) <<
					 shift;
		range->breq.done = zoc_nvme_dsm_done;
		atomic_inc(&cmd->pending);
		zoc_blkback_submit(bb, &range->breq);
	}
	zoc_nvme_dsm_put(cmd);
	return ZOC_NVME_ASYNC;

out_free:
	mempool_free(dsm, ctrl->dsm_pool);
	cmd->dsm = NULL;
	return status;
}

static u16 zoc_nvme_io_ns_cmd(struct zoc_nvme_cmd *cmd)
{
	switch (cmd->sqe.common.opcode) {
	case nvme_cmd_flush:
		return zoc_nvme_io_flush(cmd);
	case nvme_cmd_write:
	case nvme_cmd_read:
		return zoc_nvme_io_rw(cmd);
	case nvme_cmd_write_zeroes:
		return zoc_nvme_io_write_zeroes(cmd);
	case nvme_cmd_dsm:
		return zoc_nvme_io_dsm(cmd);
	default:
		return NVME_SC_INVALID_OPCODE | NVME_STATUS_DNR;
	}
}

u16 zoc_nvme_io_cmd(struct zoc_nvme_cmd *cmd)
{
	struct nvme_common_command *c = &cmd->sqe.common;
	u16 status;

	if (c->flags)		/* fused operations, SGLs */
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	switch (c->opcode) {
	case nvme_cmd_flush:
	case nvme_cmd_write:
	case nvme_cmd_read:
	case nvme_cmd_write_zeroes:
	case nvme_cmd_dsm:
		break;
	default:
		return NVME_SC_INVALID_OPCODE | NVME_STATUS_DNR;
	}
	/* Held until the command completes: a detach waits for it. */
	cmd->ns = zoc_nvme_ns_get(cmd->sq->ctrl, le32_to_cpu(c->nsid));
	if (!cmd->ns)
		return NVME_SC_INVALID_NS | NVME_STATUS_DNR;
	status = zoc_nvme_io_ns_cmd(cmd);
	if (status != ZOC_NVME_ASYNC)
		zoc_nvme_ns_done(cmd);
	return status;
}
