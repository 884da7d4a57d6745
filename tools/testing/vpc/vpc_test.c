// SPDX-License-Identifier: GPL-2.0
/*
 * vpc_test: every path of the VPC datapath through BPF_PROG_TEST_RUN.
 *
 * Runs in the network namespace run-tests prepares, after zoc-vpc-load
 * attached the programs there with vpc-test.conf: it takes the programs
 * from the representors and the uplink and the maps from their pins, runs
 * hand-built frames through them and checks the verdict, the frame that
 * comes out, the session table and the counter of the outcome.  Each
 * frame runs once (no repeat), so what comes out is what one packet
 * became.  Prints TAP.
 *
 *	vpc_test PIN_DIR
 */

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/zoc_vpc.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vpc-tables.h"
#include "vpc_test.h"

bool expect(struct vt *t, bool cond, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return true;
	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	return false;
}

/* One run of @prog on @in with context @ctx; the verdict in t->retval. */
int run_ctx(struct vt *t, int prog, const struct pkt *in, void *ctx,
	    size_t ctx_size)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = in->b,
		    .data_size_in = in->len,
		    .data_out = t->out.b,
		    .data_size_out = sizeof(t->out.b),
		    .ctx_in = ctx,
		    .ctx_size_in = ctx_size,
		    .repeat = 1);

	if (!expect(t, !bpf_prog_test_run_opts(prog, &opts),
		    "BPF_PROG_TEST_RUN: %s", strerror(errno)))
		return -1;
	t->retval = opts.retval;
	t->out.len = opts.data_size_out;
	return 0;
}

/* One run of @prog as if @in arrived on @ifindex. */
int run(struct vt *t, int prog, unsigned int ifindex,
	const struct pkt *in)
{
	struct xdp_md ctx = {
		.data_end = in->len,
		.ingress_ifindex = ifindex,
	};

	if (t->skb && prog == t->vnic)
		return run_skb(t, ifindex, in);
	return run_ctx(t, prog, in, &ctx, sizeof(ctx));
}

static uint64_t percpu_sum(int fd, uint32_t key, unsigned int idx,
			   unsigned int n)
{
	int ncpus = libbpf_num_possible_cpus(), cpu;
	uint64_t vals[256 * 5], sum = 0;

	if (ncpus > 256 || bpf_map_lookup_elem(fd, &key, vals))
		return ~0ULL;
	for (cpu = 0; cpu < ncpus; cpu++)
		sum += vals[cpu * n + idx];
	return sum;
}

uint64_t drops(struct vt *t, uint32_t reason)
{
	return percpu_sum(t->drops, reason, 0, 1);
}

uint64_t events(struct vt *t, uint32_t ev)
{
	return percpu_sum(t->events, ev, 0, 1);
}

/* Field @idx of the per-vNIC counters of @slot. */
uint64_t vnic_stat(struct vt *t, uint32_t slot, unsigned int idx)
{
	return percpu_sum(t->vnic_stats, slot, idx,
			  sizeof(struct zoc_vpc_vnic_stats) / 8);
}

/* Run @in; it must be dropped and counted as @reason, once. */
int expect_drop(struct vt *t, int prog, unsigned int ifindex,
		const struct pkt *in, uint32_t reason)
{
	uint64_t before = drops(t, reason);

	if (run(t, prog, ifindex, in))
		return -1;
	if (!expect(t, t->retval == XDP_DROP_,
		    "verdict %u, not XDP_DROP for drop reason %u", t->retval,
		    reason))
		return -1;
	return expect(t, drops(t, reason) == before + 1,
		      "drop counter %u went from %llu to %llu", reason,
		      (unsigned long long)before,
		      (unsigned long long)drops(t, reason)) ? 0 : -1;
}

int expect_verdict(struct vt *t, int prog, unsigned int ifindex,
		   const struct pkt *in, uint32_t verdict)
{
	if (run(t, prog, ifindex, in))
		return -1;
	return expect(t, t->retval == verdict, "verdict %u, expected %u",
		      t->retval, verdict) ? 0 : -1;
}

struct flow from_v0(const char *daddr, uint8_t proto, uint16_t sport,
		    uint16_t dport, uint8_t flags)
{
	struct flow f = {
		.saddr = pkt_ip4("10.1.0.10"), .daddr = pkt_ip4(daddr),
		.proto = proto, .sport = sport, .dport = dport,
		.tcp_flags = flags, .icmp_type = 8, .ttl = 64,
	};

	memcpy(f.smac, mac_v0, 6);
	memcpy(f.dmac, mac_gw, 6);
	return f;
}

struct flow from_v1(const char *daddr, uint8_t proto, uint16_t sport,
		    uint16_t dport, uint8_t flags)
{
	struct flow f = from_v0(daddr, proto, sport, dport, flags);

	f.saddr = pkt_ip4("10.1.0.20");
	memcpy(f.smac, mac_v1, 6);
	return f;
}

/* A packet of a remote host, as VTEP 192.168.50.2 sends it to us. */
void remote(struct vt *t, struct pkt *out, const char *saddr,
	    const char *daddr, uint8_t proto, uint16_t sport,
	    uint16_t dport, uint8_t flags, uint32_t vni)
{
	struct flow f = {
		.saddr = pkt_ip4(saddr), .daddr = pkt_ip4(daddr), .proto = proto,
		.sport = sport, .dport = dport, .tcp_flags = flags,
		.icmp_type = 0, .ttl = 64,
	};
	struct pkt inner;

	memcpy(f.smac, mac_r30, 6);
	memcpy(f.dmac, mac_v0, 6);
	pkt_inner(&inner, &f);
	pkt_vxlan(out, &inner, t->up0_mac, mac_up1, pkt_ip4("192.168.50.2"),
		  pkt_ip4("192.168.50.1"), vni);
}

/* The canonical key of a flow, as the datapath makes it. */
void ct_key(struct zoc_vpc_ct_key *key, uint32_t vni, uint8_t proto,
	    const char *a, uint16_t pa, const char *b, uint16_t pb)
{
	uint32_t x = pkt_ip4(a), y = pkt_ip4(b);
	uint16_t px = htons(pa), py = htons(pb);

	memset(key, 0, sizeof(*key));
	key->vni = vni;
	key->proto = proto;
	if (x < y || (x == y && px <= py)) {
		key->addr[0] = x;
		key->addr[1] = y;
		key->port[0] = px;
		key->port[1] = py;
	} else {
		key->addr[0] = y;
		key->addr[1] = x;
		key->port[0] = py;
		key->port[1] = px;
	}
}

/* The set of the session table @key belongs in, and its index. */
int ct_set(struct vt *t, const struct zoc_vpc_ct_key *key,
	   struct zoc_vpc_ct_set *set, uint32_t *idx)
{
	struct zoc_vpc_config cfg;
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(t->config, &zero, &cfg))
		return -1;
	*idx = zoc_vpc_ct_set_of(key, cfg.ct_seed, vpc_table_sets(&cfg));
	return bpf_map_lookup_elem(t->sessions, idx, set) ? -1 : 0;
}

/* The way of @set holding @key, or -1. */
static int ct_way(const struct zoc_vpc_ct_set *set,
		  const struct zoc_vpc_ct_key *key)
{
	int w;

	for (w = 0; w < ZOC_VPC_CT_WAYS; w++)
		if (set->way[w].ct.state != ZOC_VPC_CT_NONE &&
		    !memcmp(&set->way[w].key, key, sizeof(*key)))
			return w;
	return -1;
}

/* The session of a flow, looked up by its canonical key. */
int session(struct vt *t, uint32_t vni, uint8_t proto, const char *a,
	    uint16_t pa, const char *b, uint16_t pb,
	    struct zoc_vpc_ct *ct)
{
	struct zoc_vpc_ct_key key;
	struct zoc_vpc_ct_set set;
	uint32_t idx;
	int w;

	ct_key(&key, vni, proto, a, pa, b, pb);
	if (ct_set(t, &key, &set, &idx))
		return -1;
	w = ct_way(&set, &key);
	if (w < 0)
		return -1;
	*ct = set.way[w].ct;
	return 0;
}

int expect_state(struct vt *t, uint8_t proto, const char *a,
		 uint16_t pa, const char *b, uint16_t pb, uint8_t state)
{
	struct zoc_vpc_ct ct;

	if (!expect(t, !session(t, 100, proto, a, pa, b, pb, &ct),
		    "no session %s:%u %s:%u", a, pa, b, pb))
		return -1;
	return expect(t, ct.state == state, "session state %u, expected %u",
		      ct.state, state) ? 0 : -1;
}

/* Make the session look idle for @secs more than now. */
int age_session(struct vt *t, uint8_t proto, const char *a, uint16_t pa,
		const char *b, uint16_t pb, uint64_t secs)
{
	struct zoc_vpc_ct_key key;
	struct zoc_vpc_ct_set set;
	uint32_t idx;
	int w = -1;

	ct_key(&key, 100, proto, a, pa, b, pb);
	if (!ct_set(t, &key, &set, &idx))
		w = ct_way(&set, &key);
	if (!expect(t, w >= 0, "no session to age"))
		return -1;
	set.way[w].ct.last_seen -= secs * 1000000000ULL;
	return expect(t, !bpf_map_update_elem(t->sessions, &idx, &set, BPF_EXIST),
		      "aging: %s", strerror(errno)) ? 0 : -1;
}

static bool ip_csum_ok(const uint8_t *ip)
{
	return pkt_csum(ip, (ip[0] & 0xf) * 4) == 0;
}

/* What any encapsulated frame must look like, for @inner sent to @remote. */
static int check_outer(struct vt *t, const struct pkt *inner, uint16_t port,
		       uint32_t vni, const uint8_t *inner_dmac)
{
	const uint8_t *o = t->out.b, *ip = o + 14, *udp = ip + 20, *in = o + 50;
	uint32_t saddr, daddr;

	memcpy(&saddr, ip + 12, 4);
	memcpy(&daddr, ip + 16, 4);
	if (!expect(t, t->retval == XDP_REDIRECT_, "verdict %u", t->retval) ||
	    !expect(t, t->out.len == inner->len + 50, "length %u", t->out.len) ||
	    !expect(t, !memcmp(o, mac_up1, 6) && !memcmp(o + 6, t->up0_mac, 6),
		    "outer MACs are not the underlay neighbour's") ||
	    !expect(t, pkt_get16(o + 12) == 0x0800 && ip[0] == 0x45,
		    "outer is not IPv4 without options") ||
	    !expect(t, pkt_get16(ip + 2) == inner->len + 36,
		    "outer total length %u", pkt_get16(ip + 2)) ||
	    !expect(t, pkt_get16(ip + 6) == 0x4000 && ip[8] == 64 && ip[9] == 17,
		    "outer DF, TTL or protocol wrong") ||
	    !expect(t, ip_csum_ok(ip), "outer IPv4 checksum wrong") ||
	    !expect(t, saddr == pkt_ip4("192.168.50.1") &&
		    daddr == pkt_ip4("192.168.50.2"), "outer addresses wrong") ||
	    !expect(t, pkt_get16(udp) >= 49152 && pkt_get16(udp + 2) == port,
		    "UDP ports %u -> %u", pkt_get16(udp), pkt_get16(udp + 2)) ||
	    !expect(t, pkt_get16(udp + 4) == inner->len + 16 &&
		    pkt_get16(udp + 6) == 0, "UDP length or checksum wrong") ||
	    !expect(t, (uint32_t)(o[46] << 16 | o[47] << 8 | o[48]) == vni && !o[49],
		    "VNI wrong"))
		return -1;
	if (!expect(t, !memcmp(in, inner_dmac, 6) &&
		    !memcmp(in + 6, inner->b + 6, 6), "inner MACs wrong") ||
	    !expect(t, in[14 + 8] + 1 == inner->b[14 + 8],
		    "inner TTL not decremented") ||
	    !expect(t, ip_csum_ok(in + 14), "inner IPv4 checksum wrong") ||
	    !expect(t, !memcmp(in + 34, inner->b + 34, inner->len - 34),
		    "inner payload changed"))
		return -1;
	return 0;
}

static int t_encap_vxlan(struct vt *t)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_TCP, 40001, 80, 0x02);
	uint64_t ev = events(t, ZOC_VPC_EV_ENCAP);
	const uint8_t *vx = t->out.b + 42;
	struct pkt in;

	f.payload = 100;
	pkt_inner(&in, &f);
	if (run(t, t->vnic, t->rep[0], &in) ||
	    check_outer(t, &in, 4789, 100, mac_r30))
		return -1;
	if (!expect(t, vx[0] == 0x08 && !vx[1] && !vx[2] && !vx[3],
		    "VXLAN flags wrong"))
		return -1;
	return expect(t, events(t, ZOC_VPC_EV_ENCAP) == ev + 1,
		      "encap not counted") ? 0 : -1;
}

static int t_encap_geneve(struct vt *t)
{
	struct flow f = from_v0("10.1.0.40", IPPROTO_UDP, 40002, 53, 0);
	const uint8_t *gh = t->out.b + 42;
	struct pkt in;

	pkt_inner(&in, &f);
	if (run(t, t->vnic, t->rep[0], &in) ||
	    check_outer(t, &in, 6081, 100, mac_r40))
		return -1;
	return expect(t, gh[0] == 0 && gh[1] == 0 && pkt_get16(gh + 2) == 0x6558,
		      "Geneve base header wrong") ? 0 : -1;
}

static int check_inner_out(struct vt *t, const struct pkt *outer,
			   unsigned int hlen, const uint8_t *dmac)
{
	const uint8_t *in = outer->b + hlen;

	if (!expect(t, t->retval == XDP_REDIRECT_, "verdict %u", t->retval) ||
	    !expect(t, t->out.len == outer->len - hlen, "length %u", t->out.len))
		return -1;
	if (!expect(t, !memcmp(t->out.b, dmac, 6), "inner MAC not the vNIC's") ||
	    !expect(t, !memcmp(t->out.b + 6, in + 6, outer->len - hlen - 6),
		    "inner frame changed"))
		return -1;
	return 0;
}

static int t_decap_vxlan(struct vt *t)
{
	uint64_t to = vnic_stat(t, 0, 2);
	struct pkt out;

	/* the answer to t_encap_vxlan's SYN */
	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_TCP, 80, 40001,
	       0x12, 100);
	if (run(t, t->uplink, t->up0, &out) ||
	    check_inner_out(t, &out, 50, mac_v0) ||
	    expect_state(t, IPPROTO_TCP, "10.1.0.10", 40001, "10.1.0.30", 80,
			 ZOC_VPC_CT_SYN_RECV))
		return -1;
	return expect(t, vnic_stat(t, 0, 2) == to + 1,
		      "vNIC to_packets not counted") ? 0 : -1;
}

static int t_decap_geneve(struct vt *t)
{
	struct flow f = {
		.saddr = pkt_ip4("10.1.0.40"), .daddr = pkt_ip4("10.1.0.10"),
		.proto = IPPROTO_TCP, .sport = 33000, .dport = 22,
		.tcp_flags = 0x02, .ttl = 64,
	};
	struct pkt inner, out;

	memcpy(f.smac, mac_r40, 6);
	memcpy(f.dmac, mac_v0, 6);
	pkt_inner(&inner, &f);
	pkt_geneve(&out, &inner, t->up0_mac, mac_up1, pkt_ip4("192.168.50.2"),
		   pkt_ip4("192.168.50.1"), 100, 8, 0);
	if (run(t, t->uplink, t->up0, &out))
		return -1;
	return check_inner_out(t, &out, 58, mac_v0);
}

static int t_local(struct vt *t)
{
	struct flow f = from_v0("10.1.0.20", IPPROTO_TCP, 40003, 8080, 0x02);
	uint64_t ev = events(t, ZOC_VPC_EV_LOCAL);
	struct pkt in;

	pkt_inner(&in, &f);
	if (expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_))
		return -1;
	if (!expect(t, t->out.len == in.len && !memcmp(t->out.b, mac_v1, 6),
		    "not addressed to vNIC 1") ||
	    !expect(t, t->out.b[22] == 63 && ip_csum_ok(t->out.b + 14),
		    "TTL or checksum wrong") ||
	    !expect(t, events(t, ZOC_VPC_EV_LOCAL) == ev + 1, "not counted"))
		return -1;
	return expect_state(t, IPPROTO_TCP, "10.1.0.10", 40003, "10.1.0.20",
			    8080, ZOC_VPC_CT_SYN_SENT);
}

static int check_arp(struct vt *t, const uint8_t *mac, uint32_t ip)
{
	const uint8_t *a = t->out.b + 14;
	uint32_t sip, tip;

	memcpy(&sip, a + 14, 4);
	memcpy(&tip, a + 24, 4);
	if (!expect(t, t->retval == XDP_TX_, "verdict %u", t->retval) ||
	    !expect(t, !memcmp(t->out.b, mac_v0, 6) &&
		    !memcmp(t->out.b + 6, mac, 6), "reply MACs wrong") ||
	    !expect(t, pkt_get16(a + 6) == 2, "not a reply") ||
	    !expect(t, !memcmp(a + 8, mac, 6) && sip == ip, "sender wrong") ||
	    !expect(t, !memcmp(a + 18, mac_v0, 6) && tip == pkt_ip4("10.1.0.10"),
		    "target wrong"))
		return -1;
	return 0;
}

static int t_arp_gateway(struct vt *t)
{
	uint64_t ev = events(t, ZOC_VPC_EV_ARP_REPLY);
	struct pkt in;

	pkt_arp(&in, mac_v0, pkt_ip4("10.1.0.10"), pkt_ip4("10.1.0.1"));
	if (run(t, t->vnic, t->rep[0], &in) ||
	    check_arp(t, mac_gw, pkt_ip4("10.1.0.1")))
		return -1;
	return expect(t, events(t, ZOC_VPC_EV_ARP_REPLY) == ev + 1,
		      "not counted") ? 0 : -1;
}

static int t_arp_peer(struct vt *t)
{
	struct pkt in;

	pkt_arp(&in, mac_v0, pkt_ip4("10.1.0.10"), pkt_ip4("10.1.0.30"));
	if (run(t, t->vnic, t->rep[0], &in))
		return -1;
	if (check_arp(t, mac_r30, pkt_ip4("10.1.0.30")))
		return -1;
	pkt_arp(&in, mac_v0, pkt_ip4("10.1.0.10"), pkt_ip4("10.1.0.20"));
	if (run(t, t->vnic, t->rep[0], &in))
		return -1;
	return check_arp(t, mac_v1, pkt_ip4("10.1.0.20"));
}

static int t_arp_unknown(struct vt *t)
{
	struct pkt in;

	pkt_arp(&in, mac_v0, pkt_ip4("10.1.0.10"), pkt_ip4("10.1.0.99"));
	if (expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_ARP))
		return -1;
	/* a reply is not a request */
	pkt_arp(&in, mac_v0, pkt_ip4("10.1.0.10"), pkt_ip4("10.1.0.1"));
	in.b[14 + 7] = 2;
	return expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_ARP);
}

static int t_sg_egress(struct vt *t)
{
	struct flow f = from_v1("10.1.0.30", IPPROTO_TCP, 40004, 80, 0x02);
	struct pkt in;

	pkt_inner(&in, &f);
	if (expect_verdict(t, t->vnic, t->rep[1], &in, XDP_REDIRECT_))
		return -1;
	f = from_v1("10.1.0.30", IPPROTO_TCP, 40004, 443, 0x02);
	pkt_inner(&in, &f);
	if (expect_drop(t, t->vnic, t->rep[1], &in, ZOC_VPC_DROP_SG))
		return -1;
	return expect(t, session(t, 100, IPPROTO_TCP, "10.1.0.20", 40004,
				 "10.1.0.30", 443, &(struct zoc_vpc_ct){}),
		      "a denied packet created a session") ? 0 : -1;
}

static int t_sg_ingress(struct vt *t)
{
	struct pkt out;

	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_TCP, 33001, 23,
	       0x02, 100);
	if (expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_SG))
		return -1;
	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_TCP, 33001, 22,
	       0x02, 100);
	return expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_);
}

static int t_sg_local_ingress(struct vt *t)
{
	struct flow f = from_v0("10.1.0.20", IPPROTO_TCP, 40005, 8081, 0x02);
	struct pkt in;

	/* vNIC 0 may send anything; vNIC 1 takes 8080 only */
	pkt_inner(&in, &f);
	return expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_SG);
}

static int t_sg_udp(struct vt *t)
{
	struct flow f = from_v1("10.1.0.30", IPPROTO_UDP, 40006, 53, 0);
	struct pkt in, out;

	pkt_inner(&in, &f);
	if (expect_verdict(t, t->vnic, t->rep[1], &in, XDP_REDIRECT_))
		return -1;
	remote(t, &out, "10.1.0.30", "10.1.0.20", IPPROTO_UDP, 53, 40006, 0,
	       100);
	if (expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_) ||
	    expect_state(t, IPPROTO_UDP, "10.1.0.20", 40006, "10.1.0.30", 53,
			 ZOC_VPC_CT_UDP_REPLIED))
		return -1;
	remote(t, &out, "10.1.0.30", "10.1.0.20", IPPROTO_UDP, 53, 40007, 0,
	       100);
	return expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_SG);
}

static int t_ttl(struct vt *t)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_UDP, 40030, 53, 0);
	struct pkt in;

	f.ttl = 1;
	pkt_inner(&in, &f);
	if (expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_TTL))
		return -1;
	f.ttl = 2;
	pkt_inner(&in, &f);
	if (expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_))
		return -1;
	return expect(t, t->out.b[50 + 22] == 1, "TTL 2 left as %u",
		      t->out.b[50 + 22]) ? 0 : -1;
}

static int t_default_route(struct vt *t)
{
	struct flow f = from_v0("198.51.100.7", IPPROTO_UDP, 40031, 53, 0);
	struct pkt in;

	pkt_inner(&in, &f);
	if (run(t, t->vnic, t->rep[0], &in))
		return -1;
	return check_outer(t, &in, 4789, 100, mac_def);
}

static int t_blackhole(struct vt *t)
{
	struct flow f = from_v0("10.1.0.99", IPPROTO_UDP, 40032, 53, 0);
	struct pkt in;

	pkt_inner(&in, &f);
	return expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_BLACKHOLE);
}

static int t_no_route(struct vt *t)
{
	struct flow f = {
		.saddr = pkt_ip4("10.2.0.10"), .daddr = pkt_ip4("198.51.100.7"),
		.proto = IPPROTO_UDP, .sport = 1, .dport = 53, .ttl = 64,
	};
	struct pkt in;

	memcpy(f.smac, mac_v2, 6);
	memcpy(f.dmac, mac_gw, 6);
	pkt_inner(&in, &f);
	return expect_drop(t, t->vnic, t->rep[2], &in, ZOC_VPC_DROP_NO_ROUTE);
}

static int t_unknown_vni(struct vt *t)
{
	struct pkt out;

	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_UDP, 1, 2, 0, 999);
	return expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_UNKNOWN_VNI);
}

static int t_not_local(struct vt *t)
{
	struct pkt out;

	remote(t, &out, "10.1.0.40", "10.1.0.30", IPPROTO_UDP, 1, 2, 0, 100);
	if (expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_NOT_LOCAL))
		return -1;
	/* VNI 200 is known but has no route at all */
	remote(t, &out, "10.1.0.40", "10.1.0.30", IPPROTO_UDP, 1, 2, 0, 200);
	return expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_NOT_LOCAL);
}

static int t_local_source(struct vt *t)
{
	struct pkt out;

	/* rep0's egress and rep1's ingress groups would admit it */
	remote(t, &out, "10.1.0.10", "10.1.0.20", IPPROTO_TCP, 40100, 8080,
	       0x02, 100);
	return expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_SPOOF);
}

static int t_no_port(struct vt *t)
{
	struct flow f = from_v0("10.1.0.20", IPPROTO_TCP, 40042, 8080, 0x02);
	unsigned int ifindex = t->rep[1];
	struct pkt in;
	int ret;

	if (!expect(t, !bpf_map_delete_elem(t->ports, &ifindex),
		    "ports: %s", strerror(errno)))
		return -1;
	pkt_inner(&in, &f);
	ret = expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_NO_PORT);
	bpf_map_update_elem(t->ports, &ifindex, &ifindex, BPF_ANY);
	return ret;
}

static int t_pass(struct vt *t)
{
	uint64_t ev = events(t, ZOC_VPC_EV_PASS);
	struct pkt inner, out;
	struct flow f = {
		.saddr = pkt_ip4("192.168.50.2"), .daddr = pkt_ip4("192.168.50.1"),
		.proto = IPPROTO_UDP, .sport = 1000, .dport = 53, .ttl = 64,
	};

	/* UDP to another port of the VTEP address, then to another address */
	memcpy(f.smac, mac_up1, 6);
	memcpy(f.dmac, t->up0_mac, 6);
	pkt_inner(&out, &f);
	if (expect_verdict(t, t->uplink, t->up0, &out, XDP_PASS_))
		return -1;
	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_UDP, 1, 2, 0, 100);
	memcpy(&inner, &out, sizeof(inner));
	memcpy(inner.b + 14 + 16, &f.saddr, 4);
	pkt_ip_recsum(inner.b + 14);
	if (expect_verdict(t, t->uplink, t->up0, &inner, XDP_PASS_))
		return -1;
	return expect(t, events(t, ZOC_VPC_EV_PASS) == ev + 2,
		      "pass not counted") ? 0 : -1;
}

static int t_no_vnic(struct vt *t)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_UDP, 40043, 53, 0);
	struct pkt in;

	pkt_inner(&in, &f);
	return expect_drop(t, t->vnic, t->up0, &in, ZOC_VPC_DROP_NO_VNIC);
}

static int t_vnic_counters(struct vt *t)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_UDP, 40044, 53, 0);
	uint64_t from = vnic_stat(t, 0, 0), bytes = vnic_stat(t, 0, 1);
	uint64_t dropped = vnic_stat(t, 0, 4);
	struct pkt in;

	pkt_inner(&in, &f);
	if (expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_) ||
	    !expect(t, vnic_stat(t, 0, 0) == from + 1 &&
		    vnic_stat(t, 0, 1) == bytes + in.len,
		    "from_packets/from_bytes not counted"))
		return -1;
	f.ttl = 1;
	pkt_inner(&in, &f);
	if (expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_TTL))
		return -1;
	return expect(t, vnic_stat(t, 0, 4) == dropped + 1,
		      "vNIC drops not counted") ? 0 : -1;
}

static const struct vt_case vt_cases[] = {
	{ "encap: VXLAN outer headers, checksums, inner rewrite", t_encap_vxlan },
	{ "encap: Geneve base header", t_encap_geneve },
	{ "decap: VXLAN answer of a session to its vNIC", t_decap_vxlan },
	{ "decap: Geneve with options, allowed by the ingress group", t_decap_geneve },
	{ "local: vNIC to vNIC of the same VPC", t_local },
	{ "arp: the gateway is answered", t_arp_gateway, true },
	{ "arp: VPC peers are answered", t_arp_peer, true },
	{ "arp: unknown targets and replies are dropped", t_arp_unknown, true },
	{ "sg: egress rule allows its port, denies others", t_sg_egress },
	{ "sg: ingress group denies unsolicited tunnel traffic", t_sg_ingress },
	{ "sg: the receiving vNIC's ingress group denies local traffic", t_sg_local_ingress },
	{ "sg: UDP answer passes, unsolicited UDP does not", t_sg_udp },
	{ "ct: TCP SYN, SYN+ACK, ACK, data, FIN, FIN, new SYN, RST", t_ct_tcp },
	{ "ct: TCP FIN, RST, SYN+ACK without a session are dropped", t_ct_no_session },
	{ "ct: an ACK cannot answer a SYN", t_ct_bad_answer },
	{ "ct: ICMP echo, reply, unsolicited reply", t_ct_icmp },
	{ "ct: ICMP errors of a session pass, others do not", t_ct_related },
	{ "ct: a vNIC's ICMP error quotes what it was sent", t_ct_related_out },
	{ "ct: established TCP session expires after its timeout", t_ct_timeout_tcp },
	{ "ct: an ACK takes up a connection its sender may open", t_ct_pickup_sender },
	{ "ct: an ACK takes up a connection its receiver may open", t_ct_pickup_receiver },
	{ "ct: no pick-up of a connection the groups refuse", t_ct_pickup_sg },
	{ "ct: tcp_pickup off: only a SYN opens", t_ct_pickup_strict },
	{ "ct: UDP session expires after its timeout", t_ct_timeout_udp },
	{ "ct: a full set evicts its least recently seen session", t_ct_evict },
	{ "ct: answered sessions are not evicted by new ones", t_ct_evict_answered },
	{ "ct: a new session takes an expired entry, not a live one", t_ct_reuse_expired },
	{ "ct: a vNIC's quota of sessions, given back by the sweep", t_ct_quota },
	{ "route: TTL 1 is dropped, TTL 2 leaves as 1", t_ttl },
	{ "route: default route to the gateway's VTEP", t_default_route },
	{ "route: blackhole", t_blackhole },
	{ "route: no route", t_no_route },
	{ "tunnel: unknown VNI", t_unknown_vni },
	{ "tunnel: destination not on this service VM", t_not_local },
	{ "tunnel: source a vNIC of this service VM", t_local_source },
	{ "underlay: unresolved VTEP neighbour", t_underlay },
	{ "underlay: MTU exceeded: ICMP fragmentation needed, or a drop", t_mtu },
	{ "underlay: ICMP fragmentation needed is rate-limited", t_mtu_rate, true },
	{ "underlay: a changed or lost neighbour is followed", t_underlay_change },
	{ "ports: output device missing", t_no_port },
	{ "uplink: other traffic goes to the stack", t_pass },
	{ "vnic: unconfigured representor", t_no_vnic },
	{ "vnic: per-vNIC packet, byte and drop counters", t_vnic_counters },
	/* a test run refuses an IPv4 skb shorter than its header */
	{ "malformed: truncated IPv4 header", t_bad_trunc_ip, true },
	{ "malformed: truncated L4 header", t_bad_trunc_l4 },
	{ "malformed: TCP data offset beyond the packet", t_bad_tcp_doff },
	{ "malformed: IPv4 options", t_bad_options },
	{ "malformed: fragments", t_bad_fragment },
	{ "malformed: bad checksum, total length, version", t_bad_ip },
	{ "malformed: IPv6 and other L3", t_bad_l3 },
	{ "malformed: other L4 protocol", t_bad_l4 },
	{ "malformed: spoofed source address and MAC", t_spoof },
	{ "malformed: broadcast and multicast destination", t_broadcast },
	{ "malformed: VXLAN flags and reserved bits", t_bad_vxlan },
	{ "malformed: Geneve critical, OAM, version, protocol", t_bad_geneve },
	{ "malformed: outer checksum, lengths, fragment, options, truncation", t_bad_outer_ip },
	{ "malformed: ARP and bad IPv4 inside the tunnel", t_bad_inner_tunnel },
	/* last: the tables change */
	{ "ct: the table grows under traffic, keeping every session", t_ct_grow, true },
};

static int vt_prog(unsigned int ifindex, int *fd)
{
	__u32 id = 0;
	int ret;

	ret = bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &id);
	if (ret || !id)
		return ret ?: -ENOENT;
	*fd = bpf_prog_get_fd_by_id(id);
	return *fd < 0 ? -errno : 0;
}

static int vt_map(const char *dir, const char *name, int *fd)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*fd = bpf_obj_get(path);
	if (*fd < 0)
		fprintf(stderr, "vpc_test: %s: %s\n", path, strerror(errno));
	return *fd < 0 ? -errno : 0;
}

/* (Re)open the session table in use as t->sessions. */
int vt_table(struct vt *t)
{
	struct zoc_vpc_config cfg;

	if (t->sessions > 0)
		close(t->sessions);
	t->sessions = vpc_table_fd(t->tables, t->config, &cfg);
	if (t->sessions < 0)
		fprintf(stderr, "vpc_test: session table: %s\n",
			strerror(errno));
	return t->sessions < 0 ? -ENOENT : 0;
}

static int vt_setup(struct vt *t, const char *dir)
{
	static const char * const reps[] = { "rep0", "rep1", "rep2" };
	struct ifreq ifr = { .ifr_name = "up0" };
	unsigned int i;
	int sock, ret;

	for (i = 0; i < 3; i++) {
		t->rep[i] = if_nametoindex(reps[i]);
		if (!t->rep[i])
			return -ENODEV;
	}
	t->up0 = if_nametoindex("up0");
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (!t->up0 || sock < 0 || ioctl(sock, SIOCGIFHWADDR, &ifr))
		return -ENODEV;
	close(sock);
	memcpy(t->up0_mac, ifr.ifr_hwaddr.sa_data, 6);
	ret = vt_prog(t->rep[0], &t->vnic) ?: vt_prog(t->up0, &t->uplink) ?:
	      vt_skb_prog(t->rep[0], &t->vnic_skb);
	if (ret) {
		fprintf(stderr, "vpc_test: programs not attached: %s\n",
			strerror(-ret));
		return ret;
	}
	return vt_map(dir, ZOC_VPC_PIN_SESSIONS, &t->tables) ?:
	       vt_map(dir, ZOC_VPC_PIN_DROPS, &t->drops) ?:
	       vt_map(dir, ZOC_VPC_PIN_EVENTS, &t->events) ?:
	       vt_map(dir, ZOC_VPC_PIN_PORTS, &t->ports) ?:
	       vt_map(dir, ZOC_VPC_PIN_CONFIG, &t->config) ?:
	       vt_map(dir, ZOC_VPC_PIN_VNIC_STATS, &t->vnic_stats) ?:
	       vt_map(dir, ZOC_VPC_PIN_VNICS, &t->vnics) ?:
	       vt_map(dir, ZOC_VPC_PIN_CT_HELD, &t->ct_held) ?:
	       vt_map(dir, ZOC_VPC_PIN_SWEEP_PROG, &t->sweep) ?:
	       vt_table(t);
}

/* Case @c, test number @nr, through the tc program if @skb. */
static int vt_run(struct vt *t, const struct vt_case *c, unsigned int nr,
		  bool skb)
{
	t->why[0] = '\0';
	t->skb = skb;
	t->gso_size = 0;
	if (c->fn(t)) {
		printf("not ok %u %s%s # %s\n", nr, skb ? "skb: " : "",
		       c->name, t->why);
		fflush(stdout);
		return -1;
	}
	printf("ok %u %s%s\n", nr, skb ? "skb: " : "", c->name);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int i, nr = 0, n = ARRAY_SIZE(vt_cases);
	struct vt *t;
	int failed = 0;

	/* then again through the tc program, the cases that apply to it */
	for (i = 0; i < ARRAY_SIZE(vt_cases); i++)
		n += !vt_cases[i].xdp_only;
	n += vt_nr_skb_cases;

	if (argc != 2) {
		fprintf(stderr, "usage: vpc_test PIN_DIR\n");
		return 2;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return 1;
	printf("TAP version 13\n1..%u\n", n);
	if (vt_setup(t, argv[1])) {
		for (i = 0; i < n; i++)
			printf("not ok %u setup failed\n", i + 1);
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(vt_cases); i++)
		failed += !!vt_run(t, &vt_cases[i], ++nr, false);
	/* a fresh table: the cases reuse their flows */
	if (vt_flush(t))
		fprintf(stderr, "vpc_test: flushing the sessions failed\n");
	for (i = 0; i < ARRAY_SIZE(vt_cases); i++)
		if (!vt_cases[i].xdp_only)
			failed += !!vt_run(t, &vt_cases[i], ++nr, true);
	for (i = 0; i < vt_nr_skb_cases; i++)
		failed += !!vt_run(t, &vt_skb_cases[i], ++nr, true);
	free(t);
	return failed ? 1 : 0;
}
