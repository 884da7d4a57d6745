/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC link: requests waiting for their replies, on either side of the link.
 * A table of slots indexed by tag; a tag carries a generation, so that a
 * late reply to a request that timed out matches nothing.  The owner holds
 * its own lock around every call.
 */
#ifndef _ZOC_LINK_PENDING_H
#define _ZOC_LINK_PENDING_H

#include <linux/completion.h>
#include <linux/errno.h>
#include <linux/types.h>
#include <linux/zoc_link.h>

/**
 * struct zoc_pending - a request waiting for its reply
 * @tag: its tag, 0 while the slot is free
 * @status: 0 once replied, or why the request failed
 * @done: completed by the reply or the failure
 * @reply: the reply
 */
struct zoc_pending {
	u32 tag;
	int status;
	struct completion done;
	struct zoc_msg reply;
};

static inline void zoc_pending_init(struct zoc_pending *table, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		init_completion(&table[i].done);
}

/*
 * A free slot of the @n (a power of two) in @table, with a new tag that
 * has none of the @reserved bits; NULL if all are busy.
 */
static inline struct zoc_pending *zoc_pending_get(struct zoc_pending *table,
						  unsigned int n,
						  u32 *generation, u32 reserved)
{
	struct zoc_pending *p;
	unsigned int i;
	u32 tag;

	for (i = 0; i < n; i++) {
		tag = ++*generation & ~reserved;
		p = &table[tag % n];
		if (tag && !p->tag) {
			p->tag = tag;
			reinit_completion(&p->done);
			return p;
		}
	}
	return NULL;
}

/* The reply @msg: complete its request; false if none waits for it. */
static inline bool zoc_pending_complete(struct zoc_pending *table,
					unsigned int n,
					const struct zoc_msg *msg)
{
	u32 tag = le32_to_cpu(msg->hdr.tag);
	struct zoc_pending *p = &table[tag % n];

	if (!tag || p->tag != tag)
		return false;
	p->reply = *msg;
	p->status = 0;
	p->tag = 0;
	complete(&p->done);
	return true;
}

/* Fail every request in flight with @err. */
static inline void zoc_pending_fail(struct zoc_pending *table, unsigned int n,
				    int err)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!table[i].tag)
			continue;
		table[i].status = err;
		table[i].tag = 0;
		complete(&table[i].done);
	}
}

/*
 * After waiting for @p, sent with @tag: its result, with the reply in
 * @reply; the slot is free again.
 */
static inline int zoc_pending_result(struct zoc_pending *p, u32 tag,
				     struct zoc_msg *reply)
{
	if (p->tag == tag) {		/* neither replied nor failed */
		p->tag = 0;
		return -ETIMEDOUT;
	}
	*reply = p->reply;
	return p->status;
}

#endif /* _ZOC_LINK_PENDING_H */
