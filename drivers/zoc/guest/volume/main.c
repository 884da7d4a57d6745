// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC volumes: the module.  It keeps the provider's list of volumes apart
 * from zoc_guest, so that a new zoc_guest (a proxy replaced in place)
 * finds the list as the firmware left it.
 */

#include <linux/init.h>
#include <linux/module.h>

#include "volume.h"

static int __init zoc_volume_init(void)
{
	return zoc_volume_register();
}

static void __exit zoc_volume_exit(void)
{
	zoc_volume_unregister();
}

module_init(zoc_volume_init);
module_exit(zoc_volume_exit);
MODULE_DESCRIPTION("ZOC volumes: the disks the host may ask for");
MODULE_LICENSE("GPL");
