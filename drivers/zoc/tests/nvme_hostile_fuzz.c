// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzz case of zoc_nvme_hostile_test: for fuzz_secs seconds, commands
 * made at random (a pseudo-random sequence from fuzz_seed) on the admin
 * and I/O queues: opcodes valid and not, every command dword mutated,
 * namespaces, LBAs and lengths of any size, PRPs and PRP list entries
 * that point into the test's own buffers or where the model must refuse
 * to go (outside host RAM, the legacy hole, the link area, unaligned),
 * queue creations and deletions, features, log pages, aborts, and
 * doorbell values past the queues.
 *
 * Every command must complete, with its identifier, on its queue, within
 * the per-command timeout, whatever its status; the controller must never
 * report a fatal status nor go; every 32 commands the baseline Read must
 * still return the same data.  At the end the controller is reset (and
 * its I/O queues created again) and the baseline Read must work: the
 * device is usable after the attack.
 *
 * What the model may write stays in the test's own memory: data pointers
 * are the data buffer's pages or addresses the model must refuse, the PRP
 * list page is filled with such entries before each command, and commands
 * that would write the namespace, point the controller at shadow
 * doorbells or host memory buffers, format or sanitize are never made.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/prandom.h>

#include "nvme_hostile.h"

ZOC_HOSTILE_FUZZ_PARAMS("commands");

#define ZNF_BASELINE_EVERY	32
#define ZNF_IO_COPY		0x19	/* Copy, which 6.1's nvme.h does not name */
#define ZNF_DATA_PAGES		(ZNH_DATA_SIZE / PAGE_SIZE)

/* Admin opcodes made, besides random ones of those not excluded */
static const u8 znf_admin_ops[] = {
	nvme_admin_delete_sq, nvme_admin_create_sq, nvme_admin_get_log_page,
	nvme_admin_delete_cq, nvme_admin_identify, nvme_admin_create_cq,
	nvme_admin_abort_cmd, nvme_admin_set_features,
	nvme_admin_get_features, nvme_admin_keep_alive,
};

/* I/O opcodes made: none writes the namespace */
static const u8 znf_io_ops[] = {
	nvme_cmd_flush, nvme_cmd_read, nvme_cmd_compare, nvme_cmd_verify,
};

/*
 * Opcodes never made: they write the namespace (or would, given a
 * command set), wait for an event (no completion), or make the
 * controller reach memory the test does not own (shadow doorbells, host
 * memory buffers, namespaces and firmware it would load).
 */
static bool znf_excluded(bool admin, u8 op)
{
	if (admin)
		return op == nvme_admin_async_event ||
		       op == nvme_admin_dbbuf || op == nvme_admin_format_nvm ||
		       op == nvme_admin_sanitize_nvm ||
		       op == nvme_admin_ns_mgmt || op == nvme_admin_ns_attach ||
		       op == nvme_admin_activate_fw ||
		       op == nvme_admin_download_fw ||
		       op == nvme_admin_security_send ||
		       op == nvme_admin_directive_send ||
		       op == nvme_admin_virtual_mgmt;
	/* I/O: what writes the namespace, reservations, vendors' own */
	return op == nvme_cmd_write || op == nvme_cmd_write_uncor ||
	       op == nvme_cmd_write_zeroes || op == nvme_cmd_dsm ||
	       op == ZNF_IO_COPY || op == nvme_cmd_resv_register ||
	       op == nvme_cmd_resv_acquire || op == nvme_cmd_resv_release ||
	       op == nvme_cmd_zone_mgmt_send || op == nvme_cmd_zone_append ||
	       op >= 0x80;
}

/**
 * struct znf - a fuzz run
 * @ctrl: the controller
 * @rnd: the sequence
 * @commands: commands completed
 * @failed: ... with a status other than success
 * @baselines: baseline Reads that checked the data
 */
struct znf {
	struct znh_ctrl *ctrl;
	struct rnd_state rnd;
	u64 commands;
	u64 failed;
	u64 baselines;
};

static u32 znf_u32(struct znf *f)
{
	return prandom_u32_state(&f->rnd);
}

static u32 znf_below(struct znf *f, u32 n)
{
	return znf_u32(f) % n;
}

/* An address the model must refuse to move data to or from. */
static u64 znf_bad_addr(struct znf *f)
{
	switch (znf_below(f, 4)) {
	case 0:
		return ZNH_OUTSIDE_RAM + znf_below(f, 64) * PAGE_SIZE;
	case 1:
		return ZNH_LEGACY_HOLE + znf_below(f, 16) * PAGE_SIZE;
	case 2:
		return znh_link_area(f->ctrl) ?: ZNH_OUTSIDE_RAM;
	default:
		return (u64)znf_u32(f) << 32 | znf_u32(f) | BIT_ULL(47);
	}
}

/* A page of the data buffer, at an offset the PRP rules may or not allow. */
static u64 znf_data_addr(struct znf *f, bool offset)
{
	u64 addr = f->ctrl->data_dma + znf_below(f, ZNF_DATA_PAGES) * PAGE_SIZE;

	if (offset)
		addr += znf_below(f, 4) ? znf_below(f, PAGE_SIZE / 4) * 4 :
			znf_below(f, PAGE_SIZE);
	return addr;
}

/*
 * A PRP list page of entries the model may use or must refuse, never
 * anything else: it is read for transfers past two pages.  Its last
 * entry, which a longer transfer reads as the next list's address, is
 * refused: a data page read as a list would hold any address.
 */
static void znf_fill_prp_list(struct znf *f)
{
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(__le64) - 1; i++)
		f->ctrl->prp_list[i] = cpu_to_le64(znf_below(f, 8) ?
						   znf_data_addr(f, false) :
						   znf_bad_addr(f));
	/* read as the next list's address, or as data: refused either way */
	f->ctrl->prp_list[i] = cpu_to_le64(znf_bad_addr(f));
}

/*
 * PRP1 is the data buffer or refused; PRP2 the list (a page of safe
 * entries, also as a second data page) or refused: never a data page,
 * which a longer transfer would read as a list.
 */
static void znf_dptr(struct znf *f, struct nvme_command *c)
{
	c->common.dptr.prp1 = cpu_to_le64(znf_below(f, 6) ?
					  znf_data_addr(f, znf_below(f, 2)) :
					  znf_bad_addr(f));
	c->common.dptr.prp2 = cpu_to_le64(znf_below(f, 4) ?
					  f->ctrl->prp_dma : znf_bad_addr(f));
}

/*
 * The opcode of @c, one the model knows half the time, any other not
 * excluded else; its data pointers too.
 */
static u8 znf_opcode(struct znf *f, struct nvme_command *c, bool admin)
{
	const u8 *ops = admin ? znf_admin_ops : znf_io_ops;
	u32 n = admin ? ARRAY_SIZE(znf_admin_ops) : ARRAY_SIZE(znf_io_ops);
	u8 op;

	do {
		op = znf_below(f, 2) ? ops[znf_below(f, n)] : znf_u32(f);
	} while (znf_excluded(admin, op));
	c->common.opcode = op;
	znf_dptr(f, c);
	return op;
}

/* A queue identifier; never 0 or the test's own I/O queues. */
static u16 znf_qid(struct znf *f)
{
	return znf_below(f, 4) ? 2 + znf_below(f, 62) : znf_u32(f) | 2;
}

static void znf_admin_cmd(struct znf *f, struct nvme_command *c)
{
	u8 op, fid;

	op = znf_opcode(f, c, true);
	switch (op) {
	case nvme_admin_create_cq:
	case nvme_admin_create_sq:
		/* physically contiguous, in the data buffer or refused */
		c->common.cdw10 = cpu_to_le32(znf_u32(f) << 16 | znf_qid(f));
		c->common.cdw11 |= cpu_to_le32(NVME_QUEUE_PHYS_CONTIG);
		if (op == nvme_admin_create_sq && znf_below(f, 2))
			c->common.cdw11 = cpu_to_le32(ZNH_IO_QID << 16 |
						      NVME_QUEUE_PHYS_CONTIG);
		break;
	case nvme_admin_delete_sq:
	case nvme_admin_delete_cq:
		c->common.cdw10 = cpu_to_le32(znf_qid(f));
		break;
	case nvme_admin_set_features:
		/* no host memory buffer; no keep alive, which PCIe never uses */
		fid = le32_to_cpu(c->common.cdw10) & 0xff;
		if (fid == NVME_FEAT_HOST_MEM_BUF || fid == NVME_FEAT_KATO)
			c->common.cdw10 = cpu_to_le32(NVME_FEAT_ARBITRATION);
		break;
	case nvme_admin_abort_cmd:
		c->common.cdw10 = cpu_to_le32(znf_below(f, 2) << 16 |
					      znf_below(f, 2));
		break;
	}
}

static void znf_io_cmd(struct znf *f, struct nvme_command *c)
{
	struct znh_ctrl *ctrl = f->ctrl;

	znf_opcode(f, c, false);
	if (znf_below(f, 4))
		c->common.nsid = cpu_to_le32(ZNH_NSID);
	if (znf_below(f, 2)) {
		/* an LBA range near the namespace's end, or anywhere */
		c->rw.slba = cpu_to_le64(znf_below(f, 2) ?
					 ctrl->nsze - znf_below(f, 64) :
					 (u64)znf_u32(f) << 32 | znf_u32(f));
		c->rw.length = cpu_to_le16(znf_below(f, 4) ?
					   znf_below(f, 64) : znf_u32(f));
	}
}

/*
 * One command, made at random: its dwords random first, then what makes
 * it one the model has to look at further.
 */
static void znf_command(struct znf *f, struct nvme_command *c, bool admin)
{
	u32 *dw = (u32 *)c;
	unsigned int i;

	for (i = 0; i < sizeof(*c) / sizeof(u32); i++)
		dw[i] = znf_below(f, 2) ? znf_u32(f) : 0;
	c->common.flags = znf_below(f, 8) ? 0 : znf_u32(f);
	if (admin)
		znf_admin_cmd(f, c);
	else
		znf_io_cmd(f, c);
}

/* A doorbell value past the queue, which the model must ignore. */
static void znf_bad_doorbell(struct znf *f)
{
	struct znh_ctrl *ctrl = f->ctrl;
	struct znh_queue *q = znf_below(f, 2) ? &ctrl->admin : &ctrl->io;
	bool cq = znf_below(f, 2);

	writel(q->depth + znf_below(f, 0xffff - q->depth),
	       ctrl->bar + NVME_REG_DBS + (2 * q->qid + cq) * sizeof(u32));
}

static bool znf_step(struct znf *f)
{
	struct znh_ctrl *ctrl = f->ctrl;
	bool admin = !znf_below(f, 3);
	struct znh_queue *q = admin ? &ctrl->admin : &ctrl->io;
	struct nvme_completion cqe;
	struct nvme_command c;

	if (!znf_below(f, 64))
		znf_bad_doorbell(f);
	znf_fill_prp_list(f);
	znf_command(f, &c, admin);
	ctrl->log.what = admin ? "admin command" : "I/O command";
	if (znh_wait(ctrl, q, znh_submit(ctrl, q, &c), "fuzz", &cqe)) {
		pr_err("%s: fuzz: command %llu, opcode %#x on queue %u: %s\n",
		       pci_name(ctrl->pdev), f->commands, c.common.opcode,
		       q->qid, ctrl->log.why);
		return false;
	}
	f->commands++;
	if (le16_to_cpu(cqe.status) >> 1)
		f->failed++;
	ctrl->log.what = NULL;
	if (f->commands % ZNF_BASELINE_EVERY)
		return true;
	ctrl->log.what = "the baseline Read";
	znh_baseline(ctrl);
	ctrl->log.what = NULL;
	f->baselines++;
	return !ctrl->log.why[0];
}

/* Reset the controller, create the I/O queues again, read. */
static void znf_reset(struct znf *f)
{
	struct znh_ctrl *ctrl = f->ctrl;
	struct znh_queue *qs[] = { &ctrl->admin, &ctrl->io };
	unsigned int i;

	ctrl->log.what = "after a reset";
	for (i = 0; i < ARRAY_SIZE(qs); i++) {
		memset(qs[i]->sqes, 0, PAGE_SIZE);
		memset(qs[i]->cqes, 0, PAGE_SIZE);
		qs[i]->sq_tail = 0;
		qs[i]->cq_head = 0;
		qs[i]->cq_phase = 1;
	}
	ctrl->io_cq_live = false;
	ctrl->io_sq_live = false;
	znh_enable(ctrl);
	if (!ctrl->log.why[0])
		znh_create_io_queues(ctrl);
	if (!ctrl->log.why[0])
		znh_baseline(ctrl);
	ctrl->log.what = NULL;
}

/**
 * znh_fuzz - the fuzz case
 * @ctrl: the controller, enabled, with its I/O queues
 */
void znh_fuzz(struct znh_ctrl *ctrl)
{
	unsigned long end = jiffies + READ_ONCE(fuzz_secs) * HZ;
	struct znf f = { .ctrl = ctrl };

	if (!READ_ONCE(fuzz_secs))
		return;
	prandom_seed_state(&f.rnd, READ_ONCE(fuzz_seed));
	while (time_before(jiffies, end) && znf_step(&f))
		cond_resched();
	pr_info("%s: fuzz: seed %llu: %llu commands, %llu refused, %llu baseline reads\n",
		pci_name(ctrl->pdev), fuzz_seed, f.commands, f.failed,
		f.baselines);
	if (!ctrl->log.why[0])
		znf_reset(&f);
}
