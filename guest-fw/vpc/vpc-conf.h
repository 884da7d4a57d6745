/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zoc-vpc-load: its configuration, as vpc-conf.c reads it.
 */
#ifndef _ZOC_VPC_CONF_H
#define _ZOC_VPC_CONF_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <linux/zoc_vpc.h>

#define VPC_MAX_VPCS		256

/**
 * struct vpc_vnic_conf - a vnic directive
 * @name: representor name
 * @ifindex: its ifindex
 * @vnic: the map value
 */
struct vpc_vnic_conf {
	char name[IF_NAMESIZE];
	unsigned int ifindex;
	struct zoc_vpc_vnic vnic;
};

/**
 * struct vpc_vpc_conf - a vpc directive: a VPC whose vNICs may be added
 * @vni: its VNI
 * @subnet: its subnet, the only addresses its vNICs may have
 * @plen: the subnet's prefix length, which its vNICs must have too
 * @gateway: the gateway address of its vNICs
 * @gateway_mac: the MAC address answered for @gateway
 * @group: the sg name whose rules its vNICs that are no member get, or
 *	"": none, all new sessions denied
 */
struct vpc_vpc_conf {
	__u32 vni;
	__be32 subnet;
	unsigned int plen;
	__be32 gateway;
	__u8 gateway_mac[6];
	char group[IF_NAMESIZE];
};

/**
 * struct vpc_member_conf - a member directive: a vNIC the provider knows
 * @vni: its VPC
 * @addr: its address, which no other vNIC of the VPC may have
 * @mac: its MAC
 * @group: the sg name whose rules it gets
 */
struct vpc_member_conf {
	__u32 vni;
	__be32 addr;
	__u8 mac[6];
	char group[IF_NAMESIZE];
};

/**
 * struct vpc_route_conf - a route directive
 * @key: the map key
 * @route: the map value
 * @vnic: for vNIC routes, the representor name (resolved after parsing)
 */
struct vpc_route_conf {
	struct zoc_vpc_route_key key;
	struct zoc_vpc_route route;
	char vnic[IF_NAMESIZE];
};

/**
 * struct vpc_sg_conf - the sg directives of one representor or group
 * @name: a vnic directive's representor, or a group of members or of a
 *	vpc directive
 * @sg: its rules, by direction (ZOC_VPC_SG_*)
 */
struct vpc_sg_conf {
	char name[IF_NAMESIZE];
	struct zoc_vpc_sg sg[2];
};

/**
 * struct vpc_conf - the parsed configuration
 * @path: the file, for messages
 * @line: the line being parsed, for messages
 * @errors: directives that failed
 * @pin: pin directory
 * @uplink: uplink name
 * @config: the config map value
 * @sessions: session table size
 * @session_memory: percent of the memory the table may grow to, or 0
 * @quota_set: a session_quota directive set config.ct_quota
 * @vpcs: vpc directives
 * @nr_vpcs: how many
 * @vnics: vnic directives
 * @nr_vnics: how many
 * @routes: route directives
 * @nr_routes: how many
 * @members: member directives
 * @nr_members: how many
 * @sgs: sg directives, by representor or group
 * @nr_sgs: how many representors and groups have some
 */
struct vpc_conf {
	const char *path;
	unsigned int line;
	unsigned int errors;
	char pin[PATH_MAX];
	char uplink[IF_NAMESIZE];
	struct zoc_vpc_config config;
	unsigned int sessions;
	unsigned int session_memory;
	bool quota_set;
	struct vpc_vpc_conf vpcs[VPC_MAX_VPCS];
	unsigned int nr_vpcs;
	struct vpc_vnic_conf vnics[ZOC_VPC_MAX_VNICS];
	unsigned int nr_vnics;
	struct vpc_route_conf *routes;
	unsigned int nr_routes;
	struct vpc_member_conf *members;
	unsigned int nr_members;
	struct vpc_sg_conf sgs[ZOC_VPC_MAX_VNICS];
	unsigned int nr_sgs;
};

bool vpc_parse_uint(const char *s, unsigned long max, unsigned long *val);
bool vpc_parse_dec(const char *s, unsigned long max, unsigned long *val);
bool vpc_parse_mac(const char *s, __u8 *mac);
bool vpc_mac_unicast(const __u8 *mac);
bool vpc_parse_addr_len(const char *s, __be32 *addr, unsigned int *plen);
bool vpc_is_host(__be32 subnet, unsigned int plen, __be32 addr);
struct vpc_vpc_conf *vpc_find_vpc(struct vpc_conf *conf, __u32 vni);
struct vpc_sg_conf *vpc_find_sg(struct vpc_conf *conf, const char *name);
const struct vpc_member_conf *vpc_find_member(const struct vpc_conf *conf,
					      __u32 vni, __be32 addr);
int vpc_conf_parse(struct vpc_conf *conf, FILE *f, const char *path);
int vpc_conf_read(struct vpc_conf *conf, const char *path);
void vpc_conf_size(struct vpc_conf *conf);
void vpc_conf_free(struct vpc_conf *conf);
int vpc_conf_resolve(struct vpc_conf *conf);

#endif
