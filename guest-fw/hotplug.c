// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-fw: hotplug hooks.
 *
 * For each network interface of a given driver that appears (an
 * rtnetlink RTM_NEWLINK of an interface whose ethtool driver name is
 * DRIVER), and for those present when the directive is read, "PATH
 * [ARG...] add IFNAME IFINDEX"; for each that disappears, "PATH [ARG...]
 * del IFNAME IFINDEX".  Hooks run to their end one at a time, in the order
 * of the events, between supervision rounds; a failing hook is reported.
 * An interface whose driver says it moved (an RTM_NEWLINK with
 * IFLA_EVENT_NOTIFY_PEERS, as a ZOC representor that a standby prepared
 * says once it serves its vNIC) has the neighbours the kernel could not
 * resolve asked again (neigh.c).
 * After a netlink overrun, the events queued are dropped unread and the
 * interfaces are listed again and compared with those known.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fw.h"

#define FW_HOOK_TIMEOUT		60	/* seconds, then a hook is killed */
#define FW_NL_BUFSIZE		32768

static int fw_nl_socket(unsigned int groups, int flags)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = groups,
	};
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The index and name of the interface of an RTM_NEWLINK or RTM_DELLINK,
 * and whether it says the interface moved (@moved, if not NULL: its
 * IFLA_EVENT is IFLA_EVENT_NOTIFY_PEERS, which a driver raises when the
 * network is to learn anew where the interface is).  Bridges send these
 * of their ports too, as AF_BRIDGE: not interfaces coming or going.
 */
static bool fw_nl_link(const struct nlmsghdr *nh, int *ifindex, char *name,
		       bool *moved)
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	bool named = false;
	struct rtattr *rta;
	int len;

	if ((nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK) ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) ||
	    ifi->ifi_family != AF_UNSPEC)
		return false;
	if (moved)
		*moved = false;
	len = IFLA_PAYLOAD(nh);
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFLA_EVENT && moved &&
		    RTA_PAYLOAD(rta) == sizeof(__u32) &&
		    nh->nlmsg_type == RTM_NEWLINK)
			*moved = *(__u32 *)RTA_DATA(rta) ==
				 IFLA_EVENT_NOTIFY_PEERS;
		if (rta->rta_type != IFLA_IFNAME || !RTA_PAYLOAD(rta) ||
		    RTA_PAYLOAD(rta) > IFNAMSIZ)
			continue;
		memcpy(name, RTA_DATA(rta), RTA_PAYLOAD(rta));
		name[RTA_PAYLOAD(rta) - 1] = '\0';
		*ifindex = ifi->ifi_index;
		named = true;
	}
	return named;
}

/**
 * fw_nl_dump - send a dump request on rtnetlink socket @fd, and hand each
 *	message of the answer to @each, until it returns false
 * @fd: the socket
 * @req: the request, NLM_F_DUMP set
 * @len: its bytes
 * @each: called with each message but the end, and @arg
 * @arg: for @each
 *
 * Return: 0 once the dump ended, or a negative errno: the send or a
 * receive failed, the kernel answered an error, or @each said stop
 * (-ECANCELED).
 */
int fw_nl_dump(int fd, const void *req, size_t len,
	       bool (*each)(const struct nlmsghdr *nh, void *arg), void *arg)
{
	static long buf[FW_NL_BUFSIZE / sizeof(long)];
	struct nlmsghdr *nh;
	ssize_t n;

	if (send(fd, req, len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return -EPROTO;
			if (!each(nh, arg))
				return -ECANCELED;
		}
	}
}

struct fw_links {
	struct fw_netdev *links;
	unsigned int n;
};

/* One interface of the dump: into the array, which has room for one more. */
static bool fw_links_add(const struct nlmsghdr *nh, void *arg)
{
	struct fw_links *l = arg;
	struct fw_netdev *more;

	if (!fw_nl_link(nh, &l->links[l->n].ifindex, l->links[l->n].name,
			NULL))
		return true;
	more = realloc(l->links, (l->n + 2) * sizeof(*more));
	if (!more)
		return false;
	l->links = more;
	l->n++;
	return true;
}

/*
 * The interfaces there are now, by an RTM_GETLINK dump: index and name.
 * Return: an array of *@n of them, to be freed, or NULL.
 */
static struct fw_netdev *fw_links(unsigned int *n)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = RTM_GETLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.ifi.ifi_family = AF_UNSPEC,
	};
	struct fw_links l = { .links = calloc(1, sizeof(*l.links)) };
	int fd, ret = -ENOMEM;

	*n = 0;
	fd = fw_nl_socket(0, 0);
	if (fd < 0)
		ret = -errno;
	else if (l.links)
		ret = fw_nl_dump(fd, &req, sizeof(req), fw_links_add, &l);
	if (fd >= 0)
		close(fd);
	if (!ret) {
		*n = l.n;
		return l.links;
	}
	fw_log("hotplug: listing the interfaces: %s",
	       strerror(ret == -ECANCELED ? ENOMEM : -ret));
	free(l.links);
	return NULL;
}

/* The ethtool driver name of an interface. */
static int fw_driver(const char *name, char *driver)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int sock, ret;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&info;
	ret = ioctl(sock, SIOCETHTOOL, &ifr) ? -errno : 0;
	close(sock);
	memcpy(driver, info.driver, FW_DRIVER_SIZE);
	driver[FW_DRIVER_SIZE - 1] = '\0';
	return ret;
}

/* The hooks of a driver, by bit. */
static unsigned int fw_hooks_of(struct fw *fw, const char *driver)
{
	unsigned int i, hooks = 0;

	for (i = 0; i < fw->nr_hotplug; i++)
		if (!strcmp(fw->hotplug[i].driver, driver))
			hooks |= 1U << i;
	return hooks;
}

static struct fw_netdev *fw_netdev_find(struct fw *fw, int ifindex)
{
	unsigned int i;

	for (i = 0; i < fw->nr_netdevs; i++)
		if (fw->netdevs[i].ifindex == ifindex)
			return &fw->netdevs[i];
	return NULL;
}

/*
 * Run @hooks (by bit) for an interface, to their end, in the order of
 * their directives: "PATH [ARG...] add|del IFNAME IFINDEX".
 */
static void fw_hook(struct fw *fw, unsigned int hooks, char *op,
		    struct fw_netdev *d)
{
	char *argv[FW_MAX_ARGS + 4], index[16];
	struct fw_hotplug *h;
	unsigned int i;
	int status;

	snprintf(index, sizeof(index), "%d", d->ifindex);
	for (i = 0; i < fw->nr_hotplug; i++) {
		if (!(hooks & 1U << i))
			continue;
		h = &fw->hotplug[i];
		memcpy(argv, h->argv, h->argc * sizeof(*argv));
		argv[h->argc] = op;
		argv[h->argc + 1] = d->name;
		argv[h->argc + 2] = index;
		argv[h->argc + 3] = NULL;
		if (fw_exec(argv, FW_HOOK_TIMEOUT, &status))
			fw_log("hotplug %s %s %s: done", op, d->name, index);
		else
			fw_log("hotplug %s %s %s: %s failed (status %#x)", op,
			       d->name, index, argv[0], status);
	}
}

/*
 * An interface is there (new, changed or listed): "add" for the hooks of
 * its driver that were not given it yet.
 */
static void fw_link_new(struct fw *fw, int ifindex, const char *name)
{
	char driver[FW_DRIVER_SIZE];
	struct fw_netdev *d, *more;
	unsigned int hooks;

	d = fw_netdev_find(fw, ifindex);
	if (!d) {
		/* gone or renamed since: what follows tells */
		if (fw_driver(name, driver) ||
		    (int)if_nametoindex(name) != ifindex ||
		    !fw_hooks_of(fw, driver))
			return;
		more = realloc(fw->netdevs, (fw->nr_netdevs + 1) * sizeof(*d));
		if (!more) {
			fw_log("hotplug %s: %s", name, strerror(ENOMEM));
			return;
		}
		fw->netdevs = more;
		d = &fw->netdevs[fw->nr_netdevs++];
		memset(d, 0, sizeof(*d));
		d->ifindex = ifindex;
		strcpy(d->driver, driver);
	}
	strcpy(d->name, name);
	hooks = fw_hooks_of(fw, d->driver) & ~d->hooks;
	d->hooks |= hooks;
	fw_hook(fw, hooks, "add", d);
}

/* An interface is gone: "del" for the hooks that were given its "add". */
static void fw_link_del(struct fw *fw, int ifindex)
{
	struct fw_netdev *d = fw_netdev_find(fw, ifindex), gone;

	if (!d)
		return;
	gone = *d;
	*d = fw->netdevs[--fw->nr_netdevs];
	fw_hook(fw, gone.hooks, "del", &gone);
}

/*
 * Compare the interfaces there are with those known: when a hotplug
 * directive is read (coldplug), and when link events were lost.
 */
static void fw_rescan(struct fw *fw)
{
	struct fw_netdev *links;
	unsigned int n, i, j;

	links = fw_links(&n);
	if (!links)
		return;
	for (i = 0; i < fw->nr_netdevs;) {
		for (j = 0; j < n; j++)
			if (links[j].ifindex == fw->netdevs[i].ifindex)
				break;
		if (j == n)
			fw_link_del(fw, fw->netdevs[i].ifindex);
		else
			i++;
	}
	for (j = 0; j < n; j++)
		fw_link_new(fw, links[j].ifindex, links[j].name);
	free(links);
}

/*
 * Link events were lost.  The kernel says so once, then drops every event
 * while the socket's queue is not empty (NETLINK_S_CONGESTED): the events
 * queued are stale.  The socket is replaced by a new one, under the same
 * descriptor, so that each event from then on is queued or reported as a
 * new overrun, then the interfaces are listed.  (Should no socket be had,
 * the queue is emptied instead, unread.)  The listing tells what the
 * stale events said but two things: an interface that went and came back
 * under the same index gets no del and add, and an
 * IFLA_EVENT_NOTIFY_PEERS is lost, so the neighbours are asked again.
 */
static void fw_overrun(struct fw *fw, void *buf, size_t size)
{
	ssize_t len;
	int fd;

	fw_log("hotplug: link events lost, listing the interfaces again");
	fd = fw_nl_socket(RTMGRP_LINK, SOCK_NONBLOCK);
	if (fd >= 0 && dup3(fd, fw->nl, O_CLOEXEC) >= 0) {
		close(fd);
	} else {
		if (fd >= 0)
			close(fd);
		do
			len = recv(fw->nl, buf, size, MSG_DONTWAIT);
		while (len >= 0 || errno == EINTR || errno == ENOBUFS);
	}
	fw_rescan(fw);
	fw_neigh_retry();
}

/*
 * Take the link events there are, a bounded number at a time, so that
 * supervision goes on under a storm of them.
 */
void fw_events(struct fw *fw)
{
	static long buf[FW_NL_BUFSIZE / sizeof(long)];
	struct sockaddr_nl from;
	char name[IFNAMSIZ];
	struct nlmsghdr *nh;
	socklen_t fromlen;
	int ifindex, i;
	ssize_t len;
	bool moved;

	for (i = 0; i < 64; i++) {
		fromlen = sizeof(from);
		len = recvfrom(fw->nl, buf, sizeof(buf), 0,
			       (struct sockaddr *)&from, &fromlen);
		if (len < 0 && errno == ENOBUFS) {
			fw_overrun(fw, buf, sizeof(buf));
			continue;
		}
		if (len <= 0)
			return;
		if (from.nl_pid)
			continue;	/* not the kernel's */
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (!fw_nl_link(nh, &ifindex, name, &moved))
				continue;
			if (moved)
				fw_neigh_retry();
			if (nh->nlmsg_type == RTM_NEWLINK)
				fw_link_new(fw, ifindex, name);
			else
				fw_link_del(fw, ifindex);
		}
	}
}

void fw_add_hotplug(struct fw *fw, char **argv, int argc)
{
	const char *why = NULL;
	struct fw_hotplug *h;
	int i;

	if (argc < 3)
		why = "usage: hotplug DRIVER PATH [ARG...]";
	else if (strlen(argv[1]) >= FW_DRIVER_SIZE)
		why = "driver name too long";
	else if (fw->nr_hotplug == FW_MAX_HOTPLUG)
		why = "too many";
	if (why) {
		fw_log("hotplug: %s", why);
		fw->errors++;
		return;
	}
	/* listening before the listing: nothing that comes meanwhile is lost */
	if (fw->nl < 0)
		fw->nl = fw_nl_socket(RTMGRP_LINK, SOCK_NONBLOCK);
	if (fw->nl < 0) {
		fw_log("hotplug: rtnetlink: %s", strerror(errno));
		fw->errors++;
		return;
	}
	h = &fw->hotplug[fw->nr_hotplug++];
	strcpy(h->driver, argv[1]);
	for (i = 2; i < argc; i++)
		h->argv[h->argc++] = strdup(argv[i]);
	fw_rescan(fw);
}
