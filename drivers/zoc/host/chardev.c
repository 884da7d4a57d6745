// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC host link transport for bare metal: /dev/zoc-link<N>, one per link.
 *
 * On bare metal the service VM's VMM (QEMU with an ivshmem-doorbell device)
 * talks to the broker, zoc-linkd -K, which plays the host's part of the
 * ivshmem protocol and hands the host kernel the eventfds, one per
 * doorbell vector: those the VMM signals when the service VM rings the
 * host (we wait on them in the kernel, as KVM's irqfd does), and those we
 * signal to ring the service VM.  Vector 0 is the control rings', 1 + N
 * data queue N's; each host CPU posts on the queue of its number, modulo
 * the queues in use.  The broker
 * also gets from us the file the VMM maps as the service VM's L0 window:
 * host RAM and the link area, page for page.
 */

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/irq_work.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/zoc_link.h>

#include "zoc_host.h"

#define ZOC_WINDOW_MAGIC	0x5a4f4357	/* "ZOCW" */

/*
 * Service VMs a broker may introduce at once: the one serving and a
 * standby that takes over from it.
 */
#define ZOC_EFD_KICKS		2

struct zoc_host_efd;

/**
 * struct zoc_efd_call - one of our doorbell vectors, as the VMM rings it
 * @efd: the transport
 * @ctx: the eventfd the VMM signals, or NULL
 * @wait: our entry on @ctx's wait queue
 * @pt: puts @wait there
 * @doorbell: takes the doorbell outside @ctx's wake-up (see below)
 * @vector: 0 for the control rings, 1 + N for data queue N
 */
struct zoc_efd_call {
	struct zoc_host_efd *efd;
	struct eventfd_ctx *ctx;
	wait_queue_entry_t wait;
	poll_table pt;
	struct irq_work doorbell;
	u16 vector;
};

/**
 * struct zoc_efd_kick - the doorbell vectors of one service VM
 * @peer: its doorbell id, as it publishes it in the link area
 * @nr: how many, 0 for a free entry
 * @ctx: vector N's eventfd, signalled to ring it
 */
struct zoc_efd_kick {
	u32 peer;
	unsigned int nr;
	struct eventfd_ctx *ctx[ZOC_LINK_MAX_VECTORS];
};

/**
 * struct zoc_host_efd - the doorbells one broker handed over
 * @host: the link they are for
 * @ioctl_lock: serializes the broker's requests
 * @lock: protects @kick against the link ringing through it
 * @kick: the service VMs' doorbells, by doorbell id
 * @nr_calls: our vectors the VMM rings, 0 until the broker gave them and
 *	the link took this transport
 * @call: those vectors
 */
struct zoc_host_efd {
	struct zoc_host *host;
	/* the broker's requests, one at a time */
	struct mutex ioctl_lock;
	/* the link rings from any context while the broker replaces @kick */
	spinlock_t lock;
	struct zoc_efd_kick kick[ZOC_EFD_KICKS];
	unsigned int nr_calls;
	struct zoc_efd_call call[ZOC_LINK_MAX_VECTORS];
};

static struct vfsmount *zoc_window_mnt;

/*
 * The link rings vector @vector of the service VM that published @peer as
 * its doorbell id: not at all if its VMM has fewer vectors.
 */
static void zoc_efd_ring(void *priv, u32 peer, u16 vector)
{
	struct zoc_host_efd *efd = priv;
	struct zoc_efd_kick *k;
	unsigned long flags;

	spin_lock_irqsave(&efd->lock, flags);
	for (k = efd->kick; k < efd->kick + ZOC_EFD_KICKS; k++)
		if (vector < k->nr && k->peer == peer)
			eventfd_signal(k->ctx[vector], 1);
	spin_unlock_irqrestore(&efd->lock, flags);
}

static const struct zoc_link_transport_ops zoc_efd_ops = {
	.ring = zoc_efd_ring,
};

/* The doorbell, in hard interrupt context, as a device's would be. */
static void zoc_efd_doorbell(struct irq_work *work)
{
	struct zoc_efd_call *c = container_of(work, struct zoc_efd_call,
					      doorbell);

	if (c->vector)
		zoc_host_link_queue_doorbell(c->efd->host, c->vector - 1);
	else
		zoc_host_link_doorbell(c->efd->host);
}

/*
 * A vector's eventfd was signalled: the service VM rang.  This runs inside
 * the signaller's eventfd_signal(), where signalling another eventfd
 * (ringing the service VM back with a reply) would be refused and
 * dropped: only schedule the doorbell here, on this CPU.
 */
static int zoc_efd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			  int sync, void *key)
{
	struct zoc_efd_call *c = container_of(wait, struct zoc_efd_call, wait);
	u64 count;

	if (key_to_poll(key) & EPOLLIN) {
		eventfd_ctx_do_read(c->ctx, &count);
		irq_work_queue(&c->doorbell);
	}
	return 0;
}

static void zoc_efd_queue(struct file *file, wait_queue_head_t *wqh,
			  poll_table *pt)
{
	struct zoc_efd_call *c = container_of(pt, struct zoc_efd_call, pt);

	add_wait_queue(wqh, &c->wait);
}

/* Wait on eventfd @fd for vector @c; *@events: what it has already. */
static int zoc_efd_call_get(struct zoc_efd_call *c, int fd, __poll_t *events)
{
	struct eventfd_ctx *ctx;
	struct fd f;

	f = fdget(fd);
	if (!f.file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(f.file);
	if (IS_ERR(ctx)) {
		fdput(f);
		return PTR_ERR(ctx);
	}
	c->ctx = ctx;
	init_waitqueue_func_entry(&c->wait, zoc_efd_wakeup);
	init_poll_funcptr(&c->pt, zoc_efd_queue);
	*events = vfs_poll(f.file, &c->pt);
	fdput(f);
	return 0;
}

static void zoc_efd_call_put(struct zoc_efd_call *c)
{
	u64 count;

	eventfd_ctx_remove_wait_queue(c->ctx, &c->wait, &count);
	eventfd_ctx_put(c->ctx);
	c->ctx = NULL;
}

/*
 * Our vectors, set once: the transport attaches with a data queue for each
 * past the first.
 */
static int zoc_efd_set_calls(struct zoc_host_efd *efd,
			     const struct zoc_link_vectors *v)
{
	__poll_t events[ZOC_LINK_MAX_VECTORS];
	unsigned int i;
	int ret = 0;

	if (efd->nr_calls)
		return -EBUSY;
	if (!v->nr || v->nr > ZOC_LINK_MAX_VECTORS)
		return -EINVAL;
	for (i = 0; i < v->nr && !ret; i++)
		ret = zoc_efd_call_get(&efd->call[i], v->fds[i], &events[i]);
	if (ret) {
		i--;
		goto out_put;
	}
	ret = zoc_host_link_attach(efd->host, &zoc_efd_ops, efd, v->peer,
				   v->nr - 1, NULL);
	if (ret)
		goto out_put;
	efd->nr_calls = v->nr;
	for (i = 0; i < v->nr; i++)
		if (events[i] & EPOLLIN)
			irq_work_queue(&efd->call[i].doorbell);
	return 0;

out_put:
	while (i--)
		zoc_efd_call_put(&efd->call[i]);
	return ret;
}

static void zoc_efd_put_all(struct eventfd_ctx **ctx, unsigned int n)
{
	while (n--)
		eventfd_ctx_put(ctx[n]);
}

/*
 * The doorbell vectors of the service VM whose id is @v->peer: set,
 * replaced, or withdrawn (@v->nr 0).  -EBUSY if ZOC_EFD_KICKS others have
 * some.
 */
static int zoc_efd_set_kicks(struct zoc_host_efd *efd,
			     const struct zoc_link_vectors *v)
{
	struct eventfd_ctx *ctx[ZOC_LINK_MAX_VECTORS] = {};
	struct zoc_efd_kick *k, *slot = NULL;
	unsigned int i, nr = v->nr;
	int ret = 0;

	if (nr > ZOC_LINK_MAX_VECTORS)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		ctx[i] = eventfd_ctx_fdget(v->fds[i]);
		if (IS_ERR(ctx[i])) {
			ret = PTR_ERR(ctx[i]);
			zoc_efd_put_all(ctx, i);
			return ret;
		}
	}
	spin_lock_irq(&efd->lock);
	for (k = efd->kick; k < efd->kick + ZOC_EFD_KICKS; k++) {
		if (k->nr && k->peer == v->peer) {
			slot = k;
			break;
		}
		if (!k->nr && !slot)
			slot = k;
	}
	if (slot && (slot->nr || nr)) {
		/* the new ones in, the old ones out to be put */
		for (i = 0; i < ZOC_LINK_MAX_VECTORS; i++)
			swap(slot->ctx[i], ctx[i]);
		swap(slot->nr, nr);
		slot->peer = v->peer;
	} else if (nr) {
		ret = -EBUSY;
	}
	spin_unlock_irq(&efd->lock);
	zoc_efd_put_all(ctx, nr);
	return ret;
}

/*
 * Host physical memory the window may show: RAM and the link area.  The
 * rest of the aperture stays out: emulated MMIO must never be reachable
 * as memory.
 */
static bool zoc_window_allowed(struct zoc_host *host, phys_addr_t phys)
{
	return zoc_host_link_in_link_area(host, phys) ||
	       region_intersects(phys, PAGE_SIZE, IORESOURCE_SYSTEM_RAM,
				 IORES_DESC_NONE) == REGION_INTERSECTS;
}

static vm_fault_t zoc_window_fault(struct vm_fault *vmf)
{
	struct file *file = vmf->vma->vm_file;
	phys_addr_t phys = PFN_PHYS(vmf->pgoff);

	if (phys >= i_size_read(file_inode(file)) ||
	    !zoc_window_allowed(file->private_data, phys))
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vmf->vma, vmf->address, vmf->pgoff);
}

/*
 * Window files and their mappings are counted: once the transport is gone
 * and the last file and mapping with it, no service VM can reach host
 * memory any more
 * (KVM's mappings of it follow the VMM's, through MMU notifiers), and
 * what the bus holds for it can be given back.
 */
static void zoc_window_open(struct vm_area_struct *vma)
{
	struct zoc_host *host = vma->vm_file->private_data;

	atomic_inc(&host->window_maps);
}

static void zoc_window_close(struct vm_area_struct *vma)
{
	struct zoc_host *host = vma->vm_file->private_data;

	if (atomic_dec_and_test(&host->window_maps))
		zoc_host_bus_reclaim(host->bus);
}

static const struct vm_operations_struct zoc_window_vm_ops = {
	.open = zoc_window_open,
	.close = zoc_window_close,
	.fault = zoc_window_fault,
};

static int zoc_window_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &zoc_window_vm_ops;
	zoc_window_open(vma);
	return 0;
}

static int zoc_window_release(struct inode *inode, struct file *file)
{
	struct zoc_host *host = file->private_data;

	if (atomic_dec_and_test(&host->window_files))
		zoc_host_bus_reclaim(host->bus);
	return 0;
}

static const struct file_operations zoc_window_fops = {
	.owner = THIS_MODULE,
	.mmap = zoc_window_mmap,
	.release = zoc_window_release,
};

/*
 * A file of its own inode, so that fstat() tells the VMM the window's
 * size (ivshmem sizes its BAR so): the smallest power of two that covers
 * RAM and the aperture.
 */
static int zoc_window_fd(struct zoc_host *host)
{
	phys_addr_t end = host->aperture.end + 1;
	struct inode *inode;
	struct file *file;
	int fd;

	end = max_t(u64, end, zoc_host_ram_end());
	inode = alloc_anon_inode(zoc_window_mnt->mnt_sb);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	i_size_write(inode, roundup_pow_of_two(end));
	/* The file holds a reference to us, dropped by its last fput(). */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, zoc_window_mnt, "zoc-window", O_RDWR,
				 &zoc_window_fops);
	if (IS_ERR(file)) {
		module_put(THIS_MODULE);
		iput(inode);
		return PTR_ERR(file);
	}
	/* Links go away only with the module, which the file holds. */
	file->private_data = host;
	atomic_inc(&host->window_files);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		fput(file);
		return fd;
	}
	fd_install(fd, file);
	return fd;
}

/* The vectors of ZOC_LINK_SET_CALLS or _SET_KICKS, or the one of the older */
static int zoc_efd_vectors(unsigned int cmd, unsigned long arg,
			   struct zoc_link_vectors *v)
{
	struct zoc_link_doorbell db;

	if (cmd == ZOC_LINK_SET_CALLS || cmd == ZOC_LINK_SET_KICKS)
		return copy_from_user(v, (void __user *)arg, sizeof(*v)) ?
		       -EFAULT : 0;
	if (copy_from_user(&db, (void __user *)arg, sizeof(db)))
		return -EFAULT;
	v->peer = db.peer;
	v->fds[0] = db.fd;
	/* fd -1 withdraws a service VM's; an eventfd is wanted otherwise */
	v->nr = cmd == ZOC_LINK_SET_KICK && db.fd < 0 ? 0 : 1;
	return 0;
}

static long zoc_efd_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct zoc_host_efd *efd = file->private_data;
	struct zoc_link_vectors v;
	long ret;

	switch (cmd) {
	case ZOC_LINK_SET_CALL:
	case ZOC_LINK_SET_CALLS:
	case ZOC_LINK_SET_KICK:
	case ZOC_LINK_SET_KICKS:
		ret = zoc_efd_vectors(cmd, arg, &v);
		if (ret)
			return ret;
		mutex_lock(&efd->ioctl_lock);
		if (cmd == ZOC_LINK_SET_CALL || cmd == ZOC_LINK_SET_CALLS)
			ret = zoc_efd_set_calls(efd, &v);
		else
			ret = zoc_efd_set_kicks(efd, &v);
		mutex_unlock(&efd->ioctl_lock);
		return ret;
	case ZOC_LINK_WINDOW:
		return zoc_window_fd(efd->host);
	}
	return -ENOTTY;
}

static int zoc_efd_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct zoc_host_efd *efd;
	unsigned int i;

	efd = kzalloc(sizeof(*efd), GFP_KERNEL);
	if (!efd)
		return -ENOMEM;
	efd->host = container_of(misc, struct zoc_host, misc);
	mutex_init(&efd->ioctl_lock);
	spin_lock_init(&efd->lock);
	for (i = 0; i < ZOC_LINK_MAX_VECTORS; i++) {
		efd->call[i].efd = efd;
		efd->call[i].vector = i;
		init_irq_work(&efd->call[i].doorbell, zoc_efd_doorbell);
	}
	file->private_data = efd;
	return 0;
}

static int zoc_efd_release(struct inode *inode, struct file *file)
{
	struct zoc_host_efd *efd = file->private_data;
	unsigned int i;

	if (efd->nr_calls) {
		zoc_host_link_detach(efd->host, efd, true);
		zoc_host_bus_reclaim(efd->host->bus);
	}
	for (i = 0; i < efd->nr_calls; i++)
		zoc_efd_call_put(&efd->call[i]);
	/* also those a refused ZOC_LINK_SET_CALLS waited on for a while */
	for (i = 0; i < ZOC_LINK_MAX_VECTORS; i++)
		irq_work_sync(&efd->call[i].doorbell);
	for (i = 0; i < ZOC_EFD_KICKS; i++)
		zoc_efd_put_all(efd->kick[i].ctx, efd->kick[i].nr);
	mutex_destroy(&efd->ioctl_lock);
	kfree(efd);
	return 0;
}

static const struct file_operations zoc_efd_fops = {
	.owner = THIS_MODULE,
	.open = zoc_efd_open,
	.release = zoc_efd_release,
	.unlocked_ioctl = zoc_efd_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static int zoc_window_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, ZOC_WINDOW_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type zoc_window_fs = {
	.name = "zoc_window",
	.init_fs_context = zoc_window_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* The file system of the window files, shared by all links. */
int zoc_host_chardev_init(void)
{
	zoc_window_mnt = kern_mount(&zoc_window_fs);
	return PTR_ERR_OR_ZERO(zoc_window_mnt);
}

void zoc_host_chardev_exit(void)
{
	kern_unmount(zoc_window_mnt);
}

/* /dev/zoc-link<N> of link N. */
int zoc_host_chardev_add(struct zoc_host *host)
{
	snprintf(host->misc_name, sizeof(host->misc_name), "zoc-link%u",
		 host->id);
	host->misc.minor = MISC_DYNAMIC_MINOR;
	host->misc.name = host->misc_name;
	host->misc.fops = &zoc_efd_fops;
	host->misc.mode = 0600;
	host->misc.parent = &host->pdev->dev;
	return misc_register(&host->misc);
}

void zoc_host_chardev_remove(struct zoc_host *host)
{
	misc_deregister(&host->misc);
}

/**
 * zoc_host_chardev_svm_gone - whether no service VM can reach host memory
 * @host: the link
 *
 * True once the bare-metal transport was detached and the link's window
 * files are all closed and unmapped; not for a link whose transport is an
 * ivshmem function, whose service VM reaches host memory by other means.
 *
 * Context: any.
 */
bool zoc_host_chardev_svm_gone(struct zoc_host *host)
{
	return READ_ONCE(host->window_only) &&
	       !atomic_read(&host->window_files) &&
	       !atomic_read(&host->window_maps);
}
