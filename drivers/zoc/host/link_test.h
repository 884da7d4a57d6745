/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC host link: the state of the link's test requests (link_test.c).
 */
#ifndef _ZOC_HOST_LINK_TEST_H
#define _ZOC_HOST_LINK_TEST_H

#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct seq_file;
struct zoc_host;
struct zoc_msg;

#define ZOC_HOST_TESTS		5

/**
 * struct zoc_test_file - a debugfs file that runs a test
 * @host: the host end
 * @run: the test, given the number written
 */
struct zoc_test_file {
	struct zoc_host *host;
	int (*run)(struct zoc_host *host, u32 count);
};

/**
 * struct zoc_host_test - the link's test state
 * @lock: protects the flood's counters and @echoes
 * @mutex: one test at a time: one flood sequence
 * @flood_next: sequence number the next flood reply must carry
 * @flood_got: flood replies received in order
 * @flood_bad: a flood reply came out of order
 * @echoes: echo round trips that came back right
 * @ctrl_replies: replies to the control flood
 * @ctrl_busy: ... of which the service VM refused as too many
 * @files: what the debugfs files run
 */
struct zoc_host_test {
	/* the receiving path and the tests */
	spinlock_t lock;
	/* serialises the tests */
	struct mutex mutex;
	u32 flood_next;
	u32 flood_got;
	bool flood_bad;
	u64 echoes;
	u32 ctrl_replies;
	u32 ctrl_busy;
	struct zoc_test_file files[ZOC_HOST_TESTS];
};

void zoc_host_test_init(struct zoc_host *host);
void zoc_host_test_debugfs(struct zoc_host *host);
void zoc_host_test_show(struct seq_file *s, struct zoc_host *host);
void zoc_host_test_reply(struct zoc_host *host, const struct zoc_msg *msg);

#endif /* _ZOC_HOST_LINK_TEST_H */
