// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-fw: the service VM's CPUs, and the kernel's uevents for them and
 * for its memory (mem.c).
 *
 * A CPU its VMM adds (ACPI CPU hot-plug, QMP device_add) comes up offline:
 * the kernel announces it with a uevent, and a udev rule would online it.
 * zoc-fw does: it listens to the kernel's uevents and brings each CPU
 * that is added online, and those found offline when it starts.  A CPU
 * the VMM removes (device_del) is taken offline by the kernel before it
 * is ejected.  The I/O proxy spreads its device queues over the CPUs
 * online at each doorbell: they move onto a new CPU and off a removed one
 * by themselves.
 *
 * The control port's "cpus" request reports the CPUs online and how busy
 * each was so far, in clock ticks of /proc/stat: "ok online 0-1 busy
 * 0:1234,1:567".
 */

#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fw.h"

#define FW_CPU_DIR	"/sys/devices/system/cpu"
#define FW_UEVENT_SIZE	8192
#define FW_MAX_CPUS	512	/* looked at when the uevents were missed */

/* Bring CPU @cpu online, if it is offline. */
static void fw_cpu_online(unsigned int cpu)
{
	char path[64], state = 0;
	int fd;

	snprintf(path, sizeof(path), FW_CPU_DIR "/cpu%u/online", cpu);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;		/* cpu0, which has no such file, or gone */
	if (read(fd, &state, 1) == 1 && state == '0') {
		if (pwrite(fd, "1", 1, 0) == 1)
			fw_log("cpu%u: online", cpu);
		else
			fw_log("cpu%u: cannot bring it online: %m", cpu);
	}
	close(fd);
}

/* "cpuN" -> N, or -1 */
static int fw_cpu_number(const char *name)
{
	char *end;
	long n;

	if (strncmp(name, "cpu", 3) || !isdigit((unsigned char)name[3]))
		return -1;
	n = strtol(name + 3, &end, 10);
	return *end || n > 65535 ? -1 : (int)n;
}

/* Bring online every present CPU that is offline. */
static void fw_cpus_scan(void)
{
	char path[64];
	int cpu;

	/* Numbers may have gaps: look at each one the kernel may give. */
	for (cpu = 1; cpu < FW_MAX_CPUS; cpu++) {
		snprintf(path, sizeof(path), FW_CPU_DIR "/cpu%d", cpu);
		if (!access(path, F_OK))
			fw_cpu_online(cpu);
	}
}

/*
 * Listen to the kernel's uevents and bring online every present CPU that
 * is offline.  Return: the socket, or -1.
 */
int fw_cpus_start(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1,		/* the kernel's uevents */
	};
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_KOBJECT_UEVENT);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fw_log("cpus: no uevents (%m): added CPUs and memory stay offline");
	/* After the socket: a CPU added meanwhile is seen either way. */
	fw_cpus_scan();
	fw_mem_scan();
	return fd;
}

/*
 * Take the uevents that came: an added CPU or memory block is brought
 * online.  Only the kernel's; after an overrun, every CPU and memory
 * block is looked at again.
 */
void fw_cpus_events(int fd)
{
	char buf[FW_UEVENT_SIZE + 1], *p, *end, *devpath;
	struct sockaddr_nl from;
	socklen_t len;
	bool add, cpu, mem;
	ssize_t n;
	int nr;

	for (;;) {
		len = sizeof(from);
		n = recvfrom(fd, buf, FW_UEVENT_SIZE, 0,
			     (struct sockaddr *)&from, &len);
		if (n < 0 && errno == ENOBUFS) {
			fw_cpus_scan();
			fw_mem_scan();
			continue;
		}
		if (n <= 0)
			break;
		if (len != sizeof(from) || from.nl_pid)
			continue;	/* not the kernel's */
		buf[n] = '\0';
		end = buf + n;
		add = false;
		cpu = false;
		mem = false;
		devpath = NULL;
		/* "ACTION@DEVPATH", then KEY=VALUE strings */
		for (p = buf + strlen(buf) + 1; p < end; p += strlen(p) + 1) {
			if (!strcmp(p, "ACTION=add"))
				add = true;
			else if (!strcmp(p, "SUBSYSTEM=cpu"))
				cpu = true;
			else if (!strcmp(p, "SUBSYSTEM=memory"))
				mem = true;
			else if (!strncmp(p, "DEVPATH=", 8))
				devpath = p + 8;
		}
		if (!add || !devpath || !strrchr(devpath, '/'))
			continue;
		if (mem)
			fw_mem_added(devpath);
		if (!cpu)
			continue;
		nr = fw_cpu_number(strrchr(devpath, '/') + 1);
		if (nr > 0)
			fw_cpu_online(nr);
	}
}

/* The "cpus" request: which CPUs are online, and their busy ticks. */
void fw_cpus_report(char *reply, size_t len)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq;
	char online[64] = "", line[256];
	size_t used;
	FILE *f;
	int cpu;

	f = fopen(FW_CPU_DIR "/online", "re");
	if (!f || !fgets(online, sizeof(online), f)) {
		snprintf(reply, len, "error no %s/online", FW_CPU_DIR);
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	online[strcspn(online, "\n")] = '\0';
	used = snprintf(reply, len, "ok online %s busy ", online);
	f = fopen("/proc/stat", "re");
	while (f && fgets(line, sizeof(line), f) && used < len) {
		/* cpuN lines only, not the sum of them all ("cpu ") */
		if (strncmp(line, "cpu", 3) || !isdigit((unsigned char)line[3]))
			continue;
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu",
			   &cpu, &user, &nice, &sys, &idle, &iowait, &irq,
			   &softirq) != 8)
			continue;
		used += snprintf(reply + used, len - used, "%s%d:%llu",
				 reply[used - 1] == ' ' ? "" : ",", cpu,
				 user + nice + sys + irq + softirq);
	}
	if (f)
		fclose(f);
}
