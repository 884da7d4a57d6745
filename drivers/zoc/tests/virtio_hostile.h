/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zoc_virtio_hostile_test, shared by its cases (virtio_hostile.c) and its
 * fuzzer (virtio_hostile_fuzz.c): the function under test, its rings, and
 * the helpers that drive them.
 */
#ifndef _ZOC_VIRTIO_HOSTILE_H
#define _ZOC_VIRTIO_HOSTILE_H

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_byteorder.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/virtio_config.h>

#include "zoc_hostile.h"

/* BAR0 of a ZOC virtio function (Documentation/zoc/virtio.rst) */
#define ZVH_COMMON		0x0000
#define ZVH_ISR			0x1000
#define ZVH_DEVICE		0x2000
#define ZVH_NOTIFY		0x3000	/* queue i at 4 * i */
#define ZVH_BAR_MIN		SZ_32K	/* up to the MSI-X PBA */
#define ZVH_BLK_ID		(0x1040 + VIRTIO_ID_BLOCK)
#define ZVH_NET_ID		(0x1040 + VIRTIO_ID_NET)

#define ZVH_QSIZE		16
#define ZVH_NET_RXQ		0
#define ZVH_NET_TXQ		1
/* virtio-net: the header, then a 60-byte frame; too long a frame */
#define ZVH_NET_HDR		12
#define ZVH_NET_FRAME		60
#define ZVH_NET_HUGE_FRAME	4000
#define ZVH_NET_RX_SEGS		6	/* one more than the device keeps */
#define ZVH_OUTSIDE_RAM		BIT_ULL(46)	/* far past the lab's RAM */
#define ZVH_LEGACY_HOLE		0xa0000		/* VGA memory: no PC has RAM there */
#define ZVH_BAD_TYPE		0x7f
#define ZVH_HUGE_LEN		0xffffffffU

/* Driver features: virtio 1.x, and indirect tables for their cases */
#define ZVH_F_VERSION_1		BIT_ULL(VIRTIO_F_VERSION_1)
#define ZVH_F_INDIRECT		BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC)
#define ZVH_F_RING_RESET	BIT_ULL(VIRTIO_F_RING_RESET)
#define ZVH_F_NET_CTRL_VQ	BIT_ULL(VIRTIO_NET_F_CTRL_VQ)
#define ZVH_F_NET_MQ		BIT_ULL(VIRTIO_NET_F_MQ)

/* Device status bits of a device brought up */
#define ZVH_S_UP		(VIRTIO_CONFIG_S_ACKNOWLEDGE |		\
				 VIRTIO_CONFIG_S_DRIVER |		\
				 VIRTIO_CONFIG_S_FEATURES_OK |		\
				 VIRTIO_CONFIG_S_DRIVER_OK)
#define ZVH_S_GONE		0xff	/* reads of a function that is gone */

/*
 * The rings and the request's header and status share a page: the
 * descriptor table, the avail ring (with used_event), the used ring
 * (with avail_event) and an indirect table.
 */
#define ZVH_DESC_OFF		0x000
#define ZVH_AVAIL_OFF		0x100
#define ZVH_USED_OFF		0x200
#define ZVH_INDIRECT_OFF	0x300
#define ZVH_INDIRECT_N		4
#define ZVH_HDR_OFF		0x400
#define ZVH_STATUS_OFF		0x410
#define ZVH_RING_SIZE		PAGE_SIZE

/* The baseline read: sector 0, 4 KiB */
#define ZVH_DATA_SIZE		SZ_4K
/* virtio-blk sectors are 512 bytes, whatever the block size */
#define ZVH_SECTOR_SHIFT	9
#define ZVH_DATA_SECTORS	(ZVH_DATA_SIZE >> ZVH_SECTOR_SHIFT)
#define ZVH_POISON		0xc3

#define ZVH_TIMEOUT_S		30	/* per request and reset: TCG is slow */
#define ZVH_QUIET_MS		1000	/* nothing may be used in it */
#define ZVH_POLL_US		1000

static_assert(ZVH_QSIZE * sizeof(struct vring_desc) <=
	      ZVH_AVAIL_OFF - ZVH_DESC_OFF);
static_assert(sizeof(struct vring_avail) + (ZVH_QSIZE + 1) * sizeof(u16) <=
	      ZVH_USED_OFF - ZVH_AVAIL_OFF);
static_assert(sizeof(struct vring_used) +
	      ZVH_QSIZE * sizeof(struct vring_used_elem) + sizeof(u16) <=
	      ZVH_INDIRECT_OFF - ZVH_USED_OFF);
static_assert(ZVH_INDIRECT_N * sizeof(struct vring_desc) <=
	      ZVH_HDR_OFF - ZVH_INDIRECT_OFF);
static_assert(ZVH_HDR_OFF + sizeof(struct virtio_blk_outhdr) <=
	      ZVH_STATUS_OFF);
static_assert(ZVH_STATUS_OFF < ZVH_RING_SIZE);

/**
 * struct zvh_dev - the function under test, during a run
 * @pdev: the PCI function
 * @bar: its BAR0
 * @touched: device_status was written: the device must be reset before
 *	the memory it was given is freed
 * @ring: the rings, the header and the status byte, ZVH_RING_SIZE bytes
 * @ring_dma: its bus address
 * @desc: the descriptor table, in @ring
 * @avail: the avail ring, in @ring
 * @used: the used ring, in @ring
 * @indirect: an indirect table of ZVH_INDIRECT_N entries, in @ring
 * @hdr: the request header, in @ring
 * @status: the request's status byte, in @ring
 * @data: the data buffer, ZVH_DATA_SIZE bytes
 * @data_dma: its bus address
 * @queue: the queue of the current case
 * @avail_idx: the avail index we published
 * @last_used: the next used entry to look at
 * @poison: what the next baseline read's buffer is filled with
 * @have_ref: @ref holds what the first baseline read returned
 * @ref: what the first baseline read returned
 * @abort: why no further case can run, or NULL
 * @log: how the current case goes
 */
struct zvh_dev {
	struct pci_dev *pdev;
	void __iomem *bar;
	bool touched;
	void *ring;
	dma_addr_t ring_dma;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	struct vring_desc *indirect;
	struct virtio_blk_outhdr *hdr;
	u8 *status;
	void *data;
	dma_addr_t data_dma;
	u16 queue;
	u16 avail_idx;
	u16 last_used;
	u8 poison;
	bool have_ref;
	u8 ref[ZVH_DATA_SIZE];
	const char *abort;
	struct zoc_hostile_log log;
};

/**
 * struct zvh_case - a case of a run
 * @name: its name in the results
 * @run: runs it; failures are reported with zvh_fail()
 * @features: driver features besides VIRTIO_F_VERSION_1
 * @queue: the queue it uses
 * @manual: @run brings the device up itself
 */
struct zvh_case {
	const char *name;
	void (*run)(struct zvh_dev *zd);
	u64 features;
	u16 queue;
	bool manual;
};

#define zvh_fail(zd, ...)	zoc_hostile_fail(&(zd)->log, __VA_ARGS__)

void __iomem *zvh_common(struct zvh_dev *zd, unsigned int off);
u8 zvh_get_status(struct zvh_dev *zd);
void zvh_set_status(struct zvh_dev *zd, u8 status);
bool zvh_gone(struct zvh_dev *zd, u8 status);
int zvh_reset(struct zvh_dev *zd);
int zvh_bring_up(struct zvh_dev *zd, u64 features);
int zvh_features(struct zvh_dev *zd, u64 features);
int zvh_queue(struct zvh_dev *zd, u64 desc);
int zvh_driver_ok(struct zvh_dev *zd);
dma_addr_t zvh_dma(struct zvh_dev *zd, unsigned int off);
void zvh_desc(struct vring_desc *d, u64 addr, u32 len, u16 flags, u16 next);
void zvh_submit(struct zvh_dev *zd, u16 head);
u16 zvh_used_idx(struct zvh_dev *zd);
void zvh_baseline(struct zvh_dev *zd);
u64 zvh_capacity(struct zvh_dev *zd);
void zvh_needs_reset(struct zvh_dev *zd, const char *name);
void zvh_net_send(struct zvh_dev *zd);
int zvh_wait_used(struct zvh_dev *zd, const char *name, u32 *id, u32 *len);
void zvh_fuzz(struct zvh_dev *zd);

extern const struct zvh_case zvh_net_cases[];
extern const unsigned int zvh_net_nr_cases;

#endif /* _ZOC_VIRTIO_HOSTILE_H */
