// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC I/O proxy core: the registry of device models, shared by every
 * proxy, and what a proxy gives the models of its devices: access to host
 * memory under the host's fence, interrupts, counters and stage times the
 * host shows, register shadows, the doorbells' last values.
 */

#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/zoc_link.h>

#include "proxy.h"
#include "zoc_guest.h"
#include "zoc_proxy.h"

/* The models: a registry, like a driver's; shared by every proxy. */
static LIST_HEAD(zoc_models);
static DEFINE_MUTEX(zoc_models_mutex);

/* --- models -------------------------------------------------------------- */

/**
 * zoc_proxy_register_model - offer a device model to the host
 * @model: the model; @model->type must be unique
 *
 * Return: 0, or -EEXIST if a model of that type is registered.
 */
int zoc_proxy_register_model(struct zoc_proxy_model *model)
{
	struct zoc_proxy_model *m;
	int ret = 0;

	mutex_lock(&zoc_models_mutex);
	list_for_each_entry(m, &zoc_models, list)
		if (m->type == model->type)
			ret = -EEXIST;
	if (!ret)
		list_add_tail(&model->list, &zoc_models);
	mutex_unlock(&zoc_models_mutex);
	if (!ret)
		zoc_proxy_swap_in(model);
	return ret;
}
EXPORT_SYMBOL_GPL(zoc_proxy_register_model);

/**
 * zoc_proxy_unregister_model - withdraw a device model
 * @model: as registered
 *
 * A model with &zoc_proxy_model.detach lets go of its devices, which wait
 * for the next model of their type (swap.c).  The devices of a model
 * without it hold a reference on its module, so none is left.
 */
void zoc_proxy_unregister_model(struct zoc_proxy_model *model)
{
	mutex_lock(&zoc_models_mutex);
	list_del(&model->list);
	mutex_unlock(&zoc_models_mutex);
	zoc_proxy_swap_out(model);
}
EXPORT_SYMBOL_GPL(zoc_proxy_unregister_model);

/* The model of a type, its module pinned; or NULL. */
const struct zoc_proxy_model *zoc_proxy_model_get(u8 type)
{
	struct zoc_proxy_model *m, *found = NULL;

	mutex_lock(&zoc_models_mutex);
	list_for_each_entry(m, &zoc_models, list) {
		if (m->type == type && try_module_get(m->owner)) {
			found = m;
			break;
		}
	}
	mutex_unlock(&zoc_models_mutex);
	return found;
}

/* --- helpers for models -------------------------------------------------- */

/* Did the host declare @pdev's function gone (struct zoc_dev_page)? */
static bool zoc_proxy_gone(struct zoc_pdev *pdev)
{
	return READ_ONCE(pdev->page->gone);
}

/**
 * zoc_proxy_host_ptr - map a range of host memory
 * @pdev: the device asking
 * @addr: host physical address
 * @len: length in bytes
 *
 * The host can change this memory at any time: copy what is read, then
 * check the copy.  To copy data to or from the host, use
 * zoc_proxy_dma_begin() instead.
 *
 * Return: a kernel pointer into the L0 window, or NULL if the range is not
 * host RAM outside the link area, or the host declared the function gone.
 */
void *zoc_proxy_host_ptr(struct zoc_pdev *pdev, u64 addr, size_t len)
{
	if (zoc_proxy_gone(pdev))
		return NULL;
	return zoc_guest_link_host_ptr(pdev->proxy->ep, addr, len);
}
EXPORT_SYMBOL_GPL(zoc_proxy_host_ptr);

/**
 * zoc_proxy_dma_begin - begin a copy to or from host memory
 * @pdev: the device asking
 * @addr: host physical address
 * @len: length in bytes
 *
 * Counted in the device page while it runs, so that a host that declares
 * the function gone meanwhile knows that a copy may still land (struct
 * zoc_dev_page); none begins once it did.  Any context; pair with
 * zoc_proxy_dma_end() if it succeeded.
 *
 * Return: a kernel pointer into the L0 window, or NULL as
 * zoc_proxy_host_ptr().
 */
void *zoc_proxy_dma_begin(struct zoc_pdev *pdev, u64 addr, size_t len)
{
	atomic_t *copying = (atomic_t *)&pdev->page->copying;
	void *p;

	atomic_inc(copying);
	/* Counted before @gone is read; pairs with the host's fence. */
	virt_mb();
	p = zoc_proxy_host_ptr(pdev, addr, len);
	if (!p)
		atomic_dec(copying);
	return p;
}
EXPORT_SYMBOL_GPL(zoc_proxy_dma_begin);

/**
 * zoc_proxy_dma_end - end a copy begun with zoc_proxy_dma_begin()
 * @pdev: the device asking
 */
void zoc_proxy_dma_end(struct zoc_pdev *pdev)
{
	/* The copy done before it is no longer counted. */
	virt_mb();
	atomic_dec((atomic_t *)&pdev->page->copying);
}
EXPORT_SYMBOL_GPL(zoc_proxy_dma_end);

/**
 * zoc_proxy_dma_read - copy from host memory
 * @pdev: the device asking
 * @addr: host physical address
 * @buf: destination
 * @len: length in bytes
 *
 * Return: 0, or -EFAULT if the range is not host RAM or the host declared
 * the function gone.
 */
int zoc_proxy_dma_read(struct zoc_pdev *pdev, u64 addr, void *buf, size_t len)
{
	void *src = zoc_proxy_dma_begin(pdev, addr, len);

	if (!src)
		return -EFAULT;
	memcpy(buf, src, len);
	zoc_proxy_dma_end(pdev);
	return 0;
}
EXPORT_SYMBOL_GPL(zoc_proxy_dma_read);

/**
 * zoc_proxy_dma_write - copy to host memory
 * @pdev: the device asking
 * @addr: host physical address
 * @buf: source
 * @len: length in bytes
 *
 * Return: 0, or -EFAULT if the range is not host RAM or the host declared
 * the function gone.
 */
int zoc_proxy_dma_write(struct zoc_pdev *pdev, u64 addr, const void *buf,
			size_t len)
{
	void *dst = zoc_proxy_dma_begin(pdev, addr, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, buf, len);
	zoc_proxy_dma_end(pdev);
	return 0;
}
EXPORT_SYMBOL_GPL(zoc_proxy_dma_write);

/**
 * zoc_proxy_irq - raise an MSI-X vector of a device
 * @pdev: the device
 * @vector: its vector
 *
 * Writes to host memory made before are visible to the host's handler.
 * The message goes on the data queue of the device's last doorbell if
 * the host named none for the vector or named that one among them (the
 * queues of its affinity's CPUs), else on the first it named.
 * A message that finds the link's ring full is sent again at the link's
 * next tick: a driver that waits for the interrupt (virtio's do, for ever)
 * gets it late, never not at all.
 *
 * Context: any.
 * Return: 0 (sent or to be sent again), -EINVAL for a vector the host's
 * bus has not, or the link's error (-ENOTCONN, -EIO).
 */
int zoc_proxy_irq(struct zoc_pdev *pdev, unsigned int vector)
{
	struct zoc_msg msg = {};
	u32 queue;
	u16 queues;
	int ret;

	if (vector >= BITS_PER_LONG || vector >= ZOC_DEV_VECTORS)
		return -EINVAL;
	/* Once: the same word is read at every interrupt, rarely written */
	if (!test_bit(vector, &pdev->irq_raised))
		set_bit(vector, &pdev->irq_raised);
	msg.hdr.type = ZOC_MSG_IRQ;
	msg.hdr.len = cpu_to_le16(sizeof(msg.irq));
	msg.hdr.dev = cpu_to_le32(pdev->slot);
	msg.irq.vector = cpu_to_le32(vector);
	/* That of the CPU that rang, if the vector's affinity names it */
	queues = le16_to_cpu(READ_ONCE(pdev->page->irq_queues[vector]));
	queue = READ_ONCE(pdev->queue_hint);
	if (queues && (queue >= BITS_PER_TYPE(queues) || !(queues & BIT(queue))))
		queue = __ffs(queues);
	ret = zoc_guest_link_post_queue(pdev->proxy->ep, queue, &msg);
	if (ret == -ENOSPC) {
		set_bit(vector, &pdev->irq_retry);
		return 0;
	}
	if (!ret)
		zoc_proxy_stat_add(pdev, ZOC_DEV_STAT_IRQS, 1);
	return ret;
}
EXPORT_SYMBOL_GPL(zoc_proxy_irq);

/**
 * zoc_proxy_stat_add - count in a device's counters, which the host shows
 * @pdev: the device
 * @stat: ZOC_DEV_STAT_*
 * @n: how much
 *
 * Context: any.
 */
void zoc_proxy_stat_add(struct zoc_pdev *pdev, unsigned int stat, u64 n)
{
	if (stat >= ZOC_DEV_STATS)
		return;
	atomic64_add(n, &pdev->stats[stat]);
	WRITE_ONCE(pdev->page->stats[stat],
		   cpu_to_le64(atomic64_read(&pdev->stats[stat])));
}
EXPORT_SYMBOL_GPL(zoc_proxy_stat_add);

/**
 * zoc_proxy_stage - a stage of a request ends: count its time
 * @pdev: the device
 * @stat: the stage's counter, ZOC_DEV_STAT_*_NS
 * @since: when the stage began, from ktime_get_ns(); 0 if it was not timed
 *
 * Adds the time since @since to the device's counter, which the host shows
 * beside its count of commands, so that one can see where a request spends
 * its time in the service VM.
 *
 * Context: any.
 * Return: now (ktime_get_ns()), when the next stage begins.
 */
u64 zoc_proxy_stage(struct zoc_pdev *pdev, unsigned int stat, u64 since)
{
	u64 now = ktime_get_ns();

	if (since && now > since)
		zoc_proxy_stat_add(pdev, stat, now - since);
	return now;
}
EXPORT_SYMBOL_GPL(zoc_proxy_stage);

/**
 * zoc_proxy_shadow_write - update the register shadow the host reads
 * @pdev: the device
 * @offset: where in the device page's shadow
 * @val: the bytes
 * @len: how many
 *
 * Context: any.
 */
void zoc_proxy_shadow_write(struct zoc_pdev *pdev, unsigned int offset,
			    const void *val, size_t len)
{
	if (offset > ZOC_DEV_SHADOW_SIZE || len > ZOC_DEV_SHADOW_SIZE - offset)
		return;
	/* Earlier writes to host memory first, as a device would order them. */
	virt_wmb();
	memcpy(pdev->page->shadow + offset, val, len);
}
EXPORT_SYMBOL_GPL(zoc_proxy_shadow_write);

/**
 * zoc_proxy_doorbell_last - the value the host last wrote to a doorbell
 * @pdev: the device
 * @index: the doorbell, of those its image declares
 *
 * Whether or not it was handed to the model yet: for a model that stops
 * taking doorbells (@detach) and still needs what the host wrote.  It is
 * handed over all the same, later.
 *
 * Context: any.
 * Return: the value, or 0 for no such doorbell.
 */
u32 zoc_proxy_doorbell_last(struct zoc_pdev *pdev, unsigned int index)
{
	if (index >= pdev->doorbells)
		return 0;
	return le32_to_cpu(READ_ONCE(pdev->page->db[index]));
}
EXPORT_SYMBOL_GPL(zoc_proxy_doorbell_last);
