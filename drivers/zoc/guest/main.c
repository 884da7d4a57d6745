// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC service VM module: the I/O proxy first, then the link endpoint that
 * feeds it; torn down in the reverse order.
 */

#include <linux/module.h>

#include "zoc_guest.h"

static int __init zoc_guest_init(void)
{
	int ret;

	ret = zoc_proxy_init();
	if (ret)
		return ret;
	ret = zoc_guest_link_init();
	if (ret)
		goto out_proxy;
	return 0;

out_proxy:
	zoc_proxy_exit();
	return ret;
}

static void __exit zoc_guest_exit(void)
{
	zoc_guest_link_exit();
	zoc_proxy_exit();
}

module_init(zoc_guest_init);
module_exit(zoc_guest_exit);

MODULE_DESCRIPTION("ZOC service VM: link endpoint and I/O proxy");
MODULE_LICENSE("GPL");
