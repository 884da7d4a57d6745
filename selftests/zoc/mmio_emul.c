// SPDX-License-Identifier: GPL-2.0
/*
 * x86 emulated MMIO regions (CONFIG_X86_MMIO_EMUL), through the test
 * module zoc_mmio_emul_test: every accessor round-trips through the
 * callbacks with the right width, offset and value; all CPUs hammering one
 * page lose no access; a range that is not registered behaves as before;
 * a region unregistered under a live mapping reads all ones; an unknown
 * instruction is skipped with a warning; user space cannot map a region;
 * unloading leaves no mapping behind and the module loads again.
 *
 * The module needs three reserved pages: the top 64 KiB of the ZOC
 * aperture are kept for it, or set ZOC_MMIO_TEST_PHYS.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "zoc_lab.h"

#define TEST_DIR	"/sys/kernel/debug/zoc_mmio_emul_test"
#define TEST_WINDOW	0x10000		/* top of the aperture */

/* The physical address the test module may use, or 0. */
static unsigned long long test_phys(void)
{
	unsigned long long start, end;
	char line[256];
	FILE *f;

	if (getenv("ZOC_MMIO_TEST_PHYS"))
		return strtoull(getenv("ZOC_MMIO_TEST_PHYS"), NULL, 0);
	f = fopen(ZOC_DEBUGFS "/link", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "aperture: [mem %llx-%llx", &start, &end) == 2)
			break;
	fclose(f);
	return end > start + TEST_WINDOW ? end + 1 - TEST_WINDOW : 0;
}

static int load(unsigned long long phys)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "modprobe zoc_mmio_emul_test phys=%#llx", phys);
	return system(cmd);
}

static int unload(void)
{
	return system("rmmod zoc_mmio_emul_test 2>/dev/null");
}

/* Run one case of the module: 0 or -errno. */
static int run_case(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), TEST_DIR "/%s", name);
	return zoc_write_str(path, "1");
}

/* The kernel log from now on. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Did a record containing @needle arrive on @fd? */
static bool kmsg_saw(int fd, const char *needle)
{
	char rec[2048];
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (strstr(rec, needle))
			return true;
	}
	return false;
}

/* Kernel mappings of [phys, phys + 3 pages) listed in /proc/vmallocinfo. */
static int mappings_of(unsigned long long phys)
{
	unsigned long long p;
	char line[512], *s;
	int n = 0;
	FILE *f;

	f = fopen("/proc/vmallocinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		s = strstr(line, "phys=");
		if (!s)
			continue;
		p = strtoull(s + 5, NULL, 16);
		if (p >= phys && p < phys + 3 * 4096)
			n++;
	}
	fclose(f);
	return n;
}

FIXTURE(mmio) {
	unsigned long long phys;
};

FIXTURE_SETUP(mmio)
{
	self->phys = test_phys();
	if (!self->phys)
		SKIP(return,
		     "no reserved range: load zoc_host with an aperture or set ZOC_MMIO_TEST_PHYS");
	unload();
	if (load(self->phys))
		SKIP(return, "cannot load zoc_mmio_emul_test (CONFIG_ZOC_MMIO_EMUL_TEST)");
}

FIXTURE_TEARDOWN(mmio)
{
	if (zoc_setup_skipped(_metadata))
		return;
	unload();
}

TEST_F(mmio, accessors)
{
	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, run_case("accessors"));
}

TEST_F_TIMEOUT(mmio, smp_hammer, 300)
{
	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, run_case("smp"));
}

TEST_F(mmio, unregistered_range_unchanged)
{
	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, run_case("unregistered"));
}

TEST_F(mmio, unregister_with_live_mapping)
{
	int kmsg;

	if (zoc_setup_skipped(_metadata))
		return;
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, run_case("live_unregister"));
	EXPECT_TRUE(kmsg_saw(kmsg, "unregistered with 1 live mappings"));
	close(kmsg);
}

/* The callbacks run with interrupts on if the access had them on. */
TEST_F(mmio, callbacks_run_with_the_access_interrupts)
{
	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, run_case("interrupts"));
}

/*
 * A REP string instruction over a device that answers late is emulated
 * over several faults, the CPU running it again in between.
 */
TEST_F(mmio, slow_strings_take_several_faults)
{
	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, run_case("string_restarts"));
}

TEST_F(mmio, unknown_instruction_warns)
{
	int kmsg;

	if (zoc_setup_skipped(_metadata))
		return;
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, run_case("unsupported"));
	EXPECT_TRUE(kmsg_saw(kmsg, "unsupported access at zmt_case_unsupported"));
	close(kmsg);
}

TEST_F(mmio, user_mappings_refused)
{
	int hold, mem;
	char buf[8];
	void *p;

	if (zoc_setup_skipped(_metadata))
		return;
	hold = open(TEST_DIR "/hold", O_WRONLY);
	ASSERT_LE(0, hold);
	ASSERT_EQ(1, write(hold, "1", 1));
	mem = open("/dev/mem", O_RDWR | O_SYNC);
	if (mem >= 0) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mem,
			 self->phys);
		EXPECT_EQ(MAP_FAILED, p);
		if (p != MAP_FAILED)
			munmap(p, 4096);
		EXPECT_EQ(-1, pread(mem, buf, sizeof(buf), self->phys));
		close(mem);
	}
	EXPECT_EQ(1, write(hold, "0", 1));
	close(hold);
	if (mem < 0)
		SKIP(return, "no /dev/mem");
}

TEST_F(mmio, unload_leaves_nothing_and_reloads)
{
	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, run_case("accessors"));
	ASSERT_EQ(0, unload());
	EXPECT_EQ(0, mappings_of(self->phys));
	ASSERT_EQ(0, load(self->phys));
	EXPECT_EQ(0, run_case("accessors"));
	EXPECT_EQ(0, mappings_of(self->phys));
}

TEST_HARNESS_MAIN
