// SPDX-License-Identifier: GPL-2.0
/*
 * Namespaces: an NVMe controller made of several volumes (namespace 1 the
 * first, 2 the next...), and volumes attached to and detached from a
 * running controller, as cloud disks are hot-attached: the service VM's
 * model raises a Namespace Attribute Changed event, and the host's nvme
 * driver scans again by itself, so that the namespace comes (and goes)
 * with no rescan by hand, in sysfs and in "nvme list".  Another namespace
 * of the same controller runs fio verify meanwhile, with no error.  The
 * namespaces are refused as volumes are (unlisted, in use), besides those
 * of their own (taken, missing, not an NVMe device).  A controller's
 * namespaces survive its service VM's restart.
 *
 * The lab's volumes: vdb, a disk of the service VM; vol-a and vol-b, the
 * storage node's (tools/lab/zoc-lab).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <string.h>

#include "kselftest_harness.h"
#include "zoc_disk.h"

#define NAME		"nsA"
#define NAME_VBLK	"nsB"
#define LOCAL		"vdb"
#define REMOTE		"vol-a"
#define REMOTE2		"vol-b"
#define REMOTE_NGUID	"5a4f432d52454d2d412d303030303031"

#define CHUNK		(64 * 1024)
#define CHUNKS		8
/* clear of fio's range (64 MiB on) */
#define CHUNK_STRIDE	(1024 * 1024)

/* fio verifying on %s until stopped (at most %d s), its log in FIO_LOG */
#define FIO_LOG		"/tmp/zoc-namespaces-fio.log"
#define FIO_OPTS \
	"--offset=64m --size=16m --direct=1 --rw=randrw --bs=4k --verify=crc32c --verify_fatal=1 --ioengine=libaio --iodepth=8"
#define FIO_LONG \
	"fio --name=zoc --filename=%s " FIO_OPTS " " ZOC_FIO_UNTIL_STOPPED \
	" >" FIO_LOG " 2>&1"

FIXTURE(namespaces) {
	char out[8192];
	char dev[64];
	char dev2[64];
	off_t off[CHUNKS];
	unsigned long long seed;
};

FIXTURE_SETUP(namespaces)
{
	const char *missing = zoc_link_missing();
	int i;

	if (missing)
		SKIP(return, "%s", missing);
	if (zoc_missing("zocctl"))
		SKIP(return, "zocctl is needed");
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	for (i = 0; i < CHUNKS; i++)
		self->off[i] = 24 * CHUNK_STRIDE + (off_t)i * CHUNK_STRIDE +
			       (i * 4096) % 65536;
	self->seed = (unsigned long long)time(NULL) << 16 ^ getpid();
}

FIXTURE_TEARDOWN(namespaces)
{
	if (zoc_setup_skipped(_metadata))
		return;
	zoc_ctl(NULL, 0, "dev del %s", NAME);
	zoc_ctl(NULL, 0, "dev del %s", NAME_VBLK);
}

/* Wait up to @secs for block device @dev to go; 0 once gone. */
static int gone(const char *dev, int secs)
{
	time_t end = time(NULL) + secs;

	while (!access(dev, F_OK) && time(NULL) < end)
		usleep(200 * 1000);
	return access(dev, F_OK) ? 0 : -1;
}

/* Whether "nvme list" shows block device @dev. */
static bool nvme_lists(const char *dev, char *out, size_t len)
{
	return !zoc_sh(out, len, "nvme list 2>&1") && strstr(out, dev);
}

/* The NGUID of namespace block device @dev, its hex digits only, into @buf. */
static void nguid_of(const char *dev, char *buf, size_t len)
{
	char dir[160], *s, *d;

	snprintf(dir, sizeof(dir), "/sys/block/%s", dev + 5);
	zoc_read_attr(dir, "nguid", buf, len);
	for (s = d = buf; *s; s++)
		if (isxdigit((unsigned char)*s))
			*d++ = *s;
	*d = '\0';
}

/* Made of two volumes: two namespaces, the second with its own identity. */
TEST_F_TIMEOUT(namespaces, two_volumes_at_create, 600)
{
	char nguid[64];

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_ctl_again(self->out, sizeof(self->out),
				   "dev add nvme name %s volume %s volume %s queues 2",
				   NAME, LOCAL, REMOTE))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "namespaces 1:" LOCAL ",2:" REMOTE))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_nvme_nsid(NAME, 1, self->dev, sizeof(self->dev), 120));
	ASSERT_EQ(0, zoc_nvme_nsid(NAME, 2, self->dev2, sizeof(self->dev2),
				   120));
	nguid_of(self->dev2, nguid, sizeof(nguid));
	EXPECT_EQ(0, strcmp(nguid, REMOTE_NGUID)) TH_LOG("nguid '%s'", nguid);
	EXPECT_TRUE(nvme_lists(self->dev2, self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_pattern_io(self->dev2, self->seed, 0, self->off,
				    CHUNKS, CHUNK));
	ASSERT_EQ(0, zoc_pattern_io(self->dev2, self->seed, 1, self->off,
				    CHUNKS, CHUNK));
	/* Namespace 1 is the local volume, namespace 2 the remote one */
	EXPECT_EQ(-EILSEQ, zoc_pattern_io(self->dev, self->seed, 1, self->off,
					  CHUNKS, CHUNK));
}

/*
 * Hot-attach and hot-detach, while namespace 1 runs fio verify: each
 * namespace comes and goes by itself, and namespace 1 sees no error.
 */
TEST_F_TIMEOUT(namespaces, hot_attach_detach_under_fio, 900)
{
	char cmd[512], dev3[64];
	pid_t fio;

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_ctl_again(self->out, sizeof(self->out),
				   "dev add nvme name %s volume %s queues 2", NAME,
				   LOCAL))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_nvme_nsid(NAME, 1, self->dev, sizeof(self->dev), 120));
	snprintf(cmd, sizeof(cmd), FIO_LONG, self->dev, 600);
	fio = zoc_fio_spawn(cmd);
	ASSERT_LT(0, fio);
	sleep(5);

	/* attached: the lowest free namespace, 2 */
	EXPECT_EQ(0, zoc_ctl_again(self->out, sizeof(self->out),
				   "ns add %s volume %s", NAME, REMOTE))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "namespaces 1:" LOCAL ",2:" REMOTE))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_nvme_nsid(NAME, 2, self->dev2, sizeof(self->dev2),
				   60))
		TH_LOG("namespace 2 never came");
	EXPECT_TRUE(nvme_lists(self->dev2, self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_pattern_io(self->dev2, self->seed, 0, self->off,
				    CHUNKS, CHUNK));
	EXPECT_EQ(0, zoc_pattern_io(self->dev2, self->seed, 1, self->off,
				    CHUNKS, CHUNK));

	/* and one more, at the namespace asked for */
	EXPECT_EQ(0, zoc_ctl_again(self->out, sizeof(self->out),
				   "ns add dev %s volume %s nsid 5", NAME, REMOTE2))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_nvme_nsid(NAME, 5, dev3, sizeof(dev3), 60))
		TH_LOG("namespace 5 never came");
	EXPECT_EQ(0, zoc_fio_running(&fio, FIO_LOG, self->out,
				     sizeof(self->out)))
		TH_LOG("fio ended: %s", self->out);

	/* detached: gone from the host, by itself */
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "ns del %s nsid 2",
			     NAME))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, gone(self->dev2, 60))
		TH_LOG("%s still there", self->dev2);
	EXPECT_FALSE(nvme_lists(self->dev2, self->out, sizeof(self->out)))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "ns del %s nsid 5",
			     NAME))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, gone(dev3, 60)) TH_LOG("%s still there", dev3);
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev show %s",
			     NAME));
	EXPECT_NE(NULL, strstr(self->out, "namespaces 1:" LOCAL "\n"))
		TH_LOG("%s", self->out);

	/* attached again: the data written before is there */
	EXPECT_EQ(0, zoc_ctl_again(self->out, sizeof(self->out),
				   "ns add %s volume %s", NAME, REMOTE))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_nvme_nsid(NAME, 2, self->dev2, sizeof(self->dev2),
				   60));
	EXPECT_EQ(0, zoc_pattern_io(self->dev2, self->seed, 1, self->off,
				    CHUNKS, CHUNK));
	EXPECT_EQ(0, zoc_fio_stop(&fio, 2, FIO_LOG, self->out,
				  sizeof(self->out)))
		TH_LOG("fio: %s", self->out);
	zoc_fio_kill(&fio);
}

/* "zocctl @args" fails, saying @why. */
static void refused(struct __test_metadata *_metadata, char *out,
		    size_t len, const char *args, const char *why)
{
	int ret = zoc_ctl(out, len, "%s", args);

	EXPECT_EQ(1, ret) TH_LOG("%s: %s", args, out);
	EXPECT_NE(NULL, strstr(out, why)) TH_LOG("%s: %s", args, out);
}

/* What cannot be attached or detached says why, and changes nothing. */
TEST_F_TIMEOUT(namespaces, refused_with_reasons, 300)
{
	char *o = self->out;
	size_t n = sizeof(self->out);

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_ctl_again(o, n, "dev add nvme name %s volume %s queues 2",
				   NAME, LOCAL))
		TH_LOG("%s", o);
	ASSERT_EQ(0, zoc_nvme_nsid(NAME, 1, self->dev, sizeof(self->dev), 120));
	refused(_metadata, o, n, "ns add " NAME " volume vol-none",
		"configuration lists no such volume");
	refused(_metadata, o, n, "ns add " NAME " volume loop0",
		"configuration lists no such volume");
	refused(_metadata, o, n, "ns add " NAME " volume " LOCAL,
		"in use by another device");
	refused(_metadata, o, n, "ns add " NAME " volume " REMOTE " nsid 1",
		"attached already");
	refused(_metadata, o, n, "ns del " NAME " nsid 3", "no such namespace");
	refused(_metadata, o, n, "ns add nsNone volume " REMOTE,
		"no device of that name");
	ASSERT_EQ(0, zoc_ctl_again(o, n, "dev add virtio-blk name %s volume %s",
				   NAME_VBLK, REMOTE2))
		TH_LOG("%s", o);
	refused(_metadata, o, n, "ns add " NAME_VBLK " volume " REMOTE,
		"only NVMe controllers have namespaces");
	/* zocctl's own checks */
	EXPECT_EQ(2, zoc_ctl(o, n, "ns add " NAME " volume " REMOTE " nsid 17"))
		TH_LOG("%s", o);
	EXPECT_EQ(2, zoc_ctl(o, n, "ns del " NAME)) TH_LOG("%s", o);
	/* nothing changed: one namespace, which works */
	EXPECT_EQ(0, zoc_ctl(o, n, "dev show %s", NAME));
	EXPECT_NE(NULL, strstr(o, "namespaces 1:" LOCAL "\n")) TH_LOG("%s", o);
	EXPECT_EQ(0, zoc_pattern_io(self->dev, self->seed, 0, self->off,
				    CHUNKS, CHUNK));
	EXPECT_EQ(0, zoc_pattern_io(self->dev, self->seed, 1, self->off,
				    CHUNKS, CHUNK));
}

/*
 * A controller's namespaces survive its service VM: the new one takes the
 * controller over with both, and a hot-detach after works.
 */
TEST_F_TIMEOUT(namespaces, survive_svm_restart, 900)
{
	long long epoch = zoc_link_field("svm_epoch");
	char reply[256];
	int lab;

	if (zoc_setup_skipped(_metadata))
		return;
	lab = zoc_lab_open();
	if (lab < 0)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	ASSERT_EQ(0, zoc_ctl_again(self->out, sizeof(self->out),
				   "dev add nvme name %s volume %s queues 2", NAME,
				   LOCAL))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_ctl_again(self->out, sizeof(self->out),
				   "ns add %s volume %s", NAME, REMOTE))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, zoc_nvme_nsid(NAME, 2, self->dev2, sizeof(self->dev2),
				   60));
	ASSERT_EQ(0, zoc_pattern_io(self->dev2, self->seed, 0, self->off,
				    CHUNKS, CHUNK));
	EXPECT_EQ(0, zoc_lab_query(lab, "svm-restart", reply, sizeof(reply)))
		TH_LOG("%s", reply);
	close(lab);
	EXPECT_EQ(0, zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT));
	EXPECT_EQ(0, zoc_dev_wait_state(NAME, "up", self->out,
					sizeof(self->out), 180))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, zoc_pattern_io(self->dev2, self->seed, 1, self->off,
				    CHUNKS, CHUNK));
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "ns del %s nsid 2",
			     NAME))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, gone(self->dev2, 60));
}

TEST_HARNESS_MAIN
