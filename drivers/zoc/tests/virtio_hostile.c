// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile host test of the ZOC virtio models, driven by the ZOC selftests
 * (selftests/zoc/virtio_blk and virtio_net, hostile_host) through debugfs.
 *
 * Writing a PCI address ("5a0c:00:00.0") to
 * /sys/kernel/debug/zoc_virtio_hostile/run makes the module drive that
 * function of the ZOC bus as a misbehaving virtio driver would: descriptor
 * chains that loop, point outside host RAM, are too long for 32 bits, or
 * name descriptors past the queue; an avail index far ahead; indirect
 * tables of a bad length or nested; a ring outside host RAM.  Each of
 * these must set DEVICE_NEEDS_RESET and use nothing.  Requests of an
 * unknown type or past the disk's end must instead complete with their
 * virtio-blk status, the device still working.  Every case brings the
 * device up from a reset and is followed by a reset; at the end the
 * device must still read.
 *
 * A virtio-net function gets the same kind of cases on its queues
 * (virtio_hostile_net.c).  Then both kinds get the fuzz case
 * (virtio_hostile_fuzz.c): random chains checked against a reference
 * model of the rules.  The write returns its count if every case passed,
 * -EIO if one failed; "results" then lists the cases of the run, "NAME ok"
 * or "NAME FAIL: why"; "refused" and "errors" count the chains the device
 * was seen to refuse and the requests it failed.
 *
 * The function must have no driver bound.  The device is driven by
 * polling: MSI-X stays off and no vector is given to the queue or to
 * configuration changes.  At the end the device is reset, so that the
 * virtio-pci driver can be bound again.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "virtio_hostile.h"

static int domain = 0x5a0c;
module_param(domain, int, 0444);
MODULE_PARM_DESC(domain, "PCI domain of the ZOC bus; functions elsewhere are refused");

static int zvh_run(struct pci_dev *pdev);

static struct zoc_hostile zvh_test = {
	.name = "zoc_virtio_hostile",
	.run = zvh_run,
};

/* --- reporting ----------------------------------------------------------- */

/* Add the current case's line to the results. */
static void zvh_record(struct zvh_dev *zd, const char *name)
{
	zoc_hostile_record(&zvh_test, &zd->log, zd->pdev, name);
}

static const char *zvh_blk_status_name(u8 status)
{
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return "OK";
	case VIRTIO_BLK_S_IOERR:
		return "IOERR";
	case VIRTIO_BLK_S_UNSUPP:
		return "UNSUPP";
	case ZVH_POISON:
		return "not written";
	default:
		return "other";
	}
}

/* --- registers ----------------------------------------------------------- */

void __iomem *zvh_common(struct zvh_dev *zd, unsigned int off)
{
	return zd->bar + ZVH_COMMON + off;
}

u8 zvh_get_status(struct zvh_dev *zd)
{
	return readb(zvh_common(zd, VIRTIO_PCI_COMMON_STATUS));
}

void zvh_set_status(struct zvh_dev *zd, u8 status)
{
	zd->touched = true;
	writeb(status, zvh_common(zd, VIRTIO_PCI_COMMON_STATUS));
}

/* A 64-bit register of the common configuration, as two halves */
static void zvh_write64(struct zvh_dev *zd, unsigned int lo, u64 val)
{
	writel(lower_32_bits(val), zvh_common(zd, lo));
	writel(upper_32_bits(val), zvh_common(zd, lo + sizeof(u32)));
}

/*
 * Is the function gone?  Sets the abort reason if so.  A ZOC virtio
 * function whose service VM is gone reads zeros, its configuration space
 * all ones.
 */
bool zvh_gone(struct zvh_dev *zd, u8 status)
{
	if (status != ZVH_S_GONE && pci_device_is_present(zd->pdev))
		return false;
	zd->abort = "the function is gone";
	zvh_fail(zd, "%s", zd->abort);
	return true;
}

/*
 * Write 0 to device_status and wait for it to read 0: the device is done
 * with the rings and buffers it was given.
 */
int zvh_reset(struct zvh_dev *zd)
{
	unsigned long deadline = jiffies + ZVH_TIMEOUT_S * HZ;
	u8 status;

	zvh_set_status(zd, 0);
	for (;;) {
		status = zvh_get_status(zd);
		if (!status)
			return 0;
		if (zvh_gone(zd, status))
			return -ENODEV;
		if (time_after(jiffies, deadline)) {
			zvh_fail(zd, "reset: device_status %#x, not 0 after %u s",
				 status, ZVH_TIMEOUT_S);
			return -ETIMEDOUT;
		}
		usleep_range(ZVH_POLL_US, 2 * ZVH_POLL_US);
	}
}

/* --- bring-up ------------------------------------------------------------ */

/* Reset, then ACKNOWLEDGE, DRIVER and the features, with FEATURES_OK. */
int zvh_features(struct zvh_dev *zd, u64 features)
{
	u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	u64 offered;
	int ret;

	ret = zvh_reset(zd);
	if (ret)
		return ret;
	memset(zd->ring, 0, ZVH_RING_SIZE);
	zd->avail_idx = 0;
	zd->last_used = 0;
	/* We poll: no interrupts wanted. */
	zd->avail->flags = __cpu_to_virtio16(true, VRING_AVAIL_F_NO_INTERRUPT);

	zvh_set_status(zd, status);
	status |= VIRTIO_CONFIG_S_DRIVER;
	zvh_set_status(zd, status);
	writel(0, zvh_common(zd, VIRTIO_PCI_COMMON_DFSELECT));
	offered = readl(zvh_common(zd, VIRTIO_PCI_COMMON_DF));
	writel(1, zvh_common(zd, VIRTIO_PCI_COMMON_DFSELECT));
	offered |= (u64)readl(zvh_common(zd, VIRTIO_PCI_COMMON_DF)) << 32;
	if ((offered & features) != features) {
		zvh_fail(zd, "features %#llx offered, %#llx needed", offered,
			 features);
		return -ENODEV;
	}
	writel(0, zvh_common(zd, VIRTIO_PCI_COMMON_GFSELECT));
	writel(lower_32_bits(features), zvh_common(zd, VIRTIO_PCI_COMMON_GF));
	writel(1, zvh_common(zd, VIRTIO_PCI_COMMON_GFSELECT));
	writel(upper_32_bits(features), zvh_common(zd, VIRTIO_PCI_COMMON_GF));
	status |= VIRTIO_CONFIG_S_FEATURES_OK;
	zvh_set_status(zd, status);
	status = zvh_get_status(zd);
	if (zvh_gone(zd, status))
		return -ENODEV;
	if (!(status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		zvh_fail(zd, "features %#llx: FEATURES_OK did not stick (status %#x)",
			 features, status);
		return -EIO;
	}
	writew(VIRTIO_MSI_NO_VECTOR, zvh_common(zd, VIRTIO_PCI_COMMON_MSIX));
	return 0;
}

/* Set up the case's queue with its descriptor table at @desc, enable it. */
int zvh_queue(struct zvh_dev *zd, u64 desc)
{
	u16 max;

	writew(zd->queue, zvh_common(zd, VIRTIO_PCI_COMMON_Q_SELECT));
	max = readw(zvh_common(zd, VIRTIO_PCI_COMMON_Q_SIZE));
	if (max < ZVH_QSIZE) {
		zvh_fail(zd, "queue %u: size %u, %u needed", zd->queue, max,
			 ZVH_QSIZE);
		return -ENODEV;
	}
	writew(ZVH_QSIZE, zvh_common(zd, VIRTIO_PCI_COMMON_Q_SIZE));
	writew(VIRTIO_MSI_NO_VECTOR, zvh_common(zd, VIRTIO_PCI_COMMON_Q_MSIX));
	zvh_write64(zd, VIRTIO_PCI_COMMON_Q_DESCLO, desc);
	zvh_write64(zd, VIRTIO_PCI_COMMON_Q_AVAILLO,
		    zd->ring_dma + ZVH_AVAIL_OFF);
	zvh_write64(zd, VIRTIO_PCI_COMMON_Q_USEDLO,
		    zd->ring_dma + ZVH_USED_OFF);
	writew(1, zvh_common(zd, VIRTIO_PCI_COMMON_Q_ENABLE));
	return 0;
}

/* The queue took its rings: DRIVER_OK. */
int zvh_driver_ok(struct zvh_dev *zd)
{
	u16 enabled;
	u8 status;

	enabled = readw(zvh_common(zd, VIRTIO_PCI_COMMON_Q_ENABLE));
	if (enabled != 1) {
		zvh_fail(zd, "queue_enable reads %u (status %#x)", enabled,
			 zvh_get_status(zd));
		return -EIO;
	}
	zvh_set_status(zd, ZVH_S_UP);
	status = zvh_get_status(zd);
	if (zvh_gone(zd, status))
		return -ENODEV;
	if (status != ZVH_S_UP) {
		zvh_fail(zd, "device_status %#x after DRIVER_OK", status);
		return -EIO;
	}
	return 0;
}

/* From a reset to DRIVER_OK, with @features besides VIRTIO_F_VERSION_1. */
int zvh_bring_up(struct zvh_dev *zd, u64 features)
{
	const char *what = zd->log.what;
	int ret;

	zd->log.what = "bring-up";
	ret = zvh_features(zd, ZVH_F_VERSION_1 | features);
	if (!ret)
		ret = zvh_queue(zd, zd->ring_dma + ZVH_DESC_OFF);
	if (!ret)
		ret = zvh_driver_ok(zd);
	zd->log.what = what;
	return ret;
}

/* --- requests ------------------------------------------------------------ */

dma_addr_t zvh_dma(struct zvh_dev *zd, unsigned int off)
{
	return zd->ring_dma + off;
}

void zvh_desc(struct vring_desc *d, u64 addr, u32 len, u16 flags, u16 next)
{
	d->addr = __cpu_to_virtio64(true, addr);
	d->len = __cpu_to_virtio32(true, len);
	d->flags = __cpu_to_virtio16(true, flags);
	d->next = __cpu_to_virtio16(true, next);
}

/*
 * A request of @type at @sector in @table[0..2]: the header, the 4 KiB
 * data buffer and the status byte; the buffer and status are poisoned.
 */
static void zvh_request(struct zvh_dev *zd, struct vring_desc *table,
			u32 type, u64 sector)
{
	zd->hdr->type = __cpu_to_virtio32(true, type);
	zd->hdr->ioprio = 0;
	zd->hdr->sector = __cpu_to_virtio64(true, sector);
	*zd->status = ZVH_POISON;
	memset(zd->data, ZVH_POISON, ZVH_DATA_SIZE);
	zvh_desc(&table[0], zvh_dma(zd, ZVH_HDR_OFF), sizeof(*zd->hdr),
		 VRING_DESC_F_NEXT, 1);
	zvh_desc(&table[1], zd->data_dma, ZVH_DATA_SIZE,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	zvh_desc(&table[2], zvh_dma(zd, ZVH_STATUS_OFF), 1,
		 VRING_DESC_F_WRITE, 0);
}

/* Make the chain at @head available and notify the queue. */
void zvh_submit(struct zvh_dev *zd, u16 head)
{
	zd->avail->ring[zd->avail_idx % ZVH_QSIZE] =
		__cpu_to_virtio16(true, head);
	/* The entry and its descriptors before the index */
	dma_wmb();
	zd->avail_idx++;
	WRITE_ONCE(zd->avail->idx, __cpu_to_virtio16(true, zd->avail_idx));
	/* writew() orders the index before the notification. */
	writew(zd->queue, zd->bar + ZVH_NOTIFY + 4 * zd->queue);
}

u16 zvh_used_idx(struct zvh_dev *zd)
{
	return __virtio16_to_cpu(true, READ_ONCE(zd->used->idx));
}

/* Wait for the next used entry, into @id and @len. */
int zvh_wait_used(struct zvh_dev *zd, const char *name, u32 *id, u32 *len)
{
	unsigned long deadline = jiffies + ZVH_TIMEOUT_S * HZ;
	struct vring_used_elem *elem;
	u8 status;
	u16 idx;

	for (;;) {
		idx = zvh_used_idx(zd);
		if (idx != zd->last_used)
			break;
		status = zvh_get_status(zd);
		if (zvh_gone(zd, status))
			return -ENODEV;
		if (status & VIRTIO_CONFIG_S_NEEDS_RESET) {
			zvh_fail(zd, "%s: the device needs a reset (status %#x)",
				 name, status);
			return -EIO;
		}
		if (time_after(jiffies, deadline)) {
			zvh_fail(zd, "%s: not used in %u s (status %#x)", name,
				 ZVH_TIMEOUT_S, status);
			return -ETIMEDOUT;
		}
		usleep_range(ZVH_POLL_US, 2 * ZVH_POLL_US);
	}
	if ((u16)(idx - zd->last_used) != 1) {
		zvh_fail(zd, "%s: used index %u, expected %u", name, idx,
			 (u16)(zd->last_used + 1));
		return -EPROTO;
	}
	/* The entry after the index */
	dma_rmb();
	elem = &zd->used->ring[zd->last_used % ZVH_QSIZE];
	*id = __virtio32_to_cpu(true, READ_ONCE(elem->id));
	*len = __virtio32_to_cpu(true, READ_ONCE(elem->len));
	zd->last_used = idx;
	return 0;
}

/*
 * Submit the chain at @head: it must be used with the status byte @want
 * and @want_len bytes written.
 */
static bool zvh_check(struct zvh_dev *zd, const char *name, u16 head,
		      u8 want, u32 want_len)
{
	u32 id, len;
	u8 got;

	zvh_submit(zd, head);
	if (zvh_wait_used(zd, name, &id, &len))
		return false;
	got = READ_ONCE(*zd->status);
	if (got != VIRTIO_BLK_S_OK && got != ZVH_POISON)
		zd->log.errors++;
	if (id != head) {
		zvh_fail(zd, "%s: used id %u, expected %u", name, id, head);
		return false;
	}
	if (got != want) {
		zvh_fail(zd, "%s: status %#x (%s), expected %#x (%s)", name,
			 got, zvh_blk_status_name(got), want,
			 zvh_blk_status_name(want));
		return false;
	}
	if (len != want_len) {
		zvh_fail(zd, "%s: used length %u, expected %u", name, len,
			 want_len);
		return false;
	}
	return true;
}

/* The valid read that must keep working: sector 0, 4 KiB, same data. */
void zvh_baseline(struct zvh_dev *zd)
{
	const char *name = "read sector 0";

	zvh_request(zd, zd->desc, VIRTIO_BLK_T_IN, 0);
	/* A different poison each time: a read that moves nothing shows. */
	zd->poison ^= 0xff;
	memset(zd->data, zd->poison, ZVH_DATA_SIZE);
	if (!zvh_check(zd, name, 0, VIRTIO_BLK_S_OK, ZVH_DATA_SIZE + 1))
		return;
	if (!zd->have_ref) {
		memcpy(zd->ref, zd->data, ZVH_DATA_SIZE);
		zd->have_ref = true;
	} else if (memcmp(zd->ref, zd->data, ZVH_DATA_SIZE)) {
		zvh_fail(zd, "%s: the data differs from the first read", name);
	}
}

/*
 * The request in the descriptor table must fail with @want, move no
 * data and leave the device working: a baseline read follows.
 */
static void zvh_refused(struct zvh_dev *zd, const char *name, u8 want)
{
	u8 status;

	if (!zvh_check(zd, name, 0, want, 1))
		return;
	if (memchr_inv(zd->data, ZVH_POISON, ZVH_DATA_SIZE)) {
		zvh_fail(zd, "%s: refused, yet data reached the buffer", name);
		return;
	}
	status = zvh_get_status(zd);
	if (zvh_gone(zd, status))
		return;
	if (status != ZVH_S_UP) {
		zvh_fail(zd, "%s: device_status %#x afterwards", name, status);
		return;
	}
	zd->log.what = "then the baseline read";
	zvh_baseline(zd);
	zd->log.what = NULL;
}

/*
 * What was submitted breaks the rules: DEVICE_NEEDS_RESET, the
 * configuration bit in the ISR, and nothing used, not even a while later.
 */
void zvh_needs_reset(struct zvh_dev *zd, const char *name)
{
	unsigned long deadline = jiffies + ZVH_TIMEOUT_S * HZ;
	u8 status, isr;

	for (;;) {
		status = zvh_get_status(zd);
		if (zvh_gone(zd, status))
			return;
		if (status & VIRTIO_CONFIG_S_NEEDS_RESET)
			break;
		if (time_after(jiffies, deadline)) {
			zvh_fail(zd, "%s: no NEEDS_RESET in %u s (status %#x, used index %u)",
				 name, ZVH_TIMEOUT_S, status, zvh_used_idx(zd));
			return;
		}
		usleep_range(ZVH_POLL_US, 2 * ZVH_POLL_US);
	}
	zd->log.refused++;
	isr = readb(zd->bar + ZVH_ISR);
	if (!(isr & VIRTIO_PCI_ISR_CONFIG))
		zvh_fail(zd, "%s: NEEDS_RESET, but ISR %#x lacks the configuration bit",
			 name, isr);
	msleep(ZVH_QUIET_MS);
	if (zvh_used_idx(zd) != zd->last_used)
		zvh_fail(zd, "%s: NEEDS_RESET, yet the used index moved to %u",
			 name, zvh_used_idx(zd));
	else if (READ_ONCE(*zd->status) != ZVH_POISON)
		zvh_fail(zd, "%s: NEEDS_RESET, yet the status byte was written (%#x)",
			 name, READ_ONCE(*zd->status));
}

/* --- the cases ----------------------------------------------------------- */

/* The status descriptor leads back to the data one: 1, 2, 1, 2... */
static void zvh_chain_loop(struct zvh_dev *zd)
{
	zvh_request(zd, zd->desc, VIRTIO_BLK_T_IN, 0);
	zvh_desc(&zd->desc[2], zvh_dma(zd, ZVH_STATUS_OFF), 1,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "chain looping back");
}

/* A read request whose data buffer is at @addr, which fails the device. */
static void zvh_data_at(struct zvh_dev *zd, u64 addr, const char *what)
{
	zvh_request(zd, zd->desc, VIRTIO_BLK_T_IN, 0);
	zvh_desc(&zd->desc[1], addr, ZVH_DATA_SIZE,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, what);
}

static void zvh_data_outside_ram(struct zvh_dev *zd)
{
	zvh_data_at(zd, ZVH_OUTSIDE_RAM, "data at 1 << 46");
}

/* Host memory that is no RAM: on bare metal the window faults there. */
static void zvh_data_legacy_hole(struct zvh_dev *zd)
{
	zvh_data_at(zd, ZVH_LEGACY_HOLE, "data in the legacy VGA hole");
}

/*
 * A data buffer of 4 GiB - 1: past host RAM, or, with the status byte
 * after it, more than 4 GiB to write.  Refused either way.
 */
static void zvh_huge_len(struct zvh_dev *zd)
{
	zvh_request(zd, zd->desc, VIRTIO_BLK_T_IN, 0);
	zvh_desc(&zd->desc[1], zd->data_dma, ZVH_HUGE_LEN,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "data of 0xffffffff bytes");
}

static void zvh_next_out_of_range(struct zvh_dev *zd)
{
	zvh_request(zd, zd->desc, VIRTIO_BLK_T_IN, 0);
	zvh_desc(&zd->desc[1], zd->data_dma, ZVH_DATA_SIZE,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, ZVH_QSIZE);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "next index 16 of 16");
}

/* The avail index moves by more than the queue's size. */
static void zvh_avail_idx_ahead(struct zvh_dev *zd)
{
	zvh_request(zd, zd->desc, VIRTIO_BLK_T_IN, 0);
	/* Every entry names the valid chain at 0: none may be taken. */
	dma_wmb();
	WRITE_ONCE(zd->avail->idx, __cpu_to_virtio16(true, ZVH_QSIZE + 1));
	writew(zd->queue, zd->bar + ZVH_NOTIFY + 4 * zd->queue);
	zvh_needs_reset(zd, "avail index 17 ahead");
}

static void zvh_unknown_type(struct zvh_dev *zd)
{
	zvh_request(zd, zd->desc, ZVH_BAD_TYPE, 0);
	zvh_refused(zd, "request type 0x7f", VIRTIO_BLK_S_UNSUPP);
}

/* virtio-blk: the disk's capacity, in 512-byte sectors */
u64 zvh_capacity(struct zvh_dev *zd)
{
	void __iomem *cap = zd->bar + ZVH_DEVICE +
			    offsetof(struct virtio_blk_config, capacity);

	return readl(cap) | (u64)readl(cap + sizeof(u32)) << 32;
}

/* The last 4 KiB but one sector: its last sector is past the end. */
static void zvh_read_past_end(struct zvh_dev *zd)
{
	u64 capacity = zvh_capacity(zd);

	if (capacity < 2 * ZVH_DATA_SECTORS) {
		zvh_fail(zd, "capacity %llu sectors: too small for the test",
			 capacity);
		return;
	}
	zvh_request(zd, zd->desc, VIRTIO_BLK_T_IN,
		    capacity - ZVH_DATA_SECTORS + 1);
	zvh_refused(zd, "read past the end", VIRTIO_BLK_S_IOERR);
}

/* The valid request as an indirect table: the control of the cases below */
static void zvh_indirect_read(struct zvh_dev *zd)
{
	const char *name = "indirect read sector 0";

	zvh_request(zd, zd->indirect, VIRTIO_BLK_T_IN, 0);
	zvh_desc(&zd->desc[0], zvh_dma(zd, ZVH_INDIRECT_OFF),
		 3 * sizeof(struct vring_desc), VRING_DESC_F_INDIRECT, 0);
	if (zvh_check(zd, name, 0, VIRTIO_BLK_S_OK, ZVH_DATA_SIZE + 1) &&
	    zd->have_ref && memcmp(zd->ref, zd->data, ZVH_DATA_SIZE))
		zvh_fail(zd, "%s: the data differs from the baseline read",
			 name);
}

static void zvh_indirect_bad_len(struct zvh_dev *zd)
{
	zvh_request(zd, zd->indirect, VIRTIO_BLK_T_IN, 0);
	zvh_desc(&zd->desc[0], zvh_dma(zd, ZVH_INDIRECT_OFF),
		 3 * sizeof(struct vring_desc) + 8, VRING_DESC_F_INDIRECT, 0);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "indirect table of 56 bytes");
}

/* A table whose only entry is a table holding the valid request */
static void zvh_indirect_nested(struct zvh_dev *zd)
{
	zvh_request(zd, zd->indirect + 1, VIRTIO_BLK_T_IN, 0);
	zvh_desc(&zd->indirect[0],
		 zvh_dma(zd, ZVH_INDIRECT_OFF + sizeof(struct vring_desc)),
		 3 * sizeof(struct vring_desc), VRING_DESC_F_INDIRECT, 0);
	zvh_desc(&zd->desc[0], zvh_dma(zd, ZVH_INDIRECT_OFF),
		 sizeof(struct vring_desc), VRING_DESC_F_INDIRECT, 0);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "nested indirect table");
}

/*
 * A descriptor table outside host RAM: refused at queue_enable, which
 * still reads 0.  The valid avail and used rings are never touched.
 */
static void zvh_ring_outside_ram(struct zvh_dev *zd)
{
	const char *name = "queue_desc at 1 << 46";
	u16 enabled;

	zd->log.what = "bring-up";
	if (zvh_features(zd, ZVH_F_VERSION_1))
		return;
	zd->log.what = NULL;
	*zd->status = ZVH_POISON;
	zvh_queue(zd, ZVH_OUTSIDE_RAM);
	zvh_needs_reset(zd, name);
	if (zd->log.why[0] || zd->abort)
		return;
	enabled = readw(zvh_common(zd, VIRTIO_PCI_COMMON_Q_ENABLE));
	if (enabled)
		zvh_fail(zd, "%s: queue_enable reads %u", name, enabled);
}

/* After all this, the service VM still serves the device. */
static void zvh_svm_alive(struct zvh_dev *zd)
{
	u8 status;

	zvh_baseline(zd);
	status = zvh_get_status(zd);
	if (!zvh_gone(zd, status) && status != ZVH_S_UP)
		zvh_fail(zd, "device_status %#x", status);
}

#define ZVH_CASE(name)		{ #name, zvh_##name }
#define ZVH_INDIRECT(name)	{ #name, zvh_##name, .features = ZVH_F_INDIRECT }

static const struct zvh_case zvh_cases[] = {
	{ "read", zvh_baseline },
	ZVH_CASE(chain_loop),
	ZVH_CASE(data_outside_ram),
	ZVH_CASE(data_legacy_hole),
	ZVH_CASE(huge_len),
	ZVH_CASE(next_out_of_range),
	ZVH_CASE(avail_idx_ahead),
	ZVH_CASE(unknown_type),
	ZVH_CASE(read_past_end),
	ZVH_INDIRECT(indirect_read),
	ZVH_INDIRECT(indirect_bad_len),
	ZVH_INDIRECT(indirect_nested),
	{ "ring_outside_ram", zvh_ring_outside_ram, .manual = true },
	{ "fuzz", zvh_fuzz, .manual = true },
	ZVH_CASE(svm_alive),
};

/*
 * Bring the device up, run @c, then reset the device: a case that ends
 * with NEEDS_RESET needs it, and the next case starts afresh.
 */
static void zvh_run_case(struct zvh_dev *zd, const struct zvh_case *c)
{
	zd->log.why[0] = '\0';
	zd->log.what = NULL;
	if (zd->abort) {
		zvh_fail(zd, "not run: %s", zd->abort);
	} else {
		zd->queue = c->queue;
		if (c->manual || !zvh_bring_up(zd, c->features)) {
			/* No status byte of a request is to be written. */
			*zd->status = ZVH_POISON;
			c->run(zd);
		}
		zd->log.what = "then the reset";
		if (!zd->abort && zvh_reset(zd) && !zd->abort)
			zd->abort = "the device did not reset";
		zd->log.what = NULL;
	}
	zvh_record(zd, c->name);
}

/*
 * Reset the device: once device_status reads 0 it does not touch our
 * memory any more.  Return: true if it did.
 */
static bool zvh_stop(struct zvh_dev *zd)
{
	int ret;

	if (!zd->touched)
		return true;
	zd->log.why[0] = '\0';
	zd->log.what = NULL;
	ret = zvh_reset(zd);
	zvh_record(zd, "reset");
	return !ret;
}

/* --- memory -------------------------------------------------------------- */

static void zvh_free(struct zvh_dev *zd)
{
	struct device *dev = &zd->pdev->dev;

	if (zd->ring)
		dma_free_coherent(dev, ZVH_RING_SIZE, zd->ring, zd->ring_dma);
	if (zd->data)
		dma_free_coherent(dev, ZVH_DATA_SIZE, zd->data, zd->data_dma);
}

/* The rings and buffers, zeroed; zvh_free() frees what was allocated. */
static int zvh_alloc(struct zvh_dev *zd)
{
	struct device *dev = &zd->pdev->dev;

	zd->ring = dma_alloc_coherent(dev, ZVH_RING_SIZE, &zd->ring_dma,
				      GFP_KERNEL);
	zd->data = dma_alloc_coherent(dev, ZVH_DATA_SIZE, &zd->data_dma,
				      GFP_KERNEL);
	if (!zd->ring || !zd->data)
		return -ENOMEM;
	zd->desc = zd->ring + ZVH_DESC_OFF;
	zd->avail = zd->ring + ZVH_AVAIL_OFF;
	zd->used = zd->ring + ZVH_USED_OFF;
	zd->indirect = zd->ring + ZVH_INDIRECT_OFF;
	zd->hdr = zd->ring + ZVH_HDR_OFF;
	zd->status = zd->ring + ZVH_STATUS_OFF;
	return 0;
}

/* --- a run --------------------------------------------------------------- */

/* Run every case on @zd; the results replace those of the last run. */
static int zvh_run_cases(struct zvh_dev *zd)
{
	const struct zvh_case *cases = zvh_cases;
	unsigned int i, n = ARRAY_SIZE(zvh_cases);

	if (zd->pdev->device == ZVH_NET_ID) {
		cases = zvh_net_cases;
		n = zvh_net_nr_cases;
	}

	zoc_hostile_clear(&zvh_test);
	zd->poison = 0x5a;
	for (i = 0; i < n; i++)
		zvh_run_case(zd, &cases[i]);
	if (zvh_stop(zd)) {
		zvh_free(zd);
	} else {
		/* It may still write there: better leaked than reused. */
		pr_err("%s: the device did not reset: its rings and buffers are leaked\n",
		       pci_name(zd->pdev));
	}
	return zd->log.failed ? -EIO : 0;
}

static int zvh_run(struct pci_dev *pdev)
{
	struct zvh_dev *zd;
	int ret;

	/* Held throughout: no driver binds meanwhile. */
	device_lock(&pdev->dev);
	if (pdev->dev.driver) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (pdev->vendor != PCI_VENDOR_ID_REDHAT_QUMRANET ||
	    (pdev->device != ZVH_BLK_ID && pdev->device != ZVH_NET_ID) ||
	    !(pci_resource_flags(pdev, 0) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, 0) < ZVH_BAR_MIN) {
		ret = -ENODEV;
		goto out_unlock;
	}
	zd = kzalloc(sizeof(*zd), GFP_KERNEL);
	if (!zd) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	zd->pdev = pdev;

	ret = zoc_hostile_claim(pdev, &zd->bar);
	if (ret)
		goto out_free_zd;
	ret = zvh_alloc(zd);
	if (ret)
		zvh_free(zd);	/* nothing was given to the device yet */
	else
		ret = zvh_run_cases(zd);
	zoc_hostile_release(pdev, zd->bar);
out_free_zd:
	kfree(zd);
out_unlock:
	device_unlock(&pdev->dev);
	return ret;
}

static int __init zvh_init(void)
{
	zvh_test.domain = domain;
	zoc_hostile_init(&zvh_test);
	return 0;
}

static void __exit zvh_exit(void)
{
	zoc_hostile_exit(&zvh_test);
}

module_init(zvh_init);
module_exit(zvh_exit);
MODULE_DESCRIPTION("Hostile host test of the ZOC virtio models");
MODULE_LICENSE("GPL");
