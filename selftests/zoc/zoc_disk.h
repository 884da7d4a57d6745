/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the ZOC disk selftests (nvme, virtio_blk): a pattern written
 * to a block device with O_DIRECT, read back and checked, and reported to
 * the lab runner, which finds it in the service VM's backing file once the
 * lab is down.  Include after defining _GNU_SOURCE (O_DIRECT).
 */
#ifndef _ZOC_DISK_H
#define _ZOC_DISK_H

#include <dirent.h>
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
 * Tell the lab runner what to find in the backing file of @volume, a
 * remote volume of the lab's storage node, or, with NULL, in the service
 * VM's disk.  Return: 0, or -ENODEV outside the lab (nothing to tell), or
 * the control channel's error.
 */
static inline int zoc_pattern_expect_on(const char *volume,
					unsigned long long seed,
					const off_t *off, int n, size_t len)
{
	char cmd[128];
	int lab, i, ret = 0;

	lab = zoc_lab_open();
	if (lab < 0)
		return -ENODEV;
	for (i = 0; i < n && !ret; i++) {
		snprintf(cmd, sizeof(cmd), "disk-expect %lld %zu %llu%s%s",
			 (long long)off[i], len, seed, volume ? " " : "",
			 volume ? volume : "");
		ret = zoc_lab_cmd(lab, cmd);
	}
	close(lab);
	return ret;
}

/* As zoc_pattern_expect_on(), in the service VM's disk. */
static inline int zoc_pattern_expect(unsigned long long seed, const off_t *off,
				     int n, size_t len)
{
	return zoc_pattern_expect_on(NULL, seed, off, n, len);
}

/*
 * Write the pattern of @seed through @dev in @n chunks of @chunk bytes at
 * @off, read it back, and have the lab runner look for it in the backing
 * file; the lab port *@lab, which takes one client, is closed first.
 * Return: 0 or the first error.
 */
static inline int zoc_pattern_leave(const char *dev, unsigned long long seed,
				    const off_t *off, int n, size_t chunk,
				    int *lab)
{
	int ret = zoc_pattern_io(dev, seed, 0, off, n, chunk) ?:
		  zoc_pattern_io(dev, seed, 1, off, n, chunk);

	if (*lab >= 0)
		close(*lab);
	*lab = -1;
	return ret ?: zoc_pattern_expect(seed, off, n, chunk);
}

/* Counter @key of device @name ("zocctl dev show NAME -s"), or -1. */
static inline long long zoc_dev_stat(const char *name, const char *key)
{
	char out[2048], word[40], *at;

	snprintf(word, sizeof(word), " %s ", key);
	if (zoc_ctl(out, sizeof(out), "dev show %s -s", name))
		return -1;
	at = strstr(out, word);
	return at ? strtoll(at + strlen(word), NULL, 10) : -1;
}

/* Bytes of @name's writes done in place in host memory, or -1 */
static inline long long zoc_in_place(const char *name)
{
	return zoc_dev_stat(name, "svm_in_place_bytes");
}

/*
 * fio's verifying job @fio on device @name's disk, at queue depth 1 and
 * 32: the service VM's block device reads the writes' data in place in
 * host memory (it did for at least @in_place bytes: 0 outside the lab, whose
 * service VM may copy), then, in the lab, once more with every byte
 * copied through bounce pages (its "zero-copy-off" command), none in
 * place.  Returns NULL, or what failed with fio's output in @out.
 */
static inline const char *zoc_fio_verify(const char *name, const char *fio,
					 long long in_place, char *out,
					 size_t len)
{
	long long b0 = zoc_in_place(name), b1;
	const char *err = NULL;
	int lab;

	if (b0 < 0)
		return "no svm_in_place_bytes counter";
	if (zoc_sh(out, len, "%s --iodepth=1", fio) ||
	    zoc_sh(out, len, "%s --iodepth=32", fio))
		return "fio, in place";
	b1 = zoc_in_place(name);
	if (b1 - b0 < in_place)
		return "too little done in place";
	lab = zoc_lab_open();
	if (lab < 0)
		return NULL;
	if (zoc_lab_cmd(lab, "svm-fw run zero-copy-off"))
		err = "svm-fw run zero-copy-off";
	else if (zoc_sh(out, len, "%s --iodepth=32", fio))
		err = "fio, copied";
	else if (zoc_in_place(name) != b1)
		err = "done in place with zero_copy off";
	if (zoc_lab_cmd(lab, "svm-fw run zero-copy-on") && !err)
		err = "svm-fw run zero-copy-on";
	close(lab);
	return err;
}

/*
 * The service VM up, its link and its firmware answering, within the boot
 * timeout.  Return: 0, or -1 with why in @out.
 */
static inline int zoc_svm_ready(int lab, char *out, size_t len)
{
	if (zoc_wait_svm(-1, ZOC_SVM_BOOT_TIMEOUT) ||
	    zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT)) {
		snprintf(out, len, "no service VM, or no link to it");
		return -1;
	}
	return zoc_lab_query(lab, "svm-fw ping", out, len) ? -1 : 0;
}

/* fio (@*fio, if running) killed and reaped. */
static inline void zoc_fio_kill(pid_t *fio)
{
	int killed;

	if (*fio > 0) {
		kill(*fio, SIGKILL);
		zoc_reap(*fio, 10, &killed);
	}
	*fio = 0;
}

/*
 * Is fio (@*fio, logging to @log) still running?  Return: 0; or -1, fio
 * reaped and the end of its log in @out.
 */
static inline int zoc_fio_running(pid_t *fio, const char *log, char *out,
				  size_t len)
{
	int st;

	if (!waitpid(*fio, &st, WNOHANG))
		return 0;
	*fio = 0;
	zoc_sh(out, len, "tail -5 %s", log);
	return -1;
}

/*
 * Wait up to @secs for fio (@*fio, logging to @log) to end.  Return: 0 if
 * it ended with status 0; else -1 (killed if it did not end), the end of
 * its log in @out either way.
 */
static inline int zoc_fio_end(pid_t *fio, int secs, const char *log,
			      char *out, size_t len)
{
	int ret, killed;

	ret = zoc_reap(*fio, secs, &killed);
	*fio = 0;
	zoc_sh(out, len, "tail -3 %s", log);
	return !killed && ret >= 0 && WIFEXITED(ret) && !WEXITSTATUS(ret) ?
	       0 : -1;
}

/*
 * fio's options for a run that lasts as long as what it runs under: time
 * based, at most the runtime given for %d, and stopped earlier once
 * ZOC_FIO_STOP exists (fio's trigger file: its jobs end as at their
 * runtime, having verified what they read, and it exits with 0 if nothing
 * failed).  zoc_fio_spawn() removes the file, zoc_fio_stop() makes it.
 */
#define ZOC_FIO_STOP	"/tmp/zoc-fio.stop"
#define ZOC_FIO_UNTIL_STOPPED \
	"--time_based --runtime=%d --trigger-file=" ZOC_FIO_STOP \
	" --verify_state_save=0"

/* fio started by the shell command @cmd, with ZOC_FIO_UNTIL_STOPPED. */
static inline pid_t zoc_fio_spawn(const char *cmd)
{
	unlink(ZOC_FIO_STOP);
	return zoc_spawn(cmd);
}

/*
 * After @secs more seconds of its I/O, stop fio (@*fio, logging to @log,
 * from zoc_fio_spawn()) and wait for it to end.  Return: 0 if it ended
 * with status 0; -1 if it did not, or had ended before (its runtime was
 * too short for the test), the end of its log in @out either way.
 */
static inline int zoc_fio_stop(pid_t *fio, int secs, const char *log,
			       char *out, size_t len)
{
	int fd, ret;

	sleep(secs);
	if (zoc_fio_running(fio, log, out, len))
		return -1;
	fd = open(ZOC_FIO_STOP, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
	ret = zoc_fio_end(fio, 60, log, out, len);
	unlink(ZOC_FIO_STOP);
	return ret;
}

/*
 * Wait up to @secs for device @name to show "state @state" (zocctl dev
 * show, into @out); once at least.  Return: 0, or -1 if it did not.
 */
static inline int zoc_dev_wait_state(const char *name, const char *state,
				     char *out, size_t len, int secs)
{
	time_t end = time(NULL) + secs;
	char want[32];

	snprintf(want, sizeof(want), "state %s", state);
	do {
		if (!zoc_ctl(out, len, "dev show %s", name) && strstr(out, want))
			return 0;
		usleep(200 * 1000);
	} while (time(NULL) < end);
	return -1;
}

/*
 * A fuzz case's module parameters into @buf: its length and seed from
 * @env_FUZZ_SECS and @env_FUZZ_SEED in the environment, else @secs
 * seconds and seed 1.
 */
static inline void zoc_fuzz_args(char *buf, size_t len, const char *env,
				 const char *secs)
{
	char secs_var[64], seed_var[64];

	snprintf(secs_var, sizeof(secs_var), "%s_FUZZ_SECS", env);
	snprintf(seed_var, sizeof(seed_var), "%s_FUZZ_SEED", env);
	snprintf(buf, len, "fuzz_secs=%s fuzz_seed=%s",
		 getenv(secs_var) ?: secs, getenv(seed_var) ?: "1");
}

/**
 * struct zoc_hostile_counts - what a hostile test module counted in a run
 * @refused: inputs the device was seen to refuse (each in its "invalid")
 * @errors: requests it completed with an error status (each in "errors")
 */
struct zoc_hostile_counts {
	long long refused;
	long long errors;
};

/*
 * Hand the function of device @name from its driver @driver to the hostile
 * test module @mod (loaded with @args; debugfs directory @dbg), have it run
 * its cases, take its counts into @counts (if not NULL), give the function
 * back to @driver and unload @mod.  What went wrong (the module's results
 * on a failed run) goes to @out.
 * Return: 0; -ENOPKG if @mod cannot be loaded; else the first error.
 */
static inline int zoc_hostile_run(const char *name, const char *driver,
				  const char *mod, const char *args,
				  const char *dbg, struct zoc_hostile_counts *counts,
				  char *out, size_t len)
{
	char dir[300], addr[32], path[128];
	int ret, bound;

	zoc_fn_dir(name, dir, sizeof(dir));
	if (!dir[0]) {
		snprintf(out, len, "no PCI function for %s", name);
		return -ENODEV;
	}
	snprintf(addr, sizeof(addr), "%s", strrchr(dir, '/') + 1);
	zoc_sh(NULL, 0, "rmmod %s", mod);
	if (zoc_sh(out, len, "modprobe %s %s", mod, args))
		return -ENOPKG;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", driver);
	ret = zoc_write_str(path, addr);
	if (ret) {
		snprintf(out, len, "unbind %s: %s", addr, strerror(-ret));
		zoc_sh(NULL, 0, "rmmod %s", mod);
		return ret;
	}
	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/run", dbg);
	ret = zoc_write_str(path, addr);
	if (ret)
		zoc_sh(out, len, "echo 'run: %s'; cat /sys/kernel/debug/%s/results",
		       strerror(-ret), dbg);
	if (counts) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s", dbg);
		counts->refused = zoc_read_dec(path, "refused");
		counts->errors = zoc_read_dec(path, "errors");
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", driver);
	bound = zoc_write_str(path, addr);
	if (bound && !ret)
		snprintf(out, len, "bind %s: %s", addr, strerror(-bound));
	if (zoc_sh(NULL, 0, "rmmod %s", mod) && !ret && !bound) {
		snprintf(out, len, "rmmod %s failed", mod);
		return -EBUSY;
	}
	return ret ?: bound;
}

/*
 * The block device of namespace @nsid of NVMe controller @ctrl ("nvme0")
 * into @dev, if the controller has it now: the namespace's entry in the
 * controller's sysfs directory names it, "nvme0n2" or, a path of a native
 * multipath head, "nvme0c0n2" for head "nvme0n2" (a disk's number is not
 * its namespace's).  Return: 0 or -ENOENT.
 */
static inline int zoc_nvme_ctrl_ns(const char *ctrl, unsigned int nsid,
				   char *dev, size_t len)
{
	unsigned int subsys, c, n;
	char dir[256];
	struct dirent *e;
	int ret = -ENOENT;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/class/nvme/%s", ctrl);
	d = opendir(dir);
	if (!d)
		return -ENOENT;
	while (ret && (e = readdir(d))) {
		if (strncmp(e->d_name, "nvme", 4))
			continue;
		snprintf(dir, sizeof(dir), "/sys/class/nvme/%.32s/%.64s", ctrl,
			 e->d_name);
		if (zoc_read_dec(dir, "nsid") != nsid)
			continue;
		if (sscanf(e->d_name, "nvme%uc%un%u", &subsys, &c, &n) == 3)
			snprintf(dev, len, "/dev/nvme%un%u", subsys, n);
		else
			snprintf(dev, len, "/dev/%.40s", e->d_name);
		ret = 0;
	}
	closedir(d);
	return ret;
}

/*
 * The block device ("/dev/nvmeXnY") of namespace @nsid of the NVMe
 * function of device @name into @dev, once there (@secs seconds at most).
 * Return: 0 or -ETIMEDOUT.
 */
static inline int zoc_nvme_nsid(const char *name, unsigned int nsid,
				char *dev, size_t len, int secs)
{
	time_t end = time(NULL) + secs;
	char ctrl[32];

	if (zoc_fn_entry(name, "nvme", "nvme", ctrl, sizeof(ctrl), secs))
		return -ETIMEDOUT;
	while ((zoc_nvme_ctrl_ns(ctrl, nsid, dev, len) ||
		access(dev, R_OK)) && time(NULL) < end)
		usleep(200 * 1000);
	return !zoc_nvme_ctrl_ns(ctrl, nsid, dev, len) && !access(dev, R_OK) ?
	       0 : -ETIMEDOUT;
}

/* The block device of namespace 1, as zoc_nvme_nsid(). */
static inline int zoc_nvme_ns(const char *name, char *dev, size_t len,
			      int secs)
{
	return zoc_nvme_nsid(name, 1, dev, len, secs);
}

/*
 * The block device ("/dev/vdX") of the virtio-blk function of device
 * @name into @dev, once there (@secs seconds at most).
 * Return: 0, -ETIMEDOUT or -ENOENT.
 */
static inline int zoc_vblk_dev(const char *name, char *dev, size_t len,
			       int secs)
{
	char disk[32];

	if (zoc_fn_entry(name, "virtio%d/block", "", disk, sizeof(disk), secs))
		return -ETIMEDOUT;
	snprintf(dev, len, "/dev/%s", disk);
	return access(dev, R_OK) ? -ENOENT : 0;
}

/*
 * Add a disk @name of @kind ("nvme" or "virtio-blk") with two queues on
 * the service VM's block device @backend (*@added set once it exists),
 * and wait for its block device, into @dev (of @len bytes).  zocctl's
 * output goes to @out (of @out_len bytes).
 * Return: 0, or -1 if it could not be added, -ETIMEDOUT if no block device
 * came.
 */
static inline int zoc_disk_add(const char *name, const char *kind,
			       const char *backend, int *added, char *dev,
			       size_t len, char *out, size_t out_len)
{
	if (zoc_ctl(out, out_len, "dev add %s name %s backend %s queues 2",
		    kind, name, backend))
		return -1;
	*added = 1;
	if (!strcmp(kind, "nvme"))
		return zoc_nvme_ns(name, dev, len, 120);
	return zoc_vblk_dev(name, dev, len, 120);
}

/* fio in the background for 10 minutes, its exit status in a file */
#define ZOC_FIO_LONG \
	"rm -f /tmp/zoc-fio.rc; (%s --iodepth=8 --time_based --runtime=600; echo $? >/tmp/zoc-fio.rc) >/dev/null 2>&1 &"

/* fio's exit status, once it ended (2 minutes at most) */
#define ZOC_FIO_WAIT \
	"for i in $(seq 120); do [ -s /tmp/zoc-fio.rc ] && break; sleep 1; done; cat /tmp/zoc-fio.rc"

/*
 * The slot of device @name on the host's bus (its PCI device number), or
 * -1.
 */
static inline int zoc_dev_slot(const char *name)
{
	char out[1024], *pci;
	unsigned int slot;

	if (zoc_ctl(out, sizeof(out), "dev show %s", name))
		return -1;
	pci = strstr(out, "pci ");
	if (!pci || sscanf(pci, "pci %*x:%*x:%x.0", &slot) != 1)
		return -1;
	return slot;
}

/*
 * Kill the service VM while @fio (a command line) runs on @dev, the block
 * device of device @name, and start a new one at once: the function
 * stalls; the new service VM cannot take it over (a model that keeps no
 * live record finds no state; with @spoil, the host's test module spoils
 * the device's live record before the new service VM reads it) and says
 * so; the function is gone and leaves the PCI core, its I/O fails and fio
 * ends; the host lives.  What went wrong goes to @out.
 * Return: 0, -ENODEV outside the lab, or the first error.
 */
static inline int zoc_svm_kill_during_io(const char *name, const char *fio,
					 const char *dev, bool spoil,
					 char *out, size_t len)
{
	long long epoch = zoc_link_field("svm_epoch");
	int lab = zoc_lab_open(), ret = 0;
	int slot = zoc_dev_slot(name);
	time_t start;

	if (lab < 0)
		return -ENODEV;
	if (zoc_sh(NULL, 0, ZOC_FIO_LONG, fio) ||
	    (sleep(3), zoc_lab_cmd(lab, "svm-kill")) ||
	    (spoil && zoc_sh(out, len, "echo %d >%s/spoil_live", slot,
			     ZOC_TEST_DEBUGFS)) ||
	    zoc_lab_cmd(lab, "svm-start")) {
		snprintf(out, len, "fio, svm-kill, spoil_live %d or svm-start did not start",
			 slot);
		close(lab);
		return -EIO;
	}
	start = time(NULL);
	if (zoc_sh(out, len, ZOC_FIO_WAIT) || !atoi(out)) {
		ret = -EIO;
		snprintf(out, len, "fio did not end with an error");
	} else if (zoc_ctl(out, len, "dev show %s", name) ||
		   !strstr(out, "state gone")) {
		ret = -EIO;
	} else if (!access(dev, F_OK)) {
		ret = -EEXIST;
		snprintf(out, len, "%s is still there", dev);
	} else {
		snprintf(out, len, "fio ended %ld s after the kill",
			 (long)(time(NULL) - start));
	}
	if (zoc_wait_svm(epoch, ZOC_SVM_BOOT_TIMEOUT) ||
	    zoc_wait_link(ZOC_SVM_BOOT_TIMEOUT)) {
		snprintf(out, len, "no new service VM");
		ret = ret ?: -ETIMEDOUT;
	}
	close(lab);
	return ret;
}

/* fio verifying on a disk beside a hostile run: 8 MiB in the fio range */
#define ZOC_BESIDE_FIO_LOG	"/tmp/zoc-beside-fio.log"
#define ZOC_BESIDE_FIO \
	"exec fio --name=beside --filename=%s --rw=randrw --bs=4k --direct=1 " \
	"--ioengine=libaio --iodepth=4 --size=8m --offset=160m " \
	"--verify=crc32c --verify_fatal=1 " \
	ZOC_FIO_UNTIL_STOPPED " >" ZOC_BESIDE_FIO_LOG " 2>&1"
#define ZOC_BESIDE_FIO_SECS	7200	/* fio's runtime, if it is not stopped */

/*
 * zoc_hostile_run() while fio verifies on disk @other, of @kind on the
 * service VM's block device @backend: another device of the same service
 * VM, which must never err.  @other is added first and deleted after.
 * Return: as zoc_hostile_run(); or -EIO, with why in @out, if the other
 * disk could not be added, fio failed, or the disk counted an error or an
 * invalid input.
 */
static inline int zoc_hostile_run_beside(const char *name, const char *driver,
					 const char *mod, const char *args,
					 const char *dbg,
					 struct zoc_hostile_counts *counts,
					 const char *other, const char *kind,
					 const char *backend, char *out,
					 size_t len)
{
	char dev[64], cmd[512], log[1024] = "not started";
	int added = 0, ret;
	pid_t fio;

	zoc_ctl(NULL, 0, "dev del %s", other);
	if (zoc_disk_add(other, kind, backend, &added, dev, sizeof(dev), out,
			 len)) {
		if (added)
			zoc_ctl(NULL, 0, "dev del %s", other);
		return -EIO;
	}
	snprintf(cmd, sizeof(cmd), ZOC_BESIDE_FIO, dev, ZOC_BESIDE_FIO_SECS);
	fio = zoc_fio_spawn(cmd);
	ret = zoc_hostile_run(name, driver, mod, args, dbg, counts, out, len);
	if (fio <= 0 ||
	    zoc_fio_stop(&fio, 1, ZOC_BESIDE_FIO_LOG, log, sizeof(log))) {
		if (ret != -ENOPKG) {
			snprintf(out, len, "fio on %s (%s) beside it failed: %s",
				 other, dev, log);
			/* what the link and the disk were at, for the log */
			zoc_sh(NULL, 0,
			       "{ cat " ZOC_DEBUGFS "/link; zocctl dev show %s -s; "
			       "cat /sys/block/%s/inflight; } >/dev/console",
			       other, dev + 5);
		}
		ret = ret ?: -EIO;
	} else if (zoc_dev_stat(other, "errors") ||
		   zoc_dev_stat(other, "invalid")) {
		snprintf(out, len, "%s beside it counted errors %lld, invalid %lld",
			 other, zoc_dev_stat(other, "errors"),
			 zoc_dev_stat(other, "invalid"));
		ret = ret ?: -EIO;
	}
	zoc_fio_kill(&fio);
	zoc_ctl(NULL, 0, "dev del %s", other);
	return ret;
}

/* The stage counters (Documentation/zoc/proxy.rst, "Where the time goes") */
enum {
	ZOC_ST_COMMANDS,
	ZOC_ST_ROUND_TRIPS,
	ZOC_ST_ROUND_TRIP_NS,
	ZOC_ST_WAIT,
	ZOC_ST_PREP,
	ZOC_ST_BACKEND,
	ZOC_ST_DONE,
	ZOC_ST_NOTIFY,
	ZOC_ST_NR
};

static const char * const zoc_stage_names[ZOC_ST_NR] = {
	"commands", "round_trips", "round_trip_ns", "svm_wait_ns",
	"svm_prep_ns", "svm_backend_ns", "svm_done_ns", "svm_notify_ns",
};

/* 4k random reads at queue depth 1, 2048 of them, on FILE at OFFSET */
#define ZOC_FIO_QD1 \
	"fio --name=stages --filename=%s --offset=%d --size=16m --io_size=8m --direct=1 --rw=randread --bs=4k --iodepth=1 --ioengine=libaio 2>&1"

/*
 * fio at queue depth 1 on @dev at @offset, then the stage counters of
 * device @name must have moved as one I/O after the other does: at least
 * half the commands timed as round trips, every service VM stage counted,
 * and the service VM's stages less on average than the round trip around
 * them.  Return: 0, or -1 with why in @out.
 */
static inline int zoc_stage_check(const char *name, const char *dev,
				  int offset, char *out, size_t len)
{
	long long before[ZOC_ST_NR], d[ZOC_ST_NR], svm = 0;
	double round_trip;
	int i;

	for (i = 0; i < ZOC_ST_NR; i++)
		before[i] = zoc_dev_stat(name, zoc_stage_names[i]);
	if (zoc_sh(out, len, ZOC_FIO_QD1, dev, offset))
		return -1;
	for (i = 0; i < ZOC_ST_NR; i++) {
		d[i] = zoc_dev_stat(name, zoc_stage_names[i]) - before[i];
		if (before[i] < 0 || d[i] <= 0) {
			snprintf(out, len, "%s did not move (%lld)",
				 zoc_stage_names[i], d[i]);
			return -1;
		}
		if (i >= ZOC_ST_WAIT)
			svm += d[i];
	}
	if (d[ZOC_ST_COMMANDS] < 2048 ||
	    2 * d[ZOC_ST_ROUND_TRIPS] < d[ZOC_ST_COMMANDS]) {
		snprintf(out, len, "%lld commands, %lld round trips",
			 d[ZOC_ST_COMMANDS], d[ZOC_ST_ROUND_TRIPS]);
		return -1;
	}
	round_trip = (double)d[ZOC_ST_ROUND_TRIP_NS] / d[ZOC_ST_ROUND_TRIPS];
	if ((double)svm / d[ZOC_ST_COMMANDS] >= round_trip) {
		snprintf(out, len, "service VM %.0f ns per command, round trip %.0f ns",
			 (double)svm / d[ZOC_ST_COMMANDS], round_trip);
		return -1;
	}
	snprintf(out, len, "per command: round trip %.0f us, service VM %.0f us (backend %.0f us)",
		 round_trip / 1000, (double)svm / d[ZOC_ST_COMMANDS] / 1000,
		 (double)d[ZOC_ST_BACKEND] / d[ZOC_ST_COMMANDS] / 1000);
	return 0;
}

#endif /* _ZOC_DISK_H */
