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
 * "zocctl dev set ... link down|up".  The representor's page pools and
 * rings carry the frames both ways, and packets are timed by stage on
 * demand.  A transfer survives memory
 * hot-plugged into the service VM, and one goes on across changes of
 * mode and a vCPU hot-added and removed.  It has a queue pair per host CPU,
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
 * survives both too.  The host's TSO frames and MTUs above 1500 are
 * virtio_net_frames.c's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>

#include "vnet_lab.h"

#define HOSTILE_MOD	"zoc_virtio_hostile_test"
#define OTHER_NAME	"vblk9"	/* a device that must not notice */

/* How many times the carrier of @ifname changed, or -1. */
static long long carrier_changes(const char *ifname)
{
	char buf[32];

	if (net_attr(ifname, "carrier_changes", buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

/*
 * The configuration interrupts of @ifname's virtio device (its
 * "virtioN-config" vector in /proc/interrupts, all CPUs), or -1.
 */
static long long config_irqs(const char *ifname)
{
	char out[64];

	if (zoc_sh(out, sizeof(out),
		   "grep \" $(basename $(readlink /sys/class/net/%s/device))-config$\" /proc/interrupts | awk '{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print (NR == 1 ? n + 0 : -1) }'",
		   ifname))
		return -1;
	return atoll(out);
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
 * One TCP upload to the VPC peer goes on across every change of the
 * service VM's running: performance mode, zero-cost mode (its VMM's
 * threads SCHED_IDLE), performance mode again, a vCPU hot-added (online
 * in the service VM) and hot-removed, then zero-cost mode, with a part of
 * the stream sent after each (svm_hotplug.cpu_under_fio checks that the
 * spread gives an added vCPU device queues: this flow's queue pair may be
 * the other vCPU's).  The peer received every byte right, and the device
 * never reset.  Under TCG the lab's QEMU plugs a vCPU once per service VM: the
 * service VM kill further on gives the next suites a new one.
 */
TEST_F_TIMEOUT(vnet, tcp_across_modes_and_vcpus, 900)
{
	static const char * const steps[] = {
		"performance", "zero-cost", "performance", "cpu add",
		"cpu del", "zero-cost",
	};
	struct timeval stall = { .tv_sec = TCP_STALL_SECS };
	long long resets, q1 = -1;
	unsigned int i, n = ARRAY_SIZE(steps);
	char want[64];
	bool perf;
	int fd;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	resets = zoc_dev_stat(DEV_NAME, "resets");
	fd = peer_connect(self->lab, PORT_OPEN, 20);
	ASSERT_LE(0, fd) TH_LOG("connect: %s", strerror(-fd));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stall,
				sizeof(stall)));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, send_pattern(fd, HALF_BYTES))
			TH_LOG("the stream stalled before step %s", steps[i]);
		if (!strcmp(steps[i], "cpu add")) {
			ASSERT_EQ(0, zoc_lab_query(self->lab, "svm-cpu add",
						   self->out,
						   sizeof(self->out)))
				TH_LOG("%s", self->out);
			ASSERT_EQ(0, zoc_svm_cpus_wait(self->lab, "0-1"))
				TH_LOG("the added vCPU did not come online");
			q1 = zoc_svm_queued(self->lab, 1);
			continue;
		}
		if (!strcmp(steps[i], "cpu del")) {
			q1 = zoc_svm_queued(self->lab, 1) - q1;
			ASSERT_EQ(0, zoc_lab_query(self->lab, "svm-cpu del",
						   self->out,
						   sizeof(self->out)))
				TH_LOG("%s", self->out);
			ASSERT_EQ(0, zoc_svm_cpus_wait(self->lab, "0"))
				TH_LOG("the removed vCPU is still online");
			continue;
		}
		perf = !strcmp(steps[i], "performance");
		ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
				     "link set mode %s", steps[i]))
			TH_LOG("%s", self->out);
		ASSERT_EQ(0, zoc_lab_query(self->lab, perf ? "svm-sched normal" :
					   "svm-sched idle", self->out,
					   sizeof(self->out)))
			TH_LOG("%s", self->out);
	}
	EXPECT_EQ(0, send_pattern(fd, HALF_BYTES));
	close(fd);
	ASSERT_EQ(0, zoc_lab_query(self->lab, "svm-sched normal", self->out,
				   sizeof(self->out)));
	ASSERT_EQ(0, peer_received(self->lab, PORT_OPEN, self->out,
				   sizeof(self->out), 60));
	snprintf(want, sizeof(want), "%u good ", (n + 1) * HALF_BYTES);
	EXPECT_EQ(0, strncmp(self->out, want, strlen(want)))
		TH_LOG("the peer: %s", self->out);
	TH_LOG("%lld queue works on the added vCPU", q1);
	EXPECT_EQ(resets, zoc_dev_stat(DEV_NAME, "resets"));
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

/* The representors' counters, summed by the lab's rep-stats command */
struct rep_stats {
	long long polls;	/* runs of their NAPI that found something */
	long long frames;	/* what those runs handed the host */
	long long full;		/* what did not fit their rings */
	long long taken;	/* pages taken from their pools */
	long long slow;		/* page allocator calls of their pools */
	long long recycled;	/* pages back to their pools */
	int pp;			/* whether the pools have counters */
	long long drops;	/* the host's frames their XDP programs dropped */
};

static int rep_stats(int lab, struct rep_stats *st)
{
	char reply[256];

	if (zoc_lab_query(lab, "svm-fw run rep-stats", reply, sizeof(reply)))
		return -1;
	return sscanf(reply,
		      "rep-stats polls %lld frames %lld full %lld taken %lld slow %lld recycled %lld pp %d drops %lld",
		      &st->polls, &st->frames, &st->full, &st->taken,
		      &st->slow, &st->recycled, &st->pp, &st->drops) == 8 ?
		      0 : -1;
}

/*
 * A security group rule blocks a port: the SYNs to it never reach the
 * peer, the datapath counts each under "sg", and the representor counts
 * each among the host's frames its XDP program dropped.
 */
TEST_F_TIMEOUT(vnet, security_group_blocks_port, 300)
{
	long long sg_before, sg_after;
	struct rep_stats a, b;
	int fd;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	/* The datapath works: the open port connects. */
	fd = peer_connect(self->lab, PORT_OPEN, 20);
	ASSERT_LE(0, fd) TH_LOG("connect: %s", strerror(-fd));
	close(fd);
	sg_before = vpc_count(self->lab, "svm-fw run vpc-sg-drops", "sg");
	ASSERT_LE(0, sg_before) TH_LOG("no security group drop counter");
	ASSERT_EQ(0, rep_stats(self->lab, &a))
		TH_LOG("no counters of the representors");
	/* The peer listens on the other, but no rule lets the SYN out. */
	fd = peer_connect(self->lab, PORT_BLOCKED, 5);
	EXPECT_EQ(-ETIMEDOUT, fd);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, zoc_lab_query(self->lab, "peer-received 5202", self->out,
				   sizeof(self->out)));
	EXPECT_STREQ("0 none", self->out);
	sg_after = vpc_count(self->lab, "svm-fw run vpc-sg-drops", "sg");
	ASSERT_EQ(0, rep_stats(self->lab, &b));
	TH_LOG("%lld SYNs dropped by the security group, %lld frames by the representor's XDP",
	       sg_after - sg_before, b.drops - a.drops);
	EXPECT_LT(0, sg_after - sg_before);
	EXPECT_LE(sg_after - sg_before, b.drops - a.drops)
		TH_LOG("the representor did not count its XDP drops");
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

/* Send @n small datagrams to the VPC peer's @port; how many went. */
static int send_datagrams(int n, int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	char payload[18] = "representor queue";
	int fd, i, sent = 0;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || inet_pton(AF_INET, PEER_IP, &to.sin_addr) != 1)
		return fd < 0 ? -errno : -EINVAL;
	for (i = 0; i < n; i++) {
		if (sendto(fd, payload, sizeof(payload), 0,
			   (struct sockaddr *)&to, sizeof(to)) > 0)
			sent++;
		if (i % 32 == 31)	/* not beyond the host's queues */
			usleep(2000);
	}
	close(fd);
	return sent;
}

#define DATAGRAMS	2000

/*
 * The representor's queues, both ways.  The host's frames for its XDP
 * program are copied into pages of its page pools, and the pages come
 * back to them (dropped by the datapath, or sent on by the uplink):
 * nearly every frame has a page of a pool, at least half of those were
 * recycled.  Frames for the host, a download from the peer redirected by
 * the datapath's XDP program on the uplink, go through the representor's
 * rings and NAPI: the download completes, every byte checked, and the
 * rings carried it.  The pools' counters need CONFIG_PAGE_POOL_STATS in
 * the service VM.
 */
TEST_F_TIMEOUT(vnet, representor_queues, 600)
{
	struct rep_stats a, b;
	const char *err;
	int sent;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	ASSERT_EQ(0, rep_stats(self->lab, &a))
		TH_LOG("no counters of the representors' queues");
	sent = send_datagrams(DATAGRAMS, PORT_OPEN);
	ASSERT_LT(DATAGRAMS / 2, sent) TH_LOG("sendto: %d", sent);
	err = tcp_both_ways(self->lab, NULL, self->out, sizeof(self->out),
			    NULL);
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
	ASSERT_EQ(0, rep_stats(self->lab, &b));
	TH_LOG("to the host: %lld frames in %lld polls, %lld did not fit",
	       b.frames - a.frames, b.polls - a.polls, b.full - a.full);
	EXPECT_LE(2 * HALF_BYTES / 9000, b.frames - a.frames)
		TH_LOG("the download did not go through the rings");
	EXPECT_LT(0, b.polls - a.polls);
	EXPECT_LE(b.polls - a.polls, b.frames - a.frames);
	/* selftests/zoc/config has CONFIG_PAGE_POOL_STATS */
	ASSERT_TRUE(b.pp) TH_LOG("the service VM's page pools have no counters");
	TH_LOG("%d datagrams; pools: %lld pages taken, %lld allocations, %lld recycled",
	       sent, b.taken - a.taken, b.slow - a.slow,
	       b.recycled - a.recycled);
	EXPECT_LE(sent * 9LL / 10, b.taken - a.taken)
		TH_LOG("the host's frames did not take pages of the pools");
	EXPECT_LE(sent / 2, b.recycled - a.recycled)
		TH_LOG("the pools' pages did not come back");
}

/* The device's service VM stages of a packet, summed: prep, datapath, posting */
static void net_stages(long long *st)
{
	st[0] = zoc_dev_stat(DEV_NAME, "svm_prep_ns");
	st[1] = zoc_dev_stat(DEV_NAME, "svm_backend_ns");
	st[2] = zoc_dev_stat(DEV_NAME, "svm_done_ns");
}

/*
 * Packets are timed at their hand-offs only on demand (zoc_virtio's
 * time_stages, the lab's net-stages-on|off): off, pings both ways add
 * nothing to the preparation, datapath and posting stages; on, they add
 * to each.
 */
TEST_F_TIMEOUT(vnet, stages_timed_on_demand, 300)
{
	long long a[3], b[3], c[3];
	int i;

	if (zoc_setup_skipped(_metadata))
		return;
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no VPC peer");
	net_stages(a);
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "ping -c 5 -i 0.2 -W 5 %s", PEER_IP))
		TH_LOG("%s", self->out);
	net_stages(b);
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-fw run net-stages-on"));
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "ping -c 5 -i 0.2 -W 5 %s", PEER_IP))
		TH_LOG("%s", self->out);
	net_stages(c);
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-fw run net-stages-off"));
	for (i = 0; i < 3; i++) {
		ASSERT_LE(0, a[i]) TH_LOG("no stage counter %d", i);
		EXPECT_EQ(a[i], b[i]) TH_LOG("stage %d timed while off", i);
		EXPECT_LT(b[i], c[i]) TH_LOG("stage %d not timed while on", i);
	}
	TH_LOG("5 pings timed: prep %lld, datapath %lld, posting %lld us",
	       (c[0] - b[0]) / 1000, (c[1] - b[1]) / 1000,
	       (c[2] - b[2]) / 1000);
}

#define SWAPS		3

/*
 * zoc_virtio unloaded and loaded again in the service VM while the host
 * pings the VPC peer: the model saves the device and the next one takes
 * it over.  The host's netdev stays (same ifindex), its link never goes
 * down (no carrier change), its configuration does not change (no
 * configuration interrupt: the link each model shows is the last one's),
 * no receive buffer comes back as an error, and the peer answers again.
 * In the service VM, the representor stays, with its place in the VPC:
 * the proxy keeps it, and the next model attaches to it (the lab's
 * rep-note and rep-same commands compare the representors' ifindexes).
 */
TEST_F_TIMEOUT(vnet, model_swap_keeps_the_netdev, 600)
{
	char ifindex[16], after[16], errors[32];
	long long changes, config;
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
	config = config_irqs(self->ifname);
	ASSERT_LE(0, config) TH_LOG("no configuration vector");
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
	EXPECT_EQ(config, config_irqs(self->ifname))
		TH_LOG("the configuration changed across the swaps");
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

TEST_HARNESS_MAIN
