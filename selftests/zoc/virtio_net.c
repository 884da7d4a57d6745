// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net end to end: "zocctl dev add virtio-net" makes the host's stock
 * virtio_pci and virtio_net drivers bind to a function of the virtual bus
 * whose device is the service VM's model.  Its port representor in the
 * service VM gets the VPC datapath (the service VM's firmware runs the VPC
 * loader when the representor appears), so the host reaches the VPC peer:
 * a Linux VXLAN device of VNI 100 in the lab's underlay namespace, which
 * only takes VXLAN of that VNI.  The lab runner reports what the peer
 * received.  A security group rule blocks a port, and the link follows
 * "zocctl dev set ... link down|up".  A transfer survives memory
 * hot-plugged into the service VM.  It has a queue pair per host CPU,
 * each carrying its CPU's flows both ways, and "ethtool -L" changes how
 * many are used in the middle of a transfer.  A hostile driver (the test module
 * zoc_virtio_hostile_test, with virtio-pci unbound) only makes the device
 * need a reset, and it works again; a virtio-blk device that fio verifies
 * on meanwhile does not notice.  The service VM's virtio models can be replaced (their
 * module reloaded) under the netdev.  A TCP transfer to the VPC peer
 * survives the service VM killed with SIGKILL in its middle: the new
 * service VM takes the device over from its live record and the VPC
 * datapath takes the connection up again; and a standby service VM
 * taking over in its middle (a hand-over).  A download from the peer
 * survives both too.  A vNIC made while the service VM offers an MTU
 * above 1500 has it, and its frames cross whole, even longer than a page.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"
#include "zoc_disk.h"

#define DEV_NAME	"vnet0"
#define VNIC_MAC	"02:00:00:00:00:10"
#define VNIC_IP		"10.1.0.10"
#define VNI		100
#define PEER_IP		"10.1.0.21"
/* The lab's underlay MTU (3400) less VXLAN's 50 bytes: vnic-mtu-jumbo */
#define JUMBO_MTU	3350
#define PORT_OPEN	5201	/* the security group lets it out */
#define PORT_BLOCKED	5202	/* it does not */
#define PORT_DOWNLOAD	5203	/* it does, for the peer to send */
#define PATTERN_PERIOD	251
#define HALF_BYTES	(PATTERN_PERIOD * 8192)	/* whole periods, 2 MB */
#define HOSTILE_MOD	"zoc_virtio_hostile_test"
#define OTHER_NAME	"vblk9"	/* a device that must not notice */
/*
 * How long a transfer may stall: a service VM's boot, and TCP's next
 * retransmission after it, which backs off to about as long again.
 */
#define TCP_STALL_SECS	ZOC_SVM_BOOT_TIMEOUT

/* Attribute @attr of netdev @ifname into @buf, without its newline. */
static int net_attr(const char *ifname, const char *attr, char *buf, size_t len)
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
static int wait_carrier(const char *ifname, int want, int secs)
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

/* How many times the carrier of @ifname changed, or -1. */
static long long carrier_changes(const char *ifname)
{
	char buf[32];

	if (net_attr(ifname, "carrier_changes", buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

/* A TCP connection to @ip:@port, or -errno after @secs seconds. */
static int tcp_connect(const char *ip, int port, int secs)
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
static int send_pattern(int fd, size_t bytes)
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
static int recv_pattern(int fd, size_t at, size_t bytes)
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
static int peer_received(int lab, int port, char *out, size_t len, int secs)
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
static int peer_connect(int lab, int port, int secs)
{
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "peer-listen %d", port);
	if (zoc_lab_cmd(lab, cmd))
		return -EIO;
	return tcp_connect(PEER_IP, port, secs);
}

static long long peer_vxlan_rx(int lab)
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
static const char *vnic_make(int lab, const char *mtu_cmd, char *ifname,
			     size_t len, char *out, size_t outlen)
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
	/* A test that failed in its set-up left its device behind. */
	zoc_ctl(NULL, 0, "dev del %s", DEV_NAME);
	err = vnic_make(self->lab, NULL, self->ifname, sizeof(self->ifname),
			self->out, sizeof(self->out));
	ASSERT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
}

FIXTURE_TEARDOWN(vnet)
{
	if (zoc_setup_skipped(_metadata))
		return;
	/* polls_in_performance_mode may have failed before it ended */
	zoc_ctl(NULL, 0, "link set mode zero-cost");
	zoc_ctl(NULL, 0, "dev del %s", DEV_NAME);
	if (self->lab >= 0)
		close(self->lab);
}

TEST_F_TIMEOUT(vnet, identity, 300)
{
	char dir[300], buf[64];

	if (zoc_setup_skipped(_metadata))
		return;
	zoc_fn_dir(DEV_NAME, dir, sizeof(dir));
	ASSERT_NE(0, dir[0]);
	EXPECT_EQ(0x1af4, zoc_read_hex(dir, "vendor"));
	EXPECT_EQ(0x1041, zoc_read_hex(dir, "device"));
	EXPECT_EQ(0x020000, zoc_read_hex(dir, "class"));
	ASSERT_EQ(0, net_attr(self->ifname, "address", buf, sizeof(buf)));
	EXPECT_STREQ(VNIC_MAC, buf);
	ASSERT_EQ(0, net_attr(self->ifname, "mtu", buf, sizeof(buf)));
	EXPECT_EQ(1500, atoi(buf));
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "basename $(readlink /sys/class/net/%s/device/driver)",
			    self->ifname));
	EXPECT_EQ(0, strncmp(self->out, "virtio_net", 10)) TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev show %s",
			     DEV_NAME));
	EXPECT_NE(NULL, strstr(self->out, "mac " VNIC_MAC " vni 100 ip "
			       VNIC_IP "/24")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "link up")) TH_LOG("%s", self->out);
	/* The driver read the MAC and the rest from the shadow. */
	EXPECT_LT(0, zoc_dev_stat(DEV_NAME, "shadow_reads"));
}

TEST_F_TIMEOUT(vnet, ping_vpc_peer, 300)
{
	long long before, after;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	before = peer_vxlan_rx(self->lab);
	ASSERT_LE(0, before);
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "ping -c 5 -W 5 %s", PEER_IP))
		TH_LOG("%s", self->out);
	/* The peer's VXLAN device of VNI 100 took them: the VNI was right. */
	after = peer_vxlan_rx(self->lab);
	EXPECT_LE(before + 5, after) TH_LOG("VNI 100 packets: %lld -> %lld",
					    before, after);
	EXPECT_LT(0, zoc_dev_stat(DEV_NAME, "commands"));
	EXPECT_EQ(0, zoc_dev_stat(DEV_NAME, "invalid"));
}

/*
 * Send 2 * HALF_BYTES of the pattern to the VPC peer's open port, with
 * the lab runner asked for @middle halfway (NULL: nothing); the peer's
 * verdict ("BYTES good SECONDS") goes to @out, and the connection's
 * segment size to *@mss unless NULL.  Returns NULL if the peer received
 * every byte right, else what failed.
 */
static const char *tcp_transfer(int lab, const char *middle, char *out,
				size_t len, int *mss)
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

TEST_F_TIMEOUT(vnet, tcp_to_vpc_peer, 600)
{
	const char *err;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	err = tcp_transfer(self->lab, NULL, self->out, sizeof(self->out), NULL);
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
}

/*
 * A counter of the VPC datapath, which lab command @cmd answers as
 * "@name N", or -1.
 */
static long long vpc_count(int lab, const char *cmd, const char *name)
{
	char reply[64], want[32];
	long long n;

	snprintf(want, sizeof(want), "%s %%lld", name);
	if (zoc_lab_query(lab, cmd, reply, sizeof(reply)) ||
	    sscanf(reply, want, &n) != 1)
		return -1;
	return n;
}

/* The GSO frames of vNICs the VPC datapath forwarded whole, or -1. */
static long long vpc_gso_frames(int lab)
{
	return vpc_count(lab, "svm-fw run vpc-gso", "gso");
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

/*
 * The VPC session table's sets in use and being drained, and the TCP
 * connections the datapath took up without a session.
 */
static int vpc_table(int lab, unsigned int *sets, unsigned int *draining,
		     unsigned long long *pickups)
{
	char reply[256];

	if (zoc_lab_query(lab, "svm-fw run vpc-table", reply, sizeof(reply)))
		return -1;
	return sscanf(reply, "table sets %u sessions %*u draining %u quota %*u pickups %llu",
		      sets, draining, pickups) == 3 ? 0 : -1;
}

/*
 * 64 MiB of memory hot-plugged into the service VM in the middle of a
 * transfer (its VMM grows its virtio-mem device, the lab runner waits for
 * the service VM to plug it): the service VM's kernel manages more
 * memory than before, and the VPC session table (2% of the memory, the
 * lab's vpc.conf) grows with it while the connection is open.  The
 * second half of the transfer goes once the table grew: the connection
 * kept its session (no segment had to be taken up without one), and the
 * transfer completes, every byte checked.
 */
TEST_F_TIMEOUT(vnet, tcp_survives_memory_hot_add, 600)
{
	unsigned long long pickups, pickups_after;
	unsigned int sets, sets_after = 0, draining = 1;
	struct timeval stall = { .tv_sec = TCP_STALL_SECS };
	long long kib, blocks;
	char want[64];
	const char *err;
	int fd, i;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	ASSERT_EQ(0, zoc_svm_mem(self->lab, &kib, &blocks));
	ASSERT_EQ(0, vpc_table(self->lab, &sets, &draining, &pickups));
	fd = peer_connect(self->lab, PORT_OPEN, 20);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stall,
				sizeof(stall)));
	EXPECT_EQ(0, send_pattern(fd, HALF_BYTES));
	EXPECT_EQ(0, zoc_lab_query(self->lab, "svm-mem add 64", self->out,
				   sizeof(self->out)))
		TH_LOG("%s", self->out);
	/* zoc-fw runs the loader's grow within a second of the memory */
	for (i = 0; i < 60 && (sets_after <= sets || draining); i++) {
		sleep(1);
		ASSERT_EQ(0, vpc_table(self->lab, &sets_after, &draining,
				       &pickups_after));
	}
	EXPECT_EQ(0, send_pattern(fd, HALF_BYTES));
	close(fd);
	ASSERT_EQ(0, peer_received(self->lab, PORT_OPEN, self->out,
				   sizeof(self->out), 60));
	snprintf(want, sizeof(want), "%d good ", 2 * HALF_BYTES);
	EXPECT_EQ(0, strncmp(self->out, want, strlen(want)))
		TH_LOG("the peer: %s", self->out);
	err = zoc_svm_mem_grew(self->lab, kib, blocks, 64, self->out,
			       sizeof(self->out));
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
	TH_LOG("service VM memory: %s", self->out);
	ASSERT_EQ(0, vpc_table(self->lab, &sets_after, &draining,
			       &pickups_after));
	EXPECT_GT(sets_after, sets) TH_LOG("the session table did not grow");
	EXPECT_EQ(0, draining) TH_LOG("the old table is still drained");
	EXPECT_EQ(pickups, pickups_after)
		TH_LOG("%llu connections taken up: a session was lost",
		       pickups_after - pickups);
	TH_LOG("session table: %u sets, then %u", sets, sets_after);
}

/*
 * Performance mode polls a transmit queue that ran dry (a poll time of
 * 2 ms: under TCG a TCP stream leaves a queue dry longer than the 200 us
 * of "mode performance"): during a transfer, polls find the host's
 * packets (svm_polled grows); in zero-cost mode nothing polls.  Both
 * transfers complete, every byte checked.
 */
TEST_F_TIMEOUT(vnet, polls_in_performance_mode, 600)
{
	long long polled[2];
	const char *err;
	int perf;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	for (perf = 1; perf >= 0; perf--) {
		ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out), perf ?
				     "link set poll-us 2000" :
				     "link set mode zero-cost"))
			TH_LOG("%s", self->out);
		polled[perf] = zoc_dev_stat(DEV_NAME, "svm_polled");
		err = tcp_transfer(self->lab, NULL, self->out,
				   sizeof(self->out), NULL);
		polled[perf] = zoc_dev_stat(DEV_NAME, "svm_polled") -
			       polled[perf];
		EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
	}
	TH_LOG("transmit packets found by polling: %lld, then %lld in zero-cost mode",
	       polled[1], polled[0]);
	EXPECT_LT(0, polled[1]) TH_LOG("performance mode found nothing by polling");
	EXPECT_EQ(0, polled[0]) TH_LOG("zero-cost mode polled");
}

/*
 * The service VM forgets every VPC session in the middle of a transfer,
 * as a new service VM starts with none: the connection is taken up
 * again by its next segment and completes, every byte checked.
 */
TEST_F_TIMEOUT(vnet, tcp_survives_lost_sessions, 600)
{
	const char *err;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	err = tcp_transfer(self->lab, "svm-fw run vpc-flush", self->out,
			   sizeof(self->out), NULL);
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
}

TEST_F_TIMEOUT(vnet, security_group_blocks_port, 300)
{
	int fd;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	/* The datapath works: the open port connects. */
	fd = peer_connect(self->lab, PORT_OPEN, 20);
	ASSERT_LE(0, fd) TH_LOG("connect: %s", strerror(-fd));
	close(fd);
	/* The peer listens on the other, but no rule lets the SYN out. */
	fd = peer_connect(self->lab, PORT_BLOCKED, 5);
	EXPECT_EQ(-ETIMEDOUT, fd);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, zoc_lab_query(self->lab, "peer-received 5202", self->out,
				   sizeof(self->out)));
	EXPECT_STREQ("0 none", self->out);
}

TEST_F_TIMEOUT(vnet, link_down_up, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
			     "dev set %s link down", DEV_NAME))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, wait_carrier(self->ifname, 0, 20));
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev show %s",
			     DEV_NAME));
	EXPECT_NE(NULL, strstr(self->out, "link down")) TH_LOG("%s", self->out);
	if (self->lab >= 0)
		EXPECT_NE(0, zoc_sh(NULL, 0, "ping -c 1 -W 2 %s", PEER_IP));

	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
			     "dev set %s link up", DEV_NAME))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, wait_carrier(self->ifname, 1, 20));
	if (self->lab >= 0)
		EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
				    "ping -c 3 -W 5 %s", PEER_IP))
			TH_LOG("%s", self->out);
}

#define SWAPS		3

/*
 * zoc_virtio unloaded and loaded again in the service VM while the host
 * pings the VPC peer: the model saves the device and the next one takes
 * it over.  The host's netdev stays (same ifindex), its link never goes
 * down (no carrier change), no receive buffer comes back as an error, and
 * the peer answers again.  In the service VM, the representor stays, with
 * its place in the VPC: the proxy keeps it, and the next model attaches to
 * it (the lab's rep-note and rep-same commands compare the representors'
 * ifindexes).
 */
TEST_F_TIMEOUT(vnet, model_swap_keeps_the_netdev, 600)
{
	char ifindex[16], after[16], errors[32];
	long long changes;
	int i;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no service VM firmware");
	ASSERT_EQ(0, net_attr(self->ifname, "ifindex", ifindex,
			      sizeof(ifindex)));
	changes = carrier_changes(self->ifname);
	ASSERT_LE(0, changes);
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "ping -c 3 -W 5 %s", PEER_IP))
		TH_LOG("before: %s", self->out);
	ASSERT_EQ(0, zoc_lab_query(self->lab, "svm-fw run rep-note",
				   self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_sh(NULL, 0,
			    "ping -c 40 -W 1 %s >/tmp/zoc-swap-ping.log 2>&1 &",
			    PEER_IP));
	for (i = 0; i < SWAPS; i++) {
		sleep(5);
		ASSERT_EQ(0, zoc_lab_query(self->lab, "svm-fw reload zoc_virtio",
					   self->out, sizeof(self->out)))
			TH_LOG("swap %d: %s", i, self->out);
	}
	EXPECT_EQ(0, wait_carrier(self->ifname, 1, 60));
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "ping -c 3 -W 5 %s", PEER_IP))
		TH_LOG("after: %s", self->out);
	zoc_sh(self->out, sizeof(self->out),
	       "for i in $(seq 60); do grep -q 'packets transmitted' /tmp/zoc-swap-ping.log && break; sleep 1; done; grep 'packets transmitted' /tmp/zoc-swap-ping.log");
	TH_LOG("during %d swaps: %s", SWAPS, self->out);
	ASSERT_EQ(0, net_attr(self->ifname, "ifindex", after, sizeof(after)))
		TH_LOG("%s is gone", self->ifname);
	EXPECT_STREQ(ifindex, after);
	EXPECT_EQ(changes, carrier_changes(self->ifname))
		TH_LOG("the host's link went down across the swaps");
	EXPECT_EQ(0, zoc_lab_query(self->lab, "svm-fw run rep-same",
				   self->out, sizeof(self->out)))
		TH_LOG("the representor was made again: %s", self->out);
	ASSERT_EQ(0, net_attr(self->ifname, "statistics/rx_length_errors",
			      errors, sizeof(errors)));
	EXPECT_EQ(0, atoll(errors)) TH_LOG("receive buffers came back empty");
	EXPECT_EQ(0, zoc_dev_stat(DEV_NAME, "invalid"));
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev show %s",
			     DEV_NAME));
	EXPECT_NE(NULL, strstr(self->out, "state up")) TH_LOG("%s", self->out);
}

/* The size of the current ring @which ("RX:" or "TX:") of "ethtool -g". */
static int ring_size(const char *out, const char *which)
{
	const char *cur = strstr(out, "Current hardware settings");
	int n = -1;

	cur = cur ? strstr(cur, which) : NULL;
	if (cur)
		sscanf(cur + strlen(which), "%d", &n);
	return n;
}

/* "ethtool -G" resizes the rings: each queue is reset alone. */
TEST_F_TIMEOUT(vnet, ring_resize, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	if (zoc_missing("ethtool"))
		SKIP(return, "ethtool is needed");
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "ethtool -G %s rx 64 tx 128", self->ifname))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out), "ethtool -g %s",
			    self->ifname));
	EXPECT_EQ(64, ring_size(self->out, "RX:")) TH_LOG("%s", self->out);
	EXPECT_EQ(128, ring_size(self->out, "TX:")) TH_LOG("%s", self->out);
	EXPECT_EQ(0, wait_carrier(self->ifname, 1, 20));
	if (self->lab >= 0)
		EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
				    "ping -c 3 -W 5 %s", PEER_IP))
			TH_LOG("%s", self->out);
	/* A reset of the device would have been counted; none was. */
	EXPECT_EQ(0, zoc_dev_stat(DEV_NAME, "resets"));
	EXPECT_EQ(0, zoc_dev_stat(DEV_NAME, "invalid"));
}

/* Statistic @name of "ethtool -S @ifname", or -1. */
static long long eth_stat(const char *ifname, const char *name)
{
	char out[64];

	if (zoc_sh(out, sizeof(out),
		   "ethtool -S %s | awk '$1 == \"%s:\" { print $2; f = 1 } END { exit !f }'",
		   ifname, name))
		return -1;
	return atoll(out);
}

/* Packets queue pair @pair of @ifname carried: received + sent, or -1. */
static long long pair_packets(const char *ifname, int pair, bool rx)
{
	char name[32];

	snprintf(name, sizeof(name), "%s_queue_%d_packets", rx ? "rx" : "tx",
		 pair);
	return eth_stat(ifname, name);
}

/* The combined channels "ethtool -l" reports: its maximum and current. */
static int channels(const char *ifname, int *max, int *cur)
{
	char out[64];

	if (zoc_sh(out, sizeof(out),
		   "ethtool -l %s | awk '/^Combined:/ { print $2 }'", ifname) ||
	    sscanf(out, "%d %d", max, cur) != 2)
		return -EIO;
	return 0;
}

#define MQ_PAIRS_MAX	7	/* what a virtio-net device serves */

/*
 * One queue pair per host CPU by default, and the driver uses them all;
 * what each CPU sends goes out on its pair (the driver's XPS), and the
 * replies come back on that pair: the device steers a flow to the pair it
 * last sent on.  "ethtool -L" down to one pair in the middle of a TCP
 * transfer: the device then delivers on pair 0 only, and back to every
 * pair; the peer gets every byte right.
 */
TEST_F_TIMEOUT(vnet, multiqueue, 600)
{
	long long rx[MQ_PAIRS_MAX], tx[MQ_PAIRS_MAX], n;
	int cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int max, cur, want, fd, i;
	char verdict[64];

	if (zoc_setup_skipped(_metadata))
		return;
	if (zoc_missing("ethtool") || zoc_missing("taskset"))
		SKIP(return, "ethtool and taskset are needed");
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	if (cpus < 2)
		SKIP(return, "one CPU: one queue pair");
	want = cpus < MQ_PAIRS_MAX ? cpus : MQ_PAIRS_MAX;
	ASSERT_EQ(0, channels(self->ifname, &max, &cur));
	ASSERT_EQ(want, max);
	ASSERT_EQ(want, cur);

	/* From each CPU in turn: its pair carries the ping both ways. */
	for (i = 0; i < want; i++) {
		rx[i] = pair_packets(self->ifname, i, true);
		tx[i] = pair_packets(self->ifname, i, false);
		ASSERT_LE(0, rx[i]);
		ASSERT_LE(0, tx[i]);
		EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
				    "taskset -c %d ping -c 10 -i 0.2 -W 5 %s",
				    i, PEER_IP))
			TH_LOG("%s", self->out);
		n = pair_packets(self->ifname, i, false) - tx[i];
		EXPECT_LE(10, n) TH_LOG("pair %d sent %lld", i, n);
		n = pair_packets(self->ifname, i, true) - rx[i];
		EXPECT_LE(10, n) TH_LOG("pair %d received %lld", i, n);
	}

	/* A transfer: one pair from its second third, all in its last. */
	fd = peer_connect(self->lab, PORT_OPEN, 20);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, send_pattern(fd, HALF_BYTES));
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "ethtool -L %s combined 1", self->ifname))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, channels(self->ifname, &max, &cur));
	EXPECT_EQ(1, cur);
	for (i = 0; i < want; i++) {
		rx[i] = pair_packets(self->ifname, i, true);
		tx[i] = pair_packets(self->ifname, i, false);
	}
	EXPECT_EQ(0, send_pattern(fd, HALF_BYTES));
	EXPECT_LT(rx[0], pair_packets(self->ifname, 0, true));
	EXPECT_LT(tx[0], pair_packets(self->ifname, 0, false));
	for (i = 1; i < want; i++) {
		EXPECT_EQ(rx[i], pair_packets(self->ifname, i, true))
			TH_LOG("pair %d received with one pair in use", i);
		EXPECT_EQ(tx[i], pair_packets(self->ifname, i, false));
	}
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "ethtool -L %s combined %d", self->ifname, want))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, channels(self->ifname, &max, &cur));
	EXPECT_EQ(want, cur);
	EXPECT_EQ(0, send_pattern(fd, HALF_BYTES));
	close(fd);
	ASSERT_EQ(0, peer_received(self->lab, PORT_OPEN, self->out,
				   sizeof(self->out), 60));
	snprintf(verdict, sizeof(verdict), "%d good ", 3 * HALF_BYTES);
	EXPECT_EQ(0, strncmp(self->out, verdict, strlen(verdict)))
		TH_LOG("the peer: %s", self->out);
	EXPECT_EQ(0, zoc_dev_stat(DEV_NAME, "resets"));
	EXPECT_EQ(0, zoc_dev_stat(DEV_NAME, "invalid"));
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

/*
 * Send one TCP frame of 1054 bytes (1000 of payload) from the vNIC's
 * address through a packet socket that hands the driver its virtio
 * header (PACKET_VNET_HDR): the host's virtio_net passes what the socket
 * gave on to the device.
 */
static int send_tso(int fd, const struct tso_case *c)
{
	unsigned char buf[sizeof(struct virtio_net_hdr) + 4 + 1054];
	struct virtio_net_hdr *vh = (void *)buf;
	unsigned char *f = buf + sizeof(*vh), *ip;
	unsigned int tag = c->vlan ? 4 : 0, len = 1054 + tag, i, sum = 0;
	ssize_t r;

	memset(buf, 0, sizeof(buf));
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
	for (i = 0; i < 20; i += 2)
		sum += ip[i] << 8 | ip[i + 1];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~((sum & 0xffff) + (sum >> 16)) & 0xffff;
	ip[10] = sum >> 8;
	ip[11] = sum & 0xff;
	ip[20] = 0x9c;				/* port 40000 */
	ip[21] = 0x40;
	ip[22] = PORT_BLOCKED >> 8;
	ip[23] = PORT_BLOCKED & 0xff;
	ip[32] = 0x50;				/* data offset 5 */
	ip[33] = 0x10;				/* ACK */
	r = send(fd, buf, sizeof(*vh) + len, 0);
	return r == (ssize_t)(sizeof(*vh) + len) ? 0 : -errno;
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
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
	};
	const char *err, *what;
	long long invalid, now;
	unsigned int i;
	int fd, one = 1;

	if (zoc_setup_skipped(_metadata))
		return;
	sll.sll_ifindex = if_nametoindex(self->ifname);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one,
				sizeof(one)));
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sll, sizeof(sll)));
	for (i = 0; i < ARRAY_SIZE(frames); i++) {
		invalid = zoc_dev_stat(DEV_NAME, "invalid");
		ASSERT_LE(0, invalid);
		ASSERT_EQ(0, send_tso(fd, &frames[i]))
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
 * The hostile driver (the test module, virtio-pci unbound): its cases,
 * then random chains for ZOC_VIRTIO_NET_FUZZ_SECS (10 s) from seed
 * ZOC_VIRTIO_NET_FUZZ_SEED (1) on both queues, each checked against the
 * virtio rules, while fio verifies on a virtio-blk disk on vda, another
 * device of the service VM that must never err.  Every chain refused and
 * every frame the device had to drop as invalid was counted.
 */
/* Long enough for a fuzz of 30 minutes */
TEST_F_TIMEOUT(vnet, hostile_host, 2400)
{
	struct zoc_hostile_counts counts = { -1, -1 };
	long long invalid;
	char args[96];
	int ret;

	if (zoc_setup_skipped(_metadata))
		return;
	invalid = zoc_dev_stat(DEV_NAME, "invalid");
	zoc_fuzz_args(args, sizeof(args), "ZOC_VIRTIO_NET", "10");
	ret = zoc_hostile_run_beside(DEV_NAME, "virtio-pci", HOSTILE_MOD, args,
				     "zoc_virtio_hostile", &counts, OTHER_NAME,
				     "virtio-blk", "vda", self->out,
				     sizeof(self->out));
	if (ret == -ENOPKG)
		SKIP(return, "cannot load %s (CONFIG_ZOC_VIRTIO_HOSTILE_TEST): %.200s",
		     HOSTILE_MOD, self->out);
	EXPECT_EQ(0, ret) TH_LOG("%s", self->out);
	/* The chains that needed a reset and the frames dropped: counted. */
	TH_LOG("refused %lld", counts.refused);
	EXPECT_LT(0, counts.refused);
	EXPECT_LE(invalid + counts.refused, zoc_dev_stat(DEV_NAME, "invalid"));

	/* virtio-pci took the function back: a new netdev, and it works. */
	ASSERT_EQ(0, zoc_fn_entry(DEV_NAME, "virtio%d/net", "", self->ifname,
				  sizeof(self->ifname), 60));
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "ip addr add %s/24 dev %s && ip link set %s up",
			    VNIC_IP, self->ifname, self->ifname))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, wait_carrier(self->ifname, 1, 60));
	if (self->lab >= 0)
		EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
				    "ping -c 3 -W 5 %s", PEER_IP))
			TH_LOG("%s", self->out);
}

#define PING_LOG	"/tmp/zoc-vnet-ping.log"

/*
 * tcp_transfer() while the peer sends 2 * HALF_BYTES of the pattern on a
 * second connection, which we read half of before and the rest after:
 * both directions go on across @middle; the upload's segment size to
 * *@mss unless NULL.  Returns NULL if every byte went right both ways,
 * else what failed.
 */
static const char *tcp_both_ways(int lab, const char *middle, char *out,
				 size_t len, int *mss)
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

/*
 * Transfers to and from the VPC peer with the lab runner asked for
 * @prepare before (NULL: nothing) and for @middle halfway, which replaces
 * the service VM: they complete, every byte checked, the device was
 * taken over once and the netdev never went, nor its link; pings every
 * 200 ms meanwhile, the loss logged.  @self is FIXTURE_DATA(vnet).
 */
static void tcp_across(struct __test_metadata *_metadata,
		       struct _test_data_vnet *self, const char *prepare,
		       const char *middle)
{
	long long epoch = zoc_link_field("svm_epoch");
	long long takeovers = zoc_dev_stat(DEV_NAME, "takeovers");
	long long changes = carrier_changes(self->ifname);
	const char *err;
	char path[64];

	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	if (prepare)
		ASSERT_EQ(0, zoc_lab_query(self->lab, prepare, self->out,
					   sizeof(self->out)))
			TH_LOG("%s: %s", prepare, self->out);
	ASSERT_EQ(0, zoc_sh(NULL, 0,
			    "rm -f %s; ping -q -i 0.2 -c 150 -W 1 %s >%s 2>&1 &",
			    PING_LOG, PEER_IP, PING_LOG));
	err = tcp_both_ways(self->lab, middle, self->out, sizeof(self->out),
			    NULL);
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
	EXPECT_NE(epoch, zoc_link_field("svm_epoch"))
		TH_LOG("the service VM was not replaced");
	EXPECT_EQ(takeovers + 1, zoc_dev_stat(DEV_NAME, "takeovers"));
	snprintf(path, sizeof(path), "/sys/class/net/%s", self->ifname);
	EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s went away", path);
	EXPECT_EQ(changes, carrier_changes(self->ifname))
		TH_LOG("the host's link went down across %s", middle);
	if (!zoc_sh(self->out, sizeof(self->out),
		    "for i in $(seq 60); do grep -q 'packet loss' %s && break; sleep 1; done; grep 'packet loss' %s",
		    PING_LOG, PING_LOG))
		TH_LOG("ping across %s: %s", middle, self->out);
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
}

/*
 * The service VM killed with SIGKILL in the middle of a transfer, and a
 * new one started at once: the function stalls, the new service VM takes
 * the device over from its live record (the chains in flight taken
 * again), the VPC datapath takes the connection up again (TCP pick-up),
 * and the transfer completes.  The device kept the queue pairs the
 * driver uses: a ping from the last CPU comes back on that CPU's pair.
 */
TEST_F_TIMEOUT(vnet, tcp_survives_a_service_vm_kill, 900)
{
	int last = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	long long rx;

	if (zoc_setup_skipped(_metadata))
		return;
	tcp_across(_metadata, self, NULL, "svm-restart");
	if (last > MQ_PAIRS_MAX - 1)
		last = MQ_PAIRS_MAX - 1;
	if (last < 1 || zoc_missing("ethtool") || zoc_missing("taskset"))
		return;
	/* The pings across end first: they would note the same flow */
	zoc_sh(NULL, 0, "pkill -x ping; sleep 1");
	rx = pair_packets(self->ifname, last, true);
	ASSERT_LE(0, rx);
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "taskset -c %d ping -c 10 -i 0.2 -W 5 %s", last,
			    PEER_IP))
		TH_LOG("%s", self->out);
	rx = pair_packets(self->ifname, last, true) - rx;
	EXPECT_LE(10, rx)
		TH_LOG("pair %d received %lld after the takeover: the pairs in use were lost",
		       last, rx);
}

/*
 * A standby service VM boots, then takes the device over in the middle of
 * a transfer, when the serving one stops: its VPC datapath starts with no
 * session and takes the connection up again, the transfer completes.  The
 * standby had prepared the representor, joined to its VPC, while the
 * other one served: the takeover took it (the lab's rep-taken command
 * reads the new one's kernel log).
 */
TEST_F_TIMEOUT(vnet, tcp_survives_a_standby_handover, 900)
{
	if (zoc_setup_skipped(_metadata))
		return;
	tcp_across(_metadata, self, "svm-standby", "svm-handover");
	if (self->lab >= 0)
		EXPECT_EQ(0, zoc_lab_query(self->lab, "svm-fw run rep-taken",
					   self->out, sizeof(self->out)))
			TH_LOG("the representor was not prepared: %s",
			       self->out);
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

/*
 * A frame longer than a page of the representor's XDP holds: a vNIC with
 * an MTU of 9000, more than the lab's underlay carries, sends pings of
 * 4000 bytes.  Each crosses the I/O link whole into an skb, and the VPC
 * datapath's tc program drops it, too big for the underlay (counted): the
 * model did not count it invalid, and nothing reached the peer.
 */
TEST_F_TIMEOUT(vnet, frame_longer_than_a_page, 600)
{
	long long before, after, rx0;
	const char *err;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no service VM firmware");
	ASSERT_EQ(9000,
		  vnic_remake(_metadata, self, "svm-fw run vnic-mtu-9000"));
	/* The path works for frames the underlay takes. */
	err = ping_whole(self->lab, 1000, 3, self->out, sizeof(self->out));
	ASSERT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
	before = vpc_count(self->lab, "svm-fw run vpc-mtu-drops", "mtu");
	rx0 = peer_vxlan_rx(self->lab);
	ASSERT_LE(0, before);
	EXPECT_NE(0, zoc_sh(self->out, sizeof(self->out),
			    "ping -c 3 -W 2 -s 4000 %s", PEER_IP));
	after = vpc_count(self->lab, "svm-fw run vpc-mtu-drops", "mtu");
	EXPECT_LE(before + 3, after) TH_LOG("mtu drops: %lld -> %lld",
					    before, after);
	EXPECT_EQ(rx0, peer_vxlan_rx(self->lab));
	EXPECT_EQ(0, zoc_dev_stat(DEV_NAME, "invalid"));
}

TEST_HARNESS_MAIN
