// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC host: the test hooks, in kernels built with CONFIG_ZOC_TEST_HOOKS.
 * A test module (drivers/zoc/tests/host) registers its operations and
 * gets every link: the messages of the service VM that the host has no
 * use for (the replies to what the test sent) go to it.  It may also run
 * wiring probes, look up a device's PCI function and keep a slot of a
 * link's bus free for its own control requests.  Nothing else of the
 * host knows the tests, and none of this is built for production.
 */

#include <linux/err.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/zoc.h>

#include "../link/link.h"
#include "bus.h"
#include "test_hooks.h"
#include "zoc_host.h"

/* Serialises registrations: one test module at a time. */
static DEFINE_MUTEX(zoc_host_test_mutex);

/* Attach @ops with @priv to @host, or detach with NULL. */
static void zoc_host_test_set(struct zoc_host *host,
			      const struct zoc_host_test_ops *ops, void *priv)
{
	spin_lock_irq(&host->link.rx_lock);
	host->test_ops = ops;
	host->test_priv = priv;
	spin_unlock_irq(&host->link.rx_lock);
}

/* Detach @ops from every link it is attached to.  Mutex held. */
static void __zoc_host_test_unregister(const struct zoc_host_test_ops *ops)
{
	struct zoc_host *host;
	void *priv;

	for (host = zoc_host_next(NULL); host; host = zoc_host_next(host)) {
		if (host->test_ops != ops)
			continue;
		priv = host->test_priv;
		zoc_host_test_set(host, NULL, NULL);
		ops->remove(priv);
	}
}

/**
 * zoc_host_test_register - attach a test module to every link
 * @ops: its operations; ->add() is called for each link, in the order of
 *	their numbers, and ->receive() may be called as soon as it returned
 *
 * Context: process context.
 * Return: 0, -EBUSY if a test module is attached already, or what
 * ->add() failed with (the links added are removed again).
 */
int zoc_host_test_register(const struct zoc_host_test_ops *ops)
{
	struct zoc_host *host;
	int ret = 0;
	void *priv;

	mutex_lock(&zoc_host_test_mutex);
	for (host = zoc_host_next(NULL); host && !ret;
	     host = zoc_host_next(host))
		if (host->test_ops)
			ret = -EBUSY;
	for (host = zoc_host_next(NULL); host && !ret;
	     host = zoc_host_next(host)) {
		priv = ops->add(host, &host->link, host->id);
		if (IS_ERR(priv))
			ret = PTR_ERR(priv);
		else
			zoc_host_test_set(host, ops, priv);
	}
	if (ret && ret != -EBUSY)
		__zoc_host_test_unregister(ops);
	mutex_unlock(&zoc_host_test_mutex);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(zoc_host_test_register, ZOC_HOST_TEST);

/**
 * zoc_host_test_unregister - detach a test module from every link
 * @ops: as registered
 *
 * Once this returns, @ops is not running and is not called again.
 *
 * Context: process context.
 */
void zoc_host_test_unregister(const struct zoc_host_test_ops *ops)
{
	mutex_lock(&zoc_host_test_mutex);
	__zoc_host_test_unregister(ops);
	mutex_unlock(&zoc_host_test_mutex);
}
EXPORT_SYMBOL_NS_GPL(zoc_host_test_unregister, ZOC_HOST_TEST);

/**
 * zoc_host_test_probe - one wiring probe of a link
 * @host: the link
 *
 * Context: process context.
 * Return: as zoc_host_probe().
 */
int zoc_host_test_probe(struct zoc_host *host)
{
	return zoc_host_probe(host);
}
EXPORT_SYMBOL_NS_GPL(zoc_host_test_probe, ZOC_HOST_TEST);

/**
 * zoc_host_test_pci_dev - the PCI function of a device of a link
 * @host: the link
 * @name: the device's name
 * @type: set to its type (ZOC_DEV_* or a test's)
 *
 * Context: process context; takes the bus's mutex.
 * Return: the function (stalled ones too), with a reference the caller
 * puts, or NULL if there is no such device or it is gone.
 */
struct pci_dev *zoc_host_test_pci_dev(struct zoc_host *host,
				      const char *name, u32 *type)
{
	struct zoc_host_dev_info info;
	unsigned int dom, bus, slot, fn;
	char extra;

	if (zoc_host_dev_info(host, name, &info) ||
	    info.state == ZOC_DEV_STATE_GONE ||
	    sscanf(info.pci, "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn,
		   &extra) != 4)
		return NULL;
	*type = info.type;
	return pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
}
EXPORT_SYMBOL_NS_GPL(zoc_host_test_pci_dev, ZOC_HOST_TEST);

/**
 * zoc_host_test_owns - whether a PCI function is on a link's bus
 * @host: the link
 * @pdev: the function
 *
 * Context: any.
 * Return: true if @pdev is on @host's virtual bus.
 */
bool zoc_host_test_owns(struct zoc_host *host, struct pci_dev *pdev)
{
	struct pci_host_bridge *bridge = pci_find_host_bridge(pdev->bus);

	return bridge && bridge->dev.parent == &host->pdev->dev;
}
EXPORT_SYMBOL_NS_GPL(zoc_host_test_owns, ZOC_HOST_TEST);

/**
 * zoc_host_test_cpu_queue - the data queue a CPU posts its doorbells on
 * @host: the link
 * @cpu: the CPU
 *
 * Context: any.
 * Return: the queue, as zoc_host_link_cpu_queue() gives it.
 */
unsigned int zoc_host_test_cpu_queue(struct zoc_host *host, unsigned int cpu)
{
	return zoc_host_link_cpu_queue(host, cpu);
}
EXPORT_SYMBOL_NS_GPL(zoc_host_test_cpu_queue, ZOC_HOST_TEST);

/**
 * zoc_host_test_slot_hold - keep a free slot of a link's bus for a test
 * @host: the link
 *
 * For control requests a test sends the service VM about a slot itself:
 * no device of the host is in the slot, nor can one be added or removed
 * until zoc_host_test_slot_release().
 *
 * Context: process context; takes the bus's mutex, held on success.
 * Return: the slot, -ENODEV without a bus, or -ENOSPC if it is full.
 */
int zoc_host_test_slot_hold(struct zoc_host *host)
{
	struct zoc_bus *b = host->bus;
	int slot;

	if (!b)
		return -ENODEV;
	mutex_lock(&b->mutex);
	for (slot = ZOC_BUS_SLOTS - 1; slot >= 0; slot--)
		if (!b->fn[slot].present)
			return slot;
	mutex_unlock(&b->mutex);
	return -ENOSPC;
}
EXPORT_SYMBOL_NS_GPL(zoc_host_test_slot_hold, ZOC_HOST_TEST);

/**
 * zoc_host_test_slot_release - zoc_host_test_slot_hold()'s end
 * @host: the link
 *
 * Context: process context, after a successful zoc_host_test_slot_hold().
 */
void zoc_host_test_slot_release(struct zoc_host *host)
{
	mutex_unlock(&host->bus->mutex);
}
EXPORT_SYMBOL_NS_GPL(zoc_host_test_slot_release, ZOC_HOST_TEST);

/**
 * zoc_host_test_receive - a message of the service VM for the test module
 * @host: the link it came over
 * @msg: a message the host has no use for
 *
 * Dropped if no test module is attached.
 *
 * Context: the link's receiving lock held, interrupts disabled.
 */
void zoc_host_test_receive(struct zoc_host *host, const struct zoc_msg *msg)
{
	if (host->test_ops)
		host->test_ops->receive(host->test_priv, msg);
}
