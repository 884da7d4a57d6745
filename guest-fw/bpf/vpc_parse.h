/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zoc_vpc: the IPv4 parser, and the session key it makes of a packet.
 */
#ifndef _ZOC_VPC_PARSE_H
#define _ZOC_VPC_PARSE_H

#include "vpc_common.h"

static __always_inline void vpc_key(struct vpc_pkt *p, __u32 vni, __u8 proto,
				    __be32 a, __be32 b, __be16 pa, __be16 pb)
{
	struct zoc_vpc_ct_key *k = &p->key;

	k->vni = vni;
	k->proto = proto;
	k->reserved[0] = 0;
	k->reserved[1] = 0;
	k->reserved[2] = 0;
	if (a < b || (a == b && pa <= pb)) {
		k->addr[0] = a;
		k->addr[1] = b;
		k->port[0] = pa;
		k->port[1] = pb;
		p->dir = 0;
	} else {
		k->addr[0] = b;
		k->addr[1] = a;
		k->port[0] = pb;
		k->port[1] = pa;
		p->dir = 1;
	}
}

/*
 * The session an ICMP error belongs to is the one of the packet it quotes:
 * an IPv4 header without options and the first 8 bytes after it.  The
 * error goes to that packet's sender, as Linux's nf_conntrack_inet_error()
 * requires: else any session would carry errors to anyone.
 */
static __always_inline int vpc_parse_quoted(struct vpc_pkt *p, void *quote,
					    void *end, __u32 vni)
{
	struct iphdr *ip = quote;
	__be16 *ports = (void *)(ip + 1);
	__be16 sport = 0, dport = 0;
	__u8 *icmp = (void *)(ip + 1);

	if ((void *)(ports + 4) > end)
		return ZOC_VPC_DROP_TRUNCATED;
	if (*(__u8 *)ip != 0x45)
		return ZOC_VPC_DROP_L4_PROTO;
	if (ip->saddr != p->daddr)
		return ZOC_VPC_DROP_CT_INVALID;
	p->quoted_daddr = ip->daddr;
	switch (ip->protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		sport = ports[0];
		dport = ports[1];
		break;
	case IPPROTO_ICMP:
		if (icmp[0] != ICMP_ECHO && icmp[0] != ICMP_ECHOREPLY)
			return ZOC_VPC_DROP_L4_PROTO;
		sport = ports[2];
		dport = sport;
		break;
	default:
		return ZOC_VPC_DROP_L4_PROTO;
	}
	vpc_key(p, vni, ip->protocol, ip->saddr, ip->daddr, sport, dport);
	p->related = 1;
	return VPC_OK;
}

/*
 * Parse and validate the IPv4 packet in the Ethernet frame at @data, @len
 * bytes long, of which @data to @end is at hand (a GSO frame's headers,
 * the whole of any other frame): no options, no fragments, lengths
 * consistent with the frame, a correct header checksum, a complete TCP,
 * UDP or ICMP header inside the IPv4 total length.  Fills @p; returns
 * VPC_OK or a drop reason.
 */
static __always_inline int vpc_parse(void *data, void *end, __u32 len,
				     __u32 vni, struct vpc_pkt *p)
{
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u8 *l4 = (void *)(ip + 1);
	__be16 sport, dport;
	__u8 vhl, *icmp;
	__be16 *ports;
	__u16 tot;

	if ((void *)(ip + 1) > end)
		return ZOC_VPC_DROP_TRUNCATED;
	vhl = *(__u8 *)ip;
	if (vhl >> 4 != 4 || (vhl & 0xf) < 5)
		return ZOC_VPC_DROP_BAD_IP;
	if ((vhl & 0xf) != 5)
		return ZOC_VPC_DROP_IP_OPTIONS;
	tot = vpc_len16(ip->tot_len);
	if (tot < sizeof(*ip) || tot > len - sizeof(struct ethhdr))
		return ZOC_VPC_DROP_BAD_IP;
	if (vpc_ip_sum(ip) != 0xffff)
		return ZOC_VPC_DROP_BAD_IP;
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return ZOC_VPC_DROP_FRAGMENT;

	p->saddr = ip->saddr;
	p->daddr = ip->daddr;
	p->proto = ip->protocol;
	p->tos = ip->tos;
	p->ttl = ip->ttl;
	p->len = len;
	p->tcp_flags = 0;
	p->related = 0;
	p->quoted_daddr = 0;
	p->pickup = 0;
	p->sport = 0;
	p->dport = 0;
	ports = (__be16 *)l4;
	switch (ip->protocol) {
	case IPPROTO_TCP:
		if (l4 + sizeof(struct tcphdr) > (__u8 *)end ||
		    tot < sizeof(*ip) + sizeof(struct tcphdr))
			return ZOC_VPC_DROP_TRUNCATED;
		/* data offset: the header must be whole and inside tot_len */
		if (l4[12] >> 4 < 5 ||
		    sizeof(*ip) + (l4[12] >> 4) * 4 > (__u32)tot)
			return ZOC_VPC_DROP_L4_PROTO;
		p->tcp_flags = l4[13];
		sport = ports[0];
		dport = ports[1];
		break;
	case IPPROTO_UDP:
		if (l4 + sizeof(struct udphdr) > (__u8 *)end ||
		    tot < sizeof(*ip) + sizeof(struct udphdr))
			return ZOC_VPC_DROP_TRUNCATED;
		sport = ports[0];
		dport = ports[1];
		break;
	case IPPROTO_ICMP:
		icmp = l4;
		if (icmp + 8 > (__u8 *)end || tot < sizeof(*ip) + 8)
			return ZOC_VPC_DROP_TRUNCATED;
		p->icmp_type = icmp[0];
		switch (icmp[0]) {
		case ICMP_ECHO:
		case ICMP_ECHOREPLY:
			/* the identifier stands for both ports */
			sport = ports[2];
			dport = sport;
			break;
		case ICMP_DEST_UNREACH:
		case ICMP_TIME_EXCEEDED:
		case ICMP_PARAMETERPROB:
			return vpc_parse_quoted(p, icmp + 8, end, vni);
		default:
			return ZOC_VPC_DROP_L4_PROTO;
		}
		break;
	default:
		return ZOC_VPC_DROP_L4_PROTO;
	}
	p->sport = bpf_ntohs(sport);
	p->dport = bpf_ntohs(dport);
	vpc_key(p, vni, ip->protocol, ip->saddr, ip->daddr, sport, dport);
	return VPC_OK;
}

#endif
