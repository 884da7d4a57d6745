// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-fw: volumes on storage servers, attached by the kernel's NVMe over
 * Fabrics host (nvme-tcp, nvme-rdma).  A path is one write of an option
 * string to /dev/nvme-fabrics, as nvme-cli's "connect" does: the kernel
 * connects, and reconnects on its own after a loss (reconnect_delay),
 * until ctrl_loss_tmo.  The paths of a volume are controllers of one
 * subsystem: the kernel's native multipath makes them one namespace head,
 * whose block device is the volume's.  Nothing of this is on the data
 * path: the firmware only connects, in a worker process of its own
 * (volume.c), at boot and whenever a path or the whole volume went.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fw.h"

#define FW_FABRICS		"/dev/nvme-fabrics"
#define FW_NVME_CTRLS		"/sys/class/nvme"
#define FW_BLOCK		"/sys/block"
#define FW_NS_WAIT_MS		15000	/* for the namespace once connected */

/* The first line of @path into @buf, its newline off: 0 or -errno. */
static int fw_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		ret = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return ret;
}

static int fw_read_attr(const char *dir, const char *name, const char *attr,
			char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/%s", dir, name, attr);
	return fw_read_line(path, buf, len);
}

/*
 * A controller of the kernel's already connected to @path's subsystem at
 * its address, as a second volume of the subsystem finds it: the kernel
 * refuses a second connection (EALREADY).  Only a live controller's
 * address is read: Linux 6.1's nvme-tcp reads it from the admin queue's
 * socket, which error recovery may release meanwhile (an oops); one that
 * is not live is refused as a second connection all the same.
 */
static bool fw_fabrics_connected(const struct fw_path *path, const char *nqn)
{
	char buf[FW_NQN_SIZE], want[128];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(want, sizeof(want), "traddr=%s,trsvcid=%s", path->addr,
		 path->port);
	d = opendir(FW_NVME_CTRLS);
	while (d && !found && (de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    fw_read_attr(FW_NVME_CTRLS, de->d_name, "subsysnqn", buf,
				 sizeof(buf)) || strcmp(buf, nqn) ||
		    fw_read_attr(FW_NVME_CTRLS, de->d_name, "transport", buf,
				 sizeof(buf)) || strcmp(buf, path->transport) ||
		    fw_read_attr(FW_NVME_CTRLS, de->d_name, "state", buf,
				 sizeof(buf)) || strcmp(buf, "live") ||
		    fw_read_attr(FW_NVME_CTRLS, de->d_name, "address", buf,
				 sizeof(buf)))
			continue;
		found = !strncmp(buf, want, strlen(want)) &&
			strchr(",", buf[strlen(want)]);
	}
	if (d)
		closedir(d);
	return found;
}

/* Connect @path of @v, unless a controller serves it: 0 or -errno. */
static int fw_fabrics_path(const struct fw *fw, const struct fw_remote *v,
			   const struct fw_path *path)
{
	char opts[1024], reply[128];
	int fd, n, ret = 0;

	if (fw_fabrics_connected(path, v->nqn))
		return 0;
	n = snprintf(opts, sizeof(opts),
		     "transport=%s,traddr=%s,trsvcid=%s,nqn=%s,ctrl_loss_tmo=%d,reconnect_delay=%d",
		     path->transport, path->addr, path->port, v->nqn,
		     v->ctrl_loss_tmo, v->reconnect_delay);
	if (v->queues)
		n += snprintf(opts + n, sizeof(opts) - n, ",nr_io_queues=%u",
			      v->queues);
	if (v->fast_io_fail_tmo >= 0)
		n += snprintf(opts + n, sizeof(opts) - n, ",fast_io_fail_tmo=%d",
			      v->fast_io_fail_tmo);
	if (fw->hostnqn[0])
		n += snprintf(opts + n, sizeof(opts) - n, ",hostnqn=%s",
			      fw->hostnqn);
	if (n >= (int)sizeof(opts))
		return -E2BIG;
	fd = open(FW_FABRICS, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, opts, n) != n) {
		ret = -errno;
	} else {
		n = read(fd, reply, sizeof(reply) - 1);
		if (n > 0) {
			reply[n] = '\0';
			reply[strcspn(reply, "\n")] = '\0';
			fw_log("volume %s: %s %s:%s connected (%s)", v->name,
			       path->transport, path->addr, path->port, reply);
		}
	}
	close(fd);
	return ret == -EALREADY ? 0 : ret;
}

/*
 * The block device of namespace @nsid of subsystem @nqn, the multipath
 * head (a path's own, hidden, is "nvmeXcYnZ"), into @dev.
 */
static bool fw_fabrics_ns(const char *nqn, unsigned int nsid, char *dev,
			  size_t len)
{
	char buf[FW_NQN_SIZE];
	struct dirent *de;
	bool found = false;
	DIR *d;

	d = opendir(FW_BLOCK);
	while (d && !found && (de = readdir(d))) {
		if (strncmp(de->d_name, "nvme", 4) || strchr(de->d_name, 'c') ||
		    fw_read_attr(FW_BLOCK, de->d_name, "device/subsysnqn", buf,
				 sizeof(buf)) || strcmp(buf, nqn) ||
		    fw_read_attr(FW_BLOCK, de->d_name, "nsid", buf,
				 sizeof(buf)) || strtoul(buf, NULL, 10) != nsid)
			continue;
		snprintf(dev, len, "/dev/%s", de->d_name);
		found = true;
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * The volume's I/O policy, on its subsystem.  Only a multipath head has
 * one: without native multipath (nvme_core.multipath=N) there is none to
 * set, and each path is a device of its own, of which the volume is the
 * first found.
 */
static int fw_fabrics_iopolicy(const struct fw_remote *v, const char *dev)
{
	char path[PATH_MAX];
	int ret;

	if (!v->iopolicy[0])
		return 0;
	snprintf(path, sizeof(path), FW_BLOCK "/%s/device/iopolicy",
		 strrchr(dev, '/') + 1);
	ret = fw_write(path, v->iopolicy);
	if (ret == -ENOENT) {
		fw_log("volume %s: %s is no multipath head: iopolicy not set",
		       v->name, dev);
		ret = 0;
	}
	return ret;
}

static void fw_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/**
 * fw_fabrics_connect - connect a remote volume's missing paths, once each
 * @fw: the firmware (its host NQN)
 * @v: the volume
 * @quiet: leave out what a try that failed before would report again
 *
 * The paths already connected (or that the kernel is reconnecting) are
 * left alone; each other one is tried once: the caller tries again later,
 * as a target still booting, an address not resolved yet or a reset RDMA
 * connection may work a second later.  The volume's I/O policy is set once
 * its namespace is there.  Made in a process of its own: a connection to
 * a server that is gone can take minutes.  A controller made stays, even
 * if the namespace does not come: the next try finds it, and another
 * volume of the subsystem may use it already.
 *
 * Return: FW_FABRICS_UP, FW_FABRICS_PARTIAL (a path missing), or
 * FW_FABRICS_DOWN (no namespace, or its I/O policy refused).
 */
int fw_fabrics_connect(const struct fw *fw, const struct fw_remote *v,
		       bool quiet)
{
	int i, t, ret, missing = 0;
	char dev[PATH_MAX];

	for (i = 0; i < v->nr_paths; i++) {
		ret = fw_fabrics_path(fw, v, &v->paths[i]);
		if (!ret)
			continue;
		missing++;
		if (!quiet)
			fw_log("volume %s: %s %s:%s: %s", v->name,
			       v->paths[i].transport, v->paths[i].addr,
			       v->paths[i].port, strerror(-ret));
	}
	if (missing == v->nr_paths)
		return FW_FABRICS_DOWN;
	ret = -ENODEV;
	for (t = 0; t < FW_NS_WAIT_MS / 100 && ret == -ENODEV; t++) {
		if (fw_fabrics_ns(v->nqn, v->nsid, dev, sizeof(dev)))
			ret = fw_fabrics_iopolicy(v, dev);
		else
			fw_sleep_ms(100);
	}
	if (!ret)
		return missing ? FW_FABRICS_PARTIAL : FW_FABRICS_UP;
	if (!quiet)
		fw_log("volume %s: namespace %u of %s: %s", v->name, v->nsid,
		       v->nqn, strerror(-ret));
	return FW_FABRICS_DOWN;
}

/**
 * fw_fabrics_paths_up - whether each path of a volume has its controller
 * @v: the volume
 *
 * A controller the kernel is reconnecting counts: it goes by itself after
 * its loss timeout.
 *
 * Return: true if every path has one.
 */
bool fw_fabrics_paths_up(const struct fw_remote *v)
{
	int i;

	for (i = 0; i < v->nr_paths; i++)
		if (!fw_fabrics_connected(&v->paths[i], v->nqn))
			return false;
	return true;
}

/**
 * fw_fabrics_device - a remote volume's block device, the namespace head
 * @v: the volume
 * @dev: its path, into @len bytes
 * @len: their number
 *
 * Return: 0, or -ENODEV if it is not there (not attached yet, or every
 * path went).
 */
int fw_fabrics_device(const struct fw_remote *v, char *dev, size_t len)
{
	return fw_fabrics_ns(v->nqn, v->nsid, dev, len) ? 0 : -ENODEV;
}
