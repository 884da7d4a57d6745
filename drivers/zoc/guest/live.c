// SPDX-License-Identifier: GPL-2.0
/*
 * ZOC I/O proxy core: the live records, what a device needs to survive the
 * death of its service VM.
 *
 * A model that can take over a device after a crash (&zoc_proxy_model.
 * recover) keeps, while it serves the device, its registers and what it
 * has in flight in the slot's live record (&struct zoc_dev_live), in host
 * memory.  The registers are written whole into one of two copies in turn
 * (zoc_proxy_live_commit()): the copy being written is marked so first, so
 * that whichever instant the service VM dies at, the newer whole copy is
 * the truth.  What is in flight the model tracks itself, in place, in the
 * record's track, in an order its recovery can read back.  The record is
 * the model's alone: the host never reads it, but it could write it, so a
 * recovery checks it as peer input.
 *
 * The proxy marks a record live once the host has its device (its image
 * published, or taken over), and clears it when the device is destroyed
 * or given up; a create starts from an empty one.  With the mark goes the
 * request the device was made with, which a standby service VM reads to
 * prepare its takeover (prepare.c).
 */

#include <linux/crc32.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/zoc_link.h>

#include "proxy.h"
#include "zoc_guest.h"
#include "zoc_proxy.h"

/* The record of a device about to be created: empty, not live. */
void zoc_proxy_live_clear(struct zoc_pdev *pdev)
{
	struct zoc_dev_live *live = pdev->live;

	WRITE_ONCE(live->magic, 0);
	WRITE_ONCE(live->writes, 0);
	WRITE_ONCE(live->copy[0].seq, 0);
	WRITE_ONCE(live->copy[1].seq, 0);
	pdev->live_seq = 0;
}

/*
 * The host has the device: its record is to be recovered from, and the
 * request it was made with is there for a standby to prepare.
 */
void zoc_proxy_live_publish(struct zoc_pdev *pdev)
{
	const struct zoc_proxy_params *params = &pdev->params;
	struct zoc_dev_live *live = pdev->live;
	struct zoc_ctrl_dev_create req = {
		.type = pdev->image.type,
		.flags = params->flags,
		.queues = cpu_to_le16(params->queues),
		.slot = cpu_to_le32(pdev->slot),
	};

	strscpy(req.name, params->name, sizeof(req.name));
	if (req.type == ZOC_DEV_VIRTIO_NET)
		req.net = params->net;
	else
		strscpy(req.backend, params->backend, sizeof(req.backend));
	memcpy(&live->dev, &req, sizeof(req));
	WRITE_ONCE(live->type, pdev->image.type);
	/* The type before the magic */
	virt_wmb();
	WRITE_ONCE(live->magic, cpu_to_le32(ZOC_DEV_LIVE_MAGIC));
}

/* The device is destroyed, or given up: no model is to recover it. */
void zoc_proxy_live_drop(struct zoc_pdev *pdev)
{
	WRITE_ONCE(pdev->live->magic, 0);
}

/*
 * A model takes over a device whose record it found: its commits go on
 * from the newer copy's sequence number, whatever the copies hold.
 */
void zoc_proxy_live_resume(struct zoc_pdev *pdev)
{
	u32 s0 = le32_to_cpu(READ_ONCE(pdev->live->copy[0].seq));
	u32 s1 = le32_to_cpu(READ_ONCE(pdev->live->copy[1].seq));

	pdev->live_seq = (s32)(s1 - s0) > 0 ? s1 : s0;
}

/*
 * A copy of the newer whole registers of @pdev's live record, checked as
 * peer input, or an ERR_PTR(): -ENODATA if the record is not live or has
 * no copy, -EINVAL or -EBADMSG if it is spoiled.  *@len: its bytes.
 * *@track: a copy of the record's track, ZOC_PROXY_LIVE_TRACK bytes, to
 * kfree() as the state.
 */
void *zoc_proxy_live_state(struct zoc_pdev *pdev, u8 type, size_t *len,
			   void **track)
{
	struct zoc_dev_live *live = pdev->live;
	struct zoc_dev_live_copy *c;
	u32 s0, s1, n;
	void *buf;

	if (READ_ONCE(live->magic) != cpu_to_le32(ZOC_DEV_LIVE_MAGIC) ||
	    READ_ONCE(live->type) != type)
		return ERR_PTR(-ENODATA);
	s0 = le32_to_cpu(READ_ONCE(live->copy[0].seq));
	s1 = le32_to_cpu(READ_ONCE(live->copy[1].seq));
	if (!s0 && !s1)
		return ERR_PTR(-ENODATA);
	c = &live->copy[!s0 || (s1 && (s32)(s1 - s0) > 0)];
	virt_rmb();	/* the copy after its sequence number */
	n = le32_to_cpu(READ_ONCE(c->len));
	if (n > sizeof(c->data))
		return ERR_PTR(-EINVAL);
	buf = kmemdup(c->data, n, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	if (crc32_le(~0, buf, n) != le32_to_cpu(READ_ONCE(c->crc))) {
		kfree(buf);
		return ERR_PTR(-EBADMSG);
	}
	*track = kmemdup(live->track, sizeof(live->track), GFP_KERNEL);
	if (!*track) {
		kfree(buf);
		return ERR_PTR(-ENOMEM);
	}
	*len = n;
	return buf;
}

/**
 * zoc_proxy_live_commit - write a device's registers into its live record
 * @pdev: the device
 * @state: its registers, in the model's own format
 * @len: bytes at @state, at most ZOC_PROXY_LIVE_STATE
 *
 * Into the older of the record's two copies, which becomes the newer: the
 * other stays whole while this one is written.  What a model commits is
 * what its &zoc_proxy_model.recover gets after a crash.  The caller
 * serializes the commits of a device.
 *
 * Context: any.
 */
void zoc_proxy_live_commit(struct zoc_pdev *pdev, const void *state,
			   size_t len)
{
	struct zoc_dev_live_copy *c;
	u32 seq;

	if (WARN_ON_ONCE(len > ZOC_PROXY_LIVE_STATE))
		return;
	seq = ++pdev->live_seq;
	if (!seq)
		seq = ++pdev->live_seq;
	c = &pdev->live->copy[seq & 1];
	WRITE_ONCE(c->seq, 0);
	/* Marked as being written before it is */
	virt_wmb();
	memcpy(c->data, state, len);
	WRITE_ONCE(c->len, cpu_to_le32(len));
	WRITE_ONCE(c->crc, cpu_to_le32(crc32_le(~0, state, len)));
	/* Whole before it is the newer */
	virt_wmb();
	WRITE_ONCE(c->seq, cpu_to_le32(seq));
}
EXPORT_SYMBOL_GPL(zoc_proxy_live_commit);

/**
 * zoc_proxy_live_track - the track of a device's live record
 * @pdev: the device
 * @len: set to its bytes, ZOC_PROXY_LIVE_TRACK
 *
 * Where the model keeps what it has in flight, in its own format and
 * order, for its &zoc_proxy_model.recover.  Host memory: written in place,
 * read back only by a recovery, and then as peer input.
 *
 * Return: the track.
 */
void *zoc_proxy_live_track(struct zoc_pdev *pdev, size_t *len)
{
	*len = sizeof(pdev->live->track);
	return pdev->live->track;
}
EXPORT_SYMBOL_GPL(zoc_proxy_live_track);
