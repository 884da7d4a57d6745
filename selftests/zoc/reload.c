// SPDX-License-Identifier: GPL-2.0
/*
 * zoc_host (and the link module under it) unloaded and loaded again, three
 * times, while the link is busy: an NVMe disk of the service VM under
 * fio.  Each unload takes the disk away (fio ends with an error, as on a
 * hot removal); each load finds the service VM again, and the last one
 * carries I/O that reads back what it wrote.
 *
 * The other end: zoc_guest, and the models that depend on it, unloaded and
 * loaded again in the service VM (its firmware's reload request, through
 * the lab runner), three times, under fio on an NVMe disk, with the link's
 * outage limit at 0 (zocctl link set outage-limit 0: no riding through;
 * model_swap covers the stall).  The service VM leaves the link, and the
 * host declares the disk gone (a surprise removal for the nvme driver); once zoc_guest
 * is back (a new service VM epoch, the link up), the gone disk is deleted
 * in bounded time, the pages the host held for it are given back, and the
 * disk, added again, reads back what it wrote.
 *
 * The lab runner checks both kernel logs for any warning afterwards.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
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
	long long limit;
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
	self->limit = zoc_outage_limit(0);
}

/*
 * A zoc_host loaded again has the default outage limit: the lab's (a
 * sanitizer lab rides through longer outages) is set back.
 */
FIXTURE_TEARDOWN(reload)
{
	if (zoc_setup_skipped(_metadata))
		return;
	zoc_ctl(NULL, 0, "dev del " DISK);
	if (zoc_ctl(NULL, 0, "link set outage-limit %lld", self->limit))
		TH_LOG("the outage limit was not set back");
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

#define GDISK		"rg0"
#define GDISK_ADD	"dev add nvme name " GDISK " backend vda queues 2"
#define GFIO_LOG	"/tmp/zoc-guest-reload-fio.log"
/* fio in 160-224 MiB, the range the other selftests give it in turn */
#define GFIO \
	"fio --name=guest_reload --filename=%s --rw=randrw --bs=4k --direct=1 --ioengine=libaio --iodepth=8 --offset=160m --size=64m --time_based --runtime=600"
/*
 * The pattern in the 128-136 MiB of the test above, 512 KiB into each of
 * its 1 MiB steps: clear of its chunks (64 KiB at each step), which it
 * does not report to the lab runner, while this test does.
 */
#define GPATTERN_OFFSET	((128 << 20) + (512 << 10))
#define GONE_SECS	60	/* for the host to declare the disk gone */
#define DEL_SECS	30	/* for the gone disk to be deleted */
#define RELEASE_SECS	60	/* for its held pages to be given back */

FIXTURE(guest_reload) {
	int lab;
	int added;
	int limited;
	long long limit;
	int reloading;
	pid_t fio;
	char dev[64];
	char out[4096];
};

/*
 * Nothing that can skip: with the kselftest harness of 6.1 the test runs
 * after a SKIP in its fixture's setup.
 */
FIXTURE_SETUP(guest_reload)
{
	self->lab = -1;
}

/*
 * Whatever failed: fio is gone, and so is the disk; a service VM that a
 * reload left without its link is replaced, for the tests that follow.
 */
FIXTURE_TEARDOWN(guest_reload)
{
	int killed;

	if (self->fio > 0) {
		kill(self->fio, SIGKILL);
		zoc_reap(self->fio, 10, &killed);
	}
	if (self->added)
		zoc_ctl(NULL, 0, "dev del " GDISK);
	if (self->limited &&
	    zoc_ctl(NULL, 0, "link set outage-limit %lld", self->limit))
		TH_LOG("the outage limit was not set back");
	if (self->reloading && zoc_wait_link(60)) {
		TH_LOG("no link after a reload: restarting the service VM");
		if (zoc_lab_cmd(self->lab, "svm-restart") ||
		    zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT) ||
		    zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT))
			TH_LOG("the service VM did not come back");
	}
	if (self->lab >= 0)
		close(self->lab);
}

TEST_F_TIMEOUT(guest_reload, guest_reload_under_fio, 1800)
{
	unsigned long long seed = (unsigned long long)time(NULL) << 20 ^ getpid();
	const char *missing = zoc_link_missing();
	long long epoch, held, leaked0;
	int round, i, st, killed, ret, dma;
	off_t off[CHUNKS];
	char cmd[512];
	time_t start;

	if (missing)
		SKIP(return, "%s", missing);
	missing = zoc_lab_open_for_fio(&self->lab);
	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_lab_query(self->lab, "svm-fw ping", self->out,
				   sizeof(self->out)))
		TH_LOG("the service VM's firmware does not answer: %s",
		       self->out);
	dma = !access(ZOC_DMA_FILE, R_OK);
	if (!dma)
		TH_LOG("no %s: the held pages are not checked", ZOC_DMA_FILE);
	leaked0 = zoc_dma_field("leaked_pages");
	for (i = 0; i < CHUNKS; i++)
		off[i] = GPATTERN_OFFSET + (off_t)i * (1 << 20);
	self->limit = zoc_outage_limit(0);
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
			     "link set outage-limit 0"))
		TH_LOG("%s", self->out);
	self->limited = 1;
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out), GDISK_ADD))
		TH_LOG("%s", self->out);
	self->added = 1;
	ASSERT_EQ(0, zoc_nvme_ns(GDISK, self->dev, sizeof(self->dev), 120))
		TH_LOG("the nvme driver did not bring up a namespace");

	for (round = 0; round < ROUNDS; round++, seed++) {
		/* fio on the disk, then zoc_guest goes under it. */
		snprintf(cmd, sizeof(cmd), "exec " GFIO " >" GFIO_LOG " 2>&1",
			 self->dev);
		self->fio = zoc_spawn(cmd);
		ASSERT_LT(0, self->fio);
		sleep(3);
		ASSERT_EQ(0, waitpid(self->fio, &st, WNOHANG)) {
			self->fio = 0;
			zoc_sh(self->out, sizeof(self->out), "tail -5 " GFIO_LOG);
			TH_LOG("round %d: fio ended before the reload: %s",
			       round, self->out);
		}
		epoch = zoc_link_field("svm_epoch");
		start = time(NULL);
		self->reloading = 1;
		ASSERT_EQ(0, zoc_lab_query(self->lab, "svm-fw reload zoc_guest",
					   self->out, sizeof(self->out)))
			TH_LOG("round %d: %s", round, self->out);
		TH_LOG("round %d: zoc_guest reloaded in %ld s", round,
		       (long)(time(NULL) - start));
		start = time(NULL);

		/* The host lost the disk's model: the disk is gone. */
		do {
			ret = zoc_ctl(self->out, sizeof(self->out),
				      "dev show " GDISK);
			if (!ret && strstr(self->out, "state gone"))
				break;
			usleep(500 * 1000);
		} while (time(NULL) < start + GONE_SECS);
		ASSERT_NE(NULL, strstr(self->out, "state gone"))
			TH_LOG("round %d: not gone %d s after the reload: %s",
			       round, GONE_SECS, self->out);

		/* fio has failed, or is killed: only its end matters. */
		ret = zoc_reap(self->fio, 60, &killed);
		self->fio = 0;
		ASSERT_LE(0, ret) TH_LOG("round %d: fio does not die", round);
		if (killed)
			TH_LOG("round %d: fio ran on 60 s after the removal",
			       round);
		EXPECT_NE(0, access(self->dev, F_OK))
			TH_LOG("round %d: %s outlived its function", round,
			       self->dev);

		/* zoc_guest is back: a new service VM epoch, the link up. */
		ASSERT_EQ(0, zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT))
			TH_LOG("round %d: no new service VM epoch", round);
		ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT))
			TH_LOG("round %d: the link did not come back", round);
		self->reloading = 0;

		/* The gone disk is deleted in bounded time. */
		start = time(NULL);
		ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
				     "dev del " GDISK))
			TH_LOG("round %d: %s", round, self->out);
		self->added = 0;
		EXPECT_GT(DEL_SECS, time(NULL) - start)
			TH_LOG("round %d: deletion took %ld s", round,
			       (long)(time(NULL) - start));

		/* Nothing of it is held any more: its model is gone. */
		if (dma) {
			start = time(NULL);
			while ((held = zoc_dma_field("held_pages")) &&
			       time(NULL) < start + RELEASE_SECS)
				usleep(500 * 1000);
			EXPECT_EQ(0, held)
				TH_LOG("round %d: %lld pages still held", round,
				       held);
			EXPECT_EQ(leaked0, zoc_dma_field("leaked_pages"))
				TH_LOG("round %d: pages leaked", round);
		}

		/* The disk, added again, works. */
		ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out), GDISK_ADD))
			TH_LOG("round %d: %s", round, self->out);
		self->added = 1;
		ASSERT_EQ(0, zoc_nvme_ns(GDISK, self->dev, sizeof(self->dev),
					 120))
			TH_LOG("round %d: no namespace for the new disk", round);
		ASSERT_EQ(0, zoc_pattern_io(self->dev, seed, 0, off, CHUNKS,
					    CHUNK));
		ASSERT_EQ(0, zoc_pattern_io(self->dev, seed, 1, off, CHUNKS,
					    CHUNK));
	}

	/* What it wrote last reaches the backing file. */
	close(self->lab);	/* zoc_pattern_expect() opens the port */
	self->lab = -1;
	EXPECT_EQ(0, zoc_pattern_expect(seed - 1, off, CHUNKS, CHUNK));
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " GDISK))
		TH_LOG("%s", self->out);
	self->added = 0;
}

TEST_HARNESS_MAIN
