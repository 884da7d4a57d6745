// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtual PCI bus: a host bridge in its own PCI domain whose functions
 * are served by the service VM.
 *
 * A function is created by asking the service VM's I/O proxy for a device
 * (ZOC_CTRL_DEV_CREATE); the proxy answers with a device image in the
 * slot's device page: IDs, class, BAR0 size, MSI-X vectors and the policy
 * of each range of BAR0.  The bus emulates the configuration space from
 * that image, assigns BAR0 inside the aperture and makes it an emulated
 * MMIO region whose accesses it serves by policy:
 *
 * - forward: writes posted over the link, reads polled for their reply;
 * - shadow: reads served from the register shadow the proxy keeps current
 *   in the device page, writes forwarded;
 * - doorbell: 32-bit writes stored in the device page, one message sent
 *   until the proxy took them (coalesced);
 * - the MSI-X table and PBA: kept by the bus itself.
 *
 * Interrupt messages from the proxy raise the function's MSI-X vectors
 * through the bus's own MSI irq domain, honouring the mask bits.  A read
 * that gets no reply in time, or the loss of the link, makes the function
 * read all ones and removes it from the PCI core, as a surprise-removed
 * PCIe device would be; it stays listed as gone until deleted.
 */

#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/irq_work.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>
#include <asm/mmio_emul.h>
#include <asm/unaligned.h>

#include "zoc_host.h"

#define ZOC_BUS_SLOTS		ZOC_LINK_MAX_DEVS
#define ZOC_BUS_WINDOW_OFF	SZ_1M		/* BARs: past the link area */
#define ZOC_BUS_BAR_MIN_SHIFT	12
#define ZOC_BUS_BAR_MAX_SHIFT	18
#define ZOC_BUS_BAR_STRIDE	BIT(ZOC_BUS_BAR_MAX_SHIFT)
#define ZOC_BUS_CFG_SIZE	256
#define ZOC_BUS_MSIX_CAP	0x40
#define ZOC_BUS_VCAPS		0x50	/* the image's vendor capabilities */
#define ZOC_BUS_VECTORS		64
#define ZOC_BUS_MSI_ADDR	0xfee00000
#define ZOC_BUS_READ_NS		(200 * NSEC_PER_MSEC)	/* TCG is slow */
#define ZOC_BUS_CTRL_TIMEOUT	(10 * HZ)
#define ZOC_BUS_DEF_QUEUES_MAX	31	/* what 64 doorbells allow NVMe */

static_assert(ZOC_BUS_VECTORS == BITS_PER_LONG);
static_assert(ZOC_LINK_DEV_PAGES + ZOC_BUS_SLOTS * ZOC_LINK_DEV_PAGE_SIZE <=
	      ZOC_LINK_AREA_SIZE);

static int domain = 0x5a0c;
module_param(domain, int, 0444);
MODULE_PARM_DESC(domain, "PCI domain of the virtual bus (below 0x10000)");

/**
 * struct zoc_vfn - a function of the bus
 * @region: its BAR0, an emulated MMIO region
 * @cfg: its configuration space
 * @image: the validated copy of its device image
 * @page: its device page, shared with the service VM
 * @bar: BAR0's physical address
 * @bar_size: BAR0's size
 * @slot: its slot number, also its device number on the link
 * @name: its name
 * @backend: its backend in the service VM
 * @net: a network device's identity
 * @link_up: a network device's link as the administrator set it
 * @queues: queue pairs asked for
 * @flags: ZOC_DEV_F_* asked for
 * @present: it exists
 * @dead: the service VM stopped answering: all ones from now on
 * @pdev: the PCI core's device, NULL once removed
 * @gone_work: removes @pdev once @dead
 * @msix_lock: protects @msix and @pba against the interrupt path
 * @msix: the MSI-X table: address low, high, data, vector control
 * @pba: pending bits of masked vectors
 * @irq_note: vectors the service VM raised, not delivered yet
 * @stats: enum zoc_stat counters kept by the bus
 */
struct zoc_vfn {
	struct mmio_emul_region region;
	u8 cfg[ZOC_BUS_CFG_SIZE];
	struct zoc_dev_image image;
	struct zoc_dev_page *page;
	phys_addr_t bar;
	u32 bar_size;
	unsigned int slot;
	char name[ZOC_DEV_NAME_LEN];
	char backend[ZOC_DEV_NAME_LEN];
	struct zoc_ctrl_net net;
	bool link_up;
	u32 queues;
	u32 flags;
	bool present;
	bool dead;
	struct pci_dev *pdev;
	struct work_struct gone_work;
	/* the trapped table writes and the interrupt path race */
	raw_spinlock_t msix_lock;
	u32 msix[ZOC_BUS_VECTORS][4];
	unsigned long pba;
	unsigned long irq_note;
	atomic64_t stats[__ZOC_STAT_MAX];
};

/**
 * struct zoc_bus - the virtual bus
 * @bridge: its host bridge
 * @sd: x86 sysdata: the domain
 * @window: the part of the aperture its BARs live in
 * @busn: its bus numbers
 * @msi: its MSI irq domain
 * @cfg_lock: protects the functions' config space; the PCI core calls
 *	pci_ops under its own raw spinlock, so this one is raw too
 * @mutex: serialises hot-plug and management
 * @irq_slots: slots with noted interrupts
 * @irq_work: delivers interrupts noted outside the doorbell handler
 * @fn: the functions, by slot
 * @ctl: its debugfs file
 */
struct zoc_bus {
	struct pci_host_bridge *bridge;
	struct pci_sysdata sd;
	struct resource window;
	struct resource busn;
	struct irq_domain *msi;
	raw_spinlock_t cfg_lock;
	/* serialises hot-plug, management and the tests */
	struct mutex mutex;
	unsigned long irq_slots;
	struct irq_work irq_work;
	struct zoc_vfn fn[ZOC_BUS_SLOTS];
	struct dentry *ctl;
};

static struct zoc_bus *zoc_bus;

static void zoc_vfn_stat(struct zoc_vfn *fn, unsigned int stat)
{
	atomic64_inc(&fn->stats[stat]);
}

/* --- configuration space ------------------------------------------------ */

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
	/*
	 * A dead function is not there any more: all ones, which is how
	 * drivers (pci_device_is_present()) tell a surprise removal.
	 */
	if (!fn || READ_ONCE(fn->dead) || where + size > ZOC_BUS_CFG_SIZE) {
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

static void zoc_vfn_msix_replay(struct zoc_vfn *fn);

/* MSI-X message control: only enable and function mask are writable. */
static void zoc_vfn_msix_ctrl(struct zoc_vfn *fn, u16 val)
{
	u8 *ctrl = fn->cfg + ZOC_BUS_MSIX_CAP + PCI_MSIX_FLAGS;
	u16 old = get_unaligned_le16(ctrl);

	val = (old & ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)) |
	      (val & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL));
	put_unaligned_le16(val, ctrl);
}

/* Only what a real function lets change: command bits, BAR0, MSI-X control. */
static int zoc_bus_write(struct pci_bus *bus, unsigned int devfn, int where,
			 int size, u32 val)
{
	struct zoc_vfn *fn;
	unsigned long flags;
	bool replay = false;
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
		bar = (val & ~(fn->bar_size - 1)) | PCI_BASE_ADDRESS_MEM_TYPE_64;
		put_unaligned_le32(bar, fn->cfg + PCI_BASE_ADDRESS_0);
	} else if (where == PCI_BASE_ADDRESS_1 && size == 4) {
		put_unaligned_le32(val, fn->cfg + PCI_BASE_ADDRESS_1);
	} else if (fn->image.msix_vectors &&
		   (where == ZOC_BUS_MSIX_CAP + PCI_MSIX_FLAGS ||
		    where == ZOC_BUS_MSIX_CAP) && size >= 2) {
		zoc_vfn_msix_ctrl(fn, where == ZOC_BUS_MSIX_CAP ? val >> 16 : val);
		replay = true;
	}
	raw_spin_unlock_irqrestore(&zoc_bus->cfg_lock, flags);
	if (replay)
		zoc_vfn_msix_replay(fn);
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops zoc_bus_ops = {
	.read = zoc_bus_read,
	.write = zoc_bus_write,
};

/* Put the capability at @pos at the end of the capability list. */
static void zoc_cfg_link_cap(u8 *cfg, u8 pos)
{
	u8 *next = cfg + PCI_CAPABILITY_LIST;

	while (*next)
		next = cfg + *next + PCI_CAP_LIST_NEXT;
	*next = pos;
	cfg[pos + PCI_CAP_LIST_NEXT] = 0;
	put_unaligned_le16(PCI_STATUS_CAP_LIST, cfg + PCI_STATUS);
}

/*
 * The image's vendor-specific capabilities, after MSI-X, each 4-byte
 * aligned; their layout was checked with the image.
 */
static void zoc_vfn_build_vendor_caps(struct zoc_vfn *fn)
{
	const struct zoc_dev_image *img = &fn->image;
	unsigned int off = 0, pos = ZOC_BUS_VCAPS, len;

	while (off < img->caps_len) {
		len = img->caps[off + 2];
		memcpy(fn->cfg + pos, img->caps + off, len);
		zoc_cfg_link_cap(fn->cfg, pos);
		off += len;
		pos = ALIGN(pos + len, 4);
	}
}

/* The configuration space of @fn, from its image. */
static void zoc_vfn_build_cfg(struct zoc_vfn *fn)
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
	zoc_vfn_build_vendor_caps(fn);
}

/* --- device images ------------------------------------------------------ */

static bool zoc_range_ok(u64 off, u64 size, u64 limit)
{
	return size && off <= limit && size <= limit - off;
}

static bool zoc_ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * Vendor-specific capabilities only, back to back, each at least its
 * header and length byte, all of them fitting in config space once
 * aligned.
 */
static int zoc_image_check_caps(const struct zoc_dev_image *img)
{
	unsigned int off = 0, pos = ZOC_BUS_VCAPS, len;

	if (img->caps_len > ZOC_DEV_CAPS_SIZE)
		return -EINVAL;
	while (off < img->caps_len) {
		if (img->caps_len - off < 3 ||
		    img->caps[off + PCI_CAP_LIST_ID] != PCI_CAP_ID_VNDR)
			return -EINVAL;
		len = img->caps[off + 2];
		if (len < 3 || len > img->caps_len - off)
			return -EINVAL;
		off += len;
		pos = ALIGN(pos + len, 4);
	}
	return pos <= ZOC_BUS_CFG_SIZE ? 0 : -EINVAL;
}

/*
 * Validate the image the service VM wrote (already copied out of shared
 * memory) against BAR0 and the device page.
 */
static int zoc_image_check(const struct zoc_dev_image *img, u8 type)
{
	u16 vectors = le16_to_cpu(img->msix_vectors);
	u64 start[ZOC_DEV_MAX_REGIONS + 2], len[ZOC_DEV_MAX_REGIONS + 2];
	unsigned int i, j, n = 0;
	u64 bar;

	if (le32_to_cpu(img->magic) != ZOC_DEV_IMAGE_MAGIC || img->type != type ||
	    img->bar_shift < ZOC_BUS_BAR_MIN_SHIFT ||
	    img->bar_shift > ZOC_BUS_BAR_MAX_SHIFT ||
	    img->nr_regions > ZOC_DEV_MAX_REGIONS || vectors > ZOC_BUS_VECTORS ||
	    (img->flags & ~ZOC_DEV_IMAGE_F_GONE_ZERO))
		return -EINVAL;
	bar = BIT_ULL(img->bar_shift);
	if (vectors) {
		start[n] = le32_to_cpu(img->msix_table);
		len[n] = vectors * PCI_MSIX_ENTRY_SIZE;
		start[n + 1] = le32_to_cpu(img->msix_pba);
		len[n + 1] = sizeof(u64);
		for (i = n; i < n + 2; i++)
			if (start[i] % 8 || !zoc_range_ok(start[i], len[i], bar))
				return -EINVAL;
		n += 2;
	}
	for (i = 0; i < img->nr_regions; i++) {
		const struct zoc_dev_region *r = &img->region[i];
		u32 size = le32_to_cpu(r->size);
		u32 shadow = le32_to_cpu(r->shadow);

		start[n] = le32_to_cpu(r->offset);
		len[n] = size;
		if (start[n] % 4 || size % 4 || !zoc_range_ok(start[n], size, bar))
			return -EINVAL;
		if (r->policy == ZOC_REGION_SHADOW &&
		    !zoc_range_ok(shadow, size, ZOC_DEV_SHADOW_SIZE))
			return -EINVAL;
		if (r->policy == ZOC_REGION_DOORBELL &&
		    !zoc_range_ok(shadow, size / 4, ZOC_DEV_DOORBELLS))
			return -EINVAL;
		if (r->policy > ZOC_REGION_DOORBELL)
			return -EINVAL;
		n++;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (zoc_ranges_overlap(start[i], len[i], start[j], len[j]))
				return -EINVAL;
	return zoc_image_check_caps(img);
}

/* --- MSI-X --------------------------------------------------------------- */

static bool zoc_vfn_in(u64 off, unsigned int size, u64 start, u64 len)
{
	return off >= start && off - start < len && size <= len - (off - start);
}

static bool zoc_vfn_msix_on(struct zoc_vfn *fn, unsigned int vector)
{
	u16 ctrl = get_unaligned_le16(fn->cfg + ZOC_BUS_MSIX_CAP +
				      PCI_MSIX_FLAGS);

	return ctrl & PCI_MSIX_FLAGS_ENABLE && !(ctrl & PCI_MSIX_FLAGS_MASKALL) &&
	       !(fn->msix[vector][3] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static unsigned int zoc_vfn_virq(struct zoc_vfn *fn, unsigned int vector)
{
	return irq_find_mapping(zoc_bus->msi,
				fn->slot * ZOC_BUS_VECTORS + vector);
}

/* Raise @vector, or leave it pending if masked.  Interrupts disabled. */
static void zoc_vfn_fire(struct zoc_vfn *fn, unsigned int vector)
{
	unsigned int virq = 0;
	bool on;

	raw_spin_lock(&zoc_bus->cfg_lock);
	raw_spin_lock(&fn->msix_lock);
	on = zoc_vfn_msix_on(fn, vector);
	if (!on)
		__set_bit(vector, &fn->pba);
	raw_spin_unlock(&fn->msix_lock);
	raw_spin_unlock(&zoc_bus->cfg_lock);
	if (on)
		virq = zoc_vfn_virq(fn, vector);
	if (virq) {
		zoc_vfn_stat(fn, ZOC_STAT_IRQS);
		generic_handle_irq(virq);
	} else {
		zoc_vfn_stat(fn, ZOC_STAT_IRQS_MASKED);
	}
}

/*
 * A vector or the function was unmasked: deliver what is pending, from the
 * irq_work.  Not from here: the PCI core unmasks with the interrupt
 * descriptor's lock held, which the flow handler takes.
 */
static void zoc_vfn_msix_replay(struct zoc_vfn *fn)
{
	unsigned long flags, ready = 0;
	unsigned int v;

	raw_spin_lock_irqsave(&zoc_bus->cfg_lock, flags);
	raw_spin_lock(&fn->msix_lock);
	for_each_set_bit(v, &fn->pba, ZOC_BUS_VECTORS)
		if (zoc_vfn_msix_on(fn, v))
			__set_bit(v, &ready);
	fn->pba &= ~ready;
	raw_spin_unlock(&fn->msix_lock);
	raw_spin_unlock_irqrestore(&zoc_bus->cfg_lock, flags);
	if (!ready)
		return;
	for_each_set_bit(v, &ready, ZOC_BUS_VECTORS)
		set_bit(v, &fn->irq_note);
	set_bit(fn->slot, &zoc_bus->irq_slots);
	irq_work_queue(&zoc_bus->irq_work);
}

static u64 zoc_vfn_msix_read(struct zoc_vfn *fn, u64 off, unsigned int size)
{
	u64 val = 0;
	unsigned long flags;

	raw_spin_lock_irqsave(&fn->msix_lock, flags);
	if (zoc_vfn_in(off, size, le32_to_cpu(fn->image.msix_pba), 8))
		val = fn->pba >> (off - le32_to_cpu(fn->image.msix_pba)) * 8;
	else
		memcpy(&val, (u8 *)fn->msix +
		       (off - le32_to_cpu(fn->image.msix_table)), size);
	raw_spin_unlock_irqrestore(&fn->msix_lock, flags);
	return size == 8 ? val : val & (BIT_ULL(size * 8) - 1);
}

static void zoc_vfn_msix_write(struct zoc_vfn *fn, u64 off, unsigned int size,
			       u64 val)
{
	u64 table = le32_to_cpu(fn->image.msix_table);
	unsigned long flags;

	if (!zoc_vfn_in(off, size, table,
			le16_to_cpu(fn->image.msix_vectors) * PCI_MSIX_ENTRY_SIZE))
		return;		/* the PBA is read-only */
	raw_spin_lock_irqsave(&fn->msix_lock, flags);
	memcpy((u8 *)fn->msix + (off - table), &val, size);
	raw_spin_unlock_irqrestore(&fn->msix_lock, flags);
	if ((off - table) % PCI_MSIX_ENTRY_SIZE + size >
	    PCI_MSIX_ENTRY_VECTOR_CTRL)
		zoc_vfn_msix_replay(fn);
}

static void zoc_msi_compose(struct irq_data *data, struct msi_msg *msg)
{
	/* Never sent by anyone: the bus raises the vector itself. */
	msg->address_hi = 0;
	msg->address_lo = ZOC_BUS_MSI_ADDR;
	msg->data = data->hwirq;
}

static int zoc_msi_set_affinity(struct irq_data *data,
				const struct cpumask *mask, bool force)
{
	/* Delivered on the CPU that takes the link's doorbell. */
	irq_data_update_effective_affinity(data, mask);
	return IRQ_SET_MASK_OK;
}

static struct irq_chip zoc_msi_chip = {
	.name			= "ZOC-MSI",
	.irq_compose_msi_msg	= zoc_msi_compose,
	.irq_set_affinity	= zoc_msi_set_affinity,
};

static void zoc_msi_set_desc(msi_alloc_info_t *arg, struct msi_desc *desc)
{
	struct pci_dev *pdev = msi_desc_to_pci_dev(desc);

	arg->desc = desc;
	arg->hwirq = PCI_SLOT(pdev->devfn) * ZOC_BUS_VECTORS + desc->msi_index;
}

static struct msi_domain_ops zoc_msi_ops = {
	.set_desc = zoc_msi_set_desc,
};

static struct msi_domain_info zoc_msi_info = {
	.flags		= MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS |
			  MSI_FLAG_PCI_MSIX,
	.ops		= &zoc_msi_ops,
	.chip		= &zoc_msi_chip,
	.handler	= handle_simple_irq,
	.handler_name	= "simple",
};

/**
 * zoc_host_bus_irq - the service VM raised a vector of a function
 * @slot: the function
 * @vector: its MSI-X vector
 *
 * Noted only: the link calls this with its lock held, and the driver's
 * handler may well touch the device.  zoc_host_bus_deliver() delivers.
 */
void zoc_host_bus_irq(u32 slot, u32 vector)
{
	struct zoc_bus *b = zoc_bus;
	struct zoc_vfn *fn;

	if (!b || slot >= ZOC_BUS_SLOTS)
		return;
	fn = &b->fn[slot];
	if (!READ_ONCE(fn->present) ||
	    vector >= le16_to_cpu(fn->image.msix_vectors))
		return;
	set_bit(vector, &fn->irq_note);
	set_bit(slot, &b->irq_slots);
}

/**
 * zoc_host_bus_deliver - deliver the interrupts noted
 *
 * Context: hard interrupt context, or interrupts disabled.
 */
void zoc_host_bus_deliver(void)
{
	struct zoc_bus *b = zoc_bus;
	unsigned long slots, notes;
	unsigned int slot, v;

	if (!b || !READ_ONCE(b->irq_slots))
		return;
	slots = xchg(&b->irq_slots, 0);
	for_each_set_bit(slot, &slots, ZOC_BUS_SLOTS) {
		notes = xchg(&b->fn[slot].irq_note, 0);
		for_each_set_bit(v, &notes, ZOC_BUS_VECTORS)
			zoc_vfn_fire(&b->fn[slot], v);
	}
}

static void zoc_bus_irq_work(struct irq_work *work)
{
	zoc_host_bus_deliver();
}

/**
 * zoc_host_bus_kick - deliver noted interrupts soon, from any context
 */
void zoc_host_bus_kick(void)
{
	if (zoc_bus && READ_ONCE(zoc_bus->irq_slots))
		irq_work_queue(&zoc_bus->irq_work);
}

/* --- BAR0 ---------------------------------------------------------------- */

static void zoc_vfn_gone(struct zoc_vfn *fn)
{
	if (!xchg(&fn->dead, true)) {
		pr_warn("zoc: %04x:00:%02x.0 (%s) gone: surprise removal\n",
			domain, fn->slot, fn->name);
		schedule_work(&fn->gone_work);
	}
}

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

static const struct zoc_dev_region *zoc_vfn_region(struct zoc_vfn *fn,
						   u64 off, unsigned int size)
{
	const struct zoc_dev_region *r;
	unsigned int i;

	for (i = 0; i < fn->image.nr_regions; i++) {
		r = &fn->image.region[i];
		if (zoc_vfn_in(off, size, le32_to_cpu(r->offset),
			       le32_to_cpu(r->size)))
			return r;
	}
	return NULL;
}

static bool zoc_vfn_is_msix(struct zoc_vfn *fn, u64 off, unsigned int size)
{
	u16 vectors = le16_to_cpu(fn->image.msix_vectors);

	return vectors &&
	       (zoc_vfn_in(off, size, le32_to_cpu(fn->image.msix_table),
			   vectors * PCI_MSIX_ENTRY_SIZE) ||
		zoc_vfn_in(off, size, le32_to_cpu(fn->image.msix_pba), 8));
}

/* What BAR reads of a function whose service VM is gone return */
static u64 zoc_vfn_gone_value(const struct zoc_vfn *fn)
{
	return fn->image.flags & ZOC_DEV_IMAGE_F_GONE_ZERO ? 0 : ~0ULL;
}

static u64 zoc_vfn_forward_read(struct zoc_vfn *fn, u64 offset,
				unsigned int size)
{
	struct zoc_msg msg, reply;

	zoc_vfn_stat(fn, ZOC_STAT_MMIO_READS);
	zoc_vfn_msg(fn, &msg, ZOC_MSG_MMIO_READ, offset, size, 0);
	if (zoc_host_link_call_atomic(&msg, &reply, ZOC_BUS_READ_NS) ||
	    reply.hdr.type != ZOC_MSG_MMIO_REPLY) {
		zoc_vfn_gone(fn);
		return zoc_vfn_gone_value(fn);
	}
	if (le32_to_cpu(reply.reply.status) != ZOC_MSG_OK)
		return ~0ULL;
	return le64_to_cpu(reply.reply.value);
}

static u64 zoc_vfn_read(struct mmio_emul_region *region, unsigned long offset,
			unsigned int size)
{
	struct zoc_vfn *fn = container_of(region, struct zoc_vfn, region);
	const struct zoc_dev_region *r;
	u64 val = 0;

	if (READ_ONCE(fn->dead))
		return zoc_vfn_gone_value(fn);
	if (zoc_vfn_is_msix(fn, offset, size))
		return zoc_vfn_msix_read(fn, offset, size);
	r = zoc_vfn_region(fn, offset, size);
	if (!r || r->policy == ZOC_REGION_FORWARD)
		return zoc_vfn_forward_read(fn, offset, size);
	if (r->policy == ZOC_REGION_DOORBELL)
		return 0;
	zoc_vfn_stat(fn, ZOC_STAT_SHADOW_READS);
	/* Range checked against the shadow when the image was taken. */
	memcpy(&val, fn->page->shadow + le32_to_cpu(r->shadow) +
	       (offset - le32_to_cpu(r->offset)), size);
	return le64_to_cpu((__force __le64)val);
}

/* A doorbell: store it, send one message until the proxy took them. */
static void zoc_vfn_doorbell(struct zoc_vfn *fn, const struct zoc_dev_region *r,
			     u64 offset, unsigned int size, u32 val)
{
	unsigned int db;
	struct zoc_msg msg;

	if ((size != 4 && size != 2) || offset % 4)
		return;		/* 32-bit registers, written whole or 16-bit */
	db = le32_to_cpu(r->shadow) + (offset - le32_to_cpu(r->offset)) / 4;
	zoc_vfn_stat(fn, ZOC_STAT_DOORBELL_WRITES);
	WRITE_ONCE(fn->page->db[db], cpu_to_le32(size == 2 ? (u16)val : val));
	/* The value before the bit: a locked operation orders them. */
	if (test_and_set_bit(db, (__force unsigned long *)&fn->page->db_pending))
		return;
	zoc_vfn_msg(fn, &msg, ZOC_MSG_DOORBELL, 0, 0, 0);
	msg.hdr.len = 0;
	/* On a full ring the bit stays set: the proxy's tick finds it. */
	if (!zoc_host_link_post(&msg))
		zoc_vfn_stat(fn, ZOC_STAT_DOORBELL_MSGS);
}

static void zoc_vfn_write(struct mmio_emul_region *region,
			  unsigned long offset, unsigned int size, u64 val)
{
	struct zoc_vfn *fn = container_of(region, struct zoc_vfn, region);
	const struct zoc_dev_region *r;
	struct zoc_msg msg;

	if (READ_ONCE(fn->dead))
		return;
	if (zoc_vfn_is_msix(fn, offset, size)) {
		zoc_vfn_msix_write(fn, offset, size, val);
		return;
	}
	r = zoc_vfn_region(fn, offset, size);
	if (r && r->policy == ZOC_REGION_DOORBELL) {
		zoc_vfn_doorbell(fn, r, offset, size, val);
		return;
	}
	zoc_vfn_stat(fn, ZOC_STAT_MMIO_WRITES);
	zoc_vfn_msg(fn, &msg, ZOC_MSG_MMIO_WRITE, offset, size, val);
	zoc_host_link_post(&msg);
}

static const struct mmio_emul_ops zoc_vfn_ops = {
	.read = zoc_vfn_read,
	.write = zoc_vfn_write,
};

/* --- hot-plug and management --------------------------------------------- */

static int zoc_bus_ctrl(u32 opcode, const void *data, size_t len)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ }, reply;
	int ret;

	msg.hdr.len = cpu_to_le16(8 + len);
	msg.ctrl.opcode = cpu_to_le32(opcode);
	memcpy(msg.ctrl.data, data, len);
	ret = zoc_host_link_call(&msg, &reply, ZOC_BUS_CTRL_TIMEOUT);
	if (ret)
		return ret;
	if (reply.hdr.type != ZOC_MSG_CTRL_REPLY)
		return -EPROTO;
	switch (le32_to_cpu(reply.ctrl.status)) {
	case ZOC_MSG_OK:
		return 0;
	case ZOC_MSG_EINVAL:
		return -EINVAL;
	case ZOC_MSG_ENODEV:
		return -ENODEV;
	case ZOC_MSG_ENOTSUPP:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

static void zoc_bus_destroy(unsigned int slot)
{
	__le32 arg = cpu_to_le32(slot);
	int ret;

	ret = zoc_bus_ctrl(ZOC_CTRL_DEV_DESTROY, &arg, sizeof(arg));
	/* A service VM that restarted or went away has no device to destroy. */
	if (ret && ret != -ENOTCONN && ret != -ETIMEDOUT &&
	    ret != -ECONNRESET && ret != -ENODEV)
		pr_warn("zoc: slot %u: the service VM did not destroy it: %d\n",
			slot, ret);
}

static struct zoc_vfn *zoc_bus_find(const char *name)
{
	unsigned int slot;

	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++)
		if (zoc_bus->fn[slot].present &&
		    !strcmp(zoc_bus->fn[slot].name, name))
			return &zoc_bus->fn[slot];
	return NULL;
}

/* Put @fn on the bus, its image taken.  Bus mutex held. */
static int zoc_bus_plug(struct zoc_vfn *fn)
{
	struct pci_bus *bus = zoc_bus->bridge->bus;
	struct pci_dev *pdev;
	unsigned int v;
	int ret;

	fn->bar = zoc_bus->window.start + fn->slot * ZOC_BUS_BAR_STRIDE;
	fn->bar_size = BIT(fn->image.bar_shift);
	fn->dead = false;
	fn->pba = 0;
	fn->irq_note = 0;
	memset(fn->msix, 0, sizeof(fn->msix));
	/* Vectors come out of reset masked. */
	for (v = 0; v < ZOC_BUS_VECTORS; v++)
		fn->msix[v][3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	zoc_vfn_build_cfg(fn);

	fn->region.start = fn->bar;
	fn->region.size = fn->bar_size;
	fn->region.ops = &zoc_vfn_ops;
	ret = mmio_emul_register(&fn->region);
	if (ret)
		return ret;

	raw_spin_lock_irq(&zoc_bus->cfg_lock);
	fn->present = true;
	raw_spin_unlock_irq(&zoc_bus->cfg_lock);

	pci_lock_rescan_remove();
	pdev = pci_scan_single_device(bus, PCI_DEVFN(fn->slot, 0));
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

/**
 * zoc_host_dev_add - create a device in the service VM and plug it
 * @dreq: what to create
 * @extack: for error messages
 *
 * Return: 0 or a negative errno, explained in @extack.
 */
int zoc_host_dev_add(const struct zoc_host_dev_req *dreq,
		     struct netlink_ext_ack *extack)
{
	const char *name = dreq->name, *backend = dreq->backend;
	u32 type = dreq->type, queues = dreq->queues, flags = dreq->flags;
	struct zoc_ctrl_dev_create req = {};
	bool net = type == ZOC_DEV_VIRTIO_NET;
	struct zoc_vfn *fn = NULL;
	unsigned int slot;
	int ret;

	if (strlen(name) >= ZOC_DEV_NAME_LEN ||
	    strlen(backend) >= ZOC_DEV_NAME_LEN || type > U8_MAX ||
	    queues > U16_MAX || flags > U8_MAX || (net && *backend)) {
		NL_SET_ERR_MSG(extack, "name, backend or queues out of range");
		return -EINVAL;
	}
	/*
	 * One queue pair per host CPU unless told otherwise; network
	 * devices have one pair (no multiqueue yet).
	 */
	if (!queues)
		queues = net ? 1 : min(num_online_cpus(), ZOC_BUS_DEF_QUEUES_MAX);
	mutex_lock(&zoc_bus->mutex);
	if (zoc_bus_find(name)) {
		NL_SET_ERR_MSG(extack, "a device of that name exists");
		ret = -EEXIST;
		goto out;
	}
	for (slot = 0; slot < ZOC_BUS_SLOTS && !fn; slot++)
		if (!zoc_bus->fn[slot].present)
			fn = &zoc_bus->fn[slot];
	if (!fn) {
		NL_SET_ERR_MSG(extack, "the bus is full");
		ret = -ENOSPC;
		goto out;
	}
	memset(&fn->image, 0, sizeof(fn->image));
	memset(&fn->page->image, 0, sizeof(fn->page->image));
	req.type = type;
	req.flags = flags;
	req.queues = cpu_to_le16(queues);
	req.slot = cpu_to_le32(fn->slot);
	strscpy(req.name, name, sizeof(req.name));
	if (net)
		req.net = dreq->net;
	else
		strscpy(req.backend, backend, sizeof(req.backend));
	ret = zoc_bus_ctrl(ZOC_CTRL_DEV_CREATE, &req, sizeof(req));
	switch (ret) {
	case 0:
		break;
	case -ENOTCONN:
	case -ETIMEDOUT:
	case -ECONNRESET:
	case -EIO:
		NL_SET_ERR_MSG(extack, "the link to the service VM is down");
		goto out;
	case -EOPNOTSUPP:
		NL_SET_ERR_MSG(extack, "the service VM has no model of this type");
		goto out;
	case -ENODEV:
		NL_SET_ERR_MSG(extack, "the service VM has no such backend");
		goto out;
	case -EINVAL:
		NL_SET_ERR_MSG(extack, "the service VM refused the parameters");
		goto out;
	default:
		NL_SET_ERR_MSG(extack, "the service VM failed to create the device");
		goto out;
	}
	/* One copy out of shared memory, then checks on the copy only. */
	memcpy(&fn->image, &fn->page->image, sizeof(fn->image));
	ret = zoc_image_check(&fn->image, type);
	if (ret) {
		NL_SET_ERR_MSG(extack, "the service VM gave an invalid device image");
		goto out_destroy;
	}
	strscpy(fn->name, name, sizeof(fn->name));
	strscpy(fn->backend, backend, sizeof(fn->backend));
	fn->net = net ? dreq->net : (struct zoc_ctrl_net){};
	fn->link_up = true;
	fn->queues = queues;
	fn->flags = flags;
	for (ret = 0; ret < __ZOC_STAT_MAX; ret++)
		atomic64_set(&fn->stats[ret], 0);
	ret = zoc_bus_plug(fn);
	if (ret) {
		NL_SET_ERR_MSG(extack, "the PCI core did not take the function");
		goto out_destroy;
	}
	pr_info("zoc: %04x:00:%02x.0: %s added\n", domain, fn->slot, name);
	goto out;

out_destroy:
	zoc_bus_destroy(fn->slot);
out:
	mutex_unlock(&zoc_bus->mutex);
	return ret;
}

/* Take @fn off the bus and out of the service VM.  Bus mutex held. */
static void zoc_bus_unplug(struct zoc_vfn *fn)
{
	if (fn->pdev)
		pci_stop_and_remove_bus_device_locked(fn->pdev);
	fn->pdev = NULL;
	raw_spin_lock_irq(&zoc_bus->cfg_lock);
	fn->present = false;
	raw_spin_unlock_irq(&zoc_bus->cfg_lock);
	mmio_emul_unregister(&fn->region);
	zoc_bus_destroy(fn->slot);
	fn->name[0] = '\0';
}

/**
 * zoc_host_dev_del - hot-remove a device and destroy it in the service VM
 * @name: its name
 * @extack: for error messages
 *
 * Return: 0, or -ENOENT.
 */
int zoc_host_dev_del(const char *name, struct netlink_ext_ack *extack)
{
	struct zoc_vfn *fn;
	int ret = 0;

	mutex_lock(&zoc_bus->mutex);
	fn = zoc_bus_find(name);
	if (fn) {
		pr_info("zoc: %04x:00:%02x.0: %s removed\n", domain, fn->slot,
			name);
		zoc_bus_unplug(fn);
	} else {
		NL_SET_ERR_MSG(extack, "no device of that name");
		ret = -ENOENT;
	}
	mutex_unlock(&zoc_bus->mutex);
	return ret;
}

/**
 * zoc_host_dev_set_link - set a network device's link up or down
 * @name: its name
 * @up: the link the host administrator wants
 * @extack: for error messages
 *
 * The service VM's model reports the link to the driver in the device's
 * configuration space; it stays down while the device's representor in
 * the service VM is down.
 *
 * Return: 0 or a negative errno, explained in @extack.
 */
int zoc_host_dev_set_link(const char *name, bool up,
			  struct netlink_ext_ack *extack)
{
	struct zoc_ctrl_dev_link req = { .up = up };
	struct zoc_vfn *fn;
	int ret;

	mutex_lock(&zoc_bus->mutex);
	fn = zoc_bus_find(name);
	if (!fn) {
		NL_SET_ERR_MSG(extack, "no device of that name");
		ret = -ENOENT;
		goto out;
	}
	if (fn->image.type != ZOC_DEV_VIRTIO_NET) {
		NL_SET_ERR_MSG(extack, "not a network device");
		ret = -EOPNOTSUPP;
		goto out;
	}
	req.slot = cpu_to_le32(fn->slot);
	ret = zoc_bus_ctrl(ZOC_CTRL_DEV_LINK, &req, sizeof(req));
	if (ret) {
		NL_SET_ERR_MSG(extack, "the service VM did not take the change");
		goto out;
	}
	fn->link_up = up;
out:
	mutex_unlock(&zoc_bus->mutex);
	return ret;
}

static void zoc_vfn_info(struct zoc_vfn *fn, struct zoc_host_dev_info *info)
{
	static const u8 model_stats[][2] = {
		{ ZOC_STAT_COMMANDS, ZOC_DEV_STAT_COMMANDS },
		{ ZOC_STAT_ERRORS, ZOC_DEV_STAT_ERRORS },
		{ ZOC_STAT_READ_BYTES, ZOC_DEV_STAT_READ_BYTES },
		{ ZOC_STAT_WRITE_BYTES, ZOC_DEV_STAT_WRITE_BYTES },
		{ ZOC_STAT_RESETS, ZOC_DEV_STAT_RESETS },
		{ ZOC_STAT_INVALID, ZOC_DEV_STAT_INVALID },
	};
	unsigned int i;

	memset(info, 0, sizeof(*info));
	strscpy(info->name, fn->name, sizeof(info->name));
	strscpy(info->backend, fn->backend, sizeof(info->backend));
	info->type = fn->image.type;
	info->queues = fn->queues;
	info->flags = fn->flags;
	info->state = fn->dead ? ZOC_DEV_STATE_GONE : ZOC_DEV_STATE_UP;
	info->link_up = fn->link_up;
	info->net = fn->net;
	snprintf(info->pci, sizeof(info->pci), "%04x:00:%02x.0", domain,
		 fn->slot);
	for (i = 0; i < __ZOC_STAT_MAX; i++)
		info->stats[i] = atomic64_read(&fn->stats[i]);
	/* The model's own counters, as the service VM last wrote them. */
	for (i = 0; i < ARRAY_SIZE(model_stats); i++)
		info->stats[model_stats[i][0]] =
			le64_to_cpu(READ_ONCE(fn->page->stats[model_stats[i][1]]));
}

/**
 * zoc_host_dev_info - describe a device
 * @name: its name
 * @info: filled in
 *
 * Return: 0, or -ENOENT.
 */
int zoc_host_dev_info(const char *name, struct zoc_host_dev_info *info)
{
	struct zoc_vfn *fn;

	mutex_lock(&zoc_bus->mutex);
	fn = zoc_bus_find(name);
	if (fn)
		zoc_vfn_info(fn, info);
	mutex_unlock(&zoc_bus->mutex);
	return fn ? 0 : -ENOENT;
}

/**
 * zoc_host_dev_info_next - describe the next device, for dumps
 * @slot: where to start; moved past the device described
 * @info: filled in
 *
 * Return: 0, or -ENOENT when there is none left.
 */
int zoc_host_dev_info_next(unsigned int *slot, struct zoc_host_dev_info *info)
{
	int ret = -ENOENT;

	mutex_lock(&zoc_bus->mutex);
	for (; *slot < ZOC_BUS_SLOTS && ret; (*slot)++) {
		if (zoc_bus->fn[*slot].present) {
			zoc_vfn_info(&zoc_bus->fn[*slot], info);
			ret = 0;
		}
	}
	mutex_unlock(&zoc_bus->mutex);
	return ret;
}

/* A dead function leaves the PCI core: its driver sees a removal. */
static void zoc_vfn_gone_work(struct work_struct *work)
{
	struct zoc_vfn *fn = container_of(work, struct zoc_vfn, gone_work);

	mutex_lock(&zoc_bus->mutex);
	/* Not a device added in this slot since: that one is alive. */
	if (fn->present && READ_ONCE(fn->dead) && fn->pdev) {
		pci_stop_and_remove_bus_device_locked(fn->pdev);
		fn->pdev = NULL;
	}
	mutex_unlock(&zoc_bus->mutex);
}

/**
 * zoc_host_bus_link_lost - the service VM and its devices are gone
 *
 * Context: any; the removals happen in process context later.
 */
void zoc_host_bus_link_lost(void)
{
	unsigned int slot;

	if (!zoc_bus)
		return;
	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++)
		if (READ_ONCE(zoc_bus->fn[slot].present))
			zoc_vfn_gone(&zoc_bus->fn[slot]);
}

/* --- tests --------------------------------------------------------------- */

/* Write and read back @count registers of BAR0 through a driver's mapping. */
static int zoc_bus_bar_test(struct zoc_vfn *fn, u32 count)
{
	void __iomem *bar;
	int ret = 0;
	u64 val;
	u32 i;

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

struct zoc_irq_test {
	atomic_t count;
	wait_queue_head_t wq;
};

static irqreturn_t zoc_irq_test_handler(int irq, void *data)
{
	struct zoc_irq_test *t = data;

	atomic_inc(&t->count);
	wake_up(&t->wq);
	return IRQ_HANDLED;
}

/*
 * MSI-X of the test device, whose doorbell i (at 4 KiB) is shadowed at
 * 6 KiB and raises vector i: @count interrupts delivered one by one, each
 * after its shadow; one raised while masked stays pending and comes when
 * unmasked.
 */
static int zoc_bus_irq_test(struct zoc_vfn *fn, u32 count)
{
	struct pci_dev *pdev = fn->pdev;
	struct zoc_irq_test t;
	void __iomem *bar;
	int ret, irq;
	u32 i;

	atomic_set(&t.count, 0);
	init_waitqueue_head(&t.wq);
	ret = pci_enable_device(pdev);
	if (ret)
		return ret;
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX);
	if (ret < 0)
		goto out_disable;
	irq = pci_irq_vector(pdev, 0);
	ret = request_irq(irq, zoc_irq_test_handler, 0, "zoc-irq-test", &t);
	if (ret)
		goto out_vectors;
	bar = pci_iomap(pdev, 0, 0);
	if (!bar) {
		ret = -ENOMEM;
		goto out_irq;
	}
	for (i = 0; i < count && !ret; i++) {
		writel(i, bar + SZ_4K);
		if (!wait_event_timeout(t.wq, atomic_read(&t.count) > i, 5 * HZ))
			ret = -ETIMEDOUT;
		/* The model shadowed the value before raising the vector. */
		else if (readl(bar + SZ_4K + SZ_2K) != i)
			ret = -EPROTO;
	}
	if (!ret) {
		/* Mask at the device at once, not lazily at the next one. */
		irq_set_status_flags(irq, IRQ_DISABLE_UNLAZY);
		disable_irq(irq);
		writel(count, bar + SZ_4K);
		/* The interrupt has nowhere to go: wait for it to be pending. */
		if (!wait_event_timeout(t.wq, fn->pba & 1 ||
					atomic_read(&t.count) > count, 5 * HZ))
			ret = -ETIMEDOUT;
		else if (atomic_read(&t.count) != count)
			ret = -EPROTO;
		enable_irq(irq);
		irq_clear_status_flags(irq, IRQ_DISABLE_UNLAZY);
		if (!ret && !wait_event_timeout(t.wq,
						atomic_read(&t.count) > count,
						5 * HZ))
			ret = -ETIMEDOUT;
	}
	pci_iounmap(pdev, bar);
out_irq:
	free_irq(irq, &t);
out_vectors:
	pci_free_irq_vectors(pdev);
out_disable:
	pci_disable_device(pdev);
	return ret;
}

/* debugfs "bus": "bar_test NAME COUNT", "irq_test NAME COUNT". */
static ssize_t zoc_bus_ctl_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char buf[64], name[ZOC_DEV_NAME_LEN];
	struct zoc_vfn *fn;
	u32 n;
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&zoc_bus->mutex);
	if (sscanf(buf, "bar_test %15s %u", name, &n) == 2) {
		fn = zoc_bus_find(name);
		ret = fn && fn->pdev ? zoc_bus_bar_test(fn, n) : -ENOENT;
	} else if (sscanf(buf, "irq_test %15s %u", name, &n) == 2) {
		fn = zoc_bus_find(name);
		ret = fn && fn->pdev && fn->image.type == ZOC_DEV_TEST ?
		      zoc_bus_irq_test(fn, n) : -ENOENT;
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&zoc_bus->mutex);
	return ret ? ret : count;
}

static const struct file_operations zoc_bus_ctl_fops = {
	.owner = THIS_MODULE,
	.write = zoc_bus_ctl_write,
	.llseek = noop_llseek,
};

/* --- the bridge ---------------------------------------------------------- */

static int zoc_bus_msi_init(struct zoc_bus *b)
{
	struct fwnode_handle *fwnode;

	fwnode = irq_domain_alloc_named_id_fwnode("ZOC-MSI", domain);
	if (!fwnode)
		return -ENOMEM;
	b->msi = pci_msi_create_irq_domain(fwnode, &zoc_msi_info, NULL);
	if (!b->msi) {
		irq_domain_free_fwnode(fwnode);
		return -ENOMEM;
	}
	return 0;
}

static void zoc_bus_msi_exit(struct zoc_bus *b)
{
	struct fwnode_handle *fwnode = b->msi->fwnode;

	irq_domain_remove(b->msi);
	irq_domain_free_fwnode(fwnode);
}

int zoc_host_bus_init(struct resource *aperture, struct dentry *dir)
{
	struct zoc_bus *b;
	unsigned int slot;
	int ret;

	if (domain < 0 || domain > 0xffff || pci_find_bus(domain, 0))
		return -EBUSY;
	if (resource_size(aperture) < ZOC_BUS_WINDOW_OFF +
	    ZOC_BUS_SLOTS * ZOC_BUS_BAR_STRIDE)
		return -ENOSPC;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	raw_spin_lock_init(&b->cfg_lock);
	mutex_init(&b->mutex);
	init_irq_work(&b->irq_work, zoc_bus_irq_work);
	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++) {
		b->fn[slot].slot = slot;
		b->fn[slot].page = zoc_host_link_dev_page(slot);
		raw_spin_lock_init(&b->fn[slot].msix_lock);
		INIT_WORK(&b->fn[slot].gone_work, zoc_vfn_gone_work);
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
	b->sd.domain = domain;
	b->sd.node = NUMA_NO_NODE;
	ret = zoc_bus_msi_init(b);
	if (ret)
		goto out_release;

	b->bridge = pci_alloc_host_bridge(0);
	if (!b->bridge) {
		ret = -ENOMEM;
		goto out_msi;
	}
	b->bridge->sysdata = &b->sd;
	b->bridge->ops = &zoc_bus_ops;
	b->bridge->busnr = 0;
	pci_add_resource(&b->bridge->windows, &b->window);
	pci_add_resource(&b->bridge->windows, &b->busn);
	/* The bus inherits it: its functions' MSI-X go through us. */
	dev_set_msi_domain(&b->bridge->dev, b->msi);
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
out_msi:
	zoc_bus_msi_exit(b);
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
			zoc_bus_unplug(&b->fn[slot]);
	mutex_unlock(&b->mutex);
	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++)
		cancel_work_sync(&b->fn[slot].gone_work);
	irq_work_sync(&b->irq_work);
	pci_lock_rescan_remove();
	pci_stop_root_bus(b->bridge->bus);
	pci_remove_root_bus(b->bridge->bus);
	pci_unlock_rescan_remove();
	zoc_bus_msi_exit(b);
	release_resource(&b->window);
	zoc_bus = NULL;
	kfree(b);
}
