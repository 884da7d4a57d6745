// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC service VM module.  Each ivshmem-doorbell function gets a link
 * endpoint of its own and an I/O proxy registered with it: the endpoint is
 * set up, then its proxy, then the endpoint starts taking doorbells; a
 * removal undoes that in the exact reverse order.  The module itself only
 * shows the endpoints in debugfs and registers the PCI driver, and
 * unregisters it first; its standby parameter makes the endpoints wait for
 * the service VM holding their links to leave them (link.rst).
 */

#include <linux/err.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "../link/ivshmem.h"
#include "zoc_guest.h"

static unsigned long aperture;
module_param(aperture, ulong, 0444);
MODULE_PARM_DESC(aperture, "host physical address of the aperture");

static bool standby;

static int zoc_guest_standby_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_bool(val, kp);

	if (!ret)
		zoc_guest_links_set_standby(standby);
	return ret;
}

static const struct kernel_param_ops zoc_guest_standby_ops = {
	.set = zoc_guest_standby_set,
	.get = param_get_bool,
};
module_param_cb(standby, &zoc_guest_standby_ops, &standby, 0644);
MODULE_PARM_DESC(standby,
		 "take the link only once the service VM holding it leaves (1); writing 0 takes it at once");

/**
 * struct zoc_guest - what one ivshmem-doorbell function serves
 * @ep: its link endpoint
 * @proxy: the I/O proxy registered with @ep
 */
struct zoc_guest {
	struct zoc_guest_link *ep;
	struct zoc_proxy *proxy;
};

static int zoc_guest_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct zoc_guest *zg;
	int ret;

	zg = devm_kzalloc(&pdev->dev, sizeof(*zg), GFP_KERNEL);
	if (!zg)
		return -ENOMEM;
	zg->ep = zoc_guest_link_create(pdev, aperture);
	if (IS_ERR(zg->ep))
		return PTR_ERR(zg->ep);
	zg->proxy = zoc_proxy_create(zg->ep);
	if (IS_ERR(zg->proxy)) {
		ret = PTR_ERR(zg->proxy);
		goto out_link;
	}
	ret = zoc_guest_link_start(zg->ep);
	if (ret)
		goto out_proxy;
	pci_set_drvdata(pdev, zg);
	return 0;

out_proxy:
	zoc_proxy_destroy(zg->proxy);
out_link:
	zoc_guest_link_destroy(zg->ep);
	return ret;
}

static void zoc_guest_remove(struct pci_dev *pdev)
{
	struct zoc_guest *zg = pci_get_drvdata(pdev);

	zoc_guest_link_stop(zg->ep);
	zoc_proxy_destroy(zg->proxy);
	zoc_guest_link_destroy(zg->ep);
}

static const struct pci_device_id zoc_guest_ids[] = {
	{ PCI_DEVICE(ZOC_IVSHMEM_VENDOR, ZOC_IVSHMEM_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, zoc_guest_ids);

static struct pci_driver zoc_guest_driver = {
	.name = "zoc-guest",
	.id_table = zoc_guest_ids,
	.probe = zoc_guest_probe,
	.remove = zoc_guest_remove,
};

static int __init zoc_guest_init(void)
{
	int ret;

	zoc_guest_links_init();
	ret = pci_register_driver(&zoc_guest_driver);
	if (ret)
		zoc_guest_links_exit();
	return ret;
}

static void __exit zoc_guest_exit(void)
{
	pci_unregister_driver(&zoc_guest_driver);
	zoc_guest_links_exit();
}

module_init(zoc_guest_init);
module_exit(zoc_guest_exit);

MODULE_DESCRIPTION("ZOC service VM: link endpoints and their I/O proxies");
MODULE_LICENSE("GPL");
