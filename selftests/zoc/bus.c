// SPDX-License-Identifier: GPL-2.0
/*
 * The virtual PCI bus: a device created with zocctl (the test model of the
 * service VM's proxy) appears to the PCI core with the identity its image
 * gives and its BAR in the aperture; a driver's writes and reads of the BAR
 * reach the model and come back; doorbells are coalesced into the device
 * page and come back through a shadow register; MSI-X vectors are raised,
 * and one raised while masked is delivered when unmasked, one raised while
 * its handler runs on another CPU as well; deletion takes the function
 * away; a service VM that is gone makes the function read all ones and
 * leave the PCI core, without a hang; posted writes flooding the link from
 * every CPU neither stop another function's reads nor get lost.
 * A service VM that stops and comes back within the link's outage limit:
 * the function stalls, the writes made meanwhile are kept and replayed in
 * order, the reads are answered at once, and nothing is lost.  A read not
 * answered before the host knows the service VM stopped makes the
 * function stall too, not go.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "zoc_disk.h"

#define BUS_CTL		ZOC_TEST_DEBUGFS "/bus"

FIXTURE(bus) {
	int lab;
	int stopped;
};

FIXTURE_SETUP(bus)
{
	const char *missing = zoc_link_missing() ?: zoc_test_missing();

	self->lab = -1;
	if (missing)
		SKIP(return, "%s", missing);
	if (zoc_missing("zocctl"))
		SKIP(return, "no zocctl in PATH");
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
}

FIXTURE_TEARDOWN(bus)
{
	if (self->stopped && zoc_lab_cmd(self->lab, "svm-cont"))
		TH_LOG("could not continue the service VM");
	if (self->lab >= 0)
		close(self->lab);
	if (zoc_setup_skipped(_metadata))
		return;
	zoc_ctl(NULL, 0, "dev del t0");
	zoc_ctl(NULL, 0, "dev del t1");
}

TEST_F_TIMEOUT(bus, add_access_remove, 300)
{
	unsigned long long start = 0, end = 0;
	char dir[300], line[256], out[1024];
	FILE *link;
	int i;

	if (zoc_setup_skipped(_metadata))
		return;
	link = fopen(ZOC_DEBUGFS "/link", "r");
	ASSERT_NE(NULL, link);
	while (fgets(line, sizeof(line), link))
		sscanf(line, "aperture: [mem %llx-%llx", &start, &end);
	fclose(link);

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev add test name t0"))
			TH_LOG("%s", out);
		EXPECT_EQ(1, zoc_ctl(out, sizeof(out), "dev add test name t0"));
		EXPECT_NE(NULL, strstr(out, "exists")) TH_LOG("%s", out);
		zoc_fn_dir("t0", dir, sizeof(dir));
		ASSERT_NE(0, dir[0]) TH_LOG("no function for t0");
		EXPECT_EQ(0x1b36, zoc_read_hex(dir, "vendor"));
		EXPECT_EQ(0x0005, zoc_read_hex(dir, "device"));
		EXPECT_EQ(0xff0000, zoc_read_hex(dir, "class"));
		/* BAR0 in the aperture, past the link area. */
		EXPECT_LT(start, zoc_read_hex(dir, "resource"));
		EXPECT_GT(end, zoc_read_hex(dir, "resource"));

		/* Each read must return what the write before it stored. */
		EXPECT_EQ(0, zoc_write_str(BUS_CTL, "bar_test t0 500"));
		/* Doorbell, shadow and MSI-X, masked and unmasked. */
		EXPECT_EQ(0, zoc_write_str(BUS_CTL, "irq_test t0 50"));

		ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev show t0 -s"));
		EXPECT_NE(NULL, strstr(out, "state up")) TH_LOG("%s", out);
		ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev del t0"));
		zoc_fn_dir("t0", dir, sizeof(dir));
		EXPECT_EQ(0, dir[0]) TH_LOG("function still there after deletion");
	}
	EXPECT_EQ(1, zoc_ctl(out, sizeof(out), "dev del t0"));
	EXPECT_EQ(1, zoc_ctl(out, sizeof(out), "dev add nvme name n0 volume nosuchdisk"));
	EXPECT_NE(NULL, strstr(out, "no such volume")) TH_LOG("%s", out);
	EXPECT_EQ(2, zoc_ctl(out, sizeof(out), "dev add test name 'a/b'"));
}

TEST_F_TIMEOUT(bus, service_vm_gone, 600)
{
	char dir[300], out[1024];
	long long epoch, limit;
	int lab, i;

	if (zoc_setup_skipped(_metadata))
		return;
	epoch = zoc_link_field("svm_epoch");
	limit = zoc_outage_limit(0);
	lab = zoc_lab_open();
	if (lab < 0)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev add test name t0"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, zoc_write_str(BUS_CTL, "bar_test t0 10"));
	/* No riding through: what a lost service VM did before there was */
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "link set outage-limit 0"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, zoc_lab_cmd(lab, "svm-kill"));
	/* No hang: the read times out, returns all ones, the function goes. */
	EXPECT_NE(0, zoc_write_str(BUS_CTL, "bar_test t0 1"));
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev show t0"));
	EXPECT_NE(NULL, strstr(out, "state gone")) TH_LOG("%s", out);
	/* Its removal from the PCI core follows, as hot-plug would do it. */
	for (i = 0; i < 100; i++) {
		zoc_fn_dir("t0", dir, sizeof(dir));
		if (!dir[0])
			break;
		usleep(100 * 1000);
	}
	EXPECT_EQ(0, dir[0]) TH_LOG("a gone function is still on the bus");
	/*
	 * Nothing can be created without a service VM, and zocctl says why:
	 * the request timed out, or the link is down already (its heartbeat
	 * missed).
	 */
	EXPECT_EQ(1, zoc_ctl(out, sizeof(out), "dev add test name t1"));
	EXPECT_TRUE(strstr(out, "the service VM did not answer in time") ||
		    strstr(out, "the link to the service VM is down"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev del t0"));
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "link set outage-limit %lld",
			     limit)) TH_LOG("%s", out);
	ASSERT_EQ(0, zoc_lab_cmd(lab, "svm-start"));
	ASSERT_EQ(0, zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev add test name t0"))
		TH_LOG("%s", out);
	EXPECT_EQ(0, zoc_write_str(BUS_CTL, "bar_test t0 10"));
	close(lab);
}

/*
 * Every CPU floods t0 with posted writes while t1 is written and read
 * back: t1's reads all come back right and in time (requests have room
 * kept for them), no write to t0 is lost (each writer's register ends at
 * its last value), and both functions stay up.
 */
TEST_F_TIMEOUT(bus, write_flood_and_a_reader, 600)
{
	long long waits = zoc_link_field("waits");
	char out[1024];

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev add test name t0"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev add test name t1"))
		TH_LOG("%s", out);
	EXPECT_EQ(0, zoc_write_str(BUS_CTL, "flood_test t0 t1 20000"));
	TH_LOG("the flood waited for room on the request ring %lld times",
	       zoc_link_field("waits") - waits);
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev show t0 -s"));
	EXPECT_NE(NULL, strstr(out, "state up")) TH_LOG("%s", out);
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev show t1 -s"));
	EXPECT_NE(NULL, strstr(out, "state up")) TH_LOG("%s", out);
	EXPECT_EQ(0, zoc_write_str(BUS_CTL, "bar_test t1 100"));
}

/*
 * Run the test module's interrupt test @cmd on a new test model, t0: it
 * must pass, and t0 stay up.
 */
static void bus_irq_case(struct __test_metadata *_metadata, const char *cmd)
{
	char out[1024];
	int ret;

	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev add test name t0"))
		TH_LOG("%s", out);
	ret = zoc_write_str(BUS_CTL, cmd);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "one CPU, one data queue, or no test hooks: nothing to test");
	EXPECT_EQ(0, ret) TH_LOG("%s: %s (see the kernel log)", cmd,
				 ret == -ETIMEDOUT ? "an interrupt was lost" :
				 ret == -EAGAIN ? "the test could not make its case" :
				 ret == -EBUSY ? "one vector waited for another's handler" :
				 ret == -EXDEV ? "handled on another CPU than its affinity's" :
				 strerror(-ret));
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev show t0 -s"));
	EXPECT_NE(NULL, strstr(out, "state up")) TH_LOG("%s", out);
}

/*
 * An interrupt raised while its handler still runs on another CPU, its
 * message taken off the link by a third party (the test's own forwarded
 * reads) on the CPU the handler does not run on: each one must come, as
 * virtio drivers with event indexes wait for ever for a lost one.
 */
TEST_F_TIMEOUT(bus, irq_while_handled, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	bus_irq_case(_metadata, "irq_race t0 300");
}

/*
 * An interrupt raised while its vector is disabled, which the kernel
 * replays once it is enabled again (nvme's timeout handler polls its
 * queue so), and another raised while the replay runs on another CPU:
 * both must come.
 */
TEST_F_TIMEOUT(bus, irq_while_replayed, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	bus_irq_case(_metadata, "irq_replay t0 200");
}

/*
 * Two vectors of one function at once: vector 0's handler raises vector
 * 1 and waits for its handler, which another CPU must run meanwhile, as
 * the bus serialises each vector's delivery, not the bus's.
 */
TEST_F_TIMEOUT(bus, irq_vectors_in_parallel, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	bus_irq_case(_metadata, "irq_parallel t0 20");
}

/*
 * A vector bound to one CPU is handled there, whichever CPU rang the
 * doorbell that raised it: the bus names the CPU's data queue to the
 * service VM, as an MSI message names its CPU.
 */
TEST_F_TIMEOUT(bus, irq_follows_affinity, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	bus_irq_case(_metadata, "irq_affinity t0 20");
}

/*
 * With every host CPU held, the test model's interrupts fill the link's
 * ring; one raised once it is full must still come when the host takes
 * the ring's messages again (the service VM sends it again at its tick).
 */
TEST_F_TIMEOUT(bus, irq_on_a_full_ring, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	bus_irq_case(_metadata, "irq_full t0");
}

/*
 * An interrupt raised before the host reset the link (the service VM
 * corrupted a data queue): the rings that may have held it are formatted
 * anew, so the service VM raises it again once the link is up; a virtio
 * driver with event indexes would otherwise wait for it for ever.
 */
TEST_F_TIMEOUT(bus, irq_after_a_link_reset, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	bus_irq_case(_metadata, "irq_link_reset t0");
}

/* A word of @fd, a function's config space, at @off; -1 on error. */
static int bus_cfg_read16(int fd, off_t off)
{
	__u16 v;

	return pread(fd, &v, sizeof(v), off) == sizeof(v) ? v : -1;
}

static int bus_cfg_write16(int fd, off_t off, __u16 v)
{
	return pwrite(fd, &v, sizeof(v), off) == sizeof(v) ? 0 : -1;
}

/* The offset of @fd's MSI-X capability, or 0. */
static int bus_cfg_msix(int fd)
{
	int pos = bus_cfg_read16(fd, PCI_CAPABILITY_LIST) & 0xfc;
	int hops, id;

	for (hops = 0; pos && hops < 48; hops++) {
		id = bus_cfg_read16(fd, pos);
		if (id < 0)
			return 0;
		if ((id & 0xff) == PCI_CAP_ID_MSIX)
			return pos;
		pos = (id >> 8) & 0xfc;
	}
	return 0;
}

/*
 * The MSI-X capability's header (its ID and next pointer) is read-only: a
 * 16-bit write there leaves Message Control, which follows it, as it was
 * (MSI-X enabled stays enabled).  A 32-bit write over both sets it.
 */
TEST_F_TIMEOUT(bus, msix_header_read_only, 300)
{
	char out[1024], dir[256], path[320];
	int fd, cap, ctrl, head;

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev add test name t0"))
		TH_LOG("%s", out);
	zoc_fn_dir("t0", dir, sizeof(dir));
	ASSERT_NE(0, dir[0]) TH_LOG("t0 has no PCI function");
	snprintf(path, sizeof(path), "%s/config", dir);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	cap = bus_cfg_msix(fd);
	ASSERT_NE(0, cap) TH_LOG("no MSI-X capability in %s", path);
	ctrl = bus_cfg_read16(fd, cap + PCI_MSIX_FLAGS);
	head = bus_cfg_read16(fd, cap);
	ASSERT_LE(0, ctrl);
	ASSERT_LE(0, head);
	ASSERT_EQ(0, bus_cfg_write16(fd, cap + PCI_MSIX_FLAGS,
				     ctrl | PCI_MSIX_FLAGS_ENABLE));
	EXPECT_TRUE(bus_cfg_read16(fd, cap + PCI_MSIX_FLAGS) &
		    PCI_MSIX_FLAGS_ENABLE);
	/* another next pointer: read-only, it stays */
	ASSERT_EQ(0, bus_cfg_write16(fd, cap, head ^ 0xff00));
	EXPECT_EQ(head, bus_cfg_read16(fd, cap));
	EXPECT_TRUE(bus_cfg_read16(fd, cap + PCI_MSIX_FLAGS) &
		    PCI_MSIX_FLAGS_ENABLE)
		TH_LOG("a write to the capability's header disabled MSI-X");
	ASSERT_EQ(0, bus_cfg_write16(fd, cap + PCI_MSIX_FLAGS, ctrl));
	EXPECT_EQ(ctrl, bus_cfg_read16(fd, cap + PCI_MSIX_FLAGS));
	close(fd);
}

#define STALL_REGS	8	/* written while stalled: below the 16 kept */
#define STALL_REGS_S	"8"

TEST_F_TIMEOUT(bus, stalled_writes_kept, 300)
{
	long long kept, reads;
	char out[1024];

	if (zoc_setup_skipped(_metadata))
		return;
	self->lab = zoc_lab_open();
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev add test name t0"))
		TH_LOG("%s", out);
	kept = zoc_dev_stat("t0", "kept_writes");
	reads = zoc_dev_stat("t0", "stalled_reads");
	ASSERT_LE(0, kept) TH_LOG("no kept_writes counter");

	/* It stops beating: the function stalls, it is not removed. */
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-stop"));
	self->stopped = 1;
	EXPECT_EQ(0, zoc_dev_wait_state("t0", "stalled", out, sizeof(out), 30))
		TH_LOG("%s", out);
	/* Written meanwhile: kept.  Read back: answered at once, not served. */
	EXPECT_EQ(0, zoc_write_str(BUS_CTL, "stall_write t0 " STALL_REGS_S));
	EXPECT_EQ(-EIO, zoc_write_str(BUS_CTL, "stall_check t0 " STALL_REGS_S));
	EXPECT_EQ(kept + STALL_REGS, zoc_dev_stat("t0", "kept_writes"));
	EXPECT_LT(reads, zoc_dev_stat("t0", "stalled_reads"));

	/* It comes back: the writes reach it, in order, nothing lost. */
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-cont"));
	self->stopped = 0;
	EXPECT_EQ(0, zoc_dev_wait_state("t0", "up", out, sizeof(out), 60))
		TH_LOG("%s", out);
	EXPECT_EQ(0, zoc_write_str(BUS_CTL, "stall_check t0 " STALL_REGS_S));
	EXPECT_EQ(0, zoc_dev_stat("t0", "takeovers"))
		TH_LOG("the same service VM came back: no takeover");
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "dev del t0")) TH_LOG("%s", out);
}

/*
 * The service VM stops, and the host does not know yet (its heartbeat
 * counts only after 5 s): a register read gets no answer in time.  The
 * function stalls, as for a service VM known lost; it is not removed, and
 * it is served again once the service VM beats again.
 */
TEST_F_TIMEOUT(bus, unanswered_read_stalls, 300)
{
	long long reads;
	char out[1024];

	if (zoc_setup_skipped(_metadata))
		return;
	self->lab = zoc_lab_open();
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev add test name t0"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, zoc_write_str(BUS_CTL, "bar_test t0 10"));
	reads = zoc_dev_stat("t0", "stalled_reads");

	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-stop"));
	self->stopped = 1;
	/* Its read times out: answered as a stalled function's, not served */
	EXPECT_NE(0, zoc_write_str(BUS_CTL, "bar_test t0 1"));
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "dev show t0"));
	EXPECT_NE(NULL, strstr(out, "state stalled")) TH_LOG("%s", out);
	EXPECT_LT(reads, zoc_dev_stat("t0", "stalled_reads"));

	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-cont"));
	self->stopped = 0;
	EXPECT_EQ(0, zoc_dev_wait_state("t0", "up", out, sizeof(out), 60))
		TH_LOG("%s", out);
	EXPECT_EQ(0, zoc_write_str(BUS_CTL, "bar_test t0 10"));
	EXPECT_EQ(0, zoc_dev_stat("t0", "takeovers"))
		TH_LOG("the same service VM came back: no takeover");
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "dev del t0")) TH_LOG("%s", out);
}

/*
 * The service VM stops, and register writes are posted to it before the
 * host knows: they wait in the link's ring.  It is killed; a new service
 * VM takes the function over from its live record (the test model's
 * "live" backend keeps one), and the host sends it, before anything else,
 * the writes the dead one never took: the record holds the number of the
 * last it took.  Read back, they are all there; none was kept, as none
 * was written while the function stalled.
 */
TEST_F_TIMEOUT(bus, untaken_writes_survive_a_crash, 600)
{
	long long kept, epoch;
	char out[1024];
	int i;

	if (zoc_setup_skipped(_metadata))
		return;
	self->lab = zoc_lab_open();
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out),
			     "dev add test name t0 backend live"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, zoc_write_str(BUS_CTL, "bar_test t0 10"));
	kept = zoc_dev_stat("t0", "kept_writes");
	ASSERT_LE(0, kept) TH_LOG("no kept_writes counter");

	epoch = zoc_link_field("svm_epoch");
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-stop"));
	self->stopped = 1;
	ASSERT_EQ(0, zoc_write_str(BUS_CTL, "stall_write t0 " STALL_REGS_S));
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-kill"));
	self->stopped = 0;
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-start"));
	ASSERT_EQ(0, zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT));
	for (i = 0; i < 600 && zoc_dev_stat("t0", "takeovers") < 1; i++)
		usleep(100 * 1000);
	ASSERT_EQ(1, zoc_dev_stat("t0", "takeovers"))
		TH_LOG("the new service VM did not take t0 over");
	EXPECT_EQ(kept, zoc_dev_stat("t0", "kept_writes"))
		TH_LOG("written before the host knew: posted, not kept");
	EXPECT_EQ(0, zoc_write_str(BUS_CTL, "stall_check t0 " STALL_REGS_S))
		TH_LOG("writes the dead service VM never took are lost");
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "dev del t0")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
