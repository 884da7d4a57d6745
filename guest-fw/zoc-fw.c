// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-fw: PID 1 of the ZOC service VM.
 *
 * Mounts the kernel file systems, loads the modules named in its
 * configuration (dependencies first, from modules.dep), brings up the
 * uplink, reports readiness on the console, then reaps orphans and
 * supervises the services of its configuration (restarting them, with a
 * back-off, when they exit).  Nothing on the data path runs here: the data
 * path is in the kernel.
 *
 * It also runs hotplug hooks for the network interfaces of a driver that
 * come and go (hotplug.c), and takes requests on a control port
 * (control.c): to reload a module and those that depend on it, say
 * (modules.c, which also loads the modules of the configuration).
 *
 * This file: the main loop, the configuration's directives (the module,
 * hotplug and control ones in the files named; conf.c reads it), and the
 * supervision of services.
 *
 * Configuration (default /etc/zoc/fw.conf), one directive per line:
 *
 *	module NAME [PARAM=VALUE...]	load a module and its dependencies
 *	volume NAME KIND ... [KEY VALUE...]
 *					list a volume the host may ask for:
 *					local, or on NVMe over Fabrics
 *					(volume.c, fabrics.c)
 *	hostnqn NQN			this service VM's NQN for storage
 *	rdma-link NAME TYPE NETDEV	a software RDMA device (rdma.c)
 *	uplink IFNAME ADDRESS/PREFIX [mtu MTU]
 *					bring up the uplink with an IPv4 address
 *					(and an MTU: tunnels need room)
 *	run PATH [ARG...]		run a program to its end (a loader, say)
 *	service PATH [ARG...]		run and supervise a program
 *	hotplug DRIVER PATH [ARG...]	run a program for each interface of
 *					DRIVER that comes or goes
 *	memory PATH [ARG...]		run "PATH [ARG...] grow" when memory
 *					comes online (mem.c)
 *	control PORTNAME|PATH		take requests on that port
 *	command NAME PATH [ARG...]	a program the port's "run NAME" runs
 *
 * '#' starts a comment.  A failing directive is reported and the rest of
 * the configuration still applies: a service VM with a broken uplink can
 * still be reached over its link.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fw.h"

#define FW_CONF			"/etc/zoc/fw.conf"
#define FW_RESTART_MIN		1	/* seconds */
#define FW_RESTART_MAX		30
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

void fw_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("zoc-fw: ", stdout);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

static void fw_mount(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, MS_NOSUID | MS_NOEXEC, NULL) && errno != EBUSY)
		fw_log("mount %s on %s: %s", type, dst, strerror(errno));
}

/*
 * The kernel gives init no file descriptors when the initramfs has no
 * /dev/console: open it from devtmpfs then.  Descriptors it was given (in
 * a test, say) are kept.
 */
static void fw_console(void)
{
	int fd;

	fw_mount("devtmpfs", "/dev", "devtmpfs");
	if (fcntl(1, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static int fw_ifreq(int sock, unsigned long req, struct ifreq *ifr,
		    const char *what)
{
	if (ioctl(sock, req, ifr) == 0)
		return 0;
	fw_log("uplink %s: %s: %s", ifr->ifr_name, what, strerror(errno));
	return -1;
}

static void fw_uplink(struct fw *fw, char **argv, int argc)
{
	struct sockaddr_in *sin;
	struct ifreq ifr = { 0 };
	unsigned long prefix, mtu = 0;
	char *slash, *end;
	struct in_addr addr;
	int sock;

	slash = argc == 3 || argc == 5 ? strchr(argv[2], '/') : NULL;
	if (slash && argc == 5) {
		mtu = strtoul(argv[4], &end, 10);
		if (strcmp(argv[3], "mtu") || *end || mtu < 68 || mtu > 65535)
			slash = NULL;
	}
	if (!slash) {
		fw_log("uplink: usage: uplink IFNAME ADDRESS/PREFIX [mtu MTU]");
		fw->errors++;
		return;
	}
	*slash = '\0';
	prefix = strtoul(slash + 1, &end, 10);
	if (*end || prefix > 32 || !inet_pton(AF_INET, argv[2], &addr) ||
	    strlen(argv[1]) >= IFNAMSIZ) {
		fw_log("uplink %s: bad address %s/%s", argv[1], argv[2], slash + 1);
		fw->errors++;
		return;
	}
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		fw->errors++;
		return;
	}
	strcpy(ifr.ifr_name, argv[1]);
	ifr.ifr_mtu = mtu;
	if (mtu && fw_ifreq(sock, SIOCSIFMTU, &ifr, "mtu"))
		goto out_error;
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr = addr;
	if (fw_ifreq(sock, SIOCSIFADDR, &ifr, "address"))
		goto out_error;
	sin->sin_addr.s_addr = prefix ? htonl(~0u << (32 - prefix)) : 0;
	if (fw_ifreq(sock, SIOCSIFNETMASK, &ifr, "netmask") ||
	    fw_ifreq(sock, SIOCGIFFLAGS, &ifr, "flags"))
		goto out_error;
	ifr.ifr_flags |= IFF_UP;
	if (fw_ifreq(sock, SIOCSIFFLAGS, &ifr, "up"))
		goto out_error;
	close(sock);
	fw_log("uplink %s up, %s/%lu", argv[1], argv[2], prefix);
	return;

out_error:
	close(sock);
	fw->errors++;
}

/*
 * Start a program in a session of its own, with no signal blocked, its
 * standard output on @out unless it is -1.
 * Return: its pid, or -1.
 */
static pid_t fw_spawn(char **argv, int out)
{
	sigset_t none;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		fw_log("%s: fork: %s", argv[0], strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		if (out >= 0 && dup2(out, STDOUT_FILENO) < 0)
			_exit(127);
		execv(argv[0], argv);
		fw_log("%s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/*
 * Take what a program wrote on @fd, keeping its last line that is not
 * empty in @out (@len bytes, at least 1), the line being built in @line
 * (@len bytes too, its length in *@at).  Bytes that are not printable
 * become '?'.  Return: 1 if some came, 0 at the end of the output or on
 * an error, -1 if none is there yet.
 */
static int fw_take_output(int fd, char *out, char *line, size_t *at,
			  size_t len)
{
	char buf[512];
	ssize_t n, i;

	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? -1 : 0;
	for (i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (*at < len - 1)
				line[(*at)++] = buf[i] >= ' ' && buf[i] < 0x7f ?
						buf[i] : '?';
			continue;
		}
		if (*at) {
			memcpy(out, line, *at);
			out[*at] = '\0';
		}
		*at = 0;
	}
	if (!n && *at) {
		memcpy(out, line, *at);
		out[*at] = '\0';
	}
	return n > 0;
}

/*
 * Run a program to its end, killing it after @timeout seconds unless 0.
 * Other children that exit meanwhile are left to fw_supervise().  Unless
 * @out is NULL, the last line it writes on its standard output that is
 * not empty, cut to @len - 1 bytes, is left in @out ("" if none).
 * Return: true if it exited with status 0; its wait status in @status.
 */
bool fw_exec_output(char **argv, unsigned int timeout, int *status,
		    char *out, size_t len)
{
	struct timespec tick = { .tv_sec = 1 };
	time_t end = time(NULL) + timeout;
	int pipefd[2] = { -1, -1 };
	char line[FW_OUTPUT_LINE];
	size_t at = 0;
	pid_t pid, ret = 0;
	sigset_t chld;

	*status = -1;
	if (out) {
		if (!len)
			return false;
		out[0] = '\0';
		if (len > sizeof(line))
			len = sizeof(line);
		/* Only our end is non-blocking: the program's writes wait */
		if (pipe2(pipefd, O_CLOEXEC) < 0)
			return false;
		if (fcntl(pipefd[0], F_SETFL, O_NONBLOCK) < 0) {
			close(pipefd[0]);
			close(pipefd[1]);
			return false;
		}
	}
	pid = fw_spawn(argv, pipefd[1]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (pid < 0)
		goto out_close;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		ret = waitpid(pid, status, WNOHANG);
		if (ret == pid)
			break;
		if (ret < 0 && errno != EINTR)
			goto out_close;
		if (timeout && time(NULL) >= end) {
			fw_log("%s: killed after %us", argv[0], timeout);
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			break;
		}
		if (pipefd[0] >= 0) {
			/* SIGCHLD wakes no poll(): at most a second late */
			struct pollfd p = { .fd = pipefd[0], .events = POLLIN };

			if (poll(&p, 1, 1000) > 0 &&
			    !fw_take_output(pipefd[0], out, line, &at, len)) {
				close(pipefd[0]);
				pipefd[0] = -1;
			}
			continue;
		}
		/* SIGCHLD stays blocked: taken here, it only wakes us up */
		sigtimedwait(&chld, NULL, &tick);
	}
	/* What is left in the pipe; a child of its own may hold it open */
	while (pipefd[0] >= 0 &&
	       fw_take_output(pipefd[0], out, line, &at, len) > 0)
		;
out_close:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	return ret == pid && WIFEXITED(*status) && !WEXITSTATUS(*status);
}

bool fw_exec(char **argv, unsigned int timeout, int *status)
{
	return fw_exec_output(argv, timeout, status, NULL, 0);
}

/* Run a program once, now, and wait for it: loaders, set-up tools. */
static void fw_run(struct fw *fw, char **argv, int argc)
{
	int status;

	if (argc < 2) {
		fw_log("run: path missing");
		fw->errors++;
		return;
	}
	if (!fw_exec(argv + 1, 0, &status)) {
		fw_log("run %s: failed (status %#x)", argv[1], status);
		fw->errors++;
		return;
	}
	fw_log("run %s: done", argv[1]);
}

static void fw_add_service(struct fw *fw, char **argv, int argc)
{
	struct fw_service *s;
	int i;

	if (argc < 2 || fw->nr_services == FW_MAX_SERVICES) {
		fw_log("service: %s", argc < 2 ? "path missing" : "too many");
		fw->errors++;
		return;
	}
	s = &fw->services[fw->nr_services++];
	for (i = 1; i < argc; i++)
		s->argv[i - 1] = strdup(argv[i]);
	s->backoff = FW_RESTART_MIN;
}

static const struct fw_directive fw_directives[] = {
	{ "module", fw_module },
	{ "volume", fw_volume },
	{ "hostnqn", fw_hostnqn },
	{ "rdma-link", fw_rdma_link },
	{ "uplink", fw_uplink },
	{ "run", fw_run },
	{ "service", fw_add_service },
	{ "hotplug", fw_add_hotplug },
	{ "memory", fw_add_mem_hook },
	{ "control", fw_control },
	{ "command", fw_add_command },
	{ }
};

static void fw_configure(struct fw *fw, const char *path)
{
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		fw_log("%s: %s", path, strerror(errno));
		fw->errors++;
		return;
	}
	fw_conf_read(fw, f, path, fw_directives);
	fclose(f);
}

static void fw_start(struct fw_service *s)
{
	pid_t pid = fw_spawn(s->argv, -1);

	if (pid > 0)
		s->pid = pid;
}

static void fw_reaped(struct fw *fw, pid_t pid, int status)
{
	struct fw_service *s;
	unsigned int i;

	for (i = 0; i < fw->nr_services; i++) {
		s = &fw->services[i];
		if (s->pid != pid)
			continue;
		s->pid = 0;
		s->next_start = time(NULL) + s->backoff;
		fw_log("%s exited (status %#x), restart in %us", s->argv[0],
		       status, s->backoff);
		if (s->backoff < FW_RESTART_MAX)
			s->backoff *= 2;
	}
}

/*
 * Start what is due, reap what exited, tend the remote volumes, run the
 * hotplug hooks of link events, bring added CPUs online, until asked to power off (busybox
 * poweroff sends SIGUSR2 to PID 1, reboot SIGTERM), to restart or to stop
 * (the control port).  The signals stay blocked and are taken
 * synchronously; a signalfd only wakes the loop up.
 */
static void fw_supervise(struct fw *fw, sigset_t *set)
{
	struct pollfd fds[4] = {
		{ .fd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC),
		  .events = POLLIN },
		{ .fd = fw->nl, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
		{ .fd = fw->uevent, .events = POLLIN },
	};
	struct timespec now = { 0 };
	struct fw_service *s;
	unsigned int i;
	int status, sig = 0;
	pid_t pid;

	while (sig != SIGUSR2 && sig != SIGTERM && !fw->restart && !fw->stop) {
		for (i = 0; i < fw->nr_services; i++) {
			s = &fw->services[i];
			if (!s->pid && time(NULL) >= s->next_start)
				fw_start(s);
		}
		fds[2].fd = fw_ctl_fd(&fw->ctl);
		/* without a signalfd, signals are seen every second */
		if (poll(fds, ARRAY_SIZE(fds), 1000) < 0) {
			fds[1].revents = 0;
			fds[2].revents = 0;
			fds[3].revents = 0;
		}
		while ((sig = sigtimedwait(set, NULL, &now)) == SIGCHLD)
			;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (!fw_volume_reaped(fw, pid, status))
				fw_reaped(fw, pid, status);
		fw_volumes_tend(fw);
		if (fds[1].revents)
			fw_events(fw);
		if (fds[2].revents)
			fw_ctl_ready(fw, fds[2].revents);
		if (fds[3].revents)
			fw_cpus_events(fw->uevent);
		/* on uevents, and each round: a block may grow, silently */
		fw_mem_grown(fw);
	}
}

int main(int argc, char **argv)
{
	struct fw fw = { .nl = -1, .uevent = -1, .ctl.fd = -1 };
	char reply[FW_CTL_LINE];
	sigset_t set;

	fw_console();
	fw_mount("proc", "/proc", "proc");
	fw_mount("sysfs", "/sys", "sysfs");
	fw_mount("debugfs", "/sys/kernel/debug", "debugfs");
	fw_mount("bpf", "/sys/fs/bpf", "bpf");

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	fw.uevent = fw_cpus_start();
	fw_configure(&fw, argc > 1 ? argv[1] : FW_CONF);
	fw_volumes_tend(&fw);
	fw_log("ready: %u modules, %u volumes, %u remote (attaching), %u services, %u errors",
	       fw.modules, fw.volumes, fw.nr_remote, fw.nr_services, fw.errors);

	fw_supervise(&fw, &set);
	if (fw.stop) {
		/* Before anything goes: the standby's wait is the stall. */
		fw_set_standby(true, reply, sizeof(reply));
		fw_log("stop: handing the links over: %s", reply);
	}
	fw_log("%s: the modules go first", fw.restart ? "restarting" :
						       "powering off");
	fw_volumes_stop(&fw);
	fw_unload_all(&fw);
	sync();
	reboot(fw.restart ? RB_AUTOBOOT : RB_POWER_OFF);
	return 0;
}
