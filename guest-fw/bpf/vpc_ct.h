/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zoc_vpc: connection tracking and the security groups: the sessions a
 * packet belongs to or opens, TCP's states, the table's replacement and
 * quota, and the admission of a packet by its session or the groups.
 */
#ifndef _ZOC_VPC_CT_H
#define _ZOC_VPC_CT_H

#include "vpc_common.h"

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

#endif
