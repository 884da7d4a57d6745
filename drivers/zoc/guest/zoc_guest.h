/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC service VM side: what the link offers to the I/O proxy.
 */
#ifndef _ZOC_GUEST_H
#define _ZOC_GUEST_H

#include <linux/types.h>

struct zoc_msg;

/**
 * struct zoc_guest_client - the user of the link in the service VM
 * @request: called for each request from the host that the link does not
 *	answer itself (MMIO reads and writes, control requests), in interrupt
 *	context with the link's lock held; @msg was copied out of shared
 *	memory and its length checked, nothing else.  Fill @reply (its header
 *	is preset to the request's) and return true to send it.
 * @priv: passed to @request
 */
struct zoc_guest_client {
	bool (*request)(void *priv, const struct zoc_msg *msg,
			struct zoc_msg *reply);
	void *priv;
};

int zoc_guest_link_set_client(const struct zoc_guest_client *client);
void zoc_guest_link_clear_client(const struct zoc_guest_client *client);
int zoc_guest_link_post(const struct zoc_msg *msg);
int zoc_guest_link_call(struct zoc_msg *msg, struct zoc_msg *reply,
			unsigned long timeout);

#endif /* _ZOC_GUEST_H */
