// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtual PCI bus: a host bridge in its own PCI domain whose functions
 * are served by the service VM.  The bus emulates their configuration
 * space; their BARs sit in the aperture, as emulated MMIO regions whose
 * accesses are forwarded over the link (the "forward" policy: writes
 * posted, reads polled for their reply).  A read that gets no reply in
 * time returns all ones and marks the function dead, as a surprise-removed
 * PCIe device would.
 *
 * This first cut has one 64-bit memory BAR per function and no MSI-X;
 * functions are added and removed through debugfs.
 */

#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/zoc_link.h>
#include <asm/mmio_emul.h>
#include <asm/unaligned.h>

#include "zoc_host.h"

#define ZOC_BUS_SLOTS		32
#define ZOC_BUS_WINDOW_OFF	SZ_1M		/* BARs: past the link area */
#define ZOC_BUS_BAR_SIZE	SZ_16K
#define ZOC_BUS_CFG_SIZE	256
#define ZOC_BUS_READ_NS		(200 * NSEC_PER_MSEC)	/* TCG is slow */

static int domain = 0x5a0c;
module_param(domain, int, 0444);
MODULE_PARM_DESC(domain, "PCI domain of the virtual bus (below 0x10000)");

/**
 * struct zoc_vfn - a function of the bus
 * @region: its BAR0, an emulated MMIO region
 * @cfg: its configuration space
 * @bar: BAR0's physical address
 * @slot: its slot number, also its device id on the link
 * @present: it exists
 * @dead: a read went unanswered: all ones from now on
 * @pdev: the PCI core's device
 */
struct zoc_vfn {
	struct mmio_emul_region region;
	u8 cfg[ZOC_BUS_CFG_SIZE];
	phys_addr_t bar;
	unsigned int slot;
	bool present;
	bool dead;
	struct pci_dev *pdev;
};

/**
 * struct zoc_bus - the virtual bus
 * @bridge: its host bridge
 * @sd: x86 sysdata: the domain
 * @window: the part of the aperture its BARs live in
 * @busn: its bus numbers
 * @cfg_lock: protects the functions' config space; the PCI core calls
 *	pci_ops under its own raw spinlock, so this one is raw too
 * @mutex: serialises hot-plug
 * @fn: the functions, by slot
 * @ctl: its debugfs file
 */
struct zoc_bus {
	struct pci_host_bridge *bridge;
	struct pci_sysdata sd;
	struct resource window;
	struct resource busn;
	raw_spinlock_t cfg_lock;
	/* serialises hot-plug and the BAR test */
	struct mutex mutex;
	struct zoc_vfn fn[ZOC_BUS_SLOTS];
	struct dentry *ctl;
};

static struct zoc_bus *zoc_bus;

static struct zoc_vfn *zoc_bus_fn(struct pci_bus *bus, unsigned int devfn)
{
	struct zoc_vfn *fn;

	if (bus->number || PCI_FUNC(devfn))
		return NULL;
	fn = &zoc_bus->fn[PCI_SLOT(devfn)];
	return fn->present ? fn : NULL;
}

static int zoc_bus_read(struct pci_bus *bus, unsigned int devfn, int where,
			int size, u32 *val)
{
	struct zoc_vfn *fn;
	unsigned long flags;

	raw_spin_lock_irqsave(&zoc_bus->cfg_lock, flags);
	fn = zoc_bus_fn(bus, devfn);
	if (!fn || where + size > ZOC_BUS_CFG_SIZE) {
		raw_spin_unlock_irqrestore(&zoc_bus->cfg_lock, flags);
		*val = ~0U;
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	*val = 0;
	memcpy(val, fn->cfg + where, size);
	*val = le32_to_cpu((__force __le32)*val);
	raw_spin_unlock_irqrestore(&zoc_bus->cfg_lock, flags);
	return PCIBIOS_SUCCESSFUL;
}

/* Only what a real function lets change: command bits and BAR0 sizing. */
static int zoc_bus_write(struct pci_bus *bus, unsigned int devfn, int where,
			 int size, u32 val)
{
	struct zoc_vfn *fn;
	unsigned long flags;
	u32 bar;

	raw_spin_lock_irqsave(&zoc_bus->cfg_lock, flags);
	fn = zoc_bus_fn(bus, devfn);
	if (!fn || where + size > ZOC_BUS_CFG_SIZE) {
		raw_spin_unlock_irqrestore(&zoc_bus->cfg_lock, flags);
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	if (where == PCI_COMMAND && size >= 2) {
		val &= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		       PCI_COMMAND_INTX_DISABLE;
		put_unaligned_le16(val, fn->cfg + PCI_COMMAND);
	} else if (where == PCI_BASE_ADDRESS_0 && size == 4) {
		/* Sizing writes all ones; the address bits below size read 0. */
		bar = (val & ~(ZOC_BUS_BAR_SIZE - 1)) |
		      PCI_BASE_ADDRESS_MEM_TYPE_64;
		put_unaligned_le32(bar, fn->cfg + PCI_BASE_ADDRESS_0);
	} else if (where == PCI_BASE_ADDRESS_1 && size == 4) {
		put_unaligned_le32(val, fn->cfg + PCI_BASE_ADDRESS_1);
	}
	raw_spin_unlock_irqrestore(&zoc_bus->cfg_lock, flags);
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops zoc_bus_ops = {
	.read = zoc_bus_read,
	.write = zoc_bus_write,
};

/* BAR0 accesses: forwarded to the service VM's device model. */
static void zoc_vfn_msg(struct zoc_vfn *fn, struct zoc_msg *msg, u8 type,
			unsigned long offset, unsigned int size, u64 val)
{
	memset(msg, 0, sizeof(*msg));
	msg->hdr.type = type;
	msg->hdr.len = cpu_to_le16(sizeof(msg->mmio));
	msg->hdr.dev = cpu_to_le32(fn->slot);
	msg->mmio.size = size;
	msg->mmio.offset = cpu_to_le64(offset);
	msg->mmio.value = cpu_to_le64(val);
}

static u64 zoc_vfn_read(struct mmio_emul_region *region, unsigned long offset,
			unsigned int size)
{
	struct zoc_vfn *fn = container_of(region, struct zoc_vfn, region);
	struct zoc_msg msg, reply;

	if (READ_ONCE(fn->dead))
		return ~0ULL;
	zoc_vfn_msg(fn, &msg, ZOC_MSG_MMIO_READ, offset, size, 0);
	if (zoc_host_link_call_atomic(&msg, &reply, ZOC_BUS_READ_NS) ||
	    reply.hdr.type != ZOC_MSG_MMIO_REPLY) {
		if (!xchg(&fn->dead, true))
			pr_warn("zoc: %04x:00:%02x.0 does not answer: surprise removal\n",
				domain, fn->slot);
		return ~0ULL;
	}
	if (le32_to_cpu(reply.reply.status) != ZOC_MSG_OK)
		return ~0ULL;
	return le64_to_cpu(reply.reply.value);
}

static void zoc_vfn_write(struct mmio_emul_region *region,
			  unsigned long offset, unsigned int size, u64 val)
{
	struct zoc_vfn *fn = container_of(region, struct zoc_vfn, region);
	struct zoc_msg msg;

	if (READ_ONCE(fn->dead))
		return;
	zoc_vfn_msg(fn, &msg, ZOC_MSG_MMIO_WRITE, offset, size, val);
	zoc_host_link_post(&msg);
}

static const struct mmio_emul_ops zoc_vfn_ops = {
	.read = zoc_vfn_read,
	.write = zoc_vfn_write,
};

/* Add a function in @slot with the given identity; its BAR is ours. */
static int zoc_bus_add(unsigned int slot, u16 vendor, u16 device, u32 class)
{
	struct zoc_vfn *fn = &zoc_bus->fn[slot];
	struct pci_bus *bus = zoc_bus->bridge->bus;
	struct pci_dev *pdev;
	int ret;

	if (fn->present)
		return -EEXIST;
	memset(fn->cfg, 0, sizeof(fn->cfg));
	put_unaligned_le16(vendor, fn->cfg + PCI_VENDOR_ID);
	put_unaligned_le16(device, fn->cfg + PCI_DEVICE_ID);
	put_unaligned_le32(class << 8, fn->cfg + PCI_CLASS_REVISION);
	fn->slot = slot;
	fn->bar = zoc_bus->window.start + slot * ZOC_BUS_BAR_SIZE;
	/* Assigned here, as firmware would: see lab.md on e820 clipping. */
	put_unaligned_le32(lower_32_bits(fn->bar) | PCI_BASE_ADDRESS_MEM_TYPE_64,
			   fn->cfg + PCI_BASE_ADDRESS_0);
	put_unaligned_le32(upper_32_bits(fn->bar), fn->cfg + PCI_BASE_ADDRESS_1);
	fn->dead = false;

	fn->region.start = fn->bar;
	fn->region.size = ZOC_BUS_BAR_SIZE;
	fn->region.ops = &zoc_vfn_ops;
	ret = mmio_emul_register(&fn->region);
	if (ret)
		return ret;

	raw_spin_lock_irq(&zoc_bus->cfg_lock);
	fn->present = true;
	raw_spin_unlock_irq(&zoc_bus->cfg_lock);

	pci_lock_rescan_remove();
	pdev = pci_scan_single_device(bus, PCI_DEVFN(slot, 0));
	if (pdev) {
		pci_bus_claim_resources(bus);
		pci_bus_add_device(pdev);
	}
	pci_unlock_rescan_remove();
	if (!pdev) {
		raw_spin_lock_irq(&zoc_bus->cfg_lock);
		fn->present = false;
		raw_spin_unlock_irq(&zoc_bus->cfg_lock);
		mmio_emul_unregister(&fn->region);
		return -ENODEV;
	}
	fn->pdev = pdev;
	return 0;
}

static int zoc_bus_remove(unsigned int slot)
{
	struct zoc_vfn *fn = &zoc_bus->fn[slot];

	if (!fn->present)
		return -ENOENT;
	pci_stop_and_remove_bus_device_locked(fn->pdev);
	fn->pdev = NULL;
	raw_spin_lock_irq(&zoc_bus->cfg_lock);
	fn->present = false;
	raw_spin_unlock_irq(&zoc_bus->cfg_lock);
	mmio_emul_unregister(&fn->region);
	return 0;
}

/* Write and read back @count registers of BAR0 through a driver's mapping. */
static int zoc_bus_bar_test(unsigned int slot, u32 count)
{
	struct zoc_vfn *fn = &zoc_bus->fn[slot];
	void __iomem *bar;
	int ret = 0;
	u64 val;
	u32 i;

	if (!fn->present)
		return -ENOENT;
	bar = pci_iomap(fn->pdev, 0, 0);
	if (!bar)
		return -ENOMEM;
	for (i = 0; i < count && !ret; i++) {
		val = (u64)get_random_u32() << 32 | i;
		writeq(val, bar + i % 512 * 8);
		if (readq(bar + i % 512 * 8) != val)
			ret = -EIO;
	}
	pci_iounmap(fn->pdev, bar);
	return ret;
}

/*
 * debugfs "bus": "add SLOT VENDOR DEVICE CLASS", "remove SLOT",
 * "bar_test SLOT COUNT".
 */
static ssize_t zoc_bus_ctl_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	unsigned int slot, vendor, device, class, n;
	char buf[96];
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&zoc_bus->mutex);
	if (sscanf(buf, "add %u %x %x %x", &slot, &vendor, &device, &class) == 4)
		ret = slot < ZOC_BUS_SLOTS && vendor <= 0xffff && device <= 0xffff ?
		      zoc_bus_add(slot, vendor, device, class & 0xffffff) :
		      -EINVAL;
	else if (sscanf(buf, "remove %u", &slot) == 1)
		ret = slot < ZOC_BUS_SLOTS ? zoc_bus_remove(slot) : -EINVAL;
	else if (sscanf(buf, "bar_test %u %u", &slot, &n) == 2)
		ret = slot < ZOC_BUS_SLOTS ? zoc_bus_bar_test(slot, n) : -EINVAL;
	else
		ret = -EINVAL;
	mutex_unlock(&zoc_bus->mutex);
	return ret ? ret : count;
}

static const struct file_operations zoc_bus_ctl_fops = {
	.owner = THIS_MODULE,
	.write = zoc_bus_ctl_write,
	.llseek = noop_llseek,
};

int zoc_host_bus_init(struct resource *aperture, struct dentry *dir)
{
	struct zoc_bus *b;
	int ret;

	if (domain < 0 || domain > 0xffff || pci_find_bus(domain, 0))
		return -EBUSY;
	if (resource_size(aperture) < ZOC_BUS_WINDOW_OFF +
	    ZOC_BUS_SLOTS * ZOC_BUS_BAR_SIZE)
		return -ENOSPC;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	raw_spin_lock_init(&b->cfg_lock);
	mutex_init(&b->mutex);
	b->window.name = "zoc bus";
	b->window.start = aperture->start + ZOC_BUS_WINDOW_OFF;
	b->window.end = b->window.start + ZOC_BUS_SLOTS * ZOC_BUS_BAR_SIZE - 1;
	b->window.flags = IORESOURCE_MEM;
	ret = insert_resource(aperture, &b->window);
	if (ret)
		goto out_free;
	b->busn.name = "zoc bus numbers";
	b->busn.flags = IORESOURCE_BUS;
	b->sd.domain = domain;
	b->sd.node = NUMA_NO_NODE;

	b->bridge = pci_alloc_host_bridge(0);
	if (!b->bridge) {
		ret = -ENOMEM;
		goto out_release;
	}
	b->bridge->sysdata = &b->sd;
	b->bridge->ops = &zoc_bus_ops;
	b->bridge->busnr = 0;
	pci_add_resource(&b->bridge->windows, &b->window);
	pci_add_resource(&b->bridge->windows, &b->busn);
	zoc_bus = b;

	pci_lock_rescan_remove();
	ret = pci_scan_root_bus_bridge(b->bridge);
	if (!ret)
		pci_bus_add_devices(b->bridge->bus);
	pci_unlock_rescan_remove();
	if (ret)
		goto out_bridge;
	b->ctl = debugfs_create_file("bus", 0200, dir, b, &zoc_bus_ctl_fops);
	pr_info("zoc: virtual PCI bus %04x:00, BARs in %pR\n", domain, &b->window);
	return 0;

out_bridge:
	zoc_bus = NULL;
	pci_free_host_bridge(b->bridge);
out_release:
	release_resource(&b->window);
out_free:
	kfree(b);
	return ret;
}

void zoc_host_bus_exit(void)
{
	struct zoc_bus *b = zoc_bus;
	unsigned int slot;

	if (!b)
		return;
	debugfs_remove(b->ctl);
	mutex_lock(&b->mutex);
	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++)
		if (b->fn[slot].present)
			zoc_bus_remove(slot);
	mutex_unlock(&b->mutex);
	pci_lock_rescan_remove();
	pci_stop_root_bus(b->bridge->bus);
	pci_remove_root_bus(b->bridge->bus);
	pci_unlock_rescan_remove();
	release_resource(&b->window);
	zoc_bus = NULL;
	kfree(b);
}
