// SPDX-License-Identifier: GPL-2.0
/*
 * The L0 window: the service VM reads a marker the host kernel wrote into a
 * page of host RAM and writes the cookie's complement back into that page.
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

TEST_F_TIMEOUT(lab, marker_roundtrip, 600)
{
	const char *missing = zoc_link_missing();
	long long ok, answered;
	int i;

	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT))
		TH_LOG("service VM did not come up");

	ok = zoc_link_field("probes_ok");
	answered = zoc_link_field("svm_probes");
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, zoc_probe()) TH_LOG("probe %d failed", i);
	EXPECT_EQ(ok + 10, zoc_link_field("probes_ok"));
	EXPECT_LE(answered + 10, zoc_link_field("svm_probes"));
}

TEST_HARNESS_MAIN
