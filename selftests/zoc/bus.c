// SPDX-License-Identifier: GPL-2.0
/*
 * The virtual PCI bus: a function added through debugfs appears to the PCI
 * core with its identity and its BAR in the aperture; a driver's writes
 * and reads of the BAR reach the service VM's device model (the lab's
 * test client, a register file) and come back; removal takes it away; a
 * service VM that is gone makes reads return all ones, not hang.
 */
#include <dirent.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "zoc_lab.h"

#define BUS_CTL		ZOC_DEBUGFS "/bus"
#define SLOT		3

/* sysfs directory of SLOT on the bus whose domain is in @path, or "". */
static void fn_dir(char *path, size_t len)
{
	struct dirent *de;
	DIR *dir;

	*path = '\0';
	dir = opendir("/sys/bus/pci/devices");
	if (!dir)
		return;
	while ((de = readdir(dir)))
		if (strlen(de->d_name) == 12 &&
		    !strcmp(de->d_name + 4, ":00:03.0") &&
		    !strncmp(de->d_name, "5a0c", 4))
			snprintf(path, len, "/sys/bus/pci/devices/%s", de->d_name);
	closedir(dir);
}

static unsigned long long read_hex(const char *dir, const char *name)
{
	char path[512], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return ~0ULL;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtoull(buf, NULL, 16);
}

FIXTURE(bus) {
};

FIXTURE_SETUP(bus)
{
	const char *missing = zoc_link_missing();

	if (missing)
		SKIP(return, "%s", missing);
	if (access(BUS_CTL, W_OK))
		SKIP(return, "no %s", BUS_CTL);
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
}

FIXTURE_TEARDOWN(bus)
{
	zoc_write_str(BUS_CTL, "remove 3");
}

TEST_F_TIMEOUT(bus, add_access_remove, 300)
{
	unsigned long long start = 0, end = 0;
	char dir[300], line[256];
	FILE *link;
	int i;

	link = fopen(ZOC_DEBUGFS "/link", "r");
	ASSERT_NE(NULL, link);
	while (fgets(line, sizeof(line), link))
		sscanf(line, "aperture: [mem %llx-%llx", &start, &end);
	fclose(link);

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, zoc_write_str(BUS_CTL, "add 3 1b36 0005 ff0000"));
		EXPECT_EQ(-EEXIST, zoc_write_str(BUS_CTL, "add 3 1b36 0005 ff0000"));
		fn_dir(dir, sizeof(dir));
		ASSERT_NE(0, dir[0]) TH_LOG("no function 5a0c:00:03.0");
		EXPECT_EQ(0x1b36, read_hex(dir, "vendor"));
		EXPECT_EQ(0x0005, read_hex(dir, "device"));
		EXPECT_EQ(0xff0000, read_hex(dir, "class"));
		/* BAR0 in the aperture, past the link area. */
		EXPECT_LT(start, read_hex(dir, "resource"));
		EXPECT_GT(end, read_hex(dir, "resource"));

		/* Each read must return what the write before it stored. */
		EXPECT_EQ(0, zoc_write_str(BUS_CTL, "bar_test 3 500"));

		ASSERT_EQ(0, zoc_write_str(BUS_CTL, "remove 3"));
		fn_dir(dir, sizeof(dir));
		EXPECT_EQ(0, dir[0]) TH_LOG("function still there after removal");
	}
	EXPECT_EQ(-EINVAL, zoc_write_str(BUS_CTL, "add 32 1b36 0005 ff0000"));
	EXPECT_EQ(-ENOENT, zoc_write_str(BUS_CTL, "remove 3"));
}

TEST_F_TIMEOUT(bus, service_vm_gone, 600)
{
	long long epoch = zoc_link_field("svm_epoch");
	int lab = zoc_lab_open();

	if (lab < 0)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	ASSERT_EQ(0, zoc_write_str(BUS_CTL, "add 3 1b36 0005 ff0000"));
	ASSERT_EQ(0, zoc_write_str(BUS_CTL, "bar_test 3 10"));
	ASSERT_EQ(0, zoc_lab_cmd(lab, "svm-kill"));
	/* No hang: the read times out, returns all ones, the function is dead. */
	EXPECT_EQ(-EIO, zoc_write_str(BUS_CTL, "bar_test 3 1"));
	EXPECT_EQ(-EIO, zoc_write_str(BUS_CTL, "bar_test 3 1"));
	ASSERT_EQ(0, zoc_write_str(BUS_CTL, "remove 3"));
	ASSERT_EQ(0, zoc_lab_cmd(lab, "svm-start"));
	ASSERT_EQ(0, zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_write_str(BUS_CTL, "add 3 1b36 0005 ff0000"));
	EXPECT_EQ(0, zoc_write_str(BUS_CTL, "bar_test 3 10"));
	close(lab);
}

TEST_HARNESS_MAIN
