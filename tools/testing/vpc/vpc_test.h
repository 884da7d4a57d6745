/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vpc_test: what its files share.  vpc_test.c has the helpers, the set-up,
 * the table of cases and the cases of the other paths; vpc_test_ct.c the
 * cases of connection tracking and of the session table's growth;
 * vpc_test_underlay.c those of the underlay; vpc_test_bad.c those of
 * malformed and spoofed frames.
 */
#ifndef _VPC_TEST_H
#define _VPC_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/zoc_vpc.h>

#include "vpc-pkt.h"

#define XDP_DROP_	1
#define XDP_PASS_	2
#define XDP_TX_		3
#define XDP_REDIRECT_	4

/**
 * struct vt - the test's state
 * @vnic: the representors' program
 * @vnic_skb: their tc program, for frames that come as skbs
 * @skb: run what a case runs through @vnic through @vnic_skb instead
 * @gso_size: the GSO size the skbs of @vnic_skb come with
 * @uplink: the uplink's program
 * @sessions: the session table in use (vt_table())
 * @tables: the sessions map, of tables
 * @drops: drop counters
 * @events: event counters
 * @ports: output devices
 * @config: the config map
 * @vnic_stats: per-vNIC counters
 * @rep: representors' ifindexes
 * @up0: the uplink's ifindex
 * @up0_mac: its MAC
 * @out: the frame that came out of the last run
 * @retval: the verdict of the last run
 * @why: what the failing check said
 */
struct vt {
	int vnic, uplink, vnic_skb;
	bool skb;
	uint32_t gso_size;
	int sessions, drops, events, ports, config, vnic_stats;
	int vnics, ct_held, sweep, tables;
	unsigned int rep[3], up0;
	uint8_t up0_mac[6];
	struct pkt out;
	uint32_t retval;
	char why[256];
};

/**
 * struct vt_case - a case
 * @name: its name
 * @fn: the case; 0 if it passed, -1 with vt.why
 * @xdp_only: not run again through the tc program (ARP, the table's growth)
 */
struct vt_case {
	const char *name;
	int (*fn)(struct vt *t);
	bool xdp_only;
};

static const uint8_t mac_v0[6] = { 2, 0, 0, 0, 0, 0x10 };
static const uint8_t mac_v1[6] = { 2, 0, 0, 0, 0, 0x20 };
static const uint8_t mac_v2[6] = { 2, 0, 0, 0, 0, 0x30 };
static const uint8_t mac_gw[6] = { 2, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_r30[6] = { 2, 0, 0, 0, 0, 0x3a };
static const uint8_t mac_r40[6] = { 2, 0, 0, 0, 0, 0x4a };
static const uint8_t mac_def[6] = { 2, 0, 0, 0, 0, 0xfe };
static const uint8_t mac_up1[6] = { 2, 0, 0, 0, 0x50, 0x02 };

/* vpc_test.c */
int age_session(struct vt *t, uint8_t proto, const char *a, uint16_t pa,
		const char *b, uint16_t pb, uint64_t secs);
void ct_key(struct zoc_vpc_ct_key *key, uint32_t vni, uint8_t proto,
	    const char *a, uint16_t pa, const char *b, uint16_t pb);
int ct_set(struct vt *t, const struct zoc_vpc_ct_key *key,
	   struct zoc_vpc_ct_set *set, uint32_t *idx);
uint64_t drops(struct vt *t, uint32_t reason);
uint64_t events(struct vt *t, uint32_t ev);
uint64_t vnic_stat(struct vt *t, uint32_t slot, unsigned int idx);
int check_frag_needed(struct vt *t, const struct pkt *in, uint16_t mtu);
bool expect(struct vt *t, bool cond, const char *fmt, ...);
int expect_drop(struct vt *t, int prog, unsigned int ifindex,
		const struct pkt *in, uint32_t reason);
int expect_state(struct vt *t, uint8_t proto, const char *a,
		 uint16_t pa, const char *b, uint16_t pb, uint8_t state);
int expect_verdict(struct vt *t, int prog, unsigned int ifindex,
		   const struct pkt *in, uint32_t verdict);
struct flow from_v0(const char *daddr, uint8_t proto, uint16_t sport,
		    uint16_t dport, uint8_t flags);
struct flow from_v1(const char *daddr, uint8_t proto, uint16_t sport,
		    uint16_t dport, uint8_t flags);
void remote(struct vt *t, struct pkt *out, const char *saddr,
	    const char *daddr, uint8_t proto, uint16_t sport,
	    uint16_t dport, uint8_t flags, uint32_t vni);
int run(struct vt *t, int prog, unsigned int ifindex,
	const struct pkt *in);
int run_ctx(struct vt *t, int prog, const struct pkt *in, void *ctx,
	    size_t ctx_size);
int session(struct vt *t, uint32_t vni, uint8_t proto, const char *a,
	    uint16_t pa, const char *b, uint16_t pb,
	    struct zoc_vpc_ct *ct);
int vt_table(struct vt *t);

/* vpc_test_skb.c */
extern const struct vt_case vt_skb_cases[];
extern const unsigned int vt_nr_skb_cases;
int vt_flush(struct vt *t);
int vt_skb_prog(unsigned int ifindex, int *fd);
int run_skb(struct vt *t, unsigned int ifindex, const struct pkt *in);

/* vpc_test_ct.c */
int t_ct_tcp(struct vt *t);
int t_ct_no_session(struct vt *t);
int t_ct_bad_answer(struct vt *t);
int t_ct_icmp(struct vt *t);
int t_ct_related(struct vt *t);
int t_ct_related_out(struct vt *t);
int t_ct_timeout_tcp(struct vt *t);
int t_ct_pickup_sender(struct vt *t);
int t_ct_pickup_receiver(struct vt *t);
int t_ct_pickup_sg(struct vt *t);
int t_ct_pickup_strict(struct vt *t);
int t_ct_timeout_udp(struct vt *t);
int t_ct_evict(struct vt *t);
int t_ct_evict_answered(struct vt *t);
int t_ct_reuse_expired(struct vt *t);
int t_ct_quota(struct vt *t);
int t_ct_grow(struct vt *t);

/* vpc_test_underlay.c */
int t_underlay(struct vt *t);
int t_mtu(struct vt *t);
int t_mtu_rate(struct vt *t);
int t_underlay_change(struct vt *t);

/* vpc_test_bad.c */
int t_bad_trunc_ip(struct vt *t);
int t_bad_trunc_l4(struct vt *t);
int t_bad_tcp_doff(struct vt *t);
int t_bad_options(struct vt *t);
int t_bad_fragment(struct vt *t);
int t_bad_ip(struct vt *t);
int t_bad_l3(struct vt *t);
int t_bad_l4(struct vt *t);
int t_spoof(struct vt *t);
int t_broadcast(struct vt *t);
int t_bad_vxlan(struct vt *t);
int t_bad_geneve(struct vt *t);
int t_bad_outer_ip(struct vt *t);
int t_bad_inner_tunnel(struct vt *t);

#endif
