// SPDX-License-Identifier: GPL-2.0
/*
 * Test module of the ZOC host, for the selftests (link_rings, svm_restart,
 * baremetal, bus, links) and the lab's demo and benchmark: a test-only
 * module that drives zoc_host's links and buses through their real APIs,
 * in kernels built with CONFIG_ZOC_TEST_HOOKS.
 *
 * It registers with zoc_host's test hooks, which give it every link (a
 * struct zht_link each, its debugfs directory zoc_host_test/link<N>/) and
 * the replies to what it sends; then it registers the PCI driver of the
 * test functions on those links' buses.  Teardown is the exact reverse.
 *
 * The list of links is built before the driver can look it up and torn
 * down after the driver is gone: it needs no lock.
 */

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "../../host/test_hooks.h"
#include "host_test.h"

static LIST_HEAD(zht_links);
static struct dentry *zht_debugfs;

/**
 * zht_link_of - the link whose bus a PCI function is on
 * @pdev: the function
 *
 * Return: its link's tests, or NULL if it is on no bus of zoc_host.
 */
struct zht_link *zht_link_of(struct pci_dev *pdev)
{
	struct zht_link *l;

	list_for_each_entry(l, &zht_links, node)
		if (zoc_host_test_owns(l->host, pdev))
			return l;
	return NULL;
}

/* A link of zoc_host: its state and its debugfs files. */
static void *zht_add(struct zoc_host *host, struct zoc_link *link,
		     unsigned int id)
{
	struct zht_link *l;
	char name[16];

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return ERR_PTR(-ENOMEM);
	l->host = host;
	l->link = link;
	l->id = id;
	l->ctrl_case = -1;
	spin_lock_init(&l->lock);
	mutex_init(&l->mutex);
	mutex_init(&l->bus_mutex);
	snprintf(name, sizeof(name), "link%u", id);
	l->dir = debugfs_create_dir(name, zht_debugfs);
	zht_link_debugfs(l);
	zht_bus_debugfs(l);
	list_add_tail(&l->node, &zht_links);
	return l;
}

/* zht_add()'s mirror; no test runs: the files are not open. */
static void zht_remove(void *priv)
{
	struct zht_link *l = priv;

	list_del(&l->node);
	debugfs_remove_recursive(l->dir);
	kfree(l);
}

static const struct zoc_host_test_ops zht_ops = {
	.add = zht_add,
	.remove = zht_remove,
	.receive = zht_link_receive,
};

static int __init zht_init(void)
{
	int ret;

	zht_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	ret = zoc_host_test_register(&zht_ops);
	if (ret)
		goto out_debugfs;
	ret = zht_bus_init();
	if (ret)
		goto out_unregister;
	return 0;

out_unregister:
	zoc_host_test_unregister(&zht_ops);
out_debugfs:
	debugfs_remove(zht_debugfs);
	return ret;
}

static void __exit zht_exit(void)
{
	zht_bus_exit();
	zoc_host_test_unregister(&zht_ops);
	debugfs_remove(zht_debugfs);
}

module_init(zht_init);
module_exit(zht_exit);
MODULE_IMPORT_NS(ZOC_HOST_TEST);
MODULE_DESCRIPTION("Test module of the ZOC host: link and bus tests");
MODULE_LICENSE("GPL");
