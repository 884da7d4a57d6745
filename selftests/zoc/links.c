// SPDX-License-Identifier: GPL-2.0
/*
 * Two links alive at once, each with its own functions: the first carries
 * an NVMe disk of the real service VM under fio, the second (its bare-metal
 * transport, /dev/zoc-link1) a service VM played by this program that
 * serves a test device.  Each link's bus is a PCI domain of its own, the
 * names of devices are per link, and management reaches each link by its
 * number.  Then the second link is torn down while the first carries I/O,
 * with an outage limit of 0 (no stall: zocctl link set, per link): its
 * device is gone and deleted in bounded time, and the first link's
 * disk never sees an error.
 *
 * The second link's service VM then turns hostile while the host deletes
 * one of its virtio-blk devices, bound to the stock virtio drivers: it
 * answers no destroy request and its device never reads as reset.  The
 * deletion must still end, in bounded time, and the first link must not
 * notice.  What the stock driver freed is held by the bus meanwhile, as
 * the model never acknowledged its end; it comes back once the service VM
 * can no longer reach host memory (its transport closed, its window
 * unmapped).  A virtio-blk device that is hostile from the start never lets
 * the stock driver's probe finish: adding it must fail, in bounded time.
 * A service VM that goes on beating but answers no register read: each
 * read stalls the function, which it serves again once it beat, until
 * the third in a row makes the function gone, in bounded time.
 *
 * The lab's host has two apertures (zoc_host aperture=A,B) for this.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "fake_svm.h"
#include "zoc_disk.h"

#define LINK1		ZOC_DEBUGFS_ROOT "/link1"
#define LINK1_BUS	ZOC_TEST_ROOT "/link1/bus"
#define DMA1		LINK1 "/dma"
#define DISK		"ld0"
/*
 * fio on link 0's disk in the background, its exit status in a file; clear
 * of the pattern the nvme and virtio_blk selftests leave in 0-128 MiB
 */
#define FIO "rm -f /tmp/zoc-fio.rc; (fio --name=links --filename=%s --rw=randrw --bs=4k --direct=1 --ioengine=libaio --iodepth=8 --offset=160m --size=64m --time_based --runtime=60 --verify=crc32c --verify_fatal=1; echo $? >/tmp/zoc-fio.rc) >/tmp/zoc-fio.log 2>&1 &"

/* Link 1's service VM, played by this program, and what it holds. */
struct link1_svm {
	struct fake_svm f;
	pthread_t thread;
	off_t size;
	int dev, win;
};

/*
 * A forwarded register read spins, interrupts off, until the service VM
 * answers or its deadline passes.  A real service VM answers from vCPUs
 * on host CPUs of their own; a thread of ours woken by the reading CPU
 * may be queued on that very CPU, which cannot run it before the
 * deadline.  So, as a vCPU, link 1's service VM runs on the last CPU
 * while this thread reads link 1's registers on the others, and at a
 * real-time priority, as a vCPU is not queued behind the host's own
 * programs (fio, here, on the other link's disk, which on a sanitizer
 * kernel kept it from answering a read in time).  With one CPU, nothing
 * is pinned.  (Reads the test does not make, as a stock driver's probe,
 * may come from any CPU: there the service VM is left free to move.)
 */
static void link1_own_cpu(struct link1_svm *s)
{
	struct sched_param rt = { .sched_priority = 1 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), i;
	cpu_set_t set;

	if (cpus < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpus - 1, &set);
	pthread_setaffinity_np(s->thread, sizeof(set), &set);
	pthread_setschedparam(s->thread, SCHED_FIFO, &rt);
	CPU_ZERO(&set);
	for (i = 0; i < cpus - 1; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* This thread may run on any CPU again. */
static void link1_any_cpu(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), i;
	cpu_set_t set;

	CPU_ZERO(&set);
	for (i = 0; i < cpus; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Link 1 up, its service VM serving devices: NULL if it did not come up. */
static struct link1_svm *link1_up(struct __test_metadata *_metadata,
				  int stubborn)
{
	struct link1_svm *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->f.serve = 1;
	s->f.stubborn = stubborn;
	s->dev = fake_svm_open(_metadata, &s->f, 1, &s->win, &s->size);
	if (s->dev < 0 || fake_svm_start(&s->f, &s->thread)) {
		TH_LOG("link 1 did not come up");
		return NULL;
	}
	return s;
}

/* Link 1 torn down: its service VM stops, its transport goes. */
static void link1_down(struct __test_metadata *_metadata, struct link1_svm *s)
{
	fake_svm_stop(&s->f, s->thread);
	fake_svm_close(_metadata, &s->f, s->dev, s->win, s->size);
	free(s);
}

FIXTURE(links) {
	char dev[64];
};

/* Why the second link cannot be played here, or NULL. */
static const char *link1_missing(void)
{
	if (access("/dev/zoc-link1", R_OK) || access(LINK1 "/link", R_OK))
		return "one link only: zoc_host aperture= names one range";
	if (zoc_missing("zocctl") || zoc_missing("fio"))
		return "no zocctl or fio in PATH";
	if (zoc_link_state_of(LINK1, "host_state"))
		return "the second link has a transport already";
	return NULL;
}

FIXTURE_SETUP(links)
{
	const char *missing = zoc_link_missing() ?: zoc_test_missing() ?:
			      link1_missing();
	char ctrl[32];

	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_ctl(NULL, 0, "dev add nvme name " DISK " backend vda queues 2"));
	ASSERT_EQ(0, zoc_fn_entry(DISK, "nvme", "nvme", ctrl, sizeof(ctrl), 60));
	snprintf(self->dev, sizeof(self->dev), "/dev/%sn1", ctrl);
}

FIXTURE_TEARDOWN(links)
{
	if (zoc_setup_skipped(_metadata))
		return;
	zoc_ctl(NULL, 0, "-l 1 dev del t1");
	zoc_ctl(NULL, 0, "dev del " DISK);
}

TEST_F_TIMEOUT(links, two_links_one_torn_down, 600)
{
	char out[1024], dir[300], addr[16] = "", *pci;
	long long limit = zoc_outage_limit(1);
	struct link1_svm *svm;
	unsigned long long mmio;
	struct fake_svm *f;
	time_t start;
	int i;

	if (zoc_setup_skipped(_metadata))
		return;
	svm = link1_up(_metadata, 0);
	ASSERT_NE(NULL, svm);
	f = &svm->f;
	/* Link 0 is untouched by link 1's service VM. */
	EXPECT_NE(f->epoch, zoc_link_field("svm_epoch"));
	EXPECT_EQ(1, zoc_link_state("link"));

	/* Names are per link: the same name on both, each on its own bus. */
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "-l 1 dev add test name t1"))
		TH_LOG("%s", out);
	EXPECT_EQ(1, __atomic_load_n(&f->created, __ATOMIC_RELAXED));
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "-l 1 dev show t1"));
	pci = strstr(out, "pci 5a0d:00:");
	EXPECT_NE(NULL, pci) TH_LOG("%s", out);
	if (pci)
		sscanf(pci, "pci %12s", addr);
	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", addr);
	EXPECT_EQ(0, access(dir, F_OK)) TH_LOG("no function %s", dir);
	EXPECT_NE(NULL, strstr(out, "on_link 1")) TH_LOG("%s", out);
	EXPECT_EQ(1, zoc_ctl(out, sizeof(out), "dev show t1"))
		TH_LOG("link 0 knows link 1's device: %s", out);
	EXPECT_EQ(1, zoc_ctl(out, sizeof(out), "-l 2 dev show t1"));
	EXPECT_NE(NULL, strstr(out, "no such link")) TH_LOG("%s", out);
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "link show"));
	EXPECT_NE(NULL, strstr(out, "id 0 state up")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "id 1 state up")) TH_LOG("%s", out);

	/* Link 0's disk under fio from now on. */
	ASSERT_EQ(0, zoc_sh(NULL, 0, FIO, self->dev));
	sleep(3);

	/* Link 1's function: every read returns what was written, through us. */
	link1_own_cpu(svm);
	EXPECT_EQ(0, zoc_write_str(LINK1_BUS, "bar_test t1 300"));
	link1_any_cpu();
	mmio = __atomic_load_n(&f->mmio, __ATOMIC_RELAXED);
	EXPECT_LE(600, mmio);

	/* Torn down for good: its devices go at once, with no stall. */
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "-l 1 link set outage-limit 0"))
		TH_LOG("%s", out);
	link1_down(_metadata, svm);
	start = time(NULL);
	for (i = 0; i < 300; i++) {
		if (!zoc_ctl(out, sizeof(out), "-l 1 dev show t1") &&
		    strstr(out, "state gone"))
			break;
		usleep(100 * 1000);
	}
	EXPECT_NE(NULL, strstr(out, "state gone")) TH_LOG("%s", out);
	EXPECT_NE(0, access(dir, F_OK)) TH_LOG("%s is still a PCI function", dir);
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "-l 1 dev del t1")) TH_LOG("%s", out);
	EXPECT_GT(30, time(NULL) - start)
		TH_LOG("teardown took %ld s", (long)(time(NULL) - start));
	TH_LOG("link 1: %llu BAR accesses served, torn down in %ld s",
	       mmio, (long)(time(NULL) - start));
	EXPECT_EQ(0, zoc_link_state_of(LINK1, "link"));
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out),
			     "-l 1 link set outage-limit %lld", limit))
		TH_LOG("%s", out);

	/* Link 0 carried on: fio ends without an error. */
	EXPECT_EQ(1, zoc_link_state("link"));
	ASSERT_EQ(0, zoc_sh(out, sizeof(out), ZOC_FIO_WAIT));
	EXPECT_EQ(0, atoi(out)) {
		zoc_sh(out, sizeof(out), "tail -5 /tmp/zoc-fio.log");
		TH_LOG("fio on link 0: %s", out);
	}
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "dev show " DISK));
	EXPECT_NE(NULL, strstr(out, "state up")) TH_LOG("%s", out);
}

FIXTURE(hostile) {
};

FIXTURE_SETUP(hostile)
{
	const char *missing = zoc_link_missing() ?: link1_missing();

	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
}

FIXTURE_TEARDOWN(hostile)
{
	if (zoc_setup_skipped(_metadata))
		return;
	zoc_ctl(NULL, 0, "-l 1 dev del vb");
	zoc_ctl(NULL, 0, "-l 1 dev del t1");
}

/* The PCI address of device @name of link 1 into @addr, or "". */
static void link1_pci(const char *name, char *addr, size_t len)
{
	char out[1024], *pci;

	*addr = '\0';
	if (zoc_ctl(out, sizeof(out), "-l 1 dev show %s", name))
		return;
	pci = strstr(out, "pci ");
	if (pci && len >= 13)
		sscanf(pci, "pci %12s", addr);
}

TEST_F_TIMEOUT(hostile, stuck_virtio_deleted_in_bounded_time, 240)
{
	char out[1024], addr[16], path[300];
	long long held, released;
	struct link1_svm *svm;
	time_t start;
	int i;

	if (zoc_setup_skipped(_metadata))
		return;
	svm = link1_up(_metadata, 0);
	ASSERT_NE(NULL, svm);

	/* The stock virtio-pci and virtio_blk drivers take the device. */
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out),
			     "-l 1 dev add virtio-blk name vb backend fake"))
		TH_LOG("%s", out);
	link1_pci("vb", addr, sizeof(addr));
	ASSERT_NE(0, addr[0]);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", addr);
	for (i = 0; i < 300 && access(path, F_OK); i++)
		usleep(100 * 1000);
	ASSERT_EQ(0, access(path, F_OK)) TH_LOG("no driver bound to %s", addr);

	/* Now the service VM turns hostile; the deletion must still end. */
	__atomic_store_n(&svm->f.stubborn, 1, __ATOMIC_RELAXED);
	start = time(NULL);
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "-l 1 dev del vb")) TH_LOG("%s", out);
	TH_LOG("deleted in %ld s", (long)(time(NULL) - start));
	EXPECT_GT(30, time(NULL) - start);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", addr);
	EXPECT_NE(0, access(path, F_OK)) TH_LOG("%s is still there", addr);
	EXPECT_EQ(0, __atomic_load_n(&svm->f.destroyed, __ATOMIC_RELAXED));
	/* Its model never answered: what its driver freed is held. */
	held = zoc_file_field(DMA1, "held_pages");
	EXPECT_LT(0, held) TH_LOG("nothing held for a model that may run");
	released = zoc_file_field(DMA1, "released_pages");

	/* Management and the first link carried on. */
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "link show"));
	EXPECT_EQ(1, zoc_link_state("link"));
	link1_down(_metadata, svm);

	/* No transport, no window mapped: nothing can run, all comes back. */
	for (i = 0; i < 100 && zoc_file_field(DMA1, "held_pages"); i++)
		usleep(100 * 1000);
	EXPECT_EQ(0, zoc_file_field(DMA1, "held_pages"));
	EXPECT_EQ(released + held, zoc_file_field(DMA1, "released_pages"));
}

TEST_F_TIMEOUT(hostile, stuck_virtio_refused_in_bounded_time, 240)
{
	char out[1024], addr[16];
	struct link1_svm *svm;
	time_t start;

	if (zoc_setup_skipped(_metadata))
		return;
	svm = link1_up(_metadata, 1);
	ASSERT_NE(NULL, svm);

	start = time(NULL);
	EXPECT_EQ(1, zoc_ctl(out, sizeof(out),
			     "-l 1 dev add virtio-blk name vb backend fake"));
	TH_LOG("refused in %ld s: %s", (long)(time(NULL) - start), out);
	EXPECT_NE(NULL, strstr(out, "did not let its driver start"));
	EXPECT_GT(60, time(NULL) - start);
	link1_pci("vb", addr, sizeof(addr));
	EXPECT_EQ(0, addr[0]) TH_LOG("vb is still listed, at %s", addr);
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "link show"));
	EXPECT_EQ(1, zoc_link_state("link"));
	link1_down(_metadata, svm);
}

TEST_F_TIMEOUT(hostile, mute_reads_make_it_gone, 240)
{
	struct link1_svm *svm;
	char out[2048], *at;
	time_t start;
	int i;

	if (zoc_setup_skipped(_metadata))
		return;
	svm = link1_up(_metadata, 0);
	ASSERT_NE(NULL, svm);
	ASSERT_EQ(0, zoc_ctl(out, sizeof(out), "-l 1 dev add test name t1"))
		TH_LOG("%s", out);
	link1_own_cpu(svm);
	EXPECT_EQ(0, zoc_write_str(LINK1_BUS, "bar_test t1 10"));

	/* Its reads stall it, until it is gone rather than stalled again. */
	__atomic_store_n(&svm->f.mute, 1, __ATOMIC_RELAXED);
	start = time(NULL);
	/* One with interrupts off spins for a small bound only: 20 ms */
	EXPECT_EQ(0, zoc_write_str(LINK1_BUS, "irqsoff_read t1 100"));
	for (i = 0; i < 300; i++) {
		zoc_write_str(LINK1_BUS, "bar_test t1 1");
		if (zoc_ctl(out, sizeof(out), "-l 1 dev show t1 -s") ||
		    strstr(out, "state gone"))
			break;
		usleep(100 * 1000);
	}
	link1_any_cpu();
	EXPECT_NE(NULL, strstr(out, "state gone")) TH_LOG("%s", out);
	/* Not at the first: two reads that timed out stalled it first */
	at = strstr(out, " stalled_reads ");
	EXPECT_LE(2, at ? atoll(at + 15) : -1) TH_LOG("%s", out);
	TH_LOG("gone in %ld s", (long)(time(NULL) - start));
	EXPECT_GT(30, time(NULL) - start);
	/* Its link is up: the service VM beats. */
	EXPECT_EQ(1, zoc_link_state_of(LINK1, "link"));
	EXPECT_EQ(0, zoc_ctl(out, sizeof(out), "-l 1 dev del t1"))
		TH_LOG("%s", out);
	link1_down(_metadata, svm);
}

TEST_HARNESS_MAIN
