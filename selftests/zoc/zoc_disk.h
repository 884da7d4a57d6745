/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the ZOC disk selftests (nvme, virtio_blk): a pattern written
 * to a block device with O_DIRECT, read back and checked, and reported to
 * the lab runner, which finds it in the service VM's backing file once the
 * lab is down.  Include after defining _GNU_SOURCE (O_DIRECT).
 */
#ifndef _ZOC_DISK_H
#define _ZOC_DISK_H

#include <fcntl.h>
#include <stdlib.h>

#include "zoc_lab.h"

/* The word at byte @off of the disk in pattern @seed (the runner's too). */
static inline unsigned long long zoc_pattern(unsigned long long seed,
					     unsigned long long off)
{
	return seed ^ (off * 0x9e3779b97f4a7c15ULL);
}

/*
 * Write (or, with @check, verify) @n chunks of @len bytes in pattern @seed
 * at the offsets @off of block device @dev.  Return: 0, -EILSEQ for a
 * mismatch, or another -errno.
 */
static inline int zoc_pattern_io(const char *dev, unsigned long long seed,
				 int check, const off_t *off, int n, size_t len)
{
	unsigned long long *buf;
	int fd, i, ret = 0;
	size_t w;

	fd = open(dev, (check ? O_RDONLY : O_WRONLY) | O_DIRECT);
	if (fd < 0)
		return -errno;
	if (posix_memalign((void **)&buf, 4096, len)) {
		close(fd);
		return -ENOMEM;
	}
	for (i = 0; i < n && !ret; i++) {
		if (!check) {
			for (w = 0; w < len / 8; w++)
				buf[w] = zoc_pattern(seed, off[i] + w * 8);
			if (pwrite(fd, buf, len, off[i]) != (ssize_t)len)
				ret = -EIO;
			continue;
		}
		memset(buf, 0, len);
		if (pread(fd, buf, len, off[i]) != (ssize_t)len)
			ret = -EIO;
		for (w = 0; w < len / 8 && !ret; w++)
			if (buf[w] != zoc_pattern(seed, off[i] + w * 8))
				ret = -EILSEQ;
	}
	if (!check && !ret && fsync(fd))
		ret = -errno;
	free(buf);
	close(fd);
	return ret;
}

/*
 * Tell the lab runner what to find in the backing file.  Return: 0, or
 * -ENODEV outside the lab (nothing to tell), or the control channel's error.
 */
static inline int zoc_pattern_expect(unsigned long long seed, const off_t *off,
				     int n, size_t len)
{
	char cmd[128];
	int lab, i, ret = 0;

	lab = zoc_lab_open();
	if (lab < 0)
		return -ENODEV;
	for (i = 0; i < n && !ret; i++) {
		snprintf(cmd, sizeof(cmd), "disk-expect %lld %zu %llu",
			 (long long)off[i], len, seed);
		ret = zoc_lab_cmd(lab, cmd);
	}
	close(lab);
	return ret;
}

#endif /* _ZOC_DISK_H */
