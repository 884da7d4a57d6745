/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zoc_nvme_hostile_test, shared by its cases (nvme_hostile.c) and its
 * fuzzer (nvme_hostile_fuzz.c): the controller under test, its queues,
 * and the helpers that drive them.
 */
#ifndef _ZOC_NVME_HOSTILE_H
#define _ZOC_NVME_HOSTILE_H

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nvme.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/zoc_link.h>

#include "zoc_hostile.h"

#define ZNH_ADMIN_DEPTH		32
#define ZNH_IO_DEPTH		16
#define ZNH_IO_QID		1
#define ZNH_BAD_QID		40	/* past any controller of the model */
#define ZNH_NSID		1
#define ZNH_BAD_NSID_ADMIN	(ZOC_DEV_MAX_NS + 1)	/* past NN */
#define ZNH_BAD_NSID_IO		5
#define ZNH_BAD_ADMIN_OPCODE	0xc5
#define ZNH_BAD_IO_OPCODE	0x7f
#define ZNH_OUTSIDE_RAM		BIT_ULL(46)	/* far past the lab's RAM */
#define ZNH_LEGACY_HOLE		0xa0000		/* VGA memory: no PC has RAM there */
#define ZNH_BAR_MIN		SZ_8K		/* registers and doorbells */

/* The baseline Read: LBA 0, 4 KiB, one page */
#define ZNH_READ_SIZE		SZ_4K
/* The data buffer: four pages, for the reads with a PRP list */
#define ZNH_DATA_SIZE		SZ_16K
#define ZNH_POISON		0xc3
#define ZNH_MIN_LBADS		9	/* 512-byte blocks */

/* Entries of the garbage written past the I/O SQ's tail */
#define ZNH_GARBAGE_CID		0xf000
#define ZNH_SQ_SLOTS		(PAGE_SIZE / sizeof(struct nvme_command))

#define ZNH_CMD_TIMEOUT_S	10	/* per command: the lab runs on TCG */
#define ZNH_QUIET		HZ	/* nothing may complete in it */
#define ZNH_POLL_US		1000

/* Status code type and status code, without CRD, More and DNR */
#define ZNH_SC_MASK		0x7ff

/* Asynchronous event: error, invalid doorbell write value, error log */
#define ZNH_AEN_DB_VALUE	(NVME_AER_ERROR | 0x01 << 8 | \
				 NVME_LOG_ERROR << 16)

static_assert(ZNH_ADMIN_DEPTH * sizeof(struct nvme_command) <= PAGE_SIZE);
static_assert(ZNH_IO_DEPTH * 2 <= ZNH_SQ_SLOTS);

/**
 * struct znh_queue - a submission queue and the completion queue it posts to
 * @qid: their identifier
 * @depth: their entries
 * @sqes: the submission queue, one page
 * @sq_dma: its bus address
 * @cqes: the completion queue, one page
 * @cq_dma: its bus address
 * @sq_tail: where the next command goes
 * @cq_head: the next completion to look at
 * @cq_phase: the phase tag of a new entry at @cq_head
 */
struct znh_queue {
	u16 qid;
	u16 depth;
	struct nvme_command *sqes;
	dma_addr_t sq_dma;
	struct nvme_completion *cqes;
	dma_addr_t cq_dma;
	u16 sq_tail;
	u16 cq_head;
	u8 cq_phase;
};

/**
 * struct znh_ctrl - the function under test, during a run
 * @pdev: the PCI function
 * @bar: its BAR0
 * @cc: what was last written to CC
 * @timeout: CAP.TO, in jiffies
 * @touched: CC was written: the controller must be disabled before the
 *	memory it was given is freed
 * @admin: the admin queues
 * @io: I/O queues 1
 * @io_cq_live: I/O CQ 1 was created and not deleted
 * @io_sq_live: I/O SQ 1 was created and not deleted
 * @data: the data buffer, ZNH_DATA_SIZE bytes
 * @data_dma: its bus address
 * @prp_list: a page for PRP lists
 * @prp_dma: its bus address
 * @dbs: a page for shadow doorbells
 * @dbs_dma: its bus address
 * @eis: a page for event indexes
 * @eis_dma: its bus address
 * @dbbuf: the controller was given @dbs and @eis (Doorbell Buffer Config)
 * @hold_cq_db: I/O CQ head doorbells move the shadow only
 * @nsze: the namespace's size in logical blocks
 * @lbads: log2 of its logical block size
 * @next_cid: the identifier of the next command
 * @poison: what the next baseline Read's buffer is filled with
 * @have_ref: @ref holds what the first baseline Read returned
 * @ref: what the first baseline Read returned
 * @abort: why no further case can run, or NULL
 * @log: how the current case goes
 */
struct znh_ctrl {
	struct pci_dev *pdev;
	void __iomem *bar;
	u32 cc;
	unsigned long timeout;
	bool touched;
	struct znh_queue admin;
	struct znh_queue io;
	bool io_cq_live;
	bool io_sq_live;
	void *data;
	dma_addr_t data_dma;
	__le64 *prp_list;
	dma_addr_t prp_dma;
	__le32 *dbs;
	dma_addr_t dbs_dma;
	__le32 *eis;
	dma_addr_t eis_dma;
	bool dbbuf;
	bool hold_cq_db;
	u64 nsze;
	u8 lbads;
	u16 next_cid;
	u8 poison;
	bool have_ref;
	u8 ref[ZNH_READ_SIZE];
	const char *abort;
	struct zoc_hostile_log log;
};

#define znh_fail(ctrl, ...)	zoc_hostile_fail(&(ctrl)->log, __VA_ARGS__)

void __iomem *znh_db(struct znh_ctrl *ctrl, u16 qid, bool cq);
u16 znh_submit(struct znh_ctrl *ctrl, struct znh_queue *q,
	       struct nvme_command *cmd);
int znh_reap(struct znh_ctrl *ctrl, struct znh_queue *q,
	     struct nvme_completion *cqe, unsigned long deadline);
int znh_wait(struct znh_ctrl *ctrl, struct znh_queue *q, u16 cid,
	     const char *name, struct nvme_completion *cqe);
bool znh_expect(struct znh_ctrl *ctrl, const char *name,
		const struct nvme_completion *cqe, u16 want);
bool znh_quiet(struct znh_ctrl *ctrl, struct znh_queue *q, const char *name);
bool znh_check(struct znh_ctrl *ctrl, struct znh_queue *q,
	       struct nvme_command *cmd, const char *name, u16 want);
u16 znh_nlb(struct znh_ctrl *ctrl, u32 bytes);
void znh_read_cmd(struct nvme_command *c, u32 nsid, u64 slba, u16 nlb,
		  u64 prp1, u64 prp2);
u16 znh_submit_aer(struct znh_ctrl *ctrl);
void znh_expect_db_event(struct znh_ctrl *ctrl, u16 cid);
bool znh_read_error_log(struct znh_ctrl *ctrl);
void znh_baseline(struct znh_ctrl *ctrl);
void znh_enable(struct znh_ctrl *ctrl);
void znh_create_io_queues(struct znh_ctrl *ctrl);
u64 znh_link_area(struct znh_ctrl *ctrl);
void znh_fuzz(struct znh_ctrl *ctrl);
void znh_dbbuf_stale_cq_head(struct znh_ctrl *ctrl);
void znh_dbbuf_sq_tail_beyond_size(struct znh_ctrl *ctrl);

#endif /* _ZOC_NVME_HOSTILE_H */
