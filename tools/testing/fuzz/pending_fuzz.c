// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the table of requests in flight (drivers/zoc/link/
 * pending.h), which matches the peer's replies to requests by tag, built
 * with AddressSanitizer and UndefinedBehaviorSanitizer.
 *
 * The input is a script.  This side sends requests (takes slots, with or
 * without reserved tag bits), gives back one never sent, waits (collects
 * a result, replied or not) and fails all in flight, as a link reset
 * does; the peer sends replies with any tag it likes: one of a request in
 * flight, of one already collected, or made up.  A model keeps each
 * request's tag and the payload of the first reply sent for it.
 *
 * Invariants: a tag is never 0 and has no reserved bit; a slot in use is
 * never handed out; a reply is taken only for a request that waits for
 * it, and a request collects exactly its first reply's payload, the
 * failure's status, or -ETIMEDOUT when neither came; a reply after the
 * request was collected or failed matches nothing.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>

#include "pending.h"
#include "fuzz_input.h"

#define SLOTS		8
#define RESERVED	0x80000000u	/* as ZOC_LINK_TAG_OTHER */

/* The model of one request. */
struct req {
	struct zoc_pending *p;
	u32 tag;
	int state;		/* enum zoc_pending_state, as it must be */
	int status;
	u32 payload;		/* of its first reply */
};

static struct zoc_msg reply(u32 tag, u32 payload)
{
	struct zoc_msg m = { .hdr.type = ZOC_MSG_CTRL_REPLY };

	m.hdr.tag = cpu_to_le32(tag);
	m.ctrl.status = cpu_to_le32(payload);
	return m;
}

/* The request of the model waiting in slot @p, if any. */
static struct req *holder(struct req *reqs, struct zoc_pending *p)
{
	unsigned int i;

	for (i = 0; i < SLOTS; i++)
		if (reqs[i].p == p)
			return &reqs[i];
	return NULL;
}

/* A request collects its result: what the model says it must be. */
static void collect(struct req *r)
{
	struct zoc_msg got;
	int ret;

	ret = zoc_pending_result(r->p, &got);
	if (r->state == ZOC_PENDING_WAITING && ret != -ETIMEDOUT)
		abort();
	if (r->state == ZOC_PENDING_DONE && ret != r->status)
		abort();
	if (r->state == ZOC_PENDING_DONE && !r->status &&
	    le32_to_cpu(got.ctrl.status) != r->payload)
		abort();
	r->p = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct zoc_pending table[SLOTS];
	struct req reqs[SLOTS] = { 0 }, *r;
	u32 gen, tag, op, i, reserved;
	struct zoc_pending *p;
	struct zoc_msg m;
	bool taken;

	zoc_pending_init(table, SLOTS);
	gen = take(&in, 4);	/* any generation: wrap-around included */
	while (in.left) {
		op = take(&in, 1);
		i = op >> 4 & (SLOTS - 1);
		switch (op & 7) {
		case 0:		/* send a request */
		case 1:
			reserved = op & 1 ? RESERVED : 0;
			p = zoc_pending_get(table, SLOTS, &gen, reserved);
			if (!p) {
				if (!holder(reqs, NULL))
					continue;	/* all busy: right */
				for (i = 0; i < SLOTS; i++)
					if (table[i].state == ZOC_PENDING_FREE)
						abort();
				continue;
			}
			if (!p->tag || (p->tag & reserved) || holder(reqs, p))
				abort();
			r = holder(reqs, NULL);
			if (!r)
				abort();
			*r = (struct req){ p, p->tag, ZOC_PENDING_WAITING };
			break;
		case 2:		/* a request never sent */
			r = &reqs[i];
			if (r->p && r->state == ZOC_PENDING_WAITING) {
				zoc_pending_put(r->p);
				r->p = NULL;
			}
			break;
		case 3:		/* the peer replies to a request of ours */
		case 4:		/* ... or with a tag of its own */
			tag = (op & 7) == 3 ? reqs[i].tag : take(&in, 4);
			m = reply(tag, take(&in, 2));
			taken = zoc_pending_complete(table, SLOTS, &m);
			r = NULL;
			for (i = 0; i < SLOTS; i++)
				if (reqs[i].p && reqs[i].tag == tag &&
				    reqs[i].state == ZOC_PENDING_WAITING)
					r = &reqs[i];
			if (taken != !!r)
				abort();
			if (r) {
				r->state = ZOC_PENDING_DONE;
				r->status = 0;
				r->payload = le32_to_cpu(m.ctrl.status);
			}
			break;
		case 5:		/* a waiter gives up or has its result */
			if (reqs[i].p)
				collect(&reqs[i]);
			break;
		case 6:		/* the link resets */
			zoc_pending_fail(table, SLOTS, -ECONNRESET);
			for (i = 0; i < SLOTS; i++) {
				if (!reqs[i].p ||
				    reqs[i].state != ZOC_PENDING_WAITING)
					continue;
				reqs[i].state = ZOC_PENDING_DONE;
				reqs[i].status = -ECONNRESET;
			}
			break;
		case 7:		/* whether each request is done, as waiters poll */
			for (i = 0; i < SLOTS; i++) {
				bool done = reqs[i].state != ZOC_PENDING_WAITING;

				if (reqs[i].p &&
				    zoc_pending_done(reqs[i].p, reqs[i].tag) != done)
					abort();
			}
			break;
		}
	}
	for (i = 0; i < SLOTS; i++)
		if (reqs[i].p)
			collect(&reqs[i]);
	for (i = 0; i < SLOTS; i++)
		if (table[i].state != ZOC_PENDING_FREE)
			abort();
	return 0;
}
