// SPDX-License-Identifier: GPL-2.0
/*
 * vpc_test: connection tracking, and the session table's growth under
 * traffic (vpc_test.c has the rest).
 */

#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vpc-ct.h"
#include "vpc-tables.h"
#include "vpc_test.h"

static int tcp_out(struct vt *t, uint16_t sport, uint8_t flags)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_TCP, sport, 5000, flags);
	struct pkt in;

	pkt_inner(&in, &f);
	return expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_);
}

static int tcp_in(struct vt *t, uint16_t dport, uint8_t flags)
{
	struct pkt out;

	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_TCP, 5000, dport,
	       flags, 100);
	return expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_);
}

static int tcp_state(struct vt *t, uint16_t sport, uint8_t state)
{
	return expect_state(t, IPPROTO_TCP, "10.1.0.10", sport, "10.1.0.30",
			    5000, state);
}

int t_ct_tcp(struct vt *t)
{
	const uint16_t p = 40010;

	return tcp_out(t, p, 0x02) || tcp_state(t, p, ZOC_VPC_CT_SYN_SENT) ||
	       tcp_in(t, p, 0x12) || tcp_state(t, p, ZOC_VPC_CT_SYN_RECV) ||
	       tcp_out(t, p, 0x10) || tcp_state(t, p, ZOC_VPC_CT_ESTABLISHED) ||
	       tcp_in(t, p, 0x18) || tcp_state(t, p, ZOC_VPC_CT_ESTABLISHED) ||
	       tcp_out(t, p, 0x11) || tcp_state(t, p, ZOC_VPC_CT_FIN_WAIT) ||
	       tcp_in(t, p, 0x11) || tcp_state(t, p, ZOC_VPC_CT_TIME_WAIT) ||
	       tcp_out(t, p, 0x10) || tcp_state(t, p, ZOC_VPC_CT_TIME_WAIT) ||
	       tcp_out(t, p, 0x02) || tcp_state(t, p, ZOC_VPC_CT_SYN_SENT) ||
	       tcp_in(t, p, 0x14) || tcp_state(t, p, ZOC_VPC_CT_CLOSE) ? -1 : 0;
}

int t_ct_no_session(struct vt *t)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_TCP, 40011, 5000, 0x11);
	struct pkt in, out;

	/* a FIN, even with ACK, takes nothing up */
	pkt_inner(&in, &f);
	if (expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_CT_INVALID))
		return -1;
	f.tcp_flags = 0x14;
	pkt_inner(&in, &f);
	if (expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_CT_INVALID))
		return -1;
	/* and a SYN+ACK opens nothing either, from outside */
	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_TCP, 5000, 22, 0x12,
	       100);
	return expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_CT_INVALID);
}

int t_ct_bad_answer(struct vt *t)
{
	struct pkt out;

	if (tcp_out(t, 40012, 0x02))
		return -1;
	/* an ACK without SYN cannot answer a SYN */
	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_TCP, 5000, 40012,
	       0x10, 100);
	if (expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_CT_INVALID))
		return -1;
	return tcp_state(t, 40012, ZOC_VPC_CT_SYN_SENT);
}

int t_ct_icmp(struct vt *t)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_ICMP, 7, 0, 0);
	struct pkt in, out;

	pkt_inner(&in, &f);
	if (expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_) ||
	    expect_state(t, IPPROTO_ICMP, "10.1.0.10", 7, "10.1.0.30", 7,
			 ZOC_VPC_CT_ICMP))
		return -1;
	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_ICMP, 7, 0, 0, 100);
	if (expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_) ||
	    expect_state(t, IPPROTO_ICMP, "10.1.0.10", 7, "10.1.0.30", 7,
			 ZOC_VPC_CT_ICMP_REPLIED))
		return -1;
	/* an echo reply nobody asked for */
	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_ICMP, 8, 0, 0, 100);
	return expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_CT_INVALID);
}

/* An ICMP error from @from about a TCP packet 10.1.0.10:@sport -> .30:5000. */
/* @inner, an ICMP error of @f's (payload 28), quoting the packet of @q. */
static void icmp_quote(struct pkt *inner, struct flow *f, const struct flow *q)
{
	struct pkt quoted;
	uint8_t *icmp;

	f->proto = IPPROTO_ICMP;
	f->icmp_type = 3;
	f->payload = 28;
	pkt_inner(&quoted, q);
	pkt_inner(inner, f);
	icmp = inner->b + 34;
	icmp[1] = 3;			/* port unreachable */
	memset(icmp + 4, 0, 4);
	memcpy(icmp + 8, quoted.b + 14, 28);
	pkt_put16(icmp + 2, 0);
	pkt_put16(icmp + 2, pkt_csum(icmp, 36));
}

/* 10.1.0.30's error to @to about rep0's segment from port @sport. */
static void icmp_error(struct vt *t, struct pkt *out, uint16_t sport,
		       const char *to)
{
	struct flow quoted = from_v0("10.1.0.30", IPPROTO_TCP, sport, 5000, 2);
	struct flow f = {
		.saddr = pkt_ip4("10.1.0.30"), .daddr = pkt_ip4(to), .ttl = 64,
	};
	struct pkt inner;

	memcpy(f.smac, mac_r30, 6);
	memcpy(f.dmac, mac_v0, 6);
	icmp_quote(&inner, &f, &quoted);
	pkt_vxlan(out, &inner, t->up0_mac, mac_up1, pkt_ip4("192.168.50.2"),
		  pkt_ip4("192.168.50.1"), 100);
}

int t_ct_related(struct vt *t)
{
	uint64_t ev = events(t, ZOC_VPC_EV_CT_RELATED);
	struct pkt out;

	if (tcp_out(t, 40013, 0x02))
		return -1;
	icmp_error(t, &out, 40013, "10.1.0.10");
	if (expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_) ||
	    !expect(t, events(t, ZOC_VPC_EV_CT_RELATED) == ev + 1,
		    "related not counted"))
		return -1;
	icmp_error(t, &out, 40014, "10.1.0.10");
	if (expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_CT_INVALID))
		return -1;
	/* rep0's session quoted in an error to rep1, past rep1's group */
	icmp_error(t, &out, 40013, "10.1.0.20");
	return expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_CT_INVALID);
}

int t_ct_related_out(struct vt *t)
{
	struct flow seg = {
		.saddr = pkt_ip4("10.1.0.30"), .daddr = pkt_ip4("10.1.0.10"),
		.proto = IPPROTO_TCP, .sport = 5000, .dport = 40015,
		.tcp_flags = 0x12, .ttl = 64,
	};
	struct flow f;
	struct pkt in;

	if (tcp_out(t, 40015, 0x02) || tcp_in(t, 40015, 0x12))
		return -1;
	/* rep0 refuses a segment it was sent: the error goes */
	f = from_v0("10.1.0.30", 0, 0, 0, 0);
	icmp_quote(&in, &f, &seg);
	if (expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_))
		return -1;
	/* rep1 quotes it too, past its own egress group */
	f = from_v1("10.1.0.30", 0, 0, 0, 0);
	icmp_quote(&in, &f, &seg);
	return expect_drop(t, t->vnic, t->rep[1], &in, ZOC_VPC_DROP_CT_INVALID);
}

int t_ct_timeout_tcp(struct vt *t)
{
	uint64_t ev = events(t, ZOC_VPC_EV_CT_EXPIRED);
	struct flow f;
	struct pkt in;

	if (tcp_out(t, 40020, 0x02) || tcp_in(t, 40020, 0x12) ||
	    tcp_out(t, 40020, 0x10) || tcp_state(t, 40020, ZOC_VPC_CT_ESTABLISHED))
		return -1;
	/* vpc-test.conf sets tcp_established to 100 s */
	if (age_session(t, IPPROTO_TCP, "10.1.0.10", 40020, "10.1.0.30", 5000, 90) ||
	    tcp_in(t, 40020, 0x10))
		return -1;
	if (age_session(t, IPPROTO_TCP, "10.1.0.10", 40020, "10.1.0.30", 5000, 101))
		return -1;
	/* gone: its FIN has no session (an ACK would take it up again) */
	f = from_v0("10.1.0.30", IPPROTO_TCP, 40020, 5000, 0x11);
	pkt_inner(&in, &f);
	if (expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_CT_INVALID))
		return -1;
	return expect(t, events(t, ZOC_VPC_EV_CT_EXPIRED) == ev + 1,
		      "expiry not counted") ? 0 : -1;
}

/*
 * A session taken up from the segment just run: established, opened by
 * endpoint 1 of its key if @opener1, counted once as a pick-up and not
 * as a new session.
 */
static int expect_pickup(struct vt *t, const char *a, uint16_t pa,
			 const char *b, uint16_t pb, bool opener1,
			 uint64_t pickups, uint64_t news)
{
	struct zoc_vpc_ct ct;

	if (!expect(t, !session(t, 100, IPPROTO_TCP, a, pa, b, pb, &ct),
		    "no session %s:%u %s:%u", a, pa, b, pb))
		return -1;
	if (!expect(t, ct.state == ZOC_VPC_CT_ESTABLISHED,
		    "session state %u, not established", ct.state) ||
	    !expect(t, !!(ct.flags & ZOC_VPC_CT_OPENER1) == opener1,
		    "opener is endpoint %d", !opener1))
		return -1;
	return expect(t, events(t, ZOC_VPC_EV_CT_PICKUP) == pickups + 1 &&
		      events(t, ZOC_VPC_EV_CT_NEW) == news,
		      "pick-ups %llu -> %llu, new sessions %llu -> %llu",
		      (unsigned long long)pickups,
		      (unsigned long long)events(t, ZOC_VPC_EV_CT_PICKUP),
		      (unsigned long long)news,
		      (unsigned long long)events(t, ZOC_VPC_EV_CT_NEW)) ? 0 : -1;
}

int t_ct_pickup_sender(struct vt *t)
{
	uint64_t pu = events(t, ZOC_VPC_EV_CT_PICKUP);
	uint64_t nw = events(t, ZOC_VPC_EV_CT_NEW);

	/* rep0's egress group would have let it open this connection */
	if (tcp_out(t, 40030, 0x18) ||
	    expect_pickup(t, "10.1.0.10", 40030, "10.1.0.30", 5000, false,
			  pu, nw))
		return -1;
	/* its answers then pass, which rep0's ingress group alone refuses */
	return tcp_in(t, 40030, 0x18) || tcp_in(t, 40030, 0x10) ||
	       tcp_state(t, 40030, ZOC_VPC_CT_ESTABLISHED) ? -1 : 0;
}

int t_ct_pickup_receiver(struct vt *t)
{
	uint64_t pu = events(t, ZOC_VPC_EV_CT_PICKUP);
	uint64_t nw = events(t, ZOC_VPC_EV_CT_NEW);

	/*
	 * Data of a download rep0 asked for: rep0's ingress group refuses
	 * a connection from 10.1.0.30:5000, but its egress group lets it
	 * open one to port 5000, so the receiver is the opener.
	 */
	if (tcp_in(t, 40031, 0x18) ||
	    expect_pickup(t, "10.1.0.10", 40031, "10.1.0.30", 5000, false,
			  pu, nw))
		return -1;
	if (tcp_out(t, 40031, 0x10) ||
	    tcp_out(t, 40031, 0x11) || tcp_state(t, 40031, ZOC_VPC_CT_FIN_WAIT))
		return -1;
	return tcp_in(t, 40031, 0x11) ||
	       tcp_state(t, 40031, ZOC_VPC_CT_TIME_WAIT) ? -1 : 0;
}

int t_ct_pickup_sg(struct vt *t)
{
	uint64_t pu = events(t, ZOC_VPC_EV_CT_PICKUP);
	struct flow f = from_v1("10.1.0.30", IPPROTO_TCP, 40032, 5000, 0x10);
	struct zoc_vpc_ct ct;
	struct pkt in, out;

	/* rep1 may open TCP to ports 80-81 only, and take none from .30 */
	pkt_inner(&in, &f);
	if (expect_drop(t, t->vnic, t->rep[1], &in, ZOC_VPC_DROP_SG))
		return -1;
	remote(t, &out, "10.1.0.30", "10.1.0.20", IPPROTO_TCP, 5000, 40033,
	       0x18, 100);
	if (expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_SG))
		return -1;
	if (!expect(t, session(t, 100, IPPROTO_TCP, "10.1.0.20", 40033,
			       "10.1.0.30", 5000, &ct),
		    "a refused segment made a session") ||
	    !expect(t, events(t, ZOC_VPC_EV_CT_PICKUP) == pu,
		    "a refused segment counted as a pick-up"))
		return -1;
	/* an answer from port 80 is data of a connection rep1 could open */
	remote(t, &out, "10.1.0.30", "10.1.0.20", IPPROTO_TCP, 80, 40034,
	       0x10, 100);
	return expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_);
}

/* Set or clear @flags in the datapath's configuration. */
static int config_flags(struct vt *t, uint32_t set, uint32_t clear)
{
	struct zoc_vpc_config cfg;
	uint32_t zero = 0;

	if (!expect(t, !bpf_map_lookup_elem(t->config, &zero, &cfg),
		    "config lookup"))
		return -1;
	cfg.flags = (cfg.flags & ~clear) | set;
	return expect(t, !bpf_map_update_elem(t->config, &zero, &cfg, BPF_EXIST),
		      "config update") ? 0 : -1;
}

int t_ct_pickup_strict(struct vt *t)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_TCP, 40035, 5000, 0x10);
	struct pkt in;
	int ret;

	if (config_flags(t, ZOC_VPC_F_TCP_STRICT, 0))
		return -1;
	pkt_inner(&in, &f);
	ret = expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_CT_INVALID);
	if (config_flags(t, 0, ZOC_VPC_F_TCP_STRICT))
		return -1;
	return ret ? -1 : expect_verdict(t, t->vnic, t->rep[0], &in,
					 XDP_REDIRECT_);
}

int t_ct_timeout_udp(struct vt *t)
{
	struct flow f = from_v1("10.1.0.30", IPPROTO_UDP, 40021, 53, 0);
	struct pkt in, out;

	pkt_inner(&in, &f);
	if (expect_verdict(t, t->vnic, t->rep[1], &in, XDP_REDIRECT_))
		return -1;
	/* udp: 30 s; at 29 s idle the answer still passes */
	if (age_session(t, IPPROTO_UDP, "10.1.0.20", 40021, "10.1.0.30", 53, 29))
		return -1;
	remote(t, &out, "10.1.0.30", "10.1.0.20", IPPROTO_UDP, 53, 40021, 0,
	       100);
	if (expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_))
		return -1;
	/* udp_replied: 120 s */
	if (age_session(t, IPPROTO_UDP, "10.1.0.20", 40021, "10.1.0.30", 53, 121))
		return -1;
	return expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_SG);
}

/*
 * Find @n UDP flows 10.1.0.10:sport -> 10.1.0.30:dport whose sessions fall
 * in one set of the session table, the first with source port @base; empty
 * that set.  Returns its index, or -1.
 */
static int ct_colliding(struct vt *t, uint16_t base, unsigned int n,
			uint16_t *sport, uint16_t *dport)
{
	struct zoc_vpc_ct_set set, empty = {};
	struct zoc_vpc_config cfg;
	struct zoc_vpc_ct_key key;
	uint32_t zero = 0, idx, i;
	unsigned int found = 1;

	if (!expect(t, !bpf_map_lookup_elem(t->config, &zero, &cfg),
		    "config: %s", strerror(errno)))
		return -1;
	sport[0] = base;
	dport[0] = 53;
	ct_key(&key, 100, IPPROTO_UDP, "10.1.0.10", base, "10.1.0.30", 53);
	if (ct_set(t, &key, &set, &idx))
		return -1;
	for (i = 0; found < n && i < 50000000; i++) {
		sport[found] = base + 1 + i % 10000;
		dport[found] = 1000 + i / 10000;
		ct_key(&key, 100, IPPROTO_UDP, "10.1.0.10", sport[found],
		       "10.1.0.30", dport[found]);
		if (zoc_vpc_ct_set_of(&key, cfg.ct_seed,
				      vpc_table_sets(&cfg)) == idx)
			found++;
	}
	if (!expect(t, found == n, "only %u flows found in set %u", found,
		    idx) ||
	    !expect(t, !bpf_map_update_elem(t->sessions, &idx, &empty, BPF_EXIST),
		    "emptying set %u: %s", idx, strerror(errno)))
		return -1;
	return idx;
}

/* Send UDP flow @i of ct_colliding() from vNIC 0: a new session. */
/* rep0's packet of UDP flow @i of ct_colliding(). */
static void ct_packet(struct pkt *in, const uint16_t *sport,
		      const uint16_t *dport, unsigned int i)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_UDP, sport[i], dport[i], 0);

	pkt_inner(in, &f);
}

static int ct_send(struct vt *t, const uint16_t *sport, const uint16_t *dport,
		   unsigned int i)
{
	struct pkt in;

	ct_packet(&in, sport, dport, i);
	return expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_);
}

/* The answer of the remote host to UDP flow @i of ct_colliding(). */
static void ct_answer(struct vt *t, struct pkt *out, const uint16_t *sport,
		      const uint16_t *dport, unsigned int i)
{
	remote(t, out, "10.1.0.30", "10.1.0.10", IPPROTO_UDP, dport[i],
	       sport[i], 0, 100);
}

static bool ct_has(struct vt *t, const uint16_t *sport, const uint16_t *dport,
		   unsigned int i)
{
	struct zoc_vpc_ct ct;

	return !session(t, 100, IPPROTO_UDP, "10.1.0.10", sport[i], "10.1.0.30",
			dport[i], &ct);
}

int t_ct_evict(struct vt *t)
{
	uint16_t sport[4], dport[4];
	uint64_t evicted, created;
	struct pkt out;
	unsigned int i;

	if (ct_colliding(t, 41000, 4, sport, dport) < 0)
		return -1;
	/* three live sessions fill the set, the first seen longest ago */
	for (i = 0; i < 3; i++)
		if (ct_send(t, sport, dport, i))
			return -1;
	for (i = 0; i < 3; i++)
		if (age_session(t, IPPROTO_UDP, "10.1.0.10", sport[i],
				"10.1.0.30", dport[i], 3 - i))
			return -1;
	evicted = events(t, ZOC_VPC_EV_CT_EVICTED);
	created = events(t, ZOC_VPC_EV_CT_NEW);
	if (ct_send(t, sport, dport, 3))
		return -1;
	if (!expect(t, events(t, ZOC_VPC_EV_CT_EVICTED) == evicted + 1,
		    "ct_evicted not counted") ||
	    !expect(t, events(t, ZOC_VPC_EV_CT_NEW) == created + 1,
		    "ct_new not counted") ||
	    !expect(t, !ct_has(t, sport, dport, 0),
		    "the least recently seen session was not evicted") ||
	    !expect(t, ct_has(t, sport, dport, 1) && ct_has(t, sport, dport, 2) &&
		    ct_has(t, sport, dport, 3), "a live session is missing"))
		return -1;
	/* the evicted session's answer is unsolicited now, the others pass */
	ct_answer(t, &out, sport, dport, 0);
	if (expect_drop(t, t->uplink, t->up0, &out, ZOC_VPC_DROP_SG))
		return -1;
	for (i = 1; i < 4; i++) {
		ct_answer(t, &out, sport, dport, i);
		if (expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_))
			return -1;
	}
	return 0;
}

int t_ct_evict_answered(struct vt *t)
{
	uint16_t sport[5], dport[5];
	uint64_t evicted, created;
	struct pkt out, in;
	unsigned int i;

	if (ct_colliding(t, 46000, 5, sport, dport) < 0)
		return -1;
	/* flows 0 and 1 answered, seen longest ago; flow 2 unanswered */
	for (i = 0; i < 3; i++)
		if (ct_send(t, sport, dport, i))
			return -1;
	for (i = 0; i < 2; i++) {
		ct_answer(t, &out, sport, dport, i);
		if (expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_) ||
		    age_session(t, IPPROTO_UDP, "10.1.0.10", sport[i],
				"10.1.0.30", dport[i], 20 - i))
			return -1;
	}
	/* a new session evicts the unanswered one, not the oldest */
	evicted = events(t, ZOC_VPC_EV_CT_EVICTED);
	if (ct_send(t, sport, dport, 3))
		return -1;
	if (!expect(t, events(t, ZOC_VPC_EV_CT_EVICTED) == evicted + 1,
		    "ct_evicted not counted") ||
	    !expect(t, !ct_has(t, sport, dport, 2),
		    "the unanswered session was not evicted") ||
	    !expect(t, ct_has(t, sport, dport, 0) && ct_has(t, sport, dport, 1),
		    "an answered session was evicted"))
		return -1;
	/* all three answered: a fourth is refused, none is evicted */
	ct_answer(t, &out, sport, dport, 3);
	if (expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_))
		return -1;
	evicted = events(t, ZOC_VPC_EV_CT_EVICTED);
	created = events(t, ZOC_VPC_EV_CT_NEW);
	ct_packet(&in, sport, dport, 4);
	if (expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_CT_FULL))
		return -1;
	return expect(t, events(t, ZOC_VPC_EV_CT_EVICTED) == evicted &&
		      events(t, ZOC_VPC_EV_CT_NEW) == created &&
		      ct_has(t, sport, dport, 0) && ct_has(t, sport, dport, 1) &&
		      ct_has(t, sport, dport, 3),
		      "an answered session was evicted") ? 0 : -1;
}

int t_ct_reuse_expired(struct vt *t)
{
	uint16_t sport[4], dport[4];
	uint64_t evicted, created;
	struct pkt out;
	unsigned int i;

	if (ct_colliding(t, 51000, 4, sport, dport) < 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (ct_send(t, sport, dport, i))
			return -1;
	/* flow 1 answered: udp_replied, 120 s */
	ct_answer(t, &out, sport, dport, 1);
	if (expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_))
		return -1;
	/* flow 0 expired (udp: 30 s), flow 1 live but seen longest ago */
	if (age_session(t, IPPROTO_UDP, "10.1.0.10", sport[0], "10.1.0.30",
			dport[0], 31) ||
	    age_session(t, IPPROTO_UDP, "10.1.0.10", sport[1], "10.1.0.30",
			dport[1], 60) ||
	    age_session(t, IPPROTO_UDP, "10.1.0.10", sport[2], "10.1.0.30",
			dport[2], 1))
		return -1;
	evicted = events(t, ZOC_VPC_EV_CT_EVICTED);
	created = events(t, ZOC_VPC_EV_CT_NEW);
	if (ct_send(t, sport, dport, 3))
		return -1;
	if (!expect(t, events(t, ZOC_VPC_EV_CT_EVICTED) == evicted,
		    "a live session was evicted") ||
	    !expect(t, events(t, ZOC_VPC_EV_CT_NEW) == created + 1,
		    "ct_new not counted") ||
	    !expect(t, !ct_has(t, sport, dport, 0),
		    "the expired session was not replaced") ||
	    !expect(t, ct_has(t, sport, dport, 1) && ct_has(t, sport, dport, 2) &&
		    ct_has(t, sport, dport, 3), "a live session is missing"))
		return -1;
	for (i = 1; i < 4; i++) {
		ct_answer(t, &out, sport, dport, i);
		if (expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_))
			return -1;
	}
	return 0;
}

/* Sessions the vNIC of representor @ifindex holds, or -1. */
static int64_t ct_held(struct vt *t, unsigned int ifindex)
{
	struct zoc_vpc_vnic vnic;
	uint64_t held;

	if (bpf_map_lookup_elem(t->vnics, &ifindex, &vnic) ||
	    bpf_map_lookup_elem(t->ct_held, &vnic.slot, &held))
		return -1;
	return held;
}

/* Set the quota of sessions to @quota; the one before through @old. */
static int set_quota(struct vt *t, uint32_t quota, uint32_t *old)
{
	struct zoc_vpc_config cfg;
	uint32_t zero = 0;

	if (!expect(t, !bpf_map_lookup_elem(t->config, &zero, &cfg),
		    "config: %s", strerror(errno)))
		return -1;
	if (old)
		*old = cfg.ct_quota;
	cfg.ct_quota = quota;
	return expect(t, !bpf_map_update_elem(t->config, &zero, &cfg, BPF_EXIST),
		      "config: %s", strerror(errno)) ? 0 : -1;
}

/* A whole pass of the sweep over the session table, at once. */
static const uint8_t ct_sweep_frame[64];

static int ct_sweep_pass(struct vt *t)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = ct_sweep_frame,
		    .data_size_in = sizeof(ct_sweep_frame), .repeat = 1);
	unsigned int i;

	for (i = 0; i <= 100; i++)
		if (!expect(t, !bpf_prog_test_run_opts(t->sweep, &opts) &&
			    opts.retval == XDP_DROP_, "sweep: %s, verdict %u",
			    strerror(errno), opts.retval))
			return -1;
	return 0;
}

/* rep0's UDP flow to 10.1.0.30, port @dport. */
static int quota_send(struct vt *t, uint16_t dport, uint32_t drop)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_UDP, 62000, dport, 0);
	struct pkt in;

	pkt_inner(&in, &f);
	return drop ? expect_drop(t, t->vnic, t->rep[0], &in, drop) :
		      expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_);
}

/*
 * rep0 may hold two more sessions than it has: a third new one drops as
 * ct_quota, while its sessions go on and rep1 opens one.  Once its two
 * expire, the sweep gives them back and rep0 opens a session again.  The
 * sessions earlier tests left expired are swept first.
 */
int t_ct_quota(struct vt *t)
{
	struct flow f1 = from_v1("10.1.0.30", IPPROTO_UDP, 62000, 53, 0);
	uint64_t swept;
	struct pkt in, out;
	uint32_t quota;
	int64_t held;
	int ret = -1;
	uint16_t p;

	if (ct_sweep_pass(t))
		return -1;
	held = ct_held(t, t->rep[0]);
	swept = events(t, ZOC_VPC_EV_CT_SWEPT);
	if (!expect(t, held >= 0, "no held count for rep0") ||
	    set_quota(t, held + 2, &quota))
		return -1;
	for (p = 7000; p < 7002; p++)
		if (quota_send(t, p, 0))
			goto out;
	if (!expect(t, ct_held(t, t->rep[0]) == held + 2,
		    "rep0 holds %lld sessions, not %lld",
		    (long long)ct_held(t, t->rep[0]), (long long)held + 2) ||
	    quota_send(t, 7002, ZOC_VPC_DROP_CT_QUOTA) ||
	    quota_send(t, 7001, 0))
		goto out;
	remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_UDP, 7000, 62000, 0,
	       100);
	pkt_inner(&in, &f1);
	if (expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_) ||
	    expect_verdict(t, t->vnic, t->rep[1], &in, XDP_REDIRECT_))
		goto out;
	for (p = 7000; p < 7002; p++)
		if (age_session(t, IPPROTO_UDP, "10.1.0.10", 62000, "10.1.0.30",
				p, 121))
			goto out;
	if (ct_sweep_pass(t))
		goto out;
	if (!expect(t, events(t, ZOC_VPC_EV_CT_SWEPT) >= swept + 2,
		    "ct_swept went from %llu to %llu", (unsigned long long)swept,
		    (unsigned long long)events(t, ZOC_VPC_EV_CT_SWEPT)) ||
	    !expect(t, ct_held(t, t->rep[0]) == held,
		    "rep0 holds %lld sessions after the sweep, not %lld",
		    (long long)ct_held(t, t->rep[0]), (long long)held) ||
	    quota_send(t, 7002, 0))
		goto out;
	ret = 0;
out:
	set_quota(t, quota, NULL);
	return ret;
}

/* --- growing the session table ------------------------------------- */

#define GROW_FLOWS	64

/**
 * struct grow_load - packets of live sessions, sent while the table grows
 * @t: a copy of the test's state, for this thread's runs
 * @stop: set when the grow is done
 * @runs: packets sent
 * @failed: packets not let through
 */
struct grow_load {
	struct vt t;
	bool stop;
	unsigned long runs;
	unsigned long failed;
};

/* The answers to the UDP flows and both ends of the TCP connection. */
static void *grow_send(void *arg)
{
	struct grow_load *g = arg;
	struct vt *t = &g->t;
	struct pkt out, in;
	struct flow f;
	unsigned int i = 0;

	f = from_v0("10.1.0.30", IPPROTO_TCP, 40090, 5000, 0x10);
	pkt_inner(&in, &f);
	while (!__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE) ||
	       g->runs < 4 * GROW_FLOWS) {
		if (i == GROW_FLOWS) {
			if (expect_verdict(t, t->vnic, t->rep[0], &in,
					   XDP_REDIRECT_))
				g->failed++;
			remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_TCP,
			       5000, 40090, 0x10, 100);
			i = 0;
		} else {
			remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_UDP,
			       53, 47000 + i++, 0, 100);
		}
		if (expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_))
			g->failed++;
		g->runs++;
	}
	return NULL;
}

/* Every flow of the test has its session, in the table in use. */
static int grow_sessions(struct vt *t)
{
	struct zoc_vpc_ct ct;
	unsigned int i;

	for (i = 0; i < GROW_FLOWS; i++)
		if (!expect(t, !session(t, 100, IPPROTO_UDP, "10.1.0.10",
					47000 + i, "10.1.0.30", 53, &ct) &&
			    ct.state == ZOC_VPC_CT_UDP_REPLIED,
			    "UDP session %u missing or not answered", i))
			return -1;
	return tcp_state(t, 40090, ZOC_VPC_CT_ESTABLISHED);
}

/*
 * The table doubles while the answers of 64 UDP sessions and the segments
 * of an established TCP connection (no pick-up: a lost session drops)
 * keep coming: none is refused, no session is opened again, the vNIC
 * holds as many as before, and each is in the new table afterwards.
 */
int t_ct_grow(struct vt *t)
{
	struct grow_load *g = calloc(1, sizeof(*g));
	struct vpc_ct_moved st = { 0 };
	uint64_t created, picked;
	struct zoc_vpc_config cfg;
	uint32_t zero = 0, sets, slot, id;
	int64_t held;
	pthread_t th;
	unsigned int i;
	int ret = -1, grown;

	if (!expect(t, g, "no memory") || config_flags(t, ZOC_VPC_F_TCP_STRICT, 0))
		goto out;
	for (i = 0; i < GROW_FLOWS; i++) {
		struct flow f = from_v0("10.1.0.30", IPPROTO_UDP, 47000 + i,
					53, 0);
		struct pkt in, out;

		pkt_inner(&in, &f);
		remote(t, &out, "10.1.0.30", "10.1.0.10", IPPROTO_UDP, 53,
		       47000 + i, 0, 100);
		if (expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_) ||
		    expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_))
			goto out;
	}
	if (tcp_out(t, 40090, 0x02) || tcp_in(t, 40090, 0x12) ||
	    tcp_out(t, 40090, 0x10) || grow_sessions(t))
		goto out;
	if (!expect(t, !bpf_map_lookup_elem(t->config, &zero, &cfg),
		    "config: %s", strerror(errno)))
		goto out;
	sets = vpc_table_sets(&cfg);
	held = ct_held(t, t->rep[0]);
	created = events(t, ZOC_VPC_EV_CT_NEW);
	picked = events(t, ZOC_VPC_EV_CT_PICKUP);

	g->t = *t;
	if (!expect(t, !pthread_create(&th, NULL, grow_send, g),
		    "pthread_create"))
		goto out;
	grown = vpc_ct_grow(t->config, t->tables, t->ct_held, sets * 2, -1,
			    &st);
	__atomic_store_n(&g->stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	if (vt_table(t) ||
	    !expect(t, grown == 1, "grow: %d", grown) ||
	    !expect(t, !g->failed, "%lu of %lu packets refused while growing",
		    g->failed, g->runs) ||
	    !expect(t, st.moved >= GROW_FLOWS + 1 && !st.lost,
		    "moved %lu lost %lu", st.moved, st.lost) ||
	    !expect(t, events(t, ZOC_VPC_EV_CT_NEW) == created &&
		    events(t, ZOC_VPC_EV_CT_PICKUP) == picked,
		    "sessions opened again while growing") ||
	    !expect(t, ct_held(t, t->rep[0]) == held,
		    "rep0 holds %lld sessions, not %lld",
		    (long long)ct_held(t, t->rep[0]), (long long)held) ||
	    grow_sessions(t))
		goto out;
	if (!expect(t, !bpf_map_lookup_elem(t->config, &zero, &cfg),
		    "config: %s", strerror(errno)))
		goto out;
	slot = (cfg.ct_table & 1) ^ 1;
	if (!expect(t, vpc_table_sets(&cfg) == sets * 2 && !cfg.ct_sets[slot],
		    "%u sets in use, %u draining; expected %u and 0",
		    vpc_table_sets(&cfg), cfg.ct_sets[slot], sets * 2) ||
	    !expect(t, bpf_map_lookup_elem(t->tables, &slot, &id) &&
		    errno == ENOENT, "the old table is still there"))
		goto out;
	/* a table as big is not grown again */
	grown = vpc_ct_grow(t->config, t->tables, t->ct_held, sets, -1, &st);
	ret = expect(t, !grown, "grown again: %d", grown) ? 0 : -1;
out:
	config_flags(t, 0, ZOC_VPC_F_TCP_STRICT);
	free(g);
	return ret;
}

