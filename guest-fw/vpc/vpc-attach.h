/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zoc-vpc-load: the programs on the devices (vpc-attach.c).
 */
#ifndef _ZOC_VPC_ATTACH_H
#define _ZOC_VPC_ATTACH_H

/**
 * struct vpc_vnic_progs - the programs of a representor
 * @xdp: zoc_vpc_vnic, for the frames that come as pages
 * @skb: zoc_vpc_vnic_skb, on the tc ingress, for those that come as skbs
 */
struct vpc_vnic_progs {
	int xdp;
	int skb;
};

int vpc_attach_xdp(int ifindex, const char *name, int prog_fd,
		   const char *prog);
int vpc_attach_vnic(int ifindex, const char *name,
		    const struct vpc_vnic_progs *progs);
void vpc_detach_vnic(int ifindex, const struct vpc_vnic_progs *progs);
void vpc_detach_any(int ifindex);
int vpc_link_up(const char *name);

#endif
