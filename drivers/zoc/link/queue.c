// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC link data queues: ring pairs that carry the I/O path's posted
 * messages, doorbells to the service VM and interrupts to the host, one
 * pair per host CPU, beside the control rings of link.c.  Each queue has
 * its own locks, leaves that nothing nests in, and its own doorbell
 * vector on each side (vector 1 + N for queue N), so that CPUs share
 * neither a lock nor a vector on the I/O path.  The host formats the
 * queues with the control rings for each service VM epoch; both sides use
 * as many as both offer.  What comes on a queue is checked as on the
 * control rings, and only the one type that belongs there is taken; a
 * queue the peer corrupted resets the link, as a control ring does.
 * Documentation/zoc/link.rst, "Data queues", describes them.
 */

#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>

#include "link.h"

/* Doorbells of one queue taken in the transport's context per jiffy */
#define ZOC_LINK_QUEUE_IRQ_BUDGET	8
/* Messages copied out of a queue per hold of its lock */
#define ZOC_LINK_QUEUE_BATCH		16

static_assert(ZOC_RING_HDR_SIZE + ZOC_LINK_QUEUE_SLOTS * ZOC_MSG_SIZE <=
	      ZOC_LINK_QUEUE_SPAN);
static_assert(ZOC_LINK_LIVE_PAGES + ZOC_LINK_MAX_DEVS * ZOC_LINK_LIVE_SIZE <=
	      ZOC_LINK_QUEUES);
static_assert(ZOC_LINK_QUEUES + 2 * ZOC_LINK_MAX_QUEUES * ZOC_LINK_QUEUE_SPAN <=
	      ZOC_LINK_AREA_SIZE);

/* Queue @i's ring of requests (host to service VM) or of completions. */
static void *zoc_link_queue_mem(struct zoc_link *link, unsigned int i,
				bool requests)
{
	return (void *)link->area + ZOC_LINK_QUEUES +
	       (2 * i + !requests) * ZOC_LINK_QUEUE_SPAN;
}

/* We produce doorbells on the request ring (host), interrupts (SVM). */
static void *zoc_link_queue_tx_mem(struct zoc_link *link, unsigned int i)
{
	return zoc_link_queue_mem(link, i, link->role == ZOC_LINK_ROLE_HOST);
}

static void *zoc_link_queue_rx_mem(struct zoc_link *link, unsigned int i)
{
	return zoc_link_queue_mem(link, i, link->role != ZOC_LINK_ROLE_HOST);
}

/* The one type a data queue brings us. */
static u8 zoc_link_queue_type(struct zoc_link *link)
{
	return link->role == ZOC_LINK_ROLE_HOST ? ZOC_MSG_IRQ :
						  ZOC_MSG_DOORBELL;
}

/* For zoc_link_init(): every queue broken until a handshake sets it up. */
void zoc_link_queues_init(struct zoc_link *link)
{
	unsigned int i;

	for (i = 0; i < ZOC_LINK_MAX_QUEUES; i++) {
		struct zoc_link_queue *q = &link->queue[i];

		spin_lock_init(&q->rx_lock);
		spin_lock_init(&q->tx_lock);
		zoc_ring_break(&q->rx);
		zoc_ring_break(&q->tx);
	}
}

/* A ring header in the area that no service VM may attach. */
static void zoc_link_queue_unformat(void *mem)
{
	struct zoc_ring_hdr *hdr = mem;

	WRITE_ONCE(hdr->magic, 0);
}

/*
 * Host: format the rings of the queues we offer for a new service VM
 * epoch, those past them broken; none is in use until the link is up
 * again.  Both of the link's locks held, the link down.
 */
void zoc_link_queues_format(struct zoc_link *link)
{
	unsigned int i;

	WRITE_ONCE(link->nr_queues, 0);
	for (i = 0; i < ZOC_LINK_MAX_QUEUES; i++) {
		struct zoc_link_queue *q = &link->queue[i];
		bool on = i < link->own_queues;

		if (!on) {
			/* What an earlier transport offered is not attached */
			zoc_link_queue_unformat(zoc_link_queue_rx_mem(link, i));
			zoc_link_queue_unformat(zoc_link_queue_tx_mem(link, i));
		}
		spin_lock(&q->rx_lock);
		if (!on || zoc_ring_format(&q->rx, zoc_link_queue_rx_mem(link, i),
					   ZOC_LINK_QUEUE_SPAN,
					   ZOC_LINK_QUEUE_SLOTS))
			zoc_ring_break(&q->rx);
		else
			zoc_ring_enable_notify(&q->rx);
		spin_unlock(&q->rx_lock);
		spin_lock(&q->tx_lock);
		if (!on || zoc_ring_format(&q->tx, zoc_link_queue_tx_mem(link, i),
					   ZOC_LINK_QUEUE_SPAN,
					   ZOC_LINK_QUEUE_SLOTS))
			zoc_ring_break(&q->tx);
		spin_unlock(&q->tx_lock);
	}
}

/*
 * Service VM: attach to the rings of as many queues as both sides offer,
 * formatted by the host for our epoch.  Both of the link's locks held,
 * the link down.  Return: the queues to use once up, or an errno of
 * zoc_ring_attach() if the host's rings are malformed.
 */
int zoc_link_queues_attach(struct zoc_link *link)
{
	unsigned int i, n = min3(zoc_read32(&link->peer->queues),
				 link->own_queues, (u32)ZOC_LINK_MAX_QUEUES);
	int ret = 0;

	WRITE_ONCE(link->nr_queues, 0);
	for (i = 0; i < n && !ret; i++) {
		struct zoc_link_queue *q = &link->queue[i];

		spin_lock(&q->rx_lock);
		ret = zoc_ring_attach(&q->rx, zoc_link_queue_rx_mem(link, i),
				      ZOC_LINK_QUEUE_SPAN);
		if (!ret)
			zoc_ring_enable_notify(&q->rx);
		spin_unlock(&q->rx_lock);
		if (ret)
			break;
		spin_lock(&q->tx_lock);
		ret = zoc_ring_attach(&q->tx, zoc_link_queue_tx_mem(link, i),
				      ZOC_LINK_QUEUE_SPAN);
		spin_unlock(&q->tx_lock);
	}
	return ret ?: n;
}

/*
 * The link goes up with @n queues: on the service VM, those it attached;
 * on the host, as many as the service VM says it attached.  Both of the
 * link's locks held, before the state goes up.  Return: 0, or -EPROTO if
 * that is more than we offered: the host resets the link.
 */
int zoc_link_queues_up(struct zoc_link *link, unsigned int n)
{
	if (n > link->own_queues)
		return -EPROTO;
	WRITE_ONCE(link->nr_queues, n);
	return 0;
}

/*
 * Whether the peer corrupted a queue in use.  The flags are read without
 * the queues' locks: a queue found broken late is found at the next tick.
 */
bool zoc_link_queues_broken(struct zoc_link *link)
{
	unsigned int i, n = READ_ONCE(link->nr_queues);

	for (i = 0; i < n; i++)
		/* racy on purpose: see above */
		if (data_race(zoc_ring_broken(&link->queue[i].rx) ||
			      zoc_ring_broken(&link->queue[i].tx)))
			return true;
	return false;
}

/**
 * zoc_link_nr_queues - the data queues in use
 * @link: the link
 *
 * Context: any.
 * Return: how many, 0 while the link is down or if either side has none:
 * zoc_link_post_queue() then takes the control ring.
 */
unsigned int zoc_link_nr_queues(struct zoc_link *link)
{
	return READ_ONCE(link->nr_queues);
}
EXPORT_SYMBOL_GPL(zoc_link_nr_queues);

/**
 * zoc_link_post_queue - post a message on a data queue
 * @link: the link
 * @hint: picks the queue, modulo the queues in use: the host gives the
 *	CPU it runs on, the service VM what the host's doorbell said
 * @msg: a doorbell (host) or an interrupt (service VM)
 *
 * Only the queue's own lock is taken.  With no queue in use, the message
 * goes on the control ring, as zoc_link_post() sends it.
 *
 * Context: any.
 * Return: as zoc_link_post().
 */
int zoc_link_post_queue(struct zoc_link *link, unsigned int hint,
			const struct zoc_msg *msg)
{
	unsigned int n = READ_ONCE(link->nr_queues), i;
	struct zoc_link_queue *q;
	unsigned long flags;
	int ret;

	if (!n)
		return zoc_link_post(link, msg);
	i = hint % n;
	q = &link->queue[i];
	spin_lock_irqsave(&q->tx_lock, flags);
	/* Set up before both were seen under this lock: see the struct */
	if (READ_ONCE(link->state) != ZOC_LINK_S_UP ||
	    i >= READ_ONCE(link->nr_queues)) {
		ret = -ENOTCONN;
	} else if (READ_ONCE(link->peer_stalled)) {
		ret = -ETIMEDOUT;
	} else {
		ret = zoc_ring_room(&q->tx, 0);
		if (!ret)
			ret = zoc_ring_produce(&q->tx, msg);
		if (!ret && zoc_ring_need_doorbell(&q->tx))
			zoc_link_ring_peer(link, 1 + i);
	}
	spin_unlock_irqrestore(&q->tx_lock, flags);
	if (ret)
		atomic64_inc(&q->refused);
	return ret;
}
EXPORT_SYMBOL_GPL(zoc_link_post_queue);

/*
 * Take up to a ring's worth of what came on queue @i, in batches copied
 * out under its lock and handed to the client without it.  Return: true
 * if more may be waiting.
 */
static bool zoc_link_queue_take(struct zoc_link *link, unsigned int i)
{
	struct zoc_link_queue *q = &link->queue[i];
	struct zoc_msg batch[ZOC_LINK_QUEUE_BATCH];
	unsigned int budget = ZOC_LINK_QUEUE_SLOTS, n, k;
	u8 type = zoc_link_queue_type(link);
	bool more = false, done = false;
	unsigned long flags;
	int ret;

	while (!done) {
		n = 0;
		spin_lock_irqsave(&q->rx_lock, flags);
		if (READ_ONCE(link->state) != ZOC_LINK_S_UP ||
		    i >= READ_ONCE(link->nr_queues)) {
			spin_unlock_irqrestore(&q->rx_lock, flags);
			break;
		}
		while (n < ZOC_LINK_QUEUE_BATCH) {
			ret = zoc_ring_consume(&q->rx, &batch[n]);
			if (ret == -EAGAIN) {
				/* Empty: sleep, unless some came meanwhile */
				if (zoc_ring_enable_notify(&q->rx) > 0)
					continue;
				done = true;
				break;
			}
			if (ret == -EIO) {
				done = true;
				break;
			}
			if (!ret)
				n++;
			if (!--budget) {
				more = true;
				done = true;
				break;
			}
		}
		spin_unlock_irqrestore(&q->rx_lock, flags);
		/*
		 * Interrupts off, as from the control rings; the client's
		 * state lives until a grace period after it goes.
		 */
		local_irq_save(flags);
		rcu_read_lock();
		for (k = 0; k < n; k++) {
			if (batch[k].hdr.type == type)
				link->client->receive(link, &batch[k]);
			else
				atomic64_inc(&q->foreign);
		}
		rcu_read_unlock();
		local_irq_restore(flags);
	}
	return more;
}

/* The tick and the poll: what every queue in use holds.  No lock held. */
bool zoc_link_queues_take_all(struct zoc_link *link)
{
	unsigned int i, n = READ_ONCE(link->nr_queues);
	bool more = false;

	for (i = 0; i < n; i++)
		more |= zoc_link_queue_take(link, i);
	return more;
}

/*
 * Whether a doorbell of queue @q is past its budget for this jiffy; the
 * poll takes what it was for.
 */
static bool zoc_link_queue_over_budget(struct zoc_link *link,
				       struct zoc_link_queue *q)
{
	unsigned long now = jiffies, flags;
	bool over;

	spin_lock_irqsave(&q->rx_lock, flags);
	if (q->db_jiffy != now) {
		q->db_jiffy = now;
		q->db_taken = 0;
	}
	/* Stopped, the link has no poll: every doorbell is taken */
	over = READ_ONCE(link->running) &&
	       q->db_taken >= ZOC_LINK_QUEUE_IRQ_BUDGET;
	if (!over)
		q->db_taken++;
	spin_unlock_irqrestore(&q->rx_lock, flags);
	return over;
}

/**
 * zoc_link_queue_doorbell - the peer rang a data queue's vector
 * @link: the link
 * @queue: the queue: the vector less one
 *
 * Takes what came on the queue and lets the client deliver what it noted,
 * as zoc_link_doorbell() does for the control ring; past
 * ZOC_LINK_QUEUE_IRQ_BUDGET doorbells of the queue in a jiffy, or past a
 * ring's worth of messages, the link's poll takes the rest.  A queue not
 * in use is only counted.  Called by the transport.
 *
 * Context: interrupts disabled, typically the transport's interrupt
 * handler: the client may deliver interrupts from here.
 */
void zoc_link_queue_doorbell(struct zoc_link *link, unsigned int queue)
{
	struct zoc_link_queue *q;
	bool over;

	if (queue >= ZOC_LINK_MAX_QUEUES)
		return;
	q = &link->queue[queue];
	atomic64_inc(&q->doorbells_rx);
	over = zoc_link_queue_over_budget(link, q);
	if (over || zoc_link_queue_take(link, queue))
		zoc_link_poll_later(link);
	/* This queue's, if in use: the tick finds the others' */
	if (queue < READ_ONCE(link->nr_queues) &&
	    /* racy on purpose, as zoc_link_queues_broken() */
	    data_race(zoc_ring_broken(&q->rx) || zoc_ring_broken(&q->tx)))
		zoc_link_kick(link);
	if (!over && link->client->receive_end)
		link->client->receive_end(link, true);
}
EXPORT_SYMBOL_GPL(zoc_link_queue_doorbell);

/* The queues, for zoc_link_show(). */
void zoc_link_queues_show(struct seq_file *s, struct zoc_link *link)
{
	bool host = link->role == ZOC_LINK_ROLE_HOST;
	unsigned int i;
	char name[16];

	seq_printf(s, "queues: %u\n", READ_ONCE(link->nr_queues));
	seq_printf(s, "%s_queues: %u\n", host ? "host" : "svm",
		   link->own_queues);
	seq_printf(s, "%s_queues: %u\n", host ? "svm" : "host",
		   zoc_read32(&link->peer->queues));
	for (i = 0; i < link->own_queues; i++) {
		struct zoc_link_queue *q = &link->queue[i];
		unsigned long flags;

		seq_printf(s, "q%u_doorbells_rx: %lld\n", i,
			   atomic64_read(&q->doorbells_rx));
		seq_printf(s, "q%u_refused: %lld\n", i,
			   atomic64_read(&q->refused));
		seq_printf(s, "q%u_foreign: %lld\n", i,
			   atomic64_read(&q->foreign));
		spin_lock_irqsave(&q->rx_lock, flags);
		snprintf(name, sizeof(name), "q%u_%s", i, host ? "cpl" : "req");
		zoc_ring_seq_show(s, name, &q->rx);
		spin_unlock_irqrestore(&q->rx_lock, flags);
		spin_lock_irqsave(&q->tx_lock, flags);
		snprintf(name, sizeof(name), "q%u_%s", i, host ? "req" : "cpl");
		zoc_ring_seq_show(s, name, &q->tx);
		spin_unlock_irqrestore(&q->tx_lock, flags);
	}
}
