// SPDX-License-Identifier: GPL-2.0
/*
 * Throughput of the link rings (drivers/zoc/link/ring.h) core to core: a
 * producer thread on CPU 0 and a consumer thread on CPU 1 pass messages
 * through one ring of ZOC_LINK_RING_SLOTS slots.  A doorbell is an eventfd
 * write; a consumer waiting for one blocks in read().
 *
 *   poll        the consumer polls and says so: the producer never rings
 *   suppressed  the consumer sleeps when the ring stays empty for SPIN
 *               polls, after asking for a doorbell; the producer rings
 *               only when asked
 *   every       the producer rings after every publish, as without
 *               event suppression; the consumer sleeps as above
 *   single      both ends in one thread, for instruction counts
 *               (valgrind --tool=callgrind ring_bench single)
 *
 * Usage: ring_bench [MODE] [MESSAGES]; without MODE, all but "single".
 * Prints figures only: a benchmark, not a test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "../../../drivers/zoc/link/ring.h"
#include "../../../drivers/zoc/link/test_wire.h"

#define BATCH		8	/* messages per publish, at most */
#define SPIN		1000	/* polls of an empty ring before sleeping */

enum bench_mode { MODE_POLL, MODE_SUPPRESSED, MODE_EVERY, MODE_SINGLE };

static const char * const mode_names[] = {
	[MODE_POLL] = "poll",
	[MODE_SUPPRESSED] = "suppressed",
	[MODE_EVERY] = "every",
	[MODE_SINGLE] = "single",
};

struct bench {
	enum bench_mode mode;
	void *mem;
	struct zoc_ring p;
	struct zoc_ring c;
	int efd;
	u64 n;
	u64 rung;		/* producer: eventfd writes */
	u64 sleeps;		/* consumer: blocking reads */
	u64 errors;		/* consumer: out of order, or ring errors */
	double secs;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;
	int err;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (err)
		fprintf(stderr, "ring_bench: affinity to CPU %d: %s\n", cpu,
			strerror(err));
}

/* Spin: a compiler barrier, so that the ring is read again. */
static void relax(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static void ring_doorbell(struct bench *b)
{
	u64 one = 1;

	if (write(b->efd, &one, sizeof(one)) == sizeof(one))
		b->rung++;
}

/* Produce up to @n messages from @seq; returns how many. */
static u64 produce(struct bench *b, u64 seq, u64 n)
{
	struct zoc_msg *m;
	u64 i;

	for (i = 0; i < n && !zoc_ring_reserve(&b->p, &m); i++) {
		m->hdr.type = ZOC_TEST_MSG_ECHO;
		m->hdr.flags = 0;
		m->hdr.len = cpu_to_le16(8);
		m->hdr.tag = cpu_to_le32((u32)(seq + i));
		m->hdr.dev = 0;
		m->hdr.reserved = 0;
		memcpy(m->data, &seq, 8);
	}
	if (i) {
		zoc_ring_publish(&b->p);
		if (b->mode == MODE_EVERY)
			ring_doorbell(b);
		else if (zoc_ring_need_doorbell(&b->p))
			ring_doorbell(b);
	}
	return i;
}

static void *producer(void *arg)
{
	struct bench *b = arg;
	u64 seq = 0, k;

	pin(0);
	while (seq < b->n) {
		k = produce(b, seq, b->n - seq < BATCH ? b->n - seq : BATCH);
		if (!k) {
			if (zoc_ring_broken(&b->p))
				break;
			relax();
		}
		seq += k;
	}
	return NULL;
}

/* Consume what is there; returns how many, or -1 on a ring error. */
static long consume(struct bench *b, u64 *seq)
{
	struct zoc_msg m;
	long got = 0;
	int ret;

	while ((ret = zoc_ring_consume(&b->c, &m)) == 0) {
		if (le32_to_cpu(m.hdr.tag) != (u32)*seq)
			b->errors++;
		++*seq;
		got++;
	}
	if (ret != -EAGAIN) {
		b->errors++;
		return -1;
	}
	return got;
}

static void sleep_for_doorbell(struct bench *b)
{
	u64 v;
	int i;

	for (i = 0; i < SPIN; i++) {
		if (zoc_ring_avail(&b->c))
			return;
		relax();
	}

	if (b->mode == MODE_SUPPRESSED && zoc_ring_enable_notify(&b->c)) {
		/* Messages came in meanwhile: back to polling. */
		zoc_ring_disable_notify(&b->c);
		return;
	}
	if (read(b->efd, &v, sizeof(v)) == sizeof(v))
		b->sleeps++;
	if (b->mode == MODE_SUPPRESSED)
		zoc_ring_disable_notify(&b->c);
}

static void *consumer(void *arg)
{
	struct bench *b = arg;
	u64 seq = 0;
	long got;

	pin(1);
	while (seq < b->n) {
		got = consume(b, &seq);
		if (got < 0)
			break;
		if (got)
			continue;
		if (b->mode == MODE_POLL)
			relax();
		else
			sleep_for_doorbell(b);
	}
	return NULL;
}

static void single(struct bench *b)
{
	u64 sent = 0, seq = 0;

	while (seq < b->n) {
		sent += produce(b, sent, BATCH);
		if (consume(b, &seq) < 0)
			break;
	}
}

static int bench_run(struct bench *b)
{
	size_t len = zoc_ring_bytes(ZOC_LINK_RING_SLOTS);
	pthread_t pt, ct;
	double t0;
	int ret;

	b->mem = aligned_alloc(ZOC_RING_CACHELINE, len);
	if (!b->mem)
		return -ENOMEM;
	ret = zoc_ring_init(b->mem, len, ZOC_LINK_RING_SLOTS, 0);
	if (!ret)
		ret = zoc_ring_attach(&b->p, b->mem, len);
	if (!ret)
		ret = zoc_ring_attach(&b->c, b->mem, len);
	if (ret)
		goto out_free;
	b->efd = eventfd(0, 0);
	if (b->efd < 0) {
		ret = -errno;
		goto out_free;
	}
	/* Polling, and a consumer that is busy at first, says so. */
	zoc_ring_disable_notify(&b->c);

	t0 = now();
	if (b->mode == MODE_SINGLE) {
		single(b);
	} else {
		ret = pthread_create(&ct, NULL, consumer, b);
		if (ret) {
			ret = -ret;
			goto out_close;
		}
		ret = pthread_create(&pt, NULL, producer, b);
		if (ret) {
			/* Let the consumer end: it waits for nothing more. */
			b->n = 0;
			ring_doorbell(b);
			pthread_join(ct, NULL);
			ret = -ret;
			goto out_close;
		}
		pthread_join(pt, NULL);
		pthread_join(ct, NULL);
	}
	b->secs = now() - t0;
	if (zoc_ring_broken(&b->p) || zoc_ring_broken(&b->c))
		ret = -EIO;

out_close:
	close(b->efd);
out_free:
	free(b->mem);
	return ret;
}

static void report(const struct bench *b)
{
	printf("%-11s %10llu %12.0f %8.1f %12llu %10.4f %10llu %8llu\n",
	       mode_names[b->mode], (unsigned long long)b->n, b->n / b->secs,
	       b->secs * 1e9 / b->n, (unsigned long long)b->rung,
	       (double)b->rung / b->n, (unsigned long long)b->sleeps,
	       (unsigned long long)b->errors);
}

static int run_one(enum bench_mode mode, u64 n, struct bench *b)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->mode = mode;
	b->n = n;
	ret = bench_run(b);
	if (ret) {
		fprintf(stderr, "ring_bench: %s: %s\n", mode_names[mode],
			strerror(-ret));
		return ret;
	}
	report(b);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench all[MODE_SINGLE];
	u64 n = 0;
	int mode = -1, i;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] >= '0' && argv[i][0] <= '9') {
			n = strtoull(argv[i], NULL, 0);
			continue;
		}
		for (mode = 0; mode <= MODE_SINGLE; mode++)
			if (!strcmp(argv[i], mode_names[mode]))
				break;
		if (mode > MODE_SINGLE) {
			fprintf(stderr, "usage: %s [poll|suppressed|every|single] [MESSAGES]\n",
				argv[0]);
			return 2;
		}
	}

	printf("ring of %u slots of %u bytes, batches of up to %u, CPUs 0 and 1, %ld online\n",
	       ZOC_LINK_RING_SLOTS, ZOC_MSG_SIZE, BATCH,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-11s %10s %12s %8s %12s %10s %10s %8s\n", "mode", "messages",
	       "msgs/s", "ns/msg", "doorbells", "bells/msg", "sleeps",
	       "errors");
	if (mode >= 0)
		return run_one(mode, n ? n : 10000000, &all[0]) ? 1 : 0;

	for (i = 0; i < MODE_SINGLE; i++)
		if (run_one(i, n ? n : (i == MODE_POLL ? 50000000 : 5000000),
			    &all[i]))
			return 1;
	printf("suppressed/every: %.1fx the messages/s, %.4f of the doorbells per message\n",
	       (all[MODE_SUPPRESSED].n / all[MODE_SUPPRESSED].secs) /
	       (all[MODE_EVERY].n / all[MODE_EVERY].secs),
	       ((double)all[MODE_SUPPRESSED].rung / all[MODE_SUPPRESSED].n) /
	       ((double)all[MODE_EVERY].rung / all[MODE_EVERY].n));
	return 0;
}
