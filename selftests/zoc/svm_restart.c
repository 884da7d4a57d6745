// SPDX-License-Identifier: GPL-2.0
/*
 * The service VM dies and comes back while the host stays up: a probe and
 * an echo request sent while it is gone time out cleanly, the host sees
 * the new epoch, and the link and its rings work again through the same
 * broker.  A probe sent the moment a new service VM connects, before it
 * attached to the rings, is answered.  A model loaded in the service VM
 * is announced to the host.  A service VM that handed its link over does
 * not take back a side another standby claimed (the host's test module
 * plays that one), only once it is let go.
 *
 * Then the service VM reboots (the lab runner's svm-reboot: its firmware's
 * restart request, the modules unloaded first, then a new QEMU, as its VMM
 * would restart it) twice under fio, which verifies
 * its data on an NVMe disk and a virtio-blk disk at queue depths 1 and
 * 32: the disks stall while the new service VM boots, which takes them
 * over, each from the state the last one saved in host memory.  fio ends
 * with no error, the disks never leave the host and no reset is counted.
 *
 * A service VM that comes back without one of its backends (the lab
 * starts it without its second disk): the disk on that backend is removed,
 * cleanly, the other resumes; and once the backend is back (another
 * reboot), a disk on it works again.
 *
 * A standby service VM boots next to the serving one (the lab runner's
 * svm-standby: zoc_guest standby=1) and takes the disks over when the
 * serving one stops (svm-handover: its firmware's stop request, which
 * hands the link over, then powers off), three times under the same fio;
 * then back and forth, the one that hands over standing by (svm-handover
 * keep: its firmware's handover request), twice; then twice when the
 * serving one is killed (svm-failover: SIGKILL, then the standby's
 * firmware's takeover request), the first time with the one that handed
 * back as the standby: no error, no reset, a takeover per replacement.
 *
 * The service VM killed with SIGKILL ten times under fio, which verifies
 * its data on an NVMe disk and a virtio-blk disk at queue depths 1 and 32,
 * and started again at once: the new one takes the disks over from their
 * live records in host memory and runs again what the dead one had in
 * flight; fio ends with no error, no reset is counted, and what the NVMe
 * disk had before is still there and reaches the backing file.  Killed once more with one
 * disk's live record spoiled (the host's test module): that disk is
 * removed, the other resumes on the same new service VM.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "zoc_disk.h"

/* The service VM may still be booting, slowly under TCG. */
FIXTURE(lab) {
	int lab;
};

/* Nothing that can skip: see FIXTURE_SETUP(restart). */
FIXTURE_SETUP(lab)
{
	self->lab = -1;
}

FIXTURE_TEARDOWN(lab)
{
	if (self->lab >= 0)
		close(self->lab);
}

/*
 * Why a test of the link cannot run here, else NULL with the lab's port
 * open in *@lab.
 */
static const char *lab_for_link(int *lab)
{
	const char *missing = zoc_link_missing() ?: zoc_test_missing();

	if (missing)
		return missing;
	*lab = zoc_lab_open();
	if (*lab < 0)
		return "not in the ZOC lab: no " ZOC_LAB_PORT " port";
	return NULL;
}

TEST_F_TIMEOUT(lab, kill_and_restart, 600)
{
	const char *why = lab_for_link(&self->lab);
	long long epoch, failed;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_probe());
	epoch = zoc_link_field("svm_epoch");

	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_test_write("echo", 100));
	failed = zoc_link_field("probes_failed");
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-kill"));
	EXPECT_EQ(-ETIMEDOUT, zoc_probe());
	EXPECT_EQ(failed + 1, zoc_link_field("probes_failed"));
	EXPECT_EQ(-ETIMEDOUT, zoc_test_write("echo", 1));

	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-start"));
	ASSERT_EQ(0, zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT))
		TH_LOG("no new service VM epoch after restart");
	EXPECT_EQ(0, zoc_probe());
	EXPECT_EQ(0, zoc_probe());
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	EXPECT_EQ(0, zoc_test_write("echo", 1000));
}

#define PROBE_ROUNDS	3

/*
 * Each time a new service VM shows itself (its side up, a new epoch), a
 * probe at once, before it can have attached to the host's rings: it is
 * answered, late or not, never lost.
 */
TEST_F_TIMEOUT(lab, probe_as_it_connects, 600)
{
	const char *why = lab_for_link(&self->lab);
	long long epoch;
	time_t end;
	int i;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	for (i = 0; i < PROBE_ROUNDS; i++) {
		epoch = zoc_link_field("svm_epoch");
		ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-kill"));
		ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-start"));
		end = time(NULL) + ZOC_SVM_BOOT_TIMEOUT;
		while ((zoc_link_state("svm_state") != 1 ||
			zoc_link_field("svm_epoch") == epoch) &&
		       time(NULL) < end)
			usleep(1000);
		ASSERT_EQ(0, zoc_probe())
			TH_LOG("round %d: a probe as the service VM connects", i);
	}
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	EXPECT_EQ(0, zoc_test_write("echo", 100));
}

/*
 * A model's module loaded while the link is up is announced to the host
 * (ZOC_CTRL_MODEL_ADDED), which then asks at once for the takeovers it
 * was refused for want of that model, as after a crash, when the new
 * service VM's link comes up before its models are loaded.
 */
TEST_F_TIMEOUT(lab, models_are_announced, 300)
{
	const char *why = lab_for_link(&self->lab);
	long long added;
	char out[256];

	if (why)
		SKIP(return, "%s", why);
	/*
	 * Its firmware answering: the models of a service VM that just
	 * booted (the test before restarts it) are loaded, and announced.
	 */
	ASSERT_EQ(0, zoc_svm_ready(self->lab, out, sizeof(out)))
		TH_LOG("%s", out);
	added = zoc_link_field("models_added");
	ASSERT_LE(0, added);
	ASSERT_EQ(0, zoc_lab_query(self->lab, "svm-fw reload zoc_nvme", out,
				   sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_EQ(added + 1, zoc_link_field("models_added"));
}

#define CLAIM_MS	500

/*
 * A service VM that handed its link over stands by and takes the side
 * again once another took it and left it.  Another standby that claimed
 * the side (down, then claimed, its epoch written) holds it: the one that
 * left must not take it meanwhile, but only once it is let go.
 */
TEST_F_TIMEOUT(lab, claimed_side_is_left_alone, 300)
{
	const char *why = lab_for_link(&self->lab);
	long long epoch;
	char out[256];

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_lab_query(self->lab, "svm-fw handover", out,
				   sizeof(out)))
		TH_LOG("%s", out);
	ASSERT_NE(1, zoc_link_state("svm_state"));
	epoch = zoc_link_field("svm_epoch");
	EXPECT_EQ(0, zoc_test_write("claim_side", CLAIM_MS))
		TH_LOG("the service VM that left took a claimed side");
	/* let go: the one that left takes it back, with a new epoch */
	ASSERT_EQ(0, zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	EXPECT_EQ(0, zoc_test_write("echo", 100));
}

#define NDISK		"rs0"
#define VDISK		"rs1"
#define VDISK2		"rs2"	/* virtio-blk on vda, in 232-236 MiB */
#define RESTARTS	2
#define FIO_LOG		"/tmp/zoc-svm-restart-fio.log"
/*
 * The NVMe disk on vda, in 160-224 MiB, the range the other selftests give
 * fio in turn; the virtio-blk disk on vdb, the service VM's second disk,
 * in 0-64 MiB.  Until stopped, FIO_AFTER_SECS after the last restart.
 */
#define FIO \
	"fio --rw=randrw --bs=4k --direct=1 --ioengine=libaio --size=32m " \
	ZOC_FIO_UNTIL_STOPPED \
	" --verify=crc32c --verify_fatal=1 --group_reporting --name=n1 --filename=%s --iodepth=1 --offset=160m --name=n32 --filename=%s --iodepth=32 --offset=192m --name=v1 --filename=%s --iodepth=1 --offset=0 --name=v32 --filename=%s --iodepth=32 --offset=32m"
#define FIO_MAX_SECS	900	/* fio's runtime, if it is not stopped */
#define FIO_AFTER_SECS	5	/* of fio after the last replacement */
#define UP_SECS		120	/* from the restart to the disks served again */
#define GONE_SECS	120	/* from the restart to the disk removed */
#define CHUNK		(64 * 1024)
#define CHUNKS		4
#define KILLS		10
#define HANDOVERS	3
#define FAILOVERS	2
#define KILL_EVERY	5	/* seconds of fio between two kills */

FIXTURE(restart) {
	int lab;
	int nadded;
	int vadded;
	int v2added;
	pid_t fio;
	char ndev[64];
	char vdev[64];
	char v2dev[64];
	char out[4096];
};

/*
 * Nothing that can skip: with the kselftest harness of 6.1 the test runs
 * after a SKIP in its fixture's setup.
 */
FIXTURE_SETUP(restart)
{
	self->lab = -1;
}

FIXTURE_TEARDOWN(restart)
{
	zoc_fio_kill(&self->fio);
	if (self->nadded)
		zoc_ctl(NULL, 0, "dev del " NDISK);
	if (self->vadded)
		zoc_ctl(NULL, 0, "dev del " VDISK);
	if (self->v2added)
		zoc_ctl(NULL, 0, "dev del " VDISK2);
	if (self->lab >= 0)
		close(self->lab);
}

/*
 * Why a test of the disks cannot run here: @missing, else what the lab
 * lacks for fio; NULL with @self->lab open.  @self is
 * FIXTURE_DATA(restart).
 */
static const char *lab_for_fio(struct _test_data_restart *self,
			       const char *missing)
{
	return missing ?: zoc_lab_open_for_fio(&self->lab);
}

/*
 * The service VM ready, and the two disks: NVMe on vda, virtio-blk on vdb.
 * @self is FIXTURE_DATA(restart), spelled out as checkpatch reads it.
 * Return: 0, or -1 with why in @self->out.
 */
static int add_disks(struct _test_data_restart *self)
{
	if (zoc_svm_ready(self->lab, self->out, sizeof(self->out)))
		return -1;
	return zoc_disk_add(NDISK, "nvme", "vda", &self->nadded, self->ndev,
			    sizeof(self->ndev), self->out, sizeof(self->out)) ||
	       zoc_disk_add(VDISK, "virtio-blk", "vdb", &self->vadded,
			    self->vdev, sizeof(self->vdev), self->out,
			    sizeof(self->out)) ? -1 : 0;
}

/* The lab runner's @request, answered ok, and a new service VM epoch. */
static int reboot_svm(int lab, const char *request, char *out, size_t len)
{
	long long epoch = zoc_link_field("svm_epoch");

	if (zoc_lab_query(lab, request, out, len))
		return -1;
	if (zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT)) {
		snprintf(out, len, "no new service VM");
		return -1;
	}
	return 0;
}

/*
 * @rounds times, after @every seconds of the fio @self->fio, the lab
 * runner's @prepare (NULL: none; svm-standby, say), then its @request (a
 * reboot or a kill of the service VM, and a new one; a hand-over), then
 * the disks @a and @b (NULL: none) served again.  @self is
 * FIXTURE_DATA(restart).  Return: the longest time from a request to the
 * disks served, in seconds; or -1 with why in @self->out.
 */
static int replace_under_fio(struct _test_data_restart *self,
			     const char *prepare, const char *request,
			     int rounds, int every, const char *a,
			     const char *b)
{
	char why[256];
	int round, worst = 0;
	time_t start;

	for (round = 0; round < rounds; round++) {
		sleep(every);
		if (zoc_fio_running(&self->fio, FIO_LOG, why, sizeof(why))) {
			snprintf(self->out, sizeof(self->out),
				 "round %d: fio ended before it: %s", round, why);
			return -1;
		}
		if (prepare &&
		    zoc_lab_query(self->lab, prepare, why, sizeof(why))) {
			snprintf(self->out, sizeof(self->out), "round %d: %s: %s",
				 round, prepare, why);
			return -1;
		}
		start = time(NULL);
		/* Stalled, never gone, then served by the new service VM */
		if (reboot_svm(self->lab, request, why, sizeof(why)) ||
		    zoc_dev_wait_state(a, "up", why, sizeof(why), UP_SECS) ||
		    (b && zoc_dev_wait_state(b, "up", why, sizeof(why),
					     UP_SECS))) {
			snprintf(self->out, sizeof(self->out), "round %d: %s",
				 round, why);
			return -1;
		}
		if (time(NULL) - start > worst)
			worst = time(NULL) - start;
	}
	return worst;
}

TEST_F_TIMEOUT(restart, restart_under_fio, 1200)
{
	long long nresets, vresets;
	const char *missing = lab_for_fio(self, zoc_link_missing());
	char cmd[1024];
	int worst;

	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, add_disks(self)) TH_LOG("%s", self->out);
	nresets = zoc_dev_stat(NDISK, "resets");
	vresets = zoc_dev_stat(VDISK, "resets");

	snprintf(cmd, sizeof(cmd), "exec " FIO " >" FIO_LOG " 2>&1",
		 FIO_MAX_SECS, self->ndev, self->ndev, self->vdev, self->vdev);
	self->fio = zoc_fio_spawn(cmd);
	ASSERT_LT(0, self->fio);
	worst = replace_under_fio(self, NULL, "svm-reboot", RESTARTS, 10,
				  NDISK, VDISK);
	ASSERT_LE(0, worst) TH_LOG("%s", self->out);
	TH_LOG("%d reboots: disks served again at most %d s after a reboot",
	       RESTARTS, worst);

	/* fio, stopped, ends with no error. */
	ASSERT_EQ(0, zoc_fio_stop(&self->fio, FIO_AFTER_SECS, FIO_LOG,
				  self->out, sizeof(self->out)))
		TH_LOG("fio failed, or did not end: %s", self->out);
	EXPECT_EQ(RESTARTS, zoc_dev_stat(NDISK, "takeovers"));
	EXPECT_EQ(RESTARTS, zoc_dev_stat(VDISK, "takeovers"));
	EXPECT_EQ(nresets, zoc_dev_stat(NDISK, "resets"))
		TH_LOG("the nvme driver had to reset the device");
	EXPECT_EQ(vresets, zoc_dev_stat(VDISK, "resets"))
		TH_LOG("the virtio-blk device was reset");

	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " NDISK))
		TH_LOG("%s", self->out);
	self->nadded = 0;
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " VDISK))
		TH_LOG("%s", self->out);
	self->vadded = 0;
}

/* The two disks' counters, before a run of replacements */
struct counts {
	long long nresets, vresets, ntakeovers, vtakeovers;
};

/*
 * Note the counters of the two disks (added) in @c, and start FIO on them.
 * @self is FIXTURE_DATA(restart).  Return: 0, or -1.
 */
static int start_fio(struct _test_data_restart *self, struct counts *c)
{
	char cmd[1024];

	c->nresets = zoc_dev_stat(NDISK, "resets");
	c->vresets = zoc_dev_stat(VDISK, "resets");
	c->ntakeovers = zoc_dev_stat(NDISK, "takeovers");
	c->vtakeovers = zoc_dev_stat(VDISK, "takeovers");
	snprintf(cmd, sizeof(cmd), "exec " FIO " >" FIO_LOG " 2>&1",
		 FIO_MAX_SECS, self->ndev, self->ndev, self->vdev, self->vdev);
	self->fio = zoc_fio_spawn(cmd);
	return self->fio > 0 ? 0 : -1;
}

/*
 * fio, stopped, ends with no error; each disk was taken over @takeovers
 * more times than in @c and never reset.
 */
static void fio_ended_well(struct __test_metadata *_metadata,
			   struct _test_data_restart *self,
			   const struct counts *c, int takeovers)
{
	ASSERT_EQ(0, zoc_fio_stop(&self->fio, FIO_AFTER_SECS, FIO_LOG,
				  self->out, sizeof(self->out)))
		TH_LOG("fio failed, or did not end: %s", self->out);
	EXPECT_EQ(c->ntakeovers + takeovers, zoc_dev_stat(NDISK, "takeovers"));
	EXPECT_EQ(c->vtakeovers + takeovers, zoc_dev_stat(VDISK, "takeovers"));
	EXPECT_EQ(c->nresets, zoc_dev_stat(NDISK, "resets"))
		TH_LOG("the nvme driver had to reset the device");
	EXPECT_EQ(c->vresets, zoc_dev_stat(VDISK, "resets"))
		TH_LOG("the virtio-blk device was reset");
}

TEST_F_TIMEOUT(restart, standby_under_fio, 1200)
{
	const char *missing = lab_for_fio(self, zoc_link_missing());
	struct counts c;
	int worst;

	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, add_disks(self)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, start_fio(self, &c));
	worst = replace_under_fio(self, "svm-standby", "svm-handover",
				  HANDOVERS, 5, NDISK, VDISK);
	ASSERT_LE(0, worst) TH_LOG("%s", self->out);
	TH_LOG("%d hand-overs: disks served again at most %d s after one",
	       HANDOVERS, worst);
	/* Handed over and back: the old one takes its link again. */
	worst = replace_under_fio(self, "svm-standby", "svm-handover keep",
				  1, 5, NDISK, VDISK);
	ASSERT_LE(0, worst) TH_LOG("%s", self->out);
	worst = replace_under_fio(self, NULL, "svm-handover keep", 1, 5,
				  NDISK, VDISK);
	ASSERT_LE(0, worst) TH_LOG("%s", self->out);
	TH_LOG("handed over and back: disks served again at most %d s after",
	       worst);
	/* The one that handed back is the first fail-over's standby. */
	worst = replace_under_fio(self, NULL, "svm-failover", 1, 5, NDISK,
				  VDISK);
	ASSERT_LE(0, worst) TH_LOG("%s", self->out);
	worst = replace_under_fio(self, "svm-standby", "svm-failover",
				  FAILOVERS - 1, 5, NDISK, VDISK);
	ASSERT_LE(0, worst) TH_LOG("%s", self->out);
	TH_LOG("%d fail-overs: disks served again at most %d s after one",
	       FAILOVERS, worst);
	fio_ended_well(_metadata, self, &c, HANDOVERS + 2 + FAILOVERS);
}

TEST_F_TIMEOUT(restart, restart_without_a_backend, 900)
{
	unsigned long long seed = (unsigned long long)time(NULL) << 20 ^ getpid();
	/* In the range fio has, where nothing is checked afterwards */
	const off_t off[CHUNKS] = { 200 << 20, 201 << 20, 202 << 20, 203 << 20 };
	const char *missing = lab_for_fio(self, zoc_link_missing());

	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, add_disks(self)) TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_pattern_io(self->ndev, seed, 0, off, CHUNKS, CHUNK));

	/* No vdb in the new service VM: its disk goes, the other stays. */
	ASSERT_EQ(0, reboot_svm(self->lab, "svm-reboot without-disk2",
				self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_dev_wait_state(VDISK, "gone", self->out,
					sizeof(self->out), GONE_SECS))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_dev_wait_state(NDISK, "up", self->out,
					sizeof(self->out), UP_SECS))
		TH_LOG("%s", self->out);
	EXPECT_EQ(1, zoc_dev_stat(NDISK, "takeovers"));
	EXPECT_EQ(0, zoc_pattern_io(self->ndev, seed, 1, off, CHUNKS, CHUNK))
		TH_LOG("what the NVMe disk had is not there");
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " VDISK))
		TH_LOG("%s", self->out);
	self->vadded = 0;
	EXPECT_NE(0, access(self->vdev, F_OK))
		TH_LOG("%s is still there", self->vdev);

	/* vdb back: the NVMe disk is taken over again, a disk on vdb works. */
	ASSERT_EQ(0, reboot_svm(self->lab, "svm-reboot", self->out,
				sizeof(self->out)))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_dev_wait_state(NDISK, "up", self->out,
					sizeof(self->out), UP_SECS))
		TH_LOG("%s", self->out);
	EXPECT_EQ(2, zoc_dev_stat(NDISK, "takeovers"));
	EXPECT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_disk_add(VDISK, "virtio-blk", "vdb", &self->vadded,
				  self->vdev, sizeof(self->vdev), self->out,
				  sizeof(self->out)))
		TH_LOG("no virtio-blk disk on vdb again: %s", self->out);
	EXPECT_EQ(0, zoc_pattern_io(self->vdev, seed, 0, off, CHUNKS, CHUNK));
	EXPECT_EQ(0, zoc_pattern_io(self->vdev, seed, 1, off, CHUNKS, CHUNK));
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " VDISK))
		TH_LOG("%s", self->out);
	self->vadded = 0;
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " NDISK))
		TH_LOG("%s", self->out);
	self->nadded = 0;
}

/*
 * The service VM ready, and two virtio-blk disks: on vdb and on vda.
 * Return: 0, or -1 with why in @self->out.
 */
static int add_vdisks(struct _test_data_restart *self)
{
	if (zoc_svm_ready(self->lab, self->out, sizeof(self->out)))
		return -1;
	return zoc_disk_add(VDISK, "virtio-blk", "vdb", &self->vadded,
			    self->vdev, sizeof(self->vdev), self->out,
			    sizeof(self->out)) ||
	       zoc_disk_add(VDISK2, "virtio-blk", "vda", &self->v2added,
			    self->v2dev, sizeof(self->v2dev), self->out,
			    sizeof(self->out)) ? -1 : 0;
}

TEST_F_TIMEOUT(restart, crash_under_fio, 1200)
{
	unsigned long long seed = (unsigned long long)time(NULL) << 20 ^ getpid();
	/* On vda, clear of the other tests' ranges; checked after shutdown */
	const off_t off[2] = { 232 << 20, 233 << 20 };
	const char *missing = lab_for_fio(self, zoc_link_missing());
	struct counts c;
	int worst;

	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, add_disks(self)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_pattern_io(self->ndev, seed, 0, off, 2, CHUNK));

	ASSERT_EQ(0, start_fio(self, &c));
	/* SIGKILL to its QEMU, and a new one at once */
	worst = replace_under_fio(self, NULL, "svm-restart", KILLS,
				  KILL_EVERY, NDISK, VDISK);
	ASSERT_LE(0, worst) TH_LOG("%s", self->out);
	TH_LOG("%d kills: disks served again at most %d s after a kill",
	       KILLS, worst);
	fio_ended_well(_metadata, self, &c, KILLS);
	/* What the NVMe disk had before the kills is there, in the file. */
	EXPECT_EQ(0, zoc_pattern_io(self->ndev, seed, 1, off, 2, CHUNK))
		TH_LOG("what the NVMe disk had is not there");
	close(self->lab);	/* the lab port takes one client */
	self->lab = -1;
	EXPECT_EQ(0, zoc_pattern_expect(seed, off, 2, CHUNK));
}

TEST_F_TIMEOUT(restart, crash_with_a_spoiled_record, 900)
{
	unsigned long long seed = (unsigned long long)time(NULL) << 20 ^ getpid();
	const off_t off[2] = { 234 << 20, 235 << 20 };
	const char *missing = lab_for_fio(self, zoc_link_missing() ?: zoc_test_missing());
	long long epoch;
	int slot;

	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, add_vdisks(self)) TH_LOG("%s", self->out);
	slot = zoc_dev_slot(VDISK);
	ASSERT_LE(0, slot);
	ASSERT_EQ(0, zoc_pattern_io(self->v2dev, seed, 0, off, 2, CHUNK));

	epoch = zoc_link_field("svm_epoch");
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-kill"));
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out),
			    "echo %d >%s/spoil_live", slot, ZOC_TEST_DEBUGFS))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-start"));
	ASSERT_EQ(0, zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT));
	EXPECT_EQ(0, zoc_dev_wait_state(VDISK, "gone", self->out,
					sizeof(self->out), GONE_SECS))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_dev_wait_state(VDISK2, "up", self->out,
					sizeof(self->out), UP_SECS))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_pattern_io(self->v2dev, seed, 1, off, 2, CHUNK))
		TH_LOG("what the other disk had is not there");
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " VDISK))
		TH_LOG("%s", self->out);
	self->vadded = 0;
	EXPECT_NE(0, access(self->vdev, F_OK))
		TH_LOG("%s is still there", self->vdev);
	/* The new service VM stayed up. */
	epoch = zoc_link_field("svm_epoch");
	EXPECT_EQ(0, zoc_pattern_io(self->v2dev, seed, 1, off, 2, CHUNK));
	EXPECT_EQ(epoch, zoc_link_field("svm_epoch"))
		TH_LOG("the service VM restarted");
}

TEST_HARNESS_MAIN
