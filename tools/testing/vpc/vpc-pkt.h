/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet builders for the VPC datapath's tests and benchmarks: Ethernet,
 * IPv4 with a correct header checksum, TCP, UDP, ICMP, ARP, and the VXLAN
 * and Geneve encapsulations, written byte by byte so that they do not
 * share a definition with the code under test.
 */
#ifndef _VPC_PKT_H
#define _VPC_PKT_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#define PKT_MAX		2048
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct pkt {
	uint8_t b[PKT_MAX];
	unsigned int len;
};

/**
 * struct flow - what an inner packet carries
 * @smac: source MAC
 * @dmac: destination MAC
 * @saddr: source address (network order)
 * @daddr: destination address (network order)
 * @proto: IP protocol
 * @sport: source port (host order), or the ICMP echo identifier
 * @dport: destination port (host order)
 * @tcp_flags: TCP flags byte
 * @icmp_type: ICMP type
 * @ttl: IPv4 TTL
 * @payload: bytes after the L4 header
 */
struct flow {
	uint8_t smac[6];
	uint8_t dmac[6];
	uint32_t saddr;
	uint32_t daddr;
	uint8_t proto;
	uint16_t sport;
	uint16_t dport;
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint8_t ttl;
	unsigned int payload;
};

/* An IPv4 address in network order, from dotted text. */
static inline uint32_t pkt_ip4(const char *s)
{
	uint32_t a = 0;

	inet_pton(AF_INET, s, &a);
	return a;
}

static inline void pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline uint16_t pkt_get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static inline uint16_t pkt_csum(const uint8_t *p, unsigned int len)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += pkt_get16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static inline void pkt_eth(uint8_t *p, const uint8_t *dst, const uint8_t *src,
			   uint16_t proto)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	pkt_put16(p + 12, proto);
}

/* A 20-byte IPv4 header at @p for @l4len bytes of payload. */
static inline void pkt_ip(uint8_t *p, uint32_t saddr, uint32_t daddr,
			  uint8_t proto, uint8_t ttl, unsigned int l4len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	pkt_put16(p + 2, 20 + l4len);
	pkt_put16(p + 6, 0x4000);
	p[8] = ttl;
	p[9] = proto;
	memcpy(p + 12, &saddr, 4);
	memcpy(p + 16, &daddr, 4);
	pkt_put16(p + 10, pkt_csum(p, 20));
}

static inline void pkt_ip_recsum(uint8_t *ip)
{
	unsigned int hlen = (ip[0] & 0xf) * 4;

	pkt_put16(ip + 10, 0);
	pkt_put16(ip + 10, pkt_csum(ip, hlen));
}

/* An Ethernet/IPv4 frame carrying @f. */
static inline void pkt_inner(struct pkt *pkt, const struct flow *f)
{
	uint8_t *ip = pkt->b + 14, *l4 = ip + 20;
	unsigned int l4len;

	memset(pkt->b, 0, sizeof(pkt->b));
	pkt_eth(pkt->b, f->dmac, f->smac, 0x0800);
	switch (f->proto) {
	case IPPROTO_TCP:
		l4len = 20;
		pkt_put16(l4, f->sport);
		pkt_put16(l4 + 2, f->dport);
		l4[12] = 5 << 4;
		l4[13] = f->tcp_flags;
		pkt_put16(l4 + 14, 65535);
		break;
	case IPPROTO_UDP:
		l4len = 8;
		pkt_put16(l4, f->sport);
		pkt_put16(l4 + 2, f->dport);
		pkt_put16(l4 + 4, 8 + f->payload);
		break;
	case IPPROTO_ICMP:
		l4len = 8;
		l4[0] = f->icmp_type;
		pkt_put16(l4 + 4, f->sport);
		pkt_put16(l4 + 6, 1);
		break;
	default:
		l4len = 8;
		break;
	}
	l4len += f->payload;
	pkt_ip(ip, f->saddr, f->daddr, f->proto, f->ttl ?: 64, l4len);
	pkt->len = 14 + 20 + l4len;
	if (f->proto == IPPROTO_ICMP)
		pkt_put16(l4 + 2, pkt_csum(l4, l4len));
}

/*
 * Outer Ethernet, IPv4, UDP and an 8-byte tunnel header (plus @optlen
 * bytes of options) around @inner.  @hdr0 and @hdr1 are the tunnel
 * header's two 32-bit words.
 */
static inline void pkt_tunnel(struct pkt *out, const struct pkt *inner,
			      const uint8_t *dmac, const uint8_t *smac,
			      uint32_t saddr, uint32_t daddr, uint16_t port,
			      uint32_t hdr0, uint32_t hdr1, unsigned int optlen)
{
	uint8_t *ip = out->b + 14, *udp = ip + 20, *tun = udp + 8;
	unsigned int udplen = 8 + 8 + optlen + inner->len;

	memset(out->b, 0, sizeof(out->b));
	pkt_eth(out->b, dmac, smac, 0x0800);
	pkt_ip(ip, saddr, daddr, IPPROTO_UDP, 64, udplen);
	pkt_put16(udp, 50000);
	pkt_put16(udp + 2, port);
	pkt_put16(udp + 4, udplen);
	hdr0 = htonl(hdr0);
	hdr1 = htonl(hdr1);
	memcpy(tun, &hdr0, 4);
	memcpy(tun + 4, &hdr1, 4);
	memset(tun + 8, 0, optlen);
	memcpy(tun + 8 + optlen, inner->b, inner->len);
	out->len = 14 + 20 + udplen;
}

static inline void pkt_vxlan(struct pkt *out, const struct pkt *inner,
			     const uint8_t *dmac, const uint8_t *smac,
			     uint32_t saddr, uint32_t daddr, uint32_t vni)
{
	pkt_tunnel(out, inner, dmac, smac, saddr, daddr, 4789, 0x08000000,
		   vni << 8, 0);
}

/* Geneve: version 0, @optlen bytes of options (a multiple of 4). */
static inline void pkt_geneve(struct pkt *out, const struct pkt *inner,
			      const uint8_t *dmac, const uint8_t *smac,
			      uint32_t saddr, uint32_t daddr, uint32_t vni,
			      unsigned int optlen, uint8_t flags)
{
	uint32_t hdr0 = (optlen / 4) << 24 | flags << 16 | 0x6558;

	pkt_tunnel(out, inner, dmac, smac, saddr, daddr, 6081, hdr0, vni << 8,
		   optlen);
}

/* An ARP request from @smac/@sip for @tip. */
static inline void pkt_arp(struct pkt *pkt, const uint8_t *smac, uint32_t sip,
			   uint32_t tip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *a = pkt->b + 14;

	memset(pkt->b, 0, sizeof(pkt->b));
	pkt_eth(pkt->b, bcast, smac, 0x0806);
	pkt_put16(a, 1);
	pkt_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	pkt_put16(a + 6, 1);
	memcpy(a + 8, smac, 6);
	memcpy(a + 14, &sip, 4);
	memcpy(a + 24, &tip, 4);
	pkt->len = 14 + 28 + 18;	/* padded to the Ethernet minimum */
}

#endif /* _VPC_PKT_H */
