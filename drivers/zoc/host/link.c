// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC host link: the link area in the aperture, its handshake with the
 * service VM and the wiring probe that proves both directions of the L0
 * window and of the doorbells.
 *
 * The aperture is a physical range reserved at boot (memmap=SIZE$ADDR) and
 * named to the module as zoc_host.aperture=SIZE@ADDR.  Its first
 * ZOC_LINK_AREA_SIZE bytes hold &struct zoc_link_area; the service VM maps
 * the same bytes through its L0 window.
 */

#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/zoc_link.h>

#include "zoc_host.h"

#define ZOC_PROBE_TIMEOUT	(5 * HZ)

static char *aperture;
module_param(aperture, charp, 0444);
MODULE_PARM_DESC(aperture, "reserved physical range of the bus, SIZE@ADDR");

/**
 * struct zoc_host_link - the host's end of the link
 * @res: the aperture, claimed
 * @area: the link area, mapped write-back
 * @marker: page of ordinary RAM the wiring probe asks the service VM to read
 * @lock: protects @ops, @priv and @peer_up against attach/detach while a
 *	doorbell is rung from the probe or from the interrupt handler
 * @ops: the transport, NULL while none is attached
 * @priv: the transport's cookie
 * @probe_mutex: serialises probes
 * @wq: woken on every doorbell from the service VM
 * @doorbells: doorbells received
 * @rung: doorbells sent
 * @probes_ok: probes answered correctly
 * @probes_failed: probes that timed out or were answered wrongly
 * @dir: debugfs directory
 */
struct zoc_host_link {
	struct resource *res;
	struct zoc_link_area *area;
	struct zoc_link_marker *marker;
	/* protects ops, priv and host->state against attach and detach */
	spinlock_t lock;
	const struct zoc_host_transport_ops *ops;
	void *priv;
	/* serialises probes: one marker, one sequence */
	struct mutex probe_mutex;
	wait_queue_head_t wq;
	atomic64_t doorbells;
	atomic64_t rung;
	u64 probes_ok;
	u64 probes_failed;
	struct dentry *dir;
};

static struct zoc_host_link zoc_link;

static u32 zoc_read32(__le32 *p)
{
	return le32_to_cpu(READ_ONCE(*p));
}

static u64 zoc_read64(__le64 *p)
{
	return le64_to_cpu(READ_ONCE(*p));
}

/* Ring the service VM if it said it can take doorbells. */
static int zoc_link_ring(struct zoc_host_link *link, u16 vector)
{
	struct zoc_link_side *svm = &link->area->svm;
	unsigned long flags;
	int ret = -ENOTCONN;
	u32 peer;

	spin_lock_irqsave(&link->lock, flags);
	if (link->ops && zoc_read32(&svm->state) == ZOC_LINK_UP) {
		/* Read peer_id after state; pairs with the service VM's wmb. */
		smp_rmb();
		peer = zoc_read32(&svm->peer_id);
		link->ops->ring(link->priv, peer, vector);
		atomic64_inc(&link->rung);
		ret = 0;
	}
	spin_unlock_irqrestore(&link->lock, flags);
	return ret;
}

/**
 * zoc_host_link_attach - attach the transport that carries the doorbells
 * @ops: its operations
 * @priv: passed back to @ops
 * @own_id: the host's own doorbell address, published to the service VM
 *
 * Call once doorbells from the service VM can be received: the link is
 * declared up to the peer here.
 *
 * Return: 0, or -EBUSY if a transport is attached already.
 */
int zoc_host_link_attach(const struct zoc_host_transport_ops *ops, void *priv,
			 u32 own_id)
{
	struct zoc_host_link *link = &zoc_link;
	struct zoc_link_side *host = &link->area->host;
	unsigned long flags;

	spin_lock_irqsave(&link->lock, flags);
	if (link->ops) {
		spin_unlock_irqrestore(&link->lock, flags);
		return -EBUSY;
	}
	link->ops = ops;
	link->priv = priv;
	WRITE_ONCE(host->peer_id, cpu_to_le32(own_id));
	/* peer_id before state; pairs with the service VM's rmb. */
	smp_wmb();
	WRITE_ONCE(host->state, cpu_to_le32(ZOC_LINK_UP));
	spin_unlock_irqrestore(&link->lock, flags);
	return 0;
}

/**
 * zoc_host_link_detach - detach a transport
 * @priv: as given to zoc_host_link_attach()
 *
 * No doorbell is rung through the transport once this returns.
 */
void zoc_host_link_detach(void *priv)
{
	struct zoc_host_link *link = &zoc_link;
	unsigned long flags;

	spin_lock_irqsave(&link->lock, flags);
	if (link->priv == priv) {
		WRITE_ONCE(link->area->host.state, cpu_to_le32(ZOC_LINK_DOWN));
		link->ops = NULL;
		link->priv = NULL;
	}
	spin_unlock_irqrestore(&link->lock, flags);
	wake_up_all(&link->wq);
}

/**
 * zoc_host_link_doorbell - the service VM rang the host
 *
 * Called by the transport from its interrupt handler.
 */
void zoc_host_link_doorbell(void)
{
	struct zoc_host_link *link = &zoc_link;

	atomic64_inc(&link->doorbells);
	WRITE_ONCE(link->area->host.doorbells,
		   cpu_to_le64(atomic64_read(&link->doorbells)));
	wake_up_all(&link->wq);
}

/* The answer is in the marker and its doorbell has arrived. */
static bool zoc_probe_answered(struct zoc_host_link *link, u64 seq,
			       s64 doorbells)
{
	return le64_to_cpu(READ_ONCE(link->marker->seq)) == seq &&
	       atomic64_read(&link->doorbells) != doorbells;
}

/*
 * One wiring probe: publish a fresh cookie in a marker page of host RAM,
 * ring the service VM and wait for it to write the cookie's complement
 * back into that page and ring us.
 */
static int zoc_link_probe(struct zoc_host_link *link)
{
	struct zoc_link_probe *probe = &link->area->probe;
	struct zoc_link_marker *m = link->marker;
	u64 cookie, seq;
	s64 doorbells;
	long left;
	int ret;

	mutex_lock(&link->probe_mutex);
	doorbells = atomic64_read(&link->doorbells);
	cookie = get_random_u64();
	seq = zoc_read64(&probe->seq) + 1;
	m->magic = cpu_to_le64(ZOC_LINK_MARKER_MAGIC);
	m->cookie = cpu_to_le64(cookie);
	m->echo = 0;
	m->seq = 0;
	WRITE_ONCE(probe->marker_addr, cpu_to_le64(virt_to_phys(m)));
	WRITE_ONCE(probe->cookie, cpu_to_le64(cookie));
	/* Marker and probe before seq; pairs with the service VM's rmb. */
	smp_wmb();
	WRITE_ONCE(probe->seq, cpu_to_le64(seq));
	WRITE_ONCE(link->area->host.probes, cpu_to_le64(seq));

	ret = zoc_link_ring(link, 0);
	if (ret)
		goto out;
	left = wait_event_interruptible_timeout(link->wq,
						zoc_probe_answered(link, seq, doorbells) ||
						!READ_ONCE(link->ops),
						ZOC_PROBE_TIMEOUT);
	if (left < 0) {
		ret = left;
		goto out;
	}
	if (!zoc_probe_answered(link, seq, doorbells)) {
		ret = link->ops ? -ETIMEDOUT : -ENOTCONN;
		goto out_failed;
	}
	/* seq before echo; pairs with the service VM's wmb. */
	smp_rmb();
	if (le64_to_cpu(READ_ONCE(m->echo)) != ~cookie) {
		ret = -EPROTO;
		goto out_failed;
	}
	link->probes_ok++;
	goto out;

out_failed:
	link->probes_failed++;
out:
	mutex_unlock(&link->probe_mutex);
	return ret;
}

static ssize_t zoc_probe_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	int ret = zoc_link_probe(&zoc_link);

	return ret ? ret : count;
}

static const struct file_operations zoc_probe_fops = {
	.owner = THIS_MODULE,
	.write = zoc_probe_write,
	.llseek = noop_llseek,
};

static const char * const zoc_state_names[] = {
	[ZOC_LINK_DOWN] = "down",
	[ZOC_LINK_UP] = "up",
};

static const char *zoc_state_name(u32 state)
{
	return state < ARRAY_SIZE(zoc_state_names) ? zoc_state_names[state] :
						     "invalid";
}

static int zoc_link_show(struct seq_file *s, void *unused)
{
	struct zoc_host_link *link = s->private;
	struct zoc_link_side *host = &link->area->host;
	struct zoc_link_side *svm = &link->area->svm;

	seq_printf(s, "aperture: %pR\n", link->res);
	seq_printf(s, "host_state: %s\n", zoc_state_name(zoc_read32(&host->state)));
	seq_printf(s, "host_epoch: %u\n", zoc_read32(&host->epoch));
	seq_printf(s, "svm_state: %s\n", zoc_state_name(zoc_read32(&svm->state)));
	seq_printf(s, "svm_epoch: %u\n", zoc_read32(&svm->epoch));
	seq_printf(s, "doorbells_rx: %lld\n", atomic64_read(&link->doorbells));
	seq_printf(s, "doorbells_tx: %lld\n", atomic64_read(&link->rung));
	seq_printf(s, "svm_doorbells_rx: %llu\n", zoc_read64(&svm->doorbells));
	seq_printf(s, "probes_ok: %llu\n", link->probes_ok);
	seq_printf(s, "probes_failed: %llu\n", link->probes_failed);
	seq_printf(s, "svm_probes: %llu\n", zoc_read64(&svm->probes));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zoc_link);

static int zoc_parse_aperture(phys_addr_t *base, size_t *size)
{
	char *at;

	if (!aperture)
		return -EINVAL;
	*size = memparse(aperture, &at);
	if (*at != '@')
		return -EINVAL;
	*base = memparse(at + 1, &at);
	if (*at && *at != '\n')
		return -EINVAL;
	if (!*size || !PAGE_ALIGNED(*base) || !PAGE_ALIGNED(*size) ||
	    *size < ZOC_LINK_AREA_SIZE || *base + *size < *base)
		return -EINVAL;
	return 0;
}

static int zoc_link_init(struct zoc_host_link *link)
{
	struct zoc_link_area *area;
	phys_addr_t base;
	size_t size;
	u32 epoch;

	if (zoc_parse_aperture(&base, &size)) {
		pr_err("zoc: aperture=SIZE@ADDR (page aligned) is required, got '%s'\n",
		       aperture ?: "");
		return -EINVAL;
	}
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("zoc: aperture %pa+%zx is System RAM; reserve it with memmap=\n",
		       &base, size);
		return -EINVAL;
	}
	link->res = request_mem_region(base, size, "zoc aperture");
	if (!link->res)
		return -EBUSY;

	area = memremap(base, ZOC_LINK_AREA_SIZE, MEMREMAP_WB);
	if (!area)
		goto out_release;
	link->marker = (void *)get_zeroed_page(GFP_KERNEL);
	if (!link->marker)
		goto out_unmap;

	/*
	 * A new epoch tells the service VM that the host (re)started; the
	 * previous value is only used if the area was ours before.
	 */
	epoch = le64_to_cpu(area->magic) == ZOC_LINK_MAGIC ?
		le32_to_cpu(area->host.epoch) + 1 : 1;
	memset(&area->host, 0, sizeof(area->host));
	memset(&area->probe, 0, sizeof(area->probe));
	area->host.epoch = cpu_to_le32(epoch);
	area->version = cpu_to_le32(ZOC_LINK_VERSION);
	area->size = cpu_to_le32(ZOC_LINK_AREA_SIZE);
	/* Everything else before the magic; pairs with the service VM's rmb. */
	smp_wmb();
	WRITE_ONCE(area->magic, cpu_to_le64(ZOC_LINK_MAGIC));
	link->area = area;
	return 0;

out_unmap:
	memunmap(area);
out_release:
	release_mem_region(base, size);
	return -ENOMEM;
}

static void zoc_link_exit(struct zoc_host_link *link)
{
	WRITE_ONCE(link->area->host.state, cpu_to_le32(ZOC_LINK_DOWN));
	WRITE_ONCE(link->area->probe.marker_addr, 0);
	free_page((unsigned long)link->marker);
	memunmap(link->area);
	release_mem_region(link->res->start, resource_size(link->res));
}

static int __init zoc_host_init(void)
{
	struct zoc_host_link *link = &zoc_link;
	int ret;

	spin_lock_init(&link->lock);
	mutex_init(&link->probe_mutex);
	init_waitqueue_head(&link->wq);

	ret = zoc_link_init(link);
	if (ret)
		return ret;
	link->dir = debugfs_create_dir("zoc", NULL);
	debugfs_create_file("link", 0444, link->dir, link, &zoc_link_fops);
	debugfs_create_file("probe", 0200, link->dir, link, &zoc_probe_fops);

	ret = zoc_host_ivshmem_init();
	if (ret)
		goto out_debugfs;
	pr_info("zoc: host link at %pR, epoch %u\n", link->res,
		le32_to_cpu(link->area->host.epoch));
	return 0;

out_debugfs:
	debugfs_remove_recursive(link->dir);
	zoc_link_exit(link);
	return ret;
}

static void __exit zoc_host_exit(void)
{
	struct zoc_host_link *link = &zoc_link;

	zoc_host_ivshmem_exit();
	debugfs_remove_recursive(link->dir);
	zoc_link_exit(link);
}

module_init(zoc_host_init);
module_exit(zoc_host_exit);
MODULE_DESCRIPTION("ZOC host: virtual PCI bus and link to the service VM");
MODULE_LICENSE("GPL");
