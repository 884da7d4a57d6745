// SPDX-License-Identifier: GPL-2.0
/*
 * The bare-metal link transport, /dev/zoc-link0, without the service VM's
 * VMM: this program plays the broker (it hands the kernel the eventfds),
 * the VMM (it maps the window file the kernel returns) and the service VM
 * (it answers the handshake and the echo requests through the rings, with
 * the same ring code as the kernel).  The kernel must come up on the link,
 * answer its own echo and flood tests through the eventfds, and detach
 * cleanly when the device is closed.  A second does the same with data
 * queues, one eventfd per vector each way.  Another does the same through
 * zoc-linkd -K, the bare-metal broker, as the service VM's VMM would.  A
 * third plays a hostile service VM that scribbles over the ring headers
 * while the host formats them, a fourth one that rings the host without
 * end.
 *
 * In the ZOC lab the real service VM is stopped and the ivshmem transport
 * unbound first, and both are put back afterwards.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "fake_svm.h"

#define IVSHMEM_DRIVER	"/sys/bus/pci/drivers/zoc-host-ivshmem"

/* Wait up to 10 s for *@counter to reach @n; return what it is then. */
static long long wait_count(long long *counter, long long n)
{
	int i;

	for (i = 0; i < 100 && __atomic_load_n(counter, __ATOMIC_ACQUIRE) < n; i++)
		usleep(100 * 1000);
	return __atomic_load_n(counter, __ATOMIC_ACQUIRE);
}

/* What the test module's queue_post posts on a queue */
#define BARE_POSTS	100

/*
 * @f's data queues, in use: the host posts each queue's doorbells on that
 * queue and rings it on its own vector, no other, and takes each vector
 * the service VM rings for its own queue.
 */
static void check_queues(struct __test_metadata *_metadata, struct fake_svm *f)
{
	long long before, kicked[ZOC_LINK_MAX_QUEUES], got[ZOC_LINK_MAX_QUEUES];
	char name[32];
	u64 one = 1;
	int q, o, i;

	EXPECT_EQ(f->queues, zoc_link_field_of(f->dir, "queues"));
	for (q = 0; q < f->queues; q++) {
		for (o = 0; o < f->queues; o++) {
			kicked[o] = __atomic_load_n(&f->qkicked[o], __ATOMIC_ACQUIRE);
			got[o] = __atomic_load_n(&f->qdoorbells[o], __ATOMIC_ACQUIRE);
		}
		ASSERT_EQ(0, zoc_test_write("queue_post", q));
		EXPECT_EQ(got[q] + BARE_POSTS,
			  wait_count(&f->qdoorbells[q], got[q] + BARE_POSTS))
			TH_LOG("queue %d: doorbells missing", q);
		EXPECT_LT(kicked[q], wait_count(&f->qkicked[q], kicked[q] + 1))
			TH_LOG("queue %d was never rung", q);
		for (o = 0; o < f->queues; o++) {
			if (o == q)
				continue;
			EXPECT_EQ(got[o], __atomic_load_n(&f->qdoorbells[o],
							  __ATOMIC_ACQUIRE))
				TH_LOG("queue %d's doorbells came on queue %d", q, o);
			EXPECT_EQ(kicked[o], __atomic_load_n(&f->qkicked[o],
							     __ATOMIC_ACQUIRE))
				TH_LOG("queue %d's doorbells rang vector %d", q, 1 + o);
		}
	}
	for (q = 0; q < f->queues; q++) {
		snprintf(name, sizeof(name), "q%d_doorbells_rx", q);
		before = zoc_link_field_of(f->dir, name);
		ASSERT_EQ(sizeof(one), write(f->qcall[q], &one, sizeof(one)));
		for (i = 0; i < 100 && zoc_link_field_of(f->dir, name) == before; i++)
			usleep(100 * 1000);
		EXPECT_EQ(before + 1, zoc_link_field_of(f->dir, name))
			TH_LOG("vector %d did not ring queue %d", 1 + q, q);
	}
}

/*
 * Run the service VM over @f's eventfds and window until the kernel's echo
 * and flood tests went through it, and its data queues if it has some.
 */
static void drive_fake_svm(struct __test_metadata *_metadata, struct fake_svm *f)
{
	pthread_t thread;
	int i;

	f->pings = 50;
	EXPECT_EQ(0, fake_svm_start(f, &thread)) TH_LOG("no handshake over the eventfds");
	EXPECT_EQ(f->epoch, zoc_link_field("svm_epoch"));
	EXPECT_EQ(0, zoc_test_write("echo", 2000));
	EXPECT_EQ(0, zoc_test_write("flood", 5000));
	EXPECT_LE(7000, f->answered);
	/* The host answers our pings in its doorbell path: with doorbells. */
	for (i = 0; i < 300 && __atomic_load_n(&f->pongs, __ATOMIC_ACQUIRE) <
	     f->pings; i++)
		usleep(100 * 1000);
	EXPECT_EQ(f->pings, __atomic_load_n(&f->pongs, __ATOMIC_ACQUIRE));
	EXPECT_EQ(0, __atomic_load_n(&f->late, __ATOMIC_RELAXED))
		TH_LOG("replies to the service VM came without a doorbell");
	/* after the pings: a data queue's doorbell is not the control's */
	if (f->queues)
		check_queues(_metadata, f);
	fake_svm_stop(f, thread);
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
	const char *missing = zoc_link_missing() ?: zoc_test_missing();

	self->lab = -1;
	if (access("/dev/zoc-link0", R_OK))
		SKIP(return, "no /dev/zoc-link0: zoc_host not loaded");
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
 * The kernel's eventfds handed over directly, with @queues data queues
 * (ZOC_LINK_SET_CALLS and _SET_KICKS, one vector each) or none (the
 * single-vector ioctls): the host offers and uses as many as it was
 * given vectors past the first.
 */
static void direct(struct __test_metadata *_metadata, int queues)
{
	struct fake_svm f = { .queues = queues };
	off_t size;
	int dev, win;

	dev = fake_svm_open(_metadata, &f, 0, &win, &size);
	ASSERT_LE(0, dev);
	EXPECT_EQ(queues, zoc_link_field("host_queues"));
	drive_fake_svm(_metadata, &f);
	fake_svm_close(_metadata, &f, dev, win, size);
}

TEST_F_TIMEOUT(bare, eventfds_and_window, 300)
{
	if (!zoc_setup_skipped(_metadata))
		direct(_metadata, 0);
}

TEST_F_TIMEOUT(bare, data_queues, 300)
{
	if (!zoc_setup_skipped(_metadata))
		direct(_metadata, 3);
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

	if (zoc_setup_skipped(_metadata))
		return;
	dev = fake_svm_open(_metadata, &f, 0, &win, &size);
	ASSERT_LE(0, dev);
	area = fake_svm_area(&f);
	area->svm.peer_id = cpu_to_le32(FAKE_SVM_PEER);
	ASSERT_EQ(0, pthread_create(&thread, NULL, scribble, &f));
	for (i = 0; i < 100; i++) {
		area->svm.epoch = cpu_to_le32(le32_to_cpu(area->svm.epoch) + 1);
		area->svm.ack_epoch = area->host.epoch;
		area->svm.heartbeat =
			cpu_to_le64(le64_to_cpu(area->svm.heartbeat) + 1);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		area->svm.state = cpu_to_le32(ZOC_LINK_UP);
		fake_svm_ring_host(&f);
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
	fake_svm_close(_metadata, &f, dev, win, size);
}

/* A service VM that rings the host without end, on top of @f's thread. */
struct storm {
	struct fake_svm *f;
	int stop;		/* __atomic */
	long long rung;
};

static void *storm_run(void *arg)
{
	struct storm *st = arg;

	while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
		fake_svm_ring_host(st->f);
		st->rung++;
	}
	return NULL;
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec - t0->tv_sec + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * A service VM rings the host as fast as it can for a few seconds while
 * it serves the link.  The host takes at most its budget of doorbells in
 * interrupt context per second (irq_doorbells_per_sec), polls for the
 * others, and the link carries echoes and pings all the while.
 */
TEST_F_TIMEOUT(bare, doorbell_storm_bounded, 300)
{
	struct fake_svm f = { 0 };
	struct storm st = { .f = &f };
	long long per_sec, rx, polled, taken;
	pthread_t thread, ringer;
	struct timespec t0;
	double secs;
	off_t size;
	int dev, win, i;

	if (zoc_setup_skipped(_metadata))
		return;
	dev = fake_svm_open(_metadata, &f, 0, &win, &size);
	ASSERT_LE(0, dev);
	f.pings = 20;
	ASSERT_EQ(0, fake_svm_start(&f, &thread));
	per_sec = zoc_link_field_of(f.dir, "irq_doorbells_per_sec");
	ASSERT_LT(0, per_sec);
	rx = zoc_link_field_of(f.dir, "doorbells_rx");
	polled = zoc_link_field_of(f.dir, "doorbells_polled");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, pthread_create(&ringer, NULL, storm_run, &st));

	EXPECT_EQ(0, zoc_test_write("echo", 500));
	for (i = 0; i < 300 && __atomic_load_n(&f.pongs, __ATOMIC_ACQUIRE) <
	     f.pings; i++)
		usleep(100 * 1000);
	EXPECT_EQ(f.pings, __atomic_load_n(&f.pongs, __ATOMIC_ACQUIRE));
	while (secs_since(&t0) < 3)
		usleep(100 * 1000);

	__atomic_store_n(&st.stop, 1, __ATOMIC_RELEASE);
	pthread_join(ringer, NULL);
	secs = secs_since(&t0);
	rx = zoc_link_field_of(f.dir, "doorbells_rx") - rx;
	polled = zoc_link_field_of(f.dir, "doorbells_polled") - polled;
	taken = rx - polled;
	TH_LOG("doorbells: %lld rung, %lld got in %.1f s, %lld in irq, %lld polled; budget %lld/s",
	       st.rung, rx, secs, taken, polled, per_sec);
	EXPECT_LT(0, polled) TH_LOG("the storm never went over the budget");
	/* two jiffies' budgets more (HZ >= 100): those under way at the ends */
	EXPECT_GE(per_sec * secs + 2 * per_sec / 100, taken);
	fake_svm_stop(&f, thread);
	fake_svm_close(_metadata, &f, dev, win, size);
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
 * ivshmem-doorbell with BROKER_VECTORS vectors) and runs the service VM
 * over what it got, data queues too.
 */
#define BROKER_VECTORS		3
#define BROKER_VECTORS_STR	"3"
TEST_F_TIMEOUT(bare, broker, 300)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *sock_path = "/tmp/zoc-broker.sock";
	struct fake_svm f = { .queues = BROKER_VECTORS - 1 };
	long long val, host_id = -1;
	int sock, fd, i, v, shm;
	struct stat st;
	pid_t broker;

	if (zoc_setup_skipped(_metadata))
		return;
	snprintf(f.dir, sizeof(f.dir), "%s", ZOC_DEBUGFS);
	f.aperture = fake_svm_aperture(&f);
	ASSERT_NE(0, f.aperture);
	unlink(sock_path);
	broker = fork();
	ASSERT_LE(0, broker);
	if (!broker) {
		execlp("zoc-linkd", "zoc-linkd", "-K", "/dev/zoc-link0", "-S",
		       sock_path, "-v", BROKER_VECTORS_STR, NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && access(sock_path, F_OK); i++)
		usleep(50 * 1000);
	ASSERT_EQ(0, access(sock_path, F_OK)) TH_LOG("zoc-linkd -K did not start");
	EXPECT_EQ(1, zoc_link_state("host_state"));
	EXPECT_EQ(f.queues, zoc_link_field("host_queues"));

	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, sock_path);
	ASSERT_EQ(0, connect(sock, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, recv_msg(sock, &val, &fd));	/* protocol version */
	EXPECT_EQ(0, val);
	ASSERT_EQ(0, recv_msg(sock, &val, &fd));	/* our peer id */
	f.peer = val;
	ASSERT_EQ(0, recv_msg(sock, &val, &shm));	/* the window */
	ASSERT_LE(0, shm);
	/* the host's doorbell vectors, then ours */
	for (v = 0; v < 2 * BROKER_VECTORS; v++) {
		ASSERT_EQ(0, recv_msg(sock, &val, &fd));
		ASSERT_LE(0, fd);
		if (!v)
			host_id = val;
		EXPECT_EQ(v < BROKER_VECTORS ? host_id : f.peer, val);
		if (!v)
			f.call = fd;
		else if (v == BROKER_VECTORS)
			f.kick = fd;
		else if (v < BROKER_VECTORS)
			f.qcall[v - 1] = fd;
		else
			f.qkick[v - BROKER_VECTORS - 1] = fd;
	}

	ASSERT_EQ(0, fstat(shm, &st));
	f.window = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			shm, 0);
	ASSERT_NE(MAP_FAILED, f.window);
	drive_fake_svm(_metadata, &f);

	munmap(f.window, st.st_size);
	close(shm);
	close(sock);
	close(f.call);
	close(f.kick);
	for (v = 0; v < f.queues; v++) {
		close(f.qcall[v]);
		close(f.qkick[v]);
	}
	kill(broker, SIGTERM);
	waitpid(broker, NULL, 0);
	/* The broker closed the device: the transport is gone. */
	EXPECT_EQ(0, zoc_link_state("host_state"));
}

TEST_HARNESS_MAIN
