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
 * It also runs hotplug hooks: for each network interface of a given driver
 * that appears (an rtnetlink RTM_NEWLINK of an interface whose ethtool
 * driver name is DRIVER), and for those present when the directive is
 * read, "PATH [ARG...] add IFNAME IFINDEX"; for each that disappears,
 * "PATH [ARG...] del IFNAME IFINDEX".  Hooks run to their end one at a
 * time, in the order of the events, between supervision rounds; a failing
 * hook is reported.  After a netlink overrun, the interfaces are listed
 * again and compared with those known.
 *
 * Configuration (default /etc/zoc/fw.conf), one directive per line:
 *
 *	module NAME [PARAM=VALUE...]	load a module and its dependencies
 *	uplink IFNAME ADDRESS/PREFIX [mtu MTU]
 *					bring up the uplink with an IPv4 address
 *					(and an MTU: tunnels need room)
 *	run PATH [ARG...]		run a program to its end (a loader, say)
 *	service PATH [ARG...]		run and supervise a program
 *	hotplug DRIVER PATH [ARG...]	run a program for each interface of
 *					DRIVER that comes or goes
 *
 * '#' starts a comment.  A failing directive is reported and the rest of
 * the configuration still applies: a service VM with a broken uplink can
 * still be reached over its link.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
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
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FW_CONF			"/etc/zoc/fw.conf"
#define FW_MAX_LINE		1024
#define FW_MAX_ARGS		32
#define FW_MAX_SERVICES		8
#define FW_MAX_DEPTH		16
#define FW_RESTART_MIN		1	/* seconds */
#define FW_RESTART_MAX		30
#define FW_MAX_HOTPLUG		4
#define FW_HOOK_TIMEOUT		60	/* seconds, then a hook is killed */
#define FW_DRIVER_SIZE		32	/* ethtool_drvinfo.driver */
#define FW_NL_BUFSIZE		32768
#define FW_SPACE		"\n\t "
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/**
 * struct fw_service - a supervised program
 * @argv: its command line
 * @pid: running instance, 0 when none
 * @backoff: seconds to wait before the next restart
 * @next_start: when it may be started again
 */
struct fw_service {
	char *argv[FW_MAX_ARGS + 1];
	pid_t pid;
	unsigned int backoff;
	time_t next_start;
};

/**
 * struct fw_hotplug - a hook for the interfaces of a driver
 * @driver: their ethtool driver name
 * @argv: the hook's command line, without "add|del IFNAME IFINDEX"
 * @argc: its length
 */
struct fw_hotplug {
	char driver[FW_DRIVER_SIZE];
	char *argv[FW_MAX_ARGS];
	int argc;
};

/**
 * struct fw_netdev - an interface that hooks were run for
 * @ifindex: its index
 * @name: its name
 * @driver: its driver, which cannot be asked once it is gone
 * @hooks: the hooks that were given its "add", by bit
 */
struct fw_netdev {
	int ifindex;
	char name[IFNAMSIZ];
	char driver[FW_DRIVER_SIZE];
	unsigned int hooks;
};

/**
 * struct fw - the firmware's state
 * @modules: modules loaded
 * @errors: directives that failed
 * @services: supervised programs
 * @nr_services: how many
 * @hotplug: hotplug hooks
 * @nr_hotplug: how many
 * @nl: rtnetlink socket of link events, -1 until a hotplug directive
 * @netdevs: interfaces that hooks were run for
 * @nr_netdevs: how many
 */
struct fw {
	unsigned int modules;
	unsigned int errors;
	struct fw_service services[FW_MAX_SERVICES];
	unsigned int nr_services;
	struct fw_hotplug hotplug[FW_MAX_HOTPLUG];
	unsigned int nr_hotplug;
	int nl;
	struct fw_netdev *netdevs;
	unsigned int nr_netdevs;
};

static void fw_log(const char *fmt, ...)
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

/*
 * Find the line of @name in modules.dep: "path/name.ko: dep1.ko dep2.ko".
 * Module names compare with '-' and '_' as equal, as modprobe does.
 */
static char *fw_moddep(FILE *dep, const char *name, char *line, size_t size)
{
	const char *base, *a;
	char *colon;
	size_t len = strlen(name);

	rewind(dep);
	while (fgets(line, size, dep)) {
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		base = strrchr(line, '/');
		base = base ? base + 1 : line;
		if ((size_t)(colon - base) != len + 3 || strcmp(colon - 3, ".ko"))
			continue;
		for (a = name; *a; a++, base++)
			if (*a != *base && !(strchr("-_", *a) && strchr("-_", *base)))
				break;
		if (!*a) {
			*colon = ':';
			return line;
		}
	}
	return NULL;
}

static int fw_finit(const char *dir, const char *path, const char *params)
{
	char full[PATH_MAX];
	int fd, ret;

	snprintf(full, sizeof(full), "%s/%s", dir, path);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret == -EEXIST ? 0 : ret;
}

/* Load @name after its dependencies (modules.dep lists them in load order). */
static int fw_modprobe(FILE *dep, const char *dir, const char *name,
		       const char *params)
{
	char line[FW_MAX_LINE], *deps, *tok, *save;
	char *deplist[FW_MAX_DEPTH];
	int n = 0, i, ret;

	if (!fw_moddep(dep, name, line, sizeof(line)))
		return -ENOENT;
	deps = strchr(line, ':');
	*deps++ = '\0';
	for (tok = strtok_r(deps, FW_SPACE, &save); tok && n < FW_MAX_DEPTH;
	     tok = strtok_r(NULL, FW_SPACE, &save))
		deplist[n++] = tok;
	/* modules.dep lists the deepest dependency last. */
	for (i = n - 1; i >= 0; i--) {
		ret = fw_finit(dir, deplist[i], "");
		if (ret)
			return ret;
	}
	return fw_finit(dir, line, params);
}

static void fw_module(struct fw *fw, char **argv, int argc)
{
	char dir[PATH_MAX], depfile[PATH_MAX + 16], params[FW_MAX_LINE] = "";
	struct utsname u;
	FILE *dep;
	int i, ret;

	if (argc < 2) {
		fw_log("module: name missing");
		fw->errors++;
		return;
	}
	for (i = 2; i < argc; i++) {
		strncat(params, argv[i], sizeof(params) - strlen(params) - 2);
		strcat(params, " ");
	}
	uname(&u);
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	snprintf(depfile, sizeof(depfile), "%s/modules.dep", dir);
	dep = fopen(depfile, "re");
	if (!dep) {
		fw_log("module %s: %s: %s", argv[1], depfile, strerror(errno));
		fw->errors++;
		return;
	}
	ret = fw_modprobe(dep, dir, argv[1], params);
	fclose(dep);
	if (ret) {
		fw_log("module %s: %s", argv[1], strerror(-ret));
		fw->errors++;
		return;
	}
	fw->modules++;
	fw_log("module %s loaded", argv[1]);
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
 * Start a program in a session of its own, with no signal blocked.
 * Return: its pid, or -1.
 */
static pid_t fw_spawn(char **argv)
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
		execv(argv[0], argv);
		fw_log("%s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/*
 * Run a program to its end, killing it after @timeout seconds unless 0.
 * Other children that exit meanwhile are left to fw_supervise().
 * Return: true if it exited with status 0; its wait status in @status.
 */
static bool fw_exec(char **argv, unsigned int timeout, int *status)
{
	struct timespec tick = { .tv_sec = 1 };
	time_t end = time(NULL) + timeout;
	sigset_t chld;
	pid_t pid, ret;

	*status = -1;
	pid = fw_spawn(argv);
	if (pid < 0)
		return false;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		ret = waitpid(pid, status, WNOHANG);
		if (ret == pid)
			break;
		if (ret < 0 && errno != EINTR)
			return false;
		if (timeout && time(NULL) >= end) {
			fw_log("%s: killed after %us", argv[0], timeout);
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			break;
		}
		/* SIGCHLD stays blocked: taken here, it only wakes us up */
		sigtimedwait(&chld, NULL, &tick);
	}
	return WIFEXITED(*status) && !WEXITSTATUS(*status);
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

static int fw_nl_socket(unsigned int groups, int flags)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = groups,
	};
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The index and name of the interface of an RTM_NEWLINK or RTM_DELLINK.
 * Bridges send these of their ports too, as AF_BRIDGE: not interfaces
 * coming or going.
 */
static bool fw_nl_link(struct nlmsghdr *nh, int *ifindex, char *name)
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	struct rtattr *rta;
	int len;

	if ((nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK) ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) ||
	    ifi->ifi_family != AF_UNSPEC)
		return false;
	len = IFLA_PAYLOAD(nh);
	for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type != IFLA_IFNAME || !RTA_PAYLOAD(rta) ||
		    RTA_PAYLOAD(rta) > IFNAMSIZ)
			continue;
		memcpy(name, RTA_DATA(rta), RTA_PAYLOAD(rta));
		name[RTA_PAYLOAD(rta) - 1] = '\0';
		*ifindex = ifi->ifi_index;
		return true;
	}
	return false;
}

/*
 * The interfaces there are now, by an RTM_GETLINK dump: index and name.
 * Return: an array of *@n of them, to be freed, or NULL.
 */
static struct fw_netdev *fw_links(unsigned int *n)
{
	static long buf[FW_NL_BUFSIZE / sizeof(long)];
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = RTM_GETLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.ifi.ifi_family = AF_UNSPEC,
	};
	struct fw_netdev *links = calloc(1, sizeof(*links)), *more;
	struct nlmsghdr *nh;
	bool done = false;
	ssize_t len;
	int fd;

	*n = 0;
	fd = fw_nl_socket(0, 0);
	if (!links || fd < 0 || send(fd, &req, sizeof(req), 0) < 0)
		goto fail;
	while (!done) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0)
			goto fail;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len) && !done;
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_ERROR)
				goto fail;
			done = nh->nlmsg_type == NLMSG_DONE;
			if (!fw_nl_link(nh, &links[*n].ifindex, links[*n].name))
				continue;
			more = realloc(links, (*n + 2) * sizeof(*links));
			if (!more)
				goto fail;
			links = more;
			(*n)++;
		}
	}
	close(fd);
	return links;

fail:
	fw_log("hotplug: listing the interfaces: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	free(links);
	return NULL;
}

/* The ethtool driver name of an interface. */
static int fw_driver(const char *name, char *driver)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int sock, ret;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&info;
	ret = ioctl(sock, SIOCETHTOOL, &ifr) ? -errno : 0;
	close(sock);
	memcpy(driver, info.driver, FW_DRIVER_SIZE);
	driver[FW_DRIVER_SIZE - 1] = '\0';
	return ret;
}

/* The hooks of a driver, by bit. */
static unsigned int fw_hooks_of(struct fw *fw, const char *driver)
{
	unsigned int i, hooks = 0;

	for (i = 0; i < fw->nr_hotplug; i++)
		if (!strcmp(fw->hotplug[i].driver, driver))
			hooks |= 1U << i;
	return hooks;
}

static struct fw_netdev *fw_netdev_find(struct fw *fw, int ifindex)
{
	unsigned int i;

	for (i = 0; i < fw->nr_netdevs; i++)
		if (fw->netdevs[i].ifindex == ifindex)
			return &fw->netdevs[i];
	return NULL;
}

/*
 * Run @hooks (by bit) for an interface, to their end, in the order of
 * their directives: "PATH [ARG...] add|del IFNAME IFINDEX".
 */
static void fw_hook(struct fw *fw, unsigned int hooks, char *op,
		    struct fw_netdev *d)
{
	char *argv[FW_MAX_ARGS + 4], index[16];
	struct fw_hotplug *h;
	unsigned int i;
	int status;

	snprintf(index, sizeof(index), "%d", d->ifindex);
	for (i = 0; i < fw->nr_hotplug; i++) {
		if (!(hooks & 1U << i))
			continue;
		h = &fw->hotplug[i];
		memcpy(argv, h->argv, h->argc * sizeof(*argv));
		argv[h->argc] = op;
		argv[h->argc + 1] = d->name;
		argv[h->argc + 2] = index;
		argv[h->argc + 3] = NULL;
		if (fw_exec(argv, FW_HOOK_TIMEOUT, &status))
			fw_log("hotplug %s %s %s: done", op, d->name, index);
		else
			fw_log("hotplug %s %s %s: %s failed (status %#x)", op,
			       d->name, index, argv[0], status);
	}
}

/*
 * An interface is there (new, changed or listed): "add" for the hooks of
 * its driver that were not given it yet.
 */
static void fw_link_new(struct fw *fw, int ifindex, const char *name)
{
	char driver[FW_DRIVER_SIZE];
	struct fw_netdev *d, *more;
	unsigned int hooks;

	d = fw_netdev_find(fw, ifindex);
	if (!d) {
		/* gone or renamed since: what follows tells */
		if (fw_driver(name, driver) ||
		    (int)if_nametoindex(name) != ifindex ||
		    !fw_hooks_of(fw, driver))
			return;
		more = realloc(fw->netdevs, (fw->nr_netdevs + 1) * sizeof(*d));
		if (!more) {
			fw_log("hotplug %s: %s", name, strerror(ENOMEM));
			return;
		}
		fw->netdevs = more;
		d = &fw->netdevs[fw->nr_netdevs++];
		memset(d, 0, sizeof(*d));
		d->ifindex = ifindex;
		strcpy(d->driver, driver);
	}
	strcpy(d->name, name);
	hooks = fw_hooks_of(fw, d->driver) & ~d->hooks;
	d->hooks |= hooks;
	fw_hook(fw, hooks, "add", d);
}

/* An interface is gone: "del" for the hooks that were given its "add". */
static void fw_link_del(struct fw *fw, int ifindex)
{
	struct fw_netdev *d = fw_netdev_find(fw, ifindex), gone;

	if (!d)
		return;
	gone = *d;
	*d = fw->netdevs[--fw->nr_netdevs];
	fw_hook(fw, gone.hooks, "del", &gone);
}

/*
 * Compare the interfaces there are with those known: when a hotplug
 * directive is read (coldplug), and when link events were lost.
 */
static void fw_rescan(struct fw *fw)
{
	struct fw_netdev *links;
	unsigned int n, i, j;

	links = fw_links(&n);
	if (!links)
		return;
	for (i = 0; i < fw->nr_netdevs;) {
		for (j = 0; j < n; j++)
			if (links[j].ifindex == fw->netdevs[i].ifindex)
				break;
		if (j == n)
			fw_link_del(fw, fw->netdevs[i].ifindex);
		else
			i++;
	}
	for (j = 0; j < n; j++)
		fw_link_new(fw, links[j].ifindex, links[j].name);
	free(links);
}

/*
 * Take the link events there are, a bounded number at a time, so that
 * supervision goes on under a storm of them.
 */
static void fw_events(struct fw *fw)
{
	static long buf[FW_NL_BUFSIZE / sizeof(long)];
	struct sockaddr_nl from;
	char name[IFNAMSIZ];
	struct nlmsghdr *nh;
	socklen_t fromlen;
	int ifindex, i;
	ssize_t len;

	for (i = 0; i < 64; i++) {
		fromlen = sizeof(from);
		len = recvfrom(fw->nl, buf, sizeof(buf), 0,
			       (struct sockaddr *)&from, &fromlen);
		if (len < 0 && errno == ENOBUFS) {
			fw_log("hotplug: link events lost, listing the interfaces again");
			fw_rescan(fw);
			continue;
		}
		if (len <= 0)
			return;
		if (from.nl_pid)
			continue;	/* not the kernel's */
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (!fw_nl_link(nh, &ifindex, name))
				continue;
			if (nh->nlmsg_type == RTM_NEWLINK)
				fw_link_new(fw, ifindex, name);
			else
				fw_link_del(fw, ifindex);
		}
	}
}

static void fw_add_hotplug(struct fw *fw, char **argv, int argc)
{
	const char *why = NULL;
	struct fw_hotplug *h;
	int i;

	if (argc < 3)
		why = "usage: hotplug DRIVER PATH [ARG...]";
	else if (strlen(argv[1]) >= FW_DRIVER_SIZE)
		why = "driver name too long";
	else if (fw->nr_hotplug == FW_MAX_HOTPLUG)
		why = "too many";
	if (why) {
		fw_log("hotplug: %s", why);
		fw->errors++;
		return;
	}
	/* listening before the listing: nothing that comes meanwhile is lost */
	if (fw->nl < 0)
		fw->nl = fw_nl_socket(RTMGRP_LINK, SOCK_NONBLOCK);
	if (fw->nl < 0) {
		fw_log("hotplug: rtnetlink: %s", strerror(errno));
		fw->errors++;
		return;
	}
	h = &fw->hotplug[fw->nr_hotplug++];
	strcpy(h->driver, argv[1]);
	for (i = 2; i < argc; i++)
		h->argv[h->argc++] = strdup(argv[i]);
	fw_rescan(fw);
}

static void fw_configure(struct fw *fw, const char *path)
{
	char line[FW_MAX_LINE], *argv[FW_MAX_ARGS + 1], *save, *hash;
	FILE *f;
	int argc;

	f = fopen(path, "re");
	if (!f) {
		fw_log("%s: %s", path, strerror(errno));
		fw->errors++;
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		argc = 0;
		for (argv[argc] = strtok_r(line, FW_SPACE, &save);
		     argv[argc] && argc < FW_MAX_ARGS;
		     argv[argc] = strtok_r(NULL, FW_SPACE, &save))
			argc++;
		argv[argc] = NULL;
		if (!argc)
			continue;
		if (!strcmp(argv[0], "module")) {
			fw_module(fw, argv, argc);
		} else if (!strcmp(argv[0], "uplink")) {
			fw_uplink(fw, argv, argc);
		} else if (!strcmp(argv[0], "run")) {
			fw_run(fw, argv, argc);
		} else if (!strcmp(argv[0], "service")) {
			fw_add_service(fw, argv, argc);
		} else if (!strcmp(argv[0], "hotplug")) {
			fw_add_hotplug(fw, argv, argc);
		} else {
			fw_log("%s: unknown directive '%s'", path, argv[0]);
			fw->errors++;
		}
	}
	fclose(f);
}

static void fw_start(struct fw_service *s)
{
	pid_t pid = fw_spawn(s->argv);

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
 * Start what is due, reap what exited, run the hotplug hooks of link
 * events, until asked to power off (busybox poweroff sends SIGUSR2 to
 * PID 1, reboot SIGTERM).  The signals stay blocked and are taken
 * synchronously; a signalfd only wakes the loop up.
 */
static void fw_supervise(struct fw *fw, sigset_t *set)
{
	struct pollfd fds[2] = {
		{ .fd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC),
		  .events = POLLIN },
		{ .fd = fw->nl, .events = POLLIN },
	};
	struct timespec now = { 0 };
	struct fw_service *s;
	unsigned int i;
	int status, sig = 0;
	pid_t pid;

	while (sig != SIGUSR2 && sig != SIGTERM) {
		for (i = 0; i < fw->nr_services; i++) {
			s = &fw->services[i];
			if (!s->pid && time(NULL) >= s->next_start)
				fw_start(s);
		}
		/* without a signalfd, signals are seen every second */
		if (poll(fds, ARRAY_SIZE(fds), 1000) < 0)
			fds[1].revents = 0;
		while ((sig = sigtimedwait(set, NULL, &now)) == SIGCHLD)
			;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			fw_reaped(fw, pid, status);
		if (fds[1].revents)
			fw_events(fw);
	}
}

int main(int argc, char **argv)
{
	struct fw fw = { .nl = -1 };
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

	fw_configure(&fw, argc > 1 ? argv[1] : FW_CONF);
	fw_log("ready: %u modules, %u services, %u errors", fw.modules,
	       fw.nr_services, fw.errors);

	fw_supervise(&fw, &set);
	fw_log("powering off");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
