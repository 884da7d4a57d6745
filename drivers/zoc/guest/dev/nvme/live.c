// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC NVMe controller model: the live record, what a model needs to take a
 * controller over after its service VM died serving it.
 *
 * The registers go to the record's copies (saved.c, zoc_nvme_record()).
 * The track, here, is what moves with every command: for each queue pair,
 * the next submission entry to fetch and how many were fetched, and where
 * the next completion goes with its phase; and a table of the commands
 * fetched and not yet completed, each a copy of its submission entry, its
 * queue and its fetch count: the host may fill an entry again once a
 * completion reports it fetched, so the queue itself cannot be read again.
 * Each change is ordered so that a crash at any instant leaves a track a
 * recovery can read back:
 *
 * - fetching writes the command's slot (the entry last: its state), then
 *   the queue's head and count;
 * - posting marks the slot with where its completion goes and its phase,
 *   then writes the completion (its phase tag last), then the queue's
 *   tail; the slot is freed once the completion is retired.
 *
 * zoc_nvme_track_recover() trusts the completion queues in host memory: a
 * command whose completion is there, with its phase, was seen; every
 * other command in the table runs again, oldest first, before the queue's
 * next.  The table has ZOC_NVME_TRACKED slots: that many commands are in
 * flight at most in a controller, ZOC_NVME_TRACK_ADMIN of them kept for
 * its admin queue.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/nvme.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "../../zoc_proxy.h"
#include "nvme.h"

/* struct zoc_nvme_track_cmd.state */
#define ZOC_NVME_TRACK_FETCHED	1
#define ZOC_NVME_TRACK_POSTING	2

/**
 * struct zoc_nvme_track_queue - a queue pair in the track (little-endian)
 * @sq_count: commands fetched from the submission queue since it was made
 * @sq_head: the next submission entry to fetch
 * @cq_tail: where the next completion goes
 * @cq_phase: its phase tag
 * @reserved: zero
 */
struct zoc_nvme_track_queue {
	__le32 sq_count;
	__le16 sq_head;
	__le16 cq_tail;
	u8 cq_phase;
	u8 reserved[7];
};

/**
 * struct zoc_nvme_track_cmd - a command fetched and not completed
 *	(little-endian)
 * @state: 0 (free), ZOC_NVME_TRACK_FETCHED or ZOC_NVME_TRACK_POSTING;
 *	written last
 * @cq_phase: POSTING: the phase tag of its completion
 * @sqid: its submission queue
 * @count: its fetch count in that queue
 * @cq_pos: POSTING: where its completion goes
 * @reserved: zero
 * @sqe: its submission entry, as fetched
 */
struct zoc_nvme_track_cmd {
	u8 state;
	u8 cq_phase;
	__le16 sqid;
	__le32 count;
	__le16 cq_pos;
	u8 reserved[6];
	struct nvme_command sqe;
};

/**
 * struct zoc_nvme_track - a controller's track in its live record
 * @q: its queue pairs, by identifier
 * @cmd: its commands in flight
 */
struct zoc_nvme_track {
	struct zoc_nvme_track_queue q[ZOC_NVME_MAX_QUEUES + 1];
	struct zoc_nvme_track_cmd cmd[ZOC_NVME_TRACKED];
};

static_assert(sizeof(struct zoc_nvme_track) <= ZOC_PROXY_LIVE_TRACK);

static void zoc_nvme_track_work(struct work_struct *work);

/**
 * zoc_nvme_track_init - a controller's track, in its live record
 * @ctrl: the controller, being created
 * @fresh: a new controller: its track starts empty.  Else it is taken
 *	over, and the track stays as it is until then.
 */
void zoc_nvme_track_init(struct zoc_nvme_ctrl *ctrl, bool fresh)
{
	size_t len;

	ctrl->track = zoc_proxy_live_track(ctrl->pdev, &len);
	spin_lock_init(&ctrl->track_lock);
	ctrl->track_free = ZOC_NVME_TRACKED;
	INIT_WORK(&ctrl->track_work, zoc_nvme_track_work);
	if (fresh)
		zoc_nvme_track_clear(ctrl);
}

/**
 * zoc_nvme_track_clear - nothing fetched, nothing in flight
 * @ctrl: the controller, taking over a saved state, or new
 */
void zoc_nvme_track_clear(struct zoc_nvme_ctrl *ctrl)
{
	memset(ctrl->track, 0, sizeof(*ctrl->track));
}

/*
 * A slot for a command of the admin queue (@admin) or an I/O queue, taken;
 * or -1 if none is free: the queue's work is kicked again when one is.
 */
static int zoc_nvme_track_get(struct zoc_nvme_ctrl *ctrl, bool admin)
{
	unsigned long flags;
	int slot = -1;

	spin_lock_irqsave(&ctrl->track_lock, flags);
	if (ctrl->track_free > (admin ? 0 : ZOC_NVME_TRACK_ADMIN)) {
		slot = find_first_zero_bit(ctrl->track_used, ZOC_NVME_TRACKED);
		__set_bit(slot, ctrl->track_used);
		ctrl->track_free--;
	} else {
		ctrl->track_full = true;
	}
	spin_unlock_irqrestore(&ctrl->track_lock, flags);
	return slot;
}

/* Slot @slot, kept by a recovery: taken. */
static void zoc_nvme_track_keep(struct zoc_nvme_ctrl *ctrl, int slot)
{
	spin_lock_irq(&ctrl->track_lock);
	if (!__test_and_set_bit(slot, ctrl->track_used))
		ctrl->track_free--;
	spin_unlock_irq(&ctrl->track_lock);
}

/* Every queue looks for commands again: a slot is free. */
static void zoc_nvme_track_work(struct work_struct *work)
{
	struct zoc_nvme_ctrl *ctrl = container_of(work, struct zoc_nvme_ctrl,
						  track_work);
	unsigned int qid;

	spin_lock_irq(&ctrl->lock);
	for (qid = 1; qid <= ctrl->nr_io_queues; qid++) {
		if (ctrl->sq[qid])
			zoc_nvme_sq_kick(ctrl->sq[qid]);
	}
	if (!ctrl->dying)
		queue_work(ctrl->wq, &ctrl->work);
	spin_unlock_irq(&ctrl->lock);
}

/**
 * zoc_nvme_track_release - a slot is free again
 * @ctrl: the controller
 * @slot: the slot, taken
 *
 * Context: any.
 */
void zoc_nvme_track_release(struct zoc_nvme_ctrl *ctrl, int slot)
{
	unsigned long flags;
	bool kick;

	WRITE_ONCE(ctrl->track->cmd[slot].state, 0);
	spin_lock_irqsave(&ctrl->track_lock, flags);
	__clear_bit(slot, ctrl->track_used);
	ctrl->track_free++;
	kick = ctrl->track_full;
	ctrl->track_full = false;
	spin_unlock_irqrestore(&ctrl->track_lock, flags);
	if (kick)
		queue_work(ctrl->wq, &ctrl->track_work);
}

/**
 * zoc_nvme_track_put - a command is retired: its slot is free
 * @cmd: the command; its completion posted, or dropped
 *
 * Context: its completion queue's lock held.
 */
void zoc_nvme_track_put(struct zoc_nvme_cmd *cmd)
{
	if (cmd->slot < 0)
		return;
	zoc_nvme_track_release(cmd->sq->ctrl, cmd->slot);
	cmd->slot = -1;
}

/**
 * zoc_nvme_track_fetch - take a slot for a command about to be fetched
 * @sq: its submission queue, from its work
 *
 * Return: the slot, or -1 if the table is full.
 */
int zoc_nvme_track_fetch(struct zoc_nvme_sq *sq)
{
	return zoc_nvme_track_get(sq->ctrl, !sq->qid);
}

/**
 * zoc_nvme_track_fetched - a command was fetched into its slot
 * @cmd: the command, its entry copied, its slot taken
 * @count: its fetch count in its queue
 */
void zoc_nvme_track_fetched(struct zoc_nvme_cmd *cmd, u32 count)
{
	struct zoc_nvme_track_cmd *t = &cmd->sq->ctrl->track->cmd[cmd->slot];

	WRITE_ONCE(t->state, 0);
	/* Marked free while it is written */
	virt_wmb();
	t->sqid = cpu_to_le16(cmd->sq->qid);
	t->count = cpu_to_le32(count);
	memcpy(&t->sqe, &cmd->sqe, sizeof(t->sqe));
	/* Whole before it counts, and before the queue's head moves */
	virt_wmb();
	WRITE_ONCE(t->state, ZOC_NVME_TRACK_FETCHED);
}

/**
 * zoc_nvme_track_sq - a submission queue's head and count moved
 * @sq: the queue, from its work
 */
void zoc_nvme_track_sq(struct zoc_nvme_sq *sq)
{
	struct zoc_nvme_track_queue *q = &sq->ctrl->track->q[sq->qid];

	WRITE_ONCE(q->sq_head, cpu_to_le16(sq->head));
	WRITE_ONCE(q->sq_count, cpu_to_le32(sq->count));
}

/**
 * zoc_nvme_track_posting - a command's completion is about to be posted
 * @cq: its completion queue, its lock held
 * @cmd: the command
 */
void zoc_nvme_track_posting(struct zoc_nvme_cq *cq, struct zoc_nvme_cmd *cmd)
{
	struct zoc_nvme_track_cmd *t;

	if (cmd->slot < 0)
		return;
	t = &cq->ctrl->track->cmd[cmd->slot];
	WRITE_ONCE(t->cq_pos, cpu_to_le16(cq->tail));
	WRITE_ONCE(t->cq_phase, cq->phase);
	/* The place before the state that says it is there */
	virt_wmb();
	WRITE_ONCE(t->state, ZOC_NVME_TRACK_POSTING);
	/* Marked before the completion is written */
	virt_wmb();
}

/**
 * zoc_nvme_track_cq - a completion queue's tail moved
 * @cq: the queue, its lock held
 */
void zoc_nvme_track_cq(struct zoc_nvme_cq *cq)
{
	struct zoc_nvme_track_queue *q = &cq->ctrl->track->q[cq->qid];

	WRITE_ONCE(q->cq_tail, cpu_to_le16(cq->tail));
	WRITE_ONCE(q->cq_phase, cq->phase);
}

/**
 * zoc_nvme_track_queue - a queue's place in the track, from nothing
 * @ctrl: the controller
 * @qid: the queue, just made: nothing fetched or posted
 * @sq: the submission queue @qid, else the completion queue
 *
 * Not for a controller being taken over: its track is the one to read.
 */
void zoc_nvme_track_queue(struct zoc_nvme_ctrl *ctrl, u16 qid, bool sq)
{
	struct zoc_nvme_track_queue *q = &ctrl->track->q[qid];

	if (!ctrl->recording)
		return;
	if (sq) {
		WRITE_ONCE(q->sq_count, 0);
		WRITE_ONCE(q->sq_head, 0);
	} else {
		WRITE_ONCE(q->cq_tail, 0);
		WRITE_ONCE(q->cq_phase, 1);
	}
}

/*
 * The tail of @cq from the track's @q: past it, the completions posted
 * before the track moved carry the current phase.
 */
static bool zoc_nvme_recover_cq(struct zoc_nvme_cq *cq,
				const struct zoc_nvme_track_queue *q)
{
	u32 tail = le16_to_cpu(q->cq_tail), n;
	u16 phase = q->cq_phase;
	u32 head;

	if (tail >= cq->size || phase > 1)
		return false;
	for (n = 0; n < cq->size; n++) {
		if ((le16_to_cpu(READ_ONCE(cq->ring[tail].status)) & 1) != phase)
			break;
		if (++tail == cq->size) {
			tail = 0;
			phase ^= 1;
		}
	}
	head = zoc_proxy_doorbell_last(cq->ctrl->pdev, 2 * cq->qid + 1);
	/*
	 * With shadow doorbells the host writes the shadow first and the
	 * register seldom: the shadow's head is the newer, where the
	 * register's, a lap behind, would show room the host has not made.
	 */
	if (cq->qid && cq->ctrl->dbs)
		head = le32_to_cpu(READ_ONCE(cq->ctrl->dbs[2 * cq->qid + 1]));
	cq->tail = tail;
	cq->phase = phase;
	cq->head = head < cq->size ? head : tail;
	zoc_nvme_track_cq(cq);
	return true;
}

static bool zoc_nvme_recover_sq(struct zoc_nvme_sq *sq,
				const struct zoc_nvme_track_queue *q)
{
	u32 head = le16_to_cpu(q->sq_head);
	u32 db = zoc_proxy_doorbell_last(sq->ctrl->pdev, 2 * sq->qid);

	if (head >= sq->size)
		return false;
	sq->head = head;
	sq->count = le32_to_cpu(q->sq_count);
	sq->tail = head;
	sq->db = db < sq->size ? db : head;
	return true;
}

/* Whether the completion of @t is in its queue, with its phase. */
static bool zoc_nvme_track_posted(struct zoc_nvme_ctrl *ctrl,
				  const struct zoc_nvme_track_cmd *t)
{
	struct zoc_nvme_cq *cq = ctrl->sq[le16_to_cpu(t->sqid)]->cq;
	u32 pos = le16_to_cpu(t->cq_pos);
	struct nvme_completion cqe;

	if (pos >= cq->size)
		return false;
	memcpy(&cqe, &cq->ring[pos], sizeof(cqe));
	return (le16_to_cpu(cqe.status) & 1) == t->cq_phase &&
	       cqe.command_id == t->sqe.common.command_id &&
	       cqe.sq_id == t->sqid;
}

/* Insert @cmd into its queue's commands to run again, oldest first. */
static void zoc_nvme_replay_add(struct zoc_nvme_sq *sq,
				struct zoc_nvme_cmd *cmd)
{
	struct zoc_nvme_cmd *c;

	list_for_each_entry(c, &sq->replay, entry) {
		if ((s32)(cmd->count - c->count) < 0) {
			list_add_tail(&cmd->entry, &c->entry);
			return;
		}
	}
	list_add_tail(&cmd->entry, &sq->replay);
}

/*
 * Command slot @slot of the track copy @t, in flight when the model died:
 * dropped if its completion was seen, completed as recorded if the admin
 * command whose effects the registers have (an Asynchronous Event Request
 * that took an event too), held again if another such request, else run
 * again.  False if it cannot be.
 */
static bool zoc_nvme_recover_cmd(struct zoc_nvme_ctrl *ctrl,
				 const struct zoc_nvme_track_cmd *t, int slot,
				 const struct zoc_nvme_admin_done *done)
{
	u16 sqid = le16_to_cpu(t->sqid);
	u32 count = le32_to_cpu(t->count);
	struct zoc_nvme_cmd *cmd;
	struct zoc_nvme_sq *sq;

	if ((t->state != ZOC_NVME_TRACK_FETCHED &&
	     t->state != ZOC_NVME_TRACK_POSTING) ||
	    sqid > ctrl->nr_io_queues || !ctrl->sq[sqid])
		return false;
	sq = ctrl->sq[sqid];
	/*
	 * Fetched, and the queue's head not moved yet.  Any older count may
	 * be in flight: an event request is held for as long as no event
	 * comes, while the queue goes on.
	 */
	if (count == sq->count) {
		sq->count++;
		sq->head = sq->head + 1 == sq->size ? 0 : sq->head + 1;
		sq->tail = sq->head;
		zoc_nvme_track_sq(sq);
	}
	if (t->state == ZOC_NVME_TRACK_POSTING &&
	    zoc_nvme_track_posted(ctrl, t)) {
		WRITE_ONCE(ctrl->track->cmd[slot].state, 0);
		return true;
	}
	zoc_nvme_track_keep(ctrl, slot);
	cmd = zoc_nvme_sq_adopt(sq, &t->sqe, slot);
	if (!cmd) {
		zoc_nvme_track_release(ctrl, slot);
		return false;
	}
	cmd->count = count;
	WRITE_ONCE(ctrl->track->cmd[slot].state, ZOC_NVME_TRACK_FETCHED);
	/* First: an event request that took an event completes with it */
	if (!sqid && done->valid && count == done->count) {
		cmd->status = done->status;
		cmd->result = done->result;
		cmd->done = true;
	} else if (!sqid && t->sqe.common.opcode == nvme_admin_async_event &&
		   ctrl->nr_aers <= ZOC_NVME_AERL) {
		/* Held again; beyond the limit, run again, and refused */
		spin_lock_irq(&ctrl->lock);
		ctrl->aer[ctrl->nr_aers++] = cmd;
		spin_unlock_irq(&ctrl->lock);
		return true;
	}
	zoc_nvme_replay_add(sq, cmd);
	return true;
}

/**
 * zoc_nvme_track_recover - a controller goes on from the track of a model
 *	that died
 * @ctrl: the controller, its queues made from the recorded registers; no
 *	work runs yet
 * @track: a copy of the dead model's track; untrusted
 * @done: the admin command whose effects the registers have
 *
 * Return: true, or false if the track does not fit the queues: the
 * controller fails.
 */
bool zoc_nvme_track_recover(struct zoc_nvme_ctrl *ctrl, const void *track,
			    const struct zoc_nvme_admin_done *done)
{
	const struct zoc_nvme_track *t = track;
	unsigned int qid, i, n = 0;

	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		if (ctrl->cq[qid] && !zoc_nvme_recover_cq(ctrl->cq[qid],
							  &t->q[qid]))
			return false;
		if (ctrl->sq[qid] && !zoc_nvme_recover_sq(ctrl->sq[qid],
							  &t->q[qid]))
			return false;
	}
	for (i = 0; i < ZOC_NVME_TRACKED; i++) {
		if (!t->cmd[i].state)
			continue;
		if (!zoc_nvme_recover_cmd(ctrl, &t->cmd[i], i, done))
			return false;
		n++;
	}
	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		if (ctrl->sq[qid])
			zoc_nvme_track_sq(ctrl->sq[qid]);
	}
	pr_info("%s: recovered, %u commands in the track\n", ctrl->name, n);
	return true;
}

/**
 * zoc_nvme_replay - the next command a dead model left to run again
 * @sq: the queue, from its work
 *
 * Return: the command, or NULL.
 */
struct zoc_nvme_cmd *zoc_nvme_replay(struct zoc_nvme_sq *sq)
{
	struct zoc_nvme_cmd *cmd;

	/* Paused, it still runs what it fetched: zoc_nvme_pause() waits. */
	if (READ_ONCE(sq->stopped))
		return NULL;
	cmd = list_first_entry_or_null(&sq->replay, struct zoc_nvme_cmd,
				       entry);
	if (cmd)
		list_del(&cmd->entry);
	return cmd;
}
