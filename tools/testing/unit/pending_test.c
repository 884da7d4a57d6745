// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the table of requests in flight (drivers/zoc/link/
 * pending.h), natively: a reply reaches the request that waits for it and
 * no other, a slot is reused only once its waiter has collected the
 * result, late replies match nothing, and failures reach every waiter.
 */
#include "kselftest_harness.h"
#include "../../../drivers/zoc/link/pending.h"

#define SLOTS	4

static struct zoc_msg reply_to(u32 tag, u32 payload)
{
	struct zoc_msg m = { .hdr.type = ZOC_MSG_CTRL_REPLY };

	m.hdr.tag = cpu_to_le32(tag);
	m.ctrl.status = cpu_to_le32(payload);
	return m;
}

TEST(reply_reaches_its_request)
{
	struct zoc_pending table[SLOTS], *a, *b;
	struct zoc_msg r, got;
	u32 gen = 0;

	zoc_pending_init(table, SLOTS);
	a = zoc_pending_get(table, SLOTS, &gen, 0);
	b = zoc_pending_get(table, SLOTS, &gen, 0);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_NE(a, b);
	r = reply_to(b->tag, 2);
	ASSERT_TRUE(zoc_pending_complete(table, SLOTS, &r));
	r = reply_to(a->tag, 1);
	ASSERT_TRUE(zoc_pending_complete(table, SLOTS, &r));
	ASSERT_EQ(0, zoc_pending_result(a, &got));
	ASSERT_EQ(1U, le32_to_cpu(got.ctrl.status));
	ASSERT_EQ(0, zoc_pending_result(b, &got));
	ASSERT_EQ(2U, le32_to_cpu(got.ctrl.status));
}

/*
 * A replied slot stays the waiter's until it collects: a request sent
 * meanwhile takes another slot, and its reply cannot overwrite the first.
 */
TEST(slot_kept_until_collected)
{
	struct zoc_pending table[1], *a, *b;
	struct zoc_msg r, got;
	u32 gen = 0, tag;

	zoc_pending_init(table, 1);
	a = zoc_pending_get(table, 1, &gen, 0);
	ASSERT_NE(NULL, a);
	tag = a->tag;
	r = reply_to(tag, 1);
	ASSERT_TRUE(zoc_pending_complete(table, 1, &r));
	ASSERT_TRUE(zoc_pending_done(a, tag));
	/* The waiter has not run yet: the only slot is not free. */
	b = zoc_pending_get(table, 1, &gen, 0);
	ASSERT_EQ(NULL, b);
	/* A reply with the same tag again is not taken. */
	r = reply_to(tag, 9);
	ASSERT_FALSE(zoc_pending_complete(table, 1, &r));
	ASSERT_EQ(0, zoc_pending_result(a, &got));
	ASSERT_EQ(1U, le32_to_cpu(got.ctrl.status));
	/* Collected: free again, with a new tag. */
	b = zoc_pending_get(table, 1, &gen, 0);
	ASSERT_EQ(a, b);
	ASSERT_NE(tag, b->tag);
}

TEST(late_reply_matches_nothing)
{
	struct zoc_pending table[SLOTS], *a, *b;
	struct zoc_msg r, got;
	u32 gen = 0, tag;

	zoc_pending_init(table, SLOTS);
	a = zoc_pending_get(table, SLOTS, &gen, 0);
	tag = a->tag;
	ASSERT_EQ(-ETIMEDOUT, zoc_pending_result(a, &got));
	r = reply_to(tag, 1);
	ASSERT_FALSE(zoc_pending_complete(table, SLOTS, &r));
	/* Even once the slot is reused by a request with another tag. */
	do {
		b = zoc_pending_get(table, SLOTS, &gen, 0);
		ASSERT_NE(NULL, b);
		if (b != a)
			zoc_pending_put(b);
	} while (b != a);
	ASSERT_FALSE(zoc_pending_complete(table, SLOTS, &r));
	r = reply_to(b->tag, 2);
	ASSERT_TRUE(zoc_pending_complete(table, SLOTS, &r));
	ASSERT_EQ(0, zoc_pending_result(b, &got));
	ASSERT_EQ(2U, le32_to_cpu(got.ctrl.status));
}

TEST(fail_reaches_every_waiter)
{
	struct zoc_pending table[SLOTS], *p[SLOTS];
	struct zoc_msg got;
	u32 gen = 0;
	int i;

	zoc_pending_init(table, SLOTS);
	for (i = 0; i < SLOTS; i++)
		p[i] = zoc_pending_get(table, SLOTS, &gen, 0);
	ASSERT_EQ(NULL, zoc_pending_get(table, SLOTS, &gen, 0));
	zoc_pending_fail(table, SLOTS, -ECONNRESET);
	/* Failed but not collected: still not free. */
	ASSERT_EQ(NULL, zoc_pending_get(table, SLOTS, &gen, 0));
	for (i = 0; i < SLOTS; i++)
		ASSERT_EQ(-ECONNRESET, zoc_pending_result(p[i], &got));
	ASSERT_NE(NULL, zoc_pending_get(table, SLOTS, &gen, 0));
}

TEST(reserved_tag_bits)
{
	struct zoc_pending table[SLOTS], *p;
	u32 gen = 0x7ffffffe;
	int i;

	zoc_pending_init(table, SLOTS);
	for (i = 0; i < SLOTS; i++) {
		p = zoc_pending_get(table, SLOTS, &gen, 0x80000000);
		ASSERT_NE(NULL, p);
		ASSERT_EQ(0U, p->tag & 0x80000000);
		ASSERT_NE(0U, p->tag);
	}
}

/* The one free slot is found although the generation wraps past tag 0. */
TEST(free_slot_found_across_wrap)
{
	struct zoc_pending table[SLOTS], *p;
	u32 gen = 0xfffffffc;
	int i;

	zoc_pending_init(table, SLOTS);
	for (i = 1; i < SLOTS; i++)
		ASSERT_EQ(&table[i], zoc_pending_get(table, SLOTS, &gen, 0));
	p = zoc_pending_get(table, SLOTS, &gen, 0);
	ASSERT_EQ(&table[0], p);
	ASSERT_EQ(4U, p->tag);
}

TEST_HARNESS_MAIN
