/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-net selftests' vNIC and VPC peer (virtio_net.c,
 * virtio_net_frames.c): each test gets a fresh vNIC, "zocctl dev add
 * virtio-net", whose host netdev the stock virtio_net driver brings up;
 * its representor in the service VM joins the VPC, whose peer (a Linux
 * VXLAN device of VNI 100 in the lab's underlay namespace) the lab runner
 * drives: a TCP sink that checks a pattern, a source that sends it, and
 * its packet counts.
 */
#ifndef _ZOC_VNET_LAB_H
#define _ZOC_VNET_LAB_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "zoc_disk.h"

#define DEV_NAME	"vnet0"
#define VNIC_MAC	"02:00:00:00:00:10"
#define VNIC_IP		"10.1.0.10"
#define VNI		100
#define PEER_IP		"10.1.0.21"
#define PORT_OPEN	5201	/* the security group lets it out */
#define PORT_BLOCKED	5202	/* it does not */
#define PORT_DOWNLOAD	5203	/* it does, for the peer to send */
#define PATTERN_PERIOD	251
#define HALF_BYTES	(PATTERN_PERIOD * 8192)	/* whole periods, 2 MB */
/*
 * How long a transfer may stall: a service VM's boot, and TCP's next
 * retransmission after it, which backs off to about as long again.
 */
#define TCP_STALL_SECS	ZOC_SVM_BOOT_TIMEOUT

/* Attribute @attr of netdev @ifname into @buf, without its newline. */
static inline int net_attr(const char *ifname, const char *attr, char *buf,
			   size_t len)
{
	char path[128];
	int fd, n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Wait until the carrier of @ifname is @want. */
static inline int wait_carrier(const char *ifname, int want, int secs)
{
	time_t end = time(NULL) + secs;
	char buf[16];

	do {
		if (!net_attr(ifname, "carrier", buf, sizeof(buf)) &&
		    atoi(buf) == want)
			return 0;
		usleep(100 * 1000);
	} while (time(NULL) < end);
	return -ETIMEDOUT;
}

/* A TCP connection to @ip:@port, or -errno after @secs seconds. */
static inline int tcp_connect(const char *ip, int port, int secs)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	struct pollfd pfd = { .events = POLLOUT };
	socklen_t elen = sizeof(int);
	int fd, err = 0;

	inet_pton(AF_INET, ip, &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		err = -errno;
		goto fail;
	}
	pfd.fd = fd;
	if (poll(&pfd, 1, secs * 1000) != 1) {
		err = -ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err) {
		err = -(err ?: EIO);
		goto fail;
	}
	fcntl(fd, F_SETFL, 0);
	return fd;
fail:
	close(fd);
	return err;
}

/* Send @bytes of the peer sink's pattern (byte i is i % 251) on @fd. */
static inline int send_pattern(int fd, size_t bytes)
{
	unsigned char buf[PATTERN_PERIOD * 64];
	size_t sent = 0, n;
	ssize_t r;

	for (n = 0; n < sizeof(buf); n++)
		buf[n] = n % PATTERN_PERIOD;
	while (sent < bytes) {
		n = bytes - sent < sizeof(buf) ? bytes - sent : sizeof(buf);
		r = send(fd, buf, n, 0);
		if (r <= 0)
			return -errno;
		sent += r;
		/* Keep the pattern's phase: whole periods, or the end. */
		if (r != (ssize_t)n)
			return -EIO;
	}
	return 0;
}

/* @bytes of the pattern from @fd, from byte @at of it: 0, or -errno. */
static inline int recv_pattern(int fd, size_t at, size_t bytes)
{
	unsigned char buf[PATTERN_PERIOD * 64];
	size_t got = 0, n;
	ssize_t r, i;

	while (got < bytes) {
		n = bytes - got < sizeof(buf) ? bytes - got : sizeof(buf);
		r = recv(fd, buf, n, 0);
		if (r <= 0)
			return r ? -errno : -EPIPE;
		for (i = 0; i < r; i++)
			if (buf[i] != (at + got + i) % PATTERN_PERIOD)
				return -EILSEQ;
		got += r;
	}
	return 0;
}

/* The peer sink's verdict for @port, waiting for the connection's end. */
static inline int peer_received(int lab, int port, char *out, size_t len,
				int secs)
{
	time_t end = time(NULL) + secs;
	char cmd[64];
	int ret;

	snprintf(cmd, sizeof(cmd), "peer-received %d", port);
	do {
		ret = zoc_lab_query(lab, cmd, out, len);
		if (ret || strcmp(out, "0 none"))
			return ret;
		usleep(200 * 1000);
	} while (time(NULL) < end);
	return 0;
}

/* Have the peer listen on @port and connect to it. */
static inline int peer_connect(int lab, int port, int secs)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "peer-listen %d", port);
	if (zoc_lab_cmd(lab, cmd))
		return -EIO;
	return tcp_connect(PEER_IP, port, secs);
}

static inline long long peer_vxlan_rx(int lab)
{
	char out[64];

	if (zoc_lab_query(lab, "peer-rx vx100", out, sizeof(out)))
		return -1;
	return atoll(out);
}

/*
 * Make the vNIC, asking the lab runner for @mtu_cmd first (NULL: nothing),
 * and for "svm-fw run vnic-mtu-default" after if so; its netdev's name to
 * @ifname (@len bytes), up with its address and carrier.  Returns NULL,
 * or what failed, with zocctl's or the shell's words in @out.
 */
static inline const char *vnic_make(int lab, const char *mtu_cmd,
				    char *ifname, size_t len, char *out,
				    size_t outlen)
{
	const char *err = NULL;

	if (mtu_cmd && zoc_lab_query(lab, mtu_cmd, out, outlen))
		return mtu_cmd;
	if (zoc_ctl(out, outlen,
		    "dev add virtio-net name %s mac %s vni %d ip %s/24",
		    DEV_NAME, VNIC_MAC, VNI, VNIC_IP))
		err = "dev add";
	if (mtu_cmd && zoc_lab_cmd(lab, "svm-fw run vnic-mtu-default") && !err)
		err = "svm-fw run vnic-mtu-default";
	if (err)
		return err;
	if (zoc_fn_entry(DEV_NAME, "virtio%d/net", "", ifname, len, 60))
		return "the virtio_net driver did not bring up a netdev";
	if (zoc_sh(out, outlen, "ip addr add %s/24 dev %s && ip link set %s up",
		   VNIC_IP, ifname, ifname))
		return "ip";
	/* Up once the service VM's firmware set the representor up. */
	if (wait_carrier(ifname, 1, 60))
		return "no carrier";
	return NULL;
}

FIXTURE(vnet) {
	char ifname[32];
	char out[4096];
	int lab;
};

/*
 * Undo what a test may have left: its device, the modes, the VMM's
 * scheduling, a vCPU it hot-added (the runner refuses "svm-cpu del" when
 * none was added).
 */
static inline void vnet_reset(int lab)
{
	zoc_ctl(NULL, 0, "link set mode zero-cost");
	zoc_ctl(NULL, 0, "dev del %s", DEV_NAME);
	if (lab >= 0) {
		zoc_lab_query(lab, "svm-sched normal", NULL, 0);
		zoc_lab_query(lab, "svm-cpu del", NULL, 0);
	}
}

FIXTURE_SETUP(vnet)
{
	const char *missing = zoc_link_missing();
	const char *err;

	self->lab = -1;
	if (missing)
		SKIP(return, "%s", missing);
	if (zoc_missing("zocctl"))
		SKIP(return, "zocctl is needed");
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	self->lab = zoc_lab_open();
	/*
	 * A test that failed in its set-up left its device behind; one
	 * killed at its time limit skipped its teardown.
	 */
	vnet_reset(self->lab);
	err = vnic_make(self->lab, NULL, self->ifname, sizeof(self->ifname),
			self->out, sizeof(self->out));
	ASSERT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
}

FIXTURE_TEARDOWN(vnet)
{
	if (zoc_setup_skipped(_metadata))
		return;
	/* a test that changed the modes or the vCPUs may have failed */
	vnet_reset(self->lab);
	if (self->lab >= 0)
		close(self->lab);
}

/*
 * Send 2 * HALF_BYTES of the pattern to the VPC peer's open port, with
 * the lab runner asked for @middle halfway (NULL: nothing); the peer's
 * verdict ("BYTES good SECONDS") goes to @out, and the connection's
 * segment size to *@mss unless NULL.  Returns NULL if the peer received
 * every byte right, else what failed.
 */
static inline const char *tcp_transfer(int lab, const char *middle,
				       char *out, size_t len, int *mss)
{
	struct timeval stall = { .tv_sec = TCP_STALL_SECS };
	socklen_t slen = sizeof(*mss);
	char want[64];
	int fd, ret;

	*out = '\0';
	fd = peer_connect(lab, PORT_OPEN, 20);
	if (fd < 0)
		return "connect";
	if (mss && getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, mss, &slen))
		*mss = -errno;
	/* a connection the datapath dropped fails here, not by timeout */
	ret = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stall, sizeof(stall)) ?:
	      send_pattern(fd, HALF_BYTES);
	if (!ret && middle && zoc_lab_query(lab, middle, out, len)) {
		close(fd);
		return middle;
	}
	/* whole periods: the second half goes on with the pattern's phase */
	ret = ret ?: send_pattern(fd, HALF_BYTES);
	close(fd);
	if (ret)
		return "send";
	if (peer_received(lab, PORT_OPEN, out, len, 60))
		return "no verdict from the peer";
	snprintf(want, sizeof(want), "%d good ", 2 * HALF_BYTES);
	return strncmp(out, want, strlen(want)) ? "the peer's verdict" : NULL;
}

/*
 * A counter of the VPC datapath, which lab command @cmd answers as
 * "@name N", or -1.
 */
static inline long long vpc_count(int lab, const char *cmd, const char *name)
{
	char reply[64], want[32];
	long long n;

	snprintf(want, sizeof(want), "%s %%lld", name);
	if (zoc_lab_query(lab, cmd, reply, sizeof(reply)) ||
	    sscanf(reply, want, &n) != 1)
		return -1;
	return n;
}

/*
 * tcp_transfer() while the peer sends 2 * HALF_BYTES of the pattern on a
 * second connection, which we read half of before and the rest after:
 * both directions go on across @middle; the upload's segment size to
 * *@mss unless NULL.  Returns NULL if every byte went right both ways,
 * else what failed.
 */
static inline const char *tcp_both_ways(int lab, const char *middle,
					char *out, size_t len, int *mss)
{
	struct timeval stall = { .tv_sec = TCP_STALL_SECS };
	const char *err;
	char cmd[64], c;
	int fd, ret;

	snprintf(cmd, sizeof(cmd), "peer-send %d %d", PORT_DOWNLOAD,
		 2 * HALF_BYTES);
	if (zoc_lab_cmd(lab, cmd))
		return "the peer's source";
	fd = tcp_connect(PEER_IP, PORT_DOWNLOAD, 20);
	if (fd < 0)
		return "connect to the peer's source";
	ret = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &stall, sizeof(stall)) ?:
	      recv_pattern(fd, 0, HALF_BYTES);
	err = ret ? "download" : tcp_transfer(lab, middle, out, len, mss);
	if (!ret)
		ret = recv_pattern(fd, HALF_BYTES, HALF_BYTES) ?:
		      (recv(fd, &c, 1, 0) ? -EIO : 0);	/* then its end */
	close(fd);
	return err ?: ret ? "download, after it" : NULL;
}

#endif /* _ZOC_VNET_LAB_H */
