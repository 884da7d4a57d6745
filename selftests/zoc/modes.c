// SPDX-License-Identifier: GPL-2.0
/*
 * The service VM's modes, switched back and forth under a busy disk.
 *
 * Performance mode: the host asks the service VM's models to poll a queue
 * that ran dry for more work before they sleep ("zocctl link set mode
 * performance"), and the VMM runs the service VM like any other process
 * (the lab runner's "svm-sched normal").  Zero-cost mode: no polling
 * ("mode zero-cost"), every doorbell wakes the model, and the VMM runs the
 * service VM's threads only on idle host cycles ("svm-sched idle",
 * SCHED_IDLE).
 *
 * fio verifies its data on an NVMe or a virtio-blk disk at queue depths 1
 * and 32 while
 * the modes alternate: performance, zero-cost, performance, zero-cost.
 * In performance mode the model must find work by polling (its counter
 * svm_polled grows); in zero-cost mode it must not poll at all; fio ends
 * with no error and the disk stays up throughout.
 * A queue whose doorbells come far apart stops polling, and polls again
 * once busy.
 *
 * Then CPU hot-plug: a vCPU added to the service VM under fio, brought
 * online, given its share of the device queues, and removed again; and
 * memory hot-plug: 128 MiB added to the service VM under fio.
 *
 * And the link's data queues, one per host CPU: fio pinned to each CPU
 * in turn on an NVMe and a virtio-blk disk, whose doorbells and
 * interrupts must go through that CPU's queue and vector, not the
 * control rings.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "zoc_disk.h"

#define DISK		"md0"
#define FIO_LOG		"/tmp/zoc-modes-fio.log"
/* Two jobs, at queue depths 1 and 32, in 160-224 MiB; until stopped. */
#define FIO \
	"fio --filename=%s --rw=randrw --bs=4k --direct=1 --ioengine=libaio --size=32m " \
	ZOC_FIO_UNTIL_STOPPED \
	" --verify=crc32c --verify_fatal=1 --group_reporting --name=qd1 --iodepth=1 --offset=160m --name=qd32 --iodepth=32 --offset=192m"
#define FIO_MAX_SECS	600	/* fio's runtime, if it is not stopped */
#define SETTLE_SECS	1	/* for a poll under way to end */
#define PHASE_SECS	6	/* of fio in each mode */

/*
 * The lab's control port opened into @lab for fio on the service VM's
 * disks, once the service VM answers (into @out).  Return: NULL; else
 * what is missing: the test skips if *@skip, else it fails.
 */
static const char *ready_for_fio(int *lab, bool *skip, char *out, size_t len)
{
	const char *missing = zoc_link_missing();

	*skip = true;
	if (!missing)
		missing = zoc_lab_open_for_fio(lab);
	if (missing)
		return missing;
	*skip = false;
	return zoc_svm_ready(*lab, out, len) ? "no service VM" : NULL;
}

FIXTURE(modes) {
	int lab;
	int added;
	pid_t fio;
	char dev[64];
	char out[4096];
};

FIXTURE_VARIANT(modes) {
	const char *kind;	/* the disk's, for zocctl */
};

FIXTURE_VARIANT_ADD(modes, nvme) {
	.kind = "nvme",
};

FIXTURE_VARIANT_ADD(modes, virtio_blk) {
	.kind = "virtio-blk",
};

/*
 * ready_for_fio(), then the disk DISK of @kind on vda; @self is
 * FIXTURE_DATA(modes), spelled out as checkpatch reads it.  Return: NULL,
 * or what is missing (see ready_for_fio()).
 */
static const char *modes_ready(struct _test_data_modes *self,
			       const char *kind, bool *skip)
{
	const char *missing = ready_for_fio(&self->lab, skip, self->out,
					    sizeof(self->out));

	if (missing)
		return missing;
	if (zoc_disk_add(DISK, kind, "vda", &self->added, self->dev,
			 sizeof(self->dev), self->out, sizeof(self->out)))
		return "no disk";
	return NULL;
}

FIXTURE_SETUP(modes)
{
	self->lab = -1;
}

/* Whatever failed: fio and the disk are gone, zero-cost mode as at boot. */
FIXTURE_TEARDOWN(modes)
{
	zoc_fio_kill(&self->fio);
	if (self->added)
		zoc_ctl(NULL, 0, "dev del " DISK);
	zoc_ctl(NULL, 0, "link set mode zero-cost");
	if (self->lab >= 0) {
		zoc_lab_query(self->lab, "svm-sched normal", NULL, 0);
		close(self->lab);
	}
}

TEST_F_TIMEOUT(modes, switch_under_fio, 600)
{
	static const char * const names[] = { "performance", "zero-cost" };
	const char *missing;
	bool skip;
	long long polled, commands, resets;
	int phase, perf;
	char cmd[768];

	missing = modes_ready(self, variant->kind, &skip);
	if (skip)
		SKIP(return, "%s", missing);
	ASSERT_EQ(NULL, missing) TH_LOG("%s: %s", missing, self->out);
	resets = zoc_dev_stat(DISK, "resets");

	snprintf(cmd, sizeof(cmd), "exec " FIO " >" FIO_LOG " 2>&1", self->dev,
		 FIO_MAX_SECS);
	self->fio = zoc_fio_spawn(cmd);
	ASSERT_LT(0, self->fio);
	for (phase = 0; phase < 4; phase++) {
		perf = !(phase % 2);
		ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
				     "link set mode %s", names[!perf]))
			TH_LOG("%s", self->out);
		ASSERT_EQ(0, zoc_lab_query(self->lab, perf ? "svm-sched normal" :
					   "svm-sched idle", self->out,
					   sizeof(self->out)))
			TH_LOG("%s", self->out);
		ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "link show"));
		ASSERT_NE(NULL, strstr(self->out, perf ? "poll_us 200" :
				       "poll_us 0"))
			TH_LOG("%s", self->out);
		sleep(SETTLE_SECS);
		polled = zoc_dev_stat(DISK, "svm_polled");
		commands = zoc_dev_stat(DISK, "commands");
		sleep(PHASE_SECS);
		ASSERT_EQ(0, zoc_fio_running(&self->fio, FIO_LOG, self->out,
					     sizeof(self->out)))
			TH_LOG("%s: fio ended: %s", names[!perf], self->out);
		polled = zoc_dev_stat(DISK, "svm_polled") - polled;
		commands = zoc_dev_stat(DISK, "commands") - commands;
		TH_LOG("%s mode: %lld commands, %lld found by polling",
		       names[!perf], commands, polled);
		EXPECT_LT(0, commands);
		/* performance mode polls, and finds work; zero-cost does not */
		EXPECT_EQ(perf, polled > 0);
	}

	/* fio, stopped, ends with no error; the driver never reset. */
	ASSERT_EQ(0, zoc_fio_stop(&self->fio, 1, FIO_LOG, self->out,
				  sizeof(self->out)))
		TH_LOG("fio failed, or did not end: %s", self->out);
	EXPECT_EQ(resets, zoc_dev_stat(DISK, "resets"));
	EXPECT_EQ(0, zoc_dev_stat(DISK, "errors"));
}

/*
 * fio reading at @what ("--rate_iops=20 --iodepth=1") for PHASE_SECS, on
 * CPU 0: through the disk's queue of that CPU, the same one each time
 */
#define FIO_PACE \
	"fio --filename=%s --rw=randread --bs=4k --direct=1 --ioengine=libaio --size=32m " \
	"--offset=160m --time_based --runtime=%d --cpus_allowed=0 --name=pace %s >" \
	FIO_LOG " 2>&1"
#define POLL_US		2000

/*
 * Performance mode's adaptive poll: a queue whose doorbells come far
 * apart (20 reads a second, 50 ms between them, against a poll time of
 * 2 ms) stops polling after a few polls that find nothing, so its poll
 * time per command falls below an eighth of the poll time; busy again
 * (queue depth 16, the same queue), the window grows back and polls find
 * work.
 */
TEST_F_TIMEOUT(modes, adaptive_poll, 300)
{
	long long ns, commands, polled;
	const char *missing;
	bool skip;
	char cmd[512];

	missing = modes_ready(self, variant->kind, &skip);
	if (skip)
		SKIP(return, "%s", missing);
	ASSERT_EQ(NULL, missing) TH_LOG("%s: %s", missing, self->out);
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
			     "link set poll-us %d", POLL_US))
		TH_LOG("%s", self->out);

	ns = zoc_dev_stat(DISK, "svm_poll_ns");
	commands = zoc_dev_stat(DISK, "commands");
	snprintf(cmd, sizeof(cmd), FIO_PACE, self->dev, PHASE_SECS,
		 "--rate_iops=20 --iodepth=1");
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out), "%s", cmd))
		TH_LOG("fio: %s", self->out);
	ns = zoc_dev_stat(DISK, "svm_poll_ns") - ns;
	commands = zoc_dev_stat(DISK, "commands") - commands;
	TH_LOG("sparse: %lld commands, %lld us polling", commands, ns / 1000);
	ASSERT_LT(0, commands);
	EXPECT_LT(ns / commands, POLL_US * 1000 / 8);

	polled = zoc_dev_stat(DISK, "svm_polled");
	commands = zoc_dev_stat(DISK, "commands");
	snprintf(cmd, sizeof(cmd), FIO_PACE, self->dev, PHASE_SECS,
		 "--iodepth=16");
	ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out), "%s", cmd))
		TH_LOG("fio: %s", self->out);
	polled = zoc_dev_stat(DISK, "svm_polled") - polled;
	commands = zoc_dev_stat(DISK, "commands") - commands;
	TH_LOG("busy: %lld commands, %lld found by polling", commands, polled);
	EXPECT_LT(0, polled);
	EXPECT_EQ(0, zoc_dev_stat(DISK, "errors"));
}

#define VDISK		"md1"

/*
 * An NVMe disk DISK on the volume vda and a virtio-blk disk VDISK on vdb,
 * their block devices into @dev and @vdev (@len bytes each), zocctl's
 * output into @out.  Return: NULL, or what is missing.
 */
static const char *add_disks(int *added, char *dev, int *vadded, char *vdev,
			     size_t len, char *out, size_t out_len)
{
	if (zoc_disk_add(DISK, "nvme", "vda", added, dev, len, out, out_len))
		return "no NVMe disk";
	if (zoc_disk_add(VDISK, "virtio-blk", "vdb", vadded, vdev, len, out,
			 out_len))
		return "no virtio-blk disk";
	return NULL;
}

/*
 * fio on the NVMe disk and on the virtio-blk disk, a job on each host CPU
 * for each (%d for CPU 0, %d for CPU 1), so that every queue of theirs
 * is busy; until stopped
 */
#define FIO4_JOB(name, cpu, off) \
	" --name=" name " --filename=%s --cpus_allowed=" cpu " --offset=" off
#define FIO4 \
	"fio --rw=randrw --bs=4k --direct=1 --ioengine=libaio --size=24m " \
	ZOC_FIO_UNTIL_STOPPED \
	" --verify=crc32c --verify_fatal=1 --group_reporting --iodepth=16" \
	FIO4_JOB("nvme0", "0", "160m") FIO4_JOB("nvme1", "1", "192m") \
	FIO4_JOB("vblk0", "0", "160m") FIO4_JOB("vblk1", "1", "192m")

/* fio on the NVMe disk and on the virtio-blk disk at once */
#define FIO2 \
	"fio --rw=randrw --bs=4k --direct=1 --ioengine=libaio --size=32m " \
	ZOC_FIO_UNTIL_STOPPED \
	" --verify=crc32c --verify_fatal=1 --group_reporting --iodepth=16 --offset=160m --name=nvme --filename=%s --name=vblk --filename=%s"

/*
 * The service VM's vCPUs and memory, hot-plugged under an NVMe and a
 * virtio-blk disk at once.  Its own fixture: the lab's QEMU (Debian's
 * 7.2, TCG) dies of a double free when a vCPU is added again after one
 * was removed, so a service VM takes one round.
 */
FIXTURE(svm_hotplug) {
	int lab;
	int added;
	int vadded;
	pid_t fio;
	char dev[64];
	char vdev[64];
	char out[4096];
};

FIXTURE_SETUP(svm_hotplug)
{
	self->lab = -1;
}

/* Whatever failed: fio and the disks are gone, a vCPU added too. */
FIXTURE_TEARDOWN(svm_hotplug)
{
	zoc_fio_kill(&self->fio);
	if (self->added)
		zoc_ctl(NULL, 0, "dev del " DISK);
	if (self->vadded)
		zoc_ctl(NULL, 0, "dev del " VDISK);
	if (self->lab >= 0) {
		/* an error if none was added */
		zoc_lab_query(self->lab, "svm-cpu del", NULL, 0);
		close(self->lab);
	}
}

/*
 * The disks, their resets so far into *@resets and *@vresets, and fio on
 * every host CPU on both (FIO4); @self is FIXTURE_DATA(svm_hotplug),
 * spelled out as checkpatch reads it.  Return: NULL, or what failed.
 */
static const char *hotplug_fio(struct _test_data_svm_hotplug *self,
			       long long *resets, long long *vresets)
{
	char cmd[1024];
	const char *missing;

	missing = add_disks(&self->added, self->dev, &self->vadded,
			    self->vdev, sizeof(self->dev), self->out,
			    sizeof(self->out));
	if (missing)
		return missing;
	*resets = zoc_dev_stat(DISK, "resets");
	*vresets = zoc_dev_stat(VDISK, "resets");
	snprintf(cmd, sizeof(cmd), "exec " FIO4 " >" FIO_LOG " 2>&1",
		 FIO_MAX_SECS, self->dev, self->dev, self->vdev, self->vdev);
	self->fio = zoc_fio_spawn(cmd);
	return self->fio > 0 ? NULL : "fio did not start";
}

/*
 * Stop fio: it ends with no error, and neither disk was reset (from
 * @resets and @vresets) nor failed a command.  Return: NULL, or what went
 * wrong (fio's output in @self->out).
 */
static const char *hotplug_fio_stop(struct _test_data_svm_hotplug *self,
				    long long resets, long long vresets)
{
	if (zoc_fio_stop(&self->fio, PHASE_SECS, FIO_LOG, self->out,
			 sizeof(self->out)))
		return "fio failed, or did not end";
	if (zoc_dev_stat(DISK, "resets") != resets ||
	    zoc_dev_stat(VDISK, "resets") != vresets)
		return "a disk was reset";
	if (zoc_dev_stat(DISK, "errors") || zoc_dev_stat(VDISK, "errors"))
		return "a disk failed commands";
	return NULL;
}

/*
 * A vCPU hot-added to the service VM (QMP device_add, through the lab
 * runner) under fio on every host CPU, and removed again: the service VM
 * brings it online (zoc-fw), the proxies' spread gives it its share of
 * the device queues (at least a tenth of their works each), I/O runs on
 * it (its busy ticks grow), and it goes offline and away with no I/O
 * error; fio goes on, with the one vCPU left, which takes every queue.
 */
TEST_F_TIMEOUT(svm_hotplug, cpu_under_fio, 600)
{
	const char *missing;
	bool skip;
	long long busy, before, resets, vresets, q0, q1, d0, d1;
	char online[32];

	missing = ready_for_fio(&self->lab, &skip, self->out,
				sizeof(self->out));
	if (skip)
		SKIP(return, "%s", missing);
	ASSERT_EQ(NULL, missing) TH_LOG("%s: %s", missing, self->out);
	ASSERT_EQ(0, zoc_svm_cpus(self->lab, 0, online, sizeof(online), &busy));
	ASSERT_STREQ("0", online);
	missing = hotplug_fio(self, &resets, &vresets);
	ASSERT_EQ(NULL, missing) TH_LOG("%s: %s", missing, self->out);
	sleep(SETTLE_SECS);
	ASSERT_EQ(0, zoc_lab_query(self->lab, "svm-cpu add", self->out,
				   sizeof(self->out)))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_svm_cpus_wait(self->lab, "0-1"))
		TH_LOG("the added vCPU did not come online");
	ASSERT_EQ(0, zoc_svm_cpus(self->lab, 1, online, sizeof(online), &before));
	q0 = zoc_svm_queued(self->lab, 0);
	q1 = zoc_svm_queued(self->lab, 1);
	ASSERT_LE(0, q0);
	ASSERT_LE(0, q1);
	sleep(PHASE_SECS);
	ASSERT_EQ(0, zoc_svm_cpus(self->lab, 1, online, sizeof(online), &busy));
	d0 = zoc_svm_queued(self->lab, 0) - q0;
	d1 = zoc_svm_queued(self->lab, 1) - q1;
	TH_LOG("cpu1 busy %lld ticks in %d s; queue works on cpu0 %lld, cpu1 %lld",
	       busy - before, PHASE_SECS, d0, d1);
	EXPECT_LT(before, busy) TH_LOG("cpu1 did nothing");
	EXPECT_LE(d0 + d1, 10 * d0) TH_LOG("cpu0 had too few queues");
	EXPECT_LE(d0 + d1, 10 * d1) TH_LOG("cpu1 had too few queues");
	EXPECT_LT(0, d0 + d1);
	ASSERT_EQ(0, zoc_fio_running(&self->fio, FIO_LOG, self->out,
				     sizeof(self->out)))
		TH_LOG("fio ended: %s", self->out);
	ASSERT_EQ(0, zoc_lab_query(self->lab, "svm-cpu del", self->out,
				   sizeof(self->out)))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_svm_cpus_wait(self->lab, "0"))
		TH_LOG("the removed vCPU is still online");

	/* Its queues went back to the one left. */
	q0 = zoc_svm_queued(self->lab, 0);
	q1 = zoc_svm_queued(self->lab, 1);
	sleep(PHASE_SECS);
	d0 = zoc_svm_queued(self->lab, 0) - q0;
	d1 = zoc_svm_queued(self->lab, 1) - q1;
	TH_LOG("with one vCPU: queue works on cpu0 %lld, cpu1 %lld", d0, d1);
	EXPECT_LT(0, d0);
	EXPECT_EQ(0, d1);

	/* fio, stopped, ends with no error; no driver reset its device. */
	missing = hotplug_fio_stop(self, resets, vresets);
	EXPECT_EQ(NULL, missing) TH_LOG("%s: %s", missing, self->out);
}

#define MEM_ADD_MIB	128

/*
 * The service VM's memory hot-plugged under fio on an NVMe and a
 * virtio-blk disk at once: its VMM grows its virtio-mem device by 128 MiB
 * (the lab runner, through QMP), the service VM plugs it and its
 * firmware brings a new memory block online, its kernel manages 128 MiB
 * more (less what the new memory's own page structures take), and fio
 * goes on with no I/O error and no reset.
 */
TEST_F_TIMEOUT(svm_hotplug, memory_under_fio, 600)
{
	long long kib, blocks, resets, vresets;
	const char *missing;
	char cmd[32];
	bool skip;

	missing = ready_for_fio(&self->lab, &skip, self->out,
				sizeof(self->out));
	if (skip)
		SKIP(return, "%s", missing);
	ASSERT_EQ(NULL, missing) TH_LOG("%s: %s", missing, self->out);
	ASSERT_EQ(0, zoc_svm_mem(self->lab, &kib, &blocks));
	missing = hotplug_fio(self, &resets, &vresets);
	ASSERT_EQ(NULL, missing) TH_LOG("%s: %s", missing, self->out);
	sleep(SETTLE_SECS);
	snprintf(cmd, sizeof(cmd), "svm-mem add %d", MEM_ADD_MIB);
	ASSERT_EQ(0, zoc_lab_query(self->lab, cmd, self->out,
				   sizeof(self->out)))
		TH_LOG("%s", self->out);
	missing = zoc_svm_mem_grew(self->lab, kib, blocks, MEM_ADD_MIB,
				   self->out, sizeof(self->out));
	EXPECT_EQ(NULL, missing) TH_LOG("%s: %s", missing, self->out);
	TH_LOG("service VM memory: %s", self->out);
	sleep(PHASE_SECS);

	/* fio, stopped, ends with no error; no driver reset its device. */
	missing = hotplug_fio_stop(self, resets, vresets);
	EXPECT_EQ(NULL, missing) TH_LOG("%s: %s", missing, self->out);
}

#define MAX_QUEUES	16	/* ZOC_LINK_MAX_QUEUES */
/* Two jobs on each disk, bound to CPU %d each, for 8 s */
#define FIO_CPU \
	"fio --rw=randrw --bs=4k --direct=1 --ioengine=libaio --size=16m --iodepth=8 " \
	"--time_based --runtime=8 --verify=crc32c --verify_fatal=1 --verify_state_save=0 " \
	"--group_reporting --cpus_allowed=%d --offset=160m --name=nvme --filename=%s " \
	"--name=vblk --filename=%s >" FIO_LOG " 2>&1"

/* Link counter @fmt (with queue number @q), or -1 */
static long long queue_field(const char *fmt, int q)
{
	char name[64];

	snprintf(name, sizeof(name), fmt, q);
	return zoc_link_field(name);
}

/*
 * The interrupts of data queue @q's vector taken on CPU @cpu so far, from
 * /proc/interrupts, where the queues' vectors come in order: -1 if there
 * is no such line.
 */
static long long queue_irqs(int q, int cpu)
{
	char out[64];

	if (zoc_sh(out, sizeof(out),
		   "grep zoc-link-queue /proc/interrupts | sed -n %dp | awk '{ print $%d }'",
		   q + 1, cpu + 2) || !out[0])
		return -1;
	return strtoll(out, NULL, 10);
}

FIXTURE(queues) {
	int lab;
	int added;
	int vadded;
	char dev[64];
	char vdev[64];
	char out[4096];
};

FIXTURE_SETUP(queues)
{
	self->lab = -1;
}

FIXTURE_TEARDOWN(queues)
{
	if (self->added)
		zoc_ctl(NULL, 0, "dev del " DISK);
	if (self->vadded)
		zoc_ctl(NULL, 0, "dev del " VDISK);
	if (self->lab >= 0)
		close(self->lab);
}

/*
 * One data queue per host CPU, each with its vector: fio bound to CPU c
 * rings through queue c, and the interrupts come back on queue c, taken
 * by its vector on CPU c; the control rings carry next to nothing.
 */
TEST_F_TIMEOUT(queues, one_per_cpu_under_fio, 600)
{
	long long req[MAX_QUEUES], cpl[MAX_QUEUES], irqs[MAX_QUEUES];
	long long ctrl, msgs, resets, vresets;
	const char *missing;
	bool skip;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int c, q, queues;
	char cmd[768];

	missing = ready_for_fio(&self->lab, &skip, self->out,
				sizeof(self->out));
	if (skip)
		SKIP(return, "%s", missing);
	ASSERT_EQ(NULL, missing) TH_LOG("%s: %s", missing, self->out);
	queues = zoc_link_field("queues");
	TH_LOG("%ld CPUs; data queues: %d in use, host %lld, service VM %lld",
	       cpus, queues, zoc_link_field("host_queues"),
	       zoc_link_field("svm_queues"));
	ASSERT_EQ(cpus < MAX_QUEUES ? cpus : MAX_QUEUES, queues)
		TH_LOG("not one data queue per CPU: are there vectors for them?");
	missing = add_disks(&self->added, self->dev, &self->vadded,
			    self->vdev, sizeof(self->dev), self->out,
			    sizeof(self->out));
	ASSERT_EQ(NULL, missing) TH_LOG("%s: %s", missing, self->out);
	resets = zoc_dev_stat(DISK, "resets");
	vresets = zoc_dev_stat(VDISK, "resets");

	for (c = 0; c < queues; c++) {
		for (q = 0; q < queues; q++) {
			req[q] = queue_field("q%d_req_msgs", q);
			cpl[q] = queue_field("q%d_cpl_msgs", q);
			irqs[q] = queue_irqs(q, q);
		}
		ctrl = zoc_link_field("req_msgs") + zoc_link_field("cpl_msgs");
		snprintf(cmd, sizeof(cmd), FIO_CPU, c, self->dev, self->vdev);
		ASSERT_EQ(0, zoc_sh(self->out, sizeof(self->out), "%s", cmd))
			TH_LOG("fio on CPU %d failed", c);
		ctrl = zoc_link_field("req_msgs") + zoc_link_field("cpl_msgs") -
		       ctrl;
		msgs = queue_field("q%d_req_msgs", c) - req[c];
		TH_LOG("fio on CPU %d: its queue took %lld doorbells, %lld interrupts",
		       c, msgs, queue_field("q%d_cpl_msgs", c) - cpl[c]);
		TH_LOG("its vector rang %lld times on it; control rings: %lld messages",
		       queue_irqs(c, c) - irqs[c], ctrl);
		EXPECT_LT(0, msgs);
		EXPECT_LT(0, queue_field("q%d_cpl_msgs", c) - cpl[c]);
		/* its vector, managed, is bound to its CPU */
		EXPECT_LT(irqs[c], queue_irqs(c, c));
		EXPECT_LT(ctrl * 10, msgs);
		for (q = 0; q < queues; q++) {
			EXPECT_EQ(0, queue_field("q%d_foreign", q));
			/* the other CPUs' queues carry a few at most */
			if (q != c)
				EXPECT_LT((queue_field("q%d_req_msgs", q) -
					   req[q]) * 10, msgs);
		}
	}
	EXPECT_EQ(resets, zoc_dev_stat(DISK, "resets"));
	EXPECT_EQ(vresets, zoc_dev_stat(VDISK, "resets"));
	EXPECT_EQ(0, zoc_dev_stat(DISK, "errors"));
	EXPECT_EQ(0, zoc_dev_stat(VDISK, "errors"));
}

TEST_HARNESS_MAIN
