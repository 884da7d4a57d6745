/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The session table in use, for the VPC datapath's tests and benchmarks:
 * the sessions map is an array of two tables, the configuration says
 * which one new sessions go into and the size of each.
 */
#ifndef _VPC_TABLES_H
#define _VPC_TABLES_H

#include <stdint.h>
#include <bpf/bpf.h>
#include <linux/zoc_vpc.h>

/* Sets of the table in use. */
static inline uint32_t vpc_table_sets(const struct zoc_vpc_config *cfg)
{
	return cfg->ct_sets[cfg->ct_table & 1];
}

/*
 * A new descriptor of the table in use, as @cfg (read from the config
 * map @config) names it in the sessions map @sessions; -1 on error.
 */
static inline int vpc_table_fd(int sessions, int config,
			       struct zoc_vpc_config *cfg)
{
	uint32_t zero = 0, slot, id;

	if (bpf_map_lookup_elem(config, &zero, cfg))
		return -1;
	slot = cfg->ct_table & 1;
	if (bpf_map_lookup_elem(sessions, &slot, &id))
		return -1;
	return bpf_map_get_fd_by_id(id);
}

#endif
