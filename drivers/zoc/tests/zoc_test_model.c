// SPDX-License-Identifier: GPL-2.0
/*
 * Test device model of the ZOC I/O proxy (type ZOC_TEST_DEV), for the bus
 * selftests.  BAR0 (16 KiB):
 *
 * 0x0000-0x0fff  a register file of 512 64-bit registers (forwarded)
 * 0x1000-0x100f  4 doorbells: writing doorbell i copies the value into
 *                shadow register i and raises MSI-X vector i % 2
 * 0x1800-0x180f  4 shadow registers (read from the register shadow)
 * 0x2000, 0x3000 MSI-X table and PBA (2 vectors), served by the host's bus
 *
 * A device made with the backend "live" outlives its service VM: its first
 * ZTM_LIVE_REGS registers are its state, committed to its live record at
 * each write, saved when the module lets go of it, and taken over by the
 * next model or service VM.  The others have no state: letting go of one
 * (the module unloaded, the proxy gone) tears it down with nothing saved,
 * and the host removes it when no service VM can take it over.
 */

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/zoc_link.h>

#include "../guest/zoc_proxy.h"
#include "../link/test_wire.h"

#define ZTM_REGS	512
#define ZTM_DOORBELLS	4
#define ZTM_VECTORS	2
#define ZTM_LIVE_REGS	64
#define ZTM_LIVE	"live"

/**
 * struct ztm - one test device
 * @lock: protects @regs against concurrent requests
 * @live: it keeps a live record, and can be let go of
 * @regs: the register file
 */
struct ztm {
	/* requests come in interrupt context */
	spinlock_t lock;
	bool live;
	u64 regs[ZTM_REGS];
};

/* A live device's state, committed: the caller serializes. */
static void ztm_commit(struct zoc_pdev *pdev)
{
	struct ztm *t = pdev->priv;

	if (t->live)
		zoc_proxy_live_commit(pdev, t->regs, ZTM_LIVE_REGS * 8);
}

static u64 ztm_read(struct zoc_pdev *pdev, u64 offset, unsigned int size)
{
	struct ztm *t = pdev->priv;
	unsigned long flags;
	u64 val = ~0ULL;

	spin_lock_irqsave(&t->lock, flags);
	if (size == 8 && offset % 8 == 0 && offset / 8 < ZTM_REGS)
		val = t->regs[offset / 8];
	spin_unlock_irqrestore(&t->lock, flags);
	return val;
}

static void ztm_write(struct zoc_pdev *pdev, u64 offset, unsigned int size,
		      u64 val)
{
	struct ztm *t = pdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&t->lock, flags);
	if (size == 8 && offset % 8 == 0 && offset / 8 < ZTM_REGS)
		t->regs[offset / 8] = val;
	ztm_commit(pdev);
	spin_unlock_irqrestore(&t->lock, flags);
}

static void ztm_doorbell(struct zoc_pdev *pdev, unsigned int index, u32 val)
{
	__le32 v = cpu_to_le32(val);

	zoc_proxy_shadow_write(pdev, index * 4, &v, sizeof(v));
	zoc_proxy_irq(pdev, index % ZTM_VECTORS);
}

static int ztm_new(struct zoc_pdev *pdev,
		   const struct zoc_proxy_params *params)
{
	struct zoc_dev_image *img = &pdev->image;
	struct ztm *t;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	spin_lock_init(&t->lock);
	t->live = !strcmp(params->backend, ZTM_LIVE);
	pdev->priv = t;
	/* QEMU's PCI test device IDs: no driver binds to them. */
	img->vendor = cpu_to_le16(0x1b36);
	img->device = cpu_to_le16(0x0005);
	img->class = cpu_to_le32(0xff0000 << 8);
	img->bar_shift = 14;
	img->msix_vectors = cpu_to_le16(ZTM_VECTORS);
	img->msix_table = cpu_to_le32(0x2000);
	img->msix_pba = cpu_to_le32(0x3000);
	img->nr_regions = 2;
	img->region[0].offset = cpu_to_le32(0x1000);
	img->region[0].size = cpu_to_le32(ZTM_DOORBELLS * 4);
	img->region[0].policy = ZOC_REGION_DOORBELL;
	img->region[1].offset = cpu_to_le32(0x1800);
	img->region[1].size = cpu_to_le32(ZTM_DOORBELLS * 4);
	img->region[1].policy = ZOC_REGION_SHADOW;
	return 0;
}

static int ztm_create(struct zoc_pdev *pdev,
		      const struct zoc_proxy_params *params)
{
	int ret = ztm_new(pdev, params);

	if (!ret)
		ztm_commit(pdev);
	return ret;
}

static void ztm_destroy(struct zoc_pdev *pdev)
{
	kfree(pdev->priv);
}

/* Its state: the live registers.  Only a live device has any. */
static int ztm_detach(struct zoc_pdev *pdev, void *state, size_t len)
{
	struct ztm *t = pdev->priv;
	int ret = -EOPNOTSUPP;

	if (t->live && len >= ZTM_LIVE_REGS * 8) {
		memcpy(state, t->regs, ZTM_LIVE_REGS * 8);
		ret = ZTM_LIVE_REGS * 8;
	}
	ztm_destroy(pdev);
	return ret;
}

static int ztm_attach(struct zoc_pdev *pdev,
		      const struct zoc_proxy_params *params,
		      const void *state, size_t len)
{
	struct ztm *t;
	int ret;

	if (strcmp(params->backend, ZTM_LIVE) || len != ZTM_LIVE_REGS * 8)
		return -EINVAL;
	ret = ztm_new(pdev, params);
	if (ret)
		return ret;
	t = pdev->priv;
	memcpy(t->regs, state, len);
	return 0;
}

/* Taken over: its record is ours from now on. */
static void ztm_resume(struct zoc_pdev *pdev)
{
	struct ztm *t = pdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&t->lock, flags);
	ztm_commit(pdev);
	spin_unlock_irqrestore(&t->lock, flags);
}

static int ztm_recover(struct zoc_pdev *pdev,
		       const struct zoc_proxy_params *params,
		       const void *state, size_t len, const void *track)
{
	return ztm_attach(pdev, params, state, len);
}

static struct zoc_proxy_model ztm_model = {
	.type = ZOC_TEST_DEV,
	.name = "test",
	.owner = THIS_MODULE,
	.create = ztm_create,
	.destroy = ztm_destroy,
	.mmio_read = ztm_read,
	.mmio_write = ztm_write,
	.doorbell = ztm_doorbell,
	.detach = ztm_detach,
	.attach = ztm_attach,
	.recover = ztm_recover,
	.resume = ztm_resume,
};

static int __init ztm_init(void)
{
	return zoc_proxy_register_model(&ztm_model);
}

static void __exit ztm_exit(void)
{
	zoc_proxy_unregister_model(&ztm_model);
}

module_init(ztm_init);
module_exit(ztm_exit);
MODULE_DESCRIPTION("Test device model of the ZOC I/O proxy");
MODULE_LICENSE("GPL");
