// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-linkd speaks QEMU's ivshmem server protocol: each connection gets a
 * new peer id, each role its own shared memory and eventfds, peers learn
 * about each other, a peer that leaves is announced and may come back (with
 * a new id: QEMU's ivshmem cannot take an id again), a second service VM
 * (a standby) is introduced to the host and not to the first, a second host
 * and a third service VM are refused.  Run against the real binary
 * (ZOC_LINKD).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#define VECTORS		2
#define RAM_SIZE	0x100000

/* One protocol message: value and fd (-1 if none); 0 on EOF, -1 on error. */
static int recv_msg(int sock, int64_t *val, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = val, .iov_len = sizeof(*val) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	struct cmsghdr *cmsg;
	ssize_t n;

	*fd = -1;
	if (poll(&pfd, 1, 5000) != 1)
		return -1;
	n = recvmsg(sock, &msg, 0);
	if (n <= 0)
		return n;
	if (n != sizeof(*val))
		return -1;
	*val = le64toh(*val);
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg && cmsg->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	return 1;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		close(s);
		return -1;
	}
	return s;
}

/* A VMM as QEMU's ivshmem sees the protocol. */
struct vmm {
	int sock;
	int64_t id;
	int shm;
	int own[VECTORS];
	int peer[VECTORS];	/* the other role's eventfds */
};

static void expect_msg(struct __test_metadata *_metadata, int sock,
		       int64_t val, bool with_fd, int *fd)
{
	int64_t v;
	int f;

	ASSERT_EQ(1, recv_msg(sock, &v, &f));
	ASSERT_EQ(val, v);
	ASSERT_EQ(with_fd, f >= 0);
	if (fd)
		*fd = f;
	else if (f >= 0)
		close(f);
}

/* Connect as the VMM of a role: expect id @id, and a peer @peer (or -1). */
static void vmm_connect(struct __test_metadata *_metadata, struct vmm *vm,
			const char *path, int64_t id, int64_t peer)
{
	int v;

	vm->sock = connect_to(path);
	ASSERT_LE(0, vm->sock);
	expect_msg(_metadata, vm->sock, 0, false, NULL);	/* version */
	expect_msg(_metadata, vm->sock, id, false, NULL);	/* own id */
	vm->id = id;
	expect_msg(_metadata, vm->sock, -1, true, &vm->shm);
	if (peer >= 0)
		for (v = 0; v < VECTORS; v++)
			expect_msg(_metadata, vm->sock, peer, true, &vm->peer[v]);
	for (v = 0; v < VECTORS; v++)
		expect_msg(_metadata, vm->sock, id, true, &vm->own[v]);
}

/* Ring vector @v of @to through @from's copy of its eventfd. */
static void ring_and_check(struct __test_metadata *_metadata, struct vmm *from,
			   struct vmm *to, int v)
{
	uint64_t one = 1, got = 0;
	struct pollfd pfd = { .fd = to->own[v], .events = POLLIN };

	ASSERT_EQ((ssize_t)sizeof(one), write(from->peer[v], &one, sizeof(one)));
	ASSERT_EQ(1, poll(&pfd, 1, 1000));
	ASSERT_EQ((ssize_t)sizeof(got), read(to->own[v], &got, sizeof(got)));
	ASSERT_EQ((uint64_t)1, got);
}

FIXTURE(linkd) {
	char dir[64];
	char host_sock[96];
	char svm_sock[96];
	char ram[96];
	pid_t pid;
	struct vmm host, svm;
};

FIXTURE_SETUP(linkd)
{
	const char *bin = getenv("ZOC_LINKD") ?: "zoc-linkd";
	char vec[8];
	int fd, i;

	strcpy(self->dir, "/tmp/zoc-linkd-test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->host_sock, sizeof(self->host_sock), "%s/host", self->dir);
	snprintf(self->svm_sock, sizeof(self->svm_sock), "%s/svm", self->dir);
	snprintf(self->ram, sizeof(self->ram), "%s/ram", self->dir);
	fd = open(self->ram, O_CREAT | O_RDWR, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, RAM_SIZE));
	close(fd);
	snprintf(vec, sizeof(vec), "%d", VECTORS);

	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (!self->pid) {
		execlp(bin, bin, "-H", self->host_sock, "-S", self->svm_sock,
		       "-r", self->ram, "-v", vec, NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && access(self->svm_sock, F_OK); i++)
		usleep(20000);
	ASSERT_EQ(0, access(self->svm_sock, F_OK));
}

FIXTURE_TEARDOWN(linkd)
{
	int status;

	kill(self->pid, SIGTERM);
	waitpid(self->pid, &status, 0);
	unlink(self->ram);
	rmdir(self->dir);
}

TEST_F(linkd, introduces_peers)
{
	struct stat ram, got;
	int v;

	vmm_connect(_metadata, &self->host, self->host_sock, 0, -1);
	vmm_connect(_metadata, &self->svm, self->svm_sock, 1, 0);
	for (v = 0; v < VECTORS; v++)
		expect_msg(_metadata, self->host.sock, 1, true, &self->host.peer[v]);

	/* The service VM gets the host's RAM, the host a 1 MiB area. */
	ASSERT_EQ(0, stat(self->ram, &ram));
	ASSERT_EQ(0, fstat(self->svm.shm, &got));
	EXPECT_EQ(ram.st_ino, got.st_ino);
	ASSERT_EQ(0, fstat(self->host.shm, &got));
	EXPECT_NE(ram.st_ino, got.st_ino);
	EXPECT_EQ(RAM_SIZE, got.st_size);

	for (v = 0; v < VECTORS; v++) {
		ring_and_check(_metadata, &self->host, &self->svm, v);
		ring_and_check(_metadata, &self->svm, &self->host, v);
	}
}

TEST_F(linkd, peer_leaves_and_returns)
{
	int v;

	vmm_connect(_metadata, &self->host, self->host_sock, 0, -1);
	vmm_connect(_metadata, &self->svm, self->svm_sock, 1, 0);
	for (v = 0; v < VECTORS; v++)
		expect_msg(_metadata, self->host.sock, 1, true, &self->host.peer[v]);

	close(self->svm.sock);
	expect_msg(_metadata, self->host.sock, 1, false, NULL);	/* gone */

	vmm_connect(_metadata, &self->svm, self->svm_sock, 2, 0);
	for (v = 0; v < VECTORS; v++)
		expect_msg(_metadata, self->host.sock, 2, true, &self->host.peer[v]);
	for (v = 0; v < VECTORS; v++) {
		ring_and_check(_metadata, &self->host, &self->svm, v);
		ring_and_check(_metadata, &self->svm, &self->host, v);
	}
}

/* A connection to @path is closed with nothing sent. */
static void expect_refused(struct __test_metadata *_metadata, const char *path)
{
	int64_t val;
	int fd, s;

	s = connect_to(path);
	ASSERT_LE(0, s);
	EXPECT_EQ(0, recv_msg(s, &val, &fd));
	close(s);
}

TEST_F(linkd, standby_is_introduced_to_the_host_only)
{
	struct pollfd pfd = { .events = POLLIN };
	struct vmm standby, host2 = { 0 };
	int v;

	vmm_connect(_metadata, &self->host, self->host_sock, 0, -1);
	vmm_connect(_metadata, &self->svm, self->svm_sock, 1, 0);
	for (v = 0; v < VECTORS; v++)
		expect_msg(_metadata, self->host.sock, 1, true, &self->host.peer[v]);
	vmm_connect(_metadata, &standby, self->svm_sock, 2, 0);
	/* host2: the host as it rings the standby */
	for (v = 0; v < VECTORS; v++)
		expect_msg(_metadata, self->host.sock, 2, true, &host2.peer[v]);
	/* The serving one hears nothing of the standby. */
	pfd.fd = self->svm.sock;
	EXPECT_EQ(0, poll(&pfd, 1, 200));

	/* The host reaches each; each reaches the host. */
	for (v = 0; v < VECTORS; v++) {
		ring_and_check(_metadata, &self->host, &self->svm, v);
		ring_and_check(_metadata, &self->svm, &self->host, v);
		ring_and_check(_metadata, &host2, &standby, v);
		ring_and_check(_metadata, &standby, &self->host, v);
	}

	/* The serving one goes: the host is told of it alone. */
	close(self->svm.sock);
	expect_msg(_metadata, self->host.sock, 1, false, NULL);
	for (v = 0; v < VECTORS; v++)
		ring_and_check(_metadata, &standby, &self->host, v);
}

TEST_F(linkd, refuses_a_second_host_and_a_third_service_vm)
{
	struct vmm standby;
	int v;

	vmm_connect(_metadata, &self->host, self->host_sock, 0, -1);
	vmm_connect(_metadata, &self->svm, self->svm_sock, 1, 0);
	vmm_connect(_metadata, &standby, self->svm_sock, 2, 0);
	expect_refused(_metadata, self->svm_sock);
	expect_refused(_metadata, self->host_sock);
	/* The others are still served. */
	for (v = 0; v < VECTORS; v++) {
		expect_msg(_metadata, self->host.sock, 1, true, &self->host.peer[v]);
		ring_and_check(_metadata, &self->host, &self->svm, v);
	}
}

TEST(rejects_ram_not_power_of_two)
{
	const char *bin = getenv("ZOC_LINKD") ?: "zoc-linkd";
	char ram[] = "/tmp/zoc-linkd-ram.XXXXXX";
	int fd, status;
	pid_t pid;

	fd = mkstemp(ram);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 3 << 20));
	close(fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execlp(bin, bin, "-H", "/tmp/zoc-linkd-h.sock", "-S",
		       "/tmp/zoc-linkd-s.sock", "-r", ram, NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	unlink(ram);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(1, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
