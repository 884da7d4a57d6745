// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC service VM: the test hooks of a link endpoint, for kernels built
 * with CONFIG_ZOC_TEST_HOOKS.  Loaded with test_hooks=1, each endpoint
 * publishes ZOC_LINK_CAP_TEST and obeys the host's test requests
 * (drivers/zoc/link/test_wire.h): it sends echoes back, corrupts its
 * completion ring, or pings the host and tells it how that went.  The
 * host's test module (drivers/zoc/tests/zoc_host_test.c) asks for them.
 */

#include <linux/device.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>
#include <linux/zoc_link.h>

#include "../link/link.h"
#include "../link/test_wire.h"
#include "test_hooks.h"

#define ZOC_GUEST_TEST_TIMEOUT	(5 * HZ)

static bool test_hooks;
module_param(test_hooks, bool, 0444);
MODULE_PARM_DESC(test_hooks,
		 "obey the host's test requests: echo, corrupt the link, ping back");

/**
 * struct zoc_guest_test - the test hooks of one endpoint
 * @dev: the endpoint's device, for messages
 * @link: the endpoint's link
 * @lock: protects @ping_count and @ping_tag
 * @ping_work: answers the host's ZOC_TEST_CTRL_PING_HOST
 * @ping_count: how many pings it asked for
 * @ping_tag: the tag to reply to, 0 when no ping test runs
 */
struct zoc_guest_test {
	struct device *dev;
	struct zoc_link *link;
	/* the request path and the ping work */
	spinlock_t lock;
	struct work_struct ping_work;
	u32 ping_count;
	u32 ping_tag;
};

/* The host's ZOC_TEST_CTRL_PING_HOST: ping it, then tell it how it went. */
static void zoc_guest_test_ping_work(struct work_struct *work)
{
	struct zoc_guest_test *t =
		container_of(work, struct zoc_guest_test, ping_work);
	struct zoc_msg msg, reply;
	u32 i, count, tag;
	int ret = 0;

	spin_lock_irq(&t->lock);
	count = t->ping_count;
	tag = t->ping_tag;
	spin_unlock_irq(&t->lock);

	for (i = 0; i < count && !ret; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.hdr.type = ZOC_MSG_CTRL_REQ;
		msg.hdr.len = cpu_to_le16(8 + sizeof(i));
		msg.ctrl.opcode = cpu_to_le32(ZOC_CTRL_PING);
		put_unaligned_le32(i, msg.ctrl.data);
		ret = zoc_link_call(t->link, &msg, &reply,
				    ZOC_GUEST_TEST_TIMEOUT);
		if (!ret && (reply.hdr.type != ZOC_MSG_CTRL_REPLY ||
			     le32_to_cpu(reply.ctrl.status) != ZOC_MSG_OK ||
			     get_unaligned_le32(reply.ctrl.data) != i))
			ret = -EPROTO;
	}
	if (ret)
		dev_warn(t->dev, "ping %u of %u to the host: %d\n", i, count,
			 ret);

	memset(&msg, 0, sizeof(msg));
	msg.hdr.type = ZOC_MSG_CTRL_REPLY;
	msg.hdr.len = cpu_to_le16(8);
	msg.hdr.tag = cpu_to_le32(tag);
	msg.ctrl.opcode = cpu_to_le32(ZOC_TEST_CTRL_PING_HOST);
	msg.ctrl.status = cpu_to_le32(ret ? ZOC_MSG_EIO : ZOC_MSG_OK);
	zoc_link_reply(t->link, &msg);
	spin_lock_irq(&t->lock);
	t->ping_tag = 0;
	spin_unlock_irq(&t->lock);
}

/* Start the ping test, unless one runs. */
static bool zoc_guest_test_ping(struct zoc_guest_test *t,
				const struct zoc_msg *msg)
{
	bool ok = false;

	if (!msg->hdr.tag)
		return false;
	spin_lock(&t->lock);
	if (!t->ping_tag) {
		/* Our own requests wait for replies: not in here. */
		t->ping_tag = le32_to_cpu(msg->hdr.tag);
		t->ping_count = get_unaligned_le32(msg->ctrl.data);
		schedule_work(&t->ping_work);
		ok = true;
	}
	spin_unlock(&t->lock);
	return ok;
}

/* An index the host must refuse, kept up by what we publish after it. */
static void zoc_guest_test_spoil(struct zoc_ring *r, spinlock_t *lock)
{
	spin_lock(lock);
	if (!zoc_ring_broken(r)) {
		r->prod += 0x10000;
		r->published = r->prod;
		r->signalled = r->prod;
		WRITE_ONCE(r->hdr->prod, cpu_to_le32(r->prod));
	}
	spin_unlock(lock);
}

/*
 * Corrupt the completion ring, or for @which N + 1 data queue N's: the
 * host resets the link.
 */
static void zoc_guest_test_corrupt(struct zoc_guest_test *t, u32 which)
{
	struct zoc_link *link = t->link;
	struct zoc_link_queue *q;

	if (!which) {
		zoc_guest_test_spoil(&link->tx, &link->tx_lock);
		dev_warn(t->dev, "corrupted the completion ring, as asked\n");
		return;
	}
	if (which > ZOC_LINK_MAX_QUEUES)
		return;
	q = &link->queue[which - 1];
	zoc_guest_test_spoil(&q->tx, &q->tx_lock);
	dev_warn(t->dev, "corrupted data queue %u's completion ring, as asked\n",
		 which - 1);
}

/**
 * zoc_guest_test_request - a request from the host, if it is a test's
 * @t: the endpoint's test hooks, or NULL if it has none
 * @msg: the request
 *
 * Context: the link's receiving lock held, interrupts disabled.
 * Return: true if it was a test's request, taken; false for the client.
 */
bool zoc_guest_test_request(struct zoc_guest_test *t,
			    const struct zoc_msg *msg)
{
	if (!t)
		return false;
	if (msg->hdr.type == ZOC_TEST_MSG_ECHO) {
		zoc_link_reply(t->link, msg);
		return true;
	}
	if (msg->hdr.type != ZOC_MSG_CTRL_REQ)
		return false;
	switch (le32_to_cpu(msg->ctrl.opcode)) {
	case ZOC_TEST_CTRL_PING_HOST:
		return zoc_guest_test_ping(t, msg);
	case ZOC_TEST_CTRL_CORRUPT:
		zoc_guest_test_corrupt(t, get_unaligned_le32(msg->ctrl.data));
		return true;
	default:
		return false;
	}
}

/**
 * zoc_guest_test_create - the test hooks of an endpoint, if asked for
 * @dev: the endpoint's device; the hooks are its managed resource
 * @link: the endpoint's link, set up, not attached yet
 *
 * With test_hooks=1, the link publishes ZOC_LINK_CAP_TEST from now on.
 *
 * Context: process context.
 * Return: the hooks, NULL without test_hooks=1, or ERR_PTR(-ENOMEM).
 */
struct zoc_guest_test *zoc_guest_test_create(struct device *dev,
					     struct zoc_link *link)
{
	struct zoc_guest_test *t;

	if (!test_hooks)
		return NULL;
	t = devm_kzalloc(dev, sizeof(*t), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->dev = dev;
	t->link = link;
	spin_lock_init(&t->lock);
	INIT_WORK(&t->ping_work, zoc_guest_test_ping_work);
	link->caps |= ZOC_LINK_CAP_TEST;
	return t;
}

/**
 * zoc_guest_test_stop - wait for the test the host asked for to end
 * @t: the endpoint's test hooks, or NULL
 *
 * The link is detached and takes no request any more: the running test,
 * if any, fails fast.
 *
 * Context: process context.
 */
void zoc_guest_test_stop(struct zoc_guest_test *t)
{
	if (t)
		cancel_work_sync(&t->ping_work);
}
