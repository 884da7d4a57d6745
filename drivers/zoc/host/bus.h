/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC virtual PCI bus, internal to zoc_host: the bus and its functions,
 * shared by the host bridge and configuration space (bus.c), the MSI irq
 * domain (msi.c), the BAR region policies (bar.c) and the device lifecycle
 * (dev.c).
 */
#ifndef _ZOC_BUS_H
#define _ZOC_BUS_H

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/ioport.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/msi.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>
#include <asm/mmio_emul.h>

#include "../link/link.h"
#include "image.h"

#define ZOC_BUS_SLOTS		ZOC_LINK_MAX_DEVS
#define ZOC_BUS_BAR_STRIDE	BIT(ZOC_BUS_BAR_MAX_SHIFT)
#define ZOC_BUS_KEPT		16	/* BAR writes a stalled function keeps */
/* BAR writes posted to the service VM that a function notes (a power of 2) */
#define ZOC_BUS_POSTED		16
#define ZOC_BUS_READ_NS		(200 * NSEC_PER_MSEC)	/* TCG is slow */
/* ... when the access has interrupts disabled: a small bound */
#define ZOC_BUS_READ_IRQSOFF_NS	(20 * NSEC_PER_MSEC)
/* Register reads in a row a beating service VM may leave unanswered */
#define ZOC_BUS_UNANSWERED	3

static_assert(ZOC_BUS_VECTORS == BITS_PER_LONG);
static_assert(ZOC_LINK_DEV_PAGES + ZOC_BUS_SLOTS * ZOC_LINK_DEV_PAGE_SIZE <=
	      ZOC_LINK_AREA_SIZE);

struct irq_domain;

/**
 * struct zoc_vfn_kept - a BAR write kept while its function stalls, or
 *	noted as posted
 * @offset: in BAR0
 * @size: 1, 2, 4 or 8; 0: none (a posted one that was not sent)
 * @value: the value written
 * @seq: a posted one's write number
 */
struct zoc_vfn_kept {
	u64 offset;
	u64 value;
	unsigned int size;
	u32 seq;
};

/**
 * struct zoc_vfn - a function of the bus
 * @bus: its bus
 * @region: its BAR0, an emulated MMIO region
 * @cfg: its configuration space
 * @image: the validated copy of its device image
 * @page: its device page, shared with the service VM
 * @bar: BAR0's physical address
 * @bar_size: BAR0's size
 * @slot: its slot number, also its device number on the link
 * @name: its name
 * @backend: its backend in the service VM
 * @ns: an NVMe controller's namespaces: their volumes, by identifier - 1,
 *	empty if none
 * @net: a network device's identity
 * @link_up: a network device's link as the administrator set it
 * @queues: queue pairs asked for
 * @flags: ZOC_DEV_F_* asked for
 * @present: it exists
 * @dead: the service VM stopped answering: all ones from now on
 * @model_gone: the service VM acknowledged that its model is destroyed
 * @pdev: the PCI core's device, NULL once removed
 * @gone_work: removes @pdev once @dead
 * @probe_watchdog: makes it gone if its driver's probe waits too long
 * @msix_lock: protects @msix, @pba and the MSI-X control word of @cfg
 *	against the interrupt path; nests inside the bus's @cfg_lock
 * @msix: the MSI-X table: address low, high, data, vector control
 * @pba: pending bits of masked vectors
 * @irq_note: vectors the service VM raised, not delivered yet
 * @irq_busy: vectors a CPU delivers now (msi.c)
 * @stats: enum zoc_stat counters kept by the bus
 * @rt_start: when the last doorbell message went (ktime_get_ns()), until
 *	an interrupt ends its round trip; 0 when none is timed
 * @dma_lock: protects @dma_fenced and @dma_held; raw, as functions are
 *	declared gone under the bus's raw locks
 * @dma_fenced: its model may still DMA while its driver lets go: what the
 *	driver frees or unmaps is held, not given back (dma.c)
 * @dma_held: what is held, &struct zoc_dma_held
 * @dma_held_pages: how many pages that is
 * @dma_bounce: &struct zoc_dma_bounce mapped, by the frame numbers of their
 *	bounce pages
 * @epoch: the service VM epoch whose model serves it
 * @stalled: its service VM went away: it waits for one (outage.c)
 * @stalled_at: when a register read was not answered in time, in jiffies,
 *	or 0: the same service VM serves it again only once it beat since
 * @stalled_beat: the service VM's heartbeat then, in the link area
 * @unanswered: register reads in a row its service VM left unanswered;
 *	past ZOC_BUS_UNANSWERED, it is gone rather than stalled
 * @kept_lock: protects @stalled's changes, @kept, @nr_kept, @replayed
 *	and @db_held against the MMIO path; raw, as that path is
 * @nr_kept: BAR writes kept in @kept
 * @replayed: of them, those replayed already
 * @db_held: doorbells rung while stalled, their pending bits held back
 *	until the writes kept before them are replayed
 * @kept: BAR writes kept while stalled, in order
 * @write_seq: the write number of the last BAR write posted
 * @posting: BAR writes being posted (kept_lock)
 * @untaken_epoch: the service VM epoch that was sent the writes the one
 *	before it never took; bus mutex
 * @posted: the last ZOC_BUS_POSTED BAR writes posted, by write number:
 *	those its service VM did not take are sent to the next one
 */
struct zoc_vfn {
	struct zoc_bus *bus;
	struct mmio_emul_region region;
	u8 cfg[ZOC_BUS_CFG_SIZE];
	struct zoc_dev_image image;
	struct zoc_dev_page *page;
	phys_addr_t bar;
	u32 bar_size;
	unsigned int slot;
	char name[ZOC_DEV_NAME_LEN];
	char backend[ZOC_DEV_NAME_LEN];
	char ns[ZOC_DEV_MAX_NS][ZOC_DEV_NAME_LEN];
	struct zoc_ctrl_net net;
	bool link_up;
	u32 queues;
	u32 flags;
	bool present;
	bool dead;
	bool model_gone;
	struct pci_dev *pdev;
	struct work_struct gone_work;
	struct delayed_work probe_watchdog;
	/* the trapped table writes and the interrupt path race */
	raw_spinlock_t msix_lock;
	u32 msix[ZOC_BUS_VECTORS][4];
	unsigned long pba;
	unsigned long irq_note;
	unsigned long irq_busy;
	atomic64_t stats[__ZOC_STAT_MAX];
	atomic64_t rt_start;
	/* unmaps and frees from any context race with the fence */
	raw_spinlock_t dma_lock;
	bool dma_fenced;
	struct list_head dma_held;
	unsigned long dma_held_pages;
	struct xarray dma_bounce;
	u32 epoch;
	bool stalled;
	unsigned long stalled_at;
	u64 stalled_beat;
	unsigned int unanswered;
	/* the MMIO path races the end of a stall */
	raw_spinlock_t kept_lock;
	unsigned int nr_kept;
	unsigned int replayed;
	unsigned long db_held;
	struct zoc_vfn_kept kept[ZOC_BUS_KEPT];
	u32 write_seq;
	unsigned int posting;
	u32 untaken_epoch;
	struct zoc_vfn_kept posted[ZOC_BUS_POSTED];
};

/**
 * struct zoc_bus - the virtual bus of one link
 * @host: the host end of its link
 * @link: that link
 * @bridge: its host bridge
 * @sd: x86 sysdata: the domain
 * @window: the part of the aperture its BARs live in
 * @busn: its bus numbers
 * @msi: its MSI irq domain
 * @msi_info: ... made with this, whose chip data is the bus
 * @cfg_lock: protects the functions' config space; the PCI core calls
 *	pci_ops under its own raw spinlock, so this one is raw too.  A
 *	function's MSI-X control word is written under its msix_lock too,
 *	which the interrupt path reads it under
 * @mutex: serialises hot-plug and management
 * @irq_slots: slots with noted interrupts
 * @irq_work: delivers interrupts noted outside the doorbell handler
 * @ack_work: asks the service VM to acknowledge the end of the models
 *	whose functions hold DMA pages
 * @dma_debugfs: its debugfs file of held pages
 * @dma_released: pages held, then given back once acknowledged
 * @dma_leaked: pages held for good: never acknowledged
 * @dma_bounced: buffers mapped through bounce pages
 * @outage_limit_ms: how long its functions stall for a service VM
 * @outage: its functions stall (outage.c)
 * @outage_start: since when, in jiffies
 * @svm_lost: the link reported the service VM lost
 * @svm_work: starts, follows and ends an outage
 * @fn: the functions, by slot
 */
struct zoc_bus {
	struct zoc_host *host;
	struct zoc_link *link;
	struct pci_host_bridge *bridge;
	struct pci_sysdata sd;
	struct resource window;
	struct resource busn;
	struct irq_domain *msi;
	struct msi_domain_info msi_info;
	raw_spinlock_t cfg_lock;
	/* serialises hot-plug and management */
	struct mutex mutex;
	unsigned long irq_slots;
	struct irq_work irq_work;
	struct work_struct ack_work;
	struct dentry *dma_debugfs;
	atomic64_t dma_released;
	atomic64_t dma_leaked;
	atomic64_t dma_bounced;
	u32 outage_limit_ms;
	bool outage;
	unsigned long outage_start;
	atomic_t svm_lost;
	struct delayed_work svm_work;
	struct zoc_vfn fn[ZOC_BUS_SLOTS];
};

static inline struct zoc_bus *zoc_bus_of(struct pci_bus *bus)
{
	return container_of(bus->sysdata, struct zoc_bus, sd);
}

/* For logs: the function's device once it has one, else its bus's. */
static inline struct device *zoc_vfn_dev(struct zoc_vfn *fn)
{
	return fn->pdev ? &fn->pdev->dev : &fn->bus->bridge->dev;
}

static inline void zoc_vfn_stat(struct zoc_vfn *fn, unsigned int stat)
{
	atomic64_inc(&fn->stats[stat]);
}

/* dma.c: the functions' DMA mappings, held while their model may run */
void zoc_vfn_dma_init(struct zoc_vfn *fn);
void zoc_vfn_dma_exit(struct zoc_vfn *fn);
void zoc_vfn_dma_setup(struct zoc_vfn *fn, struct pci_dev *pdev);
void zoc_vfn_dma_fence(struct zoc_vfn *fn);
void zoc_vfn_dma_release(struct zoc_vfn *fn);
void zoc_vfn_dma_leak(struct zoc_vfn *fn);
void zoc_bus_dma_debugfs(struct zoc_bus *b, struct dentry *dir);

/* bus.c: the host bridge and configuration space */
void zoc_vfn_build_cfg(struct zoc_vfn *fn);

/* msi.c: the MSI irq domain and interrupt delivery */
void zoc_vfn_msix_replay(struct zoc_vfn *fn);
void zoc_bus_irq_work(struct irq_work *work);
int zoc_bus_msi_init(struct zoc_bus *b);
void zoc_bus_msi_exit(struct zoc_bus *b);

/* bar.c: BAR0's region policies */
extern const struct mmio_emul_ops zoc_vfn_ops;
void zoc_vfn_msg(struct zoc_vfn *fn, struct zoc_msg *msg, u8 type,
		 unsigned long offset, unsigned int size, u64 val);
void zoc_vfn_ring(struct zoc_vfn *fn);

/* dev.c: the device lifecycle */
void zoc_vfn_gone(struct zoc_vfn *fn, const char *why);
struct zoc_vfn *zoc_bus_find(struct zoc_bus *b, const char *name);
void zoc_bus_unplug(struct zoc_bus *b, struct zoc_vfn *fn);
void zoc_vfn_gone_work(struct work_struct *work);
void zoc_vfn_probe_watchdog(struct work_struct *work);
void zoc_bus_ack(struct zoc_bus *b);
void zoc_bus_ack_work(struct work_struct *work);
int zoc_bus_ctrl(struct zoc_bus *b, u32 opcode, const void *data, size_t len);
bool zoc_bus_svm_answers(struct zoc_bus *b);
void zoc_vfn_dev_req(struct zoc_vfn *fn, u8 type,
		     struct zoc_ctrl_dev_create *req);

/* outage.c: riding through the loss of the service VM */
u32 zoc_bus_svm_epoch(struct zoc_bus *b);
bool zoc_vfn_riding(struct zoc_vfn *fn);
bool zoc_vfn_keep(struct zoc_vfn *fn, u64 offset, unsigned int size, u64 val);
bool zoc_vfn_stall(struct zoc_vfn *fn);
void zoc_vfn_answered(struct zoc_vfn *fn);
bool zoc_vfn_hold_doorbell(struct zoc_vfn *fn, unsigned int db);
void zoc_vfn_outage_reset(struct zoc_vfn *fn);
int zoc_vfn_post_write(struct zoc_vfn *fn, u64 offset, unsigned int size,
		       u64 val, u64 wait_ns);
void zoc_vfn_writes_reset(struct zoc_vfn *fn);
void zoc_bus_outage_event(struct zoc_bus *b, enum zoc_link_event event);
void zoc_bus_outage_init(struct zoc_bus *b);
void zoc_bus_outage_exit(struct zoc_bus *b);

#endif /* _ZOC_BUS_H */
