// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtio device models (zoc_virtio): the module registers its device
 * types with the I/O proxy, virtio-blk then virtio-net, and withdraws them
 * in the reverse order.
 */

#include <linux/init.h>
#include <linux/module.h>

#include "virtio.h"

static int __init zoc_virtio_init(void)
{
	int ret;

	ret = zoc_virtio_blk_init();
	if (ret)
		return ret;
	ret = zoc_virtio_net_init();
	if (ret)
		zoc_virtio_blk_exit();
	return ret;
}

static void __exit zoc_virtio_exit(void)
{
	zoc_virtio_net_exit();
	zoc_virtio_blk_exit();
}

module_init(zoc_virtio_init);
module_exit(zoc_virtio_exit);
MODULE_DESCRIPTION("ZOC virtio-pci device models");
MODULE_LICENSE("GPL");
