// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtio-blk device: a virtio block device for the host's stock
 * virtio_blk driver, served by a block device of the service VM
 * (guest/blkback.c), over the virtio PCI transport (pci.c).
 *
 * Each request is a descriptor chain: a 16-byte header the device reads,
 * the data, and a status byte it writes.  Reads and writes become backend
 * requests whose segments are the chain's buffers in host memory, split
 * into pieces of at most ZOC_BLKBACK_MAX_BYTES; flushes, discards and
 * write zeroes carry no data.  A chain without a readable header or a
 * writable status byte breaks the protocol and the device needs a reset;
 * any other fault fails the request with its status.
 *
 * A queue's requests are allocated when its first chain is about to be
 * taken, one for each head the queue can have with the segments of the
 * longest chain, and freed when it is reset: nothing is allocated for a
 * request, so that memory pressure never fails one.  A chain whose head
 * is still in flight is refused: the driver broke the protocol.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/blkdev.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_ids.h>
#include <linux/zoc_link.h>

#include "../../zoc_blkback.h"
#include "../../zoc_proxy.h"
#include "../../zoc_volume.h"
#include "virtio.h"

#define ZOC_VBLK_CLASS		0x018000	/* mass storage, other */
#define ZOC_VBLK_DEF_QUEUES	1
/* Data buffers of a request: its chain fits a queue shrunk to 128. */
#define ZOC_VBLK_SEG_MAX	126
/* A request's data, in pieces of what the backend takes at once */
#define ZOC_VBLK_CHUNK		ZOC_BLKBACK_MAX_BYTES
#define ZOC_VBLK_MAX_CHUNKS	8
#define ZOC_VBLK_MAX_BYTES	(ZOC_VBLK_MAX_CHUNKS * ZOC_VBLK_CHUNK)
/*
 * The segments of a request of a queue of @num entries: a chain has at
 * most @num buffers (the engine bounds chains, indirect ones included, by
 * the queue size), and splitting the data into chunks cuts at most one
 * buffer at each of the ZOC_VBLK_MAX_CHUNKS - 1 boundaries.
 */
#define ZOC_VBLK_REQ_SEGS(num)	((num) + ZOC_VBLK_MAX_CHUNKS)
/* Discard and write zeroes: one range of at most 1 GiB */
#define ZOC_VBLK_MAX_RANGE	(SZ_1G >> SECTOR_SHIFT)

#define ZOC_VBLK_FEATURES	(BIT_ULL(VIRTIO_BLK_F_SEG_MAX) |	\
				 BIT_ULL(VIRTIO_BLK_F_BLK_SIZE) |	\
				 BIT_ULL(VIRTIO_BLK_F_FLUSH) |		\
				 BIT_ULL(VIRTIO_BLK_F_MQ) |		\
				 BIT_ULL(VIRTIO_BLK_F_DISCARD) |	\
				 BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES))

/* Not a status: the request completes later. */
#define ZOC_VBLK_ASYNC		0xff

struct zoc_vblk_req;

/**
 * struct zoc_vblk_queue - the requests of a queue
 * @num: the queue's size, and entries of @reqs; 0 when not set up
 * @reqs: its requests, by the head of their chain
 * @segs: the segments of @reqs, ZOC_VBLK_REQ_SEGS(@num) for each
 *
 * Allocated by zoc_vblk_setup() and freed by zoc_vblk_teardown(), with
 * the queue's work stopped and nothing in flight.
 */
struct zoc_vblk_queue {
	unsigned int num;
	struct zoc_vblk_req *reqs;
	struct zoc_blkback_seg *segs;
};

/**
 * struct zoc_vblk - a virtio-blk device
 * @vdev: its virtio device
 * @pdev: its proxy device
 * @bb: the block device behind it
 * @id: what GET_ID returns: the volume's serial number, zero padded
 * @capacity: its size in 512-byte sectors
 * @queues: the requests of its queues, by queue index
 */
struct zoc_vblk {
	struct zoc_virtio_dev *vdev;
	struct zoc_pdev *pdev;
	struct zoc_blkback *bb;
	char id[VIRTIO_BLK_ID_BYTES];
	sector_t capacity;
	struct zoc_vblk_queue queues[ZOC_VIRTIO_MAX_QUEUES];
};

/**
 * struct zoc_vblk_chunk - a backend request of a virtio-blk request
 * @breq: the backend request
 * @req: the virtio-blk request
 */
struct zoc_vblk_chunk {
	struct zoc_blkback_req breq;
	struct zoc_vblk_req *req;
};

/**
 * struct zoc_vblk_req - a request in the backend, the slot of a head
 * @vblk: its device
 * @vq: its queue
 * @head: its chain's head, its index in the queue's requests
 * @segs: where the data of @chunks lies, chunk after chunk; the queue's
 *	ZOC_VBLK_REQ_SEGS() entries for this head
 * @busy: in use, from the queue's work taking its chain to the moment its
 *	used entry is about to be posted
 * @status_addr: where its status byte goes in host memory
 * @op: what it asks of the backend
 * @flags: ZOC_BLKBACK_F_* of its chunks
 * @bytes: bytes of data
 * @pending: chunks running, plus one while they are submitted
 * @error: a failure among them
 * @nr_chunks: entries used in @chunks
 * @taken: when the queue's work took its chain (ktime_get_ns())
 * @chunks: its backend requests
 *
 * @vblk, @vq, @head and @segs are set when the queue is set up; the
 * others each time the slot is used.
 */
struct zoc_vblk_req {
	struct zoc_vblk *vblk;
	struct zoc_virtio_queue *vq;
	u16 head;
	struct zoc_blkback_seg *segs;
	bool busy;
	u64 status_addr;
	enum zoc_blkback_op op;
	unsigned int flags;
	u32 bytes;
	atomic_t pending;
	blk_status_t error;
	unsigned int nr_chunks;
	u64 taken;
	struct zoc_vblk_chunk chunks[ZOC_VBLK_MAX_CHUNKS];
};

static struct zoc_vblk_queue *zoc_vblk_queue_of(struct zoc_vblk *vblk,
						struct zoc_virtio_queue *vq)
{
	return &vblk->queues[zoc_virtio_vq_index(vq)];
}

/* Its stages, as its first chunk went through them (ZOC_DEV_STAT_*_NS) */
static void zoc_vblk_req_time(struct zoc_vblk_req *req)
{
	const struct zoc_blkback_req *first = &req->chunks[0].breq;
	struct zoc_pdev *pdev = req->vblk->pdev;

	if (!req->nr_chunks || !req->taken || first->started < req->taken ||
	    first->ended < first->started)
		return;
	zoc_proxy_stat_add(pdev, ZOC_DEV_STAT_PREP_NS,
			   first->started - req->taken);
	zoc_proxy_stat_add(pdev, ZOC_DEV_STAT_BACKEND_NS,
			   first->ended - first->started);
	zoc_proxy_stage(pdev, ZOC_DEV_STAT_DONE_NS, first->ended);
}

/* Write the status byte, post the used entry and count the request. */
static void zoc_vblk_finish(struct zoc_vblk *vblk, struct zoc_virtio_queue *vq,
			    u16 head, u64 status_addr, u8 status, u32 written)
{
	zoc_proxy_stat_add(vblk->pdev, ZOC_DEV_STAT_COMMANDS, 1);
	if (status != VIRTIO_BLK_S_OK) {
		zoc_proxy_stat_add(vblk->pdev, ZOC_DEV_STAT_ERRORS, 1);
		written = 0;
	}
	/* In host RAM: the chain was checked. */
	zoc_proxy_dma_write(vblk->pdev, status_addr, &status, sizeof(status));
	zoc_vq_complete(vq, head, written + sizeof(status));
}

static void zoc_vblk_req_put(struct zoc_vblk_req *req)
{
	struct zoc_virtio_queue *vq = req->vq;
	struct zoc_vblk *vblk = req->vblk;
	u8 status = VIRTIO_BLK_S_OK;
	u16 head = req->head;
	u64 status_addr;
	u32 written = 0;

	if (!atomic_dec_and_test(&req->pending))
		return;
	zoc_vblk_req_time(req);
	if (READ_ONCE(req->error)) {
		status = VIRTIO_BLK_S_IOERR;
	} else if (req->op == ZOC_BLKBACK_READ) {
		written = req->bytes;
		zoc_proxy_stat_add(vblk->pdev, ZOC_DEV_STAT_READ_BYTES,
				   req->bytes);
	} else if (req->op == ZOC_BLKBACK_WRITE) {
		zoc_proxy_stat_add(vblk->pdev, ZOC_DEV_STAT_WRITE_BYTES,
				   req->bytes);
	}
	status_addr = req->status_addr;
	/*
	 * The slot is free before the used entry is posted, as the driver may
	 * make the head available again once it sees the entry; pairs with
	 * the acquire in zoc_vblk_handle().  Nothing of @req is read after
	 * this, and the queue may be torn down once the entry is posted.
	 */
	smp_store_release(&req->busy, false);
	zoc_vblk_finish(vblk, vq, head, status_addr, status, written);
}

static void zoc_vblk_chunk_done(struct zoc_blkback_req *breq,
				blk_status_t status)
{
	struct zoc_vblk_chunk *chunk = container_of(breq, struct zoc_vblk_chunk,
						    breq);

	if (status)
		WRITE_ONCE(chunk->req->error, status);
	zoc_vblk_req_put(chunk->req);
}

/*
 * The request of @chain's head, which zoc_vblk_handle() found free: in use
 * until its used entry is posted.
 */
static struct zoc_vblk_req *zoc_vblk_req_get(struct zoc_vblk *vblk,
					     struct zoc_virtio_queue *vq,
					     const struct zoc_vq_chain *chain,
					     u64 status_addr,
					     enum zoc_blkback_op op)
{
	struct zoc_vblk_queue *q = zoc_vblk_queue_of(vblk, vq);
	struct zoc_vblk_req *req = &q->reqs[chain->head];

	WRITE_ONCE(req->busy, true);
	req->status_addr = status_addr;
	req->op = op;
	req->flags = 0;
	req->bytes = 0;
	req->error = BLK_STS_OK;
	req->nr_chunks = 0;
	req->taken = chain->taken;
	return req;
}

/* Start the chunks of @req; it completes when the last one is done. */
static void zoc_vblk_req_submit(struct zoc_vblk_req *req, sector_t sector)
{
	struct zoc_vblk_chunk *chunk;
	unsigned int i;

	atomic_set(&req->pending, req->nr_chunks + 1);
	for (i = 0; i < req->nr_chunks; i++) {
		chunk = &req->chunks[i];
		chunk->req = req;
		chunk->breq.op = req->op;
		chunk->breq.flags = req->flags;
		chunk->breq.sector = sector;
		chunk->breq.done = zoc_vblk_chunk_done;
		sector += chunk->breq.nr_sectors;
		zoc_blkback_submit(req->vblk->bb, &chunk->breq);
	}
	zoc_vblk_req_put(req);
}

static bool zoc_vblk_range_ok(struct zoc_vblk *vblk, u64 sector, u64 nr)
{
	return nr <= vblk->capacity && sector <= vblk->capacity - nr;
}

/*
 * Turn @len bytes of the chain's data, @skip bytes into its readable
 * (@write) or writable buffers, into the segments of @req's chunks.
 */
static void zoc_vblk_map(struct zoc_vblk_req *req,
			 const struct zoc_vq_chain *chain, bool write,
			 u64 skip, u32 len)
{
	unsigned int first = write ? 0 : chain->nr_out;
	unsigned int end = write ? chain->nr_out : chain->nr_segs;
	unsigned int i, ns = 0, start = 0;
	struct zoc_blkback_req *breq;
	u32 pos = 0, n, take;
	u64 addr;

	for (i = first; i < end && pos < len; i++) {
		if (skip >= chain->segs[i].len) {
			skip -= chain->segs[i].len;
			continue;
		}
		addr = chain->segs[i].addr + skip;
		n = min_t(u64, chain->segs[i].len - skip, len - pos);
		skip = 0;
		while (n) {
			take = min(n, ZOC_VBLK_CHUNK - pos % ZOC_VBLK_CHUNK);
			req->segs[ns].addr = addr;
			req->segs[ns].len = take;
			ns++;
			addr += take;
			n -= take;
			pos += take;
			if (pos % ZOC_VBLK_CHUNK && pos < len)
				continue;
			breq = &req->chunks[req->nr_chunks++].breq;
			breq->segs = &req->segs[start];
			breq->nr_segs = ns - start;
			start = ns;
		}
	}
}

/* A read or a write of @len bytes at @sector. */
static u8 zoc_vblk_rw(struct zoc_vblk *vblk, struct zoc_virtio_queue *vq,
		      const struct zoc_vq_chain *chain, u64 status_addr,
		      bool write, u64 sector, u64 len)
{
	struct zoc_vblk_req *req;
	unsigned int i;

	if (len % SECTOR_SIZE ||
	    !zoc_vblk_range_ok(vblk, sector, len >> SECTOR_SHIFT))
		return VIRTIO_BLK_S_IOERR;
	if (!len)
		return VIRTIO_BLK_S_OK;
	if (len > ZOC_VBLK_MAX_BYTES)
		return VIRTIO_BLK_S_IOERR;
	req = zoc_vblk_req_get(vblk, vq, chain, status_addr,
			       write ? ZOC_BLKBACK_WRITE : ZOC_BLKBACK_READ);
	req->bytes = len;
	zoc_vblk_map(req, chain, write,
		     write ? sizeof(struct virtio_blk_outhdr) : 0, len);
	/* Every chunk but the last is ZOC_VBLK_CHUNK bytes. */
	for (i = 0; i < req->nr_chunks; i++)
		req->chunks[i].breq.nr_sectors =
			min_t(u64, len - (u64)i * ZOC_VBLK_CHUNK,
			      ZOC_VBLK_CHUNK) >> SECTOR_SHIFT;
	zoc_vblk_req_submit(req, sector);
	return ZOC_VBLK_ASYNC;
}

/* A request without data: a flush, a discard or a write zeroes. */
static u8 zoc_vblk_nodata(struct zoc_vblk *vblk, struct zoc_virtio_queue *vq,
			  const struct zoc_vq_chain *chain,
			  u64 status_addr, enum zoc_blkback_op op,
			  unsigned int flags, u64 sector, u32 nr_sectors)
{
	struct zoc_vblk_req *req;

	req = zoc_vblk_req_get(vblk, vq, chain, status_addr, op);
	req->flags = flags;
	req->nr_chunks = 1;
	req->chunks[0].breq.segs = NULL;
	req->chunks[0].breq.nr_segs = 0;
	req->chunks[0].breq.nr_sectors = nr_sectors;
	zoc_vblk_req_submit(req, sector);
	return ZOC_VBLK_ASYNC;
}

/* Discard and write zeroes: one range in the data. */
static u8 zoc_vblk_range(struct zoc_vblk *vblk, struct zoc_virtio_queue *vq,
			 const struct zoc_vq_chain *chain, u64 status_addr,
			 bool discard, u64 len)
{
	struct virtio_blk_discard_write_zeroes range;
	u32 nr, flags;
	u64 sector;

	if (len != sizeof(range))
		return VIRTIO_BLK_S_IOERR;	/* one range at most */
	if (zoc_vq_chain_read(vblk->vdev, chain,
			      sizeof(struct virtio_blk_outhdr), &range,
			      sizeof(range)))
		return VIRTIO_BLK_S_IOERR;
	sector = le64_to_cpu(range.sector);
	nr = le32_to_cpu(range.num_sectors);
	flags = le32_to_cpu(range.flags);
	if (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP ||
	    (discard && flags))
		return VIRTIO_BLK_S_UNSUPP;
	if (nr > ZOC_VBLK_MAX_RANGE || !zoc_vblk_range_ok(vblk, sector, nr))
		return VIRTIO_BLK_S_IOERR;
	if (!nr)
		return VIRTIO_BLK_S_OK;
	if (discard)
		return zoc_vblk_nodata(vblk, vq, chain, status_addr,
				       ZOC_BLKBACK_DISCARD, 0, sector, nr);
	return zoc_vblk_nodata(vblk, vq, chain, status_addr,
			       ZOC_BLKBACK_WRITE_ZEROES,
			       flags ? 0 : ZOC_BLKBACK_F_NOUNMAP, sector, nr);
}

static int zoc_vblk_handle(struct zoc_virtio_queue *vq,
			   const struct zoc_vq_chain *chain)
{
	struct zoc_virtio_dev *vdev = zoc_virtio_vq_dev(vq);
	struct zoc_vblk *vblk = zoc_virtio_priv(vdev);
	struct zoc_vblk_queue *q = zoc_vblk_queue_of(vblk, vq);
	const struct zoc_vq_seg *last;
	struct virtio_blk_outhdr hdr;
	u64 data_out, data_in, sector, status_addr;
	u32 written = 0, n;
	u8 status;

	/* The engine bounds both by the queue size; they index our arrays. */
	if (chain->head >= q->num || chain->nr_segs > q->num)
		return -EINVAL;
	/*
	 * A head whose used entry is not posted yet is not the driver's to
	 * offer again: refused, the request in flight untouched.  Pairs with
	 * the release in zoc_vblk_req_put().
	 */
	if (smp_load_acquire(&q->reqs[chain->head].busy))
		return -EINVAL;
	/* The header first, the status byte last: else nothing to answer. */
	if (chain->out_len < sizeof(hdr) || !chain->in_len ||
	    zoc_vq_chain_read(vdev, chain, 0, &hdr, sizeof(hdr)))
		return -EINVAL;
	last = &chain->segs[chain->nr_segs - 1];
	status_addr = last->addr + last->len - 1;
	data_out = chain->out_len - sizeof(hdr);
	data_in = chain->in_len - 1;
	sector = __virtio64_to_cpu(true, hdr.sector);

	switch (__virtio32_to_cpu(true, hdr.type)) {
	case VIRTIO_BLK_T_IN:
		status = data_out ? VIRTIO_BLK_S_IOERR :
			 zoc_vblk_rw(vblk, vq, chain, status_addr, false,
				     sector, data_in);
		break;
	case VIRTIO_BLK_T_OUT:
		status = data_in ? VIRTIO_BLK_S_IOERR :
			 zoc_vblk_rw(vblk, vq, chain, status_addr, true,
				     sector, data_out);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = data_in || data_out ? VIRTIO_BLK_S_IOERR :
			 zoc_vblk_nodata(vblk, vq, chain, status_addr,
					 ZOC_BLKBACK_FLUSH, 0, 0, 0);
		break;
	case VIRTIO_BLK_T_GET_ID:
		n = min_t(u64, data_in, sizeof(vblk->id));
		status = VIRTIO_BLK_S_IOERR;
		if (!data_out &&
		    !zoc_vq_chain_write(vdev, chain, 0, vblk->id, n)) {
			status = VIRTIO_BLK_S_OK;
			written = n;
		}
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = data_in ? VIRTIO_BLK_S_IOERR :
			 zoc_vblk_range(vblk, vq, chain, status_addr,
					__virtio32_to_cpu(true, hdr.type) ==
					VIRTIO_BLK_T_DISCARD, data_out);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (status != ZOC_VBLK_ASYNC)
		zoc_vblk_finish(vblk, vq, chain->head, status_addr, status,
				written);
	return 0;
}

/* A queue is about to take its first chain: its requests, for each head. */
static int zoc_vblk_setup(struct zoc_virtio_queue *vq, unsigned int num)
{
	struct zoc_vblk *vblk = zoc_virtio_priv(zoc_virtio_vq_dev(vq));
	struct zoc_vblk_queue *q = zoc_vblk_queue_of(vblk, vq);
	unsigned int i, room = ZOC_VBLK_REQ_SEGS(num);
	struct zoc_vblk_req *reqs;
	struct zoc_blkback_seg *segs;

	reqs = kvcalloc(num, sizeof(*reqs), GFP_KERNEL);
	segs = kvcalloc(array_size(num, room), sizeof(*segs), GFP_KERNEL);
	if (!reqs || !segs) {
		kvfree(segs);
		kvfree(reqs);
		return -ENOMEM;
	}
	for (i = 0; i < num; i++) {
		reqs[i].vblk = vblk;
		reqs[i].vq = vq;
		reqs[i].head = i;
		reqs[i].segs = &segs[i * room];
	}
	q->reqs = reqs;
	q->segs = segs;
	q->num = num;
	return 0;
}

/* A queue is reset or destroyed: nothing in flight, its work stopped. */
static void zoc_vblk_teardown(struct zoc_virtio_queue *vq)
{
	struct zoc_vblk *vblk = zoc_virtio_priv(zoc_virtio_vq_dev(vq));
	struct zoc_vblk_queue *q = zoc_vblk_queue_of(vblk, vq);

	kvfree(q->segs);
	kvfree(q->reqs);
	q->segs = NULL;
	q->reqs = NULL;
	q->num = 0;
}

/* Every queue carries the driver's requests. */
static bool zoc_vblk_poll(const struct zoc_virtio_queue *vq)
{
	return true;
}

static const struct zoc_virtio_ops zoc_vblk_ops = {
	.type = ZOC_DEV_VIRTIO_BLK,
	.device_id = VIRTIO_ID_BLOCK,
	.class = ZOC_VBLK_CLASS,
	.features = ZOC_VBLK_FEATURES,
	.handle = zoc_vblk_handle,
	.setup = zoc_vblk_setup,
	.teardown = zoc_vblk_teardown,
	.poll = zoc_vblk_poll,
};

static void zoc_vblk_config(struct zoc_vblk *vblk, unsigned int queues,
			    unsigned int block_size,
			    struct virtio_blk_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->capacity = __cpu_to_virtio64(true, vblk->capacity);
	cfg->seg_max = __cpu_to_virtio32(true, ZOC_VBLK_SEG_MAX);
	cfg->blk_size = __cpu_to_virtio32(true, block_size);
	cfg->num_queues = __cpu_to_virtio16(true, queues);
	cfg->max_discard_sectors = __cpu_to_virtio32(true, ZOC_VBLK_MAX_RANGE);
	cfg->max_discard_seg = __cpu_to_virtio32(true, 1);
	cfg->discard_sector_alignment =
		__cpu_to_virtio32(true, block_size >> SECTOR_SHIFT);
	cfg->max_write_zeroes_sectors =
		__cpu_to_virtio32(true, ZOC_VBLK_MAX_RANGE);
	cfg->max_write_zeroes_seg = __cpu_to_virtio32(true, 1);
	cfg->write_zeroes_may_unmap = 1;
}

/*
 * A device for @params; with @state (@len bytes), the device a model let
 * go of, going on where it stopped; with @track too, the device of a
 * model that died, from its live record.
 */
static int zoc_vblk_new(struct zoc_pdev *pdev,
			const struct zoc_proxy_params *params,
			const void *state, size_t len, const void *track)
{
	unsigned int queues = params->queues ?: ZOC_VBLK_DEF_QUEUES;
	struct virtio_blk_config cfg;
	unsigned int block_size;
	struct zoc_vblk *vblk;
	const char *serial;
	int ret;

	if (queues > ZOC_DEV_VIRTIO_BLK_MAX_QUEUES)
		return -EINVAL;
	vblk = kzalloc(sizeof(*vblk), GFP_KERNEL);
	if (!vblk)
		return -ENOMEM;
	vblk->pdev = pdev;
	/* Each queue's work submits on its own. */
	vblk->bb = zoc_blkback_open(pdev, params->backend, queues);
	if (IS_ERR(vblk->bb)) {
		ret = PTR_ERR(vblk->bb);
		goto out_free;
	}
	/*
	 * The volume's serial number, whatever the device's name: all of
	 * its 20 characters, unterminated, as virtio-blk's ID may be.
	 */
	serial = zoc_blkback_volume(vblk->bb)->serial;
	memcpy(vblk->id, serial, strnlen(serial, sizeof(vblk->id)));
	vblk->capacity = zoc_blkback_capacity(vblk->bb);
	block_size = zoc_blkback_block_size(vblk->bb);
	zoc_vblk_config(vblk, queues, block_size, &cfg);

	vblk->vdev = zoc_virtio_create(pdev, &zoc_vblk_ops, queues, &cfg,
				       sizeof(cfg), vblk, state);
	if (IS_ERR(vblk->vdev)) {
		ret = PTR_ERR(vblk->vdev);
		goto out_close;
	}
	if (state) {
		ret = track ? zoc_virtio_recover(vblk->vdev, state, len, track) :
			      zoc_virtio_restore(vblk->vdev, state, len);
		if (ret < 0) {
			zoc_virtio_destroy(vblk->vdev);
			goto out_close;
		}
	}
	pr_info("%s: %llu sectors, blocks of %u bytes on %s, %u queues%s\n",
		params->name, (unsigned long long)vblk->capacity, block_size,
		params->backend, queues, state ? ", taken over" : "");
	return 0;

out_close:
	zoc_blkback_close(vblk->bb);
out_free:
	kfree(vblk);
	return ret;
}

static int zoc_vblk_create(struct zoc_pdev *pdev,
			   const struct zoc_proxy_params *params)
{
	return zoc_vblk_new(pdev, params, NULL, 0, NULL);
}

static int zoc_vblk_attach(struct zoc_pdev *pdev,
			   const struct zoc_proxy_params *params,
			   const void *state, size_t len)
{
	return zoc_vblk_new(pdev, params, state, len, NULL);
}

static int zoc_vblk_recover(struct zoc_pdev *pdev,
			    const struct zoc_proxy_params *params,
			    const void *state, size_t len, const void *track)
{
	return zoc_vblk_new(pdev, params, state, len, track);
}

static void zoc_vblk_destroy(struct zoc_pdev *pdev)
{
	struct zoc_vblk *vblk = zoc_virtio_priv(pdev->priv);

	zoc_virtio_destroy(vblk->vdev);
	zoc_blkback_close(vblk->bb);
	kfree(vblk);
}

/* Its requests complete; then the backend closes, its cache flushed. */
static int zoc_vblk_detach(struct zoc_pdev *pdev, void *state, size_t len)
{
	struct zoc_vblk *vblk = zoc_virtio_priv(pdev->priv);
	int ret;

	ret = zoc_virtio_detach(vblk->vdev, state, len);
	zoc_blkback_close(vblk->bb);
	kfree(vblk);
	return ret;
}

static struct zoc_proxy_model zoc_vblk_model = {
	.type = ZOC_DEV_VIRTIO_BLK,
	.name = "virtio-blk",
	.owner = THIS_MODULE,
	.create = zoc_vblk_create,
	.destroy = zoc_vblk_destroy,
	.detach = zoc_vblk_detach,
	.attach = zoc_vblk_attach,
	.recover = zoc_vblk_recover,
	.resume = zoc_virtio_resume,
	.mmio_read = zoc_virtio_mmio_read,
	.mmio_write = zoc_virtio_mmio_write,
	.doorbell = zoc_virtio_doorbell,
};

int zoc_virtio_blk_init(void)
{
	return zoc_proxy_register_model(&zoc_vblk_model);
}

void zoc_virtio_blk_exit(void)
{
	zoc_proxy_unregister_model(&zoc_vblk_model);
}
