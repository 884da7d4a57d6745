/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ring.h, pending.h and host/image.h take from the kernel, for
 * userspace builds of them (unit tests, benchmarks and fuzzers).  Shared
 * indices are accessed with GCC's __atomic builtins, so that the C11
 * memory model, ThreadSanitizer and the compiler all see the same protocol
 * as the kernel's virt_*() barriers describe.
 */
#ifndef _ZOC_LINK_RING_COMPAT_H
#define _ZOC_LINK_RING_COMPAT_H

#ifndef __KERNEL__

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>

#define u8			__u8
#define u16			__u16
#define u32			__u32
#define u64			__u64

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/*
 * The kernel's virt_*() barriers.  Fences and acquire/release accesses of
 * the C11 model; ring.h names the pairs.
 */
/* full barrier: orders earlier stores against later loads */
#define virt_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
/* acquire load: later accesses stay after it */
#define virt_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
/* release store: earlier accesses stay before it */
#define virt_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
/* write barrier: earlier stores before later stores */
#define virt_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
/* read barrier: earlier loads before later loads */
#define virt_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define cpu_to_le16(x)		((__u16)(x))
#define cpu_to_le32(x)		((__u32)(x))
#define cpu_to_le64(x)		((__u64)(x))
#else
#define cpu_to_le16(x)		__builtin_bswap16(x)
#define cpu_to_le32(x)		__builtin_bswap32(x)
#define cpu_to_le64(x)		__builtin_bswap64(x)
#endif
#define le16_to_cpu(x)		cpu_to_le16(x)
#define le32_to_cpu(x)		cpu_to_le32(x)
#define le64_to_cpu(x)		cpu_to_le64(x)

#ifndef likely
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#endif

#ifndef ALIGN
#define ALIGN(x, a)		({ typeof(x) _a = (a); ((x) + _a - 1) & ~(_a - 1); })
#endif
#define BIT_ULL(n)		(1ULL << (n))

static inline void put_unaligned_le16(__u16 val, void *p)
{
	__u16 le = cpu_to_le16(val);

	memcpy(p, &le, sizeof(le));
}

static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* A completion that only counts: single-threaded unit tests wait on none. */
struct completion {
	unsigned int done;
};

static inline void init_completion(struct completion *x)
{
	x->done = 0;
}

static inline void reinit_completion(struct completion *x)
{
	x->done = 0;
}

static inline void complete(struct completion *x)
{
	x->done++;
}

#endif /* !__KERNEL__ */

#endif /* _ZOC_LINK_RING_COMPAT_H */
