// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-linkd: the ZOC link broker.
 *
 * Speaks QEMU's ivshmem server protocol (docs/specs/ivshmem-spec.rst) to the
 * VMMs of the host and of the service VM.  Each role has its own listening
 * socket and gets its own shared memory: the service VM gets the host's RAM
 * (its L0 window), the host a small area (its doorbell device needs one; the
 * link lives in its aperture).  A peer that leaves is announced to the other
 * role and may come back: a service VM restart does not need a new broker.
 * Two service VMs may be connected at once, the one serving and a standby
 * that takes over from it: each is introduced to the host, not to the
 * other; the kernels find which one serves in the link area.
 *
 * Every connection gets a new peer id, as with QEMU's own server: QEMU's
 * ivshmem frees the eventfd array of a peer that left and does not allocate
 * it again for an id it has seen, so reusing an id corrupts the other VMM's
 * heap.  The kernels find each other's current id in the link area.
 *
 * On bare metal (-K /dev/zoc-link0) the host is not a VMM but the kernel we
 * run on: it gets its eventfds through the device's ioctls, and the service
 * VM's shared memory is the window file the device returns (host RAM).
 *
 * Usage: zoc-linkd -H host.sock -S svm.sock -r HOST_RAM_FILE [-v VECTORS]
 *        zoc-linkd -K /dev/zoc-link0 -S svm.sock [-v VECTORS]
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/zoc_link.h>

#define LINKD_ROLES		2
/* the host, then the service VM serving and its standby */
#define LINKD_PEERS		3
#define LINKD_MAX_VECTORS	64
#define LINKD_HOST_AREA		0x100000	/* power of two: ivshmem BAR2 */
#define IVSHMEM_PROTOCOL	0

enum linkd_role { ROLE_HOST, ROLE_SVM };

#define LINKD_MAX_ID		0xffff	/* ivshmem doorbell ids are 16 bits */

static const char * const role_name[LINKD_ROLES] = { "host", "svm" };

/**
 * struct linkd_peer - a place for a VMM and, while connected, its VMM
 * @conn: connection to the VMM, -1 when none
 * @kernel: the host kernel's link device (bare metal), -1 if not
 * @id: peer id of that connection, or of the kernel
 * @efd: the VMM's doorbell eventfds, one per vector
 * @single: the kernel's: it takes only the ioctls of one vector each way
 */
struct linkd_peer {
	int conn;
	int kernel;
	int id;
	int efd[LINKD_MAX_VECTORS];
	bool single;
};

/**
 * struct linkd - the broker
 * @path: socket path of each role
 * @listen_fd: listening socket of each role
 * @shm_fd: shared memory handed to each role's VMMs
 * @peer: the host's place, then the service VMs'
 * @vectors: doorbell vectors per VMM
 * @next_id: peer id of the next connection
 */
struct linkd {
	const char *path[LINKD_ROLES];
	int listen_fd[LINKD_ROLES];
	int shm_fd[LINKD_ROLES];
	struct linkd_peer peer[LINKD_PEERS];
	int vectors;
	int next_id;
};

/* The role of the place @i: the host's is the first. */
static int linkd_role(int i)
{
	return i ? ROLE_SVM : ROLE_HOST;
}

/* Send one protocol message: a little-endian int64 and maybe a fd. */
static int linkd_send(int sock, int64_t val, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &val, .iov_len = sizeof(val) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	val = htole64(val);
	if (fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != sizeof(val))
		return -1;
	return 0;
}

/* Is the role's peer there: a connected VMM, or the kernel? */
static bool linkd_present(struct linkd_peer *p)
{
	return p->conn >= 0 || p->kernel >= 0;
}

/* The vectors the kernel takes of @n: at most ZOC_LINK_MAX_VECTORS. */
static int linkd_kernel_vectors(int n)
{
	return n < ZOC_LINK_MAX_VECTORS ? n : ZOC_LINK_MAX_VECTORS;
}

/*
 * Tell the kernel which eventfds ring service VM @peer, one per vector of
 * @efd's first @n (0: none any more).
 */
static int linkd_kernel_kick(struct linkd_peer *host, const int *efd, int n,
			     int peer)
{
	struct zoc_link_doorbell db = { .fd = n ? efd[0] : -1, .peer = peer };
	struct zoc_link_vectors v = { .peer = peer };

	v.nr = linkd_kernel_vectors(n);
	if (v.nr)
		memcpy(v.fds, efd, v.nr * sizeof(*efd));
	if (host->single ? ioctl(host->kernel, ZOC_LINK_SET_KICK, &db) :
	    ioctl(host->kernel, ZOC_LINK_SET_KICKS, &v)) {
		perror("zoc-linkd: setting the service VM's doorbells");
		return -1;
	}
	return 0;
}

/*
 * Bare metal: the host is the kernel behind @path.  It gets its doorbell
 * eventfds now, and gives the service VM its window (host RAM).
 */
static int linkd_kernel(struct linkd *ld, const char *path)
{
	struct linkd_peer *host = &ld->peer[ROLE_HOST];
	struct zoc_link_vectors calls;
	struct zoc_link_doorbell db;
	int v;

	host->kernel = open(path, O_RDWR | O_CLOEXEC);
	if (host->kernel < 0) {
		fprintf(stderr, "zoc-linkd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	host->id = ld->next_id++;
	for (v = 0; v < ld->vectors; v++) {
		host->efd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (host->efd[v] < 0)
			return -1;
	}
	/* vector 0 for the control rings, the others for data queues */
	calls = (struct zoc_link_vectors){ .peer = host->id };
	calls.nr = linkd_kernel_vectors(ld->vectors);
	memcpy(calls.fds, host->efd, calls.nr * sizeof(*host->efd));
	if (ioctl(host->kernel, ZOC_LINK_SET_CALLS, &calls)) {
		if (errno != ENOTTY) {
			perror("zoc-linkd: ZOC_LINK_SET_CALLS");
			return -1;
		}
		/* a kernel of one vector each way: no data queues */
		host->single = true;
		db = (struct zoc_link_doorbell){ .fd = host->efd[0],
						 .peer = host->id };
		if (ioctl(host->kernel, ZOC_LINK_SET_CALL, &db)) {
			perror("zoc-linkd: ZOC_LINK_SET_CALL");
			return -1;
		}
		fprintf(stderr, "zoc-linkd: the kernel takes one vector: no data queues\n");
	}
	ld->shm_fd[ROLE_SVM] = ioctl(host->kernel, ZOC_LINK_WINDOW);
	if (ld->shm_fd[ROLE_SVM] < 0) {
		perror("zoc-linkd: ZOC_LINK_WINDOW");
		return -1;
	}
	return 0;
}

static int linkd_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "zoc-linkd: %s: path too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		fprintf(stderr, "zoc-linkd: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void linkd_close_efds(struct linkd *ld, struct linkd_peer *p)
{
	int v;

	for (v = 0; v < ld->vectors; v++) {
		if (p->efd[v] >= 0)
			close(p->efd[v]);
		p->efd[v] = -1;
	}
}

/* The VMM in place @i left: forget it and tell the other role. */
static void linkd_drop(struct linkd *ld, int i)
{
	struct linkd_peer *p = &ld->peer[i];
	int other;

	close(p->conn);
	p->conn = -1;
	linkd_close_efds(ld, p);
	for (other = 0; other < LINKD_PEERS; other++) {
		if (linkd_role(other) == linkd_role(i))
			continue;
		if (ld->peer[other].conn >= 0)
			linkd_send(ld->peer[other].conn, p->id, -1);
		else if (ld->peer[other].kernel >= 0)
			linkd_kernel_kick(&ld->peer[other], NULL, 0, p->id);
	}
	fprintf(stderr, "zoc-linkd: %s (peer id %d) left\n",
		role_name[linkd_role(i)], p->id);
}

/* A free place of @role, or -1. */
static int linkd_place(struct linkd *ld, int role)
{
	int i;

	for (i = 0; i < LINKD_PEERS; i++)
		if (linkd_role(i) == role && !linkd_present(&ld->peer[i]))
			return i;
	return -1;
}

/* A VMM connected to the socket of @role: introduce it. */
static int linkd_accept(struct linkd *ld, int role)
{
	struct linkd_peer *p, *o;
	int conn, other, v, id, i;

	conn = accept4(ld->listen_fd[role], NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	i = linkd_place(ld, role);
	if (i < 0 || ld->next_id > LINKD_MAX_ID) {
		fprintf(stderr, "zoc-linkd: refusing a VMM for %s: %s\n",
			role_name[role], i < 0 ? "no room for another" :
			"out of peer ids");
		close(conn);
		return 0;
	}
	p = &ld->peer[i];
	id = ld->next_id;
	for (v = 0; v < ld->vectors; v++) {
		p->efd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (p->efd[v] < 0)
			goto out_close;
	}
	if (linkd_send(conn, IVSHMEM_PROTOCOL, -1) ||
	    linkd_send(conn, id, -1) ||
	    linkd_send(conn, -1, ld->shm_fd[role]))
		goto out_close;
	for (other = 0; other < LINKD_PEERS; other++) {
		o = &ld->peer[other];
		if (linkd_role(other) == role || !linkd_present(o))
			continue;
		for (v = 0; v < ld->vectors; v++) {
			if (linkd_send(conn, o->id, o->efd[v]))
				goto out_close;
			/* The other side may be dying: its hangup is handled later. */
			if (o->conn >= 0)
				linkd_send(o->conn, id, p->efd[v]);
		}
		if (o->kernel >= 0 &&
		    linkd_kernel_kick(o, p->efd, ld->vectors, id))
			goto out_close;
	}
	for (v = 0; v < ld->vectors; v++)
		if (linkd_send(conn, id, p->efd[v]))
			goto out_close;
	p->conn = conn;
	p->id = id;
	ld->next_id++;
	fprintf(stderr, "zoc-linkd: %s connected (peer id %d, %d vectors)\n",
		role_name[role], id, ld->vectors);
	return 0;

out_close:
	fprintf(stderr, "zoc-linkd: introducing %s: %s\n", role_name[role],
		strerror(errno));
	close(conn);
	linkd_close_efds(ld, p);
	return 0;
}

static int linkd_host_area(void)
{
	int fd = memfd_create("zoc-host-area", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, LINKD_HOST_AREA)) {
		perror("zoc-linkd: host area");
		return -1;
	}
	return fd;
}

static int linkd_ram(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "zoc-linkd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* ivshmem exposes the memory as a BAR: its size must be a power of two. */
	if (!st.st_size || st.st_size & (st.st_size - 1)) {
		fprintf(stderr, "zoc-linkd: %s: size %lld is not a power of two\n",
			path, (long long)st.st_size);
		return -1;
	}
	return fd;
}

/* Serve both roles until SIGTERM or SIGINT arrives on @sigfd. */
static int linkd_loop(struct linkd *ld, int sigfd)
{
	struct pollfd pfd[LINKD_ROLES + LINKD_PEERS + 1];
	const int sig = LINKD_ROLES + LINKD_PEERS;
	char buf[64];
	int i, n;

	for (;;) {
		for (i = 0; i < LINKD_ROLES; i++) {
			pfd[i].fd = ld->listen_fd[i];
			pfd[i].events = POLLIN;
		}
		for (i = 0; i < LINKD_PEERS; i++) {
			pfd[LINKD_ROLES + i].fd = ld->peer[i].conn;
			pfd[LINKD_ROLES + i].events = POLLIN;
		}
		pfd[sig].fd = sigfd;
		pfd[sig].events = POLLIN;
		n = poll(pfd, sig + 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("zoc-linkd: poll");
			return -1;
		}
		/* VMMs never send anything: input means hangup. */
		for (i = 0; i < LINKD_PEERS; i++)
			if (pfd[LINKD_ROLES + i].revents &&
			    read(ld->peer[i].conn, buf, sizeof(buf)) <= 0)
				linkd_drop(ld, i);
		for (i = 0; i < LINKD_ROLES; i++)
			if (pfd[i].revents & POLLIN && linkd_accept(ld, i))
				return -1;
		if (pfd[sig].revents)
			return 0;
	}
}

static void linkd_usage(void)
{
	fprintf(stderr,
		"usage: zoc-linkd -H HOST_SOCKET -S SVM_SOCKET -r HOST_RAM_FILE [-v VECTORS]\n"
		"       zoc-linkd -K LINK_DEVICE -S SVM_SOCKET [-v VECTORS]\n");
}

int main(int argc, char **argv)
{
	struct linkd ld = { .vectors = 1 };
	const char *ram = NULL, *device = NULL;
	bool bad;
	int i, v, opt, ret, sigfd;
	sigset_t set;

	for (i = 0; i < LINKD_ROLES; i++)
		ld.listen_fd[i] = -1;
	for (i = 0; i < LINKD_PEERS; i++) {
		ld.peer[i].conn = -1;
		ld.peer[i].kernel = -1;
		for (v = 0; v < LINKD_MAX_VECTORS; v++)
			ld.peer[i].efd[v] = -1;
	}
	while ((opt = getopt(argc, argv, "H:K:S:r:v:h")) != -1) {
		switch (opt) {
		case 'H':
			ld.path[ROLE_HOST] = optarg;
			break;
		case 'K':
			device = optarg;
			break;
		case 'S':
			ld.path[ROLE_SVM] = optarg;
			break;
		case 'r':
			ram = optarg;
			break;
		case 'v':
			ld.vectors = atoi(optarg);
			break;
		default:
			linkd_usage();
			return 2;
		}
	}
	/* A VMM host needs its socket and RAM; the kernel host neither. */
	bad = device ? ld.path[ROLE_HOST] || ram :
		       !ld.path[ROLE_HOST] || !ram;
	if (bad || !ld.path[ROLE_SVM] ||
	    ld.vectors < 1 || ld.vectors > LINKD_MAX_VECTORS) {
		linkd_usage();
		return 2;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sigfd < 0) {
		perror("zoc-linkd: signalfd");
		return 1;
	}

	if (device) {
		if (linkd_kernel(&ld, device))
			return 1;
	} else {
		ld.shm_fd[ROLE_HOST] = linkd_host_area();
		ld.shm_fd[ROLE_SVM] = linkd_ram(ram);
		if (ld.shm_fd[ROLE_HOST] < 0 || ld.shm_fd[ROLE_SVM] < 0)
			return 1;
	}
	for (i = 0; i < LINKD_ROLES; i++) {
		if (!ld.path[i])
			continue;
		ld.listen_fd[i] = linkd_listen(ld.path[i]);
		if (ld.listen_fd[i] < 0)
			return 1;
	}
	fprintf(stderr, "zoc-linkd: listening (host %s, svm %s, %d vectors)\n",
		device ?: ld.path[ROLE_HOST], ld.path[ROLE_SVM], ld.vectors);

	ret = linkd_loop(&ld, sigfd);
	for (i = 0; i < LINKD_ROLES; i++)
		if (ld.path[i])
			unlink(ld.path[i]);
	return ret ? 1 : 0;
}
