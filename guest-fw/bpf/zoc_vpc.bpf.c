// SPDX-License-Identifier: GPL-2.0
/*
 * zoc_vpc: the VPC datapath of the ZOC service VM, as two XDP programs and
 * one tc program.
 *
 * zoc_vpc_vnic runs on every port representor.  A frame there was sent by
 * a host vNIC: ARP requests for the gateway or a VPC peer are answered in
 * place; IPv4 packets are checked against the vNIC's addresses, routed in
 * the vNIC's VPC, admitted by connection tracking or, for a new session, by
 * the security groups, then delivered to another vNIC of this service VM
 * or encapsulated (VXLAN or Geneve) towards the remote VTEP of the route.
 * zoc_vpc_vnic_skb, on the representor's tc ingress, does the same for the
 * frames that come as skbs, TSO frames of the host: XDP has no place for
 * their segmentation, which must follow the encapsulation.
 *
 * zoc_vpc_uplink runs on the uplink.  UDP to this service VM's VTEP
 * address on the VXLAN or Geneve port is decapsulated, routed in the VPC
 * of its VNI to a local vNIC, admitted as above and delivered; everything
 * else goes to the stack untouched.
 *
 * Everything a peer sends is untrusted: each header is bounds-checked
 * before use, and what cannot be handled is dropped and counted by reason
 * (enum zoc_vpc_drop).  Sessions expire without a daemon: an entry idle
 * past the timeout of its state is treated as absent when next looked up.
 * The session table is set-associative: a session can only be in the set
 * its key hashes to, and a new session takes a free or expired entry of
 * the set or, the set being full, the least recently seen one.  Each
 * session counts against one vNIC, which may hold at most a quota of the
 * table; a BPF timer sweeps the table in the background (zoc_vpc_sweep),
 * freeing expired entries so that they count against nobody.
 *
 * Only UAPI packet formats and helpers of Linux 6.1 are used.
 */
#include "vpc_common.h"
#include "vpc_parse.h"
#include "vpc_ct.h"

/* Spread flows over the underlay's ECMP paths by the outer source port. */
static __always_inline __u16 vpc_flow_port(const struct zoc_vpc_ct_key *k)
{
	__u32 h = k->addr[0] ^ k->addr[1] ^ k->vni ^ k->proto ^
		  ((__u32)k->port[0] << 16 | k->port[1]);

	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	return OUTER_SPORT_MIN + (h & 0x3fff);
}

/*
 * The underlay next hop of @remote for a packet of @tot_len bytes: from
 * this CPU's cache if it was looked up less than ZOC_VPC_NH_TTL_NS ago
 * and the packet fits its MTU, else from the kernel's FIB and neighbour
 * table (bpf_fib_lookup(), which also checks the MTU), refreshing the
 * cache.  A failed lookup leaves the cache alone: it is stale already, or
 * the packet was too big for a next hop that is still good.  A changed
 * underlay route or neighbour is thus followed within ZOC_VPC_NH_TTL_NS.
 * A packet too big gives the route's MTU in @mtu.
 */
static __always_inline int vpc_nexthop(void *ctx,
				       const struct zoc_vpc_config *cfg,
				       __be32 remote, __u16 tot_len, __u64 now,
				       struct zoc_vpc_nexthop **nhp, __u16 *mtu)
{
	struct bpf_fib_lookup fib = {};
	struct zoc_vpc_nexthop *nh;
	__u32 idx;
	long ret;

	idx = (bpf_ntohl(remote) * 0x9e3779b1U) >> 24;
	nh = bpf_map_lookup_elem(&zoc_vpc_nexthops, &idx);
	if (!nh)
		return ZOC_VPC_DROP_UNDERLAY;
	*nhp = nh;
	if (nh->remote == remote && now - nh->checked < ZOC_VPC_NH_TTL_NS &&
	    tot_len <= nh->mtu)
		return VPC_OK;

	fib.family = AF_INET;
	fib.ipv4_src = cfg->vtep;
	fib.ipv4_dst = remote;
	fib.ifindex = cfg->uplink;
	/* the lookup checks the MTU, and returns it in the same field */
	fib.tot_len = tot_len;
	ret = bpf_fib_lookup(ctx, &fib, sizeof(fib), BPF_FIB_LOOKUP_OUTPUT);
	if (ret == BPF_FIB_LKUP_RET_FRAG_NEEDED) {
		*mtu = fib.mtu_result;
		return ZOC_VPC_DROP_MTU;
	}
	if (ret != BPF_FIB_LKUP_RET_SUCCESS)
		return ZOC_VPC_DROP_UNDERLAY;
	nh->remote = remote;
	nh->ifindex = fib.ifindex;
	nh->checked = now;
	/* 0 (no MTU returned) makes every packet look the next hop up */
	nh->mtu = fib.mtu_result;
	__builtin_memcpy(nh->dmac, fib.dmac, ETH_ALEN);
	__builtin_memcpy(nh->smac, fib.smac, ETH_ALEN);
	return VPC_OK;
}

/*
 * Write Ethernet, IPv4, UDP and the VXLAN or Geneve base header at @data,
 * VPC_ENCAP_LEN bytes in front of the inner frame, addressed to the route's
 * VTEP through next hop @nh; @tot_len is the outer IPv4 length.  The outer
 * UDP checksum is zero, as RFC 7348 and RFC 8926 allow over IPv4.
 */
static __always_inline void vpc_encap_write(void *data,
					    const struct zoc_vpc_config *cfg,
					    const struct zoc_vpc_route *rt,
					    const struct vpc_pkt *p,
					    const struct zoc_vpc_nexthop *nh,
					    __u16 tot_len)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct vpc_vxlan *vx = (void *)(udp + 1);
	struct vpc_geneve *gh = (void *)vx;

	__builtin_memcpy(eth->h_dest, nh->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, nh->smac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);

	*(__u8 *)ip = 0x45;
	ip->tos = p->tos;
	ip->tot_len = bpf_htons(tot_len);
	ip->id = 0;
	ip->frag_off = bpf_htons(IP_DF);
	ip->ttl = OUTER_TTL;
	ip->protocol = IPPROTO_UDP;
	ip->check = 0;
	ip->saddr = cfg->vtep;
	ip->daddr = rt->remote;
	ip->check = ~vpc_ip_sum(ip);

	udp->source = bpf_htons(vpc_flow_port(&p->key));
	udp->len = bpf_htons(tot_len - sizeof(*ip));
	udp->check = 0;
	if (rt->encap == ZOC_VPC_ENCAP_GENEVE) {
		udp->dest = bpf_htons(cfg->geneve_port);
		gh->ver_opt = 0;
		gh->flags = 0;
		gh->proto = bpf_htons(ETH_P_TEB);
		gh->vni = bpf_htonl(p->key.vni << 8);
	} else {
		udp->dest = bpf_htons(cfg->vxlan_port);
		vx->flags = bpf_htonl(VXLAN_FLAGS);
		vx->vni = bpf_htonl(p->key.vni << 8);
	}
}

/*
 * Encapsulate the frame towards the route's VTEP through next hop @nh
 * (vpc_nexthop()); the output device through @ifindex.
 */
static __always_inline int vpc_encap(struct xdp_md *ctx,
				     const struct zoc_vpc_config *cfg,
				     const struct zoc_vpc_route *rt,
				     const struct vpc_pkt *p,
				     const struct zoc_vpc_nexthop *nh,
				     __u32 *ifindex)
{
	__u16 tot_len = ctx->data_end - ctx->data + VPC_ENCAP_LEN -
			sizeof(struct ethhdr);
	void *data, *end;

	if (bpf_xdp_adjust_head(ctx, -(int)VPC_ENCAP_LEN))
		return ZOC_VPC_DROP_HEADROOM;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + VPC_ENCAP_LEN > end)
		return ZOC_VPC_DROP_HEADROOM;
	vpc_encap_write(data, cfg, rt, p, nh, tot_len);
	*ifindex = nh->ifindex;
	return VPC_OK;
}

/*
 * ICMP "fragmentation needed" for a packet of a vNIC that the underlay's
 * MTU does not take, from the vNIC's gateway: Ethernet, IPv4, ICMP and
 * what it quotes, the packet's IPv4 header and 8 bytes (RFC 792).
 */
#define VPC_ICMP_QUOTE	(sizeof(struct iphdr) + 8)
#define VPC_ICMP_LEN	(sizeof(struct ethhdr) + sizeof(struct iphdr) + \
			 sizeof(struct vpc_icmp) + VPC_ICMP_QUOTE)
/* At most this many a second to each vNIC from each CPU, in bursts of ... */
#define VPC_ICMP_RATE	1000
#define VPC_ICMP_BURST	50

/*
 * An ICMP error may go to the vNIC in @slot: a token of its bucket on this
 * CPU is taken.  One vNIC's flood does not silence another's.
 */
static __always_inline bool vpc_icmp_ok(__u32 slot, __u64 now)
{
	struct vpc_icmp_bucket *b;
	__u64 add;

	b = bpf_map_lookup_elem(&zoc_vpc_icmp_bucket, &slot);
	if (!b)
		return false;
	add = (now - b->stamp) / (1000000000ULL / VPC_ICMP_RATE);
	if (add) {
		b->tokens = b->tokens + add < VPC_ICMP_BURST ?
			    b->tokens + add : VPC_ICMP_BURST;
		b->stamp = now;
	}
	if (!b->tokens)
		return false;
	b->tokens--;
	return true;
}

/*
 * Whether a vNIC's packet @p, IPv4 header @ip (in the frame), too big
 * for the underlay's MTU @mtu once encapsulated, is answered: it has
 * Don't Fragment, is no ICMP error (RFC 1122), is longer by its own IPv4
 * length than what fits (not a padded frame), the MTU leaves IPv4's
 * minimum of 68 inside, and the vNIC in @slot has a token on this CPU.
 */
static __always_inline bool vpc_frag_needed_due(const struct iphdr *ip,
						const struct vpc_pkt *p,
						__u16 mtu, __u32 slot,
						__u64 now)
{
	return (ip->frag_off & bpf_htons(IP_DF)) && !p->related &&
	       mtu >= VPC_ENCAP_LEN + 68 &&
	       bpf_ntohs(ip->tot_len) > mtu - VPC_ENCAP_LEN &&
	       vpc_icmp_ok(slot, now);
}

/*
 * Write at @data, VPC_ICMP_LEN bytes long at least, the ICMP error telling
 * the vNIC that at most @mtu bytes of IPv4 pass, quoting @quote (the
 * packet's first VPC_ICMP_QUOTE bytes of IPv4), over the packet's
 * Ethernet header: its source, the vNIC, becomes the destination, and its
 * type stays IPv4.
 */
static __always_inline int vpc_frag_needed_write(void *data, void *end,
						 const __u8 *quote,
						 const struct zoc_vpc_vnic *vnic,
						 __u16 mtu)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct vpc_icmp *icmp = (void *)(ip + 1);
	const __u16 *word;
	__u32 sum = 0;
	int i;

	if (data + VPC_ICMP_LEN > end)
		return ZOC_VPC_DROP_TRUNCATED;
	__builtin_memcpy((void *)(icmp + 1), quote, VPC_ICMP_QUOTE);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, vnic->gateway_mac, ETH_ALEN);

	*(__u8 *)ip = 0x45;
	ip->tos = 0xc0;			/* internetwork control */
	ip->tot_len = bpf_htons(VPC_ICMP_LEN - sizeof(struct ethhdr));
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = OUTER_TTL;
	ip->protocol = IPPROTO_ICMP;
	ip->check = 0;
	ip->saddr = vnic->gateway;
	ip->daddr = vnic->addr;
	ip->check = ~vpc_ip_sum(ip);

	icmp->type = ICMP_DEST_UNREACH;
	icmp->code = ICMP_FRAG_NEEDED;
	icmp->checksum = 0;
	icmp->unused = 0;
	icmp->mtu = bpf_htons(mtu);
	word = (const __u16 *)icmp;
#pragma unroll
	for (i = 0; i < (int)(sizeof(*icmp) + VPC_ICMP_QUOTE) / 2; i++)
		sum += word[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	icmp->checksum = ~(__u16)sum;
	return VPC_OK;
}

/*
 * A vNIC's packet @p too big for the underlay's MTU @mtu, once
 * encapsulated: with Don't Fragment (path MTU discovery), answered with
 * ICMP "fragmentation needed" naming what fits inside, as a router does;
 * without it, dropped (the VPC does not fragment).  Counted as dropped
 * for the MTU either way, and the answer as ZOC_VPC_EV_FRAG_NEEDED.  No
 * answer to an ICMP error (RFC 1122), nor to a packet whose IPv4 length
 * fits (a padded frame).
 */
static __always_inline int vpc_too_big(struct xdp_md *ctx,
				       const struct zoc_vpc_vnic *vnic,
				       const struct vpc_pkt *p, __u16 mtu,
				       __u64 now)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u8 quote[VPC_ICMP_QUOTE];
	__u32 len = end - data;

	vpc_drop(ZOC_VPC_DROP_MTU, vnic->slot);
	if ((void *)ip + VPC_ICMP_QUOTE > end ||
	    !vpc_frag_needed_due(ip, p, mtu, vnic->slot, now))
		return XDP_DROP;
	__builtin_memcpy(quote, ip, VPC_ICMP_QUOTE);
	if (vpc_frag_needed_write(data, end, quote, vnic,
				  mtu - VPC_ENCAP_LEN) != VPC_OK)
		return XDP_DROP;
	if (bpf_xdp_adjust_tail(ctx, (int)VPC_ICMP_LEN - (int)len))
		return XDP_DROP;
	vpc_event(ZOC_VPC_EV_FRAG_NEEDED);
	return XDP_TX;
}

/* Answer an ARP request for the gateway or a VPC host, in place. */
static __always_inline int vpc_arp(void *data, void *end,
				   const struct zoc_vpc_vnic *vnic)
{
	struct ethhdr *eth = data;
	struct vpc_arp *arp = (void *)(eth + 1);
	const struct zoc_vpc_route *rt;
	__be32 tip, sip;
	const __u8 *mac;

	if ((void *)(arp + 1) > end)
		return ZOC_VPC_DROP_TRUNCATED;
	if (arp->hrd != bpf_htons(ARPHRD_ETHER) ||
	    arp->pro != bpf_htons(ETH_P_IP) || arp->hln != ETH_ALEN ||
	    arp->pln != 4 || arp->op != bpf_htons(ARPOP_REQUEST))
		return ZOC_VPC_DROP_ARP;
	__builtin_memcpy(&tip, arp->tip, 4);
	__builtin_memcpy(&sip, arp->sip, 4);
	/* 0.0.0.0 is a duplicate address probe (RFC 5227) */
	if ((sip && sip != vnic->addr) || !vpc_mac_eq(arp->sha, eth->h_source))
		return ZOC_VPC_DROP_SPOOF;

	if (tip == vnic->gateway) {
		mac = vnic->gateway_mac;
	} else {
		rt = vpc_route(vnic->vni, tip);
		if (!rt || rt->plen != 32 || tip == vnic->addr ||
		    (rt->type != ZOC_VPC_ROUTE_VNIC &&
		     rt->type != ZOC_VPC_ROUTE_TUNNEL))
			return ZOC_VPC_DROP_ARP;
		mac = rt->mac;
	}

	arp->op = bpf_htons(ARPOP_REPLY);
	__builtin_memcpy(arp->tha, arp->sha, ETH_ALEN);
	__builtin_memcpy(arp->tip, &sip, 4);
	__builtin_memcpy(arp->sha, mac, ETH_ALEN);
	__builtin_memcpy(arp->sip, &tip, 4);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	return VPC_OK;
}

static __always_inline bool vpc_is_multicast(__be32 addr)
{
	return addr == 0xffffffff || (bpf_ntohl(addr) >> 28) == 0xe;
}

/*
 * What becomes of the IPv4 packet of a frame a host vNIC sent, @len bytes
 * long from @data, headers at hand to @end: checked against the vNIC's
 * address, routed in its VPC (the route through @rtp) and admitted, by its
 * session or the security groups.  VPC_OK, or a drop reason.
 */
static __always_inline int vpc_vnic_ip(void *data, void *end, __u32 len,
				       const struct zoc_vpc_vnic *vnic,
				       const struct zoc_vpc_config *cfg,
				       struct vpc_pkt *p,
				       const struct zoc_vpc_route **rtp,
				       __u64 *now)
{
	const struct zoc_vpc_route *rt;
	__u32 slot = vnic->slot;
	int ret;

	ret = vpc_parse(data, end, len, vnic->vni, p);
	if (ret != VPC_OK)
		return ret;
	if (p->saddr != vnic->addr)
		return ZOC_VPC_DROP_SPOOF;
	if (vpc_is_multicast(p->daddr))
		return ZOC_VPC_DROP_BROADCAST;
	if (p->ttl <= 1)
		return ZOC_VPC_DROP_TTL;
	/* A vNIC's error is about a packet the VPC delivered to it */
	if (p->related) {
		rt = vpc_route(vnic->vni, p->quoted_daddr);
		if (!rt || rt->type != ZOC_VPC_ROUTE_VNIC || rt->slot != slot)
			return ZOC_VPC_DROP_CT_INVALID;
	}

	rt = vpc_route(vnic->vni, p->daddr);
	if (!rt)
		return ZOC_VPC_DROP_UNKNOWN_VNI;
	*rtp = rt;
	*now = bpf_ktime_get_coarse_ns();
	switch (rt->type) {
	case ZOC_VPC_ROUTE_VNIC:
		return vpc_admit(p, cfg, slot, rt->slot, *now);
	case ZOC_VPC_ROUTE_TUNNEL:
		return vpc_admit(p, cfg, slot, VPC_NO_SLOT, *now);
	case ZOC_VPC_ROUTE_BLACKHOLE:
		return ZOC_VPC_DROP_BLACKHOLE;
	default:
		return ZOC_VPC_DROP_NO_ROUTE;
	}
}

/*
 * The forwarding of an admitted packet: TTL decremented, the destination
 * MAC the route's, counted.  @data is the frame, its IPv4 header at hand.
 */
static __always_inline void vpc_forward(void *data,
					const struct zoc_vpc_route *rt,
					const struct vpc_pkt *p, __u32 slot)
{
	struct ethhdr *eth = data;

	vpc_ttl_dec((void *)(eth + 1));
	__builtin_memcpy(eth->h_dest, rt->mac, ETH_ALEN);
	vpc_count(slot, p->len, false);
	if (rt->type == ZOC_VPC_ROUTE_VNIC)
		vpc_count(rt->slot, p->len, true);
}

/* A frame sent by a host vNIC, received on its representor. */
static __always_inline int vpc_from_vnic(struct xdp_md *ctx,
					 const struct zoc_vpc_vnic *vnic)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	const struct zoc_vpc_route *rt = NULL;
	struct zoc_vpc_nexthop *nh = NULL;
	const struct zoc_vpc_config *cfg;
	struct ethhdr *eth = data;
	__u32 zero = 0, slot = vnic->slot, ifindex;
	struct vpc_pkt p;
	__u16 mtu = 0;
	__u64 now = 0;
	int ret;

	cfg = bpf_map_lookup_elem(&zoc_vpc_config, &zero);
	if (!cfg)
		return vpc_drop(ZOC_VPC_DROP_NO_VNIC, slot);
	if ((void *)(eth + 1) > end)
		return vpc_drop(ZOC_VPC_DROP_TRUNCATED, slot);
	if (!vpc_mac_eq(eth->h_source, vnic->mac))
		return vpc_drop(ZOC_VPC_DROP_SPOOF, slot);
	if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		ret = vpc_arp(data, end, vnic);
		if (ret != VPC_OK)
			return vpc_drop(ret, slot);
		vpc_event(ZOC_VPC_EV_ARP_REPLY);
		return XDP_TX;
	}
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return vpc_drop(ZOC_VPC_DROP_L3_PROTO, slot);
	ret = vpc_vnic_ip(data, end, end - data, vnic, cfg, &p, &rt, &now);
	if (ret != VPC_OK || !rt)
		return vpc_drop(ret, slot);

	/* the parser checked that the IPv4 header is in the frame */
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + sizeof(struct ethhdr) + sizeof(struct iphdr) > end)
		return vpc_drop(ZOC_VPC_DROP_TRUNCATED, slot);
	if (rt->type == ZOC_VPC_ROUTE_VNIC) {
		vpc_forward(data, rt, &p, slot);
		vpc_event(ZOC_VPC_EV_LOCAL);
		return vpc_xmit(rt->ifindex, rt->slot);
	}
	/* the underlay before the packet changes: ICMP quotes it as it came */
	ret = vpc_nexthop(ctx, cfg, rt->remote,
			  end - data + VPC_ENCAP_LEN - sizeof(struct ethhdr),
			  now, &nh, &mtu);
	if (ret == ZOC_VPC_DROP_MTU)
		return vpc_too_big(ctx, vnic, &p, mtu, now);
	if (ret != VPC_OK || !nh)
		return vpc_drop(ret != VPC_OK ? ret : ZOC_VPC_DROP_UNDERLAY,
				slot);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + sizeof(struct ethhdr) + sizeof(struct iphdr) > end)
		return vpc_drop(ZOC_VPC_DROP_TRUNCATED, slot);
	vpc_forward(data, rt, &p, slot);
	ret = vpc_encap(ctx, cfg, rt, &p, nh, &ifindex);
	if (ret != VPC_OK)
		return vpc_drop(ret, slot);
	vpc_event(ZOC_VPC_EV_ENCAP);
	return vpc_xmit(ifindex, slot);
}

SEC("xdp")
int zoc_vpc_vnic(struct xdp_md *ctx)
{
	const struct zoc_vpc_vnic *vnic;
	__u32 ifindex = ctx->ingress_ifindex;

	vnic = bpf_map_lookup_elem(&zoc_vpc_vnics, &ifindex);
	if (!vnic)
		return vpc_drop(ZOC_VPC_DROP_NO_VNIC, VPC_NO_SLOT);
	return vpc_from_vnic(ctx, vnic);
}

/* --- frames of a vNIC as skbs: GSO ------------------------------------- */

/* What zoc_vpc_vnic_skb reads: Ethernet, IPv4, TCP with its options */
#define VPC_SKB_HEAD	(sizeof(struct ethhdr) + sizeof(struct iphdr) + 60)

static __always_inline int vpc_skb_drop(__u32 reason, __u32 slot)
{
	vpc_drop(reason, slot);
	return TC_ACT_SHOT;
}

/* Redirect to @ifindex if it is an output device of the ports map. */
static __always_inline int vpc_skb_xmit(__u32 ifindex, __u32 slot)
{
	if (!bpf_map_lookup_elem(&zoc_vpc_ports, &ifindex))
		return vpc_skb_drop(ZOC_VPC_DROP_NO_PORT, slot);
	return bpf_redirect(ifindex, 0);
}

/*
 * vpc_too_big() for a frame as an skb (a TSO frame, or one longer than a
 * page).  The answer is written once the skb is cut below its transport
 * header, which takes away a checksum left to complete (the stack would
 * write it into the quote) and the GSO size, and grown back (to
 * VPC_ICMP_LEN); it goes back out of the representor it came in by.  The
 * cut makes the whole frame linear first (a copy, and an allocation that
 * may fail: then the frame is only dropped), which the rate limit bounds.
 */
static __always_inline int vpc_too_big_skb(struct __sk_buff *skb,
					   const struct zoc_vpc_vnic *vnic,
					   const struct vpc_pkt *p, __u16 mtu,
					   __u64 now)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u8 quote[VPC_ICMP_QUOTE];

	vpc_drop(ZOC_VPC_DROP_MTU, vnic->slot);
	/*
	 * The token is taken before the cut, whose cost it bounds: one whose
	 * cut or growth then fails is spent on a frame only dropped.
	 */
	if ((void *)(ip + 1) > end ||
	    !vpc_frag_needed_due(ip, p, mtu, vnic->slot, now))
		return TC_ACT_SHOT;
	if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr), quote,
			       VPC_ICMP_QUOTE) ||
	    bpf_skb_change_tail(skb, sizeof(struct ethhdr) +
				sizeof(struct iphdr), 0) ||
	    bpf_skb_change_tail(skb, VPC_ICMP_LEN, 0))
		return TC_ACT_SHOT;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (vpc_frag_needed_write(data, end, quote, vnic,
				  mtu - VPC_ENCAP_LEN) != VPC_OK)
		return TC_ACT_SHOT;
	vpc_event(ZOC_VPC_EV_FRAG_NEEDED);
	return bpf_redirect(skb->ifindex, 0);
}

/*
 * Encapsulate as vpc_encap() does, an skb, to the route's VTEP through
 * next hop @nh: the outer headers go in after its Ethernet header, which
 * moves in front of them as the inner one.  The skb is marked a UDP
 * tunnel with its inner headers, its MSS kept: a GSO frame is cut into
 * segments after the encapsulation, by the uplink or by the stack before
 * it.
 */
static __always_inline int vpc_encap_skb(struct __sk_buff *skb,
					 const struct zoc_vpc_config *cfg,
					 const struct zoc_vpc_route *rt,
					 const struct vpc_pkt *p,
					 const struct zoc_vpc_nexthop *nh,
					 __u32 *ifindex)
{
	__u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 |
		      BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
		      BPF_F_ADJ_ROOM_ENCAP_L2_ETH |
		      BPF_F_ADJ_ROOM_ENCAP_L2(sizeof(struct ethhdr));
	__u32 tot_len = skb->len + VPC_ENCAP_LEN - sizeof(struct ethhdr);
	void *data, *end;

	/*
	 * A GSO frame's outer lengths are rewritten for each segment: a frame
	 * of 64 KiB, encapsulated, may not fit 16 bits, and need not.
	 */
	if (tot_len > 0xffff)
		tot_len = 0xffff;
	if (bpf_skb_adjust_room(skb, VPC_ENCAP_LEN, BPF_ADJ_ROOM_MAC, flags))
		return ZOC_VPC_DROP_HEADROOM;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + VPC_ENCAP_LEN + sizeof(struct ethhdr) > end)
		return ZOC_VPC_DROP_HEADROOM;
	__builtin_memcpy(data + VPC_ENCAP_LEN, data, sizeof(struct ethhdr));
	vpc_encap_write(data, cfg, rt, p, nh, tot_len);
	*ifindex = nh->ifindex;
	return VPC_OK;
}

/*
 * zoc_vpc_vnic_skb: on the ingress of every representor (tc), the frames
 * of a vNIC that XDP cannot take, as skbs: TSO frames of the host, whose
 * segmentation an XDP frame cannot carry (the model hands every other frame
 * to zoc_vpc_vnic while it has one).  The same checks, routes, sessions and
 * security groups as zoc_vpc_vnic, and the same ICMP "fragmentation
 * needed" for segments too big for the underlay; IPv4 only, untagged (ARP
 * is zoc_vpc_vnic's).  Checksums are complete but a GSO frame's, completed at
 * its segmentation: the model completes the others before the stack sees
 * them, as before XDP.  A GSO frame stays whole through the VPC: one pass
 * of this program for up to 64 KiB.
 */
SEC("tc")
int zoc_vpc_vnic_skb(struct __sk_buff *skb)
{
	__u32 zero = 0, ifindex = skb->ifindex, len = skb->len, slot, seg, out;
	const struct zoc_vpc_route *rt = NULL;
	struct zoc_vpc_nexthop *nh = NULL;
	const struct zoc_vpc_config *cfg;
	const struct zoc_vpc_vnic *vnic;
	bool gso = skb->gso_size;
	struct vpc_pkt p;
	void *data, *end;
	__u16 mtu = 0;
	__u64 now = 0;
	__u8 *tcp;
	int ret;

	vnic = bpf_map_lookup_elem(&zoc_vpc_vnics, &ifindex);
	if (!vnic)
		return vpc_skb_drop(ZOC_VPC_DROP_NO_VNIC, VPC_NO_SLOT);
	slot = vnic->slot;
	cfg = bpf_map_lookup_elem(&zoc_vpc_config, &zero);
	if (!cfg)
		return vpc_skb_drop(ZOC_VPC_DROP_NO_VNIC, slot);
	/* the headers into the linear part, where the program reads them */
	if (bpf_skb_pull_data(skb, len < VPC_SKB_HEAD ? len : VPC_SKB_HEAD))
		return vpc_skb_drop(ZOC_VPC_DROP_TRUNCATED, slot);
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + sizeof(struct ethhdr) > end)
		return vpc_skb_drop(ZOC_VPC_DROP_TRUNCATED, slot);
	if (!vpc_mac_eq(((struct ethhdr *)data)->h_source, vnic->mac))
		return vpc_skb_drop(ZOC_VPC_DROP_SPOOF, slot);
	/*
	 * The stack took a VLAN tag off into the skb, and would put it back
	 * on the way out: tagged frames are not the VPC's, as in XDP.
	 */
	if (((struct ethhdr *)data)->h_proto != bpf_htons(ETH_P_IP) ||
	    skb->vlan_present)
		return vpc_skb_drop(ZOC_VPC_DROP_L3_PROTO, slot);
	ret = vpc_vnic_ip(data, end, len, vnic, cfg, &p, &rt, &now);
	if (ret != VPC_OK || !rt)
		return vpc_skb_drop(ret, slot);

	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	tcp = data + sizeof(struct ethhdr) + sizeof(struct iphdr);
	if ((void *)tcp > end)
		return vpc_skb_drop(ZOC_VPC_DROP_TRUNCATED, slot);
	seg = len;
	if (gso) {
		/* the host segments TCP only: it is offered nothing else */
		if (p.proto != IPPROTO_TCP ||
		    (void *)tcp + sizeof(struct tcphdr) > end)
			return vpc_skb_drop(ZOC_VPC_DROP_L4_PROTO, slot);
		seg = (void *)tcp - data + (tcp[12] >> 4) * 4 + skb->gso_size;
		/* one segment shorter than its GSO size: the frame itself */
		if (seg > len)
			seg = len;
	}
	if (rt->type == ZOC_VPC_ROUTE_VNIC) {
		vpc_forward(data, rt, &p, slot);
		vpc_event(ZOC_VPC_EV_LOCAL);
		out = rt->ifindex;
		slot = rt->slot;
	} else {
		/* each segment must fit the underlay once encapsulated */
		ret = vpc_nexthop(skb, cfg, rt->remote,
				  seg + VPC_ENCAP_LEN - sizeof(struct ethhdr),
				  now, &nh, &mtu);
		if (ret == ZOC_VPC_DROP_MTU)
			return vpc_too_big_skb(skb, vnic, &p, mtu, now);
		if (ret != VPC_OK || !nh)
			return vpc_skb_drop(ret != VPC_OK ? ret :
					    ZOC_VPC_DROP_UNDERLAY, slot);
		/* data is still valid: no helper since tcp was checked moves it */
		vpc_forward(data, rt, &p, slot);
		ret = vpc_encap_skb(skb, cfg, rt, &p, nh, &out);
		if (ret != VPC_OK)
			return vpc_skb_drop(ret, slot);
		vpc_event(ZOC_VPC_EV_ENCAP);
	}
	if (gso)
		vpc_event(ZOC_VPC_EV_GSO);
	return vpc_skb_xmit(out, slot);
}

/* The inner frame of a tunnel packet, outer headers already removed. */
static __always_inline int vpc_to_vnic(struct xdp_md *ctx,
				       const struct zoc_vpc_config *cfg,
				       __u32 vni)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	const struct zoc_vpc_route *rt, *src;
	struct ethhdr *eth = data;
	struct vpc_pkt p;
	int ret;

	if ((void *)(eth + 1) > end)
		return vpc_drop(ZOC_VPC_DROP_TRUNCATED, VPC_NO_SLOT);
	/* peers' VTEPs know our hosts' MACs from the control plane */
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return vpc_drop(ZOC_VPC_DROP_ARP, VPC_NO_SLOT);
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return vpc_drop(ZOC_VPC_DROP_L3_PROTO, VPC_NO_SLOT);
	ret = vpc_parse(data, end, end - data, vni, &p);
	if (ret != VPC_OK)
		return vpc_drop(ret, VPC_NO_SLOT);
	/*
	 * A vNIC of this service VM reaches the others here, never through
	 * the underlay: its address from there is forged, and would pass
	 * its egress group and match its sessions.
	 */
	src = vpc_route(vni, p.saddr);
	if (src && src->type == ZOC_VPC_ROUTE_VNIC)
		return vpc_drop(ZOC_VPC_DROP_SPOOF, VPC_NO_SLOT);

	rt = vpc_route(vni, p.daddr);
	if (!rt)
		return vpc_drop(ZOC_VPC_DROP_UNKNOWN_VNI, VPC_NO_SLOT);
	if (rt->type != ZOC_VPC_ROUTE_VNIC)
		return vpc_drop(ZOC_VPC_DROP_NOT_LOCAL, VPC_NO_SLOT);
	if (p.ttl == 0)
		return vpc_drop(ZOC_VPC_DROP_TTL, rt->slot);
	ret = vpc_admit(&p, cfg, VPC_NO_SLOT, rt->slot,
			bpf_ktime_get_coarse_ns());
	if (ret != VPC_OK)
		return vpc_drop(ret, rt->slot);

	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > end)
		return vpc_drop(ZOC_VPC_DROP_TRUNCATED, rt->slot);
	__builtin_memcpy(eth->h_dest, rt->mac, ETH_ALEN);
	vpc_count(rt->slot, p.len, true);
	vpc_event(ZOC_VPC_EV_DECAP);
	return vpc_xmit(rt->ifindex, rt->slot);
}

/*
 * Validate the outer headers of a packet for our VTEP port and strip them.
 * @ip and @udp are in the frame; returns the VNI through @vni.
 */
static __always_inline int vpc_decap(struct xdp_md *ctx, struct iphdr *ip,
				     struct udphdr *udp, bool geneve, __u32 *vni)
{
	void *end = (void *)(long)ctx->data_end;
	struct vpc_geneve *gh = (void *)(udp + 1);
	struct vpc_vxlan *vx = (void *)(udp + 1);
	__u32 hlen = VPC_ENCAP_LEN;
	__u16 tot, ulen;

	if ((void *)(vx + 1) > end)
		return ZOC_VPC_DROP_TRUNCATED;
	/* the checksum holds the version too: check it on its own */
	if ((*(__u8 *)ip & 0xf0) != 0x40)
		return ZOC_VPC_DROP_BAD_IP;
	tot = vpc_len16(ip->tot_len);
	ulen = vpc_len16(udp->len);
	if ((void *)ip + tot > end || vpc_ip_sum(ip) != 0xffff ||
	    ulen + sizeof(*ip) > tot)
		return ZOC_VPC_DROP_BAD_IP;
	if (ulen < sizeof(*udp) + sizeof(*vx) + sizeof(struct ethhdr))
		return ZOC_VPC_DROP_TRUNCATED;

	if (geneve) {
		/*
		 * Version 0 only; OAM frames are for a control plane and
		 * critical options must not be ignored (RFC 8926 3.5): we
		 * process no options, so both are dropped.
		 */
		if (gh->ver_opt & GENEVE_VER_MASK ||
		    gh->flags & (GENEVE_OAM | GENEVE_CRITICAL) ||
		    gh->proto != bpf_htons(ETH_P_TEB))
			return ZOC_VPC_DROP_BAD_TUNNEL;
		hlen += (gh->ver_opt & GENEVE_OPT_MASK) * 4;
		*vni = bpf_ntohl(gh->vni) >> 8;
	} else {
		/* as Linux: the I flag alone, reserved bits clear */
		if (vx->flags != bpf_htonl(VXLAN_FLAGS) ||
		    vx->vni & bpf_htonl(0xff))
			return ZOC_VPC_DROP_BAD_TUNNEL;
		*vni = bpf_ntohl(vx->vni) >> 8;
	}
	if (hlen + sizeof(struct ethhdr) > sizeof(struct ethhdr) + tot)
		return ZOC_VPC_DROP_TRUNCATED;
	if (bpf_xdp_adjust_head(ctx, hlen))
		return ZOC_VPC_DROP_TRUNCATED;
	return VPC_OK;
}

SEC("xdp")
int zoc_vpc_uplink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	const struct zoc_vpc_config *cfg;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;
	__u32 zero = 0, vni;
	__u16 port;
	__u8 ihl;
	int ret;

	cfg = bpf_map_lookup_elem(&zoc_vpc_config, &zero);
	if (!cfg || (void *)(ip + 1) > end ||
	    eth->h_proto != bpf_htons(ETH_P_IP) || ip->daddr != cfg->vtep ||
	    ip->protocol != IPPROTO_UDP)
		goto pass;
	/* a fragment's UDP port is unknown: the VTEP takes no fragments */
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return vpc_drop(ZOC_VPC_DROP_FRAGMENT, VPC_NO_SLOT);
	ihl = *(__u8 *)ip & 0xf;
	if (ihl < 5)
		goto pass;
	udp = (void *)ip + ihl * 4;
	if ((void *)(udp + 1) > end)
		goto pass;
	port = bpf_ntohs(udp->dest);
	if (port != cfg->vxlan_port && port != cfg->geneve_port)
		goto pass;

	/* from here on the packet is ours: drop what is wrong */
	if (ihl != 5)
		return vpc_drop(ZOC_VPC_DROP_IP_OPTIONS, VPC_NO_SLOT);
	ret = vpc_decap(ctx, ip, (void *)(ip + 1), port == cfg->geneve_port,
			&vni);
	if (ret != VPC_OK)
		return vpc_drop(ret, VPC_NO_SLOT);
	return vpc_to_vnic(ctx, cfg, vni);

pass:
	vpc_event(ZOC_VPC_EV_PASS);
	return XDP_PASS;
}

/* --- the sweep of the session table ------------------------------------ */

#define CLOCK_MONOTONIC		1
#define VPC_SWEEP_TICK_NS	100000000ULL	/* 100 ms */
#define VPC_SWEEP_TICKS		100	/* ticks per pass over the table */
#define VPC_SWEEP_MIN_SETS	64	/* sets per tick at the least */

struct vpc_sweep_ctx {
	__u64 now;
	void *table;
	__u32 next;
	__u32 sets;
};

/*
 * Free @e if its session expired, claiming it as vpc_ct_create() does: a
 * session a packet refreshes at that very moment, after an idle time of
 * its whole timeout, may be freed; its next packet opens it again.
 */
static __always_inline void vpc_sweep_entry(struct zoc_vpc_ct_entry *e,
					    const struct zoc_vpc_config *cfg,
					    __u64 now)
{
	__u32 seq = e->seq, owner;

	barrier_var(seq);
	if (seq & 1 || e->ct.state == ZOC_VPC_CT_NONE ||
	    !vpc_ct_expired(&e->ct, cfg, now))
		return;
	if (__sync_val_compare_and_swap(&e->seq, seq, seq + 1) != seq)
		return;
	owner = e->ct.owner;
	e->ct.state = ZOC_VPC_CT_NONE;
	e->ct.owner = 0;
	__sync_lock_test_and_set(&e->seq, seq + 2);
	vpc_ct_hold(owner, -1);
	vpc_event(ZOC_VPC_EV_CT_SWEPT);
}

/* bpf_loop(): sweep set @c->next, move on to the next one. */
static long vpc_sweep_set(__u32 i, void *data)
{
	struct vpc_sweep_ctx *c = data;
	const struct zoc_vpc_config *cfg;
	struct zoc_vpc_ct_set *set;
	__u32 zero = 0, idx = c->next, w;

	cfg = bpf_map_lookup_elem(&zoc_vpc_config, &zero);
	set = bpf_map_lookup_elem(c->table, &idx);
	if (!cfg || !set)
		return 1;
#pragma unroll
	for (w = 0; w < ZOC_VPC_CT_WAYS; w++)
		vpc_sweep_entry(&set->way[w], cfg, c->now);
	c->next = idx + 1 < c->sets ? idx + 1 : 0;
	return 0;
}

/*
 * Sweep the next 1/VPC_SWEEP_TICKS of the table in use (one being drained
 * is the loader's: it frees what expired there).
 */
static __always_inline void vpc_sweep_chunk(struct vpc_sweep *st)
{
	struct vpc_sweep_ctx c = { .now = bpf_ktime_get_coarse_ns() };
	const struct zoc_vpc_config *cfg;
	__u32 zero = 0, slot, key, n;

	cfg = bpf_map_lookup_elem(&zoc_vpc_config, &zero);
	if (!cfg)
		return;
	slot = cfg->ct_table;
	barrier_var(slot);
	slot &= 1;
	/* as in vpc_ct_set(): the lookup's key a copy */
	key = slot;
	c.table = bpf_map_lookup_elem(&zoc_vpc_sessions, &key);
	c.sets = cfg->ct_sets[slot];
	if (!c.table || !c.sets)
		return;
	c.next = st->next < c.sets ? st->next : 0;
	n = c.sets / VPC_SWEEP_TICKS;
	if (n < VPC_SWEEP_MIN_SETS)
		n = VPC_SWEEP_MIN_SETS;
	if (n > c.sets)
		n = c.sets;
	bpf_loop(n, vpc_sweep_set, &c, 0);
	st->next = c.next;
}

static int vpc_sweep_tick(void *map, __u32 *key, struct vpc_sweep *st)
{
	vpc_sweep_chunk(st);
	bpf_timer_start(&st->timer, VPC_SWEEP_TICK_NS, 0);
	return 0;
}

/*
 * zoc_vpc_sweep: run by the loader (BPF_PROG_TEST_RUN) once the maps are
 * pinned, it starts the sweep's timer, which runs as long as the sweep
 * state map stays pinned.  Each run also sweeps the next part of the
 * table at once: VPC_SWEEP_TICKS runs are a whole pass.
 */
SEC("xdp")
int zoc_vpc_sweep(struct xdp_md *ctx)
{
	struct vpc_sweep *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&zoc_vpc_sweep_state, &zero);
	if (!st)
		return XDP_ABORTED;
	/* -EBUSY: started before */
	if (!bpf_timer_init(&st->timer, &zoc_vpc_sweep_state,
			    CLOCK_MONOTONIC)) {
		bpf_timer_set_callback(&st->timer, vpc_sweep_tick);
		bpf_timer_start(&st->timer, VPC_SWEEP_TICK_NS, 0);
	}
	vpc_sweep_chunk(st);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
