/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC link protocol: one end of the link between the host kernel and the
 * service VM, the same code on both sides (module zoc_link).  An instance
 * owns the link area's view of its side, the rings, the handshake and the
 * requests in flight; the side's module embeds it, registers its client
 * operations (what to do with a message or an event) and attaches the
 * transport that carries doorbells.  Documentation/zoc/link.rst describes
 * the protocol.
 */
#ifndef _ZOC_LINK_LINK_H
#define _ZOC_LINK_LINK_H

#include <linux/bits.h>
#include <linux/rcupdate.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/zoc_link.h>

#include "pending.h"
#include "ring.h"

/* Requests of one side in flight, a power of two. */
#define ZOC_LINK_PENDING	64
/* ... of which sleeping calls leave this many to atomic ones */
#define ZOC_LINK_PENDING_ATOMIC	16
/*
 * Tag bit the link's requests never carry: free for its clients, which get
 * the replies to what they send with it.
 */
#define ZOC_LINK_TAG_OTHER	BIT(31)

struct device;
struct seq_file;
struct zoc_link;

/**
 * enum zoc_link_role - which end of the link an instance is
 * @ZOC_LINK_ROLE_HOST: the host: writes the area's header, formats the
 *	rings for each service VM epoch, sends requests on the request ring
 * @ZOC_LINK_ROLE_SVM: the service VM: attaches to the rings formatted for
 *	its epoch, answers on the completion ring
 */
enum zoc_link_role {
	ZOC_LINK_ROLE_HOST,
	ZOC_LINK_ROLE_SVM,
};

/**
 * enum zoc_link_state - an instance's state
 * @ZOC_LINK_S_DOWN: no transport, no area yet, or no rings for the
 *	current epochs
 * @ZOC_LINK_S_HANDSHAKE: host: rings formatted for the service VM's epoch,
 *	its acknowledgment awaited
 * @ZOC_LINK_S_UP: requests flow
 */
enum zoc_link_state {
	ZOC_LINK_S_DOWN,
	ZOC_LINK_S_HANDSHAKE,
	ZOC_LINK_S_UP,
};

/**
 * enum zoc_link_event - what the link tells its client
 * @ZOC_LINK_EV_UP: the link came up on fresh rings
 * @ZOC_LINK_EV_LOST: the peer restarted (a new epoch) or stopped beating:
 *	whatever it held for us is gone
 * @ZOC_LINK_EV_RESUMED: host: the service VM beats again after it was
 *	reported lost for stopping: what it held may still run
 */
enum zoc_link_event {
	ZOC_LINK_EV_UP,
	ZOC_LINK_EV_LOST,
	ZOC_LINK_EV_RESUMED,
};

/**
 * struct zoc_link_transport_ops - how doorbells reach the peer
 * @ring: ring doorbell @vector of the peer, whose doorbell address (as it
 *	published it in the link area) is @peer.  Posted; any context,
 *	interrupts possibly disabled.
 */
struct zoc_link_transport_ops {
	void (*ring)(void *priv, u32 peer, u16 vector);
};

/**
 * struct zoc_link_client_ops - the layer above, as the link calls it
 * @receive: a message from the peer that is not a reply to one of our
 *	requests and not a ping (the link answers those).  Its length is
 *	checked against its type; nothing else is.  Called with the
 *	receiving lock held, interrupts disabled: answer or note, never
 *	sleep; zoc_link_reply() and zoc_link_post() may be called.  An
 *	interrupt (host) or a doorbell (service VM) may also come from a
 *	data queue: then no lock of the link is held (interrupts are still
 *	disabled), other calls may run on other CPUs at once, and the call
 *	is inside rcu_read_lock(), so
 *	that a client that changes what it reads there waits for a grace
 *	period before freeing the old.
 * @receive_end: optional; a run of messages ended, no lock held: deliver
 *	what @receive noted.  @irq: called from zoc_link_doorbell(), in the
 *	transport's context, interrupts disabled; else from the tick or the
 *	poll, in process context.
 * @event: optional; the link came up or the peer was lost.  Process
 *	context (the tick), no lock held.
 * @tick: optional; called from the tick while the link is up, with the
 *	receiving lock held and interrupts disabled, as @receive is: the
 *	two never run at once.
 */
struct zoc_link_client_ops {
	void (*receive)(struct zoc_link *link, const struct zoc_msg *msg);
	void (*receive_end)(struct zoc_link *link, bool irq);
	void (*event)(struct zoc_link *link, enum zoc_link_event event);
	void (*tick)(struct zoc_link *link);
};

/**
 * struct zoc_link_transport - an attached transport, published with RCU
 * @ops: its operations
 * @priv: passed back to @ops
 * @rcu: frees it after the last reader
 */
struct zoc_link_transport {
	const struct zoc_link_transport_ops *ops;
	void *priv;
	struct rcu_head rcu;
};

/**
 * struct zoc_link_stats - counters of an instance
 * @doorbells_rx: doorbells received from the peer
 * @doorbells_tx: doorbells sent to the peer
 * @resets: rings reformatted (host) or a new epoch taken (service VM)
 *	because the peer corrupted a ring
 * @timeouts: requests that got no reply in time
 * @unexpected: replies that matched no request in flight
 * @pings: pings from the peer answered
 * @dropped: replies that found no room on the transmit ring
 * @refused: posts refused for want of room or of a link
 * @waits: sends that found no room and waited for it
 * @slot_waits: turns of calls waiting for one of the request slots
 * @polled: doorbells over the budget, left to the poll (under rx_lock)
 */
struct zoc_link_stats {
	atomic64_t doorbells_rx;
	atomic64_t doorbells_tx;
	u64 resets;
	u64 timeouts;
	u64 unexpected;
	u64 pings;
	u64 dropped;
	u64 refused;
	u64 waits;
	u64 slot_waits;
	u64 polled;
};

/**
 * struct zoc_link_ram_span - one range of host RAM, checked
 * @start: its first byte
 * @end: the byte past its last
 */
struct zoc_link_ram_span {
	u64 start;
	u64 end;
};

/**
 * struct zoc_link_ram - service VM: our copy of the host's RAM map
 * @seq: written under the link's receiving lock, at each host epoch
 * @count: ranges in @range
 * @range: as &struct zoc_link_ram_map has them, in ascending order
 */
struct zoc_link_ram {
	seqcount_spinlock_t seq;
	u32 count;
	struct zoc_link_ram_span range[ZOC_LINK_RAM_RANGES];
};

/**
 * struct zoc_link_queue - one data queue: a ring pair of the I/O path
 * @rx_lock: protects @rx, @db_jiffy and @db_taken; a leaf: nothing else is
 *	taken under it
 * @rx: the ring we consume: interrupts (host), doorbells (service VM)
 * @db_jiffy: the jiffy @db_taken counts doorbells of
 * @db_taken: doorbells taken in the transport's context in @db_jiffy
 * @tx_lock: protects @tx; a leaf
 * @tx: the ring we produce: doorbells (host), interrupts (service VM)
 * @refused: messages it refused: full, or the link not up
 * @foreign: messages of a type that does not come on a data queue, dropped
 * @doorbells_rx: doorbells received on its vector
 *
 * The rings are formatted (host) or attached (service VM) with the link's
 * locks held as well as the queue's: either is enough to read what is
 * set up, and a queue is used only while the link is up and its index is
 * below &zoc_link.nr_queues.  A queue that is not set up is broken.
 */
struct zoc_link_queue {
	spinlock_t rx_lock;	/* receiving: see above */
	struct zoc_ring rx;
	unsigned long db_jiffy;
	unsigned int db_taken;
	spinlock_t tx_lock;	/* sending: see above */
	struct zoc_ring tx;
	atomic64_t refused;
	atomic64_t foreign;
	atomic64_t doorbells_rx;
};

/**
 * struct zoc_link - one end of the link
 * @role: enum zoc_link_role
 * @area: the link area, mapped write-back
 * @own: our side's fields in @area
 * @peer: the peer's side's fields in @area
 * @dev: for messages; may be NULL
 * @client: the layer above
 * @transport: the doorbell transport, NULL while none is attached
 * @own_id: our doorbell address, published in @own
 * @caps: ZOC_LINK_CAP_* we offer, published in @own; set by the client
 *	before zoc_link_attach()
 * @rx_lock: protects @rx (we consume) and the handshake state below it;
 *	taken before @tx_lock, never after
 * @rx: the ring we consume: completions (host), requests (service VM)
 * @state: enum zoc_link_state; written with both locks held, so that
 *	either lock is enough to read it
 * @connected: our side is published in the area (state UP, epoch)
 * @standby: service VM: publish our side only once the service VM that
 *	holds it left (its state is not UP); see zoc_link_set_standby()
 * @left: service VM: we left the side (zoc_link_leave()) and no other
 *	service VM took it since: it is not ours to take back
 * @epoch: service VM: the epoch we published, our own copy: another
 *	service VM that took the side over changed it in the area
 * @peer_stalled: host: the peer's heartbeat stopped; written with both
 *	locks held
 * @peer_heartbeat: the peer's heartbeat when last seen changing (tick)
 * @peer_heartbeat_at: when that was, in jiffies (tick)
 * @peer_epoch: host: the service VM epoch the rings were last formatted
 *	for, our own copy; written with both locks held
 * @ram: service VM: host RAM, from the map of the host epoch attached to
 * @tx_lock: protects @tx (we produce), @pending, @generation and
 *	@sleeping
 * @tx: the ring we produce: requests (host), completions (service VM)
 * @reserve: slots of @tx kept for replies: the most requests the peer
 *	may have in flight
 * @late_replies: set by the client before zoc_link_start(): replies it
 *	sends later, from other contexts; a request is taken only while
 *	that many slots of @tx, and one more, are free
 * @pending: our requests in flight, indexed by tag
 * @generation: makes tags unique across reuses of a slot
 * @sleeping: slots of @pending that zoc_link_call() holds
 * @running: the tick runs (between zoc_link_start() and zoc_link_stop())
 * @tick: heartbeat, handshake, liveness, every ZOC_LINK_HEARTBEAT_MS
 * @kicked: the tick was asked to run now while it ran: it queues itself
 *	again at once, not after its period (@rx_lock)
 * @poll: takes what the peer sent in process context, for doorbells over
 *	the budget of one jiffy; queued under @rx_lock while @running
 * @db_jiffy: the jiffy @db_taken counts doorbells of (@rx_lock)
 * @db_taken: doorbells taken in the transport's context in @db_jiffy
 * @wq: woken on every doorbell and state change
 * @stats: counters
 * @own_queues: the data queues we can be rung for, set by the transport
 *	at zoc_link_attach() and published in @own
 * @nr_queues: the data queues in use, as many as both sides offer: set
 *	with both locks held before the link goes up, 0 while it is down
 * @queue: the data queues
 */
struct zoc_link {
	enum zoc_link_role role;
	struct zoc_link_area *area;
	struct zoc_link_side *own;
	struct zoc_link_side *peer;
	struct device *dev;
	const struct zoc_link_client_ops *client;
	struct zoc_link_transport __rcu *transport;
	u32 own_id;
	u32 caps;

	/* the receiving path and the handshake: see above */
	spinlock_t rx_lock;
	struct zoc_ring rx;
	enum zoc_link_state state;
	bool connected;
	bool standby;
	bool left;
	u32 epoch;
	bool peer_stalled;
	u64 peer_heartbeat;
	unsigned long peer_heartbeat_at;
	u32 peer_epoch;
	struct zoc_link_ram ram;

	/* the sending path and the requests in flight: see above */
	spinlock_t tx_lock;
	struct zoc_ring tx;
	u32 reserve;
	u32 late_replies;
	struct zoc_pending pending[ZOC_LINK_PENDING];
	u32 generation;
	u32 sleeping;

	bool running;
	struct delayed_work tick;
	bool kicked;
	struct work_struct poll;
	unsigned long db_jiffy;
	unsigned int db_taken;
	wait_queue_head_t wq;
	struct zoc_link_stats stats;

	u32 own_queues;
	u32 nr_queues;
	struct zoc_link_queue queue[ZOC_LINK_MAX_QUEUES];
};

void zoc_link_init(struct zoc_link *link, enum zoc_link_role role,
		   void *area, const struct zoc_link_client_ops *client,
		   struct device *dev);
void zoc_link_start(struct zoc_link *link);
void zoc_link_stop(struct zoc_link *link);
void zoc_link_set_standby(struct zoc_link *link, bool standby);
void zoc_link_leave(struct zoc_link *link);

int zoc_link_attach(struct zoc_link *link,
		    const struct zoc_link_transport_ops *ops, void *priv,
		    u32 own_id, unsigned int queues);
void zoc_link_detach(struct zoc_link *link, void *priv);
void zoc_link_doorbell(struct zoc_link *link);
int zoc_link_ring_peer(struct zoc_link *link, u16 vector);

int zoc_link_post(struct zoc_link *link, const struct zoc_msg *msg);
int zoc_link_post_queue(struct zoc_link *link, unsigned int hint,
			const struct zoc_msg *msg);
void zoc_link_queue_doorbell(struct zoc_link *link, unsigned int queue);
unsigned int zoc_link_nr_queues(struct zoc_link *link);
int zoc_link_post_wait(struct zoc_link *link, const struct zoc_msg *msg,
		       u64 timeout_ns);
int zoc_link_reply(struct zoc_link *link, const struct zoc_msg *msg);
void zoc_link_reply_status(struct zoc_link *link, const struct zoc_msg *req,
			   u32 status);
int zoc_link_call(struct zoc_link *link, struct zoc_msg *msg,
		  struct zoc_msg *reply, unsigned long timeout);
int zoc_link_call_atomic(struct zoc_link *link, struct zoc_msg *msg,
			 struct zoc_msg *reply, u64 timeout_ns);

enum zoc_link_state zoc_link_state(struct zoc_link *link);
bool zoc_link_peer_stalled(struct zoc_link *link);
u64 zoc_link_peer_beat(struct zoc_link *link);
bool zoc_link_up_with(struct zoc_link *link, u32 *epoch);
u32 zoc_link_peer_caps(struct zoc_link *link);
void zoc_link_set_poll(struct zoc_link *link, u32 us);
u32 zoc_link_poll_us(struct zoc_link *link);
bool zoc_link_restarting(struct zoc_link *link);
bool zoc_link_in_ram(struct zoc_link *link, u64 addr, u64 len);
/* ram.c, for link.c */
void zoc_link_ram_init(struct zoc_link *link);
int zoc_link_ram_load(struct zoc_link *link);

struct zoc_dev_page *zoc_link_dev_page(struct zoc_link *link,
				       unsigned int slot);
struct zoc_dev_saved *zoc_link_saved_page(struct zoc_link *link,
					  unsigned int slot);
struct zoc_dev_live *zoc_link_live_page(struct zoc_link *link,
					unsigned int slot);
void zoc_link_show(struct seq_file *s, struct zoc_link *link);

/* Between link.c, msg.c and queue.c, and for both ends' transports */
static inline u32 zoc_read32(__le32 *p)
{
	return le32_to_cpu(READ_ONCE(*p));
}

static inline u64 zoc_read64(__le64 *p)
{
	return le64_to_cpu(READ_ONCE(*p));
}

/*
 * Doorbells taken in the transport's context (an interrupt) per jiffy; the
 * link polls for the rest in process context.  A peer that rings without
 * end costs a counter and a pending bit per doorbell, not a drain.
 */
#define ZOC_LINK_IRQ_BUDGET	8

bool zoc_link_drain(struct zoc_link *link);
void zoc_link_poll(struct work_struct *work);

void zoc_link_queues_init(struct zoc_link *link);
void zoc_link_queues_format(struct zoc_link *link);
int zoc_link_queues_attach(struct zoc_link *link);
int zoc_link_queues_up(struct zoc_link *link, unsigned int n);
void zoc_link_kick(struct zoc_link *link);
void zoc_link_poll_later(struct zoc_link *link);
bool zoc_link_queues_broken(struct zoc_link *link);
bool zoc_link_queues_take_all(struct zoc_link *link);
void zoc_link_queues_show(struct seq_file *s, struct zoc_link *link);

#endif /* _ZOC_LINK_LINK_H */
