// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC NVMe controller model: the submission and completion queues.
 * Fetching commands and posting their completions, in host memory; the
 * shadow doorbells and event indexes; interrupts; the queues' works, and
 * the doorbells that start them.
 */

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/nvme.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <linux/zoc_link.h>

#include "../../zoc_proxy.h"
#include "nvme.h"

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
	struct zoc_pdev *pdev = cq->ctrl->pdev;
	u64 posted = xchg(&cq->posted, 0);

	zoc_proxy_irq(pdev, cq->vector);
	zoc_proxy_stage(pdev, ZOC_DEV_STAT_NOTIFY_NS, posted);
}

/* The interrupt for entries posted now is due: time its wait. */
static void zoc_nvme_cq_irq_queue(struct zoc_nvme_cq *cq)
{
	zoc_proxy_stage_begin(&cq->posted);
	irq_work_queue(&cq->irq_work);
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
		zoc_nvme_cq_irq_queue(cq);
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
		zoc_nvme_cq_irq_queue(cq);
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
	zoc_nvme_track_posting(cq, cmd);
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
	zoc_nvme_track_cq(cq);
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

/* --- submission queues --------------------------------------------------- */

static bool zoc_nvme_sq_halted(struct zoc_nvme_sq *sq)
{
	return READ_ONCE(sq->stopped) || READ_ONCE(sq->paused);
}

void zoc_nvme_sq_kick(struct zoc_nvme_sq *sq)
{
	struct zoc_nvme_ctrl *ctrl = sq->ctrl;

	if (zoc_nvme_sq_halted(sq))
		return;
	if (!sq->qid) {
		queue_work(ctrl->wq, &ctrl->work);
		return;
	}
	/* From here to the first command the work takes: its wait. */
	zoc_proxy_kick(ctrl->pdev, sq->qid - 1, ctrl->wq, &sq->work,
		       &sq->kicked);
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
	/* A pause waits for what runs in the backend (saved.c). */
	if (!left || READ_ONCE(sq->paused))
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

/*
 * The commands on @done are done with: each goes back to its submission
 * queue's free commands, then the queue is put.  CQ lock held.  A command
 * may be fetched again at once: @done is not a list any more.
 */
void zoc_nvme_cq_retire(struct list_head *done)
{
	struct zoc_nvme_cmd *cmd, *tmp;
	struct zoc_nvme_sq *sq;

	list_for_each_entry_safe(cmd, tmp, done, entry) {
		sq = cmd->sq;
		zoc_nvme_track_put(cmd);
		/* Free before the count drops: see zoc_nvme_sq_fetch(). */
		llist_add(&cmd->free, &sq->free);
		zoc_nvme_sq_put(sq);
	}
}

/*
 * Complete @cmd: post its entry, or queue it behind the backlog until the
 * host makes room.  A stopped queue's host gave up on its commands: what
 * finds no room is dropped.  Any context.
 */
void zoc_nvme_complete(struct zoc_nvme_cmd *cmd)
{
	struct zoc_nvme_sq *sq = cmd->sq;
	struct zoc_nvme_cq *cq = sq->cq;
	unsigned long flags;
	LIST_HEAD(done);

	zoc_proxy_stage(sq->ctrl->pdev, ZOC_DEV_STAT_DONE_NS, cmd->ended);
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
		if (READ_ONCE(sq->paused))
			wake_up_var(&sq->outstanding);
	}
	zoc_nvme_cq_retire(&done);
	spin_unlock_irqrestore(&cq->lock, flags);
}

static void zoc_nvme_finish(struct zoc_nvme_cmd *cmd, u16 status)
{
	if (status == ZOC_NVME_ASYNC)
		return;
	cmd->status = status;
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
		if (tail == sq->tail && (atomic_read(&sq->outstanding) ||
					 READ_ONCE(sq->polling)))
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

/*
 * A free command of @sq made outstanding, with a copy of @sqe, in slot
 * @slot of the controller's track; NULL if @size are outstanding already.
 * Its queue's work, or a queue not running yet.
 */
struct zoc_nvme_cmd *zoc_nvme_sq_adopt(struct zoc_nvme_sq *sq,
				       const struct nvme_command *sqe, int slot)
{
	struct zoc_nvme_cmd *cmd;
	struct llist_node *node;

	/*
	 * A full pipeline resumes from zoc_nvme_sq_put().  Below @size, a
	 * command is free: zoc_nvme_cq_retire() gives it back before the
	 * count drops, and the acquire orders our look at @free after.
	 */
	if (atomic_read_acquire(&sq->outstanding) >= sq->size)
		return NULL;
	node = llist_del_first(&sq->free);
	if (WARN_ON_ONCE(!node))
		return NULL;
	cmd = llist_entry(node, struct zoc_nvme_cmd, free);
	memcpy(&cmd->sqe, sqe, sizeof(cmd->sqe));
	atomic_inc(&sq->outstanding);
	cmd->sq = sq;
	cmd->result = 0;
	cmd->status = NVME_SC_SUCCESS;
	cmd->nr_segs = 0;
	cmd->dsm = NULL;
	cmd->slot = slot;
	cmd->count = sq->count;
	cmd->done = false;
	cmd->taken = 0;
	cmd->ended = 0;
	return cmd;
}

/*
 * The next command of @sq, or NULL: empty, halted, enough in flight, or
 * the controller's track full.  The command in the track first, then the
 * queue's head past it.
 */
static struct zoc_nvme_cmd *zoc_nvme_sq_fetch(struct zoc_nvme_sq *sq)
{
	struct zoc_nvme_cmd *cmd;
	int slot;

	if (zoc_nvme_sq_halted(sq))
		return NULL;
	if (sq->head == sq->tail && !zoc_nvme_sq_refresh(sq))
		return NULL;
	slot = zoc_nvme_track_fetch(sq);
	if (slot < 0)
		return NULL;
	cmd = zoc_nvme_sq_adopt(sq, &sq->ring[sq->head], slot);
	if (!cmd) {
		zoc_nvme_track_release(sq->ctrl, slot);
		return NULL;
	}
	zoc_nvme_track_fetched(cmd, sq->count);
	sq->count++;
	WRITE_ONCE(sq->head, sq->head + 1 == sq->size ? 0 : sq->head + 1);
	zoc_nvme_track_sq(sq);
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

/**
 * zoc_nvme_sq_drop_replay - drop what a model that died left to run again
 * @sq: the queue, stopped, its work not running
 */
void zoc_nvme_sq_drop_replay(struct zoc_nvme_sq *sq)
{
	LIST_HEAD(dropped);

	spin_lock_irq(&sq->cq->lock);
	list_splice_tail_init(&sq->replay, &dropped);
	zoc_nvme_cq_retire(&dropped);
	spin_unlock_irq(&sq->cq->lock);
}

/*
 * Wait until nothing of the stopped @sq is in flight.  What waits for room
 * in its CQ, or to run again after a recovery, is dropped; what runs in
 * the backend is posted or dropped as it ends.
 */
void zoc_nvme_sq_drain(struct zoc_nvme_sq *sq)
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
	zoc_nvme_sq_drop_replay(sq);
	wait_var_event(&sq->outstanding, zoc_nvme_sq_idle(sq));
	/* Completions before the last may have kicked the work again. */
	cancel_work_sync(&sq->work);
}

/*
 * The host moved the shadow tail: 1; not yet: 0; the queue halted: -1.
 * A tail past the queue is no move: zoc_nvme_sq_refresh() refuses it, and
 * taken for one, it would make the work poll again at once, for as long
 * as the host leaves it there.
 */
static int zoc_nvme_sq_moved(void *arg)
{
	struct zoc_nvme_sq *sq = arg;
	__le32 *shadow = zoc_nvme_shadow_db(sq->ctrl, 2 * sq->qid);
	u32 tail;

	if (!shadow || zoc_nvme_sq_halted(sq))
		return -1;
	tail = le32_to_cpu(READ_ONCE(*shadow));
	return tail != sq->tail && tail < sq->size;
}

/*
 * Performance mode: look at the shadow tail until the host moves it, for
 * the queue's poll window at most; true if it did.  The event index stays
 * behind meanwhile, so the host does not ring (zoc_nvme_sq_refresh()).
 */
static bool zoc_nvme_sq_poll(struct zoc_nvme_sq *sq)
{
	return zoc_proxy_poll(sq->ctrl->pdev, &sq->poller, zoc_nvme_sq_moved,
			      sq);
}

/* How a pass over a submission queue ended */
enum zoc_nvme_pass {
	ZOC_NVME_PASS_DRY,	/* every entry the host wrote was taken */
	ZOC_NVME_PASS_BLOCKED,	/* entries wait: pipeline or track full */
	ZOC_NVME_PASS_BUDGET,	/* the work's budget ran out */
};

/* A pass over @sq, on the work's @budget */
static enum zoc_nvme_pass zoc_nvme_sq_pass(struct zoc_nvme_sq *sq,
					   unsigned int *budget, u64 *kicked)
{
	enum zoc_nvme_pass ret = ZOC_NVME_PASS_BLOCKED;
	struct zoc_nvme_cmd *cmd;

	zoc_nvme_cq_hold(sq->cq);
	while ((cmd = zoc_nvme_replay(sq) ?: zoc_nvme_sq_fetch(sq))) {
		/* The wait is the first command's; the others had none. */
		cmd->taken = zoc_proxy_stage(sq->ctrl->pdev,
					     ZOC_DEV_STAT_WAIT_NS, *kicked);
		*kicked = 0;
		zoc_nvme_finish(cmd, zoc_nvme_io_cmd(cmd));
		if (!--*budget) {
			ret = ZOC_NVME_PASS_BUDGET;
			break;
		}
	}
	zoc_nvme_cq_release(sq->cq);
	if (ret == ZOC_NVME_PASS_BLOCKED && sq->head == sq->tail &&
	    list_empty(&sq->replay))
		ret = ZOC_NVME_PASS_DRY;
	return ret;
}

/*
 * An I/O submission queue's work: fetch, check and start its commands.
 * In performance mode (the host's poll time, with shadow doorbells) a
 * queue that ran dry is polled for more; once the poll time passes with
 * nothing new, a last pass asks for a doorbell and the work ends.  A
 * queue whose entries wait for room is not polled: the completion that
 * makes room runs the work again (zoc_nvme_sq_put()).
 */
static void zoc_nvme_sq_work(struct work_struct *work)
{
	struct zoc_nvme_sq *sq = container_of(work, struct zoc_nvme_sq, work);
	struct zoc_nvme_ctrl *ctrl = sq->ctrl;
	unsigned int budget = ZOC_NVME_IO_BUDGET;
	u64 kicked = xchg(&sq->kicked, 0);
	enum zoc_nvme_pass pass;
	bool poll = false;

	if (zoc_nvme_shadow_db(ctrl, 2 * sq->qid))
		poll = zoc_proxy_poll_begin(ctrl->pdev, &sq->poller);
	WRITE_ONCE(sq->polling, poll);
	for (;;) {
		pass = zoc_nvme_sq_pass(sq, &budget, &kicked);
		if (pass == ZOC_NVME_PASS_BUDGET) {
			/* Let the other queues run; come back for the rest. */
			zoc_proxy_queue_work(ctrl->pdev, sq->qid - 1, ctrl->wq,
					     &sq->work);
			return;
		}
		if (!sq->polling)
			return;
		/* What the poll finds waited for no wake-up. */
		kicked = 0;
		cond_resched();
		if (pass == ZOC_NVME_PASS_DRY && zoc_nvme_sq_poll(sq))
			zoc_nvme_stat(ctrl, ZOC_DEV_STAT_POLLED);
		else	/* a last pass, which asks for a doorbell */
			WRITE_ONCE(sq->polling, false);
	}
}

/*
 * A completion queue of @size entries at @base in host memory: an
 * ERR_PTR() if the range is no host memory (-EFAULT) or for want of
 * memory.  Freed with kfree() after irq_work_sync().
 */
struct zoc_nvme_cq *zoc_nvme_cq_alloc(struct zoc_nvme_ctrl *ctrl,
				      u16 qid, u64 base, u32 size,
				      u16 vector, bool ien)
{
	struct nvme_completion *ring;
	struct zoc_nvme_cq *cq;

	ring = zoc_proxy_host_ptr(ctrl->pdev, base, size * sizeof(*ring));
	if (!ring)
		return ERR_PTR(-EFAULT);
	cq = kzalloc(sizeof(*cq), GFP_KERNEL);
	if (!cq)
		return ERR_PTR(-ENOMEM);
	cq->ctrl = ctrl;
	cq->qid = qid;
	cq->size = size;
	cq->vector = vector;
	cq->ien = ien;
	cq->base = base;
	cq->ring = ring;
	init_irq_work(&cq->irq_work, zoc_nvme_cq_irq);
	spin_lock_init(&cq->lock);
	cq->phase = 1;
	INIT_LIST_HEAD(&cq->backlog);
	return cq;
}

/*
 * A submission queue with its commands, one for each entry: nothing is
 * allocated for a command, so that memory pressure fails no command and
 * stops no queue.  An ERR_PTR() as for zoc_nvme_cq_alloc().  Freed by
 * zoc_nvme_sq_free().
 */
struct zoc_nvme_sq *zoc_nvme_sq_alloc(struct zoc_nvme_ctrl *ctrl,
				      u16 qid, u64 base, u32 size,
				      struct zoc_nvme_cq *cq)
{
	struct nvme_command *ring;
	struct zoc_nvme_sq *sq;
	u32 i;

	ring = zoc_proxy_host_ptr(ctrl->pdev, base, size * sizeof(*ring));
	if (!ring)
		return ERR_PTR(-EFAULT);
	sq = kzalloc(sizeof(*sq), GFP_KERNEL);
	if (!sq)
		return ERR_PTR(-ENOMEM);
	sq->cmds = kvcalloc(size, sizeof(*sq->cmds), GFP_KERNEL);
	if (!sq->cmds) {
		kfree(sq);
		return ERR_PTR(-ENOMEM);
	}
	init_llist_head(&sq->free);
	for (i = 0; i < size; i++)
		llist_add(&sq->cmds[i].free, &sq->free);
	INIT_LIST_HEAD(&sq->replay);
	sq->ctrl = ctrl;
	sq->cq = cq;
	sq->qid = qid;
	sq->size = size;
	sq->base = base;
	sq->ring = ring;
	atomic_set(&sq->outstanding, 0);
	INIT_WORK(&sq->work, zoc_nvme_sq_work);
	return sq;
}

/* Free a submission queue that is drained, or was never used. */
void zoc_nvme_sq_free(struct zoc_nvme_sq *sq)
{
	if (!sq)
		return;
	kvfree(sq->cmds);
	kfree(sq);
}

bool zoc_nvme_qsize_ok(u32 size)
{
	return size >= 2 && size <= ZOC_NVME_MAX_QSIZE;
}

/* One pass over the admin queue, from the control work. */
void zoc_nvme_admin_pass(struct zoc_nvme_ctrl *ctrl)
{
	struct zoc_nvme_sq *sq = ctrl->sq[0];
	unsigned int budget = ZOC_NVME_ADMIN_BUDGET;
	struct zoc_nvme_cmd *cmd;
	u16 status;

	zoc_nvme_cq_hold(sq->cq);
	while ((cmd = zoc_nvme_replay(sq) ?: zoc_nvme_sq_fetch(sq))) {
		if (cmd->done) {
			/* Its effects are in the registers already */
			zoc_nvme_complete(cmd);
		} else {
			status = zoc_nvme_admin_cmd(ctrl, cmd);
			if (status != ZOC_NVME_ASYNC)
				zoc_nvme_record_admin(ctrl, cmd, status);
			zoc_nvme_finish(cmd, status);
		}
		if (!--budget) {
			queue_work(ctrl->wq, &ctrl->work);
			break;
		}
	}
	zoc_nvme_cq_release(sq->cq);
}

/* A submission queue tail doorbell; lock held.  Returns an event or 0. */
u32 zoc_nvme_sq_doorbell(struct zoc_nvme_sq *sq, u32 value)
{
	if (!sq)
		return ZOC_NVME_AEN_DB_REG;
	if (value >= sq->size)
		return ZOC_NVME_AEN_DB_VALUE;
	WRITE_ONCE(sq->db, value);
	zoc_proxy_poll_rang(&sq->poller);
	zoc_nvme_sq_kick(sq);
	return 0;
}

/*
 * A completion queue head doorbell: room for the backlog.  Lock held.
 *
 * With shadow doorbells the host writes the shadow head before it rings,
 * and the doorbell only says that the head moved.  It may come after the
 * head moved on: the model reads the shadow when the queue looks full, so
 * by the time a delayed doorbell is handled it may name entries released
 * already.  The shadow is the head then; the value rung only has to be in
 * the queue.
 */
u32 zoc_nvme_cq_doorbell(struct zoc_nvme_cq *cq, u32 value)
{
	LIST_HEAD(done);
	__le32 *shadow;
	bool ok;

	if (!cq)
		return ZOC_NVME_AEN_DB_REG;
	if (value >= cq->size)
		return ZOC_NVME_AEN_DB_VALUE;
	shadow = cq->qid ? zoc_nvme_shadow_db(cq->ctrl, 2 * cq->qid + 1) : NULL;
	spin_lock(&cq->lock);
	/* Under the lock: zoc_nvme_cq_room() takes newer heads under it. */
	if (shadow)
		value = le32_to_cpu(READ_ONCE(*shadow));
	ok = zoc_nvme_cq_set_head(cq, value);
	if (ok) {
		zoc_nvme_cq_flush(cq, &done);
		zoc_nvme_cq_retire(&done);
	}
	spin_unlock(&cq->lock);
	return ok ? 0 : ZOC_NVME_AEN_DB_VALUE;
}
