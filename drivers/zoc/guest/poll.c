// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC I/O proxy: performance mode's polling, with an adaptive window.
 *
 * The host publishes the poll time of the link (``zocctl link set poll-us``
 * or ``mode performance``): the most a queue that ran dry is polled for
 * more work before it asks for a doorbell and sleeps.  Each queue polls
 * for a window of its own, that maximum shifted right by what its traffic
 * taught it, as KVM's halt polling adapts its window: a poll that finds
 * work keeps the window; one that ends with nothing, and whose next
 * doorbell then came within the maximum of the queue running dry, was too
 * short, and the window doubles (back to the maximum at most); one whose
 * next doorbell came later would have been wasted at any length, and the
 * window halves.  Halved below ZOC_PROXY_POLL_MIN_NS, the queue does not
 * poll at all, but still notes when it slept, so that traffic that picks
 * up again grows the window back.  Only the host's doorbells teach: a
 * completion that queues the work again says nothing about the host.
 * Dense traffic thus keeps the full window (no doorbell, no wake-up),
 * sparse traffic burns no CPU on polls that find nothing, and the window
 * follows the host's maximum when it changes.
 */

#include <linux/ktime.h>
#include <linux/sched.h>

#include "proxy.h"
#include "zoc_guest.h"
#include "zoc_proxy.h"

#define ZOC_PROXY_POLL_MIN_NS	(10 * NSEC_PER_USEC)
#define ZOC_PROXY_POLL_MAX_SHIFT 16

/* The window of @poller under the host's maximum @max */
static u64 zoc_proxy_poll_window(const struct zoc_proxy_poller *poller,
				 u64 max)
{
	u64 window = max >> poller->shift;

	/* The host's poll time itself, however short; halves not below */
	return poller->shift && window < ZOC_PROXY_POLL_MIN_NS ? 0 : window;
}

/**
 * zoc_proxy_poll_begin - a queue's work begins: whether it is to poll
 * @pdev: the device
 * @poller: the queue's poll state, zeroed with the queue
 *
 * Adapts the queue's window to the doorbell that woke it after its last
 * poll found nothing (zoc_proxy_poll_rang()); a run that a completion
 * queued, or a doorbell rung before the queue slept, teaches nothing.
 * The host's poll time is read again each time, so that a change applies
 * at the queue's next run.
 *
 * Context: process context, the queue's work.
 * Return: 0 in zero-cost mode: the queue does not poll and
 * zoc_proxy_poll() is not to be called; else the host's poll time, ns.
 */
u64 zoc_proxy_poll_begin(struct zoc_pdev *pdev,
			 struct zoc_proxy_poller *poller)
{
	u64 max = (u64)zoc_guest_link_poll_us(pdev->proxy->ep) * NSEC_PER_USEC;
	u64 slept = poller->slept, rang = xchg(&poller->rang, 0), waited;

	WRITE_ONCE(poller->slept, 0);
	if (!max || !slept || rang <= slept)
		return max;
	waited = rang - slept;
	if (waited + zoc_proxy_poll_window(poller, max) <= max) {
		/* A longer poll would have found it: up, from the least. */
		if (!zoc_proxy_poll_window(poller, max)) {
			while (poller->shift &&
			       (max >> poller->shift) < ZOC_PROXY_POLL_MIN_NS)
				poller->shift--;
		} else if (poller->shift) {
			poller->shift--;
		}
	} else if (poller->shift < ZOC_PROXY_POLL_MAX_SHIFT) {
		poller->shift++;
	}
	return max;
}
EXPORT_SYMBOL_GPL(zoc_proxy_poll_begin);

/**
 * zoc_proxy_poll - look for a dry queue's work, in performance mode
 * @pdev: the device
 * @poller: the queue's poll state
 * @found: whether work came: positive yes, 0 not yet, negative stop
 *	looking (the queue stopped)
 * @arg: for @found
 *
 * Spins for the queue's window at most, letting others run when they need
 * the CPU; the time spent is counted in the device's ZOC_DEV_STAT_POLL_NS.
 * With nothing found, the queue is to ask for a doorbell and sleep.
 *
 * Context: process context, the queue's work, after zoc_proxy_poll_begin()
 * said to poll.
 * Return: true if @found said work came.
 */
bool zoc_proxy_poll(struct zoc_pdev *pdev, struct zoc_proxy_poller *poller,
		    int (*found)(void *arg), void *arg)
{
	u64 max = (u64)zoc_guest_link_poll_us(pdev->proxy->ep) * NSEC_PER_USEC;
	u64 window = zoc_proxy_poll_window(poller, max);
	u64 start = ktime_get_ns(), now = start;
	int ret = 0;

	while (now - start < window) {
		ret = found(arg);
		if (ret)
			break;
		cond_resched();
		cpu_relax();
		now = ktime_get_ns();
	}
	if (window)
		zoc_proxy_stage(pdev, ZOC_DEV_STAT_POLL_NS, start);
	/* Only a poll that timed out teaches: not one of a queue stopped */
	WRITE_ONCE(poller->slept, ret ? 0 : ktime_get_ns());
	return ret > 0;
}
EXPORT_SYMBOL_GPL(zoc_proxy_poll);
