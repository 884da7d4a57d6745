// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net frames beyond 1500 bytes (the vNIC and the VPC peer of
 * vnet_lab.h): the host's TSO frames cross the I/O link and the VPC
 * datapath whole, and are cut into VXLAN segments after it, every byte
 * right at the peer; TSO headers a hostile host lies about are counted
 * invalid; a vNIC made while the service VM offers an MTU above 1500 has
 * it, its frames cross whole both ways and a replacement of the models
 * keeps it; one too big for the VPC gets ICMP "fragmentation needed" back
 * and the host's path MTU follows; a frame longer than a page reaches the
 * datapath as an skb, and it or a TSO frame too big gets the same answer.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>

#include "vnet_lab.h"

/* The lab's underlay MTU (3400) less VXLAN's 50 bytes: vnic-mtu-jumbo */
#define JUMBO_MTU	3350

/* The GSO frames of vNICs the VPC datapath forwarded whole, or -1. */
static long long vpc_gso_frames(int lab)
{
	return vpc_count(lab, "svm-fw run vpc-gso", "gso");
}

/* The VPC datapath's answers "fragmentation needed", or -1 */
static long long vpc_frag_needed(int lab)
{
	return vpc_count(lab, "svm-fw run vpc-frag-needed", "frag_needed");
}

/* Counter @name of the "Tcp:" lines of /proc/net/snmp, or -1. */
static long long tcp_mib(const char *name)
{
	char head[1024], vals[1024], *h, *v, *hs, *vs;
	long long n = -1;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		return -1;
	while (fgets(head, sizeof(head), f)) {
		if (strncmp(head, "Tcp:", 4) || !fgets(vals, sizeof(vals), f))
			continue;
		h = strtok_r(head, "\n ", &hs);
		v = strtok_r(vals, "\n ", &vs);
		while (h && v && strcmp(h, name)) {
			h = strtok_r(NULL, "\n ", &hs);
			v = strtok_r(NULL, "\n ", &vs);
		}
		if (h && v)
			n = atoll(v);
		break;
	}
	fclose(f);
	return n;
}

/*
 * The host's TSO: the device offers HOST_TSO4, so the host's virtio_net
 * sends TCP in frames of up to 64 KiB, which cross the I/O link and the
 * VPC datapath whole (its tc program: XDP carries no segmentation), are
 * encapsulated once each and cut into VXLAN segments after it.  The peer
 * gets every byte right; the datapath counted the GSO frames; and the
 * host hardly retransmitted: a frame lost after the datapath (its
 * segmentation broken, say) would be sent again, one segment at a time.
 */
TEST_F_TIMEOUT(vnet, tso_to_vpc_peer, 600)
{
	long long before, after, out0, out1, re0, re1;
	const char *err;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	if (zoc_missing("ethtool"))
		SKIP(return, "ethtool is needed");
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "ethtool -k %s | grep -x 'tcp-segmentation-offload: on'",
			    self->ifname))
		TH_LOG("the host's virtio_net has no TSO: %s", self->out);
	before = vpc_gso_frames(self->lab);
	ASSERT_LE(0, before);
	out0 = tcp_mib("OutSegs");
	re0 = tcp_mib("RetransSegs");
	ASSERT_LE(0, out0);
	ASSERT_LE(0, re0);
	err = tcp_transfer(self->lab, NULL, self->out, sizeof(self->out), NULL);
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
	after = vpc_gso_frames(self->lab);
	out1 = tcp_mib("OutSegs");
	re1 = tcp_mib("RetransSegs");
	TH_LOG("%lld GSO frames forwarded whole for %d bytes", after - before,
	       2 * HALF_BYTES);
	TH_LOG("%lld segments sent, %lld of them again", out1 - out0,
	       re1 - re0);
	EXPECT_LT(before, after) TH_LOG("no TSO frame crossed the datapath");
	/* a few under TCG's stalls; a lost GSO frame is 45 segments */
	EXPECT_LT((re1 - re0) * 20, out1 - out0)
		TH_LOG("segments sent again: frames lost after the datapath");
}

/* VNIC_MAC */
static const unsigned char vnic_mac[6] = { 0x02, 0, 0, 0, 0, 0x10 };

/* A TSO frame's headers a hostile host may lie about */
struct tso_case {
	const char *name;
	unsigned int csum_start;	/* from the frame's start */
	unsigned int mss;
	bool vlan;
	bool invalid;			/* the device must count it so */
};

/* The longest TSO frame send_tso() sends: 8000 bytes of payload */
#define TSO_MAX_PAYLOAD	8000

/* The virtio header and frame send_tso() sent last */
static unsigned char tso_buf[sizeof(struct virtio_net_hdr) + 4 + 54 +
			     TSO_MAX_PAYLOAD];
#define TSO_FRAME	(tso_buf + sizeof(struct virtio_net_hdr))

/* The Internet checksum of @len bytes at @p: 0 over a header that is right */
static unsigned int inet_csum(const unsigned char *p, unsigned int len)
{
	unsigned int i, sum = 0;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	sum = (sum & 0xffff) + (sum >> 16);
	return ~((sum & 0xffff) + (sum >> 16)) & 0xffff;
}

/*
 * Send one TCP frame of 54 bytes of headers and 1000 of payload (or
 * @payload if not 0) from the vNIC's address to the peer's @port through a
 * packet socket
 * that hands the driver its virtio header (PACKET_VNET_HDR): the host's
 * virtio_net passes what the socket gave on to the device.
 */
static int send_tso(int fd, const struct tso_case *c, unsigned int payload,
		    unsigned int port)
{
	struct virtio_net_hdr *vh = (void *)tso_buf;
	unsigned char *f = TSO_FRAME, *ip;
	unsigned int tag = c->vlan ? 4 : 0, len, sum;
	ssize_t r;

	if (payload > TSO_MAX_PAYLOAD)
		return -EINVAL;
	len = 54 + (payload ?: 1000) + tag;
	memset(tso_buf, 0, sizeof(*vh) + len);
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh->gso_size = c->mss;
	vh->csum_start = c->csum_start + tag;
	vh->csum_offset = 16;
	vh->hdr_len = 54 + tag;
	memset(f, 0x02, 6);			/* the gateway: any MAC */
	memcpy(f + 6, vnic_mac, 6);
	if (c->vlan) {
		f[12] = 0x81;
		f[15] = 7;			/* VLAN 7 */
	}
	f[12 + tag] = 0x08;			/* IPv4 */
	ip = f + 14 + tag;
	ip[0] = 0x45;
	ip[2] = (len - 14 - tag) >> 8;
	ip[3] = (len - 14 - tag) & 0xff;
	ip[6] = 0x40;				/* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	inet_pton(AF_INET, VNIC_IP, ip + 12);
	inet_pton(AF_INET, PEER_IP, ip + 16);
	sum = inet_csum(ip, 20);
	ip[10] = sum >> 8;
	ip[11] = sum & 0xff;
	ip[20] = 0x9c;				/* port 40000 */
	ip[21] = 0x40;
	ip[22] = port >> 8;
	ip[23] = port & 0xff;
	ip[32] = 0x50;				/* data offset 5 */
	ip[33] = 0x10;				/* ACK */
	r = send(fd, tso_buf, sizeof(*vh) + len, 0);
	return r == (ssize_t)(sizeof(*vh) + len) ? 0 : -errno;
}

/*
 * A packet socket on @ifname for send_tso() (PACKET_VNET_HDR), which
 * receives the IPv4 frames that come in too.  Return: it, or -1.
 */
static int tso_socket(const char *ifname)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = if_nametoindex(ifname),
	};
	struct timeval tv = { .tv_sec = 5 };
	int fd, one = 1;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Wait for ICMP "fragmentation needed" naming @mtu to come in on @fd
 * (tso_socket()), for the frame send_tso() sent last: of 70 bytes, both
 * checksums right, quoting the frame's IPv4 header and first 8 bytes
 * unchanged.  Return: NULL, or what was wrong.
 */
static const char *frag_needed_in(int fd, unsigned int mtu)
{
	unsigned char buf[sizeof(struct virtio_net_hdr) + 2048], *f, *ip, *icmp;
	struct sockaddr_ll from;
	socklen_t fromlen;
	unsigned int i;
	ssize_t n;

	for (i = 0; i < 100; i++) {
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &fromlen);
		if (n < 0)
			return errno == EAGAIN ? "no ICMP fragmentation needed came in" :
			       "recvfrom failed";
		n -= sizeof(struct virtio_net_hdr);
		f = buf + sizeof(struct virtio_net_hdr);
		ip = f + 14;
		icmp = ip + 20;
		/* ours quotes the frame's addresses */
		if (from.sll_pkttype == PACKET_OUTGOING || n < 14 + 20 + 36 ||
		    ip[9] != IPPROTO_ICMP || icmp[0] != 3 || icmp[1] != 4 ||
		    memcmp(icmp + 8 + 12, TSO_FRAME + 14 + 12, 8))
			continue;
		if (n != 70 || memcmp(f, vnic_mac, 6))
			return "not 70 bytes to the vNIC";
		if (inet_csum(ip, 20) || inet_csum(icmp, 36))
			return "a checksum is wrong";
		if ((icmp[6] << 8 | icmp[7]) != mtu)
			return "another MTU";
		if (memcmp(icmp + 8, TSO_FRAME + 14, 28))
			return "the quote is not the frame's header and 8 bytes";
		return NULL;
	}
	return "no ICMP fragmentation needed came in";
}

/* Wait up to 5 s for the device's invalid frames to reach @want. */
static long long wait_invalid(long long want)
{
	long long n = -1;
	int i;

	for (i = 0; i < 25; i++) {
		n = zoc_dev_stat(DEV_NAME, "invalid");
		if (n >= want)
			break;
		usleep(200 * 1000);
	}
	return n;
}

/*
 * TSO frames whose own headers are not what their virtio header says,
 * from the host's driver itself (a packet socket with PACKET_VNET_HDR):
 * the checksum to complete elsewhere than TCP's (here, where the stack
 * would write it over the TCP ports after the VPC datapath judged them),
 * segments too small (thousands from one frame), a VLAN tag (which the
 * service VM's stack would keep aside from the datapath).  Each is counted
 * as invalid by the device, a true one is not, and TCP still works.
 */
TEST_F_TIMEOUT(vnet, hostile_tso_headers, 600)
{
	static const struct tso_case frames[] = {
		{ "a true TSO frame", 34, 500, false, false },
		{ "the checksum at the TCP ports", 20, 500, false, true },
		{ "segments of 16 bytes", 34, 16, false, true },
		{ "a VLAN tag", 34, 500, true, true },
	};
	const char *err, *what;
	long long invalid, now;
	unsigned int i;
	int fd;

	if (zoc_setup_skipped(_metadata))
		return;
	fd = tso_socket(self->ifname);
	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(frames); i++) {
		invalid = zoc_dev_stat(DEV_NAME, "invalid");
		ASSERT_LE(0, invalid);
		ASSERT_EQ(0, send_tso(fd, &frames[i], 0, PORT_BLOCKED))
			TH_LOG("%s: the host's kernel refused it",
			       frames[i].name);
		now = wait_invalid(invalid + 1);
		what = frames[i].invalid ? "not counted" : "counted";
		EXPECT_EQ(invalid + frames[i].invalid, now)
			TH_LOG("%s: %s as invalid", frames[i].name, what);
	}
	close(fd);
	if (self->lab < 0)
		return;
	err = tcp_transfer(self->lab, NULL, self->out, sizeof(self->out), NULL);
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
}

/*
 * Pings of @size bytes to the VPC peer, @count of them: NULL if all were
 * answered, each crossing whole (the peer's VXLAN device counted @count
 * packets, not fragments), else what failed.
 */
static const char *ping_whole(int lab, int size, int count, char *out,
			      size_t len)
{
	long long before = peer_vxlan_rx(lab), after;

	if (before < 0)
		return "peer-rx";
	if (zoc_sh(out, len, "ping -c %d -W 5 -s %d %s", count, size, PEER_IP))
		return "ping";
	after = peer_vxlan_rx(lab);
	/* a few more for ARP or TCP's leftovers; fragments are twice as many */
	return after < before + count || after >= before + 2 * count ?
	       "packets the peer counted" : NULL;
}

/*
 * The vNIC deleted and made again as vnic_make() does, with @mtu_cmd:
 * the MTU of its netdev, or -1 with what failed logged.  @self is
 * FIXTURE_DATA(vnet).
 */
static int vnic_remake(struct __test_metadata *_metadata,
		       struct _test_data_vnet *self, const char *mtu_cmd)
{
	const char *err = NULL;
	char buf[32];

	if (zoc_ctl(self->out, sizeof(self->out), "dev del %s", DEV_NAME))
		err = "dev del";
	else
		err = vnic_make(self->lab, mtu_cmd, self->ifname,
				sizeof(self->ifname), self->out,
				sizeof(self->out));
	if (!err && net_attr(self->ifname, "mtu", buf, sizeof(buf)))
		err = "no mtu";
	if (err) {
		TH_LOG("%s: %s", err, self->out);
		return -1;
	}
	return atoi(buf);
}

/*
 * An MTU above 1500: a vNIC made while the service VM offers vNICs an MTU
 * of JUMBO_MTU (its underlay's less VXLAN's 50 bytes) has it: the host's
 * virtio_net read it from the device.  Pings that fill it cross whole both
 * ways (the representor takes frames that long from the uplink too), TCP
 * goes both ways in segments that long, every byte right, and a
 * replacement of the service VM's virtio models keeps the MTU, their
 * module's parameter being back at 1500 by then.
 */
TEST_F_TIMEOUT(vnet, mtu_above_1500, 900)
{
	const char *err;
	int mss = 0;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no service VM firmware");
	ASSERT_EQ(JUMBO_MTU,
		  vnic_remake(_metadata, self, "svm-fw run vnic-mtu-jumbo"));
	err = ping_whole(self->lab, JUMBO_MTU - 28, 5, self->out,
			 sizeof(self->out));
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
	err = tcp_both_ways(self->lab, NULL, self->out, sizeof(self->out),
			    &mss);
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
	TH_LOG("TCP segments of %d bytes", mss);
	EXPECT_LT(JUMBO_MTU - 100, mss);

	ASSERT_EQ(0, zoc_lab_query(self->lab, "svm-fw reload zoc_virtio",
				   self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, wait_carrier(self->ifname, 1, 60));
	err = ping_whole(self->lab, JUMBO_MTU - 28, 5, self->out,
			 sizeof(self->out));
	EXPECT_EQ(NULL, err) TH_LOG("after the swap, %s: %s", err, self->out);
	EXPECT_EQ(0, zoc_dev_stat(DEV_NAME, "invalid"));

	/* The next vNIC is back at 1500. */
	EXPECT_EQ(1500, vnic_remake(_metadata, self, NULL));
}

/* The peer's port the security group lets UDP out to (the lab's VPC) */
#define PORT_UDP	5301

/*
 * @count UDP datagrams of @size bytes to the peer's PORT_UDP, 500 ms
 * apart, with Don't Fragment as @pmtudisc says (IP_PMTUDISC_DONT, _DO):
 * how many the host's stack took (it refuses one with DF that it knows
 * the path does not take), or -1.
 */
static int udp_to_peer(int size, int count, int pmtudisc)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(PORT_UDP) };
	static char buf[9000];
	int fd, i, sent = 0;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || size > (int)sizeof(buf))
		goto fail;
	inet_pton(AF_INET, PEER_IP, &sin.sin_addr);
	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtudisc,
		       sizeof(pmtudisc)) ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		goto fail;
	for (i = 0; i < count; i++) {
		if (send(fd, buf, size, 0) == size)
			sent++;
		else if (errno != EMSGSIZE)
			goto fail;
		usleep(500 * 1000);
	}
	close(fd);
	return sent;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The path MTU the host's stack holds for the VPC peer, or -1. */
static int peer_path_mtu(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), mtu = -1;
	socklen_t len = sizeof(mtu);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, PEER_IP, &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len))
		mtu = -1;
	close(fd);
	return mtu;
}

/*
 * Path MTU discovery through the VPC: a vNIC whose MTU is the underlay's
 * (3400), 50 bytes more than the VPC carries once encapsulated, sends
 * pings that fill it, with Don't Fragment.  The VPC datapath answers
 * each with ICMP "fragmentation needed" naming 3350 (counted), and the
 * host's stack takes it: its path MTU to the peer drops from 3400 to
 * 3350, after which pings of 3350 bytes and TCP both ways cross whole.
 */
TEST_F_TIMEOUT(vnet, path_mtu_through_the_vpc, 900)
{
	long long before, after;
	const char *err;
	int mss = 0;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no service VM firmware");
	ASSERT_EQ(JUMBO_MTU + 50,
		  vnic_remake(_metadata, self, "svm-fw run vnic-mtu-underlay"));
	/* nothing learnt yet: the vNIC's own MTU */
	zoc_sh(NULL, 0, "ip route flush cache");
	EXPECT_EQ(JUMBO_MTU + 50, peer_path_mtu());
	before = vpc_frag_needed(self->lab);
	ASSERT_LE(0, before);
	/* too big: answered by the VPC, not by the peer */
	EXPECT_NE(0, zoc_sh(self->out, sizeof(self->out),
			    "ping -c 2 -W 2 -s %d %s", JUMBO_MTU + 50 - 28,
			    PEER_IP));
	after = vpc_frag_needed(self->lab);
	EXPECT_LT(before, after) TH_LOG("frag_needed: %lld -> %lld",
					before, after);
	EXPECT_EQ(JUMBO_MTU, peer_path_mtu()) TH_LOG("%s", self->out);

	err = ping_whole(self->lab, JUMBO_MTU - 28, 3, self->out,
			 sizeof(self->out));
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
	err = tcp_both_ways(self->lab, NULL, self->out, sizeof(self->out),
			    &mss);
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
	TH_LOG("TCP segments of %d bytes", mss);
	EXPECT_EQ(0, zoc_dev_stat(DEV_NAME, "invalid"));

	/* The next vNIC is back at 1500. */
	EXPECT_EQ(1500, vnic_remake(_metadata, self, NULL));
	zoc_sh(NULL, 0, "ip route flush cache");
}

/*
 * Frames as skbs too big for the underlay, from a vNIC with an MTU of
 * 9000 (more than the lab's underlay carries).  UDP datagrams of 4000
 * bytes, in frames longer than a page of the representor's XDP holds,
 * cross the I/O link whole into an skb, and the VPC datapath's tc program
 * drops them (counted), with no answer without Don't Fragment; the model
 * did not count them invalid, and nothing reached the peer.  With Don't
 * Fragment, the tc program answers ICMP "fragmentation needed" and the
 * host's path MTU to the peer becomes 3350, after which the host's stack
 * refuses them itself.  A TSO frame whose segments (4000 bytes) do not
 * fit gets the same answer, whole and unchanged by its checksum offload:
 * the quote is its IPv4 header as sent.
 */
TEST_F_TIMEOUT(vnet, frame_longer_than_a_page, 600)
{
	static const struct tso_case big = { "segments of 4000 bytes", 34,
					     4000, false, false };
	long long before, after, rx0, fn0, fn1;
	const char *err;
	int fd, sent;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no service VM firmware");
	ASSERT_EQ(9000,
		  vnic_remake(_metadata, self, "svm-fw run vnic-mtu-9000"));
	/* The path works for frames the underlay takes. */
	err = ping_whole(self->lab, 1000, 3, self->out, sizeof(self->out));
	ASSERT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
	zoc_sh(NULL, 0, "ip route flush cache");
	before = vpc_count(self->lab, "svm-fw run vpc-mtu-drops", "mtu");
	fn0 = vpc_frag_needed(self->lab);
	rx0 = peer_vxlan_rx(self->lab);
	ASSERT_LE(0, before);
	ASSERT_LE(0, fn0);
	EXPECT_EQ(3, udp_to_peer(4000, 3, IP_PMTUDISC_DONT));
	after = vpc_count(self->lab, "svm-fw run vpc-mtu-drops", "mtu");
	EXPECT_LE(before + 3, after) TH_LOG("mtu drops: %lld -> %lld",
					    before, after);
	EXPECT_EQ(fn0, vpc_frag_needed(self->lab));
	EXPECT_EQ(9000, peer_path_mtu());

	/* Don't Fragment: answered, and the host's stack takes it */
	sent = udp_to_peer(4000, 3, IP_PMTUDISC_DO);
	fn1 = vpc_frag_needed(self->lab);
	EXPECT_LT(fn0, fn1) TH_LOG("frag_needed: %lld -> %lld", fn0, fn1);
	EXPECT_EQ(JUMBO_MTU, peer_path_mtu());
	EXPECT_LT(0, sent);
	EXPECT_GT(3, sent) TH_LOG("the host sent all 3 with DF");
	zoc_sh(NULL, 0, "ip route flush cache");

	/* A TSO frame with Don't Fragment, its checksum left to offload */
	fd = tso_socket(self->ifname);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, send_tso(fd, &big, TSO_MAX_PAYLOAD, PORT_OPEN));
	err = frag_needed_in(fd, JUMBO_MTU);
	EXPECT_EQ(NULL, err) TH_LOG("the TSO frame's answer: %s", err);
	close(fd);
	EXPECT_LT(fn1, vpc_frag_needed(self->lab));
	EXPECT_EQ(rx0, peer_vxlan_rx(self->lab));
	EXPECT_EQ(0, zoc_dev_stat(DEV_NAME, "invalid"));
}

TEST_HARNESS_MAIN
