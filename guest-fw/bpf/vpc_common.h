/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zoc_vpc: what the datapath's parts share: protocol constants, the
 * packet summary, the maps, the counters and the small helpers.  Included
 * by zoc_vpc.bpf.c only, as its other headers; one object.
 */
#ifndef _ZOC_VPC_COMMON_H
#define _ZOC_VPC_COMMON_H

/*
 * UAPI headers, not vmlinux.h: without CO-RE relocations the programs load
 * on a service VM kernel built without BTF.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/zoc_vpc.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_ALEN		6
#define ETH_P_IP		0x0800
#define ETH_P_ARP		0x0806
#define ETH_P_TEB		0x6558	/* Ethernet inside Geneve */
#define AF_INET			2
#define ARPHRD_ETHER		1
#define ARPOP_REQUEST		1
#define ARPOP_REPLY		2
#define IP_MF			0x2000
#define IP_OFFSET		0x1fff
#define IP_DF			0x4000
#define ICMP_ECHOREPLY		0
#define ICMP_DEST_UNREACH	3
#define ICMP_FRAG_NEEDED	4
#define ICMP_ECHO		8
#define ICMP_TIME_EXCEEDED	11
#define ICMP_PARAMETERPROB	12
#define TCPF_FIN		0x01
#define TCPF_SYN		0x02
#define TCPF_RST		0x04
#define TCPF_ACK		0x10

#define VXLAN_FLAGS		0x08000000	/* the I flag: the VNI is valid */
#define GENEVE_VER_MASK		0xc0
#define GENEVE_OPT_MASK		0x3f
#define GENEVE_OAM		0x80
#define GENEVE_CRITICAL		0x40
#define OUTER_TTL		64
#define OUTER_SPORT_MIN		49152	/* RFC 7348: the dynamic port range */

#define VPC_OK			(-1)	/* verdict: go on */
#define VPC_NEW			(-2)	/* verdict: a new session, ask the SG */
#define VPC_PICKUP		(-3)	/* verdict: take a TCP connection up */

#define VPC_PICKUP_SENDER	1
#define VPC_PICKUP_RECEIVER	2
#define VPC_NO_SLOT		(~0U)

/*
 * A 16-bit length field in host order, for pointer arithmetic.  The
 * verifier of Linux 6.1 does not bound the result of a byte swap: the
 * mask, kept by the barrier, bounds it.
 */
static __always_inline __u32 vpc_len16(__be16 field)
{
	__u32 len = bpf_ntohs(field);

	barrier_var(len);
	return len & 0xffff;
}

struct vpc_vxlan {
	__be32 flags;
	__be32 vni;		/* VNI << 8 */
};

struct vpc_geneve {
	__u8 ver_opt;		/* version (2 bits), options length (6 bits) */
	__u8 flags;		/* O, C, reserved */
	__be16 proto;
	__be32 vni;		/* VNI << 8 */
};

/* An Ethernet/IPv4 ARP packet; the addresses are not 32-bit aligned. */
struct vpc_arp {
	__be16 hrd;
	__be16 pro;
	__u8 hln;
	__u8 pln;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__u8 sip[4];
	__u8 tha[ETH_ALEN];
	__u8 tip[4];
};

/* An ICMP "destination unreachable" header (linux/icmp.h needs libc's) */
struct vpc_icmp {
	__u8 type;
	__u8 code;
	__u16 checksum;
	__be16 unused;
	__be16 mtu;
};

#define VPC_ENCAP_LEN	(sizeof(struct ethhdr) + sizeof(struct iphdr) + \
			 sizeof(struct udphdr) + sizeof(struct vpc_vxlan))

/**
 * struct vpc_pkt - what the parser found in an IPv4 packet
 * @key: the session the packet belongs to (for an ICMP error, the session
 *	of the packet it quotes)
 * @saddr: source address
 * @daddr: destination address
 * @sport: source port, host order (TCP, UDP), for a picked up session
 * @dport: destination port, host order (TCP, UDP), for security groups
 * @len: frame length (a GSO frame's whole length)
 * @proto: IP protocol
 * @tcp_flags: TCP flags byte
 * @icmp_type: ICMP type
 * @tos: IPv4 TOS, copied to the outer header
 * @ttl: IPv4 TTL
 * @dir: 0 if the packet goes from endpoint 0 to endpoint 1 of @key
 * @related: ICMP error quoting a packet of @key
 * @pickup: for a session taken up mid-stream, VPC_PICKUP_SENDER if the
 *	sender of the packet counts as its opener, VPC_PICKUP_RECEIVER if
 *	the receiver does; else zero
 */
struct vpc_pkt {
	struct zoc_vpc_ct_key key;
	__be32 saddr;
	__be32 daddr;
	__be32 quoted_daddr;	/* of the packet an ICMP error quotes */
	__u32 len;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 tos;
	__u8 ttl;
	__u8 dir;
	__u8 related;
	__u8 pickup;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zoc_vpc_config);
} zoc_vpc_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ZOC_VPC_MAX_VNICS);
	__type(key, __u32);
	__type(value, struct zoc_vpc_vnic);
} zoc_vpc_vnics SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ZOC_VPC_MAX_ROUTES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct zoc_vpc_route_key);
	__type(value, struct zoc_vpc_route);
} zoc_vpc_routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZOC_VPC_MAX_VNICS * 2);
	__type(key, __u32);
	__type(value, struct zoc_vpc_sg);
} zoc_vpc_sg SEC(".maps");

/*
 * A session table: sets of ZOC_VPC_CT_WAYS sessions, 128 bytes each.
 * Mmapable arrays are page aligned, so a set is two cache lines, never
 * three.  The loader makes the tables, of the size it wants
 * (BPF_F_INNER_MAP: the size is not part of the type).
 */
struct zoc_vpc_ct_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	/* sizes, not types: the loader's tables carry no BTF */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct zoc_vpc_ct_set));
};

/*
 * The session tables, by slot: zoc_vpc_config.ct_table is the one in use;
 * while the table grows, the other holds the old one, drained by the
 * loader.  A session is looked up in both, created in the one in use.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, ZOC_VPC_CT_TABLES);
	__type(key, __u32);
	__array(values, struct zoc_vpc_ct_table);
} zoc_vpc_sessions SEC(".maps");

/*
 * Sessions each vNIC holds in the table, by slot (zoc_vpc_config.ct_quota);
 * mmapable, for zoc-vpc flush to give them back: 64-bit values, as an
 * array lays its values out 8 bytes apart.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ZOC_VPC_MAX_VNICS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} zoc_vpc_ct_held SEC(".maps");

/**
 * struct vpc_sweep - the background sweep of the session table
 * @timer: fires every VPC_SWEEP_TICK_NS
 * @next: the set to sweep next
 * @reserved: zero
 */
struct vpc_sweep {
	struct bpf_timer timer;
	__u32 next;
	__u32 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vpc_sweep);
} zoc_vpc_sweep_state SEC(".maps");

/* Underlay next hops of remote VTEPs, per CPU, by a hash of the address. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZOC_VPC_NH_SLOTS);
	__type(key, __u32);
	__type(value, struct zoc_vpc_nexthop);
} zoc_vpc_nexthops SEC(".maps");

/* Output devices: the representors and the uplink, by ifindex. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, ZOC_VPC_MAX_VNICS + 16);
	__type(key, __u32);
	__type(value, __u32);
} zoc_vpc_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZOC_VPC_MAX_VNICS);
	__type(key, __u32);
	__type(value, struct zoc_vpc_vnic_stats);
} zoc_vpc_vnic_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZOC_VPC_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} zoc_vpc_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZOC_VPC_EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
} zoc_vpc_events SEC(".maps");

/**
 * struct vpc_icmp_bucket - a CPU's token bucket of ICMP errors
 * @stamp: when tokens were last added, ns
 * @tokens: errors that may go now
 */
struct vpc_icmp_bucket {
	__u64 stamp;
	__u64 tokens;
};

/* ICMP errors to each vNIC, by slot, per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZOC_VPC_MAX_VNICS);
	__type(key, __u32);
	__type(value, struct vpc_icmp_bucket);
} zoc_vpc_icmp_bucket SEC(".maps");

static __always_inline void vpc_event(__u32 event)
{
	__u64 *count = bpf_map_lookup_elem(&zoc_vpc_events, &event);

	if (count)
		(*count)++;
}

/* Count a drop by reason, and against the vNIC it came from or went to. */
static __always_inline int vpc_drop(__u32 reason, __u32 slot)
{
	struct zoc_vpc_vnic_stats *vs;
	__u64 *count;

	count = bpf_map_lookup_elem(&zoc_vpc_drops, &reason);
	if (count)
		(*count)++;
	if (slot != VPC_NO_SLOT) {
		vs = bpf_map_lookup_elem(&zoc_vpc_vnic_stats, &slot);
		if (vs)
			vs->drops++;
	}
	return XDP_DROP;
}

static __always_inline void vpc_count(__u32 slot, __u32 len, bool to_vnic)
{
	struct zoc_vpc_vnic_stats *vs;

	vs = bpf_map_lookup_elem(&zoc_vpc_vnic_stats, &slot);
	if (!vs)
		return;
	if (to_vnic) {
		vs->to_packets++;
		vs->to_bytes += len;
	} else {
		vs->from_packets++;
		vs->from_bytes += len;
	}
}

/* Redirect through the ports map; a device missing there drops. */
static __always_inline int vpc_xmit(__u32 ifindex, __u32 slot)
{
	long ret = bpf_redirect_map(&zoc_vpc_ports, ifindex, XDP_DROP);

	if (ret != XDP_REDIRECT)
		return vpc_drop(ZOC_VPC_DROP_NO_PORT, slot);
	return XDP_REDIRECT;
}

static __always_inline bool vpc_mac_eq(const __u8 *a, const __u8 *b)
{
	return *(const __u32 *)a == *(const __u32 *)b &&
	       *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

/* One's complement sum of a 20-byte IPv4 header, folded. */
static __always_inline __u16 vpc_ip_sum(const struct iphdr *ip)
{
	const __u16 *word = (const __u16 *)ip;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < (int)sizeof(*ip) / 2; i++)
		sum += word[i];
	sum = (sum & 0xffff) + (sum >> 16);
	return (sum & 0xffff) + (sum >> 16);
}

/* As ip_decrease_ttl(): the checksum is updated, not recomputed. */
static __always_inline void vpc_ttl_dec(struct iphdr *ip)
{
	__u32 check = ip->check;

	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xffff));
	ip->ttl--;
}

#endif
