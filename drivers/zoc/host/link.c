// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC host link: the host's end of the link protocol (drivers/zoc/link)
 * over the link area in the aperture, what the virtual bus gets from it
 * (interrupts, the service VM lost), and the wiring probe that proves both
 * directions of the L0 window and of the doorbells.
 *
 * The aperture is a physical range reserved at boot (memmap=SIZE$ADDR) and
 * named to the module as zoc_host.aperture=SIZE@ADDR.  Its first
 * ZOC_LINK_AREA_SIZE bytes hold &struct zoc_link_area; the service VM maps
 * the same bytes through its L0 window.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/zoc.h>
#include <linux/zoc_link.h>

#include "../link/link.h"
#include "test_hooks.h"
#include "zoc_host.h"

#define ZOC_PROBE_TIMEOUT	(5 * HZ)

/*
 * A control request of the service VM (the link answers pings): the
 * status to reply.  The link's receiving lock is held.
 */
static u32 zoc_host_ctrl(struct zoc_host *host, const struct zoc_msg *msg)
{
	switch (le32_to_cpu(msg->ctrl.opcode)) {
	case ZOC_CTRL_DEV_LOST:
		return zoc_host_bus_dev_lost(host->bus, msg->ctrl.data);
	case ZOC_CTRL_MODEL_ADDED:
		WRITE_ONCE(host->models_added, host->models_added + 1);
		zoc_host_bus_model_added(host->bus);
		return ZOC_MSG_OK;
	default:
		return ZOC_MSG_ENOTSUPP;
	}
}

/* A message from the service VM.  The link's receiving lock is held. */
static void zoc_host_receive(struct zoc_link *link, const struct zoc_msg *msg)
{
	struct zoc_host *host = container_of(link, struct zoc_host, link);

	switch (msg->hdr.type) {
	case ZOC_MSG_IRQ:
		/* Noted now, delivered once the lock is dropped. */
		zoc_host_bus_irq(host->bus, le32_to_cpu(msg->hdr.dev),
				 le32_to_cpu(msg->irq.vector));
		break;
	case ZOC_MSG_CTRL_REQ:
		zoc_link_reply_status(link, msg, zoc_host_ctrl(host, msg));
		break;
	default:
		/* Replies to a test module's messages: not the link's. */
		zoc_host_test_receive(host, msg);
		break;
	}
}

static void zoc_host_receive_end(struct zoc_link *link, bool irq)
{
	struct zoc_host *host = container_of(link, struct zoc_host, link);

	/* Interrupt handlers may touch the device: never under the lock. */
	if (irq)
		zoc_host_bus_deliver(host->bus);
	else
		zoc_host_bus_kick(host->bus);
}

static void zoc_host_event(struct zoc_link *link, enum zoc_link_event event)
{
	struct zoc_host *host = container_of(link, struct zoc_host, link);

	zoc_host_bus_link_event(host->bus, event);
}

static const struct zoc_link_client_ops zoc_host_client_ops = {
	.receive = zoc_host_receive,
	.receive_end = zoc_host_receive_end,
	.event = zoc_host_event,
};

/**
 * zoc_host_link_attach - attach the transport that carries the doorbells
 * @host: the host end
 * @ops: its operations
 * @priv: passed back to @ops
 * @own_id: the host's own doorbell address, published to the service VM
 * @queues: the data queues it can be rung for, as for zoc_link_attach()
 * @cpu_queue: nr_cpu_ids entries: the queue whose vector is bound to each
 *	CPU, on which that CPU posts; NULL: each CPU its number, taken
 *	modulo the queues in use
 *
 * Return: as zoc_link_attach().
 */
int zoc_host_link_attach(struct zoc_host *host,
			 const struct zoc_link_transport_ops *ops, void *priv,
			 u32 own_id, unsigned int queues, const u16 *cpu_queue)
{
	unsigned int cpu;
	int ret;

	mutex_lock(&host->transport_mutex);
	/* Not the map of the transport attached already: it is in use */
	if (rcu_access_pointer(host->link.transport)) {
		mutex_unlock(&host->transport_mutex);
		return -EBUSY;
	}
	/* Read locklessly by zoc_host_link_cpu_queue(): any entry will do */
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		WRITE_ONCE(host->cpu_queue[cpu], cpu_queue ? cpu_queue[cpu] : cpu);
	ret = zoc_link_attach(&host->link, ops, priv, own_id, queues);
	/* Whichever it is, its service VM may reach host memory. */
	if (!ret)
		WRITE_ONCE(host->window_only, false);
	mutex_unlock(&host->transport_mutex);
	return ret;
}

/**
 * zoc_host_link_detach - detach a transport
 * @host: the host end
 * @priv: as given to zoc_host_link_attach()
 * @window_only: its service VM reaches host memory only through a window
 *	file (the bare-metal transport)
 */
void zoc_host_link_detach(struct zoc_host *host, void *priv, bool window_only)
{
	mutex_lock(&host->transport_mutex);
	zoc_link_detach(&host->link, priv);
	WRITE_ONCE(host->window_only, window_only);
	mutex_unlock(&host->transport_mutex);
}

/**
 * zoc_host_link_doorbell - the service VM rang the host
 * @host: the host end
 *
 * Called by the transport, interrupts disabled.
 */
void zoc_host_link_doorbell(struct zoc_host *host)
{
	zoc_link_doorbell(&host->link);
}

/**
 * zoc_host_link_cpu_queue - the data queue a CPU posts its doorbells on
 * @host: the host end
 * @cpu: the CPU
 *
 * Return: a queue number, to be taken modulo the queues in use
 * (zoc_link_post_queue()).
 */
unsigned int zoc_host_link_cpu_queue(struct zoc_host *host, unsigned int cpu)
{
	return cpu < nr_cpu_ids ? READ_ONCE(host->cpu_queue[cpu]) : 0;
}

/**
 * zoc_host_link_queue_doorbell - the service VM rang a data queue
 * @host: the host end
 * @queue: the queue
 *
 * Called by the transport, interrupts disabled.
 */
void zoc_host_link_queue_doorbell(struct zoc_host *host, unsigned int queue)
{
	zoc_link_queue_doorbell(&host->link, queue);
}

/* The answer is in the marker and its doorbell has arrived. */
static bool zoc_probe_answered(struct zoc_host *host, u64 seq, s64 doorbells)
{
	return le64_to_cpu(READ_ONCE(host->marker->seq)) == seq &&
	       atomic64_read(&host->link.stats.doorbells_rx) != doorbells;
}

/**
 * zoc_host_probe - one wiring probe
 * @host: the host end
 *
 * Publish a fresh cookie in a marker page of host RAM, ring the service VM
 * and wait for it to write the cookie's complement back into that page and
 * ring us.
 *
 * Return: 0, -ENOTCONN if it cannot be rung, -ETIMEDOUT, -EPROTO if the
 * answer is wrong, or -ERESTARTSYS.
 */
int zoc_host_probe(struct zoc_host *host)
{
	struct zoc_link_probe *probe = &host->area->probe;
	struct zoc_link_marker *m = host->marker;
	u64 cookie, seq;
	s64 doorbells;
	long left;
	int ret;

	mutex_lock(&host->probe_mutex);
	doorbells = atomic64_read(&host->link.stats.doorbells_rx);
	cookie = get_random_u64();
	seq = zoc_read64(&probe->seq) + 1;
	m->magic = cpu_to_le64(ZOC_LINK_MARKER_MAGIC);
	m->cookie = cpu_to_le64(cookie);
	m->echo = 0;
	m->seq = 0;
	WRITE_ONCE(probe->marker_addr, cpu_to_le64(virt_to_phys(m)));
	WRITE_ONCE(probe->cookie, cpu_to_le64(cookie));
	/* Marker and probe before seq; pairs with the service VM's rmb. */
	virt_wmb();
	WRITE_ONCE(probe->seq, cpu_to_le64(seq));
	WRITE_ONCE(host->area->host.probes, cpu_to_le64(seq));
	host->probe_seq = seq;

	ret = zoc_link_ring_peer(&host->link, 0);
	if (ret)
		goto out;
	left = wait_event_interruptible_timeout(host->link.wq,
						zoc_probe_answered(host, seq, doorbells) ||
						!rcu_access_pointer(host->link.transport),
						ZOC_PROBE_TIMEOUT);
	if (left < 0) {
		ret = left;
		goto out;
	}
	if (!zoc_probe_answered(host, seq, doorbells)) {
		ret = rcu_access_pointer(host->link.transport) ? -ETIMEDOUT :
								 -ENOTCONN;
		goto out_failed;
	}
	/* seq before echo; pairs with the service VM's wmb. */
	virt_rmb();
	if (le64_to_cpu(READ_ONCE(m->echo)) != ~cookie) {
		ret = -EPROTO;
		goto out_failed;
	}
	host->probes_ok++;
	goto out;

out_failed:
	host->probes_failed++;
out:
	mutex_unlock(&host->probe_mutex);
	return ret;
}

static ssize_t zoc_probe_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct zoc_host *host = file->f_path.dentry->d_inode->i_private;
	int ret = zoc_host_probe(host);

	return ret ? ret : count;
}

static const struct file_operations zoc_probe_fops = {
	.owner = THIS_MODULE,
	.write = zoc_probe_write,
	.llseek = noop_llseek,
};

static int zoc_link_debug_show(struct seq_file *s, void *unused)
{
	struct zoc_host *host = s->private;

	seq_printf(s, "aperture: %pR\n", &host->aperture);
	seq_printf(s, "probes_ok: %llu\n", host->probes_ok);
	seq_printf(s, "probes_failed: %llu\n", host->probes_failed);
	seq_printf(s, "svm_probes: %llu\n", zoc_read64(&host->area->svm.probes));
	seq_printf(s, "models_added: %llu\n", READ_ONCE(host->models_added));
	zoc_link_show(s, &host->link);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zoc_link_debug);

/* The link as netlink reports it. */
void zoc_host_link_status(struct zoc_host *host,
			  struct zoc_host_link_status *st)
{
	struct zoc_link *link = &host->link;

	st->state = zoc_link_state(link) != ZOC_LINK_S_UP ?
		    ZOC_LINK_STATUS_DOWN :
		    zoc_link_peer_stalled(link) ? ZOC_LINK_STATUS_STALLED :
		    zoc_link_restarting(link) ? ZOC_LINK_STATUS_RESTARTING :
		    ZOC_LINK_STATUS_UP;
	st->epoch = le32_to_cpu(READ_ONCE(host->area->host.ack_epoch));
	spin_lock_irq(&link->rx_lock);
	st->resets = link->stats.resets;
	st->timeouts = link->stats.timeouts;
	spin_unlock_irq(&link->rx_lock);
}

/* For the window of the bare-metal transport. */
bool zoc_host_link_in_link_area(struct zoc_host *host, phys_addr_t phys)
{
	return phys >= host->aperture.start &&
	       phys - host->aperture.start < ZOC_LINK_AREA_SIZE;
}

/* The aperture, claimed; zoc_host_link_exit() is the mirror. */
static int zoc_host_claim(struct zoc_host *host, phys_addr_t base,
			  size_t size)
{
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("zoc: aperture %pa+%zx is System RAM; reserve it with memmap=\n",
		       &base, size);
		return -EINVAL;
	}
	/*
	 * The aperture is claimed, not busy: the bus's BARs nest in it and
	 * their drivers request them.  Only the link area is ours alone.
	 */
	host->aperture.name = "zoc aperture";
	host->aperture.start = base;
	host->aperture.end = base + size - 1;
	host->aperture.flags = IORESOURCE_MEM;
	if (insert_resource(&iomem_resource, &host->aperture))
		return -EBUSY;
	if (!request_mem_region(base, ZOC_LINK_AREA_SIZE, "zoc link area")) {
		remove_resource(&host->aperture);
		return -EBUSY;
	}
	return 0;
}

/**
 * zoc_host_link_init - the host's end of a link over an aperture
 * @id: the link's number
 * @base: the aperture's physical address, page aligned
 * @size: its size, at least ZOC_LINK_AREA_SIZE
 * @parent: debugfs directory the link's own goes in
 *
 * Claims the aperture, maps the link area, writes its header and creates
 * the debugfs directory.  Nothing runs until zoc_host_link_start().
 *
 * Return: the host end, or an ERR_PTR().
 */
struct zoc_host *zoc_host_link_init(unsigned int id, phys_addr_t base,
				    size_t size, struct dentry *parent)
{
	char name[16];
	struct zoc_host *host;
	int ret;

	host = kzalloc(sizeof(*host), GFP_KERNEL);
	if (!host)
		return ERR_PTR(-ENOMEM);
	host->id = id;
	mutex_init(&host->probe_mutex);
	mutex_init(&host->transport_mutex);
	host->cpu_queue = kcalloc(nr_cpu_ids, sizeof(*host->cpu_queue),
				  GFP_KERNEL);
	if (!host->cpu_queue) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = zoc_host_claim(host, base, size);
	if (ret)
		goto out_free;
	ret = -ENOMEM;
	host->area = memremap(base, ZOC_LINK_AREA_SIZE, MEMREMAP_WB);
	if (!host->area)
		goto out_release;
	host->marker = (void *)get_zeroed_page(GFP_KERNEL);
	if (!host->marker)
		goto out_unmap;
	host->pdev = platform_device_register_simple("zoc-host", id, NULL, 0);
	if (IS_ERR(host->pdev)) {
		ret = PTR_ERR(host->pdev);
		goto out_free_marker;
	}
	zoc_host_ram_map((void *)host->area + ZOC_LINK_RAM_MAP);
	zoc_link_init(&host->link, ZOC_LINK_ROLE_HOST, host->area,
		      &zoc_host_client_ops, &host->pdev->dev);

	snprintf(name, sizeof(name), "link%u", id);
	host->dir = debugfs_create_dir(name, parent);
	debugfs_create_file("link", 0444, host->dir, host, &zoc_link_debug_fops);
	debugfs_create_file("probe", 0200, host->dir, host, &zoc_probe_fops);
	dev_info(&host->pdev->dev, "link %u at %pR, epoch %u\n", id,
		 &host->aperture, le32_to_cpu(host->area->host.epoch));
	return host;

out_free_marker:
	free_page((unsigned long)host->marker);
out_unmap:
	memunmap(host->area);
out_release:
	release_mem_region(base, ZOC_LINK_AREA_SIZE);
	remove_resource(&host->aperture);
out_free:
	kfree(host->cpu_queue);
	kfree(host);
	return ERR_PTR(ret);
}

/**
 * zoc_host_link_exit - undo zoc_host_link_init()
 * @host: the host end, stopped
 */
void zoc_host_link_exit(struct zoc_host *host)
{
	debugfs_remove_recursive(host->dir);
	platform_device_unregister(host->pdev);
	WRITE_ONCE(host->area->probe.marker_addr, 0);
	/*
	 * The service VM answers probes in turn: once the last is answered,
	 * it writes the marker no more.  One not answered may still be: its
	 * page is kept for good rather than given to another user.
	 */
	if (!host->probe_seq ||
	    le64_to_cpu(READ_ONCE(host->marker->seq)) == host->probe_seq)
		free_page((unsigned long)host->marker);
	else
		pr_warn("link %u: a probe was not answered: its marker page is kept\n",
			host->id);
	memunmap(host->area);
	release_mem_region(host->aperture.start, ZOC_LINK_AREA_SIZE);
	remove_resource(&host->aperture);
	kfree(host->cpu_queue);
	kfree(host);
}

/**
 * zoc_host_link_start - start the link's tick
 * @host: the host end
 */
void zoc_host_link_start(struct zoc_host *host)
{
	zoc_link_start(&host->link);
}

/**
 * zoc_host_link_stop - stop the link's tick, take the link down
 * @host: the host end
 */
void zoc_host_link_stop(struct zoc_host *host)
{
	zoc_link_stop(&host->link);
}
