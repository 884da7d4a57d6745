/* SPDX-License-Identifier: GPL-2.0 */
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
 *
 * This header holds what the model's files share: the limits, the
 * structures, and the functions that one file calls in another.
 */
#ifndef _ZOC_NVME_H
#define _ZOC_NVME_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/blk_types.h>
#include <linux/completion.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mempool.h>
#include <linux/nvme.h>
#include <linux/percpu-refcount.h>
#include <linux/rcupdate.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/zoc_link.h>

#include "../../zoc_blkback.h"
#include "../../zoc_volume.h"

/* Queues */
#define ZOC_NVME_DEF_QUEUES	2
#define ZOC_NVME_MAX_QUEUES	ZOC_DEV_NVME_MAX_QUEUES
#define ZOC_NVME_MAX_QSIZE	1024	/* entries; CAP.MQES is one less */
#define ZOC_NVME_IO_BUDGET	64	/* commands per run of a queue's work */
#define ZOC_NVME_TRACKED	240	/* commands in flight in a controller */
#define ZOC_NVME_TRACK_ADMIN	8	/* ... of which kept for the admin queue */
#define ZOC_NVME_ADMIN_BUDGET	16

/* Capabilities: contiguous queues, 4 KiB pages only, the NVM command set */
#define ZOC_NVME_CAP_CQR	BIT_ULL(16)
#define ZOC_NVME_CAP_TO		30	/* ready within 15 s: labs run on TCG */
#define ZOC_NVME_CAP		((u64)(ZOC_NVME_MAX_QSIZE - 1) |	\
				 ZOC_NVME_CAP_CQR |			\
				 (u64)ZOC_NVME_CAP_TO << 24 |		\
				 (u64)NVME_CAP_CSS_NVM << 37)
#define ZOC_NVME_VS		NVME_VS(1, 4, 0)

/* Data transfers: PRPs of 4 KiB pages, at most 2^MDTS pages a command */
#define ZOC_NVME_PAGE_SIZE	SZ_4K
#define ZOC_NVME_MDTS		5
#define ZOC_NVME_MAX_XFER	(ZOC_NVME_PAGE_SIZE << ZOC_NVME_MDTS)
#define ZOC_NVME_MAX_PAGES	(ZOC_NVME_MAX_XFER / ZOC_NVME_PAGE_SIZE)
#define ZOC_NVME_MAX_SEGS	(ZOC_NVME_MAX_PAGES + 1) /* PRP1 mid-page */

/* Identify */
#define ZOC_NVME_NSID		1	/* the namespace a controller starts with */
#define ZOC_NVME_MAX_NS		ZOC_DEV_MAX_NS
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
#define ZOC_NVME_VWC_NO_FLUSH_ALL (0x2 << 1) /* Identify: VWC, no NSID ALL */

/* Asynchronous events: error type, error information log page */
#define ZOC_NVME_AEN_DB_REG	(NVME_AER_ERROR | 0x00 << 8 | \
				 NVME_LOG_ERROR << 16)
#define ZOC_NVME_AEN_DB_VALUE	(NVME_AER_ERROR | 0x01 << 8 | \
				 NVME_LOG_ERROR << 16)

/* Notice: Namespace Attribute Changed, the Changed Namespace List log */
#define ZOC_NVME_AEN_NS_CHANGED	(NVME_AER_NOTICE |			\
				 NVME_AER_NOTICE_NS_CHANGED << 8 |	\
				 NVME_LOG_CHANGED_NS << 16)

/* Not a status: the command completes later. */
#define ZOC_NVME_ASYNC		0xffff

struct zoc_nvme_ctrl;
struct zoc_nvme_dsm;
struct zoc_nvme_sq;
struct zoc_nvme_track;
struct zoc_pdev;
struct zoc_proxy_model;

/**
 * struct zoc_nvme_ns - a namespace
 * @nsid: its identifier
 * @bb: the volume behind it
 * @nsze: its size in logical blocks
 * @lbads: log2 of its logical block size
 * @volume: the volume's name
 * @ref: held by each of its commands in flight
 * @idle: completed once @ref is killed and every command dropped it
 */
struct zoc_nvme_ns {
	u32 nsid;
	struct zoc_blkback *bb;
	u64 nsze;
	u8 lbads;
	char volume[ZOC_DEV_NAME_LEN];
	struct percpu_ref ref;
	struct completion idle;
};

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

/**
 * struct zoc_nvme_cmd - a command taken from a submission queue
 * @sq: its submission queue
 * @sqe: the entry, copied once out of host memory
 * @result: dword 0 of its completion
 * @status: the status field of its completion, without the phase tag
 * @entry: in its completion queue's backlog, or on a list being retired
 * @free: on its submission queue's free commands
 * @ns: the namespace of an I/O command, held until it completes
 * @breq: the backend request of a Flush, Read, Write or Write Zeroes
 * @segs: where its data lies in host memory
 * @nr_segs: entries used in @segs
 * @dsm: the ranges of a Dataset Management command and their backend
 *	requests, from the controller's pool until they are done
 * @pending: those still running, plus one while they are submitted
 * @error: a failure among them
 * @slot: its slot in the controller's track (live.c), or -1
 * @count: its fetch count in its queue
 * @done: taken again from the track of a model that died, with the
 *	completion that model recorded: post it, do not run it again
 * @taken: when its queue's work took it (ktime_get_ns()), or 0 if it is
 *	not timed: the start of its stages (ZOC_DEV_STAT_PREP_NS on)
 * @ended: when it came out of the backend, or 0
 */
struct zoc_nvme_cmd {
	struct zoc_nvme_sq *sq;
	struct nvme_command sqe;
	u32 result;
	u16 status;
	struct list_head entry;
	struct llist_node free;
	struct zoc_nvme_ns *ns;
	struct zoc_blkback_req breq;
	struct zoc_blkback_seg segs[ZOC_NVME_MAX_SEGS];
	unsigned int nr_segs;
	struct zoc_nvme_dsm *dsm;
	atomic_t pending;
	blk_status_t error;
	int slot;
	u32 count;
	bool done;
	u64 taken;
	u64 ended;
};

/**
 * struct zoc_nvme_admin_done - the last admin command whose effects the
 *	recorded registers have
 * @valid: there is one
 * @count: its fetch count in the admin queue
 * @status: its completion's status
 * @result: its completion's dword 0
 */
struct zoc_nvme_admin_done {
	bool valid;
	u32 count;
	u16 status;
	u32 result;
};

/**
 * struct zoc_nvme_cq - a completion queue
 * @ctrl: its controller
 * @qid: its identifier
 * @size: its entries
 * @vector: its MSI-X vector
 * @ien: interrupts enabled
 * @base: its address in host memory
 * @ring: its entries, there
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
 * @posted: when entries were posted that wait for @irq_work, or 0
 */
struct zoc_nvme_cq {
	struct zoc_nvme_ctrl *ctrl;
	u16 qid;
	u32 size;
	u16 vector;
	bool ien;
	u64 base;
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
	u64 posted;
};

/**
 * struct zoc_nvme_sq - a submission queue
 * @ctrl: its controller
 * @cq: the completion queue it posts to
 * @qid: its identifier
 * @size: its entries
 * @base: its address in host memory
 * @ring: its entries, there
 * @head: the next entry to fetch; written by its work only
 * @tail: the tail its work took last
 * @bad_tail: the last invalid shadow tail reported, so it is reported once
 * @db: the tail last written to its doorbell register, checked
 * @stopped: fetch no more: deleted, reset, shut down
 * @paused: fetch no more, but post what completes: the model lets go of
 *	the controller (saved.c)
 * @outstanding: commands fetched whose completion is not posted or dropped
 *	yet; decremented under @cq's lock
 * @count: commands fetched since it was made; written by its work only
 * @replay: commands a model that died had in flight, to run again first
 * @work: fetches and executes the commands of an I/O queue (the control
 *	work serves the admin queue)
 * @kicked: when @work was last queued, by a doorbell or a completion
 *	(ktime_get_ns()); taken by the work's next run
 * @polling: @work polls the queue when it runs dry (performance mode):
 *	the event index is left behind meanwhile
 * @poller: its adaptive poll window (zoc_proxy_poll())
 * @cmds: its commands, one for each entry, allocated with it
 * @free: those of @cmds not outstanding; taken by the work that fetches,
 *	given back under @cq's lock before @outstanding drops
 *
 * A command is taken from @free, not found by its identifier or by the
 * entry it was fetched from: the host chooses the identifiers and may
 * repeat one, and it may fill an entry again once a completion reports
 * the entry fetched, while the command fetched from it still runs.  At
 * most @size commands are outstanding (fetching pauses there), so @free
 * is never empty when fetching goes on, whatever the host does.
 */
struct zoc_nvme_sq {
	struct zoc_nvme_ctrl *ctrl;
	struct zoc_nvme_cq *cq;
	u16 qid;
	u32 size;
	u64 base;
	struct nvme_command *ring;
	u32 head;
	u32 tail;
	u32 bad_tail;
	u32 db;
	bool stopped;
	bool paused;
	atomic_t outstanding;
	u32 count;
	struct list_head replay;
	struct work_struct work;
	u64 kicked;
	bool polling;
	struct zoc_proxy_poller poller;
	struct zoc_nvme_cmd *cmds;
	struct llist_head free;
};

/**
 * struct zoc_nvme_ctrl - a controller
 * @pdev: its proxy device
 * @name: its name
 * @ident: the identity it shows: the volume it was created with's
 * @ns: its namespaces, by identifier - 1; RCU, changed under @lock
 * @ns_changed: namespaces attached or detached since the host last read
 *	the Changed Namespace List; with @lock
 * @ns_notice: a Namespace Attribute Changed notice for the next
 *	Asynchronous Event Request; with @lock
 * @ns_masked: such a notice was reported, the log not read since
 * @dsm_pool: the ranges of Dataset Management commands
 * @wq: runs @work and the I/O queues' works
 * @work: the control work: register changes, then the admin queue
 * @nr_io_queues: I/O queue pairs it offers
 * @shadow_db: it offers Doorbell Buffer Config (shadow doorbells)
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
 * @dbs_addr: where @dbs lies in host memory, for a saved state
 * @eis_addr: where @eis lies
 * @enabled: the admin queues are set up; control work only
 * @shut_down: a shutdown completed: nothing runs until a reset
 * @feat: features; the I/O works read @feat.wce
 * @data_read: bytes read, for the SMART log
 * @data_written: bytes written
 * @host_reads: read commands completed
 * @host_writes: write commands completed
 *
 * Its live record (live.c, saved.c):
 * @track: its track, in the record
 * @track_lock: protects @track_used, @track_free and @track_full
 * @track_used: the track's command slots taken
 * @track_free: those free
 * @track_full: a queue found none free: kick the queues when one is
 * @track_work: kicks them
 * @recording: the registers are recorded: it runs with a state of its own
 * @record: the registers, as recorded last; with @lock
 * @admin_done: the last admin command the registers have the effects of
 */
struct zoc_nvme_ctrl {
	struct zoc_pdev *pdev;
	char name[ZOC_DEV_NAME_LEN];
	struct zoc_volume_info ident;
	struct zoc_nvme_ns __rcu *ns[ZOC_NVME_MAX_NS];
	DECLARE_BITMAP(ns_changed, ZOC_NVME_MAX_NS);
	bool ns_notice;
	bool ns_masked;
	mempool_t *dsm_pool;
	struct workqueue_struct *wq;
	struct work_struct work;
	unsigned int nr_io_queues;
	bool shadow_db;
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
	u64 dbs_addr;
	u64 eis_addr;
	bool enabled;
	bool shut_down;
	struct zoc_nvme_features feat;
	atomic64_t data_read;
	atomic64_t data_written;
	atomic64_t host_reads;
	atomic64_t host_writes;
	struct zoc_nvme_track *track;
	/* fetches, and completions in any context */
	spinlock_t track_lock;
	DECLARE_BITMAP(track_used, ZOC_NVME_TRACKED);
	unsigned int track_free;
	bool track_full;
	struct work_struct track_work;
	bool recording;
	void *record;
	struct zoc_nvme_admin_done admin_done;
};

extern ushort zoc_nvme_vendor;
extern ushort zoc_nvme_device;
extern struct zoc_proxy_model zoc_nvme_model;

/* ctrl.c */
void zoc_nvme_stat(struct zoc_nvme_ctrl *ctrl, unsigned int stat);
void zoc_nvme_set_csts(struct zoc_nvme_ctrl *ctrl, u32 csts);
const char *zoc_nvme_admin_queues(struct zoc_nvme_ctrl *ctrl, u64 asq,
				  u32 sqs, u64 acq, u32 cqs);

/* queue.c */
void zoc_nvme_sq_kick(struct zoc_nvme_sq *sq);
void zoc_nvme_cq_retire(struct list_head *done);
void zoc_nvme_complete(struct zoc_nvme_cmd *cmd);
void zoc_nvme_sq_drop_replay(struct zoc_nvme_sq *sq);
void zoc_nvme_sq_drain(struct zoc_nvme_sq *sq);
struct zoc_nvme_cq *zoc_nvme_cq_alloc(struct zoc_nvme_ctrl *ctrl,
				      u16 qid, u64 base, u32 size,
				      u16 vector, bool ien);
struct zoc_nvme_sq *zoc_nvme_sq_alloc(struct zoc_nvme_ctrl *ctrl,
				      u16 qid, u64 base, u32 size,
				      struct zoc_nvme_cq *cq);
void zoc_nvme_sq_free(struct zoc_nvme_sq *sq);
struct zoc_nvme_cmd *zoc_nvme_sq_adopt(struct zoc_nvme_sq *sq,
				       const struct nvme_command *sqe, int slot);
bool zoc_nvme_qsize_ok(u32 size);
void zoc_nvme_admin_pass(struct zoc_nvme_ctrl *ctrl);
u32 zoc_nvme_sq_doorbell(struct zoc_nvme_sq *sq, u32 value);
u32 zoc_nvme_cq_doorbell(struct zoc_nvme_cq *cq, u32 value);

/* prp.c */
u16 zoc_nvme_prp_map(struct zoc_nvme_cmd *cmd, u32 len);
u16 zoc_nvme_xfer(struct zoc_nvme_cmd *cmd, void *buf, u32 len, bool to_host);

/* admin.c */
void zoc_nvme_event(struct zoc_nvme_ctrl *ctrl, u32 event);
void zoc_nvme_aen_flush(struct zoc_nvme_ctrl *ctrl);
u16 zoc_nvme_admin_cmd(struct zoc_nvme_ctrl *ctrl, struct zoc_nvme_cmd *cmd);
u16 zoc_nvme_cq_add(struct zoc_nvme_ctrl *ctrl, u16 qid, u64 addr, u32 size,
		    u16 vector, bool ien);
u16 zoc_nvme_sq_add(struct zoc_nvme_ctrl *ctrl, u16 qid, u16 cqid, u64 addr,
		    u32 size);
int zoc_nvme_set_dbbuf(struct zoc_nvme_ctrl *ctrl, u64 db_addr, u64 ei_addr);

/* ns.c */
int zoc_nvme_ns_add(struct zoc_nvme_ctrl *ctrl, u32 nsid, const char *volume,
		    struct zoc_volume_info *ident);
void zoc_nvme_ns_close_all(struct zoc_nvme_ctrl *ctrl);
struct zoc_nvme_ns *zoc_nvme_ns_get(struct zoc_nvme_ctrl *ctrl, u32 nsid);
void zoc_nvme_ns_put(struct zoc_nvme_ns *ns);
u16 zoc_nvme_ns_identify(struct zoc_nvme_ctrl *ctrl, u8 cns, u32 nsid,
			 void *buf);
size_t zoc_nvme_ns_changed_log(struct zoc_nvme_ctrl *ctrl, __le32 *list,
			       unsigned long *listed);
void zoc_nvme_ns_changed_clear(struct zoc_nvme_ctrl *ctrl,
			       const unsigned long *listed);
int zoc_nvme_ns_attach(struct zoc_pdev *pdev, u32 nsid, const char *volume);
int zoc_nvme_ns_detach(struct zoc_pdev *pdev, u32 nsid);

/* io.c */
mempool_t *zoc_nvme_dsm_pool_create(void);
u16 zoc_nvme_io_cmd(struct zoc_nvme_cmd *cmd);

/* saved.c */
int zoc_nvme_save(struct zoc_nvme_ctrl *ctrl, void *state, size_t len);
int zoc_nvme_restore(struct zoc_nvme_ctrl *ctrl, const void *state,
		     size_t len, const void *track, const char *backend);
void zoc_nvme_record(struct zoc_nvme_ctrl *ctrl);
void zoc_nvme_record_admin(struct zoc_nvme_ctrl *ctrl,
			   struct zoc_nvme_cmd *cmd, u16 status);
void *zoc_nvme_record_alloc(void);

/* live.c */
void zoc_nvme_track_init(struct zoc_nvme_ctrl *ctrl, bool fresh);
void zoc_nvme_track_clear(struct zoc_nvme_ctrl *ctrl);
void zoc_nvme_track_release(struct zoc_nvme_ctrl *ctrl, int slot);
void zoc_nvme_track_put(struct zoc_nvme_cmd *cmd);
int zoc_nvme_track_fetch(struct zoc_nvme_sq *sq);
void zoc_nvme_track_fetched(struct zoc_nvme_cmd *cmd, u32 count);
void zoc_nvme_track_sq(struct zoc_nvme_sq *sq);
void zoc_nvme_track_posting(struct zoc_nvme_cq *cq, struct zoc_nvme_cmd *cmd);
void zoc_nvme_track_cq(struct zoc_nvme_cq *cq);
void zoc_nvme_track_queue(struct zoc_nvme_ctrl *ctrl, u16 qid, bool sq);
bool zoc_nvme_track_recover(struct zoc_nvme_ctrl *ctrl, const void *track,
			    const struct zoc_nvme_admin_done *done);
struct zoc_nvme_cmd *zoc_nvme_replay(struct zoc_nvme_sq *sq);
void zoc_nvme_resume(struct zoc_pdev *pdev);

#endif /* _ZOC_NVME_H */
