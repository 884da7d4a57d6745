// SPDX-License-Identifier: GPL-2.0
/*
 * The service VM dies and comes back while the host stays up: a probe and
 * an echo request sent while it is gone time out cleanly, the host sees
 * the new epoch, and the link and its rings work again through the same
 * broker.
 */
#include "kselftest_harness.h"
#include "zoc_lab.h"

/* The service VM may still be booting, slowly under TCG. */
FIXTURE(lab) {
};

FIXTURE_SETUP(lab)
{
}

FIXTURE_TEARDOWN(lab)
{
}

TEST_F_TIMEOUT(lab, kill_and_restart, 600)
{
	const char *missing = zoc_link_missing() ?: zoc_test_missing();
	long long epoch, failed;
	int lab;

	if (missing)
		SKIP(return, "%s", missing);
	lab = zoc_lab_open();
	if (lab < 0)
		SKIP(return, "not in the ZOC lab: no %s port", ZOC_LAB_PORT);
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_probe());
	epoch = zoc_link_field("svm_epoch");

	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_test_write("echo", 100));
	failed = zoc_link_field("probes_failed");
	ASSERT_EQ(0, zoc_lab_cmd(lab, "svm-kill"));
	EXPECT_EQ(-ETIMEDOUT, zoc_probe());
	EXPECT_EQ(failed + 1, zoc_link_field("probes_failed"));
	EXPECT_EQ(-ETIMEDOUT, zoc_test_write("echo", 1));

	ASSERT_EQ(0, zoc_lab_cmd(lab, "svm-start"));
	ASSERT_EQ(0, zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT))
		TH_LOG("no new service VM epoch after restart");
	EXPECT_EQ(0, zoc_probe());
	EXPECT_EQ(0, zoc_probe());
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT));
	EXPECT_EQ(0, zoc_test_write("echo", 1000));
	close(lab);
}

TEST_HARNESS_MAIN
