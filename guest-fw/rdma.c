// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-fw: the rdma-link directive, a software RDMA device over a network
 * interface, for volumes reached over NVMe/RDMA with no RDMA NIC:
 *
 *	rdma-link NAME TYPE NETDEV	("rdma-link rxe0 rxe eth0")
 *
 * is what "rdma link add NAME type TYPE netdev NETDEV" (iproute2) asks
 * the kernel, in one RDMA netlink request (RDMA_NLDEV_CMD_NEWLINK): on
 * Linux 6.1, rdma_rxe has no module parameter that makes a device.  The
 * link's module (rdma_rxe for rxe) is loaded first by a module directive.
 */

#include <errno.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <rdma/rdma_netlink.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fw.h"

#define FW_RDMA_NAME	64	/* IB_DEVICE_NAME_MAX */

/* Append the string attribute @type of @val, NUL included, to @nh. */
static int fw_nl_put_str(struct nlmsghdr *nh, size_t size, uint16_t type,
			 const char *val)
{
	size_t len = strlen(val) + 1;
	struct nlattr *a = (void *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	if (NLMSG_ALIGN(nh->nlmsg_len) + NLA_HDRLEN + NLA_ALIGN(len) > size)
		return -E2BIG;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, val, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + NLA_ALIGN(a->nla_len);
	return 0;
}

/* Ask the kernel for the link: 0, or -errno (-EEXIST: it is there). */
static int fw_rdma_newlink(const char *name, const char *type,
			   const char *netdev)
{
	union {
		struct nlmsghdr nh;
		char buf[512];
	} req = { 0 };
	union {
		struct nlmsghdr nh;
		char buf[1024];
	} ack;
	struct nlmsgerr *err;
	int fd, ret;
	ssize_t n;

	req.nh.nlmsg_len = NLMSG_LENGTH(0);
	req.nh.nlmsg_type = RDMA_NL_GET_TYPE(RDMA_NL_NLDEV,
					     RDMA_NLDEV_CMD_NEWLINK);
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 1;
	ret = fw_nl_put_str(&req.nh, sizeof(req), RDMA_NLDEV_ATTR_DEV_NAME,
			    name) ?:
	      fw_nl_put_str(&req.nh, sizeof(req), RDMA_NLDEV_ATTR_LINK_TYPE,
			    type) ?:
	      fw_nl_put_str(&req.nh, sizeof(req), RDMA_NLDEV_ATTR_NDEV_NAME,
			    netdev);
	if (ret)
		return ret;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_RDMA);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		ret = -errno;
		goto out;
	}
	n = recv(fd, &ack, sizeof(ack), 0);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	if (!NLMSG_OK(&ack.nh, (size_t)n) || ack.nh.nlmsg_type != NLMSG_ERROR ||
	    ack.nh.nlmsg_len < NLMSG_LENGTH(sizeof(*err))) {
		ret = -EPROTO;
		goto out;
	}
	err = NLMSG_DATA(&ack.nh);
	ret = err->error;
out:
	close(fd);
	return ret;
}

/**
 * fw_rdma_link - the rdma-link directive
 * @fw: its errors are counted there
 * @argv: "rdma-link", NAME, TYPE, NETDEV
 * @argc: 4
 */
void fw_rdma_link(struct fw *fw, char **argv, int argc)
{
	int ret;

	if (argc != 4 || strlen(argv[1]) >= FW_RDMA_NAME ||
	    strlen(argv[3]) >= IFNAMSIZ) {
		fw_log("rdma-link: usage: rdma-link NAME TYPE NETDEV");
		fw->errors++;
		return;
	}
	ret = fw_rdma_newlink(argv[1], argv[2], argv[3]);
	if (ret && ret != -EEXIST) {
		fw_log("rdma-link %s: %s over %s: %s", argv[1], argv[2],
		       argv[3], strerror(-ret));
		fw->errors++;
		return;
	}
	fw_log("rdma-link %s: %s over %s", argv[1], argv[2], argv[3]);
}
