/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC service VM side: what a link endpoint (link.c) offers the layer
 * above it, the I/O proxy (proxy.c), and what main.c sets up and tears
 * down for each ivshmem-doorbell function.
 */
#ifndef _ZOC_GUEST_H
#define _ZOC_GUEST_H

#include <linux/types.h>

struct device;
struct page;
struct pci_dev;
struct seq_file;
struct zoc_dev_page;
struct zoc_dev_live;
struct zoc_dev_saved;
struct zoc_guest_link;
struct zoc_msg;
struct zoc_proxy;

/**
 * struct zoc_guest_client_ops - the layer above an endpoint, as it calls it
 * @request: a request from the host that the endpoint does not answer
 *	itself.  @reply's header is preset to the request's.  Return false
 *	if it is not the client's; true if handled: @reply is sent unless
 *	its type was set to ZOC_MSG_NONE (posted, or answered later).
 *	Called from the link's @receive: the receiving lock held,
 *	interrupts disabled, never sleep.
 * @tick: optional; the link's tick while it is up, the receiving lock
 *	held and interrupts disabled, as @request: the two never run at once.
 * @show: optional; the client's lines in the endpoints' debugfs file.
 *	Process context.
 * @leave: optional; the endpoint is about to hand its link over to a
 *	standby service VM: let go of everything served on it, so that the
 *	next service VM can take it on, and take no control request of the
 *	link's present epoch any more.  Process context.
 * @up: optional; the link came up: the host took our rings (a standby's
 *	link is ours from then on).  Called with the receiving lock held,
 *	interrupts disabled, as @request: never sleep.
 *
 * A client is registered with zoc_guest_link_set_client(); the endpoint
 * never calls the layer above but through these.
 */
struct zoc_guest_client_ops {
	bool (*request)(void *priv, const struct zoc_msg *msg,
			struct zoc_msg *reply);
	void (*tick)(void *priv);
	void (*show)(void *priv, struct seq_file *s);
	void (*leave)(void *priv);
	void (*up)(void *priv);
};

/* The link endpoint of one ivshmem-doorbell function (link.c). */
struct zoc_guest_link *zoc_guest_link_create(struct pci_dev *pdev,
					     u64 aperture);
void zoc_guest_link_destroy(struct zoc_guest_link *ep);
int zoc_guest_link_start(struct zoc_guest_link *ep);
void zoc_guest_link_stop(struct zoc_guest_link *ep);
void zoc_guest_link_set_client(struct zoc_guest_link *ep,
			       const struct zoc_guest_client_ops *ops,
			       void *priv);
struct device *zoc_guest_link_dev(struct zoc_guest_link *ep);
u32 zoc_guest_link_epoch(struct zoc_guest_link *ep);
bool zoc_guest_link_standing_by(struct zoc_guest_link *ep);
void *zoc_guest_link_host_ptr(struct zoc_guest_link *ep, u64 addr,
			      size_t len);
bool zoc_guest_link_has_pages(struct zoc_guest_link *ep);
struct page *zoc_guest_link_host_page(struct zoc_guest_link *ep, void *ptr);
struct zoc_dev_page *zoc_guest_link_dev_page(struct zoc_guest_link *ep,
					     unsigned int slot);
struct zoc_dev_saved *zoc_guest_link_saved_page(struct zoc_guest_link *ep,
						unsigned int slot);
struct zoc_dev_live *zoc_guest_link_live_page(struct zoc_guest_link *ep,
					      unsigned int slot);
int zoc_guest_link_post(struct zoc_guest_link *ep, const struct zoc_msg *msg);
int zoc_guest_link_post_queue(struct zoc_guest_link *ep, unsigned int hint,
			      const struct zoc_msg *msg);
u32 zoc_guest_link_poll_us(struct zoc_guest_link *ep);
int zoc_guest_link_reply(struct zoc_guest_link *ep, const struct zoc_msg *msg);
int zoc_guest_link_call(struct zoc_guest_link *ep, struct zoc_msg *msg,
			struct zoc_msg *reply, unsigned long timeout);

/* The list of endpoints, shown in debugfs (link.c). */
void zoc_guest_links_set_standby(bool standby);
void zoc_guest_links_init(void);
void zoc_guest_links_exit(void);

/* The I/O proxy of one endpoint (proxy.c). */
struct zoc_proxy *zoc_proxy_create(struct zoc_guest_link *ep);
void zoc_proxy_destroy(struct zoc_proxy *proxy);

#endif /* _ZOC_GUEST_H */
