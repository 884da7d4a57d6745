/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC I/O proxy core, inside zoc_guest: what proxy.c, model.c, devset.c,
 * swap.c, live.c and prepare.c share.
 */
#ifndef _ZOC_GUEST_PROXY_H
#define _ZOC_GUEST_PROXY_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/zoc_link.h>

struct zoc_guest_link;
struct zoc_pdev;
struct zoc_proxy_model;
struct zoc_proxy_params;
struct zoc_port;

/**
 * struct zoc_proxy_ctrl - a slot for a control request
 * @work: runs it
 * @proxy: the proxy whose slot it is
 * @msg: the request, as copied out of the ring
 * @index: the slot's bit in @proxy->ctrl_busy
 * @epoch: the endpoint's epoch when the request came
 */
struct zoc_proxy_ctrl {
	struct work_struct work;
	struct zoc_proxy *proxy;
	struct zoc_msg msg;
	unsigned int index;
	u32 epoch;
};

static_assert(ZOC_LINK_CTRL_SLOTS <= BITS_PER_LONG);

/**
 * struct zoc_proxy - the I/O proxy of one link endpoint
 * @list: in the list of proxies (swap.c)
 * @ep: the endpoint, registered with; it outlives the proxy
 * @dev: the endpoint's device, for messages
 * @mutex: serialises control: protects the writers of @devs
 * @devs: the devices, by slot, published with RCU
 * @wq: ordered: runs the control requests, one at a time
 * @ctrls: the slots for control requests
 * @ctrl_busy: bit i: @ctrls[i] is taken
 * @ctrl_refused: control requests refused for want of a slot
 * @left: the link was handed over, in epoch @left_epoch: control
 *	requests of that epoch are not for us any more (mutex)
 * @left_epoch: see @left
 * @prepare_work: while the link is another service VM's, prepares the
 *	devices it serves for their takeover (prepare.c)
 * @prepared: by slot, the type of the device prepared there, 0 if none
 *	(mutex)
 * @serving_since: when @prepare_work first saw the link ours, 0 while it
 *	is another's (mutex)
 * @port_mutex: protects @ports and @ports_announced; after @mutex, before
 *	RTNL
 * @ports: by slot, the port representors of network devices (port.c)
 * @ports_announced: the link came up since the proxy last stood by: the
 *	representors prepared before told that they moved
 * @up_work: the link came up: tells that the representors prepared for
 *	its devices moved here (port.c)
 * @queued: by CPU, device queue works queued on it (spread.c)
 */
struct zoc_proxy {
	struct list_head list;
	struct zoc_guest_link *ep;
	struct device *dev;
	struct mutex mutex;	/* serialises control, see above */
	struct zoc_pdev __rcu *devs[ZOC_LINK_MAX_DEVS];
	struct workqueue_struct *wq;
	struct zoc_proxy_ctrl ctrls[ZOC_LINK_CTRL_SLOTS];
	unsigned long ctrl_busy;
	atomic64_t ctrl_refused;
	bool left;
	u32 left_epoch;
	struct delayed_work prepare_work;
	u8 prepared[ZOC_LINK_MAX_DEVS];
	unsigned long serving_since;
	struct mutex port_mutex;	/* @ports, before RTNL */
	struct zoc_port *ports[ZOC_LINK_MAX_DEVS];
	bool ports_announced;
	struct work_struct up_work;
	atomic_long_t __percpu *queued;
};

#define ZOC_PROXY_REPLY_WAIT_MS	5000
/* For the host's answer to ZOC_CTRL_MODEL_ADDED, from a module's init */
#define ZOC_PROXY_ANNOUNCE_WAIT_MS	1000

/* Posted writes and reads kept for a device whose model is replaced */
#define ZOC_PROXY_DEFERRED	64

/* proxy.c */
void zoc_proxy_mmio(struct zoc_pdev *pdev, const struct zoc_msg *msg,
		    struct zoc_msg *reply);
void zoc_proxy_take_doorbells(struct zoc_pdev *pdev);

/* swap.c: models replaced under devices that keep running */
void zoc_proxy_list_add(struct zoc_proxy *proxy);
void zoc_proxy_list_del(struct zoc_proxy *proxy);
bool zoc_proxy_defer(struct zoc_pdev *pdev, const struct zoc_msg *msg);
int zoc_proxy_swap_prepare(struct zoc_pdev *pdev);
void zoc_proxy_swap_release(struct zoc_pdev *pdev);
void zoc_proxy_swap_out(const struct zoc_proxy_model *model);
void zoc_proxy_swap_in(const struct zoc_proxy_model *model);
int zoc_proxy_adopt(struct zoc_proxy *proxy, struct zoc_pdev *pdev,
		    const struct zoc_proxy_model *model);
bool zoc_proxy_let_go(struct zoc_proxy *proxy, struct zoc_pdev *pdev);

/* model.c */
const struct zoc_proxy_model *zoc_proxy_model_get(u8 type);

/* proxy.c */
u32 zoc_proxy_status(int ret);
u32 zoc_proxy_dev_check(const struct zoc_ctrl_dev_create *req,
			struct zoc_proxy_params *params);

/* devset.c: changes to a running device */
u32 zoc_proxy_dev_set_link(struct zoc_proxy *proxy, const struct zoc_msg *msg);
u32 zoc_proxy_ns(struct zoc_proxy *proxy, const struct zoc_msg *msg,
		 bool attach);

/* spread.c: which CPU serves each device queue */
void zoc_proxy_spread_show(struct zoc_proxy *proxy, struct seq_file *s);

/* A standby's devices prepared ahead of their takeover (prepare.c) */
void zoc_proxy_prepare_start(struct zoc_proxy *proxy);
void zoc_proxy_prepare_kick(struct zoc_proxy *proxy);
void zoc_proxy_prepare_stop(struct zoc_proxy *proxy);

/* Port representors (port.c) */
void zoc_port_announce(struct zoc_proxy *proxy);
void zoc_port_stand_by(struct zoc_proxy *proxy);
void zoc_port_drop_all(struct zoc_proxy *proxy);

/* Live records (live.c) */
void zoc_proxy_live_clear(struct zoc_pdev *pdev);
void zoc_proxy_live_publish(struct zoc_pdev *pdev);
void zoc_proxy_live_drop(struct zoc_pdev *pdev);
void zoc_proxy_live_resume(struct zoc_pdev *pdev);
void *zoc_proxy_live_state(struct zoc_pdev *pdev, u8 type, size_t *len,
			   void **track);

#endif /* _ZOC_GUEST_PROXY_H */
