// SPDX-License-Identifier: GPL-2.0
/*
 * The link's rings between the host and the service VM: echo round trips
 * come back in order and intact, also from more callers at once than the
 * link has request slots; under load the doorbells are suppressed;
 * requests from the service VM come back to it; a service VM that corrupts
 * a ring, or a data queue's, makes the host reset the link, which then
 * works again; a flood of control requests is answered in full, those
 * beyond the service VM's control slots refused as busy.
 */
#include "kselftest_harness.h"
#include "zoc_lab.h"

#define ECHOES		100000
#define FLOOD		20000
#define CROWD		256	/* callers at once */
#define CROWD_CALLS	4	/* calls of each (ZHT_CROWD_CALLS) */

FIXTURE(link) {
};

FIXTURE_SETUP(link)
{
	const char *missing = zoc_link_missing() ?: zoc_test_missing();

	if (missing)
		SKIP(return, "%s", missing);
	ASSERT_EQ(0, zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT));
	ASSERT_EQ(0, zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT)) TH_LOG("rings not up");
}

FIXTURE_TEARDOWN(link)
{
}

/*
 * Wait up to 30 s for the host to reset the link after @resets resets, then
 * for it to come up again.  Return: the resets then, or -1 if it did not.
 */
static long long reset_and_up(long long resets)
{
	time_t end = time(NULL) + 30;

	while (zoc_link_field("resets") == resets && time(NULL) < end)
		usleep(100 * 1000);
	resets = zoc_link_field("resets");
	return zoc_wait_link(30) ? -1 : resets;
}

/* 100000 round trips take about 30 s under TCG. */
TEST_F_TIMEOUT(link, echo_round_trips, 300)
{
	long long echoes = zoc_test_field("echoes");

	if (zoc_setup_skipped(_metadata))
		return;
	/* Each reply is checked in the kernel: same tag, same payload. */
	ASSERT_EQ(0, zoc_test_write("echo", ECHOES));
	EXPECT_EQ(echoes + ECHOES, zoc_test_field("echoes"));
	EXPECT_EQ(0, zoc_link_field("unexpected_replies"));
}

/*
 * More callers at once than the link has request slots (64): those beyond
 * wait for one, and every call gets its reply.
 */
TEST_F_TIMEOUT(link, calls_wait_for_a_slot, 300)
{
	long long echoes = zoc_test_field("echoes");
	long long waits = zoc_link_field("slot_waits");

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_LE(0, waits) TH_LOG("no slot_waits in the link's file");
	ASSERT_EQ(0, zoc_test_write("echo_crowd", CROWD));
	waits = zoc_link_field("slot_waits") - waits;
	TH_LOG("%d callers at once: %lld turns waiting for a slot", CROWD,
	       waits);
	EXPECT_EQ(echoes + CROWD * CROWD_CALLS, zoc_test_field("echoes"));
	/* else the slots were never all taken: the test proved nothing */
	EXPECT_LT(0, waits);
}

TEST_F_TIMEOUT(link, flood_suppresses_doorbells, 300)
{
	long long msgs = zoc_link_field("req_msgs");
	long long rung = zoc_link_field("req_doorbells");
	long long rx = zoc_link_field("doorbells_rx");

	if (zoc_setup_skipped(_metadata))
		return;
	/* The replies must come back in order, or the write fails. */
	ASSERT_EQ(0, zoc_test_write("flood", FLOOD));
	msgs = zoc_link_field("req_msgs") - msgs;
	rung = zoc_link_field("req_doorbells") - rung;
	rx = zoc_link_field("doorbells_rx") - rx;
	TH_LOG("%lld requests: %lld doorbells to the service VM, %lld back",
	       msgs, rung, rx);
	EXPECT_EQ(FLOOD, msgs);
	/*
	 * One doorbell per message without suppression; with it, one per
	 * time the service VM emptied the ring and slept: a few hundred
	 * here, more on a slow (sanitizer) kernel.
	 */
	EXPECT_LE(rung * 16, msgs);
}

TEST_F_TIMEOUT(link, service_vm_requests, 300)
{
	long long pings = zoc_link_field("svm_pings");

	if (zoc_setup_skipped(_metadata))
		return;
	/* The service VM checks each reply and reports how it went. */
	ASSERT_EQ(0, zoc_test_write("svm_ping", 1000));
	EXPECT_EQ(pings + 1000, zoc_link_field("svm_pings"));
	EXPECT_EQ(0, zoc_link_field("dropped_replies"));
}

TEST_F_TIMEOUT(link, corrupt_ring_resets_link, 300)
{
	long long resets = zoc_link_field("resets");

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_EQ(0, zoc_test_write("corrupt", 1));
	/* The corruption is seen at the next completion: send one. */
	EXPECT_NE(0, zoc_test_write("echo", 1));
	ASSERT_EQ(resets + 1, reset_and_up(resets));
	EXPECT_EQ(0, zoc_test_write("echo", 1000));
}

/*
 * A data queue the service VM corrupts resets the link as a control ring
 * does; the queues are in use again once it is back up.
 */
TEST_F_TIMEOUT(link, corrupt_queue_resets_link, 300)
{
	long long resets = zoc_link_field("resets");
	long long queues = zoc_link_field("queues");

	if (zoc_setup_skipped(_metadata))
		return;
	ASSERT_LT(0, queues) TH_LOG("no data queue in use");
	ASSERT_EQ(0, zoc_test_write("corrupt_queue", queues - 1));
	/* The host's tick takes what is on every queue: it finds it there. */
	ASSERT_EQ(resets + 1, reset_and_up(resets));
	EXPECT_EQ(0, zoc_test_write("echo", 1000));
	EXPECT_EQ(queues, zoc_link_field("queues"));
}

/*
 * A host that sends control requests without waiting for their replies:
 * the service VM answers each, and holds at most ZOC_LINK_CTRL_SLOTS of
 * them, refusing the others as busy instead of queueing them all.
 */
TEST_F_TIMEOUT(link, control_flood_bounded, 300)
{
	long long busy;
	int ret;

	if (zoc_setup_skipped(_metadata))
		return;
	ret = zoc_test_write("ctrl_flood", 1000);
	busy = zoc_test_field("ctrl_flood_busy");
	TH_LOG("1000 control requests: %lld replies, %lld refused as busy",
	       zoc_test_field("ctrl_flood_replies"), busy);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(1000, zoc_test_field("ctrl_flood_replies"));
	EXPECT_LT(0, busy);
	EXPECT_GT(1000, busy);
	EXPECT_EQ(0, zoc_test_write("echo", 100));
}

/*
 * Control requests a hostile host makes malformed (short for their data,
 * slots past the last, names and backends without their NUL, backend
 * paths, unknown types and opcodes), about a slot the host keeps free
 * meanwhile: each is refused with its status, nothing is created, and the
 * link goes on.
 */
TEST_F_TIMEOUT(link, control_requests_malformed, 120)
{
	int ret;

	if (zoc_setup_skipped(_metadata))
		return;
	ret = zoc_test_write("ctrl_hostile", 0);
	if (ret == -EOPNOTSUPP)
		SKIP(return, "the service VM has no NVMe model");
	if (ret)
		TH_LOG("malformed request %lld answered with status %lld",
		       zoc_test_field("ctrl_hostile_case"),
		       zoc_test_field("ctrl_hostile_status"));
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, zoc_test_write("echo", 100));
}

TEST_HARNESS_MAIN
