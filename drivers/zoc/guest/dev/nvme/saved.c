// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC NVMe controller model: the controller's state, saved when the module
 * lets go of a controller that stays with the host's driver, and restored
 * by the next module (drivers/zoc/guest/swap.c).
 *
 * A controller is saved quiesced: its queues fetch no more, and every
 * command it fetched has completed, its entry posted, except the
 * Asynchronous Event Requests it holds, which are saved by identifier.  So
 * a queue's state is its place in host memory and its indexes: the next
 * entry to fetch, the host's last tail, where the next completion goes and
 * its phase.  A completion that finds its queue full cannot be saved: the
 * stock driver gives each submission queue a completion queue as deep, so
 * only a driver that breaks that rule meets it, and its controller is
 * given up.
 *
 * The saved bytes come back through host memory: restoring checks them as
 * the commands and registers that made them were checked, and a state that
 * does not fit the controller reports a fatal status (CSTS.CFS), which
 * makes the host's driver reset it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/irq_work.h>
#include <linux/nvme.h>
#include <linux/spinlock.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "../../zoc_proxy.h"
#include "nvme.h"

/* 3 added the namespaces; a state of 2 has namespace 1 only */
#define ZOC_NVME_SAVED_VERSION	3
#define ZOC_NVME_SAVED_VERSION_ONE_NS	2

/* struct zoc_nvme_saved.flags */
#define ZOC_NVME_SAVED_ENABLED		BIT(0)
#define ZOC_NVME_SAVED_SHUT_DOWN	BIT(1)
#define ZOC_NVME_SAVED_RESET_PENDING	BIT(2)
#define ZOC_NVME_SAVED_AEN_MASKED	BIT(3)
#define ZOC_NVME_SAVED_WCE		BIT(4)
#define ZOC_NVME_SAVED_DBBUF		BIT(5)	/* @dbs and @eis hold pages */
#define ZOC_NVME_SAVED_ADMIN_DONE	BIT(6)	/* @admin_* are valid */
#define ZOC_NVME_SAVED_NS_NOTICE	BIT(7)
#define ZOC_NVME_SAVED_NS_MASKED	BIT(8)

/**
 * struct zoc_nvme_saved_queue - a queue pair's identifier, as saved
 *	(little-endian)
 * @sq_base: the submission queue's address in host memory
 * @cq_base: the completion queue's
 * @sq_size: the submission queue's entries; 0: there is none
 * @cq_size: the completion queue's entries; 0: there is none
 * @sq_cqid: the completion queue the submission queue posts to
 * @sq_head: the next entry to fetch
 * @sq_tail: the host's tail, as last taken
 * @sq_db: the tail last written to the doorbell register
 * @cq_vector: the completion queue's MSI-X vector
 * @cq_head: the host's head, as last taken
 * @cq_tail: where the next completion goes
 * @cq_phase: its phase tag
 * @cq_ien: interrupts enabled
 * @reserved: zero
 */
struct zoc_nvme_saved_queue {
	__le64 sq_base;
	__le64 cq_base;
	__le16 sq_size;
	__le16 cq_size;
	__le16 sq_cqid;
	__le16 sq_head;
	__le16 sq_tail;
	__le16 sq_db;
	__le16 cq_vector;
	__le16 cq_head;
	__le16 cq_tail;
	u8 cq_phase;
	u8 cq_ien;
	u8 reserved[4];
};

/**
 * struct zoc_nvme_saved - a controller, as saved (little-endian)
 * @version: ZOC_NVME_SAVED_VERSION
 * @nr_io_queues: the I/O queue pairs it offers
 * @cc: Controller Configuration
 * @csts: Controller Status
 * @aqa: Admin Queue Attributes, as last written
 * @flags: ZOC_NVME_SAVED_*
 * @asq: Admin Submission Queue Base Address, as last written
 * @acq: Admin Completion Queue Base Address, as last written
 * @dbs: the shadow doorbell page (ZOC_NVME_SAVED_DBBUF)
 * @eis: the event index page (ZOC_NVME_SAVED_DBBUF)
 * @aen_pending: an event for the next request, or 0
 * @arbitration: features, see &struct zoc_nvme_features
 * @power_mgmt: ditto
 * @irq_coalesce: ditto
 * @write_atomic: ditto
 * @async_event: ditto
 * @temp_over: ditto
 * @temp_under: ditto
 * @nr_aers: Asynchronous Event Requests held
 * @aer_cid: their command identifiers, oldest first
 * @reserved: zero
 * @data_read: the SMART log's counters
 * @data_written: ditto
 * @host_reads: ditto
 * @host_writes: ditto
 * @admin_count: a live record's: the fetch count of the last admin command
 *	whose effects it has (ZOC_NVME_SAVED_ADMIN_DONE)
 * @admin_result: that command's completion: dword 0
 * @admin_status: and status
 * @reserved2: zero
 * @q: its queues, by identifier; the admin pair's bases and sizes are
 *	those it was enabled with
 * @ns_changed: namespaces changed since the host read the Changed
 *	Namespace List, bit n - 1 for namespace n
 * @reserved3: zero
 * @ns: its namespaces' volumes, by identifier - 1; empty: none
 * @serial: the serial number it shows, NUL terminated
 * @model: the model it shows, NUL terminated; empty: the default
 */
struct zoc_nvme_saved {
	__le32 version;
	__le32 nr_io_queues;
	__le32 cc;
	__le32 csts;
	__le32 aqa;
	__le32 flags;
	__le64 asq;
	__le64 acq;
	__le64 dbs;
	__le64 eis;
	__le32 aen_pending;
	__le32 arbitration;
	__le32 power_mgmt;
	__le32 irq_coalesce;
	__le32 write_atomic;
	__le32 async_event;
	__le16 temp_over;
	__le16 temp_under;
	__le16 nr_aers;
	__le16 aer_cid[ZOC_NVME_AERL + 1];
	__le16 reserved;
	__le64 data_read;
	__le64 data_written;
	__le64 host_reads;
	__le64 host_writes;
	__le32 admin_count;
	__le32 admin_result;
	__le16 admin_status;
	__le16 reserved2;
	struct zoc_nvme_saved_queue q[ZOC_NVME_MAX_QUEUES + 1];
	__le32 ns_changed;
	__le32 reserved3;
	char ns[ZOC_NVME_MAX_NS][ZOC_DEV_NAME_LEN];
	char serial[ZOC_VOLUME_SERIAL_LEN + 1];
	char model[ZOC_VOLUME_MODEL_LEN + 1];
};

/* What a state of version 2 holds */
#define ZOC_NVME_SAVED_ONE_NS_SIZE	offsetof(struct zoc_nvme_saved, \
						 ns_changed)

static_assert(sizeof(struct zoc_nvme_saved) <= ZOC_PROXY_LIVE_STATE);

/* What may still complete: none of @sq's commands is in the backend. */
static bool zoc_nvme_sq_settled(struct zoc_nvme_sq *sq, unsigned int held)
{
	struct zoc_nvme_cmd *cmd;
	unsigned int n = held;

	spin_lock_irq(&sq->cq->lock);
	list_for_each_entry(cmd, &sq->cq->backlog, entry)
		n += cmd->sq == sq;
	n = atomic_read(&sq->outstanding) == n;
	spin_unlock_irq(&sq->cq->lock);
	return n;
}

/* Fetch no more from any queue the controller has now. */
static void zoc_nvme_pause_queues(struct zoc_nvme_ctrl *ctrl)
{
	unsigned int qid;

	spin_lock_irq(&ctrl->lock);
	ctrl->dying = true;
	ctrl->ready = false;
	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		if (ctrl->sq[qid])
			WRITE_ONCE(ctrl->sq[qid]->paused, true);
	}
	spin_unlock_irq(&ctrl->lock);
}

/*
 * Stop fetching and let what was fetched complete: the control work has
 * run its last pass (the admin commands are done, but for the events
 * held), each I/O queue's commands are posted, or wait for room.
 */
static void zoc_nvme_pause(struct zoc_nvme_ctrl *ctrl)
{
	struct zoc_nvme_sq *sq;
	unsigned int qid;

	zoc_nvme_pause_queues(ctrl);
	cancel_work_sync(&ctrl->work);
	/*
	 * The admin commands a dead model left to run again: the control
	 * work, which stops once paused, did not run them yet.
	 */
	if (ctrl->enabled && !ctrl->shut_down && ctrl->sq[0] &&
	    !READ_ONCE(ctrl->sq[0]->stopped) && !list_empty(&ctrl->sq[0]->replay))
		zoc_nvme_admin_pass(ctrl);
	/* Its last pass may have created queues, or enabled the controller. */
	zoc_nvme_pause_queues(ctrl);
	for (qid = 1; qid <= ctrl->nr_io_queues; qid++) {
		sq = ctrl->sq[qid];
		if (!sq)
			continue;
		cancel_work_sync(&sq->work);
		/*
		 * What a dead model left to run again is outstanding: the
		 * work runs it, paused, if it has not yet; a queue stopped
		 * (a controller failed, or reset when resumed) drops it.
		 */
		if (READ_ONCE(sq->stopped))
			zoc_nvme_sq_drop_replay(sq);
		else if (!list_empty(&sq->replay))
			zoc_proxy_queue_work(ctrl->pdev, qid - 1, ctrl->wq,
					     &sq->work);
		wait_var_event(&sq->outstanding, zoc_nvme_sq_settled(sq, 0));
		/* The completions may have kicked it before they saw @paused */
		cancel_work_sync(&sq->work);
	}
}

/* A queue pair's place and shape, not its indexes */
static void zoc_nvme_save_queue(struct zoc_nvme_sq *sq, struct zoc_nvme_cq *cq,
				struct zoc_nvme_saved_queue *q)
{
	if (sq) {
		q->sq_base = cpu_to_le64(sq->base);
		q->sq_size = cpu_to_le16(sq->size);
		q->sq_cqid = cpu_to_le16(sq->cq->qid);
	}
	if (cq) {
		q->cq_base = cpu_to_le64(cq->base);
		q->cq_size = cpu_to_le16(cq->size);
		q->cq_vector = cpu_to_le16(cq->vector);
		q->cq_ien = cq->ien;
	}
}

/* A queue pair's indexes, of a paused controller */
static void zoc_nvme_save_indexes(struct zoc_nvme_sq *sq,
				  struct zoc_nvme_cq *cq,
				  struct zoc_nvme_saved_queue *q)
{
	if (sq) {
		q->sq_head = cpu_to_le16(sq->head);
		q->sq_tail = cpu_to_le16(sq->tail);
		q->sq_db = cpu_to_le16(sq->db);
	}
	if (cq) {
		spin_lock_irq(&cq->lock);
		q->cq_head = cpu_to_le16(cq->head);
		q->cq_tail = cpu_to_le16(cq->tail);
		q->cq_phase = cq->phase;
		spin_unlock_irq(&cq->lock);
	}
}

/*
 * The registers, features, counters and queues into @sv, without the
 * queues' indexes and the events held; lock held.
 */
static void zoc_nvme_save_regs(struct zoc_nvme_ctrl *ctrl,
			       struct zoc_nvme_saved *sv)
{
	struct zoc_nvme_features *f = &ctrl->feat;
	struct zoc_nvme_admin_done *done = &ctrl->admin_done;
	const struct zoc_nvme_ns *ns;
	unsigned int qid, i;
	u32 flags = 0, changed;

	lockdep_assert_held(&ctrl->lock);
	memset(sv, 0, sizeof(*sv));
	if (ctrl->enabled)
		flags |= ZOC_NVME_SAVED_ENABLED;
	if (ctrl->shut_down)
		flags |= ZOC_NVME_SAVED_SHUT_DOWN;
	if (f->wce)
		flags |= ZOC_NVME_SAVED_WCE;
	if (ctrl->dbs)
		flags |= ZOC_NVME_SAVED_DBBUF;
	if (ctrl->reset_pending)
		flags |= ZOC_NVME_SAVED_RESET_PENDING;
	if (ctrl->aen_masked)
		flags |= ZOC_NVME_SAVED_AEN_MASKED;
	if (done->valid)
		flags |= ZOC_NVME_SAVED_ADMIN_DONE;
	if (ctrl->ns_notice)
		flags |= ZOC_NVME_SAVED_NS_NOTICE;
	if (ctrl->ns_masked)
		flags |= ZOC_NVME_SAVED_NS_MASKED;
	sv->version = cpu_to_le32(ZOC_NVME_SAVED_VERSION);
	sv->nr_io_queues = cpu_to_le32(ctrl->nr_io_queues);
	sv->flags = cpu_to_le32(flags);
	sv->cc = cpu_to_le32(ctrl->cc);
	sv->csts = cpu_to_le32(ctrl->csts);
	sv->aqa = cpu_to_le32(ctrl->aqa);
	sv->asq = cpu_to_le64(ctrl->asq);
	sv->acq = cpu_to_le64(ctrl->acq);
	sv->aen_pending = cpu_to_le32(ctrl->aen_pending);
	sv->dbs = cpu_to_le64(ctrl->dbs_addr);
	sv->eis = cpu_to_le64(ctrl->eis_addr);
	sv->arbitration = cpu_to_le32(f->arbitration);
	sv->power_mgmt = cpu_to_le32(f->power_mgmt);
	sv->irq_coalesce = cpu_to_le32(f->irq_coalesce);
	sv->write_atomic = cpu_to_le32(f->write_atomic);
	sv->async_event = cpu_to_le32(f->async_event);
	sv->temp_over = cpu_to_le16(f->temp_over);
	sv->temp_under = cpu_to_le16(f->temp_under);
	sv->data_read = cpu_to_le64(atomic64_read(&ctrl->data_read));
	sv->data_written = cpu_to_le64(atomic64_read(&ctrl->data_written));
	sv->host_reads = cpu_to_le64(atomic64_read(&ctrl->host_reads));
	sv->host_writes = cpu_to_le64(atomic64_read(&ctrl->host_writes));
	sv->admin_count = cpu_to_le32(done->count);
	sv->admin_result = cpu_to_le32(done->result);
	sv->admin_status = cpu_to_le16(done->status);
	for (qid = 0; qid <= ctrl->nr_io_queues; qid++)
		zoc_nvme_save_queue(ctrl->sq[qid], ctrl->cq[qid], &sv->q[qid]);
	bitmap_to_arr32(&changed, ctrl->ns_changed, ZOC_NVME_MAX_NS);
	sv->ns_changed = cpu_to_le32(changed);
	strscpy(sv->serial, ctrl->ident.serial, sizeof(sv->serial));
	strscpy(sv->model, ctrl->ident.model, sizeof(sv->model));
	for (i = 0; i < ZOC_NVME_MAX_NS; i++) {
		/* Changed under the lock only: no reader's section needed */
		ns = rcu_dereference_protected(ctrl->ns[i],
					       lockdep_is_held(&ctrl->lock));
		if (ns)
			strscpy(sv->ns[i], ns->volume,
				sizeof(sv->ns[i]));
	}
}

/**
 * zoc_nvme_record_alloc - room for a controller's recorded registers
 *
 * Return: the room, to kfree(), or NULL.
 */
void *zoc_nvme_record_alloc(void)
{
	return kmalloc(sizeof(struct zoc_nvme_saved), GFP_KERNEL);
}

/**
 * zoc_nvme_record - commit a controller's registers to its live record
 * @ctrl: the controller
 *
 * After each change of its registers, features, queues or events, so
 * that a model recovering the controller finds them as they were last;
 * nothing before the controller runs with a state of its own.
 *
 * Context: the controller's lock held.
 */
void zoc_nvme_record(struct zoc_nvme_ctrl *ctrl)
{
	lockdep_assert_held(&ctrl->lock);
	if (!ctrl->recording)
		return;
	zoc_nvme_save_regs(ctrl, ctrl->record);
	zoc_proxy_live_commit(ctrl->pdev, ctrl->record,
			      sizeof(struct zoc_nvme_saved));
}

/**
 * zoc_nvme_record_admin - an admin command is done: record its effects
 * @ctrl: the controller
 * @cmd: the command, of the admin queue
 * @status: its status
 *
 * With its completion, before the completion is posted: a model that
 * recovers the controller posts that completion rather than running the
 * command again.
 *
 * Context: the control work.
 */
void zoc_nvme_record_admin(struct zoc_nvme_ctrl *ctrl,
			   struct zoc_nvme_cmd *cmd, u16 status)
{
	spin_lock_irq(&ctrl->lock);
	ctrl->admin_done.valid = true;
	ctrl->admin_done.count = cmd->count;
	ctrl->admin_done.status = status;
	ctrl->admin_done.result = cmd->result;
	zoc_nvme_record(ctrl);
	spin_unlock_irq(&ctrl->lock);
}

/*
 * Completions wait for room in their queue: the host may have made some
 * with a head doorbell the proxy keeps for the next model.  Take it now;
 * the next model takes it again, which changes nothing.  False if some
 * still wait.
 */
static bool zoc_nvme_flush_backlogs(struct zoc_nvme_ctrl *ctrl)
{
	struct zoc_nvme_cq *cq;
	unsigned int qid;
	bool flushed = true;
	u32 head;

	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		cq = ctrl->cq[qid];
		if (!cq || list_empty_careful(&cq->backlog))
			continue;
		head = zoc_proxy_doorbell_last(ctrl->pdev, 2 * qid + 1);
		spin_lock_irq(&ctrl->lock);
		zoc_nvme_cq_doorbell(cq, head);
		spin_unlock_irq(&ctrl->lock);
		spin_lock_irq(&cq->lock);
		if (!list_empty(&cq->backlog)) {
			pr_warn("%s: CQ %u full: its completions cannot be saved\n",
				ctrl->name, qid);
			flushed = false;
		}
		spin_unlock_irq(&cq->lock);
	}
	return flushed;
}

/**
 * zoc_nvme_save - quiesce a controller and save its state
 * @ctrl: the controller; the proxy sends it nothing any more
 * @state: where to save
 * @len: bytes at @state
 *
 * Nothing is said to the host.  The controller is left stopped, for
 * destroy.
 *
 * Context: process context.
 * Return: the bytes saved at @state, -ENOSPC if they do not fit, or
 * -EBUSY if completions wait for room in their queue.
 */
int zoc_nvme_save(struct zoc_nvme_ctrl *ctrl, void *state, size_t len)
{
	struct zoc_nvme_saved *sv = state;
	unsigned int qid, i;

	zoc_nvme_pause(ctrl);
	if (len < sizeof(*sv))
		return -ENOSPC;
	if (!zoc_nvme_flush_backlogs(ctrl))
		return -EBUSY;

	spin_lock_irq(&ctrl->lock);
	zoc_nvme_save_regs(ctrl, sv);
	/* A saved controller has no command in flight but these events. */
	sv->flags &= ~cpu_to_le32(ZOC_NVME_SAVED_ADMIN_DONE);
	sv->nr_aers = cpu_to_le16(ctrl->nr_aers);
	for (i = 0; i < ctrl->nr_aers; i++)
		sv->aer_cid[i] = cpu_to_le16(ctrl->aer[i]->sqe.common.command_id);
	spin_unlock_irq(&ctrl->lock);
	for (qid = 0; qid <= ctrl->nr_io_queues; qid++)
		zoc_nvme_save_indexes(ctrl->sq[qid], ctrl->cq[qid], &sv->q[qid]);
	return sizeof(*sv);
}

/*
 * A completion queue's indexes, checked against its ring: the entry where
 * the next completion goes must not carry the current phase, or it was
 * posted after the state was saved.
 */
static bool zoc_nvme_restore_cq(struct zoc_nvme_cq *cq,
				const struct zoc_nvme_saved_queue *q)
{
	u32 head = le16_to_cpu(q->cq_head);
	u32 tail = le16_to_cpu(q->cq_tail);

	if (head >= cq->size || tail >= cq->size || q->cq_phase > 1)
		return false;
	if ((le16_to_cpu(READ_ONCE(cq->ring[tail].status)) & 1) == q->cq_phase)
		return false;
	cq->head = head;
	cq->tail = tail;
	cq->phase = q->cq_phase;
	return true;
}

static bool zoc_nvme_restore_sq(struct zoc_nvme_sq *sq,
				const struct zoc_nvme_saved_queue *q)
{
	u32 head = le16_to_cpu(q->sq_head);
	u32 tail = le16_to_cpu(q->sq_tail);
	u32 db = le16_to_cpu(q->sq_db);

	if (head >= sq->size || tail >= sq->size || db >= sq->size)
		return false;
	sq->head = head;
	sq->tail = tail;
	sq->db = db;
	return true;
}

/* The Asynchronous Event Requests held, made outstanding again. */
static bool zoc_nvme_restore_aers(struct zoc_nvme_ctrl *ctrl,
				  const struct zoc_nvme_saved *sv)
{
	unsigned int nr = le16_to_cpu(sv->nr_aers);
	struct nvme_command sqe = {};
	struct zoc_nvme_cmd *cmd;
	unsigned int i;
	int slot;

	/* The admin queue keeps room to fetch. */
	if (nr > ZOC_NVME_AERL + 1 || nr >= ctrl->sq[0]->size)
		return false;
	sqe.common.opcode = nvme_admin_async_event;
	for (i = 0; i < nr; i++) {
		sqe.common.command_id = le16_to_cpu(sv->aer_cid[i]);
		slot = zoc_nvme_track_fetch(ctrl->sq[0]);
		if (slot < 0)
			return false;
		cmd = zoc_nvme_sq_adopt(ctrl->sq[0], &sqe, slot);
		if (!cmd) {
			zoc_nvme_track_release(ctrl, slot);
			return false;
		}
		/* Fetched before anything the queue fetches next */
		zoc_nvme_track_fetched(cmd, ctrl->sq[0]->count - 1);
		spin_lock_irq(&ctrl->lock);
		ctrl->aer[ctrl->nr_aers++] = cmd;
		spin_unlock_irq(&ctrl->lock);
	}
	return true;
}

/*
 * The queues of an enabled controller, with their indexes saved or, from
 * a live record, in @track; false if the state does not fit.
 */
static bool zoc_nvme_restore_queues(struct zoc_nvme_ctrl *ctrl,
				    const struct zoc_nvme_saved *sv,
				    const void *track)
{
	struct zoc_nvme_admin_done done = {
		.valid = le32_to_cpu(sv->flags) & ZOC_NVME_SAVED_ADMIN_DONE,
		.count = le32_to_cpu(sv->admin_count),
		.status = le16_to_cpu(sv->admin_status),
		.result = le32_to_cpu(sv->admin_result),
	};
	const struct zoc_nvme_saved_queue *q = &sv->q[0];
	unsigned int qid;

	if (zoc_nvme_admin_queues(ctrl, le64_to_cpu(q->sq_base),
				  le16_to_cpu(q->sq_size),
				  le64_to_cpu(q->cq_base),
				  le16_to_cpu(q->cq_size)))
		return false;
	for (qid = 1; qid <= ctrl->nr_io_queues; qid++) {
		q = &sv->q[qid];
		if (q->cq_size &&
		    zoc_nvme_cq_add(ctrl, qid, le64_to_cpu(q->cq_base),
				    le16_to_cpu(q->cq_size),
				    le16_to_cpu(q->cq_vector), q->cq_ien))
			return false;
	}
	for (qid = 1; qid <= ctrl->nr_io_queues; qid++) {
		q = &sv->q[qid];
		if (q->sq_size &&
		    zoc_nvme_sq_add(ctrl, qid, le16_to_cpu(q->sq_cqid),
				    le64_to_cpu(q->sq_base),
				    le16_to_cpu(q->sq_size)))
			return false;
	}
	for (qid = 0; qid <= ctrl->nr_io_queues && !track; qid++) {
		q = &sv->q[qid];
		if (ctrl->cq[qid] && !zoc_nvme_restore_cq(ctrl->cq[qid], q))
			return false;
		if (ctrl->sq[qid] && !zoc_nvme_restore_sq(ctrl->sq[qid], q))
			return false;
	}
	if ((le32_to_cpu(sv->flags) & ZOC_NVME_SAVED_DBBUF) &&
	    (!ctrl->shadow_db ||
	     zoc_nvme_set_dbbuf(ctrl, le64_to_cpu(sv->dbs),
				le64_to_cpu(sv->eis))))
		return false;
	if (track)
		return zoc_nvme_track_recover(ctrl, track, &done);
	/* The track goes on from the saved indexes. */
	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		if (ctrl->cq[qid]) {
			spin_lock_irq(&ctrl->cq[qid]->lock);
			zoc_nvme_track_cq(ctrl->cq[qid]);
			spin_unlock_irq(&ctrl->cq[qid]->lock);
		}
		if (ctrl->sq[qid])
			zoc_nvme_track_sq(ctrl->sq[qid]);
	}
	return zoc_nvme_restore_aers(ctrl, sv);
}

/*
 * A string of @len bytes of a state, the host's: one copy, checked as a
 * volume's are: printable ASCII; @inner: spaces inside.
 */
static bool zoc_nvme_restore_str(char *dst, const char *src, size_t len,
				 bool inner)
{
	size_t i, n;

	memcpy(dst, src, len);
	n = strnlen(dst, len);
	if (n == len || (n && (dst[0] == ' ' || dst[n - 1] == ' ')))
		return false;
	for (i = 0; i < n; i++) {
		if (!((dst[i] > ' ' && dst[i] <= '~') || (inner && dst[i] == ' ')))
			return false;
	}
	return true;
}

/*
 * The identity and the namespaces of @sv, the namespaces' volumes opened
 * again.  A state of version 2 has neither: the volume the controller was
 * made of, @backend, gives its identity and is its one namespace.
 * Return 0, -EINVAL, or the first error of zoc_nvme_ns_add().
 */
static int zoc_nvme_restore_ns(struct zoc_nvme_ctrl *ctrl,
			       const struct zoc_nvme_saved *sv, size_t len,
			       const char *backend)
{
	char volume[ZOC_DEV_NAME_LEN];
	unsigned int i;
	u32 changed;
	int ret;

	if (le32_to_cpu(sv->version) == ZOC_NVME_SAVED_VERSION_ONE_NS)
		return zoc_nvme_ns_add(ctrl, ZOC_NVME_NSID, backend,
				       &ctrl->ident);
	if (!zoc_nvme_restore_str(ctrl->ident.serial, sv->serial,
				  sizeof(sv->serial), false) ||
	    !ctrl->ident.serial[0] ||
	    !zoc_nvme_restore_str(ctrl->ident.model, sv->model,
				  sizeof(sv->model), true))
		return -EINVAL;
	changed = le32_to_cpu(sv->ns_changed);
	spin_lock_irq(&ctrl->lock);
	bitmap_from_arr32(ctrl->ns_changed, &changed, ZOC_NVME_MAX_NS);
	ctrl->ns_notice = le32_to_cpu(sv->flags) & ZOC_NVME_SAVED_NS_NOTICE;
	ctrl->ns_masked = le32_to_cpu(sv->flags) & ZOC_NVME_SAVED_NS_MASKED;
	spin_unlock_irq(&ctrl->lock);
	for (i = 0; i < ZOC_NVME_MAX_NS; i++) {
		/* One copy: the name is the host's memory's */
		if (!zoc_nvme_restore_str(volume, sv->ns[i], sizeof(volume),
					  false))
			return -EINVAL;
		if (!volume[0])
			continue;
		ret = zoc_nvme_ns_add(ctrl, i + 1, volume, NULL);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * zoc_nvme_restore - restore a controller as it was saved, or as a model
 *	that died recorded it
 * @ctrl: the controller, just created for the same parameters; no work
 *	runs yet
 * @state: what zoc_nvme_save() saved, or the registers zoc_nvme_record()
 *	recorded; untrusted
 * @len: bytes at @state
 * @track: with recorded registers, a copy of the live record's track;
 *	untrusted
 * @backend: the volume the controller was made of
 *
 * A state whose queues do not fit (rings that are no host memory, indexes
 * out of range, completions posted after it was saved, a track that does
 * not add up) leaves the controller failed: CSTS.CFS, and the host's
 * driver resets it.  With @track, the commands in flight are run again
 * once the controller resumes (live.c).
 *
 * Its namespaces are opened again first: a volume that cannot be (not
 * attached yet: -EAGAIN, or gone) fails the restore.
 *
 * Context: process context.
 * Return: the bytes of @state used, -EINVAL if it is no saved state of
 * this controller, or the error of a namespace's volume.
 */
int zoc_nvme_restore(struct zoc_nvme_ctrl *ctrl, const void *state,
		     size_t len, const void *track, const char *backend)
{
	const struct zoc_nvme_saved *sv = state;
	struct zoc_nvme_features *f = &ctrl->feat;
	unsigned int qid;
	bool ok = true;
	u32 flags;
	int ret;

	if (len < ZOC_NVME_SAVED_ONE_NS_SIZE ||
	    le32_to_cpu(sv->nr_io_queues) != ctrl->nr_io_queues)
		return -EINVAL;
	if (le32_to_cpu(sv->version) == ZOC_NVME_SAVED_VERSION_ONE_NS)
		len = ZOC_NVME_SAVED_ONE_NS_SIZE;
	else if (le32_to_cpu(sv->version) == ZOC_NVME_SAVED_VERSION &&
		 len >= sizeof(*sv))
		len = sizeof(*sv);
	else
		return -EINVAL;
	ret = zoc_nvme_restore_ns(ctrl, sv, len, backend);
	if (ret)
		return ret;
	flags = le32_to_cpu(sv->flags);
	f->arbitration = le32_to_cpu(sv->arbitration);
	f->power_mgmt = le32_to_cpu(sv->power_mgmt) & 0xe0;
	f->irq_coalesce = le32_to_cpu(sv->irq_coalesce) & 0xffff;
	f->write_atomic = le32_to_cpu(sv->write_atomic) & 1;
	f->async_event = le32_to_cpu(sv->async_event);
	f->temp_over = le16_to_cpu(sv->temp_over) & NVME_TEMP_THRESH_MASK;
	f->temp_under = le16_to_cpu(sv->temp_under) & NVME_TEMP_THRESH_MASK;
	f->wce = flags & ZOC_NVME_SAVED_WCE;
	atomic64_set(&ctrl->data_read, le64_to_cpu(sv->data_read));
	atomic64_set(&ctrl->data_written, le64_to_cpu(sv->data_written));
	atomic64_set(&ctrl->host_reads, le64_to_cpu(sv->host_reads));
	atomic64_set(&ctrl->host_writes, le64_to_cpu(sv->host_writes));
	ctrl->enabled = flags & ZOC_NVME_SAVED_ENABLED;
	ctrl->shut_down = flags & ZOC_NVME_SAVED_SHUT_DOWN;

	spin_lock_irq(&ctrl->lock);
	ctrl->cc = le32_to_cpu(sv->cc);
	ctrl->csts = le32_to_cpu(sv->csts);
	ctrl->aqa = le32_to_cpu(sv->aqa);
	ctrl->asq = le64_to_cpu(sv->asq);
	ctrl->acq = le64_to_cpu(sv->acq);
	ctrl->reset_pending = flags & ZOC_NVME_SAVED_RESET_PENDING;
	ctrl->aen_masked = flags & ZOC_NVME_SAVED_AEN_MASKED;
	ctrl->aen_pending = le32_to_cpu(sv->aen_pending);
	spin_unlock_irq(&ctrl->lock);

	/* Saved quiesced, or recorded disabled: nothing in flight */
	if (!track || !ctrl->enabled)
		zoc_nvme_track_clear(ctrl);
	if (ctrl->enabled)
		ok = zoc_nvme_restore_queues(ctrl, sv, track);
	if (!ok) {
		/*
		 * Serve no queue, not even the admin queue, which may be
		 * missing; the host resets it, and the reset frees what was
		 * set up.
		 */
		pr_warn("%s: saved state does not fit: controller failed\n",
			ctrl->name);
		zoc_nvme_stat(ctrl, ZOC_DEV_STAT_INVALID);
		ctrl->enabled = false;
	}
	spin_lock_irq(&ctrl->lock);
	if (!ok)
		ctrl->csts |= NVME_CSTS_CFS;
	ctrl->ready = ctrl->enabled && !ctrl->shut_down &&
		      !ctrl->reset_pending && !(ctrl->csts & NVME_CSTS_CFS);
	/* Shut down, failed, or a reset to come: no queue fetches. */
	for (qid = 0; qid <= ctrl->nr_io_queues && !ctrl->ready; qid++) {
		if (ctrl->sq[qid])
			ctrl->sq[qid]->stopped = true;
	}
	/* From here on, what changes is recorded. */
	ctrl->recording = true;
	zoc_nvme_record(ctrl);
	spin_unlock_irq(&ctrl->lock);
	return len;
}

/**
 * zoc_nvme_resume - a restored controller goes on where it stopped
 * @pdev: its device, taken over by the proxy
 *
 * The control work acts on what the registers ask (a reset or shutdown
 * written before the state was saved) and serves the admin queue; the I/O
 * queues look for new commands; each completion queue raises its vector
 * once, for what may have been posted without one; an event the record
 * keeps goes to an Asynchronous Event Request held (zoc_nvme_aen_flush()).
 *
 * Context: process context.
 */
void zoc_nvme_resume(struct zoc_pdev *pdev)
{
	struct zoc_nvme_ctrl *ctrl = pdev->priv;
	unsigned int qid;

	/*
	 * Under the lock the queues are taken off under: a reset or a
	 * deletion the host wrote meanwhile, which the control work may
	 * run at once, frees them.
	 */
	spin_lock_irq(&ctrl->lock);
	for (qid = 1; ctrl->ready && qid <= ctrl->nr_io_queues; qid++) {
		if (ctrl->sq[qid])
			zoc_nvme_sq_kick(ctrl->sq[qid]);
		if (ctrl->cq[qid] && ctrl->cq[qid]->ien)
			irq_work_queue(&ctrl->cq[qid]->irq_work);
	}
	if (ctrl->ready && ctrl->cq[0])
		irq_work_queue(&ctrl->cq[0]->irq_work);
	if (ctrl->ready)
		zoc_nvme_aen_flush(ctrl);
	spin_unlock_irq(&ctrl->lock);
	queue_work(ctrl->wq, &ctrl->work);
}
