// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC block backend: serves the disks that device models emulate with a
 * volume of the provider's configuration (zoc_volume.h), whose block
 * device of the service VM it opens exclusively.
 *
 * A request's data lies in host memory.  Where the L0 window has struct
 * pages (ZONE_DEVICE, link.c) and each of its segments holds whole
 * logical blocks, a write's bio points at host memory itself: the block
 * device reads the data in place, each page counted as a copy in progress
 * while the bio runs (zoc_proxy_dma_begin()), as the host's fence expects
 * (see zoc_blkback_in_place_vecs() for what is not done in place).
 * Otherwise writes are copied into bounce pages before the bio is
 * submitted, and reads are always copied out of them when it completes.
 * The pages come from a mempool of the backend, so that a shortage of
 * memory delays a request instead of failing it.  Flushes, discards and
 * write zeroes carry no data.  Everything is asynchronous except write zeroes, which
 * run blkdev_issue_zeroout() from a work item: it falls back to writing
 * zero pages on devices without the command and can be followed by a
 * flush for FUA.
 */

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/mempool.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/wait_bit.h>

#include "proxy.h"
#include "zoc_blkback.h"
#include "zoc_guest.h"
#include "zoc_proxy.h"
#include "zoc_volume.h"

#define ZOC_BLKBACK_MODE	(FMODE_READ | FMODE_WRITE | FMODE_EXCL)

/* The bounce pages of the largest read or write */
#define ZOC_BLKBACK_MAX_PAGES	DIV_ROUND_UP(ZOC_BLKBACK_MAX_BYTES, PAGE_SIZE)

static bool zoc_blkback_zero_copy = true;
module_param_named(zero_copy, zoc_blkback_zero_copy, bool, 0644);
MODULE_PARM_DESC(zero_copy,
		 "block I/O in place in host memory where it can be (default: on)");

/**
 * struct zoc_blkback - an open block device
 * @bdev: the device
 * @pdev: the proxy device whose host memory requests name
 * @pages: the bounce pages of reads and writes
 * @ep: the link whose L0 window holds the requests' data
 * @nr_sectors: its capacity when it was opened, in 512-byte sectors
 * @block_size: its logical block size in bytes
 * @inflight: requests whose @done has not returned yet
 * @vol: the volume opened
 */
struct zoc_blkback {
	struct block_device *bdev;
	struct zoc_pdev *pdev;
	mempool_t *pages;
	struct zoc_guest_link *ep;
	sector_t nr_sectors;
	unsigned int block_size;
	atomic_t inflight;
	struct zoc_volume_info vol;
};

/* Walks a request's segments while its data is copied. */
struct zoc_blkback_cursor {
	const struct zoc_blkback_seg *seg;
	u32 off;
};

static int zoc_blkback_copy(struct zoc_blkback *bb,
			    struct zoc_blkback_cursor *c, void *buf,
			    unsigned int len, bool to_host)
{
	unsigned int n;
	u64 addr;
	int ret;

	while (len) {
		n = min(len, c->seg->len - c->off);
		addr = c->seg->addr + c->off;
		if (to_host)
			ret = zoc_proxy_dma_write(bb->pdev, addr, buf, n);
		else
			ret = zoc_proxy_dma_read(bb->pdev, addr, buf, n);
		if (ret)
			return ret;
		buf += n;
		len -= n;
		c->off += n;
		if (c->off == c->seg->len) {
			c->seg++;
			c->off = 0;
		}
	}
	return 0;
}

/* The request is over: tell its owner, then let zoc_blkback_close() go. */
static void zoc_blkback_finish(struct zoc_blkback_req *req,
			       blk_status_t status)
{
	struct zoc_blkback *bb = req->bb;

	req->done(req, status);
	/* @req may be gone now; @bb may be freed once the count drops. */
	if (atomic_dec_and_test(&bb->inflight))
		wake_up_var(&bb->inflight);
}

/* Give a bio's bounce pages back to the pool; any context. */
static void zoc_blkback_free_pages(struct zoc_blkback *bb, struct bio *bio)
{
	struct bvec_iter_all iter;
	struct bio_vec *bv;

	bio_for_each_segment_all(bv, bio, iter)
		mempool_free(bv->bv_page, bb->pages);
}

static void zoc_blkback_rw_end_io(struct bio *bio)
{
	struct zoc_blkback_req *req = bio->bi_private;
	struct zoc_blkback_cursor c = { .seg = req->segs };
	blk_status_t status = bio->bi_status;
	struct bvec_iter_all iter;
	struct bio_vec *bv;

	req->ended = ktime_get_ns();
	if (!status && req->op == ZOC_BLKBACK_READ) {
		bio_for_each_segment_all(bv, bio, iter) {
			if (zoc_blkback_copy(req->bb, &c,
					     page_address(bv->bv_page) +
					     bv->bv_offset, bv->bv_len, true)) {
				status = BLK_STS_IOERR;
				break;
			}
		}
	}
	zoc_blkback_free_pages(req->bb, bio);
	bio_put(bio);
	zoc_blkback_finish(req, status);
}

static void zoc_blkback_end_io(struct bio *bio)
{
	struct zoc_blkback_req *req = bio->bi_private;
	blk_status_t status = bio->bi_status;

	req->ended = ktime_get_ns();
	/* A discard is advice: a device that turns it down did no harm. */
	if (req->op == ZOC_BLKBACK_DISCARD && status == BLK_STS_NOTSUPP)
		status = BLK_STS_OK;
	bio_put(bio);
	zoc_blkback_finish(req, status);
}

/* The host memory of a bio in place is no longer used; any context. */
static void zoc_blkback_put_host(struct zoc_blkback *bb, struct bio *bio)
{
	unsigned short i;

	for (i = 0; i < bio->bi_vcnt; i++)
		zoc_proxy_dma_end(bb->pdev);
}

static void zoc_blkback_in_place_end_io(struct bio *bio)
{
	struct zoc_blkback_req *req = bio->bi_private;
	blk_status_t status = bio->bi_status;

	req->ended = ktime_get_ns();
	zoc_blkback_put_host(req->bb, bio);
	if (!status)
		zoc_proxy_stat_add(req->bb->pdev, ZOC_DEV_STAT_IN_PLACE_BYTES,
				   req->nr_sectors << SECTOR_SHIFT);
	bio_put(bio);
	zoc_blkback_finish(req, status);
}

/*
 * The bio vectors a write needs to point at host memory, a page each, or
 * 0 if it cannot: no struct pages, zero copy off, a segment that does not
 * hold whole logical blocks (the device's DMA alignment is less than a
 * block), more vectors than a bio holds, or a device that needs its data
 * stable while it runs (a digest or integrity data computed over it, as
 * NVMe/TCP's data digest): the host could change the data between the
 * digest and its transfer, and the error that follows resets every queue
 * of the controller, other volumes' too.  Reads are always copied: a
 * read's data may land after the host declared the function gone and
 * failed the read, into memory its owner sees again (an O_DIRECT
 * buffer); a copy out checks for that first, a device's DMA cannot.
 */
static unsigned int zoc_blkback_in_place_vecs(struct zoc_blkback *bb,
					      const struct zoc_blkback_req *req)
{
	u64 mask = max_t(u64, bb->block_size - 1,
			 bdev_dma_alignment(bb->bdev));
	const struct zoc_blkback_seg *seg;
	unsigned int i, vecs = 0;

	if (req->op != ZOC_BLKBACK_WRITE ||
	    !zoc_guest_link_has_pages(bb->ep) ||
	    !READ_ONCE(zoc_blkback_zero_copy) || bdev_stable_writes(bb->bdev))
		return 0;
	for (i = 0; i < req->nr_segs; i++) {
		seg = &req->segs[i];
		if ((seg->addr | seg->len) & mask)
			return 0;
		vecs += DIV_ROUND_UP(offset_in_page(seg->addr) + seg->len,
				     PAGE_SIZE);
		if (vecs > BIO_MAX_VECS)
			return 0;
	}
	return vecs;
}

/*
 * A write in place, in a bio of @vecs vectors: a page of host memory
 * each, counted while the bio runs.  A range that is not host RAM
 * fails the request before anything went to the device.
 */
static void zoc_blkback_rw_in_place(struct zoc_blkback *bb,
				    struct zoc_blkback_req *req,
				    blk_opf_t opf, unsigned int vecs)
{
	const struct zoc_blkback_seg *seg;
	unsigned int i, off, n;
	struct bio *bio;
	void *p;
	u64 addr;

	bio = bio_alloc(bb->bdev, vecs, opf, GFP_NOIO);
	bio->bi_iter.bi_sector = req->sector;
	bio->bi_private = req;
	bio->bi_end_io = zoc_blkback_in_place_end_io;
	for (i = 0; i < req->nr_segs; i++) {
		seg = &req->segs[i];
		for (off = 0; off < seg->len; off += n) {
			addr = seg->addr + off;
			n = min_t(unsigned int, seg->len - off,
				  PAGE_SIZE - offset_in_page(addr));
			p = zoc_proxy_dma_begin(bb->pdev, addr, n);
			if (!p)
				goto out_put;
			/* Counted: zoc_blkback_put_host() ends it */
			__bio_add_page(bio, zoc_guest_link_host_page(bb->ep, p),
				       n, offset_in_page(p));
		}
	}
	req->started = ktime_get_ns();
	submit_bio(bio);
	return;

out_put:
	zoc_blkback_put_host(bb, bio);
	bio_put(bio);
	zoc_blkback_finish(req, BLK_STS_IOERR);
}

/*
 * A read or a write: its bounce pages are taken from the pool one after the
 * other, waiting for pages given back by other requests' bios if memory is
 * short (see zoc_blkback_open() for why that wait ends); a write's data is
 * copied in as they come.
 */
static void zoc_blkback_rw(struct zoc_blkback *bb, struct zoc_blkback_req *req)
{
	bool write = req->op == ZOC_BLKBACK_WRITE;
	unsigned int len = req->nr_sectors << SECTOR_SHIFT;
	struct zoc_blkback_cursor c = { .seg = req->segs };
	blk_opf_t opf = REQ_OP_READ;
	unsigned int n, off;
	struct page *page;
	struct bio *bio;

	BUILD_BUG_ON(BIO_MAX_VECS * PAGE_SIZE < ZOC_BLKBACK_MAX_BYTES);
	if (write)
		opf = REQ_OP_WRITE | REQ_SYNC;
	if (write && (req->flags & ZOC_BLKBACK_F_FUA))
		opf |= REQ_FUA;
	n = zoc_blkback_in_place_vecs(bb, req);
	if (n) {
		zoc_blkback_rw_in_place(bb, req, opf, n);
		return;
	}
	bio = bio_alloc(bb->bdev, DIV_ROUND_UP(len, PAGE_SIZE), opf, GFP_NOIO);
	bio->bi_iter.bi_sector = req->sector;
	bio->bi_private = req;
	bio->bi_end_io = zoc_blkback_rw_end_io;

	for (off = 0; off < len; off += n) {
		n = min_t(unsigned int, len - off, PAGE_SIZE);
		/* Sleeps until a page is free: never NULL. */
		page = mempool_alloc(bb->pages, GFP_NOIO);
		/* Room for every page was asked of bio_alloc(). */
		__bio_add_page(bio, page, n, 0);
		if (write && zoc_blkback_copy(bb, &c, page_address(page), n,
					      false))
			goto out_free_bio;
	}
	req->started = ktime_get_ns();
	submit_bio(bio);
	return;

out_free_bio:
	zoc_blkback_free_pages(bb, bio);
	bio_put(bio);
	zoc_blkback_finish(req, BLK_STS_IOERR);
}

static void zoc_blkback_flush(struct zoc_blkback *bb,
			      struct zoc_blkback_req *req)
{
	struct bio *bio;

	bio = bio_alloc(bb->bdev, 0, REQ_OP_WRITE | REQ_PREFLUSH, GFP_NOIO);
	bio->bi_private = req;
	bio->bi_end_io = zoc_blkback_end_io;
	req->started = ktime_get_ns();
	submit_bio(bio);
}

static void zoc_blkback_discard(struct zoc_blkback *bb,
				struct zoc_blkback_req *req)
{
	struct bio *bio = NULL;
	int ret;

	ret = __blkdev_issue_discard(bb->bdev, req->sector, req->nr_sectors,
				     GFP_NOIO, &bio);
	if (ret == -EOPNOTSUPP)
		ret = 0;	/* no discard on this device: nothing to do */
	if (ret || !bio) {
		zoc_blkback_finish(req, errno_to_blk_status(ret));
		return;
	}
	bio->bi_private = req;
	bio->bi_end_io = zoc_blkback_end_io;
	req->started = ktime_get_ns();
	submit_bio(bio);
}

static void zoc_blkback_zeroout_work(struct work_struct *work)
{
	struct zoc_blkback_req *req =
		container_of(work, struct zoc_blkback_req, work);
	struct zoc_blkback *bb = req->bb;
	int ret;

	req->started = ktime_get_ns();
	ret = blkdev_issue_zeroout(bb->bdev, req->sector, req->nr_sectors,
				   GFP_NOIO,
				   req->flags & ZOC_BLKBACK_F_NOUNMAP ?
				   BLKDEV_ZERO_NOUNMAP : 0);
	if (!ret && (req->flags & ZOC_BLKBACK_F_FUA))
		ret = blkdev_issue_flush(bb->bdev);
	req->ended = ktime_get_ns();
	zoc_blkback_finish(req, errno_to_blk_status(ret));
}

/* Refuse what no well-formed request holds. */
static blk_status_t zoc_blkback_check(struct zoc_blkback *bb,
				      const struct zoc_blkback_req *req)
{
	sector_t mask = (bb->block_size >> SECTOR_SHIFT) - 1;
	u64 bytes = 0;
	unsigned int i;

	switch (req->op) {
	case ZOC_BLKBACK_FLUSH:
		return BLK_STS_OK;
	case ZOC_BLKBACK_READ:
	case ZOC_BLKBACK_WRITE:
		if (req->nr_sectors > ZOC_BLKBACK_MAX_BYTES >> SECTOR_SHIFT ||
		    !req->nr_segs)
			return BLK_STS_IOERR;
		for (i = 0; i < req->nr_segs; i++) {
			if (!req->segs[i].len)
				return BLK_STS_IOERR;
			bytes += req->segs[i].len;
		}
		if (bytes != (u64)req->nr_sectors << SECTOR_SHIFT)
			return BLK_STS_IOERR;
		break;
	case ZOC_BLKBACK_WRITE_ZEROES:
	case ZOC_BLKBACK_DISCARD:
		break;
	default:
		return BLK_STS_NOTSUPP;
	}
	if (!req->nr_sectors || (req->sector & mask) ||
	    (req->nr_sectors & mask))
		return BLK_STS_IOERR;
	if (req->nr_sectors > bb->nr_sectors ||
	    req->sector > bb->nr_sectors - req->nr_sectors)
		return BLK_STS_TARGET;
	return BLK_STS_OK;
}

/**
 * zoc_blkback_submit - start a request
 * @bb: the backend
 * @req: the request, filled in up to @req->done; it belongs to the backend
 *	until @req->done is called
 *
 * A request that is malformed (no data, a length that does not match its
 * segments, sectors not aligned to the logical block size, too much data)
 * completes with BLK_STS_IOERR, as does a read or a write whose host memory
 * cannot be copied; one beyond the capacity completes with BLK_STS_TARGET.
 * Write zeroes fall back to writing zero pages on devices without the
 * command; discards complete as no-ops on devices without discard.
 *
 * A shortage of memory never fails a request: a read or a write waits for
 * bounce pages from the backend's reserve (see zoc_blkback_open()).
 *
 * Context: process context, from one of the contexts counted by
 * zoc_blkback_open()'s @queues; sleeps (waits for bounce pages, for bios,
 * for the device's queue).
 */
void zoc_blkback_submit(struct zoc_blkback *bb, struct zoc_blkback_req *req)
{
	blk_status_t status;

	might_sleep();
	req->bb = bb;
	req->started = 0;
	req->ended = 0;
	atomic_inc(&bb->inflight);
	status = zoc_blkback_check(bb, req);
	if (status) {
		zoc_blkback_finish(req, status);
		return;
	}

	switch (req->op) {
	case ZOC_BLKBACK_READ:
	case ZOC_BLKBACK_WRITE:
		zoc_blkback_rw(bb, req);
		break;
	case ZOC_BLKBACK_FLUSH:
		zoc_blkback_flush(bb, req);
		break;
	case ZOC_BLKBACK_WRITE_ZEROES:
		INIT_WORK(&req->work, zoc_blkback_zeroout_work);
		queue_work(system_unbound_wq, &req->work);
		break;
	case ZOC_BLKBACK_DISCARD:
		zoc_blkback_discard(bb, req);
		break;
	}
}
EXPORT_SYMBOL_GPL(zoc_blkback_submit);

/**
 * zoc_blkback_capacity - the device's size
 * @bb: the backend
 *
 * Return: the capacity in 512-byte sectors, as it was when the device was
 * opened.
 */
sector_t zoc_blkback_capacity(const struct zoc_blkback *bb)
{
	return bb->nr_sectors;
}
EXPORT_SYMBOL_GPL(zoc_blkback_capacity);

/**
 * zoc_blkback_block_size - the device's logical block size
 * @bb: the backend
 *
 * Return: the logical block size in bytes, a power of two from 512 to
 * PAGE_SIZE.
 */
unsigned int zoc_blkback_block_size(const struct zoc_blkback *bb)
{
	return bb->block_size;
}
EXPORT_SYMBOL_GPL(zoc_blkback_block_size);

/**
 * zoc_blkback_volume - what the volume is
 * @bb: the backend
 *
 * Return: the volume as the configuration gave it when the backend was
 * opened: its block device and the identity its disks show.
 */
const struct zoc_volume_info *zoc_blkback_volume(const struct zoc_blkback *bb)
{
	return &bb->vol;
}
EXPORT_SYMBOL_GPL(zoc_blkback_volume);

/**
 * zoc_blkback_open - open a volume of the service VM for a device
 * @pdev: the proxy device whose host memory the requests will name
 * @name: the volume's name, as the host gave it
 * @queues: how many contexts may call zoc_blkback_submit() at the same
 *	time (the device model's queues, each served by one work item),
 *	1 to ZOC_BLKBACK_MAX_QUEUES
 *
 * The volume must be one the provider's configuration lists and enables
 * (zoc_volume_find()): a name it does not list opens nothing.  Its block
 * device is opened for reading and writing, exclusively: nothing else in
 * the service VM may open it exclusively (mount it, for one) until
 * zoc_blkback_close().
 *
 * The backend keeps a reserve of bounce pages for the largest read or
 * write of each of the @queues contexts.  A context takes the pages of a
 * request one after the other, waiting for the pool when memory is short,
 * and submits its bio before it starts another request; the pages come
 * back when the bio completes.  So the contexts waiting for pages hold
 * fewer pages between them than the reserve counts, the rest are in
 * submitted bios, and their completions refill the reserve: every request
 * gets its pages, however short memory is.
 *
 * Context: process context.
 * Return: the backend, or ERR_PTR(-EINVAL) for a name that is empty or
 * holds '/' or "..", or for @queues out of range,
 * ERR_PTR(-ENOENT) for a volume the configuration does not list,
 * ERR_PTR(-EAGAIN) for one it lists but has not enabled (yet),
 * ERR_PTR(-ENXIO) if its block device is missing, ERR_PTR(-ENOMEM),
 * another ERR_PTR() (-EBUSY: already held) if it cannot be opened.
 */
struct zoc_blkback *zoc_blkback_open(struct zoc_pdev *pdev, const char *name,
				     unsigned int queues)
{
	struct block_device *bdev;
	struct zoc_blkback *bb;
	int ret;

	/* No name of a volume holds these: a path is a malformed request. */
	if (!*name || strchr(name, '/') || strstr(name, "..") || !queues ||
	    queues > ZOC_BLKBACK_MAX_QUEUES)
		return ERR_PTR(-EINVAL);
	bb = kzalloc(sizeof(*bb), GFP_KERNEL);
	if (!bb)
		return ERR_PTR(-ENOMEM);
	ret = zoc_volume_find(name, &bb->vol);
	if (ret == -ENOENT)
		pr_warn_ratelimited("zoc: volume '%*pE': not in the configuration: refused\n",
				    (int)strlen(name), name);
	if (ret)
		goto out_free_bb;
	bb->pages = mempool_create_page_pool(queues * ZOC_BLKBACK_MAX_PAGES, 0);
	if (!bb->pages) {
		ret = -ENOMEM;
		goto out_free_bb;
	}
	bdev = blkdev_get_by_path(bb->vol.path, ZOC_BLKBACK_MODE, bb);
	if (IS_ERR(bdev)) {
		ret = PTR_ERR(bdev);
		pr_warn_ratelimited("zoc: volume %s: %s: cannot open: %d\n",
				    name, bb->vol.path, ret);
		if (ret == -ENOENT || ret == -ENODEV || ret == -ENOTBLK)
			ret = -ENXIO;
		goto out_destroy_pool;
	}
	bb->bdev = bdev;
	bb->pdev = pdev;
	bb->ep = pdev->proxy->ep;
	bb->nr_sectors = bdev_nr_sectors(bdev);
	bb->block_size = bdev_logical_block_size(bdev);
	atomic_set(&bb->inflight, 0);
	return bb;

out_destroy_pool:
	mempool_destroy(bb->pages);
out_free_bb:
	kfree(bb);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(zoc_blkback_open);

/**
 * zoc_blkback_close - close a backend
 * @bb: as returned by zoc_blkback_open()
 *
 * Waits until every request submitted has completed and its @done has
 * returned, flushes the device's volatile cache (a device the host
 * deleted, or whose driver never asked for a flush, leaves its data on
 * stable storage), then releases the device.
 *
 * Context: process context; sleeps.
 */
void zoc_blkback_close(struct zoc_blkback *bb)
{
	int ret;

	wait_var_event(&bb->inflight, !atomic_read(&bb->inflight));
	ret = blkdev_issue_flush(bb->bdev);
	if (ret)
		pr_warn("zoc: %pg: flush on close failed: %d\n", bb->bdev, ret);
	blkdev_put(bb->bdev, ZOC_BLKBACK_MODE);
	mempool_destroy(bb->pages);
	kfree(bb);
}
EXPORT_SYMBOL_GPL(zoc_blkback_close);
