// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-vpc-load: the programs on the devices.
 *
 * A representor has two: zoc_vpc_vnic in XDP (driver mode), for the
 * frames the model hands over as pages, and zoc_vpc_vnic_skb on its tc
 * ingress (a clsact qdisc, one filter of ours), for the TSO frames it hands
 * over as skbs.  The uplink has zoc_vpc_uplink in XDP.
 */

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vpc-attach.h"

/* Our tc filter on a representor's ingress */
#define VPC_TC_HANDLE	1
#define VPC_TC_PRIORITY	1

int vpc_attach_xdp(int ifindex, const char *name, int prog_fd,
		   const char *prog)
{
	int ret = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL);

	if (ret)
		fprintf(stderr, "zoc-vpc-load: attach %s to %s: %s\n", prog,
			name, strerror(-ret));
	return ret;
}

static int vpc_attach_tc(int ifindex, const char *name, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = VPC_TC_HANDLE,
		    .priority = VPC_TC_PRIORITY, .prog_fd = prog_fd,
		    .flags = BPF_TC_F_REPLACE);
	int ret;

	ret = bpf_tc_hook_create(&hook);
	if (!ret || ret == -EEXIST)
		ret = bpf_tc_attach(&hook, &opts);
	if (ret)
		fprintf(stderr, "zoc-vpc-load: attach zoc_vpc_vnic_skb to %s: %s\n",
			name, strerror(-ret));
	return ret;
}

/* Our tc filter off @ifindex; if @prog_fd is not -1, only if it holds it. */
static void vpc_detach_tc(int ifindex, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = VPC_TC_HANDLE,
		    .priority = VPC_TC_PRIORITY);
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	libbpf_print_fn_t print;

	/* best effort: quiet about a filter that is not there */
	print = libbpf_set_print(NULL);
	if (prog_fd >= 0 &&
	    (bpf_tc_query(&hook, &opts) ||
	     bpf_obj_get_info_by_fd(prog_fd, &info, &len) ||
	     opts.prog_id != info.id))
		goto out;
	/* a query fills what a detach must leave zero */
	opts.prog_fd = 0;
	opts.prog_id = 0;
	opts.flags = 0;
	bpf_tc_detach(&hook, &opts);
out:
	libbpf_set_print(print);
}

/*
 * Both programs of a representor, the tc one first: the model sends TSO
 * frames up the stack from the start.  A datapath loaded by a loader
 * without the tc program (@progs->skb -1) gets the XDP one alone.
 */
int vpc_attach_vnic(int ifindex, const char *name,
		    const struct vpc_vnic_progs *progs)
{
	int ret;

	if (progs->skb >= 0) {
		ret = vpc_attach_tc(ifindex, name, progs->skb);
		if (ret)
			return ret;
	}
	ret = vpc_attach_xdp(ifindex, name, progs->xdp, "zoc_vpc_vnic");
	if (ret && progs->skb >= 0)
		vpc_detach_tc(ifindex, progs->skb);
	return ret;
}

/* Detach the programs of a representor that are still @progs there. */
void vpc_detach_vnic(int ifindex, const struct vpc_vnic_progs *progs)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = progs->xdp);

	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, &opts);
	if (progs->skb >= 0)
		vpc_detach_tc(ifindex, progs->skb);
}

/* Detach whatever XDP program and tc filter of ours @ifindex has. */
void vpc_detach_any(int ifindex)
{
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	vpc_detach_tc(ifindex, -1);
}

/* Set the representor @name up: the host's link comes up with it. */
int vpc_link_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int sock, ret = 0;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr)) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(sock, SIOCSIFFLAGS, &ifr))
			ret = -errno;
	}
	if (ret)
		fprintf(stderr, "zoc-vpc-load: set %s up: %s\n", name,
			strerror(-ret));
	close(sock);
	return ret;
}
