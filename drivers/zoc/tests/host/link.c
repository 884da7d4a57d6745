// SPDX-License-Identifier: GPL-2.0
/*
 * Test module of the ZOC host: the link's tests and its latency benchmark,
 * driven through debugfs by the selftests (link_rings, svm_restart,
 * baremetal) and the lab's demo and benchmark: echo round trips, echo
 * calls made by more callers at once than the link has request slots, echo
 * floods whose replies must come back in order, pings the service VM
 * sends back, a ring the service VM corrupts on request, control requests
 * posted back to back, malformed control requests, a device's saved state
 * spoiled as soon as it is saved, and round-trip latencies.  The echoes,
 * pings and the corrupt ring need a service VM with test hooks
 * (ZOC_LINK_CAP_TEST).
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/overflow.h>
#include <linux/fs.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>
#include <linux/zoc_link.h>

#include "../../host/test_hooks.h"
#include "../../link/link.h"
#include "../../link/test_wire.h"
#include "host_test.h"

#define ZHT_CALL_TIMEOUT	(5 * HZ)
#define ZHT_FLOOD_TIMEOUT	(60 * HZ)
#define ZHT_FLOOD_TAG		ZOC_LINK_TAG_OTHER	/* tag: the sequence */
#define ZHT_LATENCY_ROUNDS	2000
#define ZHT_SPOIL_TIMEOUT	(60 * HZ)
#define ZHT_CROWD_MAX		(8 * ZOC_LINK_PENDING)
#define ZHT_CROWD_CALLS		4
#define ZHT_RESET_TIMEOUT	(30 * HZ)
#define ZHT_CROWD_TIMEOUT	(30 * HZ)	/* a call, its wait for a slot too */

/**
 * zht_link_receive - a reply to a flood: of echoes, or of control requests
 * @priv: the link's tests
 * @msg: a message from the service VM that zoc_host had no use for
 *
 * Context: the link's receiving lock held.
 */
void zht_link_receive(void *priv, const struct zoc_msg *msg)
{
	struct zht_link *l = priv;
	u32 tag = le32_to_cpu(msg->hdr.tag);

	if (!(tag & ZHT_FLOOD_TAG))
		return;
	spin_lock(&l->lock);
	if (msg->hdr.type == ZOC_MSG_CTRL_REPLY) {
		l->ctrl_replies++;
		l->ctrl_busy += le32_to_cpu(msg->ctrl.status) == ZOC_MSG_EBUSY;
	} else if (msg->hdr.type == ZOC_TEST_MSG_ECHO) {
		if ((tag & ~ZHT_FLOOD_TAG) != l->flood_next)
			l->flood_bad = true;
		l->flood_next++;
		l->flood_got++;
	}
	spin_unlock(&l->lock);
}

/* Whether the service VM answers the tests' requests. */
static int zht_svm_hooks(struct zht_link *l)
{
	return zoc_link_peer_caps(l->link) & ZOC_LINK_CAP_TEST ? 0 :
	       -EOPNOTSUPP;
}

/* Echo round trip @i: the reply must be its request, within @timeout. */
static int zht_echo_call(struct zht_link *l, u32 i, unsigned long timeout)
{
	struct zoc_msg msg = { .hdr.type = ZOC_TEST_MSG_ECHO }, reply;
	int ret;

	msg.hdr.len = cpu_to_le16(16);
	put_unaligned_le64(i, msg.data);
	put_unaligned_le64(get_random_u64(), msg.data + 8);
	ret = zoc_link_call(l->link, &msg, &reply, timeout);
	if (!ret && (reply.hdr.type != ZOC_TEST_MSG_ECHO ||
		     reply.hdr.tag != msg.hdr.tag ||
		     memcmp(reply.data, msg.data, 16)))
		ret = -EPROTO;
	spin_lock_irq(&l->lock);
	l->echoes += !ret;
	spin_unlock_irq(&l->lock);
	return ret;
}

/* @count echo round trips, one at a time. */
static int zht_echo(struct zht_link *l, u32 count)
{
	int ret = zht_svm_hooks(l);
	u32 i;

	mutex_lock(&l->mutex);
	for (i = 0; i < count && !ret; i++) {
		ret = zht_echo_call(l, i, ZHT_CALL_TIMEOUT);
		if (!ret && signal_pending(current))
			ret = -EINTR;
	}
	mutex_unlock(&l->mutex);
	return ret;
}

/**
 * struct zht_crowd_caller - one of a crowd's callers
 * @work: what it runs
 * @crowd: its crowd
 */
struct zht_crowd_caller {
	struct work_struct work;
	struct zht_crowd *crowd;
};

/**
 * struct zht_crowd - callers that make their echo calls all at once
 * @l: the link's tests
 * @wq: where the callers wait for the start, and the test for them
 * @ready: callers waiting for the start
 * @go: the start
 * @err: the first error of a caller, 0 if none
 * @callers: the callers
 */
struct zht_crowd {
	struct zht_link *l;
	wait_queue_head_t wq;
	atomic_t ready;
	bool go;
	int err;
	struct zht_crowd_caller callers[];
};

static void zht_crowd_call(struct work_struct *work)
{
	struct zht_crowd *c = container_of(work, struct zht_crowd_caller,
					   work)->crowd;
	int ret = 0;
	u32 i;

	atomic_inc(&c->ready);
	wake_up_all(&c->wq);
	wait_event(c->wq, READ_ONCE(c->go));
	for (i = 0; i < ZHT_CROWD_CALLS && !ret; i++)
		ret = zht_echo_call(c->l, i, ZHT_CROWD_TIMEOUT);
	if (ret)
		cmpxchg(&c->err, 0, ret);
}

/*
 * @count callers (at most ZHT_CROWD_MAX) that make ZHT_CROWD_CALLS echo
 * calls each, started together: more than the link's request slots, the
 * calls beyond them must wait for one and succeed.
 */
static int zht_echo_crowd(struct zht_link *l, u32 count)
{
	struct workqueue_struct *wq;
	struct zht_crowd *c;
	int ret = zht_svm_hooks(l);
	u32 i;

	if (ret)
		return ret;
	if (!count || count > ZHT_CROWD_MAX)
		return -EINVAL;
	c = kzalloc(struct_size(c, callers, count), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	/* unbound: a worker for each caller, all asleep in their calls */
	wq = alloc_workqueue("zht_crowd", WQ_UNBOUND, count);
	if (!wq) {
		kfree(c);
		return -ENOMEM;
	}
	c->l = l;
	init_waitqueue_head(&c->wq);
	mutex_lock(&l->mutex);
	for (i = 0; i < count; i++) {
		c->callers[i].crowd = c;
		INIT_WORK(&c->callers[i].work, zht_crowd_call);
		queue_work(wq, &c->callers[i].work);
	}
	if (!wait_event_timeout(c->wq, atomic_read(&c->ready) == count,
				ZHT_FLOOD_TIMEOUT))
		ret = -ETIMEDOUT;
	WRITE_ONCE(c->go, true);
	wake_up_all(&c->wq);
	destroy_workqueue(wq);	/* after every call */
	mutex_unlock(&l->mutex);
	ret = ret ?: c->err;
	kfree(c);
	return ret;
}

static bool zht_flood_done(struct zht_link *l, u32 count)
{
	return READ_ONCE(l->flood_got) == count || READ_ONCE(l->flood_bad) ||
	       zoc_link_state(l->link) != ZOC_LINK_S_UP;
}

/*
 * @count echo requests posted as fast as the ring takes them; the replies
 * must come back in order.  Doorbells are rung only when the consumer asks.
 */
static int zht_flood(struct zht_link *l, u32 count)
{
	struct zoc_msg msg = { .hdr.type = ZOC_TEST_MSG_ECHO };
	int ret = zht_svm_hooks(l);
	u32 i = 0;

	if (ret)
		return ret;
	msg.hdr.len = cpu_to_le16(8);
	mutex_lock(&l->mutex);
	spin_lock_irq(&l->lock);
	l->flood_next = 0;
	l->flood_got = 0;
	l->flood_bad = false;
	spin_unlock_irq(&l->lock);
	while (i < count && !ret) {
		/* Never more in flight than the completion ring holds. */
		if (i - READ_ONCE(l->flood_got) >= ZOC_LINK_RING_SLOTS) {
			ret = -ENOSPC;
		} else {
			msg.hdr.tag = cpu_to_le32(ZHT_FLOOD_TAG | i);
			put_unaligned_le64(i, msg.data);
			ret = zoc_link_post(l->link, &msg);
			i += !ret;
		}
		if (ret == -ENOSPC) {
			usleep_range(20, 50);
			ret = signal_pending(current) ? -EINTR : 0;
		}
	}
	if (!ret)
		wait_event_timeout(l->link->wq, zht_flood_done(l, count),
				   ZHT_FLOOD_TIMEOUT);
	spin_lock_irq(&l->lock);
	if (!ret && l->flood_bad)
		ret = -EPROTO;
	else if (!ret && l->flood_got != count)
		ret = -ETIMEDOUT;
	spin_unlock_irq(&l->lock);
	mutex_unlock(&l->mutex);
	return ret;
}

/*
 * Ask the service VM to ping us @count times: its requests and our
 * replies go the other way round the rings.
 */
static int zht_svm_ping(struct zht_link *l, u32 count)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ }, reply;
	int ret = zht_svm_hooks(l);

	if (ret)
		return ret;
	msg.hdr.len = cpu_to_le16(8 + sizeof(count));
	msg.ctrl.opcode = cpu_to_le32(ZOC_TEST_CTRL_PING_HOST);
	put_unaligned_le32(count, msg.ctrl.data);
	ret = zoc_link_call(l->link, &msg, &reply, ZHT_CALL_TIMEOUT +
			    count * ZHT_CALL_TIMEOUT / 100);
	if (ret)
		return ret;
	if (reply.hdr.type != ZOC_MSG_CTRL_REPLY ||
	    le32_to_cpu(reply.ctrl.status) != ZOC_MSG_OK)
		return -EIO;
	return 0;
}

static bool zht_ctrl_done(struct zht_link *l, u32 count)
{
	return READ_ONCE(l->ctrl_replies) == count ||
	       zoc_link_state(l->link) != ZOC_LINK_S_UP;
}

/*
 * @count control requests posted back to back, as a hostile host would,
 * not waiting for their replies: the service VM must answer every one,
 * refusing those beyond its control slots (ZOC_MSG_EBUSY) rather than
 * holding, or allocating for, them all.  Each asks to set the link of a
 * slot that has no device, which changes nothing.  Any service VM.
 */
static int zht_ctrl_flood(struct zht_link *l, u32 count)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ };
	struct zoc_ctrl_dev_link req = {
		.slot = cpu_to_le32(ZOC_LINK_MAX_DEVS - 1),
		.up = 1,
	};
	int ret = 0;
	u32 i;

	msg.hdr.len = cpu_to_le16(8 + sizeof(req));
	msg.ctrl.opcode = cpu_to_le32(ZOC_CTRL_DEV_LINK);
	memcpy(msg.ctrl.data, &req, sizeof(req));
	mutex_lock(&l->mutex);
	spin_lock_irq(&l->lock);
	l->ctrl_replies = 0;
	l->ctrl_busy = 0;
	spin_unlock_irq(&l->lock);
	for (i = 0; i < count && !ret; i++) {
		msg.hdr.tag = cpu_to_le32(ZHT_FLOOD_TAG | i);
		/*
		 * Sleep while the ring is full: spinning here would keep this
		 * CPU's work, the link's tick among it, from running.
		 */
		while ((ret = zoc_link_post(l->link, &msg)) == -ENOSPC &&
		       !signal_pending(current))
			usleep_range(50, 100);
	}
	if (!ret && !wait_event_timeout(l->link->wq, zht_ctrl_done(l, count),
					ZHT_FLOOD_TIMEOUT))
		ret = -ETIMEDOUT;
	if (!ret && READ_ONCE(l->ctrl_replies) != count)
		ret = -ECONNRESET;
	mutex_unlock(&l->mutex);
	return ret;
}

/*
 * Malformed control request @i about @slot into @msg, and the status its
 * reply must have; false past the last.  Each is refused, by the proxy's
 * checks or by the model's, and creates nothing: the request (an NVMe disk
 * on a block device that does not exist) is valid but for what each case
 * spoils.
 */
static bool zht_ctrl_bad(unsigned int i, u32 slot, struct zoc_msg *msg,
			 u32 *status)
{
	struct zoc_ctrl_dev_create req = {
		.type = ZOC_DEV_NVME,
		.slot = cpu_to_le32(slot),
		.name = "zht-bad",
		.backend = "zht-none",
	};
	struct zoc_ctrl_dev_link link = { .slot = cpu_to_le32(slot), .up = 1 };
	struct zoc_ctrl_ns ns = {
		.slot = cpu_to_le32(slot),
		.nsid = cpu_to_le32(2),
		.volume = "zht-none",
	};
	u32 opcode = ZOC_CTRL_DEV_CREATE;
	size_t len = sizeof(req), size;
	void *data = &req;

	*status = ZOC_MSG_EINVAL;
	switch (i) {
	case 0:		/* first: it tells whether there is a model */
		*status = ZOC_MSG_ENODEV;
		break;
	case 1:
		req.slot = cpu_to_le32(ZOC_LINK_MAX_DEVS);
		break;
	case 2:
		req.slot = cpu_to_le32(U32_MAX);
		break;
	case 3:
		memset(req.name, 'n', sizeof(req.name));
		break;
	case 4:
		req.name[0] = '\0';
		break;
	case 5:
		memset(req.backend, 'b', sizeof(req.backend));
		break;
	case 6:
		strscpy(req.backend, "../vda", sizeof(req.backend));
		break;
	case 7:
		strscpy(req.backend, "mapper/x", sizeof(req.backend));
		break;
	case 8:		/* its data past the message's length */
		req.type = 0xee;
		len = sizeof(__le32);
		break;
	case 9:
		req.type = 0xee;
		*status = ZOC_MSG_ENOTSUPP;
		break;
	case 10:
		opcode = ZOC_CTRL_DEV_ATTACH;
		req.slot = cpu_to_le32(ZOC_LINK_MAX_DEVS);
		break;
	case 11:
		opcode = ZOC_CTRL_DEV_ATTACH;
		memset(req.name, 'n', sizeof(req.name));
		break;
	case 12:	/* its slot past the message's length */
	case 13:
	case 24:	/* the last: nothing was created */
		opcode = ZOC_CTRL_DEV_DESTROY;
		data = &link;	/* the slot first */
		len = i == 12 ? 0 : sizeof(__le32);
		if (i == 13)
			link.slot = cpu_to_le32(ZOC_LINK_MAX_DEVS);
		if (i != 12)
			*status = ZOC_MSG_ENODEV;
		break;
	case 18:	/* namespaces: of no device, out of range, unterminated */
	case 19:
	case 20:
	case 21:
	case 22:
	case 23:
		opcode = i == 23 ? ZOC_CTRL_NS_DETACH : ZOC_CTRL_NS_ATTACH;
		data = &ns;
		len = i == 18 ? sizeof(__le32) : sizeof(ns);
		if (i == 20)
			ns.nsid = 0;
		else if (i == 21)
			ns.nsid = cpu_to_le32(ZOC_DEV_MAX_NS + 1);
		else if (i == 22)
			memset(ns.volume, 'v', sizeof(ns.volume));
		else if (i == 23)
			ns.slot = cpu_to_le32(ZOC_LINK_MAX_DEVS);
		break;
	case 14:
	case 15:
	case 16:
		opcode = ZOC_CTRL_DEV_LINK;
		data = &link;
		len = sizeof(link);
		if (i == 14)
			len = sizeof(__le32);	/* "up" past the length */
		else if (i == 15)
			link.up = 2;
		else
			link.slot = cpu_to_le32(ZOC_LINK_MAX_DEVS);
		break;
	case 17:
		opcode = 0x100;
		*status = ZOC_MSG_ENOTSUPP;
		break;
	default:
		return false;
	}
	memset(msg, 0, sizeof(*msg));
	msg->hdr.type = ZOC_MSG_CTRL_REQ;
	msg->hdr.len = cpu_to_le16(offsetof(struct zoc_msg_ctrl, data) + len);
	msg->ctrl.opcode = cpu_to_le32(opcode);
	/* all of it, past the length too: what is past must not count */
	size = data == &req ? sizeof(req) : data == &ns ? sizeof(ns) :
	       sizeof(link);
	memcpy(msg->ctrl.data, data, size);
	return true;
}

/* Destroy what a request wrongly created in @slot. */
static void zht_ctrl_undo(struct zht_link *l, u32 slot)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ }, reply;

	msg.hdr.len = cpu_to_le16(offsetof(struct zoc_msg_ctrl, data) +
				  sizeof(__le32));
	msg.ctrl.opcode = cpu_to_le32(ZOC_CTRL_DEV_DESTROY);
	put_unaligned_le32(slot, msg.ctrl.data);
	zoc_link_call(l->link, &msg, &reply, ZHT_CALL_TIMEOUT);
}

/*
 * Malformed control requests about a slot the host keeps free meanwhile,
 * each of which the service VM must refuse with its status, creating
 * nothing.  -EPROTO at the first wrong reply (its case and status are in
 * "stats"), -EOPNOTSUPP if the service VM has no NVMe model.
 */
static int zht_ctrl_hostile(struct zht_link *l, u32 unused)
{
	struct zoc_msg msg, reply;
	u32 status, got;
	unsigned int i;
	int ret, slot;

	mutex_lock(&l->mutex);
	spin_lock_irq(&l->lock);
	l->ctrl_case = -1;
	spin_unlock_irq(&l->lock);
	slot = zoc_host_test_slot_hold(l->host);
	ret = min(slot, 0);
	for (i = 0; !ret && zht_ctrl_bad(i, slot, &msg, &status); i++) {
		ret = zoc_link_call(l->link, &msg, &reply, ZHT_CALL_TIMEOUT);
		if (ret)
			break;
		got = le32_to_cpu(reply.ctrl.status);
		if (reply.hdr.type == ZOC_MSG_CTRL_REPLY && got == status)
			continue;
		if (got == ZOC_MSG_OK)
			zht_ctrl_undo(l, slot);
		spin_lock_irq(&l->lock);
		l->ctrl_case = i;
		l->ctrl_status = got;
		spin_unlock_irq(&l->lock);
		ret = !i && got == ZOC_MSG_ENOTSUPP ? -EOPNOTSUPP : -EPROTO;
	}
	if (slot >= 0)
		zoc_host_test_slot_release(l->host);
	mutex_unlock(&l->mutex);
	return ret;
}

/* Ask the service VM to corrupt a completion ring: @which, as on the wire. */
static int zht_corrupt_ring(struct zht_link *l, u32 which)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ };
	int ret = zht_svm_hooks(l);

	if (ret)
		return ret;
	msg.hdr.len = cpu_to_le16(8);
	msg.ctrl.opcode = cpu_to_le32(ZOC_TEST_CTRL_CORRUPT);
	put_unaligned_le32(which, msg.ctrl.data);
	return zoc_link_post(l->link, &msg);
}

/* The control completion ring. */
static int zht_corrupt(struct zht_link *l, u32 unused)
{
	return zht_corrupt_ring(l, 0);
}

/* Data queue @queue's completion ring. */
static int zht_corrupt_queue(struct zht_link *l, u32 queue)
{
	if (queue >= zoc_link_nr_queues(l->link))
		return -ENOENT;
	return zht_corrupt_ring(l, queue + 1);
}

/*
 * ZHT_QUEUE_POSTS doorbells for no device on data queue @queue, as the
 * host CPU of that number posts them, to be counted by the service VM (a
 * played one).  -ENOENT if that queue is not in use.
 */
#define ZHT_QUEUE_POSTS	100

static int zht_queue_post(struct zht_link *l, u32 queue)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_DOORBELL };
	unsigned int i;
	int ret = 0;

	if (queue >= zoc_link_nr_queues(l->link))
		return -ENOENT;
	msg.hdr.tag = cpu_to_le32(queue);
	for (i = 0; i < ZHT_QUEUE_POSTS && !ret; i++)
		ret = zoc_link_post_queue(l->link, queue, &msg);
	return ret;
}

/**
 * zht_link_reset - have the host reset the link, and wait for it to be up
 * @l: the link's tests
 *
 * The service VM corrupts data queue 0's completion ring, which the
 * host's tick finds, or the control one if there is no data queue, which
 * the next reply shows: the host formats every ring anew, and the link
 * comes up on them.
 *
 * Return: 0, -EOPNOTSUPP without the service VM's test hooks, or
 * -ETIMEDOUT if the link was not reset, or not up again, in 30 s.
 */
int zht_link_reset(struct zht_link *l)
{
	unsigned long end = jiffies + ZHT_RESET_TIMEOUT;
	u64 resets = READ_ONCE(l->link->stats.resets);
	bool queue = zoc_link_nr_queues(l->link);
	int ret;

	ret = zht_corrupt_ring(l, queue ? 1 : 0);
	if (ret)
		return ret;
	if (!queue)
		zht_echo_call(l, 0, HZ);	/* fails: it shows the ring */
	while (READ_ONCE(l->link->stats.resets) == resets ||
	       zoc_link_state(l->link) != ZOC_LINK_S_UP) {
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		msleep(20);
	}
	return 0;
}

/*
 * Wait for a state to be saved in @slot's state page (a model lets go of
 * the device), then spoil it before the next model reads it: its checksum
 * no longer matches.  The window is a module's unload and load: spin,
 * yielding only the CPU.
 */
static int zht_spoil_saved(struct zht_link *l, u32 slot)
{
	unsigned long end = jiffies + ZHT_SPOIL_TIMEOUT;
	struct zoc_dev_saved *st;

	if (slot >= ZOC_LINK_MAX_DEVS)
		return -EINVAL;
	st = zoc_link_saved_page(l->link, slot);
	while (READ_ONCE(st->magic) != cpu_to_le32(ZOC_DEV_SAVED_MAGIC)) {
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
		cpu_relax();
	}
	WRITE_ONCE(st->data[0], st->data[0] ^ 0xff);
	return 0;
}

/*
 * Spoil both copies of the registers in @slot's live record, for a service
 * VM that is to recover the device from it: the newer one's checksum no
 * longer matches.
 */
static int zht_spoil_live(struct zht_link *l, u32 slot)
{
	struct zoc_dev_live *live;
	unsigned int i;

	if (slot >= ZOC_LINK_MAX_DEVS)
		return -EINVAL;
	live = zoc_link_live_page(l->link, slot);
	if (READ_ONCE(live->magic) != cpu_to_le32(ZOC_DEV_LIVE_MAGIC))
		return -ENODATA;
	for (i = 0; i < ARRAY_SIZE(live->copy); i++)
		WRITE_ONCE(live->copy[i].data[0], live->copy[i].data[0] ^ 0xff);
	return 0;
}

/*
 * Play a second standby service VM that claims the service VM's side of
 * the link, free (down), as the real one's standby does, and holds it
 * for @ms milliseconds with an epoch of its own; then lets it go, down
 * again.  -EBUSY if the side was not free, or if another service VM
 * wrote it while claimed: two service VMs would serve the link.
 */
static int zht_claim_side(struct zht_link *l, u32 ms)
{
	struct zoc_link_side *svm = l->link->peer;
	u32 epoch;

	if (cmpxchg(&svm->state, cpu_to_le32(ZOC_LINK_DOWN),
		    cpu_to_le32(ZOC_LINK_CLAIMED)) != cpu_to_le32(ZOC_LINK_DOWN))
		return -EBUSY;
	epoch = le32_to_cpu(READ_ONCE(svm->epoch)) + 1;
	WRITE_ONCE(svm->epoch, cpu_to_le32(epoch));
	if (msleep_interruptible(ms))
		ms = 0;
	if (cmpxchg(&svm->state, cpu_to_le32(ZOC_LINK_CLAIMED),
		    cpu_to_le32(ZOC_LINK_DOWN)) != cpu_to_le32(ZOC_LINK_CLAIMED) ||
	    le32_to_cpu(READ_ONCE(svm->epoch)) != epoch)
		return -EBUSY;
	return ms ? 0 : -EINTR;
}

/*
 * Writes to debugfs: "echo", "echo_crowd", "flood", "svm_ping",
 * "ctrl_flood" take a count, "spoil_saved" and "spoil_live" a slot, "claim_side" the
 * milliseconds to hold it; "ctrl_hostile" ignores what is written.
 */
static ssize_t zht_test_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct zht_file *f = file->private_data;
	u32 n;
	int ret;

	ret = kstrtou32_from_user(buf, count, 0, &n);
	if (ret)
		return ret;
	ret = f->run(f->link, n);
	return ret ? ret : count;
}

static const struct file_operations zht_test_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = zht_test_write,
	.llseek = noop_llseek,
};

static int zht_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Time @rounds calls of @fn; print the median and the 99th percentile. */
static int zht_latency(struct seq_file *s, struct zht_link *l,
		       const char *what,
		       int (*fn)(struct zht_link *l, u32 count))
{
	u64 *ns, t;
	int i, ret = 0;

	ns = kvmalloc_array(ZHT_LATENCY_ROUNDS, sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return -ENOMEM;
	for (i = 0; i < ZHT_LATENCY_ROUNDS && !ret; i++) {
		t = ktime_get_ns();
		ret = fn(l, 1);
		ns[i] = ktime_get_ns() - t;
	}
	if (!ret) {
		sort(ns, ZHT_LATENCY_ROUNDS, sizeof(*ns), zht_cmp_u64, NULL);
		seq_printf(s, "%s_p50_ns: %llu\n", what, ns[ZHT_LATENCY_ROUNDS / 2]);
		seq_printf(s, "%s_p99_ns: %llu\n", what,
			   ns[ZHT_LATENCY_ROUNDS * 99 / 100]);
	}
	kvfree(ns);
	return ret;
}

static int zht_probe_once(struct zht_link *l, u32 count)
{
	return zoc_host_test_probe(l->host);
}

/*
 * "latency": round trips through the rings (an echo request and its reply,
 * with the doorbells the other side asks for) against bare doorbell round
 * trips (the wiring probe: a doorbell each way around two shared memory
 * accesses), measured in the same run.
 */
static int zht_latency_show(struct seq_file *s, void *unused)
{
	struct zht_link *l = s->private;

	return zht_latency(s, l, "echo", zht_echo) ?:
	       zht_latency(s, l, "doorbell", zht_probe_once);
}
DEFINE_SHOW_ATTRIBUTE(zht_latency);

/* "stats": the counters of the tests. */
static int zht_stats_show(struct seq_file *s, void *unused)
{
	struct zht_link *l = s->private;

	spin_lock_irq(&l->lock);
	seq_printf(s, "echoes: %llu\n", l->echoes);
	seq_printf(s, "ctrl_flood_replies: %u\n", l->ctrl_replies);
	seq_printf(s, "ctrl_flood_busy: %u\n", l->ctrl_busy);
	seq_printf(s, "ctrl_hostile_case: %d\n", l->ctrl_case);
	seq_printf(s, "ctrl_hostile_status: %u\n", l->ctrl_status);
	spin_unlock_irq(&l->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zht_stats);

/**
 * zht_link_debugfs - the link's test files, in its debugfs directory
 * @l: the link's tests
 */
void zht_link_debugfs(struct zht_link *l)
{
	static const struct {
		const char *name;
		int (*run)(struct zht_link *l, u32 count);
	} tests[ZHT_LINK_TESTS] = {
		{ "echo", zht_echo },
		{ "echo_crowd", zht_echo_crowd },
		{ "flood", zht_flood },
		{ "corrupt", zht_corrupt },
		{ "corrupt_queue", zht_corrupt_queue },
		{ "queue_post", zht_queue_post },
		{ "svm_ping", zht_svm_ping },
		{ "ctrl_flood", zht_ctrl_flood },
		{ "ctrl_hostile", zht_ctrl_hostile },
		{ "spoil_saved", zht_spoil_saved },
		{ "spoil_live", zht_spoil_live },
		{ "claim_side", zht_claim_side },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		l->files[i].link = l;
		l->files[i].run = tests[i].run;
		debugfs_create_file(tests[i].name, 0200, l->dir, &l->files[i],
				    &zht_test_fops);
	}
	debugfs_create_file("latency", 0400, l->dir, l, &zht_latency_fops);
	debugfs_create_file("stats", 0400, l->dir, l, &zht_stats_fops);
}
