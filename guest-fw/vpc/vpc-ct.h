/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VPC session tables, as the loader and zoc-vpc map them (vpc-ct.c).
 */
#ifndef _ZOC_VPC_CT_H
#define _ZOC_VPC_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/zoc_vpc.h>

/**
 * struct vpc_ct_table - a session table, mapped
 * @sets: its sets
 * @nr_sets: how many, as the map says
 * @fd: the map
 */
struct vpc_ct_table {
	struct zoc_vpc_ct_set *sets;
	__u32 nr_sets;
	int fd;
};

/**
 * struct vpc_ct_moved - what the drain of a table into another did
 * @moved: live sessions written into the new table
 * @expired: expired sessions freed
 * @replaced: sessions the datapath had opened again in the new table
 * @lost: live sessions the new table had no room for
 * @updated: moved sessions a packet updated in the old table after the
 *	copy, updated in the new one too
 */
struct vpc_ct_moved {
	unsigned long moved;
	unsigned long expired;
	unsigned long replaced;
	unsigned long lost;
	unsigned long updated;
};

int vpc_ct_new(__u32 nr_sets, struct vpc_ct_table *t);
int vpc_ct_open(int sessions, __u32 slot, int prot, struct vpc_ct_table *t);
void vpc_ct_close(struct vpc_ct_table *t);
bool vpc_ct_claim(struct zoc_vpc_ct_entry *e, __u32 *seq);
void vpc_ct_free(struct zoc_vpc_ct_entry *e, __u32 seq, __u64 *held);
int vpc_ct_grow(int config, int sessions, int held_fd, __u32 nr_sets,
		long long quota, struct vpc_ct_moved *st);
__u64 *vpc_ct_map_held(int fd);
void vpc_ct_unmap_held(__u64 *held);

#endif
