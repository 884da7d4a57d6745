// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC virtual PCI bus: its functions' DMA.
 *
 * The functions are behind no IOMMU: the service VM's L0 window shows all
 * of host RAM, and a DMA address is the host physical address.  The bus
 * still gives each function DMA operations of its own, for one reason: a
 * function whose model the service VM did not acknowledge as destroyed
 * (it stopped beating, or did not answer in time) may still be written or
 * read by that model, after its stock driver freed its queues and
 * completed its requests with an error.  From the moment such a function
 * is declared gone, what its driver frees (coherent memory: queues, vring,
 * PRP lists, doorbell buffers) and what it unmaps (request buffers) is
 * held: the coherent pages are not freed, the request pages keep a
 * reference.  Nothing held goes back to the page allocator until the
 * service VM answers that the model is destroyed (a DEV_DESTROY or a
 * DEV_CREATE in the slot); a bus that goes away first keeps them for
 * good.
 *
 * A reference holds only a page that is freed when its last reference
 * goes.  A buffer in a slab object (freed objects are reused inside their
 * slab page), in a reserved page, or in a page that has no reference count
 * of its own (a tail page of a high-order allocation that is not compound,
 * as blk-mq's request data, where virtio-blk keeps its request headers and
 * status bytes) is bounced: the function sees a copy in pages of the bus's
 * own, copied back when it is unmapped, and held like coherent memory.
 * These are a driver's small buffers; data pages are never bounced.
 *
 * What a reference cannot stop: the owner of a request page (a process
 * whose O_DIRECT read failed, the page cache) may use it again.  The
 * fence also sets the gone word of the function's device page: the models
 * begin no copy to or from host memory once it is set, and count the
 * copies under way, which the host reads after setting it.  Only a copy
 * that was under way when the service VM stopped can still land; the host
 * says so when it fences.  See bus.rst.
 */

#include <linux/dma-map-ops.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/ioport.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include "zoc_host.h"
#include "bus.h"

/**
 * struct zoc_dma_held - pages a fenced function let go of
 * @node: in &zoc_vfn.dma_held
 * @order: coherent memory: the order of the allocation at @page
 * @nr: request buffers: the folios in @folios, one reference each (one
 *	per page of the buffer); 0 for coherent memory
 * @page: coherent memory: its first page
 * @folios: request buffers: the folios of their pages
 */
struct zoc_dma_held {
	struct list_head node;
	unsigned int order;
	unsigned int nr;
	union {
		struct page *page;
		DECLARE_FLEX_ARRAY(struct folio *, folios);
	};
};

/**
 * struct zoc_dma_bounce - a buffer its function sees in pages of the bus
 * @orig: where the buffer is
 * @size: its length
 * @addr: where the function sees it: in @page, at @orig's offset in a page
 * @page: the bounce pages
 * @order: their order
 */
struct zoc_dma_bounce {
	phys_addr_t orig;
	size_t size;
	dma_addr_t addr;
	struct page *page;
	unsigned int order;
};

static struct zoc_vfn *zoc_dma_fn(struct device *dev)
{
	struct pci_dev *pdev = to_pci_dev(dev);

	return &zoc_bus_of(pdev->bus)->fn[PCI_SLOT(pdev->devfn)];
}

static unsigned long zoc_dma_held_size(const struct zoc_dma_held *h)
{
	return h->nr ?: 1UL << h->order;
}

static void zoc_dma_give_back(struct zoc_dma_held *h)
{
	unsigned int i;

	if (!h->nr)
		__free_pages(h->page, h->order);
	for (i = 0; i < h->nr; i++)
		folio_put(h->folios[i]);
	kfree(h);
}

/*
 * Keep @h, unless the function's fence was lifted meanwhile: then give it
 * back.  Any context.
 */
static void zoc_dma_hold(struct zoc_vfn *fn, struct zoc_dma_held *h)
{
	unsigned long flags;
	bool fenced;

	raw_spin_lock_irqsave(&fn->dma_lock, flags);
	fenced = fn->dma_fenced;
	if (fenced) {
		list_add_tail(&h->node, &fn->dma_held);
		fn->dma_held_pages += zoc_dma_held_size(h);
	}
	raw_spin_unlock_irqrestore(&fn->dma_lock, flags);
	if (!fenced)
		zoc_dma_give_back(h);
}

/*
 * A reference on the folio of @page, as GUP takes it: none if the page is
 * free, or no longer in the folio it was in.
 */
static struct folio *zoc_dma_get_folio(struct page *page)
{
	struct folio *folio = page_folio(page);

	if (!folio_try_get(folio))
		return NULL;
	if (unlikely(page_folio(page) != folio)) {
		folio_put(folio);
		return NULL;
	}
	return folio;
}

/*
 * A request buffer a fenced function unmapped: a reference on the folio
 * of each of its pages.  Without memory for the record, the references
 * are kept for good.
 */
static void zoc_dma_hold_range(struct zoc_vfn *fn, dma_addr_t addr,
			       size_t size)
{
	unsigned long pfn = PHYS_PFN(addr), end = PFN_UP(addr + size);
	struct zoc_dma_held *h;
	struct folio *folio;
	unsigned int nr = 0;

	if (!size || end <= pfn)
		return;
	h = kmalloc(struct_size(h, folios, end - pfn),
		    GFP_ATOMIC | __GFP_NOWARN);
	for (; pfn < end; pfn++) {
		if (!pfn_valid(pfn))
			continue;
		folio = zoc_dma_get_folio(pfn_to_page(pfn));
		if (!folio)
			continue;
		if (h)
			h->folios[nr] = folio;
		nr++;
	}
	if (!h) {
		atomic64_add(nr, &fn->bus->dma_leaked);
		return;
	}
	if (!nr) {
		kfree(h);
		return;
	}
	h->order = 0;
	h->nr = nr;
	zoc_dma_hold(fn, h);
}

/* Coherent memory a fenced function freed: not freed.  Any context. */
static void zoc_dma_hold_pages(struct zoc_vfn *fn, struct page *page,
			       unsigned int order)
{
	struct zoc_dma_held *h;

	h = kmalloc(sizeof(*h), GFP_ATOMIC | __GFP_NOWARN);
	if (!h) {
		atomic64_add(1UL << order, &fn->bus->dma_leaked);
		return;
	}
	h->page = page;
	h->order = order;
	h->nr = 0;
	zoc_dma_hold(fn, h);
}

/* --- bounce pages ---------------------------------------------------------- */

/*
 * Can a reference on its pages keep the buffer of @size bytes at @phys
 * from being used again while held?  Not if they are slab or reserved
 * pages, or pages without a reference count of their own.
 */
static bool zoc_dma_holdable(phys_addr_t phys, size_t size)
{
	unsigned long pfn = PHYS_PFN(phys), end = PFN_UP(phys + size);
	struct page *page;

	for (; pfn < end; pfn++) {
		if (!pfn_valid(pfn))
			continue;
		page = pfn_to_page(pfn);
		if (PageSlab(page) || PageReserved(page) || !page_count(page))
			return false;
	}
	return true;
}

/* Copy between the buffer and its bounce pages, @len bytes from @off. */
static void zoc_dma_bounce_copy(const struct zoc_dma_bounce *b, size_t off,
				size_t len, bool to_bounce)
{
	void *orig = phys_to_virt(b->orig + off);
	void *bounce = phys_to_virt(b->addr + off);

	if (off >= b->size)
		return;
	len = min(len, b->size - off);
	if (to_bounce)
		memcpy(bounce, orig, len);
	else
		memcpy(orig, bounce, len);
}

/* Pages of the bounce @b, by the page frame numbers the function sees. */
static void zoc_dma_bounce_span(const struct zoc_dma_bounce *b,
				unsigned long *first, unsigned long *end)
{
	*first = PHYS_PFN(b->addr);
	*end = PFN_UP(b->addr + b->size);
}

static void zoc_dma_bounce_free(struct zoc_dma_bounce *b)
{
	__free_pages(b->page, b->order);
	kfree(b);
}

/*
 * Bounce the buffer of @size bytes at @phys for @dev's function: its copy
 * in pages below @mask, filled whatever @dir, as swiotlb does (the pages
 * must not show stale memory).  Any context.
 * Return: where the function sees it, or DMA_MAPPING_ERROR.
 */
static dma_addr_t zoc_dma_bounce_map(struct zoc_vfn *fn, phys_addr_t phys,
				     size_t size, u64 mask)
{
	gfp_t gfp = GFP_ATOMIC | __GFP_NOWARN | __GFP_COMP;
	unsigned long first, pfn, end, flags;
	struct zoc_dma_bounce *b;
	void *old = NULL;

	b = kmalloc(sizeof(*b), GFP_ATOMIC | __GFP_NOWARN);
	if (!b)
		return DMA_MAPPING_ERROR;
	b->orig = phys;
	b->size = size;
	b->order = get_order(offset_in_page(phys) + size);
	b->page = alloc_pages(gfp, b->order);
	if (b->page && page_to_phys(b->page) + offset_in_page(phys) + size - 1 >
		       mask) {
		__free_pages(b->page, b->order);
		b->page = alloc_pages(gfp | GFP_DMA32, b->order);
	}
	if (!b->page) {
		kfree(b);
		return DMA_MAPPING_ERROR;
	}
	b->addr = page_to_phys(b->page) + offset_in_page(phys);
	zoc_dma_bounce_copy(b, 0, size, true);

	zoc_dma_bounce_span(b, &first, &end);
	xa_lock_irqsave(&fn->dma_bounce, flags);
	for (pfn = first; pfn < end && !xa_is_err(old); pfn++)
		old = __xa_store(&fn->dma_bounce, pfn, b, GFP_ATOMIC);
	if (xa_is_err(old)) {
		for (pfn = first; pfn < end; pfn++)
			__xa_erase(&fn->dma_bounce, pfn);
	}
	xa_unlock_irqrestore(&fn->dma_bounce, flags);
	if (xa_is_err(old)) {
		zoc_dma_bounce_free(b);
		return DMA_MAPPING_ERROR;
	}
	atomic64_inc(&fn->bus->dma_bounced);
	return b->addr;
}

/* The bounce that @addr of @fn is in, or NULL.  Any context. */
static struct zoc_dma_bounce *zoc_dma_bounce_find(struct zoc_vfn *fn,
						  dma_addr_t addr)
{
	if (xa_empty(&fn->dma_bounce))
		return NULL;
	return xa_load(&fn->dma_bounce, PHYS_PFN(addr));
}

/*
 * The driver unmapped @b: copy it back, then free its pages, or hold them
 * if @fn is fenced.  Any context.
 */
static void zoc_dma_bounce_unmap(struct zoc_vfn *fn, struct zoc_dma_bounce *b,
				 enum dma_data_direction dir)
{
	unsigned long pfn, end, flags;

	zoc_dma_bounce_span(b, &pfn, &end);
	xa_lock_irqsave(&fn->dma_bounce, flags);
	for (; pfn < end; pfn++)
		__xa_erase(&fn->dma_bounce, pfn);
	xa_unlock_irqrestore(&fn->dma_bounce, flags);
	if (dir != DMA_TO_DEVICE)
		zoc_dma_bounce_copy(b, 0, b->size, false);
	if (unlikely(READ_ONCE(fn->dma_fenced))) {
		zoc_dma_hold_pages(fn, b->page, b->order);
		kfree(b);
	} else {
		zoc_dma_bounce_free(b);
	}
}

/* --- the operations ------------------------------------------------------- */

static int zoc_ram_end(struct resource *res, void *arg)
{
	u64 *end = arg;

	*end = max_t(u64, *end, res->end + 1);
	return 0;
}

/**
 * zoc_host_ram_end - where host RAM ends
 *
 * Return: the address past the last byte of system RAM.
 */
u64 zoc_host_ram_end(void)
{
	u64 end = 0;

	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM, 0, -1,
			    &end, zoc_ram_end);
	return end;
}

/*
 * The host's RAM map for the service VM, as the window shows RAM: whole
 * pages of System RAM.
 */
struct zoc_ram_walk {
	struct zoc_link_ram_map *map;
	u32 count;
	bool full;
};

static int zoc_ram_map_add(struct resource *res, void *arg)
{
	struct zoc_ram_walk *w = arg;
	struct zoc_link_ram_range *last;
	u64 start = ALIGN(res->start, PAGE_SIZE);
	u64 end = ALIGN_DOWN(res->end + 1, PAGE_SIZE);

	if (start >= end)
		return 0;
	/*
	 * The walk visits children too (kernel code, data): fold what
	 * touches the last range in at once, so that they take no slot.
	 */
	last = w->count ? &w->map->range[w->count - 1] : NULL;
	if (last && start >= le64_to_cpu(last->start) &&
	    start <= le64_to_cpu(last->end)) {
		if (end > le64_to_cpu(last->end))
			last->end = cpu_to_le64(end);
		return 0;
	}
	if (w->count == ZOC_LINK_RAM_RANGES) {
		w->full = true;
		return 0;
	}
	w->map->range[w->count].start = cpu_to_le64(start);
	w->map->range[w->count].end = cpu_to_le64(end);
	w->count++;
	return 0;
}

static int zoc_ram_range_cmp(const void *a, const void *b)
{
	u64 x = le64_to_cpu(((const struct zoc_link_ram_range *)a)->start);
	u64 y = le64_to_cpu(((const struct zoc_link_ram_range *)b)->start);

	return x < y ? -1 : x > y;
}

/**
 * zoc_host_ram_map - write the host's RAM map
 * @map: the link area's, as &struct zoc_link_ram_map documents it
 *
 * Ranges past ZOC_LINK_RAM_RANGES are left out, with a warning: device
 * models cannot reach them.  The map is complete, and ordered before what
 * the caller writes next, when this returns.
 */
void zoc_host_ram_map(struct zoc_link_ram_map *map)
{
	struct zoc_ram_walk w = { .map = map };
	struct zoc_link_ram_range *r = map->range;
	u32 i, n = 0;

	memset(map, 0, sizeof(*map));
	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM, 0, -1,
			    &w, zoc_ram_map_add);
	sort(r, w.count, sizeof(*r), zoc_ram_range_cmp, NULL);
	for (i = 0; i < w.count; i++) {
		if (n && le64_to_cpu(r[i].start) <= le64_to_cpu(r[n - 1].end)) {
			if (le64_to_cpu(r[i].end) > le64_to_cpu(r[n - 1].end))
				r[n - 1].end = r[i].end;
			continue;
		}
		r[n++] = r[i];
	}
	memset(&r[n], 0, (ZOC_LINK_RAM_RANGES - n) * sizeof(*r));
	map->count = cpu_to_le32(n);
	if (w.full)
		pr_warn("zoc: more than %u ranges of RAM: device models reach the first %u only\n",
			ZOC_LINK_RAM_RANGES, ZOC_LINK_RAM_RANGES);
	/* The map before the epoch; pairs with the service VM's virt_rmb(). */
	virt_wmb();
}

/* The mask that covers all of RAM: the window shows no more. */
static u64 zoc_dma_required_mask(struct device *dev)
{
	return DMA_BIT_MASK(fls64(zoc_host_ram_end() - 1) ?: 1);
}

/*
 * Any mask from 32 bits up, as the DMA API requires: a buffer beyond it
 * fails to map (nothing bounces), coherent memory is allocated below it.
 */
static int zoc_dma_supported(struct device *dev, u64 mask)
{
	return mask >= DMA_BIT_MASK(32);
}

static struct page *zoc_dma_alloc_pages(struct device *dev, size_t size,
					dma_addr_t *handle,
					enum dma_data_direction dir, gfp_t gfp)
{
	unsigned int order = get_order(size);
	struct page *page;

	if (dev->coherent_dma_mask < zoc_dma_required_mask(dev))
		gfp |= GFP_DMA32;
	page = alloc_pages_node(dev_to_node(dev), gfp | __GFP_ZERO, order);
	if (!page)
		return NULL;
	if (page_to_phys(page) + size - 1 > dev->coherent_dma_mask) {
		__free_pages(page, order);
		return NULL;
	}
	*handle = page_to_phys(page);
	return page;
}

static void zoc_dma_free_pages(struct device *dev, size_t size,
			       struct page *page, dma_addr_t handle,
			       enum dma_data_direction dir)
{
	struct zoc_vfn *fn = zoc_dma_fn(dev);

	if (unlikely(READ_ONCE(fn->dma_fenced)))
		zoc_dma_hold_pages(fn, page, get_order(size));
	else
		__free_pages(page, get_order(size));
}

static void *zoc_dma_alloc(struct device *dev, size_t size,
			   dma_addr_t *handle, gfp_t gfp, unsigned long attrs)
{
	struct page *page;

	if (attrs & DMA_ATTR_NO_WARN)
		gfp |= __GFP_NOWARN;
	page = zoc_dma_alloc_pages(dev, size, handle, DMA_BIDIRECTIONAL, gfp);
	return page ? page_address(page) : NULL;
}

static void zoc_dma_free(struct device *dev, size_t size, void *vaddr,
			 dma_addr_t handle, unsigned long attrs)
{
	zoc_dma_free_pages(dev, size, virt_to_page(vaddr), handle,
			   DMA_BIDIRECTIONAL);
}

static dma_addr_t zoc_dma_map_page(struct device *dev, struct page *page,
				   unsigned long offset, size_t size,
				   enum dma_data_direction dir,
				   unsigned long attrs)
{
	phys_addr_t phys = page_to_phys(page) + offset;

	if (!size)
		return DMA_MAPPING_ERROR;
	if (!zoc_dma_holdable(phys, size))
		return zoc_dma_bounce_map(zoc_dma_fn(dev), phys, size,
					  dma_get_mask(dev));
	if (unlikely(phys + size - 1 > dma_get_mask(dev)))
		return DMA_MAPPING_ERROR;
	return phys;
}

static void zoc_dma_unmap_page(struct device *dev, dma_addr_t addr,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	struct zoc_vfn *fn = zoc_dma_fn(dev);
	struct zoc_dma_bounce *b = zoc_dma_bounce_find(fn, addr);

	if (b)
		zoc_dma_bounce_unmap(fn, b, dir);
	else if (unlikely(READ_ONCE(fn->dma_fenced)))
		zoc_dma_hold_range(fn, addr, size);
}

static void zoc_dma_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
					size_t size,
					enum dma_data_direction dir)
{
	struct zoc_dma_bounce *b = zoc_dma_bounce_find(zoc_dma_fn(dev), addr);

	if (b && dir != DMA_TO_DEVICE)
		zoc_dma_bounce_copy(b, addr - b->addr, size, false);
}

static void zoc_dma_sync_single_for_device(struct device *dev,
					   dma_addr_t addr, size_t size,
					   enum dma_data_direction dir)
{
	struct zoc_dma_bounce *b = zoc_dma_bounce_find(zoc_dma_fn(dev), addr);

	if (b && dir != DMA_FROM_DEVICE)
		zoc_dma_bounce_copy(b, addr - b->addr, size, true);
}

static void zoc_dma_unmap_sg(struct device *dev, struct scatterlist *sgl,
			     int nents, enum dma_data_direction dir,
			     unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i)
		zoc_dma_unmap_page(dev, sg_dma_address(sg), sg_dma_len(sg),
				   dir, attrs);
}

static int zoc_dma_map_sg(struct device *dev, struct scatterlist *sgl,
			  int nents, enum dma_data_direction dir,
			  unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		sg_dma_address(sg) = zoc_dma_map_page(dev, sg_page(sg),
						      sg->offset, sg->length,
						      dir, attrs);
		if (sg_dma_address(sg) == DMA_MAPPING_ERROR) {
			zoc_dma_unmap_sg(dev, sgl, i, dir, attrs);
			return -EIO;
		}
		sg_dma_len(sg) = sg->length;
	}
	return nents;
}

static void zoc_dma_sync_sg(struct device *dev, struct scatterlist *sgl,
			    int nents, enum dma_data_direction dir,
			    bool for_device)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		if (for_device)
			zoc_dma_sync_single_for_device(dev, sg_dma_address(sg),
						       sg_dma_len(sg), dir);
		else
			zoc_dma_sync_single_for_cpu(dev, sg_dma_address(sg),
						    sg_dma_len(sg), dir);
	}
}

static void zoc_dma_sync_sg_for_cpu(struct device *dev,
				    struct scatterlist *sgl, int nents,
				    enum dma_data_direction dir)
{
	zoc_dma_sync_sg(dev, sgl, nents, dir, false);
}

static void zoc_dma_sync_sg_for_device(struct device *dev,
				       struct scatterlist *sgl, int nents,
				       enum dma_data_direction dir)
{
	zoc_dma_sync_sg(dev, sgl, nents, dir, true);
}

/*
 * Cache-coherent, no IOMMU, bounce pages only for what a reference cannot
 * hold: only what the window and the fence need.  The rest of the DMA API
 * needs nothing more here.
 */
static const struct dma_map_ops zoc_dma_ops = {
	.alloc = zoc_dma_alloc,
	.free = zoc_dma_free,
	.alloc_pages = zoc_dma_alloc_pages,
	.free_pages = zoc_dma_free_pages,
	.map_page = zoc_dma_map_page,
	.unmap_page = zoc_dma_unmap_page,
	.map_sg = zoc_dma_map_sg,
	.unmap_sg = zoc_dma_unmap_sg,
	.sync_single_for_cpu = zoc_dma_sync_single_for_cpu,
	.sync_single_for_device = zoc_dma_sync_single_for_device,
	.sync_sg_for_cpu = zoc_dma_sync_sg_for_cpu,
	.sync_sg_for_device = zoc_dma_sync_sg_for_device,
	.dma_supported = zoc_dma_supported,
	.get_required_mask = zoc_dma_required_mask,
};

/* --- the fence ------------------------------------------------------------ */

void zoc_vfn_dma_init(struct zoc_vfn *fn)
{
	raw_spin_lock_init(&fn->dma_lock);
	INIT_LIST_HEAD(&fn->dma_held);
	xa_init_flags(&fn->dma_bounce, XA_FLAGS_LOCK_IRQ);
}

/* The bus goes away: its functions' drivers have unmapped everything. */
void zoc_vfn_dma_exit(struct zoc_vfn *fn)
{
	WARN_ON_ONCE(!xa_empty(&fn->dma_bounce));
	xa_destroy(&fn->dma_bounce);
}

/* Before @pdev's driver binds: its DMA goes through the bus. */
void zoc_vfn_dma_setup(struct zoc_vfn *fn, struct pci_dev *pdev)
{
	set_dma_ops(&pdev->dev, &zoc_dma_ops);
}

/*
 * @fn's model may go on with DMA that its driver no longer expects: tell
 * the service VM to stop it (the device page's gone word), and hold what
 * the driver lets go of from now on.  Call before the function reads as
 * gone, so that its driver cannot free anything first.  Any context.
 */
void zoc_vfn_dma_fence(struct zoc_vfn *fn)
{
	unsigned long flags;
	bool first;

	WRITE_ONCE(fn->page->gone, cpu_to_le32(1));
	/* @gone before @copying is read; pairs with zoc_proxy_dma_begin(). */
	virt_mb();
	raw_spin_lock_irqsave(&fn->dma_lock, flags);
	first = !fn->dma_fenced;
	WRITE_ONCE(fn->dma_fenced, true);
	raw_spin_unlock_irqrestore(&fn->dma_lock, flags);
	if (!first)
		return;
	dev_warn(&fn->bus->bridge->dev,
		 "slot %u: its model may still run: its DMA pages are held\n",
		 fn->slot);
	if (READ_ONCE(fn->page->copying))
		dev_warn(&fn->bus->bridge->dev,
			 "slot %u: its model was copying to or from host memory: that copy may still land\n",
			 fn->slot);
}

/*
 * Lift @fn's fence: what is held goes back to the page allocator, or with
 * @keep stays allocated for good.  Process context.
 */
static void zoc_vfn_dma_unfence(struct zoc_vfn *fn, bool keep)
{
	struct zoc_dma_held *h, *tmp;
	unsigned long pages;
	LIST_HEAD(held);

	raw_spin_lock_irq(&fn->dma_lock);
	WRITE_ONCE(fn->dma_fenced, false);
	list_splice_init(&fn->dma_held, &held);
	pages = fn->dma_held_pages;
	fn->dma_held_pages = 0;
	raw_spin_unlock_irq(&fn->dma_lock);

	list_for_each_entry_safe(h, tmp, &held, node) {
		if (keep)
			kfree(h);
		else
			zoc_dma_give_back(h);
	}
	if (!pages)
		return;
	atomic64_add(pages, keep ? &fn->bus->dma_leaked :
				   &fn->bus->dma_released);
	dev_info(&fn->bus->bridge->dev, "slot %u: %lu DMA pages %s\n",
		 fn->slot, pages, keep ?
		 "kept for good: its model never acknowledged" :
		 "given back: its model is destroyed");
}

/*
 * The service VM acknowledged that @fn's model is destroyed: give back
 * what was held.  Process context.
 */
void zoc_vfn_dma_release(struct zoc_vfn *fn)
{
	zoc_vfn_dma_unfence(fn, false);
}

/*
 * The bus goes away and @fn's model never acknowledged: keep what is held
 * for good, as its model may still write it.  Process context.
 */
void zoc_vfn_dma_leak(struct zoc_vfn *fn)
{
	zoc_vfn_dma_unfence(fn, true);
}

static int zoc_bus_dma_show(struct seq_file *s, void *unused)
{
	struct zoc_bus *b = s->private;
	unsigned long held = 0;
	unsigned int slot;

	for (slot = 0; slot < ZOC_BUS_SLOTS; slot++) {
		raw_spin_lock_irq(&b->fn[slot].dma_lock);
		held += b->fn[slot].dma_held_pages;
		raw_spin_unlock_irq(&b->fn[slot].dma_lock);
	}
	seq_printf(s, "held_pages: %lu\n", held);
	seq_printf(s, "released_pages: %lld\n",
		   atomic64_read(&b->dma_released));
	seq_printf(s, "leaked_pages: %lld\n", atomic64_read(&b->dma_leaked));
	seq_printf(s, "bounced_maps: %lld\n", atomic64_read(&b->dma_bounced));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(zoc_bus_dma);

void zoc_bus_dma_debugfs(struct zoc_bus *b, struct dentry *dir)
{
	b->dma_debugfs = debugfs_create_file("dma", 0444, dir, b,
					     &zoc_bus_dma_fops);
}
