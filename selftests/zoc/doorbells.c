// SPDX-License-Identifier: GPL-2.0
/*
 * Doorbells cross both ways: every probe rings the service VM once and is
 * answered by one doorbell back; both sides count what they received.
 */
#include "kselftest_harness.h"
#include "zoc_lab.h"

#define ROUNDS	200

/* The service VM may still be booting, slowly under TCG. */
FIXTURE(lab) {
};

FIXTURE_SETUP(lab)
{
}

FIXTURE_TEARDOWN(lab)
{
}

TEST_F_TIMEOUT(lab, both_ways, 600)
{
	const char *missing = zoc_link_missing();
	long long tx, rx, svm_rx;
	int i;

	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT))
		TH_LOG("service VM did not come up");

	tx = zoc_link_field("doorbells_tx");
	rx = zoc_link_field("doorbells_rx");
	svm_rx = zoc_link_field("svm_doorbells_rx");
	for (i = 0; i < ROUNDS; i++)
		ASSERT_EQ(0, zoc_probe()) TH_LOG("round %d failed", i);
	EXPECT_EQ(tx + ROUNDS, zoc_link_field("doorbells_tx"));
	EXPECT_LE(rx + ROUNDS, zoc_link_field("doorbells_rx"));
	/*
	 * The service VM may answer a probe from its tick before our
	 * doorbell's interrupt reached it: the doorbell is counted a moment
	 * after the answer.
	 */
	for (i = 0; i < 50; i++) {
		if (zoc_link_field("svm_doorbells_rx") >= svm_rx + ROUNDS)
			break;
		usleep(20 * 1000);
	}
	EXPECT_LE(svm_rx + ROUNDS, zoc_link_field("svm_doorbells_rx"));
}

TEST_HARNESS_MAIN
