// SPDX-License-Identifier: GPL-2.0
/*
 * The bare-metal link transport, /dev/zoc-link, without the service VM's
 * VMM: this program plays the broker (it hands the kernel the eventfds),
 * the VMM (it maps the window file the kernel returns) and the service VM
 * (it answers the handshake and the echo requests through the rings, with
 * the same ring code as the kernel).  The kernel must come up on the link,
 * answer its own echo and flood tests through the eventfds, and detach
 * cleanly when the device is closed.  A second test does the same through
 * zoc-linkd -K, the bare-metal broker, as the service VM's VMM would.  A
 * third plays a hostile service VM that scribbles over the ring headers
 * while the host formats them.
 *
 * In the ZOC lab the real service VM is stopped and the ivshmem transport
 * unbound first, and both are put back afterwards.
 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "zoc_lab.h"
#include "ring.h"

#define IVSHMEM_DRIVER	"/sys/bus/pci/drivers/zoc-host-ivshmem"
#define SVM_PEER	7

/* The service VM, played by a thread. */
struct fake_svm {
	u8 *window;
	unsigned long long aperture;
	int call;		/* we signal it to ring the host */
	int kick;		/* the host signals it to ring us */
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
};

static void ring_host(struct fake_svm *f)
{
	u64 one = 1;

	if (write(f->call, &one, sizeof(one)) != sizeof(one))
		perror("ring_host");
}

static void fake_svm_drain(struct fake_svm *f)
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
			if (ret || msg.hdr.type != ZOC_MSG_ECHO)
				continue;
			if (!zoc_ring_produce(&f->cpl, &msg))
				f->answered++;
		}
		if (zoc_ring_need_doorbell(&f->cpl))
			ring_host(f);
	} while (zoc_ring_enable_notify(&f->req));
}

/* Ping the host; its reply must wake us with a doorbell. */
static void fake_svm_ping(struct fake_svm *f)
{
	struct zoc_msg msg = { .hdr.type = ZOC_MSG_CTRL_REQ };

	msg.hdr.len = cpu_to_le16(8);
	msg.hdr.tag = cpu_to_le32(f->pongs + 1);
	msg.ctrl.opcode = cpu_to_le32(ZOC_CTRL_PING);
	if (zoc_ring_produce(&f->cpl, &msg))
		return;
	f->waiting = f->pongs + 1;
	if (zoc_ring_need_doorbell(&f->cpl))
		ring_host(f);
}

static void *fake_svm_run(void *arg)
{
	struct fake_svm *f = arg;
	struct zoc_link_area *area = (void *)(f->window + f->aperture);
	u8 *base = (u8 *)area;
	struct pollfd pfd = { .fd = f->kick, .events = POLLIN };
	u32 epoch = f->epoch;
	u64 count;

	area->svm.epoch = cpu_to_le32(epoch);
	area->svm.peer_id = cpu_to_le32(SVM_PEER);
	area->svm.ack_epoch = 0;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	area->svm.state = cpu_to_le32(ZOC_LINK_UP);
	ring_host(f);

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		f->kicked = poll(&pfd, 1, ZOC_LINK_HEARTBEAT_MS) == 1;
		if (f->kicked && read(f->kick, &count, sizeof(count)) < 0)
			break;
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
			f->attached = 1;
			area->svm.ack_epoch = area->host.epoch;
			ring_host(f);
		}
		if (f->attached)
			fake_svm_drain(f);
		if (f->attached && !f->waiting &&
		    __atomic_load_n(&f->pongs, __ATOMIC_ACQUIRE) < f->pings)
			fake_svm_ping(f);
	}
	area->svm.state = cpu_to_le32(ZOC_LINK_DOWN);
	return NULL;
}

/*
 * Run the service VM over @f's eventfds and window until the kernel's echo
 * and flood tests went through it.
 */
static void drive_fake_svm(struct __test_metadata *_metadata, struct fake_svm *f)
{
	struct zoc_link_area *area = (void *)(f->window + f->aperture);
	pthread_t thread;
	int i;

	ASSERT_EQ(ZOC_LINK_MAGIC, le64_to_cpu(area->magic));
	f->epoch = le32_to_cpu(area->svm.epoch) + 1;
	f->pings = 50;
	f->pongs = 0;
	f->late = 0;
	f->waiting = 0;
	f->attached = 0;
	ASSERT_EQ(0, pthread_create(&thread, NULL, fake_svm_run, f));
	for (i = 0; i < 300; i++) {
		if (zoc_link_field("svm_epoch") == f->epoch &&
		    zoc_link_state("link") == 1)
			break;
		usleep(100 * 1000);
	}
	EXPECT_EQ(f->epoch, zoc_link_field("svm_epoch"));
	EXPECT_EQ(1, zoc_link_state("link")) TH_LOG("no handshake over the eventfds");
	EXPECT_EQ(0, zoc_link_write("echo", 2000));
	EXPECT_EQ(0, zoc_link_write("flood", 5000));
	EXPECT_LE(7000, f->answered);
	/* The host answers our pings in its doorbell path: with doorbells. */
	for (i = 0; i < 300 && __atomic_load_n(&f->pongs, __ATOMIC_ACQUIRE) <
	     f->pings; i++)
		usleep(100 * 1000);
	EXPECT_EQ(f->pings, __atomic_load_n(&f->pongs, __ATOMIC_ACQUIRE));
	EXPECT_EQ(0, __atomic_load_n(&f->late, __ATOMIC_RELAXED))
		TH_LOG("replies to the service VM came without a doorbell");
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
}

/* The aperture's first address, from debugfs, or 0. */
static unsigned long long aperture_start(void)
{
	unsigned long long start = 0, end;
	char line[256];
	FILE *link;

	link = fopen(ZOC_DEBUGFS "/link", "r");
	if (!link)
		return 0;
	while (fgets(line, sizeof(line), link))
		sscanf(line, "aperture: [mem %llx-%llx", &start, &end);
	fclose(link);
	return start;
}

/* The ivshmem-doorbell function the ivshmem transport is bound to, or "". */
static void ivshmem_bound(char *dev, size_t len)
{
	struct dirent *de;
	DIR *dir;

	*dev = '\0';
	dir = opendir(IVSHMEM_DRIVER);
	if (!dir)
		return;
	while ((de = readdir(dir)))
		if (strchr(de->d_name, ':') && strlen(de->d_name) < len)
			strcpy(dev, de->d_name);
	closedir(dir);
}

FIXTURE(bare) {
	int lab;
	char ivshmem[64];
};

FIXTURE_SETUP(bare)
{
	const char *missing = zoc_link_missing();

	self->lab = -1;
	if (access("/dev/zoc-link", R_OK))
		SKIP(return, "no /dev/zoc-link: zoc_host not loaded");
	if (missing)
		SKIP(return, "%s", missing);
	self->lab = zoc_lab_open();
	if (self->lab < 0)
		SKIP(return, "not in the ZOC lab: the link is in use");
	ASSERT_EQ(0, zoc_lab_cmd(self->lab, "svm-kill"));
	ivshmem_bound(self->ivshmem, sizeof(self->ivshmem));
	if (self->ivshmem[0])
		ASSERT_EQ(0, zoc_write_str(IVSHMEM_DRIVER "/unbind", self->ivshmem));
	ASSERT_EQ(0, zoc_link_state("host_state"));
}

FIXTURE_TEARDOWN(bare)
{
	if (self->lab < 0)
		return;
	if (self->ivshmem[0])
		zoc_write_str(IVSHMEM_DRIVER "/bind", self->ivshmem);
	zoc_lab_cmd(self->lab, "svm-start");
	zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT);
	close(self->lab);
}

/*
 * Attach a transport through /dev/zoc-link: eventfds of our own, the
 * kernel's window mapped in @f.  Returns the device, or -1.
 */
static int open_transport(struct __test_metadata *_metadata,
			  struct fake_svm *f, int *win, off_t *size)
{
	struct zoc_link_doorbell call, kick;
	struct stat st;
	int dev;

	f->aperture = aperture_start();
	EXPECT_NE(0, f->aperture);
	dev = open("/dev/zoc-link", O_RDWR);
	EXPECT_LE(0, dev);
	if (!f->aperture || dev < 0)
		return -1;
	f->call = eventfd(0, EFD_CLOEXEC);
	f->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	call = (struct zoc_link_doorbell){ .fd = f->call, .peer = 0 };
	kick = (struct zoc_link_doorbell){ .fd = f->kick, .peer = SVM_PEER };
	EXPECT_EQ(0, ioctl(dev, ZOC_LINK_SET_CALL, &call));
	EXPECT_EQ(-1, ioctl(dev, ZOC_LINK_SET_CALL, &call));	/* once */
	EXPECT_EQ(0, ioctl(dev, ZOC_LINK_SET_KICK, &kick));
	EXPECT_EQ(1, zoc_link_state("host_state"));

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

static void close_transport(struct __test_metadata *_metadata,
			    struct fake_svm *f, int dev, int win, off_t size)
{
	munmap(f->window, size);
	close(win);
	close(dev);
	/* Closing the device detached the transport. */
	EXPECT_EQ(0, zoc_link_state("host_state"));
	close(f->call);
	close(f->kick);
}

TEST_F_TIMEOUT(bare, eventfds_and_window, 300)
{
	struct fake_svm f = { 0 };
	off_t size;
	int dev, win;

	dev = open_transport(_metadata, &f, &win, &size);
	ASSERT_LE(0, dev);
	drive_fake_svm(_metadata, &f);
	close_transport(_metadata, &f, dev, win, size);
}

/* Writes impossible indices into both ring headers until told to stop. */
static void *scribble(void *arg)
{
	struct fake_svm *f = arg;
	u8 *base = f->window + f->aperture;
	struct zoc_ring_hdr *req = (void *)(base + ZOC_LINK_REQ_RING);
	struct zoc_ring_hdr *cpl = (void *)(base + ZOC_LINK_CPL_RING);
	u32 bad = 0x10000;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&req->prod, cpu_to_le32(bad), __ATOMIC_RELAXED);
		__atomic_store_n(&req->cons, cpu_to_le32(bad), __ATOMIC_RELAXED);
		__atomic_store_n(&cpl->prod, cpu_to_le32(bad), __ATOMIC_RELAXED);
		__atomic_store_n(&cpl->cons, cpu_to_le32(bad), __ATOMIC_RELAXED);
		bad += 0x10000;
	}
	return NULL;
}

/*
 * A hostile service VM: it takes a new epoch again and again, so that the
 * host formats the rings again and again, while another thread writes
 * impossible indices into the ring headers.  The host must take none of
 * them for a ring (formatting reads nothing back), never oops or hang,
 * and come up with the next service VM that behaves.
 */
TEST_F_TIMEOUT(bare, hostile_format, 300)
{
	struct fake_svm f = { 0 };
	struct zoc_link_area *area;
	pthread_t thread;
	off_t size;
	int dev, win, i;

	dev = open_transport(_metadata, &f, &win, &size);
	ASSERT_LE(0, dev);
	area = (void *)(f.window + f.aperture);
	area->svm.peer_id = cpu_to_le32(SVM_PEER);
	ASSERT_EQ(0, pthread_create(&thread, NULL, scribble, &f));
	for (i = 0; i < 100; i++) {
		area->svm.epoch = cpu_to_le32(le32_to_cpu(area->svm.epoch) + 1);
		area->svm.ack_epoch = area->host.epoch;
		area->svm.heartbeat =
			cpu_to_le64(le64_to_cpu(area->svm.heartbeat) + 1);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		area->svm.state = cpu_to_le32(ZOC_LINK_UP);
		ring_host(&f);
		usleep(20 * 1000);
	}
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	TH_LOG("host epoch %lld after 100 hostile epochs; resets %lld",
	       zoc_link_field("host_epoch"), zoc_link_field("resets"));
	/* The host still answers, and takes a service VM that behaves. */
	ASSERT_LE(0, zoc_link_field("host_epoch"));
	f.stop = 0;
	drive_fake_svm(_metadata, &f);
	close_transport(_metadata, &f, dev, win, size);
}

/* One ivshmem protocol message: value and maybe a fd (else -1). */
static int recv_msg(int sock, long long *val, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = val, .iov_len = sizeof(*val) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	struct cmsghdr *cmsg;

	*fd = -1;
	if (poll(&pfd, 1, 10000) != 1 ||
	    recvmsg(sock, &msg, 0) != sizeof(*val))
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg && cmsg->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	return 0;
}

/*
 * zoc-linkd -K: the broker hands the kernel its eventfds and the window;
 * this program connects to it as the service VM's VMM would (QEMU's
 * ivshmem-doorbell) and runs the service VM over what it got.
 */
TEST_F_TIMEOUT(bare, broker, 300)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *sock_path = "/tmp/zoc-broker.sock";
	struct fake_svm f = { 0 };
	long long val, host_id;
	int sock, fd, i, shm;
	struct stat st;
	pid_t broker;

	f.aperture = aperture_start();
	ASSERT_NE(0, f.aperture);
	unlink(sock_path);
	broker = fork();
	ASSERT_LE(0, broker);
	if (!broker) {
		execlp("zoc-linkd", "zoc-linkd", "-K", "/dev/zoc-link", "-S",
		       sock_path, NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && access(sock_path, F_OK); i++)
		usleep(50 * 1000);
	ASSERT_EQ(0, access(sock_path, F_OK)) TH_LOG("zoc-linkd -K did not start");
	EXPECT_EQ(1, zoc_link_state("host_state"));

	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, sock_path);
	ASSERT_EQ(0, connect(sock, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, recv_msg(sock, &val, &fd));	/* protocol version */
	EXPECT_EQ(0, val);
	ASSERT_EQ(0, recv_msg(sock, &val, &fd));	/* our peer id */
	ASSERT_EQ(0, recv_msg(sock, &val, &shm));	/* the window */
	ASSERT_LE(0, shm);
	ASSERT_EQ(0, recv_msg(sock, &host_id, &f.call));	/* the host's doorbell */
	ASSERT_LE(0, f.call);
	ASSERT_EQ(0, recv_msg(sock, &val, &f.kick));	/* ours */
	ASSERT_LE(0, f.kick);

	ASSERT_EQ(0, fstat(shm, &st));
	f.window = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			shm, 0);
	ASSERT_NE(MAP_FAILED, f.window);
	drive_fake_svm(_metadata, &f);

	munmap(f.window, st.st_size);
	close(shm);
	close(sock);
	kill(broker, SIGTERM);
	waitpid(broker, NULL, 0);
	/* The broker closed the device: the transport is gone. */
	EXPECT_EQ(0, zoc_link_state("host_state"));
}

TEST_HARNESS_MAIN
