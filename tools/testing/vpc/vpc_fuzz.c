// SPDX-License-Identifier: GPL-2.0
/*
 * vpc_fuzz: the VPC datapath against a model of its policy.
 *
 * Frames from the vNICs and from the uplink, valid ones built from pools
 * of the configuration's addresses, ports and flags, then mutated (bytes
 * flipped, truncated) or replaced by random bytes, run through the
 * attached programs with BPF_PROG_TEST_RUN.  The model reads the policy
 * from the pinned maps (vNICs, routes, security groups) and keeps its own
 * set of the sessions the datapath let through.  Any verdict or rewrite
 * the model does not allow is a finding:
 *
 * - a forwarded frame from a vNIC whose source MAC or address is not the
 *   vNIC's (spoofing);
 * - a frame delivered to a vNIC of another VPC, or to an address or MAC
 *   the route does not give, or encapsulated to another VTEP or VNI
 *   (cross-VNI delivery, misrouting);
 * - a tunnelled frame delivered with a local vNIC's address as its source;
 * - a new session no security group rule admits, in either direction for
 *   a TCP segment that is no SYN (pick-up), or an ICMP error quoting no
 *   session (security group bypass);
 * - an XDP_TX that is not an ARP answer to its asker or an ICMP
 *   "fragmentation needed" to the vNIC for a packet it sent too big with
 *   Don't Fragment (or, from the tc program, such an answer redirected),
 *   and a rewritten inner header (an out-of-bounds or wrong rewrite).
 *
 * The model is an upper bound: the datapath may drop more (timeouts, TCP
 * states, a full set), never pass more.
 *
 * Half the frames of the vNICs go through the tc program, zoc_vpc_vnic_skb,
 * as skbs (a GSO size now and then), judged as the XDP program's are.
 *
 * Usage: vpc_fuzz PIN_DIR SEED FRAMES (in the namespace of vpc_test, whose
 * representors rep0..rep2 and uplink up0 it uses).  Prints TAP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/zoc_vpc.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vpc-pkt.h"

#define XDP_DROP_	1
#define XDP_PASS_	2
#define XDP_TX_		3
#define XDP_REDIRECT_	4

#define VF_SESSIONS	262144	/* the model's session set */
/* Shorter, a test run may refuse an skb: Ethernet and an IPv6 header */
#define VF_SKB_MIN	(14 + 40)
#define VF_REPS		3
#define VF_NAME		"fuzz: the datapath against its policy"

struct vf_vnic {
	unsigned int ifindex;
	struct zoc_vpc_vnic v;
};

struct vf_route {
	uint32_t vni;
	uint32_t addr;		/* network order */
	unsigned int plen;
	struct zoc_vpc_route r;
};

/* A session of the model: VNI, protocol, the two ends in a fixed order. */
struct vf_key {
	uint32_t vni;
	uint64_t a, b;		/* address << 16 | port, a <= b */
	uint8_t proto;
	bool used;
};

struct vf {
	int vnic_prog, uplink_prog, skb_prog;
	unsigned int rep[VF_REPS], up0;
	uint8_t up0_mac[6];
	struct zoc_vpc_config cfg;
	struct vf_vnic vnics[ZOC_VPC_MAX_VNICS];
	unsigned int nr_vnics;
	struct vf_route *routes;
	unsigned int nr_routes;
	struct zoc_vpc_sg sg[ZOC_VPC_MAX_VNICS * 2];
	struct vf_key *sessions;
	uint64_t rng;
	struct pkt in, out;
	uint32_t retval;
	char why[512];
	unsigned long verdicts[5];
	unsigned long skbs;
	bool as_skb;
	unsigned long frag_needed;
};

static bool vf_fail(struct vf *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	return false;
}

/* xorshift64*: reproducible from the seed alone */
static uint32_t vf_rand(struct vf *f)
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return (f->rng * 0x2545f4914f6cdd1dULL) >> 32;
}

static uint32_t vf_pick(struct vf *f, const uint32_t *pool, unsigned int n)
{
	return pool[vf_rand(f) % n];
}

/* --- the policy, read from the maps ------------------------------------ */

static int vf_open(const char *dir, const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "vpc_fuzz: %s: %s\n", path, strerror(errno));
	return fd;
}

static int vf_load_policy(struct vf *f, const char *dir)
{
	int config = vf_open(dir, ZOC_VPC_PIN_CONFIG);
	int vnics = vf_open(dir, ZOC_VPC_PIN_VNICS);
	int routes = vf_open(dir, ZOC_VPC_PIN_ROUTES);
	int sg = vf_open(dir, ZOC_VPC_PIN_SG);
	struct zoc_vpc_route_key rk, *prevr = NULL;
	uint32_t key, *prev = NULL, zero = 0, i;
	struct vf_route *r;

	if (config < 0 || vnics < 0 || routes < 0 || sg < 0 ||
	    bpf_map_lookup_elem(config, &zero, &f->cfg))
		return -1;
	while (!bpf_map_get_next_key(vnics, prev, &key) &&
	       f->nr_vnics < ZOC_VPC_MAX_VNICS) {
		prev = &key;
		f->vnics[f->nr_vnics].ifindex = key;
		if (!bpf_map_lookup_elem(vnics, &key, &f->vnics[f->nr_vnics].v))
			f->nr_vnics++;
	}
	f->routes = calloc(ZOC_VPC_MAX_ROUTES, sizeof(*f->routes));
	if (!f->routes)
		return -1;
	while (!bpf_map_get_next_key(routes, prevr, &rk) &&
	       f->nr_routes < ZOC_VPC_MAX_ROUTES) {
		prevr = &rk;
		r = &f->routes[f->nr_routes];
		r->vni = rk.vni;
		r->addr = rk.addr;
		r->plen = rk.prefixlen - 32;
		if (!bpf_map_lookup_elem(routes, &rk, &r->r))
			f->nr_routes++;
	}
	for (i = 0; i < ZOC_VPC_MAX_VNICS * 2; i++)
		if (bpf_map_lookup_elem(sg, &i, &f->sg[i]))
			return -1;
	close(config);
	close(vnics);
	close(routes);
	close(sg);
	return f->nr_vnics && f->nr_routes ? 0 : -1;
}

static const struct vf_vnic *vf_vnic_of_if(struct vf *f, unsigned int ifindex)
{
	unsigned int i;

	for (i = 0; i < f->nr_vnics; i++)
		if (f->vnics[i].ifindex == ifindex)
			return &f->vnics[i];
	return NULL;
}

/* The vNIC of address @addr in VPC @vni: VPCs may reuse addresses. */
static const struct vf_vnic *vf_vnic_of_addr(struct vf *f, uint32_t vni,
					     uint32_t addr)
{
	unsigned int i;

	for (i = 0; i < f->nr_vnics; i++)
		if (f->vnics[i].v.vni == vni && f->vnics[i].v.addr == addr)
			return &f->vnics[i];
	return NULL;
}

static uint32_t vf_mask(unsigned int plen)
{
	return plen ? htonl(~0U << (32 - plen)) : 0;
}

/* The longest prefix route of @addr in @vni: the model's own LPM. */
static const struct vf_route *vf_route(struct vf *f, uint32_t vni,
				       uint32_t addr)
{
	const struct vf_route *best = NULL;
	unsigned int i;

	for (i = 0; i < f->nr_routes; i++) {
		const struct vf_route *r = &f->routes[i];

		if (r->vni != vni || (addr & vf_mask(r->plen)) != r->addr)
			continue;
		if (!best || r->plen > best->plen)
			best = r;
	}
	return best && best->r.type != ZOC_VPC_ROUTE_NONE ? best : NULL;
}

/*
 * A rule of @slot's group in direction @dir admits it: the policy as
 * vpc.rst states it, written apart from the datapath's on purpose.
 */
static bool vf_sg(struct vf *f, uint32_t slot, uint32_t dir, uint32_t remote,
		  uint8_t proto, uint16_t port)
{
	const struct zoc_vpc_sg *sg;
	unsigned int i;

	if (slot >= ZOC_VPC_MAX_VNICS)
		return false;
	sg = &f->sg[slot * 2 + dir];
	for (i = 0; i < sg->count && i < ZOC_VPC_SG_RULES; i++) {
		const struct zoc_vpc_sg_rule *r = &sg->rule[i];

		if ((remote & r->mask) != r->addr ||
		    (r->proto && r->proto != proto))
			continue;
		if (proto != IPPROTO_ICMP &&
		    (port < r->port_lo || port > r->port_hi))
			continue;
		return true;
	}
	return false;
}

/*
 * May a session from @src to @dst be opened: an egress rule of the
 * sender if it is local, an ingress rule of the receiver if local.
 */
static bool vf_admits(struct vf *f, const struct vf_vnic *src, uint32_t saddr,
		      const struct vf_vnic *dst, uint32_t daddr, uint8_t proto,
		      uint16_t port)
{
	return (!src || vf_sg(f, src->v.slot, ZOC_VPC_SG_EGRESS, daddr, proto,
			      port)) &&
	       (!dst || vf_sg(f, dst->v.slot, ZOC_VPC_SG_INGRESS, saddr, proto,
			      port));
}

/* --- the model's sessions ---------------------------------------------- */

static struct vf_key vf_key(uint32_t vni, uint8_t proto, uint32_t s,
			    uint16_t sp, uint32_t d, uint16_t dp)
{
	uint64_t x = (uint64_t)ntohl(s) << 16 | sp;
	uint64_t y = (uint64_t)ntohl(d) << 16 | dp;
	struct vf_key k = { .vni = vni, .proto = proto, .used = true };

	k.a = x < y ? x : y;
	k.b = x < y ? y : x;
	return k;
}

static struct vf_key *vf_slot(struct vf *f, const struct vf_key *k)
{
	uint64_t h = (k->a * 31 + k->b) * 0x9e3779b97f4a7c15ULL ^
		     (k->vni << 8 | k->proto);
	unsigned int i, n;

	for (n = 0, i = (h >> 40) % VF_SESSIONS; n < VF_SESSIONS;
	     n++, i = (i + 1) % VF_SESSIONS) {
		struct vf_key *e = &f->sessions[i];

		if (!e->used || (e->vni == k->vni && e->proto == k->proto &&
				 e->a == k->a && e->b == k->b))
			return e;
	}
	return NULL;
}

static bool vf_known(struct vf *f, const struct vf_key *k)
{
	struct vf_key *e = vf_slot(f, k);

	return e && e->used;
}

static void vf_remember(struct vf *f, const struct vf_key *k)
{
	struct vf_key *e = vf_slot(f, k);

	if (e)
		*e = *k;
}

/* --- frames -------------------------------------------------------------- */

/**
 * struct vf_ip - what the model reads of an Ethernet/IPv4 frame
 * @ok: IPv4, a 20-byte header, the L4 header in the frame
 * @smac: source MAC
 * @dmac: destination MAC
 * @saddr: source address
 * @daddr: destination address
 * @proto: protocol
 * @sport: source port, or the ICMP echo identifier
 * @dport: destination port, or the ICMP echo identifier
 * @flags: TCP flags
 * @icmp: ICMP type
 * @quote: ICMP error: the quoted packet's session is set in @qkey
 * @qkey: the quoted session
 */
struct vf_ip {
	bool ok;
	const uint8_t *smac, *dmac;
	uint32_t saddr, daddr;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t flags, icmp;
	bool quote;
	struct vf_key qkey;
};

static void vf_parse(const uint8_t *b, unsigned int len, uint32_t vni,
		     struct vf_ip *p)
{
	const uint8_t *ip = b + 14, *l4 = ip + 20, *q, *ql4;

	memset(p, 0, sizeof(*p));
	if (len < 14 + 20 + 8 || pkt_get16(b + 12) != 0x0800 || ip[0] != 0x45)
		return;
	p->dmac = b;
	p->smac = b + 6;
	memcpy(&p->saddr, ip + 12, 4);
	memcpy(&p->daddr, ip + 16, 4);
	p->proto = ip[9];
	switch (p->proto) {
	case IPPROTO_TCP:
		if (len < 14 + 20 + 20)
			return;
		p->flags = l4[13];
		p->sport = pkt_get16(l4);
		p->dport = pkt_get16(l4 + 2);
		break;
	case IPPROTO_UDP:
		p->sport = pkt_get16(l4);
		p->dport = pkt_get16(l4 + 2);
		break;
	case IPPROTO_ICMP:
		p->icmp = l4[0];
		p->sport = pkt_get16(l4 + 4);
		p->dport = p->sport;
		q = l4 + 8;
		ql4 = q + 20;
		if ((p->icmp == 3 || p->icmp == 11 || p->icmp == 12) &&
		    len >= (unsigned int)(ql4 + 8 - b) && q[0] == 0x45) {
			uint32_t qs, qd;
			uint16_t qsp = pkt_get16(ql4), qdp = pkt_get16(ql4 + 2);

			memcpy(&qs, q + 12, 4);
			memcpy(&qd, q + 16, 4);
			if (q[9] == IPPROTO_ICMP) {
				qsp = pkt_get16(ql4 + 4);
				qdp = qsp;
			}
			p->quote = true;
			p->qkey = vf_key(vni, q[9], qs, qsp, qd, qdp);
		}
		break;
	default:
		return;
	}
	p->ok = true;
}

/*
 * Is the session of @p known, or may it be opened, from @src (a local
 * vNIC or NULL) to @dst (the same)?  Remembers what it admits.
 */
static bool vf_admitted(struct vf *f, uint32_t vni, const struct vf_ip *p,
			const struct vf_vnic *src, const struct vf_vnic *dst)
{
	struct vf_key k = vf_key(vni, p->proto, p->saddr, p->sport, p->daddr,
				 p->dport);
	bool syn = p->proto == IPPROTO_TCP && (p->flags & 0x12) == 0x02;

	if (p->quote)
		return vf_known(f, &p->qkey) ||
		       vf_fail(f, "an ICMP error quoting no session passed");
	if (vf_known(f, &k))
		return true;
	if (vf_admits(f, src, p->saddr, dst, p->daddr, p->proto, p->dport) ||
	    (p->proto == IPPROTO_TCP && !syn &&
	     vf_admits(f, dst, p->daddr, src, p->saddr, p->proto, p->sport))) {
		vf_remember(f, &k);
		return true;
	}
	return vf_fail(f, "a new session no rule admits passed (proto %u, %#x:%u -> %#x:%u)",
		       p->proto, ntohl(p->saddr), p->sport, ntohl(p->daddr),
		       p->dport);
}

/* The inner frame of an encapsulated output, its VNI through @vni. */
static const uint8_t *vf_decap(struct vf *f, const uint8_t *b,
			       unsigned int len, uint32_t *remote,
			       uint32_t *vni, unsigned int *ilen)
{
	const uint8_t *ip = b + 14, *udp = ip + 20, *tun = udp + 8;
	unsigned int hlen = 14 + 20 + 8 + 8;
	uint16_t port;
	uint32_t src;

	if (len < hlen + 14 || pkt_get16(b + 12) != 0x0800 ||
	    ip[0] != 0x45 || ip[9] != IPPROTO_UDP)
		return NULL;
	port = pkt_get16(udp + 2);
	if (port == f->cfg.geneve_port)
		hlen += (tun[0] & 0x3f) * 4;
	else if (port != f->cfg.vxlan_port)
		return NULL;
	memcpy(&src, ip + 12, 4);
	memcpy(remote, ip + 16, 4);
	if (src != f->cfg.vtep || len < hlen + 14)
		return NULL;
	*vni = (uint32_t)tun[4] << 16 | tun[5] << 8 | tun[6];
	*ilen = len - hlen;
	return b + hlen;
}

/* Inner source, destination and L4 header unchanged from @in to @out. */
static bool vf_same_inner(const uint8_t *in, const uint8_t *out)
{
	/* addresses, protocol, and the L4 ports / ICMP header */
	return !memcmp(in + 14 + 12, out + 14 + 12, 8) &&
	       in[14 + 9] == out[14 + 9] &&
	       !memcmp(in + 14 + 20, out + 14 + 20, 8);
}

/* --- the checks ---------------------------------------------------------- */

static void vf_note_drop(struct vf *f, const struct vf_vnic *x);

static bool vf_check_arp(struct vf *f)
{
	const uint8_t *in = f->in.b, *out = f->out.b;

	if (f->out.len < 14 + 28 || pkt_get16(out + 12) != 0x0806 ||
	    pkt_get16(out + 14 + 6) != 2)
		return vf_fail(f, "XDP_TX of something else than an ARP reply");
	if (memcmp(out, in + 6, 6) || memcmp(out + 14 + 18, in + 14 + 8, 6))
		return vf_fail(f, "an ARP reply to another than its asker");
	return true;
}

/*
 * ICMP "fragmentation needed" from vNIC @x's gateway to @x, quoting the
 * IPv4 packet with Don't Fragment it sent, longer than the MTU it names.
 */
static bool vf_check_frag_needed(struct vf *f, const struct vf_vnic *x)
{
	const uint8_t *in = f->in.b, *out = f->out.b, *icmp = out + 34;
	const struct vf_route *rt;
	uint32_t saddr, daddr;
	struct vf_ip p;

	if (f->out.len != 70 || pkt_get16(out + 12) != 0x0800 ||
	    out[14 + 9] != IPPROTO_ICMP || icmp[0] != 3 || icmp[1] != 4 ||
	    pkt_csum(out + 14, 20) || pkt_csum(icmp, 36))
		return vf_fail(f, "an answer to IPv4 that is no ICMP frag needed");
	memcpy(&saddr, out + 14 + 12, 4);
	memcpy(&daddr, out + 14 + 16, 4);
	if (memcmp(out, x->v.mac, 6) || memcmp(out + 6, x->v.gateway_mac, 6) ||
	    saddr != x->v.gateway || daddr != x->v.addr)
		return vf_fail(f, "ICMP frag needed to another than its asker");
	if (memcmp(icmp + 8, in + 14, 28) || !(in[14 + 6] & 0x40) ||
	    pkt_get16(in + 14 + 2) <= pkt_get16(icmp + 6))
		return vf_fail(f, "ICMP frag needed for a packet that fits or has no DF");
	/* for a packet of the vNIC's own, to a tunnel, no ICMP error itself */
	vf_parse(in, f->in.len, x->v.vni, &p);
	rt = p.ok ? vf_route(f, x->v.vni, p.daddr) : NULL;
	if (!p.ok || p.quote || memcmp(p.smac, x->v.mac, 6) ||
	    p.saddr != x->v.addr || !rt || rt->r.type != ZOC_VPC_ROUTE_TUNNEL)
		return vf_fail(f, "ICMP frag needed for no packet of the vNIC to a tunnel");
	/* the packet dropped, its session may be */
	vf_note_drop(f, x);
	f->frag_needed++;
	return true;
}

static bool vf_check_tx(struct vf *f, const struct vf_vnic *x)
{
	if (f->in.len < 14 + 28)
		return vf_fail(f, "XDP_TX of a frame too short to answer");
	if (pkt_get16(f->in.b + 12) == 0x0806)
		return vf_check_arp(f);
	if (pkt_get16(f->in.b + 12) == 0x0800)
		return vf_check_frag_needed(f, x);
	return vf_fail(f, "XDP_TX of a frame that is no ARP nor IPv4");
}

/*
 * A frame of vNIC @x dropped: the datapath may have created its session
 * before a later step dropped it (no underlay neighbour, say).  The model
 * takes the session as created if it would have admitted it, so that it
 * stays an upper bound.
 */
static void vf_note_drop(struct vf *f, const struct vf_vnic *x)
{
	const struct vf_vnic *y = NULL;
	const struct vf_route *rt;
	struct vf_ip p;
	char why[sizeof(f->why)];

	vf_parse(f->in.b, f->in.len, x->v.vni, &p);
	if (!p.ok || p.quote || memcmp(p.smac, x->v.mac, 6) ||
	    p.saddr != x->v.addr)
		return;
	rt = vf_route(f, x->v.vni, p.daddr);
	if (!rt || rt->r.type == ZOC_VPC_ROUTE_BLACKHOLE)
		return;
	if (rt->r.type == ZOC_VPC_ROUTE_VNIC)
		y = vf_vnic_of_if(f, rt->r.ifindex);
	memcpy(why, f->why, sizeof(why));
	vf_admitted(f, x->v.vni, &p, x, y);
	memcpy(f->why, why, sizeof(why));
}

static bool vf_check_vnic(struct vf *f, const struct vf_vnic *x)
{
	const struct vf_vnic *y = NULL;
	const struct vf_route *rt;
	const uint8_t *inner;
	uint32_t remote, vni;
	unsigned int ilen;
	struct vf_ip p, q;

	if (f->retval == XDP_TX_)
		return vf_check_tx(f, x);
	/*
	 * Forwarded frames keep the vNIC's source MAC (spoofed ones drop):
	 * one from its gateway's is an answer, which only the tc program
	 * redirects (XDP sends its answers back with XDP_TX).
	 */
	if (f->retval == XDP_REDIRECT_ && f->out.len >= 14 &&
	    !memcmp(f->out.b + 6, x->v.gateway_mac, 6)) {
		if (!f->as_skb)
			return vf_fail(f, "XDP redirected an answer");
		return vf_check_frag_needed(f, x);
	}
	if (f->retval == XDP_DROP_) {
		vf_note_drop(f, x);
		return true;
	}
	if (f->retval != XDP_REDIRECT_)
		return vf_fail(f, "verdict %u from a vNIC", f->retval);
	vf_parse(f->in.b, f->in.len, x->v.vni, &p);
	if (!p.ok)
		return vf_fail(f, "a frame that is no IPv4 TCP, UDP or ICMP passed");
	if (memcmp(p.smac, x->v.mac, 6) || p.saddr != x->v.addr)
		return vf_fail(f, "a spoofed source passed");
	rt = vf_route(f, x->v.vni, p.daddr);
	if (!rt || rt->r.type == ZOC_VPC_ROUTE_BLACKHOLE)
		return vf_fail(f, "forwarded with no route (or a blackhole)");
	inner = vf_decap(f, f->out.b, f->out.len, &remote, &vni, &ilen);
	if (inner) {
		if (rt->r.type != ZOC_VPC_ROUTE_TUNNEL || remote != rt->r.remote)
			return vf_fail(f, "encapsulated to %#x, not as routed",
				       ntohl(remote));
		if (vni != x->v.vni)
			return vf_fail(f, "encapsulated with VNI %u, not %u", vni,
				       x->v.vni);
		if (ilen < f->in.len || memcmp(inner, rt->r.mac, 6) ||
		    !vf_same_inner(f->in.b, inner))
			return vf_fail(f, "the inner frame was rewritten wrong");
	} else {
		if (rt->r.type != ZOC_VPC_ROUTE_VNIC)
			return vf_fail(f, "delivered locally, not as routed");
		y = vf_vnic_of_if(f, rt->r.ifindex);
		vf_parse(f->out.b, f->out.len, x->v.vni, &q);
		if (!y || y->v.vni != x->v.vni || y->v.addr != p.daddr)
			return vf_fail(f, "delivered to a vNIC of another VPC or address");
		if (!q.ok || memcmp(q.dmac, y->v.mac, 6) ||
		    !vf_same_inner(f->in.b, f->out.b))
			return vf_fail(f, "the delivered frame was rewritten wrong");
	}
	return vf_admitted(f, x->v.vni, &p, x, y);
}

static bool vf_check_uplink(struct vf *f)
{
	const uint8_t *in = f->in.b, *ip = in + 14, *udp = ip + 20;
	const uint8_t *tun = udp + 8;
	const struct vf_vnic *y;
	uint32_t daddr, vni;
	unsigned int hlen;
	uint16_t port;
	struct vf_ip p;

	if (f->retval == XDP_PASS_ || f->retval == XDP_DROP_)
		return true;
	if (f->retval != XDP_REDIRECT_)
		return vf_fail(f, "verdict %u from the uplink", f->retval);
	if (f->in.len < 14 + 20 + 8 + 8 || ip[0] != 0x45 ||
	    ip[9] != IPPROTO_UDP)
		return vf_fail(f, "delivered a frame that is no tunnel packet");
	memcpy(&daddr, ip + 16, 4);
	port = pkt_get16(udp + 2);
	hlen = 14 + 20 + 8 + 8;
	if (port == f->cfg.geneve_port)
		hlen += (tun[0] & 0x3f) * 4;
	if (daddr != f->cfg.vtep ||
	    (port != f->cfg.vxlan_port && port != f->cfg.geneve_port))
		return vf_fail(f, "delivered a packet not for our VTEP's ports");
	vni = (uint32_t)tun[4] << 16 | tun[5] << 8 | tun[6];
	vf_parse(f->out.b, f->out.len, vni, &p);
	if (!p.ok)
		return vf_fail(f, "delivered a frame that is no IPv4 TCP, UDP or ICMP");
	y = vf_vnic_of_addr(f, vni, p.daddr);
	if (!y)
		return vf_fail(f, "delivered to no vNIC of VNI %u", vni);
	if (memcmp(p.dmac, y->v.mac, 6))
		return vf_fail(f, "delivered with another MAC than the vNIC's");
	if (f->in.len < hlen + 14 + 28 || !vf_same_inner(in + hlen, f->out.b))
		return vf_fail(f, "the delivered frame was rewritten wrong");
	if (vf_vnic_of_addr(f, vni, p.saddr))
		return vf_fail(f, "a tunnelled frame with a local vNIC's source passed");
	return vf_admitted(f, vni, &p, NULL, y);
}

/* --- the generator ------------------------------------------------------- */

static const uint8_t vf_gw_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static uint32_t vf_addr(struct vf *f)
{
	static uint32_t pool[8];

	if (!pool[0]) {
		pool[0] = pkt_ip4("10.1.0.10");
		pool[1] = pkt_ip4("10.1.0.20");
		pool[2] = pkt_ip4("10.2.0.10");
		pool[3] = pkt_ip4("10.1.0.30");
		pool[4] = pkt_ip4("10.1.0.40");
		pool[5] = pkt_ip4("10.1.0.99");
		pool[6] = pkt_ip4("8.8.8.8");
		pool[7] = pkt_ip4("10.9.0.1");
	}
	return vf_rand(f) % 8 ? vf_pick(f, pool, 8) : vf_rand(f);
}

static uint16_t vf_port(struct vf *f)
{
	static const uint32_t pool[] = { 22, 53, 80, 81, 8000, 8080, 5201,
					 40000, 40001 };

	return vf_rand(f) % 8 ? vf_pick(f, pool, ARRAY_SIZE(pool)) : vf_rand(f);
}

static void vf_flow(struct vf *f, struct flow *fl)
{
	static const uint32_t protos[] = { IPPROTO_TCP, IPPROTO_UDP,
					   IPPROTO_ICMP, 47 };
	static const uint32_t flags[] = { 0x02, 0x12, 0x10, 0x11, 0x04, 0x18 };
	static const uint32_t icmps[] = { 8, 0, 3, 11 };

	memset(fl, 0, sizeof(*fl));
	fl->saddr = vf_addr(f);
	fl->daddr = vf_addr(f);
	fl->proto = vf_pick(f, protos, 4);
	fl->sport = vf_port(f);
	fl->dport = vf_port(f);
	fl->tcp_flags = vf_rand(f) % 8 ? vf_pick(f, flags, 6) : vf_rand(f);
	fl->icmp_type = vf_pick(f, icmps, 4);
	fl->ttl = vf_rand(f) % 16 ? 64 : vf_rand(f) % 3;
	/* now and then more than the test's underlay (1500) takes inside */
	if (vf_rand(f) % 8 == 0)
		fl->payload = 1380 + vf_rand(f) % 520;
}

/* An ICMP error quoting a packet from @fl's receiver back to its sender. */
static void vf_quote(struct vf *f, struct pkt *pk, const struct flow *fl)
{
	struct flow back = *fl;
	struct pkt q;

	back.saddr = fl->daddr;
	back.daddr = fl->saddr;
	back.proto = vf_rand(f) % 2 ? IPPROTO_UDP : IPPROTO_TCP;
	pkt_inner(&q, &back);
	memcpy(pk->b + 14 + 20 + 8, q.b + 14, 28);
	pk->len += 28;
	pkt_put16(pk->b + 14 + 2, pk->len - 14);
	pkt_ip_recsum(pk->b + 14);
	pkt_put16(pk->b + 14 + 20 + 2, 0);
	pkt_put16(pk->b + 14 + 20 + 2, pkt_csum(pk->b + 14 + 20, 8 + 28));
}

static void vf_mutate(struct vf *f, struct pkt *pk)
{
	unsigned int i, n, r = vf_rand(f) % 16;

	if (r < 3) {			/* a few bytes flipped */
		for (n = 1 + vf_rand(f) % 4, i = 0; i < n; i++)
			pk->b[vf_rand(f) % pk->len] ^= 1 << (vf_rand(f) % 8);
		if (vf_rand(f) % 2 && pk->len >= 34)
			pkt_ip_recsum(pk->b + 14);
	} else if (r == 3) {		/* truncated */
		pk->len = vf_rand(f) % pk->len;
	} else if (r == 4) {		/* random bytes */
		pk->len = 14 + vf_rand(f) % 200;
		for (i = 0; i < pk->len; i++)
			pk->b[i] = vf_rand(f);
	}
}

/* A frame vNIC @x might send: its own identity most of the time. */
static void vf_from_vnic(struct vf *f, const struct vf_vnic *x)
{
	struct flow fl;

	vf_flow(f, &fl);
	if (vf_rand(f) % 4)
		fl.saddr = x->v.addr;
	if (vf_rand(f) % 8)
		memcpy(fl.smac, x->v.mac, 6);
	else
		fl.smac[5] = vf_rand(f);
	memcpy(fl.dmac, vf_gw_mac, 6);
	if (vf_rand(f) % 16 == 0) {
		pkt_arp(&f->in, fl.smac, fl.saddr, fl.daddr);
	} else {
		pkt_inner(&f->in, &fl);
		if (fl.proto == IPPROTO_ICMP && fl.icmp_type != 8 &&
		    fl.icmp_type != 0)
			vf_quote(f, &f->in, &fl);
		/* Don't Fragment, as the stack sets it, but now and then */
		if (vf_rand(f) % 4 == 0) {
			f->in.b[14 + 6] &= ~0x40;
			pkt_ip_recsum(f->in.b + 14);
		}
	}
	vf_mutate(f, &f->in);
}

/* A tunnel packet a remote VTEP might send us. */
static void vf_from_uplink(struct vf *f)
{
	static const uint32_t vnis[] = { 100, 101, 200 };
	static const uint8_t vtep_mac[6] = { 0x02, 0, 0, 0, 0, 0x3a };
	uint32_t vni = vf_rand(f) % 8 ? vf_pick(f, vnis, 3) : vf_rand(f) & 0xffffff;
	const struct vf_vnic *y;
	struct flow fl;
	struct pkt inner;

	vf_flow(f, &fl);
	y = vf_vnic_of_addr(f, vni, fl.daddr);
	memcpy(fl.dmac, y && vf_rand(f) % 8 ? y->v.mac : vf_gw_mac, 6);
	fl.smac[0] = 0x02;
	fl.smac[5] = 0x3a;
	pkt_inner(&inner, &fl);
	if (fl.proto == IPPROTO_ICMP && fl.icmp_type != 8 && fl.icmp_type != 0)
		vf_quote(f, &inner, &fl);
	if (vf_rand(f) % 4)
		pkt_vxlan(&f->in, &inner, f->up0_mac, vtep_mac,
			  pkt_ip4("192.168.50.2"), f->cfg.vtep, vni);
	else
		pkt_geneve(&f->in, &inner, f->up0_mac, vtep_mac,
			   pkt_ip4("192.168.50.2"), f->cfg.vtep, vni,
			   vf_rand(f) % 2 * 8, 0);
	vf_mutate(f, &f->in);
}

/*
 * One test run of @prog on the frame (made at least an Ethernet header
 * long), with context @ctx; the verdict in *@retval.  -errno if the run
 * failed.
 */
static int vf_test_run(struct vf *f, int prog, void *ctx, size_t ctx_size,
		       uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_out = f->out.b,
		    .data_size_out = sizeof(f->out.b),
		    .ctx_in = ctx,
		    .ctx_size_in = ctx_size,
		    .repeat = 1);

	if (f->in.len < 14)
		f->in.len = 14;		/* no test run takes a shorter frame */
	opts.data_in = f->in.b;
	opts.data_size_in = f->in.len;
	if (bpf_prog_test_run_opts(prog, &opts))
		return -errno;
	*retval = opts.retval;
	f->out.len = opts.data_size_out;
	return 0;
}

static int vf_run(struct vf *f, int prog, unsigned int ifindex)
{
	struct xdp_md ctx = { .ingress_ifindex = ifindex };
	int ret;

	ctx.data_end = f->in.len < 14 ? 14 : f->in.len;
	f->as_skb = false;
	ret = vf_test_run(f, prog, &ctx, sizeof(ctx), &f->retval);
	if (ret)
		return vf_fail(f, "BPF_PROG_TEST_RUN: %s", strerror(-ret)), -1;
	if (f->retval < ARRAY_SIZE(f->verdicts))
		f->verdicts[f->retval]++;
	return 0;
}

/*
 * Run the frame through the tc program as an skb of @ifindex, with GSO
 * size @gso; its verdict translated into XDP's.  1 if a test run takes no
 * such skb: the kernel refuses an IPv4 or IPv6 skb shorter than its
 * header (VF_SKB_MIN).
 */
static int vf_run_skb(struct vf *f, unsigned int ifindex, uint32_t gso)
{
	struct __sk_buff ctx = {
		.ifindex = ifindex,
		.gso_size = gso,
	};
	uint32_t retval;
	int ret;

	ret = vf_test_run(f, f->skb_prog, &ctx, sizeof(ctx), &retval);
	if (ret == -EINVAL && f->in.len < VF_SKB_MIN)
		return 1;
	if (ret)
		return vf_fail(f, "BPF_PROG_TEST_RUN (tc): %s",
			       strerror(-ret)), -1;
	switch (retval) {
	case TC_ACT_SHOT:
		f->retval = XDP_DROP_;
		break;
	case TC_ACT_REDIRECT:
		f->retval = XDP_REDIRECT_;
		break;
	default:
		/* nothing else is the program's to answer */
		return vf_fail(f, "tc verdict %u from a vNIC", retval), -1;
	}
	f->verdicts[f->retval]++;
	f->skbs++;
	f->as_skb = true;
	return 0;
}

/* Run a frame of @ifindex through one of the vNICs' programs. */
static int vf_run_vnic(struct vf *f, unsigned int ifindex)
{
	uint32_t gso = 0;
	int ret;

	if (vf_rand(f) % 2)
		return vf_run(f, f->vnic_prog, ifindex);
	if (vf_rand(f) % 4 == 0)
		gso = 1 + vf_rand(f) % 1500;
	ret = vf_run_skb(f, ifindex, gso);
	return ret > 0 ? vf_run(f, f->vnic_prog, ifindex) : ret;
}

/* The tc program of representor @ifindex: our filter on its ingress. */
static int vf_skb_prog(unsigned int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);

	if (bpf_tc_query(&hook, &opts))
		return -1;
	return bpf_prog_get_fd_by_id(opts.prog_id);
}

static int vf_prog(unsigned int ifindex)
{
	__u32 id = 0;

	if (bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &id) || !id)
		return -1;
	return bpf_prog_get_fd_by_id(id);
}

static int vf_setup(struct vf *f, const char *dir)
{
	static const char * const reps[VF_REPS] = { "rep0", "rep1", "rep2" };
	struct ifreq ifr = { .ifr_name = "up0" };
	unsigned int i;
	int sock;

	for (i = 0; i < VF_REPS; i++) {
		f->rep[i] = if_nametoindex(reps[i]);
		if (!f->rep[i] || !vf_vnic_of_if(f, f->rep[i]))
			return -1;
	}
	f->up0 = if_nametoindex("up0");
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (!f->up0 || sock < 0 || ioctl(sock, SIOCGIFHWADDR, &ifr))
		return -1;
	close(sock);
	memcpy(f->up0_mac, ifr.ifr_hwaddr.sa_data, 6);
	f->vnic_prog = vf_prog(f->rep[0]);
	f->uplink_prog = vf_prog(f->up0);
	f->skb_prog = vf_skb_prog(f->rep[0]);
	f->sessions = calloc(VF_SESSIONS, sizeof(*f->sessions));
	return f->vnic_prog < 0 || f->uplink_prog < 0 || f->skb_prog < 0 ||
	       !f->sessions ? -1 : 0;
}

static void vf_dump(const char *what, const struct pkt *pk)
{
	unsigned int i;

	printf("# %s (%u bytes):", what, pk->len);
	for (i = 0; i < pk->len && i < 128; i++)
		printf("%s%02x", i % 32 ? "" : "\n#   ", pk->b[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	unsigned long n, i, seed;
	const struct vf_vnic *x;
	struct vf *f;
	bool ok;

	if (argc != 4) {
		fprintf(stderr, "usage: vpc_fuzz PIN_DIR SEED FRAMES\n");
		return 2;
	}
	seed = strtoul(argv[2], NULL, 0);
	n = strtoul(argv[3], NULL, 0);
	f = calloc(1, sizeof(*f));
	if (!f)
		return 1;
	f->rng = seed * 2 + 1;
	printf("TAP version 13\n1..1\n");
	if (vf_load_policy(f, argv[1]) || vf_setup(f, argv[1])) {
		printf("not ok 1 %s # setup failed\n", VF_NAME);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (vf_rand(f) % 4) {
			x = vf_vnic_of_if(f, f->rep[vf_rand(f) % VF_REPS]);
			vf_from_vnic(f, x);
			ok = !vf_run_vnic(f, x->ifindex) &&
			     vf_check_vnic(f, x);
		} else {
			vf_from_uplink(f);
			ok = !vf_run(f, f->uplink_prog, f->up0) &&
			     vf_check_uplink(f);
		}
		if (!ok) {
			printf("not ok 1 %s # frame %lu of seed %lu: %s\n",
			       VF_NAME, i, seed, f->why);
			vf_dump("in", &f->in);
			vf_dump("out", &f->out);
			return 1;
		}
	}
	printf("ok 1 %s: %lu frames (seed %lu: %lu dropped, ", VF_NAME, n,
	       seed, f->verdicts[XDP_DROP_]);
	printf("%lu passed to the stack, %lu answered, %lu forwarded; %lu as skbs; ",
	       f->verdicts[XDP_PASS_], f->verdicts[XDP_TX_],
	       f->verdicts[XDP_REDIRECT_], f->skbs);
	printf("%lu ICMP frag needed), no finding\n", f->frag_needed);
	return 0;
}
