// SPDX-License-Identifier: GPL-2.0
/*
 * Helper programs of the VPC tests and benchmarks, none of them part of
 * the datapath:
 *
 * vpc_reset restores the first bytes of the frame from a template, so that
 * every run of BPF_PROG_TEST_RUN in live-frame mode sees the same packet
 * (pages are recycled without being rewritten), optionally writes a new
 * source and destination port into it (a new session per packet), then
 * tail-calls the program under measurement.  Its own cost is measured by
 * tail-calling vpc_drop, and subtracted.
 *
 * vpc_pass lets a veth's peer take XDP_TX frames (veth schedules the
 * receiving NAPI for them only when that side has an XDP program);
 * vpc_sink counts and drops what a benchmark sends, telling the VXLAN
 * frames it expects (VNI and inner destination of sink_vni, sink_daddr)
 * from anything else; vpc_gen restores the template, as vpc_reset does,
 * and transmits it out of its device, as a traffic generator: a frame
 * comes back to the generator's page pool as the device under test left
 * it (TTL decremented, MAC rewritten) and must not be sent again so.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TMPL_LEN	64
#define L4_OFFSET	(14 + 20)
#define VX_LEN		(14 + 20 + 8 + 8)
#define VXLAN_PORT	4789

__u8 tmpl[TMPL_LEN];
__u32 vary;
__u32 seq;
__u64 sunk;
__u64 sunk_other;
__u32 sink_vni;
__u32 sink_daddr;

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} vpc_target SEC(".maps");

SEC("xdp")
int vpc_reset(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 n;

	if (data + TMPL_LEN > end)
		return XDP_ABORTED;
	__builtin_memcpy(data, tmpl, TMPL_LEN);
	if (vary) {
		n = ++seq;
		/* source port, destination port: 2^32 sessions */
		*(__u16 *)(data + L4_OFFSET) = n;
		*(__u16 *)(data + L4_OFFSET + 2) = n >> 16;
	}
	bpf_tail_call(ctx, &vpc_target, 0);
	return XDP_ABORTED;
}

SEC("xdp")
int vpc_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int vpc_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* Ethernet, IPv4 without options, UDP to the VXLAN port, VXLAN, IPv4 */
static __always_inline bool vpc_vxlan_ok(__u8 *data, __u8 *end)
{
	if (data + VX_LEN + 14 + 20 > end)
		return false;
	if (*(__u16 *)(data + 12) != __builtin_bswap16(0x0800) ||
	    data[14] != 0x45 || data[14 + 9] != 17 ||
	    *(__u16 *)(data + 34 + 2) != __builtin_bswap16(VXLAN_PORT) ||
	    *(__u32 *)(data + 42) != __builtin_bswap32(0x08000000) ||
	    *(__u32 *)(data + 46) != __builtin_bswap32(sink_vni << 8))
		return false;
	return *(__u32 *)(data + VX_LEN + 14 + 16) == sink_daddr;
}

SEC("xdp")
int vpc_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (vpc_vxlan_ok(data, end))
		__sync_fetch_and_add(&sunk, 1);
	else
		__sync_fetch_and_add(&sunk_other, 1);
	return XDP_DROP;
}

SEC("xdp")
int vpc_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (data + TMPL_LEN > end)
		return XDP_ABORTED;
	__builtin_memcpy(data, tmpl, TMPL_LEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
