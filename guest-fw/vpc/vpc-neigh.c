// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-vpc-load: the underlay neighbours of the remote VTEPs.
 *
 * XDP cannot make the kernel resolve a neighbour: an encapsulated packet
 * whose underlay next hop has none is dropped.  So the loader, at a load
 * and at an "add", asks the kernel over rtnetlink to resolve the next hop
 * of each remote VTEP, as the kernel's own output would (NTF_USE).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "vpc-neigh.h"

#define VPC_NL_BUF		4096
/* neighbour states NTF_USE must not touch: set by hand or by the device */
#define VPC_NUD_STATIC		(NUD_PERMANENT | NUD_NOARP)

/*
 * Send rtnetlink request @type, with @flags, of the family header @hdr of
 * @len bytes and the IPv4 address attribute @attr, @addr, and wait for the
 * answer in @buf (VPC_NL_BUF bytes).  0 for an ACK, or for the answer of a
 * GET (of type RTM_NEW*, the GET's - 2) with a header as long as @hdr,
 * which @buf then holds; else the kernel's error, or -ETIMEDOUT.
 */
static int vpc_nl_ask(int sock, __u16 type, __u16 flags, const void *hdr,
		      size_t len, __u16 attr, __be32 addr, void *buf)
{
	struct nlmsghdr *nlh = buf;
	struct nlmsgerr *err = NLMSG_DATA(nlh);
	struct rtattr *rta = (void *)((char *)buf + NLMSG_SPACE(len));
	static __u32 seq;
	ssize_t n;

	memset(buf, 0, NLMSG_SPACE(len));
	nlh->nlmsg_len = NLMSG_SPACE(len) + RTA_SPACE(sizeof(addr));
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++seq;
	memcpy(NLMSG_DATA(nlh), hdr, len);
	rta->rta_type = attr;
	rta->rta_len = RTA_LENGTH(sizeof(addr));
	memcpy(RTA_DATA(rta), &addr, sizeof(addr));
	if (send(sock, buf, nlh->nlmsg_len, 0) < 0)
		return -errno;
	do {
		n = recv(sock, buf, VPC_NL_BUF, 0);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
	} while (!NLMSG_OK(nlh, n) || nlh->nlmsg_seq != seq);
	if (nlh->nlmsg_type == NLMSG_ERROR &&
	    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*err)))
		return err->error;
	if (nlh->nlmsg_type != type - 2 || nlh->nlmsg_len < NLMSG_LENGTH(len))
		return -EBADMSG;
	return 0;
}

/* Attribute @type of the message in @nlh, after its @len bytes header. */
static struct rtattr *vpc_nl_attr(struct nlmsghdr *nlh, size_t len,
				  __u16 type)
{
	struct rtattr *rta = (void *)((char *)nlh + NLMSG_SPACE(len));
	int left = nlh->nlmsg_len - NLMSG_SPACE(len);

	for (; RTA_OK(rta, left); rta = RTA_NEXT(rta, left))
		if (rta->rta_type == type)
			return rta;
	return NULL;
}

/* Copy the 32-bit attribute @type of @nlh to @val, if it has it. */
static void vpc_nl_u32(struct nlmsghdr *nlh, size_t len, __u16 type,
		       void *val)
{
	struct rtattr *rta = vpc_nl_attr(nlh, len, type);

	if (rta && RTA_PAYLOAD(rta) == sizeof(__u32))
		memcpy(val, RTA_DATA(rta), sizeof(__u32));
}

/*
 * The underlay next hop of @vtep, as the kernel routes to it: the device
 * @oif and the neighbour @nh, its gateway or else @vtep itself.  1 if it
 * has a unicast route through an IPv4 neighbour, 0 if not, or an error.
 */
static int vpc_underlay_nexthop(int sock, void *buf, __be32 vtep, int *oif,
				__be32 *nh)
{
	struct rtmsg rtm = { .rtm_family = AF_INET, .rtm_dst_len = 32 };
	struct nlmsghdr *nlh = buf;
	int ret;

	ret = vpc_nl_ask(sock, RTM_GETROUTE, 0, &rtm, sizeof(rtm), RTA_DST,
			 vtep, buf);
	if (ret == -ENETUNREACH || ret == -EHOSTUNREACH)
		return 0;
	if (ret)
		return ret;
	memcpy(&rtm, NLMSG_DATA(nlh), sizeof(rtm));
	*oif = 0;
	*nh = vtep;
	vpc_nl_u32(nlh, sizeof(rtm), RTA_OIF, oif);
	vpc_nl_u32(nlh, sizeof(rtm), RTA_GATEWAY, nh);
	return rtm.rtm_type == RTN_UNICAST && *oif &&
	       !vpc_nl_attr(nlh, sizeof(rtm), RTA_VIA);
}

/*
 * Whether NTF_USE may be sent for neighbour @nh of @oif: 1 unless the
 * kernel has an entry NTF_USE would change beyond starting its resolution
 * (in Linux 6.1, neigh_add() makes a permanent entry one to resolve and
 * drops the flags of an externally learned or managed one), else 0 or an
 * error.  *@incomplete tells whether the entry waits for an answer.
 */
static int vpc_neigh_dynamic(int sock, void *buf, int oif, __be32 nh,
			     bool *incomplete)
{
	struct ndmsg ndm = { .ndm_family = AF_INET, .ndm_ifindex = oif };
	struct nlmsghdr *nlh = buf;
	__u32 ext = 0;
	int ret;

	*incomplete = false;
	ret = vpc_nl_ask(sock, RTM_GETNEIGH, 0, &ndm, sizeof(ndm), NDA_DST,
			 nh, buf);
	if (ret)
		return ret == -ENOENT ? 1 : ret;
	memcpy(&ndm, NLMSG_DATA(nlh), sizeof(ndm));
	vpc_nl_u32(nlh, sizeof(ndm), NDA_FLAGS_EXT, &ext);
	*incomplete = ndm.ndm_state & NUD_INCOMPLETE;
	return !(ndm.ndm_state & VPC_NUD_STATIC) &&
	       !(ndm.ndm_flags & NTF_EXT_LEARNED) && !ext;
}

/*
 * Ask the kernel to resolve the underlay neighbour of @vtep, as its own
 * output would: NTF_USE creates the entry if need be and starts ARP for an
 * entry not valid, probes a stale one and leaves a reachable one alone.
 * An entry that waits for an answer already is made again first: NTF_USE
 * would leave it to its next retransmission, a second later by default,
 * and its request may have been answered elsewhere (a standby service VM
 * that shares the serving one's address and MAC sees the answers to its
 * requests go to the serving one until it takes over).  A VTEP without a
 * route is skipped; a failure is only a warning.
 */
static void vpc_prime_vtep(int sock, void *buf, __be32 vtep)
{
	struct ndmsg ndm = { .ndm_family = AF_INET };
	char addr[INET_ADDRSTRLEN];
	bool incomplete;
	__be32 nh;
	int ret;

	ret = vpc_underlay_nexthop(sock, buf, vtep, &ndm.ndm_ifindex, &nh);
	if (ret > 0)
		ret = vpc_neigh_dynamic(sock, buf, ndm.ndm_ifindex, nh,
					&incomplete);
	if (ret > 0 && incomplete) {
		ret = vpc_nl_ask(sock, RTM_DELNEIGH, NLM_F_ACK, &ndm,
				 sizeof(ndm), NDA_DST, nh, buf);
		/* gone meanwhile, as it may have been anyway */
		if (!ret || ret == -ENOENT)
			ret = 1;
	}
	ndm.ndm_flags = NTF_USE;
	if (ret > 0)
		ret = vpc_nl_ask(sock, RTM_NEWNEIGH,
				 NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK,
				 &ndm, sizeof(ndm), NDA_DST, nh, buf);
	if (ret < 0)
		fprintf(stderr, "zoc-vpc-load: warning: VTEP %s: next hop not resolved: %s\n",
			inet_ntop(AF_INET, &vtep, addr, sizeof(addr)),
			strerror(-ret));
}

static int vpc_cmp_addr(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Prime the underlay neighbours of the @n remote VTEPs @vteps (sorted
 * here; repeated ones once).
 */
void vpc_prime_vteps(__be32 *vteps, unsigned int n)
{
	struct timeval tv = { .tv_sec = 1 };
	__u32 buf[VPC_NL_BUF / sizeof(__u32)];
	unsigned int i;
	int sock;

	if (!n)
		return;
	qsort(vteps, n, sizeof(*vteps), vpc_cmp_addr);
	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sock < 0 ||
	    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		fprintf(stderr, "zoc-vpc-load: warning: underlay neighbours not resolved: %s\n",
			strerror(errno));
	} else {
		for (i = 0; i < n; i++)
			if (!i || vteps[i] != vteps[i - 1])
				vpc_prime_vtep(sock, buf, vteps[i]);
	}
	if (sock >= 0)
		close(sock);
}
