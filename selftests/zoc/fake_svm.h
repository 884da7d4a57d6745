/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A service VM played by a thread of a selftest, over the bare-metal link
 * transport of one link (/dev/zoc-link<N>): the test hands the kernel the
 * eventfds and maps the window file the kernel returns, as the service
 * VM's VMM and broker would; the thread answers the handshake, echo
 * requests and pings through the rings, with the same ring code as the
 * kernel.  With @serve it is also the I/O proxy of test devices
 * (ZOC_TEST_DEV), whose BAR0 is a register file, as the proxy's test model
 * has, and of virtio-blk devices just real enough for the stock virtio
 * drivers to bind (a modern virtio-pci function with one queue and no
 * capacity, whose registers read back what was written); with @stubborn it
 * turns hostile: status reads never say reset and destroy requests are
 * never answered.
 */
#ifndef _ZOC_FAKE_SVM_H
#define _ZOC_FAKE_SVM_H

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/virtio_pci.h>

#include "kselftest_harness.h"
#include "zoc_lab.h"
#include "ring.h"
#include "test_wire.h"

#define FAKE_SVM_PEER	7
#define FAKE_SVM_BAR	0x4000		/* BAR0 of every device: 16 KiB */
#define FAKE_SVM_REGS	0x1000		/* the test device's register file */

/* A fake virtio-blk's BAR0: where its virtio structures are. */
#define FAKE_VIRTIO_COMMON	0x0000
#define FAKE_VIRTIO_ISR		0x0100
#define FAKE_VIRTIO_DEVICE	0x0200
#define FAKE_VIRTIO_NOTIFY	0x0400

/* The service VM, played by a thread. */
struct fake_svm {
	char dir[64];		/* the link's debugfs directory */
	u8 *window;
	unsigned long long aperture;
	int call;		/* we signal it to ring the host */
	int kick;		/* the host signals it to ring us */
	/*
	 * Data queues, as many as the test sets (0: none, and the broker's
	 * single-vector ioctls): the host's vector 1 + N, which we signal,
	 * and ours, which the host signals, per queue N; what came on
	 * each, counted (__atomic)
	 */
	int queues;
	int qcall[ZOC_LINK_MAX_QUEUES];
	int qkick[ZOC_LINK_MAX_QUEUES];
	struct zoc_ring qreq[ZOC_LINK_MAX_QUEUES], qcpl[ZOC_LINK_MAX_QUEUES];
	long long qkicked[ZOC_LINK_MAX_QUEUES], qdoorbells[ZOC_LINK_MAX_QUEUES];
	int standby_kick;	/* a standby's: the host must never ring it */
	int stop;		/* set by the test: __atomic */
	int attached;
	u32 epoch;
	unsigned long long answered;
	struct zoc_ring req, cpl;
	/* pings to the host: its replies must come with a doorbell */
	int pings;		/* to send, one at a time */
	int pongs;		/* replies: __atomic */
	int late;		/* replies found without a doorbell: __atomic */
	int waiting;		/* tag of the ping in flight, 0 if none */
	int kicked;		/* the last wake-up was the host's doorbell */
	/* our doorbell id, as a broker gave it; FAKE_SVM_PEER if 0 */
	u32 peer;
	/* devices */
	int serve;
	int stubborn;		/* set by the test: __atomic */
	int mute;		/* register reads get no answer: __atomic */
	unsigned long long created, destroyed, mmio;	/* __atomic */
	u8 type[ZOC_LINK_MAX_DEVS];
	u8 bar[ZOC_LINK_MAX_DEVS][FAKE_SVM_BAR];
};

static inline struct zoc_link_area *fake_svm_area(struct fake_svm *f)
{
	return (void *)(f->window + f->aperture);
}

static inline void fake_svm_ring_host(struct fake_svm *f)
{
	u64 one = 1;

	if (write(f->call, &one, sizeof(one)) != sizeof(one))
		perror("ring_host");
}

/* One virtio_pci_cap (or, with @mult, virtio_pci_notify_cap) into @caps. */
static inline u8 fake_virtio_cap(u8 *caps, u8 len, u8 type, u32 offset,
				 u32 size, u32 mult)
{
	u8 cap_len = mult ? 20 : 16;

	caps += len;
	caps[0] = 0x09;			/* PCI_CAP_ID_VNDR */
	caps[2] = cap_len;
	caps[3] = type;
	caps[4] = 0;			/* BAR0 */
	*(__le32 *)(caps + 8) = cpu_to_le32(offset);
	*(__le32 *)(caps + 12) = cpu_to_le32(size);
	if (mult)
		*(__le32 *)(caps + 16) = cpu_to_le32(mult);
	return len + cap_len;
}

/* A modern virtio-blk function: one queue of 16, VERSION_1, no capacity. */
static inline void fake_virtio_blk(struct zoc_dev_image *img, u8 *bar)
{
	u8 len = 0;

	img->vendor = cpu_to_le16(0x1af4);
	img->device = cpu_to_le16(0x1042);
	img->subsystem_vendor = cpu_to_le16(0x1af4);
	img->subsystem_device = cpu_to_le16(0x0002);
	img->class = cpu_to_le32(0x018000 << 8 | 1);
	img->flags = ZOC_DEV_IMAGE_F_GONE_ZERO;
	len = fake_virtio_cap(img->caps, len, VIRTIO_PCI_CAP_COMMON_CFG,
			      FAKE_VIRTIO_COMMON, 0x38, 0);
	len = fake_virtio_cap(img->caps, len, VIRTIO_PCI_CAP_ISR_CFG,
			      FAKE_VIRTIO_ISR, 4, 0);
	len = fake_virtio_cap(img->caps, len, VIRTIO_PCI_CAP_DEVICE_CFG,
			      FAKE_VIRTIO_DEVICE, 0x40, 0);
	len = fake_virtio_cap(img->caps, len, VIRTIO_PCI_CAP_NOTIFY_CFG,
			      FAKE_VIRTIO_NOTIFY, 0x100, 4);
	img->caps_len = len;
	/* Features: see fake_svm_read(). */
	bar[FAKE_VIRTIO_COMMON + VIRTIO_PCI_COMMON_NUMQ] = 1;
	bar[FAKE_VIRTIO_COMMON + VIRTIO_PCI_COMMON_Q_SIZE] = 16;
}

/* A device in @slot: a test device, or a fake virtio-blk. */
static inline u32 fake_svm_create(struct fake_svm *f, const struct zoc_msg *msg)
{
	const struct zoc_ctrl_dev_create *c = (const void *)msg->ctrl.data;
	u32 slot = le32_to_cpu(c->slot);
	struct zoc_dev_page *page;
	struct zoc_dev_image *img;

	if (c->type != ZOC_TEST_DEV && c->type != ZOC_DEV_VIRTIO_BLK)
		return ZOC_MSG_ENOTSUPP;
	if (slot >= ZOC_LINK_MAX_DEVS)
		return ZOC_MSG_EINVAL;
	page = (void *)((u8 *)fake_svm_area(f) + ZOC_LINK_DEV_PAGES +
			slot * ZOC_LINK_DEV_PAGE_SIZE);
	img = &page->image;
	memset(img, 0, sizeof(*img));
	memset(f->bar[slot], 0, sizeof(f->bar[slot]));
	f->type[slot] = c->type;
	img->type = c->type;
	img->bar_shift = 14;
	img->msix_vectors = cpu_to_le16(2);
	img->msix_table = cpu_to_le32(0x2000);
	img->msix_pba = cpu_to_le32(0x3000);
	if (c->type == ZOC_DEV_VIRTIO_BLK) {
		fake_virtio_blk(img, f->bar[slot]);
	} else {
		/* QEMU's PCI test device IDs: no driver binds to them. */
		img->vendor = cpu_to_le16(0x1b36);
		img->device = cpu_to_le16(0x0005);
		img->class = cpu_to_le32(0xff0000 << 8);
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	img->magic = cpu_to_le32(ZOC_DEV_IMAGE_MAGIC);
	__atomic_add_fetch(&f->created, 1, __ATOMIC_RELAXED);
	return ZOC_MSG_OK;
}

/* The BAR0 range of an access to @slot, or NULL. */
static inline u8 *fake_svm_reg(struct fake_svm *f, const struct zoc_msg *msg)
{
	u32 slot = le32_to_cpu(msg->hdr.dev);
	u64 off = le64_to_cpu(msg->mmio.offset);
	u8 size = msg->mmio.size;

	if (slot >= ZOC_LINK_MAX_DEVS || (size != 1 && size != 2 &&
					  size != 4 && size != 8) ||
	    off % size || off >= FAKE_SVM_BAR)
		return NULL;
	if (f->type[slot] == ZOC_TEST_DEV && (size != 8 || off >= FAKE_SVM_REGS))
		return NULL;
	return &f->bar[slot][off];
}

/* What a read of @msg returns: from BAR0, but see @stubborn. */
static inline u64 fake_svm_read(struct fake_svm *f, const struct zoc_msg *msg)
{
	u32 slot = le32_to_cpu(msg->hdr.dev);
	u8 *reg = fake_svm_reg(f, msg);
	u64 val = 0;

	if (!reg)
		return ~0ULL;
	memcpy(&val, reg, msg->mmio.size);
	/*
	 * The features by half: VERSION_1 and ACCESS_PLATFORM (bits 32, 33:
	 * the driver maps its vring through the bus's DMA operations), none
	 * of virtio-blk's.
	 */
	if (f->type[slot] == ZOC_DEV_VIRTIO_BLK &&
	    le64_to_cpu(msg->mmio.offset) ==
	    FAKE_VIRTIO_COMMON + VIRTIO_PCI_COMMON_DF)
		val = f->bar[slot][FAKE_VIRTIO_COMMON +
				   VIRTIO_PCI_COMMON_DFSELECT] ? 3 : 0;
	if (f->type[slot] == ZOC_DEV_VIRTIO_BLK &&
	    __atomic_load_n(&f->stubborn, __ATOMIC_RELAXED) &&
	    le64_to_cpu(msg->mmio.offset) ==
	    FAKE_VIRTIO_COMMON + VIRTIO_PCI_COMMON_STATUS)
		val = 0x0f;	/* never reset */
	return le64_to_cpu(val);
}

/*
 * A host request that needs a reply: @msg becomes the reply.  False if
 * it gets none (a stubborn service VM's destroy).
 */
static inline bool fake_svm_answer(struct fake_svm *f, struct zoc_msg *msg)
{
	u32 status = ZOC_MSG_OK;
	u64 val;

	switch (msg->hdr.type) {
	case ZOC_MSG_CTRL_REQ:
		switch (le32_to_cpu(msg->ctrl.opcode)) {
		case ZOC_CTRL_DEV_CREATE:
			status = fake_svm_create(f, msg);
			break;
		case ZOC_CTRL_DEV_DESTROY:
			if (__atomic_load_n(&f->stubborn, __ATOMIC_RELAXED))
				return false;
			__atomic_add_fetch(&f->destroyed, 1, __ATOMIC_RELAXED);
			break;
		default:
			status = ZOC_MSG_ENOTSUPP;
			break;
		}
		msg->hdr.type = ZOC_MSG_CTRL_REPLY;
		msg->hdr.len = cpu_to_le16(8);
		msg->ctrl.status = cpu_to_le32(status);
		memset(msg->ctrl.data, 0, sizeof(msg->ctrl.data));
		break;
	case ZOC_MSG_MMIO_READ:
		if (__atomic_load_n(&f->mute, __ATOMIC_RELAXED))
			return false;
		val = fake_svm_read(f, msg);
		__atomic_add_fetch(&f->mmio, 1, __ATOMIC_RELAXED);
		memset(&msg->reply, 0, sizeof(msg->reply));
		msg->hdr.type = ZOC_MSG_MMIO_REPLY;
		msg->hdr.len = cpu_to_le16(sizeof(msg->reply));
		msg->reply.value = cpu_to_le64(val);
		msg->reply.status = cpu_to_le32(ZOC_MSG_OK);
		break;
	}
	return true;
}

/* A posted write of a device's register. */
static inline void fake_svm_write(struct fake_svm *f, const struct zoc_msg *msg)
{
	u8 *reg = fake_svm_reg(f, msg);
	__le64 val = msg->mmio.value;

	if (reg)
		memcpy(reg, &val, msg->mmio.size);
	__atomic_add_fetch(&f->mmio, 1, __ATOMIC_RELAXED);
}

static inline void fake_svm_drain(struct fake_svm *f)
{
	struct zoc_msg msg;
	int ret;

	do {
		while (zoc_ring_space(&f->cpl) > 0) {
			ret = zoc_ring_consume(&f->req, &msg);
			if (ret == -EAGAIN || ret == -EIO)
				break;
			if (!ret && msg.hdr.type == ZOC_MSG_CTRL_REPLY &&
			    f->waiting && le32_to_cpu(msg.hdr.tag) == (u32)f->waiting) {
				f->waiting = 0;
				if (!f->kicked)
					__atomic_add_fetch(&f->late, 1, __ATOMIC_RELAXED);
				__atomic_add_fetch(&f->pongs, 1, __ATOMIC_RELEASE);
				continue;
			}
			if (ret)
				continue;
			if (f->serve && msg.hdr.type == ZOC_MSG_MMIO_WRITE) {
				fake_svm_write(f, &msg);
				continue;
			}
			if (f->serve && (msg.hdr.type == ZOC_MSG_CTRL_REQ ||
					 msg.hdr.type == ZOC_MSG_MMIO_READ)) {
				if (!fake_svm_answer(f, &msg))
					continue;
			} else if (msg.hdr.type != ZOC_TEST_MSG_ECHO) {
				continue;
			}
			if (!zoc_ring_produce(&f->cpl, &msg))
				f->answered++;
		}
		if (zoc_ring_need_doorbell(&f->cpl))
			fake_svm_ring_host(f);
	} while (zoc_ring_enable_notify(&f->req));
}

/*
 * Count the host's doorbells on data queue @q: each must say it came
 * from that queue.
 */
static inline void fake_svm_drain_queue(struct fake_svm *f, int q)
{
	struct zoc_msg msg;
	int rounds = 0;

	do {
		while (!zoc_ring_consume(&f->qreq[q], &msg))
			if (msg.hdr.type == ZOC_MSG_DOORBELL &&
			    le32_to_cpu(msg.hdr.tag) == (u32)q)
				__atomic_add_fetch(&f->qdoorbells[q], 1,
						   __ATOMIC_RELEASE);
	} while (zoc_ring_enable_notify(&f->qreq[q]) && ++rounds < 64);
}

/*
 * Attach the data queues both offer; their number, or -1.  Before our
 * acknowledgment of the host's epoch.
 */
static inline int fake_svm_attach_queues(struct fake_svm *f, u8 *base)
{
	struct zoc_link_area *area = fake_svm_area(f);
	int n = f->queues, q;
	u8 *ring;

	if ((int)le32_to_cpu(area->host.queues) < n)
		n = le32_to_cpu(area->host.queues);
	for (q = 0; q < n; q++) {
		ring = base + ZOC_LINK_QUEUES + 2 * q * ZOC_LINK_QUEUE_SPAN;
		if (zoc_ring_attach(&f->qreq[q], ring, ZOC_LINK_QUEUE_SPAN) ||
		    zoc_ring_attach(&f->qcpl[q], ring + ZOC_LINK_QUEUE_SPAN,
				    ZOC_LINK_QUEUE_SPAN))
			return -1;
		zoc_ring_enable_notify(&f->qreq[q]);
	}
	area->svm.queues_used = cpu_to_le32(n);
	return n;
}

/* Ping the host; its reply must wake us with a doorbell. */
static inline void fake_svm_ping(struct fake_svm *f)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ };

	msg.hdr.len = cpu_to_le16(8);
	msg.hdr.tag = cpu_to_le32(f->pongs + 1);
	msg.ctrl.opcode = cpu_to_le32(ZOC_CTRL_PING);
	if (zoc_ring_produce(&f->cpl, &msg))
		return;
	f->waiting = f->pongs + 1;
	if (zoc_ring_need_doorbell(&f->cpl))
		fake_svm_ring_host(f);
}

static inline void *fake_svm_run(void *arg)
{
	struct fake_svm *f = arg;
	struct zoc_link_area *area = fake_svm_area(f);
	u8 *base = (u8 *)area;
	struct pollfd pfd[1 + ZOC_LINK_MAX_QUEUES];
	u32 epoch = f->epoch;
	int q, nq = 0;
	u64 count;

	area->svm.epoch = cpu_to_le32(epoch);
	/* the host rings the service VM by the id it publishes */
	area->svm.peer_id = cpu_to_le32(f->peer ?: FAKE_SVM_PEER);
	area->svm.ack_epoch = 0;
	/* without data queues everything is on the control rings */
	area->svm.queues = cpu_to_le32(f->queues);
	area->svm.queues_used = 0;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	area->svm.state = cpu_to_le32(ZOC_LINK_UP);
	fake_svm_ring_host(f);

	for (q = 0; q <= f->queues; q++)
		pfd[q] = (struct pollfd){ .events = POLLIN,
			.fd = q ? f->qkick[q - 1] : f->kick };
	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		if (poll(pfd, 1 + f->queues, ZOC_LINK_HEARTBEAT_MS) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		f->kicked = pfd[0].revents & POLLIN;
		if (f->kicked && read(f->kick, &count, sizeof(count)) < 0)
			break;
		for (q = 0; q < f->queues; q++)
			if ((pfd[1 + q].revents & POLLIN) &&
			    read(f->qkick[q], &count, sizeof(count)) > 0)
				__atomic_add_fetch(&f->qkicked[q], 1,
						   __ATOMIC_RELEASE);
		area->svm.heartbeat =
			cpu_to_le64(le64_to_cpu(area->svm.heartbeat) + 1);
		if (le32_to_cpu(area->host.ack_epoch) == epoch &&
		    le32_to_cpu(area->host.epoch) !=
		    le32_to_cpu(area->svm.ack_epoch)) {
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (zoc_ring_attach(&f->req, base + ZOC_LINK_REQ_RING,
					    ZOC_LINK_RING_SPAN) ||
			    zoc_ring_attach(&f->cpl, base + ZOC_LINK_CPL_RING,
					    ZOC_LINK_RING_SPAN))
				break;
			zoc_ring_enable_notify(&f->req);
			nq = fake_svm_attach_queues(f, base);
			if (nq < 0)
				break;
			f->attached = 1;
			__atomic_thread_fence(__ATOMIC_RELEASE);
			area->svm.ack_epoch = area->host.epoch;
			fake_svm_ring_host(f);
		}
		if (f->attached)
			fake_svm_drain(f);
		for (q = 0; f->attached && q < nq; q++)
			fake_svm_drain_queue(f, q);
		if (f->attached && !f->waiting &&
		    __atomic_load_n(&f->pongs, __ATOMIC_ACQUIRE) < f->pings)
			fake_svm_ping(f);
	}
	area->svm.state = cpu_to_le32(ZOC_LINK_DOWN);
	return NULL;
}

/* Start the thread with a new epoch; 0 once the link is up, else -1. */
static inline int fake_svm_start(struct fake_svm *f, pthread_t *thread)
{
	struct zoc_link_area *area = fake_svm_area(f);
	int i;

	if (le64_to_cpu(area->magic) != ZOC_LINK_MAGIC)
		return -1;
	f->epoch = le32_to_cpu(area->svm.epoch) + 1;
	f->pongs = 0;
	f->late = 0;
	f->waiting = 0;
	f->attached = 0;
	f->stop = 0;
	if (pthread_create(thread, NULL, fake_svm_run, f))
		return -1;
	for (i = 0; i < 300; i++) {
		if (zoc_link_field_of(f->dir, "svm_epoch") == f->epoch &&
		    zoc_link_state_of(f->dir, "link") == 1)
			return 0;
		usleep(100 * 1000);
	}
	return -1;
}

static inline void fake_svm_stop(struct fake_svm *f, pthread_t thread)
{
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
}

/* The aperture's first address, from link @f's debugfs, or 0. */
static inline unsigned long long fake_svm_aperture(struct fake_svm *f)
{
	unsigned long long start = 0, end;
	char line[256], path[128];
	FILE *link;

	snprintf(path, sizeof(path), "%s/link", f->dir);
	link = fopen(path, "r");
	if (!link)
		return 0;
	while (fgets(line, sizeof(line), link))
		sscanf(line, "aperture: [mem %llx-%llx", &start, &end);
	fclose(link);
	return start;
}

/*
 * Attach a transport to link @link through /dev/zoc-link<link>: eventfds
 * of our own, the kernel's window mapped in @f.  Returns the device, or -1.
 */
static inline int fake_svm_open(struct __test_metadata *_metadata,
				struct fake_svm *f, int link, int *win,
				off_t *size)
{
	struct zoc_link_doorbell call, kick, standby, third;
	struct zoc_link_vectors calls, kicks, bad;
	char path[64];
	struct stat st;
	int dev, q;

	snprintf(f->dir, sizeof(f->dir), ZOC_DEBUGFS_ROOT "/link%d", link);
	snprintf(path, sizeof(path), "/dev/zoc-link%d", link);
	f->aperture = fake_svm_aperture(f);
	EXPECT_NE(0, f->aperture);
	dev = open(path, O_RDWR | O_CLOEXEC);
	EXPECT_LE(0, dev);
	if (!f->aperture || dev < 0)
		return -1;
	f->call = eventfd(0, EFD_CLOEXEC);
	f->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	call = (struct zoc_link_doorbell){ .fd = f->call, .peer = 0 };
	kick = (struct zoc_link_doorbell){ .fd = f->kick, .peer = FAKE_SVM_PEER };
	if (f->queues) {
		/* a vector for each data queue, both ways */
		calls = (struct zoc_link_vectors){ .nr = 1 + f->queues };
		kicks = (struct zoc_link_vectors){ .nr = 1 + f->queues,
						   .peer = FAKE_SVM_PEER };
		calls.fds[0] = f->call;
		kicks.fds[0] = f->kick;
		for (q = 0; q < f->queues; q++) {
			f->qcall[q] = eventfd(0, EFD_CLOEXEC);
			f->qkick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			calls.fds[1 + q] = f->qcall[q];
			kicks.fds[1 + q] = f->qkick[q];
		}
		/* refused whole: no vector, too many, a bad one past the first */
		bad = calls;
		bad.nr = 0;
		EXPECT_EQ(-1, ioctl(dev, ZOC_LINK_SET_CALLS, &bad));
		EXPECT_EQ(EINVAL, errno);
		bad.nr = ZOC_LINK_MAX_VECTORS + 1;
		EXPECT_EQ(-1, ioctl(dev, ZOC_LINK_SET_CALLS, &bad));
		EXPECT_EQ(EINVAL, errno);
		bad = calls;
		bad.fds[bad.nr - 1] = dev;	/* not an eventfd */
		EXPECT_EQ(-1, ioctl(dev, ZOC_LINK_SET_CALLS, &bad));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(0, zoc_link_state_of(f->dir, "host_state"));
		EXPECT_EQ(0, ioctl(dev, ZOC_LINK_SET_CALLS, &calls));
		EXPECT_EQ(0, ioctl(dev, ZOC_LINK_SET_KICKS, &kicks));
	} else {
		EXPECT_EQ(0, ioctl(dev, ZOC_LINK_SET_CALL, &call));
		EXPECT_EQ(0, ioctl(dev, ZOC_LINK_SET_KICK, &kick));
	}
	EXPECT_EQ(-1, ioctl(dev, ZOC_LINK_SET_CALL, &call));	/* once */
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(1, zoc_link_state_of(f->dir, "host_state"));

	/*
	 * A standby service VM's doorbell, which the host rings only once the
	 * standby names itself in the link area: never here.  A third one is
	 * refused until one of the two is withdrawn.
	 */
	f->standby_kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	standby = (struct zoc_link_doorbell){
		.fd = f->standby_kick, .peer = FAKE_SVM_PEER + 1 };
	third = (struct zoc_link_doorbell){
		.fd = f->standby_kick, .peer = FAKE_SVM_PEER + 2 };
	EXPECT_EQ(0, ioctl(dev, ZOC_LINK_SET_KICK, &standby));
	EXPECT_EQ(-1, ioctl(dev, ZOC_LINK_SET_KICK, &third));
	EXPECT_EQ(EBUSY, errno);
	third.fd = -1;
	standby.fd = -1;
	EXPECT_EQ(0, ioctl(dev, ZOC_LINK_SET_KICK, &standby));
	third.fd = f->standby_kick;
	EXPECT_EQ(0, ioctl(dev, ZOC_LINK_SET_KICK, &third));

	/* The window: a power of two covering the aperture, RAM 1:1. */
	*win = ioctl(dev, ZOC_LINK_WINDOW);
	EXPECT_LE(0, *win);
	if (*win < 0 || fstat(*win, &st))
		return -1;
	EXPECT_EQ(0, st.st_size & (st.st_size - 1));
	EXPECT_LT(f->aperture + ZOC_LINK_AREA_SIZE, (unsigned long long)st.st_size);
	f->window = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 *win, 0);
	EXPECT_NE(MAP_FAILED, f->window);
	if (f->window == MAP_FAILED)
		return -1;
	*size = st.st_size;
	return dev;
}

static inline void fake_svm_close(struct __test_metadata *_metadata,
				  struct fake_svm *f, int dev, int win,
				  off_t size)
{
	__u64 count;
	int q;

	munmap(f->window, size);
	close(win);
	close(dev);
	/* Closing the device detached the transport. */
	EXPECT_EQ(0, zoc_link_state_of(f->dir, "host_state"));
	EXPECT_EQ(-1, read(f->standby_kick, &count, sizeof(count)))
		TH_LOG("the host rang a service VM the link does not name");
	close(f->standby_kick);
	close(f->call);
	close(f->kick);
	for (q = 0; q < f->queues; q++) {
		close(f->qcall[q]);
		close(f->qkick[q]);
	}
}

#endif /* _ZOC_FAKE_SVM_H */
