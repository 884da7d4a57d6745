// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe end to end: "zocctl dev add nvme" makes the host's stock nvme
 * driver bind to a function of the virtual bus whose controller is the
 * service VM's model and whose namespace is the service VM's disk.  Data
 * written is read back, survives hot-removal and controller resets (and,
 * checked by the lab runner after shutdown, reaches the backing file);
 * fio verifies under load; invalid commands fail with NVMe status while
 * the device keeps working, also those of a hostile driver (the test
 * module zoc_nvme_hostile_test, with the nvme driver unbound); killing the
 * service VM with the controller's live record spoiled fails I/O without a
 * hang.
 *
 * Each test runs three times: on the service VM's own disk (vda), and on
 * the lab's remote volumes, vol-a over NVMe/TCP on two paths and vol-b
 * over NVMe/RDMA on soft-RoCE, whose data the runner finds in the storage
 * node's volume files.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "zoc_disk.h"

#define DEV_NAME	"disk0"
#define CHUNK		(64 * 1024)
#define CHUNKS		32
#define FIO_OFFSET	(160 << 20)	/* fio stays clear of the pattern */
/* What two runs of FIO move in place at least: half of one's I/O */
#define FIO_IN_PLACE	(16 << 20)
#define OTHER_NAME	"disk9"		/* beside the hostile run, on vdb */

FIXTURE(nvme) {
	char dev[64];
	char ctrl[64];
	off_t off[CHUNKS];	/* the pattern's chunks */
	char fio[512];
	char out[8192];
};

FIXTURE_VARIANT(nvme) {
	const char *volume;	/* the disk's volume */
	const char *remote;	/* its file on the storage node, or NULL */
	const char *serial;	/* its serial number, the controller's */
	off_t pattern;		/* where the pattern's chunks start */
	off_t stride;		/* and how far apart they are */
};

/* The service VM's own disk: the pattern spans the first 128 MiB. */
FIXTURE_VARIANT_ADD(nvme, local) {
	.volume = "vda",
	.serial = "ZOC-LAB-VDA",
	.pattern = 0,
	.stride = 4 << 20,
};

/*
 * Remote volumes: the pattern from 96 to 128 MiB, clear of what the
 * volumes and namespaces tests leave below 80 MiB.
 */
FIXTURE_VARIANT_ADD(nvme, tcp) {
	.volume = "vol-a",
	.remote = "vol-a",
	.serial = "ZOC-REMOTE-A",
	.pattern = 96 << 20,
	.stride = 1 << 20,
};

FIXTURE_VARIANT_ADD(nvme, rdma) {
	.volume = "vol-b",
	.remote = "vol-b",
	.serial = "ZOC-REMOTE-B",
	.pattern = 96 << 20,
	.stride = 1 << 20,
};

/* The aperture's start, from "aperture: [mem 0x...-0x...]" of the link file. */
static int link_aperture(unsigned long long *start)
{
	char line[256];
	int ret = -ENOENT;
	FILE *f;

	f = fopen(ZOC_DEBUGFS "/link", "r");
	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f))
		if (sscanf(line, "aperture: [mem %llx-", start) == 1)
			ret = 0;
	fclose(f);
	return ret;
}

/* The pattern's chunks: their offsets on the disk, from @base. */
static void chunk_offs(off_t *off, off_t base, off_t stride)
{
	int i;

	for (i = 0; i < CHUNKS; i++)
		off[i] = base + i * stride + (i * 4096) % (1 << 20);
}

/* 4k random read/write with verification, on FILE at OFFSET: 2 jobs. */
#define FIO \
	"fio --name=zoc --filename=%s --offset=%d --size=16m --direct=1 --rw=randrw --bs=4k --verify=crc32c --verify_fatal=1 --ioengine=libaio --numjobs=2 --offset_increment=16m --group_reporting"

/* fio (%s) in the background, two controller resets in the middle of it. */
#define FIO_RESETS \
	"(%s --iodepth=16 >/tmp/zoc-fio.out 2>&1; echo $? >/tmp/zoc-fio.rc) & sleep 3; nvme reset %s && sleep 2 && nvme reset %s; wait; cat /tmp/zoc-fio.out; exit $(cat /tmp/zoc-fio.rc)"

/* fio (%s) for ten minutes in the background; its exit status into a file. */
#define NVME_READ_PAST_END \
	"nvme io-passthru %s --opcode=0x02 --namespace-id=1 --cdw10=0x7fffff --data-len=4096 --read"

/* Identify Namespace, of controller %s, namespace %u */
#define NVME_ID_NS \
	"nvme admin-passthru %s --opcode=0x06 --namespace-id=%u --cdw10=0 --data-len=4096 --read"
/* and its 4096 bytes all zeros: status 0 */
#define NVME_ID_NS_ZEROS NVME_ID_NS \
	" | awk '/^[0-9a-f]+:/ { c++; for (i = 2; i <= 17; i++) n += $i != \"00\" } END { exit n || c != 256 }'"

#define HOSTILE_MOD	"zoc_nvme_hostile_test"

FIXTURE_SETUP(nvme)
{
	const char *missing = zoc_link_missing();
	int ret;

	if (missing)
		SKIP(return, "%s", missing);
	if (zoc_missing("zocctl") || zoc_missing("nvme") || zoc_missing("fio"))
		SKIP(return, "zocctl, nvme (nvme-cli) and fio are needed");
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	/* (a remote volume after a service VM restart: once attached) */
	ret = zoc_ctl_again(self->out, sizeof(self->out),
			    "dev add nvme name %s volume %s queues 2",
			    DEV_NAME, variant->volume);
	if (ret && variant->remote && strstr(self->out, "no such volume"))
		SKIP(return, "the service VM has no volume %s (the lab's storage node's)",
		     variant->volume);
	ASSERT_EQ(0, ret) TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_nvme_ns(DEV_NAME, self->dev, sizeof(self->dev), 120))
		TH_LOG("the nvme driver did not bring up a namespace");
	snprintf(self->ctrl, sizeof(self->ctrl), "%.*s",
		 (int)(strrchr(self->dev, 'n') - self->dev), self->dev);
	snprintf(self->fio, sizeof(self->fio), FIO, self->dev, FIO_OFFSET);
	chunk_offs(self->off, variant->pattern, variant->stride);
}

FIXTURE_TEARDOWN(nvme)
{
	if (zoc_setup_skipped(_metadata))
		return;
	zoc_ctl(NULL, 0, "dev del %s", DEV_NAME);
}

TEST_F_TIMEOUT(nvme, identify, 300)
{
	char dir[128], buf[64];
	size_t n;

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out), "nvme list"));
	EXPECT_NE(NULL, strstr(self->out, self->dev)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "ZOC NVMe")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out), "nvme id-ctrl %s",
			    self->ctrl));
	EXPECT_NE(NULL, strstr(self->out, "ZOC NVMe")) TH_LOG("%s", self->out);
	/* The volume's serial number, blank padded to 20 */
	snprintf(dir, sizeof(dir), "/sys/class/nvme/%s", self->ctrl + 5);
	zoc_read_attr(dir, "serial", buf, sizeof(buf));
	n = strlen(variant->serial);
	EXPECT_EQ(0, strncmp(buf, variant->serial, n)) TH_LOG("serial '%s'", buf);
	EXPECT_EQ(n, strcspn(buf, "\n ")) TH_LOG("serial '%s'", buf);
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out), "nvme id-ns %s",
			    self->dev));
	/* 256 MiB of 512-byte blocks. */
	EXPECT_NE(NULL, strstr(self->out, "nsze    : 0x80000"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out), "nvme smart-log %s",
			    self->ctrl));
}

TEST_F_TIMEOUT(nvme, pattern_persists, 600)
{
	unsigned long long seed = (unsigned long long)time(NULL) << 20 ^ getpid();
	int ret;

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_pattern_io(self->dev, seed, 0, self->off, CHUNKS,
				    CHUNK));
	ASSERT_EQ(0, zoc_pattern_io(self->dev, seed, 1, self->off, CHUNKS,
				    CHUNK));

	/* Hot-remove and hot-add: the data is still there. */
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del %s",
			     DEV_NAME));
	ASSERT_NE(0, access(self->dev, F_OK));
	ASSERT_EQ(0, zoc_ctl_again(self->out, sizeof(self->out),
				   "dev add nvme name %s volume %s", DEV_NAME,
				   variant->volume))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_nvme_ns(DEV_NAME, self->dev, sizeof(self->dev), 120));
	ASSERT_EQ(0, zoc_pattern_io(self->dev, seed, 1, self->off, CHUNKS,
				    CHUNK));

	/* The runner checks the backing file once the lab is down. */
	ret = zoc_pattern_expect_on(variant->remote, seed, self->off, CHUNKS,
				    CHUNK);
	if (ret != -ENODEV)
		EXPECT_EQ(0, ret);
}

/*
 * One I/O after the other, the device's counters time the round trip
 * through the service VM and each stage in it.
 */
TEST_F_TIMEOUT(nvme, stage_times, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_stage_check(DEV_NAME, self->dev, FIO_OFFSET, self->out,
				     sizeof(self->out)))
		TH_LOG("%s", self->out);
	TH_LOG("%s", self->out);
}

TEST_F_TIMEOUT(nvme, fio_verify, 900)
{
	const char *err;

	if (zoc_setup_skipped(_metadata))
		return;
	err = zoc_fio_verify(DEV_NAME, self->fio, FIO_IN_PLACE, self->out,
			     sizeof(self->out));
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
}

TEST_F_TIMEOUT(nvme, reset_during_io, 900)
{
	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out), FIO_RESETS,
			    self->fio, self->ctrl, self->ctrl))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev show %s -s",
			     DEV_NAME));
	EXPECT_EQ(NULL, strstr(self->out, "resets 0")) TH_LOG("%s", self->out);
}

TEST_F_TIMEOUT(nvme, invalid_commands, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	/* An opcode no controller has. */
	EXPECT_NE(0, zoc_sh(self->out, sizeof(self->out),
			    "nvme admin-passthru %s --opcode=0xc5", self->ctrl));
	EXPECT_NE(NULL, strstr(self->out, "Invalid Command Opcode"))
		TH_LOG("%s", self->out);
	/* A read past the end of the namespace. */
	EXPECT_NE(0, zoc_sh(self->out, sizeof(self->out), NVME_READ_PAST_END,
			    self->dev));
	EXPECT_NE(NULL, strstr(self->out, "LBA Out of Range")) TH_LOG("%s", self->out);
	/* A namespace past the controller's 16 */
	EXPECT_NE(0, zoc_sh(self->out, sizeof(self->out), NVME_ID_NS,
			    self->ctrl, 17));
	EXPECT_NE(NULL, strstr(self->out, "Invalid Namespace")) TH_LOG("%s", self->out);
	/* One of its 16 that is not attached: inactive, its data zeros */
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out), NVME_ID_NS_ZEROS,
			    self->ctrl, 7))
		TH_LOG("%s", self->out);
	/* And the device still works. */
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "dd if=%s of=/dev/null bs=64k count=16 iflag=direct",
			    self->dev))
		TH_LOG("%s", self->out);
}

/*
 * A hostile NVMe driver, the test module, drives the function with the
 * nvme driver unbound, in performance mode: every bad command, PRP and doorbell fails with its
 * NVMe status while the I/O queue keeps working, then random commands
 * for ZOC_NVME_FUZZ_SECS (10 s) from seed ZOC_NVME_FUZZ_SEED (1) must
 * each complete and leave the controller working after a reset;
 * meanwhile fio verifies on a virtio-blk disk on vdb, another device of
 * the service VM that must never err; afterwards the nvme driver takes
 * the function back and the model counted the bad doorbells.
 */
/* Long enough for a fuzz of 30 minutes */
TEST_F_TIMEOUT(nvme, hostile_host, 2400)
{
	long long polled, commands;
	unsigned long long aperture;
	char args[192];
	int ret, n;

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, link_aperture(&aperture))
		TH_LOG("no aperture in " ZOC_DEBUGFS "/link");
	/*
	 * In performance mode: a poll that finds work finds a command, or
	 * a bad shadow doorbell taken for one (dbbuf_sq_tail_beyond_size)
	 * spins.
	 */
	polled = zoc_dev_stat(DEV_NAME, "svm_polled");
	commands = zoc_dev_stat(DEV_NAME, "commands");
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
			     "link set mode performance"))
		TH_LOG("%s", self->out);
	/* The fuzz case: 10 s and seed 1 unless the environment says */
	n = snprintf(args, sizeof(args), "link_area=%#llx ", aperture);
	zoc_fuzz_args(args + n, sizeof(args) - n, "ZOC_NVME", "10");
	ret = zoc_hostile_run_beside(DEV_NAME, "nvme", HOSTILE_MOD, args,
				     "zoc_nvme_hostile", NULL, OTHER_NAME,
				     "virtio-blk", "vdb", self->out,
				     sizeof(self->out));
	zoc_ctl(NULL, 0, "link set mode zero-cost");
	if (ret == -ENOPKG)
		SKIP(return, "cannot load %s (CONFIG_ZOC_NVME_HOSTILE_TEST): %.200s",
		     HOSTILE_MOD, self->out);
	EXPECT_EQ(0, ret) TH_LOG("%s", self->out);
	polled = zoc_dev_stat(DEV_NAME, "svm_polled") - polled;
	commands = zoc_dev_stat(DEV_NAME, "commands") - commands;
	TH_LOG("performance mode: %lld polls found work, for %lld commands",
	       polled, commands);
	EXPECT_LE(polled, commands);

	/* The nvme driver took the function back, and it works. */
	EXPECT_EQ(0, zoc_nvme_ns(DEV_NAME, self->dev, sizeof(self->dev), 120))
		TH_LOG("the nvme driver did not bring the namespace back");
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "dd if=%s of=/dev/null bs=64k count=16 iflag=direct",
			    self->dev))
		TH_LOG("%s", self->out);
	/* The bad doorbells were counted. */
	EXPECT_LT(0, zoc_dev_stat(DEV_NAME, "invalid"));
}

/*
 * A service VM killed under I/O whose successor cannot take the controller
 * over: its live record spoiled in host memory (the host's test module),
 * the controller is removed and its I/O fails.  (svm_restart's
 * crash_under_fio is the kill the disk rides through.)
 */
TEST_F_TIMEOUT(nvme, service_vm_killed_record_spoiled, 900)
{
	const char *missing = zoc_test_missing();
	int ret;

	if (zoc_setup_skipped(_metadata))
		return;
	if (missing)
		SKIP(return, "%s", missing);
	ret = zoc_svm_kill_during_io(DEV_NAME, self->fio, self->dev, true,
				     self->out, sizeof(self->out));
	if (ret == -ENODEV)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	EXPECT_EQ(0, ret) TH_LOG("%s", self->out);
	TH_LOG("%s", self->out);
}

TEST_HARNESS_MAIN
