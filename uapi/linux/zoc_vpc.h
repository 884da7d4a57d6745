/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ZOC VPC datapath: the BPF maps shared by the XDP programs, their loader
 * and the tools that show counters and sessions.
 *
 * Every layout here is fixed: explicit padding, no implicit holes, so that
 * a BPF object, a loader and a tool built at different times agree.
 * Addresses and ports are in network byte order (__be*), everything else
 * in host byte order.  See Documentation/zoc/vpc.rst.
 */
#ifndef _UAPI_LINUX_ZOC_VPC_H
#define _UAPI_LINUX_ZOC_VPC_H

#include <linux/types.h>

#define ZOC_VPC_MAX_VNICS	256	/* vNICs (representors) per service VM */
#define ZOC_VPC_MAX_ROUTES	65536	/* routes, all VPCs together */
#define ZOC_VPC_SG_RULES	32	/* rules per vNIC and direction */
#define ZOC_VPC_CT_DEFAULT	1048576	/* sessions, unless configured */
#define ZOC_VPC_CT_WAYS		3	/* sessions per set of the table */
#define ZOC_VPC_CT_TABLES	2	/* slots of the sessions map of maps */
#define ZOC_VPC_NH_SLOTS	256	/* underlay next hops cached per CPU */
#define ZOC_VPC_NH_TTL_NS	100000000ULL	/* 100 ms: next hops looked up again */

#define ZOC_VPC_VXLAN_PORT	4789	/* IANA, RFC 7348 */
#define ZOC_VPC_GENEVE_PORT	6081	/* IANA, RFC 8926 */

/* The names the loader pins the maps under, in its pin directory. */
#define ZOC_VPC_PIN_CONFIG	"config"
#define ZOC_VPC_PIN_VNICS	"vnics"
#define ZOC_VPC_PIN_ROUTES	"routes"
#define ZOC_VPC_PIN_SG		"sg"
#define ZOC_VPC_PIN_SESSIONS	"sessions"
#define ZOC_VPC_PIN_PORTS	"ports"
#define ZOC_VPC_PIN_VNIC_STATS	"vnic_stats"
#define ZOC_VPC_PIN_DROPS	"drops"
#define ZOC_VPC_PIN_EVENTS	"events"
#define ZOC_VPC_PIN_CT_HELD	"ct_held"
#define ZOC_VPC_PIN_SWEEP	"sweep"
/* The programs, pinned too: zoc-vpc-load attaches them to later vNICs. */
#define ZOC_VPC_PIN_VNIC_PROG	"vnic_prog"
#define ZOC_VPC_PIN_VNIC_SKB_PROG	"vnic_skb_prog"
#define ZOC_VPC_PIN_UPLINK_PROG	"uplink_prog"
#define ZOC_VPC_PIN_SWEEP_PROG	"sweep_prog"

/**
 * enum zoc_vpc_ct_state - session states, also the index of their timeout
 * @ZOC_VPC_CT_NONE: never used by a live session
 * @ZOC_VPC_CT_SYN_SENT: TCP, the opener's SYN seen
 * @ZOC_VPC_CT_SYN_RECV: TCP, the answer's SYN+ACK seen
 * @ZOC_VPC_CT_ESTABLISHED: TCP, the opener acknowledged the SYN+ACK
 * @ZOC_VPC_CT_FIN_WAIT: TCP, one side sent FIN
 * @ZOC_VPC_CT_TIME_WAIT: TCP, both sides sent FIN
 * @ZOC_VPC_CT_CLOSE: TCP, reset
 * @ZOC_VPC_CT_UDP: UDP, only the opener has sent
 * @ZOC_VPC_CT_UDP_REPLIED: UDP, both sides have sent
 * @ZOC_VPC_CT_ICMP: ICMP echo, request seen
 * @ZOC_VPC_CT_ICMP_REPLIED: ICMP echo, reply seen
 * @ZOC_VPC_CT_MAX: number of states
 */
enum zoc_vpc_ct_state {
	ZOC_VPC_CT_NONE,
	ZOC_VPC_CT_SYN_SENT,
	ZOC_VPC_CT_SYN_RECV,
	ZOC_VPC_CT_ESTABLISHED,
	ZOC_VPC_CT_FIN_WAIT,
	ZOC_VPC_CT_TIME_WAIT,
	ZOC_VPC_CT_CLOSE,
	ZOC_VPC_CT_UDP,
	ZOC_VPC_CT_UDP_REPLIED,
	ZOC_VPC_CT_ICMP,
	ZOC_VPC_CT_ICMP_REPLIED,
	ZOC_VPC_CT_MAX,
};

/**
 * struct zoc_vpc_config - service VM wide settings (array map, one entry)
 * @vtep: this service VM's underlay address, source of encapsulated packets
 * @uplink: ifindex of the uplink, for underlay route lookups
 * @vxlan_port: UDP port of VXLAN (host order), normally 4789
 * @geneve_port: UDP port of Geneve (host order), normally 6081
 * @ct_table: the slot of the sessions map (0 or 1) that holds the
 *	session table new sessions go into; the other slot holds the table
 *	being drained into it while the table grows, or nothing
 * @timeout: idle time after which a session in a state expires, in
 *	nanoseconds, indexed by &enum zoc_vpc_ct_state
 * @ct_seed: random seed of zoc_vpc_ct_set_of(), chosen by the loader
 * @flags: ZOC_VPC_F_* (zero: the defaults)
 * @ct_quota: sessions a vNIC may hold in the table (zero: no limit); a
 *	session counts against the vNIC that sent its first packet, else
 *	against the vNIC it was sent to (the ct_held map, __u64 by slot,
 *	has the counts)
 * @reserved: zero
 * @ct_sets: sets of the session table in each slot of the sessions map
 *	(zero for an empty slot)
 *
 * A table's size never changes while its slot holds it, and a grown table
 * becomes the one in use by the single write of @ct_table: the datapath
 * reads @ct_table once per packet and trusts no other pairing of a table
 * with a size.
 */
struct zoc_vpc_config {
	__be32 vtep;
	__u32 uplink;
	__u16 vxlan_port;
	__u16 geneve_port;
	__u32 ct_table;
	__u64 timeout[ZOC_VPC_CT_MAX];
	__u32 ct_seed;
	__u32 flags;
	__u32 ct_quota;
	__u32 reserved;
	__u32 ct_sets[ZOC_VPC_CT_TABLES];
};

/*
 * No TCP pick-up: a TCP segment without a live session opens one only if
 * it is a SYN.  By default an ACK segment of a connection the table does
 * not know (its session expired, or the service VM restarted) opens an
 * established session if the security groups admit the connection in
 * either direction, as nf_conntrack's tcp_loose does.
 */
#define ZOC_VPC_F_TCP_STRICT	0x1

/**
 * struct zoc_vpc_vnic - one vNIC, keyed by its representor's ifindex (__u32)
 * @vni: the VPC it belongs to (24 bits)
 * @slot: its index in the per-vNIC maps (security groups, counters)
 * @addr: its IPv4 address; packets from other sources are dropped
 * @gateway: the gateway address it is configured with, answered by ARP
 * @mac: its MAC address; frames from other sources are dropped
 * @gateway_mac: the MAC address given out for @gateway
 */
struct zoc_vpc_vnic {
	__u32 vni;
	__u32 slot;
	__be32 addr;
	__be32 gateway;
	__u8 mac[6];
	__u8 gateway_mac[6];
};

/**
 * struct zoc_vpc_route_key - key of the route table (LPM trie)
 * @prefixlen: 32 + the length of the address prefix: the VNI always matches
 * @vni: the VPC (24 bits, host order; the trie matches it whole)
 * @addr: destination address prefix
 *
 * An entry with @prefixlen 32 (VNI only, type %ZOC_VPC_ROUTE_NONE) marks
 * the VNI as known, so that a lookup tells an unknown VNI (no match) from
 * a known VPC without a route (that entry).
 */
struct zoc_vpc_route_key {
	__u32 prefixlen;
	__u32 vni;
	__be32 addr;
};

/* enum zoc_vpc_route_type: what a route does */
#define ZOC_VPC_ROUTE_NONE	0	/* the VNI marker: no route */
#define ZOC_VPC_ROUTE_VNIC	1	/* deliver to a vNIC of this service VM */
#define ZOC_VPC_ROUTE_TUNNEL	2	/* encapsulate to a remote VTEP */
#define ZOC_VPC_ROUTE_BLACKHOLE	3	/* drop (e.g. unknown host of a subnet) */

/* enum zoc_vpc_encap: the tunnel of a %ZOC_VPC_ROUTE_TUNNEL route */
#define ZOC_VPC_ENCAP_VXLAN	0
#define ZOC_VPC_ENCAP_GENEVE	1

/**
 * struct zoc_vpc_route - value of the route table
 * @type: ZOC_VPC_ROUTE_*
 * @encap: ZOC_VPC_ENCAP_* for tunnel routes
 * @plen: the prefix length of the route (32 for a host), so that the ARP
 *	responder answers for hosts only
 * @reserved: zero
 * @mac: inner destination MAC: the peer's own MAC for a host route, the
 *	next router's MAC for a subnet or the default route
 * @slot: vNIC routes: the slot of the destination vNIC
 * @ifindex: vNIC routes: the destination's representor
 * @remote: tunnel routes: underlay address of the remote VTEP
 * @reserved2: zero
 */
struct zoc_vpc_route {
	__u8 type;
	__u8 encap;
	__u8 plen;
	__u8 reserved;
	__u8 mac[6];
	__u16 slot;
	__u32 ifindex;
	__be32 remote;
	__u32 reserved2;
};

/* Security group directions: the index in the sg map is slot * 2 + dir. */
#define ZOC_VPC_SG_INGRESS	0	/* towards the vNIC */
#define ZOC_VPC_SG_EGRESS	1	/* from the vNIC */

/**
 * struct zoc_vpc_sg_rule - one allow rule of a security group
 * @addr: remote address prefix (source for ingress, destination for egress)
 * @mask: its netmask
 * @port_lo: first destination port allowed (host order, TCP and UDP)
 * @port_hi: last destination port allowed
 * @proto: IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, or 0 for all three
 * @reserved: zero
 */
struct zoc_vpc_sg_rule {
	__be32 addr;
	__be32 mask;
	__u16 port_lo;
	__u16 port_hi;
	__u8 proto;
	__u8 reserved[3];
};

/**
 * struct zoc_vpc_sg - the rules of one vNIC in one direction (array map)
 * @count: rules in use; a new session is allowed if any of them matches,
 *	so with no rules nothing is allowed (default deny)
 * @reserved: zero
 * @rule: the rules
 */
struct zoc_vpc_sg {
	__u32 count;
	__u32 reserved;
	struct zoc_vpc_sg_rule rule[ZOC_VPC_SG_RULES];
};

/**
 * struct zoc_vpc_ct_key - a session, independent of the packet's direction
 * @vni: the VPC
 * @addr: the two endpoints' addresses; endpoint 0 is the lower
 *	(address, port) pair, so both directions find the same entry
 * @port: their ports (TCP, UDP), or the ICMP echo identifier for both
 * @proto: IP protocol
 * @reserved: zero
 */
struct zoc_vpc_ct_key {
	__u32 vni;
	__be32 addr[2];
	__be16 port[2];
	__u8 proto;
	__u8 reserved[3];
};

/* Bits of zoc_vpc_ct.flags */
#define ZOC_VPC_CT_OPENER1	0x01	/* endpoint 1 opened the session */
#define ZOC_VPC_CT_FIN0		0x02	/* endpoint 0 sent FIN */
#define ZOC_VPC_CT_FIN1		0x04	/* endpoint 1 sent FIN */
#define ZOC_VPC_CT_REPLIED	0x08	/* the other endpoint sent too */

/**
 * struct zoc_vpc_ct - the state of a session
 * @last_seen: CLOCK_MONOTONIC (coarse) time of the last packet, in ns
 * @packets: packets seen, both directions
 * @state: &enum zoc_vpc_ct_state; %ZOC_VPC_CT_NONE in a free entry
 * @flags: ZOC_VPC_CT_*
 * @owner: 1 + the slot of the vNIC the session counts against
 *	(&zoc_vpc_config.ct_quota), or 0
 */
struct zoc_vpc_ct {
	__u64 last_seen;
	__u32 packets;
	__u8 state;
	__u8 flags;
	__u16 owner;
};

/**
 * struct zoc_vpc_ct_entry - one session in the session table
 * @key: the session
 * @seq: odd while @key and @ct are being written, bumped by two for each
 *	new session written into the entry; a reader that matched @key
 *	checks that @seq did not change meanwhile
 * @ct: its state
 */
struct zoc_vpc_ct_entry {
	struct zoc_vpc_ct_key key;
	__u32 seq;
	struct zoc_vpc_ct ct;
};

/**
 * struct zoc_vpc_ct_set - value of the session table (array of sets)
 * @way: the sessions of the set: any session whose key hashes to the set
 *	may be in any of them
 * @reserved: zero; pads the set to 128 bytes, two cache lines
 *
 * A session table is an array map of sets, mmapable (so page aligned: a
 * set never straddles more than two cache lines), held in a slot of the
 * sessions map, an array of maps (&zoc_vpc_config.ct_table).  A session
 * lives in set zoc_vpc_ct_set_of(key, ct_seed, ct_sets[slot]) of its table.
 */
struct zoc_vpc_ct_set {
	struct zoc_vpc_ct_entry way[ZOC_VPC_CT_WAYS];
	__u64 reserved;
};

/**
 * zoc_vpc_ct_set_of() - the set of a session in the session table
 * @k: the session's key (reserved bytes zero)
 * @seed: &zoc_vpc_config.ct_seed
 * @sets: sets of the table (&zoc_vpc_config.ct_sets)
 *
 * Two multiply-xorshift rounds over the key; the high 32 bits are scaled
 * to [0, @sets).  Shared by the datapath and the tools that read the table.
 *
 * Return: the index of the set in the sessions map.
 */
static inline __u32 zoc_vpc_ct_set_of(const struct zoc_vpc_ct_key *k,
				      __u32 seed, __u32 sets)
{
	__u64 h;

	h = ((__u64)k->addr[0] << 32 | k->addr[1]) ^ seed;
	h *= 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	h ^= (__u64)(k->vni << 8 | k->proto) << 32 |
	     ((__u32)k->port[0] << 16 | k->port[1]);
	h *= 0xc2b2ae3d27d4eb4fULL;
	return ((h >> 32) * sets) >> 32;
}

/**
 * struct zoc_vpc_nexthop - cached underlay next hop of a remote VTEP
 * @remote: the VTEP address the entry is for
 * @ifindex: output device
 * @checked: CLOCK_MONOTONIC (coarse) time of the route and neighbour
 *	lookup the entry was filled from; used for %ZOC_VPC_NH_TTL_NS
 * @mtu: MTU of the underlay route
 * @dmac: the neighbour's MAC
 * @smac: the output device's MAC
 * @reserved: zero
 *
 * A per-CPU array of %ZOC_VPC_NH_SLOTS entries, private to the datapath
 * (not pinned), indexed by a hash of @remote.
 */
struct zoc_vpc_nexthop {
	__be32 remote;
	__u32 ifindex;
	__u64 checked;
	__u16 mtu;
	__u8 dmac[6];
	__u8 smac[6];
	__u16 reserved;
};

/**
 * struct zoc_vpc_vnic_stats - per-vNIC counters (per-CPU array, by slot)
 * @from_packets: packets the vNIC sent that were forwarded
 * @from_bytes: their bytes (inner frames)
 * @to_packets: packets delivered to the vNIC
 * @to_bytes: their bytes
 * @drops: packets from or to the vNIC that were dropped
 */
struct zoc_vpc_vnic_stats {
	__u64 from_packets;
	__u64 from_bytes;
	__u64 to_packets;
	__u64 to_bytes;
	__u64 drops;
};

/**
 * enum zoc_vpc_drop - why a packet was dropped (index of the drops map)
 * @ZOC_VPC_DROP_TRUNCATED: a header does not fit in the frame
 * @ZOC_VPC_DROP_BAD_IP: bad IPv4 version, length or header checksum
 * @ZOC_VPC_DROP_IP_OPTIONS: IPv4 options (not supported)
 * @ZOC_VPC_DROP_FRAGMENT: IPv4 fragment (not supported)
 * @ZOC_VPC_DROP_L3_PROTO: neither IPv4 nor ARP (IPv6 included)
 * @ZOC_VPC_DROP_L4_PROTO: neither TCP, UDP nor ICMP, or a bad L4 header
 * @ZOC_VPC_DROP_TTL: TTL expired
 * @ZOC_VPC_DROP_SPOOF: source MAC or IPv4 address not the vNIC's; or a
 *	tunnelled packet from the address of a vNIC of this service VM
 * @ZOC_VPC_DROP_BROADCAST: broadcast or multicast destination
 * @ZOC_VPC_DROP_NO_VNIC: received on a representor without configuration
 * @ZOC_VPC_DROP_UNKNOWN_VNI: VNI of no VPC of this service VM
 * @ZOC_VPC_DROP_NO_ROUTE: no route to the destination
 * @ZOC_VPC_DROP_BLACKHOLE: blackhole route
 * @ZOC_VPC_DROP_NOT_LOCAL: tunnelled packet for no vNIC of this service VM
 * @ZOC_VPC_DROP_SG: no security group rule allows the new session
 * @ZOC_VPC_DROP_CT_INVALID: TCP segment that neither opens nor belongs to
 *	a session, or an ICMP error or echo reply for no session
 * @ZOC_VPC_DROP_ARP: ARP that is malformed or not for the gateway or a peer
 * @ZOC_VPC_DROP_BAD_TUNNEL: bad VXLAN flags, Geneve version, critical
 *	Geneve options, OAM frames or inner protocol
 * @ZOC_VPC_DROP_UNDERLAY: no underlay route or neighbour to the VTEP
 * @ZOC_VPC_DROP_MTU: the encapsulated packet exceeds the underlay MTU
 * @ZOC_VPC_DROP_HEADROOM: no room to push or pull the outer headers
 * @ZOC_VPC_DROP_NO_PORT: the output device is not in the ports map
 * @ZOC_VPC_DROP_CT_FULL: a new session's set holds only live sessions
 *	both endpoints use, which a new one does not evict
 * @ZOC_VPC_DROP_CT_QUOTA: the vNIC a new session would count against
 *	holds &zoc_vpc_config.ct_quota sessions already
 * @ZOC_VPC_DROP_MAX: number of reasons
 */
enum zoc_vpc_drop {
	ZOC_VPC_DROP_TRUNCATED,
	ZOC_VPC_DROP_BAD_IP,
	ZOC_VPC_DROP_IP_OPTIONS,
	ZOC_VPC_DROP_FRAGMENT,
	ZOC_VPC_DROP_L3_PROTO,
	ZOC_VPC_DROP_L4_PROTO,
	ZOC_VPC_DROP_TTL,
	ZOC_VPC_DROP_SPOOF,
	ZOC_VPC_DROP_BROADCAST,
	ZOC_VPC_DROP_NO_VNIC,
	ZOC_VPC_DROP_UNKNOWN_VNI,
	ZOC_VPC_DROP_NO_ROUTE,
	ZOC_VPC_DROP_BLACKHOLE,
	ZOC_VPC_DROP_NOT_LOCAL,
	ZOC_VPC_DROP_SG,
	ZOC_VPC_DROP_CT_INVALID,
	ZOC_VPC_DROP_ARP,
	ZOC_VPC_DROP_BAD_TUNNEL,
	ZOC_VPC_DROP_UNDERLAY,
	ZOC_VPC_DROP_MTU,
	ZOC_VPC_DROP_HEADROOM,
	ZOC_VPC_DROP_NO_PORT,
	ZOC_VPC_DROP_CT_FULL,
	ZOC_VPC_DROP_CT_QUOTA,
	ZOC_VPC_DROP_MAX,
};

/**
 * enum zoc_vpc_event - what happened to forwarded packets (events map)
 * @ZOC_VPC_EV_ENCAP: encapsulated towards a remote VTEP
 * @ZOC_VPC_EV_DECAP: decapsulated and delivered to a vNIC
 * @ZOC_VPC_EV_LOCAL: forwarded from a vNIC to another vNIC
 * @ZOC_VPC_EV_ARP_REPLY: ARP request answered
 * @ZOC_VPC_EV_CT_NEW: session created
 * @ZOC_VPC_EV_CT_HIT: packet of a known session
 * @ZOC_VPC_EV_CT_EXPIRED: a session found idle past its timeout
 * @ZOC_VPC_EV_CT_RELATED: ICMP error of a known session
 * @ZOC_VPC_EV_PASS: uplink packet not for the VPC, left to the stack
 * @ZOC_VPC_EV_CT_EVICTED: a live session overwritten by a new one, its set
 *	being full
 * @ZOC_VPC_EV_CT_PICKUP: an established TCP session taken up from an ACK
 *	segment of a connection the table did not know
 * @ZOC_VPC_EV_CT_SWEPT: an expired session freed by the sweep, which
 *	gives it back to the vNIC it counted against
 * @ZOC_VPC_EV_GSO: a GSO frame of a vNIC forwarded whole, to be segmented
 *	after its encapsulation (also counted as encapsulated or local)
 * @ZOC_VPC_EV_FRAG_NEEDED: a vNIC's packet too big for the underlay (and
 *	counted dropped for it) answered with ICMP "fragmentation needed"
 * @ZOC_VPC_EV_MAX: number of events
 */
enum zoc_vpc_event {
	ZOC_VPC_EV_ENCAP,
	ZOC_VPC_EV_DECAP,
	ZOC_VPC_EV_LOCAL,
	ZOC_VPC_EV_ARP_REPLY,
	ZOC_VPC_EV_CT_NEW,
	ZOC_VPC_EV_CT_HIT,
	ZOC_VPC_EV_CT_EXPIRED,
	ZOC_VPC_EV_CT_RELATED,
	ZOC_VPC_EV_PASS,
	ZOC_VPC_EV_CT_EVICTED,
	ZOC_VPC_EV_CT_PICKUP,
	ZOC_VPC_EV_CT_SWEPT,
	ZOC_VPC_EV_GSO,
	ZOC_VPC_EV_FRAG_NEEDED,
	ZOC_VPC_EV_MAX,
};

#endif /* _UAPI_LINUX_ZOC_VPC_H */
