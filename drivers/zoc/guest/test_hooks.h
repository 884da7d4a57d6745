/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC service VM: the test hooks of a link endpoint (test_hooks.c), built
 * only with CONFIG_ZOC_TEST_HOOKS and active only with test_hooks=1.  The
 * endpoint hands them the host's requests before its client; without the
 * option they are stubs that take nothing.
 */
#ifndef _ZOC_GUEST_TEST_HOOKS_H
#define _ZOC_GUEST_TEST_HOOKS_H

#include <linux/kconfig.h>
#include <linux/types.h>

struct device;
struct zoc_guest_test;
struct zoc_link;
struct zoc_msg;

#if IS_ENABLED(CONFIG_ZOC_TEST_HOOKS)
struct zoc_guest_test *zoc_guest_test_create(struct device *dev,
					     struct zoc_link *link);
bool zoc_guest_test_request(struct zoc_guest_test *t,
			    const struct zoc_msg *msg);
void zoc_guest_test_stop(struct zoc_guest_test *t);
#else
static inline struct zoc_guest_test *
zoc_guest_test_create(struct device *dev, struct zoc_link *link)
{
	return NULL;
}

static inline bool zoc_guest_test_request(struct zoc_guest_test *t,
					  const struct zoc_msg *msg)
{
	return false;
}

static inline void zoc_guest_test_stop(struct zoc_guest_test *t)
{
}
#endif

#endif /* _ZOC_GUEST_TEST_HOOKS_H */
