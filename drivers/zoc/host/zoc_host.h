/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC host side: state shared by the link core and its transports.
 */
#ifndef _ZOC_HOST_H
#define _ZOC_HOST_H

#include <linux/types.h>

struct zoc_host_link;

/**
 * struct zoc_host_transport_ops - how the link reaches the service VM
 * @ring: ring doorbell @vector of the service VM, whose doorbell address
 *	(published by it in the link area) is @peer; posted, may be called
 *	in any context
 */
struct zoc_host_transport_ops {
	void (*ring)(void *priv, u32 peer, u16 vector);
};

int zoc_host_link_attach(const struct zoc_host_transport_ops *ops, void *priv,
			 u32 own_id);
void zoc_host_link_detach(void *priv);
void zoc_host_link_doorbell(void);

struct zoc_msg;
int zoc_host_link_call(struct zoc_msg *msg, struct zoc_msg *reply,
		       unsigned long timeout);
int zoc_host_link_post(struct zoc_msg *msg);
int zoc_host_link_call_atomic(struct zoc_msg *msg, struct zoc_msg *reply,
			      u64 timeout_ns);

bool zoc_host_link_in_link_area(phys_addr_t phys);
phys_addr_t zoc_host_link_aperture_end(void);

int zoc_host_ivshmem_init(void);
void zoc_host_ivshmem_exit(void);
struct resource;
struct dentry;
int zoc_host_bus_init(struct resource *aperture, struct dentry *dir);
void zoc_host_bus_exit(void);
int zoc_host_chardev_init(void);
void zoc_host_chardev_exit(void);

#endif /* _ZOC_HOST_H */
