// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-fw: the service VM's memory.
 *
 * Memory its VMM adds (a virtio-mem device whose requested size grows,
 * or a DIMM) comes as memory blocks that the kernel adds offline and
 * announces with a uevent: a udev rule would online them, zoc-fw does,
 * as it does for CPUs (cpus.c), and for those found offline when it
 * starts.  Blocks are onlined for the kernel to use as it likes
 * ("online", a normal zone): what a service VM needs memory for is the
 * kernel's (socket buffers, bios, BPF maps), which a movable zone would
 * not serve; the VMM can take back only what virtio-mem can migrate.
 *
 * Memory that came may be put to use at once: the memory directive's
 * hook runs when the memory the kernel manages grew ("zoc-vpc-load CONFIG
 * grow" grows the VPC session table with it, without losing a session).
 *
 * The control port's "mem" request reports the memory the kernel
 * manages and what is free, in KiB of /proc/meminfo, and the memory
 * blocks online: "ok total 393216 free 123456 blocks 3".
 */

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "fw.h"

#define FW_MEM_DIR		"/sys/devices/system/memory"
#define FW_MEM_HOOK_TIMEOUT	60	/* seconds, then the hook is killed */
#define FW_MEM_GROWTH		32	/* 1/32 more memory runs the hook */

/* Bring memory block @name ("memoryN") online, if it is offline. */
static void fw_mem_online(const char *name)
{
	char path[320], state[16] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), FW_MEM_DIR "/%s/state", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, state, sizeof(state) - 1);
	if (n > 0 && !strncmp(state, "offline", 7)) {
		if (pwrite(fd, "online", 6, 0) == 6)
			fw_log("%s: online", name);
		else
			fw_log("%s: cannot bring it online: %m", name);
	}
	close(fd);
}

/* Whether @name is a memory block's: "memoryN" */
static bool fw_mem_block(const char *name)
{
	return !strncmp(name, "memory", 6) && isdigit((unsigned char)name[6]);
}

/* Bring online every memory block that is offline. */
void fw_mem_scan(void)
{
	struct dirent *d;
	DIR *dir;

	dir = opendir(FW_MEM_DIR);
	if (!dir)
		return;		/* no memory hot-plug in this kernel */
	while ((d = readdir(dir)))
		if (fw_mem_block(d->d_name))
			fw_mem_online(d->d_name);
	closedir(dir);
}

/* A uevent: memory block @devpath ("/devices/system/memory/memoryN") added */
void fw_mem_added(const char *devpath)
{
	const char *name = strrchr(devpath, '/');

	if (name && fw_mem_block(name + 1))
		fw_mem_online(name + 1);
}

/* Bytes of memory the kernel manages, or 0. */
static unsigned long long fw_mem_total(void)
{
	struct sysinfo si;

	return sysinfo(&si) ? 0 : (unsigned long long)si.totalram * si.mem_unit;
}

/*
 * The memory directive: "memory PATH [ARG...]" runs "PATH [ARG...] grow"
 * each time the memory the kernel manages grew (a VPC loader grows its
 * session table): when a block came online, and when virtio-mem plugged
 * more of a block already online, which no uevent tells.
 */
void fw_add_mem_hook(struct fw *fw, char **argv, int argc)
{
	int i;

	if (argc < 2 || argc - 1 > FW_MAX_ARGS - 1 || fw->mem_hook[0]) {
		fw_log("memory: %s", argc < 2 ? "usage: memory PATH [ARG...]" :
		       fw->mem_hook[0] ? "given twice" : "too many words");
		fw->errors++;
		return;
	}
	for (i = 1; i < argc; i++)
		fw->mem_hook[i - 1] = strdup(argv[i]);
	fw->mem_hook[argc - 1] = "grow";
	fw->mem_total = fw_mem_total();
	fw->mem_tried = fw->mem_total;
}

/*
 * Memory may have come online: run the memory hook if there is one and
 * the memory the kernel manages grew by 1/FW_MEM_GROWTH or more since the
 * hook last succeeded (or since the directive was read): not for each of
 * the small steps virtio-mem may plug.  A hook that failed runs again at
 * the next growth.
 */
void fw_mem_grown(struct fw *fw)
{
	unsigned long long total;
	int status;

	if (!fw->mem_hook[0])
		return;
	total = fw_mem_total();
	if (total <= fw->mem_total + fw->mem_total / FW_MEM_GROWTH ||
	    total <= fw->mem_tried)
		return;
	fw->mem_tried = total;
	if (fw_exec(fw->mem_hook, FW_MEM_HOOK_TIMEOUT, &status)) {
		fw->mem_total = total;
		fw_log("memory %s grow: done", fw->mem_hook[0]);
	} else {
		fw_log("memory %s grow: failed (status %#x)", fw->mem_hook[0],
		       status);
	}
}

/* The memory blocks online */
static unsigned int fw_mem_online_blocks(void)
{
	char path[320], state[16];
	unsigned int n = 0;
	struct dirent *d;
	DIR *dir;
	FILE *f;

	dir = opendir(FW_MEM_DIR);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (!fw_mem_block(d->d_name))
			continue;
		snprintf(path, sizeof(path), FW_MEM_DIR "/%s/state", d->d_name);
		f = fopen(path, "re");
		if (f && fgets(state, sizeof(state), f) &&
		    !strncmp(state, "online", 6))
			n++;
		if (f)
			fclose(f);
	}
	closedir(dir);
	return n;
}

/*
 * The "mem" request: the memory the kernel manages, what is free, and
 * the memory blocks online.
 */
void fw_mem_report(char *reply, size_t len)
{
	unsigned long long total = 0, free = 0, v;
	char line[128];
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f) {
		snprintf(reply, len, "error no /proc/meminfo");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %llu", &v) == 1)
			total = v;
		else if (sscanf(line, "MemFree: %llu", &v) == 1)
			free = v;
	}
	fclose(f);
	snprintf(reply, len, "ok total %llu free %llu blocks %u", total, free,
		 fw_mem_online_blocks());
}
