// SPDX-License-Identifier: GPL-2.0
/*
 * blk_bench: 4 KiB random direct I/O on a block device at a fixed queue
 * depth through Linux AIO (libaio), as the lab's benchmarks run fio on
 * the host (ioengine=libaio, direct=1, bs=4k, size=64m, offset=160m,
 * ramp_time=2).  The service VM has no fio: the benchmarks run this in
 * it to drive its backend directly, the baseline of ZOC's hop
 * efficiency (Documentation/zoc/proxy.rst).
 *
 *	blk_bench DEVICE randread|randwrite QD SECONDS
 *
 * Prints one line, "ios N iops X lat_us Y all M": the I/Os completed in
 * SECONDS after 2 s of ramp, their rate and their mean latency, and all
 * the I/Os completed, the ramp's included.
 * Exit status 1 on a usage error, 2 on an I/O error.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BB_BS		4096
#define BB_OFFSET	(160ULL << 20)
#define BB_SIZE		(64ULL << 20)
#define BB_RAMP_NS	2000000000ULL
#define BB_MAX_QD	256

static uint64_t bb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* xorshift64*: fio's offsets are random too, uniform over the range */
static uint64_t bb_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

struct bb_slot {
	struct iocb cb;
	uint64_t sent;
	void *buf;
};

static void bb_prep(int fd, struct bb_slot *s, bool write, uint64_t *seed)
{
	long long off = BB_OFFSET + bb_rand(seed) % (BB_SIZE / BB_BS) * BB_BS;

	if (write)
		io_prep_pwrite(&s->cb, fd, s->buf, BB_BS, off);
	else
		io_prep_pread(&s->cb, fd, s->buf, BB_BS, off);
	s->cb.data = s;
	s->sent = bb_now();
}

int main(int argc, char **argv)
{
	static struct bb_slot slot[BB_MAX_QD];
	struct io_event ev[BB_MAX_QD];
	uint64_t seed = 0x5a4f43ULL, ios = 0, all = 0, lat = 0;
	uint64_t start, counted, end;
	struct iocb *cbs[BB_MAX_QD];
	io_context_t ctx = 0;
	unsigned long qd, secs;
	int fd, i, n, ret;
	bool write;

	if (argc != 5 || (strcmp(argv[2], "randread") &&
			  strcmp(argv[2], "randwrite"))) {
		fprintf(stderr, "usage: blk_bench DEVICE randread|randwrite QD SECONDS\n");
		return 1;
	}
	write = !strcmp(argv[2], "randwrite");
	qd = strtoul(argv[3], NULL, 10);
	secs = strtoul(argv[4], NULL, 10);
	if (!qd || qd > BB_MAX_QD || !secs || secs > 3600) {
		fprintf(stderr, "blk_bench: QD 1 to %d, SECONDS 1 to 3600\n",
			BB_MAX_QD);
		return 1;
	}
	fd = open(argv[1], (write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "blk_bench: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	ret = io_setup(qd, &ctx);
	if (ret < 0) {
		fprintf(stderr, "blk_bench: io_setup: %s\n", strerror(-ret));
		return 2;
	}
	for (i = 0; i < (int)qd; i++) {
		if (posix_memalign(&slot[i].buf, BB_BS, BB_BS))
			return 2;
		memset(slot[i].buf, 0x5a, BB_BS);
		bb_prep(fd, &slot[i], write, &seed);
		cbs[i] = &slot[i].cb;
	}
	start = bb_now();
	counted = start + BB_RAMP_NS;
	end = counted + secs * 1000000000ULL;
	ret = io_submit(ctx, qd, cbs);
	if (ret != (int)qd) {
		fprintf(stderr, "blk_bench: io_submit: %s\n",
			strerror(ret < 0 ? -ret : EAGAIN));
		return 2;
	}
	/* Each completion sends its slot again until the end: QD in flight */
	for (n = qd; n;) {
		uint64_t now;
		int got, k = 0;

		got = io_getevents(ctx, 1, qd, ev, NULL);
		if (got == -EINTR)
			continue;
		if (got < 0) {
			fprintf(stderr, "blk_bench: io_getevents: %s\n",
				strerror(-got));
			return 2;
		}
		now = bb_now();
		for (i = 0; i < got; i++) {
			struct bb_slot *s = ev[i].data;

			if ((long)ev[i].res != BB_BS) {
				fprintf(stderr, "blk_bench: I/O failed: %ld\n",
					(long)ev[i].res);
				return 2;
			}
			all++;
			if (s->sent >= counted && now <= end) {
				ios++;
				lat += now - s->sent;
			}
			if (now >= end) {
				n--;
				continue;
			}
			bb_prep(fd, s, write, &seed);
			cbs[k++] = &s->cb;
		}
		if (k && io_submit(ctx, k, cbs) != k) {
			fprintf(stderr, "blk_bench: io_submit failed\n");
			return 2;
		}
	}
	io_destroy(ctx);
	close(fd);
	printf("ios %llu iops %.0f lat_us %.1f all %llu\n",
	       (unsigned long long)ios, ios / (double)secs,
	       ios ? lat / (double)ios / 1000 : 0.0, (unsigned long long)all);
	return 0;
}
