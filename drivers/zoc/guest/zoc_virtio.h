/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC virtio devices: the virtio 1.x modern PCI transport and split
 * virtqueues (virtio_pci.c), shared by the device types (virtio_blk.c).
 *
 * A device type provides its features, its configuration space and a
 * handler for the descriptor chains its queues receive; the transport
 * serves the registers, validates the rings and chains, and posts the used
 * entries and interrupts.
 */
#ifndef _ZOC_VIRTIO_H
#define _ZOC_VIRTIO_H

#include <linux/types.h>

struct zoc_pdev;
struct zoc_virtio_dev;
struct zoc_virtio_queue;

/* Queue size offered; also the longest chain a queue can hold. */
#define ZOC_VIRTIO_QUEUE_SIZE	256
#define ZOC_VIRTIO_MAX_QUEUES	16

/**
 * struct zoc_virtio_seg - one buffer of a descriptor chain, in host memory
 * @addr: host physical address; the buffer lies in host RAM
 * @len: bytes, not zero
 * @write: the device writes it (VRING_DESC_F_WRITE)
 */
struct zoc_virtio_seg {
	u64 addr;
	u32 len;
	bool write;
};

/**
 * struct zoc_virtio_chain - a validated descriptor chain
 * @head: its head descriptor index, for the used ring
 * @nr_segs: buffers in @segs
 * @nr_out: the first @nr_out are device-readable, the others writable
 * @out_len: bytes of the readable buffers, at most U32_MAX
 * @in_len: bytes of the writable buffers, at most U32_MAX
 * @segs: the buffers; valid only during the handler's call
 */
struct zoc_virtio_chain {
	u16 head;
	unsigned int nr_segs;
	unsigned int nr_out;
	u64 out_len;
	u64 in_len;
	const struct zoc_virtio_seg *segs;
};

/**
 * struct zoc_virtio_ops - what a device type provides
 * @type: its proxy model type (ZOC_DEV_*)
 * @device_id: its virtio device ID (VIRTIO_ID_*)
 * @class: its PCI class code (24 bits)
 * @features: the device-type feature bits it offers; the transport adds
 *	VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX,
 *	VIRTIO_RING_F_INDIRECT_DESC and VIRTIO_F_RING_RESET
 * @handle: a chain arrived on @vq.  From the queue's work (process
 *	context, may sleep).  Return 0 once the chain is taken: the device
 *	calls zoc_virtio_complete() for it exactly once, from any context,
 *	possibly before returning.  Return a negative errno if the chain
 *	breaks the device type's rules: the device then needs a reset.
 * @begin: optional; a run of @vq's work begins: @handle is called for
 *	the chains it takes (at most 64), then @end.  With @begin and @end,
 *	@handle must not sleep: a device type may disable bottom halves
 *	for the run.
 * @end: optional; the run of @vq's work ends
 * @drain: optional; @vq is being reset (alone or with its device) or
 *	destroyed, and stopped: give back the chains of it the device holds
 *	(zoc_virtio_drop()) and take no more.  Process context.
 * @reset: optional; the driver reset the device, its queues are idle
 */
struct zoc_virtio_ops {
	u8 type;
	u16 device_id;
	u32 class;
	u64 features;
	int (*handle)(struct zoc_virtio_queue *vq,
		      const struct zoc_virtio_chain *chain);
	void (*begin)(struct zoc_virtio_queue *vq);
	void (*end)(struct zoc_virtio_queue *vq);
	void (*drain)(struct zoc_virtio_queue *vq);
	void (*reset)(struct zoc_virtio_dev *vdev);
};

struct zoc_virtio_dev *zoc_virtio_create(struct zoc_pdev *pdev,
					 const struct zoc_virtio_ops *ops,
					 unsigned int nr_queues,
					 const void *config,
					 unsigned int config_len, void *priv);
void zoc_virtio_destroy(struct zoc_virtio_dev *vdev);
void *zoc_virtio_priv(const struct zoc_virtio_dev *vdev);
struct zoc_virtio_dev *zoc_virtio_vq_dev(const struct zoc_virtio_queue *vq);
struct zoc_pdev *zoc_virtio_pdev(const struct zoc_virtio_dev *vdev);
struct zoc_virtio_queue *zoc_virtio_queue(const struct zoc_virtio_dev *vdev,
					  unsigned int index);
unsigned int zoc_virtio_vq_index(const struct zoc_virtio_queue *vq);
bool zoc_virtio_vq_running(const struct zoc_virtio_queue *vq);
bool zoc_virtio_has_feature(const struct zoc_virtio_dev *vdev,
			    unsigned int bit);
void zoc_virtio_set_config(struct zoc_virtio_dev *vdev, unsigned int offset,
			   const void *buf, unsigned int len);

int zoc_virtio_chain_read(struct zoc_virtio_dev *vdev,
			  const struct zoc_virtio_chain *chain, u64 offset,
			  void *buf, size_t len);
int zoc_virtio_chain_write(struct zoc_virtio_dev *vdev,
			   const struct zoc_virtio_chain *chain, u64 offset,
			   const void *buf, size_t len);
void zoc_virtio_complete(struct zoc_virtio_queue *vq, u16 head, u32 len);
void zoc_virtio_complete_many(struct zoc_virtio_queue *vq, const u16 *heads,
			      const u32 *lens, unsigned int n);
void zoc_virtio_drop(struct zoc_virtio_queue *vq);

/* The zoc_proxy_model callbacks of every virtio device type */
u64 zoc_virtio_mmio_read(struct zoc_pdev *pdev, u64 offset,
			 unsigned int size);
void zoc_virtio_mmio_write(struct zoc_pdev *pdev, u64 offset,
			   unsigned int size, u64 value);
void zoc_virtio_doorbell(struct zoc_pdev *pdev, unsigned int index,
			 u32 value);

/* The device types, registered by the module */
int zoc_virtio_blk_init(void);
void zoc_virtio_blk_exit(void);
int zoc_virtio_net_init(void);
void zoc_virtio_net_exit(void);

#endif /* _ZOC_VIRTIO_H */
