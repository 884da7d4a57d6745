// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC host module: one link per aperture named in its parameter, each with
 * its host end, its bare-metal transport device and its virtual bus; then
 * the ivshmem transport, the management interface and the links' ticks;
 * torn down in the exact reverse order.
 *
 * The list of links is built before anything can look it up (transports,
 * management) and torn down after they are gone: it needs no lock.
 */

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "zoc_host.h"

static char *aperture;
module_param(aperture, charp, 0444);
MODULE_PARM_DESC(aperture,
		 "reserved physical ranges, one link each: SIZE@ADDR[,SIZE@ADDR...]");

static LIST_HEAD(zoc_hosts);
static struct dentry *zoc_debugfs;

/**
 * zoc_host_get - a link by its number
 * @id: its number
 *
 * Return: the link, or NULL.
 */
struct zoc_host *zoc_host_get(unsigned int id)
{
	struct zoc_host *host;

	list_for_each_entry(host, &zoc_hosts, node)
		if (host->id == id)
			return host;
	return NULL;
}

/**
 * zoc_host_next - walk the links in the order of their numbers
 * @host: the last one, or NULL for the first
 *
 * Return: the next link, or NULL.
 */
struct zoc_host *zoc_host_next(struct zoc_host *host)
{
	struct list_head *next = host ? host->node.next : zoc_hosts.next;

	return next == &zoc_hosts ? NULL :
	       list_entry(next, struct zoc_host, node);
}

/* The next SIZE@ADDR of the parameter at *@p, which moves past it. */
static int zoc_parse_aperture(char **p, phys_addr_t *base, size_t *size)
{
	char *at;

	*size = memparse(*p, &at);
	if (*at != '@')
		return -EINVAL;
	*base = memparse(at + 1, &at);
	if (*at == ',')
		at++;
	else if (*at && *at != '\n')
		return -EINVAL;
	*p = at;
	if (!*size || !PAGE_ALIGNED(*base) || !PAGE_ALIGNED(*size) ||
	    *size < ZOC_LINK_AREA_SIZE || *base + *size < *base)
		return -EINVAL;
	return 0;
}

/* A link: its host end, its bare-metal transport device, its bus. */
static int zoc_host_add(unsigned int id, phys_addr_t base, size_t size)
{
	struct zoc_host *host;
	int ret;

	host = zoc_host_link_init(id, base, size, zoc_debugfs);
	if (IS_ERR(host))
		return PTR_ERR(host);
	ret = zoc_host_chardev_add(host);
	if (ret)
		goto out_link;
	ret = zoc_host_bus_init(host);
	if (ret)
		goto out_chardev;
	list_add_tail(&host->node, &zoc_hosts);
	return 0;

out_chardev:
	zoc_host_chardev_remove(host);
out_link:
	zoc_host_link_exit(host);
	return ret;
}

static void zoc_host_remove(struct zoc_host *host)
{
	list_del(&host->node);
	zoc_host_bus_exit(host);
	zoc_host_chardev_remove(host);
	zoc_host_link_exit(host);
}

static void zoc_host_remove_all(void)
{
	while (!list_empty(&zoc_hosts))
		zoc_host_remove(list_last_entry(&zoc_hosts, struct zoc_host,
						node));
}

static int zoc_host_add_all(void)
{
	char *p = aperture;
	unsigned int id;
	phys_addr_t base;
	size_t size;
	int ret;

	for (id = 0; p && *p && *p != '\n'; id++) {
		if (id == ZOC_HOST_MAX_LINKS ||
		    zoc_parse_aperture(&p, &base, &size)) {
			pr_err("zoc: aperture=SIZE@ADDR[,SIZE@ADDR...] (page aligned, at most %d), got '%s'\n",
			       ZOC_HOST_MAX_LINKS, aperture);
			return -EINVAL;
		}
		ret = zoc_host_add(id, base, size);
		if (ret)
			return ret;
	}
	if (!id) {
		pr_err("zoc: aperture=SIZE@ADDR is required\n");
		return -EINVAL;
	}
	return 0;
}

static int __init zoc_host_init(void)
{
	struct zoc_host *host;
	int ret;

	zoc_debugfs = debugfs_create_dir("zoc", NULL);
	ret = zoc_host_chardev_init();
	if (ret)
		goto out_debugfs;
	ret = zoc_host_add_all();
	if (ret)
		goto out_hosts;
	ret = zoc_host_ivshmem_init();
	if (ret)
		goto out_hosts;
	ret = zoc_host_netlink_init();
	if (ret)
		goto out_ivshmem;
	list_for_each_entry(host, &zoc_hosts, node)
		zoc_host_link_start(host);
	return 0;

out_ivshmem:
	zoc_host_ivshmem_exit();
out_hosts:
	zoc_host_remove_all();
	zoc_host_chardev_exit();
out_debugfs:
	debugfs_remove(zoc_debugfs);
	return ret;
}

static void __exit zoc_host_exit(void)
{
	struct zoc_host *host;

	/*
	 * Not a mirror of init, but first: the functions go while their
	 * links still carry the service VM's acknowledgment that each model
	 * is done with host memory.  Management is gone before, so that
	 * nothing adds one meanwhile.
	 */
	zoc_host_netlink_exit();
	list_for_each_entry_reverse(host, &zoc_hosts, node)
		zoc_host_bus_drain(host);
	list_for_each_entry_reverse(host, &zoc_hosts, node)
		zoc_host_link_stop(host);
	zoc_host_ivshmem_exit();
	zoc_host_remove_all();
	zoc_host_chardev_exit();
	debugfs_remove(zoc_debugfs);
}

module_init(zoc_host_init);
module_exit(zoc_host_exit);
MODULE_DESCRIPTION("ZOC host: virtual PCI buses and links to service VMs");
MODULE_LICENSE("GPL");
