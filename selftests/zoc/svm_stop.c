// SPDX-License-Identifier: GPL-2.0
/*
 * The service VM stops (SIGSTOP: alive, but neither beating nor touching
 * anything) while fio runs on one of its disks, NVMe or virtio-blk, and
 * continues after the host gave up on it: the disk stalls for the link's
 * outage limit (set to OUTAGE_MS here), then the host declares it gone
 * and keeps the pages its driver had given the device for DMA (held_pages
 * in the link's debugfs file dma) instead of freeing them: the service VM
 * could write them when it resumes.  What the host cannot hold (a driver's
 * small buffers in slab objects or in the request data blk-mq allocates:
 * virtio-blk's request headers and status bytes) went through bounce
 * pages of the bus's own, held the same way.  Once the service VM has
 * resumed and destroyed the disk's model, the host gives them back
 * (released_pages).  While it is stopped, this test takes half of the
 * host's free memory and fills it with a pattern: what the driver freed,
 * if the host did not hold it, is likely there, and must be unchanged
 * after the service VM ran again.  Then the host's memory is churned, so
 * that with page poisoning (the lab boots the host with page_poison=1) a
 * freed page the service VM wrote is reported when it is allocated again,
 * and the lab runner fails the kernel log.  Besides fio, a reader reads
 * the disk with O_DIRECT into memory it shares with the test; when its
 * read fails, it fills that memory with a pattern, which the service VM,
 * told by the host that the disk is gone, must not overwrite with the
 * failed read's data when it resumes.  The disk is deleted in bounded
 * time, and a new one works.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <linux/types.h>

#include "kselftest_harness.h"
#include "zoc_disk.h"

#define DISK		"ss0"
#define FIO_LOG		"/tmp/zoc-svm-stop-fio.log"
#define FIO \
	"fio --name=svm_stop --filename=%s --thread --rw=randrw --bs=4k --direct=1 --ioengine=libaio --iodepth=16 --offset=%dm --size=%dm --time_based --runtime=120 --verify=crc32c --verify_fatal=1"
#define CHUNK		(64 * 1024)
#define CHUNKS		8
#define READ_LEN	(64 * 1024)	/* the reader's reads */

#define GONE_SECS	60	/* for the host to give up on the service VM */
#define OUTAGE_MS	3000	/* the link's outage limit: stalled that long */
#define RELEASE_SECS	120	/* for the pages to come back once it resumed */
/* Stopped with the disk gone; short: its clock jumps as far on SIGCONT */
#define STOPPED_SECS	4

FIXTURE(svm_stop) {
	int lab;
	int stopped;
	int added;
	int limited;
	long long limit;
	pid_t fio;
	pid_t reader;
	__u64 *rbuf;
	int rpipe;
	char dev[64];
	char out[4096];
};

/*
 * A kind of disk (@kind, for zocctl), where fio runs on it (@fio_len_mib
 * MiB from @fio_mib MiB on) and where the new disk's pattern goes (8 MiB
 * from @pattern_mib MiB on); whether its driver maps buffers the host must
 * bounce (@bounces).  The ranges are clear of the patterns of the
 * nvme (0-128 MiB), reload (128-136 MiB) and virtio_blk (224-232 MiB)
 * selftests, which the lab runner checks in the backing file after
 * shutdown, and of the ranges the other selftests give fio (160-224 MiB).
 */
FIXTURE_VARIANT(svm_stop) {
	const char *kind;
	int fio_mib;
	int fio_len_mib;
	int pattern_mib;
	int bounces;
};

FIXTURE_VARIANT_ADD(svm_stop, nvme) {
	.kind = "nvme",
	.fio_mib = 136,
	.fio_len_mib = 16,
	.pattern_mib = 152,
};

FIXTURE_VARIANT_ADD(svm_stop, virtio_blk) {
	.kind = "virtio-blk",
	.fio_mib = 236,
	.fio_len_mib = 8,
	.pattern_mib = 244,
	.bounces = 1,
};

/* Half of the available memory, as a length to map, or 0. */
static size_t half_available(void)
{
	long long avail = zoc_file_field("/proc/meminfo", "MemAvailable");

	return avail > 0 ? (size_t)avail * 1024 / 2 : 0;
}

/*
 * Map about half of the available memory, touch every page and unmap it,
 * @rounds times: pages the host freed are allocated again, and page
 * poisoning checks that nothing wrote them meanwhile.
 * Return: 0 or -errno.
 */
static int churn_memory(int rounds)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len, off;
	char *p;

	while (rounds--) {
		len = half_available();
		if (!len)
			return -ENOENT;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		for (off = 0; off < len; off += page)
			p[off] = 1;
		munmap(p, len);
	}
	return 0;
}

/* What the canary holds at word @i. */
static __u64 canary_word(size_t i)
{
	return 0x5a0c5a0c00000000ULL ^ (i * 0x9e3779b97f4a7c15ULL);
}

/*
 * The canary: about half of the available memory, taken while the pages
 * the driver let go of are freshly freed, each word filled with a value
 * of its own.  A service VM that writes pages the host freed writes here.
 * Return: the mapping, of *@len bytes, or NULL.
 */
static __u64 *canary_fill(size_t *len)
{
	__u64 *p;
	size_t i;

	*len = half_available();
	if (!*len)
		return NULL;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (i = 0; i < *len / sizeof(*p); i++)
		p[i] = canary_word(i);
	return p;
}

/* Words of the canary at @p, of @len bytes, that changed. */
static size_t canary_count(const __u64 *p, size_t len)
{
	size_t i, bad = 0;

	for (i = 0; i < len / sizeof(*p); i++)
		bad += p[i] != canary_word(i);
	return bad;
}

/* Words of the canary that changed; the canary is unmapped. */
static size_t canary_check(__u64 *p, size_t len)
{
	size_t bad = canary_count(p, len);

	munmap(p, len);
	return bad;
}

/*
 * The reader: O_DIRECT reads of @dev into @buf (READ_LEN bytes, shared
 * with the test) from @off bytes on, until one fails; then, the disk
 * closed, @buf is filled with the canary and a byte goes to @fd.  It
 * closes @lab, the test's lab port, which takes one client.
 * Return: its pid, or -1.
 */
static pid_t reader_spawn(const char *dev, __u64 *buf, off_t off, int fd,
			  int lab)
{
	pid_t pid = fork();
	size_t i;
	int dfd;

	if (pid)
		return pid;
	close(lab);
	dfd = open(dev, O_RDONLY | O_DIRECT);
	if (dfd < 0)
		_exit(1);
	while (pread(dfd, buf, READ_LEN, off) == READ_LEN)
		;
	close(dfd);
	for (i = 0; i < READ_LEN / sizeof(*buf); i++)
		buf[i] = canary_word(i);
	_exit(write(fd, "", 1) != 1);
}

/* Is page poisoning on (page_poison=1 on the kernel command line)? */
static int page_poisoning(void)
{
	char line[1024] = "";
	FILE *f;

	f = fopen("/proc/cmdline", "r");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	return !!strstr(line, "page_poison=1");
}

/* Page poisoning reports in the kernel log so far. */
static int poison_reports(void)
{
	char out[32];

	zoc_sh(out, sizeof(out), "dmesg | grep -c 'pagealloc: '");
	return atoi(out);
}

/* The offsets of the new disk's pattern, from @mib MiB on. */
static void chunk_offs(off_t *off, int mib)
{
	int i;

	for (i = 0; i < CHUNKS; i++)
		off[i] = ((off_t)mib + i) << 20;
}

/*
 * Nothing that can skip: with the kselftest harness of 6.1 the test runs
 * after a SKIP in its fixture's setup.
 */
FIXTURE_SETUP(svm_stop)
{
	self->lab = -1;
	self->rpipe = -1;
}

/* Whatever failed: the service VM runs again, fio is gone, so is the disk. */
FIXTURE_TEARDOWN(svm_stop)
{
	int killed;

	if (self->stopped && zoc_lab_cmd(self->lab, "svm-cont"))
		TH_LOG("could not continue the service VM");
	if (self->fio > 0) {
		kill(self->fio, SIGKILL);
		zoc_reap(self->fio, 10, &killed);
	}
	if (self->reader > 0) {
		kill(self->reader, SIGKILL);
		zoc_reap(self->reader, 10, &killed);
	}
	if (self->rpipe >= 0)
		close(self->rpipe);
	if (self->rbuf)
		munmap(self->rbuf, READ_LEN);
	if (self->added)
		zoc_ctl(NULL, 0, "dev del " DISK);
	if (self->limited &&
	    zoc_ctl(NULL, 0, "link set outage-limit %lld", self->limit))
		TH_LOG("the outage limit was not set back");
	if (self->lab >= 0)
		close(self->lab);
}

TEST_F_TIMEOUT(svm_stop, stop_during_fio, 600)
{
	unsigned long long seed = (unsigned long long)time(NULL) << 20 ^ getpid();
	long long held, released0, released, leaked0, held0, bounced0;
	const char *missing = zoc_link_missing();
	int poisoned, st, killed, ret, pfd[2], stalled = 0;
	size_t canary_len, bad;
	__u64 *canary;
	off_t off[CHUNKS];
	char cmd[512], out1[1];
	time_t start;

	if (missing)
		SKIP(return, "%s", missing);
	if (access(ZOC_DMA_FILE, R_OK))
		SKIP(return, "no %s: the host keeps no DMA pages back", ZOC_DMA_FILE);
	missing = zoc_lab_open_for_fio(&self->lab);
	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	self->limit = zoc_outage_limit(0);
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out),
			     "link set outage-limit %d", OUTAGE_MS))
		TH_LOG("%s", self->out);
	self->limited = 1;
	ASSERT_EQ(0, zoc_disk_add(DISK, variant->kind, "vda",
				  &self->added, self->dev, sizeof(self->dev),
				  self->out, sizeof(self->out)))
		TH_LOG("no disk with a namespace: %s", self->out);
	if (!page_poisoning())
		TH_LOG("no page_poison=1: a write to a freed page goes unnoticed");
	poisoned = poison_reports();
	held0 = zoc_dma_field("held_pages");
	released0 = zoc_dma_field("released_pages");
	leaked0 = zoc_dma_field("leaked_pages");
	ASSERT_LE(0, held0) TH_LOG("no held_pages in " ZOC_DMA_FILE);
	ASSERT_LE(0, released0) TH_LOG("no released_pages in " ZOC_DMA_FILE);
	ASSERT_LE(0, leaked0) TH_LOG("no leaked_pages in " ZOC_DMA_FILE);
	bounced0 = zoc_dma_field("bounced_maps");
	ASSERT_LE(0, bounced0) TH_LOG("no bounced_maps in " ZOC_DMA_FILE);

	/* fio on the disk, then the service VM stops under it. */
	snprintf(cmd, sizeof(cmd), "exec " FIO " >" FIO_LOG " 2>&1", self->dev,
		 variant->fio_mib, variant->fio_len_mib);
	self->fio = zoc_spawn(cmd);
	ASSERT_LT(0, self->fio);
	sleep(5);
	ASSERT_EQ(0, waitpid(self->fio, &st, WNOHANG)) {
		self->fio = 0;
		zoc_sh(self->out, sizeof(self->out), "tail -5 " FIO_LOG);
		TH_LOG("fio ended before the stop: %s", self->out);
	}
	self->rbuf = mmap(NULL, READ_LEN, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->rbuf) self->rbuf = NULL;
	ASSERT_EQ(0, pipe(pfd));
	self->rpipe = pfd[0];
	self->reader = reader_spawn(self->dev, self->rbuf,
				    (off_t)variant->fio_mib << 20, pfd[1],
				    self->lab);
	close(pfd[1]);
	ASSERT_LT(0, self->reader);
	sleep(1);
	self->stopped = 1;
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-stop"));
	start = time(NULL);

	/* The host gives up on it: the disk is gone, its driver removed. */
	do {
		ret = zoc_ctl(self->out, sizeof(self->out), "dev show " DISK);
		stalled |= !ret && strstr(self->out, "state stalled");
		if (!ret && strstr(self->out, "state gone") &&
		    access(self->dev, F_OK))
			break;
		usleep(500 * 1000);
	} while (time(NULL) < start + GONE_SECS);
	ASSERT_NE(NULL, strstr(self->out, "state gone"))
		TH_LOG("not gone %d s after the stop: %s", GONE_SECS, self->out);
	EXPECT_TRUE(stalled) TH_LOG("never seen stalled before it was gone");
	ASSERT_NE(0, access(self->dev, F_OK))
		TH_LOG("%s outlived its function", self->dev);
	held = zoc_dma_field("held_pages");
	TH_LOG("gone %ld s after the stop, %lld pages held, %lld maps bounced",
	       (long)(time(NULL) - start), held,
	       zoc_dma_field("bounced_maps") - bounced0);
	if (variant->bounces)
		EXPECT_LT(bounced0, zoc_dma_field("bounced_maps"))
			TH_LOG("its driver's small buffers were not bounced");

	/* The reader's read failed, and it filled its buffer. */
	ASSERT_EQ(1, read(self->rpipe, out1, 1))
		TH_LOG("the reader did not see its read fail");
	zoc_reap(self->reader, 10, &killed);
	self->reader = 0;

	/*
	 * What its driver freed, unless held, is ours now: in the canary,
	 * across the service VM's return.
	 */
	canary = canary_fill(&canary_len);
	ASSERT_NE(NULL, canary);
	sleep(STOPPED_SECS);
	EXPECT_LE(held, zoc_dma_field("held_pages"))
		TH_LOG("held pages went while the service VM was stopped");

	/* It continues: it destroys the model, the host gets the pages back. */
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-cont"));
	self->stopped = 0;
	start = time(NULL);
	do {
		released = zoc_dma_field("released_pages");
		if (!zoc_dma_field("held_pages") && released > released0)
			break;
		usleep(500 * 1000);
	} while (time(NULL) < start + RELEASE_SECS);
	bad = canary_check(canary, canary_len);
	EXPECT_EQ(0, bad)
		TH_LOG("the service VM wrote %zu words of the %zu MiB the host freed and gave us",
		       bad, canary_len >> 20);
	EXPECT_LT(0, held) TH_LOG("no page of the gone disk was held");
	bad = canary_count(self->rbuf, READ_LEN);
	EXPECT_EQ(0, bad)
		TH_LOG("the service VM wrote %zu words of the reader's failed read",
		       bad);
	EXPECT_EQ(0, zoc_dma_field("held_pages"))
		TH_LOG("pages still held %d s after the service VM continued",
		       RELEASE_SECS);
	EXPECT_LT(released0, released);
	TH_LOG("%lld pages released %ld s after the service VM continued",
	       released - released0, (long)(time(NULL) - start));
	EXPECT_LE(held, released - released0);
	EXPECT_EQ(leaked0, zoc_dma_field("leaked_pages"))
		TH_LOG("pages leaked though the service VM answered");
	/* A page it wrote after the host freed it would be reported now. */
	EXPECT_EQ(0, churn_memory(3));
	EXPECT_EQ(poisoned, poison_reports())
		TH_LOG("page poisoning found a freed page written to");

	/* fio has failed (or is killed); its disk has left the host. */
	ret = zoc_reap(self->fio, 60, &killed);
	self->fio = 0;
	ASSERT_LE(0, ret) TH_LOG("fio does not die");
	if (killed)
		TH_LOG("fio was still running 60 s after the service VM continued");
	else
		TH_LOG("fio ended with status %d",
		       WIFEXITED(ret) ? WEXITSTATUS(ret) : -1);

	/* The gone disk is deleted in bounded time. */
	start = time(NULL);
	ASSERT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " DISK))
		TH_LOG("%s", self->out);
	self->added = 0;
	EXPECT_GT(30, time(NULL) - start)
		TH_LOG("deletion took %ld s", (long)(time(NULL) - start));

	/* A new disk works, and what it writes reaches the backing file. */
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT))
		TH_LOG("the link did not come back");
	ASSERT_EQ(0, zoc_disk_add(DISK, variant->kind, "vda",
				  &self->added, self->dev, sizeof(self->dev),
				  self->out, sizeof(self->out)))
		TH_LOG("no disk with a namespace: %s", self->out);
	chunk_offs(off, variant->pattern_mib);
	EXPECT_EQ(0, zoc_pattern_leave(self->dev, seed, off, CHUNKS, CHUNK,
				       &self->lab));
	EXPECT_EQ(0, zoc_ctl(self->out, sizeof(self->out), "dev del " DISK))
		TH_LOG("%s", self->out);
	self->added = 0;
	/* The new disk's driver took memory again: none was written. */
	EXPECT_EQ(poisoned, poison_reports())
		TH_LOG("page poisoning found a freed page written to");
}

TEST_HARNESS_MAIN
