/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC block backend: a block device of the service VM behind an emulated
 * disk (NVMe, virtio-blk).  The device model turns its commands into
 * requests whose data lies in host memory; the backend copies it through
 * service VM pages and submits bios.
 */
#ifndef _ZOC_BLKBACK_H
#define _ZOC_BLKBACK_H

#include <linux/bits.h>
#include <linux/blk_types.h>
#include <linux/sizes.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct zoc_blkback;
struct zoc_pdev;
struct zoc_volume_info;

/* The most data one read or write request may carry. */
#define ZOC_BLKBACK_MAX_BYTES	SZ_1M
/* The most contexts that may submit requests to a backend at once */
#define ZOC_BLKBACK_MAX_QUEUES	64

/**
 * enum zoc_blkback_op - what a request asks for
 * @ZOC_BLKBACK_READ: read into host memory
 * @ZOC_BLKBACK_WRITE: write from host memory
 * @ZOC_BLKBACK_FLUSH: make completed writes durable
 * @ZOC_BLKBACK_WRITE_ZEROES: zero a range, with or without unmapping it
 * @ZOC_BLKBACK_DISCARD: the range's contents are no longer needed; a
 *	device without discard completes it as a no-op
 */
enum zoc_blkback_op {
	ZOC_BLKBACK_READ,
	ZOC_BLKBACK_WRITE,
	ZOC_BLKBACK_FLUSH,
	ZOC_BLKBACK_WRITE_ZEROES,
	ZOC_BLKBACK_DISCARD,
};

/* zoc_blkback_req.flags */
#define ZOC_BLKBACK_F_FUA	BIT(0)	/* write, write zeroes: made durable */
#define ZOC_BLKBACK_F_NOUNMAP	BIT(1)	/* write zeroes: do not deallocate */

/**
 * struct zoc_blkback_seg - a piece of a request's data in host memory
 * @addr: host physical address
 * @len: bytes, not zero
 */
struct zoc_blkback_seg {
	u64 addr;
	u32 len;
};

/**
 * struct zoc_blkback_req - one request to the backend
 * @op: what is asked
 * @flags: ZOC_BLKBACK_F_*
 * @sector: first sector, in 512-byte units, aligned to the logical block
 *	size (ignored by a flush)
 * @nr_sectors: sectors, not zero, a multiple of the logical block size
 *	(ignored by a flush); at most ZOC_BLKBACK_MAX_BYTES of them for a
 *	read or a write
 * @segs: read, write: where the data lies; their lengths add up to
 *	@nr_sectors sectors.  They stay valid until @done is called.
 * @nr_segs: entries in @segs
 * @done: called exactly once with the outcome, possibly before
 *	zoc_blkback_submit() returns, or from a bio's completion (any
 *	context, hard interrupts included); the request is the caller's
 *	again when it is called
 * @started: set by the backend: when the request went to the block device
 *	(ktime_get_ns()), its data copied in; 0 if it never went
 * @ended: set by the backend: when it came back, before its data is copied
 *	out; 0 if it never went
 *
 * The caller embeds the request in its own command and finds it again in
 * @done with container_of().
 */
struct zoc_blkback_req {
	enum zoc_blkback_op op;
	unsigned int flags;
	sector_t sector;
	sector_t nr_sectors;
	const struct zoc_blkback_seg *segs;
	unsigned int nr_segs;
	void (*done)(struct zoc_blkback_req *req, blk_status_t status);
	u64 started;
	u64 ended;
	/* private: */
	struct zoc_blkback *bb;
	struct work_struct work;
};

struct zoc_blkback *zoc_blkback_open(struct zoc_pdev *pdev, const char *name,
				     unsigned int queues);
void zoc_blkback_close(struct zoc_blkback *bb);
sector_t zoc_blkback_capacity(const struct zoc_blkback *bb);
unsigned int zoc_blkback_block_size(const struct zoc_blkback *bb);
const struct zoc_volume_info *zoc_blkback_volume(const struct zoc_blkback *bb);
void zoc_blkback_submit(struct zoc_blkback *bb, struct zoc_blkback_req *req);

#endif /* _ZOC_BLKBACK_H */
