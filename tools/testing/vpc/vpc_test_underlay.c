// SPDX-License-Identifier: GPL-2.0
/*
 * vpc_test: the cases of the underlay: a VTEP neighbour not resolved, a
 * packet too big for the underlay's MTU (ICMP "fragmentation needed", and
 * its rate), and a changed or lost neighbour.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/zoc_vpc.h>

#include "vpc_test.h"

int t_underlay(struct vt *t)
{
	struct flow f = from_v0("10.1.0.50", IPPROTO_UDP, 40040, 53, 0);
	struct pkt in;

	pkt_inner(&in, &f);
	return expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_UNDERLAY);
}

/*
 * The frame out of the last run is ICMP "fragmentation needed" from the
 * gateway to vNIC 0 for @in, naming an MTU of @mtu: its headers, both
 * checksums, and the quoted IPv4 header and 8 bytes of @in.
 */
int check_frag_needed(struct vt *t, const struct pkt *in, uint16_t mtu)
{
	const uint8_t *ip = t->out.b + 14, *icmp = ip + 20;
	uint32_t saddr, daddr;

	memcpy(&saddr, ip + 12, 4);
	memcpy(&daddr, ip + 16, 4);
	if (!expect(t, t->out.len == 70, "%u bytes, not 70", t->out.len) ||
	    !expect(t, !memcmp(t->out.b, mac_v0, 6) &&
		    !memcmp(t->out.b + 6, mac_gw, 6), "MACs wrong") ||
	    !expect(t, ip[0] == 0x45 && pkt_get16(ip + 2) == 56 &&
		    ip[9] == IPPROTO_ICMP && !pkt_csum(ip, 20),
		    "IPv4 header wrong") ||
	    !expect(t, saddr == pkt_ip4("10.1.0.1") &&
		    daddr == pkt_ip4("10.1.0.10"), "addresses wrong") ||
	    !expect(t, icmp[0] == 3 && icmp[1] == 4, "ICMP %u/%u, not 3/4",
		    icmp[0], icmp[1]) ||
	    !expect(t, !pkt_csum(icmp, 36), "ICMP checksum wrong") ||
	    !expect(t, pkt_get16(icmp + 6) == mtu, "MTU %u, not %u",
		    pkt_get16(icmp + 6), mtu) ||
	    !expect(t, !memcmp(icmp + 8, in->b + 14, 28),
		    "quote is not the packet's header and 8 bytes"))
		return -1;
	return 0;
}

/*
 * A packet the underlay's MTU (1500) does not take once encapsulated:
 * with Don't Fragment, answered with ICMP "fragmentation needed" naming
 * 1450 (XDP sends it back, tc redirects it); without it, dropped.  Both
 * count as a drop for the MTU, neither as a packet the vNIC sent.  One
 * that fits goes.
 */
int t_mtu(struct vt *t)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_UDP, 40041, 53, 0);
	uint64_t ev = events(t, ZOC_VPC_EV_FRAG_NEEDED);
	uint64_t mtu = drops(t, ZOC_VPC_DROP_MTU);
	uint64_t sent = vnic_stat(t, 0, 0);
	struct pkt in;

	/* 1500 bytes of inner IPv4 make 1550 outside */
	f.payload = 1500 - 28;
	pkt_inner(&in, &f);
	if (expect_verdict(t, t->vnic, t->rep[0], &in,
			   t->skb ? XDP_REDIRECT_ : XDP_TX_) ||
	    check_frag_needed(t, &in, 1450) ||
	    !expect(t, events(t, ZOC_VPC_EV_FRAG_NEEDED) == ev + 1 &&
		    drops(t, ZOC_VPC_DROP_MTU) == mtu + 1, "not counted"))
		return -1;
	/* no Don't Fragment: nothing to tell, the packet drops */
	in.b[14 + 6] = 0;
	pkt_ip_recsum(in.b + 14);
	if (expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_MTU) ||
	    !expect(t, vnic_stat(t, 0, 0) == sent,
		    "a packet too big counted as forwarded"))
		return -1;
	f.payload = 1450 - 28;
	pkt_inner(&in, &f);
	return expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_);
}

/* Now, in milliseconds, by the coarse clock the datapath's bucket reads. */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/*
 * ICMP errors are rate-limited, for each vNIC on each CPU (a bucket of 50,
 * a token a millisecond): of 500 packets too big in a burst on one CPU,
 * 50 and about one a millisecond more are answered, the rest only dropped.
 */
int t_mtu_rate(struct vt *t)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_UDP, 40042, 53, 0);
	uint64_t ev = events(t, ZOC_VPC_EV_FRAG_NEEDED), start, ms;
	unsigned int i, tx = 0;
	cpu_set_t cpus, old;
	struct pkt in;
	int ret = -1;

	if (!expect(t, !sched_getaffinity(0, sizeof(old), &old),
		    "sched_getaffinity: %s", strerror(errno)))
		return -1;
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	if (!expect(t, !sched_setaffinity(0, sizeof(cpus), &cpus),
		    "sched_setaffinity: %s", strerror(errno)))
		return -1;
	f.payload = 1500 - 28;
	pkt_inner(&in, &f);
	/* a full bucket */
	usleep(100000);
	start = now_ms();
	for (i = 0; i < 500; i++) {
		if (run(t, t->vnic, t->rep[0], &in))
			goto out;
		tx += t->retval == XDP_TX_;
	}
	/* and a tick of the coarse clock either side (10 ms at HZ=100) */
	ms = now_ms() - start + 20;
	if (!expect(t, tx >= 50 && tx <= 50 + ms,
		    "%u of 500 answered in %llu ms, not 50 and one a ms", tx,
		    (unsigned long long)ms))
		goto out;
	if (!expect(t, events(t, ZOC_VPC_EV_FRAG_NEEDED) == ev + tx,
		    "%u answers, %llu counted", tx,
		    (unsigned long long)(events(t, ZOC_VPC_EV_FRAG_NEEDED) - ev)))
		goto out;
	ret = 0;
out:
	sched_setaffinity(0, sizeof(old), &old);
	/* and a full bucket for the next */
	usleep(100000);
	return ret;
}

#define NEIGH_SET	"ip neigh replace 192.168.50.2 dev up0 nud permanent lladdr "

/* Wait until every CPU's cached next hop is due for a new lookup. */
static void nh_expire(void)
{
	usleep(ZOC_VPC_NH_TTL_NS / 1000 + 50000);
}

/*
 * The cached underlay next hop follows a changed neighbour, and an
 * unresolved one, within ZOC_VPC_NH_TTL_NS.
 */
int t_underlay_change(struct vt *t)
{
	static const uint8_t mac_new[6] = { 2, 0, 0, 0, 0x50, 0x99 };
	struct flow f = from_v0("10.1.0.30", IPPROTO_UDP, 40043, 53, 0);
	struct pkt in;
	int ret = -1;

	pkt_inner(&in, &f);
	if (expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_) ||
	    !expect(t, !memcmp(t->out.b, mac_up1, 6),
		    "outer destination MAC is not the neighbour's"))
		return -1;
	if (!expect(t, !system(NEIGH_SET "02:00:00:00:50:99"),
		    "ip neigh replace failed"))
		goto out;
	nh_expire();
	if (expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_) ||
	    !expect(t, !memcmp(t->out.b, mac_new, 6),
		    "the changed neighbour MAC was not followed"))
		goto out;
	if (!expect(t, !system("ip neigh del 192.168.50.2 dev up0"),
		    "ip neigh del failed"))
		goto out;
	nh_expire();
	ret = expect_drop(t, t->vnic, t->rep[0], &in, ZOC_VPC_DROP_UNDERLAY);
out:
	if (system(NEIGH_SET "02:00:00:00:50:02"))
		ret = -1;
	nh_expire();
	return ret;
}
