// SPDX-License-Identifier: GPL-2.0
/*
 * The queues of zoc_nvme_hostile_test: ringing doorbells (with shadow
 * doorbells, as the Linux driver rings them), taking completions, and
 * waiting for a command's completion or for none.
 */

#include "nvme_hostile.h"

void __iomem *znh_db(struct znh_ctrl *ctrl, u16 qid, bool cq)
{
	/* CAP.DSTRD is 0: SQ y tail at 8y, CQ y head at 8y + 4 */
	return ctrl->bar + NVME_REG_DBS + (2 * qid + cq) * sizeof(u32);
}

/*
 * Ring @q's SQ tail or CQ head doorbell with @value.  With shadow
 * doorbells an I/O queue's shadow is written first, as the Linux driver
 * does; this test then always rings the register too (the event index
 * only spares a host the write), unless it holds CQ head doorbells back.
 */
static void znh_ring(struct znh_ctrl *ctrl, struct znh_queue *q, bool cq,
		     u16 value)
{
	if (ctrl->dbbuf && q->qid) {
		/* The queue's entries before the shadow that covers them. */
		wmb();
		WRITE_ONCE(ctrl->dbs[2 * q->qid + cq], cpu_to_le32(value));
		if (cq && ctrl->hold_cq_db)
			return;
	}
	/* writel() orders the entries (and shadow) before the doorbell. */
	writel(value, znh_db(ctrl, q->qid, cq));
}

/* Put @cmd on @q and ring; returns its command identifier. */
u16 znh_submit(struct znh_ctrl *ctrl, struct znh_queue *q,
	       struct nvme_command *cmd)
{
	u16 cid = ctrl->next_cid++;

	cmd->common.command_id = cid;
	q->sqes[q->sq_tail] = *cmd;
	if (++q->sq_tail == q->depth)
		q->sq_tail = 0;
	znh_ring(ctrl, q, false, q->sq_tail);
	return cid;
}

/*
 * Take the next completion of @q into @cqe, waiting until @deadline.
 * Return: 0, -ETIMEDOUT, or -ENODEV / -EIO (and @ctrl->abort says why)
 * if the function is gone or the controller reports a fatal status.
 */
int znh_reap(struct znh_ctrl *ctrl, struct znh_queue *q,
	     struct nvme_completion *cqe, unsigned long deadline)
{
	struct nvme_completion *next;
	u32 csts;

	for (;;) {
		next = &q->cqes[q->cq_head];
		if ((le16_to_cpu(READ_ONCE(next->status)) & 1) == q->cq_phase)
			break;
		csts = readl(ctrl->bar + NVME_REG_CSTS);
		if (csts == ~0U) {
			ctrl->abort = "the function is gone (CSTS reads all ones)";
			return -ENODEV;
		}
		if (csts & NVME_CSTS_CFS) {
			ctrl->abort = "the controller reports a fatal status (CSTS.CFS)";
			return -EIO;
		}
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(ZNH_POLL_US, 2 * ZNH_POLL_US);
	}
	/* The entry after its phase tag. */
	dma_rmb();
	*cqe = *next;
	if (++q->cq_head == q->depth) {
		q->cq_head = 0;
		q->cq_phase ^= 1;
	}
	znh_ring(ctrl, q, true, q->cq_head);
	return 0;
}

static void znh_unexpected(struct znh_ctrl *ctrl, const char *name,
			   const struct nvme_completion *cqe)
{
	znh_fail(ctrl, "%s: unexpected completion: cid %#x SQ %u status %#x",
		 name, cqe->command_id, le16_to_cpu(cqe->sq_id),
		 le16_to_cpu(cqe->status) >> 1);
}

/*
 * Wait for the completion of command @cid of @q, into @cqe.  Completions
 * of other commands fail the case and are skipped.
 */
int znh_wait(struct znh_ctrl *ctrl, struct znh_queue *q, u16 cid,
	     const char *name, struct nvme_completion *cqe)
{
	unsigned long deadline = jiffies + ZNH_CMD_TIMEOUT_S * HZ;
	int ret;

	for (;;) {
		ret = znh_reap(ctrl, q, cqe, deadline);
		if (ret == -ETIMEDOUT) {
			znh_fail(ctrl, "%s: no completion in %u s", name,
				 ZNH_CMD_TIMEOUT_S);
			return ret;
		}
		if (ret) {
			znh_fail(ctrl, "%s: %s", name, ctrl->abort);
			return ret;
		}
		if (cqe->command_id == cid && le16_to_cpu(cqe->sq_id) == q->qid)
			break;
		znh_unexpected(ctrl, name, cqe);
	}
	if (le16_to_cpu(cqe->sq_head) >= q->depth) {
		znh_fail(ctrl, "%s: SQ head %u past the queue", name,
			 le16_to_cpu(cqe->sq_head));
		return -EPROTO;
	}
	return 0;
}

/* Nothing may complete on @q for a while: true if nothing did. */
bool znh_quiet(struct znh_ctrl *ctrl, struct znh_queue *q, const char *name)
{
	struct nvme_completion cqe;
	int ret;

	ret = znh_reap(ctrl, q, &cqe, jiffies + ZNH_QUIET);
	if (ret == -ETIMEDOUT)
		return true;
	if (ret)
		znh_fail(ctrl, "%s: %s", name, ctrl->abort);
	else
		znh_unexpected(ctrl, name, &cqe);
	return false;
}
