// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC host module: the host end of the link over the aperture, its
 * transports, the virtual bus and the management interface, then the
 * link's tick; torn down in the exact reverse order.
 */

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "zoc_host.h"

static char *aperture;
module_param(aperture, charp, 0444);
MODULE_PARM_DESC(aperture, "reserved physical range of the bus, SIZE@ADDR");

static struct zoc_host *zoc_host_main;

static int zoc_parse_aperture(phys_addr_t *base, size_t *size)
{
	char *at;

	if (!aperture)
		return -EINVAL;
	*size = memparse(aperture, &at);
	if (*at != '@')
		return -EINVAL;
	*base = memparse(at + 1, &at);
	if (*at && *at != '\n')
		return -EINVAL;
	if (!*size || !PAGE_ALIGNED(*base) || !PAGE_ALIGNED(*size) ||
	    *size < ZOC_LINK_AREA_SIZE || *base + *size < *base)
		return -EINVAL;
	return 0;
}

static int __init zoc_host_init(void)
{
	struct zoc_host *host;
	phys_addr_t base;
	size_t size;
	int ret;

	if (zoc_parse_aperture(&base, &size)) {
		pr_err("zoc: aperture=SIZE@ADDR (page aligned) is required, got '%s'\n",
		       aperture ?: "");
		return -EINVAL;
	}
	host = zoc_host_link_init(base, size);
	if (IS_ERR(host))
		return PTR_ERR(host);
	ret = zoc_host_chardev_init();
	if (ret)
		goto out_link;
	ret = zoc_host_ivshmem_init();
	if (ret)
		goto out_chardev;
	ret = zoc_host_bus_init(&host->aperture, host->dir);
	if (ret)
		goto out_ivshmem;
	ret = zoc_host_netlink_init();
	if (ret)
		goto out_bus;
	zoc_host_main = host;
	zoc_host_link_start(host);
	return 0;

out_bus:
	zoc_host_bus_exit();
out_ivshmem:
	zoc_host_ivshmem_exit();
out_chardev:
	zoc_host_chardev_exit();
out_link:
	zoc_host_link_exit(host);
	return ret;
}

static void __exit zoc_host_exit(void)
{
	struct zoc_host *host = zoc_host_main;

	zoc_host_link_stop(host);
	zoc_host_netlink_exit();
	zoc_host_bus_exit();
	zoc_host_ivshmem_exit();
	zoc_host_chardev_exit();
	zoc_host_link_exit(host);
}

module_init(zoc_host_init);
module_exit(zoc_host_exit);
MODULE_DESCRIPTION("ZOC host: virtual PCI bus and link to the service VM");
MODULE_LICENSE("GPL");
