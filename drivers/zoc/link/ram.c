// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC link: the host's RAM map.
 *
 * The host lists its System RAM in the link area (&struct zoc_link_ram_map)
 * before it publishes an epoch.  The service VM copies the list once for
 * each host epoch it attaches to, checks it, and lets device models reach
 * host memory through the L0 window only inside it: on bare metal the
 * window is backed by host RAM alone, and an access anywhere else makes
 * the service VM's VMM stop it, with every device of the host.
 *
 * The copy is written under the link's receiving lock and read in any
 * context, under its sequence count.
 */

#include <linux/mm.h>

#include "link.h"

/* An empty copy of the map; the receiving lock is initialised. */
void zoc_link_ram_init(struct zoc_link *link)
{
	seqcount_spinlock_init(&link->ram.seq, &link->rx_lock);
	link->ram.count = 0;
}

/*
 * Service VM: copy the host's map, for a host epoch we attach to, reading
 * each field once.  A map out of order or not page aligned leaves no RAM
 * at all.  The receiving lock is held.  Returns 0, or -EINVAL.
 */
int zoc_link_ram_load(struct zoc_link *link)
{
	struct zoc_link_ram_map *map = (void *)link->area + ZOC_LINK_RAM_MAP;
	struct zoc_link_ram *ram = &link->ram;
	u32 count = le32_to_cpu(READ_ONCE(map->count));
	u64 start, end, prev = 0;
	int ret = 0;
	u32 i;

	write_seqcount_begin(&ram->seq);
	if (count > ZOC_LINK_RAM_RANGES) {
		ret = -EINVAL;
		count = 0;
	}
	for (i = 0; i < count; i++) {
		start = le64_to_cpu(READ_ONCE(map->range[i].start));
		end = le64_to_cpu(READ_ONCE(map->range[i].end));
		if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(end) ||
		    start >= end || (i && start <= prev)) {
			ret = -EINVAL;
			count = 0;
			break;
		}
		ram->range[i].start = start;
		ram->range[i].end = end;
		prev = end;
	}
	ram->count = count;
	write_seqcount_end(&ram->seq);
	return ret;
}

/**
 * zoc_link_in_ram - whether a range of host memory is all host RAM
 * @link: the service VM's end of the link
 * @addr: host physical address
 * @len: bytes, not zero
 *
 * Context: any.
 * Return: true if [@addr, @addr + @len) lies inside one range of the map
 * of the host epoch the link is attached to.
 */
bool zoc_link_in_ram(struct zoc_link *link, u64 addr, u64 len)
{
	struct zoc_link_ram *ram = &link->ram;
	const struct zoc_link_ram_span *r;
	u32 lo, hi, mid;
	unsigned int seq;
	bool in;

	do {
		seq = read_seqcount_begin(&ram->seq);
		/* the last range that starts at or below @addr */
		lo = 0;
		hi = min_t(u32, READ_ONCE(ram->count), ZOC_LINK_RAM_RANGES);
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (ram->range[mid].start <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		r = lo ? &ram->range[lo - 1] : NULL;
		in = r && len && addr < r->end && len <= r->end - addr;
	} while (read_seqcount_retry(&ram->seq, seq));
	return in;
}
EXPORT_SYMBOL_GPL(zoc_link_in_ram);
