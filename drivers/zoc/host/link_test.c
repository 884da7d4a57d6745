// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC host link: the link's test requests and its latency benchmark,
 * driven through debugfs by the selftests (link_rings, svm_restart) and the
 * lab's benchmark: echo round trips, echo floods whose replies must come
 * back in order, pings the service VM sends back (with its test hooks), a
 * ring the service VM corrupts on request, and round-trip latencies.
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <asm/unaligned.h>
#include <linux/zoc_link.h>

#include "../link/link.h"
#include "../link/test_wire.h"
#include "zoc_host.h"
#include "link_test.h"

#define ZOC_CALL_TIMEOUT	(5 * HZ)
#define ZOC_FLOOD_TIMEOUT	(60 * HZ)
#define ZOC_FLOOD_TAG		ZOC_LINK_TAG_OTHER	/* tag: the sequence */
#define ZOC_LATENCY_ROUNDS	2000

/**
 * zoc_host_test_reply - a reply to a flood: of echoes, or of control requests
 * @host: the host end
 * @msg: the reply, its tag with ZOC_LINK_TAG_OTHER
 *
 * Context: the link's receiving lock held.
 */
void zoc_host_test_reply(struct zoc_host *host, const struct zoc_msg *msg)
{
	struct zoc_host_test *t = &host->test;
	u32 tag = le32_to_cpu(msg->hdr.tag);

	if (!(tag & ZOC_FLOOD_TAG))
		return;
	spin_lock(&t->lock);
	if (msg->hdr.type == ZOC_MSG_CTRL_REPLY) {
		t->ctrl_replies++;
		t->ctrl_busy += le32_to_cpu(msg->ctrl.status) == ZOC_MSG_EBUSY;
	} else {
		if ((tag & ~ZOC_FLOOD_TAG) != t->flood_next)
			t->flood_bad = true;
		t->flood_next++;
		t->flood_got++;
	}
	spin_unlock(&t->lock);
}

/* @count echo round trips, one at a time; each reply must be its request. */
static int zoc_test_echo(struct zoc_host *host, u32 count)
{
	struct zoc_host_test *t = &host->test;
	struct zoc_msg msg, reply;
	int ret = 0;
	u32 i;

	mutex_lock(&t->mutex);
	for (i = 0; i < count && !ret; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.hdr.type = ZOC_TEST_MSG_ECHO;
		msg.hdr.len = cpu_to_le16(16);
		put_unaligned_le64(i, msg.data);
		put_unaligned_le64(get_random_u64(), msg.data + 8);
		ret = zoc_link_call(&host->link, &msg, &reply, ZOC_CALL_TIMEOUT);
		if (!ret && (reply.hdr.type != ZOC_TEST_MSG_ECHO ||
			     reply.hdr.tag != msg.hdr.tag ||
			     memcmp(reply.data, msg.data, 16)))
			ret = -EPROTO;
		if (!ret && signal_pending(current))
			ret = -EINTR;
		spin_lock_irq(&t->lock);
		t->echoes += !ret;
		spin_unlock_irq(&t->lock);
	}
	mutex_unlock(&t->mutex);
	return ret;
}

static bool zoc_test_flood_done(struct zoc_host *host, u32 count)
{
	struct zoc_host_test *t = &host->test;

	return READ_ONCE(t->flood_got) == count || READ_ONCE(t->flood_bad) ||
	       zoc_link_state(&host->link) != ZOC_LINK_S_UP;
}

/*
 * @count echo requests posted as fast as the ring takes them; the replies
 * must come back in order.  Doorbells are rung only when the consumer asks.
 */
static int zoc_test_flood(struct zoc_host *host, u32 count)
{
	struct zoc_host_test *t = &host->test;
	struct zoc_msg msg = { .hdr.type = ZOC_TEST_MSG_ECHO };
	int ret = 0;
	u32 i = 0;

	msg.hdr.len = cpu_to_le16(8);
	mutex_lock(&t->mutex);
	spin_lock_irq(&t->lock);
	t->flood_next = 0;
	t->flood_got = 0;
	t->flood_bad = false;
	spin_unlock_irq(&t->lock);
	while (i < count && !ret) {
		/* Never more in flight than the completion ring holds. */
		if (i - READ_ONCE(t->flood_got) >= ZOC_LINK_RING_SLOTS) {
			ret = -ENOSPC;
		} else {
			msg.hdr.tag = cpu_to_le32(ZOC_FLOOD_TAG | i);
			put_unaligned_le64(i, msg.data);
			ret = zoc_link_post(&host->link, &msg);
			i += !ret;
		}
		if (ret == -ENOSPC) {
			usleep_range(20, 50);
			ret = signal_pending(current) ? -EINTR : 0;
		}
	}
	if (!ret)
		wait_event_timeout(host->link.wq, zoc_test_flood_done(host, count),
				   ZOC_FLOOD_TIMEOUT);
	spin_lock_irq(&t->lock);
	if (!ret && t->flood_bad)
		ret = -EPROTO;
	else if (!ret && t->flood_got != count)
		ret = -ETIMEDOUT;
	spin_unlock_irq(&t->lock);
	mutex_unlock(&t->mutex);
	return ret;
}

/*
 * Ask a service VM with test hooks to ping us @count times: its requests
 * and our replies go the other way round the rings.
 */
static int zoc_test_svm_ping(struct zoc_host *host, u32 count)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ }, reply;
	int ret;

	msg.hdr.len = cpu_to_le16(8 + sizeof(count));
	msg.ctrl.opcode = cpu_to_le32(ZOC_TEST_CTRL_PING_HOST);
	put_unaligned_le32(count, msg.ctrl.data);
	ret = zoc_link_call(&host->link, &msg, &reply, ZOC_CALL_TIMEOUT +
			    count * ZOC_CALL_TIMEOUT / 100);
	if (ret)
		return ret;
	if (reply.hdr.type != ZOC_MSG_CTRL_REPLY ||
	    le32_to_cpu(reply.ctrl.status) != ZOC_MSG_OK)
		return -EIO;
	return 0;
}

static bool zoc_test_ctrl_done(struct zoc_host *host, u32 count)
{
	return READ_ONCE(host->test.ctrl_replies) == count ||
	       zoc_link_state(&host->link) != ZOC_LINK_S_UP;
}

/*
 * @count control requests posted back to back, as a hostile host would,
 * not waiting for their replies: the service VM must answer every one,
 * refusing those beyond its control slots (ZOC_MSG_EBUSY) rather than
 * holding, or allocating for, them all.  Each asks to set the link of a
 * slot that has no device, which changes nothing.
 */
static int zoc_test_ctrl_flood(struct zoc_host *host, u32 count)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ };
	struct zoc_host_test *t = &host->test;
	struct zoc_ctrl_dev_link req = {
		.slot = cpu_to_le32(ZOC_LINK_MAX_DEVS - 1),
		.up = 1,
	};
	int ret = 0;
	u32 i;

	msg.hdr.len = cpu_to_le16(8 + sizeof(req));
	msg.ctrl.opcode = cpu_to_le32(ZOC_CTRL_DEV_LINK);
	memcpy(msg.ctrl.data, &req, sizeof(req));
	mutex_lock(&t->mutex);
	spin_lock_irq(&t->lock);
	t->ctrl_replies = 0;
	t->ctrl_busy = 0;
	spin_unlock_irq(&t->lock);
	for (i = 0; i < count && !ret; i++) {
		msg.hdr.tag = cpu_to_le32(ZOC_FLOOD_TAG | i);
		/*
		 * Sleep while the ring is full: spinning here would keep this
		 * CPU's work, the link's tick among it, from running.
		 */
		while ((ret = zoc_link_post(&host->link, &msg)) == -ENOSPC &&
		       !signal_pending(current))
			usleep_range(50, 100);
	}
	if (!ret && !wait_event_timeout(host->link.wq,
					zoc_test_ctrl_done(host, count),
					ZOC_FLOOD_TIMEOUT))
		ret = -ETIMEDOUT;
	if (!ret && READ_ONCE(t->ctrl_replies) != count)
		ret = -ECONNRESET;
	mutex_unlock(&t->mutex);
	return ret;
}

/* Ask a service VM with test hooks to corrupt the completion ring. */
static int zoc_test_corrupt(struct zoc_host *host, u32 unused)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ };

	msg.hdr.len = cpu_to_le16(8);
	msg.ctrl.opcode = cpu_to_le32(ZOC_TEST_CTRL_CORRUPT);
	return zoc_link_post(&host->link, &msg);
}

/* Writes to debugfs: "echo", "flood", "svm_ping" take a count. */
static ssize_t zoc_test_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct zoc_test_file *f = file->f_path.dentry->d_inode->i_private;
	u32 n;
	int ret;

	ret = kstrtou32_from_user(buf, count, 0, &n);
	if (ret)
		return ret;
	ret = f->run(f->host, n);
	return ret ? ret : count;
}

static const struct file_operations zoc_test_fops = {
	.owner = THIS_MODULE,
	.write = zoc_test_write,
	.llseek = noop_llseek,
};

static int zoc_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Time @rounds calls of @fn; print the median and the 99th percentile. */
static int zoc_latency(struct seq_file *s, struct zoc_host *host,
		       const char *what,
		       int (*fn)(struct zoc_host *host, u32 count))
{
	u64 *ns, t;
	int i, ret = 0;

	ns = kvmalloc_array(ZOC_LATENCY_ROUNDS, sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return -ENOMEM;
	for (i = 0; i < ZOC_LATENCY_ROUNDS && !ret; i++) {
		t = ktime_get_ns();
		ret = fn(host, 1);
		ns[i] = ktime_get_ns() - t;
	}
	if (!ret) {
		sort(ns, ZOC_LATENCY_ROUNDS, sizeof(*ns), zoc_cmp_u64, NULL);
		seq_printf(s, "%s_p50_ns: %llu\n", what, ns[ZOC_LATENCY_ROUNDS / 2]);
		seq_printf(s, "%s_p99_ns: %llu\n", what,
			   ns[ZOC_LATENCY_ROUNDS * 99 / 100]);
	}
	kvfree(ns);
	return ret;
}

static int zoc_probe_once(struct zoc_host *host, u32 count)
{
	return zoc_host_probe(host);
}

/*
 * "latency": round trips through the rings (an echo request and its reply,
 * with the doorbells the other side asks for) against bare doorbell round
 * trips (the wiring probe: a doorbell each way around two shared memory
 * accesses), measured in the same run.
 */
static int zoc_latency_show(struct seq_file *s, void *unused)
{
	struct zoc_host *host = s->private;

	return zoc_latency(s, host, "echo", zoc_test_echo) ?:
	       zoc_latency(s, host, "doorbell", zoc_probe_once);
}
DEFINE_SHOW_ATTRIBUTE(zoc_latency);

/**
 * zoc_host_test_show - the test counters, in the link's debugfs file
 * @s: where to print
 * @host: the host end
 */
void zoc_host_test_show(struct seq_file *s, struct zoc_host *host)
{
	struct zoc_host_test *t = &host->test;

	spin_lock_irq(&t->lock);
	seq_printf(s, "echoes: %llu\n", t->echoes);
	seq_printf(s, "ctrl_flood_replies: %u\n", t->ctrl_replies);
	seq_printf(s, "ctrl_flood_busy: %u\n", t->ctrl_busy);
	spin_unlock_irq(&t->lock);
}

/**
 * zoc_host_test_init - set up the test state of a host end
 * @host: the host end
 */
void zoc_host_test_init(struct zoc_host *host)
{
	spin_lock_init(&host->test.lock);
	mutex_init(&host->test.mutex);
}

/**
 * zoc_host_test_debugfs - the test files, in the host's debugfs directory
 * @host: the host end
 */
void zoc_host_test_debugfs(struct zoc_host *host)
{
	static const struct {
		const char *name;
		int (*run)(struct zoc_host *host, u32 count);
	} tests[] = {
		{ "echo", zoc_test_echo },
		{ "flood", zoc_test_flood },
		{ "corrupt", zoc_test_corrupt },
		{ "svm_ping", zoc_test_svm_ping },
		{ "ctrl_flood", zoc_test_ctrl_flood },
	};
	struct zoc_host_test *t = &host->test;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		t->files[i].host = host;
		t->files[i].run = tests[i].run;
		debugfs_create_file(tests[i].name, 0200, host->dir,
				    &t->files[i], &zoc_test_fops);
	}
	debugfs_create_file("latency", 0400, host->dir, host, &zoc_latency_fops);
}
