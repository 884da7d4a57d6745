/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the ZOC selftests: the host link's debugfs files, those of the
 * host's test module (zoc_host_test), and the control channel of the ZOC
 * lab (a virtio-serial port named org.zoc.lab through which a test asks
 * the lab runner to kill, restart, stop or continue the service VM, or to
 * pass a request to its firmware), and programs run in the background.
 * Tests that need what is missing say so and skip.
 */
#ifndef _ZOC_LAB_H
#define _ZOC_LAB_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/zoc.h>

#include "kselftest_harness.h"

#define ZOC_DEBUGFS_ROOT	"/sys/kernel/debug/zoc"
#define ZOC_DEBUGFS		ZOC_DEBUGFS_ROOT "/link0"	/* the first link */
#define ZOC_DMA_FILE		ZOC_DEBUGFS "/dma"	/* its DMA quarantine */
#define ZOC_TEST_MOD		"zoc_host_test"
#define ZOC_TEST_ROOT		"/sys/kernel/debug/" ZOC_TEST_MOD
#define ZOC_TEST_DEBUGFS	ZOC_TEST_ROOT "/link0"	/* the first link's tests */
#define ZOC_LAB_PORT		"org.zoc.lab"
#define ZOC_SVM_BOOT_TIMEOUT	180	/* seconds: TCG is slow */

/*
 * Did the FIXTURE_SETUP of this test SKIP()?  The kselftest harness of Linux
 * 6.1 goes on with the test, and then with the fixture's teardown (later
 * harnesses run neither), so a test whose setup may skip begins with
 *
 *	if (zoc_setup_skipped(_metadata))
 *		return;
 *
 * and so does the fixture's teardown.  The test's call finds out from the
 * reason SKIP() left (later harnesses have no _metadata->skip): when the
 * test begins, only its setup can have left one.  The teardown's call
 * answers the same, so that the teardown still undoes the setup after a
 * SKIP() in the test.  Each test runs in a process of its own.
 */
static inline bool zoc_setup_skipped(struct __test_metadata *metadata)
{
	static int skipped = -1;

	if (skipped < 0)
		skipped = metadata->results->reason[0] != '\0';
	return skipped;
}

/* Value of field @name ("name: value" lines) in the file @path, or -1. */
static inline long long zoc_file_field(const char *path, const char *name)
{
	size_t len = strlen(name);
	long long val = -1;
	char line[256];
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			val = strtoll(line + len + 1, NULL, 0);
			break;
		}
	fclose(f);
	return val;
}

/* Value of field @name in the link file of debugfs directory @dir, or -1. */
static inline long long zoc_link_field_of(const char *dir, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/link", dir);
	return zoc_file_field(path, name);
}

/* Value of field @name in the first link's debugfs file, or -1. */
static inline long long zoc_link_field(const char *name)
{
	return zoc_link_field_of(ZOC_DEBUGFS, name);
}

/*
 * Value of field @name ("held_pages", "released_pages", "leaked_pages") of
 * the first link's DMA quarantine, or -1.
 */
static inline long long zoc_dma_field(const char *name)
{
	return zoc_file_field(ZOC_DMA_FILE, name);
}

/* Value of field @name in the stats of the first link's tests, or -1. */
static inline long long zoc_test_field(const char *name)
{
	return zoc_file_field(ZOC_TEST_DEBUGFS "/stats", name);
}

/*
 * 1 if side @field ("host_state", "svm_state") of the link of debugfs
 * directory @dir is up, 0 if not, -1 if unknown.
 */
static inline int zoc_link_state_of(const char *dir, const char *field)
{
	size_t len = strlen(field);
	char line[256], path[128];
	int up = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/link", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':')
			up = !strcmp(line + len, ": up\n");
	fclose(f);
	return up;
}

/* The same for the first link. */
static inline int zoc_link_state(const char *field)
{
	return zoc_link_state_of(ZOC_DEBUGFS, field);
}

/* Why the link tests cannot run here, or NULL. */
static inline const char *zoc_link_missing(void)
{
	if (access(ZOC_DEBUGFS "/link", R_OK))
		return "no " ZOC_DEBUGFS "/link: zoc_host not loaded or debugfs not mounted";
	if (zoc_link_field("host_epoch") < 0)
		return "host link not initialised";
	if (zoc_link_state("host_state") != 1)
		return "no link transport (ivshmem-doorbell) on this machine";
	return NULL;
}

/* Wait up to @secs for the service VM to be up with an epoch != @old_epoch. */
static inline int zoc_wait_svm(long long old_epoch, int secs)
{
	time_t end = time(NULL) + secs;

	do {
		if (zoc_link_state("svm_state") == 1 && zoc_link_field("svm_epoch") != old_epoch)
			return 0;
		usleep(100 * 1000);
	} while (time(NULL) < end);
	return -ETIMEDOUT;
}

/* Write @val to the file @path in one write(): 0 or -errno. */
static inline int zoc_write_str(const char *path, const char *val)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Write @n to the test file @name of the first link: 0 or -errno. */
static inline int zoc_test_write(const char *name, unsigned long n)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), ZOC_TEST_DEBUGFS "/%s", name);
	snprintf(buf, sizeof(buf), "%lu", n);
	return zoc_write_str(path, buf);
}

/* Wait up to @secs for the rings to be up: 0 or -ETIMEDOUT. */
static inline int zoc_wait_link(int secs)
{
	time_t end = time(NULL) + secs;

	do {
		if (zoc_link_state("link") == 1)
			return 0;
		usleep(100 * 1000);
	} while (time(NULL) < end);
	return -ETIMEDOUT;
}

/* Run one wiring probe: 0 or -errno. */
static inline int zoc_probe(void)
{
	return zoc_write_str(ZOC_DEBUGFS "/probe", "1");
}

/* Open the lab's control port, or -1 when not in the ZOC lab. */
static inline int zoc_lab_open(void)
{
	char path[512], name[64];
	struct dirent *de;
	DIR *dir;
	FILE *f;
	int fd = -1;

	dir = opendir("/sys/class/virtio-ports");
	if (!dir)
		return -1;
	while (fd < 0 && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) &&
		    !strcmp(strtok(name, "\n") ?: "", ZOC_LAB_PORT)) {
			snprintf(path, sizeof(path), "/dev/%s", de->d_name);
			fd = open(path, O_RDWR);
		}
		fclose(f);
	}
	closedir(dir);
	return fd;
}

/*
 * Ask the lab runner @cmd and put its answer, without "ok " in front, into
 * @reply (@len bytes); an answer other than "ok" goes there whole ("error
 * ...").  Return: 0 when the answer began with "ok", -errno otherwise.
 */
static inline int zoc_lab_query(int fd, const char *cmd, char *reply,
				size_t len)
{
	const char *answer;
	char buf[256];
	size_t n = 0;
	ssize_t r;

	if (dprintf(fd, "%s\n", cmd) < 0)
		return -errno;
	while (n < sizeof(buf) - 1) {
		r = read(fd, buf + n, 1);
		if (r <= 0)
			return r ? -errno : -EPIPE;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	if (!strncmp(buf, "ok ", 3))
		answer = buf + 3;
	else if (!strcmp(buf, "ok"))
		answer = "";
	else
		answer = buf;
	n = strlen(answer);
	if (reply && len) {
		n = n < len ? n : len - 1;
		memcpy(reply, answer, n);
		reply[n] = '\0';
	}
	return strcmp(buf, "ok") && strncmp(buf, "ok ", 3) ? -EIO : 0;
}

/*
 * Ask the lab runner to do @cmd ("svm-kill", "svm-start", "svm-restart",
 * "svm-stop", "svm-cont", "svm-standby" (boot a standby service VM),
 * "svm-handover" (the serving one stops, the standby takes over),
 * "svm-handover keep" (the same, but the old one stands by), or
 * "svm-fw REQUEST": the service VM's firmware answers REQUEST, see
 * guest-fw.rst).
 * Return: 0 when the runner answered "ok", -errno otherwise.
 */
static inline int zoc_lab_cmd(int fd, const char *cmd)
{
	return zoc_lab_query(fd, cmd, NULL, 0);
}

/*
 * The memory the service VM's kernel manages (KiB) into *@kib, and its
 * memory blocks online into *@blocks: its firmware's "mem" answer through
 * the runner's port @lab.  Return: 0, or -1.
 */
static inline int zoc_svm_mem(int lab, long long *kib, long long *blocks)
{
	char reply[128];

	if (zoc_lab_query(lab, "svm-fw mem", reply, sizeof(reply)) ||
	    sscanf(reply, "total %lld free %*d blocks %lld", kib, blocks) != 2)
		return -1;
	return 0;
}

/*
 * Wait up to 30 s for the service VM's kernel to manage @mib MiB more than
 * @kib KiB (7/8 of them at least: the rest holds the new memory's page
 * structures, and no more) in more blocks than @blocks, which its
 * firmware brought online.  Return: NULL, or what failed; @out (@len
 * bytes) says what changed.
 */
static inline const char *zoc_svm_mem_grew(int lab, long long kib,
					   long long blocks, int mib,
					   char *out, size_t len)
{
	long long least = mib * 1024LL * 7 / 8, now = -1, nblocks = -1;
	int i;

	for (i = 0; i < 300; i++) {
		if (!zoc_svm_mem(lab, &now, &nblocks) &&
		    now - kib >= least && nblocks > blocks)
			break;
		usleep(100 * 1000);
	}
	snprintf(out, len, "%lld KiB in %lld blocks, then %lld KiB in %lld",
		 kib, blocks, now, nblocks);
	if (now - kib < least || now - kib > mib * 1024LL)
		return "not the memory added";
	return nblocks > blocks ? NULL : "no new memory block online";
}

/*
 * The service VM's online CPUs ("0-1") into @online (@len bytes), and CPU
 * @cpu's busy ticks into *@busy (-1: none): its firmware's "cpus" answer.
 * Return: 0, or -1.
 */
static inline int zoc_svm_cpus(int lab, int cpu, char *online, size_t len,
			       long long *busy)
{
	char reply[256], key[16], *at;

	if (zoc_lab_query(lab, "svm-fw cpus", reply, sizeof(reply)) ||
	    sscanf(reply, "online %15s", key) != 1)
		return -1;
	snprintf(online, len, "%s", key);
	snprintf(key, sizeof(key), "%s%d:", cpu ? "," : " ", cpu);
	at = strstr(reply, key);
	*busy = at ? strtoll(at + strlen(key), NULL, 10) : -1;
	return 0;
}

/* Wait up to 60 s for the service VM's online CPUs to be @want: 0 or -1. */
static inline int zoc_svm_cpus_wait(int lab, const char *want)
{
	char online[32] = "";
	long long busy;
	int i;

	for (i = 0; i < 600; i++) {
		if (!zoc_svm_cpus(lab, 0, online, sizeof(online), &busy) &&
		    !strcmp(online, want))
			return 0;
		usleep(100000);
	}
	return -1;
}

/*
 * By CPU of the service VM, the device queue works its I/O proxies queued
 * there (its firmware's "queued" command); @cpu's count, or -1.
 */
static inline long long zoc_svm_queued(int lab, int cpu)
{
	char reply[256], key[16], *at;

	if (zoc_lab_query(lab, "svm-fw run queued", reply, sizeof(reply)) ||
	    strncmp(reply, "queued", 6))
		return -1;
	snprintf(key, sizeof(key), " %d:", cpu);
	at = strstr(reply, key);
	return at ? strtoll(at + strlen(key), NULL, 10) : 0;
}

/*
 * Run the shell command @fmt with its output (and errors) into @out (@len
 * bytes, may be NULL).  Return: its exit status, or -1 if it did not run.
 */
static inline int zoc_vsh(char *out, size_t len, const char *fmt, va_list ap)
{
	char cmd[1024], sink[256];
	size_t n = 0, r;
	FILE *p;
	int st;

	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	strcat(cmd, " 2>&1");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (!out) {
		out = sink;
		len = sizeof(sink);
	}
	while (len && n < len - 1 && (r = fread(out + n, 1, len - 1 - n, p)) > 0)
		n += r;
	while (fread(sink, 1, sizeof(sink), p) > 0)
		;
	if (len)
		out[n] = '\0';
	st = pclose(p);
	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline int zoc_sh(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = zoc_vsh(out, len, fmt, ap);
	va_end(ap);
	return ret;
}

/*
 * Why the tests of the host's test module cannot run here, or NULL.  It
 * is loaded if need be.
 */
static inline const char *zoc_test_missing(void)
{
	if (access(ZOC_TEST_DEBUGFS, F_OK))
		zoc_sh(NULL, 0, "modprobe " ZOC_TEST_MOD);
	if (access(ZOC_TEST_DEBUGFS, F_OK))
		return "no " ZOC_TEST_DEBUGFS ": no " ZOC_TEST_MOD
		       " (CONFIG_ZOC_HOST_TEST) or debugfs not mounted";
	return NULL;
}

/* Run "zocctl ARGS" (ARGS from @fmt), as zoc_sh(). */
static inline int zoc_ctl(char *out, size_t len, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return zoc_sh(out, len, "zocctl %s", cmd);
}

/*
 * zocctl, as zoc_ctl(), asked again for 120 s at most while the service VM
 * answers that it has not attached the volume yet, or not loaded the
 * model (it does both as it boots).  Return: zocctl's last status.
 */
static inline int zoc_ctl_again(char *out, size_t len, const char *fmt, ...)
{
	time_t end = time(NULL) + 120;
	char cmd[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	do {
		ret = zoc_ctl(out, len, "%s", cmd);
		if (ret != 1 || (!strstr(out, "try again") &&
				 !strstr(out, "no model of this type")))
			return ret;
		sleep(1);
	} while (time(NULL) < end);
	return ret;
}

/*
 * The outage limit of link @link in ms, as "zocctl link show" has it, or
 * ZOC_LINK_OUTAGE_LIMIT_DEF if it cannot say: what a test that changes the
 * limit sets back (the lab may run with another one, for a slow kernel).
 */
static inline long long zoc_outage_limit(int link)
{
	char out[2048], id[24], *line, *save, *p;

	if (zoc_ctl(out, sizeof(out), "link show"))
		return ZOC_LINK_OUTAGE_LIMIT_DEF;
	snprintf(id, sizeof(id), "link: id %d ", link);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		p = strstr(line, "outage_limit_ms ");
		if (!strncmp(line, id, strlen(id)) && p)
			return strtoll(p + strlen("outage_limit_ms "), NULL, 10);
	}
	return ZOC_LINK_OUTAGE_LIMIT_DEF;
}

/* Is @prog missing from PATH? */
static inline int zoc_missing(const char *prog)
{
	return zoc_sh(NULL, 0, "command -v %s", prog) != 0;
}

/*
 * sysfs directory of the bus function called @name (by its "pci" field in
 * "zocctl dev show NAME"), into @path; "" if there is none.
 */
static inline void zoc_fn_dir(const char *name, char *path, size_t len)
{
	char out[1024], addr[16], *pci;

	*path = '\0';
	if (zoc_ctl(out, sizeof(out), "dev show %s", name))
		return;
	pci = strstr(out, "pci ");
	if (!pci || sscanf(pci, "pci %12s", addr) != 1)
		return;
	snprintf(path, len, "/sys/bus/pci/devices/%s", addr);
	if (access(path, F_OK))
		*path = '\0';
}

/*
 * Wait up to @secs seconds for an entry whose name starts with @prefix in
 * the subdirectory @sub of the sysfs directory of the bus function called
 * @name; with a "%d" in @sub, virtio devices 0 to 7 are tried
 * ("virtio%d/net").  Its name goes into @entry (@len bytes).
 * Return: 0 or -ETIMEDOUT.
 */
static inline int zoc_fn_entry(const char *name, const char *sub,
			       const char *prefix, char *entry, size_t len,
			       int secs)
{
	char dir[300], path[400], rel[64];
	time_t end = time(NULL) + secs;
	struct dirent *de;
	DIR *d;
	int i;

	do {
		zoc_fn_dir(name, dir, sizeof(dir));
		for (i = 0; dir[0] && i < (strstr(sub, "%d") ? 8 : 1); i++) {
			snprintf(rel, sizeof(rel), sub, i);
			snprintf(path, sizeof(path), "%s/%s", dir, rel);
			d = opendir(path);
			while (d && (de = readdir(d))) {
				if (strncmp(de->d_name, prefix, strlen(prefix)) ||
				    de->d_name[0] == '.' ||
				    strlen(de->d_name) >= len)
					continue;
				snprintf(entry, len, "%s", de->d_name);
				closedir(d);
				return 0;
			}
			if (d)
				closedir(d);
		}
		usleep(200 * 1000);
	} while (time(NULL) < end);
	return -ETIMEDOUT;
}

/* The first line of file @name in @dir into @buf; "" if none. */
static inline void zoc_read_attr(const char *dir, const char *name, char *buf,
				 size_t len)
{
	char path[512];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, len, f))
		buf[0] = '\0';
	fclose(f);
}

/* Hex value of sysfs attribute @name of @dir, or ~0. */
static inline unsigned long long zoc_read_hex(const char *dir, const char *name)
{
	char buf[64];

	zoc_read_attr(dir, name, buf, sizeof(buf));
	return buf[0] ? strtoull(buf, NULL, 16) : ~0ULL;
}

/* Decimal value of file @name in @dir (sysfs, debugfs), or -1. */
static inline long long zoc_read_dec(const char *dir, const char *name)
{
	char buf[64];

	zoc_read_attr(dir, name, buf, sizeof(buf));
	return buf[0] ? strtoll(buf, NULL, 10) : -1;
}

/* Run the shell command line @cmd in the background: its pid, or -1. */
static inline pid_t zoc_spawn(const char *cmd)
{
	pid_t pid = fork();

	if (!pid) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/*
 * Wait up to @secs seconds for the child @pid to end; kill it then, and
 * wait as long again.  *@killed tells whether it was killed.
 * Return: its wait status, or -errno (-ETIMEDOUT: it would not die).
 */
static inline int zoc_reap(pid_t pid, int secs, int *killed)
{
	time_t end = time(NULL) + secs;
	pid_t r;
	int st;

	*killed = 0;
	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0)
			return -errno;
		if (time(NULL) >= end) {
			if (*killed)
				return -ETIMEDOUT;
			kill(pid, SIGKILL);
			*killed = 1;
			end = time(NULL) + secs;
		}
		usleep(200 * 1000);
	}
}

/*
 * Open the lab's port for a test that runs fio on a disk of the service
 * VM, closed on exec (the port has one user at a time).  Returns why the
 * test must be skipped, or NULL with *@lab open.
 */
static inline const char *zoc_lab_open_for_fio(int *lab)
{
	if (zoc_missing("zocctl") || zoc_missing("fio"))
		return "zocctl and fio are needed";
	*lab = zoc_lab_open();
	if (*lab < 0)
		return "not in the ZOC lab: no " ZOC_LAB_PORT " port";
	fcntl(*lab, F_SETFD, FD_CLOEXEC);
	return NULL;
}

#endif /* _ZOC_LAB_H */
