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

/* Can this packet open a session? */
static __always_inline bool vpc_opens(const struct vpc_pkt *p)
{
	switch (p->proto) {
	case IPPROTO_TCP:
		return (p->tcp_flags & (TCPF_SYN | TCPF_ACK | TCPF_RST |
					TCPF_FIN)) == TCPF_SYN;
	case IPPROTO_UDP:
		return true;
	default:
		return p->icmp_type == ICMP_ECHO;
	}
}

/*
 * Can this packet take up a TCP connection the table does not know?  An
 * ACK without SYN, FIN or RST, as in nf_conntrack's tcp_loose mode: such
 * a connection was established when its session was lost (expired, or
 * the table of a service VM that went away).  A FIN or RST would only
 * make a session that ends at once.
 */
static __always_inline bool vpc_picks_up(const struct vpc_pkt *p,
					 const struct zoc_vpc_config *cfg)
{
	return p->proto == IPPROTO_TCP && !(cfg->flags & ZOC_VPC_F_TCP_STRICT) &&
	       (p->tcp_flags & (TCPF_SYN | TCPF_ACK | TCPF_RST | TCPF_FIN)) ==
	       TCPF_ACK;
}

/*
 * The TCP state machine, for a packet of a live session.  It follows the
 * handshake and the closing loosely, like nf_conntrack without window
 * tracking: what matters here is which timeout applies and that a
 * session is only ever opened by a SYN.
 */
static __always_inline int vpc_tcp(struct zoc_vpc_ct *ct, const struct vpc_pkt *p)
{
	bool from_opener = !!(ct->flags & ZOC_VPC_CT_OPENER1) == p->dir;
	__u8 fl = p->tcp_flags;

	if (fl & TCPF_RST) {
		ct->state = ZOC_VPC_CT_CLOSE;
		return VPC_OK;
	}
	switch (ct->state) {
	case ZOC_VPC_CT_SYN_SENT:
		if (from_opener)
			return VPC_OK;
		if ((fl & (TCPF_SYN | TCPF_ACK)) != (TCPF_SYN | TCPF_ACK))
			return ZOC_VPC_DROP_CT_INVALID;
		ct->state = ZOC_VPC_CT_SYN_RECV;
		return VPC_OK;
	case ZOC_VPC_CT_SYN_RECV:
		if (from_opener && (fl & TCPF_ACK) && !(fl & TCPF_SYN))
			ct->state = ZOC_VPC_CT_ESTABLISHED;
		return VPC_OK;
	case ZOC_VPC_CT_ESTABLISHED:
	case ZOC_VPC_CT_FIN_WAIT:
		if (fl & TCPF_FIN) {
			ct->flags |= p->dir ? ZOC_VPC_CT_FIN1 : ZOC_VPC_CT_FIN0;
			if ((ct->flags & (ZOC_VPC_CT_FIN0 | ZOC_VPC_CT_FIN1)) ==
			    (ZOC_VPC_CT_FIN0 | ZOC_VPC_CT_FIN1))
				ct->state = ZOC_VPC_CT_TIME_WAIT;
			else
				ct->state = ZOC_VPC_CT_FIN_WAIT;
		}
		return VPC_OK;
	default:
		/* TIME_WAIT, CLOSE: late segments of the old connection */
		return VPC_OK;
	}
}

static __always_inline bool vpc_ct_key_eq(const struct zoc_vpc_ct_key *a,
					  const struct zoc_vpc_ct_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		 (x[3] ^ y[3]) | (x[4] ^ y[4]));
}

static __always_inline bool vpc_ct_expired(const struct zoc_vpc_ct *ct,
					   const struct zoc_vpc_config *cfg,
					   __u64 now)
{
	__u32 state = ct->state;

	/* a free entry (state NONE) counts as expired */
	return state == ZOC_VPC_CT_NONE || state >= ZOC_VPC_CT_MAX ||
	       now - ct->last_seen > cfg->timeout[state];
}

/*
 * The entry of the packet's session in @set, or NULL.  A way whose key
 * matches is confirmed by comparing the key again between two reads of
 * its sequence, both atomic operations and so full barriers on every
 * architecture: equal and even, no writer touched the key meanwhile, and
 * the key compared is not a mix of an old and a new session's.
 */
static __always_inline struct zoc_vpc_ct_entry *
vpc_ct_find(struct zoc_vpc_ct_set *set, const struct zoc_vpc_ct_key *key)
{
	struct zoc_vpc_ct_entry *e;
	__u32 seq, i;

#pragma unroll
	for (i = 0; i < ZOC_VPC_CT_WAYS; i++) {
		e = &set->way[i];
		if (!vpc_ct_key_eq(&e->key, key))
			continue;
		seq = __sync_fetch_and_add(&e->seq, 0);
		if (!(seq & 1) && vpc_ct_key_eq(&e->key, key) &&
		    __sync_fetch_and_add(&e->seq, 0) == seq)
			return e;
	}
	return NULL;
}

/*
 * Look the packet's session up and advance its state.  Returns VPC_OK for
 * a packet of a live session, VPC_NEW when the packet may open a session
 * (the security groups decide), or a drop reason.
 *
 * The state, time and count of a live session are updated without a lock:
 * two CPUs updating one session at once may lose one of the updates (the
 * later write wins), and a packet of a session being replaced at that
 * moment may leave its state and time in the new session's entry.
 */
static __noinline int vpc_track(struct vpc_pkt *p,
				const struct zoc_vpc_config *cfg,
				struct zoc_vpc_ct_set *set, __u64 now)
{
	struct zoc_vpc_ct_entry *e;
	struct zoc_vpc_ct *ct = NULL;

	e = vpc_ct_find(set, &p->key);
	if (e) {
		ct = &e->ct;
		if (vpc_ct_expired(ct, cfg, now)) {
			vpc_event(ZOC_VPC_EV_CT_EXPIRED);
			ct = NULL;
		}
	}
	if (p->related) {
		if (!ct)
			return ZOC_VPC_DROP_CT_INVALID;
		vpc_event(ZOC_VPC_EV_CT_RELATED);
		return VPC_OK;
	}
	if (!ct) {
		if (vpc_opens(p))
			return VPC_NEW;
		return vpc_picks_up(p, cfg) ? VPC_PICKUP : ZOC_VPC_DROP_CT_INVALID;
	}

	/* a SYN on a closed connection opens a new one, SG checked again */
	if ((ct->state == ZOC_VPC_CT_TIME_WAIT ||
	     ct->state == ZOC_VPC_CT_CLOSE) && vpc_opens(p))
		return VPC_NEW;

	switch (p->proto) {
	case IPPROTO_TCP:
		if (vpc_tcp(ct, p) != VPC_OK)
			return ZOC_VPC_DROP_CT_INVALID;
		break;
	case IPPROTO_UDP:
		if (!!(ct->flags & ZOC_VPC_CT_OPENER1) != p->dir)
			ct->state = ZOC_VPC_CT_UDP_REPLIED;
		break;
	default:
		if (p->icmp_type == ICMP_ECHOREPLY)
			ct->state = ZOC_VPC_CT_ICMP_REPLIED;
		break;
	}
	/* both ends use it: a new session does not evict it (vpc_ct_create) */
	if (!!(ct->flags & ZOC_VPC_CT_OPENER1) != p->dir)
		ct->flags |= ZOC_VPC_CT_REPLIED;
	ct->last_seen = now;
	ct->packets++;
	vpc_event(ZOC_VPC_EV_CT_HIT);
	return VPC_OK;
}

/*
 * May a new session evict @ct?  Not one both endpoints use, until it
 * closes: else anyone opening sessions, unanswered ones say, would push
 * other vNICs' connections out of the table.
 */
static __always_inline bool vpc_ct_evictable(const struct zoc_vpc_ct *ct)
{
	return !(ct->flags & ZOC_VPC_CT_REPLIED) ||
	       ct->state == ZOC_VPC_CT_TIME_WAIT ||
	       ct->state == ZOC_VPC_CT_CLOSE;
}

/* Sessions vNIC @owner (1 + its slot; 0: none) holds change by @delta. */
static __always_inline void vpc_ct_hold(__u32 owner, int delta)
{
	__u32 slot = owner - 1;
	__u64 *held;

	if (!owner)
		return;
	held = bpf_map_lookup_elem(&zoc_vpc_ct_held, &slot);
	if (held)
		__sync_fetch_and_add(held, (__s64)delta);
}

/* Does vNIC @owner hold its quota of sessions, or more? */
static __always_inline bool vpc_ct_over_quota(const struct zoc_vpc_config *cfg,
					      __u32 owner)
{
	__u32 slot = owner - 1, quota = cfg->ct_quota;
	__u64 *held;

	if (!owner || !quota)
		return false;
	held = bpf_map_lookup_elem(&zoc_vpc_ct_held, &slot);
	return held && *held >= quota;
}

/*
 * Write a new session into its set: into the entry of the same key (an
 * expired or closed session), else a free or expired entry, else the least
 * recently seen one that may be evicted (vpc_ct_evictable()), which is.
 * The entry is claimed by making its sequence odd (compare and exchange:
 * one writer at a time) and published by making it even again (exchange:
 * a full barrier after the key and the state).  If another CPU is writing
 * the entry chosen, the session is not created: this packet still goes,
 * only its answers will be refused (so too if no other entry may be
 * taken).  The session counts against vNIC @owner (1 + its slot), which
 * may not go past its quota but by replacing a session it holds itself.
 * Returns VPC_OK, or ZOC_VPC_DROP_CT_FULL if no entry may be taken, or
 * ZOC_VPC_DROP_CT_QUOTA: the packet drops.
 */
static __noinline int vpc_ct_create(const struct vpc_pkt *p,
				    const struct zoc_vpc_config *cfg,
				    struct zoc_vpc_ct_set *set, __u64 now,
				    __u32 owner)
{
	struct zoc_vpc_ct_entry *e, *victim = NULL;
	bool evict = false, found_free = false, busy = false;
	__u64 oldest = ~0ULL;
	__u32 seq, vseq = 0, i, old;

#pragma unroll
	for (i = 0; i < ZOC_VPC_CT_WAYS; i++) {
		e = &set->way[i];
		/* claimed below by compare and exchange from this value */
		seq = e->seq;
		barrier_var(seq);
		if (seq & 1) {
			busy = true;
			continue;
		}
		if (vpc_ct_key_eq(&e->key, &p->key)) {
			/* no second copy of the session in the set */
			victim = e;
			vseq = seq;
			evict = false;
			break;
		}
		if (found_free)
			continue;
		if (vpc_ct_expired(&e->ct, cfg, now)) {
			victim = e;
			vseq = seq;
			evict = false;
			found_free = true;
		} else if (vpc_ct_evictable(&e->ct) &&
			   e->ct.last_seen < oldest) {
			oldest = e->ct.last_seen;
			victim = e;
			vseq = seq;
			evict = true;
		}
	}
	if (!victim)
		return busy ? VPC_OK : ZOC_VPC_DROP_CT_FULL;
	if (vpc_ct_over_quota(cfg, owner) &&
	    (victim->ct.state == ZOC_VPC_CT_NONE || victim->ct.owner != owner))
		return ZOC_VPC_DROP_CT_QUOTA;
	if (__sync_val_compare_and_swap(&victim->seq, vseq, vseq + 1) != vseq)
		return VPC_OK;
	/* a free entry (state NONE) counts against nobody */
	old = victim->ct.state != ZOC_VPC_CT_NONE ? victim->ct.owner : 0;
	__builtin_memcpy(&victim->key, &p->key, sizeof(victim->key));
	victim->ct.last_seen = now;
	victim->ct.packets = 1;
	/* the opener is endpoint 1 if it sends this packet from there */
	victim->ct.flags = (p->pickup == VPC_PICKUP_RECEIVER) != !!p->dir ?
			   ZOC_VPC_CT_OPENER1 : 0;
	victim->ct.owner = owner;
	switch (p->proto) {
	case IPPROTO_TCP:
		victim->ct.state = p->pickup ? ZOC_VPC_CT_ESTABLISHED :
			ZOC_VPC_CT_SYN_SENT;
		break;
	case IPPROTO_UDP:
		victim->ct.state = ZOC_VPC_CT_UDP;
		break;
	default:
		victim->ct.state = ZOC_VPC_CT_ICMP;
		break;
	}
	__sync_lock_test_and_set(&victim->seq, vseq + 2);
	if (old != owner) {
		vpc_ct_hold(old, -1);
		vpc_ct_hold(owner, 1);
	}
	if (evict)
		vpc_event(ZOC_VPC_EV_CT_EVICTED);
	vpc_event(p->pickup ? ZOC_VPC_EV_CT_PICKUP : ZOC_VPC_EV_CT_NEW);
	return VPC_OK;
}

/*
 * Does a rule of vNIC @slot allow a new session in direction @dir, with
 * @remote, of protocol @proto to port @port (of the session's receiver)?
 */
static __always_inline bool vpc_sg_allows(__u32 slot, __u32 dir,
					  __be32 remote, __u8 proto,
					  __u16 port)
{
	const struct zoc_vpc_sg_rule *r;
	struct zoc_vpc_sg *sg;
	__u32 idx = slot * 2 + dir;
	__u32 i, n;

	sg = bpf_map_lookup_elem(&zoc_vpc_sg, &idx);
	if (!sg)
		return false;
	n = sg->count;
	for (i = 0; i < ZOC_VPC_SG_RULES && i < n; i++) {
		r = &sg->rule[i];
		if ((remote & r->mask) != r->addr)
			continue;
		if (r->proto && r->proto != proto)
			continue;
		if (proto != IPPROTO_ICMP &&
		    (port < r->port_lo || port > r->port_hi))
			continue;
		return true;
	}
	return false;
}

static __always_inline const struct zoc_vpc_route *
vpc_route(__u32 vni, __be32 addr)
{
	struct zoc_vpc_route_key key = {
		.prefixlen = 64,
		.vni = vni,
		.addr = addr,
	};

	return bpf_map_lookup_elem(&zoc_vpc_routes, &key);
}

/*
 * May a session from @src to @dst, of the packet's protocol to port
 * @port, be opened?  It needs a rule of the egress group of @src and of
 * the ingress group of @dst, for those that are local vNICs (a slot, not
 * VPC_NO_SLOT).
 */
static __always_inline bool vpc_sg_admits(const struct vpc_pkt *p,
					  __u32 src, __be32 src_addr,
					  __u32 dst, __be32 dst_addr,
					  __u16 port)
{
	return (src == VPC_NO_SLOT ||
		vpc_sg_allows(src, ZOC_VPC_SG_EGRESS, dst_addr, p->proto,
			      port)) &&
	       (dst == VPC_NO_SLOT ||
		vpc_sg_allows(dst, ZOC_VPC_SG_INGRESS, src_addr, p->proto,
			      port));
}

/*
 * The set of the session table in slot @slot (0 or 1) @key belongs in, or
 * NULL if the slot holds no table.
 */
static __always_inline struct zoc_vpc_ct_set *
vpc_ct_set(const struct zoc_vpc_config *cfg, __u32 slot,
	   const struct zoc_vpc_ct_key *key)
{
	/* a copy for the lookup: Linux 6.1 loses the bounds of a scalar
	 * read back from the stack
	 */
	__u32 idx = slot;
	void *table = bpf_map_lookup_elem(&zoc_vpc_sessions, &idx);

	if (!table)
		return NULL;
	idx = zoc_vpc_ct_set_of(key, cfg->ct_seed, cfg->ct_sets[slot & 1]);
	return bpf_map_lookup_elem(table, &idx);
}

/*
 * Admit a packet: a packet of a live session goes; a new session needs a
 * rule of the sender's egress group (@from, if the sender is a local vNIC)
 * and of the receiver's ingress group (@to, if local).  A TCP connection
 * taken up mid-stream is admitted if the groups would have let either
 * side open it: the receiver may be the one that did.  The session counts
 * against the sender if it is a local vNIC, else against the receiver.
 */
static __always_inline int vpc_admit(struct vpc_pkt *p,
				     const struct zoc_vpc_config *cfg,
				     __u32 from, __u32 to, __u64 now)
{
	struct zoc_vpc_ct_set *set, *old, *track;
	__u32 slot;
	int ret;

	/* read once: the slot and the table's size go together */
	slot = cfg->ct_table;
	barrier_var(slot);
	slot &= 1;
	set = vpc_ct_set(cfg, slot, &p->key);
	if (!set)
		return ZOC_VPC_DROP_CT_INVALID;
	/* a session the table in use lacks may still be in the old one */
	track = set;
	old = vpc_ct_set(cfg, slot ^ 1, &p->key);
	if (old && !vpc_ct_find(set, &p->key) && vpc_ct_find(old, &p->key))
		track = old;
	ret = vpc_track(p, cfg, track, now);
	/* moved meanwhile: the loader writes the table in use first */
	if (track != set && ret != VPC_OK && vpc_ct_find(set, &p->key))
		ret = vpc_track(p, cfg, set, now);
	if (ret != VPC_NEW && ret != VPC_PICKUP)
		return ret;
	if (vpc_sg_admits(p, from, p->saddr, to, p->daddr, p->dport))
		p->pickup = ret == VPC_PICKUP ? VPC_PICKUP_SENDER : 0;
	else if (ret == VPC_PICKUP &&
		 vpc_sg_admits(p, to, p->daddr, from, p->saddr, p->sport))
		p->pickup = VPC_PICKUP_RECEIVER;
	else
		return ZOC_VPC_DROP_SG;
	return vpc_ct_create(p, cfg, set, now,
			     from < ZOC_VPC_MAX_VNICS ? from + 1 :
			     to < ZOC_VPC_MAX_VNICS ? to + 1 : 0);
}

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
 */
static __always_inline int vpc_nexthop(void *ctx,
				       const struct zoc_vpc_config *cfg,
				       __be32 remote, __u16 tot_len, __u64 now,
				       struct zoc_vpc_nexthop **nhp)
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
	if (ret == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return ZOC_VPC_DROP_MTU;
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
 * Encapsulate the frame towards the route's VTEP, through the underlay
 * route and neighbour the kernel knows; the output device through
 * @ifindex.
 */
static __always_inline int vpc_encap(struct xdp_md *ctx,
				     const struct zoc_vpc_config *cfg,
				     const struct zoc_vpc_route *rt,
				     const struct vpc_pkt *p, __u64 now,
				     __u32 *ifindex)
{
	__u32 inner = ctx->data_end - ctx->data;
	__u16 tot_len = inner + VPC_ENCAP_LEN - sizeof(struct ethhdr);
	struct zoc_vpc_nexthop *nh = NULL;
	void *data, *end;
	int ret;

	ret = vpc_nexthop(ctx, cfg, rt->remote, tot_len, now, &nh);
	if (ret != VPC_OK)
		return ret;
	if (!nh)
		return ZOC_VPC_DROP_UNDERLAY;

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
	const struct zoc_vpc_config *cfg;
	struct ethhdr *eth = data;
	__u32 zero = 0, slot = vnic->slot, ifindex;
	struct vpc_pkt p;
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
	vpc_forward(data, rt, &p, slot);
	if (rt->type == ZOC_VPC_ROUTE_VNIC) {
		vpc_event(ZOC_VPC_EV_LOCAL);
		return vpc_xmit(rt->ifindex, rt->slot);
	}
	ret = vpc_encap(ctx, cfg, rt, &p, now, &ifindex);
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
 * Encapsulate as vpc_encap() does, an skb: the outer headers go in after
 * its Ethernet header, which moves in front of them as the inner one.  The
 * skb is marked a UDP tunnel with its inner headers, its MSS kept: a GSO
 * frame is cut into segments after the encapsulation, by the uplink or by
 * the stack before it.  @seg is the length of the frame of each segment;
 * it must fit the underlay's MTU once encapsulated.
 */
static __always_inline int vpc_encap_skb(struct __sk_buff *skb,
					 const struct zoc_vpc_config *cfg,
					 const struct zoc_vpc_route *rt,
					 const struct vpc_pkt *p, __u64 now,
					 __u32 seg, __u32 *ifindex)
{
	__u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 |
		      BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
		      BPF_F_ADJ_ROOM_ENCAP_L2_ETH |
		      BPF_F_ADJ_ROOM_ENCAP_L2(sizeof(struct ethhdr));
	__u32 tot_len = skb->len + VPC_ENCAP_LEN - sizeof(struct ethhdr);
	struct zoc_vpc_nexthop *nh = NULL;
	void *data, *end;
	int ret;

	/* the outer header of the whole frame must hold its length */
	if (tot_len > 0xffff)
		return ZOC_VPC_DROP_MTU;
	ret = vpc_nexthop(skb, cfg, rt->remote,
			  seg + VPC_ENCAP_LEN - sizeof(struct ethhdr), now, &nh);
	if (ret != VPC_OK)
		return ret;
	if (!nh)
		return ZOC_VPC_DROP_UNDERLAY;

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
 * to zoc_vpc_vnic).  The same checks, routes, sessions and security groups
 * as zoc_vpc_vnic; IPv4 only (ARP is zoc_vpc_vnic's).  A GSO frame stays
 * whole through the VPC: one pass of this program for up to 64 KiB.
 */
SEC("tc")
int zoc_vpc_vnic_skb(struct __sk_buff *skb)
{
	__u32 zero = 0, ifindex = skb->ifindex, len = skb->len, slot, seg, out;
	const struct zoc_vpc_route *rt = NULL;
	const struct zoc_vpc_config *cfg;
	const struct zoc_vpc_vnic *vnic;
	bool gso = skb->gso_size;
	struct vpc_pkt p;
	void *data, *end;
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
	if (((struct ethhdr *)data)->h_proto != bpf_htons(ETH_P_IP))
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
	}
	vpc_forward(data, rt, &p, slot);
	if (rt->type == ZOC_VPC_ROUTE_VNIC) {
		vpc_event(ZOC_VPC_EV_LOCAL);
		out = rt->ifindex;
		slot = rt->slot;
	} else {
		ret = vpc_encap_skb(skb, cfg, rt, &p, now, seg, &out);
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
