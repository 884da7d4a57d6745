/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC virtio devices: the virtio 1.x modern PCI transport (pci.c, its
 * registers in regs.c) and its split virtqueues (vq.c), shared by the
 * device types (blk.c, net.c).
 *
 * A device type provides its features, its configuration space and a
 * handler for the descriptor chains its queues receive; the transport
 * serves the registers, validates the rings and chains, and posts the used
 * entries and interrupts.
 *
 * The transport runs each queue's work; the split-ring engine (zoc_vq_*,
 * in the manner of the kernel's vringh) takes the chains off the avail
 * ring, checks them and posts the used entries.
 */
#ifndef _ZOC_VIRTIO_H
#define _ZOC_VIRTIO_H

#include <linux/atomic.h>
#include <linux/if_vlan.h>
#include <linux/irq_work.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <linux/workqueue.h>
#include <linux/zoc_link.h>

#include "../../zoc_proxy.h"

struct bpf_prog;
struct net_device;
struct sk_buff;
struct virtio_net_hdr;

struct zoc_pdev;
struct zoc_proxy;
struct zoc_proxy_params;
struct zoc_virtio_dev;
struct zoc_virtio_queue;

/* BAR0 */
#define ZOC_VIRTIO_BAR_SHIFT	15		/* 32 KiB */
#define ZOC_VIRTIO_COMMON	0x0000
#define ZOC_VIRTIO_ISR		0x1000
#define ZOC_VIRTIO_DEVICE	0x2000
#define ZOC_VIRTIO_NOTIFY	0x3000
#define ZOC_VIRTIO_MSIX_TABLE	0x4000
#define ZOC_VIRTIO_MSIX_PBA	0x5000
#define ZOC_VIRTIO_AREA		0x1000		/* room of each structure */
#define ZOC_VIRTIO_NOTIFY_MULT	4

/* The common configuration with queue_notify_data and queue_reset */
#define ZOC_VIRTIO_COMMON_LEN	(VIRTIO_PCI_COMMON_Q_RESET + sizeof(u16))

/* Queue size offered; also the longest chain a queue can hold. */
#define ZOC_VIRTIO_QUEUE_SIZE	256
#define ZOC_VIRTIO_MAX_QUEUES	16

/**
 * struct zoc_vq_seg - one buffer of a descriptor chain, in host memory
 * @addr: host physical address; the buffer lies in host RAM
 * @len: bytes, not zero
 * @write: the device writes it (VRING_DESC_F_WRITE)
 */
struct zoc_vq_seg {
	u64 addr;
	u32 len;
	bool write;
};

/**
 * struct zoc_vq_chain - a validated descriptor chain
 * @head: its head descriptor index, for the used ring
 * @nr_segs: buffers in @segs
 * @nr_out: the first @nr_out are device-readable, the others writable
 * @out_len: bytes of the readable buffers, at most U32_MAX
 * @in_len: bytes of the writable buffers, at most U32_MAX
 * @segs: the buffers; valid only during the handler's call
 * @taken: when the queue's work took it (ktime_get_ns())
 */
struct zoc_vq_chain {
	u16 head;
	unsigned int nr_segs;
	unsigned int nr_out;
	u64 out_len;
	u64 in_len;
	const struct zoc_vq_seg *segs;
	u64 taken;
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
 *	calls zoc_vq_complete() for it exactly once, from any context,
 *	possibly before returning.  Return a negative errno if the chain
 *	breaks the device type's rules: the device then needs a reset.
 * @begin: optional; a run of @vq's work begins: @handle is called for
 *	the chains it takes (at most 64), then @end.  With @begin and @end,
 *	@handle must not sleep: a device type may disable bottom halves
 *	for the run.
 * @end: optional; the run of @vq's work ends
 * @drain: optional; @vq is being reset (alone or with its device) or
 *	destroyed, and stopped: give back the chains of it the device holds
 *	(zoc_vq_drop()) and take no more.  Process context.
 * @reset: optional; the driver reset the device, its queues are idle
 * @setup: optional; @vq was enabled with @num entries and is about to
 *	take its first chain: allocate what its chains will need, so that
 *	@handle need not.  From the queue's work (process context, may
 *	sleep), before @begin.  A negative errno fails the device: it needs
 *	a reset.
 * @poll: optional; whether @vq carries requests the driver makes (not
 *	buffers kept for the device's own traffic): in performance mode
 *	such a queue that ran dry is polled for more
 *	(Documentation/zoc/proxy.rst, "Modes").  From the queue's work.
 * @paired: its queues come in pairs (queues 2N and 2N + 1), each pair
 *	served by one CPU of the service VM; otherwise each queue is spread
 *	alone
 * @teardown: optional, with @setup; free what @setup allocated for @vq:
 *	it is being reset (alone or with its device) or destroyed, has no
 *	chain in flight, and its work does not run.  Called only after a
 *	@setup that succeeded.  Process context.
 */
struct zoc_virtio_ops {
	u8 type;
	u16 device_id;
	u32 class;
	u64 features;
	int (*handle)(struct zoc_virtio_queue *vq,
		      const struct zoc_vq_chain *chain);
	void (*begin)(struct zoc_virtio_queue *vq);
	void (*end)(struct zoc_virtio_queue *vq);
	void (*drain)(struct zoc_virtio_queue *vq);
	void (*reset)(struct zoc_virtio_dev *vdev);
	int (*setup)(struct zoc_virtio_queue *vq, unsigned int num);
	void (*teardown)(struct zoc_virtio_queue *vq);
	bool (*poll)(const struct zoc_virtio_queue *vq);
	bool paired;
};

/* The transport (pci.c; the device configuration's, regs.c) */
struct zoc_virtio_dev *zoc_virtio_create(struct zoc_pdev *pdev,
					 const struct zoc_virtio_ops *ops,
					 unsigned int nr_queues,
					 const void *config,
					 unsigned int config_len, void *priv,
					 bool take_over);
void zoc_virtio_destroy(struct zoc_virtio_dev *vdev);
int zoc_virtio_detach(struct zoc_virtio_dev *vdev, void *state, size_t len);
int zoc_virtio_restore(struct zoc_virtio_dev *vdev, const void *state,
		       size_t len);
int zoc_virtio_recover(struct zoc_virtio_dev *vdev, const void *state,
		       size_t len, const void *track);
int zoc_virtio_config_left(struct zoc_pdev *pdev, unsigned int offset,
			   void *buf, unsigned int len);
void zoc_virtio_resume(struct zoc_pdev *pdev);
void *zoc_virtio_priv(const struct zoc_virtio_dev *vdev);
struct zoc_virtio_dev *zoc_virtio_vq_dev(const struct zoc_virtio_queue *vq);
void zoc_virtio_set_type_state(struct zoc_virtio_dev *vdev, u8 value);
u8 zoc_virtio_type_state(struct zoc_virtio_dev *vdev);
struct zoc_pdev *zoc_virtio_pdev(const struct zoc_virtio_dev *vdev);
struct zoc_virtio_queue *zoc_virtio_queue(const struct zoc_virtio_dev *vdev,
					  unsigned int index);
unsigned int zoc_virtio_vq_index(const struct zoc_virtio_queue *vq);
bool zoc_virtio_vq_running(const struct zoc_virtio_queue *vq);
bool zoc_virtio_has_feature(const struct zoc_virtio_dev *vdev,
			    unsigned int bit);
void zoc_virtio_set_config(struct zoc_virtio_dev *vdev, unsigned int offset,
			   const void *buf, unsigned int len);

/* The split-ring engine (vq.c), for the chains a device type took */
int zoc_vq_chain_read(struct zoc_virtio_dev *vdev,
		      const struct zoc_vq_chain *chain, u64 offset,
		      void *buf, size_t len);
int zoc_vq_chain_write(struct zoc_virtio_dev *vdev,
		       const struct zoc_vq_chain *chain, u64 offset,
		       const void *buf, size_t len);
void zoc_vq_complete(struct zoc_virtio_queue *vq, u16 head, u32 len);
void zoc_vq_complete_multi(struct zoc_virtio_queue *vq, const u16 *heads,
			   const u32 *lens, unsigned int n);
void zoc_vq_drop(struct zoc_virtio_queue *vq);

/* The zoc_proxy_model callbacks of every virtio device type (regs.c) */
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

/* --- between the transport and the split-ring engine (pci.c, vq.c) ------- */

/**
 * struct zoc_virtio_queue - a split virtqueue
 * @vdev: its device
 * @index: its index, also its notification offset and doorbell
 * @size: queue_size, as last written
 * @vector: queue_msix_vector: a valid vector or VIRTIO_MSI_NO_VECTOR
 * @enabled: queue_enable: the rings were checked and are in @vring
 * @desc: queue_desc
 * @driver: queue_driver (the avail ring)
 * @device: queue_device (the used ring)
 * @vring: the rings in host memory, fixed while @enabled
 * @running: its work takes chains: enabled, and the device is live
 * @resetting: queue_reset was written with 1 and @reset_work runs
 * @set_up: the device type's &zoc_virtio_ops.setup succeeded for the rings
 *	taken; written by its work and once it is quiesced
 * @last_avail: the next avail entry to take; its work only
 * @dropped: chains given back unused (zoc_vq_drop()) since it was last
 *	zeroed: with @used_lock
 * @segs: the buffers of the chain being taken; its work only
 * @work: takes the chains and hands them to the device type
 * @kicked: when @work was last queued, by a doorbell or a completion
 *	(ktime_get_ns()); taken by the work's next run
 * @polling: @work polls the avail ring when it runs dry (performance
 *	mode): the avail event index is left behind meanwhile
 * @poller: its adaptive poll window (zoc_proxy_poll())
 * @reset_work: resets the queue alone (VIRTIO_F_RING_RESET)
 * @irq_work: raises @vector outside of our locks and the link's
 * @track: its track in the device's live record
 * @nr_replay: heads in @replay, taken again before the avail ring's
 * @next_replay: the next of them to take
 * @replay: the heads a dead model had in flight, oldest first
 * @used_lock: protects the fields below and @inflight's last decrement;
 *	completions come from any context
 * @inflight: chains taken and not completed yet
 * @used_idx: the used index we published
 * @signalled: @used_idx when the interrupt was last decided on
 * @hold: its work runs: the interrupt waits for the end of the run
 * @irq_pending: entries were posted while held
 * @posted: when entries were posted that wait for @irq_work, or 0
 *
 * The registers are protected by the device's lock.  The transport (pci.c)
 * keeps the registers, @running, @resetting, @set_up and the works; the
 * engine
 * (vq.c) the rings' state: @vring, @last_avail, @segs and what @used_lock
 * protects.
 */
struct zoc_virtio_queue {
	struct zoc_virtio_dev *vdev;
	u16 index;
	u16 size;
	u16 vector;
	bool enabled;
	u64 desc;
	u64 driver;
	u64 device;
	struct vring vring;
	bool running;
	bool resetting;
	bool set_up;
	u16 last_avail;
	u16 dropped;
	struct zoc_vq_seg *segs;
	struct work_struct work;
	u64 kicked;
	bool polling;
	struct zoc_proxy_poller poller;
	struct work_struct reset_work;
	struct irq_work irq_work;
	struct zoc_vq_track *track;
	u16 nr_replay;
	u16 next_replay;
	u16 replay[ZOC_VIRTIO_QUEUE_SIZE];
	/* completions come from bio end_io, in any context */
	spinlock_t used_lock;
	atomic_t inflight;
	u16 used_idx;
	u16 signalled;
	unsigned int hold;
	bool irq_pending;
	u64 posted;
};

/* struct zoc_vq_track.head[]: the index (avail or used) in the low 16 bits */
#define ZOC_VQ_TRACK_TAKEN	BIT(16)	/* taken at this avail index */
#define ZOC_VQ_TRACK_USED	BIT(17)	/* its used entry at this used index */

/**
 * struct zoc_vq_track - a queue's track in its device's live record
 *	(little-endian, in host memory)
 * @last_avail: the next avail entry to take
 * @used_idx: the used index published
 * @reserved: zero
 * @head: for each head of the descriptor table: 0, or ZOC_VQ_TRACK_* and
 *	an index
 */
struct zoc_vq_track {
	__le16 last_avail;
	__le16 used_idx;
	__le32 reserved;
	__le32 head[ZOC_VIRTIO_QUEUE_SIZE];
};

/**
 * struct zoc_virtio_dev - a virtio device
 * @pdev: its proxy device
 * @ops: its device type
 * @priv: the device type's
 * @nr_queues: its queues
 * @features: the features it offers
 * @config: its device configuration space
 * @config_len: bytes of @config
 * @wq: runs the works of its queues and @reset_work
 * @reset_work: finishes a reset the driver asked for
 * @config_irq: raises @msix_config
 * @isr: the ISR status, cleared by a read
 * @lock: protects the registers below and @config.  The link's interrupt
 *	handler calls us with it held; a queue's used lock nests inside.
 * @dfselect: device_feature_select
 * @gfselect: driver_feature_select
 * @drv_features: the driver's features
 * @msix_config: a valid vector or VIRTIO_MSI_NO_VECTOR
 * @status: device_status: what reads return
 * @generation: config_generation
 * @type_state: a byte of the device type's state kept with the registers
 *	(zoc_virtio_set_type_state()), zero after a reset
 * @queue_select: queue_select, as written
 * @event_idx: VIRTIO_RING_F_EVENT_IDX was accepted with FEATURES_OK
 * @indirect: VIRTIO_RING_F_INDIRECT_DESC was accepted with FEATURES_OK
 * @ring_reset: VIRTIO_F_RING_RESET was accepted with FEATURES_OK
 * @reset_pending: a reset runs: registers are read-only until it is done
 * @recording: its registers and queues are kept in its live record: it
 *	runs with a state of its own (saved.c)
 * @record: the registers last committed to the live record, and room to
 *	build the next commit (saved.c); under @lock
 * @dying: destroy began
 * @vqs: its queues
 */
struct zoc_virtio_dev {
	struct zoc_pdev *pdev;
	const struct zoc_virtio_ops *ops;
	void *priv;
	unsigned int nr_queues;
	u64 features;
	u8 *config;
	unsigned int config_len;
	struct workqueue_struct *wq;
	struct work_struct reset_work;
	struct irq_work config_irq;
	atomic_t isr;
	/* the link's interrupt handler calls us with it held */
	spinlock_t lock;
	u32 dfselect;
	u32 gfselect;
	u64 drv_features;
	u16 msix_config;
	u8 status;
	u8 generation;
	u8 type_state;
	u16 queue_select;
	bool event_idx;
	bool indirect;
	bool ring_reset;
	bool reset_pending;
	bool recording;
	bool dying;
	void *record;
	struct zoc_virtio_queue *vqs[ZOC_VIRTIO_MAX_QUEUES];
};

/* The engine, for the transport */
int zoc_vq_init(struct zoc_virtio_queue *vq, unsigned int num, u64 desc_addr,
		u64 avail_addr, u64 used_addr);
void zoc_vq_clear(struct zoc_virtio_queue *vq);
void zoc_vq_restore(struct zoc_virtio_queue *vq, u16 avail, u16 used);
int zoc_vq_recover(struct zoc_virtio_queue *vq, const struct zoc_vq_track *t);
bool zoc_vq_pending(struct zoc_virtio_queue *vq);
bool zoc_vq_dry(struct zoc_virtio_queue *vq);
bool zoc_vq_replays_left(const struct zoc_virtio_queue *vq);
bool zoc_vq_poll(struct zoc_virtio_queue *vq);
int zoc_vq_getdesc(struct zoc_virtio_queue *vq, struct zoc_vq_chain *chain);
void zoc_vq_abandon(struct zoc_virtio_queue *vq);
void zoc_vq_hold(struct zoc_virtio_queue *vq);
void zoc_vq_release(struct zoc_virtio_queue *vq);
void zoc_vq_wait_idle(struct zoc_virtio_queue *vq);

/* The transport's image (image.c) */
void zoc_virtio_image(struct zoc_virtio_dev *vdev, struct zoc_dev_image *img);

/* The transport, for saving and restoring it (pci.c, regs.c, saved.c) */
int zoc_virtio_record_alloc(struct zoc_virtio_dev *vdev);
void zoc_virtio_record(struct zoc_virtio_dev *vdev);
bool zoc_virtio_live(struct zoc_virtio_dev *vdev);
bool zoc_virtio_features_ok(struct zoc_virtio_dev *vdev);
u16 zoc_virtio_vector(struct zoc_virtio_dev *vdev, u16 val);
void zoc_virtio_stop(struct zoc_virtio_dev *vdev);
void zoc_virtio_vq_quiesce(struct zoc_virtio_queue *vq);
void zoc_virtio_free(struct zoc_virtio_dev *vdev);

/* The transport's device state (pci.c), for its registers (regs.c) */
void zoc_virtio_config_notify(struct zoc_virtio_dev *vdev);
void zoc_virtio_stop_queues(struct zoc_virtio_dev *vdev);
void zoc_virtio_clear(struct zoc_virtio_dev *vdev);

/* The transport, for the engine */
void zoc_virtio_kick(struct zoc_virtio_queue *vq);
void zoc_virtio_fail_locked(struct zoc_virtio_dev *vdev, const char *why);
void zoc_virtio_fail(struct zoc_virtio_dev *vdev, const char *why);
void zoc_virtio_vq_interrupt(struct zoc_virtio_queue *vq);

/* --- virtio-net (net.c) -------------------------------------------------- */

/* The MTU a device offers: 1500 unless the service VM says (net.c) */
#define ZOC_VNET_MAX_MTU	ZOC_PORT_MAX_MTU
#define ZOC_VNET_HDR_LEN	sizeof(struct virtio_net_hdr_mrg_rxbuf)

struct zoc_vnet_rxbuf;

/* Flows whose receive queue follows their last transmit (hash buckets) */
#define ZOC_VNET_STEER		256
#define ZOC_VNET_STEER_NONE	0xff

/**
 * struct zoc_vnet_rxq - the receive buffers of one queue pair
 * @lock: protects them: transmit paths and the receive queue
 * @prod: buffers taken from the receive queue
 * @cons: buffers filled or given back
 * @bufs: the buffers, a ring of ZOC_VIRTIO_QUEUE_SIZE
 */
struct zoc_vnet_rxq {
	spinlock_t lock;	/* transmit paths and the receive queue */
	unsigned int prod;
	unsigned int cons;
	struct zoc_vnet_rxbuf *bufs;
};

/**
 * struct zoc_vnet - a virtio-net device; the peer of its representor
 * @peer: what its representor calls (zoc_port_attach())
 * @vdev: its virtio device
 * @pdev: its proxy device
 * @rep: its representor, the proxy's
 * @admin_up: the host's administrator wants the link up; RTNL
 * @link_up: @admin_up and @rep up: packets for the host are sent on
 * @shown_up: the link the configuration shows the driver; RTNL
 * @shown_left: @shown_up is the last model's, for a device taken over
 *	with a representor new or prepared by a standby: kept until the
 *	representor runs; RTNL
 * @mtu: the MTU offered (virtio_net_config.mtu), ETH_MIN_MTU to
 *	ZOC_VNET_MAX_MTU; the representor's too
 * @pairs: queue pairs offered (max_virtqueue_pairs); more than one with
 *	VIRTIO_NET_F_MQ and its control queue
 * @curr_pairs: queue pairs the driver uses, 1 to @pairs: 1 after a
 *	reset, then what VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET says
 * @steer: by flow hash bucket, the pair of the flow's last transmit, or
 *	ZOC_VNET_STEER_NONE: where its packets for the host go
 * @rxq: by pair, its receive buffers
 */
struct zoc_vnet {
	struct zoc_port_peer peer;
	struct zoc_virtio_dev *vdev;
	struct zoc_pdev *pdev;
	struct net_device *rep;
	bool admin_up;
	bool link_up;
	bool shown_up;
	bool shown_left;
	unsigned int mtu;
	unsigned int pairs;
	unsigned int curr_pairs;
	u8 steer[ZOC_VNET_STEER];
	struct zoc_vnet_rxq rxq[ZOC_DEV_VIRTIO_NET_MAX_QUEUES];
};

/*
 * The longest frame the device takes from the host and gives it, not to
 * segment: the MTU with Ethernet and a VLAN tag (zoc_vnet_send_skb() and
 * _buf(), zoc_vnet_tx()).
 */
static inline unsigned int zoc_vnet_max_frame(const struct zoc_vnet *vnet)
{
	return VLAN_ETH_HLEN + vnet->mtu;
}

/* The pair of queue @index */
static inline unsigned int zoc_vnet_pair(unsigned int index)
{
	return index / 2;
}

/*
 * A stage of a packet ends: its time, since @since, is counted in @stat
 * (ZOC_DEV_STAT_*_NS); returns now, when the next begins.  0 and nothing
 * counted if the packet is not timed (@since 0: zoc_vnet_stage_begin()).
 */
static inline u64 zoc_vnet_stage(struct zoc_vnet *vnet, unsigned int stat,
				 u64 since)
{
	return since ? zoc_proxy_stage(vnet->pdev, stat, since) : 0;
}

u64 zoc_vnet_stage_begin(u64 since);
void zoc_vnet_note_from_host(struct zoc_vnet *vnet, const void *data,
			     unsigned int len, unsigned int pair);
int zoc_vnet_tx(struct zoc_vnet *vnet, struct zoc_virtio_queue *vq,
		const struct zoc_vq_chain *chain);

#endif /* _ZOC_VIRTIO_H */
