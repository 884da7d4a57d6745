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
 * vpc_sink counts and drops what a benchmark sends; vpc_gen transmits the
 * test-run frame back out of its device, as a traffic generator.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TMPL_LEN	64
#define L4_OFFSET	(14 + 20)

__u8 tmpl[TMPL_LEN];
__u32 vary;
__u32 seq;
__u64 sunk;

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

SEC("xdp")
int vpc_sink(struct xdp_md *ctx)
{
	__sync_fetch_and_add(&sunk, 1);
	return XDP_DROP;
}

SEC("xdp")
int vpc_gen(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
