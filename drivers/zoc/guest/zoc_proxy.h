/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC I/O proxy core: what it offers to device models in the service VM.
 *
 * A model (NVMe, virtio-blk, ...) registers a &struct zoc_proxy_model, once,
 * for every link.  When the host asks the I/O proxy of a link for a device
 * of its type, that proxy calls @create with a &struct zoc_pdev whose image
 * the model fills in; the proxy publishes the image in the slot's device
 * page and answers the host.  From then on the proxy hands the model the
 * host's BAR0 accesses and doorbells, and the model reaches that host's
 * memory and raises its interrupts through the helpers below, which find
 * the link through the device.  Everything the host wrote is untrusted:
 * the DMA helpers refuse any range outside host RAM, and models check
 * every value they take.
 */
#ifndef _ZOC_PROXY_H
#define _ZOC_PROXY_H

#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/zoc_link.h>

struct module;
struct zoc_pdev;
struct zoc_proxy;

/**
 * struct zoc_proxy_params - what the host asked for
 * @name: the device's name, NUL terminated
 * @backend: the backend's name (a block device of the service VM), NUL
 *	terminated, possibly empty
 * @queues: queue pairs asked for; 0: the model's default
 * @flags: ZOC_DEV_F_*
 * @net: network devices: the identity the host asked for, unchecked
 */
struct zoc_proxy_params {
	char name[ZOC_DEV_NAME_LEN];
	char backend[ZOC_DEV_NAME_LEN];
	unsigned int queues;
	unsigned int flags;
	struct zoc_ctrl_net net;
};

/**
 * struct zoc_proxy_model - a device model
 * @type: ZOC_DEV_* it serves
 * @name: its name, for logs
 * @owner: its module
 * @create: set up a device for @params: fill in @pdev->image (magic is
 *	set by the core), set @pdev->priv; process context, may sleep.
 *	Return 0 or -EINVAL (bad parameters), -ENODEV (no such backend),
 *	another errno (failed).
 * @destroy: tear the device down; process context.  When it returns the
 *	model no longer touches host memory or sends anything for @pdev.
 * @mmio_read: a read of BAR0 outside the shadow and doorbell regions;
 *	@size is 1, 2, 4 or 8 and @offset + @size lies in BAR0.  Interrupt
 *	context: answer from state, never sleep.
 * @mmio_write: a write, as for @mmio_read.  Interrupt context: defer any
 *	real work.
 * @doorbell: doorbell @index (of the image's doorbell regions) was
 *	written with @value.  Interrupt context.
 * @set_link: optional, network devices: the host's administrator set the
 *	link up or down.  Process context.
 * @detach: optional: the model's module goes, the device stays.  Stop,
 *	finish or give back what is in flight, save in @state (@len bytes at
 *	most) what @attach needs to go on where the device stopped, and tear
 *	the device down as @destroy does, without a word to the host: its
 *	driver keeps the device and sees it stall.  Process context.  Return
 *	the bytes saved, or a negative errno (the device is torn down all
 *	the same, nothing saved).  A model without @detach pins its module
 *	while it has devices.
 * @attach: with @detach: take over a device that a model of this type let
 *	go of, from its saved @state (@len bytes, untrusted: the host could
 *	have written it), for the same @params.  As @create, and the image
 *	must be the one the host already has.  Nothing runs yet: no work,
 *	no access to host memory but reads.  Process context.  Return 0 or
 *	a negative errno.
 * @recover: optional, with @attach: take over a device whose service VM
 *	(or proxy) died serving it, without letting go of it.  @state (@len
 *	bytes) is what the dead model last committed to the slot's live
 *	record (zoc_proxy_live_commit()), and @track (ZOC_PROXY_LIVE_TRACK
 *	bytes) a copy of the record's track (zoc_proxy_live_track()), what
 *	it had in flight: both untrusted.  The record itself is left as it
 *	is until the device is taken over, so that a crash meanwhile leaves
 *	it for the next try.  As @attach otherwise; what was in flight runs
 *	again from @resume.
 * @resume: with @attach: the proxy took the attached device over (its
 *	image is the host's); go on where the device stopped.  The host's
 *	requests kept meanwhile come next.  Process context.
 * @prepare: optional, with @attach: the proxy of a standby service VM
 *	(@proxy, opaque) found a device of this type in @slot, served by
 *	another service VM, created with @params (untrusted: host memory);
 *	set up, ahead of a takeover, what does not touch the device (a
 *	network device's representor), for @attach or @recover of the same
 *	@slot and @params to take.  The same again is no change; other
 *	@params replace what was prepared; NULL @params: nothing is to be
 *	taken over in @slot, drop what was prepared.  What is left when
 *	the module goes, the model drops (the core drops representors,
 *	which are its own: zoc_port_get()).  Process context.  Return 0 or
 *	a negative errno.
 * @ns_attach: optional, storage devices of several namespaces: attach
 *	the volume @volume (the host's, unchecked) as namespace @nsid of a
 *	running device, and tell its driver.  Process context.  Return 0 or
 *	-EINVAL (@nsid out of range), -EEXIST (@nsid taken), or @create's
 *	errnos for the volume.
 * @ns_detach: with @ns_attach: detach namespace @nsid once what it has in
 *	flight completed, and tell the device's driver.  Process context.
 *	Return 0, -EINVAL (@nsid out of range) or -ENOENT (none there).
 * @list: in the core's list of models, which every proxy uses
 */
struct zoc_proxy_model {
	u8 type;
	const char *name;
	struct module *owner;
	int (*create)(struct zoc_pdev *pdev,
		      const struct zoc_proxy_params *params);
	void (*destroy)(struct zoc_pdev *pdev);
	u64 (*mmio_read)(struct zoc_pdev *pdev, u64 offset, unsigned int size);
	void (*mmio_write)(struct zoc_pdev *pdev, u64 offset, unsigned int size,
			   u64 value);
	void (*doorbell)(struct zoc_pdev *pdev, unsigned int index, u32 value);
	void (*set_link)(struct zoc_pdev *pdev, bool up);
	int (*detach)(struct zoc_pdev *pdev, void *state, size_t len);
	int (*attach)(struct zoc_pdev *pdev,
		      const struct zoc_proxy_params *params,
		      const void *state, size_t len);
	int (*recover)(struct zoc_pdev *pdev,
		       const struct zoc_proxy_params *params,
		       const void *state, size_t len, const void *track);
	void (*resume)(struct zoc_pdev *pdev);
	int (*prepare)(struct zoc_proxy *proxy, unsigned int slot,
		       const struct zoc_proxy_params *params);
	int (*ns_attach)(struct zoc_pdev *pdev, u32 nsid, const char *volume);
	int (*ns_detach)(struct zoc_pdev *pdev, u32 nsid);
	struct list_head list;
};

/**
 * struct zoc_pdev - a device served by an I/O proxy
 * @proxy: the proxy serving it: the link its host memory, interrupts and
 *	device page belong to; opaque to models
 * @slot: its slot: its number on the link and on the host's bus
 * @name: its name
 * @model: its model
 * @image: filled in by the model's @create; copied to the device page
 * @page: the slot's device page in the link area (shared with the host)
 * @priv: the model's
 * @doorbells: how many doorbells its image declares
 * @stats: its counters, mirrored into @page
 * @irq_retry: vectors whose message found the link's ring full: raised
 *	again at the link's next tick
 * @irq_raised: vectors it raised: raised again when the link comes up on
 *	rings the host formatted anew, which lost the messages they held
 * @req_lock: its model's callbacks for the host's requests (register
 *	accesses, doorbells) run under it, one at a time
 * @queue_hint: the tag of its last doorbell message, the data queue of
 *	the host CPU that sent it: its interrupts go there unless the host
 *	named other queues for the vector (any value is safe, the link
 *	takes it modulo its queues)
 * @live: the slot's live record in the link area (live.c)
 * @live_seq: the sequence number of the newer copy in @live
 *
 * The proxy's own, for replacing its model (swap.c):
 * @params: what the host asked for, for the next model
 * @pinned: it holds a reference on its model's module (no @detach)
 * @swap_lock: protects @detached and @deferred against the request path
 * @detached: no model serves it: the host's requests are kept
 * @recovered: its model took it over from its live record, not from a
 *	saved state
 * @nr_deferred: requests kept in @deferred, in order
 * @deferred: ZOC_PROXY_DEFERRED requests, allocated with the device
 */
struct zoc_pdev {
	struct zoc_proxy *proxy;
	unsigned int slot;
	char name[ZOC_DEV_NAME_LEN];
	const struct zoc_proxy_model *model;
	struct zoc_dev_image image;
	struct zoc_dev_page *page;
	void *priv;
	unsigned int doorbells;
	atomic64_t stats[ZOC_DEV_STATS];
	unsigned long irq_retry;
	unsigned long irq_raised;
	spinlock_t req_lock;	/* see above */
	u32 queue_hint;
	struct zoc_dev_live *live;
	u32 live_seq;
	struct zoc_proxy_params params;
	bool pinned;
	/* the request path races the replacement of the model */
	spinlock_t swap_lock;
	bool detached;
	bool recovered;
	unsigned int nr_deferred;
	struct zoc_msg *deferred;
};

int zoc_proxy_register_model(struct zoc_proxy_model *model);
void zoc_proxy_unregister_model(struct zoc_proxy_model *model);

void *zoc_proxy_host_ptr(struct zoc_pdev *pdev, u64 addr, size_t len);
void *zoc_proxy_dma_begin(struct zoc_pdev *pdev, u64 addr, size_t len);
void zoc_proxy_dma_end(struct zoc_pdev *pdev);
int zoc_proxy_dma_read(struct zoc_pdev *pdev, u64 addr, void *buf, size_t len);
int zoc_proxy_dma_write(struct zoc_pdev *pdev, u64 addr, const void *buf,
			size_t len);
int zoc_proxy_irq(struct zoc_pdev *pdev, unsigned int vector);
void zoc_proxy_stat_add(struct zoc_pdev *pdev, unsigned int stat, u64 n);
u64 zoc_proxy_stage(struct zoc_pdev *pdev, unsigned int stat, u64 since);

/**
 * struct zoc_proxy_poller - a queue's adaptive poll (poll.c)
 * @shift: its window is the host's poll time shifted right by this
 * @slept: when its last poll found nothing (ktime_get_ns()), or 0
 * @rang: when the host's first doorbell after that came, or 0
 */
struct zoc_proxy_poller {
	unsigned int shift;
	u64 slept;
	u64 rang;
};

u64 zoc_proxy_poll_begin(struct zoc_pdev *pdev,
			 struct zoc_proxy_poller *poller);
bool zoc_proxy_poll(struct zoc_pdev *pdev, struct zoc_proxy_poller *poller,
		    int (*found)(void *arg), void *arg);

/*
 * The host rang the queue of @poller (not a completion's kick): its first
 * doorbell since the queue slept tells how long a poll would have had to
 * last.  From the model's doorbell callback.
 */
static inline void zoc_proxy_poll_rang(struct zoc_proxy_poller *poller)
{
	if (READ_ONCE(poller->rang) <= READ_ONCE(poller->slept))
		WRITE_ONCE(poller->rang, ktime_get_ns());
}

/* Stamp *@at with the time a stage began, unless it began already. */
static inline void zoc_proxy_stage_begin(u64 *at)
{
	if (!READ_ONCE(*at))
		WRITE_ONCE(*at, ktime_get_ns());
}

unsigned int zoc_proxy_queue_cpu(struct zoc_pdev *pdev, unsigned int queue);
bool zoc_proxy_queue_work(struct zoc_pdev *pdev, unsigned int queue,
			  struct workqueue_struct *wq, struct work_struct *work);

/*
 * Queue @work of queue @queue of @pdev on its CPU, stamping *@kicked if
 * it was not pending.
 */
static inline void zoc_proxy_kick(struct zoc_pdev *pdev, unsigned int queue,
				  struct workqueue_struct *wq,
				  struct work_struct *work, u64 *kicked)
{
	if (!work_pending(work))
		WRITE_ONCE(*kicked, ktime_get_ns());
	zoc_proxy_queue_work(pdev, queue, wq, work);
}

void zoc_proxy_shadow_write(struct zoc_pdev *pdev, unsigned int offset,
			    const void *val, size_t len);
u32 zoc_proxy_doorbell_last(struct zoc_pdev *pdev, unsigned int index);

/* The live record: what a model keeps for its @recover */
#define ZOC_PROXY_LIVE_STATE	(ZOC_DEV_LIVE_COPY_SIZE - 16)
#define ZOC_PROXY_LIVE_TRACK	(ZOC_LINK_LIVE_SIZE - 64 - \
				 2 * ZOC_DEV_LIVE_COPY_SIZE)

void zoc_proxy_live_commit(struct zoc_pdev *pdev, const void *state,
			   size_t len);
void *zoc_proxy_live_track(struct zoc_pdev *pdev, size_t *len);

/* --- port representors of network devices (port.c) ----------------------- */

struct bpf_prog;
struct net_device;
struct page;
struct sk_buff;
struct zoc_port_peer;

/* A representor's queues: one for each queue pair a model may have */
#define ZOC_PORT_QUEUES		ZOC_DEV_VIRTIO_NET_MAX_QUEUES

/* The largest MTU a representor takes: jumbo frames */
#define ZOC_PORT_MAX_MTU	9000
/*
 * The longest frame zoc_port_rx_xdp() takes: a page, less XDP's headroom
 * and the room an skb built on it needs at its end.
 */
#define ZOC_PORT_XDP_MAX_FRAME	(PAGE_SIZE - XDP_PACKET_HEADROOM -	\
				 SKB_DATA_ALIGN(sizeof(struct skb_shared_info)))

/**
 * struct zoc_port_ops - what a representor asks of the device behind it
 * @xmit_skb: a packet for the host; false if it was not sent (the caller
 *	frees it either way).  Bottom halves off, RCU held.
 * @xmit_buf: the same, a linear frame of @len bytes at @data.
 * @changed: the representor went up or down.  RTNL held.
 */
struct zoc_port_ops {
	bool (*xmit_skb)(struct zoc_port_peer *peer, struct sk_buff *skb);
	bool (*xmit_buf)(struct zoc_port_peer *peer, const void *data,
			 unsigned int len);
	void (*changed)(struct zoc_port_peer *peer);
};

/**
 * struct zoc_port_peer - a device behind a port representor
 * @ops: its operations
 *
 * Embedded in the model's device, which finds itself with container_of().
 */
struct zoc_port_peer {
	const struct zoc_port_ops *ops;
};

struct net_device *zoc_port_get(struct zoc_proxy *proxy, unsigned int slot,
				const char *name,
				const struct zoc_ctrl_net *id, bool *kept);
int zoc_port_prepare(struct zoc_proxy *proxy, unsigned int slot,
		     const char *name, const struct zoc_ctrl_net *id);
void zoc_port_drop(struct zoc_proxy *proxy, unsigned int slot);
bool zoc_port_attach(struct net_device *dev, struct zoc_port_peer *peer);
void zoc_port_detach(struct net_device *dev);
struct bpf_prog *zoc_port_xdp_prog(struct net_device *dev);
void zoc_port_rx_skb(struct net_device *dev, struct sk_buff *skb);
struct page *zoc_port_alloc_page(struct net_device *dev, unsigned int queue);
void zoc_port_recycle_page(struct net_device *dev, unsigned int queue,
			   struct page *page);
void zoc_port_rx_xdp(struct net_device *dev, struct bpf_prog *prog,
		     unsigned int queue, struct page *page, unsigned int len);

#endif /* _ZOC_PROXY_H */
