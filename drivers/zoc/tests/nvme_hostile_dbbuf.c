// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow doorbell case of zoc_nvme_hostile_test: Doorbell Buffer
 * Config, then I/O queue 1 rung as the Linux driver rings it (the shadow,
 * then the register), and a CQ head doorbell that comes after the shadow
 * head moved on.  The driver's doorbells come that late when the link
 * delays them while the model, finding the queue full, reads the shadow:
 * the model must take the shadow's head and report nothing.  The case
 * then checks that an error event was not merely masked.  A second case
 * leaves a shadow SQ tail past the queue.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "nvme_hostile.h"

/* Give the controller the shadow doorbells, which start at the registers. */
static bool znh_dbbuf_config(struct znh_ctrl *ctrl)
{
	struct znh_queue *io = &ctrl->io;
	struct nvme_command c;

	memset(ctrl->dbs, 0, PAGE_SIZE);
	memset(ctrl->eis, 0, PAGE_SIZE);
	ctrl->dbs[2 * io->qid] = cpu_to_le32(io->sq_tail);
	ctrl->dbs[2 * io->qid + 1] = cpu_to_le32(io->cq_head);
	memset(&c, 0, sizeof(c));
	c.dbbuf.opcode = nvme_admin_dbbuf;
	c.dbbuf.prp1 = cpu_to_le64(ctrl->dbs_dma);
	c.dbbuf.prp2 = cpu_to_le64(ctrl->eis_dma);
	if (!znh_check(ctrl, &ctrl->admin, &c, "Doorbell Buffer Config",
		       NVME_SC_SUCCESS))
		return false;
	ctrl->dbbuf = true;
	return true;
}

/*
 * @n Reads of LBA 0 on I/O queue 1 at once, and their completions, in
 * whatever order they come.  @first_head: the CQ head after the first.
 */
static bool znh_dbbuf_reads(struct znh_ctrl *ctrl, unsigned int n,
			    u16 *first_head)
{
	unsigned long deadline = jiffies + ZNH_CMD_TIMEOUT_S * HZ;
	const char *name = "Read nsid 1 LBA 0 (shadow doorbells)";
	DECLARE_BITMAP(busy, ZNH_IO_DEPTH) = {};
	struct znh_queue *io = &ctrl->io;
	struct nvme_completion cqe;
	struct nvme_command c;
	u16 base = ctrl->next_cid;
	unsigned int i, slot;
	int ret;

	for (i = 0; i < n; i++) {
		znh_read_cmd(&c, ZNH_NSID, 0, znh_nlb(ctrl, ZNH_READ_SIZE),
			     ctrl->data_dma, 0);
		znh_submit(ctrl, io, &c);
		__set_bit(i, busy);
	}
	for (i = 0; i < n; i++) {
		ret = znh_reap(ctrl, io, &cqe, deadline);
		if (ret) {
			znh_fail(ctrl, "%s: %s", name, ret == -ETIMEDOUT ?
				 "not all completed (was the shadow head taken?)" :
				 ctrl->abort);
			return false;
		}
		if (!i)
			*first_head = io->cq_head;
		slot = (u16)(cqe.command_id - base);
		if (slot >= n || le16_to_cpu(cqe.sq_id) != io->qid ||
		    !__test_and_clear_bit(slot, busy)) {
			znh_fail(ctrl, "%s: unexpected completion: cid %#x SQ %u",
				 name, cqe.command_id, le16_to_cpu(cqe.sq_id));
			return false;
		}
		if (!znh_expect(ctrl, name, &cqe, NVME_SC_SUCCESS))
			return false;
	}
	return true;
}

/**
 * znh_dbbuf_stale_cq_head - the shadow doorbell case
 * @ctrl: the controller, enabled, with its I/O queues
 *
 * With an Asynchronous Event Request outstanding and error events
 * unmasked: a full CQ's worth of Reads whose completions move the shadow
 * head only, so the model must read it to post one more; then the CQ head
 * doorbell of the first completion, late.  Nothing may complete within
 * 1 s.  Then a head past the queue, which the request must report.
 */
void znh_dbbuf_stale_cq_head(struct znh_ctrl *ctrl)
{
	struct znh_queue *io = &ctrl->io;
	u16 aer, stale, unused;
	bool ok;

	if (!znh_dbbuf_config(ctrl) || !znh_read_error_log(ctrl))
		return;
	aer = znh_submit_aer(ctrl);
	ctrl->hold_cq_db = true;
	/* The CQ full: the model posts them without looking at the shadow. */
	ok = znh_dbbuf_reads(ctrl, io->depth - 1, &stale) &&
	     /* ... and one more, for which it must look. */
	     znh_dbbuf_reads(ctrl, 1, &unused);
	ctrl->hold_cq_db = false;
	if (!ok)
		return;
	writel(stale, znh_db(ctrl, io->qid, true));
	if (!znh_quiet(ctrl, &ctrl->admin,
		       "CQ 1 head doorbell behind the shadow head"))
		return;
	/* The request was live and error events unmasked. */
	writel(io->depth + io->cq_head, znh_db(ctrl, io->qid, true));
	znh_expect_db_event(ctrl, aer);
}

/**
 * znh_dbbuf_sq_tail_beyond_size - a shadow SQ tail past the queue
 * @ctrl: the controller, with shadow doorbells (the case before)
 *
 * Reported to the outstanding Asynchronous Event Request as a register's
 * is, and not taken for a move of the tail: in performance mode (the
 * selftest runs the cases in it) a queue that polls would find it moved
 * again and again, and spin while it stays, 1 s here.  The baseline Read
 * that follows rings a correct tail.
 */
void znh_dbbuf_sq_tail_beyond_size(struct znh_ctrl *ctrl)
{
	struct znh_queue *io = &ctrl->io;
	u16 aer;

	if (!ctrl->dbbuf) {
		znh_fail(ctrl, "no shadow doorbells (see the case before)");
		return;
	}
	/* The case before took an error event, which masked them. */
	if (!znh_read_error_log(ctrl))
		return;
	aer = znh_submit_aer(ctrl);
	if (!znh_quiet(ctrl, &ctrl->admin, "Asynchronous Event Request"))
		return;
	WRITE_ONCE(ctrl->dbs[2 * io->qid],
		   cpu_to_le32(io->depth + io->sq_tail));
	writel(io->sq_tail, znh_db(ctrl, io->qid, false));
	if (!znh_quiet(ctrl, io, "SQ 1 shadow tail past the queue"))
		return;
	znh_expect_db_event(ctrl, aer);
}
