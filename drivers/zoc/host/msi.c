// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtual PCI bus: its MSI irq domain and interrupt delivery.
 *
 * Interrupt messages from the proxy raise the function's MSI-X vectors
 * through the bus's own MSI irq domain, honouring the mask bits: a masked
 * vector stays pending until unmasked.
 */

#include <linux/cpumask.h>
#include <linux/irq.h>
#include <linux/irq_work.h>
#include <linux/irqdomain.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <asm/unaligned.h>

#include "zoc_host.h"
#include "bus.h"

#define ZOC_BUS_MSI_ADDR	0xfee00000

static_assert(ZOC_BUS_VECTORS <= ZOC_DEV_VECTORS);
static_assert(ZOC_LINK_MAX_QUEUES <= 16);

static bool zoc_vfn_msix_on(struct zoc_vfn *fn, unsigned int vector)
{
	u16 ctrl = get_unaligned_le16(fn->cfg + ZOC_BUS_MSIX_CAP +
				      PCI_MSIX_FLAGS);

	return ctrl & PCI_MSIX_FLAGS_ENABLE && !(ctrl & PCI_MSIX_FLAGS_MASKALL) &&
	       !(fn->msix[vector][3] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static unsigned int zoc_vfn_virq(struct zoc_bus *b, struct zoc_vfn *fn,
				 unsigned int vector)
{
	return irq_find_mapping(b->msi, fn->slot * ZOC_BUS_VECTORS + vector);
}

/*
 * An interrupt ends the round trip of the last doorbell message, if any:
 * through the link, the service VM and back (at queue depth 1, the time
 * one command spends outside the host).
 */
static void zoc_vfn_round_trip(struct zoc_vfn *fn)
{
	s64 start = atomic64_xchg(&fn->rt_start, 0);
	u64 now;

	if (!start)
		return;
	now = ktime_get_ns();
	if (now < start)
		return;
	zoc_vfn_stat(fn, ZOC_STAT_ROUND_TRIPS);
	atomic64_add(now - start, &fn->stats[ZOC_STAT_ROUND_TRIP_NS]);
}

/*
 * Raise @vector, or leave it pending if masked.  Interrupts disabled.  The
 * function's lock alone: the MSI-X control word changes under it too.
 */
static void zoc_vfn_fire(struct zoc_bus *b, struct zoc_vfn *fn,
			 unsigned int vector)
{
	unsigned int virq = 0;
	bool on;

	raw_spin_lock(&fn->msix_lock);
	on = zoc_vfn_msix_on(fn, vector);
	if (!on)
		__set_bit(vector, &fn->pba);
	raw_spin_unlock(&fn->msix_lock);
	if (on)
		virq = zoc_vfn_virq(b, fn, vector);
	if (virq) {
		zoc_vfn_stat(fn, ZOC_STAT_IRQS);
		zoc_vfn_round_trip(fn);
		/*
		 * By its hardware number, looked up once more: a vector freed
		 * since, its number given to another device, calls no
		 * handler of that device.
		 */
		generic_handle_domain_irq(b->msi, fn->slot * ZOC_BUS_VECTORS +
					  vector);
	} else {
		zoc_vfn_stat(fn, ZOC_STAT_IRQS_MASKED);
	}
}

/* Note @vector of the function in @slot, for the next delivery. */
static void zoc_bus_note(struct zoc_bus *b, unsigned int slot,
			 unsigned int vector)
{
	set_bit(vector, &b->fn[slot].irq_note);
	set_bit(slot, &b->irq_slots);
}

/*
 * A vector or the function was unmasked: deliver what is pending, from the
 * irq_work.  Not from here: the PCI core unmasks with the interrupt
 * descriptor's lock held, which the flow handler takes.
 */
void zoc_vfn_msix_replay(struct zoc_vfn *fn)
{
	struct zoc_bus *b = fn->bus;
	unsigned long flags, ready = 0;
	unsigned int v;

	raw_spin_lock_irqsave(&fn->msix_lock, flags);
	for_each_set_bit(v, &fn->pba, ZOC_BUS_VECTORS)
		if (zoc_vfn_msix_on(fn, v))
			__set_bit(v, &ready);
	fn->pba &= ~ready;
	raw_spin_unlock_irqrestore(&fn->msix_lock, flags);
	if (!ready)
		return;
	for_each_set_bit(v, &ready, ZOC_BUS_VECTORS)
		zoc_bus_note(b, fn->slot, v);
	irq_work_queue(&b->irq_work);
}

/**
 * zoc_host_bus_irq - the service VM raised a vector of a function
 * @b: the bus, or NULL
 * @slot: the function
 * @vector: its MSI-X vector
 *
 * Noted only: the link calls this with its lock held, and the driver's
 * handler may well touch the device.  zoc_host_bus_deliver() delivers.
 */
void zoc_host_bus_irq(struct zoc_bus *b, u32 slot, u32 vector)
{
	struct zoc_vfn *fn;

	if (!b || slot >= ZOC_BUS_SLOTS)
		return;
	fn = &b->fn[slot];
	if (!READ_ONCE(fn->present) ||
	    vector >= le16_to_cpu(fn->image.msix_vectors))
		return;
	zoc_bus_note(b, slot, vector);
}

/*
 * How many more times a CPU goes on beyond the notes it took (a vector
 * delivered again for another CPU, or a pass over the notes that came
 * meanwhile) before it leaves the rest to its irq_work
 */
#define ZOC_BUS_DELIVER_AGAIN	8

/*
 * Deliver @vector of @fn, whose note we took.  One CPU at a time for each
 * vector: the flow handler drops an interrupt raised while the same one
 * is handled on another CPU, and a driver that found its rings empty and
 * is on its way out of its handler would never hear of the entries posted
 * meanwhile.  A CPU that finds the vector being delivered elsewhere puts
 * its note back for that CPU, which delivers it once more when done, if
 * @again allows; else it notes it for the irq_work.
 */
static void zoc_vfn_deliver(struct zoc_bus *b, struct zoc_vfn *fn,
			    unsigned int vector, unsigned int *again)
{
	for (;;) {
		if (!test_and_set_bit_lock(vector, &fn->irq_busy)) {
			zoc_vfn_fire(b, fn, vector);
			clear_bit_unlock(vector, &fn->irq_busy);
		} else {
			set_bit(vector, &fn->irq_note);
		}
		/*
		 * Our unlock or note before the look at the other CPU's,
		 * which that CPU orders the same way here: either the CPU
		 * that delivers sees our note, or we see it gone and take
		 * the note back.
		 */
		smp_mb__after_atomic();
		if (test_bit(vector, &fn->irq_busy) ||
		    !test_and_clear_bit(vector, &fn->irq_note))
			return;
		if (!*again) {
			zoc_bus_note(b, fn->slot, vector);
			return;
		}
		(*again)--;
	}
}

/**
 * zoc_host_bus_deliver - deliver the interrupts noted
 * @b: the bus, or NULL
 *
 * Delivers the vectors noted, each once, and goes on a few more times at
 * most for the notes that came meanwhile; the rest is left to the
 * irq_work.  Each vector is delivered on one CPU at a time
 * (zoc_vfn_deliver()); no lock is shared by the vectors, and a vector
 * another CPU noted meanwhile is delivered by that CPU.
 *
 * Context: hard interrupt context, or interrupts disabled.
 */
void zoc_host_bus_deliver(struct zoc_bus *b)
{
	unsigned int again = ZOC_BUS_DELIVER_AGAIN;
	unsigned long slots, notes;
	unsigned int slot, v;

	/* Nothing of ours to deliver: no atomic on the doorbell's path */
	if (!b || !READ_ONCE(b->irq_slots))
		return;
	for (;;) {
		slots = xchg(&b->irq_slots, 0);
		for_each_set_bit(slot, &slots, ZOC_BUS_SLOTS) {
			notes = xchg(&b->fn[slot].irq_note, 0);
			for_each_set_bit(v, &notes, ZOC_BUS_VECTORS)
				zoc_vfn_deliver(b, &b->fn[slot], v, &again);
		}
		if (!READ_ONCE(b->irq_slots))
			return;
		if (!again)
			break;
		again--;
	}
	/* Notes keep coming: the rest once we returned. */
	irq_work_queue(&b->irq_work);
}

void zoc_bus_irq_work(struct irq_work *work)
{
	zoc_host_bus_deliver(container_of(work, struct zoc_bus, irq_work));
}

/**
 * zoc_host_bus_kick - deliver noted interrupts soon, from any context
 * @b: the bus, or NULL
 */
void zoc_host_bus_kick(struct zoc_bus *b)
{
	if (b && READ_ONCE(b->irq_slots))
		irq_work_queue(&b->irq_work);
}

static void zoc_msi_compose(struct irq_data *data, struct msi_msg *msg)
{
	/* Never sent by anyone: the bus raises the vector itself. */
	msg->address_hi = 0;
	msg->address_lo = ZOC_BUS_MSI_ADDR;
	msg->data = data->hwirq;
}

/*
 * A vector is delivered on the CPU that takes its message off the link:
 * tell the service VM which data queues are bound to the online CPUs of
 * @mask, or to all its CPUs if @force (struct zoc_dev_page's irq_queues),
 * as an MSI message names its CPU.  It posts the vector's messages on the
 * queue of the CPU that rang last if that is one of them, else on the
 * first.  Queues past the 16 the page names (with no transport's map, a
 * queue per CPU) are not named: with none named, the vector follows the
 * last doorbell.
 */
static int zoc_msi_set_affinity(struct irq_data *data,
				const struct cpumask *mask, bool force)
{
	struct zoc_bus *b = irq_data_get_irq_chip_data(data);
	struct zoc_vfn *fn = &b->fn[data->hwirq / ZOC_BUS_VECTORS];
	unsigned int cpu, queue;
	u16 queues = 0;

	for_each_cpu(cpu, mask) {
		if (!force && !cpu_online(cpu))
			continue;
		queue = zoc_host_link_cpu_queue(b->host, cpu);
		if (queue < BITS_PER_TYPE(queues))
			queues |= BIT(queue);
	}
	WRITE_ONCE(fn->page->irq_queues[data->hwirq % ZOC_BUS_VECTORS],
		   cpu_to_le16(queues));
	irq_data_update_effective_affinity(data, mask);
	return IRQ_SET_MASK_OK;
}

static void zoc_msi_set_desc(msi_alloc_info_t *arg, struct msi_desc *desc)
{
	struct pci_dev *pdev = msi_desc_to_pci_dev(desc);

	arg->desc = desc;
	arg->hwirq = PCI_SLOT(pdev->devfn) * ZOC_BUS_VECTORS + desc->msi_index;
}

/*
 * The core replays an interrupt that came while it was disabled (after
 * enable_irq(), check_irq_resend()).  Through the bus's delivery, which
 * delivers a vector on one CPU at a time, rather than the core's tasklet,
 * which would run the handler beside it: an interrupt the bus delivers
 * meanwhile on another CPU would be dropped (zoc_vfn_deliver()).
 */
static int zoc_msi_retrigger(struct irq_data *data)
{
	struct zoc_bus *b = irq_data_get_irq_chip_data(data);

	zoc_bus_note(b, data->hwirq / ZOC_BUS_VECTORS,
		     data->hwirq % ZOC_BUS_VECTORS);
	irq_work_queue(&b->irq_work);
	return 1;
}

static struct irq_chip zoc_msi_chip = {
	.name			= "ZOC-MSI",
	.irq_compose_msi_msg	= zoc_msi_compose,
	.irq_set_affinity	= zoc_msi_set_affinity,
	.irq_retrigger		= zoc_msi_retrigger,
};

/*
 * As the MSI core's own, and the affinity is set at once from process
 * context (IRQ_MOVE_PCNTXT): no ack of ours would apply a pending move.
 */
static int zoc_msi_init(struct irq_domain *domain,
			struct msi_domain_info *info, unsigned int virq,
			irq_hw_number_t hwirq, msi_alloc_info_t *arg)
{
	irq_domain_set_hwirq_and_chip(domain, virq, hwirq, info->chip,
				      info->chip_data);
	__irq_set_handler(virq, info->handler, 0, info->handler_name);
	irq_set_status_flags(virq, IRQ_MOVE_PCNTXT);
	return 0;
}

/* A vector freed: no queue named for the next one of that number. */
static void zoc_msi_free(struct irq_domain *domain,
			 struct msi_domain_info *info, unsigned int virq)
{
	struct irq_data *data = irq_domain_get_irq_data(domain, virq);
	struct zoc_bus *b = info->chip_data;
	struct zoc_vfn *fn;

	if (!data)
		return;
	fn = &b->fn[data->hwirq / ZOC_BUS_VECTORS];
	WRITE_ONCE(fn->page->irq_queues[data->hwirq % ZOC_BUS_VECTORS], 0);
}

static struct msi_domain_ops zoc_msi_ops = {
	.msi_init = zoc_msi_init,
	.msi_free = zoc_msi_free,
	.set_desc = zoc_msi_set_desc,
};

static const struct msi_domain_info zoc_msi_info = {
	.flags		= MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS |
			  MSI_FLAG_PCI_MSIX,
	.ops		= &zoc_msi_ops,
	.chip		= &zoc_msi_chip,
	.handler	= handle_simple_irq,
	.handler_name	= "simple",
};

/* Named after the bus's PCI domain: @b->sd is set already. */
int zoc_bus_msi_init(struct zoc_bus *b)
{
	struct fwnode_handle *fwnode;

	fwnode = irq_domain_alloc_named_id_fwnode("ZOC-MSI", b->sd.domain);
	if (!fwnode)
		return -ENOMEM;
	b->msi_info = zoc_msi_info;
	b->msi_info.chip_data = b;
	b->msi = pci_msi_create_irq_domain(fwnode, &b->msi_info, NULL);
	if (!b->msi) {
		irq_domain_free_fwnode(fwnode);
		return -ENOMEM;
	}
	return 0;
}

void zoc_bus_msi_exit(struct zoc_bus *b)
{
	struct fwnode_handle *fwnode = b->msi->fwnode;

	irq_domain_remove(b->msi);
	irq_domain_free_fwnode(fwnode);
}
