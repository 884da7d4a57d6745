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
 * Configuration (default /etc/zoc/fw.conf), one directive per line:
 *
 *	module NAME [PARAM=VALUE...]	load a module and its dependencies
 *	uplink IFNAME ADDRESS/PREFIX	bring up the uplink with an IPv4 address
 *	run PATH [ARG...]		run a program to its end (a loader, say)
 *	service PATH [ARG...]		run and supervise a program
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
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
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
#define FW_SPACE		"\n\t "

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
 * struct fw - the firmware's state
 * @modules: modules loaded
 * @errors: directives that failed
 * @services: supervised programs
 * @nr_services: how many
 */
struct fw {
	unsigned int modules;
	unsigned int errors;
	struct fw_service services[FW_MAX_SERVICES];
	unsigned int nr_services;
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
	unsigned long prefix;
	char *slash, *end;
	struct in_addr addr;
	int sock;

	slash = argc == 3 ? strchr(argv[2], '/') : NULL;
	if (!slash) {
		fw_log("uplink: usage: uplink IFNAME ADDRESS/PREFIX");
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

/* Run a program once, now, and wait for it: loaders, set-up tools. */
static void fw_run(struct fw *fw, char **argv, int argc)
{
	int status;
	pid_t pid;

	if (argc < 2) {
		fw_log("run: path missing");
		fw->errors++;
		return;
	}
	pid = fork();
	if (pid < 0) {
		fw_log("run %s: fork: %s", argv[1], strerror(errno));
		fw->errors++;
		return;
	}
	if (pid == 0) {
		execv(argv[1], argv + 1);
		fw_log("run %s: %s", argv[1], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
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
		} else {
			fw_log("%s: unknown directive '%s'", path, argv[0]);
			fw->errors++;
		}
	}
	fclose(f);
}

static void fw_start(struct fw_service *s)
{
	sigset_t none;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		fw_log("%s: fork: %s", s->argv[0], strerror(errno));
		return;
	}
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		execv(s->argv[0], s->argv);
		fw_log("%s: %s", s->argv[0], strerror(errno));
		_exit(127);
	}
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
 * Start what is due, reap what exited, until asked to power off (busybox
 * poweroff sends SIGUSR2 to PID 1, reboot SIGTERM).  The signals stay
 * blocked and are taken synchronously.
 */
static void fw_supervise(struct fw *fw, sigset_t *set)
{
	struct timespec tick = { .tv_sec = 1 };
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
		sig = sigtimedwait(set, NULL, &tick);
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			fw_reaped(fw, pid, status);
	}
}

int main(int argc, char **argv)
{
	struct fw fw = { 0 };
	sigset_t set;

	fw_console();
	fw_mount("proc", "/proc", "proc");
	fw_mount("sysfs", "/sys", "sysfs");
	fw_mount("debugfs", "/sys/kernel/debug", "debugfs");

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
