// SPDX-License-Identifier: GPL-2.0
/*
 * vpc_test: the cases of the tc program, zoc_vpc_vnic_skb, of its own.
 * Every case of a vNIC's frames runs through it too (vpc_test.c); these
 * are about what only it sees: GSO frames.
 *
 * BPF_PROG_TEST_RUN gives a test skb a GSO size but no GSO type, so its
 * encapsulation (bpf_skb_adjust_room() wants a TCP GSO type) is for the
 * lab to test, with the host's own TSO frames.  Here: what the program
 * decides before it, and a GSO frame between two vNICs, forwarded whole.
 * A test skb holds a page at most: the frames here are short.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <netinet/in.h>
#include <linux/pkt_cls.h>
#include <linux/zoc_vpc.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vpc-ct.h"
#include "vpc_test.h"

/* The tc program of representor @ifindex, our filter on its ingress. */
int vt_skb_prog(unsigned int ifindex, int *fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);
	int ret;

	ret = bpf_tc_query(&hook, &opts);
	if (ret)
		return ret;
	*fd = bpf_prog_get_fd_by_id(opts.prog_id);
	return *fd < 0 ? -errno : 0;
}

/*
 * A run of the tc program, zoc_vpc_vnic_skb, as if @in came up the stack
 * of representor @ifindex; its verdict translated into XDP's.
 */
int run_skb(struct vt *t, unsigned int ifindex, const struct pkt *in)
{
	struct __sk_buff ctx = {
		.ifindex = ifindex,
		.gso_size = t->gso_size,
	};

	if (run_ctx(t, t->vnic_skb, in, &ctx, sizeof(ctx)))
		return -1;
	switch (t->retval) {
	case TC_ACT_OK:
		t->retval = XDP_PASS_;
		break;
	case TC_ACT_SHOT:
		t->retval = XDP_DROP_;
		break;
	case TC_ACT_REDIRECT:
		t->retval = XDP_REDIRECT_;
		break;
	default:
		/* nothing XDP could answer */
		t->retval += 100;
		break;
	}
	return 0;
}

/* Forget every session of the table in use, as zoc-vpc flush does. */
int vt_flush(struct vt *t)
{
	struct zoc_vpc_ct_entry *e;
	struct zoc_vpc_config cfg;
	struct vpc_ct_table tb;
	__u32 zero = 0, i, w, seq;
	__u64 *held;
	int ret;

	if (bpf_map_lookup_elem(t->config, &zero, &cfg))
		return -1;
	held = vpc_ct_map_held(t->ct_held);
	if (!held)
		return -1;
	ret = vpc_ct_open(t->tables, cfg.ct_table, PROT_READ | PROT_WRITE,
			  &tb);
	if (!ret) {
		for (i = 0; i < tb.nr_sets; i++) {
			for (w = 0; w < ZOC_VPC_CT_WAYS; w++) {
				e = &tb.sets[i].way[w];
				seq = __atomic_load_n(&e->seq,
						      __ATOMIC_RELAXED);
				if (e->ct.state != ZOC_VPC_CT_NONE &&
				    vpc_ct_claim(e, &seq))
					vpc_ct_free(e, seq, held);
			}
		}
		vpc_ct_close(&tb);
	}
	vpc_ct_unmap_held(held);
	return ret;
}

/* A TCP connection from vNIC 0 to @daddr, open both ways (SYN_RECV). */
static int open_tcp(struct vt *t, const char *daddr, uint16_t sport,
		    uint16_t dport)
{
	struct flow f = from_v0(daddr, IPPROTO_TCP, sport, dport, 0x02);
	struct pkt in, out;

	t->gso_size = 0;
	pkt_inner(&in, &f);
	if (expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_))
		return -1;
	if (!strcmp(daddr, "10.1.0.20")) {
		f = from_v1("10.1.0.10", IPPROTO_TCP, dport, sport, 0x12);
		pkt_inner(&in, &f);
		return expect_verdict(t, t->vnic, t->rep[1], &in,
				      XDP_REDIRECT_);
	}
	remote(t, &out, daddr, "10.1.0.10", IPPROTO_TCP, dport, sport, 0x12,
	       100);
	return expect_verdict(t, t->uplink, t->up0, &out, XDP_REDIRECT_);
}

static int t_skb_gso_local(struct vt *t)
{
	struct flow f = from_v0("10.1.0.20", IPPROTO_TCP, 40101, 8080, 0x10);
	uint64_t gso = events(t, ZOC_VPC_EV_GSO);
	struct pkt in;

	if (open_tcp(t, "10.1.0.20", 40101, 8080))
		return -1;
	/* three segments of 600 bytes, as the host's TSO hands them over */
	f.payload = 1800;
	pkt_inner(&in, &f);
	t->gso_size = 600;
	if (expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_))
		return -1;
	if (!expect(t, t->out.len == in.len && !memcmp(t->out.b, mac_v1, 6),
		    "not forwarded whole to vNIC 1 (%u bytes)", t->out.len) ||
	    !expect(t, t->out.b[22] == 63, "TTL not decremented") ||
	    !expect(t, !memcmp(t->out.b + 34, in.b + 34, in.len - 34),
		    "payload changed"))
		return -1;
	return expect(t, events(t, ZOC_VPC_EV_GSO) == gso + 1,
		      "GSO frame not counted") ? 0 : -1;
}

/*
 * A GSO frame whose segments the underlay's MTU does not take once
 * encapsulated: ICMP "fragmentation needed" back to the vNIC, as for a
 * packet too big (the frame has Don't Fragment, as TCP's do), and a drop
 * for the MTU.
 */
static int t_skb_gso_mtu(struct vt *t)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_TCP, 40102, 80, 0x10);
	uint64_t mtu, ev;
	struct pkt in;

	if (open_tcp(t, "10.1.0.30", 40102, 80))
		return -1;
	f.payload = 1900;
	pkt_inner(&in, &f);
	/* segments of 1460 bytes: 1500 of inner IPv4, 1550 outside */
	t->gso_size = 1460;
	mtu = drops(t, ZOC_VPC_DROP_MTU);
	ev = events(t, ZOC_VPC_EV_FRAG_NEEDED);
	if (expect_verdict(t, t->vnic, t->rep[0], &in, XDP_REDIRECT_) ||
	    check_frag_needed(t, &in, 1450) ||
	    !expect(t, drops(t, ZOC_VPC_DROP_MTU) == mtu + 1 &&
		    events(t, ZOC_VPC_EV_FRAG_NEEDED) == ev + 1,
		    "not counted"))
		return -1;
	/* segments of 1410 bytes fit: no MTU drop, whatever comes next */
	mtu = drops(t, ZOC_VPC_DROP_MTU);
	t->gso_size = 1410;
	if (run(t, t->vnic, t->rep[0], &in))
		return -1;
	return expect(t, drops(t, ZOC_VPC_DROP_MTU) == mtu,
		      "segments that fit the underlay refused for its MTU") ?
	       0 : -1;
}

static int t_skb_gso_udp(struct vt *t)
{
	struct flow f = from_v0("10.1.0.30", IPPROTO_UDP, 40103, 53, 0);
	struct pkt in;

	f.payload = 1800;
	pkt_inner(&in, &f);
	t->gso_size = 600;
	return expect_drop(t, t->vnic, t->rep[0], &in,
			   ZOC_VPC_DROP_L4_PROTO);
}

const struct vt_case vt_skb_cases[] = {
	{ "gso: a TCP frame to a vNIC goes whole", t_skb_gso_local },
	{ "gso: segments must fit the underlay's MTU", t_skb_gso_mtu },
	{ "gso: other than TCP is refused", t_skb_gso_udp },
};

const unsigned int vt_nr_skb_cases = sizeof(vt_skb_cases) /
				     sizeof(vt_skb_cases[0]);
