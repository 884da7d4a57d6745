// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzz case of zoc_virtio_hostile_test: for fuzz_secs seconds,
 * descriptor chains made at random (a pseudo-random sequence from
 * fuzz_seed): chains of any shape, indirect tables of any length (and
 * nested, misplaced or not negotiated), loops, next and head indexes past
 * the table, readable buffers after writable ones, empty buffers and
 * buffers outside host RAM; requests of every type that does not write
 * the disk, at any sector; frames of any length and header; avail
 * indexes far ahead, notifications of queues that do not exist, and
 * register writes in the middle of it.
 *
 * Each chain is checked against a reference model of the virtio rules
 * the device follows (Documentation/zoc/virtio.rst): one that breaks them
 * must set DEVICE_NEEDS_RESET and be used by nothing; any other must be
 * used, with its head and the length written, and, for virtio-blk, the
 * status byte the request earns (OK, IOERR or UNSUPP), written where the
 * chain says, nothing written outside its writable buffers, and a read of
 * sector 0 returning what the baseline read did.  A virtio-net transmit
 * chain is used with nothing written, whether the frame is sent or
 * dropped; a receive chain is kept.  Every 32 chains the baseline read (or
 * a valid frame) must still work; at the end the device is reset and
 * must work again.
 *
 * What the device may write stays in the test's own memory: writable
 * buffers are in the test's buffer or where the device must refuse to go,
 * and no request writes the disk.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/prandom.h>

#include "virtio_hostile.h"

ZOC_HOSTILE_FUZZ_PARAMS("chains");

#define ZVF_BASELINE_EVERY	32
/* An indirect table: up to twice the queue size, to be refused */
#define ZVF_TABLE_MAX		(2 * ZVH_QSIZE)
#define ZVF_TABLE_SIZE		(ZVF_TABLE_MAX * sizeof(struct vring_desc))
/* The readable bytes: the rest of the page the table is in */
#define ZVF_OUT_OFF		ZVF_TABLE_SIZE
#define ZVF_OUT_SIZE		(PAGE_SIZE - ZVF_OUT_OFF)
/* The writable buffer, and what it holds before each chain */
#define ZVF_IN_SIZE		SZ_16K
#define ZVF_POISON		0x3c
/* Descriptors of a chain made, before mutations */
#define ZVF_SEGS_MAX		6
/* virtio-net: what a frame may be, and receive chains kept at once */
#define ZVF_NET_HDR		ZVH_NET_HDR
#define ZVF_NET_MAX_FRAME	(VLAN_ETH_HLEN + ETH_DATA_LEN)
#define ZVF_NET_RX_SEGS		(ZVH_NET_RX_SEGS - 1)
#define ZVF_NET_RX_KEPT		8
/* virtio-blk: the ID's length, and the types never made (they write) */
#define ZVF_BLK_ID_LEN		VIRTIO_BLK_ID_BYTES
#define ZVF_F_EVENT_IDX		BIT_ULL(VIRTIO_RING_F_EVENT_IDX)
/* virtio 1.2's zoned types, 15 to 26, which 6.1's virtio_blk.h lacks */
#define ZVF_BLK_T_ZONE_FIRST	15
#define ZVF_BLK_T_ZONE_LAST	26

static_assert(2 * ZVF_TABLE_SIZE < PAGE_SIZE);

/**
 * struct zvf_chain - a chain as the reference model takes it
 * @addr: its buffers' addresses
 * @len: their lengths
 * @write: whether the device may write them
 * @n: its buffers
 * @nr_out: ... readable ones, which come first
 * @out_len: bytes of the readable buffers
 * @in_len: bytes of the writable buffers
 */
struct zvf_chain {
	u64 addr[ZVF_TABLE_MAX];
	u32 len[ZVF_TABLE_MAX];
	bool write[ZVF_TABLE_MAX];
	unsigned int n;
	unsigned int nr_out;
	u64 out_len;
	u64 in_len;
};

/**
 * struct zvf - a fuzz run
 * @zd: the function
 * @rnd: the sequence
 * @net: the function is a virtio-net one
 * @nr_queues: its queues
 * @capacity: virtio-blk: the disk's sectors
 * @features: the features of the current bring-up
 * @page: an indirect table, then readable bytes
 * @page_dma: its bus address
 * @in: the writable buffer, ZVF_IN_SIZE bytes
 * @in_dma: its bus address
 * @mask: the bytes of @in the current chain may write
 * @data: what a read of sector 0 wrote, gathered
 * @chain: the current chain, as the model takes it
 * @type: virtio-blk: the current request's type
 * @sector: ... and sector
 * @kept: virtio-net receive chains kept since the bring-up
 * @chains: chains made
 * @used: ... used by the device
 * @refused: ... that set DEVICE_NEEDS_RESET, as they had to
 * @errors: virtio-blk requests that failed with their status
 * @dropped: virtio-net frames the device had to count as invalid
 * @pokes: register writes and stray notifications
 * @baselines: baseline reads (or frames) that worked
 */
struct zvf {
	struct zvh_dev *zd;
	struct rnd_state rnd;
	bool net;
	u16 nr_queues;
	u64 capacity;
	u64 features;
	void *page;
	dma_addr_t page_dma;
	u8 *in;
	dma_addr_t in_dma;
	DECLARE_BITMAP(mask, ZVF_IN_SIZE);
	u8 data[ZVH_DATA_SIZE];
	struct zvf_chain chain;
	u32 type;
	u64 sector;
	unsigned int kept;
	u64 chains;
	u64 used;
	u64 refused;
	u64 errors;
	u64 dropped;
	u64 pokes;
	u64 baselines;
};

static u32 zvf_u32(struct zvf *f)
{
	return prandom_u32_state(&f->rnd);
}

static u32 zvf_below(struct zvf *f, u32 n)
{
	return zvf_u32(f) % n;
}

static u32 zvf_between(struct zvf *f, u32 lo, u32 hi)
{
	return lo + zvf_below(f, hi - lo + 1);
}

/* --- buffers ------------------------------------------------------------- */

/* An address the device must refuse, and a length for it. */
static void zvf_bad(struct zvf *f, u64 *addr, u32 *len)
{
	*len = zvf_below(f, 8) ? zvf_between(f, 1, SZ_64K) : zvf_u32(f);
	switch (zvf_below(f, 3)) {
	case 0:
		*addr = ZVH_OUTSIDE_RAM + zvf_below(f, SZ_1M);
		break;
	case 1:
		/* inside the hole whatever the length: 0xa0000-0xfffff */
		*len = zvf_between(f, 1, SZ_64K);
		*addr = ZVH_LEGACY_HOLE + zvf_below(f, 0x50000);
		break;
	default:
		*addr = BIT_ULL(47) | (u64)zvf_u32(f) << 16 | zvf_u32(f);
		break;
	}
}

/* A piece of @size bytes at @base: of any length, of none at times. */
static void zvf_piece(struct zvf *f, u64 base, u32 size, u64 *addr,
		      u32 *len)
{
	u32 off = zvf_below(f, 4) ? 0 : zvf_below(f, size);

	*addr = base + off;
	*len = zvf_below(f, 32) ? zvf_between(f, 1, size - off) : 0;
}

/* A buffer for the device to read (or write): ours, or refused. */
static void zvf_buffer(struct zvf *f, bool write, u64 *addr, u32 *len)
{
	if (!zvf_below(f, 24))
		zvf_bad(f, addr, len);
	else if (write)
		zvf_piece(f, f->in_dma, ZVF_IN_SIZE, addr, len);
	else
		zvf_piece(f, f->page_dma + ZVF_OUT_OFF, ZVF_OUT_SIZE, addr,
			  len);
}

/* Is [@addr, @addr + @len) one of the test's buffers? */
static bool zvf_ours(struct zvf *f, u64 addr, u32 len)
{
	return (addr >= f->in_dma &&
		addr + len <= f->in_dma + ZVF_IN_SIZE) ||
	       (addr >= f->page_dma && addr + len <= f->page_dma + PAGE_SIZE);
}

static void *zvf_virt(struct zvf *f, u64 addr)
{
	if (addr >= f->in_dma && addr < f->in_dma + ZVF_IN_SIZE)
		return f->in + (addr - f->in_dma);
	return f->page + (addr - f->page_dma);
}

/*
 * Copy @n bytes at @off of the chain's readable (or, with @write,
 * writable) buffers into @buf.  Return: the bytes there were.
 */
static u32 zvf_gather(struct zvf *f, bool write, u64 off, void *buf, u32 n)
{
	const struct zvf_chain *c = &f->chain;
	unsigned int i;
	u32 done = 0, take;

	for (i = 0; i < c->n && done < n; i++) {
		if (c->write[i] != write)
			continue;
		if (off >= c->len[i]) {
			off -= c->len[i];
			continue;
		}
		take = min_t(u64, c->len[i] - off, n - done);
		memcpy(buf + done, zvf_virt(f, c->addr[i] + off), take);
		done += take;
		off = 0;
	}
	return done;
}

/* --- the reference model -------------------------------------------------- */

static void zvf_read_desc(const struct vring_desc *d, u64 *addr, u32 *len,
			  u16 *flags, u16 *next)
{
	*addr = __virtio64_to_cpu(true, d->addr);
	*len = __virtio32_to_cpu(true, d->len);
	*flags = __virtio16_to_cpu(true, d->flags);
	*next = __virtio16_to_cpu(true, d->next);
}

/*
 * Take the chain at @head as the rules say (virtio 1.2, 2.7.5 and 2.7.5.3,
 * and the device's own: a chain no longer than its table, an indirect
 * table of at most the queue size, every buffer in host RAM and not
 * empty).  Return: NULL if the device must take it, else why not.
 */
static const char *zvf_walk(struct zvf *f, u16 head)
{
	const struct vring_desc *table = f->zd->desc;
	struct zvf_chain *c = &f->chain;
	unsigned int max = ZVH_QSIZE, i = head;
	bool indirect = false;
	u16 flags, next;
	u64 addr;
	u32 len;

	memset(c, 0, sizeof(*c));
	if (head >= max)
		return "head past the table";
	for (;;) {
		zvf_read_desc(&table[i], &addr, &len, &flags, &next);
		if (flags & VRING_DESC_F_INDIRECT) {
			if (!(f->features & ZVH_F_INDIRECT))
				return "indirect, not negotiated";
			if (indirect || c->n || (flags & VRING_DESC_F_NEXT))
				return "misplaced indirect";
			if (!len || len % sizeof(*table) ||
			    len / sizeof(*table) > ZVH_QSIZE)
				return "indirect table length";
			if (addr != f->page_dma)
				return "indirect table outside RAM";
			table = f->page;
			max = len / sizeof(*table);
			indirect = true;
			i = 0;
			continue;
		}
		if (c->n == max)
			return "chain too long";
		if (!len || !zvf_ours(f, addr, len))
			return "buffer outside RAM";
		if (flags & VRING_DESC_F_WRITE) {
			c->in_len += len;
		} else {
			if (c->in_len)
				return "readable after writable";
			c->out_len += len;
			c->nr_out++;
		}
		c->addr[c->n] = addr;
		c->len[c->n] = len;
		c->write[c->n] = flags & VRING_DESC_F_WRITE;
		c->n++;
		if (!(flags & VRING_DESC_F_NEXT))
			return NULL;
		if (next >= max)
			return "next past the table";
		i = next;
	}
}

/*
 * What a virtio-blk request earns: its status and the bytes written
 * before it; NULL, or why the device must instead need a reset.
 */
static const char *zvf_blk_expect(struct zvf *f, u8 *status, u32 *written)
{
	const struct zvf_chain *c = &f->chain;
	struct virtio_blk_outhdr hdr;
	u64 data_out, data_in, sector, nr;

	*written = 0;
	if (c->out_len < sizeof(hdr) || !c->in_len)
		return "no header or no status";
	zvf_gather(f, false, 0, &hdr, sizeof(hdr));
	data_out = c->out_len - sizeof(hdr);
	data_in = c->in_len - 1;
	sector = __virtio64_to_cpu(true, hdr.sector);
	nr = data_in >> SECTOR_SHIFT;
	f->type = __virtio32_to_cpu(true, hdr.type);
	f->sector = sector;
	*status = VIRTIO_BLK_S_IOERR;
	switch (f->type) {
	case VIRTIO_BLK_T_IN:
		if (data_out || data_in % SECTOR_SIZE || nr > f->capacity ||
		    sector > f->capacity - nr)
			break;
		*status = VIRTIO_BLK_S_OK;
		*written = data_in;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (!data_out && !data_in)
			*status = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		if (data_out)
			break;
		*status = VIRTIO_BLK_S_OK;
		*written = min_t(u64, data_in, ZVF_BLK_ID_LEN);
		break;
	default:
		*status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	return NULL;
}

/* --- making chains -------------------------------------------------------- */

/* A type that writes nothing to the disk; a known one mostly. */
static u32 zvf_blk_type(struct zvf *f)
{
	static const u32 known[] = {
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_IN,
		VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID,
	};

	return zvf_below(f, 6) ? known[zvf_below(f, ARRAY_SIZE(known))] :
		zvf_u32(f);
}

/* Types that write the disk, or would in a model that knew them */
static bool zvf_blk_writes(u32 type)
{
	return type == VIRTIO_BLK_T_OUT || type == VIRTIO_BLK_T_DISCARD ||
	       type == VIRTIO_BLK_T_WRITE_ZEROES ||
	       type == VIRTIO_BLK_T_SECURE_ERASE ||
	       (type >= ZVF_BLK_T_ZONE_FIRST && type <= ZVF_BLK_T_ZONE_LAST);
}

/* The readable bytes: random, a request header or a frame at the start. */
static void zvf_fill_out(struct zvf *f)
{
	u8 *out = f->page + ZVF_OUT_OFF;
	struct virtio_blk_outhdr *hdr = (void *)out;
	struct virtio_net_hdr *nh = (void *)out;
	unsigned int i;

	for (i = 0; i < ZVF_OUT_SIZE; i += sizeof(u32))
		put_unaligned(zvf_u32(f), (u32 *)(out + i));
	if (!f->net) {
		hdr->type = __cpu_to_virtio32(true, zvf_blk_type(f));
		hdr->ioprio = 0;
		switch (zvf_below(f, 4)) {
		case 0:
			hdr->sector = 0;
			break;
		case 1:
			hdr->sector = __cpu_to_virtio64(true, f->capacity -
							zvf_below(f, 64));
			break;
		case 2:
			hdr->sector = __cpu_to_virtio64(true,
							zvf_below(f, 1 << 16));
			break;
		}
		return;
	}
	/* virtio-net: no GSO, no checksum mostly; then an Ethernet frame */
	if (zvf_below(f, 4)) {
		memset(nh, 0, ZVF_NET_HDR);
		if (!zvf_below(f, 4)) {
			nh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			nh->csum_start = __cpu_to_virtio16(true,
							   zvf_below(f, 80));
			nh->csum_offset = __cpu_to_virtio16(true,
							    zvf_below(f, 80));
		}
	}
	if (zvf_below(f, 2))
		eth_broadcast_addr(out + ZVF_NET_HDR);
	if (zvf_below(f, 2))
		put_unaligned_be16(zvf_below(f, 2) ? ETH_P_IP : ETH_P_ARP,
				   out + ZVF_NET_HDR + 2 * ETH_ALEN);
}

/* The header of a blk request the model reads: it must not write. */
static bool zvf_blk_safe(struct zvf *f)
{
	struct virtio_blk_outhdr hdr;

	if (zvf_gather(f, false, 0, &hdr, sizeof(hdr)) < sizeof(hdr))
		return true;
	return !zvf_blk_writes(__virtio32_to_cpu(true, hdr.type));
}

/*
 * The buffer of the @i-th of @n descriptors (@nr_out readable): the first
 * readable one mostly starts at what zvf_fill_out() made; a @shaped
 * virtio-blk request has data buffers of whole sectors, then a status
 * byte; any other is a piece of the test's buffers, or refused.
 */
static void zvf_seg(struct zvf *f, unsigned int i, unsigned int n,
		    unsigned int nr_out, bool shaped, u64 *addr, u32 *len)
{
	u32 off;

	if (!i && nr_out && (shaped || zvf_below(f, 4))) {
		*addr = f->page_dma + ZVF_OUT_OFF;
		if (f->net)
			*len = zvf_below(f, 4) ?
			       zvf_between(f, ZVF_NET_HDR + ETH_HLEN,
					   ZVF_NET_HDR + ZVF_NET_MAX_FRAME) :
			       zvf_between(f, 1, ZVF_OUT_SIZE);
		else
			*len = shaped || zvf_below(f, 4) ?
			       sizeof(struct virtio_blk_outhdr) :
			       zvf_between(f, 1, ZVF_OUT_SIZE);
	} else if (shaped && i == n - 1) {
		*addr = f->in_dma + zvf_below(f, ZVF_IN_SIZE);
		*len = 1;
	} else if (shaped && i >= nr_out) {
		off = zvf_below(f, ZVF_IN_SIZE / SECTOR_SIZE);
		*addr = f->in_dma + off * SECTOR_SIZE;
		*len = zvf_between(f, 1, ZVF_IN_SIZE / SECTOR_SIZE - off) *
		       SECTOR_SIZE;
	} else {
		zvf_buffer(f, i >= nr_out, addr, len);
	}
}

/*
 * Chain @n descriptors of @table (of @max), the first @nr_out readable,
 * at indexes in random order; the first at index 0 if @at_zero (the
 * start of an indirect table).  Return: the first's index.
 */
static u16 zvf_make(struct zvf *f, struct vring_desc *table,
		    unsigned int max, unsigned int n, unsigned int nr_out,
		    bool shaped, bool at_zero)
{
	u16 idx[ZVF_TABLE_MAX];
	unsigned int i, j;
	u64 addr;
	u32 len;

	for (i = 0; i < max; i++)
		idx[i] = i;
	/* Fisher-Yates; swap() reads its arguments twice */
	for (i = max - 1; i > 0; i--) {
		j = zvf_below(f, i + 1);
		swap(idx[i], idx[j]);
	}
	for (i = 1; at_zero && i < max; i++)
		if (!idx[i])
			swap(idx[0], idx[i]);
	for (i = 0; i < n; i++) {
		zvf_seg(f, i, n, nr_out, shaped, &addr, &len);
		zvh_desc(&table[idx[i]], addr, len,
			 (i >= nr_out ? VRING_DESC_F_WRITE : 0) |
			 (i + 1 < n ? VRING_DESC_F_NEXT : 0),
			 i + 1 < n ? idx[i + 1] : zvf_below(f, max));
	}
	return idx[0];
}

/*
 * No descriptor of @table (of @max) may name, as an indirect table,
 * memory of the test other than its table: the device would take its
 * bytes for descriptors, which could point anywhere.  Refused instead.
 */
static void zvf_sanitize(struct zvf *f, struct vring_desc *table,
			 unsigned int max)
{
	unsigned int i;
	u64 addr;

	for (i = 0; i < max; i++) {
		addr = __virtio64_to_cpu(true, table[i].addr);
		if ((__virtio16_to_cpu(true, table[i].flags) &
		     VRING_DESC_F_INDIRECT) && addr != f->page_dma &&
		    zvf_ours(f, addr, 1))
			table[i].addr = __cpu_to_virtio64(true,
							  ZVH_OUTSIDE_RAM);
	}
}

/* Break one field of a descriptor of @table (of @max) at random. */
static void zvf_mutate(struct zvf *f, struct vring_desc *table,
		       unsigned int max)
{
	struct vring_desc *d = &table[zvf_below(f, max)];
	u16 flags = __virtio16_to_cpu(true, d->flags);
	u64 addr;
	u32 len;

	switch (zvf_below(f, 5)) {
	case 0:
		d->flags = __cpu_to_virtio16(true, flags ^
					     BIT(zvf_below(f, 3)));
		break;
	case 1:
		d->next = __cpu_to_virtio16(true, zvf_below(f, 2) ?
					    zvf_below(f, max) : zvf_u32(f));
		break;
	case 2:
		/* the other kind of buffer, or a refused one */
		zvf_buffer(f, !(flags & VRING_DESC_F_WRITE), &addr, &len);
		d->addr = __cpu_to_virtio64(true, addr);
		d->len = __cpu_to_virtio32(true, len);
		break;
	case 3:
		d->flags = __cpu_to_virtio16(true, zvf_u32(f));
		break;
	default:
		/* a loop: to the first descriptor */
		d->flags = __cpu_to_virtio16(true, flags | VRING_DESC_F_NEXT);
		d->next = 0;
		break;
	}
}

/*
 * How many buffers, and how many readable: what a request is, mostly.
 * Return: whether it is a virtio-blk request of the usual shape.
 */
static bool zvf_shape(struct zvf *f, unsigned int max, unsigned int *n,
		      unsigned int *nr_out)
{
	bool rx = f->net && f->zd->queue == ZVH_NET_RXQ;

	if (!f->net && max >= 2 && zvf_below(f, 4)) {
		*n = zvf_between(f, 2, min_t(unsigned int, max, ZVF_SEGS_MAX));
		*nr_out = 1;
		return true;
	}
	*n = zvf_below(f, 16) ? zvf_between(f, 1, min_t(unsigned int, max,
							ZVF_SEGS_MAX)) :
	     zvf_between(f, 1, max);
	if (rx)
		*nr_out = zvf_below(f, 8) ? 0 : zvf_below(f, *n + 1);
	else if (f->net)
		*nr_out = zvf_below(f, 8) ? *n : zvf_below(f, *n + 1);
	else
		*nr_out = zvf_below(f, 8) ? min(*n - 1, zvf_between(f, 1, 2)) :
			  zvf_below(f, *n + 1);
	return false;
}

/*
 * Make the next chain in the descriptor table (or in an indirect table it
 * names).  Return: its head, in the avail ring's next entry.
 */
static u16 zvf_chain(struct zvf *f)
{
	struct vring_desc *table = f->zd->desc;
	unsigned int max = ZVH_QSIZE, n, nr_out, i;
	bool indirect = !zvf_below(f, 6);
	bool shaped;
	u32 len;
	u16 head;

	memset(f->zd->desc, 0, ZVH_QSIZE * sizeof(*table));
	if (indirect) {
		table = f->page;
		max = zvf_below(f, 8) ? zvf_between(f, 1, ZVH_QSIZE) :
		      zvf_between(f, 1, ZVF_TABLE_MAX);
		memset(table, 0, ZVF_TABLE_SIZE);
	}
	shaped = zvf_shape(f, max, &n, &nr_out);
	head = zvf_make(f, table, max, n, nr_out, shaped, indirect);
	for (i = zvf_below(f, 4) ? 0 : zvf_between(f, 1, 3); i; i--)
		zvf_mutate(f, table, max);
	zvf_sanitize(f, table, max);
	if (indirect) {
		len = max * sizeof(*table);
		if (!zvf_below(f, 16))
			len = zvf_below(f, 2) ? len + 8 : zvf_u32(f);
		head = zvf_below(f, ZVH_QSIZE);
		zvh_desc(&f->zd->desc[head],
			 zvf_below(f, 32) ? f->page_dma : ZVH_OUTSIDE_RAM,
			 len, VRING_DESC_F_INDIRECT, 0);
		if (!zvf_below(f, 16))
			zvf_mutate(f, f->zd->desc, ZVH_QSIZE);
		zvf_sanitize(f, f->zd->desc, ZVH_QSIZE);
	}
	if (!zvf_below(f, 32))
		head = ZVH_QSIZE + zvf_below(f, 0xffff - ZVH_QSIZE);
	return head;
}

/* --- a step --------------------------------------------------------------- */

/*
 * The chain broke the rules: the device must need a reset, and have used
 * nothing.  Then it is brought up again.
 */
static bool zvf_refused(struct zvf *f, const char *why)
{
	struct zvh_dev *zd = f->zd;
	unsigned long deadline = jiffies + ZVH_TIMEOUT_S * HZ;
	u8 status;

	for (;;) {
		status = zvh_get_status(zd);
		if (zvh_gone(zd, status))
			return false;
		if (status & VIRTIO_CONFIG_S_NEEDS_RESET)
			break;
		if (time_after(jiffies, deadline)) {
			zvh_fail(zd, "%s: no NEEDS_RESET in %u s (status %#x, used index %u)",
				 why, ZVH_TIMEOUT_S, status, zvh_used_idx(zd));
			return false;
		}
		usleep_range(ZVH_POLL_US / 4, ZVH_POLL_US);
	}
	/* Receive buffers kept may have been used by frames that came. */
	if (!f->kept && zvh_used_idx(zd) != zd->last_used) {
		zvh_fail(zd, "%s: NEEDS_RESET, yet the used index moved to %u",
			 why, zvh_used_idx(zd));
		return false;
	}
	f->refused++;
	zd->log.refused++;
	return true;
}

/*
 * Bring the device up again, on a queue and with features at random:
 * transport features only.  Never VIRTIO_NET_F_HOST_TSO4, which the
 * device offers: so every frame with a GSO type stays invalid
 * (zvf_net_invalid()).
 */
static bool zvf_bring_up(struct zvf *f)
{
	struct zvh_dev *zd = f->zd;

	f->features = (zvf_below(f, 4) ? ZVH_F_INDIRECT : 0) |
		      (zvf_below(f, 2) ? ZVF_F_EVENT_IDX : 0);
	zd->queue = zvf_below(f, f->nr_queues);
	f->kept = 0;
	return !zvh_bring_up(zd, f->features);
}

/*
 * A used virtio-blk request: its status, its length, what it wrote.  The
 * model's @want and @written were worked out before it was submitted: its
 * data may have overwritten its header since.
 */
static bool zvf_blk_check(struct zvf *f, u16 head, u32 id, u32 len, u8 want,
			  u32 written)
{
	const struct zvf_chain *c = &f->chain;
	struct zvh_dev *zd = f->zd;
	u32 i, in_bytes = 0;
	u8 got;

	got = *(u8 *)zvf_virt(f, c->addr[c->n - 1] + c->len[c->n - 1] - 1);
	if (id != head || len != written + 1 || got != want) {
		zvh_fail(zd, "chain %llu: used id %u length %u status %#x, expected %u, %u and %#x",
			 f->chains, id, len, got, head, written + 1, want);
		return false;
	}
	if (want != VIRTIO_BLK_S_OK) {
		f->errors++;
		zd->log.errors++;
	}
	bitmap_zero(f->mask, ZVF_IN_SIZE);
	for (i = c->nr_out; i < c->n; i++) {
		in_bytes += c->len[i];
		if (c->addr[i] >= f->in_dma &&
		    c->addr[i] < f->in_dma + ZVF_IN_SIZE)
			bitmap_set(f->mask, c->addr[i] - f->in_dma,
				   c->len[i]);
	}
	for (i = 0; i < ZVF_IN_SIZE; i++) {
		if (!test_bit(i, f->mask) && f->in[i] != ZVF_POISON) {
			zvh_fail(zd, "chain %llu: byte %u written, outside its buffers",
				 f->chains, i);
			return false;
		}
	}
	/* A read of sector 0, into our buffer, in pieces apart: the data */
	if (want != VIRTIO_BLK_S_OK || f->type != VIRTIO_BLK_T_IN ||
	    f->sector || !written || written > ZVH_DATA_SIZE ||
	    !zd->have_ref || bitmap_weight(f->mask, ZVF_IN_SIZE) != in_bytes)
		return true;
	zvf_gather(f, true, 0, f->data, written);
	if (memcmp(f->data, zd->ref, written)) {
		zvh_fail(zd, "chain %llu: read of sector 0, other data than the baseline",
			 f->chains);
		return false;
	}
	return true;
}

/*
 * Is the frame of the current transmit chain one to count as invalid?
 * Any GSO frame is: VIRTIO_NET_F_HOST_TSO4 is not negotiated
 * (zvf_bring_up()).
 */
static bool zvf_net_invalid(struct zvf *f)
{
	u64 frame = f->chain.out_len - ZVF_NET_HDR;
	struct virtio_net_hdr hdr;

	zvf_gather(f, false, 0, &hdr, sizeof(hdr));
	return frame < ETH_HLEN || frame > ZVF_NET_MAX_FRAME ||
	       hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE ||
	       ((hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		(__virtio16_to_cpu(true, hdr.csum_start) < ETH_HLEN ||
		 __virtio16_to_cpu(true, hdr.csum_start) +
		 __virtio16_to_cpu(true, hdr.csum_offset) + 2 > frame));
}

/* Submit the chain at @head and check what the device does with it. */
static bool zvf_submit(struct zvf *f, u16 head)
{
	struct zvh_dev *zd = f->zd;
	bool rx = f->net && zd->queue == ZVH_NET_RXQ;
	const char *why = zvf_walk(f, head);
	bool invalid = false;
	u8 status = 0;
	u32 id, len, w = 0;

	if (!why && !f->net)
		why = zvf_blk_expect(f, &status, &w);
	if (!why && f->net && !rx &&
	    (f->chain.nr_out != f->chain.n || f->chain.out_len < ZVF_NET_HDR))
		why = "transmit chain with no header or writable buffers";
	if (!why && rx &&
	    (f->chain.nr_out || f->chain.n > ZVF_NET_RX_SEGS ||
	     f->chain.in_len < ZVF_NET_HDR))
		why = "receive chain unfit";
	if (!why && f->net && !rx)
		invalid = zvf_net_invalid(f);
	f->chains++;
	zvh_submit(zd, head);
	if (why)
		return zvf_refused(f, why) && zvf_bring_up(f);
	if (rx) {
		/* Kept until a frame comes: the device is brought up afresh. */
		if (++f->kept < ZVF_NET_RX_KEPT)
			return true;
		return zvf_bring_up(f);
	}
	if (zvh_wait_used(zd, "fuzz chain", &id, &len))
		return false;
	f->used++;
	if (!f->net)
		return zvf_blk_check(f, head, id, len, status, w);
	if (id != head || len) {
		zvh_fail(zd, "chain %llu: used id %u length %u, expected %u and 0",
			 f->chains, id, len, head);
		return false;
	}
	if (invalid) {
		f->dropped++;
		zd->log.refused++;
	}
	return true;
}

/* The avail index far ahead: refused, whatever the entries say. */
static bool zvf_avail_ahead(struct zvf *f)
{
	struct zvh_dev *zd = f->zd;
	u16 idx = zd->avail_idx + zvf_between(f, ZVH_QSIZE + 1, 0xffff);

	f->chains++;
	WRITE_ONCE(zd->avail->idx, __cpu_to_virtio16(true, idx));
	writew(zd->queue, zd->bar + ZVH_NOTIFY + 4 * zd->queue);
	return zvf_refused(f, "avail index ahead") && zvf_bring_up(f);
}

/*
 * Registers written at random (never a ring's address nor queue_enable:
 * the device would use memory that is not the test's), a queue that does
 * not exist notified, registers read at any offset and width; then the
 * device is reset and brought up again.
 */
static bool zvf_poke(struct zvf *f)
{
	static const u8 regs[] = {
		VIRTIO_PCI_COMMON_DFSELECT, VIRTIO_PCI_COMMON_GFSELECT,
		VIRTIO_PCI_COMMON_GF, VIRTIO_PCI_COMMON_MSIX,
		VIRTIO_PCI_COMMON_STATUS, VIRTIO_PCI_COMMON_Q_SELECT,
		VIRTIO_PCI_COMMON_Q_SIZE, VIRTIO_PCI_COMMON_Q_MSIX,
		VIRTIO_PCI_COMMON_Q_RESET,
	};
	struct zvh_dev *zd = f->zd;
	unsigned int i, off;

	f->pokes++;
	for (i = zvf_between(f, 1, 4); i; i--) {
		off = regs[zvf_below(f, ARRAY_SIZE(regs))];
		/* FAILED never set: all ones reads as a function gone */
		if (off == VIRTIO_PCI_COMMON_STATUS)
			zvh_set_status(zd, zvf_u32(f) &
					   ~VIRTIO_CONFIG_S_FAILED);
		else if (off == VIRTIO_PCI_COMMON_GF)
			writel(zvf_u32(f), zvh_common(zd, off));
		else
			writew(zvf_u32(f), zvh_common(zd, off));
	}
	writew(zvf_u32(f), zd->bar + ZVH_NOTIFY +
	       4 * zvf_between(f, f->nr_queues, 0x3ff));
	off = zvf_below(f, ZVH_BAR_MIN) & ~3U;
	readl(zd->bar + off);
	readb(zd->bar + zvf_below(f, ZVH_BAR_MIN));
	if (zvh_gone(zd, zvh_get_status(zd)))
		return false;
	return zvf_bring_up(f);
}

/* A chain the device did not take as the model did, for the log */
static void zvf_dump(struct zvf *f, u16 head)
{
	const struct vring_desc *d;
	unsigned int i;
	u16 flags, next;
	u64 addr;
	u32 len;

	pr_err("%s: fuzz: chain %llu at head %u, features %#llx, queue %u; the model: %s\n",
	       pci_name(f->zd->pdev), f->chains, head, f->features,
	       f->zd->queue, zvf_walk(f, head) ?: "taken");
	for (i = 0; i < ZVH_QSIZE + ZVF_TABLE_MAX; i++) {
		d = i < ZVH_QSIZE ? &f->zd->desc[i] :
		    (struct vring_desc *)f->page + i - ZVH_QSIZE;
		zvf_read_desc(d, &addr, &len, &flags, &next);
		if (addr || len || flags)
			pr_err("%s %2u: addr %#llx len %u flags %#x next %u\n",
			       i < ZVH_QSIZE ? "desc" : "indirect",
			       i < ZVH_QSIZE ? i : i - ZVH_QSIZE, addr, len,
			       flags, next);
	}
}

/* A request, or a stray: one step. */
static bool zvf_step(struct zvf *f)
{
	struct zvh_dev *zd = f->zd;
	u32 pick = zvf_below(f, 64);
	u16 head;

	zd->log.what = "fuzz";
	if (!pick)
		return zvf_poke(f);
	if (pick == 1)
		return zvf_avail_ahead(f);
	/* what the device reads is made before the model looks at it */
	memset(f->in, ZVF_POISON, ZVF_IN_SIZE);
	zvf_fill_out(f);
	head = zvf_chain(f);
	if (!f->net && !zvf_walk(f, head) && f->chain.nr_out &&
	    !zvf_blk_safe(f)) {
		/* a header of a type that writes: make it a read */
		if (f->chain.len[0] < sizeof(u32))
			return true;	/* made nothing */
		put_unaligned(__cpu_to_virtio32(true, VIRTIO_BLK_T_IN),
			      (__virtio32 *)zvf_virt(f, f->chain.addr[0]));
		if (!zvf_blk_safe(f))
			return true;
	}
	if (!zvf_submit(f, head)) {
		zvf_dump(f, head);
		return false;
	}
	/* on the queue of the last bring-up, which a refusal may have made */
	if (f->chains % ZVF_BASELINE_EVERY ||
	    (f->net && zd->queue != ZVH_NET_TXQ))
		return true;
	zd->log.what = "fuzz, then the baseline";
	if (f->net)
		zvh_net_send(zd);
	else
		zvh_baseline(zd);
	zd->log.what = NULL;
	if (zd->log.why[0])
		return false;
	f->baselines++;
	return true;
}

/* Our buffers, once the device reset; leaked if it did not. */
static void zvf_free(struct zvf *f)
{
	struct zvh_dev *zd = f->zd;
	struct device *dev = &zd->pdev->dev;

	if (zd->touched && zvh_reset(zd)) {
		pr_err("%s: the device did not reset: the fuzz buffers are leaked\n",
		       pci_name(zd->pdev));
		return;
	}
	if (f->page)
		dma_free_coherent(dev, PAGE_SIZE, f->page, f->page_dma);
	if (f->in)
		dma_free_coherent(dev, ZVF_IN_SIZE, f->in, f->in_dma);
}

/**
 * zvh_fuzz - the fuzz case
 * @zd: the function, reset
 */
void zvh_fuzz(struct zvh_dev *zd)
{
	unsigned long end = jiffies + READ_ONCE(fuzz_secs) * HZ;
	struct device *dev = &zd->pdev->dev;
	bool net = zd->pdev->device == ZVH_NET_ID;
	struct zvf *f;
	bool ok;

	if (!READ_ONCE(fuzz_secs))
		return;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		zvh_fail(zd, "no memory for the fuzz");
		return;
	}
	f->zd = zd;
	f->net = net;
	/* virtio-net: the receive and transmit queues, no control queue */
	f->nr_queues = f->net ? 2 :
		       clamp_t(u16, readw(zvh_common(zd, VIRTIO_PCI_COMMON_NUMQ)),
			       1, 4);
	f->capacity = f->net ? 0 : zvh_capacity(zd);
	f->page = dma_alloc_coherent(dev, PAGE_SIZE, &f->page_dma, GFP_KERNEL);
	f->in = dma_alloc_coherent(dev, ZVF_IN_SIZE, &f->in_dma, GFP_KERNEL);
	if (!f->page || !f->in) {
		zvh_fail(zd, "no memory for the fuzz");
		goto out;
	}
	prandom_seed_state(&f->rnd, READ_ONCE(fuzz_seed));
	ok = zvf_bring_up(f);
	while (ok && time_before(jiffies, end)) {
		ok = zvf_step(f);
		cond_resched();
	}
	pr_info("%s: fuzz: seed %llu: %llu chains, %llu used, %llu refused, %llu failed, %llu frames dropped, %llu pokes, %llu baselines\n",
		pci_name(zd->pdev), fuzz_seed, f->chains, f->used, f->refused,
		f->errors, f->dropped, f->pokes, f->baselines);
out:
	zvf_free(f);
	kfree(f);
	if (zd->log.why[0] || zd->abort)
		return;
	/* Usable after a reset */
	zd->log.what = "after a reset";
	zd->queue = net ? ZVH_NET_TXQ : 0;
	if (!zvh_bring_up(zd, 0)) {
		if (net)
			zvh_net_send(zd);
		else
			zvh_baseline(zd);
	}
	zd->log.what = NULL;
}
