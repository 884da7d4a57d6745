// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC NVMe controller model: the module.  Its parameters and the model's
 * registration with the I/O proxy.
 */

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "../../zoc_proxy.h"
#include "nvme.h"

ushort zoc_nvme_vendor = 0x1af4;
module_param_named(vendor, zoc_nvme_vendor, ushort, 0444);
MODULE_PARM_DESC(vendor,
		 "PCI vendor ID of the controllers; an operator sets its own");

ushort zoc_nvme_device = 0x10f4;
module_param_named(device, zoc_nvme_device, ushort, 0444);
MODULE_PARM_DESC(device, "PCI device ID of the controllers");

static int __init zoc_nvme_init(void)
{
	return zoc_proxy_register_model(&zoc_nvme_model);
}

static void __exit zoc_nvme_exit(void)
{
	zoc_proxy_unregister_model(&zoc_nvme_model);
}

module_init(zoc_nvme_init);
module_exit(zoc_nvme_exit);
MODULE_DESCRIPTION("ZOC NVMe controller model");
MODULE_LICENSE("GPL");
