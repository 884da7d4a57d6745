// SPDX-License-Identifier: GPL-2.0
/*
 * The service VM's models replaced under a busy disk: zoc_nvme, or
 * zoc_virtio, unloaded and loaded again in the service VM (its firmware's
 * reload request, through the lab runner), twenty times, while fio
 * verifies its data on an NVMe or a virtio-blk disk, at queue depths 1
 * and 32.  The model lets go of the device instead of destroying it: what
 * it needs to go on is saved in host memory, the host sees the disk
 * stall, and the next model takes it over from there.  fio ends with no
 * error, the disk never leaves the host (same device, state up
 * throughout, no reset counted), and what is written afterwards reaches
 * the backing file.
 *
 * The same with the whole I/O proxy replaced: zoc_guest, and the models
 * with it, reloaded ten times.  The proxy leaves each device to the next
 * one as the models do; the link goes down and comes back with a new
 * service VM epoch, and the host's functions stall meanwhile (state
 * stalled), then are taken over (ZOC_CTRL_DEV_ATTACH): the same disk,
 * fio with no error.
 *
 * Then a saved state spoiled in host memory between the two modules (the
 * host's test module flips a byte as soon as it is saved): the next model
 * cannot take that disk over, the service VM tells the host, which
 * removes it; the other disk of the same model goes on, and the service
 * VM stays up (with zoc_guest reloaded: the new proxy refuses to take the
 * spoiled disk over, and the host removes it).
 *
 * The lab runner checks both kernel logs for any warning afterwards.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "zoc_disk.h"

#define DISK		"ms0"
#define DISK2		"ms1"
#define FIO_LOG		"/tmp/zoc-model-swap-fio.log"
/*
 * Two jobs, at queue depths 1 and 32, in 160-224 MiB, the range the other
 * selftests give fio in turn.  Until stopped, FIO_AFTER_SECS after the
 * last reload.
 */
#define FIO \
	"fio --filename=%s --rw=randrw --bs=4k --direct=1 --ioengine=libaio --size=32m " \
	ZOC_FIO_UNTIL_STOPPED \
	" --verify=crc32c --verify_fatal=1 --group_reporting --name=qd1 --iodepth=1 --offset=160m --name=qd32 --iodepth=32 --offset=192m"
#define FIO_MAX_SECS	900	/* fio's runtime, if it is not stopped */
#define FIO_AFTER_SECS	5	/* of fio after the last reload */
#define RELOAD_EVERY	2	/* seconds of fio before each reload */
/* The pattern in 252-256 MiB, clear of every other selftest's. */
#define CHUNK		(64 * 1024)
#define CHUNKS		4
#define CHUNK_STRIDE	(512 << 10)

FIXTURE(model_swap) {
	int lab;
	int added;
	int added2;
	pid_t fio;
	char dev[64];
	char out[4096];
};

/*
 * A kind of disk (@kind, for zocctl), the module reloaded (its model's, or
 * @proxy: zoc_guest), how many times, its backend, and where its pattern
 * goes (@pattern_mib, 2 MiB of it; checked in the backing file for vda).
 */
FIXTURE_VARIANT(model_swap) {
	const char *kind;
	const char *module;
	int rounds;
	bool proxy;
	const char *backend;
	int pattern_mib;
};

FIXTURE_VARIANT_ADD(model_swap, nvme) {
	.kind = "nvme",
	.module = "zoc_nvme",
	.rounds = 20,
	.backend = "vda",
	.pattern_mib = 252,
};

FIXTURE_VARIANT_ADD(model_swap, virtio_blk) {
	.kind = "virtio-blk",
	.module = "zoc_virtio",
	.rounds = 20,
	.backend = "vda",
	.pattern_mib = 254,
};

FIXTURE_VARIANT_ADD(model_swap, nvme_proxy) {
	.kind = "nvme",
	.module = "zoc_guest",
	.rounds = 10,
	.proxy = true,
	.backend = "vdb",
	.pattern_mib = 252,
};

FIXTURE_VARIANT_ADD(model_swap, virtio_blk_proxy) {
	.kind = "virtio-blk",
	.module = "zoc_guest",
	.rounds = 10,
	.proxy = true,
	.backend = "vdb",
	.pattern_mib = 254,
};

/*
 * Nothing that can skip: with the kselftest harness of 6.1 the test runs
 * after a SKIP in its fixture's setup.
 */
FIXTURE_SETUP(model_swap)
{
	self->lab = -1;
}

/* Whatever failed: fio is gone, and so is the disk. */
FIXTURE_TEARDOWN(model_swap)
{
	zoc_fio_kill(&self->fio);
	if (self->added)
		zoc_ctl(NULL, 0, "dev del " DISK);
	if (self->added2)
		zoc_ctl(NULL, 0, "dev del " DISK2);
	if (self->lab >= 0)
		close(self->lab);
}

/* The inode of @path, or 0. */
static ino_t dev_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

TEST_F_TIMEOUT(model_swap, reload_under_fio, 1200)
{
	unsigned long long seed = (unsigned long long)time(NULL) << 20 ^ getpid();
	const char *missing = zoc_link_missing();
	long long epoch, resets, takeovers;
	int round, i;
	off_t off[CHUNKS];
	char cmd[768], reload[64];
	time_t start;
	ino_t ino;

	if (missing)
		SKIP(return, "%s", missing);
	missing = zoc_lab_open_for_fio(&self->lab);
	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, zoc_svm_ready(self->lab, self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_disk_add(DISK, variant->kind, variant->backend,
				  &self->added, self->dev, sizeof(self->dev),
				  self->out, sizeof(self->out)))
		TH_LOG("no %s disk: %s", variant->kind, self->out);
	ino = dev_ino(self->dev);
	takeovers = zoc_dev_stat(DISK, "takeovers");
	epoch = zoc_link_field("svm_epoch");
	resets = zoc_dev_stat(DISK, "resets");

	snprintf(cmd, sizeof(cmd), "exec " FIO " >" FIO_LOG " 2>&1", self->dev,
		 FIO_MAX_SECS);
	self->fio = zoc_fio_spawn(cmd);
	ASSERT_LT(0, self->fio);
	snprintf(reload, sizeof(reload), "svm-fw reload %s", variant->module);
	for (round = 0; round < variant->rounds; round++) {
		sleep(RELOAD_EVERY);
		ASSERT_EQ(0, zoc_fio_running(&self->fio, FIO_LOG, self->out,
					     sizeof(self->out)))
			TH_LOG("round %d: fio ended before the reload: %s",
			       round, self->out);
		start = time(NULL);
		ASSERT_EQ(0, zoc_lab_query(self->lab, reload, self->out,
					   sizeof(self->out)))
			TH_LOG("round %d: %s", round, self->out);
		/* The host saw a stall, not a loss. */
		ASSERT_EQ(0, zoc_dev_wait_state(DISK, "up", self->out,
						sizeof(self->out),
						variant->proxy ? 60 : 0))
			TH_LOG("round %d: %s", round, self->out);
		TH_LOG("round %d: %s reloaded, disk up in %ld s", round,
		       variant->module, (long)(time(NULL) - start));
		ASSERT_EQ(ino, dev_ino(self->dev))
			TH_LOG("round %d: %s is another device", round,
			       self->dev);
	}

	/* fio, stopped, ends with no error. */
	ASSERT_EQ(0, zoc_fio_stop(&self->fio, FIO_AFTER_SECS, FIO_LOG,
				  self->out, sizeof(self->out)))
		TH_LOG("fio failed, or did not end: %s", self->out);
	if (variant->proxy) {
		EXPECT_NE(epoch, zoc_link_field("svm_epoch"))
			TH_LOG("no new service VM epoch");
		EXPECT_EQ(takeovers + variant->rounds,
			  zoc_dev_stat(DISK, "takeovers"));
	} else {
		EXPECT_EQ(epoch, zoc_link_field("svm_epoch"))
			TH_LOG("the service VM restarted");
		EXPECT_EQ(takeovers, zoc_dev_stat(DISK, "takeovers"));
	}
	EXPECT_EQ(resets, zoc_dev_stat(DISK, "resets"))
		TH_LOG("the driver had to reset the device");

	/* What is written now reaches the backing file. */
	for (i = 0; i < CHUNKS; i++)
		off[i] = ((off_t)variant->pattern_mib << 20) + i * CHUNK_STRIDE;
	if (!strcmp(variant->backend, "vda")) {
		EXPECT_EQ(0, zoc_pattern_leave(self->dev, seed, off, CHUNKS,
					       CHUNK, &self->lab));
	} else {
		EXPECT_EQ(0, zoc_pattern_io(self->dev, seed, 0, off, CHUNKS,
					    CHUNK));
		EXPECT_EQ(0, zoc_pattern_io(self->dev, seed, 1, off, CHUNKS,
					    CHUNK));
	}
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " DISK))
		TH_LOG("%s", self->out);
	self->added = 0;
}

TEST_F_TIMEOUT(model_swap, spoiled_state_loses_the_device, 600)
{
	unsigned long long seed = (unsigned long long)time(NULL) << 20 ^ getpid();
	/* In the range fio has, where nothing is checked afterwards */
	const off_t off[2] = { 200 << 20, 201 << 20 };
	const char *missing = zoc_link_missing() ?: zoc_test_missing();
	char cmd[256], reload[64], dev2[64];
	int slot, ret, killed, i;
	long long epoch;
	pid_t spoiler;

	if (missing)
		SKIP(return, "%s", missing);
	missing = zoc_lab_open_for_fio(&self->lab);
	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_disk_add(DISK, variant->kind, "vda",
				  &self->added, self->dev, sizeof(self->dev),
				  self->out, sizeof(self->out)))
		TH_LOG("no %s disk: %s", variant->kind, self->out);
	ASSERT_EQ(0, zoc_disk_add(DISK2, variant->kind, "vdb",
				  &self->added2, dev2, sizeof(dev2), self->out,
				  sizeof(self->out)))
		TH_LOG("no second %s disk: %s", variant->kind, self->out);
	slot = zoc_dev_slot(DISK);
	ASSERT_LE(0, slot);
	epoch = zoc_link_field("svm_epoch");

	snprintf(cmd, sizeof(cmd), "exec echo %d >%s/spoil_saved", slot,
		 ZOC_TEST_DEBUGFS);
	spoiler = zoc_spawn(cmd);
	ASSERT_LT(0, spoiler);
	snprintf(reload, sizeof(reload), "svm-fw reload %s", variant->module);
	ret = zoc_lab_query(self->lab, reload, self->out, sizeof(self->out));
	EXPECT_EQ(0, ret) TH_LOG("%s", self->out);
	ret = zoc_reap(spoiler, 70, &killed);
	ASSERT_TRUE(!killed && WIFEXITED(ret) && !WEXITSTATUS(ret))
		TH_LOG("no state was saved for slot %d, or it was not spoiled",
		       slot);

	/* The spoiled disk goes; the host's driver sees it removed. */
	for (i = 0; i < 30; i++) {
		zoc_ctl(self->out, sizeof(self->out), "dev show " DISK);
		if (strstr(self->out, "state gone") && access(self->dev, F_OK))
			break;
		sleep(1);
	}
	EXPECT_NE(NULL, strstr(self->out, "state gone")) TH_LOG("%s", self->out);
	EXPECT_NE(0, access(self->dev, F_OK))
		TH_LOG("%s is still there", self->dev);

	/* The other disk goes on, on the same service VM. */
	EXPECT_EQ(0, zoc_dev_wait_state(DISK2, "up", self->out,
					sizeof(self->out),
					variant->proxy ? 60 : 0))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_pattern_io(dev2, seed, 0, off, 2, CHUNK));
	EXPECT_EQ(0, zoc_pattern_io(dev2, seed, 1, off, 2, CHUNK));
	if (!variant->proxy)
		EXPECT_EQ(epoch, zoc_link_field("svm_epoch"))
			TH_LOG("the service VM restarted");

	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " DISK))
		TH_LOG("%s", self->out);
	self->added = 0;
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " DISK2))
		TH_LOG("%s", self->out);
	self->added2 = 0;
}

TEST_HARNESS_MAIN
