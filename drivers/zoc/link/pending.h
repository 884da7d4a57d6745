/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC link: requests waiting for their replies, on either side of the link.
 * A table of slots indexed by tag; a tag carries a generation, so that a
 * late reply to a request that timed out matches nothing.  A slot is freed
 * only by its waiter, once it has collected the result: a reply or a
 * failure never frees it, so a waiter always collects its own request's
 * reply, never that of a request that took the slot after it.  The owner
 * holds its own lock around every call.
 */
#ifndef _ZOC_LINK_PENDING_H
#define _ZOC_LINK_PENDING_H

#ifdef __KERNEL__
#include <linux/completion.h>
#include <linux/errno.h>
#include <linux/types.h>
#else
#include "ring_compat.h"
#endif

#include <linux/zoc_link.h>

/**
 * enum zoc_pending_state - the life of a slot
 * @ZOC_PENDING_FREE: nobody uses it
 * @ZOC_PENDING_WAITING: a request with the slot's tag waits for its reply
 * @ZOC_PENDING_DONE: replied or failed; the waiter has not collected it
 */
enum zoc_pending_state {
	ZOC_PENDING_FREE,
	ZOC_PENDING_WAITING,
	ZOC_PENDING_DONE,
};

/**
 * struct zoc_pending - a request waiting for its reply
 * @state: enum zoc_pending_state
 * @tag: its tag, while the slot is not free
 * @status: once done: 0 if replied, or why the request failed
 * @done: completed by the reply or the failure
 * @reply: the reply
 */
struct zoc_pending {
	enum zoc_pending_state state;
	u32 tag;
	int status;
	struct completion done;
	struct zoc_msg reply;
};

static inline void zoc_pending_init(struct zoc_pending *table, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		table[i].state = ZOC_PENDING_FREE;
		init_completion(&table[i].done);
	}
}

/*
 * A free slot of the @n (a power of two) in @table, with a new tag that
 * has none of the @reserved bits; NULL if all are busy.  Tags are tried
 * 2 * @n times: a tag of 0, skipped, leaves a slot untried in @n tries
 * where the generation wraps (or crosses a reserved bit).
 */
static inline struct zoc_pending *zoc_pending_get(struct zoc_pending *table,
						  unsigned int n,
						  u32 *generation, u32 reserved)
{
	struct zoc_pending *p;
	unsigned int i;
	u32 tag;

	for (i = 0; i < 2 * n; i++) {
		tag = ++*generation & ~reserved;
		p = &table[tag % n];
		if (tag && p->state == ZOC_PENDING_FREE) {
			p->state = ZOC_PENDING_WAITING;
			p->tag = tag;
			reinit_completion(&p->done);
			return p;
		}
	}
	return NULL;
}

/* Give back a slot whose request was never sent. */
static inline void zoc_pending_put(struct zoc_pending *p)
{
	p->state = ZOC_PENDING_FREE;
}

/* The reply @msg: complete its request; false if none waits for it. */
static inline bool zoc_pending_complete(struct zoc_pending *table,
					unsigned int n,
					const struct zoc_msg *msg)
{
	u32 tag = le32_to_cpu(msg->hdr.tag);
	struct zoc_pending *p = &table[tag % n];

	if (!tag || p->state != ZOC_PENDING_WAITING || p->tag != tag)
		return false;
	p->reply = *msg;
	p->status = 0;
	p->state = ZOC_PENDING_DONE;
	complete(&p->done);
	return true;
}

/* Fail every request in flight with @err. */
static inline void zoc_pending_fail(struct zoc_pending *table, unsigned int n,
				    int err)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (table[i].state != ZOC_PENDING_WAITING)
			continue;
		table[i].status = err;
		table[i].state = ZOC_PENDING_DONE;
		complete(&table[i].done);
	}
}

/* Whether @p, sent with @tag, was replied to or failed. */
static inline bool zoc_pending_done(const struct zoc_pending *p, u32 tag)
{
	return p->tag != tag || p->state != ZOC_PENDING_WAITING;
}

/*
 * After waiting for @p: its result, with the reply in @reply; the slot is
 * free again.  -ETIMEDOUT if it was neither replied to nor failed: a late
 * reply then matches nothing.
 */
static inline int zoc_pending_result(struct zoc_pending *p,
				     struct zoc_msg *reply)
{
	enum zoc_pending_state state = p->state;

	p->state = ZOC_PENDING_FREE;
	if (state != ZOC_PENDING_DONE)
		return -ETIMEDOUT;
	*reply = p->reply;
	return p->status;
}

#endif /* _ZOC_LINK_PENDING_H */
