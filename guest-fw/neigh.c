// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-fw: the neighbours the kernel could not resolve, asked again.
 *
 * When an interface says it moved (hotplug.c: a ZOC representor that a
 * standby service VM prepared, now serving its vNIC), the network may now
 * answer what it answered elsewhere before: a standby shares the serving
 * service VM's underlay address and MAC, so the replies to its ARP
 * requests went to the other one, and its entries wait for their next
 * retransmission (a second later) or failed.  XDP programs cannot make
 * the kernel resolve a neighbour, so the VPC's encapsulated packets would
 * be dropped until then.  Each IPv4 entry that waits for an answer or
 * failed is made again with NTF_USE, as the kernel's own output would
 * start its resolution: an ARP request at once.  Entries set by hand, by
 * the device or learned elsewhere are left alone.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fw.h"

#define FW_NEIGH_MAX		64	/* entries asked again at most */
#define FW_NEIGH_UNRESOLVED	(NUD_INCOMPLETE | NUD_FAILED)
#define FW_NEIGH_KEPT		(NUD_PERMANENT | NUD_NOARP)

struct fw_neigh {
	int ifindex;
	__u32 dst;
};

/* Send an RTM_{NEW,DEL}NEIGH for @n and wait for its acknowledgment. */
static int fw_neigh_ask(int fd, __u16 type, __u16 flags, __u8 ntf,
			const struct fw_neigh *n)
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg ndm;
		struct rtattr rta;
		__u32 dst;
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = type,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags,
		.ndm.ndm_family = AF_INET,
		.ndm.ndm_ifindex = n->ifindex,
		.ndm.ndm_flags = ntf,
		.rta.rta_type = NDA_DST,
		.rta.rta_len = RTA_LENGTH(sizeof(__u32)),
		.dst = n->dst,
	};
	long buf[1024 / sizeof(long)];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t len;

	if (send(fd, &req, sizeof(req), 0) < 0)
		return -errno;
	len = recv(fd, buf, sizeof(buf), 0);
	if (len < 0)
		return -errno;
	if (!NLMSG_OK(nh, len) || nh->nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	return ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
}

struct fw_neighs {
	struct fw_neigh *out;
	unsigned int n;
};

/*
 * One entry of the dump: kept if unresolved, while there is room; the dump
 * is read to its end all the same, for the socket's next answers.
 */
static bool fw_neigh_add(const struct nlmsghdr *nh, void *arg)
{
	const struct ndmsg *ndm = NLMSG_DATA(nh);
	struct fw_neighs *ns = arg;
	struct rtattr *rta;
	int alen;

	if (nh->nlmsg_type != RTM_NEWNEIGH ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ndm)) ||
	    ndm->ndm_family != AF_INET ||
	    !(ndm->ndm_state & FW_NEIGH_UNRESOLVED) ||
	    (ndm->ndm_state & FW_NEIGH_KEPT) ||
	    (ndm->ndm_flags & NTF_EXT_LEARNED) || ns->n == FW_NEIGH_MAX)
		return true;
	alen = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ndm));
	for (rta = (struct rtattr *)(ndm + 1); RTA_OK(rta, alen);
	     rta = RTA_NEXT(rta, alen)) {
		if (rta->rta_type != NDA_DST ||
		    RTA_PAYLOAD(rta) != sizeof(__u32))
			continue;
		ns->out[ns->n].ifindex = ndm->ndm_ifindex;
		memcpy(&ns->out[ns->n++].dst, RTA_DATA(rta), sizeof(__u32));
		break;
	}
	return true;
}

/**
 * fw_neigh_retry - ask again for the IPv4 neighbours not resolved
 *
 * Each is made again (deleted, then created with NTF_USE), which sends
 * its ARP request at once.  A failure is reported, not fatal.
 */
void fw_neigh_retry(void)
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg ndm;
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = RTM_GETNEIGH,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.ndm.ndm_family = AF_INET,
	};
	struct fw_neigh unresolved[FW_NEIGH_MAX];
	struct fw_neighs ns = { .out = unresolved };
	struct timeval tv = { .tv_sec = 1 };
	unsigned int i;
	int fd, ret;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				 sizeof(tv))) {
		fw_log("neighbours: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	ret = fw_nl_dump(fd, &req, sizeof(req), fw_neigh_add, &ns);
	if (ret) {
		fw_log("neighbours: listing them: %s", strerror(-ret));
		ns.n = 0;	/* the socket may hold the rest of the dump */
	}
	for (i = 0; i < ns.n; i++) {
		ret = fw_neigh_ask(fd, RTM_DELNEIGH, 0, 0, &unresolved[i]);
		if (!ret || ret == -ENOENT)
			ret = fw_neigh_ask(fd, RTM_NEWNEIGH,
					   NLM_F_CREATE | NLM_F_REPLACE,
					   NTF_USE, &unresolved[i]);
		if (ret)
			fw_log("neighbours: asking again: %s", strerror(-ret));
	}
	close(fd);
}
