// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile host test of the ZOC NVMe controller model, driven by the ZOC
 * selftests (selftests/zoc/nvme, hostile_host) through debugfs.
 *
 * Writing a PCI address ("5a0c:00:00.0") to
 * /sys/kernel/debug/zoc_nvme_hostile/run makes the module drive that
 * function of the ZOC bus as a misbehaving NVMe driver would: invalid
 * opcodes, namespaces, queue identifiers, PRPs outside host RAM, in its
 * holes or inside the link area, LBAs past the namespace, and doorbell
 * values past the queues.  Every case checks the exact status (and
 * command identifier and queue) of the completion, and is followed by a
 * valid Read on the same I/O queue: the controller must refuse what is
 * wrong and keep working.  The last cases fuzz the controller
 * (nvme_hostile_fuzz.c), give it shadow doorbells and ring one of them
 * late (nvme_hostile_dbbuf.c), and then see that it still works.
 * The write returns its count if every case passed, -EIO if one failed;
 * "results" then lists the cases of the run, "NAME ok" or "NAME FAIL: why".
 *
 * The function must have no driver bound.  The controller is driven by
 * polling: the I/O completion queue is created without interrupts, and
 * the admin queue's interrupts are left to the bus, which keeps them
 * pending while MSI-X is off.  At the end the controller is disabled (its
 * queues freed) so that the nvme driver can be bound again.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "nvme_hostile.h"

static unsigned long long link_area;
module_param(link_area, ullong, 0644);
MODULE_PARM_DESC(link_area,
		 "host physical address of the ZOC link area (the aperture's start)");

static int domain = 0x5a0c;
module_param(domain, int, 0444);
MODULE_PARM_DESC(domain, "PCI domain of the ZOC bus; functions elsewhere are refused");

/**
 * struct znh_case - a case of a run
 * @name: its name in the results
 * @run: runs it; failures are reported with znh_fail()
 * @io: needs I/O queues 1
 * @baseline: the baseline Read follows it
 * @vital: if it fails, why the cases after it cannot run; or NULL
 */
struct znh_case {
	const char *name;
	void (*run)(struct znh_ctrl *ctrl);
	bool io;
	bool baseline;
	const char *vital;
};

static int znh_run(struct pci_dev *pdev);

static struct zoc_hostile znh_test = {
	.name = "zoc_nvme_hostile",
	.run = znh_run,
};

/* --- reporting ----------------------------------------------------------- */

/* Add the current case's line to the results. */
static void znh_record(struct znh_ctrl *ctrl, const char *name)
{
	zoc_hostile_record(&znh_test, &ctrl->log, ctrl->pdev, name);
}

static const char *znh_sc_name(u16 status)
{
	switch (status & ZNH_SC_MASK) {
	case NVME_SC_SUCCESS:
		return "Success";
	case NVME_SC_INVALID_OPCODE:
		return "Invalid Command Opcode";
	case NVME_SC_INVALID_FIELD:
		return "Invalid Field in Command";
	case NVME_SC_DATA_XFER_ERROR:
		return "Data Transfer Error";
	case NVME_SC_INTERNAL:
		return "Internal Error";
	case NVME_SC_INVALID_NS:
		return "Invalid Namespace or Format";
	case NVME_SC_PRP_INVALID_OFFSET:
		return "Invalid PRP Offset";
	case NVME_SC_LBA_RANGE:
		return "LBA Out of Range";
	case NVME_SC_CQ_INVALID:
		return "Completion Queue Invalid";
	case NVME_SC_QID_INVALID:
		return "Invalid Queue Identifier";
	case NVME_SC_QUEUE_SIZE:
		return "Invalid Queue Size";
	case NVME_SC_READ_ERROR:
		return "Unrecovered Read Error";
	default:
		return "other";
	}
}

/* Did @cqe complete with status @want (DNR included)? */
bool znh_expect(struct znh_ctrl *ctrl, const char *name,
		const struct nvme_completion *cqe, u16 want)
{
	u16 got = le16_to_cpu(cqe->status) >> 1;

	if (got == want)
		return true;
	znh_fail(ctrl, "%s: status %#x (%s%s), expected %#x (%s%s)", name,
		 got, znh_sc_name(got), got & NVME_STATUS_DNR ? ", DNR" : "",
		 want, znh_sc_name(want),
		 want & NVME_STATUS_DNR ? ", DNR" : "");
	return false;
}

/* --- running commands ---------------------------------------------------- */

static int znh_exec(struct znh_ctrl *ctrl, struct znh_queue *q,
		    struct nvme_command *cmd, const char *name,
		    struct nvme_completion *cqe)
{
	return znh_wait(ctrl, q, znh_submit(ctrl, q, cmd), name, cqe);
}

/* Run @cmd on @q: did it complete with status @want? */
bool znh_check(struct znh_ctrl *ctrl, struct znh_queue *q,
	       struct nvme_command *cmd, const char *name, u16 want)
{
	struct nvme_completion cqe;

	return !znh_exec(ctrl, q, cmd, name, &cqe) &&
	       znh_expect(ctrl, name, &cqe, want);
}

/*
 * Run @cmd, which must fail with @want and move no data: the data buffer
 * still holds its poison afterwards.
 */
static void znh_refused(struct znh_ctrl *ctrl, struct znh_queue *q,
			struct nvme_command *cmd, const char *name, u16 want)
{
	memset(ctrl->data, ZNH_POISON, ZNH_DATA_SIZE);
	if (znh_check(ctrl, q, cmd, name, want) &&
	    memchr_inv(ctrl->data, ZNH_POISON, ZNH_DATA_SIZE))
		znh_fail(ctrl, "%s: refused, yet data reached the buffer", name);
}

/* --- commands ------------------------------------------------------------ */

u16 znh_nlb(struct znh_ctrl *ctrl, u32 bytes)
{
	return bytes >> ctrl->lbads;
}

void znh_read_cmd(struct nvme_command *c, u32 nsid, u64 slba, u16 nlb,
		  u64 prp1, u64 prp2)
{
	memset(c, 0, sizeof(*c));
	c->rw.opcode = nvme_cmd_read;
	c->rw.nsid = cpu_to_le32(nsid);
	c->rw.slba = cpu_to_le64(slba);
	c->rw.length = cpu_to_le16(nlb - 1);
	c->rw.dptr.prp1 = cpu_to_le64(prp1);
	c->rw.dptr.prp2 = cpu_to_le64(prp2);
}

static void znh_identify_cmd(struct znh_ctrl *ctrl, struct nvme_command *c,
			     u32 nsid)
{
	memset(c, 0, sizeof(*c));
	c->identify.opcode = nvme_admin_identify;
	c->identify.nsid = cpu_to_le32(nsid);
	c->identify.dptr.prp1 = cpu_to_le64(ctrl->data_dma);
	c->identify.cns = NVME_ID_CNS_NS;
}

/* Create I/O CQ @qid at @addr: contiguous, without interrupts. */
static void znh_create_cq_cmd(struct nvme_command *c, u16 qid, u64 addr,
			      u16 depth)
{
	memset(c, 0, sizeof(*c));
	c->create_cq.opcode = nvme_admin_create_cq;
	c->create_cq.prp1 = cpu_to_le64(addr);
	c->create_cq.cqid = cpu_to_le16(qid);
	c->create_cq.qsize = cpu_to_le16(depth - 1);
	c->create_cq.cq_flags = cpu_to_le16(NVME_QUEUE_PHYS_CONTIG);
}

static void znh_create_sq_cmd(struct nvme_command *c, u16 qid, u64 addr,
			      u16 depth, u16 cqid)
{
	memset(c, 0, sizeof(*c));
	c->create_sq.opcode = nvme_admin_create_sq;
	c->create_sq.prp1 = cpu_to_le64(addr);
	c->create_sq.sqid = cpu_to_le16(qid);
	c->create_sq.qsize = cpu_to_le16(depth - 1);
	c->create_sq.sq_flags = cpu_to_le16(NVME_QUEUE_PHYS_CONTIG);
	c->create_sq.cqid = cpu_to_le16(cqid);
}

static void znh_delete_cmd(struct nvme_command *c, u8 opcode, u16 qid)
{
	memset(c, 0, sizeof(*c));
	c->delete_queue.opcode = opcode;
	c->delete_queue.qid = cpu_to_le16(qid);
}

u16 znh_submit_aer(struct znh_ctrl *ctrl)
{
	struct nvme_command c;

	memset(&c, 0, sizeof(c));
	c.common.opcode = nvme_admin_async_event;
	return znh_submit(ctrl, &ctrl->admin, &c);
}

/* The Asynchronous Event Request @cid must report an invalid doorbell. */
void znh_expect_db_event(struct znh_ctrl *ctrl, u16 cid)
{
	const char *name = "Asynchronous Event Request";
	struct nvme_completion cqe;
	u32 event;

	if (znh_wait(ctrl, &ctrl->admin, cid, name, &cqe) ||
	    !znh_expect(ctrl, name, &cqe, NVME_SC_SUCCESS))
		return;
	event = le32_to_cpu(cqe.result.u32);
	if (event != ZNH_AEN_DB_VALUE)
		znh_fail(ctrl, "%s: event %#x, expected %#x (error, invalid doorbell write value)",
			 name, event, ZNH_AEN_DB_VALUE);
}

/* Get Log Page of the error log into @prp1: did it complete with @want? */
static bool znh_error_log(struct znh_ctrl *ctrl, u64 prp1, const char *name,
			  u16 want)
{
	struct nvme_command c;

	memset(&c, 0, sizeof(c));
	c.get_log_page.opcode = nvme_admin_get_log_page;
	c.get_log_page.nsid = cpu_to_le32(NVME_NSID_ALL);
	c.get_log_page.dptr.prp1 = cpu_to_le64(prp1);
	c.get_log_page.lid = NVME_LOG_ERROR;
	c.get_log_page.numdl =
		cpu_to_le16(sizeof(struct nvme_error_slot) / sizeof(u32) - 1);
	return znh_check(ctrl, &ctrl->admin, &c, name, want);
}

/* Read the error log, which unmasks error events: true if it worked. */
bool znh_read_error_log(struct znh_ctrl *ctrl)
{
	return znh_error_log(ctrl, ctrl->data_dma, "Get Log Page (errors)",
			     NVME_SC_SUCCESS);
}

/* The valid Read that must keep working: LBA 0, 4 KiB, same data. */
void znh_baseline(struct znh_ctrl *ctrl)
{
	const char *name = "Read nsid 1 LBA 0";
	struct nvme_completion cqe;
	struct nvme_command c;

	/* A different poison each time: a Read that moves nothing shows. */
	ctrl->poison ^= 0xff;
	memset(ctrl->data, ctrl->poison, ZNH_READ_SIZE);
	znh_read_cmd(&c, ZNH_NSID, 0, znh_nlb(ctrl, ZNH_READ_SIZE),
		     ctrl->data_dma, 0);
	if (znh_exec(ctrl, &ctrl->io, &c, name, &cqe) ||
	    !znh_expect(ctrl, name, &cqe, NVME_SC_SUCCESS))
		return;
	if (!ctrl->have_ref) {
		memcpy(ctrl->ref, ctrl->data, ZNH_READ_SIZE);
		ctrl->have_ref = true;
	} else if (memcmp(ctrl->ref, ctrl->data, ZNH_READ_SIZE)) {
		znh_fail(ctrl, "%s: the data differs from the first Read", name);
	}
}

/* --- controller state ---------------------------------------------------- */

/* Write CC and wait for CSTS.RDY to follow CC.EN; CSTS into @csts. */
static int znh_set_cc(struct znh_ctrl *ctrl, u32 cc, u32 *csts)
{
	bool on = cc & NVME_CC_ENABLE;
	unsigned long deadline;

	ctrl->cc = cc;
	ctrl->touched = true;
	writel(cc, ctrl->bar + NVME_REG_CC);
	deadline = jiffies + ctrl->timeout;
	for (;;) {
		*csts = readl(ctrl->bar + NVME_REG_CSTS);
		if (*csts == ~0U)
			return -ENODEV;
		if (on && (*csts & NVME_CSTS_CFS))
			return -EIO;
		if (!!(*csts & NVME_CSTS_RDY) == on)
			return 0;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		msleep(20);
	}
}

static void znh_cc_fail(struct znh_ctrl *ctrl, int ret, u32 csts)
{
	bool on = ctrl->cc & NVME_CC_ENABLE;

	if (ret == -ENODEV)
		znh_fail(ctrl, "CC.EN %d: the function is gone", on);
	else if (ret == -EIO)
		znh_fail(ctrl, "CC.EN 1: CSTS %#x: controller fatal status",
			 csts);
	else
		znh_fail(ctrl, "CC.EN %d: CSTS %#x: RDY did not follow in %u ms",
			 on, csts, jiffies_to_msecs(ctrl->timeout));
}

/* --- the cases ----------------------------------------------------------- */

void znh_enable(struct znh_ctrl *ctrl)
{
	u32 aqa, cc, csts;
	u64 cap;
	int ret;

	cap = lo_hi_readq(ctrl->bar + NVME_REG_CAP);
	if (cap == ~0ULL) {
		znh_fail(ctrl, "CAP reads all ones: the function is gone");
		return;
	}
	if (NVME_CAP_MQES(cap) + 1 < ZNH_ADMIN_DEPTH ||
	    !(NVME_CAP_CSS(cap) & NVME_CAP_CSS_NVM) || NVME_CAP_MPSMIN(cap) ||
	    NVME_CAP_STRIDE(cap)) {
		znh_fail(ctrl, "CAP %#llx: not a controller this test drives",
			 cap);
		return;
	}
	ctrl->timeout = (NVME_CAP_TIMEOUT(cap) + 1) * HZ / 2;

	/* A reset forgets the shadow doorbells. */
	ctrl->dbbuf = false;
	ret = znh_set_cc(ctrl, 0, &csts);
	if (ret) {
		znh_cc_fail(ctrl, ret, csts);
		return;
	}
	aqa = (ctrl->admin.depth - 1) << 16 | (ctrl->admin.depth - 1);
	writel(aqa, ctrl->bar + NVME_REG_AQA);
	lo_hi_writeq(ctrl->admin.sq_dma, ctrl->bar + NVME_REG_ASQ);
	lo_hi_writeq(ctrl->admin.cq_dma, ctrl->bar + NVME_REG_ACQ);
	cc = NVME_CC_CSS_NVM | NVME_CC_AMS_RR | 0 << NVME_CC_MPS_SHIFT |
	     NVME_CC_IOSQES | NVME_CC_IOCQES | NVME_CC_ENABLE;
	ret = znh_set_cc(ctrl, cc, &csts);
	if (ret)
		znh_cc_fail(ctrl, ret, csts);
}

/* Identify the namespace: its size and block size. */
static void znh_identify_ns(struct znh_ctrl *ctrl)
{
	const char *name = "Identify CNS 0 nsid 1";
	struct nvme_id_ns *id = ctrl->data;
	struct nvme_command c;

	memset(ctrl->data, 0, ZNH_DATA_SIZE);
	znh_identify_cmd(ctrl, &c, ZNH_NSID);
	if (!znh_check(ctrl, &ctrl->admin, &c, name, NVME_SC_SUCCESS))
		return;
	ctrl->nsze = le64_to_cpu(id->nsze);
	ctrl->lbads = id->lbaf[nvme_lbaf_index(id->flbas)].ds;
	if (ctrl->lbads < ZNH_MIN_LBADS || ctrl->lbads > PAGE_SHIFT ||
	    ctrl->nsze < 2 * (ZNH_DATA_SIZE >> ctrl->lbads))
		znh_fail(ctrl, "%s: %llu blocks of 2^%u bytes: too small for the test",
			 name, ctrl->nsze, ctrl->lbads);
}

static void znh_admin_bad_opcode(struct znh_ctrl *ctrl)
{
	struct nvme_command c;

	memset(&c, 0, sizeof(c));
	c.common.opcode = ZNH_BAD_ADMIN_OPCODE;
	znh_check(ctrl, &ctrl->admin, &c, "admin opcode 0xc5",
		  NVME_SC_INVALID_OPCODE | NVME_STATUS_DNR);
}

static void znh_identify_bad_nsid(struct znh_ctrl *ctrl)
{
	struct nvme_command c;

	znh_identify_cmd(ctrl, &c, ZNH_BAD_NSID_ADMIN);
	znh_refused(ctrl, &ctrl->admin, &c, "Identify CNS 0 nsid 17",
		    NVME_SC_INVALID_NS | NVME_STATUS_DNR);
}

/* Before CQ 1 exists: its identifier must still be free afterwards. */
static void znh_create_cq_outside_ram(struct znh_ctrl *ctrl)
{
	struct nvme_command c;

	znh_create_cq_cmd(&c, ZNH_IO_QID, ZNH_OUTSIDE_RAM, ctrl->io.depth);
	znh_check(ctrl, &ctrl->admin, &c, "Create I/O CQ 1 at 1 << 46",
		  NVME_SC_INVALID_FIELD | NVME_STATUS_DNR);
}

void znh_create_io_queues(struct znh_ctrl *ctrl)
{
	struct znh_queue *io = &ctrl->io;
	struct nvme_command c;

	znh_create_cq_cmd(&c, io->qid, io->cq_dma, io->depth);
	if (!znh_check(ctrl, &ctrl->admin, &c, "Create I/O CQ 1",
		       NVME_SC_SUCCESS))
		return;
	ctrl->io_cq_live = true;
	znh_create_sq_cmd(&c, io->qid, io->sq_dma, io->depth, io->qid);
	if (!znh_check(ctrl, &ctrl->admin, &c, "Create I/O SQ 1",
		       NVME_SC_SUCCESS))
		return;
	ctrl->io_sq_live = true;
}

static void znh_create_sq_bad_qid(struct znh_ctrl *ctrl)
{
	struct nvme_command c;

	/* Valid but for the identifier; never rung. */
	znh_create_sq_cmd(&c, ZNH_BAD_QID, ctrl->prp_dma, ctrl->io.depth,
			  ctrl->io.qid);
	znh_check(ctrl, &ctrl->admin, &c, "Create I/O SQ 40",
		  NVME_SC_QID_INVALID | NVME_STATUS_DNR);
}

/* A one-page Read into PRP1 @prp1, which the controller must refuse. */
static void znh_read_refused(struct znh_ctrl *ctrl, u64 prp1, const char *name)
{
	struct nvme_command c;

	znh_read_cmd(&c, ZNH_NSID, 0, znh_nlb(ctrl, ZNH_READ_SIZE), prp1, 0);
	znh_refused(ctrl, &ctrl->io, &c, name,
		    NVME_SC_DATA_XFER_ERROR | NVME_STATUS_DNR);
}

/* The link area's address, from the module's parameter; 0 if not given. */
u64 znh_link_area(struct znh_ctrl *ctrl)
{
	u64 area = READ_ONCE(link_area);

	if (!area || !IS_ALIGNED(area, PAGE_SIZE)) {
		znh_fail(ctrl, "link_area %#llx: give the aperture's start",
			 area);
		return 0;
	}
	return area;
}

static void znh_read_prp1_outside_ram(struct znh_ctrl *ctrl)
{
	znh_read_refused(ctrl, ZNH_OUTSIDE_RAM, "Read to PRP1 1 << 46");
}

/*
 * Into the last page of the link area, which its layout leaves unused:
 * a model that missed the check would corrupt nothing.
 */
static void znh_read_prp1_link_area(struct znh_ctrl *ctrl)
{
	u64 area = znh_link_area(ctrl);

	if (area)
		znh_read_refused(ctrl, area + ZOC_LINK_AREA_SIZE - SZ_4K,
				 "Read to the link area");
}

/*
 * Into host memory that is no RAM: the PC's legacy VGA hole, and the
 * aperture just past the link area (the bus's BARs).  On bare metal the
 * service VM's window faults there, and its VMM would stop it.
 */
static void znh_read_prp1_legacy_hole(struct znh_ctrl *ctrl)
{
	znh_read_refused(ctrl, ZNH_LEGACY_HOLE, "Read to the legacy hole");
}

static void znh_read_prp1_aperture(struct znh_ctrl *ctrl)
{
	u64 area = znh_link_area(ctrl);

	if (area)
		znh_read_refused(ctrl, area + ZOC_LINK_AREA_SIZE,
				 "Read to the aperture past the link area");
}

/* 16 KiB: PRP1 is the first page, PRP2 a list of the three others. */
static void znh_read_list(struct znh_ctrl *ctrl, const char *name,
			  u64 second, u64 fourth, u16 want)
{
	struct nvme_command c;

	ctrl->prp_list[0] = cpu_to_le64(second);
	ctrl->prp_list[1] = cpu_to_le64(ctrl->data_dma + 2 * SZ_4K);
	ctrl->prp_list[2] = cpu_to_le64(fourth);
	znh_read_cmd(&c, ZNH_NSID, 0, znh_nlb(ctrl, ZNH_DATA_SIZE),
		     ctrl->data_dma, ctrl->prp_dma);
	znh_refused(ctrl, &ctrl->io, &c, name, want);
}

static void znh_read_prp_list_outside_ram(struct znh_ctrl *ctrl)
{
	znh_read_list(ctrl, "Read with a PRP list entry at 1 << 46",
		      ctrl->data_dma + SZ_4K, ZNH_OUTSIDE_RAM,
		      NVME_SC_DATA_XFER_ERROR | NVME_STATUS_DNR);
}

static void znh_read_prp_entry_unaligned(struct znh_ctrl *ctrl)
{
	znh_read_list(ctrl, "Read with a PRP list entry not page aligned",
		      ctrl->data_dma + SZ_4K + 8,
		      ctrl->data_dma + 3 * SZ_4K,
		      NVME_SC_PRP_INVALID_OFFSET | NVME_STATUS_DNR);
}

static void znh_read_prp1_unaligned(struct znh_ctrl *ctrl)
{
	struct nvme_command c;

	znh_read_cmd(&c, ZNH_NSID, 0, znh_nlb(ctrl, ZNH_READ_SIZE),
		     ctrl->data_dma + 2, ctrl->data_dma + SZ_4K);
	znh_refused(ctrl, &ctrl->io, &c, "Read to PRP1 offset 2",
		    NVME_SC_PRP_INVALID_OFFSET | NVME_STATUS_DNR);
}

static void znh_read_bad_nsid(struct znh_ctrl *ctrl)
{
	struct nvme_command c;

	znh_read_cmd(&c, ZNH_BAD_NSID_IO, 0, znh_nlb(ctrl, ZNH_READ_SIZE),
		     ctrl->data_dma, 0);
	znh_refused(ctrl, &ctrl->io, &c, "Read nsid 5",
		    NVME_SC_INVALID_NS | NVME_STATUS_DNR);
}

/* One block past the end, and a range whose end wraps around 2^64. */
static void znh_read_past_end(struct znh_ctrl *ctrl)
{
	u16 nlb = znh_nlb(ctrl, ZNH_READ_SIZE);
	struct nvme_command c;

	znh_read_cmd(&c, ZNH_NSID, ctrl->nsze - nlb + 1, nlb, ctrl->data_dma,
		     0);
	znh_refused(ctrl, &ctrl->io, &c, "Read past the namespace's end",
		    NVME_SC_LBA_RANGE | NVME_STATUS_DNR);
	znh_read_cmd(&c, ZNH_NSID, U64_MAX - nlb + 2, nlb, ctrl->data_dma, 0);
	znh_refused(ctrl, &ctrl->io, &c, "Read whose last LBA wraps",
		    NVME_SC_LBA_RANGE | NVME_STATUS_DNR);
}

static void znh_io_bad_opcode(struct znh_ctrl *ctrl)
{
	struct nvme_command c;

	memset(&c, 0, sizeof(c));
	c.common.opcode = ZNH_BAD_IO_OPCODE;
	c.common.nsid = cpu_to_le32(ZNH_NSID);
	c.common.dptr.prp1 = cpu_to_le64(ctrl->data_dma);
	znh_refused(ctrl, &ctrl->io, &c, "I/O opcode 0x7f",
		    NVME_SC_INVALID_OPCODE | NVME_STATUS_DNR);
}

/*
 * An SQ tail past the queue: ignored, reported to the outstanding
 * Asynchronous Event Request.  The slots past the tail, and the rest of
 * the page a wrong tail would make the controller read, hold garbage
 * commands: if any were fetched, its completion would show.  The
 * baseline Read that follows rings a correct tail.
 */
static void znh_sq_tail_beyond_size(struct znh_ctrl *ctrl)
{
	struct znh_queue *io = &ctrl->io;
	struct nvme_command *sqe;
	unsigned int i;
	u16 aer;

	aer = znh_submit_aer(ctrl);
	if (!znh_quiet(ctrl, &ctrl->admin, "Asynchronous Event Request"))
		return;
	for (i = 0; i < ZNH_SQ_SLOTS; i++) {
		sqe = &io->sqes[i];
		memset(sqe, 0, sizeof(*sqe));
		sqe->common.opcode = ZNH_BAD_IO_OPCODE;
		sqe->common.command_id = ZNH_GARBAGE_CID + i;
	}
	/* Were the value taken modulo the size, one garbage entry would run. */
	writel(io->depth + (io->sq_tail + 1) % io->depth,
	       znh_db(ctrl, io->qid, false));
	if (!znh_quiet(ctrl, io, "SQ 1 tail past the queue"))
		return;
	znh_expect_db_event(ctrl, aer);
}

/* I/O queue 1's CQ head doorbell written with a value past the queue */
static void znh_bad_cq_head(struct znh_ctrl *ctrl)
{
	struct znh_queue *io = &ctrl->io;

	writel(io->depth + io->cq_head, znh_db(ctrl, io->qid, true));
}

/*
 * A CQ head past the queue: ignored, reported.  Reading the error log
 * first unmasks error events, which the SQ case left masked.
 */
static void znh_cq_head_beyond_size(struct znh_ctrl *ctrl)
{
	u16 aer;

	if (!znh_read_error_log(ctrl))
		return;
	aer = znh_submit_aer(ctrl);
	znh_bad_cq_head(ctrl);
	if (!znh_quiet(ctrl, &ctrl->io, "CQ 1 head past the queue"))
		return;
	znh_expect_db_event(ctrl, aer);
}

/*
 * A CQ head past the queue, which the outstanding request @aer reports
 * if error events are unmasked: true if it did.
 */
static bool znh_error_event(struct znh_ctrl *ctrl, u16 aer)
{
	znh_bad_cq_head(ctrl);
	znh_expect_db_event(ctrl, aer);
	return !ctrl->log.why[0];
}

/*
 * The error log read into memory outside RAM: refused, and error events
 * stay masked (the host did not read the log), so a request made then
 * hears of no invalid doorbell.  Then the log, read, unmasks them.
 */
static void znh_error_log_outside_ram(struct znh_ctrl *ctrl)
{
	u16 aer;

	/* Unmasked, then masked by an event */
	if (!znh_read_error_log(ctrl) ||
	    !znh_error_event(ctrl, znh_submit_aer(ctrl)))
		return;
	if (!znh_error_log(ctrl, ZNH_OUTSIDE_RAM,
			   "Get Log Page (errors) to 1 << 46",
			   NVME_SC_DATA_XFER_ERROR | NVME_STATUS_DNR))
		return;
	aer = znh_submit_aer(ctrl);
	znh_bad_cq_head(ctrl);
	if (!znh_quiet(ctrl, &ctrl->admin,
		       "error event after a refused Get Log Page"))
		return;
	if (znh_read_error_log(ctrl))
		znh_error_event(ctrl, aer);
}

/* The service VM still serves the function: I/O, status, registers. */
static void znh_svm_alive(struct znh_ctrl *ctrl)
{
	u32 csts, cc;

	znh_baseline(ctrl);
	csts = readl(ctrl->bar + NVME_REG_CSTS);
	if (csts == ~0U || (csts & (NVME_CSTS_CFS | NVME_CSTS_RDY)) !=
			   NVME_CSTS_RDY) {
		znh_fail(ctrl, "CSTS %#x", csts);
		return;
	}
	/* Forwarded to the model: a round trip through the service VM. */
	cc = readl(ctrl->bar + NVME_REG_CC);
	if (cc != ctrl->cc)
		znh_fail(ctrl, "CC reads %#x, %#x was written", cc, ctrl->cc);
}

static void znh_delete_io_queues(struct znh_ctrl *ctrl)
{
	struct nvme_command c;

	znh_delete_cmd(&c, nvme_admin_delete_sq, ctrl->io.qid);
	if (!znh_check(ctrl, &ctrl->admin, &c, "Delete I/O SQ 1",
		       NVME_SC_SUCCESS))
		return;
	ctrl->io_sq_live = false;
	znh_delete_cmd(&c, nvme_admin_delete_cq, ctrl->io.qid);
	if (!znh_check(ctrl, &ctrl->admin, &c, "Delete I/O CQ 1",
		       NVME_SC_SUCCESS))
		return;
	ctrl->io_cq_live = false;
}

/*
 * Eight bytes at 0x18, a reserved word and CSTS: forwarded by the host,
 * which serves CSTS from its shadow but not an access that holds more, yet
 * no model may see a byte of a range the host serves.  Refused: all ones.
 */
static void znh_csts_straddle(struct znh_ctrl *ctrl)
{
	u64 val = readq(ctrl->bar + NVME_REG_CSTS - sizeof(u32));

	if (val != ~0ULL)
		znh_fail(ctrl, "8 bytes at %#x read %#llx, not all ones",
			 NVME_REG_CSTS - (int)sizeof(u32), val);
}

/* A case with the I/O queues, followed by the baseline Read */
#define ZNH_HOSTILE(name)	{ #name, znh_##name, .io = true, .baseline = true }

static const struct znh_case znh_cases[] = {
	{ "enable", znh_enable, .vital = "the controller is not enabled" },
	{ "identify_ns", znh_identify_ns, .vital = "no usable namespace" },
	{ "admin_bad_opcode", znh_admin_bad_opcode },
	{ "identify_bad_nsid", znh_identify_bad_nsid },
	{ "create_cq_outside_ram", znh_create_cq_outside_ram },
	{ "create_io_queues", znh_create_io_queues },
	{ "read", znh_baseline, .io = true },
	ZNH_HOSTILE(create_sq_bad_qid),
	ZNH_HOSTILE(read_prp1_outside_ram),
	ZNH_HOSTILE(read_prp1_link_area),
	ZNH_HOSTILE(read_prp1_legacy_hole),
	ZNH_HOSTILE(read_prp1_aperture),
	ZNH_HOSTILE(read_prp_list_outside_ram),
	ZNH_HOSTILE(read_prp_entry_unaligned),
	ZNH_HOSTILE(read_prp1_unaligned),
	ZNH_HOSTILE(read_bad_nsid),
	ZNH_HOSTILE(read_past_end),
	ZNH_HOSTILE(io_bad_opcode),
	ZNH_HOSTILE(sq_tail_beyond_size),
	ZNH_HOSTILE(cq_head_beyond_size),
	ZNH_HOSTILE(error_log_outside_ram),
	ZNH_HOSTILE(csts_straddle),
	ZNH_HOSTILE(fuzz),
	ZNH_HOSTILE(dbbuf_stale_cq_head),
	ZNH_HOSTILE(dbbuf_sq_tail_beyond_size),
	{ "svm_alive", znh_svm_alive, .io = true },
	{ "delete_io_queues", znh_delete_io_queues, .io = true },
};

static void znh_run_case(struct znh_ctrl *ctrl, const struct znh_case *c)
{
	ctrl->log.why[0] = '\0';
	ctrl->log.what = NULL;
	if (ctrl->abort) {
		znh_fail(ctrl, "not run: %s", ctrl->abort);
	} else if (c->io && !(ctrl->io_cq_live && ctrl->io_sq_live)) {
		znh_fail(ctrl, "not run: no I/O queues");
	} else {
		c->run(ctrl);
		if (c->baseline && !ctrl->abort) {
			ctrl->log.what = "then the baseline Read";
			znh_baseline(ctrl);
			ctrl->log.what = NULL;
		}
		if (c->vital && ctrl->log.why[0] && !ctrl->abort)
			ctrl->abort = c->vital;
	}
	znh_record(ctrl, c->name);
}

/*
 * Disable the controller: it frees its queues and stops writing to our
 * memory once CSTS.RDY is clear.  Return: true if it did.
 */
static bool znh_disable(struct znh_ctrl *ctrl)
{
	u32 csts;
	int ret;

	if (!ctrl->touched)
		return true;
	ctrl->log.why[0] = '\0';
	ctrl->log.what = NULL;
	ret = znh_set_cc(ctrl, 0, &csts);
	if (ret)
		znh_cc_fail(ctrl, ret, csts);
	znh_record(ctrl, "disable");
	return !ret;
}

/* --- memory -------------------------------------------------------------- */

static void znh_free(struct znh_ctrl *ctrl)
{
	struct device *dev = &ctrl->pdev->dev;
	struct znh_queue *qs[] = { &ctrl->admin, &ctrl->io };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(qs); i++) {
		if (qs[i]->sqes)
			dma_free_coherent(dev, PAGE_SIZE, qs[i]->sqes,
					  qs[i]->sq_dma);
		if (qs[i]->cqes)
			dma_free_coherent(dev, PAGE_SIZE, qs[i]->cqes,
					  qs[i]->cq_dma);
	}
	if (ctrl->prp_list)
		dma_free_coherent(dev, PAGE_SIZE, ctrl->prp_list,
				  ctrl->prp_dma);
	if (ctrl->dbs)
		dma_free_coherent(dev, PAGE_SIZE, ctrl->dbs, ctrl->dbs_dma);
	if (ctrl->eis)
		dma_free_coherent(dev, PAGE_SIZE, ctrl->eis, ctrl->eis_dma);
	if (ctrl->data)
		dma_free_coherent(dev, ZNH_DATA_SIZE, ctrl->data,
				  ctrl->data_dma);
}

static int znh_alloc_queue(struct znh_ctrl *ctrl, struct znh_queue *q,
			   u16 qid, u16 depth)
{
	struct device *dev = &ctrl->pdev->dev;

	q->qid = qid;
	q->depth = depth;
	q->cq_phase = 1;
	q->sqes = dma_alloc_coherent(dev, PAGE_SIZE, &q->sq_dma, GFP_KERNEL);
	q->cqes = dma_alloc_coherent(dev, PAGE_SIZE, &q->cq_dma, GFP_KERNEL);
	return q->sqes && q->cqes ? 0 : -ENOMEM;
}

/* The queues and buffers, zeroed; znh_free() frees what was allocated. */
static int znh_alloc(struct znh_ctrl *ctrl)
{
	struct device *dev = &ctrl->pdev->dev;

	if (znh_alloc_queue(ctrl, &ctrl->admin, 0, ZNH_ADMIN_DEPTH) ||
	    znh_alloc_queue(ctrl, &ctrl->io, ZNH_IO_QID, ZNH_IO_DEPTH))
		return -ENOMEM;
	ctrl->data = dma_alloc_coherent(dev, ZNH_DATA_SIZE, &ctrl->data_dma,
					GFP_KERNEL);
	ctrl->prp_list = dma_alloc_coherent(dev, PAGE_SIZE, &ctrl->prp_dma,
					    GFP_KERNEL);
	ctrl->dbs = dma_alloc_coherent(dev, PAGE_SIZE, &ctrl->dbs_dma,
				       GFP_KERNEL);
	ctrl->eis = dma_alloc_coherent(dev, PAGE_SIZE, &ctrl->eis_dma,
				       GFP_KERNEL);
	return ctrl->data && ctrl->prp_list && ctrl->dbs && ctrl->eis ?
	       0 : -ENOMEM;
}

/* --- a run --------------------------------------------------------------- */

/* Run every case on @ctrl; the results replace those of the last run. */
static int znh_run_cases(struct znh_ctrl *ctrl)
{
	unsigned int i;
	bool stopped;

	zoc_hostile_clear(&znh_test);
	ctrl->next_cid = 1;
	ctrl->poison = 0x5a;
	for (i = 0; i < ARRAY_SIZE(znh_cases); i++)
		znh_run_case(ctrl, &znh_cases[i]);
	stopped = znh_disable(ctrl);
	if (stopped) {
		znh_free(ctrl);
	} else {
		/* It may still write there: better leaked than reused. */
		pr_err("%s: the controller did not stop: its queues and buffers are leaked\n",
		       pci_name(ctrl->pdev));
	}
	return ctrl->log.failed ? -EIO : 0;
}

static int znh_run(struct pci_dev *pdev)
{
	struct znh_ctrl *ctrl;
	int ret;

	/* Held throughout: no driver binds meanwhile. */
	device_lock(&pdev->dev);
	if (pdev->dev.driver) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (pdev->class != PCI_CLASS_STORAGE_EXPRESS ||
	    !(pci_resource_flags(pdev, 0) & IORESOURCE_MEM) ||
	    pci_resource_len(pdev, 0) < ZNH_BAR_MIN) {
		ret = -ENODEV;
		goto out_unlock;
	}
	ctrl = kzalloc(sizeof(*ctrl), GFP_KERNEL);
	if (!ctrl) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ctrl->pdev = pdev;

	ret = zoc_hostile_claim(pdev, &ctrl->bar);
	if (ret)
		goto out_free_ctrl;
	ret = znh_alloc(ctrl);
	if (ret)
		znh_free(ctrl);	/* nothing was given to the controller yet */
	else
		ret = znh_run_cases(ctrl);
	zoc_hostile_release(pdev, ctrl->bar);
out_free_ctrl:
	kfree(ctrl);
out_unlock:
	device_unlock(&pdev->dev);
	return ret;
}

static int __init znh_init(void)
{
	znh_test.domain = domain;
	zoc_hostile_init(&znh_test);
	return 0;
}

static void __exit znh_exit(void)
{
	zoc_hostile_exit(&znh_test);
}

module_init(znh_init);
module_exit(znh_exit);
MODULE_DESCRIPTION("Hostile host test of the ZOC NVMe controller model");
MODULE_LICENSE("GPL");
