// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-net cases of zoc_virtio_hostile_test: on the transmit queue,
 * chains that loop, point outside host RAM, are too long, hold no header
 * or a buffer the device would write; on the receive queue, buffers the
 * device could only read, too short for a header, or of more descriptors
 * than the device keeps: each sets DEVICE_NEEDS_RESET.  Frames too long
 * to be Ethernet, or whose checksum lies outside them, are dropped, the
 * device still working; a queue reset raced with DRIVER_OK ends.  On the
 * control queue of a device of several queue pairs, commands other than
 * setting a count of pairs it has are refused with VIRTIO_NET_ERR (and
 * that one too without multiqueue, the control queue being queue 2 then),
 * and a command with no room for its status sets DEVICE_NEEDS_RESET.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "virtio_hostile.h"

/*
 * A frame of @len bytes after a zero header, in the data buffer: a
 * broadcast of the local experimental EtherType, from a local address.
 */
static void zvh_net_frame(struct zvh_dev *zd, u32 len)
{
	static const u8 head[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x02, 0x00, 0x00, 0x5a, 0x0c, 0x99,
		0x88, 0xb5,
	};

	memset(zd->data, 0, ZVH_NET_HDR + len);
	memcpy(zd->data + ZVH_NET_HDR, head, sizeof(head));
	zvh_desc(&zd->desc[0], zd->data_dma, ZVH_NET_HDR + len, 0, 0);
}

/* A frame is taken and used, nothing written; the device goes on. */
static bool zvh_net_used(struct zvh_dev *zd, const char *name)
{
	u32 id, len;
	u8 status;

	zvh_submit(zd, 0);
	if (zvh_wait_used(zd, name, &id, &len))
		return false;
	if (id || len) {
		zvh_fail(zd, "%s: used id %u length %u, expected 0 and 0", name,
			 id, len);
		return false;
	}
	status = zvh_get_status(zd);
	if (zvh_gone(zd, status))
		return false;
	if (status != ZVH_S_UP) {
		zvh_fail(zd, "%s: device_status %#x afterwards", name, status);
		return false;
	}
	return true;
}

/* A valid frame, taken and used */
void zvh_net_send(struct zvh_dev *zd)
{
	zvh_net_frame(zd, ZVH_NET_FRAME);
	zvh_net_used(zd, "send a frame");
}

/* Dropped, not a reason to reset: a valid frame follows. */
static void zvh_net_huge_frame(struct zvh_dev *zd)
{
	zvh_net_frame(zd, ZVH_NET_HUGE_FRAME);
	if (!zvh_net_used(zd, "frame of 4000 bytes"))
		return;
	zd->log.refused++;
	zd->log.what = "then a valid frame";
	zvh_net_send(zd);
	zd->log.what = NULL;
}

/*
 * A checksum for the device to complete: at @start + @off of the frame.
 * Out of the frame, or inside its Ethernet header: dropped, no reset,
 * counted as invalid (the headers and the length show it).
 */
static void zvh_net_csum(struct zvh_dev *zd, const char *name, u16 start,
			 u16 off)
{
	struct virtio_net_hdr *hdr = zd->data;

	zvh_net_frame(zd, ZVH_NET_FRAME);
	hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr->csum_start = __cpu_to_virtio16(true, start);
	hdr->csum_offset = __cpu_to_virtio16(true, off);
	if (!zvh_net_used(zd, name))
		return;
	if (start < ETH_HLEN || start + off + sizeof(__sum16) > ZVH_NET_FRAME)
		zd->log.refused++;
	zd->log.what = "then a valid frame";
	zvh_net_send(zd);
	zd->log.what = NULL;
}

static void zvh_net_csum_past_end(struct zvh_dev *zd)
{
	zvh_net_csum(zd, "checksum field 64 KiB past the frame",
		     ZVH_NET_FRAME - 1, 0xffff);
}

static void zvh_net_csum_in_eth_hdr(struct zvh_dev *zd)
{
	zvh_net_csum(zd, "checksum from inside the Ethernet header", 2, 4);
}

/*
 * queue_reset, then DRIVER_OK before the reset is over, and receive
 * buffers offered all along: the queue must not run again (it would take
 * buffers after the reset gave them back, and the reset would wait for
 * them for ever), and the reset must end: queue_reset and queue_enable
 * read 0.
 */
static void zvh_net_reset_before_driver_ok(struct zvh_dev *zd)
{
	unsigned long deadline = jiffies + ZVH_TIMEOUT_S * HZ;
	u16 resetting, enabled, n = 0;

	zd->log.what = "bring-up";
	if (zvh_features(zd, ZVH_F_VERSION_1 | ZVH_F_RING_RESET) ||
	    zvh_queue(zd, zd->ring_dma + ZVH_DESC_OFF))
		return;
	zd->log.what = NULL;
	writew(1, zvh_common(zd, VIRTIO_PCI_COMMON_Q_RESET));
	zvh_set_status(zd, ZVH_S_UP);
	for (;;) {
		/* One more receive buffer each time, as long as there is room */
		if (n < ZVH_QSIZE) {
			zvh_desc(&zd->desc[n], zd->data_dma, ZVH_DATA_SIZE,
				 VRING_DESC_F_WRITE, 0);
			zvh_submit(zd, n++);
		}
		resetting = readw(zvh_common(zd, VIRTIO_PCI_COMMON_Q_RESET));
		enabled = readw(zvh_common(zd, VIRTIO_PCI_COMMON_Q_ENABLE));
		if (!resetting && !enabled && n == ZVH_QSIZE)
			break;
		if (zvh_gone(zd, zvh_get_status(zd)))
			return;
		if (time_after(jiffies, deadline)) {
			zvh_fail(zd, "queue_reset %u, queue_enable %u after %u s",
				 resetting, enabled, ZVH_TIMEOUT_S);
			return;
		}
		usleep_range(ZVH_POLL_US, 2 * ZVH_POLL_US);
	}
}

static void zvh_net_tx_writable(struct zvh_dev *zd)
{
	zvh_net_frame(zd, ZVH_NET_FRAME);
	zvh_desc(&zd->desc[0], zd->data_dma, ZVH_NET_HDR + ZVH_NET_FRAME,
		 VRING_DESC_F_WRITE, 0);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "transmit buffer the device may write");
}

static void zvh_net_tx_no_header(struct zvh_dev *zd)
{
	zvh_net_frame(zd, ZVH_NET_FRAME);
	zvh_desc(&zd->desc[0], zd->data_dma, ZVH_NET_HDR - 4, 0, 0);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "transmit chain of 8 bytes");
}

/* The header's descriptor, then a frame descriptor leading back to it */
static void zvh_net_tx_loop(struct zvh_dev *zd)
{
	zvh_net_frame(zd, ZVH_NET_FRAME);
	zvh_desc(&zd->desc[0], zd->data_dma, ZVH_NET_HDR, VRING_DESC_F_NEXT, 1);
	zvh_desc(&zd->desc[1], zd->data_dma + ZVH_NET_HDR, ZVH_NET_FRAME,
		 VRING_DESC_F_NEXT, 0);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "transmit chain looping back");
}

static void zvh_net_tx_outside_ram(struct zvh_dev *zd)
{
	zvh_desc(&zd->desc[0], ZVH_OUTSIDE_RAM, ZVH_NET_HDR + ZVH_NET_FRAME,
		 0, 0);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "transmit buffer at 1 << 46");
}

static void zvh_net_tx_huge_len(struct zvh_dev *zd)
{
	zvh_desc(&zd->desc[0], zd->data_dma, ZVH_HUGE_LEN, 0, 0);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "transmit buffer of 0xffffffff bytes");
}

static void zvh_net_rx_readable(struct zvh_dev *zd)
{
	zvh_desc(&zd->desc[0], zd->data_dma, ZVH_DATA_SIZE, 0, 0);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "receive buffer the device may only read");
}

static void zvh_net_rx_short(struct zvh_dev *zd)
{
	zvh_desc(&zd->desc[0], zd->data_dma, ZVH_NET_HDR - 4,
		 VRING_DESC_F_WRITE, 0);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "receive buffer of 8 bytes");
}

static void zvh_net_rx_too_many(struct zvh_dev *zd)
{
	u32 piece = ZVH_DATA_SIZE / ZVH_NET_RX_SEGS;
	unsigned int i;

	for (i = 0; i < ZVH_NET_RX_SEGS; i++)
		zvh_desc(&zd->desc[i], zd->data_dma + i * piece, piece,
			 VRING_DESC_F_WRITE |
			 (i + 1 < ZVH_NET_RX_SEGS ? VRING_DESC_F_NEXT : 0),
			 i + 1);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "receive chain of 6 descriptors");
}

/* --- the control queue --------------------------------------------------- */

#define ZVH_NET_CTRL_ACK	64	/* the status byte, in the data buffer */

/*
 * Up with the control queue and, if @mq, multiqueue: the control queue is
 * the last one, or queue 2 without multiqueue.  Return: 0, or -ENODEV if
 * the device has one pair (no control queue: nothing to test).
 */
static int zvh_net_ctrl_up(struct zvh_dev *zd, bool mq)
{
	u16 nr;

	if (zvh_reset(zd))
		return -EIO;
	nr = ioread16(zvh_common(zd, VIRTIO_PCI_COMMON_NUMQ));
	if (nr < 3 || !(nr % 2)) {
		pr_info("%s: %u queues, no control queue\n", pci_name(zd->pdev),
			nr);
		return -ENODEV;
	}
	zd->queue = mq ? nr - 1 : 2;
	if (zvh_bring_up(zd, ZVH_F_NET_CTRL_VQ | (mq ? ZVH_F_NET_MQ : 0)))
		return -EIO;
	/* Not a status byte of ours: it must stay as it is. */
	*zd->status = ZVH_POISON;
	return 0;
}

/*
 * Command @class/@cmd with @len bytes of @data: readable header and data,
 * then a writable status byte.  Return: the status, or -errno.
 */
static int zvh_net_ctrl_cmd(struct zvh_dev *zd, const char *name, u8 class,
			    u8 cmd, const void *data, u32 len)
{
	struct virtio_net_ctrl_hdr *hdr = zd->data;
	u8 *ack = zd->data + ZVH_NET_CTRL_ACK;
	u32 id, used;
	int ret;

	hdr->class = class;
	hdr->cmd = cmd;
	if (len)
		memcpy(hdr + 1, data, len);
	*ack = ZVH_POISON;
	zvh_desc(&zd->desc[0], zd->data_dma, sizeof(*hdr) + len,
		 VRING_DESC_F_NEXT, 1);
	zvh_desc(&zd->desc[1], zd->data_dma + ZVH_NET_CTRL_ACK, 1,
		 VRING_DESC_F_WRITE, 0);
	zvh_submit(zd, 0);
	ret = zvh_wait_used(zd, name, &id, &used);
	if (ret)
		return ret;
	if (id || used != 1) {
		zvh_fail(zd, "%s: used id %u length %u, expected 0 and 1",
			 name, id, used);
		return -EPROTO;
	}
	return READ_ONCE(*ack);
}

/* The command is answered @want; a refusal is counted as invalid. */
static void zvh_net_ctrl_expect(struct zvh_dev *zd, const char *name, u8 class,
				u8 cmd, const void *data, u32 len, u8 want)
{
	int ret = zvh_net_ctrl_cmd(zd, name, class, cmd, data, len);

	if (ret < 0)
		return;
	if (ret != want)
		zvh_fail(zd, "%s: status %d, expected %u", name, ret, want);
	else if (want != VIRTIO_NET_OK)
		zd->log.refused++;
}

/* Counts of pairs to set, relative to the device's maximum */
#define ZVH_NET_PAIRS_MAX	-1
#define ZVH_NET_PAIRS_OVER	-2

/* Pair counts in and out of range, a command not offered, a short one */
static void zvh_net_ctrl_pairs(struct zvh_dev *zd)
{
	static const struct {
		const char *name;
		int pairs;
		u8 want;
	} sets[] = {
		{ "all pairs", ZVH_NET_PAIRS_MAX, VIRTIO_NET_OK },
		{ "no pair", 0, VIRTIO_NET_ERR },
		{ "one pair too many", ZVH_NET_PAIRS_OVER, VIRTIO_NET_ERR },
		{ "65535 pairs", 0xffff, VIRTIO_NET_ERR },
		{ "one pair", 1, VIRTIO_NET_OK },
	};
	struct virtio_net_config __iomem *cfg = zd->bar + ZVH_DEVICE;
	struct virtio_net_ctrl_mq mq;
	unsigned int i;
	u16 max, n;
	u8 on = 1;

	if (zvh_net_ctrl_up(zd, true))
		return;
	max = ioread16(&cfg->max_virtqueue_pairs);
	for (i = 0; i < ARRAY_SIZE(sets); i++) {
		n = sets[i].pairs == ZVH_NET_PAIRS_MAX ? max :
		    sets[i].pairs == ZVH_NET_PAIRS_OVER ? max + 1 :
		    sets[i].pairs;
		mq.virtqueue_pairs = __cpu_to_virtio16(true, n);
		zvh_net_ctrl_expect(zd, sets[i].name, VIRTIO_NET_CTRL_MQ,
				    VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &mq,
				    sizeof(mq), sets[i].want);
	}
	zvh_net_ctrl_expect(zd, "pairs without a count", VIRTIO_NET_CTRL_MQ,
			    VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, NULL, 0,
			    VIRTIO_NET_ERR);
	zvh_net_ctrl_expect(zd, "promiscuous, not offered", VIRTIO_NET_CTRL_RX,
			    VIRTIO_NET_CTRL_RX_PROMISC, &on, sizeof(on),
			    VIRTIO_NET_ERR);
}

/*
 * The control queue without multiqueue: queue 2, as for one pair; a count
 * of pairs is refused there.
 */
static void zvh_net_ctrl_without_mq(struct zvh_dev *zd)
{
	struct virtio_net_ctrl_mq mq = {
		.virtqueue_pairs = __cpu_to_virtio16(true, 1),
	};

	if (zvh_net_ctrl_up(zd, false))
		return;
	zvh_net_ctrl_expect(zd, "pairs without multiqueue", VIRTIO_NET_CTRL_MQ,
			    VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &mq, sizeof(mq),
			    VIRTIO_NET_ERR);
}

/* A command with nowhere to write its status */
static void zvh_net_ctrl_no_status(struct zvh_dev *zd)
{
	struct virtio_net_ctrl_hdr *hdr = zd->data;

	if (zvh_net_ctrl_up(zd, true))
		return;
	hdr->class = VIRTIO_NET_CTRL_MQ;
	hdr->cmd = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET;
	zvh_desc(&zd->desc[0], zd->data_dma, sizeof(*hdr) + 2, 0, 0);
	zvh_submit(zd, 0);
	zvh_needs_reset(zd, "control command without a status byte");
}

#define ZVH_NET_TX(name)	{ #name, zvh_net_##name, .queue = ZVH_NET_TXQ }
#define ZVH_NET_RX(name)	{ #name, zvh_net_##name, .queue = ZVH_NET_RXQ }

const struct zvh_case zvh_net_cases[] = {
	ZVH_NET_TX(send),
	ZVH_NET_TX(tx_writable),
	ZVH_NET_TX(tx_no_header),
	ZVH_NET_TX(tx_loop),
	ZVH_NET_TX(tx_outside_ram),
	ZVH_NET_TX(tx_huge_len),
	ZVH_NET_TX(huge_frame),
	ZVH_NET_TX(csum_past_end),
	ZVH_NET_TX(csum_in_eth_hdr),
	ZVH_NET_RX(rx_readable),
	ZVH_NET_RX(rx_short),
	ZVH_NET_RX(rx_too_many),
	{ "qreset_driver_ok", zvh_net_reset_before_driver_ok,
	  .queue = ZVH_NET_RXQ, .manual = true },
	{ "ctrl_pairs", zvh_net_ctrl_pairs, .manual = true },
	{ "ctrl_no_status", zvh_net_ctrl_no_status, .manual = true },
	{ "ctrl_without_mq", zvh_net_ctrl_without_mq, .manual = true },
	{ "fuzz", zvh_fuzz, .queue = ZVH_NET_TXQ, .manual = true },
	{ "svm_alive", zvh_net_send, .queue = ZVH_NET_TXQ },
};

const unsigned int zvh_net_nr_cases = ARRAY_SIZE(zvh_net_cases);
