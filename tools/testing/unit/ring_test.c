// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the link rings (drivers/zoc/link/ring.h), natively: order,
 * full and empty, free-running indices across 2^32, two threads passing
 * 10M messages, event suppression, and a hostile peer that corrupts the
 * indices, the header and the messages.  Built with AddressSanitizer and
 * UBSan: a corrupted index that were followed would be caught there.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include "kselftest_harness.h"
#include "../../../drivers/zoc/link/ring.h"
#include "../../../drivers/zoc/link/test_wire.h"

#ifndef THREAD_MSGS
#define THREAD_MSGS	10000000ULL
#endif
#define NOTIFY_MSGS	1000000ULL
#define THREAD_TIMEOUT	300	/* seconds; slow under sanitizers and load */
#define WAIT_MS		10000

/* A ring in a buffer of exactly its size, so that ASan sees any overrun. */
struct ring_pair {
	void *mem;
	size_t len;
	struct zoc_ring p;
	struct zoc_ring c;
};

static int ring_pair_new(struct ring_pair *rp, u32 size, u32 start)
{
	int ret;

	memset(rp, 0, sizeof(*rp));
	rp->len = zoc_ring_bytes(size);
	rp->mem = aligned_alloc(ZOC_RING_CACHELINE, rp->len);
	if (!rp->mem)
		return -ENOMEM;
	ret = zoc_ring_init(rp->mem, rp->len, size, start);
	if (!ret)
		ret = zoc_ring_attach(&rp->p, rp->mem, rp->len);
	if (!ret)
		ret = zoc_ring_attach(&rp->c, rp->mem, rp->len);
	return ret;
}

static void ring_pair_free(struct ring_pair *rp)
{
	free(rp->mem);
	rp->mem = NULL;
}

static struct zoc_ring_hdr *hdr_of(struct ring_pair *rp)
{
	return rp->mem;
}

static u64 fnv1a(const u8 *p, size_t n, u64 h)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* An echo message whose contents follow from @seq, with a checksum. */
static void msg_fill(struct zoc_msg *m, u64 seq)
{
	u64 x = seq * 0x9e3779b97f4a7c15ULL + 1, sum;
	int i;

	m->hdr.type = ZOC_TEST_MSG_ECHO;
	m->hdr.flags = 0;
	m->hdr.len = cpu_to_le16(ZOC_MSG_PAYLOAD_SIZE);
	m->hdr.tag = cpu_to_le32((u32)seq);
	m->hdr.dev = cpu_to_le32((u32)(seq >> 32));
	m->hdr.reserved = 0;
	for (i = 0; i < 5; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		x = cpu_to_le64(x);
		memcpy(&m->data[8 * i], &x, 8);
		x = le64_to_cpu(x);
	}
	sum = cpu_to_le64(fnv1a(m->data, 40, 0xcbf29ce484222325ULL ^ seq));
	memcpy(&m->data[40], &sum, 8);
}

static bool msg_ok(const struct zoc_msg *m, u64 seq)
{
	struct zoc_msg want;

	msg_fill(&want, seq);
	return !memcmp(m, &want, sizeof(want));
}

/* Produce @n messages numbered from @seq; returns how many went in. */
static int produce_n(struct zoc_ring *r, u64 seq, int n)
{
	struct zoc_msg *slot;
	int i;

	for (i = 0; i < n; i++) {
		if (zoc_ring_reserve(r, &slot))
			break;
		msg_fill(slot, seq + i);
	}
	zoc_ring_publish(r);
	return i;
}

TEST(layout)
{
	ASSERT_EQ(64U, sizeof(struct zoc_msg));
	ASSERT_EQ(256U, sizeof(struct zoc_ring_hdr));
	ASSERT_EQ(16U, offsetof(struct zoc_msg, data));
	ASSERT_EQ(64U, offsetof(struct zoc_ring_hdr, prod));
	ASSERT_EQ(128U, offsetof(struct zoc_ring_hdr, cons));
	ASSERT_EQ(192U, offsetof(struct zoc_ring_hdr, event));
	ASSERT_EQ(196U, offsetof(struct zoc_ring_hdr, cons_flags));
	ASSERT_EQ(8U, offsetof(struct zoc_msg_mmio, offset));
	ASSERT_EQ(16U, offsetof(struct zoc_msg_mmio, value));
	ASSERT_EQ(8U, offsetof(struct zoc_msg_mmio_reply, status));
	ASSERT_EQ(8U, offsetof(struct zoc_msg_ctrl, data));
}

TEST(single_thread)
{
	struct ring_pair rp;
	struct zoc_msg m;
	u64 i;

	ASSERT_EQ(0, ring_pair_new(&rp, 8, 0));
	ASSERT_EQ(-EAGAIN, zoc_ring_consume(&rp.c, &m));
	for (i = 0; i < 5; i++) {
		msg_fill(&m, i);
		ASSERT_EQ(0, zoc_ring_produce(&rp.p, &m));
	}
	ASSERT_EQ(5, zoc_ring_avail(&rp.c));
	ASSERT_EQ(3, zoc_ring_space(&rp.p));
	ASSERT_EQ(0, zoc_ring_peek(&rp.c, &m));
	ASSERT_TRUE(msg_ok(&m, 0));
	ASSERT_EQ(0, zoc_ring_peek(&rp.c, &m));	/* peek does not take */
	ASSERT_TRUE(msg_ok(&m, 0));
	zoc_ring_pop(&rp.c);
	for (i = 1; i < 5; i++) {
		ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
		ASSERT_TRUE(msg_ok(&m, i));
	}
	ASSERT_EQ(-EAGAIN, zoc_ring_consume(&rp.c, &m));
	zoc_ring_pop(&rp.c);	/* nothing to pop: no effect */
	ASSERT_EQ(0, zoc_ring_avail(&rp.c));
	ASSERT_EQ(8, zoc_ring_space(&rp.p));
	ASSERT_EQ(5U, rp.p.msgs);
	ASSERT_EQ(5U, rp.c.msgs);
	ASSERT_FALSE(zoc_ring_broken(&rp.p) || zoc_ring_broken(&rp.c));
	ring_pair_free(&rp);
}

TEST(full_and_empty)
{
	struct ring_pair rp;
	struct zoc_msg m, *slot;
	u64 i;

	ASSERT_EQ(0, ring_pair_new(&rp, 16, 100));
	ASSERT_EQ(16, produce_n(&rp.p, 0, 100));
	ASSERT_EQ(0, zoc_ring_space(&rp.p));
	ASSERT_EQ(-ENOSPC, zoc_ring_reserve(&rp.p, &slot));
	msg_fill(&m, 99);
	ASSERT_EQ(-ENOSPC, zoc_ring_produce(&rp.p, &m));
	ASSERT_EQ(16, zoc_ring_avail(&rp.c));

	/* One slot freed is seen by the producer, and only that one. */
	ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
	ASSERT_TRUE(msg_ok(&m, 0));
	ASSERT_EQ(1, zoc_ring_space(&rp.p));
	ASSERT_EQ(1, produce_n(&rp.p, 16, 100));
	ASSERT_EQ(-ENOSPC, zoc_ring_reserve(&rp.p, &slot));

	for (i = 1; i <= 16; i++) {
		ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
		ASSERT_TRUE(msg_ok(&m, i));
	}
	ASSERT_EQ(-EAGAIN, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(16, zoc_ring_space(&rp.p));
	ASSERT_FALSE(zoc_ring_broken(&rp.p) || zoc_ring_broken(&rp.c));
	ring_pair_free(&rp);
}

/* Free-running indices: start just below 2^32 and go round many times. */
TEST(wraparound)
{
	const u32 start = 0xffffff00;
	struct ring_pair rp;
	u64 sent = 0, got = 0;
	struct zoc_msg m;
	unsigned int k;

	ASSERT_EQ(0, ring_pair_new(&rp, 16, start));
	for (k = 0; got < 200000; k++) {
		sent += produce_n(&rp.p, sent, 1 + k % 17);
		while (got < sent && (k % 5 || got + 3 < sent)) {
			ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
			ASSERT_TRUE(msg_ok(&m, got));
			got++;
		}
	}
	ASSERT_EQ(got, sent);
	/* Both indices went through 2^32. */
	ASSERT_EQ((u32)(start + got), le32_to_cpu(hdr_of(&rp)->prod));
	ASSERT_EQ((u32)(start + got), le32_to_cpu(hdr_of(&rp)->cons));
	ASSERT_LT(le32_to_cpu(hdr_of(&rp)->prod), start);
	ASSERT_FALSE(zoc_ring_broken(&rp.p) || zoc_ring_broken(&rp.c));
	ring_pair_free(&rp);
}

/* Two threads; the consumer checks order, loss and contents. */
struct flow {
	struct ring_pair rp;
	u64 n;
	bool notify;		/* consumer sleeps on @efd when idle */
	int efd;
	u64 bad;		/* consumer: first wrong message + 1 */
	int err;		/* first unexpected return value */
	u64 got;
	u64 waits;		/* consumer: times it slept */
	u64 polls;		/* producer: need_doorbell() calls */
};

static void relax(unsigned int *spins)
{
	if (++*spins % 1024 == 0)
		sched_yield();
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static void *flow_producer(void *arg)
{
	struct flow *f = arg;
	struct zoc_ring *r = &f->rp.p;
	unsigned int spins = 0;
	u64 seq = 0, one = 1;
	int batch;

	while (seq < f->n) {
		batch = produce_n(r, seq, f->n - seq < 8 ? f->n - seq : 8);
		if (!batch) {
			if (zoc_ring_broken(r)) {
				f->err = -EIO;
				break;
			}
			relax(&spins);
			continue;
		}
		seq += batch;
		f->polls++;
		if (zoc_ring_need_doorbell(r) &&
		    write(f->efd, &one, sizeof(one)) != sizeof(one)) {
			f->err = -errno;
			break;
		}
	}
	return NULL;
}

/* Sleep until the producer rings; 0, or a negative error. */
static int flow_wait(struct flow *f)
{
	struct pollfd pfd = { .fd = f->efd, .events = POLLIN };
	u64 v;
	int ret;

	ret = zoc_ring_enable_notify(&f->rp.c);
	if (ret)
		return ret < 0 ? ret : 0;
	if (poll(&pfd, 1, WAIT_MS) != 1)
		return -ETIMEDOUT;	/* a lost wakeup */
	if (read(f->efd, &v, sizeof(v)) != sizeof(v))
		return -errno;
	f->waits++;
	zoc_ring_disable_notify(&f->rp.c);
	return 0;
}

static void *flow_consumer(void *arg)
{
	struct flow *f = arg;
	struct zoc_ring *r = &f->rp.c;
	unsigned int spins = 0;
	struct zoc_msg m;
	int ret;

	while (f->got < f->n) {
		ret = zoc_ring_consume(r, &m);
		if (ret == 0) {
			if (!msg_ok(&m, f->got) && !f->bad)
				f->bad = f->got + 1;
			f->got++;
			continue;
		}
		if (ret != -EAGAIN) {
			f->err = ret;
			break;
		}
		if (!f->notify) {
			relax(&spins);
			continue;
		}
		ret = flow_wait(f);
		if (ret) {
			f->err = ret;
			break;
		}
	}
	return NULL;
}

static int flow_run(struct flow *f)
{
	pthread_t prod, cons;

	f->efd = eventfd(0, 0);
	if (f->efd < 0)
		return -errno;
	if (!f->notify)
		zoc_ring_disable_notify(&f->rp.c);
	if (pthread_create(&cons, NULL, flow_consumer, f))
		return -EAGAIN;
	if (pthread_create(&prod, NULL, flow_producer, f)) {
		f->n = 0;
		pthread_join(cons, NULL);
		return -EAGAIN;
	}
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	close(f->efd);
	return 0;
}

/* Nothing to set up: only for the longer timeout of TEST_F_TIMEOUT(). */
FIXTURE(threads) {
	int unused;
};

FIXTURE_SETUP(threads)
{
}

FIXTURE_TEARDOWN(threads)
{
}

TEST_F_TIMEOUT(threads, ten_million, THREAD_TIMEOUT)
{
	struct flow f = { .n = THREAD_MSGS };

	ASSERT_EQ(0, ring_pair_new(&f.rp, 256, 0xfff00000));
	ASSERT_EQ(0, flow_run(&f));
	ASSERT_EQ(0, f.err);
	ASSERT_EQ(0U, f.bad);
	ASSERT_EQ(THREAD_MSGS, f.got);
	ASSERT_EQ(THREAD_MSGS, f.rp.p.msgs);
	ASSERT_EQ(THREAD_MSGS, f.rp.c.msgs);
	/* A polling consumer is never rung. */
	ASSERT_EQ(0U, f.rp.p.doorbells);
	ASSERT_EQ(f.polls, f.rp.p.suppressed);
	ring_pair_free(&f.rp);
}

/* A consumer that sleeps when idle is always woken, and only then rung. */
TEST_F_TIMEOUT(threads, notify, THREAD_TIMEOUT)
{
	struct flow f = { .n = NOTIFY_MSGS, .notify = true };

	ASSERT_EQ(0, ring_pair_new(&f.rp, 64, 0));
	ASSERT_EQ(0, flow_run(&f));
	ASSERT_EQ(0, f.err);
	ASSERT_EQ(0U, f.bad);
	ASSERT_EQ(NOTIFY_MSGS, f.got);
	ASSERT_EQ(f.polls, f.rp.p.doorbells + f.rp.p.suppressed);
	/*
	 * At most one doorbell per request, every sleep ended by one.  A
	 * freshly formatted ring asks for the first one itself, which the
	 * consumer's count of requests does not include.
	 */
	ASSERT_LE(f.rp.p.doorbells, f.rp.c.notify_on + 1);
	ASSERT_LE(f.waits, f.rp.p.doorbells);
	TH_LOG("%llu messages, %llu doorbells, %llu sleeps, %llu requests",
	       NOTIFY_MSGS, f.rp.p.doorbells, f.waits, f.rp.c.notify_on);
	ring_pair_free(&f.rp);
}

TEST(notify_protocol)
{
	struct ring_pair rp;
	struct zoc_msg m;

	ASSERT_EQ(0, ring_pair_new(&rp, 8, 0xfffffffe));
	/* Nothing published: nothing to decide. */
	ASSERT_FALSE(zoc_ring_need_doorbell(&rp.p));

	/* An idle consumer asks; the next publish rings, once. */
	ASSERT_EQ(0, zoc_ring_enable_notify(&rp.c));
	ASSERT_EQ(1, produce_n(&rp.p, 0, 1));
	ASSERT_TRUE(zoc_ring_need_doorbell(&rp.p));
	ASSERT_EQ(1, produce_n(&rp.p, 1, 1));
	ASSERT_FALSE(zoc_ring_need_doorbell(&rp.p));

	/* Asking while messages wait says so: do not sleep. */
	ASSERT_EQ(2, zoc_ring_enable_notify(&rp.c));
	ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
	ASSERT_TRUE(msg_ok(&m, 1));

	/* A batch published between two decisions rings once. */
	ASSERT_EQ(0, zoc_ring_enable_notify(&rp.c));
	ASSERT_EQ(4, produce_n(&rp.p, 2, 4));
	ASSERT_TRUE(zoc_ring_need_doorbell(&rp.p));
	ASSERT_FALSE(zoc_ring_need_doorbell(&rp.p));

	/* A polling consumer is not rung even after asking earlier. */
	zoc_ring_disable_notify(&rp.c);
	while (zoc_ring_consume(&rp.c, &m) == 0)
		;
	ASSERT_EQ(0, zoc_ring_enable_notify(&rp.c));
	zoc_ring_disable_notify(&rp.c);
	ASSERT_EQ(1, produce_n(&rp.p, 6, 1));
	ASSERT_FALSE(zoc_ring_need_doorbell(&rp.p));

	ASSERT_EQ(2U, rp.p.doorbells);
	ASSERT_EQ(2U, rp.p.suppressed);
	ring_pair_free(&rp);
}

/*
 * Under load, a consumer that drains in batches and asks for a doorbell
 * only when it finds the ring empty costs the producer at most one
 * doorbell per 64 messages, although the producer asks after every one.
 */
TEST(suppression_batches)
{
	struct ring_pair rp;
	u64 sent = 0, got = 0, round;
	bool asleep = false;
	struct zoc_msg m;
	int i, n;

	ASSERT_EQ(0, ring_pair_new(&rp, 256, 0));
	zoc_ring_disable_notify(&rp.c);
	for (round = 0; round < 20000; round++) {
		/* Bursts of 48..111 messages, each decided on alone. */
		n = 48 + (round * 37) % 64;
		for (i = 0; i < n; i++) {
			if (produce_n(&rp.p, sent, 1) != 1)
				break;
			sent++;
			if (zoc_ring_need_doorbell(&rp.p)) {
				ASSERT_TRUE(asleep);
				asleep = false;
			}
		}
		if (asleep)
			continue;
		for (i = 0; i < 64 && zoc_ring_consume(&rp.c, &m) == 0; i++) {
			ASSERT_TRUE(msg_ok(&m, got));
			got++;
		}
		if (i < 64 && zoc_ring_enable_notify(&rp.c) == 0)
			asleep = true;
		else
			zoc_ring_disable_notify(&rp.c);
	}
	TH_LOG("%llu messages, %llu doorbells, %llu suppressed",
	       (unsigned long long)sent, (unsigned long long)rp.p.doorbells,
	       (unsigned long long)rp.p.suppressed);
	ASSERT_GT(sent, 500000U);
	ASSERT_EQ(sent, rp.p.doorbells + rp.p.suppressed);
	ASSERT_LE(rp.p.doorbells * 64, sent);
	ring_pair_free(&rp);
}

TEST(bad_header)
{
	struct ring_pair rp;
	struct zoc_ring r;
	struct zoc_ring_hdr *h;

	ASSERT_EQ(0, ring_pair_new(&rp, 8, 0));
	h = hdr_of(&rp);

	/* Formatting refuses what attach would refuse. */
	ASSERT_EQ(-EINVAL, zoc_ring_init(rp.mem, rp.len, 6, 0));
	ASSERT_EQ(-EINVAL, zoc_ring_init(rp.mem, rp.len, 16, 0));
	ASSERT_EQ(-EINVAL, zoc_ring_init(rp.mem, rp.len, 1, 0));
	ASSERT_EQ(-EINVAL, zoc_ring_init((char *)rp.mem + 8, rp.len - 8, 2, 0));

	ASSERT_EQ(0, zoc_ring_init(rp.mem, rp.len, 8, 0));
	ASSERT_EQ(0, zoc_ring_attach(&r, rp.mem, rp.len));
	ASSERT_EQ(-EINVAL, zoc_ring_attach(&r, (char *)rp.mem + 4, rp.len - 4));
	ASSERT_EQ(-EINVAL, zoc_ring_attach(&r, rp.mem, ZOC_RING_HDR_SIZE - 1));
	/* The slots must lie inside the mapping. */
	ASSERT_EQ(-EINVAL, zoc_ring_attach(&r, rp.mem, rp.len - 1));

	h->size = cpu_to_le32(16);
	ASSERT_EQ(-EINVAL, zoc_ring_attach(&r, rp.mem, rp.len));
	h->size = cpu_to_le32(6);
	ASSERT_EQ(-EINVAL, zoc_ring_attach(&r, rp.mem, rp.len));
	h->size = cpu_to_le32(0);
	ASSERT_EQ(-EINVAL, zoc_ring_attach(&r, rp.mem, rp.len));
	h->size = cpu_to_le32(0x80000000);
	ASSERT_EQ(-EINVAL, zoc_ring_attach(&r, rp.mem, (size_t)-1));
	h->size = cpu_to_le32(ZOC_RING_MAX_SLOTS * 2);
	ASSERT_EQ(-EINVAL, zoc_ring_attach(&r, rp.mem, (size_t)-1));
	h->size = cpu_to_le32(8);
	h->msg_size = cpu_to_le32(32);
	ASSERT_EQ(-EINVAL, zoc_ring_attach(&r, rp.mem, rp.len));
	h->msg_size = cpu_to_le32(ZOC_MSG_SIZE);
	h->magic = 0;
	ASSERT_EQ(-EAGAIN, zoc_ring_attach(&r, rp.mem, rp.len));
	h->magic = cpu_to_le32(ZOC_RING_MAGIC);

	/* Indices further apart than the ring is long. */
	h->prod = cpu_to_le32(9);
	ASSERT_EQ(-EIO, zoc_ring_attach(&r, rp.mem, rp.len));
	h->prod = cpu_to_le32(0);
	h->cons = cpu_to_le32(1);
	ASSERT_EQ(-EIO, zoc_ring_attach(&r, rp.mem, rp.len));
	h->prod = cpu_to_le32(0xfffffffc);
	h->cons = cpu_to_le32(0xfffffff9);
	ASSERT_EQ(0, zoc_ring_attach(&r, rp.mem, rp.len));
	ASSERT_EQ(3, zoc_ring_avail(&r));
	ring_pair_free(&rp);
}

/*
 * A ring whose attach failed is broken, and no operation on it touches
 * memory: the view holds no pointer into the ring (ASan would catch one).
 */
TEST(failed_attach_is_broken)
{
	struct ring_pair rp;
	struct zoc_msg m = { .hdr.type = ZOC_TEST_MSG_ECHO };
	struct zoc_ring r;

	ASSERT_EQ(0, ring_pair_new(&rp, 8, 0));
	/* The peer wrote an impossible index while we attached. */
	hdr_of(&rp)->prod = cpu_to_le32(0x10000);
	ASSERT_EQ(-EIO, zoc_ring_attach(&r, rp.mem, rp.len));
	ASSERT_TRUE(zoc_ring_broken(&r));
	ASSERT_EQ(NULL, r.hdr);
	ASSERT_EQ(-EIO, zoc_ring_produce(&r, &m));
	ASSERT_EQ(-EIO, zoc_ring_space(&r));
	ASSERT_EQ(-EIO, zoc_ring_consume(&r, &m));
	ASSERT_EQ(-EIO, zoc_ring_avail(&r));
	ASSERT_EQ(-EIO, zoc_ring_enable_notify(&r));
	ASSERT_FALSE(zoc_ring_need_doorbell(&r));
	zoc_ring_disable_notify(&r);
	zoc_ring_publish(&r);
	zoc_ring_pop(&r);
	/* The same for a header that is not a ring at all. */
	hdr_of(&rp)->msg_size = 0;
	ASSERT_EQ(-EINVAL, zoc_ring_attach(&r, rp.mem, rp.len));
	ASSERT_EQ(-EIO, zoc_ring_produce(&r, &m));
	ring_pair_free(&rp);
}

/*
 * The side that formats a ring starts from what it wrote: a peer that
 * scribbles over the header at once is caught as an impossible index
 * later, never taken for the ring's state.
 */
TEST(format_reads_nothing_back)
{
	struct ring_pair rp;
	struct zoc_msg m = { .hdr.type = ZOC_TEST_MSG_ECHO };
	struct zoc_ring r, c;

	ASSERT_EQ(0, ring_pair_new(&rp, 8, 0));
	ASSERT_EQ(-EINVAL, zoc_ring_format(&r, rp.mem, rp.len, 6));
	ASSERT_TRUE(zoc_ring_broken(&r));
	ASSERT_EQ(0, zoc_ring_format(&r, rp.mem, rp.len, 8));
	ASSERT_FALSE(zoc_ring_broken(&r));
	ASSERT_EQ(8, zoc_ring_space(&r));
	ASSERT_EQ(0, zoc_ring_produce(&r, &m));
	ASSERT_EQ(0, zoc_ring_attach(&c, rp.mem, rp.len));
	ASSERT_EQ(1, zoc_ring_avail(&c));
	/* The consumer index jumps past what was published. */
	hdr_of(&rp)->cons = cpu_to_le32(0x10000);
	ASSERT_EQ(-EIO, zoc_ring_space(&r));
	ASSERT_TRUE(zoc_ring_broken(&r));
	ring_pair_free(&rp);
}

/* The producer index runs ahead of what the ring can hold. */
TEST(prod_beyond_ring)
{
	struct ring_pair rp;
	struct zoc_msg m;

	ASSERT_EQ(0, ring_pair_new(&rp, 8, 0xfffffffa));
	ASSERT_EQ(2, produce_n(&rp.p, 0, 2));
	ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
	/* cons is 0xfffffffc: a full ring ends at 0x4, 0x5 is one too far. */
	hdr_of(&rp)->prod = cpu_to_le32(0x5);
	ASSERT_EQ(-EIO, zoc_ring_consume(&rp.c, &m));
	ASSERT_TRUE(zoc_ring_broken(&rp.c));
	/* Sticky, whatever the index becomes. */
	hdr_of(&rp)->prod = cpu_to_le32(0xfffffffd);
	ASSERT_EQ(-EIO, zoc_ring_avail(&rp.c));
	ASSERT_EQ(-EIO, zoc_ring_peek(&rp.c, &m));
	ASSERT_EQ(-EIO, zoc_ring_enable_notify(&rp.c));
	zoc_ring_pop(&rp.c);
	ASSERT_EQ(0xfffffffc, le32_to_cpu(hdr_of(&rp)->cons));
	ring_pair_free(&rp);

	/* Exactly full is fine. */
	ASSERT_EQ(0, ring_pair_new(&rp, 8, 0xfffffffc));
	hdr_of(&rp)->prod = cpu_to_le32(0x4);
	ASSERT_EQ(8, zoc_ring_avail(&rp.c));
	ring_pair_free(&rp);
}

/* The producer index goes back, below what was seen or below cons. */
TEST(prod_backwards)
{
	struct ring_pair rp;
	struct zoc_msg m;

	ASSERT_EQ(0, ring_pair_new(&rp, 8, 0));
	ASSERT_EQ(4, produce_n(&rp.p, 0, 4));
	ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
	hdr_of(&rp)->prod = cpu_to_le32(2);
	ASSERT_EQ(-EIO, zoc_ring_enable_notify(&rp.c));
	ring_pair_free(&rp);

	ASSERT_EQ(0, ring_pair_new(&rp, 8, 0));
	ASSERT_EQ(1, produce_n(&rp.p, 0, 1));
	ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
	hdr_of(&rp)->prod = cpu_to_le32(0xffffffff);
	ASSERT_EQ(-EIO, zoc_ring_consume(&rp.c, &m));
	ring_pair_free(&rp);
}

/* The consumer index runs ahead of the producer, or goes back. */
TEST(cons_ahead)
{
	struct ring_pair rp;
	struct zoc_msg *slot;
	struct zoc_msg m;

	ASSERT_EQ(0, ring_pair_new(&rp, 8, 0xfffffffe));
	ASSERT_EQ(8, produce_n(&rp.p, 0, 8));
	hdr_of(&rp)->cons = cpu_to_le32(0x7);	/* published: up to 0x6 */
	ASSERT_EQ(-EIO, zoc_ring_space(&rp.p));
	ASSERT_TRUE(zoc_ring_broken(&rp.p));
	hdr_of(&rp)->cons = cpu_to_le32(0xfffffffe);
	ASSERT_EQ(-EIO, zoc_ring_reserve(&rp.p, &slot));
	msg_fill(&m, 0);
	ASSERT_EQ(-EIO, zoc_ring_produce(&rp.p, &m));
	ring_pair_free(&rp);

	/* Back: below what the producer saw last. */
	ASSERT_EQ(0, ring_pair_new(&rp, 8, 0));
	ASSERT_EQ(8, produce_n(&rp.p, 0, 8));
	ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(2, zoc_ring_space(&rp.p));
	ASSERT_EQ(2, produce_n(&rp.p, 8, 2));
	hdr_of(&rp)->cons = cpu_to_le32(1);
	ASSERT_EQ(-EIO, zoc_ring_space(&rp.p));
	ring_pair_free(&rp);

	/* Past slots reserved but not published yet. */
	ASSERT_EQ(0, ring_pair_new(&rp, 8, 0));
	ASSERT_EQ(4, produce_n(&rp.p, 0, 4));
	ASSERT_EQ(0, zoc_ring_reserve(&rp.p, &slot));
	ASSERT_EQ(0, zoc_ring_reserve(&rp.p, &slot));
	ASSERT_EQ(0, zoc_ring_reserve(&rp.p, &slot));
	ASSERT_EQ(0, zoc_ring_reserve(&rp.p, &slot));
	hdr_of(&rp)->cons = cpu_to_le32(5);
	ASSERT_EQ(-EIO, zoc_ring_space(&rp.p));
	ring_pair_free(&rp);
}

static void put_msg(struct ring_pair *rp, u8 type, u16 len, u32 tag)
{
	struct zoc_msg *slot;

	if (zoc_ring_reserve(&rp->p, &slot))
		return;
	memset(slot, 0xa5, sizeof(*slot));
	slot->hdr.type = type;
	slot->hdr.len = cpu_to_le16(len);
	slot->hdr.tag = cpu_to_le32(tag);
	zoc_ring_publish(&rp->p);
}

/* Malformed messages are reported and skipped; the ring goes on. */
TEST(bad_messages)
{
	struct ring_pair rp;
	struct zoc_msg m;

	ASSERT_EQ(0, ring_pair_new(&rp, 16, 0));
	put_msg(&rp, ZOC_TEST_MSG_ECHO, ZOC_MSG_PAYLOAD_SIZE + 1, 1);
	put_msg(&rp, ZOC_TEST_MSG_ECHO, 0xffff, 2);
	put_msg(&rp, ZOC_MSG_MMIO_READ, sizeof(struct zoc_msg_mmio) - 1, 3);
	put_msg(&rp, ZOC_MSG_MMIO_REPLY, 8, 4);
	put_msg(&rp, ZOC_MSG_IRQ, 4, 5);
	put_msg(&rp, ZOC_MSG_CTRL_REQ, 7, 6);
	put_msg(&rp, ZOC_MSG_NONE, 0, 7);
	put_msg(&rp, ZOC_MSG_MMIO_WRITE, sizeof(struct zoc_msg_mmio), 8);
	put_msg(&rp, ZOC_MSG_CTRL_REPLY, ZOC_MSG_PAYLOAD_SIZE, 9);
	put_msg(&rp, 200, 0, 10);	/* unknown: the caller decides */

	ASSERT_EQ(-EBADMSG, zoc_ring_peek(&rp.c, &m));
	ASSERT_EQ(1U, le32_to_cpu(m.hdr.tag));	/* tag kept for a reply */
	zoc_ring_pop(&rp.c);
	ASSERT_EQ(-EBADMSG, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(2U, le32_to_cpu(m.hdr.tag));
	ASSERT_EQ(-EBADMSG, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(-EBADMSG, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(-EBADMSG, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(-EBADMSG, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(-EBADMSG, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(8U, le32_to_cpu(m.hdr.tag));
	ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(9U, le32_to_cpu(m.hdr.tag));
	ASSERT_EQ(0, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(10U, le32_to_cpu(m.hdr.tag));
	ASSERT_EQ(-EAGAIN, zoc_ring_consume(&rp.c, &m));
	ASSERT_EQ(6U, rp.c.bad_msgs);
	ASSERT_EQ(10U, rp.c.msgs);
	ASSERT_FALSE(zoc_ring_broken(&rp.c));
	ring_pair_free(&rp);
}

static u32 rnd(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s >> 32;
}

/* Near the valid range, sometimes inside it, sometimes anything. */
static u32 hostile(u64 *s, u32 near)
{
	switch (rnd(s) % 4) {
	case 0:
		return rnd(s);
	case 1:
		return near - rnd(s) % 40;
	default:
		return near + rnd(s) % 40;
	}
}

/*
 * A peer that writes anything into the shared indices and messages while
 * both sides keep working.  Results must stay within the ring's bounds or
 * be errors; AddressSanitizer checks that no access leaves the buffer.
 */
TEST(hostile_peer)
{
	u64 s = 0x2545f4914f6cdd1dULL, ops = 0, broken = 0;
	struct zoc_ring_hdr *h;
	struct ring_pair rp;
	struct zoc_msg m;
	int i, ret;

	ASSERT_EQ(0, ring_pair_new(&rp, 32, 0xffffffe0));
	h = hdr_of(&rp);
	for (i = 0; i < 2000000; i++) {
		switch (rnd(&s) % 12) {
		case 0:
			h->prod = cpu_to_le32(hostile(&s, rp.c.cons));
			break;
		case 1:
			h->cons = cpu_to_le32(hostile(&s, rp.p.prod));
			break;
		case 2:
			h->event = cpu_to_le32(hostile(&s, rp.p.published));
			h->cons_flags = cpu_to_le32(rnd(&s));
			break;
		case 3:
			memset(&rp.p.slots[rnd(&s) % 32], rnd(&s), 16);
			break;
		case 4:
		case 5:
			ret = produce_n(&rp.p, ops, rnd(&s) % 40);
			ASSERT_LE(ret, 32);
			zoc_ring_need_doorbell(&rp.p);
			break;
		case 6:
			ret = zoc_ring_space(&rp.p);
			ASSERT_TRUE(ret == -EIO || (ret >= 0 && ret <= 32));
			break;
		case 7:
			ret = zoc_ring_avail(&rp.c);
			ASSERT_TRUE(ret == -EIO || (ret >= 0 && ret <= 32));
			break;
		case 8:
			ret = zoc_ring_enable_notify(&rp.c);
			ASSERT_TRUE(ret == -EIO || (ret >= 0 && ret <= 32));
			break;
		default:
			ret = zoc_ring_consume(&rp.c, &m);
			ASSERT_TRUE(ret == 0 || ret == -EAGAIN ||
				    ret == -EBADMSG || ret == -EIO);
			if (!ret)
				ASSERT_LE(le16_to_cpu(m.hdr.len),
					  ZOC_MSG_PAYLOAD_SIZE);
			break;
		}
		ops++;
		/* The private views stay sane whatever the peer wrote. */
		ASSERT_LE(rp.p.prod - rp.p.cons, 32U);
		ASSERT_LE(rp.c.prod - rp.c.cons, 32U);
		if (zoc_ring_broken(&rp.p) || zoc_ring_broken(&rp.c)) {
			broken++;
			ring_pair_free(&rp);
			ASSERT_EQ(0, ring_pair_new(&rp, 32, rnd(&s)));
			h = hdr_of(&rp);
		}
	}
	TH_LOG("%llu operations, %llu corruptions detected",
	       (unsigned long long)ops, (unsigned long long)broken);
	ASSERT_GT(broken, 1000U);
	ring_pair_free(&rp);
}

TEST_HARNESS_MAIN
