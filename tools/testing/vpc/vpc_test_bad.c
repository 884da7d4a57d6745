// SPDX-License-Identifier: GPL-2.0
/*
 * vpc_test: malformed and spoofed frames, from a vNIC and from the
 * uplink (vpc_test.c has the rest).
 */

#include <netinet/in.h>
#include <string.h>

#include "vpc_test.h"

/* Malformed frames from a vNIC: @mutate breaks a good UDP packet. */
static int bad_inner(struct vt *t, void (*mutate)(struct pkt *),
		     uint32_t reason)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_UDP, 40050, 53, 0);
	struct pkt in;

	f.payload = 16;
	pkt_inner(&in, &f);
	mutate(&in);
	return expect_drop(t, t->vnic, t->rep[0], &in, reason);
}

static void m_trunc_ip(struct pkt *p)
{
	p->len = 14 + 12;
}

static void m_trunc_l4(struct pkt *p)
{
	p->b[14 + 9] = IPPROTO_TCP;
	pkt_put16(p->b + 14 + 2, 20 + 8);
	pkt_ip_recsum(p->b + 14);
	p->len = 14 + 28;
}

static void m_options(struct pkt *p)
{
	uint8_t *ip = p->b + 14;

	memmove(ip + 24, ip + 20, p->len - 34);
	memset(ip + 20, 1, 4);		/* four NOP options */
	ip[0] = 0x46;
	pkt_put16(ip + 2, pkt_get16(ip + 2) + 4);
	pkt_ip_recsum(ip);
	p->len += 4;
}

static void m_fragment(struct pkt *p)
{
	pkt_put16(p->b + 14 + 6, 0x2000);	/* MF */
	pkt_ip_recsum(p->b + 14);
}

static void m_fragment2(struct pkt *p)
{
	pkt_put16(p->b + 14 + 6, 0x0010);	/* offset 128 */
	pkt_ip_recsum(p->b + 14);
}

static void m_csum(struct pkt *p)
{
	p->b[14 + 10] ^= 0x55;
}

static void m_tot_len(struct pkt *p)
{
	pkt_put16(p->b + 14 + 2, p->len);	/* 14 bytes past the end */
	pkt_ip_recsum(p->b + 14);
}

static void m_version(struct pkt *p)
{
	p->b[14] = 0x65;
	pkt_ip_recsum(p->b + 14);
}

static void m_ipv6(struct pkt *p)
{
	pkt_put16(p->b + 12, 0x86dd);
}

static void m_gre(struct pkt *p)
{
	p->b[14 + 9] = 47;
	pkt_ip_recsum(p->b + 14);
}

static void m_spoof_ip(struct pkt *p)
{
	p->b[14 + 15] = 11;		/* 10.1.0.11 */
	pkt_ip_recsum(p->b + 14);
}

static void m_spoof_mac(struct pkt *p)
{
	p->b[11] = 0x11;
}

static void m_broadcast(struct pkt *p)
{
	memset(p->b + 14 + 16, 0xff, 4);
	pkt_ip_recsum(p->b + 14);
}

static void m_multicast(struct pkt *p)
{
	p->b[14 + 16] = 224;
	pkt_ip_recsum(p->b + 14);
}

static void m_tcp_doff(struct pkt *p)
{
	uint8_t *ip = p->b + 14;

	ip[9] = IPPROTO_TCP;
	pkt_put16(ip + 2, 20 + 20 + 4);
	pkt_ip_recsum(ip);
	ip[20 + 12] = 15 << 4;		/* 60-byte header in 24 bytes */
	p->len = 14 + 44;
}

int t_bad_trunc_ip(struct vt *t)
{
	return bad_inner(t, m_trunc_ip, ZOC_VPC_DROP_TRUNCATED);
}

int t_bad_trunc_l4(struct vt *t)
{
	return bad_inner(t, m_trunc_l4, ZOC_VPC_DROP_TRUNCATED);
}

int t_bad_tcp_doff(struct vt *t)
{
	return bad_inner(t, m_tcp_doff, ZOC_VPC_DROP_L4_PROTO);
}

int t_bad_options(struct vt *t)
{
	return bad_inner(t, m_options, ZOC_VPC_DROP_IP_OPTIONS);
}

int t_bad_fragment(struct vt *t)
{
	return bad_inner(t, m_fragment, ZOC_VPC_DROP_FRAGMENT) ||
	       bad_inner(t, m_fragment2, ZOC_VPC_DROP_FRAGMENT) ? -1 : 0;
}

int t_bad_ip(struct vt *t)
{
	return bad_inner(t, m_csum, ZOC_VPC_DROP_BAD_IP) ||
	       bad_inner(t, m_tot_len, ZOC_VPC_DROP_BAD_IP) ||
	       bad_inner(t, m_version, ZOC_VPC_DROP_BAD_IP) ? -1 : 0;
}

int t_bad_l3(struct vt *t)
{
	return bad_inner(t, m_ipv6, ZOC_VPC_DROP_L3_PROTO);
}

int t_bad_l4(struct vt *t)
{
	return bad_inner(t, m_gre, ZOC_VPC_DROP_L4_PROTO);
}

int t_spoof(struct vt *t)
{
	return bad_inner(t, m_spoof_ip, ZOC_VPC_DROP_SPOOF) ||
	       bad_inner(t, m_spoof_mac, ZOC_VPC_DROP_SPOOF) ? -1 : 0;
}

int t_broadcast(struct vt *t)
{
	return bad_inner(t, m_broadcast, ZOC_VPC_DROP_BROADCAST) ||
	       bad_inner(t, m_multicast, ZOC_VPC_DROP_BROADCAST) ? -1 : 0;
}

/* Malformed tunnel packets: @off/@val patch a good VXLAN packet. */
static int bad_outer(struct vt *t, unsigned int off, uint8_t val,
		     bool recsum, uint32_t reason)
{
	struct pkt out;

	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_TCP, 1, 22, 0x02,
	       100);
	out.b[off] = val;
	if (recsum)
		pkt_ip_recsum(out.b + 14);
	return expect_drop(t, t->uplink, t->up0, &out, reason);
}

int t_bad_vxlan(struct vt *t)
{
	/* flags other than I; I missing; reserved bits after the VNI */
	return bad_outer(t, 42, 0x0c, false, ZOC_VPC_DROP_BAD_TUNNEL) ||
	       bad_outer(t, 42, 0x00, false, ZOC_VPC_DROP_BAD_TUNNEL) ||
	       bad_outer(t, 49, 0x01, false, ZOC_VPC_DROP_BAD_TUNNEL) ? -1 : 0;
}

int t_bad_geneve(struct vt *t)
{
	static const struct { uint8_t flags; uint8_t ver; } bad[] = {
		{ 0x40, 0 },	/* critical options */
		{ 0x80, 0 },	/* OAM */
		{ 0, 0x40 },	/* version 1 */
	};
	struct flow f = from_v0("10.1.0.10", IPPROTO_UDP, 1, 2, 0);
	struct pkt inner, out;
	unsigned int i;

	pkt_inner(&inner, &f);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		pkt_geneve(&out, &inner, t->up0_mac, mac_up1,
			   pkt_ip4("192.168.50.2"), pkt_ip4("192.168.50.1"), 100, 0,
			   bad[i].flags);
		out.b[42] |= bad[i].ver;
		if (expect_drop(t, t->uplink, t->up0, &out,
				ZOC_VPC_DROP_BAD_TUNNEL))
			return -1;
	}
	/* an inner protocol other than Ethernet */
	pkt_geneve(&out, &inner, t->up0_mac, mac_up1, pkt_ip4("192.168.50.2"),
		   pkt_ip4("192.168.50.1"), 100, 0, 0);
	out.b[45] = 0x00;
	return expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_BAD_TUNNEL);
}

int t_bad_outer_ip(struct vt *t)
{
	struct pkt out, big;

	/*
	 * checksum; UDP length beyond the IPv4 length; outer fragment;
	 * versions 0 and 6 with a correct checksum (found by vpc_fuzz)
	 */
	if (bad_outer(t, 24, 0xaa, false, ZOC_VPC_DROP_BAD_IP) ||
	    bad_outer(t, 38, 0x7f, false, ZOC_VPC_DROP_BAD_IP) ||
	    bad_outer(t, 20, 0x20, true, ZOC_VPC_DROP_FRAGMENT) ||
	    bad_outer(t, 14, 0x05, true, ZOC_VPC_DROP_BAD_IP) ||
	    bad_outer(t, 14, 0x65, true, ZOC_VPC_DROP_BAD_IP))
		return -1;
	/* outer options: shift the UDP header by 4 */
	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_TCP, 1, 22, 0x02, 100);
	memcpy(&big, &out, sizeof(big));
	memmove(big.b + 38, out.b + 34, out.len - 34);
	memset(big.b + 34, 1, 4);
	big.b[14] = 0x46;
	pkt_put16(big.b + 16, pkt_get16(out.b + 16) + 4);
	pkt_ip_recsum(big.b + 14);
	big.len = out.len + 4;
	if (expect_drop(t, t->uplink, t->up0, &big, ZOC_VPC_DROP_IP_OPTIONS))
		return -1;
	/* a truncated VXLAN header */
	out.len = 14 + 20 + 8 + 4;
	pkt_put16(out.b + 16, 20 + 8 + 4);
	pkt_put16(out.b + 38, 8 + 4);
	pkt_ip_recsum(out.b + 14);
	return expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_TRUNCATED);
}

int t_bad_inner_tunnel(struct vt *t)
{
	struct pkt arp, out;

	pkt_arp(&arp, mac_r30, pkt_ip4("10.1.0.30"), pkt_ip4("10.1.0.10"));
	pkt_vxlan(&out, &arp, t->up0_mac, mac_up1, pkt_ip4("192.168.50.2"),
		  pkt_ip4("192.168.50.1"), 100);
	if (expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_ARP))
		return -1;
	/* inner IPv4 with a bad checksum */
	return bad_outer(t, 50 + 24, 0x55, false, ZOC_VPC_DROP_BAD_IP);
}
