/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the VPC datapath's session states, drop reasons and events, as
 * the loader's configuration and zoc-vpc's output spell them.
 */
#ifndef _ZOC_VPC_NAMES_H
#define _ZOC_VPC_NAMES_H

#include <linux/zoc_vpc.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char * const vpc_state_names[ZOC_VPC_CT_MAX] = {
	[ZOC_VPC_CT_NONE] = "none",
	[ZOC_VPC_CT_SYN_SENT] = "tcp_syn_sent",
	[ZOC_VPC_CT_SYN_RECV] = "tcp_syn_recv",
	[ZOC_VPC_CT_ESTABLISHED] = "tcp_established",
	[ZOC_VPC_CT_FIN_WAIT] = "tcp_fin_wait",
	[ZOC_VPC_CT_TIME_WAIT] = "tcp_time_wait",
	[ZOC_VPC_CT_CLOSE] = "tcp_close",
	[ZOC_VPC_CT_UDP] = "udp",
	[ZOC_VPC_CT_UDP_REPLIED] = "udp_replied",
	[ZOC_VPC_CT_ICMP] = "icmp",
	[ZOC_VPC_CT_ICMP_REPLIED] = "icmp_replied",
};

static const char * const vpc_drop_names[ZOC_VPC_DROP_MAX] = {
	[ZOC_VPC_DROP_TRUNCATED] = "truncated",
	[ZOC_VPC_DROP_BAD_IP] = "bad_ip",
	[ZOC_VPC_DROP_IP_OPTIONS] = "ip_options",
	[ZOC_VPC_DROP_FRAGMENT] = "fragment",
	[ZOC_VPC_DROP_L3_PROTO] = "l3_proto",
	[ZOC_VPC_DROP_L4_PROTO] = "l4_proto",
	[ZOC_VPC_DROP_TTL] = "ttl",
	[ZOC_VPC_DROP_SPOOF] = "spoof",
	[ZOC_VPC_DROP_BROADCAST] = "broadcast",
	[ZOC_VPC_DROP_NO_VNIC] = "no_vnic",
	[ZOC_VPC_DROP_UNKNOWN_VNI] = "unknown_vni",
	[ZOC_VPC_DROP_NO_ROUTE] = "no_route",
	[ZOC_VPC_DROP_BLACKHOLE] = "blackhole",
	[ZOC_VPC_DROP_NOT_LOCAL] = "not_local",
	[ZOC_VPC_DROP_SG] = "sg",
	[ZOC_VPC_DROP_CT_INVALID] = "ct_invalid",
	[ZOC_VPC_DROP_ARP] = "arp",
	[ZOC_VPC_DROP_BAD_TUNNEL] = "bad_tunnel",
	[ZOC_VPC_DROP_UNDERLAY] = "underlay",
	[ZOC_VPC_DROP_MTU] = "mtu",
	[ZOC_VPC_DROP_HEADROOM] = "headroom",
	[ZOC_VPC_DROP_NO_PORT] = "no_port",
	[ZOC_VPC_DROP_CT_FULL] = "ct_full",
	[ZOC_VPC_DROP_CT_QUOTA] = "ct_quota",
};

static const char * const vpc_event_names[ZOC_VPC_EV_MAX] = {
	[ZOC_VPC_EV_ENCAP] = "encap",
	[ZOC_VPC_EV_DECAP] = "decap",
	[ZOC_VPC_EV_LOCAL] = "local",
	[ZOC_VPC_EV_ARP_REPLY] = "arp_reply",
	[ZOC_VPC_EV_CT_NEW] = "ct_new",
	[ZOC_VPC_EV_CT_HIT] = "ct_hit",
	[ZOC_VPC_EV_CT_EXPIRED] = "ct_expired",
	[ZOC_VPC_EV_CT_RELATED] = "ct_related",
	[ZOC_VPC_EV_PASS] = "pass",
	[ZOC_VPC_EV_CT_EVICTED] = "ct_evicted",
	[ZOC_VPC_EV_CT_PICKUP] = "ct_pickup",
	[ZOC_VPC_EV_CT_SWEPT] = "ct_swept",
	[ZOC_VPC_EV_GSO] = "gso",
	[ZOC_VPC_EV_FRAG_NEEDED] = "frag_needed",
};

#endif /* _ZOC_VPC_NAMES_H */
