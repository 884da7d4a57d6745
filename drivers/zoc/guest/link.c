// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC service VM link endpoint: one ivshmem-doorbell function, whose BAR2
 * is all of host RAM (the L0 window: BAR2 offset == host physical address)
 * and whose doorbells reach the host.  An endpoint runs the service VM's
 * end of the link protocol (drivers/zoc/link) over the link area at the
 * aperture address it is given, answers the host's wiring probes and
 * hands the host's other requests to its test hooks (test_hooks.c, in
 * kernels built for tests only), then to the client registered with it
 * (the I/O proxy).  The endpoints share nothing but their list, for
 * debugfs.
 *
 * Everything read from the window was written by the host, which is not
 * trusted: every address is checked against the window before use.
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/zoc_link.h>

#include "../link/ivshmem.h"
#include "../link/link.h"
#include "test_hooks.h"
#include "zoc_guest.h"

/* The window's struct pages take at most 1/16 of the service VM's memory */
#define ZOC_GUEST_PAGES_SHARE	16
/* How long their map waits at unbind for pages a network stack holds */
#define ZOC_GUEST_UNMAP_WAIT_MS	30000

/**
 * struct zoc_guest_link - the service VM's end of one link
 * @pdev: the ivshmem-doorbell function
 * @regs: its BAR0
 * @window: BAR2, all of host RAM, mapped write-back
 * @window_size: its size
 * @pages: the window has struct pages (ZONE_DEVICE): bios may point at it
 * @pgmap: their map, when @pages; apart from the endpoint, which it may
 *	outlive (zoc_guest_unmap_window())
 * @aperture: host physical address of the aperture, inside the window
 * @link: the link protocol's instance
 * @client: the layer above, NULL while none is registered; written with
 *	zoc_guest_links_mutex and the link's receiving lock held, so that
 *	either is enough to read it, after @client_priv: the data queues
 *	read it with neither, acquiring it, and a client that goes waits a
 *	grace period
 * @client_priv: passed back to @client
 * @node: in zoc_guest_links
 * @last_seq: sequence number of the last probe taken (receiving lock)
 * @probes: probes answered (receiving lock)
 * @test: its test hooks, NULL but in kernels built for tests
 * @unanswered: requests nobody answered
 * @nr_queues: the data queues it carries, one vector each
 * @queues: their vectors' handler data
 */
struct zoc_guest_link {
	struct pci_dev *pdev;
	void __iomem *regs;
	void *window;
	resource_size_t window_size;
	bool pages;
	struct dev_pagemap *pgmap;
	u64 aperture;
	struct zoc_link link;
	const struct zoc_guest_client_ops *client;
	void *client_priv;
	struct list_head node;
	u64 last_seq;
	u64 probes;
	struct zoc_guest_test *test;
	atomic64_t unanswered;
	unsigned int nr_queues;
	struct zoc_ivshmem_queue queues[ZOC_LINK_MAX_QUEUES];
};

/*
 * Every endpoint, for debugfs, and whether they stand by: the only state
 * the endpoints share.
 */
static LIST_HEAD(zoc_guest_links);
static DEFINE_MUTEX(zoc_guest_links_mutex);
static bool zoc_guest_standby;

/* Map a host physical range, if it lies inside the window. */
static void *zoc_guest_window(struct zoc_guest_link *ep, u64 addr, size_t len)
{
	if (addr >= ep->window_size || len > ep->window_size - addr)
		return NULL;
	return ep->window + addr;
}

/**
 * zoc_guest_link_host_ptr - host memory for device models
 * @ep: the endpoint
 * @addr: host physical address
 * @len: bytes, not zero
 *
 * Context: any.
 * Return: the range in the L0 window, or NULL if it is not all inside the
 * window and inside one range of the host's RAM map, or touches the link
 * area.
 */
void *zoc_guest_link_host_ptr(struct zoc_guest_link *ep, u64 addr, size_t len)
{
	void *p = zoc_guest_window(ep, addr, len);

	/* Inside the window: addr + len does not wrap. */
	if (!p || !len ||
	    (addr < ep->aperture + ZOC_LINK_AREA_SIZE && ep->aperture < addr + len) ||
	    !zoc_link_in_ram(&ep->link, addr, len))
		return NULL;
	return p;
}

/**
 * zoc_guest_link_has_pages - whether the L0 window has struct pages
 * @ep: the endpoint
 *
 * Context: any.
 * Return: true if block devices may move data in place in host memory
 * (zoc_guest_link_host_page()).
 */
bool zoc_guest_link_has_pages(struct zoc_guest_link *ep)
{
	return ep->pages;
}

/**
 * zoc_guest_link_host_page - host memory for a block device's own I/O
 * @ep: the endpoint, zoc_guest_link_has_pages()
 * @ptr: a pointer zoc_guest_link_host_ptr() gave
 *
 * Context: any.
 * Return: the page of the L0 window that holds @ptr, at offset
 * offset_in_page(@ptr).
 */
struct page *zoc_guest_link_host_page(struct zoc_guest_link *ep, void *ptr)
{
	return virt_to_page(ptr);
}

/**
 * zoc_guest_link_dev_page - the device page of a slot
 * @ep: the endpoint
 * @slot: below ZOC_LINK_MAX_DEVS
 *
 * Return: the page in the endpoint's link area, or NULL for a slot out of
 * range.
 */
struct zoc_dev_page *zoc_guest_link_dev_page(struct zoc_guest_link *ep,
					     unsigned int slot)
{
	return zoc_link_dev_page(&ep->link, slot);
}

/**
 * zoc_guest_link_saved_page - the state page of a slot
 * @ep: the endpoint
 * @slot: below ZOC_LINK_MAX_DEVS
 *
 * Return: the page in the endpoint's link area, or NULL for a slot out of
 * range.
 */
struct zoc_dev_saved *zoc_guest_link_saved_page(struct zoc_guest_link *ep,
						unsigned int slot)
{
	return zoc_link_saved_page(&ep->link, slot);
}

/**
 * zoc_guest_link_live_page - the live record of a slot
 * @ep: the endpoint
 * @slot: below ZOC_LINK_MAX_DEVS
 *
 * Return: the record in the endpoint's link area, or NULL for a slot out
 * of range.
 */
struct zoc_dev_live *zoc_guest_link_live_page(struct zoc_guest_link *ep,
					      unsigned int slot)
{
	return zoc_link_live_page(&ep->link, slot);
}

/**
 * zoc_guest_link_dev - the device of an endpoint, for messages and names
 * @ep: the endpoint
 *
 * Return: its ivshmem-doorbell function's device.
 */
struct device *zoc_guest_link_dev(struct zoc_guest_link *ep)
{
	return &ep->pdev->dev;
}

/**
 * zoc_guest_link_epoch - the epoch the endpoint last published
 * @ep: the endpoint
 *
 * Each time the endpoint takes its link, it publishes a new epoch: what
 * was asked under another epoch was asked of another service VM, or
 * before a hand-over.
 *
 * Context: any.
 * Return: the epoch.
 */
u32 zoc_guest_link_epoch(struct zoc_guest_link *ep)
{
	return READ_ONCE(ep->link.epoch);
}

/* Whether @ep stands by while another service VM holds the link. */
bool zoc_guest_link_standing_by(struct zoc_guest_link *ep)
{
	return READ_ONCE(ep->link.standby) && !READ_ONCE(ep->link.connected);
}

/**
 * zoc_guest_link_post - send a message to the host (an interrupt, an event)
 * @ep: the endpoint
 * @msg: the message
 *
 * Context: any, including the client's callbacks.
 * Return: 0, -ENOTCONN if the link is not up, -ENOSPC if the completion
 * ring has no room for it, -EIO if it is broken.
 */
int zoc_guest_link_post(struct zoc_guest_link *ep, const struct zoc_msg *msg)
{
	return zoc_link_post(&ep->link, msg);
}

/**
 * zoc_guest_link_post_queue - send an interrupt to the host on a data queue
 * @ep: the endpoint
 * @hint: the tag of the device's last doorbell message
 * @msg: the message
 *
 * On the control ring while no data queue is in use (zoc_link_post_queue()).
 *
 * Context: any, including the client's callbacks.
 * Return: as zoc_guest_link_post().
 */
int zoc_guest_link_post_queue(struct zoc_guest_link *ep, unsigned int hint,
			      const struct zoc_msg *msg)
{
	return zoc_link_post_queue(&ep->link, hint, msg);
}

/**
 * zoc_guest_link_poll_us - how long the host wants queues polled
 * @ep: the endpoint
 *
 * Context: any.
 * Return: microseconds, 0 to ZOC_LINK_POLL_MAX_US (zoc_link_poll_us()).
 */
u32 zoc_guest_link_poll_us(struct zoc_guest_link *ep)
{
	return zoc_link_poll_us(&ep->link);
}

/**
 * zoc_guest_link_call - send the host a request and wait for its reply
 * @ep: the endpoint
 * @msg: the request; its tag is assigned here
 * @reply: where the reply goes
 * @timeout: in jiffies
 *
 * Context: process context.
 * Return: as zoc_link_call().
 */
int zoc_guest_link_call(struct zoc_guest_link *ep, struct zoc_msg *msg,
			struct zoc_msg *reply, unsigned long timeout)
{
	return zoc_link_call(&ep->link, msg, reply, timeout);
}

/**
 * zoc_guest_link_reply - answer one of the host's requests
 * @ep: the endpoint
 * @msg: the reply, with the request's tag
 *
 * Context: any.
 * Return: as zoc_guest_link_post().
 */
int zoc_guest_link_reply(struct zoc_guest_link *ep, const struct zoc_msg *msg)
{
	return zoc_link_reply(&ep->link, msg);
}

/**
 * zoc_guest_link_set_client - register the layer above with an endpoint
 * @ep: the endpoint
 * @ops: its operations, or NULL to unregister it
 * @priv: passed back to @ops
 *
 * Once this returns, the previous client's operations are not running and
 * are not called again.
 *
 * Context: process context.
 */
void zoc_guest_link_set_client(struct zoc_guest_link *ep,
			       const struct zoc_guest_client_ops *ops,
			       void *priv)
{
	mutex_lock(&zoc_guest_links_mutex);
	spin_lock_irq(&ep->link.rx_lock);
	WRITE_ONCE(ep->client, NULL);
	if (ops) {
		ep->client_priv = priv;
		/* @client_priv before @client: pairs with the receivers' */
		smp_store_release(&ep->client, ops);
	}
	spin_unlock_irq(&ep->link.rx_lock);
	/* The data queues' receivers of the previous client are done. */
	synchronize_rcu();
	mutex_unlock(&zoc_guest_links_mutex);
}

static void zoc_guest_ring(void *priv, u32 peer, u16 vector)
{
	struct zoc_guest_link *ep = priv;

	if (peer <= ZOC_IVSHMEM_MAX_PEER)
		zoc_ivshmem_ring(ep->regs, peer, vector);
}

static const struct zoc_link_transport_ops zoc_guest_transport_ops = {
	.ring = zoc_guest_ring,
};

/*
 * Answer the host's wiring probe, if there is a new one.  The marker is
 * host RAM, checked against the map of the host epoch we attached to: a
 * probe that comes before the attach (the host rings as soon as our side
 * shows) waits for it, and the tick answers it then.  The receiving lock
 * is held, interrupts disabled.
 */
static void zoc_guest_answer_probe(struct zoc_guest_link *ep)
{
	struct zoc_link_probe *probe = &ep->link.area->probe;
	struct zoc_link_marker *m;
	u64 seq, cookie;

	lockdep_assert_held(&ep->link.rx_lock);
	if (!ep->link.connected || ep->link.state != ZOC_LINK_S_UP)
		return;
	seq = zoc_read64(&probe->seq);
	/* 0: the host set the area up after we read it, and probed nothing */
	if (seq == ep->last_seq || !seq)
		return;
	WRITE_ONCE(ep->last_seq, seq);
	/* seq before the rest; pairs with the host's virt_wmb(). */
	virt_rmb();
	m = zoc_guest_link_host_ptr(ep, zoc_read64(&probe->marker_addr),
				    sizeof(*m));
	if (!m || !IS_ALIGNED((unsigned long)m, sizeof(u64))) {
		dev_warn_ratelimited(&ep->pdev->dev,
				     "probe %llu: bad marker address\n", seq);
		return;
	}
	cookie = zoc_read64(&probe->cookie);
	if (zoc_read64(&m->magic) != ZOC_LINK_MARKER_MAGIC ||
	    zoc_read64(&m->cookie) != cookie) {
		dev_warn_ratelimited(&ep->pdev->dev,
				     "probe %llu: marker does not match\n", seq);
		return;
	}
	WRITE_ONCE(m->echo, cpu_to_le64(~cookie));
	/* echo before seq; pairs with the host's virt_rmb(). */
	virt_wmb();
	WRITE_ONCE(m->seq, cpu_to_le64(seq));
	ep->probes++;
	WRITE_ONCE(ep->link.own->probes, cpu_to_le64(ep->probes));
	zoc_link_ring_peer(&ep->link, 0);
}

/* A request from the host.  The link's receiving lock is held. */
static void zoc_guest_receive(struct zoc_link *link, const struct zoc_msg *msg)
{
	struct zoc_guest_link *ep = container_of(link, struct zoc_guest_link,
						 link);
	const struct zoc_guest_client_ops *client;
	struct zoc_msg reply = { .hdr = msg->hdr };

	if (zoc_guest_test_request(ep->test, msg))
		return;
	/* @client before @client_priv: pairs with the client's release */
	client = smp_load_acquire(&ep->client);
	if (client && client->request(ep->client_priv, msg, &reply)) {
		if (reply.hdr.type != ZOC_MSG_NONE)	/* else posted, or later */
			zoc_link_reply(link, &reply);
		return;
	}
	if (msg->hdr.type == ZOC_MSG_MMIO_WRITE)
		return;		/* posted: nothing to answer */
	atomic64_inc(&ep->unanswered);
	zoc_link_reply_status(link, msg, msg->hdr.type == ZOC_MSG_MMIO_READ ?
			      ZOC_MSG_ENODEV : ZOC_MSG_ENOTSUPP);
}

/* The link's tick, while it is up.  Receiving lock held. */
static void zoc_guest_tick(struct zoc_link *link)
{
	struct zoc_guest_link *ep = container_of(link, struct zoc_guest_link,
						 link);

	zoc_guest_answer_probe(ep);
	if (ep->client && ep->client->tick)
		ep->client->tick(ep->client_priv);
}

/* The link came up or the host was lost: the tick's, no lock held. */
static void zoc_guest_event(struct zoc_link *link, enum zoc_link_event event)
{
	struct zoc_guest_link *ep = container_of(link, struct zoc_guest_link,
						 link);

	if (event != ZOC_LINK_EV_UP)
		return;
	spin_lock_irq(&link->rx_lock);	/* the client stays meanwhile */
	if (ep->client && ep->client->up)
		ep->client->up(ep->client_priv);
	spin_unlock_irq(&link->rx_lock);
}

static const struct zoc_link_client_ops zoc_guest_client_ops = {
	.receive = zoc_guest_receive,
	.event = zoc_guest_event,
	.tick = zoc_guest_tick,
};

static irqreturn_t zoc_guest_irq(int irq, void *data)
{
	struct zoc_guest_link *ep = data;

	/* A new probe is rare: the lock only for one, not every doorbell */
	if (zoc_read64(&ep->link.area->probe.seq) != READ_ONCE(ep->last_seq)) {
		spin_lock(&ep->link.rx_lock);
		zoc_guest_answer_probe(ep);
		spin_unlock(&ep->link.rx_lock);
	}
	zoc_link_doorbell(&ep->link);
	return IRQ_HANDLED;
}

/* A data queue's vector: the doorbells of one host CPU. */
static irqreturn_t zoc_guest_queue_irq(int irq, void *data)
{
	struct zoc_ivshmem_queue *q = data;
	struct zoc_guest_link *ep = q->owner;

	zoc_link_queue_doorbell(&ep->link, q->index);
	return IRQ_HANDLED;
}

#ifdef CONFIG_ZONE_DEVICE
/*
 * The window's struct pages go once nothing holds them.  A block device
 * may hand a write's pages in place to a network stack (NVMe/TCP sends
 * them with sendpage()), which holds them until its peer acknowledged
 * them, past the bio's end: their map must outlive that.  Pages still
 * held after ZOC_GUEST_UNMAP_WAIT_MS leave the map behind, and its memory.
 */
static void zoc_guest_unmap_window(void *data)
{
	struct dev_pagemap *pgmap = data;
	unsigned long first = PHYS_PFN(pgmap->range.start);
	unsigned long end = PHYS_PFN(pgmap->range.end + 1);
	unsigned long pfn;
	unsigned int ms;

	for (ms = 0; ms < ZOC_GUEST_UNMAP_WAIT_MS; ms += 100) {
		for (pfn = first; pfn < end; pfn++)
			if (page_ref_count(pfn_to_page(pfn)) != 1)
				break;
		if (pfn == end) {
			memunmap_pages(pgmap);
			kfree(pgmap);
			return;
		}
		msleep(100);
	}
	pr_warn("L0 window at %pa: pages still held: their map stays\n",
		&pgmap->range.start);
}

/*
 * The window with struct pages (memremap_pages(), MEMORY_DEVICE_GENERIC:
 * a device's memory in the direct map), or an ERR_PTR() if it cannot
 * have them: not aligned for memory hot-plug (2 MiB subsections), or
 * pages that would take more than 1/ZOC_GUEST_PAGES_SHARE of the service
 * VM's memory (64 bytes for each 4 KiB of host RAM).
 */
static void *zoc_guest_map_pages(struct zoc_guest_link *ep,
				 resource_size_t start)
{
	struct device *dev = &ep->pdev->dev;
	u64 need = (ep->window_size >> PAGE_SHIFT) * sizeof(struct page);
	struct dev_pagemap *pgmap;
	void *p;
	int ret;

	if (!IS_ALIGNED(start | ep->window_size, SUBSECTION_SIZE))
		return ERR_PTR(-EINVAL);
	if (need > (totalram_pages() << PAGE_SHIFT) / ZOC_GUEST_PAGES_SHARE)
		return ERR_PTR(-ENOMEM);
	pgmap = kzalloc(sizeof(*pgmap), GFP_KERNEL);
	if (!pgmap)
		return ERR_PTR(-ENOMEM);
	pgmap->type = MEMORY_DEVICE_GENERIC;
	pgmap->range.start = start;
	pgmap->range.end = start + ep->window_size - 1;
	pgmap->nr_range = 1;
	p = memremap_pages(pgmap, dev_to_node(dev));
	if (IS_ERR(p)) {
		kfree(pgmap);
		return p;
	}
	ret = devm_add_action_or_reset(dev, zoc_guest_unmap_window, pgmap);
	if (ret)
		return ERR_PTR(ret);
	ep->pgmap = pgmap;
	ep->pages = true;
	return p;
}
#else
static void *zoc_guest_map_pages(struct zoc_guest_link *ep,
				 resource_size_t start)
{
	return ERR_PTR(-EOPNOTSUPP);
}
#endif

/*
 * Map the L0 window write-back: with struct pages where the kernel has
 * ZONE_DEVICE, so that block devices can move data to and from host
 * memory in place; else as plain memory, whose data is copied.
 */
static void *zoc_guest_map_window(struct zoc_guest_link *ep)
{
	resource_size_t start = pci_resource_start(ep->pdev, 2);
	void *p = zoc_guest_map_pages(ep, start);

	if (!IS_ERR(p))
		return p;
	dev_info(&ep->pdev->dev, "L0 window without struct pages (%ld): block I/O is copied\n",
		 PTR_ERR(p));
	return devm_memremap(&ep->pdev->dev, start, ep->window_size,
			     MEMREMAP_WB);
}

/**
 * zoc_guest_link_create - set up the endpoint of an ivshmem-doorbell function
 * @pdev: the function, being probed
 * @aperture: host physical address of the aperture, page aligned
 *
 * Maps the L0 window and sets up the link over the aperture's link area;
 * nothing is received or sent before zoc_guest_link_start().  The
 * function's resources are managed: released once it is unbound.
 *
 * Context: process context.
 * Return: the endpoint, or an ERR_PTR().
 */
struct zoc_guest_link *zoc_guest_link_create(struct pci_dev *pdev,
					     u64 aperture)
{
	struct zoc_guest_link *ep;

	ep = devm_kzalloc(&pdev->dev, sizeof(*ep), GFP_KERNEL);
	if (!ep)
		return ERR_PTR(-ENOMEM);
	ep->pdev = pdev;
	ep->aperture = aperture;

	ep->regs = zoc_ivshmem_map(pdev);
	if (IS_ERR(ep->regs))
		return ERR_CAST(ep->regs);

	ep->window_size = pci_resource_len(pdev, 2);
	if (aperture % PAGE_SIZE || aperture >= ep->window_size ||
	    ep->window_size - aperture < ZOC_LINK_AREA_SIZE) {
		dev_err(&pdev->dev, "aperture %#llx is not inside the %pa window\n",
			aperture, &ep->window_size);
		return ERR_PTR(-EINVAL);
	}
	ep->window = zoc_guest_map_window(ep);
	if (IS_ERR(ep->window))
		return ERR_CAST(ep->window);
	zoc_link_init(&ep->link, ZOC_LINK_ROLE_SVM, ep->window + aperture,
		      &zoc_guest_client_ops, &pdev->dev);
	/* The proxy answers control requests later, from its slots. */
	ep->link.late_replies = ZOC_LINK_CTRL_SLOTS;
	ep->test = zoc_guest_test_create(&pdev->dev, &ep->link);
	if (IS_ERR(ep->test))
		return ERR_CAST(ep->test);
	/* A probe the host issued before we came is not for us. */
	ep->last_seq = zoc_read64(&ep->link.area->probe.seq);

	mutex_lock(&zoc_guest_links_mutex);
	zoc_link_set_standby(&ep->link, zoc_guest_standby);
	list_add_tail(&ep->node, &zoc_guest_links);
	mutex_unlock(&zoc_guest_links_mutex);
	return ep;
}

/**
 * zoc_guest_link_destroy - forget an endpoint
 * @ep: as created, stopped, with no client
 *
 * Its memory and mappings go with the function's managed resources.
 *
 * Context: process context.
 */
void zoc_guest_link_destroy(struct zoc_guest_link *ep)
{
	mutex_lock(&zoc_guest_links_mutex);
	list_del(&ep->node);
	mutex_unlock(&zoc_guest_links_mutex);
}

/**
 * zoc_guest_link_start - take doorbells and bring the link up
 * @ep: the endpoint, its client registered
 *
 * Context: process context.
 * Return: 0, or an errno if the function's interrupt could not be set up
 * or the transport attached.
 */
int zoc_guest_link_start(struct zoc_guest_link *ep)
{
	struct pci_dev *pdev = ep->pdev;
	u32 own_id = readl(ep->regs + ZOC_IVSHMEM_IVPOSITION);
	int ret;

	/* As many queues as the function has vectors: the host's CPUs */
	ret = zoc_ivshmem_irq(pdev, ZOC_LINK_MAX_QUEUES, false, zoc_guest_irq,
			      zoc_guest_queue_irq, ep, ep->queues);
	if (ret < 0)
		return ret;
	ep->nr_queues = ret;
	ret = zoc_link_attach(&ep->link, &zoc_guest_transport_ops, ep, own_id,
			      ep->nr_queues);
	if (ret) {
		zoc_ivshmem_irq_free(pdev, ep, ep->queues, ep->nr_queues);
		return ret;
	}
	dev_info(&pdev->dev, "L0 window %pa bytes, doorbell id %u, aperture %#llx, %u data queues\n",
		 &ep->window_size, own_id, ep->aperture, ep->nr_queues);
	zoc_link_start(&ep->link);
	return 0;
}

/**
 * zoc_guest_link_stop - bring the link down and stop taking doorbells
 * @ep: the endpoint, started
 *
 * Requests in flight fail; once this returns nothing reaches the client,
 * and what the client sends is refused (-ENOTCONN).
 *
 * Context: process context.
 */
void zoc_guest_link_stop(struct zoc_guest_link *ep)
{
	struct pci_dev *pdev = ep->pdev;

	zoc_link_stop(&ep->link);
	zoc_link_detach(&ep->link, ep);
	/* No request starts a test any more; the one running fails fast. */
	zoc_guest_test_stop(ep->test);
	zoc_ivshmem_irq_free(pdev, ep, ep->queues, ep->nr_queues);
}

static int zoc_guest_links_show(struct seq_file *s, void *unused)
{
	struct zoc_guest_link *ep;

	mutex_lock(&zoc_guest_links_mutex);
	list_for_each_entry(ep, &zoc_guest_links, node) {
		seq_printf(s, "endpoint: %s\n", pci_name(ep->pdev));
		seq_printf(s, "window: %pa bytes\n", &ep->window_size);
		seq_printf(s, "aperture: %#llx\n", ep->aperture);
		seq_printf(s, "doorbell_id: %u\n", ep->link.own_id);
		seq_printf(s, "standby: %s\n",
			   READ_ONCE(ep->link.standby) &&
			   !READ_ONCE(ep->link.connected) ? "yes" : "no");
		seq_printf(s, "probes: %llu\n", READ_ONCE(ep->probes));
		seq_printf(s, "unanswered: %lld\n",
			   atomic64_read(&ep->unanswered));
		if (ep->client && ep->client->show)
			ep->client->show(ep->client_priv, s);
		zoc_link_show(s, &ep->link);
		seq_putc(s, '\n');
	}
	mutex_unlock(&zoc_guest_links_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zoc_guest_links);

/*
 * Hand @ep's link over to a standby service VM: the client lets go of
 * what it serves, then the link is left.  zoc_guest_links_mutex held.
 */
static void zoc_guest_link_leave(struct zoc_guest_link *ep)
{
	if (ep->client && ep->client->leave)
		ep->client->leave(ep->client_priv);
	zoc_link_leave(&ep->link);
}

/**
 * zoc_guest_links_set_standby - stand by, or take the links
 * @standby: true: an endpoint takes its link only once the service VM
 *	holding it leaves it; an endpoint that holds its link hands it over
 *	(an orderly hand-over: its devices are detached, their states saved
 *	for the next service VM, then it leaves the link).  False: take the
 *	links at once.
 *
 * Applies to every endpoint, and to those created later.  See
 * zoc_link_set_standby() for when taking a link at once is safe.
 *
 * Context: process context.
 */
void zoc_guest_links_set_standby(bool standby)
{
	struct zoc_guest_link *ep;

	mutex_lock(&zoc_guest_links_mutex);
	zoc_guest_standby = standby;
	list_for_each_entry(ep, &zoc_guest_links, node) {
		if (standby && READ_ONCE(ep->link.connected))
			zoc_guest_link_leave(ep);
		else
			zoc_link_set_standby(&ep->link, standby);
	}
	mutex_unlock(&zoc_guest_links_mutex);
}

/**
 * zoc_guest_links_init - show the endpoints in debugfs
 *
 * Every endpoint, in zoc-guest/link.
 */
void zoc_guest_links_init(void)
{
	struct dentry *dir = debugfs_create_dir("zoc-guest", NULL);

	debugfs_create_file("link", 0444, dir, NULL, &zoc_guest_links_fops);
}

/**
 * zoc_guest_links_exit - remove what zoc_guest_links_init() made
 *
 * Every endpoint is gone already.
 */
void zoc_guest_links_exit(void)
{
	debugfs_lookup_and_remove("zoc-guest", NULL);
}
