// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC NVMe controller model: PRPs.  Where a command's data lies in host
 * memory, from its PRP entries and lists, and copies between that data
 * and a buffer of the service VM.
 */

#include <linux/nvme.h>
#include <linux/types.h>

#include "../../zoc_blkback.h"
#include "../../zoc_proxy.h"
#include "nvme.h"

/* --- PRPs ---------------------------------------------------------------- */

/* Add @len bytes at @addr to the command's data segments. */
static u16 zoc_nvme_seg_add(struct zoc_nvme_cmd *cmd, u64 addr, u32 len)
{
	struct zoc_blkback_seg *last;

	if (!zoc_proxy_host_ptr(cmd->sq->ctrl->pdev, addr, len))
		return NVME_SC_DATA_XFER_ERROR | NVME_STATUS_DNR;
	if (cmd->nr_segs) {
		last = &cmd->segs[cmd->nr_segs - 1];
		if (last->addr + last->len == addr) {
			last->len += len;
			return NVME_SC_SUCCESS;
		}
	}
	/* Never reached: MDTS bounds the pages (see ZOC_NVME_MAX_SEGS). */
	if (cmd->nr_segs == ZOC_NVME_MAX_SEGS)
		return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
	cmd->segs[cmd->nr_segs].addr = addr;
	cmd->segs[cmd->nr_segs].len = len;
	cmd->nr_segs++;
	return NVME_SC_SUCCESS;
}

/* A PRP entry after PRP1: a whole page, or the start of one. */
static u16 zoc_nvme_prp_page(struct zoc_nvme_cmd *cmd, u64 addr, u32 len)
{
	if (!IS_ALIGNED(addr, ZOC_NVME_PAGE_SIZE))
		return NVME_SC_PRP_INVALID_OFFSET | NVME_STATUS_DNR;
	return zoc_nvme_seg_add(cmd, addr, len);
}

/*
 * Where the @len bytes of the command's data lie: PRP1 up to the end of
 * its page, then PRP2 as the next page, or as a PRP list when more than
 * one page follows.  A list runs to the end of its page; when more entries
 * are needed, the last one of the page points to the next list.  @len is
 * at most ZOC_NVME_MAX_XFER, which bounds the entries read.
 */
u16 zoc_nvme_prp_map(struct zoc_nvme_cmd *cmd, u32 len)
{
	struct zoc_nvme_ctrl *ctrl = cmd->sq->ctrl;
	u64 prp1 = le64_to_cpu(cmd->sqe.common.dptr.prp1);
	u64 list = le64_to_cpu(cmd->sqe.common.dptr.prp2);
	__le64 entries[ZOC_NVME_MAX_PAGES];
	u32 n, room, want, i;
	bool chained;
	u16 status;

	cmd->nr_segs = 0;
	if (prp1 % 4)
		return NVME_SC_PRP_INVALID_OFFSET | NVME_STATUS_DNR;
	n = min_t(u32, len, ZOC_NVME_PAGE_SIZE - prp1 % ZOC_NVME_PAGE_SIZE);
	status = zoc_nvme_seg_add(cmd, prp1, n);
	len -= n;
	if (status || !len)
		return status;
	if (len <= ZOC_NVME_PAGE_SIZE)
		return zoc_nvme_prp_page(cmd, list, len);

	while (len) {
		if (list % sizeof(__le64))
			return NVME_SC_PRP_INVALID_OFFSET | NVME_STATUS_DNR;
		room = (ZOC_NVME_PAGE_SIZE - list % ZOC_NVME_PAGE_SIZE) /
		       sizeof(__le64);
		want = DIV_ROUND_UP(len, ZOC_NVME_PAGE_SIZE);
		chained = want > room;
		/* A list page must hold data entries besides its chain. */
		if (chained && room < 2)
			return NVME_SC_INVALID_FIELD | NVME_STATUS_DNR;
		n = min(want, room);
		if (zoc_proxy_dma_read(ctrl->pdev, list, entries,
				       n * sizeof(__le64)))
			return NVME_SC_DATA_XFER_ERROR | NVME_STATUS_DNR;
		for (i = 0; i < n - chained; i++) {
			u32 part = min_t(u32, len, ZOC_NVME_PAGE_SIZE);

			status = zoc_nvme_prp_page(cmd, le64_to_cpu(entries[i]),
						   part);
			if (status)
				return status;
			len -= part;
		}
		if (chained)
			list = le64_to_cpu(entries[n - 1]);
	}
	return NVME_SC_SUCCESS;
}

/* Copy @len bytes between @buf and the command's data buffer. */
u16 zoc_nvme_xfer(struct zoc_nvme_cmd *cmd, void *buf, u32 len,
		  bool to_host)
{
	struct zoc_pdev *pdev = cmd->sq->ctrl->pdev;
	const struct zoc_blkback_seg *seg;
	unsigned int i;
	u16 status;
	int ret;

	status = zoc_nvme_prp_map(cmd, len);
	if (status)
		return status;
	for (i = 0; i < cmd->nr_segs; i++) {
		seg = &cmd->segs[i];
		if (to_host)
			ret = zoc_proxy_dma_write(pdev, seg->addr, buf,
						  seg->len);
		else
			ret = zoc_proxy_dma_read(pdev, seg->addr, buf,
						 seg->len);
		if (ret)
			return NVME_SC_DATA_XFER_ERROR | NVME_STATUS_DNR;
		buf += seg->len;
	}
	return NVME_SC_SUCCESS;
}
