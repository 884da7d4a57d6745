// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtual PCI bus: a host bridge in its own PCI domain whose functions
 * are served by the service VM.
 *
 * This file is the bridge and its functions' configuration space, emulated
 * from their device images.  The MSI irq domain is in msi.c, BAR0 in
 * bar.c, the life of the functions in dev.c.
 */

#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/irq_work.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>
#include <asm/unaligned.h>

#include "zoc_host.h"
#include "bus.h"

#define ZOC_BUS_WINDOW_OFF	SZ_2M		/* BARs: past the link area */

static_assert(ZOC_LINK_AREA_SIZE <= ZOC_BUS_WINDOW_OFF);

static int domain = 0x5a0c;
module_param(domain, int, 0444);
MODULE_PARM_DESC(domain, "PCI domain of the virtual bus (below 0x10000)");

/* --- configuration space ------------------------------------------------ */

static struct zoc_vfn *zoc_bus_fn(struct pci_bus *bus, unsigned int devfn)
{
	struct zoc_vfn *fn;

	if (bus->number || PCI_FUNC(devfn))
		return NULL;
	fn = &zoc_bus_of(bus)->fn[PCI_SLOT(devfn)];
	return fn->present ? fn : NULL;
}

static int zoc_bus_read(struct pci_bus *bus, unsigned int devfn, int where,
			int size, u32 *val)
{
	struct zoc_bus *b = zoc_bus_of(bus);
	struct zoc_vfn *fn;
	unsigned long flags;

	raw_spin_lock_irqsave(&b->cfg_lock, flags);
	fn = zoc_bus_fn(bus, devfn);
	/*
	 * A dead function is not there any more: all ones, which is how
	 * drivers (pci_device_is_present()) tell a surprise removal.
	 */
	if (!fn || READ_ONCE(fn->dead) || where + size > ZOC_BUS_CFG_SIZE) {
		raw_spin_unlock_irqrestore(&b->cfg_lock, flags);
		*val = ~0U;
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	*val = 0;
	memcpy(val, fn->cfg + where, size);
	*val = le32_to_cpu((__force __le32)*val);
	raw_spin_unlock_irqrestore(&b->cfg_lock, flags);
	return PCIBIOS_SUCCESSFUL;
}

/*
 * MSI-X message control: only enable and function mask are writable.
 * Under the function's MSI-X lock too, which the interrupt path reads it
 * under.
 */
static void zoc_vfn_msix_ctrl(struct zoc_vfn *fn, u16 val)
{
	u8 *ctrl = fn->cfg + ZOC_BUS_MSIX_CAP + PCI_MSIX_FLAGS;
	u16 old;

	raw_spin_lock(&fn->msix_lock);
	old = get_unaligned_le16(ctrl);
	val = (old & ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)) |
	      (val & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL));
	put_unaligned_le16(val, ctrl);
	raw_spin_unlock(&fn->msix_lock);
}

/* Only what a real function lets change: command bits, BAR0, MSI-X control. */
static int zoc_bus_write(struct pci_bus *bus, unsigned int devfn, int where,
			 int size, u32 val)
{
	struct zoc_bus *b = zoc_bus_of(bus);
	struct zoc_vfn *fn;
	unsigned long flags;
	bool replay = false;
	u32 bar;

	raw_spin_lock_irqsave(&b->cfg_lock, flags);
	fn = zoc_bus_fn(bus, devfn);
	if (!fn || where + size > ZOC_BUS_CFG_SIZE) {
		raw_spin_unlock_irqrestore(&b->cfg_lock, flags);
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	if (where == PCI_COMMAND && size >= 2) {
		val &= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		       PCI_COMMAND_INTX_DISABLE;
		put_unaligned_le16(val, fn->cfg + PCI_COMMAND);
	} else if (where == PCI_BASE_ADDRESS_0 && size == 4) {
		/* Sizing writes all ones; the address bits below size read 0. */
		bar = (val & ~(fn->bar_size - 1)) | PCI_BASE_ADDRESS_MEM_TYPE_64;
		put_unaligned_le32(bar, fn->cfg + PCI_BASE_ADDRESS_0);
	} else if (where == PCI_BASE_ADDRESS_1 && size == 4) {
		put_unaligned_le32(val, fn->cfg + PCI_BASE_ADDRESS_1);
	} else if (fn->image.msix_vectors &&
		   ((where == ZOC_BUS_MSIX_CAP + PCI_MSIX_FLAGS && size >= 2) ||
		    (where == ZOC_BUS_MSIX_CAP && size == 4))) {
		/* Over the capability's header, which is read-only, too */
		zoc_vfn_msix_ctrl(fn, where == ZOC_BUS_MSIX_CAP ? val >> 16 : val);
		replay = true;
	}
	raw_spin_unlock_irqrestore(&b->cfg_lock, flags);
	if (replay)
		zoc_vfn_msix_replay(fn);
	return PCIBIOS_SUCCESSFUL;
}

/* The configuration space of @fn, from its image. */
void zoc_vfn_build_cfg(struct zoc_vfn *fn)
{
	const struct zoc_dev_image *img = &fn->image;
	u8 *cfg = fn->cfg;
	u16 vectors = le16_to_cpu(img->msix_vectors);

	memset(cfg, 0, ZOC_BUS_CFG_SIZE);
	put_unaligned_le16(le16_to_cpu(img->vendor), cfg + PCI_VENDOR_ID);
	put_unaligned_le16(le16_to_cpu(img->device), cfg + PCI_DEVICE_ID);
	put_unaligned_le32(le32_to_cpu(img->class), cfg + PCI_CLASS_REVISION);
	put_unaligned_le16(le16_to_cpu(img->subsystem_vendor),
			   cfg + PCI_SUBSYSTEM_VENDOR_ID);
	put_unaligned_le16(le16_to_cpu(img->subsystem_device),
			   cfg + PCI_SUBSYSTEM_ID);
	/* Assigned here, as firmware would: see lab.md on e820 clipping. */
	put_unaligned_le32(lower_32_bits(fn->bar) | PCI_BASE_ADDRESS_MEM_TYPE_64,
			   cfg + PCI_BASE_ADDRESS_0);
	put_unaligned_le32(upper_32_bits(fn->bar), cfg + PCI_BASE_ADDRESS_1);
	if (vectors) {
		cfg[ZOC_BUS_MSIX_CAP + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSIX;
		put_unaligned_le16(vectors - 1,
				   cfg + ZOC_BUS_MSIX_CAP + PCI_MSIX_FLAGS);
		put_unaligned_le32(le32_to_cpu(img->msix_table),
				   cfg + ZOC_BUS_MSIX_CAP + PCI_MSIX_TABLE);
		put_unaligned_le32(le32_to_cpu(img->msix_pba),
				   cfg + ZOC_BUS_MSIX_CAP + PCI_MSIX_PBA);
		zoc_cfg_link_cap(cfg, ZOC_BUS_MSIX_CAP);
	}
	zoc_image_vendor_caps(img, cfg);
}

static struct pci_ops zoc_bus_ops = {
	.read = zoc_bus_read,
	.write = zoc_bus_write,
};

/* --- the bridge ---------------------------------------------------------- */

/**
 * zoc_host_bus_init - the virtual PCI bus of a link
 * @host: the host end of the link, its aperture claimed
 *
 * The bus's PCI domain is the module parameter plus the link's number, its
 * bridge a child of the link's device, its BARs in the link's aperture past
 * the link area.
 *
 * Return: 0 or a negative errno.
 */
int zoc_host_bus_init(struct zoc_host *host)
{
	struct resource *aperture = &host->aperture;
	int nr = domain + host->id;
	struct zoc_bus *b;
	unsigned int slot;
	int ret;

	if (domain < 0 || nr > 0xffff || pci_find_bus(nr, 0))
		return -EBUSY;
	if (resource_size(aperture) < ZOC_BUS_WINDOW_OFF +
	    ZOC_BUS_SLOTS * ZOC_BUS_BAR_STRIDE)
		return -ENOSPC;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->host = host;
	b->link = &host->link;
	raw_spin_lock_init(&b->cfg_lock);
	mutex_init(&b->mutex);
	init_irq_work(&b->irq_work, zoc_bus_irq_work);
	INIT_WORK(&b->ack_work, zoc_bus_ack_work);
	zoc_bus_outage_init(b);
	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++) {
		b->fn[slot].bus = b;
		b->fn[slot].slot = slot;
		b->fn[slot].page = zoc_link_dev_page(b->link, slot);
		raw_spin_lock_init(&b->fn[slot].msix_lock);
		zoc_vfn_dma_init(&b->fn[slot]);
		INIT_WORK(&b->fn[slot].gone_work, zoc_vfn_gone_work);
		INIT_DELAYED_WORK(&b->fn[slot].probe_watchdog,
				  zoc_vfn_probe_watchdog);
	}
	b->window.name = "zoc bus";
	b->window.start = aperture->start + ZOC_BUS_WINDOW_OFF;
	b->window.end = b->window.start + ZOC_BUS_SLOTS * ZOC_BUS_BAR_STRIDE - 1;
	b->window.flags = IORESOURCE_MEM;
	ret = insert_resource(aperture, &b->window);
	if (ret)
		goto out_free;
	b->busn.name = "zoc bus numbers";
	b->busn.flags = IORESOURCE_BUS;
	b->sd.domain = nr;
	b->sd.node = NUMA_NO_NODE;
	ret = zoc_bus_msi_init(b);
	if (ret)
		goto out_release;

	b->bridge = pci_alloc_host_bridge(0);
	if (!b->bridge) {
		ret = -ENOMEM;
		goto out_msi;
	}
	b->bridge->dev.parent = &host->pdev->dev;
	b->bridge->sysdata = &b->sd;
	b->bridge->ops = &zoc_bus_ops;
	b->bridge->busnr = 0;
	pci_add_resource(&b->bridge->windows, &b->window);
	pci_add_resource(&b->bridge->windows, &b->busn);
	/* The bus inherits it: its functions' MSI-X go through us. */
	dev_set_msi_domain(&b->bridge->dev, b->msi);
	host->bus = b;

	pci_lock_rescan_remove();
	ret = pci_scan_root_bus_bridge(b->bridge);
	if (!ret)
		pci_bus_add_devices(b->bridge->bus);
	pci_unlock_rescan_remove();
	if (ret)
		goto out_bridge;
	zoc_bus_dma_debugfs(b, host->dir);
	dev_info(&host->pdev->dev, "virtual PCI bus %04x:00, BARs in %pR\n", nr,
		 &b->window);
	return 0;

out_bridge:
	host->bus = NULL;
	pci_free_host_bridge(b->bridge);
out_msi:
	zoc_bus_msi_exit(b);
out_release:
	release_resource(&b->window);
out_free:
	kfree(b);
	return ret;
}

/**
 * zoc_host_bus_drain - take every function off the bus
 * @host: the host end of the link, still up
 *
 * Called while the link still carries requests, so that the service VM
 * destroys each model (drained, done with host memory) before its
 * driver's remove frees what the model could still write.
 */
void zoc_host_bus_drain(struct zoc_host *host)
{
	struct zoc_bus *b = host->bus;
	unsigned int slot;

	if (!b)
		return;
	mutex_lock(&b->mutex);
	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++)
		if (b->fn[slot].present)
			zoc_bus_unplug(b, &b->fn[slot]);
	/* And those gone before: a last chance to get their pages back. */
	zoc_bus_ack(b);
	mutex_unlock(&b->mutex);
}

/**
 * zoc_host_bus_exit - undo zoc_host_bus_init()
 * @host: the host end of the link
 *
 * The link's tick is stopped: nothing marks functions gone any more.
 */
void zoc_host_bus_exit(struct zoc_host *host)
{
	struct zoc_bus *b = host->bus;
	unsigned int slot;

	if (!b)
		return;
	debugfs_remove(b->dma_debugfs);
	zoc_bus_outage_exit(b);
	/* Drained already on unload; what an error path left goes here. */
	zoc_host_bus_drain(host);
	cancel_work_sync(&b->ack_work);
	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++) {
		cancel_delayed_work_sync(&b->fn[slot].probe_watchdog);
		cancel_work_sync(&b->fn[slot].gone_work);
	}
	irq_work_sync(&b->irq_work);
	pci_lock_rescan_remove();
	pci_stop_root_bus(b->bridge->bus);
	pci_remove_root_bus(b->bridge->bus);
	pci_unlock_rescan_remove();
	/* The drivers' last reads and replays may have queued it again */
	irq_work_sync(&b->irq_work);
	/*
	 * No driver is left to free anything: what is held stays held,
	 * unless no service VM can reach it any more.
	 */
	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++) {
		if (zoc_host_chardev_svm_gone(host))
			zoc_vfn_dma_release(&b->fn[slot]);
		else
			zoc_vfn_dma_leak(&b->fn[slot]);
		zoc_vfn_dma_exit(&b->fn[slot]);
	}
	zoc_bus_msi_exit(b);
	release_resource(&b->window);
	host->bus = NULL;
	kfree(b);
}
