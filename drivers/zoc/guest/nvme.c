// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC NVMe controller model: an NVMe 1.4 controller for the host's stock
 * nvme driver, with one namespace served by a block device of the service
 * VM (blkback.c).
 *
 * BAR0 is laid out as a real controller's: registers at 0, doorbells at
 * 0x1000 (CAP.DSTRD 0), MSI-X table and PBA at 0x2000 and 0x3000.  The
 * host's bus serves CAP, VS and CSTS from the register shadow, the MSI-X
 * structures itself, and coalesces the doorbell writes; the other
 * registers reach us as MMIO requests.  The callbacks run in the link's
 * interrupt handler: they record what the host wrote and leave the work to
 * work items, the control work (registers, then the admin queue) and one
 * work per I/O submission queue.  A work copies each command out of host
 * memory once, through the L0 window, and validates the copy; I/O becomes
 * requests to the block backend, whose completions post the completion
 * queue entries.
 *
 * Doorbell Buffer Config moves the I/O queues' doorbells into host memory:
 * the host writes its tails and heads there and rings only when it passes
 * the event index we publish before going idle, so busy queues trap almost
 * no doorbell writes.
 *
 * The host is not trusted: every index, size and address it gives is
 * checked, and what is wrong fails the command with its NVMe status, or
 * the controller (CSTS.CFS) when the admin queues are unusable.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/ctype.h>
#include <linux/irq_work.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nvme.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>
#include <linux/zoc_link.h>

#include "zoc_blkback.h"
#include "zoc_proxy.h"

/* BAR0 */
#define ZOC_NVME_BAR_SHIFT	14		/* 16 KiB */
#define ZOC_NVME_MSIX_TABLE	0x2000
#define ZOC_NVME_MSIX_PBA	0x3000
#define ZOC_NVME_CLASS		0x010802	/* mass storage, NVM, NVMe */
/* CAP and VS, and CSTS, are shadowed at their own offsets. */
#define ZOC_NVME_SHADOW_CAP	NVME_REG_CAP
#define ZOC_NVME_SHADOW_CSTS	NVME_REG_CSTS

/* Queues */
#define ZOC_NVME_DEF_QUEUES	2
#define ZOC_NVME_MAX_QUEUES	31	/* with the admin pair: 64 doorbells */
#define ZOC_NVME_MAX_QSIZE	1024	/* entries; CAP.MQES is one less */
#define ZOC_NVME_IO_BUDGET	64	/* commands per run of a queue's work */
#define ZOC_NVME_ADMIN_BUDGET	16

/* Capabilities: contiguous queues, 4 KiB pages only, the NVM command set */
#define ZOC_NVME_CAP_CQR	BIT_ULL(16)
#define ZOC_NVME_CAP_TO		30	/* ready within 15 s: labs run on TCG */
#define ZOC_NVME_CAP		((u64)(ZOC_NVME_MAX_QSIZE - 1) |	\
				 ZOC_NVME_CAP_CQR |			\
				 (u64)ZOC_NVME_CAP_TO << 24 |		\
				 (u64)NVME_CAP_CSS_NVM << 37)
#define ZOC_NVME_VS		NVME_VS(1, 4, 0)

/* CC fields checked on enable (CSS, MPS, AMS, IOSQES, IOCQES), MPS 0 */
#define ZOC_NVME_CC_CONFIG	(NVME_CC_CSS_MASK | GENMASK(13, 7) |	\
				 GENMASK(23, 16))
#define ZOC_NVME_CC_WANTED	(NVME_CC_CSS_NVM | NVME_CC_AMS_RR |	\
				 NVME_CC_IOSQES | NVME_CC_IOCQES)
#define ZOC_NVME_AQA_ASQS	GENMASK(11, 0)
#define ZOC_NVME_AQA_ACQS	GENMASK(27, 16)

/* Data transfers: PRPs of 4 KiB pages, at most 2^MDTS pages a command */
#define ZOC_NVME_PAGE_SIZE	SZ_4K
#define ZOC_NVME_MDTS		5
#define ZOC_NVME_MAX_XFER	(ZOC_NVME_PAGE_SIZE << ZOC_NVME_MDTS)
#define ZOC_NVME_MAX_PAGES	(ZOC_NVME_MAX_XFER / ZOC_NVME_PAGE_SIZE)
#define ZOC_NVME_MAX_SEGS	(ZOC_NVME_MAX_PAGES + 1) /* PRP1 mid-page */

/* Identify */
#define ZOC_NVME_NSID		1
#define ZOC_NVME_MN		"ZOC NVMe Controller"
#define ZOC_NVME_FR		"1.0"
#define ZOC_NVME_NQN		"nqn.2026-11.org.zoc:nvme:"
#define ZOC_NVME_AERL		3	/* four Asynchronous Event Requests */
#define ZOC_NVME_ACL		3	/* four Aborts, which abort nothing */
#define ZOC_NVME_FRMW		0x3	/* one firmware slot, read-only */
#define ZOC_NVME_POWER		2500	/* power state 0: 25 W */
#define ZOC_NVME_TEMP		313	/* kelvin: 40 C, reported */
#define ZOC_NVME_WCTEMP		343	/* 70 C */
#define ZOC_NVME_CCTEMP		373	/* 100 C */

/* Command fields that include/linux/nvme.h does not name */
#define ZOC_NVME_WZ_DEAC	BIT(9)	/* Write Zeroes control: deallocate */
#define ZOC_NVME_FEAT_SAVE	BIT(31)	/* Set Features: save */
#define ZOC_NVME_LOG_RAE	BIT(7)	/* Get Log Page: retain the event */

/* Asynchronous events: error type, error information log page */
#define ZOC_NVME_AEN_DB_REG	(NVME_AER_ERROR | 0x00 << 8 | \
				 NVME_LOG_ERROR << 16)
#define ZOC_NVME_AEN_DB_VALUE	(NVME_AER_ERROR | 0x01 << 8 | \
				 NVME_LOG_ERROR << 16)

/* Not a status: the command completes later. */
#define ZOC_NVME_ASYNC		0xffff

static ushort vendor = 0x1af4;
module_param(vendor, ushort, 0444);
MODULE_PARM_DESC(vendor,
		 "PCI vendor ID of the controllers; an operator sets its own");

static ushort device = 0x10f4;
module_param(device, ushort, 0444);
MODULE_PARM_DESC(device, "PCI device ID of the controllers");

struct zoc_nvme_ctrl;
struct zoc_nvme_range;
struct zoc_nvme_sq;

/**
 * struct zoc_nvme_features - what Set Features can change
 * @arbitration: Arbitration; taken, not applied (one round robin)
 * @power_mgmt: Power Management: power state 0 and a workload hint
 * @temp_over: Temperature Threshold: over-temperature, kelvin
 * @temp_under: Temperature Threshold: under-temperature, kelvin
 * @wce: Volatile Write Cache enabled; when clear, writes are made durable
 *	before they complete
 * @irq_coalesce: Interrupt Coalescing; taken, not applied
 * @write_atomic: Write Atomicity Normal
 * @async_event: Asynchronous Event Configuration
 */
struct zoc_nvme_features {
	u32 arbitration;
	u32 power_mgmt;
	u16 temp_over;
	u16 temp_under;
	bool wce;
	u32 irq_coalesce;
	u32 write_atomic;
	u32 async_event;
};

static const struct zoc_nvme_features zoc_nvme_default_features = {
	.temp_over = ZOC_NVME_WCTEMP,
	.wce = true,
};

/**
 * struct zoc_nvme_cmd - a command taken from a submission queue
 * @sq: its submission queue
 * @sqe: the entry, copied once out of host memory
 * @result: dword 0 of its completion
 * @status: the status field of its completion, without the phase tag
 * @entry: in its completion queue's backlog, or on a list being retired
 * @breq: the backend request of a Flush, Read, Write or Write Zeroes
 * @segs: where its data lies in host memory
 * @nr_segs: entries used in @segs
 * @ranges: the backend requests of a Dataset Management command
 * @pending: those still running, plus one while they are submitted
 * @error: a failure among them
 */
struct zoc_nvme_cmd {
	struct zoc_nvme_sq *sq;
	struct nvme_command sqe;
	u32 result;
	u16 status;
	struct list_head entry;
	struct zoc_blkback_req breq;
	struct zoc_blkback_seg segs[ZOC_NVME_MAX_SEGS];
	unsigned int nr_segs;
	struct zoc_nvme_range *ranges;
	atomic_t pending;
	blk_status_t error;
};

/**
 * struct zoc_nvme_range - one deallocated range of a Dataset Management
 * @breq: its discard
 * @cmd: the command
 */
struct zoc_nvme_range {
	struct zoc_blkback_req breq;
	struct zoc_nvme_cmd *cmd;
};

/**
 * struct zoc_nvme_cq - a completion queue
 * @ctrl: its controller
 * @qid: its identifier
 * @size: its entries
 * @vector: its MSI-X vector
 * @ien: interrupts enabled
 * @ring: its entries, in host memory
 * @sqs: submission queues that post to it; control work only
 * @irq_work: raises @vector, outside of our locks and the link's
 * @lock: protects the fields below and the outstanding counts of the
 *	submission queues that post here; completions come from any context
 * @head: the host's head
 * @tail: where the next entry goes
 * @phase: the phase tag of the current pass over the ring
 * @hold: works batching completions: the interrupt waits for the last
 * @irq_pending: entries were posted while held
 * @backlog: completed commands waiting for room
 */
struct zoc_nvme_cq {
	struct zoc_nvme_ctrl *ctrl;
	u16 qid;
	u32 size;
	u16 vector;
	bool ien;
	struct nvme_completion *ring;
	unsigned int sqs;
	struct irq_work irq_work;
	/* bio completions, queue works and the doorbell callback post */
	spinlock_t lock;
	u32 head;
	u32 tail;
	u16 phase;
	unsigned int hold;
	bool irq_pending;
	struct list_head backlog;
};

/**
 * struct zoc_nvme_sq - a submission queue
 * @ctrl: its controller
 * @cq: the completion queue it posts to
 * @qid: its identifier
 * @size: its entries
 * @ring: its entries, in host memory
 * @head: the next entry to fetch; written by its work only
 * @tail: the tail its work took last
 * @bad_tail: the last invalid shadow tail reported, so it is reported once
 * @db: the tail last written to its doorbell register, checked
 * @stopped: fetch no more: deleted, reset, shut down
 * @outstanding: commands fetched whose completion is not posted or dropped
 *	yet; decremented under @cq's lock
 * @work: fetches and executes the commands of an I/O queue (the control
 *	work serves the admin queue)
 */
struct zoc_nvme_sq {
	struct zoc_nvme_ctrl *ctrl;
	struct zoc_nvme_cq *cq;
	u16 qid;
	u32 size;
	struct nvme_command *ring;
	u32 head;
	u32 tail;
	u32 bad_tail;
	u32 db;
	bool stopped;
	atomic_t outstanding;
	struct work_struct work;
};

/**
 * struct zoc_nvme_ctrl - a controller
 * @pdev: its proxy device
 * @name: its name
 * @bb: the block device behind its namespace
 * @wq: runs @work and the I/O queues' works
 * @work: the control work: register changes, then the admin queue
 * @nr_io_queues: I/O queue pairs it offers
 * @shadow_db: it offers Doorbell Buffer Config (shadow doorbells)
 * @nsze: the namespace's size in logical blocks
 * @lbads: log2 of the logical block size
 * @nguid: the namespace's NGUID: the name, zero padded
 * @lock: protects the registers, the queue tables, the asynchronous event
 *	state, @ready and @dying.  A completion queue's lock nests inside.
 * @cc: Controller Configuration, as last written
 * @csts: Controller Status; written by the control work
 * @aqa: Admin Queue Attributes
 * @asq: Admin Submission Queue Base Address
 * @acq: Admin Completion Queue Base Address
 * @reset_pending: CC.EN went from 1 to 0 since the control work looked
 * @ready: doorbells are taken
 * @dying: destroy began: no more work is queued
 * @sq: submission queues by identifier; changed by the control work
 * @cq: completion queues by identifier; changed by the control work
 * @aer: outstanding Asynchronous Event Requests
 * @nr_aers: entries used in @aer
 * @aen_pending: an event for the next request, or 0
 * @aen_masked: an error event was reported, the error log not read since
 * @dbs: the shadow doorbells (Doorbell Buffer Config) in host memory, or
 *	NULL; the I/O queues' doorbells at the registers' indexes
 * @eis: the event indexes in host memory, likewise
 * @enabled: the admin queues are set up; control work only
 * @shut_down: a shutdown completed: nothing runs until a reset
 * @feat: features; the I/O works read @feat.wce
 * @data_read: bytes read, for the SMART log
 * @data_written: bytes written
 * @host_reads: read commands completed
 * @host_writes: write commands completed
 */
struct zoc_nvme_ctrl {
	struct zoc_pdev *pdev;
	char name[ZOC_DEV_NAME_LEN];
	struct zoc_blkback *bb;
	struct workqueue_struct *wq;
	struct work_struct work;
	unsigned int nr_io_queues;
	bool shadow_db;
	u64 nsze;
	u8 lbads;
	u8 nguid[NVME_NIDT_NGUID_LEN];
	/* the link's interrupt handler calls us with it held */
	spinlock_t lock;
	u32 cc;
	u32 csts;
	u32 aqa;
	u64 asq;
	u64 acq;
	bool reset_pending;
	bool ready;
	bool dying;
	struct zoc_nvme_sq *sq[ZOC_NVME_MAX_QUEUES + 1];
	struct zoc_nvme_cq *cq[ZOC_NVME_MAX_QUEUES + 1];
	struct zoc_nvme_cmd *aer[ZOC_NVME_AERL + 1];
	unsigned int nr_aers;
	u32 aen_pending;
	bool aen_masked;
	__le32 *dbs;
	__le32 *eis;
	bool enabled;
	bool shut_down;
	struct zoc_nvme_features feat;
	atomic64_t data_read;
	atomic64_t data_written;
	atomic64_t host_reads;
	atomic64_t host_writes;
};

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

static struct kmem_cache *zoc_nvme_cmd_cache;

static void zoc_nvme_stat(struct zoc_nvme_ctrl *ctrl, unsigned int stat)
{
	zoc_proxy_stat_add(ctrl->pdev, stat, 1);
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

/* Shadow doorbell @db (2 * qid, + 1 for a CQ), or NULL without a buffer. */
static __le32 *zoc_nvme_shadow_db(struct zoc_nvme_ctrl *ctrl, unsigned int db)
{
	/* Pairs with the store-release in zoc_nvme_dbbuf(): @eis is set. */
	__le32 *dbs = smp_load_acquire(&ctrl->dbs);

	return dbs ? dbs + db : NULL;
}

static __le32 *zoc_nvme_event_idx(struct zoc_nvme_ctrl *ctrl, unsigned int db)
{
	return READ_ONCE(ctrl->eis) + db;
}

static void zoc_nvme_set_csts(struct zoc_nvme_ctrl *ctrl, u32 csts)
{
	__le32 val = cpu_to_le32(csts);

	spin_lock_irq(&ctrl->lock);
	ctrl->csts = csts;
	spin_unlock_irq(&ctrl->lock);
	/* It orders our earlier writes to host memory before the status. */
	zoc_proxy_shadow_write(ctrl->pdev, ZOC_NVME_SHADOW_CSTS, &val,
			       sizeof(val));
}

/* --- completion queues --------------------------------------------------- */

/*
 * From irq_work: never under our locks or the link's, which posting the
 * interrupt takes.  A failure (link down, ring full) is counted by the
 * core; the host's driver finds the entries when it polls.
 */
static void zoc_nvme_cq_irq(struct irq_work *work)
{
	struct zoc_nvme_cq *cq = container_of(work, struct zoc_nvme_cq,
					      irq_work);

	zoc_proxy_irq(cq->ctrl->pdev, cq->vector);
}

/* Entries were posted: interrupt now, or when the last holder lets go. */
static void zoc_nvme_cq_notify(struct zoc_nvme_cq *cq)
{
	lockdep_assert_held(&cq->lock);
	if (!cq->ien)
		return;
	if (cq->hold)
		cq->irq_pending = true;
	else
		irq_work_queue(&cq->irq_work);
}

/* A work's pass begins: one interrupt for its completions, at the end. */
static void zoc_nvme_cq_hold(struct zoc_nvme_cq *cq)
{
	spin_lock_irq(&cq->lock);
	cq->hold++;
	spin_unlock_irq(&cq->lock);
}

static void zoc_nvme_cq_release(struct zoc_nvme_cq *cq)
{
	spin_lock_irq(&cq->lock);
	if (!--cq->hold && cq->irq_pending) {
		cq->irq_pending = false;
		irq_work_queue(&cq->irq_work);
	}
	spin_unlock_irq(&cq->lock);
}

static bool zoc_nvme_cq_full(struct zoc_nvme_cq *cq)
{
	return (cq->tail + 1) % cq->size == cq->head;
}

/* Take a head the host gave, if it only releases entries we posted. */
static bool zoc_nvme_cq_set_head(struct zoc_nvme_cq *cq, u32 head)
{
	u32 posted = (cq->tail + cq->size - cq->head) % cq->size;

	if (head >= cq->size ||
	    (head + cq->size - cq->head) % cq->size > posted)
		return false;
	cq->head = head;
	return true;
}

static bool zoc_nvme_cq_shadow_head(struct zoc_nvme_cq *cq, __le32 *shadow)
{
	if (!zoc_nvme_cq_set_head(cq, le32_to_cpu(READ_ONCE(*shadow)))) {
		zoc_nvme_stat(cq->ctrl, ZOC_DEV_STAT_INVALID);
		return false;
	}
	return !zoc_nvme_cq_full(cq);
}

/*
 * The queue looks full.  With shadow doorbells the host moves its head
 * without ringing: take the head from the shadow, and if there is still no
 * room, ask for a doorbell when it moves (event index) and look once more.
 */
static bool zoc_nvme_cq_room(struct zoc_nvme_cq *cq)
{
	unsigned int db = 2 * cq->qid + 1;
	__le32 *shadow;

	shadow = cq->qid ? zoc_nvme_shadow_db(cq->ctrl, db) : NULL;
	if (!shadow)
		return false;
	if (zoc_nvme_cq_shadow_head(cq, shadow))
		return true;
	WRITE_ONCE(*zoc_nvme_event_idx(cq->ctrl, db), cpu_to_le32(cq->head));
	/*
	 * The event index before the second look; pairs with the host's
	 * mb() between its shadow doorbell write and its event index read.
	 */
	virt_mb();
	return zoc_nvme_cq_shadow_head(cq, shadow);
}

/* Write @cmd's completion entry, unless the queue is full. */
static bool zoc_nvme_cq_post(struct zoc_nvme_cq *cq, struct zoc_nvme_cmd *cmd)
{
	struct nvme_completion *cqe = &cq->ring[cq->tail];

	lockdep_assert_held(&cq->lock);
	if (zoc_nvme_cq_full(cq) && !zoc_nvme_cq_room(cq))
		return false;
	cqe->result.u64 = cpu_to_le64(cmd->result);
	cqe->sq_head = cpu_to_le16(READ_ONCE(cmd->sq->head));
	cqe->sq_id = cpu_to_le16(cmd->sq->qid);
	cqe->command_id = cmd->sqe.common.command_id;
	/*
	 * The entry before its phase tag; pairs with the host's dma_rmb()
	 * between reading the tag and reading the entry.
	 */
	virt_wmb();
	WRITE_ONCE(cqe->status, cpu_to_le16(cmd->status << 1 | cq->phase));
	if (++cq->tail == cq->size) {
		cq->tail = 0;
		cq->phase ^= 1;
	}
	return true;
}

/* Post what waits in the backlog while there is room; move it to @done. */
static void zoc_nvme_cq_flush(struct zoc_nvme_cq *cq, struct list_head *done)
{
	struct zoc_nvme_cmd *cmd;
	bool posted = false;

	while ((cmd = list_first_entry_or_null(&cq->backlog,
					       struct zoc_nvme_cmd, entry))) {
		if (!zoc_nvme_cq_post(cq, cmd))
			break;
		list_move_tail(&cmd->entry, done);
		posted = true;
	}
	if (posted)
		zoc_nvme_cq_notify(cq);
}

static void zoc_nvme_cmd_free(struct zoc_nvme_cmd *cmd)
{
	kfree(cmd->ranges);
	kmem_cache_free(zoc_nvme_cmd_cache, cmd);
}

static void zoc_nvme_free_cmds(struct list_head *cmds)
{
	struct zoc_nvme_cmd *cmd, *tmp;

	list_for_each_entry_safe(cmd, tmp, cmds, entry)
		zoc_nvme_cmd_free(cmd);
}

/* --- submission queues --------------------------------------------------- */

static void zoc_nvme_sq_kick(struct zoc_nvme_sq *sq)
{
	struct zoc_nvme_ctrl *ctrl = sq->ctrl;

	if (!READ_ONCE(sq->stopped))
		queue_work(ctrl->wq, sq->qid ? &sq->work : &ctrl->work);
}

/*
 * A command of @sq is done with: its entry was posted or dropped.  A work
 * stopped at a full pipeline resumes; a drain waiting for the queue wakes.
 * Under the CQ's lock, so that whoever frees @sq after seeing it idle
 * under that lock knows we are gone.
 */
static void zoc_nvme_sq_put(struct zoc_nvme_sq *sq)
{
	unsigned int left = atomic_dec_return(&sq->outstanding);
	__le32 *shadow = NULL;

	lockdep_assert_held(&sq->cq->lock);
	if (sq->qid)
		shadow = zoc_nvme_shadow_db(sq->ctrl, 2 * sq->qid);
	if (!left)
		wake_up_var(&sq->outstanding);
	/*
	 * With shadow doorbells a busy queue's event index is left behind:
	 * its completions look for new commands, and the last one makes the
	 * work arm the index before the queue goes idle.
	 */
	if (shadow && (!left || le32_to_cpu(READ_ONCE(*shadow)) != READ_ONCE(sq->tail)))
		zoc_nvme_sq_kick(sq);
	else if (left == sq->size - 1)
		zoc_nvme_sq_kick(sq);
}

/* Put the submission queues of the commands on @done; CQ lock held. */
static void zoc_nvme_cq_retire(struct list_head *done)
{
	struct zoc_nvme_cmd *cmd;

	list_for_each_entry(cmd, done, entry)
		zoc_nvme_sq_put(cmd->sq);
}

/*
 * Complete @cmd: post its entry, or queue it behind the backlog until the
 * host makes room.  A stopped queue's host gave up on its commands: what
 * finds no room is dropped.  Any context.
 */
static void zoc_nvme_complete(struct zoc_nvme_cmd *cmd)
{
	struct zoc_nvme_sq *sq = cmd->sq;
	struct zoc_nvme_cq *cq = sq->cq;
	unsigned long flags;
	LIST_HEAD(done);

	zoc_nvme_stat(sq->ctrl, ZOC_DEV_STAT_COMMANDS);
	if (cmd->status)
		zoc_nvme_stat(sq->ctrl, ZOC_DEV_STAT_ERRORS);

	spin_lock_irqsave(&cq->lock, flags);
	zoc_nvme_cq_flush(cq, &done);
	if (list_empty(&cq->backlog) && zoc_nvme_cq_post(cq, cmd)) {
		list_add_tail(&cmd->entry, &done);
		zoc_nvme_cq_notify(cq);
	} else if (READ_ONCE(sq->stopped)) {
		list_add_tail(&cmd->entry, &done);
	} else {
		list_add_tail(&cmd->entry, &cq->backlog);
	}
	zoc_nvme_cq_retire(&done);
	spin_unlock_irqrestore(&cq->lock, flags);
	zoc_nvme_free_cmds(&done);
}

static void zoc_nvme_finish(struct zoc_nvme_cmd *cmd, u16 status)
{
	if (status == ZOC_NVME_ASYNC)
		return;
	cmd->status = status;
	zoc_nvme_complete(cmd);
}

/*
 * An error event, from an invalid doorbell: complete an Asynchronous Event
 * Request with it, or keep it for the next one.  Once reported, error
 * events stay masked until the host reads the error log.
 */
static void zoc_nvme_event(struct zoc_nvme_ctrl *ctrl, u32 event)
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
		return;
	}
	cmd = ctrl->aer[--ctrl->nr_aers];
	cmd->result = event;
	/* The admin CQ's lock nests inside ours. */
	zoc_nvme_complete(cmd);
}

/* Take the host's new tail; false if there is nothing new. */
static bool zoc_nvme_sq_refresh(struct zoc_nvme_sq *sq)
{
	struct zoc_nvme_ctrl *ctrl = sq->ctrl;
	unsigned int db = 2 * sq->qid;
	unsigned long flags;
	__le32 *shadow;
	u32 tail;

	shadow = sq->qid ? zoc_nvme_shadow_db(ctrl, db) : NULL;
	if (!shadow) {
		tail = READ_ONCE(sq->db);
	} else {
		tail = le32_to_cpu(READ_ONCE(*shadow));
		/*
		 * Busy: each completion looks at the shadow again (see
		 * zoc_nvme_sq_put()), so the host need not ring.
		 */
		if (tail == sq->tail && atomic_read(&sq->outstanding))
			return false;
		if (tail == sq->tail) {
			/* Going idle: ring when you pass this tail. */
			WRITE_ONCE(*zoc_nvme_event_idx(ctrl, db),
				   cpu_to_le32(tail));
			/*
			 * The event index before the second look; pairs with
			 * the host's mb() between its shadow doorbell write
			 * and its event index read.
			 */
			virt_mb();
			tail = le32_to_cpu(READ_ONCE(*shadow));
		}
		if (tail >= sq->size) {
			/* Once per bad value: the work looks again and again. */
			if (tail == sq->bad_tail)
				return false;
			sq->bad_tail = tail;
			spin_lock_irqsave(&ctrl->lock, flags);
			zoc_nvme_event(ctrl, ZOC_NVME_AEN_DB_VALUE);
			spin_unlock_irqrestore(&ctrl->lock, flags);
			return false;
		}
	}
	if (tail == sq->tail)
		return false;
	sq->tail = tail;
	/*
	 * The tail before the entries it covers; pairs with the host's wmb()
	 * between writing an entry and writing the tail.
	 */
	virt_rmb();
	return true;
}

/* The next command of @sq, or NULL: empty, stopped or enough in flight. */
static struct zoc_nvme_cmd *zoc_nvme_sq_fetch(struct zoc_nvme_sq *sq)
{
	struct zoc_nvme_cmd *cmd;

	if (READ_ONCE(sq->stopped))
		return NULL;
	if (sq->head == sq->tail && !zoc_nvme_sq_refresh(sq))
		return NULL;
	/* A full pipeline resumes from zoc_nvme_sq_put(). */
	if (atomic_read(&sq->outstanding) >= sq->size)
		return NULL;
	cmd = kmem_cache_alloc(zoc_nvme_cmd_cache, GFP_KERNEL);
	if (!cmd)
		return NULL;	/* the next doorbell resumes */
	memcpy(&cmd->sqe, &sq->ring[sq->head], sizeof(cmd->sqe));
	WRITE_ONCE(sq->head, sq->head + 1 == sq->size ? 0 : sq->head + 1);
	atomic_inc(&sq->outstanding);
	cmd->sq = sq;
	cmd->result = 0;
	cmd->status = NVME_SC_SUCCESS;
	cmd->nr_segs = 0;
	cmd->ranges = NULL;
	return cmd;
}

static bool zoc_nvme_sq_idle(struct zoc_nvme_sq *sq)
{
	bool idle;

	spin_lock_irq(&sq->cq->lock);
	idle = !atomic_read(&sq->outstanding);
	spin_unlock_irq(&sq->cq->lock);
	return idle;
}

/*
 * Wait until nothing of the stopped @sq is in flight.  What waits for room
 * in its CQ is dropped; what runs in the backend is posted or dropped as
 * it ends.
 */
static void zoc_nvme_sq_drain(struct zoc_nvme_sq *sq)
{
	struct zoc_nvme_cq *cq = sq->cq;
	struct zoc_nvme_cmd *cmd, *tmp;
	LIST_HEAD(dropped);

	cancel_work_sync(&sq->work);
	spin_lock_irq(&cq->lock);
	list_for_each_entry_safe(cmd, tmp, &cq->backlog, entry) {
		if (cmd->sq == sq)
			list_move_tail(&cmd->entry, &dropped);
	}
	zoc_nvme_cq_retire(&dropped);
	spin_unlock_irq(&cq->lock);
	zoc_nvme_free_cmds(&dropped);
	wait_var_event(&sq->outstanding, zoc_nvme_sq_idle(sq));
	/* Completions before the last may have kicked the work again. */
	cancel_work_sync(&sq->work);
}

/* --- PRPs ---------------------------------------------------------------- */

/* Add @len bytes at @addr to the command's data segments. */
static u16 zoc_nvme_seg_add(struct zoc_nvme_cmd *cmd, u64 addr, u32 len)
{
	struct zoc_blkback_seg *last;

	if (!zoc_proxy_host_ptr(cmd->sq->ctrl->pdev, addr, len))
		return NVME_SC_DATA_XFER_ERROR | NVME_STATUS_DNR;
	if (cmd->nr_segs) {
		last = &cmd->segs[cmd->nr_segs - 1];
		if (last->addr + last->len == addr) {
			last->len += len;
			return NVME_SC_SUCCESS;
		}
	}
	/* Never reached: MDTS bounds the pages (see ZOC_NVME_MAX_SEGS). */
	if (cmd->nr_segs == ZOC_NVME_MAX_SEGS)
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	cmd->segs[cmd->nr_segs].addr = addr;
	cmd->segs[cmd->nr_segs].len = len;
	cmd->nr_segs++;
	return NVME_SC_SUCCESS;
}

/* A PRP entry after PRP1: a whole page, or the start of one. */
static u16 zoc_nvme_prp_page(struct zoc_nvme_cmd *cmd, u64 addr, u32 len)
{
	if (!IS_ALIGNED(addr, ZOC_NVME_PAGE_SIZE))
		return NVME_SC_PRP_INVALID_OFFSET | NVME_STATUS_DNR;
	return zoc_nvme_seg_add(cmd, addr, len);
}

/*
 * Where the @len bytes of the command's data lie: PRP1 up to the end of
 * its page, then PRP2 as the next page, or as a PRP list when more than
 * one page follows.  A list runs to the end of its page; when more entries
 * are needed, the last one of the page points to the next list.  @len is
 * at most ZOC_NVME_MAX_XFER, which bounds the entries read.
 */
static u16 zoc_nvme_prp_map(struct zoc_nvme_cmd *cmd, u32 len)
{
	struct zoc_nvme_ctrl *ctrl = cmd->sq->ctrl;
	u64 prp1 = le64_to_cpu(cmd->sqe.common.dptr.prp1);
	u64 list = le64_to_cpu(cmd->sqe.common.dptr.prp2);
	__le64 entries[ZOC_NVME_MAX_PAGES];
	u32 n, room, want, i;
	bool chained;
	u16 status;

	cmd->nr_segs = 0;
	if (prp1 % 4)
		return NVME_SC_PRP_INVALID_OFFSET | NVME_STATUS_DNR;
	n = min_t(u32, len, ZOC_NVME_PAGE_SIZE - prp1 % ZOC_NVME_PAGE_SIZE);
	status = zoc_nvme_seg_add(cmd, prp1, n);
	len -= n;
	if (status || !len)
		return status;
	if (len <= ZOC_NVME_PAGE_SIZE)
		return zoc_nvme_prp_page(cmd, list, len);

	while (len) {
		if (list % sizeof(__le64))
			return NVME_SC_PRP_INVALID_OFFSET | NVME_STATUS_DNR;
		room = (ZOC_NVME_PAGE_SIZE - list % ZOC_NVME_PAGE_SIZE) /
		       sizeof(__le64);
		want = DIV_ROUND_UP(len, ZOC_NVME_PAGE_SIZE);
		chained = want > room;
		/* A list page must hold data entries besides its chain. */
		if (chained && room < 2)
			return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
		n = min(want, room);
		if (zoc_proxy_dma_read(ctrl->pdev, list, entries,
				       n * sizeof(__le64)))
			return NVME_SC_DATA_XFER_ERROR | NVME_STATUS_DNR;
		for (i = 0; i < n - chained; i++) {
			u32 part = min_t(u32, len, ZOC_NVME_PAGE_SIZE);

			status = zoc_nvme_prp_page(cmd, le64_to_cpu(entries[i]),
						   part);
			if (status)
				return status;
			len -= part;
		}
		if (chained)
			list = le64_to_cpu(entries[n - 1]);
	}
	return NVME_SC_SUCCESS;
}

/* Copy @len bytes between @buf and the command's data buffer. */
static u16 zoc_nvme_xfer(struct zoc_nvme_cmd *cmd, void *buf, u32 len,
			 bool to_host)
{
	struct zoc_pdev *pdev = cmd->sq->ctrl->pdev;
	const struct zoc_blkback_seg *seg;
	unsigned int i;
	u16 status;
	int ret;

	status = zoc_nvme_prp_map(cmd, len);
	if (status)
		return status;
	for (i = 0; i < cmd->nr_segs; i++) {
		seg = &cmd->segs[i];
		if (to_host)
			ret = zoc_proxy_dma_write(pdev, seg->addr, buf,
						  seg->len);
		else
			ret = zoc_proxy_dma_read(pdev, seg->addr, buf,
						 seg->len);
		if (ret)
			return NVME_SC_DATA_XFER_ERROR | NVME_STATUS_DNR;
		buf += seg->len;
	}
	return NVME_SC_SUCCESS;
}

/* --- I/O commands -------------------------------------------------------- */

static u16 zoc_nvme_check_ns(struct zoc_nvme_cmd *cmd)
{
	if (le32_to_cpu(cmd->sqe.common.nsid) != ZOC_NVME_NSID)
		return NVME_SC_INVALID_NS | NVME_STATUS_DNR;
	return NVME_SC_SUCCESS;
}

static u16 zoc_nvme_check_lba(struct zoc_nvme_ctrl *ctrl, u64 slba, u64 nlb)
{
	if (nlb > ctrl->nsze || slba > ctrl->nsze - nlb)
		return NVME_SC_LBA_RANGE | NVME_STATUS_DNR;
	return NVME_SC_SUCCESS;
}

static void zoc_nvme_io_done(struct zoc_blkback_req *breq,
			     blk_status_t status)
{
	struct zoc_nvme_cmd *cmd = container_of(breq, struct zoc_nvme_cmd,
						breq);
	struct zoc_nvme_ctrl *ctrl = cmd->sq->ctrl;
	u32 bytes = breq->nr_sectors << SECTOR_SHIFT;

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
	struct zoc_nvme_ctrl *ctrl = cmd->sq->ctrl;
	struct zoc_blkback_req *breq = &cmd->breq;
	unsigned int shift = ctrl->lbads - SECTOR_SHIFT;

	breq->op = op;
	breq->flags = flags;
	breq->sector = slba << shift;
	breq->nr_sectors = (sector_t)nlb << shift;
	breq->segs = cmd->segs;
	breq->nr_segs = cmd->nr_segs;
	breq->done = zoc_nvme_io_done;
	zoc_blkback_submit(ctrl->bb, breq);
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

static u16 zoc_nvme_io_flush(struct zoc_nvme_cmd *cmd)
{
	u32 nsid = le32_to_cpu(cmd->sqe.common.nsid);

	if (nsid != ZOC_NVME_NSID && nsid != NVME_NSID_ALL)
		return NVME_SC_INVALID_NS | NVME_STATUS_DNR;
	return zoc_nvme_submit(cmd, ZOC_BLKBACK_FLUSH, 0, 0, 0);
}

static u16 zoc_nvme_io_rw(struct zoc_nvme_cmd *cmd)
{
	struct zoc_nvme_ctrl *ctrl = cmd->sq->ctrl;
	struct nvme_rw_command *rw = &cmd->sqe.rw;
	bool write = rw->opcode == nvme_cmd_write;
	u64 slba = le64_to_cpu(rw->slba);
	u32 nlb = le16_to_cpu(rw->length) + 1;
	u16 status;

	status = zoc_nvme_check_lba(ctrl, slba, nlb);
	if (status)
		return status;
	if ((u64)nlb << ctrl->lbads > ZOC_NVME_MAX_XFER)
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	status = zoc_nvme_prp_map(cmd, nlb << ctrl->lbads);
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

	status = zoc_nvme_check_lba(ctrl, slba, nlb);
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
	unsigned int shift = ctrl->lbads - SECTOR_SHIFT;
	u32 nr = (le32_to_cpu(cmd->sqe.dsm.nr) & 0xff) + 1;
	struct zoc_nvme_range *range;
	struct nvme_dsm_range *r;
	unsigned int i, n = 0;
	u16 status;

	if (!(le32_to_cpu(cmd->sqe.dsm.attributes) & NVME_DSMGMT_AD))
		return NVME_SC_SUCCESS;
	r = kmalloc_array(nr, sizeof(*r), GFP_KERNEL);
	cmd->ranges = kcalloc(nr, sizeof(*cmd->ranges), GFP_KERNEL);
	if (!r || !cmd->ranges) {
		status = NVME_SC_INTERNAL;
		goto out_free;
	}
	status = zoc_nvme_xfer(cmd, r, nr * sizeof(*r), false);
	for (i = 0; i < nr && !status; i++)
		status = zoc_nvme_check_lba(ctrl, le64_to_cpu(r[i].slba),
					    le32_to_cpu(r[i].nlb));
	if (status)
		goto out_free;

	cmd->error = BLK_STS_OK;
	atomic_set(&cmd->pending, 1);
	for (i = 0; i < nr; i++) {
		if (!r[i].nlb)
			continue;
		range = &cmd->ranges[n++];
		range->cmd = cmd;
		range->breq.op = ZOC_BLKBACK_DISCARD;
		range->breq.flags = 0;
		range->breq.sector = le64_to_cpu(r[i].slba) << shift;
		range->breq.nr_sectors = (sector_t)le32_to_cpu(r[i].nlb) <<
					 shift;
		range->breq.done = zoc_nvme_dsm_done;
		atomic_inc(&cmd->pending);
		zoc_blkback_submit(ctrl->bb, &range->breq);
	}
	kfree(r);
	zoc_nvme_dsm_put(cmd);
	return ZOC_NVME_ASYNC;

out_free:
	kfree(r);
	return status;
}

static u16 zoc_nvme_io_cmd(struct zoc_nvme_cmd *cmd)
{
	struct nvme_common_command *c = &cmd->sqe.common;

	if (c->flags)		/* fused operations, SGLs */
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	switch (c->opcode) {
	case nvme_cmd_flush:
		return zoc_nvme_io_flush(cmd);
	case nvme_cmd_write:
	case nvme_cmd_read:
		return zoc_nvme_check_ns(cmd) ?: zoc_nvme_io_rw(cmd);
	case nvme_cmd_write_zeroes:
		return zoc_nvme_check_ns(cmd) ?: zoc_nvme_io_write_zeroes(cmd);
	case nvme_cmd_dsm:
		return zoc_nvme_check_ns(cmd) ?: zoc_nvme_io_dsm(cmd);
	default:
		return NVME_SC_INVALID_OPCODE | NVME_STATUS_DNR;
	}
}

/* An I/O submission queue's work: fetch, check and start its commands. */
static void zoc_nvme_sq_work(struct work_struct *work)
{
	struct zoc_nvme_sq *sq = container_of(work, struct zoc_nvme_sq, work);
	unsigned int budget = ZOC_NVME_IO_BUDGET;
	struct zoc_nvme_cmd *cmd;

	zoc_nvme_cq_hold(sq->cq);
	while ((cmd = zoc_nvme_sq_fetch(sq))) {
		zoc_nvme_finish(cmd, zoc_nvme_io_cmd(cmd));
		if (!--budget) {
			/* Let the other queues run; come back for the rest. */
			queue_work(sq->ctrl->wq, &sq->work);
			break;
		}
	}
	zoc_nvme_cq_release(sq->cq);
}

/* --- admin commands ------------------------------------------------------ */

static struct zoc_nvme_cq *zoc_nvme_cq_alloc(struct zoc_nvme_ctrl *ctrl,
					     u16 qid, void *ring, u32 size,
					     u16 vector, bool ien)
{
	struct zoc_nvme_cq *cq;

	cq = kzalloc(sizeof(*cq), GFP_KERNEL);
	if (!cq)
		return NULL;
	cq->ctrl = ctrl;
	cq->qid = qid;
	cq->size = size;
	cq->vector = vector;
	cq->ien = ien;
	cq->ring = ring;
	init_irq_work(&cq->irq_work, zoc_nvme_cq_irq);
	spin_lock_init(&cq->lock);
	cq->phase = 1;
	INIT_LIST_HEAD(&cq->backlog);
	return cq;
}

static struct zoc_nvme_sq *zoc_nvme_sq_alloc(struct zoc_nvme_ctrl *ctrl,
					     u16 qid, void *ring, u32 size,
					     struct zoc_nvme_cq *cq)
{
	struct zoc_nvme_sq *sq;

	sq = kzalloc(sizeof(*sq), GFP_KERNEL);
	if (!sq)
		return NULL;
	sq->ctrl = ctrl;
	sq->cq = cq;
	sq->qid = qid;
	sq->size = size;
	sq->ring = ring;
	atomic_set(&sq->outstanding, 0);
	INIT_WORK(&sq->work, zoc_nvme_sq_work);
	return sq;
}

static bool zoc_nvme_qsize_ok(u32 size)
{
	return size >= 2 && size <= ZOC_NVME_MAX_QSIZE;
}

/* An Identify string: ASCII padded with spaces, not terminated. */
static void zoc_nvme_pad(char *dst, size_t size, const char *src)
{
	memset(dst, ' ', size);
	memcpy(dst, src, min(strlen(src), size));
}

static void zoc_nvme_id_ctrl(struct zoc_nvme_ctrl *ctrl,
			     struct nvme_id_ctrl *id)
{
	id->vid = cpu_to_le16(vendor);
	id->ssvid = cpu_to_le16(vendor);
	zoc_nvme_pad(id->sn, sizeof(id->sn), ctrl->name);
	zoc_nvme_pad(id->mn, sizeof(id->mn), ZOC_NVME_MN);
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
	id->nn = cpu_to_le32(1);
	id->oncs = cpu_to_le16(NVME_CTRL_ONCS_DSM |
			       NVME_CTRL_ONCS_WRITE_ZEROES);
	id->vwc = NVME_CTRL_VWC_PRESENT;
	snprintf(id->subnqn, sizeof(id->subnqn), ZOC_NVME_NQN "%s", ctrl->name);
	id->psd[0].max_power = cpu_to_le16(ZOC_NVME_POWER);
}

static u16 zoc_nvme_id_ns(struct zoc_nvme_ctrl *ctrl, u32 nsid,
			  struct nvme_id_ns *id)
{
	if (nsid != ZOC_NVME_NSID)
		return NVME_SC_INVALID_NS | NVME_STATUS_DNR;
	id->nsze = cpu_to_le64(ctrl->nsze);
	id->ncap = id->nsze;
	id->nuse = id->nsze;
	id->lbaf[0].ds = ctrl->lbads;
	memcpy(id->nguid, ctrl->nguid, sizeof(id->nguid));
	return NVME_SC_SUCCESS;
}

static u16 zoc_nvme_id_active_ns(u32 nsid, __le32 *list)
{
	if (nsid >= NVME_NSID_ALL - 1)
		return NVME_SC_INVALID_NS | NVME_STATUS_DNR;
	if (nsid < ZOC_NVME_NSID)
		list[0] = cpu_to_le32(ZOC_NVME_NSID);
	return NVME_SC_SUCCESS;
}

static u16 zoc_nvme_id_ns_desc(struct zoc_nvme_ctrl *ctrl, u32 nsid,
			       void *buf)
{
	struct nvme_ns_id_desc *desc = buf;

	if (nsid != ZOC_NVME_NSID)
		return NVME_SC_INVALID_NS | NVME_STATUS_DNR;
	desc->nidt = NVME_NIDT_NGUID;
	desc->nidl = NVME_NIDT_NGUID_LEN;
	memcpy(desc + 1, ctrl->nguid, NVME_NIDT_NGUID_LEN);
	desc = (void *)(desc + 1) + NVME_NIDT_NGUID_LEN;
	desc->nidt = NVME_NIDT_CSI;
	desc->nidl = NVME_NIDT_CSI_LEN;
	*(u8 *)(desc + 1) = NVME_CSI_NVM;
	return NVME_SC_SUCCESS;
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
		status = zoc_nvme_id_ns(ctrl, nsid, buf);
		break;
	case NVME_ID_CNS_CTRL:
		zoc_nvme_id_ctrl(ctrl, buf);
		status = NVME_SC_SUCCESS;
		break;
	case NVME_ID_CNS_NS_ACTIVE_LIST:
		status = zoc_nvme_id_active_ns(nsid, buf);
		break;
	case NVME_ID_CNS_NS_DESC_LIST:
		status = zoc_nvme_id_ns_desc(ctrl, nsid, buf);
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
		if (set)
			f->async_event = val;
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
 * only reported as events), SMART / health, firmware slots.  NUMD and the
 * offset select a part; what lies past the log reads as zeros.
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
	} *log;
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
		if (!(glp->lsp & ZOC_NVME_LOG_RAE)) {
			spin_lock_irq(&ctrl->lock);
			ctrl->aen_masked = false;
			spin_unlock_irq(&ctrl->lock);
		}
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
out_free_log:
	kfree(log);
	return status;
}

static u16 zoc_nvme_create_cq(struct zoc_nvme_ctrl *ctrl,
			      struct zoc_nvme_cmd *cmd)
{
	struct nvme_create_cq *c = &cmd->sqe.create_cq;
	u16 qid = le16_to_cpu(c->cqid);
	u32 size = le16_to_cpu(c->qsize) + 1;
	u16 flags = le16_to_cpu(c->cq_flags);
	u16 vector = le16_to_cpu(c->irq_vector);
	u64 addr = le64_to_cpu(c->prp1);
	struct zoc_nvme_cq *cq;
	void *ring;

	if (!qid || qid > ctrl->nr_io_queues || ctrl->cq[qid])
		return NVME_SC_QID_INVALID | NVME_STATUS_DNR;
	if (!zoc_nvme_qsize_ok(size))
		return NVME_SC_QUEUE_SIZE | NVME_STATUS_DNR;
	if (!(flags & NVME_QUEUE_PHYS_CONTIG))
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	if (vector > ctrl->nr_io_queues)
		return NVME_SC_INVALID_VECTOR | NVME_STATUS_DNR;
	if (!IS_ALIGNED(addr, ZOC_NVME_PAGE_SIZE))
		return NVME_SC_PRP_INVALID_OFFSET | NVME_STATUS_DNR;
	ring = zoc_proxy_host_ptr(ctrl->pdev, addr,
				  size * sizeof(struct nvme_completion));
	if (!ring)
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	cq = zoc_nvme_cq_alloc(ctrl, qid, ring, size, vector,
			       flags & NVME_CQ_IRQ_ENABLED);
	if (!cq)
		return NVME_SC_INTERNAL;
	spin_lock_irq(&ctrl->lock);
	ctrl->cq[qid] = cq;
	spin_unlock_irq(&ctrl->lock);
	return NVME_SC_SUCCESS;
}

static u16 zoc_nvme_create_sq(struct zoc_nvme_ctrl *ctrl,
			      struct zoc_nvme_cmd *cmd)
{
	struct nvme_create_sq *c = &cmd->sqe.create_sq;
	u16 qid = le16_to_cpu(c->sqid);
	u16 cqid = le16_to_cpu(c->cqid);
	u32 size = le16_to_cpu(c->qsize) + 1;
	u64 addr = le64_to_cpu(c->prp1);
	struct zoc_nvme_cq *cq;
	struct zoc_nvme_sq *sq;
	void *ring;

	if (!qid || qid > ctrl->nr_io_queues || ctrl->sq[qid])
		return NVME_SC_QID_INVALID | NVME_STATUS_DNR;
	if (!cqid || cqid > ctrl->nr_io_queues || !ctrl->cq[cqid])
		return NVME_SC_CQ_INVALID | NVME_STATUS_DNR;
	cq = ctrl->cq[cqid];
	if (!zoc_nvme_qsize_ok(size))
		return NVME_SC_QUEUE_SIZE | NVME_STATUS_DNR;
	if (!(le16_to_cpu(c->sq_flags) & NVME_QUEUE_PHYS_CONTIG))
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	if (!IS_ALIGNED(addr, ZOC_NVME_PAGE_SIZE))
		return NVME_SC_PRP_INVALID_OFFSET | NVME_STATUS_DNR;
	ring = zoc_proxy_host_ptr(ctrl->pdev, addr,
				  size * sizeof(struct nvme_command));
	if (!ring)
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	sq = zoc_nvme_sq_alloc(ctrl, qid, ring, size, cq);
	if (!sq)
		return NVME_SC_INTERNAL;
	cq->sqs++;
	spin_lock_irq(&ctrl->lock);
	ctrl->sq[qid] = sq;
	spin_unlock_irq(&ctrl->lock);
	return NVME_SC_SUCCESS;
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
	kfree(sq);
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
	} else if (ctrl->nr_aers > ZOC_NVME_AERL) {
		status = NVME_SC_ASYNC_LIMIT | NVME_STATUS_DNR;
	} else {
		ctrl->aer[ctrl->nr_aers++] = cmd;
	}
	spin_unlock_irq(&ctrl->lock);
	return status;
}

/*
 * Doorbell Buffer Config: PRP1 is the shadow doorbell page, PRP2 the event
 * index page.  The I/O queues take their tails and heads from there from
 * now on; the admin queue keeps its registers, as the Linux driver does.
 */
static u16 zoc_nvme_dbbuf(struct zoc_nvme_ctrl *ctrl, struct zoc_nvme_cmd *cmd)
{
	u64 db_addr = le64_to_cpu(cmd->sqe.dbbuf.prp1);
	u64 ei_addr = le64_to_cpu(cmd->sqe.dbbuf.prp2);
	size_t len = (ctrl->nr_io_queues + 1) * 2 * sizeof(__le32);
	__le32 *dbs, *eis;
	unsigned int qid;

	if (!IS_ALIGNED(db_addr, ZOC_NVME_PAGE_SIZE) ||
	    !IS_ALIGNED(ei_addr, ZOC_NVME_PAGE_SIZE))
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	dbs = zoc_proxy_host_ptr(ctrl->pdev, db_addr, len);
	eis = zoc_proxy_host_ptr(ctrl->pdev, ei_addr, len);
	if (!dbs || !eis)
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	WRITE_ONCE(ctrl->eis, eis);
	/* @eis before @dbs; pairs with zoc_nvme_shadow_db(). */
	smp_store_release(&ctrl->dbs, dbs);
	/* The works look at the shadow tails from now on. */
	for (qid = 1; qid <= ctrl->nr_io_queues; qid++) {
		if (ctrl->sq[qid])
			zoc_nvme_sq_kick(ctrl->sq[qid]);
	}
	return NVME_SC_SUCCESS;
}

static u16 zoc_nvme_admin_cmd(struct zoc_nvme_ctrl *ctrl,
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

/* One pass over the admin queue, from the control work. */
static void zoc_nvme_admin_pass(struct zoc_nvme_ctrl *ctrl)
{
	struct zoc_nvme_sq *sq = ctrl->sq[0];
	unsigned int budget = ZOC_NVME_ADMIN_BUDGET;
	struct zoc_nvme_cmd *cmd;

	zoc_nvme_cq_hold(sq->cq);
	while ((cmd = zoc_nvme_sq_fetch(sq))) {
		zoc_nvme_finish(cmd, zoc_nvme_admin_cmd(ctrl, cmd));
		if (!--budget) {
			queue_work(ctrl->wq, &ctrl->work);
			break;
		}
	}
	zoc_nvme_cq_release(sq->cq);
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

static blk_status_t zoc_nvme_flush_backend(struct zoc_nvme_ctrl *ctrl)
{
	struct zoc_nvme_sync sync = {
		.breq.op = ZOC_BLKBACK_FLUSH,
		.breq.done = zoc_nvme_sync_done,
	};

	init_completion(&sync.done);
	zoc_blkback_submit(ctrl->bb, &sync.breq);
	wait_for_completion(&sync.done);
	return sync.status;
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
	zoc_nvme_free_cmds(&dropped);
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

	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		spin_lock_irq(&ctrl->lock);
		sq = ctrl->sq[qid];
		cq = ctrl->cq[qid];
		ctrl->sq[qid] = NULL;
		ctrl->cq[qid] = NULL;
		spin_unlock_irq(&ctrl->lock);
		kfree(sq);
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
	spin_lock_irq(&ctrl->lock);
	ctrl->aen_pending = 0;
	ctrl->aen_masked = false;
	spin_unlock_irq(&ctrl->lock);
	ctrl->feat = zoc_nvme_default_features;
	ctrl->enabled = false;
	ctrl->shut_down = false;
	zoc_nvme_stat(ctrl, ZOC_DEV_STAT_RESETS);
	zoc_nvme_set_csts(ctrl, 0);
}

/*
 * CC.EN went to 1: set up the admin queues and report ready, or report a
 * fatal status (the host resets us) if they cannot be used.
 */
static void zoc_nvme_enable(struct zoc_nvme_ctrl *ctrl, u32 cc)
{
	struct zoc_nvme_sq *sq;
	struct zoc_nvme_cq *cq;
	u32 aqa, sqs, cqs;
	void *sring, *cring;
	const char *why;
	u64 asq, acq;

	spin_lock_irq(&ctrl->lock);
	aqa = ctrl->aqa;
	asq = ctrl->asq;
	acq = ctrl->acq;
	spin_unlock_irq(&ctrl->lock);
	sqs = FIELD_GET(ZOC_NVME_AQA_ASQS, aqa) + 1;
	cqs = FIELD_GET(ZOC_NVME_AQA_ACQS, aqa) + 1;

	why = "unsupported configuration";
	if ((cc & ZOC_NVME_CC_CONFIG) != ZOC_NVME_CC_WANTED)
		goto out_refused;
	why = "admin queue size";
	if (!zoc_nvme_qsize_ok(sqs) || !zoc_nvme_qsize_ok(cqs))
		goto out_refused;
	why = "admin queue address";
	if (!IS_ALIGNED(asq, ZOC_NVME_PAGE_SIZE) ||
	    !IS_ALIGNED(acq, ZOC_NVME_PAGE_SIZE))
		goto out_refused;
	sring = zoc_proxy_host_ptr(ctrl->pdev, asq,
				   sqs * sizeof(struct nvme_command));
	cring = zoc_proxy_host_ptr(ctrl->pdev, acq,
				   cqs * sizeof(struct nvme_completion));
	if (!sring || !cring)
		goto out_refused;

	cq = zoc_nvme_cq_alloc(ctrl, 0, cring, cqs, 0, true);
	sq = cq ? zoc_nvme_sq_alloc(ctrl, 0, sring, sqs, cq) : NULL;
	if (!sq) {
		kfree(cq);
		pr_warn_ratelimited("%s: cannot enable: out of memory\n",
				    ctrl->name);
		goto out_fatal;
	}
	cq->sqs = 1;
	spin_lock_irq(&ctrl->lock);
	ctrl->cq[0] = cq;
	ctrl->sq[0] = sq;
	/* A reset written meanwhile is the next thing the work does. */
	ctrl->ready = !ctrl->reset_pending;
	spin_unlock_irq(&ctrl->lock);
	ctrl->enabled = true;
	zoc_nvme_set_csts(ctrl, NVME_CSTS_RDY);
	return;

out_refused:
	pr_warn_ratelimited("%s: cannot enable: %s (CC %#x, AQA %#x)\n",
			    ctrl->name, why, cc, aqa);
	zoc_nvme_stat(ctrl, ZOC_DEV_STAT_INVALID);
out_fatal:
	zoc_nvme_set_csts(ctrl, NVME_CSTS_CFS);
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
	spin_unlock_irqrestore(&ctrl->lock, flags);
}

/* A submission queue tail doorbell; lock held.  Returns an event or 0. */
static u32 zoc_nvme_sq_doorbell(struct zoc_nvme_sq *sq, u32 value)
{
	if (!sq)
		return ZOC_NVME_AEN_DB_REG;
	if (value >= sq->size)
		return ZOC_NVME_AEN_DB_VALUE;
	WRITE_ONCE(sq->db, value);
	zoc_nvme_sq_kick(sq);
	return 0;
}

/* A completion queue head doorbell: room for the backlog.  Lock held. */
static u32 zoc_nvme_cq_doorbell(struct zoc_nvme_cq *cq, u32 value)
{
	LIST_HEAD(done);
	bool ok;

	if (!cq)
		return ZOC_NVME_AEN_DB_REG;
	spin_lock(&cq->lock);
	ok = zoc_nvme_cq_set_head(cq, value);
	if (ok) {
		zoc_nvme_cq_flush(cq, &done);
		zoc_nvme_cq_retire(&done);
	}
	spin_unlock(&cq->lock);
	zoc_nvme_free_cmds(&done);
	return ok ? 0 : ZOC_NVME_AEN_DB_VALUE;
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
	img->vendor = cpu_to_le16(vendor);
	img->device = cpu_to_le16(device);
	img->subsystem_vendor = cpu_to_le16(vendor);
	img->subsystem_device = cpu_to_le16(device);
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

static int zoc_nvme_create(struct zoc_pdev *pdev,
			   const struct zoc_proxy_params *params)
{
	unsigned int queues = params->queues ?: ZOC_NVME_DEF_QUEUES;
	size_t len = strnlen(params->name, sizeof(params->name));
	__le64 cap = cpu_to_le64(ZOC_NVME_CAP);
	__le32 vs = cpu_to_le32(ZOC_NVME_VS);
	struct zoc_nvme_ctrl *ctrl;
	unsigned int block_size;
	size_t i;
	int ret;

	/* The name makes the serial number and the NQN: printable ASCII. */
	if (!len || len == sizeof(params->name) || queues > ZOC_NVME_MAX_QUEUES)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!isgraph(params->name[i]))
			return -EINVAL;
	}

	ctrl = kzalloc(sizeof(*ctrl), GFP_KERNEL);
	if (!ctrl)
		return -ENOMEM;
	ctrl->pdev = pdev;
	memcpy(ctrl->name, params->name, len);
	memcpy(ctrl->nguid, params->name, len);
	ctrl->nr_io_queues = queues;
	ctrl->shadow_db = !(params->flags & ZOC_DEV_F_NO_SHADOW_DB);
	INIT_WORK(&ctrl->work, zoc_nvme_ctrl_work);
	spin_lock_init(&ctrl->lock);
	ctrl->feat = zoc_nvme_default_features;

	ctrl->bb = zoc_blkback_open(pdev, params->backend);
	if (IS_ERR(ctrl->bb)) {
		ret = PTR_ERR(ctrl->bb);
		goto out_free_ctrl;
	}
	block_size = zoc_blkback_block_size(ctrl->bb);
	ctrl->lbads = ilog2(block_size);
	ctrl->nsze = zoc_blkback_capacity(ctrl->bb) >>
		     (ctrl->lbads - SECTOR_SHIFT);

	ctrl->wq = alloc_workqueue("zoc-nvme-%s", WQ_UNBOUND | WQ_HIGHPRI, 0,
				   ctrl->name);
	if (!ctrl->wq) {
		ret = -ENOMEM;
		goto out_close_backend;
	}

	zoc_nvme_image(ctrl, &pdev->image);
	pdev->priv = ctrl;
	zoc_proxy_shadow_write(pdev, ZOC_NVME_SHADOW_CAP, &cap, sizeof(cap));
	zoc_proxy_shadow_write(pdev, ZOC_NVME_SHADOW_CAP + NVME_REG_VS, &vs,
			       sizeof(vs));
	zoc_nvme_set_csts(ctrl, 0);
	pr_info("%s: %llu blocks of %u bytes on %s, %u I/O queues\n",
		ctrl->name, ctrl->nsze, block_size, params->backend, queues);
	return 0;

out_close_backend:
	zoc_blkback_close(ctrl->bb);
out_free_ctrl:
	kfree(ctrl);
	return ret;
}

static void zoc_nvme_destroy(struct zoc_pdev *pdev)
{
	struct zoc_nvme_ctrl *ctrl = pdev->priv;

	spin_lock_irq(&ctrl->lock);
	ctrl->dying = true;
	ctrl->ready = false;
	spin_unlock_irq(&ctrl->lock);
	cancel_work_sync(&ctrl->work);
	zoc_nvme_quiesce(ctrl);
	zoc_nvme_free_queues(ctrl);
	destroy_workqueue(ctrl->wq);
	zoc_blkback_close(ctrl->bb);
	kfree(ctrl);
}

static struct zoc_proxy_model zoc_nvme_model = {
	.type = ZOC_DEV_NVME,
	.name = "nvme",
	.owner = THIS_MODULE,
	.create = zoc_nvme_create,
	.destroy = zoc_nvme_destroy,
	.mmio_read = zoc_nvme_mmio_read,
	.mmio_write = zoc_nvme_mmio_write,
	.doorbell = zoc_nvme_doorbell,
};

static int __init zoc_nvme_init(void)
{
	int ret;

	zoc_nvme_cmd_cache = KMEM_CACHE(zoc_nvme_cmd, 0);
	if (!zoc_nvme_cmd_cache)
		return -ENOMEM;
	ret = zoc_proxy_register_model(&zoc_nvme_model);
	if (ret)
		kmem_cache_destroy(zoc_nvme_cmd_cache);
	return ret;
}

static void __exit zoc_nvme_exit(void)
{
	zoc_proxy_unregister_model(&zoc_nvme_model);
	kmem_cache_destroy(zoc_nvme_cmd_cache);
}

module_init(zoc_nvme_init);
module_exit(zoc_nvme_exit);
MODULE_DESCRIPTION("ZOC NVMe controller model");
MODULE_LICENSE("GPL");
