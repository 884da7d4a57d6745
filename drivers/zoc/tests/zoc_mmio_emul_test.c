// SPDX-License-Identifier: GPL-2.0
/*
 * Test module of x86 emulated MMIO regions, driven by the ZOC selftests
 * (selftests/zoc/mmio_emul) through debugfs: writing to a file of
 * /sys/kernel/debug/zoc_mmio_emul_test/ runs one case, and the write fails
 * with -EIO, after saying why in the kernel log, if the case fails.
 *
 * The region covers the two pages at @phys; its callbacks emulate a
 * register file and remember the last access.  The page after it is
 * reserved as well but never registered: it must behave as before.
 */

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-hi-lo.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/mmio_emul.h>

#define ZMT_PAGES		2
#define ZMT_SIZE		(ZMT_PAGES * PAGE_SIZE)
#define ZMT_BENCH_LOOPS		20000
/* Past the time a fault spends on a string instruction (100 us) */
#define ZMT_SLOW_US		200
#define ZMT_SLOW_ELEMENTS	8

static unsigned long phys;
module_param(phys, ulong, 0444);
MODULE_PARM_DESC(phys, "reserved physical range of 3 pages the test may use");

static unsigned long dev_phys;
module_param(dev_phys, ulong, 0444);
MODULE_PARM_DESC(dev_phys, "optional: a real device register, read by the benchmark");

static unsigned int smp_loops = 100000;
module_param(smp_loops, uint, 0644);
MODULE_PARM_DESC(smp_loops, "accesses per CPU in the smp case");

/**
 * struct zmt_access - one access seen by the callbacks
 * @offset: offset into the region
 * @size: width in bytes
 * @val: value read or written
 * @write: true for a write
 * @irqs_off: the callback ran with interrupts disabled
 */
struct zmt_access {
	unsigned long offset;
	unsigned int size;
	u64 val;
	bool write;
	bool irqs_off;
};

/**
 * struct zmt - the emulated device
 * @region: its emulated MMIO region
 * @lock: protects @regs and @last; the callbacks may run on any CPU
 * @regs: the register file behind the region
 * @last: the last access
 * @reads: reads seen
 * @writes: writes seen
 * @bad: accesses outside the region or of a bad size
 * @slow: each access takes ZMT_SLOW_US, as a device that answers late
 */
struct zmt {
	struct mmio_emul_region region;
	/* protects regs and last: the callbacks run on any CPU, IRQs off */
	spinlock_t lock;
	u8 regs[ZMT_SIZE];
	struct zmt_access last;
	atomic64_t reads;
	atomic64_t writes;
	atomic64_t bad;
	bool slow;
};

static struct zmt *zmt;
static struct dentry *zmt_dir;
static DEFINE_MUTEX(zmt_mutex);	/* one case at a time */

static bool zmt_valid(unsigned long offset, unsigned int size)
{
	if (offset < ZMT_SIZE && size <= ZMT_SIZE - offset &&
	    (size == 1 || size == 2 || size == 4 || size == 8))
		return true;
	atomic64_inc(&zmt->bad);
	return false;
}

/* A slow device: ZMT_SLOW_US by the clock emulated MMIO goes by. */
static void zmt_slow(struct zmt *t)
{
	u64 start = ktime_get_mono_fast_ns();

	if (!READ_ONCE(t->slow))
		return;
	while (ktime_get_mono_fast_ns() - start < ZMT_SLOW_US * NSEC_PER_USEC)
		cpu_relax();
}

static u64 zmt_read(struct mmio_emul_region *region, unsigned long offset,
		    unsigned int size)
{
	struct zmt *t = container_of(region, struct zmt, region);
	unsigned long flags;
	bool irqs_off;
	u64 val = 0;

	if (!zmt_valid(offset, size))
		return ~0ULL;
	zmt_slow(t);
	irqs_off = irqs_disabled();
	spin_lock_irqsave(&t->lock, flags);
	memcpy(&val, t->regs + offset, size);
	t->last = (struct zmt_access){ offset, size, val, false, irqs_off };
	spin_unlock_irqrestore(&t->lock, flags);
	atomic64_inc(&t->reads);
	return val;
}

static void zmt_write(struct mmio_emul_region *region, unsigned long offset,
		      unsigned int size, u64 val)
{
	struct zmt *t = container_of(region, struct zmt, region);
	bool irqs_off = irqs_disabled();
	unsigned long flags;

	if (!zmt_valid(offset, size))
		return;
	zmt_slow(t);
	spin_lock_irqsave(&t->lock, flags);
	memcpy(t->regs + offset, &val, size);
	t->last = (struct zmt_access){ offset, size, val, true, irqs_off };
	spin_unlock_irqrestore(&t->lock, flags);
	atomic64_inc(&t->writes);
}

static const struct mmio_emul_ops zmt_ops = {
	.read = zmt_read,
	.write = zmt_write,
};

/* Register the region and map it; NULL after logging why not. */
static void __iomem *zmt_setup(void)
{
	void __iomem *base;
	int ret;

	memset(zmt->regs, 0, sizeof(zmt->regs));
	zmt->region.start = phys;
	zmt->region.size = ZMT_SIZE;
	zmt->region.ops = &zmt_ops;
	ret = mmio_emul_register(&zmt->region);
	if (ret) {
		pr_err("zmt: mmio_emul_register: %d\n", ret);
		return NULL;
	}
	base = ioremap(phys, ZMT_SIZE);
	if (!base) {
		pr_err("zmt: ioremap failed\n");
		mmio_emul_unregister(&zmt->region);
	}
	return base;
}

static void zmt_teardown(void __iomem *base)
{
	iounmap(base);
	mmio_emul_unregister(&zmt->region);
}

#define zmt_check(cond, fmt, ...)					\
	({								\
		bool __ok = (cond);					\
		if (!__ok)						\
			pr_err("zmt: %s:%d: " fmt "\n", __func__,	\
			       __LINE__, ##__VA_ARGS__);		\
		__ok;							\
	})

/* The last access was exactly this one. */
static bool zmt_saw(unsigned long offset, unsigned int size, u64 val,
		    bool write)
{
	struct zmt_access a = zmt->last;

	return zmt_check(a.offset == offset && a.size == size && a.val == val &&
			 a.write == write,
			 "expected %s of %u bytes at %#lx = %#llx, saw %s of %u at %#lx = %#llx",
			 write ? "write" : "read", size, offset, val,
			 a.write ? "write" : "read", a.size, a.offset, a.val);
}

/* REP MOVS and STOS themselves, whatever memcpy() uses on this CPU. */
static bool zmt_rep(void __iomem *b, const u8 *src)
{
	void __iomem *d = b;
	const u8 *s = src;
	long n = 16;
	bool ok;
	int i;

	asm volatile("rep movsb" : "+D" (d), "+S" (s), "+c" (n) : : "memory");
	ok = zmt_check(!memcmp(zmt->regs, src, 16), "rep movsb");

	d = b;
	n = 4;
	asm volatile("rep stosl" : "+D" (d), "+c" (n) : "a" (0x5eed5eed) : "memory");
	for (i = 0; i < 16; i += 4)
		ok &= zmt_check(*(u32 *)(zmt->regs + i) == 0x5eed5eed, "rep stosl");

	d = b;
	s = src;
	n = 2;
	asm volatile("rep movsq" : "+D" (d), "+S" (s), "+c" (n) : : "memory");
	ok &= zmt_check(!memcmp(zmt->regs, src, 16), "rep movsq");
	return ok;
}

/* The other ways drivers map a BAR are emulated as well. */
static bool zmt_variants(void)
{
	void __iomem *wc, *cached;
	bool ok = true;
	void *mem;

	wc = ioremap_wc(phys + PAGE_SIZE, PAGE_SIZE);
	if (!zmt_check(wc, "ioremap_wc"))
		return false;
	writel(0x11110001, wc + 0x10);
	ok &= zmt_saw(PAGE_SIZE + 0x10, 4, 0x11110001, true);
	iounmap(wc);

	cached = ioremap_cache(phys, ZMT_SIZE);
	if (!zmt_check(cached, "ioremap_cache"))
		return false;
	ok &= zmt_check(readl(cached + PAGE_SIZE + 0x10) == 0x11110001,
			"ioremap_cache");
	iounmap(cached);

	/* memremap() of what is not RAM falls back to ioremap_cache(). */
	mem = memremap(phys, PAGE_SIZE, MEMREMAP_WB);
	if (!zmt_check(mem, "memremap"))
		return false;
	WRITE_ONCE(*(u32 *)(mem + 0x18), 0x22220002);
	ok &= zmt_saw(0x18, 4, 0x22220002, true);
	memunmap(mem);
	return ok;
}

/* Every accessor drivers use, with the right width, offset and value. */
static int zmt_case_accessors(void __iomem *b)
{
	u8 src[64], dst[64];
	bool ok = true;
	u64 q;
	int i;

	writeb(0x5a, b + 1);
	ok &= zmt_saw(1, 1, 0x5a, true);
	ok &= zmt_check(readb(b + 1) == 0x5a, "readb");
	ok &= zmt_saw(1, 1, 0x5a, false);

	writew(0xbeef, b + 2);
	ok &= zmt_saw(2, 2, 0xbeef, true);
	ok &= zmt_check(readw(b + 2) == 0xbeef, "readw");
	ok &= zmt_saw(2, 2, 0xbeef, false);

	writel(0xdeadbeef, b + 4);
	ok &= zmt_saw(4, 4, 0xdeadbeef, true);
	ok &= zmt_check(readl(b + 4) == 0xdeadbeef, "readl");
	ok &= zmt_saw(4, 4, 0xdeadbeef, false);

	writeq(0x0123456789abcdefULL, b + 8);
	ok &= zmt_saw(8, 8, 0x0123456789abcdefULL, true);
	ok &= zmt_check(readq(b + 8) == 0x0123456789abcdefULL, "readq");
	ok &= zmt_saw(8, 8, 0x0123456789abcdefULL, false);

	iowrite32(0xcafef00d, b + 0x10);
	ok &= zmt_saw(0x10, 4, 0xcafef00d, true);
	ok &= zmt_check(ioread32(b + 0x10) == 0xcafef00d, "ioread32");
	iowrite16(0x1234, b + 0x14);
	ok &= zmt_check(ioread16(b + 0x14) == 0x1234, "ioread16");
	iowrite8(0x56, b + 0x16);
	ok &= zmt_check(ioread8(b + 0x16) == 0x56, "ioread8");

	/* Two 32-bit halves, low first; read back high first. */
	q = 0x1122334455667788ULL;
	lo_hi_writeq(q, b + 0x20);
	ok &= zmt_saw(0x24, 4, 0x11223344, true);
	ok &= zmt_check(hi_lo_readq(b + 0x20) == 0x1122334455667788ULL,
			"hi_lo_readq");
	ok &= zmt_saw(0x20, 4, 0x55667788, false);

	/* Stores of immediates, the 64-bit one sign-extended from 32 bits. */
	asm volatile("movb $0x7f, %0" : "=m" (*(u8 __force *)(b + 0x30)));
	ok &= zmt_saw(0x30, 1, 0x7f, true);
	asm volatile("movw $0x4321, %0" : "=m" (*(u16 __force *)(b + 0x32)));
	ok &= zmt_saw(0x32, 2, 0x4321, true);
	asm volatile("movl $0x89abcdef, %0" : "=m" (*(u32 __force *)(b + 0x34)));
	ok &= zmt_saw(0x34, 4, 0x89abcdef, true);
	asm volatile("movq $-2, %0" : "=m" (*(u64 __force *)(b + 0x38)));
	ok &= zmt_saw(0x38, 8, 0xfffffffffffffffeULL, true);

	/* Zero and sign extension into 32- and 64-bit registers. */
	writeb(0x80, b + 0x40);
	writew(0x8001, b + 0x42);
	q = ~0ULL;
	asm volatile("movzbl %1, %k0" : "+r" (q) : "m" (*(u8 __force *)(b + 0x40)));
	ok &= zmt_check(q == 0x80, "movzbl: %#llx", q);
	q = ~0ULL;
	asm volatile("movzbq %1, %0" : "+r" (q) : "m" (*(u8 __force *)(b + 0x40)));
	ok &= zmt_check(q == 0x80, "movzbq: %#llx", q);
	q = ~0ULL;
	asm volatile("movzwl %1, %k0" : "+r" (q) : "m" (*(u16 __force *)(b + 0x42)));
	ok &= zmt_check(q == 0x8001, "movzwl: %#llx", q);
	q = 0;
	asm volatile("movsbl %1, %k0" : "+r" (q) : "m" (*(u8 __force *)(b + 0x40)));
	ok &= zmt_check(q == 0xffffff80, "movsbl: %#llx", q);
	q = 0;
	asm volatile("movsbq %1, %0" : "+r" (q) : "m" (*(u8 __force *)(b + 0x40)));
	ok &= zmt_check(q == 0xffffffffffffff80ULL, "movsbq: %#llx", q);
	q = 0;
	asm volatile("movswq %1, %0" : "+r" (q) : "m" (*(u16 __force *)(b + 0x42)));
	ok &= zmt_check(q == 0xffffffffffff8001ULL, "movswq: %#llx", q);

	/* A 32-bit load clears bits 63:32 of its register. */
	q = ~0ULL;
	asm volatile("movl %1, %k0" : "+r" (q) : "m" (*(u32 __force *)(b + 4)));
	ok &= zmt_check(q == 0xdeadbeef, "movl: %#llx", q);

	/*
	 * High byte registers: only AH changes, BH is what is stored.  The
	 * address sits in a legacy register: AH to BH cannot take a REX.
	 */
	q = 0x1111111111111111ULL;
	asm volatile("movb (%1), %%ah" : "+a" (q) : "c" (b + 0x40));
	ok &= zmt_check(q == 0x1111111111118011ULL, "movb to %%ah: %#llx", q);
	q = 0x2222222222225a22ULL;
	asm volatile("movb %%bh, (%1)" : : "b" (q), "c" (b + 0x44) : "memory");
	ok &= zmt_saw(0x44, 1, 0x5a, true);

	/* The second page. */
	writel(0x600df00d, b + PAGE_SIZE + 0x40);
	ok &= zmt_saw(PAGE_SIZE + 0x40, 4, 0x600df00d, true);

	/* String operations: memcpy_toio(), memcpy_fromio(), memset_io(). */
	for (i = 0; i < sizeof(src); i++)
		src[i] = i * 7 + 3;
	memcpy_toio(b + 0x100, src, sizeof(src));
	ok &= zmt_check(!memcmp(zmt->regs + 0x100, src, sizeof(src)),
			"memcpy_toio");
	memset(dst, 0, sizeof(dst));
	memcpy_fromio(dst, b + 0x100, sizeof(dst));
	ok &= zmt_check(!memcmp(dst, src, sizeof(dst)), "memcpy_fromio");
	memset_io(b + 0x200, 0xa5, 32);
	ok &= zmt_check(!memchr_inv(zmt->regs + 0x200, 0xa5, 32), "memset_io");

	ok &= zmt_rep(b, src);

	ok &= zmt_variants();
	ok &= zmt_check(!atomic64_read(&zmt->bad), "bad accesses");
	return ok ? 0 : -EIO;
}

/**
 * struct zmt_smp - the smp case
 * @base: the mapping every CPU hammers
 * @start: released once every thread runs
 * @done: counts the threads that finished
 * @left: threads still running
 */
struct zmt_smp {
	void __iomem *base;
	struct completion start;
	struct completion done;
	atomic_t left;
};

static int zmt_smp_thread(void *data)
{
	struct zmt_smp *s = data;
	void __iomem *reg = s->base + 8 * raw_smp_processor_id();
	unsigned int i;

	wait_for_completion(&s->start);
	for (i = 0; i < smp_loops; i++) {
		writel(i, reg);
		if (readl(reg) != i)
			atomic64_inc(&zmt->bad);
	}
	if (atomic_dec_and_test(&s->left))
		complete(&s->done);
	return 0;
}

/* Every CPU hammers the same page: every access reaches a callback. */
static int zmt_case_smp(void __iomem *b)
{
	struct zmt_smp s = { .base = b };
	struct task_struct *thread;
	s64 reads, writes, want;
	unsigned int cpus = 0;
	int cpu, n = 0;
	bool ok;

	init_completion(&s.start);
	init_completion(&s.done);
	for_each_online_cpu(cpu)
		cpus++;
	atomic_set(&s.left, cpus);
	reads = atomic64_read(&zmt->reads);
	writes = atomic64_read(&zmt->writes);
	for_each_online_cpu(cpu) {
		thread = kthread_create_on_cpu(zmt_smp_thread, &s, cpu,
					       "zmt_smp/%u");
		if (IS_ERR(thread)) {
			pr_err("zmt: no thread on CPU %d\n", cpu);
			atomic_sub(cpus - n, &s.left);
			if (!atomic_read(&s.left))
				complete(&s.done);
			break;
		}
		wake_up_process(thread);
		n++;
	}
	complete_all(&s.start);
	wait_for_completion(&s.done);

	want = (s64)smp_loops * cpus;
	reads = atomic64_read(&zmt->reads) - reads;
	writes = atomic64_read(&zmt->writes) - writes;
	pr_info("zmt: smp: %u CPUs x %u loops: %lld reads, %lld writes\n",
		cpus, smp_loops, reads, writes);
	ok = zmt_check(n == cpus, "%d of %u threads ran", n, cpus);
	ok &= zmt_check(reads == want && writes == want,
			"lost accesses: %lld reads, %lld writes, want %lld",
			reads, writes, want);
	ok &= zmt_check(!atomic64_read(&zmt->bad), "%lld reads returned another value",
			atomic64_read(&zmt->bad));
	return ok ? 0 : -EIO;
}

/* The page after the region is not registered: plain memory, no callback. */
static int zmt_case_unregistered(void __iomem *b)
{
	s64 calls = atomic64_read(&zmt->reads) + atomic64_read(&zmt->writes);
	void __iomem *plain;
	void *mem;
	bool ok;

	plain = ioremap(phys + ZMT_SIZE, PAGE_SIZE);
	if (!plain)
		return -ENOMEM;
	writel(0x13572468, plain + 0x80);
	ok = zmt_check(readl(plain + 0x80) == 0x13572468, "readl");
	iounmap(plain);

	mem = memremap(phys + ZMT_SIZE, PAGE_SIZE, MEMREMAP_WB);
	ok &= zmt_check(mem && *(u32 *)(mem + 0x80) == 0x13572468,
			"the write did not reach memory");
	if (mem)
		memunmap(mem);
	ok &= zmt_check(calls == atomic64_read(&zmt->reads) +
			atomic64_read(&zmt->writes), "a callback ran");
	return ok ? 0 : -EIO;
}

/* Unregistered under a live mapping: all ones, writes dropped, no oops. */
static int zmt_case_live_unregister(void __iomem *b)
{
	s64 calls;
	bool ok;

	writel(0x12345678, b);
	mmio_emul_unregister(&zmt->region);
	calls = atomic64_read(&zmt->reads) + atomic64_read(&zmt->writes);
	ok = zmt_check(readl(b) == 0xffffffff, "readl");
	ok &= zmt_check(readq(b) == ~0ULL, "readq");
	ok &= zmt_check(readb(b) == 0xff, "readb");
	writel(0, b);
	ok &= zmt_check(calls == atomic64_read(&zmt->reads) +
			atomic64_read(&zmt->writes), "a callback ran");
	iounmap(b);

	/* The range can be registered and mapped again. */
	b = zmt_setup();
	if (!b)
		return -EIO;
	writel(0x87654321, b);
	ok &= zmt_saw(0, 4, 0x87654321, true);
	zmt_teardown(b);
	return ok ? 0 : -EIO;
}

/* An instruction the decoder cannot classify: a warning, no effect. */
static int zmt_case_unsupported(void __iomem *b)
{
	s64 calls;
	u32 v = 5;
	bool ok;

	writel(0x100, b);
	calls = atomic64_read(&zmt->reads) + atomic64_read(&zmt->writes);
	asm volatile("lock xaddl %0, %1"
		     : "+r" (v), "+m" (*(u32 __force *)b) : : "memory");
	ok = zmt_check(v == 5, "xadd changed its register: %u", v);
	ok &= zmt_check(calls == atomic64_read(&zmt->reads) +
			atomic64_read(&zmt->writes), "a callback ran");
	ok &= zmt_check(readl(b) == 0x100, "the register changed");
	return ok ? 0 : -EIO;
}

/* Did the last callback run with interrupts disabled? */
static bool zmt_last_irqs_off(void)
{
	unsigned long flags;
	bool off;

	spin_lock_irqsave(&zmt->lock, flags);
	off = zmt->last.irqs_off;
	spin_unlock_irqrestore(&zmt->lock, flags);
	return off;
}

/*
 * The callbacks run with interrupts as the access had them: a forwarded
 * access that waits for its answer does not hold them off needlessly.
 */
static int zmt_case_interrupts(void __iomem *b)
{
	unsigned long flags;
	u8 buf[64] = {};
	bool ok, off;

	readl(b);
	ok = zmt_check(!zmt_last_irqs_off(), "a read with interrupts on ran with them off");
	writel(1, b);
	ok &= zmt_check(!zmt_last_irqs_off(), "a write with interrupts on ran with them off");
	memcpy_fromio(buf, b, sizeof(buf));
	ok &= zmt_check(!zmt_last_irqs_off(), "memcpy_fromio() ran with interrupts off");
	local_irq_save(flags);
	readl(b);
	off = zmt_last_irqs_off();
	local_irq_restore(flags);
	ok &= zmt_check(off, "a read with interrupts off ran with them on");
	return ok ? 0 : -EIO;
}

/*
 * REP MOVS and STOS over a device that takes ZMT_SLOW_US per access: no
 * fault emulates the whole string.  Each leaves the instruction once it
 * has spent 100 us, and the CPU runs it again, so that every element but
 * the last ends a fault; the strings still move what they must.
 */
static int zmt_case_string_restarts(void __iomem *b)
{
	long before = atomic_long_read(&zmt->region.restarts);
	u64 src[ZMT_SLOW_ELEMENTS], dst[ZMT_SLOW_ELEMENTS] = {};
	const u64 *s = src;
	void __iomem *d = b;
	long n, restarts;
	u64 *to = dst;
	bool ok;
	int i;

	for (i = 0; i < ZMT_SLOW_ELEMENTS; i++)
		src[i] = 0x5107000000000000ULL | i;
	WRITE_ONCE(zmt->slow, true);
	n = ZMT_SLOW_ELEMENTS;
	asm volatile("rep movsq" : "+D" (d), "+S" (s), "+c" (n) : : "memory");
	ok = zmt_check(!n && !memcmp(zmt->regs, src, sizeof(src)),
		       "rep movsq to the slow device");
	s = (const u64 __force *)b;
	n = ZMT_SLOW_ELEMENTS;
	asm volatile("rep movsq" : "+D" (to), "+S" (s), "+c" (n) : : "memory");
	ok &= zmt_check(!n && !memcmp(dst, src, sizeof(src)),
			"rep movsq from the slow device");
	d = b;
	n = ZMT_SLOW_ELEMENTS;
	asm volatile("rep stosq" : "+D" (d), "+c" (n) : "a" (0UL) : "memory");
	ok &= zmt_check(!n && !memchr_inv(zmt->regs, 0, sizeof(src)),
			"rep stosq to the slow device");
	WRITE_ONCE(zmt->slow, false);
	restarts = atomic_long_read(&zmt->region.restarts) - before;
	ok &= zmt_check(restarts >= 3 * (ZMT_SLOW_ELEMENTS - 1),
			"%ld restarts of 3 strings of %d slow elements, expected %d",
			restarts, ZMT_SLOW_ELEMENTS,
			3 * (ZMT_SLOW_ELEMENTS - 1));
	return ok ? 0 : -EIO;
}

/**
 * struct zmt_case - a case and whether it maps the region itself
 * @name: debugfs file
 * @run: the case, given the mapped region
 * @owns_mapping: @run unmaps and unregisters by itself
 */
struct zmt_case {
	const char *name;
	int (*run)(void __iomem *base);
	bool owns_mapping;
};

static const struct zmt_case zmt_cases[] = {
	{ "accessors", zmt_case_accessors },
	{ "smp", zmt_case_smp },
	{ "unregistered", zmt_case_unregistered },
	{ "live_unregister", zmt_case_live_unregister, true },
	{ "unsupported", zmt_case_unsupported },
	{ "interrupts", zmt_case_interrupts },
	{ "string_restarts", zmt_case_string_restarts },
};

static ssize_t zmt_case_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	const struct zmt_case *c = file->private_data;
	void __iomem *base;
	int ret;

	mutex_lock(&zmt_mutex);
	base = zmt_setup();
	if (!base) {
		ret = -EIO;
		goto out_unlock;
	}
	ret = c->run(base);
	if (!c->owns_mapping)
		zmt_teardown(base);
	pr_info("zmt: %s: %s\n", c->name, ret ? "FAIL" : "pass");
out_unlock:
	mutex_unlock(&zmt_mutex);
	return ret ? ret : count;
}

static const struct file_operations zmt_case_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = zmt_case_write,
	.llseek = noop_llseek,
};

/* "hold": 1 keeps the region registered and mapped, 0 releases it. */
static void __iomem *zmt_held;

static ssize_t zmt_hold_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	bool hold;
	int ret;

	ret = kstrtobool_from_user(buf, count, &hold);
	if (ret)
		return ret;
	mutex_lock(&zmt_mutex);
	if (hold && !zmt_held) {
		zmt_held = zmt_setup();
		ret = zmt_held ? 0 : -EIO;
	} else if (!hold && zmt_held) {
		zmt_teardown(zmt_held);
		zmt_held = NULL;
	}
	mutex_unlock(&zmt_mutex);
	return ret ? ret : count;
}

static const struct file_operations zmt_hold_fops = {
	.owner = THIS_MODULE,
	.write = zmt_hold_write,
	.llseek = noop_llseek,
};

/* Nanoseconds taken by ZMT_BENCH_LOOPS readl() at @addr. */
static u64 zmt_bench_readl(void __iomem *addr)
{
	u64 t = ktime_get_ns();
	int i;

	for (i = 0; i < ZMT_BENCH_LOOPS; i++)
		readl(addr);
	return ktime_get_ns() - t;
}

static void zmt_bench_print(struct seq_file *s, const char *what, u64 ns)
{
	u64 centi = ns * 100 / ZMT_BENCH_LOOPS;

	seq_printf(s, "%s_readl_ns: %llu.%02llu\n", what, centi / 100, centi % 100);
}

/*
 * "bench": readl() through an emulated region, of plain memory mapped the
 * same way, and, with dev_phys, of a real device register; each over
 * ZMT_BENCH_LOOPS reads, back to back.
 */
static int zmt_bench_show(struct seq_file *s, void *unused)
{
	void __iomem *base, *plain, *dev = NULL;
	u64 emul = 0, mem = 0, reg = 0;

	mutex_lock(&zmt_mutex);
	base = zmt_setup();
	plain = ioremap(phys + ZMT_SIZE, PAGE_SIZE);
	if (dev_phys)
		dev = ioremap(dev_phys, sizeof(u32));
	if (base && plain) {
		emul = zmt_bench_readl(base);
		mem = zmt_bench_readl(plain);
		if (dev)
			reg = zmt_bench_readl(dev);
		zmt_bench_print(s, "emulated", emul);
		zmt_bench_print(s, "plain", mem);
		if (dev)
			zmt_bench_print(s, "device", reg);
		seq_printf(s, "emulated_vs_plain: %llu\n", emul / max(mem, 1ULL));
		if (dev)
			seq_printf(s, "emulated_vs_device: %llu\n",
				   emul / max(reg, 1ULL));
	}
	if (dev)
		iounmap(dev);
	if (plain)
		iounmap(plain);
	if (base)
		zmt_teardown(base);
	mutex_unlock(&zmt_mutex);
	return base && plain ? 0 : -EIO;
}
DEFINE_SHOW_ATTRIBUTE(zmt_bench);

static int __init zmt_init(void)
{
	int i;

	if (!phys || !PAGE_ALIGNED(phys)) {
		pr_err("zmt: phys=ADDR of 3 reserved pages is required\n");
		return -EINVAL;
	}
	zmt = kzalloc(sizeof(*zmt), GFP_KERNEL);
	if (!zmt)
		return -ENOMEM;
	spin_lock_init(&zmt->lock);

	zmt_dir = debugfs_create_dir("zoc_mmio_emul_test", NULL);
	for (i = 0; i < ARRAY_SIZE(zmt_cases); i++)
		debugfs_create_file(zmt_cases[i].name, 0200, zmt_dir,
				    (void *)&zmt_cases[i], &zmt_case_fops);
	debugfs_create_file("hold", 0200, zmt_dir, NULL, &zmt_hold_fops);
	debugfs_create_file("bench", 0400, zmt_dir, NULL, &zmt_bench_fops);
	return 0;
}

static void __exit zmt_exit(void)
{
	debugfs_remove_recursive(zmt_dir);
	if (zmt_held)
		zmt_teardown(zmt_held);
	kfree(zmt);
}

module_init(zmt_init);
module_exit(zmt_exit);
MODULE_DESCRIPTION("Test module of x86 emulated MMIO regions");
MODULE_LICENSE("GPL");
