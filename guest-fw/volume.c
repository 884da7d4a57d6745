// SPDX-License-Identifier: GPL-2.0
/*
 * zoc-fw: the volume directive, the provider's list of the disks the host
 * may ask for (Documentation/zoc/volumes.rst):
 *
 *	volume NAME local DEVICE [IDENTITY...]
 *	volume NAME nvme-tcp|nvme-rdma ADDRESS PORT NQN
 *	       [path tcp|rdma ADDRESS PORT]... [nsid N] [queues N]
 *	       [ctrl-loss-tmo S] [reconnect-delay S] [fast-io-fail-tmo S]
 *	       [iopolicy numa|round-robin] [IDENTITY...]
 *	IDENTITY := serial SERIAL | nguid NGUID | eui64 EUI64 | model MODEL
 *
 * makes the volume NAME in configfs (zoc/volumes/NAME, zoc_volume's) and
 * enables it: on the block device DEVICE of the service VM (a name under
 * /dev, or a path), or on namespace N (default 1) of the NVMe subsystem
 * NQN on a storage server, reached by each of its paths (fabrics.c), with
 * the identity its disks show the host.  A local volume is enabled at
 * once; a remote one is listed disabled at once (the host is told to ask
 * again), its paths connected by a worker process once the whole
 * configuration is read, so that connecting to storage servers never
 * holds up the models nor the firmware, and enabled on its namespace
 * head.  A remote volume is tried again until it is attached, its missing
 * paths until each is connected, and a volume whose every path went (past
 * its loss timeout) is disabled and attached again.  A local volume whose
 * device is missing, or a volume whose directive the kernel refuses, is
 * left out whole and reported: the host can name only what the
 * configuration lists, and nothing it lists half.
 *
 *	hostnqn NQN
 *
 * names this service VM to storage servers (default: the kernel's).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fw.h"

#define FW_CONFIGFS		"/sys/kernel/config"
#define FW_VOLUMES		FW_CONFIGFS "/zoc/volumes"
#define FW_VOLUME_USAGE		\
	"volume NAME { local DEVICE | nvme-tcp|nvme-rdma ADDRESS PORT NQN } [KEY VALUE...]"
#define FW_SECONDS_MAX		3600	/* the longest timeout a volume takes */

/* The attributes a directive may set, by their keyword: the file's name. */
static const char *const fw_volume_keys[] = {
	"serial", "nguid", "eui64", "model", NULL,
};

static bool fw_volume_key(const char *word)
{
	const char *const *k;

	for (k = fw_volume_keys; *k; k++)
		if (!strcmp(*k, word))
			return true;
	return false;
}

/* zoc/volumes is there: configfs mounted, zoc_volume loaded. */
static int fw_volumes_dir(void)
{
	if (!access(FW_VOLUMES, F_OK))
		return 0;
	if (mount("configfs", FW_CONFIGFS, "configfs",
		  MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) && errno != EBUSY)
		return -errno;
	return access(FW_VOLUMES, F_OK) ? -errno : 0;
}

/* Write @val to the attribute @attr of the volume @name. */
static int fw_volume_set(const char *name, const char *attr, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), FW_VOLUMES "/%.*s/%.*s", FW_VOLUME_NAME,
		 name, FW_VOLUME_NAME, attr);
	return fw_write(path, val);
}

/* Read a number of at most @max from @s into @val: 0, or -1. */
static int fw_volume_num(const char *s, int min, int max, int *val)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < min || n > max)
		return -1;
	*val = n;
	return 0;
}

static int fw_volume_path(struct fw_path *p, const char *transport,
			  const char *addr, const char *port)
{
	int n;

	if ((strcmp(transport, "tcp") && strcmp(transport, "rdma")) ||
	    strlen(addr) >= sizeof(p->addr) ||
	    fw_volume_num(port, 1, 65535, &n))
		return -1;
	strcpy(p->transport, transport);
	strcpy(p->addr, addr);
	snprintf(p->port, sizeof(p->port), "%d", n);
	return 0;
}

/*
 * The words of a remote volume after "nvme-tcp|nvme-rdma", from @argv[3],
 * into @v; the identity's words are left for the caller, their indexes
 * marked in @ident.  Return: 0, or -1 with why in @why.
 */
static int fw_volume_remote(struct fw_remote *v, char **argv, int argc,
			    bool *ident, const char **why)
{
	int i, val;

	*why = argv[2];
	if (argc < 6 || strlen(argv[5]) >= sizeof(v->nqn) ||
	    fw_volume_path(&v->paths[0], argv[2] + strlen("nvme-"), argv[3],
			   argv[4]))
		return -1;
	strcpy(v->nqn, argv[5]);
	v->nr_paths = 1;
	v->nsid = 1;
	v->queues = 0;
	v->ctrl_loss_tmo = FW_CTRL_LOSS_TMO;
	v->reconnect_delay = FW_RECONNECT_DELAY;
	v->fast_io_fail_tmo = -2;	/* the loss timeout's, unless given */
	for (i = 6; i < argc; i += 2) {
		*why = argv[i];
		if (!strcmp(argv[i], "path")) {
			if (i + 3 >= argc || v->nr_paths == FW_MAX_PATHS ||
			    fw_volume_path(&v->paths[v->nr_paths++],
					   argv[i + 1], argv[i + 2],
					   argv[i + 3]))
				return -1;
			i += 2;
			continue;
		}
		if (i + 1 >= argc)
			return -1;
		if (fw_volume_key(argv[i])) {
			ident[i] = true;
		} else if (!strcmp(argv[i], "nsid")) {
			if (fw_volume_num(argv[i + 1], 1, 0x7fffffff, &val))
				return -1;
			v->nsid = val;
		} else if (!strcmp(argv[i], "queues")) {
			if (fw_volume_num(argv[i + 1], 1, 1024, &val))
				return -1;
			v->queues = val;
		} else if (!strcmp(argv[i], "ctrl-loss-tmo")) {
			if (fw_volume_num(argv[i + 1], -1, FW_SECONDS_MAX,
					  &v->ctrl_loss_tmo))
				return -1;
		} else if (!strcmp(argv[i], "reconnect-delay")) {
			if (fw_volume_num(argv[i + 1], 1, FW_SECONDS_MAX,
					  &v->reconnect_delay))
				return -1;
		} else if (!strcmp(argv[i], "iopolicy")) {
			if (strcmp(argv[i + 1], "numa") &&
			    strcmp(argv[i + 1], "round-robin"))
				return -1;
			strcpy(v->iopolicy, argv[i + 1]);
		} else if (!strcmp(argv[i], "fast-io-fail-tmo")) {
			if (fw_volume_num(argv[i + 1], -1, FW_SECONDS_MAX,
					  &v->fast_io_fail_tmo))
				return -1;
		} else {
			return -1;
		}
	}
	if (v->fast_io_fail_tmo == -2)
		v->fast_io_fail_tmo = v->ctrl_loss_tmo;
	return 0;
}

/*
 * The block device of local volume @name (@argv, @argc), into @dev; the
 * indexes of the identity's words marked in @ident.  Return: 0, or -1
 * (reported).
 */
static int fw_volume_local(char **argv, int argc, bool *ident, char *dev,
			   size_t len)
{
	const char *name = argv[1];
	struct stat st;
	int i;

	for (i = 4; i < argc; i += 2) {
		if (!fw_volume_key(argv[i]) || i + 1 >= argc) {
			fw_log("volume %s: unknown attribute '%s'", name,
			       argv[i]);
			return -1;
		}
		ident[i] = true;
	}
	snprintf(dev, len, "%s%s", strchr(argv[3], '/') ? "" : "/dev/",
		 argv[3]);
	if (stat(dev, &st) || !S_ISBLK(st.st_mode)) {
		fw_log("volume %s: %s: not a block device: left out", name,
		       dev);
		return -1;
	}
	return 0;
}

/* Take volume @name out of the list: @why (-errno) with @what. */
static void fw_volume_drop(struct fw *fw, const char *name, const char *what,
			   int why)
{
	char dir[PATH_MAX];

	fw_log("volume %s: %s: %s: left out", name, what, strerror(-why));
	fw_volume_set(name, "enable", "0");
	snprintf(dir, sizeof(dir), FW_VOLUMES "/%s", name);
	rmdir(dir);
	fw->errors++;
}

/*
 * List volume @name, disabled, with the identity's words of @argv that
 * @ident marks; with @dev, on that device, enabled.  Return: 0, or -1
 * (reported, counted).
 */
static int fw_volume_list(struct fw *fw, char **argv, int argc,
			  const bool *ident, const char *dev)
{
	const char *name = argv[1], *what;
	char dir[PATH_MAX];
	int i, ret;

	ret = fw_volumes_dir();
	if (ret) {
		fw_log("volume %s: %s: %s (is zoc_volume loaded?)", name,
		       FW_VOLUMES, strerror(-ret));
		fw->errors++;
		return -1;
	}
	snprintf(dir, sizeof(dir), FW_VOLUMES "/%s", name);
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fw_log("volume %s: %s", name, strerror(errno));
		fw->errors++;
		return -1;
	}
	/* A volume listed again is changed: disabled first. */
	what = "enable";
	ret = fw_volume_set(name, what, "0");
	for (i = 3; i < argc && !ret; i++) {
		if (!ident[i])
			continue;
		what = argv[i];
		ret = fw_volume_set(name, what, argv[i + 1]);
	}
	if (!ret && dev) {
		what = "device";
		ret = fw_volume_set(name, what, dev);
		if (!ret) {
			what = "enable";
			ret = fw_volume_set(name, what, "1");
		}
	}
	if (ret) {
		fw_volume_drop(fw, name, what, ret);
		return -1;
	}
	return 0;
}

/**
 * fw_volume - the volume directive
 * @fw: its errors are counted there, its remote volumes noted
 * @argv: "volume", NAME, its kind, then the kind's words and KEY VALUE
 *	pairs
 * @argc: their number
 */
void fw_volume(struct fw *fw, char **argv, int argc)
{
	bool ident[FW_MAX_ARGS + 1] = { false };
	const char *name = argv[1], *why;
	struct fw_remote *v;
	char dev[PATH_MAX];

	if (argc < 4 || strlen(name) > FW_VOLUME_NAME || strchr(name, '/') ||
	    name[0] == '.' || (strcmp(argv[2], "local") &&
			       strcmp(argv[2], "nvme-tcp") &&
			       strcmp(argv[2], "nvme-rdma"))) {
		fw_log("volume: usage: %s, NAME of at most %d characters",
		       FW_VOLUME_USAGE, FW_VOLUME_NAME);
		fw->errors++;
		return;
	}
	if (!strcmp(argv[2], "local")) {
		if (fw_volume_local(argv, argc, ident, dev, sizeof(dev))) {
			fw->errors++;
			return;
		}
		if (!fw_volume_list(fw, argv, argc, ident, dev)) {
			fw_log("volume %s on %s", name, dev);
			fw->volumes++;
		}
		return;
	}
	if (fw->nr_remote == FW_MAX_REMOTE) {
		fw_log("volume %s: over %d remote volumes: left out", name,
		       FW_MAX_REMOTE);
		fw->errors++;
		return;
	}
	v = &fw->remote[fw->nr_remote];
	memset(v, 0, sizeof(*v));
	strcpy(v->name, name);
	if (fw_volume_remote(v, argv, argc, ident, &why)) {
		fw_log("volume %s: cannot read '%s': left out", name, why);
		fw->errors++;
		return;
	}
	if (!fw_volume_list(fw, argv, argc, ident, NULL))
		fw->nr_remote++;
}

/* Connect @v's missing paths, in a worker process of its own. */
static void fw_volume_work(const struct fw *fw, struct fw_remote *v)
{
	sigset_t none;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		fw_log("volume %s: fork: %s", v->name, strerror(errno));
		v->next_try = fw_now() + FW_VOLUME_CHECK;
		return;
	}
	if (pid == 0) {
		/* not the control port, the signalfd or the netlink socket */
		close_range(3, ~0U, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		_exit(fw_fabrics_connect(fw, v, v->fails > 0));
	}
	v->worker = pid;
	v->started = fw_now();
}

/* Enable @v on its device, the namespace head its worker found. */
static void fw_volume_enable(struct fw_remote *v)
{
	char dev[sizeof(v->dev)];
	int ret;

	ret = fw_fabrics_device(v, dev, sizeof(dev)) ?:
	      fw_volume_set(v->name, "device", dev) ?:
	      fw_volume_set(v->name, "enable", "1");
	if (ret) {
		if (!v->fails)
			fw_log("volume %s: not enabled: %s", v->name,
			       strerror(-ret));
		return;
	}
	strcpy(v->dev, dev);
	v->attached = true;
	fw_log("volume %s on %s (%s namespace %u)", v->name, dev, v->nqn,
	       v->nsid);
}

/*
 * Whether attached volume @v lost its namespace head (every path gone for
 * good) or has another: then it is disabled, the host told to ask again.
 */
static bool fw_volume_lost(struct fw_remote *v)
{
	char dev[sizeof(v->dev)];

	if (!fw_fabrics_device(v, dev, sizeof(dev)) && !strcmp(dev, v->dev))
		return false;
	fw_log("volume %s: %s went: attaching it again", v->name, v->dev);
	fw_volume_set(v->name, "enable", "0");
	v->attached = false;
	return true;
}

/**
 * fw_volumes_tend - attach the remote volumes, keep them attached
 * @fw: the firmware, its configuration read
 *
 * Called at each turn of the main loop, a second apart at most.  A volume
 * that is not attached gets a worker that tries its paths; an attached
 * one is looked at every FW_VOLUME_CHECK seconds: a missing path gets a
 * worker that connects it, and a volume whose namespace head went (every
 * path lost past its loss timeout) or changed is disabled and attached
 * again.  Failed tries back off up to FW_VOLUME_RETRY_MAX seconds; a
 * worker that takes over FW_VOLUME_WORK_MAX seconds is killed, and its
 * try failed.
 */
void fw_volumes_tend(struct fw *fw)
{
	time_t now = fw_now();
	struct fw_remote *v;
	unsigned int i;

	for (i = 0; i < fw->nr_remote; i++) {
		v = &fw->remote[i];
		if (v->worker) {
			if (now - v->started > FW_VOLUME_WORK_MAX) {
				fw_log("volume %s: a try over %d s: ended",
				       v->name, FW_VOLUME_WORK_MAX);
				kill(v->worker, SIGKILL);
				v->started = now;
			}
			if (v->attached && now >= v->next_try) {
				fw_volume_lost(v);
				v->next_try = now + FW_VOLUME_CHECK;
			}
			continue;
		}
		if (now < v->next_try)
			continue;
		if (v->attached && !fw_volume_lost(v) &&
		    fw_fabrics_paths_up(v)) {
			if (v->fails)
				fw_log("volume %s: every path up", v->name);
			v->fails = 0;
			v->backoff = 0;
			v->next_try = now + FW_VOLUME_CHECK;
			continue;
		}
		fw_volume_work(fw, v);
	}
}

/**
 * fw_volume_reaped - a worker of fw_volumes_tend() exited
 * @fw: the firmware
 * @pid: the process that exited
 * @status: its wait status
 *
 * Return: whether it was a volume's worker.
 */
bool fw_volume_reaped(struct fw *fw, pid_t pid, int status)
{
	struct fw_remote *v = NULL;
	unsigned int i;
	int found;

	for (i = 0; i < fw->nr_remote && !v; i++)
		if (fw->remote[i].worker == pid)
			v = &fw->remote[i];
	if (!v)
		return false;
	v->worker = 0;
	found = WIFEXITED(status) ? WEXITSTATUS(status) : FW_FABRICS_DOWN;
	if (found != FW_FABRICS_DOWN && !v->attached)
		fw_volume_enable(v);
	if (found == FW_FABRICS_UP && v->attached) {
		if (v->fails)
			fw_log("volume %s: every path up", v->name);
		v->fails = 0;
		v->backoff = 0;
		v->next_try = fw_now() + FW_VOLUME_CHECK;
		return true;
	}
	v->backoff = v->backoff ? v->backoff * 2 : 1;
	if (v->backoff > FW_VOLUME_RETRY_MAX)
		v->backoff = FW_VOLUME_RETRY_MAX;
	v->next_try = fw_now() + v->backoff;
	/* said at the first failed try, then less and less often */
	v->fails++;
	if (!(v->fails & (v->fails - 1)))
		fw_log("volume %s: %s (try %u), again in %u s", v->name,
		       v->attached ? "a path is missing" : "not attached",
		       v->fails, v->backoff);
	return true;
}

/**
 * fw_volumes_stop - end the volumes' workers, before the modules go
 * @fw: the firmware
 *
 * A worker waiting for the kernel's fabrics device, which connects one
 * controller at a time, ends only once its turn came: the workers are
 * killed together, and waited for FW_COMMAND_TIMEOUT seconds at most.
 */
void fw_volumes_stop(struct fw *fw)
{
	time_t end = fw_now() + FW_COMMAND_TIMEOUT;
	unsigned int i, left = 0;
	struct fw_remote *v;
	pid_t pid;

	for (i = 0; i < fw->nr_remote; i++) {
		v = &fw->remote[i];
		if (v->worker && !kill(v->worker, SIGKILL))
			left++;
	}
	while (left && fw_now() < end) {
		for (i = 0; i < fw->nr_remote; i++) {
			v = &fw->remote[i];
			if (!v->worker)
				continue;
			pid = waitpid(v->worker, NULL, WNOHANG);
			if (pid == v->worker || (pid < 0 && errno == ECHILD)) {
				v->worker = 0;
				left--;
			}
		}
		if (left)
			usleep(100000);
	}
	if (left)
		fw_log("volumes: %u tries still running", left);
}

/**
 * fw_hostnqn - the hostnqn directive
 * @fw: the NQN goes there
 * @argv: "hostnqn", NQN
 * @argc: 2
 */
void fw_hostnqn(struct fw *fw, char **argv, int argc)
{
	if (argc != 2 || strlen(argv[1]) >= sizeof(fw->hostnqn)) {
		fw_log("hostnqn: usage: hostnqn NQN");
		fw->errors++;
		return;
	}
	strcpy(fw->hostnqn, argv[1]);
}
