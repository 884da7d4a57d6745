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
#define ROUNDS		20
#define FIO_LOG		"/tmp/zoc-model-swap-fio.log"
/*
 * Two jobs, at queue depths 1 and 32, in 160-224 MiB, the range the other
 * selftests give fio in turn.  Time based: it still runs at the last
 * reload, whatever a reload takes.
 */
#define FIO \
	"fio --filename=%s --rw=randrw --bs=4k --direct=1 --ioengine=libaio --size=32m --time_based --runtime=%d --verify=crc32c --verify_fatal=1 --group_reporting --name=qd1 --iodepth=1 --offset=160m --name=qd32 --iodepth=32 --offset=192m"
#define FIO_SECS	150
/* The pattern in 252-256 MiB, clear of every other selftest's. */
#define CHUNK		(64 * 1024)
#define CHUNKS		4
#define CHUNK_STRIDE	(512 << 10)

FIXTURE(model_swap) {
	int lab;
	int added;
	pid_t fio;
	char dev[64];
	char out[4096];
};

/*
 * A kind of disk (@kind, for zocctl), the module of its model, and where
 * its pattern goes (@pattern_mib, 2 MiB of it).
 */
FIXTURE_VARIANT(model_swap) {
	const char *kind;
	const char *module;
	int pattern_mib;
};

FIXTURE_VARIANT_ADD(model_swap, nvme) {
	.kind = "nvme",
	.module = "zoc_nvme",
	.pattern_mib = 252,
};

FIXTURE_VARIANT_ADD(model_swap, virtio_blk) {
	.kind = "virtio-blk",
	.module = "zoc_virtio",
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
	int killed;

	if (self->fio > 0) {
		kill(self->fio, SIGKILL);
		zoc_reap(self->fio, 10, &killed);
	}
	if (self->added)
		zoc_ctl(NULL, 0, "dev del " DISK);
	if (self->lab >= 0)
		close(self->lab);
}

/* The inode of @path, or 0. */
static ino_t dev_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/*
 * Seconds to wait before round @round, whose reload may take @last
 * seconds: the rounds left spread over what is left of fio's run until
 * @end, 20 s of it kept at its end.
 */
static int pace(time_t end, int round, int last)
{
	long each = (end - time(NULL) - 20) / (ROUNDS - round) - last;

	return each < 1 ? 1 : each;
}

TEST_F_TIMEOUT(model_swap, reload_under_fio, 1200)
{
	unsigned long long seed = (unsigned long long)time(NULL) << 20 ^ getpid();
	const char *missing = zoc_link_missing();
	long long epoch, resets;
	int round, i, ret, killed, last = 0;
	off_t off[CHUNKS];
	char cmd[768], reload[64];
	time_t start, end;
	ino_t ino;

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
	ASSERT_EQ(0, zoc_disk_add(DISK, variant->kind, &self->added,
				  self->dev, sizeof(self->dev), self->out,
				  sizeof(self->out)))
		TH_LOG("no %s disk: %s", variant->kind, self->out);
	ino = dev_ino(self->dev);
	epoch = zoc_link_field("svm_epoch");
	resets = zoc_dev_stat(DISK, "resets");

	snprintf(cmd, sizeof(cmd), "exec " FIO " >" FIO_LOG " 2>&1", self->dev,
		 FIO_SECS);
	self->fio = zoc_spawn(cmd);
	ASSERT_LT(0, self->fio);
	end = time(NULL) + FIO_SECS;
	snprintf(reload, sizeof(reload), "svm-fw reload %s", variant->module);
	for (round = 0; round < ROUNDS; round++) {
		sleep(pace(end, round, last));
		ASSERT_EQ(0, waitpid(self->fio, &ret, WNOHANG)) {
			self->fio = 0;
			zoc_sh(self->out, sizeof(self->out), "tail -5 " FIO_LOG);
			TH_LOG("round %d: fio ended before the reload: %s",
			       round, self->out);
		}
		start = time(NULL);
		ASSERT_EQ(0, zoc_lab_query(self->lab, reload, self->out,
					   sizeof(self->out)))
			TH_LOG("round %d: %s", round, self->out);
		last = time(NULL) - start;
		TH_LOG("round %d: %s reloaded in %d s", round,
		       variant->module, last);
		/* The host saw a stall, not a loss. */
		ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
				     "dev show " DISK));
		ASSERT_NE(NULL, strstr(self->out, "state up"))
			TH_LOG("round %d: %s", round, self->out);
		ASSERT_EQ(ino, dev_ino(self->dev))
			TH_LOG("round %d: %s is another device", round,
			       self->dev);
	}

	/* fio ends on its own, with no error. */
	ret = zoc_reap(self->fio, FIO_SECS + 60, &killed);
	self->fio = 0;
	zoc_sh(self->out, sizeof(self->out), "tail -3 " FIO_LOG);
	ASSERT_FALSE(killed) TH_LOG("fio did not end: %s", self->out);
	ASSERT_TRUE(WIFEXITED(ret) && !WEXITSTATUS(ret))
		TH_LOG("fio failed: %s", self->out);
	EXPECT_EQ(epoch, zoc_link_field("svm_epoch"))
		TH_LOG("the service VM restarted");
	EXPECT_EQ(resets, zoc_dev_stat(DISK, "resets"))
		TH_LOG("the driver had to reset the device");

	/* What is written now reaches the backing file. */
	for (i = 0; i < CHUNKS; i++)
		off[i] = ((off_t)variant->pattern_mib << 20) + i * CHUNK_STRIDE;
	EXPECT_EQ(0, zoc_pattern_leave(self->dev, seed, off, CHUNKS, CHUNK,
				       &self->lab));
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " DISK))
		TH_LOG("%s", self->out);
	self->added = 0;
}

TEST_HARNESS_MAIN
