/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC host: what a test module (drivers/zoc/tests/host) gets of the
 * host's links in kernels built with CONFIG_ZOC_TEST_HOOKS (test_hooks.c,
 * exported in the ZOC_HOST_TEST namespace).  The host calls the test
 * module only through the operations it registers; without the option
 * there is none, and the stub below takes nothing.
 */
#ifndef _ZOC_HOST_TEST_HOOKS_H
#define _ZOC_HOST_TEST_HOOKS_H

#include <linux/kconfig.h>
#include <linux/types.h>

struct pci_dev;
struct zoc_host;
struct zoc_link;
struct zoc_msg;

/**
 * struct zoc_host_test_ops - a test module, as the host calls it
 * @add: a link to test: @link is its instance, @id its number.  Return
 *	the test's state for the link, passed back to @receive and
 *	@remove, or an ERR_PTR().  Process context.
 * @remove: the link's test state goes: @receive is not running for it
 *	and is not called for it again.  Process context.
 * @receive: a message from the service VM that is none of the host's
 *	business: a reply to what the test posted with ZOC_LINK_TAG_OTHER
 *	in its tag, or a test's message.  Called with the link's receiving
 *	lock held, interrupts disabled: note, never sleep.
 */
struct zoc_host_test_ops {
	void *(*add)(struct zoc_host *host, struct zoc_link *link,
		     unsigned int id);
	void (*remove)(void *priv);
	void (*receive)(void *priv, const struct zoc_msg *msg);
};

#if IS_ENABLED(CONFIG_ZOC_TEST_HOOKS)
int zoc_host_test_register(const struct zoc_host_test_ops *ops);
void zoc_host_test_unregister(const struct zoc_host_test_ops *ops);
int zoc_host_test_probe(struct zoc_host *host);
struct pci_dev *zoc_host_test_pci_dev(struct zoc_host *host,
				      const char *name, u32 *type);
bool zoc_host_test_owns(struct zoc_host *host, struct pci_dev *pdev);
unsigned int zoc_host_test_cpu_queue(struct zoc_host *host, unsigned int cpu);
int zoc_host_test_slot_hold(struct zoc_host *host);
void zoc_host_test_slot_release(struct zoc_host *host);
void zoc_host_test_receive(struct zoc_host *host, const struct zoc_msg *msg);
#else
static inline void zoc_host_test_receive(struct zoc_host *host,
					 const struct zoc_msg *msg)
{
}
#endif

#endif /* _ZOC_HOST_TEST_HOOKS_H */
