/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC service VM side: what the link endpoint and the I/O proxy offer each
 * other, and what main.c starts and stops.
 */
#ifndef _ZOC_GUEST_H
#define _ZOC_GUEST_H

#include <linux/types.h>

struct zoc_msg;
struct zoc_dev_page;

int zoc_guest_link_post(const struct zoc_msg *msg);
int zoc_guest_link_reply(const struct zoc_msg *msg);

/* Inside zoc_guest: the link endpoint and the I/O proxy. */
void *zoc_guest_link_host_ptr(u64 addr, size_t len);
struct zoc_dev_page *zoc_guest_link_dev_page(unsigned int slot);
int zoc_guest_link_init(void);
void zoc_guest_link_exit(void);
bool zoc_proxy_request(const struct zoc_msg *msg, struct zoc_msg *reply);
void zoc_proxy_tick(void);
void zoc_proxy_link_gone(void);
u64 zoc_proxy_ctrl_refused_count(void);
int zoc_proxy_init(void);
void zoc_proxy_exit(void);

#endif /* _ZOC_GUEST_H */
