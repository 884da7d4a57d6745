// SPDX-License-Identifier: GPL-2.0
/*
 * cpu_work: a CPU-bound workload that notes how long each unit of its
 * work takes, to measure what the service VM's I/O costs the machine's
 * own work (zero-cost mode, Documentation/zoc/proxy.rst).  One thread per
 * CPU online, each bound to its CPU, repeats a fixed unit of integer work
 * for SECONDS and times every unit.
 *
 *	cpu_work SECONDS [UNIT_ITERATIONS]
 *
 * Prints one line, "units N rate X p50_us A p99_us B max_us C late L":
 * the units done by all threads, their rate per second, the median, 99th
 * percentile and longest time of one unit, and the fraction of units that
 * took 1 ms or more over the median (the jitter a latency-bound workload
 * of the machine would see).  Ratios against a run on an idle machine,
 * in the same benchmark, are what to quote.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CW_MAX_THREADS	64
#define CW_MAX_UNITS	1048576		/* per thread: 8 MiB of times */
#define CW_LATE_NS	1000000ULL

struct cw_thread {
	pthread_t tid;
	int cpu;
	uint64_t *ns;
	unsigned long units;
	uint64_t sink;
};

static uint64_t cw_seconds, cw_iterations = 100000;

static uint64_t cw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *cw_run(void *arg)
{
	struct cw_thread *t = arg;
	uint64_t end, start, x = 88172645463325252ULL + t->cpu;
	cpu_set_t set;
	uint64_t i;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	start = cw_now();
	end = start + cw_seconds * 1000000000ULL;
	while (start < end && t->units < CW_MAX_UNITS) {
		uint64_t now;

		/* xorshift: each step depends on the last, no memory traffic */
		for (i = 0; i < cw_iterations; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		now = cw_now();
		t->ns[t->units++] = now - start;
		start = now;
	}
	t->sink = x;
	return NULL;
}

static int cw_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static struct cw_thread th[CW_MAX_THREADS];
	unsigned long total = 0, late = 0, at = 0, i;
	uint64_t *all, p50, sink = 0;
	int n = 0, cpu, ncpu;
	cpu_set_t online;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: cpu_work SECONDS [UNIT_ITERATIONS]\n");
		return 1;
	}
	cw_seconds = strtoull(argv[1], NULL, 10);
	if (argc == 3)
		cw_iterations = strtoull(argv[2], NULL, 10);
	if (!cw_seconds || cw_seconds > 3600 || !cw_iterations) {
		fprintf(stderr, "cpu_work: SECONDS 1 to 3600, UNIT_ITERATIONS > 0\n");
		return 1;
	}
	if (sched_getaffinity(0, sizeof(online), &online))
		return 2;
	ncpu = CPU_COUNT(&online);
	for (cpu = 0; cpu < CPU_SETSIZE && n < CW_MAX_THREADS && n < ncpu; cpu++) {
		if (!CPU_ISSET(cpu, &online))
			continue;
		th[n].cpu = cpu;
		th[n].ns = malloc(CW_MAX_UNITS * sizeof(uint64_t));
		if (!th[n].ns)
			return 2;
		n++;
	}
	for (i = 0; i < (unsigned long)n; i++)
		if (pthread_create(&th[i].tid, NULL, cw_run, &th[i]))
			return 2;
	for (i = 0; i < (unsigned long)n; i++) {
		pthread_join(th[i].tid, NULL);
		total += th[i].units;
		sink ^= th[i].sink;
	}
	if (!total)
		return 2;
	all = malloc(total * sizeof(uint64_t));
	if (!all)
		return 2;
	for (i = 0; i < (unsigned long)n; i++) {
		memcpy(all + at, th[i].ns, th[i].units * sizeof(uint64_t));
		at += th[i].units;
	}
	qsort(all, total, sizeof(uint64_t), cw_cmp);
	p50 = all[total / 2];
	for (i = 0; i < total; i++)
		late += all[i] >= p50 + CW_LATE_NS;
	printf("units %lu rate %.0f p50_us %.1f p99_us %.1f max_us %.1f late %.2e\n",
	       total, total / (double)cw_seconds, p50 / 1000.0,
	       all[total * 99 / 100] / 1000.0, all[total - 1] / 1000.0,
	       late / (double)total);
	/* the work's result, so that it is not optimized away */
	return sink == 1 ? 3 : 0;
}
