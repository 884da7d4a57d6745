/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ZOC link: byte ranges of a BAR as both sides check them, the host's bus
 * when it dispatches an access by the device image (host/image.h) and the
 * service VM when it takes one the bus forwarded (guest/mmio_check.h).
 * Built in the kernel and, with ring_compat.h, in userspace for the
 * fuzzer (tools/testing/fuzz/image_fuzz.c).
 */
#ifndef _ZOC_LINK_RANGE_H
#define _ZOC_LINK_RANGE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "ring_compat.h"
#endif

/* Whether [@off, @off + @size) is inside [@start, @start + @len). */
static inline bool zoc_range_in(u64 off, u64 size, u64 start, u64 len)
{
	return off >= start && off - start < len && size <= len - (off - start);
}

/*
 * Whether [@a, @a + @alen) and [@b, @b + @blen) share a byte; neither end
 * may wrap.
 */
static inline bool zoc_range_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

#endif /* _ZOC_LINK_RANGE_H */
