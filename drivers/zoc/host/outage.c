// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtual PCI bus: riding through the loss of the service VM.
 *
 * A service VM that goes away (it left the link, stopped beating, or a new
 * one took the link over) does not take its functions with it: they stall,
 * as a device whose firmware is being updated would.  Their drivers see no
 * error: doorbells wait in the device pages, BAR writes are kept here (up
 * to ZOC_BUS_KEPT a function), BAR reads the register shadows serve go on,
 * and forwarded reads are answered at once with what a removed function
 * reads, without making it gone.  When a service VM answers again, each
 * function is taken over: by the same service VM if it only paused (the
 * same epoch), else by the new one (ZOC_CTRL_DEV_ATTACH, from the state
 * the last model saved in host memory), and the writes kept are replayed
 * in order, after those the last service VM was sent but never took: the
 * bus notes the last ZOC_BUS_POSTED writes of each function it posted,
 * numbered, and the device's live record says the number of the last one
 * its model took.  A function the new service VM cannot take over (no valid
 * state, no backend, an image it cannot reproduce) is removed.  After the
 * link's outage limit (zocctl link set ... outage-limit), what still
 * stalls is removed as it was before: a surprise removal, its DMA fenced.
 * An outage limit of 0 removes the functions at once.
 *
 * Nothing is fenced while the functions stall: their drivers free nothing
 * a model holds, as long as they see no timeout (Documentation/zoc/updates.rst).
 */

#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>

#include "zoc_host.h"
#include "bus.h"

/* How often a stalled bus looks for a service VM to take it over */
#define ZOC_BUS_OUTAGE_POLL	(HZ / 10)

/* The service VM epoch the link is attached to, from the link's own copy. */
u32 zoc_bus_svm_epoch(struct zoc_bus *b)
{
	u32 epoch;

	zoc_link_up_with(b->link, &epoch);
	return epoch;
}

/*
 * Whether @fn's accesses are to be kept rather than sent: it stalls, or
 * its link lost the service VM and the bus rides through.  Any context.
 */
bool zoc_vfn_riding(struct zoc_vfn *fn)
{
	struct zoc_bus *b = fn->bus;

	return READ_ONCE(fn->stalled) ||
	       (READ_ONCE(b->outage_limit_ms) && !zoc_bus_svm_answers(b));
}

/**
 * zoc_vfn_keep - keep a BAR write for the service VM that takes over
 * @fn: the function
 * @offset: in BAR0
 * @size: 1, 2, 4 or 8
 * @val: the value
 *
 * A write kept makes the function stall, if it did not yet: what it
 * writes from now on waits behind it.
 *
 * Context: any (the MMIO emulation path).
 * Return: true if kept (or, beyond ZOC_BUS_KEPT, the function made gone);
 * false if the function no longer stalls: send it.
 */
bool zoc_vfn_keep(struct zoc_vfn *fn, u64 offset, unsigned int size, u64 val)
{
	struct zoc_vfn_kept *k;
	unsigned long flags;
	bool full = false, first;

	raw_spin_lock_irqsave(&fn->kept_lock, flags);
	if (READ_ONCE(fn->dead) || !zoc_vfn_riding(fn)) {
		raw_spin_unlock_irqrestore(&fn->kept_lock, flags);
		return false;
	}
	first = !fn->stalled;
	WRITE_ONCE(fn->stalled, true);
	if (fn->nr_kept < ZOC_BUS_KEPT) {
		k = &fn->kept[fn->nr_kept++];
		k->offset = offset;
		k->size = size;
		k->value = val;
		zoc_vfn_stat(fn, ZOC_STAT_KEPT_WRITES);
	} else {
		full = true;
	}
	raw_spin_unlock_irqrestore(&fn->kept_lock, flags);
	if (first)
		mod_delayed_work(system_wq, &fn->bus->svm_work, 0);
	if (full)
		zoc_vfn_gone(fn, "too many register writes while it stalled");
	return true;
}

/**
 * zoc_vfn_stall - stall a function whose register read was not answered
 * @fn: the function
 *
 * Its service VM may be dead, not yet known to be (its heartbeat stops
 * mattering only after ZOC_LINK_DEAD_MS), or only slow: the function
 * stalls, and the same service VM serves it again only once its heartbeat
 * moved after now; a dead one is then lost, and the next one takes it
 * over.  A service VM that beats but leaves ZOC_BUS_UNANSWERED reads in a
 * row unanswered does not serve it: no more stalls, each of which spins
 * ZOC_BUS_READ_NS.  Nor does a function being added, whose driver probes
 * it for the first time: the add fails at once, with a clear error.
 *
 * Context: any (the MMIO emulation path).
 * Return: true if it stalls; false if the bus does not ride through
 * losses (outage limit 0), the function is being added, or its service VM
 * does not answer: make it gone.
 */
bool zoc_vfn_stall(struct zoc_vfn *fn)
{
	unsigned long flags;
	bool first;

	/* Its driver's first probe: the add fails rather than waits */
	if (!READ_ONCE(fn->bus->outage_limit_ms) || !READ_ONCE(fn->pdev))
		return false;
	raw_spin_lock_irqsave(&fn->kept_lock, flags);
	if (++fn->unanswered >= ZOC_BUS_UNANSWERED) {
		raw_spin_unlock_irqrestore(&fn->kept_lock, flags);
		return false;
	}
	first = !fn->stalled;
	WRITE_ONCE(fn->stalled, true);
	/* 0 means none: a stall at jiffies 0 waits one jiffy more */
	fn->stalled_at = jiffies ?: 1;
	fn->stalled_beat = zoc_link_peer_beat(fn->bus->link);
	raw_spin_unlock_irqrestore(&fn->kept_lock, flags);
	if (first)
		mod_delayed_work(system_wq, &fn->bus->svm_work, 0);
	return true;
}

/**
 * zoc_vfn_answered - a register read of @fn was answered
 * @fn: the function
 *
 * Its service VM again has ZOC_BUS_UNANSWERED reads to leave unanswered.
 *
 * Context: any (the MMIO emulation path).
 */
void zoc_vfn_answered(struct zoc_vfn *fn)
{
	unsigned long flags;

	if (likely(!READ_ONCE(fn->unanswered)))
		return;
	raw_spin_lock_irqsave(&fn->kept_lock, flags);
	fn->unanswered = 0;
	raw_spin_unlock_irqrestore(&fn->kept_lock, flags);
}

/**
 * zoc_vfn_hold_doorbell - keep a doorbell's pending bit while @fn stalls
 * @fn: the function
 * @db: the doorbell, its value stored in the device page already
 *
 * So that no model takes it before the writes kept ahead of it.
 *
 * Context: any (the MMIO emulation path).
 * Return: true if held; false if @fn no longer stalls.
 */
bool zoc_vfn_hold_doorbell(struct zoc_vfn *fn, unsigned int db)
{
	unsigned long flags;
	bool held;

	raw_spin_lock_irqsave(&fn->kept_lock, flags);
	held = fn->stalled;
	if (held)
		__set_bit(db, &fn->db_held);
	raw_spin_unlock_irqrestore(&fn->kept_lock, flags);
	return held;
}

/**
 * zoc_vfn_post_write - post a BAR write to the service VM, and note it
 * @fn: the function
 * @offset: in BAR0
 * @size: 1, 2, 4 or 8
 * @val: the value
 * @wait_ns: how long to wait for room in the ring
 *
 * The write is numbered (&struct zoc_msg_hdr.tag), and noted with its
 * number until ZOC_BUS_POSTED more are: a service VM lost before it took
 * it from the ring did not apply it, and the next one is sent it
 * (zoc_vfn_untaken()).  A function's writes are numbered in the order
 * they are posted as long as its driver makes them one at a time, as
 * drivers program registers.
 *
 * Context: any (the MMIO emulation path).
 * Return: as zoc_link_post_wait(); not noted if not sent.
 */
int zoc_vfn_post_write(struct zoc_vfn *fn, u64 offset, unsigned int size,
		       u64 val, u64 wait_ns)
{
	struct zoc_vfn_kept *w;
	struct zoc_msg msg;
	unsigned long flags;
	u32 seq;
	int ret;

	zoc_vfn_msg(fn, &msg, ZOC_MSG_MMIO_WRITE, offset, size, val);
	raw_spin_lock_irqsave(&fn->kept_lock, flags);
	seq = ++fn->write_seq;
	w = &fn->posted[seq % ZOC_BUS_POSTED];
	w->offset = offset;
	w->value = val;
	w->size = size;
	w->seq = seq;
	fn->posting++;
	raw_spin_unlock_irqrestore(&fn->kept_lock, flags);
	msg.hdr.tag = cpu_to_le32(seq);
	ret = zoc_link_post_wait(fn->bus->link, &msg, wait_ns);
	raw_spin_lock_irqsave(&fn->kept_lock, flags);
	fn->posting--;
	if (ret && w->seq == seq)
		w->size = 0;	/* the caller keeps it, or it is gone */
	raw_spin_unlock_irqrestore(&fn->kept_lock, flags);
	return ret;
}

/*
 * A new service VM, epoch @epoch, takes @fn over: the writes posted to the
 * last one that it never took, by the device's live record (written by
 * that service VM: untrusted, it can only cost its own device writes), go
 * first among the writes to replay, and the doorbells rung since wait for
 * them.  Once an epoch: later, the record is the new one's, and what it
 * did not take yet is in its ring.  Return 0; -EAGAIN while a write is
 * being posted (it may yet reach the new one); or -ENOSPC if they are more
 * than were noted or than can be kept: the function cannot go on as its
 * driver left it.  Bus mutex held.
 */
static int zoc_vfn_untaken(struct zoc_bus *b, struct zoc_vfn *fn, u32 epoch)
{
	const struct zoc_dev_live *live = zoc_link_live_page(b->link, fn->slot);
	u32 taken = le32_to_cpu(READ_ONCE(live->writes));
	struct zoc_vfn_kept lost[ZOC_BUS_POSTED], *w;
	unsigned int n = 0, keep;
	int ret = 0;
	u32 seq;

	if (fn->untaken_epoch == epoch)
		return 0;
	raw_spin_lock_irq(&fn->kept_lock);
	if (fn->posting) {
		raw_spin_unlock_irq(&fn->kept_lock);
		return -EAGAIN;
	}
	if ((s32)(fn->write_seq - taken) < 0)
		taken = fn->write_seq;	/* more than it was sent: none lost */
	if (fn->write_seq - taken > ZOC_BUS_POSTED) {
		ret = -ENOSPC;
		goto out;
	}
	for (seq = taken + 1; seq != fn->write_seq + 1; seq++) {
		w = &fn->posted[seq % ZOC_BUS_POSTED];
		if (w->seq == seq && w->size) {
			lost[n++] = *w;
			w->size = 0;	/* moved: not twice */
		}
	}
	/* Those replayed already were posted again: among @lost, or taken. */
	keep = fn->nr_kept - fn->replayed;
	if (n + keep > ZOC_BUS_KEPT) {
		ret = -ENOSPC;
		goto out;
	}
	memmove(fn->kept + n, fn->kept + fn->replayed, keep * sizeof(*fn->kept));
	memcpy(fn->kept, lost, n * sizeof(*fn->kept));
	fn->nr_kept = n + keep;
	fn->replayed = 0;
	/* Rung after them: held back until they are replayed (go_on) */
	if (n)
		fn->db_held |= xchg((__force unsigned long *)&fn->page->db_pending,
				    0);
	fn->untaken_epoch = epoch;
out:
	raw_spin_unlock_irq(&fn->kept_lock);
	if (n && !ret)
		dev_info(zoc_vfn_dev(fn), "%s: %u register writes the service VM never took, sent again\n",
			 fn->name, n);
	return ret;
}

/* The write numbers start again: a new device in @fn's slot. */
void zoc_vfn_writes_reset(struct zoc_vfn *fn)
{
	raw_spin_lock_irq(&fn->kept_lock);
	fn->write_seq = 0;
	fn->untaken_epoch = 0;
	memset(fn->posted, 0, sizeof(fn->posted));
	raw_spin_unlock_irq(&fn->kept_lock);
}

/* Forget what @fn kept: a new device in its slot, or none. */
void zoc_vfn_outage_reset(struct zoc_vfn *fn)
{
	raw_spin_lock_irq(&fn->kept_lock);
	WRITE_ONCE(fn->stalled, false);
	fn->stalled_at = 0;
	fn->unanswered = 0;
	fn->nr_kept = 0;
	fn->replayed = 0;
	fn->db_held = 0;
	raw_spin_unlock_irq(&fn->kept_lock);
}

/*
 * Replay what @fn kept, one write at a time with no lock held, then stop
 * keeping: the service VM serves @fn again.  Writes kept meanwhile go
 * after.  Return 0, or the link's error: @fn still stalls, and the next
 * round goes on from there.  Bus mutex held.
 */
static int zoc_vfn_go_on(struct zoc_vfn *fn, u32 epoch)
{
	unsigned int n, kept;
	struct zoc_vfn_kept k;
	unsigned long bits;
	int ret;

	for (;;) {
		raw_spin_lock_irq(&fn->kept_lock);
		if (fn->replayed == fn->nr_kept)
			break;
		k = fn->kept[fn->replayed];
		raw_spin_unlock_irq(&fn->kept_lock);
		ret = zoc_vfn_post_write(fn, k.offset, k.size, k.value,
					 ZOC_BUS_READ_NS);
		if (ret)
			return ret;
		raw_spin_lock_irq(&fn->kept_lock);
		fn->replayed++;
		raw_spin_unlock_irq(&fn->kept_lock);
	}
	kept = fn->nr_kept;
	fn->nr_kept = 0;
	fn->replayed = 0;
	bits = fn->db_held;
	fn->db_held = 0;
	fn->stalled_at = 0;
	/* A new service VM: its own ZOC_BUS_UNANSWERED reads */
	if (fn->epoch != epoch)
		fn->unanswered = 0;
	WRITE_ONCE(fn->stalled, false);
	raw_spin_unlock_irq(&fn->kept_lock);
	fn->epoch = epoch;
	/* The doorbells rung meanwhile, after the writes kept before them */
	if (bits) {
		for_each_set_bit(n, &bits, BITS_PER_LONG)
			set_bit(n, (__force unsigned long *)&fn->page->db_pending);
		zoc_vfn_ring(fn);
	}
	if (kept)
		dev_info(zoc_vfn_dev(fn), "%s: %u register writes replayed\n",
			 fn->name, kept);
	return 0;
}

/*
 * Have the service VM that took the link over take @fn over.  Return 0,
 * -EOPNOTSUPP (no model of its type yet), a link error (ask again), or
 * another errno (it cannot: remove it).  Bus mutex held.
 */
static int zoc_vfn_attach(struct zoc_bus *b, struct zoc_vfn *fn)
{
	struct zoc_ctrl_dev_create req;
	struct zoc_dev_image image;
	int ret;

	/* The image its driver has, whatever the last service VM left */
	memcpy(&fn->page->image, &fn->image, sizeof(fn->image));
	zoc_vfn_dev_req(fn, fn->image.type, &req);
	ret = zoc_bus_ctrl(b, ZOC_CTRL_DEV_ATTACH, &req, sizeof(req));
	if (ret)
		return ret;
	/* The image it published is the one the driver has: one copy. */
	memcpy(&image, &fn->page->image, sizeof(image));
	return memcmp(&image, &fn->image, sizeof(image)) ? -EPROTO : 0;
}

static bool zoc_bus_retry(int ret)
{
	return ret == -EOPNOTSUPP || ret == -EAGAIN || ret == -ENOTCONN ||
	       ret == -ETIMEDOUT || ret == -ECONNRESET || ret == -EIO;
}

/*
 * The functions that stall: taken over, or still waiting; those waiting
 * past @deadline are not asked again.  Return how many wait.  Bus mutex
 * held.
 */
static unsigned int zoc_bus_take_over(struct zoc_bus *b, unsigned long deadline)
{
	unsigned int slot, waiting = 0;
	struct zoc_vfn *fn;
	bool new;
	u32 epoch;
	int ret;

	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++) {
		fn = &b->fn[slot];
		if (!fn->present || !fn->stalled)
			continue;
		if (READ_ONCE(fn->dead)) {
			zoc_vfn_outage_reset(fn);
			continue;
		}
		if (!zoc_link_up_with(b->link, &epoch) ||
		    time_after_eq(jiffies, deadline)) {
			waiting++;
			continue;
		}
		new = fn->epoch != epoch;
		/*
		 * A read it did not answer: not until it beat since.  Its
		 * beat as it is now, not as the tick last saw it: the tick
		 * may see a beat made before the service VM stopped only
		 * after the read timed out.
		 */
		if (!new && READ_ONCE(fn->stalled_at) &&
		    zoc_link_peer_beat(b->link) == READ_ONCE(fn->stalled_beat)) {
			waiting++;
			continue;
		}
		ret = new ? zoc_vfn_untaken(b, fn, epoch) : 0;
		if (ret == -EAGAIN) {
			waiting++;
			continue;
		}
		if (ret) {
			dev_warn(zoc_vfn_dev(fn), "%s: more register writes lost with the service VM than kept\n",
				 fn->name);
			zoc_vfn_outage_reset(fn);
			zoc_vfn_gone(fn, "register writes lost with the service VM");
			continue;
		}
		ret = new ? zoc_vfn_attach(b, fn) : 0;
		if (!ret)
			ret = zoc_vfn_go_on(fn, epoch);
		if (!ret) {
			if (new) {
				zoc_vfn_stat(fn, ZOC_STAT_TAKEOVERS);
				dev_info(zoc_vfn_dev(fn), "%s: taken over by service VM epoch %u\n",
					 fn->name, epoch);
			}
		} else if (zoc_bus_retry(ret)) {
			waiting++;
		} else {
			dev_warn(zoc_vfn_dev(fn), "%s: the service VM cannot take it over: %d\n",
				 fn->name, ret);
			zoc_vfn_outage_reset(fn);
			zoc_vfn_gone(fn, "no service VM could take it over");
		}
	}
	return waiting;
}

/*
 * The functions stall from now on: all of them (@all: the service VM was
 * lost), or those that stall already (a write kept).  Bus mutex held.
 */
static void zoc_bus_outage_begin(struct zoc_bus *b, bool all)
{
	unsigned int slot, n = 0;
	struct zoc_vfn *fn;

	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++) {
		fn = &b->fn[slot];
		if (!fn->present || READ_ONCE(fn->dead) || !fn->pdev)
			continue;
		if (all)
			WRITE_ONCE(fn->stalled, true);
		n += fn->stalled;
	}
	if (!n || b->outage)
		return;
	b->outage = true;
	b->outage_start = jiffies;
	dev_warn(&b->bridge->dev, "service VM lost: %u functions stall for %u ms at most\n",
		 n, READ_ONCE(b->outage_limit_ms));
}

/* Past the limit: what still stalls goes, as it did without a limit. */
static void zoc_bus_outage_end(struct zoc_bus *b, bool expired)
{
	unsigned int slot;
	struct zoc_vfn *fn;

	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++) {
		fn = &b->fn[slot];
		if (!fn->present || !fn->stalled)
			continue;
		zoc_vfn_outage_reset(fn);
		zoc_vfn_gone(fn, "no service VM took it over within the outage limit");
	}
	b->outage = false;
	dev_info(&b->bridge->dev, "outage over after %u ms%s\n",
		 jiffies_to_msecs(jiffies - b->outage_start),
		 expired ? ": the limit" : "");
}

static void zoc_bus_svm_work(struct work_struct *work)
{
	struct zoc_bus *b = container_of(to_delayed_work(work), struct zoc_bus,
					 svm_work);
	unsigned long deadline;

	mutex_lock(&b->mutex);
	zoc_bus_outage_begin(b, atomic_xchg(&b->svm_lost, 0));
	if (!b->outage)
		goto out;
	deadline = b->outage_start +
		   msecs_to_jiffies(READ_ONCE(b->outage_limit_ms));
	if (!zoc_bus_take_over(b, deadline))
		zoc_bus_outage_end(b, false);
	else if (time_after_eq(jiffies, deadline))
		zoc_bus_outage_end(b, true);
	else
		schedule_delayed_work(&b->svm_work, ZOC_BUS_OUTAGE_POLL);
out:
	mutex_unlock(&b->mutex);
}

/**
 * zoc_bus_outage_event - what the link tells the bus, for riding through
 * @b: the bus
 * @event: the link's event
 *
 * Context: process context (the link's tick).
 */
void zoc_bus_outage_event(struct zoc_bus *b, enum zoc_link_event event)
{
	if (event == ZOC_LINK_EV_LOST)
		atomic_set(&b->svm_lost, 1);
	mod_delayed_work(system_wq, &b->svm_work, 0);
}

/**
 * zoc_host_bus_model_added - the service VM registered a device model
 * @b: the bus of the link, or NULL
 *
 * A takeover it refused for want of a model of the function's type is
 * asked again now, not at the next look.
 *
 * Context: any (the link's receiving lock held).
 */
void zoc_host_bus_model_added(struct zoc_bus *b)
{
	if (b)
		mod_delayed_work(system_wq, &b->svm_work, 0);
}

/**
 * zoc_host_bus_set_outage_limit - set how long functions stall
 * @host: the link
 * @ms: milliseconds, at most ZOC_LINK_OUTAGE_LIMIT_MAX; 0: no stall
 *
 * An outage under way ends at its new limit.
 *
 * Return: 0 or -ERANGE.
 */
int zoc_host_bus_set_outage_limit(struct zoc_host *host, u32 ms)
{
	struct zoc_bus *b = host->bus;

	if (ms > ZOC_LINK_OUTAGE_LIMIT_MAX)
		return -ERANGE;
	WRITE_ONCE(b->outage_limit_ms, ms);
	mod_delayed_work(system_wq, &b->svm_work, 0);
	return 0;
}

/**
 * zoc_host_bus_outage - the link's outage limit, and functions stalled
 * @host: the link
 * @limit_ms: its outage limit
 *
 * Return: how many of its functions stall now.
 */
u32 zoc_host_bus_outage(struct zoc_host *host, u32 *limit_ms)
{
	struct zoc_bus *b = host->bus;
	unsigned int slot;
	u32 n = 0;

	*limit_ms = READ_ONCE(b->outage_limit_ms);
	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++)
		n += READ_ONCE(b->fn[slot].present) &&
		     READ_ONCE(b->fn[slot].stalled);
	return n;
}

/* A bus rides through from the start; zoc_bus_outage_exit() mirrors it. */
void zoc_bus_outage_init(struct zoc_bus *b)
{
	unsigned int slot;

	b->outage_limit_ms = ZOC_LINK_OUTAGE_LIMIT_DEF;
	atomic_set(&b->svm_lost, 0);
	INIT_DELAYED_WORK(&b->svm_work, zoc_bus_svm_work);
	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++)
		raw_spin_lock_init(&b->fn[slot].kept_lock);
}

void zoc_bus_outage_exit(struct zoc_bus *b)
{
	cancel_delayed_work_sync(&b->svm_work);
}
