// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk end to end: "zocctl dev add virtio-blk" makes the host's
 * stock virtio_pci and virtio_blk drivers bind to a function of the
 * virtual bus whose device is the service VM's model and whose disk is the
 * service VM's disk.  Data written is read back (and, checked by the lab
 * runner after shutdown, reaches the backing file); fio verifies under
 * load with two queues; the device's ID, its volume's serial number,
 * comes through; a hostile driver
 * (the test module zoc_virtio_hostile_test, with virtio-pci unbound) only
 * makes the device need a reset, and it works again; with the service VM
 * killed during I/O and the disk's live record spoiled, the disk goes and
 * its I/O fails.
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

#define DEV_NAME	"vblk0"
#define CHUNK		(64 * 1024)
#define CHUNKS		8
#define PATTERN_OFFSET	(224 << 20)	/* clear of the NVMe test's ranges */
#define FIO_OFFSET	(192 << 20)
/* What two runs of FIO move in place at least: half of one's I/O */
#define FIO_IN_PLACE	(8 << 20)
#define HOSTILE_MOD	"zoc_virtio_hostile_test"
#define OTHER_NAME	"vblk9disk"	/* beside the hostile run, on vdb */

FIXTURE(vblk) {
	char dev[64];
	char fio[512];
	char out[8192];
};

/*
 * The volumes: the service VM's own disk and the two remote ones, in whose
 * ranges above 80 MiB (clear of the volumes and namespaces tests) the
 * offsets fall.
 */
FIXTURE_VARIANT(vblk) {
	const char *volume;	/* the disk's volume */
	const char *remote;	/* its file on the storage node, or NULL */
	const char *serial;	/* its serial number, the disk's ID */
};

FIXTURE_VARIANT_ADD(vblk, local) {
	.volume = "vda",
	.serial = "ZOC-LAB-VDA",
};

FIXTURE_VARIANT_ADD(vblk, tcp) {
	.volume = "vol-a",
	.remote = "vol-a",
	.serial = "ZOC-REMOTE-A",
};

FIXTURE_VARIANT_ADD(vblk, rdma) {
	.volume = "vol-b",
	.remote = "vol-b",
	.serial = "ZOC-REMOTE-B",
};

/* 4k random read/write with verification, on FILE at OFFSET: 2 jobs. */
#define FIO \
	"fio --name=zoc --filename=%s --offset=%d --size=8m --direct=1 --rw=randrw --bs=4k --verify=crc32c --verify_fatal=1 --ioengine=libaio --numjobs=2 --offset_increment=8m --group_reporting"

static off_t chunk_off(int i)
{
	return PATTERN_OFFSET + (off_t)i * (1 << 20) + (i * 4096) % 65536;
}

/* The pattern's chunks: their offsets on the disk. */
static void chunk_offs(off_t *off)
{
	int i;

	for (i = 0; i < CHUNKS; i++)
		off[i] = chunk_off(i);
}

/* Write (or, with @check, verify) the pattern chunks through @dev. */
static int pattern_io(const char *dev, unsigned long long seed, int check)
{
	off_t off[CHUNKS];

	chunk_offs(off);
	return zoc_pattern_io(dev, seed, check, off, CHUNKS, CHUNK);
}

FIXTURE_SETUP(vblk)
{
	const char *missing = zoc_link_missing();
	int ret;

	if (missing)
		SKIP(return, "%s", missing);
	if (zoc_missing("zocctl") || zoc_missing("fio"))
		SKIP(return, "zocctl and fio are needed");
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	/* (a remote volume after a service VM restart: once attached) */
	ret = zoc_ctl_again(self->out, sizeof(self->out),
			    "dev add virtio-blk name %s volume %s queues 2",
			    DEV_NAME, variant->volume);
	if (ret && variant->remote && strstr(self->out, "no such volume"))
		SKIP(return, "the service VM has no volume %s (the lab's storage node's)",
		     variant->volume);
	ASSERT_EQ(0, ret) TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_vblk_dev(DEV_NAME, self->dev, sizeof(self->dev), 120))
		TH_LOG("the virtio_blk driver did not bring up a disk");
	snprintf(self->fio, sizeof(self->fio), FIO, self->dev, FIO_OFFSET);
}

FIXTURE_TEARDOWN(vblk)
{
	if (zoc_setup_skipped(_metadata))
		return;
	zoc_ctl(NULL, 0, "dev del %s", DEV_NAME);
}

TEST_F_TIMEOUT(vblk, identity, 300)
{
	char dir[300], path[400];

	if (zoc_setup_skipped(_metadata))
		return;
	zoc_fn_dir(DEV_NAME, dir, sizeof(dir));
	ASSERT_NE(0, dir[0]);
	EXPECT_EQ(0x1af4, zoc_read_hex(dir, "vendor"));
	EXPECT_EQ(0x1042, zoc_read_hex(dir, "device"));
	/* 256 MiB in 512-byte sectors, and the ID the device gives. */
	snprintf(path, sizeof(path), "/sys/block/%s/size", self->dev + 5);
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out), "cat %s", path));
	EXPECT_EQ(524288, atol(self->out)) TH_LOG("%s", self->out);
	snprintf(path, sizeof(path), "/sys/block/%s/serial", self->dev + 5);
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out), "cat %s", path));
	/* the volume's serial number (the lab's configuration) */
	EXPECT_EQ(0, strcmp(self->out, variant->serial))
		TH_LOG("serial: %s", self->out);
	snprintf(path, sizeof(path), "/sys/block/%s/mq", self->dev + 5);
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out), "ls %s | wc -l",
			    path));
	EXPECT_EQ(2, atoi(self->out)) TH_LOG("queues: %s", self->out);
}

TEST_F_TIMEOUT(vblk, pattern_persists, 600)
{
	unsigned long long seed = (unsigned long long)time(NULL) << 24 ^ getpid();
	off_t off[CHUNKS];
	int ret;

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, pattern_io(self->dev, seed, 0));
	ASSERT_EQ(0, pattern_io(self->dev, seed, 1));
	/* Hot-remove and hot-add: the data is still there. */
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del %s",
			     DEV_NAME));
	ASSERT_EQ(0, zoc_ctl_again(self->out, sizeof(self->out),
				   "dev add virtio-blk name %s volume %s", DEV_NAME,
				   variant->volume))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_vblk_dev(DEV_NAME, self->dev, sizeof(self->dev), 120));
	ASSERT_EQ(0, pattern_io(self->dev, seed, 1));

	/* The runner checks the backing file once the lab is down. */
	chunk_offs(off);
	ret = zoc_pattern_expect_on(variant->remote, seed, off, CHUNKS, CHUNK);
	if (ret != -ENODEV)
		EXPECT_EQ(0, ret);
}

/* A second device on the same backend is refused, and zocctl says why. */
TEST_F_TIMEOUT(vblk, backend_in_use, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	EXPECT_EQ(1, zoc_ctl(self->out, sizeof(self->out),
			     "dev add nvme name %s2 volume %s", DEV_NAME,
			     variant->volume));
	EXPECT_NE(NULL, strstr(self->out, "in use by another device"))
		TH_LOG("%s", self->out);
	EXPECT_EQ(1, zoc_ctl(self->out, sizeof(self->out),
			     "dev add virtio-blk name %s2 volume %s", DEV_NAME,
			     variant->volume));
	EXPECT_NE(NULL, strstr(self->out, "in use by another device"))
		TH_LOG("%s", self->out);
	/* the device that holds it still reads (its pattern is another test's) */
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "dd if=%s of=/dev/null bs=64k count=64 iflag=direct 2>&1",
			    self->dev))
		TH_LOG("%s", self->out);
}

/*
 * One I/O after the other, the device's counters time the round trip
 * through the service VM and each stage in it.
 */
TEST_F_TIMEOUT(vblk, stage_times, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_stage_check(DEV_NAME, self->dev, FIO_OFFSET, self->out,
				     sizeof(self->out)))
		TH_LOG("%s", self->out);
	TH_LOG("%s", self->out);
}

TEST_F_TIMEOUT(vblk, fio_verify, 900)
{
	const char *err;

	if (zoc_setup_skipped(_metadata))
		return;
	err = zoc_fio_verify(DEV_NAME, self->fio, FIO_IN_PLACE, self->out,
			     sizeof(self->out));
	EXPECT_EQ(NULL, err) TH_LOG("%s: %s", err, self->out);
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev show %s -s",
			     DEV_NAME));
	EXPECT_NE(NULL, strstr(self->out, "errors 0")) TH_LOG("%s", self->out);
}

/*
 * The hostile driver (the test module, virtio-pci unbound): its cases,
 * then random chains for ZOC_VIRTIO_FUZZ_SECS (10 s) from seed
 * ZOC_VIRTIO_FUZZ_SEED (1), each checked against the virtio rules, while
 * fio verifies on an NVMe disk on vdb, another device of the service VM
 * that must never err.  Every chain refused was counted as invalid, every
 * request failed as an error, and virtio_blk takes the disk back.
 */
/* Long enough for a fuzz of 30 minutes */
TEST_F_TIMEOUT(vblk, hostile_host, 2400)
{
	struct zoc_hostile_counts counts = { -1, -1 };
	long long invalid, errors;
	char args[96];
	int ret;

	if (zoc_setup_skipped(_metadata))
		return;
	invalid = zoc_dev_stat(DEV_NAME, "invalid");
	errors = zoc_dev_stat(DEV_NAME, "errors");
	zoc_fuzz_args(args, sizeof(args), "ZOC_VIRTIO", "10");
	ret = zoc_hostile_run_beside(DEV_NAME, "virtio-pci", HOSTILE_MOD, args,
				     "zoc_virtio_hostile", &counts, OTHER_NAME,
				     "nvme", "vdb", self->out,
				     sizeof(self->out));
	if (ret == -ENOPKG)
		SKIP(return, "cannot load %s (CONFIG_ZOC_VIRTIO_HOSTILE_TEST): %.200s",
		     HOSTILE_MOD, self->out);
	EXPECT_EQ(0, ret) TH_LOG("%s", self->out);

	/* virtio-pci took the function back, and the disk reads. */
	EXPECT_EQ(0, zoc_vblk_dev(DEV_NAME, self->dev, sizeof(self->dev), 120))
		TH_LOG("the virtio_blk driver did not bring the disk back");
	EXPECT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "dd if=%s of=/dev/null bs=64k count=16 iflag=direct",
			    self->dev))
		TH_LOG("%s", self->out);
	/* What the test saw refused and failed, the device counted. */
	TH_LOG("refused %lld, failed %lld", counts.refused, counts.errors);
	EXPECT_LT(0, counts.refused);
	EXPECT_LT(0, counts.errors);
	EXPECT_LE(invalid + counts.refused, zoc_dev_stat(DEV_NAME, "invalid"));
	EXPECT_EQ(errors + counts.errors, zoc_dev_stat(DEV_NAME, "errors"));
}

/*
 * A service VM killed under I/O whose successor cannot take the disk over:
 * its live record spoiled in host memory (the host's test module), the
 * disk is removed.  Requests in flight fail too: the core series'
 * virtio_blk patch, without which virtio_blk's removal would wait for them
 * for ever.  (svm_restart's crash_under_fio is the kill the disk rides
 * through.)
 */
TEST_F_TIMEOUT(vblk, service_vm_killed_record_spoiled, 900)
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
