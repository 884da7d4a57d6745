/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zoc-vpc-load: the underlay neighbours of the remote VTEPs (vpc-neigh.c).
 */
#ifndef _ZOC_VPC_NEIGH_H
#define _ZOC_VPC_NEIGH_H

#include <linux/types.h>

void vpc_prime_vteps(__be32 *vteps, unsigned int n);

#endif
