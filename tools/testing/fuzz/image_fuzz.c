// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the device images a service VM publishes, as the host
 * checks them and then serves BAR accesses and configuration space from
 * them (drivers/zoc/host/image.h), built with AddressSanitizer and
 * UndefinedBehaviorSanitizer.
 *
 * The input is the type the host asked for, then the image, then a
 * script of BAR accesses (a 32-bit offset and a size each).  An image the
 * check takes is then used as the bus uses it: its vendor capabilities go
 * into a configuration space of exactly ZOC_BUS_CFG_SIZE bytes, and
 * accesses at every region's and the MSI-X structures' edges, and the
 * script's, are looked up and served from a shadow, doorbells and an
 * MSI-X table each in a buffer of exactly its size.  Invariants: nothing
 * outside those buffers is touched; an access falls in at most one of the
 * image's ranges; the capability list is a chain of in-bounds, aligned,
 * increasing pointers holding the image's capabilities byte for byte.
 *
 * Each access is also put to the service VM's check of what the host
 * forwards (drivers/zoc/guest/mmio_check.h): it must take exactly the
 * accesses the bus forwards that share no byte with a range the bus
 * serves, and every doorbell the bus sets must be one the service VM
 * takes.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "mmio_check.h"

static const unsigned int sizes[] = { 1, 2, 4, 8 };
static u64 sink;	/* what reads return: kept, not optimized out */

/* Every buffer an access may reach, each of exactly its size. */
struct bus {
	const struct zoc_dev_image *img;
	u8 *shadow;
	__le32 *db;
	u8 *msix;
	u64 bar;
};

/* How many of the image's ranges hold the access whole. */
static unsigned int ranges_holding(const struct zoc_dev_image *img, u64 off,
				   unsigned int size)
{
	u16 vectors = le16_to_cpu(img->msix_vectors);
	unsigned int i, n = 0;

	if (vectors) {
		n += zoc_range_in(off, size, le32_to_cpu(img->msix_table),
				  vectors * PCI_MSIX_ENTRY_SIZE);
		n += zoc_range_in(off, size, le32_to_cpu(img->msix_pba), 8);
	}
	for (i = 0; i < img->nr_regions; i++)
		n += zoc_range_in(off, size, le32_to_cpu(img->region[i].offset),
				  le32_to_cpu(img->region[i].size));
	return n;
}

/* Whether byte @at is in a range the bus serves, one byte at a time. */
static bool served_byte(const struct zoc_dev_image *img, u64 at)
{
	u16 vectors = le16_to_cpu(img->msix_vectors);
	unsigned int i;

	if (vectors &&
	    (zoc_range_in(at, 1, le32_to_cpu(img->msix_table),
			  vectors * PCI_MSIX_ENTRY_SIZE) ||
	     zoc_range_in(at, 1, le32_to_cpu(img->msix_pba), 8)))
		return true;
	for (i = 0; i < img->nr_regions; i++)
		if (img->region[i].policy != ZOC_REGION_FORWARD &&
		    zoc_range_in(at, 1, le32_to_cpu(img->region[i].offset),
				 le32_to_cpu(img->region[i].size)))
			return true;
	return false;
}

/*
 * The service VM's check of the access, @forwarded or not by the bus: it
 * takes it if and only if the bus forwards it and none of its bytes is
 * one the bus serves.
 */
static void guest_check(const struct zoc_dev_image *img, u64 off,
			unsigned int size, bool forwarded)
{
	bool served = false;
	unsigned int i;

	for (i = 0; i < size; i++)
		served |= served_byte(img, off + i);
	if (zoc_mmio_ok(img, off, size) != (forwarded && !served))
		abort();
}

/* One BAR access, served as host/bar.c serves it. */
static void bar_access(struct bus *b, u64 off, unsigned int size)
{
	const struct zoc_dev_image *img = b->img;
	const struct zoc_dev_region *r;
	u64 val = 0;
	int db;

	/* the emulation hands over accesses inside BAR0 only */
	if (off >= b->bar || size > b->bar - off)
		return;
	if (ranges_holding(img, off, size) > 1)
		abort();
	r = zoc_image_region(img, off, size);
	guest_check(img, off, size, !zoc_image_is_msix(img, off, size) &&
		    (!r || r->policy == ZOC_REGION_FORWARD));
	if (zoc_image_is_msix(img, off, size)) {
		if (zoc_range_in(off, size, le32_to_cpu(img->msix_pba), 8))
			return;
		memcpy(&val, b->msix + (off - le32_to_cpu(img->msix_table)),
		       size);
		WRITE_ONCE(sink, val);
		return;
	}
	r = zoc_image_region(img, off, size);
	if (!r || r->policy == ZOC_REGION_FORWARD)
		return;
	if (r->policy == ZOC_REGION_SHADOW) {
		memcpy(&val, b->shadow + zoc_image_shadow(r, off), size);
		WRITE_ONCE(sink, val);
		return;
	}
	db = zoc_image_doorbell(r, off, size);
	if (db >= (int)zoc_mmio_doorbells(img))
		abort();
	if (db >= 0)
		b->db[db] = cpu_to_le32(size);
}

/* The accesses around [@start, @start + @len): every size, at each edge. */
static void edges(struct bus *b, u64 start, u64 len)
{
	u64 at[] = { start, start + len };
	unsigned int i, s;
	int d;

	for (i = 0; i < 2; i++)
		for (d = -8; d <= 8; d++)
			for (s = 0; s < 4; s++)
				if (d >= 0 || at[i] >= (u64)-d)
					bar_access(b, at[i] + d, sizes[s]);
}

/* The list from PCI_CAPABILITY_LIST: MSI-X if any, then the image's own. */
static void check_cfg(const struct zoc_dev_image *img)
{
	unsigned int off = 0, n = 0;
	u8 *cfg = calloc(1, ZOC_BUS_CFG_SIZE);
	u8 pos, prev = 0;

	if (!cfg)
		abort();
	if (img->msix_vectors) {
		cfg[ZOC_BUS_MSIX_CAP + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSIX;
		zoc_cfg_link_cap(cfg, ZOC_BUS_MSIX_CAP);
	}
	zoc_image_vendor_caps(img, cfg);
	for (pos = cfg[PCI_CAPABILITY_LIST]; pos; pos = cfg[pos + PCI_CAP_LIST_NEXT]) {
		if (pos < PCI_STD_HEADER_SIZEOF || pos % 4 || pos <= prev ||
		    pos > ZOC_BUS_CFG_SIZE - 2 || ++n > 48)
			abort();
		prev = pos;
		if (pos == ZOC_BUS_MSIX_CAP && img->msix_vectors)
			continue;
		/* the image's next capability, its bytes past the list link */
		if (off >= img->caps_len ||
		    pos + img->caps[off + 2] > ZOC_BUS_CFG_SIZE ||
		    cfg[pos] != img->caps[off] ||
		    memcmp(cfg + pos + 2, img->caps + off + 2,
			   img->caps[off + 2] - 2))
			abort();
		off += img->caps[off + 2];
	}
	if (off != img->caps_len)
		abort();
	free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zoc_dev_image *img;
	struct bus b;
	unsigned int i;
	u8 type;

	if (size < 1 + sizeof(*img))
		return 0;
	type = data[0];
	/* the host's copy, of exactly an image's size */
	img = malloc(sizeof(*img));
	if (!img)
		abort();
	memcpy(img, data + 1, sizeof(*img));
	data += 1 + sizeof(*img);
	size -= 1 + sizeof(*img);
	if (zoc_image_check(img, type)) {
		free(img);
		return 0;
	}

	check_cfg(img);
	b.img = img;
	b.bar = BIT_ULL(img->bar_shift);
	b.shadow = malloc(ZOC_DEV_SHADOW_SIZE);
	b.db = calloc(ZOC_DEV_DOORBELLS, sizeof(*b.db));
	b.msix = calloc(ZOC_BUS_VECTORS, PCI_MSIX_ENTRY_SIZE);
	if (!b.shadow || !b.db || !b.msix)
		abort();
	memset(b.shadow, 0, ZOC_DEV_SHADOW_SIZE);
	if (img->msix_vectors) {
		edges(&b, le32_to_cpu(img->msix_table),
		      le16_to_cpu(img->msix_vectors) * PCI_MSIX_ENTRY_SIZE);
		edges(&b, le32_to_cpu(img->msix_pba), 8);
	}
	for (i = 0; i < img->nr_regions; i++)
		edges(&b, le32_to_cpu(img->region[i].offset),
		      le32_to_cpu(img->region[i].size));
	for (; size >= 5; data += 5, size -= 5)
		bar_access(&b, (u64)data[0] << 24 | data[1] << 16 | data[2] << 8 |
		       data[3], sizes[data[4] % 4]);
	free(b.msix);
	free(b.db);
	free(b.shadow);
	free(img);
	return 0;
}
