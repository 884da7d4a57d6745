/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test module of the ZOC host (zoc_host_test): one struct zht_link per
 * link of zoc_host, given by its test hooks, with the link's tests
 * (link.c) and its bus's (bus.c, irq.c) in debugfs, zoc_host_test/link<N>/.
 */
#ifndef _ZOC_HOST_TEST_H
#define _ZOC_HOST_TEST_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#define ZHT_LINK_TESTS		12

struct dentry;
struct pci_dev;
struct zht_link;
struct zoc_host;
struct zoc_link;
struct zoc_msg;

/**
 * struct zht_file - a debugfs file that runs a test of a link
 * @link: the link's tests
 * @run: the test, given the number written
 */
struct zht_file {
	struct zht_link *link;
	int (*run)(struct zht_link *l, u32 count);
};

/**
 * struct zht_link - the tests of one link
 * @node: in the module's list of links
 * @host: zoc_host's end of the link
 * @link: the link
 * @id: its number
 * @dir: its debugfs directory
 * @lock: protects the flood's counters and @echoes
 * @mutex: one link test at a time: one flood sequence
 * @flood_next: sequence number the next flood reply must carry
 * @flood_got: flood replies received in order
 * @flood_bad: a flood reply came out of order
 * @echoes: echo round trips that came back right
 * @ctrl_replies: replies to the control flood
 * @ctrl_busy: ... of which the service VM refused as too many
 * @ctrl_case: the malformed control request that got a wrong reply, -1
 * @ctrl_status: ... the reply's status
 * @files: what the link's debugfs files run
 * @bus_mutex: one bus test at a time
 */
struct zht_link {
	struct list_head node;
	struct zoc_host *host;
	struct zoc_link *link;
	unsigned int id;
	struct dentry *dir;
	/* the receiving path and the tests */
	spinlock_t lock;
	/* serialises the link's tests */
	struct mutex mutex;
	u32 flood_next;
	u32 flood_got;
	bool flood_bad;
	u64 echoes;
	u32 ctrl_replies;
	u32 ctrl_busy;
	int ctrl_case;
	u32 ctrl_status;
	struct zht_file files[ZHT_LINK_TESTS];
	/* serialises the bus's tests */
	struct mutex bus_mutex;
};

/* main.c: the links */
struct zht_link *zht_link_of(struct pci_dev *pdev);

/* link.c: the link's tests */
void zht_link_debugfs(struct zht_link *l);
void zht_link_receive(void *priv, const struct zoc_msg *msg);
int zht_link_reset(struct zht_link *l);

/* bus.c: the bus's tests, and the driver of the test functions */
void zht_bus_debugfs(struct zht_link *l);
int zht_bus_init(void);
void zht_bus_exit(void);
int zht_fn_start(struct pci_dev *pdev, int nvec, void __iomem **bar);
void zht_fn_stop(struct pci_dev *pdev, void __iomem *bar);

/* irq.c: the bus's interrupt tests, each on a bound test function */
int zht_irq_test(struct pci_dev *pdev, u32 count);
int zht_irq_race(struct pci_dev *pdev, u32 count);
int zht_irq_replay(struct pci_dev *pdev, u32 count);
int zht_irq_parallel(struct pci_dev *pdev, u32 count);
int zht_irq_affinity(struct pci_dev *pdev, u32 count);
int zht_irq_full(struct pci_dev *pdev, u32 unused);
int zht_irq_link_reset(struct pci_dev *pdev, u32 unused);

#endif /* _ZOC_HOST_TEST_H */
