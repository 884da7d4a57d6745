// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC NVMe controller model: the module.  Its parameters, the cache of
 * commands, and the model's registration with the I/O proxy.
 */

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "../../zoc_proxy.h"
#include "nvme.h"

ushort zoc_nvme_vendor = 0x1af4;
module_param_named(vendor, zoc_nvme_vendor, ushort, 0444);
MODULE_PARM_DESC(vendor,
		 "PCI vendor ID of the controllers; an operator sets its own");

ushort zoc_nvme_device = 0x10f4;
module_param_named(device, zoc_nvme_device, ushort, 0444);
MODULE_PARM_DESC(device, "PCI device ID of the controllers");

struct kmem_cache *zoc_nvme_cmd_cache;

static int __init zoc_nvme_init(void)
{
	int ret;

	zoc_nvme_cmd_cache = KMEM_CACHE(zoc_nvme_cmd, 0);
	if (!zoc_nvme_cmd_cache)
		return -ENOMEM;
	ret = zoc_proxy_register_model(&zoc_nvme_model);
	if (ret)
		kmem_cache_destroy(zoc_nvme_cmd_cache);
	return ret;
}

static void __exit zoc_nvme_exit(void)
{
	zoc_proxy_unregister_model(&zoc_nvme_model);
	kmem_cache_destroy(zoc_nvme_cmd_cache);
}

module_init(zoc_nvme_init);
module_exit(zoc_nvme_exit);
MODULE_DESCRIPTION("ZOC NVMe controller model");
MODULE_LICENSE("GPL");
