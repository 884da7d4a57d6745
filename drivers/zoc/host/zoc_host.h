/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC host side: the host end of a link, and what its parts (link, bus,
 * transports, management) offer each other.
 */
#ifndef _ZOC_HOST_H
#define _ZOC_HOST_H

#include <linux/ioport.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>

#include "../link/link.h"
#include "link_test.h"

struct dentry;
struct platform_device;

/**
 * struct zoc_host - the host's end of one link to a service VM
 * @aperture: the aperture, claimed (not busy: the bus's BARs are in it)
 * @pdev: the device the link and its bus hang off
 * @area: the link area, mapped write-back
 * @marker: page of ordinary RAM the wiring probe asks the service VM to read
 * @link: the link protocol's instance
 * @probe_mutex: serialises probes: one marker, one sequence
 * @probes_ok: probes answered correctly
 * @probes_failed: probes that timed out or were answered wrongly
 * @test: the link's test requests
 * @dir: debugfs directory
 */
struct zoc_host {
	struct resource aperture;
	struct platform_device *pdev;
	struct zoc_link_area *area;
	struct zoc_link_marker *marker;
	struct zoc_link link;
	/* serialises probes and protects their counters */
	struct mutex probe_mutex;
	u64 probes_ok;
	u64 probes_failed;
	struct zoc_host_test test;
	struct dentry *dir;
};

struct zoc_host *zoc_host_link_init(phys_addr_t base, size_t size);
void zoc_host_link_exit(struct zoc_host *host);
void zoc_host_link_start(struct zoc_host *host);
void zoc_host_link_stop(struct zoc_host *host);
int zoc_host_probe(struct zoc_host *host);

int zoc_host_link_attach(const struct zoc_link_transport_ops *ops, void *priv,
			 u32 own_id);
void zoc_host_link_detach(void *priv);
void zoc_host_link_doorbell(void);

struct zoc_msg;
int zoc_host_link_call(struct zoc_msg *msg, struct zoc_msg *reply,
		       unsigned long timeout);
int zoc_host_link_post(struct zoc_msg *msg);
int zoc_host_link_post_wait(struct zoc_msg *msg, u64 timeout_ns);
int zoc_host_link_call_atomic(struct zoc_msg *msg, struct zoc_msg *reply,
			      u64 timeout_ns);

bool zoc_host_link_in_link_area(phys_addr_t phys);
phys_addr_t zoc_host_link_aperture_end(void);

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

void zoc_host_link_status(struct zoc_host_link_status *st);
struct zoc_dev_page *zoc_host_link_dev_page(unsigned int slot);

int zoc_host_ivshmem_init(void);
void zoc_host_ivshmem_exit(void);
int zoc_host_bus_init(struct resource *aperture, struct dentry *dir);
void zoc_host_bus_exit(void);
void zoc_host_bus_irq(u32 slot, u32 vector);
void zoc_host_bus_deliver(void);
void zoc_host_bus_kick(void);
void zoc_host_bus_link_lost(void);

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
 * @type: ZOC_DEV_*
 * @queues: queue pairs asked for
 * @flags: ZOC_DEV_F_* asked for
 * @state: enum zoc_dev_state
 * @link_up: network devices: the link as the administrator set it
 * @net: network devices: their identity
 * @pci: its PCI address
 * @stats: enum zoc_stat counters
 */
struct zoc_host_dev_info {
	char name[ZOC_DEV_NAME_LEN];
	char backend[ZOC_DEV_NAME_LEN];
	u32 type;
	u32 queues;
	u32 flags;
	u32 state;
	bool link_up;
	struct zoc_ctrl_net net;
	char pci[16];
	u64 stats[__ZOC_STAT_MAX];
};

struct netlink_ext_ack;
int zoc_host_dev_add(const struct zoc_host_dev_req *req,
		     struct netlink_ext_ack *extack);
int zoc_host_dev_set_link(const char *name, bool up,
			  struct netlink_ext_ack *extack);
int zoc_host_dev_del(const char *name, struct netlink_ext_ack *extack);
int zoc_host_dev_info(const char *name, struct zoc_host_dev_info *info);
int zoc_host_dev_info_next(unsigned int *slot, struct zoc_host_dev_info *info);
int zoc_host_netlink_init(void);
void zoc_host_netlink_exit(void);
int zoc_host_chardev_init(void);
void zoc_host_chardev_exit(void);

#endif /* _ZOC_HOST_H */
