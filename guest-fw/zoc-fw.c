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
 * It also takes requests on a control port: a virtio-serial port (found by
 * its name in /sys/class/virtio-ports, opened as /dev/vportNpM) or, given
 * by an absolute path, a character device.  Each request is a line of at
 * most 255 characters and gets one reply line, "ok" or "error TEXT":
 *
 *	ping		ok
 *	reload MODULE	unload MODULE and every loaded module that depends on
 *			it, dependents first, after unbinding the devices of
 *			their drivers (as their exit would: what these hold, a
 *			link's models, pins modules); then load again each of
 *			them that is not loaded, those of module directives
 *			first, in their order and with their parameters
 *
 * Requests run to their end one at a time, between supervision rounds, as
 * hooks do.  A port that is missing, or whose other end is not connected,
 * is tried again every second; a partial request is dropped when the other
 * end goes.
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
 *	control PORTNAME|PATH		take requests on that port
 *
 * '#' starts a comment.  A failing directive is reported and the rest of
 * the configuration still applies: a service VM with a broken uplink can
 * still be reached over its link.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
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
#include <termios.h>
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
#define FW_PORTS		"/sys/class/virtio-ports"
#define FW_CTL_LINE		256	/* a request, its newline included */
#define FW_CTL_RETRY		1	/* seconds between tries of the port */
#define FW_MODNAME		56	/* the kernel's MODULE_NAME_LEN */
#define FW_MAX_RELOAD		32	/* modules one reload takes down */
#define FW_MAX_UNBOUND		16	/* devices it unbinds */
#define FW_UNLOAD_TRIES		50	/* 100 ms apart, for a module in use */
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
 * struct fw_modconf - a module directive
 * @name: the module's name, as given
 * @params: its parameters, as finit_module() takes them
 */
struct fw_modconf {
	char *name;
	char *params;
};

/**
 * struct fw_control - the control port
 * @port: its name, or its path if it starts with '/'; NULL without one
 * @fd: the port, open; -1 when not
 * @quiet_until: not tried or polled before then (monotonic seconds)
 * @missing: it could not be opened last time (reported once)
 * @overlong: the line being read is too long: dropped up to its end
 * @len: bytes in @buf
 * @buf: the request being read
 */
struct fw_control {
	char *port;
	int fd;
	time_t quiet_until;
	bool missing;
	bool overlong;
	size_t len;
	char buf[FW_CTL_LINE];
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
 * @modconf: the module directives, in their order
 * @nr_modconf: how many
 * @ctl: the control port
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
	struct fw_modconf *modconf;
	unsigned int nr_modconf;
	struct fw_control ctl;
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

/*
 * Load @name after its dependencies, with @params; report it.
 * Return: 0 (also if it was loaded already) or -errno.
 */
static int fw_load(const char *name, const char *params)
{
	char dir[PATH_MAX], depfile[PATH_MAX + 16];
	struct utsname u;
	FILE *dep;
	int ret;

	uname(&u);
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	snprintf(depfile, sizeof(depfile), "%s/modules.dep", dir);
	dep = fopen(depfile, "re");
	if (!dep) {
		ret = -errno;
		fw_log("module %s: %s: %s", name, depfile, strerror(-ret));
		return ret;
	}
	ret = fw_modprobe(dep, dir, name, params);
	fclose(dep);
	if (ret)
		fw_log("module %s: %s", name, strerror(-ret));
	else
		fw_log("module %s loaded", name);
	return ret;
}

static void fw_module(struct fw *fw, char **argv, int argc)
{
	char params[FW_MAX_LINE] = "";
	struct fw_modconf *more;
	int i;

	if (argc < 2) {
		fw_log("module: name missing");
		fw->errors++;
		return;
	}
	for (i = 2; i < argc; i++) {
		strncat(params, argv[i], sizeof(params) - strlen(params) - 2);
		strcat(params, " ");
	}
	/* kept for reload requests */
	more = realloc(fw->modconf, (fw->nr_modconf + 1) * sizeof(*more));
	if (more) {
		fw->modconf = more;
		more += fw->nr_modconf;
		more->name = strdup(argv[1]);
		more->params = strdup(params);
		if (more->name && more->params) {
			fw->nr_modconf++;
		} else {
			free(more->name);
			free(more->params);
		}
	}
	if (fw_load(argv[1], params)) {
		fw->errors++;
		return;
	}
	fw->modules++;
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

/* --- reload requests --------------------------------------------------- */

/**
 * struct fw_unbound - a device that a reload unbound from its driver
 * @drv: the driver's directory, as found under /sys/module
 * @bus: its bus's directory
 * @dev: the device's name
 */
struct fw_unbound {
	char drv[128];
	char bus[64];
	char dev[64];
};

/**
 * struct fw_reload - what one reload request takes down
 * @mods: the modules, as the kernel names them, each after those that
 *	depend on it
 * @nr: how many
 * @loading: which of them were loaded again, or tried to be
 * @unbound: the devices of their drivers, unbound
 * @nr_unbound: how many
 * @error: the first failure, "" if none
 */
struct fw_reload {
	char mods[FW_MAX_RELOAD][FW_MODNAME];
	unsigned int nr;
	bool loading[FW_MAX_RELOAD];
	struct fw_unbound unbound[FW_MAX_UNBOUND];
	unsigned int nr_unbound;
	char error[FW_CTL_LINE - 16];
};

static void fw_reload_error(struct fw_reload *r, const char *what,
			    const char *name, int err)
{
	if (!r->error[0])
		snprintf(r->error, sizeof(r->error), "%s %s: %s", what, name,
			 strerror(-err));
}

/* A module's name as the kernel has it: '-' is '_'. */
static void fw_modname(char *dst, const char *src)
{
	size_t i;

	for (i = 0; i < FW_MODNAME - 1 && src[i]; i++)
		dst[i] = src[i] == '-' ? '_' : src[i];
	dst[i] = '\0';
}

/* Could @name be a module's?  Nothing else gets near /sys/module. */
static bool fw_modname_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++)
		if (i == FW_MODNAME - 1 ||
		    !(isalnum((unsigned char)name[i]) || strchr("_-", name[i])))
			return false;
	return i;
}

/* Is module @name (as the kernel has it) loaded? */
static bool fw_loaded(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return !access(path, F_OK);
}

/* The index of module @name in @r->mods, or -1. */
static int fw_reload_find(const struct fw_reload *r, const char *name)
{
	unsigned int i;

	for (i = 0; i < r->nr; i++)
		if (!strcmp(r->mods[i], name))
			return i;
	return -1;
}

/*
 * Add module @name (as the kernel has it) to @r, after the loaded modules
 * that depend on it (/sys/module/NAME/holders) and theirs.
 * Return: 0 or -errno.
 */
static int fw_reload_add(struct fw_reload *r, const char *name,
			 unsigned int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = 0;
	DIR *dir;

	if (fw_reload_find(r, name) >= 0)
		return 0;
	if (depth > FW_MAX_DEPTH)
		return -ELOOP;
	snprintf(path, sizeof(path), "/sys/module/%s/holders", name);
	dir = opendir(path);
	while (dir && !ret && (de = readdir(dir)))
		if (de->d_name[0] != '.')
			ret = fw_modname_ok(de->d_name) ?
			      fw_reload_add(r, de->d_name, depth + 1) : -EINVAL;
	if (dir)
		closedir(dir);
	if (ret)
		return ret;
	if (r->nr == FW_MAX_RELOAD)
		return -E2BIG;
	strcpy(r->mods[r->nr++], name);
	return 0;
}

/* Write @val to the file @path: 0 or -errno. */
static int fw_write(const char *path, const char *val)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Note the devices bound to the drivers of module @mod: in the directory
 * of each of its drivers (/sys/module/MOD/drivers/BUS:NAME), the symbolic
 * links but "module".
 */
static void fw_reload_devices(struct fw_reload *r, const char *mod)
{
	char dir[128], path[PATH_MAX], bus[PATH_MAX];
	struct dirent *de, *dev;
	struct fw_unbound u;
	DIR *drivers, *d;

	snprintf(dir, sizeof(dir), "/sys/module/%s/drivers", mod);
	drivers = opendir(dir);
	while (drivers && (de = readdir(drivers))) {
		if (de->d_name[0] == '.' ||
		    snprintf(u.drv, sizeof(u.drv), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(u.drv))
			continue;
		snprintf(path, sizeof(path), "%s/../..", u.drv);
		if (!realpath(path, bus) || strlen(bus) >= sizeof(u.bus))
			continue;
		strcpy(u.bus, bus);
		d = opendir(u.drv);
		while (d && (dev = readdir(d)) && r->nr_unbound < FW_MAX_UNBOUND) {
			if (dev->d_type != DT_LNK || !strcmp(dev->d_name, "module") ||
			    strlen(dev->d_name) >= sizeof(u.dev))
				continue;
			strcpy(u.dev, dev->d_name);
			r->unbound[r->nr_unbound++] = u;
		}
		if (d)
			closedir(d);
	}
	if (drivers)
		closedir(drivers);
}

/*
 * Unload module @name.  The kernel never waits for a module in use
 * (O_NONBLOCK or not, since 3.13): try again for a while.
 * Return: 0 (also if it was not loaded) or -errno.
 */
static int fw_unload(const char *name)
{
	unsigned int tries = 0;
	int ret;

	while ((ret = syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0) ==
	       -EAGAIN && ++tries < FW_UNLOAD_TRIES)
		usleep(100 * 1000);
	if (ret == -ENOENT) {
		fw_log("reload: %s was not loaded", name);
		return 0;
	}
	if (ret)
		fw_log("reload: unloading %s: %s", name, strerror(-ret));
	else
		fw_log("reload: %s unloaded", name);
	return ret;
}

/*
 * Unload @module and the modules that depend on it, dependents first,
 * after unbinding the devices of their drivers; then load again what is
 * not loaded: the modules of module directives first, in their order and
 * with their parameters, then the others, dependencies first.  A device
 * left unbound is probed again.  The answer goes to @reply.
 */
static void fw_reload(struct fw *fw, const char *module, char *reply,
		      size_t len)
{
	char name[FW_MODNAME], path[PATH_MAX];
	struct fw_unbound *u;
	struct fw_reload r;
	unsigned int i;
	int ret, n;

	memset(&r, 0, sizeof(r));
	fw_modname(name, module);
	ret = fw_reload_add(&r, name, 0);
	if (ret) {
		snprintf(reply, len, "error %s: its dependents: %s", name,
			 strerror(-ret));
		return;
	}
	for (i = 0; i < r.nr; i++)
		fw_reload_devices(&r, r.mods[i]);
	for (i = 0; i < r.nr_unbound; i++) {
		u = &r.unbound[i];
		snprintf(path, sizeof(path), "%s/unbind", u->drv);
		ret = fw_write(path, u->dev);
		if (ret)
			fw_log("reload: unbinding %s: %s", u->dev, strerror(-ret));
		else
			fw_log("reload: %s unbound from %s", u->dev,
			       strrchr(u->drv, '/') + 1);
	}
	for (i = 0; i < r.nr; i++) {
		ret = fw_unload(r.mods[i]);
		if (ret) {
			fw_reload_error(&r, "unload", r.mods[i], ret);
			break;
		}
	}

	for (i = 0; i < fw->nr_modconf; i++) {
		fw_modname(name, fw->modconf[i].name);
		n = fw_reload_find(&r, name);
		if (n < 0 || r.loading[n] || fw_loaded(name))
			continue;
		r.loading[n] = true;
		ret = fw_load(fw->modconf[i].name, fw->modconf[i].params);
		if (ret)
			fw_reload_error(&r, "load", name, ret);
	}
	for (i = r.nr; i-- > 0;) {
		if (r.loading[i] || fw_loaded(r.mods[i]))
			continue;
		ret = fw_load(r.mods[i], "");
		if (ret)
			fw_reload_error(&r, "load", r.mods[i], ret);
	}
	for (i = 0; i < r.nr_unbound; i++) {
		u = &r.unbound[i];
		snprintf(path, sizeof(path), "%s/devices/%s/driver", u->bus,
			 u->dev);
		if (!access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "%s/drivers_probe", u->bus);
		ret = fw_write(path, u->dev);
		if (ret)
			fw_log("reload: probing %s: %s", u->dev, strerror(-ret));
		else
			fw_log("reload: %s probed again", u->dev);
	}

	if (r.error[0])
		snprintf(reply, len, "error %s", r.error);
	else
		snprintf(reply, len, "ok");
}

/* --- the control port ------------------------------------------------------ */

static time_t fw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * The device of the virtio-serial port called @name, "/dev/vportNpM",
 * into @dev.  Return: 0 or -ENOENT.
 */
static int fw_port_find(const char *name, char *dev, size_t len)
{
	char path[PATH_MAX], line[128];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *dir;
	FILE *f;

	dir = opendir(FW_PORTS);
	while (dir && ret && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), FW_PORTS "/%s/name", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (!strcmp(line, name) &&
			    snprintf(dev, len, "/dev/%s", de->d_name) < (int)len)
				ret = 0;
		}
		fclose(f);
	}
	if (dir)
		closedir(dir);
	return ret;
}

/* Open the control port; if it cannot be, try again in a while. */
static void fw_ctl_open(struct fw_control *c)
{
	char dev[PATH_MAX];
	struct termios t;
	int ret = 0;

	if (c->port[0] != '/')
		ret = fw_port_find(c->port, dev, sizeof(dev));
	else if (snprintf(dev, sizeof(dev), "%s", c->port) >= (int)sizeof(dev))
		ret = -ENAMETOOLONG;
	if (!ret) {
		c->fd = open(dev, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		ret = c->fd < 0 ? -errno : 0;
	}
	if (ret) {
		if (!c->missing)
			fw_log("control %s: %s, trying again every %us", c->port,
			       c->port[0] != '/' && ret == -ENOENT ?
			       "no such port" : strerror(-ret), FW_CTL_RETRY);
		c->missing = true;
		c->quiet_until = fw_now() + FW_CTL_RETRY;
		return;
	}
	/* a terminal passes the lines through as they are */
	if (isatty(c->fd) && !tcgetattr(c->fd, &t)) {
		cfmakeraw(&t);
		tcsetattr(c->fd, TCSANOW, &t);
	}
	c->missing = false;
	c->overlong = false;
	c->len = 0;
	fw_log("control %s: %s", c->port, dev);
}

static void fw_ctl_close(struct fw_control *c)
{
	close(c->fd);
	c->fd = -1;
	c->overlong = false;
	c->len = 0;
	c->quiet_until = fw_now() + FW_CTL_RETRY;
}

/* The control port to poll, opened if need be; or -1. */
static int fw_ctl_fd(struct fw_control *c)
{
	if (!c->port || fw_now() < c->quiet_until)
		return -1;
	if (c->fd < 0)
		fw_ctl_open(c);
	return c->fd;
}

/*
 * Send the reply line @reply.  The port may be full, or not know yet of
 * the peer whose request came (virtio-serial tells of it apart from the
 * data): try again for a second at most.
 */
static void fw_ctl_reply(struct fw_control *c, const char *reply)
{
	unsigned int waits = 0;
	char line[FW_CTL_LINE];
	size_t len, off = 0;
	ssize_t n;
	int err;

	len = strlen(reply) < sizeof(line) - 1 ? strlen(reply) :
						 sizeof(line) - 1;
	memcpy(line, reply, len);
	line[len++] = '\n';
	while (off < len) {
		n = write(c->fd, line + off, len - off);
		if (n > 0) {
			off += n;
			continue;
		}
		err = n < 0 ? errno : EIO;
		if (err == EINTR)
			continue;
		if (err == EAGAIN && waits++ < 10) {
			usleep(100 * 1000);
			continue;
		}
		fw_log("control %s: reply lost: %s", c->port, strerror(err));
		return;
	}
}

/* Answer one request: @line, its newline taken off. */
static void fw_request(struct fw *fw, char *line, char *reply, size_t len)
{
	char shown[FW_CTL_LINE], *cmd, *arg = NULL, *more = NULL, *save;
	size_t i;

	for (i = 0; line[i] && i < sizeof(shown) - 1; i++)
		shown[i] = line[i] >= ' ' && line[i] < 0x7f ? line[i] : '?';
	shown[i] = '\0';
	cmd = strtok_r(line, FW_SPACE "\r", &save);
	if (cmd)
		arg = strtok_r(NULL, FW_SPACE "\r", &save);
	if (arg)
		more = strtok_r(NULL, FW_SPACE "\r", &save);
	if (!cmd)
		snprintf(reply, len, "error empty request");
	else if (!strcmp(cmd, "ping") && !arg)
		snprintf(reply, len, "ok");
	else if (!strcmp(cmd, "reload") && arg && !more && fw_modname_ok(arg))
		fw_reload(fw, arg, reply, len);
	else if (!strcmp(cmd, "ping") || !strcmp(cmd, "reload"))
		snprintf(reply, len, "error usage: ping | reload MODULE");
	else
		snprintf(reply, len, "error unknown request");
	fw_log("control: %s: %s", shown, reply);
}

/*
 * Take what the control port has, and answer each whole line: one read at
 * a time, so that supervision goes on under a flood of requests.
 */
static void fw_ctl_input(struct fw *fw)
{
	struct fw_control *c = &fw->ctl;
	char reply[FW_CTL_LINE], *nl;
	size_t used;
	ssize_t n;

	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* unplugged, or a terminal hung up */
		fw_log("control %s: %s", c->port, strerror(errno));
		fw_ctl_close(c);
		return;
	}
	if (!n) {
		/* no peer (a virtio-serial port): what came is dropped */
		c->overlong = false;
		c->len = 0;
		c->quiet_until = fw_now() + FW_CTL_RETRY;
		return;
	}
	c->len += n;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		*nl = '\0';
		used = nl + 1 - c->buf;
		if (c->overlong) {
			snprintf(reply, sizeof(reply), "error line too long");
			fw_log("control: a line too long");
			c->overlong = false;
		} else {
			fw_request(fw, c->buf, reply, sizeof(reply));
		}
		fw_ctl_reply(c, reply);
		c->len -= used;
		memmove(c->buf, c->buf + used, c->len);
	}
	if (c->len == sizeof(c->buf)) {
		c->overlong = true;
		c->len = 0;
	}
}

static void fw_ctl_ready(struct fw *fw, short revents)
{
	if (revents & POLLNVAL)
		fw_ctl_close(&fw->ctl);
	else if (revents & (POLLIN | POLLHUP | POLLERR))
		fw_ctl_input(fw);
}

static void fw_control(struct fw *fw, char **argv, int argc)
{
	if (argc != 2 || fw->ctl.port) {
		fw_log("control: %s", argc != 2 ?
		       "usage: control PORTNAME|PATH" : "one port only");
		fw->errors++;
		return;
	}
	/*
	 * A port not there yet is no failure: virtio-serial ports come after
	 * their device.  It is tried again.
	 */
	fw->ctl.port = strdup(argv[1]);
	if (fw->ctl.port)
		fw_ctl_open(&fw->ctl);
	else
		fw->errors++;
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
		} else if (!strcmp(argv[0], "control")) {
			fw_control(fw, argv, argc);
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
	struct pollfd fds[3] = {
		{ .fd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC),
		  .events = POLLIN },
		{ .fd = fw->nl, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
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
		fds[2].fd = fw_ctl_fd(&fw->ctl);
		/* without a signalfd, signals are seen every second */
		if (poll(fds, ARRAY_SIZE(fds), 1000) < 0) {
			fds[1].revents = 0;
			fds[2].revents = 0;
		}
		while ((sig = sigtimedwait(set, NULL, &now)) == SIGCHLD)
			;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			fw_reaped(fw, pid, status);
		if (fds[1].revents)
			fw_events(fw);
		if (fds[2].revents)
			fw_ctl_ready(fw, fds[2].revents);
	}
}

int main(int argc, char **argv)
{
	struct fw fw = { .nl = -1, .ctl.fd = -1 };
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
