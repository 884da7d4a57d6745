/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC host side: the host end of a link, and what its parts (link, bus,
 * transports, management) offer each other.
 */
#ifndef _ZOC_HOST_H
#define _ZOC_HOST_H

#include <linux/atomic.h>
#include <linux/ioport.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/types.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>

#include "../link/link.h"

#define ZOC_HOST_MAX_LINKS	4

struct dentry;
struct zoc_bus;
struct zoc_host_test_ops;

/**
 * struct zoc_host - the host's end of one link to a service VM
 * @node: in the module's list of links
 * @id: the link's number, from 0 in the order of the apertures
 * @aperture: the aperture, claimed (not busy: the bus's BARs are in it)
 * @pdev: the device the link, its bus and its transports hang off
 * @area: the link area, mapped write-back
 * @marker: page of ordinary RAM the wiring probe asks the service VM to read
 * @link: the link protocol's instance
 * @probe_mutex: serialises probes: one marker, one sequence
 * @probes_ok: probes answered correctly
 * @probes_failed: probes that timed out or were answered wrongly
 * @probe_seq: the last probe's sequence number, 0 if none was made
 * @dir: debugfs directory
 * @bus: the virtual PCI bus of the functions the service VM serves
 * @misc: /dev/zoc-link<id>, the bare-metal transport
 * @misc_name: its name
 * @transport_mutex: serialises attaching and detaching transports with
 *	@window_only
 * @window_files: its window files (the L0 window on bare metal) open
 * @window_maps: mappings of them
 * @window_only: the bare-metal transport was the last one and is detached:
 *	its service VM can reach host memory only through a window file
 * @models_added: ZOC_CTRL_MODEL_ADDED requests received (receiving lock)
 * @cpu_queue: nr_cpu_ids entries: the data queue each CPU posts its
 *	doorbells on, the one whose vector is bound to it, as the transport
 *	said at its attach (else the CPU's number, taken modulo the queues)
 * @test_ops: the test module attached (test_hooks.c), NULL if none;
 *	written with the link's receiving lock held
 * @test_priv: its state for this link
 */
struct zoc_host {
	struct list_head node;
	unsigned int id;
	struct resource aperture;
	struct platform_device *pdev;
	struct zoc_link_area *area;
	struct zoc_link_marker *marker;
	struct zoc_link link;
	/* serialises probes and protects their counters */
	struct mutex probe_mutex;
	u64 probes_ok;
	u64 probes_failed;
	u64 probe_seq;
	u64 models_added;
	struct dentry *dir;
	struct zoc_bus *bus;
	struct miscdevice misc;
	char misc_name[16];
	u16 *cpu_queue;
	/* serialises transports with @window_only */
	struct mutex transport_mutex;
	atomic_t window_files;
	atomic_t window_maps;
	bool window_only;
#if IS_ENABLED(CONFIG_ZOC_TEST_HOOKS)
	const struct zoc_host_test_ops *test_ops;
	void *test_priv;
#endif
};

/* main.c: the list of links */
struct zoc_host *zoc_host_get(unsigned int id);
struct zoc_host *zoc_host_next(struct zoc_host *host);

/* link.c: the host end of a link */
struct zoc_host *zoc_host_link_init(unsigned int id, phys_addr_t base,
				    size_t size, struct dentry *parent);
void zoc_host_link_exit(struct zoc_host *host);
void zoc_host_link_start(struct zoc_host *host);
void zoc_host_link_stop(struct zoc_host *host);
int zoc_host_probe(struct zoc_host *host);

int zoc_host_link_attach(struct zoc_host *host,
			 const struct zoc_link_transport_ops *ops, void *priv,
			 u32 own_id, unsigned int queues, const u16 *cpu_queue);
unsigned int zoc_host_link_cpu_queue(struct zoc_host *host, unsigned int cpu);
void zoc_host_link_detach(struct zoc_host *host, void *priv, bool window_only);
void zoc_host_link_doorbell(struct zoc_host *host);
void zoc_host_link_queue_doorbell(struct zoc_host *host, unsigned int queue);

bool zoc_host_link_in_link_area(struct zoc_host *host, phys_addr_t phys);

/**
 * struct zoc_host_link_status - the link, for management
 * @state: enum zoc_link_status
 * @epoch: the service VM epoch attached to
 * @resets: link resets
 * @timeouts: requests that timed out
 */
struct zoc_host_link_status {
	u32 state;
	u32 epoch;
	u64 resets;
	u64 timeouts;
};

void zoc_host_link_status(struct zoc_host *host,
			  struct zoc_host_link_status *st);

/* ivshmem.c: the transport of a host that is itself a VM */
int zoc_host_ivshmem_init(void);
void zoc_host_ivshmem_exit(void);

/* bus.c, msi.c, dev.c: the virtual PCI bus */
int zoc_host_bus_init(struct zoc_host *host);
void zoc_host_bus_drain(struct zoc_host *host);
void zoc_host_bus_exit(struct zoc_host *host);
void zoc_host_bus_irq(struct zoc_bus *b, u32 slot, u32 vector);
void zoc_host_bus_deliver(struct zoc_bus *b);
void zoc_host_bus_kick(struct zoc_bus *b);
void zoc_host_bus_link_event(struct zoc_bus *b, enum zoc_link_event event);
void zoc_host_bus_reclaim(struct zoc_bus *b);
u32 zoc_host_bus_dev_lost(struct zoc_bus *b, const void *data);
void zoc_host_bus_model_added(struct zoc_bus *b);
int zoc_host_bus_set_outage_limit(struct zoc_host *host, u32 ms);
u32 zoc_host_bus_outage(struct zoc_host *host, u32 *limit_ms);

/**
 * struct zoc_host_dev_req - a device to create
 * @type: ZOC_DEV_*
 * @name: its name, unique
 * @backend: storage devices: its backend in the service VM
 * @queues: queue pairs, 0 for one per online CPU
 * @flags: ZOC_DEV_F_*
 * @net: network devices: the identity asked for
 */
struct zoc_host_dev_req {
	u32 type;
	const char *name;
	const char *backend;
	u32 queues;
	u32 flags;
	struct zoc_ctrl_net net;
};

/**
 * struct zoc_host_dev_info - a device, for management
 * @name: its name
 * @backend: its backend in the service VM
 * @ns: an NVMe controller's namespaces: their volumes, by identifier - 1
 * @type: ZOC_DEV_*
 * @queues: queue pairs asked for
 * @flags: ZOC_DEV_F_* asked for
 * @state: enum zoc_dev_state
 * @link_up: network devices: the link as the administrator set it
 * @net: network devices: their identity
 * @pci: its PCI address
 * @link: the link it is served over
 * @stats: enum zoc_stat counters
 */
struct zoc_host_dev_info {
	char name[ZOC_DEV_NAME_LEN];
	char backend[ZOC_DEV_NAME_LEN];
	char ns[ZOC_DEV_MAX_NS][ZOC_DEV_NAME_LEN];
	u32 type;
	u32 queues;
	u32 flags;
	u32 state;
	bool link_up;
	struct zoc_ctrl_net net;
	char pci[16];
	u32 link;
	u64 stats[__ZOC_STAT_MAX];
};

struct netlink_ext_ack;
int zoc_host_dev_add(struct zoc_host *host, const struct zoc_host_dev_req *req,
		     struct netlink_ext_ack *extack);
int zoc_host_dev_set_link(struct zoc_host *host, const char *name, bool up,
			  struct netlink_ext_ack *extack);
int zoc_host_dev_del(struct zoc_host *host, const char *name,
		     struct netlink_ext_ack *extack);
int zoc_host_dev_ns(struct zoc_host *host, const char *name, u32 *nsid,
		    const char *volume, struct netlink_ext_ack *extack);
int zoc_host_dev_info(struct zoc_host *host, const char *name,
		      struct zoc_host_dev_info *info);
int zoc_host_dev_info_next(struct zoc_host *host, unsigned int *slot,
			   struct zoc_host_dev_info *info);

/* netlink.c: management */
int zoc_host_netlink_init(void);
void zoc_host_netlink_exit(void);

/* chardev.c: the bare-metal transport */
int zoc_host_chardev_init(void);
void zoc_host_chardev_exit(void);
int zoc_host_chardev_add(struct zoc_host *host);
void zoc_host_chardev_remove(struct zoc_host *host);
bool zoc_host_chardev_svm_gone(struct zoc_host *host);

/* dma.c: the functions' DMA */
u64 zoc_host_ram_end(void);
void zoc_host_ram_map(struct zoc_link_ram_map *map);

#endif /* _ZOC_HOST_H */
