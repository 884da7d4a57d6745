// SPDX-License-Identifier: GPL-2.0
/*
 * zoc_host (and the link module under it) unloaded and loaded again, three
 * times, while the link is busy: an NVMe disk of the service VM under
 * fio.  Each unload takes the disk away (fio ends with an error, as on a
 * hot removal); each load finds the service VM again, and the last one
 * carries I/O that reads back what it wrote.  The lab runner checks the
 * kernel log for any warning afterwards.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "zoc_disk.h"

#define DISK		"rl0"
#define ROUNDS		3
#define CHUNK		(64 * 1024)
#define CHUNKS		8

/* fio clear of the pattern the nvme and virtio_blk selftests leave */
#define FIO "rm -f /tmp/zoc-fio.rc; (fio --name=reload --filename=%s --rw=randrw --bs=4k --direct=1 --ioengine=libaio --iodepth=8 --offset=160m --size=64m --time_based --runtime=600; echo $? >/tmp/zoc-fio.rc) >/dev/null 2>&1 &"

FIXTURE(reload) {
	char aperture[128];
};

FIXTURE_SETUP(reload)
{
	const char *missing = zoc_link_missing();
	FILE *f;

	if (missing)
		SKIP(return, "%s", missing);
	if (zoc_missing("zocctl") || zoc_missing("fio") || zoc_missing("rmmod"))
		SKIP(return, "no zocctl, fio or rmmod in PATH");
	f = fopen("/sys/module/zoc_host/parameters/aperture", "r");
	if (!f)
		SKIP(return, "zoc_host is built in: nothing to unload");
	ASSERT_NE(NULL, fgets(self->aperture, sizeof(self->aperture), f));
	fclose(f);
	self->aperture[strcspn(self->aperture, "\n")] = '\0';
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
}

FIXTURE_TEARDOWN(reload)
{
	if (zoc_setup_skipped(_metadata))
		return;
	zoc_ctl(NULL, 0, "dev del " DISK);
}

/* The disk's namespace block device into @dev. */
static int disk_dev(char *dev, size_t len)
{
	char ctrl[32];

	if (zoc_fn_entry(DISK, "nvme", "nvme", ctrl, sizeof(ctrl), 60))
		return -ETIMEDOUT;
	snprintf(dev, len, "/dev/%sn1", ctrl);
	for (int i = 0; i < 100 && access(dev, R_OK); i++)
		usleep(100 * 1000);
	return access(dev, R_OK) ? -ETIMEDOUT : 0;
}

TEST_F_TIMEOUT(reload, unload_and_load_while_busy, 1200)
{
	char out[1024], dev[64];
	off_t off[CHUNKS];
	int round, i;

	if (zoc_setup_skipped(_metadata))
		return;
	/*
	 * The disk's 128-136 MiB: the nvme selftest's pattern is below, fio's
	 * ranges and the virtio_blk selftest's pattern above; the lab runner
	 * checks those two patterns in the backing file after shutdown.
	 */
	for (i = 0; i < CHUNKS; i++)
		off[i] = (off_t)i * (1 << 20) + (128 << 20);
	for (round = 0; round < ROUNDS; round++) {
		ASSERT_EQ(0, zoc_ctl(out, sizeof(out),
				     "dev add nvme name " DISK " backend vda queues 2"))
			TH_LOG("round %d: %s", round, out);
		ASSERT_EQ(0, disk_dev(dev, sizeof(dev)));
		ASSERT_EQ(0, zoc_sh(NULL, 0, FIO, dev));
		sleep(3);

		EXPECT_EQ(0, zoc_sh(out, sizeof(out),
				    "rmmod " ZOC_TEST_MOD " zoc_host zoc_link 2>&1"))
			TH_LOG("round %d: rmmod: %s", round, out);
		ASSERT_EQ(0, zoc_sh(out, sizeof(out), ZOC_FIO_WAIT));
		EXPECT_NE(0, atoi(out)) TH_LOG("fio did not notice the removal");
		EXPECT_NE(0, access(dev, F_OK)) TH_LOG("%s outlived zoc_host", dev);

		ASSERT_EQ(0, zoc_sh(out, sizeof(out),
				    "modprobe zoc_host aperture=%s 2>&1 && modprobe "
				    ZOC_TEST_MOD " 2>&1", self->aperture))
			TH_LOG("round %d: modprobe: %s", round, out);
		ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT))
			TH_LOG("round %d: the service VM did not come back", round);
		EXPECT_EQ(0, zoc_test_write("echo", 100));
	}

	/* After the last load: I/O reads back what it wrote. */
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out),
			     "dev add nvme name " DISK " backend vda queues 2"));
	ASSERT_EQ(0, disk_dev(dev, sizeof(dev)));
	EXPECT_EQ(0, zoc_pattern_io(dev, 0x5e10ad, 0, off, CHUNKS, CHUNK));
	EXPECT_EQ(0, zoc_pattern_io(dev, 0x5e10ad, 1, off, CHUNKS, CHUNK));
}

TEST_HARNESS_MAIN
